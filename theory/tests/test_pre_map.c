/* Tests of the map preconditions DIM, F1, FC, F4 and of NOISE0 (theory/check/pre_map.c):
 * known-answer tables (injective leaky nets, W_1 with a kernel, Kivva's
 * Ex. H.10, ReLU nets, overcomplete nets, piece tables), randomized
 * comparison with exact ranks and with sampled images, certificate
 * verification of every decided verdict, timings, budgets and errors. */
#include <math.h>
#include <string.h>
#include <time.h>

#include "numeric/dq.h"
#include "numeric/qmat.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"
#include "theory/tests/maptest.h"
#include "theory/cert.h"
#include "theory/precond.h"

#define HASH "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

/* Runs F4 (or FC/F1), checks the verdict when want != 0, verifies any
 * certificate, and returns the verdict. method (if non-NULL) must match. */
static idc_verdict run_map(int (*fn)(idc_pre_result *, const idc_pamap *, const char *, const idc_budget *,
                                     idc_err *),
                           const idc_pamap *f, idc_verdict want, const char *method, const char *what)
{
    idc_pre_result res;
    idc_pre_result_init(&res);
    idc_err err;
    int rc = fn(&res, f, HASH, NULL, &err);
    ck_assert_msg(rc == IDC_OK, "%s: status %s (%s)", what, idc_status_name(rc), err.msg);
    if (want != 0)
        ck_assert_msg(res.verdict == want, "%s: verdict %s, expected %s (%s)", what,
                      idc_verdict_name(res.verdict), idc_verdict_name(want), res.reason);
    ck_assert_msg(res.reason[0] != '\0' && strchr(res.reason, '\n') == NULL, "%s: reason", what);
    idc_verdict v = res.verdict;
    if (v != IDC_UNKNOWN) {
        char why[256];
        ck_assert_ptr_nonnull(res.cert);
        int vr = idc_cert_verify_parts(res.cert, NULL, f, HASH, why, sizeof why);
        ck_assert_msg(vr == IDC_OK, "%s: certificate rejected: %s", what, why);
        if (method != NULL)
            ck_assert_str_eq(json_string_value(json_object_get(res.cert, "method")), method);
    } else {
        ck_assert_ptr_null(res.cert);
    }
    idc_pre_result_clear(&res);
    return v;
}

static void fill_normal(idc_pamap *f, uint64_t seed, idc_act act, double slope)
{
    idc_rng s = idc_rng_stream(seed, 0, IDC_PURPOSE_GENERATOR);
    uint64_t k = 0;
    for (size_t i = 0; i < f->nlayers; i++) {
        idc_layer *l = &f->layers[i];
        idc_rng_normal_fill(l->W, l->in * l->out, s, k);
        k += l->in * l->out + 1;
        idc_rng_normal_fill(l->b, l->out, s, k);
        k += l->out + 1;
        l->act = i + 1 < f->nlayers ? act : IDC_ACT_IDENTITY;
        l->slope = l->act == IDC_ACT_LEAKY ? slope : (l->act == IDC_ACT_RELU ? 0.0 : 1.0);
    }
}

START_TEST(test_dim)
{
    idc_pdgmm g;
    idc_pamap f;
    idc_pdgmm_init(&g);
    ck_assert_int_eq(idc_pdgmm_alloc(&g, 2, 1, NULL), IDC_OK);
    size_t w1[2] = {2, 3}, w2[2] = {2, 1}, w3[2] = {3, 3};
    idc_pre_result res;
    idc_pre_result_init(&res);
    idc_err err;
    char why[256];
    mlp(&f, 1, w1);
    ck_assert_int_eq(idc_pre_dim(&res, &g, &f, HASH, NULL, &err), IDC_OK);
    ck_assert_int_eq(res.verdict, IDC_HOLDS);
    ck_assert_int_eq(idc_cert_verify_parts(res.cert, &g, &f, HASH, why, sizeof why), IDC_OK);
    idc_pamap_clear(&f);
    mlp(&f, 1, w2);
    ck_assert_int_eq(idc_pre_dim(&res, &g, &f, HASH, NULL, &err), IDC_OK);
    ck_assert_int_eq(res.verdict, IDC_FAILS);
    ck_assert_int_eq(idc_cert_verify_parts(res.cert, &g, &f, HASH, why, sizeof why), IDC_OK);
    idc_pamap_clear(&f);
    mlp(&f, 1, w3);
    ck_assert_int_eq(idc_pre_dim(&res, &g, &f, HASH, NULL, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "model.dim") != NULL);
    idc_pamap_clear(&f);
    ck_assert_int_eq(idc_pre_dimu1(&res, &g, HASH, NULL, &err), IDC_OK);
    ck_assert_int_eq(res.verdict, IDC_HOLDS);
    ck_assert_int_eq(idc_cert_verify_parts(res.cert, &g, NULL, HASH, why, sizeof why), IDC_OK);
    ck_assert_int_eq(idc_pre_ii(&res, 0.25, HASH, NULL, &err), IDC_OK);
    ck_assert_int_eq(res.verdict, IDC_HOLDS);
    ck_assert_int_eq(idc_cert_verify_parts(res.cert, NULL, NULL, HASH, why, sizeof why), IDC_OK);
    ck_assert_int_eq(idc_pre_ii(&res, -1.0, HASH, NULL, &err), IDC_EINVAL);
    idc_pre_result_clear(&res);
    idc_pdgmm_clear(&g);
}
END_TEST

