/* Internal to the CPU backends (models/engine/backend_cpu.c, backend_cpu_mt.c):
 * how operations are cut into parts, and the kernels over one part, which
 * the sequential table runs one after another and the threaded table
 * spreads over its team. The cut depends on the shape only, never on the
 * thread count, so both tables compute the same values bit for bit.
 *
 * GEMMs. OpenBLAS does not compute an element of C the same way in every
 * call that contains it: which micro-kernel and edge case an element falls
 * in depends on its position in the call and on the call's size (a
 * "small matrix" path below about 1e6 multiply-adds). Measured on this
 * machine: cutting a GEMM at an arbitrary row changes some elements'
 * last bits. So the sequential table itself cuts every large GEMM into
 * IDC_CPU_GEMM_PARTS fixed parts, and the threaded table runs the same
 * parts. */
#ifndef IDC_MODELS_BACKEND_CPU_IMPL_H
#define IDC_MODELS_BACKEND_CPU_IMPL_H

#include <stddef.h>

#include "models/engine/engine.h"

/* GEMMs of at least this many multiply-adds are cut into parts. */
#define IDC_CPU_GEMM_MIN_MACS ((double)(1 << 22))
#define IDC_CPU_GEMM_PARTS 2u
/* Column cut points are multiples of this (a 64-byte line of floats), so
 * that parts do not write to the same cache lines. */
#define IDC_CPU_ALIGN 16

/* [*a, *b): part p of `parts` of 0..n, cut points multiples of align. */
static inline void idc_cpu_part(size_t n, unsigned parts, unsigned p, size_t align, size_t *a,
                                size_t *b)
{
    size_t chunk = (n + parts - 1) / parts;
    chunk = (chunk + align - 1) / align * align;
    *a = (size_t)p * chunk < n ? (size_t)p * chunk : n;
    *b = *a + chunk < n ? *a + chunk : n;
}

/* A GEMM (the idc_backend.gemm arguments) and its cut: `parts` parts
 * along the rows of C when by_rows, else along its columns. */
typedef struct {
    int trans_a, trans_b, by_rows;
    unsigned parts;
    size_t m, n, k, lda, ldb, ldc;
    double alpha, beta;
    const void *a, *b;
    void *c;
} idc_cpu_gemm;

static inline idc_cpu_gemm idc_cpu_gemm_plan(int trans_a, int trans_b, size_t m, size_t n,
                                             size_t k, double alpha, const void *a, size_t lda,
                                             const void *b, size_t ldb, double beta, void *c,
                                             size_t ldc)
{
    idc_cpu_gemm g = {trans_a, trans_b, m >= n, 1, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c};
    if ((double)m * (double)n * (double)k >= IDC_CPU_GEMM_MIN_MACS)
        g.parts = IDC_CPU_GEMM_PARTS;
    return g;
}

typedef struct {
    /* part p of g */
    void (*gemm)(const idc_cpu_gemm *g, unsigned p);
    /* sum_rows on columns [c0, c1) of a matrix with row stride ld */
    void (*sum_rows)(void *out, const void *y, size_t rows, size_t ld, size_t c0, size_t c1);
    /* leaky_bwd_sum on columns [c0, c1) */
    void (*leaky_bwd_sum)(void *dx, void *dsum, const void *dy, const void *y, size_t rows,
                          size_t ld, size_t c0, size_t c1, double slope);
} idc_cpu_parts;

const idc_cpu_parts *idc_cpu_parts_for(idc_dtype dt);

#endif
