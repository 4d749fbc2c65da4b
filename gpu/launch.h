/* Launch configurations of the CUDA backend's kernels (gpu/kernels.cu), as
 * pure C so that they are unit-tested on machines without a GPU.
 *
 * Every plan is a function of the shape alone (never of the device), so a
 * reduction adds its terms in the same order on every GPU: results are
 * bit-identical run to run, and the kernels' part of them is the same on
 * every device model too (cuBLAS's GEMMs are not: they depend on the
 * architecture and the number of multiprocessors).
 *
 * Elementwise kernels use grid-stride loops: thread t of block b handles
 * elements i = b * block + t, i + grid * block, ... < n. */
#ifndef IDC_GPU_LAUNCH_H
#define IDC_GPU_LAUNCH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Threads per block of the elementwise and sqerr kernels. */
#define IDC_GPU_BLOCK 256
/* Most blocks of a grid-stride elementwise launch. */
#define IDC_GPU_MAX_GRID 8192
/* Most blocks (partial sums) of the sqerr reduction. */
#define IDC_GPU_REDUCE_BLOCKS 1024
/* Threads of a column-reduction block (block_x * block_y). */
#define IDC_GPU_COL_THREADS 256
/* Most row chunks of a column reduction (partial sums per column). */
#define IDC_GPU_COL_CHUNKS 64
/* Fewest rows per chunk of a column reduction. */
#define IDC_GPU_COL_MIN_CHUNK 128

/* A one-dimensional launch: grid blocks of block threads (grid = 0: no
 * launch, n = 0). */
typedef struct {
    unsigned grid, block;
} idc_gpu_grid1d;

/* Elementwise kernels over n elements: block = IDC_GPU_BLOCK,
 * grid = min(ceil(n / block), IDC_GPU_MAX_GRID). */
idc_gpu_grid1d idc_gpu_plan_elementwise(size_t n);

/* The two-pass sum of n terms (sqerr): block = IDC_GPU_BLOCK,
 * grid = min(ceil(n / block), IDC_GPU_REDUCE_BLOCKS). Pass 1: thread t of
 * block b adds terms b*block + t, + grid*block, ... in ascending order,
 * then the block adds its threads' sums by a fixed binary tree (stride
 * block/2, block/4, ..., 1) into partial[b]; pass 2 (one block of `block`
 * threads) adds partial[t], partial[t + block], ... per thread, then the
 * same tree. */
idc_gpu_grid1d idc_gpu_plan_reduce(size_t n);

/* A column reduction of a rows x cols row-major matrix (sum_rows, the
 * batch-norm statistics and gradients). The rows are cut into nchunks
 * chunks of chunk_rows rows (the last may be shorter); block (bx, by) of a
 * grid of grid_x x grid_y blocks of block_x x block_y threads handles the
 * columns bx*block_x .. +block_x-1 of chunk by. Thread (tx, ty) adds rows
 * chunk_start + ty, + block_y, ... of its column in ascending order; the
 * block adds the block_y sums by a fixed binary tree into partial[by][col];
 * a second kernel adds partial[0..nchunks)[col] in ascending order.
 * block_x is the power of two >= cols capped at 32, block_y =
 * IDC_GPU_COL_THREADS / block_x (a power of two). */
typedef struct {
    unsigned grid_x, grid_y, block_x, block_y;
    size_t chunk_rows, nchunks;
} idc_gpu_colplan;

/* The plan for rows x cols (both >= 1): nchunks = min(IDC_GPU_COL_CHUNKS,
 * ceil(rows / IDC_GPU_COL_MIN_CHUNK)), chunk_rows = ceil(rows / nchunks),
 * then nchunks = ceil(rows / chunk_rows) so that no chunk is empty. */
idc_gpu_colplan idc_gpu_plan_columns(size_t rows, size_t cols);

/* Doubles of device workspace a call on rows x cols needs: the column
 * reductions' partial sums (two per column and chunk) and per-column
 * statistics (two per column), or the IDC_GPU_REDUCE_BLOCKS partial sums
 * of sqerr, whichever is more: max((2 nchunks + 2) cols,
 * IDC_GPU_REDUCE_BLOCKS). */
size_t idc_gpu_workspace_doubles(size_t rows, size_t cols);

#ifdef __cplusplus
}
#endif

#endif
