/* The exact-likelihood flow estimator for the square, noiseless,
 * non-degenerate case (THEORY.md §8; Kivva et al.'s class EST-K).
 *
 * Model. An encoder g = A_t o s o A_{t-1} o ... o s o A_1 on R^m, every
 * A_k(u) = V_k u + c_k square and invertible, s the leaky-ReLU with slope
 * b > 0, b != 1, and a latent GMM P^ with J' components. The model's law of x
 * is that of g^-1(Z^), Z^ ~ P^; g^-1 is again a leaky-ReLU MLP (slope 1/b),
 * so the model is in K's class: a non-degenerate GMM through a continuous
 * injective piecewise affine map. Its exact log-likelihood is
 *   log p^(x) = log p_P^(g(x)) + sum_k log |det V_k| + log(b) #{neg(x)},
 * #{neg(x)} the number of hidden pre-activations V_k u + c_k (k < t) that
 * are < 0.
 *
 * Parametrisation (invertible by construction, log|det| cheap):
 *   V_k = P_k L_k U_k, P_k a permutation fixed at initialisation (from an
 *   LU factorisation with partial pivoting of the initial V_k), L_k unit
 *   lower triangular (free strictly-lower entries), U_k upper triangular
 *   with diagonal sign_k,i exp(s_k,i) (sign fixed at initialisation, s
 *   free), so log |det V_k| = sum_i s_k,i.
 *   GMM: mean mu_j; Sigma_j = C_j C_j^T + floor I (C_j lower triangular,
 *   free), so Sigma_j >= floor I (the finite-sample GMM likelihood is
 *   unbounded without a floor); weights lambda_j = wfloor + (1 - J' wfloor)
 *   softmax(a)_j.
 *
 * Loss: the exact mean negative log-likelihood of the training rows. Its
 * term -log(b) #{neg} is piecewise constant in the parameters: its pointwise
 * gradient is zero although its expectation over the data moves as data
 * cross the kinks. Trained on the pointwise gradient alone, every hidden
 * unit drifts to all-negative pre-activations (g becomes affine on the
 * data). The gradient therefore uses a straight-through count: the value is
 * the exact count, the gradient that of sum sigmoid(-y / tau) with
 * tau = bw * spread(unit), spread = the unit's pre-activation standard
 * deviation (measured at each validation evaluation), bw shrinking
 * geometrically from bw0 to bw1 during training. The smoothed count's
 * gradient is biased (it is not the gradient of the exact loss), so the
 * bandwidth must vanish near convergence: with the prototype's 0.1 -> 0.02 a
 * warm start stalls at a KL gap of ~0.02 nats (m = 3, measured), with
 * 0.1 -> 1e-4 it reaches ~0.0015, the sampling floor. Reported losses are
 * always exact.
 *
 * Optimiser: Adam (models/engine/engine.h's idc_adam on the double CPU table) with the
 * learning rate decayed by a cosine from lr to lr_final; every eval_every
 * steps the exact mean NLL of the validation rows is computed and the
 * parameters with the best one are kept (and restored at the end), so the
 * fit never ends worse, on held-out data, than where it started.
 *
 * Starts: IDC_FLOW_INIT_RANDOM (cold: V_1 whitens the training data,
 * later V_k random orthogonal, biases 0; with cold_kinks (default) the rows
 * of every hidden layer that the kink search (models/estimators/kinks.h)
 * finds are put on the hyperplanes across which the data's density jumps,
 * scaled to unit spread, then made the start's by likelihood (the mean
 * log-likelihood of EM on the layer's output plus its log|det| terms):
 * each unit's negative side the best of the 2^found sign patterns (the
 * search's own orientation is wrong now and then, and a flipped unit is
 * outside the class), then each hyperplane's offset and angles moved by a
 * coordinate search (models/estimators/flow.c, place_kinks); then EM on
 * g(x) for the GMM; the data only, never
 * the truth: the global question) and IDC_FLOW_INIT_PERTURBED (warm: the true model
 * of a square leaky instance re-parametrised by a random invertible affine
 * map h, P^ = h#P, g = h o f^-1, an exact zero-KL member of the class, then
 * every parameter perturbed by relative noise eps: V_k and the factors of
 * Sigma_j multiplied on the right by I + eps Xi / sqrt(m), biases and means
 * moved by eps times their scale, logits by eps; a local probe).
 *
 * Determinism: every sum over rows is taken over fixed blocks of 256 rows
 * (each block's partial sums in double, row order), and the block partials
 * are added in block order, so a fit is a pure function of (data, config)
 * for any thread count. Everything is double precision on the CPU; at the
 * small widths of this estimator (m <= 32) per-row loops beat GEMM calls.
 *
 * Devices: config.device = IDC_DEVICE_CUDA runs the row sums of every
 * gradient and evaluation on a GPU (gpu/cuda.h, idc_gpu_flow_sums); Adam,
 * the schedules, EM and everything else stay on the host. The per-row
 * arithmetic is one text for both (models/estimators/flow_row.h), the
 * device adds the rows of each 256-row block in row order and the host adds
 * the block sums in block order, as on the CPU, with FMA contraction off on
 * both. So the device's sums equal the CPU's except where the device's exp
 * and log (per row: 2 J' + 1, and one per hidden unit for the
 * straight-through gradient) round differently from glibc's, which moves a
 * sum in its last bits; a device fit is deterministic run to run on one GPU
 * model and toolkit, and follows the CPU's fit to rounding. Written and
 * compiled, never run on a GPU (gpu/README.md); the device test
 * (gpu/tests/test_cuda_backend.c) compares the two.
 */
