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
    /* Householder QR in plain C, every sum in a fixed order: no BLAS or
     * LAPACK kernel enters, so the result is the same bit for bit on every
     * x86-64 machine (LAPACK's dgeqrf calls BLAS kernels whose last bits
     * depend on the CPU, and generated instances then differed by machine). */
    double *V = idc_calloc(r * c, sizeof(double)), *d = idc_calloc(c, sizeof(double));
    if (V == NULL || d == NULL) {
        free(V);
        free(d);
        return IDC_ENOMEM;
    }
    int rc = IDC_OK;
    for (size_t k = 0; k < c && rc == IDC_OK; k++) {
        double tail = 0, x0 = A[k * c + k];
        for (size_t i = k + 1; i < r; i++)
            tail += A[i * c + k] * A[i * c + k];
        double nrm = sqrt(x0 * x0 + tail);
        if (!(nrm > 0) || !isfinite(nrm)) {
            rc = IDC_EINTERNAL; /* a rank-deficient or non-finite column */
            break;
        }
        if (tail == 0) { /* already triangular here: no reflector (H = I), R_kk = x0 */
            d[k] = x0;
            continue;
        }
        double alpha = x0 >= 0 ? -nrm : nrm; /* R_kk = alpha */
        double *v = V + k; /* column k of V, stride c */
        v[k * c] = x0 - alpha;
        for (size_t i = k + 1; i < r; i++)
            v[i * c] = A[i * c + k];
        double vv = 0;
        for (size_t i = k; i < r; i++)
            vv += v[i * c] * v[i * c];
        for (size_t j = k; j < c; j++) { /* A[k:, j] -= 2 v (v . A[k:, j]) / (v . v) */
            double dot = 0;
            for (size_t i = k; i < r; i++)
                dot += v[i * c] * A[i * c + j];
            double f = 2 * dot / vv;
            for (size_t i = k; i < r; i++)
                A[i * c + j] -= f * v[i * c];
        }
        d[k] = alpha;
    }
    if (rc == IDC_OK) {
        /* Q = H_0 ... H_{c-1} [I; 0], applied from the last reflector */
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < c; j++)
                A[i * c + j] = i == j ? 1.0 : 0.0;
        for (size_t k = c; k-- > 0;) {
            const double *v = V + k;
            double vv = 0;
            for (size_t i = k; i < r; i++)
                vv += v[i * c] * v[i * c];
            if (vv == 0) /* no reflector at k */
                continue;
            for (size_t j = 0; j < c; j++) {
                double dot = 0;
                for (size_t i = k; i < r; i++)
                    dot += v[i * c] * A[i * c + j];
                double f = 2 * dot / vv;
                for (size_t i = k; i < r; i++)
                    A[i * c + j] -= f * v[i * c];
            }
        }
        for (size_t j = 0; j < c; j++) /* signs: R with a positive diagonal */
            if (d[j] < 0.0)
                for (size_t i = 0; i < r; i++)
                    A[i * c + j] = -A[i * c + j];
    }
    free(V);
    free(d);
    return rc;
}
