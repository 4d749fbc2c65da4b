/* A results store for the report's tests (header only; used by
 * reports/tests/test_report.c and cli/tests/test_report_cli.c), written
 * through reports/store.h like any producing verb writes one:
 *
 *  run 1 "sweep" of K3.9c over eps in {0.1, 0.3, 1.0} x 3 seeds (trial k:
 *    eps = EPS[k / 3], seed index k % 3), start alternating random /
 *    perturbed-truth; outcomes FIX_OUTCOME[k]; precondition P1nd HOLDS
 *    except where the trial is DISCARDed (FAILS, at eps = 1.0); every record
 *    carries estimator conditions (kl_gap) and metrics (r2_out, mcc_out) and
 *    trials 0 and 4 a correlation matrix (metrics.corr_out); every trial's
 *    parameters hold the hostile string FIX_HOSTILE;
 *  run 2 "repro" with one trial whose record is an x-table1 result (a row
 *    with the paper's values and ours).
 * The provenance and the run's argv carry FIX_HOSTILE too. */
#ifndef IDC_REPORT_FIXTURE_H
#define IDC_REPORT_FIXTURE_H

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "reports/store.h"

#define FIX_HOSTILE "<script>alert(1)</script> \"quoted\" & 'single'"
#define FIX_TRIALS 9
static const char *const FIX_OUTCOME[FIX_TRIALS] = {"PASS", "PASS", "FAIL",         "PASS",   "PASS",
                                                    "FAIL", "PASS", "INCONCLUSIVE", "DISCARD"};
static const double FIX_EPS[3] = {0.1, 0.3, 1.0};

/* 1 - R^2 and the KL gap of trial k: both grow with eps. */
static inline double fix_r2(int k)
{
    return 1 - 1e-4 * (1 + k) * (1 + k);
}

static inline double fix_kl(int k)
{
    return 1e-3 * (1 + k) * (1 + (k % 3));
}

static inline json_t *fix_record(int k)
{
    const char *oc = FIX_OUTCOME[k];
    int discard = strcmp(oc, "DISCARD") == 0;
    json_t *metrics = json_pack("{s:f,s:f,s:f}", "r2_out", fix_r2(k), "mcc_out", 0.9 + 0.01 * k, "r2_in", fix_r2(k));
    if (k == 0 || k == 4)
        json_object_set_new(metrics, "corr_out",
                            json_pack("[[f,f,f],[f,f,f],[f,f,f]]", 0.99, 0.1, 0.05, 0.2, 0.97, 0.1, 0.0, 0.3, 0.9));
    char seed[32], replay[256], why[256], hash[80];
    snprintf(seed, sizeof seed, "0x%016x", 0x1000 + k);
    snprintf(replay, sizeof replay, "idcheck prop K3.9c --seed 5 --first %d --trials 1 --eps %g", k, FIX_EPS[k / 3]);
    snprintf(why, sizeof why, "%s reason of trial %d", oc, k);
    snprintf(hash, sizeof hash, "%064x", 0xabc + k);
    json_t *rec = json_pack("{s:i,s:s,s:s,s:f,s:s,s:{s:f,s:i,s:s},s:{s:s,s:s,s:{s:f,s:f},s:o},s:[{s:s,s:s,s:o}],s:s,"
                            "s:{s:i,s:{s:i}}}",
                            "trial", k, "seed", seed, "outcome", oc, "wall_seconds", 1.5 + k, "run_seed", "0x5",
                            "params", "eps", FIX_EPS[k / 3], "m", 2, "tag", FIX_HOSTILE, "estimator", "estimator",
                            "flow", "init", k % 2 ? "random" : "perturbed-truth", "estimator_conditions", "kl_gap",
                            fix_kl(k), "kl_gap_upper", 1.5 * fix_kl(k), "metrics", metrics, "preconditions", "id",
                            "P1nd", "verdict", discard ? "FAILS" : "HOLDS", "certificate",
                            json_pack("{s:i,s:s,s:s,s:i}", "idcheck_cert", 1, "precondition", "P1nd", "verdict",
                                      discard ? "FAILS" : "HOLDS", "k", k / 3),
                            "model_hash", hash, "instance", "idcheck_format", 1, "model", "dim", 2);
    if (strcmp(oc, "PASS") != 0)
        json_object_set_new(rec, "why", json_string(why));
    if (strcmp(oc, "FAIL") == 0)
        json_object_set_new(rec, "replay", json_string(replay));
    return rec;
}

