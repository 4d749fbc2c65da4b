/* Exact doubles as dyadic rationals (CERTIFICATES.md §1 "dq conversion").
 *
 * Every finite double is exactly mant * 2^exp with |mant| < 2^53, so it is a
 * dyadic rational. This module converts doubles to FLINT integers, rationals
 * and residues mod an odd prime without rounding, and converts rationals to
 * and from the "p/q" strings certificates carry.
 *
 * FLINT 2.9 has no fmpq_set_d; idc_dq_fmpq_set_d is that function. NaN and
 * infinities are rejected with IDC_EINVAL everywhere (they are not rationals).
 * Nothing here allocates behind the caller's back except the string
 * functions, which say so.
 */
#ifndef IDC_NUMERIC_DQ_H
#define IDC_NUMERIC_DQ_H

#include <stddef.h>
#include <stdint.h>

#include <flint/flint.h>
#include <flint/fmpq.h>
#include <flint/fmpq_mat.h>
#include <flint/fmpz.h>
#include <flint/fmpz_mat.h>
#include <flint/nmod_mat.h>

#include "numeric/status.h"

/* Splits x exactly as x = *mant * 2^*exp with *mant odd, or *mant = *exp = 0
 * for x = +-0. |*mant| < 2^53 and -1074 <= *exp <= 971.
 * Returns IDC_OK, or IDC_EINVAL for NaN / +-Inf (outputs untouched). */
int idc_dq_split(int64_t *mant, long *exp, double x) __attribute__((warn_unused_result));

/* res = x exactly (canonical fmpq). IDC_OK or IDC_EINVAL (NaN/Inf). */
int idc_dq_fmpq_set_d(fmpq_t res, double x) __attribute__((warn_unused_result));

/* res = x for a double the caller has already checked to be finite (a NaN
 * or infinity gives 0). For hot loops over validated data. */
void idc_dq_fmpq_set_finite_d(fmpq_t res, double x);

/* A (initialised rows x cols) = a for validated finite data (see above). */
void idc_dq_fmpq_mat_set_finite_d(fmpq_mat_t A, const double *a, size_t rows, size_t cols);

/* res = x * 2^shift, which must be an integer: IDC_OK, IDC_EINVAL for
 * NaN/Inf, IDC_EDOM if x * 2^shift is not an integer. */
int idc_dq_fmpz_set_d_2exp(fmpz_t res, double x, long shift) __attribute__((warn_unused_result));

/* Smallest shift s such that x * 2^s is an integer (0 for x = 0; negative
 * for large even x). IDC_OK or IDC_EINVAL. */
int idc_dq_min_shift(long *shift, double x) __attribute__((warn_unused_result));

/* A (initialised rows x cols) = a (row-major doubles) exactly.
 * IDC_OK or IDC_EINVAL (a non-finite entry; A is then partly written). */
int idc_dq_fmpq_mat_set_d(fmpq_mat_t A, const double *a, size_t rows, size_t cols)
    __attribute__((warn_unused_result));

/* A (initialised rows x cols) = diag(2^shift_i) * a: row i of a scaled by the
 * power of two that makes it an integer row with at least one odd entry (a
 * zero row gets shift 0). Exact and rank-preserving. shift may be NULL, else
 * it receives rows values. IDC_OK or IDC_EINVAL. */
int idc_dq_fmpz_mat_set_d_rowscaled(fmpz_mat_t A, long *shift, const double *a, size_t rows, size_t cols)
    __attribute__((warn_unused_result));

/* A = 2^shift * a with one common shift (the smallest making every entry an
 * integer): keeps symmetry and definiteness. shift may be NULL. */
int idc_dq_fmpz_mat_set_d_scaled(fmpz_mat_t A, long *shift, const double *a, size_t rows, size_t cols)
    __attribute__((warn_unused_result));

/* *r = x mod p for an odd modulus p = mod.n (x = mant * 2^exp reduces to
 * (mant mod p) * (2^exp mod p); 2 is invertible mod odd p), computed in word
 * arithmetic, no bignum. This is a ring homomorphism on dyadic rationals.
 * IDC_OK, IDC_EINVAL (NaN/Inf), IDC_EDOM (p even or p < 3). */
int idc_dq_nmod(mp_limb_t *r, double x, nmod_t mod) __attribute__((warn_unused_result));

/* A (initialised rows x cols modulo odd p) = a mod p entrywise. */
int idc_dq_nmod_mat_set_d(nmod_mat_t A, const double *a, size_t rows, size_t cols)
    __attribute__((warn_unused_result));

/* *r = q mod p = num * den^-1 mod p. IDC_OK, or IDC_EDOM when p divides the
 * denominator (q has no image mod p). */
int idc_dq_fmpq_nmod(mp_limb_t *r, const fmpq_t q, nmod_t mod) __attribute__((warn_unused_result));

/* The string "p/q" (lowest terms, q >= 1, always with the slash, e.g. "3/1",
 * "-1/4", "0/1"). Returns a malloc'ed string the caller frees with free(),
 * or NULL on allocation failure. */
char *idc_dq_fmpq_get_str(const fmpq_t q);

/* Same for a double, exactly (NULL also for NaN/Inf). */
char *idc_dq_get_str_d(double x);

/* Parses "[-]digits" or "[-]digits/digits" (decimal, no spaces or '+',
 * denominator > 0) into res, canonicalised. IDC_OK or IDC_EINVAL (res then
 * holds 0). */
int idc_dq_fmpq_set_str(fmpq_t res, const char *s) __attribute__((warn_unused_result));

/* Exact comparison of a rational with a double: sign of q - x in *cmp
 * (-1, 0, 1). IDC_OK or IDC_EINVAL (x NaN/Inf). */
int idc_dq_fmpq_cmp_d(int *cmp, const fmpq_t q, double x) __attribute__((warn_unused_result));

#endif
