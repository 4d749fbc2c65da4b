/* Audit of a stored trial (reports/audit.h). */
#include "reports/audit.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/instance.h"
#include "numeric/rng.h"
#include "properties/prop.h"

#define MAX_DETAILS 50

idc_audit_opts idc_audit_opts_default(void)
{
    idc_audit_opts o = {1, 1e-6, 1e-9};
    return o;
}

const char *idc_audit_status_name(idc_audit_status s)
{
    switch (s) {
    case IDC_AUDIT_IDENTICAL: return "identical";
    case IDC_AUDIT_WITHIN_TOL: return "within-tolerance";
    case IDC_AUDIT_MISMATCH: return "MISMATCH";
    default: return "NOT-RERUN";
    }
}

void idc_audit_trial_clear(idc_audit_trial *r)
{
    json_decref(r->details);
    r->details = NULL;
}

/* A difference: counted, described (the first MAX_DETAILS), and the part
 * (exact or figures) marked. */
static void differ(idc_audit_trial *r, idc_audit_status *part, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void differ(idc_audit_trial *r, idc_audit_status *part, const char *fmt, ...)
{
    r->mismatches++;
    *part = IDC_AUDIT_MISMATCH;
    if (json_array_size(r->details) >= MAX_DETAILS)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    json_array_append_new(r->details, json_string(buf));
}

static void short_text(char *buf, size_t cap, const json_t *v)
{
    if (v == NULL) {
        snprintf(buf, cap, "(missing)");
        return;
    }
    char *s = idc_store_canonical(v);
    snprintf(buf, cap, "%.80s%s", s ? s : "?", s && strlen(s) > 80 ? "..." : "");
    free(s);
}

/* Two reals: bit-identical, within the tolerance, or neither. */
static void cmp_real(idc_audit_trial *r, const char *path, double a, double b, const idc_audit_opts *o)
{
    r->compared++;
    if (memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b)))
        return;
    double scale = fmax(fabs(a), fabs(b));
    double rel = scale > 0 ? fabs(a - b) / scale : 0;
    if (!o->bitwise && fabs(a - b) <= o->atol + o->rtol * scale) {
        if (rel > r->max_rel)
            r->max_rel = rel;
        if (r->figures == IDC_AUDIT_IDENTICAL)
            r->figures = IDC_AUDIT_WITHIN_TOL;
        return;
    }
    differ(r, &r->figures, "%s: stored %.17g, re-run %.17g", path, a, b);
}

/* Skipped keys, anywhere: timings. */
static int timing_key(const char *k)
{
    size_t n = strlen(k);
    return strcmp(k, "seconds") == 0 ||
           (n > 8 && strcmp(k + n - 8, "_seconds") == 0 && strcmp(k, "max_seconds") != 0); /* wall_, train_ */
}

/* Compares stored a with re-run b below path (trained figures). */
static void cmp_json(idc_audit_trial *r, const char *path, const json_t *a, const json_t *b, const idc_audit_opts *o,
                     int in_fitted)
{
    char p[512];
    if (json_is_number(a) && json_is_number(b) && (json_is_real(a) || json_is_real(b))) {
        cmp_real(r, path, json_number_value(a), json_number_value(b), o);
        return;
    }
    if (json_is_object(a) && json_is_object(b)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v)
        {
            if (timing_key(k))
                continue;
            snprintf(p, sizeof p, "%s%s%s", path, path[0] ? "." : "", k);
            /* functions of the trained weights' last bits: only bitwise */
            if (!o->bitwise && (strcmp(k, "fitted_model_hash") == 0 || strcmp(k, "weights_sha256") == 0 ||
                                strcmp(k, "model_sha256") == 0 ||
                                (in_fitted && (strcmp(k, "certificate") == 0 || strcmp(k, "model_hash") == 0))))
                continue;
            json_t *w = json_object_get(b, k);
            if (w == NULL) {
                differ(r, &r->figures, "%s: stored, not produced by the re-run", p);
                continue;
            }
            cmp_json(r, p, v, w, o, in_fitted || strcmp(k, "fitted_model_class") == 0);
        }
        json_object_foreach((json_t *)b, k, v)
        {
            if (!timing_key(k) && json_object_get(a, k) == NULL) {
                snprintf(p, sizeof p, "%s%s%s", path, path[0] ? "." : "", k);
                differ(r, &r->figures, "%s: produced by the re-run, not stored", p);
            }
        }
        return;
    }
    if (json_is_array(a) && json_is_array(b)) {
        if (json_array_size(a) != json_array_size(b)) {
            differ(r, &r->figures, "%s: stored %zu entries, re-run %zu", path, json_array_size(a), json_array_size(b));
            return;
        }
        for (size_t i = 0; i < json_array_size(a); i++) {
            snprintf(p, sizeof p, "%s[%zu]", path, i);
            cmp_json(r, p, json_array_get(a, i), json_array_get(b, i), o, in_fitted);
        }
        return;
    }
    r->compared++;
    if (!json_equal((json_t *)a, (json_t *)b)) {
        char sa[100], sb[100];
        short_text(sa, sizeof sa, a);
        short_text(sb, sizeof sb, b);
        differ(r, &r->figures, "%s: stored %s, re-run %s", path, sa, sb);
    }
}

