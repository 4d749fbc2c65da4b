#include "numeric/metric.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "numeric/cca.h"
#include "numeric/hungarian.h"
#include "numeric/rank.h"

/* Checks shared by both metrics: nonzero dims, non-NULL arrays, n * d
 * without overflow, at least min_half rows in the fit half, finite entries. */
static int check_inputs(const char *who, const double *z, size_t dz, const double *zhat, size_t dzh,
                        size_t n, size_t min_half, const char *need, idc_err *err)
{
    if (dz == 0 || dzh == 0)
        return idc_err_set(err, IDC_EINVAL, "%s: dz = %zu, dzh = %zu: both must be >= 1", who, dz,
                           dzh);
    if (z == NULL || zhat == NULL)
        return idc_err_set(err, IDC_EINVAL, "%s: %s is NULL", who, z == NULL ? "z" : "zhat");
    if (n > INT_MAX || dz > INT_MAX || dzh > INT_MAX || n > SIZE_MAX / dz || n > SIZE_MAX / dzh ||
        dz > SIZE_MAX / dzh)
        return idc_err_set(err, IDC_EINVAL, "%s: sizes n = %zu, dz = %zu, dzh = %zu are too large",
                           who, n, dz, dzh);
    if (n / 2 < min_half)
        return idc_err_set(err, IDC_EINVAL,
                           "%s: too few rows: n = %zu gives %zu fit rows, need %s (%zu)", who, n,
                           n / 2, need, min_half);
    for (size_t r = 0; r < n; r++) {
        for (size_t j = 0; j < dz; j++)
            if (!isfinite(z[r * dz + j]))
                return idc_err_set(err, IDC_EINVAL, "%s: z[%zu][%zu] is not finite (%g)", who, r, j,
                                   z[r * dz + j]);
        for (size_t j = 0; j < dzh; j++)
            if (!isfinite(zhat[r * dzh + j]))
                return idc_err_set(err, IDC_EINVAL, "%s: zhat[%zu][%zu] is not finite (%g)", who, r,
                                   j, zhat[r * dzh + j]);
    }
    return IDC_OK;
}

/* 1 when column j of the row-major (rows x d) matrix a is the same value on
 * rows [r0, r1). */
static int column_constant(const double *a, size_t d, size_t j, size_t r0, size_t r1)
{
    for (size_t r = r0 + 1; r < r1; r++)
        if (a[r * d + j] != a[r0 * d + j])
            return 0;
    return 1;
}

/* Mean of column j over rows [r0, r1), summing x / count so that the sum
 * stays within the largest |x|. */
static double column_mean(const double *a, size_t d, size_t j, size_t r0, size_t r1)
{
    double cnt = (double)(r1 - r0), s = 0.0;
    for (size_t r = r0; r < r1; r++)
        s += a[r * d + j] / cnt;
    return s;
}

/* ---- R^2 ---------------------------------------------------------------- */

/* Scores the fitted regression on rows [r0, r1): r2[k] = 1 - SS_res / SS_tot
 * for each zhat coordinate. beta is dz x dzh column-major with leading
 * dimension ldb, in the coordinates (z - zmean) / zscale; predictions are
 * ymean + those coordinates times beta. Work: zc (dz), ys, ssr, sst (dzh). */
static void r2_score(double *r2, const double *z, size_t dz, const double *zhat, size_t dzh,
                     size_t r0, size_t r1, const double *zmean, const double *zscale,
                     const double *ymean, const double *beta, size_t ldb, double *zc, double *ys,
                     double *ssr, double *sst)
{
    for (size_t k = 0; k < dzh; k++) {
        ys[k] = column_mean(zhat, dzh, k, r0, r1);
        ssr[k] = 0.0;
        sst[k] = 0.0;
    }
    for (size_t r = r0; r < r1; r++) {
        for (size_t j = 0; j < dz; j++)
            zc[j] = (z[r * dz + j] - zmean[j]) / zscale[j];
        for (size_t k = 0; k < dzh; k++) {
            const double *b = beta + k * ldb;
            double pred = ymean[k];
            for (size_t j = 0; j < dz; j++)
                pred += zc[j] * b[j];
            double y = zhat[r * dzh + k];
            ssr[k] += (y - pred) * (y - pred);
            sst[k] += (y - ys[k]) * (y - ys[k]);
        }
    }
    for (size_t k = 0; k < dzh; k++)
        r2[k] = 1.0 - ssr[k] / sst[k];
}

