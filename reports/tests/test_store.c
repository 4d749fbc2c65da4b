/* Tests of reports/store.h: the results store (schema, trials with their
 * instance, verdicts and measurements, refusal of foreign, corrupted,
 * newer-schema, read-only and full stores without modifying them, crash
 * safety under SIGKILL, threads, queries, merging). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "models/instance.h"
#include "models/sample.h"
#include "numeric/tests/testutil.h"
#include "generators/registry.h"
#include "properties/prop.h"
#include "reports/provenance.h"
#include "reports/store.h"

static char dir[256];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/idc-store-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "chmod -R u+w %s; rm -rf %s", dir, dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

static void path_in(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
}

/* The whole content of a file (malloc'ed), *n its size. */
static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)len + 1);
    ck_assert_uint_eq(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

/* A record shaped like a property trial's: instance, model hash,
 * preconditions with certificates, estimator conditions, metrics. */
static json_t *sample_record(int trial, double r2, const char *outcome)
{
    char seed[24];
    snprintf(seed, sizeof seed, "0x%016x", 0x1000 + trial);
    return json_pack("{s:i,s:s,s:s,s:f,s:{s:i,s:{s:i},s:{s:s}},s:s,"
                     "s:[{s:s,s:s,s:s,s:{s:s,s:i}},{s:s,s:s,s:s,s:n}],"
                     "s:{s:s,s:s,s:{s:f,s:f,s:{s:f,s:b}},s:{s:f,s:f,s:[f,f]},s:f},"
                     "s:{s:s,s:f},s:s}",
                     "trial", trial, "seed", seed, "outcome", outcome, "wall_seconds", 0.25, "instance", "idcheck_format",
                     1, "model", "dim", 2, "map", "type", "mlp", "model_hash",
                     "aaaabbbbccccddddaaaabbbbccccddddaaaabbbbccccddddaaaabbbbccccdddd", "preconditions", "id", "P1nd",
                     "verdict", "HOLDS", "reason", "exact", "certificate", "precondition", "P1nd", "prime", 7, "id",
                     "F2", "verdict", "UNKNOWN", "reason", "budget", "certificate", "estimator", "estimator", "flow",
                     "init", "random", "estimator_conditions", "kl_gap", 0.5, "kl_gap_upper", 0.75, "gauss", "p_value",
                     0.3, "met", 1, "metrics", "r2_out", r2, "mcc_out", 0.875, "r2_coord_out", 0.5, 0.5, "dist_aff",
                     0.125, "assertion", "statement", "r2 >= 0.99", "value", r2, "why", "a reason");
}

static idc_store *open_new(const char *name, char *path, size_t cap)
{
    path_in(path, cap, name);
    idc_store *s = NULL;
    idc_err err;
    int rc = idc_store_open(&s, path, IDC_STORE_WRITE, &err);
    ck_assert_msg(rc == IDC_OK, "open %s: %s", path, err.msg);
    return s;
}

static json_t *query(idc_store *s, const char *sql)
{
    json_t *rows = NULL;
    idc_err err;
    int rc = idc_store_query(s, &rows, sql, NULL, &err);
    ck_assert_msg(rc == IDC_OK, "%s: %s", sql, err.msg);
    return rows;
}

static long long count(idc_store *s, const char *sql)
{
    json_t *rows = query(s, sql);
    json_t *v = json_object_get(json_array_get(rows, 0), "n");
    ck_assert(json_is_integer(v));
    long long n = json_integer_value(v);
    json_decref(rows);
    return n;
}

static int64_t add(idc_store *s, int64_t run, const char *cell, json_t *rec)
{
    idc_store_trial t = {.cell = cell, .property = "K3.9c", .trial_index = -1, .seconds = -1, .record = rec};
    int64_t tid = 0;
    idc_err err;
    int rc = idc_store_add_trial(s, run, &t, &tid, &err);
    ck_assert_msg(rc == IDC_OK, "add %s: %s", cell, err.msg);
    return tid;
}

START_TEST(test_schema)
{
    char p[300];
    idc_store *s = open_new("a.sqlite", p, sizeof p);
    ck_assert_str_eq(idc_store_path(s), p);
    ck_assert_int_eq(idc_store_application_id(), IDC_STORE_APPLICATION_ID);
    ck_assert_int_eq(idc_store_schema_version(), 2);
    idc_store_close(s);
    /* what the sqlite3 shell sees */
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    const char *checks[][2] = {{"PRAGMA application_id", "1229210475"},
                               {"PRAGMA user_version", "2"},
                               {"PRAGMA journal_mode", "wal"},
                               {"SELECT value FROM meta WHERE key = 'format'", "idcheck-results"},
                               {"SELECT value FROM meta WHERE key = 'schema_version'", "2"},
                               {"SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema WHERE type = "
                                "'table' ORDER BY name)",
                                "instances,measurements,meta,record_measurements,record_verdicts,records,runs,samples,"
                                "trials,verdicts"}};
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        ck_assert_int_eq(sqlite3_prepare_v2(db, checks[i][0], -1, &q, NULL), SQLITE_OK);
        ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
        ck_assert_str_eq((const char *)sqlite3_column_text(q, 0), checks[i][1]);
        sqlite3_finalize(q);
    }
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'created_by'", -1, &q, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    ck_assert_ptr_nonnull(strstr((const char *)sqlite3_column_text(q, 0), idc_version()));
    sqlite3_finalize(q);
    sqlite3_close(db);
    /* reopened: read and write */
    idc_err err;
    ck_assert_int_eq(idc_store_open(&s, p, IDC_STORE_READ, &err), IDC_OK);
    idc_store_close(s);
    ck_assert_int_eq(idc_store_open(&s, p, IDC_STORE_WRITE, &err), IDC_OK);
    idc_store_close(s);
    idc_store_close(NULL);
}
END_TEST

