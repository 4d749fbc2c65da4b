/* The verifier's command-line front end (cli/verify.h). */
#include "cli/verify.h"

#include <string.h>

#include <jansson.h>

#include "models/instance.h"
#include "theory/verify.h"

void idc_verify_help(FILE *fp, const char *usage)
{
    fprintf(fp, "usage: %s\n\n", usage);
    fprintf(fp, "Re-derives a precondition verdict from its certificate without any search: the\n"
                "model hash must match INST.json, and the witness must prove the verdict (minors\n"
                "recomputed mod p, collisions evaluated exactly, ...). CERT.json is one\n"
                "certificate or the output of `idcheck check --json`; for a report every entry is\n"
                "checked: its model_hash must be INST.json's, every HOLDS or FAILS must carry a\n"
                "valid certificate with the entry's id and verdict, and an UNKNOWN must carry none\n"
                "(it claims nothing, so there is nothing to verify; estimator-side IDs such as REC\n"
                "are always UNKNOWN). Exit 0 then means: every verdict in the report is certified\n"
                "for this instance. The theorem table and strongest classes of a report must be\n"
                "what the theorem registry gives for its verdicts.\n\n"
                "exit codes: 0 valid (or nothing to verify), 1 invalid (reason printed),\n"
                "2 bad usage or input, 3 internal error\n");
}

/* Verifies one certificate; prints its line. Returns 0 valid, 1 invalid,
 * 3 internal. */
static int verify_one(const json_t *cert, const idc_instance *inst, idc_verify_errfn err, const char *verb)
{
    char why[512];
    int rc = idc_cert_verify(cert, inst, why, sizeof why);
    const char *id = json_string_value(json_object_get(cert, "precondition"));
    const char *v = json_string_value(json_object_get(cert, "verdict"));
    const char *m = json_string_value(json_object_get(cert, "method"));
    if (rc == IDC_OK) {
        printf("valid    %-6s %-6s %s\n", id != NULL ? id : "?", v != NULL ? v : "?", m != NULL ? m : "?");
        return 0;
    }
    if (rc == IDC_EDOM) {
        printf("INVALID  %-6s %s\n", id != NULL ? id : "?", why);
        return 1;
    }
    err(verb, "%s", why[0] ? why : idc_status_name(rc));
    return 3;
}

/* Prints the line of one report entry. */
static void print_entry(void *arg, const idc_cert_entry *e)
{
    (void)arg;
    if (e->status != IDC_OK)
        printf("INVALID  %s\n", e->reason);
    else if (e->verdict == IDC_UNKNOWN)
        printf("unknown  %-6s UNKNOWN no claim, nothing to verify  (preconditions[%zu])\n", e->id, e->index);
    else
        printf("valid    %-6s %-6s %s  (preconditions[%zu])\n", e->id, idc_verdict_name(e->verdict),
               e->method != NULL ? e->method : "?", e->index);
}

/* Verifies a check report; prints its lines. Returns the exit code. */
static int verify_report(const json_t *root, const idc_instance *inst, const char *cpath, idc_verify_errfn err,
                         const char *verb)
{
    char why[IDC_ERR_LEN];
    idc_cert_tally t;
    int rc = idc_cert_verify_report(&t, root, inst, print_entry, NULL, why, sizeof why);
    if (rc == IDC_EINVAL) {
        err(verb, "%s: %s", cpath, why);
        return 2;
    }
    if (rc != IDC_OK && rc != IDC_EDOM) {
        err(verb, "%s", why[0] ? why : idc_status_name(rc));
        return idc_status_exit_code(rc);
    }
    if (rc == IDC_EDOM) {
        if (t.invalid == 0) /* a report-level claim: no entry line printed it */
            printf("INVALID  %s\n", why);
        if (t.invalid > 0)
            printf("report: INVALID (%zu of %zu entries invalid)\n", t.invalid, t.entries);
        else
            printf("report: INVALID\n");
        err(verb, "%s: %s", cpath, why);
        return 1;
    }
    if (t.certified == 0)
        printf("report: nothing to verify (%zu entries, all UNKNOWN: no claim)\n", t.entries);
    else
        printf("report: valid (%zu certified verdicts re-derived; %zu UNKNOWN, nothing to verify; %zu theorem rows "
               "consistent)\n",
               t.certified, t.unknown, t.theorems);
    return 0;
}

int idc_verify_files(const char *cpath, const char *ipath, idc_verify_errfn err, const char *verb)
{
    json_error_t je;
    json_t *root = json_load_file(cpath, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        if (je.line < 1)
            err(verb, "%s: %s", cpath, je.text);
        else
            err(verb, "%s: malformed JSON at line %d column %d: %s", cpath, je.line, je.column, je.text);
        return 2;
    }
    if (!json_is_object(root)) {
        err(verb, "%s: expected a JSON object (a certificate or a check report)", cpath);
        json_decref(root);
        return 2;
    }
    idc_instance inst;
    idc_err e;
    int rc = idc_instance_read_file(&inst, ipath, &e);
    if (rc != IDC_OK) {
        err(verb, "%s", e.msg);
        json_decref(root);
        return idc_status_exit_code(rc);
    }
    int code;
    if (json_object_get(root, "preconditions") != NULL)
        code = verify_report(root, &inst, cpath, err, verb);
    else
        code = verify_one(root, &inst, err, verb);
    idc_instance_clear(&inst);
    json_decref(root);
    if (fflush(stdout) != 0 && code == 0)
        code = 3;
    return code;
}
