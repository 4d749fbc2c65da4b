/* Device tests of the CUDA backend (gpu/cuda.h): every kernel against the
 * CPU backend of the same scalar type on random inputs, the error path,
 * run-to-run determinism, and a Stage-1 training run on both backends from
 * the same seed.
 *
 * With no CUDA device (or a build without CUDA) it prints
 *   SKIPPED: no CUDA device (<reason>)
 * and passes; a build with CUDA whose libidcheck-cuda.so cannot be loaded
 * (gpu/cuda.h: next to this program, ../lib, IDCHECK_CUDA_LIB) prints
 * FAILED and fails. IDC_GPU_TEST_FAKE=1 runs the same checks with the CPU
 * backend standing in for the device (a self-test of the harness and of
 * the tolerances on a machine without a GPU). IDC_GPU_TEST_SMALL=1 drops
 * the largest shapes and shortens the training (gpu/sanitize.sh sets it:
 * compute-sanitizer slows kernels down by one to two orders).
 *
 * Tolerances (float; double in brackets):
 *   exact       alloc (zeros), set_d/get_d, copy, gather_rows,
 *               gather_random_rows, add_bias, leaky fwd/bwd (and the dx of
 *               leaky_bwd_sum), bn_fwd_eval, adam, the sqerr and abs_sign
 *               gradients, sqerr_sum = sqerr on the device: the
 *               kernels evaluate the CPU's expressions without FMA
 *               contraction, so they must agree bit for bit;
 *   1e-5 [1e-12] relative, norm-wise, for GEMM (cuBLAS vs OpenBLAS
 *               accumulate in another order);
 *   1e-5 [1e-12] relative to the sum of |terms| per column for the
 *               reductions stored in the scalar type (sum_rows and
 *               leaky_bwd_sum's sum, the
 *               batch-norm statistics, dgamma, dbeta) and for the values
 *               computed from them (xhat, y, running stats, dx), and 1e-12
 *               for sqerr's and abs_sign's double sums;
 *   training    Stage 1 (batch 256, 40 steps, Adam lr 1e-3): per step,
 *               |loss_dev - loss_cpu| <= 1e-5 |loss_cpu| + 4 D_s, and for
 *               the final weights ||w_dev - w_cpu||_2 <= 1e-6 ||w|| + 4 W,
 *               where D_s (the largest loss difference up to step s) and W
 *               are the same distances between the CPU's float and double
 *               runs: the effect of float rounding on this very problem,
 *               which Adam amplifies (it turns near-zero gradients into
 *               steps of about lr), so the final-weight check is only as
 *               sharp as that; the step-0 loss and the kernel checks above
 *               are the sharp ones. The bias of the dense layer before the
 *               batch norm (exact gradient 0) is left out and only bounded
 *               by Adam's largest step (2 x 3.17 lr per step). In double:
 *               1e-9 relative on the losses and 1e-9 absolute on the
 *               weights. Two device runs must agree bit for bit.
 *   flow        (idc_gpu_flow_sums, models/estimators/flow.h with device
 *               cuda; double throughout) the per-block sums against the
 *               CPU's row functions (models/estimators/flow_row.h) in the
 *               CPU's order: exact for the parts without exp/log (the count
 *               of negative pre-activations, the sums of the hidden
 *               pre-activations and their squares), 1e-12 (|cpu| + 1) for
 *               the others (the device's exp/log may round differently from
 *               glibc's; the share of entries equal bit for bit is
 *               printed), log p per row 1e-13 (|cpu| + 1); a flow's loss
 *               and gradient at the start 1e-12 relative (norm-wise), a
 *               200-step fit 1e-6 relative on the parameters and 1e-9 on
 *               the validation NLL (Adam amplifies rounding), and two device
 *               fits bit for bit. Under IDC_GPU_TEST_FAKE=1 the flow tests
 *               load the test stand-in fake-plugin.so (beside this program),
 *               whose evaluator runs the device algorithm on the host. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gpu/cuda.h"
#include "gpu/launch.h"
#include "models/engine/engine.h"
#include "models/estimators/flow.h"
#include "models/estimators/stage2.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

#define DEFAULT_SEED 0xc0da7e57ULL

static uint64_t g_seed;
static int g_fake;
static int g_small; /* IDC_GPU_TEST_SMALL=1: smaller shapes (for compute-sanitizer) */

/* The backend under test for dt. */
static const idc_backend *dev(idc_dtype dt)
{
    if (g_fake)
        return idc_backend_cpu(dt);
    idc_err err = {{0}};
    const idc_backend *be = idc_backend_cuda(dt, &err);
    ck_assert_msg(be != NULL, "%s", err.msg);
    return be;
}

static void dev_ok(const idc_backend *be)
{
    if (g_fake)
        return;
    idc_err err = {{0}};
    ck_assert_msg(idc_gpu_sync(be, &err) == IDC_OK, "%s", err.msg);
}

static double *rnd(size_t n, uint32_t id, double scale)
{
    double *v = calloc(n == 0 ? 1 : n, sizeof(double));
    ck_assert_ptr_nonnull(v);
    idc_rng s = idc_rng_stream(g_seed, id, IDC_PURPOSE_GENERATOR);
    for (size_t i = 0; i < n; i++)
        v[i] = scale * idc_rng_normal(s, i);
    return v;
}

static double *dalloc(size_t n)
{
    double *p = calloc(n == 0 ? 1 : n, sizeof(double));
    ck_assert_ptr_nonnull(p);
    return p;
}

/* A pair of buffers (CPU, device) holding the same values. */
typedef struct {
    const idc_backend *c, *d;
    void *pc, *pd;
    size_t n;
} pair;

static pair pair_new(idc_dtype dt, size_t n, const double *v)
{
    pair p = {idc_backend_cpu(dt), dev(dt), NULL, NULL, n};
    p.pc = p.c->alloc(p.c, n);
    p.pd = p.d->alloc(p.d, n);
    ck_assert(p.pc != NULL && p.pd != NULL);
    if (v != NULL) {
        p.c->set_d(p.c, p.pc, v, n);
        p.d->set_d(p.d, p.pd, v, n);
    }
    return p;
}

static void pair_free(pair *p)
{
    p->c->release(p->c, p->pc);
    p->d->release(p->d, p->pd);
}

/* max |cpu - dev| / scale over the elements, where scale is given per
 * element (NULL: exact comparison, returns the count of differences). */
static double pair_diff(const pair *p, const double *scale, const char *what)
{
    double *a = dalloc(p->n), *b = dalloc(p->n);
    p->c->get_d(p->c, a, p->pc, p->n);
    p->d->get_d(p->d, b, p->pd, p->n);
    double worst = 0.0;
    for (size_t i = 0; i < p->n; i++) {
        if (scale == NULL) {
            if (memcmp(&a[i], &b[i], sizeof(double)) != 0) {
                if (worst == 0.0)
                    fprintf(stderr, "%s: first difference at %zu: cpu %a, dev %a\n", what, i, a[i], b[i]);
                worst += 1.0;
            }
        } else {
            double e = fabs(a[i] - b[i]) / scale[i];
            if (!(e <= worst))
                worst = isnan(e) ? INFINITY : e;
        }
    }
    free(a);
    free(b);
    return worst;
}

static void assert_exact(const pair *p, const char *what)
{
    double nd = pair_diff(p, NULL, what);
    ck_assert_msg(nd == 0.0, "%s: %.0f of %zu elements differ from the CPU", what, nd, p->n);
}

static double rtol(idc_dtype dt)
{
    return dt == IDC_DTYPE_F32 ? 1e-5 : 1e-12;
}

/* ---- buffers and transfers -------------------------------------------- */

START_TEST(test_transfers)
{
    IDC_TEST_PRINT_SEED("transfers", g_seed);
    for (int t = 0; t < 2; t++) {
        idc_dtype dt = (idc_dtype)t;
        /* larger than one 4 MiB staging buffer, and odd */
        size_t n = g_small ? (size_t)1 << 20 | 5 : (size_t)3 << 20 | 5;
        double *v = rnd(n, 1, 3.0);
        pair z = pair_new(dt, n, NULL);
        assert_exact(&z, "alloc (zeros)");
        pair p = pair_new(dt, n, v);
        assert_exact(&p, "set_d/get_d");
        p.c->copy(p.c, z.pc, p.pc, n);
        p.d->copy(p.d, z.pd, p.pd, n);
        assert_exact(&z, "copy");
        pair e = pair_new(dt, 0, NULL); /* n = 0 allowed */
        pair_free(&e);
        pair_free(&z);
        pair_free(&p);
        free(v);
        dev_ok(dev(dt));
    }
}
END_TEST

