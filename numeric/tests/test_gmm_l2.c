/* Tests of numeric/gmm_l2.h: the closed-form L2 inner product against GSL
 * adaptive quadrature in 1-D and 2-D, the push-forward against the norm
 * identity ||A#p||^2 = ||p||^2 / |det A|, invariance of delta_L2 under a
 * common affine map, dist_Aff,L2 = 0 for affinely transformed (and
 * relabelled) mixtures and > 0 otherwise, candidate maps that are singular
 * (decided exactly) counted as skipped, and every error path. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_integration.h>

#include "numeric/gmm_l2.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

#define SEED_DEFAULT 0x474d4d4c32ULL
#define TOL_1M (1048576.0 * DBL_EPSILON) /* ~2.3e-10 */
/* A distance that is 0 in exact arithmetic comes out of the cancellation
 * in ||p||^2 + ||q||^2 - 2 <p, q> at about sqrt(k DBL_EPSILON), k the
 * rounding amplification of the sums of Gaussians; measured up to 1.4e-6
 * here (OPENBLAS_CORETYPE=Haswell; 3e-8 with Prescott or SkylakeX kernels,
 * whose LAPACK fits differ in the last bits). Positive cases here are
 * >= 0.07, so the cut at 1e-4 cannot flip with the kernel. */
#define DIST_ZERO 1e-4

static void expect_msg(const idc_err *err, const char *needle)
{
    ck_assert_msg(strstr(err->msg, needle) != NULL, "message \"%s\" lacks \"%s\"", err->msg, needle);
    ck_assert_msg(strchr(err->msg, '\n') == NULL, "message \"%s\" is not one line", err->msg);
}

enum { MAXJ = 8, MAXM = 3 };

typedef struct {
    size_t J, m;
    double w[MAXJ], mu[MAXJ * MAXM], cov[MAXJ * MAXM * MAXM];
} gmm;

static idc_gmm_view view(const gmm *g)
{
    idc_gmm_view v = {g->J, g->m, g->w, g->mu, g->cov};
    return v;
}

/* A random mixture: weights in (0.2, 1.2) normalised, means N(0, 4 I),
 * covariances M M^T + 0.2 I. */
static void random_gmm(gmm *g, size_t J, size_t m, idc_rng r)
{
    g->J = J;
    g->m = m;
    double ws = 0;
    for (size_t j = 0; j < J; j++) {
        g->w[j] = 0.2 + idc_rng_uniform(r, j);
        ws += g->w[j];
        for (size_t a = 0; a < m; a++)
            g->mu[j * m + a] = 2.0 * idc_rng_normal(r, 100 + j * m + a);
        double M[9];
        idc_rng_normal_fill(M, m * m, r, 1000 + 20 * j);
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b < m; b++) {
                double s = a == b ? 0.2 : 0.0;
                for (size_t k = 0; k < m; k++)
                    s += M[a * m + k] * M[b * m + k];
                g->cov[j * m * m + a * m + b] = s;
            }
    }
    for (size_t j = 0; j < J; j++)
        g->w[j] /= ws;
}

/* density of the mixture at x (m <= 2 only) */
static double density(const gmm *g, const double *x)
{
    double s = 0;
    for (size_t j = 0; j < g->J; j++) {
        const double *S = g->cov + j * g->m * g->m, *mu = g->mu + j * g->m;
        if (g->m == 1) {
            double d = x[0] - mu[0];
            s += g->w[j] * exp(-0.5 * d * d / S[0]) / sqrt(2 * M_PI * S[0]);
        } else {
            double det = S[0] * S[3] - S[1] * S[2], d0 = x[0] - mu[0], d1 = x[1] - mu[1];
            double q = (S[3] * d0 * d0 - 2 * S[1] * d0 * d1 + S[0] * d1 * d1) / det;
            s += g->w[j] * exp(-0.5 * q) / (2 * M_PI * sqrt(det));
        }
    }
    return s;
}

