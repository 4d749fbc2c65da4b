#define _GNU_SOURCE /* dladdr, RTLD_DEFAULT */
#include "numeric/blas.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

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

/* ---- the OpenBLAS core ---------------------------------------------------- */

char *openblas_get_corename(void);

unsigned idc_blas_cpu_features(void)
{
    unsigned f = 0;
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    if (d & (1u << 26))
        f |= IDC_CPU_SSE2;
    if (c & (1u << 0))
        f |= IDC_CPU_SSE3;
    if (c & (1u << 9))
        f |= IDC_CPU_SSSE3;
    if (c & (1u << 19))
        f |= IDC_CPU_SSE41;
    if (c & (1u << 20))
        f |= IDC_CPU_SSE42;
    unsigned xcr0 = 0;
    if ((c & (1u << 27)) != 0) { /* OSXSAVE: xgetbv is available */
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = lo;
    }
    int avx_os = (xcr0 & 0x6u) == 0x6u, avx512_os = (xcr0 & 0xe6u) == 0xe6u;
    if (!avx_os || !(c & (1u << 28)))
        return f;
    f |= IDC_CPU_AVX;
    if (c & (1u << 12))
        f |= IDC_CPU_FMA;
    unsigned max = __get_cpuid_max(0, NULL);
    if (max < 7)
        return f;
    __cpuid_count(7, 0, a, b, c, d);
    if (b & (1u << 5))
        f |= IDC_CPU_AVX2;
    if (avx512_os) {
        static const struct {
            unsigned bit, flag;
        } z[] = {{16, IDC_CPU_AVX512F},
                 {17, IDC_CPU_AVX512DQ},
                 {28, IDC_CPU_AVX512CD},
                 {30, IDC_CPU_AVX512BW},
                 {31, IDC_CPU_AVX512VL}};
        for (size_t i = 0; i < sizeof z / sizeof z[0]; i++)
            if (b & (1u << z[i].bit))
                f |= z[i].flag;
        unsigned a1 = 0, b1, c1, d1;
        if (a >= 1) /* leaf 7 has a subleaf 1 */
            __cpuid_count(7, 1, a1, b1, c1, d1);
        (void)b1;
        (void)c1;
        (void)d1;
        if ((f & IDC_CPU_AVX512F) && (a1 & (1u << 5)))
            f |= IDC_CPU_AVX512BF16;
    }
#endif
    return f;
}

#define NEED_SKX                                                                                             \
    (IDC_CPU_AVX512F | IDC_CPU_AVX512DQ | IDC_CPU_AVX512CD | IDC_CPU_AVX512BW | IDC_CPU_AVX512VL |           \
     IDC_CPU_AVX2 | IDC_CPU_FMA | IDC_CPU_AVX)
#define NEED_HSW (IDC_CPU_AVX2 | IDC_CPU_FMA | IDC_CPU_AVX)

/* The x86-64 cores of OpenBLAS's DYNAMIC_ARCH list: name, level, whether
 * idcheck offers it, and the features its kernels need. Strongest first
 * within the offered ones (idc_blas_core_for_features walks them). */
static const struct {
    const char *name;
    int level, offered;
    unsigned needs;
} cores[] = {
    {"SkylakeX", 7, 1, NEED_SKX},
    {"Haswell", 6, 1, NEED_HSW},
    {"Sandybridge", 5, 1, IDC_CPU_AVX},
    {"Nehalem", 4, 1, IDC_CPU_SSE42},
    {"Penryn", 3, 1, IDC_CPU_SSE41},
    {"Core2", 2, 1, IDC_CPU_SSSE3},
    {"Prescott", 1, 1, IDC_CPU_SSE3},
    {"Cooperlake", 7, 1, NEED_SKX | IDC_CPU_AVX512BF16},
    {"Zen", 6, 1, NEED_HSW},
    {"SapphireRapids", 7, 0, 0},
    {"Excavator", 6, 0, 0},
    {"Steamroller", 5, 0, 0},
    {"Piledriver", 5, 0, 0},
    {"Bulldozer", 5, 0, 0},
    {"Dunnington", 3, 0, 0},
    {"Atom", 2, 0, 0},
    {"Barcelona", 1, 0, 0},
    {"Bobcat", 1, 0, 0},
    {"Nano", 1, 0, 0},
    {"Opteron", 0, 0, 0},
    {"Athlon", 0, 0, 0},
    {"Banias", 0, 0, 0},
    {"Northwood", 0, 0, 0},
    {"Coppermine", 0, 0, 0},
    {"Katmai", 0, 0, 0},
};
enum { NCORES = sizeof cores / sizeof cores[0], NBEST = 7 };

