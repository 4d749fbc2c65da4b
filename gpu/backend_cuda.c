/* The CUDA backend of the training engine (gpu/cuda.h): the idc_backend
 * table's host side. GEMMs go to cuBLAS, every other kernel to
 * gpu/kernels.cu through the launchers of gpu/cuda_impl.h. Compiled only
 * when the Makefile finds nvcc, into libidcheck-cuda.so, whose one exported
 * symbol (idc_gpu_plugin_v1, gpu/plugin_impl.h) gpu/cuda_loader.c finds
 * when a caller first asks for a device. */
#include "gpu/plugin_impl.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include "gpu/cuda_impl.h"
#include "gpu/flow_cuda_impl.h"
#include "gpu/gemm_map.h"
#include "gpu/launch.h"

/* Bytes of each of the two pinned staging buffers of host transfers. */
#define STAGE_BYTES ((size_t)4 << 20)
/* Doubles of workspace allocated up front (grown on demand). */
#define WS_INITIAL ((size_t)1 << 16)

typedef struct {
    idc_backend table; /* table.ctx points back to this struct */
    int device;
    int f64;
    size_t esize;
    cudaStream_t stream;
    cublasHandle_t blas;
    idc_gpu_math math;
    int sync_each; /* IDC_CUDA_SYNC=1: synchronise after every launch */
    pthread_mutex_t mu;
    int status; /* IDC_OK until a CUDA call fails */
    char msg[IDC_ERR_LEN];
    void *stage[2]; /* pinned host staging */
    cudaEvent_t stage_ev[2];
    unsigned next_stage;
    unsigned long long *idx_dev; /* gather_rows indices */
    size_t idx_cap;
    double *ws; /* reduction workspace */
    size_t ws_cap;
    double *sum_dev;  /* sqerr's sum */
    double *sum_host; /* pinned */
    char name[16];
    char devname[256];
} gpu;

static gpu *ctx_of(const idc_backend *be)
{
    return (gpu *)be->ctx;
}

/* ---------------------------------------------------------------------- */
/* Error recording                                                         */

static int record(gpu *g, int line, const char *what, const char *name, const char *text)
{
    if (g->status == IDC_OK) {
        g->status = IDC_EIO;
        snprintf(g->msg, sizeof g->msg, "gpu/backend_cuda.c:%d: %.160s: %.80s (%.200s)", line, what, name,
                 text);
    }
    return 1;
}

/* Returns 0 for cudaSuccess, else records the first error and returns 1. */
static int rt_check(gpu *g, cudaError_t e, const char *what, int line)
{
    if (e == cudaSuccess)
        return 0;
    return record(g, line, what, cudaGetErrorName(e), cudaGetErrorString(e));
}

static int blas_check(gpu *g, cublasStatus_t e, const char *what, int line)
{
    if (e == CUBLAS_STATUS_SUCCESS)
        return 0;
    return record(g, line, what, cublasGetStatusName(e), cublasGetStatusString(e));
}

/* A launcher's status, then (IDC_CUDA_SYNC=1) the stream's. */
static int launch_check(gpu *g, cudaError_t e, const char *what, int line)
{
    if (rt_check(g, e, what, line))
        return 1;
    if (g->sync_each)
        return rt_check(g, cudaStreamSynchronize(g->stream), what, line);
    return 0;
}

#define RT(g, call) rt_check((g), (call), #call, __LINE__)
#define BLAS(g, call) blas_check((g), (call), #call, __LINE__)
#define LAUNCH(g, call) launch_check((g), (call), #call, __LINE__)

/* Takes the table's lock and makes its device current; 0 when the table
 * may work (no earlier error), 1 otherwise (the lock is held either way). */
static int enter(gpu *g)
{
    pthread_mutex_lock(&g->mu);
    if (g->status != IDC_OK)
        return 1;
    return RT(g, cudaSetDevice(g->device));
}

static void leave(gpu *g)
{
    pthread_mutex_unlock(&g->mu);
}

/* ---------------------------------------------------------------------- */
/* Buffers                                                                 */

/* Makes the workspace hold at least `doubles` doubles (grows rarely: the
 * first call of each larger shape; the free synchronises). 0 on success. */
