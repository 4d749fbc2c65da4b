/* Sampling an instance with counter-based streams (numeric/rng.h).
 *
 * Sample i (0-based) of run (seed, trial) is a pure function of (seed, trial,
 * i), so samples can be drawn in any order or in parallel:
 *   label_i = component chosen by inverse CDF of the normalised weights at
 *             idc_rng_uniform(stream(seed, trial, COMPONENT), i)
 *   z_i     = mu_j + L_j eps, eps_t = idc_rng_normal(stream(.., LATENT), i*m + t)
 *             (t < r_j; a degenerate component lands exactly on mu_j + col L_j
 *             up to the rounding of the float product). For a non-Gaussian
 *             model.family the same draw positions give uniforms
 *             u_t = idc_rng_uniform(stream(.., LATENT), i*m + t) in (0, 1)
 *             (word (i*m+t) % 2 of block (i*m+t) / 2, where the Gaussian
 *             sampler runs Box-Muller on that block) and, by the inverse CDF,
 *               exponential  eps_t = -log(u_t) - 1
 *               gumbel       eps_t = (-log(-log u_t) - gamma) * sqrt(6) / pi
 *               uniform      eps_t = sqrt(3) * (2 u_t - 1)
 *             (gamma = 0.5772156649015329, Euler's constant): mean 0,
 *             variance 1, so z_i has mean mu_j and covariance Sigma_j.
 *   x_i     = f(z_i) + sigma * idc_rng_normal(stream(.., NOISE), i*n + t)
 *   u_i     = label_i when the instance has aux kind "label".
 */
#ifndef IDC_MODELS_SAMPLE_H
#define IDC_MODELS_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "models/instance.h"
#include "numeric/status.h"

typedef struct {
    size_t n;      /* number of samples */
    size_t zdim;   /* m */
    size_t xdim;   /* n_x */
    double *z;     /* n x zdim row-major */
    double *x;     /* n x xdim row-major */
    int32_t *label; /* n component labels (0-based) */
    int has_u;     /* 1 when u was drawn */
    double *u;     /* n (u = label) or NULL */
} idc_samples;

void idc_samples_init(idc_samples *s);
void idc_samples_clear(idc_samples *s);

/* Draws n samples of inst for (seed, trial). nthreads >= 1 worker threads;
 * the result does not depend on nthreads. */
int idc_sample_draw(idc_samples *out, const idc_instance *inst, size_t n, uint64_t seed,
                    uint32_t trial, unsigned nthreads, idc_err *err);

#endif
