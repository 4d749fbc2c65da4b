/* Row-major GEMM arguments to a column-major call (gpu/gemm_map.h). */
#include "gpu/gemm_map.h"

#include <limits.h>

static size_t at_least_1(size_t v)
{
    return v < 1 ? 1 : v;
}

int idc_gpu_gemm_map(idc_gpu_gemm_cm *out, int trans_a, int trans_b, size_t m, size_t n, size_t k, size_t lda,
                     size_t ldb, size_t ldc, idc_err *err)
{
    const size_t big = (size_t)INT_MAX;
    if (m > big || n > big || k > big || lda > big || ldb > big || ldc > big)
        return idc_err_set(err, IDC_EINVAL, "gpu.gemm: a size or leading dimension exceeds %d", INT_MAX);
    if (lda < at_least_1(trans_a ? m : k))
        return idc_err_set(err, IDC_EINVAL, "gpu.gemm.lda: %zu is below %zu", lda,
                           at_least_1(trans_a ? m : k));
    if (ldb < at_least_1(trans_b ? k : n))
        return idc_err_set(err, IDC_EINVAL, "gpu.gemm.ldb: %zu is below %zu", ldb,
                           at_least_1(trans_b ? k : n));
    if (ldc < at_least_1(n))
        return idc_err_set(err, IDC_EINVAL, "gpu.gemm.ldc: %zu is below %zu", ldc, at_least_1(n));
    out->trans_first = trans_b != 0;
    out->trans_second = trans_a != 0;
    out->m = (int)n;
    out->n = (int)m;
    out->k = (int)k;
    out->swap = 1;
    out->ld_first = (int)ldb;
    out->ld_second = (int)lda;
    out->ldc = (int)ldc;
    return IDC_OK;
}
