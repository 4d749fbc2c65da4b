/* Text building for the report: a growing buffer, HTML escaping, base64
 * (reports/report_impl.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/base64.h>

#include "reports/report_impl.h"

static int reserve(idc_sb *b, size_t extra)
{
    if (b->oom)
        return 0;
    if (b->len + extra + 1 <= b->cap)
        return 1;
    size_t c = b->cap ? b->cap : 4096;
    while (c < b->len + extra + 1) {
        if (c > SIZE_MAX / 2) {
            b->oom = 1;
            return 0;
        }
        c *= 2;
    }
    char *q = realloc(b->s, c);
    if (q == NULL) {
        b->oom = 1;
        return 0;
    }
    b->s = q;
    b->cap = c;
    return 1;
}

void idc_sb_put(idc_sb *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void idc_sb_puts(idc_sb *b, const char *s)
{
    idc_sb_put(b, s, strlen(s));
}

void idc_sb_printf(idc_sb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(b, (size_t)n)) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void idc_sb_html(idc_sb *b, const char *s)
{
    char *clean = idc_plot_utf8_clean(s, (size_t)-1);
    if (clean == NULL) {
        b->oom = 1;
        return;
    }
    const char *p = clean, *run = clean;
    for (; *p; p++) {
        const char *ent = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : *p == '"' ? "&quot;"
                                                                   : *p == '\'' ? "&#39;" : NULL;
        if (ent == NULL)
            continue;
        idc_sb_put(b, run, (size_t)(p - run));
        idc_sb_puts(b, ent);
        run = p + 1;
    }
    idc_sb_put(b, run, (size_t)(p - run));
    free(clean);
}

char *idc_report_html_escape(const char *s)
{
    idc_sb b = {0};
    idc_sb_html(&b, s);
    if (b.oom || b.s == NULL) {
        if (!b.oom && b.s == NULL)
            return calloc(1, 1);
        free(b.s);
        return NULL;
    }
    return b.s;
}

void idc_sb_base64(idc_sb *b, const void *data, size_t n)
{
    const size_t chunk = 3 * 4096;
    const uint8_t *p = data;
    while (n > 0) {
        size_t k = n < chunk ? n : chunk;
        size_t enc = BASE64_ENCODE_RAW_LENGTH(k);
        if (!reserve(b, enc))
            return;
        base64_encode_raw(b->s + b->len, k, p);
        b->len += enc;
        b->s[b->len] = '\0';
        p += k;
        n -= k;
    }
}

int idc_sb_finish(idc_sb *b, char **out, size_t *len, idc_err *err)
{
    if (!b->oom && b->s == NULL)
        reserve(b, 0);
    if (b->oom) {
        free(b->s);
        *out = NULL;
        *len = 0;
        return idc_err_set(err, IDC_ENOMEM, "report: out of memory");
    }
    b->s[b->len] = '\0';
    *out = b->s;
    *len = b->len;
    b->s = NULL;
    return IDC_OK;
}

void idc_rep_num(char *buf, size_t cap, double v)
{
    if (isnan(v))
        snprintf(buf, cap, "NaN");
    else if (isinf(v))
        snprintf(buf, cap, v > 0 ? "inf" : "-inf");
    else
        snprintf(buf, cap, "%.6g", v);
}

const char *const idc_rep_outcomes[5] = {"PASS", "FAIL", "INCONCLUSIVE", "DISCARD", "ERROR"};
const char *const idc_rep_outcome_titles[5] = {"passed", "failed", "inconclusive", "discarded", "error"};
