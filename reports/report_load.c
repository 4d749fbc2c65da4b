/* Reading a results store into memory for the report (reports/report.h). */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "reports/report_impl.h"
#include "reports/store.h"

static char *dup_col(sqlite3_stmt *st, int c, int *oom)
{
    if (sqlite3_column_type(st, c) == SQLITE_NULL)
        return NULL;
    const unsigned char *t = sqlite3_column_text(st, c);
    if (t == NULL) {
        *oom = 1;
        return NULL;
    }
    char *s = strdup((const char *)t);
    if (s == NULL)
        *oom = 1;
    return s;
}

static int db_fail(idc_err *err, const char *path, sqlite3 *db, const char *what)
{
    int code = db ? sqlite3_errcode(db) : SQLITE_ERROR;
    if (code == SQLITE_NOMEM)
        return idc_err_set(err, IDC_ENOMEM, "%s: out of memory", path);
    return idc_err_set(err, IDC_EINVAL, "%s: not a readable idcheck results store (%s: %s)", path, what,
                       db ? sqlite3_errmsg(db) : "cannot open");
}

/* Opens path read-only after reports/store.h has checked it (an SQLite
 * database, idcheck's application id and format, a schema this idcheck
 * reads, quick_check; the file is never modified). */
static int open_store(sqlite3 **out, const char *path, idc_err *err)
{
    *out = NULL;
    idc_store *s = NULL;
    int rc = idc_store_open(&s, path, IDC_STORE_READ, err);
    if (rc != IDC_OK)
        return rc;
    idc_store_close(s);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rc = idc_err_set(err, IDC_EIO, "%s: cannot open: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return rc;
    }
    sqlite3_busy_timeout(db, 10000);
    /* one snapshot for every query of the report, even while a sweep writes */
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_fail(err, path, db, "BEGIN");
        sqlite3_close(db);
        return rc;
    }
    *out = db;
    return IDC_OK;
}

static int cmp_trial(const void *a, const void *b)
{
    const idc_rep_trial *p = a, *q = b;
    if (p->run_id != q->run_id)
        return p->run_id < q->run_id ? -1 : 1;
    int c = strcmp(p->property ? p->property : "", q->property ? q->property : "");
    if (c)
        return c;
    if (p->trial_index != q->trial_index)
        return p->trial_index < q->trial_index ? -1 : 1;
    c = strcmp(p->cell ? p->cell : "", q->cell ? q->cell : "");
    if (c)
        return c;
    return p->trial_id < q->trial_id ? -1 : p->trial_id > q->trial_id;
}

/* r->trials sorted by trial_id, for lookups (indices into r->trials). */
typedef struct {
    int64_t id;
    size_t k;
} id_index;

static int cmp_id(const void *a, const void *b)
{
    const id_index *p = a, *q = b;
    return p->id < q->id ? -1 : p->id > q->id;
}

static id_index *build_index(const idc_report *r)
{
    id_index *ix = malloc((r->ntrials ? r->ntrials : 1) * sizeof *ix);
    if (ix == NULL)
        return NULL;
    for (size_t k = 0; k < r->ntrials; k++)
        ix[k] = (id_index){r->trials[k].trial_id, k};
    qsort(ix, r->ntrials, sizeof *ix, cmp_id);
    return ix;
}

static size_t find_trial(const id_index *ix, size_t n, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && ix[lo].id == id ? ix[lo].k : (size_t)-1;
}

int idc_rep_meas_get(const idc_report *r, const idc_rep_trial *t, const char *name, double *v)
{
    for (size_t i = 0; i < t->nmeas; i++) {
        const idc_rep_meas *m = &r->meas[t->meas0 + i];
        if (strcmp(m->name, name) == 0) {
            *v = m->value;
            return 1;
        }
    }
    return 0;
}

const char *idc_rep_verdict_get(const idc_report *r, const idc_rep_trial *t, const char *pre)
{
    for (size_t i = 0; i < t->nverd; i++)
        if (strcmp(r->verd[t->verd0 + i].precondition, pre) == 0)
            return r->verd[t->verd0 + i].verdict;
    return NULL;
}

