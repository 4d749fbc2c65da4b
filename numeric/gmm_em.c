/* Gaussian mixture EM (see gmm_em.h). */
#include "numeric/gmm_em.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "numeric/rng.h"

#define LOG_2PI 1.8378770664093454836

idc_gmm_opts idc_gmm_opts_default(void)
{
    idc_gmm_opts o = {5, 300, 1e-8, 1e-6, 1};
    return o;
}

void idc_gmm_init(idc_gmm *g)
{
    memset(g, 0, sizeof *g);
}

void idc_gmm_clear(idc_gmm *g)
{
    free(g->weight);
    free(g->mean);
    free(g->cov);
    idc_gmm_init(g);
}

int idc_gmm_copy(idc_gmm *dst, const idc_gmm *src)
{
    size_t J = src->J, d = src->d;
    idc_gmm_clear(dst);
    size_t nm = J * d > 0 ? J * d : 1, nc = J * d * d > 0 ? J * d * d : 1;
    dst->weight = malloc((J > 0 ? J : 1) * sizeof *dst->weight);
    dst->mean = malloc(nm * sizeof *dst->mean);
    dst->cov = malloc(nc * sizeof *dst->cov);
    if (dst->weight == NULL || dst->mean == NULL || dst->cov == NULL) {
        idc_gmm_clear(dst);
        return IDC_ENOMEM;
    }
    if (J > 0) {
        memcpy(dst->weight, src->weight, J * sizeof *dst->weight);
        memcpy(dst->mean, src->mean, J * d * sizeof *dst->mean);
        memcpy(dst->cov, src->cov, J * d * d * sizeof *dst->cov);
    }
    dst->J = J;
    dst->d = d;
    dst->loglik = src->loglik;
    dst->iters = src->iters;
    return IDC_OK;
}

static int gmm_alloc(idc_gmm *g, size_t J, size_t d)
{
    g->J = J;
    g->d = d;
    g->weight = calloc(J, sizeof(double));
    g->mean = calloc(J * d, sizeof(double));
    g->cov = calloc(J * d * d, sizeof(double));
    return g->weight != NULL && g->mean != NULL && g->cov != NULL;
}

/* Workspace of one fit. */
typedef struct {
    double *chol;   /* J x d x d lower Cholesky factors */
    double *logdet; /* J */
    double *resp;   /* n x J responsibilities (log first, then normalised) */
    double *v;      /* d */
    double *lp;     /* n: per-point log-likelihood */
} ws;

/* Cholesky of every covariance; 0 when one is not positive definite. */
static int factor_all(ws *w, const idc_gmm *g)
{
    size_t d = g->d;
    for (size_t j = 0; j < g->J; j++) {
        double *L = w->chol + j * d * d;
        memcpy(L, g->cov + j * d * d, d * d * sizeof(double));
        if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)d, L, (lapack_int)d) != 0)
            return 0;
        double s = 0;
        for (size_t i = 0; i < d; i++)
            s += log(L[i * d + i]);
        w->logdet[j] = 2 * s;
    }
    return 1;
}

/* E step: responsibilities and per-point log-likelihoods; returns the mean
 * log-likelihood. */
static double e_step(ws *w, const idc_gmm *g, const double *X, size_t n)
{
    size_t J = g->J, d = g->d;
    double total = 0;
    for (size_t t = 0; t < n; t++) {
        const double *x = X + t * d;
        double mx = -INFINITY;
        for (size_t j = 0; j < J; j++) {
            const double *L = w->chol + j * d * d, *mu = g->mean + j * d;
            double q = 0;
            for (size_t i = 0; i < d; i++) { /* forward substitution L v = x - mu */
                double s = x[i] - mu[i];
                for (size_t k = 0; k < i; k++)
                    s -= L[i * d + k] * w->v[k];
                w->v[i] = s / L[i * d + i];
                q += w->v[i] * w->v[i];
            }
            double lj = log(g->weight[j]) - 0.5 * ((double)d * LOG_2PI + w->logdet[j] + q);
            w->resp[t * J + j] = lj;
            if (lj > mx)
                mx = lj;
        }
        double s = 0;
        for (size_t j = 0; j < J; j++)
            s += exp(w->resp[t * J + j] - mx);
        double lse = mx + log(s);
        for (size_t j = 0; j < J; j++)
            w->resp[t * J + j] = exp(w->resp[t * J + j] - lse);
        w->lp[t] = lse;
        total += lse;
    }
    return total / (double)n;
}

