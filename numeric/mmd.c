/* Kernel two-sample test and the GAUSS goodness-of-fit test (see mmd.h). */
#include "numeric/mmd.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "numeric/gmm_em.h"
#include "numeric/rng.h"

idc_mmd_opts idc_mmd_opts_default(void)
{
    idc_mmd_opts o = {200, 0.05, 500, 1, 0, 3};
    return o;
}

static int check_opts(const idc_mmd_opts *o, idc_err *err)
{
    if (o->permutations < 1)
        return idc_err_set(err, IDC_EINVAL, "mmd.permutations: must be >= 1");
    if (!(o->level > 0 && o->level < 1))
        return idc_err_set(err, IDC_EINVAL, "mmd.level: must be in (0, 1), got %g", o->level);
    if (o->scales < 1 || o->scales > 8)
        return idc_err_set(err, IDC_EINVAL, "mmd.scales: must be in 1..8, got %u", o->scales);
    if (o->max_rows < 2)
        return idc_err_set(err, IDC_EINVAL, "mmd.max_rows: must be >= 2");
    return IDC_OK;
}

static int all_finite(const double *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i]))
            return 0;
    return 1;
}

/* The k-th smallest of a[0..n) (k < n; a is reordered): quickselect with a
 * three-way partition around the middle element, deterministic. */
static double select_kth(double *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n; /* [lo, hi) holds the answer */
    for (;;) {
        double piv = a[lo + (hi - lo) / 2];
        size_t lt = lo, i = lo, gt = hi;
        while (i < gt) {
            double t = a[i];
            if (t < piv) {
                a[i++] = a[lt];
                a[lt++] = t;
            } else if (t > piv) {
                a[i] = a[--gt];
                a[gt] = t;
            } else {
                i++;
            }
        }
        if (k < lt)
            hi = lt;
        else if (k >= gt)
            lo = gt;
        else
            return piv;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* sXX, sYY over i < j of the labelling g (0 / 1) from the strict upper
 * triangle of K (N x N) and its suffix row sums R; returns MMD^2_u. */
static double statistic(const double *K, const double *R, const double *g, size_t N, size_t n, double half_total)
{
    double sxx = 0, syy = 0;
    for (size_t i = 0; i + 1 < N; i++) {
        const double *row = K + i * N;
        double a1 = 0;
        for (size_t j = i + 1; j < N; j++)
            a1 += row[j] * g[j];
        if (g[i] == 0)
            sxx += R[i] - a1;
        else
            syy += a1;
    }
    double sxy = half_total - sxx - syy, nn = (double)n;
    return 2 * (sxx + syy) / (nn * (nn - 1)) - 2 * sxy / (nn * nn);
}

int idc_mmd_test(idc_mmd_result *r, const double *X, size_t nx, const double *Y, size_t ny, size_t d,
                 const idc_mmd_opts *o, idc_err *err)
{
    memset(r, 0, sizeof *r);
    int rc = check_opts(o, err);
    if (rc != IDC_OK)
        return rc;
    size_t n = nx < ny ? nx : ny;
    if (n > o->max_rows)
        n = o->max_rows;
    if (n < 2 || d == 0)
        return idc_err_set(err, IDC_EINVAL, "mmd: need at least 2 rows per sample and d >= 1 (got %zu, %zu, d %zu)",
                           nx, ny, d);
    if (!all_finite(X, n * d) || !all_finite(Y, n * d))
        return idc_err_set(err, IDC_EINVAL, "mmd: a non-finite value in the samples");
    size_t N = 2 * n, M = N * (N - 1) / 2;
    double *K = malloc(N * N * sizeof *K), *R = malloc(N * sizeof *R), *g = malloc(N * sizeof *g);
    double *dist = malloc(M * sizeof *dist), *perm = malloc(o->permutations * sizeof *perm);
    if (K == NULL || R == NULL || g == NULL || dist == NULL || perm == NULL) {
        rc = idc_err_set(err, IDC_ENOMEM, "mmd: out of memory (%zu rows)", N);
        goto done;
    }
    /* squared distances in the strict upper triangle */
    size_t c = 0;
    double dsum = 0;
    for (size_t i = 0; i < N; i++) {
        const double *a = i < n ? X + i * d : Y + (i - n) * d;
        for (size_t j = i + 1; j < N; j++) {
            const double *b = j < n ? X + j * d : Y + (j - n) * d;
            double s = 0;
            for (size_t q = 0; q < d; q++) {
                double t = a[q] - b[q];
                s += t * t;
            }
            K[i * N + j] = s;
            dist[c++] = sqrt(s);
            dsum += sqrt(s);
        }
    }
    double h = select_kth(dist, M, (M - 1) / 2);
    if (!(h > 0))
        h = dsum / (double)M;
    if (!(h > 0))
        h = 1;
    double half_total = 0, inv = 1 / (2 * h * h);
    unsigned S = o->scales;
    for (size_t i = 0; i < N; i++) {
        double s = 0;
        for (size_t j = i + 1; j < N; j++) {
            double kv = 0, f = 1;
            for (unsigned t = 0; t < S; t++, f *= 4)
                kv += exp(-K[i * N + j] * inv * f);
            K[i * N + j] = kv / S;
            s += K[i * N + j];
        }
        R[i] = s;
        half_total += s;
    }
    for (size_t i = 0; i < N; i++)
        g[i] = i < n ? 0 : 1;
    double obs = statistic(K, R, g, N, n, half_total);
    idc_rng st = idc_rng_stream(o->seed, o->trial, IDC_PURPOSE_GOF);
    size_t ge = 0;
    for (unsigned p = 0; p < o->permutations; p++) {
        for (size_t i = 0; i < N; i++)
            g[i] = i < n ? 0 : 1;
        for (size_t i = N - 1; i > 0; i--) { /* Fisher-Yates */
            size_t j = (size_t)idc_rng_below(st, ((uint64_t)1 << 40) + (uint64_t)p * N + i, (uint64_t)i + 1);
            double t = g[i];
            g[i] = g[j];
            g[j] = t;
        }
        perm[p] = statistic(K, R, g, N, n, half_total);
        ge += perm[p] >= obs;
    }
    qsort(perm, o->permutations, sizeof *perm, cmp_double);
    double q = ceil((1 - o->level) * (double)(o->permutations + 1));
    r->n = n;
    r->bandwidth = h;
    r->mmd2 = obs;
    r->threshold = q <= (double)o->permutations ? perm[(size_t)q - 1] : INFINITY;
    r->p_value = (double)(1 + ge) / (double)(1 + o->permutations);
    r->permutations = o->permutations;
    r->level = o->level;
    r->met = r->p_value > o->level;
done:
    free(K);
    free(R);
    free(g);
    free(dist);
    free(perm);
    return rc;
}

/* out (ns x d) = samples of g: component by inverse CDF of a uniform, then
 * mean + L eps with L the Cholesky factor. IDC_EUNABLE for a covariance
 * that is not positive definite. */
static int gmm_sample(double *out, size_t ns, const idc_gmm *gm, idc_rng st, idc_err *err)
{
    size_t J = gm->J, d = gm->d;
    double *L = malloc(J * d * d * sizeof *L);
    if (L == NULL)
        return idc_err_set(err, IDC_ENOMEM, "gauss: out of memory");
    memcpy(L, gm->cov, J * d * d * sizeof *L);
    for (size_t j = 0; j < J; j++)
        if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)d, L + j * d * d, (lapack_int)d) != 0) {
            free(L);
            return idc_err_set(err, IDC_EUNABLE, "gauss: fitted covariance %zu is not positive definite", j);
        }
    for (size_t i = 0; i < ns; i++) {
        double u = idc_rng_uniform(st, ((uint64_t)1 << 38) + i), acc = 0;
        size_t j = 0;
        for (; j + 1 < J; j++) {
            acc += gm->weight[j];
            if (u < acc)
                break;
        }
        const double *Lj = L + j * d * d;
        for (size_t a = 0; a < d; a++) {
            double s = gm->mean[j * d + a];
            for (size_t b = 0; b <= a; b++)
                s += Lj[a * d + b] * idc_rng_normal(st, (uint64_t)(i * d + b));
            out[i * d + a] = s;
        }
    }
    free(L);
    return IDC_OK;
}

