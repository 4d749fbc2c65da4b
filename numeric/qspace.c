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
