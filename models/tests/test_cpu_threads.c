/* Tests of the CPU thread team (models/engine/cpu_pool.h) and the threaded CPU
 * backend (idc_backend_cpu_new): every part runs exactly once for any
 * thread and part count, the pool survives many short jobs and idle
 * periods, and every split kernel of the threaded table gives the
 * sequential table's values bit for bit (2 and 3 threads, float and
 * double, GEMMs in all four transpose cases at the engine's shapes with
 * row and column splits, padded leading dimensions). */
#include <check.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/engine/cpu_pool.h"
#include "models/engine/engine.h"
#include "numeric/blas.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

#define DEFAULT_SEED 0x7ead5ULL

static uint64_t g_seed;

typedef struct {
    atomic_uint hits[97];
} count_ctx;

static void count_part(void *ctx, unsigned part)
{
    count_ctx *c = ctx;
    atomic_fetch_add(&c->hits[part], 1);
}

START_TEST(test_pool_runs_every_part_once)
{
    idc_err err;
    for (unsigned threads = 1; threads <= 4; threads++) {
        idc_pool *p = idc_pool_new(threads, &err);
        ck_assert_msg(p != NULL, "%s", err.msg);
        ck_assert_uint_eq(idc_pool_threads(p), threads);
        for (unsigned nparts = 0; nparts <= 97; nparts += (nparts < 9 ? 1 : 22)) {
            for (int rep = 0; rep < 50; rep++) {
                count_ctx c;
                for (unsigned i = 0; i < 97; i++)
                    atomic_init(&c.hits[i], 0);
                idc_pool_run(p, count_part, &c, nparts);
                for (unsigned i = 0; i < 97; i++)
                    ck_assert_uint_eq(atomic_load(&c.hits[i]), i < nparts ? 1 : 0);
            }
        }
        /* an idle pool (workers asleep) wakes up for the next job */
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
        count_ctx c;
        for (unsigned i = 0; i < 97; i++)
            atomic_init(&c.hits[i], 0);
        idc_pool_run(p, count_part, &c, threads);
        for (unsigned i = 0; i < threads; i++)
            ck_assert_uint_eq(atomic_load(&c.hits[i]), 1);
        idc_pool_free(p);
    }
    idc_pool_free(NULL);
    ck_assert_ptr_null(idc_pool_new(0, &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "threads"));
    ck_assert_ptr_null(idc_pool_new(IDC_POOL_MAX_THREADS + 1, &err));
}
END_TEST

/* ---- the threaded table against the sequential one ---------------------- */

typedef struct {
    const idc_backend *s, *t;
    void *ps, *pt;
    size_t n;
} pair;

static pair pair_new(const idc_backend *s, const idc_backend *t, size_t n, uint32_t id, double scale)
{
    pair p = {s, t, s->alloc(s, n), t->alloc(t, n), n};
    ck_assert(p.ps != NULL && p.pt != NULL);
    if (id != 0) {
        double *v = calloc(n, sizeof(double));
        ck_assert_ptr_nonnull(v);
        idc_rng r = idc_rng_stream(g_seed, id, IDC_PURPOSE_GENERATOR);
        for (size_t i = 0; i < n; i++)
            v[i] = scale * idc_rng_normal(r, i);
        s->set_d(s, p.ps, v, n);
        t->set_d(t, p.pt, v, n);
        free(v);
    }
    return p;
}

static void same(const pair *p, const char *what, unsigned threads, int dt)
{
    if (memcmp(p->ps, p->pt, p->n * idc_dtype_size(p->s->dtype)) != 0)
        IDC_TEST_FAIL_REPLAY("table", g_seed,
                             "%s: threaded (%u threads, dtype %d) differs from sequential", what,
                             threads, dt);
}

static void pair_free(pair *p)
{
    p->s->release(p->s, p->ps);
    p->t->release(p->t, p->pt);
}

