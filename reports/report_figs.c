/* The report's figures, built from the loaded store (reports/report_impl.h):
 * each metric and estimator condition against each parameter that varies
 * across the trials of a (run, property), with the seed spread and the
 * precondition verdicts shaded; the (KL gap, 1 - R^2) scatter; correlation
 * heatmaps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "reports/report_impl.h"

static int add_fig(idc_rep_figs *f, idc_plot *p, const char *id, const char *caption, int section, double w,
                   double h)
{
    if (p == NULL)
        return IDC_ENOMEM;
    idc_rep_fig *q = realloc(f->fig, (f->nfig + 1) * sizeof *q);
    if (q == NULL) {
        idc_plot_free(p);
        return IDC_ENOMEM;
    }
    f->fig = q;
    idc_rep_fig *g = &f->fig[f->nfig];
    g->plot = p;
    g->id = strdup(id);
    g->caption = strdup(caption ? caption : "");
    g->section = section;
    g->w = w;
    g->h = h;
    f->nfig++;
    return g->id && g->caption ? IDC_OK : IDC_ENOMEM;
}

static int add_line(idc_rep_figs *f, const char *s)
{
    char **q = realloc(f->group_line, (f->ngroup + 1) * sizeof *q);
    if (q == NULL)
        return IDC_ENOMEM;
    f->group_line = q;
    f->group_line[f->ngroup] = strdup(s);
    return f->group_line[f->ngroup++] ? IDC_OK : IDC_ENOMEM;
}

void idc_rep_figs_clear(idc_rep_figs *f)
{
    for (size_t i = 0; i < f->nfig; i++) {
        idc_plot_free(f->fig[i].plot);
        free(f->fig[i].id);
        free(f->fig[i].caption);
    }
    free(f->fig);
    for (size_t i = 0; i < f->ngroup; i++)
        free(f->group_line[i]);
    free(f->group_line);
    memset(f, 0, sizeof *f);
}

/* ---- sweeps ---- */

/* Single trials are drawn as markers in groups of at most this many. */
#define SWEEP_POINTS 400

/* The parameters of one trial as a JSON object (params plus the estimator
 * and start columns), new reference. */
static json_t *trial_config(const idc_rep_trial *t)
{
    json_t *o = t->params ? json_loads(t->params, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        o = json_object();
    }
    if (o == NULL)
        return NULL;
    if (t->estimator && !json_object_get(o, "estimator"))
        json_object_set_new(o, "estimator", json_string(t->estimator));
    if (t->start && !json_object_get(o, "start"))
        json_object_set_new(o, "start", json_string(t->start));
    json_object_del(o, "seed");
    return o;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The compact text of cfg[key] ("(absent)" when missing), malloc'ed. */
static char *value_text(const json_t *cfg, const char *key)
{
    const json_t *v = json_object_get(cfg, key);
    if (v == NULL)
        return strdup("(absent)");
    if (json_is_string(v))
        return strdup(json_string_value(v));
    return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
}

typedef struct {
    char **keys; /* varied keys, sorted */
    size_t nkeys;
    int *numeric; /* 1: every trial holds a finite number */
} varied;

static void varied_clear(varied *v)
{
    for (size_t i = 0; i < v->nkeys; i++)
        free(v->keys[i]);
    free(v->keys);
    free(v->numeric);
    memset(v, 0, sizeof *v);
}

/* Keys whose values differ across the n configurations. */
static int find_varied(varied *out, json_t *const *cfg, size_t n)
{
    memset(out, 0, sizeof *out);
    json_t *all = json_object();
    if (all == NULL)
        return IDC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *k;
        json_t *v;
        json_object_foreach(cfg[i], k, v) json_object_set(all, k, json_null());
    }
    size_t nk = json_object_size(all), i = 0;
    out->keys = calloc(nk ? nk : 1, sizeof *out->keys);
    out->numeric = calloc(nk ? nk : 1, sizeof *out->numeric);
    if (out->keys == NULL || out->numeric == NULL) {
        json_decref(all);
        varied_clear(out);
        return IDC_ENOMEM;
    }
    const char *k;
    json_t *v;
    char **cand = calloc(nk ? nk : 1, sizeof *cand);
    if (cand == NULL) {
        json_decref(all);
        varied_clear(out);
        return IDC_ENOMEM;
    }
    json_object_foreach(all, k, v) cand[i++] = (char *)k;
    qsort(cand, nk, sizeof *cand, cmp_str);
    int rc = IDC_OK;
    for (i = 0; i < nk && rc == IDC_OK; i++) {
        char *first = value_text(cfg[0], cand[i]);
        int differs = 0, numeric = 1;
        for (size_t t = 0; t < n && first; t++) {
            char *s = value_text(cfg[t], cand[i]);
            if (s == NULL) {
                rc = IDC_ENOMEM;
                break;
            }
            differs |= strcmp(s, first) != 0;
            free(s);
            const json_t *x = json_object_get(cfg[t], cand[i]);
            numeric &= json_is_number(x) && isfinite(json_number_value(x));
        }
        if (first == NULL)
            rc = IDC_ENOMEM;
        free(first);
        if (rc == IDC_OK && differs) {
            out->keys[out->nkeys] = strdup(cand[i]);
            if (out->keys[out->nkeys] == NULL)
                rc = IDC_ENOMEM;
            out->numeric[out->nkeys++] = numeric;
        }
    }
    free(cand);
    json_decref(all);
    if (rc != IDC_OK)
        varied_clear(out);
    return rc;
}