START_TEST(test_trial_rows)
{
    char p[300];
    idc_store *s = open_new("t.sqlite", p, sizeof p);
    idc_err err;
    int64_t run = 0;
    char *argv[] = {"idcheck", "prop", "K3.9c", "--trials", "2"};
    json_t *sweep = json_pack("{s:[i,i],s:s}", "seeds", 2, 1, "b", "x");
    ck_assert_int_eq(idc_store_run_begin(s, &run, "prop", 5, argv, NULL, sweep, "1/2", &err), IDC_OK);
    ck_assert(run > 0);
    json_t *r0 = sample_record(0, 0.9921875, "PASS"), *r1 = sample_record(1, 0.5, "FAIL");
    int64_t t0 = add(s, run, "K3.9c#0", r0);
    /* explicit fields win over the record's */
    idc_store_trial t = {.cell = "K3.9c#1", .property = "K3.9c", .trial_index = 7, .has_seeds = 1,
                         .seed = UINT64_MAX, .run_seed = 5, .params = json_object(), .estimator = "vade",
                         .start = "warm", .outcome = "ERROR", .reason = "mine", .replay = "idcheck prop X",
                         .seconds = 2.5, .record = r1};
    int64_t t1 = 0;
    ck_assert_int_eq(idc_store_add_trial(s, run, &t, &t1, &err), IDC_OK);
    json_decref((json_t *)t.params);
    ck_assert(t1 > t0);
    json_t *rows = query(s, "SELECT * FROM trials ORDER BY trial_id");
    ck_assert_uint_eq(json_array_size(rows), 2);
    json_t *a = json_array_get(rows, 0), *b = json_array_get(rows, 1);
    ck_assert_str_eq(json_string_value(json_object_get(a, "cell")), "K3.9c#0");
    ck_assert_int_eq(json_integer_value(json_object_get(a, "trial_index")), 0);
    ck_assert_str_eq(json_string_value(json_object_get(a, "seed")), "4096"); /* 0x1000 in decimal */
    ck_assert(json_is_null(json_object_get(a, "run_seed")));
    ck_assert_str_eq(json_string_value(json_object_get(a, "estimator")), "flow");
    ck_assert_str_eq(json_string_value(json_object_get(a, "start")), "random");
    ck_assert_str_eq(json_string_value(json_object_get(a, "outcome")), "PASS");
    ck_assert_str_eq(json_string_value(json_object_get(a, "reason")), "a reason");
    ck_assert_double_eq(json_real_value(json_object_get(a, "seconds")), 0.25);
    ck_assert_str_eq(json_string_value(json_object_get(a, "instance_hash")),
                     json_string_value(json_object_get(r0, "model_hash")));
    /* the record reads back equal, stored canonical */
    json_t *back = json_loads(json_string_value(json_object_get(a, "record")), 0, NULL);
    ck_assert(json_equal(back, r0));
    char *canon = idc_store_canonical(r0);
    ck_assert_str_eq(json_string_value(json_object_get(a, "record")), canon);
    free(canon);
    json_decref(back);
    ck_assert_str_eq(json_string_value(json_object_get(b, "seed")), "18446744073709551615");
    ck_assert_str_eq(json_string_value(json_object_get(b, "run_seed")), "5");
    ck_assert_int_eq(json_integer_value(json_object_get(b, "trial_index")), 7);
    ck_assert_str_eq(json_string_value(json_object_get(b, "estimator")), "vade");
    ck_assert_str_eq(json_string_value(json_object_get(b, "start")), "warm");
    ck_assert_str_eq(json_string_value(json_object_get(b, "outcome")), "ERROR");
    ck_assert_str_eq(json_string_value(json_object_get(b, "reason")), "mine");
    ck_assert_str_eq(json_string_value(json_object_get(b, "replay")), "idcheck prop X");
    ck_assert_str_eq(json_string_value(json_object_get(b, "params")), "{}");
    json_decref(rows);
    /* one instance for both (same hash) */
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM instances"), 1);
    /* verdicts with certificate hashes; UNKNOWN without a certificate */
    rows = query(s, "SELECT * FROM verdicts WHERE trial_id = 1 ORDER BY precondition");
    ck_assert_uint_eq(json_array_size(rows), 2);
    json_t *f2 = json_array_get(rows, 0), *p1 = json_array_get(rows, 1);
    ck_assert_str_eq(json_string_value(json_object_get(f2, "precondition")), "F2");
    ck_assert(json_is_null(json_object_get(f2, "certificate")));
    ck_assert(json_is_null(json_object_get(f2, "cert_hash")));
    ck_assert_str_eq(json_string_value(json_object_get(p1, "verdict")), "HOLDS");
    char hex[65];
    json_t *cert = json_object_get(json_array_get(json_object_get(r0, "preconditions"), 0), "certificate");
    ck_assert_int_eq(idc_store_json_hash(hex, cert), IDC_OK);
    ck_assert_str_eq(json_string_value(json_object_get(p1, "cert_hash")), hex);
    ck_assert_str_eq(json_string_value(json_object_get(p1, "certificate")), "{\"precondition\":\"P1nd\",\"prime\":7}");
    json_decref(rows);
    /* measurements: conditions and metrics, arrays skipped */
    rows = query(s, "SELECT name, kind, value FROM measurements WHERE trial_id = 1 ORDER BY name");
    const char *names[] = {"assertion", "dist_aff", "gauss.met", "gauss.p_value", "kl_gap", "kl_gap_upper",
                           "mcc_out", "r2_out"};
    const char *kinds[] = {"metric", "metric", "condition", "condition", "condition", "condition", "metric", "metric"};
    const double vals[] = {0.9921875, 0.125, 1, 0.3, 0.5, 0.75, 0.875, 0.9921875};
    ck_assert_uint_eq(json_array_size(rows), 8);
    for (size_t i = 0; i < 8; i++) {
        json_t *m = json_array_get(rows, i);
        ck_assert_str_eq(json_string_value(json_object_get(m, "name")), names[i]);
        ck_assert_str_eq(json_string_value(json_object_get(m, "kind")), kinds[i]);
        ck_assert_double_eq(json_number_value(json_object_get(m, "value")), vals[i]);
    }
    json_decref(rows);
    /* the run */
    rows = query(s, "SELECT * FROM runs");
    json_t *r = json_array_get(rows, 0);
    ck_assert_str_eq(json_string_value(json_object_get(r, "argv")), "[\"idcheck\",\"prop\",\"K3.9c\",\"--trials\",\"2\"]");
    ck_assert_str_eq(json_string_value(json_object_get(r, "sweep")), "{\"b\":\"x\",\"seeds\":[2,1]}");
    ck_assert_str_eq(json_string_value(json_object_get(r, "shard")), "1/2");
    ck_assert_uint_eq(strlen(json_string_value(json_object_get(r, "started"))), 20);
    ck_assert(json_is_null(json_object_get(r, "finished")));
    json_t *prov = json_loads(json_string_value(json_object_get(r, "provenance")), 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(prov, "idcheck")), idc_version());
    json_decref(prov);
    json_decref(rows);
    /* resuming: the unfinished run is found by its sweep and shard */
    int64_t found = -1;
    json_t *sweep2 = json_pack("{s:s,s:[i,i]}", "b", "x", "seeds", 2, 1); /* other key order, same JSON */
    ck_assert_int_eq(idc_store_find_unfinished(s, &found, "prop", sweep2, "1/2", &err), IDC_OK);
    ck_assert_int_eq(found, run);
    ck_assert_int_eq(idc_store_find_unfinished(s, &found, "prop", sweep2, NULL, &err), IDC_OK);
    ck_assert_int_eq(found, 0);
    int done = -1;
    ck_assert_int_eq(idc_store_cell_done(s, run, "K3.9c#1", &done, &err), IDC_OK);
    ck_assert_int_eq(done, 1);
    ck_assert_int_eq(idc_store_cell_done(s, run, "K3.9c#2", &done, &err), IDC_OK);
    ck_assert_int_eq(done, 0);
    json_t *cells = NULL;
    ck_assert_int_eq(idc_store_run_cells(s, run, &cells, &err), IDC_OK);
    ck_assert_uint_eq(json_array_size(cells), 2);
    ck_assert_str_eq(json_string_value(json_array_get(cells, 1)), "K3.9c#1");
    json_decref(cells);
    ck_assert_int_eq(idc_store_run_set_status(s, run, "error", &err), IDC_OK); /* still resumable */
    ck_assert_int_eq(idc_store_find_unfinished(s, &found, "prop", sweep2, "1/2", &err), IDC_OK);
    ck_assert_int_eq(found, run);
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM runs WHERE status = 'error' AND finished IS NULL"), 1);
    ck_assert_int_eq(idc_store_run_set_status(s, 999, "x", &err), IDC_EINVAL);
    ck_assert_int_eq(idc_store_run_finish(s, run, "ok", &err), IDC_OK);
    ck_assert_int_eq(idc_store_find_unfinished(s, &found, "prop", sweep2, "1/2", &err), IDC_OK);
    ck_assert_int_eq(found, 0);
    ck_assert_int_eq(idc_store_run_finish(s, 999, "ok", &err), IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "no run 999"));
    json_decref(sweep);
    json_decref(sweep2);
    json_decref(r0);
    json_decref(r1);
    idc_store_close(s);
}
END_TEST