static void gemm_case(const idc_backend *s, const idc_backend *t, int ta, int tb, size_t m, size_t n,
                      size_t k, double beta, unsigned threads, int dt, uint32_t id)
{
    /* leading dimensions padded by 3 */
    size_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 3, ldc = n + 3;
    pair A = pair_new(s, t, (ta ? k : m) * lda, id, 1.0);
    pair B = pair_new(s, t, (tb ? n : k) * ldb, id + 1, 1.0);
    pair C = pair_new(s, t, m * ldc, id + 2, 1.0);
    s->gemm(s, ta, tb, m, n, k, 0.7, A.ps, lda, B.ps, ldb, beta, C.ps, ldc);
    t->gemm(t, ta, tb, m, n, k, 0.7, A.pt, lda, B.pt, ldb, beta, C.pt, ldc);
    char what[96];
    snprintf(what, sizeof what, "gemm ta=%d tb=%d %zux%zux%zu beta=%g", ta, tb, m, n, k, beta);
    same(&C, what, threads, dt);
    pair_free(&A);
    pair_free(&B);
    pair_free(&C);
}

START_TEST(test_threaded_table_bit_identical)
{
    IDC_TEST_PRINT_SEED("cpu_threads", g_seed);
    idc_blas_set_threads(1);
    idc_err err;
    for (unsigned threads = 2; threads <= 3; threads++)
        for (int dt = 0; dt < 2; dt++) {
            const idc_backend *s = idc_backend_cpu((idc_dtype)dt);
            idc_backend *t = idc_backend_cpu_new((idc_dtype)dt, threads, &err);
            ck_assert_msg(t != NULL, "%s", err.msg);
            ck_assert_uint_eq(idc_backend_cpu_threads(t), threads);
            ck_assert_uint_eq(idc_backend_cpu_threads(s), 1);
            ck_assert_str_eq(t->name, s->name);
            /* the engine's GEMMs at a small-width n = 10 step: forward
             * (beta 1), weight gradient, input gradient; wide and narrow
             * outputs (row and column splits) */
            const size_t B = 3000, shapes[][2] = {{10, 100}, {100, 100}, {100, 10}, {37, 211}};
            for (size_t i = 0; i < 4; i++) {
                size_t in = shapes[i][0], out = shapes[i][1];
                uint32_t id = (uint32_t)(100 + 10 * i);
                gemm_case(s, t, 0, 1, B, out, in, 1.0, threads, dt, id);
                gemm_case(s, t, 1, 0, out, in, B, 0.0, threads, dt, id + 3);
                gemm_case(s, t, 0, 0, B, in, out, 0.0, threads, dt, id + 6);
                gemm_case(s, t, 1, 1, out, B, in, 0.5, threads, dt, id + 9);
            }
            size_t rows = 2051, cols = 203, n = rows * cols;
            pair X = pair_new(s, t, n, 1, 1.0), Y = pair_new(s, t, n, 2, 1.0);
            pair Z = pair_new(s, t, n, 0, 0.0), b = pair_new(s, t, cols, 3, 1.0);
            s->leaky_fwd(s, Z.ps, X.ps, n, 0.02);
            t->leaky_fwd(t, Z.pt, X.pt, n, 0.02);
            same(&Z, "leaky_fwd", threads, dt);
            s->leaky_fwd(s, X.ps, X.ps, n, 0.3); /* in place */
            t->leaky_fwd(t, X.pt, X.pt, n, 0.3);
            same(&X, "leaky_fwd in place", threads, dt);
            s->leaky_bwd(s, Z.ps, Y.ps, X.ps, n, 0.02);
            t->leaky_bwd(t, Z.pt, Y.pt, X.pt, n, 0.02);
            same(&Z, "leaky_bwd", threads, dt);
            s->leaky_bwd_sum(s, Z.ps, b.ps, Y.ps, X.ps, rows, cols, 0.02);
            t->leaky_bwd_sum(t, Z.pt, b.pt, Y.pt, X.pt, rows, cols, 0.02);
            same(&Z, "leaky_bwd_sum dx", threads, dt);
            same(&b, "leaky_bwd_sum sum", threads, dt);
            s->sum_rows(s, b.ps, Y.ps, rows, cols);
            t->sum_rows(t, b.pt, Y.pt, rows, cols);
            same(&b, "sum_rows", threads, dt);
            s->add_bias(s, Y.ps, b.ps, rows, cols);
            t->add_bias(t, Y.pt, b.pt, rows, cols);
            same(&Y, "add_bias", threads, dt);
            s->copy(s, Z.ps, Y.ps, n);
            t->copy(t, Z.pt, Y.pt, n);
            same(&Z, "copy", threads, dt);
            size_t *idx = calloc(rows, sizeof(size_t));
            ck_assert_ptr_nonnull(idx);
            for (size_t i = 0; i < rows; i++)
                idx[i] = (i * 7919) % rows;
            s->gather_rows(s, Z.ps, Y.ps, cols, idx, rows);
            t->gather_rows(t, Z.pt, Y.pt, cols, idx, rows);
            same(&Z, "gather_rows", threads, dt);
            free(idx);
            idc_rng r = idc_rng_stream(g_seed, 5, IDC_PURPOSE_BATCH);
            s->gather_random_rows(s, Z.ps, Y.ps, cols, r, 77, rows, rows);
            t->gather_random_rows(t, Z.pt, Y.pt, cols, r, 77, rows, rows);
            same(&Z, "gather_random_rows", threads, dt);
            pair M = pair_new(s, t, n, 0, 0.0), V = pair_new(s, t, n, 0, 0.0);
            for (int step = 1; step <= 2; step++) {
                s->adam(s, X.ps, M.ps, V.ps, Y.ps, n, 1e-3, 0.9, 0.999, 1e-8, 0.1 * step, 0.001 * step);
                t->adam(t, X.pt, M.pt, V.pt, Y.pt, n, 1e-3, 0.9, 0.999, 1e-8, 0.1 * step, 0.001 * step);
            }
            same(&X, "adam p", threads, dt);
            same(&M, "adam m", threads, dt);
            same(&V, "adam v", threads, dt);
            pair *all[] = {&X, &Y, &Z, &b, &M, &V};
            for (size_t i = 0; i < 6; i++)
                pair_free(all[i]);
            idc_backend_cpu_free(t);
        }
    idc_backend_cpu_free(NULL);
    ck_assert_ptr_null(idc_backend_cpu_new(IDC_DTYPE_F32, 0, &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "backend.threads"));
}
END_TEST

