/* The estimator half of a trial, shared by `idcheck fit` and the
 * properties: sample an instance, train an estimator on the first n_train
 * samples, encode n_eval further samples (never seen in training) and score
 * the codes against their true latents with the metrics of numeric/metric.h
 * (whose own fit/score split halves the evaluation samples). */
#ifndef IDC_PROPERTIES_PIPELINE_H
#define IDC_PROPERTIES_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "models/instance.h"
#include "models/sample.h"
#include "models/estimators/stage1.h"
#include "models/estimators/vae.h"
#include "numeric/metric.h"
#include "numeric/status.h"

typedef struct {
    size_t n_train, n_eval;
    uint64_t seed;  /* samples use streams (seed, trial, ...) */
    uint32_t trial;
    const idc_backend *backend; /* the estimator's backend; NULL: the CPU in float */
    int recalibrate;            /* Stage 1: idc_stage1_recalibrate_bn on the training rows */
    int keep;                   /* Stage 1: also return the training codes and the samples */
    size_t restarts;            /* flow (properties/pipeline_flow.h): R > 1 short starts, the best continued */
} idc_pipeline_opts;

typedef struct {
    idc_r2_result r2;
    idc_mcc_result mcc;
    double r2_identity; /* R^2 of the raw observations x (instead of zhat) on z over the
                           same held-out samples: how linear the mixing already is */
    double final_loss;
    double train_seconds;
    json_t *record; /* {"estimator", "config", "n_train", "n_eval", "final_loss",
                       "loss_trace", "train_seconds", "metrics", "r2_identity"} (owned) */
    double *zhat;   /* n_eval x latent_dim codes of the evaluation samples (owned) */
    double *zeval;  /* their true latents, n_eval x m (owned) */
    double *ztrain; /* opts.keep: n_train x latent_dim codes of the training rows (owned) */
    idc_samples samples; /* opts.keep: the n_train + n_eval samples drawn (owned) */
    /* Estimator conditions (THEORY.md §3, §8), measured on the held-out rows
     * by idc_pipeline_stage1 and idc_pipeline_vae and recorded as
     * record["estimator_conditions"] = {"rec": REC, "gauss": see
     * idc_pipeline_gauss}: */
    double rec;     /* REC: idc_pipeline_rel_rec of x and f^(g^(x)) (NAN: x constant); only these two
                       pipelines set rec and gauss_met (the flow's records carry its KL gap instead) */
    int gauss_met;  /* GAUSS: 1 when the held-out codes pass idc_pipeline_gauss */
} idc_pipeline_result;

/* REC, the held-out relative reconstruction error
 *   sum_i |x_i - xhat_i|^2 / sum_i |x_i - mean x|^2
 * over n rows of d columns (the mean per column): 0 for a perfect
 * reconstruction, 1 for predicting the mean. NAN when n = 0 or every row is
 * the same. */
double idc_pipeline_rel_rec(const double *x, const double *xhat, size_t n, size_t d);

/* GAUSS on n codes of dimension d: idc_gauss_test (numeric/mmd.h, default
 * options: 200 permutations, level 0.05, 500 rows, 3 kernel scales) of a
 * J-component GMM, stream (seed, trial). Returns (new reference)
 * {"test": "mmd-gmm", "J", "n", "mmd2", "threshold" (null when infinite),
 * "p_value", "level", "permutations", "bandwidth", "scales", "met"}, or
 * {"test", "J", "met": false, "error": message} when the test could not run
 * (EM broke down, too few rows): GAUSS is then not established. *met = the
 * "met" value. NULL only when out of memory. */
json_t *idc_pipeline_gauss(int *met, const double *codes, size_t n, size_t d, size_t J, uint64_t seed,
                           uint32_t trial);

/* SPARSE's E|z|_0 on n rows of d columns: the mean number of coordinates
 * per row with |z_ij| > tol * scale_j, scale_j = the root mean square of
 * column j (so "zero" is relative to the column's size; a column of exact
 * zeros counts as zero everywhere). tol >= 0. */
double idc_pipeline_mean_l0(const double *z, size_t n, size_t d, double tol);

void idc_pipeline_result_clear(idc_pipeline_result *r);

/* Runs Stage 1 (models/estimators/stage1.h) with config c on inst. If model_out is not
 * NULL it receives the trained estimator (caller frees). REC is the
 * eval-mode reconstruction dec(enc(x)) of the held-out rows (after the
 * batch-norm recalibration when opts.recalibrate), GAUSS the test of the
 * held-out codes with J = the instance's number of components. */
int idc_pipeline_stage1(idc_pipeline_result *out, idc_stage1 **model_out, const idc_instance *inst,
                        const idc_stage1_config *c, const idc_pipeline_opts *o, idc_err *err);

/* Runs a variational estimator (models/estimators/vae.h: vae, ivae, vade) with config
 * c on inst, the same way: n_train + n_eval samples, fit on the first
 * n_train (the iVAE gets u = the component labels), encode the held-out
 * rows (encoder means), R^2 and MCC against their latents. The record's
 * "estimator" is the kind's name; for VaDE it also holds "cluster_acc", the
 * agreement of argmax q(c|x) with the true labels under the best
 * relabelling (Hungarian). If model_out is not NULL it receives the model.
 * REC is dec(mu(x)) on the held-out rows (idc_vae_reconstruct), GAUSS the
 * test of the held-out encoder means with J = the instance's number of
 * components (recorded for every kind; for the iVAE, whose prior is
 * conditional on u, GAUSS is not an estimator condition). */
int idc_pipeline_vae(idc_pipeline_result *out, idc_vae **model_out, const idc_instance *inst, const idc_vae_config *c,
                     const idc_pipeline_opts *o, idc_err *err);

/* The config as JSON (for records). */
json_t *idc_stage1_config_json(const idc_stage1_config *c);

#endif
