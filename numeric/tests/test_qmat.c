/* Tests of numeric/qmat.h: exact PSD (against brute-force principal
 * minors), witnesses v^T A v < 0, ranks (fmpz vs fmpq_mat_rref), modular
 * minor certificates (recomputed exactly over Q), kernel vectors. */
#include <float.h>
#include <math.h>
#include <string.h>

#include <flint/fmpq_mat.h>

#include "numeric/dq.h"
#include "numeric/qmat.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

/* Reference: A is PSD iff every principal minor is >= 0 (m <= 6). */
static int psd_by_minors(const fmpq_mat_t A)
{
    slong m = A->r;
    for (unsigned long mask = 1; mask < (1ul << m); mask++) {
        slong idx[8], k = 0;
        for (slong i = 0; i < m; i++)
            if (mask & (1ul << i))
                idx[k++] = i;
        fmpq_mat_t S;
        fmpq_mat_init(S, k, k);
        for (slong a = 0; a < k; a++)
            for (slong b = 0; b < k; b++)
                fmpq_set(fmpq_mat_entry(S, a, b), fmpq_mat_entry(A, idx[a], idx[b]));
        fmpq_t d;
        fmpq_init(d);
        fmpq_mat_det(d, S);
        int neg = fmpq_sgn(d) < 0;
        fmpq_clear(d);
        fmpq_mat_clear(S);
        if (neg)
            return 0;
    }
    return 1;
}

static void quad(fmpq_t q, const fmpq_mat_t A, const fmpq_mat_t v)
{
    fmpq_zero(q);
    for (slong i = 0; i < A->r; i++)
        for (slong j = 0; j < A->c; j++) {
            fmpq_t t;
            fmpq_init(t);
            fmpq_mul(t, fmpq_mat_entry(A, i, j), fmpq_mat_entry(v, i, 0));
            fmpq_addmul(q, t, fmpq_mat_entry(v, j, 0));
            fmpq_clear(t);
        }
}

START_TEST(test_psd_known)
{
    static const struct {
        size_t m;
        double a[9];
        int psd;
        size_t bad;
    } table[] = {
        {1, {0}, 1, 0},
        {1, {-0x1p-1074}, 0, 0},
        {2, {1, 0, 0, 1}, 1, 0},
        {2, {1, 2, 2, 1}, 0, 1},        /* negative second pivot */
        {2, {0, 1, 1, 0}, 0, 0},        /* zero pivot, nonzero row */
        {2, {0, 0, 0, 1}, 1, 0},        /* zero row skipped */
        {2, {1, 1, 1, 1}, 1, 0},        /* singular PSD */
        {2, {1, 0.5, 0.5, 0.25}, 1, 0}, /* rank one, dyadic */
        {3, {1, 1, 0, 1, 1, 0, 0, 0, -1}, 0, 2},
        {3, {1e300, 0, 0, 0, 1e-300, 0, 0, 0, 0x1p-1074}, 1, 0}, /* huge spread */
        {2, {1, 0.1, 0.1, 0.01}, 0, 1},                          /* 0.1^2 != 0.01 in doubles: exact det < 0 */
        {2, {1, 2, 3, 4}, 0, 0},                                 /* not symmetric */
    };
    idc_err err;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        int psd = -1;
        size_t bad = 99;
        ck_assert_int_eq(idc_qmat_psd_d(&psd, &bad, table[i].a, table[i].m, &err), IDC_OK);
        ck_assert_msg(psd == table[i].psd, "case %zu: psd=%d", i, psd);
        if (!psd)
            ck_assert_msg(bad == table[i].bad, "case %zu: bad=%zu", i, bad);
    }
    double nan[4] = {1, NAN, NAN, 1};
    int psd;
    size_t bad;
    ck_assert_int_eq(idc_qmat_psd_d(&psd, &bad, nan, 2, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "[0][1]") != NULL);
    double inf[1] = {INFINITY};
    ck_assert_int_eq(idc_qmat_psd_d(&psd, &bad, inf, 1, NULL), IDC_EINVAL);
    ck_assert_int_eq(idc_qmat_psd_d(&psd, &bad, inf, 0, &err), IDC_OK);
    ck_assert_int_eq(psd, 1);
    /* 0.1 * 0.1 vs 0.01: the classic case that floating point misjudges */
    ck_assert(0.1 * 0.1 != 0.01);
    size_t bi = 0, bj = 0;
    const double ns[4] = {1, 2, 3, 4};
    ck_assert_int_eq(idc_qmat_symmetric_d(&bi, &bj, ns, 2), 0);
    ck_assert(bi == 0 && bj == 1);
    ck_assert_int_eq(idc_qmat_symmetric_d(NULL, NULL, table[2].a, 2), 1);
}
END_TEST

