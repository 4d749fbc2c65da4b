/* End-to-end: F4 on instances with one input (issue 14 item 5). `idcheck
 * check` on a leaky net of widths 1, 2, 3, 4, 4 (no K Cor. H.9, no monotone
 * projection) prints F4 HOLDS with the pairwise-1d certificate, and
 * `idcheck cert verify` accepts the report and the certificate alone, and
 * rejects them with a separating form or the verdict edited; a self-crossing
 * ReLU curve gets F4 FAILS with its exact pair; two point masses in m = 1
 * get P2 FAILS. The binary is $IDCHECK_BIN (set by `make check`) or
 * build/idcheck. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "numeric/tests/testutil.h"
#include "cli/tests/clitest.h"

/* The 1,2,3,4,4 net (its last layer has rank 3) with a two-component prior. */
static const char *const NET_12344 =
    "{\"idcheck_format\": 1,\n"
    " \"model\": {\"dim\": 1, \"components\": [\n"
    "   {\"weight\": 0.5, \"mean\": [-1], \"Sigma\": [[1]]},\n"
    "   {\"weight\": 0.5, \"mean\": [2], \"Sigma\": [[0.25]]}]},\n"
    " \"map\": {\"type\": \"mlp\", \"layers\": [\n"
    "   {\"W\": [[1], [-2]], \"b\": [-3, 0], \"activation\": \"leaky_relu\", \"slope\": 0.25},\n"
    "   {\"W\": [[1, 2], [-1, -2], [-2, -2]], \"b\": [-1, 3, -2], \"activation\": \"leaky_relu\", "
    "\"slope\": 0.25},\n"
    "   {\"W\": [[2, -1, -1], [2, -1, -2], [-2, 0, -1], [-1, 1, -1]], \"b\": [-3, 2, 1, 1], "
    "\"activation\": \"leaky_relu\", \"slope\": 0.25},\n"
    "   {\"W\": [[1, 0, 1, -2], [-2, -1, 1, -1], [0, -1, 1, 0], [2, 0, 0, 1]], \"b\": [-2, 2, 3, -1], "
    "\"activation\": \"identity\"}]}}\n";

/* Right, up, left, down: the last ray crosses the first at f(-1) = f(3);
 * two point masses as the prior. */
static const char *const NET_LOOP =
    "{\"idcheck_format\": 1,\n"
    " \"model\": {\"dim\": 1, \"components\": [\n"
    "   {\"weight\": 0.5, \"mean\": [-1], \"Sigma\": [[0]]},\n"
    "   {\"weight\": 0.5, \"mean\": [2], \"Sigma\": [[0]]}]},\n"
    " \"map\": {\"type\": \"mlp\", \"layers\": [\n"
    "   {\"W\": [[1], [1], [1], [-1]], \"b\": [0, -1, -2, 0], \"activation\": \"relu\"},\n"
    "   {\"W\": [[0, -1, 1, -1], [1, -1, -1, 0]], \"b\": [0, 0], \"activation\": \"identity\"}]}}\n";

static void write_file(const char *name, const char *text)
{
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *fp = fopen(p, "w");
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_ge(fputs(text, fp), 0);
    ck_assert_int_eq(fclose(fp), 0);
}

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

/* The report entry for id. */
static json_t *entry(json_t *rep, const char *id)
{
    json_t *arr = json_object_get(rep, "preconditions");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);
        if (strcmp(json_string_value(json_object_get(e, "id")), id) == 0)
            return e;
    }
    ck_abort_msg("no entry %s", id);
    return NULL;
}

static void setup(void)
{
    clitest_setup("idc_f4line");
}

static void teardown(void)
{
    clitest_teardown();
}

START_TEST(test_check_and_verify_holds)
{
    write_file("inst.json", NET_12344);
    ck_assert_int_eq(idc("idcheck check inst.json"), 0);
    ck_assert_msg(strstr(out, "\nF4     HOLDS ") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "F4     pairwise-1d:") != NULL, "%s", out);
    ck_assert_int_eq(idc("idcheck check inst.json --json > rep.json"), 0);
    ck_assert_int_eq(idc("idcheck cert verify rep.json inst.json"), 0);
    ck_assert_msg(strstr(out, "valid    F4     HOLDS  pairwise-1d") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "report: valid") != NULL, "%s", out);
    /* the certificate alone */
    json_t *rep = load("rep.json");
    json_t *cert = json_object_get(entry(rep, "F4"), "certificate");
    save(cert, "f4.json");
    ck_assert_int_eq(idc("idcheck cert verify f4.json inst.json"), 0);
    ck_assert_msg(strstr(out, "valid    F4") != NULL, "%s", out);
    /* a separating form edited: every form zero */
    json_t *forms = json_object_get(json_object_get(cert, "witness"), "functionals");
    json_t *saved = json_deep_copy(forms);
    for (size_t j = 0; j < json_array_size(forms); j++) {
        json_t *l = json_array_get(forms, j);
        for (size_t i = 0; i < json_array_size(l); i++)
            json_array_set_new(l, i, json_string("0/1"));
    }
    save(rep, "bad.json");
    ck_assert_int_eq(idc("idcheck cert verify bad.json inst.json"), 1);
    ck_assert_msg(strstr(out, "INVALID") != NULL && strstr(errtxt, "does not separate") != NULL, "%s|%s", out,
                  errtxt);
    ck_assert(one_line(errtxt));
    json_object_set_new(json_object_get(cert, "witness"), "functionals", saved);
    /* HOLDS relabelled FAILS, in the entry and its certificate */
    json_object_set_new(entry(rep, "F4"), "verdict", json_string("FAILS"));
    json_object_set_new(cert, "verdict", json_string("FAILS"));
    save(rep, "bad2.json");
    ck_assert_int_eq(idc("idcheck cert verify bad2.json inst.json"), 1);
    ck_assert_msg(strstr(errtxt, "F4") != NULL, "%s", errtxt);
    json_decref(rep);
}
END_TEST

START_TEST(test_check_fails_and_point_masses)
{
    write_file("loop.json", NET_LOOP);
    ck_assert_int_eq(idc("idcheck check loop.json --json > rep.json"), 0);
    json_t *rep = load("rep.json");
    json_t *f4 = entry(rep, "F4");
    ck_assert_str_eq(json_string_value(json_object_get(f4, "verdict")), "FAILS");
    json_t *w = json_object_get(json_object_get(f4, "certificate"), "witness");
    const char *x = json_string_value(json_array_get(json_object_get(w, "x"), 0));
    const char *y = json_string_value(json_array_get(json_object_get(w, "y"), 0));
    ck_assert_msg((strcmp(x, "-1/1") == 0 && strcmp(y, "3/1") == 0) ||
                      (strcmp(x, "3/1") == 0 && strcmp(y, "-1/1") == 0),
                  "%s %s", x, y);
    /* two point masses: the only variance ratio is 0/0 */
    json_t *p2 = entry(rep, "P2");
    ck_assert_str_eq(json_string_value(json_object_get(p2, "verdict")), "FAILS");
    ck_assert_int_eq(idc("idcheck cert verify rep.json loop.json"), 0);
    ck_assert_msg(strstr(out, "valid    F4     FAILS  collision") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "valid    P2     FAILS  diagonal-ratios") != NULL, "%s", out);
    json_decref(rep);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("f4_line_cli");
    TCase *tc = tcase_create("f4_line_cli");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_check_and_verify_holds);
    tcase_add_test(tc, test_check_fails_and_point_masses);
    suite_add_tcase(s, tc);
    return idc_test_run(s);
}
