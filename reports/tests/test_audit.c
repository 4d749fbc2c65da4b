/* Tests of reports/audit.h: a stored run re-derived identically, and every
 * kind of tampering (a metric, a verdict, a certificate, the instance, the
 * record, a seed) named; tolerance mode; trials that cannot be re-run. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "generators/registry.h"
#include "numeric/tests/testutil.h"
#include "properties/prop.h"
#include "reports/audit.h"
#include "reports/store.h"

static char dir[64], path[128];

/* A store with two K3.9c trials (a tiny flow: 200 rows, 10 steps) and one
 * trial of an exact-only record, stored the way idcheck prop --db does. */
static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/idc-audit-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/r.sqlite", dir);
    const idc_prop_def *def = idc_prop_find("K3.9c");
    ck_assert_ptr_nonnull(def);
    void *params = calloc(1, def->params_size);
    def->defaults(params);
    idc_err err;
    ck_assert_int_eq(def->set_param(params, "n_train", "200", &err), IDC_OK);
    ck_assert_int_eq(def->set_param(params, "n_eval", "200", &err), IDC_OK);
    ck_assert_int_eq(def->set_param(params, "steps", "10", &err), IDC_OK);
    idc_prop_run_opts o = {.seed = 7, .first = 0, .trials = 2, .jobs = 1};
    idc_prop_summary sum;
    json_t *res = NULL;
    ck_assert_int_eq(idc_prop_run(&sum, &res, def, params, &o, &err), IDC_OK);
    idc_store *s = NULL;
    ck_assert_int_eq(idc_store_open(&s, path, IDC_STORE_WRITE, &err), IDC_OK);
    int64_t run = 0;
    ck_assert_int_eq(idc_store_run_begin(s, &run, "prop", 0, NULL, NULL, NULL, NULL, &err), IDC_OK);
    size_t i;
    json_t *rec;
    json_array_foreach(json_object_get(res, "trials"), i, rec)
    {
        char cell[32];
        snprintf(cell, sizeof cell, "K3.9c#%zu", i);
        idc_store_trial t = {.cell = cell, .property = "K3.9c", .trial_index = -1, .has_seeds = 1,
                             .seed = strtoull(json_string_value(json_object_get(rec, "seed")), NULL, 16),
                             .run_seed = 7, .params = json_object_get(res, "params"), .seconds = -1, .record = rec};
        ck_assert_int_eq(idc_store_add_trial(s, run, &t, NULL, &err), IDC_OK);
    }
    idc_store_close(s);
    json_decref(res);
    free(params);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Runs SQL on the store behind idcheck's back (as a person with the sqlite3
 * shell would). */
static void tamper(const char *sql)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "");
    ck_assert_int_ge(sqlite3_changes(db), 1);
    sqlite3_close(db);
}

static void audit(idc_audit_trial *r, int64_t tid, int bitwise)
{
    idc_store *s = NULL;
    idc_err err;
    ck_assert_int_eq(idc_store_open(&s, path, IDC_STORE_READ, &err), IDC_OK);
    idc_audit_opts o = idc_audit_opts_default();
    o.bitwise = bitwise;
    int rc = idc_audit_run_trial(r, s, tid, &o, &err);
    ck_assert_msg(rc == IDC_OK, "%s", err.msg);
    idc_store_close(s);
}

/* 1 when one of r's difference lines contains needle. */
static int names(const idc_audit_trial *r, const char *needle)
{
    size_t i;
    json_t *d;
    json_array_foreach(r->details, i, d)
    {
        if (strstr(json_string_value(d), needle) != NULL)
            return 1;
    }
    return 0;
}

static void dump(const idc_audit_trial *r)
{
    size_t i;
    json_t *d;
    json_array_foreach(r->details, i, d)
    {
        fprintf(stderr, "  difference: %s\n", json_string_value(d));
    }
}