/* Bad trials are refused with one line naming the field; nothing of them is
 * stored. */
START_TEST(test_trial_errors)
{
    char p[300];
    idc_store *s = open_new("e.sqlite", p, sizeof p);
    idc_err err;
    int64_t run = 0;
    ck_assert_int_eq(idc_store_run_begin(s, &run, "prop", 0, NULL, NULL, NULL, NULL, &err), IDC_OK);
    ck_assert_int_eq(idc_store_run_begin(s, &run, "", 0, NULL, NULL, NULL, NULL, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_store_run_begin(s, &run, "prop", 0, NULL, NULL, NULL, NULL, &err), IDC_OK);
    json_t *rec = sample_record(0, 0.5, "PASS");
    add(s, run, "c0", rec);
    idc_store_trial t = {.cell = "c0", .trial_index = -1, .seconds = -1, .record = rec};
    ck_assert_int_eq(idc_store_add_trial(s, run, &t, NULL, &err), IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "already recorded"));
    t.cell = "c1";
    ck_assert_int_eq(idc_store_add_trial(s, run + 5, &t, NULL, &err), IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "no run"));
    t.outcome = "MAYBE";
    ck_assert_int_eq(idc_store_add_trial(s, run, &t, NULL, &err), IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "outcome"));
    t.outcome = NULL;
    t.cell = NULL;
    ck_assert_int_eq(idc_store_add_trial(s, run, &t, NULL, &err), IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "cell"));
    t.cell = "c2";
    t.record = NULL;
    ck_assert_int_eq(idc_store_add_trial(s, run, &t, NULL, &err), IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "record"));
    /* a verdict outside HOLDS/FAILS/UNKNOWN: the CHECK constraint refuses it
     * and the whole trial (row, measurements) is rolled back */
    json_t *bad = sample_record(2, 0.5, "PASS");
    json_object_set_new(json_array_get(json_object_get(bad, "preconditions"), 1), "verdict", json_string("YES"));
    t.record = bad;
    ck_assert_int_ne(idc_store_add_trial(s, run, &t, NULL, &err), IDC_OK);
    ck_assert_ptr_nonnull(strstr(err.msg, "F2"));
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM trials"), 1);
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM measurements"), 8);
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM verdicts"), 2);
    json_decref(bad);
    json_decref(rec);
    idc_store_close(s);
}
END_TEST

/* Opening a file that is not a store of this idcheck: one line naming the
 * file, and the file is byte for byte what it was. */
static void refused(const char *path, idc_store_mode mode, int want, const char *needle)
{
    size_t n0 = 0, n1 = 0;
    char *before = slurp(path, &n0);
    idc_store *s = NULL;
    idc_err err;
    int rc = idc_store_open(&s, path, mode, &err);
    ck_assert_msg(rc == want, "%s: status %d, want %d (%s)", path, rc, want, err.msg);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err.msg, path) != NULL && strstr(err.msg, needle) != NULL && strchr(err.msg, '\n') == NULL,
                  "message \"%s\" lacks \"%s\"", err.msg, needle);
    char *after = slurp(path, &n1);
    ck_assert_uint_eq(n0, n1);
    ck_assert(memcmp(before, after, n0) == 0);
    free(before);
    free(after);
}

START_TEST(test_refused)
{
    char p[300];
    /* not a database at all */
    path_in(p, sizeof p, "text.sqlite");
    FILE *f = fopen(p, "w");
    for (int i = 0; i < 200; i++)
        fprintf(f, "this is not a database, line %d\n", i);
    fclose(f);
    refused(p, IDC_STORE_WRITE, IDC_EINVAL, "not an SQLite database");
    refused(p, IDC_STORE_READ, IDC_EINVAL, "not an SQLite database");
    /* a foreign SQLite database */
    path_in(p, sizeof p, "foreign.sqlite");
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(p, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    refused(p, IDC_STORE_WRITE, IDC_EINVAL, "not an idcheck results store");
    /* an idcheck store of a newer schema */
    char q[300];
    idc_store *s = open_new("newer.sqlite", q, sizeof q);
    idc_store_close(s);
    ck_assert_int_eq(sqlite3_open(q, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 3", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    refused(q, IDC_STORE_WRITE, IDC_EINVAL, "schema version 3 is newer");
    refused(q, IDC_STORE_READ, IDC_EINVAL, "schema version 3 is newer");
    /* an empty file cannot be read */
    path_in(p, sizeof p, "empty.sqlite");
    f = fopen(p, "w");
    fclose(f);
    refused(p, IDC_STORE_READ, IDC_EINVAL, "empty file");
    /* missing */
    path_in(p, sizeof p, "missing.sqlite");
    idc_err err;
    ck_assert_int_eq(idc_store_open(&s, p, IDC_STORE_READ, &err), IDC_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "no such"));
    ck_assert_int_eq(access(p, F_OK), -1);
    /* a directory */
    ck_assert_int_eq(idc_store_open(&s, dir, IDC_STORE_WRITE, &err), IDC_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "directory"));
}
END_TEST

/* A store whose pages were overwritten: refused as corrupted, unchanged. */
START_TEST(test_corrupted)
{
    char p[300];
    idc_store *s = open_new("c.sqlite", p, sizeof p);
    idc_err err;
    int64_t run = 0;
    ck_assert_int_eq(idc_store_run_begin(s, &run, "prop", 0, NULL, NULL, NULL, NULL, &err), IDC_OK);
    for (int i = 0; i < 40; i++) {
        char cell[32];
        snprintf(cell, sizeof cell, "c%d", i);
        json_t *rec = sample_record(i, 0.5, "PASS");
        add(s, run, cell, rec);
        json_decref(rec);
    }
    idc_store_close(s); /* checkpoints the WAL into the file */
    size_t n = 0;
    char *b = slurp(p, &n);
    ck_assert(n >= 8 * 4096);
    free(b);
    /* garbage over pages 3..6 (b-tree pages of the tables) */
    int fd = open(p, O_WRONLY);
    ck_assert_int_ge(fd, 0);
    char junk[4 * 4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)(0xA5 ^ (i * 31));
    ck_assert_int_eq(pwrite(fd, junk, sizeof junk, 2 * 4096), (ssize_t)sizeof junk);
    close(fd);
    refused(p, IDC_STORE_WRITE, IDC_EINVAL, "corrupted");
    refused(p, IDC_STORE_READ, IDC_EINVAL, "corrupted");
}
END_TEST

/* A file with no write permission, a read-only directory: refused for
 * writing (even for root), readable. */
START_TEST(test_read_only)
{
    char p[300];
    idc_store *s = open_new("ro.sqlite", p, sizeof p);
    idc_err err;
    int64_t run = 0;
    ck_assert_int_eq(idc_store_run_begin(s, &run, "prop", 0, NULL, NULL, NULL, NULL, &err), IDC_OK);
    idc_store_close(s);
    ck_assert_int_eq(chmod(p, 0444), 0);
    refused(p, IDC_STORE_WRITE, IDC_EIO, "read-only");
    ck_assert_int_eq(idc_store_open(&s, p, IDC_STORE_READ, &err), IDC_OK);
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM runs"), 1);
    idc_store_close(s);
    ck_assert_int_eq(chmod(p, 0644), 0);
    ck_assert_int_eq(chmod(dir, 0555), 0);
    char q[300];
    path_in(q, sizeof q, "new.sqlite");
    ck_assert_int_eq(idc_store_open(&s, q, IDC_STORE_WRITE, &err), IDC_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "read-only directory"));
    ck_assert_int_eq(access(q, F_OK), -1);
    ck_assert_int_eq(chmod(dir, 0755), 0);
}
END_TEST

