/* The CUDA kernels of the training engine's GPU backend and their
 * launchers (gpu/cuda_impl.h). Written once over the scalar type R (float
 * or double); launch shapes come from gpu/launch.h.
 *
 * Numerics match models/engine/cpu_kernels.inc expression for expression: the
 * same operations in the same order, in double where the CPU uses double,
 * and this file is compiled with --fmad=false so that no product-sum is
 * contracted into an FMA (the CPU build has no FMA contraction either), so
 * elementwise results are the CPU's bit for bit. Reductions accumulate in
 * double in the fixed orders documented in gpu/launch.h (no atomics). */
#include <cuda_runtime.h>

#include <Random123/philox.h>

#include "gpu/cuda_impl.h"
#include "gpu/launch.h"

#define GRID_STRIDE(i, n)                                                                                    \
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n);                                  \
         i += (size_t)gridDim.x * blockDim.x)

/* Launches K<float> or K<double>; R names the type inside the arguments. */
#define LAUNCH_T(K, GRID, BLOCK, SHM, ...)                                                                   \
    do {                                                                                                     \
        if (f64) {                                                                                           \
            typedef double R;                                                                                \
            K<R><<<(GRID), (BLOCK), (SHM), st>>>(__VA_ARGS__);                                               \
        } else {                                                                                             \
            typedef float R;                                                                                 \
            K<R><<<(GRID), (BLOCK), (SHM), st>>>(__VA_ARGS__);                                               \
        }                                                                                                    \
    } while (0)

/* ---------------------------------------------------------------------- */
/* Elementwise                                                             */

template <typename R>
__global__ void k_gather(R *dst, const R *src, size_t cols, const unsigned long long *idx, size_t n)
{
    GRID_STRIDE(i, n)
    {
        size_t r = i / cols, c = i - r * cols;
        dst[i] = src[(size_t)idx[r] * cols + c];
    }
}

/* idx[r] = idc_rng_below(stream, k0 + r, n) (numeric/rng.c): word k of
 * the stream is half k % 2 of Philox4x32-10 block k / 2, counter
 * (block low, block high, trial, purpose), key (seed low, seed high). */
__global__ void k_random_idx(unsigned long long *idx, unsigned long long seed, unsigned trial,
                             unsigned purpose, unsigned long long k0, size_t rows, unsigned long long n)
{
    GRID_STRIDE(r, rows)
    {
        unsigned long long k = k0 + r, b = k / 2;
        philox4x32_ctr_t ctr = {{(uint32_t)b, (uint32_t)(b >> 32), trial, purpose}};
        philox4x32_key_t key = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
        philox4x32_ctr_t w = philox4x32(ctr, key);
        unsigned h = (unsigned)(k % 2);
        unsigned long long u = ((unsigned long long)w.v[2 * h] << 32) | w.v[2 * h + 1];
        idx[r] = __umul64hi(u, n);
    }
}

template <typename R> __global__ void k_broadcast(R *dst, const R *row, size_t cols, size_t n)
{
    GRID_STRIDE(i, n)
    {
        dst[i] = row[i % cols];
    }
}

template <typename R> __global__ void k_add_bias(R *y, const R *b, size_t cols, size_t n)
{
    GRID_STRIDE(i, n)
    {
        y[i] += b[i % cols];
    }
}

template <typename R> __global__ void k_leaky_fwd(R *y, const R *x, size_t n, R s)
{
    GRID_STRIDE(i, n)
    {
        R v = x[i], a = s * v;
        y[i] = v > 0 ? v : a;
    }
}

template <typename R> __global__ void k_leaky_bwd(R *dx, const R *dy, const R *y, size_t n, R s)
{
    GRID_STRIDE(i, n)
    {
        R g = dy[i], a = s * g;
        dx[i] = y[i] > 0 ? g : a;
    }
}

