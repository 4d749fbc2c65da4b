/* Tests of the training engine (models/engine/engine.h): gradients of every layer
 * and loss against central finite differences (in the double instantiation
 * of the same kernels), float against double, a naive reference forward
 * pass, Adam against hand-computed updates, batch-norm running statistics,
 * the initialisation scheme, JSON round trips and every error path. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "models/engine/engine.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

#define DEFAULT_SEED 0x5eed0e461eULL

static uint64_t g_seed;

/* Test data: normal draws of a stream private to each test (trial = id). */
static void fill_normal(double *v, size_t n, uint32_t id, uint64_t k0, double scale)
{
    idc_rng s = idc_rng_stream(g_seed, id, IDC_PURPOSE_GENERATOR);
    for (size_t i = 0; i < n; i++)
        v[i] = scale * idc_rng_normal(s, k0 + i);
}

static double *dalloc(size_t n)
{
    double *p = calloc(n == 0 ? 1 : n, sizeof(double));
    ck_assert_ptr_nonnull(p);
    return p;
}

static idc_mlp *new_net(idc_dtype dt, size_t in, const idc_mlp_layer *spec, size_t nl,
                        size_t rows)
{
    idc_err err = {{0}};
    idc_mlp *m = idc_mlp_new(idc_backend_cpu(dt), in, spec, nl, rows, &err);
    ck_assert_msg(m != NULL, "idc_mlp_new: %s", err.msg);
    return m;
}

/* ---------------------------------------------------------------------- */
/* A finite-difference gradient checker                                     */

typedef double (*loss_fn)(void *ctx, const double *theta);
typedef void (*grad_fn)(void *ctx, const double *theta, double *grad);

/* Whether some step h in {1e-4, 1e-5, 1e-6} x max(1, |theta_i|) gives a
 * central difference within 1e-6 (|fd| + |g|) + 1e-8 of g. A wrong
 * gradient fails at every step; a leaky-ReLU kink within one step of the
 * point spoils the larger steps only. theta is restored. */
static int coord_ok(loss_fn f, void *ctx, double *theta, double g, size_t i)
{
    static const double steps[] = {1e-4, 1e-5, 1e-6};
    double t0 = theta[i];
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        double h = steps[k] * (fabs(t0) > 1.0 ? fabs(t0) : 1.0);
        theta[i] = t0 + h;
        double fp = f(ctx, theta);
        theta[i] = t0 - h;
        double fm = f(ctx, theta);
        theta[i] = t0;
        double fd = (fp - fm) / (2.0 * h);
        if (fabs(fd - g) <= 1e-6 * (fabs(fd) + fabs(g)) + 1e-8)
            return 1;
    }
    return 0;
}

/* Checks the coordinates which[0..nw) of the gradient gf against f at
 * theta0 (n coordinates). A coordinate that fails is checked again at a
 * nudged point theta0 + 1e-3 max(1, |theta0|) u (u standard normal), which
 * moves any nearby kink away; it counts as wrong only when it fails at both
 * points, as every coordinate of a wrong formula does. Returns the number of
 * wrong coordinates and the first in *first_bad. */
static size_t gradcheck(loss_fn f, grad_fn gf, void *ctx, const double *theta0, size_t n,
                        const size_t *which, size_t nw, size_t *first_bad)
{
    double *theta = dalloc(n), *g = dalloc(n);
    size_t *bad = calloc(nw == 0 ? 1 : nw, sizeof(size_t)), nbad = 0;
    ck_assert_ptr_nonnull(bad);
    memcpy(theta, theta0, n * sizeof(double));
    gf(ctx, theta, g);
    for (size_t w = 0; w < nw; w++)
        if (!coord_ok(f, ctx, theta, g[which[w]], which[w]))
            bad[nbad++] = which[w];
    size_t wrong = 0;
    if (nbad > 0) {
        idc_rng s = idc_rng_stream(g_seed, 0xfffe, IDC_PURPOSE_SEARCH);
        for (size_t i = 0; i < n; i++) {
            double scale = fabs(theta0[i]) > 1.0 ? fabs(theta0[i]) : 1.0;
            theta[i] = theta0[i] + 1e-3 * scale * idc_rng_normal(s, i);
        }
        gf(ctx, theta, g);
        for (size_t w = 0; w < nbad; w++)
            if (!coord_ok(f, ctx, theta, g[bad[w]], bad[w]) && wrong++ == 0 && first_bad != NULL)
                *first_bad = bad[w];
    }
    free(bad);
    free(theta);
    free(g);
    return wrong;
}

/* Checks every coordinate 0..n-1. */
static size_t gradcheck_all(loss_fn f, grad_fn gf, void *ctx, const double *theta, size_t n,
                            size_t *first_bad)
{
    size_t *which = calloc(n, sizeof(size_t));
    ck_assert_ptr_nonnull(which);
    for (size_t i = 0; i < n; i++)
        which[i] = i;
    size_t bad = gradcheck(f, gf, ctx, theta, n, which, n, first_bad);
    free(which);
    return bad;
}

/* L(theta) = sum r . net(x) with theta = (params, x): the network in train
 * mode, r a fixed random projection of the output. */
typedef struct {
    idc_mlp *m;
    size_t rows, np, nx, ny;
    double *r;   /* ny */
    void *xbuf;  /* backend copy of x */
    double *out; /* ny */
    /* Deliberate errors, for the tests of the checker itself. */
    size_t wrong_entry; /* when < np + nx: this entry is off by 0.1 % */
    int wrong_bn;       /* a single batch-norm layer: dx without batch terms */
} net_ctx;

static double net_loss(void *vctx, const double *theta)
{
    net_ctx *c = vctx;
    const idc_backend *be = idc_mlp_backend(c->m);
    idc_mlp_set_params(c->m, theta);
    be->set_d(be, c->xbuf, theta + c->np, c->nx);
    ck_assert_int_eq(idc_mlp_forward(c->m, c->xbuf, c->rows, 1, NULL), IDC_OK);
    be->get_d(be, c->out, idc_mlp_output(c->m), c->ny);
    double s = 0.0;
    for (size_t i = 0; i < c->ny; i++)
        s += c->r[i] * c->out[i];
    return s;
}

/* dx = gamma / sqrt(var + eps) dy for a single batch-norm layer: the
 * gradient with the batch statistics held fixed, which is wrong. */
static void wrong_bn_dx(const net_ctx *c, const double *theta, double *dx)
{
    size_t rows = c->rows, cols = idc_mlp_in_dim(c->m);
    const double *x = theta + c->np;
    double eps = idc_mlp_layer_spec(c->m, 0)->eps;
    for (size_t j = 0; j < cols; j++) {
        double mean = 0.0, var = 0.0;
        for (size_t r = 0; r < rows; r++)
            mean += x[r * cols + j] / (double)rows;
        for (size_t r = 0; r < rows; r++)
            var += (x[r * cols + j] - mean) * (x[r * cols + j] - mean) / (double)rows;
        for (size_t r = 0; r < rows; r++)
            dx[r * cols + j] = theta[j] / sqrt(var + eps) * c->r[r * cols + j];
    }
}