START_TEST(test_f1_fc)
{
    idc_pamap f;
    size_t w[3] = {2, 3, 2};
    mlp(&f, 2, w);
    fill_normal(&f, 1, IDC_ACT_RELU, 0);
    run_map(idc_pre_f1, &f, IDC_HOLDS, "by-construction", "F1 mlp");
    run_map(idc_pre_fc, &f, IDC_HOLDS, "mlp-continuous", "FC mlp");
    idc_pamap_clear(&f);
    /* |x| as a table: continuous */
    const double br[1] = {0}, sl[2] = {-1, 1}, ic[2] = {0, 0};
    pwl1(&f, 2, br, sl, ic);
    run_map(idc_pre_f1, &f, IDC_HOLDS, "by-construction", "F1 pwl1");
    run_map(idc_pre_fc, &f, IDC_HOLDS, "pwl1-breakpoints", "FC |x|");
    idc_pamap_clear(&f);
    /* a jump of one ulp at 0.1 */
    const double br2[1] = {0.1}, sl2[2] = {1, 1}, ic2[2] = {0, 0x1p-60};
    pwl1(&f, 2, br2, sl2, ic2);
    run_map(idc_pre_fc, &f, IDC_FAILS, "pwl1-jump", "FC jump");
    idc_pamap_clear(&f);
    /* 3 * 0.1 and 0.1 + 0.2 are equal exactly (0.2 = 2 * 0.1 in binary) */
    const double sl3[2] = {3, 1}, ic3[2] = {0, 0.2};
    pwl1(&f, 2, br2, sl3, ic3);
    run_map(idc_pre_fc, &f, IDC_HOLDS, "pwl1-breakpoints", "FC 3*0.1 vs 0.1+0.2");
    idc_pamap_clear(&f);
    /* 3 * 0.1 rounds to the double 0.30000000000000004, but exactly it is
     * not that double: floats would call this continuous */
    const double sl4[2] = {3, 0}, ic4[2] = {0, 0.30000000000000004};
    ck_assert(3 * 0.1 == 0.30000000000000004);
    pwl1(&f, 2, br2, sl4, ic4);
    run_map(idc_pre_fc, &f, IDC_FAILS, "pwl1-jump", "FC rounding trap");
    idc_pamap_clear(&f);
    /* K-D.2's f as a table: continuous */
    const double brd[3] = {-4, -2, 2}, sld[4] = {0.2, 1, -1, 1}, icd[4] = {0.8, 4, 0, -4};
    pwl1(&f, 4, brd, sld, icd);
    run_map(idc_pre_fc, &f, IDC_HOLDS, "pwl1-breakpoints", "FC K-D.2 f");
    run_map(idc_pre_f4, &f, IDC_FAILS, "collision", "F4 K-D.2 f");
    idc_pamap_clear(&f);
}
END_TEST

/* Injective leaky nets: K Cor. H.9 certificates. */
/* Smooth activations (misspecified maps): valid input, F1/F4/F2/F3 UNKNOWN
 * (never a verdict the checkers cannot prove), FC HOLDS. */
static int f2_of(idc_pre_result *r, const idc_pamap *f, const char *h, const idc_budget *b, idc_err *e)
{
    return idc_pre_f23(r, "F2", f, h, b, e);
}

START_TEST(test_smooth_maps)
{
    static const idc_act acts[] = {IDC_ACT_SMOOTH_LEAKY, IDC_ACT_SIGMOID};
    for (size_t a = 0; a < 2; a++) {
        idc_pamap f;
        size_t w[3] = {2, 3, 2};
        mlp(&f, 2, w);
        double W1[6] = {1, 0, 0, 1, 1, 1}, W2[6] = {1, 0, 1, 0, 1, -1};
        layer(&f, 0, W1, NULL, acts[a], 0.2);
        f.layers[0].slope = 0.2;
        layer(&f, 1, W2, NULL, IDC_ACT_IDENTITY, 1);
        ck_assert_int_eq(run_map(idc_pre_f1, &f, IDC_UNKNOWN, NULL, "smooth F1"), IDC_UNKNOWN);
        ck_assert_int_eq(run_map(idc_pre_f4, &f, IDC_UNKNOWN, NULL, "smooth F4"), IDC_UNKNOWN);
        ck_assert_int_eq(run_map(f2_of, &f, IDC_UNKNOWN, NULL, "smooth F2"), IDC_UNKNOWN);
        ck_assert_int_eq(run_map(idc_pre_fc, &f, IDC_HOLDS, "mlp-continuous", "smooth FC"), IDC_HOLDS);
        idc_pamap_clear(&f);
    }
}
END_TEST

