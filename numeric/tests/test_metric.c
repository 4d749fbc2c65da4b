/* Tests of idc_metric_r2 and idc_metric_mcc: hand-computed cases, exact
 * relations (affine maps for R^2, permutation + scaling for MCC), noise,
 * a second computation of each (normal equations; direct Pearson formula
 * plus brute-force matching), and every error path. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "numeric/metric.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

#define SEED_DEFAULT 0x4d6574726963ULL

/* Tolerance ladder (multiples of DBL_EPSILON). */
#define TOL_1K (1024.0 * DBL_EPSILON)      /* ~2.3e-13 */
#define TOL_16K (16384.0 * DBL_EPSILON)    /* ~3.6e-12 */
#define TOL_1M (1048576.0 * DBL_EPSILON)   /* ~2.3e-10 */
#define TOL_64M (67108864.0 * DBL_EPSILON) /* ~1.5e-8 */

static double *alloc_doubles(size_t n)
{
    double *p = calloc(n, sizeof *p);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* y (n x dy) = x (n x dx) A^T + b, A dy x dx row-major. */
static void affine(double *y, const double *x, size_t n, size_t dx, size_t dy, const double *A,
                   const double *b)
{
    for (size_t r = 0; r < n; r++)
        for (size_t k = 0; k < dy; k++) {
            double s = b[k];
            for (size_t j = 0; j < dx; j++)
                s += A[k * dx + j] * x[r * dx + j];
            y[r * dy + k] = s;
        }
}

static void expect_msg(const idc_err *err, const char *needle)
{
    ck_assert_msg(strstr(err->msg, needle) != NULL, "message \"%s\" lacks \"%s\"", err->msg,
                  needle);
    ck_assert_msg(strchr(err->msg, '\n') == NULL, "message \"%s\" is not one line", err->msg);
}

/* ======================================================================== */
/* R^2                                                                      */
/* ======================================================================== */

/* Second computation: OLS with intercept by the normal equations
 * (X^T X) beta = X^T y, X = [1 z] on rows [0, m), solved by Gaussian
 * elimination with partial pivoting, then R^2 on [r0, r1) from scratch. */
static void r2_normal_eq(double *r2in, double *r2out, const double *z, size_t dz,
                         const double *zhat, size_t dzh, size_t n)
{
    size_t m = n / 2, p = dz + 1;
    double *G = alloc_doubles(p * (p + 1));
    double *beta = alloc_doubles(p);
    for (size_t k = 0; k < dzh; k++) {
        memset(G, 0, p * (p + 1) * sizeof *G);
        for (size_t r = 0; r < m; r++) {
            double x[16];
            x[0] = 1.0;
            for (size_t j = 0; j < dz; j++)
                x[j + 1] = z[r * dz + j];
            for (size_t a = 0; a < p; a++) {
                for (size_t b = 0; b < p; b++)
                    G[a * (p + 1) + b] += x[a] * x[b];
                G[a * (p + 1) + p] += x[a] * zhat[r * dzh + k];
            }
        }
        for (size_t c = 0; c < p; c++) {
            size_t piv = c;
            for (size_t a = c + 1; a < p; a++)
                if (fabs(G[a * (p + 1) + c]) > fabs(G[piv * (p + 1) + c]))
                    piv = a;
            for (size_t b = 0; b <= p; b++) {
                double t = G[c * (p + 1) + b];
                G[c * (p + 1) + b] = G[piv * (p + 1) + b];
                G[piv * (p + 1) + b] = t;
            }
            for (size_t a = c + 1; a < p; a++) {
                double f = G[a * (p + 1) + c] / G[c * (p + 1) + c];
                for (size_t b = c; b <= p; b++)
                    G[a * (p + 1) + b] -= f * G[c * (p + 1) + b];
            }
        }
        for (size_t c = p; c-- > 0;) {
            double s = G[c * (p + 1) + p];
            for (size_t b = c + 1; b < p; b++)
                s -= G[c * (p + 1) + b] * beta[b];
            beta[c] = s / G[c * (p + 1) + c];
        }
        for (int half = 0; half < 2; half++) {
            size_t r0 = half ? m : 0, r1 = half ? n : m;
            double ym = 0.0, ssr = 0.0, sst = 0.0;
            for (size_t r = r0; r < r1; r++)
                ym += zhat[r * dzh + k];
            ym /= (double)(r1 - r0);
            for (size_t r = r0; r < r1; r++) {
                double pred = beta[0];
                for (size_t j = 0; j < dz; j++)
                    pred += beta[j + 1] * z[r * dz + j];
                double y = zhat[r * dzh + k];
                ssr += (y - pred) * (y - pred);
                sst += (y - ym) * (y - ym);
            }
            (half ? r2out : r2in)[k] = 1.0 - ssr / sst;
        }
    }
    free(G);
    free(beta);
}

START_TEST(test_r2_hand)
{
    /* Fit half x = 0 1 2 3, y = 1 3 2 4: slope 4/5, intercept 1.3, residuals
     * -0.3 0.9 -0.9 0.3, SS_res = 1.8, SS_tot = 5, R^2_in = 0.64.
     * Held-out x = 4 5 0 1, y = 5 4 2 2: predictions 4.5 5.3 1.3 2.1,
     * SS_res = 2.44, mean 3.25, SS_tot = 6.75, R^2_out = 431/675.
     * The second coordinate 7 - 3y has the same R^2. */
    const double z[8] = {0, 1, 2, 3, 4, 5, 0, 1};
    const double y[8] = {1, 3, 2, 4, 5, 4, 2, 2};
    double zhat[16];
    for (size_t r = 0; r < 8; r++) {
        zhat[2 * r] = y[r];
        zhat[2 * r + 1] = 7.0 - 3.0 * y[r];
    }
    idc_err err;
    idc_r2_result res;
    ck_assert_int_eq(idc_metric_r2(&res, z, 1, zhat, 2, 8, &err), IDC_OK);
    ck_assert_uint_eq(res.dz, 1);
    ck_assert_uint_eq(res.dzh, 2);
    for (size_t k = 0; k < 2; k++) {
        ck_assert_double_eq_tol(res.r2_coord_in[k], 0.64, TOL_1K);
        ck_assert_double_eq_tol(res.r2_coord_out[k], 431.0 / 675.0, TOL_1K);
    }
    ck_assert_double_eq_tol(res.r2_in, 0.64, TOL_1K);
    ck_assert_double_eq_tol(res.r2_out, 431.0 / 675.0, TOL_1K);
    ck_assert_uint_eq(res.z_rank, 1);
    ck_assert_double_eq(res.z_rcond, 1.0); /* one column: s_min = s_max */
    idc_r2_result_clear(&res);
    ck_assert_ptr_null(res.r2_coord_out);
    idc_r2_result_clear(&res); /* clear twice is fine */
    idc_r2_result_clear(NULL);

    /* Odd n: the held-out half takes the extra row. Adding row (2, 10) to
     * the held-out half changes only R^2_out, which the normal equations
     * recompute. */
    const double z9[9] = {0, 1, 2, 3, 4, 5, 0, 1, 2};
    const double y9[9] = {1, 3, 2, 4, 5, 4, 2, 2, 10};
    double in, out;
    r2_normal_eq(&in, &out, z9, 1, y9, 1, 9);
    ck_assert_int_eq(idc_metric_r2(&res, z9, 1, y9, 1, 9, &err), IDC_OK);
    ck_assert_double_eq_tol(res.r2_in, 0.64, TOL_1K);
    ck_assert_double_eq_tol(res.r2_out, out, TOL_1K);
    ck_assert(fabs(res.r2_out - 431.0 / 675.0) > 0.1);
    idc_r2_result_clear(&res);
}
END_TEST

/* zhat = A z + b exactly (dzh arbitrary) gives R^2 = 1 on both halves; a
 * square random A is invertible with probability 1. */
START_TEST(test_r2_exact_affine)
{
    const char *name = "r2_exact_affine";
    uint64_t seed = idc_test_seed(SEED_DEFAULT);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    for (uint32_t trial = 0; trial < 40; trial++) {
        idc_rng g = idc_rng_stream(seed, trial, IDC_PURPOSE_GENERATOR);
        size_t dz = 1 + (size_t)idc_rng_below(g, 0, 6);
        size_t dzh = (trial % 2 == 0) ? dz : 1 + (size_t)idc_rng_below(g, 1, 6);
        size_t n = 2 * (dz + 2) + (size_t)idc_rng_below(g, 2, 400);
        double *z = alloc_doubles(n * dz), *zhat = alloc_doubles(n * dzh);
        double A[36], b[6];
        idc_rng_normal_fill(z, n * dz, idc_rng_stream(seed, trial, IDC_PURPOSE_LATENT), 0);
        idc_rng_normal_fill(A, dzh * dz, g, 10);
        idc_rng_normal_fill(b, dzh, g, 100);
        for (size_t k = 0; k < dzh; k++)
            b[k] *= 5.0;
        affine(zhat, z, n, dz, dzh, A, b);
        idc_r2_result res;
        int st = idc_metric_r2(&res, z, dz, zhat, dzh, n, &err);
        if (st != IDC_OK || fabs(res.r2_in - 1.0) > TOL_16K || fabs(res.r2_out - 1.0) > TOL_16K)
            IDC_TEST_FAIL_REPLAY(name, seed,
                                 "trial=%u n=%zu dz=%zu dzh=%zu: status %d (%s) R2 in %.17g "
                                 "out %.17g",
                                 trial, n, dz, dzh, st, st ? err.msg : "", res.r2_in, res.r2_out);
        for (size_t k = 0; k < dzh; k++)
            ck_assert_double_eq_tol(res.r2_coord_out[k], 1.0, TOL_16K);
        idc_r2_result_clear(&res);
        free(z);
        free(zhat);
    }
}
END_TEST

/* R^2 is unchanged when z is replaced by M z + c for an invertible M (the
 * column space of [1 z] is the same), with a response that is not affine in
 * z; and both agree with the normal equations. */
START_TEST(test_r2_affine_invariance)
{
    const char *name = "r2_affine_invariance";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 1);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    for (uint32_t trial = 0; trial < 40; trial++) {
        idc_rng g = idc_rng_stream(seed, trial, IDC_PURPOSE_GENERATOR);
        size_t dz = 1 + (size_t)idc_rng_below(g, 0, 5);
        size_t dzh = 1 + (size_t)idc_rng_below(g, 1, 4);
        size_t n = 200 + (size_t)idc_rng_below(g, 2, 600);
        double *z = alloc_doubles(n * dz), *w = alloc_doubles(n * dz);
        double *zhat = alloc_doubles(n * dzh), *noise = alloc_doubles(n * dzh);
        double M[25], c[5], A[20], b[4];
        idc_rng_normal_fill(z, n * dz, idc_rng_stream(seed, trial, IDC_PURPOSE_LATENT), 0);
        idc_rng_normal_fill(noise, n * dzh, idc_rng_stream(seed, trial, IDC_PURPOSE_NOISE), 0);
        idc_rng_normal_fill(M, dz * dz, g, 10);
        idc_rng_normal_fill(c, dz, g, 100);
        idc_rng_normal_fill(A, dzh * dz, g, 200);
        idc_rng_normal_fill(b, dzh, g, 300);
        affine(zhat, z, n, dz, dzh, A, b);
        for (size_t i = 0; i < n * dzh; i++)
            zhat[i] = tanh(zhat[i]) + 0.3 * noise[i];
        affine(w, z, n, dz, dz, M, c);

        idc_r2_result r1, r2;
        ck_assert_int_eq(idc_metric_r2(&r1, z, dz, zhat, dzh, n, &err), IDC_OK);
        ck_assert_int_eq(idc_metric_r2(&r2, w, dz, zhat, dzh, n, &err), IDC_OK);
        double *ne_in = alloc_doubles(dzh), *ne_out = alloc_doubles(dzh);
        r2_normal_eq(ne_in, ne_out, z, dz, zhat, dzh, n);
        for (size_t k = 0; k < dzh; k++) {
            double a = r1.r2_coord_out[k];
            if (fabs(a - r2.r2_coord_out[k]) > TOL_1M ||
                fabs(r1.r2_coord_in[k] - r2.r2_coord_in[k]) > TOL_1M ||
                fabs(a - ne_out[k]) > TOL_1M || fabs(r1.r2_coord_in[k] - ne_in[k]) > TOL_1M)
                IDC_TEST_FAIL_REPLAY(name, seed,
                                     "trial=%u n=%zu dz=%zu coord %zu: R2_out z %.17g, Mz+c %.17g, "
                                     "normal eq %.17g",
                                     trial, n, dz, k, a, r2.r2_coord_out[k], ne_out[k]);
            /* in-sample R^2 is in [0, 1]; a response with noise is below 1 */
            ck_assert(r1.r2_coord_in[k] >= -TOL_1K && r1.r2_coord_in[k] < 1.0);
        }
        idc_r2_result_clear(&r1);
        idc_r2_result_clear(&r2);
        free(ne_in);
        free(ne_out);
        free(z);
        free(w);
        free(zhat);
        free(noise);
    }
}
END_TEST

