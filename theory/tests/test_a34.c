/* Tests of A3.4 (X Ass. 3.4) for all pdGMMs, degenerate components
 * included, and of its verifier: a known-answer table over every component
 * form, tampered and replayed certificates, randomized mixtures (every
 * certificate verified), planted violations, budgets and sizes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "generators/pdgmm.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"
#include "theory/cert.h"
#include "theory/precond.h"

/* ---- helpers ------------------------------------------------------------------ */

/* An instance of dimension m with identity map; `model` is the text inside
 * "model": {"dim": m, <model>}. */
static int load_text(idc_instance *inst, size_t m, const char *model, idc_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    fprintf(f,
            "{\"idcheck_format\": 1, \"model\": {\"dim\": %zu, %s}, \"map\": {\"type\": \"mlp\", \"layers\": "
            "[{\"W\": [",
            m, model);
    for (size_t i = 0; i < m; i++) {
        fprintf(f, "%s[", i ? ", " : "");
        for (size_t k = 0; k < m; k++)
            fprintf(f, "%s%d", k ? ", " : "", i == k);
        fprintf(f, "]");
    }
    fprintf(f, "], \"b\": [");
    for (size_t i = 0; i < m; i++)
        fprintf(f, "%s0", i ? ", " : "");
    fprintf(f, "], \"activation\": \"identity\"}]}}");
    fclose(f);
    int rc = idc_instance_read_string(inst, buf, err);
    free(buf);
    return rc;
}

static void load(idc_instance *inst, size_t m, const char *model)
{
    idc_err err;
    ck_assert_msg(load_text(inst, m, model, &err) == IDC_OK, "%s", err.msg);
}

/* Runs A3.4; every certificate must verify. Returns the result (caller
 * clears). */
static void run(idc_pre_result *r, const idc_instance *inst, const idc_budget *b)
{
    idc_err err;
    idc_pre_result_init(r);
    ck_assert_msg(idc_pre_check(r, "A3.4", inst, b, &err) == IDC_OK, "%s", err.msg);
    if (r->verdict != IDC_UNKNOWN) {
        char why[256];
        ck_assert_ptr_nonnull(r->cert);
        ck_assert_msg(idc_cert_verify(r->cert, inst, why, sizeof why) == IDC_OK, "%s: %s", r->reason, why);
    } else {
        ck_assert_ptr_null(r->cert);
    }
}

static json_t *wit(json_t *cert)
{
    return json_object_get(cert, "witness");
}

/* 1 when the (deep-copied, tampered) certificate is rejected. */
static int rejected(const json_t *t, const idc_instance *inst, const char *expect)
{
    char why[256];
    int bad = idc_cert_verify(t, inst, why, sizeof why) != IDC_OK;
    if (bad && expect != NULL)
        ck_assert_msg(strstr(why, expect) != NULL, "reason \"%s\" lacks \"%s\"", why, expect);
    return bad;
}

/* ---- known answers ------------------------------------------------------------- */

#define LINE_E1 "{\"weight\": 0.5, \"mean\": [1, 0], \"L\": [[1], [0]]}"

