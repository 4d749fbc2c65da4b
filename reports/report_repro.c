/* Reproduction tables from sweeps (reports/report_impl.h): a sweep file
 * (docs/SWEEP.md) may carry the paper's numbers, per case ("cases[].paper":
 * {quantity: value}) or for the whole sweep ("paper": {quantity: value or
 * {knob value: value}}); each becomes a row beside what the run measured on
 * the matching trials. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "reports/report_impl.h"

/* The paper's column names and the measurement each is compared with, where
 * the name itself is not a measurement: Xu et al. Table 1's Stage-1 R^2 and
 * MCC are what X3.7 asserts and measures, its Stage-2 MCC is X3.9's;
 * Khemakhem et al.'s iVAE MCC is I1's; Kivva et al. Table 2's weak and
 * strong MCC between VaDE restarts are W's stability figures. */
static const struct {
    const char *quantity, *property, *measurement;
} MAP[] = {{"r2_stage1", "X3.7", "r2_out"},
           {"mcc_stage1", "X3.7", "mcc_out"},
           {"mcc_stage2", "X3.9", "mcc_out"},
           {"mcc_ivae_min", "I1", "mcc_out"},
           {"weak_mcc", "W", "stability.weak_out_mean"},
           {"strong_mcc", "W", "stability.strong_out_mean"}};

/* 1 when the cell key (PROP[;estimator=E][;case=L][;KNOB=V]...;seed=S) has
 * the segment key=value (values compared as text, or as numbers when both
 * read as numbers). */
static int cell_has(const char *cell, const char *key, const char *value)
{
    size_t kl = strlen(key);
    for (const char *p = cell; p && *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
            const char *v = p + kl + 1;
            size_t vl = len - kl - 1;
            if (vl == strlen(value) && strncmp(v, value, vl) == 0)
                return 1;
            char a[64], *ea, *eb;
            if (vl < sizeof a) {
                memcpy(a, v, vl);
                a[vl] = '\0';
                double x = strtod(a, &ea), y = strtod(value, &eb);
                if (*a && *value && *ea == '\0' && *eb == '\0' && x == y)
                    return 1;
            }
        }
        p = end ? end + 1 : NULL;
    }
    return 0;
}

static char *paper_text(const json_t *v)
{
    char buf[128];
    if (json_is_number(v)) {
        snprintf(buf, sizeof buf, "%.4g", json_number_value(v));
    } else if (json_is_string(v)) {
        snprintf(buf, sizeof buf, "%.120s", json_string_value(v));
    } else if (json_is_array(v) && json_array_size(v) == 2 && json_is_number(json_array_get(v, 0)) &&
               json_is_number(json_array_get(v, 1))) {
        snprintf(buf, sizeof buf, "%.4g-%.4g", json_number_value(json_array_get(v, 0)),
                 json_number_value(json_array_get(v, 1)));
    } else {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        snprintf(buf, sizeof buf, "%.120s", s ? s : "?");
        free(s);
    }
    return strdup(buf);
}

static int add_row(idc_rep_table *t, const idc_report *r, const idc_rep_run *u, const char *label,
                   const char *quantity, const char *knob, const char *kval, const json_t *paper)
{
    idc_rep_row *q = realloc(t->rows, (t->nrows + 1) * sizeof *q);
    if (q == NULL)
        return IDC_ENOMEM;
    t->rows = q;
    idc_rep_row *row = &t->rows[t->nrows];
    memset(row, 0, sizeof *row);
    row->lo = INFINITY;
    row->hi = -INFINITY;
    char setting[256] = "";
    if (label && knob)
        snprintf(setting, sizeof setting, "case=%.100s, %.60s=%.60s", label, knob, kval);
    else if (label)
        snprintf(setting, sizeof setting, "case=%.200s", label);
    else if (knob)
        snprintf(setting, sizeof setting, "%.100s=%.100s", knob, kval);
    row->quantity = strdup(quantity);
    row->setting = strdup(setting);
    row->paper = paper_text(paper);
    t->nrows++;
    if (row->quantity == NULL || row->setting == NULL || row->paper == NULL)
        return IDC_ENOMEM;
    /* the measurement: the quantity's own name where trials carry it, else the map's */
    const char *prop = NULL, *meas = quantity;
    for (int pass = 0; pass < 2 && row->n == 0; pass++) {
        if (pass == 1) {
            meas = NULL;
            for (size_t i = 0; i < sizeof MAP / sizeof MAP[0]; i++)
                if (strcmp(MAP[i].quantity, quantity) == 0) {
                    prop = MAP[i].property;
                    meas = MAP[i].measurement;
                }
            if (meas == NULL)
                break;
        }
        double sum = 0;
        for (size_t k = 0; k < r->ntrials; k++) {
            const idc_rep_trial *tr = &r->trials[k];
            double v;
            if (tr->run_id != u->run_id || !tr->cell || (label && !cell_has(tr->cell, "case", label)) ||
                (knob && !cell_has(tr->cell, knob, kval)) || (prop && (!tr->property || strcmp(tr->property, prop))))
                continue;
            if (!idc_rep_meas_get(r, tr, meas, &v) || !isfinite(v))
                continue;
            row->n++;
            sum += v;
            row->lo = fmin(row->lo, v);
            row->hi = fmax(row->hi, v);
            for (int o = 0; o < 5; o++)
                if (tr->outcome && strcmp(tr->outcome, idc_rep_outcomes[o]) == 0)
                    row->outcomes[o]++;
        }
        if (row->n > 0) {
            row->mean = sum / (double)row->n;
            char from[256];
            snprintf(from, sizeof from, "%.100s%s%.120s", prop ? prop : "", prop ? ": " : "", meas);
            row->from = strdup(from);
            if (row->from == NULL)
                return IDC_ENOMEM;
        }
    }
    return IDC_OK;
}