/* Dependent or constant z columns: the regression is on the span of z, so
 * R^2 equals R^2 with the redundant columns dropped, and z_rank counts the
 * independent ones. Latents in a subspace (z = B w) explain an affine
 * function of w exactly. */
START_TEST(test_r2_rank_deficient)
{
    const char *name = "r2_rank_deficient";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 6);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    for (uint32_t trial = 0; trial < 30; trial++) {
        idc_rng g = idc_rng_stream(seed, trial, IDC_PURPOSE_GENERATOR);
        size_t n = 60 + (size_t)idc_rng_below(g, 0, 500), dzh = 2;
        double *w = alloc_doubles(n * 2), *z = alloc_doubles(n * 5);
        double *zhat = alloc_doubles(n * dzh), *noise = alloc_doubles(n * dzh);
        idc_rng_normal_fill(w, n * 2, idc_rng_stream(seed, trial, IDC_PURPOSE_LATENT), 0);
        idc_rng_normal_fill(noise, n * dzh, idc_rng_stream(seed, trial, IDC_PURPOSE_NOISE), 0);
        double A[4], b[2] = {1.0, -2.0};
        idc_rng_normal_fill(A, 4, g, 10);
        affine(zhat, w, n, 2, dzh, A, b);

        /* 1. zhat affine in w, z = B w + c in R^5 (rank 2): R^2 = 1. */
        double B[10], c[5];
        idc_rng_normal_fill(B, 10, g, 20);
        idc_rng_normal_fill(c, 5, g, 40);
        affine(z, w, n, 2, 5, B, c);
        idc_r2_result full, red;
        ck_assert_int_eq(idc_metric_r2(&full, z, 5, zhat, dzh, n, &err), IDC_OK);
        if (full.z_rank != 2 || fabs(full.r2_in - 1.0) > TOL_1M || fabs(full.r2_out - 1.0) > TOL_1M)
            IDC_TEST_FAIL_REPLAY(name, seed,
                                 "trial=%u n=%zu: z = Bw: rank %zu, R2 in %.17g out %.17g", trial,
                                 n, full.z_rank, full.r2_in, full.r2_out);
        ck_assert(full.z_rcond < 1e3 * DBL_EPSILON);
        idc_r2_result_clear(&full);

        /* 2. z = [w0, w1, w0, 2 w0 - 0.5 w1 + 3, 4] with a nonlinear noisy
         * response: same R^2 as z = w. */
        for (size_t i = 0; i < n * dzh; i++)
            zhat[i] = tanh(zhat[i]) + 0.3 * noise[i];
        for (size_t r = 0; r < n; r++) {
            double w0 = w[2 * r], w1 = w[2 * r + 1];
            double row[5] = {w0, w1, w0, 2.0 * w0 - 0.5 * w1 + 3.0, 4.0};
            memcpy(z + 5 * r, row, sizeof row);
        }
        ck_assert_int_eq(idc_metric_r2(&full, z, 5, zhat, dzh, n, &err), IDC_OK);
        ck_assert_int_eq(idc_metric_r2(&red, w, 2, zhat, dzh, n, &err), IDC_OK);
        ck_assert_uint_eq(red.z_rank, 2);
        if (full.z_rank != 2 || fabs(full.r2_in - red.r2_in) > TOL_1M ||
            fabs(full.r2_out - red.r2_out) > TOL_1M)
            IDC_TEST_FAIL_REPLAY(name, seed,
                                 "trial=%u n=%zu: dependent columns: rank %zu, R2 out %.17g vs "
                                 "%.17g without them",
                                 trial, n, full.z_rank, full.r2_out, red.r2_out);
        idc_r2_result_clear(&full);

        /* 3. A column constant on the fit half only gets no weight. */
        for (size_t r = 0; r < n; r++) {
            z[3 * r] = w[2 * r];
            z[3 * r + 1] = w[2 * r + 1];
            z[3 * r + 2] = r < n / 2 ? 0.25 : noise[r * dzh];
        }
        ck_assert_int_eq(idc_metric_r2(&full, z, 3, zhat, dzh, n, &err), IDC_OK);
        ck_assert_uint_eq(full.z_rank, 2);
        ck_assert_double_eq_tol(full.r2_in, red.r2_in, TOL_1M);
        ck_assert_double_eq_tol(full.r2_out, red.r2_out, TOL_1M);
        idc_r2_result_clear(&full);
        idc_r2_result_clear(&red);

        /* 4. All of z constant on the fit half: the prediction is the fit-half
         * mean, so R^2_in = 0. */
        for (size_t r = 0; r < n / 2; r++)
            z[3 * r] = z[3 * r + 1] = z[3 * r + 2] = -1.5;
        ck_assert_int_eq(idc_metric_r2(&full, z, 3, zhat, dzh, n, &err), IDC_OK);
        ck_assert_uint_eq(full.z_rank, 0);
        ck_assert_double_eq(full.z_rcond, 0.0);
        ck_assert_double_eq_tol(full.r2_in, 0.0, TOL_1K);
        ck_assert(full.r2_out <= TOL_1K);
        idc_r2_result_clear(&full);
        free(w);
        free(z);
        free(zhat);
        free(noise);
    }
}
END_TEST

