/* Tests of numeric/qspace.h against dimension identities, and of the new
 * annihilator / solve / mod-p echelon routines against independent
 * computations (matrix products, nmod_mat_rank, the Fredholm alternative). */
#include <flint/nmod_mat.h>

#include "numeric/qspace.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

static void fill(fmpq_mat_t X, idc_rng s, uint64_t *k)
{
    for (slong i = 0; i < X->r; i++)
        for (slong j = 0; j < X->c; j++) {
            slong num = (slong)idc_rng_below(s, (*k)++, 7) - 3;
            ulong den = (ulong)(1 + idc_rng_below(s, (*k)++, 4));
            fmpq_set_si(fmpq_mat_entry(X, i, j), num, den);
        }
}

START_TEST(test_dimension_formula)
{
    uint64_t seed = idc_test_seed(0x9a5e);
    IDC_TEST_PRINT_SEED("test_dimension_formula", seed);
    idc_rng s = idc_rng_stream(seed, 0, IDC_PURPOSE_SEARCH);
    uint64_t k = 0;
    for (int trial = 0; trial < 200; trial++) {
        slong m = 1 + (slong)idc_rng_below(s, k++, 5), a = (slong)idc_rng_below(s, k++, 5),
              b = (slong)idc_rng_below(s, k++, 5);
        fmpq_mat_t X, Y, S, I;
        fmpq_mat_init(X, m, a);
        fmpq_mat_init(Y, m, b);
        fill(X, s, &k);
        fill(Y, s, &k);
        if (a > 1 && idc_rng_below(s, k++, 2)) /* a dependent column now and then */
            for (slong i = 0; i < m; i++)
                fmpq_add(fmpq_mat_entry(X, i, a - 1), fmpq_mat_entry(X, i, 0), fmpq_mat_entry(X, i, 0));
        idc_qspace_sum(S, X, Y);
        idc_qspace_intersect(I, X, Y);
        /* dim(X ∩ Y) = dim X + dim Y - dim(X + Y), and X ∩ Y lies in both */
        slong dx = idc_qspace_dim(X), dy = idc_qspace_dim(Y), ds = idc_qspace_dim(S), di = idc_qspace_dim(I);
        fmpq_mat_t XI, YI;
        idc_qspace_sum(XI, X, I);
        idc_qspace_sum(YI, Y, I);
        if (di != dx + dy - ds || idc_qspace_dim(XI) != dx || idc_qspace_dim(YI) != dy)
            IDC_TEST_FAIL_REPLAY("test_dimension_formula", seed, "trial %d: dims %ld %ld %ld %ld", trial, (long)dx,
                                 (long)dy, (long)ds, (long)di);
        fmpq_mat_clear(X);
        fmpq_mat_clear(Y);
        fmpq_mat_clear(S);
        fmpq_mat_clear(I);
        fmpq_mat_clear(XI);
        fmpq_mat_clear(YI);
    }
}
END_TEST

START_TEST(test_fredholm)
{
    /* x + y = 1, x + y = 2: inconsistent; x + y = 1, x - y = 0: solvable */
    fmpq_mat_t A, b, w;
    fmpq_mat_init(A, 2, 2);
    fmpq_mat_init(b, 2, 1);
    fmpq_mat_init(w, 2, 1);
    fmpq_set_si(fmpq_mat_entry(A, 0, 0), 1, 1);
    fmpq_set_si(fmpq_mat_entry(A, 0, 1), 1, 1);
    fmpq_set_si(fmpq_mat_entry(A, 1, 0), 1, 1);
    fmpq_set_si(fmpq_mat_entry(A, 1, 1), 1, 1);
    fmpq_set_si(fmpq_mat_entry(b, 0, 0), 1, 1);
    fmpq_set_si(fmpq_mat_entry(b, 1, 0), 2, 1);
    ck_assert(idc_qspace_fredholm(w, A, b));
    fmpq_t s;
    fmpq_init(s);
    for (slong k = 0; k < 2; k++) {
        fmpq_zero(s);
        for (slong i = 0; i < 2; i++)
            fmpq_addmul(s, fmpq_mat_entry(w, i, 0), fmpq_mat_entry(A, i, k));
        ck_assert(fmpq_is_zero(s));
    }
    fmpq_zero(s);
    for (slong i = 0; i < 2; i++)
        fmpq_addmul(s, fmpq_mat_entry(w, i, 0), fmpq_mat_entry(b, i, 0));
    ck_assert(!fmpq_is_zero(s));
    fmpq_set_si(fmpq_mat_entry(A, 1, 1), -1, 1);
    ck_assert(!idc_qspace_fredholm(w, A, b));
    fmpq_clear(s);
    fmpq_mat_clear(A);
    fmpq_mat_clear(b);
    fmpq_mat_clear(w);
}
END_TEST

