/* Tests of the prior preconditions P1, P1nd, PD (theory/check/pre_prior.c):
 * known-answer tables of identifiable and non-identifiable mixtures, every
 * certificate re-verified by theory/cert.h, exactness cases that floats
 * would get wrong, randomized comparison with a brute-force reference,
 * budgets and error paths. */
#include <math.h>
#include <string.h>

#include "numeric/qmat.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"
#include "theory/cert.h"
#include "theory/precond.h"

#define HASH "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

typedef int (*prior_fn)(idc_pre_result *, const idc_pdgmm *, const char *, const idc_budget *, idc_err *);

static void gmm(idc_pdgmm *g, size_t m, size_t J)
{
    idc_pdgmm_init(g);
    ck_assert_int_eq(idc_pdgmm_alloc(g, m, J, NULL), IDC_OK);
}

/* Drops the form-specific arrays of component j before it is redeclared. */
static void reset(idc_pdgmm *g, size_t j)
{
    idc_component *c = &g->comp[j];
    free(c->sigma);
    free(c->support);
    free(c->frame_mean);
    free(c->frame_L);
    c->sigma = NULL;
    c->support = NULL;
    c->frame_mean = c->frame_L = NULL;
    c->nsupport = 0;
}

static void set_factor(idc_pdgmm *g, size_t j, double w, const double *mean, size_t r, const double *L)
{
    reset(g, j);
    ck_assert_int_eq(idc_pdgmm_comp_alloc(g, j, r, NULL), IDC_OK);
    idc_component *c = &g->comp[j];
    c->form = IDC_COMP_FACTOR;
    c->weight = w;
    memcpy(c->mean, mean, g->dim * sizeof(double));
    if (r > 0)
        memcpy(c->L, L, g->dim * r * sizeof(double));
}

static void set_cov(idc_pdgmm *g, size_t j, double w, const double *mean, const double *S)
{
    size_t m = g->dim;
    reset(g, j);
    ck_assert_int_eq(idc_pdgmm_comp_alloc(g, j, m, NULL), IDC_OK);
    idc_component *c = &g->comp[j];
    c->form = IDC_COMP_COVARIANCE;
    c->weight = w;
    memcpy(c->mean, mean, m * sizeof(double));
    c->sigma = calloc(m * m, sizeof(double));
    memcpy(c->sigma, S, m * m * sizeof(double));
}

static void set_frame_global(idc_pdgmm *g, const double *B, const double *t)
{
    size_t m = g->dim;
    g->has_frame = 1;
    g->frame_basis = calloc(m * m, sizeof(double));
    g->frame_translation = calloc(m, sizeof(double));
    memcpy(g->frame_basis, B, m * m * sizeof(double));
    memcpy(g->frame_translation, t, m * sizeof(double));
}

static void set_frame(idc_pdgmm *g, size_t j, double w, size_t ns, const size_t *sup, const double *c0,
                      size_t r, const double *C)
{
    reset(g, j);
    ck_assert_int_eq(idc_pdgmm_comp_alloc(g, j, r, NULL), IDC_OK);
    idc_component *c = &g->comp[j];
    c->form = IDC_COMP_FRAME;
    c->weight = w;
    c->nsupport = ns;
    c->support = calloc(ns ? ns : 1, sizeof(size_t));
    c->frame_mean = calloc(ns ? ns : 1, sizeof(double));
    c->frame_L = calloc(ns * (r ? r : 1) + 1, sizeof(double));
    memcpy(c->support, sup, ns * sizeof(size_t));
    memcpy(c->frame_mean, c0, ns * sizeof(double));
    if (r > 0)
        memcpy(c->frame_L, C, ns * r * sizeof(double));
    idc_pdgmm_update_frame_floats(g);
}