START_TEST(test_gather_bias_leaky)
{
    for (int t = 0; t < 2; t++) {
        idc_dtype dt = (idc_dtype)t;
        size_t rows = 6144, cols = 13, src_rows = 5000;
        double *v = rnd(src_rows * cols, 2, 1.0), *b = rnd(cols, 3, 1.0);
        double *u = rnd(rows * cols, 5, 1.0);
        size_t *idx = calloc(rows, sizeof(size_t));
        ck_assert_ptr_nonnull(idx);
        idc_rng s = idc_rng_stream(g_seed, 4, IDC_PURPOSE_BATCH);
        for (size_t i = 0; i < rows; i++)
            idx[i] = (size_t)idc_rng_below(s, i, src_rows);
        pair src = pair_new(dt, src_rows * cols, v), out = pair_new(dt, rows * cols, NULL);
        pair bias = pair_new(dt, cols, b), dyp = pair_new(dt, rows * cols, u);
        out.c->gather_rows(out.c, out.pc, src.pc, cols, idx, rows);
        out.d->gather_rows(out.d, out.pd, src.pd, cols, idx, rows);
        assert_exact(&out, "gather_rows");
        /* one repeated index: the broadcast path */
        for (size_t i = 0; i < rows; i++)
            idx[i] = 4321;
        out.c->gather_rows(out.c, out.pc, src.pc, cols, idx, rows);
        out.d->gather_rows(out.d, out.pd, src.pd, cols, idx, rows);
        assert_exact(&out, "gather_rows (broadcast)");
        out.c->gather_rows(out.c, out.pc, src.pc, cols, idx, 0); /* no rows: no-op */
        out.d->gather_rows(out.d, out.pd, src.pd, cols, idx, 0);
        out.c->add_bias(out.c, out.pc, bias.pc, rows, cols);
        out.d->add_bias(out.d, out.pd, bias.pd, rows, cols);
        assert_exact(&out, "add_bias");
        double slopes[] = {0.02, 0.0, 1.0};
        for (int k = 0; k < 3; k++) {
            pair y = pair_new(dt, rows * cols, NULL), dx = pair_new(dt, rows * cols, NULL);
            y.c->leaky_fwd(y.c, y.pc, out.pc, rows * cols, slopes[k]);
            y.d->leaky_fwd(y.d, y.pd, out.pd, rows * cols, slopes[k]);
            assert_exact(&y, "leaky_fwd");
            dx.c->leaky_bwd(dx.c, dx.pc, dyp.pc, y.pc, rows * cols, slopes[k]);
            dx.d->leaky_bwd(dx.d, dx.pd, dyp.pd, y.pd, rows * cols, slopes[k]);
            assert_exact(&dx, "leaky_bwd");
            /* in place (y aliases x; dx aliases dy) */
            y.c->leaky_fwd(y.c, y.pc, y.pc, rows * cols, slopes[k]);
            y.d->leaky_fwd(y.d, y.pd, y.pd, rows * cols, slopes[k]);
            assert_exact(&y, "leaky_fwd in place");
            dx.c->leaky_bwd(dx.c, dx.pc, dx.pc, y.pc, rows * cols, slopes[k]);
            dx.d->leaky_bwd(dx.d, dx.pd, dx.pd, y.pd, rows * cols, slopes[k]);
            assert_exact(&dx, "leaky_bwd in place");
            pair_free(&y);
            pair_free(&dx);
        }
        pair_free(&src);
        pair_free(&out);
        pair_free(&bias);
        pair_free(&dyp);
        free(u);
        free(v);
        free(b);
        free(idx);
        dev_ok(dev(dt));
    }
}
END_TEST

/* ---- GEMM --------------------------------------------------------------- */

/* ||C_dev - C_cpu|| / ||C_cpu|| for one call with padded leading dims. */
static double gemm_err(idc_dtype dt, int ta, int tb, size_t m, size_t n, size_t k, double alpha, double beta,
                       uint32_t id)
{
    size_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
    size_t na = (ta ? k : m) * lda, nb = (tb ? n : k) * ldb, nc = m * ldc;
    double *a = rnd(na, id, 1.0), *b = rnd(nb, id + 1, 1.0), *c = rnd(nc, id + 2, 1.0);
    pair A = pair_new(dt, na, a), B = pair_new(dt, nb, b), C = pair_new(dt, nc, c);
    A.c->gemm(A.c, ta, tb, m, n, k, alpha, A.pc, lda, B.pc, ldb, beta, C.pc, ldc);
    A.d->gemm(A.d, ta, tb, m, n, k, alpha, A.pd, lda, B.pd, ldb, beta, C.pd, ldc);
    double *x = dalloc(nc), *y = dalloc(nc), num = 0.0, den = 0.0;
    C.c->get_d(C.c, x, C.pc, nc);
    C.d->get_d(C.d, y, C.pd, nc);
    for (size_t i = 0; i < nc; i++) {
        num += (x[i] - y[i]) * (x[i] - y[i]);
        den += x[i] * x[i];
    }
    /* the padding columns of C must be untouched */
    for (size_t r = 0; r < m; r++)
        for (size_t j = n; j < ldc; j++)
            ck_assert_msg(memcmp(&y[r * ldc + j], &x[r * ldc + j], sizeof(double)) == 0,
                          "gemm wrote C's padding at (%zu, %zu)", r, j);
    pair_free(&A);
    pair_free(&B);
    pair_free(&C);
    free(a);
    free(b);
    free(c);
    free(x);
    free(y);
    return sqrt(num / den);
}

START_TEST(test_gemm)
{
    IDC_TEST_PRINT_SEED("gemm", g_seed);
    /* the engine's shapes (dense forward, weight and input gradients at
     * batch 6144, widths 10..400) and odd small ones */
    size_t shapes[][3] = {{6144, 100, 10},  {100, 10, 6144}, {6144, 10, 100}, {6144, 400, 200},
                          {200, 400, 1000}, {7, 5, 3},       {1, 1, 1},       {33, 65, 17}};
    for (int t = 0; t < 2; t++)
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
            for (int ta = 0; ta < 2; ta++)
                for (int tb = 0; tb < 2; tb++) {
                    idc_dtype dt = (idc_dtype)t;
                    if (g_small && shapes[s][0] * shapes[s][1] * shapes[s][2] > 10000000)
                        continue;
                    double e = gemm_err(dt, ta, tb, shapes[s][0], shapes[s][1], shapes[s][2],
                                        s % 2 ? 1.0 : 0.5, s % 3 ? 1.0 : 0.0, (uint32_t)(100 + 3 * s));
                    ck_assert_msg(
                        e <= rtol(dt), "gemm %s ta=%d tb=%d %zux%zux%zu: relative error %.3g > %.0e",
                        t ? "f64" : "f32", ta, tb, shapes[s][0], shapes[s][1], shapes[s][2], e, rtol(dt));
                }
    dev_ok(dev(IDC_DTYPE_F32));
}
END_TEST

/* ---- reductions and batch norm ------------------------------------------ */

/* Per-column scale: sum_i |y_ij| (at least 1e-300), repeated rows times
 * when rep (for matrices of per-element values derived from the sums). */
static double *col_abs(const double *y, size_t rows, size_t cols, size_t rep, double extra)
{
    double *s = dalloc(cols * rep);
    for (size_t j = 0; j < cols; j++) {
        double a = extra;
        for (size_t i = 0; i < rows; i++)
            a += fabs(y[i * cols + j]);
        for (size_t r = 0; r < rep; r++)
            s[r * cols + j] = a > 1e-300 ? a : 1e-300;
    }
    return s;
}

