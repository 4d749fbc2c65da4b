/* Status codes and the error-message buffer shared by every idcheck module.
 *
 * Library functions return an int status (IDC_OK or one of the codes below)
 * and, on failure, describe the problem in one line in an idc_err the caller
 * owns. Library code never prints and never exits; the CLI maps statuses to
 * exit codes (see idc_status_exit_code). */
#ifndef IDC_NUMERIC_STATUS_H
#define IDC_NUMERIC_STATUS_H

#include <stddef.h>

enum {
    IDC_OK = 0,
    IDC_EINVAL = 1,   /* bad input: malformed, wrong shape, out of range */
    IDC_EDOM = 2,     /* a hypothesis of the routine is violated */
    IDC_EUNABLE = 3,  /* undecided within the budget */
    IDC_ENOMEM = 4,   /* allocation failed */
    IDC_EIO = 5,      /* file system or stream error */
    IDC_EINTERNAL = 6 /* a bug: an invariant of idcheck itself broke */
};

#define IDC_ERR_LEN 512

typedef struct {
    char msg[IDC_ERR_LEN];
} idc_err;

/* Sets err->msg from a printf format (err may be NULL) and returns code. */
int idc_err_set(idc_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix" to the message already in err (used to add a JSON path
 * or a file name as an error travels up). Returns code. */
int idc_err_prefix(idc_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears the message. */
void idc_err_clear(idc_err *err);

/* Short name of a status code ("IDC_EINVAL", ...). */
const char *idc_status_name(int status);

/* The CLI exit code for a library status: 0 ok, 2 bad input, 3 internal. */
int idc_status_exit_code(int status);

/* calloc that checks n*size for overflow; returns NULL on failure. */
void *idc_calloc(size_t n, size_t size);

#endif
