/* Tests of models/sample.h: determinism across thread counts, supports of
 * degenerate components, the mixing map, label frequencies and moments. */
#include <math.h>
#include <string.h>

#include "models/sample.h"
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

int main(void)
{
    Suite *s = suite_create("sample");
    TCase *tc = tcase_create("sample");
    tcase_add_test(tc, test_thread_invariance);
    tcase_add_test(tc, test_noise_and_errors);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("test_support_map_labels");
    tcase_add_test(tr, test_support_map_labels);
    suite_add_tcase(s, tr);
    return idc_test_run(s);
}