static int core_index(const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < NCORES; i++)
        if (strcasecmp(name, cores[i].name) == 0)
            return i;
    return -1;
}

const char *idc_blas_core_for_features(unsigned features)
{
    for (int i = 0; i < NBEST; i++)
        if ((features & cores[i].needs) == cores[i].needs)
            return cores[i].name;
    return NULL;
}

const char *idc_blas_core_canonical(const char *name)
{
    int i = core_index(name);
    return i < 0 ? NULL : cores[i].name;
}

int idc_blas_core_level(const char *name)
{
    int i = core_index(name);
    return i < 0 ? -1 : cores[i].level;
}

int idc_blas_core_selectable(const char *name, unsigned features)
{
    int i = core_index(name);
    return i >= 0 && cores[i].offered && (features & cores[i].needs) == cores[i].needs;
}

const char *idc_blas_core(void)
{
    const char *s = openblas_get_corename();
    return s != NULL ? s : "";
}

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src != NULL ? src : "");
}

static int same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}

/* Splits a mark "ORIGIN:DETECTED" (origin one of the known words). */
static int parse_mark(const char *mark, char *origin, size_t no, char *detected, size_t nd)
{
    static const char *const origins[] = {"cpu-flags", "--blas-core", "fallback"};
    const char *colon = mark != NULL ? strchr(mark, ':') : NULL;
    if (colon == NULL)
        return 0;
    for (size_t i = 0; i < sizeof origins / sizeof origins[0]; i++)
        if (strlen(origins[i]) == (size_t)(colon - mark) &&
            strncmp(mark, origins[i], (size_t)(colon - mark)) == 0) {
            copy(origin, no, origins[i]);
            copy(detected, nd, colon + 1);
            return 1;
        }
    return 0;
}

