/* Stage 1 of the pdGMM estimator (Xu, Lachapelle, Magliacane, §4 and App. C):
 * an autoencoder whose code is kept near a standard Gaussian, so that by
 * Thm 3.7 (THEORY.md X3.7) the code identifies the latents up to an affine
 * map (AT).
 *
 * Architecture (n = latent_dim, d = xdim, h_1..h_k = hidden widths):
 *   encoder  d -> h_1 -> ... -> h_k -> n, leaky-ReLU(slope) after every
 *            hidden dense layer, then batch norm on the n-dim code
 *            (learnable gamma and beta, PyTorch BatchNorm1d semantics);
 *   decoder  n -> h_k -> ... -> h_1 -> d (the mirror image), leaky-ReLU
 *            after every hidden dense layer, no output normalisation.
 * Paper defaults: k = 4, (h_1..h_4) = (50n, 100n, 100n, 50n), slope 0.02.
 *
 * Loss on a minibatch x_1..x_B (B = batch), with zhat_i = enc(x_i) (batch
 * statistics in the batch norm) and xhat_i = dec(zhat_i):
 *   L = 1/(B d) sum_i |xhat_i - x_i|^2            (PyTorch MSELoss, "mean")
 *     + code_weight / B sum_i (1/2) |zhat_i|^2     (sum over the n coords)
 * The second term is the mean negative log-density of zhat_i under
 * N(0, I_n) without its constant (n/2) log(2 pi): the paper's reference code
 * adds exactly -mean log N(zhat_i; 0, I) to the MSE, so code_weight = 1
 * (the default) is the paper's objective. code_weight = 1/n gives the
 * penalty averaged over the code coordinates instead.
 *
 * Training: Adam (lr 1e-4, beta 0.9 / 0.999, eps 1e-8, bias correction)
 * on encoder and decoder together, `steps` steps of `batch` rows per call
 * of idc_stage1_fit (paper: 5000 steps of 6144 rows).
 *
 * Randomness and reproducibility. Weights come from the stream
 * (seed, trial, IDC_PURPOSE_INIT) by the scheme of idc_mlp_init, the
 * encoder with tag 1 and the decoder with tag 2. Row i (0-based) of the
 * minibatch of global step t (t counts the steps of every fit call on the
 * model, from 0) is row idc_rng_below(stream(seed, trial,
 * IDC_PURPOSE_BATCH), t * batch + i, nrows) of the data: uniform with
 * replacement (the reference code draws a fresh sample every step, which
 * this approximates on a finite data set). The model is computed in float
 * on the CPU backend with OpenBLAS pinned to one thread (fit, encode,
 * reconstruct and loss call idc_blas_set_threads(1), a process-wide setting
 * they leave in place), so a fit is a pure function of (config, data):
 * bit-identical weights on every run on the same machine kind, whatever
 * thread count was set before. Distinct models may be trained at the same
 * time on different threads (each result is that of a sequential run).
 *
 * Eval mode. idc_stage1_encode normalises the code with the batch-norm
 * running statistics, so each row is encoded on its own and the result is
 * a per-coordinate affine image of the train-mode code: what the AT metrics
 * (R^2) need. Note that the code penalty can shrink the variance of the
 * pre-normalisation code below bn_eps, where the running mean lags the
 * Adam-driven drift of the last encoder bias by more than the code's
 * spread; the eval-mode reconstruction (idc_stage1_reconstruct,
 * idc_stage1_loss) can then be much worse than the train-mode loss that
 * fit reports (PyTorch's eval mode has the same semantics).
 */
#ifndef IDC_MODELS_STAGE1_H
#define IDC_MODELS_STAGE1_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "models/engine/engine.h"
#include "numeric/status.h"

#define IDC_STAGE1_MAX_HIDDEN 8
/* On a device backend, idc_stage1_fit reads the loss (a wait for the
 * device) only at trace steps, at the last step and every this many steps;
 * on the CPU at every step. */
#define IDC_STAGE1_CHECK_EVERY 100

