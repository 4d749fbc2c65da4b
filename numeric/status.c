#include "numeric/status.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int idc_err_set(idc_err *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int idc_err_prefix(idc_err *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        char head[IDC_ERR_LEN], old[IDC_ERR_LEN];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(head, sizeof head, fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof old);
        size_t h = strlen(head), o = strlen(old);
        if (h > sizeof err->msg - 1)
            h = sizeof err->msg - 1;
        if (o > sizeof err->msg - 1 - h)
            o = sizeof err->msg - 1 - h;
        memcpy(err->msg, head, h);
        memcpy(err->msg + h, old, o);
        err->msg[h + o] = '\0';
    }
    return code;
}

void idc_err_clear(idc_err *err)
{
    if (err != NULL)
        err->msg[0] = '\0';
}

const char *idc_status_name(int status)
{
    switch (status) {
    case IDC_OK: return "IDC_OK";
    case IDC_EINVAL: return "IDC_EINVAL";
    case IDC_EDOM: return "IDC_EDOM";
    case IDC_EUNABLE: return "IDC_EUNABLE";
    case IDC_ENOMEM: return "IDC_ENOMEM";
    case IDC_EIO: return "IDC_EIO";
    case IDC_EINTERNAL: return "IDC_EINTERNAL";
    default: return "IDC_E?";
    }
}

int idc_status_exit_code(int status)
{
    switch (status) {
    case IDC_OK: return 0;
    case IDC_EINVAL:
    case IDC_EDOM:
    case IDC_EIO: return 2;
    default: return 3;
    }
}

void *idc_calloc(size_t n, size_t size)
{
    if (n == 0 || size == 0)
        return calloc(1, 1);
    if (n > SIZE_MAX / size)
        return NULL;
    return calloc(n, size);
}
