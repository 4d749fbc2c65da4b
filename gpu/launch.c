/* Launch configurations of the CUDA kernels (gpu/launch.h). */
#include "gpu/launch.h"

static size_t ceil_div(size_t a, size_t b)
{
    return a / b + (a % b != 0);
}

idc_gpu_grid1d idc_gpu_plan_elementwise(size_t n)
{
    idc_gpu_grid1d g = {0, IDC_GPU_BLOCK};
    size_t blocks = ceil_div(n, IDC_GPU_BLOCK);
    g.grid = (unsigned)(blocks < IDC_GPU_MAX_GRID ? blocks : IDC_GPU_MAX_GRID);
    return g;
}

idc_gpu_grid1d idc_gpu_plan_reduce(size_t n)
{
    idc_gpu_grid1d g = {0, IDC_GPU_BLOCK};
    size_t blocks = ceil_div(n, IDC_GPU_BLOCK);
    g.grid = (unsigned)(blocks < IDC_GPU_REDUCE_BLOCKS ? blocks : IDC_GPU_REDUCE_BLOCKS);
    return g;
}

idc_gpu_colplan idc_gpu_plan_columns(size_t rows, size_t cols)
{
    idc_gpu_colplan p;
    unsigned bx = 1;
    while (bx < 32 && bx < cols)
        bx <<= 1;
    p.block_x = bx;
    p.block_y = IDC_GPU_COL_THREADS / bx;
    size_t nch = ceil_div(rows, IDC_GPU_COL_MIN_CHUNK);
    if (nch > IDC_GPU_COL_CHUNKS)
        nch = IDC_GPU_COL_CHUNKS;
    if (nch < 1)
        nch = 1;
    p.chunk_rows = ceil_div(rows, nch);
    if (p.chunk_rows < 1)
        p.chunk_rows = 1;
    p.nchunks = ceil_div(rows, p.chunk_rows);
    if (p.nchunks < 1)
        p.nchunks = 1;
    p.grid_x = (unsigned)ceil_div(cols, bx);
    p.grid_y = (unsigned)p.nchunks;
    return p;
}

size_t idc_gpu_workspace_doubles(size_t rows, size_t cols)
{
    idc_gpu_colplan p = idc_gpu_plan_columns(rows, cols);
    size_t need = (2 * p.nchunks + 2) * cols;
    return need > IDC_GPU_REDUCE_BLOCKS ? need : IDC_GPU_REDUCE_BLOCKS;
}
