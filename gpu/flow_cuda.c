/* The flow evaluator of gpu/cuda.h (idc_gpu_flow_*) in libidcheck-cuda.so:
 * device buffers, transfers and the launcher of gpu/flow_kernels.cu. One
 * stream per evaluator; every call returns after its results are on the
 * host. Status: written and compiled, never run on a GPU. */
#include "gpu/flow_cuda_impl.h"

#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "gpu/cuda_impl.h"
#include "gpu/plugin_impl.h"

/* Bytes of the per-row slots of one chunk (the rows are done in chunks). */
#define SLOT_BYTES ((size_t)256 << 20)

struct idc_gpu_flow {
    int device;
    cudaStream_t stream;
    double *rows[IDC_GPU_FLOW_SLOTS];
    size_t n[IDC_GPU_FLOW_SLOTS], m[IDC_GPU_FLOW_SLOTS], cap[IDC_GPU_FLOW_SLOTS];
    double *par, *par_host; /* packed parameters (idc_flow_row_pack) */
    size_t par_cap;
    double *slots, *part, *lp;
    size_t slots_cap, part_cap, lp_cap;
};

/* IDC_OK, or the failure of a CUDA call in err (IDC_ENOMEM for a failed
 * allocation, IDC_EIO otherwise). */
static int check(cudaError_t e, const char *what, idc_err *err)
{
    if (e == cudaSuccess)
        return IDC_OK;
    (void)cudaGetLastError();
    return idc_err_set(err, e == cudaErrorMemoryAllocation ? IDC_ENOMEM : IDC_EIO, "gpu flow: %s: %s (%s)", what,
                       cudaGetErrorName(e), cudaGetErrorString(e));
}

/* *buf holds at least want doubles of device memory. */
static int ensure(double **buf, size_t *cap, size_t want, idc_err *err)
{
    if (*cap >= want)
        return IDC_OK;
    if (*buf != NULL)
        (void)cudaFree(*buf);
    *buf = NULL;
    *cap = 0;
    int rc = check(cudaMalloc((void **)buf, want * sizeof(double)), "cudaMalloc", err);
    if (rc == IDC_OK)
        *cap = want;
    return rc;
}

void cuf_flow_free(idc_gpu_flow *g)
{
    if (g == NULL)
        return;
    (void)cudaSetDevice(g->device);
    if (g->stream != NULL)
        (void)cudaStreamSynchronize(g->stream);
    for (int i = 0; i < IDC_GPU_FLOW_SLOTS; i++)
        (void)cudaFree(g->rows[i]);
    (void)cudaFree(g->par);
    (void)cudaFree(g->slots);
    (void)cudaFree(g->part);
    (void)cudaFree(g->lp);
    if (g->stream != NULL)
        (void)cudaStreamDestroy(g->stream);
    free(g->par_host);
    free(g);
}

idc_gpu_flow *cuf_flow_new(int device, idc_err *err)
{
    int count = idc_gpu_plugin_v1()->device_count(err);
    if (count == 0)
        return NULL;
    if (device < 0 || device >= count) {
        idc_err_set(err, IDC_EINVAL, "gpu.device: must be in 0..%d, got %d", count - 1, device);
        return NULL;
    }
    idc_gpu_flow *g = calloc(1, sizeof *g);
    if (g == NULL) {
        idc_err_set(err, IDC_ENOMEM, "gpu flow: out of memory");
        return NULL;
    }
    g->device = device;
    if (check(cudaSetDevice(device), "cudaSetDevice", err) != IDC_OK ||
        check(cudaStreamCreateWithFlags(&g->stream, cudaStreamNonBlocking), "cudaStreamCreate", err) != IDC_OK) {
        cuf_flow_free(g);
        return NULL;
    }
    return g;
}

