/* Host-side tests of the CUDA backend (run everywhere, no GPU needed):
 * the launch plans of gpu/launch.h (every element covered exactly once,
 * limits, workspace), the row-major -> column-major GEMM mapping of
 * gpu/gemm_map.h against CBLAS (the mapped column-major call must compute
 * what the row-major call computes), the run-time backend selection
 * of models/engine/backend_select.h (cpu with a visible note when CUDA is
 * absent), and the loader of the CUDA backend library (gpu/cuda_loader.c):
 * the CPU path maps no CUDA library, a device request loads it, and every
 * way a library can be wrong (missing, not a backend, another build) is
 * refused with the reason, checked with the stand-in fake-plugin.so. The
 * loader's tests run in fresh processes (this program re-executed with
 * --child NAME), since a loaded library stays loaded. */
#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cblas.h>

#include "gpu/cuda.h"
#include "gpu/gemm_map.h"
#include "gpu/launch.h"
#include "models/engine/backend_select.h"
#include "models/estimators/flow.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

#define DEFAULT_SEED 0x6e0ce11ULL

static uint64_t g_seed;

static uint64_t draw(uint32_t id, uint64_t k, uint64_t n)
{
    return idc_rng_below(idc_rng_stream(g_seed, id, IDC_PURPOSE_GENERATOR), k, n);
}

/* ---- launch plans ------------------------------------------------------ */

/* Counts how often a grid-stride launch touches each of n elements. */
static void check_grid_stride(idc_gpu_grid1d g, size_t n)
{
    if (n == 0) {
        ck_assert_uint_eq(g.grid, 0);
        return;
    }
    ck_assert_uint_ge(g.grid, 1);
    unsigned char *hit = calloc(n, 1);
    ck_assert_ptr_nonnull(hit);
    for (size_t b = 0; b < g.grid; b++)
        for (size_t t = 0; t < g.block; t++)
            for (size_t i = b * g.block + t; i < n; i += (size_t)g.grid * g.block)
                hit[i]++;
    for (size_t i = 0; i < n; i++)
        if (hit[i] != 1)
            ck_abort_msg("element %zu of %zu touched %u times (grid %u)", i, n, hit[i], g.grid);
    free(hit);
}

START_TEST(test_plan_elementwise)
{
    ck_assert_uint_eq(idc_gpu_plan_elementwise(0).grid, 0);
    ck_assert_uint_eq(idc_gpu_plan_elementwise(1).grid, 1);
    ck_assert_uint_eq(idc_gpu_plan_elementwise(IDC_GPU_BLOCK).grid, 1);
    ck_assert_uint_eq(idc_gpu_plan_elementwise(IDC_GPU_BLOCK + 1).grid, 2);
    ck_assert_uint_eq(idc_gpu_plan_elementwise((size_t)1 << 40).grid, IDC_GPU_MAX_GRID);
    ck_assert_uint_eq(idc_gpu_plan_elementwise(5).block, IDC_GPU_BLOCK);
    size_t sizes[] = {0,
                      1,
                      255,
                      256,
                      257,
                      6144 * 10,
                      (size_t)IDC_GPU_MAX_GRID * IDC_GPU_BLOCK,
                      (size_t)IDC_GPU_MAX_GRID * IDC_GPU_BLOCK * 3 + 7};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        check_grid_stride(idc_gpu_plan_elementwise(sizes[i]), sizes[i]);
    IDC_TEST_PRINT_SEED("plan_elementwise", g_seed);
    for (uint64_t k = 0; k < 20; k++) {
        size_t n = (size_t)draw(1, k, 300000);
        check_grid_stride(idc_gpu_plan_elementwise(n), n);
    }
}
END_TEST

START_TEST(test_plan_reduce)
{
    ck_assert_uint_eq(idc_gpu_plan_reduce(0).grid, 0);
    ck_assert_uint_eq(idc_gpu_plan_reduce(3).grid, 1);
    ck_assert_uint_eq(idc_gpu_plan_reduce((size_t)1 << 33).grid, IDC_GPU_REDUCE_BLOCKS);
    /* the final pass is one block of IDC_GPU_BLOCK threads striding over
     * the partials; the tree needs a power-of-two block */
    ck_assert_uint_eq(IDC_GPU_BLOCK & (IDC_GPU_BLOCK - 1), 0);
    size_t sizes[] = {1, 1000, 6144 * 4, (size_t)IDC_GPU_REDUCE_BLOCKS * IDC_GPU_BLOCK + 1,
                      (size_t)IDC_GPU_REDUCE_BLOCKS * IDC_GPU_BLOCK * 5 + 3};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        check_grid_stride(idc_gpu_plan_reduce(sizes[i]), sizes[i]);
}
END_TEST

/* Every (row, col) is added by exactly one thread of one block, inside its
 * chunk, and the blocks are valid CUDA shapes. */