static void check_close(const pair *p, const double *scale, double tol, const char *what)
{
    double e = pair_diff(p, scale, what);
    ck_assert_msg(e <= tol, "%s: error %.3g > %.0e", what, e, tol);
}

static double *fill(size_t n, double v)
{
    double *p = dalloc(n);
    for (size_t i = 0; i < n; i++)
        p[i] = v;
    return p;
}

static void reductions_case(idc_dtype dt, size_t rows, size_t cols, uint32_t id)
{
    size_t n = rows * cols;
    double tol = rtol(dt);
    double *x = rnd(n, id, 2.0), *dy = rnd(n, id + 1, 1.0);
    for (size_t i = 0; i < n; i++)
        x[i] += 0.5 * (double)(i % cols); /* column means away from 0 */
    double *g = rnd(cols, id + 2, 1.0), *b = rnd(cols, id + 3, 1.0);
    double *rm = rnd(cols, id + 4, 1.0), *rv = fill(cols, 1.5);
    pair X = pair_new(dt, n, x), DY = pair_new(dt, n, dy), G = pair_new(dt, cols, g);
    pair B = pair_new(dt, cols, b), RM = pair_new(dt, cols, rm), RV = pair_new(dt, cols, rv);
    pair S = pair_new(dt, cols, NULL), Y = pair_new(dt, n, NULL), XH = pair_new(dt, n, NULL);
    pair IS = pair_new(dt, cols, NULL), DX = pair_new(dt, n, NULL);
    pair DG = pair_new(dt, cols, NULL), DB = pair_new(dt, cols, NULL);

    /* sum_rows */
    S.c->sum_rows(S.c, S.pc, X.pc, rows, cols);
    S.d->sum_rows(S.d, S.pd, X.pd, rows, cols);
    double *sx = col_abs(x, rows, cols, 1, 0.0);
    check_close(&S, sx, tol, "sum_rows");

    /* bn_fwd_train (twice: the running statistics accumulate) */
    for (int rep = 0; rep < 2; rep++) {
        X.c->bn_fwd_train(X.c, Y.pc, XH.pc, IS.pc, RM.pc, RV.pc, X.pc, G.pc, B.pc, rows, cols, 1e-5, 0.1);
        X.d->bn_fwd_train(X.d, Y.pd, XH.pd, IS.pd, RM.pd, RV.pd, X.pd, G.pd, B.pd, rows, cols, 1e-5, 0.1);
    }
    /* xhat is O(1) and computed from the column statistics: absolute
     * tolerance scaled by 1 + |value| */
    double *one = fill(n, 1.0), *yv = dalloc(n);
    Y.c->get_d(Y.c, yv, Y.pc, n);
    for (size_t i = 0; i < n; i++)
        yv[i] = 1.0 + fabs(yv[i]) + fabs(g[i % cols]) * 4.0;
    check_close(&XH, one, 8 * tol, "bn_fwd_train xhat");
    check_close(&Y, yv, 8 * tol, "bn_fwd_train y");
    double *isv = dalloc(cols), *rmv = dalloc(cols), *rvv = dalloc(cols);
    IS.c->get_d(IS.c, isv, IS.pc, cols);
    RM.c->get_d(RM.c, rmv, RM.pc, cols);
    RV.c->get_d(RV.c, rvv, RV.pc, cols);
    for (size_t j = 0; j < cols; j++) {
        isv[j] = fabs(isv[j]);
        rmv[j] = 1.0 + fabs(rmv[j]) + fabs(x[j]);
        rvv[j] = 1.0 + fabs(rvv[j]);
    }
    check_close(&IS, isv, 4 * tol, "bn_fwd_train invstd");
    check_close(&RM, rmv, 4 * tol, "bn_fwd_train running_mean");
    check_close(&RV, rvv, 4 * tol, "bn_fwd_train running_var");

    /* bn_fwd_eval: exact given the same (device) running statistics */
    double *rmd = dalloc(cols), *rvd = dalloc(cols);
    RM.d->get_d(RM.d, rmd, RM.pd, cols);
    RV.d->get_d(RV.d, rvd, RV.pd, cols);
    RM.c->set_d(RM.c, RM.pc, rmd, cols);
    RV.c->set_d(RV.c, RV.pc, rvd, cols);
    X.c->bn_fwd_eval(X.c, Y.pc, X.pc, G.pc, B.pc, RM.pc, RV.pc, rows, cols, 1e-5);
    X.d->bn_fwd_eval(X.d, Y.pd, X.pd, G.pd, B.pd, RM.pd, RV.pd, rows, cols, 1e-5);
    assert_exact(&Y, "bn_fwd_eval");

    /* bn_bwd with the device's xhat and invstd on both sides */
    double *xh = dalloc(n), *is = dalloc(cols);
    XH.d->get_d(XH.d, xh, XH.pd, n);
    IS.d->get_d(IS.d, is, IS.pd, cols);
    XH.c->set_d(XH.c, XH.pc, xh, n);
    IS.c->set_d(IS.c, IS.pc, is, cols);
    for (int with_dx = 0; with_dx < 2; with_dx++) {
        X.c->bn_bwd(X.c, with_dx ? DX.pc : NULL, DG.pc, DB.pc, DY.pc, XH.pc, IS.pc, G.pc, rows, cols);
        X.d->bn_bwd(X.d, with_dx ? DX.pd : NULL, DG.pd, DB.pd, DY.pd, XH.pd, IS.pd, G.pd, rows, cols);
        double *sdy = col_abs(dy, rows, cols, 1, 0.0);
        double *prod = dalloc(n);
        for (size_t i = 0; i < n; i++)
            prod[i] = dy[i] * xh[i];
        double *sdyx = col_abs(prod, rows, cols, 1, 0.0);
        check_close(&DB, sdy, tol, "bn_bwd dbeta");
        check_close(&DG, sdyx, tol, "bn_bwd dgamma");
        if (with_dx) {
            /* dx = gamma invstd / rows (rows dy - dbeta - xhat dgamma): the
             * sums enter with weight 1 / rows against terms of size dy */
            double *sc = dalloc(n);
            for (size_t i = 0; i < n; i++) {
                size_t j = i % cols;
                sc[i] = fabs(g[j]) * is[j] * (fabs(dy[i]) + (sdy[j] + fabs(xh[i]) * sdyx[j]) / (double)rows) +
                        1e-300;
            }
            check_close(&DX, sc, 8 * tol, "bn_bwd dx");
            free(sc);
        }
        free(sdy);
        free(prod);
        free(sdyx);
    }
    pair *all[] = {&X, &DY, &G, &B, &RM, &RV, &S, &Y, &XH, &IS, &DX, &DG, &DB};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        pair_free(all[i]);
    free(x);
    free(dy);
    free(g);
    free(b);
    free(rm);
    free(rv);
    free(sx);
    free(one);
    free(yv);
    free(isv);
    free(rmv);
    free(rvv);
    free(rmd);
    free(rvd);
    free(xh);
    free(is);
    dev_ok(dev(dt));
}

START_TEST(test_reductions_bn)
{
    IDC_TEST_PRINT_SEED("reductions_bn", g_seed);
    size_t shapes[][2] = {{6144, 10}, {6144, 40}, {2, 1}, {3, 5}, {1000, 300}, {70000, 3}, {257, 33}};
    for (int t = 0; t < 2; t++)
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
            if (!g_small || shapes[s][0] * shapes[s][1] <= 100000)
                reductions_case((idc_dtype)t, shapes[s][0], shapes[s][1], (uint32_t)(200 + 10 * s));
}
END_TEST

