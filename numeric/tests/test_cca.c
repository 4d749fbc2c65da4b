/* Tests of numeric/cca.h and the weak MCC (idc_metric_mcc_weak): canonical
 * correlations against a second computation by the covariance route (GSL
 * Cholesky + SVD of Lx^-1 Sxy Ly^-T), the defining properties of the
 * variates, invariance under invertible affine maps of either side, weak
 * MCC ~ 1 for zhat = A z + c where the strong MCC is < 1, and every error
 * path. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "numeric/cca.h"
#include "numeric/metric.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

#define SEED_DEFAULT 0x434341ULL
#define TOL_1M (1048576.0 * DBL_EPSILON)   /* ~2.3e-10 */
#define TOL_64M (67108864.0 * DBL_EPSILON) /* ~1.5e-8 */

static double *alloc_doubles(size_t n)
{
    double *p = calloc(n, sizeof *p);
    ck_assert_ptr_nonnull(p);
    return p;
}

static void expect_msg(const idc_err *err, const char *needle)
{
    ck_assert_msg(strstr(err->msg, needle) != NULL, "message \"%s\" lacks \"%s\"", err->msg, needle);
    ck_assert_msg(strchr(err->msg, '\n') == NULL, "message \"%s\" is not one line", err->msg);
}

/* y (n x dy) = x (n x dx) A^T + b */
static void affine(double *y, const double *x, size_t n, size_t dx, size_t dy, const double *A,
                   const double *b)
{
    for (size_t r = 0; r < n; r++)
        for (size_t k = 0; k < dy; k++) {
            double s = b != NULL ? b[k] : 0.0;
            for (size_t j = 0; j < dx; j++)
                s += A[k * dx + j] * x[r * dx + j];
            y[r * dy + k] = s;
        }
}

/* Sample covariance block S_ab (da x db) of centred columns. */
static gsl_matrix *cov_block(const double *a, size_t da, const double *b, size_t db, size_t n)
{
    gsl_matrix *S = gsl_matrix_calloc(da, db);
    double ma[16] = {0}, mb[16] = {0};
    for (size_t r = 0; r < n; r++) {
        for (size_t i = 0; i < da; i++)
            ma[i] += a[r * da + i] / (double)n;
        for (size_t j = 0; j < db; j++)
            mb[j] += b[r * db + j] / (double)n;
    }
    for (size_t r = 0; r < n; r++)
        for (size_t i = 0; i < da; i++)
            for (size_t j = 0; j < db; j++)
                *gsl_matrix_ptr(S, i, j) += (a[r * da + i] - ma[i]) * (b[r * db + j] - mb[j]);
    return S;
}

/* Canonical correlations by the covariance route: singular values of
 * K = Lx^-1 Sxy Ly^-T (Sxx = Lx Lx^T, Syy = Ly Ly^T), decreasing. */
static void rho_covariance(double *rho, const double *x, size_t p, const double *y, size_t q, size_t n)
{
    gsl_matrix *Sxx = cov_block(x, p, x, p, n), *Syy = cov_block(y, q, y, q, n);
    gsl_matrix *Sxy = cov_block(x, p, y, q, n);
    ck_assert_int_eq(gsl_linalg_cholesky_decomp1(Sxx), 0);
    ck_assert_int_eq(gsl_linalg_cholesky_decomp1(Syy), 0);
    /* K = Lx^-1 Sxy Ly^-T: solve column by column, then row by row */
    for (size_t j = 0; j < q; j++) {
        gsl_vector_view c = gsl_matrix_column(Sxy, j);
        gsl_blas_dtrsv(CblasLower, CblasNoTrans, CblasNonUnit, Sxx, &c.vector);
    }
    for (size_t i = 0; i < p; i++) {
        gsl_vector_view rw = gsl_matrix_row(Sxy, i);
        gsl_blas_dtrsv(CblasLower, CblasNoTrans, CblasNonUnit, Syy, &rw.vector);
    }
    size_t big = p > q ? p : q, small = p < q ? p : q;
    gsl_matrix *K = gsl_matrix_alloc(big, small);
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < q; j++)
            gsl_matrix_set(K, p >= q ? i : j, p >= q ? j : i, gsl_matrix_get(Sxy, i, j));
    gsl_matrix *V = gsl_matrix_alloc(small, small);
    gsl_vector *s = gsl_vector_alloc(small), *w = gsl_vector_alloc(small);
    ck_assert_int_eq(gsl_linalg_SV_decomp(K, V, s, w), 0);
    for (size_t i = 0; i < small; i++)
        rho[i] = gsl_vector_get(s, i);
    gsl_matrix_free(Sxx);
    gsl_matrix_free(Syy);
    gsl_matrix_free(Sxy);
    gsl_matrix_free(K);
    gsl_matrix_free(V);
    gsl_vector_free(s);
    gsl_vector_free(w);
}

