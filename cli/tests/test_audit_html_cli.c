/* CLI tests of `idcheck audit report.html`: the page embeds its store;
 * audit passes on a fresh page, and fails with a clear line and a non-zero
 * exit on a number edited on the page, on edited embedded data (a store
 * whose metric was edited, put in the page without re-rendering it), on a
 * forged page rendered from an edited store, and on damaged base64; a page
 * without an embedded store is refused with exit 2. */

#include "numeric/tests/testutil.h"
#include "cli/tests/clitest.h"
#include "cli/tests/clisql.h"

#define PROP "idcheck prop K3.9c --trials 2 --n_train 200 --n_eval 200 --steps 10 --no-regressions --quiet"
#define DATA "^<script type=\"application/json\" id=\"idcheck-data\">"

static void setup(void)
{
    clitest_setup("idc_audit_html_cli");
    /* the audits' temporary stores go here, where nothing else writes */
    static char tmp[128];
    snprintf(tmp, sizeof tmp, "%s/tmp", dir);
    ck_assert_int_eq(mkdir(tmp, 0700), 0);
    ck_assert_int_eq(setenv("TMPDIR", tmp, 1), 0);
    ck_assert_int_eq(idc(PROP " --db r.sqlite"), 0);
    ck_assert_int_eq(idc("idcheck gen pdgmm --seed 3 -o inst.json && idcheck check inst.json --db r.sqlite"), 0);
    ck_assert_int_eq(idc("idcheck report r.sqlite -o rep.html"), 0);
}

static void teardown(void)
{
    clitest_teardown();
}

/* Something left behind in the audits' temporary directory. */
static int leftovers(void)
{
    return idc("test -z \"$(ls -A tmp)\"") != 0;
}

START_TEST(test_fresh_page)
{
    ck_assert_int_eq(idc("grep -c '" DATA "' rep.html"), 0);
    ck_assert_int_eq(atoi(out), 1);
    ck_assert_int_eq(idc("idcheck audit rep.html"), 0);
    ck_assert_ptr_nonnull(strstr(out, "audit: rep.html: the page is the report re-rendered from its embedded store, "
                                      "byte for byte"));
    ck_assert_ptr_nonnull(strstr(out, "2 trial(s) re-run: 2 identical"));
    ck_assert_ptr_nonnull(strstr(out, "1 record(s) re-derived (fit, check, repro): 1 identical"));
    ck_assert_ptr_nonnull(strstr(out, "audit: rep.html: the page and its embedded store check out"));
    ck_assert(!leftovers()); /* the taken-out store was removed */
    /* the same store gives the same page, embedded store included */
    ck_assert_int_eq(idc("idcheck report r.sqlite -o rep2.html && cmp rep.html rep2.html"), 0);
    /* selections and --json work on a page as on a store */
    ck_assert_int_eq(idc("idcheck audit rep.html --run 1 --quiet --json a.json"), 0);
    ck_assert_int_eq(idc("grep -q '\"store\": \"rep.html\"' a.json"), 0);
    ck_assert(!leftovers());
}
END_TEST

START_TEST(test_edited_number)
{
    /* the first trial count of the summary table, 2 -> 3, on the page only */
    ck_assert_int_eq(idc("sed '0,/<td class=\"n\">2<\\/td>/s//<td class=\"n\">3<\\/td>/' rep.html > e.html && "
                         "! cmp -s rep.html e.html"),
                     0);
    ck_assert_int_eq(idc("idcheck audit e.html"), 1);
    ck_assert_ptr_nonnull(strstr(out, "audit: e.html: MISMATCH: the page differs from the report re-rendered from its "
                                      "embedded store at line"));
    ck_assert_ptr_nonnull(strstr(out, "<td class='n'>3</td>"));
    ck_assert_ptr_nonnull(strstr(out, "audit: e.html: MISMATCH (see above)"));
    /* the data itself re-runs identically: only the page was edited */
    ck_assert_ptr_nonnull(strstr(out, "2 trial(s) re-run: 2 identical"));
    /* a certificate hash on the page */
    ck_assert_int_eq(idc("sed '0,/<code title=\"\\([0-9a-f]\\)/s//<code title=\"f\\1/' rep.html > h.html && "
                         "! cmp -s rep.html h.html && idcheck audit h.html --quiet"),
                     1);
    ck_assert(!leftovers());
}
END_TEST

START_TEST(test_edited_data)
{
    /* a metric edited in a copy of the store, whose image replaces the
     * page's embedded store (the visible page left as it was) */
    ck_assert_int_eq(idc("mkdir x && cp r.sqlite x/r.sqlite"), 0);
    clitest_sql_changed("x/r.sqlite", "UPDATE measurements SET value = value + 0.001 WHERE trial_id = 1 AND name = 'r2_out'");
    ck_assert_int_eq(idc("idcheck report x/r.sqlite -o x/rep.html && grep '" DATA "' x/rep.html > data.txt && "
                         "awk 'FNR == NR { d = $0; next } index($0, \"<script type=\\\"application/json\\\"\") == 1 "
                         "{ print d; next } { print }' data.txt rep.html "
                         "> spliced.html && ! cmp -s rep.html spliced.html"),
                     0);
    ck_assert_int_eq(idc("idcheck audit spliced.html"), 1);
    ck_assert_ptr_nonnull(strstr(out, "measurements.r2_out: stored"));
    ck_assert_ptr_nonnull(strstr(out, "audit: spliced.html: MISMATCH (see above)"));
    /* a page rendered from the edited store: consistent with its data, and
     * the re-run catches the metric */
    ck_assert_int_eq(idc("idcheck audit x/rep.html"), 1);
    ck_assert_ptr_nonnull(strstr(out, "the page is the report re-rendered from its embedded store, byte for byte"));
    ck_assert_ptr_nonnull(strstr(out, "measurements.r2_out: stored"));
    /* damaged base64: refused in one line */
    ck_assert_int_eq(idc("sed 's/\"sqlite_base64\":\"U/\"sqlite_base64\":\"*/' rep.html > b.html && "
                         "! cmp -s rep.html b.html"),
                     0);
    ck_assert_int_eq(idc("idcheck audit b.html"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "b.html") && strstr(errtxt, "not base64"), "%s", errtxt);
    /* bytes of the database changed (its header): refused, one line */
    ck_assert_int_eq(idc("sed 's/\"sqlite_base64\":\"U1FM/\"sqlite_base64\":\"U1FN/' rep.html > c.html && "
                         "! cmp -s rep.html c.html"),
                     0);
    ck_assert_int_eq(idc("idcheck audit c.html"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "c.html: its embedded store is refused"), "%s", errtxt);
    ck_assert(!leftovers());
}
END_TEST

START_TEST(test_not_a_report)
{
    ck_assert_int_eq(idc("printf '<!DOCTYPE html>\\n<html><body>hello</body></html>\\n' > plain.html"), 0);
    ck_assert_int_eq(idc("idcheck audit plain.html"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "plain.html: no embedded results store"), "%s", errtxt);
    ck_assert_int_eq(idc("idcheck audit missing.html"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "missing.html"), "%s", errtxt);
    /* a page under another name is recognised by its first bytes */
    ck_assert_int_eq(idc("cp rep.html rep.txt && idcheck audit rep.txt --quiet"), 0);
    ck_assert(!leftovers());
}
END_TEST

int main(void)
{
    Suite *s = suite_create("audit_html_cli");
    const idc_test_case cases[] = {
        {"fresh_page", test_fresh_page},
        {"edited_number", test_edited_number},
        {"edited_data", test_edited_data},
        {"not_a_report", test_not_a_report},
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
