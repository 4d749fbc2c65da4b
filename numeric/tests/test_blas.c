/* Tests of numeric/blas.h: one BLAS in the process (the engine's GEMM and
 * GSL's CBLAS calls resolve to OpenBLAS; libgslcblas is not loaded) and the
 * thread-count controls. */
#define _GNU_SOURCE /* dladdr, dl_iterate_phdr */
#include <dlfcn.h>
#include <link.h>
#include <string.h>

#include <gsl/gsl_blas.h> /* declares the CBLAS API too (same symbols as OpenBLAS's cblas.h) */

#include "numeric/blas.h"
#include "numeric/tests/testutil.h"

static int contains(const char *s, const char *needle)
{
    return s != NULL && strstr(s, needle) != NULL;
}

static int find_gslcblas(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    if (contains(info->dlpi_name, "gslcblas")) {
        *(const char **)data = info->dlpi_name;
        return 1;
    }
    return 0;
}

/* The engine's GEMM symbols, the Fortran GEMM that LAPACKE's routines call,
 * and the CBLAS entry GSL's gsl_blas_dgemm calls all resolve to OpenBLAS;
 * the function pointer the code holds lies in OpenBLAS too; no object named
 * *gslcblas* is mapped. */
START_TEST(test_one_blas)
{
    static const char *const syms[] = {"cblas_sgemm", "cblas_dgemm", "cblas_dtrsv", "sgemm_", "dgemm_"};
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        const char *lib = idc_blas_symbol_library(syms[i]);
        ck_assert_msg(contains(lib, "openblas"), "%s resolves to %s, not OpenBLAS", syms[i],
                      lib != NULL ? lib : "(nothing)");
    }
    ck_assert_msg(contains(idc_blas_gemm_library(), "openblas"), "GEMM library %s", idc_blas_gemm_library());
    Dl_info info;
    void (*f)(void) = (void (*)(void))cblas_sgemm;
    void *fp;
    memcpy(&fp, &f, sizeof fp);
    ck_assert(dladdr(fp, &info) != 0);
    ck_assert_msg(contains(info.dli_fname, "openblas"), "&cblas_sgemm lies in %s", info.dli_fname);
    const char *gsl = NULL;
    dl_iterate_phdr(find_gslcblas, &gsl);
    ck_assert_msg(gsl == NULL, "%s is mapped beside OpenBLAS", gsl);
    /* GSL's BLAS wrapper computes through it: a 2 x 2 product */
    double a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8}, c[4] = {0};
    gsl_matrix_view A = gsl_matrix_view_array(a, 2, 2), B = gsl_matrix_view_array(b, 2, 2),
                    C = gsl_matrix_view_array(c, 2, 2);
    ck_assert_int_eq(gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, &A.matrix, &B.matrix, 0.0, &C.matrix), 0);
    ck_assert(c[0] == 19 && c[1] == 22 && c[2] == 43 && c[3] == 50);
    ck_assert_ptr_null(idc_blas_symbol_library("idc_no_such_symbol_xyz"));
    ck_assert_ptr_null(idc_blas_symbol_library(NULL));
}
END_TEST

START_TEST(test_threads)
{
    int n0 = idc_blas_get_threads();
    idc_blas_set_threads(1);
    ck_assert_int_eq(idc_blas_get_threads(), 1);
    idc_blas_set_threads(0); /* taken as 1 */
    ck_assert_int_eq(idc_blas_get_threads(), 1);
    idc_blas_set_threads(n0);
    ck_assert_int_eq(idc_blas_get_threads(), n0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("blas");
    const idc_test_case cases[] = {
        {"one_blas", test_one_blas},
        {"threads", test_threads},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 30);
    return idc_test_run(s);
}
