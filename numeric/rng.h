/* Counter-based random streams (Philox4x32-10 from Random123).
 *
 * A stream is keyed by (run seed, trial index, purpose tag); a draw is a pure
 * function of the stream and its draw index k, so any draw can be recomputed
 * alone, in any order, on any thread count (and, with the same code, in a
 * CUDA kernel).
 *
 * Layout: the Philox key is the 64-bit run seed; the 128-bit counter is
 * (block index lo, block index hi, trial index, purpose tag). Each block
 * yields four 32-bit words, i.e. two 64-bit words.
 *
 *   idc_rng_u64(s, k)     = 64-bit word k % 2 of block k / 2.
 *   idc_rng_uniform(s, k) = (top 53 bits of idc_rng_u64(s, k) + 0.5) * 2^-53,
 *                           a double in the open interval (0, 1).
 *   idc_rng_normal(s, k)  = Box-Muller on block k / 2: with u1, u2 the two
 *                           open-interval uniforms made from its two words,
 *                           r = sqrt(-2 log u1), returns r cos(2 pi u2) for
 *                           even k and r sin(2 pi u2) for odd k.
 */
#ifndef IDC_NUMERIC_RNG_H
#define IDC_NUMERIC_RNG_H

#include <stddef.h>
#include <stdint.h>

/* Purpose tags: one per use of randomness, never reused for another use. */
enum {
    IDC_PURPOSE_COMPONENT = 1, /* which mixture component a sample is from */
    IDC_PURPOSE_LATENT = 2,    /* the standard normal epsilon of z = mu + L eps */
    IDC_PURPOSE_NOISE = 3,     /* observation noise */
    IDC_PURPOSE_AUX = 4,       /* auxiliary variable draws */
    IDC_PURPOSE_GENERATOR = 5, /* random instance generation */
    IDC_PURPOSE_INIT = 6,      /* estimator weight initialisation */
    IDC_PURPOSE_BATCH = 7,     /* minibatch selection */
    IDC_PURPOSE_SPLIT = 8,     /* train/test splits of metrics */
    IDC_PURPOSE_SEARCH = 9,    /* witness searches of the checkers */
    IDC_PURPOSE_REPARAM = 10,  /* reparameterisation noise of variational estimators */
    IDC_PURPOSE_GOF = 11       /* goodness-of-fit tests: model samples, permutations (numeric/mmd.h) */
};

typedef struct {
    uint64_t seed;
    uint32_t trial;
    uint32_t purpose;
} idc_rng;

/* A stream for (seed, trial, purpose). */
idc_rng idc_rng_stream(uint64_t seed, uint32_t trial, uint32_t purpose);

/* Four raw 32-bit words of block b. */
void idc_rng_block(uint32_t out[4], idc_rng s, uint64_t b);

uint64_t idc_rng_u64(idc_rng s, uint64_t k);
double idc_rng_uniform(idc_rng s, uint64_t k);
double idc_rng_normal(idc_rng s, uint64_t k);

/* An integer uniform on {0..n-1} (n >= 1) made from draw k by the
 * multiply-shift (Lemire) map of idc_rng_u64(s, k); the bias is < n / 2^64. */
uint64_t idc_rng_below(idc_rng s, uint64_t k, uint64_t n);

/* Fills out[0..n) with normal draws k0, k0+1, ... */
void idc_rng_normal_fill(double *out, size_t n, idc_rng s, uint64_t k0);

/* A derived 64-bit seed (e.g. for a trial of a property), a pure function of
 * (seed, index): the first 64-bit word of block 0 of purpose tag 0xffffffff. */
uint64_t idc_rng_derive_seed(uint64_t seed, uint32_t index);

#endif
