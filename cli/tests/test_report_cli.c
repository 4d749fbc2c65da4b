/* CLI tests of `idcheck report`: every output written from a fixture store
 * (reports/tests/report_fixture.h), byte-identical on a second run, usage
 * errors, refused stores (one line, exit 2, nothing written, the store
 * unchanged), outputs replaced as one set, an empty store; a real
 * `idcheck prop --db` run reported; and the report in headless Chromium
 * (ci/report-check.sh) when chromium is installed. */
#include <sqlite3.h>

#include "cli/tests/clitest.h"
#include "reports/tests/report_fixture.h"

static char root[512]; /* the repository (ci/report-check.sh) */

static void setup(void)
{
    clitest_setup("idc_report_cli");
    ck_assert_ptr_nonnull(getcwd(root, sizeof root));
    char p[256];
    snprintf(p, sizeof p, "%s/fx.sqlite", dir);
    ck_assert_int_eq(fix_write(p), 0);
}

static void teardown(void)
{
    clitest_teardown();
}

START_TEST(test_outputs)
{
    ck_assert_int_eq(idc("idcheck report fx.sqlite -o r.html --pdf r.pdf --json r.json --csv r.csv"), 0);
    ck_assert_str_eq(out, "");
    ck_assert_ptr_nonnull(strstr(errtxt, "wrote r.html (2 runs, 10 trials)"));
    ck_assert(exists("r.html") && exists("r.pdf") && exists("r.json") && exists("r.csv"));
    ck_assert_int_eq(idc("head -c 15 r.html; echo; head -c 5 r.pdf; echo; head -c 1 r.json; echo; head -c 8 r.csv; echo"),
                     0);
    ck_assert_str_eq(out, "<!DOCTYPE html>\n%PDF-\n{\ntrial_id\n");
    /* the same store, the same bytes */
    ck_assert_int_eq(idc("idcheck report fx.sqlite -o r2.html --pdf r2.pdf --csv r2.csv && cmp r.html r2.html && "
                         "cmp r.pdf r2.pdf && cmp r.csv r2.csv"),
                     0);
    /* the PDF's text (poppler's pdftotext, installed by make deps): the
     * failed, inconclusive and discarded trials with why, the failures with
     * their replay commands */
    if (system("command -v pdftotext >/dev/null 2>&1") == 0) {
        ck_assert_int_eq(idc("pdftotext -layout r.pdf - | tr '\\n' ' ' | tr -s ' ' > r.txt && grep -o 'reason of trial [0-9]' r.txt "
                             "| sort | tr '\\n' ,"),
                         0);
        ck_assert_str_eq(out, "reason of trial 2,reason of trial 5,reason of trial 7,reason of trial 8,");
        ck_assert_int_eq(idc("grep -c 'INCONCLUSIVE run 1 trial 7' r.txt && grep -c 'Fits, checks and reproductions' r.txt"),
                         0);
    } else {
        fprintf(stderr, "test_report_cli: no pdftotext: the PDF's text is not checked\n");
    }
    /* to standard output */
    ck_assert_int_eq(idc("idcheck report fx.sqlite --csv - | head -c 9"), 0);
    ck_assert_str_eq(out, "trial_id,");
    /* nothing escapes unescaped: the only script element is the embedded
     * store's data block */
    ck_assert_int_eq(idc("grep -ci '<script' r.html"), 0);
    ck_assert_str_eq(out, "1\n");
    ck_assert_int_eq(idc("grep -c '^<script type=\"application/json\" id=\"idcheck-data\">' r.html"), 0);
    ck_assert_str_eq(out, "1\n");
}
END_TEST

