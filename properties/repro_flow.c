#include "properties/repro_flow.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "generators/pdgmm.h"
#include "numeric/rng.h"
#include "properties/pipeline_flow.h"

void idc_repro_flow_defaults(idc_repro_flow_opts *o)
{
    memset(o, 0, sizeof *o);
    o->trials = 40;
    o->seed = 1;
    o->init = IDC_FLOW_INIT_PERTURBED;
    o->eps = 0.1;
    o->seconds = 60;
    o->steps = 100000;
    o->n_train = 20000;
    o->n_eval = 20000;
    o->lr = 1e-2;
    o->restarts = 1;
    o->jobs = 1;
    idc_flow_config c;
    idc_flow_config_default(&c, 2);
    o->prior_em = c.prior_em;
    o->prior_em_every = c.prior_em_every;
    o->cold_kinks = c.cold_kinks;
}

typedef struct {
    int done, rc;
    size_t m, J, layers;
    double cond, pcond, gap, half, omr2, omr2_rev, dist, seconds, start;
    size_t steps;
    json_t *trace; /* [[step, KL gap on the validation rows], ...] of the final fit */
    char err[IDC_ERR_LEN];
} row;

typedef struct {
    const idc_repro_flow_opts *o;
    row *rows;
    size_t next;
    FILE *fp;
    json_t **entries; /* with on_trial: each trial's entry, made as it finishes */
    int hook_rc;      /* the first failure of on_trial (then no trial starts) */
    idc_err hook_err;
    pthread_mutex_t lock;
} shared;

/* The largest condition number of a component covariance of the prior
 * (a thin component is hard for a warm start: a small rotation of the
 * encoder costs much likelihood across its thin direction). */
static double prior_cond(const idc_pdgmm *p)
{
    double worst = 1;
    for (size_t j = 0; j < p->ncomp; j++) {
        const idc_component *cp = &p->comp[j];
        size_t d = p->dim, r = cp->rank;
        double S[64 * 64], ev[64];
        if (d > 64)
            return NAN;
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b < d; b++) {
                double v = 0;
                for (size_t q = 0; q < r; q++)
                    v += cp->L[a * r + q] * cp->L[b * r + q];
                S[a * d + b] = v;
            }
        if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'L', (lapack_int)d, S, (lapack_int)d, ev) != 0)
            return NAN;
        worst = fmax(worst, ev[0] > 0 ? ev[d - 1] / ev[0] : INFINITY);
    }
    return worst;
}

static void run_one(const idc_repro_flow_opts *o, uint32_t i, row *r)
{
    uint64_t tseed = idc_rng_derive_seed(o->seed, i);
    idc_gen_pdgmm_params gp;
    idc_gen_pdgmm_defaults(&gp);
    gp.m = 2 + i % 4;
    gp.J = 2 + (i / 4) % 3;
    gp.layers = 2 + (i / 12) % 2;
    gp.slope = 0.2;
    gp.cond = 1.5 + 2.5 * idc_rng_uniform(idc_rng_stream(tseed, 0, IDC_PURPOSE_SEARCH), 0);
    r->m = gp.m;
    r->J = gp.J;
    r->layers = gp.layers;
    r->cond = gp.cond;
    idc_err err;
    idc_instance inst;
    r->rc = idc_gen_pdgmm(&inst, &gp, tseed, &err);
    if (r->rc != IDC_OK) {
        snprintf(r->err, sizeof r->err, "%s", err.msg);
        return;
    }
    r->pcond = prior_cond(&inst.prior);
    idc_flow_config c;
    idc_flow_config_default(&c, gp.m);
    c.depth = o->depth ? o->depth : gp.layers;
    c.slope = gp.slope;
    c.J = gp.J;
    c.init = o->init;
    c.eps = o->eps;
    c.steps = o->steps;
    c.batch = o->batch;
    c.lr = o->lr;
    c.lr_final = o->lr / 100;
    c.max_seconds = o->seconds;
    c.slope_anneal = o->slope_anneal;
    c.prior_em = o->prior_em;
    c.prior_em_every = o->prior_em_every;
    c.cold_kinks = o->cold_kinks;
    if (o->bw1 > 0)
        c.bw1 = o->bw1;
    c.seed = tseed;
    c.device = o->device;
    idc_pipeline_opts po = {.n_train = o->n_train, .n_eval = o->n_eval, .seed = tseed, .restarts = o->restarts};
    idc_pipeline_flow_result pr;
    r->rc = idc_pipeline_flow(&pr, NULL, &inst, &c, &po, &err);
    if (r->rc == IDC_OK) {
        r->gap = pr.kl_gap;
        r->half = pr.kl_half;
        r->omr2 = 1 - pr.base.r2.r2_out;
        r->omr2_rev = 1 - pr.r2_rev_out;
        r->dist = pr.dist_aff;
        r->seconds = pr.train_seconds;
        r->steps = pr.fit.steps;
        r->start = pr.kl_start;
        r->trace = json_array();
        double tv = pr.fit.init_val_nll - pr.kl_start; /* the true model's validation NLL */
        size_t k;
        json_t *e;
        json_array_foreach(pr.fit.trace, k, e) json_array_append_new(
            r->trace, json_pack("[I,f]", json_integer_value(json_array_get(e, 0)),
                                json_real_value(json_array_get(e, 1)) - tv));
        idc_pipeline_flow_result_clear(&pr);
    } else {
        snprintf(r->err, sizeof r->err, "%s", err.msg);
    }
    idc_instance_clear(&inst);
}