static double mean_of(const double *x, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s / (double)n;
}

int idc_metric_r2(idc_r2_result *res, const double *z, size_t dz, const double *zhat, size_t dzh,
                  size_t n, idc_err *err)
{
    if (res == NULL)
        return idc_err_set(err, IDC_EINVAL, "r2: res is NULL");
    memset(res, 0, sizeof *res);
    int st = check_inputs("r2", z, dz, zhat, dzh, n, dz + 2, "n/2 > dz + 1", err);
    if (st != IDC_OK)
        return st;
    size_t m = n / 2;

    for (size_t k = 0; k < dzh; k++) {
        if (column_constant(zhat, dzh, k, 0, m))
            return idc_err_set(err, IDC_EINVAL,
                               "r2: zhat[:, %zu] is constant on the fit half (rows [0, %zu)): "
                               "SS_tot = 0, R^2 undefined",
                               k, m);
        if (column_constant(zhat, dzh, k, m, n))
            return idc_err_set(err, IDC_EINVAL,
                               "r2: zhat[:, %zu] is constant on the held-out half (rows [%zu, "
                               "%zu)): SS_tot = 0, R^2 undefined",
                               k, m, n);
    }
    /* a: m x dz column-major design: z centred on the fit half, columns
     * scaled to max |entry| 1 (an exactly constant column stays zero, scale
     * 1); b: m x dzh column-major centred responses, overwritten by beta. */
    double *a = idc_calloc(m * dz, sizeof *a);
    double *b = idc_calloc(m * dzh, sizeof *b);
    double *vz = idc_calloc(4 * dz, sizeof *vz);  /* zmean, zscale, zc, sv */
    double *vy = idc_calloc(4 * dzh, sizeof *vy); /* ymean, ys, ssr, sst */
    double *r2in = idc_calloc(dzh, sizeof *r2in);
    double *r2out = idc_calloc(dzh, sizeof *r2out);
    if (a == NULL || b == NULL || vz == NULL || vy == NULL || r2in == NULL || r2out == NULL) {
        st = idc_err_set(err, IDC_ENOMEM, "r2: out of memory (n = %zu, dz = %zu, dzh = %zu)", n, dz,
                         dzh);
        goto done;
    }
    double *zmean = vz, *zscale = vz + dz, *zc = vz + 2 * dz, *sv = vz + 3 * dz;
    double *ymean = vy, *ys = vy + dzh, *ssr = vy + 2 * dzh, *sst = vy + 3 * dzh;

    for (size_t j = 0; j < dz; j++) {
        zmean[j] = column_mean(z, dz, j, 0, m);
        zscale[j] = 1.0;
        if (column_constant(z, dz, j, 0, m))
            continue; /* a's column stays 0: it cannot explain anything */
        double s = 0.0;
        for (size_t r = 0; r < m; r++)
            s = fmax(s, fabs(z[r * dz + j] - zmean[j]));
        if (!isfinite(s)) {
            st =
                idc_err_set(err, IDC_EINVAL, "r2: z[:, %zu]: deviations from the mean overflow", j);
            goto done;
        }
        zscale[j] = s;
        for (size_t r = 0; r < m; r++)
            a[j * m + r] = (z[r * dz + j] - zmean[j]) / s;
    }
    for (size_t k = 0; k < dzh; k++) {
        ymean[k] = column_mean(zhat, dzh, k, 0, m);
        for (size_t r = 0; r < m; r++)
            b[k * m + r] = zhat[r * dzh + k] - ymean[k];
    }

    /* Minimum-norm least squares by SVD; singular values at or below
     * max(m, dz) * DBL_EPSILON * s_max count as zero (the usual numerical
     * rank convention), so dependent z columns give the projection onto
     * the span of z rather than an error. */
    double cut = (double)m * DBL_EPSILON;
    lapack_int rank = 0;
    lapack_int info =
        LAPACKE_dgelsd(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)dz, (lapack_int)dzh, a,
                       (lapack_int)m, b, (lapack_int)m, sv, cut, &rank);
    if (info > 0) {
        st = idc_err_set(err, IDC_EUNABLE, "r2: the SVD of the fit-half z did not converge");
        goto done;
    }
    if (info < 0) {
        st = idc_err_set(err, IDC_EINTERNAL, "r2: LAPACKE_dgelsd rejected argument %d", (int)-info);
        goto done;
    }

    r2_score(r2in, z, dz, zhat, dzh, 0, m, zmean, zscale, ymean, b, m, zc, ys, ssr, sst);
    r2_score(r2out, z, dz, zhat, dzh, m, n, zmean, zscale, ymean, b, m, zc, ys, ssr, sst);
    for (size_t k = 0; k < dzh; k++) {
        if (!isfinite(r2in[k]) || !isfinite(r2out[k])) {
            st = idc_err_set(err, IDC_EINVAL,
                             "r2: zhat[:, %zu]: R^2 is not finite (input magnitudes overflow)", k);
            goto done;
        }
    }

    res->dz = dz;
    res->dzh = dzh;
    res->r2_in = mean_of(r2in, dzh);
    res->r2_out = mean_of(r2out, dzh);
    res->r2_coord_in = r2in;
    res->r2_coord_out = r2out;
    res->z_rank = (size_t)rank;
    res->z_rcond = sv[0] > 0.0 ? sv[dz - 1] / sv[0] : 0.0;
    r2in = NULL;
    r2out = NULL;

