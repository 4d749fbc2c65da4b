/* Tests of A3.6 through its two sufficient conditions, and of the verifier. */
#include <stdio.h>
#include <string.h>

#include "generators/pdgmm.h"
#include "numeric/tests/testutil.h"
#include "theory/cert.h"
#include "theory/precond.h"

static void load(idc_instance *inst, const char *model)
{
    char txt[2048];
    snprintf(txt, sizeof txt,
             "{\"idcheck_format\": 1, \"model\": %s, \"map\": {\"type\": \"mlp\", \"layers\": [{\"W\": "
             "[[1, 0], [0, 1]], \"b\": [0, 0], \"activation\": \"identity\"}]}}",
             model);
    idc_err err;
    ck_assert_msg(idc_instance_read_string(inst, txt, &err) == IDC_OK, "%s", err.msg);
}

static json_t *check(idc_instance *inst, idc_verdict expect, const char *method)
{
    idc_pre_result r;
    idc_err err;
    idc_pre_result_init(&r);
    ck_assert_int_eq(idc_pre_check(&r, "A3.6", inst, NULL, &err), IDC_OK);
    ck_assert_msg(r.verdict == expect, "%s (%s)", idc_verdict_name(r.verdict), r.reason);
    json_t *c = NULL;
    if (expect != IDC_UNKNOWN) {
        ck_assert_str_eq(json_string_value(json_object_get(r.cert, "method")), method);
        char why[256];
        ck_assert_msg(idc_cert_verify(r.cert, inst, why, sizeof why) == IDC_OK, "%s", why);
        c = json_incref(r.cert);
    } else {
        ck_assert_ptr_null(r.cert);
    }
    idc_pre_result_clear(&r);
    return c;
}

static const char *nondeg = "{\"dim\": 2, \"components\": [{\"weight\": 0.5, \"mean\": [0, 1], \"L\": [[1, 0], [1, 1]]},"
                            " {\"weight\": 0.5, \"mean\": [2, 1], \"Sigma\": [[2, 1], [1, 1]]}]}";
/* three lines along e1, e2, e1+e2 (X Example E.3): distributivity fails */
static const char *lines = "{\"dim\": 2, \"components\": [{\"weight\": 0.25, \"mean\": [1, 0], \"L\": [[1], [0]]},"
                           " {\"weight\": 0.25, \"mean\": [0, 2], \"L\": [[0], [1]]},"
                           " {\"weight\": 0.5, \"mean\": [3, 3], \"L\": [[1], [1]]}]}";
/* two lines: distributive, common point 0, but not decided by the sufficient routes */
static const char *two_lines = "{\"dim\": 2, \"components\": [{\"weight\": 0.5, \"mean\": [1, 0], \"L\": [[1], [0]]},"
                               " {\"weight\": 0.5, \"mean\": [0, 2], \"L\": [[0], [1]]}]}";
/* two parallel lines y = 0 and y = 1: no common point */
static const char *parallel = "{\"dim\": 2, \"components\": [{\"weight\": 0.5, \"mean\": [0, 0], \"L\": [[1], [0]]},"
                              " {\"weight\": 0.5, \"mean\": [0, 1], \"L\": [[1], [0]]}]}";
static const char *singular_frame = "{\"dim\": 2, \"frame\": {\"basis\": [[1, 1], [1, 1]], \"translation\": [0, 0]},"
                                    " \"components\": [{\"weight\": 1, \"support\": [0], \"mean\": [1], \"L\": [[1]]}]}";
static const char *thin_frame = "{\"dim\": 2, \"frame\": {\"basis\": [[1, 0], [0, 1]], \"translation\": [0, 0]},"
                                " \"components\": [{\"weight\": 1, \"support\": [0, 1], \"mean\": [1, 1], \"L\": [[1], [2]]}]}";

