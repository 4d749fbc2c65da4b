/* Stage 2 of the pdGMM estimator (see stage2.h). */
#include "models/estimators/stage2.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/engine/engine.h"
#include "numeric/blas.h"

#define TAG_ENCODER 3
#define TAG_DECODER 4
#define BATCH_OFFSET ((uint64_t)1 << 40)

struct idc_stage2 {
    idc_stage2_config cfg;
    const idc_backend *be;
    idc_mlp *enc, *dec;
    idc_extra_adam *aenc, *adec, *adual;
    const idc_backend *hb; /* host double backend for the multiplier */
    double *lambda;        /* 1 element (host) */
    double *glambda;       /* its gradient (host) */
    void *cb, *dout, *dz;  /* batch x n workspaces */
    void *sums;            /* backend memory: the reconstruction and L1 sums of the last pass */
    void *zero;            /* backend memory: 2 n zeros */
    idc_backend *own_be;   /* the threaded CPU table when threads > 1 */
    uint64_t steps_done;
};

void idc_stage2_config_default(idc_stage2_config *c, size_t latent_dim)
{
    static const size_t mult[6] = {10, 50, 50, 50, 50, 10};
    memset(c, 0, sizeof *c);
    c->latent_dim = latent_dim;
    c->nhidden = 6;
    memcpy(c->mult, mult, sizeof mult);
    c->lr = 1e-4;
    c->lr_dual = 5e-5;
    c->l1_eps = 0.01;
    c->lambda0 = 0;
    c->constrained = 1;
    c->batch = 6144;
    c->steps = 80000;
    c->bn_eps = 1e-5;
    c->bn_momentum = 0.1;
    c->bn_affine = 1;
    c->log_every = 250;
    c->threads = 1;
}

int idc_stage2_config_check(const idc_stage2_config *c, idc_err *err)
{
    if (c->latent_dim == 0 || c->latent_dim > 4096)
        return idc_err_set(err, IDC_EINVAL, "stage2.latent_dim: must be in 1..4096, got %zu", c->latent_dim);
    if (c->nhidden > IDC_STAGE2_MAX_HIDDEN)
        return idc_err_set(err, IDC_EINVAL, "stage2.nhidden: at most %d", IDC_STAGE2_MAX_HIDDEN);
    for (size_t i = 0; i < c->nhidden; i++)
        if (c->mult[i] == 0 || c->mult[i] > 1024)
            return idc_err_set(err, IDC_EINVAL, "stage2.mult[%zu]: must be in 1..1024", i);
    if (!(c->lr > 0) || !isfinite(c->lr))
        return idc_err_set(err, IDC_EINVAL, "stage2.lr: must be > 0");
    if (!(c->lr_dual > 0) || !isfinite(c->lr_dual))
        return idc_err_set(err, IDC_EINVAL, "stage2.lr_dual: must be > 0");
    if (!(c->l1_eps >= 0) || !isfinite(c->l1_eps))
        return idc_err_set(err, IDC_EINVAL, "stage2.l1_eps: must be finite and >= 0");
    if (!(c->lambda0 >= 0) || !isfinite(c->lambda0))
        return idc_err_set(err, IDC_EINVAL, "stage2.lambda0: must be finite and >= 0");
    if (c->batch < 2 || c->batch > ((size_t)1 << 22))
        return idc_err_set(err, IDC_EINVAL, "stage2.batch: must be in 2..2^22 (batch norm needs two rows), got %zu",
                           c->batch);
    if (!(c->bn_eps > 0) || !(c->bn_momentum >= 0 && c->bn_momentum <= 1))
        return idc_err_set(err, IDC_EINVAL, "stage2.bn_eps / bn_momentum: eps > 0, momentum in [0, 1]");
    if (c->threads > 64)
        return idc_err_set(err, IDC_EINVAL, "stage2.threads: must be in 0..64 (0 = 1), got %u", c->threads);
    return IDC_OK;
}

void idc_stage2_free(idc_stage2 *s)
{
    if (s == NULL)
        return;
    idc_mlp_free(s->enc);
    idc_mlp_free(s->dec);
    idc_extra_adam_free(s->aenc);
    idc_extra_adam_free(s->adec);
    idc_extra_adam_free(s->adual);
    if (s->be != NULL) {
        s->be->release(s->be, s->cb);
        s->be->release(s->be, s->dout);
        s->be->release(s->be, s->dz);
        s->be->release(s->be, s->sums);
        s->be->release(s->be, s->zero);
    }
    idc_backend_cpu_free(s->own_be);
    if (s->hb != NULL) {
        s->hb->release(s->hb, s->lambda);
        s->hb->release(s->hb, s->glambda);
    }
    free(s);
}

