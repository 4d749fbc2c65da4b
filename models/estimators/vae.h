/* Variational autoencoders with three priors, one estimator family
 * (THEORY.md §4: VaDE for Kivva et al. K3.9/K3.10, iVAE for Khemakhem et
 * al. I1-I3, a plain VAE as the baseline of both papers):
 *
 *   IDC_VAE_KIND_VAE   p(z) = N(0, I_n), fixed;
 *   IDC_VAE_KIND_IVAE  p(z | u) = N(0, diag exp(lambda_u)), u in 0..J-1 an
 *                      observed label per row, lambda a learnable J x n
 *                      table of log-variances (Khemakhem et al. §5 data:
 *                      zero-mean segments with per-segment variances);
 *   IDC_VAE_KIND_VADE  p(z) = sum_c pi_c N(mu_c, diag sigma_c^2), a
 *                      learnable J-component diagonal Gaussian mixture (Jiang
 *                      et al., VaDE; the estimator Kivva et al. App. J use).
 *
 * Architecture (n = latent_dim, d = xdim, h_1..h_k = hidden widths):
 *   encoder  d -> h_1 -> ... -> h_k -> 2n, leaky-ReLU(slope) after every
 *            hidden dense layer; output row = (mu (n), logvar (n)) of
 *            q(z | x) = N(mu, diag exp(logvar)). The encoder sees x only,
 *            also for the iVAE (Khemakhem et al. use q(z | x, u)); so one
 *            encoder serves the three kinds and encoding needs no labels.
 *   decoder  n -> h_k -> ... -> h_1 -> d (mirror image), leaky-ReLU after
 *            every hidden dense layer; xhat = dec(z) is the mean of the
 *            Gaussian decoder p(x | z) = N(xhat, s^2 I_d) with s^2 fixed
 *            (noise_var; default 0.01, the value of Khemakhem et al. §5).
 *
 * Objective. For a minibatch x_1..x_B, eps_i standard normal (n),
 * z_i = mu_i + exp(logvar_i / 2) * eps_i and xhat_i = dec(z_i), fit
 * minimises the negative single-sample ELBO in nats per row, constants
 * included:
 *   L = 1/B sum_i [ |x_i - xhat_i|^2 / (2 s^2) + (d/2) log(2 pi s^2) + K_i ]
 * with K_i the prior term, in closed form given (mu_i, logvar_i) (and z_i
 * for VaDE); writing v = logvar_i, m = mu_i and sums over j = 1..n:
 *   VAE   K = 1/2 sum_j (m_j^2 + e^{v_j} - 1 - v_j)        = KL(q || N(0, I))
 *   iVAE  K = 1/2 sum_j (l_j + (e^{v_j} + m_j^2) e^{-l_j} - 1 - v_j),
 *         l = lambda_{u_i}                                 = KL(q || p(.|u_i))
 *   VaDE  K = 1/2 sum_c g_c sum_j (w_cj + e^{v_j - w_cj} + (m_j - mu_cj)^2 e^{-w_cj})
 *             + sum_c g_c (log g_c - log pi_c) - 1/2 sum_j (1 + v_j),
 *         pi = softmax(logits), w_cj = log sigma_cj^2, and
 *         g = softmax_c(log pi_c + log N(z_i; mu_c, diag e^{w_c})): the
 *         VaDE posterior q(c | x) evaluated at the sampled z_i.
 * (The VaDE line is the negative of the VaDE closed form given q(c|x) = g;
 * its Gaussian constants cancel; it is a valid bound for any g.) x enters
 * the residual as given (double), also for the float networks, whose input
 * is x rounded to float. Gradients are the exact gradients of L
 * as a function of every parameter with eps held fixed: through the
 * reparameterisation, through both networks (idc_mlp_backward) and, for
 * VaDE, through g as well (g depends on z_i and on the prior; nothing is a
 * stop-gradient). The prior terms and the host-side chain rule are
 * evaluated in double.
 *
 * Training. Adam (lr, beta1, beta2, eps; one configuration) on encoder,
 * decoder and the prior parameters together; the prior parameters live in
 * double (the float64 CPU backend's memory is host memory). Prior
 * parameters at _new: VaDE logits 0, log variances 0, means mu_cj = draw
 * 3 * 2^48 + c n + j of the INIT stream (normal); iVAE log variances 0.
 * On the first fit call only, before the first ELBO step:
 *   pretraining  pretrain_steps steps of Adam (own moments, discarded
 *                afterwards) on the plain autoencoder loss
 *                1/B sum_i |x_i - dec(mu_i)|^2 / (2 s^2) (VaDE's pretraining);
 *   GMM init     (VaDE with gmm_init) idc_gmm_fit (numeric/gmm_em.h, default
 *                options, seed idc_rng_derive_seed(seed, trial)) of J
 *                components to the encoder means of all rows; logits =
 *                log weights, means, log variances = log of the covariance
 *                diagonals. Needs at least J rows.
 *
 * Randomness and reproducibility. Streams (seed, trial, purpose):
 *   INIT      encoder weights tag 1, decoder tag 2 (idc_mlp_init), VaDE
 *             prior means as above;
 *   BATCH     row i of the minibatch of ELBO step t (t counts the steps of
 *             every fit call on the model, from 0) is row
 *             idc_rng_below(BATCH, t B + i, N) of the data, and of
 *             pretraining step t row idc_rng_below(BATCH, 2^63 + t B + i, N);
 *   IDC_VAE_PURPOSE_EPS  eps_ij of ELBO step t is
 *             idc_rng_normal(EPS, (t B + i) n + j).
 * Networks compute in float on the CPU backend with OpenBLAS pinned to one
 * thread (fit, encode and the evaluation calls set idc_blas_set_threads(1),
 * a process-wide setting they leave in place); everything else is
 * sequential double arithmetic. So a fit is a pure function of (config,
 * data, labels): bit-identical on every run on one machine kind, whatever
 * thread count was set before. Models may be trained concurrently on
 * different threads.
 */
