/* The journal of a property run (see properties/journal.h). */
#include "properties/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef IDC_VERSION
#define IDC_VERSION "unknown"
#endif

#define DUMP_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17))
#define FORMAT 1

struct idc_prop_journal {
    int fd;
    char *path;
    off_t size; /* bytes of complete lines */
    json_t *header;
    size_t restored;
};

json_t *idc_prop_journal_header(const char *id, const json_t *params, uint64_t seed, uint32_t first,
                                uint32_t trials, const idc_prop_regressions *regs)
{
    char hex[24];
    snprintf(hex, sizeof hex, "0x%016" PRIx64, seed);
    json_t *rl = json_null();
    if (regs != NULL) {
        rl = json_array();
        for (size_t i = 0; rl != NULL && i < regs->n; i++) {
            char rs[24];
            snprintf(rs, sizeof rs, "0x%016" PRIx64, regs->v[i].seed);
            json_t *e = json_pack("{s:s,s:I,s:O}", "run_seed", rs, "trial", (json_int_t)regs->v[i].trial, "params",
                                  regs->v[i].params);
            if (e == NULL || json_array_append_new(rl, e) != 0) {
                json_decref(rl);
                rl = NULL;
            }
        }
    }
    if (rl == NULL)
        return NULL;
    json_t *pc = json_deep_copy(params);
    if (pc == NULL) {
        json_decref(rl);
        return NULL;
    }
    return json_pack("{s:s,s:i,s:s,s:s,s:o,s:s,s:I,s:I,s:o}", "journal", "idcheck prop", "format", FORMAT, "idcheck",
                     IDC_VERSION, "property", id, "params", pc, "run_seed", hex, "first", (json_int_t)first, "trials",
                     (json_int_t)trials, "regressions", rl);
}

int idc_prop_journal_path(char *buf, size_t cap, const char *outpath, const json_t *header)
{
    struct stat st;
    if (outpath != NULL && strcmp(outpath, "-") != 0 && (stat(outpath, &st) != 0 || S_ISREG(st.st_mode))) {
        int n = snprintf(buf, cap, "%s.journal", outpath);
        return n > 0 && (size_t)n < cap;
    }
    static const char *const keys[] = {"property", "params", "run_seed", "first", "trials"};
    uint64_t h = 14695981039346656037ULL;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char *s = json_dumps(json_object_get(header, keys[k]), DUMP_FLAGS | JSON_ENCODE_ANY);
        if (s == NULL)
            return 0;
        for (const char *p = s;; p++) {
            h = (h ^ (unsigned char)*p) * 1099511628211ULL; /* the NUL separates the fields */
            if (*p == '\0')
                break;
        }
        free(s);
    }
    const char *id = json_string_value(json_object_get(header, "property"));
    int n = snprintf(buf, cap, ".idcheck/runs/%s-%016" PRIx64 ".jsonl", id ? id : "prop", h);
    return n > 0 && (size_t)n < cap;
}

