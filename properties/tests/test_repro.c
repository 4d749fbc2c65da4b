/* Tests of the paper reproductions (properties/repro.h) at tiny step
 * counts: the result structure, the paper's values carried beside ours,
 * per-seed certified preconditions, argument errors. Their numbers at these
 * sizes mean nothing and are not asserted. */
#include <math.h>
#include <string.h>

#include "numeric/tests/testutil.h"
#include "properties/repro.h"

START_TEST(test_xtable1)
{
    idc_xtable1_opts o = {.rows = {8}, .nrows = 1, .seeds = 1, .steps1 = 5, .steps2 = 3};
    json_t *res = NULL;
    idc_err err;
    ck_assert_msg(idc_repro_xtable1(&res, &o, NULL, &err) == IDC_OK, "%s", err.msg);
    json_t *row = json_array_get(json_object_get(res, "rows"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(row, "row")), 8);
    ck_assert(fabs(json_number_value(json_object_get(json_object_get(row, "paper"), "r2_stage1")) - 0.99) < 1e-12);
    json_t *ours = json_object_get(row, "ours");
    ck_assert(json_is_number(json_object_get(ours, "r2_stage1")) && json_is_number(json_object_get(ours, "mcc_stage2")));
    json_t *per = json_array_get(json_object_get(ours, "per_seed"), 0);
    const char *a34 = json_string_value(json_object_get(json_object_get(per, "preconditions"), "A3.4"));
    ck_assert_str_eq(a34, "FAILS"); /* delta = 0: every mean is 0 (README, Findings) */
    FILE *fp = fopen("/dev/null", "w");
    idc_repro_xtable1_print(fp, res);
    fclose(fp);
    json_decref(res);
    idc_xtable1_opts bad = {.rows = {18}, .nrows = 1, .seeds = 1};
    ck_assert_int_eq(idc_repro_xtable1(&res, &bad, NULL, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "--rows") != NULL);
}
END_TEST

START_TEST(test_vae_tables)
{
    idc_repro_opts o = {.seeds = 2, .steps = 20};
    json_t *res = NULL;
    idc_err err;
    ck_assert_msg(idc_repro_ivae_fig2(&res, &o, NULL, &err) == IDC_OK, "%s", err.msg);
    ck_assert_uint_eq(json_array_size(json_object_get(res, "runs")), 4); /* 2 seeds x (ivae, vae) */
    ck_assert_ptr_nonnull(json_object_get(json_object_get(res, "summary"), "ivae_mcc"));
    json_decref(res);
    ck_assert_msg(idc_repro_kivva_table2(&res, &o, NULL, &err) == IDC_OK, "%s", err.msg);
    ck_assert_uint_eq(json_array_size(json_object_get(res, "runs")), 2);
    double w = json_number_value(json_object_get(json_object_get(json_object_get(res, "summary"), "weak_mcc"), "mean"));
    ck_assert(w >= 0 && w <= 1);
    json_decref(res);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("repro");
    const idc_test_case cases[] = {
        {"test_xtable1", test_xtable1},
        {"test_vae_tables", test_vae_tables},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 120);
    return idc_test_run(s);
}
