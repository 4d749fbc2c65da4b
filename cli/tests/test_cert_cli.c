/* End-to-end tests of `idcheck cert verify` on check reports, as a hostile
 * user tampers with them (issue 14 items 0 and 3): a report written by
 * `idcheck check --json` for a small generated instance verifies; edited
 * with Jansson (a certificate nulled or deleted, a verdict flipped, an
 * entry relabelled, the model hash zeroed, a certificate behind an
 * UNKNOWN, a theorem row or strongest class edited, an entry deleted under
 * its theorem row) it exits 1 with a one-line reason naming the entry or
 * row; a report of
 * UNKNOWN entries only exits 0 and says there is nothing to verify. The
 * binary is $IDCHECK_BIN (set by `make check`) or build/idcheck. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "numeric/tests/testutil.h"
#include "cli/tests/clitest.h"




static json_t *load(const char *name)
{
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    json_error_t je;
    json_t *r = json_load_file(p, 0, &je);
    ck_assert_msg(r != NULL, "%s: %s", name, je.text);
    return r;
}

static void save(const json_t *r, const char *name)
{
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    ck_assert_int_eq(json_dump_file(r, p, JSON_INDENT(1) | JSON_PRESERVE_ORDER), 0);
}

static json_t *entry(json_t *rep, size_t i)
{
    return json_array_get(json_object_get(rep, "preconditions"), i);
}

/* Index of the entry for id. */
static size_t find(json_t *rep, const char *id)
{
    json_t *arr = json_object_get(rep, "preconditions");
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(arr, i), "id")), id) == 0)
            return i;
    ck_abort_msg("no entry %s", id);
    return 0;
}

/* The two front ends of the verifier; each test runs with both (_i). */
static const char *const fronts[] = {"idcheck cert verify", "\"$IDCHECK_VERIFY_BIN\""};
static const char *front;

/* Runs the verifier front end under test on ARGS ("CERT INST"). */
static int verify(const char *args)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s %s", front, args);
    return idc(cmd);
}

static void setup(void)
{
    clitest_setup("idc_certcli");
    if (getenv("IDCHECK_VERIFY_BIN") == NULL) { /* beside the idcheck binary */
        char v[600];
        snprintf(v, sizeof v, "%s", bin);
        char *slash = strrchr(v, '/');
        snprintf(slash != NULL ? slash + 1 : v, sizeof v - (size_t)(slash != NULL ? slash + 1 - v : 0),
                 "idcheck-verify");
        ck_assert_int_eq(setenv("IDCHECK_VERIFY_BIN", v, 1), 0);
    }
    ck_assert_int_eq(idc("idcheck gen pdgmm --m 3 --J 3 --layers 2 --seed 5 -o inst.json"), 0);
    ck_assert_int_eq(idc("idcheck check inst.json --json > rep.json"), 0);
}

static void teardown(void) { clitest_teardown(); }


/* Saves the tampered report t as t.json, expects exit 1, the first reason
 * on one stderr line containing want, and its INVALID line on stdout. */
static void expect_invalid(const json_t *t, const char *want, const char *what)
{
    save(t, "t.json");
    int rc = verify("t.json inst.json");
    ck_assert_msg(rc == 1, "%s: exit %d\n%s%s", what, rc, out, errtxt);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, want) != NULL, "%s: stderr \"%s\" lacks \"%s\"", what,
                  errtxt, want);
    char line[256];
    snprintf(line, sizeof line, "INVALID  %s", want);
    ck_assert_msg(strstr(out, line) != NULL, "%s: no \"%s\" in\n%s", what, line, out);
    ck_assert_msg(strstr(out, "report: INVALID") != NULL, "%s: no summary in\n%s", what, out);
}

START_TEST(test_valid_and_mixed)
{
    front = fronts[_i];
    ck_assert_int_eq(verify("rep.json inst.json"), 0);
    ck_assert_msg(strstr(out, "valid    F4     HOLDS  kivva-H9") != NULL, "%s", out);
    /* the UNKNOWN entries of a mixed report are named, with nothing to verify */
    ck_assert_msg(strstr(out, "unknown  I-ii   UNKNOWN no claim, nothing to verify") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "report: valid (") != NULL && strstr(out, "12 theorem rows consistent") != NULL, "%s",
                  out);
    ck_assert_str_eq(errtxt, "");
    /* a single certificate still verifies on its own */
    json_t *rep = load("rep.json");
    save(json_object_get(entry(rep, find(rep, "F4")), "certificate"), "f4.json");
    ck_assert_int_eq(verify("f4.json inst.json"), 0);
    ck_assert(strstr(out, "valid    F4") != NULL);
    json_decref(rep);
}
END_TEST