static void check_colplan(size_t rows, size_t cols)
{
    idc_gpu_colplan p = idc_gpu_plan_columns(rows, cols);
    ck_assert_uint_eq(p.block_x * p.block_y, IDC_GPU_COL_THREADS);
    ck_assert_uint_eq(p.block_x & (p.block_x - 1), 0);
    ck_assert_uint_eq(p.block_y & (p.block_y - 1), 0);
    ck_assert_uint_le(p.block_x, 32);
    ck_assert(p.block_x >= (cols < 32 ? cols : 32));
    ck_assert(p.nchunks >= 1 && p.nchunks <= IDC_GPU_COL_CHUNKS);
    ck_assert(p.grid_y == p.nchunks && p.grid_y <= 65535);
    ck_assert(p.chunk_rows * p.nchunks >= rows);
    ck_assert((p.nchunks - 1) * p.chunk_rows < rows); /* no empty chunk */
    ck_assert((size_t)p.grid_x * p.block_x >= cols);
    ck_assert((size_t)(p.grid_x - 1) * p.block_x < cols);
    ck_assert(idc_gpu_workspace_doubles(rows, cols) >= (2 * p.nchunks + 2) * cols);
    ck_assert(idc_gpu_workspace_doubles(rows, cols) >= IDC_GPU_REDUCE_BLOCKS);
    if (rows * cols > 2000000)
        return;
    unsigned char *hit = calloc(rows * cols, 1);
    ck_assert_ptr_nonnull(hit);
    for (size_t by = 0; by < p.grid_y; by++)
        for (size_t bx = 0; bx < p.grid_x; bx++)
            for (size_t ty = 0; ty < p.block_y; ty++)
                for (size_t tx = 0; tx < p.block_x; tx++) {
                    size_t col = bx * p.block_x + tx;
                    size_t r0 = by * p.chunk_rows;
                    size_t r1 = r0 + p.chunk_rows < rows ? r0 + p.chunk_rows : rows;
                    if (col >= cols)
                        continue;
                    for (size_t r = r0 + ty; r < r1; r += p.block_y)
                        hit[r * cols + col]++;
                }
    for (size_t i = 0; i < rows * cols; i++)
        if (hit[i] != 1)
            ck_abort_msg("%zu x %zu: element (%zu, %zu) added %u times", rows, cols, i / cols, i % cols,
                         hit[i]);
    free(hit);
}

START_TEST(test_plan_columns)
{
    size_t shapes[][2] = {{1, 1},       {2, 1},    {2, 10},    {6144, 10},  {6144, 40},        {6144, 400},
                          {6144, 2000}, {129, 33}, {70000, 3}, {100000, 1}, {1 << 24, 1 << 20}};
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
        check_colplan(shapes[i][0], shapes[i][1]);
    idc_gpu_colplan p = idc_gpu_plan_columns(6144, 10);
    ck_assert_uint_eq(p.block_x, 16);
    ck_assert_uint_eq(p.block_y, 16);
    ck_assert_uint_eq(p.nchunks, 48);
    ck_assert_uint_eq(p.chunk_rows, 128);
    p = idc_gpu_plan_columns(70000, 3);
    ck_assert_uint_eq(p.nchunks, IDC_GPU_COL_CHUNKS);
    IDC_TEST_PRINT_SEED("plan_columns", g_seed);
    for (uint64_t k = 0; k < 30; k++)
        check_colplan(1 + (size_t)draw(2, 2 * k, 20000), 1 + (size_t)draw(2, 2 * k + 1, 300));
}
END_TEST

/* The plan's order of addition, simulated on the host in double: a pure
 * function of the shape (two runs agree bit for bit) and equal to the
 * sequential column sums to rounding. */
START_TEST(test_plan_columns_order)
{
    size_t rows = 3000, cols = 7;
    double *y = calloc(rows * cols, sizeof(double));
    ck_assert_ptr_nonnull(y);
    idc_rng_normal_fill(y, rows * cols, idc_rng_stream(g_seed, 3, IDC_PURPOSE_GENERATOR), 0);
    idc_gpu_colplan p = idc_gpu_plan_columns(rows, cols);
    for (size_t c = 0; c < cols; c++) {
        double part[IDC_GPU_COL_CHUNKS], seq = 0.0, abs = 0.0;
        for (size_t r = 0; r < rows; r++) {
            seq += y[r * cols + c];
            abs += fabs(y[r * cols + c]);
        }
        for (size_t ch = 0; ch < p.nchunks; ch++) {
            double lane[IDC_GPU_COL_THREADS] = {0};
            size_t r0 = ch * p.chunk_rows, r1 = r0 + p.chunk_rows < rows ? r0 + p.chunk_rows : rows;
            for (size_t ty = 0; ty < p.block_y; ty++)
                for (size_t r = r0 + ty; r < r1; r += p.block_y)
                    lane[ty] += y[r * cols + c];
            for (size_t s = p.block_y / 2; s > 0; s >>= 1)
                for (size_t ty = 0; ty < s; ty++)
                    lane[ty] += lane[ty + s];
            part[ch] = lane[0];
        }
        double tot = 0.0;
        for (size_t ch = 0; ch < p.nchunks; ch++)
            tot += part[ch];
        ck_assert_msg(fabs(tot - seq) <= 1e-13 * abs, "column %zu: %g vs %g", c, tot, seq);
    }
    free(y);
}
END_TEST

/* ---- GEMM mapping ------------------------------------------------------ */

static double *rnd(size_t n, uint32_t id, uint64_t k0)
{
    double *v = calloc(n == 0 ? 1 : n, sizeof(double));
    ck_assert_ptr_nonnull(v);
    idc_rng_normal_fill(v, n, idc_rng_stream(g_seed, id, IDC_PURPOSE_GENERATOR), k0);
    return v;
}

/* One random case: the row-major CBLAS call vs the mapped column-major
 * CBLAS call on copies of the same C (padding included). */
