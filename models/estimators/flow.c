/* The exact-likelihood flow estimator (see models/estimators/flow.h; THEORY.md §8). */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gpu/cuda.h"
#include "models/engine/cpu_pool.h"
#include "models/engine/engine.h"
#include "models/estimators/flow.h"
#include "models/estimators/flow_row.h"
#include "models/estimators/kinks.h"
#include "numeric/dmat.h"
#include "numeric/gmm_em.h"
#include "numeric/rng.h"

#define BLOCK IDC_FLOW_BLOCK /* rows per partial sum: fixes the reduction order */
#define MAXM IDC_FLOW_MAX_DIM
_Static_assert(IDC_FLOW_MAX_DIM == IDC_FLOW_ROW_MAX_DIM && IDC_FLOW_MAX_DEPTH == IDC_FLOW_ROW_MAX_DEPTH &&
                   IDC_FLOW_MAX_J == IDC_FLOW_ROW_MAX_J,
               "flow.h and flow_row.h disagree on the largest sizes");

void idc_flow_config_default(idc_flow_config *c, size_t m)
{
    memset(c, 0, sizeof *c);
    c->m = m;
    c->depth = 2;
    c->slope = 0.2;
    c->J = 3;
    c->cov_floor = 1e-4;
    c->weight_floor = 1e-3;
    c->init = IDC_FLOW_INIT_RANDOM;
    c->eps = 0.1;
    c->steps = 2000;
    c->batch = 0;
    c->lr = 1e-2;
    c->lr_final = 1e-4;
    c->bw0 = 0.1;
    c->bw1 = 1e-4;
    c->straight_through = 1;
    c->eval_every = 25;
    c->keep_best = 1;
    c->slope_anneal = 0;
    c->em_restarts = 3;
    c->cold_kinks = 1;
    c->prior_em = 50;
    c->prior_em_every = 0;
    c->threads = 1;
    c->max_seconds = 0;
    c->seed = 1;
    c->trial = 0;
}

int idc_flow_config_check(const idc_flow_config *c, idc_err *err)
{
    if (c->m < 1 || c->m > IDC_FLOW_MAX_DIM)
        return idc_err_set(err, IDC_EINVAL, "flow.m: %zu, expected 1..%d", c->m, IDC_FLOW_MAX_DIM);
    if (c->depth < 1 || c->depth > IDC_FLOW_MAX_DEPTH)
        return idc_err_set(err, IDC_EINVAL, "flow.depth: %zu, expected 1..%d", c->depth, IDC_FLOW_MAX_DEPTH);
    if (!(c->slope > 0) || !isfinite(c->slope) || c->slope == 1.0)
        return idc_err_set(err, IDC_EINVAL, "flow.slope: %g, expected > 0 and != 1", c->slope);
    if (c->J < 1 || c->J > IDC_FLOW_MAX_J)
        return idc_err_set(err, IDC_EINVAL, "flow.J: %zu, expected 1..%d", c->J, IDC_FLOW_MAX_J);
    if (!(c->cov_floor > 0) || !isfinite(c->cov_floor))
        return idc_err_set(err, IDC_EINVAL, "flow.cov_floor: %g, expected > 0", c->cov_floor);
    if (!(c->weight_floor >= 0) || c->weight_floor * (double)c->J >= 1)
        return idc_err_set(err, IDC_EINVAL, "flow.weight_floor: %g, expected in [0, 1/J)", c->weight_floor);
    if (!(c->eps >= 0) || !isfinite(c->eps))
        return idc_err_set(err, IDC_EINVAL, "flow.eps: %g, expected >= 0", c->eps);
    if (!(c->lr > 0) || !isfinite(c->lr) || !(c->lr_final > 0) || c->lr_final > c->lr)
        return idc_err_set(err, IDC_EINVAL, "flow.lr: expected 0 < lr_final <= lr (got %g, %g)", c->lr, c->lr_final);
    if (!(c->bw0 > 0) || !(c->bw1 >= 0) || c->bw1 > c->bw0 || !isfinite(c->bw0))
        return idc_err_set(err, IDC_EINVAL, "flow.bw: expected 0 <= bw1 <= bw0, bw0 > 0 (got %g, %g)", c->bw0, c->bw1);
    if (c->eval_every < 1)
        return idc_err_set(err, IDC_EINVAL, "flow.eval_every: expected >= 1");
    if (c->em_restarts < 1 || c->em_restarts > 1000)
        return idc_err_set(err, IDC_EINVAL, "flow.em_restarts: expected 1..1000");
    if (c->prior_em_every > 0 && c->prior_em == 0)
        return idc_err_set(err, IDC_EINVAL, "flow.prior_em_every: needs prior_em > 0");
    if (c->prior_em > 100000)
        return idc_err_set(err, IDC_EINVAL, "flow.prior_em: %zu, expected 0..100000", c->prior_em);
    if (c->threads < 1 || c->threads > IDC_POOL_MAX_THREADS)
        return idc_err_set(err, IDC_EINVAL, "flow.threads: %u, expected 1..%d", c->threads, IDC_POOL_MAX_THREADS);
    if (!(c->slope_anneal >= 0 && c->slope_anneal < 1))
        return idc_err_set(err, IDC_EINVAL, "flow.slope_anneal: %g, expected in [0, 1)", c->slope_anneal);
    if (!(c->max_seconds >= 0))
        return idc_err_set(err, IDC_EINVAL, "flow.max_seconds: expected >= 0");
    if (c->cold_kinks != 0 && c->cold_kinks != 1)
        return idc_err_set(err, IDC_EINVAL, "flow.cold_kinks: expected 0 or 1");
    if (c->device != IDC_DEVICE_CPU && c->device != IDC_DEVICE_CUDA)
        return idc_err_set(err, IDC_EINVAL, "flow.device: expected cpu or cuda (auto is resolved by the caller: "
                                            "idc_device_resolve)");
    return IDC_OK;
}

struct idc_flow {
    idc_flow_config c;
    double init_seconds; /* the start's cost (EM, the kink search), on the budget's clock */
    double slope;   /* the activation's slope now: c.slope, except while annealing from 1 */
    size_t m, t, J;
    size_t layer_np, comp_np, np;
    double *theta;
    size_t *perm;   /* t x m: row r of L U is row perm[r] of V */
    double *sign;   /* t x m: signs of diag U */
    /* derived from theta by refresh() */
    double *V;      /* t x m x m */
    double *Lm;     /* t x m x m */
    double *Um;     /* t x m x m */
    double logdet;  /* sum_k log |det V_k| */
    double *lam;    /* J */
    double *pi;     /* J softmax */
    double *Sinv;   /* J x m x m */
    double *Schol;  /* J x m x m (lower) */
    double *lognorm; /* J: log lambda_j - (m/2) log 2 pi - (1/2) log det Sigma_j */
    double *spread; /* (t - 1) x m pre-activation standard deviations */
    idc_pool *pool;
    struct flow_dev *dev; /* c.device = cuda: the device's row sums; NULL on the CPU */
};

/* The device path (c.device = IDC_DEVICE_CUDA): the row sums run on a GPU
 * (gpu/cuda.h, idc_gpu_flow_sums), the block sums are added here in block
 * order as on the CPU. Rows stay on the device: slot 0 holds the training
 * rows and slot 1 the validation rows of the fit under way (idc_flow_fit
 * registers them; they are uploaded once), slot 2 anything else (uploaded
 * at each call: minibatches, idc_flow_logpdf, idc_flow_loss). The first
 * device failure is kept (rc, err) and reported by the call that sees it. */
struct flow_dev {
    idc_gpu_flow *g;
    const double *x[2]; /* the fit's training and validation rows */
    size_t n[2];
    int up[2];          /* uploaded */
    int rc;
    idc_err err;
};

/* ---- parameter layout ------------------------------------------------- */

static size_t nlow(size_t m) { return m * (m - 1) / 2; }
static double *layer_L(const idc_flow *f, size_t k) { return f->theta + k * f->layer_np; }
static double *layer_U(const idc_flow *f, size_t k) { return layer_L(f, k) + nlow(f->m); }
static double *layer_s(const idc_flow *f, size_t k) { return layer_U(f, k) + nlow(f->m); }
static double *layer_c(const idc_flow *f, size_t k) { return layer_s(f, k) + f->m; }
static double *comp_mu(const idc_flow *f, size_t j) { return f->theta + f->t * f->layer_np + j * f->comp_np; }
static double *comp_C(const idc_flow *f, size_t j) { return comp_mu(f, j) + f->m; }
static double *comp_a(const idc_flow *f, size_t j) { return comp_C(f, j) + f->m * (f->m + 1) / 2; }

/* theta -> V, L, U, logdet, prior. Returns 0 when a covariance is not
 * positive definite or a value is not finite. */