static size_t build(idc_mlp_layer *spec, const idc_stage2_config *c, int encoder)
{
    size_t k = 0, n = c->latent_dim;
    for (size_t i = 0; i < c->nhidden; i++)
        spec[k++] = idc_mlp_dense(n * (encoder ? c->mult[i] : c->mult[c->nhidden - 1 - i]));
    spec[k++] = idc_mlp_dense(n);
    if (encoder)
        spec[k++] = idc_mlp_batchnorm(c->bn_eps, c->bn_momentum);
    return k;
}

idc_stage2 *idc_stage2_new(const idc_stage2_config *c, idc_err *err)
{
    return idc_stage2_new_backend(c, idc_backend_cpu(IDC_DTYPE_F32), err);
}

idc_stage2 *idc_stage2_new_backend(const idc_stage2_config *c, const idc_backend *be, idc_err *err)
{
    if (be == NULL) {
        idc_err_set(err, IDC_EINVAL, "stage2.backend: must not be NULL");
        return NULL;
    }
    if (c == NULL || idc_stage2_config_check(c, err) != IDC_OK) {
        if (c == NULL)
            idc_err_set(err, IDC_EINVAL, "stage2.config: must not be NULL");
        return NULL;
    }
    idc_stage2 *s = calloc(1, sizeof *s);
    if (s == NULL) {
        idc_err_set(err, IDC_ENOMEM, "stage2: out of memory");
        return NULL;
    }
    s->cfg = *c;
    s->be = be;
    int rc = idc_backend_cpu_team(&s->be, &s->own_be, c->threads, err);
    if (rc != IDC_OK) {
        idc_err_prefix(err, rc, "stage2: ");
        free(s);
        return NULL;
    }
    s->hb = idc_backend_cpu(IDC_DTYPE_F64);
    size_t n = c->latent_dim, B = c->batch;
    idc_mlp_layer spec[IDC_STAGE2_MAX_HIDDEN + 2];
    size_t k = build(spec, c, 1);
    s->enc = idc_mlp_new(s->be, n, spec, k, B, err);
    k = build(spec, c, 0);
    s->dec = s->enc != NULL ? idc_mlp_new(s->be, n, spec, k, B, err) : NULL;
    if (s->dec == NULL)
        goto fail;
    s->aenc = idc_extra_adam_new(s->be, idc_mlp_nparams(s->enc), err);
    s->adec = s->aenc != NULL ? idc_extra_adam_new(s->be, idc_mlp_nparams(s->dec), err) : NULL;
    s->adual = s->adec != NULL ? idc_extra_adam_new(s->hb, 1, err) : NULL;
    if (s->adual == NULL)
        goto fail;
    s->lambda = s->hb->alloc(s->hb, 1);
    s->glambda = s->hb->alloc(s->hb, 1);
    s->cb = s->be->alloc(s->be, B * n);
    s->dout = s->be->alloc(s->be, B * n);
    s->dz = s->be->alloc(s->be, B * n);
    s->sums = s->be->alloc_sums(s->be, 2);
    s->zero = s->be->alloc(s->be, 2 * n);
    if (s->lambda == NULL || s->glambda == NULL || s->cb == NULL || s->dout == NULL || s->dz == NULL ||
        s->sums == NULL || s->zero == NULL) {
        idc_err_set(err, IDC_ENOMEM, "stage2: out of memory for the workspaces");
        goto fail;
    }
    s->lambda[0] = c->lambda0;
    idc_rng init = idc_rng_stream(c->seed, c->trial, IDC_PURPOSE_INIT);
    if (idc_mlp_init(s->enc, init, TAG_ENCODER, err) != IDC_OK || idc_mlp_init(s->dec, init, TAG_DECODER, err) != IDC_OK)
        goto fail;
    return s;
fail:
    idc_stage2_free(s);
    return NULL;
}

