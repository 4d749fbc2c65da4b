/* Tests of the exact F4 decision for one input (theory/check/f4_line.c) and
 * of its "pairwise-1d" certificate's verifier (theory/verify/verify_f4line.c):
 * a leaky net of widths 1, 2, 3, 4, 4 that no sufficient condition and no
 * monotone projection certifies (HOLDS, pairwise), a planted self-crossing
 * curve (FAILS with the exact pair), a fold, constant pieces, tampered
 * certificates, and a randomized comparison of every decided verdict with
 * exact evaluation on a grid of rationals. */
#include <string.h>

#include "numeric/dq.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"
#include "theory/cert.h"
#include "theory/precond.h"
#include "theory/tests/maptest.h"

#define HASH "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* F4 of f: verdict and method checked, the certificate verified; returns
 * the certificate (a new reference; NULL for UNKNOWN). */
static json_t *f4_of(const idc_pamap *f, idc_verdict want, const char *method, const char *what)
{
    idc_pre_result res;
    idc_pre_result_init(&res);
    idc_err err;
    ck_assert_msg(idc_pre_f4(&res, f, HASH, NULL, &err) == IDC_OK, "%s: %s", what, err.msg);
    ck_assert_msg(res.verdict == want, "%s: %s (%s)", what, idc_verdict_name(res.verdict), res.reason);
    json_t *c = res.cert != NULL ? json_incref(res.cert) : NULL;
    if (c != NULL) {
        char why[256];
        ck_assert_msg(idc_cert_verify_parts(c, NULL, f, HASH, why, sizeof why) == IDC_OK, "%s: %s", what,
                      why);
        ck_assert_str_eq(json_string_value(json_object_get(c, "method")), method);
    }
    idc_pre_result_clear(&res);
    return c;
}

static int verifies(const json_t *c, const idc_pamap *f, char *why, size_t len)
{
    return idc_cert_verify_parts(c, NULL, f, HASH, why, len) == IDC_OK;
}

/* A leaky net 1 -> 2 -> 3 -> 4 -> 4 (slope 1/4, identity output) whose
 * last layer has rank 3, so K Cor. H.9 does not apply, and whose 1-D curve
 * turns too far for any coordinate or averaged direction to be monotone. */
static void net_12344(idc_pamap *f)
{
    size_t w[5] = {1, 2, 3, 4, 4};
    mlp(f, 4, w);
    const double W0[2] = {1, -2}, b0[2] = {-3, 0};
    const double W1[6] = {1, 2, -1, -2, -2, -2}, b1[3] = {-1, 3, -2};
    const double W2[12] = {2, -1, -1, 2, -1, -2, -2, 0, -1, -1, 1, -1}, b2[4] = {-3, 2, 1, 1};
    const double W3[16] = {1, 0, 1, -2, -2, -1, 1, -1, 0, -1, 1, 0, 2, 0, 0, 1}, b3[4] = {-2, 2, 3, -1};
    layer(f, 0, W0, b0, IDC_ACT_LEAKY, 0.25);
    layer(f, 1, W1, b1, IDC_ACT_LEAKY, 0.25);
    layer(f, 2, W2, b2, IDC_ACT_LEAKY, 0.25);
    layer(f, 3, W3, b3, IDC_ACT_IDENTITY, 1);
}

/* A ReLU net 1 -> 4 -> 2 tracing right, up, left, down:
 * x = -relu(-t) - relu(t-1) + relu(t-2), y = relu(t) - relu(t-1) - relu(t-2);
 * the last ray (x = -1, going down from (-1, 1)) crosses the first ray
 * (y = 0, x <= 0) at f(-1) = f(3) = (-1, 0), and nowhere else. */
static void net_loop(idc_pamap *f)
{
    size_t w[3] = {1, 4, 2};
    mlp(f, 2, w);
    const double W0[4] = {1, 1, 1, -1}, b0[4] = {0, -1, -2, 0};
    const double W1[8] = {0, -1, 1, -1, 1, -1, -1, 0};
    layer(f, 0, W0, b0, IDC_ACT_RELU, 0);
    layer(f, 1, W1, NULL, IDC_ACT_IDENTITY, 1);
}

/* A square spiral arm that never comes back (ReLU 1 -> 5 -> 2): from the
 * left along y = 0 to the origin, up to (0, 2), left to (-2, 2), down to
 * (-2, 1), then left along y = 1 for ever. Injective, but its directions
 * include both (1, 0) and (-1, 0), so no linear form is monotone on it. */
