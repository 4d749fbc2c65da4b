/* Tests of theory/cert.h: every certificate the checkers emit verifies
 * against its instance, and the verifier rejects tampered certificates
 * (changed hash, verdict, minor rows, prime, witness points, values,
 * orders) and certificates replayed against another model. */
#include <math.h>
#include <string.h>

#include "numeric/dq.h"
#include "numeric/qmat.h"
#include "numeric/tests/testutil.h"
#include "theory/cert.h"
#include "theory/precond.h"

#define HASH "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static const char *INSTANCE_A = "{\"idcheck_format\": 1,"
                                " \"model\": {\"dim\": 2, \"components\": ["
                                "   {\"weight\": 0.5, \"mean\": [0, 0], \"L\": [[1, 0], [0.5, 1]]},"
                                "   {\"weight\": 0.25, \"mean\": [1, 0], \"L\": [[1], [1]]},"
                                "   {\"weight\": 0.25, \"mean\": [1, 0], \"Sigma\": [[2, 1], [1, 2]]}]},"
                                " \"map\": {\"type\": \"mlp\", \"layers\": ["
                                "   {\"W\": [[1, 2], [3, -1], [0.5, 0.25]], \"b\": [0, 1, -1], "
                                "\"activation\": \"leaky_relu\", \"slope\": 0.2},"
                                "   {\"W\": [[1, 0, 1], [0, 1, 1], [1, 1, 0], [2, 0, 0]], \"b\": [0, 0, 0, "
                                "1], \"activation\": \"identity\"}]},"
                                " \"noise\": {\"sigma\": 0.1}}";

/* Same shapes, one weight different. */
static const char *INSTANCE_B = "{\"idcheck_format\": 1,"
                                " \"model\": {\"dim\": 2, \"components\": ["
                                "   {\"weight\": 0.5, \"mean\": [0, 0], \"L\": [[1, 0], [0.5, 1]]},"
                                "   {\"weight\": 0.25, \"mean\": [1, 0], \"L\": [[1], [1]]},"
                                "   {\"weight\": 0.25, \"mean\": [1, 0], \"Sigma\": [[2, 1], [1, 2]]}]},"
                                " \"map\": {\"type\": \"mlp\", \"layers\": ["
                                "   {\"W\": [[1, 2], [2, 4], [0.5, 1]], \"b\": [0, 1, -1], \"activation\": "
                                "\"leaky_relu\", \"slope\": 0.2},"
                                "   {\"W\": [[1, 0, 1], [0, 1, 1], [1, 1, 0], [2, 0, 0]], \"b\": [0, 0, 0, "
                                "1], \"activation\": \"identity\"}]},"
                                " \"noise\": {\"sigma\": 0.1}}";

static const char *IDS[] = {"DIM", "DIMU1", "F1", "FC", "F4", "P1", "P1nd", "PD", "I-i", "NOISE0"};

static void load(idc_instance *inst, const char *text)
{
    idc_err err;
    int rc = idc_instance_read_string(inst, text, &err);
    ck_assert_msg(rc == IDC_OK, "instance: %s", err.msg);
}

static json_t *check(const idc_instance *inst, const char *id, idc_verdict want)
{
    idc_pre_result res;
    idc_pre_result_init(&res);
    idc_err err;
    int rc = idc_pre_check(&res, id, inst, NULL, &err);
    ck_assert_msg(rc == IDC_OK, "%s: %s", id, err.msg);
    ck_assert_msg(res.verdict == want, "%s: %s (%s)", id, idc_verdict_name(res.verdict), res.reason);
    json_t *c = res.cert;
    res.cert = NULL;
    idc_pre_result_clear(&res);
    return c;
}

/* Expects the verifier to reject cert (against inst or, with inst NULL,
 * against the parts with hash HASH). */
static void expect_reject(const json_t *cert, const idc_instance *inst, const idc_pdgmm *g,
                          const idc_pamap *f, const char *what)
{
    char why[256] = "";
    int rc = inst != NULL ? idc_cert_verify(cert, inst, why, sizeof why)
                          : idc_cert_verify_parts(cert, g, f, HASH, why, sizeof why);
    ck_assert_msg(rc == IDC_EDOM, "%s: tampered certificate accepted", what);
    ck_assert_msg(why[0] != '\0' && strchr(why, '\n') == NULL, "%s: reason missing", what);
}

