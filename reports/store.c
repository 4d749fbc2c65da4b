/* The results store (reports/store.h): SQLite, schema version 2. */
#include "reports/store.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nettle/sha2.h>
#include <sqlite3.h>

#include "models/instance.h"
#include "models/sample.h"
#include "reports/provenance.h"

struct idc_store {
    sqlite3 *db;
    char *path;
    pthread_mutex_t lock;
};

int idc_store_application_id(void)
{
    return IDC_STORE_APPLICATION_ID;
}

int idc_store_schema_version(void)
{
    return IDC_STORE_SCHEMA_VERSION;
}

const char *idc_store_path(const idc_store *s)
{
    return s->path;
}

static const char schema_sql[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
    "CREATE TABLE runs(run_id INTEGER PRIMARY KEY, verb TEXT NOT NULL, argv TEXT NOT NULL, started TEXT NOT NULL,\n"
    "  finished TEXT, status TEXT, provenance TEXT NOT NULL, sweep TEXT, shard TEXT);\n"
    "CREATE TABLE instances(hash TEXT PRIMARY KEY, json TEXT NOT NULL);\n"
    "CREATE TABLE trials(trial_id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
    "  cell TEXT NOT NULL, property TEXT, trial_index INTEGER, seed TEXT, run_seed TEXT, params TEXT,\n"
    "  estimator TEXT, start TEXT, instance_hash TEXT REFERENCES instances(hash),\n"
    "  outcome TEXT NOT NULL CHECK(outcome IN ('PASS','FAIL','INCONCLUSIVE','DISCARD','ERROR')),\n"
    "  reason TEXT, replay TEXT, seconds REAL, record TEXT NOT NULL, UNIQUE(run_id, cell));\n"
    "CREATE TABLE verdicts(trial_id INTEGER REFERENCES trials(trial_id), precondition TEXT,\n"
    "  verdict TEXT CHECK(verdict IN ('HOLDS','FAILS','UNKNOWN')), certificate TEXT, cert_hash TEXT,\n"
    "  PRIMARY KEY(trial_id, precondition));\n"
    "CREATE TABLE measurements(trial_id INTEGER REFERENCES trials(trial_id), name TEXT,\n"
    "  kind TEXT CHECK(kind IN ('metric','condition')), value REAL, PRIMARY KEY(trial_id, name));\n"
    "CREATE INDEX trials_property ON trials(property, outcome);\n"
    "CREATE INDEX trials_instance ON trials(instance_hash);\n"
    "CREATE TABLE samples(trial_id INTEGER PRIMARY KEY REFERENCES trials(trial_id), n INTEGER NOT NULL,\n"
    "  seed TEXT NOT NULL, sha256 TEXT NOT NULL);\n";

/* Schema 2: the records of the verbs that are not property trials (fit,
 * check, repro); created with a new store, and by the migration of a
 * schema-1 store on a writing open. */
static const char records_sql[] =
    "CREATE TABLE IF NOT EXISTS records(record_id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES "
    "runs(run_id),\n"
    "  kind TEXT NOT NULL CHECK(kind IN ('fit','check','repro')), cell TEXT NOT NULL,\n"
    "  instance_hash TEXT REFERENCES instances(hash), config TEXT NOT NULL, seconds REAL, record TEXT NOT NULL,\n"
    "  UNIQUE(run_id, cell));\n"
    "CREATE TABLE IF NOT EXISTS record_verdicts(record_id INTEGER REFERENCES records(record_id), precondition TEXT,\n"
    "  verdict TEXT CHECK(verdict IN ('HOLDS','FAILS','UNKNOWN')), certificate TEXT, cert_hash TEXT,\n"
    "  PRIMARY KEY(record_id, precondition));\n"
    "CREATE TABLE IF NOT EXISTS record_measurements(record_id INTEGER REFERENCES records(record_id), name TEXT,\n"
    "  value REAL, PRIMARY KEY(record_id, name));\n";

/* Added to schema 1 before its first release: created on a writing open of a
 * store made without it. */
static const char samples_sql[] =
    "CREATE TABLE IF NOT EXISTS samples(trial_id INTEGER PRIMARY KEY REFERENCES trials(trial_id), "
    "n INTEGER NOT NULL, seed TEXT NOT NULL, sha256 TEXT NOT NULL)";

/* ---- errors ---------------------------------------------------------------- */

/* Maps an SQLite failure to a status with one line naming the file. */
static int db_err(const idc_store *s, idc_err *err, int src, const char *what)
{
    const char *msg = s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(src);
    int prim = src & 0xff;
    int code = prim == SQLITE_NOMEM ? IDC_ENOMEM
               : prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB ? IDC_EINVAL
               : prim == SQLITE_FULL || prim == SQLITE_IOERR || prim == SQLITE_READONLY || prim == SQLITE_CANTOPEN ||
                       prim == SQLITE_BUSY || prim == SQLITE_LOCKED || prim == SQLITE_PERM
                   ? IDC_EIO
                   : IDC_EINVAL;
    if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB)
        return idc_err_set(err, code, "%s: database corrupted (%s: %s)", s->path, what, msg);
    return idc_err_set(err, code, "%s: %s: %s", s->path, what, msg);
}

static int exec(idc_store *s, const char *sql, const char *what, idc_err *err)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? IDC_OK : db_err(s, err, rc, what);
}

/* A one-integer query (PRAGMA x): *v. */
static int query_int(idc_store *s, const char *sql, long long *v, idc_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *v = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            *v = 0;
            rc = SQLITE_OK;
        }
    }
    if (rc != SQLITE_OK)
        rc = db_err(s, err, rc, sql);
    sqlite3_finalize(st);
    return rc;
}

/* ---- helpers ---------------------------------------------------------------- */

char *idc_store_canonical(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17) | JSON_ENCODE_ANY);
}

