/* Tests of numeric/stability.h: per-pair values equal the strong and weak
 * MCC computed directly (the second computation), summaries match their
 * definitions, affinely related runs are weakly stable (~1) while rotated
 * runs are not strongly stable, and the error paths. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "numeric/metric.h"
#include "numeric/rng.h"
#include "numeric/stability.h"
#include "numeric/tests/testutil.h"

#define SEED_DEFAULT 0x53746162ULL
#define TOL_64M (67108864.0 * DBL_EPSILON)

static double *alloc_doubles(size_t n)
{
    double *p = calloc(n, sizeof *p);
    ck_assert_ptr_nonnull(p);
    return p;
}

START_TEST(test_stability_pairs)
{
    const char *name = "stability_pairs";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 1);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    enum { R = 4 };
    size_t n = 1500, d = 3;
    double *z = alloc_doubles(n * d), *reps[R];
    size_t dims[R] = {3, 3, 3, 2};
    idc_rng_normal_fill(z, n * d, idc_rng_stream(seed, 0, IDC_PURPOSE_LATENT), 0);
    for (size_t q = 0; q < R; q++) {
        reps[q] = alloc_doubles(n * dims[q]);
        double A[9];
        idc_rng g = idc_rng_stream(seed, (uint32_t)q, IDC_PURPOSE_GENERATOR);
        idc_rng_normal_fill(A, dims[q] * d, g, 0);
        for (size_t k = 0; k < dims[q]; k++)
            A[k * d + k] += 3.0; /* well conditioned: the 0.01 noise stays small */
        idc_rng nz = idc_rng_stream(seed, (uint32_t)q, IDC_PURPOSE_NOISE);
        for (size_t r = 0; r < n; r++)
            for (size_t k = 0; k < dims[q]; k++) {
                double s = 0.01 * idc_rng_normal(nz, r * dims[q] + k);
                for (size_t j = 0; j < d; j++)
                    s += A[k * d + j] * z[r * d + j];
                reps[q][r * dims[q] + k] = s;
            }
    }
    idc_stability_result res;
    ck_assert_int_eq(idc_stability_mcc(&res, (const double *const *)reps, dims, R, n, 0, &err), IDC_OK);
    ck_assert_uint_eq(res.npairs, R * (R - 1) / 2);
    double mn = 1e9, mx = -1e9, sum = 0;
    for (size_t p = 0; p < res.npairs; p++) {
        size_t i = res.pair_i[p], j = res.pair_j[p];
        ck_assert(i < j && j < R);
        idc_mcc_result s;
        idc_mcc_weak_result w;
        ck_assert_int_eq(idc_metric_mcc(&s, reps[i], dims[i], reps[j], dims[j], n, &err), IDC_OK);
        ck_assert_int_eq(idc_metric_mcc_weak(&w, reps[i], dims[i], reps[j], dims[j], n, 0, &err), IDC_OK);
        ck_assert_double_eq(res.strong_in[p], s.mcc_in);
        ck_assert_double_eq(res.strong_out[p], s.mcc_out);
        ck_assert_double_eq(res.weak_in[p], w.mcc.mcc_in);
        ck_assert_double_eq(res.weak_out[p], w.mcc.mcc_out);
        if (!(w.mcc.mcc_out > 0.99))
            IDC_TEST_FAIL_REPLAY(name, seed, "pair (%zu, %zu): weak MCC out %.17g", i, j, w.mcc.mcc_out);
        mn = fmin(mn, s.mcc_out);
        mx = fmax(mx, s.mcc_out);
        sum += s.mcc_out;
        idc_mcc_result_clear(&s);
        idc_mcc_weak_result_clear(&w);
    }
    ck_assert_double_eq(res.strong_out_s.min, mn);
    ck_assert_double_eq(res.strong_out_s.max, mx);
    ck_assert_double_eq_tol(res.strong_out_s.mean, sum / (double)res.npairs, TOL_64M);
    ck_assert(res.strong_out_s.sd >= 0);
    ck_assert(res.strong_out_s.mean < 0.99); /* random mixing: not strongly stable */
    ck_assert(res.weak_out_s.min > 0.99);
    idc_stability_result_clear(&res);
    idc_stability_result_clear(NULL);

    /* errors */
    ck_assert_int_eq(idc_stability_mcc(&res, (const double *const *)reps, dims, 1, n, 0, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "R = 1") != NULL);
    ck_assert_int_eq(idc_stability_mcc(&res, NULL, dims, R, n, 0, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_stability_mcc(NULL, (const double *const *)reps, dims, R, n, 0, &err), IDC_EINVAL);
    reps[2][7] = NAN;
    ck_assert_int_eq(idc_stability_mcc(&res, (const double *const *)reps, dims, R, n, 0, &err), IDC_EINVAL);
    ck_assert_msg(strstr(err.msg, "stability (0, 2): mcc: zhat[2][1] is not finite") != NULL, "%s", err.msg);
    ck_assert_ptr_null(res.strong_in);
    for (size_t q = 0; q < R; q++)
        free(reps[q]);
    free(z);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stability");
    const idc_test_case cases[] = {
        {"stability_pairs", test_stability_pairs},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 60);
    return idc_test_run(s);
}
