/* Stage 1 of the pdGMM estimator: a Gaussian-coded autoencoder trained with
 * Adam on the engine of models/engine/engine.h (contract in models/estimators/stage1.h). */
#include "models/estimators/stage1.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/engine/engine.h"
#include "gpu/cuda.h"
#include "models/estimators/stage1_impl.h"
#include "numeric/blas.h"
#include "numeric/rng.h"

enum { TAG_ENCODER = 1, TAG_DECODER = 2 };

struct idc_stage1 {
    idc_stage1_config cfg;
    size_t xdim;
    const idc_backend *be;
    idc_mlp *enc, *dec;
    idc_adam *aenc, *adec;
    uint64_t steps_done;
    void *xb;     /* batch x xdim: the rows of a step / chunk */
    void *dxhat;  /* batch x xdim: dL/dxhat */
    void *dcode;  /* batch x latent_dim: dL/dzhat */
    void *sums;   /* backend memory: the two loss terms of the last step */
    idc_backend *own_be; /* the threaded CPU table when blas_threads > 1 */
};

/* ---------------------------------------------------------------------- */
/* Configuration                                                           */

void idc_stage1_config_default(idc_stage1_config *c, size_t latent_dim)
{
    memset(c, 0, sizeof *c);
    c->latent_dim = latent_dim;
    c->nhidden = 4;
    c->hidden[0] = 50 * latent_dim;
    c->hidden[1] = 100 * latent_dim;
    c->hidden[2] = 100 * latent_dim;
    c->hidden[3] = 50 * latent_dim;
    c->leaky_slope = 0.02;
    c->lr = 1e-4;
    c->adam_beta1 = 0.9;
    c->adam_beta2 = 0.999;
    c->adam_eps = 1e-8;
    c->batch = 6144;
    c->steps = 5000;
    c->code_weight = 1.0;
    c->bn_eps = 1e-5;
    c->bn_momentum = 0.1;
    c->log_every = 250;
    c->blas_threads = 1;
    c->seed = 0;
    c->trial = 0;
}

int idc_stage1_config_set_hidden_mult(idc_stage1_config *c, size_t nhidden, const size_t *mult,
                                      idc_err *err)
{
    if (nhidden > IDC_STAGE1_MAX_HIDDEN)
        return idc_err_set(err, IDC_EINVAL, "stage1.nhidden: must be <= %d, got %zu",
                           IDC_STAGE1_MAX_HIDDEN, nhidden);
    size_t w[IDC_STAGE1_MAX_HIDDEN];
    for (size_t i = 0; i < nhidden; i++)
        if (mult[i] == 0 || __builtin_mul_overflow(mult[i], c->latent_dim, &w[i]))
            return idc_err_set(err, IDC_EINVAL,
                               "stage1.hidden[%zu]: multiplier %zu x latent_dim %zu is invalid", i,
                               mult[i], c->latent_dim);
    c->nhidden = nhidden;
    for (size_t i = 0; i < IDC_STAGE1_MAX_HIDDEN; i++)
        c->hidden[i] = i < nhidden ? w[i] : 0;
    return IDC_OK;
}

static int in_unit(double v)
{
    return v >= 0.0 && v < 1.0;
}