/* In a directory the reader may not write (an auditor's read-only copy),
 * where SQLite cannot create the WAL's side files: read as immutable when
 * no WAL is pending, refused in one line when one is. Run in a child as
 * nobody when the test runs as root (root may write anywhere). */
static int read_as_reader(const char *p, int want, const char *needle)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(10);
        idc_store *s = NULL;
        idc_err err;
        int rc = idc_store_open(&s, p, IDC_STORE_READ, &err);
        if (rc != want) {
            fprintf(stderr, "status %d: %s\n", rc, err.msg);
            _exit(11);
        }
        if (rc == IDC_OK) {
            json_t *rows = NULL;
            if (idc_store_query(s, &rows, "SELECT count(*) AS n FROM runs", NULL, &err) != IDC_OK ||
                json_integer_value(json_object_get(json_array_get(rows, 0), "n")) != 1)
                _exit(12);
            json_decref(rows);
            idc_store_close(s);
            /* writing is refused, in one line */
            if (idc_store_open(&s, p, IDC_STORE_WRITE, &err) != IDC_EIO || strstr(err.msg, "read-only") == NULL)
                _exit(13);
        } else if (strstr(err.msg, needle) == NULL || strstr(err.msg, p) == NULL) {
            fprintf(stderr, "message: %s\n", err.msg);
            _exit(14);
        }
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

START_TEST(test_read_only_dir)
{
    char p[300];
    idc_store *s = open_new("rod.sqlite", p, sizeof p);
    idc_err err;
    int64_t run = 0;
    ck_assert_int_eq(idc_store_run_begin(s, &run, "prop", 0, NULL, NULL, NULL, NULL, &err), IDC_OK);
    idc_store_close(s);
    char wal[320];
    snprintf(wal, sizeof wal, "%s-wal", p);
    ck_assert_int_eq(access(wal, F_OK), -1); /* the writer checkpointed and removed it */
    ck_assert_int_eq(chmod(p, 0644), 0);
    ck_assert_int_eq(chmod(dir, 0555), 0);
    ck_assert_int_eq(read_as_reader(p, IDC_OK, NULL), 0);
    ck_assert_int_eq(access(wal, F_OK), -1); /* nothing created beside it */
    /* a pending WAL cannot be read there */
    ck_assert_int_eq(chmod(dir, 0755), 0);
    FILE *f = fopen(wal, "w");
    fputs("pending frames", f);
    fclose(f);
    ck_assert_int_eq(chmod(wal, 0644), 0);
    ck_assert_int_eq(chmod(dir, 0555), 0);
    ck_assert_int_eq(read_as_reader(p, IDC_EIO, "WAL still to recover"), 0);
    ck_assert_int_eq(chmod(dir, 0755), 0);
}
END_TEST

/* A full disk (simulated by PRAGMA max_page_count): the trial that does not
 * fit fails with IDC_EIO and leaves nothing behind; the store stays usable. */
START_TEST(test_full)
{
    char p[300];
    idc_store *s = open_new("full.sqlite", p, sizeof p);
    idc_err err;
    int64_t run = 0;
    ck_assert_int_eq(idc_store_run_begin(s, &run, "prop", 0, NULL, NULL, NULL, NULL, &err), IDC_OK);
    json_t *rec = sample_record(0, 0.5, "PASS");
    add(s, run, "small", rec);
    ck_assert_int_eq(idc_store_limit_pages(s, 0, &err), IDC_OK);
    /* a record far larger than the free space of the pages there are */
    json_t *big = json_deep_copy(rec);
    char *pad = malloc(200000);
    memset(pad, 'x', 199999);
    pad[199999] = '\0';
    json_object_set_new(big, "padding", json_string(pad));
    free(pad);
    idc_store_trial t = {.cell = "big", .trial_index = -1, .seconds = -1, .record = big};
    int rc = idc_store_add_trial(s, run, &t, NULL, &err);
    ck_assert_int_eq(rc, IDC_EIO);
    ck_assert_msg(strstr(err.msg, "full") != NULL && strstr(err.msg, p) != NULL, "%s", err.msg);
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM trials"), 1);
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM measurements"), 8);
    idc_store_close(s);
    /* reopened (no page limit): intact, and the trial fits */
    ck_assert_int_eq(idc_store_open(&s, p, IDC_STORE_WRITE, &err), IDC_OK);
    ck_assert_int_eq(idc_store_add_trial(s, run, &t, NULL, &err), IDC_OK);
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM trials"), 2);
    idc_store_close(s);
    json_decref(big);
    json_decref(rec);
}
END_TEST

/* A writer killed with SIGKILL at a random moment loses no committed trial
 * and leaves no partial one. */
