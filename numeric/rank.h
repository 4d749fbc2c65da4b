/* Average ranks (the "mid-ranks" of rank statistics), shared by the Spearman
 * MCC (numeric/metric.h) and the Wilcoxon signed-rank test
 * (numeric/wilcoxon.h).
 *
 * The rank of x_i among x_0..x_{n-1} is 1 + #{j : x_j < x_i} when x_i is
 * unique; a group of t equal values that would occupy ranks r+1..r+t all get
 * their mean r + (t + 1) / 2. The sum of the ranks is always n (n + 1) / 2,
 * and sum over tie groups of (t^3 - t) is the usual tie correction. */
#ifndef IDC_NUMERIC_RANK_H
#define IDC_NUMERIC_RANK_H

#include <stddef.h>

#include "numeric/status.h"

/* Sets rank[i] (i < n) to the average rank of x[i * stride] among
 * x[0], x[stride], ..., x[(n - 1) * stride], and, when tie_sum is not NULL,
 * *tie_sum to sum over groups of equal values of (t^3 - t) (0 when all
 * values are distinct). Entries must not be NaN (infinities rank as usual).
 * work holds 2 n size_t (caller-allocated; no allocation inside).
 * rank must not alias x. Cost: O(n log n) (a stable merge sort).
 * Statuses: IDC_OK; IDC_EINVAL for n > 0 with a NULL array, stride 0, or a
 * NaN entry (message names the index). */
int idc_rank_average(double *rank, double *tie_sum, const double *x, size_t n, size_t stride, size_t *work,
                     idc_err *err) __attribute__((warn_unused_result));

#endif
