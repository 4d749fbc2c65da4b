/* The Wilcoxon signed-rank test for paired samples (THEORY.md §6, W:
 * comparing models run by run, e.g. the per-seed MCCs of two estimators).
 *
 * Differences d_i = x_i - y_i (or d_i = x_i for a one-sample test). Zero
 * differences are dropped (Wilcoxon's original convention; n_used counts the
 * rest). The |d_i| are ranked with average ranks for ties (numeric/rank.h);
 * the statistic is W+ = sum of the ranks of the positive d_i, and
 * W- = n_used (n_used + 1) / 2 - W+.
 *
 * Null hypothesis: the d_i are symmetric about 0. Two-sided p-value:
 *  - exact, when n_used <= IDC_WILCOXON_EXACT_MAX and no |d_i| are tied:
 *    under H0 each rank 1..n carries a + sign independently with
 *    probability 1/2, so P(W+ = w) = c_n(w) / 2^n with c_n(w) the number of
 *    subsets of {1..n} summing to w, counted by the dynamic programme
 *    c_k(w) = c_{k-1}(w) + c_{k-1}(w - k) (exact in doubles: c_n(w) <=
 *    2^50). p = min(1, 2 min(P(W+ <= w), P(W+ >= w))), and
 *    P(W+ >= w) = P(W+ <= n(n+1)/2 - w) by symmetry;
 *  - normal approximation otherwise (n_used > 50, or ties among |d_i|, whose
 *    exact null distribution the table above does not describe):
 *    E W+ = n(n+1)/4, Var W+ = n(n+1)(2n+1)/24 - sum_ties (t^3 - t)/48,
 *    z = max(0, |W+ - E W+| - 1/2) / sqrt(Var W+) (with the continuity
 *    correction, as R's wilcox.test(correct = TRUE)), p = erfc(z / sqrt 2).
 * With no nonzero difference (n_used = 0) W+ = 0 and p = 1 (exact: the null
 * distribution is the point mass at 0). */
#ifndef IDC_NUMERIC_WILCOXON_H
#define IDC_NUMERIC_WILCOXON_H

#include <stddef.h>

#include "numeric/status.h"

/* Largest n_used for which the exact null distribution is used. */
#define IDC_WILCOXON_EXACT_MAX 50
size_t idc_wilcoxon_exact_max(void);

typedef enum { IDC_WILCOXON_EXACT = 0, IDC_WILCOXON_NORMAL = 1 } idc_wilcoxon_method;

typedef struct {
    size_t n;                   /* pairs given */
    size_t n_zero;              /* zero differences, dropped */
    size_t n_used;              /* n - n_zero */
    int ties;                   /* 1 when some nonzero |d_i| are equal */
    double w_plus, w_minus;     /* rank sums of the positive / negative d_i */
    double z;                   /* normal statistic with continuity correction,
                                   signed like W+ - E W+ (also set for exact) */
    double p_two_sided;         /* two-sided p-value, in [0, 1] */
    idc_wilcoxon_method method; /* how p_two_sided was computed */
} idc_wilcoxon_result;

/* Sets *p = P(W+ <= w) under H0 for n untied nonzero differences
 * (n <= IDC_WILCOXON_EXACT_MAX; w any real, floor taken; w < 0 gives 0).
 * Statuses: IDC_OK; IDC_EINVAL for p NULL, n too large or w NaN.
 * Cost: O(n^3) time, O(n^2) stack. */
int idc_wilcoxon_exact_cdf(double *p, size_t n, double w, idc_err *err) __attribute__((warn_unused_result));

/* The test on d_i = x_i - y_i (y may be NULL: d_i = x_i). Sets every field
 * of *res. Statuses: IDC_OK; IDC_EINVAL (one-line message naming the entry)
 * for res or x NULL, n == 0, a NaN or infinite entry or difference;
 * IDC_ENOMEM. Cost: O(n log n) plus O(n^3) for the exact table;
 * O(n) allocated memory. */
int idc_wilcoxon_signed_rank(idc_wilcoxon_result *res, const double *x, const double *y, size_t n,
                             idc_err *err) __attribute__((warn_unused_result));

#endif