/* The analytic gradient of net_loss at theta: (dL/dparams, dL/dx). */
static void net_grad(void *vctx, const double *theta, double *grad)
{
    net_ctx *c = vctx;
    const idc_backend *be = idc_mlp_backend(c->m);
    net_loss(c, theta);
    void *dy = be->alloc(be, c->ny), *dx = be->alloc(be, c->nx);
    ck_assert(dy != NULL && dx != NULL);
    be->set_d(be, dy, c->r, c->ny);
    ck_assert_int_eq(idc_mlp_backward(c->m, dx, dy, c->rows, NULL), IDC_OK);
    idc_mlp_get_grads(c->m, grad);
    be->get_d(be, grad + c->np, dx, c->nx);
    be->release(be, dy);
    be->release(be, dx);
    if (c->wrong_entry < c->np + c->nx)
        grad[c->wrong_entry] += 1e-3 * (fabs(grad[c->wrong_entry]) + 1e-3);
    if (c->wrong_bn)
        wrong_bn_dx(c, theta, grad + c->np);
}

static void net_ctx_init(net_ctx *c, idc_mlp *m, size_t rows, uint32_t id)
{
    const idc_backend *be = idc_mlp_backend(m);
    c->m = m;
    c->rows = rows;
    c->np = idc_mlp_nparams(m);
    c->nx = rows * idc_mlp_in_dim(m);
    c->ny = rows * idc_mlp_out_dim(m);
    c->r = dalloc(c->ny);
    c->out = dalloc(c->ny);
    fill_normal(c->r, c->ny, id, 1000000, 1.0);
    c->xbuf = be->alloc(be, c->nx);
    ck_assert_ptr_nonnull(c->xbuf);
    c->wrong_entry = SIZE_MAX;
    c->wrong_bn = 0;
}

static void net_ctx_clear(net_ctx *c)
{
    const idc_backend *be = idc_mlp_backend(c->m);
    be->release(be, c->xbuf);
    free(c->r);
    free(c->out);
}

/* A random point: weights N(0, 0.5^2), batch-norm gamma 1 + N(0, 0.3^2) and
 * beta N(0, 0.5^2), inputs N(0, 1). */
static double *random_theta(const net_ctx *c, uint32_t id)
{
    double *theta = dalloc(c->np + c->nx);
    fill_normal(theta, c->np, id, 0, 0.5);
    for (size_t l = 0; l < idc_mlp_nlayers(c->m); l++)
        if (idc_mlp_layer_spec(c->m, l)->kind == IDC_MLP_BATCHNORM) {
            size_t off, cnt;
            idc_mlp_param_range(c->m, l, &off, &cnt);
            for (size_t j = 0; j < cnt / 2; j++)
                theta[off + j] = 1.0 + 0.6 * theta[off + j];
        }
    fill_normal(theta + c->np, c->nx, id, 500000, 1.0);
    return theta;
}

/* Runs the full gradient check of a network and fails with a replay line. */
static void check_net_gradient(const char *name, const idc_mlp_layer *spec, size_t nl,
                               size_t in, size_t rows, uint32_t id)
{
    idc_mlp *m = new_net(IDC_DTYPE_F64, in, spec, nl, rows);
    net_ctx c;
    net_ctx_init(&c, m, rows, id);
    double *theta = random_theta(&c, id);
    size_t first = 0;
    size_t bad = gradcheck_all(net_loss, net_grad, &c, theta, c.np + c.nx, &first);
    if (bad != 0)
        IDC_TEST_FAIL_REPLAY(name, g_seed, "%zu of %zu coordinates wrong, first %zu (np %zu)", bad,
                             c.np + c.nx, first, c.np);
    free(theta);
    net_ctx_clear(&c);
    idc_mlp_free(m);
}

START_TEST(test_grad_dense)
{
    idc_mlp_layer spec[] = {idc_mlp_dense(5)};
    check_net_gradient("grad_dense", spec, 1, 4, 6, 1);
}
END_TEST

START_TEST(test_grad_leaky)
{
    idc_mlp_layer first[] = {idc_mlp_leaky(0.3)};
    check_net_gradient("grad_leaky", first, 1, 7, 5, 2);
    /* In place after a dense layer, twice in a row, ReLU and identity. */
    idc_mlp_layer chain[] = {idc_mlp_dense(6), idc_mlp_leaky(0.1), idc_mlp_leaky(0.0),
                             idc_mlp_dense(4), idc_mlp_leaky(1.0)};
    check_net_gradient("grad_leaky", chain, 5, 3, 5, 3);
}
END_TEST

START_TEST(test_grad_batchnorm)
{
    idc_mlp_layer spec[] = {idc_mlp_batchnorm(1e-5, 0.1)};
    check_net_gradient("grad_batchnorm", spec, 1, 4, 7, 4);
    /* More than one block of 256 columns of the double accumulators. */
    idc_mlp_layer wide[] = {idc_mlp_batchnorm(1e-3, 0.5)};
    check_net_gradient("grad_batchnorm", wide, 1, 260, 3, 5);
}
END_TEST

START_TEST(test_grad_composite)
{
    idc_mlp_layer spec[] = {idc_mlp_dense(6),  idc_mlp_leaky(0.1),
                            idc_mlp_dense(5),  idc_mlp_batchnorm(1e-5, 0.1),
                            idc_mlp_leaky(0.02), idc_mlp_dense(3),
                            idc_mlp_batchnorm(1e-5, 0.1)};
    check_net_gradient("grad_composite", spec, 7, 4, 8, 6);
}
END_TEST

/* Loss checks: theta = yhat. */
typedef struct {
    const idc_backend *be;
    size_t rows, cols;
    int code; /* 0: mse against y, 1: code penalty */
    double weight;
    void *a, *b, *g; /* yhat, y, gradient */
} loss_ctx;

static double loss_eval(void *vctx, const double *theta)
{
    loss_ctx *c = vctx;
    c->be->set_d(c->be, c->a, theta, c->rows * c->cols);
    if (c->code)
        return idc_mlp_loss_code(c->be, NULL, c->a, c->rows, c->cols, c->weight, 0);
    return idc_mlp_loss_mse(c->be, NULL, c->a, c->b, c->rows, c->cols, c->weight, 0);
}

static void loss_grad(void *vctx, const double *theta, double *grad)
{
    loss_ctx *c = vctx;
    size_t n = c->rows * c->cols;
    c->be->set_d(c->be, c->a, theta, n);
    if (c->code)
        idc_mlp_loss_code(c->be, c->g, c->a, c->rows, c->cols, c->weight, 0);
    else
        idc_mlp_loss_mse(c->be, c->g, c->a, c->b, c->rows, c->cols, c->weight, 0);
    c->be->get_d(c->be, grad, c->g, n);
}

