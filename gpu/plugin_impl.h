/* The interface between idcheck and its CUDA backend library
 * (libidcheck-cuda.so). Internal: not installed.
 *
 * The CUDA backend (gpu/backend_cuda.c, gpu/kernels.cu) is linked against
 * cuBLAS and the CUDA runtime, which take about 0.3 s and 200 MB to map at
 * process start. So it is built as a shared object of its own that exports
 * one symbol, IDC_GPU_PLUGIN_SYMBOL, and gpu/cuda_loader.c (the gpu/cuda.h
 * entry points in libidcheck.a) dlopen()s it on the first call that needs
 * a device. The loader accepts a library only when abi, version and the
 * struct sizes below equal its own: a table made by another build of
 * idcheck would not have this build's layout. */
#ifndef IDC_GPU_PLUGIN_IMPL_H
#define IDC_GPU_PLUGIN_IMPL_H

#include <stddef.h>

#include "gpu/cuda.h"

/* Raised whenever a field of idc_gpu_plugin or its meaning changes. */
#define IDC_GPU_PLUGIN_ABI 2 /* 2: the flow entry points */
#define IDC_GPU_PLUGIN_SYMBOL "idc_gpu_plugin_v1"
#define IDC_GPU_PLUGIN_FILE "libidcheck-cuda.so"

/* The backend's entry points; each has the contract of the gpu/cuda.h
 * function of the same name. */
typedef struct {
    int abi;              /* IDC_GPU_PLUGIN_ABI */
    const char *version;  /* IDC_VERSION of the build that made the library */
    size_t backend_size;  /* sizeof(idc_backend) */
    size_t err_size;      /* sizeof(idc_err) */
    int (*device_count)(idc_err *err);
    const idc_backend *(*backend_shared)(idc_dtype dt, idc_err *err);
    void (*shutdown)(void);
    idc_backend *(*backend_new)(idc_dtype dt, int device, idc_err *err);
    void (*backend_free)(idc_backend *be);
    int (*is_cuda)(const idc_backend *be);
    int (*status)(const idc_backend *be, idc_err *err);
    int (*sync)(const idc_backend *be, idc_err *err);
    const char *(*device_name)(const idc_backend *be);
    int (*set_math)(const idc_backend *be, idc_gpu_math mode, idc_err *err);
    idc_gpu_math (*get_math)(const idc_backend *be);
    size_t rowp_size;     /* sizeof(idc_flow_rowp) */
    idc_gpu_flow *(*flow_new)(int device, idc_err *err);
    void (*flow_free)(idc_gpu_flow *g);
    int (*flow_rows)(idc_gpu_flow *g, unsigned slot, const double *x, size_t n, size_t m, idc_err *err);
    int (*flow_sums)(idc_gpu_flow *g, unsigned slot, const idc_flow_rowp *p, int grad, double bw, double *part,
                     double *lp, idc_err *err);
} idc_gpu_plugin;

/* The one symbol the library exports (its type; gpu/backend_cuda.c defines
 * it). Returns a static table; never NULL. */
typedef const idc_gpu_plugin *(*idc_gpu_plugin_fn)(void);
const idc_gpu_plugin *idc_gpu_plugin_v1(void);

#endif