static void print_row(FILE *fp, const idc_repro_flow_opts *o, uint32_t i, const row *r)
{
    if (fp == NULL)
        return;
    if (r->rc != IDC_OK) {
        fprintf(fp, "%5" PRIu32 " %-8s m=%zu J=%zu L=%zu ERROR %s\n", i, o->init ? "warm" : "cold", r->m, r->J,
                r->layers, r->err);
    } else {
        fprintf(fp, "%5" PRIu32 " %-8s %zu %zu %zu %5.2f %8.2g %8.3f  %8.4f +- %6.4f  %9.2e %9.2e  %7.4f  %6.1f %7zu\n", i,
                o->init ? "warm" : "cold", r->m, r->J, r->layers, r->cond, r->pcond, r->start, r->gap, r->half, r->omr2,
                r->omr2_rev, r->dist, r->seconds, r->steps);
    }
    fflush(fp);
}

/* Trial i's entry of "trials" (takes r's trace). */
static json_t *trial_json(uint32_t i, row *r)
{
    if (r->rc != IDC_OK)
        return json_pack("{s:I,s:s}", "trial", (json_int_t)i, "error", r->err);
    json_t *tr = r->trace != NULL ? r->trace : json_array();
    r->trace = NULL;
    return json_pack("{s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:o,s:f,s:I,s:f,s:o}", "trial", (json_int_t)i, "m",
                     (json_int_t)r->m, "J", (json_int_t)r->J, "layers", (json_int_t)r->layers, "cond", r->cond,
                     "prior_cond", r->pcond, "kl_gap", r->gap, "kl_gap_half", r->half, "one_minus_r2", r->omr2,
                     "one_minus_r2_rev", r->omr2_rev, "dist_aff", isnan(r->dist) ? json_null() : json_real(r->dist),
                     "seconds", r->seconds, "steps", (json_int_t)r->steps, "kl_gap_start_val", r->start, "kl_trace",
                     tr);
}

static void *worker(void *vs)
{
    shared *s = vs;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        size_t k = s->next++;
        pthread_mutex_unlock(&s->lock);
        if (k >= s->o->trials || s->hook_rc != IDC_OK)
            return NULL;
        row r;
        memset(&r, 0, sizeof r);
        run_one(s->o, s->o->first + (uint32_t)k, &r);
        pthread_mutex_lock(&s->lock);
        s->rows[k] = r;
        s->rows[k].done = 1;
        print_row(s->fp, s->o, s->o->first + (uint32_t)k, &r);
        if (s->o->on_trial != NULL && s->hook_rc == IDC_OK) {
            s->entries[k] = trial_json(s->o->first + (uint32_t)k, &s->rows[k]);
            s->hook_rc = s->entries[k] == NULL ? idc_err_set(&s->hook_err, IDC_ENOMEM, "out of memory")
                                               : s->o->on_trial(s->o->on_trial_ctx, s->entries[k], r.seconds,
                                                                &s->hook_err);
        }
        pthread_mutex_unlock(&s->lock);
    }
}

