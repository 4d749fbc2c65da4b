/* Tests of the iVAE conditions I-ii, I-iii, I-T2 (theory/check/pre_ivae.c) and of
 * their verifier (theory/verify/verify_ivae.c). */
#include <stdio.h>
#include <string.h>

#include "numeric/rng.h"
#include "numeric/tests/testutil.h"
#include "theory/cert.h"
#include "theory/precond.h"

/* Instance with diagonal components: means[u][i], vars[u][i] as JSON
 * fragments; aux "label" or "none". */
static void load(idc_instance *inst, const char *components, int dim, const char *aux)
{
    char txt[8192], W[512] = "[";
    for (int i = 0; i < dim; i++) {
        strcat(W, i ? ",[" : "[");
        for (int j = 0; j < dim; j++)
            strcat(W, j ? (i == j ? ",1" : ",0") : (i == j ? "1" : "0"));
        strcat(W, "]");
    }
    strcat(W, "]");
    char b[256] = "[";
    for (int i = 0; i < dim; i++)
        strcat(b, i ? ",0" : "0");
    strcat(b, "]");
    snprintf(txt, sizeof txt,
             "{\"idcheck_format\": 1, \"model\": {\"dim\": %d, \"components\": %s}, \"map\": {\"type\": \"mlp\", "
             "\"layers\": [{\"W\": %s, \"b\": %s, \"activation\": \"identity\"}]}, \"aux\": {\"kind\": \"%s\"}}",
             dim, components, W, b, aux);
    idc_err err;
    ck_assert_msg(idc_instance_read_string(inst, txt, &err) == IDC_OK, "%s", err.msg);
}

/* Runs id, requires the verdict (and the method when decided), verifies the
 * certificate; returns a new reference to it (NULL when UNKNOWN). */
static json_t *expect(const idc_instance *inst, const char *id, idc_verdict v, const char *method)
{
    idc_pre_result r;
    idc_err err;
    idc_pre_result_init(&r);
    ck_assert_msg(idc_pre_check(&r, id, inst, NULL, &err) == IDC_OK, "%s", err.msg);
    ck_assert_msg(r.verdict == v, "%s: %s (%s)", id, idc_verdict_name(r.verdict), r.reason);
    json_t *c = NULL;
    if (v != IDC_UNKNOWN) {
        ck_assert_str_eq(json_string_value(json_object_get(r.cert, "method")), method);
        char why[256];
        ck_assert_msg(idc_cert_verify(r.cert, inst, why, sizeof why) == IDC_OK, "%s: %s", id, why);
        c = json_incref(r.cert);
    } else {
        ck_assert_ptr_null(r.cert);
    }
    idc_pre_result_clear(&r);
    return c;
}

static void reject(const idc_instance *inst, json_t *cert)
{
    char why[256];
    ck_assert_int_ne(idc_cert_verify(cert, inst, why, sizeof why), IDC_OK);
    ck_assert(why[0] != '\0');
}

/* means and variances both modulated, J = 5 = 2m + 1 */
static const char *full2 =
    "[{\"weight\": 0.2, \"mean\": [0, 0], \"Sigma\": [[1, 0], [0, 1]]},"
    " {\"weight\": 0.2, \"mean\": [1, 0], \"Sigma\": [[2, 0], [0, 1]]},"
    " {\"weight\": 0.2, \"mean\": [0, -1], \"Sigma\": [[1, 0], [0, 3]]},"
    " {\"weight\": 0.2, \"mean\": [2, 1], \"Sigma\": [[0.5, 0], [0, 1]]},"
    " {\"weight\": 0.2, \"mean\": [0, 3], \"Sigma\": [[1, 0], [0, 0.25]]}]";
/* zero means, variances modulated: the scale family T = z^2, k = 1 */
static const char *scale3 =
    "[{\"weight\": 0.25, \"mean\": [0, 0], \"Sigma\": [[1, 0], [0, 1]]},"
    " {\"weight\": 0.25, \"mean\": [0, 0], \"Sigma\": [[2, 0], [0, 1]]},"
    " {\"weight\": 0.5, \"mean\": [0, 0], \"Sigma\": [[1, 0], [0, 3]]}]";
/* zero means, Sigma_u = c_u D: the parameter differences are all parallel */
static const char *proportional =
    "[{\"weight\": 0.25, \"mean\": [0, 0], \"Sigma\": [[1, 0], [0, 2]]},"
    " {\"weight\": 0.25, \"mean\": [0, 0], \"Sigma\": [[2, 0], [0, 4]]},"
    " {\"weight\": 0.25, \"mean\": [0, 0], \"Sigma\": [[3, 0], [0, 6]]},"
    " {\"weight\": 0.25, \"mean\": [0, 0], \"Sigma\": [[5, 0], [0, 10]]}]";
