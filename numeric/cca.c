#include "numeric/cca.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

/* One side of the fit: the centred, scaled sample and its thin SVD. */
typedef struct {
    size_t d, r;   /* columns, numerical rank */
    double *mean;  /* d */
    double *scale; /* d (1 for a constant column) */
    double *u;     /* n x d column-major left singular vectors */
    double *s;     /* d singular values, decreasing */
    double *vt;    /* d x d column-major V^T */
} side;

static void side_free(side *sd)
{
    free(sd->mean);
    free(sd->scale);
    free(sd->u);
    free(sd->s);
    free(sd->vt);
    memset(sd, 0, sizeof *sd);
}

static int side_fit(side *sd, const double *a, size_t d, size_t n, const char *name, idc_err *err)
{
    memset(sd, 0, sizeof *sd);
    sd->d = d;
    sd->mean = idc_calloc(d, sizeof(double));
    sd->scale = idc_calloc(d, sizeof(double));
    sd->u = idc_calloc(n * d, sizeof(double));
    sd->s = idc_calloc(d, sizeof(double));
    sd->vt = idc_calloc(d * d, sizeof(double));
    double *sup = idc_calloc(d, sizeof(double));
    int st = IDC_OK;
    if (sd->mean == NULL || sd->scale == NULL || sd->u == NULL || sd->s == NULL || sd->vt == NULL ||
        sup == NULL) {
        st = idc_err_set(err, IDC_ENOMEM, "cca: out of memory (n = %zu, %s dim %zu)", n, name, d);
        goto done;
    }
    /* sd->u first holds the centred, scaled data (column-major); dgesvd
     * needs a separate output, so the data go to a copy. */
    double *acm = idc_calloc(n * d, sizeof(double));
    if (acm == NULL) {
        st = idc_err_set(err, IDC_ENOMEM, "cca: out of memory (n = %zu, %s dim %zu)", n, name, d);
        goto done;
    }
    for (size_t j = 0; j < d; j++) {
        double mu = 0.0, amax = 0.0;
        for (size_t r = 0; r < n; r++)
            mu += a[r * d + j] / (double)n;
        sd->mean[j] = mu;
        for (size_t r = 0; r < n; r++) {
            acm[j * n + r] = a[r * d + j] - mu;
            amax = fmax(amax, fabs(acm[j * n + r]));
        }
        if (!isfinite(amax)) {
            free(acm);
            st = idc_err_set(err, IDC_EINVAL, "cca: %s[:, %zu]: deviations from the mean overflow", name, j);
            goto done;
        }
        int constant = 1;
        for (size_t r = 1; r < n && constant; r++)
            constant = a[r * d + j] == a[j];
        sd->scale[j] = constant || amax == 0.0 ? 1.0 : amax;
        for (size_t r = 0; r < n; r++)
            acm[j * n + r] = constant ? 0.0 : acm[j * n + r] / sd->scale[j];
    }
    lapack_int info = LAPACKE_dgesvd(LAPACK_COL_MAJOR, 'S', 'S', (lapack_int)n, (lapack_int)d, acm,
                                     (lapack_int)n, sd->s, sd->u, (lapack_int)n, sd->vt, (lapack_int)d, sup);
    free(acm);
    if (info > 0) {
        st = idc_err_set(err, IDC_EUNABLE, "cca: the SVD of %s did not converge", name);
        goto done;
    }
    if (info < 0) {
        st = idc_err_set(err, IDC_EINTERNAL, "cca: LAPACKE_dgesvd rejected argument %d", (int)-info);
        goto done;
    }
    double cut = (double)n * DBL_EPSILON * sd->s[0];
    sd->r = 0;
    while (sd->r < d && sd->s[sd->r] > cut)
        sd->r++;
    if (sd->r == 0)
        st = idc_err_set(err, IDC_EINVAL, "cca: %s has rank 0 (every column constant)", name);
done:
    free(sup);
    if (st != IDC_OK)
        side_free(sd);
    return st;
}

/* w (d x k row-major) = D^-1 V[:, :r] S^-1 P[:, :k] sqrt(n - 1), where P is
 * r x ldp-column-major with k leading columns used (P(i, j) = pm[i + j ldp]
 * when by_cols, else the transpose is stored: P(i, j) = pm[j + i ldp]). */
static void weights(double *w, const side *sd, const double *pm, size_t ldp, int by_cols, size_t k, size_t n)
{
    double f = sqrt((double)(n - 1));
    for (size_t i = 0; i < sd->d; i++)
        for (size_t c = 0; c < k; c++) {
            double s = 0.0;
            for (size_t l = 0; l < sd->r; l++) {
                double v = sd->vt[l + i * sd->d]; /* V(i, l) = VT(l, i) */
                double pv = by_cols ? pm[l + c * ldp] : pm[c + l * ldp];
                s += v / sd->s[l] * pv;
            }
            w[i * k + c] = s * f / sd->scale[i];
        }
}