START_TEST(test_routes)
{
    idc_instance inst;
    load(&inst, nondeg);
    json_decref(check(&inst, IDC_HOLDS, "nondegenerate"));
    idc_instance_clear(&inst);
    load(&inst, lines);
    json_t *c = check(&inst, IDC_FAILS, "distributivity");
    char why[256];
    /* altered dimensions, or a claimed violation that is not one */
    json_t *t = json_deep_copy(c);
    json_object_set_new(json_object_get(t, "witness"), "dim_rhs", json_integer(1));
    ck_assert_int_ne(idc_cert_verify(t, &inst, why, sizeof why), IDC_OK);
    json_decref(t);
    json_decref(c);
    idc_instance_clear(&inst);
    load(&inst, parallel);
    c = check(&inst, IDC_FAILS, "no-common-point");
    t = json_deep_copy(c);
    json_t *wv = json_object_get(json_object_get(t, "witness"), "w");
    for (size_t i = 0; i < json_array_size(wv); i++)
        json_array_set_new(wv, i, json_string("0/1")); /* w = 0 proves nothing */
    ck_assert_int_ne(idc_cert_verify(t, &inst, why, sizeof why), IDC_OK);
    json_decref(t);
    t = json_deep_copy(c);
    wv = json_object_get(json_object_get(t, "witness"), "w");
    json_array_set_new(wv, 0, json_string("12345/7")); /* breaks w^T A = 0 */
    ck_assert_int_ne(idc_cert_verify(t, &inst, why, sizeof why), IDC_OK);
    json_decref(t);
    json_decref(c);
    idc_instance_clear(&inst);
    load(&inst, two_lines);
    check(&inst, IDC_UNKNOWN, NULL);
    idc_instance_clear(&inst);
    load(&inst, singular_frame);
    check(&inst, IDC_UNKNOWN, NULL);
    idc_instance_clear(&inst);
    load(&inst, thin_frame);
    check(&inst, IDC_UNKNOWN, NULL);
    idc_instance_clear(&inst);
}
END_TEST

START_TEST(test_generated_frames)
{
    uint64_t seed = idc_test_seed(0xa36);
    IDC_TEST_PRINT_SEED("test_generated_frames", seed);
    idc_gen_pdgmm_params p;
    idc_gen_pdgmm_defaults(&p);
    p.m = 5;
    p.J = 6;
    p.ratio = 0.4;
    for (uint32_t k = 0; k < 20; k++) {
        idc_instance inst;
        idc_err err;
        ck_assert_int_eq(idc_gen_pdgmm(&inst, &p, seed + k, &err), IDC_OK);
        idc_pre_result r;
        idc_pre_result_init(&r);
        ck_assert_int_eq(idc_pre_check(&r, "A3.6", &inst, NULL, &err), IDC_OK);
        char why[256] = "";
        if (r.verdict != IDC_HOLDS || idc_cert_verify(r.cert, &inst, why, sizeof why) != IDC_OK)
            IDC_TEST_FAIL_REPLAY("test_generated_frames", seed, "instance %u: %s %s %s", k,
                                 idc_verdict_name(r.verdict), r.reason, why);
        idc_pre_result_clear(&r);
        idc_instance_clear(&inst);
    }
}
END_TEST

START_TEST(test_tampering)
{
    char why[256];
    idc_gen_pdgmm_params p;
    idc_gen_pdgmm_defaults(&p);
    p.m = 3;
    p.ratio = 0.6;
    idc_instance inst, other;
    idc_err err;
    ck_assert_int_eq(idc_gen_pdgmm(&inst, &p, 9, &err), IDC_OK);
    json_t *c = check(&inst, IDC_HOLDS, "frame-basis");
    json_t *t = json_deep_copy(c);
    json_t *cols = json_object_get(json_array_get(json_object_get(json_object_get(t, "witness"), "components"), 0),
                                   "cols");
    json_array_set_new(cols, 1, json_integer(json_integer_value(json_array_get(cols, 0))));
    ck_assert_int_ne(idc_cert_verify(t, &inst, why, sizeof why), IDC_OK);
    json_decref(t);
    t = json_deep_copy(c);
    json_object_set_new(json_object_get(t, "witness"), "basis_prime", json_integer(15));
    ck_assert_int_ne(idc_cert_verify(t, &inst, why, sizeof why), IDC_OK);
    json_decref(t);
    t = json_deep_copy(c);
    json_object_set_new(t, "verdict", json_string("FAILS"));
    ck_assert_int_ne(idc_cert_verify(t, &inst, why, sizeof why), IDC_OK);
    json_decref(t);
    /* the frame certificate against the three-lines model (no frame) */
    load(&other, lines);
    t = json_deep_copy(c);
    json_object_set_new(t, "model_hash", json_null());
    ck_assert_int_ne(idc_cert_verify_parts(t, &other.prior, &other.map, NULL, why, sizeof why), IDC_OK);
    /* a nondegenerate claim for degenerate components */
    json_object_set_new(t, "method", json_string("nondegenerate"));
    ck_assert_int_ne(idc_cert_verify_parts(t, &inst.prior, &inst.map, NULL, why, sizeof why), IDC_OK);
    json_decref(t);
    json_decref(c);
    idc_instance_clear(&other);
    idc_instance_clear(&inst);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("a36");
    TCase *tc = tcase_create("a36");
    tcase_add_test(tc, test_routes);
    tcase_add_test(tc, test_tampering);
    suite_add_tcase(s, tc);
    TCase *tg = tcase_create("test_generated_frames");
    tcase_add_test(tg, test_generated_frames);
    suite_add_tcase(s, tg);
    return idc_test_run(s);
}