START_TEST(test_sqerr_adam)
{
    IDC_TEST_PRINT_SEED("sqerr_adam", g_seed);
    size_t sizes[] = {1, 7, 6144 * 10, (size_t)IDC_GPU_REDUCE_BLOCKS * IDC_GPU_BLOCK * 2 + 3};
    for (int t = 0; t < 2; t++)
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            idc_dtype dt = (idc_dtype)t;
            size_t n = sizes[s];
            if (g_small && n > 100000)
                continue;
            double *y = rnd(n, 300, 1.0), *tg = rnd(n, 301, 1.0), *g0 = rnd(n, 302, 1.0);
            pair Y = pair_new(dt, n, y), T = pair_new(dt, n, tg), GR = pair_new(dt, n, g0);
            for (int acc = 0; acc < 2; acc++)
                for (int wt = 0; wt < 2; wt++) {
                    double scale = 0.37 / (double)n;
                    double a = Y.c->sqerr(Y.c, GR.pc, Y.pc, wt ? T.pc : NULL, n, scale, acc);
                    double b = Y.d->sqerr(Y.d, GR.pd, Y.pd, wt ? T.pd : NULL, n, scale, acc);
                    ck_assert_msg(fabs(a - b) <= 1e-12 * fabs(a), "sqerr n=%zu: %.17g vs %.17g", n, b, a);
                    assert_exact(&GR, "sqerr grad");
                    /* no gradient wanted */
                    a = Y.c->sqerr(Y.c, NULL, Y.pc, T.pc, n, 1.0, 0);
                    b = Y.d->sqerr(Y.d, NULL, Y.pd, T.pd, n, 1.0, 0);
                    ck_assert(fabs(a - b) <= 1e-12 * fabs(a));
                }
            ck_assert(Y.d->sqerr(Y.d, NULL, Y.pd, NULL, 0, 1.0, 0) == 0.0);
            /* Adam: three steps with the engine's bias corrections */
            pair P = pair_new(dt, n, y), M = pair_new(dt, n, NULL), V = pair_new(dt, n, NULL);
            for (int step = 1; step <= 3; step++) {
                double bc1 = 1.0 - pow(0.9, step), bc2 = 1.0 - pow(0.999, step);
                P.c->adam(P.c, P.pc, M.pc, V.pc, GR.pc, n, 1e-3, 0.9, 0.999, 1e-8, bc1, bc2);
                P.d->adam(P.d, P.pd, M.pd, V.pd, GR.pd, n, 1e-3, 0.9, 0.999, 1e-8, bc1, bc2);
            }
            assert_exact(&P, "adam params");
            assert_exact(&M, "adam m");
            assert_exact(&V, "adam v");
            pair *all[] = {&Y, &T, &GR, &P, &M, &V};
            for (size_t i = 0; i < sizeof all / sizeof *all; i++)
                pair_free(all[i]);
            free(y);
            free(tg);
            free(g0);
            dev_ok(dev(dt));
        }
}
END_TEST

/* The fields that keep a training loop on the device, and the fused
 * leaky backward: minibatches drawn
 * from the Philox stream where the data lives (exact: the same rows), sums
 * kept in device memory (sqerr_sum: the value sqerr returns; abs_sign: the
 * L1 term's sum to 1e-12 of itself and its gradient exactly). */
START_TEST(test_device_loop_fields)
{
    IDC_TEST_PRINT_SEED("device_loop_fields", g_seed);
    for (int t = 0; t < 2; t++) {
        idc_dtype dt = (idc_dtype)t;
        size_t rows = g_small ? 512 : 6144, cols = 7, src_rows = 1000003;
        if (g_small)
            src_rows = 4099;
        double *v = rnd(src_rows * cols, 600, 1.0);
        pair src = pair_new(dt, src_rows * cols, v), out = pair_new(dt, rows * cols, NULL);
        idc_rng s = idc_rng_stream(g_seed, 7, IDC_PURPOSE_BATCH);
        for (uint64_t k0 = 0; k0 < 3 * (uint64_t)rows; k0 += rows + 1) {
            out.c->gather_random_rows(out.c, out.pc, src.pc, cols, s, k0, rows, src_rows);
            out.d->gather_random_rows(out.d, out.pd, src.pd, cols, s, k0, rows, src_rows);
            assert_exact(&out, "gather_random_rows");
        }
        /* the rows are those idc_rng_below picks on the host */
        double *row = dalloc(cols), *got = dalloc(rows * cols);
        out.d->get_d(out.d, got, out.pd, rows * cols);
        for (size_t r = 0; r < rows; r += 97) {
            size_t i = (size_t)idc_rng_below(s, 2 * (uint64_t)rows + 2 + r, src_rows);
            src.c->get_d(src.c, row, (const char *)src.pc + i * cols * idc_dtype_size(dt), cols);
            ck_assert(memcmp(row, got + r * cols, cols * sizeof(double)) == 0);
        }
        free(row);
        free(got);

        /* the fused leaky backward + bias gradient (sum_rows' tolerance) */
        for (size_t lc = 0; lc < 2; lc++) {
            size_t lr = g_small ? 300 : 6144, lcols = lc ? 1000 : 33;
            double *ly = rnd(lr * lcols, 610, 1.0), *ldy = rnd(lr * lcols, 611, 1.0);
            pair Y = pair_new(dt, lr * lcols, ly), DY = pair_new(dt, lr * lcols, ldy);
            pair DX = pair_new(dt, lr * lcols, NULL), SUM = pair_new(dt, lcols, NULL);
            DX.c->leaky_bwd_sum(DX.c, DX.pc, SUM.pc, DY.pc, Y.pc, lr, lcols, 0.02);
            DX.d->leaky_bwd_sum(DX.d, DX.pd, SUM.pd, DY.pd, Y.pd, lr, lcols, 0.02);
            assert_exact(&DX, "leaky_bwd_sum dx");
            double *absum = dalloc(lcols), *hdx = dalloc(lr * lcols);
            DX.c->get_d(DX.c, hdx, DX.pc, lr * lcols);
            for (size_t i = 0; i < lr * lcols; i++)
                absum[i % lcols] += fabs(hdx[i]);
            double e = pair_diff(&SUM, absum, "leaky_bwd_sum sum");
            ck_assert_msg(e <= rtol(dt), "leaky_bwd_sum sum: %g", e);
            /* in place (dx = dy) */
            DX.d->leaky_bwd_sum(DX.d, DY.pd, SUM.pd, DY.pd, Y.pd, lr, lcols, 0.02);
            DX.c->copy(DX.c, DY.pc, DX.pc, lr * lcols);
            assert_exact(&DY, "leaky_bwd_sum in place");
            pair *lp[] = {&Y, &DY, &DX, &SUM};
            for (size_t i = 0; i < 4; i++)
                pair_free(lp[i]);
            free(ly);
            free(ldy);
            free(absum);
            free(hdx);
        }

        size_t n = rows * cols;
        double *z = rnd(n, 601, 1.0), *g0 = rnd(n, 602, 1.0);
        for (size_t i = 0; i < n; i += 11)
            z[i] = 0.0; /* sign(0) = 0 */
        pair Z = pair_new(dt, n, z), DZ = pair_new(dt, n, g0);
        void *sc = Z.c->alloc_sums(Z.c, 4), *sd = Z.d->alloc_sums(Z.d, 4);
        ck_assert(sc != NULL && sd != NULL);
        double hc[4], hd[4];
        Z.d->read_sums(Z.d, hd, sd, 4);
        for (int i = 0; i < 4; i++)
            ck_assert(hd[i] == 0.0);
        double w = 0.25 / (double)n;
        Z.c->abs_sign(Z.c, DZ.pc, Z.pc, n, w, sc, 1);
        Z.d->abs_sign(Z.d, DZ.pd, Z.pd, n, w, sd, 1);
        assert_exact(&DZ, "abs_sign dz");
        Z.c->abs_sign(Z.c, NULL, Z.pc, n, w, sc, 3);
        Z.d->abs_sign(Z.d, NULL, Z.pd, n, w, sd, 3);
        double ret = Z.d->sqerr(Z.d, NULL, Z.pd, DZ.pd, n, 0.5, 0);
        Z.d->sqerr_sum(Z.d, NULL, Z.pd, DZ.pd, n, 0.5, 0, sd, 2);
        Z.c->sqerr_sum(Z.c, NULL, Z.pc, DZ.pc, n, 0.5, 0, sc, 2);
        Z.c->read_sums(Z.c, hc, sc, 4);
        Z.d->read_sums(Z.d, hd, sd, 4);
        ck_assert(hd[0] == 0.0 && hc[0] == 0.0);
        ck_assert_msg(hd[2] == ret, "sqerr_sum %.17g vs sqerr %.17g", hd[2], ret);
        for (int i = 1; i < 4; i++)
            ck_assert_msg(fabs(hc[i] - hd[i]) <= 1e-12 * fabs(hc[i]), "sums[%d]: %.17g vs %.17g", i, hd[i],
                          hc[i]);
        ck_assert(hd[1] == hd[3]);
        Z.c->release(Z.c, sc);
        Z.d->release(Z.d, sd);
        pair *all[] = {&src, &out, &Z, &DZ};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++)
            pair_free(all[i]);
        free(v);
        free(z);
        free(g0);
        dev_ok(dev(dt));
    }
}
END_TEST