/* A network trained on the threaded table: same weights as on the
 * sequential one after a few Adam steps (forward, backward with the fused
 * kernels, Adam). */
START_TEST(test_threaded_training_bit_identical)
{
    idc_blas_set_threads(1);
    idc_err err;
    idc_mlp_layer spec[] = {idc_mlp_dense(96), idc_mlp_leaky(0.02), idc_mlp_dense(64),
                            idc_mlp_leaky(0.02), idc_mlp_dense(5), idc_mlp_batchnorm(1e-5, 0.1)};
    const size_t in = 7, rows = 1500, nl = sizeof spec / sizeof spec[0];
    double *x = calloc(rows * in, sizeof(double)), *dy = calloc(rows * 5, sizeof(double));
    ck_assert(x != NULL && dy != NULL);
    idc_rng r = idc_rng_stream(g_seed, 9, IDC_PURPOSE_GENERATOR);
    for (size_t i = 0; i < rows * in; i++)
        x[i] = idc_rng_normal(r, i);
    for (size_t i = 0; i < rows * 5; i++)
        dy[i] = idc_rng_normal(r, 100000 + i) / (double)rows;
    idc_backend *t = idc_backend_cpu_new(IDC_DTYPE_F32, 2, &err);
    ck_assert_msg(t != NULL, "%s", err.msg);
    const idc_backend *bes[2] = {idc_backend_cpu(IDC_DTYPE_F32), t};
    float *w[2];
    size_t np = 0;
    for (int k = 0; k < 2; k++) {
        const idc_backend *be = bes[k];
        idc_mlp *m = idc_mlp_new(be, in, spec, nl, rows, &err);
        ck_assert_msg(m != NULL, "%s", err.msg);
        ck_assert_int_eq(idc_mlp_init(m, idc_rng_stream(4, 0, IDC_PURPOSE_INIT), 1, &err), IDC_OK);
        np = idc_mlp_nparams(m);
        idc_adam *a = idc_adam_new(be, np, &err);
        ck_assert_ptr_nonnull(a);
        void *xb = be->alloc(be, rows * in), *dyb = be->alloc(be, rows * 5);
        be->set_d(be, xb, x, rows * in);
        be->set_d(be, dyb, dy, rows * 5);
        idc_adam_config ac = {1e-2, 0.9, 0.999, 1e-8};
        for (int step = 0; step < 5; step++) {
            ck_assert_int_eq(idc_mlp_forward(m, xb, rows, 1, &err), IDC_OK);
            ck_assert_int_eq(idc_mlp_backward(m, NULL, dyb, rows, &err), IDC_OK);
            idc_adam_step(a, &ac, idc_mlp_params(m), idc_mlp_grads(m));
        }
        w[k] = malloc(np * sizeof(float));
        ck_assert_ptr_nonnull(w[k]);
        memcpy(w[k], idc_mlp_params(m), np * sizeof(float));
        be->release(be, xb);
        be->release(be, dyb);
        idc_adam_free(a);
        idc_mlp_free(m);
    }
    ck_assert(memcmp(w[0], w[1], np * sizeof(float)) == 0);
    free(w[0]);
    free(w[1]);
    free(x);
    free(dy);
    idc_backend_cpu_free(t);
}
END_TEST

