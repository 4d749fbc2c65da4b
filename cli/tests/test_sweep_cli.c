/* CLI tests of idcheck sweep and idcheck merge: usage and input errors in
 * one line with exit 2; the same trials whatever the thread count; a sweep
 * killed with SIGKILL and resumed equals an uninterrupted one; two shards
 * merged, and 2 MPI ranks, each equal to a single-process run (same cells,
 * same outcomes, same numbers: every record equal but for its timings). The
 * property is K3.9c at a tiny size (a fraction of a second per trial). */
#include <signal.h>
#include <sqlite3.h>
#include <time.h>

#include "cli/tests/clitest.h"
#include "properties/sweep_run.h"
#include "reports/store.h"

#define TINY                                                                                                           \
    "{\"idcheck_sweep\": 1, \"name\": \"tiny\", \"seed\": 7, \"seeds\": 2, \"properties\": [\"K3.9c\"], "             \
    "\"estimators\": [\"flow\", \"stage1\"], \"params\": {\"m\": 2, \"J\": 2, \"n_train\": 300, \"n_eval\": 100, "    \
    "\"steps\": 30, \"batch\": 32, \"kappa\": 1e6}, \"grid\": {\"cond\": [1.5, 3]}}"

static void setup(void)
{
    clitest_setup("idc_sweep_cli");
}

static void teardown(void)
{
    clitest_teardown();
}

static void write_file(const char *name, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *fp = fopen(p, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    fclose(fp);
}

/* The trials of a database's sweep runs: {cell: record}, checking each cell
 * once. */
static json_t *trials_of(const char *name, size_t *nruns)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    idc_store *st = NULL;
    idc_err err;
    ck_assert_msg(idc_store_open(&st, p, IDC_STORE_READ, &err) == IDC_OK, "%s", err.msg);
    json_t *rows = NULL, *runs = NULL;
    ck_assert_msg(idc_store_query(st, &rows, "SELECT cell, outcome, record FROM trials ORDER BY trial_id", NULL, &err) ==
                      IDC_OK,
                  "%s", err.msg);
    ck_assert(idc_store_query(st, &runs, "SELECT run_id FROM runs", NULL, &err) == IDC_OK);
    *nruns = json_array_size(runs);
    json_t *by = json_object();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *cell = json_string_value(json_object_get(r, "cell"));
        json_t *rec = json_loads(json_string_value(json_object_get(r, "record")), 0, NULL);
        ck_assert_ptr_nonnull(rec);
        ck_assert_str_eq(json_string_value(json_object_get(rec, "outcome")),
                         json_string_value(json_object_get(r, "outcome")));
        ck_assert_msg(json_object_get(by, cell) == NULL, "%s: cell %s twice", name, cell);
        json_object_set_new(by, cell, rec);
    }
    json_decref(rows);
    json_decref(runs);
    idc_store_close(st);
    return by;
}

/* Two databases hold the same trials (records equal but for timings). */
static void assert_same(const char *a, const char *b, size_t ncells)
{
    size_t ra, rb;
    json_t *x = trials_of(a, &ra), *y = trials_of(b, &rb);
    ck_assert_uint_eq(ra, 1);
    ck_assert_uint_eq(rb, 1);
    ck_assert_uint_eq(json_object_size(x), ncells);
    ck_assert_uint_eq(json_object_size(y), ncells);
    const char *k;
    json_t *v;
    json_object_foreach(x, k, v)
    {
        json_t *w = json_object_get(y, k);
        ck_assert_msg(w != NULL, "%s lacks cell %s", b, k);
        ck_assert_msg(idc_sweep_record_equal(v, w), "cell %s differs between %s and %s", k, a, b);
    }
    json_decref(x);
    json_decref(y);
}

