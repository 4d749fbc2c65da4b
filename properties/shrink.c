/* Shrinking failing trials (see properties/shrink.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "properties/shrink.h"

#define MAX_CANDS 8

static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p != NULL && *p != '\0';) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}

int idc_prop_shrink_check_names(const idc_prop_def *def, const char *only, idc_err *err)
{
    for (const char *p = only; p != NULL && *p != '\0';) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        size_t i = 0;
        while (i < def->nshrinkables &&
               !(strlen(def->shrinkables[i].name) == len && strncmp(def->shrinkables[i].name, p, len) == 0))
            i++;
        if (i == def->nshrinkables)
            return idc_err_set(err, IDC_EINVAL, "--shrink-params: %s has no shrinkable parameter \"%.*s\"",
                               def->id, (int)len, p);
        p = comma ? comma + 1 : NULL;
    }
    return IDC_OK;
}

static int active(const idc_prop_shrinkable *s, const char *only)
{
    return (only == NULL || *only == '\0') ? !s->opt_in : in_list(only, s->name);
}

static void add_cand(double *c, size_t *n, double x, double v, double t)
{
    if (!isfinite(x) || fabs(x - t) >= fabs(v - t) || fabs(x - v) <= 1e-12 * fmax(1.0, fabs(v)))
        return;
    if ((x - t) * (v - t) < 0.0) /* overshoots the target */
        return;
    for (size_t i = 0; i < *n; i++)
        if (c[i] == x)
            return;
    if (*n < MAX_CANDS)
        c[(*n)++] = x;
}

/* The value with the fewest significant decimal digits within a quarter of
 * the step |x - v| of x (simpler numbers: 0.3, not 0.30000000000000004). */
static double simplest_near(double x, double v)
{
    double tol = fabs(x - v) / 4.0;
    for (int digits = 1; digits <= 17; digits++) {
        char buf[40];
        snprintf(buf, sizeof buf, "%.*g", digits, x);
        double r = strtod(buf, NULL);
        if (fabs(r - x) <= tol)
            return r;
    }
    return x;
}

/* Candidates for value v toward target t, biggest step first. */
static size_t candidates(double *c, const idc_prop_shrinkable *s, double v)
{
    double t = s->target;
    size_t n = 0;
    if (s->integer) {
        double d = fabs(v - t), sg = v > t ? 1.0 : -1.0;
        for (double h = d; h >= 1.0; h = floor(h / 2.0))
            add_cand(c, &n, v - sg * h, v, t);
        return n;
    }
    add_cand(c, &n, t, v, t);
    for (double f = 0.5; f >= 0.125; f /= 2.0)
        add_cand(c, &n, simplest_near(v + (t - v) * f, v), v, t);
    for (double scale = 1.0; scale <= 100.0; scale *= 10.0) {
        double x = v * scale;
        if (fabs(x - nearbyint(x)) <= 1e-9 * fmax(1.0, fabs(x)))
            continue; /* already this simple (up to rounding error) */
        add_cand(c, &n, (v > t ? floor(x) : ceil(x)) / scale, v, t);
    }
    /* biggest step first */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && fabs(c[j] - v) > fabs(c[j - 1] - v); j--) {
            double x = c[j];
            c[j] = c[j - 1];
            c[j - 1] = x;
        }
    return n;
}

static void format_value(char *buf, size_t cap, const idc_prop_shrinkable *s, double x)
{
    if (s->integer) {
        snprintf(buf, cap, "%.0f", x);
        return;
    }
    snprintf(buf, cap, "%.15g", x);
    if (strtod(buf, NULL) != x)
        snprintf(buf, cap, "%.17g", x);
}

static int value_of(double *v, const idc_prop_def *def, const void *params, const char *name)
{
    json_t *pj = def->params_json(params);
    json_t *x = json_object_get(pj, name);
    int ok = json_is_number(x);
    if (ok)
        *v = json_number_value(x);
    json_decref(pj);
    return ok;
}