/* ---- records: correlation matrices and reproduction tables ---- */

/* The first member named key (depth first, keys in sorted order) of v. */
static json_t *find_member(json_t *v, const char *key, int depth)
{
    if (depth > 16)
        return NULL;
    if (json_is_object(v)) {
        json_t *hit = json_object_get(v, key);
        if (hit)
            return hit;
        const char *k;
        json_t *c;
        /* sorted traversal for a deterministic choice */
        size_t n = json_object_size(v), i = 0;
        const char **keys = malloc((n ? n : 1) * sizeof *keys);
        if (keys == NULL)
            return NULL;
        json_object_foreach(v, k, c) keys[i++] = k;
        for (size_t a = 1; a < n; a++)
            for (size_t b = a; b > 0 && strcmp(keys[b - 1], keys[b]) > 0; b--) {
                const char *t = keys[b];
                keys[b] = keys[b - 1];
                keys[b - 1] = t;
            }
        json_t *found = NULL;
        for (i = 0; i < n && found == NULL; i++)
            found = find_member(json_object_get(v, keys[i]), key, depth + 1);
        free(keys);
        return found;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c)
        {
            json_t *f = find_member(c, key, depth + 1);
            if (f)
                return f;
        }
    }
    return NULL;
}

/* A numeric matrix (array of equal-length arrays of numbers or nulls). */
static double *as_matrix(const json_t *v, size_t *rows, size_t *cols)
{
    size_t n = json_array_size(v);
    if (!json_is_array(v) || n == 0 || n > 4096 || !json_is_array(json_array_get(v, 0)))
        return NULL;
    size_t m = json_array_size(json_array_get(v, 0));
    if (m == 0 || m > 4096)
        return NULL;
    double *a = malloc(n * m * sizeof *a);
    if (a == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const json_t *row = json_array_get(v, i);
        if (!json_is_array(row) || json_array_size(row) != m) {
            free(a);
            return NULL;
        }
        for (size_t j = 0; j < m; j++) {
            const json_t *x = json_array_get(row, j);
            if (!json_is_number(x) && !json_is_null(x)) {
                free(a);
                return NULL;
            }
            a[i * m + j] = json_is_null(x) ? NAN : json_number_value(x);
        }
    }
    *rows = n;
    *cols = m;
    return a;
}

static int take_corr(idc_report *r, size_t trial, json_t *rec)
{
    static const char *const keys[] = {"corr_out", "corr_in"};
    for (int k = 0; k < 2; k++) {
        json_t *v = find_member(rec, keys[k], 0);
        size_t rows, cols;
        double *m = v ? as_matrix(v, &rows, &cols) : NULL;
        if (m == NULL)
            continue;
        r->corr_records++;
        if (r->ncorr >= IDC_REP_MAX_CORR) {
            free(m);
            return IDC_OK;
        }
        idc_rep_corr *c = &r->corr[r->ncorr];
        c->key = strdup(keys[k]);
        if (c->key == NULL) {
            free(m);
            return IDC_ENOMEM;
        }
        c->trial = trial;
        c->m = m;
        c->rows = rows;
        c->cols = cols;
        r->ncorr++;
        return IDC_OK;
    }
    return IDC_OK;
}

static char *dump(const json_t *v)
{
    return v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17)) : NULL;
}

