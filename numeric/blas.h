/* Thin controls over the OpenBLAS library used by the float linear algebra
 * and by the CPU backend of the training engine (models/engine.h).
 *
 * OpenBLAS keeps one process-wide thread count. Its GEMM is bit-reproducible
 * for a fixed thread count on a fixed CPU kind, but idcheck does not rely on
 * results being equal across thread counts: the estimators set one thread
 * before they train or encode (parallelism comes from running trials in
 * parallel worker threads). */
#ifndef IDC_NUMERIC_BLAS_H
#define IDC_NUMERIC_BLAS_H

/* Sets the number of OpenBLAS worker threads for the whole process
 * (n >= 1; smaller values are taken as 1). Does nothing when the count is
 * already n. Not safe to race with a running BLAS call on another thread
 * that expects a different count. */
void idc_blas_set_threads(int n);

/* The current OpenBLAS thread count. */
int idc_blas_get_threads(void);

/* The file name of the loaded object that defines `symbol` as the process
 * resolves it (dlsym(RTLD_DEFAULT) then dladdr), e.g.
 * "/lib/x86_64-linux-gnu/libopenblas.so.0" for "cblas_sgemm". The string
 * belongs to the dynamic loader and stays valid while the object is loaded.
 * NULL when no loaded object defines the symbol. */
const char *idc_blas_symbol_library(const char *symbol);

/* The object that answers the training engine's GEMM (cblas_sgemm), by
 * idc_blas_symbol_library. The build links one BLAS, OpenBLAS, with GSL's
 * CBLAS calls resolved to it too (Makefile: GSL_LIBS). */
const char *idc_blas_gemm_library(void);

#endif