START_TEST(test_identical)
{
    for (int64_t tid = 1; tid <= 2; tid++) {
        idc_audit_trial r;
        audit(&r, tid, 1);
        if (r.mismatches != 0)
            dump(&r);
        ck_assert_int_eq(r.exact, IDC_AUDIT_IDENTICAL);
        ck_assert_int_eq(r.figures, IDC_AUDIT_IDENTICAL);
        ck_assert_uint_eq(r.mismatches, 0);
        ck_assert(r.compared > 100); /* the record's numbers, verdicts, measurements */
        ck_assert_str_eq(r.outcome, r.outcome_rerun);
        ck_assert_str_eq(r.property, "K3.9c");
        ck_assert_int_eq(r.run_id, 1);
        idc_audit_trial_clear(&r);
    }
    ck_assert_str_eq(idc_audit_status_name(IDC_AUDIT_MISMATCH), "MISMATCH");
    ck_assert_str_eq(idc_audit_status_name(IDC_AUDIT_WITHIN_TOL), "within-tolerance");
}
END_TEST

/* A metric edited by hand in the measurements table. */
START_TEST(test_tampered_metric)
{
    tamper("UPDATE measurements SET value = value * 0.5 WHERE trial_id = 2 AND name = 'r2_out'");
    idc_audit_trial r;
    audit(&r, 2, 1);
    ck_assert_int_eq(r.exact, IDC_AUDIT_IDENTICAL);
    ck_assert_int_eq(r.figures, IDC_AUDIT_MISMATCH);
    ck_assert_uint_eq(r.mismatches, 1);
    ck_assert(names(&r, "measurements.r2_out: stored"));
    idc_audit_trial_clear(&r);
    /* the other trial is untouched */
    audit(&r, 1, 1);
    ck_assert_uint_eq(r.mismatches, 0);
    idc_audit_trial_clear(&r);
    /* not within any tolerance either */
    audit(&r, 2, 0);
    ck_assert_int_eq(r.figures, IDC_AUDIT_MISMATCH);
    idc_audit_trial_clear(&r);
}
END_TEST

/* The last bit of a metric: a mismatch bit for bit, within the tolerance
 * otherwise. */
START_TEST(test_tolerance)
{
    tamper("UPDATE measurements SET value = value * (1 + 1e-12) WHERE trial_id = 1 AND name = 'kl_gap'");
    idc_audit_trial r;
    audit(&r, 1, 1);
    ck_assert_int_eq(r.figures, IDC_AUDIT_MISMATCH);
    ck_assert(names(&r, "measurements.kl_gap"));
    idc_audit_trial_clear(&r);
    audit(&r, 1, 0);
    ck_assert_int_eq(r.exact, IDC_AUDIT_IDENTICAL);
    ck_assert_int_eq(r.figures, IDC_AUDIT_WITHIN_TOL);
    ck_assert_uint_eq(r.mismatches, 0);
    ck_assert(r.max_rel > 0 && r.max_rel < 1e-11);
    idc_audit_trial_clear(&r);
}
END_TEST

START_TEST(test_tampered_verdict)
{
    tamper("UPDATE verdicts SET verdict = 'FAILS' WHERE trial_id = 1 AND precondition = 'P1nd'");
    idc_audit_trial r;
    audit(&r, 1, 1);
    ck_assert_int_eq(r.exact, IDC_AUDIT_MISMATCH);
    ck_assert(names(&r, "verdicts[P1nd].verdict: stored FAILS, re-run HOLDS"));
    idc_audit_trial_clear(&r);
}
END_TEST

START_TEST(test_tampered_certificate)
{
    /* the certificate rewritten with a hash to match it: the re-run's differs */
    tamper("UPDATE verdicts SET certificate = replace(certificate, '\"HOLDS\"', '\"FAILS\"') "
           "WHERE trial_id = 1 AND precondition = 'F1'");
    idc_audit_trial r;
    audit(&r, 1, 1);
    ck_assert_int_eq(r.exact, IDC_AUDIT_MISMATCH);
    ck_assert(names(&r, "verdicts[F1].certificate"));
    ck_assert(names(&r, "verdicts[F1].cert_hash (of the stored certificate)"));
    idc_audit_trial_clear(&r);
}
END_TEST