static const struct {
    const char *name;
    size_t m;
    const char *model;
    idc_verdict v;
    const char *method;
    const char *pair; /* FAILS: the pair named in the witness, as JSON */
} table[] = {
    {"nondegenerate, three forms", 2,
     "\"components\": [{\"weight\": 0.5, \"mean\": [0, 1], \"L\": [[1, 0], [1, 1]]}, {\"weight\": 0.25, "
     "\"mean\": "
     "[2, 1], \"Sigma\": [[2, 1], [1, 1]]}, {\"weight\": 0.25, \"mean\": [0.1, -3], \"L\": [[3, 0], [0, "
     "0.5]]}]",
     IDC_HOLDS, "maximal-sets", NULL},
    {"J = 1", 2, "\"components\": [{\"weight\": 1, \"mean\": [0, 1], \"L\": [[1, 0], [1, 1]]}]", IDC_HOLDS,
     "maximal-sets", NULL},
    {"J = 1 degenerate", 3, "\"components\": [{\"weight\": 1, \"mean\": [0, 1, 2], \"L\": [[1], [1], [0]]}]",
     IDC_HOLDS, "maximal-sets", NULL},
    /* same covariance, different means: d1^2 - d2^2 is a nonzero affine function */
    {"same covariance", 2,
     "\"components\": [{\"weight\": 0.5, \"mean\": [0, 0], \"L\": [[1, 0], [0, 1]]}, {\"weight\": 0.5, "
     "\"mean\": "
     "[1, 0], \"L\": [[1, 0], [0, 1]]}]",
     IDC_HOLDS, "maximal-sets", NULL},
    /* same mean, covariances I and 2I: d1^2 = 2 d2^2, equal only at the mean */
    {"same mean", 2,
     "\"components\": [{\"weight\": 0.5, \"mean\": [1, 1], \"Sigma\": [[1, 0], [0, 1]]}, {\"weight\": 0.5, "
     "\"mean\": [1, 1], \"Sigma\": [[2, 0], [0, 2]]}]",
     IDC_HOLDS, "maximal-sets", NULL},
    /* X Example E.2: lines along e1 (mean (1,0), variance 1) and e2 (mean
     * (0,2), variance 4) meet at 0 where both d^2 = 1 */
    {"X-E.2 violation", 2,
     "\"components\": [" LINE_E1 ", {\"weight\": 0.5, \"mean\": [0, 2], \"L\": [[0], [2]]}]", IDC_FAILS,
     "equal-distances", "[0, 1]"},
    {"X-E.2, variance 9", 2,
     "\"components\": [" LINE_E1 ", {\"weight\": 0.5, \"mean\": [0, 2], \"L\": [[0], [3]]}]", IDC_HOLDS,
     "maximal-sets", NULL},
    /* variance-ratio tie: means (2,0), (0,3), variances 4, 9: a^2/s = b^2/t */
    {"variance-ratio tie", 2,
     "\"components\": [{\"weight\": 0.5, \"mean\": [2, 0], \"L\": [[2], [0]]}, {\"weight\": 0.5, \"mean\": "
     "[0, "
     "3], \"L\": [[0], [3]]}]",
     IDC_FAILS, "equal-distances", "[0, 1]"},
    {"variance-ratio, no tie", 2,
     "\"components\": [{\"weight\": 0.5, \"mean\": [2, 0], \"L\": [[2], [0]]}, {\"weight\": 0.5, \"mean\": "
     "[0, "
     "3], \"L\": [[0], [2]]}]",
     IDC_HOLDS, "maximal-sets", NULL},
    {"parallel lines", 2,
     "\"components\": [{\"weight\": 0.5, \"mean\": [0, 0], \"L\": [[1], [0]]}, {\"weight\": 0.5, \"mean\": "
     "[0, "
     "1], \"L\": [[1], [0]]}]",
     IDC_HOLDS, "maximal-sets", NULL},
    /* three lines through 0, along e1, e2, e1+e2: d^2 = 1, 1, 18 at 0 */
    {"three lines, two equal", 2,
     "\"components\": [" LINE_E1
     ", {\"weight\": 0.25, \"mean\": [0, 2], \"L\": [[0], [2]]}, {\"weight\": 0.25, "
     "\"mean\": [3, 3], \"L\": [[1], [1]]}]",
     IDC_FAILS, "equal-distances", "[0, 1]"},
    /* triangle x = 0, y = 0, x + y = 1: three maximal pairs, one disjoint triple */
    {"triangle", 2,
     "\"components\": [{\"weight\": 0.25, \"mean\": [5, 0], \"L\": [[1], [0]]}, {\"weight\": 0.25, \"mean\": "
     "[0, "
     "7], \"L\": [[0], [1]]}, {\"weight\": 0.5, \"mean\": [1, 0], \"L\": [[1], [-1]]}]",
     IDC_HOLDS, "maximal-sets", NULL},
    {"repeated nondegenerate", 2,
     "\"components\": [{\"weight\": 0.5, \"mean\": [0, 0], \"L\": [[1, 0], [0, 1]]}, {\"weight\": 0.5, "
     "\"mean\": "
     "[0, 0], \"L\": [[1, 0], [0, 1]]}]",
     IDC_FAILS, "equal-distances", "[0, 1]"},
    {"repeated line, other forms", 2,
     "\"components\": [{\"weight\": 0.25, \"mean\": [1, 1], \"L\": [[1], [1]]}, {\"weight\": 0.25, \"mean\": "
     "[0, "
     "5], \"L\": [[0], [1]]}, {\"weight\": 0.5, \"mean\": [1, 1], \"Sigma\": [[1, 1], [1, 1]]}]",
     IDC_FAILS, "equal-distances", "[0, 2]"},
    {"m = 1", 1,
     "\"components\": [{\"weight\": 0.5, \"mean\": [0], \"L\": [[1]]}, {\"weight\": 0.5, \"mean\": [1], "
     "\"L\": "
     "[[2]]}]",
     IDC_HOLDS, "maximal-sets", NULL},
    {"m = 1 point masses", 1,
     "\"components\": [{\"weight\": 0.5, \"mean\": [0], \"L\": []}, {\"weight\": 0.25, \"mean\": [1], \"L\": "
     "[]}, "
     "{\"weight\": 0.25, \"mean\": [1], \"L\": [[1]]}]",
     IDC_HOLDS, "maximal-sets", NULL},
    {"m = 1 repeated point mass", 1,
     "\"components\": [{\"weight\": 0.5, \"mean\": [0.5], \"L\": []}, {\"weight\": 0.5, \"mean\": [0.5], "
     "\"Sigma\": "
     "[[0]]}]",
     IDC_FAILS, "equal-distances", "[0, 1]"},
    /* a line and a plane meeting at 0 with d^2 = 1 for both: different ranks */
    {"different ranks", 2,
     "\"components\": [" LINE_E1 ", {\"weight\": 0.5, \"mean\": [1, 0], \"L\": [[1, 0], [0, 1]]}]", IDC_HOLDS,
     "maximal-sets", NULL},
    /* planes span(e1,e2) + (0,0,0)... meeting along the e1 axis */
    {"rank-2 pair, q = 0 on the line", 3,
     "\"components\": [{\"weight\": 0.5, \"mean\": [0, 5, 0], \"L\": [[1, 0], [0, 1], [0, 0]]}, {\"weight\": "
     "0.5, "
     "\"mean\": [0, 0, 5], \"L\": [[1, 0], [0, 0], [0, 1]]}]",
     IDC_FAILS, "equal-distances", "[0, 1]"},
    {"rank-2 pair, q != 0 on the line", 3,
     "\"components\": [{\"weight\": 0.5, \"mean\": [0, 5, 0], \"L\": [[1, 0], [0, 1], [0, 0]]}, {\"weight\": "
     "0.5, "
     "\"mean\": [0, 0, 5], \"L\": [[2, 0], [0, 0], [0, 1]]}]",
     IDC_HOLDS, "maximal-sets", NULL},
    {"covariance form E.2", 2,
     "\"components\": [{\"weight\": 0.5, \"mean\": [1, 0], \"Sigma\": [[1, 0], [0, 0]]}, {\"weight\": 0.5, "
     "\"mean\": [0, 2], \"Sigma\": [[0, 0], [0, 4]]}]",
     IDC_FAILS, "equal-distances", "[0, 1]"},
    {"covariance form, no tie", 2,
     "\"components\": [{\"weight\": 0.5, \"mean\": [1, 0], \"Sigma\": [[1, 0], [0, 0]]}, {\"weight\": 0.5, "
     "\"mean\": [0, 2], \"Sigma\": [[0, 0], [0, 9]]}]",
     IDC_HOLDS, "maximal-sets", NULL},
    /* frame B = [[1, 1], [0, 1]]: a line along e1 (mean (1,0)) and one along
     * (1,1) with mean (2,2), Sigma = 4 (1,1)(1,1)^T: d^2 = 1 at 0 for both */
    {"frame form tie", 2,
     "\"frame\": {\"basis\": [[1, 1], [0, 1]], \"translation\": [0, 0]}, \"components\": [{\"weight\": 0.5, "
     "\"support\": [0], \"mean\": [1], \"L\": [[1]]}, {\"weight\": 0.5, \"support\": [1], \"mean\": [2], "
     "\"L\": "
     "[[2]]}]",
     IDC_FAILS, "equal-distances", "[0, 1]"},
    {"frame form, no tie", 2,
     "\"frame\": {\"basis\": [[1, 1], [0, 1]], \"translation\": [0, 0]}, \"components\": [{\"weight\": 0.5, "
     "\"support\": [0], \"mean\": [1], \"L\": [[1]]}, {\"weight\": 0.5, \"support\": [1], \"mean\": [3], "
     "\"L\": "
     "[[2]]}]",
     IDC_HOLDS, "maximal-sets", NULL},
    /* a rank-deficient declared factor: L = [[1, 1], [1, 1]] has rank 1 */
    {"rank-deficient factor", 2,
     "\"components\": [{\"weight\": 0.5, \"mean\": [0, 0], \"L\": [[1, 1], [1, 1]]}, {\"weight\": 0.5, "
     "\"mean\": "
     "[1, 1], \"L\": [[1], [1]]}]",
     IDC_HOLDS, "maximal-sets", NULL},
};

