/* Tests of F2 / F3 decided through F4 (idc_pre_implied_by_f4) and of the
 * verifier's handling of the nested certificate. */
#include <string.h>

#include "numeric/tests/testutil.h"
#include "theory/cert.h"
#include "theory/precond.h"

static const char *injective =
    "{\"idcheck_format\": 1, \"model\": {\"dim\": 2, \"components\": ["
    "{\"weight\": 1, \"mean\": [0, 0], \"L\": [[1, 0], [0, 1]]}]},"
    " \"map\": {\"type\": \"mlp\", \"layers\": ["
    "{\"W\": [[1, 2], [3, 4], [1, 1]], \"b\": [0, 1, 0], \"activation\": \"leaky_relu\", \"slope\": 0.25},"
    "{\"W\": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], \"b\": [0, 0, 0], \"activation\": \"identity\"}]}}";

/* relu(x) - relu(-x) style net on R^2 whose injectivity H.9 cannot decide. */
static const char *undecided =
    "{\"idcheck_format\": 1, \"model\": {\"dim\": 2, \"components\": ["
    "{\"weight\": 1, \"mean\": [0, 0], \"L\": [[1, 0], [0, 1]]}]},"
    " \"map\": {\"type\": \"mlp\", \"layers\": ["
    "{\"W\": [[1, 0], [0, 1], [-1, 0], [0, -1]], \"b\": [0, 0, 0, 0], \"activation\": \"relu\"},"
    "{\"W\": [[1, 0, -1, 0], [0, 1, 0, -1]], \"b\": [0, 0], \"activation\": \"identity\"}]}}";

/* W1 with a kernel: F4 FAILS, which does not decide F2. */
static const char *collapsing =
    "{\"idcheck_format\": 1, \"model\": {\"dim\": 2, \"components\": ["
    "{\"weight\": 1, \"mean\": [0, 0], \"L\": [[1, 0], [0, 1]]}]},"
    " \"map\": {\"type\": \"mlp\", \"layers\": ["
    "{\"W\": [[1, 1], [2, 2]], \"b\": [0, 0], \"activation\": \"leaky_relu\", \"slope\": 0.5}]}}";

static void load(idc_instance *inst, const char *txt)
{
    idc_err err;
    ck_assert_msg(idc_instance_read_string(inst, txt, &err) == IDC_OK, "%s", err.msg);
}

START_TEST(test_f2_f3_hold_via_f4)
{
    static const char *ids[] = {"F2", "F3"};
    idc_instance inst, other;
    load(&inst, injective);
    load(&other, undecided);
    for (int i = 0; i < 2; i++) {
        idc_pre_result r;
        idc_err err;
        idc_pre_result_init(&r);
        ck_assert_int_eq(idc_pre_check(&r, ids[i], &inst, NULL, &err), IDC_OK);
        ck_assert_int_eq(r.verdict, IDC_HOLDS);
        ck_assert_str_eq(r.id, ids[i]);
        char why[256];
        ck_assert_msg(idc_cert_verify(r.cert, &inst, why, sizeof why) == IDC_OK, "%s", why);
        /* Another model: rejected by the hash. */
        ck_assert_int_ne(idc_cert_verify(r.cert, &other, why, sizeof why), IDC_OK);
        /* Tamper with the nested F4 witness: a minor row index. */
        json_t *t = json_deep_copy(r.cert);
        json_t *layer0 = json_array_get(json_object_get(json_object_get(json_object_get(json_object_get(t, "witness"),
                                                                                       "F4"), "witness"), "layers"), 0);
        json_t *rows = json_object_get(layer0, "rows");
        ck_assert_ptr_nonnull(rows);
        json_array_set_new(rows, 0, json_integer(2));
        json_array_set_new(rows, 1, json_integer(2));
        ck_assert_int_ne(idc_cert_verify(t, &inst, why, sizeof why), IDC_OK);
        json_decref(t);
        /* Replace the nested certificate by a FAILS claim: rejected. */
        t = json_deep_copy(r.cert);
        json_object_set_new(json_object_get(json_object_get(t, "witness"), "F4"), "verdict", json_string("FAILS"));
        ck_assert_int_ne(idc_cert_verify(t, &inst, why, sizeof why), IDC_OK);
        ck_assert(strstr(why, "F4 HOLDS") != NULL);
        json_decref(t);
        idc_pre_result_clear(&r);
    }
    idc_instance_clear(&inst);
    idc_instance_clear(&other);
}
END_TEST

START_TEST(test_unknown_when_f4_undecided)
{
    const char *const nets[] = {undecided, collapsing};
    for (int k = 0; k < 2; k++) {
        idc_instance inst;
        load(&inst, nets[k]);
        idc_pre_result r;
        idc_err err;
        idc_pre_result_init(&r);
        /* the F4 route alone (idc_pre_check now decides the kernel case:
         * F2 FAILS, theory/check/pre_f23.c) */
        ck_assert_int_eq(idc_pre_implied_by_f4(&r, "F2", &inst.map, NULL, NULL, &err), IDC_OK);
        ck_assert_int_eq(r.verdict, IDC_UNKNOWN);
        ck_assert_ptr_null(r.cert);
        ck_assert(strstr(r.reason, "F4 is") != NULL);
        idc_pre_result_clear(&r);
        idc_instance_clear(&inst);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("implied");
    TCase *tc = tcase_create("implied");
    tcase_add_test(tc, test_f2_f3_hold_via_f4);
    tcase_add_test(tc, test_unknown_when_f4_undecided);
    suite_add_tcase(s, tc);
    return idc_test_run(s);
}
