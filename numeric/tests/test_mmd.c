/* Tests of the MMD two-sample test and the GAUSS goodness-of-fit test
 * (numeric/mmd.h): the statistic against a direct evaluation, level and
 * power of the permutation test over several seeds (counts with margins,
 * never single p-values at the edge), GMM codes pass, a ring and a uniform
 * square fail, invariance to per-column scaling, errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "numeric/mmd.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

/* n rows of d-dim N(shift, I) from stream (seed, tag). */
static double *normal_rows(size_t n, size_t d, double shift, uint64_t seed, uint32_t tag)
{
    double *X = malloc(n * d * sizeof *X);
    idc_rng s = idc_rng_stream(seed, tag, IDC_PURPOSE_LATENT);
    for (size_t i = 0; i < n * d; i++)
        X[i] = shift + idc_rng_normal(s, i);
    return X;
}

/* Three well separated 2-D components (weights 0.2, 0.3, 0.5), one of
 * them nearly degenerate (a thin ellipse). */
static double *gmm_rows(size_t n, uint64_t seed)
{
    static const double W[3] = {0.2, 0.3, 0.5};
    static const double MU[3][2] = {{-6, 0}, {0, 6}, {6, 0}};
    static const double LF[3][2][2] = {{{1, 0}, {0.5, 0.5}}, {{0.7, 0}, {0, 1.2}}, {{1.5, 0}, {-0.6, 0.01}}};
    double *X = malloc(n * 2 * sizeof *X);
    idc_rng s = idc_rng_stream(seed, 1, IDC_PURPOSE_LATENT), c = idc_rng_stream(seed, 1, IDC_PURPOSE_COMPONENT);
    for (size_t t = 0; t < n; t++) {
        double u = idc_rng_uniform(c, t);
        size_t j = u < W[0] ? 0 : u < W[0] + W[1] ? 1 : 2;
        double e0 = idc_rng_normal(s, 2 * t), e1 = idc_rng_normal(s, 2 * t + 1);
        X[2 * t] = MU[j][0] + LF[j][0][0] * e0 + LF[j][0][1] * e1;
        X[2 * t + 1] = MU[j][1] + LF[j][1][0] * e0 + LF[j][1][1] * e1;
    }
    return X;
}

/* A ring of radius 3 (noise 0.1) or the uniform square [-1, 1]^2. */
static double *nongmm_rows(size_t n, int ring, uint64_t seed)
{
    double *X = malloc(n * 2 * sizeof *X);
    idc_rng s = idc_rng_stream(seed, 2, IDC_PURPOSE_LATENT);
    for (size_t t = 0; t < n; t++) {
        double u = idc_rng_uniform(s, 4 * t), v = idc_rng_uniform(s, 4 * t + 1);
        if (ring) {
            double r = 3 + 0.1 * idc_rng_normal(s, 4 * t + 2), a = 2 * M_PI * u;
            X[2 * t] = r * cos(a);
            X[2 * t + 1] = r * sin(a);
        } else {
            X[2 * t] = 2 * u - 1;
            X[2 * t + 1] = 2 * v - 1;
        }
    }
    return X;
}

/* MMD^2_u evaluated directly from its definition (the kernel of mmd.h with
 * S scales). */
static double kern(double s, double h, unsigned S)
{
    double k = 0;
    for (unsigned t = 0; t < S; t++)
        k += exp(-s * (double)(1u << (2 * t)) / (2 * h * h));
    return k / S;
}

static double direct_mmd2(const double *X, const double *Y, size_t n, size_t d, double h, unsigned S)
{
    double sxx = 0, syy = 0, sxy = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double a = 0, b = 0, c = 0;
            for (size_t q = 0; q < d; q++) {
                a += (X[i * d + q] - X[j * d + q]) * (X[i * d + q] - X[j * d + q]);
                b += (Y[i * d + q] - Y[j * d + q]) * (Y[i * d + q] - Y[j * d + q]);
                c += (X[i * d + q] - Y[j * d + q]) * (X[i * d + q] - Y[j * d + q]);
            }
            if (i != j) {
                sxx += kern(a, h, S);
                syy += kern(b, h, S);
            }
            sxy += kern(c, h, S);
        }
    double nn = (double)n;
    return (sxx + syy) / (nn * (nn - 1)) - 2 * sxy / (nn * nn);
}