START_TEST(test_usage)
{
    ck_assert_int_eq(idc("idcheck report --help"), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: idcheck report RESULTS.sqlite"));
    ck_assert_int_eq(idc("idcheck report"), 2);
    ck_assert_int_eq(idc("idcheck report fx.sqlite"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "nothing to write") != NULL);
    ck_assert_int_eq(idc("idcheck report fx.sqlite --bogus x.html"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--bogus") != NULL);
    ck_assert_int_eq(idc("idcheck report fx.sqlite -o"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "-o needs a file name") != NULL);
    ck_assert_int_eq(idc("idcheck report fx.sqlite other.sqlite -o x.html"), 2);
    ck_assert(one_line(errtxt));
    ck_assert_int_eq(idc("idcheck report fx.sqlite -o x.html --csv x.html"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "same file") != NULL);
    ck_assert_int_eq(idc("idcheck report fx.sqlite -o - --csv -"), 2);
    ck_assert(one_line(errtxt));
    ck_assert_int_eq(idc("cp fx.sqlite keep.sqlite && idcheck report fx.sqlite -o fx.sqlite"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "overwrite the results store") != NULL);
    ck_assert_int_eq(idc("idcheck report fx.sqlite --csv ./fx.sqlite"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "overwrite the results store") != NULL);
    ck_assert_int_eq(idc("ln -s fx.sqlite link.sqlite && idcheck report fx.sqlite --pdf link.sqlite"), 2);
    ck_assert_int_eq(idc("cmp fx.sqlite keep.sqlite"), 0);
    ck_assert(!exists("x.html"));
}
END_TEST

START_TEST(test_refused)
{
    /* not a database, another application's database, missing, newer schema */
    ck_assert_int_eq(idc("echo 'just some text that is not a database' > bad.sqlite && "
                         "idcheck report bad.sqlite -o x.html"),
                     2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "bad.sqlite: not an SQLite database") != NULL);
    char p[256];
    sqlite3 *db;
    snprintf(p, sizeof p, "%s/foreign.sqlite", dir);
    ck_assert_int_eq(sqlite3_open(p, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE runs(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    ck_assert_int_eq(idc("idcheck report foreign.sqlite -o x.html"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "not an idcheck results store") != NULL);
    ck_assert_int_eq(idc("idcheck report missing.sqlite -o x.html"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "missing.sqlite") != NULL);
    snprintf(p, sizeof p, "%s/fx.sqlite", dir);
    ck_assert_int_eq(sqlite3_open(p, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "PRAGMA journal_mode = DELETE; PRAGMA user_version = 7", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    ck_assert_int_eq(idc("cp fx.sqlite keep.sqlite && idcheck report fx.sqlite -o x.html --csv x.csv"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "schema version 7 is newer") != NULL);
    ck_assert_int_eq(idc("cmp fx.sqlite keep.sqlite"), 0);
    ck_assert(!exists("x.html") && !exists("x.csv"));
}
END_TEST

/* The outputs are one set: a target that cannot be written leaves every
 * other output as it was. */
START_TEST(test_one_set)
{
    ck_assert_int_eq(idc("echo old > r.csv && mkdir adir && idcheck report fx.sqlite --csv r.csv -o adir"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "adir") != NULL);
    ck_assert_int_eq(idc("cat r.csv"), 0);
    ck_assert_str_eq(out, "old\n");
}
END_TEST

START_TEST(test_empty)
{
    char p[256];
    snprintf(p, sizeof p, "%s/empty.sqlite", dir);
    idc_store *s;
    idc_err err;
    ck_assert_int_eq(idc_store_open(&s, p, IDC_STORE_WRITE, &err), IDC_OK);
    idc_store_close(s);
    ck_assert_int_eq(idc("idcheck report empty.sqlite -o e.html --pdf e.pdf && grep -c 'id=\"empty\"' e.html"), 0);
    ck_assert_str_eq(out, "1\n");
}
END_TEST

/* A reader leaves no files behind, and disturbs no writer: with no writer,
 * the index files its read-only open created are gone afterwards; with a
 * writer in another process (this one) holding the store open, the report
 * sees its committed trials, leaves its files alone, and the writer goes
 * on. */
START_TEST(test_reader_leaves_no_trace)
{
    ck_assert(!exists("fx.sqlite-wal") && !exists("fx.sqlite-shm"));
    ck_assert_int_eq(idc("idcheck report fx.sqlite -o r.html --pdf r.pdf"), 0);
    ck_assert(!exists("fx.sqlite-wal") && !exists("fx.sqlite-shm"));
    char p[256];
    snprintf(p, sizeof p, "%s/fx.sqlite", dir);
    idc_store *s;
    idc_err err;
    ck_assert_int_eq(idc_store_open(&s, p, IDC_STORE_WRITE, &err), IDC_OK);
    int64_t run;
    char *argv[] = {"idcheck", "prop", "K3.9c"};
    ck_assert_int_eq(idc_store_run_begin(s, &run, "prop", 3, argv, NULL, NULL, NULL, &err), IDC_OK);
    json_t *rec = fix_record(0);
    idc_store_trial t = {.cell = "K3.9c#0", .property = "K3.9c", .trial_index = -1, .seconds = -1, .record = rec};
    ck_assert_int_eq(idc_store_add_trial(s, run, &t, NULL, &err), IDC_OK);
    ck_assert(exists("fx.sqlite-wal") && exists("fx.sqlite-shm"));
    ck_assert_int_eq(idc("idcheck report fx.sqlite --csv c.csv && grep -c ',K3.9c#0,' c.csv"), 0);
    ck_assert_str_eq(out, "1\n");
    ck_assert(exists("fx.sqlite-wal") && exists("fx.sqlite-shm"));
    t.cell = "K3.9c#1";
    ck_assert_int_eq(idc_store_add_trial(s, run, &t, NULL, &err), IDC_OK);
    ck_assert_int_eq(idc_store_run_finish(s, run, "ok", &err), IDC_OK);
    json_decref(rec);
    idc_store_close(s);
    ck_assert_int_eq(idc("idcheck report fx.sqlite --csv c.csv && grep -c ',K3.9c#' c.csv"), 0);
    ck_assert_str_eq(out, "2\n");
}
END_TEST

/* A store written by a real run, when this idcheck's prop has --db. */
START_TEST(test_real_run)
{
    if (idc("idcheck prop --help | grep -q -- '--db'") != 0) {
        fprintf(stderr, "test_report_cli: prop has no --db: the real-run test is skipped\n");
        return;
    }
    int rc = idc("idcheck prop K3.9c --trials 2 --seed 7 --n_train 2000 --n_eval 2000 --steps 150 "
                 "--no-regressions --no-shrink --no-journal --quiet --db real.sqlite");
    ck_assert_msg(rc == 0 || rc == 1, "prop exited %d: %s", rc, errtxt); /* any verdict */
    ck_assert_int_eq(idc("idcheck report real.sqlite -o real.html --json real.json"), 0);
    ck_assert_int_eq(idc("grep -c 'id=\"fig-kl\"' real.html; grep -c '\"property\": \"K3.9c\"' real.json"), 0);
    ck_assert_str_eq(out, "1\n2\n");
    /* the page's way to verify a certificate works: its two queries (the
     * same SQL as in the verify-howto box) take a certificate and its
     * instance out of the store, and cert verify accepts them */
    static const char *const howto[2] = {
        "SELECT certificate FROM verdicts WHERE cert_hash = ?1 LIMIT 1",
        "SELECT i.json FROM instances i JOIN trials t ON t.instance_hash = i.hash JOIN verdicts v ON v.trial_id = "
        "t.trial_id WHERE v.cert_hash = ?1 LIMIT 1"};
    ck_assert_int_eq(idc("grep -c \"SELECT certificate FROM verdicts WHERE cert_hash = &#39;HASH&#39; LIMIT 1\" "
                         "real.html"),
                     0);
    char p[256];
    snprintf(p, sizeof p, "%s/real.sqlite", dir);
    sqlite3 *db;
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT cert_hash FROM verdicts WHERE precondition = 'F4' LIMIT 1", -1,
                                        &st, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    char hash[80];
    snprintf(hash, sizeof hash, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(sqlite3_prepare_v2(db, howto[k], -1, &st, NULL), SQLITE_OK);
        sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
        ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
        snprintf(p, sizeof p, "%s/%s", dir, k ? "instance.json" : "cert.json");
        FILE *fp = fopen(p, "w");
        ck_assert_ptr_nonnull(fp);
        fputs((const char *)sqlite3_column_text(st, 0), fp);
        fclose(fp);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    ck_assert_int_eq(idc("idcheck cert verify cert.json instance.json"), 0);
    ck_assert_ptr_nonnull(strstr(out, "valid    F4"));
}
END_TEST

/* The report in a browser: headless Chromium builds the DOM from the page,
 * every section and figure is in it, every figure decodes, a screenshot is
 * taken (ci/report-check.sh). Skipped (with a line) without chromium. */
START_TEST(test_chromium)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s/ci/report-check.sh %s fx.sqlite chk fig-kl fig-sweep-1 fig-corr-1 fig-corr-2 "
                              "repro-1 runs-table prov-1 outcomes-table verdicts-table",
             root, bin);
    int rc = idc(cmd);
    if (rc == 77) {
        fprintf(stderr, "test_report_cli: %s", errtxt);
        return;
    }
    ck_assert_msg(rc == 0, "report-check exited %d: %s", rc, errtxt);
    ck_assert_ptr_nonnull(strstr(out, "report-check: ok"));
    ck_assert(exists("chk/report.png"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report_cli");
    const TTest *tests[] = {test_outputs, test_usage,   test_refused,  test_one_set,
                            test_empty,   test_reader_leaves_no_trace, test_real_run, test_chromium};
    static const char *const names[] = {"outputs", "usage", "refused", "one_set",
                                        "empty",   "no_trace", "real_run", "chromium"};
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        TCase *tc = tcase_create(names[i]);
        tcase_set_timeout(tc, 240);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, tests[i]);
        suite_add_tcase(s, tc);
    }
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf;
}
