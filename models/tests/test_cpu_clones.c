/* The CPU kernels' instruction-set clones (backend_cpu.c: GCC
 * target_clones, picked at load time) compute the baseline build's values
 * bit for bit: this program compiles backend_cpu.c a second time without
 * clones (IDC_NO_CLONES, its public names renamed) and compares every
 * kernel of the two tables on random data, both scalar types, shapes with
 * vector remainders. On a machine with AVX-512 this compares the AVX-512
 * clones with the x86-64 baseline; without, whatever the loader picked. */
#include "models/engine/backend_cpu_impl.h"
#include "models/engine/engine.h" /* first, so that the library's names stay declared */

#define IDC_NO_CLONES
#define idc_dtype_size nc_dtype_size
#define idc_backend_cpu nc_backend_cpu
#define idc_cpu_parts_for nc_cpu_parts_for
#include "models/engine/backend_cpu.c"
#undef idc_dtype_size
#undef idc_backend_cpu
#undef idc_cpu_parts_for
#undef IDC_NO_CLONES

#include <check.h>
#include <math.h>
#include <stdint.h>

const idc_backend *nc_backend_cpu(idc_dtype dt);

#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

#define DEFAULT_SEED 0xc10e5ULL

static uint64_t g_seed;

typedef struct {
    const idc_backend *a, *b; /* clones, baseline */
    void *pa, *pb;
    size_t n;
} pair;

static pair pair_new(int dt, size_t n, uint32_t id, double scale)
{
    pair p = {idc_backend_cpu((idc_dtype)dt), nc_backend_cpu((idc_dtype)dt), NULL, NULL, n};
    p.pa = p.a->alloc(p.a, n);
    p.pb = p.b->alloc(p.b, n);
    ck_assert(p.pa != NULL && p.pb != NULL);
    double *v = calloc(n == 0 ? 1 : n, sizeof(double));
    ck_assert_ptr_nonnull(v);
    idc_rng r = idc_rng_stream(g_seed, id, IDC_PURPOSE_GENERATOR);
    for (size_t i = 0; i < n; i++)
        v[i] = scale * idc_rng_normal(r, i);
    p.a->set_d(p.a, p.pa, v, n);
    p.b->set_d(p.b, p.pb, v, n);
    free(v);
    return p;
}

static void same(const pair *p, const char *what, int dt)
{
    if (memcmp(p->pa, p->pb, p->n * idc_dtype_size(p->a->dtype)) != 0)
        IDC_TEST_FAIL_REPLAY("clones", g_seed, "%s (dtype %d): the clone differs from the baseline",
                             what, dt);
}

static void pair_free(pair *p)
{
    p->a->release(p->a, p->pa);
    p->b->release(p->b, p->pb);
}