START_TEST(test_kill9)
{
    uint64_t seed = idc_test_seed(0x5eed5);
    IDC_TEST_PRINT_SEED("kill9", seed);
    char p[300];
    idc_store *s = open_new("k.sqlite", p, sizeof p);
    idc_store_close(s);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        idc_err err;
        int64_t run = 0;
        if (idc_store_open(&s, p, IDC_STORE_WRITE, &err) != IDC_OK ||
            idc_store_run_begin(s, &run, "prop", 0, NULL, NULL, NULL, NULL, &err) != IDC_OK)
            _exit(3);
        for (int i = 0; i < 100000; i++) {
            char cell[32];
            snprintf(cell, sizeof cell, "c%d", i);
            json_t *rec = sample_record(i, 0.5, "PASS");
            idc_store_trial t = {.cell = cell, .trial_index = -1, .seconds = -1, .record = rec};
            if (idc_store_add_trial(s, run, &t, NULL, &err) != IDC_OK)
                _exit(4);
            json_decref(rec);
            if (write(fds[1], "t", 1) != 1)
                _exit(5);
        }
        _exit(0);
    }
    close(fds[1]);
    int want = 5 + (int)(seed % 20);
    char c;
    int seen = 0;
    while (seen < want && read(fds[0], &c, 1) == 1)
        seen++;
    /* kill it a little later, inside some later trial's work */
    usleep((useconds_t)(seed % 3000));
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    close(fds[0]);
    ck_assert_msg(WIFSIGNALED(status), "the writer ended by itself (status %d)", status);
    idc_err err;
    int rc = idc_store_open(&s, p, IDC_STORE_WRITE, &err);
    if (rc != IDC_OK)
        IDC_TEST_FAIL_REPLAY("kill9", seed, "reopen after kill: %s", err.msg);
    long long n = count(s, "SELECT count(*) AS n FROM trials");
    if (n < seen)
        IDC_TEST_FAIL_REPLAY("kill9", seed, "%lld trials stored, %d were committed", n, seen);
    /* every stored trial is whole */
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM trials WHERE (SELECT count(*) FROM measurements m WHERE "
                              "m.trial_id = trials.trial_id) != 8 OR (SELECT count(*) FROM verdicts v WHERE "
                              "v.trial_id = trials.trial_id) != 2"),
                     0);
    idc_store_close(s);
}
END_TEST

typedef struct {
    idc_store *s;
    int64_t run;
    int k;
    int rc;
} thread_arg;

static void *writer(void *arg)
{
    thread_arg *a = arg;
    for (int i = 0; i < 10 && a->rc == IDC_OK; i++) {
        char cell[32];
        snprintf(cell, sizeof cell, "t%d-%d", a->k, i);
        json_t *rec = sample_record(i, 0.5, "DISCARD");
        idc_store_trial t = {.cell = cell, .trial_index = -1, .seconds = -1, .record = rec};
        idc_err err;
        a->rc = idc_store_add_trial(a->s, a->run, &t, NULL, &err);
        json_decref(rec);
    }
    return NULL;
}

START_TEST(test_threads)
{
    char p[300];
    idc_store *s = open_new("th.sqlite", p, sizeof p);
    idc_err err;
    int64_t run = 0;
    ck_assert_int_eq(idc_store_run_begin(s, &run, "sweep", 0, NULL, NULL, NULL, NULL, &err), IDC_OK);
    pthread_t tid[4];
    thread_arg a[4];
    for (int k = 0; k < 4; k++) {
        a[k] = (thread_arg){s, run, k, IDC_OK};
        ck_assert_int_eq(pthread_create(&tid[k], NULL, writer, &a[k]), 0);
    }
    for (int k = 0; k < 4; k++) {
        pthread_join(tid[k], NULL);
        ck_assert_int_eq(a[k].rc, IDC_OK);
    }
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM trials WHERE outcome = 'DISCARD'"), 40);
    idc_store_close(s);
}
END_TEST

/* Two processes writing one store at once (SQLite's locks, the busy
 * timeout): every trial of both is stored. */
START_TEST(test_two_processes)
{
    char p[300];
    idc_store *s = open_new("two.sqlite", p, sizeof p);
    idc_store_close(s);
    pid_t pid[2];
    for (int k = 0; k < 2; k++) {
        pid[k] = fork();
        ck_assert_int_ge(pid[k], 0);
        if (pid[k] == 0) {
            idc_err err;
            int64_t run = 0;
            if (idc_store_open(&s, p, IDC_STORE_WRITE, &err) != IDC_OK ||
                idc_store_run_begin(s, &run, "prop", 0, NULL, NULL, NULL, NULL, &err) != IDC_OK)
                _exit(3);
            for (int i = 0; i < 25; i++) {
                char cell[32];
                snprintf(cell, sizeof cell, "p%d-%d", k, i);
                json_t *rec = sample_record(i, 0.5, "PASS");
                idc_store_trial t = {.cell = cell, .trial_index = -1, .seconds = -1, .record = rec};
                int rc = idc_store_add_trial(s, run, &t, NULL, &err);
                json_decref(rec);
                if (rc != IDC_OK) {
                    fprintf(stderr, "%s\n", err.msg);
                    _exit(4);
                }
            }
            idc_store_close(s);
            _exit(0);
        }
    }
    for (int k = 0; k < 2; k++) {
        int status = 0;
        waitpid(pid[k], &status, 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d: status %d", k, status);
    }
    idc_err err;
    ck_assert_int_eq(idc_store_open(&s, p, IDC_STORE_READ, &err), IDC_OK);
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM trials"), 50);
    ck_assert_int_eq(count(s, "SELECT count(DISTINCT run_id) AS n FROM trials"), 2);
    idc_store_close(s);
}
END_TEST

START_TEST(test_query)
{
    char p[300];
    idc_store *s = open_new("q.sqlite", p, sizeof p);
    idc_err err;
    int64_t run = 0;
    ck_assert_int_eq(idc_store_run_begin(s, &run, "prop", 0, NULL, NULL, NULL, NULL, &err), IDC_OK);
    json_t *rec = sample_record(0, 0.5, "PASS");
    add(s, run, "c0", rec);
    json_decref(rec);
    json_t *rows = NULL;
    json_t *args = json_pack("[s,f,n,I]", "r2_out", 0.25, (json_int_t)run);
    ck_assert_int_eq(idc_store_query(s, &rows,
                                     "SELECT name, value, ?2 AS x, ?3 AS y, ?4 AS r FROM measurements WHERE name = ?1",
                                     args, &err),
                     IDC_OK);
    json_decref(args);
    ck_assert_uint_eq(json_array_size(rows), 1);
    json_t *r = json_array_get(rows, 0);
    ck_assert_double_eq(json_real_value(json_object_get(r, "value")), 0.5);
    ck_assert_double_eq(json_real_value(json_object_get(r, "x")), 0.25);
    ck_assert(json_is_null(json_object_get(r, "y")));
    ck_assert_int_eq(json_integer_value(json_object_get(r, "r")), run);
    json_decref(rows);
    ck_assert_int_eq(idc_store_query(s, &rows, "DELETE FROM trials", NULL, &err), IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "read-only"));
    ck_assert_int_eq(idc_store_query(s, &rows, "SELECT 1; DELETE FROM trials", NULL, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_store_query(s, &rows, "SELEC nonsense", NULL, &err), IDC_EINVAL);
    ck_assert_ptr_null(rows);
    ck_assert_int_eq(idc_store_query(s, &rows, "SELECT x'00' AS b", NULL, &err), IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "BLOB"));
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM trials"), 1);
    /* the measurement rule, alone: top-level metrics and conditions,
     * stability, nulls */
    json_t *m = NULL;
    json_t *thm = json_pack("{s:{s:f,s:n,s:{s:f}},s:{s:f,s:[f]},s:{s:f},s:{s:f,s:f},s:{s:{s:f}}}",
                            "estimator_conditions", "rec", 0.001, "rec_stage1", "gauss", "p_value", 0.5, "metrics",
                            "mcc_out", 0.75, "comp_r2_out", 0.5, "assertion", "value", 0.75, "stability",
                            "weak_out_mean", 0.5, "weak_out_min", 0.25, "estimator", "metrics", "mcc_out", 0.125);
    ck_assert_int_eq(idc_store_measurements(&m, thm, &err), IDC_OK);
    char *txt = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(txt, "[{\"kind\":\"condition\",\"name\":\"rec\",\"value\":0.001},"
                          "{\"kind\":\"condition\",\"name\":\"rec_stage1\",\"value\":null},"
                          "{\"kind\":\"condition\",\"name\":\"gauss.p_value\",\"value\":0.5},"
                          "{\"kind\":\"metric\",\"name\":\"mcc_out\",\"value\":0.75},"
                          "{\"kind\":\"metric\",\"name\":\"assertion\",\"value\":0.75},"
                          "{\"kind\":\"metric\",\"name\":\"stability.weak_out_mean\",\"value\":0.5},"
                          "{\"kind\":\"metric\",\"name\":\"stability.weak_out_min\",\"value\":0.25}]");
    free(txt);
    json_decref(m);
    json_decref(thm);
    idc_store_close(s);
}
END_TEST