/* Random symmetric integer matrices (entries in -3..3, m <= 5): the
 * elimination agrees with all principal minors; failing cases come with
 * v^T A v < 0; PSD ones with pivots whose product is det. */
START_TEST(test_psd_random)
{
    const char *name = "test_psd_random";
    uint64_t seed = idc_test_seed(0x95d0001);
    IDC_TEST_PRINT_SEED(name, seed);
    for (uint32_t trial = 0; trial < 3000; trial++) {
        idc_rng s = idc_rng_stream(seed, trial, IDC_PURPOSE_SEARCH);
        slong m = 1 + (slong)idc_rng_below(s, 0, 5);
        int gram = trial % 2; /* half: B B^T, PSD and often singular */
        fmpq_mat_t A, B, BT, v;
        fmpq_mat_init(A, m, m);
        fmpq_mat_init(v, m, 1);
        uint64_t k = 1;
        if (gram) {
            slong r = (slong)idc_rng_below(s, k++, (uint64_t)m + 1);
            fmpq_mat_init(B, m, r);
            fmpq_mat_init(BT, r, m);
            for (slong i = 0; i < m; i++)
                for (slong j = 0; j < r; j++)
                    fmpq_set_si(fmpq_mat_entry(B, i, j), (slong)idc_rng_below(s, k++, 5) - 2, 1);
            fmpq_mat_transpose(BT, B);
            fmpq_mat_mul(A, B, BT);
            fmpq_mat_clear(B);
            fmpq_mat_clear(BT);
        } else {
            for (slong i = 0; i < m; i++)
                for (slong j = i; j < m; j++) {
                    slong x = (slong)idc_rng_below(s, k++, 7) - 3;
                    fmpq_set_si(fmpq_mat_entry(A, i, j), x, (ulong)(1 + (k % 3 == 0)));
                    fmpq_set(fmpq_mat_entry(A, j, i), fmpq_mat_entry(A, i, j));
                }
        }
        fmpq *piv = _fmpq_vec_init(m);
        int psd = -1;
        slong bad = -2;
        ck_assert_int_eq(idc_qmat_psd(&psd, &bad, piv, v, A), IDC_OK);
        int ref = psd_by_minors(A);
        if (psd != ref)
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u m=%ld: elimination says %d, minors say %d", trial,
                                 (long)m, psd, ref);
        if (gram && !psd)
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: a Gram matrix judged not PSD", trial);
        if (!psd) {
            fmpq_t q;
            fmpq_init(q);
            quad(q, A, v);
            if (fmpq_sgn(q) >= 0)
                IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: witness has v^T A v >= 0", trial);
            fmpq_clear(q);
        } else {
            /* product of the pivots = det (zero pivots only when singular) */
            fmpq_t d, pr;
            fmpq_init(d);
            fmpq_init(pr);
            fmpq_one(pr);
            for (slong i = 0; i < m; i++)
                fmpq_mul(pr, pr, piv + i);
            fmpq_mat_det(d, A);
            if (!fmpq_equal(d, pr))
                IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: product of pivots != det", trial);
            fmpq_clear(d);
            fmpq_clear(pr);
        }
        /* the double interface agrees (entries are dyadic) */
        double ad[25];
        for (slong i = 0; i < m; i++)
            for (slong j = 0; j < m; j++)
                ad[i * m + j] = fmpq_get_d(fmpq_mat_entry(A, i, j));
        int psd2;
        size_t bad2;
        ck_assert_int_eq(idc_qmat_psd_d(&psd2, &bad2, ad, (size_t)m, NULL), IDC_OK);
        ck_assert_int_eq(psd2, psd);
        if (!psd)
            ck_assert_int_eq((slong)bad2, bad);
        _fmpq_vec_clear(piv, m);
        fmpq_mat_clear(A);
        fmpq_mat_clear(v);
    }
}
END_TEST

