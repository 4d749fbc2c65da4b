/* ivae-fig2 and kivva-table2 (see repro.h): the variational estimators
 * against the papers' numbers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "generators/registry.h"
#include "models/estimators/vae.h"
#include "numeric/metric.h"
#include "numeric/rng.h"
#include "properties/pipeline.h"
#include "properties/repro.h"

static int gen(idc_instance *inst, const char *name, const char *const *kv, uint64_t seed, idc_err *err)
{
    idc_gen_values v;
    idc_gen_values_init(&v, idc_gen_find(name));
    for (size_t i = 0; kv[i] != NULL; i += 2) {
        int rc = idc_gen_set_param(&v, kv[i], kv[i + 1], err);
        if (rc != IDC_OK)
            return rc;
    }
    return idc_gen_generate(inst, &v, seed, err);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One fit: strong and weak held-out MCC. */
static int fit(double *strong, double *weak, const idc_instance *inst, const idc_vae_config *c, size_t nt, size_t ne,
               uint64_t data_seed, idc_err *err)
{
    idc_pipeline_result res;
    idc_pipeline_opts o = {.n_train = nt, .n_eval = ne, .seed = data_seed};
    int rc = idc_pipeline_vae(&res, NULL, inst, c, &o, err);
    if (rc != IDC_OK)
        return rc;
    *strong = res.mcc.mcc_out;
    idc_mcc_weak_result w;
    rc = idc_metric_mcc_weak(&w, res.zeval, inst->prior.dim, res.zhat, c->latent_dim, ne, 0, err);
    if (rc == IDC_OK) {
        *weak = w.mcc.mcc_out;
        idc_mcc_weak_result_clear(&w);
    }
    idc_pipeline_result_clear(&res);
    return rc;
}

static void summarize(json_t *sum, const char *key, const double *v, size_t n)
{
    double mean = 0, lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        mean += v[i] / (double)n;
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    json_object_set_new(sum, key, json_pack("{s:f,s:f,s:f}", "mean", mean, "min", lo, "max", hi));
}

int idc_repro_ivae_fig2(json_t **out, const idc_repro_opts *o, FILE *progress, idc_err *err)
{
    *out = NULL;
    unsigned seeds = o->seeds ? o->seeds : 5;
    size_t per = o->paper_scale ? 1000 : 250, M = 40, n = 5, N = per * M;
    double *iv = calloc(seeds, sizeof(double)), *va = calloc(seeds, sizeof(double));
    json_t *runs = json_array();
    int rc = iv && va ? IDC_OK : idc_err_set(err, IDC_ENOMEM, "out of memory");
    for (unsigned s = o->first; s < o->first + seeds && rc == IDC_OK; s++) {
        uint64_t seed = idc_rng_derive_seed(0x1FAE2, s);
        double t0 = now_s();
        char nbuf[32];
        snprintf(nbuf, sizeof nbuf, "%zu", N);
        const char *kv[] = {"m", "5", "M", "40", "layers", "2", "samples", nbuf, NULL};
        idc_instance inst;
        rc = gen(&inst, "ivae", kv, seed, err);
        if (rc != IDC_OK)
            break;
        for (int kind = 0; kind < 2 && rc == IDC_OK; kind++) {
            idc_vae_config c;
            idc_vae_config_default(&c, kind == 0 ? IDC_VAE_KIND_IVAE : IDC_VAE_KIND_VAE, n, M);
            if (!o->paper_scale) {
                c.nhidden = 2;
                c.hidden[0] = c.hidden[1] = 4 * n;
                c.lr = 1e-2;
                c.batch = 128;
            }
            if (o->steps)
                c.steps = o->steps;
            c.seed = seed;
            double strong, weak;
            rc = fit(&strong, &weak, &inst, &c, N * 4 / 5, N / 5, seed, err);
            if (rc == IDC_OK) {
                (kind == 0 ? iv : va)[s - o->first] = strong;
                json_array_append_new(runs, json_pack("{s:I,s:s,s:f,s:f}", "seed", (json_int_t)s, "estimator",
                                                      kind == 0 ? "ivae" : "vae", "mcc", strong, "weak_mcc", weak));
                if (progress != NULL) {
                    fprintf(progress, "ivae-fig2 seed %u %-4s: MCC %.3f (weak %.3f)\n", s, kind == 0 ? "ivae" : "vae",
                            strong, weak);
                    fflush(progress);
                }
            }
        }
        idc_instance_clear(&inst);
        if (rc == IDC_OK && o->on_trial != NULL) {
            size_t nr = json_array_size(runs);
            json_t *t = json_pack("{s:s,s:s,s:I,s:[O,O]}", "table", "ivae-fig2", "scale",
                                  o->paper_scale ? "paper" : "ci", "seed", (json_int_t)s, "runs",
                                  json_array_get(runs, nr - 2), json_array_get(runs, nr - 1));
            rc = t != NULL ? o->on_trial(o->on_trial_ctx, t, now_s() - t0, err)
                           : idc_err_set(err, IDC_ENOMEM, "out of memory");
            json_decref(t);
        }
    }
    if (rc == IDC_OK) {
        json_t *sum = json_object();
        summarize(sum, "ivae_mcc", iv, seeds);
        summarize(sum, "vae_mcc", va, seeds);
        *out = json_pack("{s:s,s:s,s:I,s:o,s:o,s:{s:s,s:s}}", "table", "ivae-fig2", "scale",
                         o->paper_scale ? "paper" : "ci", "seeds", (json_int_t)seeds, "runs", runs, "summary", sum,
                         "paper", "ivae_mcc", "> 0.95 (n = d = 5, M = 40, L = 1000)", "vae_mcc",
                         "far lower (Fig. 2)");
        runs = NULL;
    }
    json_decref(runs);
    free(iv);
    free(va);
    return rc;
}

