/* CLI tests of the results store and the audit: prop --db then audit; a
 * metric and a verdict edited by hand caught; foreign, not-a-database,
 * newer-schema, corrupted, read-only and full stores refused in one line
 * with exit 2 and the file untouched; a run stopped by a full disk resumed
 * into the same run. */
#include <fcntl.h>
#include <signal.h>
#include <time.h>

#include "numeric/tests/testutil.h"
#include "cli/tests/clitest.h"
#include "cli/tests/clisql.h"

#define PROP "idcheck prop K3.9c --trials 2 --n_train 200 --n_eval 200 --steps 10 --no-regressions --quiet"

static void setup(void)
{
    clitest_setup("idc_store_cli");
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "chmod -R u+w %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    clitest_teardown();
}

/* The content of dir/name (malloc'ed). */
static char *slurp(const char *name, size_t *n)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "rb");
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

START_TEST(test_prop_db_audit)
{
    ck_assert_int_eq(idc(PROP " --db r.sqlite -o r.json"), 0);
    ck_assert_int_eq(clitest_count("r.sqlite", "SELECT count(*) FROM trials"), 2);
    ck_assert_int_eq(clitest_count("r.sqlite", "SELECT count(*) FROM runs WHERE status = 'ok' AND finished IS NOT NULL"), 1);
    ck_assert_int_eq(clitest_count("r.sqlite", "SELECT count(*) FROM trials WHERE cell = 'K3.9c#1' AND run_seed = '1'"), 1);
    ck_assert(clitest_count("r.sqlite", "SELECT count(*) FROM measurements WHERE name = 'kl_gap'") == 2);
    ck_assert(clitest_count("r.sqlite", "SELECT count(*) FROM verdicts WHERE verdict = 'HOLDS' AND cert_hash IS NOT NULL") >= 14);
    /* provenance an auditor needs */
    ck_assert_int_eq(clitest_count("r.sqlite", "SELECT count(*) FROM runs WHERE json_extract(provenance, '$.source.id') "
                                       "IS NOT NULL AND json_extract(provenance, '$.cpu.model') IS NOT NULL AND "
                                       "json_extract(provenance, '$.blas.core') IS NOT NULL"),
                     1);
    /* the same run again adds a second run */
    ck_assert_int_eq(idc(PROP " --db r.sqlite"), 0);
    ck_assert_int_eq(clitest_count("r.sqlite", "SELECT count(*) FROM runs"), 2);
    ck_assert_int_eq(idc("idcheck audit r.sqlite --json a.json"), 0);
    ck_assert_ptr_nonnull(strstr(out, "4 trial(s) re-run: 4 identical, 0 within tolerance, 0 MISMATCH"));
    ck_assert_ptr_nonnull(strstr(out, "bit-identical"));
    ck_assert(exists("a.json"));
    /* on 3 threads: the same table, in trial order */
    char table1[4096];
    snprintf(table1, sizeof table1, "%s", out);
    ck_assert_int_eq(idc("idcheck audit r.sqlite --jobs 3"), 0);
    ck_assert_str_eq(out, table1);
    ck_assert_int_eq(idc("idcheck audit r.sqlite --jobs 0"), 2);
    ck_assert_int_eq(idc("idcheck audit r.sqlite --run 2 --quiet"), 0);
    ck_assert_ptr_nonnull(strstr(out, "2 trial(s) re-run: 2 identical"));

    /* a metric edited by hand */
    clitest_sql("r.sqlite", "UPDATE measurements SET value = value + 0.001 WHERE trial_id = 3 AND name = 'r2_out'");
    ck_assert_int_eq(idc("idcheck audit r.sqlite"), 1);
    ck_assert_ptr_nonnull(strstr(out, "measurements.r2_out: stored"));
    ck_assert_ptr_nonnull(strstr(out, "1 MISMATCH"));
    /* and a verdict */
    clitest_sql("r.sqlite", "UPDATE verdicts SET verdict = 'UNKNOWN' WHERE trial_id = 1 AND precondition = 'F1'");
    ck_assert_int_eq(idc("idcheck audit r.sqlite --quiet"), 1);
    ck_assert_ptr_nonnull(strstr(out, "verdicts[F1].verdict: stored UNKNOWN, re-run HOLDS"));
    ck_assert_ptr_nonnull(strstr(out, "2 MISMATCH"));
}
END_TEST

