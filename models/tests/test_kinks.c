/* Tests of the kink search (models/estimators/kinks.h). */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "generators/pdgmm.h"
#include "models/estimators/flow.h"
#include "models/estimators/kinks.h"
#include "models/loglik.h"
#include "models/sample.h"
#include "numeric/tests/testutil.h"

/* n rows of a pdgmm instance (slope 0.2; cond 0: the default) and the true kink normals of its
 * g = f^-1: with L = 2 layers, the rows of W_2^-1 (hyperplanes through b_2). */
static void rows_of(idc_instance *inst, idc_samples *s, size_t m, size_t J, size_t layers, double cond, uint64_t seed,
                    size_t n)
{
    idc_err err;
    idc_gen_pdgmm_params gp;
    idc_gen_pdgmm_defaults(&gp);
    gp.m = m;
    gp.J = J;
    gp.layers = layers;
    gp.slope = 0.2;
    if (cond > 0)
        gp.cond = cond;
    ck_assert_msg(idc_gen_pdgmm(inst, &gp, seed, &err) == IDC_OK, "%s", err.msg);
    idc_samples_init(s);
    ck_assert_msg(idc_sample_draw(s, inst, n, seed, 0, 1, &err) == IDC_OK, "%s", err.msg);
}

/* The true kink normals of an m x m two-layer net: the rows of W_2^-1. */
static void true_normals(double *Wi, const idc_layer *l, size_t m)
{
    memcpy(Wi, l->W, m * m * sizeof *Wi);
    lapack_int piv[8];
    ck_assert(LAPACKE_dgetrf(LAPACK_ROW_MAJOR, (lapack_int)m, (lapack_int)m, Wi, (lapack_int)m, piv) == 0 &&
              LAPACKE_dgetri(LAPACK_ROW_MAJOR, (lapack_int)m, Wi, (lapack_int)m, piv) == 0);
}

/* A one-hidden-layer net on a single Gaussian: both kinks found, normals
 * within 1 degree, the hyperplanes through the right point, the lower-density
 * side negative with a jump factor near 1 / slope = 5. */
START_TEST(test_kinks_one_hidden_layer)
{
    uint64_t seed = idc_test_seed(1);
    IDC_TEST_PRINT_SEED("test_kinks_one_hidden_layer", seed);
    size_t m = 2, n = 20000;
    idc_instance inst;
    idc_samples s;
    rows_of(&inst, &s, m, 1, 2, 0, seed, n);
    const idc_layer *l = &inst.map.layers[1];
    double Wi[4];
    true_normals(Wi, l, 2);
    idc_kinks_opts o;
    idc_kinks_opts_default(&o, m);
    idc_kink k[2];
    size_t found = 9;
    idc_err err;
    ck_assert_msg(idc_kinks_find(k, &found, 2, s.x, n, m, &o, &err) == IDC_OK, "%s", err.msg);
    if (found != 2)
        IDC_TEST_FAIL_REPLAY("test_kinks_one_hidden_layer", seed, "found %zu kinks, expected 2", found);
    int matched[2] = {0, 0};
    for (size_t a = 0; a < 2; a++) {
        double nw = hypot(k[a].w[0], k[a].w[1]);
        for (size_t r = 0; r < 2; r++) {
            double nr = hypot(Wi[2 * r], Wi[2 * r + 1]);
            double c = (k[a].w[0] * Wi[2 * r] + k[a].w[1] * Wi[2 * r + 1]) / (nw * nr);
            if (fabs(c) > cos(M_PI / 180)) {
                matched[r] = 1;
                /* the hyperplane passes through b_2 (where the true unit is 0) */
                double at = (k[a].w[0] * l->b[0] + k[a].w[1] * l->b[1] - k[a].beta) / nw;
                if (!(fabs(at) < 0.05))
                    IDC_TEST_FAIL_REPLAY("test_kinks_one_hidden_layer", seed, "kink %zu misses b_2 by %g", a, at);
                if (!(k[a].ratio > 2.5 && k[a].ratio < 10 && k[a].z >= 5))
                    IDC_TEST_FAIL_REPLAY("test_kinks_one_hidden_layer", seed, "kink %zu: ratio %g, z %g", a,
                                         k[a].ratio, k[a].z);
            }
        }
    }
    if (!matched[0] || !matched[1])
        IDC_TEST_FAIL_REPLAY("test_kinks_one_hidden_layer", seed, "true rows matched: %d %d", matched[0], matched[1]);
    /* orientation: the density is lower where w.x - beta < 0 */
    for (size_t a = 0; a < 2; a++) {
        size_t neg = 0, pos = 0;
        double nw = hypot(k[a].w[0], k[a].w[1]);
        for (size_t i = 0; i < n; i++) {
            double v = (k[a].w[0] * s.x[2 * i] + k[a].w[1] * s.x[2 * i + 1] - k[a].beta) / nw;
            neg += v < 0 && v > -0.05;
            pos += v >= 0 && v < 0.05;
        }
        ck_assert_msg(neg < pos, "kink %zu: %zu rows just below, %zu just above", a, neg, pos);
    }
    idc_samples_clear(&s);
    idc_instance_clear(&inst);
}
END_TEST

