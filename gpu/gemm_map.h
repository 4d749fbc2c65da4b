/* The row-major GEMM of the idc_backend interface mapped onto a
 * column-major BLAS call (cuBLAS), as pure C so that it is unit-tested
 * against CBLAS on machines without a GPU.
 *
 * A row-major matrix with leading dimension ld is, read column-major with
 * the same ld, its transpose. So row-major C = op(A) op(B) (m x n) is
 * column-major C^T = op(B)^T op(A)^T (n x m): the column-major call takes
 * B first with B's transpose flag, A second with A's, and swaps m and n;
 * k and the leading dimensions are unchanged. */
#ifndef IDC_GPU_GEMM_MAP_H
#define IDC_GPU_GEMM_MAP_H

#include <stddef.h>

#include "numeric/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A column-major call C = alpha op(first) op(second) + beta C of an
 * m x n C, where first is the row-major call's B when swap is set (always,
 * in this mapping: the field documents it) and op(X) = X^T when trans_X. */
typedef struct {
    int trans_first, trans_second;
    int m, n, k;
    int swap;
    int ld_first, ld_second, ldc;
} idc_gpu_gemm_cm;

/* Fills out with the column-major call equivalent to the row-major call
 * (trans_a, trans_b, m, n, k, lda, ldb, ldc) of idc_backend.gemm.
 * IDC_EINVAL (out unchanged) when a size or leading dimension exceeds
 * INT_MAX, or a leading dimension is below what row-major CBLAS requires
 * (lda >= max(1, trans_a ? m : k), ldb >= max(1, trans_b ? k : n),
 * ldc >= max(1, n)). */
int idc_gpu_gemm_map(idc_gpu_gemm_cm *out, int trans_a, int trans_b, size_t m, size_t n, size_t k, size_t lda,
                     size_t ldb, size_t ldc, idc_err *err);

#ifdef __cplusplus
}
#endif

#endif
