#include "reports/provenance.h"

#include <stdio.h>

#include <arb.h>
#include <flint/flint.h>
#include <gmp.h>
#include <gsl/gsl_version.h>
#include <mpfr.h>
#include <nettle/version.h>
#include <sqlite3.h>

#include <Random123/features/compilerfeatures.h>

#include "numeric/blas.h"

#ifndef IDC_VERSION
#define IDC_VERSION "unknown"
#endif

char *openblas_get_config(void);

const char *idc_version(void)
{
    return IDC_VERSION;
}

json_t *idc_provenance_json(void)
{
    char nettle[32], jansson[32];
    snprintf(nettle, sizeof nettle, "%d.%d", nettle_version_major(), nettle_version_minor());
    snprintf(jansson, sizeof jansson, "%s", jansson_version_str());
    json_t *libs = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "gmp", gmp_version, "mpfr",
                             mpfr_get_version(), "flint", flint_version, "arb", arb_version, "gsl",
                             gsl_version, "openblas", openblas_get_config(), "jansson", jansson,
                             "sqlite", sqlite3_libversion(), "nettle", nettle,
                             "random123", "philox4x32-10 (Debian librandom123-dev)");
    json_t *build = json_pack("{s:s,s:s,s:s}", "compiler", __VERSION__, "date", __DATE__,
#if defined(__SANITIZE_ADDRESS__)
                              "sanitize", "address,undefined"
#else
                              "sanitize", "none"
#endif
    );
    /* the OpenBLAS kernels GEMM ran with (results differ in their last bits
     * between cores; --blas-core CORE replays them) */
    idc_blas_core_info bi;
    idc_blas_core_info_get(&bi);
    const char *lib = idc_blas_gemm_library();
    json_t *blas = json_pack("{s:s,s:s,s:s,s:s,s:s}", "core", bi.core, "chosen_by", bi.origin, "openblas_detected",
                             bi.detected, "cpu_best", bi.cpu_best, "gemm_library", lib != NULL ? lib : "");
    return json_pack("{s:s,s:o,s:o,s:s,s:o}", "idcheck", IDC_VERSION, "libraries", libs, "build", build,
                     "backend", "cpu", "blas", blas);
}
