/* Tests of numeric/rank.h and numeric/wilcoxon.h: average ranks against
 * their counting definition, the exact null distribution against brute
 * enumeration of all 2^n sign patterns and against textbook values, the
 * normal approximation against the exact distribution for large n, the
 * handling of zeros and ties, and every error path. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "numeric/rank.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"
#include "numeric/wilcoxon.h"

#define SEED_DEFAULT 0x57696c636f786f6eULL
#define TOL_64 (64.0 * DBL_EPSILON)
#define TOL_1K (1024.0 * DBL_EPSILON)

static void expect_msg(const idc_err *err, const char *needle)
{
    ck_assert_msg(strstr(err->msg, needle) != NULL, "message \"%s\" lacks \"%s\"", err->msg, needle);
    ck_assert_msg(strchr(err->msg, '\n') == NULL, "message \"%s\" is not one line", err->msg);
}

/* rank(x_i) = #{j: x_j < x_i} + (#{j: x_j == x_i} + 1) / 2, the counting
 * definition of the average rank; random values with many ties and a
 * stride. */
START_TEST(test_rank_definition)
{
    const char *name = "rank_definition";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 1);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    for (uint32_t trial = 0; trial < 200; trial++) {
        idc_rng g = idc_rng_stream(seed, trial, IDC_PURPOSE_GENERATOR);
        size_t n = 1 + (size_t)idc_rng_below(g, 0, 60), stride = 1 + (size_t)idc_rng_below(g, 1, 3);
        uint64_t levels = 1 + idc_rng_below(g, 2, 20);
        double x[180], r[60], ts = -1.0;
        size_t work[120];
        for (size_t i = 0; i < n * stride; i++)
            x[i] = (double)idc_rng_below(g, 10 + i, levels) - 3.0;
        ck_assert_int_eq(idc_rank_average(r, &ts, x, n, stride, work, &err), IDC_OK);
        double tsum = 0.0, rsum = 0.0;
        for (size_t i = 0; i < n; i++) {
            double lt = 0.0, eq = 0.0;
            for (size_t j = 0; j < n; j++) {
                lt += x[j * stride] < x[i * stride];
                eq += x[j * stride] == x[i * stride];
            }
            if (r[i] != lt + (eq + 1.0) / 2.0)
                IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u i=%zu: rank %g, want %g", trial, i, r[i],
                                     lt + (eq + 1.0) / 2.0);
            tsum += (eq * eq * eq - eq) / eq; /* each group counted once per member */
            rsum += r[i];
        }
        ck_assert_double_eq(ts, tsum);
        ck_assert_double_eq(rsum, (double)n * (double)(n + 1) / 2.0);
    }
}
END_TEST