template <typename R>
__global__ void k_adam(R *P, R *M, R *V, const R *G, size_t n, double step, double b1, double b2, double eps,
                       double sbc2)
{
    GRID_STRIDE(i, n)
    {
        double gi = (double)G[i];
        double mi = b1 * (double)M[i] + (1.0 - b1) * gi;
        double vi = b2 * (double)V[i] + (1.0 - b2) * gi * gi;
        M[i] = (R)mi;
        V[i] = (R)vi;
        P[i] = (R)((double)P[i] - step * mi / (sqrt(vi) / sbc2 + eps));
    }
}

template <typename R>
__global__ void k_bn_eval(R *Y, const R *X, const R *G, const R *B, const R *RM, const R *RV, size_t cols,
                          size_t n, double eps)
{
    GRID_STRIDE(i, n)
    {
        size_t c = i % cols;
        double is = 1.0 / sqrt((double)RV[c] + eps);
        double h = ((double)X[i] - (double)RM[c]) * is;
        Y[i] = (R)((double)G[c] * h + (double)B[c]);
    }
}

/* xhat and y of the train-mode forward from the column mean and inverse
 * standard deviation (double, from the reductions). */
template <typename R>
__global__ void k_bn_apply(R *Y, R *XH, const R *X, const R *G, const R *B, const double *mean,
                           const double *is, size_t cols, size_t n)
{
    GRID_STRIDE(i, n)
    {
        size_t c = i % cols;
        double h = ((double)X[i] - mean[c]) * is[c];
        XH[i] = (R)h;
        Y[i] = (R)((double)G[c] * h + (double)B[c]);
    }
}

template <typename R>
__global__ void k_bn_dx(R *DX, const R *DY, const R *XH, const R *IS, const R *G, const double *sdy,
                        const double *sdyx, size_t cols, size_t n, double rows)
{
    GRID_STRIDE(i, n)
    {
        size_t c = i % cols;
        double f = (double)G[c] * (double)IS[c] / rows;
        DX[i] = (R)(f * (rows * (double)DY[i] - sdy[c] - (double)XH[i] * sdyx[c]));
    }
}

/* ---------------------------------------------------------------------- */
/* Column reductions (plan: idc_gpu_plan_columns)                          */

enum { COL_SUM = 0, COL_CENTRED_SQ = 1, COL_BN_BWD = 2, COL_LEAKY_BWD = 3 };

/* part0[chunk][col] (and part1 for COL_BN_BWD) = the chunk's sum over its
 * rows of: a (COL_SUM); (a - mean)^2 (COL_CENTRED_SQ); a and a b
 * (COL_BN_BWD: a = dy, b = xhat); out = the leaky-ReLU gradient of a = dy
 * given b = y, also stored in out (COL_LEAKY_BWD: the fused leaky_bwd_sum;
 * out may alias a, each element being read before it is written by the
 * same thread). Dynamic shared memory: 2 * block doubles. */
template <typename R, int MODE>
__global__ void k_colpart(const R *a, const R *b, const double *mean, size_t rows, size_t cols, size_t chunk,
                          double *part0, double *part1, R *out, R slope)
{
    extern __shared__ double sh[];
    const unsigned tx = threadIdx.x, ty = threadIdx.y, bx = blockDim.x, by = blockDim.y;
    const size_t col = blockIdx.x * (size_t)bx + tx;
    const size_t r0 = blockIdx.y * chunk;
    const size_t r1 = r0 + chunk < rows ? r0 + chunk : rows;
    double s0 = 0.0, s1 = 0.0;
    if (col < cols) {
        for (size_t r = r0 + ty; r < r1; r += by) {
            double v = (double)a[r * cols + col];
            if (MODE == COL_SUM) {
                s0 += v;
            } else if (MODE == COL_LEAKY_BWD) {
                R g = a[r * cols + col], x = slope * g;
                R d = b[r * cols + col] > 0 ? g : x;
                out[r * cols + col] = d;
                s0 += (double)d;
            } else if (MODE == COL_CENTRED_SQ) {
                double d = v - mean[col];
                s0 += d * d;
            } else {
                s0 += v;
                s1 += v * (double)b[r * cols + col];
            }
        }
    }
    double *sh0 = sh, *sh1 = sh + bx * by;
    sh0[ty * bx + tx] = s0;
    sh1[ty * bx + tx] = s1;
    __syncthreads();
    for (unsigned s = by / 2; s > 0; s >>= 1) {
        if (ty < s) {
            sh0[ty * bx + tx] += sh0[(ty + s) * bx + tx];
            sh1[ty * bx + tx] += sh1[(ty + s) * bx + tx];
        }
        __syncthreads();
    }
    if (ty == 0 && col < cols) {
        part0[blockIdx.y * cols + col] = sh0[tx];
        if (MODE == COL_BN_BWD)
            part1[blockIdx.y * cols + col] = sh1[tx];
    }
}

