/* Internals of the CUDA backend: the launchers of gpu/kernels.cu, called by
 * gpu/backend_cuda.c. Each launches its kernel(s) on stream st over the
 * scalar type float (f64 = 0) or double (f64 = 1) and returns
 * cudaGetLastError() after the last launch (cudaSuccess when there was
 * nothing to do). The semantics are those of the idc_backend fields
 * (models/engine/engine.h); ws is device workspace of
 * idc_gpu_workspace_doubles(rows, cols) doubles (gpu/launch.h). */
#ifndef IDC_GPU_CUDA_IMPL_H
#define IDC_GPU_CUDA_IMPL_H

#include <stddef.h>

#include <cuda_runtime_api.h>

#include "models/estimators/flow_row.h"

#ifdef __cplusplus
extern "C" {
#endif

/* dst row r = src row idx[r] (idx: device memory, rows entries). */
cudaError_t idc_gpuk_gather(cudaStream_t st, int f64, void *dst, const void *src, size_t cols,
                            const unsigned long long *idx, size_t rows);
/* Every row of dst (rows x cols) = row (cols entries). */
cudaError_t idc_gpuk_broadcast(cudaStream_t st, int f64, void *dst, const void *row, size_t cols,
                               size_t rows);
cudaError_t idc_gpuk_add_bias(cudaStream_t st, int f64, void *y, const void *b, size_t rows, size_t cols);
cudaError_t idc_gpuk_sum_rows(cudaStream_t st, int f64, void *out, const void *y, size_t rows, size_t cols,
                              double *ws);
cudaError_t idc_gpuk_leaky_fwd(cudaStream_t st, int f64, void *y, const void *x, size_t n, double slope);
cudaError_t idc_gpuk_leaky_bwd(cudaStream_t st, int f64, void *dx, const void *dy, const void *y, size_t n,
                               double slope);
cudaError_t idc_gpuk_leaky_bwd_sum(cudaStream_t st, int f64, void *dx, void *dsum, const void *dy, const void *y,
                                   size_t rows, size_t cols, double slope, double *ws);
cudaError_t idc_gpuk_bn_train(cudaStream_t st, int f64, void *y, void *xhat, void *invstd, void *run_mean,
                              void *run_var, const void *x, const void *gamma, const void *beta, size_t rows,
                              size_t cols, double eps, double momentum, double *ws);
cudaError_t idc_gpuk_bn_eval(cudaStream_t st, int f64, void *y, const void *x, const void *gamma,
                             const void *beta, const void *run_mean, const void *run_var, size_t rows,
                             size_t cols, double eps);
cudaError_t idc_gpuk_bn_bwd(cudaStream_t st, int f64, void *dx, void *dgamma, void *dbeta, const void *dy,
                            const void *xhat, const void *invstd, const void *gamma, size_t rows, size_t cols,
                            double *ws);
/* *sum (device) = outscale * sum_i (y_i - t_i)^2; grad as idc_backend.sqerr. */
cudaError_t idc_gpuk_sqerr(cudaStream_t st, int f64, void *grad, const void *y, const void *target, size_t n,
                           double scale, int accumulate, double *ws, double *sum, double outscale);
/* *sum (device) = sum_i |z_i|; dz as idc_backend.abs_sign. */
cudaError_t idc_gpuk_abs_sign(cudaStream_t st, int f64, void *dz, const void *z, size_t n, double w, double *ws,
                              double *sum);
/* idx[r] = idc_rng_below(stream (seed, trial, purpose), k0 + r, n) for r < rows (idx: device). */
cudaError_t idc_gpuk_random_idx(cudaStream_t st, unsigned long long *idx, unsigned long long seed,
                                unsigned trial, unsigned purpose, unsigned long long k0, size_t rows,
                                unsigned long long n);
/* Adam with step = lr / bc1 and sbc2 = sqrt(bc2) computed by the caller. */
cudaError_t idc_gpuk_adam(cudaStream_t st, int f64, void *p, void *m, void *v, const void *g, size_t n,
                          double step, double b1, double b2, double eps, double sbc2);
/* The flow's per-block sums (gpu/flow_kernels.cu) of the n x m device rows X
 * for the parameters *p (its arrays in device memory): part (device,
 * ceil(n / IDC_FLOW_BLOCK) x Q, Q = idc_flow_row_rawsize when grad, else
 * idc_flow_row_statsize) and, when !grad and lp != NULL, lp (device, n).
 * slots: device scratch of chunk x Q doubles, chunk a multiple of
 * IDC_FLOW_BLOCK (the rows are done chunk by chunk). */
cudaError_t idc_gpuk_flow_sums(cudaStream_t st, const idc_flow_rowp *p, const double *X, size_t n, int grad,
                               double bw, double *slots, size_t chunk, double *part, double *lp);

#ifdef __cplusplus
}
#endif

#endif
