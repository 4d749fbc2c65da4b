/* Tests of the K3.9 properties with the flow estimator (properties/k39.h):
 * the four outcomes and the estimator gate. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "properties/certify.h"
#include "properties/k39.h"
#include "properties/ladder.h"
#include "properties/pipeline_flow.h"
#include "generators/pdgmm.h"
#include "properties/prop.h"
#include "numeric/tests/testutil.h"

static void *params_of(const idc_prop_def *d, const char *const *kv)
{
    void *p = calloc(1, d->params_size);
    idc_err err;
    d->defaults(p);
    for (size_t i = 0; kv[i] != NULL; i += 2)
        ck_assert_msg(d->set_param(p, kv[i], kv[i + 1], &err) == IDC_OK, "%s: %s", kv[i], err.msg);
    return p;
}

/* A deliberately under-trained trial (cold start, 3 steps) misses the
 * estimator condition: INCONCLUSIVE with the measured gap, never FAIL, even
 * with an assertion that could not hold. */
START_TEST(test_gate_inconclusive)
{
    const char *kv[] = {"m", "2", "J", "2", "init", "random", "steps", "3", "n_train", "2000", "n_eval", "2000",
                        "r2_min", "2", NULL};
    void *p = params_of(&idc_prop_k39c_flow, kv);
    idc_trial t;
    idc_err err;
    ck_assert_int_eq(idc_prop_k39c_flow.run_trial(&t, p, 7, 0, &err), IDC_OK);
    ck_assert_msg(t.outcome == IDC_TRIAL_INCONCLUSIVE, "%s: %s", idc_trial_outcome_name(t.outcome), t.why);
    ck_assert_ptr_nonnull(strstr(t.why, "EST-K not met: KL gap"));
    json_t *g = json_object_get(t.record, "gate");
    ck_assert(json_is_false(json_object_get(g, "met")));
    ck_assert(json_real_value(json_object_get(g, "kl_gap_upper")) > 0.01);
    ck_assert_str_eq(idc_trial_outcome_name(IDC_TRIAL_INCONCLUSIVE), "INCONCLUSIVE");
    idc_trial_clear(&t);
    free(p);
}
END_TEST

/* With the gate open (kappa huge) the same trial is asserted: the bound
 * decides PASS or FAIL, and a FAIL says it is not a counterexample. */
START_TEST(test_gate_open_asserts)
{
    const char *fail[] = {"m", "2", "J", "2", "steps", "60", "n_train", "2000", "n_eval", "2000", "kappa", "1e6",
                          "r2_min", "2", NULL};
    void *p = params_of(&idc_prop_k39c_flow, fail);
    idc_trial t;
    idc_err err;
    ck_assert_int_eq(idc_prop_k39c_flow.run_trial(&t, p, 7, 0, &err), IDC_OK);
    ck_assert_msg(t.outcome == IDC_TRIAL_FAIL, "%s: %s", idc_trial_outcome_name(t.outcome), t.why);
    ck_assert_ptr_nonnull(strstr(t.why, "not a counterexample"));
    idc_trial_clear(&t);
    free(p);
    /* the Stage-1 estimator is not in EST-K: never asserted */
    const char *st[] = {"m", "2", "J", "2", "estimator", "stage1", "steps", "20", "n_train", "300", "n_eval", "200",
                        "batch", "32", "hidden_mult", "1", NULL};
    p = params_of(&idc_prop_k39c_flow, st);
    ck_assert_int_eq(idc_prop_k39c_flow.run_trial(&t, p, 7, 0, &err), IDC_OK);
    ck_assert_msg(t.outcome == IDC_TRIAL_INCONCLUSIVE, "%s", t.why);
    ck_assert_ptr_nonnull(strstr(t.why, "not in Kivva's estimator class"));
    idc_trial_clear(&t);
    free(p);
}
END_TEST

/* The warm start at CI size meets the gate and passes K3.9a and K3.9c
 * (measured: KL gap ~0.002, R^2 1.0000, dist 0.02-0.04 at n_train 10000). */
START_TEST(test_warm_passes)
{
    const char *kv[] = {"steps", "400", "n_train", "6000", "n_eval", "6000", "kappa", "0.03", NULL};
    const idc_prop_def *defs[] = {&idc_prop_k39a_flow, &idc_prop_k39c_flow};
    for (size_t k = 0; k < 2; k++) {
        void *p = params_of(defs[k], kv);
        idc_trial t;
        idc_err err;
        ck_assert_int_eq(defs[k]->run_trial(&t, p, 2026, 1, &err), IDC_OK);
        ck_assert_msg(t.outcome == IDC_TRIAL_PASS, "%s: %s: %s", defs[k]->id, idc_trial_outcome_name(t.outcome), t.why);
        /* the fitted model's class membership was certified */
        json_t *cls = json_object_get(t.record, "fitted_model_class");
        ck_assert_uint_eq(json_array_size(cls), 4);
        for (size_t i = 0; i < 4; i++)
            ck_assert_str_eq(json_string_value(json_object_get(json_array_get(cls, i), "verdict")), "HOLDS");
        idc_trial_clear(&t);
        free(p);
    }
}
END_TEST

