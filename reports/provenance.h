/* What a result needs to be re-derived: the versions of idcheck and of every
 * library it links, the build flags and the backend. */
#ifndef IDC_REPORTS_PROVENANCE_H
#define IDC_REPORTS_PROVENANCE_H

#include <jansson.h>

/* A new JSON object {"idcheck": VERSION, "libraries": {...}, "build": {...},
 * "backend", "blas": {"core", "chosen_by", "openblas_detected", "cpu_best",
 * "gemm_library"}} ("blas": the OpenBLAS core of this process and who chose
 * it, see numeric/blas.h idc_blas_core_info_get). Caller owns the
 * reference. NULL on allocation failure. */
json_t *idc_provenance_json(void);

/* idcheck's version string. */
const char *idc_version(void);

#endif
