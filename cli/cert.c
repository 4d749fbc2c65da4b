/* idcheck cert verify CERT.json INST.json
 *
 * Verifies a certificate (or every certificate of an `idcheck check --json`
 * report) against an instance with the independent verifier of
 * theory/cert.h. Prints one line per certificate; exits 0 when all are
 * valid, 1 when one is not (the reason on its line), 2 on bad input. */
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
                "certificate or the output of `idcheck check --json` (every certificate in it is\n"
                "verified; UNKNOWN entries carry none and are skipped).\n\n"
                "exit codes: 0 valid, 1 invalid (reason printed), 2 bad usage or input, 3 internal error\n");
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
    int code = 0;
    json_t *pre = json_object_get(root, "preconditions");
    if (pre != NULL) {
        if (!json_is_array(pre)) {
            idc_cli_error("cert", "%s: preconditions: expected an array", cpath);
            code = 2;
        }
        size_t nverified = 0;
        for (size_t i = 0; code != 2 && code != 3 && i < json_array_size(pre); i++) {
            json_t *c = json_object_get(json_array_get(pre, i), "certificate");
            if (c == NULL || json_is_null(c))
                continue;
            char label[64];
            snprintf(label, sizeof label, "  (preconditions[%zu])", i);
            int r = verify_one(c, &inst, label);
            if (r > code)
                code = r;
            nverified++;
        }
        if (code == 0 && nverified == 0) {
            idc_cli_error("cert", "%s: no certificate in the report", cpath);
            code = 2;
        }
    } else {
        code = verify_one(root, &inst, "");
    }
    idc_instance_clear(&inst);
    json_decref(root);
    if (fflush(stdout) != 0 && code == 0)
        code = 3;
    return code;
}