static int refresh(idc_flow *f)
{
    size_t m = f->m, J = f->J;
    f->logdet = 0;
    for (size_t k = 0; k < f->t; k++) {
        double *L = f->Lm + k * m * m, *U = f->Um + k * m * m, *V = f->V + k * m * m;
        const double *lo = layer_L(f, k), *up = layer_U(f, k), *s = layer_s(f, k);
        memset(L, 0, m * m * sizeof *L);
        memset(U, 0, m * m * sizeof *U);
        size_t a = 0, b = 0;
        for (size_t i = 0; i < m; i++) {
            L[i * m + i] = 1;
            for (size_t j = 0; j < i; j++)
                L[i * m + j] = lo[a++];
            U[i * m + i] = f->sign[k * m + i] * exp(s[i]);
            for (size_t j = i + 1; j < m; j++)
                U[i * m + j] = up[b++];
            f->logdet += s[i];
        }
        for (size_t r = 0; r < m; r++) {
            double *row = V + f->perm[k * m + r] * m;
            for (size_t j = 0; j < m; j++) {
                double acc = 0;
                for (size_t q = 0; q <= r && q <= j; q++)
                    acc += L[r * m + q] * U[q * m + j];
                row[j] = acc;
            }
        }
    }
    double amax = -INFINITY;
    for (size_t j = 0; j < J; j++)
        amax = fmax(amax, *comp_a(f, j));
    double z = 0;
    for (size_t j = 0; j < J; j++)
        z += (f->pi[j] = exp(*comp_a(f, j) - amax));
    for (size_t j = 0; j < J; j++) {
        f->pi[j] /= z;
        f->lam[j] = f->c.weight_floor + (1 - (double)J * f->c.weight_floor) * f->pi[j];
    }
    for (size_t j = 0; j < J; j++) {
        const double *C = comp_C(f, j);
        double *S = f->Schol + j * m * m, *Si = f->Sinv + j * m * m;
        double Cf[MAXM * MAXM] = {0};
        size_t q = 0;
        for (size_t i = 0; i < m; i++)
            for (size_t l = 0; l <= i; l++)
                Cf[i * m + l] = C[q++];
        for (size_t i = 0; i < m; i++)
            for (size_t l = 0; l < m; l++) {
                double acc = i == l ? f->c.cov_floor : 0;
                for (size_t r = 0; r <= i && r <= l; r++)
                    acc += Cf[i * m + r] * Cf[l * m + r];
                S[i * m + l] = acc;
                Si[i * m + l] = acc;
            }
        if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)m, S, (lapack_int)m) != 0)
            return 0;
        double ld = 0;
        for (size_t i = 0; i < m; i++) {
            for (size_t l = i + 1; l < m; l++)
                S[i * m + l] = 0;
            ld += log(S[i * m + i]);
        }
        memcpy(Si, S, m * m * sizeof *Si);
        if (LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'L', (lapack_int)m, Si, (lapack_int)m) != 0)
            return 0;
        for (size_t i = 0; i < m; i++)
            for (size_t l = i + 1; l < m; l++)
                Si[i * m + l] = Si[l * m + i];
        f->lognorm[j] = log(f->lam[j]) - 0.5 * (double)m * log(2 * M_PI) - ld;
    }
    return isfinite(f->logdet);
}

/* ---- one row (models/estimators/flow_row.h) --------------------------- */

/* The parameters as a row sees them (flow_row.h), read from f. */
static idc_flow_rowp rowp_of(const idc_flow *f)
{
    idc_flow_rowp p = {.m = f->m,
                       .t = f->t,
                       .J = f->J,
                       .slope = f->slope,
                       .logb = log(f->slope),
                       .logdet = f->logdet,
                       .V = f->V,
                       .c = layer_c(f, 0),
                       .c_stride = f->layer_np,
                       .mu = comp_mu(f, 0),
                       .mu_stride = f->comp_np,
                       .Sinv = f->Sinv,
                       .lognorm = f->lognorm,
                       .spread = f->spread};
    return p;
}

/* Scratch of one row at the largest sizes. */
#define ROW_SCRATCH ((IDC_FLOW_MAX_DEPTH + IDC_FLOW_MAX_J + 6) * MAXM + 2 * IDC_FLOW_MAX_J)

static size_t raw_size(const idc_flow *f) { return idc_flow_row_rawsize(f->m, f->t, f->J); }

/* ---- blocks over threads ---------------------------------------------- */

typedef struct {
    const idc_flow *f;
    const double *x;
    size_t n;
    double bw;
    int grad;
    double *raw;    /* nblocks x rawsize (grad) */
    double *lp;     /* n log p (no grad; may be NULL) */
    double *stats;  /* nblocks x (2 + 2 (t - 1) m): nll, negs, sum pre, sum pre^2 (no grad) */
    size_t rawsize, statsize;
} block_job;

static void block_run(void *vctx, unsigned part)
{
    block_job *b = vctx;
    const idc_flow *f = b->f;
    idc_flow_rowp p = rowp_of(f);
    double scr[ROW_SCRATCH];
    size_t m = f->m, lo = (size_t)part * BLOCK, hi = lo + BLOCK < b->n ? lo + BLOCK : b->n;
    if (b->grad) {
        double *raw = b->raw + (size_t)part * b->rawsize;
        memset(raw, 0, b->rawsize * sizeof *raw);
        for (size_t i = lo; i < hi; i++)
            idc_flow_row_backward(&p, raw, 1, b->x + i * m, b->bw, scr);
        return;
    }
    double *st = b->stats + (size_t)part * b->statsize;
    memset(st, 0, b->statsize * sizeof *st);
    for (size_t i = lo; i < hi; i++) {
        double lp = idc_flow_row_stats(&p, st, 1, b->x + i * m, scr);
        if (b->lp != NULL)
            b->lp[i] = lp;
    }
}

static size_t nblocks(size_t n) { return (n + BLOCK - 1) / BLOCK; }

static void run_blocks(const idc_flow *f, block_job *b)
{
    size_t nb = nblocks(b->n);
    if (f->pool != NULL && nb > 1)
        idc_pool_run(f->pool, block_run, b, (unsigned)nb);
    else
        for (size_t p = 0; p < nb; p++)
            block_run(b, (unsigned)p);
}

/* The per-block sums of the rows x (n x m) on the device: part as
 * block_run writes them (grad: nblocks x raw_size, else nblocks x
 * statsize), lp (n, may be NULL) when !grad. */
static int dev_sums(const idc_flow *f, const double *x, size_t n, int grad, double bw, double *part, double *lp)
{
    struct flow_dev *d = f->dev;
    if (d->rc != IDC_OK)
        return d->rc;
    unsigned slot = 2;
    for (unsigned s = 0; s < 2; s++)
        if (x == d->x[s] && n == d->n[s]) {
            slot = s;
            break;
        }
    int rc = IDC_OK;
    if (slot == 2 || !d->up[slot]) {
        rc = idc_gpu_flow_rows(d->g, slot, x, n, f->m, &d->err);
        if (slot < 2 && rc == IDC_OK)
            d->up[slot] = 1;
    }
    idc_flow_rowp p = rowp_of(f);
    if (rc == IDC_OK)
        rc = idc_gpu_flow_sums(d->g, slot, &p, grad, bw, part, lp, &d->err);
    d->rc = rc;
    return rc;
}

/* idc_flow_fit's training and validation rows (NULL: none), for dev_sums. */
static void dev_register(idc_flow *f, const double *x, size_t n, const double *xv, size_t nv)
{
    if (f->dev == NULL)
        return;
    f->dev->x[0] = x;
    f->dev->n[0] = n;
    f->dev->x[1] = xv;
    f->dev->n[1] = nv;
    f->dev->up[0] = f->dev->up[1] = 0;
}

/* Replaces err with the device's failure, when there was one; returns rc. */
static int dev_error(const idc_flow *f, int rc, idc_err *err)
{
    if (rc != IDC_OK && f->dev != NULL && f->dev->rc != IDC_OK)
        return idc_err_set(err, f->dev->rc, "flow (--device cuda): %s", f->dev->err.msg);
    return rc;
}

/* Exact mean NLL of the rows; also the negative fraction and, when spread
 * is not NULL, the hidden units' pre-activation standard deviations. */
static int evaluate(const idc_flow *f, double *nll, double *negfrac, double *spread, double *lp, const double *x,
                    size_t n)
{
    size_t nh = (f->t - 1) * f->m, nb = nblocks(n);
    block_job b = {.f = f, .x = x, .n = n, .lp = lp, .statsize = 2 + 2 * nh};
    b.stats = malloc(nb * b.statsize * sizeof *b.stats);
    if (b.stats == NULL)
        return IDC_ENOMEM;
    if (f->dev != NULL) {
        int rc = dev_sums(f, x, n, 0, 0, b.stats, lp);
        if (rc != IDC_OK) {
            free(b.stats);
            return rc;
        }
    } else {
        run_blocks(f, &b);
    }
    double tot[2 + 2 * IDC_FLOW_MAX_DEPTH * MAXM] = {0};
    for (size_t p = 0; p < nb; p++)
        for (size_t q = 0; q < b.statsize; q++)
            tot[q] += b.stats[p * b.statsize + q];
    free(b.stats);
    *nll = tot[0] / (double)n;
    if (negfrac != NULL)
        *negfrac = nh > 0 ? tot[1] / ((double)n * (double)nh) : 0;
    if (spread != NULL)
        for (size_t h = 0; h < nh; h++) {
            double mean = tot[2 + h] / (double)n, var = tot[2 + nh + h] / (double)n - mean * mean;
            spread[h] = var > 1e-300 ? sqrt(var) : 1e-150;
        }
    return IDC_OK;
}

