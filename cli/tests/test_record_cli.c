/* CLI tests of the records of fit, check and repro in the results store:
 * each verb writes its record with --db; audit re-derives them all on an
 * untouched store and catches a hand-edited metric or verdict of each kind;
 * a refused store leaves no output; the verbs that cannot record say so. */

#include "numeric/tests/testutil.h"
#include "cli/tests/clitest.h"
#include "cli/tests/clisql.h"

#define FIT1 "idcheck fit inst.json --estimator stage1 --steps 20 --hidden-mult 2 --batch 64 -n 300 --eval 100 --lr 1e-3"
#define FITF "idcheck fit inst.json --estimator flow --steps 20 -n 300 --eval 300"
#define FITV "idcheck fit inst.json --estimator vade --steps 20 --pretrain-steps 10 -n 300 --eval 100"
#define KIVVA "idcheck repro kivva-table2 --seeds 2 --steps1 20"
#define XT1 "idcheck repro x-table1 --rows 1 --seeds 1 --no-train"

static void setup(void)
{
    clitest_setup("idc_record_cli");
    ck_assert_int_eq(idc("idcheck gen pdgmm --seed 3 -o inst.json"), 0);
}

static void teardown(void)
{
    clitest_teardown();
}

/* The first column of the first row of q, as text (static buffer). */
static const char *text(const char *db, const char *q)
{
    static char buf[256];
    sqlite3 *h;
    sqlite3_stmt *st = clitest_query(db, q, &h);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    snprintf(buf, sizeof buf, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
    ck_assert(buf[0] != '\0');
    return buf;
}

START_TEST(test_each_verb_records)
{
    ck_assert_int_eq(idc(FIT1 " -o f1.json --db r.sqlite"), 0);
    ck_assert(exists("f1.json"));
    ck_assert_int_eq(idc(FITF " -o f2.json --db r.sqlite"), 0);
    ck_assert_int_eq(idc(FITV " -o f3.json --db r.sqlite"), 0);
    ck_assert_int_eq(idc("idcheck check inst.json --db r.sqlite"), 0);
    ck_assert_ptr_nonnull(strstr(out, "DIM    HOLDS")); /* prints as without --db */
    ck_assert_int_eq(idc(KIVVA " --db r.sqlite"), 0);
    ck_assert_int_eq(idc(XT1 " --db r.sqlite"), 0);
    ck_assert_int_eq(clitest_count("r.sqlite", "SELECT count(*) FROM runs WHERE status = 'ok' AND finished IS NOT NULL"), 6);
    ck_assert_int_eq(clitest_count("r.sqlite", "SELECT count(*) FROM records WHERE kind = 'fit'"), 3);
    ck_assert_int_eq(clitest_count("r.sqlite", "SELECT count(*) FROM records WHERE kind = 'check'"), 1);
    ck_assert_int_eq(clitest_count("r.sqlite", "SELECT count(*) FROM records WHERE kind = 'repro'"), 3);
    /* the instance by hash, the fit's seed and arguments, the weights by hash */
    ck_assert_int_eq(clitest_count("r.sqlite", "SELECT count(DISTINCT instance_hash) FROM records WHERE instance_hash IN "
                                       "(SELECT hash FROM instances)"),
                     1);
    ck_assert_int_eq(clitest_count("r.sqlite", "SELECT count(*) FROM records WHERE kind = 'fit' AND json_extract(config, "
                                       "'$.seed') = '1' AND json_extract(record, '$.weights_sha256') IS NOT NULL"),
                     2);
    ck_assert_int_eq(clitest_count("r.sqlite", "SELECT count(*) FROM records WHERE cell = 'fit flow seed 1' AND "
                                       "json_extract(record, '$.model_sha256') IS NOT NULL"),
                     1);
    ck_assert_int_eq(clitest_count("r.sqlite", "SELECT count(*) FROM records WHERE json_extract(config, '$.argv') LIKE "
                                       "'%f1.json%' OR json_extract(config, '$.argv') LIKE '%r.sqlite%'"),
                     0);
    /* the check's verdicts with their certificates */
    ck_assert(clitest_count("r.sqlite", "SELECT count(*) FROM record_verdicts WHERE verdict = 'HOLDS' AND cert_hash IS NOT "
                                "NULL") >= 10);
    ck_assert_int_eq(clitest_count("r.sqlite", "SELECT count(*) FROM record_measurements WHERE name = 'metrics.r2_out'"), 3);
    ck_assert_int_eq(clitest_count("r.sqlite", "SELECT count(*) FROM records WHERE cell = 'kivva-table2 restart 1'"), 1);

    /* audit: everything re-derived identically */
    ck_assert_int_eq(idc("idcheck audit r.sqlite"), 0);
    ck_assert_msg(strstr(out, "7 record(s) re-derived (fit, check, repro): 7 identical, 0 within tolerance, "
                              "0 MISMATCH") != NULL,
                  "%s", out);
    ck_assert_int_eq(idc("idcheck audit r.sqlite --record 4 --json a.json"), 0);
    ck_assert_ptr_nonnull(strstr(out, "1 record(s) re-derived"));
    ck_assert(exists("a.json"));

    /* the report shows them: the records table, each check's verdicts with
     * their certificate hashes, the JSON export */
    ck_assert_int_eq(idc("idcheck report r.sqlite -o rep.html --json rep.json"), 0);
    ck_assert_int_eq(idc("grep -q 'id=\"records-table\"' rep.html && grep -q '<td>fit stage1 seed 1</td>' rep.html "
                         "&& grep -q 'id=\"record-verdicts-4\"' rep.html && grep -q '<td>kivva-table2 restart 1</td>' "
                         "rep.html && grep -q '<code>metrics.r2_out</code>' rep.html"),
                     0);
    char hq[320];
    snprintf(hq, sizeof hq, "grep -q '%s' rep.html",
             text("r.sqlite", "SELECT substr(cert_hash, 1, 16) FROM record_verdicts WHERE record_id = 4 AND "
                              "precondition = 'F1'"));
    ck_assert_int_eq(idc(hq), 0);
    /* and the PDF: every record, the check's verdicts with their
     * certificate hashes (full length there) */
    if (system("command -v pdftotext >/dev/null 2>&1") == 0) {
        ck_assert_int_eq(idc("idcheck report r.sqlite --pdf rep.pdf && pdftotext -layout rep.pdf - | tr '\\n' ' ' | tr -s ' ' "
                             "> rep.txt && grep -o 'record [0-9] (run [0-9])' rep.txt | wc -l"),
                         0);
        ck_assert_int_eq(atoi(out), 7);
        snprintf(hq, sizeof hq, "grep -c 'F1 HOLDS certificate %s' rep.txt",
                 text("r.sqlite", "SELECT substr(cert_hash, 1, 40) FROM record_verdicts WHERE record_id = 4 AND "
                                  "precondition = 'F1'"));
        ck_assert_int_eq(idc(hq), 0);
        ck_assert_int_eq(idc("grep -c 'fit stage1 seed 1' rep.txt"), 0);
    }
    ck_assert_int_eq(idc("grep -c '\"record_id\"' rep.json"), 0);
    ck_assert_int_eq(atoi(out), 7);
    /* a metric of a fit edited by hand */
    clitest_sql_changed("r.sqlite", "UPDATE record_measurements SET value = value + 0.001 WHERE record_id = 1 AND "
                    "name = 'metrics.r2_out'");
    ck_assert_int_eq(idc("idcheck audit r.sqlite"), 1);
    ck_assert_ptr_nonnull(strstr(out, "record_measurements.metrics.r2_out: stored"));
    ck_assert_ptr_nonnull(strstr(out, "1 MISMATCH"));
    /* the flow fit's record */
    clitest_sql_changed("r.sqlite", "UPDATE records SET record = json_set(record, '$.estimator_conditions.kl_gap', 123.5) WHERE "
                    "record_id = 2");
    ck_assert_int_eq(idc("idcheck audit r.sqlite --record 2"), 1);
    ck_assert_ptr_nonnull(strstr(out, "record.estimator_conditions.kl_gap: stored 123.5"));
    /* a verdict of the check */
    clitest_sql_changed("r.sqlite", "UPDATE record_verdicts SET verdict = 'UNKNOWN' WHERE record_id = 4 AND precondition = 'F1'");
    ck_assert_int_eq(idc("idcheck audit r.sqlite --record 4"), 1);
    ck_assert_ptr_nonnull(strstr(out, "verdicts[F1].verdict: stored UNKNOWN, re-run HOLDS"));
    /* a certificate of the check, byte for byte */
    clitest_sql_changed("r.sqlite", "UPDATE record_verdicts SET certificate = replace(certificate, '\"', ' \"') WHERE record_id = 4 "
                    "AND precondition = 'DIM'");
    ck_assert_int_eq(idc("idcheck audit r.sqlite --record 4 --quiet"), 1);
    ck_assert_ptr_nonnull(strstr(out, "verdicts[DIM].certificate"));
    /* a reproduction's metric and certified verdict */
    clitest_sql_changed("r.sqlite", "UPDATE records SET record = json_set(record, '$.strong_mcc', 0.5) WHERE record_id = 5");
    ck_assert_int_eq(idc("idcheck audit r.sqlite --record 5"), 1);
    ck_assert_ptr_nonnull(strstr(out, "record.strong_mcc: stored 0.5"));
    clitest_sql_changed("r.sqlite", "UPDATE records SET record = json_set(record, '$.certified.population.\"A3.6\"', 'FAILS') WHERE "
                    "record_id = 7 AND json_extract(record, '$.certified.population.\"A3.6\"') = 'HOLDS'");
    ck_assert_int_eq(idc("idcheck audit r.sqlite --record 7"), 1);
    ck_assert_ptr_nonnull(strstr(out, "record.certified: stored"));
    ck_assert_int_eq(idc("idcheck audit r.sqlite --quiet"), 1);
    ck_assert_ptr_nonnull(strstr(out, "5 MISMATCH"));
    /* a record whose config cannot be re-run */
    clitest_sql_changed("r.sqlite", "UPDATE records SET config = '{\"table\": \"no-such-table\"}' WHERE record_id = 6");
    ck_assert_int_eq(idc("idcheck audit r.sqlite --record 6"), 1);
    ck_assert_ptr_nonnull(strstr(out, "NOT-RERUN"));
    ck_assert_ptr_nonnull(strstr(out, "1 not re-derived"));
}
END_TEST

/* repro flow-k39c --db (a step budget): one record per trial, audited bit
 * for bit; an edited KL gap is caught */
START_TEST(test_flow_benchmark_records)
{
    ck_assert_int_eq(idc("idcheck repro flow-k39c --trials 2 --steps 10 --seconds 0 -n 300 --eval 200 --jobs 2 "
                         "--db fk.sqlite"),
                     0);
    ck_assert_int_eq(clitest_count("fk.sqlite", "SELECT count(*) FROM records WHERE kind = 'repro' AND cell LIKE "
                                        "'flow-k39c trial %'"),
                     2);
    ck_assert_int_eq(idc("idcheck audit fk.sqlite"), 0);
    ck_assert_msg(strstr(out, "2 identical") != NULL, "%s", out);
    clitest_sql_changed("fk.sqlite", "UPDATE records SET record = json_set(record, '$.kl_gap', 0.001) WHERE cell = 'flow-k39c trial 1'");
    ck_assert_int_eq(idc("idcheck audit fk.sqlite"), 1);
    ck_assert_msg(strstr(out, "record.kl_gap: stored 0.001") != NULL && strstr(out, "1 MISMATCH") != NULL, "%s", out);
}
END_TEST

START_TEST(test_refused_and_unsupported)
{
    /* a store that is refused: one line, exit 2, no FIT.json */
    ck_assert_int_eq(idc("echo 'not a database' > bad.sqlite"), 0);
    ck_assert_int_eq(idc(FIT1 " -o f.json --db bad.sqlite"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "bad.sqlite"), "%s", errtxt);
    ck_assert(!exists("f.json"));
    ck_assert_int_eq(idc(FITF " -o f.json --db bad.sqlite"), 2);
    ck_assert(!exists("f.json"));
    ck_assert_int_eq(idc("idcheck check inst.json --db bad.sqlite"), 2);
    ck_assert(one_line(errtxt) && out[0] == '\0');
    ck_assert_int_eq(idc(KIVVA " --db bad.sqlite -o k.json"), 2);
    ck_assert(!exists("k.json"));
    ck_assert_int_eq(idc("idcheck check inst.json --db"), 2);
    /* what is not recorded says so: a timed flow benchmark */
    ck_assert_int_eq(idc("idcheck repro flow-k39c --trials 1 --db r.sqlite"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "--seconds 0"), "%s", errtxt);
    ck_assert(!exists("r.sqlite"));
    ck_assert_int_eq(idc("idcheck fit --estimator kivva-e1 --codes c.npy --J 2 -o f.json --db r.sqlite"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "--codes"), "%s", errtxt);
    /* a fit that fails: the run stays unfinished with status error */
    ck_assert_int_eq(idc("idcheck fit inst.json --estimator stage1 --hidden 0 -o f.json --db r.sqlite"), 2);
    ck_assert_int_eq(clitest_count("r.sqlite", "SELECT count(*) FROM runs WHERE status = 'error' AND finished IS NULL"), 1);
    ck_assert_int_eq(clitest_count("r.sqlite", "SELECT count(*) FROM records"), 0);
    /* a full disk: the record is not written, exit 2, nothing printed */
    ck_assert_int_eq(idc("export IDCHECK_DB_MAX_PAGES=0; idcheck check inst.json --db r.sqlite"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "full"), "%s", errtxt);
    ck_assert(out[0] == '\0');
    ck_assert_int_eq(clitest_count("r.sqlite", "SELECT count(*) FROM records"), 0);
    /* an empty store has nothing to audit */
    ck_assert_int_eq(idc("idcheck audit r.sqlite"), 2);
    ck_assert_ptr_nonnull(strstr(errtxt, "no trial or record to audit"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("record_cli");
    const idc_test_case cases[] = {
        {"each_verb_records", test_each_verb_records},
        {"flow_benchmark_records", test_flow_benchmark_records},
        {"refused_and_unsupported", test_refused_and_unsupported},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 120);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, cases[i].fn);
        suite_add_tcase(s, tc);
    }
    return idc_test_run(s);
}