/* M step from the responsibilities. A component with (almost) no mass is
 * re-seeded at the point with the lowest log-likelihood. */
static void m_step(ws *w, idc_gmm *g, const double *X, size_t n, double reg)
{
    size_t J = g->J, d = g->d;
    for (size_t j = 0; j < J; j++) {
        double nk = 0;
        double *mu = g->mean + j * d, *S = g->cov + j * d * d;
        memset(mu, 0, d * sizeof(double));
        memset(S, 0, d * d * sizeof(double));
        for (size_t t = 0; t < n; t++) {
            double r = w->resp[t * J + j];
            nk += r;
            for (size_t i = 0; i < d; i++)
                mu[i] += r * X[t * d + i];
        }
        if (nk < 1e-8 * (double)n + 1e-300) {
            size_t worst = 0;
            for (size_t t = 1; t < n; t++)
                if (w->lp[t] < w->lp[worst])
                    worst = t;
            memcpy(mu, X + worst * d, d * sizeof(double));
            for (size_t i = 0; i < d; i++)
                S[i * d + i] = 1;
            g->weight[j] = 1.0 / (double)n;
            continue;
        }
        for (size_t i = 0; i < d; i++)
            mu[i] /= nk;
        for (size_t t = 0; t < n; t++) {
            double r = w->resp[t * J + j];
            const double *x = X + t * d;
            for (size_t a = 0; a < d; a++) {
                double da = r * (x[a] - mu[a]);
                for (size_t b = 0; b <= a; b++)
                    S[a * d + b] += da * (x[b] - mu[b]);
            }
        }
        for (size_t a = 0; a < d; a++) {
            for (size_t b = 0; b <= a; b++) {
                S[a * d + b] /= nk;
                S[b * d + a] = S[a * d + b];
            }
            S[a * d + a] += reg;
        }
        g->weight[j] = nk / (double)n;
    }
    double s = 0;
    for (size_t j = 0; j < J; j++)
        s += g->weight[j];
    for (size_t j = 0; j < J; j++)
        g->weight[j] /= s;
}

static double dist2(const double *a, const double *b, size_t d)
{
    double s = 0;
    for (size_t i = 0; i < d; i++)
        s += (a[i] - b[i]) * (a[i] - b[i]);
    return s;
}

/* k-means++ seeds, then responsibilities = hard nearest-seed assignment. */
static void seed_kmeanspp(ws *w, idc_gmm *g, const double *X, size_t n, uint64_t seed, unsigned restart)
{
    size_t J = g->J, d = g->d;
    idc_rng s = idc_rng_stream(seed, restart, IDC_PURPOSE_INIT);
    uint64_t k = 0;
    double *best = w->lp; /* reuse: squared distance to the nearest seed */
    size_t first = (size_t)idc_rng_below(s, k++, n);
    memcpy(g->mean, X + first * d, d * sizeof(double));
    for (size_t t = 0; t < n; t++)
        best[t] = dist2(X + t * d, g->mean, d);
    for (size_t j = 1; j < J; j++) {
        double tot = 0;
        for (size_t t = 0; t < n; t++)
            tot += best[t];
        double u = idc_rng_uniform(s, k++) * tot, acc = 0;
        size_t pick = n - 1;
        for (size_t t = 0; t < n; t++) {
            acc += best[t];
            if (acc >= u && best[t] > 0) {
                pick = t;
                break;
            }
        }
        memcpy(g->mean + j * d, X + pick * d, d * sizeof(double));
        for (size_t t = 0; t < n; t++) {
            double e = dist2(X + t * d, g->mean + j * d, d);
            if (e < best[t])
                best[t] = e;
        }
    }
    for (size_t t = 0; t < n; t++) {
        size_t arg = 0;
        double bd = INFINITY;
        for (size_t j = 0; j < J; j++) {
            double e = dist2(X + t * d, g->mean + j * d, d);
            if (e < bd) {
                bd = e;
                arg = j;
            }
        }
        for (size_t j = 0; j < J; j++)
            w->resp[t * J + j] = j == arg;
        w->lp[t] = 0;
    }
}