done:
    free(a);
    free(b);
    free(vz);
    free(vy);
    free(r2in);
    free(r2out);
    return st;
}

void idc_r2_result_clear(idc_r2_result *res)
{
    if (res == NULL)
        return;
    free(res->r2_coord_in);
    free(res->r2_coord_out);
    memset(res, 0, sizeof *res);
}

/* ---- MCC ---------------------------------------------------------------- */

/* Writes into s (rows x d row-major, rows = r1 - r0) the columns of a over
 * rows [r0, r1), each centred and scaled to unit Euclidean norm; an exactly
 * constant column becomes all zeros (so its correlations are 0). The scaling
 * goes through max |deviation| first so tiny or huge columns neither
 * underflow nor overflow. */
static int standardize(double *s, const double *a, size_t d, size_t r0, size_t r1, const char *name,
                       idc_err *err)
{
    size_t rows = r1 - r0;
    for (size_t j = 0; j < d; j++) {
        if (column_constant(a, d, j, r0, r1)) {
            for (size_t r = 0; r < rows; r++)
                s[r * d + j] = 0.0;
            continue;
        }
        double mu = column_mean(a, d, j, r0, r1), amax = 0.0;
        for (size_t r = 0; r < rows; r++) {
            s[r * d + j] = a[(r0 + r) * d + j] - mu;
            amax = fmax(amax, fabs(s[r * d + j]));
        }
        if (!isfinite(amax))
            return idc_err_set(err, IDC_EINVAL,
                               "mcc: %s[:, %zu]: deviations from the mean overflow", name, j);
        double ss = 0.0;
        for (size_t r = 0; r < rows; r++) {
            s[r * d + j] /= amax;
            ss += s[r * d + j] * s[r * d + j];
        }
        double nrm = sqrt(ss); /* >= 1: some entry is +-1 */
        for (size_t r = 0; r < rows; r++)
            s[r * d + j] /= nrm;
    }
    return IDC_OK;
}

/* corr = |Zs^T Hs| clamped to [0, 1] over rows [r0, r1); zs, hs are work
 * buffers of (r1 - r0) x dz and (r1 - r0) x dzh. */