START_TEST(test_psd_errors)
{
    fmpq_mat_t A;
    fmpq_mat_init(A, 2, 3);
    int psd;
    slong bad;
    ck_assert_int_eq(idc_qmat_psd(&psd, &bad, NULL, NULL, A), IDC_EDOM);
    fmpq_mat_clear(A);
    fmpq_mat_init(A, 2, 2);
    fmpq_set_si(fmpq_mat_entry(A, 0, 1), 1, 1);
    ck_assert_int_eq(idc_qmat_psd(&psd, &bad, NULL, NULL, A), IDC_EDOM);
    fmpq_mat_clear(A);
    fmpq_mat_init(A, 0, 0);
    ck_assert_int_eq(idc_qmat_psd(&psd, &bad, NULL, NULL, A), IDC_OK);
    ck_assert_int_eq(psd, 1);
    fmpq_mat_clear(A);
}
END_TEST

/* Rank of B*C (dyadic entries, product exact in doubles) is the inner
 * dimension; fmpz row scaling vs fmpq_mat_rref agree; a rounded product of
 * Gaussian matrices has full exact rank (CERTIFICATES.md §0). */
START_TEST(test_rank)
{
    const char *name = "test_rank";
    uint64_t seed = idc_test_seed(0x4a4e0001);
    IDC_TEST_PRINT_SEED(name, seed);
    for (uint32_t trial = 0; trial < 200; trial++) {
        idc_rng s = idc_rng_stream(seed, trial, IDC_PURPOSE_SEARCH);
        size_t r = 1 + idc_rng_below(s, 0, 8), c = 1 + idc_rng_below(s, 1, 8), k = idc_rng_below(s, 2, 9);
        double *B = calloc(r * (k ? k : 1), sizeof *B), *C = calloc((k ? k : 1) * c, sizeof *C),
               *P = calloc(r * c, sizeof *P);
        uint64_t d = 3;
        for (size_t i = 0; i < r * k; i++)
            B[i] = ldexp((double)idc_rng_below(s, d++, 33) - 16.0, -3);
        for (size_t i = 0; i < k * c; i++)
            C[i] = (double)idc_rng_below(s, d++, 17) - 8.0;
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < c; j++)
                for (size_t t = 0; t < k; t++)
                    P[i * c + j] += B[i * k + t] * C[t * c + j]; /* exact: small dyadics */
        slong rk;
        ck_assert_int_eq(idc_qmat_rank_d(&rk, P, r, c), IDC_OK);
        fmpq_mat_t Q, R;
        fmpq_mat_init(Q, (slong)r, (slong)c);
        fmpq_mat_init(R, (slong)r, (slong)c);
        ck_assert_int_eq(idc_dq_fmpq_mat_set_d(Q, P, r, c), IDC_OK);
        slong rk2 = fmpq_mat_rref(R, Q);
        if (rk != rk2 || idc_qmat_rank(Q) != rk)
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: ranks %ld / %ld / %ld", trial, (long)rk, (long)rk2,
                                 (long)idc_qmat_rank(Q));
        ck_assert_int_le(rk, (slong)k);
        fmpq_mat_clear(Q);
        fmpq_mat_clear(R);
        free(B);
        free(C);
        free(P);
    }
    /* 64x30 * 30x40 with Gaussian entries, product rounded: exact rank 40 */
    idc_rng g = idc_rng_stream(seed, 999, IDC_PURPOSE_SEARCH);
    double *B = calloc(64 * 30, sizeof *B), *C = calloc(30 * 40, sizeof *C), *P = calloc(64 * 40, sizeof *P);
    idc_rng_normal_fill(B, 64 * 30, g, 0);
    idc_rng_normal_fill(C, 30 * 40, g, 64 * 30);
    for (size_t i = 0; i < 64; i++)
        for (size_t j = 0; j < 40; j++)
            for (size_t t = 0; t < 30; t++)
                P[i * 40 + j] += B[i * 30 + t] * C[t * 40 + j];
    slong rk;
    ck_assert_int_eq(idc_qmat_rank_d(&rk, P, 64, 40), IDC_OK);
    ck_assert_int_eq(rk, 40);
    free(B);
    free(C);
    free(P);
    double nan[2] = {1, NAN};
    ck_assert_int_eq(idc_qmat_rank_d(&rk, nan, 1, 2), IDC_EINVAL);
    ck_assert_int_eq(idc_qmat_rank_d(&rk, nan, 0, 2), IDC_OK);
    ck_assert_int_eq(rk, 0);
}
END_TEST