/* Exact comparison of two JSON values by their canonical text. */
static void cmp_exact(idc_audit_trial *r, const char *what, const json_t *a, const json_t *b)
{
    r->compared++;
    char *sa = a ? idc_store_canonical(a) : NULL, *sb = b ? idc_store_canonical(b) : NULL;
    if ((sa == NULL) != (sb == NULL) || (sa != NULL && strcmp(sa, sb) != 0)) {
        char ta[100], tb[100];
        short_text(ta, sizeof ta, a);
        short_text(tb, sizeof tb, b);
        differ(r, &r->exact, "%s: stored %s, re-run %s", what, ta, tb);
    }
    free(sa);
    free(sb);
}

static void cmp_str(idc_audit_trial *r, idc_audit_status *part, const char *what, const char *a, const char *b)
{
    r->compared++;
    if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
        differ(r, part, "%s: stored %.120s, re-run %.120s", what, a ? a : "(none)", b ? b : "(none)");
}

/* Two stored copies that must agree (the trials row and its record). */
static void cmp_stored(idc_audit_trial *r, const char *what, const char *row, const char *rec)
{
    r->compared++;
    if ((row == NULL) != (rec == NULL) || (row != NULL && strcmp(row, rec) != 0))
        differ(r, &r->exact, "%s: trials row %.120s, record %.120s", what, row ? row : "(none)", rec ? rec : "(none)");
}

static const char *row_str(const json_t *row, const char *k)
{
    return json_string_value(json_object_get(row, k));
}

/* The verdicts rows against the re-run's entries (prefix "" or
 * "fitted:"): verdict always exact; certificate and its hash exact, or
 * for the fitted class only when bitwise. */
