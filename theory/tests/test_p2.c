/* Tests of P2 (Kivva Thm 3.9(b)): known-answer table, exact ties that
 * floats would miss, and tampered certificates. */
#include <stdio.h>
#include <string.h>

#include "numeric/tests/testutil.h"
#include "theory/cert.h"
#include "theory/precond.h"

/* An instance with J diagonal-or-not 2x2 covariance components given as
 * "Sigma" fragments. */
static void load(idc_instance *inst, const char *const *sigmas, size_t J)
{
    char txt[4096];
    int n = snprintf(txt, sizeof txt, "{\"idcheck_format\": 1, \"model\": {\"dim\": 2, \"components\": [");
    for (size_t j = 0; j < J; j++)
        n += snprintf(txt + n, sizeof txt - (size_t)n, "%s{\"weight\": %.17g, \"mean\": [%zu, 0], \"Sigma\": %s}",
                      j ? "," : "", 1.0 / (double)J, j, sigmas[j]);
    snprintf(txt + n, sizeof txt - (size_t)n,
             "]}, \"map\": {\"type\": \"mlp\", \"layers\": [{\"W\": [[1, 0], [0, 1]], \"b\": [0, 0], "
             "\"activation\": \"identity\"}]}}");
    idc_err err;
    ck_assert_msg(idc_instance_read_string(inst, txt, &err) == IDC_OK, "%s", err.msg);
}

static const struct {
    const char *sig[3];
    size_t J;
    idc_verdict v;
    const char *reason; /* FAILS reason or NULL */
} table[] = {
    {{"[[1, 0], [0, 2]]", "[[2, 0], [0, 1]]"}, 2, IDC_HOLDS, NULL},
    {{"[[1, 0], [0, 2]]", "[[2, 0], [0, 4]]"}, 2, IDC_FAILS, "ties"},          /* Sigma_b = 2 Sigma_a */
    {{"[[1, 0.5], [0.5, 2]]", "[[2, 0], [0, 1]]"}, 2, IDC_FAILS, "offdiag"},
    {{"[[1, 0], [0, 2]]"}, 1, IDC_FAILS, "single-component"},
    {{"[[1, 0], [0, 2]]", "[[2, 0], [0, 4]]", "[[3, 0], [0, 1]]"}, 3, IDC_HOLDS, NULL}, /* one tie, one good pair */
    {{"[[0.5, 0], [0, 1.5]]", "[[1, 0], [0, 3]]"}, 2, IDC_FAILS, "ties"},      /* exact tie 1/2 = 1/2 */
    {{"[[0.1, 0], [0, 0.3]]", "[[1, 0], [0, 3]]"}, 2, IDC_HOLDS, NULL},        /* 0.1*3 != 0.3 exactly */
    {{"[[0, 0], [0, 0]]", "[[1, 0], [0, 3]]"}, 2, IDC_FAILS, "ties"},          /* 0 * 3 = 0 * 1 */
    {{"[[0, 0], [0, 1]]", "[[1, 0], [0, 1]]"}, 2, IDC_HOLDS, NULL},            /* ratios 0/1, 1/1 */
    {{"[[1, 0], [0, 1]]", "[[0, 0], [0, 1]]"}, 2, IDC_HOLDS, NULL},            /* the same, pair (1, 0) */
    {{"[[0, 0], [0, 1]]", "[[1, 0], [0, 0]]"}, 2, IDC_FAILS, "ties"},          /* 1/0 or 0/1: undefined */
};

START_TEST(test_known_answers)
{
    idc_instance inst;
    load(&inst, table[_i].sig, table[_i].J);
    idc_pre_result r;
    idc_err err;
    idc_pre_result_init(&r);
    ck_assert_int_eq(idc_pre_check(&r, "P2", &inst, NULL, &err), IDC_OK);
    ck_assert_msg(r.verdict == table[_i].v, "case %d: %s (%s)", _i, idc_verdict_name(r.verdict), r.reason);
    json_t *w = json_object_get(r.cert, "witness");
    if (table[_i].reason != NULL)
        ck_assert_str_eq(json_string_value(json_object_get(w, "reason")), table[_i].reason);
    char why[256];
    ck_assert_msg(idc_cert_verify(r.cert, &inst, why, sizeof why) == IDC_OK, "case %d: %s", _i, why);
    idc_pre_result_clear(&r);
    idc_instance_clear(&inst);
}
END_TEST