/* "k1=v1, k2=v2" over the varied keys other than skip. */
static char *series_label(const json_t *cfg, const varied *vk, size_t skip)
{
    idc_sb b = {0};
    int any = 0;
    for (size_t i = 0; i < vk->nkeys; i++) {
        if (i == skip)
            continue;
        char *s = value_text(cfg, vk->keys[i]);
        if (s == NULL) {
            free(b.s);
            return NULL;
        }
        idc_sb_printf(&b, "%s%s=%s", any ? ", " : "", vk->keys[i], s);
        any = 1;
        free(s);
    }
    char *out;
    size_t len;
    if (idc_sb_finish(&b, &out, &len, NULL) != IDC_OK)
        return NULL;
    return out;
}

/* The shading at one knob value: FAILS when a precondition of a trial
 * there FAILS, HOLDS when every trial there has verdicts and all HOLDS,
 * otherwise UNKNOWN; -1 when no trial there has verdicts. */
static int shade_at(const idc_report *r, const size_t *tk, json_t *const *cfg, size_t n, const char *key, double x)
{
    int any = 0, fails = 0, all_hold = 1;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_object_get(cfg[i], key);
        if (!json_is_number(v) || json_number_value(v) != x)
            continue;
        const idc_rep_trial *t = &r->trials[tk[i]];
        size_t npre = 0;
        for (size_t j = 0; j < t->nverd; j++) {
            const char *vd = r->verd[t->verd0 + j].verdict;
            if (strchr(r->verd[t->verd0 + j].precondition, ':') != NULL)
                continue; /* "fitted:P1nd": the fitted model's class, not a precondition of the trial */
            npre++;
            fails |= strcmp(vd, "FAILS") == 0;
            all_hold &= strcmp(vd, "HOLDS") == 0;
        }
        if (npre == 0)
            all_hold = 0;
        any |= npre > 0;
    }
    if (!any)
        return -1;
    return fails ? IDC_PLOT_SHADE_FAILS : all_hold ? IDC_PLOT_SHADE_HOLDS : IDC_PLOT_SHADE_UNKNOWN;
}

