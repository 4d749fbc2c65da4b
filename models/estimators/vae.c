/* VAE, iVAE and VaDE on the engine of models/engine/engine.h (contract, objective
 * and gradients in models/estimators/vae.h). The networks run on the engine; the
 * reparameterisation, the reconstruction residual, the prior terms and
 * their chain rule are evaluated in double on the host between engine
 * calls. */
#include "models/estimators/vae.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/engine/engine.h"
#include "numeric/blas.h"
#include "numeric/gmm_em.h"
#include "numeric/rng.h"

#define LOG_2PI 1.8378770664093454836

enum { TAG_ENCODER = 1, TAG_DECODER = 2, TAG_PRIOR = 3 };

struct idc_vae {
    idc_vae_config cfg;
    size_t xdim, J, nprior;
    const idc_backend *be;   /* networks */
    const idc_backend *be64; /* prior parameters (host doubles) */
    idc_mlp *enc, *dec;
    idc_adam *aenc, *adec, *aprior;
    idc_adam *penc, *pdec; /* pretraining moments (NULL without pretraining) */
    uint64_t steps_done;
    int pretrained;  /* pretraining done */
    int initialised; /* pretraining and GMM init done */
    double *prior;   /* nprior, be64 memory */
    double *gprior;  /* nprior: dL/dprior */
    /* backend workspaces */
    void *xb, *zb, *dxb, *dzb, *dencb;
    /* host workspaces */
    double *hx, *henc, *hz, *heps, *hxhat, *hdz, *hdenc; /* batch x (d, 2n, n, n, d, n, 2n) */
    double *ha, *hg;                                     /* J each (VaDE) */
    size_t *idx, *ub;                                    /* batch */
};

/* ---------------------------------------------------------------------- */
/* Configuration                                                           */

const char *idc_vae_kind_name(idc_vae_kind k)
{
    switch (k) {
    case IDC_VAE_KIND_VAE: return "vae";
    case IDC_VAE_KIND_IVAE: return "ivae";
    case IDC_VAE_KIND_VADE: return "vade";
    }
    return "?";
}

int idc_vae_kind_parse(idc_vae_kind *k, const char *s, idc_err *err)
{
    static const idc_vae_kind all[] = {IDC_VAE_KIND_VAE, IDC_VAE_KIND_IVAE, IDC_VAE_KIND_VADE};
    for (size_t i = 0; s != NULL && i < 3; i++)
        if (strcmp(s, idc_vae_kind_name(all[i])) == 0) {
            *k = all[i];
            return IDC_OK;
        }
    return idc_err_set(err, IDC_EINVAL, "vae.kind: expected \"vae\", \"ivae\" or \"vade\", got %s%s%s",
                       s == NULL ? "" : "\"", s == NULL ? "NULL" : s, s == NULL ? "" : "\"");
}

void idc_vae_config_default(idc_vae_config *c, idc_vae_kind k, size_t latent_dim, size_t ncomp)
{
    memset(c, 0, sizeof *c);
    c->kind = k;
    c->latent_dim = latent_dim;
    c->ncomp = k == IDC_VAE_KIND_VAE ? 1 : ncomp;
    c->nhidden = 3;
    c->hidden[0] = 64;
    c->hidden[1] = 512;
    c->hidden[2] = 64;
    c->lr = 1e-3;
    c->adam_beta1 = 0.9;
    c->adam_beta2 = 0.999;
    c->adam_eps = 1e-8;
    c->noise_var = 0.01;
    c->log_every = 100;
    if (k == IDC_VAE_KIND_VADE) {
        c->leaky_slope = 0.01;
        c->batch = 100;
        c->steps = 1000;
        c->pretrain_steps = 750;
        c->gmm_init = 1;
    } else {
        c->leaky_slope = 0.1;
        c->batch = 64;
        c->steps = 5000;
    }
}

static int in_unit(double v)
{
    return v >= 0.0 && v < 1.0;
}

int idc_vae_config_check(const idc_vae_config *c, size_t xdim, idc_err *err)
{
    const size_t W = IDC_MLP_MAX_WIDTH;
    if (c->kind != IDC_VAE_KIND_VAE && c->kind != IDC_VAE_KIND_IVAE && c->kind != IDC_VAE_KIND_VADE)
        return idc_err_set(err, IDC_EINVAL, "vae.kind: must be vae, ivae or vade, got %d", (int)c->kind);
    if (c->latent_dim < 1 || c->latent_dim > W / 2)
        return idc_err_set(err, IDC_EINVAL, "vae.latent_dim: must be in 1..%zu, got %zu", W / 2,
                           c->latent_dim);
    if (xdim < 1 || xdim > W)
        return idc_err_set(err, IDC_EINVAL, "vae.xdim: must be in 1..%zu, got %zu", W, xdim);
    if (c->kind != IDC_VAE_KIND_VAE && (c->ncomp < 1 || c->ncomp > W))
        return idc_err_set(err, IDC_EINVAL, "vae.ncomp: must be in 1..%zu for %s, got %zu", W,
                           idc_vae_kind_name(c->kind), c->ncomp);
    size_t np;
    if (c->kind != IDC_VAE_KIND_VAE &&
        (__builtin_mul_overflow(c->ncomp, c->latent_dim, &np) || np > IDC_MLP_MAX_ELEMS))
        return idc_err_set(err, IDC_EINVAL, "vae.ncomp: %zu x latent_dim %zu is too large", c->ncomp,
                           c->latent_dim);
    if (c->nhidden > IDC_VAE_MAX_HIDDEN)
        return idc_err_set(err, IDC_EINVAL, "vae.nhidden: must be <= %d, got %zu", IDC_VAE_MAX_HIDDEN,
                           c->nhidden);
    size_t widest = xdim > 2 * c->latent_dim ? xdim : 2 * c->latent_dim;
    for (size_t i = 0; i < c->nhidden; i++) {
        if (c->hidden[i] < 1 || c->hidden[i] > W)
            return idc_err_set(err, IDC_EINVAL, "vae.hidden[%zu]: must be in 1..%zu, got %zu", i, W,
                               c->hidden[i]);
        if (c->hidden[i] > widest)
            widest = c->hidden[i];
    }
    if (!isfinite(c->leaky_slope) || c->leaky_slope < 0.0)
        return idc_err_set(err, IDC_EINVAL, "vae.leaky_slope: must be finite and >= 0");
    if (!isfinite(c->lr) || c->lr <= 0.0)
        return idc_err_set(err, IDC_EINVAL, "vae.lr: must be finite and > 0");
    if (!in_unit(c->adam_beta1))
        return idc_err_set(err, IDC_EINVAL, "vae.adam_beta1: must be in [0, 1)");
    if (!in_unit(c->adam_beta2))
        return idc_err_set(err, IDC_EINVAL, "vae.adam_beta2: must be in [0, 1)");
    if (!isfinite(c->adam_eps) || c->adam_eps <= 0.0)
        return idc_err_set(err, IDC_EINVAL, "vae.adam_eps: must be finite and > 0");
    if (c->batch < 1)
        return idc_err_set(err, IDC_EINVAL, "vae.batch: must be >= 1, got %zu", c->batch);
    if (c->batch > IDC_MLP_MAX_ROWS)
        return idc_err_set(err, IDC_EINVAL, "vae.batch: must be <= %zu, got %zu", IDC_MLP_MAX_ROWS, c->batch);
    size_t elems;
    if (__builtin_mul_overflow(c->batch, widest, &elems) || elems > IDC_MLP_MAX_ELEMS)
        return idc_err_set(err, IDC_EINVAL, "vae.batch: %zu rows x widest layer %zu exceed %zu elements",
                           c->batch, widest, IDC_MLP_MAX_ELEMS);
    for (size_t i = 0; i <= c->nhidden; i++) {
        size_t a = i == 0 ? xdim : c->hidden[i - 1];
        size_t b = i == c->nhidden ? 2 * c->latent_dim : c->hidden[i];
        if (__builtin_mul_overflow(a, b, &elems) || elems >= IDC_MLP_MAX_ELEMS)
            return idc_err_set(err, IDC_EINVAL, "vae.hidden: a %zu x %zu layer exceeds %zu weights", a, b,
                               IDC_MLP_MAX_ELEMS);
    }
    if (!isfinite(c->noise_var) || c->noise_var <= 0.0)
        return idc_err_set(err, IDC_EINVAL, "vae.noise_var: must be finite and > 0");
    if (c->gmm_init != 0 && c->gmm_init != 1)
        return idc_err_set(err, IDC_EINVAL, "vae.gmm_init: must be 0 or 1, got %d", c->gmm_init);
    if (c->gmm_init && c->kind != IDC_VAE_KIND_VADE)
        return idc_err_set(err, IDC_EINVAL, "vae.gmm_init: only for vade, not %s",
                           idc_vae_kind_name(c->kind));
    return IDC_OK;
}