/* Minors found mod p are nonzero over Q (fmpq_mat_det); rank-deficient
 * targets are refused; the kernel vector is a kernel vector. */
START_TEST(test_minor_and_kernel)
{
    const char *name = "test_minor_and_kernel";
    uint64_t seed = idc_test_seed(0x4a4e0002);
    IDC_TEST_PRINT_SEED(name, seed);
    for (uint32_t trial = 0; trial < 300; trial++) {
        idc_rng s = idc_rng_stream(seed, trial, IDC_PURPOSE_SEARCH);
        slong r = 1 + (slong)idc_rng_below(s, 0, 7), c = 1 + (slong)idc_rng_below(s, 1, 7);
        slong k = (slong)idc_rng_below(s, 2, 8);
        fmpq_mat_t A, B, C;
        fmpq_mat_init(A, r, c);
        fmpq_mat_init(B, r, k);
        fmpq_mat_init(C, k, c);
        uint64_t d = 3;
        for (slong i = 0; i < r; i++)
            for (slong j = 0; j < k; j++)
                fmpq_set_si(fmpq_mat_entry(B, i, j), (slong)idc_rng_below(s, d++, 9) - 4, 1);
        for (slong i = 0; i < k; i++)
            for (slong j = 0; j < c; j++) {
                slong num = (slong)idc_rng_below(s, d++, 9) - 4;
                fmpq_set_si(fmpq_mat_entry(C, i, j), num, 1ul << (d % 4));
            }
        if (k > 0)
            fmpq_mat_mul(A, B, C);
        slong rank = idc_qmat_rank(A);
        slong target = c < r ? c : r;
        slong rows[8], cols[8];
        int found = -1;
        mp_limb_t p = 0;
        ck_assert_int_eq(idc_qmat_minor_find(&found, &p, rows, cols, A, target), IDC_OK);
        if (found != (rank >= target))
            IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: found=%d but rank %ld, target %ld", trial, found,
                                 (long)rank, (long)target);
        if (found) {
            fmpq_mat_t S;
            fmpq_t det;
            fmpq_mat_init(S, target, target);
            fmpq_init(det);
            for (slong a = 0; a < target; a++) {
                if (a > 0)
                    ck_assert(rows[a] > rows[a - 1] && cols[a] > cols[a - 1]);
                for (slong b = 0; b < target; b++)
                    fmpq_set(fmpq_mat_entry(S, a, b), fmpq_mat_entry(A, rows[a], cols[b]));
            }
            fmpq_mat_det(det, S);
            if (fmpq_is_zero(det))
                IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: certified minor is zero over Q", trial);
            ck_assert(n_is_prime(p) && p > (UWORD(1) << 50) && p < (UWORD(1) << 53));
            fmpq_mat_clear(S);
            fmpq_clear(det);
        }
        /* kernel */
        fmpz_mat_t v;
        fmpz_mat_init(v, c, 1);
        int kf = -1;
        ck_assert_int_eq(idc_qmat_kernel_vector(&kf, v, A), IDC_OK);
        ck_assert_int_eq(kf, rank < c);
        if (kf) {
            fmpq_mat_t vq, Av;
            fmpq_mat_init(vq, c, 1);
            fmpq_mat_init(Av, r, 1);
            fmpq_mat_set_fmpz_mat(vq, v);
            fmpq_mat_mul(Av, A, vq);
            if (!fmpq_mat_is_zero(Av) || fmpq_mat_is_zero(vq))
                IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: not a nonzero kernel vector", trial);
            fmpq_mat_clear(vq);
            fmpq_mat_clear(Av);
        }
        fmpz_mat_clear(v);
        /* pivots mod p agree with nmod_mat_rank */
        nmod_mat_t Am;
        nmod_mat_init(Am, r, c, idc_qmat_prime(0));
        ck_assert_int_eq(idc_qmat_get_nmod_mat(Am, A), IDC_OK);
        ck_assert_int_eq(idc_qmat_nmod_pivots(rows, cols, Am), nmod_mat_rank(Am));
        nmod_mat_clear(Am);
        fmpq_mat_clear(A);
        fmpq_mat_clear(B);
        fmpq_mat_clear(C);
    }
}
END_TEST