START_TEST(test_f4_h9)
{
    static const struct {
        size_t nl;
        size_t w[5];
        double slope;
    } table[] = {
        {1, {1, 1}, 0.5},         {2, {1, 1, 1}, 0.01},      {2, {2, 3, 5}, 0.2},     {3, {3, 3, 3, 3}, 0.25},
        {3, {4, 8, 16, 16}, 1.5}, {4, {2, 2, 4, 4, 7}, 0.1}, {2, {5, 5, 5}, 0x1p-30},
    };
    for (size_t t = 0; t < sizeof table / sizeof table[0]; t++) {
        idc_pamap f;
        mlp(&f, table[t].nl, table[t].w);
        fill_normal(&f, 100 + t, IDC_ACT_LEAKY, table[t].slope);
        char what[64];
        snprintf(what, sizeof what, "H.9 table %zu", t);
        run_map(idc_pre_f4, &f, IDC_HOLDS, "kivva-H9", what);
        /* with a leaky output activation too */
        f.layers[f.nlayers - 1].act = IDC_ACT_LEAKY;
        f.layers[f.nlayers - 1].slope = 0.75;
        run_map(idc_pre_f4, &f, IDC_HOLDS, "kivva-H9", what);
        idc_pamap_clear(&f);
    }
    /* identity activations, full rank: an injective affine map */
    idc_pamap f;
    size_t w[2] = {2, 2};
    mlp(&f, 1, w);
    const double W[4] = {1, 2, 3, 4};
    layer(&f, 0, W, NULL, IDC_ACT_IDENTITY, 1);
    run_map(idc_pre_f4, &f, IDC_HOLDS, "kivva-H9", "affine");
    idc_pamap_clear(&f);
}
END_TEST

