/* Tests of A3.4 for nondegenerate mixtures, and of its verifier. */
#include <stdio.h>
#include <string.h>

#include "numeric/tests/testutil.h"
#include "theory/cert.h"
#include "theory/precond.h"

static void load(idc_instance *inst, const char *comps)
{
    char txt[2048];
    snprintf(txt, sizeof txt,
             "{\"idcheck_format\": 1, \"model\": {\"dim\": 2, \"components\": [%s]}, \"map\": {\"type\": \"mlp\","
             " \"layers\": [{\"W\": [[1, 0], [0, 1]], \"b\": [0, 0], \"activation\": \"identity\"}]}}",
             comps);
    idc_err err;
    ck_assert_msg(idc_instance_read_string(inst, txt, &err) == IDC_OK, "%s", err.msg);
}

static const struct {
    const char *comps;
    idc_verdict v;
} table[] = {
    {"{\"weight\": 0.5, \"mean\": [0, 1], \"L\": [[1, 0], [1, 1]]}, {\"weight\": 0.25, \"mean\": [2, 1], \"Sigma\": "
     "[[2, 1], [1, 1]]}, {\"weight\": 0.25, \"mean\": [0.1, -3], \"L\": [[3, 0], [0, 0.5]]}",
     IDC_HOLDS},
    {"{\"weight\": 1, \"mean\": [0, 1], \"L\": [[1, 0], [1, 1]]}", IDC_HOLDS},
    /* same covariance, different means: d1^2 - d2^2 is a nonzero affine function */
    {"{\"weight\": 0.5, \"mean\": [0, 0], \"L\": [[1, 0], [0, 1]]}, {\"weight\": 0.5, \"mean\": [1, 0], \"L\": [[1, 0], "
     "[0, 1]]}",
     IDC_HOLDS},
    /* same mean, covariances I and 2I: d1^2 = 2 d2^2, equal only at the mean */
    {"{\"weight\": 0.5, \"mean\": [1, 1], \"Sigma\": [[1, 0], [0, 1]]}, {\"weight\": 0.5, \"mean\": [1, 1], "
     "\"Sigma\": [[2, 0], [0, 2]]}",
     IDC_HOLDS},
    /* degenerate components: not decided here */
    {"{\"weight\": 0.5, \"mean\": [0, 0], \"L\": [[1], [0]]}, {\"weight\": 0.5, \"mean\": [0, 0], \"L\": [[0], [1]]}",
     IDC_UNKNOWN},
    /* not in reduced form: not decided here */
    {"{\"weight\": 0.5, \"mean\": [0, 0], \"L\": [[1, 0], [0, 1]]}, {\"weight\": 0.5, \"mean\": [0, 0], \"L\": [[1, 0], "
     "[0, 1]]}",
     IDC_UNKNOWN},
};

START_TEST(test_known_answers)
{
    idc_instance inst;
    load(&inst, table[_i].comps);
    idc_pre_result r;
    idc_err err;
    idc_pre_result_init(&r);
    ck_assert_int_eq(idc_pre_check(&r, "A3.4", &inst, NULL, &err), IDC_OK);
    ck_assert_msg(r.verdict == table[_i].v, "case %d: %s (%s)", _i, idc_verdict_name(r.verdict), r.reason);
    if (r.verdict == IDC_HOLDS) {
        char why[256];
        ck_assert_msg(idc_cert_verify(r.cert, &inst, why, sizeof why) == IDC_OK, "case %d: %s", _i, why);
    }
    idc_pre_result_clear(&r);
    idc_instance_clear(&inst);
}
END_TEST

START_TEST(test_tampering)
{
    idc_instance inst;
    load(&inst, table[0].comps);
    idc_pre_result r;
    idc_err err;
    char why[256];
    idc_pre_result_init(&r);
    ck_assert_int_eq(idc_pre_check(&r, "A3.4", &inst, NULL, &err), IDC_OK);
    ck_assert_int_eq(r.verdict, IDC_HOLDS);
    /* equal claimed distances */
    json_t *t = json_deep_copy(r.cert);
    json_t *d2 = json_object_get(json_object_get(t, "witness"), "d2");
    json_array_set(d2, 1, json_array_get(d2, 0));
    ck_assert_int_ne(idc_cert_verify(t, &inst, why, sizeof why), IDC_OK);
    json_decref(t);
    /* a moved point */
    t = json_deep_copy(r.cert);
    json_t *pt = json_object_get(json_object_get(t, "witness"), "point");
    json_array_set_new(pt, 0, json_string("1000/1"));
    ck_assert_int_ne(idc_cert_verify(t, &inst, why, sizeof why), IDC_OK);
    ck_assert(strstr(why, "point - mu") != NULL);
    json_decref(t);
    /* a wrong y */
    t = json_deep_copy(r.cert);
    json_t *y0 = json_array_get(json_object_get(json_object_get(t, "witness"), "y"), 0);
    json_array_set_new(y0, 1, json_string("7/3"));
    ck_assert_int_ne(idc_cert_verify(t, &inst, why, sizeof why), IDC_OK);
    json_decref(t);
    /* FAILS claims do not exist for this method */
    t = json_deep_copy(r.cert);
    json_object_set_new(t, "verdict", json_string("FAILS"));
    ck_assert_int_ne(idc_cert_verify(t, &inst, why, sizeof why), IDC_OK);
    json_decref(t);
    idc_pre_result_clear(&r);
    idc_instance_clear(&inst);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("a34");
    TCase *tc = tcase_create("a34");
    tcase_add_loop_test(tc, test_known_answers, 0, (int)(sizeof table / sizeof table[0]));
    tcase_add_test(tc, test_tampering);
    suite_add_tcase(s, tc);
    return idc_test_run(s);
}