START_TEST(test_usage_and_input_errors)
{
    write_file("s.json", TINY);
    ck_assert_int_eq(idc("idcheck sweep s.json"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--db: missing") != NULL);
    ck_assert_int_eq(idc("idcheck sweep"), 2);
    ck_assert_int_eq(idc("idcheck sweep s.json --db r.sqlite --threads 0"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--threads") != NULL);
    ck_assert_int_eq(idc("idcheck sweep s.json --db r.sqlite --shard 3/2"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--shard: expected I/N") != NULL);
    ck_assert_int_eq(idc("idcheck sweep s.json --db r.sqlite --bogus"), 2);
    ck_assert(one_line(errtxt));
    ck_assert_int_eq(idc("idcheck sweep missing.json --db r.sqlite"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "missing.json: cannot open") != NULL);
    write_file("bad.json", "{\"idcheck_sweep\": 1, \"name\": \"t\", \"seeds\": 1, \"properties\": [\"K3.9c\"], "
                           "\"grid\": {\"steps\": [10, 0]}}");
    ck_assert_int_eq(idc("idcheck sweep bad.json --db r.sqlite"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "bad.json: grid.steps[1]: property K3.9c: --steps:") != NULL,
                  "%s", errtxt);
    write_file("bad2.json", "{\"idcheck_sweep\": 1, \"name\": \"t\", \"seeds\": 1, \"properties\": [\"K3.9c\"]");
    ck_assert_int_eq(idc("idcheck sweep bad2.json --db r.sqlite"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "bad2.json:") != NULL);
    ck_assert(!exists("r.sqlite")); /* nothing written on bad input */
    /* a file that is not a results store is refused and left alone */
    write_file("r.sqlite", "not a database, a text file of more than a hundred bytes so that SQLite reads a header "
                           "and finds it is not one ...................................................\n");
    ck_assert_int_eq(idc("idcheck sweep s.json --db r.sqlite"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "r.sqlite") != NULL);
    ck_assert_int_eq(idc("grep -c 'not a database' r.sqlite"), 0);
    /* --cells lists every cell with its replay command */
    ck_assert_int_eq(idc("idcheck sweep s.json --cells"), 0);
    ck_assert(strstr(out, "K3.9c;estimator=stage1;cond=3;seed=1  idcheck prop K3.9c --replay 0x") != NULL);
    ck_assert_int_eq(idc("idcheck sweep s.json --cells | wc -l"), 0);
    ck_assert_int_eq(atoi(out), 8);
    ck_assert_int_eq(idc("idcheck sweep s.json --cells --shard 2/3 | wc -l"), 0);
    ck_assert_int_eq(atoi(out), 3);
}
END_TEST

START_TEST(test_threads_resume_refusal)
{
    write_file("s.json", TINY);
    int rc = idc("idcheck sweep s.json --db a.sqlite --progress-interval 0");
    ck_assert_msg(rc == 0 || rc == 1, "%d: %s", rc, errtxt);
    ck_assert(strstr(out, "sweep tiny: 8 cells: ") != NULL);
    int failed = strstr(out, " 0 failed") == NULL;
    ck_assert_int_eq(rc, failed);
    ck_assert_int_eq(failed, strstr(out, "IDC-FAIL sweep=tiny cell=") != NULL);
    /* not a terminal: plain progress lines, the last with every cell */
    ck_assert(strstr(errtxt, "sweep tiny: 8/8 cells  PASS ") != NULL);
    ck_assert(strstr(errtxt, "\r") == NULL);
    ck_assert_int_eq(idc("idcheck sweep s.json --db b.sqlite --threads 3 --quiet"), rc);
    ck_assert_str_eq(errtxt, "");
    assert_same("a.sqlite", "b.sqlite", 8);
    /* the same sweep into the same database again: refused; --resume of a complete run: nothing to run */
    ck_assert_int_eq(idc("idcheck sweep s.json --db a.sqlite"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "a.sqlite already holds sweep tiny (run 1, finished)") != NULL);
    ck_assert_int_eq(idc("idcheck sweep s.json --db a.sqlite --resume"), rc);
    ck_assert(strstr(out, "run 1 in a.sqlite is complete; nothing to resume") != NULL);
    ck_assert_int_eq(idc("idcheck sweep s.json --db c.sqlite --resume"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--resume: c.sqlite holds no run of sweep tiny") != NULL);
    /* another sweep in the same database is a run of its own */
    write_file("t.json", "{\"idcheck_sweep\": 1, \"name\": \"other\", \"seed\": 8, \"seeds\": 1, \"properties\": "
                         "[\"K3.9c\"], \"params\": {\"m\": 2, \"J\": 2, \"n_train\": 300, \"n_eval\": 100, "
                         "\"steps\": 30, \"batch\": 32, \"kappa\": 1e6, \"estimator\": \"stage1\"}}");
    ck_assert_int_eq(idc("idcheck sweep t.json --db a.sqlite --quiet"), 0);
    ck_assert(strstr(out, "(run 2 in a.sqlite)") != NULL);
}
END_TEST

static long count_trials(const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    sqlite3 *db = NULL;
    long n = -1;
    if (sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM trials", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

#define SLOW                                                                                                           \
    "{\"idcheck_sweep\": 1, \"name\": \"slow\", \"seed\": 11, \"seeds\": 4, \"properties\": [\"K3.9c\"], "            \
    "\"params\": {\"m\": 2, \"J\": 2, \"n_train\": 1000, \"n_eval\": 500, \"steps\": 300, \"kappa\": 1e6}, "          \
    "\"grid\": {\"cond\": [1.5, 3]}}"

/* kill -9 mid-sweep, then --resume: the same trials as an uninterrupted run,
 * the ones recorded before the kill kept, none run twice. */
START_TEST(test_kill_resume)
{
    write_file("s.json", SLOW);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (chdir(dir) != 0)
            _exit(127);
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execl(bin, "idcheck", "sweep", "s.json", "--db", "k.sqlite", (char *)NULL);
        _exit(127);
    }
    long n = -1;
    for (int i = 0; i < 6000; i++) { /* 60 s at most */
        n = count_trials("k.sqlite");
        if (n >= 2)
            break;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    ck_assert(WIFSIGNALED(st));
    long before = count_trials("k.sqlite");
    ck_assert_msg(before >= 2 && before < 8, "killed after %ld of 8 trials (the test needs 2..7)", before);
    size_t nr;
    json_t *kept = trials_of("k.sqlite", &nr);
    /* without --resume: refused, nothing changed */
    ck_assert_int_eq(idc("idcheck sweep s.json --db k.sqlite"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "(run 1, unfinished): --resume continues it") != NULL);
    ck_assert_int_eq(count_trials("k.sqlite"), before);
    int rc = idc("idcheck sweep s.json --db k.sqlite --resume --threads 2");
    ck_assert_msg(rc == 0 || rc == 1, "%d: %s", rc, errtxt);
    char want[128];
    snprintf(want, sizeof want, "resuming run 1 in k.sqlite: %ld of 8 cells recorded, not run again", before);
    ck_assert_msg(strstr(out, want) != NULL, "%s", out);
    ck_assert_int_eq(idc("idcheck sweep s.json --db u.sqlite --quiet"), rc);
    assert_same("k.sqlite", "u.sqlite", 8);
    /* the trials recorded before the kill are still there, unchanged */
    json_t *all = trials_of("k.sqlite", &nr);
    const char *k;
    json_t *v;
    json_object_foreach(kept, k, v)
    {
        ck_assert(json_equal(v, json_object_get(all, k)));
    }
    json_decref(kept);
    json_decref(all);
}
END_TEST

/* Two shards merged equal a single-process run; merge's refusals. */
START_TEST(test_shards_merge)
{
    write_file("s.json", TINY);
    int rc = idc("idcheck sweep s.json --db one.sqlite --quiet");
    ck_assert(rc == 0 || rc == 1);
    ck_assert_int_le(idc("idcheck sweep s.json --shard 1/2 --db s1.sqlite --quiet"), 1);
    ck_assert(strstr(out, "4 cells of shard 1/2") != NULL);
    ck_assert_int_le(idc("idcheck sweep s.json --shard 2/2 --db s2.sqlite --threads 2 --quiet"), 1);
    ck_assert_int_eq(idc("idcheck merge m.sqlite s1.sqlite"), 0);
    ck_assert(strstr(out, "4 of 8 cells present") != NULL && strstr(out, "4 cells missing") != NULL);
    ck_assert_int_eq(idc("idcheck merge m.sqlite s2.sqlite s1.sqlite"), 0); /* s1 again: equal, taken once */
    ck_assert(strstr(out, "4 cells added") != NULL && strstr(out, "8 of 8 cells present") != NULL);
    assert_same("one.sqlite", "m.sqlite", 8);
    ck_assert_int_eq(idc("idcheck merge m2.sqlite s1.sqlite s2.sqlite --quiet"), 0);
    assert_same("one.sqlite", "m2.sqlite", 8);
    /* a complete run is not merged into again */
    ck_assert_int_eq(idc("idcheck merge m.sqlite s1.sqlite"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "already holds sweep tiny complete") != NULL);
    /* shards of different sweeps */
    write_file("t.json", "{\"idcheck_sweep\": 1, \"name\": \"tiny\", \"seed\": 8, \"seeds\": 2, \"properties\": "
                         "[\"K3.9c\"], \"params\": {\"m\": 2, \"J\": 2, \"n_train\": 300, \"n_eval\": 100, "
                         "\"steps\": 30, \"batch\": 32, \"kappa\": 1e6, \"estimator\": \"stage1\"}}");
    ck_assert_int_eq(idc("idcheck sweep t.json --shard 1/2 --db t1.sqlite --quiet"), 0);
    ck_assert_int_eq(idc("idcheck merge x.sqlite s1.sqlite t1.sqlite"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "t1.sqlite: run 1 holds another sweep than s1.sqlite") != NULL,
                  "%s", errtxt);
    ck_assert(!exists("x.sqlite"));
    /* one cell with different results in two inputs */
    ck_assert_int_eq(idc("cp s1.sqlite s1b.sqlite"), 0);
    char p[256];
    snprintf(p, sizeof p, "%s/s1b.sqlite", dir);
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(p, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "UPDATE trials SET record = replace(record, '\"trial\":0', '\"trial\":0,\"x\":1') "
                                  "WHERE trial_id = 1",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_changes(db), 1);
    sqlite3_close(db);
    ck_assert_int_eq(idc("idcheck merge y.sqlite s1.sqlite s1b.sqlite"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "s1.sqlite and s1b.sqlite hold different results") != NULL, "%s",
                  errtxt);
    ck_assert(!exists("y.sqlite"));
    ck_assert_int_eq(idc("idcheck merge"), 2);
    ck_assert_int_eq(idc("idcheck merge z.sqlite s1.sqlite s1.sqlite"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "given twice") != NULL);
}
END_TEST

/* mpirun -np 2: the same trials as one process. Needs the MPI plugin beside
 * the binary (built when mpicc is found) and mpirun. */
START_TEST(test_mpi_two_ranks)
{
    char plugin[600];
    snprintf(plugin, sizeof plugin, "%s", bin);
    char *slash = strrchr(plugin, '/');
    ck_assert_ptr_nonnull(slash);
    snprintf(slash + 1, sizeof plugin - (size_t)(slash + 1 - plugin), "libidcheck-mpi.so");
    if (access(plugin, F_OK) != 0 || system("command -v mpirun >/dev/null 2>&1") != 0) {
        fprintf(stderr, "test_mpi_two_ranks: skipped (no %s or no mpirun: built without MPI)\n", plugin);
        return;
    }
    write_file("s.json", TINY);
    int rc = idc("idcheck sweep s.json --db one.sqlite --quiet");
    ck_assert(rc == 0 || rc == 1);
    char cmd[1400];
    snprintf(cmd, sizeof cmd,
             "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_plm=isolated mpirun -np 2 "
             "--oversubscribe %s sweep s.json --db mpi.sqlite --threads 2 --quiet",
             bin);
    int mrc = idc(cmd);
    ck_assert_msg(mrc == rc, "mpirun exit %d (single process %d): %s", mrc, rc, errtxt);
    ck_assert(strstr(out, "sweep tiny: 8 cells:") != NULL);
    assert_same("one.sqlite", "mpi.sqlite", 8);
    /* the run's provenance records the ranks */
    char p[256];
    snprintf(p, sizeof p, "%s/mpi.sqlite", dir);
    idc_store *st = NULL;
    idc_err err;
    json_t *rows = NULL;
    ck_assert(idc_store_open(&st, p, IDC_STORE_READ, &err) == IDC_OK);
    ck_assert(idc_store_query(st, &rows, "SELECT provenance FROM runs", NULL, &err) == IDC_OK);
    json_t *prov = json_loads(json_string_value(json_object_get(json_array_get(rows, 0), "provenance")), 0, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(prov, "sweep_run"), "mpi_ranks")), 2);
    /* and each rank's machine: host, CPU, OpenBLAS core, in rank order */
    json_t *ranks = json_object_get(json_object_get(prov, "sweep_run"), "ranks");
    ck_assert_uint_eq(json_array_size(ranks), 2);
    for (size_t k = 0; k < 2; k++) {
        json_t *m = json_array_get(ranks, k);
        ck_assert_int_eq(json_integer_value(json_object_get(m, "rank")), (json_int_t)k);
        ck_assert(json_string_length(json_object_get(m, "host")) > 0);
        ck_assert(json_is_string(json_object_get(json_object_get(m, "cpu"), "model")));
        ck_assert(json_is_string(json_object_get(json_object_get(m, "blas"), "core")));
        ck_assert_int_eq(json_integer_value(json_object_get(m, "sweep_threads")), 2);
    }
    /* two processes: two pids */
    ck_assert_int_ne(json_integer_value(json_object_get(json_array_get(ranks, 0), "pid")),
                     json_integer_value(json_object_get(json_array_get(ranks, 1), "pid")));
    json_decref(prov);
    json_decref(rows);
    idc_store_close(st);
    /* without the plugin, a run under mpirun says so in one line per rank and exits 2 */
    snprintf(cmd, sizeof cmd,
             "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_plm=isolated IDCHECK_MPI_LIB=/nonexistent/libidcheck-mpi.so "
             "mpirun -np 2 --oversubscribe %s sweep s.json --db none.sqlite --quiet",
             bin);
    ck_assert_int_ne(idc(cmd), 0);
    ck_assert_msg(strstr(errtxt, "idcheck sweep: launched by mpirun with 2 ranks, but this idcheck has no MPI plugin") !=
                      NULL,
                  "%s", errtxt);
    ck_assert(!exists("none.sqlite"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sweep_cli");
    TCase *tc = tcase_create("sweep_cli");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_usage_and_input_errors);
    tcase_add_test(tc, test_threads_resume_refusal);
    tcase_add_test(tc, test_kill_resume);
    tcase_add_test(tc, test_shards_merge);
    tcase_add_test(tc, test_mpi_two_ranks);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? 0 : 1;
}
