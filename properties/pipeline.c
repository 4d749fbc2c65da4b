#include "properties/pipeline.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/sample.h"
#include "numeric/hungarian.h"
#include "numeric/mmd.h"
#include "reports/metrics_json.h"

void idc_pipeline_result_clear(idc_pipeline_result *r)
{
    idc_r2_result_clear(&r->r2);
    idc_mcc_result_clear(&r->mcc);
    json_decref(r->record);
    free(r->zhat);
    free(r->zeval);
    free(r->ztrain);
    idc_samples_clear(&r->samples);
    memset(r, 0, sizeof *r);
}

json_t *idc_stage1_config_json(const idc_stage1_config *c)
{
    json_t *h = json_array();
    for (size_t i = 0; i < c->nhidden; i++)
        json_array_append_new(h, json_integer((json_int_t)c->hidden[i]));
    char seed[24];
    snprintf(seed, sizeof seed, "0x%016" PRIx64, c->seed);
    return json_pack("{s:I,s:o,s:f,s:f,s:I,s:I,s:f,s:f,s:f,s:s,s:I}", "latent_dim", (json_int_t)c->latent_dim,
                     "hidden", h, "leaky_slope", c->leaky_slope, "lr", c->lr, "batch", (json_int_t)c->batch,
                     "steps", (json_int_t)c->steps, "code_weight", c->code_weight, "bn_eps", c->bn_eps,
                     "bn_momentum", c->bn_momentum, "seed", seed, "trial", (json_int_t)c->trial);
}

double idc_pipeline_rel_rec(const double *x, const double *xhat, size_t n, size_t d)
{
    double num = 0, den = 0;
    for (size_t c = 0; c < d; c++) {
        double mean = 0;
        for (size_t i = 0; i < n; i++)
            mean += x[i * d + c] / (double)n;
        for (size_t i = 0; i < n; i++) {
            double e = x[i * d + c] - xhat[i * d + c], v = x[i * d + c] - mean;
            num += e * e;
            den += v * v;
        }
    }
    return n > 0 && den > 0 ? num / den : NAN;
}

json_t *idc_pipeline_gauss(int *met, const double *codes, size_t n, size_t d, size_t J, uint64_t seed,
                           uint32_t trial)
{
    idc_mmd_opts o = idc_mmd_opts_default();
    o.seed = seed;
    o.trial = trial;
    idc_gauss_result g;
    idc_err err;
    *met = 0;
    if (idc_gauss_test(&g, codes, n, d, J, &o, &err) != IDC_OK)
        return json_pack("{s:s,s:I,s:b,s:s}", "test", "mmd-gmm", "J", (json_int_t)J, "met", 0, "error", err.msg);
    *met = g.mmd.met;
    return json_pack("{s:s,s:I,s:I,s:f,s:o,s:f,s:f,s:I,s:f,s:I,s:b}", "test", "mmd-gmm", "J", (json_int_t)J, "n",
                     (json_int_t)g.mmd.n, "mmd2", g.mmd.mmd2, "threshold",
                     isfinite(g.mmd.threshold) ? json_real(g.mmd.threshold) : json_null(), "p_value", g.mmd.p_value,
                     "level", g.mmd.level, "permutations", (json_int_t)g.mmd.permutations, "bandwidth",
                     g.mmd.bandwidth, "scales", (json_int_t)o.scales, "met", g.mmd.met);
}

double idc_pipeline_mean_l0(const double *z, size_t n, size_t d, double tol)
{
    if (n == 0)
        return NAN;
    size_t nz = 0;
    for (size_t c = 0; c < d; c++) {
        double ss = 0;
        for (size_t i = 0; i < n; i++)
            ss += z[i * d + c] * z[i * d + c];
        double cut = tol * sqrt(ss / (double)n);
        for (size_t i = 0; i < n; i++)
            nz += fabs(z[i * d + c]) > cut;
    }
    return (double)nz / (double)n;
}

/* REC and GAUSS of a pipeline result into out->rec, out->gauss_met and
 * out->record["estimator_conditions"]. */