START_TEST(test_statistic)
{
    uint64_t seed = idc_test_seed(0x3d1);
    IDC_TEST_PRINT_SEED("test_statistic", seed);
    size_t n = 60, d = 3;
    double *X = normal_rows(n, d, 0, seed, 1), *Y = normal_rows(n, d, 0.5, seed, 2);
    idc_mmd_opts o = idc_mmd_opts_default();
    o.permutations = 50;
    idc_mmd_result r;
    idc_err err;
    ck_assert_msg(idc_mmd_test(&r, X, n, Y, n, d, &o, &err) == IDC_OK, "%s", err.msg);
    double want = direct_mmd2(X, Y, n, d, r.bandwidth, o.scales);
    if (!(fabs(r.mmd2 - want) <= 1e-12 * (1 + fabs(want))))
        IDC_TEST_FAIL_REPLAY("test_statistic", seed, "mmd2 %.17g, direct %.17g", r.mmd2, want);
    ck_assert(r.bandwidth > 0 && r.n == n && r.permutations == 50);
    ck_assert(r.p_value > 0 && r.p_value <= 1);
    if (r.mmd2 > r.threshold)
        ck_assert(!r.met); /* beyond the permutation quantile is a rejection */
    /* the same call gives the same result; max_rows caps the rows used */
    idc_mmd_result r2;
    ck_assert(idc_mmd_test(&r2, X, n, Y, n, d, &o, &err) == IDC_OK);
    ck_assert(r2.mmd2 == r.mmd2 && r2.p_value == r.p_value && r2.threshold == r.threshold);
    o.max_rows = 20;
    ck_assert(idc_mmd_test(&r2, X, n, Y, n, d, &o, &err) == IDC_OK);
    ck_assert_uint_eq(r2.n, 20);
    ck_assert(fabs(r2.mmd2 - direct_mmd2(X, Y, 20, d, r2.bandwidth, o.scales)) <= 1e-12);
    o.scales = 1; /* one Gaussian kernel at the median distance */
    ck_assert(idc_mmd_test(&r2, X, n, Y, n, d, &o, &err) == IDC_OK);
    ck_assert(fabs(r2.mmd2 - direct_mmd2(X, Y, 20, d, r2.bandwidth, 1)) <= 1e-12);
    o.scales = 9;
    ck_assert_int_eq(idc_mmd_test(&r2, X, n, Y, n, d, &o, &err), IDC_EINVAL);
    free(X);
    free(Y);
}
END_TEST

/* Same law: rejections at level 0.05 over 12 seeds are rare (P(>= 4) <
 * 0.003 for a valid test); shifted by one standard deviation: every seed
 * rejects. */
START_TEST(test_level_and_power)
{
    uint64_t seed = idc_test_seed(0x3d2);
    IDC_TEST_PRINT_SEED("test_level_and_power", seed);
    size_t n = 150, d = 2, rej_null = 0, rej_alt = 0;
    for (uint32_t k = 0; k < 12; k++) {
        uint64_t s = idc_rng_derive_seed(seed, k);
        double *X = normal_rows(n, d, 0, s, 1), *Y = normal_rows(n, d, 0, s, 2), *Z = normal_rows(n, d, 1, s, 3);
        idc_mmd_opts o = idc_mmd_opts_default();
        o.seed = s;
        idc_mmd_result r;
        idc_err err;
        ck_assert_msg(idc_mmd_test(&r, X, n, Y, n, d, &o, &err) == IDC_OK, "%s", err.msg);
        rej_null += !r.met;
        ck_assert(idc_mmd_test(&r, X, n, Z, n, d, &o, &err) == IDC_OK);
        rej_alt += !r.met;
        free(X);
        free(Y);
        free(Z);
    }
    if (rej_null > 3 || rej_alt < 12)
        IDC_TEST_FAIL_REPLAY("test_level_and_power", seed, "same law rejected %zu / 12, shifted rejected %zu / 12",
                             rej_null, rej_alt);
}
END_TEST

/* GMM codes (one component nearly degenerate) pass the GAUSS test with
 * J = 3 (measured 40 of 40; asserted: at most one rejection in 5); a ring
 * (J = 2) and a uniform square (J = 1) are rejected on every seed
 * (measured: 20 of 20 each, largest p-value 0.005 on the default seeds). */
START_TEST(test_gauss)
{
    uint64_t seed = idc_test_seed(0x3d3);
    IDC_TEST_PRINT_SEED("test_gauss", seed);
    size_t n = 1000, met_gmm = 0, met_ring = 0, met_square = 0, T = 5;
    double pmin_gmm = 1, pmax_bad = 0;
    for (uint32_t k = 0; k < T; k++) {
        uint64_t s = idc_rng_derive_seed(seed, k);
        double *G = gmm_rows(n, s), *Rg = nongmm_rows(n, 1, s), *Sq = nongmm_rows(n, 0, s);
        idc_mmd_opts o = idc_mmd_opts_default();
        o.seed = s;
        idc_gauss_result r;
        idc_err err;
        ck_assert_msg(idc_gauss_test(&r, G, n, 2, 3, &o, &err) == IDC_OK, "%s", err.msg);
        ck_assert_uint_eq(r.mmd.n, 500); /* max_rows */
        met_gmm += r.mmd.met;
        pmin_gmm = fmin(pmin_gmm, r.mmd.p_value);
        ck_assert_msg(idc_gauss_test(&r, Rg, n, 2, 2, &o, &err) == IDC_OK, "%s", err.msg);
        met_ring += r.mmd.met;
        pmax_bad = fmax(pmax_bad, r.mmd.p_value);
        ck_assert_msg(idc_gauss_test(&r, Sq, n, 2, 1, &o, &err) == IDC_OK, "%s", err.msg);
        met_square += r.mmd.met;
        pmax_bad = fmax(pmax_bad, r.mmd.p_value);
        free(G);
        free(Rg);
        free(Sq);
    }
    fprintf(stderr, "test_gauss: GMM met %zu / %zu (least p %.3f), ring met %zu, square met %zu (largest p %.3f)\n",
            met_gmm, T, pmin_gmm, met_ring, met_square, pmax_bad);
    if (met_gmm + 1 < T || met_ring > 0 || met_square > 0)
        IDC_TEST_FAIL_REPLAY("test_gauss", seed, "GMM met %zu / %zu, ring met %zu, square met %zu", met_gmm, T,
                             met_ring, met_square);
}
END_TEST

