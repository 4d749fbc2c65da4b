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
#include "models/stage1.h"
#include "models/vae.h"
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
} idc_pipeline_result;

void idc_pipeline_result_clear(idc_pipeline_result *r);

/* Runs Stage 1 (models/stage1.h) with config c on inst. If model_out is not
 * NULL it receives the trained estimator (caller frees). */
int idc_pipeline_stage1(idc_pipeline_result *out, idc_stage1 **model_out, const idc_instance *inst,
                        const idc_stage1_config *c, const idc_pipeline_opts *o, idc_err *err);

/* Runs a variational estimator (models/vae.h: vae, ivae, vade) with config
 * c on inst, the same way: n_train + n_eval samples, fit on the first
 * n_train (the iVAE gets u = the component labels), encode the held-out
 * rows (encoder means), R^2 and MCC against their latents. The record's
 * "estimator" is the kind's name; for VaDE it also holds "cluster_acc", the
 * agreement of argmax q(c|x) with the true labels under the best
 * relabelling (Hungarian). If model_out is not NULL it receives the model. */
int idc_pipeline_vae(idc_pipeline_result *out, idc_vae **model_out, const idc_instance *inst, const idc_vae_config *c,
                     const idc_pipeline_opts *o, idc_err *err);

/* The config as JSON (for records). */
json_t *idc_stage1_config_json(const idc_stage1_config *c);

#endif