/* raw sums -> gradient in theta coordinates; returns the mean NLL. */
static double raw_to_grad(const idc_flow *f, double *grad, const double *raw, size_t n)
{
    size_t m = f->m, t = f->t, J = f->J;
    double inv = 1.0 / (double)n;
    const double *rl = raw + 2, *rc = rl + t * (m * m + m);
    memset(grad, 0, f->np * sizeof *grad);
    for (size_t k = 0; k < t; k++) {
        const double *dV = rl + k * (m * m + m), *dc = dV + m * m;
        const double *L = f->Lm + k * m * m, *U = f->Um + k * m * m;
        double dM[MAXM * MAXM];
        for (size_t r = 0; r < m; r++)
            for (size_t j = 0; j < m; j++)
                dM[r * m + j] = dV[f->perm[k * m + r] * m + j] * inv;
        double *gL = grad + (size_t)(layer_L(f, k) - f->theta), *gU = grad + (size_t)(layer_U(f, k) - f->theta);
        double *gs = grad + (size_t)(layer_s(f, k) - f->theta), *gc = grad + (size_t)(layer_c(f, k) - f->theta);
        size_t a = 0, b = 0;
        for (size_t i = 0; i < m; i++) {
            for (size_t j = 0; j < i; j++) { /* dL = dM U^T */
                double acc = 0;
                for (size_t q = j; q < m; q++)
                    acc += dM[i * m + q] * U[j * m + q];
                gL[a++] = acc;
            }
            for (size_t j = i; j < m; j++) { /* dU = L^T dM */
                double acc = 0;
                for (size_t q = i; q < m; q++)
                    acc += L[q * m + i] * dM[q * m + j];
                if (j == i)
                    gs[i] = acc * U[i * m + i] - 1.0;
                else
                    gU[b++] = acc;
            }
            gc[i] = dc[i] * inv;
        }
    }
    double dlam[IDC_FLOW_MAX_J], dot = 0;
    for (size_t j = 0; j < J; j++) {
        const double *sw = rc + j * (m + 1 + m * m), *sr = sw + m, *M = sr + 1;
        const double *Si = f->Sinv + j * m * m;
        double *gmu = grad + (size_t)(comp_mu(f, j) - f->theta), *gC = grad + (size_t)(comp_C(f, j) - f->theta);
        for (size_t i = 0; i < m; i++)
            gmu[i] = -sw[i] * inv;
        double dS[MAXM * MAXM], Cf[MAXM * MAXM] = {0};
        for (size_t i = 0; i < m; i++)
            for (size_t l = 0; l < m; l++)
                dS[i * m + l] = 0.5 * (*sr * Si[i * m + l] - M[i * m + l]) * inv;
        const double *C = comp_C(f, j);
        size_t q = 0;
        for (size_t i = 0; i < m; i++)
            for (size_t l = 0; l <= i; l++)
                Cf[i * m + l] = C[q++];
        q = 0;
        for (size_t i = 0; i < m; i++)
            for (size_t l = 0; l <= i; l++) { /* dC = 2 dS C */
                double acc = 0;
                for (size_t r = l; r < m; r++)
                    acc += dS[i * m + r] * Cf[r * m + l];
                gC[q++] = 2 * acc;
            }
        dlam[j] = -*sr * inv / f->lam[j];
        dot += dlam[j] * f->pi[j];
    }
    double sc = 1 - (double)J * f->c.weight_floor;
    for (size_t j = 0; j < J; j++)
        grad[(size_t)(comp_a(f, j) - f->theta)] = sc * f->pi[j] * (dlam[j] - dot);
    return raw[0] * inv;
}

/* Gradient of the mean NLL of n rows (raw buffer of nblocks x rawsize). */
static double gradient(const idc_flow *f, double *grad, double *raw, const double *x, size_t n, double bw)
{
    size_t nb = nblocks(n), rs = raw_size(f);
    block_job b = {.f = f, .x = x, .n = n, .bw = bw, .grad = 1, .raw = raw, .rawsize = rs};
    if (f->dev != NULL) {
        if (dev_sums(f, x, n, 1, bw, raw, NULL) != IDC_OK)
            return NAN;
    } else {
        run_blocks(f, &b);
    }
    for (size_t p = 1; p < nb; p++)
        for (size_t q = 0; q < rs; q++)
            raw[q] += raw[p * rs + q];
    return raw_to_grad(f, grad, raw, n);
}

/* ---- construction ----------------------------------------------------- */

void idc_flow_free(idc_flow *f)
{
    if (f == NULL)
        return;
    idc_pool_free(f->pool);
    if (f->dev != NULL)
        idc_gpu_flow_free(f->dev->g);
    free(f->dev);
    free(f->theta);
    free(f->perm);
    free(f->sign);
    free(f->V);
    free(f->Lm);
    free(f->Um);
    free(f->lam);
    free(f->pi);
    free(f->Sinv);
    free(f->Schol);
    free(f->lognorm);
    free(f->spread);
    free(f);
}

const idc_flow_config *idc_flow_get_config(const idc_flow *f) { return &f->c; }

int idc_flow_set_training(idc_flow *f, const idc_flow_config *c, idc_err *err)
{
    if (idc_flow_config_check(c, err) != IDC_OK)
        return IDC_EINVAL;
    if (c->m != f->c.m || c->depth != f->c.depth || c->slope != f->c.slope || c->J != f->c.J ||
        c->cov_floor != f->c.cov_floor || c->weight_floor != f->c.weight_floor)
        return idc_err_set(err, IDC_EINVAL, "flow: the new settings describe another model (m, depth, slope, J, floors)");
    f->c.steps = c->steps;
    f->c.batch = c->batch;
    f->c.lr = c->lr;
    f->c.lr_final = c->lr_final;
    f->c.bw0 = c->bw0;
    f->c.bw1 = c->bw1;
    f->c.straight_through = c->straight_through;
    f->c.eval_every = c->eval_every;
    f->c.keep_best = c->keep_best;
    f->c.slope_anneal = c->slope_anneal;
    f->c.max_seconds = c->max_seconds;
    return IDC_OK;
}
size_t idc_flow_nparams(const idc_flow *f) { return f->np; }
double idc_flow_init_seconds(const idc_flow *f) { return f->init_seconds; }
void idc_flow_get_params(const idc_flow *f, double *theta) { memcpy(theta, f->theta, f->np * sizeof *theta); }
void idc_flow_set_params(idc_flow *f, const double *theta)
{
    memcpy(f->theta, theta, f->np * sizeof *theta);
    refresh(f);
}

/* Sets layer k's parameters from a dense V (LU with partial pivoting). */
static int set_layer(idc_flow *f, size_t k, const double *V, const double *c)
{
    size_t m = f->m;
    double lu[MAXM * MAXM];
    lapack_int ipiv[MAXM];
    memcpy(lu, V, m * m * sizeof *lu);
    if (LAPACKE_dgetrf(LAPACK_ROW_MAJOR, (lapack_int)m, (lapack_int)m, lu, (lapack_int)m, ipiv) != 0)
        return 0;
    size_t *perm = f->perm + k * m;
    for (size_t i = 0; i < m; i++)
        perm[i] = i;
    for (size_t i = 0; i < m; i++) { /* row i of LU is row perm[i] of V */
        size_t p = (size_t)ipiv[i] - 1, tmp = perm[i];
        perm[i] = perm[p];
        perm[p] = tmp;
    }
    double *lo = layer_L(f, k), *up = layer_U(f, k), *s = layer_s(f, k);
    size_t a = 0, b = 0;
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < i; j++)
            lo[a++] = lu[i * m + j];
        double d = lu[i * m + i];
        f->sign[k * m + i] = d < 0 ? -1.0 : 1.0;
        s[i] = log(fabs(d));
        for (size_t j = i + 1; j < m; j++)
            up[b++] = lu[i * m + j];
    }
    memcpy(layer_c(f, k), c, m * sizeof *c);
    return 1;
}

/* Sets component j from a covariance Sigma: C = chol(Sigma - floor I), or
 * chol(Sigma) when that is not positive definite. */
static int set_comp(idc_flow *f, size_t j, const double *mu, const double *Sigma)
{
    size_t m = f->m;
    double S[MAXM * MAXM];
    memcpy(comp_mu(f, j), mu, m * sizeof *mu);
    for (int pass = 0; pass < 2; pass++) {
        memcpy(S, Sigma, m * m * sizeof *S);
        if (pass == 0)
            for (size_t i = 0; i < m; i++)
                S[i * m + i] -= f->c.cov_floor;
        if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)m, S, (lapack_int)m) == 0) {
            double *C = comp_C(f, j);
            size_t q = 0;
            for (size_t i = 0; i < m; i++)
                for (size_t l = 0; l <= i; l++)
                    C[q++] = S[i * m + l];
            return 1;
        }
    }
    return 0;
}

static void set_weights(idc_flow *f, const double *lam)
{
    double wf = f->c.weight_floor, sc = 1 - (double)f->J * wf;
    for (size_t j = 0; j < f->J; j++) {
        double p = (lam[j] - wf) / sc;
        *comp_a(f, j) = log(p > 1e-12 ? p : 1e-12);
    }
}

/* A random orthogonal m x m matrix from draws k0.. of s. */
static void random_orthogonal(double *Q, size_t m, idc_rng s, uint64_t k0)
{
    idc_rng_normal_fill(Q, m * m, s, k0);
    idc_dmat_orthonormalize(Q, m, m);
}

