/* The trial table as JSON and CSV (reports/report.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "reports/report_impl.h"

/* A JSON string of s that jansson accepts: invalid UTF-8 replaced. */
static json_t *jstr(const char *s)
{
    if (s == NULL)
        return json_null();
    json_t *v = json_string(s);
    if (v != NULL)
        return v;
    char *c = idc_plot_utf8_clean(s, (size_t)-1);
    v = c ? json_string(c) : NULL;
    free(c);
    return v;
}

int idc_report_json(char **out, size_t *len, const idc_report *r, idc_err *err)
{
    *out = NULL;
    *len = 0;
    json_t *arr = json_array(), *root = json_pack("{s:s,s:i,s:o}", "format", "idcheck-trials", "version", 1, "trials",
                                                  arr);
    int oom = arr == NULL || root == NULL;
    for (size_t k = 0; k < r->ntrials && !oom; k++) {
        const idc_rep_trial *t = &r->trials[k];
        json_t *params = t->params ? json_loads(t->params, JSON_DECODE_ANY, NULL) : json_null();
        if (params == NULL) /* not JSON: kept as the text stored */
            params = jstr(t->params);
        json_t *verd = json_object(), *meas = json_object();
        for (size_t j = 0; verd && j < t->nverd; j++)
            json_object_set_new(verd, r->verd[t->verd0 + j].precondition, jstr(r->verd[t->verd0 + j].verdict));
        for (size_t j = 0; meas && j < t->nmeas; j++) {
            double v = r->meas[t->meas0 + j].value;
            json_object_set_new(meas, r->meas[t->meas0 + j].name, isfinite(v) ? json_real(v) : json_null());
        }
        json_t *o = json_object();
        if (o == NULL || params == NULL || verd == NULL || meas == NULL) {
            json_decref(o);
            json_decref(params);
            json_decref(verd);
            json_decref(meas);
            oom = 1;
            break;
        }
        json_object_set_new(o, "trial_id", json_integer(t->trial_id));
        json_object_set_new(o, "run_id", json_integer(t->run_id));
        json_object_set_new(o, "cell", jstr(t->cell));
        json_object_set_new(o, "property", jstr(t->property));
        json_object_set_new(o, "trial_index", t->trial_index >= 0 ? json_integer(t->trial_index) : json_null());
        json_object_set_new(o, "seed", jstr(t->seed));
        json_object_set_new(o, "params", params);
        json_object_set_new(o, "estimator", jstr(t->estimator));
        json_object_set_new(o, "start", jstr(t->start));
        json_object_set_new(o, "instance_hash", jstr(t->instance_hash));
        json_object_set_new(o, "outcome", jstr(t->outcome));
        json_object_set_new(o, "reason", jstr(t->reason));
        json_object_set_new(o, "replay", jstr(t->replay));
        json_object_set_new(o, "seconds", t->has_seconds && isfinite(t->seconds) ? json_real(t->seconds) : json_null());
        json_object_set_new(o, "verdicts", verd);
        json_object_set_new(o, "measurements", meas);
        if (json_array_append_new(arr, o) != 0)
            oom = 1;
    }
    /* the records of fit, check and repro, as the report loaded them */
    if (!oom && json_object_set(root, "records", r->recs != NULL ? r->recs : json_array()) != 0)
        oom = 1;
    char *s = oom ? NULL : json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (s == NULL)
        return idc_err_set(err, IDC_ENOMEM, "report --json: out of memory");
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (t == NULL) {
        free(s);
        return idc_err_set(err, IDC_ENOMEM, "report --json: out of memory");
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    *out = t;
    *len = n + 1;
    return IDC_OK;
}

/* A CSV field: quoted when it holds a comma, quote, CR or LF (RFC 4180). */
static void csv_field(idc_sb *b, const char *s, int first)
{
    if (!first)
        idc_sb_puts(b, ",");
    if (s == NULL)
        return;
    char *c = idc_plot_utf8_clean(s, (size_t)-1);
    if (c == NULL) {
        b->oom = 1;
        return;
    }
    if (strpbrk(c, ",\"\r\n") == NULL) {
        idc_sb_puts(b, c);
    } else {
        idc_sb_puts(b, "\"");
        for (const char *p = c; *p; p++) {
            idc_sb_put(b, p, 1);
            if (*p == '"') /* a quote doubled */
                idc_sb_put(b, p, 1);
        }
        idc_sb_puts(b, "\"");
    }
    free(c);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int idc_report_csv(char **out, size_t *len, const idc_report *r, idc_err *err)
{
    *out = NULL;
    *len = 0;
    /* the measurement names, sorted and distinct */
    char **names = malloc((r->nmeas ? r->nmeas : 1) * sizeof *names);
    if (names == NULL)
        return idc_err_set(err, IDC_ENOMEM, "report --csv: out of memory");
    for (size_t i = 0; i < r->nmeas; i++)
        names[i] = r->meas[i].name;
    qsort(names, r->nmeas, sizeof *names, cmp_str);
    size_t nn = 0;
    for (size_t i = 0; i < r->nmeas; i++)
        if (nn == 0 || strcmp(names[nn - 1], names[i]) != 0)
            names[nn++] = names[i];
    idc_sb b = {0};
    static const char *const head[] = {"trial_id", "run_id",        "cell",    "property", "trial_index",
                                       "seed",     "params",        "estimator", "start",  "instance_hash",
                                       "outcome",  "reason",        "replay",  "seconds",  "verdicts"};
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        csv_field(&b, head[i], i == 0);
    for (size_t i = 0; i < nn; i++)
        csv_field(&b, names[i], 0);
    idc_sb_puts(&b, "\r\n");
    char num[64];
    for (size_t k = 0; k < r->ntrials; k++) {
        const idc_rep_trial *t = &r->trials[k];
        snprintf(num, sizeof num, "%lld", (long long)t->trial_id);
        csv_field(&b, num, 1);
        snprintf(num, sizeof num, "%lld", (long long)t->run_id);
        csv_field(&b, num, 0);
        csv_field(&b, t->cell, 0);
        csv_field(&b, t->property, 0);
        snprintf(num, sizeof num, "%lld", (long long)t->trial_index);
        csv_field(&b, t->trial_index >= 0 ? num : NULL, 0);
        csv_field(&b, t->seed, 0);
        csv_field(&b, t->params, 0);
        csv_field(&b, t->estimator, 0);
        csv_field(&b, t->start, 0);
        csv_field(&b, t->instance_hash, 0);
        csv_field(&b, t->outcome, 0);
        csv_field(&b, t->reason, 0);
        csv_field(&b, t->replay, 0);
        if (t->has_seconds && isfinite(t->seconds))
            snprintf(num, sizeof num, "%.17g", t->seconds);
        else
            num[0] = '\0';
        csv_field(&b, t->has_seconds ? num : NULL, 0);
        idc_sb v = {0}; /* "ID=VERDICT;..." */
        for (size_t j = 0; j < t->nverd; j++)
            idc_sb_printf(&v, "%s%s=%s", j ? ";" : "", r->verd[t->verd0 + j].precondition, r->verd[t->verd0 + j].verdict);
        if (v.oom)
            b.oom = 1;
        csv_field(&b, v.s ? v.s : "", 0);
        free(v.s);
        for (size_t i = 0; i < nn; i++) {
            double x;
            if (idc_rep_meas_get(r, t, names[i], &x)) {
                if (isfinite(x))
                    snprintf(num, sizeof num, "%.17g", x);
                else
                    snprintf(num, sizeof num, "%s", isnan(x) ? "NaN" : x > 0 ? "inf" : "-inf");
                csv_field(&b, num, 0);
            } else {
                csv_field(&b, NULL, 0);
            }
        }
        idc_sb_puts(&b, "\r\n");
    }
    free(names);
    return idc_sb_finish(&b, out, len, err);
}
