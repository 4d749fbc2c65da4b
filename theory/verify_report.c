/* Check reports: every claim of an `idcheck check --json` report verified
 * against the instance (theory/cert.h, "check reports"). The certificates
 * themselves go through idc_cert_verify; this file checks that the report
 * says what its certificates prove: the model hash, each entry's id and
 * verdict against its certificate's, a certificate behind every HOLDS and
 * FAILS and none behind an UNKNOWN. No search, no checker code. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "theory/cert.h"

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

/* Judges entry e (index i) of the report; sets *out (id and verdict as
 * stated) and writes the reason into why on IDC_EDOM. Returns IDC_OK,
 * IDC_EDOM, or a status of idc_cert_verify other than IDC_EDOM (then why
 * holds its message). earlier: the entries before this one. */
static int judge(claim *out, const char **method, const json_t *e, size_t i, const claims *earlier,
                 const idc_instance *inst, char *why, size_t len)
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
    int rc = idc_cert_verify(cert, inst, r, sizeof r);
    if (rc == IDC_EDOM)
        say(why, len, "preconditions[%zu] (%s): %s", i, id, r);
    else if (rc != IDC_OK)
        say(why, len, "preconditions[%zu] (%s): %s", i, id, r[0] != '\0' ? r : idc_status_name(rc));
    return rc;
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
        rc = judge(&cs[i], &method, json_array_get(pre, i), i, &earlier, inst, why, sizeof why);
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
    free(cs);
    return result;
}