static int check_codes(const idc_stage2 *s, const double *codes, size_t n, idc_err *err)
{
    if (codes == NULL || n == 0)
        return idc_err_set(err, IDC_EINVAL, "stage2.codes: needs at least one row");
    size_t d = s->cfg.latent_dim;
    for (size_t i = 0; i < n * d; i++)
        if (!(fabs(codes[i]) <= (s->be->dtype == IDC_DTYPE_F32 ? (double)FLT_MAX : DBL_MAX)))
            return idc_err_set(err, IDC_EINVAL, "stage2.codes[%zu][%zu]: not finite or beyond float range", i / d,
                               i % d);
    return IDC_OK;
}

/* Forward/backward of the Lagrangian on the batch in s->cb with the given
 * multiplier: gradients in the networks; *rec, *l1 the two terms. */
static int lagrangian_grad(idc_stage2 *s, size_t B, double lambda, double *rec, double *l1, idc_err *err)
{
    const idc_backend *be = s->be;
    size_t n = s->cfg.latent_dim;
    int rc = idc_mlp_forward(s->enc, s->cb, B, 1, err);
    if (rc == IDC_OK)
        rc = idc_mlp_forward(s->dec, idc_mlp_output(s->enc), B, 1, err);
    if (rc != IDC_OK)
        return rc;
    idc_mlp_loss_mse_to(be, s->dout, idc_mlp_output(s->dec), s->cb, B, n, 1.0, 0, s->sums, 0);
    rc = idc_mlp_backward(s->dec, s->dz, s->dout, B, err);
    if (rc != IDC_OK)
        return rc;
    /* the constraint term lambda mean |z|: dz += lambda sign(z) / (B n) */
    be->abs_sign(be, s->dz, idc_mlp_output(s->enc), B * n, lambda / ((double)B * (double)n), s->sums,
                 1);
    rc = idc_mlp_backward(s->enc, NULL, s->dz, B, err);
    if (rc == IDC_OK && !s->cfg.bn_affine) {
        /* frozen gamma = 1, beta = 0: zero their gradients */
        size_t off, cnt, l = idc_mlp_nlayers(s->enc) - 1;
        idc_mlp_param_range(s->enc, l, &off, &cnt);
        be->copy(be, (char *)idc_mlp_grads(s->enc) + off * idc_dtype_size(be->dtype), s->zero, cnt);
    }
    /* the multiplier's next step needs both terms: one read of two numbers */
    double t[2];
    be->read_sums(be, t, s->sums, 2);
    *rec = t[0];
    *l1 = t[1] / ((double)B * (double)n);
    return rc;
}

int idc_stage2_fit(idc_stage2 *s, const double *codes, size_t n, double *trace, idc_stage2_status *st,
                   idc_err *err)
{
    int rc = check_codes(s, codes, n, err);
    if (rc != IDC_OK)
        return rc;
    const idc_stage2_config *c = &s->cfg;
    const idc_backend *be = s->be;
    size_t d = c->latent_dim, B = c->batch;
    void *data = be->alloc(be, n * d);
    if (data == NULL)
        return idc_err_set(err, IDC_ENOMEM, "stage2.fit: out of memory for %zu x %zu codes", n, d);
    be->set_d(be, data, codes, n * d);
    idc_blas_set_threads(1);
    idc_adam_config ap = {c->lr, 0.9, 0.999, 1e-8}, ad = {c->lr_dual, 0.9, 0.999, 1e-8};
    idc_rng bs = idc_rng_stream(c->seed, c->trial, IDC_PURPOSE_BATCH);
    double rec = NAN, l1 = NAN;
    for (size_t step = 0; step < c->steps && rc == IDC_OK; step++) {
        be->gather_random_rows(be, s->cb, data, d, bs, BATCH_OFFSET + s->steps_done * (uint64_t)B, B, n);
        for (int phase = 0; phase < 2 && rc == IDC_OK; phase++) {
            rc = lagrangian_grad(s, B, s->lambda[0], &rec, &l1, err);
            if (rc != IDC_OK)
                break;
            if (!isfinite(rec) || !isfinite(l1)) {
                rc = idc_err_set(err, IDC_EDOM, "stage2.fit: the loss is not finite at step %" PRIu64, s->steps_done);
                break;
            }
            s->glambda[0] = -(l1 - c->l1_eps); /* ascent on lambda = descent on -L */
            if (phase == 0) {
                idc_extra_adam_extrapolate(s->aenc, &ap, idc_mlp_params(s->enc), idc_mlp_grads(s->enc));
                idc_extra_adam_extrapolate(s->adec, &ap, idc_mlp_params(s->dec), idc_mlp_grads(s->dec));
                if (c->constrained)
                    idc_extra_adam_extrapolate(s->adual, &ad, s->lambda, s->glambda);
            } else {
                idc_extra_adam_step(s->aenc, &ap, idc_mlp_params(s->enc), idc_mlp_grads(s->enc));
                idc_extra_adam_step(s->adec, &ap, idc_mlp_params(s->dec), idc_mlp_grads(s->dec));
                if (c->constrained)
                    idc_extra_adam_step(s->adual, &ad, s->lambda, s->glambda);
            }
            if (s->lambda[0] < 0) /* projection onto lambda >= 0 */
                s->lambda[0] = 0;
        }
        if (rc != IDC_OK)
            break;
        if (trace != NULL && c->log_every > 0 && step % c->log_every == 0) {
            double *t = trace + 3 * (step / c->log_every);
            t[0] = rec;
            t[1] = l1;
            t[2] = s->lambda[0];
        }
        s->steps_done++;
    }
    if (st != NULL) {
        st->rec = rec;
        st->l1 = l1;
        st->lambda = s->lambda[0];
    }
    be->release(be, data);
    return rc;
}

