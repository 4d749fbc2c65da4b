/* The kink search (see models/estimators/kinks.h). */
#include "models/estimators/kinks.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "numeric/rng.h"

#define MAXM IDC_KINKS_MAX_DIM

void idc_kinks_opts_default(idc_kinks_opts *o, size_t m)
{
    memset(o, 0, sizeof *o);
    size_t d = 400 * m * m;
    o->directions = m == 2 ? 180 : d > 6000 ? 6000 : d;
    o->subsample = 5000;
    o->candidates = 0; /* 3 k */
    o->refine_iters = 60;
    o->h0 = 0.15;
    o->h1 = 0.05;
    o->seed = 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The first index i with p[i] >= v in the sorted p[0..n). */
static size_t lower(const double *p, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

typedef struct {
    double z;     /* signed: > 0 when the density is higher on the right of beta */
    double beta;  /* offset along d */
    double ratio; /* nR / nL */
} jump;

/* The largest |z| over offsets of the sorted projections p. */
static jump best_offset(const double *p, size_t n, double h)
{
    jump best = {0, 0, 1};
    if (n < 64)
        return best;
    double lo = p[n / 50], hi = p[n - 1 - n / 50];
    for (double b = lo + 2 * h; b <= hi - 2 * h; b += h / 4) {
        size_t i0 = lower(p, n, b - 2 * h), i1 = lower(p, n, b - h), i2 = lower(p, n, b), i3 = lower(p, n, b + h),
               i4 = lower(p, n, b + 2 * h);
        double nLL = (double)(i1 - i0), nL = (double)(i2 - i1), nR = (double)(i3 - i2), nRR = (double)(i4 - i3);
        double J = 1.5 * (nR - nL) - 0.5 * nRR + 0.5 * nLL, var = 2.25 * (nL + nR) + 0.25 * (nLL + nRR);
        if (var <= 0)
            continue;
        double z = J / sqrt(var);
        if (fabs(z) > fabs(best.z)) {
            best.z = z;
            best.beta = b;
            best.ratio = z > 0 ? (nR + 0.5) / (nL + 0.5) : (nL + 0.5) / (nR + 0.5);
        }
    }
    return best;
}

/* z of direction d (whitened, unit) on the first n rows of u; p: scratch. */
static jump score(const double *d, const double *u, size_t n, size_t m, double h, double *p)
{
    for (size_t i = 0; i < n; i++) {
        double acc = 0;
        for (size_t a = 0; a < m; a++)
            acc += d[a] * u[i * m + a];
        p[i] = acc;
    }
    qsort(p, n, sizeof *p, cmp_double);
    return best_offset(p, n, h);
}

static void normalise(double *d, size_t m)
{
    double s = 0;
    for (size_t a = 0; a < m; a++)
        s += d[a] * d[a];
    s = sqrt(s);
    for (size_t a = 0; a < m; a++)
        d[a] /= s;
}

static double dot(const double *a, const double *b, size_t m)
{
    double s = 0;
    for (size_t i = 0; i < m; i++)
        s += a[i] * b[i];
    return s;
}

typedef struct {
    double d[MAXM];
    jump j;
} cand;

static int cmp_cand(const void *a, const void *b)
{
    double x = fabs(((const cand *)a)->j.z), y = fabs(((const cand *)b)->j.z);
    return (x < y) - (x > y); /* descending */
}

int idc_kinks_find(idc_kink *out, size_t *found, size_t k, const double *x, size_t n, size_t m,
                   const idc_kinks_opts *o, idc_err *err)
{
    *found = 0;
    if (m < 1 || m > MAXM || k > m || n < 64)
        return idc_err_set(err, IDC_EINVAL, "kinks: need 1 <= k <= m <= %d and n >= 64 (got k %zu, m %zu, n %zu)",
                           MAXM, k, m, n);
    if (k == 0)
        return IDC_OK;
    /* whitening: u = L^-1 (x - mean), S = L L^T */
    double mean[MAXM] = {0}, L[MAXM * MAXM] = {0};
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < m; a++)
            mean[a] += x[i * m + a] / (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b <= a; b++)
                L[a * m + b] += (x[i * m + a] - mean[a]) * (x[i * m + b] - mean[b]) / (double)n;
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)m, L, (lapack_int)m) != 0)
        return idc_err_set(err, IDC_EDOM, "kinks: the rows' covariance is singular");
    double *u = malloc(n * m * sizeof *u), *p = malloc(n * sizeof *p);
    size_t nd = o->directions < 1 ? 1 : o->directions, nc = o->candidates ? o->candidates : 3 * k;
    cand *cs = malloc(nd * sizeof *cs);
    if (u == NULL || p == NULL || cs == NULL) {
        free(u);
        free(p);
        free(cs);
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) { /* forward substitution, row by row */
        for (size_t a = 0; a < m; a++) {
            double acc = x[i * m + a] - mean[a];
            for (size_t b = 0; b < a; b++)
                acc -= L[a * m + b] * u[i * m + b];
            u[i * m + a] = acc / L[a * m + a];
        }
    }
    /* scan */
    size_t ns = o->subsample > 0 && o->subsample < n ? o->subsample : n;
    idc_rng s = idc_rng_stream(o->seed, 0, IDC_PURPOSE_SEARCH);
    for (size_t q = 0; q < nd; q++) {
        cand *c = &cs[q];
        memset(c->d, 0, sizeof c->d);
        if (m == 1) {
            c->d[0] = 1;
        } else if (m == 2) {
            double th = M_PI * (double)q / (double)nd;
            c->d[0] = cos(th);
            c->d[1] = sin(th);
        } else {
            for (size_t a = 0; a < m; a++)
                c->d[a] = idc_rng_normal(s, (uint64_t)q * MAXM + a);
            normalise(c->d, m);
        }
        c->j = score(c->d, u, ns, m, o->h0, p);
    }
    qsort(cs, nd, sizeof *cs, cmp_cand);
    /* the best nc candidates, not near-parallel to a better one */
    size_t kept = 0;
    for (size_t q = 0; q < nd && kept < nc; q++) {
        int dup = 0;
        for (size_t r = 0; r < kept && !dup; r++)
            dup = fabs(dot(cs[q].d, cs[r].d, m)) > 0.98;
        if (!dup)
            cs[kept++] = cs[q];
    }
    /* refine each on all rows: in turn along each of m - 1 tangent directions
     * (an orthonormal basis of d's complement), the best of 9 angles in
     * [-a, a], a shrinking from 0.08 rad by half each round, and h from h0
     * to h1 over the rounds */
    size_t rounds = o->refine_iters / 10 ? o->refine_iters / 10 : 1;
    for (size_t q = 0; q < kept; q++) {
        cand *c = &cs[q];
        for (size_t rd = 0; rd < rounds && m > 1; rd++) {
            double fr = rounds > 1 ? (double)rd / (double)(rounds - 1) : 1.0;
            double h = o->h0 * pow(o->h1 / o->h0, fr), amp = 0.08 * pow(0.5, (double)rd);
            c->j = score(c->d, u, n, m, h, p);
            /* tangent basis: Gram-Schmidt of the unit vectors against d */
            double T[MAXM * MAXM];
            size_t nt = 0;
            for (size_t e = 0; e < m && nt < m - 1; e++) {
                double v[MAXM] = {0};
                v[e] = 1;
                double cd = dot(v, c->d, m);
                for (size_t a2 = 0; a2 < m; a2++)
                    v[a2] -= cd * c->d[a2];
                for (size_t r = 0; r < nt; r++) {
                    double cr = dot(v, T + r * m, m);
                    for (size_t a2 = 0; a2 < m; a2++)
                        v[a2] -= cr * T[r * m + a2];
                }
                double vn = sqrt(dot(v, v, m));
                if (vn < 0.3)
                    continue;
                for (size_t a2 = 0; a2 < m; a2++)
                    T[nt * m + a2] = v[a2] / vn;
                nt++;
            }
            for (size_t e = 0; e < nt; e++) {
                double bestd[MAXM];
                memcpy(bestd, c->d, m * sizeof *bestd);
                jump bj = c->j;
                for (int g = -4; g <= 4; g++) {
                    if (g == 0)
                        continue;
                    double th = amp * g / 4.0, d2[MAXM];
                    for (size_t a2 = 0; a2 < m; a2++)
                        d2[a2] = cos(th) * c->d[a2] + sin(th) * T[e * m + a2];
                    jump j2 = score(d2, u, n, m, h, p);
                    if (fabs(j2.z) > fabs(bj.z)) {
                        bj = j2;
                        memcpy(bestd, d2, m * sizeof *bestd);
                    }
                }
                memcpy(c->d, bestd, m * sizeof *bestd);
                c->j = bj;
            }
        }
        if (m == 1) /* (otherwise the last round ran at h1) */
            c->j = score(c->d, u, n, m, o->h1, p);
    }
    qsort(cs, kept, sizeof *cs, cmp_cand);
    /* greedy: not near-parallel, the set independent, a clear jump (|z| >= 5: on a single Gaussian through an affine map, no kink, the largest |z| of the scan is about 4) */
    double basis[MAXM * MAXM];
    size_t nb = 0;
    for (size_t q = 0; q < kept && nb < k; q++) {
        cand *c = &cs[q];
        if (fabs(c->j.z) < 5)
            break;
        double res[MAXM];
        memcpy(res, c->d, m * sizeof *res);
        for (size_t r = 0; r < nb; r++) {
            double cr = dot(c->d, basis + r * m, m); /* basis rows: the taken directions, orthonormalised */
            for (size_t a = 0; a < m; a++)
                res[a] -= cr * basis[r * m + a];
        }
        double rn = sqrt(dot(res, res, m));
        if (rn < sqrt(1 - 0.9 * 0.9))
            continue; /* near the span of the taken ones (covers near-parallel) */
        for (size_t a = 0; a < m; a++)
            basis[nb * m + a] = res[a] / rn;
        /* orient: the lower-density side negative; back to x's coordinates:
         * d.u = d.L^-1 (x - mean) = w.x - w.mean with w = L^-T d */
        double sg = c->j.z > 0 ? 1 : -1, w[MAXM];
        for (size_t a = m; a-- > 0;) {
            double acc = sg * c->d[a];
            for (size_t b = a + 1; b < m; b++)
                acc -= L[b * m + a] * w[b];
            w[a] = acc / L[a * m + a];
        }
        idc_kink *kk = &out[nb];
        memset(kk, 0, sizeof *kk);
        memcpy(kk->w, w, m * sizeof *w);
        kk->beta = sg * c->j.beta + dot(w, mean, m);
        kk->z = fabs(c->j.z);
        kk->ratio = c->j.ratio;
        nb++;
    }
    *found = nb;
    free(u);
    free(p);
    free(cs);
    return IDC_OK;
}
