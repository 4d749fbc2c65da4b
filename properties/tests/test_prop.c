/* Tests of the property engine with K3.9a at tiny sizes: registry,
 * determinism independent of the number of worker threads, replay of a
 * single trial, discarding when a precondition is not HOLDS, the assertion
 * path (PASS / FAIL with the IDC-FAIL line and replay command), and that
 * every certificate in a trial record verifies. */
#include <string.h>
#include <unistd.h>

#include "numeric/tests/testutil.h"
#include "properties/k39.h"
#include "properties/k39a.h"
#include "properties/prop.h"
#include "theory/cert.h"

static void tiny(idc_k39a_params *p)
{
    idc_k39a_defaults(p);
    p->gen.m = 2;
    p->gen.J = 2;
    p->n_train = 600;
    p->n_eval = 200;
    p->fit.steps = 150;
    p->fit.batch = 64;
    p->hidden_mult = 4;
}

/* Drops the wall-clock fields so records can be compared. */
static void strip_times(json_t *results)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(results, "trials"), i, t)
    {
        json_object_del(json_object_get(t, "fit"), "train_seconds");
        json_object_del(t, "wall_seconds");
    }
}

static json_t *run(const idc_k39a_params *p, uint64_t seed, uint32_t first, uint32_t n, unsigned jobs,
                   idc_prop_summary *sum, FILE *progress)
{
    idc_prop_run_opts o = {
        .seed = seed, .first = first, .trials = n, .jobs = jobs, .progress = progress, .replay_args = "--m 2"};
    json_t *res = NULL;
    idc_err err;
    int rc = idc_prop_run(sum, &res, &idc_prop_k39a, p, &o, &err);
    ck_assert_msg(rc == IDC_OK, "%s", err.msg);
    strip_times(res);
    return res;
}

START_TEST(test_registry)
{
    ck_assert_uint_ge(idc_prop_count(), 1);
    ck_assert_ptr_eq(idc_prop_find("K3.9a"), &idc_prop_k39a_flow); /* idc_prop_k39a runs under it (stage1) */
    ck_assert_ptr_null(idc_prop_find("K9.9"));
    ck_assert_ptr_null(idc_prop_get(idc_prop_count()));
    idc_k39a_params p;
    idc_err err;
    idc_k39a_defaults(&p);
    ck_assert_int_eq(idc_prop_k39a.set_param(&p, "steps", "77", &err), IDC_OK);
    ck_assert_uint_eq(p.fit.steps, 77);
    ck_assert_int_eq(idc_prop_k39a.set_param(&p, "m", "4", &err), IDC_OK);
    ck_assert_uint_eq(p.gen.m, 4);
    ck_assert_int_eq(idc_prop_k39a.set_param(&p, "r2_min", "0.5", &err), IDC_OK);
    ck_assert(p.r2_min == 0.5);
    ck_assert_int_eq(idc_prop_k39a.set_param(&p, "ratio", "0.5", &err), IDC_EINVAL);
    ck_assert_int_eq(idc_prop_k39a.set_param(&p, "steps", "-3", &err), IDC_EINVAL);
    ck_assert_int_eq(idc_prop_k39a.set_param(&p, "nope", "1", &err), IDC_EINVAL);
    ck_assert_str_eq(idc_trial_outcome_name(IDC_TRIAL_DISCARD), "DISCARD");
    /* params_json is complete: set back through set_param it gives the same
     * parameters (what regression files and replay overrides rely on). */
    p.gen.bias = 0.25;
    p.gen.aux_label = 1;
    p.r2_min = -0.5;
    json_t *pj = idc_prop_k39a.params_json(&p);
    idc_k39a_params q;
    ck_assert_int_eq(idc_prop_params_from_json(&q, &idc_prop_k39a, pj, &err), IDC_OK);
    json_t *qj = idc_prop_k39a.params_json(&q);
    ck_assert(json_equal(pj, qj));
    char ov[1024];
    ck_assert(idc_prop_overrides(ov, sizeof ov, &idc_prop_k39a, pj));
    ck_assert_msg(strstr(ov, "--bias 0.25") != NULL && strstr(ov, "--aux_label 1") != NULL &&
                      strstr(ov, "--r2_min -0.5") != NULL && strstr(ov, "--steps 77") != NULL,
                  "%s", ov);
    json_decref(pj);
    json_decref(qj);
    /* Every declared shrinkable is a parameter. */
    qj = idc_prop_k39a.params_json(&q);
    for (size_t i = 0; i < idc_prop_k39a.nshrinkables; i++)
        ck_assert_ptr_nonnull(json_object_get(qj, idc_prop_k39a.shrinkables[i].name));
    json_decref(qj);
}
END_TEST

START_TEST(test_jobs_and_replay_deterministic)
{
    idc_k39a_params p;
    tiny(&p);
    idc_prop_summary s1, s2, s3;
    json_t *a = run(&p, 99, 0, 3, 1, &s1, NULL);
    json_t *b = run(&p, 99, 0, 3, 3, &s2, NULL);
    ck_assert(json_equal(a, b));
    ck_assert_uint_eq(s1.passed + s1.failed + s1.discarded, 3);
    ck_assert_uint_eq(s1.passed, s2.passed);
    /* Trial 2 alone reproduces its record. */
    json_t *c = run(&p, 99, 2, 1, 1, &s3, NULL);
    ck_assert(json_equal(json_array_get(json_object_get(a, "trials"), 2),
                         json_array_get(json_object_get(c, "trials"), 0)));
    /* Another run seed gives other trials. */
    json_t *d = run(&p, 100, 2, 1, 1, &s3, NULL);
    ck_assert(!json_equal(json_array_get(json_object_get(c, "trials"), 0),
                          json_array_get(json_object_get(d, "trials"), 0)));
    json_decref(a);
    json_decref(b);
    json_decref(c);
    json_decref(d);
}
END_TEST

