/* Micro benchmark of the Stage-1 estimator on the CPU backend: wall-clock
 * milliseconds per training step (forward, backward, Adam on encoder and
 * decoder), xdim = n (the reference code's default); BLAS_THREADS > 1 is
 * Stage 1's blas_threads (the engine's thread team over one-thread
 * OpenBLAS).
 *
 *   bench_stage1 N MODE BATCH STEPS [BLAS_THREADS]
 *     MODE paper: hidden widths (50n, 100n, 100n, 50n) (the paper's)
 *          small: (10n, 10n, 10n, 10n)
 *          ci:    (8n, 16n, 16n, 8n) (the CI-sized property network)
 *
 * Prints one line:
 *   idcheck N MODE BATCH PARAMS GFLOP_PER_STEP MS_PER_STEP FLOOR_MS PEAK_RSS_MB
 * or, with STEPS = 0, the floor alone with the OpenBLAS core it ran on:
 *   floor N MODE BATCH CORE FLOOR_MS
 * where the floor is the sum, over the step's GEMMs at their exact shapes
 * (per dense layer: forward X W^T, weight gradient dY^T X, input gradient
 * dY W, the latter skipped for the encoder's first layer as in the
 * engine), of the best of 5 timings of that raw cblas_sgemm call (with
 * BLAS_THREADS > 1: the better of OpenBLAS's own threads and the engine's
 * thread team running the GEMM cut in parts), measured in the same run; ms/step is the best of 3 fits of STEPS steps after a
 * warm-up fit; PEAK_RSS_MB is the growth of the peak resident set over the
 * run (peak minus the resident set at the start of main: what training
 * allocates, without the shared libraries' pages). ci/bench.sh runs the
 * configurations and prints the table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "models/estimators/stage1.h"
#include "numeric/blas.h"
#include "models/estimators/stage1_impl.h"
#include "numeric/rng.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int g_threads = 1;             /* the run's thread count */
static const idc_backend *g_team;     /* the threaded CPU table when g_threads > 1 */

/* Best of 5 of one sgemm (row-major) with fresh, finite operands: the raw
 * cblas_sgemm on g_threads OpenBLAS threads and, with more than one
 * thread, the same GEMM cut and spread over the engine's thread team
 * (OpenBLAS on one thread each); the faster of the two. */
static double best_gemm(int ta, int tb, int m, int n, int k, float *A, float *B, float *C)
{
    int lda = ta ? m : k, ldb = tb ? k : n;
    double best = 1e300;
    for (int way = 0; way < (g_team != NULL ? 2 : 1); way++) {
        openblas_set_num_threads(way == 0 ? g_threads : 1);
        for (int rep = 0; rep < 6; rep++) {
            double t0 = now_s();
            if (way == 0)
                cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k,
                            1.0f, A, lda, B, ldb, 0.0f, C, n);
            else
                g_team->gemm(g_team, ta, tb, (size_t)m, (size_t)n, (size_t)k, 1.0, A, (size_t)lda, B, (size_t)ldb,
                             0.0, C, (size_t)n);
            double dt = now_s() - t0;
            if (rep > 0 && dt < best)
                best = dt;
        }
    }
    return best;
}

/* The floor in ms for dense layers with widths w[0..k) (layer i maps
 * w[i] -> w[i+1]); layer `skip_dx` has no input gradient. */
static double gemm_floor(const size_t *w, size_t k, size_t skip_dx, size_t batch)
{
    size_t maxw = 1;
    for (size_t i = 0; i < k; i++)
        maxw = w[i] > maxw ? w[i] : maxw;
    size_t big = batch * maxw > maxw * maxw ? batch * maxw : maxw * maxw;
    float *A = malloc(big * sizeof(float)), *B = malloc(big * sizeof(float)), *C = malloc(big * sizeof(float));
    if (A == NULL || B == NULL || C == NULL) {
        free(A);
        free(B);
        free(C);
        return -1.0;
    }
    for (size_t i = 0; i < big; i++) {
        A[i] = (float)(i % 7) * 0.01f;
        B[i] = (float)(i % 5) * 0.01f;
    }
    double total = 0;
    int b = (int)batch;
    for (size_t i = 0; i + 1 < k; i++) {
        int in = (int)w[i], out = (int)w[i + 1];
        total += best_gemm(0, 1, b, out, in, A, B, C); /* Y = X W^T */
        total += best_gemm(1, 0, out, in, b, A, B, C); /* dW = dY^T X */
        if (i != skip_dx)
            total += best_gemm(0, 0, b, in, out, A, B, C); /* dX = dY W */
    }
    free(A);
    free(B);
    free(C);
    return 1e3 * total;
}