START_TEST(test_params)
{
    idc_err err;
    void *p = calloc(1, idc_prop_k39b_flow.params_size);
    idc_prop_k39b_flow.defaults(p);
    ck_assert_int_eq(idc_prop_k39b_flow.set_param(p, "estimator", "vade", &err), IDC_EINVAL);
    ck_assert_int_eq(idc_prop_k39b_flow.set_param(p, "cov", "full", &err), IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "fixed"));
    ck_assert_int_eq(idc_prop_k39b_flow.set_param(p, "init", "cold", &err), IDC_EINVAL);
    ck_assert_int_eq(idc_prop_k39b_flow.set_param(p, "no_such", "1", &err), IDC_EINVAL);
    ck_assert_int_eq(idc_prop_k39b_flow.set_param(p, "restarts", "3", &err), IDC_OK);
    ck_assert_int_eq(idc_prop_k39b_flow.set_param(p, "restarts", "65", &err), IDC_EINVAL);
    json_t *j = idc_prop_k39b_flow.params_json(p);
    ck_assert_str_eq(json_string_value(json_object_get(j, "estimator")), "flow");
    ck_assert_ptr_null(json_object_get(j, "cov")); /* fixed by the property, not a parameter */
    ck_assert_int_eq((int)json_integer_value(json_object_get(j, "restarts")), 3); /* a rejected value is not kept */
    json_decref(j);
    free(p);
}
END_TEST

/* The consistency ladder: the same trials at two sample sizes, a table of
 * measurements per rung, and the paired trend test (with 3 pairs the exact
 * one-sided p cannot go below 1/8: too few for alpha 0.05). A property
 * without the flow's measurements is refused. */
START_TEST(test_ladder)
{
    const char *kv[] = {"m", "2", "J", "2", "steps", "80", "n_eval", "1000", NULL};
    void *p = params_of(&idc_prop_k39c_flow, kv);
    const char *values[] = {"300", "3000"};
    idc_prop_run_opts o = {.seed = 5, .first = 0, .trials = 3, .jobs = 2};
    idc_ladder_result res;
    json_t *out;
    idc_err err;
    ck_assert_msg(idc_prop_ladder(&res, &out, &idc_prop_k39c_flow, p, "n_train", values, 2, 0.05, &o, &err) == IDC_OK,
                  "%s", err.msg);
    ck_assert_uint_eq(res.pairs, 3);
    ck_assert_int_eq(res.verdict, IDC_LADDER_TOO_FEW);
    ck_assert(res.p_one_sided > 0 && res.p_one_sided <= 1);
    ck_assert_uint_eq(json_array_size(json_object_get(out, "table")), 3);
    json_t *r0 = json_array_get(json_object_get(json_array_get(json_object_get(out, "table"), 0), "rungs"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(r0, "value")), "3000");
    ck_assert(json_is_number(json_object_get(r0, "kl_gap")) && json_is_number(json_object_get(r0, "one_minus_r2")));
    ck_assert_str_eq(idc_ladder_verdict_name(res.verdict), "too few trials");
    json_decref(out);
    ck_assert_int_eq(idc_prop_ladder(&res, &out, &idc_prop_k39c_flow, p, "n_train", values, 1, 0.05, &o, &err),
                     IDC_EINVAL);
    const char *bad[] = {"300", "-4"};
    ck_assert_int_eq(idc_prop_ladder(&res, &out, &idc_prop_k39c_flow, p, "n_train", bad, 2, 0.05, &o, &err), IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "--ladder n_train=-4"));
    free(p);
    const char *st[] = {"m", "2", "J", "2", "estimator", "stage1", "steps", "10", "n_eval", "200", "batch", "32",
                        "hidden_mult", "1", NULL};
    p = params_of(&idc_prop_k39c_flow, st);
    o.trials = 1;
    ck_assert_int_eq(idc_prop_ladder(&res, &out, &idc_prop_k39c_flow, p, "n_train", values, 2, 0.05, &o, &err),
                     IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "no flow measurements"));
    free(p);
}
END_TEST

/* The flow pipeline with restarts: R short starts recorded, the best
 * continued with the full schedule; measurements recorded. */