int idc_gmm_fit(idc_gmm *g, const double *X, size_t n, size_t d, size_t J, const idc_gmm_opts *o, idc_err *err)
{
    idc_gmm_opts def = idc_gmm_opts_default();
    if (o == NULL)
        o = &def;
    idc_gmm_clear(g);
    if (J == 0 || d == 0 || n < J)
        return idc_err_set(err, IDC_EINVAL, "gmm: need J >= 1, d >= 1 and at least J points (n = %zu, J = %zu)", n,
                           J);
    if (o->restarts == 0 || o->max_iter == 0 || !(o->tol >= 0) || !(o->reg >= 0))
        return idc_err_set(err, IDC_EINVAL, "gmm: options: restarts, max_iter >= 1, tol, reg >= 0");
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(X[i]))
            return idc_err_set(err, IDC_EINVAL, "gmm: data row %zu is not finite", i / d);
    idc_gmm cur;
    idc_gmm_init(&cur);
    ws w = {calloc(J * d * d, sizeof(double)), calloc(J, sizeof(double)), calloc(n * J, sizeof(double)),
            calloc(d, sizeof(double)), calloc(n, sizeof(double))};
    int rc = IDC_OK;
    if (!gmm_alloc(&cur, J, d) || !gmm_alloc(g, J, d) || w.chol == NULL || w.logdet == NULL || w.resp == NULL ||
        w.v == NULL || w.lp == NULL)
        rc = idc_err_set(err, IDC_ENOMEM, "gmm: out of memory");
    double best = -INFINITY;
    for (unsigned r = 0; r < o->restarts && rc == IDC_OK; r++) {
        seed_kmeanspp(&w, &cur, X, n, o->seed, r);
        m_step(&w, &cur, X, n, o->reg);
        double prev = -INFINITY, ll = -INFINITY;
        size_t it = 0;
        int ok = 1;
        for (; it < o->max_iter; it++) {
            if (!factor_all(&w, &cur)) {
                ok = 0;
                break;
            }
            ll = e_step(&w, &cur, X, n);
            if (!isfinite(ll)) {
                ok = 0;
                break;
            }
            if (ll - prev < o->tol)
                break;
            prev = ll;
            m_step(&w, &cur, X, n, o->reg);
        }
        if (ok && ll > best) {
            best = ll;
            memcpy(g->weight, cur.weight, J * sizeof(double));
            memcpy(g->mean, cur.mean, J * d * sizeof(double));
            memcpy(g->cov, cur.cov, J * d * d * sizeof(double));
            g->loglik = ll;
            g->iters = it;
        }
    }
    if (rc == IDC_OK && best == -INFINITY)
        rc = idc_err_set(err, IDC_EUNABLE, "gmm: every restart broke down (a covariance lost definiteness)");
    if (rc != IDC_OK)
        idc_gmm_clear(g);
    idc_gmm_clear(&cur);
    free(w.chol);
    free(w.logdet);
    free(w.resp);
    free(w.v);
    free(w.lp);
    return rc;
}

