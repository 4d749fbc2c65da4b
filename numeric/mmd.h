/* Two-sample kernel tests (maximum mean discrepancy) and the GAUSS
 * goodness-of-fit test of THEORY.md §3/§8: is a set of codes a sample of a
 * J'-component Gaussian mixture?
 *
 * MMD. For samples X, Y of n rows each (d columns), the kernel is Gaussian,
 * k(a, b) = exp(-|a - b|^2 / (2 h^2)), with the bandwidth h the median
 * heuristic: the median of |a - b| over all distinct pairs of the pooled
 * 2n rows (the mean distance when that median is 0; h = 1 when every row is
 * the same point). The statistic is the unbiased estimate
 *   MMD^2_u = 1/(n(n-1)) sum_{i != j} [k(x_i,x_j) + k(y_i,y_j)] - 2/n^2 sum_{i,j} k(x_i,y_j).
 * With S scales (opts.scales, default 3) the kernel is the mean of S
 * Gaussian kernels of bandwidths h, h/2, ..., h/2^(S-1), still
 * characteristic: on mixtures the median distance is the spacing between
 * components, too coarse to see the shape of one (measured on 2-D samples
 * of 500 rows: S = 1 accepted a fitted GMM for a uniform square 7 times in
 * 10, S = 3 never).
 * Its null distribution (X and Y from one law) is approximated by P random
 * relabellings of the pooled rows into two halves (a permutation test,
 * exact in level up to Monte-Carlo error): p = (1 + #{perm >= observed}) /
 * (1 + P); the threshold is the ceil((1 - level)(P + 1))-th smallest of the
 * P permutation statistics (+inf when that exceeds P). "met" (the null is
 * not rejected) is p > level.
 *
 * Randomness: permutation r is a Fisher-Yates shuffle whose draws are
 * idc_rng_below(stream(seed, trial, IDC_PURPOSE_GOF), 2^40 + r 2n + i, .),
 * so a test is a pure function of (data, options).
 *
 * Cost: O(n^2 (d + S)) for the kernel matrix, O(n^2) per permutation; the
 * 2n x 2n matrix (8 (2n)^2 bytes) is allocated once per call. With n = 500
 * rows and 200 permutations about 0.1-0.2 s on one core (GAUSS: plus EM). */
#ifndef IDC_NUMERIC_MMD_H
#define IDC_NUMERIC_MMD_H

#include <stddef.h>
#include <stdint.h>

#include "numeric/status.h"

typedef struct {
    size_t n;         /* rows per sample used */
    double bandwidth; /* h */
    double mmd2;      /* MMD^2_u of the two samples */
    double threshold; /* the permutation (1 - level) quantile; +inf when P is too small for the level */
    double p_value;   /* permutation p-value */
    unsigned permutations;
    double level;
    int met;          /* 1: p_value > level (no evidence the laws differ); 0: rejected */
} idc_mmd_result;

typedef struct {
    unsigned permutations; /* P >= 1; default 200 */
    double level;          /* in (0, 1); default 0.05 */
    size_t max_rows;       /* the most rows per sample used (the first ones); >= 2; default 500 */
    uint64_t seed;         /* permutation stream; default 1 */
    uint32_t trial;        /* default 0 */
    unsigned scales;       /* S in 1..8: the kernel is the mean of S Gaussians of bandwidths h, h/2, ..., h/2^(S-1) */
} idc_mmd_opts;

/* permutations 200, level 0.05, max_rows 500, seed 1, trial 0, scales 3. */
idc_mmd_opts idc_mmd_opts_default(void);

/* The permutation MMD test of the first n = min(nx, ny, max_rows) rows of X
 * (nx x d) and Y (ny x d), row-major. IDC_EINVAL (n < 2, d = 0, a
 * non-finite value, bad options), IDC_ENOMEM. */
int idc_mmd_test(idc_mmd_result *r, const double *X, size_t nx, const double *Y, size_t ny, size_t d,
                 const idc_mmd_opts *o, idc_err *err) __attribute__((warn_unused_result));

/* GAUSS: the held-out codes (n x d) are standardised per column (mean and
 * standard deviation over the n rows; a constant column is only centred),
 * a J-component GMM is fitted to all n rows by EM (numeric/gmm_em.h,
 * restarts 3, seed o->seed), and the first min(n, max_rows) rows are
 * tested against as many samples of the fitted GMM (component by the
 * weights, then mean + chol(cov) eps; stream (seed, trial,
 * IDC_PURPOSE_GOF), draws from 0) with idc_mmd_test.
 * The tested rows are among those the GMM was fitted to, so the estimated
 * parameters make the test conservative: it rejects a true GMM sample less
 * often than the level (measured: 0 of 40 at level 0.05 on 2-D
 * three-component samples of 400-2000 rows). A fit on a disjoint half was
 * measured to reject 25-30 % of true GMM samples: with a few hundred rows
 * the estimation error of the parameters is as large as what the test
 * resolves. Power, measured on 20 seeds of 1000 rows (500 tested): a ring
 * (J = 2) and a uniform square (J = 1) rejected 20 of 20.
 * Standardising makes the EM regularisation (1e-6 on the diagonal)
 * relative to the codes' scale, and the test invariant to per-column
 * scaling of the codes (up to EM's stopping tolerance). */
typedef struct {
    idc_mmd_result mmd;
    size_t J;           /* components fitted */
    double gmm_loglik;  /* mean log-likelihood of the standardised fit half */
} idc_gauss_result;

/* IDC_EINVAL (n < 4, n < 2 J, d = 0, J = 0, non-finite codes, bad options),
 * IDC_ENOMEM, IDC_EUNABLE when EM breaks down (the caller should count
 * GAUSS as not established). */
int idc_gauss_test(idc_gauss_result *r, const double *codes, size_t n, size_t d, size_t J, const idc_mmd_opts *o,
                   idc_err *err) __attribute__((warn_unused_result));

#endif