/* N^T X = 0, N has full column rank m - dim X. */
START_TEST(test_annihilator)
{
    uint64_t seed = idc_test_seed(0xa2217);
    IDC_TEST_PRINT_SEED("test_annihilator", seed);
    idc_rng s = idc_rng_stream(seed, 0, IDC_PURPOSE_SEARCH);
    uint64_t k = 0;
    for (int trial = 0; trial < 200; trial++) {
        slong m = 1 + (slong)idc_rng_below(s, k++, 6), c = (slong)idc_rng_below(s, k++, 6);
        fmpq_mat_t X, P, Nq;
        fmpq_mat_init(X, m, c);
        fill(X, s, &k);
        if (c > 1 && idc_rng_below(s, k++, 2))
            for (slong i = 0; i < m; i++)
                fmpq_mul_si(fmpq_mat_entry(X, i, c - 1), fmpq_mat_entry(X, i, 0), -3);
        fmpz_mat_t N;
        slong d = idc_qspace_dim(X), nn = idc_qspace_annihilator(N, X);
        fmpq_mat_init(Nq, m, nn);
        fmpq_mat_set_fmpz_mat(Nq, N);
        int ok = nn == m - d && N->r == m && N->c == nn && (nn == 0 || fmpz_mat_rank(N) == nn);
        if (ok && nn > 0 && c > 0) {
            fmpq_mat_t Nt;
            fmpq_mat_init(Nt, nn, m);
            fmpq_mat_transpose(Nt, Nq);
            fmpq_mat_init(P, nn, c);
            fmpq_mat_mul(P, Nt, X);
            ok = fmpq_mat_is_zero(P);
            fmpq_mat_clear(P);
            fmpq_mat_clear(Nt);
        }
        if (!ok)
            IDC_TEST_FAIL_REPLAY("test_annihilator", seed, "trial %d: m=%ld dim=%ld nn=%ld", trial, (long)m, (long)d,
                                 (long)nn);
        fmpz_mat_clear(N);
        fmpq_mat_clear(Nq);
        fmpq_mat_clear(X);
    }
}
END_TEST

/* Consistent systems (b = A x0) are solved with A x = b; random right-hand
 * sides are solvable exactly when the Fredholm alternative finds no w. */
START_TEST(test_solve)
{
    uint64_t seed = idc_test_seed(0x501e);
    IDC_TEST_PRINT_SEED("test_solve", seed);
    idc_rng s = idc_rng_stream(seed, 0, IDC_PURPOSE_SEARCH);
    uint64_t k = 0;
    for (int trial = 0; trial < 200; trial++) {
        slong M = (slong)idc_rng_below(s, k++, 6), n = (slong)idc_rng_below(s, k++, 6);
        fmpq_mat_t A, x0, b, x, Ax, w;
        fmpq_mat_init(A, M, n);
        fmpq_mat_init(x0, n, 1);
        fmpq_mat_init(b, M, 1);
        fmpq_mat_init(x, n, 1);
        fmpq_mat_init(Ax, M, 1);
        fmpq_mat_init(w, M, 1);
        fill(A, s, &k);
        fill(x0, s, &k);
        if (M > 1 && idc_rng_below(s, k++, 2)) /* a repeated row: rank deficiency */
            for (slong j = 0; j < n; j++)
                fmpq_set(fmpq_mat_entry(A, M - 1, j), fmpq_mat_entry(A, 0, j));
        if (M > 0 && n > 0)
            fmpq_mat_mul(b, A, x0);
        int ok = idc_qspace_solve(x, A, b);
        if (ok && M > 0 && n > 0) {
            fmpq_mat_mul(Ax, A, x);
            ok = fmpq_mat_equal(Ax, b);
        }
        if (!ok)
            IDC_TEST_FAIL_REPLAY("test_solve", seed, "trial %d: consistent system not solved", trial);
        fill(b, s, &k);
        int solvable = idc_qspace_solve(x, A, b);
        int fred = idc_qspace_fredholm(w, A, b);
        if (solvable == fred)
            IDC_TEST_FAIL_REPLAY("test_solve", seed, "trial %d: solve %d, fredholm %d", trial, solvable, fred);
        if (solvable && M > 0 && n > 0) {
            fmpq_mat_mul(Ax, A, x);
            if (!fmpq_mat_equal(Ax, b))
                IDC_TEST_FAIL_REPLAY("test_solve", seed, "trial %d: wrong solution", trial);
        }
        fmpq_mat_clear(A);
        fmpq_mat_clear(x0);
        fmpq_mat_clear(b);
        fmpq_mat_clear(x);
        fmpq_mat_clear(Ax);
        fmpq_mat_clear(w);
    }
}
END_TEST