/* A minor that vanishes mod the first prime but not over Q: the next prime
 * certifies it. Zero matrices and bad targets. */
START_TEST(test_minor_edge)
{
    mp_limb_t p0 = idc_qmat_prime(0);
    ck_assert(idc_qmat_prime(1) > p0 && n_is_prime(idc_qmat_prime(1)));
    fmpq_mat_t A;
    fmpq_mat_init(A, 2, 2);
    fmpz_set_ui(fmpq_mat_entry_num(A, 0, 0), p0);
    fmpq_one(fmpq_mat_entry(A, 1, 1));
    slong rows[2], cols[2];
    int found;
    mp_limb_t p;
    ck_assert_int_eq(idc_qmat_minor_find(&found, &p, rows, cols, A, 2), IDC_OK);
    ck_assert_int_eq(found, 1);
    ck_assert(p != p0);
    ck_assert_int_eq(idc_qmat_minor_find(&found, &p, rows, cols, A, 3), IDC_EINVAL);
    ck_assert_int_eq(idc_qmat_minor_find(&found, &p, rows, cols, A, 0), IDC_OK);
    ck_assert_int_eq(found, 1);
    fmpq_mat_zero(A);
    ck_assert_int_eq(idc_qmat_minor_find(&found, &p, rows, cols, A, 1), IDC_OK);
    ck_assert_int_eq(found, 0);
    fmpz_mat_t v;
    fmpz_mat_init(v, 2, 1);
    ck_assert_int_eq(idc_qmat_kernel_vector(&found, v, A), IDC_OK);
    ck_assert_int_eq(found, 1);
    fmpz_mat_clear(v);
    fmpq_mat_clear(A);
    /* a denominator divisible by the prime: that prime is skipped */
    fmpq_mat_init(A, 1, 1);
    fmpz_set_ui(fmpq_mat_entry_den(A, 0, 0), p0);
    fmpz_one(fmpq_mat_entry_num(A, 0, 0));
    ck_assert_int_eq(idc_qmat_minor_find(&found, &p, rows, cols, A, 1), IDC_OK);
    ck_assert(found == 1 && p != p0);
    fmpq_mat_clear(A);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qmat");
    const idc_test_case cases[] = {
        {"test_psd_known", test_psd_known},
        {"test_psd_random", test_psd_random},
        {"test_psd_errors", test_psd_errors},
        {"test_rank", test_rank},
        {"test_minor_and_kernel", test_minor_and_kernel},
        {"test_minor_edge", test_minor_edge},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 120);
    return idc_test_run(s);
}