static int ws_ensure(gpu *g, size_t doubles)
{
    if (g->ws_cap >= doubles)
        return 0;
    if (RT(g, cudaStreamSynchronize(g->stream)) || RT(g, cudaFree(g->ws)))
        return 1;
    g->ws = NULL;
    g->ws_cap = 0;
    size_t cap = doubles + doubles / 2;
    if (RT(g, cudaMalloc((void **)&g->ws, cap * sizeof(double))))
        return 1;
    g->ws_cap = cap;
    return 0;
}

static int idx_ensure(gpu *g, size_t rows)
{
    if (g->idx_cap >= rows)
        return 0;
    if (RT(g, cudaStreamSynchronize(g->stream)) || RT(g, cudaFree(g->idx_dev)))
        return 1;
    g->idx_dev = NULL;
    g->idx_cap = 0;
    if (RT(g, cudaMalloc((void **)&g->idx_dev, rows * sizeof *g->idx_dev)))
        return 1;
    g->idx_cap = rows;
    return 0;
}

/* The next pinned staging buffer, once the copy that last used it is done. */
static void *stage_take(gpu *g, unsigned *slot)
{
    unsigned s = g->next_stage;
    g->next_stage ^= 1u;
    if (RT(g, cudaEventSynchronize(g->stage_ev[s])))
        return NULL;
    *slot = s;
    return g->stage[s];
}

/* Queues the copy of staging buffer `slot` (bytes) to dst and marks it. */
static int stage_send(gpu *g, unsigned slot, void *dst, size_t bytes)
{
    return RT(g, cudaMemcpyAsync(dst, g->stage[slot], bytes, cudaMemcpyHostToDevice, g->stream)) ||
           RT(g, cudaEventRecord(g->stage_ev[slot], g->stream));
}

/* ---------------------------------------------------------------------- */
/* The kernel table                                                        */

static void *g_alloc(const idc_backend *be, size_t n)
{
    gpu *g = ctx_of(be);
    void *p = NULL;
    if (enter(g) || n > SIZE_MAX / g->esize) {
        leave(g);
        return NULL;
    }
    size_t bytes = (n == 0 ? 1 : n) * g->esize;
    cudaError_t e = cudaMalloc(&p, bytes);
    if (e == cudaErrorMemoryAllocation) {
        (void)cudaGetLastError(); /* out of memory: not a backend failure */
        p = NULL;
    } else if (RT(g, e)) {
        p = NULL;
    } else if (RT(g, cudaMemsetAsync(p, 0, bytes, g->stream))) {
        (void)cudaFree(p);
        p = NULL;
    }
    leave(g);
    return p;
}

static void g_release(const idc_backend *be, void *p)
{
    if (p == NULL)
        return;
    gpu *g = ctx_of(be);
    pthread_mutex_lock(&g->mu);
    /* queued work may still use p; also after an error: best effort */
    cudaError_t e = cudaStreamSynchronize(g->stream);
    if (e == cudaSuccess)
        e = cudaFree(p);
    else
        (void)cudaFree(p);
    if (g->status == IDC_OK)
        RT(g, e);
    pthread_mutex_unlock(&g->mu);
}

static void g_set_d(const idc_backend *be, void *dst, const double *src, size_t n)
{
    gpu *g = ctx_of(be);
    if (enter(g)) {
        leave(g);
        return;
    }
    size_t per = STAGE_BYTES / g->esize;
    for (size_t off = 0; off < n; off += per) {
        size_t cnt = n - off < per ? n - off : per;
        unsigned slot = 0;
        void *h = stage_take(g, &slot);
        if (h == NULL)
            break;
        if (g->f64) {
            memcpy(h, src + off, cnt * sizeof(double));
        } else {
            float *f = h;
            for (size_t i = 0; i < cnt; i++)
                f[i] = (float)src[off + i];
        }
        if (stage_send(g, slot, (char *)dst + off * g->esize, cnt * g->esize))
            break;
    }
    leave(g);
}

static void g_get_d(const idc_backend *be, double *dst, const void *src, size_t n)
{
    gpu *g = ctx_of(be);
    size_t done = 0;
    if (!enter(g)) {
        size_t per = STAGE_BYTES / g->esize;
        while (done < n) {
            size_t cnt = n - done < per ? n - done : per;
            unsigned slot = 0;
            void *h = stage_take(g, &slot);
            if (h == NULL ||
                RT(g, cudaMemcpyAsync(h, (const char *)src + done * g->esize, cnt * g->esize,
                                      cudaMemcpyDeviceToHost, g->stream)) ||
                RT(g, cudaStreamSynchronize(g->stream)))
                break;
            if (g->f64) {
                memcpy(dst + done, h, cnt * sizeof(double));
            } else {
                const float *f = h;
                for (size_t i = 0; i < cnt; i++)
                    dst[done + i] = (double)f[i];
            }
            done += cnt;
        }
    }
    for (; done < n; done++)
        dst[done] = NAN; /* the device failed: nothing to trust */
    leave(g);
}