/* Walks v for objects with "paper" and "ours"/"summary" objects. */
static int take_repro(idc_report *r, size_t trial, json_t *v, const char *table, int depth)
{
    if (depth > 8)
        return IDC_OK;
    if (json_is_object(v)) {
        const char *t = json_string_value(json_object_get(v, "table"));
        if (t)
            table = t;
        json_t *paper = json_object_get(v, "paper"), *ours = json_object_get(v, "ours");
        if (ours == NULL)
            ours = json_object_get(v, "summary");
        if (json_is_object(paper) && json_is_object(ours)) {
            r->repro_total++;
            if (r->nrepro >= IDC_REP_MAX_REPRO)
                return IDC_OK;
            if (r->repro == NULL && (r->repro = calloc(IDC_REP_MAX_REPRO, sizeof *r->repro)) == NULL)
                return IDC_ENOMEM;
            idc_rep_repro *e = &r->repro[r->nrepro];
            char title[256];
            json_t *row = json_object_get(v, "row");
            if (json_is_integer(row))
                snprintf(title, sizeof title, "%.200s row %lld", table ? table : "table",
                         (long long)json_integer_value(row));
            else
                snprintf(title, sizeof title, "%.200s", table ? table : "table");
            e->trial = trial;
            e->title = strdup(title);
            e->params = dump(json_object_get(v, "params"));
            e->paper = dump(paper);
            e->ours = dump(ours);
            r->nrepro++;
            if (e->title == NULL || e->paper == NULL || e->ours == NULL)
                return IDC_ENOMEM;
            return IDC_OK;
        }
        json_t *rows = json_object_get(v, "rows");
        if (json_is_array(rows)) {
            size_t i;
            json_t *c;
            json_array_foreach(rows, i, c)
            {
                int rc = take_repro(r, trial, c, table, depth + 1);
                if (rc)
                    return rc;
            }
        }
    }
    return IDC_OK;
}

/* One pass over the records, keeping only what the report shows. */
static int scan_records(idc_report *r, sqlite3 *db, const id_index *ix, const char *path, idc_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT trial_id, record FROM trials WHERE record IS NOT NULL ORDER BY trial_id", -1,
                           &st, NULL) != SQLITE_OK)
        return db_fail(err, path, db, "trials.record");
    int rc = IDC_OK, step;
    while (rc == IDC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        size_t k = find_trial(ix, r->ntrials, sqlite3_column_int64(st, 0));
        const char *text = (const char *)sqlite3_column_text(st, 1);
        if (k == (size_t)-1 || text == NULL)
            continue;
        r->records++;
        json_t *rec = json_loads(text, JSON_DECODE_ANY, NULL);
        if (rec == NULL)
            continue; /* an unparsable record shows nothing; the trial table still lists the trial */
        rc = take_corr(r, k, rec);
        if (rc == IDC_OK)
            rc = take_repro(r, k, rec, NULL, 0);
        json_decref(rec);
    }
    if (rc == IDC_OK && step != SQLITE_DONE)
        rc = db_fail(err, path, db, "trials.record");
    else if (rc == IDC_ENOMEM)
        idc_err_set(err, rc, "%s: out of memory", path);
    sqlite3_finalize(st);
    return rc;
}