/* Runs a checker, asserts the verdict, and verifies the certificate. */
static void expect(prior_fn fn, const idc_pdgmm *g, idc_verdict want, const char *what)
{
    idc_pre_result res;
    idc_pre_result_init(&res);
    idc_err err;
    int rc = fn(&res, g, HASH, NULL, &err);
    ck_assert_msg(rc == IDC_OK, "%s: status %s (%s)", what, idc_status_name(rc), err.msg);
    ck_assert_msg(res.verdict == want, "%s: verdict %s, expected %s (%s)", what,
                  idc_verdict_name(res.verdict), idc_verdict_name(want), res.reason);
    ck_assert_msg(strchr(res.reason, '\n') == NULL && res.reason[0] != '\0', "%s: reason", what);
    if (want != IDC_UNKNOWN) {
        ck_assert_ptr_nonnull(res.cert);
        char why[256];
        int v = idc_cert_verify_parts(res.cert, g, NULL, HASH, why, sizeof why);
        ck_assert_msg(v == IDC_OK, "%s: certificate rejected: %s", what, why);
        ck_assert_str_eq(json_string_value(json_object_get(res.cert, "verdict")), idc_verdict_name(want));
    } else {
        ck_assert_ptr_null(res.cert);
    }
    idc_pre_result_clear(&res);
}

static void expect3(const idc_pdgmm *g, idc_verdict p1, idc_verdict p1nd, idc_verdict pd, const char *what)
{
    char w[128];
    snprintf(w, sizeof w, "%s/P1", what);
    expect(idc_pre_p1, g, p1, w);
    snprintf(w, sizeof w, "%s/P1nd", what);
    expect(idc_pre_p1nd, g, p1nd, w);
    snprintf(w, sizeof w, "%s/PD", what);
    expect(idc_pre_pd, g, pd, w);
}

/* A covariance that is not PSD: P1 rejects the input, P1nd and PD fail
 * with a witness v^T Sigma v < 0. */
static void expect_not_gmm(const idc_pdgmm *g, const char *what)
{
    idc_pre_result res;
    idc_pre_result_init(&res);
    idc_err err;
    ck_assert_msg(idc_pre_p1(&res, g, HASH, NULL, &err) == IDC_EINVAL, "%s: P1 accepted a non-PSD Sigma",
                  what);
    ck_assert_msg(strstr(err.msg, "not positive semidefinite") != NULL, "%s: %s", what, err.msg);
    idc_pre_result_clear(&res);
    char w[128];
    snprintf(w, sizeof w, "%s/P1nd", what);
    expect(idc_pre_p1nd, g, IDC_FAILS, w);
    snprintf(w, sizeof w, "%s/PD", what);
    expect(idc_pre_pd, g, IDC_FAILS, w);
}

START_TEST(test_single_component)
{
    idc_pdgmm g;
    const double mu[1] = {0.5}, L[1] = {2.0};
    gmm(&g, 1, 1);
    set_factor(&g, 0, 1.0, mu, 1, L);
    expect3(&g, IDC_HOLDS, IDC_HOLDS, IDC_HOLDS, "J=1 m=1");
    /* point mass: rank 0 */
    set_factor(&g, 0, 1.0, mu, 0, NULL);
    expect3(&g, IDC_HOLDS, IDC_FAILS, IDC_HOLDS, "J=1 rank 0");
    idc_pdgmm_clear(&g);
}
END_TEST

START_TEST(test_duplicates)
{
    idc_pdgmm g;
    const double mu[2] = {1, -1}, I2[4] = {1, 0, 0, 1}, negI[4] = {-1, 0, 0, -1}, P[4] = {0, 1, 1, 0};
    gmm(&g, 2, 2);
    set_factor(&g, 0, 0.5, mu, 2, I2);
    set_factor(&g, 1, 0.5, mu, 2, I2);
    expect3(&g, IDC_FAILS, IDC_FAILS, IDC_FAILS, "repeated");
    /* L and -L, L and a permutation: the same Sigma exactly */
    set_factor(&g, 1, 0.5, mu, 2, negI);
    expect3(&g, IDC_FAILS, IDC_FAILS, IDC_FAILS, "L vs -L");
    set_factor(&g, 1, 0.5, mu, 2, P);
    expect3(&g, IDC_FAILS, IDC_FAILS, IDC_FAILS, "L vs permuted L");
    /* factor vs covariance form with the same Sigma */
    set_cov(&g, 1, 0.5, mu, I2);
    expect3(&g, IDC_FAILS, IDC_FAILS, IDC_FAILS, "factor vs covariance");
    /* distinct Sigma, same mean */
    const double L2[4] = {1, 0, 0, 2};
    set_factor(&g, 1, 0.5, mu, 2, L2);
    expect3(&g, IDC_HOLDS, IDC_HOLDS, IDC_HOLDS, "distinct Sigma");
    /* weight 0 */
    g.comp[1].weight = 0.0;
    expect3(&g, IDC_FAILS, IDC_FAILS, IDC_FAILS, "zero weight");
    g.comp[1].weight = -0.25;
    expect3(&g, IDC_FAILS, IDC_FAILS, IDC_FAILS, "negative weight");
    idc_pdgmm_clear(&g);
}
END_TEST