size_t idc_vae_trace_len(const idc_vae_config *c)
{
    if (c->log_every == 0 || c->steps == 0)
        return 0;
    return (c->steps - 1) / c->log_every + 1;
}

/* ---------------------------------------------------------------------- */
/* Construction                                                            */

void idc_vae_free(idc_vae *v)
{
    if (v == NULL)
        return;
    idc_mlp_free(v->enc);
    idc_mlp_free(v->dec);
    idc_adam_free(v->aenc);
    idc_adam_free(v->adec);
    idc_adam_free(v->aprior);
    idc_adam_free(v->penc);
    idc_adam_free(v->pdec);
    if (v->be != NULL) {
        void *bufs[] = {v->xb, v->zb, v->dxb, v->dzb, v->dencb};
        for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
            v->be->release(v->be, bufs[i]);
    }
    if (v->be64 != NULL)
        v->be64->release(v->be64, v->prior);
    free(v->gprior);
    free(v->hx);
    free(v->henc);
    free(v->hz);
    free(v->heps);
    free(v->hxhat);
    free(v->hdz);
    free(v->hdenc);
    free(v->ha);
    free(v->hg);
    free(v->idx);
    free(v->ub);
    free(v);
}

/* dense(h) leaky for every hidden width in the given order, then dense(out). */
static size_t build_layers(idc_mlp_layer *spec, const idc_vae_config *c, int encoder, size_t out)
{
    size_t k = 0;
    for (size_t i = 0; i < c->nhidden; i++) {
        size_t h = encoder ? c->hidden[i] : c->hidden[c->nhidden - 1 - i];
        spec[k++] = idc_mlp_dense(h);
        spec[k++] = idc_mlp_leaky(c->leaky_slope);
    }
    spec[k++] = idc_mlp_dense(out);
    return k;
}

static double *hcalloc(size_t n)
{
    return idc_calloc(n == 0 ? 1 : n, sizeof(double));
}

/* The prior's initial values (see vae.h). */
static void prior_init(idc_vae *v)
{
    size_t J = v->J, n = v->cfg.latent_dim;
    memset(v->prior, 0, v->nprior * sizeof(double));
    if (v->cfg.kind == IDC_VAE_KIND_VADE) {
        idc_rng init = idc_rng_stream(v->cfg.seed, v->cfg.trial, IDC_PURPOSE_INIT);
        double *mean = v->prior + J;
        for (size_t i = 0; i < J * n; i++)
            mean[i] = idc_rng_normal(init, ((uint64_t)TAG_PRIOR << 48) + i);
    }
}

static int vae_create(idc_vae **out, const idc_vae_config *c, size_t xdim, const idc_backend *be, idc_err *err)
{
    *out = NULL;
    if (c == NULL)
        return idc_err_set(err, IDC_EINVAL, "vae.config: must not be NULL");
    int rc = idc_vae_config_check(c, xdim, err);
    if (rc != IDC_OK)
        return rc;
    idc_vae *v = calloc(1, sizeof *v);
    if (v == NULL)
        return idc_err_set(err, IDC_ENOMEM, "vae: out of memory");
    v->cfg = *c;
    if (c->kind == IDC_VAE_KIND_VAE)
        v->cfg.ncomp = 1;
    for (size_t i = c->nhidden; i < IDC_VAE_MAX_HIDDEN; i++)
        v->cfg.hidden[i] = 0;
    size_t n = c->latent_dim, B = c->batch, d = xdim;
    v->xdim = xdim;
    v->J = v->cfg.ncomp;
    v->nprior = c->kind == IDC_VAE_KIND_VADE   ? v->J * (1 + 2 * n)
                : c->kind == IDC_VAE_KIND_IVAE ? v->J * n
                                               : 0;
    v->be = be;
    v->be64 = idc_backend_cpu(IDC_DTYPE_F64);
    rc = IDC_ENOMEM; /* the config check covers every limit of the engine */
    idc_mlp_layer spec[2 * IDC_VAE_MAX_HIDDEN + 1];
    size_t ne = build_layers(spec, c, 1, 2 * n);
    v->enc = idc_mlp_new(v->be, d, spec, ne, B, err);
    if (v->enc == NULL) {
        idc_err_prefix(err, rc, "vae.encoder: ");
        goto fail;
    }
    size_t nd = build_layers(spec, c, 0, d);
    v->dec = idc_mlp_new(v->be, n, spec, nd, B, err);
    if (v->dec == NULL) {
        idc_err_prefix(err, rc, "vae.decoder: ");
        goto fail;
    }
    v->aenc = idc_adam_new(v->be, idc_mlp_nparams(v->enc), err);
    v->adec = v->aenc == NULL ? NULL : idc_adam_new(v->be, idc_mlp_nparams(v->dec), err);
    v->aprior = v->adec == NULL ? NULL : idc_adam_new(v->be64, v->nprior, err);
    if (v->aprior == NULL)
        goto fail;
    if (c->pretrain_steps > 0) {
        v->penc = idc_adam_new(v->be, idc_mlp_nparams(v->enc), err);
        v->pdec = v->penc == NULL ? NULL : idc_adam_new(v->be, idc_mlp_nparams(v->dec), err);
        if (v->pdec == NULL)
            goto fail;
    }
    v->prior = v->be64->alloc(v->be64, v->nprior);
    v->gprior = hcalloc(v->nprior);
    v->xb = v->be->alloc(v->be, B * d);
    v->zb = v->be->alloc(v->be, B * n);
    v->dxb = v->be->alloc(v->be, B * d);
    v->dzb = v->be->alloc(v->be, B * n);
    v->dencb = v->be->alloc(v->be, B * 2 * n);
    v->hx = hcalloc(B * d);
    v->henc = hcalloc(B * 2 * n);
    v->hz = hcalloc(B * n);
    v->heps = hcalloc(B * n);
    v->hxhat = hcalloc(B * d);
    v->hdz = hcalloc(B * n);
    v->hdenc = hcalloc(B * 2 * n);
    v->ha = hcalloc(v->J);
    v->hg = hcalloc(v->J);
    v->idx = idc_calloc(B, sizeof(size_t));
    v->ub = idc_calloc(B, sizeof(size_t));
    if (v->prior == NULL || v->gprior == NULL || v->xb == NULL || v->zb == NULL || v->dxb == NULL ||
        v->dzb == NULL || v->dencb == NULL || v->hx == NULL || v->henc == NULL || v->hz == NULL ||
        v->heps == NULL || v->hxhat == NULL || v->hdz == NULL || v->hdenc == NULL || v->ha == NULL ||
        v->hg == NULL || v->idx == NULL || v->ub == NULL) {
        idc_err_set(err, rc, "vae: out of memory for the workspaces");
        goto fail;
    }
    idc_rng init = idc_rng_stream(c->seed, c->trial, IDC_PURPOSE_INIT);
    rc = idc_mlp_init(v->enc, init, TAG_ENCODER, err);
    if (rc == IDC_OK)
        rc = idc_mlp_init(v->dec, init, TAG_DECODER, err);
    if (rc != IDC_OK)
        goto fail;
    prior_init(v);
    *out = v;
    return IDC_OK;

fail:
    idc_vae_free(v);
    return rc;
}

