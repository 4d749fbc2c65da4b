/* idcheck-verify CERT_OR_REPORT.json INSTANCE.json: the standalone
 * verifier. It is linked with libidcheck-verify.a alone (theory/verify/,
 * the instance reader, the theorem registry, exact arithmetic), never with
 * a checker or a certificate builder, and answers as `idcheck cert verify`
 * does (cli/verify.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/verify.h"
#include "theory/verify.h"

#define USAGE "idcheck-verify CERT_OR_REPORT.json INSTANCE.json"

static int nerrors;

static void error_line(const char *verb, const char *fmt, ...)
{
    va_list ap;
    (void)verb;
    nerrors++;
    fputs("idcheck-verify: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int main(int argc, char **argv)
{
    int code;
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        idc_verify_help(stdout, USAGE);
        code = 0;
    } else if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("idcheck-verify %s (certificate format %d)\n", IDC_VERSION, IDC_CERT_FORMAT);
        code = 0;
    } else if (argc != 3) {
        error_line(NULL, "expected CERT_OR_REPORT.json INSTANCE.json (idcheck-verify --help)");
        code = 2;
    } else {
        code = idc_verify_files(argv[1], argv[2], error_line, NULL);
    }
    /* the output reaches its reader or the exit code says it did not */
    errno = 0;
    int bad = fflush(stdout) != 0;
    bad = ferror(stdout) || bad;
    bad = fclose(stdout) != 0 || bad;
    if (bad && (code == 0 || nerrors == 0))
        fprintf(stderr, "idcheck-verify: error writing standard output%s%s\n", errno ? ": " : "",
                errno ? strerror(errno) : "");
    if (bad && code == 0)
        code = 3;
    return code;
}