/* The distinct measurement names of the group, metrics first, sorted. */
static int group_names(const idc_report *r, const size_t *tk, size_t n, char ***names, int **cond, size_t *nn)
{
    *names = NULL;
    *cond = NULL;
    *nn = 0;
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        const idc_rep_trial *t = &r->trials[tk[i]];
        for (size_t j = 0; j < t->nmeas; j++) {
            const idc_rep_meas *m = &r->meas[t->meas0 + j];
            size_t k = 0;
            while (k < *nn && !(strcmp((*names)[k], m->name) == 0 && (*cond)[k] == m->condition))
                k++;
            if (k < *nn)
                continue;
            if (*nn == cap) {
                cap = cap ? 2 * cap : 16;
                char **q = realloc(*names, cap * sizeof *q);
                if (q)
                    *names = q;
                int *c = realloc(*cond, cap * sizeof *c);
                if (c)
                    *cond = c;
                if (q == NULL || c == NULL)
                    return IDC_ENOMEM;
            }
            (*names)[*nn] = m->name; /* borrowed */
            (*cond)[(*nn)++] = m->condition;
        }
    }
    /* sort: metrics first, then by name (insertion sort: few names) */
    for (size_t a = 1; a < *nn; a++)
        for (size_t b = a; b > 0; b--) {
            int c0 = (*cond)[b - 1], c1 = (*cond)[b];
            if (c0 < c1 || (c0 == c1 && strcmp((*names)[b - 1], (*names)[b]) <= 0))
                break;
            char *tn = (*names)[b];
            (*names)[b] = (*names)[b - 1];
            (*names)[b - 1] = tn;
            (*cond)[b] = c0;
            (*cond)[b - 1] = c1;
        }
    return IDC_OK;
}

