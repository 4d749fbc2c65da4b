/* Tests of extra-gradient Adam (models/engine/engine.h) and of Stage 2
 * (models/estimators/stage2.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/engine/engine.h"
#include "models/estimators/stage2.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

/* The bilinear game min_x max_y x y (equilibrium 0): simultaneous Adam (beta1 = 0)
 * circles it slowly, extra-gradient Adam converges much faster. Returns |(x, y)| after
 * `steps` steps. */
static double bilinear(int extra, size_t steps)
{
    const idc_backend *be = idc_backend_cpu(IDC_DTYPE_F64);
    idc_err err;
    idc_adam_config c = {0.01, 0.0, 0.9, 1e-8};
    double *p = be->alloc(be, 2), *g = be->alloc(be, 2);
    p[0] = 1;
    p[1] = 1;
    idc_extra_adam *ea = extra ? idc_extra_adam_new(be, 2, &err) : NULL;
    idc_adam *a = extra ? NULL : idc_adam_new(be, 2, &err);
    for (size_t t = 0; t < steps; t++) {
        g[0] = p[1];  /* d(xy)/dx, descent on x */
        g[1] = -p[0]; /* -d(xy)/dy, ascent on y */
        if (!extra) {
            idc_adam_step(a, &c, p, g);
            continue;
        }
        idc_extra_adam_extrapolate(ea, &c, p, g);
        g[0] = p[1];
        g[1] = -p[0];
        idc_extra_adam_step(ea, &c, p, g);
    }
    double r = hypot(p[0], p[1]);
    if (extra)
        ck_assert_uint_eq(idc_extra_adam_updates(ea), 2 * steps);
    idc_extra_adam_free(ea);
    idc_adam_free(a);
    be->release(be, p);
    be->release(be, g);
    return r;
}

START_TEST(test_extra_adam_bilinear)
{
    double plain = bilinear(0, 3000), extra = bilinear(1, 3000);
    /* measured: plain 0.088, extra 0.012 (deterministic, no randomness) */
    ck_assert_msg(extra < 0.03 && extra < 0.25 * plain, "plain %.4f extra %.4f", plain, extra);
    idc_extra_adam_free(NULL);
}
END_TEST

/* Codes c = A z of sparse latents (each sample lives on two of three
 * coordinates). */
static double *codes(size_t n, uint64_t seed)
{
    size_t d = 3;
    double *c = malloc(n * d * sizeof(double)), z[3], A[9];
    idc_rng g = idc_rng_stream(seed, 0, IDC_PURPOSE_GENERATOR);
    for (int i = 0; i < 9; i++)
        A[i] = idc_rng_normal(g, (uint64_t)i);
    static const int sup[3][3] = {{1, 1, 0}, {0, 1, 1}, {1, 0, 1}};
    for (size_t t = 0; t < n; t++) {
        size_t j = (size_t)idc_rng_below(g, 100 + t, 3);
        for (size_t i = 0; i < d; i++)
            z[i] = sup[j][i] ? (1.0 + 0.5 * (double)i) * idc_rng_normal(g, 100000 + t * d + i) + (double)j : 0;
        for (size_t i = 0; i < d; i++)
            c[t * d + i] = A[3 * i] * z[0] + A[3 * i + 1] * z[1] + A[3 * i + 2] * z[2];
    }
    return c;
}

static idc_stage2 *small(size_t steps, uint64_t seed)
{
    idc_stage2_config cfg;
    idc_stage2_config_default(&cfg, 3);
    cfg.nhidden = 2;
    cfg.mult[0] = cfg.mult[1] = 4;
    cfg.batch = 256;
    cfg.steps = steps;
    cfg.lr = 3e-3;
    cfg.lr_dual = 3e-2;
    cfg.seed = seed;
    idc_err err;
    idc_stage2 *s = idc_stage2_new(&cfg, &err);
    ck_assert_msg(s != NULL, "%s", err.msg);
    return s;
}

/* The Lagrangian drives the constraint mean |z| <= eps = 0.01 to (near)
 * feasibility; lambda stays >= 0; the fit is deterministic. */
