/* A stand-in for libidcheck-cuda.so with which test_gpu tests the loader
 * (gpu/cuda_loader.c) on any machine, CUDA or not: it exports the same one
 * symbol (gpu/plugin_impl.h) and reports one "device" whose tables are
 * empty shells (no kernel may be called on them). Its flow evaluator
 * (idc_gpu_flow_*) is real, on the host: the algorithm of
 * gpu/flow_kernels.cu (parameters packed, each row's terms into a zeroed
 * slot, a block's slots added in row order), so that the flow's device
 * path (models/estimators/flow.c) is tested end to end without a GPU. Built by the Makefile as
 * fake-plugin.so and, with FAKE_OTHER_BUILD, as fake-plugin-other.so, which
 * claims another idcheck version so that the loader must refuse it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

struct idc_gpu_flow {
    double *rows[IDC_GPU_FLOW_SLOTS];
    size_t n[IDC_GPU_FLOW_SLOTS], m[IDC_GPU_FLOW_SLOTS];
};

static idc_gpu_flow *flow_new(int device, idc_err *err)
{
    if (device != 0) {
        set(err, IDC_EINVAL, "gpu.device: must be in 0..0");
        return NULL;
    }
    idc_gpu_flow *g = calloc(1, sizeof *g);
    if (g == NULL)
        set(err, IDC_ENOMEM, "out of memory");
    return g;
}

static void flow_free(idc_gpu_flow *g)
{
    if (g == NULL)
        return;
    for (int i = 0; i < IDC_GPU_FLOW_SLOTS; i++)
        free(g->rows[i]);
    free(g);
}

static int flow_rows(idc_gpu_flow *g, unsigned slot, const double *x, size_t n, size_t m, idc_err *err)
{
    double *r = malloc(n * m * sizeof *r);
    if (r == NULL)
        return set(err, IDC_ENOMEM, "out of memory");
    memcpy(r, x, n * m * sizeof *r);
    free(g->rows[slot]);
    g->rows[slot] = r;
    g->n[slot] = n;
    g->m[slot] = m;
    return IDC_OK;
}

static int flow_sums(idc_gpu_flow *g, unsigned slot, const idc_flow_rowp *p, int grad, double bw, double *part,
                     double *lp, idc_err *err)
{
    size_t n = g->n[slot], m = p->m;
    if (g->rows[slot] == NULL || g->m[slot] != m)
        return set(err, IDC_EINVAL, "gpu flow sums: no rows of this width in the slot");
    size_t Q = grad ? idc_flow_row_rawsize(m, p->t, p->J) : idc_flow_row_statsize(m, p->t);
    double *packed = malloc(idc_flow_row_packsize(m, p->t, p->J) * sizeof *packed);
    double *scr = malloc(idc_flow_row_scratch(m, p->t, p->J) * sizeof *scr);
    double *slots = malloc(IDC_FLOW_BLOCK * Q * sizeof *slots);
    if (packed == NULL || scr == NULL || slots == NULL) {
        free(packed);
        free(scr);
        free(slots);
        return set(err, IDC_ENOMEM, "out of memory");
    }
    idc_flow_row_pack(p, packed);
    idc_flow_rowp q = idc_flow_row_packed(p, packed);
    for (size_t b = 0; b * IDC_FLOW_BLOCK < n; b++) {
        size_t lo = b * IDC_FLOW_BLOCK, hi = lo + IDC_FLOW_BLOCK < n ? lo + IDC_FLOW_BLOCK : n;
        memset(slots, 0, (hi - lo) * Q * sizeof *slots);
        for (size_t i = lo; i < hi; i++) {
            const double *x = g->rows[slot] + i * m;
            if (grad) {
                idc_flow_row_backward(&q, slots + (i - lo) * Q, 1, x, bw, scr);
            } else {
                double v = idc_flow_row_stats(&q, slots + (i - lo) * Q, 1, x, scr);
                if (lp != NULL)
                    lp[i] = v;
            }
        }
        for (size_t e = 0; e < Q; e++) {
            double acc = 0;
            for (size_t i = 0; i < hi - lo; i++)
                acc += slots[i * Q + e];
            part[b * Q + e] = acc;
        }
    }
    free(packed);
    free(scr);
    free(slots);
    return IDC_OK;
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
    .rowp_size = sizeof(idc_flow_rowp),
    .flow_new = flow_new,
    .flow_free = flow_free,
    .flow_rows = flow_rows,
    .flow_sums = flow_sums,
};

const idc_gpu_plugin *idc_gpu_plugin_v1(void)
{
    return &plugin;
}