static void net_spiral(idc_pamap *f)
{
    size_t w[3] = {1, 5, 2};
    mlp(f, 2, w);
    /* units relu(-t), relu(t), relu(t-2), relu(t-4), relu(t-5) */
    const double W0[5] = {-1, 1, 1, 1, 1}, b0[5] = {0, 0, -2, -4, -5};
    /* x = -relu(-t) - relu(t-2) + relu(t-4) - relu(t-5),
     * y = relu(t) - relu(t-2) - relu(t-4) + relu(t-5) */
    const double W1[10] = {-1, 0, -1, 1, -1, 0, 1, -1, -1, 1};
    layer(f, 0, W0, b0, IDC_ACT_RELU, 0);
    layer(f, 1, W1, NULL, IDC_ACT_IDENTITY, 1);
}

START_TEST(test_widths_12344)
{
    idc_pamap f;
    net_12344(&f);
    json_t *c = f4_of(&f, IDC_HOLDS, "pairwise-1d", "1,2,3,4,4");
    json_t *w = json_object_get(c, "witness");
    size_t K = json_array_size(json_object_get(w, "pieces"));
    ck_assert_uint_ge(K, 3);
    ck_assert_uint_eq(json_array_size(json_object_get(w, "breakpoints")), K - 1);
    ck_assert_uint_eq(json_array_size(json_object_get(w, "separators")), K * (K - 1) / 2);
    /* F2 and F3 follow from it */
    idc_pre_result r;
    idc_pre_result_init(&r);
    idc_err err;
    ck_assert_int_eq(idc_pre_implied_by_f4(&r, "F3", &f, HASH, NULL, &err), IDC_OK);
    ck_assert_int_eq(r.verdict, IDC_HOLDS);
    char why[256];
    ck_assert_msg(verifies(r.cert, &f, why, sizeof why), "%s", why);
    idc_pre_result_clear(&r);
    json_decref(c);
    idc_pamap_clear(&f);
}
END_TEST

START_TEST(test_spiral)
{
    idc_pamap f;
    net_spiral(&f);
    json_t *c = f4_of(&f, IDC_HOLDS, "pairwise-1d", "square spiral");
    /* neighbours at right angles and the far pairs apart */
    ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(c, "witness"), "pieces")), 5);
    json_decref(c);
    idc_pamap_clear(&f);
}
END_TEST

static void get_q(fmpq_t q, const json_t *w, const char *key, size_t i)
{
    ck_assert_int_eq(idc_cert_get_fmpq(q, json_array_get(json_object_get(w, key), i)), IDC_OK);
}

START_TEST(test_loop_fails)
{
    idc_pamap f;
    net_loop(&f);
    json_t *c = f4_of(&f, IDC_FAILS, "collision", "loop");
    json_t *w = json_object_get(c, "witness");
    fmpq_t x, y, v;
    fmpq_init(x);
    fmpq_init(y);
    fmpq_init(v);
    get_q(x, w, "x", 0);
    get_q(y, w, "y", 0);
    /* the only collision: {x, y} = {-1, 3}, image (-1, 0) */
    if (fmpq_cmp(x, y) > 0)
        fmpq_swap(x, y);
    fmpq_set_si(v, -1, 1);
    ck_assert(fmpq_equal(x, v));
    fmpq_set_si(v, 3, 1);
    ck_assert(fmpq_equal(y, v));
    get_q(v, w, "image", 0);
    ck_assert(fmpq_equal_si(v, -1));
    get_q(v, w, "image", 1);
    ck_assert(fmpq_is_zero(v));
    ck_assert(strstr(json_string_value(json_object_get(w, "found_by")), "two pieces meet") != NULL);
    /* a collision edited to a non-colliding pair is rejected */
    char why[256];
    json_array_set_new(json_object_get(w, "y"), 0, json_string("5/2"));
    ck_assert(!verifies(c, &f, why, sizeof why));
    fmpq_clear(x);
    fmpq_clear(y);
    fmpq_clear(v);
    json_decref(c);
    idc_pamap_clear(&f);
}
END_TEST

/* A fold between neighbours: x = t up to t = 1, back with slope -1/2 on
 * [1, 2], then y rises (x = t - (3/2) relu(t-1) + (1/2) relu(t-2),
 * y = relu(t-2), with t = relu(t) - relu(-t)). Pieces [0, 1] and [1, 2] run
 * along the same line in opposite directions: f(1/2) = f(2) = (1/2, 0);
 * every other pair of pieces is apart. */