/* One figure: measurement name against numeric knob vk->keys[kx]. */
static int sweep_figure(idc_rep_figs *f, const idc_report *r, const size_t *tk, json_t *const *cfg, size_t n,
                        const varied *vk, size_t kx, const char *name, int cond, const char *group, size_t *figno)
{
    const char *key = vk->keys[kx];
    /* distinct knob values */
    double *xs = malloc(n * sizeof *xs);
    char **labels = calloc(n, sizeof *labels);
    int *sid = malloc(n * sizeof *sid);
    if (xs == NULL || labels == NULL || sid == NULL) {
        free(xs);
        free(labels);
        free(sid);
        return IDC_ENOMEM;
    }
    size_t nx = 0;
    for (size_t i = 0; i < n; i++)
        xs[nx++] = json_number_value(json_object_get(cfg[i], key));
    qsort(xs, nx, sizeof *xs, cmp_dbl);
    size_t u = 0;
    for (size_t i = 0; i < nx; i++)
        if (u == 0 || xs[i] != xs[u - 1])
            xs[u++] = xs[i];
    nx = u;
    int xlog = xs[0] > 0 && xs[nx - 1] / xs[0] >= 100;
    /* y log for wide positive conditions */
    double ymin = INFINITY, ymax = -INFINITY;
    size_t have = 0;
    for (size_t i = 0; i < n; i++) {
        double v;
        if (idc_rep_meas_get(r, &r->trials[tk[i]], name, &v) && isfinite(v)) {
            ymin = fmin(ymin, v);
            ymax = fmax(ymax, v);
            have++;
        }
    }
    int rc = IDC_OK;
    if (have == 0)
        goto done;
    int ylog = cond && ymin > 0 && ymax / ymin >= 1000;
    char title[512], ylabel[256], id[64], caption[1024];
    snprintf(title, sizeof title, "%.120s: %.100s vs %.100s", group, name, key);
    snprintf(ylabel, sizeof ylabel, "%.200s (%s)", name, cond ? "estimator condition" : "metric");
    idc_plot *p = idc_plot_new_xy(title, key, ylabel, xlog, ylog);
    if (p == NULL) {
        rc = IDC_ENOMEM;
        goto done;
    }
    /* series: one per combination of the other varied keys */
    size_t ns = 0;
    for (size_t i = 0; i < n && rc == IDC_OK; i++) {
        labels[i] = series_label(cfg[i], vk, kx);
        if (labels[i] == NULL) {
            rc = IDC_ENOMEM;
            break;
        }
        size_t j = 0;
        while (j < i && strcmp(labels[j], labels[i]) != 0)
            j++;
        if (j < i) {
            sid[i] = sid[j];
        } else {
            sid[i] = idc_plot_series(p, labels[i][0] ? labels[i] : "all trials", (idc_plot_marker)(ns % 4),
                                     (int)(ns % IDC_PLOT_NCOLORS), 1);
            if (sid[i] < 0)
                rc = IDC_ENOMEM;
            ns++;
        }
    }
    /* the axis spans every value of the knob, with data there or not */
    for (size_t xi = 0; xi < nx && rc == IDC_OK; xi++)
        rc = idc_plot_extend_x(p, xs[xi]);
    /* points per trial (up to SWEEP_POINTS trials: beyond, the bars alone
     * keep the figure small), bars (min, mean, max over seeds) per (series, x) */
    for (size_t i = 0; i < n && n <= SWEEP_POINTS && rc == IDC_OK; i++) {
        double v, x = json_number_value(json_object_get(cfg[i], key));
        if (idc_rep_meas_get(r, &r->trials[tk[i]], name, &v))
            rc = idc_plot_point(p, sid[i], x, v);
    }
    for (size_t s = 0; s < ns && rc == IDC_OK; s++) {
        for (size_t xi = 0; xi < nx && rc == IDC_OK; xi++) {
            double lo = INFINITY, hi = -INFINITY, sum = 0;
            size_t cnt = 0;
            for (size_t i = 0; i < n; i++) {
                double v;
                if (sid[i] != (int)s || json_number_value(json_object_get(cfg[i], key)) != xs[xi] ||
                    !idc_rep_meas_get(r, &r->trials[tk[i]], name, &v) || !isfinite(v))
                    continue;
                lo = fmin(lo, v);
                hi = fmax(hi, v);
                sum += v;
                cnt++;
            }
            if (cnt > 0)
                rc = idc_plot_bar(p, (int)s, xs[xi], lo, sum / (double)cnt, hi);
        }
    }
    /* shading between the midpoints of neighbouring knob values */
    int shaded = 0;
    for (size_t xi = 0; xi < nx && rc == IDC_OK; xi++) {
        int sh = shade_at(r, tk, cfg, n, key, xs[xi]);
        if (sh < 0)
            continue;
        double a, b;
        if (xlog) {
            a = xi > 0 ? sqrt(xs[xi - 1] * xs[xi]) : xs[xi] / 1e6;
            b = xi + 1 < nx ? sqrt(xs[xi] * xs[xi + 1]) : xs[xi] * 1e6;
        } else {
            double gap = nx > 1 ? (xs[nx - 1] - xs[0]) : fmax(fabs(xs[0]), 1);
            a = xi > 0 ? (xs[xi - 1] + xs[xi]) / 2 : xs[xi] - gap;
            b = xi + 1 < nx ? (xs[xi] + xs[xi + 1]) / 2 : xs[xi] + gap;
        }
        rc = idc_plot_band(p, a, b, (idc_plot_shade)sh);
        shaded = 1;
    }
    if (rc == IDC_OK)
        rc = idc_plot_note(p, n <= SWEEP_POINTS ? "bars: min, mean and max over the seeds at each value; small "
                                                  "markers: single trials"
                                                : "bars: min, mean and max over the seeds at each value (single "
                                                  "trials not drawn: over 400)");
    if (rc == IDC_OK && shaded)
        rc = idc_plot_note(p, "shaded green: every precondition HOLDS there; red: one FAILS; grey: undecided");
    size_t hidden = idc_plot_hidden(p);
    snprintf(id, sizeof id, "fig-sweep-%zu", ++*figno);
    int cl = snprintf(caption, sizeof caption, "%s: %s (%s) against %s over %zu trials", group, name,
                      cond ? "estimator condition" : "metric", key, n);
    if (hidden && cl > 0 && (size_t)cl < sizeof caption)
        snprintf(caption + cl, sizeof caption - (size_t)cl,
                 "; %zu values not drawn (non-finite, or <= 0 on a log axis)", hidden);
    if (rc == IDC_OK)
        rc = add_fig(f, p, id, caption, IDC_REP_SEC_SWEEP, 760, 460 + 16.0 * (double)((ns + 2) / 3));
    else
        idc_plot_free(p);
done:
    for (size_t i = 0; i < n; i++)
        free(labels[i]);
    free(labels);
    free(sid);
    free(xs);
    return rc;
}