static int mkdirs(const char *path, idc_err *err)
{
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return idc_err_set(err, IDC_EINVAL, "%s: path too long", path);
    for (char *p = buf + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return idc_err_set(err, IDC_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
        *p = '/';
    }
    return IDC_OK;
}

static int write_all(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, s, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : EIO;
        s += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Writes one line (s + '\n') at the end of the complete lines and fsyncs it;
 * on failure cuts the file back. */
static int append_text(idc_prop_journal *j, const char *s, idc_err *err)
{
    size_t len = strlen(s);
    char *b = malloc(len + 1);
    if (b == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    memcpy(b, s, len);
    b[len] = '\n';
    int e = lseek(j->fd, j->size, SEEK_SET) < 0 ? errno : 0;
    if (e == 0)
        e = write_all(j->fd, b, len + 1);
    if (e == 0 && fsync(j->fd) != 0 && errno != EINVAL)
        e = errno;
    free(b);
    if (e != 0) {
        if (ftruncate(j->fd, j->size) != 0) { /* leaves a torn line, which the next open drops */
        }
        return idc_err_set(err, IDC_EIO, "%s: cannot write the journal: %s", j->path, strerror(e));
    }
    j->size += (off_t)(len + 1);
    return IDC_OK;
}

/* The first identifying field in which a and b differ, or NULL. */
static const char *header_mismatch(const json_t *a, const json_t *b)
{
    static const char *const keys[] = {"journal", "format", "idcheck", "property", "params",
                                       "run_seed", "first", "trials"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const json_t *x = json_object_get(a, keys[k]), *y = json_object_get(b, keys[k]);
        if (x == NULL || y == NULL || !json_equal(x, y))
            return keys[k];
    }
    if (json_is_null(json_object_get(a, "regressions")) != json_is_null(json_object_get(b, "regressions")) ||
        !(json_is_null(json_object_get(a, "regressions")) || json_is_array(json_object_get(a, "regressions"))))
        return "regressions";
    return NULL;
}

/* "VALUE in the journal, VALUE in this command" for field (for "params", the
 * first parameter that differs). */
static void describe(char *buf, size_t cap, const char *field, const json_t *was, const json_t *now)
{
    const json_t *a = json_object_get(was, field), *b = json_object_get(now, field);
    const char *key = NULL;
    if (strcmp(field, "params") == 0 && json_is_object(a) && json_is_object(b)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v)
        {
            if (json_object_get(b, k) == NULL || !json_equal(v, json_object_get(b, k))) {
                key = k;
                break;
            }
        }
        if (key == NULL)
            json_object_foreach((json_t *)b, k, v)
            {
                if (json_object_get(a, k) == NULL) {
                    key = k;
                    break;
                }
            }
        if (key != NULL) {
            a = json_object_get(a, key);
            b = json_object_get(b, key);
        }
    }
    char *x = a ? json_dumps(a, DUMP_FLAGS | JSON_ENCODE_ANY) : NULL, *y = b ? json_dumps(b, DUMP_FLAGS | JSON_ENCODE_ANY) : NULL;
    snprintf(buf, cap, "%s%s%s: %.80s in the journal, %.80s in this command", field, key ? "." : "", key ? key : "",
             x ? x : "none", y ? y : "none");
    free(x);
    free(y);
}

/* Reads the existing journal: header (NULL when there is no complete one),
 * trial lines appended to restored, j->size = the bytes of complete valid
 * lines. */
static int read_back(idc_prop_journal *j, json_t **fheader, json_t *restored, idc_err *err)
{
    *fheader = NULL;
    struct stat st;
    if (fstat(j->fd, &st) != 0)
        return idc_err_set(err, IDC_EIO, "%s: %s", j->path, strerror(errno));
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (buf == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(j->fd, buf + got, n - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    buf[got] = '\0';
    int rc = IDC_OK;
    size_t off = 0, lineno = 0;
    j->size = 0;
    while (rc == IDC_OK && off < got) {
        char *nl = memchr(buf + off, '\n', got - off);
        if (nl == NULL)
            break; /* torn last line */
        *nl = '\0';
        lineno++;
        json_error_t je;
        json_t *v = json_loads(buf + off, 0, &je);
        int last = (size_t)(nl - buf) + 1 >= got;
        int ok;
        if (lineno == 1)
            ok = json_is_object(v) && json_is_string(json_object_get(v, "journal"));
        else
            ok = json_is_object(v) && json_is_object(json_object_get(v, "record")) &&
                 json_is_string(json_object_get(v, "line"));
        if (!ok) {
            json_decref(v);
            if (last)
                break; /* a complete but garbled last line: dropped like a torn one */
            rc = idc_err_set(err, IDC_EINVAL, "%s:%zu: not a %s (--fresh discards the journal)", j->path, lineno,
                             lineno == 1 ? "journal header" : "trial record");
            break;
        }
        if (lineno == 1)
            *fheader = v;
        else if (json_array_append_new(restored, v) != 0)
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
        off = (size_t)(nl - buf) + 1;
        j->size = (off_t)off;
    }
    free(buf);
    if (rc == IDC_OK && (size_t)j->size < got && ftruncate(j->fd, j->size) != 0)
        rc = idc_err_set(err, IDC_EIO, "%s: cannot drop its torn last line: %s", j->path, strerror(errno));
    if (rc != IDC_OK) {
        json_decref(*fheader);
        *fheader = NULL;
    }
    return rc;
}

static void sync_dir(const char *path)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int idc_prop_journal_open(idc_prop_journal **out, json_t **restored, const char *path, const json_t *header,
                          idc_prop_journal_mode mode, idc_err *err)
{
    *out = NULL;
    *restored = NULL;
    struct stat st;
    int existed = stat(path, &st) == 0;
    if (!existed && mode == IDC_JOURNAL_RESUME)
        return idc_err_set(err, IDC_EINVAL, "--resume: no journal %s (nothing to resume)", path);
    int rc = mkdirs(path, err);
    if (rc != IDC_OK)
        return rc;
    int locked = 0;
    idc_prop_journal *j = calloc(1, sizeof *j);
    json_t *arr = json_array();
    if (j == NULL || arr == NULL || (j->path = strdup(path)) == NULL) {
        free(j);
        json_decref(arr);
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    j->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (j->fd < 0) {
        rc = idc_err_set(err, IDC_EIO, "%s: cannot open the journal: %s", path, strerror(errno));
    } else if (fstat(j->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = idc_err_set(err, IDC_EIO, "%s: the journal is not a regular file", path);
    } else if (flock(j->fd, LOCK_EX | LOCK_NB) != 0) {
        rc = idc_err_set(err, IDC_EIO, "%s: in use by another idcheck prop run (%s)", path,
                         errno == EWOULDBLOCK ? "locked" : strerror(errno));
    } else {
        locked = 1;
    }
    json_t *fheader = NULL;
    if (rc == IDC_OK && mode != IDC_JOURNAL_FRESH)
        rc = read_back(j, &fheader, arr, err);
    if (rc == IDC_OK && fheader != NULL) {
        const char *field = header_mismatch(fheader, header);
        if (field != NULL) {
            char what[300];
            describe(what, sizeof what, field, fheader, header);
            rc = idc_err_set(err, IDC_EINVAL,
                             "%s: an unfinished run of another command (%s); run that command to resume it, or "
                             "--fresh to discard it",
                             path, what);
        }
    }
    if (rc == IDC_OK && fheader == NULL) {
        /* a new journal: just the header */
        json_array_clear(arr);
        char *s = json_dumps(header, DUMP_FLAGS);
        j->size = 0;
        if (s == NULL)
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
        else if (ftruncate(j->fd, 0) != 0)
            rc = idc_err_set(err, IDC_EIO, "%s: cannot write the journal: %s", path, strerror(errno));
        else
            rc = append_text(j, s, err);
        free(s);
        if (rc == IDC_OK)
            sync_dir(path);
        j->header = rc == IDC_OK ? json_deep_copy(header) : NULL;
        if (rc == IDC_OK && j->header == NULL)
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    } else if (rc == IDC_OK) {
        j->header = fheader;
        fheader = NULL;
    }
    json_decref(fheader);
    if (rc != IDC_OK) {
        if (locked && !existed)
            unlink(path);
        j->restored = 0;
        idc_prop_journal_close(j, 0);
        json_decref(arr);
        return rc;
    }
    j->restored = json_array_size(arr);
    *out = j;
    *restored = arr;
    return IDC_OK;
}

const json_t *idc_prop_journal_header_get(const idc_prop_journal *j)
{
    return j->header;
}

size_t idc_prop_journal_restored_count(const idc_prop_journal *j)
{
    return j->restored;
}

int idc_prop_journal_append(idc_prop_journal *j, const json_t *record, const char *line, idc_err *err)
{
    json_t *o = json_pack("{s:s,s:O}", "line", line ? line : "", "record", record);
    char *s = o ? json_dumps(o, DUMP_FLAGS) : NULL;
    json_decref(o);
    if (s == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    int rc = append_text(j, s, err);
    free(s);
    return rc;
}

int idc_prop_journal_regressions(idc_prop_regressions *r, const json_t *header, idc_err *err)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(header, "regressions"), i, e)
    {
        const char *rs = json_string_value(json_object_get(e, "run_seed"));
        json_t *tr = json_object_get(e, "trial"), *params = json_object_get(e, "params");
        char *end = NULL;
        errno = 0;
        unsigned long long seed = rs ? strtoull(rs, &end, 0) : 0;
        if (rs == NULL || end == rs || *end != '\0' || errno != 0 || !json_is_integer(tr) ||
            json_integer_value(tr) < 0 || json_integer_value(tr) > (json_int_t)UINT32_MAX || !json_is_object(params))
            return idc_err_set(err, IDC_EINVAL, "journal header: regressions[%zu]: expected run_seed, trial, params",
                               i);
        if (idc_prop_regressions_add(r, (uint64_t)seed, (uint32_t)json_integer_value(tr), params, NULL) < 0)
            return idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    return IDC_OK;
}

void idc_prop_journal_close(idc_prop_journal *j, int remove)
{
    if (j == NULL)
        return;
    if (remove && j->path != NULL)
        unlink(j->path);
    if (j->fd >= 0)
        close(j->fd);
    json_decref(j->header);
    free(j->path);
    free(j);
}
