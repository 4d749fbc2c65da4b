/* A consistency ladder (THEORY.md §8): the same trials of a property at
 * growing values of one parameter (e.g. n_train = 1000, 4000, 16000), and a
 * paired test that 1 - R^2 falls along the ladder. Without a stability
 * bound linking the KL gap to the distance from the affine class, this is
 * the honest statement available: across trials, 1 - R^2 -> 0 as the
 * estimator's sample grows.
 *
 * Trials are pure functions of (run seed, index, parameters), and the
 * instance depends only on the generator parameters, so rung k of trial i
 * uses the same instance as every other rung of trial i. The trend test is
 * the one-sided Wilcoxon signed-rank test (numeric/wilcoxon.h) of
 * d_i = (1 - R^2)_first - (1 - R^2)_last over the trials not DISCARDED at
 * either end, against the alternative d > 0 (p = the two-sided p halved
 * when W+ > W-, else 1 - half of it). Records need the flow measurements of
 * properties/pipeline_flow.h (the K3.9 properties with the flow). */
#ifndef IDC_PROPERTIES_LADDER_H
#define IDC_PROPERTIES_LADDER_H

#include <jansson.h>

#include "properties/prop.h"

#define IDC_LADDER_MAX_RUNGS 16

typedef enum { IDC_LADDER_FALLS = 0, IDC_LADDER_NOT_SHOWN = 1, IDC_LADDER_TOO_FEW = 2 } idc_ladder_verdict;

typedef struct {
    size_t pairs;         /* trials used by the test */
    double p_one_sided;   /* p-value of "1 - R^2 falls" */
    double alpha;         /* the level */
    double median_first, median_last; /* medians of 1 - R^2 at the two ends */
    idc_ladder_verdict verdict; /* FALLS: p < alpha; NOT_SHOWN: p >= alpha; TOO_FEW: fewer
                                   pairs than can reach alpha (the exact minimum p is 2^-n) */
} idc_ladder_result;

/* Runs def's trials opts->first.. for key = values[k], k = 0..nvalues-1
 * (2..IDC_LADDER_MAX_RUNGS; each value through def->set_param on a copy of
 * params), without shrinking or regressions, and tests the trend at level
 * alpha (0 < alpha < 1). *out (new reference) = {"key", "values", "alpha",
 * "rungs": [results of idc_prop_run], "table": [{"trial", "seed", "rungs":
 * [{"value", "outcome", "kl_gap", "kl_gap_upper", "one_minus_r2"}]}],
 * "trend": {"pairs", "p_one_sided", "median_first", "median_last",
 * "verdict"}}. IDC_EINVAL naming the value that set_param rejects or when a
 * record has no flow measurements; statuses of idc_prop_run. */
int idc_prop_ladder(idc_ladder_result *res, json_t **out, const idc_prop_def *def, const void *params,
                    const char *key, const char *const *values, size_t nvalues, double alpha,
                    const idc_prop_run_opts *opts, idc_err *err) __attribute__((warn_unused_result));

/* "falls" / "not shown" / "too few trials". */
const char *idc_ladder_verdict_name(idc_ladder_verdict v);

#endif