/* Random correlated pair: x ~ N(0, I_p) mixed, y = x B^T + noise. */
static void draw_pair(double *x, size_t p, double *y, size_t q, size_t n, uint64_t seed, uint32_t trial,
                      double noise)
{
    idc_rng g = idc_rng_stream(seed, trial, IDC_PURPOSE_GENERATOR);
    double *e = alloc_doubles(n * p), B[64], M[64];
    idc_rng_normal_fill(e, n * p, idc_rng_stream(seed, trial, IDC_PURPOSE_LATENT), 0);
    idc_rng_normal_fill(M, p * p, g, 0);
    idc_rng_normal_fill(B, q * p, g, 100);
    affine(x, e, n, p, p, M, NULL);
    affine(y, x, n, p, q, B, NULL);
    idc_rng nz = idc_rng_stream(seed, trial, IDC_PURPOSE_NOISE);
    for (size_t i = 0; i < n * q; i++)
        y[i] += noise * idc_rng_normal(nz, i);
    free(e);
}

START_TEST(test_cca_vs_covariance)
{
    const char *name = "cca_vs_covariance";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 1);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    for (uint32_t trial = 0; trial < 100; trial++) {
        idc_rng g = idc_rng_stream(seed, trial, IDC_PURPOSE_SEARCH);
        size_t p = 1 + (size_t)idc_rng_below(g, 0, 6), q = 1 + (size_t)idc_rng_below(g, 1, 6);
        size_t n = 20 + (size_t)idc_rng_below(g, 2, 500);
        double *x = alloc_doubles(n * p), *y = alloc_doubles(n * q);
        draw_pair(x, p, y, q, n, seed, trial, 0.5 + idc_rng_uniform(g, 3));
        idc_cca c;
        ck_assert_int_eq(idc_cca_fit(&c, x, p, y, q, n, 0, &err), IDC_OK);
        size_t k = p < q ? p : q;
        ck_assert_uint_eq(c.k, k);
        ck_assert_uint_eq(c.rank_x, p);
        ck_assert_uint_eq(c.rank_y, q);
        double rho[8];
        rho_covariance(rho, x, p, y, q, n);
        for (size_t i = 0; i < k; i++)
            if (fabs(c.rho[i] - rho[i]) > TOL_64M)
                IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u p=%zu q=%zu n=%zu: rho[%zu] %.17g vs %.17g", trial,
                                     p, q, n, i, c.rho[i], rho[i]);
        /* the variates: unit variance, corr(u_i, v_j) = rho_i [i == j],
         * u uncorrelated among themselves */
        double *u = alloc_doubles(n * k), *v = alloc_doubles(n * k);
        idc_cca_transform(&c, u, x, v, y, n);
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < k; j++) {
                double suv = 0, suu = 0, svv = 0;
                for (size_t r = 0; r < n; r++) {
                    suv += u[r * k + i] * v[r * k + j];
                    suu += u[r * k + i] * u[r * k + j];
                    svv += v[r * k + i] * v[r * k + j];
                }
                suv /= (double)(n - 1);
                suu /= (double)(n - 1);
                svv /= (double)(n - 1);
                double want = i == j ? c.rho[i] : 0.0;
                if (fabs(fabs(suv) - want) > TOL_1M || fabs(suu - (i == j)) > TOL_1M ||
                    fabs(svv - (i == j)) > TOL_1M)
                    IDC_TEST_FAIL_REPLAY(name, seed,
                                         "trial=%u: cov(u%zu, v%zu) %.17g want %.17g; "
                                         "cov(u, u) %.17g cov(v, v) %.17g",
                                         trial, i, j, suv, want, suu, svv);
            }
        idc_cca_clear(&c);
        free(u);
        free(v);
        free(x);
        free(y);
    }
}
END_TEST

