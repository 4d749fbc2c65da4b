/* Tests of models/sample.h: determinism across thread counts, supports of
 * degenerate components, the mixing map, label frequencies and moments. */
#include <math.h>
#include <string.h>

#include "models/sample.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

static const char *txt =
    "{\"idcheck_format\": 1,"
    " \"model\": {\"dim\": 2, \"components\": ["
    "   {\"weight\": 0.5, \"mean\": [0, 1], \"L\": [[1, 0], [0.5, 2]]},"
    "   {\"weight\": 0.3, \"mean\": [1, 1], \"Sigma\": [[2, 1], [1, 1]]},"
    "   {\"weight\": 0.2, \"mean\": [3, -1], \"L\": [[1], [1]]}]},"
    " \"map\": {\"type\": \"mlp\", \"layers\": ["
    "   {\"W\": [[1, 0], [0, 1], [1, 1]], \"b\": [0, 0, 0], \"activation\": \"leaky_relu\", \"slope\": 0.2},"
    "   {\"W\": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], \"b\": [0, 0, 1], \"activation\": \"identity\"}]},"
    " \"noise\": {\"sigma\": 0}, \"aux\": {\"kind\": \"label\"}}";

static void load(idc_instance *inst)
{
    idc_err err;
    ck_assert_msg(idc_instance_read_string(inst, txt, &err) == IDC_OK, "%s", err.msg);
}

START_TEST(test_thread_invariance)
{
    idc_instance inst;
    load(&inst);
    inst.noise_sigma = 0.3;
    idc_samples a, b;
    idc_err err;
    ck_assert_int_eq(idc_sample_draw(&a, &inst, 5003, 11, 2, 1, &err), IDC_OK);
    for (unsigned t = 2; t <= 7; t += 5) {
        ck_assert_int_eq(idc_sample_draw(&b, &inst, 5003, 11, 2, t, &err), IDC_OK);
        ck_assert(memcmp(a.z, b.z, 5003 * 2 * sizeof(double)) == 0);
        ck_assert(memcmp(a.x, b.x, 5003 * 3 * sizeof(double)) == 0);
        ck_assert(memcmp(a.label, b.label, 5003 * sizeof(int32_t)) == 0);
        idc_samples_clear(&b);
    }
    /* A prefix of a longer draw is the shorter draw. */
    ck_assert_int_eq(idc_sample_draw(&b, &inst, 100, 11, 2, 3, &err), IDC_OK);
    ck_assert(memcmp(a.z, b.z, 100 * 2 * sizeof(double)) == 0);
    idc_samples_clear(&b);
    /* Another trial gives other samples. */
    ck_assert_int_eq(idc_sample_draw(&b, &inst, 100, 11, 3, 1, &err), IDC_OK);
    ck_assert(memcmp(a.z, b.z, 100 * 2 * sizeof(double)) != 0);
    idc_samples_clear(&b);
    idc_samples_clear(&a);
    idc_instance_clear(&inst);
}
END_TEST

START_TEST(test_support_map_labels)
{
    uint64_t seed = idc_test_seed(0xabc);
    IDC_TEST_PRINT_SEED("test_support_map_labels", seed);
    idc_instance inst;
    load(&inst);
    idc_samples s;
    idc_err err;
    const size_t n = 40000;
    ck_assert_int_eq(idc_sample_draw(&s, &inst, n, seed, 0, 2, &err), IDC_OK);
    ck_assert(s.has_u);
    size_t count[3] = {0};
    double m2[2] = {0, 0};
    double work[8], y[3];
    for (size_t i = 0; i < n; i++) {
        int32_t j = s.label[i];
        ck_assert(j >= 0 && j < 3);
        ck_assert(s.u[i] == (double)j);
        count[j]++;
        const double *z = s.z + 2 * i;
        if (j == 2) /* the rank-1 component stays on the line (3,-1) + t (1,1) */
            ck_assert(fabs((z[0] - 3.0) - (z[1] + 1.0)) <= 1e-12);
        if (j == 0) {
            m2[0] += z[0];
            m2[1] += z[1];
        }
        idc_pamap_eval(&inst.map, y, z, work);
        ck_assert(memcmp(y, s.x + 3 * i, sizeof y) == 0); /* sigma = 0: x = f(z) exactly */
    }
    double f0 = (double)count[0] / (double)n, f2 = (double)count[2] / (double)n;
    if (fabs(f0 - 0.5) > 0.012 || fabs(f2 - 0.2) > 0.01 || fabs(m2[0] / (double)count[0]) > 0.04 ||
        fabs(m2[1] / (double)count[0] - 1.0) > 0.07)
        IDC_TEST_FAIL_REPLAY("test_support_map_labels", seed, "frequencies %g %g or means off", f0, f2);
    idc_samples_clear(&s);
    idc_instance_clear(&inst);
}
END_TEST