idc_vae *idc_vae_new_dtype(const idc_vae_config *c, size_t xdim, idc_dtype dt, idc_err *err)
{
    idc_vae *v = NULL;
    vae_create(&v, c, xdim, idc_backend_cpu(dt), err);
    return v;
}

idc_vae *idc_vae_new_backend(const idc_vae_config *c, size_t xdim, const idc_backend *be, idc_err *err)
{
    idc_vae *v = NULL;
    if (be == NULL)
        idc_err_set(err, IDC_EINVAL, "vae.backend: must not be NULL");
    else
        vae_create(&v, c, xdim, be, err);
    return v;
}

idc_vae *idc_vae_new(const idc_vae_config *c, size_t xdim, idc_err *err)
{
    return idc_vae_new_dtype(c, xdim, IDC_DTYPE_F32, err);
}

const idc_vae_config *idc_vae_get_config(const idc_vae *v)
{
    return &v->cfg;
}

size_t idc_vae_xdim(const idc_vae *v)
{
    return v->xdim;
}

uint64_t idc_vae_steps_done(const idc_vae *v)
{
    return v->steps_done;
}

idc_mlp *idc_vae_encoder(idc_vae *v)
{
    return v->enc;
}

idc_mlp *idc_vae_decoder(idc_vae *v)
{
    return v->dec;
}

size_t idc_vae_nprior(const idc_vae *v)
{
    return v->nprior;
}

size_t idc_vae_nparams(const idc_vae *v)
{
    return idc_mlp_nparams(v->enc) + idc_mlp_nparams(v->dec) + v->nprior;
}

void idc_vae_get_params(const idc_vae *v, double *p)
{
    size_t ne = idc_mlp_nparams(v->enc), nd = idc_mlp_nparams(v->dec);
    idc_mlp_get_params(v->enc, p);
    idc_mlp_get_params(v->dec, p + ne);
    memcpy(p + ne + nd, v->prior, v->nprior * sizeof(double));
}

void idc_vae_set_params(idc_vae *v, const double *p)
{
    size_t ne = idc_mlp_nparams(v->enc), nd = idc_mlp_nparams(v->dec);
    idc_mlp_set_params(v->enc, p);
    idc_mlp_set_params(v->dec, p + ne);
    memcpy(v->prior, p + ne + nd, v->nprior * sizeof(double));
}

size_t idc_vae_prior_ncomp(const idc_vae *v)
{
    return v->J;
}

void idc_vae_get_prior(const idc_vae *v, double *weight, double *mean, double *var)
{
    size_t J = v->J, n = v->cfg.latent_dim;
    const double *p = v->prior;
    if (v->cfg.kind == IDC_VAE_KIND_VADE) {
        double mx = -INFINITY, s = 0.0;
        for (size_t c = 0; c < J; c++)
            mx = fmax(mx, p[c]);
        for (size_t c = 0; c < J; c++)
            s += exp(p[c] - mx);
        for (size_t c = 0; weight != NULL && c < J; c++)
            weight[c] = exp(p[c] - mx) / s;
        if (mean != NULL)
            memcpy(mean, p + J, J * n * sizeof(double));
        for (size_t i = 0; var != NULL && i < J * n; i++)
            var[i] = exp(p[J + J * n + i]);
        return;
    }
    for (size_t c = 0; weight != NULL && c < J; c++)
        weight[c] = v->cfg.kind == IDC_VAE_KIND_IVAE ? NAN : 1.0;
    if (mean != NULL)
        memset(mean, 0, J * n * sizeof(double));
    for (size_t i = 0; var != NULL && i < J * n; i++)
        var[i] = v->cfg.kind == IDC_VAE_KIND_IVAE ? exp(p[i]) : 1.0;
}

/* ---------------------------------------------------------------------- */
/* The loss and its gradient                                               */

static int check_data(const idc_vae *v, const double *x, size_t N, idc_err *err)
{
    if (x == NULL)
        return idc_err_set(err, IDC_EINVAL, "vae.x: must not be NULL");
    if (N == 0)
        return idc_err_set(err, IDC_EINVAL, "vae.x: needs at least one row (n = 0)");
    double vmax = v->be->dtype == IDC_DTYPE_F32 ? (double)FLT_MAX : DBL_MAX;
    size_t d = v->xdim;
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < d; j++)
            if (!(fabs(x[i * d + j]) <= vmax))
                return idc_err_set(err, IDC_EINVAL,
                                   "vae.x[%zu][%zu]: not finite or beyond the range of the "
                                   "model's floats",
                                   i, j);
    return IDC_OK;
}