static void g_copy(const idc_backend *be, void *dst, const void *src, size_t n)
{
    gpu *g = ctx_of(be);
    if (!enter(g) && n > 0)
        RT(g, cudaMemcpyAsync(dst, src, n * g->esize, cudaMemcpyDeviceToDevice, g->stream));
    leave(g);
}

static void g_gather_rows(const idc_backend *be, void *dst, const void *src, size_t cols, const size_t *idx,
                          size_t rows)
{
    gpu *g = ctx_of(be);
    if (enter(g) || rows == 0 || cols == 0) {
        leave(g);
        return;
    }
    size_t first = idx[0], r = 1;
    while (r < rows && idx[r] == first)
        r++;
    if (r == rows) {
        /* one source row (the dense layers' bias broadcast): no upload */
        LAUNCH(g, idc_gpuk_broadcast(g->stream, g->f64, dst, (const char *)src + first * cols * g->esize,
                                     cols, rows));
        leave(g);
        return;
    }
    if (idx_ensure(g, rows)) {
        leave(g);
        return;
    }
    size_t per = STAGE_BYTES / sizeof(unsigned long long);
    for (size_t off = 0; off < rows; off += per) {
        size_t cnt = rows - off < per ? rows - off : per;
        unsigned slot = 0;
        unsigned long long *h = stage_take(g, &slot);
        if (h == NULL)
            break;
        for (size_t i = 0; i < cnt; i++)
            h[i] = (unsigned long long)idx[off + i];
        if (stage_send(g, slot, g->idx_dev + off, cnt * sizeof *h)) {
            leave(g);
            return;
        }
    }
    if (g->status == IDC_OK)
        LAUNCH(g, idc_gpuk_gather(g->stream, g->f64, dst, src, cols, g->idx_dev, rows));
    leave(g);
}

static void g_gemm(const idc_backend *be, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                   double alpha, const void *a, size_t lda, const void *b, size_t ldb, double beta, void *c,
                   size_t ldc)
{
    gpu *g = ctx_of(be);
    if (enter(g)) {
        leave(g);
        return;
    }
    idc_gpu_gemm_cm cm;
    idc_err e;
    if (idc_gpu_gemm_map(&cm, trans_a, trans_b, m, n, k, lda, ldb, ldc, &e) != IDC_OK) {
        record(g, __LINE__, "gemm", "bad arguments", e.msg);
        leave(g);
        return;
    }
    cublasOperation_t o1 = cm.trans_first ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t o2 = cm.trans_second ? CUBLAS_OP_T : CUBLAS_OP_N;
    const void *first = cm.swap ? b : a, *second = cm.swap ? a : b;
    if (g->f64) {
        double al = alpha, bt = beta;
        BLAS(g, cublasDgemm(g->blas, o1, o2, cm.m, cm.n, cm.k, &al, first, cm.ld_first, second, cm.ld_second,
                            &bt, c, cm.ldc));
    } else {
        float al = (float)alpha, bt = (float)beta;
        BLAS(g, cublasSgemm(g->blas, o1, o2, cm.m, cm.n, cm.k, &al, first, cm.ld_first, second, cm.ld_second,
                            &bt, c, cm.ldc));
    }
    if (g->sync_each && g->status == IDC_OK)
        RT(g, cudaStreamSynchronize(g->stream));
    leave(g);
}

static void g_add_bias(const idc_backend *be, void *y, const void *b, size_t rows, size_t cols)
{
    gpu *g = ctx_of(be);
    if (!enter(g))
        LAUNCH(g, idc_gpuk_add_bias(g->stream, g->f64, y, b, rows, cols));
    leave(g);
}

static void g_sum_rows(const idc_backend *be, void *out, const void *y, size_t rows, size_t cols)
{
    gpu *g = ctx_of(be);
    if (!enter(g) && !ws_ensure(g, idc_gpu_workspace_doubles(rows, cols)))
        LAUNCH(g, idc_gpuk_sum_rows(g->stream, g->f64, out, y, rows, cols, g->ws));
    leave(g);
}