/* ---- errors --------------------------------------------------------------- */

START_TEST(test_error_path)
{
    if (g_fake)
        return;
    idc_err err = {{0}};
    idc_backend *be = idc_gpu_backend_new(IDC_DTYPE_F32, 0, &err);
    ck_assert_msg(be != NULL, "%s", err.msg);
    ck_assert_int_eq(idc_gpu_status(be, &err), IDC_OK);
    ck_assert(idc_gpu_device_name(be)[0] != '\0');
    ck_assert_int_eq(idc_gpu_get_math(be), IDC_GPU_MATH_DEFAULT);
    ck_assert_int_eq(idc_gpu_set_math(be, IDC_GPU_MATH_TF32, &err), IDC_OK);
    ck_assert_int_eq(idc_gpu_get_math(be), IDC_GPU_MATH_TF32);
    ck_assert_int_eq(idc_gpu_set_math(be, IDC_GPU_MATH_DEFAULT, &err), IDC_OK);
    ck_assert_int_eq(idc_gpu_set_math(be, (idc_gpu_math)9, &err), IDC_EINVAL);
    /* an impossible allocation fails without poisoning the table */
    ck_assert_ptr_null(be->alloc(be, (size_t)1 << 50));
    ck_assert_int_eq(idc_gpu_status(be, &err), IDC_OK);
    void *a = be->alloc(be, 64), *c = be->alloc(be, 64);
    ck_assert(a != NULL && c != NULL);
    /* lda below k: the GEMM is refused and recorded */
    be->gemm(be, 0, 0, 4, 4, 8, 1.0, a, 2, a, 4, 0.0, c, 4);
    ck_assert_int_eq(idc_gpu_status(be, &err), IDC_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "gemm"));
    fprintf(stderr, "test error_path: recorded \"%s\"\n", err.msg);
    /* afterwards: sqerr NaN, get_d NaN, alloc NULL */
    ck_assert(isnan(be->sqerr(be, NULL, a, NULL, 64, 1.0, 0)));
    double h[4];
    be->get_d(be, h, a, 4);
    ck_assert(isnan(h[0]) && isnan(h[3]));
    ck_assert_ptr_null(be->alloc(be, 4));
    ck_assert_int_eq(idc_gpu_sync(be, &err), IDC_EIO);
    be->release(be, a);
    be->release(be, c);
    idc_gpu_backend_free(be);
    ck_assert_int_eq(idc_gpu_status(idc_backend_cpu(IDC_DTYPE_F32), &err), IDC_EINVAL);
}
END_TEST

/* ---- Stage-1 training on both backends -------------------------------------- */

enum { S1_N = 4, S1_BATCH = 256, S1_STEPS = 40, S1_ROWS = 4 * S1_BATCH };

static size_t s1_steps(void)
{
    return g_small ? 10 : S1_STEPS;
}

typedef struct {
    double loss[S1_STEPS];
    double *w; /* encoder then decoder parameters */
    size_t nw;
    size_t skip0, skip1; /* the code layer's bias (see wdist) */
} s1_run;

/* The Stage-1 step of models/estimators/stage1.c (d = n = 4, hidden (8n, 16n, 16n,
 * 8n), leaky 0.02, batch norm on the code, MSE + 1/2 mean |z|^2, Adam)
 * built from engine objects on backend be. */
static void s1_train(const idc_backend *be, const double *x, s1_run *out)
{
    memset(out, 0, sizeof *out);
    size_t n = S1_N, d = S1_N, h[4] = {8 * S1_N, 16 * S1_N, 16 * S1_N, 8 * S1_N};
    idc_mlp_layer es[10], ds[9];
    size_t ke = 0, kd = 0;
    for (int i = 0; i < 4; i++) {
        es[ke++] = idc_mlp_dense(h[i]);
        es[ke++] = idc_mlp_leaky(0.02);
        ds[kd++] = idc_mlp_dense(h[3 - i]);
        ds[kd++] = idc_mlp_leaky(0.02);
    }
    es[ke++] = idc_mlp_dense(n);
    es[ke++] = idc_mlp_batchnorm(1e-5, 0.1);
    ds[kd++] = idc_mlp_dense(d);
    idc_err err = {{0}};
    idc_mlp *enc = idc_mlp_new(be, d, es, ke, S1_BATCH, &err);
    idc_mlp *dec = idc_mlp_new(be, n, ds, kd, S1_BATCH, &err);
    ck_assert_msg(enc != NULL && dec != NULL, "%s", err.msg);
    idc_rng init = idc_rng_stream(g_seed, 0, IDC_PURPOSE_INIT);
    ck_assert_int_eq(idc_mlp_init(enc, init, 1, &err), IDC_OK);
    ck_assert_int_eq(idc_mlp_init(dec, init, 2, &err), IDC_OK);
    idc_adam *ae = idc_adam_new(be, idc_mlp_nparams(enc), &err);
    idc_adam *ad = idc_adam_new(be, idc_mlp_nparams(dec), &err);
    void *data = be->alloc(be, S1_ROWS * d), *xb = be->alloc(be, S1_BATCH * d);
    void *dxhat = be->alloc(be, S1_BATCH * d), *dcode = be->alloc(be, S1_BATCH * n);
    ck_assert(ae != NULL && ad != NULL && data != NULL && xb != NULL && dxhat != NULL && dcode != NULL);
    be->set_d(be, data, x, S1_ROWS * d);
    idc_adam_config ac = {1e-3, 0.9, 0.999, 1e-8};
    idc_rng bs = idc_rng_stream(g_seed, 0, IDC_PURPOSE_BATCH);
    size_t idx[S1_BATCH];
    for (size_t step = 0; step < s1_steps(); step++) {
        for (size_t i = 0; i < S1_BATCH; i++)
            idx[i] = (size_t)idc_rng_below(bs, step * S1_BATCH + i, S1_ROWS);
        be->gather_rows(be, xb, data, d, idx, S1_BATCH);
        ck_assert_int_eq(idc_mlp_forward(enc, xb, S1_BATCH, 1, &err), IDC_OK);
        const void *code = idc_mlp_output(enc);
        ck_assert_int_eq(idc_mlp_forward(dec, code, S1_BATCH, 1, &err), IDC_OK);
        double rec = idc_mlp_loss_mse(be, dxhat, idc_mlp_output(dec), xb, S1_BATCH, d, 1.0, 0);
        ck_assert_int_eq(idc_mlp_backward(dec, dcode, dxhat, S1_BATCH, &err), IDC_OK);
        double pen = idc_mlp_loss_code(be, dcode, code, S1_BATCH, n, 1.0, 1);
        ck_assert_int_eq(idc_mlp_backward(enc, NULL, dcode, S1_BATCH, &err), IDC_OK);
        idc_adam_step(ae, &ac, idc_mlp_params(enc), idc_mlp_grads(enc));
        idc_adam_step(ad, &ac, idc_mlp_params(dec), idc_mlp_grads(dec));
        out->loss[step] = rec + pen;
    }
    size_t off, cnt;
    idc_mlp_param_range(enc, ke - 2, &off, &cnt);
    out->skip0 = off + cnt - n;
    out->skip1 = off + cnt;
    out->nw = idc_mlp_nparams(enc) + idc_mlp_nparams(dec);
    out->w = dalloc(out->nw);
    idc_mlp_get_params(enc, out->w);
    idc_mlp_get_params(dec, out->w + idc_mlp_nparams(enc));
    be->release(be, data);
    be->release(be, xb);
    be->release(be, dxhat);
    be->release(be, dcode);
    idc_adam_free(ae);
    idc_adam_free(ad);
    idc_mlp_free(enc);
    idc_mlp_free(dec);
}