/* A response independent of z: R^2_out near 0 (it may be slightly
 * negative), R^2_in small and >= 0. */
START_TEST(test_r2_noise)
{
    const char *name = "r2_noise";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 2);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    size_t n = 4000, dz = 3, dzh = 2;
    for (uint32_t trial = 0; trial < 5; trial++) {
        double *z = alloc_doubles(n * dz), *zhat = alloc_doubles(n * dzh);
        idc_rng_normal_fill(z, n * dz, idc_rng_stream(seed, trial, IDC_PURPOSE_LATENT), 0);
        idc_rng_normal_fill(zhat, n * dzh, idc_rng_stream(seed, trial, IDC_PURPOSE_NOISE), 0);
        idc_r2_result res;
        ck_assert_int_eq(idc_metric_r2(&res, z, dz, zhat, dzh, n, &err), IDC_OK);
        if (fabs(res.r2_out) > 0.05 || res.r2_in < 0.0 || res.r2_in > 0.05)
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: R2 in %.17g out %.17g", trial, res.r2_in,
                                 res.r2_out);
        ck_assert(res.z_rcond > 0.1); /* independent normal columns: well conditioned */
        idc_r2_result_clear(&res);
        free(z);
        free(zhat);
    }
}
END_TEST

START_TEST(test_r2_errors)
{
    idc_err err;
    idc_r2_result res;
    size_t n = 40, dz = 3, dzh = 2;
    double *z = alloc_doubles(n * dz), *zhat = alloc_doubles(n * dzh);
    idc_rng_normal_fill(z, n * dz, idc_rng_stream(7, 0, IDC_PURPOSE_LATENT), 0);
    idc_rng_normal_fill(zhat, n * dzh, idc_rng_stream(7, 0, IDC_PURPOSE_NOISE), 0);
    ck_assert_int_eq(idc_metric_r2(&res, z, dz, zhat, dzh, n, &err), IDC_OK);
    idc_r2_result_clear(&res);

    /* Too few rows: n/2 must exceed dz + 1 = 4; n = 10 (5 fit rows) is the
     * smallest allowed. */
    ck_assert_int_eq(idc_metric_r2(&res, z, dz, zhat, dzh, 9, &err), IDC_EINVAL);
    expect_msg(&err, "too few rows");
    ck_assert_ptr_null(res.r2_coord_out);
    ck_assert_int_eq(idc_metric_r2(&res, z, dz, zhat, dzh, 8, &err), IDC_EINVAL);
    expect_msg(&err, "too few rows");
    ck_assert_int_eq(idc_metric_r2(&res, z, dz, zhat, dzh, 10, &err), IDC_OK);
    idc_r2_result_clear(&res);

    /* Non-finite entries, named by position. */
    double keep = z[5 * dz + 1];
    z[5 * dz + 1] = NAN;
    ck_assert_int_eq(idc_metric_r2(&res, z, dz, zhat, dzh, n, &err), IDC_EINVAL);
    expect_msg(&err, "z[5][1] is not finite");
    z[5 * dz + 1] = keep;
    keep = zhat[33 * dzh + 0];
    zhat[33 * dzh + 0] = -INFINITY;
    ck_assert_int_eq(idc_metric_r2(&res, z, dz, zhat, dzh, n, &err), IDC_EINVAL);
    expect_msg(&err, "zhat[33][0] is not finite");
    zhat[33 * dzh + 0] = keep;

    /* A zhat coordinate constant on the fit half, then on the held-out
     * half: SS_tot = 0. */
    double *save = alloc_doubles(n);
    for (size_t r = 0; r < n; r++)
        save[r] = zhat[r * dzh + 1];
    for (size_t r = 0; r < n / 2; r++)
        zhat[r * dzh + 1] = 0.1;
    ck_assert_int_eq(idc_metric_r2(&res, z, dz, zhat, dzh, n, &err), IDC_EINVAL);
    expect_msg(&err, "zhat[:, 1] is constant on the fit half");
    expect_msg(&err, "SS_tot = 0");
    for (size_t r = 0; r < n; r++)
        zhat[r * dzh + 1] = r < n / 2 ? save[r] : -3.0;
    ck_assert_int_eq(idc_metric_r2(&res, z, dz, zhat, dzh, n, &err), IDC_EINVAL);
    expect_msg(&err, "zhat[:, 1] is constant on the held-out half");
    for (size_t r = 0; r < n; r++)
        zhat[r * dzh + 1] = save[r];

    /* Overflow: z deviations from the mean (one +DBL_MAX among -DBL_MAX on
     * the fit half), and squared zhat deviations (a non-finite R^2). */
    for (size_t r = 0; r < n; r++)
        save[r] = z[r * dz + 2];
    for (size_t r = 0; r < n / 2; r++)
        z[r * dz + 2] = r == 0 ? DBL_MAX : -DBL_MAX;
    ck_assert_int_eq(idc_metric_r2(&res, z, dz, zhat, dzh, n, &err), IDC_EINVAL);
    expect_msg(&err, "z[:, 2]: deviations from the mean overflow");
    for (size_t r = 0; r < n; r++)
        z[r * dz + 2] = save[r];
    for (size_t r = 0; r < n; r++) {
        save[r] = zhat[r * dzh + 1];
        zhat[r * dzh + 1] *= 1e200;
    }
    ck_assert_int_eq(idc_metric_r2(&res, z, dz, zhat, dzh, n, &err), IDC_EINVAL);
    expect_msg(&err, "zhat[:, 1]: R^2 is not finite");
    for (size_t r = 0; r < n; r++)
        zhat[r * dzh + 1] = save[r];

    /* Shapes and pointers. */
    ck_assert_int_eq(idc_metric_r2(&res, z, 0, zhat, dzh, n, &err), IDC_EINVAL);
    expect_msg(&err, "dz = 0");
    ck_assert_int_eq(idc_metric_r2(&res, z, dz, zhat, 0, n, &err), IDC_EINVAL);
    expect_msg(&err, "dzh = 0");
    ck_assert_int_eq(idc_metric_r2(&res, NULL, dz, zhat, dzh, n, &err), IDC_EINVAL);
    expect_msg(&err, "z is NULL");
    ck_assert_int_eq(idc_metric_r2(&res, z, dz, NULL, dzh, n, &err), IDC_EINVAL);
    expect_msg(&err, "zhat is NULL");
    ck_assert_int_eq(idc_metric_r2(NULL, z, dz, zhat, dzh, n, &err), IDC_EINVAL);
    expect_msg(&err, "res is NULL");
    ck_assert_int_eq(idc_metric_r2(&res, z, dz, zhat, dzh, (size_t)INT_MAX + 2, &err), IDC_EINVAL);
    expect_msg(&err, "too large");
    ck_assert_int_eq(idc_metric_r2(&res, z, dz, zhat, dzh, 9, NULL), IDC_EINVAL);
    ck_assert_ptr_null(res.r2_coord_in);
    idc_r2_result_clear(&res);

    free(save);
    free(z);
    free(zhat);
}
END_TEST