static void check_loss(const char *name, int code, uint32_t id)
{
    const idc_backend *be = idc_backend_cpu(IDC_DTYPE_F64);
    loss_ctx c = {be, 5, 3, code, code ? 0.7 : 1.3, NULL, NULL, NULL};
    size_t n = c.rows * c.cols;
    c.a = be->alloc(be, n);
    c.b = be->alloc(be, n);
    c.g = be->alloc(be, n);
    double *yhat = dalloc(n), *y = dalloc(n), *grad = dalloc(n), *pre = dalloc(n);
    fill_normal(yhat, n, id, 0, 1.0);
    fill_normal(y, n, id, 1000, 1.0);
    fill_normal(pre, n, id, 2000, 1.0);
    be->set_d(be, c.b, y, n);

    /* Value against the definition. */
    double want = 0.0;
    for (size_t i = 0; i < n; i++)
        want += code ? 0.5 * yhat[i] * yhat[i] : (yhat[i] - y[i]) * (yhat[i] - y[i]);
    want *= code ? c.weight / (double)c.rows : c.weight / (double)n;
    double got = loss_eval(&c, yhat);
    ck_assert_msg(fabs(got - want) <= 1e-14 * fabs(want), "%s: value %.17g, want %.17g", name,
                  got, want);
    size_t first = 0;
    size_t bad = gradcheck_all(loss_eval, loss_grad, &c, yhat, n, &first);
    if (bad != 0)
        IDC_TEST_FAIL_REPLAY(name, g_seed, "%zu gradient entries wrong, first %zu", bad, first);

    /* accumulate != 0 adds to what the buffer holds. */
    loss_grad(&c, yhat, grad);
    be->set_d(be, c.g, pre, n);
    if (code)
        idc_mlp_loss_code(be, c.g, c.a, c.rows, c.cols, c.weight, 1);
    else
        idc_mlp_loss_mse(be, c.g, c.a, c.b, c.rows, c.cols, c.weight, 1);
    double *acc = dalloc(n);
    be->get_d(be, acc, c.g, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabs(acc[i] - (pre[i] + grad[i])) <= 1e-15 * (1 + fabs(acc[i])),
                      "%s: accumulate", name);
    free(acc);
    free(yhat);
    free(y);
    free(grad);
    free(pre);
    be->release(be, c.a);
    be->release(be, c.b);
    be->release(be, c.g);
}

START_TEST(test_grad_mse)
{
    check_loss("grad_mse", 0, 7);
}
END_TEST

START_TEST(test_grad_code)
{
    check_loss("grad_code", 1, 8);
}
END_TEST

/* The checker can fail: a gradient entry off by 0.1 %, and a batch-norm
 * input gradient that ignores the dependence of the batch statistics on x,
 * are both detected. */
START_TEST(test_gradcheck_detects_errors)
{
    idc_mlp_layer spec[] = {idc_mlp_dense(5), idc_mlp_leaky(0.1), idc_mlp_dense(3),
                            idc_mlp_batchnorm(1e-5, 0.1)};
    idc_mlp *m = new_net(IDC_DTYPE_F64, 4, spec, 4, 6);
    net_ctx c;
    net_ctx_init(&c, m, 6, 9);
    double *theta = random_theta(&c, 9);
    size_t n = c.np + c.nx, first = 0;
    ck_assert_uint_eq(gradcheck_all(net_loss, net_grad, &c, theta, n, NULL), 0);
    c.wrong_entry = 7;
    ck_assert_uint_eq(gradcheck_all(net_loss, net_grad, &c, theta, n, &first), 1);
    ck_assert_uint_eq(first, 7);
    c.wrong_entry = n - 1; /* an input entry */
    ck_assert_uint_eq(gradcheck_all(net_loss, net_grad, &c, theta, n, &first), 1);
    ck_assert_uint_eq(first, n - 1);

    size_t rows = 6, cols = 3, nx = rows * cols;
    idc_mlp_layer bn[] = {idc_mlp_batchnorm(1e-5, 0.1)};
    idc_mlp *mb = new_net(IDC_DTYPE_F64, cols, bn, 1, rows);
    net_ctx cb;
    net_ctx_init(&cb, mb, rows, 10);
    double *tb = random_theta(&cb, 10);
    ck_assert_uint_eq(gradcheck_all(net_loss, net_grad, &cb, tb, cb.np + nx, NULL), 0);
    cb.wrong_bn = 1;
    size_t wrong = gradcheck_all(net_loss, net_grad, &cb, tb, cb.np + nx, NULL);
    ck_assert_msg(wrong >= nx / 2, "wrong batch-norm gradient passed (%zu of %zu flagged)", wrong,
                  nx);
    free(tb);
    net_ctx_clear(&cb);
    idc_mlp_free(mb);
    free(theta);
    net_ctx_clear(&c);
    idc_mlp_free(m);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Forward pass against a naive reference, float against double            */

/* Naive double forward of a network on host arrays (train-mode batch norm
 * when train, else with the given state). */
static void ref_forward(double *y, const idc_mlp *m, const double *p, const double *st,
                        const double *x, size_t rows, int train)
{
    size_t maxw = idc_mlp_in_dim(m);
    for (size_t l = 0; l < idc_mlp_nlayers(m); l++)
        if (idc_mlp_layer_spec(m, l)->width > maxw)
            maxw = idc_mlp_layer_spec(m, l)->width;
    double *a = dalloc(rows * maxw), *b = dalloc(rows * maxw);
    size_t w = idc_mlp_in_dim(m);
    memcpy(a, x, rows * w * sizeof(double));
    for (size_t l = 0; l < idc_mlp_nlayers(m); l++) {
        const idc_mlp_layer *s = idc_mlp_layer_spec(m, l);
        size_t po, pc, so, sc;
        idc_mlp_param_range(m, l, &po, &pc);
        idc_mlp_state_range(m, l, &so, &sc);
        if (s->kind == IDC_MLP_DENSE) {
            const double *W = p + po, *bias = p + po + s->width * w;
            for (size_t r = 0; r < rows; r++)
                for (size_t o = 0; o < s->width; o++) {
                    double acc = bias[o];
                    for (size_t i = 0; i < w; i++)
                        acc += W[o * w + i] * a[r * w + i];
                    b[r * s->width + o] = acc;
                }
            w = s->width;
        } else if (s->kind == IDC_MLP_LEAKY) {
            for (size_t i = 0; i < rows * w; i++)
                b[i] = a[i] > 0 ? a[i] : s->slope * a[i];
        } else {
            for (size_t j = 0; j < w; j++) {
                double mu = 0.0, var = 0.0;
                if (train) {
                    for (size_t r = 0; r < rows; r++)
                        mu += a[r * w + j] / (double)rows;
                    for (size_t r = 0; r < rows; r++)
                        var += (a[r * w + j] - mu) * (a[r * w + j] - mu) / (double)rows;
                } else {
                    mu = st[so + j];
                    var = st[so + w + j];
                }
                for (size_t r = 0; r < rows; r++)
                    b[r * w + j] = p[po + j] * (a[r * w + j] - mu) / sqrt(var + s->eps) +
                                   p[po + w + j];
            }
        }
        double *t = a;
        a = b;
        b = t;
    }
    memcpy(y, a, rows * w * sizeof(double));
    free(a);
    free(b);
}

static double max_abs(const double *v, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(v[i]) > m)
            m = fabs(v[i]);
    return m;
}

static double max_diff(const double *a, const double *b, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(a[i] - b[i]) > m)
            m = fabs(a[i] - b[i]);
    return m;
}

