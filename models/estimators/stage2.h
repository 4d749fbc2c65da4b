/* Stage 2 of the pdGMM estimator (Xu, Lachapelle, Magliacane, §4, App. C):
 * a linear autoencoder on the Stage-1 codes, trained to reconstruct them
 * under a sparsity constraint on its own code, so that by Thm 3.9
 * (THEORY.md X3.9) the new code identifies the latents up to permutation
 * and scaling (PS) when A3.8 holds.
 *
 * Architecture (n = latent_dim, widths w_1..w_k = mult_i * n; reference
 * code: (10, 50, 50, 50, 50, 10)):
 *   encoder  n -> w_1 -> ... -> w_k -> n, dense layers with NO activation,
 *            then batch norm on the n-dim code (learnable gamma, beta);
 *   decoder  n -> w_k -> ... -> w_1 -> n, dense, no activation.
 * Both are affine maps (over-parameterised, as in the reference code).
 *
 * Problem, on minibatches c_1..c_B of Stage-1 codes, z_i = enc(c_i):
 *   minimise   R = 1/(B n) sum_i |dec(z_i) - c_i|^2
 *   subject to G = 1/(B n) sum_i |z_i|_1 - eps <= 0          (eps = 0.01)
 * through the Lagrangian L(theta, lambda) = R + lambda G, lambda >= 0:
 * gradient descent on theta and projected ascent on lambda, both with
 * extra-gradient Adam (models/engine/engine.h: primal lr 1e-4, dual lr 5e-5);
 * every step evaluates the gradients twice (at the current point, then at
 * the extrapolated one). d|z|/dz is taken as sign(z) (0 at 0). No early
 * stopping on ground-truth metrics (the reference code stops at the best
 * MCC against the true latents; we do not look at them).
 *
 * Measured (README): on small synthetic codes (n = 3, sparse latents, a
 * few thousand steps) the constraint is met (with learnable gamma it is
 * met by shrinking the code's scale) but the MCC does not improve over
 * the Stage-1 codes; the paper reports 80000 epochs for Stage 2.
 *
 * Randomness as in Stage 1 (models/estimators/stage1.h): weights from the stream
 * (seed, trial, IDC_PURPOSE_INIT) with tags 3 (encoder) and 4 (decoder);
 * row i of step t's minibatch is idc_rng_below(stream(seed, trial,
 * IDC_PURPOSE_BATCH), 2^40 + t B + i, nrows) (offset from Stage 1's
 * draws). Float on the CPU backend, OpenBLAS pinned to one thread: a fit
 * is a pure function of (config, codes). */
#ifndef IDC_MODELS_STAGE2_H
#define IDC_MODELS_STAGE2_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "models/engine/engine.h"
#include "numeric/status.h"

#define IDC_STAGE2_MAX_HIDDEN 8

typedef struct {
    size_t latent_dim;                    /* n >= 1 */
    size_t nhidden;                       /* 0..8; default 6 */
    size_t mult[IDC_STAGE2_MAX_HIDDEN];   /* hidden width multipliers; default 10,50,50,50,50,10 */
    double lr;                            /* primal learning rate, > 0; default 1e-4 */
    double lr_dual;                       /* dual learning rate, > 0; default 5e-5 */
    double l1_eps;                        /* constraint level eps, >= 0; default 0.01 */
    double lambda0;                       /* initial multiplier, >= 0; default 0 */
    int constrained;                      /* 1 (default): the Lagrangian; 0: the multiplier stays
                                             at lambda0 (no sparsity when 0: X Table 8's ablation) */
    size_t batch;                         /* >= 2; default 6144 */
    size_t steps;                         /* extra-gradient steps per fit; default 80000 (the
                                             paper's App. D.4: Stage 2 needs 80000 epochs) */
    double bn_eps, bn_momentum;           /* default 1e-5, 0.1 */
    int bn_affine;                        /* 1 (default, nn.BatchNorm1d): learnable gamma, beta on
                                             the code; 0: frozen at 1, 0 */
    size_t log_every;                     /* default 250 */
    uint64_t seed;
    uint32_t trial;
    unsigned threads;                     /* CPU threads of fit/encode, 0..64 (0, 1: one): on the
                                             CPU backend, > 1 runs the large operations on a
                                             thread team (idc_backend_cpu_new) with the same
                                             values bit for bit; an execution setting, not
                                             saved; default 1 */
} idc_stage2_config;

void idc_stage2_config_default(idc_stage2_config *c, size_t latent_dim);

/* IDC_OK or IDC_EINVAL naming the field ("stage2.lr_dual: must be > 0"). */
int idc_stage2_config_check(const idc_stage2_config *c, idc_err *err);

typedef struct idc_stage2 idc_stage2;

/* On the CPU backend in float. */
idc_stage2 *idc_stage2_new(const idc_stage2_config *c, idc_err *err);

/* On backend be (float or double; a CUDA table from gpu/cuda.h included):
 * the networks and their optimiser state live there, the multiplier and the
 * L1 term's host round trip (the code and its gradient, B n values per
 * gradient evaluation) in double on the host. be must outlive the model.
 * IDC_EINVAL also for be == NULL. */
idc_stage2 *idc_stage2_new_backend(const idc_stage2_config *c, const idc_backend *be, idc_err *err);
void idc_stage2_free(idc_stage2 *s);

typedef struct {
    double rec;       /* R of the last step (at the extrapolated point) */
    double l1;        /* mean |z| of the last step */
    double lambda;    /* the multiplier after the last step */
} idc_stage2_status;

/* Trains c->steps extra-gradient steps on the n rows of codes (n x
 * latent_dim). trace (may be NULL; ceil(steps / log_every) x 3 entries)
 * receives (R, mean |z|, lambda) every log_every steps; st (may be NULL)
 * the values of the last step. IDC_EINVAL (bad data), IDC_ENOMEM, IDC_EDOM
 * when the loss stops being finite. */
int idc_stage2_fit(idc_stage2 *s, const double *codes, size_t n, double *trace, idc_stage2_status *st,
                   idc_err *err) __attribute__((warn_unused_result));

/* zhat (n x latent_dim) = the encoder in eval mode (batch norm with its
 * running statistics) on the n rows of codes. */
int idc_stage2_encode(idc_stage2 *s, double *zhat, const double *codes, size_t n, idc_err *err)
    __attribute__((warn_unused_result));

/* chat (n x latent_dim) = dec(enc(codes)) in eval mode (the encoder as in
 * idc_stage2_encode): Stage 2's reconstruction of the Stage-1 codes, whose
 * error is its part of REC (THEORY.md §3). chat may alias codes (rows are
 * read in batches before they are written). IDC_EINVAL as for encode. */
int idc_stage2_reconstruct(idc_stage2 *s, double *chat, const double *codes, size_t n, idc_err *err)
    __attribute__((warn_unused_result));

/* {"config", "lambda", "steps_done", "encoder", "decoder"} (weights as in
 * idc_mlp_get_json); NULL when out of memory. */
json_t *idc_stage2_to_json(const idc_stage2 *s);

#endif