static void g_leaky_fwd(const idc_backend *be, void *y, const void *x, size_t n, double slope)
{
    gpu *g = ctx_of(be);
    if (!enter(g))
        LAUNCH(g, idc_gpuk_leaky_fwd(g->stream, g->f64, y, x, n, slope));
    leave(g);
}

static void g_leaky_bwd(const idc_backend *be, void *dx, const void *dy, const void *y, size_t n,
                        double slope)
{
    gpu *g = ctx_of(be);
    if (!enter(g))
        LAUNCH(g, idc_gpuk_leaky_bwd(g->stream, g->f64, dx, dy, y, n, slope));
    leave(g);
}

static void g_bn_fwd_train(const idc_backend *be, void *y, void *xhat, void *invstd, void *run_mean,
                           void *run_var, const void *x, const void *gamma, const void *beta, size_t rows,
                           size_t cols, double eps, double momentum)
{
    gpu *g = ctx_of(be);
    if (!enter(g) && !ws_ensure(g, idc_gpu_workspace_doubles(rows, cols)))
        LAUNCH(g, idc_gpuk_bn_train(g->stream, g->f64, y, xhat, invstd, run_mean, run_var, x, gamma, beta,
                                    rows, cols, eps, momentum, g->ws));
    leave(g);
}

static void g_bn_fwd_eval(const idc_backend *be, void *y, const void *x, const void *gamma, const void *beta,
                          const void *run_mean, const void *run_var, size_t rows, size_t cols, double eps)
{
    gpu *g = ctx_of(be);
    if (!enter(g))
        LAUNCH(g, idc_gpuk_bn_eval(g->stream, g->f64, y, x, gamma, beta, run_mean, run_var, rows, cols, eps));
    leave(g);
}

static void g_bn_bwd(const idc_backend *be, void *dx, void *dgamma, void *dbeta, const void *dy,
                     const void *xhat, const void *invstd, const void *gamma, size_t rows, size_t cols)
{
    gpu *g = ctx_of(be);
    if (!enter(g) && !ws_ensure(g, idc_gpu_workspace_doubles(rows, cols)))
        LAUNCH(g, idc_gpuk_bn_bwd(g->stream, g->f64, dx, dgamma, dbeta, dy, xhat, invstd, gamma, rows, cols,
                                  g->ws));
    leave(g);
}

/* The one host-device synchronisation of a training step's kernels: the
 * interface returns the sum as a host double. */
static double g_sqerr(const idc_backend *be, void *grad, const void *y, const void *target, size_t n,
                      double scale, int accumulate)
{
    gpu *g = ctx_of(be);
    double r = NAN;
    if (!enter(g) && !ws_ensure(g, IDC_GPU_REDUCE_BLOCKS) &&
        !LAUNCH(
            g, idc_gpuk_sqerr(g->stream, g->f64, grad, y, target, n, scale, accumulate, g->ws, g->sum_dev, 1.0)) &&
        !RT(g, cudaMemcpyAsync(g->sum_host, g->sum_dev, sizeof(double), cudaMemcpyDeviceToHost, g->stream)) &&
        !RT(g, cudaStreamSynchronize(g->stream)))
        r = scale * *g->sum_host;
    leave(g);
    return r;
}

static void g_leaky_bwd_sum(const idc_backend *be, void *dx, void *dsum, const void *dy, const void *y,
                            size_t rows, size_t cols, double slope)
{
    gpu *g = ctx_of(be);
    if (!enter(g) && !ws_ensure(g, idc_gpu_workspace_doubles(rows, cols)))
        LAUNCH(g, idc_gpuk_leaky_bwd_sum(g->stream, g->f64, dx, dsum, dy, y, rows, cols, slope, g->ws));
    leave(g);
}

static void *g_alloc_sums(const idc_backend *be, size_t n)
{
    gpu *g = ctx_of(be);
    void *p = NULL;
    if (enter(g) || n > SIZE_MAX / sizeof(double)) {
        leave(g);
        return NULL;
    }
    size_t bytes = (n == 0 ? 1 : n) * sizeof(double);
    cudaError_t e = cudaMalloc(&p, bytes);
    if (e == cudaErrorMemoryAllocation) {
        (void)cudaGetLastError();
        p = NULL;
    } else if (RT(g, e)) {
        p = NULL;
    } else if (RT(g, cudaMemsetAsync(p, 0, bytes, g->stream))) {
        (void)cudaFree(p);
        p = NULL;
    }
    leave(g);
    return p;
}