#ifndef IDC_MODELS_FLOW_H
#define IDC_MODELS_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "models/engine/backend_select.h"
#include "models/instance.h"
#include "numeric/status.h"

#define IDC_FLOW_MAX_DIM 32
#define IDC_FLOW_MAX_DEPTH 16
#define IDC_FLOW_MAX_J 64

typedef enum { IDC_FLOW_INIT_RANDOM = 0, IDC_FLOW_INIT_PERTURBED = 1 } idc_flow_init;

typedef struct {
    size_t m;           /* dimension (m = n) */
    size_t depth;       /* affine layers t >= 1 (t - 1 leaky activations) */
    double slope;       /* leaky slope b > 0, != 1 */
    size_t J;           /* GMM components J' */
    double cov_floor;   /* floor c of Sigma_j >= c I, > 0 */
    double weight_floor; /* wfloor, in [0, 1 / J) */
    idc_flow_init init;
    double eps;         /* IDC_FLOW_INIT_PERTURBED: relative perturbation >= 0 */
    size_t steps;       /* Adam steps */
    size_t batch;       /* rows per step; 0 = all training rows */
    double lr, lr_final; /* cosine decay from lr to lr_final */
    double bw0, bw1;    /* straight-through bandwidth schedule (fractions of the spread);
                           bw1 = 0 keeps bw0 */
    int straight_through; /* 1 (default); 0: pointwise gradient only (for the test of the pitfall) */
    size_t eval_every;  /* steps between validation evaluations (>= 1) */
    int keep_best;      /* 1 (default): end at the parameters with the best validation NLL;
                           0: end where the last step left them */
    double slope_anneal; /* in [0, 1): the fraction of the steps over which the slope moves
                           linearly from 1 (an affine flow) to `slope`; 0 = off. Checkpoints
                           are taken only at the final slope */
    size_t em_restarts; /* IDC_FLOW_INIT_RANDOM: EM restarts */
    int cold_kinks;     /* IDC_FLOW_INIT_RANDOM: 1 = hidden layers on the hyperplanes of the kink
                           search (models/estimators/kinks.h; the data only), the rows it does not
                           find random; 0 = random orthogonal hidden layers */
    size_t prior_em;    /* EM passes on the prior with the encoder fixed, on the kept
                           checkpoint at the end of a fit, kept only when the exact validation
                           NLL does not rise (0 = none). (Not at a perturbed-truth start: fitted
                           to the perturbed encoder, the prior locks its error in; measured on
                           K3.9c trial 12, 4 restarts: 0.0088 nats without, 0.21 with.) */
    size_t prior_em_every; /* > 0: also during training, every prior_em_every validation
                              evaluations (same acceptance rule); 0 = only at the end */
    unsigned threads;   /* CPU threads (results do not depend on it) */
    double max_seconds; /* > 0: stop after this much time (the fitting thread's CPU time when
                           threads = 1, wall time otherwise), and run the learning-rate,
                           bandwidth and slope schedules by the larger of the step and the
                           time fractions (then the result depends on timing) */
    uint64_t seed;      /* init, perturbation and minibatch streams */
    uint32_t trial;
    idc_device device;  /* IDC_DEVICE_CPU (default) or IDC_DEVICE_CUDA: where the row sums of the
                           gradient and evaluation passes run (see "Devices" above); resolve auto
                           first with idc_device_resolve (models/engine/backend_select.h) */
} idc_flow_config;

/* Defaults for dimension m: depth 2, slope 0.2, J 3, cov_floor 1e-4,
 * weight_floor 1e-3, init random, eps 0.1, steps 2000, batch 0 (full),
 * lr 1e-2, lr_final 1e-4, bw0 0.1, bw1 1e-4, straight_through 1,
 * eval_every 25, keep_best 1, slope_anneal 0, em_restarts 3, cold_kinks 1, prior_em 50, prior_em_every 0, threads 1, max_seconds 0, seed 1, trial 0,
 * device cpu. */
void idc_flow_config_default(idc_flow_config *c, size_t m);

/* Checks c (one line naming the field; IDC_EINVAL). */
int idc_flow_config_check(const idc_flow_config *c, idc_err *err);

typedef struct idc_flow idc_flow;