static void sha256_hex(char hex[65], const char *s)
{
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(s), (const uint8_t *)s);
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, d);
    for (size_t i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

int idc_store_json_hash(char hex[65], const json_t *v)
{
    char *s = idc_store_canonical(v);
    if (s == NULL)
        return IDC_ENOMEM;
    sha256_hex(hex, s);
    free(s);
    return IDC_OK;
}

int idc_store_samples_hash(char hex[65], const json_t *instance, uint64_t seed, size_t n, idc_err *err)
{
    char *txt = idc_store_canonical(instance);
    if (txt == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    idc_instance inst;
    int rc = idc_instance_read_string(&inst, txt, err);
    free(txt);
    if (rc != IDC_OK)
        return rc;
    idc_samples sm;
    idc_samples_init(&sm);
    rc = idc_sample_draw(&sm, &inst, n, seed, 0, 1, err);
    if (rc == IDC_OK) {
        struct sha256_ctx ctx;
        uint8_t d[SHA256_DIGEST_SIZE];
        sha256_init(&ctx);
        for (size_t i = 0; i < sm.n; i++) {
            sha256_update(&ctx, sm.zdim * sizeof(double), (const uint8_t *)(sm.z + i * sm.zdim));
            sha256_update(&ctx, sm.xdim * sizeof(double), (const uint8_t *)(sm.x + i * sm.xdim));
            sha256_update(&ctx, sizeof(int32_t), (const uint8_t *)(sm.label + i));
            if (sm.has_u)
                sha256_update(&ctx, sizeof(double), (const uint8_t *)(sm.u + i));
        }
        sha256_digest(&ctx, SHA256_DIGEST_SIZE, d);
        for (size_t i = 0; i < SHA256_DIGEST_SIZE; i++)
            snprintf(hex + 2 * i, 3, "%02x", d[i]);
    }
    idc_samples_clear(&sm);
    idc_instance_clear(&inst);
    return rc;
}

static void utc_now(char buf[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- open / close ------------------------------------------------------------ */

static void store_free(idc_store *s)
{
    if (s == NULL)
        return;
    if (s->db != NULL)
        sqlite3_close_v2(s->db);
    pthread_mutex_destroy(&s->lock);
    free(s->path);
    free(s);
}

void idc_store_close(idc_store *s)
{
    store_free(s);
}

/* 1 when the directory of path can be written (where SQLite puts the WAL
 * and the shared-memory index). */
static int dir_writable(const char *path)
{
    char *dir = strdup(path);
    if (dir == NULL)
        return 0;
    char *slash = strrchr(dir, '/');
    const char *d = slash == NULL ? "." : slash == dir ? "/" : (*slash = '\0', dir);
    int ok = access(d, W_OK) == 0;
    free(dir);
    return ok;
}

/* Opens path read-only. A WAL database needs its -shm and -wal files, which
 * a reader cannot create in a directory it may not write: there, a file
 * without a pending WAL is opened as immutable (a URI with immutable=1; no
 * locks, so nobody may write it meanwhile), and one with a WAL to recover is
 * refused. */
static int open_readonly(sqlite3 **db, const char *path, int extra_flags, idc_err *err)
{
    *db = NULL;
    if (dir_writable(path)) {
        int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY | extra_flags, NULL);
        if (rc == SQLITE_OK)
            return IDC_OK;
        int st = idc_err_set(err, IDC_EIO, "%s: cannot open: %s", path, *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
        sqlite3_close_v2(*db);
        *db = NULL;
        return st;
    }
    char wal[4200];
    struct stat sb;
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (stat(wal, &sb) == 0 && sb.st_size > 0)
        return idc_err_set(err, IDC_EIO, "%s: in a read-only directory with a WAL still to recover (%s): copy both "
                           "to a writable directory", path, wal);
    /* file:PATH?immutable=1, PATH percent-encoded */
    size_t n = strlen(path);
    char *uri = malloc(3 * n + 32);
    if (uri == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    size_t k = (size_t)sprintf(uri, "file:");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("/._-~", c))
            uri[k++] = (char)c;
        else
            k += (size_t)sprintf(uri + k, "%%%02X", c);
    }
    strcpy(uri + k, "?immutable=1");
    int rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | extra_flags, NULL);
    free(uri);
    if (rc == SQLITE_OK)
        return IDC_OK;
    int st = idc_err_set(err, IDC_EIO, "%s: cannot open: %s", path, *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
    sqlite3_close_v2(*db);
    *db = NULL;
    return st;
}

/* Checks an existing, non-empty file on a read-only connection. */
static int check_existing(const char *path, idc_err *err)
{
    idc_store tmp = {NULL, (char *)path, PTHREAD_MUTEX_INITIALIZER};
    int ost = open_readonly(&tmp.db, path, 0, err);
    if (ost != IDC_OK)
        return ost;
    int rc = SQLITE_OK;
    sqlite3_busy_timeout(tmp.db, 10000);
    long long app = 0, ver = 0, ok = 0;
    int st = IDC_OK;
    rc = sqlite3_exec(tmp.db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    if ((rc & 0xff) == SQLITE_NOTADB) {
        st = idc_err_set(err, IDC_EINVAL, "%s: not an SQLite database (not an idcheck results store)", path);
        goto out;
    }
    if (rc != SQLITE_OK) {
        st = db_err(&tmp, err, rc, "reading the schema");
        goto out;
    }
    st = query_int(&tmp, "PRAGMA application_id", &app, err);
    if (st == IDC_OK)
        st = query_int(&tmp, "PRAGMA user_version", &ver, err);
    if (st != IDC_OK)
        goto out;
    if (app != IDC_STORE_APPLICATION_ID) {
        st = idc_err_set(err, IDC_EINVAL, "%s: not an idcheck results store (SQLite application_id 0x%llx, expected 0x%x)",
                         path, (unsigned long long)(uint32_t)app, IDC_STORE_APPLICATION_ID);
        goto out;
    }
    if (ver > IDC_STORE_SCHEMA_VERSION) {
        st = idc_err_set(err, IDC_EINVAL, "%s: results store schema version %lld is newer than this idcheck's (%d)",
                         path, ver, IDC_STORE_SCHEMA_VERSION);
        goto out;
    }
    if (ver < 1) {
        st = idc_err_set(err, IDC_EINVAL, "%s: results store without a schema version (user_version %lld)", path, ver);
        goto out;
    }
    /* quick_check: the b-trees and their pages (not index contents; O(size)) */
    sqlite3_stmt *q = NULL;
    rc = sqlite3_prepare_v2(tmp.db, "PRAGMA quick_check(1)", -1, &q, NULL);
    if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(q, 0);
        ok = r != NULL && strcmp(r, "ok") == 0;
        if (!ok) {
            st = idc_err_set(err, IDC_EINVAL, "%s: database corrupted (integrity check: %.200s)", path, r ? r : "?");
            for (char *c = err != NULL ? err->msg : NULL; c != NULL && *c; c++) /* one line */
                if (*c == '\n')
                    *c = ' ';
        }
    } else {
        st = idc_err_set(err, IDC_EINVAL, "%s: database corrupted (integrity check: %s)", path,
                         sqlite3_errmsg(tmp.db));
    }
    sqlite3_finalize(q);
    if (st != IDC_OK)
        goto out;
    q = NULL;
    rc = sqlite3_prepare_v2(tmp.db, "SELECT value FROM meta WHERE key = 'format'", -1, &q, NULL);
    const char *fmt = NULL;
    if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        fmt = (const char *)sqlite3_column_text(q, 0);
    if (fmt == NULL || strcmp(fmt, "idcheck-results") != 0)
        st = idc_err_set(err, IDC_EINVAL, "%s: not an idcheck results store (meta 'format' is %s)", path,
                         fmt ? fmt : "missing");
    sqlite3_finalize(q);
out:
    sqlite3_close_v2(tmp.db);
    return st;
}

static int create_schema(idc_store *s, idc_err *err)
{
    int st = exec(s, "BEGIN IMMEDIATE", "creating the schema", err);
    if (st != IDC_OK)
        return st;
    long long ver = 0;
    st = query_int(s, "PRAGMA user_version", &ver, err);
    if (st == IDC_OK && ver == 0) { /* not created by another process meanwhile */
        char sql[256];
        snprintf(sql, sizeof sql, "PRAGMA application_id = %d", IDC_STORE_APPLICATION_ID);
        st = exec(s, sql, "creating the schema", err);
        if (st == IDC_OK)
            st = exec(s, schema_sql, "creating the schema", err);
        if (st == IDC_OK)
            st = exec(s, records_sql, "creating the schema", err);
        if (st == IDC_OK) {
            char *ins = sqlite3_mprintf("INSERT INTO meta(key, value) VALUES ('format', 'idcheck-results'), "
                                        "('schema_version', '%d'), ('created_by', 'idcheck %q')",
                                        IDC_STORE_SCHEMA_VERSION, idc_version());
            st = ins ? exec(s, ins, "creating the schema", err) : idc_err_set(err, IDC_ENOMEM, "out of memory");
            sqlite3_free(ins);
        }
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", IDC_STORE_SCHEMA_VERSION);
        if (st == IDC_OK)
            st = exec(s, sql, "creating the schema", err);
    }
    if (st == IDC_OK)
        st = exec(s, "COMMIT", "creating the schema", err);
    if (st != IDC_OK)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

/* A writing open of an older store: the samples table (schema 1 before its
 * first release) and, for schema 1, the records tables of schema 2, the
 * version raised, in one transaction. */
static int migrate(idc_store *s, idc_err *err)
{
    int st = exec(s, "BEGIN IMMEDIATE", "migrating the schema", err);
    if (st != IDC_OK)
        return st;
    long long ver = 0;
    st = exec(s, samples_sql, "adding the samples table", err);
    if (st == IDC_OK)
        st = query_int(s, "PRAGMA user_version", &ver, err);
    if (st == IDC_OK && ver < IDC_STORE_SCHEMA_VERSION) {
        char sql[160];
        st = exec(s, records_sql, "migrating the schema to version 2 (the records tables)", err);
        snprintf(sql, sizeof sql, "UPDATE meta SET value = '%d' WHERE key = 'schema_version'; PRAGMA user_version = %d",
                 IDC_STORE_SCHEMA_VERSION, IDC_STORE_SCHEMA_VERSION);
        if (st == IDC_OK)
            st = exec(s, sql, "migrating the schema", err);
    }
    if (st == IDC_OK)
        st = exec(s, "COMMIT", "migrating the schema", err);
    if (st != IDC_OK)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

int idc_store_open(idc_store **out, const char *path, idc_store_mode mode, idc_err *err)
{
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return idc_err_set(err, IDC_EINVAL, "results store: empty path");
    struct stat sb;
    int exists = stat(path, &sb) == 0;
    if (!exists && errno != ENOENT)
        return idc_err_set(err, IDC_EIO, "%s: %s", path, strerror(errno));
    if (exists && S_ISDIR(sb.st_mode))
        return idc_err_set(err, IDC_EIO, "%s: is a directory, not a results store", path);
    if (!exists && mode == IDC_STORE_READ)
        return idc_err_set(err, IDC_EIO, "%s: no such results store", path);
    int empty = !exists || sb.st_size == 0;
    if (empty && mode == IDC_STORE_READ)
        return idc_err_set(err, IDC_EINVAL, "%s: empty file, not an idcheck results store", path);
    if (!empty) {
        int st = check_existing(path, err);
        if (st != IDC_OK)
            return st;
    }
    if (mode == IDC_STORE_WRITE) {
        /* the file and its directory (for the WAL and the shared-memory index) */
        char *dir = strdup(path);
        if (dir == NULL)
            return idc_err_set(err, IDC_ENOMEM, "out of memory");
        char *slash = strrchr(dir, '/');
        const char *d = slash == NULL ? "." : slash == dir ? "/" : (*slash = '\0', dir);
        /* a file without any write permission bit counts as read-only
         * even for a superuser, whom access() would let write */
        struct stat db;
        int dir_ok = access(d, W_OK) == 0 && stat(d, &db) == 0 && (db.st_mode & 0222) != 0;
        free(dir);
        if (exists && (access(path, W_OK) != 0 || (sb.st_mode & 0222) == 0))
            return idc_err_set(err, IDC_EIO, "%s: read-only file, cannot write the results store", path);
        if (!dir_ok)
            return idc_err_set(err, IDC_EIO, "%s: read-only directory (the store's WAL is written beside it)", path);
    }
    idc_store *s = calloc(1, sizeof *s);
    if (s == NULL || (s->path = strdup(path)) == NULL) {
        free(s);
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&s->lock, NULL);
    int rc = SQLITE_OK, st = IDC_OK;
    if (mode == IDC_STORE_READ) {
        st = open_readonly(&s->db, path, SQLITE_OPEN_FULLMUTEX, err);
        if (st != IDC_OK) {
            store_free(s);
            return st;
        }
    } else {
        rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
    }
    if (rc != SQLITE_OK) {
        st = idc_err_set(err, IDC_EIO, "%s: cannot open: %s", path, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        store_free(s);
        return st;
    }
    sqlite3_busy_timeout(s->db, 10000);
    if (mode == IDC_STORE_WRITE && sqlite3_db_readonly(s->db, "main") == 1) {
        st = idc_err_set(err, IDC_EIO, "%s: read-only file, cannot write the results store", path);
        store_free(s);
        return st;
    }
    st = exec(s, "PRAGMA foreign_keys = ON", "setting foreign_keys", err);
    if (st == IDC_OK && mode == IDC_STORE_WRITE) {
        /* WAL is a property of the file (kept); synchronous FULL of this connection */
        sqlite3_stmt *q = NULL;
        rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &q, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(q);
        const char *jm = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(q, 0) : NULL;
        if (jm == NULL || strcmp(jm, "wal") != 0)
            st = rc == SQLITE_ROW ? idc_err_set(err, IDC_EIO, "%s: cannot switch to WAL mode (journal_mode %s)", path,
                                                jm ? jm : "?")
                                  : db_err(s, err, rc, "setting WAL mode");
        sqlite3_finalize(q);
        if (st == IDC_OK)
            st = exec(s, "PRAGMA synchronous = FULL", "setting synchronous", err);
        if (st == IDC_OK && empty)
            st = create_schema(s, err);
        else if (st == IDC_OK)
            st = migrate(s, err);
    }
    if (st != IDC_OK) {
        store_free(s);
        return st;
    }
    *out = s;
    return IDC_OK;
}

int idc_store_limit_pages(idc_store *s, long max_pages, idc_err *err)
{
    pthread_mutex_lock(&s->lock);
    long long cur = 0;
    int st = query_int(s, "PRAGMA page_count", &cur, err);
    if (st == IDC_OK) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", max_pages > 0 ? (long long)max_pages : cur);
        long long got = 0;
        st = query_int(s, sql, &got, err);
    }
    pthread_mutex_unlock(&s->lock);
    return st;
}

/* ---- statements ------------------------------------------------------------- */

static int prep(idc_store *s, sqlite3_stmt **st, const char *sql, idc_err *err)
{
    int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
    return rc == SQLITE_OK ? IDC_OK : db_err(s, err, rc, "preparing a statement");
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v != NULL)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* Steps a statement that returns no row. */
static int step_done(idc_store *s, sqlite3_stmt *st, const char *what, idc_err *err)
{
    int rc = sqlite3_step(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? IDC_OK : db_err(s, err, rc, what);
}

/* ---- runs ------------------------------------------------------------------- */

int idc_store_run_begin(idc_store *s, int64_t *run_id, const char *verb, int argc, char *const *argv,
                        const json_t *provenance, const json_t *sweep, const char *shard, idc_err *err)
{
    *run_id = 0;
    if (verb == NULL || verb[0] == '\0')
        return idc_err_set(err, IDC_EINVAL, "%s: run: empty verb", s->path);
    json_t *a = json_array();
    for (int i = 0; a != NULL && i < argc; i++)
        json_array_append_new(a, json_string(argv[i]));
    json_t *prov = provenance != NULL ? json_incref((json_t *)provenance) : idc_provenance_json();
    char *as = a ? idc_store_canonical(a) : NULL, *ps = prov ? idc_store_canonical(prov) : NULL;
    char *ss = sweep != NULL ? idc_store_canonical(sweep) : NULL;
    json_decref(a);
    json_decref(prov);
    int st = IDC_OK;
    if (as == NULL || ps == NULL || (sweep != NULL && ss == NULL))
        st = idc_err_set(err, IDC_ENOMEM, "out of memory");
    char now[32];
    utc_now(now);
    sqlite3_stmt *q = NULL;
    pthread_mutex_lock(&s->lock);
    if (st == IDC_OK)
        st = prep(s, &q,
                  "INSERT INTO runs(verb, argv, started, provenance, sweep, shard) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                  err);
    if (st == IDC_OK) {
        bind_text(q, 1, verb);
        bind_text(q, 2, as);
        bind_text(q, 3, now);
        bind_text(q, 4, ps);
        bind_text(q, 5, ss);
        bind_text(q, 6, shard);
        st = step_done(s, q, "recording the run", err);
        if (st == IDC_OK)
            *run_id = sqlite3_last_insert_rowid(s->db);
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&s->lock);
    free(as);
    free(ps);
    free(ss);
    return st;
}

static int run_update(idc_store *s, int64_t run_id, const char *status, int finish, idc_err *err)
{
    char now[32];
    utc_now(now);
    sqlite3_stmt *q = NULL;
    pthread_mutex_lock(&s->lock);
    int st = prep(s, &q,
                  finish ? "UPDATE runs SET finished = ?1, status = ?2 WHERE run_id = ?3"
                         : "UPDATE runs SET status = ?2 WHERE run_id = ?3 AND ?1 IS NOT NULL",
                  err);
    if (st == IDC_OK) {
        bind_text(q, 1, now);
        bind_text(q, 2, status);
        sqlite3_bind_int64(q, 3, run_id);
        st = step_done(s, q, "finishing the run", err);
        if (st == IDC_OK && sqlite3_changes(s->db) != 1)
            st = idc_err_set(err, IDC_EINVAL, "%s: no run %" PRId64, s->path, run_id);
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&s->lock);
    return st;
}

int idc_store_run_finish(idc_store *s, int64_t run_id, const char *status, idc_err *err)
{
    return run_update(s, run_id, status, 1, err);
}

int idc_store_run_set_status(idc_store *s, int64_t run_id, const char *status, idc_err *err)
{
    return run_update(s, run_id, status, 0, err);
}

int idc_store_find_unfinished(idc_store *s, int64_t *run_id, const char *verb, const json_t *sweep,
                              const char *shard, idc_err *err)
{
    *run_id = 0;
    char *ss = sweep != NULL ? idc_store_canonical(sweep) : NULL;
    if (sweep != NULL && ss == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    sqlite3_stmt *q = NULL;
    pthread_mutex_lock(&s->lock);
    int st = prep(s, &q,
                  "SELECT run_id FROM runs WHERE verb = ?1 AND sweep IS ?2 AND shard IS ?3 AND finished IS NULL "
                  "ORDER BY run_id DESC LIMIT 1",
                  err);
    if (st == IDC_OK) {
        bind_text(q, 1, verb);
        bind_text(q, 2, ss);
        bind_text(q, 3, shard);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW)
            *run_id = sqlite3_column_int64(q, 0);
        else if (rc != SQLITE_DONE)
            st = db_err(s, err, rc, "finding the run");
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&s->lock);
    free(ss);
    return st;
}

/* ---- measurements ------------------------------------------------------------- */

static int add_measure(json_t *out, const char *name, const char *kind, const json_t *v)
{
    size_t i;
    json_t *e;
    json_array_foreach(out, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
            return 0;
    }
    json_t *val = json_is_number(v) ? json_real(json_number_value(v))
                  : json_is_boolean(v) ? json_real(json_is_true(v) ? 1.0 : 0.0)
                                       : json_null();
    return json_array_append_new(out, json_pack("{s:s,s:s,s:o}", "name", name, "kind", kind, "value", val));
}

/* The number/boolean/null leaves of obj (arrays skipped), named
 * prefix + path. */
static int add_leaves(json_t *out, const json_t *obj, const char *prefix, const char *kind)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        char name[512];
        snprintf(name, sizeof name, "%s%s", prefix, key);
        if (json_is_object(v)) {
            char p2[520];
            snprintf(p2, sizeof p2, "%s.", name);
            if (add_leaves(out, v, p2, kind) != 0)
                return -1;
        } else if (json_is_number(v) || json_is_boolean(v) || json_is_null(v)) {
            if (add_measure(out, name, kind, v) != 0)
                return -1;
        }
    }
    return 0;
}

int idc_store_measurements(json_t **out, const json_t *record, idc_err *err)
{
    *out = json_array();
    if (*out == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    const json_t *est = json_object_get(record, "estimator");
    const json_t *conds = json_object_get(record, "estimator_conditions");
    if (!json_is_object(conds))
        conds = json_object_get(est, "estimator_conditions");
    const json_t *mets = json_object_get(record, "metrics");
    if (!json_is_object(mets))
        mets = json_object_get(est, "metrics");
    int bad = 0;
    if (json_is_object(conds))
        bad |= add_leaves(*out, conds, "", "condition");
    if (json_is_object(mets))
        bad |= add_leaves(*out, mets, "", "metric");
    static const char *const est_keys[] = {"dist_aff", "r2_rev_out"};
    for (size_t i = 0; i < 2; i++) {
        const json_t *v = json_object_get(est, est_keys[i]);
        if (json_is_number(v) || json_is_null(v))
            bad |= add_measure(*out, est_keys[i], "metric", v);
    }
    const json_t *av = json_object_get(json_object_get(record, "assertion"), "value");
    if (json_is_number(av) || json_is_null(av))
        bad |= add_measure(*out, "assertion", "metric", av);
    const json_t *stab = json_object_get(record, "stability");
    if (json_is_object(stab))
        bad |= add_leaves(*out, stab, "stability.", "metric");
    if (bad) {
        json_decref(*out);
        *out = NULL;
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    return IDC_OK;
}

/* ---- trials -------------------------------------------------------------------- */

static const char *str_or(const char *a, const json_t *v)
{
    return a != NULL ? a : json_string_value(v);
}

static int valid_outcome(const char *o)
{
    static const char *const ok[] = {"PASS", "FAIL", "INCONCLUSIVE", "DISCARD", "ERROR"};
    for (size_t i = 0; o != NULL && i < 5; i++)
        if (strcmp(o, ok[i]) == 0)
            return 1;
    return 0;
}

/* Parses "0x..." (or decimal) into *v. */
static int parse_seed(const char *s, uint64_t *v)
{
    if (s == NULL || s[0] == '\0')
        return 0;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 0);
    if (errno != 0 || *end != '\0' || s[0] == '-')
        return 0;
    *v = (uint64_t)x;
    return 1;
}

/* Inserts one verdicts row per entry of arr, the precondition named
 * prefix + id. */
static int add_verdicts(idc_store *s, sqlite3_stmt *q, int64_t tid, const json_t *arr, const char *prefix,
                        idc_err *err)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        const char *id = json_string_value(json_object_get(e, "id"));
        const char *v = json_string_value(json_object_get(e, "verdict"));
        if (id == NULL || v == NULL)
            continue;
        char name[256];
        snprintf(name, sizeof name, "%s%s", prefix, id);
        json_t *cert = json_object_get(e, "certificate");
        char *cs = NULL, hex[65];
        if (cert != NULL && !json_is_null(cert)) {
            cs = idc_store_canonical(cert);
            if (cs == NULL)
                return idc_err_set(err, IDC_ENOMEM, "out of memory");
            sha256_hex(hex, cs);
        }
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, tid);
        bind_text(q, 2, name);
        bind_text(q, 3, v);
        bind_text(q, 4, cs);
        bind_text(q, 5, cs ? hex : NULL);
        int st = step_done(s, q, "recording a verdict", err);
        free(cs);
        if (st != IDC_OK)
            return idc_err_prefix(err, st, "precondition %s: ", name);
    }
    return IDC_OK;
}

/* Inserts each {name[, kind], value} of meas with the prepared statement q
 * (?1 the owner's id, ?2 the name, then ?3 the kind when with_kind, then the
 * value: NULL unless a finite number). */
static int add_measurements(idc_store *s, sqlite3_stmt *q, int64_t id, const json_t *meas, int with_kind, idc_err *err)
{
    int st = IDC_OK;
    size_t i;
    json_t *m;
    json_array_foreach(meas, i, m)
    {
        if (st != IDC_OK)
            break;
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, id);
        bind_text(q, 2, json_string_value(json_object_get(m, "name")));
        if (with_kind)
            bind_text(q, 3, json_string_value(json_object_get(m, "kind")));
        int vi = with_kind ? 4 : 3;
        json_t *v = json_object_get(m, "value");
        if (json_is_number(v) && isfinite(json_number_value(v)))
            sqlite3_bind_double(q, vi, json_number_value(v));
        else
            sqlite3_bind_null(q, vi);
        st = step_done(s, q, "recording a measurement", err);
    }
    return st;
}

int idc_store_add_trial(idc_store *s, int64_t run_id, const idc_store_trial *t, int64_t *trial_id, idc_err *err)
{
    if (trial_id != NULL)
        *trial_id = 0;
    const json_t *rec = t->record;
    if (t->cell == NULL || t->cell[0] == '\0')
        return idc_err_set(err, IDC_EINVAL, "%s: trial: missing cell", s->path);
    if (!json_is_object(rec))
        return idc_err_set(err, IDC_EINVAL, "%s: trial %s: record: expected a JSON object", s->path, t->cell);
    const char *outcome = str_or(t->outcome, json_object_get(rec, "outcome"));
    if (!valid_outcome(outcome))
        return idc_err_set(err, IDC_EINVAL, "%s: trial %s: outcome: expected PASS, FAIL, INCONCLUSIVE, DISCARD or "
                           "ERROR, got %s", s->path, t->cell, outcome ? outcome : "none");
    const json_t *params = t->params != NULL ? t->params : json_object_get(rec, "params");
    const json_t *est = json_object_get(rec, "estimator");
    const char *estimator = t->estimator;
    if (estimator == NULL)
        estimator = json_string_value(json_object_get(est, "estimator"));
    if (estimator == NULL)
        estimator = json_string_value(json_object_get(est, "kind"));
    if (estimator == NULL)
        estimator = json_string_value(json_object_get(params, "estimator"));
    if (estimator == NULL)
        estimator = json_string_value(est);
    const char *start = t->start;
    if (start == NULL)
        start = json_string_value(json_object_get(rec, "init"));
    if (start == NULL)
        start = json_string_value(json_object_get(est, "init"));
    if (start == NULL)
        start = json_string_value(json_object_get(params, "init"));
    const char *reason = t->reason;
    if (reason == NULL)
        reason = json_string_value(json_object_get(rec, "why"));
    if (reason == NULL)
        reason = json_string_value(json_object_get(rec, "error"));
    const char *replay = str_or(t->replay, json_object_get(rec, "replay"));
    double seconds = t->seconds;
    int has_seconds = seconds >= 0;
    if (!has_seconds && json_is_number(json_object_get(rec, "wall_seconds"))) {
        seconds = json_number_value(json_object_get(rec, "wall_seconds"));
        has_seconds = 1;
    }
    int64_t index = t->trial_index;
    if (index < 0 && json_is_integer(json_object_get(rec, "trial")))
        index = json_integer_value(json_object_get(rec, "trial"));
    uint64_t seed = 0, run_seed = 0;
    int has_seed = 0, has_run_seed = 0;
    if (t->has_seeds) {
        seed = t->seed;
        run_seed = t->run_seed;
        has_seed = has_run_seed = 1;
    } else {
        has_seed = parse_seed(json_string_value(json_object_get(rec, "seed")), &seed);
        has_run_seed = parse_seed(json_string_value(json_object_get(rec, "run_seed")), &run_seed);
    }
    char seeds[24] = "", run_seeds[24] = "";
    snprintf(seeds, sizeof seeds, "%" PRIu64, seed);
    snprintf(run_seeds, sizeof run_seeds, "%" PRIu64, run_seed);
    const json_t *inst = json_object_get(rec, "instance");
    const char *hash = json_string_value(json_object_get(rec, "model_hash"));
    if (!json_is_object(inst) || hash == NULL)
        hash = NULL;

    char *recs = idc_store_canonical(rec);
    char *pars = params != NULL ? idc_store_canonical(params) : NULL;
    char *insts = hash != NULL ? idc_store_canonical(inst) : NULL;
    json_t *meas = NULL;
    /* the first IDC_STORE_SAMPLE_N samples of the instance at the trial
     * seed (an instance this idcheck cannot read or sample: none) */
    char shex[65] = "";
    if (hash != NULL && has_seed) {
        idc_err se;
        if (idc_store_samples_hash(shex, inst, seed, IDC_STORE_SAMPLE_N, &se) != IDC_OK)
            shex[0] = '\0';
    }
    int st = IDC_OK;
    if (recs == NULL || (params != NULL && pars == NULL) || (hash != NULL && insts == NULL))
        st = idc_err_set(err, IDC_ENOMEM, "out of memory");
    if (st == IDC_OK)
        st = idc_store_measurements(&meas, rec, err);

    sqlite3_stmt *q = NULL;
    pthread_mutex_lock(&s->lock);
    int in_tx = 0;
    if (st == IDC_OK) {
        st = exec(s, "BEGIN IMMEDIATE", "starting a trial's transaction", err);
        in_tx = st == IDC_OK;
    }
    if (st == IDC_OK) { /* the run must exist */
        long long n = 0;
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE run_id = %" PRId64, run_id);
        st = query_int(s, sql, &n, err);
        if (st == IDC_OK && n != 1)
            st = idc_err_set(err, IDC_EINVAL, "%s: trial %s: no run %" PRId64, s->path, t->cell, run_id);
    }
    if (st == IDC_OK) {
        long long n = 0;
        sqlite3_stmt *c = NULL;
        st = prep(s, &c, "SELECT count(*) FROM trials WHERE run_id = ?1 AND cell = ?2", err);
        if (st == IDC_OK) {
            sqlite3_bind_int64(c, 1, run_id);
            bind_text(c, 2, t->cell);
            if (sqlite3_step(c) == SQLITE_ROW)
                n = sqlite3_column_int64(c, 0);
        }
        sqlite3_finalize(c);
        if (st == IDC_OK && n > 0)
            st = idc_err_set(err, IDC_EINVAL, "%s: cell %.200s already recorded in run %" PRId64, s->path, t->cell,
                             run_id);
    }
    if (st == IDC_OK && hash != NULL) {
        st = prep(s, &q, "INSERT OR IGNORE INTO instances(hash, json) VALUES (?1, ?2)", err);
        if (st == IDC_OK) {
            bind_text(q, 1, hash);
            bind_text(q, 2, insts);
            st = step_done(s, q, "recording the instance", err);
        }
        sqlite3_finalize(q);
        q = NULL;
    }
    int64_t tid = 0;
    if (st == IDC_OK) {
        st = prep(s, &q,
                  "INSERT INTO trials(run_id, cell, property, trial_index, seed, run_seed, params, estimator, start, "
                  "instance_hash, outcome, reason, replay, seconds, record) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                  err);
        if (st == IDC_OK) {
            sqlite3_bind_int64(q, 1, run_id);
            bind_text(q, 2, t->cell);
            bind_text(q, 3, t->property);
            if (index >= 0)
                sqlite3_bind_int64(q, 4, index);
            bind_text(q, 5, has_seed ? seeds : NULL);
            bind_text(q, 6, has_run_seed ? run_seeds : NULL);
            bind_text(q, 7, pars);
            bind_text(q, 8, estimator);
            bind_text(q, 9, start);
            bind_text(q, 10, hash);
            bind_text(q, 11, outcome);
            bind_text(q, 12, reason);
            bind_text(q, 13, replay);
            if (has_seconds)
                sqlite3_bind_double(q, 14, seconds);
            bind_text(q, 15, recs);
            st = step_done(s, q, "recording the trial", err);
            tid = sqlite3_last_insert_rowid(s->db);
        }
        sqlite3_finalize(q);
        q = NULL;
    }
    if (st == IDC_OK) {
        st = prep(s, &q,
                  "INSERT INTO verdicts(trial_id, precondition, verdict, certificate, cert_hash) "
                  "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(trial_id, precondition) DO NOTHING",
                  err);
        if (st == IDC_OK)
            st = add_verdicts(s, q, tid, json_object_get(rec, "preconditions"), "", err);
        if (st == IDC_OK)
            st = add_verdicts(s, q, tid, json_object_get(rec, "fitted_model_class"), "fitted:", err);
        sqlite3_finalize(q);
        q = NULL;
    }
    if (st == IDC_OK && shex[0]) {
        st = prep(s, &q, "INSERT INTO samples(trial_id, n, seed, sha256) VALUES (?1, ?2, ?3, ?4)", err);
        if (st == IDC_OK) {
            sqlite3_bind_int64(q, 1, tid);
            sqlite3_bind_int64(q, 2, IDC_STORE_SAMPLE_N);
            bind_text(q, 3, seeds);
            bind_text(q, 4, shex);
            st = step_done(s, q, "recording the samples' hash", err);
        }
        sqlite3_finalize(q);
        q = NULL;
    }
    if (st == IDC_OK) {
        st = prep(s, &q, "INSERT INTO measurements(trial_id, name, kind, value) VALUES (?1, ?2, ?3, ?4)", err);
        if (st == IDC_OK)
            st = add_measurements(s, q, tid, meas, 1, err);
        sqlite3_finalize(q);
        q = NULL;
    }
    if (st == IDC_OK)
        st = exec(s, "COMMIT", "committing the trial", err);
    if (st != IDC_OK && in_tx)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_unlock(&s->lock);
    if (st == IDC_OK && trial_id != NULL)
        *trial_id = tid;
    json_decref(meas);
    free(recs);
    free(pars);
    free(insts);
    return st;
}

int idc_store_cell_done(idc_store *s, int64_t run_id, const char *cell, int *done, idc_err *err)
{
    *done = 0;
    sqlite3_stmt *q = NULL;
    pthread_mutex_lock(&s->lock);
    int st = prep(s, &q, "SELECT 1 FROM trials WHERE run_id = ?1 AND cell = ?2", err);
    if (st == IDC_OK) {
        sqlite3_bind_int64(q, 1, run_id);
        bind_text(q, 2, cell);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW)
            *done = 1;
        else if (rc != SQLITE_DONE)
            st = db_err(s, err, rc, "looking up a cell");
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&s->lock);
    return st;
}

int idc_store_run_cells(idc_store *s, int64_t run_id, json_t **cells, idc_err *err)
{
    json_t *args = json_pack("[I]", (json_int_t)run_id), *rows = NULL;
    int st = idc_store_query(s, &rows, "SELECT cell FROM trials WHERE run_id = ?1 ORDER BY trial_id", args, err);
    json_decref(args);
    *cells = NULL;
    if (st != IDC_OK)
        return st;
    *cells = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_array_append(*cells, json_object_get(r, "cell"));
    }
    json_decref(rows);
    return *cells != NULL ? IDC_OK : idc_err_set(err, IDC_ENOMEM, "out of memory");
}

/* ---- reading ------------------------------------------------------------------- */

int idc_store_query(idc_store *s, json_t **rows, const char *sql, const json_t *args, idc_err *err)
{
    *rows = NULL;
    sqlite3_stmt *q = NULL;
    pthread_mutex_lock(&s->lock);
    const char *tail = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &q, &tail);
    int st = IDC_OK;
    if (rc != SQLITE_OK || q == NULL) {
        st = idc_err_set(err, IDC_EINVAL, "%s: query: %s", s->path, rc != SQLITE_OK ? sqlite3_errmsg(s->db) : "empty");
        goto out;
    }
    while (tail != NULL && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';'))
        tail++;
    if (tail != NULL && *tail != '\0') {
        st = idc_err_set(err, IDC_EINVAL, "%s: query: one statement only", s->path);
        goto out;
    }
    if (!sqlite3_stmt_readonly(q)) {
        st = idc_err_set(err, IDC_EINVAL, "%s: query: only read-only statements", s->path);
        goto out;
    }
    size_t i;
    json_t *a;
    json_array_foreach(args, i, a)
    {
        int k = (int)i + 1;
        if (json_is_string(a))
            sqlite3_bind_text(q, k, json_string_value(a), -1, SQLITE_TRANSIENT);
        else if (json_is_integer(a))
            sqlite3_bind_int64(q, k, json_integer_value(a));
        else if (json_is_real(a))
            sqlite3_bind_double(q, k, json_real_value(a));
        else
            sqlite3_bind_null(q, k);
    }
    json_t *out = json_array();
    while (out != NULL && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        json_t *row = json_object();
        int nc = sqlite3_column_count(q);
        for (int c = 0; row != NULL && c < nc; c++) {
            json_t *v;
            switch (sqlite3_column_type(q, c)) {
            case SQLITE_INTEGER: v = json_integer(sqlite3_column_int64(q, c)); break;
            case SQLITE_FLOAT: v = json_real(sqlite3_column_double(q, c)); break;
            case SQLITE_TEXT: v = json_stringn((const char *)sqlite3_column_text(q, c), (size_t)sqlite3_column_bytes(q, c)); break;
            case SQLITE_NULL: v = json_null(); break;
            default:
                json_decref(row);
                row = NULL;
                st = idc_err_set(err, IDC_EINVAL, "%s: query: column %s is a BLOB", s->path, sqlite3_column_name(q, c));
                v = NULL;
            }
            if (row != NULL && json_object_set_new(row, sqlite3_column_name(q, c), v) != 0) {
                json_decref(row);
                row = NULL;
            }
        }
        if (row == NULL || json_array_append_new(out, row) != 0) {
            if (st == IDC_OK)
                st = idc_err_set(err, IDC_ENOMEM, "out of memory");
            break;
        }
    }
    if (st == IDC_OK && out == NULL)
        st = idc_err_set(err, IDC_ENOMEM, "out of memory");
    if (st == IDC_OK && rc != SQLITE_DONE)
        st = db_err(s, err, rc, "query");
    if (st == IDC_OK)
        *rows = out;
    else
        json_decref(out);
