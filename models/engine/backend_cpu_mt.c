/* The threaded CPU backend (idc_backend_cpu_new, models/engine/engine.h): the
 * sequential kernels of backend_cpu.c run on disjoint parts of large
 * operations by a thread team (models/engine/cpu_pool.h), each part writing only
 * its own outputs, so that the values are those of the sequential table
 * bit for bit, for any thread count:
 *   GEMM          the fixed parts the sequential table itself computes one
 *                 after another (backend_cpu_impl.h explains why OpenBLAS
 *                 forces that), spread over the team;
 *   elementwise   split along elements or rows;
 *   column sums   (sum_rows, leaky_bwd_sum) split along columns, so every
 *                 column is summed by one thread in the sequential order.
 * Small operations, batch norm (the code layer: a few columns) and the
 * loss sums run sequentially in the caller. OpenBLAS itself must run one
 * thread (idc_blas_set_threads(1)): this team replaces its threads, and
 * with one threading model no thread spins against another. */
#include <stdlib.h>

#include "models/engine/backend_cpu_impl.h"
#include "models/engine/cpu_pool.h"
#include "models/engine/engine.h"

/* Below this many elements an operation runs in the caller: waking the
 * team costs more than the work. */
#define MT_MIN_ELEMS ((size_t)1 << 15)

typedef struct {
    idc_backend table; /* table.ctx points here */
    const idc_backend *seq;
    const idc_cpu_parts *cols;
    idc_pool *pool;
    size_t esize;
} cpu_mt;

static cpu_mt *mt_of(const idc_backend *be)
{
    return be->ctx;
}

static const char *off(const void *p, size_t elems, size_t esize)
{
    return (const char *)p + elems * esize;
}

/* One job: the arguments of any of the split kernels. */
typedef struct {
    cpu_mt *m;
    unsigned parts;
    const idc_cpu_gemm *gemm;
    size_t rows, cols, n;
    double slope, lr, b1, b2, eps, bc1, bc2;
    void *o0, *o1, *o2;
    const void *i0, *i1, *i2;
    const size_t *idx;
    idc_rng rng;
    uint64_t k0;
    size_t n_src;
} job;

static unsigned nparts(const cpu_mt *m)
{
    return idc_pool_threads(m->pool);
}

/* ---- GEMM --------------------------------------------------------------- */

static void gemm_part(void *ctx, unsigned p)
{
    job *j = ctx;
    j->m->cols->gemm(j->gemm, p);
}

static void mt_gemm(const idc_backend *be, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                    double alpha, const void *a, size_t lda, const void *b, size_t ldb,
                    double beta, void *c, size_t ldc)
{
    cpu_mt *mt = mt_of(be);
    idc_cpu_gemm g = idc_cpu_gemm_plan(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                                       ldc);
    job j = {.m = mt, .gemm = &g};
    idc_pool_run(mt->pool, gemm_part, &j, g.parts);
}

/* ---- elementwise over elements -------------------------------------------- */

static void leaky_fwd_part(void *ctx, unsigned p)
{
    job *j = ctx;
    size_t a, b, es = j->m->esize;
    idc_cpu_part(j->n, j->parts, p, IDC_CPU_ALIGN, &a, &b);
    if (a < b)
        j->m->seq->leaky_fwd(j->m->seq, (char *)j->o0 + a * es, off(j->i0, a, es), b - a,
                             j->slope);
}

static void mt_leaky_fwd(const idc_backend *be, void *y, const void *x, size_t n, double slope)
{
    cpu_mt *mt = mt_of(be);
    job j = {.m = mt, .parts = nparts(mt), .n = n, .o0 = y, .i0 = x, .slope = slope};
    if (n < MT_MIN_ELEMS)
        mt->seq->leaky_fwd(mt->seq, y, x, n, slope);
    else
        idc_pool_run(mt->pool, leaky_fwd_part, &j, j.parts);
}

static void leaky_bwd_part(void *ctx, unsigned p)
{
    job *j = ctx;
    size_t a, b, es = j->m->esize;
    idc_cpu_part(j->n, j->parts, p, IDC_CPU_ALIGN, &a, &b);
    if (a < b)
        j->m->seq->leaky_bwd(j->m->seq, (char *)j->o0 + a * es, off(j->i0, a, es),
                             off(j->i1, a, es), b - a, j->slope);
}

static void mt_leaky_bwd(const idc_backend *be, void *dx, const void *dy, const void *y, size_t n,
                         double slope)
{
    cpu_mt *mt = mt_of(be);
    job j = {.m = mt, .parts = nparts(mt), .n = n, .o0 = dx, .i0 = dy, .i1 = y, .slope = slope};
    if (n < MT_MIN_ELEMS)
        mt->seq->leaky_bwd(mt->seq, dx, dy, y, n, slope);
    else
        idc_pool_run(mt->pool, leaky_bwd_part, &j, j.parts);
}