int idc_stage2_encode(idc_stage2 *s, double *zhat, const double *codes, size_t n, idc_err *err)
{
    int rc = check_codes(s, codes, n, err);
    if (rc != IDC_OK)
        return rc;
    idc_blas_set_threads(1);
    size_t d = s->cfg.latent_dim, B = s->cfg.batch;
    for (size_t i0 = 0; i0 < n && rc == IDC_OK; i0 += B) {
        size_t rows = n - i0 < B ? n - i0 : B;
        s->be->set_d(s->be, s->cb, codes + i0 * d, rows * d);
        rc = idc_mlp_forward(s->enc, s->cb, rows, 0, err);
        if (rc == IDC_OK)
            s->be->get_d(s->be, zhat + i0 * d, idc_mlp_output(s->enc), rows * d);
    }
    return rc;
}

int idc_stage2_reconstruct(idc_stage2 *s, double *chat, const double *codes, size_t n, idc_err *err)
{
    int rc = check_codes(s, codes, n, err);
    if (rc != IDC_OK)
        return rc;
    idc_blas_set_threads(1);
    size_t d = s->cfg.latent_dim, B = s->cfg.batch;
    for (size_t i0 = 0; i0 < n && rc == IDC_OK; i0 += B) {
        size_t rows = n - i0 < B ? n - i0 : B;
        s->be->set_d(s->be, s->cb, codes + i0 * d, rows * d);
        rc = idc_mlp_forward(s->enc, s->cb, rows, 0, err);
        if (rc == IDC_OK)
            rc = idc_mlp_forward(s->dec, idc_mlp_output(s->enc), rows, 0, err);
        if (rc == IDC_OK)
            s->be->get_d(s->be, chat + i0 * d, idc_mlp_output(s->dec), rows * d);
    }
    return rc;
}

json_t *idc_stage2_to_json(const idc_stage2 *s)
{
    const idc_stage2_config *c = &s->cfg;
    json_t *mult = json_array();
    for (size_t i = 0; i < c->nhidden; i++)
        json_array_append_new(mult, json_integer((json_int_t)c->mult[i]));
    json_t *cfg = json_pack("{s:I,s:o,s:f,s:f,s:f,s:f,s:I,s:I,s:f,s:f,s:b,s:b,s:I,s:I}", "latent_dim",
                            (json_int_t)c->latent_dim, "mult", mult, "lr", c->lr, "lr_dual", c->lr_dual, "l1_eps",
                            c->l1_eps, "lambda0", c->lambda0, "batch", (json_int_t)c->batch, "steps",
                            (json_int_t)c->steps, "bn_eps", c->bn_eps, "bn_momentum", c->bn_momentum, "bn_affine", c->bn_affine, "constrained", c->constrained, "seed",
                            (json_int_t)c->seed, "trial", (json_int_t)c->trial);
    json_t *e = idc_mlp_get_json(s->enc), *d = idc_mlp_get_json(s->dec);
    if (cfg == NULL || e == NULL || d == NULL) {
        json_decref(cfg);
        json_decref(e);
        json_decref(d);
        return NULL;
    }
    return json_pack("{s:o,s:f,s:I,s:o,s:o}", "config", cfg, "lambda", s->lambda[0], "steps_done",
                     (json_int_t)s->steps_done, "encoder", e, "decoder", d);
}