/* rho(x, y) = rho(x A + c, y B + d) for random invertible A, B; k_req
 * limits the pairs kept; a duplicated column lowers the rank but is no
 * error. */
START_TEST(test_cca_invariance)
{
    const char *name = "cca_invariance";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 2);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    for (uint32_t trial = 0; trial < 50; trial++) {
        size_t p = 4, q = 3, n = 300;
        double *x = alloc_doubles(n * p), *y = alloc_doubles(n * q);
        double *x2 = alloc_doubles(n * p), *y2 = alloc_doubles(n * q);
        draw_pair(x, p, y, q, n, seed, trial, 1.0);
        idc_rng g = idc_rng_stream(seed, trial, IDC_PURPOSE_SEARCH);
        double A[16], B[9], a[4], b[3];
        idc_rng_normal_fill(A, 16, g, 0);
        idc_rng_normal_fill(B, 9, g, 100);
        idc_rng_normal_fill(a, 4, g, 200);
        idc_rng_normal_fill(b, 3, g, 300);
        for (size_t i = 0; i < 4; i++)
            a[i] *= 100;
        affine(x2, x, n, p, p, A, a);
        affine(y2, y, n, q, q, B, b);
        idc_cca c1, c2;
        ck_assert_int_eq(idc_cca_fit(&c1, x, p, y, q, n, 0, &err), IDC_OK);
        ck_assert_int_eq(idc_cca_fit(&c2, x2, p, y2, q, n, 2, &err), IDC_OK);
        ck_assert_uint_eq(c2.k, 2);
        for (size_t i = 0; i < 2; i++)
            if (fabs(c1.rho[i] - c2.rho[i]) > TOL_64M)
                IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: rho[%zu] %.17g vs %.17g", trial, i, c1.rho[i],
                                     c2.rho[i]);
        idc_cca_clear(&c1);
        idc_cca_clear(&c2);
        /* duplicate column 0 of x into column 3: rank 3 */
        for (size_t r = 0; r < n; r++)
            x[r * p + 3] = 2.0 * x[r * p + 0] - 1.0;
        ck_assert_int_eq(idc_cca_fit(&c1, x, p, y, q, n, 10, &err), IDC_OK);
        ck_assert_uint_eq(c1.rank_x, 3);
        ck_assert_uint_eq(c1.k, 3);
        ck_assert(c1.rho[0] <= 1.0 && c1.rho[2] >= 0.0);
        idc_cca_clear(&c1);
        free(x);
        free(y);
        free(x2);
        free(y2);
    }
    idc_cca_clear(NULL);
}
END_TEST

/* zhat = z A^T + c (random A) on non-Gaussian z: weak MCC ~ 1 in and out
 * of sample. For a 45-degree rotation the strong MCC is ~0.71 while the weak
 * MCC is 1. With noise, mcc_in equals the mean canonical correlation. */
