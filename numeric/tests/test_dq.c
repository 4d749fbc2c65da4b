/* Tests of numeric/dq.h: exact double -> rational conversion (against GMP's
 * mpq_set_d on random bit patterns, subnormals and extremes included),
 * integer scalings, residues mod p, and the "p/q" strings. */
#include <float.h>
#include <gmp.h>
#include <math.h>
#include <string.h>

#include <flint/ulong_extras.h>

#include "numeric/dq.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

static double from_bits(uint64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* Checks one finite double against mpq_set_d and the split contract. */
static int agrees_with_gmp(double x)
{
    fmpq_t q;
    mpq_t a, b;
    fmpq_init(q);
    mpq_init(a);
    mpq_init(b);
    int ok = idc_dq_fmpq_set_d(q, x) == IDC_OK;
    if (ok) {
        mpq_set_d(a, x);
        fmpq_get_mpq(b, q);
        ok = mpq_equal(a, b);
    }
    int64_t m;
    long e;
    ok = ok && idc_dq_split(&m, &e, x) == IDC_OK;
    ok = ok && (m == 0 ? (x == 0.0 && e == 0) : ((m & 1) != 0 && ldexp((double)m, (int)e) == x));
    fmpq_clear(q);
    mpq_clear(a);
    mpq_clear(b);
    return ok;
}

START_TEST(test_known_values)
{
    static const struct {
        double x;
        const char *s;
    } table[] = {
        {0.0, "0/1"},
        {-0.0, "0/1"},
        {1.0, "1/1"},
        {-3.0, "-3/1"},
        {0.5, "1/2"},
        {-0.375, "-3/8"},
        {0.1, "3602879701896397/36028797018963968"},
        {1024.0, "1024/1"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        char *s = idc_dq_get_str_d(table[i].x);
        ck_assert_ptr_nonnull(s);
        ck_assert_str_eq(s, table[i].s);
        free(s);
    }
    /* extremes */
    double ext[] = {DBL_MAX,
                    -DBL_MAX,
                    DBL_MIN,
                    DBL_TRUE_MIN,
                    -DBL_TRUE_MIN,
                    nextafter(DBL_MIN, 0.0),
                    1e300,
                    1e-300,
                    0x1.fffffffffffffp-1,
                    9007199254740993.0};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        ck_assert_msg(agrees_with_gmp(ext[i]), "mismatch at %a", ext[i]);
    int64_t m;
    long e;
    ck_assert_int_eq(idc_dq_split(&m, &e, DBL_TRUE_MIN), IDC_OK);
    ck_assert(m == 1 && e == -1074);
    ck_assert_int_eq(idc_dq_split(&m, &e, DBL_MAX), IDC_OK);
    ck_assert(m == (INT64_C(1) << 53) - 1 && e == 971);
    char *s = idc_dq_get_str_d(DBL_TRUE_MIN);
    ck_assert(strncmp(s, "1/", 2) == 0 && strlen(s) > 300);
    free(s);
}
END_TEST

START_TEST(test_nonfinite_rejected)
{
    double bad[] = {NAN, -NAN, INFINITY, -INFINITY};
    fmpq_t q;
    fmpz_t z;
    fmpq_init(q);
    fmpz_init(z);
    nmod_t mod;
    nmod_init(&mod, 1000003);
    for (size_t i = 0; i < 4; i++) {
        int64_t m = 7;
        long e = 7;
        mp_limb_t r;
        ck_assert_int_eq(idc_dq_split(&m, &e, bad[i]), IDC_EINVAL);
        ck_assert(m == 7 && e == 7);
        ck_assert_int_eq(idc_dq_fmpq_set_d(q, bad[i]), IDC_EINVAL);
        ck_assert_int_eq(idc_dq_fmpz_set_d_2exp(z, bad[i], 0), IDC_EINVAL);
        ck_assert_int_eq(idc_dq_nmod(&r, bad[i], mod), IDC_EINVAL);
        ck_assert_ptr_null(idc_dq_get_str_d(bad[i]));
        int c;
        ck_assert_int_eq(idc_dq_fmpq_cmp_d(&c, q, bad[i]), IDC_EINVAL);
        idc_dq_fmpq_set_finite_d(q, bad[i]);
        ck_assert(fmpq_is_zero(q));
    }
    double a[4] = {1, 2, NAN, 4};
    fmpq_mat_t A;
    fmpz_mat_t Z;
    fmpq_mat_init(A, 2, 2);
    fmpz_mat_init(Z, 2, 2);
    ck_assert_int_eq(idc_dq_fmpq_mat_set_d(A, a, 2, 2), IDC_EINVAL);
    ck_assert_int_eq(idc_dq_fmpz_mat_set_d_rowscaled(Z, NULL, a, 2, 2), IDC_EINVAL);
    ck_assert_int_eq(idc_dq_fmpz_mat_set_d_scaled(Z, NULL, a, 2, 2), IDC_EINVAL);
    fmpq_mat_clear(A);
    fmpz_mat_clear(Z);
    /* even modulus: not a ring homomorphism on dyadics */
    nmod_t even;
    nmod_init(&even, 1000004);
    mp_limb_t r;
    ck_assert_int_eq(idc_dq_nmod(&r, 1.5, even), IDC_EDOM);
    ck_assert_int_eq(idc_dq_fmpz_set_d_2exp(z, 0.5, 0), IDC_EDOM);
    fmpq_clear(q);
    fmpz_clear(z);
}
END_TEST

/* Random 64-bit patterns, every third one forced subnormal. */
START_TEST(test_random_bits_vs_gmp)
{
    const char *name = "test_random_bits_vs_gmp";
    uint64_t seed = idc_test_seed(0xd0c0ffee);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_rng s = idc_rng_stream(seed, 0, IDC_PURPOSE_SEARCH);
    size_t subnormal = 0, tested = 0;
    for (uint64_t k = 0; k < 300000; k++) {
        uint64_t b = idc_rng_u64(s, k);
        if (k % 3 == 0)
            b &= ~(UINT64_C(0x7ff) << 52); /* exponent 0: subnormal or zero */
        double x = from_bits(b);
        if (!isfinite(x))
            continue;
        if (fpclassify(x) == FP_SUBNORMAL)
            subnormal++;
        tested++;
        if (!agrees_with_gmp(x))
            IDC_TEST_FAIL_REPLAY(
                name, seed, "k=%" PRIu64 ": bits 0x%016" PRIx64 " (%a) disagree with mpq_set_d", k, b, x);
    }
    ck_assert_uint_gt(subnormal, 90000);
    ck_assert_uint_gt(tested, 290000);
}
END_TEST

START_TEST(test_scalings)
{
    const double a[6] = {0.75, -3.0, 0.0, 1e20, 0x1p-60, 0.0};
    fmpz_mat_t Z;
    fmpz_mat_init(Z, 3, 2);
    long sh[3];
    ck_assert_int_eq(idc_dq_fmpz_mat_set_d_rowscaled(Z, sh, a, 3, 2), IDC_OK);
    ck_assert_int_eq(sh[0], 2); /* 0.75 * 4 = 3, -3 * 4 = -12 */
    ck_assert(fmpz_equal_si(fmpz_mat_entry(Z, 0, 0), 3) && fmpz_equal_si(fmpz_mat_entry(Z, 0, 1), -12));
    /* 1e20 = 2^20 * odd: shift -20 makes it odd */
    ck_assert_int_eq(sh[1], -20);
    ck_assert(fmpz_is_zero(fmpz_mat_entry(Z, 1, 0)) && fmpz_is_odd(fmpz_mat_entry(Z, 1, 1)));
    ck_assert_int_eq(sh[2], 60);
    ck_assert(fmpz_is_one(fmpz_mat_entry(Z, 2, 0)) && fmpz_is_zero(fmpz_mat_entry(Z, 2, 1)));
    /* common scaling keeps ratios */
    long s1;
    ck_assert_int_eq(idc_dq_fmpz_mat_set_d_scaled(Z, &s1, a, 3, 2), IDC_OK);
    ck_assert_int_eq(s1, 60);
    fmpq_t q, r;
    fmpq_init(q);
    fmpq_init(r);
    for (size_t i = 0; i < 6; i++) {
        /* entry i is exactly a[i] * 2^60 */
        ck_assert_int_eq(idc_dq_fmpq_set_d(r, a[i]), IDC_OK);
        fmpq_mul_2exp(r, r, 60);
        ck_assert(fmpz_equal(fmpq_numref(r), fmpz_mat_entry(Z, (slong)(i / 2), (slong)(i % 2))));
        ck_assert(fmpz_is_one(fmpq_denref(r)));
    }
    fmpq_clear(q);
    fmpq_clear(r);
    fmpz_mat_clear(Z);
    long sh0;
    ck_assert_int_eq(idc_dq_min_shift(&sh0, 0.0), IDC_OK);
    ck_assert_int_eq(sh0, 0);
    ck_assert_int_eq(idc_dq_min_shift(&sh0, 6.0), IDC_OK);
    ck_assert_int_eq(sh0, -1);
}
END_TEST

/* dq_nmod agrees with reducing the exact rational, and is multiplicative
 * where the double product is exact. */
START_TEST(test_nmod)
{
    const char *name = "test_nmod";
    uint64_t seed = idc_test_seed(0xd0c0ffef);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_rng s = idc_rng_stream(seed, 0, IDC_PURPOSE_SEARCH);
    mp_limb_t primes[3] = {3, 1000003, n_nextprime(UWORD(1) << 62, 1)};
    fmpq_t q;
    fmpq_init(q);
    for (size_t pi = 0; pi < 3; pi++) {
        nmod_t mod;
        nmod_init(&mod, primes[pi]);
        for (uint64_t k = 0; k < 20000; k++) {
            double x = from_bits(idc_rng_u64(s, 2 * k));
            if (!isfinite(x))
                continue;
            mp_limb_t r1, r2;
            ck_assert_int_eq(idc_dq_nmod(&r1, x, mod), IDC_OK);
            ck_assert_int_eq(idc_dq_fmpq_set_d(q, x), IDC_OK);
            ck_assert_int_eq(idc_dq_fmpq_nmod(&r2, q, mod), IDC_OK);
            if (r1 != r2)
                IDC_TEST_FAIL_REPLAY(name, seed, "p=%lu x=%a: %lu != %lu", (unsigned long)primes[pi], x,
                                     (unsigned long)r1, (unsigned long)r2);
            /* small mantissas: x*y exact */
            double a = ldexp((double)(int64_t)(idc_rng_u64(s, 2 * k + 1) % 2001) - 1000.0,
                             (int)(idc_rng_u64(s, 2 * k + 1) >> 50) % 200 - 100);
            double b = ldexp(3.0, -(int)(k % 50));
            mp_limb_t ra, rb, rab;
            ck_assert_int_eq(idc_dq_nmod(&ra, a, mod), IDC_OK);
            ck_assert_int_eq(idc_dq_nmod(&rb, b, mod), IDC_OK);
            ck_assert_int_eq(idc_dq_nmod(&rab, a * b, mod), IDC_OK);
            ck_assert_uint_eq(rab, nmod_mul(ra, rb, mod));
        }
    }
    /* the matrix version (with its exponent cache) agrees entry by entry */
    {
        enum { R = 7, C = 9 };
        double a[R * C];
        for (size_t i = 0; i < R * C; i++) {
            a[i] = from_bits(idc_rng_u64(s, 900000 + i));
            if (!isfinite(a[i]) || i % 5 == 0)
                a[i] = ldexp((double)i - 30.0, (int)(i % 130) - 64);
        }
        nmod_mat_t A;
        nmod_mat_init(A, R, C, primes[2]);
        ck_assert_int_eq(idc_dq_nmod_mat_set_d(A, a, R, C), IDC_OK);
        for (size_t i = 0; i < R * C; i++) {
            mp_limb_t r1;
            ck_assert_int_eq(idc_dq_nmod(&r1, a[i], A->mod), IDC_OK);
            ck_assert_uint_eq(r1, nmod_mat_entry(A, (slong)(i / C), (slong)(i % C)));
        }
        a[3] = NAN;
        ck_assert_int_eq(idc_dq_nmod_mat_set_d(A, a, R, C), IDC_EINVAL);
        nmod_mat_clear(A);
    }
    /* a denominator divisible by p has no image */
    nmod_t m3;
    nmod_init(&m3, 3);
    fmpq_set_si(q, 1, 3);
    mp_limb_t r;
    ck_assert_int_eq(idc_dq_fmpq_nmod(&r, q, m3), IDC_EDOM);
    fmpq_clear(q);
}
END_TEST

START_TEST(test_strings)
{
    fmpq_t q, r;
    fmpq_init(q);
    fmpq_init(r);
    static const char *good[] = {"0", "-0", "7", "-12/8", "3/1", "0/5", "123456789012345678901234567891/8"};
    static const char *canon[] = {
        "0/1", "0/1", "7/1", "-3/2", "3/1", "0/1", "123456789012345678901234567891/8"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        ck_assert_int_eq(idc_dq_fmpq_set_str(q, good[i]), IDC_OK);
        char *s = idc_dq_fmpq_get_str(q);
        ck_assert_str_eq(s, canon[i]);
        free(s);
    }
    static const char *bad[] = {"",    "-",    "1/",  "/2",   "1/0",   "+1", " 1",  "1 ",
                                "1.5", "1/-2", "--1", "0x10", "1/2/3", "a",  "1e5", "-/3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fmpq_set_si(q, 5, 1);
        ck_assert_msg(idc_dq_fmpq_set_str(q, bad[i]) == IDC_EINVAL, "accepted \"%s\"", bad[i]);
        ck_assert(fmpq_is_zero(q));
    }
    ck_assert_int_eq(idc_dq_fmpq_set_str(q, NULL), IDC_EINVAL);
    /* round trip of random doubles through strings, and exact comparison */
    uint64_t seed = idc_test_seed(0xd0c0fff0);
    IDC_TEST_PRINT_SEED("test_strings", seed);
    idc_rng s = idc_rng_stream(seed, 0, IDC_PURPOSE_SEARCH);
    for (uint64_t k = 0; k < 5000; k++) {
        double x = from_bits(idc_rng_u64(s, k));
        if (!isfinite(x))
            continue;
        char *str = idc_dq_get_str_d(x);
        ck_assert_int_eq(idc_dq_fmpq_set_str(q, str), IDC_OK);
        ck_assert_int_eq(idc_dq_fmpq_set_d(r, x), IDC_OK);
        ck_assert(fmpq_equal(q, r));
        int c;
        ck_assert_int_eq(idc_dq_fmpq_cmp_d(&c, q, x), IDC_OK);
        ck_assert_int_eq(c, 0);
        ck_assert_int_eq(idc_dq_fmpq_cmp_d(&c, q, nextafter(x, INFINITY)), IDC_OK);
        ck_assert_int_eq(c, -1);
        ck_assert_int_eq(idc_dq_fmpq_cmp_d(&c, q, nextafter(x, -INFINITY)), IDC_OK);
        ck_assert_int_eq(c, 1);
        free(str);
    }
    fmpq_clear(q);
    fmpq_clear(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dq");
    const idc_test_case cases[] = {
        {"test_known_values", test_known_values},
        {"test_nonfinite_rejected", test_nonfinite_rejected},
        {"test_random_bits_vs_gmp", test_random_bits_vs_gmp},
        {"test_scalings", test_scalings},
        {"test_nmod", test_nmod},
        {"test_strings", test_strings},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 120);
    return idc_test_run(s);
}
