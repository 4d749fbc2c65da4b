/* Tests of the Gaussian mixture EM (numeric/gmm_em.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "numeric/gmm_em.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

/* n points from three well separated 2-D components with known parameters
 * (weights 0.2, 0.3, 0.5; means (-6,0), (0,6), (6,0); covariances below). */
static const double W[3] = {0.2, 0.3, 0.5};
static const double MU[3][2] = {{-6, 0}, {0, 6}, {6, 0}};
static const double LF[3][2][2] = {{{1, 0}, {0.5, 0.5}}, {{0.7, 0}, {0, 1.2}}, {{1.5, 0}, {-0.6, 0.4}}};

static double *draw(size_t n, uint64_t seed)
{
    double *X = malloc(n * 2 * sizeof(double));
    idc_rng s = idc_rng_stream(seed, 0, IDC_PURPOSE_LATENT), c = idc_rng_stream(seed, 0, IDC_PURPOSE_COMPONENT);
    for (size_t t = 0; t < n; t++) {
        double u = idc_rng_uniform(c, t);
        size_t j = u < W[0] ? 0 : u < W[0] + W[1] ? 1 : 2;
        double e0 = idc_rng_normal(s, 2 * t), e1 = idc_rng_normal(s, 2 * t + 1);
        X[2 * t] = MU[j][0] + LF[j][0][0] * e0 + LF[j][0][1] * e1;
        X[2 * t + 1] = MU[j][1] + LF[j][1][0] * e0 + LF[j][1][1] * e1;
    }
    return X;
}

START_TEST(test_recovers_parameters)
{
    uint64_t seed = idc_test_seed(0x6e5);
    IDC_TEST_PRINT_SEED("test_recovers_parameters", seed);
    size_t n = 6000;
    double *X = draw(n, seed);
    idc_gmm g;
    idc_gmm_init(&g);
    idc_err err;
    idc_gmm_opts o = idc_gmm_opts_default();
    ck_assert_msg(idc_gmm_fit(&g, X, n, 2, 3, &o, &err) == IDC_OK, "%s", err.msg);
    for (size_t k = 0; k < 3; k++) {
        size_t j = 0; /* the fitted component nearest to the true mean k */
        for (size_t i = 1; i < 3; i++)
            if (hypot(g.mean[2 * i] - MU[k][0], g.mean[2 * i + 1] - MU[k][1]) <
                hypot(g.mean[2 * j] - MU[k][0], g.mean[2 * j + 1] - MU[k][1]))
                j = i;
        double S00 = LF[k][0][0] * LF[k][0][0] + LF[k][0][1] * LF[k][0][1];
        double S01 = LF[k][0][0] * LF[k][1][0] + LF[k][0][1] * LF[k][1][1];
        double S11 = LF[k][1][0] * LF[k][1][0] + LF[k][1][1] * LF[k][1][1];
        int ok = fabs(g.weight[j] - W[k]) < 0.03 && hypot(g.mean[2 * j] - MU[k][0], g.mean[2 * j + 1] - MU[k][1]) < 0.15 &&
                 fabs(g.cov[4 * j] - S00) < 0.15 * S00 + 0.05 && fabs(g.cov[4 * j + 1] - S01) < 0.15 &&
                 fabs(g.cov[4 * j + 3] - S11) < 0.15 * S11 + 0.05;
        if (!ok)
            IDC_TEST_FAIL_REPLAY("test_recovers_parameters", seed, "component %zu: w %.3f mean (%.3f, %.3f) cov %.3f %.3f %.3f",
                                 k, g.weight[j], g.mean[2 * j], g.mean[2 * j + 1], g.cov[4 * j], g.cov[4 * j + 1],
                                 g.cov[4 * j + 3]);
    }
    /* the mixture explains the data better than one Gaussian */
    idc_gmm one;
    idc_gmm_init(&one);
    ck_assert_int_eq(idc_gmm_fit(&one, X, n, 2, 1, &o, &err), IDC_OK);
    ck_assert(g.loglik > one.loglik + 0.5);
    double ll;
    ck_assert_int_eq(idc_gmm_loglik(&ll, &g, X, n, &err), IDC_OK);
    ck_assert(fabs(ll - g.loglik) < 1e-6); /* the reported value is the data's */
    idc_gmm_clear(&one);
    idc_gmm_clear(&g);
    free(X);
}
END_TEST