/* The sum over chunks 0..nch-1 (ascending) of part[.][c]. */
__device__ static double chunk_sum(const double *part, size_t nch, size_t cols, size_t c)
{
    double s = 0.0;
    for (size_t k = 0; k < nch; k++)
        s += part[k * cols + c];
    return s;
}

template <typename R> __global__ void k_sum_rows_fin(R *out, const double *part, size_t nch, size_t cols)
{
    GRID_STRIDE(c, cols)
    {
        out[c] = (R)chunk_sum(part, nch, cols, c);
    }
}

__global__ void k_mean_fin(double *mean, const double *part, size_t nch, size_t cols, double rows)
{
    GRID_STRIDE(c, cols)
    {
        mean[c] = chunk_sum(part, nch, cols, c) / rows;
    }
}

template <typename R>
__global__ void k_var_fin(double *is, R *IS, R *RM, R *RV, const double *mean, const double *part, size_t nch,
                          size_t cols, double rows, double unbias, double eps, double momentum)
{
    GRID_STRIDE(c, cols)
    {
        double var = chunk_sum(part, nch, cols, c) / rows;
        RM[c] = (R)((1.0 - momentum) * (double)RM[c] + momentum * mean[c]);
        RV[c] = (R)((1.0 - momentum) * (double)RV[c] + momentum * var * unbias);
        double v = 1.0 / sqrt(var + eps);
        is[c] = v;
        IS[c] = (R)v;
    }
}

template <typename R>
__global__ void k_bn_bwd_fin(R *DG, R *DB, double *sdy, double *sdyx, const double *p0, const double *p1,
                             size_t nch, size_t cols)
{
    GRID_STRIDE(c, cols)
    {
        double a = chunk_sum(p0, nch, cols, c), b = chunk_sum(p1, nch, cols, c);
        DB[c] = (R)a;
        DG[c] = (R)b;
        sdy[c] = a;
        sdyx[c] = b;
    }
}

/* ---------------------------------------------------------------------- */
/* The sqerr reduction (plan: idc_gpu_plan_reduce)                         */

/* Fixed binary tree over the IDC_GPU_BLOCK entries of sh; the sum is in
 * sh[0] for thread 0 afterwards. */
__device__ static void block_tree(double *sh)
{
    const unsigned t = threadIdx.x;
    __syncthreads();
    for (unsigned s = IDC_GPU_BLOCK / 2; s > 0; s >>= 1) {
        if (t < s)
            sh[t] += sh[t + s];
        __syncthreads();
    }
}

template <typename R>
__global__ void __launch_bounds__(IDC_GPU_BLOCK)
    k_sqerr(R *GR, const R *Y, const R *T, size_t n, double scale, int acc, double *part)
{
    __shared__ double sh[IDC_GPU_BLOCK];
    double s = 0.0;
    GRID_STRIDE(i, n)
    {
        double d = (double)Y[i] - (T != NULL ? (double)T[i] : 0.0);
        s += d * d;
        if (GR != NULL) {
            double g = 2.0 * scale * d;
            GR[i] = (R)(acc ? (double)GR[i] + g : g);
        }
    }
    sh[threadIdx.x] = s;
    block_tree(sh);
    if (threadIdx.x == 0)
        part[blockIdx.x] = sh[0];
}

