#include "numeric/stability.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "numeric/metric.h"

static idc_stability_summary summarise(const double *x, size_t n)
{
    idc_stability_summary s = {0.0, 0.0, x[0], x[0]};
    for (size_t i = 0; i < n; i++) {
        s.mean += x[i] / (double)n;
        s.min = fmin(s.min, x[i]);
        s.max = fmax(s.max, x[i]);
    }
    if (n > 1) {
        double ss = 0.0;
        for (size_t i = 0; i < n; i++)
            ss += (x[i] - s.mean) * (x[i] - s.mean);
        s.sd = sqrt(ss / (double)(n - 1));
    }
    return s;
}

int idc_stability_mcc(idc_stability_result *res, const double *const *reps, const size_t *dims, size_t R,
                      size_t n, size_t k_cca, idc_err *err)
{
    if (res == NULL)
        return idc_err_set(err, IDC_EINVAL, "stability: res is NULL");
    memset(res, 0, sizeof *res);
    if (reps == NULL || dims == NULL)
        return idc_err_set(err, IDC_EINVAL, "stability: %s is NULL", reps == NULL ? "reps" : "dims");
    if (R < 2 || R > 65536)
        return idc_err_set(err, IDC_EINVAL, "stability: R = %zu representations, need 2..65536", R);
    size_t np = R * (R - 1) / 2;
    size_t *pi = idc_calloc(np, sizeof *pi), *pj = idc_calloc(np, sizeof *pj);
    double *v = idc_calloc(4 * np, sizeof *v);
    int st = IDC_OK;
    if (pi == NULL || pj == NULL || v == NULL) {
        st = idc_err_set(err, IDC_ENOMEM, "stability: out of memory (R = %zu)", R);
        goto done;
    }
    size_t p = 0;
    for (size_t i = 0; i < R && st == IDC_OK; i++)
        for (size_t j = i + 1; j < R; j++, p++) {
            pi[p] = i;
            pj[p] = j;
            idc_mcc_result s;
            idc_mcc_weak_result w;
            st = idc_metric_mcc(&s, reps[i], dims[i], reps[j], dims[j], n, err);
            if (st == IDC_OK) {
                v[p] = s.mcc_in;
                v[np + p] = s.mcc_out;
                idc_mcc_result_clear(&s);
                st = idc_metric_mcc_weak(&w, reps[i], dims[i], reps[j], dims[j], n, k_cca, err);
            }
            if (st != IDC_OK) {
                idc_err_prefix(err, st, "stability (%zu, %zu): ", i, j);
                break;
            }
            v[2 * np + p] = w.mcc.mcc_in;
            v[3 * np + p] = w.mcc.mcc_out;
            idc_mcc_weak_result_clear(&w);
        }
    if (st != IDC_OK)
        goto done;
    res->R = R;
    res->npairs = np;
    res->pair_i = pi;
    res->pair_j = pj;
    res->strong_in = v;
    res->strong_out = v + np;
    res->weak_in = v + 2 * np;
    res->weak_out = v + 3 * np;
    res->strong_in_s = summarise(res->strong_in, np);
    res->strong_out_s = summarise(res->strong_out, np);
    res->weak_in_s = summarise(res->weak_in, np);
    res->weak_out_s = summarise(res->weak_out, np);
    return IDC_OK;
done:
    free(pi);
    free(pj);
    free(v);
    return st;
}

void idc_stability_result_clear(idc_stability_result *res)
{
    if (res == NULL)
        return;
    free(res->pair_i);
    free(res->pair_j);
    free(res->strong_in); /* owns the four series */
    memset(res, 0, sizeof *res);
}
