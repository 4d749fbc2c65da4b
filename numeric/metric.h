/* Identifiability metrics of a learned representation zhat against the true
 * latents z (THEORY.md §6): the linear-regression R^2 (high => identified up
 * to an affine map), its block matrix (X §E.5, block identifiability), the
 * Pearson and Spearman MCC (high => identified up to permutation and
 * scaling; the "strong" MCC, on raw zhat) and the weak MCC (MCC of the
 * canonical variates after a CCA alignment, numeric/cca.h; high => affine).
 *
 * Both use a fixed split of the n samples: rows [0, n/2) are the fit half
 * (the regression is fitted, or the matching chosen, there) and rows
 * [n/2, n) the held-out half. "in" values are scored on the fit half, "out"
 * values on the held-out half with the fitted map or matching unchanged.
 * Callers that want a random split permute the rows first.
 *
 * Matrices are row-major, one sample per row: z is n x dz, zhat is n x dzh.
 * Results are value types filled by the metric function and released with
 * their _clear; the metric function does not free what `res` held before. */
#ifndef IDC_NUMERIC_METRIC_H
#define IDC_NUMERIC_METRIC_H

#include <stddef.h>

#include "numeric/status.h"

typedef struct {
    size_t dz, dzh;       /* dims of z (explanatory) and zhat (response) */
    double r2_in, r2_out; /* mean over zhat coordinates of R^2 (fit / held-out half) */
    double *r2_coord_in;  /* dzh per-coordinate R^2 on the fit half (owned) */
    double *r2_coord_out; /* dzh per-coordinate R^2 on the held-out half (owned) */
    size_t z_rank;        /* numerical rank of the fit-half design used by the fit */
    double z_rcond;       /* s_min / s_max of the fit-half design (z centred, each
                             column scaled to max |entry| 1; 0 when z is constant
                             there): small values mean nearly dependent z columns */
} idc_r2_result;

/* R^2 of the ordinary least-squares regression (with intercept) of each zhat
 * coordinate on z. The regression is fitted on rows [0, n/2); for each zhat
 * coordinate k and each half, R^2_k = 1 - SS_res / SS_tot, where SS_res sums
 * the squared prediction errors on that half and SS_tot the squared
 * deviations of zhat[:, k] from its mean over that same half. r2_in / r2_out
 * are the means of the per-coordinate values. Out-of-sample R^2 can be
 * negative; in-sample R^2 lies in [0, 1] up to rounding.
 *
 * Sets every field of *res (previous contents are not freed). On any error
 * *res is left zeroed, so idc_r2_result_clear is always safe.
 *
 * The fit is the minimum-norm least-squares solution by SVD of the centred,
 * column-scaled fit-half z: singular values <= (n/2) DBL_EPSILON s_max count
 * as zero (the usual numerical-rank convention; z_rank reports the rank
 * used). So z columns that are constant or linearly dependent on the fit
 * half are not an error: zhat is regressed on the span of z, as when the
 * redundant columns are dropped.
 *
 * Statuses: IDC_OK; IDC_EINVAL (one-line message) for res == NULL, dz == 0,
 * dzh == 0, NULL arrays, too few rows (n/2 <= dz + 1), sizes beyond LAPACK's
 * int, a NaN or infinite entry, a zhat coordinate constant on either half
 * (SS_tot == 0, R^2 undefined), or overflow (a z column whose deviations
 * from its mean overflow, a non-finite R^2); IDC_EUNABLE if the SVD does not
 * converge; IDC_ENOMEM; IDC_EINTERNAL if LAPACK rejects an argument.
 *
 * Cost: O(n dz (dz + dzh)) time (one SVD of the fit half);
 * O(n (dz + dzh)) extra memory. */
int idc_metric_r2(idc_r2_result *res, const double *z, size_t dz, const double *zhat, size_t dzh,
                  size_t n, idc_err *err) __attribute__((warn_unused_result));

/* Frees what res owns and zeroes it. res may be NULL; never fails. */
void idc_r2_result_clear(idc_r2_result *res);

typedef struct {
    size_t dz, dzh;
    size_t d;               /* number of matched pairs = min(dz, dzh) */
    double mcc_in, mcc_out; /* mean matched |Pearson rho| on the fit / held-out half */
    size_t *match;          /* dz entries: match[i] = zhat coordinate matched to z
                               coordinate i, SIZE_MAX if none (only when dzh < dz) */
    double *corr_in;        /* dz x dzh row-major |rho| on the fit half (owned) */
    double *corr_out;       /* dz x dzh row-major |rho| on the held-out half (owned) */
} idc_mcc_result;

/* Pearson MCC ("strong" MCC, THEORY.md §6). On each half, corr[i][j] is the
 * absolute Pearson correlation of z[:, i] and zhat[:, j] over that half's
 * rows, clamped to [0, 1]. A column that is exactly constant on a half has
 * no defined correlation; it is given rho = 0 against every column there.
 * The one-to-one matching of z to zhat coordinates maximising the sum of
 * corr_in over min(dz, dzh) pairs is chosen by idc_hungarian_max on the fit
 * half; mcc_in is the mean of matched corr_in and mcc_out the mean of
 * corr_out over the same pairs.
 *
 * Sets every field of *res (previous contents are not freed). On any error
 * *res is left zeroed, so idc_mcc_result_clear is always safe.
 *
 * Statuses: IDC_OK; IDC_EINVAL (one-line message) for res == NULL, dz == 0,
 * dzh == 0, NULL arrays, too few rows (n/2 < 2), sizes beyond BLAS's int, a NaN or infinite
 * entry, or a column whose deviations from its mean overflow; IDC_ENOMEM.
 *
 * Cost: O(n dz dzh) time (two BLAS matrix products) plus the O(d^2 max(dz,
 * dzh)) assignment; O(n (dz + dzh) + dz dzh) extra memory. */
