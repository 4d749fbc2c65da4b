/* Tests of the report (reports/report.h) and its figures (reports/plot.h):
 * outcome counts on a fixture store, every section and figure present,
 * escaping of hostile strings, byte-identical output from the same store,
 * refusal of foreign / non-database / newer-schema / missing files (left
 * unchanged), an empty store, the JSON and CSV exports, and the plot
 * primitives. */
#include <ctype.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "numeric/tests/testutil.h"
#include "reports/plot.h"
#include "reports/report.h"
#include "reports/tests/report_fixture.h"

static char tmpdir[64];

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/idc_report_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    idc_plot_release_caches(); /* LeakSanitizer sees only the report's own leaks */
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *tpath(const char *name)
{
    static char p[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
    return p[k];
}

static idc_report *load_fixture(void)
{
    const char *db = tpath("fx.sqlite");
    ck_assert_int_eq(fix_write(db), 0);
    idc_report *r = NULL;
    idc_err err;
    int rc = idc_report_load(&r, db, &err);
    ck_assert_msg(rc == IDC_OK, "load: %s", err.msg);
    return r;
}

/* memmem without _GNU_SOURCE */
static const void *mem_find(const void *hay, size_t n, const void *needle, size_t m)
{
    const char *h = hay;
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (memcmp(h + i, needle, m) == 0)
            return h + i;
    return NULL;
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The page embeds the store: taken out, it is a store with the same
 * trials; malformed pages are refused in one line. */
START_TEST(test_embedded_store)
{
    idc_report *r = load_fixture();
    char *html;
    size_t len;
    idc_err err;
    ck_assert_int_eq(idc_report_html(&html, &len, r, &err), IDC_OK);
    unsigned char *db = NULL;
    size_t n = 0;
    char *name = NULL;
    ck_assert_int_eq(idc_report_extract_store(html, len, &db, &n, &name, &err), IDC_OK);
    ck_assert_str_eq(name, "fx.sqlite");
    ck_assert(n > 1000 && memcmp(db, "SQLite format 3", 16) == 0);
    const char *copy = tpath("copy.sqlite");
    FILE *f = fopen(copy, "wb");
    ck_assert_uint_eq(fwrite(db, 1, n, f), n);
    fclose(f);
    idc_report *r2 = NULL;
    ck_assert_int_eq(idc_report_load(&r2, copy, &err), IDC_OK);
    ck_assert_uint_eq(idc_report_trials(r2), idc_report_trials(r));
    ck_assert_uint_eq(idc_report_runs(r2), idc_report_runs(r));
    ck_assert_uint_eq(idc_report_count(r2, NULL, "FAIL"), idc_report_count(r, NULL, "FAIL"));
    idc_report_free(r2);
    free(db);
    free(name);
    /* refused: no element, not JSON, not base64, a wrong size, a path as name, two elements */
    struct {
        const char *page, *phrase;
    } bad[] = {
        {"<html>no data</html>", "no embedded results store"},
        {"<script type=\"application/json\" id=\"idcheck-data\">{x</script>", "not JSON"},
        {"<script type=\"application/json\" id=\"idcheck-data\">{\"format\":\"idcheck-report-data\",\"version\":1,"
         "\"store\":\"a\",\"bytes\":3,\"sqlite_base64\":\"QU*D\"}</script>",
         "not base64"},
        {"<script type=\"application/json\" id=\"idcheck-data\">{\"format\":\"idcheck-report-data\",\"version\":1,"
         "\"store\":\"a\",\"bytes\":4,\"sqlite_base64\":\"QUJD\"}</script>",
         "3 bytes decoded, the page says 4"},
        {"<script type=\"application/json\" id=\"idcheck-data\">{\"format\":\"idcheck-report-data\",\"version\":1,"
         "\"store\":\"../a\",\"bytes\":3,\"sqlite_base64\":\"QUJD\"}</script>",
         "file name"},
        {"<script type=\"application/json\" id=\"idcheck-data\">{\"format\":\"other\"}</script>", "format"},
        {"<script type=\"application/json\" id=\"idcheck-data\">{}</script><script type=\"application/json\" "
         "id=\"idcheck-data\">{}</script>",
         "more than one"},
        {"<script type=\"application/json\" id=\"idcheck-data\">{}", "not closed"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(idc_report_extract_store(bad[i].page, strlen(bad[i].page), &db, &n, &name, &err), IDC_EINVAL);
        ck_assert_msg(strstr(err.msg, bad[i].phrase) != NULL && strchr(err.msg, '\n') == NULL, "%zu: %s", i, err.msg);
        ck_assert_ptr_null(db);
        ck_assert_ptr_null(name);
    }
    /* a well-formed element */
    const char *ok = "<script type=\"application/json\" id=\"idcheck-data\">{\"format\":\"idcheck-report-data\","
                     "\"version\":1,\"store\":\"a\\u003cb\",\"bytes\":3,\"sqlite_base64\":\"QUJD\"}</script>";
    ck_assert_int_eq(idc_report_extract_store(ok, strlen(ok), &db, &n, &name, &err), IDC_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert(memcmp(db, "ABC", 3) == 0);
    ck_assert_str_eq(name, "a<b");
    free(db);
    free(name);
    free(html);
    idc_report_free(r);
}
END_TEST

START_TEST(test_counts)
{
    idc_report *r = load_fixture();
    ck_assert_uint_eq(idc_report_runs(r), 2);
    ck_assert_uint_eq(idc_report_trials(r), FIX_TRIALS + 1);
    /* the counts the fixture's table implies, counted here independently */
    static const char *const outs[] = {"PASS", "FAIL", "INCONCLUSIVE", "DISCARD", "ERROR"};
    for (size_t o = 0; o < 5; o++) {
        size_t want = 0;
        for (int k = 0; k < FIX_TRIALS; k++)
            want += strcmp(FIX_OUTCOME[k], outs[o]) == 0;
        ck_assert_uint_eq(idc_report_count(r, "K3.9c", outs[o]), want);
        ck_assert_uint_eq(idc_report_count(r, NULL, outs[o]), want + (o == 0)); /* + the repro trial */
    }
    ck_assert_uint_eq(idc_report_count(r, "no-such-property", "PASS"), 0);
    /* the reader's read-only open left no index files beside the store */
    struct stat sb;
    ck_assert_int_ne(stat(tpath("fx.sqlite-wal"), &sb), 0);
    ck_assert_int_ne(stat(tpath("fx.sqlite-shm"), &sb), 0);
    idc_report_free(r);
    idc_report_free(NULL);
}
END_TEST

START_TEST(test_html_sections)
{
    idc_report *r = load_fixture();
    char *html;
    size_t len;
    idc_err err;
    ck_assert_int_eq(idc_report_html(&html, &len, r, &err), IDC_OK);
    ck_assert_uint_eq(strlen(html), len);
    ck_assert(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    ck_assert_ptr_nonnull(strstr(html, "</html>\n"));
    static const char *const ids[] = {"id=\"summary\"", "id=\"provenance\"", "id=\"runs-table\"", "id=\"prov-1\"",
                                      "id=\"outcomes\"", "id=\"outcomes-table\"", "id=\"preconditions\"",
                                      "id=\"verify-howto\"", "id=\"verdicts-table\"", "id=\"sweeps\"",
                                      "id=\"sweep-groups\"", "id=\"kl\"", "id=\"fig-kl\"", "id=\"heatmaps\"",
                                      "id=\"fig-corr-1\"", "id=\"fig-corr-2\"", "id=\"repro\"", "id=\"repro-1\"",
                                      "id=\"fig-sweep-1\""};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        ck_assert_msg(strstr(html, ids[i]) != NULL, "missing %s", ids[i]);
    ck_assert_ptr_null(strstr(html, "id=\"empty\""));
    ck_assert_ptr_null(strstr(html, "id=\"heatmaps-none\""));
    ck_assert_ptr_null(strstr(html, "id=\"kl-none\""));
    /* exactly two correlation matrices in the records, no third figure */
    ck_assert_ptr_null(strstr(html, "id=\"fig-corr-3\""));
    /* one figure per (numeric knob, measurement): eps is the only numeric
     * knob; start (random / perturbed-truth) varies too, as series */
    ck_assert_ptr_nonnull(strstr(html, "varied: eps, start (categorical)"));
    ck_assert_ptr_nonnull(strstr(html, "run 1 K3.9c: r2_out (metric) against eps over 9 trials"));
    ck_assert_ptr_nonnull(strstr(html, "run 1 K3.9c: kl_gap (estimator condition) against eps over 9 trials"));
    ck_assert_ptr_nonnull(strstr(html, "run 2 repro:x-table1: 1 trials; no parameter varies"));
    /* the replay commands of the failing trials, and their reasons */
    for (int k = 0; k < FIX_TRIALS; k++) {
        char replay[256], why[128];
        snprintf(replay, sizeof replay, "idcheck prop K3.9c --seed 5 --first %d --trials 1", k);
        snprintf(why, sizeof why, "%s reason of trial %d", FIX_OUTCOME[k], k);
        ck_assert_int_eq(strstr(html, replay) != NULL, strcmp(FIX_OUTCOME[k], "FAIL") == 0);
        ck_assert_int_eq(strstr(html, why) != NULL, strcmp(FIX_OUTCOME[k], "PASS") != 0);
    }
    /* the repro row beside the paper's value */
    ck_assert_ptr_nonnull(strstr(html, "<td>r2_stage1</td><td class=\"n\">0.99</td><td class=\"n\">0.987</td>"));
    ck_assert_ptr_nonnull(strstr(html, "<td>mcc_no_sparsity</td><td>&mdash;</td><td class=\"n\">0.55</td>"));
    /* figures are SVG in data: URIs; nothing is fetched */
    ck_assert_uint_eq(count_of(html, "<figure class=\"plot\""), count_of(html, "src=\"data:image/svg+xml;base64,"));
    ck_assert_ptr_null(strstr(html, "http://"));
    ck_assert_ptr_null(strstr(html, "https://"));
    ck_assert_ptr_null(strstr(html, "<link"));
    free(html);
    idc_report_free(r);
}
END_TEST

START_TEST(test_html_escaping)
{
    idc_report *r = load_fixture();
    char *html;
    size_t len;
    idc_err err;
    ck_assert_int_eq(idc_report_html(&html, &len, r, &err), IDC_OK);
    /* the hostile string of the parameters, the argv and the provenance
     * never appears raw: no script element but the embedded store's data
     * block */
    for (char *p = html; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    ck_assert_uint_eq(count_of(html, "<script"), 1);
    ck_assert_ptr_nonnull(strstr(html, "<script type=\"application/json\" id=\"idcheck-data\">"));
    ck_assert_ptr_null(strstr(html, FIX_HOSTILE));
    ck_assert_ptr_nonnull(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    ck_assert_ptr_nonnull(strstr(html, "&quot;quoted&quot; &amp; &#39;single&#39;"));
    free(html);
    idc_report_free(r);

    char *e = idc_report_html_escape("a<b>&\"c'\x01\xff");
    ck_assert_str_eq(e, "a&lt;b&gt;&amp;&quot;c&#39;\xEF\xBF\xBD\xEF\xBF\xBD");
    free(e);
    e = idc_report_html_escape(NULL);
    ck_assert_str_eq(e, "");
    free(e);
}
END_TEST

/* The same store gives the same bytes: rendered twice, loaded twice, and
 * with other figures drawn in between (cairo numbers surfaces process-wide). */
START_TEST(test_deterministic)
{
    idc_report *r = load_fixture();
    char *a, *b, *p1, *p2;
    size_t la, lb, lp1, lp2;
    idc_err err;
    ck_assert_int_eq(idc_report_html(&a, &la, r, &err), IDC_OK);
    idc_plot *x = idc_plot_new_xy("other", "x", "y", 0, 0);
    char *svg;
    size_t n;
    ck_assert_int_eq(idc_plot_svg(&svg, &n, x, 300, 200, &err), IDC_OK);
    free(svg);
    idc_plot_free(x);
    idc_report *r2 = NULL;
    ck_assert_int_eq(idc_report_load(&r2, tpath("fx.sqlite"), &err), IDC_OK);
    ck_assert_int_eq(idc_report_html(&b, &lb, r2, &err), IDC_OK);
    ck_assert_uint_eq(la, lb);
    ck_assert(memcmp(a, b, la) == 0);
    ck_assert_int_eq(idc_report_pdf(&p1, &lp1, r, &err), IDC_OK);
    ck_assert_int_eq(idc_report_pdf(&p2, &lp2, r2, &err), IDC_OK);
    ck_assert(lp1 > 1000 && strncmp(p1, "%PDF-", 5) == 0);
    ck_assert_uint_eq(lp1, lp2);
    ck_assert(memcmp(p1, p2, lp1) == 0);
    /* the PDF's dates are the first run's start, not the time of writing
     * (cairo 1.16 writes them as digits only) */
    sqlite3 *db;
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_open_v2(tpath("fx.sqlite"), &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT started FROM runs ORDER BY run_id LIMIT 1", -1, &st, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    char want[64] = "/CreationDate (";
    for (const char *c = (const char *)sqlite3_column_text(st, 0); *c && strlen(want) < 29; c++)
        if (isdigit((unsigned char)*c))
            strncat(want, c, 1);
    strcat(want, ")");
    sqlite3_finalize(st);
    sqlite3_close(db);
    ck_assert_uint_eq(strlen(want), 30);
    ck_assert_msg(mem_find(p1, lp1, want, strlen(want)) != NULL, "no %s in the PDF", want);
    free(a);
    free(b);
    free(p1);
    free(p2);
    idc_report_free(r);
    idc_report_free(r2);
}
END_TEST

static void file_bytes(const char *path, char **data, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    *data = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(*data, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
}

static void expect_refused(const char *path, int code, const char *phrase)
{
    idc_report *r = (idc_report *)1;
    idc_err err;
    ck_assert_int_eq(idc_report_load(&r, path, &err), code);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err.msg, path) != NULL, "message names the file: %s", err.msg);
    ck_assert_msg(strstr(err.msg, phrase) != NULL, "message \"%s\" lacks \"%s\"", err.msg, phrase);
    ck_assert_ptr_null(strchr(err.msg, '\n'));
}

START_TEST(test_refusals)
{
    /* missing */
    expect_refused(tpath("none.sqlite"), IDC_EIO, "no such results store");
    /* not SQLite */
    FILE *fp = fopen(tpath("text.sqlite"), "w");
    fputs("hello, not a database at all, but long enough to have a header\n", fp);
    fclose(fp);
    expect_refused(tpath("text.sqlite"), IDC_EINVAL, "not an SQLite database");
    /* another application's SQLite file */
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(tpath("foreign.sqlite"), &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    expect_refused(tpath("foreign.sqlite"), IDC_EINVAL, "not an idcheck results store");
    /* a newer schema: refused and left byte for byte as it was */
    const char *newer = tpath("newer.sqlite");
    ck_assert_int_eq(fix_write(newer), 0);
    ck_assert_int_eq(sqlite3_open(newer, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "PRAGMA journal_mode = DELETE; PRAGMA user_version = 3", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    char *before, *after;
    size_t lb, la;
    file_bytes(newer, &before, &lb);
    expect_refused(newer, IDC_EINVAL, "newer");
    file_bytes(newer, &after, &la);
    ck_assert(lb == la && memcmp(before, after, lb) == 0);
    free(before);
    free(after);
}
END_TEST

START_TEST(test_empty_store)
{
    const char *path = tpath("empty.sqlite");
    idc_store *s;
    idc_err err;
    ck_assert_int_eq(idc_store_open(&s, path, IDC_STORE_WRITE, &err), IDC_OK);
    idc_store_close(s);
    idc_report *r = NULL;
    ck_assert_int_eq(idc_report_load(&r, path, &err), IDC_OK);
    ck_assert_uint_eq(idc_report_runs(r), 0);
    ck_assert_uint_eq(idc_report_trials(r), 0);
    char *html, *pdf, *js, *csv;
    size_t n;
    ck_assert_int_eq(idc_report_html(&html, &n, r, &err), IDC_OK);
    ck_assert_ptr_nonnull(strstr(html, "id=\"empty\""));
    ck_assert_ptr_nonnull(strstr(html, "This results store is empty"));
    ck_assert_ptr_nonnull(strstr(html, "id=\"kl-none\""));
    ck_assert_ptr_nonnull(strstr(html, "id=\"heatmaps-none\""));
    ck_assert_ptr_nonnull(strstr(html, "id=\"repro-none\""));
    ck_assert_ptr_null(strstr(html, "<figure"));
    ck_assert_ptr_nonnull(strstr(html, "</html>"));
    ck_assert_int_eq(idc_report_pdf(&pdf, &n, r, &err), IDC_OK);
    ck_assert(strncmp(pdf, "%PDF-", 5) == 0);
    ck_assert_ptr_nonnull(mem_find(pdf, n, "/CreationDate (20000101000000)", 30)); /* no run: the fixed date */
    ck_assert_int_eq(idc_report_json(&js, &n, r, &err), IDC_OK);
    json_t *j = json_loads(js, 0, NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(j, "trials")), 0);
    json_decref(j);
    ck_assert_int_eq(idc_report_csv(&csv, &n, r, &err), IDC_OK);
    ck_assert_uint_eq(count_of(csv, "\r\n"), 1); /* the header only */
    free(html);
    free(pdf);
    free(js);
    free(csv);
    idc_report_free(r);
}
END_TEST

START_TEST(test_exports)
{
    idc_report *r = load_fixture();
    char *js, *csv;
    size_t n;
    idc_err err;
    ck_assert_int_eq(idc_report_json(&js, &n, r, &err), IDC_OK);
    json_error_t je;
    json_t *j = json_loads(js, 0, &je);
    ck_assert_msg(j != NULL, "JSON export: %s", je.text);
    ck_assert_str_eq(json_string_value(json_object_get(j, "format")), "idcheck-trials");
    json_t *trials = json_object_get(j, "trials");
    ck_assert_uint_eq(json_array_size(trials), FIX_TRIALS + 1);
    for (int k = 0; k < FIX_TRIALS; k++) {
        json_t *t = json_array_get(trials, (size_t)k); /* run 1 first, in trial order */
        ck_assert_int_eq(json_integer_value(json_object_get(t, "trial_index")), k);
        ck_assert_str_eq(json_string_value(json_object_get(t, "outcome")), FIX_OUTCOME[k]);
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(t, "params"), "tag")), FIX_HOSTILE);
        ck_assert(json_real_value(json_object_get(json_object_get(t, "measurements"), "kl_gap")) == fix_kl(k));
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(t, "verdicts"), "P1nd")),
                         strcmp(FIX_OUTCOME[k], "DISCARD") == 0 ? "FAILS" : "HOLDS");
    }
    json_decref(j);
    ck_assert_int_eq(idc_report_csv(&csv, &n, r, &err), IDC_OK);
    ck_assert_uint_eq(count_of(csv, "\r\n"), FIX_TRIALS + 2);
    ck_assert(strncmp(csv, "trial_id,run_id,cell,property,trial_index,seed,params,", 54) == 0);
    ck_assert_ptr_nonnull(strstr(csv, ",kl_gap,"));
    /* the params field quoted, its quotes doubled (RFC 4180) */
    ck_assert_ptr_nonnull(strstr(csv, "\"\"tag\"\":\"\"<script>alert(1)</script> \\\"\"quoted\\\"\" & 'single'\"\""));
    free(js);
    free(csv);
    idc_report_free(r);
}
END_TEST

/* A sweep's paper numbers beside the run's measurements: per case, per
 * knob value, the measurement of the same name or the one the paper's
 * column stands for (mcc_stage2: X3.9's mcc_out, r2_stage1: X3.7's r2_out). */
START_TEST(test_repro_sweep)
{
    const char *db = tpath("sweep.sqlite");
    ck_assert_int_eq(fix_write_sweep(db), 0);
    idc_report *r = NULL;
    idc_err err;
    ck_assert_int_eq(idc_report_load(&r, db, &err), IDC_OK);
    char *html, *pdf;
    size_t n;
    ck_assert_int_eq(idc_report_html(&html, &n, r, &err), IDC_OK);
    ck_assert_ptr_nonnull(strstr(html, "id=\"repro-sweep-1\""));
    ck_assert_ptr_null(strstr(html, "id=\"repro-none\""));
    /* the rows, with the means computed here */
    struct {
        const char *setting, *quantity, *paper, *from;
        int prop, th0, th1;
    } want[] = {{"case=row1", "r2_stage1", "0.93", "X3.7: r2_out", 0, 15, 30},
                {"case=row1", "mcc_stage2", "0.96", "X3.9: mcc_out", 1, 15, 30},
                {"theta=15", "mcc_stage2", "0.83", "X3.9: mcc_out", 1, 15, 15},
                {"theta=30", "mcc_stage2", "0.6", "X3.9: mcc_out", 1, 30, 30}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        double sum = 0, lo = INFINITY, hi = -INFINITY;
        int cnt = 0;
        for (int th = want[i].th0; th <= want[i].th1; th += 15)
            for (int sd = 0; sd < 2; sd++, cnt++) {
                double v = fix_sweep_value(want[i].prop, th, sd);
                sum += v;
                lo = fmin(lo, v);
                hi = fmax(hi, v);
            }
        char row[512];
        snprintf(row, sizeof row,
                 "<tr><td>%s</td><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%.6g</td><td class=\"n\">"
                 "%.6g&ndash;%.6g</td><td class=\"n\">%d</td><td><span class=\"PASS\">%d passed</span>, <span "
                 "class=\"INCONCLUSIVE\">%d inconclusive</span></td><td>%s</td></tr>",
                 want[i].setting, want[i].quantity, want[i].paper, sum / cnt, lo, hi, cnt, cnt / 2, cnt / 2,
                 want[i].from);
        ck_assert_msg(strstr(html, row) != NULL, "missing row %s", row);
    }
    ck_assert_int_eq(idc_report_pdf(&pdf, &n, r, &err), IDC_OK);
    free(html);
    free(pdf);
    idc_report_free(r);
}
END_TEST

START_TEST(test_plot)
{
    idc_err err;
    /* log axes hide what they cannot draw */
    idc_plot *p = idc_plot_new_xy("t", "x", "y", 1, 1);
    ck_assert_ptr_nonnull(p);
    int s = idc_plot_series(p, "a", IDC_PLOT_CIRCLE, 9, 1);
    ck_assert_int_eq(s, 0);
    ck_assert_int_eq(idc_plot_point(p, s, 1, 1), IDC_OK);
    ck_assert_int_eq(idc_plot_point(p, s, -1, 1), IDC_OK);
    ck_assert_int_eq(idc_plot_point(p, s, 1, 0), IDC_OK);
    ck_assert_int_eq(idc_plot_point(p, s, NAN, 1), IDC_OK);
    ck_assert_int_eq(idc_plot_bar(p, s, 2, 0.5, 1, 2), IDC_OK);
    ck_assert_uint_eq(idc_plot_hidden(p), 3);
    /* bad arguments */
    ck_assert_int_eq(idc_plot_point(p, 1, 1, 1), IDC_EINVAL);
    ck_assert_int_eq(idc_plot_bar(p, s, 1, 2, 1, 0), IDC_EINVAL);
    ck_assert_int_eq(idc_plot_band(p, 2, 1, IDC_PLOT_SHADE_HOLDS), IDC_EINVAL);
    ck_assert_int_eq(idc_plot_band(p, 0.5, 3, IDC_PLOT_SHADE_FAILS), IDC_OK);
    ck_assert_int_eq(idc_plot_extend_x(p, 100), IDC_OK);
    ck_assert_int_eq(idc_plot_extend_x(p, -1), IDC_OK); /* ignored on a log axis */
    ck_assert_uint_eq(idc_plot_hidden(p), 3);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(idc_plot_note(p, "note"), IDC_OK);
    ck_assert_int_eq(idc_plot_note(p, "a fifth"), IDC_EINVAL);
    char *a, *b;
    size_t la, lb;
    ck_assert_int_eq(idc_plot_svg(&a, &la, p, 100, 400, &err), IDC_EINVAL);
    ck_assert_ptr_null(a);
    ck_assert_int_eq(idc_plot_svg(&a, &la, p, 500, 400, &err), IDC_OK);
    ck_assert(strstr(a, "<svg") != NULL && strstr(a, "</svg>") != NULL);
    ck_assert_int_eq(idc_plot_svg(&b, &lb, p, 500, 400, &err), IDC_OK);
    ck_assert(la == lb && memcmp(a, b, la) == 0); /* surface ids renumbered */
    free(b);
    /* the font caches released, then rebuilt: the same glyphs, the same bytes */
    idc_plot_release_caches();
    ck_assert_int_eq(idc_plot_svg(&b, &lb, p, 500, 400, &err), IDC_OK);
    ck_assert(la == lb && memcmp(a, b, la) == 0);
    ck_assert_ptr_nonnull(strstr(a, "id=\"surface1\""));
    free(a);
    free(b);
    idc_plot_free(p);
    /* heatmaps */
    double m[6] = {1, 0.5, 0, NAN, 0.25, 0.75};
    ck_assert_ptr_null(idc_plot_new_heatmap("h", "x", "y", "r", "c", m, 0, 3, 0, 1));
    ck_assert_ptr_null(idc_plot_new_heatmap("h", "x", "y", "r", "c", m, 2, 3, 1, 1));
    idc_plot *h = idc_plot_new_heatmap("h", "x", "y", "r", "c", m, 2, 3, 0, 1);
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(idc_plot_series(h, "x", IDC_PLOT_CIRCLE, 0, 0), -1);
    ck_assert_int_eq(idc_plot_band(h, 0, 1, IDC_PLOT_SHADE_HOLDS), IDC_EINVAL);
    ck_assert_int_eq(idc_plot_extend_x(h, 1), IDC_EINVAL);
    ck_assert_int_eq(idc_plot_svg(&a, &la, h, 400, 300, &err), IDC_OK);
    ck_assert(la > 1000);
    free(a);
    idc_plot_free(h);
    idc_plot_free(NULL);
    /* cleaning */
    char *c = idc_plot_utf8_clean("ok \xc3\xa9 \xc3 \xed\xa0\x80 \xc0\xaf\t\n\x7f", (size_t)-1);
    ck_assert_str_eq(c, "ok \xc3\xa9 \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\t\n"
                        "\xEF\xBF\xBD");
    free(c);
    c = idc_plot_utf8_clean("a\0b", 3);
    ck_assert_str_eq(c, "a\xEF\xBF\xBD" "b");
    free(c);
}
END_TEST

/* The in-memory stream cairo writes into: chunks are appended in order,
 * the buffer stays NUL-terminated and grows past its first 64 KiB. */
START_TEST(test_mem_write)
{
    idc_plot_membuf m = {0};
    unsigned char chunk[1000];
    for (size_t i = 0; i < sizeof chunk; i++)
        chunk[i] = (unsigned char)('a' + i % 26);
    for (int k = 0; k < 100; k++)
        ck_assert_int_eq(idc_plot_mem_write(&m, chunk, (unsigned)sizeof chunk), CAIRO_STATUS_SUCCESS);
    ck_assert_uint_eq(m.len, 100000);
    ck_assert(m.cap > m.len && m.buf[m.len] == '\0' && !m.oom);
    for (size_t i = 0; i < m.len; i += 997)
        ck_assert_int_eq(m.buf[i], 'a' + (int)((i % 1000) % 26));
    ck_assert_int_eq(idc_plot_mem_write(&m, chunk, 0), CAIRO_STATUS_SUCCESS);
    ck_assert_uint_eq(m.len, 100000);
    free(m.buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report");
    const idc_test_case cases[] = {
        {"counts", test_counts},         {"html_sections", test_html_sections}, {"html_escaping", test_html_escaping},
        {"deterministic", test_deterministic}, {"refusals", test_refusals},  {"empty_store", test_empty_store},
        {"exports", test_exports},       {"repro_sweep", test_repro_sweep}, {"plot", test_plot},
        {"mem_write", test_mem_write},   {"embedded_store", test_embedded_store}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 60);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, cases[i].fn);
        suite_add_tcase(s, tc);
    }
    return idc_test_run(s);
}
