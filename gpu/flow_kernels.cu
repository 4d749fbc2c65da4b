/* The flow estimator's row sums on the device (gpu/cuda.h, idc_gpu_flow_sums):
 * the kernels and their launcher (gpu/cuda_impl.h). Status: written and
 * compiled, never run on a GPU.
 *
 * The per-row arithmetic is models/estimators/flow_row.h, the same text the
 * CPU runs (models/estimators/flow.c), compiled here as device functions with
 * --fmad=false. The sums over rows are the CPU's: the rows are cut into
 * blocks of IDC_FLOW_BLOCK rows at the same boundaries; k_flow_rows (one
 * thread per row) writes each row's terms into a zeroed slot of its own, one
 * addition per entry, and k_flow_blocksum (one thread per block and entry)
 * adds the slots of a block in row order, starting from 0, which is the
 * CPU's sequence of additions into its zeroed block sums. The host adds the
 * blocks in block order. No atomics: the result does not depend on the
 * launch shapes, the chunking below or the device's scheduling. */
#include <cuda_runtime.h>

#include "gpu/cuda_impl.h"
#include "models/estimators/flow_row.h"

#define THREADS 128

/* Row r of the chunk (rows row0 ..): its terms into slots + r * Q (zeroed),
 * and, for the evaluation sums, its log-likelihood into lp[row0 + r]. The
 * scratch is bounded by the template's sizes (MM >= m, MJ >= J, MT >= t). */
template <int MM, int MJ, int MT>
__global__ void k_flow_rows(idc_flow_rowp p, const double *X, size_t row0, size_t rows, size_t Q, int grad,
                            double bw, double *slots, double *lp)
{
    size_t r = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (r >= rows)
        return;
    double scr[(MT + MJ + 6) * MM + 2 * MJ];
    const double *x = X + (row0 + r) * p.m;
    double *slot = slots + r * Q;
    if (grad) {
        idc_flow_row_backward(&p, slot, 1, x, bw, scr);
    } else {
        double v = idc_flow_row_stats(&p, slot, 1, x, scr);
        if (lp != NULL)
            lp[row0 + r] = v;
    }
}

/* part[(b0 + b) * Q + e] = the sum, in row order from 0, of entry e of the
 * slots of the chunk's block b (rows b * IDC_FLOW_BLOCK .. of the chunk). */
__global__ void k_flow_blocksum(const double *slots, size_t rows, size_t Q, double *part, size_t b0)
{
    size_t nb = (rows + IDC_FLOW_BLOCK - 1) / IDC_FLOW_BLOCK, total = nb * Q;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        size_t b = i / Q, e = i - b * Q, lo = b * IDC_FLOW_BLOCK;
        size_t hi = lo + IDC_FLOW_BLOCK < rows ? lo + IDC_FLOW_BLOCK : rows;
        double acc = 0;
        for (size_t r = lo; r < hi; r++)
            acc += slots[r * Q + e];
        part[(b0 + b) * Q + e] = acc;
    }
}

extern "C" cudaError_t idc_gpuk_flow_sums(cudaStream_t st, const idc_flow_rowp *p, const double *X, size_t n,
                                          int grad, double bw, double *slots, size_t chunk, double *part,
                                          double *lp)
{
    if (chunk == 0 || chunk % IDC_FLOW_BLOCK != 0)
        return cudaErrorInvalidValue;
    size_t Q = grad ? idc_flow_row_rawsize(p->m, p->t, p->J) : idc_flow_row_statsize(p->m, p->t);
    int small = p->m <= 8 && p->J <= 8 && p->t <= 4;
    for (size_t row0 = 0; row0 < n; row0 += chunk) {
        size_t rows = n - row0 < chunk ? n - row0 : chunk;
        cudaError_t e = cudaMemsetAsync(slots, 0, rows * Q * sizeof(double), st);
        if (e != cudaSuccess)
            return e;
        unsigned grid = (unsigned)((rows + THREADS - 1) / THREADS);
        if (small)
            k_flow_rows<8, 8, 4><<<grid, THREADS, 0, st>>>(*p, X, row0, rows, Q, grad, bw, slots, lp);
        else
            k_flow_rows<IDC_FLOW_ROW_MAX_DIM, IDC_FLOW_ROW_MAX_J, IDC_FLOW_ROW_MAX_DEPTH>
                <<<grid, THREADS, 0, st>>>(*p, X, row0, rows, Q, grad, bw, slots, lp);
        if ((e = cudaGetLastError()) != cudaSuccess)
            return e;
        size_t total = (rows + IDC_FLOW_BLOCK - 1) / IDC_FLOW_BLOCK * Q;
        size_t g2 = (total + 255) / 256;
        k_flow_blocksum<<<(unsigned)(g2 < 65535 ? g2 : 65535), 256, 0, st>>>(slots, rows, Q, part,
                                                                              row0 / IDC_FLOW_BLOCK);
        if ((e = cudaGetLastError()) != cudaSuccess)
            return e;
    }
    return cudaGetLastError();
}