/* W_1 with a kernel: f(0) = f(v). */
START_TEST(test_f4_w1_kernel)
{
    idc_pamap f;
    size_t w[3] = {2, 3, 3};
    mlp(&f, 2, w);
    const double W1[6] = {1, 1, 2, 2, -3, -3}, W2[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, b[3] = {0.5, -1, 2};
    layer(&f, 0, W1, b, IDC_ACT_LEAKY, 0.25);
    layer(&f, 1, W2, b, IDC_ACT_IDENTITY, 1);
    run_map(idc_pre_f4, &f, IDC_FAILS, "collision", "W1 kernel");
    /* also with ReLU (the kernel argument does not need injective activations) */
    f.layers[0].act = IDC_ACT_RELU;
    f.layers[0].slope = 0;
    run_map(idc_pre_f4, &f, IDC_FAILS, "collision", "W1 kernel relu");
    idc_pamap_clear(&f);
    /* zero first layer */
    size_t w2[2] = {3, 4};
    mlp(&f, 1, w2);
    run_map(idc_pre_f4, &f, IDC_FAILS, "collision", "zero W1");
    idc_pamap_clear(&f);
    /* width 1 -> 1 with W = 0 */
    size_t w3[2] = {1, 1};
    mlp(&f, 1, w3);
    run_map(idc_pre_f4, &f, IDC_FAILS, "collision", "zero 1x1");
    idc_pamap_clear(&f);
}
END_TEST

/* Kivva Ex. H.10: slope 1/2, h1(x) = (x, -x), h2 = [[1,-1],[1,1]],
 * h3(x, y) = y; f = |x|/2. Widths 1 -> 2 -> 2 -> 1, so H.9 does not apply;
 * the exact 1-D analysis finds f(x) = f(y). */
START_TEST(test_f4_h10)
{
    idc_pamap f;
    size_t w[4] = {1, 2, 2, 1};
    mlp(&f, 3, w);
    const double W1[2] = {1, -1}, W2[4] = {1, -1, 1, 1}, W3[2] = {0, 1};
    layer(&f, 0, W1, NULL, IDC_ACT_LEAKY, 0.5);
    layer(&f, 1, W2, NULL, IDC_ACT_LEAKY, 0.5);
    layer(&f, 2, W3, NULL, IDC_ACT_IDENTITY, 1);
    idc_pre_result res;
    idc_pre_result_init(&res);
    ck_assert_int_eq(idc_pre_f4(&res, &f, HASH, NULL, NULL), IDC_OK);
    ck_assert_int_eq(res.verdict, IDC_FAILS);
    json_t *wit = json_object_get(res.cert, "witness");
    fmpq_t x, y, img;
    fmpq_init(x);
    fmpq_init(y);
    fmpq_init(img);
    ck_assert_int_eq(idc_cert_get_fmpq(x, json_array_get(json_object_get(wit, "x"), 0)), IDC_OK);
    ck_assert_int_eq(idc_cert_get_fmpq(y, json_array_get(json_object_get(wit, "y"), 0)), IDC_OK);
    ck_assert_int_eq(idc_cert_get_fmpq(img, json_array_get(json_object_get(wit, "image"), 0)), IDC_OK);
    /* f = |x|/2: the witness is a pair -x, x */
    fmpq_neg(y, y);
    ck_assert(fmpq_equal(x, y));
    fmpq_abs(x, x);
    fmpq_div_2exp(x, x, 1);
    ck_assert(fmpq_equal(x, img));
    char why[256];
    ck_assert_int_eq(idc_cert_verify_parts(res.cert, NULL, &f, HASH, why, sizeof why), IDC_OK);
    fmpq_clear(x);
    fmpq_clear(y);
    fmpq_clear(img);
    idc_pre_result_clear(&res);
    idc_pamap_clear(&f);
}
END_TEST

START_TEST(test_f4_relu)
{
    idc_pamap f;
    /* relu(x) - relu(-x) = x from two ReLU units: injective but not by H.9 */
    size_t w2[3] = {2, 4, 2};
    mlp(&f, 2, w2);
    const double A[8] = {1, 0, 0, 1, -1, 0, 0, -1}, B[8] = {1, 0, -1, 0, 0, 1, 0, -1};
    layer(&f, 0, A, NULL, IDC_ACT_RELU, 0);
    layer(&f, 1, B, NULL, IDC_ACT_IDENTITY, 1);
    run_map(idc_pre_f4, &f, IDC_UNKNOWN, NULL, "relu identity m=2");
    idc_pamap_clear(&f);
    /* m = 1: relu(x) is constant on x <= 0 */
    size_t w1[2] = {1, 1};
    mlp(&f, 1, w1);
    const double one[1] = {1};
    layer(&f, 0, one, NULL, IDC_ACT_RELU, 0);
    run_map(idc_pre_f4, &f, IDC_FAILS, "collision", "relu(x)");
    idc_pamap_clear(&f);
    /* m = 1: relu(x) - relu(-x)/2 is strictly increasing */
    size_t w3[3] = {1, 2, 1};
    mlp(&f, 2, w3);
    const double U[2] = {1, -1}, V[2] = {1, -0.5};
    layer(&f, 0, U, NULL, IDC_ACT_RELU, 0);
    layer(&f, 1, V, NULL, IDC_ACT_IDENTITY, 1);
    run_map(idc_pre_f4, &f, IDC_HOLDS, "monotone-1d", "relu monotone");
    /* same net, output (relu(x), -relu(-x)/2, 0): injective curve in R^3 */
    idc_pamap_clear(&f);
    size_t w4[3] = {1, 2, 3};
    mlp(&f, 2, w4);
    const double V3[6] = {1, 0, 0, -0.5, 0, 0};
    layer(&f, 0, U, NULL, IDC_ACT_RELU, 0);
    layer(&f, 1, V3, NULL, IDC_ACT_IDENTITY, 1);
    run_map(idc_pre_f4, &f, IDC_HOLDS, "monotone-1d", "relu curve");
    idc_pamap_clear(&f);
    /* K-D.2's f built from ReLUs (1 -> 5 -> 1): not injective (f(1) = f(5) - 2...) */
    size_t w5[3] = {1, 4, 1};
    mlp(&f, 2, w5);
    /* f = x - 2 relu(x+2) + 2 relu(x-2) ... a zig-zag: slopes 1, -1, 1 */
    const double Z1[4] = {1, 1, 1, -1}, zb[4] = {0, 2, -2, 0}, Z2[4] = {0, -2, 2, 0};
    double Z1b[4];
    memcpy(Z1b, zb, sizeof zb);
    layer(&f, 0, Z1, Z1b, IDC_ACT_RELU, 0);
    /* output = relu(x) - relu(-x) - 2 relu(x+2) + 2 relu(x-2) */
    const double Z2b[4] = {1, -2, 2, -1};
    (void)Z2;
    layer(&f, 1, Z2b, NULL, IDC_ACT_IDENTITY, 1);
    run_map(idc_pre_f4, &f, IDC_FAILS, "collision", "relu zig-zag");
    idc_pamap_clear(&f);
}
END_TEST

/* m > n: every interior point has a Jacobian kernel. Deeper rank loss
 * that is visible locally. */
START_TEST(test_f4_local_kernel)
{
    idc_pamap f;
    size_t w[3] = {3, 3, 2};
    mlp(&f, 2, w);
    fill_normal(&f, 7, IDC_ACT_LEAKY, 0.2);
    run_map(idc_pre_f4, &f, IDC_FAILS, "collision", "overcomplete 3->3->2");
    idc_pamap_clear(&f);
    /* layer 1 keeps (x1, x2) apart; layer 2 ignores the first unit */
    size_t w2[3] = {2, 3, 3};
    mlp(&f, 2, w2);
    const double W1[6] = {1, 0, 0, 1, 1, 1}, W2[9] = {0, 1, 0, 0, 0, 0, 0, 0, 0}, b[3] = {0.5, 0.25, -1};
    layer(&f, 0, W1, b, IDC_ACT_LEAKY, 0.5);
    layer(&f, 1, W2, b, IDC_ACT_LEAKY, 0.5);
    run_map(idc_pre_f4, &f, IDC_FAILS, "collision", "rank loss in layer 2");
    idc_pamap_clear(&f);
    /* width decrease but maybe injective: must never be HOLDS */
    size_t w3[3] = {2, 3, 2};
    mlp(&f, 2, w3);
    fill_normal(&f, 8, IDC_ACT_LEAKY, 0.3);
    ck_assert(run_map(idc_pre_f4, &f, 0, NULL, "width decrease") != IDC_HOLDS);
    idc_pamap_clear(&f);
}
END_TEST

START_TEST(test_f4_pwl1)
{
    static const struct {
        size_t P;
        double br[3], sl[4], ic[4];
        idc_verdict want;
    } table[] = {
        {1, {0}, {2}, {1}, IDC_HOLDS},
        {1, {0}, {0}, {1}, IDC_FAILS},
        {1, {0}, {-0x1p-1074}, {0}, IDC_HOLDS},
        {2, {0}, {1, 2}, {0, 0}, IDC_HOLDS},   /* continuous increasing */
        {2, {0}, {-1, -3}, {0, 0}, IDC_HOLDS}, /* continuous decreasing */
        {2, {0}, {-1, 1}, {0, 0}, IDC_FAILS},  /* |x| */
        {2, {0}, {1, 1}, {0, 1}, IDC_HOLDS},   /* jump up: (-inf,0) and [1,inf) */
        {2, {0}, {1, 1}, {1, 1}, IDC_HOLDS},   /* x+1 on both sides */
        {2, {0}, {1, 1}, {0, -1}, IDC_FAILS},  /* jump down: overlap */
        {2, {0}, {-1, 1}, {0, 0.5}, IDC_FAILS},
        {2, {0}, {-1, -1}, {0, 0}, IDC_HOLDS}, /* -x: (0,inf) and (-inf,0] */
        {2, {0}, {-1, 1}, {0, 0x1p-1074}, IDC_FAILS},
        {3, {-1, 1}, {1, 0, 1}, {0, -1, 0}, IDC_FAILS},   /* flat middle */
        {3, {-1, 1}, {1, -1, 1}, {0, -2, 0}, IDC_FAILS},  /* zig-zag */
        {3, {-1, 1}, {1, 1, 1}, {-10, 0, 10}, IDC_HOLDS}, /* increasing with jumps */
        {3, {-1, 1}, {1, 1, 1}, {10, 0, -10}, IDC_FAILS}, /* jumps down */
        {4, {-1, 0, 1}, {-1, -1, 1, 1}, {-1, 0, -1, 10}, IDC_FAILS},
        {4, {-1, 0, 1}, {1, -1, 1, 1}, {-10, 0.5, 10, 20}, IDC_HOLDS}, /* disjoint images, mixed slopes */
    };
    for (size_t t = 0; t < sizeof table / sizeof table[0]; t++) {
        idc_pamap f;
        pwl1(&f, table[t].P, table[t].br, table[t].sl, table[t].ic);
        char what[64];
        snprintf(what, sizeof what, "pwl1 table %zu", t);
        run_map(idc_pre_f4, &f, table[t].want, table[t].want == IDC_HOLDS ? "pwl1-image-order" : "collision",
                what);
        idc_pamap_clear(&f);
    }
}
END_TEST

/* Random piece tables: HOLDS never has two sampled points with the same
 * exact image; FAILS certificates verify. */
START_TEST(test_f4_pwl1_random)
{
    const char *name = "test_f4_pwl1_random";
    uint64_t seed = idc_test_seed(0xf4f40001);
    IDC_TEST_PRINT_SEED(name, seed);
    int holds = 0, fails = 0;
    for (uint32_t trial = 0; trial < 500; trial++) {
        idc_rng s = idc_rng_stream(seed, trial, IDC_PURPOSE_GENERATOR);
        uint64_t k = 0;
        size_t P = 1 + idc_rng_below(s, k++, 6);
        double br[6], sl[6], ic[6];
        double t0 = -3;
        for (size_t p = 0; p + 1 < P; p++) {
            t0 += 0.5 + (double)idc_rng_below(s, k++, 4);
            br[p] = t0;
        }
        for (size_t p = 0; p < P; p++) {
            double mnt = (double)idc_rng_below(s, k++, 7) - 3.0;
            sl[p] = ldexp(mnt, -(int)idc_rng_below(s, k++, 2));
            ic[p] = (double)idc_rng_below(s, k++, 41) - 20.0;
        }
        idc_pamap f;
        pwl1(&f, P, br, sl, ic);
        idc_verdict v = run_map(idc_pre_f4, &f, 0, NULL, name);
        ck_assert(v != IDC_UNKNOWN);
        if (v == IDC_HOLDS) {
            holds++;
            /* sample 400 dyadic points: images pairwise distinct */
            enum { NS = 400 };
            double img[NS];
            double work[4];
            for (int i = 0; i < NS; i++) {
                double x = ldexp((double)i - NS / 2, -4);
                idc_pamap_eval(&f, &img[i], &x, work); /* exact: small dyadics */
            }
            for (int i = 0; i < NS; i++)
                for (int j = i + 1; j < NS; j++)
                    if (img[i] == img[j])
                        IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: HOLDS but f(%d/16) = f(%d/16)", trial,
                                             i - NS / 2, j - NS / 2);
        } else {
            fails++;
        }
        idc_pamap_clear(&f);
    }
    ck_assert_int_gt(holds, 20);
    ck_assert_int_gt(fails, 20);
}
END_TEST