START_TEST(test_known_answers)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        idc_instance inst;
        load(&inst, table[i].m, table[i].model);
        idc_pre_result r;
        run(&r, &inst, NULL);
        ck_assert_msg(r.verdict == table[i].v, "%s: %s (%s)", table[i].name, idc_verdict_name(r.verdict),
                      r.reason);
        ck_assert_str_eq(json_string_value(json_object_get(r.cert, "method")), table[i].method);
        if (table[i].pair != NULL) {
            char *p = json_dumps(json_object_get(wit(r.cert), "pair"), JSON_COMPACT);
            char want[32];
            snprintf(want, sizeof want, "%s", table[i].pair);
            for (char *s = want, *d = want;; s++)
                if (*s != ' ' && (*d++ = *s) == '\0')
                    break;
            ck_assert_msg(strcmp(p, want) == 0, "%s: pair %s, expected %s", table[i].name, p, want);
            free(p);
        }
        idc_pre_result_clear(&r);
        idc_instance_clear(&inst);
    }
}
END_TEST

/* The triangle's certificate has the expected shape. */
START_TEST(test_triangle_shape)
{
    idc_instance inst;
    load(&inst, 2, table[11].model);
    idc_pre_result r;
    run(&r, &inst, NULL);
    ck_assert_int_eq(r.verdict, IDC_HOLDS);
    json_t *cls = json_array_get(json_object_get(wit(r.cert), "classes"), 0);
    ck_assert_int_eq((int)json_array_size(json_object_get(cls, "maximal")), 3);
    ck_assert_int_eq((int)json_array_size(json_object_get(cls, "disjoint")), 1);
    idc_pre_result_clear(&r);
    idc_instance_clear(&inst);
}
END_TEST

/* ---- tampering and replay ------------------------------------------------------ */