/* the relative reconstruction error of the codes: measured 0.011 */
#define REC_BOUND 0.2
START_TEST(test_constraint_and_determinism)
{
    size_t n = 4000;
    double *c = codes(n, 3);
    idc_stage2 *a = small(2000, 1), *b = small(2000, 1);
    idc_stage2_status sa, sb;
    idc_err err;
    double trace[8 * 3];
    ck_assert_msg(idc_stage2_fit(a, c, n, trace, &sa, &err) == IDC_OK, "%s", err.msg);
    ck_assert_int_eq(idc_stage2_fit(b, c, n, NULL, &sb, &err), IDC_OK);
    ck_assert_msg(sa.l1 < 0.02 && sa.lambda >= 0 && isfinite(sa.rec), "l1 %.4g lambda %.4g rec %.4g", sa.l1,
                  sa.lambda, sa.rec);
    ck_assert(trace[1] > sa.l1); /* mean |z| came down from its start */
    ck_assert(sa.rec == sb.rec && sa.l1 == sb.l1 && sa.lambda == sb.lambda);
    double *za = malloc(n * 3 * sizeof(double)), *zb = malloc(n * 3 * sizeof(double));
    ck_assert_int_eq(idc_stage2_encode(a, za, c, n, &err), IDC_OK);
    ck_assert_int_eq(idc_stage2_encode(b, zb, c, n, &err), IDC_OK);
    ck_assert(memcmp(za, zb, n * 3 * sizeof(double)) == 0);
    /* Stage 2's reconstruction of the codes: deterministic, in place too,
     * and close (relative error < REC_BOUND) */
    ck_assert_int_eq(idc_stage2_reconstruct(a, za, c, n, &err), IDC_OK);
    memcpy(zb, c, n * 3 * sizeof(double));
    ck_assert_int_eq(idc_stage2_reconstruct(a, zb, zb, n, &err), IDC_OK);
    ck_assert(memcmp(za, zb, n * 3 * sizeof(double)) == 0);
    double num = 0, den = 0, mean[3] = {0};
    for (size_t i = 0; i < n * 3; i++)
        mean[i % 3] += c[i] / (double)n;
    for (size_t i = 0; i < n * 3; i++) {
        num += (c[i] - za[i]) * (c[i] - za[i]);
        den += (c[i] - mean[i % 3]) * (c[i] - mean[i % 3]);
    }
    fprintf(stderr, "stage2 relative reconstruction error %.4g\n", num / den);
    ck_assert_msg(num / den < REC_BOUND, "relative reconstruction error %.4g", num / den);
    ck_assert_int_eq(idc_stage2_reconstruct(a, za, c, 0, &err), IDC_EINVAL);
    json_t *j = idc_stage2_to_json(a);
    ck_assert_ptr_nonnull(j);
    ck_assert_ptr_nonnull(json_object_get(j, "encoder"));
    json_decref(j);
    free(za);
    free(zb);
    idc_stage2_free(a);
    idc_stage2_free(b);
    free(c);
}
END_TEST

/* idc_stage2_new_backend on the CPU float table is idc_stage2_new, bit for
 * bit; the double table runs too; NULL is refused. */
START_TEST(test_new_backend)
{
    size_t n = 600;
    double *c = codes(n, 4);
    idc_stage2_config cfg;
    idc_stage2_config_default(&cfg, 3);
    cfg.nhidden = 2;
    cfg.mult[0] = cfg.mult[1] = 2;
    cfg.batch = 64;
    cfg.steps = 30;
    cfg.lr = 3e-3;
    cfg.lr_dual = 3e-2;
    idc_err err;
    idc_stage2 *a = idc_stage2_new(&cfg, &err), *b = idc_stage2_new_backend(&cfg, idc_backend_cpu(IDC_DTYPE_F32), &err);
    idc_stage2 *d = idc_stage2_new_backend(&cfg, idc_backend_cpu(IDC_DTYPE_F64), &err);
    ck_assert_msg(a && b && d, "%s", err.msg);
    idc_stage2_status sa, sb, sd;
    ck_assert_int_eq(idc_stage2_fit(a, c, n, NULL, &sa, &err), IDC_OK);
    ck_assert_int_eq(idc_stage2_fit(b, c, n, NULL, &sb, &err), IDC_OK);
    ck_assert_int_eq(idc_stage2_fit(d, c, n, NULL, &sd, &err), IDC_OK);
    ck_assert(sa.rec == sb.rec && sa.l1 == sb.l1 && sa.lambda == sb.lambda);
    ck_assert(isfinite(sd.rec) && fabs(sd.rec - sa.rec) < 0.1 * (1 + fabs(sa.rec))); /* float vs double */
    ck_assert_ptr_null(idc_stage2_new_backend(&cfg, NULL, &err));
    ck_assert(strstr(err.msg, "stage2.backend") != NULL);
    idc_stage2_free(a);
    idc_stage2_free(b);
    idc_stage2_free(d);
    free(c);
}
END_TEST