/* Random leaky nets with small-integer weights (rank deficiency happens):
 * H.9 HOLDS exactly when every layer has full column rank (exact rank as
 * the reference); otherwise never HOLDS for m >= 2. */
START_TEST(test_f4_random_leaky)
{
    const char *name = "test_f4_random_leaky";
    uint64_t seed = idc_test_seed(0xf4f40002);
    IDC_TEST_PRINT_SEED(name, seed);
    int holds = 0, fails = 0, unknown = 0;
    for (uint32_t trial = 0; trial < 150; trial++) {
        idc_rng s = idc_rng_stream(seed, trial, IDC_PURPOSE_GENERATOR);
        uint64_t k = 0;
        size_t nl = 1 + idc_rng_below(s, k++, 3), w[4];
        w[0] = 2 + idc_rng_below(s, k++, 2);
        for (size_t i = 1; i <= nl; i++) {
            size_t up = idc_rng_below(s, k++, 2);
            w[i] = w[i - 1] + up - (idc_rng_below(s, k++, 8) == 0);
            if (w[i] == 0)
                w[i] = 1;
        }
        idc_pamap f;
        mlp(&f, nl, w);
        int full = 1;
        for (size_t i = 0; i < nl; i++) {
            idc_layer *l = &f.layers[i];
            for (size_t e = 0; e < l->in * l->out; e++)
                l->W[e] = (double)idc_rng_below(s, k++, 3) - 1.0;
            for (size_t e = 0; e < l->out; e++)
                l->b[e] = ldexp((double)idc_rng_below(s, k++, 9) - 4.0, -2);
            l->act = IDC_ACT_LEAKY;
            l->slope = 0.25;
            slong rk;
            ck_assert_int_eq(idc_qmat_rank_d(&rk, l->W, l->out, l->in), IDC_OK);
            if ((size_t)rk < l->in)
                full = 0;
        }
        idc_verdict v = run_map(idc_pre_f4, &f, 0, NULL, name);
        if ((v == IDC_HOLDS) != full)
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: verdict %s but full-rank=%d", trial,
                                 idc_verdict_name(v), full);
        holds += v == IDC_HOLDS;
        fails += v == IDC_FAILS;
        unknown += v == IDC_UNKNOWN;
        idc_pamap_clear(&f);
    }
    fprintf(stderr, "%s: %d HOLDS, %d FAILS, %d UNKNOWN\n", name, holds, fails, unknown);
    ck_assert_int_gt(holds, 10);
    ck_assert_int_gt(fails, 10);
}
END_TEST

