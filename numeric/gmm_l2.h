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
 *    sqrt(k DBL_EPSILON) in delta below, k the rounding amplification of
 *    the Gaussian sums: 1e-8 to 1e-6 for the mixtures in the tests).
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
 * kept (ties: first in lexicographic order).
 *
 * Ill-conditioned candidates (never through a NaN): a permutation whose
 * fitted map A has rcond(A) = sigma_min(A) / sigma_max(A) <
 * IDC_GMM_AFF_RCOND_MIN = 2^-20 ~ 9.5e-7 (exactly singular maps and maps
 * with a non-finite entry included) is skipped and counted in
 * skipped_singular. The pushed covariances A S A^T have condition numbers
 * up to cond(A)^2 cond(S); the cut keeps cond(A)^2 <= 2^40, which leaves a
 * factor 2^12 before 1/DBL_EPSILON for cond(S), so the Cholesky
 * factorisations below stay meaningful. The cut is invariant under scaling
 * A (and so under rescaling the data); it could only exclude the exact
 * affine equivalence B of p1 and p2 when cond(B)^2 > 2^40, which needs
 * cond(S_j) cond(T_j) > 2^40 (B S_j B^T = T_j). A better-conditioned map
 * whose pushed covariance sums A (S_i + S_j) A^T are still not numerically
 * positive definite (the Cholesky factorisation breaks down), or whose L2
 * norm is not finite and > 0, is skipped and counted in skipped_nonpd.
 * Such maps lie
 * far from the minimum (delta_L2(A#p1, p2) grows without bound as A
 * degenerates), and the reported value stays an upper bound. On which
 * side of a cut a candidate right at it falls can depend on the last bits
 * of the LAPACK/BLAS kernels; evaluated + skipped_singular + skipped_nonpd
 * = J! always.
 *
 * Covariances do not enter the fit (K: "a challenging optimization
 * problem"), so two mixtures equal up to an affine map have distance ~0
 * whenever J >= m + 1 with affinely independent means, but possibly > 0
 * when J <= m. */
#ifndef IDC_NUMERIC_GMM_L2_H
#define IDC_NUMERIC_GMM_L2_H

#include <stddef.h>

#include "numeric/status.h"

#define IDC_GMM_AFF_JMAX 8
size_t idc_gmm_aff_jmax(void);

/* The smallest reciprocal condition number of a candidate map that
 * idc_gmm_dist_aff evaluates: 2^-20 (see above). */
#define IDC_GMM_AFF_RCOND_MIN 0x1p-20
double idc_gmm_aff_rcond_min(void);

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
 * dimensions; IDC_EUNABLE when a sum S_i + T_j of (checked) covariances is
 * not numerically positive definite or the sum overflows (extreme
 * conditioning or magnitudes); IDC_ENOMEM. Cost: O(J1 J2 m^3). */
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
    size_t evaluated;         /* permutations whose map was evaluated */
    size_t skipped_singular;  /* skipped: rcond(A) < IDC_GMM_AFF_RCOND_MIN or A not finite */
    size_t skipped_nonpd;     /* skipped: a pushed covariance sum not numerically PD */
} idc_gmm_aff_result;

/* dist_Aff,L2(p1, p2) by the alignment above. p1 and p2 need the same J
 * (1..IDC_GMM_AFF_JMAX) and m. Sets every field; on error *res is zeroed.
 * Statuses: IDC_OK; IDC_EINVAL for malformed input, different J or m,
 * J > IDC_GMM_AFF_JMAX; IDC_EDOM for a non-PD covariance; IDC_EUNABLE when
 * every permutation is skipped (see above), an eigen/SVD fails, or the
 * unaligned inner products are not finite; IDC_ENOMEM. Cost: O(J! J^2 m^3)
 * (about 40320 x (128 Cholesky factorisations + one SVD) of m x m at
 * J = 8). */
int idc_gmm_dist_aff(idc_gmm_aff_result *res, const idc_gmm_view *p1, const idc_gmm_view *p2, idc_err *err)
    __attribute__((warn_unused_result));

/* Frees what res owns and zeroes it; res may be NULL. */
void idc_gmm_aff_result_clear(idc_gmm_aff_result *res);

#endif