static void copy_part(void *ctx, unsigned p)
{
    job *j = ctx;
    size_t a, b, es = j->m->esize;
    idc_cpu_part(j->n, j->parts, p, IDC_CPU_ALIGN, &a, &b);
    if (a < b)
        j->m->seq->copy(j->m->seq, (char *)j->o0 + a * es, off(j->i0, a, es), b - a);
}

static void mt_copy(const idc_backend *be, void *dst, const void *src, size_t n)
{
    cpu_mt *mt = mt_of(be);
    job j = {.m = mt, .parts = nparts(mt), .n = n, .o0 = dst, .i0 = src};
    if (n < MT_MIN_ELEMS)
        mt->seq->copy(mt->seq, dst, src, n);
    else
        idc_pool_run(mt->pool, copy_part, &j, j.parts);
}

static void adam_part(void *ctx, unsigned p)
{
    job *j = ctx;
    size_t a, b, es = j->m->esize;
    idc_cpu_part(j->n, j->parts, p, IDC_CPU_ALIGN, &a, &b);
    if (a < b)
        j->m->seq->adam(j->m->seq, (char *)j->o0 + a * es, (char *)j->o1 + a * es,
                        (char *)j->o2 + a * es, off(j->i0, a, es), b - a, j->lr, j->b1, j->b2,
                        j->eps, j->bc1, j->bc2);
}

static void mt_adam(const idc_backend *be, void *p, void *m, void *v, const void *g, size_t n,
                    double lr, double b1, double b2, double eps, double bc1, double bc2)
{
    cpu_mt *mt = mt_of(be);
    job j = {.m = mt, .parts = nparts(mt), .n = n, .o0 = p, .o1 = m, .o2 = v, .i0 = g, .lr = lr,
             .b1 = b1, .b2 = b2, .eps = eps, .bc1 = bc1, .bc2 = bc2};
    if (n < MT_MIN_ELEMS)
        mt->seq->adam(mt->seq, p, m, v, g, n, lr, b1, b2, eps, bc1, bc2);
    else
        idc_pool_run(mt->pool, adam_part, &j, j.parts);
}

/* ---- over rows ---------------------------------------------------------- */

static void add_bias_part(void *ctx, unsigned p)
{
    job *j = ctx;
    size_t a, b;
    idc_cpu_part(j->rows, j->parts, p, 1, &a, &b);
    if (a < b)
        j->m->seq->add_bias(j->m->seq, (char *)j->o0 + a * j->cols * j->m->esize, j->i0, b - a,
                            j->cols);
}

static void mt_add_bias(const idc_backend *be, void *y, const void *bias, size_t rows, size_t cols)
{
    cpu_mt *mt = mt_of(be);
    job j = {.m = mt, .parts = nparts(mt), .rows = rows, .cols = cols, .o0 = y, .i0 = bias};
    if (rows * cols < MT_MIN_ELEMS)
        mt->seq->add_bias(mt->seq, y, bias, rows, cols);
    else
        idc_pool_run(mt->pool, add_bias_part, &j, j.parts);
}

static void gather_part(void *ctx, unsigned p)
{
    job *j = ctx;
    size_t a, b, es = j->m->esize;
    idc_cpu_part(j->rows, j->parts, p, 1, &a, &b);
    if (a >= b)
        return;
    char *dst = (char *)j->o0 + a * j->cols * es;
    if (j->idx != NULL)
        j->m->seq->gather_rows(j->m->seq, dst, j->i0, j->cols, j->idx + a, b - a);
    else
        j->m->seq->gather_random_rows(j->m->seq, dst, j->i0, j->cols, j->rng, j->k0 + a, b - a,
                                      j->n_src);
}

static void mt_gather_rows(const idc_backend *be, void *dst, const void *src, size_t cols,
                           const size_t *idx, size_t rows)
{
    cpu_mt *mt = mt_of(be);
    job j = {.m = mt, .parts = nparts(mt), .rows = rows, .cols = cols, .o0 = dst, .i0 = src,
             .idx = idx};
    if (rows * cols < MT_MIN_ELEMS)
        mt->seq->gather_rows(mt->seq, dst, src, cols, idx, rows);
    else
        idc_pool_run(mt->pool, gather_part, &j, j.parts);
}

static void mt_gather_random_rows(const idc_backend *be, void *dst, const void *src, size_t cols,
                                  idc_rng s, uint64_t k0, size_t rows, size_t n)
{
    cpu_mt *mt = mt_of(be);
    job j = {.m = mt, .parts = nparts(mt), .rows = rows, .cols = cols, .o0 = dst, .i0 = src,
             .rng = s, .k0 = k0, .n_src = n};
    if (rows < 256)
        mt->seq->gather_random_rows(mt->seq, dst, src, cols, s, k0, rows, n);
    else
        idc_pool_run(mt->pool, gather_part, &j, j.parts);
}

