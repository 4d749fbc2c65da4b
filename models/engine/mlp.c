/* A chain of layers over an idc_backend: construction, initialisation,
 * forward and backward passes (models/engine/engine.h). */
#include "models/engine/engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct idc_mlp {
    const idc_backend *be;
    size_t esize; /* bytes per element */
    size_t in_dim, nlayers, max_rows, max_width;
    idc_mlp_layer *spec;
    size_t *in_w, *out_w;  /* per layer */
    size_t *poff, *pcnt;   /* parameter block per layer */
    size_t *soff, *scnt;   /* state block per layer */
    size_t nparams, nstate;
    void *params, *grads, *state;
    void **out;            /* output per layer (a leaky layer after the first aliases its input) */
    unsigned char *own;    /* out[l] owned by layer l */
    void **xhat, **invstd; /* batch-norm layers: saved for the backward pass */
    void *gbuf[2];         /* ping-pong gradient buffers */
    size_t *zero_idx;      /* max_rows zeros (host): broadcasts a bias row */
    const void *x_in;      /* input of the last train-mode forward */
    size_t last_rows;
    int ready;             /* a train-mode forward is available for backward */
};

idc_mlp_layer idc_mlp_dense(size_t width)
{
    idc_mlp_layer l = {IDC_MLP_DENSE, width, 0.0, 0.0, 0.0};
    return l;
}

idc_mlp_layer idc_mlp_leaky(double slope)
{
    idc_mlp_layer l = {IDC_MLP_LEAKY, 0, slope, 0.0, 0.0};
    return l;
}

idc_mlp_layer idc_mlp_batchnorm(double eps, double momentum)
{
    idc_mlp_layer l = {IDC_MLP_BATCHNORM, 0, 0.0, eps, momentum};
    return l;
}

static void *at(const idc_mlp *m, const void *base, size_t k)
{
    return (char *)base + k * m->esize;
}

static int mul_ok(size_t a, size_t b, size_t *r)
{
    return !__builtin_mul_overflow(a, b, r) && *r <= IDC_MLP_MAX_ELEMS;
}

void idc_mlp_free(idc_mlp *m)
{
    if (m == NULL)
        return;
    const idc_backend *be = m->be;
    if (m->out != NULL)
        for (size_t l = 0; l < m->nlayers; l++)
            if (m->own[l])
                be->release(be, m->out[l]);
    if (m->xhat != NULL && m->invstd != NULL)
        for (size_t l = 0; l < m->nlayers; l++) {
            be->release(be, m->xhat[l]);
            be->release(be, m->invstd[l]);
        }
    be->release(be, m->gbuf[0]);
    be->release(be, m->gbuf[1]);
    be->release(be, m->params);
    be->release(be, m->grads);
    be->release(be, m->state);
    free(m->out);
    free(m->zero_idx);
    free(m->own);
    free(m->xhat);
    free(m->invstd);
    free(m->spec);
    free(m->in_w);
    free(m->out_w);
    free(m->poff);
    free(m->pcnt);
    free(m->soff);
    free(m->scnt);
    free(m);
}

static int check_spec(const idc_mlp_layer *s, size_t l, idc_err *err)
{
    switch (s->kind) {
    case IDC_MLP_DENSE:
        if (s->width < 1 || s->width > IDC_MLP_MAX_WIDTH)
            return idc_err_set(err, IDC_EINVAL, "mlp.layers[%zu].width: must be in 1..%zu, got %zu",
                               l, IDC_MLP_MAX_WIDTH, s->width);
        return IDC_OK;
    case IDC_MLP_LEAKY:
        if (!isfinite(s->slope) || s->slope < 0.0)
            return idc_err_set(err, IDC_EINVAL, "mlp.layers[%zu].slope: must be finite and >= 0",
                               l);
        return IDC_OK;
    case IDC_MLP_BATCHNORM:
        if (!isfinite(s->eps) || s->eps <= 0.0)
            return idc_err_set(err, IDC_EINVAL, "mlp.layers[%zu].eps: must be finite and > 0", l);
        if (!(s->momentum >= 0.0 && s->momentum <= 1.0))
            return idc_err_set(err, IDC_EINVAL, "mlp.layers[%zu].momentum: must be in [0, 1]",
                               l);
        return IDC_OK;
    }
    return idc_err_set(err, IDC_EINVAL, "mlp.layers[%zu].kind: unknown kind %d", l, (int)s->kind);
}