static void expect_accept(const json_t *cert, const idc_instance *inst, const idc_pdgmm *g,
                          const idc_pamap *f, const char *what)
{
    char why[256] = "";
    int rc = inst != NULL ? idc_cert_verify(cert, inst, why, sizeof why)
                          : idc_cert_verify_parts(cert, g, f, HASH, why, sizeof why);
    ck_assert_msg(rc == IDC_OK, "%s: rejected: %s", what, why);
}

static json_t *wit(json_t *cert)
{
    return json_object_get(cert, "witness");
}

/* Replaces the string at arr[i] by s. */
static void set_str(json_t *arr, size_t i, const char *s)
{
    ck_assert_int_eq(json_array_set_new(arr, i, json_string(s)), 0);
}

START_TEST(test_instance_roundtrip)
{
    idc_instance a, b;
    load(&a, INSTANCE_A);
    load(&b, INSTANCE_B);
    idc_verdict want_a[] = {IDC_HOLDS, IDC_HOLDS, IDC_HOLDS, IDC_HOLDS, IDC_HOLDS,
                            IDC_HOLDS, IDC_FAILS, IDC_HOLDS, IDC_HOLDS, IDC_FAILS};
    for (size_t i = 0; i < sizeof IDS / sizeof IDS[0]; i++) {
        json_t *c = check(&a, IDS[i], want_a[i]);
        expect_accept(c, &a, NULL, NULL, IDS[i]);
        /* replayed against another model: the hash differs */
        expect_reject(c, &b, NULL, NULL, IDS[i]);
        /* the hash altered */
        json_t *t = json_deep_copy(c);
        char h[65];
        snprintf(h, sizeof h, "%s", json_string_value(json_object_get(t, "model_hash")));
        h[10] = h[10] == 'a' ? 'b' : 'a';
        json_object_set_new(t, "model_hash", json_string(h));
        expect_reject(t, &a, NULL, NULL, "hash altered");
        json_decref(t);
        /* verdict flipped */
        t = json_deep_copy(c);
        json_object_set_new(t, "verdict", json_string(want_a[i] == IDC_HOLDS ? "FAILS" : "HOLDS"));
        expect_reject(t, &a, NULL, NULL, "verdict flipped");
        json_object_set_new(t, "verdict", json_string("UNKNOWN"));
        expect_reject(t, &a, NULL, NULL, "UNKNOWN verdict");
        json_decref(t);
        /* format version and missing witness */
        t = json_deep_copy(c);
        json_object_set_new(t, "idcheck_cert", json_integer(2));
        expect_reject(t, &a, NULL, NULL, "format 2");
        json_object_set_new(t, "idcheck_cert", json_integer(1));
        json_object_del(t, "witness");
        expect_reject(t, &a, NULL, NULL, "no witness");
        json_decref(t);
        json_decref(c);
    }
    /* B's first layer has rank 1: F4 fails there with a W_1 kernel */
    json_t *c = check(&b, "F4", IDC_FAILS);
    expect_accept(c, &b, NULL, NULL, "F4 on B");
    expect_reject(c, &a, NULL, NULL, "F4 collision of B on A");
    json_decref(c);
    /* unknown IDs are errors; registered IDs without a checker give UNKNOWN */
    idc_pre_result res;
    idc_pre_result_init(&res);
    idc_err err;
    ck_assert_int_eq(idc_pre_check(&res, "F9", &a, NULL, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "F9") != NULL);
    ck_assert_int_eq(idc_pre_check(&res, "P3", &a, NULL, &err), IDC_OK);
    ck_assert_int_eq(res.verdict, IDC_UNKNOWN);
    ck_assert_ptr_null(res.cert);
    idc_pre_result_clear(&res);
    /* A3.6 on A (two full components and a line): decided by the lattice */
    c = check(&a, "A3.6", IDC_HOLDS);
    expect_accept(c, &a, NULL, NULL, "A3.6 common basis on A");
    expect_reject(c, &b, NULL, NULL, "A3.6 of A on B (hash)");
    json_decref(c);
    json_t *notobj = json_string("x");
    expect_reject(notobj, &a, NULL, NULL, "not an object");
    json_decref(notobj);
    idc_instance_clear(&a);
    idc_instance_clear(&b);
}
END_TEST

static void mlp(idc_pamap *f, size_t nl, const size_t *w)
{
    idc_pamap_init(f);
    ck_assert_int_eq(idc_pamap_alloc_mlp(f, nl, w, NULL), IDC_OK);
}