/* Resident set now, in MB (/proc/self/statm). */
static double rss_now_mb(void)
{
    FILE *fp = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (fp != NULL) {
        if (fscanf(fp, "%ld %ld", &pages, &res) != 2)
            res = 0;
        fclose(fp);
    }
    return (double)res * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

int main(int argc, char **argv)
{
    double rss0 = rss_now_mb();
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: bench_stage1 N paper|small|ci BATCH STEPS [BLAS_THREADS]\n");
        return 2;
    }
    size_t n = strtoul(argv[1], NULL, 10), batch = strtoul(argv[3], NULL, 10), steps = strtoul(argv[4], NULL, 10);
    const char *mode = argv[2];
    size_t mult[4];
    if (strcmp(mode, "paper") == 0)
        memcpy(mult, (size_t[4]){50, 100, 100, 50}, sizeof mult);
    else if (strcmp(mode, "small") == 0)
        memcpy(mult, (size_t[4]){10, 10, 10, 10}, sizeof mult);
    else if (strcmp(mode, "ci") == 0)
        memcpy(mult, (size_t[4]){8, 16, 16, 8}, sizeof mult);
    else {
        fprintf(stderr, "bench_stage1: MODE must be paper, small or ci\n");
        return 2;
    }
    int floor_only = steps == 0; /* STEPS = 0: the floor alone (ci/bench.sh, other OpenBLAS cores) */
    if (n == 0 || batch < 2)
        return 2;
    if (floor_only)
        steps = 1;
    size_t d = n, rows = 4 * batch;
    idc_stage1_config c;
    idc_stage1_config_default(&c, n);
    idc_err err;
    if (idc_stage1_config_set_hidden_mult(&c, 4, mult, &err) != IDC_OK) {
        fprintf(stderr, "bench_stage1: %s\n", err.msg);
        return 1;
    }
    c.batch = batch;
    c.steps = steps;
    c.seed = 1;
    c.blas_threads = argc == 6 ? (unsigned)strtoul(argv[5], NULL, 10) : 1;
    double *x = malloc(rows * d * sizeof(double));
    if (x == NULL)
        return 1;
    idc_rng r = idc_rng_stream(1, 0, IDC_PURPOSE_GENERATOR);
    idc_rng_normal_fill(x, rows * d, r, 0);
    idc_stage1 *s = idc_stage1_new(&c, d, &err);
    if (s == NULL) {
        fprintf(stderr, "bench_stage1: %s\n", err.msg);
        free(x);
        return 1;
    }
    size_t w[2 * IDC_STAGE1_MAX_HIDDEN + 4], k = 0;
    w[k++] = d;
    for (size_t i = 0; i < c.nhidden; i++)
        w[k++] = c.hidden[i];
    w[k++] = n;
    for (size_t i = c.nhidden; i-- > 0;)
        w[k++] = c.hidden[i];
    w[k++] = d;
    double macs = 0.0;
    for (size_t i = 0; i + 1 < k; i++)
        macs += (double)w[i] * (double)w[i + 1];
    double gflop = 6.0 * (double)batch * macs * 1e-9;
    double best = 1e300;
    for (int rep = 0; rep < (floor_only ? 0 : 4); rep++) { /* the first is a warm-up */
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
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rss_mb = (double)ru.ru_maxrss / 1024.0 - rss0;
    /* the floor at the same thread count */
    g_threads = c.blas_threads > 1 ? (int)c.blas_threads : 1;
    idc_backend *team = g_threads > 1 ? idc_backend_cpu_new(IDC_DTYPE_F32, (unsigned)g_threads, &err) : NULL;
    g_team = team;
    double floor_ms = gemm_floor(w, k, 0, batch);
    idc_backend_cpu_free(team);
    if (floor_only)
        printf("floor %zu %s %zu %s %.3f\n", n, mode, batch, idc_blas_core(), floor_ms);
    else
        printf("idcheck %zu %s %zu %zu %.4f %.3f %.3f %.1f\n", n, mode, batch, idc_stage1_nparams(s), gflop,
               1e3 * best, floor_ms, rss_mb);
    idc_stage1_free(s);
    free(x);
    return 0;
}