static int abs_corr(double *corr, const double *z, size_t dz, const double *zhat, size_t dzh,
                    size_t r0, size_t r1, double *zs, double *hs, idc_err *err)
{
    int st = standardize(zs, z, dz, r0, r1, "z", err);
    if (st != IDC_OK)
        return st;
    st = standardize(hs, zhat, dzh, r0, r1, "zhat", err);
    if (st != IDC_OK)
        return st;
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)dz, (int)dzh, (int)(r1 - r0), 1.0, zs,
                (int)dz, hs, (int)dzh, 0.0, corr, (int)dzh);
    for (size_t i = 0; i < dz * dzh; i++)
        corr[i] = fmin(1.0, fabs(corr[i]));
    return IDC_OK;
}

int idc_metric_mcc(idc_mcc_result *res, const double *z, size_t dz, const double *zhat, size_t dzh,
                   size_t n, idc_err *err)
{
    if (res == NULL)
        return idc_err_set(err, IDC_EINVAL, "mcc: res is NULL");
    memset(res, 0, sizeof *res);
    int st = check_inputs("mcc", z, dz, zhat, dzh, n, 2, "n/2 >= 2", err);
    if (st != IDC_OK)
        return st;
    size_t m = n / 2, rows = n - m; /* rows >= m: the held-out half is the larger */

    double *zs = idc_calloc(rows * dz, sizeof *zs);
    double *hs = idc_calloc(rows * dzh, sizeof *hs);
    double *cin = idc_calloc(dz * dzh, sizeof *cin);
    double *cout = idc_calloc(dz * dzh, sizeof *cout);
    size_t *match = idc_calloc(dz, sizeof *match);
    if (zs == NULL || hs == NULL || cin == NULL || cout == NULL || match == NULL) {
        st = idc_err_set(err, IDC_ENOMEM, "mcc: out of memory (n = %zu, dz = %zu, dzh = %zu)", n,
                         dz, dzh);
        goto done;
    }
    st = abs_corr(cin, z, dz, zhat, dzh, 0, m, zs, hs, err);
    if (st != IDC_OK)
        goto done;
    st = abs_corr(cout, z, dz, zhat, dzh, m, n, zs, hs, err);
    if (st != IDC_OK)
        goto done;
    st = idc_hungarian_max(match, NULL, cin, dz, dzh, err);
    if (st != IDC_OK) {
        idc_err_prefix(err, st, "mcc: ");
        goto done;
    }

    size_t d = dz < dzh ? dz : dzh;
    double s_in = 0.0, s_out = 0.0;
    for (size_t i = 0; i < dz; i++) {
        if (match[i] == SIZE_MAX)
            continue;
        s_in += cin[i * dzh + match[i]];
        s_out += cout[i * dzh + match[i]];
    }
    res->dz = dz;
    res->dzh = dzh;
    res->d = d;
    res->mcc_in = s_in / (double)d;
    res->mcc_out = s_out / (double)d;
    res->match = match;
    res->corr_in = cin;
    res->corr_out = cout;
    match = NULL;
    cin = NULL;
    cout = NULL;

done:
    free(zs);
    free(hs);
    free(cin);
    free(cout);
    free(match);
    return st;
}

void idc_mcc_result_clear(idc_mcc_result *res)
{
    if (res == NULL)
        return;
    free(res->match);
    free(res->corr_in);
    free(res->corr_out);
    memset(res, 0, sizeof *res);
}

/* ---- Spearman MCC ---------------------------------------------------------- */

/* Replaces each column of a (n x d row-major) by its average ranks within
 * rows [0, m) and within rows [m, n), into out. work: 2 (n - m) size_t,
 * tmp: n - m doubles. */
static int rank_halves(double *out, const double *a, size_t d, size_t n, size_t m, size_t *work,
                       double *tmp, idc_err *err)
{
    for (size_t j = 0; j < d; j++)
        for (int h = 0; h < 2; h++) {
            size_t r0 = h ? m : 0, r1 = h ? n : m;
            int st = idc_rank_average(tmp, NULL, a + r0 * d + j, r1 - r0, d, work, err);
            if (st != IDC_OK)
                return st;
            for (size_t r = r0; r < r1; r++)
                out[r * d + j] = tmp[r - r0];
        }
    return IDC_OK;
}

