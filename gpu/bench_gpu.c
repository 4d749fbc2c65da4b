/* Micro benchmark of the Stage-1 and Stage-2 training steps on the CUDA
 * backend (the GPU counterpart of ci/bench_stage1.c; run by `make
 * bench-gpu` through gpu/bench.sh).
 *
 *   bench_gpu N MODE BATCH STEPS
 *     MODE paper: Stage 1, hidden widths (50n, 100n, 100n, 50n); small:
 *          (10n x 4); ci: (8n, 16n, 16n, 8n); xdim = n.
 *          stage2: Stage 2 (models/estimators/stage2.h) at its default widths
 *          (10n, 50n x 4, 10n), through idc_stage2_fit itself; a step is
 *          two gradient evaluations (extra-gradient), each ending with one
 *          read of two numbers for the multiplier: SYNCS_PER_STEP = 2; its
 *          floor is twice the GEMMs of one evaluation.
 *   bench_gpu M flow N STEPS
 *     the flow estimator (models/estimators/flow.h: m = M, depth 2, J 3,
 *     random start) on N rows, STEPS full-batch Adam steps through
 *     idc_flow_fit (one validation pass of N/4 rows at the end, no prior
 *     EM), on the CPU (1 thread) and with device = cuda: prints
 *       flow M N STEPS CPU_ROWS_PER_S CUDA_ROWS_PER_S SPEEDUP
 *     (gradient rows per second: STEPS * N / seconds, best of 3 fits).
 * IDC_GPU_BENCH_CPU=1 runs the same code on the CPU backend (a smoke test
 * of this program on a machine without a device; the figures mean
 * nothing).
 *
 * Prints one line:
 *   cuda N MODE BATCH PARAMS GFLOP_PER_STEP MS_PER_STEP FLOOR_MS SYNCS_PER_STEP
 * or "SKIPPED: no CUDA device (...)" (exit 0) without a device.
 *
 * Stage 1 is timed through idc_stage1_fit itself on the table, as `fit
 * --device cuda` runs it: the minibatch drawn on the device
 * (gather_random_rows), the loss terms kept in device memory and read
 * every IDC_STAGE1_CHECK_EVERY steps and at the last (SYNCS_PER_STEP, a
 * fraction), the data uploaded once per fit call.
 * ms/step = best of 3 fits of STEPS steps after a 5-step warm-up fit. The
 * floor is the sum over the step's GEMMs at their exact shapes (per dense
 * layer: forward, weight gradient, input gradient except for the encoder's
 * first layer) of the mean time of 50 back-to-back calls of that cuBLAS
 * SGEMM through the same table (same math mode: TF32 off unless
 * IDC_CUDA_MATH=tf32), measured in the same run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gpu/cuda.h"
#include "models/engine/engine.h"
#include "models/estimators/flow.h"
#include "models/estimators/stage1.h"
#include "models/estimators/stage1_impl.h"
#include "models/estimators/stage2.h"
#include "numeric/rng.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int fail(const char *what, const idc_err *err)
{
    fprintf(stderr, "bench_gpu: %s: %s\n", what, err->msg);
    return 1;
}

/* Waits for the device (nothing to wait for on the CPU backend). */
static int sync_be(const idc_backend *be, idc_err *err)
{
    return idc_gpu_is_cuda(be) ? idc_gpu_sync(be, err) : IDC_OK;
}

/* Mean seconds of one row-major SGEMM call of the given shape. */
static double time_gemm(const idc_backend *be, int ta, int tb, size_t m, size_t n, size_t k, void *A, void *B,
                        void *C)
{
    size_t lda = ta ? m : k, ldb = tb ? k : n;
    idc_err err;
    for (int i = 0; i < 3; i++)
        be->gemm(be, ta, tb, m, n, k, 1.0, A, lda, B, ldb, 0.0, C, n);
    sync_be(be, &err);
    const int reps = 50;
    double t0 = now_s();
    for (int i = 0; i < reps; i++)
        be->gemm(be, ta, tb, m, n, k, 1.0, A, lda, B, ldb, 0.0, C, n);
    sync_be(be, &err);
    return (now_s() - t0) / reps;
}