/* ======================================================================== */
/* MCC                                                                      */
/* ======================================================================== */

/* Second computation: |Pearson rho| over rows [r0, r1) by the two-pass
 * textbook formula, 0 for a constant column. */
static double pearson(const double *x, size_t dx, size_t i, const double *y, size_t dy, size_t j,
                      size_t r0, size_t r1)
{
    double mx = 0.0, my = 0.0, sxy = 0.0, sxx = 0.0, syy = 0.0;
    for (size_t r = r0; r < r1; r++) {
        mx += x[r * dx + i];
        my += y[r * dy + j];
    }
    mx /= (double)(r1 - r0);
    my /= (double)(r1 - r0);
    for (size_t r = r0; r < r1; r++) {
        double a = x[r * dx + i] - mx, b = y[r * dy + j] - my;
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    if (sxx == 0.0 || syy == 0.0)
        return 0.0;
    return fabs(sxy) / sqrt(sxx * syy);
}

/* Brute force: the largest sum of c (dz x dzh) over injective maps from the
 * smaller side into the larger. */
static void mcc_brute_rec(const double *c, size_t dz, size_t dzh, size_t i, unsigned used,
                          size_t placed, double acc, double *best)
{
    size_t need = dz < dzh ? dz : dzh;
    if (placed == need) {
        *best = acc > *best ? acc : *best;
        return;
    }
    if (i == dz)
        return;
    for (size_t j = 0; j < dzh; j++)
        if (!(used & (1u << j)))
            mcc_brute_rec(c, dz, dzh, i + 1, used | (1u << j), placed + 1, acc + c[i * dzh + j],
                          best);
    if (dz - i > need - placed)
        mcc_brute_rec(c, dz, dzh, i + 1, used, placed, acc, best);
}

/* Checks match is injective with min(dz, dzh) entries set. */
static void check_match(const idc_mcc_result *res)
{
    unsigned char used[64] = {0};
    size_t cnt = 0;
    for (size_t i = 0; i < res->dz; i++) {
        if (res->match[i] == SIZE_MAX)
            continue;
        ck_assert_uint_lt(res->match[i], res->dzh);
        ck_assert(!used[res->match[i]]);
        used[res->match[i]] = 1;
        cnt++;
    }
    ck_assert_uint_eq(cnt, res->d);
}

START_TEST(test_mcc_hand)
{
    /* Fit half: z0 = 1 2 3 4, z1 = 1 3 2 4; zhat0 = 2 z1 = 2 6 4 8 (rho 0.8
     * with z0, 1 with z1), zhat1 = 4 3 2 1 (rho -1 with z0, -0.8 with z1).
     * Best matching z0 -> zhat1, z1 -> zhat0 with sum 2 (vs 1.6): MCC_in 1.
     * Held-out half: z0 = 0 1 0 1, z1 = 1 1 0 0, zhat0 = 0 1 0 1,
     * zhat1 = 1 0 2 3: rho(z0, zhat1) = 0 and rho(z1, zhat0) = 0, so under
     * the fit-half matching MCC_out = 0 although corr_out has 1s (z0 with
     * zhat0). Also rho(z1, zhat1) = sxy / sqrt(sxx syy) = -2 / sqrt(1 * 5). */
    const double z[16] = {1, 1, 2, 3, 3, 2, 4, 4, 0, 1, 1, 1, 0, 0, 1, 0};
    const double zhat[16] = {2, 4, 6, 3, 4, 2, 8, 1, 0, 1, 1, 0, 0, 2, 1, 3};
    idc_err err;
    idc_mcc_result res;
    ck_assert_int_eq(idc_metric_mcc(&res, z, 2, zhat, 2, 8, &err), IDC_OK);
    ck_assert_uint_eq(res.d, 2);
    ck_assert_uint_eq(res.match[0], 1);
    ck_assert_uint_eq(res.match[1], 0);
    ck_assert_double_eq_tol(res.corr_in[0 * 2 + 0], 0.8, TOL_1K);
    ck_assert_double_eq_tol(res.corr_in[0 * 2 + 1], 1.0, TOL_1K);
    ck_assert_double_eq_tol(res.corr_in[1 * 2 + 0], 1.0, TOL_1K);
    ck_assert_double_eq_tol(res.corr_in[1 * 2 + 1], 0.8, TOL_1K);
    ck_assert_double_eq_tol(res.mcc_in, 1.0, TOL_1K);
    ck_assert_double_eq_tol(res.corr_out[0 * 2 + 0], 1.0, TOL_1K);
    ck_assert_double_eq_tol(res.corr_out[0 * 2 + 1], 0.0, TOL_1K);
    ck_assert_double_eq_tol(res.corr_out[1 * 2 + 0], 0.0, TOL_1K);
    ck_assert_double_eq_tol(res.corr_out[1 * 2 + 1], 2.0 / sqrt(5.0), TOL_1K);
    ck_assert_double_eq_tol(res.mcc_out, 0.0, TOL_1K);
    idc_mcc_result_clear(&res);
    ck_assert_ptr_null(res.match);
    idc_mcc_result_clear(&res);
    idc_mcc_result_clear(NULL);
}
END_TEST

/* zhat[:, j] = s_j z[:, perm[j]] + t_j (s_j != 0, either sign): MCC = 1 on
 * both halves and the matching is perm inverted; also with extra noise
 * columns (dzh > dz) and with a subset of the columns (dzh < dz). */
START_TEST(test_mcc_perm_scale)
{
    const char *name = "mcc_perm_scale";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 3);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    for (uint32_t trial = 0; trial < 60; trial++) {
        idc_rng g = idc_rng_stream(seed, trial, IDC_PURPOSE_GENERATOR);
        size_t dz = 1 + (size_t)idc_rng_below(g, 0, 8);
        int shape = (int)(trial % 3); /* 0: dzh = dz, 1: extra columns, 2: subset */
        size_t dzh = shape == 0   ? dz
                     : shape == 1 ? dz + 1 + (size_t)idc_rng_below(g, 1, 4)
                                  : 1 + (size_t)idc_rng_below(g, 1, dz);
        size_t n = 100 + (size_t)idc_rng_below(g, 2, 2000);
        double *z = alloc_doubles(n * dz), *zhat = alloc_doubles(n * dzh);
        idc_rng_normal_fill(z, n * dz, idc_rng_stream(seed, trial, IDC_PURPOSE_LATENT), 0);
        idc_rng_normal_fill(zhat, n * dzh, idc_rng_stream(seed, trial, IDC_PURPOSE_NOISE), 0);
        /* A random permutation of 0..dz-1 (Fisher-Yates); zhat column j < dz
         * (or < dzh for a subset) copies z column perm[j]. */
        size_t perm[8];
        for (size_t i = 0; i < dz; i++)
            perm[i] = i;
        for (size_t i = dz; i-- > 1;) {
            size_t k = (size_t)idc_rng_below(g, 10 + i, i + 1);
            size_t t = perm[i];
            perm[i] = perm[k];
            perm[k] = t;
        }
        size_t ncopy = dzh < dz ? dzh : dz;
        for (size_t j = 0; j < ncopy; j++) {
            double s = 0.1 + 5.0 * idc_rng_uniform(g, 30 + j);
            s = idc_rng_below(g, 50 + j, 2) ? -s : s;
            double t = 10.0 * idc_rng_normal(g, 70 + j);
            for (size_t r = 0; r < n; r++)
                zhat[r * dzh + j] = s * z[r * dz + perm[j]] + t;
        }
        idc_mcc_result res;
        int st = idc_metric_mcc(&res, z, dz, zhat, dzh, n, &err);
        if (st != IDC_OK || fabs(res.mcc_in - 1.0) > TOL_1K || fabs(res.mcc_out - 1.0) > TOL_1K)
            IDC_TEST_FAIL_REPLAY(name, seed,
                                 "trial=%u n=%zu dz=%zu dzh=%zu: status %d MCC in %.17g out %.17g",
                                 trial, n, dz, dzh, st, res.mcc_in, res.mcc_out);
        ck_assert_uint_eq(res.d, ncopy);
        check_match(&res);
        for (size_t j = 0; j < ncopy; j++)
            if (res.match[perm[j]] != j)
                IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: z[:, %zu] matched to %zu, want %zu",
                                     trial, perm[j], res.match[perm[j]], j);
        size_t unmatched = 0;
        for (size_t i = 0; i < dz; i++)
            unmatched += res.match[i] == SIZE_MAX;
        ck_assert_uint_eq(unmatched, dz - ncopy);
        idc_mcc_result_clear(&res);
        free(z);
        free(zhat);
    }
}
END_TEST