START_TEST(test_tampered)
{
    front = fronts[_i];
    json_t *rep = load("rep.json");
    size_t f4 = find(rep, "F4"), p2 = find(rep, "P2"), a34 = find(rep, "A3.4"), ii = find(rep, "I-ii");
    char want[128];
    snprintf(want, sizeof want, "preconditions[%zu] (F4): HOLDS without a certificate", f4);

    json_t *t = json_deep_copy(rep);
    json_object_set_new(entry(t, f4), "certificate", json_null());
    expect_invalid(t, want, "certificate null");
    json_decref(t);

    t = json_deep_copy(rep);
    json_object_del(entry(t, f4), "certificate");
    expect_invalid(t, want, "certificate deleted");
    json_decref(t);

    t = json_deep_copy(rep);
    json_object_set_new(entry(t, f4), "verdict", json_string("FAILS"));
    snprintf(want, sizeof want, "preconditions[%zu] (F4): verdict FAILS, but the certificate is for HOLDS", f4);
    expect_invalid(t, want, "verdict HOLDS -> FAILS");
    json_decref(t);

    /* P2 relabelled A3.4 (the real A3.4 entry then also appears twice) */
    t = json_deep_copy(rep);
    json_object_set_new(entry(t, p2), "id", json_string("A3.4"));
    snprintf(want, sizeof want, "preconditions[%zu] (A3.4): the certificate is for P2, not A3.4", p2);
    expect_invalid(t, want, "P2 relabelled A3.4");
    snprintf(want, sizeof want, "INVALID  preconditions[%zu] (A3.4): a second entry for A3.4", a34);
    ck_assert_msg(strstr(out, want) != NULL, "%s", out);
    /* with the real A3.4 entry deleted: no duplicate, still invalid */
    json_array_remove(json_object_get(t, "preconditions"), a34);
    snprintf(want, sizeof want, "preconditions[%zu] (A3.4): the certificate is for P2, not A3.4", p2);
    expect_invalid(t, want, "P2 relabelled A3.4, A3.4 deleted");
    json_decref(t);

    t = json_deep_copy(rep);
    json_object_set_new(t, "model_hash",
                        json_string("0000000000000000000000000000000000000000000000000000000000000000"));
    expect_invalid(t, "model_hash: the report is for another model", "model_hash zeroed");
    json_decref(t);

    t = json_deep_copy(rep);
    json_object_set(entry(t, ii), "certificate", json_object_get(entry(t, f4), "certificate"));
    snprintf(want, sizeof want, "preconditions[%zu] (I-ii): an UNKNOWN carries no certificate", ii);
    expect_invalid(t, want, "UNKNOWN with a certificate");
    json_decref(t);
    json_decref(rep);
}
END_TEST

/* The theorem table is recomputed from the verdicts: an edited row or
 * strongest class, or an entry deleted under a row that used it. */
static size_t find_row(json_t *rep, const char *id)
{
    json_t *arr = json_object_get(rep, "theorems");
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(arr, i), "id")), id) == 0)
            return i;
    ck_abort_msg("no theorem row %s", id);
    return 0;
}

START_TEST(test_theorems_tampered)
{
    front = fronts[_i];
    json_t *rep = load("rep.json");
    size_t x39 = find_row(rep, "X3.9");
    json_t *row = json_array_get(json_object_get(rep, "theorems"), x39);
    ck_assert_str_eq(json_string_value(json_object_get(row, "applies")), "FAILS");
    ck_assert_str_eq(json_string_value(json_object_get(row, "blocking")), "A3.8b");
    ck_assert_str_eq(json_string_value(json_object_get(rep, "strongest_class")), "AT");
    char want[128];
    snprintf(want, sizeof want, "theorems[%zu] (X3.9): applies HOLDS, but the report's verdicts give FAILS", x39);

    json_t *t = json_deep_copy(rep);
    json_t *r = json_array_get(json_object_get(t, "theorems"), x39);
    json_object_set_new(r, "applies", json_string("HOLDS"));
    json_object_del(r, "blocking");
    json_object_del(r, "blocking_verdict");
    expect_invalid(t, want, "X3.9 applies");
    json_decref(t);

    t = json_deep_copy(rep);
    json_object_set_new(t, "strongest_class", json_string("PS"));
    expect_invalid(t, "strongest_class: PS, but the report's verdicts give AT", "strongest class PS");
    json_decref(t);

    t = json_deep_copy(rep);
    json_object_set_new(t, "strongest_law_class", json_string("PS_LAW"));
    expect_invalid(t, "strongest_law_class: PS_LAW", "strongest law class PS_LAW");
    json_decref(t);

    /* the A3.8b entry deleted: X3.9's row still says A3.8b FAILS */
    t = json_deep_copy(rep);
    json_array_remove(json_object_get(t, "preconditions"), find(t, "A3.8b"));
    snprintf(want, sizeof want, "theorems[%zu] (X3.9): applies FAILS, but the report's verdicts give UNKNOWN", x39);
    expect_invalid(t, want, "A3.8b entry deleted");
    json_decref(t);
    json_decref(rep);
}
END_TEST

