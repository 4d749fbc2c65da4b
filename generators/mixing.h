/* Random mixing maps for the generators (THEORY.md §1: piecewise-affine f).
 *
 * Kinds (widths m -> n -> ... -> n, n >= m: expanding when n > m):
 *   IDC_MIX_LEAKY  `layers` affine layers, W_i = Q_out diag(s) Q_in^T with
 *                  Haar-random orthonormal factors and singular values from 1
 *                  down to 1/cond (cond(W_i) = cond), biases ~ N(0, bias^2),
 *                  leaky_relu(slope) after every layer but the last (identity).
 *                  Injective by K Cor. H.9 (F4) when slope > 0.
 *   IDC_MIX_ORTH   the map of X §5 as the authors' released code builds it:
 *                  `layers` layers with orthonormal-column W_i (QR of a
 *                  Gaussian matrix; the first n x m, the others n x n), no
 *                  biases, and after every layer but the last (which is
 *                  linear) the bijection x -> max(s_i x, x),
 *                  s_i ~ U(0.5, 1.5) per layer. Note max(s x, x) is x for
 *                  x > 0 and s x for x < 0 only when s < 1; for s > 1 it is
 *                  s x for x > 0 and x for x < 0. It is stored exactly in
 *                  the PA-map format as follows:
 *                  s < 1: max(s x, x) = LReLU_s(x): W_i as drawn, slope s;
 *                  s > 1: max(s x, x) = s LReLU_{1/s}(x) = LReLU_{1/s}(s x)
 *                  (positive homogeneity), so the stored layer is
 *                  W_i' = s W_i (every row scaled by s) with slope 1/s;
 *                  s = 1: identity activation. (The stored doubles s W_i and
 *                  1/s are rounded; the instance means exactly what is stored.)
 *                  Injective by K Cor. H.9.
 *   IDC_MIX_RELU   like LEAKY but ReLU after every layer but the last; not
 *                  injective in general (no F2/F3/F4 claim).
 *   IDC_MIX_SMOOTH like LEAKY with the smooth leaky ReLU
 *                  a x + (1 - a) softplus(x) (a = slope), and
 *   IDC_MIX_SIGMOID like LEAKY with the sigmoid: misspecified maps that are
 *                  NOT piecewise affine (X App. E.1); F1 fails for them.
 * Every draw comes from stream s starting at draw index *k (advanced). */
#ifndef IDC_GENERATORS_MIXING_H
#define IDC_GENERATORS_MIXING_H

#include <stddef.h>
#include <stdint.h>

#include "models/pamap.h"
#include "numeric/rng.h"
#include "numeric/status.h"

typedef enum {
    IDC_MIX_LEAKY = 0,
    IDC_MIX_ORTH = 1,
    IDC_MIX_RELU = 2,
    IDC_MIX_SMOOTH = 3,
    IDC_MIX_SIGMOID = 4
} idc_mix_kind;

/* The words of the `mix` parameter, in enum order. */
#define IDC_MIX_CHOICES "leaky|orth|relu|smooth|sigmoid"

typedef struct {
    idc_mix_kind kind;
    size_t m, n;   /* input and output widths, 1 <= m <= n */
    size_t layers; /* >= 1 */
    double slope;  /* LEAKY: hidden slope (> 0 for injectivity) */
    double cond;   /* LEAKY, RELU: condition number of every W_i, >= 1 */
    double bias;   /* LEAKY, RELU: std of the biases */
} idc_mix_params;

/* Default number of layers of a kind: 10 (orth), 2 (the others). */
size_t idc_mix_default_layers(idc_mix_kind kind);

/* Fills f (initialised, empty) with a random map of kind p->kind.
 * IDC_EINVAL naming the parameter (--n, --layers, --cond) on bad sizes. */
int idc_gen_mix(idc_pamap *f, const idc_mix_params *p, idc_rng s, uint64_t *k, idc_err *err)
    __attribute__((warn_unused_result));

/* 1 when maps of this kind are injective by construction (K Cor. H.9):
 * LEAKY with slope > 0, ORTH. */
int idc_mix_injective(const idc_mix_params *p);

/* 1 when maps of this kind are piecewise affine (all but SMOOTH, SIGMOID). */
int idc_mix_pa(const idc_mix_params *p);

#endif