START_TEST(test_tamper_holds)
{
    idc_instance inst, other;
    load(&inst, 2, table[11].model); /* triangle */
    load(&other, 2, table[6].model); /* E.2 with variance 9 */
    idc_pre_result r;
    run(&r, &inst, NULL);
    ck_assert_int_eq(r.verdict, IDC_HOLDS);
    json_t *t;
#define CLS(t) json_array_get(json_object_get(wit(t), "classes"), 0)
#define MAX0(t) json_array_get(json_object_get(CLS(t), "maximal"), 0)
    /* equal claimed distances */
    t = json_deep_copy(r.cert);
    json_t *d2 = json_object_get(MAX0(t), "d2");
    json_array_set(d2, 1, json_array_get(d2, 0));
    ck_assert(rejected(t, &inst, NULL));
    json_decref(t);
    /* a moved point */
    t = json_deep_copy(r.cert);
    json_array_set_new(json_object_get(MAX0(t), "point"), 0, json_string("1000/1"));
    ck_assert(rejected(t, &inst, "point - mu"));
    json_decref(t);
    /* a wrong y (entry 0: component 0's support is the e1 axis, so y[1] is free) */
    t = json_deep_copy(r.cert);
    json_array_set_new(json_array_get(json_object_get(MAX0(t), "y"), 0), 0, json_string("7/3"));
    ck_assert(rejected(t, &inst, NULL));
    json_decref(t);
    /* a dropped maximal set, or a dropped disjoint set: coverage */
    t = json_deep_copy(r.cert);
    json_array_remove(json_object_get(CLS(t), "maximal"), 2);
    ck_assert(rejected(t, &inst, "coverage"));
    json_decref(t);
    t = json_deep_copy(r.cert);
    json_array_clear(json_object_get(CLS(t), "disjoint"));
    ck_assert(rejected(t, &inst, "coverage"));
    json_decref(t);
    /* a changed Fredholm vector */
    t = json_deep_copy(r.cert);
    json_t *w = json_object_get(json_array_get(json_object_get(CLS(t), "disjoint"), 0), "w");
    json_array_set_new(w, 0, json_string("12345/1"));
    ck_assert(rejected(t, &inst, "disjoint"));
    json_decref(t);
    /* a disjoint set claimed for a pair that meets */
    t = json_deep_copy(r.cert);
    json_object_set_new(json_array_get(json_object_get(CLS(t), "disjoint"), 0), "members",
                        json_pack("[i,i]", 0, 1));
    ck_assert(rejected(t, &inst, NULL));
    json_decref(t);
    /* wrong ranks, split classes, a missing component */
    t = json_deep_copy(r.cert);
    json_array_set_new(json_object_get(wit(t), "ranks"), 0, json_integer(2));
    ck_assert(rejected(t, &inst, "rank"));
    json_decref(t);
    t = json_deep_copy(r.cert);
    json_object_set_new(CLS(t), "members", json_pack("[i,i]", 0, 1));
    ck_assert(rejected(t, &inst, NULL));
    json_decref(t);
    t = json_deep_copy(r.cert);
    json_object_set_new(CLS(t), "rank", json_integer(2));
    ck_assert(rejected(t, &inst, NULL));
    json_decref(t);
    /* FAILS claims do not come with this witness */
    t = json_deep_copy(r.cert);
    json_object_set_new(t, "verdict", json_string("FAILS"));
    ck_assert(rejected(t, &inst, NULL));
    json_decref(t);
    /* replayed against another model: the hash, and the content itself */
    char why[256];
    ck_assert_int_ne(idc_cert_verify(r.cert, &other, why, sizeof why), IDC_OK);
    ck_assert_int_ne(idc_cert_verify_parts(r.cert, &other.prior, NULL, NULL, why, sizeof why), IDC_OK);
    idc_pre_result_clear(&r);
    /* E.2's HOLDS certificate (variance 9) replayed on the violating model */
    idc_instance bad;
    load(&bad, 2, table[5].model);
    run(&r, &other, NULL);
    ck_assert_int_ne(idc_cert_verify_parts(r.cert, &bad.prior, NULL, NULL, why, sizeof why), IDC_OK);
    idc_pre_result_clear(&r);
    idc_instance_clear(&bad);
    idc_instance_clear(&inst);
    idc_instance_clear(&other);
#undef CLS
#undef MAX0
}
END_TEST

START_TEST(test_tamper_fails)
{
    idc_instance inst, other;
    load(&inst, 3, table[18].model);  /* rank-2 pair, q = 0 on a line */
    load(&other, 3, table[19].model); /* q != 0 there */
    idc_pre_result r;
    run(&r, &inst, NULL);
    ck_assert_int_eq(r.verdict, IDC_FAILS);
    ck_assert_int_eq((int)json_array_size(json_object_get(wit(r.cert), "directions")), 1);
    json_t *t;
    /* a point off the supports */
    t = json_deep_copy(r.cert);
    json_array_set_new(json_object_get(wit(t), "point"), 2, json_string("1/1"));
    ck_assert(rejected(t, &inst, NULL));
    json_decref(t);
    /* a wrong y0 */
    t = json_deep_copy(r.cert);
    json_array_set_new(json_array_get(json_object_get(wit(t), "y0"), 0), 0, json_string("1/2"));
    ck_assert(rejected(t, &inst, NULL));
    json_decref(t);
    /* no directions: the flat would be smaller than the intersection */
    t = json_deep_copy(r.cert);
    json_array_clear(json_object_get(wit(t), "directions"));
    json_array_clear(json_array_get(json_object_get(wit(t), "Y"), 0));
    json_array_clear(json_array_get(json_object_get(wit(t), "Y"), 1));
    ck_assert(rejected(t, &inst, "dimension"));
    json_decref(t);
    /* a pair outside the members, a wrong rank, one member */
    t = json_deep_copy(r.cert);
    json_object_set_new(wit(t), "pair", json_pack("[i,i]", 0, 0));
    ck_assert(rejected(t, &inst, NULL));
    json_decref(t);
    t = json_deep_copy(r.cert);
    json_object_set_new(wit(t), "rank", json_integer(1));
    ck_assert(rejected(t, &inst, "rank"));
    json_decref(t);
    t = json_deep_copy(r.cert);
    json_object_set_new(wit(t), "members", json_pack("[i]", 0));
    ck_assert(rejected(t, &inst, NULL));
    json_decref(t);
    t = json_deep_copy(r.cert);
    json_object_set_new(t, "verdict", json_string("HOLDS"));
    ck_assert(rejected(t, &inst, NULL));
    json_decref(t);
    /* replayed on the model where the distances differ on the line */
    char why[256];
    ck_assert_int_ne(idc_cert_verify(r.cert, &other, why, sizeof why), IDC_OK);
    ck_assert_int_ne(idc_cert_verify_parts(r.cert, &other.prior, NULL, NULL, why, sizeof why), IDC_OK);
    idc_pre_result_clear(&r);
    /* E.2 (a point): the constant terms decide */
    idc_instance e2, e2h;
    load(&e2, 2, table[5].model);
    load(&e2h, 2, table[6].model);
    run(&r, &e2, NULL);
    ck_assert_int_eq(r.verdict, IDC_FAILS);
    ck_assert_int_ne(idc_cert_verify_parts(r.cert, &e2h.prior, NULL, NULL, why, sizeof why), IDC_OK);
    t = json_deep_copy(r.cert);
    json_array_set_new(json_array_get(json_object_get(wit(t), "y0"), 1), 1, json_string("-1/3"));
    ck_assert(rejected(t, &e2, NULL));
    json_decref(t);
    idc_pre_result_clear(&r);
    idc_instance_clear(&e2);
    idc_instance_clear(&e2h);
    idc_instance_clear(&inst);
    idc_instance_clear(&other);
}
END_TEST