/* equal variances, means modulated: T = z, k = 1 */
static const char *location3 =
    "[{\"weight\": 0.25, \"mean\": [0, 0], \"Sigma\": [[1, 0], [0, 2]]},"
    " {\"weight\": 0.25, \"mean\": [1, 0], \"Sigma\": [[1, 0], [0, 2]]},"
    " {\"weight\": 0.5, \"mean\": [0, 1], \"Sigma\": [[1, 0], [0, 2]]}]";
static const char *two = "[{\"weight\": 0.5, \"mean\": [0, 0], \"Sigma\": [[1, 0], [0, 1]]},"
                         " {\"weight\": 0.5, \"mean\": [0, 0], \"Sigma\": [[2, 0], [0, 3]]}]";
static const char *corr = "[{\"weight\": 0.5, \"mean\": [0, 0], \"Sigma\": [[1, 0], [0, 1]]},"
                          " {\"weight\": 0.5, \"mean\": [1, 0], \"Sigma\": [[2, 1], [1, 3]]}]";
static const char *degen = "[{\"weight\": 0.5, \"mean\": [0, 0], \"Sigma\": [[1, 0], [0, 1]]},"
                           " {\"weight\": 0.5, \"mean\": [1, 0], \"L\": [[1], [0]]}]";

START_TEST(test_known_answers)
{
    static const struct {
        const char *comps, *aux, *id;
        idc_verdict v;
        const char *method;
    } table[] = {
        {NULL, "label", "I-iii", IDC_HOLDS, "natural-parameters"}, /* full2 */
        {NULL, "label", "I-ii", IDC_HOLDS, "gaussian-statistics"},
        {NULL, "label", "I-T2", IDC_FAILS, "statistics"},
        {NULL, "none", "I-iii", IDC_FAILS, "no-auxiliary"},
        {NULL, "none", "I-ii", IDC_UNKNOWN, NULL},
        {NULL, "none", "I-T2", IDC_UNKNOWN, NULL},
    };
    for (size_t t = 0; t < sizeof table / sizeof table[0]; t++) {
        idc_instance inst;
        load(&inst, full2, 2, table[t].aux);
        json_decref(expect(&inst, table[t].id, table[t].v, table[t].method));
        idc_instance_clear(&inst);
    }
    static const struct {
        const char **comps;
        const char *id;
        idc_verdict v;
        const char *method;
    } t2[] = {
        {&scale3, "I-iii", IDC_HOLDS, "natural-parameters"},  {&scale3, "I-T2", IDC_HOLDS, "scale-family"},
        {&proportional, "I-iii", IDC_FAILS, "hyperplane"},    {&proportional, "I-T2", IDC_HOLDS, "scale-family"},
        {&location3, "I-iii", IDC_HOLDS, "natural-parameters"}, {&location3, "I-T2", IDC_FAILS, "statistics"},
        {&two, "I-iii", IDC_FAILS, "hyperplane"},             {&corr, "I-iii", IDC_FAILS, "not-factorial"},
        {&corr, "I-ii", IDC_UNKNOWN, NULL},                   {&corr, "I-T2", IDC_UNKNOWN, NULL},
        {&degen, "I-iii", IDC_FAILS, "not-factorial"},
    };
    for (size_t t = 0; t < sizeof t2 / sizeof t2[0]; t++) {
        idc_instance inst;
        load(&inst, *t2[t].comps, 2, "label");
        json_decref(expect(&inst, t2[t].id, t2[t].v, t2[t].method));
        idc_instance_clear(&inst);
    }
}
END_TEST

START_TEST(test_one_component_and_m1)
{
    idc_instance inst;
    load(&inst, "[{\"weight\": 1, \"mean\": [0], \"Sigma\": [[1]]}]", 1, "label");
    json_decref(expect(&inst, "I-iii", IDC_FAILS, "hyperplane")); /* one value of u: nothing varies */
    json_decref(expect(&inst, "I-ii", IDC_HOLDS, "gaussian-statistics"));
    idc_instance_clear(&inst);
    load(&inst, "[{\"weight\": 0.5, \"mean\": [0], \"Sigma\": [[1]]}, {\"weight\": 0.5, \"mean\": [0], \"Sigma\": [[4]]}]",
         1, "label");
    json_decref(expect(&inst, "I-iii", IDC_HOLDS, "natural-parameters"));
    json_decref(expect(&inst, "I-T2", IDC_HOLDS, "scale-family"));
    idc_instance_clear(&inst);
}
END_TEST