START_TEST(test_fold)
{
    idc_pamap f;
    size_t w[3] = {1, 4, 2};
    mlp(&f, 2, w);
    const double W0[4] = {1, -1, 1, 1}, b0[4] = {0, 0, -1, -2};
    const double W1[8] = {1, -1, -1.5, 0.5, 0, 0, 0, 1};
    layer(&f, 0, W0, b0, IDC_ACT_RELU, 0);
    layer(&f, 1, W1, NULL, IDC_ACT_IDENTITY, 1);
    json_t *c = f4_of(&f, IDC_FAILS, "collision", "fold");
    json_t *wit = json_object_get(c, "witness");
    fmpq_t x, y;
    fmpq_init(x);
    fmpq_init(y);
    get_q(x, wit, "x", 0);
    get_q(y, wit, "y", 0);
    if (fmpq_cmp(x, y) > 0)
        fmpq_swap(x, y);
    ck_assert(fmpq_cmp_si(x, 0) >= 0 && fmpq_cmp_si(x, 1) < 0);
    ck_assert(fmpq_cmp_si(y, 1) > 0 && fmpq_cmp_si(y, 2) <= 0);
    fmpq_clear(x);
    fmpq_clear(y);
    json_decref(c);
    idc_pamap_clear(&f);
}
END_TEST

/* A constant piece in the middle: x = t - relu(t-1) + relu(t-2),
 * y = t - relu(t-1) + 2 relu(t-2) (t = relu(t) - relu(-t)) is injective on
 * t <= 1 and t >= 2 and constant (1, 1) on [1, 2]. */
START_TEST(test_constant_piece)
{
    idc_pamap f;
    size_t w[3] = {1, 4, 2};
    mlp(&f, 2, w);
    const double W0[4] = {1, -1, 1, 1}, b0[4] = {0, 0, -1, -2}, W1[8] = {1, -1, -1, 1, 1, -1, -1, 2};
    layer(&f, 0, W0, b0, IDC_ACT_RELU, 0);
    layer(&f, 1, W1, NULL, IDC_ACT_IDENTITY, 1);
    json_t *c = f4_of(&f, IDC_FAILS, "collision", "constant middle piece");
    json_t *wit = json_object_get(c, "witness");
    ck_assert(strstr(json_string_value(json_object_get(wit, "found_by")), "constant piece") != NULL);
    fmpq_t x, y;
    fmpq_init(x);
    fmpq_init(y);
    get_q(x, wit, "x", 0);
    get_q(y, wit, "y", 0);
    ck_assert(!fmpq_equal(x, y));
    ck_assert(fmpq_cmp_si(x, 1) >= 0 && fmpq_cmp_si(x, 2) <= 0);
    ck_assert(fmpq_cmp_si(y, 1) >= 0 && fmpq_cmp_si(y, 2) <= 0);
    get_q(x, wit, "image", 0);
    ck_assert(fmpq_equal_si(x, 1));
    fmpq_clear(x);
    fmpq_clear(y);
    json_decref(c);
    idc_pamap_clear(&f);
}
END_TEST