/* A real trial record (K3.9c, a tiny flow) goes in whole: its verdicts and
 * the fitted class's, its conditions and metrics, its instance. */
START_TEST(test_real_record)
{
    const idc_prop_def *def = idc_prop_find("K3.9c");
    ck_assert_ptr_nonnull(def);
    void *params = calloc(1, def->params_size);
    def->defaults(params);
    idc_err err;
    ck_assert_int_eq(def->set_param(params, "n_train", "200", &err), IDC_OK);
    ck_assert_int_eq(def->set_param(params, "n_eval", "200", &err), IDC_OK);
    ck_assert_int_eq(def->set_param(params, "steps", "10", &err), IDC_OK);
    idc_prop_run_opts o = {.seed = 3, .first = 0, .trials = 1, .jobs = 1};
    idc_prop_summary sum;
    json_t *res = NULL;
    ck_assert_int_eq(idc_prop_run(&sum, &res, def, params, &o, &err), IDC_OK);
    json_t *rec = json_array_get(json_object_get(res, "trials"), 0);
    char p[300];
    idc_store *s = open_new("real.sqlite", p, sizeof p);
    int64_t run = 0;
    ck_assert_int_eq(idc_store_run_begin(s, &run, "prop", 0, NULL, NULL, NULL, NULL, &err), IDC_OK);
    idc_store_trial t = {.cell = "K3.9c#0", .property = "K3.9c", .trial_index = -1, .has_seeds = 1, .run_seed = 3,
                         .seed = strtoull(json_string_value(json_object_get(rec, "seed")), NULL, 16),
                         .params = json_object_get(res, "params"), .seconds = -1, .record = rec};
    ck_assert_int_eq(idc_store_add_trial(s, run, &t, NULL, &err), IDC_OK);
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM verdicts WHERE precondition NOT LIKE 'fitted:%'"),
                     (long long)json_array_size(json_object_get(rec, "preconditions")));
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM verdicts WHERE precondition LIKE 'fitted:%'"),
                     (long long)json_array_size(json_object_get(rec, "fitted_model_class")));
    json_t *rows = query(s, "SELECT name, value FROM measurements WHERE name IN ('kl_gap', 'r2_out', 'dist_aff') "
                            "ORDER BY name");
    ck_assert_uint_eq(json_array_size(rows), 3);
    json_t *est = json_object_get(rec, "estimator");
    ck_assert_double_eq(json_real_value(json_object_get(json_array_get(rows, 0), "value")),
                        json_real_value(json_object_get(est, "dist_aff")));
    ck_assert_double_eq(json_real_value(json_object_get(json_array_get(rows, 1), "value")),
                        json_real_value(json_object_get(json_object_get(est, "estimator_conditions"), "kl_gap")));
    ck_assert_double_eq(json_real_value(json_object_get(json_array_get(rows, 2), "value")),
                        json_real_value(json_object_get(json_object_get(est, "metrics"), "r2_out")));
    json_decref(rows);
    rows = query(s, "SELECT estimator, start, params, run_seed FROM trials");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rows, 0), "estimator")), "flow");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rows, 0), "start")), "perturbed-truth");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rows, 0), "run_seed")), "3");
    json_decref(rows);
    rows = query(s, "SELECT json FROM instances");
    json_t *inst = json_loads(json_string_value(json_object_get(json_array_get(rows, 0), "json")), 0, NULL);
    ck_assert(json_equal(inst, json_object_get(rec, "instance")));
    json_decref(inst);
    json_decref(rows);
    /* the samples' hash, computed a second way: the sampler's rows hashed here */
    rows = query(s, "SELECT n, seed, sha256 FROM samples");
    ck_assert_uint_eq(json_array_size(rows), 1);
    json_t *sr = json_array_get(rows, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(sr, "n")), IDC_STORE_SAMPLE_N);
    char dec[24];
    snprintf(dec, sizeof dec, "%" PRIu64, t.seed);
    ck_assert_str_eq(json_string_value(json_object_get(sr, "seed")), dec);
    char *itxt = idc_store_canonical(json_object_get(rec, "instance"));
    idc_instance ii;
    ck_assert_int_eq(idc_instance_read_string(&ii, itxt, &err), IDC_OK);
    free(itxt);
    idc_samples sm;
    idc_samples_init(&sm);
    ck_assert_int_eq(idc_sample_draw(&sm, &ii, IDC_STORE_SAMPLE_N, t.seed, 0, 2, &err), IDC_OK);
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    for (size_t i = 0; i < sm.n; i++) {
        sha256_update(&ctx, sm.zdim * 8, (const uint8_t *)&sm.z[i * sm.zdim]);
        sha256_update(&ctx, sm.xdim * 8, (const uint8_t *)&sm.x[i * sm.xdim]);
        sha256_update(&ctx, 4, (const uint8_t *)&sm.label[i]);
    }
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, d);
    char hex[65];
    for (size_t i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    ck_assert_str_eq(json_string_value(json_object_get(sr, "sha256")), hex);
    char hex2[65];
    ck_assert_int_eq(idc_store_samples_hash(hex2, json_object_get(rec, "instance"), t.seed, IDC_STORE_SAMPLE_N, &err),
                     IDC_OK);
    ck_assert_str_eq(hex2, hex);
    /* another seed, other samples; an instance this idcheck cannot read: its error */
    ck_assert_int_eq(idc_store_samples_hash(hex2, json_object_get(rec, "instance"), t.seed + 1, 16, &err), IDC_OK);
    ck_assert_str_ne(hex2, hex);
    json_t *bad = json_pack("{s:i}", "idcheck_format", 7);
    ck_assert_int_eq(idc_store_samples_hash(hex2, bad, 1, 16, &err), IDC_EINVAL);
    json_decref(bad);
    idc_samples_clear(&sm);
    idc_instance_clear(&ii);
    json_decref(rows);
    idc_store_close(s);
    json_decref(res);
    free(params);
}
END_TEST