START_TEST(test_deterministic)
{
    size_t n = 1500;
    double *X = draw(n, 11);
    idc_gmm a, b;
    idc_gmm_init(&a);
    idc_gmm_init(&b);
    idc_err err;
    idc_gmm_opts o = idc_gmm_opts_default();
    o.restarts = 3;
    ck_assert_int_eq(idc_gmm_fit(&a, X, n, 2, 3, &o, &err), IDC_OK);
    ck_assert_int_eq(idc_gmm_fit(&b, X, n, 2, 3, &o, &err), IDC_OK);
    ck_assert(memcmp(a.mean, b.mean, 6 * sizeof(double)) == 0);
    ck_assert(memcmp(a.cov, b.cov, 12 * sizeof(double)) == 0);
    ck_assert(a.loglik == b.loglik);
    idc_gmm_clear(&a);
    idc_gmm_clear(&b);
    free(X);
}
END_TEST

START_TEST(test_bad_input)
{
    double X[6] = {0, 1, 2, 3, 4, NAN};
    idc_gmm g;
    idc_gmm_init(&g);
    idc_err err;
    ck_assert_int_eq(idc_gmm_fit(&g, X, 3, 2, 2, NULL, &err), IDC_EINVAL); /* NaN */
    ck_assert(strstr(err.msg, "row 2") != NULL);
    X[5] = 5;
    ck_assert_int_eq(idc_gmm_fit(&g, X, 3, 2, 0, NULL, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_gmm_fit(&g, X, 3, 2, 4, NULL, &err), IDC_EINVAL);
    idc_gmm_opts o = idc_gmm_opts_default();
    o.restarts = 0;
    ck_assert_int_eq(idc_gmm_fit(&g, X, 3, 2, 2, &o, &err), IDC_EINVAL);
    /* duplicate points: the regulariser keeps covariances definite */
    double D[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    ck_assert_int_eq(idc_gmm_fit(&g, D, 4, 2, 2, NULL, &err), IDC_OK);
    idc_gmm_clear(&g);
    idc_gmm_clear(&g); /* clear twice is safe */
}
END_TEST

/* EM from a given start: a fit whose means were moved climbs back to the
 * fit's log-likelihood, never decreasing, and a start at the optimum stays. */
START_TEST(test_refine)
{
    uint64_t seed = idc_test_seed(0x7ef);
    IDC_TEST_PRINT_SEED("test_refine", seed);
    size_t n = 3000;
    double *X = draw(n, seed);
    idc_gmm g, h;
    idc_gmm_init(&g);
    idc_gmm_init(&h);
    idc_err err;
    idc_gmm_opts o = idc_gmm_opts_default();
    ck_assert_msg(idc_gmm_fit(&g, X, n, 2, 3, &o, &err) == IDC_OK, "%s", err.msg);
    ck_assert_msg(idc_gmm_fit(&h, X, n, 2, 3, &o, &err) == IDC_OK, "%s", err.msg);
    for (size_t j = 0; j < 3; j++) { /* move every mean and scale every covariance */
        h.mean[2 * j] += 1.0;
        h.mean[2 * j + 1] -= 0.7;
        for (size_t a = 0; a < 4; a++)
            h.cov[4 * j + a] *= 2.0;
        h.weight[j] = 1.0 / 3;
    }
    double start;
    ck_assert_int_eq(idc_gmm_loglik(&start, &h, X, n, &err), IDC_OK);
    ck_assert(start < g.loglik - 0.2);
    ck_assert_msg(idc_gmm_refine(&h, X, n, 500, 1e-10, o.reg, &err) == IDC_OK, "%s", err.msg);
    if (!(h.loglik > start && fabs(h.loglik - g.loglik) < 1e-4))
        IDC_TEST_FAIL_REPLAY("test_refine", seed, "start %.6f refined %.6f fit %.6f after %zu passes", start, h.loglik,
                             g.loglik, h.iters);
    double ll;
    ck_assert_int_eq(idc_gmm_loglik(&ll, &h, X, n, &err), IDC_OK);
    ck_assert(fabs(ll - h.loglik) < 1e-9); /* the reported value is the returned model's */
    /* one pass at a time never decreases the log-likelihood */
    double prev = ll;
    for (int r = 0; r < 5; r++) {
        ck_assert_int_eq(idc_gmm_refine(&h, X, n, 1, 0, o.reg, &err), IDC_OK);
        ck_assert(h.loglik >= prev);
        prev = h.loglik;
    }
    /* zero passes: unchanged, loglik is the start's */
    ck_assert_int_eq(idc_gmm_refine(&h, X, n, 0, 0, o.reg, &err), IDC_OK);
    ck_assert(h.loglik == prev && h.iters == 0);
    /* bad input: a non-definite covariance, a non-finite row, negative reg; h unchanged */
    double keep = h.cov[0];
    h.cov[0] = -1;
    ck_assert_int_eq(idc_gmm_refine(&h, X, n, 3, 0, o.reg, &err), IDC_EUNABLE);
    ck_assert(h.cov[0] == -1);
    h.cov[0] = keep;
    X[7] = NAN;
    ck_assert_int_eq(idc_gmm_refine(&h, X, n, 3, 0, o.reg, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "row 3") != NULL);
    ck_assert_int_eq(idc_gmm_refine(&h, X, n, 3, 0, -1, &err), IDC_EINVAL);
    idc_gmm empty;
    idc_gmm_init(&empty);
    ck_assert_int_eq(idc_gmm_refine(&empty, X, n, 3, 0, 0, &err), IDC_EINVAL);
    idc_gmm_clear(&g);
    idc_gmm_clear(&h);
    free(X);
}
END_TEST

/* A copy is deep: the same numbers, its own arrays; copying over a filled
 * model releases the old one (LeakSanitizer); an empty model copies empty. */
START_TEST(test_copy)
{
    uint64_t seed = idc_test_seed(0xc0);
    IDC_TEST_PRINT_SEED("test_copy", seed);
    size_t n = 1000;
    double *X = draw(n, seed);
    idc_gmm g, h;
    idc_gmm_init(&g);
    idc_gmm_init(&h);
    idc_err err;
    idc_gmm_opts o = idc_gmm_opts_default();
    ck_assert_msg(idc_gmm_fit(&g, X, n, 2, 3, &o, &err) == IDC_OK, "%s", err.msg);
    ck_assert_msg(idc_gmm_fit(&h, X, n, 2, 2, &o, &err) == IDC_OK, "%s", err.msg);
    ck_assert_int_eq(idc_gmm_copy(&h, &g), IDC_OK);
    ck_assert(h.J == 3 && h.d == 2 && h.loglik == g.loglik && h.iters == g.iters);
    ck_assert(h.weight != g.weight && h.mean != g.mean && h.cov != g.cov);
    ck_assert(memcmp(h.weight, g.weight, 3 * sizeof(double)) == 0 && memcmp(h.mean, g.mean, 6 * sizeof(double)) == 0 &&
              memcmp(h.cov, g.cov, 12 * sizeof(double)) == 0);
    h.mean[0] += 1;
    ck_assert(g.mean[0] != h.mean[0]);
    idc_gmm empty;
    idc_gmm_init(&empty);
    ck_assert_int_eq(idc_gmm_copy(&h, &empty), IDC_OK);
    ck_assert(h.J == 0 && h.d == 0);
    idc_gmm_clear(&g);
    idc_gmm_clear(&h);
    free(X);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gmm_em");
    const idc_test_case cases[] = {
        {"test_recovers_parameters", test_recovers_parameters},
        {"test_deterministic", test_deterministic},
        {"test_bad_input", test_bad_input},
        {"test_refine", test_refine},
        {"test_copy", test_copy},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 60);
    return idc_test_run(s);
}
