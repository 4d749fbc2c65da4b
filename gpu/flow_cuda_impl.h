/* The flow evaluator's entry points in libidcheck-cuda.so (gpu/flow_cuda.c),
 * for the plugin table of gpu/backend_cuda.c. Internal: not installed. Each
 * has the contract of the gpu/cuda.h function of the same name with the
 * idc_ prefix in place of cuf_ (the loader has checked the arguments). */
#ifndef IDC_GPU_FLOW_CUDA_IMPL_H
#define IDC_GPU_FLOW_CUDA_IMPL_H

#include "gpu/cuda.h"

idc_gpu_flow *cuf_flow_new(int device, idc_err *err);
void cuf_flow_free(idc_gpu_flow *g);
int cuf_flow_rows(idc_gpu_flow *g, unsigned slot, const double *x, size_t n, size_t m, idc_err *err);
int cuf_flow_sums(idc_gpu_flow *g, unsigned slot, const idc_flow_rowp *p, int grad, double bw, double *part,
                  double *lp, idc_err *err);

#endif
