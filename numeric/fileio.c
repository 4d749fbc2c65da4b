#include "numeric/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
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

/* Hands the buffer over as (data, len), or frees it on out-of-memory. */
static int buf_take(char **data, size_t *len, buf *b, idc_err *err)
{
    *data = NULL;
    *len = 0;
    if (b->oom) {
        free(b->p);
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    if (b->p == NULL && (b->p = malloc(1)) == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    *data = b->p;
    *len = b->len;
    return IDC_OK;
}

/* ---- where a write goes ---------------------------------------------------- */

typedef enum { T_REGULAR, T_THROUGH, T_STDOUT } target_kind;

typedef struct {
    char *path;      /* the target as the caller named it (messages) */
    char *real;      /* what is renamed over: path, or a symlink's target */
    char *tmp, *bak; /* "<real>.tmp.<pid>", "<real>.bak.<pid>" */
    target_kind kind;
    mode_t mode; /* permission bits of an existing regular target */
    int exists;  /* the regular target existed when added */
    int had_old; /* commit: a backup of the old target was made */
    int renamed; /* commit: the temporary is now the target */
    char *data;  /* write-through members: the bytes, written at commit */
    size_t len;
} member;

struct idc_fileset {
    member *m;
    size_t n, cap;
    int committed;
};

static char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *str_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* Writes all of data to fd; 0 or an errno value. */
static int write_fd(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return errno;
        if (w == 0)
            return EIO;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Sets m->kind, m->real, m->mode, m->exists from what path is now. */
static int classify(member *m, const char *path, idc_err *err)
{
    m->kind = T_REGULAR;
    if (strcmp(path, "-") == 0) {
        m->kind = T_STDOUT;
        return IDC_OK;
    }
    struct stat st, lst;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT)
            return idc_err_set(err, IDC_EIO, "%s: cannot write: %s", path, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        return idc_err_set(err, IDC_EIO, "%s: cannot write: is a directory", path);
    } else if (!S_ISREG(st.st_mode)) {
        m->kind = T_THROUGH;
        return IDC_OK;
    } else {
        m->exists = 1;
        m->mode = st.st_mode & 07777;
        if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
            m->real = realpath(path, NULL);
            if (m->real == NULL)
                return idc_err_set(err, IDC_EIO, "%s: cannot resolve the link: %s", path, strerror(errno));
        }
    }
    if (m->real == NULL && (m->real = str_printf("%s", path)) == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    return IDC_OK;
}

/* Removes "<target>.tmp.<pid>" of dead writers whose lock nobody holds, and
 * "<target>.bak.<pid>" of dead writers that are a second link to target.
 * Best effort: a failure leaves the file where it is. */
static void clean_stale(const char *target)
{
    const char *slash = strrchr(target, '/');
    const char *base = slash ? slash + 1 : target;
    char *dir = slash == NULL     ? str_printf(".")
                : slash == target ? str_printf("/")
                                  : str_printf("%.*s", (int)(slash - target), target);
    DIR *d = dir ? opendir(dir) : NULL;
    if (d == NULL) {
        free(dir);
        return;
    }
    size_t bl = strlen(base);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *rest = e->d_name + bl;
        if (strncmp(e->d_name, base, bl) != 0 ||
            (strncmp(rest, ".tmp.", 5) != 0 && strncmp(rest, ".bak.", 5) != 0))
            continue;
        int is_bak = rest[1] == 'b';
        const char *digits = rest + 5;
        size_t nd = strspn(digits, "0123456789");
        if (nd == 0 || nd > 9 || digits[nd] != '\0')
            continue;
        long pid = strtol(digits, NULL, 10);
        if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* ours, alive, or not ours to judge (EPERM: alive) */
        char *full = str_printf("%s/%s", dir, e->d_name);
        if (full == NULL)
            break;
        struct stat a, b;
        if (is_bak) {
            if (lstat(full, &a) == 0 && S_ISREG(a.st_mode) && stat(target, &b) == 0 && a.st_dev == b.st_dev &&
                a.st_ino == b.st_ino)
                unlink(full);
        } else {
            int fd = open(full, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
            if (fd >= 0) {
                if (fstat(fd, &a) == 0 && S_ISREG(a.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0)
                    unlink(full);
                close(fd);
            }
        }
        free(full);
    }
    closedir(d);
    free(dir);
}

/* Writes m's temporary: created exclusively, locked while written, given the
 * old target's permission bits, fsync'ed and closed. */
static int write_tmp(member *m, const void *data, size_t len, idc_err *err)
{
    m->tmp = str_printf("%s.tmp.%ld", m->real, (long)getpid());
    if (m->tmp == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    int fd = open(m->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno == EEXIST && unlink(m->tmp) == 0) /* left by an earlier process with our pid */
        fd = open(m->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        int rc = idc_err_set(err, IDC_EIO, "%s: cannot write: %s", m->path, strerror(errno));
        free(m->tmp);
        m->tmp = NULL;
        return rc;
    }
    (void)flock(fd, LOCK_EX); /* no lock (ENOLCK) leaves only the pid test */
    int e = m->exists && fchmod(fd, m->mode) != 0 ? errno : 0;
    if (e == 0)
        e = write_fd(fd, data, len);
    if (e == 0 && fsync(fd) != 0 && errno != EINVAL)
        e = errno;
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e != 0) {
        unlink(m->tmp);
        free(m->tmp);
        m->tmp = NULL;
        return idc_err_set(err, IDC_EIO, "%s: write failed: %s", m->path, strerror(e));
    }
    return IDC_OK;
}

static int write_through(const member *m, idc_err *err)
{
    if (m->kind == T_STDOUT) {
        int ok = (m->len == 0 || fwrite(m->data, 1, m->len, stdout) == m->len);
        ok = (fflush(stdout) == 0) && ok;
        if (!ok || ferror(stdout))
            return idc_err_set(err, IDC_EIO, "-: write failed (standard output): %s", strerror(errno));
        return IDC_OK;
    }
    int fd = open(m->path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return idc_err_set(err, IDC_EIO, "%s: cannot write: %s", m->path, strerror(errno));
    int e = write_fd(fd, m->data, m->len);
    if (close(fd) != 0 && e == 0)
        e = errno;
    return e ? idc_err_set(err, IDC_EIO, "%s: write failed: %s", m->path, strerror(e)) : IDC_OK;
}

/* Copies src to a new file dst (where hard links are not supported). */
static int copy_file(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return errno;
    struct stat st;
    int e = fstat(in, &st) != 0 ? errno : 0;
    int out = e ? -1 : open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
    if (e == 0 && out < 0)
        e = errno;
    char b[65536];
    while (e == 0) {
        ssize_t r = read(in, b, sizeof b);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            e = r < 0 ? errno : 0;
            break;
        }
        e = write_fd(out, b, (size_t)r);
    }
    if (e == 0 && fsync(out) != 0 && errno != EINVAL)
        e = errno;
    if (out >= 0 && close(out) != 0 && e == 0)
        e = errno;
    close(in);
    if (e != 0 && out >= 0)
        unlink(dst);
    return e;
}

idc_fileset *idc_fileset_new(void)
{
    return calloc(1, sizeof(idc_fileset));
}

/* Frees what m holds and removes its temporary unless it became the target. */
static void member_release(member *m)
{
    if (m->tmp != NULL && !m->renamed)
        unlink(m->tmp);
    free(m->path);
    free(m->real);
    free(m->tmp);
    free(m->bak);
    free(m->data);
}

void idc_fileset_free(idc_fileset *fs)
{
    if (fs == NULL)
        return;
    for (size_t i = 0; i < fs->n; i++)
        member_release(&fs->m[i]);
    free(fs->m);
    free(fs);
}

/* Classifies and stages m (its path set): a temporary for a regular
 * target, a copy of the bytes for a write-through one. */
static int member_stage(idc_fileset *fs, member *m, const void *data, size_t len, idc_err *err)
{
    int rc = classify(m, m->path, err);
    if (rc != IDC_OK)
        return rc;
    /* A regular file named twice would have two new contents (a device or
     * FIFO just gets both, in order). */
    for (size_t i = 0; m->kind == T_REGULAR && i < fs->n; i++)
        if (fs->m[i].kind == T_REGULAR && strcmp(fs->m[i].real, m->real) == 0)
            return idc_err_set(err, IDC_EINVAL, "%s: named twice in one set of outputs", m->path);
    if (m->kind != T_REGULAR) {
        m->data = malloc(len ? len : 1);
        if (m->data == NULL)
            return idc_err_set(err, IDC_ENOMEM, "out of memory");
        if (len)
            memcpy(m->data, data, len);
        m->len = len;
        return IDC_OK;
    }
    clean_stale(m->real);
    return write_tmp(m, data, len, err);
}

int idc_fileset_add(idc_fileset *fs, const char *path, const void *data, size_t len, idc_err *err)
{
    if (fs->committed)
        return idc_err_set(err, IDC_EINVAL, "%s: the file set is already committed", path);
    if (fs->n == fs->cap) {
        size_t cap = fs->cap ? 2 * fs->cap : 8;
        member *q = realloc(fs->m, cap * sizeof *q);
        if (q == NULL)
            return idc_err_set(err, IDC_ENOMEM, "out of memory");
        fs->m = q;
        fs->cap = cap;
    }
    member *m = &fs->m[fs->n];
    memset(m, 0, sizeof *m);
    m->path = str_printf("%s", path);
    int rc =
        m->path == NULL ? idc_err_set(err, IDC_ENOMEM, "out of memory") : member_stage(fs, m, data, len, err);
    if (rc != IDC_OK)
        member_release(m); /* a failed add leaves the set as it was */
    else
        fs->n++;
    return rc;
}

/* Undoes the renames of regular members [0, k); appends what failed. */
static void roll_back(idc_fileset *fs, size_t k, idc_err *err)
{
    for (size_t i = 0; i < k; i++) {
        member *m = &fs->m[i];
        if (m->kind != T_REGULAR || !m->renamed)
            continue;
        int ok = m->had_old ? rename(m->bak, m->real) == 0 : unlink(m->real) == 0;
        if (!ok && err != NULL) {
            size_t used = strlen(err->msg);
            snprintf(err->msg + used, sizeof err->msg - used, "; %s could not be restored%s%s%s", m->path,
                     m->had_old ? " (its old content is in " : "", m->had_old ? m->bak : "",
                     m->had_old ? ")" : "");
        }
        m->had_old = 0; /* restored, or a backup that must be kept */
    }
}

int idc_fileset_commit(idc_fileset *fs, idc_err *err)
{
    if (fs->committed)
        return idc_err_set(err, IDC_EINVAL, "the file set is already committed");
    fs->committed = 1;
    size_t last = fs->n;
    int rc = IDC_OK;
    for (size_t i = 0; i < fs->n; i++) {
        if (fs->m[i].kind == T_REGULAR)
            last = i;
        else if (rc == IDC_OK)
            rc = write_through(&fs->m[i], err);
    }
    /* Backups of every regular member but the last (its rename is the last
     * step: if it fails, that target is untouched). */
    for (size_t i = 0; rc == IDC_OK && i < last; i++) {
        member *m = &fs->m[i];
        struct stat st;
        if (m->kind != T_REGULAR || lstat(m->real, &st) != 0)
            continue;
        m->bak = str_printf("%s.bak.%ld", m->real, (long)getpid());
        if (m->bak == NULL) {
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
            break;
        }
        unlink(m->bak);
        int e = link(m->real, m->bak) == 0 ? 0 : copy_file(m->real, m->bak);
        if (e != 0)
            rc = idc_err_set(err, IDC_EIO, "%s: cannot keep a backup for the all-or-nothing replace: %s",
                             m->path, strerror(e));
        else
            m->had_old = 1;
    }
    for (size_t i = 0; rc == IDC_OK && i < fs->n; i++) {
        member *m = &fs->m[i];
        if (m->kind != T_REGULAR)
            continue;
        if (rename(m->tmp, m->real) != 0) {
            rc = idc_err_set(err, IDC_EIO, "%s: write failed: %s", m->path, strerror(errno));
            roll_back(fs, i, err);
            break;
        }
        m->renamed = 1;
    }
    for (size_t i = 0; i < fs->n; i++)
        if (fs->m[i].had_old)
            unlink(fs->m[i].bak);
    return rc;
}

int idc_write_file_atomic(const char *path, const void *data, size_t len, idc_err *err)
{
    idc_fileset *fs = idc_fileset_new();
    if (fs == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    int rc = idc_fileset_add(fs, path, data, len, err);
    if (rc == IDC_OK)
        rc = idc_fileset_commit(fs, err);
    idc_fileset_free(fs);
    return rc;
}

static void npy_header(buf *b, const char *descr, size_t rows, size_t cols)
{
    char dict[160];
    if (cols == 0)
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%zu,), }", descr,
                 rows);
    else
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%zu, %zu), }", descr,
                 rows, cols);
    size_t dl = strlen(dict);
    size_t total = 10 + dl + 1; /* magic(6) + version(2) + hlen(2) + dict + '\n' */
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = dl + pad + 1;
    unsigned char pre[10] = {
        0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
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

int idc_npy_encode_f64(char **data, size_t *len, const double *a, size_t rows, size_t cols, idc_err *err)
{
    buf b = {0};
    npy_header(&b, "<f8", rows, cols);
    size_t n = rows * (cols ? cols : 1);
    for (size_t i = 0; i < n; i++)
        put_le(&b, &a[i], sizeof(double));
    return buf_take(data, len, &b, err);
}

int idc_npy_encode_i32(char **data, size_t *len, const int32_t *a, size_t rows, idc_err *err)
{
    buf b = {0};
    npy_header(&b, "<i4", rows, 0);
    for (size_t i = 0; i < rows; i++)
        put_le(&b, &a[i], sizeof(int32_t));
    return buf_take(data, len, &b, err);
}

/* Writes an encoded buffer (rc from its encoder) to path. */
static int write_encoded(const char *path, int rc, char *data, size_t len, idc_err *err)
{
    if (rc != IDC_OK)
        return idc_err_prefix(err, rc, "%s: ", path);
    rc = idc_write_file_atomic(path, data, len, err);
    free(data);
    return rc;
}

int idc_npy_write_f64(const char *path, const double *a, size_t rows, size_t cols, idc_err *err)
{
    char *data;
    size_t len;
    int rc = idc_npy_encode_f64(&data, &len, a, rows, cols, err);
    return write_encoded(path, rc, data, len, err);
}

int idc_npy_write_i32(const char *path, const int32_t *a, size_t rows, idc_err *err)
{
    char *data;
    size_t len;
    int rc = idc_npy_encode_i32(&data, &len, a, rows, err);
    return write_encoded(path, rc, data, len, err);
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
    size_t n = *rows * *cols; /* <= 2^48: no overflow below */
    struct stat st;
    if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode)) {
        /* Compare the header with the file before allocating what it claims. */
        size_t have = (size_t)st.st_size - 10 - hlen;
        if (have / sizeof(double) < n) {
            rc = idc_err_set(err, IDC_EINVAL,
                             "%s: 'shape' asks for %zu values (%zu bytes of data), the file has %zu bytes "
                             "(truncated, or a wrong header)",
                             path, n, n * sizeof(double), have);
            goto done;
        }
        if (have != n * sizeof(double)) {
            rc = idc_err_set(err, IDC_EINVAL, "%s: trailing bytes after the %zu values 'shape' asks for",
                             path, n);
            goto done;
        }
    }
    /* Read in growing chunks, so that a pipe's lying header costs no more
     * than the bytes actually sent. */
    size_t cap = 0, got = 0;
    while (got < n) {
        if (got == cap) {
            size_t want = cap ? 2 * cap : 65536;
            if (want > n)
                want = n;
            double *q = realloc(*a, want * sizeof(double));
            if (q == NULL) {
                rc = idc_err_set(err, IDC_ENOMEM, "%s: out of memory", path);
                goto done;
            }
            *a = q;
            cap = want;
        }
        size_t r = fread(*a + got, sizeof(double), cap - got, fp);
        got += r;
        if (r == 0)
            break;
    }
    if (got != n) {
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

int idc_csv_encode_f64(char **data, size_t *len, const char *prefix, const double *a, size_t rows,
                       size_t cols, idc_err *err)
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
    return buf_take(data, len, &b, err);
}

int idc_csv_encode_i32(char **data, size_t *len, const char *name, const int32_t *a, size_t rows,
                       idc_err *err)
{
    buf b = {0};
    buf_printf(&b, "%s\n", name);
    for (size_t r = 0; r < rows; r++)
        buf_printf(&b, "%d\n", (int)a[r]);
    return buf_take(data, len, &b, err);
}

int idc_csv_write_f64(const char *path, const char *prefix, const double *a, size_t rows, size_t cols,
                      idc_err *err)
{
    char *data;
    size_t len;
    int rc = idc_csv_encode_f64(&data, &len, prefix, a, rows, cols, err);
    return write_encoded(path, rc, data, len, err);
}

int idc_csv_write_i32(const char *path, const char *name, const int32_t *a, size_t rows, idc_err *err)
{
    char *data;
    size_t len;
    int rc = idc_csv_encode_i32(&data, &len, name, a, rows, err);
    return write_encoded(path, rc, data, len, err);
}