START_TEST(test_pipeline_restarts)
{
    idc_gen_pdgmm_params gp;
    idc_gen_pdgmm_defaults(&gp);
    gp.m = 2;
    gp.J = 2;
    idc_instance inst;
    idc_err err;
    ck_assert_int_eq(idc_gen_pdgmm(&inst, &gp, 4, &err), IDC_OK);
    idc_flow_config c;
    idc_flow_config_default(&c, 2);
    c.J = 2;
    c.steps = 60;
    idc_pipeline_opts o = {.n_train = 1000, .n_eval = 500, .seed = 4, .restarts = 3};
    idc_pipeline_flow_result pr;
    ck_assert_msg(idc_pipeline_flow(&pr, NULL, &inst, &c, &o, &err) == IDC_OK, "%s", err.msg);
    ck_assert_uint_eq(json_array_size(json_object_get(pr.base.record, "restarts")), 3);
    ck_assert_uint_eq(pr.fit.steps, 60);
    ck_assert(isfinite(pr.kl_gap) && pr.kl_half > 0 && isfinite(pr.kl_start));
    ck_assert(json_is_number(json_object_get(json_object_get(pr.base.record, "estimator_conditions"), "kl_gap_upper")));
    /* train_seconds covers the restarts too; the held-out |corr| matrix is recorded (m x m, entries in [0, 1]) */
    ck_assert(pr.train_seconds > pr.fit.seconds);
    json_t *fitj = json_object_get(pr.base.record, "fit");
    ck_assert(json_real_value(json_object_get(fitj, "train_seconds")) == pr.train_seconds);
    json_t *corr = json_object_get(json_object_get(pr.base.record, "metrics"), "corr_out");
    ck_assert_uint_eq(json_array_size(corr), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *row = json_array_get(corr, i);
        ck_assert_uint_eq(json_array_size(row), 2);
        for (size_t j = 0; j < 2; j++) {
            double v = json_real_value(json_array_get(row, j));
            ck_assert(v >= 0 && v <= 1 + 1e-12);
        }
    }
    idc_pipeline_flow_result_clear(&pr);
    /* not a square noiseless instance: the flow does not apply */
    inst.noise_sigma = 0.1;
    ck_assert_int_eq(idc_pipeline_flow(&pr, NULL, &inst, &c, &o, &err), IDC_EDOM);
    idc_instance_clear(&inst);
}
END_TEST

/* The shared precondition step and the trial line. */
START_TEST(test_certify_and_line)
{
    idc_gen_pdgmm_params gp;
    idc_gen_pdgmm_defaults(&gp);
    idc_instance inst;
    idc_err err;
    ck_assert_int_eq(idc_gen_pdgmm(&inst, &gp, 3, &err), IDC_OK);
    inst.noise_sigma = 0.1;
    char hash[65];
    ck_assert_int_eq(idc_instance_hash(hash, &inst, &err), IDC_OK);
    static const char *const ids[] = {"DIM", "F4", "NOISE0", "FC", NULL};
    idc_trial t;
    memset(&t, 0, sizeof t);
    json_t *pre = json_array();
    const char *nh = NULL;
    idc_budget b = idc_budget_default();
    ck_assert_int_eq(idc_prop_certify(&nh, &t, pre, ids, &inst, hash, &b, &err), IDC_OK);
    ck_assert_str_eq(nh, "NOISE0");
    ck_assert_str_eq(t.line, "DIM=HOLDS F4=HOLDS NOISE0=FAILS FC=HOLDS ");
    ck_assert_ptr_nonnull(strstr(t.why, "NOISE0 is FAILS"));
    ck_assert_uint_eq(json_array_size(pre), 4);
    ck_assert(json_is_object(json_object_get(json_array_get(pre, 1), "certificate")));
    static const char *const bad[] = {"NO_SUCH_ID", NULL};
    ck_assert_int_ne(idc_prop_certify(&nh, &t, pre, bad, &inst, hash, &b, &err), IDC_OK);
    json_decref(pre);
    idc_instance_clear(&inst);
    /* the whole start of a trial: generate, record, certify */
    idc_gen_values gv;
    idc_gen_values_init(&gv, idc_gen_find("pdgmm"));
    ck_assert_int_eq(idc_gen_set_param(&gv, "noise", "0.1", &err), IDC_OK);
    json_t *rec;
    memset(&t, 0, sizeof t);
    ck_assert_int_eq(idc_prop_begin_trial(&inst, &rec, hash, &nh, &t, &gv, 77, ids, &b, &err), IDC_OK);
    ck_assert_str_eq(nh, "NOISE0");
    ck_assert_str_eq(json_string_value(json_object_get(rec, "model_hash")), hash);
    ck_assert_uint_eq(json_array_size(json_object_get(rec, "preconditions")), 4);
    ck_assert(json_is_object(json_object_get(rec, "instance")));
    json_decref(rec);
    idc_instance_clear(&inst);
    ck_assert_int_ne(idc_prop_begin_trial(&inst, &rec, hash, &nh, &t, &gv, 77, bad, &b, &err), IDC_OK);
    ck_assert_ptr_null(rec);
    memset(&t, 0, sizeof t);
    idc_trial_appendf(&t, "a=%d ", 1);
    idc_trial_appendf(&t, "b=%s", "x");
    ck_assert_str_eq(t.line, "a=1 b=x");
    for (int i = 0; i < 200; i++)
        idc_trial_appendf(&t, "0123456789");
    ck_assert_uint_eq(strlen(t.line), sizeof t.line - 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("k39");
    const idc_test_case cases[] = {
        {"test_gate_inconclusive", test_gate_inconclusive},
        {"test_gate_open_asserts", test_gate_open_asserts},
        {"test_warm_passes", test_warm_passes},
        {"test_params", test_params},
        {"test_ladder", test_ladder},
        {"test_certify_and_line", test_certify_and_line},
        {"test_pipeline_restarts", test_pipeline_restarts},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 300);
    return idc_test_run(s);
}
