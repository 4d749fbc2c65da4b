/* --db FILE: a verb's run and trials in the results store (cli/db.h). */
#include "cli/db.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "numeric/rng.h"

/* argv as stored: "idcheck" then the verb's arguments. */
static json_t *argv_json(int argc, char **argv, int drop_resume)
{
    json_t *a = json_array();
    json_array_append_new(a, json_string("idcheck"));
    for (int i = 0; i < argc; i++) {
        if (drop_resume && (strcmp(argv[i], "--resume") == 0 || strcmp(argv[i], "--fresh") == 0))
            continue;
        json_array_append_new(a, json_string(argv[i]));
    }
    return a;
}

/* The newest unfinished run of verb whose argv, without --resume and
 * --fresh, equals want (0: none). */
static int find_resumable(int64_t *run_id, idc_store *s, const char *verb, const json_t *want, idc_err *err)
{
    *run_id = 0;
    json_t *rows = NULL, *args = json_pack("[s]", verb);
    int rc = idc_store_query(s, &rows, "SELECT run_id, argv FROM runs WHERE verb = ?1 AND finished IS NULL "
                                       "ORDER BY run_id DESC", args, err);
    json_decref(args);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_t *a = json_loads(json_string_value(json_object_get(r, "argv")), 0, NULL);
        json_t *norm = json_array();
        size_t k;
        json_t *v;
        json_array_foreach(a, k, v)
        {
            const char *sv = json_string_value(v);
            if (sv == NULL || (strcmp(sv, "--resume") != 0 && strcmp(sv, "--fresh") != 0))
                json_array_append(norm, v);
        }
        int same = json_equal(norm, want);
        json_decref(norm);
        json_decref(a);
        if (same) {
            *run_id = json_integer_value(json_object_get(r, "run_id"));
            break;
        }
    }
    json_decref(rows);
    return rc;
}

static int fail(idc_cli_db *db, int rc, const idc_err *err)
{
    idc_cli_error(db->verb, "%s", err->msg);
    idc_store_close(db->store);
    db->store = NULL;
    return rc == IDC_ENOMEM ? 3 : 2;
}

int idc_cli_db_open(idc_cli_db *db, const char *path, const char *verb)
{
    memset(db, 0, sizeof *db);
    db->verb = verb;
    idc_err err;
    int rc = idc_store_open(&db->store, path, IDC_STORE_WRITE, &err);
    const char *mp = getenv("IDCHECK_DB_MAX_PAGES");
    if (rc == IDC_OK && mp != NULL && mp[0] != '\0')
        rc = idc_store_limit_pages(db->store, strtol(mp, NULL, 10), &err);
    return rc == IDC_OK ? 0 : fail(db, rc, &err);
}

int idc_cli_db_start(idc_cli_db *db, int argc, char **argv, int resume)
{
    idc_err err;
    int rc = IDC_OK;
    db->run_id = 0;
    if (resume) {
        json_t *want = argv_json(argc, argv, 1);
        rc = find_resumable(&db->run_id, db->store, db->verb, want, &err);
        json_decref(want);
    }
    if (rc == IDC_OK && db->run_id == 0) {
        json_t *a = argv_json(argc, argv, 0);
        char **v = calloc(json_array_size(a) + 1, sizeof *v);
        size_t i;
        json_t *e;
        json_array_foreach(a, i, e)
        {
            if (v != NULL)
                v[i] = (char *)json_string_value(e);
        }
        rc = v == NULL ? idc_err_set(&err, IDC_ENOMEM, "out of memory")
                       : idc_store_run_begin(db->store, &db->run_id, db->verb, (int)json_array_size(a), v, NULL,
                                             NULL, NULL, &err);
        free(v);
        json_decref(a);
    }
    return rc == IDC_OK ? 0 : fail(db, rc, &err);
}

int idc_cli_db_begin(idc_cli_db *db, const char *path, const char *verb, int argc, char **argv, int resume)
{
    int code = idc_cli_db_open(db, path, verb);
    return code != 0 ? code : idc_cli_db_start(db, argc, argv, resume);
}

int idc_cli_db_prop_trial(idc_cli_db *db, const char *property, const json_t *record, const json_t *params,
                          uint64_t run_seed, idc_err *err)
{
    if (db->store == NULL)
        return IDC_OK;
    char cell[160];
    json_t *reg = json_object_get(record, "regression");
    json_int_t trial = json_integer_value(json_object_get(record, "trial"));
    if (reg != NULL) {
        const char *rs = json_string_value(json_object_get(record, "run_seed"));
        uint64_t v = 0;
        if (rs != NULL)
            v = strtoull(rs, NULL, 0);
        run_seed = v;
        params = json_object_get(record, "params");
        snprintf(cell, sizeof cell, "%s#regression-%" JSON_INTEGER_FORMAT "/0x%016" PRIx64 "/%" JSON_INTEGER_FORMAT,
                 property, json_integer_value(reg), run_seed, trial);
    } else {
        snprintf(cell, sizeof cell, "%s#%" JSON_INTEGER_FORMAT, property, trial);
    }
    int done = 0;
    int rc = idc_store_cell_done(db->store, db->run_id, cell, &done, err);
    if (rc != IDC_OK || done)
        return rc;
    idc_store_trial t = {.cell = cell,
                         .property = property,
                         .trial_index = trial,
                         .has_seeds = 1,
                         .seed = idc_rng_derive_seed(run_seed, (uint32_t)trial),
                         .run_seed = run_seed,
                         .params = params,
                         .seconds = -1,
                         .record = record};
    return idc_store_add_trial(db->store, db->run_id, &t, NULL, err);
}

int idc_cli_db_end(idc_cli_db *db, const char *status)
{
    if (db->store == NULL)
        return 0;
    idc_err err;
    int rc = idc_store_run_finish(db->store, db->run_id, status, &err);
    idc_store_close(db->store);
    db->store = NULL;
    if (rc != IDC_OK) {
        idc_cli_error(db->verb, "%s", err.msg);
        return 2;
    }
    return 0;
}

void idc_cli_db_abandon(idc_cli_db *db)
{
    if (db->store == NULL)
        return;
    idc_err err;
    if (db->run_id > 0 && idc_store_run_set_status(db->store, db->run_id, "error", &err) != IDC_OK)
        idc_cli_error(db->verb, "%s", err.msg);
    idc_store_close(db->store);
    db->store = NULL;
}