/* Two independent unit-variance coordinates rotated by 45 degrees: every
 * |rho| is near 1/sqrt(2), so MCC is clearly below 1. */
START_TEST(test_mcc_rotation)
{
    const char *name = "mcc_rotation";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 4);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    size_t n = 4000;
    double *z = alloc_doubles(2 * n), *zhat = alloc_doubles(2 * n);
    for (uint32_t trial = 0; trial < 5; trial++) {
        idc_rng_normal_fill(z, 2 * n, idc_rng_stream(seed, trial, IDC_PURPOSE_LATENT), 0);
        double h = sqrt(0.5);
        const double R[4] = {h, -h, h, h}, zero[2] = {0, 0};
        affine(zhat, z, n, 2, 2, R, zero);
        idc_mcc_result res;
        ck_assert_int_eq(idc_metric_mcc(&res, z, 2, zhat, 2, n, &err), IDC_OK);
        if (res.mcc_out > 0.9 || res.mcc_in > 0.9 || fabs(res.mcc_out - h) > 0.05)
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: MCC in %.17g out %.17g", trial, res.mcc_in,
                                 res.mcc_out);
        idc_mcc_result_clear(&res);
    }
    free(z);
    free(zhat);
}
END_TEST

/* Random mixed data: corr_in / corr_out equal the textbook Pearson formula,
 * mcc_in equals the brute-force optimum over all matchings, mcc_out is the
 * mean of corr_out on the reported matching, and swapping the roles of z and
 * zhat transposes everything and keeps MCC_in. */