int idc_gauss_test(idc_gauss_result *r, const double *codes, size_t n, size_t d, size_t J, const idc_mmd_opts *o,
                   idc_err *err)
{
    memset(r, 0, sizeof *r);
    int rc = check_opts(o, err);
    if (rc != IDC_OK)
        return rc;
    if (d == 0 || J == 0 || n < 4 || n / 2 < J)
        return idc_err_set(err, IDC_EINVAL, "gauss: need d >= 1, J >= 1 and n >= max(4, 2 J) (got d %zu, J %zu, n %zu)",
                           d, J, n);
    if (!all_finite(codes, n * d))
        return idc_err_set(err, IDC_EINVAL, "gauss: a non-finite code");
    size_t nt = n < o->max_rows ? n : o->max_rows, nf = n;
    const double *fit = codes; /* the statistics of all rows */
    double *Z = malloc(n * d * sizeof *Z), *S = malloc(nt * d * sizeof *S);
    double *mean = calloc(d, sizeof *mean), *sd = calloc(d, sizeof *sd);
    idc_gmm gm;
    idc_gmm_init(&gm);
    if (Z == NULL || S == NULL || mean == NULL || sd == NULL) {
        rc = idc_err_set(err, IDC_ENOMEM, "gauss: out of memory");
        goto done;
    }
    for (size_t i = 0; i < nf; i++)
        for (size_t a = 0; a < d; a++)
            mean[a] += fit[i * d + a] / (double)nf;
    for (size_t i = 0; i < nf; i++)
        for (size_t a = 0; a < d; a++) {
            double t = fit[i * d + a] - mean[a];
            sd[a] += t * t / (double)nf;
        }
    for (size_t a = 0; a < d; a++)
        sd[a] = sd[a] > 0 ? sqrt(sd[a]) : 1;
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < d; a++)
            Z[i * d + a] = (codes[i * d + a] - mean[a]) / sd[a];
    idc_gmm_opts go = idc_gmm_opts_default();
    go.restarts = 3;
    go.seed = o->seed;
    rc = idc_gmm_fit(&gm, Z, nf, d, J, &go, err);
    if (rc == IDC_OK)
        rc = gmm_sample(S, nt, &gm, idc_rng_stream(o->seed, o->trial, IDC_PURPOSE_GOF), err);
    if (rc == IDC_OK)
        rc = idc_mmd_test(&r->mmd, Z, nt, S, nt, d, o, err);
    r->J = J;
    r->gmm_loglik = gm.loglik;
done:
    idc_gmm_clear(&gm);
    free(Z);
    free(S);
    free(mean);
    free(sd);
    return rc;
}
