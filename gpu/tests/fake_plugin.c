/* A stand-in for libidcheck-cuda.so with which test_gpu tests the loader
 * (gpu/cuda_loader.c) on any machine, CUDA or not: it exports the same one
 * symbol (gpu/plugin_impl.h) and reports one "device" whose tables are
 * empty shells (no kernel may be called on them). Built by the Makefile as
 * fake-plugin.so and, with FAKE_OTHER_BUILD, as fake-plugin-other.so, which
 * claims another idcheck version so that the loader must refuse it. */
#include <stdio.h>

#include "gpu/plugin_impl.h"

#ifdef FAKE_OTHER_BUILD
#define FAKE_VERSION "0.0.0-other"
#else
#define FAKE_VERSION IDC_VERSION
#endif

static idc_backend shared[2] = {{.name = "fake-f32", .dtype = IDC_DTYPE_F32},
                                {.name = "fake-f64", .dtype = IDC_DTYPE_F64}};
static idc_backend own[2] = {{.name = "fake-own-f32", .dtype = IDC_DTYPE_F32},
                             {.name = "fake-own-f64", .dtype = IDC_DTYPE_F64}};
static idc_gpu_math math[2][2];

static int set(idc_err *err, int code, const char *msg)
{
    if (err != NULL)
        snprintf(err->msg, sizeof err->msg, "%s", msg);
    return code;
}

static int device_count(idc_err *err)
{
    (void)err;
    return 1;
}

static const idc_backend *backend_shared(idc_dtype dt, idc_err *err)
{
    (void)err;
    return &shared[dt == IDC_DTYPE_F64];
}

static void fake_shutdown(void)
{
}

static idc_backend *backend_new(idc_dtype dt, int device, idc_err *err)
{
    if (device != 0) {
        set(err, IDC_EINVAL, "gpu.device: must be in 0..0");
        return NULL;
    }
    return &own[dt == IDC_DTYPE_F64];
}

/* Which table be is: 0..3, or -1 for one not made here. */
static int which(const idc_backend *be)
{
    for (int i = 0; i < 2; i++) {
        if (be == &shared[i])
            return i;
        if (be == &own[i])
            return 2 + i;
    }
    return -1;
}

static void backend_free(idc_backend *be)
{
    (void)be;
}

static int is_cuda(const idc_backend *be)
{
    return which(be) >= 0;
}

static int status(const idc_backend *be, idc_err *err)
{
    return is_cuda(be) ? IDC_OK : set(err, IDC_EINVAL, "gpu: not a CUDA backend");
}

static const char *device_name(const idc_backend *be)
{
    return is_cuda(be) ? "fake device" : "";
}

static int set_math(const idc_backend *be, idc_gpu_math mode, idc_err *err)
{
    int w = which(be);
    if (w < 0)
        return set(err, IDC_EINVAL, "gpu: not a CUDA backend");
    math[w / 2][w % 2] = mode;
    return IDC_OK;
}

static idc_gpu_math get_math(const idc_backend *be)
{
    int w = which(be);
    return w < 0 ? IDC_GPU_MATH_DEFAULT : math[w / 2][w % 2];
}

static const idc_gpu_plugin plugin = {
    .abi = IDC_GPU_PLUGIN_ABI,
    .version = FAKE_VERSION,
    .backend_size = sizeof(idc_backend),
    .err_size = sizeof(idc_err),
    .device_count = device_count,
    .backend_shared = backend_shared,
    .shutdown = fake_shutdown,
    .backend_new = backend_new,
    .backend_free = backend_free,
    .is_cuda = is_cuda,
    .status = status,
    .sync = status,
    .device_name = device_name,
    .set_math = set_math,
    .get_math = get_math,
};

const idc_gpu_plugin *idc_gpu_plugin_v1(void)
{
    return &plugin;
}