START_TEST(test_mcc_brute)
{
    const char *name = "mcc_brute";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 5);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    for (uint32_t trial = 0; trial < 300; trial++) {
        idc_rng g = idc_rng_stream(seed, trial, IDC_PURPOSE_GENERATOR);
        size_t dz = 1 + (size_t)idc_rng_below(g, 0, 6);
        size_t dzh = 1 + (size_t)idc_rng_below(g, 1, 6);
        size_t n = 4 + (size_t)idc_rng_below(g, 2, 300);
        double *z = alloc_doubles(n * dz), *zhat = alloc_doubles(n * dzh);
        double A[36], b[6];
        idc_rng_normal_fill(z, n * dz, idc_rng_stream(seed, trial, IDC_PURPOSE_LATENT), 0);
        idc_rng_normal_fill(A, dzh * dz, g, 10);
        idc_rng_normal_fill(b, dzh, g, 100);
        affine(zhat, z, n, dz, dzh, A, b);
        idc_rng nz = idc_rng_stream(seed, trial, IDC_PURPOSE_NOISE);
        for (size_t i = 0; i < n * dzh; i++)
            zhat[i] = zhat[i] * zhat[i] * 0.1 + zhat[i] + idc_rng_normal(nz, i);

        idc_mcc_result res, rev;
        int st = idc_metric_mcc(&res, z, dz, zhat, dzh, n, &err);
        ck_assert_int_eq(st, IDC_OK);
        ck_assert_int_eq(idc_metric_mcc(&rev, zhat, dzh, z, dz, n, &err), IDC_OK);
        check_match(&res);
        size_t m = n / 2, d = dz < dzh ? dz : dzh;
        double *cin = alloc_doubles(dz * dzh);
        for (size_t i = 0; i < dz; i++)
            for (size_t j = 0; j < dzh; j++) {
                cin[i * dzh + j] = pearson(z, dz, i, zhat, dzh, j, 0, m);
                double co = pearson(z, dz, i, zhat, dzh, j, m, n);
                if (fabs(res.corr_in[i * dzh + j] - cin[i * dzh + j]) > TOL_16K ||
                    fabs(res.corr_out[i * dzh + j] - co) > TOL_16K)
                    IDC_TEST_FAIL_REPLAY(name, seed,
                                         "trial=%u n=%zu: corr[%zu][%zu] in %.17g vs %.17g, "
                                         "out %.17g vs %.17g",
                                         trial, n, i, j, res.corr_in[i * dzh + j], cin[i * dzh + j],
                                         res.corr_out[i * dzh + j], co);
                /* BLAS may sum Z^T H and H^T Z in different orders */
                ck_assert_double_eq_tol(rev.corr_in[j * dz + i], res.corr_in[i * dzh + j], TOL_1K);
                ck_assert_double_eq_tol(rev.corr_out[j * dz + i], res.corr_out[i * dzh + j],
                                        TOL_1K);
            }
        double best = -1.0, sout = 0.0;
        mcc_brute_rec(cin, dz, dzh, 0, 0u, 0, 0.0, &best);
        for (size_t i = 0; i < dz; i++)
            if (res.match[i] != SIZE_MAX)
                sout += res.corr_out[i * dzh + res.match[i]];
        if (fabs(res.mcc_in - best / (double)d) > TOL_16K ||
            fabs(res.mcc_out - sout / (double)d) > TOL_1K || fabs(rev.mcc_in - res.mcc_in) > TOL_1K)
            IDC_TEST_FAIL_REPLAY(name, seed,
                                 "trial=%u n=%zu dz=%zu dzh=%zu: MCC_in %.17g, brute %.17g, "
                                 "reversed %.17g",
                                 trial, n, dz, dzh, res.mcc_in, best / (double)d, rev.mcc_in);
        ck_assert(res.mcc_in >= 0.0 && res.mcc_in <= 1.0);
        ck_assert(res.mcc_out >= 0.0 && res.mcc_out <= 1.0);
        idc_mcc_result_clear(&res);
        idc_mcc_result_clear(&rev);
        free(cin);
        free(z);
        free(zhat);
    }
}
END_TEST

/* Constant columns get rho = 0 rather than an error. */
START_TEST(test_mcc_constant)
{
    idc_err err;
    idc_mcc_result res;
    size_t n = 50;
    double *z = alloc_doubles(2 * n), *zhat = alloc_doubles(2 * n);
    idc_rng_normal_fill(z, 2 * n, idc_rng_stream(11, 0, IDC_PURPOSE_LATENT), 0);
    for (size_t r = 0; r < n; r++) {
        zhat[2 * r] = 3.0 * z[2 * r] - 1.0;
        zhat[2 * r + 1] = 2.5; /* constant everywhere */
    }
    ck_assert_int_eq(idc_metric_mcc(&res, z, 2, zhat, 2, n, &err), IDC_OK);
    ck_assert_uint_eq(res.match[0], 0);
    ck_assert_uint_eq(res.match[1], 1);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_double_eq(res.corr_in[i * 2 + 1], 0.0);
        ck_assert_double_eq(res.corr_out[i * 2 + 1], 0.0);
    }
    ck_assert_double_eq_tol(res.mcc_in, 0.5, TOL_1K);
    ck_assert_double_eq_tol(res.mcc_out, 0.5, TOL_1K);
    idc_mcc_result_clear(&res);

    /* z[:, 1] constant on the held-out half only: its corr_out row is 0
     * while corr_in is not. */
    for (size_t r = n / 2; r < n; r++)
        z[2 * r + 1] = -7.0;
    for (size_t r = 0; r < n; r++)
        zhat[2 * r + 1] = z[2 * r + 1];
    ck_assert_int_eq(idc_metric_mcc(&res, z, 2, zhat, 2, n, &err), IDC_OK);
    ck_assert_double_eq_tol(res.corr_in[1 * 2 + 1], 1.0, TOL_1K);
    ck_assert_double_eq(res.corr_out[1 * 2 + 0], 0.0);
    ck_assert_double_eq(res.corr_out[1 * 2 + 1], 0.0);
    ck_assert_double_eq_tol(res.mcc_in, 1.0, TOL_1K);
    ck_assert_double_eq_tol(res.mcc_out, 0.5, TOL_1K);
    idc_mcc_result_clear(&res);

    /* Tiny and huge scales standardise without underflow or overflow. */
    for (size_t r = 0; r < n; r++) {
        zhat[2 * r] = 1e-310 * z[2 * r];
        zhat[2 * r + 1] = 1e300 * z[2 * r + 1];
    }
    for (size_t r = n / 2; r < n; r++)
        z[2 * r + 1] = z[2 * r + 1] + (double)r;
    for (size_t r = 0; r < n; r++)
        zhat[2 * r + 1] = 1e300 * z[2 * r + 1];
    ck_assert_int_eq(idc_metric_mcc(&res, z, 2, zhat, 2, n, &err), IDC_OK);
    ck_assert_double_eq_tol(res.mcc_in, 1.0, 1e-6); /* subnormals carry few bits */
    ck_assert_double_eq_tol(res.mcc_out, 1.0, 1e-6);
    idc_mcc_result_clear(&res);
    free(z);
    free(zhat);
}
END_TEST