static int build_sweeps(idc_rep_figs *f, const idc_report *r)
{
    size_t figno = 0;
    int rc = IDC_OK;
    for (size_t a = 0; a < r->ntrials && rc == IDC_OK;) {
        size_t b = a;
        const idc_rep_trial *ta = &r->trials[a];
        while (b < r->ntrials && r->trials[b].run_id == ta->run_id &&
               strcmp(r->trials[b].property ? r->trials[b].property : "", ta->property ? ta->property : "") == 0)
            b++;
        size_t n = b - a;
        char group[256], line[1024];
        snprintf(group, sizeof group, "run %lld %.200s", (long long)ta->run_id, ta->property ? ta->property : "?");
        size_t *tk = malloc(n * sizeof *tk);
        json_t **cfg = calloc(n, sizeof *cfg);
        if (tk == NULL || cfg == NULL) {
            free(tk);
            free(cfg);
            return IDC_ENOMEM;
        }
        for (size_t i = 0; i < n && rc == IDC_OK; i++) {
            tk[i] = a + i;
            cfg[i] = trial_config(&r->trials[a + i]);
            if (cfg[i] == NULL)
                rc = IDC_ENOMEM;
        }
        varied vk = {0};
        if (rc == IDC_OK)
            rc = find_varied(&vk, cfg, n);
        if (rc == IDC_OK) {
            idc_sb b2 = {0};
            idc_sb_printf(&b2, "%s: %zu trials; ", group, n);
            if (vk.nkeys == 0)
                idc_sb_puts(&b2, "no parameter varies across its trials");
            for (size_t k = 0; k < vk.nkeys; k++)
                idc_sb_printf(&b2, "%s%s%s", k ? ", " : "varied: ", vk.keys[k], vk.numeric[k] ? "" : " (categorical)");
            snprintf(line, sizeof line, "%s", b2.s ? b2.s : group);
            free(b2.s);
            rc = b2.oom ? IDC_ENOMEM : add_line(f, line);
        }
        char **names = NULL;
        int *cond = NULL;
        size_t nn = 0;
        if (rc == IDC_OK)
            rc = group_names(r, tk, n, &names, &cond, &nn);
        for (size_t k = 0; k < vk.nkeys && rc == IDC_OK; k++) {
            if (!vk.numeric[k])
                continue;
            for (size_t m = 0; m < nn && rc == IDC_OK; m++) {
                if (f->nfig >= IDC_REP_MAX_SWEEP_FIGS) {
                    f->sweep_dropped++;
                    continue;
                }
                rc = sweep_figure(f, r, tk, cfg, n, &vk, k, names[m], cond[m], group, &figno);
            }
        }
        free(names);
        free(cond);
        varied_clear(&vk);
        for (size_t i = 0; i < n; i++)
            json_decref(cfg[i]);
        free(cfg);
        free(tk);
        a = b;
    }
    return rc;
}

/* ---- (KL gap, 1 - R^2) ---- */