/* Older "nondegenerate-point" certificates still verify (built here from
 * P1nd's evidence and the maximal-sets point), and tampering is caught. */
START_TEST(test_nondegenerate_point)
{
    idc_instance inst;
    load(&inst, 2, table[0].model);
    idc_pre_result r, nd;
    idc_err err;
    char hash[65], why[256];
    ck_assert_int_eq(idc_instance_hash(hash, &inst, &err), IDC_OK);
    run(&r, &inst, NULL);
    idc_pre_result_init(&nd);
    ck_assert_int_eq(idc_pre_check(&nd, "P1nd", &inst, NULL, &err), IDC_OK);
    ck_assert_int_eq(nd.verdict, IDC_HOLDS);
    json_t *mx = json_array_get(
        json_object_get(json_array_get(json_object_get(wit(r.cert), "classes"), 0), "maximal"), 0);
    json_t *w = json_pack("{s:O,s:O,s:O,s:O}", "components", json_object_get(wit(nd.cert), "components"),
                          "point", json_object_get(mx, "point"), "y", json_object_get(mx, "y"), "d2",
                          json_object_get(mx, "d2"));
    json_t *c = idc_cert_new("A3.4", IDC_HOLDS, hash, "nondegenerate-point", "X Ass. 3.4", w);
    ck_assert_msg(idc_cert_verify(c, &inst, why, sizeof why) == IDC_OK, "%s", why);
    json_t *t = json_deep_copy(c);
    json_t *d2 = json_object_get(wit(t), "d2");
    json_array_set(d2, 1, json_array_get(d2, 0));
    ck_assert(rejected(t, &inst, NULL));
    json_decref(t);
    t = json_deep_copy(c);
    json_array_set_new(json_object_get(wit(t), "point"), 0, json_string("1000/1"));
    ck_assert(rejected(t, &inst, "point - mu"));
    json_decref(t);
    json_decref(c);
    idc_pre_result_clear(&r);
    idc_pre_result_clear(&nd);
    idc_instance_clear(&inst);
}
END_TEST

/* Malformed priors (built directly; the reader rejects them): an asymmetric
 * covariance or a NaN mean is IDC_EINVAL, and certificates issued for the
 * symmetric model are rejected on the asymmetric one. */
START_TEST(test_bad_input)
{
    idc_instance inst;
    load(&inst, 2, table[21].model); /* covariance form, HOLDS */
    idc_pre_result r;
    run(&r, &inst, NULL);
    ck_assert_int_eq(r.verdict, IDC_HOLDS);
    idc_pdgmm g;
    idc_err err;
    char why[256];
    idc_pdgmm_init(&g);
    ck_assert_int_eq(idc_pdgmm_copy(&g, &inst.prior, &err), IDC_OK);
    ck_assert_int_eq(idc_cert_verify_parts(r.cert, &g, NULL, NULL, why, sizeof why), IDC_OK);
    g.comp[1].sigma[1] = 1; /* [[0, 1], [0, 9]] */
    ck_assert_int_ne(idc_cert_verify_parts(r.cert, &g, NULL, NULL, why, sizeof why), IDC_OK);
    ck_assert(strstr(why, "symmetric") != NULL);
    idc_pre_result out;
    idc_pre_result_init(&out);
    ck_assert_int_eq(idc_pre_a34(&out, &g, NULL, NULL, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "components[1]") != NULL);
    g.comp[1].sigma[1] = 0;
    g.comp[0].mean[0] = NAN;
    ck_assert_int_eq(idc_pre_a34(&out, &g, NULL, NULL, &err), IDC_EINVAL);
    idc_pre_result_clear(&out);
    idc_pdgmm_clear(&g);
    idc_pre_result_clear(&r);
    idc_instance_clear(&inst);
}
END_TEST

/* ---- randomized ------------------------------------------------------------------- */

typedef struct {
    idc_rng s;
    uint64_t k;
} draw;

static long rnd(draw *d, long lo, long hi)
{
    return lo + (long)idc_rng_below(d->s, d->k++, (uint64_t)(hi - lo + 1));
}

static void put_mat(FILE *f, const long *a, size_t r, size_t c)
{
    fprintf(f, "[");
    for (size_t i = 0; i < r; i++) {
        fprintf(f, "%s[", i ? ", " : "");
        for (size_t k = 0; k < c; k++)
            fprintf(f, "%s%ld", k ? ", " : "", a[i * c + k]);
        fprintf(f, "]");
    }
    fprintf(f, "]");
}

static void put_vec(FILE *f, const long *a, size_t n)
{
    fprintf(f, "[");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%ld", i ? ", " : "", a[i]);
    fprintf(f, "]");
}

/* One component with mean mu (m) and factor L (m x r), written in factor
 * form, or (form 1) as Sigma = L L^T. */