START_TEST(test_forward_reference_and_float)
{
    idc_mlp_layer spec[] = {idc_mlp_dense(7),    idc_mlp_leaky(0.2),
                            idc_mlp_dense(300),  idc_mlp_leaky(0.02),
                            idc_mlp_batchnorm(1e-5, 0.1), idc_mlp_dense(4),
                            idc_mlp_batchnorm(1e-5, 0.1)};
    size_t nl = 7, in = 5, rows = 9;
    idc_mlp *md = new_net(IDC_DTYPE_F64, in, spec, nl, rows);
    idc_mlp *mf = new_net(IDC_DTYPE_F32, in, spec, nl, rows);
    net_ctx cd, cf;
    net_ctx_init(&cd, md, rows, 11);
    net_ctx_init(&cf, mf, rows, 11);
    double *theta = random_theta(&cd, 11);
    size_t n = cd.np + cd.nx;
    for (size_t i = 0; i < n; i++)
        theta[i] = (double)(float)theta[i]; /* the same point in both types */
    size_t ny = cd.ny;
    double *yref = dalloc(ny);
    ref_forward(yref, md, theta, NULL, theta + cd.np, rows, 1);
    net_loss(&cd, theta);
    net_loss(&cf, theta);
    double scale = max_abs(yref, ny);
    ck_assert_msg(max_diff(cd.out, yref, ny) <= 1e-12 * scale, "double forward vs reference");
    ck_assert_msg(max_diff(cf.out, yref, ny) <= 1e-4 * scale, "float forward vs reference: %g",
                  max_diff(cf.out, yref, ny) / scale);

    double *gd = dalloc(n), *gf = dalloc(n);
    net_grad(&cd, theta, gd);
    net_grad(&cf, theta, gf);
    double gs = max_abs(gd, n);
    ck_assert_msg(max_diff(gd, gf, n) <= 1e-3 * gs, "float vs double gradient: %g",
                  max_diff(gd, gf, n) / gs);
    free(gd);
    free(gf);
    free(yref);
    free(theta);
    net_ctx_clear(&cd);
    net_ctx_clear(&cf);
    idc_mlp_free(md);
    idc_mlp_free(mf);
}
END_TEST

START_TEST(test_gemm_and_reductions)
{
    for (int dt = 0; dt < 2; dt++) {
        const idc_backend *be = idc_backend_cpu((idc_dtype)dt);
        double tol = dt == IDC_DTYPE_F64 ? 1e-13 : 1e-5;
        size_t M = 5, N = 4, K = 3;
        double A[15], B[12], C[20], ref[20], got[20];
        fill_normal(A, 15, 12, 0, 1.0);
        fill_normal(B, 12, 12, 100, 1.0);
        fill_normal(C, 20, 12, 200, 1.0);
        void *a = be->alloc(be, 15), *b = be->alloc(be, 12), *c = be->alloc(be, 20);
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                /* op(A) is M x K, op(B) is K x N. */
                for (size_t i = 0; i < M; i++)
                    for (size_t j = 0; j < N; j++) {
                        double acc = 0.0;
                        for (size_t k = 0; k < K; k++) {
                            double av = ta ? A[k * M + i] : A[i * K + k];
                            double bv = tb ? B[j * K + k] : B[k * N + j];
                            acc += av * bv;
                        }
                        ref[i * N + j] = 0.5 * acc - 2.0 * C[i * N + j];
                    }
                be->set_d(be, a, A, 15);
                be->set_d(be, b, B, 12);
                be->set_d(be, c, C, 20);
                be->gemm(be, ta, tb, M, N, K, 0.5, a, ta ? M : K, b, tb ? K : N, -2.0, c, N);
                be->get_d(be, got, c, 20);
                ck_assert_msg(max_diff(got, ref, 20) <= tol * 4, "gemm %s ta=%d tb=%d", be->name,
                              ta, tb);
            }
        be->release(be, a);
        be->release(be, b);
        be->release(be, c);

        /* sum_rows across a block boundary of the accumulators. */
        size_t rows = 3, cols = 600;
        double *y = dalloc(rows * cols), *s = dalloc(cols);
        fill_normal(y, rows * cols, 13, 0, 1.0);
        void *yb = be->alloc(be, rows * cols), *sb = be->alloc(be, cols);
        be->set_d(be, yb, y, rows * cols);
        be->sum_rows(be, sb, yb, rows, cols);
        be->get_d(be, s, sb, cols);
        for (size_t j = 0; j < cols; j++) {
            double want = 0.0;
            for (size_t r = 0; r < rows; r++)
                want += dt == IDC_DTYPE_F64 ? y[r * cols + j] : (double)(float)y[r * cols + j];
            ck_assert_msg(fabs(s[j] - want) <= tol * 4, "sum_rows %s col %zu", be->name, j);
        }
        be->release(be, yb);
        be->release(be, sb);
        free(y);
        free(s);
    }
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Batch norm: running statistics and eval mode                            */