static int conditions(idc_pipeline_result *out, const double *xe, const double *xhat, size_t ne, size_t d, size_t k,
                      size_t J, const idc_pipeline_opts *o, idc_err *err)
{
    out->rec = idc_pipeline_rel_rec(xe, xhat, ne, d);
    json_t *g = idc_pipeline_gauss(&out->gauss_met, out->zhat, ne, k, J, o->seed, o->trial);
    json_t *ec = g == NULL ? NULL : json_pack("{s:o,s:o}", "rec", isfinite(out->rec) ? json_real(out->rec) : json_null(),
                                              "gauss", g);
    if (ec == NULL || json_object_set_new(out->record, "estimator_conditions", ec) != 0)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    return IDC_OK;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The held-out latents into out->zeval and the R^2 and MCC of out->zhat
 * (n_eval x k) against them. */
static int score(idc_pipeline_result *out, const idc_samples *s, const idc_pipeline_opts *o, size_t k, idc_err *err)
{
    size_t m = s->zdim, ne = o->n_eval;
    memcpy(out->zeval, s->z + o->n_train * m, ne * m * sizeof(double));
    int rc = idc_metric_r2(&out->r2, out->zeval, m, out->zhat, k, ne, err);
    return rc == IDC_OK ? idc_metric_mcc(&out->mcc, out->zeval, m, out->zhat, k, ne, err) : rc;
}

int idc_pipeline_stage1(idc_pipeline_result *out, idc_stage1 **model_out, const idc_instance *inst,
                        const idc_stage1_config *c, const idc_pipeline_opts *o, idc_err *err)
{
    memset(out, 0, sizeof *out);
    if (model_out != NULL)
        *model_out = NULL;
    if (o->n_train < 2 || o->n_eval < 8)
        return idc_err_set(err, IDC_EINVAL, "samples: need n_train >= 2 and n_eval >= 8 (got %zu, %zu)",
                           o->n_train, o->n_eval);
    idc_samples s;
    int rc = idc_sample_draw(&s, inst, o->n_train + o->n_eval, o->seed, o->trial, 1, err);
    if (rc != IDC_OK)
        return rc;
    size_t m = s.zdim, k = c->latent_dim, nx = s.xdim, ne = o->n_eval;
    idc_stage1 *st = o->backend != NULL ? idc_stage1_new_backend(c, nx, o->backend, err)
                                        : idc_stage1_new(c, nx, err);
    size_t ntr = idc_stage1_trace_len(c);
    double *trace = idc_calloc(ntr ? ntr : 1, sizeof(double));
    out->zhat = idc_calloc(ne * k, sizeof(double));
    out->zeval = idc_calloc(ne * m, sizeof(double));
    if (st == NULL) {
        rc = IDC_EINVAL;
    } else if (trace == NULL || out->zhat == NULL || out->zeval == NULL) {
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    } else {
        double t0 = now();
        rc = idc_stage1_fit(st, s.x, o->n_train, trace, &out->final_loss, err);
        if (rc == IDC_OK && o->recalibrate) /* eval-mode batch norm with the data's statistics */
            rc = idc_stage1_recalibrate_bn(st, s.x, o->n_train, err);
        out->train_seconds = now() - t0;
    }
    const double *xe = s.x + o->n_train * nx;
    if (rc == IDC_OK)
        rc = idc_stage1_encode(st, out->zhat, xe, ne, err);
    if (rc == IDC_OK && o->keep) {
        out->ztrain = idc_calloc(o->n_train * k, sizeof(double));
        rc = out->ztrain == NULL ? idc_err_set(err, IDC_ENOMEM, "out of memory")
                                 : idc_stage1_encode(st, out->ztrain, s.x, o->n_train, err);
    }
    if (rc == IDC_OK)
        rc = score(out, &s, o, k, err);
    if (rc == IDC_OK) {
        idc_r2_result base;
        rc = idc_metric_r2(&base, out->zeval, m, xe, nx, ne, err);
        out->r2_identity = base.r2_out;
        idc_r2_result_clear(&base);
    }
    if (rc == IDC_OK) {
        json_t *tr = json_array();
        for (size_t i = 0; i < ntr; i++)
            json_array_append_new(tr, json_real(trace[i]));
        out->record = json_pack("{s:s,s:o,s:I,s:I,s:f,s:o,s:f,s:o,s:f}", "estimator", "stage1", "config",
                                idc_stage1_config_json(c), "n_train", (json_int_t)o->n_train, "n_eval",
                                (json_int_t)ne, "final_loss", out->final_loss, "loss_trace", tr,
                                "train_seconds", out->train_seconds, "metrics",
                                idc_metrics_json(&out->r2, &out->mcc), "r2_identity", out->r2_identity);
        if (out->record == NULL)
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    if (rc == IDC_OK) {
        double *xh = idc_calloc(ne * nx, sizeof(double));
        rc = xh == NULL ? idc_err_set(err, IDC_ENOMEM, "out of memory") : idc_stage1_reconstruct(st, xh, xe, ne, err);
        if (rc == IDC_OK)
            rc = conditions(out, xe, xh, ne, nx, k, inst->prior.ncomp, o, err);
        free(xh);
    }
    free(trace);
    if (rc == IDC_OK && o->keep)
        out->samples = s; /* handed over */
    else
        idc_samples_clear(&s);
    if (rc == IDC_OK && model_out != NULL)
        *model_out = st;
    else
        idc_stage1_free(st);
    if (rc != IDC_OK)
        idc_pipeline_result_clear(out);
    return rc;
}

/* Agreement of argmax gamma with the labels under the best relabelling. */
static int cluster_acc(double *acc, const double *gamma, const int32_t *label, size_t n, size_t J, size_t Jtrue,
                       idc_err *err)
{
    size_t K = J > Jtrue ? J : Jtrue;
    double *cnt = idc_calloc(K * K, sizeof(double));
    size_t *match = idc_calloc(K, sizeof(size_t));
    if (cnt == NULL || match == NULL) {
        free(cnt);
        free(match);
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        size_t best = 0;
        for (size_t c = 1; c < J; c++)
            if (gamma[i * J + c] > gamma[i * J + best])
                best = c;
        cnt[(size_t)label[i] * K + best] += 1;
    }
    double total = 0;
    int rc = idc_hungarian_max(match, &total, cnt, K, K, err);
    *acc = total / (double)n;
    free(cnt);
    free(match);
    return rc;
}

int idc_pipeline_vae(idc_pipeline_result *out, idc_vae **model_out, const idc_instance *inst, const idc_vae_config *c,
                     const idc_pipeline_opts *o, idc_err *err)
{
    memset(out, 0, sizeof *out);
    if (model_out != NULL)
        *model_out = NULL;
    if (o->n_train < 2 || o->n_eval < 8)
        return idc_err_set(err, IDC_EINVAL, "samples: need n_train >= 2 and n_eval >= 8 (got %zu, %zu)",
                           o->n_train, o->n_eval);
    idc_samples s;
    int rc = idc_sample_draw(&s, inst, o->n_train + o->n_eval, o->seed, o->trial, 1, err);
    if (rc != IDC_OK)
        return rc;
    size_t m = s.zdim, k = c->latent_dim, nx = s.xdim, ne = o->n_eval, J = c->ncomp;
    idc_vae *v = o->backend != NULL ? idc_vae_new_backend(c, nx, o->backend, err) : idc_vae_new(c, nx, err);
    size_t ntr = idc_vae_trace_len(c);
    double *trace = idc_calloc(ntr ? ntr : 1, sizeof(double));
    size_t *u = idc_calloc(o->n_train, sizeof(size_t));
    out->zhat = idc_calloc(ne * k, sizeof(double));
    out->zeval = idc_calloc(ne * m, sizeof(double));
    if (v == NULL)
        rc = IDC_EINVAL;
    else if (trace == NULL || u == NULL || out->zhat == NULL || out->zeval == NULL)
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    for (size_t i = 0; rc == IDC_OK && i < o->n_train; i++)
        u[i] = (size_t)s.label[i];
    if (rc == IDC_OK) {
        double t0 = now();
        rc = idc_vae_fit(v, s.x, o->n_train, c->kind == IDC_VAE_KIND_IVAE ? u : NULL, trace, &out->final_loss, err);
        out->train_seconds = now() - t0;
    }
    const double *xe = s.x + o->n_train * nx;
    if (rc == IDC_OK)
        rc = idc_vae_encode(v, out->zhat, xe, ne, err);
    if (rc == IDC_OK)
        rc = score(out, &s, o, k, err);
    double acc = NAN;
    if (rc == IDC_OK && c->kind == IDC_VAE_KIND_VADE) {
        double *g = idc_calloc(ne * J, sizeof(double));
        rc = g == NULL ? idc_err_set(err, IDC_ENOMEM, "out of memory") : idc_vae_cluster_probs(v, g, xe, ne, err);
        if (rc == IDC_OK)
            rc = cluster_acc(&acc, g, s.label + o->n_train, ne, J, inst->prior.ncomp, err);
        free(g);
    }
    if (rc == IDC_OK) {
        json_t *tr = json_array();
        for (size_t i = 0; i < ntr; i++)
            json_array_append_new(tr, json_real(trace[i]));
        out->record = json_pack("{s:s,s:I,s:I,s:f,s:o,s:f,s:o}", "estimator", idc_vae_kind_name(c->kind), "n_train",
                                (json_int_t)o->n_train, "n_eval", (json_int_t)ne, "final_loss", out->final_loss,
                                "loss_trace", tr, "train_seconds", out->train_seconds, "metrics",
                                idc_metrics_json(&out->r2, &out->mcc));
        if (out->record == NULL)
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
        else if (isfinite(acc))
            json_object_set_new(out->record, "cluster_acc", json_real(acc));
    }
    if (rc == IDC_OK) {
        double *xh = idc_calloc(ne * nx, sizeof(double));
        rc = xh == NULL ? idc_err_set(err, IDC_ENOMEM, "out of memory") : idc_vae_reconstruct(v, xh, xe, ne, err);
        if (rc == IDC_OK)
            rc = conditions(out, xe, xh, ne, nx, k, inst->prior.ncomp, o, err);
        free(xh);
    }
    free(trace);
    free(u);
    idc_samples_clear(&s);
    if (rc == IDC_OK && model_out != NULL)
        *model_out = v;
    else
        idc_vae_free(v);
    if (rc != IDC_OK)
        idc_pipeline_result_clear(out);
    return rc;
}