START_TEST(test_weak_mcc_affine)
{
    const char *name = "weak_mcc_affine";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 3);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    for (uint32_t trial = 0; trial < 40; trial++) {
        idc_rng g = idc_rng_stream(seed, trial, IDC_PURPOSE_GENERATOR);
        size_t dz = 1 + (size_t)idc_rng_below(g, 0, 6), n = 200 + (size_t)idc_rng_below(g, 1, 800);
        double *z = alloc_doubles(n * dz), *zh = alloc_doubles(n * dz);
        idc_rng lat = idc_rng_stream(seed, trial, IDC_PURPOSE_LATENT);
        for (size_t i = 0; i < n * dz; i++)
            z[i] = idc_rng_uniform(lat, i) * (1.0 + (double)(i % dz)); /* uniform, non-Gaussian */
        double A[36], c[6];
        idc_rng_normal_fill(A, dz * dz, g, 10);
        idc_rng_normal_fill(c, dz, g, 100);
        affine(zh, z, n, dz, dz, A, c);
        idc_mcc_weak_result w;
        int st = idc_metric_mcc_weak(&w, z, dz, zh, dz, n, 0, &err);
        if (st != IDC_OK || fabs(w.mcc.mcc_in - 1) > TOL_64M || fabs(w.mcc.mcc_out - 1) > TOL_64M)
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u dz=%zu n=%zu: status %d (%s) weak %.17g %.17g", trial,
                                 dz, n, st, err.msg, w.mcc.mcc_in, w.mcc.mcc_out);
        ck_assert_uint_eq(w.k, dz);
        idc_mcc_weak_result_clear(&w);
        free(z);
        free(zh);
    }
    /* rotation */
    size_t n = 4000;
    double *z = alloc_doubles(2 * n), *zh = alloc_doubles(2 * n);
    idc_rng_normal_fill(z, 2 * n, idc_rng_stream(seed, 999, IDC_PURPOSE_LATENT), 0);
    double h = sqrt(0.5), R[4] = {h, -h, h, h};
    affine(zh, z, n, 2, 2, R, NULL);
    idc_mcc_result s;
    idc_mcc_weak_result w;
    ck_assert_int_eq(idc_metric_mcc(&s, z, 2, zh, 2, n, &err), IDC_OK);
    ck_assert_int_eq(idc_metric_mcc_weak(&w, z, 2, zh, 2, n, 0, &err), IDC_OK);
    ck_assert(s.mcc_out < 0.8);
    ck_assert_double_eq_tol(w.mcc.mcc_out, 1.0, TOL_64M);
    idc_mcc_result_clear(&s);
    idc_mcc_weak_result_clear(&w);
    /* noisy: mcc_in = mean rho, out-of-sample below 1 */
    idc_rng nz = idc_rng_stream(seed, 999, IDC_PURPOSE_NOISE);
    for (size_t i = 0; i < 2 * n; i++)
        zh[i] += 0.7 * idc_rng_normal(nz, i);
    ck_assert_int_eq(idc_metric_mcc_weak(&w, z, 2, zh, 2, n, 0, &err), IDC_OK);
    ck_assert_double_eq_tol(w.mcc.mcc_in, 0.5 * (w.rho[0] + w.rho[1]), TOL_1M);
    ck_assert(w.mcc.mcc_out < 0.95 && w.mcc.mcc_out > 0.7);
    idc_mcc_weak_result_clear(&w);
    /* k_req = 1 keeps one pair */
    ck_assert_int_eq(idc_metric_mcc_weak(&w, z, 2, zh, 2, n, 1, &err), IDC_OK);
    ck_assert_uint_eq(w.k, 1);
    ck_assert_uint_eq(w.mcc.d, 1);
    idc_mcc_weak_result_clear(&w);
    free(z);
    free(zh);
}
END_TEST

/* Independent zhat: weak MCC out of sample is small (the in-sample CCA
 * overfits a little). */