#ifndef IDC_MODELS_VAE_H
#define IDC_MODELS_VAE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "models/engine/engine.h"
#include "numeric/rng.h"
#include "numeric/status.h"

#define IDC_VAE_MAX_HIDDEN 8

/* Purpose tag of the reparameterisation stream (not IDC_PURPOSE_LATENT: the
 * instance sampler uses it with the same seed in the pipelines). */
#define IDC_VAE_PURPOSE_EPS ((uint32_t)IDC_PURPOSE_REPARAM)

typedef enum { IDC_VAE_KIND_VAE = 0, IDC_VAE_KIND_IVAE = 1, IDC_VAE_KIND_VADE = 2 } idc_vae_kind;

/* "vae", "ivae", "vade"; "?" for other values. */
const char *idc_vae_kind_name(idc_vae_kind k);
/* The kind named s (one of the names above) into *k; IDC_EINVAL otherwise. */
int idc_vae_kind_parse(idc_vae_kind *k, const char *s, idc_err *err);

typedef struct {
    idc_vae_kind kind;
    size_t latent_dim;                 /* n >= 1 */
    size_t ncomp;                      /* J: VaDE components, iVAE labels (>= 1); VAE: ignored */
    size_t nhidden;                    /* hidden layers per network, 0..8 */
    size_t hidden[IDC_VAE_MAX_HIDDEN]; /* absolute widths, encoder order */
    double leaky_slope;                /* finite, >= 0 */
    double lr;                         /* Adam learning rate, > 0; default 1e-3 */
    double adam_beta1, adam_beta2;     /* in [0, 1); default 0.9, 0.999 */
    double adam_eps;                   /* > 0; default 1e-8 */
    size_t batch;                      /* rows per step, >= 1 */
    size_t steps;                      /* ELBO steps per fit call */
    double noise_var;                  /* s^2 of the decoder, finite, > 0; default 0.01 */
    size_t pretrain_steps;             /* autoencoder steps before the first ELBO step */
    int gmm_init;                      /* VaDE: GMM-initialise the prior (0 / 1) */
    size_t log_every;                  /* loss trace period, 0 = none; default 100 */
    uint64_t seed;                     /* run seed; default 0 */
    uint32_t trial;                    /* trial index; default 0 */
} idc_vae_config;

