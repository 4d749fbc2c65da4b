/* JSON records of metric results (numeric/metric.h, numeric/stability.h,
 * numeric/wilcoxon.h, numeric/gmm_l2.h), shared by `idcheck metrics`,
 * `idcheck fit` and the properties. Every function returns a new reference
 * (NULL only when jansson runs out of memory); a non-finite double is
 * written as null. Matrices are arrays of rows. */
#ifndef IDC_REPORTS_METRICS_JSON_H
#define IDC_REPORTS_METRICS_JSON_H

#include <jansson.h>

#include "numeric/gmm_l2.h"
#include "numeric/metric.h"
#include "numeric/stability.h"
#include "numeric/wilcoxon.h"

/* {"r2_in", "r2_out", "r2_coord_in": [...], "r2_coord_out": [...], "z_rank",
 *  "mcc_in", "mcc_out", "matching": [...]}. Either argument may be NULL to
 * leave its fields out. "matching"[i] is the zhat coordinate matched to z
 * coordinate i, or null. */
json_t *idc_metrics_json(const idc_r2_result *r2, const idc_mcc_result *mcc);

/* {"mcc_in", "mcc_out", "matching": [...], "corr_in": [[...]],
 *  "corr_out": [[...]]} (dz x dzh |correlation| matrices). */
json_t *idc_metrics_json_mcc(const idc_mcc_result *mcc);

/* {"k", "rho": [...], "rank_z", "rank_zhat", "mcc_in", "mcc_out",
 *  "matching": [...], "corr_in": [[...]], "corr_out": [[...]]}. */
json_t *idc_metrics_json_weak(const idc_mcc_weak_result *w);

/* {"r2_in": [[...]], "r2_out": [[...]]} (true blocks x learned blocks). */
json_t *idc_metrics_json_r2_blocks(const idc_r2_blocks_result *b);

/* {"R", "pairs": [{"i", "j", "strong_in", "strong_out", "weak_in",
 *  "weak_out"}, ...], "strong_in" | "strong_out" | "weak_in" | "weak_out":
 *  {"mean", "sd", "min", "max"}}. */
json_t *idc_metrics_json_stability(const idc_stability_result *s);

/* {"n", "n_zero", "n_used", "ties", "w_plus", "w_minus", "z",
 *  "p_two_sided", "method": "exact" | "normal"}. */
json_t *idc_metrics_json_wilcoxon(const idc_wilcoxon_result *w);

/* {"dist_aff_l2", "delta_identity", "perm": [...], "A": [[...]], "c": [...],
 *  "mean_rms", "evaluated", "skipped_singular", "skipped_nonpd"}. */
json_t *idc_metrics_json_gmm_aff(const idc_gmm_aff_result *g);

#endif
