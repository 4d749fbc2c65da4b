/* Exact rational matrix helpers for the certificate checkers
 * (CERTIFICATES.md §1: ModRank, Kernel; exact PSD by symmetric elimination).
 *
 * Matrices are FLINT fmpq_mat_t / fmpz_mat_t, or row-major doubles (read as
 * the exact dyadic rationals they are, see numeric/dq.h). Every routine is
 * exact: no tolerance anywhere.
 *
 * Primes: idc_qmat_prime(k) is a fixed sequence of odd primes just above
 * 2^50 (below 2^53, so they print exactly as JSON numbers). Certificates
 * name the prime they use, so the sequence can change without breaking old
 * certificates.
 */
#ifndef IDC_NUMERIC_QMAT_H
#define IDC_NUMERIC_QMAT_H

#include <stddef.h>

#include <flint/flint.h>
#include <flint/fmpq.h>
#include <flint/fmpq_mat.h>
#include <flint/fmpz_mat.h>
#include <flint/nmod_mat.h>

#include "numeric/status.h"

/* How many primes idc_qmat_minor_find tries before it settles the rank
 * exactly (a rank deficiency mod p proves nothing). */
#define IDC_QMAT_PRIME_TRIES 3
/* Upper bound on the primes tried when the exact rank says a minor exists
 * (each prime that kills the minor divides its numerator, so this is only
 * reached by adversarial inputs with enormous determinants). */
#define IDC_QMAT_PRIME_MAX 64

/* The k-th prime of the fixed sequence (k < IDC_QMAT_PRIME_MAX): p_0 is the
 * first prime above 2^50, p_{k+1} the next prime after p_k. */
mp_limb_t idc_qmat_prime(size_t k);

/* Exact symmetry of an m x m row-major double matrix. Returns 1 when
 * A[i][j] == A[j][i] for all i, j, else 0 and sets *bi < *bj to the first
 * asymmetric pair in row-major order (bi/bj may be NULL). NaN entries are
 * never equal, so a NaN off the diagonal makes it non-symmetric. O(m^2). */
int idc_qmat_symmetric_d(size_t *bi, size_t *bj, const double *A, size_t m);

/* Same for a rational matrix (must be square). */
int idc_qmat_symmetric(slong *bi, slong *bj, const fmpq_mat_t A);

/* Exact PSD test of an m x m row-major double matrix, read as the dyadic
 * rationals it holds. Sets *is_psd = 1 when A is exactly symmetric and
 * positive semidefinite, else *is_psd = 0 and *bad = the failing index: the
 * pivot of the symmetric elimination that is negative, or zero with a
 * nonzero rest of its row; for a non-symmetric A, the row of the first
 * asymmetric pair. Returns IDC_OK, IDC_EINVAL (a NaN/Inf entry, err names
 * it), IDC_ENOMEM. Cost O(m^3) exact integer operations (fraction-free
 * elimination, entries grow to about k*(53 + exponent spread) bits at step
 * k). */
int idc_qmat_psd_d(int *is_psd, size_t *bad, const double *A, size_t m, idc_err *err)
    __attribute__((warn_unused_result));

/* Exact PSD test of a symmetric rational matrix A (m x m) by fraction-free
 * symmetric elimination without pivoting: at step k the Schur pivot d_k
 * (the k-th diagonal entry of the Schur complement of the used pivots) must
 * be >= 0, and when d_k = 0 the rest of row k of the Schur complement must
 * vanish (then index k is skipped).
 * Outputs: *is_psd (1/0); *bad = failing index (or -1); pivots (optional,
 * an array of m initialised fmpq) receives d_0..d_{m-1} when PSD, and the
 * pivots up to and including the failing one otherwise; witness (optional,
 * initialised m x 1) receives, when not PSD, a vector v with v^T A v < 0.
 * Returns IDC_OK, or IDC_EDOM when A is not square or not symmetric
 * (nothing set). */
int idc_qmat_psd(int *is_psd, slong *bad, fmpq *pivots, fmpq_mat_t witness, const fmpq_mat_t A)
    __attribute__((warn_unused_result));

/* Exact rank of a rational matrix: rows scaled to integers (exact, rank
 * preserving), then fmpz_mat_rank. */
slong idc_qmat_rank(const fmpq_mat_t A);

/* Exact rank of a row-major double matrix. IDC_OK / IDC_EINVAL (NaN/Inf). */
int idc_qmat_rank_d(slong *rank, const double *a, size_t rows, size_t cols)
    __attribute__((warn_unused_result));

/* The image of A mod p (entries num * den^-1). IDC_OK, or IDC_EDOM when p
 * divides a denominator. Amod must be initialised with A's shape and p. */
int idc_qmat_get_nmod_mat(nmod_mat_t Amod, const fmpq_mat_t A) __attribute__((warn_unused_result));

/* Rank mod p and one nonzero minor: Gaussian elimination mod p on Amod
 * (not modified), recording the pivot rows and columns. rows/cols (length
 * >= min(r, c), may be NULL) receive the pivot positions in increasing
 * order; the minor Amod[rows, cols] is nonsingular mod p. Returns the rank
 * mod p, or -1 on allocation failure. O(r c rank) word operations. */
slong idc_qmat_nmod_pivots(slong *rows, slong *cols, const nmod_mat_t Amod);

/* Modular rank certificate (ModRank): looks for a target x target minor
 * A[rows, cols] whose determinant is nonzero mod a prime p of the sequence.
 * Tries IDC_QMAT_PRIME_TRIES primes; if none works, settles the rank
 * exactly: rank < target sets *found = 0 (a proof that no such minor
 * exists); otherwise keeps trying primes up to IDC_QMAT_PRIME_MAX.
 * On *found = 1: *prime, rows[0..target), cols[0..target) (increasing) are
 * set and det A[rows, cols] != 0 mod *prime was recomputed with
 * nmod_mat_det. Returns IDC_OK, IDC_EINVAL (target > min dims),
 * IDC_EUNABLE (primes exhausted: never expected), IDC_ENOMEM. */
int idc_qmat_minor_find(int *found, mp_limb_t *prime, slong *rows, slong *cols, const fmpq_mat_t A,
                        slong target) __attribute__((warn_unused_result));

/* Same for a row-major nr x nc double matrix, reduced mod p directly from
 * the doubles (idc_dq_nmod: no rational arithmetic unless the exact rank
 * has to be settled). IDC_EINVAL also for NaN/Inf entries. */
int idc_qmat_minor_find_d(int *found, mp_limb_t *prime, slong *rows, slong *cols, const double *a, size_t nr,
                          size_t nc, slong target) __attribute__((warn_unused_result));

/* A nonzero kernel vector of A (A v = 0), as a primitive integer vector in
 * v (initialised cols x 1). *found = 0 when A has full column rank (then v
 * is zero). Returns IDC_OK or IDC_ENOMEM. Cost: one fmpz_mat_nullspace. */
int idc_qmat_kernel_vector(int *found, fmpz_mat_t v, const fmpq_mat_t A) __attribute__((warn_unused_result));

#endif