static int load(idc_report *r, sqlite3 *db, const char *path, idc_err *err)
{
    sqlite3_stmt *st = NULL;
    int oom = 0, step;
    size_t cap = 0;
    /* runs */
    if (sqlite3_prepare_v2(db,
                           "SELECT run_id, verb, argv, started, finished, status, provenance, sweep, shard FROM runs "
                           "ORDER BY run_id",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(err, path, db, "runs");
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (r->nruns == cap) {
            cap = cap ? 2 * cap : 16;
            void *q = realloc(r->runs, cap * sizeof *r->runs);
            if (q == NULL) {
                oom = 1;
                break;
            }
            r->runs = q;
        }
        idc_rep_run *u = &r->runs[r->nruns++];
        memset(u, 0, sizeof *u);
        u->run_id = sqlite3_column_int64(st, 0);
        u->verb = dup_col(st, 1, &oom);
        u->argv = dup_col(st, 2, &oom);
        u->started = dup_col(st, 3, &oom);
        u->finished = dup_col(st, 4, &oom);
        u->status = dup_col(st, 5, &oom);
        u->provenance = dup_col(st, 6, &oom);
        u->sweep = dup_col(st, 7, &oom);
        u->shard = dup_col(st, 8, &oom);
    }
    sqlite3_finalize(st);
    if (oom)
        return idc_err_set(err, IDC_ENOMEM, "%s: out of memory", path);
    if (step != SQLITE_DONE && step != SQLITE_ROW)
        return db_fail(err, path, db, "runs");
    /* trials */
    cap = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT trial_id, run_id, cell, property, trial_index, seed, params, estimator, start, "
                           "instance_hash, outcome, reason, replay, seconds FROM trials",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(err, path, db, "trials");
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (r->ntrials == cap) {
            cap = cap ? 2 * cap : 64;
            void *q = realloc(r->trials, cap * sizeof *r->trials);
            if (q == NULL) {
                oom = 1;
                break;
            }
            r->trials = q;
        }
        idc_rep_trial *t = &r->trials[r->ntrials++];
        memset(t, 0, sizeof *t);
        t->trial_id = sqlite3_column_int64(st, 0);
        t->run_id = sqlite3_column_int64(st, 1);
        t->cell = dup_col(st, 2, &oom);
        t->property = dup_col(st, 3, &oom);
        t->trial_index = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 4);
        t->seed = dup_col(st, 5, &oom);
        t->params = dup_col(st, 6, &oom);
        t->estimator = dup_col(st, 7, &oom);
        t->start = dup_col(st, 8, &oom);
        t->instance_hash = dup_col(st, 9, &oom);
        t->outcome = dup_col(st, 10, &oom);
        t->reason = dup_col(st, 11, &oom);
        t->replay = dup_col(st, 12, &oom);
        t->has_seconds = sqlite3_column_type(st, 13) != SQLITE_NULL;
        t->seconds = sqlite3_column_double(st, 13);
    }
    sqlite3_finalize(st);
    if (oom)
        return idc_err_set(err, IDC_ENOMEM, "%s: out of memory", path);
    if (step != SQLITE_DONE && step != SQLITE_ROW)
        return db_fail(err, path, db, "trials");
    if (r->ntrials > 1)
        qsort(r->trials, r->ntrials, sizeof *r->trials, cmp_trial);
    id_index *ix = build_index(r);
    if (ix == NULL)
        return idc_err_set(err, IDC_ENOMEM, "%s: out of memory", path);
    /* measurements, grouped by trial in r->trials order */
    cap = 0;
    int rc = IDC_OK;
    if (sqlite3_prepare_v2(db, "SELECT trial_id, name, kind, value FROM measurements ORDER BY trial_id, kind, name",
                           -1, &st, NULL) != SQLITE_OK) {
        free(ix);
        return db_fail(err, path, db, "measurements");
    }
    idc_rep_meas *tmp = NULL;
    size_t ntmp = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (find_trial(ix, r->ntrials, sqlite3_column_int64(st, 0)) == (size_t)-1)
            continue; /* a measurement of no trial */
        if (ntmp == cap) {
            cap = cap ? 2 * cap : 256;
            void *q = realloc(tmp, cap * sizeof *tmp);
            if (q == NULL) {
                oom = 1;
                break;
            }
            tmp = q;
        }
        idc_rep_meas *m = &tmp[ntmp++];
        m->trial_id = sqlite3_column_int64(st, 0);
        m->name = dup_col(st, 1, &oom);
        const char *kind = (const char *)sqlite3_column_text(st, 2);
        m->condition = kind != NULL && strcmp(kind, "condition") == 0;
        m->value = sqlite3_column_type(st, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 3);
        if (m->name == NULL && !oom)
            m->name = strdup("?");
        if (m->name == NULL)
            oom = 1;
    }
    sqlite3_finalize(st);
    if (!oom && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = db_fail(err, path, db, "measurements");
    /* verdicts */
    idc_rep_verdict *vtmp = NULL;
    size_t nv = 0;
    cap = 0;
    if (rc == IDC_OK && !oom) {
        if (sqlite3_prepare_v2(db,
                               "SELECT trial_id, precondition, verdict, cert_hash FROM verdicts "
                               "ORDER BY trial_id, precondition",
                               -1, &st, NULL) != SQLITE_OK) {
            rc = db_fail(err, path, db, "verdicts");
        } else {
            while ((step = sqlite3_step(st)) == SQLITE_ROW) {
                if (find_trial(ix, r->ntrials, sqlite3_column_int64(st, 0)) == (size_t)-1)
                    continue;
                if (nv == cap) {
                    cap = cap ? 2 * cap : 256;
                    void *q = realloc(vtmp, cap * sizeof *vtmp);
                    if (q == NULL) {
                        oom = 1;
                        break;
                    }
                    vtmp = q;
                }
                idc_rep_verdict *v = &vtmp[nv++];
                v->trial_id = sqlite3_column_int64(st, 0);
                v->precondition = dup_col(st, 1, &oom);
                v->verdict = dup_col(st, 2, &oom);
                v->cert_hash = dup_col(st, 3, &oom);
                if (!oom && v->precondition == NULL)
                    oom = (v->precondition = strdup("?")) == NULL;
                if (!oom && v->verdict == NULL)
                    oom = (v->verdict = strdup("UNKNOWN")) == NULL;
            }
            sqlite3_finalize(st);
            if (!oom && step != SQLITE_DONE && step != SQLITE_ROW)
                rc = db_fail(err, path, db, "verdicts");
        }
    }
    /* regroup measurements and verdicts in trial order (both come sorted by trial_id) */
    if (rc == IDC_OK && !oom) {
        r->meas = malloc((ntmp ? ntmp : 1) * sizeof *r->meas);
        r->verd = malloc((nv ? nv : 1) * sizeof *r->verd);
        size_t *first_m = calloc(r->ntrials + 1, sizeof *first_m), *first_v = calloc(r->ntrials + 1, sizeof *first_v);
        if (r->meas == NULL || r->verd == NULL || first_m == NULL || first_v == NULL) {
            oom = 1;
        } else {
            /* counts per trial, then prefix sums in r->trials order */
            for (size_t i = 0; i < ntmp; i++)
                r->trials[find_trial(ix, r->ntrials, tmp[i].trial_id)].nmeas++;
            for (size_t i = 0; i < nv; i++)
                r->trials[find_trial(ix, r->ntrials, vtmp[i].trial_id)].nverd++;
            size_t om = 0, ov = 0;
            for (size_t k = 0; k < r->ntrials; k++) {
                r->trials[k].meas0 = om;
                r->trials[k].verd0 = ov;
                om += r->trials[k].nmeas;
                ov += r->trials[k].nverd;
                first_m[k] = r->trials[k].meas0;
                first_v[k] = r->trials[k].verd0;
            }
            for (size_t i = 0; i < ntmp; i++) {
                size_t k = find_trial(ix, r->ntrials, tmp[i].trial_id);
                r->meas[first_m[k]++] = tmp[i];
            }
            for (size_t i = 0; i < nv; i++) {
                size_t k = find_trial(ix, r->ntrials, vtmp[i].trial_id);
                r->verd[first_v[k]++] = vtmp[i];
            }
            r->nmeas = ntmp;
            r->nverd = nv;
            ntmp = nv = 0; /* moved */
        }
        free(first_m);
        free(first_v);
    }
    for (size_t i = 0; i < ntmp; i++)
        free(tmp[i].name);
    for (size_t i = 0; i < nv; i++) {
        free(vtmp[i].precondition);
        free(vtmp[i].verdict);
        free(vtmp[i].cert_hash);
    }
    free(tmp);
    free(vtmp);
    if (oom)
        rc = idc_err_set(err, IDC_ENOMEM, "%s: out of memory", path);
    if (rc == IDC_OK)
        rc = scan_records(r, db, ix, path, err);
    if (rc == IDC_OK)
        rc = idc_rep_load_records(r, db, path, err);
    free(ix);
    return rc;
}