START_TEST(test_degenerate)
{
    idc_pdgmm g;
    const double m0[2] = {0, 0}, m1[2] = {1, 0};
    const double line[2] = {1, 1}, zero[4] = {0, 0, 0, 0};
    gmm(&g, 2, 2);
    set_factor(&g, 0, 0.5, m0, 1, line);
    set_factor(&g, 1, 0.5, m1, 2, zero); /* rank 2 factor, but Sigma = 0 */
    expect3(&g, IDC_HOLDS, IDC_FAILS, IDC_HOLDS, "rank-1 and zero factor");
    /* singular covariance, PSD: pivots (1, 0) */
    const double S1[4] = {1, 1, 1, 1};
    set_cov(&g, 1, 0.5, m1, S1);
    expect3(&g, IDC_HOLDS, IDC_FAILS, IDC_HOLDS, "singular covariance");
    /* non-PSD covariance: PD and P1nd fail with v^T Sigma v < 0 */
    const double S2[4] = {1, 2, 2, 1};
    set_cov(&g, 1, 0.5, m1, S2);
    expect_not_gmm(&g, "indefinite covariance");
    /* zero pivot with a nonzero row */
    const double S3[4] = {0, 1, 1, 0};
    set_cov(&g, 1, 0.5, m1, S3);
    expect_not_gmm(&g, "zero pivot, nonzero row");
    /* positive definite covariance: everything holds */
    const double S4[4] = {2, 1, 1, 2}, L4[4] = {1, 0, 0.5, 1};
    set_cov(&g, 1, 0.5, m1, S4);
    set_factor(&g, 0, 0.5, m0, 2, L4);
    expect3(&g, IDC_HOLDS, IDC_HOLDS, IDC_HOLDS, "PD covariance");
    /* the rounded-float trap: 0.1*0.1 != 0.01 makes [[1, .1], [.1, .01]]
     * indefinite exactly */
    const double S5[4] = {1, 0.1, 0.1, 0.01};
    set_cov(&g, 1, 0.5, m1, S5);
    expect_not_gmm(&g, "0.1^2 vs 0.01");
    idc_pdgmm_clear(&g);
}
END_TEST

/* FRAME components are judged on the exact products, never the rounded
 * float copies: t + B c differ exactly although they round to the same
 * double; and a frame factor of full rank. */