typedef struct {
    const gmm *p, *q;
    double x0;
    gsl_integration_workspace *inner;
} quad_ctx;

static double f1(double x, void *vp)
{
    quad_ctx *c = vp;
    return density(c->p, &x) * density(c->q, &x);
}

static double f2_inner(double y, void *vp)
{
    quad_ctx *c = vp;
    double x[2] = {c->x0, y};
    return density(c->p, x) * density(c->q, x);
}

static double f2_outer(double x, void *vp)
{
    quad_ctx *c = vp;
    c->x0 = x;
    gsl_function F = {f2_inner, c};
    double r, e;
    gsl_integration_qagi(&F, 1e-13, 1e-10, 1000, c->inner, &r, &e);
    return r;
}

START_TEST(test_inner_vs_quadrature)
{
    const char *name = "inner_vs_quadrature";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 1);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    gsl_integration_workspace *wo = gsl_integration_workspace_alloc(1000);
    gsl_integration_workspace *wi = gsl_integration_workspace_alloc(1000);
    for (uint32_t trial = 0; trial < 16; trial++) {
        size_t m = 1 + trial % 2;
        gmm p, q;
        random_gmm(&p, 1 + trial % 3, m, idc_rng_stream(seed, trial, IDC_PURPOSE_GENERATOR));
        random_gmm(&q, 1 + trial % 4, m, idc_rng_stream(seed, trial, IDC_PURPOSE_SEARCH));
        idc_gmm_view vp = view(&p), vq = view(&q);
        double ip;
        ck_assert_int_eq(idc_gmm_l2_inner(&ip, &vp, &vq, &err), IDC_OK);
        quad_ctx c = {&p, &q, 0, wi};
        gsl_function F = {m == 1 ? f1 : f2_outer, &c};
        double r, e;
        gsl_integration_qagi(&F, 1e-13, 1e-9, 1000, wo, &r, &e);
        if (fabs(ip - r) > 1e-7 * r + 1e-12)
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u m=%zu: closed form %.17g quadrature %.17g", trial, m,
                                 ip, r);
        /* symmetry of the inner product */
        double iq;
        ck_assert_int_eq(idc_gmm_l2_inner(&iq, &vq, &vp, &err), IDC_OK);
        ck_assert_double_eq_tol(ip, iq, TOL_1M * ip);
    }
    gsl_integration_workspace_free(wo);
    gsl_integration_workspace_free(wi);
}
END_TEST

/* ||A#p||^2 = ||p||^2 / |det A| (by the closed form, two ways), and
 * delta_L2(B#p, B#q) = delta_L2(p, q). */
