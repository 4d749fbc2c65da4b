/* Run-to-run stability of learned representations (THEORY.md §6, W; K App.
 * J.3.2-J.3.3): R representations of the same n data points (one per
 * restart / seed) are compared pairwise with the strong (Pearson) MCC and
 * the weak (CCA-aligned) MCC of numeric/metric.h, each with its fit /
 * held-out split (rows [0, n/2) fit the matching or CCA, rows [n/2, n)
 * score it). For the pair (i, j), i < j, representation i plays the role of
 * z and j of zhat. The R (R - 1) / 2 values of each series are summarised
 * by their mean, sample standard deviation (0 for a single pair), min and
 * max. */
#ifndef IDC_NUMERIC_STABILITY_H
#define IDC_NUMERIC_STABILITY_H

#include <stddef.h>

#include "numeric/status.h"

typedef struct {
    double mean, sd, min, max;
} idc_stability_summary;

typedef struct {
    size_t R, npairs;               /* representations, pairs R (R - 1) / 2 */
    size_t *pair_i, *pair_j;        /* npairs: the pairs in order (0,1), (0,2), ..., (R-2,R-1) */
    double *strong_in, *strong_out; /* npairs Pearson MCC per pair */
    double *weak_in, *weak_out;     /* npairs weak MCC per pair */
    idc_stability_summary strong_in_s, strong_out_s, weak_in_s, weak_out_s;
} idc_stability_result;

/* reps[r] is an n x dims[r] row-major representation (r < R, R >= 2);
 * k_cca is passed to idc_metric_mcc_weak (0: min of the two dims). Sets
 * every field; on error *res is zeroed. Statuses: IDC_OK; IDC_EINVAL for
 * NULL arguments, R < 2, and every error of the two metrics on a pair
 * (message prefixed "stability (i, j): "); the other statuses of the
 * metrics; IDC_ENOMEM. Cost: R (R - 1) / 2 strong and weak MCCs. */
int idc_stability_mcc(idc_stability_result *res, const double *const *reps, const size_t *dims, size_t R,
                      size_t n, size_t k_cca, idc_err *err) __attribute__((warn_unused_result));

/* Frees what res owns and zeroes it; res may be NULL. */
void idc_stability_result_clear(idc_stability_result *res);

#endif