int idc_stage1_config_check(const idc_stage1_config *c, size_t xdim, idc_err *err)
{
    const size_t W = IDC_MLP_MAX_WIDTH;
    if (c->latent_dim < 1 || c->latent_dim > W)
        return idc_err_set(err, IDC_EINVAL, "stage1.latent_dim: must be in 1..%zu, got %zu", W,
                           c->latent_dim);
    if (xdim < 1 || xdim > W)
        return idc_err_set(err, IDC_EINVAL, "stage1.xdim: must be in 1..%zu, got %zu", W, xdim);
    if (c->nhidden > IDC_STAGE1_MAX_HIDDEN)
        return idc_err_set(err, IDC_EINVAL, "stage1.nhidden: must be <= %d, got %zu",
                           IDC_STAGE1_MAX_HIDDEN, c->nhidden);
    size_t widest = xdim > c->latent_dim ? xdim : c->latent_dim;
    for (size_t i = 0; i < c->nhidden; i++) {
        if (c->hidden[i] < 1 || c->hidden[i] > W)
            return idc_err_set(err, IDC_EINVAL, "stage1.hidden[%zu]: must be in 1..%zu, got %zu",
                               i, W, c->hidden[i]);
        if (c->hidden[i] > widest)
            widest = c->hidden[i];
    }
    if (!isfinite(c->leaky_slope) || c->leaky_slope < 0.0)
        return idc_err_set(err, IDC_EINVAL, "stage1.leaky_slope: must be finite and >= 0");
    if (!isfinite(c->lr) || c->lr <= 0.0)
        return idc_err_set(err, IDC_EINVAL, "stage1.lr: must be finite and > 0");
    if (!in_unit(c->adam_beta1))
        return idc_err_set(err, IDC_EINVAL, "stage1.adam_beta1: must be in [0, 1)");
    if (!in_unit(c->adam_beta2))
        return idc_err_set(err, IDC_EINVAL, "stage1.adam_beta2: must be in [0, 1)");
    if (!isfinite(c->adam_eps) || c->adam_eps <= 0.0)
        return idc_err_set(err, IDC_EINVAL, "stage1.adam_eps: must be finite and > 0");
    if (c->batch < 2)
        return idc_err_set(err, IDC_EINVAL,
                           "stage1.batch: must be >= 2 (batch norm needs two rows), got %zu",
                           c->batch);
    if (c->batch > IDC_MLP_MAX_ROWS)
        return idc_err_set(err, IDC_EINVAL, "stage1.batch: must be <= %zu, got %zu",
                           IDC_MLP_MAX_ROWS, c->batch);
    size_t elems;
    if (__builtin_mul_overflow(c->batch, widest, &elems) || elems > IDC_MLP_MAX_ELEMS)
        return idc_err_set(err, IDC_EINVAL,
                           "stage1.batch: %zu rows x widest layer %zu exceed %zu elements",
                           c->batch, widest, IDC_MLP_MAX_ELEMS);
    for (size_t i = 0; i <= c->nhidden; i++) {
        size_t a = i == 0 ? xdim : c->hidden[i - 1];
        size_t b = i == c->nhidden ? c->latent_dim : c->hidden[i];
        if (__builtin_mul_overflow(a, b, &elems) || elems >= IDC_MLP_MAX_ELEMS)
            return idc_err_set(err, IDC_EINVAL,
                               "stage1.hidden: a %zu x %zu layer exceeds %zu weights", a, b,
                               IDC_MLP_MAX_ELEMS);
    }
    if (!isfinite(c->code_weight) || c->code_weight < 0.0)
        return idc_err_set(err, IDC_EINVAL, "stage1.code_weight: must be finite and >= 0");
    if (!isfinite(c->bn_eps) || c->bn_eps <= 0.0)
        return idc_err_set(err, IDC_EINVAL, "stage1.bn_eps: must be finite and > 0");
    if (!(c->bn_momentum >= 0.0 && c->bn_momentum <= 1.0))
        return idc_err_set(err, IDC_EINVAL, "stage1.bn_momentum: must be in [0, 1]");
    if (c->blas_threads > 64)
        return idc_err_set(err, IDC_EINVAL, "stage1.blas_threads: must be in 0..64 (0 = 1), got %u", c->blas_threads);
    return IDC_OK;
}

size_t idc_stage1_trace_len(const idc_stage1_config *c)
{
    if (c->log_every == 0 || c->steps == 0)
        return 0;
    return (c->steps - 1) / c->log_every + 1;
}

/* ---------------------------------------------------------------------- */
/* Construction                                                            */

void idc_stage1_free(idc_stage1 *s)
{
    if (s == NULL)
        return;
    idc_mlp_free(s->enc);
    idc_mlp_free(s->dec);
    idc_adam_free(s->aenc);
    idc_adam_free(s->adec);
    if (s->be != NULL) {
        s->be->release(s->be, s->xb);
        s->be->release(s->be, s->dxhat);
        s->be->release(s->be, s->dcode);
    }
    if (s->sums != NULL)
        s->be->release(s->be, s->sums);
    idc_backend_cpu_free(s->own_be);
    free(s);
}

/* The layer list of one network: dense(h) leaky for every hidden width in
 * the given order, then dense(out) and, for the encoder, batch norm. */
static size_t build_layers(idc_mlp_layer *spec, const idc_stage1_config *c, int encoder,
                           size_t out)
{
    size_t k = 0;
    for (size_t i = 0; i < c->nhidden; i++) {
        size_t h = encoder ? c->hidden[i] : c->hidden[c->nhidden - 1 - i];
        spec[k++] = idc_mlp_dense(h);
        spec[k++] = idc_mlp_leaky(c->leaky_slope);
    }
    spec[k++] = idc_mlp_dense(out);
    if (encoder)
        spec[k++] = idc_mlp_batchnorm(c->bn_eps, c->bn_momentum);
    return k;
}

