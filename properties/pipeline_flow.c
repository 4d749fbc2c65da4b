#include "properties/pipeline_flow.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/loglik.h"
#include "models/sample.h"
#include "numeric/gmm_l2.h"
#include "reports/metrics_json.h"

void idc_pipeline_flow_result_clear(idc_pipeline_flow_result *r)
{
    idc_pipeline_result_clear(&r->base);
    idc_flow_fit_result_clear(&r->fit);
    memset(r, 0, sizeof *r);
}

json_t *idc_flow_config_json(const idc_flow_config *c)
{
    char seed[24];
    snprintf(seed, sizeof seed, "0x%016" PRIx64, c->seed);
    return json_pack("{s:I,s:I,s:f,s:I,s:f,s:f,s:s,s:f,s:I,s:I,s:f,s:f,s:f,s:f,s:b,s:I,s:b,s:I,s:I,s:f,s:s}", "m",
                     (json_int_t)c->m, "depth", (json_int_t)c->depth, "slope", c->slope, "J", (json_int_t)c->J,
                     "cov_floor", c->cov_floor, "weight_floor", c->weight_floor, "init",
                     c->init == IDC_FLOW_INIT_PERTURBED ? "perturbed-truth" : "random", "eps", c->eps, "steps",
                     (json_int_t)c->steps, "batch", (json_int_t)c->batch, "lr", c->lr, "lr_final", c->lr_final, "bw0",
                     c->bw0, "bw1", c->bw1, "straight_through", c->straight_through, "eval_every",
                     (json_int_t)c->eval_every, "keep_best", c->keep_best, "em_restarts", (json_int_t)c->em_restarts,
                     "threads", (json_int_t)c->threads, "max_seconds", c->max_seconds, "seed", seed);
}

/* dist_Aff,L2 between the fitted and the true prior. */
static void prior_distance(idc_pipeline_flow_result *out, const idc_flow *f, const idc_instance *inst)
{
    size_t m = inst->prior.dim, J = inst->prior.ncomp, Jf = idc_flow_get_config(f)->J;
    out->dist_aff = NAN;
    if (J != Jf || J > idc_gmm_aff_jmax()) {
        out->dist_aff_note = "not computed: needs J' = J <= 8";
        return;
    }
    double *w1 = malloc(J * sizeof *w1), *mu1 = malloc(J * m * sizeof *mu1), *c1 = malloc(J * m * m * sizeof *c1);
    double *w2 = malloc(J * sizeof *w2), *mu2 = malloc(J * m * sizeof *mu2), *c2 = malloc(J * m * m * sizeof *c2);
    if (w1 != NULL && mu1 != NULL && c1 != NULL && w2 != NULL && mu2 != NULL && c2 != NULL) {
        idc_flow_get_prior(f, w1, mu1, c1);
        for (size_t j = 0; j < J; j++) {
            const idc_component *cp = &inst->prior.comp[j];
            w2[j] = cp->weight;
            memcpy(mu2 + j * m, cp->mean, m * sizeof *mu2);
            for (size_t a = 0; a < m; a++)
                for (size_t b = 0; b < m; b++) {
                    double s = 0;
                    for (size_t r = 0; r < cp->rank; r++)
                        s += cp->L[a * cp->rank + r] * cp->L[b * cp->rank + r];
                    c2[j * m * m + a * m + b] = s;
                }
        }
        idc_gmm_view p1 = {J, m, w1, mu1, c1}, p2 = {J, m, w2, mu2, c2};
        idc_gmm_aff_result res;
        idc_err err;
        if (idc_gmm_dist_aff(&res, &p1, &p2, &err) == IDC_OK) {
            out->dist_aff = res.dist;
            if (J < m + 1)
                out->dist_aff_note = "upper bound only: J <= m leaves the mean-matching alignment undetermined";
            idc_gmm_aff_result_clear(&res);
        } else {
            out->dist_aff_note = "not computed: the alignment failed";
        }
    }
    free(w1);
    free(mu1);
    free(c1);
    free(w2);
    free(mu2);
    free(c2);
}