/* Random 1-D nets (ReLU and leaky, widths up to 4, depth up to 3): decided
 * verdicts verify; HOLDS agrees with exact images of 200 sampled points
 * being pairwise distinct. */
START_TEST(test_f4_random_1d)
{
    const char *name = "test_f4_random_1d";
    uint64_t seed = idc_test_seed(0xf4f40003);
    IDC_TEST_PRINT_SEED(name, seed);
    int counts[4] = {0, 0, 0, 0};
    for (uint32_t trial = 0; trial < 150; trial++) {
        idc_rng s = idc_rng_stream(seed, trial, IDC_PURPOSE_GENERATOR);
        uint64_t k = 0;
        size_t nl = 1 + idc_rng_below(s, k++, 3), w[4];
        w[0] = 1;
        for (size_t i = 1; i <= nl; i++)
            w[i] = 1 + idc_rng_below(s, k++, 4);
        idc_pamap f;
        mlp(&f, nl, w);
        for (size_t i = 0; i < nl; i++) {
            idc_layer *l = &f.layers[i];
            for (size_t e = 0; e < l->in * l->out; e++)
                l->W[e] = (double)idc_rng_below(s, k++, 5) - 2.0;
            for (size_t e = 0; e < l->out; e++)
                l->b[e] = (double)idc_rng_below(s, k++, 5) - 2.0;
            uint64_t a = idc_rng_below(s, k++, 3);
            l->act = a == 0 ? IDC_ACT_RELU : (a == 1 ? IDC_ACT_LEAKY : IDC_ACT_IDENTITY);
            l->slope = l->act == IDC_ACT_LEAKY ? 0.5 : (l->act == IDC_ACT_RELU ? 0.0 : 1.0);
        }
        idc_verdict v = run_map(idc_pre_f4, &f, 0, NULL, name);
        counts[v]++;
        if (v == IDC_HOLDS) {
            enum { NS = 200 };
            double img[NS * 4], work[16], x;
            for (int i = 0; i < NS; i++) {
                x = ldexp((double)i - NS / 2, -3);
                idc_pamap_eval(&f, img + (size_t)i * f.out_dim, &x, work); /* exact: small dyadics */
            }
            for (int i = 0; i < NS; i++)
                for (int j = i + 1; j < NS; j++)
                    if (memcmp(img + (size_t)i * f.out_dim, img + (size_t)j * f.out_dim,
                               f.out_dim * sizeof(double)) == 0)
                        IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: HOLDS but two samples collide", trial);
        }
        idc_pamap_clear(&f);
    }
    fprintf(stderr, "%s: %d HOLDS, %d FAILS, %d UNKNOWN\n", name, counts[IDC_HOLDS], counts[IDC_FAILS],
            counts[IDC_UNKNOWN]);
    ck_assert_int_gt(counts[IDC_HOLDS], 5);
    ck_assert_int_gt(counts[IDC_FAILS], 5);
}
END_TEST