START_TEST(test_frame_exact)
{
    idc_pdgmm g;
    gmm(&g, 1, 2);
    const double B[1] = {0x1p-60}, t[1] = {1.0};
    set_frame_global(&g, B, t);
    const size_t sup[1] = {0};
    const double c1[1] = {1.0}, c2[1] = {2.0}, C[1] = {1.0};
    set_frame(&g, 0, 0.5, 1, sup, c1, 1, C);
    set_frame(&g, 1, 0.5, 1, sup, c2, 1, C);
    ck_assert(g.comp[0].mean[0] == g.comp[1].mean[0]); /* floats collide */
    expect3(&g, IDC_HOLDS, IDC_HOLDS, IDC_HOLDS, "frame means differ exactly");
    /* an empty support: a point mass at t */
    set_frame(&g, 1, 0.5, 0, sup, c2, 0, C);
    expect3(&g, IDC_HOLDS, IDC_FAILS, IDC_HOLDS, "frame point mass");
    idc_pdgmm_clear(&g);

    /* 2-D frame rotated by a dyadic matrix, a full-rank and a rank-1 component */
    gmm(&g, 2, 2);
    const double R[4] = {0.75, -0.5, 0.5, 0.75}, t2[2] = {0.125, -3};
    set_frame_global(&g, R, t2);
    const size_t s2[2] = {0, 1}, s1[1] = {1};
    const double cm[2] = {1, 2}, CC[4] = {1, 0.25, 0, 2}, cm1[1] = {0.5}, C1[1] = {3};
    set_frame(&g, 0, 0.25, 2, s2, cm, 2, CC);
    set_frame(&g, 1, 0.75, 1, s1, cm1, 1, C1);
    expect3(&g, IDC_HOLDS, IDC_FAILS, IDC_HOLDS, "rotated frame");
    /* a frame component equal to a factor component declared directly */
    idc_pdgmm h;
    gmm(&h, 2, 2);
    set_frame_global(&h, R, t2);
    set_frame(&h, 0, 0.5, 2, s2, cm, 2, CC);
    /* mu = t + R cm, L = R CC: all dyadic, exact in doubles */
    double mu[2], L[4];
    for (int i = 0; i < 2; i++) {
        mu[i] = t2[i] + R[2 * i] * cm[0] + R[2 * i + 1] * cm[1];
        for (int k = 0; k < 2; k++)
            L[2 * i + k] = R[2 * i] * CC[k] + R[2 * i + 1] * CC[2 + k];
    }
    set_factor(&h, 1, 0.5, mu, 2, L);
    expect3(&h, IDC_FAILS, IDC_FAILS, IDC_FAILS, "frame equals factor");
    idc_pdgmm_clear(&h);
    idc_pdgmm_clear(&g);
}
END_TEST

