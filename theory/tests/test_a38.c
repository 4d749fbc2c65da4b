/* Tests of A3.8a / A3.8b (Xu et al. Ass. 3.8): known answers and tampered
 * certificates. */
#include <stdio.h>
#include <string.h>

#include "numeric/tests/testutil.h"
#include "theory/cert.h"
#include "theory/precond.h"

/* m = 3 instance from component fragments {"mean": ..., "L": ...}. */
static void load(idc_instance *inst, const char *const *comps, size_t J)
{
    char txt[4096];
    int n = snprintf(txt, sizeof txt, "{\"idcheck_format\": 1, \"model\": {\"dim\": 3, \"components\": [");
    for (size_t j = 0; j < J; j++)
        n += snprintf(txt + n, sizeof txt - (size_t)n, "%s{\"weight\": %.17g, %s}", j ? "," : "", 1.0 / (double)J,
                      comps[j]);
    snprintf(txt + n, sizeof txt - (size_t)n,
             "]}, \"map\": {\"type\": \"mlp\", \"layers\": [{\"W\": [[1,0,0],[0,1,0],[0,0,1]], \"b\": [0,0,0], "
             "\"activation\": \"identity\"}]}}");
    idc_err err;
    ck_assert_msg(idc_instance_read_string(inst, txt, &err) == IDC_OK, "%s", err.msg);
}

#define S01 "\"mean\": [1, 2, 0], \"L\": [[1, 0], [0, 1], [0, 0]]"
#define S12 "\"mean\": [0, 1, 3], \"L\": [[0, 0], [2, 0], [1, 1]]"
#define S02 "\"mean\": [2, 0, 1], \"L\": [[1, 0], [0, 0], [0, 3]]"
#define S012 "\"mean\": [1, 1, 1], \"L\": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]"
#define OFF "\"mean\": [1, 0, 5], \"L\": [[1], [0], [0]]"          /* mean off its support {0} */
#define SING "\"mean\": [0, 0, 0], \"L\": [[1], [1], [0]]"          /* support {0,1}, rank 1 */

static const struct {
    const char *c[3];
    size_t J;
    idc_verdict a, b;
    const char *a_reason;
} table[] = {
    {{S01, S12, S02}, 3, IDC_HOLDS, IDC_HOLDS, NULL},
    {{S01, S012}, 2, IDC_HOLDS, IDC_FAILS, NULL},
    {{S01, OFF}, 2, IDC_FAILS, IDC_FAILS, "mean-outside"},
    {{SING, S12, S02}, 3, IDC_FAILS, IDC_HOLDS, "singular-on-support"},
    {{S012}, 1, IDC_HOLDS, IDC_FAILS, NULL},
};

static json_t *run(idc_instance *inst, const char *id, idc_verdict expect, int row)
{
    idc_pre_result r;
    idc_err err;
    idc_pre_result_init(&r);
    ck_assert_int_eq(idc_pre_check(&r, id, inst, NULL, &err), IDC_OK);
    ck_assert_msg(r.verdict == expect, "row %d %s: %s (%s)", row, id, idc_verdict_name(r.verdict), r.reason);
    char why[256];
    ck_assert_msg(idc_cert_verify(r.cert, inst, why, sizeof why) == IDC_OK, "row %d %s: %s", row, id, why);
    json_t *c = json_incref(r.cert);
    idc_pre_result_clear(&r);
    return c;
}

START_TEST(test_known_answers)
{
    idc_instance inst;
    load(&inst, table[_i].c, table[_i].J);
    json_t *a = run(&inst, "A3.8a", table[_i].a, _i);
    json_t *b = run(&inst, "A3.8b", table[_i].b, _i);
    if (table[_i].a_reason != NULL)
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(a, "witness"), "reason")),
                         table[_i].a_reason);
    json_decref(a);
    json_decref(b);
    idc_instance_clear(&inst);
}
END_TEST

START_TEST(test_tampering)
{
    char why[256];
    idc_instance inst;
    load(&inst, table[0].c, 3);
    json_t *a = run(&inst, "A3.8a", IDC_HOLDS, 0);
    json_t *b = run(&inst, "A3.8b", IDC_HOLDS, 0);
    /* wrong supports */
    json_t *t = json_deep_copy(a);
    json_array_set_new(json_array_get(json_object_get(json_object_get(t, "witness"), "supports"), 0), 1,
                       json_integer(2));
    ck_assert_int_ne(idc_cert_verify(t, &inst, why, sizeof why), IDC_OK);
    json_decref(t);
    /* a cover entry naming a component that does not separate */
    t = json_deep_copy(b);
    json_t *e = json_array_get(json_object_get(json_object_get(t, "witness"), "cover"), 0);
    json_array_set_new(e, 2, json_integer((json_integer_value(json_array_get(e, 2)) + 1) % 3));
    ck_assert_int_ne(idc_cert_verify(t, &inst, why, sizeof why), IDC_OK);
    json_decref(t);
    /* a FAILS claim (i, k) on a model where the pair is covered */
    t = json_deep_copy(b);
    json_object_set_new(t, "verdict", json_string("FAILS"));
    json_object_set_new(json_object_get(t, "witness"), "i", json_integer(0));
    json_object_set_new(json_object_get(t, "witness"), "k", json_integer(1));
    ck_assert_int_ne(idc_cert_verify(t, &inst, why, sizeof why), IDC_OK);
    json_decref(t);
    /* a singular-on-support claim for a nonsingular component */
    t = json_deep_copy(a);
    json_object_set_new(t, "verdict", json_string("FAILS"));
    json_object_set_new(json_object_get(t, "witness"), "reason", json_string("singular-on-support"));
    json_object_set_new(json_object_get(t, "witness"), "component", json_integer(1));
    ck_assert_int_ne(idc_cert_verify(t, &inst, why, sizeof why), IDC_OK);
    ck_assert(strstr(why, "nonsingular") != NULL);
    json_decref(t);
    json_decref(a);
    json_decref(b);
    idc_instance_clear(&inst);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("a38");
    TCase *tc = tcase_create("a38");
    tcase_add_loop_test(tc, test_known_answers, 0, (int)(sizeof table / sizeof table[0]));
    tcase_add_test(tc, test_tampering);
    suite_add_tcase(s, tc);
    return idc_test_run(s);
}