template <typename R>
__global__ void __launch_bounds__(IDC_GPU_BLOCK)
    k_abs_sign(R *DZ, const R *Z, size_t n, double w, double *part)
{
    __shared__ double sh[IDC_GPU_BLOCK];
    double s = 0.0;
    GRID_STRIDE(i, n)
    {
        double v = (double)Z[i];
        s += fabs(v);
        if (DZ != NULL)
            DZ[i] = (R)((double)DZ[i] + (v > 0 ? w : v < 0 ? -w : 0.0));
    }
    sh[threadIdx.x] = s;
    block_tree(sh);
    if (threadIdx.x == 0)
        part[blockIdx.x] = sh[0];
}

/* out[0] = outscale * (the sum of the np partials) */
__global__ void __launch_bounds__(IDC_GPU_BLOCK)
    k_sum_fin(double *out, const double *part, unsigned np, double outscale)
{
    __shared__ double sh[IDC_GPU_BLOCK];
    double s = 0.0;
    for (unsigned i = threadIdx.x; i < np; i += IDC_GPU_BLOCK)
        s += part[i];
    sh[threadIdx.x] = s;
    block_tree(sh);
    if (threadIdx.x == 0)
        out[0] = outscale * sh[0];
}

/* ---------------------------------------------------------------------- */
/* Launchers                                                               */

#define ELEMENTWISE(n)                                                                                       \
    idc_gpu_grid1d g = idc_gpu_plan_elementwise(n);                                                          \
    if (g.grid == 0)                                                                                         \
    return cudaSuccess

extern "C" cudaError_t idc_gpuk_gather(cudaStream_t st, int f64, void *dst, const void *src, size_t cols,
                                       const unsigned long long *idx, size_t rows)
{
    size_t n = rows * cols;
    ELEMENTWISE(n);
    LAUNCH_T(k_gather, g.grid, g.block, 0, (R *)dst, (const R *)src, cols, idx, n);
    return cudaGetLastError();
}

extern "C" cudaError_t idc_gpuk_broadcast(cudaStream_t st, int f64, void *dst, const void *row, size_t cols,
                                          size_t rows)
{
    size_t n = rows * cols;
    ELEMENTWISE(n);
    LAUNCH_T(k_broadcast, g.grid, g.block, 0, (R *)dst, (const R *)row, cols, n);
    return cudaGetLastError();
}

extern "C" cudaError_t idc_gpuk_add_bias(cudaStream_t st, int f64, void *y, const void *b, size_t rows,
                                         size_t cols)
{
    size_t n = rows * cols;
    ELEMENTWISE(n);
    LAUNCH_T(k_add_bias, g.grid, g.block, 0, (R *)y, (const R *)b, cols, n);
    return cudaGetLastError();
}

extern "C" cudaError_t idc_gpuk_leaky_fwd(cudaStream_t st, int f64, void *y, const void *x, size_t n,
                                          double slope)
{
    ELEMENTWISE(n);
    LAUNCH_T(k_leaky_fwd, g.grid, g.block, 0, (R *)y, (const R *)x, n, (R)slope);
    return cudaGetLastError();
}

extern "C" cudaError_t idc_gpuk_leaky_bwd(cudaStream_t st, int f64, void *dx, const void *dy, const void *y,
                                          size_t n, double slope)
{
    ELEMENTWISE(n);
    LAUNCH_T(k_leaky_bwd, g.grid, g.block, 0, (R *)dx, (const R *)dy, (const R *)y, n, (R)slope);
    return cudaGetLastError();
}

extern "C" cudaError_t idc_gpuk_adam(cudaStream_t st, int f64, void *p, void *m, void *v, const void *gr,
                                     size_t n, double step, double b1, double b2, double eps, double sbc2)
{
    ELEMENTWISE(n);
    LAUNCH_T(k_adam, g.grid, g.block, 0, (R *)p, (R *)m, (R *)v, (const R *)gr, n, step, b1, b2, eps, sbc2);
    return cudaGetLastError();
}