static void put_comp(FILE *f, int first, double wgt, const long *mu, const long *L, size_t m, size_t r,
                     int form)
{
    fprintf(f, "%s{\"weight\": %.17g, \"mean\": ", first ? "" : ", ", wgt);
    put_vec(f, mu, m);
    if (form == 1) {
        long S[64];
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b < m; b++) {
                S[a * m + b] = 0;
                for (size_t q = 0; q < r; q++)
                    S[a * m + b] += L[a * r + q] * L[b * r + q];
            }
        fprintf(f, ", \"Sigma\": ");
        put_mat(f, S, m, m);
    } else {
        fprintf(f, ", \"L\": ");
        if (r == 0)
            fprintf(f, "[]");
        else
            put_mat(f, L, m, r);
    }
    fprintf(f, "}");
}

/* Random small-integer mixtures in m <= 4, J <= 6: ranks, means and factors
 * from {-1, 0, 1} so supports meet and distances tie often; some repeated
 * components. Whatever the verdict, the certificate must verify, and a
 * HOLDS certificate must survive no tampering of a distance. */
START_TEST(test_random_degenerate)
{
    uint64_t seed = idc_test_seed(0xa34a34);
    IDC_TEST_PRINT_SEED("test_random_degenerate", seed);
    int counts[4] = {0, 0, 0, 0};
    for (uint32_t trial = 0; trial < 150; trial++) {
        draw d = {idc_rng_stream(idc_rng_derive_seed(seed, trial), 0, IDC_PURPOSE_GENERATOR), 0};
        size_t m = (size_t)rnd(&d, 1, 4), J = (size_t)rnd(&d, 1, 6);
        long mu[6][4], L[6][16];
        size_t r[6];
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        fprintf(f, "\"components\": [");
        for (size_t j = 0; j < J; j++) {
            if (j > 0 && rnd(&d, 0, 9) == 0) { /* a repeat */
                size_t src = (size_t)rnd(&d, 0, (long)j - 1);
                memcpy(mu[j], mu[src], sizeof mu[j]);
                memcpy(L[j], L[src], sizeof L[j]);
                r[j] = r[src];
            } else {
                r[j] = (size_t)rnd(&d, 0, (long)m);
                for (size_t i = 0; i < m; i++)
                    mu[j][i] = rnd(&d, -1, 1);
                for (size_t i = 0; i < m * r[j]; i++)
                    L[j][i] = rnd(&d, -1, 1);
            }
            put_comp(f, j == 0, 1.0 / (double)J, mu[j], L[j], m, r[j], (int)rnd(&d, 0, 1));
        }
        fprintf(f, "]");
        fclose(f);
        idc_instance inst;
        idc_err err;
        if (load_text(&inst, m, buf, &err) != IDC_OK)
            IDC_TEST_FAIL_REPLAY("test_random_degenerate", seed, "trial %u: %s", trial, err.msg);
        idc_pre_result res;
        idc_pre_result_init(&res);
        char why[256] = "";
        if (idc_pre_check(&res, "A3.4", &inst, NULL, &err) != IDC_OK || res.verdict == IDC_UNKNOWN ||
            idc_cert_verify(res.cert, &inst, why, sizeof why) != IDC_OK)
            IDC_TEST_FAIL_REPLAY("test_random_degenerate", seed, "trial %u (%s): %s %s %s", trial, buf,
                                 idc_verdict_name(res.verdict), res.reason, why);
        counts[res.verdict]++;
        if (res.verdict == IDC_HOLDS) {
            /* make two distances of some maximal set equal: must be rejected */
            json_t *t = json_deep_copy(res.cert);
            json_t *cls = json_object_get(wit(t), "classes");
            int done = 0;
            for (size_t i = 0; i < json_array_size(cls) && !done; i++) {
                json_t *mx = json_array_get(json_object_get(json_array_get(cls, i), "maximal"), 0);
                if (mx != NULL) {
                    json_t *d2 = json_object_get(mx, "d2");
                    json_array_set(d2, 1, json_array_get(d2, 0));
                    done = 1;
                }
            }
            if (done && idc_cert_verify(t, &inst, why, sizeof why) == IDC_OK)
                IDC_TEST_FAIL_REPLAY("test_random_degenerate", seed,
                                     "trial %u: tampered certificate accepted", trial);
            json_decref(t);
        }
        idc_pre_result_clear(&res);
        idc_instance_clear(&inst);
        free(buf);
    }
    fprintf(stderr, "test_random_degenerate: %d HOLDS, %d FAILS\n", counts[IDC_HOLDS], counts[IDC_FAILS]);
    ck_assert_int_gt(counts[IDC_HOLDS], 10);
    ck_assert_int_gt(counts[IDC_FAILS], 10);
}
END_TEST

/* Planted violations: in base coordinates (blocks A | Bj | Bk | extra),
 * component j lives on A + Bj with mean (m0, u, 0), factor diag(LA, LB);
 * component k on A + Bk with mean (m0, 0, u), the same factor. Their
 * supports meet in m0 + A, where d_j^2 = d_k^2 identically. A random
 * unimodular frame T and translation hide the blocks (distances are affine
 * invariant); noise components are added. The verdict must be FAILS. */