static json_t *f4_cert(const idc_pamap *f, idc_verdict want)
{
    idc_pre_result res;
    idc_pre_result_init(&res);
    ck_assert_int_eq(idc_pre_f4(&res, f, HASH, NULL, NULL), IDC_OK);
    ck_assert_msg(res.verdict == want, "F4: %s (%s)", idc_verdict_name(res.verdict), res.reason);
    json_t *c = res.cert;
    res.cert = NULL;
    idc_pre_result_clear(&res);
    return c;
}

/* H.9 certificates: altered rows and primes; a minor that is zero mod the
 * claimed prime although nonzero over Q; a model swapped for a ReLU one. */
START_TEST(test_tamper_h9)
{
    idc_pamap f;
    size_t w[3] = {2, 3, 3};
    mlp(&f, 2, w);
    mp_limb_t p0 = idc_qmat_prime(0);
    /* layer 1: rows (p0, 0), (0, 1), (0, 0): det of rows {0,1} = p0 */
    const double W1[6] = {(double)p0, 0, 0, 1, 0, 0}, W2[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    memcpy(f.layers[0].W, W1, sizeof W1);
    memcpy(f.layers[1].W, W2, sizeof W2);
    f.layers[0].act = IDC_ACT_LEAKY;
    f.layers[0].slope = 0.125;
    json_t *c = f4_cert(&f, IDC_HOLDS);
    expect_accept(c, NULL, NULL, &f, "H.9");
    json_t *l0 = json_array_get(json_object_get(wit(c), "layers"), 0);
    ck_assert(json_integer_value(json_object_get(l0, "prime")) != (json_int_t)p0);

    json_t *t = json_deep_copy(c);
    json_t *t0 = json_array_get(json_object_get(wit(t), "layers"), 0);
    json_object_set_new(t0, "prime", json_integer((json_int_t)p0));
    expect_reject(t, NULL, NULL, &f, "prime where the minor vanishes");
    json_object_set_new(t0, "prime", json_integer(15));
    expect_reject(t, NULL, NULL, &f, "composite prime");
    json_object_set_new(t0, "prime", json_integer(2));
    expect_reject(t, NULL, NULL, &f, "prime 2");
    json_decref(t);

    t = json_deep_copy(c);
    t0 = json_array_get(json_object_get(wit(t), "layers"), 0);
    json_t *rows = json_object_get(t0, "rows");
    json_array_set_new(rows, 1, json_integer(2));
    expect_reject(t, NULL, NULL, &f, "zero row in the minor");
    json_array_set_new(rows, 1, json_integer(0));
    expect_reject(t, NULL, NULL, &f, "repeated row");
    json_array_set_new(rows, 1, json_integer(7));
    expect_reject(t, NULL, NULL, &f, "row out of range");
    json_array_append_new(rows, json_integer(1));
    expect_reject(t, NULL, NULL, &f, "too many rows");
    json_decref(t);

    t = json_deep_copy(c);
    t0 = json_array_get(json_object_get(wit(t), "layers"), 0);
    json_object_set_new(t0, "slope", json_string("1/4"));
    expect_reject(t, NULL, NULL, &f, "slope altered");
    json_array_remove(json_object_get(wit(t), "layers"), 1);
    expect_reject(t, NULL, NULL, &f, "layer dropped");
    json_decref(t);

    /* the same certificate against a ReLU version of the net */
    f.layers[0].act = IDC_ACT_RELU;
    f.layers[0].slope = 0;
    expect_reject(c, NULL, NULL, &f, "H.9 on a ReLU net");
    /* and against a rank-deficient version */
    f.layers[0].act = IDC_ACT_LEAKY;
    f.layers[0].slope = 0.125;
    f.layers[0].W[0] = 0;
    expect_reject(c, NULL, NULL, &f, "H.9 on a singular layer");
    json_decref(c);
    idc_pamap_clear(&f);
}
END_TEST

START_TEST(test_tamper_collision)
{
    idc_pamap f;
    size_t w[3] = {2, 3, 3};
    mlp(&f, 2, w);
    const double W1[6] = {1, 1, 2, 2, 3, 3}, W2[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, b[3] = {0.5, -1, 0};
    memcpy(f.layers[0].W, W1, sizeof W1);
    memcpy(f.layers[0].b, b, sizeof b);
    memcpy(f.layers[1].W, W2, sizeof W2);
    f.layers[0].act = IDC_ACT_LEAKY;
    f.layers[0].slope = 0.25;
    json_t *c = f4_cert(&f, IDC_FAILS);
    expect_accept(c, NULL, NULL, &f, "collision");
    json_t *t = json_deep_copy(c);
    set_str(json_object_get(wit(t), "y"), 0, "5/1");
    expect_reject(t, NULL, NULL, &f, "y altered");
    json_decref(t);
    t = json_deep_copy(c);
    json_object_set(wit(t), "y", json_object_get(wit(t), "x"));
    expect_reject(t, NULL, NULL, &f, "x = y");
    json_decref(t);
    t = json_deep_copy(c);
    set_str(json_object_get(wit(t), "image"), 1, "1/3");
    expect_reject(t, NULL, NULL, &f, "image altered");
    json_decref(t);
    t = json_deep_copy(c);
    json_array_append_new(json_object_get(wit(t), "x"), json_string("0/1"));
    expect_reject(t, NULL, NULL, &f, "x too long");
    json_decref(t);
    t = json_deep_copy(c);
    set_str(json_object_get(wit(t), "x"), 0, "1.5");
    expect_reject(t, NULL, NULL, &f, "x not a rational string");
    json_decref(t);
    /* the collision does not exist in an injective model */
    f.layers[0].W[1] = -1;
    expect_reject(c, NULL, NULL, &f, "collision on an injective model");
    json_decref(c);
    idc_pamap_clear(&f);

    /* piece tables: the image order, and a monotone 1-D certificate */
    idc_pamap_init(&f);
    ck_assert_int_eq(idc_pamap_alloc_pwl1(&f, 3, NULL), IDC_OK);
    const double br[2] = {-1, 1}, sl[3] = {1, 1, 1}, ic[3] = {-10, 0, 10};
    memcpy(f.breaks, br, sizeof br);
    memcpy(f.slopes, sl, sizeof sl);
    memcpy(f.intercepts, ic, sizeof ic);
    c = f4_cert(&f, IDC_HOLDS);
    expect_accept(c, NULL, NULL, &f, "pwl1 order");
    t = json_deep_copy(c);
    json_t *ord = json_object_get(wit(t), "order");
    json_array_set_new(ord, 0, json_integer(1));
    json_array_set_new(ord, 1, json_integer(0));
    expect_reject(t, NULL, NULL, &f, "order swapped");
    json_array_set_new(ord, 0, json_integer(1));
    json_array_set_new(ord, 1, json_integer(1));
    expect_reject(t, NULL, NULL, &f, "order not a permutation");
    json_decref(t);
    f.intercepts[2] = -10; /* now overlapping */
    expect_reject(c, NULL, NULL, &f, "order on an overlapping table");
    json_decref(c);
    idc_pamap_clear(&f);

    size_t w1[3] = {1, 2, 1};
    mlp(&f, 2, w1);
    const double U[2] = {1, -1}, V[2] = {1, -0.5};
    memcpy(f.layers[0].W, U, sizeof U);
    memcpy(f.layers[1].W, V, sizeof V);
    f.layers[0].act = IDC_ACT_RELU;
    f.layers[0].slope = 0;
    c = f4_cert(&f, IDC_HOLDS);
    ck_assert_str_eq(json_string_value(json_object_get(c, "method")), "monotone-1d");
    expect_accept(c, NULL, NULL, &f, "monotone");
    t = json_deep_copy(c);
    json_array_clear(json_object_get(wit(t), "breakpoints"));
    expect_reject(t, NULL, NULL, &f, "breakpoint removed");
    json_decref(t);
    t = json_deep_copy(c);
    json_object_set_new(wit(t), "direction", json_integer(-1));
    expect_reject(t, NULL, NULL, &f, "direction flipped");
    json_decref(t);
    f.layers[1].W[1] = 0.5; /* now |x|-like: not monotone */
    expect_reject(c, NULL, NULL, &f, "monotone on a fold");
    json_decref(c);
    idc_pamap_clear(&f);
}
END_TEST

static void gmm(idc_pdgmm *g, size_t m, size_t J)
{
    idc_pdgmm_init(g);
    ck_assert_int_eq(idc_pdgmm_alloc(g, m, J, NULL), IDC_OK);
    for (size_t j = 0; j < J; j++) {
        ck_assert_int_eq(idc_pdgmm_comp_alloc(g, j, m, NULL), IDC_OK);
        g->comp[j].weight = 1.0 / (double)J;
    }
}

static json_t *prior_cert(int (*fn)(idc_pre_result *, const idc_pdgmm *, const char *, const idc_budget *,
                                    idc_err *),
                          const idc_pdgmm *g, idc_verdict want)
{
    idc_pre_result res;
    idc_pre_result_init(&res);
    ck_assert_int_eq(fn(&res, g, HASH, NULL, NULL), IDC_OK);
    ck_assert_msg(res.verdict == want, "%s (%s)", idc_verdict_name(res.verdict), res.reason);
    json_t *c = res.cert;
    res.cert = NULL;
    idc_pre_result_clear(&res);
    return c;
}

START_TEST(test_tamper_prior)
{
    idc_pdgmm g;
    gmm(&g, 2, 2);
    /* component 0: mean (0, 0), L = I; component 1: mean (1, 0), L = diag(1, 2) */
    double I2[4] = {1, 0, 0, 1}, D[4] = {1, 0, 0, 2};
    memcpy(g.comp[0].L, I2, sizeof I2);
    memcpy(g.comp[1].L, D, sizeof D);
    g.comp[1].mean[0] = 1;
    json_t *c = prior_cert(idc_pre_p1, &g, IDC_HOLDS);
    expect_accept(c, NULL, &g, NULL, "P1");
    json_t *pair = json_array_get(json_object_get(wit(c), "pairs"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(pair, "entry")), "mean");
    json_t *t = json_deep_copy(c);
    json_t *tp = json_array_get(json_object_get(wit(t), "pairs"), 0);
    set_str(json_object_get(tp, "values"), 1, "2/1");
    expect_reject(t, NULL, &g, NULL, "P1 value altered");
    json_decref(t);
    t = json_deep_copy(c);
    tp = json_array_get(json_object_get(wit(t), "pairs"), 0);
    json_array_set_new(json_object_get(tp, "index"), 0, json_integer(1));
    expect_reject(t, NULL, &g, NULL, "P1 index moved to an equal entry");
    json_decref(t);
    t = json_deep_copy(c);
    json_array_clear(json_object_get(wit(t), "pairs"));
    expect_reject(t, NULL, &g, NULL, "P1 pair dropped");
    json_decref(t);
    /* the same certificate against a model where the two coincide */
    g.comp[1].mean[0] = 0;
    memcpy(g.comp[1].L, I2, sizeof I2);
    expect_reject(c, NULL, &g, NULL, "P1 on a duplicate model");
    json_decref(c);
    c = prior_cert(idc_pre_p1, &g, IDC_FAILS);
    expect_accept(c, NULL, &g, NULL, "P1 duplicate");
    g.comp[1].L[3] = 2;
    expect_reject(c, NULL, &g, NULL, "duplicate claim on distinct components");
    json_decref(c);

    /* P1nd: minor columns and primes */
    g.comp[1].mean[0] = 1;
    c = prior_cert(idc_pre_p1nd, &g, IDC_HOLDS);
    expect_accept(c, NULL, &g, NULL, "P1nd");
    t = json_deep_copy(c);
    json_t *c0 = json_array_get(json_object_get(wit(t), "components"), 0);
    json_array_set_new(json_object_get(c0, "cols"), 1, json_integer(0));
    expect_reject(t, NULL, &g, NULL, "P1nd repeated column");
    json_decref(t);
    t = json_deep_copy(c);
    c0 = json_array_get(json_object_get(wit(t), "components"), 0);
    json_object_set_new(c0, "prime", json_integer(9));
    expect_reject(t, NULL, &g, NULL, "P1nd composite prime");
    json_object_set_new(c0, "component", json_integer(1));
    expect_reject(t, NULL, &g, NULL, "P1nd component repeated");
    json_decref(t);
    g.comp[0].L[3] = 0; /* now singular */
    expect_reject(c, NULL, &g, NULL, "P1nd on a singular component");
    json_decref(c);
    c = prior_cert(idc_pre_p1nd, &g, IDC_FAILS);
    expect_accept(c, NULL, &g, NULL, "P1nd singular");
    t = json_deep_copy(c);
    json_t *ker = json_object_get(wit(t), "kernel");
    ck_assert_ptr_nonnull(ker);
    set_str(ker, 0, "1/1");
    set_str(ker, 1, "1/1");
    expect_reject(t, NULL, &g, NULL, "kernel altered");
    set_str(ker, 0, "0/1");
    set_str(ker, 1, "0/1");
    expect_reject(t, NULL, &g, NULL, "zero kernel vector");
    json_decref(t);
    json_decref(c);
    idc_pdgmm_clear(&g);

    /* PD with a covariance: pivots, and an indefinite one */
    gmm(&g, 2, 2);
    memcpy(g.comp[0].L, I2, sizeof I2);
    g.comp[1].form = IDC_COMP_COVARIANCE;
    g.comp[1].sigma = calloc(4, sizeof(double));
    double S[4] = {4, 2, 2, 1}; /* PSD, singular: pivots 4, 0 */
    memcpy(g.comp[1].sigma, S, sizeof S);
    c = prior_cert(idc_pre_pd, &g, IDC_HOLDS);
    expect_accept(c, NULL, &g, NULL, "PD");
    t = json_deep_copy(c);
    json_t *comps = json_object_get(wit(t), "components");
    for (size_t i = 0; i < json_array_size(comps); i++) {
        json_t *piv = json_object_get(json_array_get(comps, i), "pivots");
        if (piv != NULL)
            set_str(piv, 1, "1/2");
    }
    expect_reject(t, NULL, &g, NULL, "PD pivot altered");
    json_decref(t);
    /* P1nd on it fails (singular covariance) */
    json_t *cn = prior_cert(idc_pre_p1nd, &g, IDC_FAILS);
    expect_accept(cn, NULL, &g, NULL, "P1nd singular covariance");
    json_decref(cn);
    g.comp[1].sigma[3] = 0.5; /* indefinite now */
    expect_reject(c, NULL, &g, NULL, "PD pivots on an indefinite Sigma");
    json_decref(c);
    c = prior_cert(idc_pre_pd, &g, IDC_FAILS);
    expect_accept(c, NULL, &g, NULL, "PD indefinite");
    t = json_deep_copy(c);
    json_object_set_new(wit(t), "value", json_string("-1/1000"));
    expect_reject(t, NULL, &g, NULL, "PD value altered");
    json_decref(t);
    t = json_deep_copy(c);
    json_t *vec = json_object_get(wit(t), "vector");
    for (size_t i = 0; i < json_array_size(vec); i++) {
        fmpq_t q;
        fmpq_init(q);
        ck_assert_int_eq(idc_cert_get_fmpq(q, json_array_get(vec, i)), IDC_OK);
        fmpq_mul_2exp(q, q, 1);
        json_array_set_new(vec, i, idc_cert_json_fmpq(q));
        fmpq_clear(q);
    }
    expect_reject(t, NULL, &g, NULL, "PD vector scaled");
    json_decref(t);
    json_decref(c);
    idc_pdgmm_clear(&g);
}
END_TEST

/* The chain format (J > IDC_P1_PAIRWISE_MAX): swapped order rejected. */
START_TEST(test_tamper_chain)
{
    size_t J = IDC_P1_PAIRWISE_MAX + 3;
    idc_pdgmm g;
    gmm(&g, 1, J);
    for (size_t j = 0; j < J; j++) {
        g.comp[j].mean[0] = (double)(j % 5);
        g.comp[j].L[0] = (double)(1 + j / 5);
    }
    json_t *c = prior_cert(idc_pre_p1, &g, IDC_HOLDS);
    expect_accept(c, NULL, &g, NULL, "chain");
    json_t *t = json_deep_copy(c);
    json_t *ord = json_object_get(json_object_get(wit(t), "chain"), "order");
    json_t *a = json_deep_copy(json_array_get(ord, 0));
    json_array_set(ord, 0, json_array_get(ord, 1));
    json_array_set_new(ord, 1, a);
    expect_reject(t, NULL, &g, NULL, "chain order swapped");
    json_decref(t);
    g.comp[7].L[0] = -g.comp[7].L[0]; /* same Sigma: still valid */
    expect_accept(c, NULL, &g, NULL, "chain with L -> -L");
    g.comp[7].L[0] = 0.5;
    expect_reject(c, NULL, &g, NULL, "chain on a changed model");
    json_decref(c);
    idc_pdgmm_clear(&g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cert");
    const idc_test_case cases[] = {
        {"test_instance_roundtrip", test_instance_roundtrip},
        {"test_tamper_h9", test_tamper_h9},
        {"test_tamper_collision", test_tamper_collision},
        {"test_tamper_prior", test_tamper_prior},
        {"test_tamper_chain", test_tamper_chain},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 60);
    return idc_test_run(s);
}
