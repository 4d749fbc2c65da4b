#include "numeric/qspace.h"

#include <flint/fmpz_mat.h>

#include "numeric/qmat.h"

slong idc_qspace_dim(const fmpq_mat_t X)
{
    if (X->r == 0 || X->c == 0)
        return 0;
    return idc_qmat_rank(X);
}

void idc_qspace_sum(fmpq_mat_t out, const fmpq_mat_t X, const fmpq_mat_t Y)
{
    slong m = X->r, a = X->c, b = Y->c;
    fmpq_mat_init(out, m, a + b);
    for (slong i = 0; i < m; i++) {
        for (slong k = 0; k < a; k++)
            fmpq_set(fmpq_mat_entry(out, i, k), fmpq_mat_entry(X, i, k));
        for (slong k = 0; k < b; k++)
            fmpq_set(fmpq_mat_entry(out, i, a + k), fmpq_mat_entry(Y, i, k));
    }
}

void idc_qspace_intersect(fmpq_mat_t out, const fmpq_mat_t X, const fmpq_mat_t Y)
{
    slong m = X->r, a = X->c, b = Y->c;
    if (a == 0 || b == 0 || m == 0) {
        fmpq_mat_init(out, m, 0);
        return;
    }
    fmpq_mat_t A;
    fmpq_mat_init(A, m, a + b);
    for (slong i = 0; i < m; i++) {
        for (slong k = 0; k < a; k++)
            fmpq_set(fmpq_mat_entry(A, i, k), fmpq_mat_entry(X, i, k));
        for (slong k = 0; k < b; k++)
            fmpq_neg(fmpq_mat_entry(A, i, a + k), fmpq_mat_entry(Y, i, k));
    }
    /* clear column denominators; the kernel coordinates are rescaled below */
    fmpz_mat_t Z, N;
    fmpz *den = _fmpz_vec_init(a + b);
    fmpz_mat_init(Z, m, a + b);
    fmpq_mat_get_fmpz_mat_colwise(Z, den, A);
    fmpz_mat_init(N, a + b, a + b);
    slong nul = fmpz_mat_nullspace(N, Z);
    fmpq_mat_init(out, m, nul);
    fmpq_t t;
    fmpq_init(t);
    for (slong v = 0; v < nul; v++)
        for (slong i = 0; i < m; i++) {
            fmpq *e = fmpq_mat_entry(out, i, v);
            fmpq_zero(e);
            for (slong k = 0; k < a; k++) {
                /* FLINT: Z[:,k] = den_k A[:,k], so (den_k N[k,v])_k is a kernel
                 * vector of [X, -Y]: the point is sum_k X[:,k] den_k N[k,v] */
                fmpq_mul_fmpz(t, fmpq_mat_entry(X, i, k), fmpz_mat_entry(N, k, v));
                fmpq_mul_fmpz(t, t, den + k);
                fmpq_add(e, e, t);
            }
        }
    fmpq_clear(t);
    fmpz_mat_clear(N);
    fmpz_mat_clear(Z);
    _fmpz_vec_clear(den, a + b);
    fmpq_mat_clear(A);
}

int idc_qspace_fredholm(fmpq_mat_t w, const fmpq_mat_t A, const fmpq_mat_t b)
{
    slong M = A->r, n = A->c;
    if (M == 0)
        return 0;
    fmpq_mat_t At;
    fmpq_mat_init(At, n > 0 ? n : 1, M); /* a zero row when n = 0: every w is in the left kernel */
    for (slong i = 0; i < M; i++)
        for (slong k = 0; k < n; k++)
            fmpq_set(fmpq_mat_entry(At, k, i), fmpq_mat_entry(A, i, k));
    fmpz_mat_t Z, N;
    fmpz *den = _fmpz_vec_init(M);
    fmpz_mat_init(Z, At->r, M);
    fmpq_mat_get_fmpz_mat_colwise(Z, den, At);
    fmpz_mat_init(N, M, M);
    slong nul = fmpz_mat_nullspace(N, Z);
    fmpq_t s, t;
    fmpq_init(s);
    fmpq_init(t);
    int found = 0;
    /* Z[:,i] = den_i At[:,i]: w_i = den_i N[i,v] is in the left kernel of A */
    for (slong v = 0; v < nul && !found; v++) {
        fmpq_zero(s);
        for (slong i = 0; i < M; i++) {
            fmpq_mul_fmpz(t, fmpq_mat_entry(b, i, 0), fmpz_mat_entry(N, i, v));
            fmpq_mul_fmpz(t, t, den + i);
            fmpq_add(s, s, t);
        }
        if (!fmpq_is_zero(s)) {
            found = 1;
            for (slong i = 0; i < M; i++) {
                fmpq_set_fmpz(fmpq_mat_entry(w, i, 0), fmpz_mat_entry(N, i, v));
                fmpq_mul_fmpz(fmpq_mat_entry(w, i, 0), fmpq_mat_entry(w, i, 0), den + i);
            }
        }
    }
    fmpq_clear(s);
    fmpq_clear(t);
    fmpz_mat_clear(N);
    fmpz_mat_clear(Z);
    _fmpz_vec_clear(den, M);
    fmpq_mat_clear(At);
    return found;
}