static int check_labels(const idc_vae *v, const size_t *u, size_t N, idc_err *err)
{
    if (v->cfg.kind != IDC_VAE_KIND_IVAE)
        return IDC_OK;
    if (u == NULL)
        return idc_err_set(err, IDC_EINVAL, "vae.u: the ivae needs a label per row");
    for (size_t i = 0; i < N; i++)
        if (u[i] >= v->J)
            return idc_err_set(err, IDC_EINVAL, "vae.u[%zu]: must be < ncomp = %zu, got %zu", i, v->J, u[i]);
    return IDC_OK;
}

/* Prior term K of one row and its partial derivatives: adds dK/dmu, dK/dv
 * to dmu, dv, dK/dz to dz (VaDE) and dK/dprior (times w) to v->gprior.
 * m, lv: the row's mean and log variance, z its sample. Returns K. */
static double prior_row(idc_vae *v, const double *m, const double *lv, const double *z, size_t label,
                        double *dmu, double *dlv, double *dz, double w)
{
    size_t n = v->cfg.latent_dim, J = v->J;
    double K = 0.0;
    if (v->cfg.kind == IDC_VAE_KIND_VAE) {
        for (size_t j = 0; j < n; j++) {
            double ev = exp(lv[j]);
            K += 0.5 * (m[j] * m[j] + ev - 1.0 - lv[j]);
            dmu[j] += w * m[j];
            dlv[j] += w * 0.5 * (ev - 1.0);
        }
        return K;
    }
    if (v->cfg.kind == IDC_VAE_KIND_IVAE) {
        const double *l = v->prior + label * n;
        double *gl = v->gprior + label * n;
        for (size_t j = 0; j < n; j++) {
            double ev = exp(lv[j]), el = exp(-l[j]), s = ev + m[j] * m[j];
            K += 0.5 * (l[j] + s * el - 1.0 - lv[j]);
            dmu[j] += w * m[j] * el;
            dlv[j] += w * 0.5 * (ev * el - 1.0);
            gl[j] += w * 0.5 * (1.0 - s * el);
        }
        return K;
    }
    /* VaDE. a_c = log pi_c + log N(z; mu_c, e^{w_c}); g = softmax(a);
     * E_c = 1/2 sum_j (w_cj + e^{v_j - w_cj} + (m_j - mu_cj)^2 e^{-w_cj});
     * K = sum_c g_c (E_c - log pi_c + log g_c) - 1/2 sum_j (1 + v_j). */
    const double *logit = v->prior, *mc = v->prior + J, *wc = v->prior + J + J * n;
    double *glogit = v->gprior, *gmc = v->gprior + J, *gwc = v->gprior + J + J * n;
    double *a = v->ha, *E = v->hg;
    double lmax = -INFINITY, ls = 0.0;
    for (size_t c = 0; c < J; c++)
        lmax = fmax(lmax, logit[c]);
    for (size_t c = 0; c < J; c++)
        ls += exp(logit[c] - lmax);
    double lse_logit = lmax + log(ls);
    double amax = -INFINITY;
    for (size_t c = 0; c < J; c++) {
        double q = 0.0, e = 0.0;
        for (size_t j = 0; j < n; j++) {
            double iw = exp(-wc[c * n + j]);
            double dzc = z[j] - mc[c * n + j], dmc = m[j] - mc[c * n + j];
            q += LOG_2PI + wc[c * n + j] + dzc * dzc * iw;
            e += wc[c * n + j] + exp(lv[j] - wc[c * n + j]) + dmc * dmc * iw;
        }
        a[c] = logit[c] - lse_logit - 0.5 * q;
        E[c] = 0.5 * e;
        amax = fmax(amax, a[c]);
    }
    double as = 0.0;
    for (size_t c = 0; c < J; c++)
        as += exp(a[c] - amax);
    double lse_a = amax + log(as);
    /* h_c = E_c - log pi_c + log g_c, K = sum g h - 1/2 sum (1 + v);
     * dK/da_c = g_c (h_c - hbar) with hbar = sum g h (the +1 of
     * d(g log g)/dg cancels since sum_c dg_c = 0). */
    double hbar = 0.0;
    for (size_t c = 0; c < J; c++) {
        double lg = a[c] - lse_a, g = exp(lg);
        double h = E[c] - (logit[c] - lse_logit) + lg;
        hbar += g * h;
        a[c] = lg; /* a now holds log g */
        E[c] = h;  /* E now holds h */
    }
    K = hbar;
    for (size_t j = 0; j < n; j++)
        K -= 0.5 * (1.0 + lv[j]);
    for (size_t j = 0; j < n; j++)
        dlv[j] -= w * 0.5;
    for (size_t c = 0; c < J; c++) {
        double g = exp(a[c]);
        double da = w * g * (E[c] - hbar); /* dK/da_c */
        double pic = exp(logit[c] - lse_logit);
        /* direct: dK/dlog pi_c = -g_c; through a: da_c. d log pi_c / d logit_k
         * = delta_ck - pi_k; sum_c g_c = 1 and sum_c da_c = 0 give: */
        glogit[c] += w * (pic - g) + da;
        for (size_t j = 0; j < n; j++) {
            size_t cj = c * n + j;
            double iw = exp(-wc[cj]);
            double dzc = z[j] - mc[cj], dmc = m[j] - mc[cj];
            double r = exp(lv[j] - wc[cj]);
            /* direct (g fixed) */
            dmu[j] += w * g * dmc * iw;
            dlv[j] += w * g * 0.5 * r;
            gmc[cj] -= w * g * dmc * iw;
            gwc[cj] += w * g * 0.5 * (1.0 - r - dmc * dmc * iw);
            /* through a_c = ... - 1/2 (w_cj + (z_j - mu_cj)^2 e^{-w_cj}) */
            dz[j] -= da * dzc * iw;
            gmc[cj] += da * dzc * iw;
            gwc[cj] -= da * 0.5 * (1.0 - dzc * dzc * iw);
        }
    }
    return K;
}

/* Forward and backward on the `rows` rows in v->hx (host) / v->xb (backend)
 * with labels v->ub and eps v->heps: *loss = L, gradients left in the
 * networks and v->gprior. */
