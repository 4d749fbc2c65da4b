/* Potentially degenerate Gaussian mixture models (THEORY.md §1).
 *
 * Z | U=j ~ N(mu_j, Sigma_j), P(U=j) = lambda_j, Z in R^m. Every component
 * carries a float factor L_j (m x r_j, row-major) with Sigma_j = L_j L_j^T,
 * used for sampling. What a component *means exactly* depends on how it was
 * declared (its form):
 *
 *   IDC_COMP_FACTOR      mu_j and L_j given; Sigma_j = L_j L_j^T over Q.
 *   IDC_COMP_COVARIANCE  mu_j and Sigma_j given (symmetric PSD, validated
 *                        exactly); the float factor is a numerical one
 *                        (eigen-decomposition) used for sampling only.
 *   IDC_COMP_FRAME       declared in the model's global frame (basis B,
 *                        translation t): a coordinate support S_j (sorted
 *                        indices), frame mean c_j (|S_j|) and frame factor C_j
 *                        (|S_j| x r_j). Exactly: mu_j = t + B[:,S_j] c_j and
 *                        L_j = B[:,S_j] C_j, products over Q
 *                        (CERTIFICATES.md §7). The float mu_j, L_j are those
 *                        products rounded, for sampling only.
 *
 * Exact checkers must use the declared data (idc_pdgmm_exact_* in theory/),
 * never the rounded float copies.
 *
 * Latent family (misspecification, X App. E.1). With family F other than
 * IDC_FAMILY_GAUSSIAN, component j is z = mu_j + L_j eps with eps_1..eps_r
 * i.i.d. from F standardised to mean 0 and variance 1, so mu_j and
 * Sigma_j = L_j L_j^T are still the mean and covariance, but the model is
 * NOT a Gaussian mixture; the exact prior checkers answer UNKNOWN for it
 * (theory/verdict.c). Standardisations (E ~ Exp(1), G ~ Gumbel(0, 1)):
 *   exponential  eps = E - 1
 *   gumbel       eps = (G - gamma) sqrt(6) / pi, gamma = Euler's constant
 *   uniform      eps = sqrt(3) U, U ~ U(-1, 1)
 * (models/sample.h gives the exact draw.)
 */
#ifndef IDC_MODELS_PDGMM_H
#define IDC_MODELS_PDGMM_H

#include <stddef.h>

#include "numeric/status.h"

#define IDC_MAX_DIM 4096
#define IDC_MAX_COMPONENTS 1024

typedef enum {
    IDC_COMP_FACTOR = 0,
    IDC_COMP_COVARIANCE = 1,
    IDC_COMP_FRAME = 2
} idc_comp_form;

typedef struct {
    idc_comp_form form;
    double weight;  /* lambda_j > 0 */
    size_t rank;    /* r_j: columns of L (and of frame factor) */
    double *mean;   /* m: mu_j (float; exact for FACTOR/COVARIANCE) */
    double *L;      /* m x rank row-major: float factor used for sampling */
    double *sigma;  /* COVARIANCE only: m x m as given, else NULL */
    size_t nsupport;    /* FRAME only: |S_j| */
    size_t *support;    /* FRAME only: sorted coordinate indices */
    double *frame_mean; /* FRAME only: |S_j| */
    double *frame_L;    /* FRAME only: |S_j| x rank row-major */
} idc_component;

typedef enum {
    IDC_FAMILY_GAUSSIAN = 0,
    IDC_FAMILY_EXPONENTIAL = 1,
    IDC_FAMILY_GUMBEL = 2,
    IDC_FAMILY_UNIFORM = 3
} idc_family;

/* The words of the JSON field model.family, in enum order. */
#define IDC_FAMILY_CHOICES "gaussian|exponential|gumbel|uniform"

typedef struct {
    size_t dim;          /* m */
    idc_family family;   /* distribution of eps (default IDC_FAMILY_GAUSSIAN = 0) */
    size_t ncomp;        /* J */
    idc_component *comp; /* J components */
    int has_frame;       /* 1 when a global frame is declared */
    double *frame_basis; /* m x m row-major (columns are basis vectors) */
    double *frame_translation; /* m */
} idc_pdgmm;

/* Sets *g to an empty model (no allocation). */
void idc_pdgmm_init(idc_pdgmm *g);

/* Frees everything g owns and resets it; safe on an initialised model. */
void idc_pdgmm_clear(idc_pdgmm *g);

/* Allocates J zeroed components for dimension m (forms FACTOR, rank 0).
 * Returns IDC_EINVAL for sizes beyond IDC_MAX_*, IDC_ENOMEM. */
int idc_pdgmm_alloc(idc_pdgmm *g, size_t m, size_t J, idc_err *err);

/* (Re)allocates component j's mean and float factor for rank r (zeroed). */
int idc_pdgmm_comp_alloc(idc_pdgmm *g, size_t j, size_t r, idc_err *err);

/* Deep copy: dst (initialised) becomes a copy of src. */
int idc_pdgmm_copy(idc_pdgmm *dst, const idc_pdgmm *src, idc_err *err);

/* Name of a family in the JSON format ("gaussian", ...; "?" when invalid). */
const char *idc_family_name(idc_family f);

/* Parses a family name. IDC_EINVAL (f untouched) on NULL or an unknown name. */
int idc_family_parse(idc_family *f, const char *s);

/* Recomputes the float mean and factor of FRAME components from the frame
 * (rounded products). Called by the readers and by generators. */
void idc_pdgmm_update_frame_floats(idc_pdgmm *g);

#endif