idc_mlp *idc_mlp_new(const idc_backend *be, size_t in_dim, const idc_mlp_layer *spec,
                     size_t nlayers, size_t max_rows, idc_err *err)
{
    if (be == NULL) {
        idc_err_set(err, IDC_EINVAL, "mlp.backend: must not be NULL");
        return NULL;
    }
    if (in_dim < 1 || in_dim > IDC_MLP_MAX_WIDTH) {
        idc_err_set(err, IDC_EINVAL, "mlp.in_dim: must be in 1..%zu, got %zu", IDC_MLP_MAX_WIDTH,
                    in_dim);
        return NULL;
    }
    if (nlayers < 1 || nlayers > IDC_MLP_MAX_LAYERS || spec == NULL) {
        idc_err_set(err, IDC_EINVAL, "mlp.layers: need 1..%d layers, got %zu", IDC_MLP_MAX_LAYERS,
                    spec == NULL ? (size_t)0 : nlayers);
        return NULL;
    }
    if (max_rows < 1 || max_rows > IDC_MLP_MAX_ROWS) {
        idc_err_set(err, IDC_EINVAL, "mlp.max_rows: must be in 1..%zu, got %zu", IDC_MLP_MAX_ROWS,
                    max_rows);
        return NULL;
    }
    for (size_t l = 0; l < nlayers; l++)
        if (check_spec(&spec[l], l, err) != IDC_OK)
            return NULL;

    idc_mlp *m = calloc(1, sizeof *m);
    if (m == NULL) {
        idc_err_set(err, IDC_ENOMEM, "mlp: out of memory");
        return NULL;
    }
    m->be = be;
    m->esize = idc_dtype_size(be->dtype);
    m->in_dim = in_dim;
    m->nlayers = nlayers;
    m->max_rows = max_rows;
    m->spec = idc_calloc(nlayers, sizeof *m->spec);
    m->in_w = idc_calloc(nlayers, sizeof(size_t));
    m->out_w = idc_calloc(nlayers, sizeof(size_t));
    m->poff = idc_calloc(nlayers, sizeof(size_t));
    m->pcnt = idc_calloc(nlayers, sizeof(size_t));
    m->soff = idc_calloc(nlayers, sizeof(size_t));
    m->scnt = idc_calloc(nlayers, sizeof(size_t));
    m->out = idc_calloc(nlayers, sizeof(void *));
    m->own = idc_calloc(nlayers, 1);
    m->xhat = idc_calloc(nlayers, sizeof(void *));
    m->invstd = idc_calloc(nlayers, sizeof(void *));
    if (m->spec == NULL || m->in_w == NULL || m->out_w == NULL || m->poff == NULL ||
        m->pcnt == NULL || m->soff == NULL || m->scnt == NULL || m->out == NULL ||
        m->own == NULL || m->xhat == NULL || m->invstd == NULL)
        goto nomem;
    memcpy(m->spec, spec, nlayers * sizeof *spec);

    /* Shapes and parameter layout. */
    size_t w = in_dim, maxw = in_dim;
    for (size_t l = 0; l < nlayers; l++) {
        size_t cnt = 0, scnt = 0, tmp;
        m->in_w[l] = w;
        if (spec[l].kind == IDC_MLP_DENSE) {
            if (!mul_ok(w, spec[l].width, &tmp) || !mul_ok(tmp + spec[l].width, 1, &cnt)) {
                idc_err_set(err, IDC_EINVAL, "mlp.layers[%zu]: %zu x %zu weights exceed %zu", l,
                            spec[l].width, w, IDC_MLP_MAX_ELEMS);
                goto fail;
            }
            w = spec[l].width;
        } else if (spec[l].kind == IDC_MLP_BATCHNORM) {
            cnt = 2 * w;
            scnt = 2 * w;
        }
        m->out_w[l] = w;
        m->poff[l] = m->nparams;
        m->pcnt[l] = cnt;
        m->soff[l] = m->nstate;
        m->scnt[l] = scnt;
        m->nparams += cnt;
        m->nstate += scnt;
        if (w > maxw)
            maxw = w;
    }
    m->max_width = maxw;
    size_t bufn;
    if (!mul_ok(max_rows, maxw, &bufn)) {
        idc_err_set(err, IDC_EINVAL, "mlp.max_rows: %zu rows x width %zu exceed %zu elements",
                    max_rows, maxw, IDC_MLP_MAX_ELEMS);
        goto fail;
    }

    m->params = be->alloc(be, m->nparams);
    m->grads = be->alloc(be, m->nparams);
    m->state = be->alloc(be, m->nstate);
    m->gbuf[0] = be->alloc(be, bufn);
    m->gbuf[1] = be->alloc(be, bufn);
    m->zero_idx = idc_calloc(max_rows, sizeof(size_t));
    if (m->params == NULL || m->grads == NULL || m->state == NULL || m->gbuf[0] == NULL ||
        m->gbuf[1] == NULL || m->zero_idx == NULL)
        goto nomem;
    for (size_t l = 0; l < nlayers; l++) {
        size_t n = max_rows * m->out_w[l];
        if (spec[l].kind == IDC_MLP_LEAKY && l > 0) {
            m->out[l] = m->out[l - 1]; /* in place */
            continue;
        }
        m->out[l] = be->alloc(be, n);
        if (m->out[l] == NULL)
            goto nomem;
        m->own[l] = 1;
        if (spec[l].kind == IDC_MLP_BATCHNORM) {
            m->xhat[l] = be->alloc(be, n);
            m->invstd[l] = be->alloc(be, m->out_w[l]);
            if (m->xhat[l] == NULL || m->invstd[l] == NULL)
                goto nomem;
        }
    }

    /* Default values: zero weights, gamma = 1, running_var = 1. */
    double *tmp = idc_calloc(2 * maxw, sizeof(double));
    if (tmp == NULL)
        goto nomem;
    for (size_t j = 0; j < maxw; j++)
        tmp[j] = 1.0;
    for (size_t l = 0; l < nlayers; l++)
        if (spec[l].kind == IDC_MLP_BATCHNORM) {
            size_t c = m->out_w[l];
            be->set_d(be, at(m, m->params, m->poff[l]), tmp, c);
            be->set_d(be, at(m, m->state, m->soff[l] + c), tmp, c);
        }
    free(tmp);
    return m;

nomem:
    idc_err_set(err, IDC_ENOMEM, "mlp: out of memory");
fail:
    idc_mlp_free(m);
    return NULL;
}