START_TEST(test_weak_mcc_independent)
{
    idc_err err;
    size_t n = 2000;
    double *z = alloc_doubles(3 * n), *zh = alloc_doubles(3 * n);
    idc_rng_normal_fill(z, 3 * n, idc_rng_stream(5, 0, IDC_PURPOSE_LATENT), 0);
    idc_rng_normal_fill(zh, 3 * n, idc_rng_stream(5, 0, IDC_PURPOSE_NOISE), 0);
    idc_mcc_weak_result w;
    ck_assert_int_eq(idc_metric_mcc_weak(&w, z, 3, zh, 3, n, 0, &err), IDC_OK);
    ck_assert(w.mcc.mcc_out < 0.15);
    ck_assert(w.mcc.mcc_in < 0.2);
    idc_mcc_weak_result_clear(&w);
    free(z);
    free(zh);
}
END_TEST

START_TEST(test_cca_errors)
{
    idc_err err;
    idc_cca c;
    idc_mcc_weak_result w;
    size_t n = 20;
    double *x = alloc_doubles(n * 3), *y = alloc_doubles(n * 2);
    idc_rng_normal_fill(x, n * 3, idc_rng_stream(7, 0, IDC_PURPOSE_LATENT), 0);
    idc_rng_normal_fill(y, n * 2, idc_rng_stream(7, 0, IDC_PURPOSE_NOISE), 0);
    ck_assert_int_eq(idc_cca_fit(&c, x, 3, y, 2, 4, 0, &err), IDC_EINVAL);
    expect_msg(&err, "too few rows");
    ck_assert_ptr_null(c.rho);
    ck_assert_int_eq(idc_cca_fit(&c, x, 0, y, 2, n, 0, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_cca_fit(&c, NULL, 3, y, 2, n, 0, &err), IDC_EINVAL);
    expect_msg(&err, "x is NULL");
    ck_assert_int_eq(idc_cca_fit(NULL, x, 3, y, 2, n, 0, &err), IDC_EINVAL);
    y[5] = NAN;
    ck_assert_int_eq(idc_cca_fit(&c, x, 3, y, 2, n, 0, &err), IDC_EINVAL);
    expect_msg(&err, "y[2][1] is not finite");
    ck_assert_int_eq(idc_metric_mcc_weak(&w, x, 3, y, 2, n, 0, &err), IDC_EINVAL);
    expect_msg(&err, "mcc_weak: zhat[2][1] is not finite");
    y[5] = 0.5;
    for (size_t r = 0; r < n; r++)
        y[r * 2] = y[r * 2 + 1] = 4.0;
    ck_assert_int_eq(idc_cca_fit(&c, x, 3, y, 2, n, 0, &err), IDC_EINVAL);
    expect_msg(&err, "y has rank 0");
    ck_assert_int_eq(idc_metric_mcc_weak(&w, x, 3, y, 2, n, 0, &err), IDC_EINVAL);
    expect_msg(&err, "mcc_weak: cca: y has rank 0");
    ck_assert_int_eq(idc_metric_mcc_weak(&w, x, 3, y, 2, 9, 0, &err), IDC_EINVAL);
    expect_msg(&err, "too few rows");
    ck_assert_int_eq(idc_metric_mcc_weak(NULL, x, 3, y, 2, n, 0, &err), IDC_EINVAL);
    x[0] = DBL_MAX;
    for (size_t r = 1; r < n; r++)
        x[r * 3] = -DBL_MAX;
    ck_assert_int_eq(idc_cca_fit(&c, x, 3, x, 3, n, 0, &err), IDC_EINVAL);
    expect_msg(&err, "overflow");
    idc_mcc_weak_result_clear(&w);
    idc_mcc_weak_result_clear(NULL);
    free(x);
    free(y);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cca");
    const idc_test_case cases[] = {
        {"cca_vs_covariance", test_cca_vs_covariance},
        {"cca_invariance", test_cca_invariance},
        {"weak_mcc_affine", test_weak_mcc_affine},
        {"weak_mcc_independent", test_weak_mcc_independent},
        {"cca_errors", test_cca_errors},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 60);
    return idc_test_run(s);
}
