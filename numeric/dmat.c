#include "numeric/dmat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

int idc_sym_factor(double *L, const double *S, size_t m)
{
    double *V = idc_calloc(m * m, sizeof(double));
    double *w = idc_calloc(m, sizeof(double));
    if (V == NULL || w == NULL) {
        free(V);
        free(w);
        return IDC_ENOMEM;
    }
    memcpy(V, S, m * m * sizeof(double));
    lapack_int info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)m, V, (lapack_int)m, w);
    if (info == 0) {
        for (size_t j = 0; j < m; j++) {
            double s = w[j] > 0.0 ? sqrt(w[j]) : 0.0;
            for (size_t i = 0; i < m; i++)
                L[i * m + j] = V[i * m + j] * s;
        }
    }
    free(V);
    free(w);
    return info == 0 ? IDC_OK : IDC_EINTERNAL;
}

int idc_dmat_singular_values(double *s, const double *A, size_t r, size_t c)
{
    double *T = idc_calloc(r * c, sizeof(double));
    double *unused_uv = idc_calloc(1, sizeof(double));
    if (T == NULL || unused_uv == NULL) {
        free(T);
        free(unused_uv);
        return IDC_ENOMEM;
    }
    /* Column-major view of the transpose: same singular values, and avoids
     * LAPACKE's row-major ldvt check with jobz = 'N' (CERTIFICATES.md §5.8). */
    memcpy(T, A, r * c * sizeof(double));
    lapack_int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', (lapack_int)c, (lapack_int)r, T,
                                     (lapack_int)c, s, unused_uv, 1, unused_uv, 1);
    free(T);
    free(unused_uv);
    return info == 0 ? IDC_OK : IDC_EINTERNAL;
}

int idc_dmat_orthonormalize(double *A, size_t r, size_t c)
{
    if (r < c)
        return IDC_EINVAL;
    double *tau = idc_calloc(c, sizeof(double));
    double *R = idc_calloc(c, sizeof(double));
    if (tau == NULL || R == NULL) {
        free(tau);
        free(R);
        return IDC_ENOMEM;
    }
    lapack_int info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, (lapack_int)r, (lapack_int)c, A, (lapack_int)c, tau);
    if (info == 0) {
        for (size_t j = 0; j < c; j++)
            R[j] = A[j * c + j];
        info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, (lapack_int)r, (lapack_int)c, (lapack_int)c, A,
                              (lapack_int)c, tau);
    }
    if (info == 0)
        for (size_t j = 0; j < c; j++)
            if (R[j] < 0.0)
                for (size_t i = 0; i < r; i++)
                    A[i * c + j] = -A[i * c + j];
    free(tau);
    free(R);
    return info == 0 ? IDC_OK : IDC_EINTERNAL;
}
