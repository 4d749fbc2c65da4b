/* The records of fit, check and repro in the results store (cli/record.h). */
#include "cli/record.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/store.h"

json_t *idc_cli_instance_json(const idc_instance *inst)
{
    char *t = idc_instance_dump(inst);
    json_t *j = t != NULL ? json_loads(t, 0, NULL) : NULL;
    free(t);
    return j;
}

json_t *idc_cli_fit_record(const json_t *fit)
{
    json_t *r = json_deep_copy(fit);
    if (r == NULL)
        return NULL;
    json_object_del(r, "provenance");
    static const char *const big[] = {"weights", "model"};
    for (int k = 0; k < 2; k++) {
        json_t *w = json_object_get(r, big[k]);
        if (w == NULL)
            continue;
        char hex[65], key[32];
        if (idc_store_json_hash(hex, w) != IDC_OK) {
            json_decref(r);
            return NULL;
        }
        snprintf(key, sizeof key, "%s_sha256", big[k]);
        json_object_set_new(r, key, json_string(hex));
        json_object_del(r, big[k]);
    }
    return r;
}

json_t *idc_cli_fit_config(int argc, char **argv, const char *instance_path, uint64_t seed)
{
    static const char *const drop[] = {"-o", "--zhat", "--emit-model", "--db"};
    json_t *a = json_array();
    for (int i = 1; i < argc; i++) {
        int skip = 0;
        for (size_t k = 0; k < sizeof drop / sizeof drop[0]; k++)
            if (strcmp(argv[i], drop[k]) == 0 && i + 1 < argc)
                skip = 1;
        if (skip) {
            i++;
            continue;
        }
        json_array_append_new(a, json_string(argv[i]));
    }
    char sd[24];
    snprintf(sd, sizeof sd, "%" PRIu64, seed);
    return json_pack("{s:o,s:s,s:s}", "argv", a, "instance_path", instance_path, "seed", sd);
}

int idc_cli_db_fit(idc_cli_db *db, const json_t *fit, const idc_instance *inst, int argc, char **argv,
                   const char *instance_path, uint64_t seed, idc_err *err)
{
    if (db->store == NULL)
        return IDC_OK;
    json_t *rec = idc_cli_fit_record(fit), *conf = idc_cli_fit_config(argc, argv, instance_path, seed),
           *ij = idc_cli_instance_json(inst);
    int rc = IDC_OK;
    if (rec == NULL || conf == NULL || ij == NULL)
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    const char *est = json_string_value(json_object_get(fit, "estimator"));
    char cell[96];
    snprintf(cell, sizeof cell, "fit %s seed %" PRIu64, est != NULL ? est : "?", seed);
    const json_t *secs = json_object_get(fit, "train_seconds");
    idc_store_record r = {.kind = "fit",
                          .cell = cell,
                          .instance = ij,
                          .config = conf,
                          .record = rec,
                          .seconds = json_is_number(secs) ? json_number_value(secs) : -1};
    if (rc == IDC_OK)
        rc = idc_store_add_record(db->store, db->run_id, &r, NULL, err);
    json_decref(rec);
    json_decref(conf);
    json_decref(ij);
    return rc;
}

int idc_cli_db_check(idc_cli_db *db, const json_t *doc, const json_t *config, const idc_instance *inst,
                     idc_err *err)
{
    if (db->store == NULL)
        return IDC_OK;
    json_t *ij = idc_cli_instance_json(inst);
    if (ij == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    const char *hash = json_string_value(json_object_get(doc, "model_hash"));
    char cell[96];
    snprintf(cell, sizeof cell, "check %.64s", hash != NULL ? hash : "?");
    idc_store_record r = {.kind = "check",
                          .cell = cell,
                          .instance = ij,
                          .config = config,
                          .record = doc,
                          .verdicts = json_object_get(doc, "preconditions"),
                          .seconds = -1};
    int rc = idc_store_add_record(db->store, db->run_id, &r, NULL, err);
    json_decref(ij);
    return rc;
}

int idc_cli_db_repro(idc_cli_db *db, const char *cell, const json_t *config, const json_t *trial, double seconds,
                     idc_err *err)
{
    if (db->store == NULL)
        return IDC_OK;
    idc_store_record r = {.kind = "repro", .cell = cell, .config = config, .record = trial, .seconds = seconds};
    return idc_store_add_record(db->store, db->run_id, &r, NULL, err);
}

int idc_cli_capture_trial(json_t **slot, const json_t *trial, idc_err *err)
{
    json_decref(*slot);
    *slot = json_deep_copy(trial);
    return *slot != NULL ? IDC_OK : idc_err_set(err, IDC_ENOMEM, "out of memory");
}

int idc_cli_captured(json_t **record, json_t *captured, int rc, const char *what, idc_err *err)
{
    if (rc == IDC_OK && captured == NULL)
        rc = idc_err_set(err, IDC_EINTERNAL, "%s: the re-run reported no trial", what);
    if (rc == IDC_OK)
        *record = captured;
    else
        json_decref(captured);
    return rc;
}