/* No kink: a single Gaussian through an affine map gives nothing. */
START_TEST(test_kinks_none_without_kinks)
{
    uint64_t seed = idc_test_seed(1);
    IDC_TEST_PRINT_SEED("test_kinks_none_without_kinks", seed);
    for (uint64_t t = 0; t < 4; t++) {
        size_t m = 2, n = 20000;
        idc_instance inst;
        idc_samples s;
        rows_of(&inst, &s, m, 1, 1, 0, seed + t, n);
        idc_kinks_opts o;
        idc_kinks_opts_default(&o, m);
        idc_kink k[2];
        size_t found = 9;
        idc_err err;
        ck_assert_msg(idc_kinks_find(k, &found, 2, s.x, n, m, &o, &err) == IDC_OK, "%s", err.msg);
        if (found != 0)
            IDC_TEST_FAIL_REPLAY("test_kinks_none_without_kinks", seed + t, "found %zu, z %g", found, k[0].z);
        idc_samples_clear(&s);
        idc_instance_clear(&inst);
    }
}
END_TEST

/* The flow's cold start with cold_kinks puts its hidden layer on the kinks
 * (rows parallel to the true normals, up to order); without, it does not. */
START_TEST(test_flow_cold_start_on_kinks)
{
    uint64_t seed = idc_test_seed(1);
    IDC_TEST_PRINT_SEED("test_flow_cold_start_on_kinks", seed);
    size_t m = 2, n = 20000;
    idc_instance inst;
    idc_samples s;
    rows_of(&inst, &s, m, 1, 2, 0, seed, n);
    const idc_layer *l = &inst.map.layers[1];
    double Wi[4];
    true_normals(Wi, l, 2);
    for (int kinks = 0; kinks <= 1; kinks++) {
        idc_flow_config c;
        idc_flow_config_default(&c, m);
        c.J = 1;
        c.cold_kinks = kinks;
        c.seed = seed;
        idc_err err;
        idc_flow *f = idc_flow_new(&c, s.x, n, NULL, &err);
        ck_assert_msg(f != NULL, "%s", err.msg);
        json_t *j = idc_flow_get_json(f);
        json_t *V = json_object_get(json_array_get(json_object_get(j, "layers"), 0), "V");
        size_t on = 0;
        for (size_t a = 0; a < 2; a++) {
            double v0 = json_real_value(json_array_get(V, 2 * a)), v1 = json_real_value(json_array_get(V, 2 * a + 1));
            for (size_t r = 0; r < 2; r++) {
                double cs = (v0 * Wi[2 * r] + v1 * Wi[2 * r + 1]) / (hypot(v0, v1) * hypot(Wi[2 * r], Wi[2 * r + 1]));
                on += fabs(cs) > cos((kinks ? 1.0 : 0.2) * M_PI / 180); /* a random row within 0.2 degrees: p < 1 % */
            }
        }
        if (kinks ? on != 2 : on != 0)
            IDC_TEST_FAIL_REPLAY("test_flow_cold_start_on_kinks", seed, "cold_kinks %d: %zu rows on a true kink", kinks, on);
        /* the start's cost, on the budget's clock (the thread's CPU time) */
        double is = idc_flow_init_seconds(f);
        ck_assert_msg(is > 0 && is < 600, "init seconds %g", is);
        json_decref(j);
        idc_flow_free(f);
    }
    idc_samples_clear(&s);
    idc_instance_clear(&inst);
}
END_TEST

