/* The CUDA backend's entry points in a build without CUDA (gpu/cuda.h):
 * every constructor fails with "built without CUDA", so callers need no
 * #ifdef. The Makefile compiles this file instead of gpu/backend_cuda.c
 * and gpu/kernels.cu when it finds no nvcc. */
#include "gpu/cuda.h"

#define NO_CUDA "built without CUDA (no nvcc when idcheck was compiled)"

int idc_gpu_built(void)
{
    return 0;
}

int idc_gpu_device_count(idc_err *err)
{
    idc_err_set(err, IDC_EUNABLE, NO_CUDA);
    return 0;
}

const idc_backend *idc_backend_cuda(idc_dtype dt, idc_err *err)
{
    (void)dt;
    idc_err_set(err, IDC_EUNABLE, NO_CUDA);
    return NULL;
}

void idc_gpu_shutdown(void)
{
}

idc_backend *idc_gpu_backend_new(idc_dtype dt, int device, idc_err *err)
{
    (void)dt;
    (void)device;
    idc_err_set(err, IDC_EUNABLE, NO_CUDA);
    return NULL;
}

void idc_gpu_backend_free(idc_backend *be)
{
    (void)be;
}

int idc_gpu_is_cuda(const idc_backend *be)
{
    (void)be;
    return 0;
}

int idc_gpu_status(const idc_backend *be, idc_err *err)
{
    (void)be;
    return idc_err_set(err, IDC_EINVAL, "gpu: not a CUDA backend (" NO_CUDA ")");
}

int idc_gpu_sync(const idc_backend *be, idc_err *err)
{
    return idc_gpu_status(be, err);
}

const char *idc_gpu_device_name(const idc_backend *be)
{
    (void)be;
    return "";
}

int idc_gpu_set_math(const idc_backend *be, idc_gpu_math mode, idc_err *err)
{
    (void)be;
    (void)mode;
    return idc_err_set(err, IDC_EINVAL, "gpu: not a CUDA backend (" NO_CUDA ")");
}

idc_gpu_math idc_gpu_get_math(const idc_backend *be)
{
    (void)be;
    return IDC_GPU_MATH_DEFAULT;
}