/* The layers of F^-1 for F = A_{t-1} o act_b o ... o act_b o A_0 (A_k(u) =
 * V_k u + c_k), written with the same activation act_b through
 * act_{1/b}(y) = -(1/b) act_b(-y): layer k of the result is
 * post_k A_{t-1-k}^-1 pre_k with pre_k = -1/b (k > 0) and post_k = -1
 * (k < t - 1). Returns 0 when a V_k is singular. */
static int inverse_layers(double *Vout, double *cout, const double *V, const double *c, size_t t, size_t m, double b)
{
    for (size_t k = 0; k < t; k++) {
        size_t src = t - 1 - k;
        double Vi[MAXM * MAXM];
        lapack_int ipiv[MAXM];
        memcpy(Vi, V + src * m * m, m * m * sizeof *Vi);
        if (LAPACKE_dgetrf(LAPACK_ROW_MAJOR, (lapack_int)m, (lapack_int)m, Vi, (lapack_int)m, ipiv) != 0 ||
            LAPACKE_dgetri(LAPACK_ROW_MAJOR, (lapack_int)m, Vi, (lapack_int)m, ipiv) != 0)
            return 0;
        double pre = k > 0 ? -1.0 / b : 1.0, post = k + 1 < t ? -1.0 : 1.0;
        for (size_t i = 0; i < m; i++) {
            double acc = 0;
            for (size_t j = 0; j < m; j++) {
                Vout[k * m * m + i * m + j] = post * Vi[i * m + j] * pre;
                acc += Vi[i * m + j] * c[src * m + j];
            }
            cout[k * m + i] = -post * acc;
            if (!isfinite(cout[k * m + i]))
                return 0;
        }
    }
    return 1;
}

/* A (r x m) <- A (I + eps Xi / sqrt(m)), Xi the m x m standard normals xi:
 * a relative perturbation of A (of norm about eps |A|) that keeps it well
 * conditioned for small eps. */
static void right_perturb(double *A, size_t r, size_t m, const double *xi, double eps)
{
    double P[MAXM * MAXM], out[MAXM * MAXM], sc = eps / sqrt((double)m);
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < m; b++)
            P[a * m + b] = (a == b ? 1.0 : 0.0) + sc * xi[a * m + b];
    for (size_t a = 0; a < r; a++)
        for (size_t b = 0; b < m; b++) {
            double v = 0;
            for (size_t q = 0; q < m; q++)
                v += A[a * m + q] * P[q * m + b];
            out[a * m + b] = v;
        }
    memcpy(A, out, r * m * sizeof *A);
}

/* Applies layer k's affine map and activation to n rows in place. */
static void apply_layer(const double *V, const double *c, double *u, size_t n, size_t m, double slope, int act)
{
    for (size_t i = 0; i < n; i++) {
        double tmp[MAXM], *row = u + i * m;
        for (size_t a = 0; a < m; a++) {
            double acc = c[a];
            for (size_t b = 0; b < m; b++)
                acc += V[a * m + b] * row[b];
            tmp[a] = act && acc < 0 ? slope * acc : acc;
        }
        memcpy(row, tmp, m * sizeof *row);
    }
}

static void column_moments(double *mean, double *sd, const double *u, size_t n, size_t m)
{
    for (size_t a = 0; a < m; a++) {
        double s = 0, s2 = 0;
        for (size_t i = 0; i < n; i++)
            s += u[i * m + a];
        s /= (double)n;
        for (size_t i = 0; i < n; i++)
            s2 += (u[i * m + a] - s) * (u[i * m + a] - s);
        mean[a] = s;
        if (sd != NULL)
            sd[a] = sqrt(s2 / (double)n);
    }
}

/* The exact log-likelihood per row of a start whose layer k is (V, c) and
 * whose prior is a J-component GMM of the layer's output, up to terms that
 * do not depend on (V, c): the GMM's mean log-likelihood on w = s(V u + c)
 * plus log|det V| plus the fraction of negative pre-activations times
 * log slope. The GMM is fitted afresh (fresh != 0: EM with 2 restarts,
 * seeded by the flow's seed and k) or refined from g's current value by
 * up to 15 EM passes (which keeps a search continuous). -INFINITY when EM
 * breaks down or V is singular. w: ns x m scratch. */
#define KINK_SUB 5000
static double layer_score(const idc_flow *f, idc_gmm *g, int fresh, const double *V, const double *c, const double *u,
                          size_t ns, size_t k, double *w)
{
    size_t m = f->m, neg = 0;
    double lu[MAXM * MAXM], logdet = 0;
    lapack_int ipiv[MAXM];
    memcpy(lu, V, m * m * sizeof *lu);
    if (LAPACKE_dgetrf(LAPACK_ROW_MAJOR, (lapack_int)m, (lapack_int)m, lu, (lapack_int)m, ipiv) != 0)
        return -INFINITY;
    for (size_t a = 0; a < m; a++)
        logdet += log(fabs(lu[a * m + a]));
    for (size_t i = 0; i < ns; i++)
        for (size_t a = 0; a < m; a++) {
            double acc = c[a];
            for (size_t b = 0; b < m; b++)
                acc += V[a * m + b] * u[i * m + b];
            neg += acc < 0;
            w[i * m + a] = acc < 0 ? f->c.slope * acc : acc;
        }
    idc_err e2;
    int rc;
    if (fresh) {
        idc_gmm_opts o = idc_gmm_opts_default();
        o.restarts = 2;
        o.max_iter = 100;
        o.reg = f->c.cov_floor;
        o.seed = idc_rng_derive_seed(f->c.seed, (uint32_t)(3000 + k));
        rc = idc_gmm_fit(g, w, ns, m, f->J, &o, &e2);
    } else {
        rc = idc_gmm_refine(g, w, ns, 15, 1e-9, f->c.cov_floor, &e2);
    }
    return rc == IDC_OK && isfinite(g->loglik) ? g->loglik + logdet + (double)neg / (double)ns * log(f->c.slope)
                                               : -INFINITY;
}

/* Move mv of row a of (V, c) by step into (V2, c2): mv 0, 1 shift its
 * offset by -/+ step; mv = 2 + 2 e (+1) turns it by -/+ step radians
 * towards unit vector e (made orthogonal to the row) about the point of its
 * hyperplane nearest mean, keeping the row's norm. 0 when e is too close to
 * the row's direction to turn towards. */
static int kink_move(double *V2, double *c2, const double *V, const double *c, size_t m, size_t a, size_t mv,
                     double step, const double *mean)
{
    double sg = mv % 2 ? 1 : -1;
    const double *row = V + a * m;
    memcpy(V2, V, m * m * sizeof *V2);
    memcpy(c2, c, m * sizeof *c2);
    if (mv < 2) {
        c2[a] += sg * step;
        return 1;
    }
    size_t e = mv / 2 - 1;
    double rn = 0, t[MAXM] = {0}, tn = 0;
    for (size_t b = 0; b < m; b++)
        rn += row[b] * row[b];
    rn = sqrt(rn);
    t[e] = 1;
    for (size_t b = 0; b < m; b++) {
        t[b] -= row[e] / rn * row[b] / rn;
        tn += t[b] * t[b];
    }
    if (tn < 0.01)
        return 0;
    tn = sqrt(tn);
    /* the point of the hyperplane nearest the mean: p = mean - (row.mean + c) row / rn^2 */
    double rm = c[a], th = sg * step, nc = 0;
    for (size_t b = 0; b < m; b++)
        rm += row[b] * mean[b];
    for (size_t b = 0; b < m; b++) {
        double p = mean[b] - rm * row[b] / (rn * rn);
        V2[a * m + b] = cos(th) * row[b] + sin(th) * rn * t[b] / tn;
        nc -= V2[a * m + b] * p;
    }
    c2[a] = nc;
    return 1;
}

/* Rows 0..found-1 of (V, c), the hyperplanes of the kink search, made the
 * start's by likelihood (layer_score on the first KINK_SUB rows):
 * 1. orientation: the best of the 2^found sign patterns (a row and its
 *    offset negated: the same hyperplane, the other side negative). The
 *    search orients by the sign of its jump statistic, and a density that
 *    changes fast across the hyperplane can flip it: on flow-k39c's cold
 *    trial 1 one of three kinks, within 7 degrees of a true one, came out
 *    the wrong way, and a flipped unit is outside the class (it would need
 *    slope 1/slope): that start stayed at 0.89 nats for 5 CPU minutes, and
 *    reaches 0.0012 in 300 steps when oriented by likelihood.
 * 2. position: a coordinate search on each row's offset and its angle
 *    towards each direction of its orthogonal complement (about the
 *    hyperplane's point nearest the rows' mean, so the hyperplane turns
 *    where the data are), steps 0.2 (pre-activation units, radians) halved
 *    over KINK_ROUNDS rounds, a move kept when it raises the score, the GMM
 *    refined from the last accepted one (continuous in the move). The
 *    training's gradient sees a moving kink only through the smoothed count
 *    and stalls; the search measures the likelihood itself.
 * For the last hidden layer the score is the exact likelihood of the start
 * (with EM's prior); for an earlier one the later layers are not yet placed
 * and it is a proxy. */