int idc_blas_core_decide(idc_blas_core_plan *plan, const idc_blas_core_in *in, idc_err *err)
{
    if (plan == NULL || in == NULL || in->loaded == NULL)
        return idc_err_set(err, IDC_EINVAL, "blas core: NULL argument");
    memset(plan, 0, sizeof *plan);
    const char *env = in->env != NULL && in->env[0] != '\0' ? in->env : NULL;
    char morigin[24] = "", mdetected[32] = "";
    int marked = parse_mark(in->mark, morigin, sizeof morigin, mdetected, sizeof mdetected);
    const char *target;
    if (in->requested != NULL) {
        target = idc_blas_core_canonical(in->requested);
        int i = core_index(in->requested);
        if (target == NULL || !cores[i].offered) {
            char list[256] = "";
            for (int k = 0; k < NCORES; k++)
                if (cores[k].offered) {
                    size_t l = strlen(list);
                    snprintf(list + l, sizeof list - l, "%s%s", l ? ", " : "", cores[k].name);
                }
            return idc_err_set(err, IDC_EINVAL, "--blas-core: unknown core \"%s\" (one of: %s)",
                               in->requested, list);
        }
        if (!idc_blas_core_selectable(target, in->features))
            return idc_err_set(err, IDC_EDOM,
                               "--blas-core %s: this CPU lacks the instructions of its kernels", target);
        copy(plan->origin, sizeof plan->origin, "--blas-core");
        copy(plan->detected, sizeof plan->detected, marked ? mdetected : env != NULL ? "" : in->loaded);
    } else if (env != NULL && !marked) {
        copy(plan->core, sizeof plan->core, in->loaded);
        copy(plan->origin, sizeof plan->origin, "OPENBLAS_CORETYPE");
        return IDC_OK;
    } else if (marked) {
        /* OpenBLAS's own choice when it did not load what the mark's
         * OPENBLAS_CORETYPE named */
        int honoured = env != NULL && same(env, in->loaded);
        copy(plan->core, sizeof plan->core, in->loaded);
        copy(plan->origin, sizeof plan->origin, honoured ? morigin : "fallback");
        copy(plan->detected, sizeof plan->detected, mdetected);
        plan->verify = honoured && strcmp(morigin, "fallback") != 0;
        return IDC_OK;
    } else {
        const char *best = idc_blas_core_for_features(in->features);
        int lb = idc_blas_core_level(best), ll = idc_blas_core_level(in->loaded);
        copy(plan->detected, sizeof plan->detected, in->loaded);
        if (best == NULL || ll < 0 || lb <= ll) {
            copy(plan->core, sizeof plan->core, in->loaded);
            copy(plan->origin, sizeof plan->origin, "openblas");
            return IDC_OK;
        }
        target = best;
        copy(plan->origin, sizeof plan->origin, "cpu-flags");
    }
    copy(plan->core, sizeof plan->core, target);
    plan->verify = 1;
    if (same(target, in->loaded))
        return IDC_OK;
    if (same(env, target)) { /* OpenBLAS was asked for it and loaded another */
        if (in->requested != NULL)
            return idc_err_set(err, IDC_EDOM,
                               "--blas-core %s: OpenBLAS loaded %s instead (this OpenBLAS lacks the core?)",
                               target, in->loaded);
        copy(plan->core, sizeof plan->core, in->loaded);
        copy(plan->origin, sizeof plan->origin, "openblas");
        plan->verify = 0;
        return IDC_OK;
    }
    plan->reexec = 1;
    plan->verify = 0; /* the re-executed process checks */
    return IDC_OK;
}

void idc_blas_core_info_get(idc_blas_core_info *info)
{
    if (info == NULL)
        return;
    memset(info, 0, sizeof *info);
    copy(info->core, sizeof info->core, idc_blas_core());
    copy(info->cpu_best, sizeof info->cpu_best, idc_blas_core_for_features(idc_blas_cpu_features()));
    const char *env = getenv("OPENBLAS_CORETYPE");
    if (parse_mark(getenv(IDC_BLAS_CORE_MARK), info->origin, sizeof info->origin, info->detected,
                   sizeof info->detected))
        return;
    if (env != NULL && env[0] != '\0') {
        copy(info->origin, sizeof info->origin, "OPENBLAS_CORETYPE");
        return;
    }
    copy(info->origin, sizeof info->origin, "openblas");
    copy(info->detected, sizeof info->detected, info->core);
}

/* Operand entries: multiples of 1/8 in [-1, 1], a fixed pattern. */
static double entry(size_t i, size_t salt)
{
    return (double)((int)((i * 7 + salt * 13 + i / 5) % 17) - 8) / 8.0;
}