extern "C" cudaError_t idc_gpuk_bn_eval(cudaStream_t st, int f64, void *y, const void *x, const void *gamma,
                                        const void *beta, const void *run_mean, const void *run_var,
                                        size_t rows, size_t cols, double eps)
{
    size_t n = rows * cols;
    ELEMENTWISE(n);
    LAUNCH_T(k_bn_eval, g.grid, g.block, 0, (R *)y, (const R *)x, (const R *)gamma, (const R *)beta,
             (const R *)run_mean, (const R *)run_var, cols, n, eps);
    return cudaGetLastError();
}

/* Launches the partial-sum kernel of a column reduction. */
#define COLPART_OUT(MODE, A, B, MEAN, P0, P1, OUT, SLOPE)                                                    \
    do {                                                                                                     \
        dim3 grid(p.grid_x, p.grid_y), block(p.block_x, p.block_y);                                          \
        size_t shm = 2 * sizeof(double) * p.block_x * p.block_y;                                             \
        if (f64)                                                                                             \
            k_colpart<double, MODE><<<grid, block, shm, st>>>((const double *)(A), (const double *)(B),      \
                                                              MEAN, rows, cols, p.chunk_rows, P0, P1,        \
                                                              (double *)(OUT), (double)(SLOPE));             \
        else                                                                                                 \
            k_colpart<float, MODE><<<grid, block, shm, st>>>((const float *)(A), (const float *)(B), MEAN,   \
                                                             rows, cols, p.chunk_rows, P0, P1,               \
                                                             (float *)(OUT), (float)(SLOPE));                \
    } while (0)
#define COLPART(MODE, A, B, MEAN, P0, P1) COLPART_OUT(MODE, A, B, MEAN, P0, P1, NULL, 0.0)

extern "C" cudaError_t idc_gpuk_leaky_bwd_sum(cudaStream_t st, int f64, void *dx, void *dsum, const void *dy,
                                              const void *y, size_t rows, size_t cols, double slope, double *ws)
{
    if (rows == 0 || cols == 0)
        return cudaSuccess;
    idc_gpu_colplan p = idc_gpu_plan_columns(rows, cols);
    COLPART_OUT(COL_LEAKY_BWD, dy, y, NULL, ws, NULL, dx, slope);
    idc_gpu_grid1d g = idc_gpu_plan_elementwise(cols);
    LAUNCH_T(k_sum_rows_fin, g.grid, g.block, 0, (R *)dsum, ws, p.nchunks, cols);
    return cudaGetLastError();
}

extern "C" cudaError_t idc_gpuk_sum_rows(cudaStream_t st, int f64, void *out, const void *y, size_t rows,
                                         size_t cols, double *ws)
{
    if (rows == 0 || cols == 0)
        return cudaSuccess;
    idc_gpu_colplan p = idc_gpu_plan_columns(rows, cols);
    COLPART(COL_SUM, y, NULL, NULL, ws, NULL);
    idc_gpu_grid1d g = idc_gpu_plan_elementwise(cols);
    LAUNCH_T(k_sum_rows_fin, g.grid, g.block, 0, (R *)out, ws, p.nchunks, cols);
    return cudaGetLastError();
}

extern "C" cudaError_t idc_gpuk_bn_train(cudaStream_t st, int f64, void *y, void *xhat, void *invstd,
                                         void *run_mean, void *run_var, const void *x, const void *gamma,
                                         const void *beta, size_t rows, size_t cols, double eps,
                                         double momentum, double *ws)
{
    if (rows == 0 || cols == 0)
        return cudaSuccess;
    idc_gpu_colplan p = idc_gpu_plan_columns(rows, cols);
    double *part = ws, *mean = ws + 2 * p.nchunks * cols, *is = mean + cols;
    idc_gpu_grid1d gc = idc_gpu_plan_elementwise(cols);
    double n = (double)rows, unbias = (double)rows / (double)(rows - 1);
    COLPART(COL_SUM, x, NULL, NULL, part, NULL);
    k_mean_fin<<<gc.grid, gc.block, 0, st>>>(mean, part, p.nchunks, cols, n);
    COLPART(COL_CENTRED_SQ, x, NULL, mean, part, NULL);
    LAUNCH_T(k_var_fin, gc.grid, gc.block, 0, is, (R *)invstd, (R *)run_mean, (R *)run_var, mean, part,
             p.nchunks, cols, n, unbias, eps, momentum);
    idc_gpu_grid1d g = idc_gpu_plan_elementwise(rows * cols);
    LAUNCH_T(k_bn_apply, g.grid, g.block, 0, (R *)y, (R *)xhat, (const R *)x, (const R *)gamma,
             (const R *)beta, mean, is, cols, rows * cols);
    return cudaGetLastError();
}