START_TEST(test_planted_fails)
{
    uint64_t seed = idc_test_seed(0xfa115);
    IDC_TEST_PRINT_SEED("test_planted_fails", seed);
    for (uint32_t trial = 0; trial < 40; trial++) {
        draw d = {idc_rng_stream(idc_rng_derive_seed(seed, trial), 1, IDC_PURPOSE_GENERATOR), 0};
        size_t a = (size_t)rnd(&d, 0, 2), b = (size_t)rnd(&d, 1, 2), e = (size_t)rnd(&d, 0, 1);
        size_t m = a + 2 * b + e, s = a + b;
        long T[64] = {0}, U[64] = {0}, Lw[64] = {0}, t0[8];
        for (size_t i = 0; i < m; i++) {
            U[i * m + i] = Lw[i * m + i] = 1;
            for (size_t k = i + 1; k < m; k++) {
                U[i * m + k] = rnd(&d, -1, 1);
                Lw[k * m + i] = rnd(&d, -1, 1);
            }
            t0[i] = rnd(&d, -2, 2);
        }
        for (size_t i = 0; i < m; i++)
            for (size_t k = 0; k < m; k++)
                for (size_t q = 0; q < m; q++)
                    T[i * m + k] += Lw[i * m + q] * U[q * m + k];
        /* frame mean c = (m0, u) and factor C = diag(LA, LB), s x s */
        long c[8], C[64] = {0};
        for (size_t i = 0; i < s; i++) {
            c[i] = rnd(&d, -3, 3);
            C[i * s + i] = rnd(&d, 0, 1) ? rnd(&d, 1, 2) : -rnd(&d, 1, 2);
            size_t lo = i < a ? 0 : a;
            for (size_t k = lo; k < i; k++)
                C[i * s + k] = rnd(&d, -2, 2);
        }
        size_t Sj[8], Sk[8];
        for (size_t i = 0; i < s; i++) {
            Sj[i] = i;
            Sk[i] = i < a ? i : i + b;
        }
        size_t nnoise = (size_t)rnd(&d, 0, 2), J = 2 + nnoise, pj = (size_t)rnd(&d, 0, (long)J - 1);
        size_t pk = (pj + 1 + (size_t)rnd(&d, 0, (long)J - 2)) % J;
        int use_frame = (int)rnd(&d, 0, 1);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        fprintf(f, "\"frame\": {\"basis\": ");
        put_mat(f, T, m, m);
        fprintf(f, ", \"translation\": ");
        put_vec(f, t0, m);
        fprintf(f, "}, \"components\": [");
        for (size_t j = 0; j < J; j++) {
            const size_t *S = j == pj ? Sj : Sk;
            size_t ns = s, r = s;
            long cc[8], CC[64];
            size_t SS[8];
            if (j == pj || j == pk) {
                memcpy(cc, c, sizeof c);
                memcpy(CC, C, sizeof C);
                memcpy(SS, S, s * sizeof *S);
            } else { /* noise: a random coordinate support and factor */
                ns = 0;
                for (size_t i = 0; i < m; i++)
                    if (rnd(&d, 0, 1))
                        SS[ns++] = i;
                if (ns == 0)
                    SS[ns++] = (size_t)rnd(&d, 0, (long)m - 1);
                r = (size_t)rnd(&d, 1, (long)ns);
                for (size_t i = 0; i < ns; i++)
                    cc[i] = rnd(&d, -2, 2);
                for (size_t i = 0; i < ns * r; i++)
                    CC[i] = rnd(&d, -2, 2);
            }
            if (use_frame) {
                fprintf(f, "%s{\"weight\": %.17g, \"support\": [", j ? ", " : "", 1.0 / (double)J);
                for (size_t i = 0; i < ns; i++)
                    fprintf(f, "%s%zu", i ? ", " : "", SS[i]);
                fprintf(f, "], \"mean\": ");
                put_vec(f, cc, ns);
                fprintf(f, ", \"L\": ");
                put_mat(f, CC, ns, r);
                fprintf(f, "}");
            } else { /* mu = t + T[:,S] c, L = T[:,S] C, written as factor or covariance */
                long mu[8], L[64];
                for (size_t i = 0; i < m; i++) {
                    mu[i] = t0[i];
                    for (size_t q = 0; q < ns; q++)
                        mu[i] += T[i * m + SS[q]] * cc[q];
                    for (size_t k = 0; k < r; k++) {
                        L[i * r + k] = 0;
                        for (size_t q = 0; q < ns; q++)
                            L[i * r + k] += T[i * m + SS[q]] * CC[q * r + k];
                    }
                }
                put_comp(f, j == 0, 1.0 / (double)J, mu, L, m, r, (int)rnd(&d, 0, 1));
            }
        }
        fprintf(f, "]");
        fclose(f);
        idc_instance inst;
        idc_err err;
        if (load_text(&inst, m, buf, &err) != IDC_OK)
            IDC_TEST_FAIL_REPLAY("test_planted_fails", seed, "trial %u: %s", trial, err.msg);
        idc_pre_result res;
        idc_pre_result_init(&res);
        char why[256] = "";
        if (idc_pre_check(&res, "A3.4", &inst, NULL, &err) != IDC_OK || res.verdict != IDC_FAILS ||
            idc_cert_verify(res.cert, &inst, why, sizeof why) != IDC_OK)
            IDC_TEST_FAIL_REPLAY("test_planted_fails", seed, "trial %u (%s): %s %s %s", trial, buf,
                                 idc_verdict_name(res.verdict), res.reason, why);
        /* a moved point must be rejected (a changed y0 may be another valid
         * solution: y0 is unique only up to ker Sigma) */
        json_t *t = json_deep_copy(res.cert);
        json_array_set_new(json_object_get(wit(t), "point"), 0, json_string("1234567/7"));
        if (idc_cert_verify(t, &inst, why, sizeof why) == IDC_OK)
            IDC_TEST_FAIL_REPLAY("test_planted_fails", seed, "trial %u: tampered point accepted", trial);
        json_decref(t);
        idc_pre_result_clear(&res);
        idc_instance_clear(&inst);
        free(buf);
    }
}
END_TEST