START_TEST(test_mcc_errors)
{
    idc_err err;
    idc_mcc_result res;
    size_t n = 20, dz = 2, dzh = 3;
    double *z = alloc_doubles(n * dz), *zhat = alloc_doubles(n * dzh);
    idc_rng_normal_fill(z, n * dz, idc_rng_stream(13, 0, IDC_PURPOSE_LATENT), 0);
    idc_rng_normal_fill(zhat, n * dzh, idc_rng_stream(13, 0, IDC_PURPOSE_NOISE), 0);

    ck_assert_int_eq(idc_metric_mcc(&res, z, dz, zhat, dzh, 3, &err), IDC_EINVAL);
    expect_msg(&err, "too few rows");
    ck_assert_ptr_null(res.match);
    ck_assert_int_eq(idc_metric_mcc(&res, z, dz, zhat, dzh, 4, &err), IDC_OK);
    idc_mcc_result_clear(&res);

    z[7 * dz + 1] = NAN;
    ck_assert_int_eq(idc_metric_mcc(&res, z, dz, zhat, dzh, n, &err), IDC_EINVAL);
    expect_msg(&err, "z[7][1] is not finite");
    z[7 * dz + 1] = 0.5;
    zhat[19 * dzh + 2] = INFINITY;
    ck_assert_int_eq(idc_metric_mcc(&res, z, dz, zhat, dzh, n, &err), IDC_EINVAL);
    expect_msg(&err, "zhat[19][2] is not finite");
    zhat[19 * dzh + 2] = 0.5;

    /* Finite values whose deviations from the mean overflow: one +DBL_MAX
     * among -DBL_MAX (the mean is near -0.8 DBL_MAX). A single pair of
     * opposite extremes is fine (the mean is near 0). */
    double *keep = alloc_doubles(n);
    for (size_t r = 0; r < n; r++)
        keep[r] = z[r * dz];
    z[0] = DBL_MAX;
    z[dz] = -DBL_MAX;
    ck_assert_int_eq(idc_metric_mcc(&res, z, dz, zhat, dzh, n, &err), IDC_OK);
    idc_mcc_result_clear(&res);
    for (size_t r = 1; r < n / 2; r++)
        z[r * dz] = -DBL_MAX;
    ck_assert_int_eq(idc_metric_mcc(&res, z, dz, zhat, dzh, n, &err), IDC_EINVAL);
    expect_msg(&err, "z[:, 0]: deviations from the mean overflow");
    for (size_t r = 0; r < n; r++)
        z[r * dz] = keep[r];
    free(keep);

    ck_assert_int_eq(idc_metric_mcc(&res, z, 0, zhat, dzh, n, &err), IDC_EINVAL);
    expect_msg(&err, "dz = 0");
    ck_assert_int_eq(idc_metric_mcc(&res, z, dz, zhat, 0, n, &err), IDC_EINVAL);
    expect_msg(&err, "dzh = 0");
    ck_assert_int_eq(idc_metric_mcc(&res, NULL, dz, zhat, dzh, n, &err), IDC_EINVAL);
    expect_msg(&err, "z is NULL");
    ck_assert_int_eq(idc_metric_mcc(&res, z, dz, NULL, dzh, n, &err), IDC_EINVAL);
    expect_msg(&err, "zhat is NULL");
    ck_assert_int_eq(idc_metric_mcc(NULL, z, dz, zhat, dzh, n, &err), IDC_EINVAL);
    expect_msg(&err, "res is NULL");
    ck_assert_int_eq(idc_metric_mcc(&res, z, dz, zhat, dzh, SIZE_MAX, &err), IDC_EINVAL);
    expect_msg(&err, "too large");
    ck_assert_int_eq(idc_metric_mcc(&res, z, dz, zhat, dzh, 2, NULL), IDC_EINVAL);
    idc_mcc_result_clear(&res);
    free(z);
    free(zhat);
}
END_TEST

/* ======================================================================== */
/* Spearman MCC                                                             */
/* ======================================================================== */

/* Average rank of a[r * d + j] among rows [r0, r1), by counting. */
static double naive_rank(const double *a, size_t d, size_t j, size_t r, size_t r0, size_t r1)
{
    double lt = 0, eq = 0;
    for (size_t k = r0; k < r1; k++) {
        lt += a[k * d + j] < a[r * d + j];
        eq += a[k * d + j] == a[r * d + j];
    }
    return lt + (eq + 1) / 2;
}

/* Spearman = Pearson of ranks: corr_in / corr_out against the textbook
 * Pearson formula on ranks computed by counting (data with many ties),
 * mcc_in against the brute-force matching optimum. */
START_TEST(test_spearman_vs_ranks)
{
    const char *name = "spearman_vs_ranks";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 20);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    for (uint32_t trial = 0; trial < 100; trial++) {
        idc_rng g = idc_rng_stream(seed, trial, IDC_PURPOSE_GENERATOR);
        size_t dz = 1 + (size_t)idc_rng_below(g, 0, 5), dzh = 1 + (size_t)idc_rng_below(g, 1, 5);
        size_t n = 4 + (size_t)idc_rng_below(g, 2, 200);
        double *z = alloc_doubles(n * dz), *zhat = alloc_doubles(n * dzh);
        double A[25];
        idc_rng_normal_fill(z, n * dz, idc_rng_stream(seed, trial, IDC_PURPOSE_LATENT), 0);
        idc_rng_normal_fill(A, dz * dzh, g, 10);
        const double b[5] = {0, 0, 0, 0, 0};
        affine(zhat, z, n, dz, dzh, A, b);
        idc_rng nz = idc_rng_stream(seed, trial, IDC_PURPOSE_NOISE);
        for (size_t i = 0; i < n * dzh; i++)
            zhat[i] = round(2.0 * (zhat[i] + idc_rng_normal(nz, i))); /* ties */
        for (size_t i = 0; i < n * dz; i++)
            z[i] = trial % 2 ? round(3.0 * z[i]) : z[i];
        double *zr = alloc_doubles(n * dz), *hr = alloc_doubles(n * dzh);
        size_t m = n / 2;
        for (size_t r = 0; r < n; r++) {
            size_t r0 = r < m ? 0 : m, r1 = r < m ? m : n;
            for (size_t j = 0; j < dz; j++)
                zr[r * dz + j] = naive_rank(z, dz, j, r, r0, r1);
            for (size_t j = 0; j < dzh; j++)
                hr[r * dzh + j] = naive_rank(zhat, dzh, j, r, r0, r1);
        }
        idc_mcc_result res;
        ck_assert_int_eq(idc_metric_mcc_spearman(&res, z, dz, zhat, dzh, n, &err), IDC_OK);
        check_match(&res);
        double *cin = alloc_doubles(dz * dzh);
        for (size_t i = 0; i < dz; i++)
            for (size_t j = 0; j < dzh; j++) {
                cin[i * dzh + j] = pearson(zr, dz, i, hr, dzh, j, 0, m);
                double co = pearson(zr, dz, i, hr, dzh, j, m, n);
                if (fabs(res.corr_in[i * dzh + j] - cin[i * dzh + j]) > TOL_16K ||
                    fabs(res.corr_out[i * dzh + j] - co) > TOL_16K)
                    IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u n=%zu: corr[%zu][%zu] %.17g/%.17g vs %.17g/%.17g",
                                         trial, n, i, j, res.corr_in[i * dzh + j],
                                         res.corr_out[i * dzh + j], cin[i * dzh + j], co);
            }
        double best = -1;
        mcc_brute_rec(cin, dz, dzh, 0, 0u, 0, 0.0, &best);
        size_t d = dz < dzh ? dz : dzh;
        if (fabs(res.mcc_in - best / (double)d) > TOL_16K)
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: mcc_in %.17g brute %.17g", trial,
                                 res.mcc_in, best / (double)d);
        idc_mcc_result_clear(&res);
        free(cin);
        free(zr);
        free(hr);
        free(z);
        free(zhat);
    }
}
END_TEST

/* zhat_j = strictly monotone (increasing or decreasing) function of
 * z_perm(j): Spearman MCC is exactly 1 in and out of sample, Pearson is
 * not; the matching is perm inverted. */
START_TEST(test_spearman_monotone)
{
    const char *name = "spearman_monotone";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 21);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    for (uint32_t trial = 0; trial < 20; trial++) {
        size_t dz = 3, n = 1000;
        double *z = alloc_doubles(n * dz), *zhat = alloc_doubles(n * dz);
        idc_rng_normal_fill(z, n * dz, idc_rng_stream(seed, trial, IDC_PURPOSE_LATENT), 0);
        const size_t perm[3] = {2, 0, 1};
        for (size_t r = 0; r < n; r++) {
            zhat[r * dz + 0] = exp(3.0 * z[r * dz + perm[0]]);
            zhat[r * dz + 1] = -pow(z[r * dz + perm[1]], 3.0) * 5.0;
            zhat[r * dz + 2] = atan(4.0 * z[r * dz + perm[2]]) + 7.0;
        }
        idc_mcc_result sp, pe;
        ck_assert_int_eq(idc_metric_mcc_spearman(&sp, z, dz, zhat, dz, n, &err), IDC_OK);
        ck_assert_int_eq(idc_metric_mcc(&pe, z, dz, zhat, dz, n, &err), IDC_OK);
        if (fabs(sp.mcc_in - 1) > TOL_1K || fabs(sp.mcc_out - 1) > TOL_1K || pe.mcc_out > 0.95)
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: Spearman %.17g %.17g, Pearson out %.17g",
                                 trial, sp.mcc_in, sp.mcc_out, pe.mcc_out);
        for (size_t j = 0; j < dz; j++)
            ck_assert_uint_eq(sp.match[perm[j]], j);
        idc_mcc_result_clear(&sp);
        idc_mcc_result_clear(&pe);
        free(z);
        free(zhat);
    }
}
END_TEST