/* The floor in seconds of one forward-backward pass through dense layers
 * with widths w[0..k) (layer i maps w[i] -> w[i+1]) on batch rows: per
 * layer Y = X W^T, dW = dY^T X and, except for the first, dX = dY W;
 * *macs receives the multiply-adds of one forward pass. Negative when out
 * of memory. */
static double gemm_floor(const idc_backend *be, const size_t *w, size_t k, size_t batch, double *macs)
{
    size_t maxw = 1;
    *macs = 0.0;
    for (size_t i = 0; i + 1 < k; i++) {
        *macs += (double)batch * (double)w[i] * (double)w[i + 1];
        maxw = w[i] > maxw ? w[i] : maxw;
        maxw = w[i + 1] > maxw ? w[i + 1] : maxw;
    }
    size_t big = batch * maxw > maxw * maxw ? batch * maxw : maxw * maxw;
    double *hv = malloc(big * sizeof(double));
    void *A = be->alloc(be, big), *B = be->alloc(be, big), *C = be->alloc(be, big);
    double floor_s = -1.0;
    if (hv != NULL && A != NULL && B != NULL && C != NULL) {
        idc_rng_normal_fill(hv, big, idc_rng_stream(2, 0, IDC_PURPOSE_GENERATOR), 0);
        for (size_t i = 0; i < big; i++)
            hv[i] *= 0.1;
        be->set_d(be, A, hv, big);
        be->set_d(be, B, hv, big);
        floor_s = 0.0;
        for (size_t i = 0; i + 1 < k; i++) {
            size_t in = w[i], out = w[i + 1];
            floor_s += time_gemm(be, 0, 1, batch, out, in, A, B, C); /* Y = X W^T */
            floor_s += time_gemm(be, 1, 0, out, in, batch, A, B, C); /* dW = dY^T X */
            if (i != 0)
                floor_s += time_gemm(be, 0, 0, batch, in, out, A, B, C); /* dX = dY W */
        }
    }
    be->release(be, A);
    be->release(be, B);
    be->release(be, C);
    free(hv);
    return floor_s;
}

/* Stage 2 through idc_stage2_fit: best of 3 fits of `steps` steps after a
 * 5-step warm-up, on 4 batch rows of standard-normal codes. */
static int bench_stage2(const idc_backend *be, size_t n, size_t batch, size_t steps)
{
    idc_err err = {{0}};
    idc_stage2_config c;
    idc_stage2_config_default(&c, n);
    c.batch = batch;
    c.log_every = 0;
    size_t rows = 4 * batch;
    double *codes = malloc(rows * n * sizeof(double));
    if (codes == NULL)
        return 1;
    idc_rng_normal_fill(codes, rows * n, idc_rng_stream(3, 0, IDC_PURPOSE_GENERATOR), 0);
    idc_stage2 *s = idc_stage2_new_backend(&c, be, &err);
    if (s == NULL)
        return fail("stage2", &err);
    double best = INFINITY;
    for (int rep = 0; rep < 4; rep++) {
        c.steps = rep == 0 ? 5 : steps; /* the first is a warm-up */
        idc_stage2_free(s);
        s = idc_stage2_new_backend(&c, be, &err);
        if (s == NULL)
            return fail("stage2", &err);
        double t0 = now_s();
        idc_stage2_status st;
        if (idc_stage2_fit(s, codes, rows, NULL, &st, &err) != IDC_OK || sync_be(be, &err) != IDC_OK)
            return fail("stage2 fit", &err);
        double dt = (now_s() - t0) / (double)c.steps;
        if (rep > 0 && dt < best)
            best = dt;
    }
    /* encoder n -> 10n -> 50n x 4 -> 10n -> n, decoder the mirror */
    size_t w[16], k = 0;
    w[k++] = n;
    for (size_t i = 0; i < c.nhidden; i++)
        w[k++] = c.mult[i] * n;
    w[k++] = n;
    for (size_t i = c.nhidden; i-- > 0;)
        w[k++] = c.mult[i] * n;
    w[k++] = n;
    double macs = 0.0, f = gemm_floor(be, w, k, batch, &macs);
    if (f < 0) {
        fprintf(stderr, "bench_gpu: out of memory for the floor\n");
        return 1;
    }
    printf("%s %zu stage2 %zu 0 %.4f %.3f %.3f 2\n", idc_gpu_is_cuda(be) ? "cuda" : "cpu", n, batch,
           2.0 * 6.0 * macs * 1e-9, 1e3 * best, 2.0 * 1e3 * f);
    idc_stage2_free(s);
    free(codes);
    return 0;
}

