/* The exact log-likelihood of a square noiseless leaky-ReLU instance
 * (see models/loglik.h; THEORY.md §8). */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/loglik.h"

typedef struct {
    double *lu;        /* m x m LU factors of W (dgetrf, row-major) */
    lapack_int *ipiv;  /* m pivots */
    double *b;         /* m */
    double inv_slope;  /* slope of the inverse activation (1 / a), 1 for identity */
    int leaky;         /* the layer is followed by a leaky activation */
    double log_slope;  /* log a (0 for identity) */
    double logdet;     /* log |det W| */
} inv_layer;

struct idc_loglik {
    size_t m, t, J;
    inv_layer *layer;
    double *logw;  /* J log-weights (normalised) */
    double *mean;  /* J x m */
    double *chol;  /* J x m x m lower Cholesky factors of Sigma_j */
    double *lognorm; /* J: -(m/2) log 2 pi - (1/2) log det Sigma_j */
    double *work;  /* 2 m scratch (the functions are not reentrant on one ll) */
};

void idc_loglik_free(idc_loglik *ll)
{
    if (ll == NULL)
        return;
    for (size_t i = 0; i < ll->t; i++) {
        free(ll->layer[i].lu);
        free(ll->layer[i].ipiv);
        free(ll->layer[i].b);
    }
    free(ll->layer);
    free(ll->logw);
    free(ll->mean);
    free(ll->chol);
    free(ll->lognorm);
    free(ll->work);
    free(ll);
}

size_t idc_loglik_dim(const idc_loglik *ll) { return ll->m; }

static int prepare_map(idc_loglik *ll, const idc_pamap *f, idc_err *err)
{
    size_t m = ll->m;
    if (f->kind != IDC_MAP_MLP)
        return idc_err_set(err, IDC_EDOM, "map: the exact likelihood needs an MLP map");
    ll->t = f->nlayers;
    ll->layer = calloc(f->nlayers, sizeof *ll->layer);
    if (ll->layer == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    for (size_t i = 0; i < f->nlayers; i++) {
        const idc_layer *l = &f->layers[i];
        inv_layer *v = &ll->layer[i];
        if (l->in != m || l->out != m)
            return idc_err_set(err, IDC_EDOM, "map.layers[%zu]: %zux%zu, the exact likelihood needs square %zux%zu layers",
                               i, l->out, l->in, m, m);
        if (l->act == IDC_ACT_LEAKY && l->slope > 0 && isfinite(l->slope)) {
            v->leaky = 1;
            v->inv_slope = 1.0 / l->slope;
            v->log_slope = log(l->slope);
        } else if (l->act == IDC_ACT_IDENTITY || (l->act == IDC_ACT_LEAKY && l->slope == 1.0)) {
            v->inv_slope = 1.0;
        } else {
            return idc_err_set(err, IDC_EDOM, "map.layers[%zu].activation: %s%s is not invertible piecewise affine", i,
                               idc_act_name(l->act), l->act == IDC_ACT_LEAKY ? " with slope <= 0" : "");
        }
        v->lu = malloc(m * m * sizeof *v->lu);
        v->ipiv = malloc(m * sizeof *v->ipiv);
        v->b = malloc(m * sizeof *v->b);
        if (v->lu == NULL || v->ipiv == NULL || v->b == NULL)
            return idc_err_set(err, IDC_ENOMEM, "out of memory");
        memcpy(v->lu, l->W, m * m * sizeof *v->lu);
        memcpy(v->b, l->b, m * sizeof *v->b);
        lapack_int info = LAPACKE_dgetrf(LAPACK_ROW_MAJOR, (lapack_int)m, (lapack_int)m, v->lu, (lapack_int)m, v->ipiv);
        if (info != 0)
            return idc_err_set(err, IDC_EDOM, "map.layers[%zu].W: singular (zero LU pivot)", i);
        v->logdet = 0;
        for (size_t k = 0; k < m; k++)
            v->logdet += log(fabs(v->lu[k * m + k]));
        if (!isfinite(v->logdet))
            return idc_err_set(err, IDC_EDOM, "map.layers[%zu].W: log|det| is not finite", i);
    }
    return IDC_OK;
}

static int prepare_prior(idc_loglik *ll, const idc_pdgmm *g, idc_err *err)
{
    size_t m = ll->m, J = g->ncomp;
    if (g->family != IDC_FAMILY_GAUSSIAN)
        return idc_err_set(err, IDC_EDOM, "model.family: the exact likelihood needs a Gaussian mixture");
    ll->J = J;
    ll->logw = malloc(J * sizeof *ll->logw);
    ll->mean = malloc(J * m * sizeof *ll->mean);
    ll->chol = calloc(J * m * m, sizeof *ll->chol);
    ll->lognorm = malloc(J * sizeof *ll->lognorm);
    if (ll->logw == NULL || ll->mean == NULL || ll->chol == NULL || ll->lognorm == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    double wsum = 0;
    for (size_t j = 0; j < J; j++)
        wsum += g->comp[j].weight;
    for (size_t j = 0; j < J; j++) {
        const idc_component *c = &g->comp[j];
        if (c->rank != m)
            return idc_err_set(err, IDC_EDOM, "model.components[%zu]: rank %zu < %zu (degenerate: no density on R^m)", j,
                               c->rank, m);
        ll->logw[j] = log(c->weight / wsum);
        memcpy(ll->mean + j * m, c->mean, m * sizeof(double));
        double *S = ll->chol + j * m * m;
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b <= a; b++) {
                double s = 0;
                for (size_t r = 0; r < m; r++)
                    s += c->L[a * m + r] * c->L[b * m + r];
                S[a * m + b] = s;
            }
        if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)m, S, (lapack_int)m) != 0)
            return idc_err_set(err, IDC_EDOM, "model.components[%zu]: covariance not numerically positive definite", j);
        double ld = 0;
        for (size_t a = 0; a < m; a++) {
            for (size_t b = a + 1; b < m; b++)
                S[a * m + b] = 0;
            ld += log(S[a * m + a]);
        }
        ll->lognorm[j] = -0.5 * (double)m * log(2 * M_PI) - ld;
    }
    return IDC_OK;
}