START_TEST(test_clones_bit_identical)
{
    IDC_TEST_PRINT_SEED("cpu_clones", g_seed);
    const size_t shapes[][2] = {{37, 3}, {101, 19}, {64, 256}, {29, 300}};
    for (int dt = 0; dt < 2; dt++)
        for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
            size_t rows = shapes[k][0], cols = shapes[k][1], n = rows * cols;
            uint32_t id = (uint32_t)(10 * k + 1);
            pair X = pair_new(dt, n, id, 1.0), Y = pair_new(dt, n, id + 1, 1.0);
            pair Z = pair_new(dt, n, id + 2, 1.0), b = pair_new(dt, cols, id + 3, 1.0);
            pair g = pair_new(dt, cols, id + 4, 1.0), be = pair_new(dt, cols, id + 5, 0.1);
            pair rm = pair_new(dt, cols, id + 6, 0.1), rv = pair_new(dt, cols, id + 7, 0.0);
            pair xh = pair_new(dt, n, id + 8, 0.0), is = pair_new(dt, cols, id + 9, 0.0);
            for (size_t i = 0; i < cols; i++) { /* running variances > 0 */
                double one = 1.0 + (double)i / (double)cols;
                rv.a->set_d(rv.a, (char *)rv.pa + i * idc_dtype_size((idc_dtype)dt), &one, 1);
                rv.b->set_d(rv.b, (char *)rv.pb + i * idc_dtype_size((idc_dtype)dt), &one, 1);
            }
#define BOTH(call_a, call_b, out, what)                                                            \
    do {                                                                                           \
        call_a;                                                                                    \
        call_b;                                                                                    \
        same(&(out), what, dt);                                                                    \
    } while (0)
            BOTH(X.a->add_bias(X.a, Z.pa, b.pa, rows, cols), X.b->add_bias(X.b, Z.pb, b.pb, rows, cols),
                 Z, "add_bias");
            BOTH(X.a->sum_rows(X.a, b.pa, Y.pa, rows, cols), X.b->sum_rows(X.b, b.pb, Y.pb, rows, cols), b,
                 "sum_rows");
            BOTH(X.a->leaky_fwd(X.a, Z.pa, X.pa, n, 0.02), X.b->leaky_fwd(X.b, Z.pb, X.pb, n, 0.02), Z,
                 "leaky_fwd");
            BOTH(X.a->leaky_bwd(X.a, Y.pa, Y.pa, Z.pa, n, 0.02), X.b->leaky_bwd(X.b, Y.pb, Y.pb, Z.pb, n, 0.02),
                 Y, "leaky_bwd");
            BOTH(X.a->leaky_bwd_sum(X.a, Y.pa, b.pa, Y.pa, X.pa, rows, cols, 0.3),
                 X.b->leaky_bwd_sum(X.b, Y.pb, b.pb, Y.pb, X.pb, rows, cols, 0.3), Y, "leaky_bwd_sum dx");
            same(&b, "leaky_bwd_sum sum", dt);
            BOTH(X.a->bn_fwd_train(X.a, Z.pa, xh.pa, is.pa, rm.pa, rv.pa, X.pa, g.pa, be.pa, rows, cols, 1e-5,
                                   0.1),
                 X.b->bn_fwd_train(X.b, Z.pb, xh.pb, is.pb, rm.pb, rv.pb, X.pb, g.pb, be.pb, rows, cols, 1e-5,
                                   0.1),
                 Z, "bn_fwd_train y");
            same(&xh, "bn_fwd_train xhat", dt);
            same(&is, "bn_fwd_train invstd", dt);
            same(&rm, "bn_fwd_train running mean", dt);
            same(&rv, "bn_fwd_train running var", dt);
            BOTH(X.a->bn_fwd_eval(X.a, Z.pa, X.pa, g.pa, be.pa, rm.pa, rv.pa, rows, cols, 1e-5),
                 X.b->bn_fwd_eval(X.b, Z.pb, X.pb, g.pb, be.pb, rm.pb, rv.pb, rows, cols, 1e-5), Z,
                 "bn_fwd_eval");
            BOTH(X.a->bn_bwd(X.a, Z.pa, g.pa, be.pa, Y.pa, xh.pa, is.pa, g.pa, rows, cols),
                 X.b->bn_bwd(X.b, Z.pb, g.pb, be.pb, Y.pb, xh.pb, is.pb, g.pb, rows, cols), Z, "bn_bwd dx");
            same(&g, "bn_bwd dgamma", dt);
            same(&be, "bn_bwd dbeta", dt);
            for (int step = 1; step <= 3; step++) {
                double bc1 = 1.0 - pow(0.9, step), bc2 = 1.0 - pow(0.999, step);
                X.a->adam(X.a, X.pa, Z.pa, xh.pa, Y.pa, n, 1e-3, 0.9, 0.999, 1e-8, bc1, bc2);
                X.b->adam(X.b, X.pb, Z.pb, xh.pb, Y.pb, n, 1e-3, 0.9, 0.999, 1e-8, bc1, bc2);
            }
            same(&X, "adam p", dt);
            same(&Z, "adam m", dt);
            same(&xh, "adam v", dt);
#undef BOTH
            pair *all[] = {&X, &Y, &Z, &b, &g, &be, &rm, &rv, &xh, &is};
            for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
                pair_free(all[i]);
        }
}
END_TEST

int main(void)
{
    g_seed = idc_test_seed(DEFAULT_SEED);
    IDC_TEST_PRINT_SEED("cpu_clones", g_seed);
    Suite *s = suite_create("cpu_clones");
    const idc_test_case cases[] = {{"clones", test_clones_bit_identical}};
    idc_test_add_cases(s, cases, 1, 60);
    return idc_test_run(s);
}