out:
    sqlite3_finalize(q);
    pthread_mutex_unlock(&s->lock);
    return st;
}

/* ---- merging --------------------------------------------------------------------- */

/* ---- records (fit, check, repro) ---------------------------------------------- */

static int skipped_subtree(const char *k)
{
    static const char *const skip[] = {"weights", "model", "provenance", "certificate", "instance", "config"};
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (strcmp(k, skip[i]) == 0)
            return 1;
    return 0;
}

static int record_leaves(json_t *out, const json_t *obj, const char *prefix)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        if (skipped_subtree(key))
            continue;
        char name[512];
        snprintf(name, sizeof name, "%s%s", prefix, key);
        if (json_is_object(v)) {
            char p2[520];
            snprintf(p2, sizeof p2, "%s.", name);
            if (record_leaves(out, v, p2) != 0)
                return -1;
        } else if (json_is_number(v) || json_is_boolean(v)) {
            if (add_measure(out, name, "metric", v) != 0)
                return -1;
        }
    }
    return 0;
}

int idc_store_record_measurements(json_t **out, const json_t *record, idc_err *err)
{
    *out = json_array();
    if (*out == NULL || (json_is_object(record) && record_leaves(*out, record, "") != 0)) {
        json_decref(*out);
        *out = NULL;
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    return IDC_OK;
}

static int valid_kind(const char *k)
{
    return k != NULL && (strcmp(k, "fit") == 0 || strcmp(k, "check") == 0 || strcmp(k, "repro") == 0);
}

int idc_store_add_record(idc_store *s, int64_t run_id, const idc_store_record *r, int64_t *record_id, idc_err *err)
{
    if (record_id != NULL)
        *record_id = 0;
    if (!valid_kind(r->kind))
        return idc_err_set(err, IDC_EINVAL, "%s: record: kind: expected fit, check or repro, got %s", s->path,
                           r->kind ? r->kind : "none");
    if (r->cell == NULL || r->cell[0] == '\0')
        return idc_err_set(err, IDC_EINVAL, "%s: record: missing cell", s->path);
    if (!json_is_object(r->record) || !json_is_object(r->config))
        return idc_err_set(err, IDC_EINVAL, "%s: record %s: record and config: expected JSON objects", s->path,
                           r->cell);
    char hash[65] = "";
    char *insts = NULL;
    if (r->instance != NULL) {
        insts = idc_store_canonical(r->instance);
        if (insts == NULL)
            return idc_err_set(err, IDC_ENOMEM, "out of memory");
        idc_instance inst;
        int st = idc_instance_read_string(&inst, insts, err);
        if (st == IDC_OK) {
            st = idc_instance_hash(hash, &inst, err);
            idc_instance_clear(&inst);
        }
        if (st != IDC_OK) {
            free(insts);
            return idc_err_prefix(err, st, "%s: record %s: instance: ", s->path, r->cell);
        }
    }
    char *recs = idc_store_canonical(r->record), *confs = idc_store_canonical(r->config);
    json_t *meas = NULL;
    int st = recs == NULL || confs == NULL ? idc_err_set(err, IDC_ENOMEM, "out of memory") : IDC_OK;
    if (st == IDC_OK)
        st = idc_store_record_measurements(&meas, r->record, err);
    sqlite3_stmt *q = NULL;
    pthread_mutex_lock(&s->lock);
    int in_tx = 0;
    if (st == IDC_OK) {
        st = exec(s, "BEGIN IMMEDIATE", "starting a record's transaction", err);
        in_tx = st == IDC_OK;
    }
    if (st == IDC_OK) {
        long long n = 0;
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE run_id = %" PRId64, run_id);
        st = query_int(s, sql, &n, err);
        if (st == IDC_OK && n != 1)
            st = idc_err_set(err, IDC_EINVAL, "%s: record %s: no run %" PRId64, s->path, r->cell, run_id);
    }
    if (st == IDC_OK && insts != NULL) {
        st = prep(s, &q, "INSERT OR IGNORE INTO instances(hash, json) VALUES (?1, ?2)", err);
        if (st == IDC_OK) {
            bind_text(q, 1, hash);
            bind_text(q, 2, insts);
            st = step_done(s, q, "recording the instance", err);
        }
        sqlite3_finalize(q);
        q = NULL;
    }
    int64_t rid = 0;
    if (st == IDC_OK) {
        st = prep(s, &q,
                  "INSERT INTO records(run_id, kind, cell, instance_hash, config, seconds, record) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                  err);
        if (st == IDC_OK) {
            sqlite3_bind_int64(q, 1, run_id);
            bind_text(q, 2, r->kind);
            bind_text(q, 3, r->cell);
            bind_text(q, 4, insts ? hash : NULL);
            bind_text(q, 5, confs);
            if (r->seconds >= 0)
                sqlite3_bind_double(q, 6, r->seconds);
            bind_text(q, 7, recs);
            int rc = sqlite3_step(q);
            if ((rc & 0xff) == SQLITE_CONSTRAINT)
                st = idc_err_set(err, IDC_EINVAL, "%s: record %.200s already recorded in run %" PRId64, s->path,
                                 r->cell, run_id);
            else if (rc != SQLITE_DONE)
                st = db_err(s, err, rc, "recording the record");
            rid = sqlite3_last_insert_rowid(s->db);
        }
        sqlite3_finalize(q);
        q = NULL;
    }
    if (st == IDC_OK && r->verdicts != NULL) {
        st = prep(s, &q,
                  "INSERT INTO record_verdicts(record_id, precondition, verdict, certificate, cert_hash) "
                  "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(record_id, precondition) DO NOTHING",
                  err);
        if (st == IDC_OK)
            st = add_verdicts(s, q, rid, r->verdicts, "", err);
        sqlite3_finalize(q);
        q = NULL;
    }
    if (st == IDC_OK) {
        st = prep(s, &q, "INSERT INTO record_measurements(record_id, name, value) VALUES (?1, ?2, ?3)", err);
        if (st == IDC_OK)
            st = add_measurements(s, q, rid, meas, 0, err);
        sqlite3_finalize(q);
        q = NULL;
    }
    if (st == IDC_OK)
        st = exec(s, "COMMIT", "committing the record", err);
    if (st != IDC_OK && in_tx)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_unlock(&s->lock);
    if (st == IDC_OK && record_id != NULL)
        *record_id = rid;
    json_decref(meas);
    free(recs);
    free(confs);
    free(insts);
    return st;
}

/* Copies the records of the shard's run old_run into run new_run (inside
 * the merge's transaction). */
static int merge_records(idc_store *s, int64_t old_run, int64_t new_run, idc_err *err)
{
    sqlite3_stmt *ids = NULL, *ins = NULL, *v = NULL, *m = NULL;
    int st = prep(s, &ids, "SELECT record_id FROM src.records WHERE run_id = ?1 ORDER BY record_id", err);
    if (st == IDC_OK)
        st = prep(s, &ins,
                  "INSERT INTO main.records(run_id, kind, cell, instance_hash, config, seconds, record) "
                  "SELECT ?1, kind, cell, instance_hash, config, seconds, record FROM src.records WHERE record_id = ?2",
                  err);
    if (st == IDC_OK)
        st = prep(s, &v,
                  "INSERT INTO main.record_verdicts(record_id, precondition, verdict, certificate, cert_hash) "
                  "SELECT ?1, precondition, verdict, certificate, cert_hash FROM src.record_verdicts WHERE record_id = ?2",
                  err);
    if (st == IDC_OK)
        st = prep(s, &m,
                  "INSERT INTO main.record_measurements(record_id, name, value) "
                  "SELECT ?1, name, value FROM src.record_measurements WHERE record_id = ?2",
                  err);
    int rc = SQLITE_DONE;
    if (st == IDC_OK)
        sqlite3_bind_int64(ids, 1, old_run);
    while (st == IDC_OK && (rc = sqlite3_step(ids)) == SQLITE_ROW) {
        int64_t old_r = sqlite3_column_int64(ids, 0);
        sqlite3_reset(ins);
        sqlite3_bind_int64(ins, 1, new_run);
        sqlite3_bind_int64(ins, 2, old_r);
        st = step_done(s, ins, "merging a record", err);
        int64_t new_r = sqlite3_last_insert_rowid(s->db);
        sqlite3_stmt *sub[2] = {v, m};
        for (int k = 0; k < 2 && st == IDC_OK; k++) {
            sqlite3_reset(sub[k]);
            sqlite3_bind_int64(sub[k], 1, new_r);
            sqlite3_bind_int64(sub[k], 2, old_r);
            st = step_done(s, sub[k], "merging a record's verdicts and measurements", err);
        }
    }
    if (st == IDC_OK && rc != SQLITE_DONE)
        st = db_err(s, err, rc, "reading the shard's records");
    sqlite3_finalize(ids);
    sqlite3_finalize(ins);
    sqlite3_finalize(v);
    sqlite3_finalize(m);
    return st;
}

int idc_store_merge(idc_store *s, const char *src_path, int64_t *runs_added, idc_err *err)
{
    if (runs_added != NULL)
        *runs_added = 0;
    idc_store *src = NULL;
    int st = idc_store_open(&src, src_path, IDC_STORE_READ, err);
    if (st != IDC_OK)
        return st;
    idc_store_close(src);
    pthread_mutex_lock(&s->lock);
    char *att = sqlite3_mprintf("ATTACH DATABASE %Q AS src", src_path);
    st = att ? exec(s, att, "attaching the shard", err) : idc_err_set(err, IDC_ENOMEM, "out of memory");
    sqlite3_free(att);
    if (st != IDC_OK) {
        pthread_mutex_unlock(&s->lock);
        return st;
    }
    int in_tx = 0;
    int64_t added = 0;
    sqlite3_stmt *runs = NULL, *ins_run = NULL, *trials = NULL, *ins_trial = NULL, *ins_v = NULL, *ins_m = NULL,
                 *ins_s = NULL;
    long long src_has_samples = 0;
    st = exec(s, "BEGIN IMMEDIATE", "merging", err);
    in_tx = st == IDC_OK;
    if (st == IDC_OK)
        st = exec(s, "INSERT OR IGNORE INTO main.instances(hash, json) SELECT hash, json FROM src.instances",
                  "merging instances", err);
    if (st == IDC_OK)
        st = prep(s, &runs, "SELECT run_id FROM src.runs ORDER BY run_id", err);
    if (st == IDC_OK)
        st = prep(s, &ins_run,
                  "INSERT INTO main.runs(verb, argv, started, finished, status, provenance, sweep, shard) "
                  "SELECT verb, argv, started, finished, status, provenance, sweep, shard FROM src.runs "
                  "WHERE run_id = ?1",
                  err);
    if (st == IDC_OK)
        st = prep(s, &trials, "SELECT trial_id FROM src.trials WHERE run_id = ?1 ORDER BY trial_id", err);
    if (st == IDC_OK)
        st = prep(s, &ins_trial,
                  "INSERT INTO main.trials(run_id, cell, property, trial_index, seed, run_seed, params, estimator, "
                  "start, instance_hash, outcome, reason, replay, seconds, record) "
                  "SELECT ?1, cell, property, trial_index, seed, run_seed, params, estimator, start, instance_hash, "
                  "outcome, reason, replay, seconds, record FROM src.trials WHERE trial_id = ?2",
                  err);
    if (st == IDC_OK)
        st = prep(s, &ins_v,
                  "INSERT INTO main.verdicts(trial_id, precondition, verdict, certificate, cert_hash) "
                  "SELECT ?1, precondition, verdict, certificate, cert_hash FROM src.verdicts WHERE trial_id = ?2",
                  err);
    if (st == IDC_OK)
        st = query_int(s, "SELECT count(*) FROM src.sqlite_schema WHERE name = 'samples'", &src_has_samples, err);
    long long src_has_records = 0;
    if (st == IDC_OK)
        st = query_int(s, "SELECT count(*) FROM src.sqlite_schema WHERE name = 'records'", &src_has_records, err);
    if (st == IDC_OK)
        st = prep(s, &ins_s,
                  src_has_samples ? "INSERT INTO main.samples(trial_id, n, seed, sha256) SELECT ?1, n, seed, sha256 "
                                    "FROM src.samples WHERE trial_id = ?2"
                                  : "SELECT ?1, ?2 WHERE 0",
                  err);
    if (st == IDC_OK)
        st = prep(s, &ins_m,
                  "INSERT INTO main.measurements(trial_id, name, kind, value) "
                  "SELECT ?1, name, kind, value FROM src.measurements WHERE trial_id = ?2",
                  err);
    int rc = SQLITE_DONE;
    while (st == IDC_OK && (rc = sqlite3_step(runs)) == SQLITE_ROW) {
        int64_t old_run = sqlite3_column_int64(runs, 0);
        sqlite3_reset(ins_run);
        sqlite3_bind_int64(ins_run, 1, old_run);
        st = step_done(s, ins_run, "merging a run", err);
        if (st != IDC_OK)
            break;
        int64_t new_run = sqlite3_last_insert_rowid(s->db);
        added++;
        sqlite3_reset(trials);
        sqlite3_bind_int64(trials, 1, old_run);
        while (st == IDC_OK && (rc = sqlite3_step(trials)) == SQLITE_ROW) {
            int64_t old_t = sqlite3_column_int64(trials, 0);
            sqlite3_reset(ins_trial);
            sqlite3_bind_int64(ins_trial, 1, new_run);
            sqlite3_bind_int64(ins_trial, 2, old_t);
            st = step_done(s, ins_trial, "merging a trial", err);
            int64_t new_t = sqlite3_last_insert_rowid(s->db);
            sqlite3_stmt *sub[3] = {ins_v, ins_m, ins_s};
            for (int k = 0; k < 3 && st == IDC_OK; k++) {
                sqlite3_reset(sub[k]);
                sqlite3_bind_int64(sub[k], 1, new_t);
                sqlite3_bind_int64(sub[k], 2, old_t);
                st = step_done(s, sub[k], "merging verdicts and measurements", err);
            }
        }
        if (st == IDC_OK && rc != SQLITE_DONE)
            st = db_err(s, err, rc, "reading the shard's trials");
        if (st == IDC_OK && src_has_records)
            st = merge_records(s, old_run, new_run, err);
    }
    if (st == IDC_OK && rc != SQLITE_DONE)
        st = db_err(s, err, rc, "reading the shard's runs");
    sqlite3_finalize(runs);
    sqlite3_finalize(ins_run);
    sqlite3_finalize(trials);
    sqlite3_finalize(ins_trial);
    sqlite3_finalize(ins_v);
    sqlite3_finalize(ins_m);
    sqlite3_finalize(ins_s);
    if (st == IDC_OK)
        st = exec(s, "COMMIT", "committing the merge", err);
    if (st != IDC_OK && in_tx)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_exec(s->db, "DETACH DATABASE src", NULL, NULL, NULL);
    pthread_mutex_unlock(&s->lock);
    if (st == IDC_OK && runs_added != NULL)
        *runs_added = added;
    return st;
}