int idc_metric_mcc(idc_mcc_result *res, const double *z, size_t dz, const double *zhat, size_t dzh,
                   size_t n, idc_err *err) __attribute__((warn_unused_result));

/* Frees what res owns and zeroes it. res may be NULL; never fails. */
void idc_mcc_result_clear(idc_mcc_result *res);

/* Spearman MCC (strong MCC with rank correlation): as idc_metric_mcc, but
 * corr[i][j] is |Spearman rho| on each half, i.e. the Pearson correlation of
 * the average ranks (numeric/rank.h; ties share their mean rank) of
 * z[:, i] and zhat[:, j], each ranked within that half. Invariant under
 * strictly monotone maps of each coordinate (Pearson is not). Same result
 * type, matching rule, statuses and message prefix ("mcc: ") as
 * idc_metric_mcc; additionally IDC_ENOMEM for the rank copies.
 * Cost: O(n (dz + dzh) log n) for the ranks plus idc_metric_mcc's. */
int idc_metric_mcc_spearman(idc_mcc_result *res, const double *z, size_t dz, const double *zhat,
                            size_t dzh, size_t n, idc_err *err) __attribute__((warn_unused_result));

typedef struct {
    idc_mcc_result mcc;      /* Pearson MCC of the k canonical variates: its
                                dz = dzh = d = k; match pairs z-variates with
                                zhat-variates */
    size_t k;                /* canonical pairs used */
    double *rho;             /* k canonical correlations on the fit half (owned) */
    size_t rank_z, rank_zhat;/* numerical ranks seen by the CCA on the fit half */
} idc_mcc_weak_result;

/* Weak MCC (THEORY.md §6; K App. J.1, W): the CCA of z and zhat
 * (numeric/cca.h) is fitted on rows [0, n/2) keeping
 * k = min(k_req, rank_z, rank_zhat) canonical pairs (k_req = 0: min(dz,
 * dzh)); the canonical variates u = (z - mean_z) wz and v = (zhat -
 * mean_zhat) wzh of all n rows are then scored by idc_metric_mcc(u, v):
 * matching chosen on the fit half, mcc_in on the fit half, mcc_out on the
 * held-out half with the fitted CCA and matching unchanged. On the fit half
 * corr(u_i, v_j) = rho_i [i == j], so mcc_in = mean(rho) up to rounding.
 * Invariant under zhat -> zhat A + c for any invertible A (so ~1 for an
 * affinely identified zhat, where the strong MCC need not be).
 *
 * Sets every field of *res; on error *res is zeroed (clear is safe).
 * Statuses: IDC_OK; IDC_EINVAL (one-line message) for res NULL, the
 * checks of idc_metric_mcc, too few rows (n/2 < max(dz, dzh) + 2) and
 * the CCA's (message prefix "mcc_weak: "); IDC_EUNABLE, IDC_ENOMEM,
 * IDC_EINTERNAL from the CCA.
 * Cost: the CCA's O(n (dz^2 + dzh^2)) plus O(n k (dz + dzh + k)). */
int idc_metric_mcc_weak(idc_mcc_weak_result *res, const double *z, size_t dz, const double *zhat,
                        size_t dzh, size_t n, size_t k_req, idc_err *err)
    __attribute__((warn_unused_result));

/* Frees what res owns and zeroes it. res may be NULL; never fails. */
void idc_mcc_weak_result_clear(idc_mcc_weak_result *res);

/* A partition (or any family) of coordinates into blocks: block b holds the
 * coordinates idx[off[b]], ..., idx[off[b + 1] - 1]; off has nblocks + 1
 * entries with off[0] = 0. Blocks may overlap and need not cover. */
typedef struct {
    size_t nblocks;
    const size_t *off;
    const size_t *idx;
} idc_blocks;

typedef struct {
    size_t nt, nl;  /* number of true (z) and learned (zhat) blocks */
    double *r2_in;  /* nt x nl row-major (owned): [t][l] = mean over the
                       coordinates of zhat block l of the R^2 of regressing
                       them on z block t, fit half */
    double *r2_out; /* the same scored on the held-out half */
} idc_r2_blocks_result;

/* Block R^2 matrix (X §E.5): entry [t][l] is idc_metric_r2 of zhat's
 * columns in learned block l regressed on z's columns in true block t
 * (fit on rows [0, n/2), in- and out-of-sample means over the block's zhat
 * coordinates). A block-identified zhat has a (block-permuted) diagonal
 * near 1 and small off-diagonal entries when the true blocks are
 * independent.
 *
 * Sets every field of *res; on error *res is zeroed (clear is safe).
 * Statuses: IDC_OK; IDC_EINVAL for NULL arguments, an empty block list or
 * block, an index out of range ("zb block 1: index 7 >= dz = 4"), and every
 * error of idc_metric_r2 on a block pair (message prefixed by
 * "r2_blocks[t][l]: "); the other statuses of idc_metric_r2.
 * Cost: nt nl calls of idc_metric_r2 on the blocks' columns. */
int idc_metric_r2_blocks(idc_r2_blocks_result *res, const double *z, size_t dz,
                         const double *zhat, size_t dzh, size_t n, const idc_blocks *zb,
                         const idc_blocks *hb, idc_err *err) __attribute__((warn_unused_result));

/* Frees what res owns and zeroes it. res may be NULL; never fails. */
void idc_r2_blocks_result_clear(idc_r2_blocks_result *res);

#endif