/* Builds a model; the status tells IDC_EINVAL from IDC_ENOMEM. */
static int stage1_create(idc_stage1 **out, const idc_stage1_config *c, size_t xdim,
                         const idc_backend *be, idc_err *err)
{
    *out = NULL;
    if (c == NULL)
        return idc_err_set(err, IDC_EINVAL, "stage1.config: must not be NULL");
    if (be == NULL)
        return idc_err_set(err, IDC_EINVAL, "stage1.backend: must not be NULL");
    int rc = idc_stage1_config_check(c, xdim, err);
    if (rc != IDC_OK)
        return rc;
    idc_stage1 *s = calloc(1, sizeof *s);
    if (s == NULL)
        return idc_err_set(err, IDC_ENOMEM, "stage1: out of memory");
    s->cfg = *c;
    s->xdim = xdim;
    s->be = be;
    /* one threading model: a thread team over one-thread OpenBLAS */
    rc = idc_backend_cpu_team(&s->be, &s->own_be, c->blas_threads, err);
    if (rc != IDC_OK) {
        free(s);
        return idc_err_prefix(err, rc, "stage1: ");
    }
    /* The config check covers every limit of idc_mlp_new, so a failure of
     * the constructors below is a failed allocation. */
    rc = IDC_ENOMEM;
    idc_mlp_layer spec[2 * IDC_STAGE1_MAX_HIDDEN + 2];
    size_t ne = build_layers(spec, c, 1, c->latent_dim);
    s->enc = idc_mlp_new(s->be, xdim, spec, ne, c->batch, err);
    if (s->enc == NULL) {
        idc_err_prefix(err, rc, "stage1.encoder: ");
        goto fail;
    }
    size_t nd = build_layers(spec, c, 0, xdim);
    s->dec = idc_mlp_new(s->be, c->latent_dim, spec, nd, c->batch, err);
    if (s->dec == NULL) {
        idc_err_prefix(err, rc, "stage1.decoder: ");
        goto fail;
    }
    s->aenc = idc_adam_new(s->be, idc_mlp_nparams(s->enc), err);
    s->adec = s->aenc == NULL ? NULL : idc_adam_new(s->be, idc_mlp_nparams(s->dec), err);
    if (s->adec == NULL)
        goto fail;
    s->xb = s->be->alloc(s->be, c->batch * xdim);
    s->dxhat = s->be->alloc(s->be, c->batch * xdim);
    s->dcode = s->be->alloc(s->be, c->batch * c->latent_dim);
    s->sums = s->be->alloc_sums(s->be, 2);
    if (s->xb == NULL || s->dxhat == NULL || s->dcode == NULL || s->sums == NULL) {
        idc_err_set(err, rc, "stage1: out of memory for the workspaces");
        goto fail;
    }
    idc_rng init = idc_rng_stream(c->seed, c->trial, IDC_PURPOSE_INIT);
    rc = idc_mlp_init(s->enc, init, TAG_ENCODER, err);
    if (rc == IDC_OK)
        rc = idc_mlp_init(s->dec, init, TAG_DECODER, err);
    if (rc != IDC_OK)
        goto fail;
    *out = s;
    return IDC_OK;

fail:
    idc_stage1_free(s);
    return rc;
}

idc_stage1 *idc_stage1_new_dtype(const idc_stage1_config *c, size_t xdim, idc_dtype dt,
                                 idc_err *err)
{
    idc_stage1 *s = NULL;
    stage1_create(&s, c, xdim, idc_backend_cpu(dt), err);
    return s;
}

idc_stage1 *idc_stage1_new_backend(const idc_stage1_config *c, size_t xdim, const idc_backend *be,
                                   idc_err *err)
{
    idc_stage1 *s = NULL;
    stage1_create(&s, c, xdim, be, err);
    return s;
}

const idc_backend *idc_stage1_backend(const idc_stage1 *s)
{
    return s->be;
}

idc_stage1 *idc_stage1_new(const idc_stage1_config *c, size_t xdim, idc_err *err)
{
    return idc_stage1_new_dtype(c, xdim, IDC_DTYPE_F32, err);
}

const idc_stage1_config *idc_stage1_get_config(const idc_stage1 *s)
{
    return &s->cfg;
}

size_t idc_stage1_xdim(const idc_stage1 *s)
{
    return s->xdim;
}

uint64_t idc_stage1_steps_done(const idc_stage1 *s)
{
    return s->steps_done;
}

idc_mlp *idc_stage1_encoder(idc_stage1 *s)
{
    return s->enc;
}

idc_mlp *idc_stage1_decoder(idc_stage1 *s)
{
    return s->dec;
}

