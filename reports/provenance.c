#include "reports/provenance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
#ifndef IDC_SOURCE_ID
#define IDC_SOURCE_ID "unknown"
#endif

char *openblas_get_config(void);

const char *idc_version(void)
{
    return IDC_VERSION;
}

const char *idc_source_id(void)
{
    return IDC_SOURCE_ID;
}

/* {"id", "commit", "dirty"} of IDC_SOURCE_ID ("git:C[+dirty]" or "tree:H"). */
static json_t *source_json(void)
{
    const char *id = IDC_SOURCE_ID;
    json_t *o = json_pack("{s:s}", "id", id);
    if (o != NULL && strncmp(id, "git:", 4) == 0) {
        char c[64];
        snprintf(c, sizeof c, "%.*s", (int)strcspn(id + 4, "+"), id + 4);
        json_object_set_new(o, "commit", json_string(c));
        json_object_set_new(o, "dirty", json_boolean(strstr(id, "+dirty") != NULL));
    } else if (o != NULL && strncmp(id, "tree:", 5) == 0) {
        json_object_set_new(o, "source_sha256", json_string(id + 5));
    }
    return o;
}

/* The ISA extensions that matter for the kernels, as /proc/cpuinfo names them. */
static const char *const isa_flags[] = {"sse2", "sse3", "ssse3", "sse4_1", "sse4_2", "avx", "fma", "avx2",
                                        "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl",
                                        "avx512_bf16", "avx512_vnni", "amx_tile", "f16c", "asimd", "sve"};

/* {"model", "isa": [...], "logical_cpus", "features_usable": [...]} from
 * /proc/cpuinfo (first processor) and cpuid (numeric/blas.h). */
static json_t *cpu_json(void)
{
    char model[256] = "", flags[8192] = "";
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[8192];
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        char *colon = strchr(line, ':');
        if (colon == NULL)
            continue;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        v[strcspn(v, "\n")] = '\0';
        if (model[0] == '\0' && strncmp(line, "model name", 10) == 0)
            snprintf(model, sizeof model, "%s", v);
        else if (flags[0] == '\0' && (strncmp(line, "flags", 5) == 0 || strncmp(line, "Features", 8) == 0))
            snprintf(flags, sizeof flags, " %s ", v);
        if (model[0] && flags[0])
            break;
    }
    if (f != NULL)
        fclose(f);
    json_t *isa = json_array();
    for (size_t i = 0; i < sizeof isa_flags / sizeof isa_flags[0]; i++) {
        char pat[40];
        snprintf(pat, sizeof pat, " %s ", isa_flags[i]);
        if (strstr(flags, pat) != NULL)
            json_array_append_new(isa, json_string(isa_flags[i]));
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return json_pack("{s:s,s:o,s:I}", "model", model[0] ? model : "unknown", "isa", isa, "logical_cpus",
                     (json_int_t)(n > 0 ? n : 0));
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
    json_t *threads = json_pack("{s:i,s:s}", "openblas", idc_blas_get_threads(), "omp_num_threads",
                                getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "");
    return json_pack("{s:s,s:o,s:o,s:o,s:s,s:s,s:o,s:o,s:o}", "idcheck", IDC_VERSION, "source", source_json(),
                     "libraries", libs, "build", build, "backend", "cpu", "device", "cpu", "blas", blas, "cpu",
                     cpu_json(), "threads", threads);
}

int idc_provenance_set(json_t *prov, const char *key, json_t *value)
{
    const char *dot = strchr(key, '.');
    if (dot == NULL)
        return json_object_set_new(prov, key, value);
    char head[64];
    snprintf(head, sizeof head, "%.*s", (int)(dot - key), key);
    json_t *sub = json_object_get(prov, head);
    if (!json_is_object(sub)) {
        sub = json_object();
        if (json_object_set_new(prov, head, sub) != 0) {
            json_decref(value);
            return -1;
        }
    }
    return json_object_set_new(sub, dot + 1, value);
}