int idc_metric_mcc_spearman(idc_mcc_result *res, const double *z, size_t dz, const double *zhat,
                            size_t dzh, size_t n, idc_err *err)
{
    if (res == NULL)
        return idc_err_set(err, IDC_EINVAL, "mcc: res is NULL");
    memset(res, 0, sizeof *res);
    int st = check_inputs("mcc", z, dz, zhat, dzh, n, 2, "n/2 >= 2", err);
    if (st != IDC_OK)
        return st;
    size_t m = n / 2, rows = n - m;
    double *zr = idc_calloc(n * dz, sizeof *zr), *hr = idc_calloc(n * dzh, sizeof *hr);
    double *tmp = idc_calloc(rows, sizeof *tmp);
    size_t *work = idc_calloc(2 * rows, sizeof *work);
    if (zr == NULL || hr == NULL || tmp == NULL || work == NULL)
        st = idc_err_set(err, IDC_ENOMEM, "mcc: out of memory (n = %zu, dz = %zu, dzh = %zu)", n,
                         dz, dzh);
    if (st == IDC_OK)
        st = rank_halves(zr, z, dz, n, m, work, tmp, err);
    if (st == IDC_OK)
        st = rank_halves(hr, zhat, dzh, n, m, work, tmp, err);
    if (st == IDC_OK)
        st = idc_metric_mcc(res, zr, dz, hr, dzh, n, err);
    free(zr);
    free(hr);
    free(tmp);
    free(work);
    return st;
}

/* ---- weak MCC (CCA alignment) --------------------------------------------- */

int idc_metric_mcc_weak(idc_mcc_weak_result *res, const double *z, size_t dz, const double *zhat,
                        size_t dzh, size_t n, size_t k_req, idc_err *err)
{
    if (res == NULL)
        return idc_err_set(err, IDC_EINVAL, "mcc_weak: res is NULL");
    memset(res, 0, sizeof *res);
    size_t dmax = dz > dzh ? dz : dzh;
    int st = check_inputs("mcc_weak", z, dz, zhat, dzh, n, dmax + 2, "n/2 >= max(dz, dzh) + 2",
                          err);
    if (st != IDC_OK)
        return st;
    size_t m = n / 2;
    idc_cca cca;
    st = idc_cca_fit(&cca, z, dz, zhat, dzh, m, k_req, err);
    if (st != IDC_OK)
        return idc_err_prefix(err, st, "mcc_weak: ");
    size_t k = cca.k;
    double *u = idc_calloc(n * k, sizeof *u), *v = idc_calloc(n * k, sizeof *v);
    if (u == NULL || v == NULL) {
        st = idc_err_set(err, IDC_ENOMEM, "mcc_weak: out of memory (n = %zu, k = %zu)", n, k);
        goto done;
    }
    idc_cca_transform(&cca, u, z, v, zhat, n);
    st = idc_metric_mcc(&res->mcc, u, k, v, k, n, err);
    if (st != IDC_OK) {
        idc_err_prefix(err, st, "mcc_weak: ");
        goto done;
    }
    res->k = k;
    res->rho = cca.rho;
    res->rank_z = cca.rank_x;
    res->rank_zhat = cca.rank_y;
    cca.rho = NULL;
done:
    free(u);
    free(v);
    idc_cca_clear(&cca);
    return st;
}

void idc_mcc_weak_result_clear(idc_mcc_weak_result *res)
{
    if (res == NULL)
        return;
    idc_mcc_result_clear(&res->mcc);
    free(res->rho);
    memset(res, 0, sizeof *res);
}

/* ---- block R^2 matrix ------------------------------------------------------ */