START_TEST(test_noise_and_errors)
{
    idc_instance inst;
    load(&inst);
    inst.noise_sigma = 0.5;
    idc_samples s;
    idc_err err;
    const size_t n = 20000;
    ck_assert_int_eq(idc_sample_draw(&s, &inst, n, 5, 0, 1, &err), IDC_OK);
    double work[8], y[3], ss = 0;
    for (size_t i = 0; i < n; i++) {
        idc_pamap_eval(&inst.map, y, s.z + 2 * i, work);
        for (int a = 0; a < 3; a++) {
            double e = s.x[3 * i + a] - y[a];
            ss += e * e;
        }
    }
    double sd = sqrt(ss / (3.0 * (double)n));
    ck_assert_msg(fabs(sd - 0.5) < 0.01, "noise sd %g", sd);
    idc_samples_clear(&s);
    ck_assert_int_eq(idc_sample_draw(&s, &inst, 0, 5, 0, 1, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "samples: n = 0") != NULL);
    idc_samples_clear(&s);
    idc_instance_clear(&inst);
}
END_TEST

/* One component in R^2, mean (1, -2), L = [[2, 0], [1, 0.5]]
 * (Sigma = [[4, 2], [2, 1.25]]), of the given family. */
static void load_family(idc_instance *inst, const char *family, const char *L)
{
    char t[1024];
    snprintf(t, sizeof t,
             "{\"idcheck_format\": 1, \"model\": {\"dim\": 2, \"family\": \"%s\", \"components\": ["
             "{\"weight\": 1, \"mean\": [1, -2], \"L\": %s}]}, \"map\": {\"type\": \"mlp\", \"layers\": "
             "[{\"W\": [[1, 0], [0, 1]], \"b\": [0, 0], \"activation\": \"identity\"}]}}",
             family, L);
    idc_err err;
    ck_assert_msg(idc_instance_read_string(inst, t, &err) == IDC_OK, "%s", err.msg);
}

static const char *const families[] = {"gaussian", "exponential", "gumbel", "uniform"};

/* For every family, 200k draws have the declared mean and covariance: each
 * of the 2 mean and 3 covariance entries within 5 standard errors, the
 * standard errors estimated from the same sample (second and fourth
 * moments). Fixed seed; the largest |z-score| is printed (measured margin:
 * see the log). */
START_TEST(test_family_moments)
{
    const uint64_t seed = 0x5eed0f;
    IDC_TEST_PRINT_SEED("test_family_moments", seed);
    const size_t n = 200000;
    const double mu[2] = {1, -2}, S[2][2] = {{4, 2}, {2, 1.25}};
    for (size_t f = 0; f < 4; f++) {
        idc_instance inst;
        load_family(&inst, families[f], "[[2, 0], [1, 0.5]]");
        idc_samples s;
        idc_err err;
        ck_assert_int_eq(idc_sample_draw(&s, &inst, n, seed, (uint32_t)f, 2, &err), IDC_OK);
        double m[2] = {0, 0};
        for (size_t i = 0; i < n; i++)
            for (int a = 0; a < 2; a++)
                m[a] += s.z[2 * i + a] / (double)n;
        double c[2][2] = {{0, 0}, {0, 0}}, c2[2][2] = {{0, 0}, {0, 0}};
        for (size_t i = 0; i < n; i++)
            for (int a = 0; a < 2; a++)
                for (int b = 0; b < 2; b++) {
                    double p = (s.z[2 * i + a] - mu[a]) * (s.z[2 * i + b] - mu[b]);
                    c[a][b] += p / (double)n;
                    c2[a][b] += p * p / (double)n;
                }
        double worst = 0.0;
        for (int a = 0; a < 2; a++) {
            double zs = (m[a] - mu[a]) / sqrt(S[a][a] / (double)n);
            worst = fmax(worst, fabs(zs));
            for (int b = a; b < 2; b++) {
                double se = sqrt((c2[a][b] - c[a][b] * c[a][b]) / (double)n);
                worst = fmax(worst, fabs(c[a][b] - S[a][b]) / se);
            }
        }
        fprintf(stderr, "family %-11s mean (%.4f, %.4f) cov [[%.4f, %.4f], [%.4f, %.4f]] max |z| %.2f\n",
                families[f], m[0], m[1], c[0][0], c[0][1], c[1][0], c[1][1], worst);
        if (worst > 5.0)
            IDC_TEST_FAIL_REPLAY("test_family_moments", seed, "%s: a moment is %.2f standard errors off",
                                 families[f], worst);
        idc_samples_clear(&s);
        idc_instance_clear(&inst);
    }
}
END_TEST

/* The families differ in shape, not in the first two moments: with L = I
 * the coordinates are the standardised eps; their skewness is 0 (gaussian,
 * uniform), 2 (exponential), 12 sqrt(6) zeta(3) / pi^3 = 1.1395 (Gumbel);
 * supports: eps >= -1 (exponential), |eps| <= sqrt 3 (uniform). And the
 * draw is the documented inverse CDF at the Gaussian sampler's positions. */