typedef struct {
    size_t latent_dim;                    /* n >= 1 */
    size_t nhidden;                       /* hidden layers per network, 0..8; default 4 */
    size_t hidden[IDC_STAGE1_MAX_HIDDEN]; /* absolute widths, encoder order */
    double leaky_slope;                   /* finite, >= 0; default 0.02 */
    double lr;                            /* Adam learning rate, > 0; default 1e-4 */
    double adam_beta1, adam_beta2;        /* in [0, 1); default 0.9, 0.999 */
    double adam_eps;                      /* > 0; default 1e-8 */
    size_t batch;                         /* rows per step, >= 2; default 6144 */
    size_t steps;                         /* steps per fit call; default 5000 */
    double code_weight;                   /* finite, >= 0; default 1 */
    double bn_eps;                        /* > 0; default 1e-5 */
    double bn_momentum;                   /* in [0, 1]; default 0.1 */
    size_t log_every;                     /* loss trace period, 0 = none; default 250 */
    uint64_t seed;                        /* run seed; default 0 */
    uint32_t trial;                       /* trial index; default 0 */
    unsigned blas_threads;                /* CPU threads of fit/encode, 0 or 1 = one: on the
                                             CPU backend, > 1 splits the large operations
                                             over a thread team (idc_backend_cpu_new) with
                                             the same values bit for bit; OpenBLAS runs one
                                             thread either way. An execution setting, not
                                             recorded in the model; default 1 */
} idc_stage1_config;

/* Fills c with the paper's defaults (above) for latent dimension n. */
void idc_stage1_config_default(idc_stage1_config *c, size_t latent_dim);

/* Sets c->nhidden = nhidden and c->hidden[i] = mult[i] * c->latent_dim,
 * e.g. (8, 16, 16, 8) for a small CI network. IDC_EINVAL when nhidden > 8,
 * a multiplier is 0 or a width overflows; c is unchanged then. */
int idc_stage1_config_set_hidden_mult(idc_stage1_config *c, size_t nhidden, const size_t *mult,
                                      idc_err *err);

/* IDC_OK when c is valid for data of dimension xdim, else IDC_EINVAL with a
 * message naming the field ("stage1.batch: must be >= 2 (batch norm needs
 * two rows), got 1"). */
int idc_stage1_config_check(const idc_stage1_config *c, size_t xdim, idc_err *err);

typedef struct idc_stage1 idc_stage1;

/* A Stage-1 model for data of dimension xdim with initial weights drawn as
 * described above; every workspace is allocated here (a step allocates
 * nothing). NULL with err set: IDC_EINVAL (bad config, see
 * idc_stage1_config_check), IDC_ENOMEM. */
idc_stage1 *idc_stage1_new(const idc_stage1_config *c, size_t xdim, idc_err *err);

/* As idc_stage1_new, on backend be (idc_backend_cpu(dt), or a CUDA table
 * from gpu/cuda.h or models/engine/backend_select.h), whose scalar type is the
 * model's. be must outlive the model. The same seed gives the same initial
 * weights and minibatches on every backend; training results agree across
 * backends within rounding (gpu/README.md), and are bit-identical run to
 * run on one backend and machine kind. IDC_EINVAL also for be == NULL. */
idc_stage1 *idc_stage1_new_backend(const idc_stage1_config *c, size_t xdim, const idc_backend *be,
                                   idc_err *err);

/* The backend s runs on. */
const idc_backend *idc_stage1_backend(const idc_stage1 *s);

/* Frees s; NULL is a no-op. */
void idc_stage1_free(idc_stage1 *s);

/* The model's configuration (a copy of the one given to _new). */
const idc_stage1_config *idc_stage1_get_config(const idc_stage1 *s);
size_t idc_stage1_xdim(const idc_stage1 *s);
/* Training steps taken so far over all fit calls. */
uint64_t idc_stage1_steps_done(const idc_stage1 *s);

/* Number of entries idc_stage1_fit writes to loss_trace:
 * ceil(steps / log_every), 0 when log_every = 0. */
size_t idc_stage1_trace_len(const idc_stage1_config *c);