int idc_blas_gemm_check(idc_err *err)
{
    /* odd sizes: the micro-kernels' edge tiles; the largest spans several
     * register blocks of every x86-64 core's sgemm/dgemm kernels */
    static const size_t shapes[][3] = {{1, 1, 1},    {2, 3, 1},    {5, 7, 3},
                                       {16, 16, 16}, {37, 29, 53}, {64, 33, 17}};
    const size_t MAX = 64 * 53;
    double *A = idc_calloc(MAX, sizeof *A), *B = idc_calloc(MAX, sizeof *B), *C = idc_calloc(MAX, sizeof *C);
    double *R = idc_calloc(MAX, sizeof *R);
    float *As = idc_calloc(MAX, sizeof *As), *Bs = idc_calloc(MAX, sizeof *Bs),
          *Cs = idc_calloc(MAX, sizeof *Cs);
    int st = IDC_OK;
    if (A == NULL || B == NULL || C == NULL || R == NULL || As == NULL || Bs == NULL || Cs == NULL) {
        st = idc_err_set(err, IDC_ENOMEM, "gemm check: out of memory");
        goto done;
    }
    for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0] && st == IDC_OK; sh++)
        for (int v = 0; v < 16 && st == IDC_OK; v++) {
            size_t m = shapes[sh][0], n = shapes[sh][1], k = shapes[sh][2];
            int ta = v & 1, tb = (v >> 1) & 1, col = (v >> 2) & 1, prec = (v >> 3) & 1;
            double alpha = (sh + (size_t)v) % 2 ? 0.5 : 1.0, beta = (sh + (size_t)v) % 3 ? 0.5 : 0.0;
            /* op(A) is m x k, op(B) k x n, C m x n; element (i, j) of a
             * row-major r x c matrix with leading dimension c sits at i c + j,
             * of a column-major one at i + j r */
            size_t ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
            size_t lda = col ? ar : ac, ldb = col ? br : bc, ldc = col ? m : n;
            for (size_t i = 0; i < ar * ac; i++)
                As[i] = (float)(A[i] = entry(i, sh));
            for (size_t i = 0; i < br * bc; i++)
                Bs[i] = (float)(B[i] = entry(i, sh + 1));
            for (size_t i = 0; i < m * n; i++)
                Cs[i] = (float)(C[i] = entry(i, sh + 2));
#define AT(M, r, c, ld) ((M)[col ? (r) + (c) * (ld) : (r) * (ld) + (c)])
            for (size_t i = 0; i < m; i++)
                for (size_t j = 0; j < n; j++) {
                    double acc = 0.0;
                    for (size_t l = 0; l < k; l++)
                        acc += (ta ? AT(A, l, i, lda) : AT(A, i, l, lda)) *
                               (tb ? AT(B, j, l, ldb) : AT(B, l, j, ldb));
                    AT(R, i, j, ldc) = alpha * acc + (beta != 0.0 ? beta * AT(C, i, j, ldc) : 0.0);
                }
#undef AT
            enum CBLAS_ORDER o = col ? CblasColMajor : CblasRowMajor;
            enum CBLAS_TRANSPOSE a_t = ta ? CblasTrans : CblasNoTrans, b_t = tb ? CblasTrans : CblasNoTrans;
            if (prec)
                cblas_sgemm(o, a_t, b_t, (blasint)m, (blasint)n, (blasint)k, (float)alpha, As, (blasint)lda,
                            Bs, (blasint)ldb, (float)beta, Cs, (blasint)ldc);
            else
                cblas_dgemm(o, a_t, b_t, (blasint)m, (blasint)n, (blasint)k, alpha, A, (blasint)lda, B,
                            (blasint)ldb, beta, C, (blasint)ldc);
            for (size_t i = 0; i < m * n; i++) {
                double got = prec ? (double)Cs[i] : C[i];
                if (got != R[i]) { /* also catches a NaN */
                    st = idc_err_set(
                        err, IDC_EDOM,
                        "gemm check: %cgemm %s %c%c %zux%zux%zu alpha %g beta %g: entry %zu is %.9g, "
                        "expected %.9g",
                        prec ? 's' : 'd', col ? "col-major" : "row-major", ta ? 'T' : 'N', tb ? 'T' : 'N', m,
                        n, k, alpha, beta, i, got, R[i]);
                    break;
                }
            }
        }
done:
    free(A);
    free(B);
    free(C);
    free(R);
    free(As);
    free(Bs);
    free(Cs);
    return st;
}