slong idc_qspace_annihilator(fmpz_mat_t N, const fmpq_mat_t X)
{
    slong m = X->r, c = X->c;
    if (c == 0 || m == 0) {
        fmpz_mat_init(N, m, m);
        fmpz_mat_one(N);
        return m;
    }
    fmpz_mat_t Z, Zt, K;
    fmpz *den = _fmpz_vec_init(c);
    fmpz_mat_init(Z, m, c);
    fmpq_mat_get_fmpz_mat_colwise(Z, den, X);
    fmpz_mat_init(Zt, c, m);
    fmpz_mat_transpose(Zt, Z);
    fmpz_mat_init(K, m, m);
    slong nul = fmpz_mat_nullspace(K, Zt);
    fmpz_mat_init(N, m, nul);
    for (slong i = 0; i < m; i++)
        for (slong k = 0; k < nul; k++)
            fmpz_set(fmpz_mat_entry(N, i, k), fmpz_mat_entry(K, i, k));
    fmpz_mat_clear(K);
    fmpz_mat_clear(Zt);
    fmpz_mat_clear(Z);
    _fmpz_vec_clear(den, c);
    return nul;
}

int idc_qspace_solve(fmpq_mat_t x, const fmpq_mat_t A, const fmpq_mat_t b)
{
    slong M = A->r, n = A->c;
    fmpq_mat_zero(x);
    if (M == 0)
        return 1;
    fmpq_mat_t Ab;
    fmpq_mat_init(Ab, M, n + 1);
    for (slong i = 0; i < M; i++) {
        for (slong k = 0; k < n; k++)
            fmpq_set(fmpq_mat_entry(Ab, i, k), fmpq_mat_entry(A, i, k));
        fmpq_set(fmpq_mat_entry(Ab, i, n), fmpq_mat_entry(b, i, 0));
    }
    /* scaling a row by a nonzero integer keeps the solution set */
    fmpz_mat_t Z, R;
    fmpz_t den;
    fmpz_init(den);
    fmpz_mat_init(Z, M, n + 1);
    fmpz_mat_init(R, M, n + 1);
    fmpz *rden = _fmpz_vec_init(M);
    fmpq_mat_get_fmpz_mat_rowwise(Z, rden, Ab);
    _fmpz_vec_clear(rden, M);
    slong rank = fmpz_mat_rref(R, den, Z);
    int ok = 1;
    for (slong i = 0, col = 0; i < rank && ok; i++) {
        while (col <= n && fmpz_is_zero(fmpz_mat_entry(R, i, col)))
            col++;
        if (col >= n) {
            ok = 0; /* a pivot in the right-hand side: 0 = nonzero */
            break;
        }
        fmpq_set_fmpz_frac(fmpq_mat_entry(x, col, 0), fmpz_mat_entry(R, i, n), fmpz_mat_entry(R, i, col));
        col++;
    }
    if (!ok)
        fmpq_mat_zero(x);
    fmpz_mat_clear(R);
    fmpz_mat_clear(Z);
    fmpz_clear(den);
    fmpq_mat_clear(Ab);
    return ok;
}

/* ---- (Z/pZ)^m echelon accumulator ------------------------------------------ */