static json_t *cert_for(idc_instance *inst, const char *const *sig, size_t J)
{
    load(inst, sig, J);
    idc_pre_result r;
    idc_err err;
    idc_pre_result_init(&r);
    ck_assert_int_eq(idc_pre_check(&r, "P2", inst, NULL, &err), IDC_OK);
    json_t *c = json_incref(r.cert);
    idc_pre_result_clear(&r);
    return c;
}

START_TEST(test_tampering)
{
    char why[256];
    idc_instance a, b;
    /* HOLDS with pair (1, 2) of table row 4; replace by the tying pair (0, 1). */
    json_t *c = cert_for(&a, table[4].sig, 3);
    json_t *pair = json_object_get(json_object_get(c, "witness"), "pair");
    ck_assert_int_eq(json_integer_value(json_array_get(pair, 0)), 0);
    ck_assert_int_eq(json_integer_value(json_array_get(pair, 1)), 2);
    json_array_set_new(pair, 1, json_integer(1));
    ck_assert_int_ne(idc_cert_verify(c, &a, why, sizeof why), IDC_OK);
    ck_assert(strstr(why, "equal") != NULL);
    json_array_set_new(pair, 1, json_integer(0)); /* not distinct */
    ck_assert_int_ne(idc_cert_verify(c, &a, why, sizeof why), IDC_OK);
    json_decref(c);
    idc_instance_clear(&a);
    /* A HOLDS certificate against a non-diagonal model of the same shape. */
    c = cert_for(&a, table[0].sig, 2);
    load(&b, table[2].sig, 2);
    json_object_set_new(c, "model_hash", json_null());
    idc_instance_clear(&a);
    ck_assert_int_ne(idc_cert_verify_parts(c, &b.prior, &b.map, NULL, why, sizeof why), IDC_OK);
    ck_assert(strstr(why, "not diagonal") != NULL);
    json_decref(c);
    /* offdiag claims: wrong value, zero entry. */
    c = cert_for(&a, table[2].sig, 2);
    json_t *w = json_object_get(c, "witness");
    json_object_set_new(w, "value", json_string("1/3"));
    ck_assert_int_ne(idc_cert_verify(c, &a, why, sizeof why), IDC_OK);
    json_decref(c);
    idc_instance_clear(&a);
    c = cert_for(&a, table[1].sig, 2);
    /* ties: drop the only tie, or point it at coordinates that do not tie */
    json_t *ties = json_object_get(json_object_get(c, "witness"), "ties");
    json_t *t0 = json_array_get(ties, 0);
    json_object_set_new(t0, "s", json_integer(0));
    ck_assert_int_ne(idc_cert_verify(c, &a, why, sizeof why), IDC_OK);
    json_array_clear(ties);
    ck_assert_int_ne(idc_cert_verify(c, &a, why, sizeof why), IDC_OK);
    json_decref(c);
    /* the single-component claim against a two-component model */
    idc_instance_clear(&a);
    c = cert_for(&a, table[3].sig, 1);
    json_object_set_new(c, "model_hash", json_null());
    ck_assert_int_ne(idc_cert_verify_parts(c, &b.prior, &b.map, NULL, why, sizeof why), IDC_OK);
    json_decref(c);
    idc_instance_clear(&a);
    idc_instance_clear(&b);
}
END_TEST

/* A one-dimensional instance with J components of the given variances. */
static void load1(idc_instance *inst, const double *var, size_t J)
{
    char txt[2048];
    int n = snprintf(txt, sizeof txt, "{\"idcheck_format\": 1, \"model\": {\"dim\": 1, \"components\": [");
    for (size_t j = 0; j < J; j++)
        n += snprintf(txt + n, sizeof txt - (size_t)n,
                      "%s{\"weight\": %.17g, \"mean\": [%zu], \"Sigma\": [[%.17g]]}", j ? "," : "",
                      1.0 / (double)J, j, var[j]);
    snprintf(txt + n, sizeof txt - (size_t)n,
             "]}, \"map\": {\"type\": \"mlp\", \"layers\": [{\"W\": [[1]], \"b\": [0], "
             "\"activation\": \"identity\"}]}}");
    idc_err err;
    ck_assert_msg(idc_instance_read_string(inst, txt, &err) == IDC_OK, "%s", err.msg);
}

static idc_verdict p2_of(json_t **cert, idc_instance *inst)
{
    idc_pre_result r;
    idc_err err;
    idc_pre_result_init(&r);
    ck_assert_int_eq(idc_pre_check(&r, "P2", inst, NULL, &err), IDC_OK);
    char why[256];
    ck_assert_msg(idc_cert_verify(r.cert, inst, why, sizeof why) == IDC_OK, "%s", why);
    idc_verdict v = r.verdict;
    *cert = json_incref(r.cert);
    idc_pre_result_clear(&r);
    return v;
}