int idc_pipeline_flow(idc_pipeline_flow_result *out, idc_flow **model_out, const idc_instance *inst,
                      const idc_flow_config *c, const idc_pipeline_opts *o, idc_err *err)
{
    memset(out, 0, sizeof *out);
    out->dist_aff = NAN;
    if (model_out != NULL)
        *model_out = NULL;
    size_t m = inst->prior.dim, nt = o->n_train, nv = nt / 4 < 500 ? 500 : nt / 4, ne = o->n_eval;
    if (nt < 2 * m + 2 || ne < 16)
        return idc_err_set(err, IDC_EINVAL, "samples: need n_train >= %zu and n_eval >= 16 (got %zu, %zu)",
                           2 * m + 2, nt, ne);
    if (c->m != m)
        return idc_err_set(err, IDC_EINVAL, "flow.m: %zu, the instance has m = %zu", c->m, m);
    out->n_val = nv;
    idc_loglik *ll = NULL;
    int rc = idc_loglik_new(&ll, inst, err);
    if (rc != IDC_OK)
        return rc;
    idc_pipeline_result *b = &out->base;
    rc = idc_sample_draw(&b->samples, inst, nt + nv + ne, o->seed, o->trial, 1, err);
    idc_flow *f = NULL;
    double *lt = NULL, *lf = NULL;
    if (rc == IDC_OK) {
        f = idc_flow_new(c, b->samples.x, nt, inst, err);
        if (f == NULL)
            rc = IDC_EINVAL; /* config, EM or a singular start: err says which */
    }
    const double *xe = rc == IDC_OK ? b->samples.x + (nt + nv) * m : NULL;
    if (rc == IDC_OK)
        rc = idc_flow_fit(f, &out->fit, b->samples.x, nt, b->samples.x + nt * m, nv, err);
    if (rc == IDC_OK) {
        lt = malloc(ne * sizeof *lt);
        lf = malloc(ne * sizeof *lf);
        b->zhat = malloc(ne * m * sizeof *b->zhat);
        b->zeval = malloc(ne * m * sizeof *b->zeval);
        b->ztrain = malloc(nt * m * sizeof *b->ztrain);
        if (lt == NULL || lf == NULL || b->zhat == NULL || b->zeval == NULL || b->ztrain == NULL)
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    if (rc == IDC_OK) {
        idc_loglik_eval(ll, lt, xe, ne);
        idc_flow_logpdf(f, lf, xe, ne);
        idc_loglik_gap(&out->kl_gap, &out->kl_half, lt, lf, ne);
        out->kl_upper = out->kl_gap + out->kl_half;
        if (!isfinite(out->kl_upper)) /* a held-out point the fitted model gives no density */
            out->kl_upper = INFINITY;
        idc_flow_encode(f, b->zhat, xe, ne);
        idc_flow_encode(f, b->ztrain, b->samples.x, nt);
        memcpy(b->zeval, b->samples.z + (nt + nv) * m, ne * m * sizeof *b->zeval);
        rc = idc_metric_r2(&b->r2, b->zeval, m, b->zhat, m, ne, err);
    }
    if (rc == IDC_OK)
        rc = idc_metric_mcc(&b->mcc, b->zeval, m, b->zhat, m, ne, err);
    if (rc == IDC_OK) {
        idc_r2_result rev;
        rc = idc_metric_r2(&rev, b->zhat, m, b->zeval, m, ne, err);
        if (rc == IDC_OK)
            out->r2_rev_out = rev.r2_out;
        idc_r2_result_clear(&rev);
    }
    if (rc == IDC_OK) {
        prior_distance(out, f, inst);
        b->final_loss = out->fit.train_nll;
        b->train_seconds = out->fit.seconds;
        b->r2_identity = NAN;
        json_t *fitj = json_pack("{s:f,s:f,s:f,s:I,s:I,s:f,s:f,s:O}", "train_nll", out->fit.train_nll, "val_nll",
                                 out->fit.val_nll, "init_val_nll", out->fit.init_val_nll, "steps",
                                 (json_int_t)out->fit.steps, "best_step", (json_int_t)out->fit.best_step, "seconds",
                                 out->fit.seconds, "neg_fraction", out->fit.neg_fraction, "trace", out->fit.trace);
        b->record = json_pack("{s:s,s:o,s:s,s:o,s:{s:f,s:f,s:f,s:I},s:o,s:f,s:o,s:s?,s:I,s:I,s:I}", "estimator",
                              "flow", "config", idc_flow_config_json(c), "init",
                              c->init == IDC_FLOW_INIT_PERTURBED ? "perturbed-truth" : "random", "fit", fitj,
                              "estimator_conditions", "kl_gap", out->kl_gap, "kl_gap_half", out->kl_half,
                              "kl_gap_upper", out->kl_upper, "n", (json_int_t)ne, "metrics",
                              idc_metrics_json(&b->r2, &b->mcc), "r2_rev_out", out->r2_rev_out, "dist_aff",
                              isnan(out->dist_aff) ? json_null() : json_real(out->dist_aff), "dist_aff_note",
                              out->dist_aff_note, "n_train", (json_int_t)nt, "n_val", (json_int_t)nv, "n_eval",
                              (json_int_t)ne);
        if (b->record == NULL)
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    free(lt);
    free(lf);
    idc_loglik_free(ll);
    if (rc != IDC_OK) {
        idc_flow_free(f);
        idc_pipeline_flow_result_clear(out);
        return rc;
    }
    if (model_out != NULL)
        *model_out = f;
    else
        idc_flow_free(f);
    return IDC_OK;
}
