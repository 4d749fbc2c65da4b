/* Linear sum assignment: a minimum-cost one-to-one matching between the rows
 * and the columns of a dense cost matrix (the Hungarian method, run as
 * successive shortest augmenting paths with dual potentials in the
 * Jonker-Volgenant manner).
 *
 * Rectangular matrices are allowed: min(nr, nc) pairs are assigned and the
 * surplus rows (or columns) stay unassigned. Used by the MCC metric
 * (THEORY.md §6) to pair learned with true latent coordinates. */
#ifndef IDC_NUMERIC_HUNGARIAN_H
#define IDC_NUMERIC_HUNGARIAN_H

#include <stddef.h>

#include "numeric/status.h"

/* Minimum-cost assignment for the nr x nc cost matrix `cost` (row-major,
 * finite doubles). Sets row_to_col[i] (nr entries) to the column assigned to
 * row i, or SIZE_MAX for a row left unassigned (only when nr > nc), and, when
 * total is not NULL, *total to the sum of the assigned costs (summed in row
 * order from `cost` itself). Every column is used at most once and exactly
 * min(nr, nc) rows are assigned. Among several optimal assignments the one
 * returned is a deterministic function of the input. nr == 0 or nc == 0 is
 * allowed (nothing assigned, total 0); cost may then be NULL.
 *
 * Statuses: IDC_OK; IDC_EINVAL for a NULL array with nonzero sizes, nr * nc
 * overflowing size_t, a NaN or infinite entry, or entries spread so widely
 * (max - min > DBL_MAX / (4 (min(nr, nc) + 1))) that the dual potentials
 * could overflow; IDC_ENOMEM. On error row_to_col is filled with SIZE_MAX
 * (when not NULL) and *total is set to 0.
 *
 * Cost: O(k^2 K) time with k = min(nr, nc), K = max(nr, nc); O(k + K) extra
 * memory, allocated once per call. No transposed copy is made. */
int idc_hungarian(size_t *row_to_col, double *total, const double *cost, size_t nr, size_t nc,
                  idc_err *err) __attribute__((warn_unused_result));

/* Maximum-weight assignment: as idc_hungarian with every entry negated, so
 * the assignment maximises the sum of `weight` over assigned pairs; *total is
 * that (maximal) sum. Same statuses and cost. */
int idc_hungarian_max(size_t *row_to_col, double *total, const double *weight, size_t nr, size_t nc,
                      idc_err *err) __attribute__((warn_unused_result));

#endif