/* idc_backend_cpu_team: a threaded table for a sequential CPU table and
 * threads > 1; nothing otherwise. */
START_TEST(test_team_helper)
{
    idc_err err;
    const idc_backend *be = idc_backend_cpu(IDC_DTYPE_F64);
    idc_backend *own = (idc_backend *)1;
    ck_assert_int_eq(idc_backend_cpu_team(&be, &own, 1, &err), IDC_OK);
    ck_assert(own == NULL && be == idc_backend_cpu(IDC_DTYPE_F64));
    ck_assert_int_eq(idc_backend_cpu_team(&be, &own, 3, &err), IDC_OK);
    ck_assert(own != NULL && be == own && be->dtype == IDC_DTYPE_F64);
    ck_assert_uint_eq(idc_backend_cpu_threads(be), 3);
    /* a table that is not a sequential CPU one is left as it is */
    const idc_backend *t = own;
    idc_backend *own2 = NULL;
    ck_assert_int_eq(idc_backend_cpu_team(&t, &own2, 2, &err), IDC_OK);
    ck_assert(own2 == NULL && t == own);
    idc_backend_cpu_free(own);
    be = idc_backend_cpu(IDC_DTYPE_F32);
    ck_assert_int_eq(idc_backend_cpu_team(&be, &own, IDC_POOL_MAX_THREADS + 1, &err), IDC_EINVAL);
    ck_assert(own == NULL && be == idc_backend_cpu(IDC_DTYPE_F32));
    ck_assert_ptr_nonnull(strstr(err.msg, "threads"));
}
END_TEST

static Suite *threads_suite(void)
{
    Suite *s = suite_create("cpu_threads");
    const idc_test_case cases[] = {
        {"pool", test_pool_runs_every_part_once},
        {"table", test_threaded_table_bit_identical},
        {"training", test_threaded_training_bit_identical},
        {"team", test_team_helper},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 120);
    return s;
}

int main(void)
{
    g_seed = idc_test_seed(DEFAULT_SEED);
    IDC_TEST_PRINT_SEED("cpu_threads", g_seed);
    return idc_test_run(threads_suite());
}