int idc_repro_flow(json_t **out, const idc_repro_flow_opts *o, FILE *fp, idc_err *err)
{
    *out = NULL;
    if (o->trials < 1 || o->trials > 100000 || o->jobs < 1 || o->jobs > 64)
        return idc_err_set(err, IDC_EINVAL, "repro flow-k39c: trials 1..100000 and jobs 1..64");
    shared s = {.o = o, .fp = fp};
    s.rows = calloc(o->trials, sizeof *s.rows);
    s.entries = o->on_trial != NULL ? calloc(o->trials, sizeof *s.entries) : NULL;
    if (s.rows == NULL || (o->on_trial != NULL && s.entries == NULL)) {
        free(s.rows);
        free(s.entries);
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&s.lock, NULL);
    if (fp != NULL)
        fprintf(fp, "trial start    m J L  cond    pcond KL@start    KL gap [nats]     1-R^2  1-R^2(rev) dist_aff      s   steps\n");
    pthread_t th[64];
    unsigned started = 0;
    for (unsigned t = 1; t < o->jobs; t++)
        if (pthread_create(&th[started], NULL, worker, &s) == 0)
            started++;
    worker(&s);
    for (unsigned t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    pthread_mutex_destroy(&s.lock);
    if (s.hook_rc != IDC_OK) {
        for (size_t k = 0; k < o->trials; k++) {
            json_decref(s.rows[k].trace);
            if (s.entries[k] != NULL)
                json_decref(s.entries[k]);
        }
        free(s.rows);
        free(s.entries);
        *err = s.hook_err;
        return s.hook_rc;
    }
    static const double levels[] = {0.002, 0.01, 0.05, 0.1};
    size_t reach[4] = {0}, ok = 0, r2ok = 0;
    json_t *trials = json_array(), *odd = json_array();
    for (size_t k = 0; k < o->trials; k++) {
        row *r = &s.rows[k];
        json_array_append_new(trials, s.entries != NULL && s.entries[k] != NULL ? s.entries[k]
                                                                                : trial_json(o->first + (uint32_t)k, r));
        if (r->rc != IDC_OK)
            continue;
        ok++;
        for (size_t l = 0; l < 4; l++)
            reach[l] += r->gap + r->half <= levels[l];
        if (r->gap + r->half <= 0.01 && r->omr2 <= 0.01)
            r2ok++;
        if (r->gap <= 0.05 && r->omr2 > 0.01)
            json_array_append_new(odd, json_integer((json_int_t)(o->first + k)));
    }
    if (fp != NULL) {
        fprintf(fp, "%zu trials (%s start%s, %.0f s each, %zu restarts%s): KL gap upper bound <= 0.002: %zu, <= 0.01: %zu, "
                    "<= 0.05: %zu, <= 0.1: %zu; of the %zu at <= 0.01, R^2 >= 0.99: %zu\n",
                ok, o->init ? "warm" : "cold", o->init ? "" : "", o->seconds, o->restarts,
                o->slope_anneal > 0 ? ", slope annealed" : "", reach[0], reach[1], reach[2], reach[3], reach[1], r2ok);
        fprintf(fp, "small gap (<= 0.05) and R^2 < 0.99:");
        size_t i;
        json_t *v;
        json_array_foreach(odd, i, v) fprintf(fp, " %" JSON_INTEGER_FORMAT, json_integer_value(v));
        fprintf(fp, "%s\n", json_array_size(odd) ? "" : " none");
    }
    *out = json_pack("{s:{s:I,s:I,s:s,s:f,s:f,s:I,s:I,s:I,s:f,s:I,s:I,s:f,s:f,s:I,s:I},s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:o}}", "opts",
                     "trials", (json_int_t)o->trials, "seed", (json_int_t)o->seed, "init",
                     o->init ? "perturbed-truth" : "random", "eps", o->eps, "seconds", o->seconds, "n_train",
                     (json_int_t)o->n_train, "n_eval", (json_int_t)o->n_eval, "restarts", (json_int_t)o->restarts,
                     "slope_anneal", o->slope_anneal, "depth", (json_int_t)o->depth, "batch", (json_int_t)o->batch, "lr", o->lr, "bw1", o->bw1, "prior_em", (json_int_t)o->prior_em, "prior_em_every", (json_int_t)o->prior_em_every, "trials", trials,
                     "summary", "ok", (json_int_t)ok, "le_0.002", (json_int_t)reach[0], "le_0.01", (json_int_t)reach[1],
                     "le_0.05", (json_int_t)reach[2], "le_0.1", (json_int_t)reach[3], "le_0.01_and_r2_ge_0.99",
                     (json_int_t)r2ok, "small_gap_low_r2", odd);
    free(s.rows);
    free(s.entries);
    return *out != NULL ? IDC_OK : idc_err_set(err, IDC_ENOMEM, "out of memory");
}