START_TEST(test_certificates_in_records_verify)
{
    idc_k39a_params p;
    tiny(&p);
    idc_prop_summary s;
    json_t *a = run(&p, 5, 0, 1, 1, &s, NULL);
    json_t *t = json_array_get(json_object_get(a, "trials"), 0);
    char *txt = json_dumps(json_object_get(t, "instance"), 0);
    idc_instance inst;
    idc_err err;
    ck_assert_int_eq(idc_instance_read_string(&inst, txt, &err), IDC_OK);
    size_t i;
    json_t *pre;
    size_t holds = 0;
    json_array_foreach(json_object_get(t, "preconditions"), i, pre)
    {
        const char *v = json_string_value(json_object_get(pre, "verdict"));
        if (strcmp(v, "HOLDS") == 0) {
            char why[256];
            ck_assert_msg(idc_cert_verify(json_object_get(pre, "certificate"), &inst, why, sizeof why) == IDC_OK,
                          "%s: %s", json_string_value(json_object_get(pre, "id")), why);
            holds++;
        }
    }
    ck_assert_uint_eq(holds, 5); /* DIMU1 P1nd F1 F2 DIM, all certified */
    ck_assert_ptr_nonnull(json_object_get(t, "fit"));
    ck_assert_ptr_nonnull(json_object_get(t, "assertion"));
    free(txt);
    idc_instance_clear(&inst);
    json_decref(a);
}
END_TEST

START_TEST(test_discard_when_precondition_not_holds)
{
    idc_k39a_params p;
    tiny(&p);
    p.gen.slope = 0.0; /* ReLU hidden layer: H.9 does not apply; m = 3: F2 is UNKNOWN */
    p.gen.m = 3;
    p.gen.n = 3;
    idc_prop_summary s;
    json_t *a = run(&p, 1, 0, 2, 2, &s, NULL);
    ck_assert_uint_eq(s.discarded, 2);
    ck_assert_uint_eq(s.passed + s.failed, 0);
    json_t *t = json_array_get(json_object_get(a, "trials"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(t, "outcome")), "DISCARD");
    ck_assert(strstr(json_string_value(json_object_get(t, "why")), "F2 is UNKNOWN") != NULL);
    ck_assert_ptr_null(json_object_get(t, "fit")); /* never trained, never asserted */
    json_decref(a);
}
END_TEST

START_TEST(test_assertion_pass_and_fail_paths)
{
    idc_k39a_params p;
    tiny(&p);
    idc_prop_summary s;
    p.r2_min = -1e9; /* any finite R^2 passes */
    json_t *a = run(&p, 7, 0, 1, 1, &s, NULL);
    ck_assert_uint_eq(s.passed, 1);
    json_decref(a);
    p.r2_min = 1.5; /* R^2 <= 1 always: must fail, loudly */
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    a = run(&p, 7, 0, 1, 1, &s, mem);
    fclose(mem);
    ck_assert_uint_eq(s.failed, 1);
    ck_assert_msg(strstr(buf, "IDC-FAIL prop=K3.9a trial=0 seed=0x") != NULL, "%s", buf);
    ck_assert_msg(strstr(buf, "replay: idcheck prop K3.9a --replay 0x7:0 --m 2") != NULL, "%s", buf);
    ck_assert(strstr(buf, "r2_out=") != NULL);
    json_t *t = json_array_get(json_object_get(a, "trials"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(t, "outcome")), "FAIL");
    ck_assert(json_is_false(json_object_get(json_object_get(t, "assertion"), "holds")));
    free(buf);
    json_decref(a);
}
END_TEST

/* --estimator vade: Kivva et al.'s estimator on the same trial (a record
 * naming it, the parameter in the JSON); bad values refused. */
START_TEST(test_vade_estimator)
{
    idc_k39a_params p;
    tiny(&p);
    idc_err err;
    ck_assert_int_eq(idc_prop_k39a.set_param(&p, "estimator", "vade", &err), IDC_OK);
    ck_assert_int_eq(idc_prop_k39a.set_param(&p, "estimator", "nope", &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "--estimator") != NULL);
    json_t *pj = idc_prop_k39a.params_json(&p);
    ck_assert_str_eq(json_string_value(json_object_get(pj, "estimator")), "vade");
    json_decref(pj);
    p.r2_min = -1e9;
    idc_prop_summary s;
    json_t *a = run(&p, 7, 0, 1, 1, &s, NULL);
    ck_assert_uint_eq(s.passed, 1);
    json_t *t = json_array_get(json_object_get(a, "trials"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(t, "fit"), "estimator")), "vade");
    json_decref(a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("prop");
    TCase *tc = tcase_create("prop");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_registry);
    tcase_add_test(tc, test_jobs_and_replay_deterministic);
    tcase_add_test(tc, test_certificates_in_records_verify);
    tcase_add_test(tc, test_discard_when_precondition_not_holds);
    tcase_add_test(tc, test_assertion_pass_and_fail_paths);
    tcase_add_test(tc, test_vade_estimator);
    suite_add_tcase(s, tc);
    return idc_test_run(s);
}
