/* Writing result files without ever leaving a half-written one, and reading
 * .npy files without trusting their headers.
 *
 * Where output goes, by what the target is when the write starts:
 *  - "-": standard output (written and flushed; a write error is reported);
 *  - absent or a regular file (or a symlink to one, which is followed): a
 *    temporary "<target>.tmp.<pid>" in the same directory is written, fsync'ed,
 *    closed and renamed over the target, so readers see the old file or the
 *    whole new one; the new file keeps an existing target's permission bits;
 *  - a character or block device, a FIFO, a socket (or a symlink to one):
 *    written through in place, never renamed over, errors reported (writing
 *    to a device like /dev/full fails with its ENOSPC);
 *  - a directory: IDC_EIO, nothing written.
 * Every write first removes stale temporaries of the same target that dead
 * writers left behind ("<target>.tmp.<pid>" whose pid is not alive and whose
 * file lock nobody holds; a writer holds an flock on its temporary while it
 * writes), and backups "<target>.bak.<pid>" of dead writers that are only a
 * second link to the target as it is now. */
#ifndef IDC_NUMERIC_FILEIO_H
#define IDC_NUMERIC_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "numeric/status.h"

/* Writes len bytes to path as described above. IDC_EIO with the reason on
 * failure (the previous content of a regular target is untouched then, and no
 * temporary is left); IDC_ENOMEM. */
int idc_write_file_atomic(const char *path, const void *data, size_t len, idc_err *err)
    __attribute__((warn_unused_result));

/* A set of output files replaced as one unit: either every member gets its
 * new content or (on failure) every regular member keeps its old one.
 *
 * idc_fileset_add writes the member's temporary at once (so the caller can
 * free the data) and fails early on a target that cannot be replaced (a
 * directory) or a regular file added twice; a failed add leaves the set as it
 * was. idc_fileset_commit then writes the non-regular members through first
 * (devices, FIFOs, "-", in order; if one fails, no regular member is
 * replaced; once written they cannot be taken back), hard-links the old content of each regular member but the last to
 * "<target>.bak.<pid>" (a copy where the file system has no hard links), and
 * renames the temporaries over their targets in the order they were added.
 * If rename k fails, members 0..k-1 are rolled back (the backup renamed over
 * the target, or a target that did not exist before removed) and the status
 * is IDC_EIO naming the member; if a rollback step itself fails the message
 * says so and that backup is kept. On success the backups are removed.
 * A crash (kill -9, power loss) inside commit can leave a mix of old and new
 * members; the backups of the replaced ones are kept then (the next write of
 * the same targets removes only backups that are a second link to the
 * target). idc_fileset_free removes the temporaries of a set not committed;
 * idc_fileset_free(NULL) is a no-op. A set is committed at most once. */
typedef struct idc_fileset idc_fileset;
idc_fileset *idc_fileset_new(void);
int idc_fileset_add(idc_fileset *fs, const char *path, const void *data, size_t len, idc_err *err)
    __attribute__((warn_unused_result));
int idc_fileset_commit(idc_fileset *fs, idc_err *err) __attribute__((warn_unused_result));
void idc_fileset_free(idc_fileset *fs);

/* NumPy .npy version 1.0, little-endian: a rows x cols float64 ('<f8') or
 * int32 ('<i4') C-order array (cols == 0 writes a 1-D array of rows).
 * The encoders set *data to a malloc'ed buffer of *len bytes (the caller
 * frees it); IDC_ENOMEM. The writers write it with idc_write_file_atomic. */
int idc_npy_encode_f64(char **data, size_t *len, const double *a, size_t rows, size_t cols, idc_err *err);
int idc_npy_encode_i32(char **data, size_t *len, const int32_t *a, size_t rows, idc_err *err);
int idc_npy_write_f64(const char *path, const double *a, size_t rows, size_t cols, idc_err *err);
int idc_npy_write_i32(const char *path, const int32_t *a, size_t rows, idc_err *err);

/* Reads a float64 .npy file (1-D or 2-D, C order, '<f8'). *a is malloc'ed;
 * cols = 1 for a 1-D array. The header's shape is compared with the size of
 * a regular file before anything is allocated (IDC_EINVAL naming the file and
 * 'shape'); from a pipe the data is read in growing chunks, so a lying header
 * costs no more memory than the bytes actually sent. */
int idc_npy_read_f64(double **a, size_t *rows, size_t *cols, const char *path, idc_err *err);

/* CSV with a header line "name0,name1,..." (names prefix0..prefix{cols-1})
 * and doubles printed with 17 significant digits. Encoders and writers as for
 * .npy. */
int idc_csv_encode_f64(char **data, size_t *len, const char *prefix, const double *a, size_t rows,
                       size_t cols, idc_err *err);
int idc_csv_encode_i32(char **data, size_t *len, const char *name, const int32_t *a, size_t rows,
                       idc_err *err);
int idc_csv_write_f64(const char *path, const char *prefix, const double *a, size_t rows, size_t cols,
                      idc_err *err);
int idc_csv_write_i32(const char *path, const char *name, const int32_t *a, size_t rows, idc_err *err);

#endif