START_TEST(test_tampering)
{
    idc_pamap f, g;
    net_12344(&f);
    net_loop(&g);
    char why[256];
    json_t *c = f4_of(&f, IDC_HOLDS, "pairwise-1d", "1,2,3,4,4");
    json_t *w = json_object_get(c, "witness");
    json_t *t;

    /* a separating form edited: zero out the form of the first pair */
    t = json_deep_copy(c);
    json_t *tw = json_object_get(t, "witness");
    json_int_t s0 = json_integer_value(json_array_get(json_object_get(tw, "separators"), 0));
    json_t *form = json_array_get(json_object_get(tw, "functionals"), (size_t)s0);
    for (size_t i = 0; i < json_array_size(form); i++)
        json_array_set_new(form, i, json_string("0"));
    ck_assert(!verifies(t, &f, why, sizeof why));
    ck_assert_msg(strstr(why, "does not separate") != NULL, "%s", why);
    json_decref(t);

    /* a separator index out of range, and one pair fewer */
    t = json_deep_copy(c);
    tw = json_object_get(t, "witness");
    json_array_set_new(json_object_get(tw, "separators"), 0, json_integer(999999));
    ck_assert(!verifies(t, &f, why, sizeof why));
    json_array_remove(json_object_get(tw, "separators"), 0);
    ck_assert(!verifies(t, &f, why, sizeof why));
    json_decref(t);

    /* breakpoints: one removed (with its piece), one moved */
    t = json_deep_copy(c);
    tw = json_object_get(t, "witness");
    json_array_remove(json_object_get(tw, "breakpoints"), 0);
    json_array_remove(json_object_get(tw, "pieces"), 0);
    ck_assert(!verifies(t, &f, why, sizeof why));
    json_decref(t);
    t = json_deep_copy(c);
    tw = json_object_get(t, "witness");
    fmpq_t q;
    fmpq_init(q);
    ck_assert_int_eq(idc_cert_get_fmpq(q, json_array_get(json_object_get(tw, "breakpoints"), 0)), IDC_OK);
    fmpq_t eps;
    fmpq_init(eps);
    fmpq_set_si(eps, 1, 1024);
    fmpq_add(q, q, eps); /* a breakpoint moved right by 2^-10 */
    fmpq_clear(eps);
    json_array_set_new(json_object_get(tw, "breakpoints"), 0, idc_cert_json_fmpq(q));
    ck_assert(!verifies(t, &f, why, sizeof why));
    ck_assert_msg(strstr(why, "not affine on interval") != NULL, "%s", why);
    json_decref(t);
    /* a piece's affine map edited */
    t = json_deep_copy(c);
    tw = json_object_get(t, "witness");
    json_t *alpha = json_object_get(json_array_get(json_object_get(tw, "pieces"), 1), "alpha");
    ck_assert_int_eq(idc_cert_get_fmpq(q, json_array_get(alpha, 0)), IDC_OK);
    fmpq_add_si(q, q, 1);
    json_array_set_new(alpha, 0, idc_cert_json_fmpq(q));
    ck_assert(!verifies(t, &f, why, sizeof why));
    ck_assert_msg(strstr(why, "pieces[1]") != NULL, "%s", why);
    json_decref(t);
    fmpq_clear(q);

    /* HOLDS relabelled FAILS */
    t = json_deep_copy(c);
    json_object_set_new(t, "verdict", json_string("FAILS"));
    ck_assert(!verifies(t, &f, why, sizeof why));
    json_decref(t);

    /* the certificate for another 1-D net (hash aside): its breakpoints are
     * not the loop's, or its separations fail */
    t = json_deep_copy(c);
    json_object_set_new(t, "model_hash", json_null());
    ck_assert_int_ne(idc_cert_verify_parts(t, NULL, &g, NULL, why, sizeof why), IDC_OK);
    json_decref(t);

    (void)w;
    json_decref(c);
    idc_pamap_clear(&f);
    idc_pamap_clear(&g);
}
END_TEST

/* Exact f(t) (n values) by a forward pass. */
static void eval_at(fmpq *y, const idc_pamap *f, const fmpq_t t)
{
    size_t wmax = idc_pamap_max_width(f);
    fmpq *cur = _fmpq_vec_init((slong)wmax), *nxt = _fmpq_vec_init((slong)wmax);
    fmpq_t e;
    fmpq_init(e);
    fmpq_set(cur, t);
    for (size_t li = 0; li < f->nlayers; li++) {
        const idc_layer *l = &f->layers[li];
        for (size_t r = 0; r < l->out; r++) {
            idc_dq_fmpq_set_finite_d(nxt + r, l->b[r]);
            for (size_t c = 0; c < l->in; c++) {
                idc_dq_fmpq_set_finite_d(e, l->W[r * l->in + c]);
                fmpq_addmul(nxt + r, e, cur + c);
            }
            if (fmpq_sgn(nxt + r) < 0 && l->act != IDC_ACT_IDENTITY) {
                idc_dq_fmpq_set_finite_d(e, l->act == IDC_ACT_RELU ? 0.0 : l->slope);
                fmpq_mul(nxt + r, nxt + r, e);
            }
        }
        fmpq *sw = cur;
        cur = nxt;
        nxt = sw;
    }
    for (size_t i = 0; i < f->out_dim; i++)
        fmpq_set(y + i, cur + i);
    _fmpq_vec_clear(cur, (slong)wmax);
    _fmpq_vec_clear(nxt, (slong)wmax);
    fmpq_clear(e);
}