const idc_backend *idc_mlp_backend(const idc_mlp *m)
{
    return m->be;
}

size_t idc_mlp_in_dim(const idc_mlp *m)
{
    return m->in_dim;
}

size_t idc_mlp_out_dim(const idc_mlp *m)
{
    return m->out_w[m->nlayers - 1];
}

size_t idc_mlp_max_rows(const idc_mlp *m)
{
    return m->max_rows;
}

size_t idc_mlp_nlayers(const idc_mlp *m)
{
    return m->nlayers;
}

const idc_mlp_layer *idc_mlp_layer_spec(const idc_mlp *m, size_t l)
{
    return &m->spec[l];
}

size_t idc_mlp_nparams(const idc_mlp *m)
{
    return m->nparams;
}

size_t idc_mlp_nstate(const idc_mlp *m)
{
    return m->nstate;
}

void idc_mlp_param_range(const idc_mlp *m, size_t l, size_t *offset, size_t *count)
{
    *offset = m->poff[l];
    *count = m->pcnt[l];
}

void idc_mlp_state_range(const idc_mlp *m, size_t l, size_t *offset, size_t *count)
{
    *offset = m->soff[l];
    *count = m->scnt[l];
}

void *idc_mlp_params(idc_mlp *m)
{
    return m->params;
}