/* Trial i of `idcheck repro flow-k39c` (seed 1; properties/repro_flow.c):
 * its instance (m = 2 + i mod 4, J = 2 + (i/4) mod 3, layers 2 + (i/12) mod
 * 2, slope 0.2) and its first n rows, the first 20000 of which it trains on. */
static void k39c_trial(idc_instance *inst, idc_samples *s, uint64_t *tseed, uint32_t i, size_t n)
{
    *tseed = idc_rng_derive_seed(1, i);
    double cond = 1.5 + 2.5 * idc_rng_uniform(idc_rng_stream(*tseed, 0, IDC_PURPOSE_SEARCH), 0);
    rows_of(inst, s, 2 + i % 4, 2 + (i / 4) % 3, 2 + (i / 12) % 2, cond, *tseed, n);
}

/* The mean over rows of log p_true(x) - log p_flow(x): the KL gap's estimate. */
static double kl_gap_on(const idc_instance *inst, const idc_flow *f, const double *x, size_t n)
{
    idc_loglik *ll = NULL;
    idc_err err;
    ck_assert_msg(idc_loglik_new(&ll, inst, &err) == IDC_OK, "%s", err.msg);
    double *lt = malloc(n * sizeof *lt), *lf = malloc(n * sizeof *lf), gap = 0;
    ck_assert(lt != NULL && lf != NULL);
    idc_loglik_eval(ll, lt, x, n);
    idc_flow_logpdf(f, lf, x, n);
    for (size_t i = 0; i < n; i++)
        gap += (lt[i] - lf[i]) / (double)n;
    free(lt);
    free(lf);
    idc_loglik_free(ll);
    return gap;
}

/* The cold start orients each kink unit by likelihood: on the flow-k39c
 * benchmark's trial 1 (seed 1: m = 3, J = 2, two layers) the kink search
 * finds all three true hyperplanes (within 7 degrees), and its jump
 * statistic orients one of them the wrong way (a unit with slope 1/slope is
 * not in the class). Every first-layer row within 10 degrees of a true kink
 * must have its negative side where the true hidden unit h = (W_2^-1 (x -
 * b_2))_r is positive (g's unit is -h up to scale), and 300 steps from that
 * start must reach a KL gap < 0.05 nats on fresh rows (measured 0.0012;
 * with the search's own orientation the fit stayed at 0.89). */
START_TEST(test_flow_cold_start_orientation)
{
    size_t m = 3, n = 20000, nv = 5000;
    uint64_t tseed;
    idc_instance inst;
    idc_samples s;
    k39c_trial(&inst, &s, &tseed, 1, n + 2 * nv);
    idc_err err;
    double Wi[9];
    true_normals(Wi, &inst.map.layers[1], m);
    idc_flow_config c;
    idc_flow_config_default(&c, m);
    c.J = 2;
    c.slope = 0.2;
    c.depth = 2;
    c.seed = tseed;
    c.steps = 300;
    idc_flow *f = idc_flow_new(&c, s.x, n, NULL, &err);
    ck_assert_msg(f != NULL, "%s", err.msg);
    json_t *j = idc_flow_get_json(f);
    json_t *V = json_object_get(json_array_get(json_object_get(j, "layers"), 0), "V");
    size_t on = 0, wrong = 0;
    for (size_t a = 0; a < m; a++) {
        double v[3], nv2 = 0;
        for (size_t b = 0; b < m; b++) {
            v[b] = json_real_value(json_array_get(V, a * m + b));
            nv2 += v[b] * v[b];
        }
        for (size_t r = 0; r < m; r++) {
            double d = 0, nr = 0;
            for (size_t b = 0; b < m; b++) {
                d += v[b] * Wi[r * m + b];
                nr += Wi[r * m + b] * Wi[r * m + b];
            }
            if (fabs(d) / sqrt(nv2 * nr) > cos(10 * M_PI / 180)) {
                on++;
                wrong += d > 0;
            }
        }
    }
    json_decref(j);
    idc_flow_fit_result fr;
    ck_assert_msg(idc_flow_fit(f, &fr, s.x, n, s.x + n * m, nv, &err) == IDC_OK, "%s", err.msg);
    idc_flow_fit_result_clear(&fr);
    double gap = kl_gap_on(&inst, f, s.x + (n + nv) * m, nv);
    if (on < 3 || wrong != 0 || !(gap < 0.05))
        IDC_TEST_FAIL_REPLAY("test_flow_cold_start_orientation", tseed,
                             "%zu rows on a true kink, %zu of them oriented the wrong way; KL gap after 300 steps %g", on, wrong,
                             gap);
    fprintf(stderr, "test_flow_cold_start_orientation: %zu rows on kinks, KL gap after 300 steps %.4f nats\n", on, gap);
    idc_flow_free(f);
    idc_samples_clear(&s);
    idc_instance_clear(&inst);
}
END_TEST