static void cmp_verdicts(idc_audit_trial *r, const json_t *rows, const json_t *entries, const char *prefix,
                         int exact_certs, idc_audit_status *part)
{
    size_t plen = strlen(prefix), nrows = 0;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        const char *pc = row_str(row, "precondition");
        int fitted = pc != NULL && strncmp(pc, "fitted:", 7) == 0;
        if (pc == NULL || fitted != (plen > 0))
            continue;
        nrows++;
        const json_t *e = NULL;
        size_t k;
        json_t *x;
        json_array_foreach(entries, k, x)
        {
            const char *id = json_string_value(json_object_get(x, "id"));
            if (id != NULL && strcmp(id, pc + plen) == 0) {
                e = x;
                break;
            }
        }
        char what[160];
        if (e == NULL) {
            differ(r, part, "verdicts[%s]: stored, not produced by the re-run", pc);
            continue;
        }
        snprintf(what, sizeof what, "verdicts[%s].verdict", pc);
        cmp_str(r, part, what, row_str(row, "verdict"), json_string_value(json_object_get(e, "verdict")));
        if (!exact_certs)
            continue;
        json_t *cert = json_object_get(e, "certificate");
        char *cs = cert != NULL && !json_is_null(cert) ? idc_store_canonical(cert) : NULL;
        snprintf(what, sizeof what, "verdicts[%s].certificate", pc);
        cmp_str(r, part, what, row_str(row, "certificate"), cs);
        char hex[65] = "";
        if (cert != NULL && !json_is_null(cert))
            idc_store_json_hash(hex, cert);
        snprintf(what, sizeof what, "verdicts[%s].cert_hash", pc);
        cmp_str(r, part, what, row_str(row, "cert_hash"), cs ? hex : NULL);
        /* the stored hash is the hash of the stored certificate */
        const char *sc = row_str(row, "certificate");
        if (sc != NULL) {
            json_t *scj = json_loads(sc, 0, NULL);
            char h2[65] = "";
            if (scj != NULL)
                idc_store_json_hash(h2, scj);
            json_decref(scj);
            snprintf(what, sizeof what, "verdicts[%s].cert_hash (of the stored certificate)", pc);
            cmp_str(r, part, what, row_str(row, "cert_hash"), h2);
        }
        free(cs);
    }
    size_t want = 0;
    json_t *x;
    json_array_foreach(entries, i, x)
    {
        if (json_string_value(json_object_get(x, "id")) != NULL)
            want++;
    }
    r->compared++;
    if (nrows != want)
        differ(r, part, "verdicts%s: %zu stored, %zu re-derived", plen ? " (fitted class)" : "", nrows, want);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int idc_audit_run_trial(idc_audit_trial *r, idc_store *s, int64_t trial_id, const idc_audit_opts *o, idc_err *err)
{
    memset(r, 0, sizeof *r);
    r->trial_id = trial_id;
    r->details = json_array();
    if (r->details == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    json_t *args = json_pack("[I]", (json_int_t)trial_id), *rows = NULL, *vrows = NULL, *mrows = NULL;
    int rc = idc_store_query(s, &rows,
                             "SELECT t.*, i.json AS instance_json FROM trials t LEFT JOIN instances i ON "
                             "i.hash = t.instance_hash WHERE t.trial_id = ?1",
                             args, err);
    if (rc == IDC_OK)
        rc = idc_store_query(s, &vrows, "SELECT * FROM verdicts WHERE trial_id = ?1 ORDER BY precondition", args, err);
    if (rc == IDC_OK)
        rc = idc_store_query(s, &mrows, "SELECT * FROM measurements WHERE trial_id = ?1 ORDER BY name", args, err);
    json_t *srows = NULL, *has_samples = NULL;
    if (rc == IDC_OK)
        rc = idc_store_query(s, &has_samples, "SELECT count(*) AS n FROM sqlite_schema WHERE name = 'samples'", NULL,
                             err);
    if (rc == IDC_OK && json_integer_value(json_object_get(json_array_get(has_samples, 0), "n")) > 0)
        rc = idc_store_query(s, &srows, "SELECT * FROM samples WHERE trial_id = ?1", args, err);
    json_decref(has_samples);
    json_decref(args);
    const json_t *row = json_array_get(rows, 0);
    if (rc == IDC_OK && row == NULL)
        rc = idc_err_set(err, IDC_EINVAL, "%s: no trial %" PRId64, idc_store_path(s), trial_id);
    json_t *rec = NULL, *fresh = NULL, *params_json = NULL, *meas = NULL;
    void *params = NULL;
    idc_trial tr;
    memset(&tr, 0, sizeof tr);
    if (rc != IDC_OK)
        goto out;
    r->run_id = json_integer_value(json_object_get(row, "run_id"));
    snprintf(r->cell, sizeof r->cell, "%s", row_str(row, "cell") ? row_str(row, "cell") : "");
    snprintf(r->property, sizeof r->property, "%s", row_str(row, "property") ? row_str(row, "property") : "");
    snprintf(r->outcome, sizeof r->outcome, "%s", row_str(row, "outcome") ? row_str(row, "outcome") : "");
    rec = json_loads(row_str(row, "record") ? row_str(row, "record") : "", 0, NULL);
    if (rec == NULL)
        differ(r, &r->exact, "record: not JSON");
    else
        cmp_stored(r, "outcome", r->outcome, json_string_value(json_object_get(rec, "outcome")));
    /* a sweep's record names its cell and property: the row's */
    static const char *const named[] = {"cell", "property"};
    for (int k = 0; rec != NULL && k < 2; k++) {
        json_t *v = json_object_get(rec, named[k]);
        if (v != NULL)
            cmp_stored(r, named[k], k == 0 ? r->cell : r->property, json_string_value(v));
    }

    /* what re-running needs */
    const idc_prop_def *def = r->property[0] ? idc_prop_find(r->property) : NULL;
    const char *rs = row_str(row, "run_seed"), *ss = row_str(row, "seed");
    json_t *ti = json_object_get(row, "trial_index");
    const char *why_not = def == NULL ? (r->property[0] ? "property unknown to this idcheck" : "no property recorded")
                          : rs == NULL || !json_is_integer(ti) ? "no run seed or trial index recorded"
                          : row_str(row, "params") == NULL ? "no parameters recorded"
                                                           : NULL;
    params_json = why_not == NULL ? json_loads(row_str(row, "params"), 0, NULL) : NULL;
    if (why_not == NULL && params_json == NULL)
        why_not = "params: not JSON";
    idc_err pe;
    if (why_not == NULL) {
        params = calloc(1, def->params_size);
        if (params == NULL) {
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
            goto out;
        }
        if (idc_prop_params_from_json(params, def, params_json, &pe) != IDC_OK)
            why_not = pe.msg;
    }
    if (why_not != NULL) {
        r->exact = r->figures = IDC_AUDIT_NOT_RERUN;
        json_array_append_new(r->details, json_pack("s", why_not));
        r->mismatches++;
        goto out;
    }
    uint64_t run_seed = strtoull(rs, NULL, 10);
    json_int_t index = json_integer_value(ti);
    if (index < 0 || index > (json_int_t)UINT32_MAX) {
        r->exact = r->figures = IDC_AUDIT_NOT_RERUN;
        json_array_append_new(r->details, json_string("trial_index out of range"));
        r->mismatches++;
        goto out;
    }
    uint64_t tseed = idc_rng_derive_seed(run_seed, (uint32_t)index);
    char dec[24], hex[24];
    snprintf(dec, sizeof dec, "%" PRIu64, tseed);
    snprintf(hex, sizeof hex, "0x%016" PRIx64, tseed);
    cmp_str(r, &r->exact, "seed (trials row)", ss, dec);
    if (rec != NULL)
        cmp_str(r, &r->exact, "seed (record)", json_string_value(json_object_get(rec, "seed")), hex);

    /* the re-run */
    idc_err te;
    double t0 = now();
    int trc = def->run_trial(&tr, params, run_seed, (uint32_t)index, &te);
    r->seconds = now() - t0;
    if (trc != IDC_OK) {
        snprintf(r->outcome_rerun, sizeof r->outcome_rerun, "ERROR");
        cmp_str(r, &r->exact, "outcome", r->outcome, "ERROR");
        cmp_str(r, &r->figures, "error", row_str(row, "reason"), te.msg);
        goto out;
    }
    json_t *f = tr.record ? json_incref(tr.record) : json_object();
    json_object_set_new(f, "outcome", json_string(idc_trial_outcome_name(tr.outcome)));
    if (tr.why[0])
        json_object_set_new(f, "why", json_string(tr.why));
    json_object_set_new(f, "trial", json_integer(index));
    json_object_set_new(f, "seed", json_string(hex));
    /* through the stored form, so that numbers have the types a stored
     * record reads back with */
    char *ft = idc_store_canonical(f);
    json_decref(f);
    fresh = ft ? json_loads(ft, 0, NULL) : NULL;
    free(ft);
    if (fresh == NULL) {
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
        goto out;
    }
    snprintf(r->outcome_rerun, sizeof r->outcome_rerun, "%s", idc_trial_outcome_name(tr.outcome));

    /* exact parts */
    cmp_str(r, &r->exact, "outcome", r->outcome, r->outcome_rerun);
    const json_t *inst = json_object_get(fresh, "instance");
    const char *hash = json_string_value(json_object_get(fresh, "model_hash"));
    if (rec != NULL) {
        cmp_exact(r, "record.instance", json_object_get(rec, "instance"), inst);
        cmp_exact(r, "record.model_hash", json_object_get(rec, "model_hash"), json_object_get(fresh, "model_hash"));
        cmp_exact(r, "record.preconditions", json_object_get(rec, "preconditions"),
                  json_object_get(fresh, "preconditions"));
    }
    cmp_str(r, &r->exact, "trials.instance_hash", row_str(row, "instance_hash"), inst != NULL ? hash : NULL);
    if (inst != NULL && hash != NULL) {
        char *is = idc_store_canonical(inst);
        cmp_str(r, &r->exact, "instances.json", row_str(row, "instance_json"), is);
        free(is);
        /* the stored instance is the model its hash names */
        const char *sj = row_str(row, "instance_json");
        idc_instance si;
        idc_err ie;
        char h2[65] = "";
        if (sj != NULL && idc_instance_read_string(&si, sj, &ie) == IDC_OK) {
            if (idc_instance_hash(h2, &si, &ie) != IDC_OK)
                h2[0] = '\0';
            idc_instance_clear(&si);
        }
        cmp_str(r, &r->exact, "instances.hash (recomputed from instances.json)", row_str(row, "instance_hash"),
                h2[0] ? h2 : "(unreadable instance)");
    }
    cmp_verdicts(r, vrows, json_object_get(fresh, "preconditions"), "", 1, &r->exact);
    /* the samples' hash, recomputed from the re-run's instance */
    const json_t *srow = json_array_get(srows, 0);
    if (srow != NULL) {
        json_int_t sn = json_integer_value(json_object_get(srow, "n"));
        char sh[65] = "";
        idc_err se;
        if (inst == NULL || sn < 1 || sn > (1 << 20) ||
            idc_store_samples_hash(sh, inst, tseed, (size_t)sn, &se) != IDC_OK)
            snprintf(sh, sizeof sh, "(not computable)");
        cmp_str(r, &r->exact, "samples.sha256", row_str(srow, "sha256"), sh);
        cmp_str(r, &r->exact, "samples.seed", row_str(srow, "seed"), dec);
    }
    /* trained figures */
    if (rec != NULL) {
        json_t *a = json_deep_copy(rec), *b = json_deep_copy(fresh);
        /* compared above, or not comparable (regression bookkeeping, replay
         * commands) */
        static const char *const skip[] = {"instance", "model_hash", "preconditions", "outcome", "trial", "seed",
                                           "replay", "regression", "run_seed", "params", "shrink",
                                           /* a sweep's bookkeeping (docs/SWEEP.md) */
                                           "cell", "property", "knobs", "label"};
        for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++) {
            json_object_del(a, skip[i]);
            json_object_del(b, skip[i]);
        }
        cmp_json(r, "record", a, b, o, 0);
        json_decref(a);
        json_decref(b);
    }
    cmp_str(r, &r->figures, "trials.reason", row_str(row, "reason"), tr.why[0] ? tr.why : NULL);
    cmp_verdicts(r, vrows, json_object_get(fresh, "fitted_model_class"), "fitted:", o->bitwise, &r->figures);
    idc_err me;
    if (idc_store_measurements(&meas, fresh, &me) != IDC_OK) {
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
        goto out;
    }
    size_t i;
    json_t *m;
    json_array_foreach(mrows, i, m)
    {
        const char *name = row_str(m, "name");
        const json_t *fm = NULL;
        size_t k;
        json_t *x;
        json_array_foreach(meas, k, x)
        {
            if (name != NULL && strcmp(json_string_value(json_object_get(x, "name")), name) == 0)
                fm = x;
        }
        char what[200];
        snprintf(what, sizeof what, "measurements.%s", name ? name : "?");
        if (fm == NULL) {
            differ(r, &r->figures, "%s: stored, not produced by the re-run", what);
            continue;
        }
        cmp_str(r, &r->figures, "measurements.kind", row_str(m, "kind"), json_string_value(json_object_get(fm, "kind")));
        json_t *sv = json_object_get(m, "value"), *fv = json_object_get(fm, "value");
        int fnum = json_is_number(fv) && isfinite(json_number_value(fv));
        if (json_is_number(sv) && fnum)
            cmp_real(r, what, json_number_value(sv), json_number_value(fv), o);
        else if (json_is_number(sv) != fnum)
            differ(r, &r->figures, "%s: stored %s, re-run %s", what, json_is_number(sv) ? "a number" : "NULL",
                   fnum ? "a number" : "NULL");
    }
    r->compared++;
    if (json_array_size(mrows) != json_array_size(meas))
        differ(r, &r->figures, "measurements: %zu stored, %zu re-derived", json_array_size(mrows),
               json_array_size(meas));
out:
    idc_trial_clear(&tr);
    free(params);
    json_decref(params_json);
    json_decref(meas);
    json_decref(fresh);
    json_decref(rec);
    json_decref(rows);
    json_decref(vrows);
    json_decref(mrows);
    json_decref(srows);
    return rc;
}