START_TEST(test_family_shape_and_streams)
{
    const uint64_t seed = 0x5ca1e;
    IDC_TEST_PRINT_SEED("test_family_shape_and_streams", seed);
    const size_t n = 200000;
    const double skew_want[4] = {0.0, 2.0, 1.1395470994046486, 0.0};
    idc_rng lat = idc_rng_stream(seed, 0, IDC_PURPOSE_LATENT);
    for (size_t f = 0; f < 4; f++) {
        idc_instance inst;
        load_family(&inst, families[f], "[[1, 0], [0, 1]]");
        idc_samples s, t;
        idc_err err;
        ck_assert_int_eq(idc_sample_draw(&s, &inst, n, seed, 0, 1, &err), IDC_OK);
        double m3 = 0.0, lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            double e = s.z[2 * i] - 1.0;
            m3 += e * e * e / (double)n;
            lo = fmin(lo, e);
            hi = fmax(hi, e);
        }
        fprintf(stderr, "family %-11s skewness %.4f (want %.4f) range [%.3f, %.3f]\n", families[f], m3,
                skew_want[f], lo, hi);
        /* skewness SE: sqrt(Var(eps^3) / n) <= sqrt(E eps^6 / n) (~ 0.6 for Exp): 0.1 is >= 5 SE for
         * gaussian/uniform/gumbel and ~3 SE for exponential (measured |diff| in the log) */
        ck_assert_msg(fabs(m3 - skew_want[f]) < (f == 1 ? 0.2 : 0.1), "%s: skewness %g", families[f], m3);
        if (f == 1)
            ck_assert(lo >= -1.0);
        if (f == 3)
            ck_assert(lo >= -sqrt(3.0) && hi <= sqrt(3.0));
        for (size_t i = 0; i < 1000; i += 37) {
            double u = idc_rng_uniform(lat, (uint64_t)i * 2 + 1), want;
            if (f == 0)
                want = idc_rng_normal(lat, (uint64_t)i * 2 + 1);
            else if (f == 1)
                want = -log(u) - 1.0;
            else if (f == 2)
                want = (-log(-log(u)) - 0.57721566490153286061) * (sqrt(6.0) / M_PI);
            else
                want = sqrt(3.0) * (2.0 * u - 1.0);
            ck_assert_msg(s.z[2 * i + 1] - (-2.0) == want ||
                              fabs(s.z[2 * i + 1] + 2.0 - want) <= 1e-15 * (2 + fabs(want)),
                          "%s: sample %zu: %.17g vs %.17g", families[f], i, s.z[2 * i + 1] + 2.0, want);
        }
        /* thread-count independence and determinism */
        ck_assert_int_eq(idc_sample_draw(&t, &inst, n, seed, 0, 5, &err), IDC_OK);
        ck_assert(memcmp(s.z, t.z, n * 2 * sizeof(double)) == 0);
        ck_assert(memcmp(s.x, t.x, n * 2 * sizeof(double)) == 0);
        idc_samples_clear(&t);
        idc_samples_clear(&s);
        idc_instance_clear(&inst);
    }
}
END_TEST

/* A pinwheel instance samples: x = f(z) with f the warp, |E^+ x| = |z|. */
START_TEST(test_pinwheel_samples)
{
    static const char *t =
        "{\"idcheck_format\": 1, \"model\": {\"dim\": 2, \"components\": ["
        "{\"weight\": 0.5, \"mean\": [1, 0], \"L\": [[0.3, 0], [0, 0.05]]},"
        "{\"weight\": 0.5, \"mean\": [-1, 0], \"L\": [[-0.3, 0], [0, -0.05]]}]},"
        " \"map\": {\"type\": \"pinwheel\", \"rate\": 0.25, \"embed\": [[2, 0], [0, 2], [0, 0]]}}";
    idc_instance inst;
    idc_err err;
    ck_assert_msg(idc_instance_read_string(&inst, t, &err) == IDC_OK, "%s", err.msg);
    idc_samples s, u;
    ck_assert_int_eq(idc_sample_draw(&s, &inst, 5000, 9, 0, 1, &err), IDC_OK);
    ck_assert_int_eq(idc_sample_draw(&u, &inst, 5000, 9, 0, 4, &err), IDC_OK);
    ck_assert(memcmp(s.x, u.x, 5000 * 3 * sizeof(double)) == 0);
    ck_assert_uint_eq(s.xdim, 3);
    for (size_t i = 0; i < 5000; i++) {
        const double *z = s.z + 2 * i, *x = s.x + 3 * i;
        ck_assert(x[2] == 0.0);
        double r = hypot(z[0], z[1]);
        ck_assert(fabs(hypot(x[0], x[1]) / 2.0 - r) <= 1e-13 * (1 + r));
    }
    idc_samples_clear(&u);
    idc_samples_clear(&s);
    idc_instance_clear(&inst);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sample");
    TCase *tc = tcase_create("sample");
    tcase_add_test(tc, test_thread_invariance);
    tcase_add_test(tc, test_noise_and_errors);
    tcase_add_test(tc, test_family_moments);
    tcase_add_test(tc, test_family_shape_and_streams);
    tcase_add_test(tc, test_pinwheel_samples);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("test_support_map_labels");
    tcase_add_test(tr, test_support_map_labels);
    suite_add_tcase(s, tr);
    return idc_test_run(s);
}