START_TEST(test_spearman_errors)
{
    idc_err err;
    idc_mcc_result res;
    double z[8] = {1, 2, 3, 4, 5, 6, 7, NAN}, zh[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    ck_assert_int_eq(idc_metric_mcc_spearman(&res, z, 1, zh, 1, 8, &err), IDC_EINVAL);
    expect_msg(&err, "z[7][0] is not finite");
    ck_assert_int_eq(idc_metric_mcc_spearman(&res, zh, 1, zh, 1, 3, &err), IDC_EINVAL);
    expect_msg(&err, "too few rows");
    ck_assert_int_eq(idc_metric_mcc_spearman(NULL, zh, 1, zh, 1, 8, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_metric_mcc_spearman(&res, zh, 1, zh, 1, 8, &err), IDC_OK);
    ck_assert_double_eq_tol(res.mcc_out, 1.0, TOL_1K);
    idc_mcc_result_clear(&res);
}
END_TEST

/* ======================================================================== */
/* Block R^2                                                                */
/* ======================================================================== */

/* z has two independent blocks {0, 1} and {2, 3}; zhat has learned blocks
 * {0} (a mix of true block 0) and {1, 2} (a mix of true block 1 plus a
 * little noise). The block matrix has a high diagonal and a low
 * off-diagonal, and each entry equals idc_metric_r2 on the gathered
 * columns (the second computation). */
START_TEST(test_r2_blocks)
{
    const char *name = "r2_blocks";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 22);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    size_t n = 2000, dz = 4, dzh = 3;
    double *z = alloc_doubles(n * dz), *zhat = alloc_doubles(n * dzh);
    idc_rng_normal_fill(z, n * dz, idc_rng_stream(seed, 0, IDC_PURPOSE_LATENT), 0);
    idc_rng nz = idc_rng_stream(seed, 0, IDC_PURPOSE_NOISE);
    for (size_t r = 0; r < n; r++) {
        const double *x = z + r * dz;
        zhat[r * dzh + 0] = x[0] - 2 * x[1];
        zhat[r * dzh + 1] = x[2] + x[3] + 0.05 * idc_rng_normal(nz, 2 * r);
        zhat[r * dzh + 2] = x[2] - 3 * x[3] + 0.05 * idc_rng_normal(nz, 2 * r + 1);
    }
    const size_t zoff[3] = {0, 2, 4}, zidx[4] = {0, 1, 2, 3};
    const size_t hoff[3] = {0, 1, 3}, hidx[3] = {0, 1, 2};
    idc_blocks zb = {2, zoff, zidx}, hb = {2, hoff, hidx};
    idc_r2_blocks_result res;
    ck_assert_int_eq(idc_metric_r2_blocks(&res, z, dz, zhat, dzh, n, &zb, &hb, &err), IDC_OK);
    ck_assert_uint_eq(res.nt, 2);
    ck_assert_uint_eq(res.nl, 2);
    ck_assert(res.r2_out[0 * 2 + 0] > 1 - TOL_1M);
    ck_assert(res.r2_out[1 * 2 + 1] > 0.99);
    ck_assert(res.r2_out[0 * 2 + 1] < 0.02 && res.r2_out[1 * 2 + 0] < 0.02);
    ck_assert(res.r2_in[0 * 2 + 1] < 0.02 && res.r2_in[1 * 2 + 0] < 0.02);
    /* second computation: entry [1][1] = R^2 of zhat[:, 1:3] on z[:, 2:4] */
    double *zt = alloc_doubles(n * 2), *ht = alloc_doubles(n * 2);
    for (size_t r = 0; r < n; r++) {
        zt[2 * r] = z[r * dz + 2];
        zt[2 * r + 1] = z[r * dz + 3];
        ht[2 * r] = zhat[r * dzh + 1];
        ht[2 * r + 1] = zhat[r * dzh + 2];
    }
    idc_r2_result r2;
    ck_assert_int_eq(idc_metric_r2(&r2, zt, 2, ht, 2, n, &err), IDC_OK);
    ck_assert_double_eq(res.r2_in[3], r2.r2_in);
    ck_assert_double_eq(res.r2_out[3], r2.r2_out);
    idc_r2_result_clear(&r2);
    idc_r2_blocks_result_clear(&res);
    idc_r2_blocks_result_clear(NULL);

    /* errors */
    const size_t bad_idx[4] = {0, 1, 2, 7};
    idc_blocks bad = {2, zoff, bad_idx};
    ck_assert_int_eq(idc_metric_r2_blocks(&res, z, dz, zhat, dzh, n, &bad, &hb, &err), IDC_EINVAL);
    expect_msg(&err, "zb block 1: index 7 >= dz = 4");
    ck_assert_ptr_null(res.r2_in);
    const size_t empty_off[3] = {0, 2, 2};
    idc_blocks emp = {2, empty_off, zidx};
    ck_assert_int_eq(idc_metric_r2_blocks(&res, z, dz, zhat, dzh, n, &zb, &emp, &err), IDC_EINVAL);
    expect_msg(&err, "hb block 1 is empty");
    ck_assert_int_eq(idc_metric_r2_blocks(&res, z, dz, zhat, dzh, n, NULL, &hb, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_metric_r2_blocks(&res, z, dz, zhat, dzh, 5, &zb, &hb, &err), IDC_EINVAL);
    expect_msg(&err, "r2_blocks[0][0]: r2: too few rows");
    ck_assert_int_eq(idc_metric_r2_blocks(NULL, z, dz, zhat, dzh, n, &zb, &hb, &err), IDC_EINVAL);
    free(zt);
    free(ht);
    free(z);
    free(zhat);
}
END_TEST

static Suite *metric_suite(void)
{
    Suite *s = suite_create("metric");
    const idc_test_case cases[] = {
        {"r2_hand", test_r2_hand},
        {"r2_exact_affine", test_r2_exact_affine},
        {"r2_affine_invariance", test_r2_affine_invariance},
        {"r2_rank_deficient", test_r2_rank_deficient},
        {"r2_noise", test_r2_noise},
        {"r2_errors", test_r2_errors},
        {"mcc_hand", test_mcc_hand},
        {"mcc_perm_scale", test_mcc_perm_scale},
        {"mcc_rotation", test_mcc_rotation},
        {"mcc_brute", test_mcc_brute},
        {"mcc_constant", test_mcc_constant},
        {"mcc_errors", test_mcc_errors},
        {"spearman_vs_ranks", test_spearman_vs_ranks},
        {"spearman_monotone", test_spearman_monotone},
        {"spearman_errors", test_spearman_errors},
        {"r2_blocks", test_r2_blocks},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 60);
    return s;
}

int main(void)
{
    return idc_test_run(metric_suite());
}