/* Timing of the H.9 certificate on realistic layers (printed). */
START_TEST(test_f4_timing)
{
    size_t shapes[][4] = {{40, 64, 0, 0}, {40, 64, 64, 64}};
    size_t nls[2] = {1, 3};
    for (int c = 0; c < 2; c++) {
        idc_pamap f;
        mlp(&f, nls[c], shapes[c]);
        fill_normal(&f, 42, IDC_ACT_LEAKY, 0.2);
        idc_pre_result res;
        idc_pre_result_init(&res);
        struct timespec t0, t1, t2;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int reps = 20;
        for (int r = 0; r < reps; r++)
            ck_assert_int_eq(idc_pre_f4(&res, &f, HASH, NULL, NULL), IDC_OK);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ck_assert_int_eq(res.verdict, IDC_HOLDS);
        char why[256];
        for (int r = 0; r < reps; r++)
            ck_assert_int_eq(idc_cert_verify_parts(res.cert, NULL, &f, HASH, why, sizeof why), IDC_OK);
        clock_gettime(CLOCK_MONOTONIC, &t2);
        double tc = ((double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec)) / reps;
        double tv = ((double)(t2.tv_sec - t1.tv_sec) + 1e-9 * (double)(t2.tv_nsec - t1.tv_nsec)) / reps;
        fprintf(stderr, "F4 H.9 %zu layers (40 -> 64%s): check %.3f ms, verify %.3f ms\n", nls[c],
                c ? " -> 64 -> 64" : "", 1e3 * tc, 1e3 * tv);
        idc_pre_result_clear(&res);
        idc_pamap_clear(&f);
    }
}
END_TEST

START_TEST(test_budget_and_errors)
{
    idc_pamap f;
    size_t w[3] = {2, 3, 4};
    mlp(&f, 2, w);
    fill_normal(&f, 3, IDC_ACT_LEAKY, 0.2);
    idc_pre_result res;
    idc_pre_result_init(&res);
    idc_err err;
    idc_budget tiny = {10.0, 5};
    ck_assert_int_eq(idc_pre_f4(&res, &f, HASH, &tiny, &err), IDC_OK);
    ck_assert_int_eq(res.verdict, IDC_UNKNOWN);
    ck_assert(strstr(res.reason, "budget") != NULL);
    f.layers[1].W[5] = NAN;
    ck_assert_int_eq(idc_pre_f4(&res, &f, HASH, NULL, &err), IDC_EINVAL);
    ck_assert_msg(strstr(err.msg, "map.layers[1].W[1][2]") != NULL, "%s", err.msg);
    f.layers[1].W[5] = 1;
    f.layers[0].b[2] = INFINITY;
    ck_assert_int_eq(idc_pre_f1(&res, &f, HASH, NULL, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "map.layers[0].b[2]") != NULL);
    f.layers[0].b[2] = 0;
    f.layers[0].act = IDC_ACT_LEAKY;
    f.layers[0].slope = NAN;
    ck_assert_int_eq(idc_pre_fc(&res, &f, HASH, NULL, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "slope") != NULL);
    /* negative leaky slope: not injective, not covered by H.9 */
    f.layers[0].slope = -0.5;
    ck_assert_int_eq(idc_pre_f4(&res, &f, HASH, NULL, &err), IDC_OK);
    ck_assert(res.verdict != IDC_HOLDS);
    idc_pamap_clear(&f);
    const double br[2] = {1, 0}, sl[3] = {1, 1, 1}, ic[3] = {0, 0, 0};
    pwl1(&f, 3, br, sl, ic);
    ck_assert_int_eq(idc_pre_f4(&res, &f, HASH, NULL, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "breakpoints[1]") != NULL);
    idc_pamap_clear(&f);
    idc_pre_result_clear(&res);
}
END_TEST