/* The test is invariant to per-column scaling (the codes are standardised):
 * the same codes at scale 1e-3 and 10 in the two columns give the same
 * decision and nearly the same p-value (EM stops at a tolerance, so the
 * fitted mixtures differ in their last digits). */
START_TEST(test_gauss_scale)
{
    uint64_t seed = idc_test_seed(0x3d4);
    IDC_TEST_PRINT_SEED("test_gauss_scale", seed);
    size_t n = 400;
    double *G = gmm_rows(n, seed), *H = malloc(n * 2 * sizeof *H);
    for (size_t i = 0; i < n; i++) {
        H[2 * i] = 1e-3 * G[2 * i];
        H[2 * i + 1] = 10 * G[2 * i + 1] + 5;
    }
    idc_mmd_opts o = idc_mmd_opts_default();
    o.seed = seed;
    idc_gauss_result a, b;
    idc_err err;
    ck_assert(idc_gauss_test(&a, G, n, 2, 3, &o, &err) == IDC_OK);
    ck_assert(idc_gauss_test(&b, H, n, 2, 3, &o, &err) == IDC_OK);
    if (!(fabs(a.mmd.p_value - b.mmd.p_value) <= 0.05 && a.mmd.met == b.mmd.met))
        IDC_TEST_FAIL_REPLAY("test_gauss_scale", seed, "mmd2 %g vs %g, p %g vs %g", a.mmd.mmd2, b.mmd.mmd2,
                             a.mmd.p_value, b.mmd.p_value);
    free(G);
    free(H);
}
END_TEST

START_TEST(test_bad_input)
{
    double X[8] = {0, 1, 2, 3, 4, 5, 6, 7}, Y[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    idc_mmd_opts o = idc_mmd_opts_default();
    idc_mmd_result r;
    idc_gauss_result g;
    idc_err err;
    ck_assert_int_eq(idc_mmd_test(&r, X, 1, Y, 8, 1, &o, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_mmd_test(&r, X, 8, Y, 8, 0, &o, &err), IDC_EINVAL);
    o.level = 0;
    ck_assert_int_eq(idc_mmd_test(&r, X, 8, Y, 8, 1, &o, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "mmd.level") != NULL);
    o = idc_mmd_opts_default();
    o.permutations = 0;
    ck_assert_int_eq(idc_mmd_test(&r, X, 8, Y, 8, 1, &o, &err), IDC_EINVAL);
    o = idc_mmd_opts_default();
    o.max_rows = 1;
    ck_assert_int_eq(idc_mmd_test(&r, X, 8, Y, 8, 1, &o, &err), IDC_EINVAL);
    o = idc_mmd_opts_default();
    Y[3] = NAN;
    ck_assert_int_eq(idc_mmd_test(&r, X, 8, Y, 8, 1, &o, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_gauss_test(&g, Y, 8, 1, 1, &o, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_gauss_test(&g, X, 8, 1, 5, &o, &err), IDC_EINVAL); /* n / 2 < J */
    ck_assert_int_eq(idc_gauss_test(&g, X, 3, 1, 1, &o, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_gauss_test(&g, X, 8, 1, 0, &o, &err), IDC_EINVAL);
    /* one point repeated: bandwidth falls back, statistic 0, not rejected */
    double C[6] = {2, 2, 2, 2, 2, 2};
    o.permutations = 20;
    ck_assert_int_eq(idc_mmd_test(&r, C, 3, C, 3, 2, &o, &err), IDC_OK);
    ck_assert(r.bandwidth == 1 && r.mmd2 == 0 && r.met);
    /* too few permutations for the level: no finite threshold */
    o.permutations = 10;
    ck_assert_int_eq(idc_mmd_test(&r, X, 8, X, 8, 1, &o, &err), IDC_OK);
    ck_assert(isinf(r.threshold));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mmd");
    const idc_test_case cases[] = {
        {"test_statistic", test_statistic},
        {"test_level_and_power", test_level_and_power},
        {"test_gauss", test_gauss},
        {"test_gauss_scale", test_gauss_scale},
        {"test_bad_input", test_bad_input},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 60);
    return idc_test_run(s);
}