int idc_cca_fit(idc_cca *c, const double *x, size_t p, const double *y, size_t q, size_t n, size_t k_req,
                idc_err *err)
{
    if (c == NULL)
        return idc_err_set(err, IDC_EINVAL, "cca: c is NULL");
    memset(c, 0, sizeof *c);
    if (p == 0 || q == 0)
        return idc_err_set(err, IDC_EINVAL, "cca: p = %zu, q = %zu: both must be >= 1", p, q);
    if (x == NULL || y == NULL)
        return idc_err_set(err, IDC_EINVAL, "cca: %s is NULL", x == NULL ? "x" : "y");
    size_t pq = p > q ? p : q;
    if (n > INT_MAX || pq > INT_MAX || n > SIZE_MAX / pq)
        return idc_err_set(err, IDC_EINVAL, "cca: sizes n = %zu, p = %zu, q = %zu are too large", n, p, q);
    if (n < pq + 2)
        return idc_err_set(err, IDC_EINVAL, "cca: too few rows: n = %zu, need n >= max(p, q) + 2 = %zu", n,
                           pq + 2);
    for (size_t r = 0; r < n; r++) {
        for (size_t j = 0; j < p; j++)
            if (!isfinite(x[r * p + j]))
                return idc_err_set(err, IDC_EINVAL, "cca: x[%zu][%zu] is not finite (%g)", r, j,
                                   x[r * p + j]);
        for (size_t j = 0; j < q; j++)
            if (!isfinite(y[r * q + j]))
                return idc_err_set(err, IDC_EINVAL, "cca: y[%zu][%zu] is not finite (%g)", r, j,
                                   y[r * q + j]);
    }
    side sx, sy;
    int st = side_fit(&sx, x, p, n, "x", err);
    if (st != IDC_OK)
        return st;
    st = side_fit(&sy, y, q, n, "y", err);
    if (st != IDC_OK) {
        side_free(&sx);
        return st;
    }
    size_t rx = sx.r, ry = sy.r, rmin = rx < ry ? rx : ry;
    size_t k = k_req == 0 ? (p < q ? p : q) : k_req;
    if (k > rmin)
        k = rmin;
    double *m = idc_calloc(rx * ry, sizeof *m), *sv = idc_calloc(rmin, sizeof *sv);
    double *pu = idc_calloc(rx * rmin, sizeof *pu), *qt = idc_calloc(rmin * ry, sizeof *qt);
    double *sup = idc_calloc(rmin, sizeof *sup);
    c->rho = idc_calloc(k, sizeof(double));
    c->mean_x = idc_calloc(p, sizeof(double));
    c->mean_y = idc_calloc(q, sizeof(double));
    c->wx = idc_calloc(p * k, sizeof(double));
    c->wy = idc_calloc(q * k, sizeof(double));
    if (m == NULL || sv == NULL || pu == NULL || qt == NULL || sup == NULL || c->rho == NULL ||
        c->mean_x == NULL || c->mean_y == NULL || c->wx == NULL || c->wy == NULL) {
        st = idc_err_set(err, IDC_ENOMEM, "cca: out of memory (p = %zu, q = %zu)", p, q);
        goto done;
    }
    /* M = Ux[:, :rx]^T Uy[:, :ry], column-major rx x ry */
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)rx, (int)ry, (int)n, 1.0, sx.u, (int)n, sy.u,
                (int)n, 0.0, m, (int)rx);
    lapack_int info = LAPACKE_dgesvd(LAPACK_COL_MAJOR, 'S', 'S', (lapack_int)rx, (lapack_int)ry, m,
                                     (lapack_int)rx, sv, pu, (lapack_int)rx, qt, (lapack_int)rmin, sup);
    if (info > 0) {
        st = idc_err_set(err, IDC_EUNABLE, "cca: the SVD of the cross-covariance did not converge");
        goto done;
    }
    if (info < 0) {
        st = idc_err_set(err, IDC_EINTERNAL, "cca: LAPACKE_dgesvd rejected argument %d", (int)-info);
        goto done;
    }
    for (size_t i = 0; i < k; i++)
        c->rho[i] = fmin(1.0, sv[i]);
    memcpy(c->mean_x, sx.mean, p * sizeof(double));
    memcpy(c->mean_y, sy.mean, q * sizeof(double));
    weights(c->wx, &sx, pu, rx, 1, k, n);   /* P = pu, rx x rmin column-major */
    weights(c->wy, &sy, qt, rmin, 0, k, n); /* Q = qt^T, qt rmin x ry column-major */
    c->p = p;
    c->q = q;
    c->k = k;
    c->rank_x = rx;
    c->rank_y = ry;
done:
    free(m);
    free(sv);
    free(pu);
    free(qt);
    free(sup);
    side_free(&sx);
    side_free(&sy);
    if (st != IDC_OK)
        idc_cca_clear(c);
    return st;
}

void idc_cca_transform(const idc_cca *c, double *u, const double *x, double *v, const double *y, size_t n)
{
    if (c == NULL || c->k == 0)
        return;
    size_t k = c->k;
    if (u != NULL && x != NULL)
        for (size_t r = 0; r < n; r++)
            for (size_t j = 0; j < k; j++) {
                double s = 0.0;
                for (size_t i = 0; i < c->p; i++)
                    s += (x[r * c->p + i] - c->mean_x[i]) * c->wx[i * k + j];
                u[r * k + j] = s;
            }
    if (v != NULL && y != NULL)
        for (size_t r = 0; r < n; r++)
            for (size_t j = 0; j < k; j++) {
                double s = 0.0;
                for (size_t i = 0; i < c->q; i++)
                    s += (y[r * c->q + i] - c->mean_y[i]) * c->wy[i * k + j];
                v[r * k + j] = s;
            }
}

void idc_cca_clear(idc_cca *c)
{
    if (c == NULL)
        return;
    free(c->rho);
    free(c->mean_x);
    free(c->mean_y);
    free(c->wx);
    free(c->wy);
    memset(c, 0, sizeof *c);
}
