/* The flow estimator's half of a trial (models/estimators/flow.h), shared by `idcheck
 * fit --estimator flow` and the K3.9 properties: sample the instance, train
 * the flow, and measure on fresh samples what THEORY.md §8 asks of a trained
 * trial before it may be asserted:
 *   - the KL gap KL(P_X || P^_X), the mean of log p_true(x) - log p^(x) over
 *     n_eval samples never seen in training or validation, with its 95%
 *     interval (models/loglik.h): the distance from the estimator condition
 *     EST-K (exact reproduction of P(X));
 *   - the identifiability metrics of the codes g^(x) against z on the same
 *     samples: R^2 of zhat on z (AT, map level), R^2 of z on zhat (both
 *     ways), strong MCC;
 *   - dist_Aff,L2 between the fitted prior P^ and the true prior (the law
 *     level, K3.9a), when J' = J <= 8: an upper bound, the smaller of
 *     delta_L2 after numeric/gmm_l2.h's mean-matching alignment and
 *     delta_L2(A#P, P^) for the map zhat ~ A z + c the held-out codes
 *     realise (least squares). Any affine map bounds the minimum; the
 *     mean-matching one sees only J noisy means and gave 0.12-1.15 on warm
 *     K3.9a trials with R^2 = 1.0000 and KL gap 0.0015 (m = 2, J = 3).
 * Samples: one draw of n_train + n_val + n_eval rows from (seed, trial):
 * the first n_train train, the next n_val (= max(500, n_train / 4)) select
 * the checkpoint by exact likelihood, the last n_eval measure. */
#ifndef IDC_PROPERTIES_PIPELINE_FLOW_H
#define IDC_PROPERTIES_PIPELINE_FLOW_H

#include "models/estimators/flow.h"
#include "properties/pipeline.h"

typedef struct {
    idc_pipeline_result base; /* r2, mcc, record, zhat, zeval, ztrain (training codes), samples */
    size_t n_val;
    double kl_gap, kl_half, kl_upper; /* nats; upper = gap + half */
    double kl_start;                  /* the start's KL gap, estimated on the validation rows */
    double r2_rev_out;                /* held-out R^2 of z regressed on zhat */
    double dist_aff;                  /* dist_Aff,L2(P^, P) upper bound: the smaller of the two below;
                                         NAN when not computed */
    double dist_aff_means;            /* delta_L2 after the mean-matching alignment (numeric/gmm_l2.h) */
    double dist_aff_regression;       /* delta_L2(A#P, P^) for zhat ~ A z + c fitted on the held-out rows */
    const char *dist_aff_note;        /* why dist_aff is NAN, or why it is only an upper bound; NULL */
    double train_seconds;             /* every start (its init: EM, the kink search) and fit, restarts
                                         included, on the flow's budget
                                         clock (CPU seconds of the fitting thread when threads = 1) */
    idc_flow_fit_result fit;
} idc_pipeline_flow_result;

void idc_pipeline_flow_result_clear(idc_pipeline_flow_result *r);

/* Runs the flow with config c (c->m must be the instance's dimension) on
 * inst, which must be square, noiseless, leaky (models/loglik.h: IDC_EDOM
 * otherwise). model_out (may be NULL) receives the fitted flow. The record
 * is {"estimator": "flow", "config", "init", "fit": {...}, "estimator_conditions":
 * {"kl_gap", "kl_gap_half", "kl_gap_upper", "n"}, "metrics": {...},
 * "r2_rev_out", "dist_aff", "n_train", "n_val", "n_eval"}. */
int idc_pipeline_flow(idc_pipeline_flow_result *out, idc_flow **model_out, const idc_instance *inst,
                      const idc_flow_config *c, const idc_pipeline_opts *o, idc_err *err)
    __attribute__((warn_unused_result));

/* The flow config as JSON (for records). */
json_t *idc_flow_config_json(const idc_flow_config *c);

#endif