/* A real instance (the pdgmm generator at seed 5) as JSON, and its hash. */
static json_t *real_instance(char hash[65])
{
    const idc_gen_info *g = idc_gen_find("pdgmm");
    ck_assert_ptr_nonnull(g);
    idc_gen_values gv;
    idc_gen_values_init(&gv, g);
    idc_instance inst;
    idc_err err;
    ck_assert_int_eq(idc_gen_generate(&inst, &gv, 5, &err), IDC_OK);
    ck_assert_int_eq(idc_instance_hash(hash, &inst, &err), IDC_OK);
    char *t = idc_instance_dump(&inst);
    json_t *j = json_loads(t, 0, NULL);
    ck_assert_ptr_nonnull(j);
    free(t);
    idc_instance_clear(&inst);
    return j;
}

/* A fit-like record: metrics, conditions, settings and weights. */
static json_t *fit_record(double r2)
{
    return json_pack("{s:s,s:{s:f,s:f,s:[f,f]},s:{s:f,s:b},s:{s:i,s:f},s:{s:[f,f]},s:f,s:s}", "estimator", "stage1",
                     "metrics", "r2_out", r2, "mcc_out", 0.75, "r2_coord", 0.5, 0.25, "estimator_conditions", "rec",
                     0.125, "met", 1, "config", "steps", 20, "lr", 0.001, "weights", "w", 1.5, 2.5, "train_seconds",
                     0.5, "model_hash", "x");
}

START_TEST(test_records)
{
    char p[300], hash[65];
    idc_store *s = open_new("rec.sqlite", p, sizeof p);
    idc_err err;
    int64_t run = 0, rid = 0;
    ck_assert_int_eq(idc_store_run_begin(s, &run, "fit", 0, NULL, NULL, NULL, NULL, &err), IDC_OK);
    json_t *inst = real_instance(hash), *rec = fit_record(0.5), *conf = json_pack("{s:[s,s],s:s}", "argv", "a", "b",
                                                                                    "seed", "1");
    json_t *cert = json_pack("{s:s,s:i}", "precondition", "P1nd", "prime", 7);
    json_t *verd = json_pack("[{s:s,s:s,s:O},{s:s,s:s,s:n}]", "id", "P1nd", "verdict", "HOLDS", "certificate", cert,
                             "id", "F2", "verdict", "UNKNOWN", "certificate");
    idc_store_record r = {.kind = "fit", .cell = "fit stage1 seed 1", .instance = inst, .config = conf,
                          .record = rec, .verdicts = verd, .seconds = 0.5};
    ck_assert_int_eq(idc_store_add_record(s, run, &r, &rid, &err), IDC_OK);
    ck_assert_int_eq(rid, 1);
    /* the rows */
    json_t *rows = query(s, "SELECT r.kind, r.cell, r.instance_hash, r.config, r.seconds, i.json FROM records r "
                            "JOIN instances i ON i.hash = r.instance_hash");
    ck_assert_uint_eq(json_array_size(rows), 1);
    json_t *row = json_array_get(rows, 0);
    ck_assert_str_eq(json_string_value(json_object_get(row, "instance_hash")), hash);
    char *ci = idc_store_canonical(inst), *cc = idc_store_canonical(conf);
    ck_assert_str_eq(json_string_value(json_object_get(row, "json")), ci);
    ck_assert_str_eq(json_string_value(json_object_get(row, "config")), cc);
    ck_assert(json_real_value(json_object_get(row, "seconds")) == 0.5);
    free(ci);
    free(cc);
    json_decref(rows);
    char chex[65];
    ck_assert_int_eq(idc_store_json_hash(chex, cert), IDC_OK);
    rows = query(s, "SELECT precondition, verdict, cert_hash FROM record_verdicts ORDER BY precondition");
    ck_assert_uint_eq(json_array_size(rows), 2);
    ck_assert_ptr_null(json_string_value(json_object_get(json_array_get(rows, 0), "cert_hash"))); /* F2 */
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rows, 1), "cert_hash")), chex);
    json_decref(rows);
    /* measurements: leaves outside weights and config, arrays skipped */
    rows = query(s, "SELECT group_concat(name, ',') AS names FROM (SELECT name FROM record_measurements ORDER BY "
                    "name)");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rows, 0), "names")),
                     "estimator_conditions.met,estimator_conditions.rec,metrics.mcc_out,metrics.r2_out,train_seconds");
    json_decref(rows);
    json_t *meas = NULL;
    ck_assert_int_eq(idc_store_record_measurements(&meas, rec, &err), IDC_OK);
    ck_assert_uint_eq(json_array_size(meas), 5);
    ck_assert(json_real_value(json_object_get(json_array_get(meas, 0), "value")) == 0.5); /* metrics.r2_out */
    json_decref(meas);
    /* refused, nothing stored */
    idc_store_record bad = r;
    bad.kind = "prop";
    ck_assert_int_eq(idc_store_add_record(s, run, &bad, NULL, &err), IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "kind"));
    bad = r;
    bad.cell = NULL;
    ck_assert_int_eq(idc_store_add_record(s, run, &bad, NULL, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_store_add_record(s, run, &r, NULL, &err), IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "already recorded"));
    ck_assert_int_eq(idc_store_add_record(s, run + 5, &r, NULL, &err), IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "no run"));
    bad = r;
    bad.cell = "other";
    json_t *junk = json_pack("{s:i}", "idcheck_format", 99);
    bad.instance = junk;
    ck_assert_int_eq(idc_store_add_record(s, run, &bad, NULL, &err), IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "instance"));
    json_decref(junk);
    bad = r;
    bad.cell = "other";
    bad.record = NULL;
    ck_assert_int_eq(idc_store_add_record(s, run, &bad, NULL, &err), IDC_EINVAL);
    /* a full disk: the record's transaction rolled back */
    ck_assert_int_eq(idc_store_limit_pages(s, 0, &err), IDC_OK);
    json_t *big = json_object();
    for (int i = 0; i < 400; i++) {
        char k[32];
        snprintf(k, sizeof k, "metric_%d", i);
        json_object_set_new(big, k, json_real(i + 0.5));
    }
    bad = r;
    bad.cell = "big";
    bad.record = big;
    ck_assert_int_eq(idc_store_add_record(s, run, &bad, NULL, &err), IDC_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "full"));
    json_decref(big);
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM records"), 1);
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM record_verdicts"), 2);
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM record_measurements"), 5);
    idc_store_close(s);
    json_decref(inst);
    json_decref(rec);
    json_decref(conf);
    json_decref(cert);
    json_decref(verd);
}
END_TEST

