/* L2 geometry of Gaussian mixture densities and the affine-invariant
 * distance dist_Aff,L2 of K App. J.1 (THEORY.md §6).
 *
 * A mixture p = sum_j w_j N(mu_j, S_j) on R^m (w_j > 0; the weights need not
 * sum to 1, so sub-densities work too; every S_j symmetric positive
 * definite, else its L2 norm is infinite). Only the lower triangle of each
 * S_j is read.
 *
 * Formulas:
 *  - Gaussian product integral: int N(x; a, A) N(x; b, B) dx = N(a; b, A + B)
 *    (the density of a - b ~ N(0, A + B) at 0), so the L2 inner product is
 *      <p, q> = sum_i sum_j w_i v_j N(mu_i; nu_j, S_i + T_j),
 *    with N(a; b, C) = exp(-(a-b)^T C^-1 (a-b) / 2) / sqrt((2 pi)^m det C)
 *    evaluated by Cholesky (C = L L^T, the quadratic form as |L^-1 (a-b)|^2
 *    and log det C = 2 sum log L_ii).
 *  - ||p - q||^2 = <p, p> + <q, q> - 2 <p, q> (clamped at 0; the
 *    cancellation limits the resolution of a small distance to about
 *    sqrt(DBL_EPSILON) ~ 1.5e-8 in delta below).
 *  - delta_L2(p, q) = ||p - q||_L2 / (||p||_L2^(1/2) ||q||_L2^(1/2))
 *    (K eq. (34)); invariant under pushing both p and q forward by the same
 *    invertible affine map, since ||B#p||^2 = ||p||^2 / |det B|.
 *  - push-forward by x -> A x + c (A invertible): A#p has weights w_j,
 *    means A mu_j + c and covariances A S_j A^T.
 *  - dist_Aff,L2(p1, p2) = min over invertible affine (A, c) of
 *    delta_L2(A#p1, p2), with ||A#p1|| in the denominator (K eq. (34)).
 *
 * Alignment (what idc_gmm_dist_aff minimises over; the reported value is
 * therefore an upper bound on the true minimum): like K App. J.1, for every
 * permutation pi of the J components (J <= IDC_GMM_AFF_JMAX = 8, at most
 * 40320 permutations) the affine map is fitted to send the means of p1 to
 * the means of p2: [A c] minimises sum_j |A mu1_j + c - mu2_pi(j)|^2. When
 * the means do not determine the map (J < m + 1, or affinely dependent
 * means) the solution of minimum Frobenius distance to the moment-matching
 * map [A0 c0] is taken, A0 = C2^(1/2) C1^(-1/2) (symmetric square roots of
 * the two mixtures' overall covariances C1, C2), c0 = mean2 - A0 mean1:
 *     [A c] = [A0 c0] + (M2_pi - [A0 c0] X) X^+,   X = [mu1_j; 1]_j,
 * X^+ the SVD pseudo-inverse, M2_pi = [mu2_pi(j)]_j. When the means are
 * affinely independent and J >= m + 1 this is the plain least-squares map.
 * Among the permutations the one with the smallest delta_L2(A#p1, p2) is
 * kept (ties: first in lexicographic order). Covariances do not enter the
 * fit (K: "a challenging optimization problem"), so two mixtures equal up to
 * an affine map have distance ~0 whenever J >= m + 1 with affinely
 * independent means, but possibly > 0 when J <= m. */
#ifndef IDC_NUMERIC_GMM_L2_H
#define IDC_NUMERIC_GMM_L2_H

#include <stddef.h>

#include "numeric/status.h"

#define IDC_GMM_AFF_JMAX 8
size_t idc_gmm_aff_jmax(void);

/* A borrowed view of a mixture (the caller owns the arrays). */
typedef struct {
    size_t J, m;
    const double *w;   /* J weights > 0 */
    const double *mu;  /* J x m row-major means */
    const double *cov; /* J x m x m row-major covariances, SPD */
} idc_gmm_view;

/* Checks a view: J, m >= 1, non-NULL arrays, finite entries, w > 0, each
 * covariance positive definite. name ("p1") prefixes the message.
 * Statuses: IDC_OK; IDC_EINVAL for malformed input; IDC_EDOM for a
 * covariance that is not positive definite (a degenerate component has
 * infinite L2 norm). */
int idc_gmm_l2_check(const idc_gmm_view *p, const char *name, idc_err *err)
    __attribute__((warn_unused_result));

/* *ip = <p, q>_L2 (formula above). p and q must have the same m.
 * Statuses: IDC_OK; those of idc_gmm_l2_check; IDC_EINVAL for different
 * dimensions; IDC_ENOMEM. Cost: O(J1 J2 m^3). */
int idc_gmm_l2_inner(double *ip, const idc_gmm_view *p, const idc_gmm_view *q, idc_err *err)
    __attribute__((warn_unused_result));

/* *delta = delta_L2(p, q) = ||p - q|| / (||p||^(1/2) ||q||^(1/2)).
 * Same statuses and cost as idc_gmm_l2_inner. */
int idc_gmm_l2_delta(double *delta, const idc_gmm_view *p, const idc_gmm_view *q, idc_err *err)
    __attribute__((warn_unused_result));

/* Push-forward A#p by x -> A x + c (A m x m row-major, c m or NULL for 0):
 * mu_out (J x m) = A mu_j + c, cov_out (J x m x m) = A S_j A^T (symmetrised).
 * The weights are unchanged. Outputs must not alias p's arrays.
 * Statuses: IDC_OK; IDC_EINVAL for NULL arguments. Cost O(J m^3). */
int idc_gmm_l2_pushforward(double *mu_out, double *cov_out, const idc_gmm_view *p, const double *A,
                           const double *c, idc_err *err) __attribute__((warn_unused_result));

typedef struct {
    size_t J, m;
    double dist;           /* dist_Aff,L2 upper bound: delta_L2(A#p1, p2) */
    double delta_identity; /* delta_L2(p1, p2) with no alignment */
    size_t *perm;          /* J: component j of p1 matched to perm[j] of p2 */
    double *A;             /* m x m row-major */
    double *c;             /* m */
    double mean_rms;       /* sqrt(mean_j |A mu1_j + c - mu2_perm(j)|^2) */
    size_t evaluated;      /* permutations whose map was invertible */
} idc_gmm_aff_result;

/* dist_Aff,L2(p1, p2) by the alignment above. p1 and p2 need the same J
 * (1..IDC_GMM_AFF_JMAX) and m. Sets every field; on error *res is zeroed.
 * Statuses: IDC_OK; IDC_EINVAL for malformed input, different J or m,
 * J > IDC_GMM_AFF_JMAX; IDC_EDOM for a non-PD covariance; IDC_EUNABLE when
 * no permutation gives an invertible map (or an eigen/SVD fails);
 * IDC_ENOMEM. Cost: O(J! J^2 m^3) (about 40320 x 128 Cholesky
 * factorisations of m x m at J = 8). */
int idc_gmm_dist_aff(idc_gmm_aff_result *res, const idc_gmm_view *p1, const idc_gmm_view *p2, idc_err *err)
    __attribute__((warn_unused_result));

/* Frees what res owns and zeroes it; res may be NULL. */
void idc_gmm_aff_result_clear(idc_gmm_aff_result *res);

#endif
