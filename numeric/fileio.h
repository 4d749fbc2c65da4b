/* Writing result files without ever leaving a half-written one: every
 * writer goes to a temporary file in the same directory and renames it over
 * the target only after a successful flush and close. */
#ifndef IDC_NUMERIC_FILEIO_H
#define IDC_NUMERIC_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "numeric/status.h"

/* Writes len bytes to path atomically. IDC_EIO with the reason on failure;
 * the previous content of path (if any) is untouched then. */
int idc_write_file_atomic(const char *path, const void *data, size_t len, idc_err *err);

/* NumPy .npy version 1.0, little-endian: a rows x cols float64 ('<f8') or
 * int32 ('<i4') C-order array (cols == 0 writes a 1-D array of rows). */
int idc_npy_write_f64(const char *path, const double *a, size_t rows, size_t cols, idc_err *err);
int idc_npy_write_i32(const char *path, const int32_t *a, size_t rows, idc_err *err);

/* Reads a float64 .npy file (1-D or 2-D, C order, '<f8'). *a is malloc'ed;
 * cols = 1 for a 1-D array. */
int idc_npy_read_f64(double **a, size_t *rows, size_t *cols, const char *path, idc_err *err);

/* CSV with a header line "name0,name1,..." (names prefix0..prefix{cols-1})
 * and doubles printed with 17 significant digits. */
int idc_csv_write_f64(const char *path, const char *prefix, const double *a, size_t rows, size_t cols,
                      idc_err *err);
int idc_csv_write_i32(const char *path, const char *name, const int32_t *a, size_t rows, idc_err *err);

#endif