static void gemm_case(uint64_t k0)
{
    int ta = (int)draw(10, k0, 2), tb = (int)draw(10, k0 + 1, 2);
    size_t m = 1 + draw(10, k0 + 2, 30), n = 1 + draw(10, k0 + 3, 30), k = 1 + draw(10, k0 + 4, 30);
    size_t lda = (ta ? m : k) + draw(10, k0 + 5, 3), ldb = (tb ? k : n) + draw(10, k0 + 6, 3);
    size_t ldc = n + draw(10, k0 + 7, 3);
    size_t arows = ta ? k : m, brows = tb ? n : k;
    double alpha = 0.5 + idc_rng_uniform(idc_rng_stream(g_seed, 11, 5), k0);
    double beta = draw(10, k0 + 8, 2) ? 0.75 : 0.0;
    double *a = rnd(arows * lda, 12, 1000 * k0), *b = rnd(brows * ldb, 13, 1000 * k0);
    double *c1 = rnd(m * ldc, 14, 1000 * k0), *c2 = calloc(m * ldc, sizeof(double));
    ck_assert_ptr_nonnull(c2);
    memcpy(c2, c1, m * ldc * sizeof(double));
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n,
                (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c1, (int)ldc);
    idc_gpu_gemm_cm cm;
    idc_err err = {{0}};
    ck_assert_int_eq(idc_gpu_gemm_map(&cm, ta, tb, m, n, k, lda, ldb, ldc, &err), IDC_OK);
    const double *first = cm.swap ? b : a, *second = cm.swap ? a : b;
    cblas_dgemm(CblasColMajor, cm.trans_first ? CblasTrans : CblasNoTrans,
                cm.trans_second ? CblasTrans : CblasNoTrans, cm.m, cm.n, cm.k, alpha, first, cm.ld_first,
                second, cm.ld_second, beta, c2, cm.ldc);
    for (size_t i = 0; i < m * ldc; i++) {
        double tol = 1e-13 * (1.0 + fabs(c1[i])) * (double)k;
        if (!(fabs(c1[i] - c2[i]) <= tol)) {
            IDC_TEST_FAIL_REPLAY("gemm_map_cblas", g_seed,
                                 "ta=%d tb=%d m=%zu n=%zu k=%zu lda=%zu ldb=%zu ldc=%zu: "
                                 "C[%zu] = %.17g vs %.17g",
                                 ta, tb, m, n, k, lda, ldb, ldc, i, c2[i], c1[i]);
        }
    }
    free(a);
    free(b);
    free(c1);
    free(c2);
}

START_TEST(test_gemm_map_cblas)
{
    IDC_TEST_PRINT_SEED("gemm_map_cblas", g_seed);
    for (uint64_t t = 0; t < 200; t++)
        gemm_case(16 * t);
}
END_TEST

START_TEST(test_gemm_map_fields)
{
    idc_gpu_gemm_cm cm;
    idc_err err = {{0}};
    /* the engine's dense forward: Y (rows x out) = X (rows x in) W^T */
    ck_assert_int_eq(idc_gpu_gemm_map(&cm, 0, 1, 6144, 100, 10, 10, 10, 100, &err), IDC_OK);
    ck_assert_int_eq(cm.swap, 1);
    ck_assert_int_eq(cm.trans_first, 1); /* W, stored out x in, transposed */
    ck_assert_int_eq(cm.trans_second, 0);
    ck_assert_int_eq(cm.m, 100);
    ck_assert_int_eq(cm.n, 6144);
    ck_assert_int_eq(cm.k, 10);
    ck_assert_int_eq(cm.ld_first, 10);
    ck_assert_int_eq(cm.ld_second, 10);
    ck_assert_int_eq(cm.ldc, 100);
}
END_TEST

START_TEST(test_gemm_map_errors)
{
    idc_gpu_gemm_cm cm;
    memset(&cm, 0x5a, sizeof cm);
    idc_gpu_gemm_cm before = cm;
    idc_err err = {{0}};
    ck_assert_int_eq(idc_gpu_gemm_map(&cm, 0, 0, 4, 5, 6, 5, 5, 5, &err), IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "lda"));
    ck_assert_int_eq(idc_gpu_gemm_map(&cm, 0, 0, 4, 5, 6, 6, 4, 5, &err), IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "ldb"));
    ck_assert_int_eq(idc_gpu_gemm_map(&cm, 0, 0, 4, 5, 6, 6, 5, 4, &err), IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "ldc"));
    ck_assert_int_eq(idc_gpu_gemm_map(&cm, 1, 1, 4, 5, 6, 3, 6, 5, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_gpu_gemm_map(&cm, 0, 0, (size_t)INT_MAX + 1, 5, 6, 6, 5, 5, &err), IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "exceeds"));
    ck_assert_int_eq(memcmp(&cm, &before, sizeof cm), 0);
}
END_TEST

/* ---- selection --------------------------------------------------------- */

START_TEST(test_device_parse)
{
    idc_device d;
    idc_err err = {{0}};
    ck_assert_int_eq(idc_device_parse(&d, "cpu", &err), IDC_OK);
    ck_assert_int_eq(d, IDC_DEVICE_CPU);
    ck_assert_int_eq(idc_device_parse(&d, "cuda", &err), IDC_OK);
    ck_assert_int_eq(d, IDC_DEVICE_CUDA);
    ck_assert_int_eq(idc_device_parse(&d, "auto", &err), IDC_OK);
    ck_assert_int_eq(d, IDC_DEVICE_AUTO);
    ck_assert_int_eq(idc_device_parse(&d, "gpu", &err), IDC_EINVAL);
    ck_assert_str_eq(err.msg, "--device: expected cpu, cuda or auto, got \"gpu\"");
    ck_assert_int_eq(idc_device_parse(&d, NULL, &err), IDC_EINVAL);
    ck_assert_str_eq(idc_device_name(IDC_DEVICE_AUTO), "auto");
}
END_TEST