int idc_loglik_new(idc_loglik **out, const idc_instance *inst, idc_err *err)
{
    *out = NULL;
    size_t m = inst->prior.dim;
    if (inst->map.in_dim != m || inst->map.out_dim != m)
        return idc_err_set(err, IDC_EDOM, "map: %zu -> %zu, the exact likelihood needs m = n", inst->map.in_dim,
                           inst->map.out_dim);
    if (inst->noise_sigma != 0)
        return idc_err_set(err, IDC_EDOM, "noise: sigma = %g, the exact likelihood needs sigma = 0 (NOISE0)",
                           inst->noise_sigma);
    idc_loglik *ll = calloc(1, sizeof *ll);
    if (ll == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    ll->m = m;
    ll->work = malloc(2 * m * sizeof *ll->work);
    int rc = ll->work == NULL ? idc_err_set(err, IDC_ENOMEM, "out of memory") : prepare_map(ll, &inst->map, err);
    if (rc == IDC_OK)
        rc = prepare_prior(ll, &inst->prior, err);
    if (rc != IDC_OK) {
        idc_loglik_free(ll);
        return rc;
    }
    *out = ll;
    return IDC_OK;
}

/* Solves LU u = v in place (row-major dgetrf factors, pivots 1-based). */
static void lu_solve(double *v, const double *lu, const lapack_int *ipiv, size_t m)
{
    for (size_t k = 0; k < m; k++) {
        size_t p = (size_t)ipiv[k] - 1;
        if (p != k) {
            double t = v[k];
            v[k] = v[p];
            v[p] = t;
        }
    }
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < a; b++)
            v[a] -= lu[a * m + b] * v[b];
    for (size_t a = m; a-- > 0;) {
        for (size_t b = a + 1; b < m; b++)
            v[a] -= lu[a * m + b] * v[b];
        v[a] /= lu[a * m + a];
    }
}

void idc_loglik_inverse(const idc_loglik *ll, double *z, double *logdet, const double *x, size_t n)
{
    size_t m = ll->m;
    double *v = ll->work;
    for (size_t i = 0; i < n; i++) {
        memcpy(v, x + i * m, m * sizeof *v);
        double ld = 0;
        for (size_t l = ll->t; l-- > 0;) {
            const inv_layer *L = &ll->layer[l];
            /* undo the activation after layer l, then the affine map */
            if (L->leaky)
                for (size_t k = 0; k < m; k++)
                    if (v[k] < 0) {
                        v[k] *= L->inv_slope;
                        ld -= L->log_slope;
                    }
            for (size_t k = 0; k < m; k++)
                v[k] -= L->b[k];
            lu_solve(v, L->lu, L->ipiv, m);
            ld -= L->logdet;
        }
        memcpy(z + i * m, v, m * sizeof *v);
        if (logdet != NULL)
            logdet[i] = ld;
    }
}

void idc_loglik_prior(const idc_loglik *ll, double *out, const double *z, size_t n)
{
    size_t m = ll->m, J = ll->J;
    double *d = ll->work + m;
    for (size_t i = 0; i < n; i++) {
        const double *zi = z + i * m;
        double best = -INFINITY, acc = 0;
        for (size_t pass = 0; pass < 2; pass++) {
            for (size_t j = 0; j < J; j++) {
                const double *C = ll->chol + j * m * m;
                double q = 0;
                for (size_t a = 0; a < m; a++) {
                    double s = zi[a] - ll->mean[j * m + a];
                    for (size_t b = 0; b < a; b++)
                        s -= C[a * m + b] * d[b];
                    d[a] = s / C[a * m + a];
                    q += d[a] * d[a];
                }
                double lj = ll->logw[j] + ll->lognorm[j] - 0.5 * q;
                if (pass == 0)
                    best = lj > best ? lj : best;
                else
                    acc += exp(lj - best);
            }
        }
        out[i] = best + log(acc);
    }
}

void idc_loglik_eval(const idc_loglik *ll, double *out, const double *x, size_t n)
{
    size_t m = ll->m;
    double z[m > 0 ? m : 1];
    for (size_t i = 0; i < n; i++) {
        double ld, lp;
        idc_loglik_inverse(ll, z, &ld, x + i * m, 1);
        idc_loglik_prior(ll, &lp, z, 1);
        out[i] = lp + ld;
    }
}

void idc_loglik_gap(double *mean, double *half, const double *lp_true, const double *lp_model, size_t n)
{
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++)
        s += lp_true[i] - lp_model[i];
    s /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double d = lp_true[i] - lp_model[i] - s;
        s2 += d * d;
    }
    *mean = s;
    *half = n > 1 ? 1.96 * sqrt(s2 / (double)(n - 1)) / sqrt((double)n) : INFINITY;
}