#define KINK_ROUNDS 5
static int place_kinks(idc_flow *f, double *V, double *c, size_t found, const double *u, size_t n, size_t k,
                       idc_err *err)
{
    size_t m = f->m, ns = n < KINK_SUB ? n : KINK_SUB;
    double *w = malloc(ns * m * sizeof *w);
    idc_gmm g, g2;
    idc_gmm_init(&g);
    idc_gmm_init(&g2);
    if (w == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    double best = -INFINITY;
    unsigned best_mask = 0;
    for (unsigned mask = 0; mask < (1u << found); mask++) {
        double V2[MAXM * MAXM], c2[MAXM];
        memcpy(V2, V, m * m * sizeof *V2);
        memcpy(c2, c, m * sizeof *c2);
        for (size_t a = 0; a < found; a++)
            if (mask >> a & 1u) {
                for (size_t b = 0; b < m; b++)
                    V2[a * m + b] = -V2[a * m + b];
                c2[a] = -c2[a];
            }
        double sc = layer_score(f, &g2, 1, V2, c2, u, ns, k, w);
        if (sc > best) {
            best = sc;
            best_mask = mask;
            if (idc_gmm_copy(&g, &g2) != IDC_OK)
                best = -INFINITY;
        }
    }
    for (size_t a = 0; a < found; a++)
        if (best_mask >> a & 1u) {
            for (size_t b = 0; b < m; b++)
                V[a * m + b] = -V[a * m + b];
            c[a] = -c[a];
        }
    double mean[MAXM];
    column_moments(mean, NULL, u, ns, m);
    for (size_t rd = 0; rd < KINK_ROUNDS && isfinite(best); rd++) {
        double step = 0.2 * pow(0.5, (double)rd);
        for (size_t a = 0; a < found; a++)
            for (size_t mv = 0; mv < 2 * m; mv++) {
                double V2[MAXM * MAXM], c2[MAXM];
                if (!kink_move(V2, c2, V, c, m, a, mv, step, mean))
                    continue;
                if (idc_gmm_copy(&g2, &g) != IDC_OK)
                    break;
                double sc = layer_score(f, &g2, 0, V2, c2, u, ns, k, w);
                if (sc > best + 1e-6) { /* kept: (V2, c2) and the prior refined for them */
                    best = sc;
                    memcpy(V, V2, m * m * sizeof *V2);
                    memcpy(c, c2, m * sizeof *c2);
                    idc_gmm tmp = g;
                    g = g2;
                    g2 = tmp;
                }
            }
    }
    idc_gmm_clear(&g);
    idc_gmm_clear(&g2);
    free(w);
    return IDC_OK;
}

/* Cold start: V_1 = Q R^-1 whitens x (R the Cholesky factor of its
 * covariance), later V_k random orthogonal, every c_k centres its layer's
 * pre-activations on the training rows; then EM on g(x). */
static int init_random(idc_flow *f, const double *x, size_t n, idc_err *err)
{
    size_t m = f->m, t = f->t;
    idc_rng s = idc_rng_stream(f->c.seed, f->c.trial, IDC_PURPOSE_INIT);
    double *u = malloc(n * m * sizeof *u);
    if (u == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    memcpy(u, x, n * m * sizeof *u);
    int rc = IDC_OK;
    for (size_t k = 0; k < t && rc == IDC_OK; k++) {
        double V[MAXM * MAXM], c[MAXM], mean[MAXM], Q[MAXM * MAXM];
        random_orthogonal(Q, m, s, (uint64_t)k << 20);
        column_moments(mean, NULL, u, n, m);
        if (k == 0) {
            double S[MAXM * MAXM] = {0};
            for (size_t i = 0; i < n; i++)
                for (size_t a = 0; a < m; a++)
                    for (size_t b = 0; b <= a; b++)
                        S[a * m + b] += (u[i * m + a] - mean[a]) * (u[i * m + b] - mean[b]) / (double)n;
            if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)m, S, (lapack_int)m) != 0 ||
                LAPACKE_dtrtri(LAPACK_ROW_MAJOR, 'L', 'N', (lapack_int)m, S, (lapack_int)m) != 0) {
                rc = idc_err_set(err, IDC_EDOM, "flow: the training data's covariance is singular");
                break;
            }
            for (size_t a = 0; a < m; a++)
                for (size_t b = 0; b < m; b++) {
                    double acc = 0;
                    for (size_t q = b; q < m; q++)
                        acc += Q[a * m + q] * S[q * m + b];
                    V[a * m + b] = acc;
                }
        } else {
            memcpy(V, Q, m * m * sizeof *V);
        }
        for (size_t a = 0; a < m; a++) {
            double acc = 0;
            for (size_t b = 0; b < m; b++)
                acc += V[a * m + b] * mean[b];
            c[a] = -acc;
        }
        int placed = 0;
        if (f->c.cold_kinks && k + 1 < t) { /* hidden layer: rows on the kinks found, scaled to unit spread */
            idc_kink ks[MAXM];
            size_t found = 0;
            idc_kinks_opts ko;
            idc_kinks_opts_default(&ko, m);
            ko.seed = idc_rng_derive_seed(f->c.seed, (uint32_t)(2000 + k));
            if ((rc = idc_kinks_find(ks, &found, m, u, n, m, &ko, err)) != IDC_OK)
                break;
            double V2[MAXM * MAXM], c2[MAXM];
            memcpy(V2, V, m * m * sizeof *V2);
            memcpy(c2, c, m * sizeof *c2);
            for (size_t a = 0; a < found; a++) {
                double ss = 0;
                for (size_t i = 0; i < n; i++) {
                    double acc = 0;
                    for (size_t b = 0; b < m; b++)
                        acc += ks[a].w[b] * (u[i * m + b] - mean[b]);
                    ss += acc * acc / (double)n;
                }
                double sc = 1 / sqrt(ss);
                for (size_t b = 0; b < m; b++)
                    V2[a * m + b] = ks[a].w[b] * sc;
                c2[a] = -ks[a].beta * sc;
            }
            if (found > 0 && (rc = place_kinks(f, V2, c2, found, u, n, k, err)) != IDC_OK)
                break;
            /* the random rows complete it; kept when the layer is invertible (LU in set_layer) */
            placed = set_layer(f, k, V2, c2);
            if (placed) {
                memcpy(V, V2, m * m * sizeof *V);
                memcpy(c, c2, m * sizeof *c);
            }
        }
        if (!placed && !set_layer(f, k, V, c))
            rc = idc_err_set(err, IDC_EUNABLE, "flow: singular initial layer %zu", k);
        apply_layer(V, c, u, n, m, f->c.slope, k + 1 < t);
    }
    if (rc == IDC_OK) {
        idc_gmm g;
        idc_gmm_init(&g);
        idc_gmm_opts o = idc_gmm_opts_default();
        o.restarts = (unsigned)f->c.em_restarts;
        o.reg = f->c.cov_floor;
        o.seed = idc_rng_derive_seed(f->c.seed, f->c.trial);
        rc = idc_gmm_fit(&g, u, n, m, f->J, &o, err);
        for (size_t j = 0; j < f->J && rc == IDC_OK; j++)
            if (!set_comp(f, j, g.mean + j * m, g.cov + j * m * m))
                rc = idc_err_set(err, IDC_EUNABLE, "flow: EM component %zu is not positive definite", j);
        if (rc == IDC_OK)
            set_weights(f, g.weight);
        idc_gmm_clear(&g);
    }
    free(u);
    return rc;
}

/* Warm start: the truth re-parametrised by h(z) = A z + c0 (A = Q diag(e^{0.3 xi}),
 * c0 ~ N(0, I)), then every parameter perturbed by relative noise eps:
 * V_k <- V_k (I + eps Xi / sqrt(m)), c_k += eps sd_k xi (sd_k the
 * pre-activation standard deviations on the training rows),
 * mu_j += eps sqrt(diag Sigma_j) xi, the factor of Sigma_j (I + eps Xi / sqrt(m)),
 * a_j += eps xi (Xi, xi standard normal). */