/* Stage 1 through idc_stage1_fit itself (as on any backend): best of 3
 * fits of `steps` steps after a 5-step warm-up, on 4 batch rows of
 * standard-normal data, xdim = n, lr 1e-4. */
static int bench_stage1(const idc_backend *be, const char *mode, size_t n, const size_t *mult, size_t batch,
                        size_t steps)
{
    idc_err err = {{0}};
    idc_stage1_config c;
    idc_stage1_config_default(&c, n);
    if (idc_stage1_config_set_hidden_mult(&c, 4, mult, &err) != IDC_OK)
        return fail("widths", &err);
    c.batch = batch;
    c.log_every = 0;
    size_t d = n, rows = 4 * batch;
    double *x = malloc(rows * d * sizeof(double));
    if (x == NULL)
        return 1;
    idc_rng_normal_fill(x, rows * d, idc_rng_stream(1, 0, IDC_PURPOSE_GENERATOR), 0);
    double best = INFINITY, loss = NAN;
    size_t nparams = 0;
    for (int rep = 0; rep < 4; rep++) {
        c.steps = rep == 0 ? 5 : steps; /* the first is a warm-up */
        idc_stage1 *s = idc_stage1_new_backend(&c, d, be, &err);
        if (s == NULL)
            return fail("stage1", &err);
        nparams = idc_stage1_nparams(s);
        double t0 = now_s();
        if (idc_stage1_fit(s, x, rows, NULL, &loss, &err) != IDC_OK || sync_be(be, &err) != IDC_OK)
            return fail("stage1 fit", &err);
        double dt = (now_s() - t0) / (double)c.steps;
        if (rep > 0 && dt < best)
            best = dt;
        idc_stage1_free(s);
    }
    if (!isfinite(loss)) {
        fprintf(stderr, "bench_gpu: the loss is not finite\n");
        return 1;
    }
    /* the floor: the step's GEMMs at their exact shapes */
    size_t w[2 * IDC_STAGE1_MAX_HIDDEN + 4], k = 0;
    w[k++] = d;
    for (size_t i = 0; i < c.nhidden; i++)
        w[k++] = c.hidden[i];
    w[k++] = n;
    for (size_t i = c.nhidden; i-- > 0;)
        w[k++] = c.hidden[i];
    w[k++] = d;
    double macs = 0.0, floor_s = gemm_floor(be, w, k, batch, &macs);
    if (floor_s < 0) {
        fprintf(stderr, "bench_gpu: out of memory for the floor\n");
        return 1;
    }
    if (sync_be(be, &err) != IDC_OK)
        return fail("device", &err);
    /* idc_stage1_fit reads the loss every IDC_STAGE1_CHECK_EVERY steps and at its last */
    double syncs = ((double)(steps / IDC_STAGE1_CHECK_EVERY) + 1.0) / (double)steps;
    printf("%s %zu %s %zu %zu %.4f %.3f %.3f %.2f\n", idc_gpu_is_cuda(be) ? "cuda" : "cpu", n, mode, batch, nparams,
           6.0 * macs * 1e-9, 1e3 * best, 1e3 * floor_s, syncs);
    free(x);
    return 0;
}

/* Gradient rows per second of `steps` full-batch flow steps on n rows:
 * the best of 3 fits (after a 3-step warm-up) from the same start. */
