/* Tests of numeric/rng.h: Philox known answers, stream separation, draw
 * distributions, and independence from the thread count. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

START_TEST(test_philox_known_answer)
{
    /* Random123's published known-answer vectors for philox4x32-10. */
    uint32_t w[4];
    idc_rng_block(w, idc_rng_stream(0, 0, 0), 0);
    ck_assert_uint_eq(w[0], 0x6627e8d5u);
    ck_assert_uint_eq(w[1], 0xe169c58du);
    ck_assert_uint_eq(w[2], 0xbc57ac4cu);
    ck_assert_uint_eq(w[3], 0x9b00dbd8u);
    /* ctr = all ones, key = all ones. */
    idc_rng s = idc_rng_stream(0xffffffffffffffffull, 0xffffffffu, 0xffffffffu);
    idc_rng_block(w, s, 0xffffffffffffffffull);
    ck_assert_uint_eq(w[0], 0x408f276du);
    ck_assert_uint_eq(w[1], 0x41c83b0eu);
    ck_assert_uint_eq(w[2], 0xa20bc7c6u);
    ck_assert_uint_eq(w[3], 0x6d5451fdu);
}
END_TEST

START_TEST(test_streams_are_pure_and_separate)
{
    idc_rng a = idc_rng_stream(42, 3, IDC_PURPOSE_LATENT);
    idc_rng b = idc_rng_stream(42, 3, IDC_PURPOSE_NOISE);
    idc_rng c = idc_rng_stream(42, 4, IDC_PURPOSE_LATENT);
    idc_rng d = idc_rng_stream(43, 3, IDC_PURPOSE_LATENT);
    for (uint64_t k = 0; k < 1000; k += 7) {
        ck_assert(idc_rng_u64(a, k) == idc_rng_u64(a, k));
        ck_assert(idc_rng_normal(a, k) == idc_rng_normal(a, k));
        ck_assert(idc_rng_u64(a, k) != idc_rng_u64(b, k));
        ck_assert(idc_rng_u64(a, k) != idc_rng_u64(c, k));
        ck_assert(idc_rng_u64(a, k) != idc_rng_u64(d, k));
        ck_assert(idc_rng_u64(a, k) != idc_rng_u64(a, k + 1));
    }
    ck_assert(idc_rng_derive_seed(5, 0) != idc_rng_derive_seed(5, 1));
    ck_assert(idc_rng_derive_seed(5, 1) == idc_rng_derive_seed(5, 1));
}
END_TEST

START_TEST(test_uniform_and_normal_moments)
{
    uint64_t seed = idc_test_seed(0x5eed0001);
    IDC_TEST_PRINT_SEED("test_uniform_and_normal_moments", seed);
    idc_rng s = idc_rng_stream(seed, 0, IDC_PURPOSE_SEARCH);
    const uint64_t n = 200000;
    double su = 0, su2 = 0, sn = 0, sn2 = 0, sn4 = 0;
    for (uint64_t k = 0; k < n; k++) {
        double u = idc_rng_uniform(s, k);
        ck_assert(u > 0.0 && u < 1.0);
        su += u;
        su2 += u * u;
        double z = idc_rng_normal(s, k);
        ck_assert(isfinite(z));
        sn += z;
        sn2 += z * z;
        sn4 += z * z * z * z;
    }
    double mu = su / (double)n, vu = su2 / (double)n - mu * mu;
    double mz = sn / (double)n, vz = sn2 / (double)n - mz * mz, k4 = sn4 / (double)n;
    /* Tolerances are > 6 standard errors. */
    if (fabs(mu - 0.5) > 0.004 || fabs(vu - 1.0 / 12.0) > 0.002 || fabs(mz) > 0.014 ||
        fabs(vz - 1.0) > 0.02 || fabs(k4 - 3.0) > 0.15)
        IDC_TEST_FAIL_REPLAY("test_uniform_and_normal_moments", seed,
                             "moments off: mean_u=%g var_u=%g mean_z=%g var_z=%g m4=%g", mu, vu, mz, vz, k4);
}
END_TEST

START_TEST(test_below_in_range)
{
    idc_rng s = idc_rng_stream(9, 1, IDC_PURPOSE_BATCH);
    size_t counts[7] = {0};
    for (uint64_t k = 0; k < 70000; k++) {
        uint64_t v = idc_rng_below(s, k, 7);
        ck_assert(v < 7);
        counts[v]++;
    }
    for (int i = 0; i < 7; i++)
        ck_assert(counts[i] > 9400 && counts[i] < 10600);
    ck_assert(idc_rng_below(s, 3, 1) == 0);
}
END_TEST

typedef struct {
    double *out;
    uint64_t lo, hi;
    idc_rng s;
} fill_job;

static void *fill(void *arg)
{
    fill_job *j = arg;
    for (uint64_t k = j->lo; k < j->hi; k++)
        j->out[k] = idc_rng_normal(j->s, k);
    return NULL;
}

START_TEST(test_thread_count_independent)
{
    enum { N = 10007 };
    static double one[N], many[N];
    idc_rng s = idc_rng_stream(77, 2, IDC_PURPOSE_LATENT);
    idc_rng_normal_fill(one, N, s, 0);
    for (unsigned nt = 2; nt <= 5; nt++) {
        pthread_t t[5];
        fill_job jobs[5];
        memset(many, 0, sizeof many);
        for (unsigned i = 0; i < nt; i++) {
            /* Threads take interleaved-size chunks in reverse order. */
            jobs[i] = (fill_job){many, (uint64_t)N * (nt - 1 - i) / nt, (uint64_t)N * (nt - i) / nt, s};
            ck_assert_int_eq(pthread_create(&t[i], NULL, fill, &jobs[i]), 0);
        }
        for (unsigned i = 0; i < nt; i++)
            pthread_join(t[i], NULL);
        ck_assert(memcmp(one, many, sizeof one) == 0);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("rng");
    tcase_add_test(tc, test_philox_known_answer);
    tcase_add_test(tc, test_streams_are_pure_and_separate);
    tcase_add_test(tc, test_below_in_range);
    tcase_add_test(tc, test_thread_count_independent);
    suite_add_tcase(s, tc);
    TCase *tm = tcase_create("test_uniform_and_normal_moments");
    tcase_add_test(tm, test_uniform_and_normal_moments);
    suite_add_tcase(s, tm);
    return idc_test_run(s);
}
