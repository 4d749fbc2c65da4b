/* Exact rational matrix helpers (see qmat.h). */
#include "numeric/qmat.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <flint/fmpz_vec.h>
#include <flint/nmod_vec.h>
#include <flint/ulong_extras.h>

#include "numeric/dq.h"

/* ---- primes ------------------------------------------------------------ */

static mp_limb_t prime_table[IDC_QMAT_PRIME_MAX];
static pthread_once_t prime_once = PTHREAD_ONCE_INIT;

static void prime_init(void)
{
    mp_limb_t p = UWORD(1) << 50;
    for (size_t k = 0; k < IDC_QMAT_PRIME_MAX; k++) {
        p = n_nextprime(p, 1);
        prime_table[k] = p;
    }
}

mp_limb_t idc_qmat_prime(size_t k)
{
    pthread_once(&prime_once, prime_init);
    return prime_table[k < IDC_QMAT_PRIME_MAX ? k : IDC_QMAT_PRIME_MAX - 1];
}

/* ---- symmetry ---------------------------------------------------------- */

int idc_qmat_symmetric_d(size_t *bi, size_t *bj, const double *A, size_t m)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++)
            if (!(A[i * m + j] == A[j * m + i])) {
                if (bi != NULL)
                    *bi = i;
                if (bj != NULL)
                    *bj = j;
                return 0;
            }
    return 1;
}

int idc_qmat_symmetric(slong *bi, slong *bj, const fmpq_mat_t A)
{
    if (A->r != A->c)
        return 0;
    for (slong i = 0; i < A->r; i++)
        for (slong j = i + 1; j < A->c; j++)
            if (!fmpq_equal(fmpq_mat_entry(A, i, j), fmpq_mat_entry(A, j, i))) {
                if (bi != NULL)
                    *bi = i;
                if (bj != NULL)
                    *bj = j;
                return 0;
            }
    return 1;
}

/* ---- PSD: fraction-free symmetric elimination -------------------------- */

/* Runs the elimination on the upper triangle of the symmetric integer
 * matrix M (modified). With U the pivots used so far and P = det M[U,U]
 * (> 0), the entry (i, j), i <= j, of M after processing U is
 * det M[U+i, U+j] = P * S_ij with S the Schur complement (Sylvester's
 * identity), so every division below is exact and signs are those of S.
 * Returns 1 (PSD) or 0 with *bad = k, *partner = -1 for a negative pivot
 * or the index i > k of a nonzero entry next to a zero pivot. dnum[k] and
 * dprev[k] (optional, m fmpz each) receive M_kk and P at step k, so that
 * the Schur pivot is dnum[k] / dprev[k] (0 for skipped indices). On
 * failure *prev = P at the failing step and row k of M is intact. */
static int psd_core(slong *bad, slong *partner, fmpz_t prev, fmpz *dnum, fmpz *dprev, fmpz_mat_t M)
{
    slong m = M->r;
    fmpz_t t;
    fmpz_init(t);
    fmpz_one(prev);
    int ok = 1;
    for (slong k = 0; k < m && ok; k++) {
        const fmpz *d = fmpz_mat_entry(M, k, k);
        if (dnum != NULL) {
            fmpz_set(dnum + k, d);
            fmpz_set(dprev + k, prev);
        }
        int s = fmpz_sgn(d);
        if (s < 0) {
            *bad = k;
            *partner = -1;
            ok = 0;
        } else if (s == 0) {
            for (slong i = k + 1; i < m; i++)
                if (!fmpz_is_zero(fmpz_mat_entry(M, k, i))) {
                    *bad = k;
                    *partner = i;
                    ok = 0;
                    break;
                }
            /* else: row k of the Schur complement is zero, skip index k */
        } else {
            for (slong i = k + 1; i < m; i++) {
                const fmpz *mki = fmpz_mat_entry(M, k, i);
                for (slong j = i; j < m; j++) {
                    fmpz *mij = fmpz_mat_entry(M, i, j);
                    fmpz_mul(t, mki, fmpz_mat_entry(M, k, j));
                    fmpz_mul(mij, mij, d);
                    fmpz_sub(mij, mij, t);
                    fmpz_divexact(mij, mij, prev);
                }
            }
            fmpz_set(prev, d);
        }
    }
    fmpz_clear(t);
    if (ok) {
        *bad = -1;
        *partner = -1;
    }
    return ok;
}

