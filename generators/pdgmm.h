/* Generator "pdgmm": a random (potentially degenerate) GMM latent pushed
 * through a random injective-by-construction leaky-ReLU MLP.
 *
 * The instance is a pure function of (params, seed): every draw comes from
 * the Philox stream (seed, 0, IDC_PURPOSE_GENERATOR) with a running draw
 * index. Structure is declared exactly (CERTIFICATES.md §7): the latent model
 * uses the identity frame with translation 0, each component a coordinate
 * support S_j of size r = max(1, round(ratio * m)) (all of 1..m when
 * ratio = 1), frame mean c_j ~ N(0, mean_scale^2) on S_j and a frame factor
 * C_j = scale * G_j with G_j an r x r standard Gaussian matrix (full rank
 * with probability one; the checkers certify it).
 *
 * Mixing: `layers` affine layers m -> n -> ... -> n (n >= m), each
 * W = Q_out diag(s) Q_in^T with Haar-random orthonormal factors and singular
 * values s_i = cond^(-i/(k-1)) from 1 down to 1/cond (so cond(W) = cond),
 * biases ~ N(0, bias^2); leaky_relu(slope) after every layer but the last,
 * which is the identity. Widths nondecreasing and full column rank: Kivva
 * Cor. H.9 makes f injective (F4) when slope > 0. Parameter `mix` selects
 * another kind of generators/mixing.h (orth, relu) with the same layers.
 * Parameter `family` declares a non-Gaussian latent family (models/pdgmm.h)
 * with the same means and covariances; the draws are unchanged. */
#ifndef IDC_GENERATORS_PDGMM_H
#define IDC_GENERATORS_PDGMM_H

#include <stdint.h>

#include "generators/mixing.h"
#include "models/instance.h"
#include "numeric/status.h"

#define IDC_GEN_PDGMM_VERSION "3" /* 2: mix=orth has a linear last layer; 3: orthonormal factors by the
                                     BLAS-free QR (the same bits on every machine) */

typedef struct {
    size_t m;          /* latent dimension */
    size_t n;          /* observed dimension (0 = m) */
    size_t J;          /* components */
    double ratio;      /* fraction of non-degenerate dimensions per component, (0, 1] */
    size_t layers;     /* mixing layers >= 1 */
    double slope;      /* leaky-ReLU slope of the hidden activations */
    double cond;       /* condition number of every W_i, >= 1 */
    double mean_scale; /* std of the component means */
    double scale;      /* scale of the component factors */
    double bias;       /* std of the biases */
    double noise;      /* observation noise sigma */
    size_t samples;    /* default sample count recorded in the instance */
    int aux_label;     /* 1: the instance declares u = component label */
    idc_mix_kind mix;  /* mixing kind (generators/mixing.h); default leaky */
    idc_family family; /* latent family (models/pdgmm.h); default gaussian */
} idc_gen_pdgmm_params;

/* Sets the documented defaults: m = 3, n = m, J = 3, ratio = 1, layers = 2,
 * slope = 0.2, cond = 2, mean_scale = 2, scale = 1, bias = 0, noise = 0,
 * samples = 10000, aux_label = 0, mix = leaky, family = gaussian. */
void idc_gen_pdgmm_defaults(idc_gen_pdgmm_params *p);

/* Sets a parameter by name from a string (for --param k=v and --k v).
 * IDC_EINVAL on an unknown name or a malformed / out-of-range value. */
int idc_gen_pdgmm_set(idc_gen_pdgmm_params *p, const char *name, const char *value, idc_err *err);

/* Generates the instance (out is initialised by the call). IDC_EINVAL with a
 * message naming the parameter on invalid parameters. */
int idc_gen_pdgmm(idc_instance *out, const idc_gen_pdgmm_params *p, uint64_t seed, idc_err *err);

/* One line per parameter: "name default description", for `gen --list`. */
const char *idc_gen_pdgmm_help(void);

#endif
