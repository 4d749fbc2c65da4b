/* The CPU backend of the training engine: OpenBLAS GEMM plus sequential
 * kernels, instantiated for float and double from models/engine/cpu_kernels.inc.
 *
 * The kernels are compiled at -O3 without -ftrapping-math, so that the
 * leaky-ReLU selects are if-converted and vectorised: compiled as branches
 * on random signs they mispredicted half the time and took half of a
 * small network's step (measured: 112 -> 44 ms per step at n = 10, widths
 * 100, batch 6144). Neither option changes a value: trapping-math only
 * concerns floating-point exception flags, and without -ffast-math every
 * reduction keeps its sequential order, so the kernels stay bit-for-bit
 * deterministic. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math")
#endif
#include "models/engine/backend_cpu_impl.h"
#include "models/engine/engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

/* The memory-bound kernels are compiled three times (x86-64 baseline, AVX2,
 * AVX-512) and the loader picks the widest the CPU has (GCC target_clones,
 * an ifunc): the build stays portable, and on this project's machines the
 * kernels move 64 bytes per instruction instead of 16. The clones compute
 * the same values bit for bit: the build is ISO C (-std=c11, so no FMA
 * contraction), vectorisation only runs independent elements side by side
 * and no reduction is reordered. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(IDC_NO_CLONES)
#define CPU_CLONES __attribute__((target_clones("default", "avx2", "avx512f")))
#else
#define CPU_CLONES
#endif

/* Columns per block of the double accumulators of the reductions. */
#define CPU_COLS 256

static void cpu_release(const idc_backend *be, void *p)
{
    (void)be;
    free(p);
}

static void *cpu_alloc_sums(const idc_backend *be, size_t n)
{
    (void)be;
    return idc_calloc(n == 0 ? 1 : n, sizeof(double));
}

static void cpu_read_sums(const idc_backend *be, double *dst, const void *sums, size_t n)
{
    (void)be;
    if (n > 0)
        memcpy(dst, sums, n * sizeof(double));
}

#define R float
#define K(name) name##_f32
#define GEMM cblas_sgemm
#define NAME "cpu-f32"
#define DTYPE IDC_DTYPE_F32
#include "models/engine/cpu_kernels.inc"
#undef R
#undef K
#undef GEMM
#undef NAME
#undef DTYPE

#define R double
#define K(name) name##_f64
#define GEMM cblas_dgemm
#define NAME "cpu-f64"
#define DTYPE IDC_DTYPE_F64
#include "models/engine/cpu_kernels.inc"
#undef R
#undef K
#undef GEMM
#undef NAME
#undef DTYPE

size_t idc_dtype_size(idc_dtype dt)
{
    return dt == IDC_DTYPE_F64 ? sizeof(double) : sizeof(float);
}

const idc_backend *idc_backend_cpu(idc_dtype dt)
{
    return dt == IDC_DTYPE_F64 ? &table_f64 : &table_f32;
}

const idc_cpu_parts *idc_cpu_parts_for(idc_dtype dt)
{
    return dt == IDC_DTYPE_F64 ? &cols_f64 : &cols_f32;
}
