#include "properties/ladder.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "numeric/wilcoxon.h"

const char *idc_ladder_verdict_name(idc_ladder_verdict v)
{
    return v == IDC_LADDER_FALLS ? "falls" : v == IDC_LADDER_NOT_SHOWN ? "not shown" : "too few trials";
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The flow measurements of a trial record; 0 when it has none. */
static int measurements(const json_t *t, double *gap, double *upper, double *omr2)
{
    const json_t *e = json_object_get(t, "estimator");
    const json_t *ec = json_object_get(e, "estimator_conditions");
    const json_t *r2 = json_object_get(json_object_get(e, "metrics"), "r2_out");
    if (!json_is_number(json_object_get(ec, "kl_gap")) || !json_is_number(r2))
        return 0;
    *gap = json_number_value(json_object_get(ec, "kl_gap"));
    *upper = json_number_value(json_object_get(ec, "kl_gap_upper"));
    *omr2 = 1 - json_number_value(r2);
    return 1;
}

int idc_prop_ladder(idc_ladder_result *res, json_t **out, const idc_prop_def *def, const void *params,
                    const char *key, const char *const *values, size_t nvalues, double alpha,
                    const idc_prop_run_opts *opts, idc_err *err)
{
    memset(res, 0, sizeof *res);
    *out = NULL;
    if (nvalues < 2 || nvalues > IDC_LADDER_MAX_RUNGS)
        return idc_err_set(err, IDC_EINVAL, "--ladder: expected 2..%d values, got %zu", IDC_LADDER_MAX_RUNGS, nvalues);
    if (!(alpha > 0 && alpha < 1))
        return idc_err_set(err, IDC_EINVAL, "--alpha: expected a level in (0, 1), got %g", alpha);
    void *p = malloc(def->params_size);
    json_t *rungs = json_array(), *vals = json_array();
    int rc = p == NULL || rungs == NULL ? idc_err_set(err, IDC_ENOMEM, "out of memory") : IDC_OK;
    idc_prop_run_opts o = *opts;
    o.shrink_steps = 0;
    o.regressions = NULL;
    for (size_t k = 0; k < nvalues && rc == IDC_OK; k++) {
        memcpy(p, params, def->params_size);
        if (def->set_param(p, key, values[k], err) != IDC_OK) {
            rc = idc_err_prefix(err, IDC_EINVAL, "--ladder %s=%s: ", key, values[k]);
            break;
        }
        json_array_append_new(vals, json_string(values[k]));
        idc_prop_summary sum;
        json_t *r = NULL;
        rc = idc_prop_run(&sum, &r, def, p, &o, err);
        if (rc == IDC_OK)
            json_array_append_new(rungs, r);
    }
    free(p);
    size_t nt = rc == IDC_OK ? json_array_size(json_object_get(json_array_get(rungs, 0), "trials")) : 0;
    json_t *table = json_array();
    double *d = calloc(nt + 1, sizeof *d), *first = calloc(nt + 1, sizeof *first), *last = calloc(nt + 1, sizeof *last);
    if (rc == IDC_OK && (table == NULL || d == NULL || first == NULL || last == NULL))
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    size_t np = 0;
    for (size_t i = 0; i < nt && rc == IDC_OK; i++) {
        json_t *row = json_array();
        const json_t *t0 = json_array_get(json_object_get(json_array_get(rungs, 0), "trials"), i);
        double e0 = NAN, e1 = NAN;
        int both = 1;
        for (size_t k = 0; k < nvalues; k++) {
            const json_t *t = json_array_get(json_object_get(json_array_get(rungs, k), "trials"), i);
            const char *oc = json_string_value(json_object_get(t, "outcome"));
            double gap = NAN, upper = NAN, omr2 = NAN;
            int has = oc != NULL && strcmp(oc, "DISCARD") != 0 && strcmp(oc, "ERROR") != 0;
            if (has && !measurements(t, &gap, &upper, &omr2)) {
                rc = idc_err_set(err, IDC_EINVAL,
                                 "--ladder: trial %zu of %s has no flow measurements (the ladder needs the flow "
                                 "estimator's KL gap and R^2)",
                                 i, def->id);
                break;
            }
            both &= has;
            if (k == 0)
                e0 = omr2;
            if (k + 1 == nvalues)
                e1 = omr2;
            json_array_append_new(row, json_pack("{s:s,s:s?,s:o,s:o,s:o}", "value", values[k], "outcome", oc, "kl_gap",
                                                 has ? json_real(gap) : json_null(), "kl_gap_upper",
                                                 has ? json_real(upper) : json_null(), "one_minus_r2",
                                                 has ? json_real(omr2) : json_null()));
        }
        json_array_append_new(table, json_pack("{s:O?,s:O?,s:o}", "trial", json_object_get(t0, "trial"), "seed",
                                               json_object_get(t0, "seed"), "rungs", row));
        if (rc == IDC_OK && both && isfinite(e0) && isfinite(e1)) {
            first[np] = e0;
            last[np] = e1;
            d[np] = e0 - e1;
            np++;
        }
    }
    if (rc == IDC_OK) {
        res->pairs = np;
        res->alpha = alpha;
        res->p_one_sided = 1;
        if (np > 0) {
            idc_wilcoxon_result w;
            rc = idc_wilcoxon_signed_rank(&w, d, NULL, np, err);
            if (rc == IDC_OK)
                res->p_one_sided = w.w_plus > w.w_minus ? w.p_two_sided / 2 : 1 - w.p_two_sided / 2;
        }
        res->median_first = median(first, np);
        res->median_last = median(last, np);
        /* the exact one-sided minimum p with n pairs is 2^-n */
        res->verdict = ldexp(1.0, -(int)(np < 60 ? np : 60)) >= alpha ? IDC_LADDER_TOO_FEW
                       : res->p_one_sided < alpha                    ? IDC_LADDER_FALLS
                                                                     : IDC_LADDER_NOT_SHOWN;
    }
    if (rc == IDC_OK) {
        *out = json_pack("{s:s,s:O,s:f,s:O,s:O,s:{s:I,s:f,s:o,s:o,s:s}}", "key", key, "values", vals, "alpha", alpha,
                         "rungs", rungs, "table", table, "trend", "pairs", (json_int_t)np, "p_one_sided",
                         res->p_one_sided, "median_first",
                         isnan(res->median_first) ? json_null() : json_real(res->median_first), "median_last",
                         isnan(res->median_last) ? json_null() : json_real(res->median_last), "verdict",
                         idc_ladder_verdict_name(res->verdict));
        if (*out == NULL)
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    json_decref(vals);
    json_decref(rungs);
    json_decref(table);
    free(d);
    free(first);
    free(last);
    return rc;
}
