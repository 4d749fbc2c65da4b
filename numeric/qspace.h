/* Exact subspaces of Q^m, each given by a spanning set: the columns of an
 * fmpq matrix (dependent columns allowed). */
#ifndef IDC_NUMERIC_QSPACE_H
#define IDC_NUMERIC_QSPACE_H

#include <flint/fmpq_mat.h>

/* dim span(X). */
slong idc_qspace_dim(const fmpq_mat_t X);

/* out (initialised by the call; clear with fmpq_mat_clear) spans X + Y. */
void idc_qspace_sum(fmpq_mat_t out, const fmpq_mat_t X, const fmpq_mat_t Y);

/* out (initialised by the call) spans X ∩ Y: X alpha for every nullspace
 * vector (alpha, beta) of [X, -Y], computed over Z after clearing column
 * denominators (fmpz_mat_nullspace). */
void idc_qspace_intersect(fmpq_mat_t out, const fmpq_mat_t X, const fmpq_mat_t Y);



/* Fredholm alternative for A x = b (A: M x n, b: M x 1): when the system
 * has no solution, sets w (initialised M x 1) to a vector with w^T A = 0
 * and w^T b != 0 and returns 1; returns 0 when the system is solvable. */
int idc_qspace_fredholm(fmpq_mat_t w, const fmpq_mat_t A, const fmpq_mat_t b);
#endif
