/* repro flow-k39c: the flow estimator's benchmark on K3.9c instances
 * (issue targets; THEORY.md §8). Trial i draws a square non-degenerate
 * instance with the `pdgmm` generator: m = 2 + i mod 4, J = 2 + (i / 4) mod 3,
 * layers = 2 + (i / 12) mod 2, slope 0.2, cond ~ U(1.5, 4) from the trial's
 * stream, at seed idc_rng_derive_seed(seed, i); then the flow
 * (properties/pipeline_flow.h) with the given start, n_train training rows,
 * a wall-clock budget per trial and n_eval fresh rows for the KL gap and the
 * metrics. Prints one row per trial (start, m, J, layers, cond, KL gap with
 * its interval, 1 - R^2 both ways, dist_Aff,L2, seconds, steps), the
 * fractions of trials reaching KL gap <= 0.002 / 0.01 / 0.05 / 0.1 nats, the
 * fraction of those at <= 0.01 with R^2 >= 0.99, and the trials with a small
 * gap (<= 0.05) and R^2 < 0.99 on their own. Each trial's JSON record keeps
 * the final fit's trace: [step, KL gap on the validation rows] at every
 * validation evaluation (val NLL minus the true model's val NLL). */
#ifndef IDC_PROPERTIES_REPRO_FLOW_H
#define IDC_PROPERTIES_REPRO_FLOW_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "models/estimators/flow.h"
#include "numeric/status.h"
#include "properties/repro.h"

typedef struct {
    size_t trials;      /* default 40 */
    uint32_t first;     /* first trial index */
    uint64_t seed;      /* default 1 */
    idc_flow_init init; /* default perturbed-truth */
    double eps;         /* default 0.1 */
    double seconds;     /* budget per trial, default 60 */
    size_t steps;       /* step cap, default 100000 (the budget usually ends first) */
    size_t n_train, n_eval; /* 20000, 20000 */
    size_t batch;       /* 0: full batch */
    double lr;          /* 0.01 */
    size_t restarts;    /* 1 */
    size_t prior_em;    /* EM passes on the prior (flow.prior_em), default the flow's */
    size_t prior_em_every; /* flow.prior_em_every, default the flow's */
    double slope_anneal; /* 0 */
    size_t depth;       /* encoder depth; 0 = the instance's (a deeper encoder is still in K's class) */
    int cold_kinks;     /* flow.cold_kinks (cold starts) */
    double bw1;         /* final straight-through bandwidth (flow.bw1); 0 = the flow's default */
    unsigned jobs;      /* trials run at once (each on one thread) */
    idc_device device;  /* flow.device: cpu (default) or cuda (auto resolved by the caller) */
    idc_repro_trial_fn on_trial; /* NULL or called (serialised) as each trial finishes, with its
                                    entry of "trials" (borrowed) and its training seconds */
    void *on_trial_ctx;
} idc_repro_flow_opts;

void idc_repro_flow_defaults(idc_repro_flow_opts *o);

/* Runs the benchmark; rows to fp as trials finish (may be NULL), the summary
 * at the end; *out = {"opts", "trials": [...], "summary": {...}}. */
int idc_repro_flow(json_t **out, const idc_repro_flow_opts *o, FILE *fp, idc_err *err)
    __attribute__((warn_unused_result));

#endif