size_t idc_stage1_nparams(const idc_stage1 *s)
{
    return idc_mlp_nparams(s->enc) + idc_mlp_nparams(s->dec);
}

void idc_stage1_get_params(const idc_stage1 *s, double *p)
{
    idc_mlp_get_params(s->enc, p);
    idc_mlp_get_params(s->dec, p + idc_mlp_nparams(s->enc));
}

void idc_stage1_set_params(idc_stage1 *s, const double *p)
{
    idc_mlp_set_params(s->enc, p);
    idc_mlp_set_params(s->dec, p + idc_mlp_nparams(s->enc));
}

/* ---------------------------------------------------------------------- */
/* Training                                                                */

/* Every entry of x (n x d) finite and, for a float backend, in float range. */
static int check_data(const idc_stage1 *s, const double *x, size_t n, idc_err *err)
{
    if (x == NULL)
        return idc_err_set(err, IDC_EINVAL, "stage1.x: must not be NULL");
    if (n == 0)
        return idc_err_set(err, IDC_EINVAL, "stage1.x: needs at least one row (n = 0)");
    double vmax = s->be->dtype == IDC_DTYPE_F32 ? (double)FLT_MAX : DBL_MAX;
    size_t d = s->xdim;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            if (!(fabs(x[i * d + j]) <= vmax))
                return idc_err_set(err, IDC_EINVAL,
                                   "stage1.x[%zu][%zu]: not finite or beyond the range of the "
                                   "model's floats",
                                   i, j);
    return IDC_OK;
}

/* Forward and backward on the `rows` rows in s->xb: the two loss terms in
 * s->sums (backend memory, read by read_loss), the gradients in the
 * networks. No wait for the device. */
static int loss_grad_rows(idc_stage1 *s, size_t rows, idc_err *err)
{
    const idc_backend *be = s->be;
    size_t n = s->cfg.latent_dim, d = s->xdim;
    int rc = idc_mlp_forward(s->enc, s->xb, rows, 1, err);
    if (rc != IDC_OK)
        return rc;
    const void *code = idc_mlp_output(s->enc);
    rc = idc_mlp_forward(s->dec, code, rows, 1, err);
    if (rc != IDC_OK)
        return rc;
    idc_mlp_loss_mse_to(be, s->dxhat, idc_mlp_output(s->dec), s->xb, rows, d, 1.0, 0, s->sums, 0);
    rc = idc_mlp_backward(s->dec, s->dcode, s->dxhat, rows, err);
    if (rc != IDC_OK)
        return rc;
    idc_mlp_loss_code_to(be, s->dcode, code, rows, n, s->cfg.code_weight, 1, s->sums, 1);
    return idc_mlp_backward(s->enc, NULL, s->dcode, rows, err);
}

/* The loss of the last loss_grad_rows (waits for the device). */
static double read_loss(const idc_stage1 *s)
{
    double t[2];
    s->be->read_sums(s->be, t, s->sums, 2);
    return t[0] + t[1];
}

int idc_stage1_loss_grad(idc_stage1 *s, const double *xb, size_t rows, double *loss, double *grad,
                         idc_err *err)
{
    if (rows < 2 || rows > s->cfg.batch)
        return idc_err_set(err, IDC_EINVAL, "stage1.rows: must be in 2..%zu, got %zu",
                           s->cfg.batch, rows);
    int rc = check_data(s, xb, rows, err);
    if (rc != IDC_OK)
        return rc;
    idc_blas_set_threads(1);
    s->be->set_d(s->be, s->xb, xb, rows * s->xdim);
    rc = loss_grad_rows(s, rows, err);
    if (rc != IDC_OK)
        return rc;
    if (loss != NULL)
        *loss = read_loss(s);
    if (grad != NULL) {
        idc_mlp_get_grads(s->enc, grad);
        idc_mlp_get_grads(s->dec, grad + idc_mlp_nparams(s->enc));
    }
    return IDC_OK;
}

