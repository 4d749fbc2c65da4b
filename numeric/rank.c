#include "numeric/rank.h"

#include <math.h>

/* Stable bottom-up merge sort of the index array idx[0..n) by key
 * x[idx * stride]; tmp is n size_t of scratch. Leaves the result in idx. */
static void sort_index(size_t *idx, size_t *tmp, const double *x, size_t n, size_t stride)
{
    size_t *src = idx, *dst = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi)
                dst[o++] = x[src[b] * stride] < x[src[a] * stride] ? src[b++] : src[a++];
            while (a < mid)
                dst[o++] = src[a++];
            while (b < hi)
                dst[o++] = src[b++];
        }
        size_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != idx)
        for (size_t i = 0; i < n; i++)
            idx[i] = src[i];
}

int idc_rank_average(double *rank, double *tie_sum, const double *x, size_t n, size_t stride, size_t *work,
                     idc_err *err)
{
    if (tie_sum != NULL)
        *tie_sum = 0.0;
    if (n == 0)
        return IDC_OK;
    if (rank == NULL || x == NULL || work == NULL)
        return idc_err_set(err, IDC_EINVAL, "rank: %s is NULL",
                           rank == NULL ? "rank"
                           : x == NULL  ? "x"
                                        : "work");
    if (stride == 0)
        return idc_err_set(err, IDC_EINVAL, "rank: stride is 0");
    for (size_t i = 0; i < n; i++)
        if (isnan(x[i * stride]))
            return idc_err_set(err, IDC_EINVAL, "rank: x[%zu] is NaN", i);
    size_t *idx = work, *tmp = work + n;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    sort_index(idx, tmp, x, n, stride);
    double ties = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && x[idx[j] * stride] == x[idx[i] * stride])
            j++;
        /* positions i..j-1 hold ranks i+1..j: their mean is (i + 1 + j) / 2 */
        double r = 0.5 * ((double)i + 1.0 + (double)j), t = (double)(j - i);
        for (size_t k = i; k < j; k++)
            rank[idx[k]] = r;
        ties += t * t * t - t;
        i = j;
    }
    if (tie_sum != NULL)
        *tie_sum = ties;
    return IDC_OK;
}