int idc_qmat_psd_d(int *is_psd, size_t *bad, const double *A, size_t m, idc_err *err)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < m; j++)
            if (!isfinite(A[i * m + j]))
                return idc_err_set(err, IDC_EINVAL, "entry [%zu][%zu]: not a finite number", i, j);
    size_t bi = 0, bj = 0;
    if (!idc_qmat_symmetric_d(&bi, &bj, A, m)) {
        *is_psd = 0;
        *bad = bi;
        return IDC_OK;
    }
    if (m == 0) {
        *is_psd = 1;
        return IDC_OK;
    }
    fmpz_mat_t M;
    fmpz_mat_init(M, (slong)m, (slong)m);
    if (idc_dq_fmpz_mat_set_d_scaled(M, NULL, A, m, m) != IDC_OK) {
        fmpz_mat_clear(M);
        return idc_err_set(err, IDC_EINVAL, "not a finite matrix");
    }
    fmpz_t prev;
    fmpz_init(prev);
    slong b, partner;
    *is_psd = psd_core(&b, &partner, prev, NULL, NULL, M);
    if (!*is_psd)
        *bad = (size_t)b;
    fmpz_clear(prev);
    fmpz_mat_clear(M);
    return IDC_OK;
}

/* x = -A[U,U]^{-1} rhs (U given by the index list u of length nu). */
static void solve_used(fmpq_mat_t x, const fmpq_mat_t A, const slong *u, slong nu, const fmpq_mat_t rhs)
{
    fmpq_mat_t AU;
    fmpq_mat_init(AU, nu, nu);
    for (slong a = 0; a < nu; a++)
        for (slong b = 0; b < nu; b++)
            fmpq_set(fmpq_mat_entry(AU, a, b), fmpq_mat_entry(A, u[a], u[b]));
    fmpq_mat_solve(x, AU, rhs); /* AU is positive definite: nonsingular */
    fmpq_mat_neg(x, x);
    fmpq_mat_clear(AU);
}

/* v^T A v into q. */
static void quad_form(fmpq_t q, const fmpq_mat_t A, const fmpq_mat_t v)
{
    fmpq_mat_t Av;
    fmpq_mat_init(Av, A->r, 1);
    fmpq_mat_mul(Av, A, v);
    fmpq_zero(q);
    fmpq_t t;
    fmpq_init(t);
    for (slong i = 0; i < A->r; i++) {
        fmpq_mul(t, fmpq_mat_entry(v, i, 0), fmpq_mat_entry(Av, i, 0));
        fmpq_add(q, q, t);
    }
    fmpq_clear(t);
    fmpq_mat_clear(Av);
}

/* Builds v with v^T A v < 0 after psd_core failed at k (see qmat.h). den is
 * the common denominator used to make M integral, Mkk.. read from the intact
 * row k of M. */
static int psd_witness(fmpq_mat_t v, const fmpq_mat_t A, const fmpz_mat_t M, const fmpz *dnum, slong k,
                       slong partner, const fmpz_t prev, const fmpz_t den)
{
    slong m = A->r;
    slong *u = flint_malloc((size_t)(m > 0 ? m : 1) * sizeof(slong));
    slong nu = 0;
    for (slong i = 0; i < k; i++)
        if (fmpz_sgn(dnum + i) > 0)
            u[nu++] = i;
    fmpq_mat_zero(v);
    fmpq_t t, Ski, Sii;
    fmpq_init(t);
    fmpq_init(Ski);
    fmpq_init(Sii);
    if (partner < 0) {
        fmpq_one(fmpq_mat_entry(v, k, 0));
    } else {
        /* S_ki = M_ki / (prev * den), S_ii likewise; t = -(|S_ii| + 1) / (2 S_ki) */
        fmpz_t pd;
        fmpz_init(pd);
        fmpz_mul(pd, prev, den);
        fmpq_set_fmpz_frac(Ski, fmpz_mat_entry(M, k, partner), pd);
        fmpq_set_fmpz_frac(Sii, fmpz_mat_entry(M, partner, partner), pd);
        fmpz_clear(pd);
        fmpq_abs(t, Sii);
        fmpq_add_si(t, t, 1);
        fmpq_neg(t, t);
        fmpq_div(t, t, Ski);
        fmpq_div_2exp(t, t, 1);
        fmpq_set(fmpq_mat_entry(v, k, 0), t);
        fmpq_one(fmpq_mat_entry(v, partner, 0));
    }
    if (nu > 0) {
        fmpq_mat_t rhs, x;
        fmpq_mat_init(rhs, nu, 1);
        fmpq_mat_init(x, nu, 1);
        for (slong a = 0; a < nu; a++) {
            fmpq *r = fmpq_mat_entry(rhs, a, 0);
            fmpq_mul(r, fmpq_mat_entry(A, u[a], k), fmpq_mat_entry(v, k, 0));
            if (partner >= 0)
                fmpq_add(r, r, fmpq_mat_entry(A, u[a], partner));
        }
        solve_used(x, A, u, nu, rhs);
        for (slong a = 0; a < nu; a++)
            fmpq_set(fmpq_mat_entry(v, u[a], 0), fmpq_mat_entry(x, a, 0));
        fmpq_mat_clear(rhs);
        fmpq_mat_clear(x);
    }
    quad_form(t, A, v);
    int ok = fmpq_sgn(t) < 0;
    fmpq_clear(t);
    fmpq_clear(Ski);
    fmpq_clear(Sii);
    flint_free(u);
    return ok ? IDC_OK : IDC_EINTERNAL;
}

