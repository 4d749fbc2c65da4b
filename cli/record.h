/* The records of `idcheck fit`, `check` and `repro` in the results store
 * (reports/store.h idc_store_record; docs/STORE.md "records"): written by
 * --db, and re-derived from their config by `idcheck audit` through the
 * same code that produced them (cli/fit.c, cli/fit_flow.c, cli/check.c,
 * cli/repro.c).
 *
 * What each record holds:
 *  - fit: config {"argv": the fit's arguments without the output paths
 *    (-o, --zhat, --emit-model) and --db, "instance_path", "seed"}, the
 *    instance, record = FIT.json without its provenance (the run's) and
 *    with the trained weights ("weights", the flow's "model") replaced by
 *    the SHA-256 of their canonical JSON ("weights_sha256", "model_sha256");
 *  - check: config {"ids", "budget_seconds", "max_entries",
 *    "instance_path"}, the instance, record = `idcheck check --json`'s
 *    document, verdicts = its "preconditions" with their certificates;
 *  - repro: config {"table", "scale" options, "row" / "seed" / "restart"},
 *    record = the trial as the reproduction reports it (properties/repro.h). */
#ifndef IDC_CLI_RECORD_H
#define IDC_CLI_RECORD_H

#include <jansson.h>

#include "cli/db.h"
#include "models/instance.h"
#include "numeric/status.h"

/* How a fit runs: from the command line (capture 0), or re-derived
 * (capture 1: no file is written, nothing printed, the instance read from
 * instance_json, and *record set to the record --db would store). */
typedef struct {
    const char *db_path;       /* --db FILE or NULL (capture 0 only) */
    int capture;
    const char *instance_json; /* capture: the recorded instance */
    json_t *record;            /* capture: the result (new reference) */
} idc_cli_fit_env;

/* fit --estimator flow (cli/fit_flow.c), called by the fit verb. */
int idc_cli_fit_flow_env(int argc, char **argv, idc_cli_fit_env *env);

/* The record of a fit as stored: FIT.json out without "provenance", with
 * "weights" and "model" replaced by "weights_sha256" / "model_sha256".
 * New reference; NULL when out of memory. */
json_t *idc_cli_fit_record(const json_t *fit);

/* The config of a fit: {"argv": argv[1..argc) without -o, --zhat,
 * --emit-model, --db and their values, "instance_path", "seed"}. */
json_t *idc_cli_fit_config(int argc, char **argv, const char *instance_path, uint64_t seed);

/* --db: the record of a fit (fit = FIT.json as written, without
 * provenance), of a check (doc = check --json's document), of one trial of
 * a reproduction, in the run of db, one transaction each; a no-op without a
 * store. IDC_OK or the store's status with err set. */
int idc_cli_db_fit(idc_cli_db *db, const json_t *fit, const idc_instance *inst, int argc, char **argv,
                   const char *instance_path, uint64_t seed, idc_err *err) __attribute__((warn_unused_result));
int idc_cli_db_check(idc_cli_db *db, const json_t *doc, const json_t *config, const idc_instance *inst,
                     idc_err *err) __attribute__((warn_unused_result));
int idc_cli_db_repro(idc_cli_db *db, const char *cell, const json_t *config, const json_t *trial, double seconds,
                     idc_err *err) __attribute__((warn_unused_result));

/* The instance as JSON (idc_instance_dump parsed): new reference, NULL when
 * out of memory. */
json_t *idc_cli_instance_json(const idc_instance *inst);

/* Re-derives recorded records: *record (and for check *verdicts, the
 * "preconditions" array) as --db would store them now. IDC_EINVAL with one
 * line for a config that cannot be re-run (missing fields, a fit or
 * reproduction that fails: its own message was printed to stderr). */
int idc_cli_fit_rederive(json_t **record, const json_t *config, const char *instance_json, idc_err *err)
    __attribute__((warn_unused_result));
int idc_cli_check_rederive(json_t **record, json_t **verdicts, const json_t *config, const char *instance_json,
                           idc_err *err) __attribute__((warn_unused_result));
int idc_cli_repro_rederive(json_t **record, const json_t *config, idc_err *err) __attribute__((warn_unused_result));
/* flow-k39c records (cli/repro_flow.c): the trial re-run alone, on the CPU. */
int idc_cli_repro_flow_rederive(json_t **record, const json_t *config, idc_err *err)
    __attribute__((warn_unused_result));

/* For the repro re-derivations: the re-run's on_trial hook keeps a copy of
 * the trial it reports in *slot (an earlier one released); then
 * idc_cli_captured hands it to *record when rc is IDC_OK (IDC_EINTERNAL,
 * naming what, when the re-run reported none) and releases it otherwise. */
int idc_cli_capture_trial(json_t **slot, const json_t *trial, idc_err *err) __attribute__((warn_unused_result));
int idc_cli_captured(json_t **record, json_t *captured, int rc, const char *what, idc_err *err)
    __attribute__((warn_unused_result));

#endif