static int init_perturbed(idc_flow *f, const double *x, size_t n, const idc_instance *truth, idc_err *err)
{
    size_t m = f->m, t = f->t, J = f->J;
    const idc_pamap *map = &truth->map;
    if (truth->prior.dim != m || map->kind != IDC_MAP_MLP || map->in_dim != m || map->out_dim != m ||
        truth->noise_sigma != 0)
        return idc_err_set(err, IDC_EDOM, "flow: a perturbed-truth start needs a square noiseless MLP instance of dim %zu",
                           m);
    if (map->nlayers != t)
        return idc_err_set(err, IDC_EDOM, "flow.depth: %zu, the instance's map has %zu layers", t, map->nlayers);
    if (truth->prior.ncomp != J)
        return idc_err_set(err, IDC_EDOM, "flow.J: %zu, the instance's prior has %zu components", J, truth->prior.ncomp);
    if (truth->prior.family != IDC_FAMILY_GAUSSIAN)
        return idc_err_set(err, IDC_EDOM, "model.family: a perturbed-truth start needs a Gaussian prior");
    double *V = malloc(t * m * m * sizeof *V), *c = malloc(t * m * sizeof *c);
    double *Vg = malloc(t * m * m * sizeof *Vg), *cg = malloc(t * m * sizeof *cg);
    double *u = malloc(n * m * sizeof *u);
    int rc = IDC_OK;
    if (V == NULL || c == NULL || Vg == NULL || cg == NULL || u == NULL) {
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < t; k++) {
        const idc_layer *l = &map->layers[k];
        if (l->in != m || l->out != m) {
            rc = idc_err_set(err, IDC_EDOM, "map.layers[%zu]: not square", k);
            goto done;
        }
        int want_act = k + 1 < t;
        int ok = want_act ? (l->act == IDC_ACT_LEAKY && l->slope == f->c.slope) : (l->act == IDC_ACT_IDENTITY);
        if (!ok) {
            rc = idc_err_set(err, IDC_EDOM,
                             "map.layers[%zu].activation: a perturbed-truth start needs leaky_relu with the flow's slope "
                             "%g after every layer but the last (identity)",
                             k, f->c.slope);
            goto done;
        }
        memcpy(V + k * m * m, l->W, m * m * sizeof *V);
        memcpy(c + k * m, l->b, m * sizeof *c);
    }
    if (!inverse_layers(Vg, cg, V, c, t, m, f->c.slope)) {
        rc = idc_err_set(err, IDC_EDOM, "map: a layer is singular");
        goto done;
    }
    idc_rng s = idc_rng_stream(f->c.seed, f->c.trial, IDC_PURPOSE_INIT);
    uint64_t k0 = 0;
    double A[MAXM * MAXM], c0[MAXM], xi[MAXM * MAXM];
    random_orthogonal(A, m, s, k0);
    k0 += 2 * m * m;
    idc_rng_normal_fill(xi, 2 * m, s, k0);
    k0 += 2 * m;
    for (size_t b = 0; b < m; b++) {
        double sc = exp(0.3 * xi[b]);
        for (size_t a = 0; a < m; a++)
            A[a * m + b] *= sc;
        c0[b] = xi[m + b];
    }
    { /* the class has Sigma_j >= floor I; a component of the truth may be
       * thinner than that in some direction (the generator's frame factors
       * are Gaussian matrices), and then h#P is not a member of the class.
       * h is scaled up until every h#P_j has eigenvalues >= 4 floor, so
       * the start at eps = 0 is an exact zero-KL member of the class. */
        double lmin = INFINITY;
        for (size_t j = 0; j < J; j++) {
            const idc_component *cp = &truth->prior.comp[j];
            double AL[MAXM * MAXM], S[MAXM * MAXM], ev[MAXM];
            for (size_t a = 0; a < m; a++)
                for (size_t b = 0; b < cp->rank; b++) {
                    double v = 0;
                    for (size_t q = 0; q < m; q++)
                        v += A[a * m + q] * cp->L[q * cp->rank + b];
                    AL[a * m + b] = v;
                }
            for (size_t a = 0; a < m; a++)
                for (size_t b = 0; b < m; b++) {
                    double v = 0;
                    for (size_t q = 0; q < cp->rank; q++)
                        v += AL[a * m + q] * AL[b * m + q];
                    S[a * m + b] = v;
                }
            if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'L', (lapack_int)m, S, (lapack_int)m, ev) != 0) {
                rc = idc_err_set(err, IDC_EUNABLE, "flow: eigenvalues of model.components[%zu]", j);
                goto done;
            }
            lmin = fmin(lmin, ev[0]);
        }
        double want = 4 * f->c.cov_floor;
        if (lmin < want) {
            double sc = lmin > 0 ? sqrt(want / lmin) : 1e6;
            for (size_t a = 0; a < m * m; a++)
                A[a] *= sc;
            for (size_t a = 0; a < m; a++)
                c0[a] *= sc;
        }
    }
    { /* g <- h o g: fold A, c0 into the last layer */
        double *Vl = Vg + (t - 1) * m * m, *cl = cg + (t - 1) * m, Vn[MAXM * MAXM], cn[MAXM];
        for (size_t a = 0; a < m; a++) {
            double acc = c0[a];
            for (size_t q = 0; q < m; q++)
                acc += A[a * m + q] * cl[q];
            cn[a] = acc;
            for (size_t b = 0; b < m; b++) {
                double v = 0;
                for (size_t q = 0; q < m; q++)
                    v += A[a * m + q] * Vl[q * m + b];
                Vn[a * m + b] = v;
            }
        }
        memcpy(Vl, Vn, m * m * sizeof *Vl);
        memcpy(cl, cn, m * sizeof *cl);
    }
    double eps = f->c.eps;
    memcpy(u, x, n * m * sizeof *u);
    for (size_t k = 0; k < t; k++) {
        double *Vk = Vg + k * m * m, *ck = cg + k * m, mean[MAXM], sd[MAXM];
        apply_layer(Vk, ck, u, n, m, 1.0, 0); /* pre-activations, to scale the bias noise */
        column_moments(mean, sd, u, n, m);
        for (size_t i = 0; i < n * m; i++)
            if (k + 1 < t && u[i] < 0)
                u[i] *= f->c.slope;
        idc_rng_normal_fill(xi, m * m, s, k0);
        k0 += m * m;
        right_perturb(Vk, m, m, xi, eps);
        idc_rng_normal_fill(xi, m, s, k0);
        k0 += m;
        for (size_t a = 0; a < m; a++)
            ck[a] += eps * sd[a] * xi[a];
        if (!set_layer(f, k, Vk, ck)) {
            rc = idc_err_set(err, IDC_EUNABLE, "flow: the perturbed layer %zu is singular", k);
            goto done;
        }
    }
    double lam[IDC_FLOW_MAX_J] = {0}, wsum = 0;
    for (size_t j = 0; j < J; j++)
        wsum += truth->prior.comp[j].weight;
    for (size_t j = 0; j < J; j++) {
        const idc_component *cp = &truth->prior.comp[j];
        if (cp->rank != m) {
            rc = idc_err_set(err, IDC_EDOM, "model.components[%zu]: degenerate (rank %zu < %zu)", j, cp->rank, m);
            goto done;
        }
        double mu[MAXM], S[MAXM * MAXM], AL[MAXM * MAXM];
        for (size_t a = 0; a < m; a++) {
            double acc = c0[a];
            for (size_t q = 0; q < m; q++)
                acc += A[a * m + q] * cp->mean[q];
            mu[a] = acc;
            for (size_t b = 0; b < m; b++) {
                double v = 0;
                for (size_t q = 0; q < m; q++)
                    v += A[a * m + q] * cp->L[q * m + b];
                AL[a * m + b] = v;
            }
        }
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b < m; b++) {
                double v = 0;
                for (size_t q = 0; q < m; q++)
                    v += AL[a * m + q] * AL[b * m + q];
                S[a * m + b] = v;
            }
        idc_rng_normal_fill(xi, m, s, k0);
        k0 += m;
        for (size_t a = 0; a < m; a++)
            mu[a] += eps * sqrt(S[a * m + a]) * xi[a];
        if (!set_comp(f, j, mu, S)) {
            rc = idc_err_set(err, IDC_EDOM, "model.components[%zu]: covariance not positive definite", j);
            goto done;
        }
        /* C_j (I + eps Xi / sqrt(m)), lower-triangularised: Sigma_j -> the
         * covariance of that factor (a relative perturbation) */
        double *C = comp_C(f, j), Cf[MAXM * MAXM] = {0}, Sp[MAXM * MAXM];
        size_t q = 0;
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b <= a; b++)
                Cf[a * m + b] = C[q++];
        idc_rng_normal_fill(xi, m * m, s, k0);
        k0 += m * m;
        right_perturb(Cf, m, m, xi, eps);
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b < m; b++) {
                double v = a == b ? f->c.cov_floor : 0;
                for (size_t r = 0; r < m; r++)
                    v += Cf[a * m + r] * Cf[b * m + r];
                Sp[a * m + b] = v;
            }
        if (!set_comp(f, j, mu, Sp)) {
            rc = idc_err_set(err, IDC_EUNABLE, "flow: the perturbed component %zu is not positive definite", j);
            goto done;
        }
        lam[j] = cp->weight / wsum;
    }
    set_weights(f, lam);
    idc_rng_normal_fill(xi, J, s, k0);
    for (size_t j = 0; j < J; j++)
        *comp_a(f, j) += eps * xi[j];
done:
    free(V);
    free(c);
    free(Vg);
    free(cg);
    free(u);
    return rc;
}

/* Up to c.prior_em EM passes on the prior with the encoder fixed, from the
 * current prior, on g(x) for the n rows x (the log|det| terms do not depend
 * on the prior, so EM raises the exact likelihood of x). The result is kept
 * only when the exact mean NLL of the nc rows xc is not higher than before
 * (the weight floor and the covariance floor are re-applied after EM);
 * *gain (may be NULL) is the decrease of that NLL, 0 when nothing was kept.
 * An EM breakdown (a component losing definiteness) keeps the old prior. */
