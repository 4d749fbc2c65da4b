/* The verifier's command-line front end, shared by `idcheck cert verify`
 * (cli/cert.c) and the standalone idcheck-verify (cli/verify/main.c): it
 * reads a certificate or a check report and an instance, verifies them with
 * theory/verify.h and prints one line per certificate or report entry.
 * It depends only on the verifier library (libidcheck-verify.a). */
#ifndef IDC_CLI_VERIFY_H
#define IDC_CLI_VERIFY_H

#include <stdio.h>

/* Error lines go through err(verb, fmt, ...): one line on stderr. */
typedef void (*idc_verify_errfn)(const char *verb, const char *fmt, ...);

/* The help text after the usage line: what is verified and the exit codes. */
void idc_verify_help(FILE *fp, const char *usage);

/* Verifies the certificate or check report at cpath against the instance
 * at ipath and prints the lines. Returns the exit code: 0 when every claim
 * is certified (a report with no HOLDS or FAILS entry says it has nothing
 * to verify; the UNKNOWN entries of a mixed report are listed as carrying
 * no claim), 1 when one is not (the reason, naming the entry, on its line
 * and through err), 2 for bad input (unreadable or malformed files), 3 for
 * an internal error or a failed write of stdout. */
int idc_verify_files(const char *cpath, const char *ipath, idc_verify_errfn err, const char *verb);

#endif