START_TEST(test_pushforward_invariance)
{
    const char *name = "pushforward_invariance";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 2);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    for (uint32_t trial = 0; trial < 50; trial++) {
        size_t m = 1 + trial % 3, J = 1 + trial % 4;
        gmm p, q, pa, qa;
        idc_rng g = idc_rng_stream(seed, trial, IDC_PURPOSE_GENERATOR);
        random_gmm(&p, J, m, g);
        random_gmm(&q, J, m, idc_rng_stream(seed, trial, IDC_PURPOSE_SEARCH));
        double A[9], c[3];
        idc_rng_normal_fill(A, m * m, g, 5000);
        idc_rng_normal_fill(c, m, g, 6000);
        pa = p;
        qa = q;
        idc_gmm_view vp = view(&p), vq = view(&q);
        ck_assert_int_eq(idc_gmm_l2_pushforward(pa.mu, pa.cov, &vp, A, c, &err), IDC_OK);
        ck_assert_int_eq(idc_gmm_l2_pushforward(qa.mu, qa.cov, &vq, A, c, &err), IDC_OK);
        double det = m == 1   ? A[0]
                     : m == 2 ? A[0] * A[3] - A[1] * A[2]
                              : A[0] * (A[4] * A[8] - A[5] * A[7]) - A[1] * (A[3] * A[8] - A[5] * A[6]) +
                                    A[2] * (A[3] * A[7] - A[4] * A[6]);
        if (fabs(det) < 0.05)
            continue; /* too close to singular for a clean comparison */
        idc_gmm_view vpa = view(&pa), vqa = view(&qa);
        double n1, n2, d1, d2;
        ck_assert_int_eq(idc_gmm_l2_inner(&n1, &vp, &vp, &err), IDC_OK);
        ck_assert_int_eq(idc_gmm_l2_inner(&n2, &vpa, &vpa, &err), IDC_OK);
        ck_assert_int_eq(idc_gmm_l2_delta(&d1, &vp, &vq, &err), IDC_OK);
        ck_assert_int_eq(idc_gmm_l2_delta(&d2, &vpa, &vqa, &err), IDC_OK);
        if (fabs(n2 - n1 / fabs(det)) > 1e-9 * n2 || fabs(d1 - d2) > 1e-6)
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: ||A#p||^2 %.17g vs %.17g; delta %.17g vs %.17g",
                                 trial, n2, n1 / fabs(det), d1, d2);
        /* delta(p, p) = 0 and delta(p, q) > 0 for different mixtures */
        double d0;
        ck_assert_int_eq(idc_gmm_l2_delta(&d0, &vp, &vp, &err), IDC_OK);
        ck_assert(d0 < 1e-7);
        ck_assert(d1 > 1e-3);
    }
}
END_TEST

/* p2 = B#p1 with the components relabelled: dist_Aff ~ 0 (J >= m + 1, the
 * means determine the map), the permutation is recovered, and the fitted
 * map is B. A non-affine change (one covariance rescaled) gives a clearly
 * positive distance, in both directions. */
START_TEST(test_dist_aff_zero_positive)
{
    const char *name = "dist_aff_zero_positive";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 3);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    for (uint32_t trial = 0; trial < 30; trial++) {
        size_t m = 1 + trial % 3, J = m + 1 + trial % 3;
        idc_rng g = idc_rng_stream(seed, trial, IDC_PURPOSE_GENERATOR);
        gmm p1, p2, tmp;
        random_gmm(&p1, J, m, g);
        double B[9], c[3];
        idc_rng_normal_fill(B, m * m, g, 7000);
        for (size_t a = 0; a < m; a++)
            B[a * m + a] += 2.0; /* keep away from singular */
        idc_rng_normal_fill(c, m, g, 8000);
        tmp = p1;
        idc_gmm_view v1 = view(&p1);
        ck_assert_int_eq(idc_gmm_l2_pushforward(tmp.mu, tmp.cov, &v1, B, c, &err), IDC_OK);
        /* relabel: p2 component perm_true[j] = tmp component j */
        size_t perm_true[MAXJ];
        for (size_t j = 0; j < J; j++)
            perm_true[j] = (j + trial) % J;
        p2 = tmp;
        for (size_t j = 0; j < J; j++) {
            size_t t = perm_true[j];
            p2.w[t] = tmp.w[j];
            memcpy(p2.mu + t * m, tmp.mu + j * m, m * sizeof(double));
            memcpy(p2.cov + t * m * m, tmp.cov + j * m * m, m * m * sizeof(double));
        }
        idc_gmm_view v2 = view(&p2);
        idc_gmm_aff_result res;
        int st = idc_gmm_dist_aff(&res, &v1, &v2, &err);
        if (st != IDC_OK || res.dist > DIST_ZERO)
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u J=%zu m=%zu: status %d (%s) dist %.17g", trial, J, m,
                                 st, err.msg, res.dist);
        for (size_t j = 0; j < J; j++)
            ck_assert_uint_eq(res.perm[j], perm_true[j]);
        for (size_t a = 0; a < m * m; a++)
            ck_assert_double_eq_tol(res.A[a], B[a], 1e-8 * (1 + fabs(B[a])));
        ck_assert(res.mean_rms < 1e-8);
        idc_gmm_aff_result_clear(&res);
        /* the reverse direction too */
        ck_assert_int_eq(idc_gmm_dist_aff(&res, &v2, &v1, &err), IDC_OK);
        ck_assert(res.dist < DIST_ZERO);
        idc_gmm_aff_result_clear(&res);
        /* non-affine: rescale one covariance of p2 by 3 */
        for (size_t a = 0; a < m * m; a++)
            p2.cov[a] *= 3.0;
        double dd[2];
        ck_assert_int_eq(idc_gmm_dist_aff(&res, &v1, &v2, &err), IDC_OK);
        dd[0] = res.dist;
        ck_assert(res.dist <= res.delta_identity + 1e-12 || res.delta_identity > 0);
        idc_gmm_aff_result_clear(&res);
        ck_assert_int_eq(idc_gmm_dist_aff(&res, &v2, &v1, &err), IDC_OK);
        dd[1] = res.dist;
        idc_gmm_aff_result_clear(&res);
        if (!(dd[0] > 1e-3 && dd[1] > 1e-3))
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: non-affine pair has dist %g / %g", trial, dd[0],
                                 dd[1]);
    }
}
END_TEST