/* The echelon accumulator against nmod_mat_rank: rank after each add,
 * contains iff the rank would not grow, kernel vectors orthogonal to every
 * added vector and m - rank of them, set and zero. */
START_TEST(test_nech)
{
    uint64_t seed = idc_test_seed(0xec40);
    IDC_TEST_PRINT_SEED("test_nech", seed);
    idc_rng s = idc_rng_stream(seed, 0, IDC_PURPOSE_SEARCH);
    uint64_t k = 0;
    const mp_limb_t primes[2] = {7, UWORD(1125899906842679)}; /* a small one makes dependencies common */
    for (int trial = 0; trial < 300; trial++) {
        mp_limb_t p = primes[trial % 2];
        slong m = (slong)idc_rng_below(s, k++, 7), nv = (slong)idc_rng_below(s, k++, 9);
        idc_qspace_nech_t E, F;
        idc_qspace_nech_init(E, m, p);
        idc_qspace_nech_init(F, m, p);
        nmod_mat_t all;
        nmod_mat_init(all, nv, m, p);
        mp_limb_t *v = flint_calloc((size_t)(m + 1), sizeof(mp_limb_t)), *tmp = flint_calloc((size_t)(m + 1), sizeof(mp_limb_t));
        int ok = 1;
        for (slong r = 0; r < nv && ok; r++) {
            for (slong i = 0; i < m; i++)
                v[i] = (mp_limb_t)idc_rng_below(s, k++, p < 8 ? p : 5);
            if (r > 0 && idc_rng_below(s, k++, 3) == 0) /* a combination of earlier vectors */
                for (slong i = 0; i < m; i++)
                    v[i] = nmod_add(nmod_mat_entry(all, 0, i), nmod_mat_entry(all, r - 1, i), E->mod);
            int inside = idc_qspace_nech_contains(E, v, tmp);
            slong before = E->rank;
            int grew = idc_qspace_nech_add(E, v);
            for (slong i = 0; i < m; i++)
                nmod_mat_entry(all, r, i) = v[i];
            nmod_mat_t pre;
            nmod_mat_window_init(pre, all, 0, 0, r + 1, m);
            nmod_mat_t cp;
            nmod_mat_init_set(cp, pre);
            slong rk = m > 0 ? nmod_mat_rank(cp) : 0;
            nmod_mat_clear(cp);
            nmod_mat_window_clear(pre);
            ok = rk == E->rank && grew == (E->rank == before + 1) && inside == !grew &&
                 idc_qspace_nech_contains(E, v, tmp);
        }
        /* kernel */
        mp_limb_t *K = flint_calloc((size_t)(m * m + 1), sizeof(mp_limb_t));
        slong nk = idc_qspace_nech_kernel(K, E);
        ok = ok && nk == m - E->rank;
        for (slong q = 0; q < nk && ok; q++)
            for (slong r = 0; r < nv && ok; r++) {
                mp_limb_t dot = 0;
                for (slong i = 0; i < m; i++)
                    dot = nmod_add(dot, nmod_mul(K[q * m + i], nmod_mat_entry(all, r, i), E->mod), E->mod);
                ok = dot == 0;
            }
        idc_qspace_nech_set(F, E);
        ok = ok && F->rank == E->rank;
        for (slong r = 0; r < nv && ok; r++)
            ok = idc_qspace_nech_contains(F, all->rows[r], tmp);
        idc_qspace_nech_zero(F);
        ok = ok && F->rank == 0;
        if (!ok)
            IDC_TEST_FAIL_REPLAY("test_nech", seed, "trial %d: m=%ld vectors=%ld p=%lu", trial, (long)m, (long)nv,
                                 (unsigned long)p);
        flint_free(K);
        flint_free(v);
        flint_free(tmp);
        nmod_mat_clear(all);
        idc_qspace_nech_clear(E);
        idc_qspace_nech_clear(F);
    }
}
END_TEST

int main(void)
{
    const idc_test_case cases[] = {
        {"test_dimension_formula", test_dimension_formula},
        {"test_fredholm", test_fredholm},
        {"test_annihilator", test_annihilator},
        {"test_solve", test_solve},
        {"test_nech", test_nech},
    };
    Suite *s = suite_create("qspace");
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 15);
    return idc_test_run(s);
}