/* Defaults for kind k, latent dimension n and J components / labels:
 * hidden (64, 512, 64) (Kivva et al. App. J.3.2's encoder; the decoder
 * mirrors it), lr 1e-3, Adam 0.9 / 0.999 / 1e-8, noise_var 0.01,
 * log_every 100, seed 0, trial 0, and
 *   VaDE       slope 0.01 (PyTorch's LeakyReLU), batch 100, steps 1000,
 *              pretrain_steps 750, gmm_init 1 (15 + 20 epochs of 5000 rows);
 *   iVAE, VAE  slope 0.1, batch 64, steps 5000, pretrain_steps 0, gmm_init 0.
 * VAE gets ncomp = 1 whatever J is. */
void idc_vae_config_default(idc_vae_config *c, idc_vae_kind k, size_t latent_dim, size_t ncomp);

/* IDC_OK when c is valid for data of dimension xdim, else IDC_EINVAL with a
 * message naming the field ("vae.batch: must be >= 1, got 0"). */
int idc_vae_config_check(const idc_vae_config *c, size_t xdim, idc_err *err);

/* Entries of the loss trace of one fit call: ceil(steps / log_every), 0
 * when log_every = 0. */
size_t idc_vae_trace_len(const idc_vae_config *c);

typedef struct idc_vae idc_vae;

/* A model for data of dimension xdim, initialised as described above, every
 * workspace allocated here. NULL with err set: IDC_EINVAL (bad config),
 * IDC_ENOMEM. */
idc_vae *idc_vae_new(const idc_vae_config *c, size_t xdim, idc_err *err);

/* As idc_vae_new with networks on the CPU backend of scalar type dt
 * (IDC_DTYPE_F64 runs them in double, for gradient checks). */
idc_vae *idc_vae_new_dtype(const idc_vae_config *c, size_t xdim, idc_dtype dt, idc_err *err);

/* As idc_vae_new with the networks on backend be (a CUDA table from
 * gpu/cuda.h included); the prior parameters and the host-side chain rule
 * stay in double on the host. be must outlive the model; IDC_EINVAL also
 * for be == NULL. */
idc_vae *idc_vae_new_backend(const idc_vae_config *c, size_t xdim, const idc_backend *be, idc_err *err);

/* Frees v; NULL is a no-op. */
void idc_vae_free(idc_vae *v);

/* The model's configuration: the one given to _new with hidden[i] = 0 for
 * i >= nhidden and, for the VAE, ncomp = 1. */
const idc_vae_config *idc_vae_get_config(const idc_vae *v);
size_t idc_vae_xdim(const idc_vae *v);
/* ELBO steps taken so far over all fit calls (pretraining not counted). */
uint64_t idc_vae_steps_done(const idc_vae *v);

/* Trains v for c->steps more ELBO steps on the N rows of x (N x xdim,
 * row-major), preceded on the first call by pretraining and GMM init.
 * u (N labels in 0..J-1) is required for the iVAE and ignored otherwise
 * (may be NULL). loss_trace (may be NULL) receives L of every step s with
 * s % log_every == 0 of this call (idc_vae_trace_len entries), final_loss
 * (may be NULL) L of the last step (NaN when steps = 0); each value is the
 * minibatch loss before that step's update. IDC_EINVAL for x == NULL,
 * N == 0, an entry of x not finite or beyond float range, a missing or
 * out-of-range label, N < J with GMM init pending (v unchanged then);
 * IDC_EDOM when the loss (or the pretraining loss) stops being finite (v
 * keeps that step's weights); IDC_EUNABLE / IDC_ENOMEM from the GMM init
 * (v keeps its pretrained weights; a later call retries the GMM init
 * without pretraining again), IDC_ENOMEM.
 * Cost per step: about 6 B (sum of dense in x out) flops, plus O(B J n)
 * for VaDE. */
int idc_vae_fit(idc_vae *v, const double *x, size_t N, const size_t *u, double *loss_trace,
                double *final_loss, idc_err *err);

/* zhat (N x n) = the encoder mean mu(x) of the N rows of x (the code the
 * identifiability metrics score). zhat must not alias x. IDC_EINVAL as for
 * fit. */