static int loss_grad_rows(idc_vae *v, size_t rows, double *loss, idc_err *err)
{
    const idc_backend *be = v->be;
    size_t n = v->cfg.latent_dim, d = v->xdim;
    double s2 = v->cfg.noise_var, w = 1.0 / (double)rows;
    int rc = idc_mlp_forward(v->enc, v->xb, rows, 1, err);
    if (rc != IDC_OK)
        return rc;
    be->get_d(be, v->henc, idc_mlp_output(v->enc), rows * 2 * n);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < n; j++) {
            const double *o = v->henc + i * 2 * n;
            v->hz[i * n + j] = o[j] + exp(0.5 * o[n + j]) * v->heps[i * n + j];
        }
    be->set_d(be, v->zb, v->hz, rows * n);
    rc = idc_mlp_forward(v->dec, v->zb, rows, 1, err);
    if (rc != IDC_OK)
        return rc;
    be->get_d(be, v->hxhat, idc_mlp_output(v->dec), rows * d);
    double rec = 0.0;
    for (size_t i = 0; i < rows * d; i++) {
        double r = v->hxhat[i] - v->hx[i];
        rec += r * r;
        v->hxhat[i] = w * r / s2; /* now dL/dxhat */
    }
    be->set_d(be, v->dxb, v->hxhat, rows * d);
    rc = idc_mlp_backward(v->dec, v->dzb, v->dxb, rows, err);
    if (rc != IDC_OK)
        return rc;
    be->get_d(be, v->hdz, v->dzb, rows * n);
    memset(v->gprior, 0, v->nprior * sizeof(double));
    memset(v->hdenc, 0, rows * 2 * n * sizeof(double));
    double ksum = 0.0;
    for (size_t i = 0; i < rows; i++) {
        const double *o = v->henc + i * 2 * n;
        double *dmu = v->hdenc + i * 2 * n, *dlv = dmu + n, *dz = v->hdz + i * n;
        ksum += prior_row(v, o, o + n, v->hz + i * n, v->ub[i], dmu, dlv, dz, w);
        for (size_t j = 0; j < n; j++) { /* z = mu + e^{v/2} eps */
            dmu[j] += dz[j];
            dlv[j] += dz[j] * 0.5 * (v->hz[i * n + j] - o[j]);
        }
    }
    be->set_d(be, v->dencb, v->hdenc, rows * 2 * n);
    rc = idc_mlp_backward(v->enc, NULL, v->dencb, rows, err);
    if (rc != IDC_OK)
        return rc;
    *loss = w * rec / (2.0 * s2) + 0.5 * (double)d * log(2.0 * M_PI * s2) + w * ksum;
    return IDC_OK;
}

int idc_vae_loss_grad(idc_vae *v, const double *xb, const size_t *ub, size_t rows, const double *eps,
                      double *loss, double *grad, idc_err *err)
{
    if (rows < 1 || rows > v->cfg.batch)
        return idc_err_set(err, IDC_EINVAL, "vae.rows: must be in 1..%zu, got %zu", v->cfg.batch, rows);
    if (eps == NULL)
        return idc_err_set(err, IDC_EINVAL, "vae.eps: must not be NULL");
    int rc = check_data(v, xb, rows, err);
    if (rc == IDC_OK)
        rc = check_labels(v, ub, rows, err);
    if (rc != IDC_OK)
        return rc;
    idc_blas_set_threads(1);
    size_t n = v->cfg.latent_dim;
    memcpy(v->hx, xb, rows * v->xdim * sizeof(double));
    v->be->set_d(v->be, v->xb, xb, rows * v->xdim);
    memcpy(v->heps, eps, rows * n * sizeof(double));
    for (size_t i = 0; i < rows; i++)
        v->ub[i] = ub != NULL && v->cfg.kind == IDC_VAE_KIND_IVAE ? ub[i] : 0;
    double l = 0.0;
    rc = loss_grad_rows(v, rows, &l, err);
    if (rc != IDC_OK)
        return rc;
    if (loss != NULL)
        *loss = l;
    if (grad != NULL) {
        size_t ne = idc_mlp_nparams(v->enc), nd = idc_mlp_nparams(v->dec);
        idc_mlp_get_grads(v->enc, grad);
        idc_mlp_get_grads(v->dec, grad + ne);
        memcpy(grad + ne + nd, v->gprior, v->nprior * sizeof(double));
    }
    return IDC_OK;
}

/* ---------------------------------------------------------------------- */
/* Training                                                                */

/* Gathers rows idx[0..B) of x (and u) into the host and backend batch. */
static void gather(idc_vae *v, const double *x, const size_t *u, size_t B)
{
    size_t d = v->xdim;
    for (size_t i = 0; i < B; i++) {
        memcpy(v->hx + i * d, x + v->idx[i] * d, d * sizeof(double));
        v->ub[i] = v->cfg.kind == IDC_VAE_KIND_IVAE ? u[v->idx[i]] : 0;
    }
    v->be->set_d(v->be, v->xb, v->hx, B * d);
}

/* Autoencoder pretraining: 1/B sum |x - dec(mu)|^2 / (2 s^2). */
static int pretrain(idc_vae *v, const double *x, size_t N, const size_t *u, idc_err *err)
{
    const idc_vae_config *c = &v->cfg;
    const idc_backend *be = v->be;
    size_t n = c->latent_dim, d = v->xdim, B = c->batch;
    idc_adam_config ac = {c->lr, c->adam_beta1, c->adam_beta2, c->adam_eps};
    idc_rng bs = idc_rng_stream(c->seed, c->trial, IDC_PURPOSE_BATCH);
    double w = 1.0 / ((double)B * c->noise_var);
    for (size_t t = 0; t < c->pretrain_steps; t++) {
        uint64_t k0 = (1ull << 63) + (uint64_t)t * B;
        for (size_t i = 0; i < B; i++)
            v->idx[i] = (size_t)idc_rng_below(bs, k0 + i, N);
        gather(v, x, u, B);
        int rc = idc_mlp_forward(v->enc, v->xb, B, 1, err);
        if (rc != IDC_OK)
            return rc;
        be->get_d(be, v->henc, idc_mlp_output(v->enc), B * 2 * n);
        for (size_t i = 0; i < B; i++)
            memcpy(v->hz + i * n, v->henc + i * 2 * n, n * sizeof(double));
        be->set_d(be, v->zb, v->hz, B * n);
        rc = idc_mlp_forward(v->dec, v->zb, B, 1, err);
        if (rc != IDC_OK)
            return rc;
        be->get_d(be, v->hxhat, idc_mlp_output(v->dec), B * d);
        double rec = 0.0;
        for (size_t i = 0; i < B * d; i++) {
            double r = v->hxhat[i] - v->hx[i];
            rec += r * r;
            v->hxhat[i] = w * r;
        }
        if (!isfinite(rec))
            return idc_err_set(err, IDC_EDOM,
                               "vae.fit: the pretraining loss is not finite at step %zu (try a "
                               "smaller lr)",
                               t);
        be->set_d(be, v->dxb, v->hxhat, B * d);
        rc = idc_mlp_backward(v->dec, v->dzb, v->dxb, B, err);
        if (rc != IDC_OK)
            return rc;
        be->get_d(be, v->hdz, v->dzb, B * n);
        memset(v->hdenc, 0, B * 2 * n * sizeof(double));
        for (size_t i = 0; i < B; i++)
            memcpy(v->hdenc + i * 2 * n, v->hdz + i * n, n * sizeof(double));
        be->set_d(be, v->dencb, v->hdenc, B * 2 * n);
        rc = idc_mlp_backward(v->enc, NULL, v->dencb, B, err);
        if (rc != IDC_OK)
            return rc;
        idc_adam_step(v->penc, &ac, idc_mlp_params(v->enc), idc_mlp_grads(v->enc));
        idc_adam_step(v->pdec, &ac, idc_mlp_params(v->dec), idc_mlp_grads(v->dec));
    }
    return IDC_OK;
}

