/* Tests of numeric/blas.h: one BLAS in the process (the engine's GEMM and
 * GSL's CBLAS calls resolve to OpenBLAS; libgslcblas is not loaded), the
 * thread-count controls, the OpenBLAS core rule (the best core for a set of
 * CPU flags as a table; the decision: never override the user, re-execute
 * at most once, an explicit request wins) and the GEMM check of the loaded
 * kernels. */
#define _GNU_SOURCE /* dladdr, dl_iterate_phdr */
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
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
    ck_assert_int_eq(gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, &A.matrix, &B.matrix, 0.0, &C.matrix),
                     0);
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

#define SSE (IDC_CPU_SSE2 | IDC_CPU_SSE3 | IDC_CPU_SSSE3 | IDC_CPU_SSE41 | IDC_CPU_SSE42)
#define AVX2 (SSE | IDC_CPU_AVX | IDC_CPU_FMA | IDC_CPU_AVX2)
#define AVX512                                                                                               \
    (AVX2 | IDC_CPU_AVX512F | IDC_CPU_AVX512DQ | IDC_CPU_AVX512CD | IDC_CPU_AVX512BW | IDC_CPU_AVX512VL)

/* The best core as a pure function of the flags. */
START_TEST(test_core_for_features)
{
    static const struct {
        unsigned f;
        const char *core;
    } t[] = {
        {0, NULL},
        {IDC_CPU_SSE2, NULL},
        {IDC_CPU_SSE2 | IDC_CPU_SSE3, "Prescott"},
        {IDC_CPU_SSE2 | IDC_CPU_SSE3 | IDC_CPU_SSSE3, "Core2"},
        {IDC_CPU_SSE2 | IDC_CPU_SSE3 | IDC_CPU_SSSE3 | IDC_CPU_SSE41, "Penryn"},
        {SSE, "Nehalem"},
        {SSE | IDC_CPU_AVX, "Sandybridge"},
        {SSE | IDC_CPU_AVX | IDC_CPU_FMA, "Sandybridge"},  /* FMA without AVX2 */
        {SSE | IDC_CPU_AVX | IDC_CPU_AVX2, "Sandybridge"}, /* AVX2 without FMA */
        {AVX2, "Haswell"},
        {AVX2 | IDC_CPU_AVX512F, "Haswell"}, /* AVX-512 F alone is not SkylakeX */
        {AVX512 & ~IDC_CPU_AVX512VL, "Haswell"},
        {AVX512 & ~IDC_CPU_AVX512BW, "Haswell"},
        {AVX512 & ~IDC_CPU_AVX512DQ, "Haswell"},
        {AVX512, "SkylakeX"},
        {AVX512 | IDC_CPU_AVX512BF16, "SkylakeX"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        const char *got = idc_blas_core_for_features(t[i].f);
        if (t[i].core == NULL)
            ck_assert_msg(got == NULL, "flags 0x%x: got %s, expected none", t[i].f, got);
        else
            ck_assert_msg(got != NULL && strcmp(got, t[i].core) == 0, "flags 0x%x: got %s, expected %s",
                          t[i].f, got != NULL ? got : "(none)", t[i].core);
        if (got != NULL) /* the best core is always selectable where it is chosen */
            ck_assert(idc_blas_core_selectable(got, t[i].f));
    }
    ck_assert_str_eq(idc_blas_core_canonical("haswell"), "Haswell");
    ck_assert_str_eq(idc_blas_core_canonical("SKYLAKEX"), "SkylakeX");
    ck_assert_ptr_null(idc_blas_core_canonical("bogus"));
    ck_assert_ptr_null(idc_blas_core_canonical(NULL));
    ck_assert_int_eq(idc_blas_core_level("Prescott"), 1);
    ck_assert_int_eq(idc_blas_core_level("Zen"), idc_blas_core_level("Haswell"));
    ck_assert_int_lt(idc_blas_core_level("Haswell"), idc_blas_core_level("SkylakeX"));
    ck_assert_int_eq(idc_blas_core_level("bogus"), -1);
    ck_assert(!idc_blas_core_selectable("SkylakeX", AVX2));
    ck_assert(!idc_blas_core_selectable("Cooperlake", AVX512));
    ck_assert(idc_blas_core_selectable("Cooperlake", AVX512 | IDC_CPU_AVX512BF16));
    ck_assert(!idc_blas_core_selectable("Bulldozer", AVX512)); /* known, not offered */
    ck_assert(!idc_blas_core_selectable("bogus", AVX512));
    /* this CPU: its flags give a core, OpenBLAS names a core idcheck knows */
    unsigned f = idc_blas_cpu_features();
    fprintf(stderr, "this CPU: features 0x%x, best core %s, OpenBLAS loaded %s\n", f,
            idc_blas_core_for_features(f) != NULL ? idc_blas_core_for_features(f) : "(none)",
            idc_blas_core());
    ck_assert(f & IDC_CPU_SSE2); /* every x86-64 CPU */
    ck_assert_int_ge(idc_blas_core_level(idc_blas_core()), 0);
}
END_TEST

static idc_blas_core_plan decide_ok(const char *req, const char *env, const char *mark, const char *loaded,
                                    unsigned f)
{
    idc_blas_core_in in = {req, env, mark, loaded, f};
    idc_blas_core_plan p;
    idc_err err;
    int st = idc_blas_core_decide(&p, &in, &err);
    ck_assert_msg(st == IDC_OK, "decide(%s, %s, %s, %s): %s", req, env, mark, loaded, err.msg);
    return p;
}

/* The rule of idc_blas_core_decide, case by case. */
START_TEST(test_core_decide)
{
    idc_blas_core_plan p;
    /* misdetected (Prescott on an AVX-512 CPU): re-execute with SkylakeX */
    p = decide_ok(NULL, NULL, NULL, "Prescott", AVX512);
    ck_assert(p.reexec);
    ck_assert_str_eq(p.core, "SkylakeX");
    ck_assert_str_eq(p.origin, "cpu-flags");
    ck_assert_str_eq(p.detected, "Prescott");
    /* ... and in the re-executed process: keep, check the kernels */
    p = decide_ok(NULL, "SkylakeX", "cpu-flags:Prescott", "SkylakeX", AVX512);
    ck_assert(!p.reexec && p.verify);
    ck_assert_str_eq(p.origin, "cpu-flags");
    ck_assert_str_eq(p.detected, "Prescott");
    /* OpenBLAS refused it there: no second re-exec, its own core */
    p = decide_ok(NULL, "SkylakeX", "cpu-flags:Prescott", "Prescott", AVX512);
    ck_assert(!p.reexec && !p.verify);
    ck_assert_str_eq(p.core, "Prescott");
    ck_assert_str_eq(p.origin, "fallback");
    /* after a failed check: OpenBLAS's own core, nothing more */
    p = decide_ok(NULL, NULL, "fallback:Prescott", "Prescott", AVX512);
    ck_assert(!p.reexec && !p.verify);
    ck_assert_str_eq(p.origin, "fallback");
    /* detected right (or a same-level core such as Zen): nothing to do */
    p = decide_ok(NULL, NULL, NULL, "SkylakeX", AVX512);
    ck_assert(!p.reexec && !p.verify);
    ck_assert_str_eq(p.origin, "openblas");
    p = decide_ok(NULL, NULL, NULL, "Zen", AVX2);
    ck_assert(!p.reexec);
    ck_assert_str_eq(p.core, "Zen");
    p = decide_ok(NULL, NULL, NULL, "Cooperlake", AVX512 | IDC_CPU_AVX512BF16);
    ck_assert(!p.reexec);
    ck_assert_str_eq(p.core, "Cooperlake");
    /* an unknown loaded core or a CPU without flags: left alone */
    p = decide_ok(NULL, NULL, NULL, "SomethingNew", AVX512);
    ck_assert(!p.reexec);
    p = decide_ok(NULL, NULL, NULL, "Prescott", 0);
    ck_assert(!p.reexec);
    /* never override the user's OPENBLAS_CORETYPE, even a weaker core */
    p = decide_ok(NULL, "Prescott", NULL, "Prescott", AVX512);
    ck_assert(!p.reexec && !p.verify);
    ck_assert_str_eq(p.core, "Prescott");
    ck_assert_str_eq(p.origin, "OPENBLAS_CORETYPE");
    ck_assert_str_eq(p.detected, "");
    p = decide_ok(NULL, "bogus", NULL, "Cooperlake", AVX512);
    ck_assert(!p.reexec);
    ck_assert_str_eq(p.origin, "OPENBLAS_CORETYPE");
    p = decide_ok(NULL, "", NULL, "Prescott", AVX512); /* empty = unset */
    ck_assert(p.reexec);
    /* --blas-core: re-execute when another core is loaded (it wins over
     * OPENBLAS_CORETYPE), keep when it is loaded */
    p = decide_ok("haswell", NULL, NULL, "SkylakeX", AVX512);
    ck_assert(p.reexec);
    ck_assert_str_eq(p.core, "Haswell");
    ck_assert_str_eq(p.origin, "--blas-core");
    ck_assert_str_eq(p.detected, "SkylakeX");
    p = decide_ok("Haswell", "Prescott", NULL, "Prescott", AVX512);
    ck_assert(p.reexec);
    ck_assert_str_eq(p.detected, "");
    p = decide_ok("Haswell", "Haswell", "--blas-core:SkylakeX", "Haswell", AVX512);
    ck_assert(!p.reexec && p.verify);
    ck_assert_str_eq(p.origin, "--blas-core");
    ck_assert_str_eq(p.detected, "SkylakeX");
    p = decide_ok("Prescott", NULL, NULL, "Prescott", AVX512);
    ck_assert(!p.reexec && p.verify);
    /* a request for another core than the mark's: one more re-exec */
    p = decide_ok("Prescott", "SkylakeX", "cpu-flags:Haswell", "SkylakeX", AVX512);
    ck_assert(p.reexec);
    ck_assert_str_eq(p.core, "Prescott");
    ck_assert_str_eq(p.detected, "Haswell");

    /* errors: unknown or not offered, not on this CPU, refused by OpenBLAS */
    idc_blas_core_in in = {"bogus", NULL, NULL, "Haswell", AVX512};
    idc_err err;
    ck_assert_int_eq(idc_blas_core_decide(&p, &in, &err), IDC_EINVAL);
    ck_assert_msg(strstr(err.msg, "unknown core \"bogus\"") && strstr(err.msg, "SkylakeX"), "%s", err.msg);
    in.requested = "Bulldozer";
    ck_assert_int_eq(idc_blas_core_decide(&p, &in, &err), IDC_EINVAL);
    in.requested = "SkylakeX";
    in.features = AVX2;
    ck_assert_int_eq(idc_blas_core_decide(&p, &in, &err), IDC_EDOM);
    ck_assert_msg(strstr(err.msg, "lacks") != NULL, "%s", err.msg);
    in.features = AVX512;
    in.env = "SkylakeX";
    in.mark = "--blas-core:Haswell";
    ck_assert_int_eq(idc_blas_core_decide(&p, &in, &err), IDC_EDOM);
    ck_assert_msg(strstr(err.msg, "loaded Haswell") != NULL, "%s", err.msg);
    ck_assert_int_eq(idc_blas_core_decide(NULL, &in, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_blas_core_decide(&p, NULL, &err), IDC_EINVAL);
    /* a malformed mark counts as none: the user's OPENBLAS_CORETYPE */
    p = decide_ok(NULL, "Haswell", "junk", "Haswell", AVX512);
    ck_assert_str_eq(p.origin, "OPENBLAS_CORETYPE");
}
END_TEST

/* The loaded kernels pass the check; the provenance record names them. */
START_TEST(test_gemm_check)
{
    idc_err err;
    ck_assert_msg(idc_blas_gemm_check(&err) == IDC_OK, "%s (core %s)", err.msg, idc_blas_core());
    idc_blas_core_info info;
    idc_blas_core_info_get(&info);
    ck_assert_str_eq(info.core, idc_blas_core());
    ck_assert(info.origin[0] != '\0');
    const char *env = getenv("OPENBLAS_CORETYPE");
    if (getenv(IDC_BLAS_CORE_MARK) == NULL)
        ck_assert_str_eq(info.origin, env != NULL && env[0] != '\0' ? "OPENBLAS_CORETYPE" : "openblas");
    idc_blas_core_info_get(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("blas");
    const idc_test_case cases[] = {
        {"one_blas", test_one_blas},
        {"threads", test_threads},
        {"core_for_features", test_core_for_features},
        {"core_decide", test_core_decide},
        {"gemm_check", test_gemm_check},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 30);
    return idc_test_run(s);
}