/* ---- sizes and budgets ------------------------------------------------------------ */

/* n lines y = i x + i^3 (i = 1..n) in R^2, no three concurrent: every pair
 * meets, no triple does. */
static void lines_model(idc_instance *inst, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "\"components\": [");
    for (size_t i = 1; i <= n; i++)
        fprintf(f, "%s{\"weight\": %.17g, \"mean\": [%zu, %zu], \"L\": [[1], [%zu]]}", i > 1 ? ", " : "",
                1.0 / (double)n, i, i * i + i * i * i, i);
    fprintf(f, "]");
    fclose(f);
    load(inst, 2, buf);
    free(buf);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

START_TEST(test_lines_dfs)
{
    idc_instance inst;
    lines_model(&inst, 12);
    idc_pre_result r;
    double t0 = now();
    run(&r, &inst, NULL);
    fprintf(stderr, "test_lines_dfs: 12 lines, check + verify %.3f s\n", now() - t0);
    ck_assert_int_eq(r.verdict, IDC_HOLDS);
    json_t *cls = json_array_get(json_object_get(wit(r.cert), "classes"), 0);
    ck_assert_int_eq((int)json_array_size(json_object_get(cls, "maximal")), 66);
    ck_assert_int_eq((int)json_array_size(json_object_get(cls, "disjoint")), 220);
    /* a tiny entry budget, or no time at all: UNKNOWN with the reason */
    idc_budget b = {0.0, 50};
    idc_pre_result_clear(&r);
    run(&r, &inst, &b);
    ck_assert_int_eq(r.verdict, IDC_UNKNOWN);
    ck_assert(strstr(r.reason, "entry budget") != NULL);
    idc_pre_result_clear(&r);
    b.seconds = 1e-9;
    b.max_entries = 0;
    run(&r, &inst, &b);
    ck_assert_int_eq(r.verdict, IDC_UNKNOWN);
    ck_assert(strstr(r.reason, "time budget") != NULL);
    idc_pre_result_clear(&r);
    idc_instance_clear(&inst);
    /* 25 lines: a class the verifier could not cover, so UNKNOWN */
    lines_model(&inst, 25);
    run(&r, &inst, NULL);
    ck_assert_int_eq(r.verdict, IDC_UNKNOWN);
    ck_assert(strstr(r.reason, "at most 24") != NULL);
    /* and the verifier refuses such a class unless a maximal set is all of it */
    json_t *ranks = json_array(), *mem = json_array();
    for (int j = 0; j < 25; j++) {
        json_array_append_new(ranks, json_integer(1));
        json_array_append_new(mem, json_integer(j));
    }
    char hash[65], why[256];
    idc_err err;
    ck_assert_int_eq(idc_instance_hash(hash, &inst, &err), IDC_OK);
    json_t *c = idc_cert_new("A3.4", IDC_HOLDS, hash, "maximal-sets", "X Ass. 3.4",
                             json_pack("{s:o,s:[{s:i,s:o,s:[],s:[]}]}", "ranks", ranks, "classes", "rank", 1,
                                       "members", mem, "maximal", "disjoint"));
    ck_assert_int_ne(idc_cert_verify(c, &inst, why, sizeof why), IDC_OK);
    ck_assert(strstr(why, "too many") != NULL);
    json_decref(c);
    idc_pre_result_clear(&r);
    idc_instance_clear(&inst);
}
END_TEST

/* Generated coordinate-support mixtures (identity frame, supports through 0). */
START_TEST(test_generated_sizes)
{
    static const struct {
        size_t m, J;
        double ratio;
    } sz[] = {{40, 10, 0.5}, {20, 12, 0.5}, {20, 12, 0.9}, {6, 8, 0.5}};
    for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++) {
        idc_gen_pdgmm_params p;
        idc_gen_pdgmm_defaults(&p);
        p.m = sz[i].m;
        p.J = sz[i].J;
        p.ratio = sz[i].ratio;
        idc_instance inst;
        idc_err err;
        ck_assert_int_eq(idc_gen_pdgmm(&inst, &p, 7 + i, &err), IDC_OK);
        idc_pre_result r;
        double t0 = now();
        idc_pre_result_init(&r);
        ck_assert_int_eq(idc_pre_check(&r, "A3.4", &inst, NULL, &err), IDC_OK);
        double t1 = now();
        char why[256];
        ck_assert_msg(r.verdict == IDC_HOLDS, "%s", r.reason);
        ck_assert_msg(idc_cert_verify(r.cert, &inst, why, sizeof why) == IDC_OK, "%s", why);
        fprintf(stderr,
                "test_generated_sizes: m = %zu, J = %zu, ratio %.1f: check %.3f s, verify %.3f s (%s)\n",
                sz[i].m, sz[i].J, sz[i].ratio, t1 - t0, now() - t1, r.reason);
        idc_pre_result_clear(&r);
        idc_instance_clear(&inst);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("a34");
    const idc_test_case cases[] = {
        {"test_known_answers", test_known_answers},
        {"test_triangle_shape", test_triangle_shape},
        {"test_tamper_holds", test_tamper_holds},
        {"test_tamper_fails", test_tamper_fails},
        {"test_nondegenerate_point", test_nondegenerate_point},
        {"test_bad_input", test_bad_input},
        {"test_random_degenerate", test_random_degenerate},
        {"test_planted_fails", test_planted_fails},
        {"test_lines_dfs", test_lines_dfs},
        {"test_generated_sizes", test_generated_sizes},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 60);
    return idc_test_run(s);
}