int idc_qmat_psd(int *is_psd, slong *bad, fmpq *pivots, fmpq_mat_t witness, const fmpq_mat_t A)
{
    if (A->r != A->c || !idc_qmat_symmetric(NULL, NULL, A))
        return IDC_EDOM;
    slong m = A->r;
    if (m == 0) {
        *is_psd = 1;
        *bad = -1;
        return IDC_OK;
    }
    fmpz_mat_t M;
    fmpz_t den, prev;
    fmpz_mat_init(M, m, m);
    fmpz_init(den);
    fmpz_init(prev);
    fmpq_mat_get_fmpz_mat_matwise(M, den, A);
    fmpz *dnum = _fmpz_vec_init(m), *dprev = _fmpz_vec_init(m);
    slong b, partner;
    int ok = psd_core(&b, &partner, prev, dnum, dprev, M);
    int rc = IDC_OK;
    slong last = ok ? m - 1 : b;
    if (pivots != NULL)
        for (slong k = 0; k <= last; k++) {
            /* Schur pivot of A = (dnum / dprev) / den */
            if (fmpz_is_zero(dnum + k)) {
                fmpq_zero(pivots + k);
            } else {
                fmpz_t q;
                fmpz_init(q);
                fmpz_mul(q, dprev + k, den);
                fmpq_set_fmpz_frac(pivots + k, dnum + k, q);
                fmpz_clear(q);
            }
        }
    *is_psd = ok;
    *bad = ok ? -1 : b;
    if (!ok && witness != NULL)
        rc = psd_witness(witness, A, M, dnum, b, partner, prev, den);
    _fmpz_vec_clear(dnum, m);
    _fmpz_vec_clear(dprev, m);
    fmpz_clear(den);
    fmpz_clear(prev);
    fmpz_mat_clear(M);
    return rc;
}

/* ---- rank -------------------------------------------------------------- */

slong idc_qmat_rank(const fmpq_mat_t A)
{
    if (A->r == 0 || A->c == 0)
        return 0;
    fmpz_mat_t M;
    fmpz_mat_init(M, A->r, A->c);
    fmpz *den = _fmpz_vec_init(A->r);
    fmpq_mat_get_fmpz_mat_rowwise(M, den, A);
    slong r = fmpz_mat_rank(M);
    _fmpz_vec_clear(den, A->r);
    fmpz_mat_clear(M);
    return r;
}

int idc_qmat_rank_d(slong *rank, const double *a, size_t rows, size_t cols)
{
    if (rows == 0 || cols == 0) {
        for (size_t i = 0; i < rows * cols; i++)
            if (!isfinite(a[i]))
                return IDC_EINVAL;
        *rank = 0;
        return IDC_OK;
    }
    fmpz_mat_t M;
    fmpz_mat_init(M, (slong)rows, (slong)cols);
    int rc = idc_dq_fmpz_mat_set_d_rowscaled(M, NULL, a, rows, cols);
    if (rc == IDC_OK)
        *rank = fmpz_mat_rank(M);
    fmpz_mat_clear(M);
    return rc;
}