/* max |a - b| over the weights, except the bias of the dense layer before
 * the batch norm: batch norm removes it, so its exact gradient is 0 and
 * what it gets is rounding noise, which Adam normalises into steps of
 * about lr with a random sign (stage1.h: the drift of the last encoder
 * bias). It is compared separately, against Adam's largest steps. */
static double wdist(const s1_run *a, const s1_run *b, int bias_only)
{
    double m = 0.0;
    for (size_t i = 0; i < a->nw; i++)
        if ((i >= a->skip0 && i < a->skip1) == (bias_only != 0))
            m = fmax(m, fabs(a->w[i] - b->w[i]));
    return m;
}

/* ||a - b||_2 over the same weights as wdist(., ., 0). */
static double wnorm(const s1_run *a, const s1_run *b)
{
    double s = 0.0;
    for (size_t i = 0; i < a->nw; i++)
        if (!(i >= a->skip0 && i < a->skip1)) {
            double d = a->w[i] - (b != NULL ? b->w[i] : 0.0);
            s += d * d;
        }
    return sqrt(s);
}

START_TEST(test_stage1_train)
{
    IDC_TEST_PRINT_SEED("stage1_train", g_seed);
    /* data: a random linear mixing of normal latents plus a leaky bend */
    double *z = rnd(S1_ROWS * S1_N, 400, 1.0), *a = rnd(S1_N * S1_N, 401, 0.7);
    double *x = dalloc(S1_ROWS * S1_N);
    for (size_t r = 0; r < S1_ROWS; r++)
        for (size_t i = 0; i < S1_N; i++) {
            double v = 0.0;
            for (size_t j = 0; j < S1_N; j++)
                v += a[i * S1_N + j] * z[r * S1_N + j];
            x[r * S1_N + i] = v > 0 ? v : 0.3 * v;
        }
    s1_run c32, c64, d32, d32b, d64;
    s1_train(idc_backend_cpu(IDC_DTYPE_F32), x, &c32);
    s1_train(idc_backend_cpu(IDC_DTYPE_F64), x, &c64);
    s1_train(dev(IDC_DTYPE_F32), x, &d32);
    s1_train(dev(IDC_DTYPE_F32), x, &d32b);
    s1_train(dev(IDC_DTYPE_F64), x, &d64);
    ck_assert(memcmp(d32.loss, d32b.loss, s1_steps() * sizeof(double)) == 0);
    ck_assert_msg(memcmp(d32.w, d32b.w, d32.nw * sizeof(double)) == 0,
                  "two device runs from one seed differ");
    double D = 0.0, worst = 0.0;
    for (size_t s = 0; s < s1_steps(); s++) {
        D = fmax(D, fabs(c32.loss[s] - c64.loss[s]));
        double e = fabs(d32.loss[s] - c32.loss[s]), tol = 1e-5 * fabs(c32.loss[s]) + 4 * D;
        worst = fmax(worst, e / tol);
        ck_assert_msg(e <= tol, "step %zu: loss dev %.9g vs cpu %.9g (tolerance %.3g)", s, d32.loss[s],
                      c32.loss[s], tol);
        double e64 = fabs(d64.loss[s] - c64.loss[s]);
        ck_assert_msg(e64 <= 1e-9 * fabs(c64.loss[s]), "f64 step %zu: loss %.17g vs %.17g", s, d64.loss[s],
                      c64.loss[s]);
    }
    double W = wdist(&c32, &c64, 0), Wd = wdist(&d32, &c32, 0), W64 = wdist(&d64, &c64, 0);
    double Bd = wdist(&d32, &c32, 1), B = wdist(&c32, &c64, 1);
    /* an Adam step moves a parameter by at most about lr (1 - b1) / sqrt(1 - b2)
     * = 3.17 lr, so two runs of that noise-driven bias part by at most twice
     * that per step */
    double bmax = 2.0 * 3.17 * 1e-3 * (double)s1_steps();
    ck_assert_msg(Bd <= bmax, "code-layer bias: device vs CPU %.3g > %.3g", Bd, bmax);
    fprintf(stderr,
            "test stage1_train: loss %.6g -> %.6g; float vs double on the CPU: loss %.3g, "
            "weights %.3g; device vs CPU (float): worst loss error / tolerance %.3f, weights "
            "%.3g; (double): weights %.3g; code-layer bias (rounding-driven): float vs double "
            "%.3g, device vs CPU %.3g\n",
            c32.loss[0], c32.loss[s1_steps() - 1], D, W, worst, Wd, W64, B, Bd);
    double N2 = wnorm(&c32, NULL), W2 = wnorm(&c32, &c64), Wd2 = wnorm(&d32, &c32);
    fprintf(stderr,
            "test stage1_train: ||w|| = %.4g; ||w_f32 - w_f64|| (cpu) = %.3g; ||w_dev - w_cpu|| "
            "(f32) = %.3g\n",
            N2, W2, Wd2);
    ck_assert_msg(Wd2 <= 1e-6 * N2 + 4 * W2, "final weights: ||device - CPU|| %.3g > %.3g", Wd2,
                  1e-6 * N2 + 4 * W2);
    ck_assert_msg(W64 <= 1e-9, "final weights (double): device vs CPU %.3g > 1e-9", W64);
    free(c32.w);
    free(c64.w);
    free(d32.w);
    free(d32b.w);
    free(d64.w);
    free(z);
    free(a);
    free(x);
}
END_TEST

/* Stage 2 (models/estimators/stage2.h) through its public API on each backend: two
 * device runs from one seed are bit-identical; double precision agrees with
 * the CPU to 1e-6 relative; float agrees with the CPU within 1e-5 relative
 * plus 4 times the CPU's own float-vs-double drift. */
static void s2_run(const idc_backend *be, const double *codes, size_t n, idc_stage2_status *st, double *zh)
{
    idc_stage2_config c;
    idc_stage2_config_default(&c, 4);
    c.nhidden = 2;
    c.mult[0] = c.mult[1] = 4;
    c.batch = g_small ? 32 : 256;
    c.steps = g_small ? 5 : 40;
    c.lr = 1e-3;
    c.lr_dual = 1e-2;
    c.seed = g_seed;
    idc_err err = {{0}};
    idc_stage2 *s = idc_stage2_new_backend(&c, be, &err);
    ck_assert_msg(s != NULL, "%s", err.msg);
    ck_assert_msg(idc_stage2_fit(s, codes, n, NULL, st, &err) == IDC_OK, "%s", err.msg);
    ck_assert_msg(idc_stage2_encode(s, zh, codes, n, &err) == IDC_OK, "%s", err.msg);
    idc_stage2_free(s);
}

START_TEST(test_stage2_train)
{
    IDC_TEST_PRINT_SEED("stage2_train", g_seed);
    size_t n = g_small ? 200 : 2000;
    double *codes = rnd(n * 4, 500, 1.0);
    double *z32 = dalloc(n * 4), *z64 = dalloc(n * 4), *d32 = dalloc(n * 4), *d32b = dalloc(n * 4),
           *d64 = dalloc(n * 4);
    idc_stage2_status c32, c64, s32, s32b, s64;
    s2_run(idc_backend_cpu(IDC_DTYPE_F32), codes, n, &c32, z32);
    s2_run(idc_backend_cpu(IDC_DTYPE_F64), codes, n, &c64, z64);
    s2_run(dev(IDC_DTYPE_F32), codes, n, &s32, d32);
    s2_run(dev(IDC_DTYPE_F32), codes, n, &s32b, d32b);
    s2_run(dev(IDC_DTYPE_F64), codes, n, &s64, d64);
    ck_assert_msg(memcmp(&s32, &s32b, sizeof s32) == 0 && memcmp(d32, d32b, n * 4 * sizeof(double)) == 0,
                  "two device runs of Stage 2 from one seed differ");
    ck_assert_msg(fabs(s64.rec - c64.rec) <= 1e-6 * fabs(c64.rec) && fabs(s64.l1 - c64.l1) <= 1e-6 * fabs(c64.l1),
                  "Stage 2 (double): device rec %.17g l1 %.17g vs CPU %.17g %.17g", s64.rec, s64.l1, c64.rec, c64.l1);
    double drift = fabs(c32.rec - c64.rec), tol = 1e-5 * fabs(c32.rec) + 4 * drift;
    ck_assert_msg(fabs(s32.rec - c32.rec) <= tol, "Stage 2 (float): device rec %.9g vs CPU %.9g (tolerance %.3g)",
                  s32.rec, c32.rec, tol);
    fprintf(stderr, "test stage2_train: rec %.6g, l1 %.4g, lambda %.4g; float vs double on the CPU %.3g; device vs "
                    "CPU (float) %.3g\n",
            c32.rec, c32.l1, c32.lambda, drift, fabs(s32.rec - c32.rec));
    free(codes);
    free(z32);
    free(z64);
    free(d32);
    free(d32b);
    free(d64);
}
END_TEST

