/* The per-row arithmetic of the flow estimator (models/estimators/flow.h),
 * shared by the CPU code (models/estimators/flow.c) and the CUDA kernels
 * (gpu/flow_kernels.cu).
 *
 * Every function here is static inline and, compiled by nvcc, also a
 * device function (IDC_FLOW_ROW_FN), so one text defines what a row
 * contributes on both sides. It works on plain arrays (idc_flow_rowp: the
 * sizes and the parameters derived by flow.c's refresh), never on the
 * idc_flow struct, and uses no memcpy/memset, no BLAS and no allocation:
 * the caller passes the scratch (idc_flow_row_scratch doubles).
 *
 * Same operations in the same order on both sides: the only operations are
 * +, -, *, / (IEEE, rounded once: the CPU build never contracts to FMA and
 * gpu/ is compiled --fmad=false), comparisons, and exp/log. The last two
 * are glibc's on the CPU and CUDA's on the device (both faithfully rounded,
 * not always the same double), so a device row agrees with the CPU row to
 * rounding, not necessarily bit for bit; everything else (the pre-
 * activations, the count of negative ones, the order of every sum) is the
 * same. log(slope) is taken once on the host (idc_flow_rowp.logb).
 *
 * Accumulators. A row adds its terms into the per-block sums `acc` (entry
 * q at acc[q * stride]) with exactly one addition per entry and row, so
 * summing the rows of a block in row order gives the same doubles whether
 * a row adds straight into the block's sums (the CPU, stride 1) or first
 * into a zeroed row slot that is later summed in row order (the device). */
#ifndef IDC_MODELS_FLOW_ROW_H
#define IDC_MODELS_FLOW_ROW_H

#include <math.h>
#include <stddef.h>

#ifdef __CUDACC__
#define IDC_FLOW_ROW_FN static inline __host__ __device__
#else
#define IDC_FLOW_ROW_FN static inline
#endif

/* Rows per partial sum: the reduction order of every sum over rows is fixed
 * by it (blocks of IDC_FLOW_BLOCK rows in row order, block sums in block
 * order), on the CPU for any thread count and on the device. */
#define IDC_FLOW_BLOCK 256

/* The largest sizes (those of flow.h: IDC_FLOW_MAX_DIM, _DEPTH, _J). */
#define IDC_FLOW_ROW_MAX_DIM 32
#define IDC_FLOW_ROW_MAX_DEPTH 16
#define IDC_FLOW_ROW_MAX_J 64

/* A flow's parameters as one row sees them (pointers into host or device
 * memory, never written). */
typedef struct {
    size_t m, t, J;         /* dimension, affine layers, components */
    double slope;           /* the activation's slope now (b; 1 < b while annealing is allowed) */
    double logb;            /* log(slope), taken once by the caller */
    double logdet;          /* sum_k log |det V_k| */
    const double *V;        /* t x m x m, row-major */
    const double *c;        /* layer k's bias: c + k * c_stride (m) */
    size_t c_stride;
    const double *mu;       /* component j's mean: mu + j * mu_stride (m) */
    size_t mu_stride;
    const double *Sinv;     /* J x m x m: Sigma_j^-1 */
    const double *lognorm;  /* J: log lambda_j - (m/2) log 2 pi - (1/2) log det Sigma_j */
    const double *spread;   /* (t - 1) x m: hidden pre-activation standard deviations */
} idc_flow_rowp;

/* Per-block gradient sums: [loss, negs, per layer dV (m^2), dc (m), per
 * component sum r w (m), sum r (1), sum r w w^T (m^2)]. */
IDC_FLOW_ROW_FN size_t idc_flow_row_rawsize(size_t m, size_t t, size_t J)
{
    return 2 + t * (m * m + m) + J * (m + 1 + m * m);
}

/* Per-block evaluation sums: [nll, negs, sum pre (nh), sum pre^2 (nh)],
 * nh = (t - 1) m hidden units. */
IDC_FLOW_ROW_FN size_t idc_flow_row_statsize(size_t m, size_t t)
{
    return 2 + 2 * (t - 1) * m;
}

/* Scratch doubles idc_flow_row_backward and idc_flow_row_stats need (the
 * forward pass alone needs 3 m + J). */
IDC_FLOW_ROW_FN size_t idc_flow_row_scratch(size_t m, size_t t, size_t J)
{
    return (t + J + 6) * m + 2 * J;
}

