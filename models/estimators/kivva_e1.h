/* Estimator kivva-e1: the linear unmixing of Kivva et al. Thm E.1 (THEORY.md
 * §4 KE.1) applied to a representation zhat that is affinely related to a
 * latent with diagonal component covariances (zhat = A z + b, e.g. Stage-1
 * codes under K3.9a).
 *
 * 1. Fit a J-component full-covariance GMM to zhat (numeric/gmm_em.h: EM,
 *    several restarts).
 * 2. For every ordered pair (a, c) of fitted components solve the symmetric-
 *    definite generalised eigenproblem Sigma_a v = l Sigma_c v (GSL
 *    gsl_eigen_gensymmv). With Sigma_j = A D_j A^T, the eigenvectors are
 *    V = A^{-T} P D' (P a permutation, D' diagonal) when the ratios
 *    (D_a)_tt / (D_c)_tt are pairwise distinct (P2), so V^T (zhat - b) =
 *    D' P^T z: the latent up to permutation and scaling (PS).
 * 3. Use the pair whose eigenvalues are best separated: the largest
 *    minimum gap between the logarithms of the eigenvalues (ties: the first
 *    pair in (a, c) order). Columns are sorted by eigenvalue.
 * Result: zhat' = U (zhat - b) with U = V^T (d x d) and b the mean of zhat.
 * Deterministic: a pure function of (zhat, J, GMM options). */
#ifndef IDC_MODELS_KIVVA_E1_H
#define IDC_MODELS_KIVVA_E1_H

#include <stddef.h>

#include "numeric/gmm_em.h"
#include "numeric/status.h"

typedef struct {
    size_t d;
    double *U;      /* d x d row-major: zhat' = U (zhat - b) */
    double *b;      /* d */
    size_t pair[2]; /* the fitted components whose covariances were used */
    double log_gap; /* minimum gap between the log generalised eigenvalues */
    idc_gmm gmm;    /* the fitted mixture on zhat */
} idc_kivva_e1;

void idc_kivva_e1_init(idc_kivva_e1 *k);
void idc_kivva_e1_clear(idc_kivva_e1 *k);

/* Fits on the n x d row-major zhat with J >= 2 components. IDC_EINVAL (J < 2,
 * n < J, non-finite data), IDC_ENOMEM, IDC_EUNABLE (EM broke down, or no
 * pair of fitted covariances is positive definite). */
int idc_kivva_e1_fit(idc_kivva_e1 *k, const double *zhat, size_t n, size_t d, size_t J, const idc_gmm_opts *o,
                     idc_err *err) __attribute__((warn_unused_result));

/* out (n x d) = U (zhat - b) row by row; out may alias zhat. IDC_OK or
 * IDC_ENOMEM. */
int idc_kivva_e1_apply(double *out, const idc_kivva_e1 *k, const double *zhat, size_t n)
    __attribute__((warn_unused_result));

#endif
