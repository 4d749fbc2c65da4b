/* Dense double linear algebra on row-major arrays (LAPACKE underneath;
 * no LAPACKE types in this header). Float code: results are approximate. */
#ifndef IDC_NUMERIC_DMAT_H
#define IDC_NUMERIC_DMAT_H

#include <stddef.h>

#include "numeric/status.h"

/* A numerical factor of a symmetric PSD m x m matrix S: L (m x m, row-major)
 * = V diag(sqrt(max(lambda, 0))) from the eigen-decomposition, so that
 * L L^T = S up to rounding. Used for sampling only (exact work uses S).
 * Returns IDC_OK, IDC_ENOMEM, or IDC_EINTERNAL if LAPACK fails. */
int idc_sym_factor(double *L, const double *S, size_t m);

/* Singular values of an r x c matrix A (row-major), in decreasing order, into
 * s (min(r, c) values). */
int idc_dmat_singular_values(double *s, const double *A, size_t r, size_t c);

/* Orthonormalises the columns of the r x c matrix A (r >= c) in place by
 * Householder QR, with the signs fixed so that R has a positive diagonal
 * (the "QR of a Gaussian matrix" construction of Haar-random orthogonal
 * matrices). Plain C with every sum in a fixed order (no BLAS/LAPACK), so
 * the result is bit-identical on every x86-64 machine: generated instances
 * do not depend on the BLAS kernel. IDC_EINVAL when r < c, IDC_EINTERNAL
 * for a rank-deficient or non-finite column, IDC_ENOMEM. */
int idc_dmat_orthonormalize(double *A, size_t r, size_t c);

#endif