/* NOISE0 (X Sec. 2): sigma = 0 exactly HOLDS, any sigma > 0 (even the
 * smallest subnormal) FAILS, both with certificates the verifier re-derives
 * from the instance's noise level; a witness that does not match the
 * instance, a flipped verdict, or a verification without the instance is
 * rejected; a malformed sigma is an input error naming noise.sigma. */
START_TEST(test_noise0)
{
    static const char *text =
        "{\"idcheck_format\": 1, \"model\": {\"dim\": 1, \"components\": ["
        "{\"weight\": 1, \"mean\": [0], \"L\": [[1]]}]},"
        " \"map\": {\"type\": \"mlp\", \"layers\": [{\"W\": [[2]], \"b\": [0], \"activation\": \"identity\"}]}}";
    idc_instance inst;
    idc_err err;
    ck_assert_msg(idc_instance_read_string(&inst, text, &err) == IDC_OK, "%s", err.msg);
    const double sigmas[] = {0.0, 0.1, 4.9406564584124654e-324, 3.0};
    for (size_t i = 0; i < sizeof sigmas / sizeof sigmas[0]; i++) {
        inst.noise_sigma = sigmas[i];
        idc_pre_result res;
        idc_pre_result_init(&res);
        ck_assert_int_eq(idc_pre_check(&res, "NOISE0", &inst, NULL, &err), IDC_OK);
        idc_verdict want = sigmas[i] == 0.0 ? IDC_HOLDS : IDC_FAILS;
        ck_assert_msg(res.verdict == want, "sigma %a: %s (%s)", sigmas[i], idc_verdict_name(res.verdict), res.reason);
        ck_assert_str_eq(json_string_value(json_object_get(res.cert, "method")), "noise-level");
        char why[256] = "";
        ck_assert_msg(idc_cert_verify(res.cert, &inst, why, sizeof why) == IDC_OK, "%s", why);
        /* the verdict depends on the instance's noise: no instance, no verification */
        ck_assert_int_eq(idc_cert_verify_parts(res.cert, &inst.prior, &inst.map, NULL, why, sizeof why), IDC_EDOM);
        ck_assert(strstr(why, "NOISE0") != NULL);
        json_t *t = json_deep_copy(res.cert);
        json_object_set_new(t, "verdict", json_string(want == IDC_HOLDS ? "FAILS" : "HOLDS"));
        ck_assert_int_eq(idc_cert_verify(t, &inst, why, sizeof why), IDC_EDOM);
        json_decref(t);
        /* a witness sigma other than the instance's: rejected */
        t = json_deep_copy(res.cert);
        json_object_set_new(json_object_get(t, "witness"), "sigma", json_string(want == IDC_HOLDS ? "1/2" : "0"));
        ck_assert_int_eq(idc_cert_verify(t, &inst, why, sizeof why), IDC_EDOM);
        json_object_set_new(json_object_get(t, "witness"), "sigma", json_string("-1/2"));
        ck_assert_int_eq(idc_cert_verify(t, &inst, why, sizeof why), IDC_EDOM);
        json_decref(t);
        idc_pre_result_clear(&res);
    }
    idc_pre_result res;
    idc_pre_result_init(&res);
    const double bad[] = {-0.5, NAN, INFINITY};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(idc_pre_noise0(&res, bad[i], HASH, NULL, &err), IDC_EINVAL);
        ck_assert_msg(strstr(err.msg, "noise.sigma") != NULL, "%s", err.msg);
        ck_assert_ptr_null(res.cert);
    }
    idc_instance_clear(&inst);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pre_map");
    const idc_test_case cases[] = {
        {"test_dim", test_dim},
        {"test_f1_fc", test_f1_fc},
        {"test_smooth_maps", test_smooth_maps},
        {"test_f4_h9", test_f4_h9},
        {"test_f4_w1_kernel", test_f4_w1_kernel},
        {"test_f4_h10", test_f4_h10},
        {"test_f4_relu", test_f4_relu},
        {"test_f4_local_kernel", test_f4_local_kernel},
        {"test_f4_pwl1", test_f4_pwl1},
        {"test_f4_pwl1_random", test_f4_pwl1_random},
        {"test_f4_random_leaky", test_f4_random_leaky},
        {"test_f4_random_1d", test_f4_random_1d},
        {"test_f4_timing", test_f4_timing},
        {"test_budget_and_errors", test_budget_and_errors},
        {"test_noise0", test_noise0},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 120);
    return idc_test_run(s);
}