static int build_kl(idc_rep_figs *f, const idc_report *r)
{
    static const char *const R2[] = {"r2", "r2_out"};
    idc_plot *p = NULL;
    int sid[6] = {-1, -1, -1, -1, -1, -1};
    static const idc_plot_marker mk[6] = {IDC_PLOT_CIRCLE, IDC_PLOT_SQUARE, IDC_PLOT_TRIANGLE, IDC_PLOT_DIAMOND,
                                          IDC_PLOT_DIAMOND, IDC_PLOT_DIAMOND};
    static const int col[6] = {2, 3, 1, 5, 4, 7};
    int rc = IDC_OK;
    for (size_t k = 0; k < r->ntrials && rc == IDC_OK; k++) {
        const idc_rep_trial *t = &r->trials[k];
        double kl, r2;
        int have = idc_rep_meas_get(r, t, "kl_gap", &kl);
        for (int i = 0; i < 2 && have; i++)
            if (idc_rep_meas_get(r, t, R2[i], &r2))
                break;
            else if (i == 1)
                have = 0;
        if (!have)
            continue;
        if (p == NULL) {
            p = idc_plot_new_xy("KL gap vs 1 - R^2 (exact-likelihood trials)", "KL gap (nats, log)", "1 - R^2 (log)",
                                1, 1);
            if (p == NULL)
                return IDC_ENOMEM;
        }
        int o = 5;
        for (int i = 0; i < 5; i++)
            if (t->outcome && strcmp(t->outcome, idc_rep_outcomes[i]) == 0)
                o = i;
        if (sid[o] < 0) {
            sid[o] = idc_plot_series(p, o < 5 ? idc_rep_outcomes[o] : "other", mk[o], col[o], 0);
            if (sid[o] < 0) {
                rc = IDC_ENOMEM;
                break;
            }
        }
        rc = idc_plot_point(p, sid[o], kl, 1 - r2);
        f->kl_points++;
    }
    if (p == NULL || rc != IDC_OK) {
        idc_plot_free(p);
        return rc;
    }
    f->kl_hidden = idc_plot_hidden(p);
    char note[256], caption[512];
    snprintf(note, sizeof note, "%zu trials; %zu not drawn (KL gap <= 0 or R^2 >= 1 has no place on log axes)",
             f->kl_points, f->kl_hidden);
    rc = idc_plot_note(p, note);
    if (rc == IDC_OK)
        rc = idc_plot_note(p, "THEORY 8: as the KL gap goes to 0 within a compact class, 1 - R^2 should go to 0");
    snprintf(caption, sizeof caption,
             "Each flow trial's estimated KL gap against 1 - R^2 of its learned latents, by outcome (%zu trials, %zu "
             "off the log axes)",
             f->kl_points, f->kl_hidden);
    if (rc != IDC_OK) {
        idc_plot_free(p);
        return rc;
    }
    return add_fig(f, p, "fig-kl", caption, IDC_REP_SEC_KL, 760, 520);
}

/* ---- heatmaps ---- */

static int build_corr(idc_rep_figs *f, const idc_report *r)
{
    for (size_t i = 0; i < r->ncorr; i++) {
        const idc_rep_corr *c = &r->corr[i];
        const idc_rep_trial *t = &r->trials[c->trial];
        double vmin = 0, vmax = 1;
        for (size_t k = 0; k < c->rows * c->cols; k++)
            if (isfinite(c->m[k])) {
                vmin = fmin(vmin, c->m[k]);
                vmax = fmax(vmax, c->m[k]);
            }
        char title[256], id[32], caption[512];
        snprintf(title, sizeof title, "run %lld %.60s trial %lld: |corr| (%s)", (long long)t->run_id,
                 t->property ? t->property : "?", (long long)t->trial_index, c->key);
        idc_plot *p = idc_plot_new_heatmap(title, "learned latent", "true latent", "z", "zh", c->m, c->rows, c->cols,
                                           vmin, vmax);
        snprintf(id, sizeof id, "fig-corr-%zu", i + 1);
        snprintf(caption, sizeof caption,
                 "Correlations of true latents (rows) with learned latents (columns), record member %s, run %lld "
                 "%s trial %lld seed %s (%s)",
                 c->key, (long long)t->run_id, t->property ? t->property : "?", (long long)t->trial_index,
                 t->seed ? t->seed : "?", t->outcome ? t->outcome : "?");
        double side = fmin(640, fmax(360, 60 + 40.0 * (double)(c->rows > c->cols ? c->rows : c->cols)));
        int rc = add_fig(f, p, id, caption, IDC_REP_SEC_CORR, side + 150, side);
        if (rc != IDC_OK)
            return rc;
    }
    return IDC_OK;
}

int idc_rep_figs_build(idc_rep_figs *f, const idc_report *r, idc_err *err)
{
    memset(f, 0, sizeof *f);
    int rc = build_sweeps(f, r);
    if (rc == IDC_OK)
        rc = build_kl(f, r);
    if (rc == IDC_OK)
        rc = build_corr(f, r);
    if (rc != IDC_OK) {
        idc_rep_figs_clear(f);
        return idc_err_set(err, rc, "report figures: %s", rc == IDC_ENOMEM ? "out of memory" : "invalid data");
    }
    return IDC_OK;
}
