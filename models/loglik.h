/* The exact log-likelihood of an instance in the square, noiseless,
 * non-degenerate case (THEORY.md §8).
 *
 * With m = n, sigma = 0, a Gaussian non-degenerate GMM prior and f a
 * leaky-ReLU MLP f = h_t o a o ... o a o h_1 whose layers are square and
 * invertible (h_i(u) = W_i u + b_i, activation identity or leaky_relu with
 * slope a > 0), f is a bijection of R^m and its inverse is again such a
 * network:
 *   f^-1 = h_1^-1 o a^-1 o ... o a^-1 o h_t^-1,   a^-1 = leaky_relu(1 / a),
 * so the density of x = f(z) is exact:
 *   log p(x) = log p_Z(f^-1(x)) + log |det D f^-1(x)|,
 *   log |det D f^-1(x)| = - sum_i log |det W_i| - sum_leaky log(a_i) #{neg_i(x)},
 * where neg_i(x) counts the coordinates of layer i's pre-activation
 * h_i(...) that are < 0 (the inverse activation sees them as its negative
 * inputs; a pre-activation exactly 0 has measure zero and counts as not
 * negative).
 *
 * The inverse layers are solved with the LU factors of W_i (LAPACK dgetrf,
 * partial pivoting), computed once by idc_loglik_new; log |det W_i| is the
 * sum of the logs of the |pivots|. Everything is in double. */
#ifndef IDC_MODELS_LOGLIK_H
#define IDC_MODELS_LOGLIK_H

#include <stddef.h>

#include "models/instance.h"
#include "numeric/status.h"

typedef struct idc_loglik idc_loglik;

/* Prepares the exact density of inst. IDC_OK with *out set; IDC_EDOM with a
 * one-line reason when the instance is outside the case above (m != n,
 * noise > 0, a non-MLP map, a non-square layer, an activation other than
 * identity / leaky_relu with slope > 0, a singular W_i (a zero LU pivot),
 * a non-Gaussian family, a component of rank < m or whose covariance is not
 * numerically positive definite); IDC_ENOMEM. */
int idc_loglik_new(idc_loglik **out, const idc_instance *inst, idc_err *err)
    __attribute__((warn_unused_result));

/* Frees ll; NULL is a no-op. */
void idc_loglik_free(idc_loglik *ll);

/* The dimension m = n. */
size_t idc_loglik_dim(const idc_loglik *ll);

/* z (n x m) = f^-1(x) (n x m), row by row; z may alias x. logdet (n, may be
 * NULL) receives log |det D f^-1(x_i)|. Cost O(n t m^2). */
void idc_loglik_inverse(const idc_loglik *ll, double *z, double *logdet, const double *x, size_t n);

/* out (n) = log p(x_i) for the n x m rows of x. Cost O(n (t + J) m^2). */
void idc_loglik_eval(const idc_loglik *ll, double *out, const double *x, size_t n);

/* log of the prior density at the n x m rows of z (the GMM alone). */
void idc_loglik_prior(const idc_loglik *ll, double *out, const double *z, size_t n);

/* The KL gap KL(P_X || P^_X) estimated from n fresh samples of the true
 * model: *mean = mean of lp_true - lp_model, *half = the half-width of its
 * 95% normal interval, 1.96 sd / sqrt(n) (n >= 2). */
void idc_loglik_gap(double *mean, double *half, const double *lp_true, const double *lp_model, size_t n);

#endif