int idc_prop_shrink(json_t **out, const idc_prop_def *def, const void *params, uint64_t run_seed, uint32_t index,
                    uint32_t max_steps, const char *only, idc_err *err)
{
    *out = NULL;
    int rc = idc_prop_shrink_check_names(def, only, err);
    if (rc != IDC_OK)
        return rc;
    unsigned char *cur = malloc(def->params_size), *cand = malloc(def->params_size);
    json_t *log = json_array();
    if (cur == NULL || cand == NULL || log == NULL) {
        free(cur);
        free(cand);
        json_decref(log);
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    memcpy(cur, params, def->params_size);
    uint32_t steps = 0;
    int exhausted = 0, changed = 1;
    idc_trial best;
    memset(&best, 0, sizeof best);
    int have_best = 0;
    while (changed && !exhausted) {
        changed = 0;
        for (size_t i = 0; i < def->nshrinkables && !exhausted; i++) {
            const idc_prop_shrinkable *s = &def->shrinkables[i];
            if (!active(s, only))
                continue;
            int accepted = 1;
            while (accepted && !exhausted) {
                accepted = 0;
                double v, c[MAX_CANDS];
                if (!value_of(&v, def, cur, s->name))
                    break;
                size_t nc = candidates(c, s, v);
                for (size_t k = 0; k < nc && !accepted; k++) {
                    char val[64];
                    format_value(val, sizeof val, s, c[k]);
                    memcpy(cand, cur, def->params_size);
                    idc_err e;
                    if (def->set_param(cand, s->name, val, &e) != IDC_OK)
                        continue; /* outside the parameter's domain: not a trial */
                    if (steps >= max_steps) {
                        exhausted = 1;
                        break;
                    }
                    steps++;
                    idc_trial t;
                    memset(&t, 0, sizeof t);
                    int trc = def->run_trial(&t, cand, run_seed, index, &e);
                    const char *oc = trc != IDC_OK ? "ERROR" : idc_trial_outcome_name(t.outcome);
                    accepted = trc == IDC_OK && t.outcome == IDC_TRIAL_FAIL;
                    json_array_append_new(log, json_pack("{s:s,s:s,s:s,s:b,s:s}", "param", s->name, "value", val,
                                                         "outcome", oc, "accepted", accepted, "why",
                                                         trc != IDC_OK ? e.msg : t.why));
                    if (accepted) {
                        memcpy(cur, cand, def->params_size);
                        if (have_best)
                            idc_trial_clear(&best);
                        best = t;
                        have_best = 1;
                        changed = 1;
                    } else if (trc == IDC_OK) {
                        idc_trial_clear(&t);
                    }
                }
            }
        }
    }
    json_t *orig = def->params_json(params), *min = def->params_json(cur);
    json_t *diff = json_object();
    const char *key;
    json_t *val;
    json_object_foreach(min, key, val)
    {
        if (!json_equal(val, json_object_get(orig, key)))
            json_object_set(diff, key, val);
    }
    char ov[1024];
    if (!idc_prop_overrides(ov, sizeof ov, def, min))
        ov[0] = '\0';
    *out = json_pack("{s:I,s:I,s:b,s:o,s:o,s:s,s:o}", "steps", (json_int_t)steps, "max_steps",
                     (json_int_t)max_steps, "exhausted", exhausted, "params", min, "changed", diff, "overrides",
                     ov, "log", log);
    if (have_best) {
        json_object_set_new(*out, "why", json_string(best.why));
        json_object_set_new(*out, "line", json_string(best.line));
        json_object_set(*out, "record", best.record ? best.record : json_null());
        idc_trial_clear(&best);
    }
    json_decref(orig);
    free(cur);
    free(cand);
    return *out ? IDC_OK : idc_err_set(err, IDC_ENOMEM, "out of memory");
}