/* Writes the store at path (which must not exist). Returns 0 on success. */
static inline int fix_write(const char *path)
{
    idc_store *s = NULL;
    idc_err err;
    if (idc_store_open(&s, path, IDC_STORE_WRITE, &err) != IDC_OK) {
        fprintf(stderr, "fixture: %s\n", err.msg);
        return 1;
    }
    char *argv1[] = {"idcheck", "sweep", "k39.json", "--db", "results.sqlite", "--note", FIX_HOSTILE};
    json_t *prov = json_pack("{s:s,s:{s:s,s:s},s:s}", "idcheck", "0.1.0", "blas", "core", "Haswell", "chosen_by",
                             FIX_HOSTILE, "backend", "cpu");
    json_t *sweep = json_pack("{s:s,s:[f,f,f]}", "property", "K3.9c", "eps", 0.1, 0.3, 1.0);
    int64_t run = 0, run2 = 0;
    int rc = idc_store_run_begin(s, &run, "sweep", 7, argv1, prov, sweep, NULL, &err);
    for (int k = 0; k < FIX_TRIALS && rc == IDC_OK; k++) {
        json_t *rec = fix_record(k);
        char cell[64];
        snprintf(cell, sizeof cell, "{\"eps\":%g,\"seed\":%d}", FIX_EPS[k / 3], k % 3);
        idc_store_trial t = {.cell = cell, .property = "K3.9c", .trial_index = -1, .seconds = -1, .record = rec};
        rc = idc_store_add_trial(s, run, &t, NULL, &err);
        json_decref(rec);
    }
    if (rc == IDC_OK)
        rc = idc_store_run_finish(s, run, "failed", &err);
    char *argv2[] = {"idcheck", "repro", "x-table1", "--rows", "1"};
    if (rc == IDC_OK)
        rc = idc_store_run_begin(s, &run2, "repro", 5, argv2, prov, NULL, NULL, &err);
    if (rc == IDC_OK) {
        json_t *rec = json_pack("{s:s,s:s,s:s,s:[{s:i,s:{s:i,s:i},s:{s:f,s:f},s:{s:f,s:f,s:f}}]}", "outcome", "PASS",
                                "table", "x-table1", "scale", "ci", "rows", "row", 1, "params", "n", 5, "k", 1,
                                "paper", "r2_stage1", 0.99, "mcc_stage1", 0.62, "ours", "r2_stage1", 0.987,
                                "mcc_stage1", 0.58, "mcc_no_sparsity", 0.55);
        idc_store_trial t = {.cell = "x-table1 row 1", .property = "repro:x-table1", .trial_index = 0, .seconds = 2,
                             .record = rec};
        rc = idc_store_add_trial(s, run2, &t, NULL, &err);
        json_decref(rec);
    }
    if (rc == IDC_OK)
        rc = idc_store_run_finish(s, run2, "ok", &err);
    if (rc != IDC_OK)
        fprintf(stderr, "fixture: %s\n", err.msg);
    json_decref(prov);
    json_decref(sweep);
    idc_store_close(s);
    return rc != IDC_OK;
}

/* A sweep run carrying the paper's numbers (docs/SWEEP.md): case row1 with
 * {"r2_stage1": 0.93, "mcc_stage2": 0.96} and, per theta, {"mcc_stage2":
 * {"15": 0.83, "30": 0.6}}; trials of X3.7 (r2_out = fix_sweep_value) and
 * X3.9 (mcc_out = fix_sweep_value) at theta 15 and 30, seeds 0..1. */
static inline double fix_sweep_value(int prop, int theta, int seed)
{
    return 0.5 + 0.1 * prop + 0.004 * theta + 0.01 * seed;
}

static inline int fix_write_sweep(const char *path)
{
    idc_store *s = NULL;
    idc_err err;
    if (idc_store_open(&s, path, IDC_STORE_WRITE, &err) != IDC_OK)
        return 1;
    json_t *sweep = json_loads("{\"idcheck_sweep\": 1, \"name\": \"x-table1-mini\", \"scale\": \"cpu\", "
                               "\"properties\": [\"X3.7\", \"X3.9\"], \"cases\": [{\"label\": \"row1\", "
                               "\"params\": {\"m\": 5}, \"paper\": {\"r2_stage1\": 0.93, \"mcc_stage2\": 0.96}}], "
                               "\"grid\": {\"theta\": [15, 30]}, \"paper\": {\"mcc_stage2\": {\"15\": 0.83, "
                               "\"30\": 0.6}}}",
                               0, NULL);
    char *argv[] = {"idcheck", "sweep", "x.json", "--db", "x.sqlite"};
    int64_t run = 0;
    int rc = idc_store_run_begin(s, &run, "sweep", 5, argv, NULL, sweep, NULL, &err);
    static const char *const PROPS[2] = {"X3.7", "X3.9"};
    for (int p = 0; p < 2 && rc == IDC_OK; p++)
        for (int th = 15; th <= 30 && rc == IDC_OK; th += 15)
            for (int sd = 0; sd < 2 && rc == IDC_OK; sd++) {
                char cell[96];
                snprintf(cell, sizeof cell, "%s;case=row1;theta=%d;seed=%d", PROPS[p], th, sd);
                json_t *rec = json_pack("{s:s,s:i,s:{s:i},s:{s:f}}", "outcome", sd ? "INCONCLUSIVE" : "PASS", "trial",
                                        sd, "params", "theta", th, "metrics", p ? "mcc_out" : "r2_out",
                                        fix_sweep_value(p, th, sd));
                idc_store_trial t = {.cell = cell, .property = PROPS[p], .trial_index = -1, .seconds = -1,
                                     .record = rec};
                rc = idc_store_add_trial(s, run, &t, NULL, &err);
                json_decref(rec);
            }
    if (rc == IDC_OK)
        rc = idc_store_run_finish(s, run, "ok", &err);
    if (rc != IDC_OK)
        fprintf(stderr, "fixture: %s\n", err.msg);
    json_decref(sweep);
    idc_store_close(s);
    return rc != IDC_OK;
}

#endif