START_TEST(test_select)
{
    const idc_backend *be = NULL;
    char note[IDC_ERR_LEN];
    idc_err err = {{0}}, why = {{0}};
    ck_assert_int_eq(idc_backend_select(&be, IDC_DEVICE_CPU, IDC_DTYPE_F32, note, sizeof note, &err), IDC_OK);
    ck_assert_ptr_eq(be, idc_backend_cpu(IDC_DTYPE_F32));
    ck_assert_str_eq(note, "");
    ck_assert_int_eq(idc_gpu_is_cuda(be), 0);
    ck_assert_int_eq(idc_gpu_status(be, &err), IDC_EINVAL);
    ck_assert_str_eq(idc_gpu_device_name(be), "");
    int ndev = idc_gpu_device_count(&why);
    fprintf(stderr, "test select: built with CUDA: %s, devices: %d%s%s\n", idc_gpu_built() ? "yes" : "no",
            ndev, ndev == 0 ? " -- " : "", ndev == 0 ? why.msg : "");
    ck_assert_int_eq(idc_backend_select(&be, IDC_DEVICE_AUTO, IDC_DTYPE_F64, note, sizeof note, &err),
                     IDC_OK);
    if (ndev == 0) {
        /* the fallback is visible: the note names cpu and the reason */
        fprintf(stderr, "test select: %s\n", note);
        ck_assert_ptr_eq(be, idc_backend_cpu(IDC_DTYPE_F64));
        ck_assert_ptr_nonnull(strstr(note, "--device auto: using cpu (cuda unavailable: "));
        if (!idc_gpu_built())
            ck_assert_ptr_nonnull(strstr(note, "built without CUDA"));
        else
            ck_assert_ptr_nonnull(strstr(note, "no CUDA device"));
        ck_assert_int_eq(idc_backend_select(&be, IDC_DEVICE_CUDA, IDC_DTYPE_F32, note, sizeof note, &err),
                         IDC_EINVAL);
        ck_assert_ptr_null(be);
        ck_assert_ptr_nonnull(strstr(err.msg, "--device cuda: "));
        ck_assert_ptr_null(idc_backend_cuda(IDC_DTYPE_F32, &err));
        ck_assert_ptr_null(idc_gpu_backend_new(IDC_DTYPE_F32, 0, &err));
        ck_assert(err.msg[0] != '\0');
        idc_gpu_backend_free(NULL);
    } else {
        ck_assert_int_eq(idc_gpu_is_cuda(be), 1);
        ck_assert_str_eq(be->name, "cuda-f64");
        ck_assert_str_eq(note, "");
        ck_assert_int_eq(idc_backend_select(&be, IDC_DEVICE_CUDA, IDC_DTYPE_F32, note, sizeof note, &err),
                         IDC_OK);
        ck_assert_ptr_eq(be, idc_backend_cuda(IDC_DTYPE_F32, &err));
        ck_assert_int_eq(idc_gpu_status(be, &err), IDC_OK);
    }
    /* NULL note is allowed */
    ck_assert_int_eq(idc_backend_select(&be, IDC_DEVICE_AUTO, IDC_DTYPE_F32, NULL, 0, &err), IDC_OK);
    ck_assert_int_eq(idc_backend_select(&be, (idc_device)7, IDC_DTYPE_F32, NULL, 0, &err), IDC_EINVAL);
}
END_TEST

/* ---- the loader of libidcheck-cuda.so ---------------------------------- */

static char g_fail[1024];

/* In a --child body: on failure, say where and return the message. */
#define EXPECT(cond, ...)                                                                                         \
    do {                                                                                                          \
        if (!(cond)) {                                                                                            \
            int k_ = snprintf(g_fail, sizeof g_fail, "line %d: %s: ", __LINE__, #cond);                           \
            snprintf(g_fail + k_, sizeof g_fail - (size_t)k_, __VA_ARGS__);                                       \
            return g_fail;                                                                                        \
        }                                                                                                         \
    } while (0)

/* 1 when a line of /proc/self/maps (the files this process has mapped)
 * contains needle. */
static int mapped(const char *needle)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (f == NULL)
        return -1;
    char line[4096];
    int hit = 0;
    while (!hit && fgets(line, sizeof line, f) != NULL)
        hit = strstr(line, needle) != NULL;
    fclose(f);
    return hit;
}

/* The first CUDA library mapped, or NULL. */
static const char *cuda_mapped(void)
{
    static const char *const libs[] = {"libcudart", "libcublas", "libcuda.so", "libidcheck-cuda", "fake-plugin"};
    for (size_t i = 0; i < sizeof libs / sizeof *libs; i++)
        if (mapped(libs[i]) != 0)
            return libs[i];
    return NULL;
}