/* The rows of one {quantity: value or {knob value: value}} object. */
static int add_paper(idc_rep_table *t, const idc_report *r, const idc_rep_run *u, const json_t *grid,
                     const char *label, const json_t *paper)
{
    const char *q;
    json_t *v;
    int rc = IDC_OK;
    json_object_foreach((json_t *)paper, q, v)
    {
        if (!json_is_object(v)) {
            rc = add_row(t, r, u, label, q, NULL, NULL, v);
        } else { /* keyed by the value of a grid knob */
            const char *kv;
            json_t *pv;
            json_object_foreach(v, kv, pv)
            {
                const char *knob = NULL, *g;
                json_t *gv;
                /* the knob whose trials have this value (the first such) */
                json_object_foreach((json_t *)grid, g, gv)
                {
                    for (size_t k = 0; k < r->ntrials && knob == NULL; k++)
                        if (r->trials[k].run_id == u->run_id && r->trials[k].cell &&
                            cell_has(r->trials[k].cell, g, kv))
                            knob = g;
                    if (knob)
                        break;
                }
                rc = add_row(t, r, u, label, q, knob ? knob : "(no knob has this value)", kv, pv);
                if (rc)
                    return rc;
            }
        }
        if (rc)
            return rc;
    }
    return rc;
}

int idc_rep_repro_tables(idc_rep_table **out, size_t *n, const idc_report *r)
{
    *out = NULL;
    *n = 0;
    int rc = IDC_OK;
    for (size_t i = 0; i < r->nruns && rc == IDC_OK; i++) {
        const idc_rep_run *u = &r->runs[i];
        json_t *s = u->sweep ? json_loads(u->sweep, 0, NULL) : NULL;
        if (!json_is_object(s)) {
            json_decref(s);
            continue;
        }
        json_t *grid = json_object_get(s, "grid"), *cases = json_object_get(s, "cases"),
               *paper = json_object_get(s, "paper");
        int any = json_is_object(paper);
        size_t k;
        json_t *c;
        json_array_foreach(cases, k, c) any |= json_is_object(json_object_get(c, "paper"));
        if (!any) {
            json_decref(s);
            continue;
        }
        idc_rep_table *q = realloc(*out, (*n + 1) * sizeof *q);
        if (q == NULL) {
            json_decref(s);
            rc = IDC_ENOMEM;
            break;
        }
        *out = q;
        idc_rep_table *t = &q[(*n)++];
        memset(t, 0, sizeof *t);
        t->run_id = u->run_id;
        const char *name = json_string_value(json_object_get(s, "name")),
                   *scale = json_string_value(json_object_get(s, "scale"));
        char title[256];
        snprintf(title, sizeof title, "run %lld: sweep %.100s%s%.20s%s", (long long)u->run_id, name ? name : "?",
                 scale ? " (scale " : "", scale ? scale : "", scale ? ")" : "");
        t->title = strdup(title);
        const char *d = json_string_value(json_object_get(s, "description"));
        t->description = d ? strdup(d) : NULL;
        if (t->title == NULL || (d && t->description == NULL))
            rc = IDC_ENOMEM;
        json_array_foreach(cases, k, c)
        {
            json_t *p = json_object_get(c, "paper");
            const char *label = json_string_value(json_object_get(c, "label"));
            if (rc == IDC_OK && json_is_object(p) && label)
                rc = add_paper(t, r, u, grid, label, p);
        }
        if (rc == IDC_OK && json_is_object(paper))
            rc = add_paper(t, r, u, grid, NULL, paper);
        json_decref(s);
    }
    if (rc != IDC_OK) {
        idc_rep_tables_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

void idc_rep_tables_free(idc_rep_table *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < t[i].nrows; j++) {
            free(t[i].rows[j].quantity);
            free(t[i].rows[j].setting);
            free(t[i].rows[j].paper);
            free(t[i].rows[j].from);
        }
        free(t[i].rows);
        free(t[i].title);
        free(t[i].description);
    }
    free(t);
}