/* ---- over columns ------------------------------------------------------- */

static void sum_rows_part(void *ctx, unsigned p)
{
    job *j = ctx;
    size_t a, b;
    idc_cpu_part(j->cols, j->parts, p, IDC_CPU_ALIGN, &a, &b);
    if (a < b)
        j->m->cols->sum_rows(j->o0, j->i0, j->rows, j->cols, a, b);
}

static void mt_sum_rows(const idc_backend *be, void *out, const void *y, size_t rows, size_t cols)
{
    cpu_mt *mt = mt_of(be);
    job j = {.m = mt, .parts = nparts(mt), .rows = rows, .cols = cols, .o0 = out, .i0 = y};
    if (rows * cols < MT_MIN_ELEMS || cols < 2 * IDC_CPU_ALIGN)
        mt->seq->sum_rows(mt->seq, out, y, rows, cols);
    else
        idc_pool_run(mt->pool, sum_rows_part, &j, j.parts);
}

static void leaky_bwd_sum_part(void *ctx, unsigned p)
{
    job *j = ctx;
    size_t a, b;
    idc_cpu_part(j->cols, j->parts, p, IDC_CPU_ALIGN, &a, &b);
    if (a < b)
        j->m->cols->leaky_bwd_sum(j->o0, j->o1, j->i0, j->i1, j->rows, j->cols, a, b, j->slope);
}

static void mt_leaky_bwd_sum(const idc_backend *be, void *dx, void *dsum, const void *dy,
                             const void *y, size_t rows, size_t cols, double slope)
{
    cpu_mt *mt = mt_of(be);
    job j = {.m = mt, .parts = nparts(mt), .rows = rows, .cols = cols, .o0 = dx, .o1 = dsum,
             .i0 = dy, .i1 = y, .slope = slope};
    if (rows * cols < MT_MIN_ELEMS || cols < 2 * IDC_CPU_ALIGN)
        mt->seq->leaky_bwd_sum(mt->seq, dx, dsum, dy, y, rows, cols, slope);
    else
        idc_pool_run(mt->pool, leaky_bwd_sum_part, &j, j.parts);
}

/* ---- construction ------------------------------------------------------- */

idc_backend *idc_backend_cpu_new(idc_dtype dt, unsigned threads, idc_err *err)
{
    if (dt != IDC_DTYPE_F32 && dt != IDC_DTYPE_F64) {
        idc_err_set(err, IDC_EINVAL, "backend.dtype: unknown (%d)", (int)dt);
        return NULL;
    }
    cpu_mt *m = calloc(1, sizeof *m);
    if (m == NULL) {
        idc_err_set(err, IDC_ENOMEM, "backend: out of memory");
        return NULL;
    }
    m->pool = idc_pool_new(threads, err);
    if (m->pool == NULL) {
        idc_err_prefix(err, IDC_EINVAL, "backend.");
        free(m);
        return NULL;
    }
    m->seq = idc_backend_cpu(dt);
    m->cols = idc_cpu_parts_for(dt);
    m->esize = idc_dtype_size(dt);
    m->table = *m->seq;
    m->table.name = dt == IDC_DTYPE_F64 ? "cpu-f64" : "cpu-f32";
    m->table.ctx = m;
    m->table.gemm = mt_gemm;
    m->table.leaky_fwd = mt_leaky_fwd;
    m->table.leaky_bwd = mt_leaky_bwd;
    m->table.copy = mt_copy;
    m->table.adam = mt_adam;
    m->table.add_bias = mt_add_bias;
    m->table.gather_rows = mt_gather_rows;
    m->table.gather_random_rows = mt_gather_random_rows;
    m->table.sum_rows = mt_sum_rows;
    m->table.leaky_bwd_sum = mt_leaky_bwd_sum;
    return &m->table;
}

/* Whether be is one of the two sequential tables. */
static int is_sequential(const idc_backend *be)
{
    return be == idc_backend_cpu(IDC_DTYPE_F32) || be == idc_backend_cpu(IDC_DTYPE_F64);
}

unsigned idc_backend_cpu_threads(const idc_backend *be)
{
    return is_sequential(be) ? 1 : idc_pool_threads(mt_of(be)->pool);
}

int idc_backend_cpu_team(const idc_backend **be, idc_backend **own, unsigned threads, idc_err *err)
{
    *own = NULL;
    if (threads <= 1 || !is_sequential(*be))
        return IDC_OK;
    *own = idc_backend_cpu_new((*be)->dtype, threads, err);
    if (*own == NULL)
        return threads > IDC_POOL_MAX_THREADS ? IDC_EINVAL : IDC_ENOMEM;
    *be = *own;
    return IDC_OK;
}

void idc_backend_cpu_free(idc_backend *be)
{
    if (be == NULL)
        return;
    cpu_mt *m = mt_of(be);
    idc_pool_free(m->pool);
    free(m);
}