/* P2 read as THEORY.md states it: ratios of variances, so every denominator
 * of the witnessing pair is nonzero (docs/CERT_FORMATS.md). */
START_TEST(test_zero_variances)
{
    char why[256];
    idc_instance inst;
    json_t *c, *w;
    /* two point masses in m = 1: the only ratio is 0/0 -> FAILS */
    const double pm[2] = {0, 0};
    load1(&inst, pm, 2);
    ck_assert_int_eq(p2_of(&c, &inst), IDC_FAILS);
    w = json_object_get(c, "witness");
    ck_assert_str_eq(json_string_value(json_object_get(w, "reason")), "ties");
    json_t *e = json_array_get(json_object_get(w, "ties"), 0);
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(e, "zero"), 0)), 0);
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(e, "zero"), 1)), 0);
    /* relabelled HOLDS with either orientation of the pair: undefined ratio */
    json_object_set_new(c, "verdict", json_string("HOLDS"));
    json_object_set_new(c, "witness", json_pack("{s:[i,i]}", "pair", 0, 1));
    ck_assert_int_ne(idc_cert_verify(c, &inst, why, sizeof why), IDC_OK);
    ck_assert_msg(strstr(why, "undefined") != NULL, "%s", why);
    json_object_set_new(c, "witness", json_pack("{s:[i,i]}", "pair", 1, 0));
    ck_assert_int_ne(idc_cert_verify(c, &inst, why, sizeof why), IDC_OK);
    json_decref(c);
    idc_instance_clear(&inst);
    /* a point mass and a nondegenerate component in m = 1: ratio 0/2 -> HOLDS,
     * the nondegenerate one as denominator */
    const double mixed[2] = {2, 0};
    load1(&inst, mixed, 2);
    ck_assert_int_eq(p2_of(&c, &inst), IDC_HOLDS);
    json_t *pair = json_object_get(json_object_get(c, "witness"), "pair");
    ck_assert_int_eq(json_integer_value(json_array_get(pair, 0)), 1);
    ck_assert_int_eq(json_integer_value(json_array_get(pair, 1)), 0);
    /* the pair swapped puts the zero variance in the denominator */
    json_array_set_new(pair, 0, json_integer(0));
    json_array_set_new(pair, 1, json_integer(1));
    ck_assert_int_ne(idc_cert_verify(c, &inst, why, sizeof why), IDC_OK);
    ck_assert_msg(strstr(why, "undefined") != NULL, "%s", why);
    json_decref(c);
    idc_instance_clear(&inst);
    /* m = 2, one zero variance in component 1: pair (1, 0) HOLDS with
     * ratios 0/1 and 1/1; a "zero" FAILS entry naming a nonzero variance
     * is rejected */
    const char *const sig[2] = {"[[1, 0], [0, 1]]", "[[0, 0], [0, 1]]"};
    load(&inst, sig, 2);
    ck_assert_int_eq(p2_of(&c, &inst), IDC_HOLDS);
    pair = json_object_get(json_object_get(c, "witness"), "pair");
    ck_assert_int_eq(json_integer_value(json_array_get(pair, 0)), 1);
    ck_assert_int_eq(json_integer_value(json_array_get(pair, 1)), 0);
    json_object_set_new(c, "verdict", json_string("FAILS"));
    json_object_set_new(
        c, "witness",
        json_pack("{s:s,s:[{s:[i,i],s:[i,i]}]}", "reason", "ties", "ties", "pair", 0, 1, "zero", 0, 0));
    ck_assert_int_ne(idc_cert_verify(c, &inst, why, sizeof why), IDC_OK);
    ck_assert_msg(strstr(why, "is not zero") != NULL, "%s", why);
    json_decref(c);
    idc_instance_clear(&inst);
    /* both nondegenerate in m = 1 (one ratio): HOLDS as before */
    const double reg[2] = {1, 3};
    load1(&inst, reg, 2);
    ck_assert_int_eq(p2_of(&c, &inst), IDC_HOLDS);
    json_decref(c);
    idc_instance_clear(&inst);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("p2");
    TCase *tc = tcase_create("p2");
    tcase_add_loop_test(tc, test_known_answers, 0, (int)(sizeof table / sizeof table[0]));
    tcase_add_test(tc, test_tampering);
    tcase_add_test(tc, test_zero_variances);
    suite_add_tcase(s, tc);
    return idc_test_run(s);
}