static int load_from(idc_report **out, sqlite3 *db, const char *path, idc_err *err);

/* SQLite's index files of a WAL database beside path. */
static int sidecar(char *buf, size_t cap, const char *path, const char *suffix)
{
    return snprintf(buf, cap, "%s%s", path, suffix) < (int)cap;
}

static int exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

/* A read-only connection to a WAL database creates path-wal and path-shm
 * when they are absent and, unable to checkpoint, leaves them when it
 * closes. They are removed again when this reader created them, the WAL is
 * empty, and no other process has the shared-memory index open: SQLite's
 * unix VFS holds a read lock on byte 128 of the -shm (its "DMS" lock) in every
 * process using it, so a write lock there is granted only when none does; it
 * is held across the removal. */
static void remove_own_sidecars(const char *path)
{
    char wal[4200], shm[4200];
    if (!sidecar(wal, sizeof wal, path, "-wal") || !sidecar(shm, sizeof shm, path, "-shm"))
        return;
    int fd = open(shm, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return;
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 128, .l_len = 1};
    struct stat sb;
    if (fcntl(fd, F_SETLK, &lk) == 0 && stat(wal, &sb) == 0 && sb.st_size == 0) {
        unlink(wal);
        unlink(shm);
    }
    close(fd); /* releases the lock */
}