static void g_read_sums(const idc_backend *be, double *dst, const void *sums, size_t n)
{
    gpu *g = ctx_of(be);
    size_t done = 0, per = STAGE_BYTES / sizeof(double);
    if (!enter(g))
        while (done < n) {
            size_t cnt = n - done < per ? n - done : per;
            unsigned slot = 0;
            void *h = stage_take(g, &slot);
            if (h == NULL ||
                RT(g, cudaMemcpyAsync(h, (const double *)sums + done, cnt * sizeof(double),
                                      cudaMemcpyDeviceToHost, g->stream)) ||
                RT(g, cudaStreamSynchronize(g->stream)))
                break;
            memcpy(dst + done, h, cnt * sizeof(double));
            done += cnt;
        }
    for (; done < n; done++)
        dst[done] = NAN;
    leave(g);
}

/* No wait: the sum stays on the device until read_sums. */
static void g_sqerr_sum(const idc_backend *be, void *grad, const void *y, const void *target, size_t n,
                        double scale, int accumulate, void *sums, size_t slot)
{
    gpu *g = ctx_of(be);
    if (!enter(g) && !ws_ensure(g, IDC_GPU_REDUCE_BLOCKS))
        LAUNCH(g, idc_gpuk_sqerr(g->stream, g->f64, grad, y, target, n, scale, accumulate, g->ws,
                                 (double *)sums + slot, scale));
    leave(g);
}

static void g_abs_sign(const idc_backend *be, void *dz, const void *z, size_t n, double w, void *sums,
                       size_t slot)
{
    gpu *g = ctx_of(be);
    if (!enter(g) && !ws_ensure(g, IDC_GPU_REDUCE_BLOCKS))
        LAUNCH(g, idc_gpuk_abs_sign(g->stream, g->f64, dz, z, n, w, g->ws, (double *)sums + slot));
    leave(g);
}

static void g_gather_random_rows(const idc_backend *be, void *dst, const void *src, size_t cols, idc_rng s,
                                 uint64_t k0, size_t rows, size_t n)
{
    gpu *g = ctx_of(be);
    if (!enter(g) && rows > 0 && cols > 0 && !idx_ensure(g, rows) &&
        !LAUNCH(g, idc_gpuk_random_idx(g->stream, g->idx_dev, s.seed, s.trial, s.purpose, k0, rows, n)))
        LAUNCH(g, idc_gpuk_gather(g->stream, g->f64, dst, src, cols, g->idx_dev, rows));
    leave(g);
}

static void g_adam(const idc_backend *be, void *p, void *m, void *v, const void *gr, size_t n, double lr,
                   double b1, double b2, double eps, double bc1, double bc2)
{
    gpu *g = ctx_of(be);
    /* the CPU kernel's two per-call constants, computed the same way */
    double step = lr / bc1, sbc2 = sqrt(bc2);
    if (!enter(g))
        LAUNCH(g, idc_gpuk_adam(g->stream, g->f64, p, m, v, gr, n, step, b1, b2, eps, sbc2));
    leave(g);
}

/* ---------------------------------------------------------------------- */
/* Construction                                                            */

static int cu_device_count(idc_err *err)
{
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        const char *hint = e == cudaErrorInsufficientDriver || e == cudaErrorNoDevice
                               ? "; is an NVIDIA driver and GPU present?"
                               : "";
        idc_err_set(err, IDC_EUNABLE, "no CUDA device: cudaGetDeviceCount: %s (%s%s)", cudaGetErrorName(e),
                    cudaGetErrorString(e), hint);
        return 0;
    }
    if (n <= 0) {
        idc_err_set(err, IDC_EUNABLE, "no CUDA device: the driver reports none");
        return 0;
    }
    return n;
}

static cublasMath_t math_mode(idc_gpu_math m)
{
    switch (m) {
    case IDC_GPU_MATH_TF32: return CUBLAS_TF32_TENSOR_OP_MATH;
    case IDC_GPU_MATH_PEDANTIC: return CUBLAS_PEDANTIC_MATH;
    default: return CUBLAS_DEFAULT_MATH;
    }
}

