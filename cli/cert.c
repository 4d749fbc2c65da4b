/* idcheck cert verify CERT.json INST.json
 *
 * Verifies a certificate, or every claim of an `idcheck check --json` report
 * (idc_cert_verify_report), against an instance with the independent
 * verifier of theory/verify.h, through the front end the standalone
 * idcheck-verify shares (cli/verify.h). Prints one line per certificate or
 * report entry and, for a report, a summary line; exits 0 when every claim
 * is certified (a report of UNKNOWN entries only claims nothing and says
 * so), 1 when one is not (the reason, naming the entry, on its line and on
 * stderr), 2 on bad input, 3 on an internal error. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/verify.h"

#define USAGE "idcheck cert verify CERT.json INST.json"

int idc_cli_cert(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        idc_verify_help(stdout, USAGE);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "verify") != 0) {
        if (argc >= 2)
            idc_cli_error("cert", "unknown subcommand \"%s\" (expected: verify)", argv[1]);
        idc_verify_help(stderr, USAGE);
        return 2;
    }
    if (argc >= 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
        idc_verify_help(stdout, USAGE);
        return 0;
    }
    if (argc != 4) {
        idc_cli_error("cert", "verify: expected CERT.json INST.json");
        return 2;
    }
    return idc_verify_files(argv[2], argv[3], idc_cli_error, "cert");
}