int idc_gmm_refine(idc_gmm *g, const double *X, size_t n, unsigned iters, double tol, double reg, idc_err *err)
{
    size_t J = g->J, d = g->d;
    if (J == 0 || d == 0 || n < J || g->weight == NULL || g->mean == NULL || g->cov == NULL)
        return idc_err_set(err, IDC_EINVAL, "gmm refine: need a model with J >= 1, d >= 1 and at least J points");
    if (!(tol >= 0) || !(reg >= 0))
        return idc_err_set(err, IDC_EINVAL, "gmm refine: tol and reg must be >= 0");
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(X[i]))
            return idc_err_set(err, IDC_EINVAL, "gmm: data row %zu is not finite", i / d);
    idc_gmm cur;
    idc_gmm_init(&cur);
    ws w = {calloc(J * d * d, sizeof(double)), calloc(J, sizeof(double)), calloc(n * J, sizeof(double)),
            calloc(d, sizeof(double)), calloc(n, sizeof(double))};
    int rc = IDC_OK;
    if (!gmm_alloc(&cur, J, d) || w.chol == NULL || w.logdet == NULL || w.resp == NULL || w.v == NULL ||
        w.lp == NULL)
        rc = idc_err_set(err, IDC_ENOMEM, "gmm: out of memory");
    if (rc == IDC_OK) {
        memcpy(cur.weight, g->weight, J * sizeof(double));
        memcpy(cur.mean, g->mean, J * d * sizeof(double));
        memcpy(cur.cov, g->cov, J * d * d * sizeof(double));
        if (!factor_all(&w, &cur))
            rc = idc_err_set(err, IDC_EUNABLE, "gmm refine: a starting covariance is not positive definite");
    }
    double start = rc == IDC_OK ? e_step(&w, &cur, X, n) : NAN, best = start;
    if (rc == IDC_OK && !isfinite(start))
        rc = idc_err_set(err, IDC_EUNABLE, "gmm refine: the starting model gives a non-finite log-likelihood");
    size_t it = 0;
    /* each pass: M step from the last E step, then the new model's E step;
     * the model is kept only while its log-likelihood improves */
    for (; rc == IDC_OK && it < iters; it++) {
        m_step(&w, &cur, X, n, reg);
        if (!factor_all(&w, &cur))
            break;
        double ll = e_step(&w, &cur, X, n);
        if (!(ll > best))
            break;
        int small = ll - best < tol;
        best = ll;
        memcpy(g->weight, cur.weight, J * sizeof(double));
        memcpy(g->mean, cur.mean, J * d * sizeof(double));
        memcpy(g->cov, cur.cov, J * d * d * sizeof(double));
        if (small) {
            it++;
            break;
        }
    }
    if (rc == IDC_OK) {
        g->loglik = best;
        g->iters = it;
    }
    idc_gmm_clear(&cur);
    free(w.chol);
    free(w.logdet);
    free(w.resp);
    free(w.v);
    free(w.lp);
    return rc;
}

int idc_gmm_loglik(double *out, const idc_gmm *g, const double *X, size_t n, idc_err *err)
{
    size_t J = g->J, d = g->d;
    ws w = {calloc(J * d * d, sizeof(double)), calloc(J, sizeof(double)), calloc(n * J + 1, sizeof(double)),
            calloc(d, sizeof(double)), calloc(n + 1, sizeof(double))};
    int rc = IDC_OK;
    if (w.chol == NULL || w.logdet == NULL || w.resp == NULL || w.v == NULL || w.lp == NULL)
        rc = idc_err_set(err, IDC_ENOMEM, "gmm: out of memory");
    else if (!factor_all(&w, g))
        rc = idc_err_set(err, IDC_EUNABLE, "gmm: a covariance is not positive definite");
    else
        *out = n > 0 ? e_step(&w, g, X, n) : 0;
    free(w.chol);
    free(w.logdet);
    free(w.resp);
    free(w.v);
    free(w.lp);
    return rc;
}