int idc_report_load(idc_report **out, const char *path, idc_err *err)
{
    *out = NULL;
    char wal[4200], shm[4200];
    int ours = sidecar(wal, sizeof wal, path, "-wal") && sidecar(shm, sizeof shm, path, "-shm") && !exists(wal) &&
               !exists(shm);
    sqlite3 *db;
    int rc = open_store(&db, path, err);
    if (rc == IDC_OK) {
        rc = load_from(out, db, path, err);
        sqlite3_close(db);
    }
    if (ours)
        remove_own_sidecars(path);
    return rc;
}

static int load_from(idc_report **out, sqlite3 *db, const char *path, idc_err *err)
{
    int rc;
    idc_report *r = calloc(1, sizeof *r);
    const char *base = strrchr(path, '/');
    if (r == NULL || (r->name = strdup(base ? base + 1 : path)) == NULL) {
        free(r);
        return idc_err_set(err, IDC_ENOMEM, "%s: out of memory", path);
    }
    rc = load(r, db, path, err);
    if (rc == IDC_OK) { /* the database as read, for the page to embed */
        sqlite3_int64 sz = 0;
        unsigned char *img = sqlite3_serialize(db, "main", &sz, 0);
        if (img == NULL || sz <= 0) {
            sqlite3_free(img);
            rc = idc_err_set(err, IDC_ENOMEM, "%s: out of memory (copying the database into the report)", path);
        } else {
            r->image = img;
            r->image_len = (size_t)sz;
        }
    }
    if (rc != IDC_OK) {
        idc_report_free(r);
        return rc;
    }
    *out = r;
    return IDC_OK;
}

void idc_report_free(idc_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nruns; i++) {
        idc_rep_run *u = &r->runs[i];
        free(u->verb);
        free(u->argv);
        free(u->started);
        free(u->finished);
        free(u->status);
        free(u->provenance);
        free(u->sweep);
        free(u->shard);
    }
    free(r->runs);
    for (size_t i = 0; i < r->ntrials; i++) {
        idc_rep_trial *t = &r->trials[i];
        free(t->cell);
        free(t->property);
        free(t->seed);
        free(t->params);
        free(t->estimator);
        free(t->start);
        free(t->instance_hash);
        free(t->outcome);
        free(t->reason);
        free(t->replay);
    }
    free(r->trials);
    for (size_t i = 0; i < r->nmeas; i++)
        free(r->meas[i].name);
    free(r->meas);
    for (size_t i = 0; i < r->nverd; i++) {
        free(r->verd[i].precondition);
        free(r->verd[i].verdict);
        free(r->verd[i].cert_hash);
    }
    free(r->verd);
    for (size_t i = 0; i < r->ncorr; i++) {
        free(r->corr[i].key);
        free(r->corr[i].m);
    }
    for (size_t i = 0; i < r->nrepro; i++) {
        free(r->repro[i].title);
        free(r->repro[i].params);
        free(r->repro[i].paper);
        free(r->repro[i].ours);
    }
    free(r->repro);
    json_decref(r->recs);
    sqlite3_free(r->image);
    free(r->name);
    free(r);
}

size_t idc_report_runs(const idc_report *r)
{
    return r->nruns;
}

size_t idc_report_trials(const idc_report *r)
{
    return r->ntrials;
}

size_t idc_report_count(const idc_report *r, const char *prop, const char *outcome)
{
    size_t n = 0;
    for (size_t k = 0; k < r->ntrials; k++) {
        const idc_rep_trial *t = &r->trials[k];
        if ((prop == NULL || (t->property && strcmp(t->property, prop) == 0)) && t->outcome &&
            strcmp(t->outcome, outcome) == 0)
            n++;
    }
    return n;
}
