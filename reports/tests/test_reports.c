/* Tests of reports/: provenance records and metric records. */
#include <string.h>

#include "numeric/tests/testutil.h"
#include "reports/metrics_json.h"
#include "reports/provenance.h"

START_TEST(test_provenance)
{
    json_t *p = idc_provenance_json();
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(json_string_value(json_object_get(p, "idcheck")), idc_version());
    json_t *libs = json_object_get(p, "libraries");
    static const char *const names[] = {"gmp", "mpfr", "flint", "arb", "gsl", "openblas", "jansson", "sqlite", "nettle"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = json_string_value(json_object_get(libs, names[i]));
        ck_assert_msg(v != NULL && v[0] != '\0', "missing version of %s", names[i]);
    }
    ck_assert_ptr_nonnull(json_object_get(json_object_get(p, "build"), "compiler"));
    json_decref(p);
}
END_TEST

START_TEST(test_metrics_json)
{
    /* zhat = (2 z1, -z0): R^2 = 1 and the matching swaps coordinates. */
    enum { N = 40 };
    double z[2 * N], zh[2 * N];
    for (int i = 0; i < N; i++) {
        z[2 * i] = (double)(i % 7) - 3.0;
        z[2 * i + 1] = (double)((i * 5) % 11) - 5.0;
        zh[2 * i] = 2.0 * z[2 * i + 1];
        zh[2 * i + 1] = -z[2 * i];
    }
    idc_r2_result r2;
    idc_mcc_result mcc;
    idc_err err;
    ck_assert_int_eq(idc_metric_r2(&r2, z, 2, zh, 2, N, &err), IDC_OK);
    ck_assert_int_eq(idc_metric_mcc(&mcc, z, 2, zh, 2, N, &err), IDC_OK);
    json_t *o = idc_metrics_json(&r2, &mcc);
    ck_assert(json_real_value(json_object_get(o, "r2_out")) > 1 - 1e-9);
    ck_assert(json_real_value(json_object_get(o, "mcc_out")) > 1 - 1e-9);
    json_t *m = json_object_get(o, "matching");
    ck_assert_int_eq(json_integer_value(json_array_get(m, 0)), 1);
    ck_assert_int_eq(json_integer_value(json_array_get(m, 1)), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(o, "r2_coord_out")), 2);
    json_decref(o);
    o = idc_metrics_json(NULL, &mcc);
    ck_assert_ptr_null(json_object_get(o, "r2_out"));
    json_decref(o);
    idc_r2_result_clear(&r2);
    idc_mcc_result_clear(&mcc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reports");
    TCase *tc = tcase_create("reports");
    tcase_add_test(tc, test_provenance);
    tcase_add_test(tc, test_metrics_json);
    suite_add_tcase(s, tc);
    return idc_test_run(s);
}