void *idc_mlp_grads(idc_mlp *m)
{
    return m->grads;
}

void *idc_mlp_state(idc_mlp *m)
{
    return m->state;
}

void idc_mlp_get_params(const idc_mlp *m, double *out)
{
    m->be->get_d(m->be, out, m->params, m->nparams);
}

void idc_mlp_set_params(idc_mlp *m, const double *in)
{
    m->be->set_d(m->be, m->params, in, m->nparams);
}

void idc_mlp_get_grads(const idc_mlp *m, double *out)
{
    m->be->get_d(m->be, out, m->grads, m->nparams);
}

void idc_mlp_get_state(const idc_mlp *m, double *out)
{
    m->be->get_d(m->be, out, m->state, m->nstate);
}

void idc_mlp_set_state(idc_mlp *m, const double *in)
{
    m->be->set_d(m->be, m->state, in, m->nstate);
}

int idc_mlp_init(idc_mlp *m, idc_rng s, uint32_t tag, idc_err *err)
{
    if (tag >= (1u << 16))
        return idc_err_set(err, IDC_EINVAL, "mlp.init.tag: must be < 65536, got %u", tag);
    size_t maxp = 0;
    for (size_t l = 0; l < m->nlayers; l++)
        if (m->pcnt[l] > maxp)
            maxp = m->pcnt[l];
    double *tmp = idc_calloc(maxp, sizeof(double));
    if (tmp == NULL)
        return idc_err_set(err, IDC_ENOMEM, "mlp.init: out of memory");
    const idc_backend *be = m->be;
    for (size_t l = 0; l < m->nlayers; l++) {
        size_t c = m->out_w[l];
        if (m->spec[l].kind == IDC_MLP_DENSE) {
            double bound = 1.0 / sqrt((double)m->in_w[l]);
            uint64_t k0 = ((uint64_t)tag << 48) + ((uint64_t)l << 32);
            for (size_t j = 0; j < m->pcnt[l]; j++)
                tmp[j] = bound * (2.0 * idc_rng_uniform(s, k0 + j) - 1.0);
            be->set_d(be, at(m, m->params, m->poff[l]), tmp, m->pcnt[l]);
        } else if (m->spec[l].kind == IDC_MLP_BATCHNORM) {
            for (size_t j = 0; j < 2 * c; j++)
                tmp[j] = j < c ? 1.0 : 0.0; /* gamma, beta */
            be->set_d(be, at(m, m->params, m->poff[l]), tmp, 2 * c);
            for (size_t j = 0; j < 2 * c; j++)
                tmp[j] = j < c ? 0.0 : 1.0; /* running mean, running var */
            be->set_d(be, at(m, m->state, m->soff[l]), tmp, 2 * c);
        }
    }
    free(tmp);
    return IDC_OK;
}

int idc_mlp_forward(idc_mlp *m, const void *x, size_t rows, int train, idc_err *err)
{
    if (rows < 1 || rows > m->max_rows)
        return idc_err_set(err, IDC_EINVAL, "mlp.forward.rows: must be in 1..%zu, got %zu",
                           m->max_rows, rows);
    if (train && rows < 2)
        for (size_t l = 0; l < m->nlayers; l++)
            if (m->spec[l].kind == IDC_MLP_BATCHNORM)
                return idc_err_set(err, IDC_EINVAL,
                                   "mlp.forward.rows: batch norm in train mode needs >= 2 rows");
    const idc_backend *be = m->be;
    m->ready = 0;
    const void *cur = x;
    for (size_t l = 0; l < m->nlayers; l++) {
        const idc_mlp_layer *s = &m->spec[l];
        size_t in = m->in_w[l], out = m->out_w[l];
        void *y = m->out[l];
        const void *p = at(m, m->params, m->poff[l]);
        switch (s->kind) {
        case IDC_MLP_DENSE:
            /* Y = b (each row), then Y += X W^T inside the GEMM (beta = 1):
             * one write pass instead of the GEMM's zeroing plus a read-write
             * bias pass */
            be->gather_rows(be, y, at(m, p, in * out), out, m->zero_idx, rows);
            be->gemm(be, 0, 1, rows, out, in, 1.0, cur, in, p, in, 1.0, y, out);
            break;
        case IDC_MLP_LEAKY:
            be->leaky_fwd(be, y, cur, rows * out, s->slope);
            break;
        case IDC_MLP_BATCHNORM: {
            void *st = at(m, m->state, m->soff[l]);
            if (train)
                be->bn_fwd_train(be, y, m->xhat[l], m->invstd[l], st, at(m, st, out), cur, p,
                                 at(m, p, out), rows, out, s->eps, s->momentum);
            else
                be->bn_fwd_eval(be, y, cur, p, at(m, p, out), st, at(m, st, out), rows, out,
                                s->eps);
            break;
        }
        }
        cur = y;
    }
    m->x_in = x;
    m->last_rows = rows;
    m->ready = train != 0;
    return IDC_OK;
}