/* The last component of a measurement's path is a timing. */
static int timing_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return timing_key(dot != NULL ? dot + 1 : name);
}

int idc_audit_compare_record(idc_audit_trial *r, idc_store *s, int64_t record_id, const json_t *fresh,
                             const json_t *fresh_verdicts, const char *why_not, const idc_audit_opts *o, idc_err *err)
{
    memset(r, 0, sizeof *r);
    r->trial_id = record_id;
    r->details = json_array();
    if (r->details == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    json_t *args = json_pack("[I]", (json_int_t)record_id), *rows = NULL, *vrows = NULL, *mrows = NULL;
    int rc = idc_store_query(s, &rows,
                             "SELECT r.*, i.json AS instance_json FROM records r LEFT JOIN instances i ON "
                             "i.hash = r.instance_hash WHERE r.record_id = ?1",
                             args, err);
    if (rc == IDC_OK)
        rc = idc_store_query(s, &vrows, "SELECT * FROM record_verdicts WHERE record_id = ?1 ORDER BY precondition",
                             args, err);
    if (rc == IDC_OK)
        rc = idc_store_query(s, &mrows, "SELECT * FROM record_measurements WHERE record_id = ?1 ORDER BY name", args,
                             err);
    json_decref(args);
    const json_t *row = json_array_get(rows, 0);
    if (rc == IDC_OK && row == NULL)
        rc = idc_err_set(err, IDC_EINVAL, "%s: no record %" PRId64, idc_store_path(s), record_id);
    json_t *rec = NULL, *meas = NULL;
    if (rc != IDC_OK)
        goto out;
    r->run_id = json_integer_value(json_object_get(row, "run_id"));
    const char *kind = row_str(row, "kind") ? row_str(row, "kind") : "";
    snprintf(r->cell, sizeof r->cell, "%s", row_str(row, "cell") ? row_str(row, "cell") : "");
    snprintf(r->property, sizeof r->property, "%s", kind);
    snprintf(r->outcome, sizeof r->outcome, "-");
    rec = json_loads(row_str(row, "record") ? row_str(row, "record") : "", 0, NULL);
    if (rec == NULL)
        differ(r, &r->exact, "record: not JSON");
    /* the stored instance is the model its hash names */
    const char *ih = row_str(row, "instance_hash"), *sj = row_str(row, "instance_json");
    if (ih != NULL) {
        idc_instance si;
        idc_err ie;
        char h2[65] = "";
        if (sj != NULL && idc_instance_read_string(&si, sj, &ie) == IDC_OK) {
            if (idc_instance_hash(h2, &si, &ie) != IDC_OK)
                h2[0] = '\0';
            idc_instance_clear(&si);
        }
        cmp_str(r, &r->exact, "instances.hash (recomputed from instances.json)", ih, h2[0] ? h2 : "(unreadable)");
    }
    if (why_not != NULL || fresh == NULL) {
        r->exact = r->figures = IDC_AUDIT_NOT_RERUN;
        json_array_append_new(r->details, json_string(why_not != NULL ? why_not : "not re-derived"));
        r->mismatches++;
        goto out;
    }
    snprintf(r->outcome_rerun, sizeof r->outcome_rerun, "-");
    /* exact parts: the model hash (the stored record's, the row's and the
     * re-derived one), a check's whole document, a reproduction's
     * certified verdicts, the verdicts rows */
    const char *mh = json_string_value(json_object_get(fresh, "model_hash"));
    if (rec != NULL && (json_object_get(rec, "model_hash") != NULL || mh != NULL))
        cmp_exact(r, "record.model_hash", json_object_get(rec, "model_hash"), json_object_get(fresh, "model_hash"));
    if (ih != NULL || mh != NULL)
        cmp_str(r, &r->exact, "records.instance_hash", ih, mh);
    static const char *const check_exact[] = {"preconditions", "theorems", "strongest_class", "strongest_law_class"};
    int is_check = strcmp(kind, "check") == 0;
    if (rec != NULL && is_check) {
        for (size_t k = 0; k < sizeof check_exact / sizeof check_exact[0]; k++) {
            char what[64];
            snprintf(what, sizeof what, "record.%s", check_exact[k]);
            cmp_exact(r, what, json_object_get(rec, check_exact[k]), json_object_get(fresh, check_exact[k]));
        }
    }
    if (rec != NULL && json_object_get(rec, "certified") != NULL)
        cmp_exact(r, "record.certified", json_object_get(rec, "certified"), json_object_get(fresh, "certified"));
    if (json_array_size(vrows) > 0 || fresh_verdicts != NULL)
        cmp_verdicts(r, vrows, fresh_verdicts, "", 1, &r->exact);
    /* trained figures: the rest of the record, the measurements */
    if (rec != NULL) {
        json_t *a = json_deep_copy(rec), *b = json_deep_copy(fresh);
        static const char *const skip[] = {"model_hash", "certified", "preconditions", "theorems", "strongest_class",
                                           "strongest_law_class"};
        for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++) {
            if (i >= 2 && !is_check)
                break;
            json_object_del(a, skip[i]);
            json_object_del(b, skip[i]);
        }
        cmp_json(r, "record", a, b, o, 0);
        json_decref(a);
        json_decref(b);
    }
    idc_err me;
    if (idc_store_record_measurements(&meas, fresh, &me) != IDC_OK) {
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
        goto out;
    }
    size_t i, nmeas = 0;
    json_t *m;
    json_array_foreach(meas, i, m)
    {
        if (!timing_name(json_string_value(json_object_get(m, "name"))))
            nmeas++;
    }
    size_t nrows = 0;
    json_array_foreach(mrows, i, m)
    {
        const char *name = row_str(m, "name");
        if (name == NULL || timing_name(name))
            continue;
        nrows++;
        const json_t *fm = NULL;
        size_t k;
        json_t *x;
        json_array_foreach(meas, k, x)
        {
            if (strcmp(json_string_value(json_object_get(x, "name")), name) == 0)
                fm = x;
        }
        char what[200];
        snprintf(what, sizeof what, "record_measurements.%s", name);
        if (fm == NULL) {
            differ(r, &r->figures, "%s: stored, not produced by the re-run", what);
            continue;
        }
        json_t *sv = json_object_get(m, "value"), *fv = json_object_get(fm, "value");
        int fnum = json_is_number(fv) && isfinite(json_number_value(fv));
        if (json_is_number(sv) && fnum)
            cmp_real(r, what, json_number_value(sv), json_number_value(fv), o);
        else if (json_is_number(sv) != fnum)
            differ(r, &r->figures, "%s: stored %s, re-run %s", what, json_is_number(sv) ? "a number" : "NULL",
                   fnum ? "a number" : "NULL");
    }
    r->compared++;
    if (nrows != nmeas)
        differ(r, &r->figures, "record_measurements: %zu stored, %zu re-derived", nrows, nmeas);
out:
    json_decref(meas);
    json_decref(rec);
    json_decref(rows);
    json_decref(vrows);
    json_decref(mrows);
    return rc;
}