START_TEST(test_rank_errors)
{
    idc_err err;
    double x[3] = {1, NAN, 2}, r[3], ts = 5;
    size_t work[6];
    ck_assert_int_eq(idc_rank_average(r, &ts, x, 3, 1, work, &err), IDC_EINVAL);
    expect_msg(&err, "x[1] is NaN");
    ck_assert_int_eq(idc_rank_average(r, NULL, x, 1, 0, work, &err), IDC_EINVAL);
    expect_msg(&err, "stride");
    ck_assert_int_eq(idc_rank_average(NULL, NULL, x, 1, 1, work, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_rank_average(r, NULL, x, 1, 1, NULL, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_rank_average(NULL, &ts, NULL, 0, 1, NULL, &err), IDC_OK);
    ck_assert_double_eq(ts, 0.0);
    x[1] = -INFINITY;
    ck_assert_int_eq(idc_rank_average(r, &ts, x, 3, 1, work, &err), IDC_OK);
    ck_assert_double_eq(r[1], 1.0);
}
END_TEST

/* P(W+ <= w) by enumerating all 2^n sign patterns of ranks 1..n. */
static double brute_cdf(size_t n, double w)
{
    uint64_t cnt = 0;
    for (uint64_t mask = 0; mask < ((uint64_t)1 << n); mask++) {
        double s = 0.0;
        for (size_t k = 0; k < n; k++)
            if (mask >> k & 1)
                s += (double)(k + 1);
        cnt += s <= w;
    }
    return ldexp((double)cnt, -(int)n);
}

START_TEST(test_exact_vs_brute)
{
    idc_err err;
    for (size_t n = 0; n <= 14; n++) {
        double top = (double)(n * (n + 1) / 2);
        for (double w = -1.0; w <= top + 1.0; w += 0.5) {
            double p;
            ck_assert_int_eq(idc_wilcoxon_exact_cdf(&p, n, w, &err), IDC_OK);
            double b = brute_cdf(n, w);
            ck_assert_msg(p == b, "n=%zu w=%g: dp %.17g brute %.17g", n, w, p, b);
        }
    }
}
END_TEST

/* Textbook values: n = 5 all positive (W+ = 15): two-sided p = 2/32;
 * n = 10: P(W+ <= 8) = 25/1024 (the 0.025 one-sided critical value 8 of
 * the standard tables), P(W+ <= 3) = 5/1024; n = 20: P(W+ <= 52) =
 * 0.0242 (critical value 52 at one-sided 0.025), P(W+ <= 53) > 0.025. */
START_TEST(test_exact_golden)
{
    idc_err err;
    idc_wilcoxon_result res;
    const double x[5] = {1.5, 2.0, 0.1, 7.0, 3.25};
    ck_assert_int_eq(idc_wilcoxon_signed_rank(&res, x, NULL, 5, &err), IDC_OK);
    ck_assert_int_eq(res.method, IDC_WILCOXON_EXACT);
    ck_assert_double_eq(res.w_plus, 15.0);
    ck_assert_double_eq(res.w_minus, 0.0);
    ck_assert_double_eq(res.p_two_sided, 0.0625);
    ck_assert_uint_eq(res.n_used, 5);

    double p;
    ck_assert_int_eq(idc_wilcoxon_exact_cdf(&p, 10, 8, &err), IDC_OK);
    ck_assert_double_eq(p, 25.0 / 1024.0);
    ck_assert_int_eq(idc_wilcoxon_exact_cdf(&p, 10, 3, &err), IDC_OK);
    ck_assert_double_eq(p, 5.0 / 1024.0);
    ck_assert_int_eq(idc_wilcoxon_exact_cdf(&p, 20, 52, &err), IDC_OK);
    ck_assert(p < 0.025 && p > 0.024);
    ck_assert_int_eq(idc_wilcoxon_exact_cdf(&p, 20, 53, &err), IDC_OK);
    ck_assert(p > 0.025);
    /* the full range sums to 1 and the distribution is symmetric */
    ck_assert_int_eq(idc_wilcoxon_exact_cdf(&p, 50, 1275, &err), IDC_OK);
    ck_assert_double_eq(p, 1.0);
    double lo, hi;
    ck_assert_int_eq(idc_wilcoxon_exact_cdf(&lo, 50, 500, &err), IDC_OK);
    ck_assert_int_eq(idc_wilcoxon_exact_cdf(&hi, 50, 1275 - 501, &err), IDC_OK);
    ck_assert_double_eq_tol(lo, 1.0 - hi, TOL_64);

    /* paired form: x - y with a sign flip gives the mirror statistic and
     * the same p-value */
    const double y[5] = {0, 0, 0, 0, 0};
    idc_wilcoxon_result r2;
    ck_assert_int_eq(idc_wilcoxon_signed_rank(&r2, y, x, 5, &err), IDC_OK);
    ck_assert_double_eq(r2.w_plus, 0.0);
    ck_assert_double_eq(r2.p_two_sided, 0.0625);
    ck_assert(r2.z < 0.0 && res.z > 0.0);
}
END_TEST

/* Zeros are dropped; ties switch to the normal approximation with the tie
 * correction; hand-computed example:
 * d = (0, 1, -1, 2, 2, 2, 3): drop the 0; |d| = 1 1 2 2 2 3 -> ranks 1.5
 * 1.5 4 4 4 6; W+ = 1.5 + 12 + 6 = 19.5, n = 6, E = 10.5,
 * Var = 6*7*13/24 - ((8-2) + (27-3))/48 = 22.75 - 0.625 = 22.125,
 * z = (9 - 0.5)/sqrt(22.125). */
START_TEST(test_zeros_ties)
{
    idc_err err;
    idc_wilcoxon_result res;
    const double d[7] = {0, 1, -1, 2, 2, 2, 3};
    ck_assert_int_eq(idc_wilcoxon_signed_rank(&res, d, NULL, 7, &err), IDC_OK);
    ck_assert_uint_eq(res.n, 7);
    ck_assert_uint_eq(res.n_zero, 1);
    ck_assert_uint_eq(res.n_used, 6);
    ck_assert_int_eq(res.ties, 1);
    ck_assert_int_eq(res.method, IDC_WILCOXON_NORMAL);
    ck_assert_double_eq(res.w_plus, 19.5);
    ck_assert_double_eq(res.w_minus, 1.5);
    double z = 8.5 / sqrt(22.125);
    ck_assert_double_eq_tol(res.z, z, TOL_64);
    ck_assert_double_eq_tol(res.p_two_sided, erfc(z / sqrt(2.0)), TOL_64);

    /* all zero: p = 1 */
    const double zz[3] = {0, 0, 0};
    ck_assert_int_eq(idc_wilcoxon_signed_rank(&res, zz, zz, 3, &err), IDC_OK);
    ck_assert_uint_eq(res.n_used, 0);
    ck_assert_double_eq(res.p_two_sided, 1.0);
}
END_TEST

/* For n = 40..50 the exact two-sided p and the normal approximation with
 * continuity correction agree to 0.005 over the whole range of W+; beyond
 * 50 the normal method is used; a random sample's p-value stays in [0, 1]
 * and, for large location shifts, is tiny. */
START_TEST(test_normal_vs_exact)
{
    const char *name = "normal_vs_exact";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 2);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    for (size_t n = 40; n <= 50; n++) {
        double N = (double)n, tot = N * (N + 1) / 2, mean = tot / 2;
        double sd = sqrt(N * (N + 1) * (2 * N + 1) / 24);
        for (double w = 0; w <= tot; w += 7) {
            double lo, hi;
            ck_assert_int_eq(idc_wilcoxon_exact_cdf(&lo, n, w, &err), IDC_OK);
            ck_assert_int_eq(idc_wilcoxon_exact_cdf(&hi, n, tot - w, &err), IDC_OK);
            double pe = fmin(1, 2 * fmin(lo, hi));
            double z = fmax(0, fabs(w - mean) - 0.5) / sd, pn = erfc(z / sqrt(2.0));
            ck_assert_msg(fabs(pe - pn) < 0.005, "n=%zu w=%g: exact %g normal %g", n, w, pe, pn);
        }
    }
    for (uint32_t trial = 0; trial < 20; trial++) {
        size_t n = 51 + trial * 10;
        double *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y);
        ck_assert_ptr_nonnull(x);
        ck_assert_ptr_nonnull(y);
        idc_rng_normal_fill(x, n, idc_rng_stream(seed, trial, IDC_PURPOSE_NOISE), 0);
        idc_rng_normal_fill(y, n, idc_rng_stream(seed, trial, IDC_PURPOSE_LATENT), 0);
        idc_wilcoxon_result res;
        ck_assert_int_eq(idc_wilcoxon_signed_rank(&res, x, y, n, &err), IDC_OK);
        if (res.method != IDC_WILCOXON_NORMAL || !(res.p_two_sided >= 0 && res.p_two_sided <= 1))
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: method %d p %g", trial, res.method, res.p_two_sided);
        for (size_t i = 0; i < n; i++)
            x[i] += 3.0;
        ck_assert_int_eq(idc_wilcoxon_signed_rank(&res, x, y, n, &err), IDC_OK);
        if (!(res.p_two_sided < 1e-6))
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: shifted p %g", trial, res.p_two_sided);
        free(x);
        free(y);
    }
}
END_TEST

