/* Canonical correlation analysis (CCA) of two samples x (n x p) and
 * y (n x q), rows paired. Used to align a learned representation to the
 * true latents before the "weak" MCC (THEORY.md §6; K App. J.1, W).
 *
 * Definition: the canonical pairs (a_i, b_i), i = 1..k, maximise
 * rho_i = corr(x a_i, y b_i) subject to x a_i being uncorrelated with
 * x a_j and y b_i with y b_j for j < i. rho_1 >= rho_2 >= ... >= 0.
 *
 * Algorithm (Björck & Golub 1973, the numerically stable route that never
 * forms a covariance matrix or its inverse): centre each column on the
 * sample, scale it to max |entry| 1 (an exactly constant column becomes 0),
 * take thin SVDs Xs = Ux Sx Vx^T and Ys = Uy Sy Vy^T keeping the singular
 * values above n DBL_EPSILON s_max (ranks rank_x, rank_y; dependent columns
 * are thereby dropped, not an error). The whitened cross-covariance is
 * M = Ux^T Uy (rank_x x rank_y, orthonormal bases of the two column
 * spaces); its SVD M = P diag(rho) Q^T gives the canonical correlations
 * rho (the cosines of the principal angles between col(Xs) and col(Ys)) and
 * the weights
 *     wx = Dx^-1 Vx Sx^-1 P[:, :k] sqrt(n - 1),   wy likewise,
 * Dx = diag(column scales), so that the canonical variates
 * u = (x - mean_x) wx and v = (y - mean_y) wy have unit sample variance and
 * corr(u_i, v_j) = rho_i [i == j] on the fitting sample.
 *
 * Invariance: rho, and the variates up to sign, do not change when x is
 * replaced by x A + c (A invertible p x p) or y by y B + d. */
#ifndef IDC_NUMERIC_CCA_H
#define IDC_NUMERIC_CCA_H

#include <stddef.h>

#include "numeric/status.h"

typedef struct {
    size_t p, q;           /* dims of x and y */
    size_t k;              /* canonical pairs kept */
    size_t rank_x, rank_y; /* numerical ranks of the centred, scaled samples */
    double *rho;           /* k canonical correlations, decreasing, in [0, 1] */
    double *mean_x;        /* p column means of x on the fitting sample */
    double *mean_y;        /* q */
    double *wx;            /* p x k row-major: u = (x - mean_x) wx */
    double *wy;            /* q x k row-major: v = (y - mean_y) wy */
} idc_cca;

/* Fits CCA on the n paired rows of x (n x p) and y (n x q), row-major,
 * keeping k = min(k_req, rank_x, rank_y) pairs (k_req = 0 asks for
 * min(p, q)). Sets every field of *c (previous contents are not freed); on
 * error *c is zeroed, so idc_cca_clear is always safe.
 * Statuses: IDC_OK; IDC_EINVAL (one-line message) for NULL arguments,
 * p or q 0, n < max(p, q) + 2, sizes beyond LAPACK's int, a NaN or infinite
 * entry, overflowing deviations, or a side with rank 0 (all columns
 * constant); IDC_EUNABLE if an SVD does not converge; IDC_ENOMEM;
 * IDC_EINTERNAL if LAPACK rejects an argument.
 * Cost: O(n (p^2 + q^2) + p q min(p, q)) time, O(n (p + q)) memory. */
int idc_cca_fit(idc_cca *c, const double *x, size_t p, const double *y, size_t q, size_t n, size_t k_req,
                idc_err *err) __attribute__((warn_unused_result));

/* Canonical variates of n new rows: u (n x k) = (x - mean_x) wx and
 * v (n x k) = (y - mean_y) wy. Either pair (u, x) or (v, y) may be NULL to
 * skip that side. u and v must not alias x, y or c's arrays. Never fails
 * for a fitted c; does nothing when c->k == 0. Cost O(n k (p + q)). */
void idc_cca_transform(const idc_cca *c, double *u, const double *x, double *v, const double *y, size_t n);

/* Frees what c owns and zeroes it; c may be NULL. */
void idc_cca_clear(idc_cca *c);

#endif