const void *idc_mlp_output(const idc_mlp *m)
{
    return m->out[m->nlayers - 1];
}

const void *idc_mlp_layer_output(const idc_mlp *m, size_t l)
{
    return l < m->nlayers ? m->out[l] : NULL;
}

/* Whether the backward pass computes dense layer l's bias gradient inside
 * the leaky layer after it (leaky_bwd_sum) rather than by sum_rows. That
 * leaky layer is never the first, so its input gradient always exists. */
static int fused_bias(const idc_mlp *m, size_t l)
{
    return m->be->leaky_bwd_sum != NULL && m->spec[l].kind == IDC_MLP_DENSE && l + 1 < m->nlayers &&
           m->spec[l + 1].kind == IDC_MLP_LEAKY;
}

int idc_mlp_backward(idc_mlp *m, void *dx, const void *dy, size_t rows, idc_err *err)
{
    if (!m->ready || rows != m->last_rows)
        return idc_err_set(err, IDC_EINVAL,
                           "mlp.backward: needs a train-mode forward pass of the same %zu rows",
                           rows);
    const idc_backend *be = m->be;
    const void *g = dy;
    unsigned which = 0;
    for (size_t l = m->nlayers; l-- > 0;) {
        const idc_mlp_layer *s = &m->spec[l];
        size_t in = m->in_w[l], out = m->out_w[l];
        void *t;
        if (l == 0) {
            t = dx;
        } else if (s->kind == IDC_MLP_LEAKY && l + 1 < m->nlayers) {
            /* in place on our own gradient buffer: the values are just
             * written (hot in cache) and no cold buffer is pulled in */
            t = (void *)g;
        } else {
            t = m->gbuf[which];
            which ^= 1u;
        }
        const void *X = (l == 0) ? m->x_in : m->out[l - 1];
        const void *p = at(m, m->params, m->poff[l]);
        void *dp = at(m, m->grads, m->poff[l]);
        switch (s->kind) {
        case IDC_MLP_DENSE:
            be->gemm(be, 1, 0, out, in, rows, 1.0, g, out, X, in, 0.0, dp, in);
            if (!fused_bias(m, l))
                be->sum_rows(be, at(m, dp, in * out), g, rows, out);
            if (t != NULL)
                be->gemm(be, 0, 0, rows, in, out, 1.0, g, out, p, in, 0.0, t, in);
            break;
        case IDC_MLP_LEAKY:
            if (l > 0 && fused_bias(m, l - 1)) {
                /* the bias gradient of the dense layer below, in the same pass */
                void *db = at(m, m->grads, m->poff[l - 1] + m->in_w[l - 1] * m->out_w[l - 1]);
                be->leaky_bwd_sum(be, t, db, g, m->out[l], rows, out, s->slope);
            } else if (t != NULL) {
                be->leaky_bwd(be, t, g, m->out[l], rows * out, s->slope);
            }
            break;
        case IDC_MLP_BATCHNORM:
            be->bn_bwd(be, t, dp, at(m, dp, out), g, m->xhat[l], m->invstd[l], p, rows, out);
            break;
        }
        g = t;
    }
    return IDC_OK;
}
