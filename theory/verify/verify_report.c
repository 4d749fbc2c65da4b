/* Check reports: every claim of an `idcheck check --json` report verified
 * against the instance (theory/cert.h, "check reports"). The certificates
 * themselves go through idc_cert_verify; this file checks that the report
 * says what its certificates prove: the model hash, each entry's id and
 * verdict against its certificate's, a certificate behind every HOLDS and
 * FAILS and none behind an UNKNOWN, and the theorem table and strongest
 * classes recomputed from the verdicts with the theorem registry. No
 * search, no checker code. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "theory/verify.h"
#include "theory/theorem.h"

/* A judged entry: its id and verdict as the report states them. */
typedef struct {
    const char *id;
    idc_verdict v;
} claim;

typedef struct {
    const claim *c;
    size_t n;
} claims;

static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(char *buf, size_t len, const char *fmt, ...)
{
    if (buf == NULL || len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

static const claim *find(const claims *cs, const char *id)
{
    for (size_t k = 0; k < cs->n; k++)
        if (cs->c[k].id != NULL && strcmp(cs->c[k].id, id) == 0)
            return &cs->c[k];
    return NULL;
}

static idc_verdict lookup(void *ctx, const char *id)
{
    const claim *c = find(ctx, id);
    return c != NULL ? c->v : IDC_UNKNOWN;
}

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static const char *or_none(const char *s)
{
    return s != NULL ? s : "none";
}

/* Judges entry e (index i) of the report; sets *out (id and verdict as
 * stated) and writes the reason into why on IDC_EDOM. Returns IDC_OK,
 * IDC_EDOM, or a status of the certificate verifier other than IDC_EDOM
 * (then why holds its message). earlier: the entries before this one;
 * hash: the instance's. */
static int judge(claim *out, const char **method, const json_t *e, size_t i, const claims *earlier,
                 const idc_instance *inst, const char *hash, char *why, size_t len)
{
    out->id = NULL;
    out->v = IDC_UNKNOWN;
    *method = NULL;
    if (!json_is_object(e)) {
        say(why, len, "preconditions[%zu]: expected an object {id, verdict, reason, certificate}", i);
        return IDC_EDOM;
    }
    const char *id = json_string_value(json_object_get(e, "id"));
    if (id == NULL || id[0] == '\0') {
        say(why, len, "preconditions[%zu]: id: expected a precondition ID (THEORY.md Sec. 3)", i);
        return IDC_EDOM;
    }
    out->id = id;
    const claim *dup = find(earlier, id);
    if (dup != NULL) {
        say(why, len, "preconditions[%zu] (%s): a second entry for %s (preconditions[%zu])", i, id, id,
            (size_t)(dup - earlier->c));
        return IDC_EDOM;
    }
    const char *vs = json_string_value(json_object_get(e, "verdict"));
    idc_verdict v;
    if (vs == NULL || idc_verdict_parse(&v, vs) != IDC_OK) {
        say(why, len, "preconditions[%zu] (%s): verdict: expected HOLDS, FAILS or UNKNOWN", i, id);
        return IDC_EDOM;
    }
    out->v = v;
    json_t *cert = json_object_get(e, "certificate");
    if (json_is_null(cert))
        cert = NULL;
    if (v == IDC_UNKNOWN) {
        if (cert != NULL) {
            say(why, len, "preconditions[%zu] (%s): an UNKNOWN carries no certificate (it claims nothing)", i, id);
            return IDC_EDOM;
        }
        return IDC_OK;
    }
    if (cert == NULL) {
        say(why, len, "preconditions[%zu] (%s): %s without a certificate", i, id, vs);
        return IDC_EDOM;
    }
    *method = json_string_value(json_object_get(cert, "method"));
    const char *cid = json_string_value(json_object_get(cert, "precondition"));
    const char *cv = json_string_value(json_object_get(cert, "verdict"));
    if (cid == NULL || strcmp(cid, id) != 0) {
        say(why, len, "preconditions[%zu] (%s): the certificate is for %s, not %s", i, id,
            cid != NULL ? cid : "no precondition", id);
        return IDC_EDOM;
    }
    if (cv == NULL || strcmp(cv, vs) != 0) {
        say(why, len, "preconditions[%zu] (%s): verdict %s, but the certificate is for %s", i, id, vs,
            cv != NULL ? cv : "no verdict");
        return IDC_EDOM;
    }
    char r[IDC_ERR_LEN];
    int rc = idc_cert_verify_hashed(cert, inst, hash, r, sizeof r);
    if (rc == IDC_EDOM)
        say(why, len, "preconditions[%zu] (%s): %s", i, id, r);
    else if (rc != IDC_OK)
        say(why, len, "preconditions[%zu] (%s): %s", i, id, r[0] != '\0' ? r : idc_status_name(rc));
    return rc;
}

/* Row k of the theorem table against the registry and the verdicts: every
 * field but the theorem's source is a claim (applicability, blocking
 * precondition, conclusion and its level, estimator conditions). */
static int judge_theorem(const json_t *rows, size_t k, const claims *cs, char *why, size_t len)
{
    const json_t *row = json_array_get(rows, k);
    const char *id = json_string_value(json_object_get(row, "id"));
    const idc_thm_info *t = idc_thm_find(id);
    if (!json_is_object(row) || t == NULL) {
        say(why, len, "theorems[%zu]: id: expected a theorem ID of THEORY.md Sec. 4", k);
        return IDC_EDOM;
    }
    if (t->kind != IDC_THM_THEOREM) {
        say(why, len, "theorems[%zu] (%s): a lemma, never applied to an instance", k, id);
        return IDC_EDOM;
    }
    for (size_t j = 0; j < k; j++)
        if (same(json_string_value(json_object_get(json_array_get(rows, j), "id")), id)) {
            say(why, len, "theorems[%zu] (%s): a second row for %s (theorems[%zu])", k, id, id, j);
            return IDC_EDOM;
        }
    const char *blocking;
    idc_verdict a = idc_thm_applies(t, lookup, (void *)cs, &blocking);
    const char *as = json_string_value(json_object_get(row, "applies"));
    if (!same(as, idc_verdict_name(a))) {
        say(why, len, "theorems[%zu] (%s): applies %s, but the report's verdicts give %s", k, id,
            as != NULL ? as : "missing", idc_verdict_name(a));
        return IDC_EDOM;
    }
    const char *b = json_string_value(json_object_get(row, "blocking"));
    const char *bv = json_string_value(json_object_get(row, "blocking_verdict"));
    const claim *bc = blocking != NULL ? find(cs, blocking) : NULL;
    const char *want_bv = blocking == NULL ? NULL : (bc != NULL ? idc_verdict_name(bc->v) : "not checked");
    if (!same(b, blocking) || !same(bv, want_bv)) {
        say(why, len, "theorems[%zu] (%s): blocking %s (%s), but the report's verdicts give %s (%s)", k, id,
            or_none(b), bv != NULL ? bv : "-", or_none(blocking), want_bv != NULL ? want_bv : "-");
        return IDC_EDOM;
    }
    static const char *const keys[] = {"conclusion", "level", "map_class", "identifies"};
    const char *want[] = {t->conclusion, t->level, t->map_class, t->identifies};
    for (size_t f = 0; f < sizeof keys / sizeof keys[0]; f++) {
        const char *got = json_string_value(json_object_get(row, keys[f]));
        if (!same(got, want[f])) {
            say(why, len, "theorems[%zu] (%s): %s %s, but the theorem's is %s", k, id, keys[f], or_none(got),
                or_none(want[f]));
            return IDC_EDOM;
        }
    }
    json_t *est = json_object_get(row, "estimator_conditions");
    size_t n = 0;
    while (n < IDC_THM_MAX_EST && t->estimator[n] != NULL)
        n++;
    int ok = json_is_array(est) && json_array_size(est) == n;
    for (size_t j = 0; ok && j < n; j++)
        ok = same(json_string_value(json_array_get(est, j)), t->estimator[j]);
    if (!ok) {
        say(why, len, "theorems[%zu] (%s): estimator_conditions differ from the theorem's", k, id);
        return IDC_EDOM;
    }
    return IDC_OK;
}

/* The strongest class at one level ("map": the map_class of every
 * applicable theorem; "law": the conclusion of the applicable law-level
 * ones) against the report's key, when present. */
static int judge_strongest(const json_t *report, const char *key, int law, const claims *cs, char *why, size_t len)
{
    json_t *sc = json_object_get(report, key);
    if (sc == NULL)
        return IDC_OK;
    const char *best = NULL, *best_id = NULL;
    int rank = 0;
    for (size_t i = 0; i < idc_thm_count(); i++) {
        const idc_thm_info *t = idc_thm_at(i);
        const char *blocking;
        if (t->kind != IDC_THM_THEOREM || idc_thm_applies(t, lookup, (void *)cs, &blocking) != IDC_HOLDS)
            continue;
        const char *cls = law ? (same(t->level, "law") ? t->conclusion : NULL) : t->map_class;
        int r = cls != NULL ? idc_thm_class_rank(cls) : 0;
        if (r > rank) {
            rank = r;
            best = cls;
            best_id = t->id;
        }
    }
    const char *got = json_string_value(sc);
    if ((got == NULL && !json_is_null(sc)) || !same(got, best)) {
        say(why, len, "%s: %s, but the report's verdicts give %s%s%s%s", key, got != NULL ? got : "null",
            or_none(best), best != NULL ? " (" : "", best != NULL ? best_id : "", best != NULL ? ")" : "");
        return IDC_EDOM;
    }
    return IDC_OK;
}

/* The theorem table and the strongest classes, when present. */
static int judge_theorems(idc_cert_tally *tally, const json_t *report, const claims *cs, char *why, size_t len)
{
    json_t *rows = json_object_get(report, "theorems");
    if (rows != NULL) {
        if (!json_is_array(rows)) {
            say(why, len, "theorems: expected an array");
            return IDC_EDOM;
        }
        for (size_t k = 0; k < json_array_size(rows); k++) {
            int rc = judge_theorem(rows, k, cs, why, len);
            if (rc != IDC_OK)
                return rc;
            tally->theorems++;
        }
    }
    int rc = judge_strongest(report, "strongest_class", 0, cs, why, len);
    return rc != IDC_OK ? rc : judge_strongest(report, "strongest_law_class", 1, cs, why, len);
}

int idc_cert_verify_report(idc_cert_tally *tally, const json_t *report, const idc_instance *inst,
                           idc_cert_entry_fn fn, void *arg, char *reason, size_t reason_len)
{
    idc_cert_tally local;
    if (tally == NULL)
        tally = &local;
    memset(tally, 0, sizeof *tally);
    say(reason, reason_len, "%s", "");
    json_t *pre = json_object_get(report, "preconditions");
    if (!json_is_object(report) || !json_is_array(pre)) {
        say(reason, reason_len, "preconditions: expected a check report with a \"preconditions\" array");
        return IDC_EINVAL;
    }
    char hash[65];
    idc_err err;
    int rc = idc_instance_hash(hash, inst, &err);
    if (rc != IDC_OK) {
        say(reason, reason_len, "%s", err.msg);
        return rc;
    }
    const char *rh = json_string_value(json_object_get(report, "model_hash"));
    if (rh == NULL || strcmp(rh, hash) != 0) {
        if (rh == NULL)
            say(reason, reason_len, "model_hash: missing (the report must name its instance)");
        else
            say(reason, reason_len, "model_hash: the report is for another model (%.16s..., the instance is %.16s...)",
                rh, hash);
        return IDC_EDOM;
    }
    size_t n = json_array_size(pre);
    claim *cs = malloc((n > 0 ? n : 1) * sizeof *cs);
    if (cs == NULL) {
        say(reason, reason_len, "out of memory");
        return IDC_ENOMEM;
    }
    int result = IDC_OK;
    char why[IDC_ERR_LEN];
    for (size_t i = 0; i < n; i++) {
        claims earlier = {cs, i};
        const char *method;
        why[0] = '\0';
        rc = judge(&cs[i], &method, json_array_get(pre, i), i, &earlier, inst, hash, why, sizeof why);
        if (rc != IDC_OK && rc != IDC_EDOM) {
            say(reason, reason_len, "%s", why);
            free(cs);
            return rc;
        }
        tally->entries++;
        if (rc == IDC_EDOM)
            tally->invalid++;
        else if (cs[i].v == IDC_UNKNOWN)
            tally->unknown++;
        else
            tally->certified++;
        if (rc == IDC_EDOM && result == IDC_OK) {
            result = IDC_EDOM;
            say(reason, reason_len, "%s", why);
        }
        if (fn != NULL) {
            idc_cert_entry e = {i, cs[i].id != NULL ? cs[i].id : "?", cs[i].v, method, rc,
                                rc == IDC_OK ? NULL : why};
            fn(arg, &e);
        }
    }
    if (result == IDC_OK) {
        claims all = {cs, n};
        result = judge_theorems(tally, report, &all, reason, reason_len);
    }
    free(cs);
    return result;
}