START_TEST(test_batchnorm_running_stats)
{
    for (int dt = 0; dt < 2; dt++) {
        double tol = dt == IDC_DTYPE_F64 ? 1e-13 : 1e-5;
        size_t rows = 6, cols = 3;
        double mom = 0.25, eps = 1e-3;
        idc_mlp_layer spec[] = {idc_mlp_batchnorm(eps, mom)};
        idc_mlp *m = new_net((idc_dtype)dt, cols, spec, 1, rows);
        const idc_backend *be = idc_mlp_backend(m);
        double p[6] = {1.5, -0.5, 2.0, 0.1, 0.2, -0.3}; /* gamma, beta */
        double st0[6] = {0.3, -0.2, 0.0, 2.0, 0.5, 1.0}; /* running mean, var */
        idc_mlp_set_params(m, p);
        idc_mlp_set_state(m, st0);
        double x[18];
        fill_normal(x, 18, 14, 0, 2.0);
        for (size_t i = 0; i < 18; i++)
            x[i] = (double)(float)x[i];
        void *xb = be->alloc(be, 18);
        be->set_d(be, xb, x, 18);

        /* Eval mode uses the running statistics, row by row. */
        double y[18], yref[18];
        ck_assert_int_eq(idc_mlp_forward(m, xb, rows, 0, NULL), IDC_OK);
        be->get_d(be, y, idc_mlp_output(m), 18);
        for (size_t r = 0; r < rows; r++)
            for (size_t j = 0; j < cols; j++)
                yref[r * cols + j] =
                    p[j] * (x[r * cols + j] - st0[j]) / sqrt(st0[cols + j] + eps) + p[cols + j];
        ck_assert_msg(max_diff(y, yref, 18) <= tol * 10, "eval mode %s", be->name);
        /* ... and does not touch them; one row alone gives the same row. */
        double st[6];
        idc_mlp_get_state(m, st);
        ck_assert_msg(max_diff(st, st0, 6) <= tol, "eval changed the state");
        ck_assert_int_eq(idc_mlp_forward(m, (char *)xb + 2 * cols * idc_dtype_size(be->dtype), 1,
                                         0, NULL),
                         IDC_OK);
        double y1[3];
        be->get_d(be, y1, idc_mlp_output(m), 3);
        ck_assert(memcmp(y1, y + 2 * cols, sizeof y1) == 0);

        /* Train mode: batch statistics, and the running update with the
         * unbiased variance. */
        ck_assert_int_eq(idc_mlp_forward(m, xb, rows, 1, NULL), IDC_OK);
        be->get_d(be, y, idc_mlp_output(m), 18);
        idc_mlp_get_state(m, st);
        for (size_t j = 0; j < cols; j++) {
            double mu = 0.0, var = 0.0;
            for (size_t r = 0; r < rows; r++)
                mu += x[r * cols + j] / (double)rows;
            for (size_t r = 0; r < rows; r++)
                var += (x[r * cols + j] - mu) * (x[r * cols + j] - mu);
            double vb = var / (double)rows, vu = var / (double)(rows - 1);
            for (size_t r = 0; r < rows; r++)
                yref[r * cols + j] = p[j] * (x[r * cols + j] - mu) / sqrt(vb + eps) + p[cols + j];
            ck_assert(fabs(st[j] - ((1 - mom) * st0[j] + mom * mu)) <= tol * 10);
            ck_assert(fabs(st[cols + j] - ((1 - mom) * st0[cols + j] + mom * vu)) <= tol * 10);
        }
        ck_assert_msg(max_diff(y, yref, 18) <= tol * 10, "train mode %s", be->name);
        be->release(be, xb);
        idc_mlp_free(m);
    }
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Adam                                                                    */

START_TEST(test_adam_hand_computed)
{
    /* Step 1 from zero moments: m = 0.1 g, v = 0.001 g^2, bc1 = 0.1,
     * bc2 = 0.001, so p1 = p0 - lr g / (|g| + eps):
     *   g = 0.1:  p1 = 1 - 0.01 * 0.1 / (0.1 + 1e-8)  = 0.990000000999999990...
     *   g = -0.3: p1 = -2 + 0.01 * 0.3 / (0.3 + 1e-8) = -1.990000000333333322...
     *   g = 0:    p1 = 0.5. */
    const idc_backend *be = idc_backend_cpu(IDC_DTYPE_F64);
    idc_adam_config c;
    idc_adam_config_default(&c);
    c.lr = 0.01;
    ck_assert(c.beta1 == 0.9 && c.beta2 == 0.999 && c.eps == 1e-8);
    idc_adam *a = idc_adam_new(be, 3, NULL);
    ck_assert_ptr_nonnull(a);
    double p0[3] = {1.0, -2.0, 0.5}, g1[3] = {0.1, -0.3, 0.0}, p[3];
    void *pb = be->alloc(be, 3), *gb = be->alloc(be, 3);
    be->set_d(be, pb, p0, 3);
    be->set_d(be, gb, g1, 3);
    idc_adam_step(a, &c, pb, gb);
    be->get_d(be, p, pb, 3);
    ck_assert_uint_eq(idc_adam_steps(a), 1);
    ck_assert_msg(fabs(p[0] - 0.99000000099999999) <= 1e-15, "p[0] = %.17g", p[0]);
    ck_assert_msg(fabs(p[1] - -1.9900000003333333) <= 1e-15, "p[1] = %.17g", p[1]);
    ck_assert(p[2] == 0.5);

    /* Step 2 against the textbook form (Kingma and Ba, Alg. 1). */
    double g2[3] = {-0.2, 0.05, 1.0}, p2[3];
    be->set_d(be, gb, g2, 3);
    idc_adam_step(a, &c, pb, gb);
    be->get_d(be, p2, pb, 3);
    for (int i = 0; i < 3; i++) {
        double m1 = 0.1 * g1[i], v1 = 0.001 * g1[i] * g1[i];
        double m2 = 0.9 * m1 + 0.1 * g2[i], v2 = 0.999 * v1 + 0.001 * g2[i] * g2[i];
        double mh = m2 / (1 - 0.81), vh = v2 / (1 - 0.999 * 0.999);
        double want = p[i] - 0.01 * mh / (sqrt(vh) + 1e-8);
        ck_assert_msg(fabs(p2[i] - want) <= 1e-14, "step 2 [%d]: %.17g vs %.17g", i, p2[i], want);
    }

    /* The float instantiation is the double one rounded per element. */
    const idc_backend *bf = idc_backend_cpu(IDC_DTYPE_F32);
    idc_adam *af = idc_adam_new(bf, 3, NULL);
    void *pf = bf->alloc(bf, 3), *gf = bf->alloc(bf, 3);
    bf->set_d(bf, pf, p0, 3);
    bf->set_d(bf, gf, g1, 3);
    idc_adam_step(af, &c, pf, gf);
    double q[3];
    bf->get_d(bf, q, pf, 3);
    for (int i = 0; i < 3; i++)
        ck_assert(q[i] == (double)(float)p[i]);
    bf->release(bf, pf);
    bf->release(bf, gf);
    idc_adam_free(af);
    be->release(be, pb);
    be->release(be, gb);
    idc_adam_free(a);
    idc_adam_free(NULL);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Initialisation                                                          */

START_TEST(test_init_scheme)
{
    idc_mlp_layer spec[] = {idc_mlp_dense(6), idc_mlp_leaky(0.02), idc_mlp_dense(3),
                            idc_mlp_batchnorm(1e-5, 0.1)};
    idc_mlp *m = new_net(IDC_DTYPE_F64, 4, spec, 4, 8);
    idc_mlp *m2 = new_net(IDC_DTYPE_F64, 4, spec, 4, 8);
    idc_rng s = idc_rng_stream(g_seed, 3, IDC_PURPOSE_INIT);
    ck_assert_int_eq(idc_mlp_init(m, s, 7, NULL), IDC_OK);
    size_t np = idc_mlp_nparams(m);
    ck_assert_uint_eq(np, 6 * 4 + 6 + 3 * 6 + 3 + 2 * 3);
    double *p = dalloc(np), *q = dalloc(np);
    idc_mlp_get_params(m, p);
    /* The documented draw index of every dense parameter. */
    size_t layers[2] = {0, 2}, fan[2] = {4, 6};
    for (int t = 0; t < 2; t++) {
        size_t off, cnt, l = layers[t];
        idc_mlp_param_range(m, l, &off, &cnt);
        double bound = 1.0 / sqrt((double)fan[t]);
        for (size_t j = 0; j < cnt; j++) {
            uint64_t k = ((uint64_t)7 << 48) + ((uint64_t)l << 32) + j;
            ck_assert(p[off + j] == bound * (2.0 * idc_rng_uniform(s, k) - 1.0));
            ck_assert(fabs(p[off + j]) < bound);
        }
    }
    size_t off, cnt;
    idc_mlp_param_range(m, 3, &off, &cnt);
    for (size_t j = 0; j < 3; j++) {
        ck_assert(p[off + j] == 1.0);
        ck_assert(p[off + 3 + j] == 0.0);
    }
    double st[6];
    idc_mlp_get_state(m, st);
    ck_assert(st[0] == 0.0 && st[3] == 1.0);
    /* Pure function of (stream, tag); another tag gives other weights. */
    ck_assert_int_eq(idc_mlp_init(m2, s, 7, NULL), IDC_OK);
    idc_mlp_get_params(m2, q);
    ck_assert(memcmp(p, q, np * sizeof(double)) == 0);
    ck_assert_int_eq(idc_mlp_init(m2, s, 8, NULL), IDC_OK);
    idc_mlp_get_params(m2, q);
    ck_assert(p[0] != q[0]);
    idc_err err;
    ck_assert_int_eq(idc_mlp_init(m2, s, 1u << 16, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "tag") != NULL);
    free(p);
    free(q);
    idc_mlp_free(m);
    idc_mlp_free(m2);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* JSON                                                                    */

START_TEST(test_json_round_trip)
{
    idc_mlp_layer spec[] = {idc_mlp_dense(5), idc_mlp_leaky(0.02), idc_mlp_dense(2),
                            idc_mlp_batchnorm(1e-5, 0.1)};
    for (int dt = 0; dt < 2; dt++) {
        idc_mlp *m = new_net((idc_dtype)dt, 3, spec, 4, 4);
        idc_mlp *m2 = new_net((idc_dtype)dt, 3, spec, 4, 4);
        ck_assert_int_eq(idc_mlp_init(m, idc_rng_stream(g_seed, 0, IDC_PURPOSE_INIT), 1, NULL),
                         IDC_OK);
        size_t np = idc_mlp_nparams(m), ns = idc_mlp_nstate(m);
        double *p = dalloc(np), *q = dalloc(np), st[4] = {0.25, -1.5e-3, 0.7, 3.0}, st2[4];
        idc_mlp_set_state(m, st);
        idc_mlp_get_state(m, st); /* as stored (rounded to float for f32) */
        idc_mlp_get_params(m, p);
        ck_assert_uint_eq(ns, 4);
        json_t *j = idc_mlp_get_json(m);
        ck_assert_ptr_nonnull(j);
        /* Through text, with the precision the header asks for. */
        char *txt = json_dumps(j, JSON_REAL_PRECISION(dt == IDC_DTYPE_F32 ? 9 : 17));
        json_t *j2 = json_loads(txt, 0, NULL);
        ck_assert_ptr_nonnull(j2);
        idc_err err;
        ck_assert_msg(idc_mlp_set_json(m2, j2, &err) == IDC_OK, "%s", err.msg);
        idc_mlp_get_params(m2, q);
        idc_mlp_get_state(m2, st2);
        ck_assert(memcmp(p, q, np * sizeof(double)) == 0);
        ck_assert(memcmp(st, st2, sizeof st) == 0);

        /* Malformed inputs name the path and leave m2 unchanged. */
        json_t *W = json_object_get(json_array_get(json_object_get(j2, "layers"), 2), "W");
        json_array_remove(W, 0);
        ck_assert_int_eq(idc_mlp_set_json(m2, j2, &err), IDC_EINVAL);
        ck_assert_msg(strstr(err.msg, "layers[2].W: expected 10 numbers, got 9") != NULL, "%s",
                      err.msg);
        json_array_insert_new(W, 0, json_string("x"));
        ck_assert_int_eq(idc_mlp_set_json(m2, j2, &err), IDC_EINVAL);
        ck_assert(strstr(err.msg, "layers[2].W[0]") != NULL);
        json_array_set_new(W, 0, json_real(1e300)); /* beyond float range */
        ck_assert_int_eq(idc_mlp_set_json(m2, j2, &err), dt == IDC_DTYPE_F32 ? IDC_EINVAL
                                                                             : IDC_OK);
        ck_assert_int_eq(idc_mlp_set_json(m2, j, &err), IDC_OK); /* back to the original */
        json_array_set_new(W, 0, json_real(0.5));
        json_t *l1 = json_array_get(json_object_get(j2, "layers"), 1);
        json_object_set_new(l1, "slope", json_real(0.03));
        ck_assert_int_eq(idc_mlp_set_json(m2, j2, &err), IDC_EINVAL);
        ck_assert(strstr(err.msg, "layers[1].slope") != NULL);
        json_object_set_new(l1, "kind", json_string("dense"));
        ck_assert_int_eq(idc_mlp_set_json(m2, j2, &err), IDC_EINVAL);
        ck_assert(strstr(err.msg, "layers[1].kind") != NULL);
        json_t *l3 = json_array_get(json_object_get(j2, "layers"), 3);
        json_object_set_new(l1, "kind", json_string("leaky_relu"));
        json_object_set_new(l1, "slope", json_real(0.02));
        json_array_set_new(json_object_get(l3, "running_var"), 0, json_real(-1.0));
        ck_assert_int_eq(idc_mlp_set_json(m2, j2, &err), IDC_EINVAL);
        ck_assert(strstr(err.msg, "running_var[0]") != NULL);
        json_object_set_new(j2, "in_dim", json_integer(4));
        ck_assert_int_eq(idc_mlp_set_json(m2, j2, &err), IDC_EINVAL);
        ck_assert(strstr(err.msg, "in_dim") != NULL);
        json_t *arr = json_array();
        ck_assert_int_eq(idc_mlp_set_json(m2, arr, &err), IDC_EINVAL);
        json_decref(arr);
        idc_mlp_get_params(m2, q);
        ck_assert(memcmp(p, q, np * sizeof(double)) == 0);

        /* A non-finite weight cannot be written. */
        p[0] = NAN;
        idc_mlp_set_params(m, p);
        json_t *bad = idc_mlp_get_json(m);
        ck_assert_ptr_null(bad);

        free(txt);
        json_decref(j);
        json_decref(j2);
        free(p);
        free(q);
        idc_mlp_free(m);
        idc_mlp_free(m2);
    }
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Errors                                                                  */

static void expect_new_error(size_t in, const idc_mlp_layer *spec, size_t nl, size_t rows,
                             const char *needle)
{
    idc_err err = {{0}};
    idc_mlp *m = idc_mlp_new(idc_backend_cpu(IDC_DTYPE_F32), in, spec, nl, rows, &err);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "want \"%s\" in \"%s\"", needle, err.msg);
}

START_TEST(test_errors)
{
    idc_mlp_layer ok[] = {idc_mlp_dense(3), idc_mlp_batchnorm(1e-5, 0.1)};
    expect_new_error(0, ok, 2, 4, "mlp.in_dim");
    expect_new_error(3, ok, 0, 4, "mlp.layers");
    expect_new_error(3, NULL, 2, 4, "mlp.layers");
    expect_new_error(3, ok, 2, 0, "mlp.max_rows");
    expect_new_error(3, ok, 2, IDC_MLP_MAX_ROWS + 1, "mlp.max_rows");
    idc_mlp_layer w0[] = {idc_mlp_dense(0)};
    expect_new_error(3, w0, 1, 4, "mlp.layers[0].width");
    idc_mlp_layer wbig[] = {idc_mlp_dense(IDC_MLP_MAX_WIDTH + 1)};
    expect_new_error(3, wbig, 1, 4, "mlp.layers[0].width");
    idc_mlp_layer huge[] = {idc_mlp_dense(IDC_MLP_MAX_WIDTH), idc_mlp_dense(IDC_MLP_MAX_WIDTH)};
    expect_new_error(3, huge, 2, 4, "mlp.layers[1]");
}
END_TEST

START_TEST(test_errors_layers)
{
    idc_mlp_layer s1[] = {idc_mlp_dense(3), idc_mlp_leaky(-0.1)};
    expect_new_error(3, s1, 2, 4, "mlp.layers[1].slope");
    idc_mlp_layer s2[] = {idc_mlp_leaky(NAN)};
    expect_new_error(3, s2, 1, 4, "mlp.layers[0].slope");
    idc_mlp_layer s3[] = {idc_mlp_batchnorm(0.0, 0.1)};
    expect_new_error(3, s3, 1, 4, "mlp.layers[0].eps");
    idc_mlp_layer s4[] = {idc_mlp_batchnorm(1e-5, 1.5)};
    expect_new_error(3, s4, 1, 4, "mlp.layers[0].momentum");
    idc_mlp_layer s5[] = {{(idc_mlp_kind)9, 3, 0, 0, 0}};
    expect_new_error(3, s5, 1, 4, "mlp.layers[0].kind");
    idc_mlp_layer wide[] = {idc_mlp_dense(IDC_MLP_MAX_WIDTH)};
    expect_new_error(3, wide, 1, 1u << 13, "mlp.max_rows");

    /* Forward / backward misuse. */
    idc_mlp_layer ok[] = {idc_mlp_dense(3), idc_mlp_batchnorm(1e-5, 0.1)};
    idc_mlp *m = new_net(IDC_DTYPE_F32, 2, ok, 2, 4);
    const idc_backend *be = idc_mlp_backend(m);
    void *x = be->alloc(be, 8), *dy = be->alloc(be, 12);
    idc_err err;
    ck_assert_int_eq(idc_mlp_forward(m, x, 0, 1, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_mlp_forward(m, x, 5, 0, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "mlp.forward.rows") != NULL);
    ck_assert_int_eq(idc_mlp_forward(m, x, 1, 1, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "batch norm") != NULL);
    ck_assert_int_eq(idc_mlp_forward(m, x, 1, 0, &err), IDC_OK); /* eval: one row is fine */
    ck_assert_int_eq(idc_mlp_backward(m, NULL, dy, 1, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "mlp.backward") != NULL);
    ck_assert_int_eq(idc_mlp_forward(m, x, 4, 1, &err), IDC_OK);
    ck_assert_int_eq(idc_mlp_backward(m, NULL, dy, 3, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_mlp_backward(m, NULL, dy, 4, &err), IDC_OK);
    be->release(be, x);
    be->release(be, dy);
    idc_mlp_free(m);
    idc_mlp_free(NULL);
}
END_TEST

START_TEST(test_leaky_identity_and_inplace)
{
    /* slope 1 is the identity, bit for bit; in-place layers keep shapes. */
    idc_mlp_layer spec[] = {idc_mlp_leaky(1.0)};
    idc_mlp *m = new_net(IDC_DTYPE_F32, 4, spec, 1, 3);
    const idc_backend *be = idc_mlp_backend(m);
    double x[12], y[12];
    fill_normal(x, 12, 15, 0, 1.0);
    for (int i = 0; i < 12; i++)
        x[i] = (double)(float)x[i];
    void *xb = be->alloc(be, 12);
    be->set_d(be, xb, x, 12);
    ck_assert_int_eq(idc_mlp_forward(m, xb, 3, 0, NULL), IDC_OK);
    be->get_d(be, y, idc_mlp_output(m), 12);
    ck_assert(memcmp(x, y, sizeof x) == 0);
    ck_assert_uint_eq(idc_mlp_nparams(m), 0);
    be->release(be, xb);
    idc_mlp_free(m);
}
END_TEST

/* idc_mlp_layer_output: the last layer's buffer is the network output, an
 * in-place leaky layer shares its input's buffer, out of range is NULL. */
START_TEST(test_layer_output)
{
    idc_mlp_layer spec[3] = {idc_mlp_dense(4), idc_mlp_leaky(0.1), idc_mlp_dense(2)};
    idc_err err;
    idc_mlp *m = idc_mlp_new(idc_backend_cpu(IDC_DTYPE_F64), 3, spec, 3, 5, &err);
    ck_assert_msg(m != NULL, "%s", err.msg);
    ck_assert_int_eq(idc_mlp_init(m, idc_rng_stream(1, 0, IDC_PURPOSE_INIT), 1, &err), IDC_OK);
    double x[15];
    for (int i = 0; i < 15; i++)
        x[i] = 0.1 * (i - 7);
    ck_assert_int_eq(idc_mlp_forward(m, x, 5, 0, &err), IDC_OK);
    ck_assert_ptr_eq(idc_mlp_layer_output(m, 2), idc_mlp_output(m));
    ck_assert_ptr_eq(idc_mlp_layer_output(m, 1), idc_mlp_layer_output(m, 0));
    ck_assert_ptr_null(idc_mlp_layer_output(m, 3));
    idc_mlp_free(m);
}
END_TEST

/* The fused leaky_bwd_sum equals leaky_bwd then sum_rows bit for bit (both
 * types, one and several column blocks, in place), and a network's backward
 * pass gives the same bits with and without the fused kernel. */
START_TEST(test_leaky_bwd_sum)
{
    const size_t rows = 37, colss[] = {1, 5, 256, 300, 600};
    const double slopes[] = {0.0, 0.02, 1.0};
    for (int dt = 0; dt < 2; dt++) {
        const idc_backend *be = idc_backend_cpu((idc_dtype)dt);
        size_t es = idc_dtype_size((idc_dtype)dt);
        for (size_t c = 0; c < sizeof colss / sizeof colss[0]; c++)
            for (size_t k = 0; k < 3; k++) {
                size_t cols = colss[c], n = rows * cols;
                double *h = dalloc(n);
                void *y = be->alloc(be, n), *dy = be->alloc(be, n), *a = be->alloc(be, n),
                     *b = be->alloc(be, n), *sa = be->alloc(be, cols), *sb = be->alloc(be, cols);
                fill_normal(h, n, 40, 0, 1.0);
                be->set_d(be, y, h, n);
                fill_normal(h, n, 40, n, 2.0);
                be->set_d(be, dy, h, n);
                be->leaky_bwd(be, a, dy, y, n, slopes[k]);
                be->sum_rows(be, sa, a, rows, cols);
                be->leaky_bwd_sum(be, b, sb, dy, y, rows, cols, slopes[k]);
                ck_assert_msg(memcmp(a, b, n * es) == 0, "dx: dtype %d cols %zu", dt, cols);
                ck_assert_msg(memcmp(sa, sb, cols * es) == 0, "sum: dtype %d cols %zu", dt,
                              cols);
                be->leaky_bwd_sum(be, dy, sb, dy, y, rows, cols, slopes[k]); /* in place */
                ck_assert(memcmp(a, dy, n * es) == 0 && memcmp(sa, sb, cols * es) == 0);
                free(h);
                void *bufs[] = {y, dy, a, b, sa, sb};
                for (size_t i = 0; i < 6; i++)
                    be->release(be, bufs[i]);
            }
    }

    idc_backend plain = *idc_backend_cpu(IDC_DTYPE_F32);
    plain.leaky_bwd_sum = NULL;
    idc_mlp_layer spec[] = {idc_mlp_leaky(0.3),  idc_mlp_dense(300), idc_mlp_leaky(0.02),
                            idc_mlp_dense(7),    idc_mlp_leaky(0.5), idc_mlp_batchnorm(1e-5, 0.1),
                            idc_mlp_dense(3)};
    const size_t nl = sizeof spec / sizeof spec[0], in = 4, nr = 50;
    idc_err err;
    idc_mlp *m[2] = {idc_mlp_new(idc_backend_cpu(IDC_DTYPE_F32), in, spec, nl, nr, &err),
                     idc_mlp_new(&plain, in, spec, nl, nr, &err)};
    double x[4 * 50], dy[3 * 50];
    fill_normal(x, in * nr, 41, 0, 1.0);
    fill_normal(dy, 3 * nr, 41, 1000, 1.0);
    float dx[2][4 * 50];
    float *g[2];
    size_t np = 0;
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(m[i] != NULL, "%s", err.msg);
        const idc_backend *be = idc_mlp_backend(m[i]);
        ck_assert_int_eq(idc_mlp_init(m[i], idc_rng_stream(3, 0, IDC_PURPOSE_INIT), 1, &err),
                         IDC_OK);
        void *xb = be->alloc(be, in * nr), *dyb = be->alloc(be, 3 * nr);
        be->set_d(be, xb, x, in * nr);
        be->set_d(be, dyb, dy, 3 * nr);
        ck_assert_int_eq(idc_mlp_forward(m[i], xb, nr, 1, &err), IDC_OK);
        ck_assert_int_eq(idc_mlp_backward(m[i], dx[i], dyb, nr, &err), IDC_OK);
        np = idc_mlp_nparams(m[i]);
        g[i] = (float *)idc_mlp_grads(m[i]);
        be->release(be, xb);
        be->release(be, dyb);
    }
    ck_assert(memcmp(dx[0], dx[1], sizeof dx[0]) == 0);
    ck_assert(memcmp(g[0], g[1], np * sizeof(float)) == 0);
    idc_mlp_free(m[0]);
    idc_mlp_free(m[1]);
}
END_TEST

/* The fields a device-resident loop uses, on the CPU: gather_random_rows
 * picks the rows idc_rng_below picks; sqerr_sum and the *_to losses leave
 * the value sqerr returns; abs_sign against hand-computed values;
 * alloc_sums is zeroed. */
START_TEST(test_device_loop_fields_cpu)
{
    for (int dt = 0; dt < 2; dt++) {
        const idc_backend *be = idc_backend_cpu((idc_dtype)dt);
        size_t es = idc_dtype_size((idc_dtype)dt), rows = 200, cols = 3, n = 57;
        double *src = dalloc(n * cols), *got = dalloc(rows * cols);
        fill_normal(src, n * cols, 50, 0, 1.0);
        void *S = be->alloc(be, n * cols), *D = be->alloc(be, rows * cols);
        be->set_d(be, S, src, n * cols);
        idc_rng st = idc_rng_stream(g_seed, 9, IDC_PURPOSE_BATCH);
        be->gather_random_rows(be, D, S, cols, st, 1234, rows, n);
        be->get_d(be, got, D, rows * cols);
        for (size_t r = 0; r < rows; r++) {
            size_t i = (size_t)idc_rng_below(st, 1234 + r, n);
            for (size_t j = 0; j < cols; j++)
                ck_assert(got[r * cols + j] == (double)(dt ? src[i * cols + j]
                                                           : (double)(float)src[i * cols + j]));
        }

        double *sums = be->alloc_sums(be, 3), h[3];
        ck_assert_ptr_nonnull(sums);
        be->read_sums(be, h, sums, 3);
        ck_assert(h[0] == 0.0 && h[1] == 0.0 && h[2] == 0.0);
        void *G1 = be->alloc(be, rows * cols), *G2 = be->alloc(be, rows * cols);
        void *T = be->alloc(be, rows * cols);
        fill_normal(got, rows * cols, 51, 0, 1.0);
        be->set_d(be, T, got, rows * cols);
        double r1 = idc_mlp_loss_mse(be, G1, D, T, rows, cols, 0.7, 0);
        idc_mlp_loss_mse_to(be, G2, D, T, rows, cols, 0.7, 0, sums, 0);
        ck_assert(r1 > 0.0);
        double r2 = idc_mlp_loss_code(be, G1, D, rows, cols, 0.3, 1);
        idc_mlp_loss_code_to(be, G2, D, rows, cols, 0.3, 1, sums, 2);
        be->read_sums(be, h, sums, 3);
        ck_assert(h[0] == r1 && h[2] == r2 && h[1] == 0.0);
        ck_assert(memcmp(G1, G2, rows * cols * es) == 0);

        double zv[5] = {1.5, -2.0, 0.0, 0.25, -0.0}, dv[5] = {1.0, 1.0, 1.0, 1.0, 1.0}, o[5];
        void *Z = be->alloc(be, 5), *DZ = be->alloc(be, 5);
        be->set_d(be, Z, zv, 5);
        be->set_d(be, DZ, dv, 5);
        be->abs_sign(be, DZ, Z, 5, 0.5, sums, 1);
        be->get_d(be, o, DZ, 5);
        be->read_sums(be, h, sums, 3);
        ck_assert(h[1] == 3.75);
        const double want[5] = {1.5, 0.5, 1.0, 1.5, 1.0};
        ck_assert(memcmp(o, want, sizeof want) == 0);
        be->abs_sign(be, NULL, Z, 3, 0.5, sums, 0); /* no gradient */
        be->read_sums(be, h, sums, 1);
        ck_assert(h[0] == 3.5);
        void *bufs[] = {S, D, sums, G1, G2, Z, DZ, T};
        for (size_t i = 0; i < 8; i++)
            be->release(be, bufs[i]);
        free(src);
        free(got);
    }
}
END_TEST

static Suite *engine_suite(void)
{
    Suite *s = suite_create("engine");
    const idc_test_case cases[] = {
        {"test_layer_output", test_layer_output},
        {"grad_dense", test_grad_dense},
        {"grad_leaky", test_grad_leaky},
        {"grad_batchnorm", test_grad_batchnorm},
        {"grad_composite", test_grad_composite},
        {"grad_mse", test_grad_mse},
        {"grad_code", test_grad_code},
        {"gradcheck_detects_errors", test_gradcheck_detects_errors},
        {"forward_reference", test_forward_reference_and_float},
        {"gemm_reductions", test_gemm_and_reductions},
        {"batchnorm_running_stats", test_batchnorm_running_stats},
        {"adam", test_adam_hand_computed},
        {"init", test_init_scheme},
        {"json", test_json_round_trip},
        {"errors", test_errors},
        {"errors_layers", test_errors_layers},
        {"leaky_identity", test_leaky_identity_and_inplace},
        {"leaky_bwd_sum", test_leaky_bwd_sum},
        {"device_loop_fields_cpu", test_device_loop_fields_cpu},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 120);
    return s;
}


int main(void)
{
    g_seed = idc_test_seed(DEFAULT_SEED);
    IDC_TEST_PRINT_SEED("engine", g_seed);
    return idc_test_run(engine_suite());
}