START_TEST(test_tamper)
{
    idc_instance inst, other;
    load(&inst, full2, 2, "label");
    load(&other, scale3, 2, "label");
    json_t *c = expect(&inst, "I-iii", IDC_HOLDS, "natural-parameters");
    reject(&other, c); /* another model */
    json_t *rows = json_object_get(json_object_get(c, "witness"), "rows");
    json_array_set_new(rows, 0, json_integer(0)); /* the base itself */
    reject(&inst, c);
    json_decref(c);
    c = expect(&inst, "I-T2", IDC_FAILS, "statistics");
    json_object_set_new(json_object_get(c, "witness"), "k", json_integer(1));
    reject(&inst, c);
    json_decref(c);
    idc_instance_clear(&other);
    load(&other, proportional, 2, "label");
    c = expect(&other, "I-iii", IDC_FAILS, "hyperplane");
    json_t *v = json_object_get(json_object_get(c, "witness"), "v");
    json_array_set_new(v, 0, json_string("7"));
    reject(&other, c);
    json_decref(c);
    c = expect(&other, "I-T2", IDC_HOLDS, "scale-family");
    json_object_set_new(c, "verdict", json_string("FAILS"));
    reject(&other, c);
    json_decref(c);
    idc_instance_clear(&other);
    /* no-auxiliary certificate replayed on a model with a label */
    load(&other, full2, 2, "none");
    c = expect(&other, "I-iii", IDC_FAILS, "no-auxiliary");
    json_object_set_new(c, "model_hash", json_string("x"));
    reject(&inst, c);
    json_decref(c);
    idc_instance_clear(&other);
    idc_instance_clear(&inst);
}
END_TEST

/* Random factorial models with J = 2m + 1 generic components: HOLDS with a
 * verified certificate; adding the constraint Sigma_u = c_u D (zero means)
 * gives FAILS for m >= 2. */
START_TEST(test_random)
{
    uint64_t seed = idc_test_seed(0x1ae5);
    IDC_TEST_PRINT_SEED("test_random", seed);
    for (uint32_t trial = 0; trial < 40; trial++) {
        idc_rng r = idc_rng_stream(seed, trial, IDC_PURPOSE_GENERATOR);
        int m = 1 + (int)idc_rng_below(r, 0, 3), J = 2 * m + 1, prop = trial % 2;
        char comps[6000] = "[";
        uint64_t k = 1;
        for (int u = 0; u < J; u++) {
            char buf[512];
            int c = 1 + (int)idc_rng_below(r, k++, 9);
            snprintf(buf, sizeof buf, "%s{\"weight\": %.17g, \"mean\": [", u ? "," : "", 1.0 / J);
            strcat(comps, buf);
            for (int i = 0; i < m; i++) {
                snprintf(buf, sizeof buf, "%s%d", i ? "," : "", prop ? 0 : (int)idc_rng_below(r, k++, 7) - 3);
                strcat(comps, buf);
            }
            strcat(comps, "], \"Sigma\": [");
            for (int i = 0; i < m; i++) {
                strcat(comps, i ? ",[" : "[");
                for (int j = 0; j < m; j++) {
                    int d = prop ? c * (i + 1) : 1 + (int)idc_rng_below(r, k++, 9);
                    snprintf(buf, sizeof buf, "%s%d", j ? "," : "", i == j ? d : 0);
                    strcat(comps, buf);
                }
                strcat(comps, "]");
            }
            strcat(comps, "]}");
        }
        strcat(comps, "]");
        idc_instance inst;
        load(&inst, comps, m, "label");
        idc_pre_result res;
        idc_err err;
        idc_pre_result_init(&res);
        ck_assert_int_eq(idc_pre_check(&res, "I-iii", &inst, NULL, &err), IDC_OK);
        char why[256] = "";
        int ok = res.verdict != IDC_UNKNOWN && idc_cert_verify(res.cert, &inst, why, sizeof why) == IDC_OK;
        if (prop && m >= 2)
            ok = ok && res.verdict == IDC_FAILS;
        if (!ok)
            IDC_TEST_FAIL_REPLAY("test_random", seed, "trial %u (m = %d, proportional %d): %s %s %s", trial, m,
                                 prop, idc_verdict_name(res.verdict), res.reason, why);
        idc_pre_result_clear(&res);
        idc_instance_clear(&inst);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ivae");
    const idc_test_case cases[] = {
        {"test_known_answers", test_known_answers},
        {"test_one_component_and_m1", test_one_component_and_m1},
        {"test_tamper", test_tamper},
        {"test_random", test_random},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 30);
    return idc_test_run(s);
}