/* Under-determined alignment (J = 2 <= m = 2): a pure scaling p2 = 10 p1
 * is recovered exactly by the moment-matching completion; J = 8 runs the
 * full 40320-permutation search; J = 1 is always distance 0. */
START_TEST(test_dist_aff_small_large_J)
{
    idc_err err;
    gmm p1, p2;
    random_gmm(&p1, 2, 2, idc_rng_stream(3, 0, IDC_PURPOSE_GENERATOR));
    double S[4] = {10, 0, 0, 10}, c[2] = {1, -2};
    p2 = p1;
    idc_gmm_view v1 = view(&p1), v2;
    ck_assert_int_eq(idc_gmm_l2_pushforward(p2.mu, p2.cov, &v1, S, c, &err), IDC_OK);
    v2 = view(&p2);
    idc_gmm_aff_result res;
    ck_assert_int_eq(idc_gmm_dist_aff(&res, &v1, &v2, &err), IDC_OK);
    ck_assert(res.dist < DIST_ZERO);
    ck_assert(res.delta_identity > 0.5);
    idc_gmm_aff_result_clear(&res);

    random_gmm(&p1, 8, 2, idc_rng_stream(4, 0, IDC_PURPOSE_GENERATOR));
    double B[4] = {1.5, 0.3, -0.2, 0.8};
    p2 = p1;
    v1 = view(&p1);
    ck_assert_int_eq(idc_gmm_l2_pushforward(p2.mu, p2.cov, &v1, B, c, &err), IDC_OK);
    v2 = view(&p2);
    ck_assert_int_eq(idc_gmm_dist_aff(&res, &v1, &v2, &err), IDC_OK);
    ck_assert(res.dist < DIST_ZERO);
    /* every candidate is accounted for; how many fall on each side of the
     * conditioning cut may depend on the BLAS kernel's last bits */
    ck_assert_uint_eq(res.evaluated + res.skipped_singular + res.skipped_nonpd, 40320);
    ck_assert_uint_ge(res.evaluated, 1);
    for (size_t j = 0; j < 8; j++)
        ck_assert_uint_eq(res.perm[j], j);
    idc_gmm_aff_result_clear(&res);
    ck_assert_uint_eq(idc_gmm_aff_jmax(), IDC_GMM_AFF_JMAX);

    /* J = 1: any two Gaussians are affinely equivalent, and the moment map
     * A0 = C2^(1/2) C1^(-1/2) sends one exactly onto the other. */
    random_gmm(&p1, 1, 3, idc_rng_stream(5, 0, IDC_PURPOSE_GENERATOR));
    random_gmm(&p2, 1, 3, idc_rng_stream(5, 1, IDC_PURPOSE_GENERATOR));
    v1 = view(&p1);
    v2 = view(&p2);
    ck_assert_int_eq(idc_gmm_dist_aff(&res, &v1, &v2, &err), IDC_OK);
    ck_assert(res.dist < DIST_ZERO);
    ck_assert(res.delta_identity > 1e-2);
    idc_gmm_aff_result_clear(&res);
}
END_TEST

