#include "numeric/fileio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A growable in-memory buffer; the file is written in one go at the end. */
typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} buf;

static void buf_put(buf *b, const void *data, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (q == NULL) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(buf *b, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        buf_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static int buf_finish(buf *b, const char *path, idc_err *err)
{
    int rc = b->oom ? idc_err_set(err, IDC_ENOMEM, "%s: out of memory", path)
                    : idc_write_file_atomic(path, b->p, b->len, err);
    free(b->p);
    return rc;
}

int idc_write_file_atomic(const char *path, const void *data, size_t len, idc_err *err)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 32);
    if (tmp == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    snprintf(tmp, n + 32, "%s.tmp.%ld", path, (long)getpid());
    FILE *fp = fopen(tmp, "wb");
    if (fp == NULL) {
        int rc = idc_err_set(err, IDC_EIO, "%s: cannot write: %s", path, strerror(errno));
        free(tmp);
        return rc;
    }
    int ok = (len == 0 || fwrite(data, 1, len, fp) == len);
    ok = (fflush(fp) == 0) && ok;
    ok = (fclose(fp) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int rc = idc_err_set(err, IDC_EIO, "%s: write failed: %s", path, strerror(errno));
        remove(tmp);
        free(tmp);
        return rc;
    }
    free(tmp);
    return IDC_OK;
}

static void npy_header(buf *b, const char *descr, size_t rows, size_t cols)
{
    char dict[160];
    if (cols == 0)
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%zu,), }", descr, rows);
    else
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%zu, %zu), }",
                 descr, rows, cols);
    size_t dl = strlen(dict);
    size_t total = 10 + dl + 1; /* magic(6) + version(2) + hlen(2) + dict + '\n' */
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = dl + pad + 1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    buf_put(b, pre, 10);
    buf_put(b, dict, dl);
    for (size_t i = 0; i < pad; i++)
        buf_put(b, " ", 1);
    buf_put(b, "\n", 1);
}

/* Stores values little-endian regardless of the host. */
static void put_le(buf *b, const void *v, size_t size)
{
    unsigned char tmp[8];
    const unsigned char *s = v;
    const unsigned int one = 1;
    if (*(const unsigned char *)&one == 1) {
        buf_put(b, s, size);
        return;
    }
    for (size_t i = 0; i < size; i++)
        tmp[i] = s[size - 1 - i];
    buf_put(b, tmp, size);
}

int idc_npy_write_f64(const char *path, const double *a, size_t rows, size_t cols, idc_err *err)
{
    buf b = {0};
    npy_header(&b, "<f8", rows, cols);
    size_t n = rows * (cols ? cols : 1);
    for (size_t i = 0; i < n; i++)
        put_le(&b, &a[i], sizeof(double));
    return buf_finish(&b, path, err);
}

int idc_npy_write_i32(const char *path, const int32_t *a, size_t rows, idc_err *err)
{
    buf b = {0};
    npy_header(&b, "<i4", rows, 0);
    for (size_t i = 0; i < rows; i++)
        put_le(&b, &a[i], sizeof(int32_t));
    return buf_finish(&b, path, err);
}

static int parse_shape(const char *h, size_t *rows, size_t *cols)
{
    const char *s = strstr(h, "'shape':");
    if (s == NULL || (s = strchr(s, '(')) == NULL)
        return 0;
    char *end;
    unsigned long long r = strtoull(s + 1, &end, 10);
    if (end == s + 1)
        return 0;
    *rows = (size_t)r;
    *cols = 1;
    while (*end == ' ' || *end == ',')
        end++;
    if (*end != ')') {
        const char *c = end;
        unsigned long long k = strtoull(c, &end, 10);
        if (end == c)
            return 0;
        while (*end == ' ' || *end == ',')
            end++;
        if (*end != ')')
            return 0; /* more than 2 dimensions */
        *cols = (size_t)k;
    }
    return 1;
}

int idc_npy_read_f64(double **a, size_t *rows, size_t *cols, const char *path, idc_err *err)
{
    *a = NULL;
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return idc_err_set(err, IDC_EIO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char pre[10];
    int rc = IDC_OK;
    char *h = NULL;
    if (fread(pre, 1, 10, fp) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0 || pre[6] != 1) {
        rc = idc_err_set(err, IDC_EINVAL, "%s: not a version-1 .npy file", path);
        goto done;
    }
    size_t hlen = (size_t)pre[8] | ((size_t)pre[9] << 8);
    h = calloc(hlen + 1, 1);
    if (h == NULL || fread(h, 1, hlen, fp) != hlen) {
        rc = idc_err_set(err, IDC_EINVAL, "%s: truncated .npy header", path);
        goto done;
    }
    if (strstr(h, "'<f8'") == NULL || strstr(h, "'fortran_order': False") == NULL) {
        rc = idc_err_set(err, IDC_EINVAL, "%s: expected a little-endian float64 C-order array", path);
        goto done;
    }
    if (!parse_shape(h, rows, cols) || *rows == 0 || *cols == 0 || *rows > ((size_t)1 << 32) ||
        *cols > 65536) {
        rc = idc_err_set(err, IDC_EINVAL, "%s: unsupported shape (need 1-D or 2-D, non-empty)", path);
        goto done;
    }
    size_t n = *rows * *cols;
    *a = idc_calloc(n, sizeof(double));
    if (*a == NULL) {
        rc = idc_err_set(err, IDC_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    if (fread(*a, sizeof(double), n, fp) != n) {
        rc = idc_err_set(err, IDC_EINVAL, "%s: truncated data (expected %zu values)", path, n);
        goto done;
    }
    if (fgetc(fp) != EOF)
        rc = idc_err_set(err, IDC_EINVAL, "%s: trailing bytes after %zu values", path, n);
done:
    free(h);
    fclose(fp);
    if (rc != IDC_OK) {
        free(*a);
        *a = NULL;
    }
    return rc;
}

int idc_csv_write_f64(const char *path, const char *prefix, const double *a, size_t rows, size_t cols,
                      idc_err *err)
{
    buf b = {0};
    for (size_t c = 0; c < cols; c++)
        buf_printf(&b, "%s%s%zu", c ? "," : "", prefix, c);
    buf_put(&b, "\n", 1);
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++)
            buf_printf(&b, "%s%.17g", c ? "," : "", a[r * cols + c]);
        buf_put(&b, "\n", 1);
    }
    return buf_finish(&b, path, err);
}

int idc_csv_write_i32(const char *path, const char *name, const int32_t *a, size_t rows, idc_err *err)
{
    buf b = {0};
    buf_printf(&b, "%s\n", name);
    for (size_t r = 0; r < rows; r++)
        buf_printf(&b, "%d\n", (int)a[r]);
    return buf_finish(&b, path, err);
}