/* Each refused store: exit 2, one line naming it, the file as it was, no
 * results or journal written. */
static void refused(const char *name, const char *needle)
{
    size_t n0, n1;
    char *before = slurp(name, &n0), cmd[512];
    snprintf(cmd, sizeof cmd, PROP " --db %s -o out.json", name);
    ck_assert_int_eq(idc(cmd), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, name) && strstr(errtxt, needle), "stderr: %s", errtxt);
    ck_assert(!exists("out.json"));
    ck_assert(!exists("out.json.journal"));
    snprintf(cmd, sizeof cmd, "idcheck audit %s", name);
    ck_assert_int_eq(idc(cmd), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, name), "stderr: %s", errtxt);
    char *after = slurp(name, &n1);
    ck_assert_uint_eq(n0, n1);
    ck_assert(memcmp(before, after, n0) == 0);
    free(before);
    free(after);
}

START_TEST(test_refused_stores)
{
    ck_assert_int_eq(idc("printf 'not a database at all\\n%.0s' $(seq 300) > text.sqlite"), 0);
    refused("text.sqlite", "not an SQLite database");
    clitest_sql("foreign.sqlite", "CREATE TABLE t(x); INSERT INTO t VALUES (42);");
    refused("foreign.sqlite", "not an idcheck results store");
    ck_assert_int_eq(idc(PROP " --db newer.sqlite"), 0);
    clitest_sql("newer.sqlite", "PRAGMA user_version = 9");
    refused("newer.sqlite", "newer");
    /* corrupted: pages overwritten */
    ck_assert_int_eq(idc(PROP " --db bad.sqlite"), 0);
    ck_assert_int_eq(idc("dd if=/dev/urandom of=bad.sqlite bs=4096 seek=2 count=3 conv=notrunc 2>/dev/null"), 0);
    refused("bad.sqlite", "corrupted");
    /* read-only */
    ck_assert_int_eq(idc(PROP " --db ro.sqlite"), 0);
    ck_assert_int_eq(idc("chmod 0444 ro.sqlite"), 0);
    ck_assert_int_eq(idc(PROP " --db ro.sqlite"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "read-only"), "stderr: %s", errtxt);
    ck_assert_int_eq(idc("idcheck audit ro.sqlite --quiet"), 0); /* reading is fine */
    /* usage */
    ck_assert_int_eq(idc("idcheck audit"), 2);
    ck_assert_int_eq(idc("idcheck audit missing.sqlite"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "missing.sqlite"));
    ck_assert_int_eq(idc("idcheck audit r.html"), 2);
    ck_assert_int_eq(idc("idcheck audit ro.sqlite --rtol -1"), 2);
    ck_assert_int_eq(idc("idcheck audit ro.sqlite --bogus"), 2);
    ck_assert_int_eq(idc(PROP " --db x.sqlite --ladder n_train=100,200"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--ladder"));
    ck_assert(!exists("x.sqlite"));
}
END_TEST

/* A full disk (IDCHECK_DB_MAX_PAGES=0: the store may not grow) stops the
 * run with one line and exit 2 after its first trial was journaled; the
 * same command then resumes: the journaled trial goes into the same run,
 * the rest is run, and the audit passes. */
START_TEST(test_full_then_resume)
{
    ck_assert_int_eq(idc("idcheck audit --help"), 0);
    ck_assert_int_eq(idc(PROP " --db f.sqlite -o f.json --trials 1"), 0); /* a store with one run */
    ck_assert_int_eq(idc("export IDCHECK_DB_MAX_PAGES=0; " PROP " --db f.sqlite -o g.json"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "f.sqlite") && strstr(errtxt, "full"), "stderr: %s", errtxt);
    ck_assert(!exists("g.json"));
    ck_assert(exists("g.json.journal"));
    ck_assert_int_eq(clitest_count("f.sqlite", "SELECT count(*) FROM trials"), 1);
    ck_assert_int_eq(clitest_count("f.sqlite", "SELECT count(*) FROM runs WHERE finished IS NULL"), 1);
    ck_assert_int_eq(idc(PROP " --db f.sqlite -o g.json"), 0);
    ck_assert(!exists("g.json.journal"));
    ck_assert_int_eq(clitest_count("f.sqlite", "SELECT count(*) FROM runs"), 2);
    ck_assert_int_eq(clitest_count("f.sqlite", "SELECT count(*) FROM runs WHERE finished IS NULL"), 0);
    ck_assert_int_eq(clitest_count("f.sqlite", "SELECT count(*) FROM trials WHERE run_id = 2"), 2);
    ck_assert_int_eq(idc("idcheck audit f.sqlite --quiet"), 0);
    ck_assert_ptr_nonnull(strstr(out, "3 trial(s) re-run: 3 identical"));
}
END_TEST

/* The rows of a query as text ("a|b|c\n" per row; reals with 17 digits). */
static char *dump(const char *db, const char *stmt)
{
    sqlite3 *h;
    sqlite3_stmt *q = clitest_query(db, stmt, &h);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    buf[0] = '\0';
    while (sqlite3_step(q) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(q); c++) {
            char cell[64];
            const char *t = cell;
            if (sqlite3_column_type(q, c) == SQLITE_FLOAT)
                snprintf(cell, sizeof cell, "%.17g", sqlite3_column_double(q, c));
            else
                t = sqlite3_column_text(q, c) ? (const char *)sqlite3_column_text(q, c) : "NULL";
            size_t n = strlen(t) + 2;
            if (len + n + 1 > cap) {
                cap = 2 * (len + n + 1);
                buf = realloc(buf, cap);
            }
            len += (size_t)sprintf(buf + len, "%s%s", t, c + 1 < sqlite3_column_count(q) ? "|" : "\n");
        }
    }
    sqlite3_finalize(q);
    sqlite3_close(h);
    return buf;
}

/* A real prop --db child killed with SIGKILL once the store holds 2 of its
 * trials; the same command then continues that run in the store: the same
 * trials, verdicts and numbers as an uninterrupted run. */
#define SLOWDB "idcheck prop K3.9c --trials 4 --seed 5 --m 2 --J 2 --n_train 2000 --n_eval 1000 --steps 600 " \
               "--no-regressions --no-shrink --quiet --db s.sqlite -o r.json"

START_TEST(test_kill9_resume)
{
    ck_assert_int_eq(idc("mkdir a b"), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char wd[128];
        snprintf(wd, sizeof wd, "%s/a", dir);
        int fd = open("/dev/null", O_WRONLY);
        if (chdir(wd) != 0 || fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(99);
        execl(bin, "idcheck", "prop", "K3.9c", "--trials", "4", "--seed", "5", "--m", "2", "--J", "2", "--n_train",
              "2000", "--n_eval", "1000", "--steps", "600", "--no-regressions", "--no-shrink", "--quiet", "--db",
              "s.sqlite", "-o", "r.json", (char *)NULL);
        _exit(98);
    }
    int st = 0;
    long long n = 0;
    for (int k = 0; k < 12000 && n < 2; k++) {
        ck_assert_int_eq(waitpid(pid, &st, WNOHANG), 0); /* still running */
        nanosleep(&(struct timespec){0, 5000000}, NULL);
        if (exists("a/s.sqlite") && clitest_count("a/s.sqlite", "SELECT count(*) FROM sqlite_schema WHERE name = 'trials'"))
            n = clitest_count("a/s.sqlite", "SELECT count(*) FROM trials");
    }
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFSIGNALED(st));
    n = clitest_count("a/s.sqlite", "SELECT count(*) FROM trials");
    ck_assert(n >= 2 && n < 4);
    ck_assert_int_eq(clitest_count("a/s.sqlite", "SELECT count(*) FROM runs WHERE finished IS NULL"), 1);
    ck_assert(!exists("a/r.json"));
    /* resumed: the same run, completed */
    ck_assert_int_eq(idc("cd a && " SLOWDB), 0);
    ck_assert_int_eq(clitest_count("a/s.sqlite", "SELECT count(*) FROM runs"), 1);
    ck_assert_int_eq(clitest_count("a/s.sqlite", "SELECT count(*) FROM runs WHERE status = 'ok' AND finished IS NOT NULL"), 1);
    ck_assert_int_eq(clitest_count("a/s.sqlite", "SELECT count(*) FROM trials"), 4);
    /* uninterrupted elsewhere: the same trials and numbers */
    ck_assert_int_eq(idc("cd b && " SLOWDB), 0);
    static const char *const q[] = {
        "SELECT cell, seed, run_seed, params, outcome, reason, instance_hash FROM trials ORDER BY cell",
        "SELECT t.cell, m.name, m.kind, m.value FROM measurements m JOIN trials t USING (trial_id) ORDER BY 1, 2",
        "SELECT t.cell, v.precondition, v.verdict, v.cert_hash FROM verdicts v JOIN trials t USING (trial_id) "
        "ORDER BY 1, 2",
        "SELECT hash, json FROM instances ORDER BY hash"};
    for (size_t i = 0; i < 4; i++) {
        char *da = dump("a/s.sqlite", q[i]), *db = dump("b/s.sqlite", q[i]);
        ck_assert_msg(strlen(da) > 0 && strcmp(da, db) == 0, "%s differs", q[i]);
        free(da);
        free(db);
    }
    ck_assert_int_eq(idc("cd a && idcheck audit s.sqlite --quiet"), 0);
    ck_assert_ptr_nonnull(strstr(out, "4 trial(s) re-run: 4 identical"));
}
END_TEST

/* A run recorded under another OpenBLAS core (Prescott, which every x86-64
 * CPU runs): audit re-executes itself with that core and compares bit for
 * bit; with --no-core-switch it says the figures were compared within the
 * tolerance. */
START_TEST(test_recorded_core)
{
#if defined(__x86_64__)
    ck_assert_int_eq(idc("export OPENBLAS_CORETYPE=Prescott; " PROP " --db c.sqlite"), 0);
    ck_assert_int_eq(clitest_count("c.sqlite", "SELECT count(*) FROM runs WHERE json_extract(provenance, '$.blas.core') = "
                                       "'Prescott'"),
                     1);
    ck_assert_int_eq(idc("idcheck audit c.sqlite"), 0);
    if (strstr(out, "OpenBLAS core Prescott (as recorded") == NULL)
        ck_abort_msg("audit did not run with the recorded core:\n%s", out);
    ck_assert_ptr_nonnull(strstr(out, "2 identical"));
    /* unless this process had the core already (OPENBLAS_CORETYPE=Prescott in the test's
     * environment: then audit needs no re-run and says nothing of one) */
    const char *env = getenv("OPENBLAS_CORETYPE");
    if (env == NULL || strcasecmp(env, "Prescott") != 0)
        ck_assert_ptr_nonnull(strstr(out, "re-running with --blas-core Prescott"));
    ck_assert_int_eq(idc("export OPENBLAS_CORETYPE=Haswell; idcheck audit c.sqlite --no-core-switch --quiet"), 0);
    ck_assert_ptr_nonnull(strstr(out, "2 trial(s) recorded with another core"));
#endif
}
END_TEST

/* A journal kept by a run that could not write its results, imported. */
START_TEST(test_import_journal)
{
    ck_assert_int_eq(idc("mkdir d && " PROP " -o d"), 2); /* results cannot be written: the journal is kept */
    ck_assert_int_eq(idc("ls .idcheck/runs/*.jsonl | wc -l"), 0);
    ck_assert_ptr_nonnull(strstr(out, "1"));
    ck_assert_int_eq(idc("idcheck store import .idcheck/runs/*.jsonl --db i.sqlite"), 0);
    ck_assert_ptr_nonnull(strstr(out, "2 trial(s) of K3.9c"));
    ck_assert_int_eq(clitest_count("i.sqlite", "SELECT count(*) FROM trials WHERE run_seed = '1'"), 2);
    ck_assert_int_eq(clitest_count("i.sqlite", "SELECT count(*) FROM runs WHERE json_extract(provenance, '$.imported_from') "
                                       "LIKE '.idcheck/runs/K3.9c-%'"),
                     1);
    ck_assert_int_eq(idc("idcheck audit i.sqlite"), 0);
    ck_assert_ptr_nonnull(strstr(out, "2 trial(s) re-run: 2 identical"));
    ck_assert_int_eq(idc("idcheck store info i.sqlite"), 0);
    ck_assert_ptr_nonnull(strstr(out, "1 run(s)"));
    ck_assert_ptr_nonnull(strstr(out, "status ok, 2 trial(s): INCONCLUSIVE 2"));
    ck_assert_msg(strstr(out, "schema version 2, 1 run(s)") != NULL, "%s", out);
    /* the file's version, not this build's: a store marked as schema 1 */
    ck_assert_int_eq(idc("cp i.sqlite v1.sqlite"), 0);
    clitest_sql("v1.sqlite", "PRAGMA user_version = 1");
    ck_assert_int_eq(idc("idcheck store info v1.sqlite"), 0);
    ck_assert_msg(strstr(out, "schema version 1 (this idcheck writes 2;") != NULL, "%s", out);
    /* a torn last line is skipped; garbage before it is refused */
    ck_assert_int_eq(idc("cp .idcheck/runs/*.jsonl j.jsonl && printf '{\"line\": \"x' >> j.jsonl && "
                         "idcheck store import j.jsonl --db i.sqlite"),
                     0);
    ck_assert_int_eq(clitest_count("i.sqlite", "SELECT count(*) FROM trials"), 4);
    ck_assert_int_eq(idc("head -1 j.jsonl > k.jsonl && echo garbage >> k.jsonl && tail -n +2 j.jsonl >> k.jsonl && "
                         "idcheck store import k.jsonl --db i.sqlite"),
                     2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "k.jsonl: line 2"), "stderr: %s", errtxt);
    ck_assert_int_eq(idc("echo '{\"journal\": \"other\"}' > h.jsonl && idcheck store import h.jsonl --db i.sqlite"),
                     2);
    ck_assert_ptr_nonnull(strstr(errtxt, "not an idcheck prop journal"));
    ck_assert_int_eq(clitest_count("i.sqlite", "SELECT count(*) FROM trials"), 4);
    /* a results file, with the provenance it carries: audited bit for bit */
    ck_assert_int_eq(idc(PROP " -o res.json && idcheck store import res.json --db r.sqlite"), 0);
    ck_assert_ptr_nonnull(strstr(out, "2 trial(s) of K3.9c"));
    ck_assert_int_eq(clitest_count("r.sqlite", "SELECT count(*) FROM runs WHERE json_extract(provenance, '$.blas.core') "
                                       "IS NOT NULL AND json_extract(provenance, '$.imported_from') = 'res.json'"),
                     1);
    ck_assert_int_eq(idc("idcheck audit r.sqlite"), 0);
    ck_assert_ptr_nonnull(strstr(out, "2 identical"));
    ck_assert_ptr_nonnull(strstr(out, "bit-identical"));
    ck_assert_int_eq(idc("echo '{\"trials\": []}' > nores.json && idcheck store import nores.json --db r.sqlite"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "not the results of idcheck prop"), "stderr: %s", errtxt);
    ck_assert_int_eq(idc("idcheck store import j.jsonl"), 2);
    ck_assert_int_eq(idc("idcheck store"), 2);
    ck_assert_int_eq(idc("idcheck store info nothing.sqlite"), 2);
}
END_TEST