static int prior_em(idc_flow *f, double *gain, const double *x, size_t n, const double *xc, size_t nc)
{
    size_t m = f->m, J = f->J;
    if (gain != NULL)
        *gain = 0;
    if (f->c.prior_em == 0)
        return IDC_OK;
    double before, after;
    if (evaluate(f, &before, NULL, NULL, NULL, xc, nc) != IDC_OK)
        return IDC_ENOMEM;
    idc_gmm g;
    idc_gmm_init(&g);
    g.J = J;
    g.d = m;
    g.weight = malloc(J * sizeof *g.weight);
    g.mean = malloc(J * m * sizeof *g.mean);
    g.cov = malloc(J * m * m * sizeof *g.cov);
    double *u = malloc(n * m * sizeof *u), *keep = malloc(f->np * sizeof *keep);
    int rc = IDC_OK;
    if (g.weight == NULL || g.mean == NULL || g.cov == NULL || u == NULL || keep == NULL) {
        rc = IDC_ENOMEM;
        goto done;
    }
    memcpy(keep, f->theta, f->np * sizeof *keep);
    idc_flow_get_prior(f, g.weight, g.mean, g.cov);
    idc_flow_encode(f, u, x, n);
    idc_err err;
    if (idc_gmm_refine(&g, u, n, (unsigned)f->c.prior_em, 1e-10, f->c.cov_floor, &err) != IDC_OK)
        goto done; /* the start's covariances are definite, so only a breakdown: keep the prior */
    int ok = 1;
    for (size_t j = 0; j < J && ok; j++)
        ok = set_comp(f, j, g.mean + j * m, g.cov + j * m * m);
    if (ok) {
        set_weights(f, g.weight);
        ok = refresh(f);
    }
    if (ok && evaluate(f, &after, NULL, NULL, NULL, xc, nc) != IDC_OK) {
        rc = IDC_ENOMEM;
        ok = 0;
    }
    if (ok && after <= before) {
        if (gain != NULL)
            *gain = before - after;
    } else {
        memcpy(f->theta, keep, f->np * sizeof *keep);
        refresh(f);
    }
done:
    idc_gmm_clear(&g);
    free(u);
    free(keep);
    return rc;
}

static double now_seconds(unsigned threads);

idc_flow *idc_flow_new(const idc_flow_config *c, const double *x, size_t n, const idc_instance *truth, idc_err *err)
{
    double t0 = now_seconds(c->threads);
    if (idc_flow_config_check(c, err) != IDC_OK)
        return NULL;
    if (x == NULL || n < 2 * c->m + 2) {
        idc_err_set(err, IDC_EINVAL, "flow: %zu training rows, expected at least %zu", n, 2 * c->m + 2);
        return NULL;
    }
    for (size_t i = 0; i < n * c->m; i++)
        if (!isfinite(x[i])) {
            idc_err_set(err, IDC_EINVAL, "x[%zu][%zu]: not finite", i / c->m, i % c->m);
            return NULL;
        }
    if (c->init == IDC_FLOW_INIT_PERTURBED && truth == NULL) {
        idc_err_set(err, IDC_EINVAL, "flow.init: perturbed-truth needs the true instance");
        return NULL;
    }
    idc_flow *f = calloc(1, sizeof *f);
    if (f == NULL) {
        idc_err_set(err, IDC_ENOMEM, "out of memory");
        return NULL;
    }
    size_t m = c->m, t = c->depth, J = c->J;
    f->c = *c;
    f->slope = c->slope;
    f->m = m;
    f->t = t;
    f->J = J;
    f->layer_np = m * m + m;
    f->comp_np = m + m * (m + 1) / 2 + 1;
    f->np = t * f->layer_np + J * f->comp_np;
    f->theta = calloc(f->np, sizeof *f->theta);
    f->perm = calloc(t * m, sizeof *f->perm);
    f->sign = calloc(t * m, sizeof *f->sign);
    f->V = calloc(t * m * m, sizeof *f->V);
    f->Lm = calloc(t * m * m, sizeof *f->Lm);
    f->Um = calloc(t * m * m, sizeof *f->Um);
    f->lam = calloc(J, sizeof *f->lam);
    f->pi = calloc(J, sizeof *f->pi);
    f->Sinv = calloc(J * m * m, sizeof *f->Sinv);
    f->Schol = calloc(J * m * m, sizeof *f->Schol);
    f->lognorm = calloc(J, sizeof *f->lognorm);
    f->spread = calloc(t * m, sizeof *f->spread);
    int rc = IDC_OK;
    if (f->theta == NULL || f->perm == NULL || f->sign == NULL || f->V == NULL || f->Lm == NULL || f->Um == NULL ||
        f->lam == NULL || f->pi == NULL || f->Sinv == NULL || f->Schol == NULL || f->lognorm == NULL ||
        f->spread == NULL)
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    if (rc == IDC_OK && c->threads > 1 && (f->pool = idc_pool_new(c->threads, err)) == NULL)
        rc = IDC_ENOMEM;
    if (rc == IDC_OK && c->device == IDC_DEVICE_CUDA) {
        idc_err why;
        if ((f->dev = calloc(1, sizeof *f->dev)) == NULL)
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
        else if ((f->dev->g = idc_gpu_flow_new(0, &why)) == NULL)
            rc = idc_err_set(err, IDC_EINVAL, "flow.device cuda: %s", why.msg);
    }
    if (rc == IDC_OK)
        rc = c->init == IDC_FLOW_INIT_PERTURBED ? init_perturbed(f, x, n, truth, err) : init_random(f, x, n, err);
    f->init_seconds = now_seconds(c->threads) - t0;
    if (rc == IDC_OK && !refresh(f))
        rc = idc_err_set(err, IDC_EUNABLE, "flow: the initial model is not finite");
    if (rc == IDC_OK) {
        double nll;
        rc = evaluate(f, &nll, NULL, f->spread, NULL, x, n);
        if (rc != IDC_OK)
            rc = dev_error(f, idc_err_set(err, rc, "out of memory"), err);
    }
    if (rc != IDC_OK) {
        idc_flow_free(f);
        return NULL;
    }
    return f;
}

/* ---- training --------------------------------------------------------- */

void idc_flow_fit_result_clear(idc_flow_fit_result *r)
{
    if (r == NULL)
        return;
    json_decref(r->trace);
    memset(r, 0, sizeof *r);
}

double idc_flow_loss(idc_flow *f, double *grad, const double *x, size_t n, double bw)
{
    if (grad == NULL) {
        double nll = NAN;
        if (evaluate(f, &nll, NULL, NULL, NULL, x, n) != IDC_OK)
            return NAN;
        return nll;
    }
    double *raw = calloc(nblocks(n) * raw_size(f), sizeof *raw);
    if (raw == NULL)
        return NAN;
    double v = gradient(f, grad, raw, x, n, bw);
    free(raw);
    return v;
}

/* The clock of the time budget: the fitting thread's CPU time when it
 * works alone (threads = 1; then a budget buys the same work on a loaded
 * machine as on an idle one, one core's worth), wall time otherwise. */
