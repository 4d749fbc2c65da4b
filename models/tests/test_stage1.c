/* Tests of the Stage-1 estimator (models/estimators/stage1.h): the gradient of the
 * whole loss against finite differences (double instantiation), float
 * against double, the loss against its definition, the documented
 * initialisation and minibatch streams, bit-identical reproducibility
 * (twice, across OpenBLAS thread settings, resumed), a training sanity run,
 * save -> load -> identical encodings, and every error path. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "models/engine/engine.h"
#include "models/estimators/stage1.h"
#include "models/estimators/stage1_impl.h"
#include "numeric/blas.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

#define DEFAULT_SEED 0x57a9e1ULL

static uint64_t g_seed;

static double *dalloc(size_t n)
{
    double *p = calloc(n == 0 ? 1 : n, sizeof(double));
    ck_assert_ptr_nonnull(p);
    return p;
}

static void fill_normal(double *v, size_t n, uint32_t id, uint64_t k0, double scale)
{
    idc_rng s = idc_rng_stream(g_seed, id, IDC_PURPOSE_GENERATOR);
    for (size_t i = 0; i < n; i++)
        v[i] = scale * idc_rng_normal(s, k0 + i);
}

/* x = A z (rows x d) with A d x n and z standard normal (rows x n), both
 * from test stream id; z may be NULL. */
static double *linear_data(size_t rows, size_t n, size_t d, uint32_t id, double *z_out)
{
    double *A = dalloc(d * n), *z = dalloc(rows * n), *x = dalloc(rows * d);
    fill_normal(A, d * n, id, 0, 1.0);
    fill_normal(z, rows * n, id, 1000, 1.0);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t k = 0; k < n; k++)
                s += A[j * n + k] * z[i * n + k];
            x[i * d + j] = s;
        }
    if (z_out != NULL)
        memcpy(z_out, z, rows * n * sizeof(double));
    free(A);
    free(z);
    return x;
}

/* A small config: hidden widths mult * n. */
static void small_config(idc_stage1_config *c, size_t n, size_t m0, size_t batch, size_t steps)
{
    idc_stage1_config_default(c, n);
    size_t mult[4] = {m0, 2 * m0, 2 * m0, m0};
    ck_assert_int_eq(idc_stage1_config_set_hidden_mult(c, 4, mult, NULL), IDC_OK);
    c->batch = batch;
    c->steps = steps;
    c->seed = g_seed;
    c->trial = 3;
}

static idc_stage1 *new_model(const idc_stage1_config *c, size_t d, idc_dtype dt)
{
    idc_err err = {{0}};
    idc_stage1 *s = idc_stage1_new_dtype(c, d, dt, &err);
    ck_assert_msg(s != NULL, "idc_stage1_new: %s", err.msg);
    return s;
}

/* ---------------------------------------------------------------------- */
/* Configuration                                                           */

