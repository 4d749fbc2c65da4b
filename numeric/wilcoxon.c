#include "numeric/wilcoxon.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "numeric/rank.h"

#define MAXSUM (IDC_WILCOXON_EXACT_MAX * (IDC_WILCOXON_EXACT_MAX + 1) / 2)

size_t idc_wilcoxon_exact_max(void)
{
    return IDC_WILCOXON_EXACT_MAX;
}

int idc_wilcoxon_exact_cdf(double *p, size_t n, double w, idc_err *err)
{
    if (p == NULL)
        return idc_err_set(err, IDC_EINVAL, "wilcoxon: p is NULL");
    *p = 0.0;
    if (n > IDC_WILCOXON_EXACT_MAX)
        return idc_err_set(err, IDC_EINVAL, "wilcoxon: exact table for n = %zu > %d", n,
                           IDC_WILCOXON_EXACT_MAX);
    if (isnan(w))
        return idc_err_set(err, IDC_EINVAL, "wilcoxon: w is NaN");
    size_t total = n * (n + 1) / 2;
    if (w < 0.0)
        return IDC_OK;
    if (w >= (double)total) {
        *p = 1.0;
        return IDC_OK;
    }
    size_t wi = (size_t)floor(w);
    /* c[v] = number of subsets of {1..k} with sum v, after step k. */
    double c[MAXSUM + 1];
    memset(c, 0, sizeof c);
    c[0] = 1.0;
    for (size_t k = 1; k <= n; k++) {
        size_t top = k * (k + 1) / 2;
        for (size_t v = top; v >= k; v--)
            c[v] += c[v - k];
    }
    double s = 0.0;
    for (size_t v = 0; v <= wi; v++)
        s += c[v];
    *p = ldexp(s, -(int)n);
    return IDC_OK;
}

int idc_wilcoxon_signed_rank(idc_wilcoxon_result *res, const double *x, const double *y, size_t n,
                             idc_err *err)
{
    if (res == NULL)
        return idc_err_set(err, IDC_EINVAL, "wilcoxon: res is NULL");
    memset(res, 0, sizeof *res);
    if (x == NULL)
        return idc_err_set(err, IDC_EINVAL, "wilcoxon: x is NULL");
    if (n == 0)
        return idc_err_set(err, IDC_EINVAL, "wilcoxon: no pairs (n = 0)");
    double *d = idc_calloc(n, sizeof *d), *r = idc_calloc(n, sizeof *r);
    size_t *work = idc_calloc(2 * n, sizeof *work);
    int st = IDC_OK;
    if (d == NULL || r == NULL || work == NULL) {
        st = idc_err_set(err, IDC_ENOMEM, "wilcoxon: out of memory (n = %zu)", n);
        goto done;
    }
    size_t nu = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || (y != NULL && !isfinite(y[i]))) {
            st = idc_err_set(err, IDC_EINVAL, "wilcoxon: %s[%zu] is not finite (%g)",
                             isfinite(x[i]) ? "y" : "x", i, isfinite(x[i]) ? y[i] : x[i]);
            goto done;
        }
        double di = y != NULL ? x[i] - y[i] : x[i];
        if (!isfinite(di)) {
            st = idc_err_set(err, IDC_EINVAL, "wilcoxon: x[%zu] - y[%zu] overflows", i, i);
            goto done;
        }
        if (di != 0.0)
            d[nu++] = di;
    }
    for (size_t i = 0; i < nu; i++)
        r[i] = fabs(d[i]); /* ranked below; d keeps the signs */
    double ties = 0.0;
    double *rk = idc_calloc(nu > 0 ? nu : 1, sizeof *rk);
    if (rk == NULL) {
        st = idc_err_set(err, IDC_ENOMEM, "wilcoxon: out of memory (n = %zu)", n);
        goto done;
    }
    st = idc_rank_average(rk, &ties, r, nu, 1, work, err);
    if (st != IDC_OK) {
        free(rk);
        goto done;
    }
    double wp = 0.0;
    for (size_t i = 0; i < nu; i++)
        if (d[i] > 0.0)
            wp += rk[i];
    free(rk);
    double dn = (double)nu, total = dn * (dn + 1.0) / 2.0;
    res->n = n;
    res->n_used = nu;
    res->n_zero = n - nu;
    res->ties = ties > 0.0;
    res->w_plus = wp;
    res->w_minus = total - wp;
    double mean = total / 2.0, var = dn * (dn + 1.0) * (2.0 * dn + 1.0) / 24.0 - ties / 48.0;
    double dev = fmax(0.0, fabs(wp - mean) - 0.5);
    res->z = var > 0.0 ? copysign(dev / sqrt(var), wp - mean) : 0.0;
    if (nu == 0) {
        res->method = IDC_WILCOXON_EXACT;
        res->p_two_sided = 1.0;
    } else if (nu <= IDC_WILCOXON_EXACT_MAX && !res->ties) {
        double lo, hi;
        st = idc_wilcoxon_exact_cdf(&lo, nu, wp, err);
        if (st == IDC_OK)
            st = idc_wilcoxon_exact_cdf(&hi, nu, total - wp, err); /* P(W+ >= wp) */
        if (st != IDC_OK)
            goto done;
        res->method = IDC_WILCOXON_EXACT;
        res->p_two_sided = fmin(1.0, 2.0 * fmin(lo, hi));
    } else {
        res->method = IDC_WILCOXON_NORMAL;
        res->p_two_sided = fmin(1.0, erfc(fabs(res->z) / sqrt(2.0)));
    }
done:
    if (st != IDC_OK)
        memset(res, 0, sizeof *res);
    free(d);
    free(r);
    free(work);
    return st;
}
