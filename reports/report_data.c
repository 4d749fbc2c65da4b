/* The results store a report page embeds, and taking it out again
 * (reports/report.h, docs/REPORT.md "The embedded store"). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nettle/base64.h>

#include "reports/report_impl.h"

#define DATA_OPEN "<script type=\"application/json\" id=\"idcheck-data\">"
#define DATA_CLOSE "</script>"

/* s as a JSON string whose text cannot end the element: < > & and every
 * byte outside printable ASCII as \u escapes (bytes >= 0x80 as U+00XX: the
 * name is taken back byte for byte by idc_report_extract_store). */
static void json_safe_string(idc_sb *b, const char *s)
{
    idc_sb_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p >= 0x7f || *p == '<' || *p == '>' || *p == '&' || *p == '"' || *p == '\\')
            idc_sb_printf(b, "\\u%04x", *p);
        else
            idc_sb_put(b, (const char *)p, 1);
    }
    idc_sb_puts(b, "\"");
}

void idc_rep_put_data(idc_sb *b, const idc_report *r)
{
    idc_sb_puts(b, DATA_OPEN "{\"format\":\"idcheck-report-data\",\"version\":1,\"store\":");
    json_safe_string(b, r->name);
    idc_sb_printf(b, ",\"bytes\":%zu,\"sqlite_base64\":\"", r->image_len);
    idc_sb_base64(b, r->image, r->image_len);
    idc_sb_puts(b, "\"}" DATA_CLOSE "\n");
}

int idc_report_extract_store(const char *page, size_t len, unsigned char **db, size_t *dblen, char **name,
                             idc_err *err)
{
    *db = NULL;
    *dblen = 0;
    *name = NULL;
    const char *a = memmem(page, len, DATA_OPEN, strlen(DATA_OPEN));
    if (a == NULL)
        return idc_err_set(err, IDC_EINVAL, "no embedded results store (the element script#idcheck-data): not a "
                                            "page of idcheck report, or one made before it embedded its store");
    a += strlen(DATA_OPEN);
    const char *z = memmem(a, len - (size_t)(a - page), DATA_CLOSE, strlen(DATA_CLOSE));
    if (z == NULL)
        return idc_err_set(err, IDC_EINVAL, "embedded results store: the element script#idcheck-data is not closed");
    if (memmem(z, len - (size_t)(z - page), DATA_OPEN, strlen(DATA_OPEN)) != NULL)
        return idc_err_set(err, IDC_EINVAL, "embedded results store: more than one element script#idcheck-data");
    json_error_t je;
    json_t *d = json_loadb(a, (size_t)(z - a), 0, &je);
    if (d == NULL)
        return idc_err_set(err, IDC_EINVAL, "embedded results store: not JSON (%s, column %d)", je.text, je.column);
    const char *fmt = json_string_value(json_object_get(d, "format"));
    const char *nm = json_string_value(json_object_get(d, "store"));
    const char *b64 = json_string_value(json_object_get(d, "sqlite_base64"));
    const json_t *nb = json_object_get(d, "bytes");
    int rc = IDC_OK;
    if (fmt == NULL || strcmp(fmt, "idcheck-report-data") != 0 || json_integer_value(json_object_get(d, "version")) != 1)
        rc = idc_err_set(err, IDC_EINVAL, "embedded results store: format: expected idcheck-report-data version 1");
    else if (nm == NULL || nm[0] == '\0' || strchr(nm, '/') != NULL || strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0 ||
             strlen(nm) > 200)
        rc = idc_err_set(err, IDC_EINVAL, "embedded results store: store: expected a file name without '/'");
    else if (b64 == NULL || !json_is_integer(nb) || json_integer_value(nb) < 0)
        rc = idc_err_set(err, IDC_EINVAL, "embedded results store: sqlite_base64 and bytes missing");
    size_t n64 = b64 != NULL ? strlen(b64) : 0;
    unsigned char *buf = NULL;
    size_t got = 0;
    if (rc == IDC_OK) {
        buf = malloc(BASE64_DECODE_LENGTH(n64) + 1);
        if (buf == NULL)
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    if (rc == IDC_OK) {
        struct base64_decode_ctx ctx;
        base64_decode_init(&ctx);
        got = BASE64_DECODE_LENGTH(n64) + 1;
        int ok = n64 % 4 == 0 && strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
                                     n64;
        if (!ok || !base64_decode_update(&ctx, &got, buf, n64, b64) || !base64_decode_final(&ctx))
            rc = idc_err_set(err, IDC_EINVAL, "embedded results store: sqlite_base64: not base64");
        else if (got != (size_t)json_integer_value(nb))
            rc = idc_err_set(err, IDC_EINVAL, "embedded results store: %zu bytes decoded, the page says %lld", got,
                             (long long)json_integer_value(nb));
    }
    if (rc == IDC_OK && (*name = strdup(nm)) == NULL)
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    json_decref(d);
    if (rc != IDC_OK) {
        free(buf);
        return rc;
    }
    *db = buf;
    *dblen = got;
    return IDC_OK;
}