extern "C" cudaError_t idc_gpuk_bn_bwd(cudaStream_t st, int f64, void *dx, void *dgamma, void *dbeta,
                                       const void *dy, const void *xhat, const void *invstd,
                                       const void *gamma, size_t rows, size_t cols, double *ws)
{
    if (rows == 0 || cols == 0)
        return cudaSuccess;
    idc_gpu_colplan p = idc_gpu_plan_columns(rows, cols);
    double *p0 = ws, *p1 = ws + p.nchunks * cols;
    double *sdy = ws + 2 * p.nchunks * cols, *sdyx = sdy + cols;
    COLPART(COL_BN_BWD, dy, xhat, NULL, p0, p1);
    idc_gpu_grid1d gc = idc_gpu_plan_elementwise(cols);
    LAUNCH_T(k_bn_bwd_fin, gc.grid, gc.block, 0, (R *)dgamma, (R *)dbeta, sdy, sdyx, p0, p1, p.nchunks, cols);
    if (dx != NULL) {
        idc_gpu_grid1d g = idc_gpu_plan_elementwise(rows * cols);
        LAUNCH_T(k_bn_dx, g.grid, g.block, 0, (R *)dx, (const R *)dy, (const R *)xhat, (const R *)invstd,
                 (const R *)gamma, sdy, sdyx, cols, rows * cols, (double)rows);
    }
    return cudaGetLastError();
}

extern "C" cudaError_t idc_gpuk_sqerr(cudaStream_t st, int f64, void *grad, const void *y, const void *target,
                                      size_t n, double scale, int accumulate, double *ws, double *sum,
                                      double outscale)
{
    idc_gpu_grid1d g = idc_gpu_plan_reduce(n);
    if (g.grid == 0)
        return cudaMemsetAsync(sum, 0, sizeof(double), st);
    LAUNCH_T(k_sqerr, g.grid, g.block, 0, (R *)grad, (const R *)y, (const R *)target, n, scale, accumulate,
             ws);
    k_sum_fin<<<1, IDC_GPU_BLOCK, 0, st>>>(sum, ws, g.grid, outscale);
    return cudaGetLastError();
}

extern "C" cudaError_t idc_gpuk_abs_sign(cudaStream_t st, int f64, void *dz, const void *z, size_t n, double w,
                                         double *ws, double *sum)
{
    idc_gpu_grid1d g = idc_gpu_plan_reduce(n);
    if (g.grid == 0)
        return cudaMemsetAsync(sum, 0, sizeof(double), st);
    LAUNCH_T(k_abs_sign, g.grid, g.block, 0, (R *)dz, (const R *)z, n, w, ws);
    k_sum_fin<<<1, IDC_GPU_BLOCK, 0, st>>>(sum, ws, g.grid, 1.0);
    return cudaGetLastError();
}

extern "C" cudaError_t idc_gpuk_random_idx(cudaStream_t st, unsigned long long *idx, unsigned long long seed,
                                           unsigned trial, unsigned purpose, unsigned long long k0, size_t rows,
                                           unsigned long long n)
{
    idc_gpu_grid1d g = idc_gpu_plan_elementwise(rows);
    if (g.grid == 0)
        return cudaSuccess;
    k_random_idx<<<g.grid, g.block, 0, st>>>(idx, seed, trial, purpose, k0, rows, n);
    return cudaGetLastError();
}