/* Encoder outputs (mu only) of the N rows of x into zhat (N x n). */
static int encode_mu(idc_vae *v, double *zhat, const double *x, size_t N, idc_err *err)
{
    size_t n = v->cfg.latent_dim, d = v->xdim, B = v->cfg.batch;
    for (size_t i0 = 0; i0 < N; i0 += B) {
        size_t rows = N - i0 < B ? N - i0 : B;
        v->be->set_d(v->be, v->xb, x + i0 * d, rows * d);
        int rc = idc_mlp_forward(v->enc, v->xb, rows, 0, err);
        if (rc != IDC_OK)
            return rc;
        v->be->get_d(v->be, v->henc, idc_mlp_output(v->enc), rows * 2 * n);
        for (size_t i = 0; i < rows; i++)
            memcpy(zhat + (i0 + i) * n, v->henc + i * 2 * n, n * sizeof(double));
    }
    return IDC_OK;
}

/* VaDE: the prior from a GMM fitted to the encoder means. */
static int gmm_init(idc_vae *v, const double *x, size_t N, idc_err *err)
{
    size_t n = v->cfg.latent_dim, J = v->J;
    double *mu = idc_calloc(N * n, sizeof(double));
    if (mu == NULL)
        return idc_err_set(err, IDC_ENOMEM, "vae.gmm_init: out of memory");
    int rc = encode_mu(v, mu, x, N, err);
    idc_gmm g;
    idc_gmm_init(&g);
    if (rc == IDC_OK) {
        idc_gmm_opts o = idc_gmm_opts_default();
        o.seed = idc_rng_derive_seed(v->cfg.seed, v->cfg.trial);
        rc = idc_gmm_fit(&g, mu, N, n, J, &o, err);
        if (rc != IDC_OK)
            idc_err_prefix(err, rc, "vae.gmm_init: ");
    }
    if (rc == IDC_OK) {
        double *p = v->prior;
        for (size_t c = 0; c < J; c++) {
            p[c] = log(fmax(g.weight[c], 1e-300));
            for (size_t j = 0; j < n; j++) {
                p[J + c * n + j] = g.mean[c * n + j];
                p[J + J * n + c * n + j] = log(g.cov[(c * n + j) * n + j]);
            }
        }
    }
    idc_gmm_clear(&g);
    free(mu);
    return rc;
}

