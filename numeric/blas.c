#include "numeric/blas.h"

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