/* ---- the flow's row sums (gpu/flow_kernels.cu) ------------------------ */

/* max over entries of |a - b| / (|a| + 1) and the count of entries that
 * differ in their bits. */
static double rel_diff(const double *a, const double *b, size_t n, size_t *ndiff)
{
    double worst = 0;
    *ndiff = 0;
    for (size_t i = 0; i < n; i++) {
        if (memcmp(&a[i], &b[i], sizeof(double)) != 0)
            (*ndiff)++;
        double e = fabs(a[i] - b[i]) / (fabs(a[i]) + 1);
        worst = isnan(e) ? INFINITY : fmax(worst, e);
    }
    return worst;
}

START_TEST(test_flow_sums)
{
    IDC_TEST_PRINT_SEED("flow_sums", g_seed);
    idc_err err = {{0}};
    idc_gpu_flow *g = idc_gpu_flow_new(0, &err);
    ck_assert_msg(g != NULL, "%s", err.msg);
    /* m, depth, J: the small kernel (m, J <= 8, depth <= 4) and the large one */
    static const size_t shapes[][3] = {{1, 1, 1}, {2, 2, 3}, {3, 3, 2}, {5, 2, 4}, {4, 4, 8}, {9, 2, 3}, {3, 6, 2},
                                       {2, 2, 12}};
    size_t n = g_small ? 700 : 5000, total = 0, exact = 0;
    double worst = 0, worst_lp = 0;
    for (size_t cs = 0; cs < sizeof shapes / sizeof *shapes; cs++) {
        size_t m = shapes[cs][0], t = shapes[cs][1], J = shapes[cs][2];
        uint32_t id = 900 + 10 * (uint32_t)cs;
        double *V = rnd(t * m * m, id, 1.0 / sqrt((double)m)), *c = rnd(t * m, id + 1, 0.3);
        double *mu = rnd(J * m, id + 2, 1.0), *A = rnd(J * m * m, id + 3, 0.3), *sp = rnd(t * m, id + 4, 1.0);
        double *ln = rnd(J, id + 5, 0.5), *x = rnd(n * m, id + 6, 1.5), *Si = dalloc(J * m * m);
        for (size_t j = 0; j < J; j++) /* Sinv = A A^T + I */
            for (size_t a = 0; a < m; a++)
                for (size_t b = 0; b < m; b++) {
                    double v = a == b ? 1.0 : 0.0;
                    for (size_t q = 0; q < m; q++)
                        v += A[j * m * m + a * m + q] * A[j * m * m + b * m + q];
                    Si[j * m * m + a * m + b] = v;
                }
        for (size_t i = 0; i < t * m; i++)
            sp[i] = 0.3 + fabs(sp[i]);
        for (size_t j = 0; j < J; j++)
            ln[j] -= 2.0;
        idc_flow_rowp p = {.m = m, .t = t, .J = J, .slope = 0.2, .logb = log(0.2), .logdet = 0.1, .V = V, .c = c,
                           .c_stride = m, .mu = mu, .mu_stride = m, .Sinv = Si, .lognorm = ln, .spread = sp};
        ck_assert_msg(idc_gpu_flow_rows(g, 2, x, n, m, &err) == IDC_OK, "%s", err.msg);
        size_t nb = (n + IDC_FLOW_BLOCK - 1) / IDC_FLOW_BLOCK, Q = idc_flow_row_rawsize(m, t, J);
        size_t S = idc_flow_row_statsize(m, t), nh = (t - 1) * m;
        double *dpart = dalloc(nb * Q), *cpart = dalloc(nb * Q), *dlp = dalloc(n), *clp = dalloc(n);
        double *scr = dalloc(idc_flow_row_scratch(m, t, J));
        for (int grad = 1; grad >= 0; grad--) {
            size_t q = grad ? Q : S;
            ck_assert_msg(idc_gpu_flow_sums(g, 2, &p, grad, 0.05, dpart, grad ? NULL : dlp, &err) == IDC_OK, "%s",
                          err.msg);
            memset(cpart, 0, nb * q * sizeof *cpart);
            for (size_t i = 0; i < n; i++) {
                double *acc = cpart + i / IDC_FLOW_BLOCK * q;
                if (grad)
                    idc_flow_row_backward(&p, acc, 1, x + i * m, 0.05, scr);
                else
                    clp[i] = idc_flow_row_stats(&p, acc, 1, x + i * m, scr);
            }
            size_t nd;
            double e = rel_diff(cpart, dpart, nb * q, &nd);
            total += nb * q;
            exact += nb * q - nd;
            worst = fmax(worst, e);
            ck_assert_msg(e <= 1e-12, "m %zu depth %zu J %zu grad %d: block sums differ by %.3g", m, t, J, grad, e);
            for (size_t b = 0; b < nb; b++) { /* the parts without exp/log: exact */
                ck_assert_msg(memcmp(&cpart[b * q + 1], &dpart[b * q + 1], sizeof(double)) == 0,
                              "m %zu depth %zu J %zu: block %zu counts %.17g negatives, the CPU %.17g", m, t, J, b,
                              dpart[b * q + 1], cpart[b * q + 1]);
                if (!grad)
                    ck_assert_msg(memcmp(&cpart[b * q + 2], &dpart[b * q + 2], 2 * nh * sizeof(double)) == 0,
                                  "m %zu depth %zu J %zu: block %zu pre-activation sums differ", m, t, J, b);
            }
            if (!grad) {
                double el = rel_diff(clp, dlp, n, &nd);
                worst_lp = fmax(worst_lp, el);
                ck_assert_msg(el <= 1e-13, "m %zu depth %zu J %zu: log p differs by %.3g", m, t, J, el);
            }
        }
        free(V), free(c), free(mu), free(A), free(sp), free(ln), free(x), free(Si);
        free(dpart), free(cpart), free(dlp), free(clp), free(scr);
    }
    printf("flow_sums: %zu of %zu block-sum entries bit-identical to the CPU's; largest difference %.3g "
           "(relative to |cpu| + 1), log p %.3g\n",
           exact, total, worst, worst_lp);
    idc_gpu_flow_free(g);
}
END_TEST

/* A flow (m 3, depth 2, J 3, random start) on the CPU and on the device from
 * the same rows and seed: loss and gradient at the start, then a fit. */