static double now_seconds(unsigned threads)
{
    struct timespec ts;
    clock_gettime(threads > 1 ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int idc_flow_fit(idc_flow *f, idc_flow_fit_result *res, const double *x, size_t n, const double *xv, size_t nv,
                 idc_err *err)
{
    memset(res, 0, sizeof *res);
    const idc_flow_config *c = &f->c;
    size_t m = f->m, np = f->np;
    if (x == NULL || xv == NULL || n < 1 || nv < 1)
        return idc_err_set(err, IDC_EINVAL, "flow fit: empty training or validation rows");
    size_t bs = c->batch == 0 || c->batch > n ? n : c->batch;
    const idc_backend *be = idc_backend_cpu(IDC_DTYPE_F64); /* Adam on host doubles (models/engine/engine.h) */
    idc_adam *adam = idc_adam_new(be, np, err);
    double *grad = malloc(np * sizeof *grad);
    double *best = malloc(np * sizeof *best), *raw = malloc(nblocks(bs) * raw_size(f) * sizeof *raw);
    double *xb = bs < n ? malloc(bs * m * sizeof *xb) : NULL;
    res->trace = json_array();
    int rc = IDC_OK;
    if (adam == NULL || grad == NULL || best == NULL || raw == NULL || (bs < n && xb == NULL) || res->trace == NULL) {
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
        goto done;
    }
    dev_register(f, x, n, xv, nv); /* the rows stay on the device for the fit (c.device = cuda) */
    double t0 = now_seconds(c->threads), best_nll, negfrac;
    int best_from_anneal = c->slope_anneal > 0; /* the start is replaced by the first checkpoint at c.slope */
    if (evaluate(f, &best_nll, &negfrac, f->spread, NULL, xv, nv) != IDC_OK) {
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
        goto done;
    }
    res->init_val_nll = best_nll;
    memcpy(best, f->theta, np * sizeof *best);
    json_array_append_new(res->trace, json_pack("[i,f,f]", 0, best_nll, c->bw0));
    idc_rng bstream = idc_rng_stream(c->seed, c->trial, IDC_PURPOSE_BATCH);
    idc_adam_config ac;
    idc_adam_config_default(&ac);
    size_t step = 0;
    for (step = 1; step <= c->steps; step++) {
        /* progress through the schedules: by steps, or by the wall-clock budget
         * when that is the tighter one (then the run depends on timing) */
        double frac = (double)(step - 1) / (double)c->steps;
        if (c->max_seconds > 0)
            frac = fmax(frac, (now_seconds(c->threads) - t0) / c->max_seconds);
        frac = fmin(frac, 1.0);
        double lr = c->lr_final + 0.5 * (c->lr - c->lr_final) * (1 + cos(M_PI * frac));
        double bw = !c->straight_through ? 0 : c->bw1 > 0 ? c->bw0 * pow(c->bw1 / c->bw0, frac) : c->bw0;
        /* slope annealing: linear from 1 (an affine flow) to c.slope over the
         * first slope_anneal of the steps; checkpoints only at c.slope */
        int annealing = frac < c->slope_anneal;
        f->slope = annealing ? 1 + (c->slope - 1) * frac / c->slope_anneal : c->slope;
        if (annealing && f->slope == 1.0)
            f->slope = 1 + (c->slope - 1) * 1e-6;
        const double *xs = x;
        if (xb != NULL) {
            for (size_t r = 0; r < bs; r++) {
                uint64_t i = idc_rng_below(bstream, (uint64_t)(step - 1) * bs + r, n);
                memcpy(xb + r * m, x + i * m, m * sizeof *xb);
            }
            xs = xb;
        }
        double loss = gradient(f, grad, raw, xs, bs, bw);
        if (!isfinite(loss)) {
            rc = idc_err_set(err, IDC_EUNABLE, "flow: the loss became non-finite at step %zu", step);
            break;
        }
        ac.lr = lr;
        idc_adam_step(adam, &ac, f->theta, grad);
        int ok = refresh(f);
        int last = step == c->steps || (c->max_seconds > 0 && now_seconds(c->threads) - t0 > c->max_seconds);
        if (!ok) { /* a covariance lost positive definiteness: back to the best point */
            memcpy(f->theta, best, np * sizeof *best);
            refresh(f);
            idc_adam_free(adam); /* and a fresh Adam state */
            if ((adam = idc_adam_new(be, np, err)) == NULL) {
                rc = IDC_ENOMEM;
                break;
            }
            continue;
        }
        if (step % c->eval_every == 0 || last) {
            double vnll;
            /* every prior_em_every evaluations: EM on the prior (encoder fixed) */
            if (c->prior_em_every > 0 && !annealing && !last && (step / c->eval_every) % c->prior_em_every == 0) {
                double g;
                if (prior_em(f, &g, xs, bs, xv, nv) != IDC_OK) {
                    rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
                    break;
                }
                res->em_rounds += g > 0;
            }
            if (evaluate(f, &vnll, &negfrac, f->spread, NULL, xv, nv) != IDC_OK) {
                rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
                break;
            }
            json_array_append_new(res->trace, json_pack("[I,f,f]", (json_int_t)step, vnll, bw));
            /* while annealing the model is not of the configured class yet */
            if (!annealing && isfinite(vnll) && (vnll < best_nll || best_from_anneal)) {
                best_from_anneal = 0;
                best_nll = vnll;
                res->best_step = step;
                memcpy(best, f->theta, np * sizeof *best);
            }
        }
        if (last)
            break;
    }
    res->steps = step > c->steps ? c->steps : step;
    f->slope = c->slope;
    if (c->keep_best || rc != IDC_OK) {
        memcpy(f->theta, best, np * sizeof *best);
    } else {
        res->best_step = res->steps;
    }
    refresh(f);
    if (rc == IDC_OK && prior_em(f, &res->em_gain, x, n, xv, nv) != IDC_OK)
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    if (rc == IDC_OK) {
        double tnll;
        if (evaluate(f, &res->val_nll, &res->neg_fraction, f->spread, NULL, xv, nv) != IDC_OK ||
            evaluate(f, &tnll, NULL, NULL, NULL, x, n) != IDC_OK)
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
        res->train_nll = tnll;
    }
    res->seconds = now_seconds(c->threads) - t0;
done:
    dev_register(f, NULL, 0, NULL, 0);
    rc = dev_error(f, rc, err);
    idc_adam_free(adam);
    free(grad);
    free(best);
    free(raw);
    free(xb);
    return rc;
}

/* ---- outputs ---------------------------------------------------------- */

void idc_flow_logpdf(const idc_flow *f, double *out, const double *x, size_t n)
{
    double nll;
    if (evaluate(f, &nll, NULL, NULL, out, x, n) != IDC_OK)
        for (size_t i = 0; i < n; i++)
            out[i] = NAN;
}

void idc_flow_encode(const idc_flow *f, double *zhat, const double *x, size_t n)
{
    size_t m = f->m, t = f->t;
    idc_flow_rowp p = rowp_of(f);
    for (size_t i = 0; i < n; i++) {
        double pre[IDC_FLOW_MAX_DEPTH * MAXM], scr[3 * MAXM + IDC_FLOW_MAX_J];
        size_t neg;
        double lp = idc_flow_row_forward(&p, x + i * m, pre, &neg, NULL, NULL, scr);
        (void)lp;
        memcpy(zhat + i * m, pre + (t - 1) * m, m * sizeof *zhat);
    }
}

void idc_flow_get_prior(const idc_flow *f, double *w, double *mu, double *cov)
{
    size_t m = f->m;
    for (size_t j = 0; j < f->J; j++) {
        if (w != NULL)
            w[j] = f->lam[j];
        if (mu != NULL)
            memcpy(mu + j * m, comp_mu(f, j), m * sizeof *mu);
        if (cov != NULL) {
            const double *L = f->Schol + j * m * m;
            for (size_t a = 0; a < m; a++)
                for (size_t b = 0; b < m; b++) {
                    double acc = 0;
                    for (size_t q = 0; q <= a && q <= b; q++)
                        acc += L[a * m + q] * L[b * m + q];
                    cov[j * m * m + a * m + b] = acc;
                }
        }
    }
}

int idc_flow_get_instance(const idc_flow *f, idc_instance *out, idc_err *err)
{
    size_t m = f->m, t = f->t, J = f->J;
    idc_instance_init(out);
    double *Vi = malloc(t * m * m * sizeof *Vi), *ci = malloc(t * m * sizeof *ci), *c = malloc(t * m * sizeof *c);
    size_t widths[IDC_FLOW_MAX_DEPTH + 1];
    int rc = IDC_OK;
    if (Vi == NULL || ci == NULL || c == NULL) {
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < t; k++)
        memcpy(c + k * m, layer_c(f, k), m * sizeof *c);
    if (!inverse_layers(Vi, ci, f->V, c, t, m, f->c.slope)) {
        rc = idc_err_set(err, IDC_EUNABLE, "flow: a layer of the encoder is not invertible in double");
        goto done;
    }
    for (size_t k = 0; k <= t; k++)
        widths[k] = m;
    rc = idc_pamap_alloc_mlp(&out->map, t, widths, err);
    for (size_t k = 0; k < t && rc == IDC_OK; k++) {
        idc_layer *l = &out->map.layers[k];
        memcpy(l->W, Vi + k * m * m, m * m * sizeof *l->W);
        memcpy(l->b, ci + k * m, m * sizeof *l->b);
        l->act = k + 1 < t ? IDC_ACT_LEAKY : IDC_ACT_IDENTITY;
        l->slope = k + 1 < t ? f->c.slope : 1.0;
    }
    if (rc == IDC_OK)
        rc = idc_pdgmm_alloc(&out->prior, m, J, err);
    for (size_t j = 0; j < J && rc == IDC_OK; j++) {
        rc = idc_pdgmm_comp_alloc(&out->prior, j, m, err);
        if (rc != IDC_OK)
            break;
        idc_component *cp = &out->prior.comp[j];
        cp->weight = f->lam[j];
        memcpy(cp->mean, comp_mu(f, j), m * sizeof *cp->mean);
        memcpy(cp->L, f->Schol + j * m * m, m * m * sizeof *cp->L);
    }
    if (rc == IDC_OK) {
        double wsum = 0;
        for (size_t j = 0; j < J; j++)
            wsum += out->prior.comp[j].weight;
        for (size_t j = 0; j < J; j++) /* normalise to the tolerance of the format */
            out->prior.comp[j].weight /= wsum;
        out->noise_sigma = 0;
        out->nsamples = 10000;
        rc = idc_instance_validate(out, err);
    }
done:
    free(Vi);
    free(ci);
    free(c);
    if (rc != IDC_OK)
        idc_instance_clear(out);
    return rc;
}

static json_t *array_of(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n && a != NULL; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

json_t *idc_flow_get_json(const idc_flow *f)
{
    size_t m = f->m, J = f->J;
    json_t *layers = json_array();
    for (size_t k = 0; k < f->t; k++)
        json_array_append_new(layers, json_pack("{s:o,s:o}", "V", array_of(f->V + k * m * m, m * m), "c",
                                                array_of(layer_c(f, k), m)));
    double *w = malloc(J * sizeof *w), *mu = malloc(J * m * sizeof *mu), *cov = malloc(J * m * m * sizeof *cov);
    json_t *out = NULL;
    if (w != NULL && mu != NULL && cov != NULL) {
        idc_flow_get_prior(f, w, mu, cov);
        out = json_pack("{s:I,s:I,s:f,s:I,s:o,s:{s:o,s:o,s:o}}", "m", (json_int_t)m, "depth", (json_int_t)f->t,
                        "slope", f->c.slope, "J", (json_int_t)J, "layers", layers, "prior", "weights",
                        array_of(w, J), "means", array_of(mu, J * m), "covs", array_of(cov, J * m * m));
    } else {
        json_decref(layers);
    }
    free(w);
    free(mu);
    free(cov);
    return out;
}