/* ---- modular rank certificates ------------------------------------------ */

int idc_qmat_get_nmod_mat(nmod_mat_t Amod, const fmpq_mat_t A)
{
    for (slong i = 0; i < A->r; i++)
        for (slong j = 0; j < A->c; j++)
            if (idc_dq_fmpq_nmod(&nmod_mat_entry(Amod, i, j), fmpq_mat_entry(A, i, j), Amod->mod) != IDC_OK)
                return IDC_EDOM;
    return IDC_OK;
}

static int cmp_slong(const void *a, const void *b)
{
    slong x = *(const slong *)a, y = *(const slong *)b;
    return (x > y) - (x < y);
}

/* Gaussian elimination mod p recording pivots in elimination order. The
 * transformed pivot rows restricted to the first t pivot columns form an
 * upper triangular block with nonzero diagonal, and they are the original
 * pivot rows times a unit lower triangular matrix, so for every t the minor
 * Amod[rows[0..t), cols[0..t)] is nonsingular. */
static slong pivots_core(slong *rows, slong *cols, const nmod_mat_t Amod)
{
    slong r = Amod->r, c = Amod->c;
    if (r == 0 || c == 0)
        return 0;
    nmod_mat_t W;
    nmod_mat_init_set(W, Amod);
    slong *perm = flint_malloc((size_t)r * sizeof(slong));
    for (slong i = 0; i < r; i++)
        perm[i] = i;
    nmod_t mod = Amod->mod;
    slong rank = 0;
    for (slong j = 0; j < c && rank < r; j++) {
        slong piv = -1;
        for (slong i = rank; i < r; i++)
            if (nmod_mat_entry(W, i, j) != 0) {
                piv = i;
                break;
            }
        if (piv < 0)
            continue;
        if (piv != rank) {
            mp_limb_t *tr = W->rows[piv];
            W->rows[piv] = W->rows[rank];
            W->rows[rank] = tr;
            slong tp = perm[piv];
            perm[piv] = perm[rank];
            perm[rank] = tp;
        }
        mp_limb_t inv = nmod_inv(nmod_mat_entry(W, rank, j), mod);
        for (slong i = rank + 1; i < r; i++) {
            mp_limb_t e = nmod_mat_entry(W, i, j);
            if (e == 0)
                continue;
            mp_limb_t f = nmod_neg(nmod_mul(e, inv, mod), mod);
            _nmod_vec_scalar_addmul_nmod(W->rows[i] + j, W->rows[rank] + j, c - j, f, mod);
        }
        if (rows != NULL)
            rows[rank] = perm[rank];
        if (cols != NULL)
            cols[rank] = j;
        rank++;
    }
    flint_free(perm);
    nmod_mat_clear(W);
    return rank;
}

slong idc_qmat_nmod_pivots(slong *rows, slong *cols, const nmod_mat_t Amod)
{
    slong rank = pivots_core(rows, cols, Amod);
    if (rows != NULL)
        qsort(rows, (size_t)rank, sizeof(slong), cmp_slong);
    return rank;
}

/* det A[rows, cols] mod p, computed independently with nmod_mat_det. */
static mp_limb_t minor_det(const nmod_mat_t Amod, const slong *rows, const slong *cols, slong t)
{
    nmod_mat_t S;
    nmod_mat_init(S, t, t, Amod->mod.n);
    for (slong a = 0; a < t; a++)
        for (slong b = 0; b < t; b++)
            nmod_mat_entry(S, a, b) = nmod_mat_entry(Amod, rows[a], cols[b]);
    mp_limb_t d = nmod_mat_det(S);
    nmod_mat_clear(S);
    return d;
}

/* One attempt on the reduced matrix Am: 1 found, 0 not found. The first
 * target pivots of the elimination give a nonsingular minor (see
 * pivots_core), recomputed with nmod_mat_det before it is reported. */
static int minor_try(slong *rows, slong *cols, const nmod_mat_t Am, slong target)
{
    slong r = Am->r, c = Am->c, n = r < c ? r : c;
    slong *pr = flint_malloc((size_t)n * sizeof(slong));
    slong *pc = flint_malloc((size_t)n * sizeof(slong));
    int found = 0;
    slong rank = pivots_core(pr, pc, Am);
    if (rank >= target) {
        qsort(pr, (size_t)target, sizeof(slong), cmp_slong);
        if (minor_det(Am, pr, pc, target) != 0) {
            memcpy(rows, pr, (size_t)target * sizeof(slong));
            memcpy(cols, pc, (size_t)target * sizeof(slong));
            found = 1;
        }
    }
    flint_free(pr);
    flint_free(pc);
    return found;
}