int idc_stage1_fit(idc_stage1 *s, const double *x, size_t n, double *loss_trace,
                   double *final_loss, idc_err *err)
{
    int rc = check_data(s, x, n, err);
    if (rc != IDC_OK)
        return rc;
    if (final_loss != NULL)
        *final_loss = NAN;
    const idc_stage1_config *c = &s->cfg;
    const idc_backend *be = s->be;
    size_t d = s->xdim, B = c->batch;
    void *data = be->alloc(be, n * d);
    if (data == NULL)
        return idc_err_set(err, IDC_ENOMEM, "stage1.fit: out of memory for %zu x %zu data", n,
                           d);
    be->set_d(be, data, x, n * d);
    idc_blas_set_threads(1);

    idc_adam_config ac = {c->lr, c->adam_beta1, c->adam_beta2, c->adam_eps};
    idc_rng bs = idc_rng_stream(c->seed, c->trial, IDC_PURPOSE_BATCH);
    /* On the CPU the loss is read at every step (free). On a device it stays
     * there and is read at trace steps, at the last step and every
     * IDC_STAGE1_CHECK_EVERY steps, so that a step makes no round trip to
     * the host (the minibatch is drawn on the device too). */
    int every = !idc_gpu_is_cuda(be);
    for (size_t step = 0; step < c->steps; step++) {
        be->gather_random_rows(be, s->xb, data, d, bs, s->steps_done * (uint64_t)B, B, n);
        rc = loss_grad_rows(s, B, err);
        if (rc != IDC_OK)
            break;
        int trace = loss_trace != NULL && c->log_every > 0 && step % c->log_every == 0;
        if (every || trace || step + 1 == c->steps || (step + 1) % IDC_STAGE1_CHECK_EVERY == 0) {
            double loss = read_loss(s);
            if (!isfinite(loss) && idc_gpu_is_cuda(be) && idc_gpu_status(be, err) != IDC_OK) {
                rc = idc_err_prefix(err, IDC_EIO,
                                    "stage1.fit: the device failed by step %" PRIu64 ": ",
                                    s->steps_done);
                break;
            }
            if (!isfinite(loss)) {
                rc = idc_err_set(err, IDC_EDOM,
                                 "stage1.fit: the loss is not finite at step %" PRIu64
                                 "%s (training diverged; try a smaller lr)",
                                 s->steps_done, every ? "" : " (or before: read periodically on a device)");
                break;
            }
            if (trace)
                loss_trace[step / c->log_every] = loss;
            if (final_loss != NULL)
                *final_loss = loss;
        }
        idc_adam_step(s->aenc, &ac, idc_mlp_params(s->enc), idc_mlp_grads(s->enc));
        idc_adam_step(s->adec, &ac, idc_mlp_params(s->dec), idc_mlp_grads(s->dec));
        s->steps_done++;
    }
    be->release(be, data);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Evaluation                                                              */

/* Runs the encoder (and the decoder when `decode`) in eval mode on rows
 * [i0, i0 + rows) of x, leaving the results in the networks' outputs. */
static int eval_chunk(idc_stage1 *s, const double *x, size_t i0, size_t rows, int decode,
                      idc_err *err)
{
    s->be->set_d(s->be, s->xb, x + i0 * s->xdim, rows * s->xdim);
    int rc = idc_mlp_forward(s->enc, s->xb, rows, 0, err);
    if (rc == IDC_OK && decode)
        rc = idc_mlp_forward(s->dec, idc_mlp_output(s->enc), rows, 0, err);
    return rc;
}

int idc_stage1_encode(idc_stage1 *s, double *zhat, const double *x, size_t n, idc_err *err)
{
    int rc = check_data(s, x, n, err);
    if (rc != IDC_OK)
        return rc;
    idc_blas_set_threads(1);
    size_t k = s->cfg.latent_dim;
    for (size_t i0 = 0; i0 < n; i0 += s->cfg.batch) {
        size_t rows = n - i0 < s->cfg.batch ? n - i0 : s->cfg.batch;
        rc = eval_chunk(s, x, i0, rows, 0, err);
        if (rc != IDC_OK)
            return rc;
        s->be->get_d(s->be, zhat + i0 * k, idc_mlp_output(s->enc), rows * k);
    }
    return IDC_OK;
}

int idc_stage1_recalibrate_bn(idc_stage1 *s, const double *x, size_t n, idc_err *err)
{
    int rc = check_data(s, x, n, err);
    if (rc != IDC_OK)
        return rc;
    if (n < 2)
        return idc_err_set(err, IDC_EINVAL, "stage1.recalibrate: needs at least 2 rows");
    idc_blas_set_threads(1);
    size_t k = s->cfg.latent_dim, L = idc_mlp_nlayers(s->enc);
    double *sum = calloc(2 * k, sizeof(double)), *row = malloc(s->cfg.batch * k * sizeof(double));
    size_t nst = idc_mlp_nstate(s->enc);
    double *st = malloc((nst ? nst : 1) * sizeof(double));
    if (sum == NULL || row == NULL || st == NULL) {
        free(sum);
        free(row);
        free(st);
        return idc_err_set(err, IDC_ENOMEM, "stage1.recalibrate: out of memory");
    }
    double *mean = sum, *m2 = sum + k;
    /* two passes in double: the mean, then the sum of squared deviations */
    for (int pass = 0; pass < 2 && rc == IDC_OK; pass++)
        for (size_t i0 = 0; i0 < n && rc == IDC_OK; i0 += s->cfg.batch) {
            size_t rows = n - i0 < s->cfg.batch ? n - i0 : s->cfg.batch;
            rc = eval_chunk(s, x, i0, rows, 0, err);
            if (rc != IDC_OK)
                break;
            s->be->get_d(s->be, row, idc_mlp_layer_output(s->enc, L - 2), rows * k);
            for (size_t i = 0; i < rows; i++)
                for (size_t j = 0; j < k; j++) {
                    double v = row[i * k + j];
                    if (pass == 0)
                        mean[j] += v / (double)n;
                    else
                        m2[j] += (v - mean[j]) * (v - mean[j]);
                }
        }
    if (rc == IDC_OK) {
        size_t off, cnt;
        idc_mlp_state_range(s->enc, L - 1, &off, &cnt);
        idc_mlp_get_state(s->enc, st);
        for (size_t j = 0; j < k; j++) {
            st[off + j] = mean[j];
            st[off + k + j] = m2[j] / (double)(n - 1);
        }
        idc_mlp_set_state(s->enc, st);
    }
    free(sum);
    free(row);
    free(st);
    return rc;
}

int idc_stage1_decode(idc_stage1 *s, double *xhat, const double *zhat, size_t n, idc_err *err)
{
    size_t k = s->cfg.latent_dim, d = s->xdim;
    if (zhat == NULL || n == 0)
        return idc_err_set(err, IDC_EINVAL, "stage1.zhat: needs at least one row");
    for (size_t i = 0; i < n * k; i++)
        if (!(fabs(zhat[i]) <= (double)FLT_MAX))
            return idc_err_set(err, IDC_EINVAL, "stage1.zhat[%zu][%zu]: not finite or beyond float range", i / k,
                               i % k);
    idc_blas_set_threads(1);
    for (size_t i0 = 0; i0 < n; i0 += s->cfg.batch) {
        size_t rows = n - i0 < s->cfg.batch ? n - i0 : s->cfg.batch;
        s->be->set_d(s->be, s->dcode, zhat + i0 * k, rows * k);
        int rc = idc_mlp_forward(s->dec, s->dcode, rows, 0, err);
        if (rc != IDC_OK)
            return rc;
        s->be->get_d(s->be, xhat + i0 * d, idc_mlp_output(s->dec), rows * d);
    }
    return IDC_OK;
}

int idc_stage1_reconstruct(idc_stage1 *s, double *xhat, const double *x, size_t n, idc_err *err)
{
    int rc = check_data(s, x, n, err);
    if (rc != IDC_OK)
        return rc;
    idc_blas_set_threads(1);
    size_t d = s->xdim;
    for (size_t i0 = 0; i0 < n; i0 += s->cfg.batch) {
        size_t rows = n - i0 < s->cfg.batch ? n - i0 : s->cfg.batch;
        rc = eval_chunk(s, x, i0, rows, 1, err);
        if (rc != IDC_OK)
            return rc;
        s->be->get_d(s->be, xhat + i0 * d, idc_mlp_output(s->dec), rows * d);
    }
    return IDC_OK;
}

int idc_stage1_loss(idc_stage1 *s, const double *x, size_t n, double *rec, double *code,
                    idc_err *err)
{
    int rc = check_data(s, x, n, err);
    if (rc != IDC_OK)
        return rc;
    idc_blas_set_threads(1);
    const idc_backend *be = s->be;
    size_t d = s->xdim, k = s->cfg.latent_dim;
    double r = 0.0, p = 0.0;
    for (size_t i0 = 0; i0 < n; i0 += s->cfg.batch) {
        size_t rows = n - i0 < s->cfg.batch ? n - i0 : s->cfg.batch;
        rc = eval_chunk(s, x, i0, rows, 1, err);
        if (rc != IDC_OK)
            return rc;
        /* Chunk sums with the normalisation of all n rows. */
        r += be->sqerr(be, NULL, idc_mlp_output(s->dec), s->xb, rows * d,
                       1.0 / ((double)n * (double)d), 0);
        p += be->sqerr(be, NULL, idc_mlp_output(s->enc), NULL, rows * k,
                       0.5 * s->cfg.code_weight / (double)n, 0);
    }
    if (rec != NULL)
        *rec = r;
    if (code != NULL)
        *code = p;
    return IDC_OK;
}

/* ---------------------------------------------------------------------- */
/* JSON                                                                    */

static int set_new(json_t *o, const char *key, json_t *v)
{
    return v != NULL && json_object_set_new(o, key, v) == 0;
}

static json_t *config_to_json(const idc_stage1_config *c)
{
    json_t *o = json_object(), *h = json_array();
    int ok = o != NULL && h != NULL;
    for (size_t i = 0; ok && i < c->nhidden; i++)
        ok = json_array_append_new(h, json_integer((json_int_t)c->hidden[i])) == 0;
    char seed[32];
    snprintf(seed, sizeof seed, "0x%016" PRIx64, c->seed);
    ok = ok && set_new(o, "latent_dim", json_integer((json_int_t)c->latent_dim)) &&
         json_object_set(o, "hidden", h) == 0 &&
         set_new(o, "leaky_slope", json_real(c->leaky_slope)) &&
         set_new(o, "lr", json_real(c->lr)) &&
         set_new(o, "adam_beta1", json_real(c->adam_beta1)) &&
         set_new(o, "adam_beta2", json_real(c->adam_beta2)) &&
         set_new(o, "adam_eps", json_real(c->adam_eps)) &&
         set_new(o, "batch", json_integer((json_int_t)c->batch)) &&
         set_new(o, "steps", json_integer((json_int_t)c->steps)) &&
         set_new(o, "code_weight", json_real(c->code_weight)) &&
         set_new(o, "bn_eps", json_real(c->bn_eps)) &&
         set_new(o, "bn_momentum", json_real(c->bn_momentum)) &&
         set_new(o, "log_every", json_integer((json_int_t)c->log_every)) &&
         set_new(o, "seed", json_string(seed)) &&
         set_new(o, "trial", json_integer((json_int_t)c->trial));
    json_decref(h);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *idc_stage1_to_json(const idc_stage1 *s)
{
    json_t *o = json_object();
    int ok = o != NULL && set_new(o, "model", json_string("idcheck.stage1")) &&
             set_new(o, "format", json_integer(1)) &&
             set_new(o, "dtype", json_string(s->be->dtype == IDC_DTYPE_F64 ? "f64" : "f32")) &&
             set_new(o, "xdim", json_integer((json_int_t)s->xdim)) &&
             set_new(o, "steps_done", json_integer((json_int_t)s->steps_done)) &&
             set_new(o, "config", config_to_json(&s->cfg)) &&
             set_new(o, "encoder", idc_mlp_get_json(s->enc)) &&
             set_new(o, "decoder", idc_mlp_get_json(s->dec));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* A non-negative integer at key of o (<= max) into *v. */
static int get_size(size_t *v, const json_t *o, const char *path, const char *key, size_t max,
                    idc_err *err)
{
    const json_t *j = json_object_get(o, key);
    if (!json_is_integer(j) || json_integer_value(j) < 0 ||
        (unsigned long long)json_integer_value(j) > (unsigned long long)max)
        return idc_err_set(err, IDC_EINVAL, "%s%s: expected an integer in 0..%zu", path, key,
                           max);
    *v = (size_t)json_integer_value(j);
    return IDC_OK;
}

static int get_real(double *v, const json_t *o, const char *key, idc_err *err)
{
    const json_t *j = json_object_get(o, key);
    if (!json_is_number(j))
        return idc_err_set(err, IDC_EINVAL, "stage1.config.%s: expected a number", key);
    *v = json_number_value(j);
    return IDC_OK;
}

static int config_from_json(idc_stage1_config *c, const json_t *o, idc_err *err)
{
    const char *P = "stage1.config.";
    if (!json_is_object(o))
        return idc_err_set(err, IDC_EINVAL, "stage1.config: expected an object");
    memset(c, 0, sizeof *c);
    c->blas_threads = 1; /* an execution setting, not part of the saved model */
    size_t trial = 0;
    int rc = get_size(&c->latent_dim, o, P, "latent_dim", SIZE_MAX, err);
    const json_t *h = json_object_get(o, "hidden");
    if (rc == IDC_OK && (!json_is_array(h) || json_array_size(h) > IDC_STAGE1_MAX_HIDDEN))
        rc = idc_err_set(err, IDC_EINVAL, "stage1.config.hidden: expected an array of <= %d",
                         IDC_STAGE1_MAX_HIDDEN);
    if (rc == IDC_OK) {
        c->nhidden = json_array_size(h);
        for (size_t i = 0; i < c->nhidden; i++) {
            const json_t *v = json_array_get(h, i);
            if (!json_is_integer(v) || json_integer_value(v) < 1)
                return idc_err_set(err, IDC_EINVAL,
                                   "stage1.config.hidden[%zu]: expected a positive integer", i);
            c->hidden[i] = (size_t)json_integer_value(v);
        }
    }
    if (rc == IDC_OK)
        rc = get_real(&c->leaky_slope, o, "leaky_slope", err);
    if (rc == IDC_OK)
        rc = get_real(&c->lr, o, "lr", err);
    if (rc == IDC_OK)
        rc = get_real(&c->adam_beta1, o, "adam_beta1", err);
    if (rc == IDC_OK)
        rc = get_real(&c->adam_beta2, o, "adam_beta2", err);
    if (rc == IDC_OK)
        rc = get_real(&c->adam_eps, o, "adam_eps", err);
    if (rc == IDC_OK)
        rc = get_size(&c->batch, o, P, "batch", SIZE_MAX, err);
    if (rc == IDC_OK)
        rc = get_size(&c->steps, o, P, "steps", SIZE_MAX, err);
    if (rc == IDC_OK)
        rc = get_real(&c->code_weight, o, "code_weight", err);
    if (rc == IDC_OK)
        rc = get_real(&c->bn_eps, o, "bn_eps", err);
    if (rc == IDC_OK)
        rc = get_real(&c->bn_momentum, o, "bn_momentum", err);
    if (rc == IDC_OK)
        rc = get_size(&c->log_every, o, P, "log_every", SIZE_MAX, err);
    if (rc == IDC_OK)
        rc = get_size(&trial, o, P, "trial", UINT32_MAX, err);
    if (rc != IDC_OK)
        return rc;
    c->trial = (uint32_t)trial;
    const char *seed = json_string_value(json_object_get(o, "seed"));
    char *end = NULL;
    if (seed == NULL || strncmp(seed, "0x", 2) != 0 || seed[2] == '\0')
        return idc_err_set(err, IDC_EINVAL, "stage1.config.seed: expected a \"0x...\" string");
    c->seed = strtoull(seed + 2, &end, 16);
    if (*end != '\0' || strlen(seed + 2) > 16)
        return idc_err_set(err, IDC_EINVAL, "stage1.config.seed: expected a \"0x...\" string");
    return IDC_OK;
}

int idc_stage1_from_json(idc_stage1 **out, const json_t *j, idc_err *err)
{
    *out = NULL;
    if (!json_is_object(j))
        return idc_err_set(err, IDC_EINVAL, "stage1: expected a JSON object");
    const char *model = json_string_value(json_object_get(j, "model"));
    if (model == NULL || strcmp(model, "idcheck.stage1") != 0)
        return idc_err_set(err, IDC_EINVAL, "stage1.model: expected \"idcheck.stage1\"");
    const json_t *fmt = json_object_get(j, "format");
    if (!json_is_integer(fmt) || json_integer_value(fmt) != 1)
        return idc_err_set(err, IDC_EINVAL, "stage1.format: expected 1");
    const char *dts = json_string_value(json_object_get(j, "dtype"));
    idc_dtype dt;
    if (dts != NULL && strcmp(dts, "f32") == 0)
        dt = IDC_DTYPE_F32;
    else if (dts != NULL && strcmp(dts, "f64") == 0)
        dt = IDC_DTYPE_F64;
    else
        return idc_err_set(err, IDC_EINVAL, "stage1.dtype: expected \"f32\" or \"f64\"");
    size_t xdim = 0, steps_done = 0;
    idc_stage1_config c;
    int rc = get_size(&xdim, j, "stage1.", "xdim", SIZE_MAX, err);
    if (rc == IDC_OK)
        rc = get_size(&steps_done, j, "stage1.", "steps_done", SIZE_MAX, err);
    if (rc == IDC_OK)
        rc = config_from_json(&c, json_object_get(j, "config"), err);
    if (rc != IDC_OK)
        return rc;
    idc_stage1 *s = NULL;
    rc = stage1_create(&s, &c, xdim, idc_backend_cpu(dt), err);
    if (rc != IDC_OK)
        return rc;
    rc = idc_mlp_set_json(s->enc, json_object_get(j, "encoder"), err);
    if (rc != IDC_OK) {
        idc_stage1_free(s);
        return idc_err_prefix(err, rc, "stage1.encoder.");
    }
    rc = idc_mlp_set_json(s->dec, json_object_get(j, "decoder"), err);
    if (rc != IDC_OK) {
        idc_stage1_free(s);
        return idc_err_prefix(err, rc, "stage1.decoder.");
    }
    s->steps_done = steps_done;
    *out = s;
    return IDC_OK;
}