START_TEST(test_config_default)
{
    idc_stage1_config c;
    idc_stage1_config_default(&c, 10);
    ck_assert_uint_eq(c.latent_dim, 10);
    ck_assert_uint_eq(c.nhidden, 4);
    ck_assert_uint_eq(c.hidden[0], 500);
    ck_assert_uint_eq(c.hidden[1], 1000);
    ck_assert_uint_eq(c.hidden[2], 1000);
    ck_assert_uint_eq(c.hidden[3], 500);
    ck_assert(c.leaky_slope == 0.02 && c.lr == 1e-4 && c.code_weight == 1.0);
    ck_assert(c.adam_beta1 == 0.9 && c.adam_beta2 == 0.999 && c.adam_eps == 1e-8);
    ck_assert(c.bn_eps == 1e-5 && c.bn_momentum == 0.1);
    ck_assert_uint_eq(c.batch, 6144);
    ck_assert_uint_eq(c.steps, 5000);
    ck_assert_int_eq(idc_stage1_config_check(&c, 10, NULL), IDC_OK);

    size_t mult[4] = {8, 16, 16, 8};
    idc_stage1_config_default(&c, 3);
    ck_assert_int_eq(idc_stage1_config_set_hidden_mult(&c, 4, mult, NULL), IDC_OK);
    ck_assert(c.hidden[0] == 24 && c.hidden[1] == 48 && c.hidden[2] == 48 && c.hidden[3] == 24);
    size_t three[3] = {2, 0, 1};
    idc_err err;
    ck_assert_int_eq(idc_stage1_config_set_hidden_mult(&c, 3, three, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "stage1.hidden[1]") != NULL);
    ck_assert_uint_eq(c.hidden[0], 24); /* unchanged */
    size_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    ck_assert_int_eq(idc_stage1_config_set_hidden_mult(&c, 9, nine, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "stage1.nhidden") != NULL);

    c.log_every = 250;
    c.steps = 1000;
    ck_assert_uint_eq(idc_stage1_trace_len(&c), 4);
    c.steps = 1001;
    ck_assert_uint_eq(idc_stage1_trace_len(&c), 5);
    c.log_every = 0;
    ck_assert_uint_eq(idc_stage1_trace_len(&c), 0);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Gradient of the whole loss                                              */

typedef struct {
    idc_stage1 *s;
    const double *xb;
    size_t rows;
    size_t wrong_entry; /* when < nparams: the gradient is off there by 0.1 % */
} s1_ctx;

static double s1_loss(s1_ctx *c, const double *theta)
{
    double loss = 0.0;
    idc_stage1_set_params(c->s, theta);
    idc_err err;
    ck_assert_msg(idc_stage1_loss_grad(c->s, c->xb, c->rows, &loss, NULL, &err) == IDC_OK, "%s",
                  err.msg);
    return loss;
}

static void s1_grad(s1_ctx *c, const double *theta, double *g)
{
    double loss;
    idc_stage1_set_params(c->s, theta);
    ck_assert_int_eq(idc_stage1_loss_grad(c->s, c->xb, c->rows, &loss, g, NULL), IDC_OK);
    if (c->wrong_entry < idc_stage1_nparams(c->s))
        g[c->wrong_entry] += 1e-3 * (fabs(g[c->wrong_entry]) + 1e-3);
}

/* Whether some step h in {1e-4, 1e-5, 1e-6} x max(1, |theta_i|) gives a
 * central difference within 1e-6 (|fd| + |g|) + 1e-9 of g (several steps:
 * a leaky-ReLU kink within one step spoils the larger ones only). */
static int coord_ok(s1_ctx *c, double *theta, double g, size_t i)
{
    static const double steps[] = {1e-4, 1e-5, 1e-6};
    double t0 = theta[i];
    for (size_t k = 0; k < 3; k++) {
        double h = steps[k] * (fabs(t0) > 1.0 ? fabs(t0) : 1.0);
        theta[i] = t0 + h;
        double fp = s1_loss(c, theta);
        theta[i] = t0 - h;
        double fm = s1_loss(c, theta);
        theta[i] = t0;
        double fd = (fp - fm) / (2.0 * h);
        if (fabs(fd - g) <= 1e-6 * (fabs(fd) + fabs(g)) + 1e-9)
            return 1;
    }
    return 0;
}

/* Checks coordinates which[0..nw) at theta0; a coordinate that fails is
 * checked again at theta0 + 1e-3 max(1, |theta0|) u (u standard normal),
 * which moves a nearby kink away, and counts as wrong only when it fails
 * at both points, as every coordinate of a wrong formula does. */
static size_t gradcheck(s1_ctx *c, const double *theta0, const size_t *which, size_t nw,
                        size_t *first_bad)
{
    size_t n = idc_stage1_nparams(c->s), nbad = 0, wrong = 0;
    double *theta = dalloc(n), *g = dalloc(n);
    size_t *bad = calloc(nw, sizeof(size_t));
    ck_assert_ptr_nonnull(bad);
    memcpy(theta, theta0, n * sizeof(double));
    s1_grad(c, theta, g);
    for (size_t w = 0; w < nw; w++)
        if (!coord_ok(c, theta, g[which[w]], which[w]))
            bad[nbad++] = which[w];
    if (nbad > 0) {
        idc_rng r = idc_rng_stream(g_seed, 0xfffe, IDC_PURPOSE_SEARCH);
        for (size_t i = 0; i < n; i++) {
            double scale = fabs(theta0[i]) > 1.0 ? fabs(theta0[i]) : 1.0;
            theta[i] = theta0[i] + 1e-3 * scale * idc_rng_normal(r, i);
        }
        s1_grad(c, theta, g);
        for (size_t w = 0; w < nbad; w++)
            if (!coord_ok(c, theta, g[bad[w]], bad[w]) && wrong++ == 0 && first_bad != NULL)
                *first_bad = bad[w];
    }
    free(bad);
    free(theta);
    free(g);
    return wrong;
}

/* A model in double with its weights perturbed off the initialisation
 * (so that gamma != 1, beta != 0) and its data. */
static void grad_setup(idc_stage1 **s, double **theta, double **xb, size_t n, size_t d, size_t m0,
                       size_t rows, double code_weight, uint32_t id)
{
    idc_stage1_config c;
    small_config(&c, n, m0, rows, 0);
    c.code_weight = code_weight;
    c.leaky_slope = 0.1;
    *s = new_model(&c, d, IDC_DTYPE_F64);
    size_t np = idc_stage1_nparams(*s);
    *theta = dalloc(np);
    double *noise = dalloc(np);
    idc_stage1_get_params(*s, *theta);
    fill_normal(noise, np, id, 0, 0.2);
    for (size_t i = 0; i < np; i++)
        (*theta)[i] += noise[i];
    free(noise);
    *xb = linear_data(rows, n, d, id, NULL);
}

START_TEST(test_grad_full_small)
{
    /* Every parameter of a small model. */
    idc_stage1 *s;
    double *theta, *xb;
    size_t rows = 8;
    grad_setup(&s, &theta, &xb, 2, 3, 2, rows, 0.7, 21);
    size_t np = idc_stage1_nparams(s);
    size_t *which = calloc(np, sizeof(size_t));
    for (size_t i = 0; i < np; i++)
        which[i] = i;
    s1_ctx c = {s, xb, rows, SIZE_MAX};
    size_t first = 0, bad = gradcheck(&c, theta, which, np, &first);
    if (bad != 0)
        IDC_TEST_FAIL_REPLAY("grad_full_small", g_seed, "%zu of %zu wrong, first %zu", bad, np,
                             first);

    /* The check can fail: one entry off by 0.1 % is caught. */
    c.wrong_entry = np / 2;
    ck_assert_uint_eq(gradcheck(&c, theta, which, np, &first), 1);
    ck_assert_uint_eq(first, np / 2);
    free(which);
    free(theta);
    free(xb);
    idc_stage1_free(s);
}
END_TEST

START_TEST(test_grad_sampled_medium)
{
    /* A sample of 200 parameters of a (16, 32, 32, 16) model, always
     * including every batch-norm parameter and the first/last weights. */
    idc_stage1 *s;
    double *theta, *xb;
    size_t rows = 12, n = 2;
    grad_setup(&s, &theta, &xb, n, 4, 8, rows, 1.0, 22);
    size_t np = idc_stage1_nparams(s), ne = idc_mlp_nparams(idc_stage1_encoder(s));
    size_t which[200], k = 0;
    for (size_t j = 0; j < 2 * n; j++) /* gamma, beta: the encoder's last */
        which[k++] = ne - 2 * n + j;
    which[k++] = 0;
    which[k++] = ne;
    which[k++] = np - 1;
    idc_rng r = idc_rng_stream(g_seed, 22, IDC_PURPOSE_SEARCH);
    for (uint64_t t = 0; k < 200; t++)
        which[k++] = (size_t)idc_rng_below(r, t, np);
    s1_ctx c = {s, xb, rows, SIZE_MAX};
    size_t first = 0, bad = gradcheck(&c, theta, which, 200, &first);
    if (bad != 0)
        IDC_TEST_FAIL_REPLAY("grad_sampled_medium", g_seed, "%zu of 200 wrong, first %zu", bad,
                             first);
    free(theta);
    free(xb);
    idc_stage1_free(s);
}
END_TEST

START_TEST(test_grad_float_vs_double)
{
    size_t n = 3, d = 5, rows = 16;
    idc_stage1_config c;
    small_config(&c, n, 4, rows, 0);
    idc_stage1 *sf = new_model(&c, d, IDC_DTYPE_F32);
    idc_stage1 *sd = new_model(&c, d, IDC_DTYPE_F64);
    size_t np = idc_stage1_nparams(sf);
    ck_assert_uint_eq(np, idc_stage1_nparams(sd));
    double *p = dalloc(np), *pd = dalloc(np), *gf = dalloc(np), *gd = dalloc(np);
    idc_stage1_get_params(sf, p);
    idc_stage1_get_params(sd, pd);
    for (size_t i = 0; i < np; i++) /* the same draws, rounded to float */
        ck_assert(p[i] == (double)(float)pd[i]);
    idc_stage1_set_params(sd, p);
    double *x = linear_data(rows, n, d, 23, NULL);
    for (size_t i = 0; i < rows * d; i++)
        x[i] = (double)(float)x[i];
    double lf, ld;
    ck_assert_int_eq(idc_stage1_loss_grad(sf, x, rows, &lf, gf, NULL), IDC_OK);
    ck_assert_int_eq(idc_stage1_loss_grad(sd, x, rows, &ld, gd, NULL), IDC_OK);
    ck_assert_msg(fabs(lf - ld) <= 1e-5 * fabs(ld), "loss %.9g vs %.9g", lf, ld);
    double gmax = 0.0, dmax = 0.0;
    for (size_t i = 0; i < np; i++) {
        gmax = fmax(gmax, fabs(gd[i]));
        dmax = fmax(dmax, fabs(gd[i] - gf[i]));
    }
    ck_assert_msg(dmax <= 1e-3 * gmax, "float vs double gradient: %g", dmax / gmax);
    free(p);
    free(pd);
    free(gf);
    free(gd);
    free(x);
    idc_stage1_free(sf);
    idc_stage1_free(sd);
}
END_TEST

/* The loss is MSE + code_weight * mean (1/2)|z|^2, computed here from the
 * two networks' train-mode outputs. */
START_TEST(test_loss_definition)
{
    size_t n = 3, d = 4, rows = 10;
    idc_stage1_config c;
    small_config(&c, n, 2, rows, 0);
    c.code_weight = 0.37;
    idc_stage1 *s = new_model(&c, d, IDC_DTYPE_F64);
    double *x = linear_data(rows, n, d, 24, NULL);
    double loss;
    ck_assert_int_eq(idc_stage1_loss_grad(s, x, rows, &loss, NULL, NULL), IDC_OK);
    idc_mlp *enc = idc_stage1_encoder(s), *dec = idc_stage1_decoder(s);
    const idc_backend *be = idc_mlp_backend(enc);
    void *xb = be->alloc(be, rows * d);
    be->set_d(be, xb, x, rows * d);
    double *z = dalloc(rows * n), *xh = dalloc(rows * d);
    ck_assert_int_eq(idc_mlp_forward(enc, xb, rows, 1, NULL), IDC_OK);
    be->get_d(be, z, idc_mlp_output(enc), rows * n);
    ck_assert_int_eq(idc_mlp_forward(dec, idc_mlp_output(enc), rows, 1, NULL), IDC_OK);
    be->get_d(be, xh, idc_mlp_output(dec), rows * d);
    double rec = 0.0, pen = 0.0;
    for (size_t i = 0; i < rows * d; i++)
        rec += (xh[i] - x[i]) * (xh[i] - x[i]);
    for (size_t i = 0; i < rows * n; i++)
        pen += 0.5 * z[i] * z[i];
    double want = rec / (double)(rows * d) + 0.37 * pen / (double)rows;
    ck_assert_msg(fabs(loss - want) <= 1e-13 * want, "loss %.17g, want %.17g", loss, want);
    /* Architecture: the encoder ends in batch norm, the decoder mirrors. */
    ck_assert_uint_eq(idc_mlp_nlayers(enc), 10);
    ck_assert_uint_eq(idc_mlp_nlayers(dec), 9);
    ck_assert_int_eq(idc_mlp_layer_spec(enc, 9)->kind, IDC_MLP_BATCHNORM);
    ck_assert_uint_eq(idc_mlp_layer_spec(enc, 2)->width, 12);
    ck_assert_uint_eq(idc_mlp_layer_spec(dec, 0)->width, 6);
    ck_assert_uint_eq(idc_mlp_layer_spec(dec, 8)->width, d);
    ck_assert(idc_mlp_layer_spec(dec, 1)->slope == 0.02);
    be->release(be, xb);
    free(z);
    free(xh);
    free(x);
    idc_stage1_free(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Documented randomness                                                   */

START_TEST(test_documented_streams)
{
    size_t n = 2, d = 3, N = 50, B = 8;
    idc_stage1_config c;
    small_config(&c, n, 2, B, 3);
    c.log_every = 1;
    idc_stage1 *s = new_model(&c, d, IDC_DTYPE_F32);
    idc_stage1 *ref = new_model(&c, d, IDC_DTYPE_F32);

    /* Encoder weight j of layer 0 is (2u - 1)/sqrt(d) with draw index
     * 2^48 + j of the INIT stream; decoder uses tag 2. */
    double *p = dalloc(idc_stage1_nparams(s));
    idc_stage1_get_params(s, p);
    idc_rng init = idc_rng_stream(c.seed, c.trial, IDC_PURPOSE_INIT);
    for (uint64_t j = 0; j < 5; j++)
        ck_assert(p[j] == (double)(float)((2.0 * idc_rng_uniform(init, (1ull << 48) + j) - 1.0) /
                                          sqrt((double)d)));
    size_t ne = idc_mlp_nparams(idc_stage1_encoder(s));
    ck_assert(p[ne] == (double)(float)((2.0 * idc_rng_uniform(init, 2ull << 48) - 1.0) /
                                       sqrt((double)n)));

    /* The loss of step t is the loss of rows below(BATCH, t B + i, N). */
    double *x = linear_data(N, n, d, 25, NULL);
    double trace[3], fin;
    ck_assert_int_eq(idc_stage1_fit(s, x, N, trace, &fin, NULL), IDC_OK);
    ck_assert(fin == trace[2]);
    idc_rng bs = idc_rng_stream(c.seed, c.trial, IDC_PURPOSE_BATCH);
    double *xb = dalloc(B * d);
    for (size_t i = 0; i < B; i++) {
        size_t r = (size_t)idc_rng_below(bs, i, N);
        memcpy(xb + i * d, x + r * d, d * sizeof(double));
    }
    double l0;
    ck_assert_int_eq(idc_stage1_loss_grad(ref, xb, B, &l0, NULL, NULL), IDC_OK);
    ck_assert_msg(l0 == trace[0], "step 0: %.9g vs trace %.9g", l0, trace[0]);
    ck_assert_uint_eq(idc_stage1_steps_done(s), 3);
    free(xb);
    free(x);
    free(p);
    idc_stage1_free(s);
    idc_stage1_free(ref);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Reproducibility                                                         */

/* Trains a fresh model and returns its parameters (caller frees). */
static double *train_params(const idc_stage1_config *c, const double *x, size_t N, size_t d,
                            size_t *np)
{
    idc_stage1 *s = new_model(c, d, IDC_DTYPE_F32);
    idc_err err;
    ck_assert_msg(idc_stage1_fit(s, x, N, NULL, NULL, &err) == IDC_OK, "%s", err.msg);
    *np = idc_stage1_nparams(s);
    double *p = dalloc(*np);
    idc_stage1_get_params(s, p);
    idc_stage1_free(s);
    return p;
}

START_TEST(test_deterministic)
{
    size_t n = 3, d = 3, N = 600, np;
    idc_stage1_config c;
    small_config(&c, n, 8, 128, 40);
    double *x = linear_data(N, n, d, 26, NULL);
    double *p1 = train_params(&c, x, N, d, &np);
    double *p2 = train_params(&c, x, N, d, &np);
    ck_assert_msg(memcmp(p1, p2, np * sizeof(double)) == 0, "two runs differ");
    /* Whatever OpenBLAS thread count was set before. */
    idc_blas_set_threads(4);
    double *p3 = train_params(&c, x, N, d, &np);
    ck_assert_int_eq(idc_blas_get_threads(), 1);
    ck_assert_msg(memcmp(p1, p3, np * sizeof(double)) == 0, "thread setting changed the result");
    /* Other seeds and trials give other weights. */
    c.trial = 4;
    double *p4 = train_params(&c, x, N, d, &np);
    ck_assert(memcmp(p1, p4, np * sizeof(double)) != 0);
    free(p1);
    free(p2);
    free(p3);
    free(p4);
    free(x);
}
END_TEST

typedef struct {
    const idc_stage1_config *c;
    const double *x;
    size_t N, d, np;
    double *p;
    int rc;
} fit_job;

static void *fit_thread(void *arg)
{
    fit_job *j = arg;
    idc_stage1 *s = idc_stage1_new(j->c, j->d, NULL);
    j->rc = s == NULL ? IDC_ENOMEM : idc_stage1_fit(s, j->x, j->N, NULL, NULL, NULL);
    if (s != NULL) {
        j->np = idc_stage1_nparams(s);
        j->p = calloc(j->np, sizeof(double));
        if (j->p != NULL)
            idc_stage1_get_params(s, j->p);
    }
    idc_stage1_free(s);
    return NULL;
}

START_TEST(test_parallel_trials)
{
    /* Two models trained at the same time on two threads (how sweeps run
     * trials) give the weights of a sequential run. */
    size_t n = 2, d = 3, N = 500, np;
    idc_stage1_config c;
    small_config(&c, n, 8, 128, 40);
    double *x = linear_data(N, n, d, 31, NULL);
    double *seq = train_params(&c, x, N, d, &np);
    fit_job jobs[2] = {{&c, x, N, d, 0, NULL, -1}, {&c, x, N, d, 0, NULL, -1}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, fit_thread, &jobs[i]), 0);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(jobs[i].rc, IDC_OK);
        ck_assert_ptr_nonnull(jobs[i].p);
        ck_assert_uint_eq(jobs[i].np, np);
        ck_assert_msg(memcmp(jobs[i].p, seq, np * sizeof(double)) == 0, "thread %d differs", i);
        free(jobs[i].p);
    }
    free(seq);
    free(x);
}
END_TEST

START_TEST(test_resume)
{
    /* fit(k) then fit(k) equals fit(2k), bit for bit. */
    size_t n = 2, d = 3, N = 400, np;
    idc_stage1_config c;
    small_config(&c, n, 4, 64, 30);
    double *x = linear_data(N, n, d, 27, NULL);
    double *once = train_params(&c, x, N, d, &np);
    c.steps = 15;
    idc_stage1 *s = new_model(&c, d, IDC_DTYPE_F32);
    ck_assert_int_eq(idc_stage1_fit(s, x, N, NULL, NULL, NULL), IDC_OK);
    ck_assert_int_eq(idc_stage1_fit(s, x, N, NULL, NULL, NULL), IDC_OK);
    ck_assert_uint_eq(idc_stage1_steps_done(s), 30);
    double *twice = dalloc(np);
    idc_stage1_get_params(s, twice);
    ck_assert(memcmp(once, twice, np * sizeof(double)) == 0);
    free(once);
    free(twice);
    free(x);
    idc_stage1_free(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Training sanity                                                         */

/* Train-mode reconstruction MSE of the first rows of x (rows x d). */
static double train_mode_rec(idc_stage1 *s, const double *x, size_t rows, size_t d)
{
    idc_mlp *enc = idc_stage1_encoder(s), *dec = idc_stage1_decoder(s);
    const idc_backend *be = idc_mlp_backend(enc);
    void *xb = be->alloc(be, rows * d);
    double *xh = dalloc(rows * d), rec = 0.0;
    be->set_d(be, xb, x, rows * d);
    ck_assert_int_eq(idc_mlp_forward(enc, xb, rows, 1, NULL), IDC_OK);
    ck_assert_int_eq(idc_mlp_forward(dec, idc_mlp_output(enc), rows, 1, NULL), IDC_OK);
    be->get_d(be, xh, idc_mlp_output(dec), rows * d);
    for (size_t i = 0; i < rows * d; i++) {
        double e = xh[i] - (double)(float)x[i];
        rec += e * e / (double)(rows * d);
    }
    be->release(be, xb);
    free(xh);
    return rec;
}

START_TEST(test_training_sanity)
{
    /* x = A z, z ~ N(0, I_2), A = rotation(theta) diag(s1, s2) (times a
     * reflection with probability 1/2), theta uniform, s_i uniform in
     * [0.8, 1.5]: a random well-conditioned invertible map. Widths
     * (16, 32, 32, 16), 2500 steps of 256 rows at lr 1e-3, the paper's loss.
     * Over 300 seeds the train-mode loss fell by 25x at worst and the
     * reconstruction MSE ended below 0.06 E[x^2]; the thresholds below
     * leave a margin of 3x or more. */
    size_t n = 2, d = 2, N = 2000, B = 256;
    idc_stage1_config c;
    small_config(&c, n, 8, B, 2500);
    c.lr = 1e-3;
    c.log_every = 250;
    idc_rng r = idc_rng_stream(g_seed, 28, IDC_PURPOSE_GENERATOR);
    double th = 2.0 * M_PI * idc_rng_uniform(r, 0);
    double s1 = 0.8 + 0.7 * idc_rng_uniform(r, 1), s2 = 0.8 + 0.7 * idc_rng_uniform(r, 2);
    double sg = idc_rng_uniform(r, 3) < 0.5 ? -1.0 : 1.0;
    double A[4] = {cos(th) * s1, -sin(th) * s2 * sg, sin(th) * s1, cos(th) * s2 * sg};
    double *zt = dalloc(N * n), *x = dalloc(N * d);
    fill_normal(zt, N * n, 28, 1000, 1.0);
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < d; j++)
            x[i * d + j] = A[j * n] * zt[i * n] + A[j * n + 1] * zt[i * n + 1];
    free(zt);
    idc_stage1 *s = new_model(&c, d, IDC_DTYPE_F32);
    double l0, l1, fin, trace[10];
    ck_assert_uint_eq(idc_stage1_trace_len(&c), 10);
    ck_assert_int_eq(idc_stage1_loss_grad(s, x, B, &l0, NULL, NULL), IDC_OK);
    idc_err err;
    ck_assert_msg(idc_stage1_fit(s, x, N, trace, &fin, &err) == IDC_OK, "%s", err.msg);
    ck_assert_int_eq(idc_stage1_loss_grad(s, x, B, &l1, NULL, NULL), IDC_OK);
    double trec = train_mode_rec(s, x, B, d);
    double ex2 = 0.0;
    for (size_t i = 0; i < N * d; i++)
        ex2 += x[i] * x[i] / (double)(N * d);
    if (!(l1 <= l0 / 5.0 && isfinite(fin) && fin <= trace[0] / 5.0 && trec <= 0.25 * ex2))
        IDC_TEST_FAIL_REPLAY("training_sanity", g_seed,
                             "loss %.4g -> %.4g, trace[0] %.4g, final %.4g, rec %.4g (E[x^2] %.4g)",
                             l0, l1, trace[0], fin, trec, ex2);
    /* Encoding works on more rows than a batch, and each row is encoded
     * independently of the others (eval-mode batch norm). */
    double *z = dalloc(N * n), *z1 = dalloc(n);
    ck_assert_int_eq(idc_stage1_encode(s, z, x, N, NULL), IDC_OK);
    ck_assert_int_eq(idc_stage1_encode(s, z1, x + 1234 * d, 1, NULL), IDC_OK);
    for (size_t k = 0; k < n; k++)
        ck_assert_msg(fabs(z1[k] - z[1234 * n + k]) <= 1e-5 * (1.0 + fabs(z1[k])),
                      "row encoded alone differs");
    /* idc_stage1_loss agrees with encode + reconstruct. */
    double *xh = dalloc(N * d), rec, code, r2 = 0.0, c2 = 0.0;
    ck_assert_int_eq(idc_stage1_reconstruct(s, xh, x, N, NULL), IDC_OK);
    ck_assert_int_eq(idc_stage1_loss(s, x, N, &rec, &code, NULL), IDC_OK);
    for (size_t i = 0; i < N * d; i++) {
        double xf = (double)(float)x[i];
        r2 += (xh[i] - xf) * (xh[i] - xf) / (double)(N * d);
    }
    for (size_t i = 0; i < N * n; i++)
        c2 += 0.5 * z[i] * z[i] / (double)N;
    ck_assert_msg(fabs(rec - r2) <= 1e-9 * (1 + r2), "rec %.9g vs %.9g", rec, r2);
    ck_assert_msg(fabs(code - c2) <= 1e-9 * (1 + c2), "code %.9g vs %.9g", code, c2);
    free(z);
    free(z1);
    free(xh);
    free(x);
    idc_stage1_free(s);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Save and load                                                           */

START_TEST(test_save_load)
{
    size_t n = 3, d = 4, N = 300;
    idc_stage1_config c;
    small_config(&c, n, 4, 64, 25);
    c.seed = 0xfedcba9876543210ULL; /* does not fit a JSON integer */
    double *x = linear_data(N, n, d, 29, NULL);
    idc_stage1 *s = new_model(&c, d, IDC_DTYPE_F32);
    ck_assert_int_eq(idc_stage1_fit(s, x, N, NULL, NULL, NULL), IDC_OK);
    json_t *j = idc_stage1_to_json(s);
    ck_assert_ptr_nonnull(j);
    char *txt = json_dumps(j, JSON_REAL_PRECISION(9) | JSON_COMPACT);
    json_t *j2 = json_loads(txt, 0, NULL);
    ck_assert_ptr_nonnull(j2);
    idc_stage1 *t = NULL;
    idc_err err;
    ck_assert_msg(idc_stage1_from_json(&t, j2, &err) == IDC_OK, "%s", err.msg);
    ck_assert_uint_eq(idc_stage1_steps_done(t), 25);
    ck_assert(idc_stage1_get_config(t)->seed == c.seed);
    ck_assert(memcmp(idc_stage1_get_config(t), idc_stage1_get_config(s), sizeof c) == 0);
    double *za = dalloc(N * n), *zb = dalloc(N * n);
    ck_assert_int_eq(idc_stage1_encode(s, za, x, N, NULL), IDC_OK);
    ck_assert_int_eq(idc_stage1_encode(t, zb, x, N, NULL), IDC_OK);
    ck_assert_msg(memcmp(za, zb, N * n * sizeof(double)) == 0, "encodings differ after load");
    /* Saving the loaded model gives the same text. */
    json_t *j3 = idc_stage1_to_json(t);
    char *txt3 = json_dumps(j3, JSON_REAL_PRECISION(9) | JSON_COMPACT);
    ck_assert_str_eq(txt, txt3);

    /* Malformed documents. */
    struct {
        const char *key;
        json_t *val;
        const char *needle;
    } cases[] = {
        {"model", json_string("other"), "stage1.model"},
        {"format", json_integer(2), "stage1.format"},
        {"dtype", json_string("f16"), "stage1.dtype"},
        {"xdim", json_integer(-1), "stage1.xdim"},
        {"xdim", json_integer(5), "stage1.encoder.in_dim"},
        {"steps_done", json_string("3"), "stage1.steps_done"},
        {"config", json_null(), "stage1.config"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *bad = json_deep_copy(j2);
        json_object_set_new(bad, cases[i].key, cases[i].val);
        idc_stage1 *u = (idc_stage1 *)&err; /* must be reset to NULL */
        ck_assert_int_eq(idc_stage1_from_json(&u, bad, &err), IDC_EINVAL);
        ck_assert_ptr_null(u);
        ck_assert_msg(strstr(err.msg, cases[i].needle) != NULL, "want %s in %s", cases[i].needle,
                      err.msg);
        json_decref(bad);
    }
    struct {
        const char *key;
        json_t *val;
        const char *needle;
    } ccases[] = {
        {"lr", json_real(-1.0), "stage1.lr"},
        {"lr", json_string("x"), "stage1.config.lr"},
        {"batch", json_integer(1), "stage1.batch"},
        {"seed", json_integer(5), "stage1.config.seed"},
        {"seed", json_string("0xzz"), "stage1.config.seed"},
        {"hidden", json_pack("[i, i, i]", 4, 0, 4), "stage1.config.hidden[1]"},
        {"trial", json_integer(-2), "stage1.config.trial"},
        {"leaky_slope", json_real(0.5), "stage1.encoder.layers[1].slope"},
    };
    for (size_t i = 0; i < sizeof ccases / sizeof ccases[0]; i++) {
        json_t *bad = json_deep_copy(j2);
        json_object_set_new(json_object_get(bad, "config"), ccases[i].key, ccases[i].val);
        idc_stage1 *u = NULL;
        ck_assert_int_eq(idc_stage1_from_json(&u, bad, &err), IDC_EINVAL);
        ck_assert_ptr_null(u);
        ck_assert_msg(strstr(err.msg, ccases[i].needle) != NULL, "want %s in %s",
                      ccases[i].needle, err.msg);
        json_decref(bad);
    }
    json_t *bad = json_deep_copy(j2);
    json_t *W = json_object_get(
        json_array_get(json_object_get(json_object_get(bad, "decoder"), "layers"), 2), "W");
    json_array_remove(W, 3);
    idc_stage1 *u = NULL;
    ck_assert_int_eq(idc_stage1_from_json(&u, bad, &err), IDC_EINVAL);
    ck_assert_msg(strstr(err.msg, "stage1.decoder.layers[2].W: expected") != NULL, "%s",
                  err.msg);
    json_decref(bad);
    ck_assert_int_eq(idc_stage1_from_json(&u, NULL, &err), IDC_EINVAL);

    free(txt);
    free(txt3);
    json_decref(j);
    json_decref(j2);
    json_decref(j3);
    free(za);
    free(zb);
    free(x);
    idc_stage1_free(s);
    idc_stage1_free(t);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Errors                                                                  */

static void expect_config_error(const idc_stage1_config *c, size_t d, const char *needle)
{
    idc_err err = {{0}};
    ck_assert_int_eq(idc_stage1_config_check(c, d, &err), IDC_EINVAL);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "want \"%s\" in \"%s\"", needle, err.msg);
    idc_stage1 *s = idc_stage1_new(c, d, &err);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "new: want \"%s\" in \"%s\"", needle, err.msg);
}

START_TEST(test_config_errors)
{
    idc_stage1_config base, c;
    small_config(&base, 2, 2, 16, 10);
    c = base;
    c.latent_dim = 0;
    expect_config_error(&c, 3, "stage1.latent_dim");
    c = base;
    expect_config_error(&c, 0, "stage1.xdim");
    expect_config_error(&c, IDC_MLP_MAX_WIDTH + 1, "stage1.xdim");
    c.nhidden = 9;
    expect_config_error(&c, 3, "stage1.nhidden");
    c = base;
    c.hidden[2] = 0;
    expect_config_error(&c, 3, "stage1.hidden[2]");
    c = base;
    c.leaky_slope = -0.5;
    expect_config_error(&c, 3, "stage1.leaky_slope");
    c.leaky_slope = NAN;
    expect_config_error(&c, 3, "stage1.leaky_slope");
    c = base;
    c.lr = 0.0;
    expect_config_error(&c, 3, "stage1.lr");
    c.lr = INFINITY;
    expect_config_error(&c, 3, "stage1.lr");
    c = base;
    c.adam_beta1 = 1.0;
    expect_config_error(&c, 3, "stage1.adam_beta1");
    c = base;
    c.adam_beta2 = -0.1;
    expect_config_error(&c, 3, "stage1.adam_beta2");
    c = base;
    c.adam_eps = 0.0;
    expect_config_error(&c, 3, "stage1.adam_eps");
    c = base;
    c.batch = 0;
    expect_config_error(&c, 3, "stage1.batch: must be >= 2");
    c.batch = 1;
    expect_config_error(&c, 3, "stage1.batch: must be >= 2");
    c.batch = IDC_MLP_MAX_ROWS + 1;
    expect_config_error(&c, 3, "stage1.batch");
    c.batch = IDC_MLP_MAX_ROWS;
    c.hidden[1] = 1u << 10; /* 2^24 rows x 2^10 wide: absurd */
    expect_config_error(&c, 3, "stage1.batch");
    c = base;
    c.hidden[0] = c.hidden[1] = IDC_MLP_MAX_WIDTH; /* a 2^40-weight layer */
    expect_config_error(&c, 3, "stage1.hidden");
    c = base;
    c.code_weight = -1.0;
    expect_config_error(&c, 3, "stage1.code_weight");
    c = base;
    c.bn_eps = 0.0;
    expect_config_error(&c, 3, "stage1.bn_eps");
    c = base;
    c.bn_momentum = 2.0;
    expect_config_error(&c, 3, "stage1.bn_momentum");
    idc_err err;
    ck_assert_ptr_null(idc_stage1_new(NULL, 3, &err));
    ck_assert(strstr(err.msg, "stage1.config") != NULL);
    /* No hidden layers is a valid (linear-in-the-code) model. */
    c = base;
    c.nhidden = 0;
    idc_stage1 *s = idc_stage1_new(&c, 3, &err);
    ck_assert_msg(s != NULL, "%s", err.msg);
    idc_stage1_free(s);
    idc_stage1_free(NULL);
}
END_TEST

/* idc_stage1_new_backend on the CPU table is idc_stage1_new, bit for bit;
 * a NULL backend is refused. */
START_TEST(test_new_backend)
{
    size_t n = 2, d = 3, N = 40;
    idc_stage1_config c;
    small_config(&c, n, 2, 8, 5);
    idc_err err;
    idc_stage1 *a = idc_stage1_new(&c, d, &err);
    idc_stage1 *b = idc_stage1_new_backend(&c, d, idc_backend_cpu(IDC_DTYPE_F32), &err);
    ck_assert_msg(a != NULL && b != NULL, "%s", err.msg);
    ck_assert_ptr_eq(idc_stage1_backend(b), idc_backend_cpu(IDC_DTYPE_F32));
    double *x = linear_data(N, n, d, 31, NULL), la = 0, lb = 0;
    ck_assert_int_eq(idc_stage1_fit(a, x, N, NULL, &la, &err), IDC_OK);
    ck_assert_int_eq(idc_stage1_fit(b, x, N, NULL, &lb, &err), IDC_OK);
    ck_assert(memcmp(&la, &lb, sizeof la) == 0);
    double *pa = dalloc(idc_stage1_nparams(a)), *pb = dalloc(idc_stage1_nparams(b));
    idc_stage1_get_params(a, pa);
    idc_stage1_get_params(b, pb);
    ck_assert(memcmp(pa, pb, idc_stage1_nparams(a) * sizeof(double)) == 0);
    ck_assert_ptr_null(idc_stage1_new_backend(&c, d, NULL, &err));
    ck_assert(strstr(err.msg, "stage1.backend") != NULL);
    idc_stage1_free(a);
    idc_stage1_free(b);
    free(x);
    free(pa);
    free(pb);
}
END_TEST

/* After BN recalibration on x, the eval-mode codes of x have mean beta and
 * variance gamma^2 var / (var + eps) per coordinate (the population
 * statistics are the data's), and the decoder reproduces x at least as well
 * as before; weights are unchanged. */
START_TEST(test_recalibrate)
{
    size_t n = 2, d = 3, N = 400;
    idc_stage1_config c;
    small_config(&c, n, 2, 32, 200);
    c.lr = 1e-2; /* a drifting code, so the running statistics lag */
    idc_err err;
    idc_stage1 *s = idc_stage1_new(&c, d, &err);
    double *x = linear_data(N, n, d, 77, NULL);
    ck_assert_int_eq(idc_stage1_fit(s, x, N, NULL, NULL, &err), IDC_OK);
    size_t np = idc_stage1_nparams(s);
    double *p0 = dalloc(np), *p1 = dalloc(np), *z = dalloc(N * n);
    idc_stage1_get_params(s, p0);
    ck_assert_int_eq(idc_stage1_recalibrate_bn(s, x, N, &err), IDC_OK);
    idc_stage1_get_params(s, p1);
    ck_assert(memcmp(p0, p1, np * sizeof(double)) == 0);
    ck_assert_int_eq(idc_stage1_encode(s, z, x, N, &err), IDC_OK);
    idc_mlp *enc = idc_stage1_encoder(s);
    size_t off, cnt, L = idc_mlp_nlayers(enc);
    idc_mlp_param_range(enc, L - 1, &off, &cnt); /* gamma (n), beta (n) */
    for (size_t j = 0; j < n; j++) {
        double mean = 0;
        for (size_t i = 0; i < N; i++)
            mean += z[i * n + j] / (double)N;
        double beta = p1[off + n + j], gamma = p1[off + j];
        ck_assert_msg(fabs(mean - beta) < 1e-4 * (1 + fabs(gamma)), "coordinate %zu: mean %.6g beta %.6g", j, mean,
                      beta);
    }
    ck_assert_int_eq(idc_stage1_recalibrate_bn(s, x, 1, &err), IDC_EINVAL);
    /* decode(encode(x)) is the eval-mode reconstruction, bit for bit */
    double *xa = dalloc(N * d), *xb = dalloc(N * d);
    ck_assert_int_eq(idc_stage1_decode(s, xa, z, N, &err), IDC_OK);
    ck_assert_int_eq(idc_stage1_reconstruct(s, xb, x, N, &err), IDC_OK);
    ck_assert(memcmp(xa, xb, N * d * sizeof(double)) == 0);
    z[0] = NAN;
    ck_assert_int_eq(idc_stage1_decode(s, xa, z, N, &err), IDC_EINVAL);
    free(xa);
    free(xb);
    idc_stage1_free(s);
    free(x);
    free(p0);
    free(p1);
    free(z);
}
END_TEST

/* blas_threads (OpenBLAS threads in fit/encode) changes no bit: the GEMMs
 * split their output among threads, never the inner products. */
START_TEST(test_blas_threads_bit_identical)
{
    size_t n = 3, d = 3, N = 300;
    idc_stage1_config c;
    small_config(&c, n, 4, 64, 20);
    idc_err err;
    double *x = linear_data(N, n, d, 91, NULL);
    double *p[2];
    for (unsigned t = 0; t < 2; t++) {
        c.blas_threads = t + 1;
        idc_stage1 *s = idc_stage1_new(&c, d, &err);
        ck_assert_msg(s != NULL, "%s", err.msg);
        ck_assert_int_eq(idc_stage1_fit(s, x, N, NULL, NULL, &err), IDC_OK);
        p[t] = dalloc(idc_stage1_nparams(s));
        idc_stage1_get_params(s, p[t]);
        if (t == 1)
            ck_assert(memcmp(p[0], p[1], idc_stage1_nparams(s) * sizeof(double)) == 0);
        idc_stage1_free(s);
    }
    free(p[0]);
    free(p[1]);
    free(x);
}
END_TEST

START_TEST(test_input_errors)
{
    size_t n = 2, d = 3, N = 20;
    idc_stage1_config c;
    small_config(&c, n, 2, 8, 5);
    idc_stage1 *s = new_model(&c, d, IDC_DTYPE_F32);
    double *x = linear_data(N, n, d, 30, NULL), z[40], *p0 = dalloc(idc_stage1_nparams(s)),
           *p1 = dalloc(idc_stage1_nparams(s));
    idc_stage1_get_params(s, p0);
    idc_err err;
    ck_assert_int_eq(idc_stage1_fit(s, NULL, N, NULL, NULL, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "stage1.x") != NULL);
    ck_assert_int_eq(idc_stage1_fit(s, x, 0, NULL, NULL, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "n = 0") != NULL);
    x[3 * d + 1] = NAN;
    ck_assert_int_eq(idc_stage1_fit(s, x, N, NULL, NULL, &err), IDC_EINVAL);
    ck_assert_msg(strstr(err.msg, "stage1.x[3][1]") != NULL, "%s", err.msg);
    ck_assert_int_eq(idc_stage1_encode(s, z, x, N, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_stage1_reconstruct(s, z, x, 1, &err), IDC_OK); /* row 3 not read */
    x[3 * d + 1] = -INFINITY;
    ck_assert_int_eq(idc_stage1_loss(s, x, N, NULL, NULL, &err), IDC_EINVAL);
    x[3 * d + 1] = 1e300; /* finite but not a float */
    ck_assert_int_eq(idc_stage1_fit(s, x, N, NULL, NULL, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_stage1_encode(s, z, NULL, N, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_stage1_encode(s, z, x, 0, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_stage1_loss_grad(s, x, 1, NULL, NULL, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "stage1.rows") != NULL);
    ck_assert_int_eq(idc_stage1_loss_grad(s, x, 9, NULL, NULL, &err), IDC_EINVAL);
    idc_stage1_get_params(s, p1);
    ck_assert(memcmp(p0, p1, idc_stage1_nparams(s) * sizeof(double)) == 0);
    ck_assert_uint_eq(idc_stage1_steps_done(s), 0);

    /* A diverging run reports IDC_EDOM. */
    idc_stage1_config cd = c;
    cd.lr = 1e30;
    cd.steps = 50;
    idc_stage1 *sd = new_model(&cd, d, IDC_DTYPE_F32);
    x[3 * d + 1] = 0.5;
    double fin = 0.0;
    ck_assert_int_eq(idc_stage1_fit(sd, x, N, NULL, &fin, &err), IDC_EDOM);
    ck_assert_msg(strstr(err.msg, "not finite") != NULL, "%s", err.msg);
    idc_stage1_free(sd);

    /* steps = 0 trains nothing and reports NaN. */
    idc_stage1_config c0 = c;
    c0.steps = 0;
    idc_stage1 *s0 = new_model(&c0, d, IDC_DTYPE_F32);
    ck_assert_int_eq(idc_stage1_fit(s0, x, N, NULL, &fin, &err), IDC_OK);
    ck_assert(isnan(fin));
    idc_stage1_free(s0);
    free(x);
    free(p0);
    free(p1);
    idc_stage1_free(s);
}
END_TEST

static Suite *stage1_suite(void)
{
    Suite *s = suite_create("stage1");
    const idc_test_case cases[] = {
        {"config_default", test_config_default},
        {"grad_full_small", test_grad_full_small},
        {"grad_sampled_medium", test_grad_sampled_medium},
        {"grad_float_vs_double", test_grad_float_vs_double},
        {"loss_definition", test_loss_definition},
        {"documented_streams", test_documented_streams},
        {"deterministic", test_deterministic},
        {"resume", test_resume},
        {"parallel_trials", test_parallel_trials},
        {"training_sanity", test_training_sanity},
        {"save_load", test_save_load},
        {"config_errors", test_config_errors},
        {"input_errors", test_input_errors},
        {"new_backend", test_new_backend},
        {"recalibrate", test_recalibrate},
        {"blas_threads", test_blas_threads_bit_identical},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 120);
    return s;
}

int main(void)
{
    g_seed = idc_test_seed(DEFAULT_SEED);
    IDC_TEST_PRINT_SEED("stage1", g_seed);
    return idc_test_run(stage1_suite());
}