START_TEST(test_tampered_samples)
{
    tamper("UPDATE samples SET sha256 = replace(sha256, substr(sha256, 1, 1), 'x') WHERE trial_id = 2");
    idc_audit_trial r;
    audit(&r, 2, 1);
    ck_assert_int_eq(r.exact, IDC_AUDIT_MISMATCH);
    ck_assert_int_eq(r.figures, IDC_AUDIT_IDENTICAL);
    ck_assert(names(&r, "samples.sha256: stored x"));
    idc_audit_trial_clear(&r);
    audit(&r, 1, 1);
    ck_assert_uint_eq(r.mismatches, 0);
    idc_audit_trial_clear(&r);
}
END_TEST

START_TEST(test_tampered_instance)
{
    /* a weight of the stored instance changed */
    tamper("UPDATE instances SET json = replace(json, '\"weight\":', '\"weight\":0.0000001+') WHERE rowid = 1");
    idc_audit_trial r;
    audit(&r, 1, 1);
    ck_assert_int_eq(r.exact, IDC_AUDIT_MISMATCH);
    ck_assert(names(&r, "instances.json"));
    idc_audit_trial_clear(&r);
}
END_TEST

START_TEST(test_tampered_record_and_seed)
{
    tamper("UPDATE trials SET record = json_set(record, '$.estimator.metrics.mcc_out', 0.999) WHERE trial_id = 1");
    tamper("UPDATE trials SET seed = '12345' WHERE trial_id = 2");
    idc_audit_trial r;
    audit(&r, 1, 1);
    ck_assert_int_eq(r.figures, IDC_AUDIT_MISMATCH);
    ck_assert(names(&r, "record.estimator.metrics.mcc_out: stored 0.999"));
    idc_audit_trial_clear(&r);
    audit(&r, 2, 1);
    ck_assert_int_eq(r.exact, IDC_AUDIT_MISMATCH);
    ck_assert(names(&r, "seed (trials row): stored 12345"));
    idc_audit_trial_clear(&r);
    /* an outcome relabelled in the row */
    tamper("UPDATE trials SET outcome = 'PASS' WHERE trial_id = 2");
    audit(&r, 2, 1);
    ck_assert(names(&r, "outcome: trials row PASS, record INCONCLUSIVE"));
    idc_audit_trial_clear(&r);
}
END_TEST

START_TEST(test_not_rerun)
{
    tamper("UPDATE trials SET property = 'NOPE' WHERE trial_id = 1");
    tamper("UPDATE trials SET params = '{\"n_train\": -3}' WHERE trial_id = 2");
    idc_audit_trial r;
    audit(&r, 1, 1);
    ck_assert_int_eq(r.exact, IDC_AUDIT_NOT_RERUN);
    ck_assert(names(&r, "property unknown"));
    idc_audit_trial_clear(&r);
    audit(&r, 2, 1);
    ck_assert_int_eq(r.exact, IDC_AUDIT_NOT_RERUN);
    ck_assert(names(&r, "n_train"));
    idc_audit_trial_clear(&r);
    /* an unknown trial id is an error */
    idc_store *s = NULL;
    idc_err err;
    ck_assert_int_eq(idc_store_open(&s, path, IDC_STORE_READ, &err), IDC_OK);
    idc_audit_opts o = idc_audit_opts_default();
    ck_assert_int_eq(idc_audit_run_trial(&r, s, 99, &o, &err), IDC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "no trial 99"));
    idc_audit_trial_clear(&r);
    idc_store_close(s);
}
END_TEST

/* What audit re-runs from: every property's parameters read back from their
 * params_json (fixed parameters included), to the same parameters. */
START_TEST(test_params_round_trip)
{
    for (size_t i = 0; i < idc_prop_count(); i++) {
        const idc_prop_def *def = idc_prop_get(i);
        void *a = calloc(1, def->params_size), *b = calloc(1, def->params_size);
        def->defaults(a);
        json_t *pa = def->params_json(a);
        idc_err err;
        int rc = idc_prop_params_from_json(b, def, pa, &err);
        ck_assert_msg(rc == IDC_OK, "%s: %s", def->id, err.msg);
        json_t *pb = def->params_json(b);
        ck_assert_msg(json_equal(pa, pb), "%s: parameters differ after the round trip", def->id);
        json_decref(pa);
        json_decref(pb);
        free(a);
        free(b);
    }
}
END_TEST