static int flow_rate(double *rate, idc_device device, size_t m, size_t n, size_t steps, const double *x,
                     const double *xv)
{
    idc_err err = {{0}};
    idc_flow_config c;
    idc_flow_config_default(&c, m);
    c.steps = 3;
    c.eval_every = 1000000;
    c.prior_em = 0;
    c.device = device;
    idc_flow *f = idc_flow_new(&c, x, n, NULL, &err);
    if (f == NULL)
        return fail("flow", &err);
    size_t np = idc_flow_nparams(f);
    double *theta = malloc(np * sizeof *theta);
    if (theta == NULL)
        return 1;
    idc_flow_get_params(f, theta);
    *rate = 0;
    for (int rep = 0; rep < 4; rep++) {
        c.steps = rep == 0 ? 3 : steps;
        idc_flow_fit_result r;
        idc_flow_set_params(f, theta);
        if (idc_flow_set_training(f, &c, &err) != IDC_OK)
            return fail("flow settings", &err);
        double t0 = now_s();
        if (idc_flow_fit(f, &r, x, n, xv, n / 4, &err) != IDC_OK)
            return fail("flow fit", &err);
        double dt = now_s() - t0;
        idc_flow_fit_result_clear(&r);
        if (rep > 0 && (double)(steps * n) / dt > *rate)
            *rate = (double)(steps * n) / dt;
    }
    free(theta);
    idc_flow_free(f);
    return 0;
}

static int bench_flow(size_t m, size_t n, size_t steps)
{
    size_t rows = n + n / 4;
    double *x = malloc(rows * m * sizeof *x);
    if (x == NULL)
        return 1;
    idc_rng_normal_fill(x, rows * m, idc_rng_stream(1, 0, IDC_PURPOSE_GENERATOR), 0);
    for (size_t i = 0; i < rows && m > 1; i++) /* a bend, so that the leaky units have work */
        x[i * m + 1] += 0.7 * fabs(x[i * m]);
    const char *on_cpu = getenv("IDC_GPU_BENCH_CPU");
    idc_device dev = on_cpu != NULL && strcmp(on_cpu, "1") == 0 ? IDC_DEVICE_CPU : IDC_DEVICE_CUDA;
    double cpu = 0, gpu = 0;
    if (flow_rate(&cpu, IDC_DEVICE_CPU, m, n, steps, x, x + n * m) != 0 ||
        flow_rate(&gpu, dev, m, n, steps, x, x + n * m) != 0)
        return 1;
    printf("flow %zu %zu %zu %.0f %.0f %.2f\n", m, n, steps, cpu, gpu, gpu / cpu);
    free(x);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: bench_gpu N paper|small|ci|stage2 BATCH STEPS | bench_gpu M flow ROWS STEPS\n");
        return 2;
    }
    size_t n = strtoul(argv[1], NULL, 10), batch = strtoul(argv[3], NULL, 10);
    size_t steps = strtoul(argv[4], NULL, 10);
    const char *mode = argv[2];
    if (strcmp(mode, "flow") == 0) {
        if (n < 1 || n > IDC_FLOW_MAX_DIM || batch < 100 || steps == 0)
            return 2;
        const char *on_cpu = getenv("IDC_GPU_BENCH_CPU");
        idc_err err = {{0}};
        if ((on_cpu == NULL || strcmp(on_cpu, "1") != 0) && idc_gpu_device_count(&err) == 0) {
            printf("SKIPPED: no CUDA device (%s)\n", err.msg);
            return 0;
        }
        return bench_flow(n, batch, steps);
    }
    size_t mult[4];
    int stage2 = strcmp(mode, "stage2") == 0;
    if (stage2)
        memcpy(mult, (size_t[4]){0, 0, 0, 0}, sizeof mult);
    else if (strcmp(mode, "paper") == 0)
        memcpy(mult, (size_t[4]){50, 100, 100, 50}, sizeof mult);
    else if (strcmp(mode, "small") == 0)
        memcpy(mult, (size_t[4]){10, 10, 10, 10}, sizeof mult);
    else if (strcmp(mode, "ci") == 0)
        memcpy(mult, (size_t[4]){8, 16, 16, 8}, sizeof mult);
    else
        return 2;
    if (n == 0 || batch < 2 || steps == 0)
        return 2;
    idc_err err = {{0}};
    const char *on_cpu = getenv("IDC_GPU_BENCH_CPU");
    const idc_backend *be = on_cpu != NULL && strcmp(on_cpu, "1") == 0 ? idc_backend_cpu(IDC_DTYPE_F32)
                                                                         : idc_backend_cuda(IDC_DTYPE_F32, &err);
    if (be == NULL) {
        printf("SKIPPED: no CUDA device (%s)\n", err.msg);
        return 0;
    }
    if (stage2)
        return bench_stage2(be, n, batch, steps);
    return bench_stage1(be, mode, n, mult, batch, steps);
}
