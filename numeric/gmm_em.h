/* Gaussian mixture fitting by expectation-maximisation (full covariances),
 * deterministic: a fit is a pure function of (data, J, options).
 *
 * Each restart r seeds the means by k-means++ from the Philox stream
 * (seed, r, IDC_PURPOSE_INIT), starts from the hard assignment to the
 * nearest seed, then alternates E and M steps until the mean log-likelihood
 * improves by less than tol or max_iter is reached. Covariances get
 * reg * I added in every M step (so they stay positive definite); a
 * component that loses all its points is re-seeded at the worst-explained
 * point. The restart with the highest log-likelihood wins.
 *
 * Cost per iteration: O(n J d^2) plus J Cholesky factorisations (LAPACKE). */
#ifndef IDC_NUMERIC_GMM_EM_H
#define IDC_NUMERIC_GMM_EM_H

#include <stddef.h>
#include <stdint.h>

#include "numeric/status.h"

typedef struct {
    size_t J, d;
    double *weight; /* J */
    double *mean;   /* J x d row-major */
    double *cov;    /* J x d x d row-major */
    double loglik;  /* mean log-likelihood per point of the winning restart */
    size_t iters;   /* EM iterations of the winning restart */
} idc_gmm;

typedef struct {
    unsigned restarts; /* >= 1 */
    unsigned max_iter; /* >= 1 */
    double tol;        /* on the mean log-likelihood */
    double reg;        /* added to every covariance diagonal, >= 0 */
    uint64_t seed;
} idc_gmm_opts;

/* restarts 5, max_iter 300, tol 1e-8, reg 1e-6, seed 1. */
idc_gmm_opts idc_gmm_opts_default(void);

void idc_gmm_init(idc_gmm *g);
void idc_gmm_clear(idc_gmm *g);

/* dst becomes a deep copy of src (its old content released); IDC_ENOMEM
 * leaves dst empty (as idc_gmm_init). */
int idc_gmm_copy(idc_gmm *dst, const idc_gmm *src) __attribute__((warn_unused_result));

/* Fits J components to the n x d row-major data X. IDC_EINVAL (J = 0,
 * n < J, d = 0, a non-finite value, bad options), IDC_ENOMEM, or
 * IDC_EUNABLE when every restart broke down numerically. g is initialised
 * by the caller; its old content is released. */
int idc_gmm_fit(idc_gmm *g, const double *X, size_t n, size_t d, size_t J, const idc_gmm_opts *o, idc_err *err)
    __attribute__((warn_unused_result));

/* EM started from g itself (no seeding): at most iters M+E passes, stopping
 * when the mean log-likelihood improves by less than tol; a pass whose
 * model does not improve it (or loses definiteness) is not taken, so the
 * log-likelihood of the result is never below the start's. reg as in
 * idc_gmm_opts. g->loglik and g->iters describe the result. IDC_EINVAL,
 * IDC_ENOMEM, IDC_EUNABLE (g's covariances not positive definite, or a
 * non-finite start); g is unchanged on error. */
int idc_gmm_refine(idc_gmm *g, const double *X, size_t n, unsigned iters, double tol, double reg, idc_err *err)
    __attribute__((warn_unused_result));

/* Mean log-likelihood of the n x d data under g (IDC_EUNABLE when a
 * covariance is not positive definite). */
int idc_gmm_loglik(double *out, const idc_gmm *g, const double *X, size_t n, idc_err *err)
    __attribute__((warn_unused_result));

#endif