/* A check-like record (verdicts with certificates, conclusions) and a
 * fit-like one (metrics, weights' hash) in a store, compared with fresh
 * re-derivations: identical; a changed figure, verdict, certificate or
 * weights' hash named; tolerance; a record that could not be re-derived. */
START_TEST(test_records)
{
    const idc_gen_info *g = idc_gen_find("pdgmm");
    idc_gen_values gv;
    idc_gen_values_init(&gv, g);
    idc_instance inst;
    idc_err err;
    ck_assert_int_eq(idc_gen_generate(&inst, &gv, 2, &err), IDC_OK);
    char hash[65];
    ck_assert_int_eq(idc_instance_hash(hash, &inst, &err), IDC_OK);
    char *it = idc_instance_dump(&inst);
    json_t *ij = json_loads(it, 0, NULL);
    free(it);
    idc_instance_clear(&inst);
    json_t *chk = json_pack("{s:s,s:[{s:s,s:s,s:s,s:{s:s,s:i}}],s:[{s:s,s:s}],s:s,s:n,s:f}", "model_hash", hash,
                            "preconditions", "id", "F1", "verdict", "HOLDS", "reason", "exact", "certificate",
                            "method", "rank", "rank", 3, "theorems", "id", "K3.9c", "applies", "HOLDS",
                            "strongest_class", "AT", "strongest_law_class", "budget_seconds", 60.0);
    json_t *fit = json_pack("{s:s,s:{s:f,s:f},s:s,s:f}", "model_hash", hash, "metrics", "r2_out", 0.5, "mcc_out", 0.25,
                            "weights_sha256", "ab", "train_seconds", 1.0);
    json_t *conf = json_object();
    idc_store *s = NULL;
    ck_assert_int_eq(idc_store_open(&s, path, IDC_STORE_WRITE, &err), IDC_OK);
    int64_t run = 0;
    ck_assert_int_eq(idc_store_run_begin(s, &run, "check", 0, NULL, NULL, NULL, NULL, &err), IDC_OK);
    idc_store_record rc = {.kind = "check", .cell = "check x", .instance = ij, .config = conf, .record = chk,
                           .verdicts = json_object_get(chk, "preconditions"), .seconds = -1};
    idc_store_record rf = {.kind = "fit", .cell = "fit x", .instance = ij, .config = conf, .record = fit,
                           .seconds = 1};
    int64_t cid = 0, fid = 0;
    ck_assert_int_eq(idc_store_add_record(s, run, &rc, &cid, &err), IDC_OK);
    ck_assert_int_eq(idc_store_add_record(s, run, &rf, &fid, &err), IDC_OK);
    idc_audit_opts o = idc_audit_opts_default();
    idc_audit_trial r;
    /* identical, timings aside */
    json_t *f2 = json_deep_copy(fit);
    json_object_set_new(f2, "train_seconds", json_real(9.0));
    ck_assert_int_eq(idc_audit_compare_record(&r, s, fid, f2, NULL, NULL, &o, &err), IDC_OK);
    ck_assert_int_eq(r.exact, IDC_AUDIT_IDENTICAL);
    ck_assert_int_eq(r.figures, IDC_AUDIT_IDENTICAL);
    ck_assert_str_eq(r.property, "fit");
    ck_assert_int_eq(r.trial_id, fid);
    ck_assert(r.compared >= 5);
    idc_audit_trial_clear(&r);
    ck_assert_int_eq(idc_audit_compare_record(&r, s, cid, chk, json_object_get(chk, "preconditions"), NULL, &o, &err),
                     IDC_OK);
    ck_assert_int_eq(r.exact, IDC_AUDIT_IDENTICAL);
    ck_assert_int_eq(r.figures, IDC_AUDIT_IDENTICAL);
    idc_audit_trial_clear(&r);
    /* a figure off by 1e-12 relative: a mismatch bit for bit, within tolerance otherwise */
    json_object_set_new(json_object_get(f2, "metrics"), "r2_out", json_real(0.5 * (1 + 1e-12)));
    ck_assert_int_eq(idc_audit_compare_record(&r, s, fid, f2, NULL, NULL, &o, &err), IDC_OK);
    ck_assert_int_eq(r.figures, IDC_AUDIT_MISMATCH);
    ck_assert(names(&r, "record_measurements.metrics.r2_out") && names(&r, "record.metrics.r2_out"));
    idc_audit_trial_clear(&r);
    o.bitwise = 0;
    json_object_set_new(f2, "weights_sha256", json_string("cd")); /* not compared within tolerance */
    ck_assert_int_eq(idc_audit_compare_record(&r, s, fid, f2, NULL, NULL, &o, &err), IDC_OK);
    ck_assert_int_eq(r.figures, IDC_AUDIT_WITHIN_TOL);
    idc_audit_trial_clear(&r);
    o.bitwise = 1;
    ck_assert_int_eq(idc_audit_compare_record(&r, s, fid, f2, NULL, NULL, &o, &err), IDC_OK);
    ck_assert(names(&r, "weights_sha256"));
    idc_audit_trial_clear(&r);
    /* a check's verdict and certificate: exact parts */
    json_t *c2 = json_deep_copy(chk);
    json_t *e = json_array_get(json_object_get(c2, "preconditions"), 0);
    json_object_set_new(json_object_get(e, "certificate"), "rank", json_integer(2));
    ck_assert_int_eq(idc_audit_compare_record(&r, s, cid, c2, json_object_get(c2, "preconditions"), NULL, &o, &err),
                     IDC_OK);
    ck_assert_int_eq(r.exact, IDC_AUDIT_MISMATCH);
    ck_assert(names(&r, "verdicts[F1].certificate") && names(&r, "record.preconditions"));
    idc_audit_trial_clear(&r);
    json_object_set_new(e, "verdict", json_string("FAILS"));
    ck_assert_int_eq(idc_audit_compare_record(&r, s, cid, c2, json_object_get(c2, "preconditions"), NULL, &o, &err),
                     IDC_OK);
    ck_assert(names(&r, "verdicts[F1].verdict: stored HOLDS, re-run FAILS"));
    idc_audit_trial_clear(&r);
    /* not re-derived; an unknown record */
    ck_assert_int_eq(idc_audit_compare_record(&r, s, fid, NULL, NULL, "the fit failed", &o, &err), IDC_OK);
    ck_assert_int_eq(r.exact, IDC_AUDIT_NOT_RERUN);
    ck_assert(names(&r, "the fit failed"));
    idc_audit_trial_clear(&r);
    ck_assert_int_eq(idc_audit_compare_record(&r, s, 99, fit, NULL, NULL, &o, &err), IDC_EINVAL);
    idc_audit_trial_clear(&r);
    idc_store_close(s);
    /* the stored instance edited: its hash no longer matches */
    tamper("UPDATE instances SET json = json_set(json, '$.noise.sigma', 0.25) WHERE hash IN (SELECT instance_hash "
           "FROM records)");
    ck_assert_int_eq(idc_store_open(&s, path, IDC_STORE_READ, &err), IDC_OK);
    ck_assert_int_eq(idc_audit_compare_record(&r, s, fid, fit, NULL, NULL, &o, &err), IDC_OK);
    ck_assert_int_eq(r.exact, IDC_AUDIT_MISMATCH);
    ck_assert(names(&r, "instances.hash (recomputed from instances.json)"));
    idc_audit_trial_clear(&r);
    idc_store_close(s);
    json_decref(c2);
    json_decref(f2);
    json_decref(chk);
    json_decref(fit);
    json_decref(conf);
    json_decref(ij);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("audit");
    const idc_test_case cases[] = {
        {"identical", test_identical},
        {"tampered_metric", test_tampered_metric},
        {"tolerance", test_tolerance},
        {"tampered_verdict", test_tampered_verdict},
        {"tampered_certificate", test_tampered_certificate},
        {"tampered_instance", test_tampered_instance},
        {"tampered_samples", test_tampered_samples},
        {"tampered_record_and_seed", test_tampered_record_and_seed},
        {"not_rerun", test_not_rerun},
        {"params_round_trip", test_params_round_trip},
        {"records", test_records},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 60);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, cases[i].fn);
        suite_add_tcase(s, tc);
    }
    return idc_test_run(s);
}