/* The folder of this program, for the stand-in libraries beside it. */
static const char *exe_dir(void)
{
    static char dir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
    dir[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
    return dir;
}

/* The CPU path of every gpu/cuda.h call that takes a table, and a training
 * step on the CPU, map no CUDA library; then (built with CUDA) the first
 * device request loads the real library and the same reading sees it. */
static const char *child_lazy(void)
{
    idc_err err = {{0}};
    char note[IDC_ERR_LEN];
    unsetenv("IDCHECK_CUDA_LIB");
    EXPECT(cuda_mapped() == NULL, "%s mapped at start", cuda_mapped());
    const idc_backend *be = NULL;
    EXPECT(idc_backend_select(&be, IDC_DEVICE_CPU, IDC_DTYPE_F32, note, sizeof note, &err) == IDC_OK, "%s",
           err.msg);
    EXPECT(idc_gpu_is_cuda(be) == 0, "cpu table called cuda");
    EXPECT(idc_gpu_status(be, &err) == IDC_EINVAL, "status of the cpu table");
    EXPECT(idc_gpu_sync(be, &err) == IDC_EINVAL, "sync of the cpu table");
    EXPECT(idc_gpu_set_math(be, IDC_GPU_MATH_TF32, &err) == IDC_EINVAL, "set_math of the cpu table");
    EXPECT(idc_gpu_get_math(be) == IDC_GPU_MATH_DEFAULT, "get_math of the cpu table");
    EXPECT(strcmp(idc_gpu_device_name(be), "") == 0, "device name of the cpu table");
    idc_gpu_backend_free(NULL);
    idc_gpu_shutdown();
    float a[6] = {1, 2, 3, 4, 5, 6}, c[4];
    be->gemm(be, 0, 1, 2, 2, 3, 1.0, a, 3, a, 3, 0.0, c, 2);
    EXPECT(c[0] == 14 && c[3] == 77, "gemm %g %g", (double)c[0], (double)c[3]);
    EXPECT(idc_gpu_library_path() == NULL, "library loaded: %s", idc_gpu_library_path());
    EXPECT(mapped("[heap]") == 1 || mapped("libc") == 1, "cannot read /proc/self/maps");
    EXPECT(cuda_mapped() == NULL, "%s mapped by the CPU path", cuda_mapped());
    if (!idc_gpu_built())
        return NULL;
    idc_err why = {{0}};
    int n = idc_gpu_device_count(&why);
    EXPECT(idc_gpu_library_path() != NULL, "no library loaded by a device request: %s", why.msg);
    EXPECT(strstr(idc_gpu_library_path(), "libidcheck-cuda.so") != NULL, "%s", idc_gpu_library_path());
    EXPECT(mapped("libidcheck-cuda.so") == 1 && mapped("libcudart") == 1 && mapped("libcublas") == 1,
           "the loaded library or CUDA not seen in /proc/self/maps");
    fprintf(stderr, "test lazy_load: %s loaded on request (%d devices%s%s)\n", idc_gpu_library_path(), n,
            n == 0 ? ": " : "", n == 0 ? why.msg : "");
    return NULL;
}

/* Every way IDCHECK_CUDA_LIB can name a wrong library, then the stand-in:
 * the calls reach its table, and once loaded it stays. */
static const char *child_loader(void)
{
    idc_err err = {{0}};
    char path[PATH_MAX + 64], note[IDC_ERR_LEN];
    const idc_backend *be = NULL;
    setenv("IDCHECK_CUDA_LIB", "/nonexistent/libidcheck-cuda.so", 1);
    EXPECT(idc_gpu_device_count(&err) == 0, "a device without a library");
    EXPECT(strstr(err.msg, "CUDA backend: cannot load IDCHECK_CUDA_LIB=/nonexistent/libidcheck-cuda.so: ") ==
               err.msg,
           "%s", err.msg);
    EXPECT(idc_backend_cuda(IDC_DTYPE_F32, &err) == NULL, "a table without a library");
    EXPECT(idc_gpu_backend_new(IDC_DTYPE_F32, 0, &err) == NULL, "a table without a library");
    EXPECT(idc_backend_select(&be, IDC_DEVICE_CUDA, IDC_DTYPE_F32, note, sizeof note, &err) == IDC_EINVAL,
           "--device cuda without a library");
    EXPECT(strstr(err.msg, "--device cuda: CUDA backend: cannot load ") == err.msg && strchr(err.msg, '\n') == NULL,
           "%s", err.msg);
    EXPECT(idc_backend_select(&be, IDC_DEVICE_AUTO, IDC_DTYPE_F32, note, sizeof note, &err) == IDC_OK, "%s",
           err.msg);
    EXPECT(be == idc_backend_cpu(IDC_DTYPE_F32) && strstr(note, "--device auto: using cpu (cuda unavailable: ") == note,
           "%s", note);
    setenv("IDCHECK_CUDA_LIB", "libc.so.6", 1);
    EXPECT(idc_gpu_device_count(&err) == 0, "libc as a backend");
    EXPECT(strstr(err.msg, "libc.so.6 is not an idcheck CUDA backend (no idc_gpu_plugin_v1)") != NULL, "%s",
           err.msg);
    snprintf(path, sizeof path, "%s/fake-plugin-other.so", exe_dir());
    setenv("IDCHECK_CUDA_LIB", path, 1);
    EXPECT(idc_gpu_device_count(&err) == 0, "another build's library");
    EXPECT(strstr(err.msg, "is from another build (idcheck 0.0.0-other") != NULL, "%s", err.msg);
    EXPECT(idc_gpu_library_path() == NULL && mapped("fake-plugin-other") == 0, "a refused library stays");
    snprintf(path, sizeof path, "%s/fake-plugin.so", exe_dir());
    setenv("IDCHECK_CUDA_LIB", path, 1);
    EXPECT(idc_gpu_device_count(&err) == 1, "%s", err.msg);
    EXPECT(idc_gpu_library_path() != NULL && strstr(idc_gpu_library_path(), "fake-plugin.so") != NULL, "%s",
           idc_gpu_library_path() != NULL ? idc_gpu_library_path() : "(none)");
    EXPECT(mapped("fake-plugin.so") == 1, "the loaded library is not in /proc/self/maps");
    setenv("IDCHECK_CUDA_LIB", "/nonexistent/libidcheck-cuda.so", 1); /* loaded stays loaded */
    be = idc_backend_cuda(IDC_DTYPE_F64, &err);
    EXPECT(be != NULL && strcmp(be->name, "fake-f64") == 0, "%s", err.msg);
    EXPECT(idc_gpu_is_cuda(be) == 1 && idc_gpu_is_cuda(idc_backend_cpu(IDC_DTYPE_F64)) == 0, "is_cuda");
    EXPECT(strcmp(idc_gpu_device_name(be), "fake device") == 0, "%s", idc_gpu_device_name(be));
    EXPECT(idc_gpu_status(be, &err) == IDC_OK && idc_gpu_sync(be, &err) == IDC_OK, "%s", err.msg);
    EXPECT(idc_gpu_status(idc_backend_cpu(IDC_DTYPE_F64), &err) == IDC_EINVAL, "status of the cpu table");
    EXPECT(idc_gpu_set_math(be, IDC_GPU_MATH_TF32, &err) == IDC_OK && idc_gpu_get_math(be) == IDC_GPU_MATH_TF32,
           "math");
    idc_backend *own = idc_gpu_backend_new(IDC_DTYPE_F32, 0, &err);
    EXPECT(own != NULL && strcmp(own->name, "fake-own-f32") == 0 && idc_gpu_is_cuda(own) == 1, "%s", err.msg);
    EXPECT(idc_gpu_get_math(own) == IDC_GPU_MATH_DEFAULT, "math of another table");
    EXPECT(idc_gpu_backend_new(IDC_DTYPE_F32, 3, &err) == NULL && strstr(err.msg, "gpu.device") != NULL, "%s",
           err.msg);
    idc_gpu_backend_free(own);
    EXPECT(idc_backend_select(&be, IDC_DEVICE_AUTO, IDC_DTYPE_F32, note, sizeof note, &err) == IDC_OK, "%s",
           err.msg);
    EXPECT(strcmp(be->name, "fake-f32") == 0 && note[0] == '\0', "auto took %s (%s)", be->name, note);
    idc_gpu_shutdown();
    return NULL;
}

/* n x 2 rows with some structure (a bent Gaussian) for the flow. */
static double *flow_rows(size_t n, uint64_t seed)
{
    double *x = malloc(2 * n * sizeof *x);
    if (x == NULL)
        return NULL;
    idc_rng_normal_fill(x, 2 * n, idc_rng_stream(seed, 0, 77), 0);
    for (size_t i = 0; i < n; i++)
        x[2 * i + 1] += 0.8 * fabs(x[2 * i]) - 0.5;
    return x;
}

/* The flow's device path through the loader: its errors without a library,
 * then, with the stand-in (whose evaluator runs gpu/flow_kernels.cu's
 * algorithm on the host with the CPU's libm), the argument checks of
 * idc_gpu_flow_rows/sums, block sums equal to the CPU's row functions bit
 * for bit, and a flow with device = cuda equal to one on the CPU bit for
 * bit: start, loss and gradient, log p, and 30-step fits (full batch and
 * minibatches). */
static const char *child_flow(void)
{
    idc_err err = {{0}};
    char note[IDC_ERR_LEN];
    idc_device dev = IDC_DEVICE_AUTO;
    unsetenv("IDCHECK_CUDA_LIB");
    EXPECT(idc_device_resolve(&dev, IDC_DEVICE_CPU, note, sizeof note, &err) == IDC_OK && dev == IDC_DEVICE_CPU &&
               note[0] == '\0',
           "cpu: %s", err.msg);
    EXPECT(cuda_mapped() == NULL, "%s mapped by --device cpu", cuda_mapped());
    setenv("IDCHECK_CUDA_LIB", "/nonexistent/libidcheck-cuda.so", 1);
    EXPECT(idc_gpu_flow_new(0, &err) == NULL, "a flow evaluator without a library");
    EXPECT(strstr(err.msg, "CUDA backend: cannot load IDCHECK_CUDA_LIB=/nonexistent/") == err.msg, "%s", err.msg);
    EXPECT(idc_device_resolve(&dev, IDC_DEVICE_CUDA, note, sizeof note, &err) == IDC_EINVAL, "cuda without a library");
    EXPECT(strstr(err.msg, "--device cuda: CUDA backend: cannot load ") == err.msg && strchr(err.msg, '\n') == NULL,
           "%s", err.msg);
    EXPECT(idc_device_resolve(&dev, IDC_DEVICE_AUTO, note, sizeof note, &err) == IDC_OK && dev == IDC_DEVICE_CPU,
           "auto without a library: %s", err.msg);
    EXPECT(strstr(note, "--device auto: using cpu (cuda unavailable: CUDA backend: cannot load ") == note, "%s", note);
    EXPECT(idc_device_resolve(&dev, (idc_device)7, note, sizeof note, &err) == IDC_EINVAL, "an unknown device");
    size_t n = 1500, nv = 300;
    double *x = flow_rows(n + nv, 5), *xv = x + 2 * n;
    EXPECT(x != NULL, "out of memory");
    idc_flow_config c;
    idc_flow_config_default(&c, 2);
    c.J = 2;
    c.steps = 30;
    c.eval_every = 7;
    c.device = IDC_DEVICE_AUTO;
    EXPECT(idc_flow_config_check(&c, &err) == IDC_EINVAL && strstr(err.msg, "flow.device") == err.msg, "%s",
           err.msg);
    c.device = IDC_DEVICE_CUDA;
    EXPECT(idc_flow_new(&c, x, n, NULL, &err) == NULL, "a cuda flow without a library");
    EXPECT(strstr(err.msg, "flow.device cuda: CUDA backend: cannot load ") == err.msg, "%s", err.msg);
    EXPECT(idc_gpu_flow_rows(NULL, 0, x, n, 2, &err) == IDC_EINVAL, "rows of no evaluator");

    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/fake-plugin.so", exe_dir());
    setenv("IDCHECK_CUDA_LIB", path, 1);
    EXPECT(idc_device_resolve(&dev, IDC_DEVICE_AUTO, note, sizeof note, &err) == IDC_OK && dev == IDC_DEVICE_CUDA &&
               note[0] == '\0',
           "auto with a device: %s", note);
    EXPECT(idc_gpu_flow_new(1, &err) == NULL && strstr(err.msg, "gpu.device") != NULL, "%s", err.msg);
    idc_gpu_flow *g = idc_gpu_flow_new(0, &err);
    EXPECT(g != NULL, "%s", err.msg);
    EXPECT(idc_gpu_flow_rows(g, IDC_GPU_FLOW_SLOTS, x, n, 2, &err) == IDC_EINVAL && strstr(err.msg, "slot") != NULL,
           "%s", err.msg);
    EXPECT(idc_gpu_flow_rows(g, 0, x, 0, 2, &err) == IDC_EINVAL, "no rows");
    EXPECT(idc_gpu_flow_rows(g, 0, x, n, IDC_FLOW_ROW_MAX_DIM + 1, &err) == IDC_EINVAL, "m too large");
    /* a small flow by hand: m 2, depth 2, J 2 */
    double V[8] = {1.2, -0.3, 0.4, 0.9, 0.7, 0.2, -0.5, 1.1}, cb[4] = {0.1, -0.2, 0.05, 0.3};
    double mu[4] = {-0.5, 0.2, 0.6, -0.1}, Si[8] = {1.5, 0.2, 0.2, 0.8, 0.9, -0.1, -0.1, 2.0};
    double ln[2] = {-2.1, -1.7}, sp[2] = {0.8, 1.3};
    idc_flow_rowp p = {.m = 2, .t = 2, .J = 2, .slope = 0.2, .logb = log(0.2), .logdet = 0.3, .V = V, .c = cb,
                       .c_stride = 2, .mu = mu, .mu_stride = 2, .Sinv = Si, .lognorm = ln, .spread = sp};
    size_t nb = (n + IDC_FLOW_BLOCK - 1) / IDC_FLOW_BLOCK, Q = idc_flow_row_rawsize(2, 2, 2);
    double *part = calloc(nb * Q, sizeof *part), *ref = calloc(nb * Q, sizeof *ref);
    double *lp = malloc(n * sizeof *lp), scr[64];
    EXPECT(part != NULL && ref != NULL && lp != NULL && idc_flow_row_scratch(2, 2, 2) <= 64, "out of memory");
    EXPECT(idc_gpu_flow_sums(g, 1, &p, 1, 0.05, part, NULL, &err) == IDC_EINVAL, "sums of an empty slot");
    EXPECT(idc_gpu_flow_rows(g, 1, x, n, 2, &err) == IDC_OK, "%s", err.msg);
    p.m = 3;
    EXPECT(idc_gpu_flow_sums(g, 1, &p, 1, 0.05, part, NULL, &err) == IDC_EINVAL, "sums of rows of another width");
    p.m = 2;
    p.J = IDC_FLOW_ROW_MAX_J + 1;
    EXPECT(idc_gpu_flow_sums(g, 1, &p, 1, 0.05, part, NULL, &err) == IDC_EINVAL && strstr(err.msg, "J") != NULL,
           "%s", err.msg);
    p.J = 2;
    for (int grad = 1; grad >= 0; grad--) {
        size_t q = grad ? Q : idc_flow_row_statsize(2, 2);
        EXPECT(idc_gpu_flow_sums(g, 1, &p, grad, 0.05, part, grad ? NULL : lp, &err) == IDC_OK, "%s", err.msg);
        memset(ref, 0, nb * Q * sizeof *ref);
        for (size_t i = 0; i < n; i++) { /* the CPU's order: each block's rows straight into its sums */
            double *acc = ref + i / IDC_FLOW_BLOCK * q;
            if (grad) {
                idc_flow_row_backward(&p, acc, 1, x + 2 * i, 0.05, scr);
            } else {
                double v = idc_flow_row_stats(&p, acc, 1, x + 2 * i, scr);
                EXPECT(memcmp(&v, lp + i, sizeof v) == 0, "log p of row %zu: %.17g, not %.17g", i, lp[i], v);
            }
        }
        EXPECT(memcmp(part, ref, nb * q * sizeof *ref) == 0, "grad %d: block sums differ from the CPU's", grad);
        EXPECT(ref[0] != 0 && isfinite(ref[0]), "an empty sum");
    }
    idc_gpu_flow_free(g);
    idc_gpu_flow_free(NULL);
    free(part);
    free(ref);
    free(lp);

    /* a flow on the stand-in device against one on the CPU */
    for (size_t batch = 0; batch <= 400; batch += 400) {
        idc_flow *f[2];
        double *th[2], *gr[2], lo[2], *lpf[2];
        c.batch = batch;
        for (int k = 0; k < 2; k++) {
            c.device = k == 0 ? IDC_DEVICE_CPU : IDC_DEVICE_CUDA;
            f[k] = idc_flow_new(&c, x, n, NULL, &err);
            EXPECT(f[k] != NULL, "%s", err.msg);
            size_t np = idc_flow_nparams(f[k]);
            th[k] = malloc(np * sizeof(double));
            gr[k] = malloc(np * sizeof(double));
            lpf[k] = malloc(nv * sizeof(double));
            EXPECT(th[k] != NULL && gr[k] != NULL && lpf[k] != NULL, "out of memory");
        }
        size_t np = idc_flow_nparams(f[0]);
        for (int stage = 0; stage < 2; stage++) { /* at the start, then after a fit */
            for (int k = 0; k < 2; k++) {
                idc_flow_get_params(f[k], th[k]);
                lo[k] = idc_flow_loss(f[k], gr[k], x, n, 0.05);
                idc_flow_logpdf(f[k], lpf[k], xv, nv);
            }
            EXPECT(memcmp(th[0], th[1], np * sizeof(double)) == 0, "batch %zu stage %d: parameters differ", batch,
                   stage);
            EXPECT(isfinite(lo[0]) && memcmp(&lo[0], &lo[1], sizeof(double)) == 0, "batch %zu stage %d: loss %.17g, %.17g",
                   batch, stage, lo[0], lo[1]);
            EXPECT(memcmp(gr[0], gr[1], np * sizeof(double)) == 0, "batch %zu stage %d: gradients differ", batch, stage);
            EXPECT(memcmp(lpf[0], lpf[1], nv * sizeof(double)) == 0, "batch %zu stage %d: log p differs", batch, stage);
            if (stage == 1)
                break;
            idc_flow_fit_result r[2];
            for (int k = 0; k < 2; k++)
                EXPECT(idc_flow_fit(f[k], &r[k], x, n, xv, nv, &err) == IDC_OK, "%s", err.msg);
            EXPECT(r[0].steps == 30 && memcmp(&r[0].val_nll, &r[1].val_nll, sizeof(double)) == 0 &&
                       r[0].val_nll < r[0].init_val_nll,
                   "batch %zu: validation NLL %.17g (from %.17g), %.17g", batch, r[0].val_nll, r[0].init_val_nll,
                   r[1].val_nll);
            idc_flow_fit_result_clear(&r[0]);
            idc_flow_fit_result_clear(&r[1]);
        }
        for (int k = 0; k < 2; k++) {
            idc_flow_free(f[k]);
            free(th[k]);
            free(gr[k]);
            free(lpf[k]);
        }
    }
    free(x);
    return NULL;
}

static const struct {
    const char *name;
    const char *(*body)(void);
} children[] = {{"lazy", child_lazy}, {"loader", child_loader}, {"flow", child_flow}};

/* Runs the body `name` in a fresh process (this program, re-executed). */
static void run_child(const char *name)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    ck_assert(n > 0);
    self[n] = '\0';
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "'%s' --child %s 2>&1", self, name);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char out[4096];
    size_t k = fread(out, 1, sizeof out - 1, p);
    out[k] = '\0';
    int st = pclose(p);
    fputs(out, stderr);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %s: %s", name, out);
}