/* Issue 14 item 3: nothing to verify is exit 0, and says so. */
START_TEST(test_unknown_only)
{
    front = fronts[_i];
    ck_assert_int_eq(idc("idcheck check inst.json --json --only REC,GAUSS,SPARSE,P3 > unk.json"), 0);
    ck_assert_int_eq(verify("unk.json inst.json"), 0);
    ck_assert_msg(strstr(out, "unknown  REC    UNKNOWN no claim") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "report: nothing to verify (4 entries, all UNKNOWN") != NULL, "%s", out);
    ck_assert_str_eq(errtxt, "");
    /* ... but it is still about one instance */
    ck_assert_int_eq(idc("idcheck gen pdgmm --m 3 --J 3 --layers 2 --seed 6 -o other.json"), 0);
    ck_assert_int_eq(verify("unk.json other.json"), 1);
    ck_assert(one_line(errtxt) && strstr(errtxt, "model_hash") != NULL);
    /* no entries at all: nothing to verify either */
    json_t *rep = load("unk.json");
    json_array_clear(json_object_get(rep, "preconditions"));
    save(rep, "empty.json");
    ck_assert_int_eq(verify("empty.json inst.json"), 0);
    ck_assert(strstr(out, "nothing to verify (0 entries") != NULL);
    /* not a report: bad input */
    json_object_set_new(rep, "preconditions", json_string("none"));
    save(rep, "bad.json");
    ck_assert_int_eq(verify("bad.json inst.json"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "preconditions") != NULL);
    json_decref(rep);
}
END_TEST

/* idcheck-verify's own usage: help, version, usage and input errors in one
 * line with exit 2, a failed stdout exit 3; the same lines as idcheck's verb
 * on the same report. */
START_TEST(test_standalone)
{
    ck_assert_int_eq(idc("\"$IDCHECK_VERIFY_BIN\" --help"), 0);
    ck_assert(strstr(out, "usage: idcheck-verify CERT_OR_REPORT.json INSTANCE.json") != NULL);
    ck_assert_int_eq(idc("\"$IDCHECK_VERIFY_BIN\" --version"), 0);
    ck_assert_msg(strstr(out, "idcheck-verify ") == out && strstr(out, "certificate format 1") != NULL, "%s", out);
    ck_assert_int_eq(idc("\"$IDCHECK_VERIFY_BIN\""), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "idcheck-verify: expected CERT_OR_REPORT.json") == errtxt,
                  "%s", errtxt);
    ck_assert_int_eq(idc("\"$IDCHECK_VERIFY_BIN\" rep.json"), 2);
    ck_assert_int_eq(idc("\"$IDCHECK_VERIFY_BIN\" missing.json inst.json"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "missing.json") != NULL, "%s", errtxt);
    ck_assert_int_eq(idc("\"$IDCHECK_VERIFY_BIN\" rep.json missing.json"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "missing.json") != NULL, "%s", errtxt);
    ck_assert_int_eq(idc("printf '{\"preconditions\": [' > trunc.json && \"$IDCHECK_VERIFY_BIN\" trunc.json inst.json"),
                     2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "trunc.json") != NULL, "%s", errtxt);
    ck_assert_int_eq(idc("\"$IDCHECK_VERIFY_BIN\" rep.json inst.json > /dev/full"), 3);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "error writing standard output") != NULL, "%s", errtxt);
    /* the same lines as `idcheck cert verify` */
    ck_assert_int_eq(idc("idcheck cert verify rep.json inst.json"), 0);
    char first[sizeof out];
    memcpy(first, out, sizeof out);
    ck_assert_int_eq(idc("\"$IDCHECK_VERIFY_BIN\" rep.json inst.json"), 0);
    ck_assert_str_eq(out, first);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cert_cli");
    TCase *tc = tcase_create("cert_cli");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_valid_and_mixed, 0, 2);
    tcase_add_loop_test(tc, test_tampered, 0, 2);
    tcase_add_loop_test(tc, test_theorems_tampered, 0, 2);
    tcase_add_loop_test(tc, test_unknown_only, 0, 2);
    tcase_add_test(tc, test_standalone);
    suite_add_tcase(s, tc);
    return idc_test_run(s);
}