/* Forward pass of row x: pre (t x m) the pre-activations, z = pre[t-1];
 * returns the exact log p^(x) and sets *neg; r (J) the responsibilities and
 * w (J x m) the vectors Sigma_j^-1 (z - mu_j) when not NULL. scr: 3 m + J
 * doubles. */
IDC_FLOW_ROW_FN double idc_flow_row_forward(const idc_flow_rowp *p, const double *x, double *pre, size_t *neg,
                                            double *r, double *w, double *scr)
{
    size_t m = p->m, t = p->t, J = p->J;
    double *u = scr, *d = scr + m, *tmp = scr + 2 * m, *lj = scr + 3 * m;
    const double *in = x;
    size_t nneg = 0;
    for (size_t k = 0; k < t; k++) {
        const double *V = p->V + k * m * m, *c = p->c + k * p->c_stride;
        double *pk = pre + k * m;
        for (size_t i = 0; i < m; i++) {
            double acc = c[i];
            for (size_t j = 0; j < m; j++)
                acc += V[i * m + j] * in[j];
            pk[i] = acc;
        }
        if (k + 1 < t) {
            for (size_t i = 0; i < m; i++) {
                if (pk[i] < 0) {
                    u[i] = p->slope * pk[i];
                    nneg++;
                } else {
                    u[i] = pk[i];
                }
            }
            in = u;
        }
    }
    const double *z = pre + (t - 1) * m;
    double best = -INFINITY;
    for (size_t j = 0; j < J; j++) {
        const double *mu = p->mu + j * p->mu_stride, *Si = p->Sinv + j * m * m;
        double q = 0;
        for (size_t i = 0; i < m; i++)
            d[i] = z[i] - mu[i];
        for (size_t i = 0; i < m; i++) {
            double acc = 0;
            for (size_t l = 0; l < m; l++)
                acc += Si[i * m + l] * d[l];
            tmp[i] = acc;
            q += acc * d[i];
        }
        if (w != NULL)
            for (size_t i = 0; i < m; i++)
                w[j * m + i] = tmp[i];
        lj[j] = p->lognorm[j] - 0.5 * q;
        best = fmax(best, lj[j]);
    }
    double acc = 0;
    for (size_t j = 0; j < J; j++)
        acc += exp(lj[j] - best);
    double lp = best + log(acc);
    if (r != NULL)
        for (size_t j = 0; j < J; j++)
            r[j] = exp(lj[j] - lp);
    *neg = nneg;
    return lp + p->logdet + p->logb * (double)nneg;
}

/* Adds row x's terms to the gradient sums acc (idc_flow_row_rawsize
 * entries, entry q at acc[q * stride]): -log p^(x), its count of negative
 * pre-activations, and the raw gradient terms, with the straight-through
 * count at bandwidth bw (0: the pointwise gradient). scr:
 * idc_flow_row_scratch doubles. */
