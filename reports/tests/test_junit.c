/* Tests of reports/junit.h: the XML is parsed back by a minimal
 * well-formedness checker written here (balanced elements, quoted
 * attributes, only the five entities and numeric references, no raw '<' or
 * '&' in text), the counts in the attributes agree with the elements, hostile
 * strings round-trip through escaping, TAP 13 output has a plan matching its
 * test lines, and an `idcheck prop` results object maps to one case per
 * trial. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "numeric/tests/testutil.h"
#include "reports/junit.h"

typedef struct {
    size_t testsuites, testsuite, testcase, failure, error, skipped, property;
    char first_failure_message[1024];
    char first_failure_text[1024];
    char first_testcase_name[1024];
    char why[128];
} xml_stats;

/* Decodes an entity at *p (pointing at '&') into out; returns its length or 0. */
static size_t entity(const char *p, char *out)
{
    static const char *const names[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    static const char chars[] = "&<>\"'";
    for (int i = 0; i < 5; i++)
        if (strncmp(p, names[i], strlen(names[i])) == 0) {
            *out = chars[i];
            return strlen(names[i]);
        }
    if (p[1] == '#') {
        char *end;
        long v = strtol(p + 2, &end, 10);
        if (end > p + 2 && *end == ';' && v > 0 && v < 128) {
            *out = (char)v;
            return (size_t)(end - p) + 1;
        }
    }
    return 0;
}

/* Copies text up to `stop` (exclusive) decoding entities; 0 when malformed. */
static int decode(const char **pp, char stop, char *out, size_t cap)
{
    const char *p = *pp;
    size_t n = 0;
    while (*p && *p != stop) {
        char c = *p;
        if (c == '<' || (stop == '"' && c == '"'))
            return 0;
        if (c == '&') {
            size_t len = entity(p, &c);
            if (len == 0)
                return 0;
            p += len;
        } else {
            p++;
        }
        if (out && n + 1 < cap)
            out[n++] = c;
    }
    if (out && cap)
        out[n] = '\0';
    *pp = p;
    return *p == stop;
}

static int bad_xml(xml_stats *st, const char *why)
{
    snprintf(st->why, sizeof st->why, "%s", why);
    return 0;
}

static int xml_check(const char *xml, xml_stats *st)
{
    memset(st, 0, sizeof *st);
    const char *p = xml;
    if (strncmp(p, "<?xml ", 6) != 0)
        return bad_xml(st, "no declaration");
    p = strstr(p, "?>");
    if (p == NULL)
        return bad_xml(st, "unterminated declaration");
    p += 2;
    char stack[16][32];
    int depth = 0, seen_root = 0;
    char cur[32] = "";
    while (*p) {
        if (*p != '<') {
            char text[1024];
            if (!decode(&p, '<', text, sizeof text) && *p != '\0')
                return bad_xml(st, "bad text");
            if (depth == 0 && strspn(text, " \n") != strlen(text))
                return bad_xml(st, "text outside the root");
            if (strcmp(cur, "failure") == 0 && st->failure == 1 && st->first_failure_text[0] == '\0')
                snprintf(st->first_failure_text, sizeof st->first_failure_text, "%s", text);
            continue;
        }
        p++;
        int closing = *p == '/';
        if (closing)
            p++;
        char name[32];
        size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz");
        if (n == 0 || n >= sizeof name)
            return bad_xml(st, "bad element name");
        memcpy(name, p, n);
        name[n] = '\0';
        p += n;
        if (closing) {
            if (depth == 0 || strcmp(stack[depth - 1], name) != 0 || *p != '>')
                return bad_xml(st, "unbalanced close");
            depth--;
            p++;
            cur[0] = '\0';
            continue;
        }
        if (depth == 0 && seen_root)
            return bad_xml(st, "two roots");
        seen_root = 1;
        size_t *cnt = strcmp(name, "testsuites") == 0  ? &st->testsuites
                      : strcmp(name, "testsuite") == 0 ? &st->testsuite
                      : strcmp(name, "testcase") == 0  ? &st->testcase
                      : strcmp(name, "failure") == 0   ? &st->failure
                      : strcmp(name, "error") == 0     ? &st->error
                      : strcmp(name, "skipped") == 0   ? &st->skipped
                      : strcmp(name, "property") == 0  ? &st->property
                                                       : NULL;
        if (cnt != NULL)
            (*cnt)++;
        /* attributes */
        for (;;) {
            p += strspn(p, " ");
            if (*p == '>' || (*p == '/' && p[1] == '>'))
                break;
            char an[32];
            n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
            if (n == 0 || n >= sizeof an || p[n] != '=' || p[n + 1] != '"')
                return bad_xml(st, "bad attribute");
            memcpy(an, p, n);
            an[n] = '\0';
            p += n + 2;
            char val[1024];
            if (!decode(&p, '"', val, sizeof val))
                return bad_xml(st, "bad attribute value");
            p++;
            if (strcmp(name, "failure") == 0 && strcmp(an, "message") == 0 && st->failure == 1)
                snprintf(st->first_failure_message, sizeof st->first_failure_message, "%s", val);
            if (strcmp(name, "testcase") == 0 && strcmp(an, "name") == 0 && st->testcase == 1)
                snprintf(st->first_testcase_name, sizeof st->first_testcase_name, "%s", val);
        }
        if (*p == '/') {
            p += 2;
            continue;
        }
        p++;
        if (depth == 16)
            return bad_xml(st, "too deep");
        snprintf(stack[depth++], sizeof stack[0], "%s", name);
        snprintf(cur, sizeof cur, "%s", name);
    }
    if (depth != 0 || !seen_root)
        return bad_xml(st, "unclosed elements");
    return 1;
}

/* The integer value of attribute `attr` of the first element `elem`. */
static long attr_of(const char *xml, const char *elem, const char *attr)
{
    char pat[64];
    snprintf(pat, sizeof pat, "<%s ", elem);
    const char *e = strstr(xml, pat);
    if (e == NULL)
        return -1;
    const char *end = strchr(e, '>');
    snprintf(pat, sizeof pat, " %s=\"", attr);
    const char *a = strstr(e, pat);
    return a && a < end ? strtol(a + strlen(pat), NULL, 10) : -1;
}

static const char hostile[] = "a<b & c>d \"q\" 'a' ]]> \x01 tab\there\nline2 caf\xc3\xa9 bad\xff end";

START_TEST(test_escape)
{
    char *e = idc_junit_xml_escape("<&>\"'");
    ck_assert_str_eq(e, "&lt;&amp;&gt;&quot;&apos;");
    free(e);
    e = idc_junit_xml_escape("x\ny\x02z\xc3\xa9\xff");
    ck_assert_str_eq(e, "x&#10;y\xEF\xBF\xBDz\xc3\xa9\xEF\xBF\xBD");
    free(e);
    e = idc_junit_xml_escape(NULL);
    ck_assert_str_eq(e, "");
    free(e);
}
END_TEST

static idc_junit *sample_report(void)
{
    idc_junit *j = idc_junit_new("suite <all>");
    ck_assert_ptr_nonnull(j);
    json_t *props = json_pack("{s:s,s:i,s:{s:f}}", "run_seed", "0x1", "n", 3, "params", "x", 0.5);
    ck_assert_int_eq(idc_junit_suite(j, "S&1", props), IDC_OK);
    json_decref(props);
    ck_assert_int_eq(idc_junit_case(j, "c.S1", hostile, 0.25, IDC_JUNIT_PASS, NULL, NULL), IDC_OK);
    ck_assert_int_eq(idc_junit_case(j, "c.S1", "fails # hash", 1.5, IDC_JUNIT_FAILURE, hostile, "replay: x <y>\nmore"),
                     IDC_OK);
    ck_assert_int_eq(idc_junit_case(j, "c.S1", "skipped one", -1, IDC_JUNIT_SKIPPED, "pre is UNKNOWN", NULL), IDC_OK);
    ck_assert_int_eq(idc_junit_suite(j, "S2", NULL), IDC_OK);
    ck_assert_int_eq(idc_junit_case(j, NULL, "errs", 0, IDC_JUNIT_ERROR, "out of memory", NULL), IDC_OK);
    ck_assert_int_eq(idc_junit_case(j, NULL, "fails again", 0, IDC_JUNIT_FAILURE, NULL, NULL), IDC_OK);
    return j;
}

START_TEST(test_xml_well_formed_and_counts)
{
    idc_junit *j = sample_report();
    size_t t, f, e, s;
    idc_junit_counts(j, &t, &f, &e, &s);
    ck_assert_uint_eq(t, 5);
    ck_assert_uint_eq(f, 2);
    ck_assert_uint_eq(e, 1);
    ck_assert_uint_eq(s, 1);
    char *xml = idc_junit_xml(j);
    xml_stats st;
    ck_assert_msg(xml_check(xml, &st), "%s\n%s", st.why, xml);
    ck_assert_uint_eq(st.testsuites, 1);
    ck_assert_uint_eq(st.testsuite, 2);
    ck_assert_uint_eq(st.testcase, 5);
    ck_assert_uint_eq(st.failure, 2);
    ck_assert_uint_eq(st.error, 1);
    ck_assert_uint_eq(st.skipped, 1);
    ck_assert_uint_eq(st.property, 3);
    ck_assert_int_eq(attr_of(xml, "testsuites", "tests"), 5);
    ck_assert_int_eq(attr_of(xml, "testsuites", "failures"), 2);
    ck_assert_int_eq(attr_of(xml, "testsuites", "errors"), 1);
    ck_assert_int_eq(attr_of(xml, "testsuites", "skipped"), 1);
    ck_assert_int_eq(attr_of(xml, "testsuite", "tests"), 3);
    ck_assert_int_eq(attr_of(xml, "testsuite", "failures"), 1);
    /* Hostile strings come back unchanged but for the characters XML 1.0
     * cannot carry (the control \x01 and the invalid byte \xff -> U+FFFD). */
    char want[256];
    snprintf(want, sizeof want, "%s", hostile);
    char *c1 = strchr(want, '\x01');
    memmove(c1 + 3, c1 + 1, strlen(c1 + 1) + 1);
    memcpy(c1, "\xEF\xBF\xBD", 3);
    char *ff = strchr(want, '\xff');
    memmove(ff + 3, ff + 1, strlen(ff + 1) + 1);
    memcpy(ff, "\xEF\xBF\xBD", 3);
    ck_assert_str_eq(st.first_testcase_name, want);
    ck_assert_str_eq(st.first_failure_message, want);
    ck_assert_str_eq(st.first_failure_text, "replay: x <y>\nmore");
    free(xml);
    /* Written atomically, byte-identical to the rendering. */
    char dir[] = "/tmp/idc_junit_XXXXXX", path[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/r.xml", dir);
    idc_err err;
    ck_assert_int_eq(idc_junit_write_xml(j, path, &err), IDC_OK);
    FILE *fp = fopen(path, "r");
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    xml = idc_junit_xml(j);
    ck_assert_str_eq(buf, xml);
    free(xml);
    ck_assert_int_eq(idc_junit_write_xml(j, "/proc/nope/r.xml", &err), IDC_EIO);
    unlink(path);
    rmdir(dir);
    idc_junit_free(j);
    idc_junit_free(NULL);
    /* An empty report is well formed too. */
    j = idc_junit_new(NULL);
    xml = idc_junit_xml(j);
    ck_assert(xml_check(xml, &st));
    ck_assert_uint_eq(st.testcase, 0);
    free(xml);
    idc_junit_free(j);
}
END_TEST

START_TEST(test_tap)
{
    idc_junit *j = sample_report();
    char *tap = idc_junit_tap(j);
    ck_assert(strncmp(tap, "TAP version 13\n1..5\n", 20) == 0);
    /* Test lines numbered 1..5 in order, one per case; YAML blocks closed. */
    size_t num = 0, ok = 0, notok = 0, yaml_open = 0, yaml_close = 0;
    char *save = NULL, *copy = strdup(tap);
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        long k = -1;
        if (strncmp(l, "ok ", 3) == 0) {
            ok++;
            k = strtol(l + 3, NULL, 10);
        } else if (strncmp(l, "not ok ", 7) == 0) {
            notok++;
            k = strtol(l + 7, NULL, 10);
        } else if (strcmp(l, "  ---") == 0) {
            yaml_open++;
        } else if (strcmp(l, "  ...") == 0) {
            yaml_close++;
        } else {
            ck_assert_msg(strncmp(l, "TAP", 3) == 0 || strncmp(l, "1..", 3) == 0 || strncmp(l, "  ", 2) == 0,
                          "stray line: %s", l);
        }
        if (k >= 0)
            ck_assert_int_eq(k, (long)++num);
    }
    free(copy);
    ck_assert_uint_eq(num, 5);
    ck_assert_uint_eq(ok, 2); /* pass + skip */
    ck_assert_uint_eq(notok, 3);
    ck_assert_uint_eq(yaml_open, 3);
    ck_assert_uint_eq(yaml_close, 3);
    ck_assert(strstr(tap, "ok 3 - S&1: skipped one # SKIP pre is UNKNOWN\n") != NULL);
    ck_assert(strstr(tap, "not ok 2 - S&1: fails \\# hash\n") != NULL);   /* '#' escaped */
    ck_assert(strstr(tap, "ok 1 - S&1: a<b & c>d \"q\" 'a' ]]> \x01 tab\there line2") != NULL); /* newline folded */
    ck_assert(strstr(tap, "  detail: \"replay: x <y>\\nmore\"\n") != NULL);
    ck_assert(strstr(tap, "  message: \"a<b & c>d \\\"q\\\"") != NULL);
    ck_assert(strstr(tap, "  severity: error\n") != NULL);
    free(tap);
    idc_junit_free(j);
}
END_TEST

START_TEST(test_prop_results)
{
    json_t *res = json_loads(
        "{\"property\": \"K3.9a\", \"run_seed\": \"0x0000000000000007\", \"params\": {\"m\": 3},"
        " \"regressions\": [{\"regression\": 0, \"run_seed\": \"0x0000000000000002\", \"trial\": 5,"
        "   \"seed\": \"0xaa\", \"outcome\": \"FAIL\", \"why\": \"r2 < 0.9\", \"replay\": \"idcheck prop K3.9a --replay 0x2:5\"},"
        "  {\"regression\": 1, \"run_seed\": \"0x3\", \"trial\": 1, \"seed\": \"0xbb\", \"outcome\": \"STALE\", \"why\": \"params.gone\"}],"
        " \"trials\": [{\"trial\": 0, \"seed\": \"0x01\", \"outcome\": \"PASS\", \"wall_seconds\": 0.5},"
        "  {\"trial\": 1, \"seed\": \"0x02\", \"outcome\": \"FAIL\", \"why\": \"r2_out 0.5 < r2_min 0.9\","
        "   \"replay\": \"idcheck prop K3.9a --replay 0x7:1\", \"shrink\": {\"steps\": 4, \"changed\": {\"m\": 1},"
        "   \"why\": \"r2_out 0.1 < r2_min 0.9\", \"replay\": \"idcheck prop K3.9a --replay 0x7:1 --m 1\"}},"
        "  {\"trial\": 2, \"seed\": \"0x03\", \"outcome\": \"DISCARD\", \"why\": \"F2 is UNKNOWN\"},"
        "  {\"trial\": 3, \"seed\": \"0x04\", \"outcome\": \"ERROR\", \"error\": \"out of memory\"}]}",
        0, NULL);
    ck_assert_ptr_nonnull(res);
    idc_junit *j = idc_junit_new("idcheck prop");
    idc_err err;
    ck_assert_int_eq(idc_junit_add_prop_results(j, res, &err), IDC_OK);
    size_t t, f, e, s;
    idc_junit_counts(j, &t, &f, &e, &s);
    ck_assert_uint_eq(t, 6);
    ck_assert_uint_eq(f, 2);
    ck_assert_uint_eq(e, 1);
    ck_assert_uint_eq(s, 2);
    char *xml = idc_junit_xml(j);
    xml_stats st;
    ck_assert_msg(xml_check(xml, &st), "%s", st.why);
    ck_assert_uint_eq(st.testcase, 6);
    ck_assert_str_eq(st.first_testcase_name, "regression 0 trial 5 run_seed=0x0000000000000002");
    ck_assert(strstr(xml, "name=\"trial 1 seed=0x02\"") != NULL);
    ck_assert(strstr(xml, "message=\"r2_out 0.5 &lt; r2_min 0.9\"") != NULL);
    ck_assert(strstr(xml, "replay minimal: idcheck prop K3.9a --replay 0x7:1 --m 1") != NULL);
    ck_assert(strstr(xml, "<skipped message=\"discarded: F2 is UNKNOWN\"/>") != NULL);
    ck_assert(strstr(xml, "<skipped message=\"stale regression: params.gone\"/>") != NULL);
    ck_assert(strstr(xml, "classname=\"idcheck.prop.K3.9a\"") != NULL);
    ck_assert(strstr(xml, "<property name=\"run_seed\" value=\"0x0000000000000007\"/>") != NULL);
    free(xml);
    json_t *bad = json_pack("{s:i}", "trials", 1);
    ck_assert_int_eq(idc_junit_add_prop_results(j, bad, &err), IDC_EINVAL);
    json_decref(bad);
    idc_junit_free(j);
    json_decref(res);
}
END_TEST

int main(void)
{
    const idc_test_case cases[] = {
        {"escape", test_escape},
        {"xml_well_formed_and_counts", test_xml_well_formed_and_counts},
        {"tap", test_tap},
        {"prop_results", test_prop_results},
    };
    Suite *s = suite_create("junit");
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 30);
    return idc_test_run(s);
}