/* Four components on the corners (+-1, +-1) of a square, mapped to the same
 * corners: the least-squares map of a permutation pi is
 * A = (1/4) sum_j y_pi(j) x_j^T (X X^T = 4 I), so 4A is an integer matrix
 * and whether A is singular is decided exactly here. Singular candidates
 * (rcond ~1e-16 after rounding, far below the cut) are counted in
 * skipped_singular, every other one (rcond >= 1/3 here) is evaluated, none
 * goes through a NaN, and the identity (distinct covariances, so no
 * symmetry of the square ties it) is the unique minimum. */
START_TEST(test_dist_aff_singular_candidates)
{
    idc_err err;
    static const double corner[4][2] = {{-1, -1}, {1, -1}, {-1, 1}, {1, 1}};
    gmm p;
    p.J = 4;
    p.m = 2;
    for (size_t j = 0; j < 4; j++) {
        p.w[j] = 0.1 + 0.1 * (double)j;
        p.mu[2 * j] = corner[j][0];
        p.mu[2 * j + 1] = corner[j][1];
        double *S = p.cov + 4 * j;
        S[0] = 0.05 * (double)(j + 1);
        S[1] = S[2] = 0.01 * (double)j;
        S[3] = 0.03 + 0.02 * (double)j;
    }
    size_t singular = 0, pi[4] = {0, 1, 2, 3};
    do {
        long A4[4] = {0, 0, 0, 0}; /* 4A, row-major */
        for (size_t j = 0; j < 4; j++)
            for (size_t a = 0; a < 2; a++)
                for (size_t b = 0; b < 2; b++)
                    A4[2 * a + b] += (long)corner[pi[j]][a] * (long)corner[j][b];
        singular += A4[0] * A4[3] - A4[1] * A4[2] == 0;
        /* next permutation (lexicographic) */
        size_t i = 3;
        while (i > 0 && pi[i - 1] >= pi[i])
            i--;
        if (i == 0)
            break;
        size_t k = 3;
        while (pi[k] <= pi[i - 1])
            k--;
        size_t t = pi[i - 1];
        pi[i - 1] = pi[k];
        pi[k] = t;
        for (size_t l = i, r = 3; l < r; l++, r--) {
            t = pi[l];
            pi[l] = pi[r];
            pi[r] = t;
        }
    } while (1);
    ck_assert_uint_gt(singular, 0);
    idc_gmm_view v = view(&p);
    idc_gmm_aff_result res;
    ck_assert_int_eq(idc_gmm_dist_aff(&res, &v, &v, &err), IDC_OK);
    ck_assert_uint_eq(res.skipped_singular, singular);
    ck_assert_uint_eq(res.skipped_nonpd, 0);
    ck_assert_uint_eq(res.evaluated, 24 - singular);
    ck_assert(isfinite(res.dist) && res.dist < DIST_ZERO);
    for (size_t j = 0; j < 4; j++)
        ck_assert_uint_eq(res.perm[j], j);
    idc_gmm_aff_result_clear(&res);
    ck_assert(idc_gmm_aff_rcond_min() == 0x1p-20);

    /* p2's means on the line y = 0: the second row of every candidate's
     * least-squares map is 0 up to rounding (rcond ~1e-16), so every
     * candidate is singular */
    gmm q = p;
    const double t[4] = {-3, -1, 1, 3};
    for (size_t j = 0; j < 4; j++) {
        q.mu[2 * j] = t[j];
        q.mu[2 * j + 1] = 0.0;
    }
    idc_gmm_view vq = view(&q);
    ck_assert_int_eq(idc_gmm_dist_aff(&res, &v, &vq, &err), IDC_EUNABLE);
    expect_msg(&err, "near-singular");
    ck_assert_ptr_null(res.perm);
    ck_assert_uint_eq(res.skipped_singular, 0); /* zeroed on error */
}
END_TEST