/* The cold start moves each kink hyperplane to where the likelihood is
 * highest (a coordinate search on its offset and angles): on flow-k39c's
 * trial 8 (m = 2, J = 4) the search's second kink is parallel to a true one
 * but 0.16 off its offset; the start (before any training) was 0.12 nats
 * from the truth with the search's hyperplanes and 0.02 after the move.
 * The start's KL gap on fresh rows must be < 0.06. */
START_TEST(test_flow_cold_start_position)
{
    size_t m = 2, n = 20000, nv = 5000;
    uint64_t tseed;
    idc_instance inst;
    idc_samples s;
    k39c_trial(&inst, &s, &tseed, 8, n + nv);
    idc_flow_config c;
    idc_flow_config_default(&c, m);
    c.J = 4;
    c.slope = 0.2;
    c.depth = 2;
    c.seed = tseed;
    idc_err err;
    idc_flow *f = idc_flow_new(&c, s.x, n, NULL, &err);
    ck_assert_msg(f != NULL, "%s", err.msg);
    double gap = kl_gap_on(&inst, f, s.x + n * m, nv);
    if (!(gap < 0.06))
        IDC_TEST_FAIL_REPLAY("test_flow_cold_start_position", tseed, "the start's KL gap %g", gap);
    fprintf(stderr, "test_flow_cold_start_position: the start's KL gap %.4f nats\n", gap);
    idc_flow_free(f);
    idc_samples_clear(&s);
    idc_instance_clear(&inst);
}
END_TEST

START_TEST(test_kinks_bad_input)
{
    double x[3 * 100] = {0};
    idc_kinks_opts o;
    idc_kinks_opts_default(&o, 3);
    idc_kink k[3];
    size_t found = 7;
    idc_err err;
    ck_assert_int_eq(idc_kinks_find(k, &found, 4, x, 100, 3, &o, &err), IDC_EINVAL); /* k > m */
    ck_assert_uint_eq(found, 0);
    ck_assert_int_eq(idc_kinks_find(k, &found, 2, x, 10, 3, &o, &err), IDC_EINVAL); /* too few rows */
    ck_assert_int_eq(idc_kinks_find(k, &found, 2, x, 100, 3, &o, &err), IDC_EDOM); /* singular covariance */
    ck_assert(strstr(err.msg, "singular") != NULL);
    ck_assert_int_eq(idc_kinks_find(k, &found, 0, x, 100, 3, &o, &err), IDC_OK);
    ck_assert_uint_eq(found, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kinks");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_kinks_one_hidden_layer);
    tcase_add_test(tc, test_kinks_none_without_kinks);
    tcase_add_test(tc, test_flow_cold_start_on_kinks);
    tcase_add_test(tc, test_flow_cold_start_orientation);
    tcase_add_test(tc, test_flow_cold_start_position);
    tcase_add_test(tc, test_kinks_bad_input);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? 0 : 1;
}