static void gpu_destroy(gpu *g)
{
    (void)cudaSetDevice(g->device);
    if (g->stream != NULL)
        (void)cudaStreamSynchronize(g->stream);
    if (g->blas != NULL)
        (void)cublasDestroy(g->blas);
    for (int i = 0; i < 2; i++) {
        if (g->stage_ev[i] != NULL)
            (void)cudaEventDestroy(g->stage_ev[i]);
        if (g->stage[i] != NULL)
            (void)cudaFreeHost(g->stage[i]);
    }
    if (g->sum_host != NULL)
        (void)cudaFreeHost(g->sum_host);
    (void)cudaFree(g->sum_dev);
    (void)cudaFree(g->ws);
    (void)cudaFree(g->idx_dev);
    if (g->stream != NULL)
        (void)cudaStreamDestroy(g->stream);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

static int env_is(const char *name, const char *value)
{
    const char *v = getenv(name);
    return v != NULL && strcmp(v, value) == 0;
}

static idc_backend *cu_backend_new(idc_dtype dt, int device, idc_err *err)
{
    int count = cu_device_count(err);
    if (count == 0)
        return NULL;
    if (device < 0 || device >= count) {
        idc_err_set(err, IDC_EINVAL, "gpu.device: must be in 0..%d, got %d", count - 1, device);
        return NULL;
    }
    gpu *g = calloc(1, sizeof *g);
    if (g == NULL) {
        idc_err_set(err, IDC_ENOMEM, "gpu: out of memory");
        return NULL;
    }
    pthread_mutex_init(&g->mu, NULL);
    g->device = device;
    g->f64 = dt == IDC_DTYPE_F64;
    g->esize = g->f64 ? sizeof(double) : sizeof(float);
    g->sync_each = env_is("IDC_CUDA_SYNC", "1");
    g->math = env_is("IDC_CUDA_MATH", "tf32")       ? IDC_GPU_MATH_TF32
              : env_is("IDC_CUDA_MATH", "pedantic") ? IDC_GPU_MATH_PEDANTIC
                                                    : IDC_GPU_MATH_DEFAULT;
    snprintf(g->name, sizeof g->name, "cuda-%s", g->f64 ? "f64" : "f32");
    struct cudaDeviceProp prop;
    int fail = RT(g, cudaSetDevice(device)) || RT(g, cudaGetDeviceProperties(&prop, device)) ||
               RT(g, cudaStreamCreateWithFlags(&g->stream, cudaStreamNonBlocking)) ||
               BLAS(g, cublasCreate(&g->blas)) || BLAS(g, cublasSetStream(g->blas, g->stream)) ||
               BLAS(g, cublasSetMathMode(g->blas, math_mode(g->math)));
    for (int i = 0; i < 2 && !fail; i++)
        fail = RT(g, cudaMallocHost(&g->stage[i], STAGE_BYTES)) ||
               RT(g, cudaEventCreateWithFlags(&g->stage_ev[i], cudaEventDisableTiming));
    fail = fail || RT(g, cudaMallocHost((void **)&g->sum_host, sizeof(double))) ||
           RT(g, cudaMalloc((void **)&g->sum_dev, sizeof(double))) ||
           RT(g, cudaMalloc((void **)&g->ws, WS_INITIAL * sizeof(double)));
    if (fail) {
        idc_err_set(err, IDC_EIO, "gpu: cannot set up device %d: %.440s", device, g->msg);
        gpu_destroy(g);
        return NULL;
    }
    g->ws_cap = WS_INITIAL;
    snprintf(g->devname, sizeof g->devname, "%s", prop.name);
    idc_backend *t = &g->table;
    t->name = g->name;
    t->dtype = dt;
    t->ctx = g;
    t->alloc = g_alloc;
    t->release = g_release;
    t->set_d = g_set_d;
    t->get_d = g_get_d;
    t->copy = g_copy;
    t->gather_rows = g_gather_rows;
    t->gather_random_rows = g_gather_random_rows;
    t->gemm = g_gemm;
    t->alloc_sums = g_alloc_sums;
    t->read_sums = g_read_sums;
    t->sqerr_sum = g_sqerr_sum;
    t->abs_sign = g_abs_sign;
    t->add_bias = g_add_bias;
    t->sum_rows = g_sum_rows;
    t->leaky_fwd = g_leaky_fwd;
    t->leaky_bwd = g_leaky_bwd;
    t->leaky_bwd_sum = g_leaky_bwd_sum;
    t->bn_fwd_train = g_bn_fwd_train;
    t->bn_fwd_eval = g_bn_fwd_eval;
    t->bn_bwd = g_bn_bwd;
    t->sqerr = g_sqerr;
    t->adam = g_adam;
    return t;
}

static void cu_backend_free(idc_backend *be)
{
    if (be == NULL || be->alloc != g_alloc)
        return;
    gpu_destroy(ctx_of(be));
}

static pthread_mutex_t shared_mu = PTHREAD_MUTEX_INITIALIZER;
static idc_backend *shared[2];

static const idc_backend *cu_backend_shared(idc_dtype dt, idc_err *err)
{
    int i = dt == IDC_DTYPE_F64;
    pthread_mutex_lock(&shared_mu);
    if (shared[i] == NULL)
        shared[i] = cu_backend_new(dt, 0, err);
    idc_backend *be = shared[i];
    pthread_mutex_unlock(&shared_mu);
    return be;
}

static void cu_shutdown(void)
{
    pthread_mutex_lock(&shared_mu);
    for (int i = 0; i < 2; i++) {
        cu_backend_free(shared[i]);
        shared[i] = NULL;
    }
    pthread_mutex_unlock(&shared_mu);
}

static int cu_is_cuda(const idc_backend *be)
{
    return be != NULL && be->alloc == g_alloc;
}

static int cu_status(const idc_backend *be, idc_err *err)
{
    if (!cu_is_cuda(be))
        return idc_err_set(err, IDC_EINVAL, "gpu: not a CUDA backend");
    gpu *g = ctx_of(be);
    pthread_mutex_lock(&g->mu);
    int rc = g->status;
    if (rc != IDC_OK)
        idc_err_set(err, rc, "%s", g->msg);
    pthread_mutex_unlock(&g->mu);
    return rc;
}

static int cu_sync(const idc_backend *be, idc_err *err)
{
    if (!cu_is_cuda(be))
        return idc_err_set(err, IDC_EINVAL, "gpu: not a CUDA backend");
    gpu *g = ctx_of(be);
    if (!enter(g))
        RT(g, cudaStreamSynchronize(g->stream));
    leave(g);
    return cu_status(be, err);
}

static const char *cu_device_name(const idc_backend *be)
{
    return cu_is_cuda(be) ? ctx_of(be)->devname : "";
}

static int cu_set_math(const idc_backend *be, idc_gpu_math mode, idc_err *err)
{
    if (!cu_is_cuda(be))
        return idc_err_set(err, IDC_EINVAL, "gpu: not a CUDA backend");
    if (mode != IDC_GPU_MATH_DEFAULT && mode != IDC_GPU_MATH_TF32 && mode != IDC_GPU_MATH_PEDANTIC)
        return idc_err_set(err, IDC_EINVAL, "gpu.math: unknown mode %d", (int)mode);
    gpu *g = ctx_of(be);
    if (!enter(g) && !BLAS(g, cublasSetMathMode(g->blas, math_mode(mode))))
        g->math = mode;
    leave(g);
    return cu_status(be, err);
}

static idc_gpu_math cu_get_math(const idc_backend *be)
{
    return cu_is_cuda(be) ? ctx_of(be)->math : IDC_GPU_MATH_DEFAULT;
}

/* ---------------------------------------------------------------------- */
/* The library's one exported symbol (gpu/plugin_impl.h)                   */

static const idc_gpu_plugin plugin = {
    .abi = IDC_GPU_PLUGIN_ABI,
    .version = IDC_VERSION,
    .backend_size = sizeof(idc_backend),
    .err_size = sizeof(idc_err),
    .device_count = cu_device_count,
    .backend_shared = cu_backend_shared,
    .shutdown = cu_shutdown,
    .backend_new = cu_backend_new,
    .backend_free = cu_backend_free,
    .is_cuda = cu_is_cuda,
    .status = cu_status,
    .sync = cu_sync,
    .device_name = cu_device_name,
    .set_math = cu_set_math,
    .get_math = cu_get_math,
    .rowp_size = sizeof(idc_flow_rowp),
    .flow_new = cuf_flow_new,
    .flow_free = cuf_flow_free,
    .flow_rows = cuf_flow_rows,
    .flow_sums = cuf_flow_sums,
};

const idc_gpu_plugin *idc_gpu_plugin_v1(void)
{
    return &plugin;
}