void idc_qspace_nech_init(idc_qspace_nech_t E, slong m, mp_limb_t p)
{
    E->m = m;
    E->rank = 0;
    nmod_init(&E->mod, p);
    size_t mm = (size_t)(m > 0 ? m : 1);
    E->rows = flint_calloc(mm * mm, sizeof(mp_limb_t));
    E->pivot = flint_calloc(mm, sizeof(slong));
    E->work = flint_calloc(mm, sizeof(mp_limb_t));
}

void idc_qspace_nech_clear(idc_qspace_nech_t E)
{
    flint_free(E->rows);
    flint_free(E->pivot);
    flint_free(E->work);
    E->rows = NULL;
    E->pivot = NULL;
    E->work = NULL;
    E->rank = 0;
}

void idc_qspace_nech_set(idc_qspace_nech_t E, const idc_qspace_nech_t F)
{
    E->rank = F->rank;
    if (F->rank > 0) {
        _nmod_vec_set(E->rows, F->rows, F->rank * F->m);
        for (slong i = 0; i < F->rank; i++)
            E->pivot[i] = F->pivot[i];
    }
}

void idc_qspace_nech_zero(idc_qspace_nech_t E)
{
    E->rank = 0;
}

/* t := v reduced against the rows of E (zero at every pivot column). */
static void nech_reduce(mp_limb_t *t, const idc_qspace_nech_t E, const mp_limb_t *v)
{
    slong m = E->m;
    _nmod_vec_set(t, v, m);
    for (slong i = 0; i < E->rank; i++) {
        mp_limb_t c = t[E->pivot[i]];
        if (c != 0)
            _nmod_vec_scalar_addmul_nmod(t, E->rows + i * m, m, nmod_neg(c, E->mod), E->mod);
    }
}

int idc_qspace_nech_add(idc_qspace_nech_t E, const mp_limb_t *v)
{
    slong m = E->m;
    mp_limb_t *t = E->work;
    nech_reduce(t, E, v);
    slong f = 0;
    while (f < m && t[f] == 0)
        f++;
    if (f == m)
        return 0;
    _nmod_vec_scalar_mul_nmod(t, t, m, n_invmod(t[f], E->mod.n), E->mod);
    /* keep the form reduced: clear column f in the existing rows */
    for (slong i = 0; i < E->rank; i++) {
        mp_limb_t *row = E->rows + i * m;
        if (row[f] != 0)
            _nmod_vec_scalar_addmul_nmod(row, t, m, nmod_neg(row[f], E->mod), E->mod);
    }
    _nmod_vec_set(E->rows + E->rank * m, t, m);
    E->pivot[E->rank++] = f;
    return 1;
}

int idc_qspace_nech_contains(const idc_qspace_nech_t E, const mp_limb_t *v, mp_limb_t *tmp)
{
    /* v - sum_i v[pivot_i] row_i vanishes at the pivot columns; test the
     * free columns one by one and stop at the first nonzero (O(rank) each) */
    slong m = E->m;
    for (slong c = 0; c < m; c++)
        tmp[c] = 0;
    for (slong i = 0; i < E->rank; i++)
        tmp[E->pivot[i]] = 1;
    for (slong f = 0; f < m; f++) {
        if (tmp[f])
            continue;
        mp_limb_t s = v[f];
        for (slong i = 0; i < E->rank; i++) {
            mp_limb_t r = E->rows[i * m + f];
            if (r != 0)
                s = nmod_sub(s, nmod_mul(v[E->pivot[i]], r, E->mod), E->mod);
        }
        if (s != 0)
            return 0;
    }
    return 1;
}

slong idc_qspace_nech_kernel(mp_limb_t *K, const idc_qspace_nech_t E)
{
    slong m = E->m, n = 0;
    char *is_piv = flint_calloc((size_t)(m > 0 ? m : 1), 1);
    for (slong i = 0; i < E->rank; i++)
        is_piv[E->pivot[i]] = 1;
    for (slong f = 0; f < m; f++) {
        if (is_piv[f])
            continue;
        mp_limb_t *x = K + n * m;
        _nmod_vec_zero(x, m);
        x[f] = 1;
        /* row i reads x[pivot_i] + sum_{free g} row_i[g] x[g] = 0 */
        for (slong i = 0; i < E->rank; i++)
            x[E->pivot[i]] = nmod_neg(E->rows[i * m + f], E->mod);
        n++;
    }
    flint_free(is_piv);
    return n;
}