START_TEST(test_flow_fit)
{
    IDC_TEST_PRINT_SEED("flow_fit", g_seed);
    size_t m = 3, n = 2000, nv = 500, steps = g_small ? 20 : 200;
    double *x = rnd((n + nv) * m, 980, 1.0), *xv = x + n * m;
    for (size_t i = 0; i < n + nv; i++) /* a bend, so that the leaky units have work */
        x[i * m + 2] += 0.7 * fabs(x[i * m]) - 0.4 * x[i * m + 1];
    idc_flow_config c;
    idc_flow_config_default(&c, m);
    c.steps = steps;
    c.eval_every = 10;
    c.seed = g_seed;
    idc_err err = {{0}};
    idc_flow *f[3];
    for (int k = 0; k < 3; k++) { /* cpu, device, device again */
        c.device = k == 0 ? IDC_DEVICE_CPU : IDC_DEVICE_CUDA;
        f[k] = idc_flow_new(&c, x, n, NULL, &err);
        ck_assert_msg(f[k] != NULL, "%s", err.msg);
    }
    size_t np = idc_flow_nparams(f[0]);
    double *th[3], *gr[3], lo[3];
    for (int k = 0; k < 3; k++) {
        th[k] = dalloc(np);
        gr[k] = dalloc(np);
        idc_flow_get_params(f[k], th[k]);
    }
    /* the start comes from EM on the codes, the same on both: the rows' sums
     * enter it only through the spreads, so compare to rounding */
    double gn = 0, dn = 0, tn = 0, dt = 0;
    for (size_t i = 0; i < np; i++) {
        tn += th[0][i] * th[0][i];
        dt += (th[1][i] - th[0][i]) * (th[1][i] - th[0][i]);
    }
    ck_assert_msg(sqrt(dt) <= 1e-12 * sqrt(tn), "start: parameters differ by %.3g", sqrt(dt / tn));
    idc_flow_set_params(f[1], th[0]);
    idc_flow_set_params(f[2], th[0]);
    for (int k = 0; k < 2; k++)
        lo[k] = idc_flow_loss(f[k], gr[k], x, n, 0.05);
    for (size_t i = 0; i < np; i++) {
        gn += gr[0][i] * gr[0][i];
        dn += (gr[1][i] - gr[0][i]) * (gr[1][i] - gr[0][i]);
    }
    ck_assert_msg(isfinite(lo[0]) && fabs(lo[1] - lo[0]) <= 1e-12 * fabs(lo[0]), "loss %.17g vs cpu %.17g", lo[1],
                  lo[0]);
    ck_assert_msg(sqrt(dn) <= 1e-12 * sqrt(gn), "gradient differs by %.3g (norm-wise)", sqrt(dn / gn));
    printf("flow_fit: start loss %s, gradient %s (relative %.3g)\n",
           memcmp(&lo[0], &lo[1], sizeof(double)) == 0 ? "bit-identical" : "differs",
           memcmp(gr[0], gr[1], np * sizeof(double)) == 0 ? "bit-identical" : "differs", sqrt(dn / gn));
    idc_flow_fit_result r[3];
    for (int k = 0; k < 3; k++) {
        ck_assert_msg(idc_flow_fit(f[k], &r[k], x, n, xv, nv, &err) == IDC_OK, "%s", err.msg);
        idc_flow_get_params(f[k], th[k]);
    }
    ck_assert_msg(memcmp(th[1], th[2], np * sizeof(double)) == 0 &&
                      memcmp(&r[1].val_nll, &r[2].val_nll, sizeof(double)) == 0,
                  "two device fits from one start differ");
    dt = 0;
    tn = 0;
    for (size_t i = 0; i < np; i++) {
        tn += th[0][i] * th[0][i];
        dt += (th[1][i] - th[0][i]) * (th[1][i] - th[0][i]);
    }
    ck_assert_msg(r[0].val_nll < r[0].init_val_nll, "the CPU fit did not improve: %.17g from %.17g", r[0].val_nll,
                  r[0].init_val_nll);
    ck_assert_msg(sqrt(dt) <= 1e-6 * sqrt(tn), "%zu steps: parameters differ by %.3g", steps, sqrt(dt / tn));
    ck_assert_msg(fabs(r[1].val_nll - r[0].val_nll) <= 1e-9 * (fabs(r[0].val_nll) + 1),
                  "validation NLL %.17g vs cpu %.17g", r[1].val_nll, r[0].val_nll);
    printf("flow_fit: %zu steps, parameters %s (relative %.3g), validation NLL %.17g (cpu %.17g)\n", steps,
           memcmp(th[0], th[1], np * sizeof(double)) == 0 ? "bit-identical to the CPU's" : "differ from the CPU's",
           sqrt(dt / tn), r[1].val_nll, r[0].val_nll);
    for (int k = 0; k < 3; k++) {
        idc_flow_fit_result_clear(&r[k]);
        idc_flow_free(f[k]);
        free(th[k]);
        free(gr[k]);
    }
    free(x);
}
END_TEST

/* Writes "<device count> <device name or reason>" to fd. */
static void probe(int fd)
{
    idc_err why = {{0}};
    char line[IDC_ERR_LEN + 300];
    int n = idc_gpu_device_count(&why);
    const idc_backend *be = n > 0 ? idc_backend_cuda(IDC_DTYPE_F32, &why) : NULL;
    if (be != NULL)
        snprintf(line, sizeof line, "%d %s (backend %.200s)", n, idc_gpu_device_name(be), idc_gpu_library_path());
    else
        snprintf(line, sizeof line, "0 %s", why.msg);
    ssize_t w = write(fd, line, strlen(line));
    (void)w;
}

/* Probes for a device. Under Check's fork mode the probe runs in a child
 * process: a CUDA context does not survive fork(), so the parent, which
 * forks every test, must never initialise CUDA. */
static int device_present(char *msg, size_t len)
{
    int fd[2];
    const char *ck = getenv("CK_FORK");
    if ((ck != NULL && strcmp(ck, "no") == 0) || pipe(fd) != 0) {
        FILE *f = tmpfile();
        if (f == NULL)
            return 0;
        probe(fileno(f));
        rewind(f);
        size_t k = fread(msg, 1, len - 1, f);
        msg[k] = '\0';
        fclose(f);
    } else {
        pid_t pid = fork();
        if (pid == 0) {
            close(fd[0]);
            probe(fd[1]);
            _exit(0);
        }
        close(fd[1]);
        size_t k = 0;
        ssize_t r;
        while (k + 1 < len && (r = read(fd[0], msg + k, len - 1 - k)) > 0)
            k += (size_t)r;
        msg[k] = '\0';
        close(fd[0]);
        if (pid > 0)
            waitpid(pid, NULL, 0);
    }
    int n = atoi(msg);
    char *sp = strchr(msg, ' ');
    if (sp != NULL)
        memmove(msg, sp + 1, strlen(sp + 1) + 1);
    return n > 0;
}

int main(void)
{
    g_seed = idc_test_seed(DEFAULT_SEED);
    const char *fake = getenv("IDC_GPU_TEST_FAKE");
    g_fake = fake != NULL && strcmp(fake, "1") == 0;
    const char *small = getenv("IDC_GPU_TEST_SMALL");
    g_small = small != NULL && strcmp(small, "1") == 0;
    char msg[IDC_ERR_LEN + 300] = "";
    if (!g_fake && !device_present(msg, sizeof msg)) {
        /* a build with CUDA whose backend library cannot be loaded is broken,
         * not a machine without a device */
        if (idc_gpu_built() && strncmp(msg, "CUDA backend", 12) == 0) {
            printf("FAILED: %s\n", msg);
            return 1;
        }
        printf("SKIPPED: no CUDA device (%s)\n", msg[0] != '\0' ? msg : "probe failed");
        return 0;
    }
    if (g_fake) {
        printf("IDC_GPU_TEST_FAKE=1: the CPU backend stands in for the device\n");
        const char *lib = getenv("IDCHECK_CUDA_LIB");
        if (lib == NULL || lib[0] == '\0') { /* the flow tests: the stand-in beside this program */
            char self[4096];
            ssize_t k = readlink("/proc/self/exe", self, sizeof self - 32);
            self[k > 0 ? k : 0] = '\0';
            char *slash = strrchr(self, '/');
            if (slash != NULL) {
                strcpy(slash, "/fake-plugin.so");
                setenv("IDCHECK_CUDA_LIB", self, 1);
            }
        }
    }
    else
        printf("device: %s\n", msg);
    Suite *s = suite_create("cuda_backend");
    const idc_test_case cases[] = {
        {"transfers", test_transfers},
        {"gather_bias_leaky", test_gather_bias_leaky},
        {"gemm", test_gemm},
        {"reductions_bn", test_reductions_bn},
        {"sqerr_adam", test_sqerr_adam},
        {"device_loop_fields", test_device_loop_fields},
        {"error_path", test_error_path},
        {"stage1_train", test_stage1_train},
        {"stage2_train", test_stage2_train},
        {"flow_sums", test_flow_sums},
        {"flow_fit", test_flow_fit},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof *cases, 300.0);
    int nf = idc_test_run(s);
    idc_gpu_shutdown(); /* so that a leak check sees every buffer freed */
    return nf;
}
