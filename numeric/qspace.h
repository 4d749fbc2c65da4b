/* Exact subspaces of Q^m, each given by a spanning set: the columns of an
 * fmpq matrix (dependent columns allowed); plus a row-echelon accumulator
 * over Z/pZ (idc_qspace_nech) for searches whose result is verified exactly
 * afterwards. */
#ifndef IDC_NUMERIC_QSPACE_H
#define IDC_NUMERIC_QSPACE_H

#include <flint/flint.h>
#include <flint/fmpq_mat.h>
#include <flint/fmpz_mat.h>
#include <flint/nmod_vec.h>

/* dim span(X). */
slong idc_qspace_dim(const fmpq_mat_t X);

/* out (initialised by the call; clear with fmpq_mat_clear) spans X + Y. */
void idc_qspace_sum(fmpq_mat_t out, const fmpq_mat_t X, const fmpq_mat_t Y);

/* out (initialised by the call) spans X ∩ Y: X alpha for every nullspace
 * vector (alpha, beta) of [X, -Y], computed over Z after clearing column
 * denominators (fmpz_mat_nullspace). */
void idc_qspace_intersect(fmpq_mat_t out, const fmpq_mat_t X, const fmpq_mat_t Y);



/* Annihilator: initialises N (m x (m - dim X)) to an integer matrix whose
 * columns are a basis of {w : w^T X = 0}, so that x lies in span(X) iff
 * N^T x = 0. Returns m - dim X. X may have no columns (N = identity).
 * Cost: one fmpz_mat_nullspace of the c x m integer matrix X^T (columns
 * of X scaled to integers first; scaling does not change the span). */
slong idc_qspace_annihilator(fmpz_mat_t N, const fmpq_mat_t X);

/* One solution of A x = b (A: M x n, b: M x 1, x initialised n x 1): rows
 * of [A | b] scaled to integers, fmpz_mat_rref, free variables set to 0.
 * Returns 1 and sets x when the system is solvable, 0 otherwise (x is then
 * zero). Aliasing is not allowed. */
int idc_qspace_solve(fmpq_mat_t x, const fmpq_mat_t A, const fmpq_mat_t b);

/* Fredholm alternative for A x = b (A: M x n, b: M x 1): when the system
 * has no solution, sets w (initialised M x 1) to a vector with w^T A = 0
 * and w^T b != 0 and returns 1; returns 0 when the system is solvable. */
int idc_qspace_fredholm(fmpq_mat_t w, const fmpq_mat_t A, const fmpq_mat_t b);

/* ---- subspaces of (Z/pZ)^m in reduced row echelon form ------------------ */

/* A subspace of (Z/pZ)^m held as the rows of its reduced row echelon form
 * (every row normalised to 1 at its pivot column, pivot columns zero in
 * the other rows). Storage is allocated once by init (m x m residues plus
 * one m-residue workspace); no operation allocates afterwards. A result
 * computed here is a search result, not a proof: callers turn it into an
 * exact certificate and verify that over Q. */
typedef struct {
    slong m;          /* ambient dimension */
    slong rank;       /* rows in use */
    nmod_t mod;       /* the prime p */
    mp_limb_t *rows;  /* m x m row-major; the first `rank` rows are the RREF */
    slong *pivot;     /* pivot column of each row in use */
    mp_limb_t *work;  /* m residues of workspace */
} idc_qspace_nech_struct;
typedef idc_qspace_nech_struct idc_qspace_nech_t[1];

/* The zero subspace of (Z/pZ)^m (m >= 0, p prime). */
void idc_qspace_nech_init(idc_qspace_nech_t E, slong m, mp_limb_t p);
void idc_qspace_nech_clear(idc_qspace_nech_t E);

/* E := F (same m and p; E != F). */
void idc_qspace_nech_set(idc_qspace_nech_t E, const idc_qspace_nech_t F);

/* E := 0. */
void idc_qspace_nech_zero(idc_qspace_nech_t E);

/* E := E + span(v) for v (m residues < p). Returns 1 when v was not in E
 * (the rank grew), 0 when it was. Cost O(rank m). */
int idc_qspace_nech_add(idc_qspace_nech_t E, const mp_limb_t *v);

/* 1 when v lies in E. tmp: m residues of workspace (may not alias v). */
int idc_qspace_nech_contains(const idc_qspace_nech_t E, const mp_limb_t *v, mp_limb_t *tmp);

/* The kernel {x : r . x = 0 for every row r of E}: writes m - rank vectors
 * (row-major, (m - rank) x m) to K, one per non-pivot column f (1 at f),
 * and returns m - rank. */
slong idc_qspace_nech_kernel(mp_limb_t *K, const idc_qspace_nech_t E);
#endif
