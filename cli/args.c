#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

static int nerrors;

int idc_cli_error_count(void)
{
    return nerrors;
}

void idc_cli_error(const char *verb, const char *fmt, ...)
{
    va_list ap;
    nerrors++;
    fprintf(stderr, "idcheck %s: ", verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int idc_cli_parse_u64(const char *opt, const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (s == NULL || *s == '-' || *s == '\0') {
        fprintf(stderr, "idcheck: %s: expected a non-negative integer, got \"%s\"\n", opt, s ? s : "");
        return 0;
    }
    unsigned long long v = strtoull(s, &end, 0);
    if (*end != '\0' || errno != 0) {
        fprintf(stderr, "idcheck: %s: expected a non-negative integer, got \"%s\"\n", opt, s);
        return 0;
    }
    *out = (uint64_t)v;
    return 1;
}

int idc_cli_parse_size(const char *opt, const char *s, size_t *out)
{
    uint64_t v;
    if (!idc_cli_parse_u64(opt, s, &v))
        return 0;
    *out = (size_t)v;
    return 1;
}

int idc_cli_parse_double(const char *opt, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = s ? strtod(s, &end) : 0.0;
    if (s == NULL || end == s || *end != '\0' || errno != 0 || !isfinite(v)) {
        fprintf(stderr, "idcheck: %s: expected a finite number, got \"%s\"\n", opt, s ? s : "");
        return 0;
    }
    *out = v;
    return 1;
}