int idc_repro_kivva_table2(json_t **out, const idc_repro_opts *o, FILE *progress, idc_err *err)
{
    *out = NULL;
    unsigned R = o->seeds ? o->seeds : 5;
    size_t N = o->paper_scale ? 10000 : 4000;
    const char *kv[] = {"J", "3", "n", "2", NULL};
    idc_instance inst;
    int rc = gen(&inst, "parallelograms", kv, 0x7AB2, err);
    if (rc != IDC_OK)
        return rc;
    double *st = calloc(R, sizeof(double)), *wk = calloc(R, sizeof(double));
    json_t *runs = json_array();
    if (st == NULL || wk == NULL)
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    for (unsigned r = o->first, i = 0; i < R && rc == IDC_OK; r++, i++) {
        double t0 = now_s();
        idc_vae_config c;
        idc_vae_config_default(&c, IDC_VAE_KIND_VADE, 2, 3); /* Kivva's VaDE: 64-512-64 */
        if (!o->paper_scale) {
            c.nhidden = 2;
            c.hidden[0] = c.hidden[1] = 64;
            c.pretrain_steps = 300;
        }
        if (o->steps)
            c.steps = o->steps;
        c.seed = idc_rng_derive_seed(0x7AB2, r); /* restarts: new weights, the same samples */
        rc = fit(&st[i], &wk[i], &inst, &c, N * 4 / 5, N / 5, 0x7AB2, err);
        if (rc == IDC_OK) {
            json_array_append_new(runs, json_pack("{s:I,s:f,s:f}", "restart", (json_int_t)r, "strong_mcc", st[i],
                                                  "weak_mcc", wk[i]));
            if (progress != NULL) {
                fprintf(progress, "kivva-table2 restart %u: weak MCC %.3f, strong MCC %.3f\n", r, wk[i], st[i]);
                fflush(progress);
            }
        }
        if (rc == IDC_OK && o->on_trial != NULL) {
            json_t *t = json_pack("{s:s,s:s,s:I,s:f,s:f}", "table", "kivva-table2", "scale",
                                  o->paper_scale ? "paper" : "ci", "restart", (json_int_t)r, "strong_mcc", st[i],
                                  "weak_mcc", wk[i]);
            rc = t != NULL ? o->on_trial(o->on_trial_ctx, t, now_s() - t0, err)
                           : idc_err_set(err, IDC_ENOMEM, "out of memory");
            json_decref(t);
        }
    }
    if (rc == IDC_OK) {
        json_t *sum = json_object();
        summarize(sum, "weak_mcc", wk, R);
        summarize(sum, "strong_mcc", st, R);
        *out = json_pack("{s:s,s:s,s:I,s:o,s:o,s:{s:s,s:s,s:s}}", "table", "kivva-table2", "scale",
                         o->paper_scale ? "paper" : "ci", "seeds", (json_int_t)R, "runs", runs, "summary", sum,
                         "paper", "weak_mcc", "0.99", "strong_mcc", "0.83-0.91", "data",
                         "random parallelograms (the parallelograms generator, J = 3, n = 2)");
        runs = NULL;
    }
    json_decref(runs);
    free(st);
    free(wk);
    idc_instance_clear(&inst);
    return rc;
}