/* The trials of a sweep (cli/sweep.c) audit as well: its bookkeeping
 * (cell, property, knobs, label) is checked against the row, not taken for
 * a difference. */
START_TEST(test_sweep_audit)
{
    ck_assert_int_eq(idc("echo '{\"idcheck_sweep\": 1, \"name\": \"tiny\", \"seed\": 3, \"seeds\": 1, "
                         "\"properties\": [\"K3.9c\"], \"params\": {\"n_train\": 200, \"n_eval\": 200, "
                         "\"steps\": 10}, \"grid\": {\"eps\": [0.1, 0.2]}}' > s.json && "
                         "idcheck sweep s.json --db s.sqlite"),
                     0);
    ck_assert_int_eq(idc("idcheck audit s.sqlite"), 0);
    ck_assert_ptr_nonnull(strstr(out, "2 trial(s) re-run: 2 identical, 0 within tolerance, 0 MISMATCH"));
    clitest_sql("s.sqlite", "UPDATE trials SET record = json_set(record, '$.cell', 'elsewhere') WHERE trial_id = 2");
    ck_assert_int_eq(idc("idcheck audit s.sqlite"), 1);
    ck_assert_ptr_nonnull(strstr(out, "record elsewhere"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("store_cli");
    TCase *tc = tcase_create("store_cli");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_prop_db_audit);
    tcase_add_test(tc, test_refused_stores);
    tcase_add_test(tc, test_full_then_resume);
    tcase_add_test(tc, test_import_journal);
    tcase_add_test(tc, test_sweep_audit);
    tcase_add_test(tc, test_kill9_resume);
    tcase_add_test(tc, test_recorded_core);
    suite_add_tcase(s, tc);
    return idc_test_run(s);
}