int idc_vae_fit(idc_vae *v, const double *x, size_t N, const size_t *u, double *loss_trace,
                double *final_loss, idc_err *err)
{
    int rc = check_data(v, x, N, err);
    if (rc == IDC_OK)
        rc = check_labels(v, u, N, err);
    if (rc != IDC_OK)
        return rc;
    const idc_vae_config *c = &v->cfg;
    if (!v->initialised && c->gmm_init && N < v->J)
        return idc_err_set(err, IDC_EINVAL, "vae.x: GMM init needs at least ncomp = %zu rows, got %zu", v->J,
                           N);
    if (final_loss != NULL)
        *final_loss = NAN;
    idc_blas_set_threads(1);
    if (!v->pretrained) {
        rc = pretrain(v, x, N, u, err);
        if (rc != IDC_OK)
            return rc;
        v->pretrained = 1;
    }
    if (!v->initialised) {
        rc = c->gmm_init ? gmm_init(v, x, N, err) : IDC_OK;
        if (rc != IDC_OK)
            return rc;
        v->initialised = 1;
    }
    size_t n = c->latent_dim, B = c->batch;
    idc_adam_config ac = {c->lr, c->adam_beta1, c->adam_beta2, c->adam_eps};
    idc_rng bs = idc_rng_stream(c->seed, c->trial, IDC_PURPOSE_BATCH);
    idc_rng es = idc_rng_stream(c->seed, c->trial, IDC_VAE_PURPOSE_EPS);
    for (size_t step = 0; step < c->steps; step++) {
        uint64_t k0 = v->steps_done * (uint64_t)B;
        for (size_t i = 0; i < B; i++)
            v->idx[i] = (size_t)idc_rng_below(bs, k0 + i, N);
        gather(v, x, u, B);
        idc_rng_normal_fill(v->heps, B * n, es, k0 * n);
        double loss = 0.0;
        rc = loss_grad_rows(v, B, &loss, err);
        if (rc != IDC_OK)
            break;
        if (!isfinite(loss)) {
            rc = idc_err_set(err, IDC_EDOM,
                             "vae.fit: the loss is not finite at step %" PRIu64
                             " (training diverged; try a smaller lr)",
                             v->steps_done);
            break;
        }
        idc_adam_step(v->aenc, &ac, idc_mlp_params(v->enc), idc_mlp_grads(v->enc));
        idc_adam_step(v->adec, &ac, idc_mlp_params(v->dec), idc_mlp_grads(v->dec));
        if (v->nprior > 0)
            idc_adam_step(v->aprior, &ac, v->prior, v->gprior);
        v->steps_done++;
        if (loss_trace != NULL && c->log_every > 0 && step % c->log_every == 0)
            loss_trace[step / c->log_every] = loss;
        if (final_loss != NULL)
            *final_loss = loss;
    }
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Evaluation                                                              */

int idc_vae_encode(idc_vae *v, double *zhat, const double *x, size_t N, idc_err *err)
{
    int rc = check_data(v, x, N, err);
    if (rc != IDC_OK)
        return rc;
    if (zhat == NULL)
        return idc_err_set(err, IDC_EINVAL, "vae.zhat: must not be NULL");
    idc_blas_set_threads(1);
    return encode_mu(v, zhat, x, N, err);
}

int idc_vae_reconstruct(idc_vae *v, double *xhat, const double *x, size_t N, idc_err *err)
{
    int rc = check_data(v, x, N, err);
    if (rc != IDC_OK)
        return rc;
    if (xhat == NULL)
        return idc_err_set(err, IDC_EINVAL, "vae.xhat: must not be NULL");
    idc_blas_set_threads(1);
    size_t n = v->cfg.latent_dim, d = v->xdim, B = v->cfg.batch;
    for (size_t i0 = 0; i0 < N && rc == IDC_OK; i0 += B) {
        size_t rows = N - i0 < B ? N - i0 : B;
        v->be->set_d(v->be, v->xb, x + i0 * d, rows * d);
        rc = idc_mlp_forward(v->enc, v->xb, rows, 0, err);
        if (rc != IDC_OK)
            break;
        v->be->get_d(v->be, v->henc, idc_mlp_output(v->enc), rows * 2 * n);
        for (size_t i = 0; i < rows; i++)
            memcpy(v->hz + i * n, v->henc + i * 2 * n, n * sizeof(double));
        v->be->set_d(v->be, v->zb, v->hz, rows * n);
        rc = idc_mlp_forward(v->dec, v->zb, rows, 0, err);
        if (rc == IDC_OK)
            v->be->get_d(v->be, xhat + i0 * d, idc_mlp_output(v->dec), rows * d);
    }
    return rc;
}

int idc_vae_cluster_probs(idc_vae *v, double *gamma, const double *x, size_t N, idc_err *err)
{
    if (v->cfg.kind != IDC_VAE_KIND_VADE)
        return idc_err_set(err, IDC_EINVAL, "vae.cluster_probs: only for vade, not %s",
                           idc_vae_kind_name(v->cfg.kind));
    int rc = check_data(v, x, N, err);
    if (rc != IDC_OK)
        return rc;
    if (gamma == NULL)
        return idc_err_set(err, IDC_EINVAL, "vae.gamma: must not be NULL");
    size_t n = v->cfg.latent_dim, J = v->J;
    double *mu = idc_calloc(N * n, sizeof(double));
    if (mu == NULL)
        return idc_err_set(err, IDC_ENOMEM, "vae.cluster_probs: out of memory");
    idc_blas_set_threads(1);
    rc = encode_mu(v, mu, x, N, err);
    const double *logit = v->prior, *mc = v->prior + J, *wc = v->prior + J + J * n;
    for (size_t i = 0; rc == IDC_OK && i < N; i++) {
        double *g = gamma + i * J, mx = -INFINITY, s = 0.0;
        for (size_t c = 0; c < J; c++) {
            double q = 0.0;
            for (size_t j = 0; j < n; j++) {
                double dz = mu[i * n + j] - mc[c * n + j];
                q += wc[c * n + j] + dz * dz * exp(-wc[c * n + j]);
            }
            g[c] = logit[c] - 0.5 * q;
            mx = fmax(mx, g[c]);
        }
        for (size_t c = 0; c < J; c++)
            s += (g[c] = exp(g[c] - mx));
        for (size_t c = 0; c < J; c++)
            g[c] /= s;
    }
    free(mu);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* JSON                                                                    */

static int set_new(json_t *o, const char *key, json_t *val)
{
    return val != NULL && json_object_set_new(o, key, val) == 0;
}

static json_t *reals(const double *p, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++)
        if (!isfinite(p[i]) || json_array_append_new(a, json_real(p[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *config_to_json(const idc_vae_config *c)
{
    json_t *o = json_object(), *h = json_array();
    int ok = o != NULL && h != NULL;
    for (size_t i = 0; ok && i < c->nhidden; i++)
        ok = json_array_append_new(h, json_integer((json_int_t)c->hidden[i])) == 0;
    char seed[32];
    snprintf(seed, sizeof seed, "0x%016" PRIx64, c->seed);
    ok = ok && set_new(o, "kind", json_string(idc_vae_kind_name(c->kind))) &&
         set_new(o, "latent_dim", json_integer((json_int_t)c->latent_dim)) &&
         set_new(o, "ncomp", json_integer((json_int_t)c->ncomp)) && json_object_set(o, "hidden", h) == 0 &&
         set_new(o, "leaky_slope", json_real(c->leaky_slope)) && set_new(o, "lr", json_real(c->lr)) &&
         set_new(o, "adam_beta1", json_real(c->adam_beta1)) &&
         set_new(o, "adam_beta2", json_real(c->adam_beta2)) &&
         set_new(o, "adam_eps", json_real(c->adam_eps)) &&
         set_new(o, "batch", json_integer((json_int_t)c->batch)) &&
         set_new(o, "steps", json_integer((json_int_t)c->steps)) &&
         set_new(o, "noise_var", json_real(c->noise_var)) &&
         set_new(o, "pretrain_steps", json_integer((json_int_t)c->pretrain_steps)) &&
         set_new(o, "gmm_init", json_boolean(c->gmm_init)) &&
         set_new(o, "log_every", json_integer((json_int_t)c->log_every)) &&
         set_new(o, "seed", json_string(seed)) && set_new(o, "trial", json_integer((json_int_t)c->trial));
    json_decref(h);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *prior_to_json(const idc_vae *v)
{
    size_t J = v->J, n = v->cfg.latent_dim;
    json_t *o = json_object();
    double *w = hcalloc(J), *m = hcalloc(J * n), *s = hcalloc(J * n);
    int ok = o != NULL && w != NULL && m != NULL && s != NULL;
    if (ok)
        idc_vae_get_prior(v, w, m, s);
    if (ok && v->cfg.kind != IDC_VAE_KIND_IVAE)
        ok = set_new(o, "weight", reals(w, J));
    ok = ok && set_new(o, "mean", reals(m, J * n)) && set_new(o, "var", reals(s, J * n));
    if (ok && v->cfg.kind == IDC_VAE_KIND_VADE)
        ok = set_new(o, "logits", reals(v->prior, J)) &&
             set_new(o, "logvar", reals(v->prior + J + J * n, J * n));
    if (ok && v->cfg.kind == IDC_VAE_KIND_IVAE)
        ok = set_new(o, "logvar", reals(v->prior, J * n));
    free(w);
    free(m);
    free(s);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *idc_vae_to_json(const idc_vae *v)
{
    json_t *o = json_object();
    int ok = o != NULL && set_new(o, "model", json_string("idcheck.vae")) &&
             set_new(o, "format", json_integer(1)) &&
             set_new(o, "kind", json_string(idc_vae_kind_name(v->cfg.kind))) &&
             set_new(o, "dtype", json_string(v->be->dtype == IDC_DTYPE_F64 ? "f64" : "f32")) &&
             set_new(o, "xdim", json_integer((json_int_t)v->xdim)) &&
             set_new(o, "steps_done", json_integer((json_int_t)v->steps_done)) &&
             set_new(o, "initialised", json_boolean(v->initialised)) &&
             set_new(o, "config", config_to_json(&v->cfg)) &&
             set_new(o, "encoder", idc_mlp_get_json(v->enc)) &&
             set_new(o, "decoder", idc_mlp_get_json(v->dec)) && set_new(o, "prior", prior_to_json(v));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* A non-negative integer at key of o (<= max) into *v. */
static int get_size(size_t *v, const json_t *o, const char *path, const char *key, size_t max, idc_err *err)
{
    const json_t *j = json_object_get(o, key);
    if (!json_is_integer(j) || json_integer_value(j) < 0 ||
        (unsigned long long)json_integer_value(j) > (unsigned long long)max)
        return idc_err_set(err, IDC_EINVAL, "%s%s: expected an integer in 0..%zu", path, key, max);
    *v = (size_t)json_integer_value(j);
    return IDC_OK;
}

static int get_real(double *v, const json_t *o, const char *key, idc_err *err)
{
    const json_t *j = json_object_get(o, key);
    if (!json_is_number(j))
        return idc_err_set(err, IDC_EINVAL, "vae.config.%s: expected a number", key);
    *v = json_number_value(j);
    return IDC_OK;
}

static int config_from_json(idc_vae_config *c, const json_t *o, idc_err *err)
{
    const char *P = "vae.config.";
    if (!json_is_object(o))
        return idc_err_set(err, IDC_EINVAL, "vae.config: expected an object");
    memset(c, 0, sizeof *c);
    int rc = idc_vae_kind_parse(&c->kind, json_string_value(json_object_get(o, "kind")), err);
    if (rc != IDC_OK)
        return idc_err_prefix(err, rc, "vae.config: ");
    size_t trial = 0;
    rc = get_size(&c->latent_dim, o, P, "latent_dim", SIZE_MAX, err);
    if (rc == IDC_OK)
        rc = get_size(&c->ncomp, o, P, "ncomp", SIZE_MAX, err);
    const json_t *h = json_object_get(o, "hidden");
    if (rc == IDC_OK && (!json_is_array(h) || json_array_size(h) > IDC_VAE_MAX_HIDDEN))
        rc =
            idc_err_set(err, IDC_EINVAL, "vae.config.hidden: expected an array of <= %d", IDC_VAE_MAX_HIDDEN);
    if (rc == IDC_OK) {
        c->nhidden = json_array_size(h);
        for (size_t i = 0; i < c->nhidden; i++) {
            const json_t *e = json_array_get(h, i);
            if (!json_is_integer(e) || json_integer_value(e) < 1)
                return idc_err_set(err, IDC_EINVAL, "vae.config.hidden[%zu]: expected a positive integer", i);
            c->hidden[i] = (size_t)json_integer_value(e);
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
        rc = get_real(&c->noise_var, o, "noise_var", err);
    if (rc == IDC_OK)
        rc = get_size(&c->pretrain_steps, o, P, "pretrain_steps", SIZE_MAX, err);
    const json_t *gi = json_object_get(o, "gmm_init");
    if (rc == IDC_OK && !json_is_boolean(gi))
        rc = idc_err_set(err, IDC_EINVAL, "vae.config.gmm_init: expected a boolean");
    c->gmm_init = json_is_true(gi);
    if (rc == IDC_OK)
        rc = get_size(&c->log_every, o, P, "log_every", SIZE_MAX, err);
    if (rc == IDC_OK)
        rc = get_size(&trial, o, P, "trial", UINT32_MAX, err);
    if (rc != IDC_OK)
        return rc;
    c->trial = (uint32_t)trial;
    const char *seed = json_string_value(json_object_get(o, "seed"));
    char *end = NULL;
    if (seed == NULL || strncmp(seed, "0x", 2) != 0 || seed[2] == '\0' || strlen(seed + 2) > 16)
        return idc_err_set(err, IDC_EINVAL, "vae.config.seed: expected a \"0x...\" string");
    c->seed = strtoull(seed + 2, &end, 16);
    if (*end != '\0')
        return idc_err_set(err, IDC_EINVAL, "vae.config.seed: expected a \"0x...\" string");
    return IDC_OK;
}

/* n finite numbers from the array at key of o into p. */
static int get_reals(double *p, size_t n, const json_t *o, const char *key, idc_err *err)
{
    const json_t *a = json_object_get(o, key);
    if (!json_is_array(a) || json_array_size(a) != n)
        return idc_err_set(err, IDC_EINVAL, "vae.prior.%s: expected %zu numbers", key, n);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(a, i);
        if (!json_is_number(e) || !isfinite(json_number_value(e)))
            return idc_err_set(err, IDC_EINVAL, "vae.prior.%s[%zu]: expected a finite number", key, i);
        p[i] = json_number_value(e);
    }
    return IDC_OK;
}

int idc_vae_from_json(idc_vae **out, const json_t *j, idc_err *err)
{
    *out = NULL;
    if (!json_is_object(j))
        return idc_err_set(err, IDC_EINVAL, "vae: expected a JSON object");
    const char *model = json_string_value(json_object_get(j, "model"));
    if (model == NULL || strcmp(model, "idcheck.vae") != 0)
        return idc_err_set(err, IDC_EINVAL, "vae.model: expected \"idcheck.vae\"");
    const json_t *fmt = json_object_get(j, "format");
    if (!json_is_integer(fmt) || json_integer_value(fmt) != 1)
        return idc_err_set(err, IDC_EINVAL, "vae.format: expected 1");
    const char *dts = json_string_value(json_object_get(j, "dtype"));
    idc_dtype dt;
    if (dts != NULL && strcmp(dts, "f32") == 0)
        dt = IDC_DTYPE_F32;
    else if (dts != NULL && strcmp(dts, "f64") == 0)
        dt = IDC_DTYPE_F64;
    else
        return idc_err_set(err, IDC_EINVAL, "vae.dtype: expected \"f32\" or \"f64\"");
    const json_t *ini = json_object_get(j, "initialised");
    if (!json_is_boolean(ini))
        return idc_err_set(err, IDC_EINVAL, "vae.initialised: expected a boolean");
    size_t xdim = 0, steps_done = 0;
    idc_vae_config c;
    int rc = get_size(&xdim, j, "vae.", "xdim", SIZE_MAX, err);
    if (rc == IDC_OK)
        rc = get_size(&steps_done, j, "vae.", "steps_done", SIZE_MAX, err);
    if (rc == IDC_OK)
        rc = config_from_json(&c, json_object_get(j, "config"), err);
    if (rc != IDC_OK)
        return rc;
    idc_vae *v = NULL;
    rc = vae_create(&v, &c, xdim, idc_backend_cpu(dt), err);
    if (rc != IDC_OK)
        return rc;
    rc = idc_mlp_set_json(v->enc, json_object_get(j, "encoder"), err);
    if (rc != IDC_OK) {
        idc_err_prefix(err, rc, "vae.encoder.");
        goto fail;
    }
    rc = idc_mlp_set_json(v->dec, json_object_get(j, "decoder"), err);
    if (rc != IDC_OK) {
        idc_err_prefix(err, rc, "vae.decoder.");
        goto fail;
    }
    const json_t *pj = json_object_get(j, "prior");
    size_t J = v->J, n = c.latent_dim;
    if (!json_is_object(pj))
        rc = idc_err_set(err, IDC_EINVAL, "vae.prior: expected an object");
    else if (c.kind == IDC_VAE_KIND_VADE) {
        rc = get_reals(v->prior, J, pj, "logits", err);
        if (rc == IDC_OK)
            rc = get_reals(v->prior + J, J * n, pj, "mean", err);
        if (rc == IDC_OK)
            rc = get_reals(v->prior + J + J * n, J * n, pj, "logvar", err);
    } else if (c.kind == IDC_VAE_KIND_IVAE)
        rc = get_reals(v->prior, J * n, pj, "logvar", err);
    if (rc != IDC_OK)
        goto fail;
    v->steps_done = steps_done;
    v->initialised = v->pretrained = json_is_true(ini);
    *out = v;
    return IDC_OK;

fail:
    idc_vae_free(v);
    return rc;
}