int cuf_flow_rows(idc_gpu_flow *g, unsigned slot, const double *x, size_t n, size_t m, idc_err *err)
{
    g->n[slot] = 0;
    int rc = check(cudaSetDevice(g->device), "cudaSetDevice", err);
    if (rc == IDC_OK)
        rc = ensure(&g->rows[slot], &g->cap[slot], n * m, err);
    if (rc == IDC_OK)
        rc = check(cudaMemcpyAsync(g->rows[slot], x, n * m * sizeof *x, cudaMemcpyHostToDevice, g->stream),
                   "cudaMemcpyAsync (rows)", err);
    if (rc == IDC_OK)
        rc = check(cudaStreamSynchronize(g->stream), "cudaStreamSynchronize", err);
    if (rc == IDC_OK) {
        g->n[slot] = n;
        g->m[slot] = m;
    }
    return rc;
}

int cuf_flow_sums(idc_gpu_flow *g, unsigned slot, const idc_flow_rowp *p, int grad, double bw, double *part,
                  double *lp, idc_err *err)
{
    size_t n = g->n[slot], m = p->m, t = p->t, J = p->J;
    if (n == 0 || g->m[slot] != m)
        return idc_err_set(err, IDC_EINVAL, "gpu flow sums: slot %u holds %zu rows of width %zu, not rows of width %zu",
                           slot, n, g->m[slot], m);
    size_t Q = grad ? idc_flow_row_rawsize(m, t, J) : idc_flow_row_statsize(m, t);
    size_t nb = (n + IDC_FLOW_BLOCK - 1) / IDC_FLOW_BLOCK, np = idc_flow_row_packsize(m, t, J);
    size_t chunk = SLOT_BYTES / (Q * sizeof(double)) / IDC_FLOW_BLOCK * IDC_FLOW_BLOCK;
    if (chunk < IDC_FLOW_BLOCK)
        chunk = IDC_FLOW_BLOCK;
    if (chunk > nb * IDC_FLOW_BLOCK)
        chunk = nb * IDC_FLOW_BLOCK;
    int rc = check(cudaSetDevice(g->device), "cudaSetDevice", err);
    if (rc == IDC_OK && g->par_cap < np) {
        double *h = realloc(g->par_host, np * sizeof *h);
        if (h == NULL)
            return idc_err_set(err, IDC_ENOMEM, "gpu flow: out of memory");
        g->par_host = h;
        rc = ensure(&g->par, &g->par_cap, np, err);
    }
    if (rc == IDC_OK)
        rc = ensure(&g->slots, &g->slots_cap, chunk * Q, err);
    if (rc == IDC_OK)
        rc = ensure(&g->part, &g->part_cap, nb * Q, err);
    if (rc == IDC_OK && !grad && lp != NULL)
        rc = ensure(&g->lp, &g->lp_cap, n, err);
    if (rc != IDC_OK)
        return rc;
    idc_flow_row_pack(p, g->par_host);
    idc_flow_rowp q = idc_flow_row_packed(p, g->par); /* device pointers */
    rc = check(cudaMemcpyAsync(g->par, g->par_host, np * sizeof(double), cudaMemcpyHostToDevice, g->stream),
               "cudaMemcpyAsync (parameters)", err);
    if (rc == IDC_OK)
        rc = check(idc_gpuk_flow_sums(g->stream, &q, g->rows[slot], n, grad, bw, g->slots, chunk, g->part,
                                      !grad && lp != NULL ? g->lp : NULL),
                   "idc_gpuk_flow_sums", err);
    if (rc == IDC_OK)
        rc = check(cudaMemcpyAsync(part, g->part, nb * Q * sizeof(double), cudaMemcpyDeviceToHost, g->stream),
                   "cudaMemcpyAsync (block sums)", err);
    if (rc == IDC_OK && !grad && lp != NULL)
        rc = check(cudaMemcpyAsync(lp, g->lp, n * sizeof(double), cudaMemcpyDeviceToHost, g->stream),
                   "cudaMemcpyAsync (log p)", err);
    if (rc == IDC_OK)
        rc = check(cudaStreamSynchronize(g->stream), "cudaStreamSynchronize", err);
    return rc;
}