/* threads (the CPU thread team) changes no bit: trained on 1, 2 and 3
 * threads at a size where the team splits the GEMMs and the elementwise
 * passes, the status and the codes are the same. */
START_TEST(test_threads_bit_identical)
{
    size_t n = 3000;
    double *c = codes(n, 4);
    idc_stage2_config cfg;
    idc_stage2_config_default(&cfg, 3);
    cfg.nhidden = 2;
    cfg.mult[0] = cfg.mult[1] = 100; /* widths 300: 2048 x 300 x 300 GEMMs */
    cfg.batch = 2048;
    cfg.steps = 4;
    cfg.lr = 1e-3;
    cfg.lr_dual = 1e-2;
    idc_err err;
    double *z[3];
    idc_stage2_status st[3];
    for (unsigned t = 0; t < 3; t++) {
        cfg.threads = t + 1;
        idc_stage2 *s = idc_stage2_new(&cfg, &err);
        ck_assert_msg(s != NULL, "%s", err.msg);
        ck_assert_int_eq(idc_stage2_fit(s, c, n, NULL, &st[t], &err), IDC_OK);
        z[t] = calloc(n * 3, sizeof(double));
        ck_assert_ptr_nonnull(z[t]);
        ck_assert_int_eq(idc_stage2_encode(s, z[t], c, n, &err), IDC_OK);
        idc_stage2_free(s);
        if (t > 0) {
            ck_assert(st[t].rec == st[0].rec && st[t].l1 == st[0].l1 && st[t].lambda == st[0].lambda);
            ck_assert(memcmp(z[t], z[0], n * 3 * sizeof(double)) == 0);
        }
    }
    cfg.threads = 65;
    ck_assert_int_eq(idc_stage2_config_check(&cfg, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "stage2.threads") != NULL);
    for (int t = 0; t < 3; t++)
        free(z[t]);
    free(c);
}
END_TEST

START_TEST(test_config_errors)
{
    idc_stage2_config cfg;
    idc_err err;
    idc_stage2_config_default(&cfg, 3);
    ck_assert_int_eq(idc_stage2_config_check(&cfg, &err), IDC_OK);
    ck_assert_uint_eq(cfg.steps, 80000);
    cfg.lr_dual = 0;
    ck_assert_int_eq(idc_stage2_config_check(&cfg, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "stage2.lr_dual") != NULL);
    idc_stage2_config_default(&cfg, 3);
    cfg.batch = 1;
    ck_assert_ptr_null(idc_stage2_new(&cfg, &err));
    ck_assert(strstr(err.msg, "stage2.batch") != NULL);
    idc_stage2_config_default(&cfg, 0);
    ck_assert_int_eq(idc_stage2_config_check(&cfg, &err), IDC_EINVAL);
    idc_stage2 *s = small(1, 1);
    double bad[6] = {0, 1, NAN, 0, 0, 0};
    ck_assert_int_eq(idc_stage2_fit(s, bad, 2, NULL, NULL, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "stage2.codes[0][2]") != NULL);
    idc_stage2_free(s);
    idc_stage2_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stage2");
    const idc_test_case cases[] = {
        {"test_extra_adam_bilinear", test_extra_adam_bilinear},
        {"test_constraint_and_determinism", test_constraint_and_determinism},
        {"test_config_errors", test_config_errors},
        {"test_new_backend", test_new_backend},
        {"test_threads_bit_identical", test_threads_bit_identical},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 60);
    return idc_test_run(s);
}