START_TEST(test_gmm_errors)
{
    idc_err err;
    gmm p, q;
    random_gmm(&p, 3, 2, idc_rng_stream(9, 0, IDC_PURPOSE_GENERATOR));
    random_gmm(&q, 2, 2, idc_rng_stream(9, 1, IDC_PURPOSE_GENERATOR));
    idc_gmm_view vp = view(&p), vq = view(&q);
    idc_gmm_aff_result res;
    double v;
    ck_assert_int_eq(idc_gmm_dist_aff(&res, &vp, &vq, &err), IDC_EINVAL);
    expect_msg(&err, "p1 is J = 3");
    ck_assert_ptr_null(res.perm);
    q = p;
    q.cov[4 + 3] = 0.0; /* component 1: [[a, b], [b, 0]] is not PD */
    q.cov[4 + 0] = 1.0;
    q.cov[4 + 2] = 0.5;
    vq = view(&q);
    ck_assert_int_eq(idc_gmm_dist_aff(&res, &vp, &vq, &err), IDC_EDOM);
    expect_msg(&err, "p2.cov[1] is not positive definite");
    ck_assert_int_eq(idc_gmm_l2_inner(&v, &vq, &vp, &err), IDC_EDOM);
    expect_msg(&err, "p.cov[1]");
    q = p;
    q.w[2] = -0.1;
    ck_assert_int_eq(idc_gmm_l2_inner(&v, &vp, &vq, &err), IDC_EINVAL);
    expect_msg(&err, "q.w[2]");
    q = p;
    q.mu[3] = NAN;
    ck_assert_int_eq(idc_gmm_l2_delta(&v, &vp, &vq, &err), IDC_EINVAL);
    expect_msg(&err, "q.mu[1][1] is not finite");
    q = p;
    q.m = 1;
    vq = view(&q);
    ck_assert_int_eq(idc_gmm_l2_inner(&v, &vp, &vq, &err), IDC_EINVAL);
    expect_msg(&err, "m = 1");
    ck_assert_int_eq(idc_gmm_l2_inner(&v, NULL, &vq, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_gmm_l2_inner(NULL, &vp, &vq, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_gmm_dist_aff(NULL, &vp, &vq, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_gmm_l2_pushforward(NULL, p.cov, &vp, p.cov, NULL, &err), IDC_EINVAL);
    /* J > 8 */
    size_t J9 = 9, m = 1;
    double w9[9], mu9[9], cov9[9];
    for (size_t j = 0; j < J9; j++) {
        w9[j] = 1;
        mu9[j] = (double)j;
        cov9[j] = 1;
    }
    idc_gmm_view n9 = {J9, m, w9, mu9, cov9};
    ck_assert_int_eq(idc_gmm_dist_aff(&res, &n9, &n9, &err), IDC_EINVAL);
    expect_msg(&err, "J <= 8");
    idc_gmm_aff_result_clear(&res);
    idc_gmm_aff_result_clear(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gmm_l2");
    const idc_test_case cases[] = {
        {"inner_vs_quadrature", test_inner_vs_quadrature},
        {"pushforward_invariance", test_pushforward_invariance},
        {"dist_aff_zero_positive", test_dist_aff_zero_positive},
        {"dist_aff_small_large_J", test_dist_aff_small_large_J},
        {"dist_aff_singular_candidates", test_dist_aff_singular_candidates},
        {"gmm_errors", test_gmm_errors},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 60);
    return idc_test_run(s);
}