/* The search of idc_qmat_minor_find over a matrix given either as fmpq (A)
 * or as row-major doubles (a). */
static int minor_search(int *found, mp_limb_t *prime, slong *rows, slong *cols, const fmpq_mat_t A,
                        const double *a, slong nr, slong nc, slong target)
{
    *found = 0;
    if (target < 0 || target > nr || target > nc)
        return IDC_EINVAL;
    if (a != NULL)
        for (slong i = 0; i < nr * nc; i++)
            if (!isfinite(a[i]))
                return IDC_EINVAL;
    if (target == 0) {
        *found = 1;
        *prime = idc_qmat_prime(0);
        return IDC_OK;
    }
    for (size_t k = 0; k < IDC_QMAT_PRIME_MAX; k++) {
        if (k == IDC_QMAT_PRIME_TRIES) {
            slong rank = 0;
            if (A != NULL)
                rank = idc_qmat_rank(A);
            else if (idc_qmat_rank_d(&rank, a, (size_t)nr, (size_t)nc) != IDC_OK)
                return IDC_EINVAL;
            if (rank < target)
                return IDC_OK; /* proved: no nonzero target x target minor */
        }
        mp_limb_t p = idc_qmat_prime(k);
        nmod_mat_t Am;
        nmod_mat_init(Am, nr, nc, p);
        int ok = A != NULL ? idc_qmat_get_nmod_mat(Am, A) == IDC_OK
                           : idc_dq_nmod_mat_set_d(Am, a, (size_t)nr, (size_t)nc) == IDC_OK;
        int hit = ok && minor_try(rows, cols, Am, target);
        nmod_mat_clear(Am);
        if (hit) {
            *found = 1;
            *prime = p;
            return IDC_OK;
        }
    }
    return IDC_EUNABLE;
}

int idc_qmat_minor_find(int *found, mp_limb_t *prime, slong *rows, slong *cols, const fmpq_mat_t A,
                        slong target)
{
    return minor_search(found, prime, rows, cols, A, NULL, A->r, A->c, target);
}

int idc_qmat_minor_find_d(int *found, mp_limb_t *prime, slong *rows, slong *cols, const double *a, size_t nr,
                          size_t nc, slong target)
{
    return minor_search(found, prime, rows, cols, NULL, a, (slong)nr, (slong)nc, target);
}

/* ---- kernel ------------------------------------------------------------- */

int idc_qmat_kernel_vector(int *found, fmpz_mat_t v, const fmpq_mat_t A)
{
    slong c = A->c;
    fmpz_mat_zero(v);
    *found = 0;
    if (c == 0)
        return IDC_OK;
    if (A->r == 0) {
        fmpz_one(fmpz_mat_entry(v, 0, 0));
        *found = 1;
        return IDC_OK;
    }
    fmpz_mat_t M, B;
    fmpz_mat_init(M, A->r, c);
    fmpz_mat_init(B, c, c);
    fmpz *den = _fmpz_vec_init(A->r);
    fmpq_mat_get_fmpz_mat_rowwise(M, den, A);
    slong nullity = fmpz_mat_nullspace(B, M);
    if (nullity > 0) {
        fmpz_t g;
        fmpz_init(g);
        for (slong i = 0; i < c; i++)
            fmpz_gcd(g, g, fmpz_mat_entry(B, i, 0));
        slong first = -1;
        for (slong i = 0; i < c && first < 0; i++)
            if (!fmpz_is_zero(fmpz_mat_entry(B, i, 0)))
                first = i;
        if (first >= 0 && fmpz_sgn(fmpz_mat_entry(B, first, 0)) < 0)
            fmpz_neg(g, g);
        for (slong i = 0; i < c; i++)
            fmpz_divexact(fmpz_mat_entry(v, i, 0), fmpz_mat_entry(B, i, 0), g);
        fmpz_clear(g);
        *found = 1;
    }
    _fmpz_vec_clear(den, A->r);
    fmpz_mat_clear(M);
    fmpz_mat_clear(B);
    return IDC_OK;
}
