/* Micro benchmark of the Stage-1 estimator on the CPU backend: wall-clock
 * milliseconds per training step (forward, backward, Adam on encoder and
 * decoder) with the paper's widths (50n, 100n, 100n, 50n), xdim = n (the
 * reference code's default), OpenBLAS on one thread as in training.
 *
 *   bench_stage1                 n in {3, 10} x batch in {512, 6144}
 *   bench_stage1 N BATCH [STEPS] one configuration
 *
 * Prints one line per configuration: n, batch, parameters, GFLOP per step
 * (6 batch sum(in out): forward, weight and input gradients), ms per step
 * (best of three fits of STEPS steps after a warm-up fit), the GEMM floor of the
 * same step measured in the same run, their ratio, and GFLOP/s. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cblas.h>

#include "models/stage1.h"
#include "models/stage1_impl.h"
#include "numeric/rng.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The floor: the same dense GEMMs one training step performs (forward,
 * weight gradient, input gradient per layer), issued back to back as raw
 * cblas_sgemm calls on one thread: ms for one step's GEMMs, best of 3. */
static double gemm_floor(const size_t *w, size_t k, size_t batch)
{
    size_t maxw = 1;
    for (size_t i = 0; i < k; i++)
        if (w[i] > maxw)
            maxw = w[i];
    float *A = calloc(batch * maxw, sizeof(float)), *B = calloc(maxw * maxw, sizeof(float));
    float *C = calloc(batch * maxw, sizeof(float));
    if (A == NULL || B == NULL || C == NULL) {
        free(A);
        free(B);
        free(C);
        return -1.0;
    }
    for (size_t i = 0; i < batch * maxw; i++)
        A[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < maxw * maxw; i++)
        B[i] = (float)(i % 5) * 0.1f;
    double best = 1e300;
    for (int rep = 0; rep < 4; rep++) {
        double t0 = now_s();
        for (size_t i = 0; i + 1 < k; i++) {
            int in = (int)w[i], out = (int)w[i + 1], b = (int)batch;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, out, in, 1.0f, A, in, B, in, 0.0f, C, out);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, b, 1.0f, C, out, A, in, 0.0f, B, in);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, in, out, 1.0f, C, out, B, in, 0.0f, A, in);
        }
        double dt = now_s() - t0;
        if (rep > 0 && dt < best)
            best = dt;
    }
    free(A);
    free(B);
    free(C);
    return 1e3 * best;
}

static int bench(size_t n, size_t batch, size_t steps)
{
    size_t d = n, rows = 4 * batch;
    idc_stage1_config c;
    idc_stage1_config_default(&c, n);
    c.batch = batch;
    c.steps = steps;
    c.seed = 1;
    double *x = malloc(rows * d * sizeof(double));
    if (x == NULL)
        return 1;
    idc_rng r = idc_rng_stream(1, 0, IDC_PURPOSE_GENERATOR);
    idc_rng_normal_fill(x, rows * d, r, 0);
    idc_err err;
    idc_stage1 *s = idc_stage1_new(&c, d, &err);
    if (s == NULL) {
        fprintf(stderr, "bench_stage1: %s\n", err.msg);
        free(x);
        return 1;
    }
    /* Flops of the dense layers: 2 batch in out each for the forward pass,
     * the weight gradient and the input gradient. */
    double macs = 0.0;
    size_t w[2 * IDC_STAGE1_MAX_HIDDEN + 4], k = 0;
    w[k++] = d;
    for (size_t i = 0; i < c.nhidden; i++)
        w[k++] = c.hidden[i];
    w[k++] = n;
    for (size_t i = c.nhidden; i-- > 0;)
        w[k++] = c.hidden[i];
    w[k++] = d;
    for (size_t i = 0; i + 1 < k; i++)
        macs += (double)w[i] * (double)w[i + 1];
    double gflop = 6.0 * (double)batch * macs * 1e-9;

    double best = 1e300;
    for (int rep = 0; rep < 4; rep++) { /* the first is a warm-up */
        double t0 = now_s();
        if (idc_stage1_fit(s, x, rows, NULL, NULL, &err) != IDC_OK) {
            fprintf(stderr, "bench_stage1: %s\n", err.msg);
            idc_stage1_free(s);
            free(x);
            return 1;
        }
        double dt = (now_s() - t0) / (double)steps;
        if (rep > 0 && dt < best)
            best = dt;
    }
    double floor_ms = gemm_floor(w, k, batch);
    printf("| %3zu | %5zu | %9zu | %8.3f | %9.2f | %9.2f | %5.2f | %6.1f |\n", n, batch, idc_stage1_nparams(s),
           gflop, 1e3 * best, floor_ms, 1e3 * best / floor_ms, gflop / best);
    idc_stage1_free(s);
    free(x);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3) {
        size_t steps = argc >= 4 ? strtoul(argv[3], NULL, 10) : 5;
        return bench(strtoul(argv[1], NULL, 10), strtoul(argv[2], NULL, 10),
                     steps == 0 ? 1 : steps);
    }
    static const size_t ns[] = {3, 10}, bs[] = {512, 6144};
    int rc = 0;
    printf("Stage-1 training step on the CPU (one OpenBLAS thread), paper widths (50n,100n,100n,50n)\n"
           "floor = the step's GEMMs as raw cblas_sgemm calls, measured in the same run\n\n"
           "|   n | batch |    params | GFLOP/st |   ms/step |  floor ms | ratio | GFLOP/s |\n"
           "|----:|------:|----------:|---------:|----------:|----------:|------:|--------:|\n");
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            rc |= bench(ns[i], bs[j], bs[j] >= 4096 ? 3 : 10);
    return rc;
}