/* J > IDC_P1_PAIRWISE_MAX: the sorted-chain certificate. */
START_TEST(test_chain)
{
    size_t J = 40, m = 3;
    idc_pdgmm g;
    gmm(&g, m, J);
    for (size_t j = 0; j < J; j++) {
        double mu[3] = {(double)(j % 3), 0.0, (double)(j / 3)};
        double L[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
        L[4] = 1.0 + (double)(j % 2); /* some means repeat; Sigma breaks ties */
        mu[0] = (double)((j * 7) % 5);
        mu[2] = (double)(j / 10);
        set_factor(&g, j, 1.0 / (double)J, mu, 3, L);
    }
    /* make sure there are mean ties resolved by Sigma only */
    idc_pre_result res;
    idc_pre_result_init(&res);
    expect3(&g, IDC_HOLDS, IDC_HOLDS, IDC_HOLDS, "chain J=40");
    ck_assert_int_eq(idc_pre_p1(&res, &g, HASH, NULL, NULL), IDC_OK);
    ck_assert_ptr_nonnull(json_object_get(json_object_get(res.cert, "witness"), "chain"));
    idc_pre_result_clear(&res);
    /* a duplicate anywhere is found */
    set_factor(&g, 37, 1.0 / (double)J, g.comp[3].mean, 3, g.comp[3].L);
    expect3(&g, IDC_FAILS, IDC_FAILS, IDC_FAILS, "chain duplicate");
    idc_pdgmm_clear(&g);
}
END_TEST

/* Reference for P1 by full exact comparison of (mu, Sigma) matrices. */
static int p1_reference(const idc_pdgmm *g)
{
    size_t m = g->dim, J = g->ncomp;
    for (size_t j = 0; j < J; j++)
        if (!(g->comp[j].weight > 0))
            return 0;
    fmpq_mat_t *mu = calloc(J, sizeof *mu), *S = calloc(J, sizeof *S);
    for (size_t j = 0; j < J; j++) {
        fmpq_mat_init(mu[j], (slong)m, 1);
        fmpq_mat_init(S[j], (slong)m, (slong)m);
        ck_assert_int_eq(idc_pdgmm_exact_mean(mu[j], g, j), IDC_OK);
        ck_assert_int_eq(idc_pdgmm_exact_sigma(S[j], g, j), IDC_OK);
    }
    int ok = 1;
    for (size_t j = 0; j < J; j++)
        for (size_t k = j + 1; k < J; k++)
            if (fmpq_mat_equal(mu[j], mu[k]) && fmpq_mat_equal(S[j], S[k]))
                ok = 0;
    for (size_t j = 0; j < J; j++) {
        fmpq_mat_clear(mu[j]);
        fmpq_mat_clear(S[j]);
    }
    free(mu);
    free(S);
    return ok;
}

/* Random small mixtures with many coincidences (entries from a tiny set):
 * verdicts agree with the reference; every certificate verifies. */
START_TEST(test_random_mixtures)
{
    const char *name = "test_random_mixtures";
    uint64_t seed = idc_test_seed(0x9a1a0001);
    IDC_TEST_PRINT_SEED(name, seed);
    for (uint32_t trial = 0; trial < 400; trial++) {
        idc_rng s = idc_rng_stream(seed, trial, IDC_PURPOSE_GENERATOR);
        uint64_t k = 0;
        size_t m = 1 + idc_rng_below(s, k++, 3), J = 1 + idc_rng_below(s, k++, 4);
        if (trial % 10 == 0)
            J = 33 + idc_rng_below(s, k++, 4); /* chain certificates */
        idc_pdgmm g;
        gmm(&g, m, J);
        for (size_t j = 0; j < J; j++) {
            double mu[3], L[9], S[9];
            for (size_t i = 0; i < m; i++)
                mu[i] = (double)idc_rng_below(s, k++, 2);
            size_t r = idc_rng_below(s, k++, m + 1);
            for (size_t i = 0; i < m * m; i++) {
                double e = (double)idc_rng_below(s, k++, 3) - 1.0;
                L[i] = ldexp(e, -(int)idc_rng_below(s, k++, 2));
            }
            double w = idc_rng_below(s, k++, 20) == 0 ? 0.0 : 1.0 / (double)J;
            if (idc_rng_below(s, k++, 3) == 0) {
                /* covariance form: S = L L^T (PSD), sometimes perturbed */
                for (size_t a = 0; a < m; a++)
                    for (size_t b = 0; b < m; b++) {
                        S[a * m + b] = 0;
                        for (size_t t = 0; t < m; t++)
                            S[a * m + b] += L[a * m + t] * L[b * m + t];
                    }
                if (idc_rng_below(s, k++, 4) == 0)
                    S[0] -= 1.0;
                set_cov(&g, j, w, mu, S);
            } else {
                double Lr[9];
                for (size_t a = 0; a < m; a++)
                    for (size_t t = 0; t < r; t++)
                        Lr[a * r + t] = L[a * m + t];
                set_factor(&g, j, w, mu, r, Lr);
            }
        }
        idc_pre_result res;
        idc_pre_result_init(&res);
        idc_err err;
        prior_fn fns[3] = {idc_pre_p1, idc_pre_p1nd, idc_pre_pd};
        idc_verdict v[3];
        /* is every covariance PSD (i.e. is this a Gaussian mixture at all)? */
        int gaussian = 1;
        for (size_t j = 0; j < J; j++)
            if (g.comp[j].form == IDC_COMP_COVARIANCE) {
                int psd;
                size_t bad;
                ck_assert_int_eq(idc_qmat_psd_d(&psd, &bad, g.comp[j].sigma, m, NULL), IDC_OK);
                gaussian &= psd;
            }
        for (int f = 0; f < 3; f++) {
            if (f == 0 && !gaussian) {
                ck_assert_int_eq(fns[f](&res, &g, HASH, NULL, &err), IDC_EINVAL);
                v[0] = IDC_FAILS;
                continue;
            }
            ck_assert_int_eq(fns[f](&res, &g, HASH, NULL, &err), IDC_OK);
            v[f] = res.verdict;
            if (res.verdict == IDC_UNKNOWN)
                IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u check %d: UNKNOWN (%s)", trial, f, res.reason);
            char why[256];
            if (idc_cert_verify_parts(res.cert, &g, NULL, HASH, why, sizeof why) != IDC_OK)
                IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u check %d: certificate rejected: %s", trial, f,
                                     why);
            idc_pre_result_clear(&res);
        }
        int ref = p1_reference(&g);
        if (!gaussian && v[2] != IDC_FAILS)
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: PD %s on a non-PSD covariance", trial,
                                 idc_verdict_name(v[2]));
        if (gaussian && (v[0] == IDC_HOLDS) != ref)
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: P1 %s but reference %d", trial,
                                 idc_verdict_name(v[0]), ref);
        /* P1nd => PD => P1 */
        if (v[1] == IDC_HOLDS && v[2] != IDC_HOLDS)
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: P1nd holds but PD does not", trial);
        if (v[2] == IDC_HOLDS && v[0] != IDC_HOLDS)
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: PD holds but P1 does not", trial);
        idc_pdgmm_clear(&g);
    }
}
END_TEST