/* An initialised flow. x (n x m) are the training rows (the cold start
 * whitens them and runs EM on their codes); truth is the true instance
 * (needed for IDC_FLOW_INIT_PERTURBED, may be NULL otherwise; must then be a
 * square noiseless leaky instance with a non-degenerate Gaussian prior of
 * c->J components, depth c->depth, IDC_EDOM otherwise). NULL with err set:
 * IDC_EINVAL (config; c->device = cuda without a usable device: "flow.device
 * cuda: <why>"), IDC_EDOM, IDC_EUNABLE (EM failed), IDC_ENOMEM, IDC_EIO (a
 * device call failed). */
idc_flow *idc_flow_new(const idc_flow_config *c, const double *x, size_t n, const idc_instance *truth, idc_err *err);

void idc_flow_free(idc_flow *f);

const idc_flow_config *idc_flow_get_config(const idc_flow *f);

/* Replaces the training settings of f (steps, batch, lr, lr_final, bw0,
 * bw1, straight_through, eval_every, keep_best, slope_anneal, max_seconds,
 * threads' count is kept) with c's, e.g. to continue the best of several
 * short starts with the full schedule. IDC_EINVAL when c is invalid or its
 * model (m, depth, slope, J, floors) differs from f's. */
int idc_flow_set_training(idc_flow *f, const idc_flow_config *c, idc_err *err);

typedef struct {
    double train_nll;    /* exact mean NLL of the training rows at the end */
    double val_nll;      /* exact mean NLL of the validation rows (best kept) */
    double init_val_nll; /* ... at the start */
    size_t steps;        /* steps taken */
    size_t best_step;    /* the step whose parameters were kept */
    double seconds;      /* on the budget clock (max_seconds): CPU seconds when threads = 1 */
    double neg_fraction; /* fraction of negative hidden pre-activations on the validation rows */
    double em_gain;      /* exact validation NLL gained by the final prior EM (config.prior_em) */
    size_t em_rounds;    /* prior EM rounds kept during training (prior_em_every) */
    json_t *trace;       /* [[step, exact val NLL, bw], ...] (owned) */
} idc_flow_fit_result;

void idc_flow_fit_result_clear(idc_flow_fit_result *r);

/* Trains f on the n x m training rows x, selecting parameters by the exact
 * NLL of the nv x m validation rows xv (nv >= 1). IDC_OK, IDC_EINVAL,
 * IDC_ENOMEM, or IDC_EUNABLE when the loss became non-finite; on a device
 * also IDC_EIO (a CUDA call failed: "flow (--device cuda): gpu flow: ..."). */
int idc_flow_fit(idc_flow *f, idc_flow_fit_result *res, const double *x, size_t n, const double *xv, size_t nv,
                 idc_err *err) __attribute__((warn_unused_result));

/* out (n) = the exact log p^(x_i). */
void idc_flow_logpdf(const idc_flow *f, double *out, const double *x, size_t n);

/* zhat (n x m) = g(x). */
void idc_flow_encode(const idc_flow *f, double *zhat, const double *x, size_t n);

/* Mean exact NLL of the rows and, when grad is not NULL, its gradient in
 * the flat parameter vector (idc_flow_nparams doubles), with the
 * straight-through count at bandwidth bw (bw = 0: the pointwise gradient).
 * For the gradient checks. */
double idc_flow_loss(idc_flow *f, double *grad, const double *x, size_t n, double bw);

/* The flat parameter vector: per layer k the strictly-lower L entries
 * (row-major), the strictly-upper U entries (row-major), s, c; then per
 * component mu_j, the lower triangle of C_j (row-major), a_j. */
size_t idc_flow_nparams(const idc_flow *f);
/* Seconds idc_flow_new spent on the start (EM, the kink search), on the
 * budget's clock (the thread's CPU time when threads = 1). */
double idc_flow_init_seconds(const idc_flow *f);
void idc_flow_get_params(const idc_flow *f, double *theta);
void idc_flow_set_params(idc_flow *f, const double *theta);

/* The fitted prior: weights (J), means (J x m), covariances (J x m x m). */
void idc_flow_get_prior(const idc_flow *f, double *w, double *mu, double *cov);

/* The fitted model as an instance: prior P^ (factor form, L_j the Cholesky
 * factor of Sigma_j) and map f^ = g^-1, a leaky-ReLU MLP with square layers
 * W = V_k^-1 (with the sign flips that give it slope min(b, 1/b)), noise 0.
 * out is initialised by the call. IDC_ENOMEM; IDC_EUNABLE if a V_k^-1 is
 * not finite. */
int idc_flow_get_instance(const idc_flow *f, idc_instance *out, idc_err *err);

/* The model as JSON: {"m", "depth", "slope", "J", "layers": [{"V", "c"}],
 * "prior": {"weights", "means", "covs"}}. */
json_t *idc_flow_get_json(const idc_flow *f);

#endif
