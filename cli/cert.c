/* idcheck cert verify CERT.json INST.json
 *
 * Verifies a certificate, or every claim of an `idcheck check --json` report
 * (idc_cert_verify_report), against an instance with the independent
 * verifier of theory/cert.h. Prints one line per certificate or report
 * entry and, for a report, a summary line; exits 0 when every claim is
 * certified (a report of UNKNOWN entries only claims nothing and says so),
 * 1 when one is not (the reason, naming the entry, on its line and on
 * stderr), 2 on bad input, 3 on an internal error. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "models/instance.h"
#include "theory/cert.h"

static void help(FILE *fp)
{
    fprintf(fp, "usage: idcheck cert verify CERT.json INST.json\n\n"
                "Re-derives a precondition verdict from its certificate without any search: the\n"
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
static int verify_one(const json_t *cert, const idc_instance *inst, const char *label)
{
    char why[512];
    int rc = idc_cert_verify(cert, inst, why, sizeof why);
    const char *id = json_string_value(json_object_get(cert, "precondition"));
    const char *v = json_string_value(json_object_get(cert, "verdict"));
    const char *m = json_string_value(json_object_get(cert, "method"));
    if (rc == IDC_OK) {
        printf("valid    %-6s %-6s %s%s\n", id != NULL ? id : "?", v != NULL ? v : "?", m != NULL ? m : "?",
               label);
        return 0;
    }
    if (rc == IDC_EDOM) {
        printf("INVALID  %-6s %s%s\n", id != NULL ? id : "?", why, label);
        return 1;
    }
    idc_cli_error("cert", "%s", why[0] ? why : idc_status_name(rc));
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
static int verify_report(const json_t *root, const idc_instance *inst, const char *cpath)
{
    char why[IDC_ERR_LEN];
    idc_cert_tally t;
    int rc = idc_cert_verify_report(&t, root, inst, print_entry, NULL, why, sizeof why);
    if (rc == IDC_EINVAL) {
        idc_cli_error("cert", "%s: %s", cpath, why);
        return 2;
    }
    if (rc != IDC_OK && rc != IDC_EDOM) {
        idc_cli_error("cert", "%s", why[0] ? why : idc_status_name(rc));
        return idc_status_exit_code(rc);
    }
    if (rc == IDC_EDOM) {
        if (t.invalid == 0) /* a report-level claim: no entry line printed it */
            printf("INVALID  %s\n", why);
        if (t.invalid > 0)
            printf("report: INVALID (%zu of %zu entries invalid)\n", t.invalid, t.entries);
        else
            printf("report: INVALID\n");
        idc_cli_error("cert", "%s: %s", cpath, why);
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

int idc_cli_cert(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        help(stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "verify") != 0) {
        if (argc >= 2)
            idc_cli_error("cert", "unknown subcommand \"%s\" (expected: verify)", argv[1]);
        help(stderr);
        return 2;
    }
    if (argc >= 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
        help(stdout);
        return 0;
    }
    if (argc != 4) {
        idc_cli_error("cert", "verify: expected CERT.json INST.json");
        return 2;
    }
    const char *cpath = argv[2], *ipath = argv[3];
    json_error_t je;
    json_t *root = json_load_file(cpath, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        if (je.line < 1)
            idc_cli_error("cert", "%s: %s", cpath, je.text);
        else
            idc_cli_error("cert", "%s: malformed JSON at line %d column %d: %s", cpath, je.line, je.column,
                          je.text);
        return 2;
    }
    if (!json_is_object(root)) {
        idc_cli_error("cert", "%s: expected a JSON object (a certificate or a check report)", cpath);
        json_decref(root);
        return 2;
    }
    idc_instance inst;
    idc_err err;
    int rc = idc_instance_read_file(&inst, ipath, &err);
    if (rc != IDC_OK) {
        idc_cli_error("cert", "%s", err.msg);
        json_decref(root);
        return idc_status_exit_code(rc);
    }
    int code;
    if (json_object_get(root, "preconditions") != NULL)
        code = verify_report(root, &inst, cpath);
    else
        code = verify_one(root, &inst, "");
    idc_instance_clear(&inst);
    json_decref(root);
    if (fflush(stdout) != 0 && code == 0)
        code = 3;
    return code;
}