START_TEST(test_lazy_load)
{
    run_child("lazy");
}
END_TEST

START_TEST(test_loader)
{
    run_child("loader");
}
END_TEST

START_TEST(test_flow_device)
{
    run_child("flow");
}
END_TEST

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--child") == 0) {
        for (size_t i = 0; i < sizeof children / sizeof *children; i++)
            if (strcmp(argv[2], children[i].name) == 0) {
                const char *fail = children[i].body();
                if (fail != NULL)
                    fprintf(stderr, "%s\n", fail);
                return fail != NULL;
            }
        fprintf(stderr, "test_gpu: no child %s\n", argv[2]);
        return 2;
    }
    g_seed = idc_test_seed(DEFAULT_SEED);
    Suite *s = suite_create("gpu");
    const idc_test_case cases[] = {
        {"lazy_load", test_lazy_load},
        {"loader", test_loader},
        {"flow_device", test_flow_device},
        {"plan_elementwise", test_plan_elementwise},
        {"plan_reduce", test_plan_reduce},
        {"plan_columns", test_plan_columns},
        {"plan_columns_order", test_plan_columns_order},
        {"gemm_map_cblas", test_gemm_map_cblas},
        {"gemm_map_fields", test_gemm_map_fields},
        {"gemm_map_errors", test_gemm_map_errors},
        {"device_parse", test_device_parse},
        {"select", test_select},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof *cases, 60.0);
    return idc_test_run(s);
}