/* A schema-1 store (made without the records tables) is read as it is and
 * migrated to schema 2 by a writing open. */
START_TEST(test_migrate)
{
    char p[300];
    idc_store *s = open_new("v1.sqlite", p, sizeof p);
    idc_err err;
    int64_t run = 0;
    ck_assert_int_eq(idc_store_run_begin(s, &run, "prop", 0, NULL, NULL, NULL, NULL, &err), IDC_OK);
    json_t *rec = sample_record(0, 0.5, "PASS");
    add(s, run, "c0", rec);
    json_decref(rec);
    idc_store_close(s);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(p, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "DROP TABLE record_measurements; DROP TABLE record_verdicts; DROP TABLE records; "
                                      "UPDATE meta SET value = '1' WHERE key = 'schema_version'; "
                                      "PRAGMA user_version = 1",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    ck_assert_int_eq(idc_store_open(&s, p, IDC_STORE_READ, &err), IDC_OK);
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM sqlite_schema WHERE name = 'records'"), 0);
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM trials"), 1);
    idc_store_close(s);
    ck_assert_int_eq(idc_store_open(&s, p, IDC_STORE_WRITE, &err), IDC_OK);
    ck_assert_int_eq(count(s, "SELECT user_version AS n FROM pragma_user_version"), 2);
    ck_assert_int_eq(count(s, "SELECT CAST(value AS INTEGER) AS n FROM meta WHERE key = 'schema_version'"), 2);
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM sqlite_schema WHERE name LIKE 'record%'"), 3);
    ck_assert_int_eq(count(s, "SELECT count(*) AS n FROM trials"), 1);
    idc_store_close(s);
}
END_TEST

START_TEST(test_merge)
{
    char pa[300], pb[300], pm[300];
    idc_store *a = open_new("a.sqlite", pa, sizeof pa), *b = open_new("b.sqlite", pb, sizeof pb);
    idc_err err;
    int64_t ra = 0, rb = 0;
    ck_assert_int_eq(idc_store_run_begin(a, &ra, "sweep", 0, NULL, NULL, NULL, "0/2", &err), IDC_OK);
    ck_assert_int_eq(idc_store_run_begin(b, &rb, "sweep", 0, NULL, NULL, NULL, "1/2", &err), IDC_OK);
    for (int i = 0; i < 3; i++) {
        char cell[16];
        snprintf(cell, sizeof cell, "c%d", i);
        json_t *rec = sample_record(i, 0.5, "PASS");
        add(a, ra, cell, rec);
        if (i < 2)
            add(b, rb, cell, rec);
        json_decref(rec);
    }
    /* a record of the shard */
    char hash[65];
    json_t *inst = real_instance(hash), *frec = fit_record(0.25), *conf = json_pack("{s:s}", "seed", "1");
    json_t *verd = json_pack("[{s:s,s:s,s:{s:s}}]", "id", "F1", "verdict", "HOLDS", "certificate", "c", "d");
    idc_store_record r = {.kind = "check", .cell = "check x", .instance = inst, .config = conf, .record = frec,
                          .verdicts = verd, .seconds = -1};
    ck_assert_int_eq(idc_store_add_record(b, rb, &r, NULL, &err), IDC_OK);
    json_decref(inst);
    json_decref(frec);
    json_decref(conf);
    json_decref(verd);
    idc_store_close(a);
    idc_store_close(b);
    idc_store *m = open_new("m.sqlite", pm, sizeof pm);
    int64_t n = 0;
    ck_assert_int_eq(idc_store_merge(m, pa, &n, &err), IDC_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(idc_store_merge(m, pb, &n, &err), IDC_OK);
    ck_assert_int_eq(count(m, "SELECT count(*) AS n FROM runs"), 2);
    ck_assert_int_eq(count(m, "SELECT count(*) AS n FROM trials"), 5);
    ck_assert_int_eq(count(m, "SELECT count(*) AS n FROM trials WHERE run_id = 2"), 2);
    ck_assert_int_eq(count(m, "SELECT count(*) AS n FROM measurements"), 40);
    ck_assert_int_eq(count(m, "SELECT count(*) AS n FROM verdicts"), 10);
    ck_assert_int_eq(count(m, "SELECT count(*) AS n FROM instances"), 2);
    ck_assert_int_eq(count(m, "SELECT count(*) AS n FROM records WHERE run_id = 2 AND kind = 'check'"), 1);
    ck_assert_int_eq(count(m, "SELECT count(*) AS n FROM record_verdicts v JOIN records r USING (record_id) "
                              "WHERE r.run_id = 2 AND v.cert_hash IS NOT NULL"),
                     1);
    ck_assert_int_eq(count(m, "SELECT count(*) AS n FROM record_measurements"), 5);
    ck_assert_int_eq(count(m, "SELECT count(*) AS n FROM runs WHERE shard = '1/2'"), 1);
    /* a foreign file is refused and nothing changes */
    char pf[300];
    path_in(pf, sizeof pf, "foreign.txt");
    FILE *f = fopen(pf, "w");
    fputs("not a database\n", f);
    fclose(f);
    ck_assert_int_eq(idc_store_merge(m, pf, &n, &err), IDC_EINVAL);
    ck_assert_int_eq(count(m, "SELECT count(*) AS n FROM trials"), 5);
    idc_store_close(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("store");
    const idc_test_case cases[] = {
        {"schema", test_schema},     {"trial_rows", test_trial_rows}, {"trial_errors", test_trial_errors},
        {"refused", test_refused},   {"corrupted", test_corrupted},   {"read_only", test_read_only},
        {"full", test_full},         {"kill9", test_kill9},           {"threads", test_threads},
        {"read_only_dir", test_read_only_dir}, {"two_processes", test_two_processes},
        {"query", test_query},       {"real_record", test_real_record}, {"merge", test_merge},
        {"records", test_records},   {"migrate", test_migrate},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 60);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, cases[i].fn);
        suite_add_tcase(s, tc);
    }
    return idc_test_run(s);
}