IDC_FLOW_ROW_FN void idc_flow_row_backward(const idc_flow_rowp *p, double *acc, size_t stride, const double *x,
                                           double bw, double *scr)
{
    size_t m = p->m, t = p->t, J = p->J;
    double *pre = scr, *r = pre + t * m, *w = r + J, *fs = w + J * m, *g = fs + 3 * m + J, *in = g + m,
           *gn = in + m;
    size_t neg;
    double lp = idc_flow_row_forward(p, x, pre, &neg, r, w, fs);
#define IDC_FLOW_ACC(q) acc[(q) * stride]
    IDC_FLOW_ACC(0) -= lp;
    IDC_FLOW_ACC(1) += (double)neg;
    size_t rl = 2, rc = rl + t * (m * m + m);
    for (size_t i = 0; i < m; i++)
        g[i] = 0;
    for (size_t j = 0; j < J; j++) {
        size_t sw = rc + j * (m + 1 + m * m), sr = sw + m, M = sr + 1;
        const double *wj = w + j * m;
        IDC_FLOW_ACC(sr) += r[j];
        for (size_t i = 0; i < m; i++) {
            double rw = r[j] * wj[i];
            IDC_FLOW_ACC(sw + i) += rw;
            g[i] += rw;
            for (size_t l = 0; l < m; l++)
                IDC_FLOW_ACC(M + i * m + l) += rw * wj[l];
        }
    }
    for (size_t k = t; k-- > 0;) {
        size_t dV = rl + k * (m * m + m), dc = dV + m * m;
        if (k == 0) {
            for (size_t i = 0; i < m; i++)
                in[i] = x[i];
        } else {
            const double *pk = pre + (k - 1) * m;
            for (size_t i = 0; i < m; i++)
                in[i] = pk[i] < 0 ? p->slope * pk[i] : pk[i];
        }
        for (size_t i = 0; i < m; i++) {
            IDC_FLOW_ACC(dc + i) += g[i];
            for (size_t j = 0; j < m; j++)
                IDC_FLOW_ACC(dV + i * m + j) += g[i] * in[j];
        }
        if (k == 0)
            break;
        const double *V = p->V + k * m * m, *pk = pre + (k - 1) * m, *sp = p->spread + (k - 1) * m;
        for (size_t j = 0; j < m; j++) {
            double a = 0;
            for (size_t i = 0; i < m; i++)
                a += V[i * m + j] * g[i];
            gn[j] = pk[j] < 0 ? p->slope * a : a;
            if (bw > 0) { /* straight-through count: d/dp of -log(b) sigmoid(-p / tau) */
                double tau = bw * sp[j];
                double s = 1 / (1 + exp(pk[j] / tau));
                gn[j] += p->logb * s * (1 - s) / tau;
            }
        }
        for (size_t i = 0; i < m; i++)
            g[i] = gn[i];
    }
#undef IDC_FLOW_ACC
}

/* Adds row x's terms to the evaluation sums st (idc_flow_row_statsize
 * entries, entry q at st[q * stride]) and returns its exact log p^(x).
 * scr: idc_flow_row_scratch doubles. */
IDC_FLOW_ROW_FN double idc_flow_row_stats(const idc_flow_rowp *p, double *st, size_t stride, const double *x,
                                          double *scr)
{
    size_t m = p->m, nh = (p->t - 1) * m;
    double *pre = scr, *fs = pre + p->t * m;
    size_t neg;
    double lp = idc_flow_row_forward(p, x, pre, &neg, NULL, NULL, fs);
    st[0] -= lp;
    st[stride] += (double)neg;
    for (size_t h = 0; h < nh; h++) {
        st[(2 + h) * stride] += pre[h];
        st[(2 + nh + h) * stride] += pre[h] * pre[h];
    }
    return lp;
}

/* Doubles of p's parameters packed by idc_flow_row_pack: V, the biases,
 * the means, Sinv, lognorm, spread. */
static inline size_t idc_flow_row_packsize(size_t m, size_t t, size_t J)
{
    return t * m * m + t * m + J * m + J * m * m + J + (t - 1) * m;
}

/* Copies p's arrays into buf (idc_flow_row_packsize doubles) in the order
 * above, contiguous (bias and mean strides m). Host only. */
static inline void idc_flow_row_pack(const idc_flow_rowp *p, double *buf)
{
    size_t m = p->m, t = p->t, J = p->J, o = 0;
    for (size_t i = 0; i < t * m * m; i++)
        buf[o++] = p->V[i];
    for (size_t k = 0; k < t; k++)
        for (size_t i = 0; i < m; i++)
            buf[o++] = p->c[k * p->c_stride + i];
    for (size_t j = 0; j < J; j++)
        for (size_t i = 0; i < m; i++)
            buf[o++] = p->mu[j * p->mu_stride + i];
    for (size_t i = 0; i < J * m * m; i++)
        buf[o++] = p->Sinv[i];
    for (size_t j = 0; j < J; j++)
        buf[o++] = p->lognorm[j];
    for (size_t i = 0; i < (t - 1) * m; i++)
        buf[o++] = p->spread[i];
}

/* p's sizes and scalars with its arrays in packed (a buffer written by
 * idc_flow_row_pack, or a device copy of one). */
static inline idc_flow_rowp idc_flow_row_packed(const idc_flow_rowp *p, const double *packed)
{
    size_t m = p->m, t = p->t, J = p->J;
    idc_flow_rowp q = *p;
    q.V = packed;
    q.c = q.V + t * m * m;
    q.c_stride = m;
    q.mu = q.c + t * m;
    q.mu_stride = m;
    q.Sinv = q.mu + J * m;
    q.lognorm = q.Sinv + J * m * m;
    q.spread = q.lognorm + J;
    return q;
}

#endif