/* Random 1-D nets with small integer weights (leaky slope 1/4 or ReLU,
 * widths 1 -> 2 -> 3 -> 2): every verdict is decided (never UNKNOWN), its
 * certificate verifies, and a HOLDS is never contradicted by two of 241
 * grid points t = k/8 in [-15, 15] with equal images (exact). Grid
 * collisions found are also FAILS. */
START_TEST(test_random_nets)
{
    uint64_t seed = idc_test_seed(UINT64_C(0xf41d));
    IDC_TEST_PRINT_SEED("test_random_nets", seed);
    idc_rng s = idc_rng_stream(seed, 0, IDC_PURPOSE_GENERATOR);
    uint64_t ctr = 0;
    enum { G = 241 };
    int counts[3] = {0, 0, 0};
    for (int it = 0; it < 60; it++) {
        idc_pamap f;
        size_t w[4] = {1, 2, 3, 2};
        mlp(&f, 3, w);
        int relu = it % 3 == 0;
        for (size_t i = 0; i < 3; i++) {
            idc_layer *l = &f.layers[i];
            for (size_t k = 0; k < l->in * l->out; k++)
                l->W[k] = (double)((int)(idc_rng_u64(s, ctr++) % 5) - 2);
            for (size_t k = 0; k < l->out; k++)
                l->b[k] = (double)((int)(idc_rng_u64(s, ctr++) % 7) - 3);
            l->act = i < 2 ? (relu ? IDC_ACT_RELU : IDC_ACT_LEAKY) : IDC_ACT_IDENTITY;
            l->slope = i < 2 ? (relu ? 0.0 : 0.25) : 1.0;
        }
        idc_pre_result res;
        idc_pre_result_init(&res);
        idc_err err;
        if (idc_pre_f4(&res, &f, HASH, NULL, &err) != IDC_OK)
            IDC_TEST_FAIL_REPLAY("test_random_nets", seed, "net %d: %s", it, err.msg);
        if (res.verdict == IDC_UNKNOWN)
            IDC_TEST_FAIL_REPLAY("test_random_nets", seed, "net %d: UNKNOWN (%s)", it, res.reason);
        char why[256];
        if (!verifies(res.cert, &f, why, sizeof why))
            IDC_TEST_FAIL_REPLAY("test_random_nets", seed, "net %d: certificate rejected: %s", it, why);
        /* grid images */
        fmpq *img = _fmpq_vec_init(G * 2);
        fmpq_t t;
        fmpq_init(t);
        for (int g = 0; g < G; g++) {
            fmpq_set_si(t, g - 120, 8);
            eval_at(img + 2 * g, &f, t);
        }
        int grid_hit = 0;
        for (int a = 0; a < G && !grid_hit; a++)
            for (int b = a + 1; b < G && !grid_hit; b++)
                grid_hit =
                    fmpq_equal(img + 2 * a, img + 2 * b) && fmpq_equal(img + 2 * a + 1, img + 2 * b + 1);
        if (grid_hit && res.verdict == IDC_HOLDS)
            IDC_TEST_FAIL_REPLAY("test_random_nets", seed, "net %d: HOLDS but two grid points collide", it);
        counts[res.verdict == IDC_HOLDS ? 0 : 1]++;
        if (res.verdict == IDC_HOLDS &&
            strcmp(json_string_value(json_object_get(res.cert, "method")), "pairwise-1d") == 0)
            counts[2]++;
        fmpq_clear(t);
        _fmpq_vec_clear(img, G * 2);
        idc_pre_result_clear(&res);
        idc_pamap_clear(&f);
    }
    /* both answers occur (the pairwise certificate's own cases are above;
     * here it appears in a few nets per seed, in none for some seeds) */
    if (counts[0] == 0 || counts[1] == 0)
        IDC_TEST_FAIL_REPLAY("test_random_nets", seed, "HOLDS %d (pairwise-1d %d) FAILS %d", counts[0],
                             counts[2], counts[1]);
    fprintf(stderr, "test_random_nets: %d HOLDS (%d pairwise-1d), %d FAILS\n", counts[0], counts[2],
            counts[1]);
}
END_TEST

int main(void)
{
    const idc_test_case cases[] = {
        {"test_widths_12344", test_widths_12344},     {"test_spiral", test_spiral},
        {"test_loop_fails", test_loop_fails},         {"test_fold", test_fold},
        {"test_constant_piece", test_constant_piece}, {"test_tampering", test_tampering},
        {"test_random_nets", test_random_nets},
    };
    Suite *s = suite_create("f4_line");
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 30);
    return idc_test_run(s);
}