/* Trains s for c->steps more steps on the n rows of x (n x xdim, row-major),
 * continuing the step count (and the minibatch stream) of earlier calls.
 * loss_trace (may be NULL) receives the minibatch loss of every step s
 * with s % log_every == 0 of this call (idc_stage1_trace_len entries);
 * final_loss (may be NULL) the minibatch loss of the last step (NaN when
 * steps = 0). Each value is the loss before that step's update.
 * Returns IDC_EINVAL for x == NULL, n == 0 or an entry of x that is not
 * finite or beyond float range (s unchanged), IDC_ENOMEM when the float
 * copy of x cannot be allocated, IDC_EDOM when the loss stops being finite
 * (training diverged; on the CPU, where the loss is read at every step, s
 * keeps the weights of that step; on a device, where it is read every
 * IDC_STAGE1_CHECK_EVERY steps, of the step it was read at).
 * Cost: about 6 batch (sum of dense layer in x out) flops per step. */
int idc_stage1_fit(idc_stage1 *s, const double *x, size_t n, double *loss_trace,
                   double *final_loss, idc_err *err);

/* zhat (n x latent_dim) = the code of the n rows of x in eval mode (batch
 * norm with its running statistics: each row is encoded independently).
 * zhat must not alias x. IDC_EINVAL as for idc_stage1_fit. */
int idc_stage1_encode(idc_stage1 *s, double *zhat, const double *x, size_t n, idc_err *err);

/* Sets the batch-norm running statistics of the code to the exact
 * population mean and unbiased variance of the pre-normalisation codes of
 * the n rows of x (a "BN recalibration"): afterwards eval mode normalises
 * with the statistics of the data rather than with the running averages,
 * which lag the last Adam steps (the effect described above). Weights are
 * unchanged. IDC_EINVAL as for fit (n >= 2). */
int idc_stage1_recalibrate_bn(idc_stage1 *s, const double *x, size_t n, idc_err *err);

/* xhat (n x xdim) = dec(zhat) for n codes (n x latent_dim): the decoder on
 * its own (it has no batch norm, so there is no train/eval difference).
 * xhat may not alias zhat. IDC_EINVAL for a non-finite code. */
int idc_stage1_decode(idc_stage1 *s, double *xhat, const double *zhat, size_t n, idc_err *err);

/* xhat (n x xdim) = dec(enc(x)) in eval mode; xhat may not alias x. */
int idc_stage1_reconstruct(idc_stage1 *s, double *xhat, const double *x, size_t n,
                           idc_err *err);

/* The two terms of the loss over all n rows of x in eval mode: rec =
 * 1/(n d) sum |xhat - x|^2 (x rounded to the model's scalar type) and
 * code = code_weight / n sum (1/2) |zhat|^2 (either pointer may be NULL).
 * IDC_EINVAL as for idc_stage1_fit. */
int idc_stage1_loss(idc_stage1 *s, const double *x, size_t n, double *rec, double *code,
                    idc_err *err);

/* The model as JSON: {"model": "idcheck.stage1", "format": 1, "dtype":
 * "f32", "xdim", "steps_done", "config": {every field of the config; seed
 * as a "0x..." string}, "encoder": ..., "decoder": ... (idc_mlp_get_json)}.
 * Weights and running statistics round-trip exactly when dumped with
 * JSON_REAL_PRECISION(9) or more. The Adam moments are not saved: a loaded
 * model encodes and reconstructs exactly like the saved one, and further
 * fitting restarts Adam from zero moments. NULL when out of memory or when
 * a weight is not finite. */
json_t *idc_stage1_to_json(const idc_stage1 *s);

/* Builds *out from JSON made by idc_stage1_to_json (the config is checked
 * as by idc_stage1_config_check). IDC_EINVAL with the JSON path in err
 * ("stage1.encoder.layers[2].W: expected 48 numbers, got 47") on any
 * malformed, missing or inconsistent field, IDC_ENOMEM; *out is NULL on
 * failure. */
int idc_stage1_from_json(idc_stage1 **out, const json_t *j, idc_err *err);

#endif