START_TEST(test_wilcoxon_errors)
{
    idc_err err;
    idc_wilcoxon_result res;
    double x[3] = {1, 2, 3}, y[3] = {0, NAN, 0};
    double p;
    ck_assert_int_eq(idc_wilcoxon_signed_rank(&res, x, y, 3, &err), IDC_EINVAL);
    expect_msg(&err, "y[1] is not finite");
    ck_assert_double_eq(res.p_two_sided, 0.0);
    x[2] = INFINITY;
    ck_assert_int_eq(idc_wilcoxon_signed_rank(&res, x, NULL, 3, &err), IDC_EINVAL);
    expect_msg(&err, "x[2] is not finite");
    x[2] = DBL_MAX;
    y[1] = 0;
    y[2] = -DBL_MAX;
    ck_assert_int_eq(idc_wilcoxon_signed_rank(&res, x, y, 3, &err), IDC_EINVAL);
    expect_msg(&err, "overflows");
    ck_assert_int_eq(idc_wilcoxon_signed_rank(&res, x, y, 0, &err), IDC_EINVAL);
    expect_msg(&err, "n = 0");
    ck_assert_int_eq(idc_wilcoxon_signed_rank(&res, NULL, y, 3, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_wilcoxon_signed_rank(NULL, x, y, 3, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_wilcoxon_exact_cdf(&p, 51, 3, &err), IDC_EINVAL);
    expect_msg(&err, "n = 51");
    ck_assert_int_eq(idc_wilcoxon_exact_cdf(&p, 5, NAN, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_wilcoxon_exact_cdf(NULL, 5, 1, &err), IDC_EINVAL);
    ck_assert_uint_eq(idc_wilcoxon_exact_max(), IDC_WILCOXON_EXACT_MAX);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("wilcoxon");
    const idc_test_case cases[] = {
        {"rank_definition", test_rank_definition}, {"rank_errors", test_rank_errors},
        {"exact_vs_brute", test_exact_vs_brute},   {"exact_golden", test_exact_golden},
        {"zeros_ties", test_zeros_ties},           {"normal_vs_exact", test_normal_vs_exact},
        {"wilcoxon_errors", test_wilcoxon_errors},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 30);
    return idc_test_run(s);
}