static int check_blocks(const idc_blocks *b, size_t d, const char *name, idc_err *err)
{
    if (b == NULL || b->nblocks == 0 || b->off == NULL || b->idx == NULL)
        return idc_err_set(err, IDC_EINVAL, "r2_blocks: %s is NULL or has no blocks", name);
    if (b->off[0] != 0)
        return idc_err_set(err, IDC_EINVAL, "r2_blocks: %s: off[0] = %zu, must be 0", name,
                           b->off[0]);
    for (size_t i = 0; i < b->nblocks; i++) {
        if (b->off[i + 1] <= b->off[i])
            return idc_err_set(err, IDC_EINVAL, "r2_blocks: %s block %zu is empty", name, i);
        for (size_t k = b->off[i]; k < b->off[i + 1]; k++)
            if (b->idx[k] >= d)
                return idc_err_set(err, IDC_EINVAL, "r2_blocks: %s block %zu: index %zu >= %s = %zu",
                                   name, i, b->idx[k], name[0] == 'z' && name[1] == 'b' ? "dz" : "dzh",
                                   d);
    }
    return IDC_OK;
}

/* out (n x |block|) = the block's columns of a (n x d). */
static void gather(double *out, const double *a, size_t d, size_t n, const idc_blocks *b, size_t i)
{
    size_t w = b->off[i + 1] - b->off[i];
    for (size_t r = 0; r < n; r++)
        for (size_t k = 0; k < w; k++)
            out[r * w + k] = a[r * d + b->idx[b->off[i] + k]];
}

int idc_metric_r2_blocks(idc_r2_blocks_result *res, const double *z, size_t dz,
                         const double *zhat, size_t dzh, size_t n, const idc_blocks *zb,
                         const idc_blocks *hb, idc_err *err)
{
    if (res == NULL)
        return idc_err_set(err, IDC_EINVAL, "r2_blocks: res is NULL");
    memset(res, 0, sizeof *res);
    int st = check_inputs("r2_blocks", z, dz, zhat, dzh, n, 0, "", err);
    if (st == IDC_OK)
        st = check_blocks(zb, dz, "zb", err);
    if (st == IDC_OK)
        st = check_blocks(hb, dzh, "hb", err);
    if (st != IDC_OK)
        return st;
    size_t nt = zb->nblocks, nl = hb->nblocks;
    double *zt = idc_calloc(n * dz, sizeof *zt), *ht = idc_calloc(n * dzh, sizeof *ht);
    double *rin = idc_calloc(nt * nl, sizeof *rin), *rout = idc_calloc(nt * nl, sizeof *rout);
    if (zt == NULL || ht == NULL || rin == NULL || rout == NULL) {
        st = idc_err_set(err, IDC_ENOMEM, "r2_blocks: out of memory (n = %zu)", n);
        goto done;
    }
    for (size_t t = 0; t < nt && st == IDC_OK; t++) {
        size_t wt = zb->off[t + 1] - zb->off[t];
        gather(zt, z, dz, n, zb, t);
        for (size_t l = 0; l < nl; l++) {
            size_t wl = hb->off[l + 1] - hb->off[l];
            gather(ht, zhat, dzh, n, hb, l);
            idc_r2_result r2;
            st = idc_metric_r2(&r2, zt, wt, ht, wl, n, err);
            if (st != IDC_OK) {
                idc_err_prefix(err, st, "r2_blocks[%zu][%zu]: ", t, l);
                break;
            }
            rin[t * nl + l] = r2.r2_in;
            rout[t * nl + l] = r2.r2_out;
            idc_r2_result_clear(&r2);
        }
    }
    if (st == IDC_OK) {
        res->nt = nt;
        res->nl = nl;
        res->r2_in = rin;
        res->r2_out = rout;
        rin = rout = NULL;
    }
done:
    free(zt);
    free(ht);
    free(rin);
    free(rout);
    return st;
}

void idc_r2_blocks_result_clear(idc_r2_blocks_result *res)
{
    if (res == NULL)
        return;
    free(res->r2_in);
    free(res->r2_out);
    memset(res, 0, sizeof *res);
}