START_TEST(test_budget_and_errors)
{
    idc_pdgmm g;
    const double mu[2] = {0, 0}, mu2[2] = {0, 1}, I2[4] = {1, 0, 0, 1};
    gmm(&g, 2, 2);
    set_factor(&g, 0, 0.5, mu, 2, I2);
    set_factor(&g, 1, 0.5, mu2, 2, I2);
    idc_pre_result res;
    idc_pre_result_init(&res);
    idc_err err;
    idc_budget tiny = {10.0, 4};
    ck_assert_int_eq(idc_pre_p1(&res, &g, HASH, &tiny, &err), IDC_OK);
    ck_assert_int_eq(res.verdict, IDC_UNKNOWN);
    ck_assert_ptr_null(res.cert);
    ck_assert(strstr(res.reason, "budget") != NULL);
    /* no time at all: a tiny positive limit runs out (or finishes first) */
    idc_budget fast = {1e-12, 0};
    ck_assert_int_eq(idc_pre_p1nd(&res, &g, HASH, &fast, &err), IDC_OK);
    ck_assert(res.verdict == IDC_UNKNOWN || res.verdict == IDC_HOLDS);
    /* NaN inputs are errors naming the field */
    g.comp[1].mean[1] = NAN;
    ck_assert_int_eq(idc_pre_p1(&res, &g, HASH, NULL, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "components[1].mean") != NULL);
    g.comp[1].mean[1] = 1;
    g.comp[0].weight = NAN;
    ck_assert_int_eq(idc_pre_pd(&res, &g, HASH, NULL, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "components[0].weight") != NULL);
    g.comp[0].weight = 0.5;
    /* a non-symmetric covariance is malformed input */
    const double NS[4] = {1, 0.5, 0.25, 1};
    set_cov(&g, 1, 0.5, mu2, NS);
    ck_assert_int_eq(idc_pre_p1(&res, &g, HASH, NULL, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "not symmetric") != NULL);
    idc_pre_result_clear(&res);
    idc_pdgmm_clear(&g);
    /* exact accessors reject wrong shapes / forms */
    gmm(&g, 2, 1);
    set_cov(&g, 0, 1.0, mu, I2);
    fmpq_mat_t L, mu1;
    fmpq_mat_init(L, 2, 2);
    fmpq_mat_init(mu1, 3, 1);
    ck_assert_int_eq(idc_pdgmm_exact_factor(L, &g, 0), IDC_EINVAL);
    ck_assert_int_eq(idc_pdgmm_exact_mean(mu1, &g, 0), IDC_EINVAL);
    ck_assert_int_eq(idc_pdgmm_exact_mean(mu1, &g, 5), IDC_EINVAL);
    fmpq_mat_clear(L);
    fmpq_mat_clear(mu1);
    idc_pdgmm_clear(&g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pre_prior");
    const idc_test_case cases[] = {
        {"test_single_component", test_single_component},
        {"test_duplicates", test_duplicates},
        {"test_degenerate", test_degenerate},
        {"test_frame_exact", test_frame_exact},
        {"test_chain", test_chain},
        {"test_random_mixtures", test_random_mixtures},
        {"test_budget_and_errors", test_budget_and_errors},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 120);
    return idc_test_run(s);
}
