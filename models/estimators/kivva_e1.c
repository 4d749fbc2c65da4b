/* kivva-e1 (see kivva_e1.h). */
#include "models/estimators/kivva_e1.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

void idc_kivva_e1_init(idc_kivva_e1 *k)
{
    memset(k, 0, sizeof *k);
    idc_gmm_init(&k->gmm);
}

void idc_kivva_e1_clear(idc_kivva_e1 *k)
{
    free(k->U);
    free(k->b);
    idc_gmm_clear(&k->gmm);
    idc_kivva_e1_init(k);
}

/* Generalised eigenpairs of (Sa, Sc), sorted by eigenvalue; returns the
 * minimum log gap, or -1 when Sc is not positive definite / a ratio <= 0. */
static double pair_unmix(double *U, const double *Sa, const double *Sc, size_t d, gsl_eigen_gensymmv_workspace *ws)
{
    gsl_matrix *A = gsl_matrix_alloc(d, d), *B = gsl_matrix_alloc(d, d), *V = gsl_matrix_alloc(d, d);
    gsl_vector *l = gsl_vector_alloc(d);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            gsl_matrix_set(A, i, j, Sa[i * d + j]);
            gsl_matrix_set(B, i, j, Sc[i * d + j]);
        }
    double gap = -1;
    if (gsl_eigen_gensymmv(A, B, l, V, ws) == GSL_SUCCESS) {
        gsl_eigen_gensymmv_sort(l, V, GSL_EIGEN_SORT_VAL_ASC);
        gap = INFINITY;
        for (size_t i = 0; i < d && gap >= 0; i++)
            if (!(gsl_vector_get(l, i) > 0))
                gap = -1;
        for (size_t i = 0; i + 1 < d && gap >= 0; i++) {
            double g = log(gsl_vector_get(l, i + 1)) - log(gsl_vector_get(l, i));
            if (g < gap)
                gap = g;
        }
        if (d == 1 && gap >= 0)
            gap = INFINITY;
        for (size_t i = 0; i < d; i++) /* U = V^T */
            for (size_t j = 0; j < d; j++)
                U[i * d + j] = gsl_matrix_get(V, j, i);
    }
    gsl_matrix_free(A);
    gsl_matrix_free(B);
    gsl_matrix_free(V);
    gsl_vector_free(l);
    return gap;
}

int idc_kivva_e1_fit(idc_kivva_e1 *k, const double *zhat, size_t n, size_t d, size_t J, const idc_gmm_opts *o,
                     idc_err *err)
{
    idc_kivva_e1_clear(k);
    if (J < 2)
        return idc_err_set(err, IDC_EINVAL, "kivva-e1: J must be >= 2 (two component covariances are compared)");
    int rc = idc_gmm_fit(&k->gmm, zhat, n, d, J, o, err);
    if (rc != IDC_OK)
        return idc_err_prefix(err, rc, "kivva-e1: ");
    k->d = d;
    k->U = calloc(d * d, sizeof(double));
    k->b = calloc(d, sizeof(double));
    double *tmp = calloc(d * d, sizeof(double));
    gsl_eigen_gensymmv_workspace *ws = gsl_eigen_gensymmv_alloc(d);
    if (k->U == NULL || k->b == NULL || tmp == NULL || ws == NULL) {
        free(tmp);
        if (ws != NULL)
            gsl_eigen_gensymmv_free(ws);
        idc_kivva_e1_clear(k);
        return idc_err_set(err, IDC_ENOMEM, "kivva-e1: out of memory");
    }
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    double best = -1;
    for (size_t a = 0; a < J; a++)
        for (size_t c = 0; c < J; c++) {
            if (a == c)
                continue;
            double g = pair_unmix(tmp, k->gmm.cov + a * d * d, k->gmm.cov + c * d * d, d, ws);
            if (g > best) {
                best = g;
                memcpy(k->U, tmp, d * d * sizeof(double));
                k->pair[0] = a;
                k->pair[1] = c;
            }
        }
    gsl_set_error_handler(old);
    gsl_eigen_gensymmv_free(ws);
    free(tmp);
    if (best < 0) {
        idc_kivva_e1_clear(k);
        return idc_err_set(err, IDC_EUNABLE, "kivva-e1: no pair of fitted covariances is positive definite");
    }
    k->log_gap = best;
    for (size_t t = 0; t < n; t++)
        for (size_t i = 0; i < d; i++)
            k->b[i] += zhat[t * d + i] / (double)n;
    return IDC_OK;
}

int idc_kivva_e1_apply(double *out, const idc_kivva_e1 *k, const double *zhat, size_t n)
{
    size_t d = k->d;
    double v[64], *buf = d <= 64 ? v : malloc(d * sizeof(double));
    if (buf == NULL)
        return IDC_ENOMEM;
    for (size_t t = 0; t < n; t++) {
        for (size_t i = 0; i < d; i++)
            buf[i] = zhat[t * d + i] - k->b[i];
        for (size_t i = 0; i < d; i++) {
            double s = 0;
            for (size_t j = 0; j < d; j++)
                s += k->U[i * d + j] * buf[j];
            out[t * d + i] = s;
        }
    }
    if (buf != v)
        free(buf);
    return IDC_OK;
}
