/* Internals shared by the registered generators (not a public header). */
#ifndef IDC_GENERATORS_GEN_IMPL_H
#define IDC_GENERATORS_GEN_IMPL_H

#include <stdint.h>

#include "generators/mixing.h"
#include "generators/registry.h"
#include "models/instance.h"
#include "numeric/rng.h"

/* Sequential draws from one generator stream. */
typedef struct {
    idc_rng s;
    uint64_t k;
} idc_gdraw;

static inline idc_gdraw idc_gdraw_make(uint64_t seed, uint32_t part)
{
    idc_gdraw d = {idc_rng_stream(seed, part, IDC_PURPOSE_GENERATOR), 0};
    return d;
}
static inline double idc_gd_normal(idc_gdraw *d)
{
    return idc_rng_normal(d->s, d->k++);
}
static inline double idc_gd_uniform(idc_gdraw *d)
{
    return idc_rng_uniform(d->s, d->k++);
}
static inline size_t idc_gd_below(idc_gdraw *d, size_t n)
{
    return (size_t)idc_rng_below(d->s, d->k++, (uint64_t)n);
}

/* Parameter-table rows shared by the generators with a mixing map. */
#define IDC_GEN_PARAMS_MIX                                                                                   \
    {"n", IDC_GEN_INT, "0", 0, IDC_MAX_DIM, NULL, "observed dimension (0 = m; n > m: expanding map)"},      \
        {"mix", IDC_GEN_CHOICE, "leaky", 0, 0, IDC_MIX_CHOICES, "mixing map kind (generators/mixing.h)"},         \
        {"layers", IDC_GEN_INT, "0", 0, IDC_MAX_LAYERS, NULL,                                               \
         "mixing layers (0 = the kind's default: leaky/relu 2, orth 10)"},                                  \
        {"slope", IDC_GEN_REAL, "0.2", 1e-6, 1, NULL, "slope of the hidden layers (mix=leaky, smooth)"},      \
        {"cond", IDC_GEN_REAL, "2", 1, 1e6, NULL, "condition number of every weight (all but orth)"},    \
        {"bias", IDC_GEN_REAL, "0", 0, 1e3, NULL, "std of the biases (all but orth)"}

#define IDC_GEN_PARAMS_TAIL                                                                                  \
    {"noise", IDC_GEN_REAL, "0", 0, 1e6, NULL, "observation noise sigma"},                                  \
        {"samples", IDC_GEN_INT, "10000", 1, 1073741824.0, NULL, "default sample count of the instance"},   \
        {"aux_label", IDC_GEN_INT, "0", 0, 1, NULL, "1: declare u = component label (auxiliary variable)"}

/* Value of an INT parameter as size_t. */
size_t idc_gen_getz(const idc_gen_values *v, const char *name);

/* Mixing parameters from the values (rows IDC_GEN_PARAMS_MIX) for latent
 * dimension m. */
idc_mix_params idc_gen_mix_params(const idc_gen_values *v, size_t m);

/* noise, samples, aux_label from the values (rows IDC_GEN_PARAMS_TAIL). */
void idc_gen_apply_tail(idc_instance *out, const idc_gen_values *v);

/* Appends one intent entry unless the ID is already listed (the first
 * entry wins; silently capped at IDC_GEN_INTENT_MAX). */
void idc_gen_intent_add(idc_gen_intent *out, size_t *n, const char *id, idc_verdict v, int may_unknown);

/* The map part of an intent for a mixing map made by idc_gen_mix: DIM, F1,
 * FC hold; F4 and (through it) F2, F3 hold when the kind is injective.
 * Smooth kinds: DIM only (F1 fails, but the map checkers reject smooth
 * activations with IDC_EINVAL so far). */
void idc_gen_intent_mix(idc_gen_intent *out, size_t *n, const idc_mix_params *p);

/* The prior part of the intent of a non-degenerate mixture in reduced form
 * (kivva.c): P1, P1nd, PD, DIMU1, A3.4, A3.6, A3.8a hold; A3.8b holds iff
 * m = 1 (every B_j is everything). */
void idc_gen_intent_nondegenerate(idc_gen_intent *out, size_t *n, size_t m);

/* Allocates component j in FACTOR form with rank r (mean, L zeroed). */
int idc_gen_comp_factor(idc_pdgmm *g, size_t j, size_t r, idc_err *err);

/* Allocates component j in FRAME form with support size s and rank s
 * (support, frame mean, s x s frame factor zeroed). */
int idc_gen_comp_frame(idc_pdgmm *g, size_t j, size_t s, idc_err *err);

/* Declares the global frame of g (basis identity, translation 0). */
int idc_gen_frame_identity(idc_pdgmm *g, idc_err *err);

extern const idc_gen_info idc_gen_info_pdgmm;
extern const idc_gen_info idc_gen_info_xu;
extern const idc_gen_info idc_gen_info_kivva;
extern const idc_gen_info idc_gen_info_kivva_relu1d;
extern const idc_gen_info idc_gen_info_ivae;
extern const idc_gen_info idc_gen_info_violate;
extern const idc_gen_info idc_gen_info_cx;
extern const idc_gen_info idc_gen_info_parallelograms;
extern const idc_gen_info idc_gen_info_pinwheel;

/* Parameter-table row of the latent family (models/pdgmm.h). */
#define IDC_GEN_PARAM_FAMILY                                                                                 \
    {                                                                                                        \
        "family", IDC_GEN_CHOICE, "gaussian", 0, 0, IDC_FAMILY_CHOICES,                                      \
            "latent family of eps (non-gaussian: misspecified, X App. E.1; prior checks UNKNOWN)"            \
    }

#endif