int idc_vae_encode(idc_vae *v, double *zhat, const double *x, size_t N, idc_err *err);

/* xhat (N x xdim) = the decoder mean at the encoder mean, dec(mu(x)), of
 * the N rows of x: the reconstruction whose error is REC (THEORY.md §3).
 * xhat may alias x. IDC_EINVAL as for fit (or xhat NULL). */
int idc_vae_reconstruct(idc_vae *v, double *xhat, const double *x, size_t N, idc_err *err);

/* VaDE only: gamma (N x J) = q(c | x) of each row, evaluated at z = mu(x)
 * (deterministic; training uses the sampled z). IDC_EINVAL for another
 * kind or as for fit. */
int idc_vae_cluster_probs(idc_vae *v, double *gamma, const double *x, size_t N, idc_err *err);

/* Number of prior components: J for VaDE and iVAE, 1 for the VAE. */
size_t idc_vae_prior_ncomp(const idc_vae *v);

/* The current prior, each pointer may be NULL: weight (ncomp) = pi (VaDE),
 * 1 (VAE), NaN (iVAE: p(u) is not modelled); mean (ncomp x n) = mu_c
 * (VaDE), 0 otherwise; var (ncomp x n) = sigma_c^2 (VaDE), exp(lambda_u)
 * (iVAE, row u), 1 (VAE). */
void idc_vae_get_prior(const idc_vae *v, double *weight, double *mean, double *var);

/* The model as JSON: {"model": "idcheck.vae", "format": 1, "kind", "dtype",
 * "xdim", "steps_done", "initialised" (pretraining / GMM init done),
 * "config": {every config field; seed as "0x..."}, "encoder", "decoder"
 * (idc_mlp_get_json), "prior": {"weight", "mean", "var" as
 * idc_vae_get_prior (iVAE without "weight"), and the raw parameters
 * "logits" (VaDE), "logvar" (VaDE, iVAE)}}. Weights and prior round-trip
 * exactly when dumped with JSON_REAL_PRECISION(17) (9 suffices for the
 * float networks, not for the double prior). NULL when out of memory or a
 * value is not finite. */
json_t *idc_vae_to_json(const idc_vae *v);

/* Builds *out from JSON made by idc_vae_to_json (config checked as by
 * idc_vae_config_check; the prior from its raw parameters "logits", "mean",
 * "logvar"). Adam moments are not saved: a loaded model encodes exactly
 * like the saved one, and further fitting restarts Adam from zero moments
 * (without pretraining or GMM init when "initialised" is true).
 * IDC_EINVAL with the JSON path in err ("vae.decoder.layers[2].W: expected
 * 48 numbers, got 47") on any malformed, missing or inconsistent field,
 * IDC_ENOMEM; *out is NULL on failure. */
int idc_vae_from_json(idc_vae **out, const json_t *j, idc_err *err);

/* ---------------------------------------------------------------------- */
/* Internals for tests and tools (not a stable API)                        */

idc_mlp *idc_vae_encoder(idc_vae *v);
idc_mlp *idc_vae_decoder(idc_vae *v);

/* All learnable parameters: encoder, decoder, then the prior's (VaDE:
 * logits (J), means (J x n), log variances (J x n); iVAE: log variances
 * (J x n); VAE: none). */
size_t idc_vae_nparams(const idc_vae *v);
size_t idc_vae_nprior(const idc_vae *v);
void idc_vae_get_params(const idc_vae *v, double *p);
void idc_vae_set_params(idc_vae *v, const double *p);

/* L of the rows xb (rows x xdim, 1 <= rows <= batch), labels ub (iVAE;
 * else may be NULL) and the given eps (rows x n), no sampling, no update:
 * *loss = L (may be NULL), grad (nparams, may be NULL) = dL/dparams in the
 * order of idc_vae_get_params. IDC_EINVAL for bad rows, data or labels. */
int idc_vae_loss_grad(idc_vae *v, const double *xb, const size_t *ub, size_t rows, const double *eps,
                      double *loss, double *grad, idc_err *err);

#endif
