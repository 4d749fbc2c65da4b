#define _GNU_SOURCE /* dladdr, RTLD_DEFAULT */
#include "numeric/blas.h"

#include <dlfcn.h>
#include <stddef.h>

#include <cblas.h>

void idc_blas_set_threads(int n)
{
    if (n < 1)
        n = 1;
    if (openblas_get_num_threads() != n)
        openblas_set_num_threads(n);
}

int idc_blas_get_threads(void)
{
    return openblas_get_num_threads();
}

const char *idc_blas_symbol_library(const char *symbol)
{
    if (symbol == NULL)
        return NULL;
    void *f = dlsym(RTLD_DEFAULT, symbol);
    Dl_info info;
    if (f == NULL || dladdr(f, &info) == 0)
        return NULL;
    return info.dli_fname;
}

const char *idc_blas_gemm_library(void)
{
    return idc_blas_symbol_library("cblas_sgemm");
}
