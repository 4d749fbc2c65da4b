/* Tests of the kivva-e1 estimator (models/estimators/kivva_e1.h): on zhat = A z + b with
 * z from a diagonal GMM with distinct variance ratios (K Thm E.1's setting)
 * the unmixed representation matches z up to permutation and scaling. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/estimators/kivva_e1.h"
#include "numeric/metric.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

/* n latents in d dims from J equal-weight diagonal components whose
 * variances give distinct ratios with a margin (below); zhat = A z + b with A a random Gaussian matrix. */
static void draw(double *z, double *zhat, size_t n, size_t d, size_t J, uint64_t seed)
{
    idc_rng g = idc_rng_stream(seed, 0, IDC_PURPOSE_GENERATOR), e = idc_rng_stream(seed, 0, IDC_PURPOSE_LATENT);
    idc_rng c = idc_rng_stream(seed, 0, IDC_PURPOSE_COMPONENT);
    double mu[8][8], sd[8][8], A[64], b[8];
    uint64_t k = 0;
    /* margin by construction: components 0 and 1 have variance ratios
     * 1.6^(2(i+1)) (log gaps >= 0.94) in a random coordinate order, and the
     * means are 6 apart along one axis per component */
    size_t perm[8];
    for (size_t i = 0; i < d; i++)
        perm[i] = i;
    for (size_t i = d; i > 1; i--) {
        size_t r = (size_t)idc_rng_below(g, k++, i), tmp = perm[i - 1];
        perm[i - 1] = perm[r];
        perm[r] = tmp;
    }
    for (size_t j = 0; j < J; j++)
        for (size_t i = 0; i < d; i++) {
            mu[j][i] = (i == j % d ? 6.0 * (double)j : 0) + 0.5 * idc_rng_normal(g, k++);
            sd[j][i] = j == 0 ? 1 : j == 1 ? pow(1.6, (double)(perm[i] + 1)) : 0.5 + 1.5 * idc_rng_uniform(g, k++);
        }
    for (size_t i = 0; i < d * d; i++)
        A[i] = idc_rng_normal(g, k++);
    for (size_t i = 0; i < d; i++)
        b[i] = 5 * idc_rng_normal(g, k++);
    for (size_t t = 0; t < n; t++) {
        size_t j = (size_t)idc_rng_below(c, t, J);
        for (size_t i = 0; i < d; i++)
            z[t * d + i] = mu[j][i] + sd[j][i] * idc_rng_normal(e, t * d + i);
        for (size_t i = 0; i < d; i++) {
            double s = b[i];
            for (size_t l = 0; l < d; l++)
                s += A[i * d + l] * z[t * d + l];
            zhat[t * d + i] = s;
        }
    }
}

START_TEST(test_unmixes_to_ps)
{
    uint64_t seed = idc_test_seed(0xe1);
    IDC_TEST_PRINT_SEED("test_unmixes_to_ps", seed);
    for (uint32_t trial = 0; trial < 4; trial++) {
        uint64_t ts = idc_rng_derive_seed(seed, trial);
        size_t n = 8000, d = 2 + trial % 3, J = 2 + trial % 2;
        double *z = malloc(n * d * sizeof(double)), *zh = malloc(n * d * sizeof(double));
        draw(z, zh, n, d, J, ts);
        idc_kivva_e1 k;
        idc_kivva_e1_init(&k);
        idc_err err;
        ck_assert_msg(idc_kivva_e1_fit(&k, zh, n, d, J, NULL, &err) == IDC_OK, "%s", err.msg);
        idc_mcc_result before, after;
        ck_assert_int_eq(idc_metric_mcc(&before, z, d, zh, d, n, &err), IDC_OK);
        ck_assert_int_eq(idc_kivva_e1_apply(zh, &k, zh, n), IDC_OK);
        ck_assert_int_eq(idc_metric_mcc(&after, z, d, zh, d, n, &err), IDC_OK);
        if (!(after.mcc_out > 0.95))
            IDC_TEST_FAIL_REPLAY("test_unmixes_to_ps", seed, "trial %u (d = %zu, J = %zu): MCC %.4f -> %.4f, gap %.3f",
                                 trial, d, J, before.mcc_out, after.mcc_out, k.log_gap);
        idc_mcc_result_clear(&before);
        idc_mcc_result_clear(&after);
        idc_kivva_e1_clear(&k);
        free(z);
        free(zh);
    }
}
END_TEST

START_TEST(test_errors)
{
    double X[8] = {0, 1, 1, 0, 2, 2, 3, 1};
    idc_kivva_e1 k;
    idc_kivva_e1_init(&k);
    idc_err err;
    ck_assert_int_eq(idc_kivva_e1_fit(&k, X, 4, 2, 1, NULL, &err), IDC_EINVAL); /* J < 2 */
    X[3] = NAN;
    ck_assert_int_eq(idc_kivva_e1_fit(&k, X, 4, 2, 2, NULL, &err), IDC_EINVAL);
    idc_kivva_e1_clear(&k);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kivva_e1");
    const idc_test_case cases[] = {
        {"test_unmixes_to_ps", test_unmixes_to_ps},
        {"test_errors", test_errors},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 60);
    return idc_test_run(s);
}
