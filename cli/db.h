/* `--db FILE` of the producing verbs (cli/db.c): the results store
 * (reports/store.h) a run writes its trials to as they finish. */
#ifndef IDC_CLI_DB_H
#define IDC_CLI_DB_H

#include <stdint.h>

#include <jansson.h>

#include "reports/store.h"

typedef struct {
    idc_store *store; /* NULL: no --db */
    int64_t run_id;
    const char *verb;
    int failed; /* a trial could not be written (the message was printed) */
} idc_cli_db;

/* Opens (and checks) the store at path for writing, before anything else
 * of the run is written. Prints one line ("idcheck VERB: PATH: ...") and
 * returns the exit code (2 for a store that is refused or cannot be
 * written, 3 internal) on failure, 0 on success. IDCHECK_DB_MAX_PAGES=N
 * caps the file at N pages (0: its current size), a full disk simulated
 * for tests. */
int idc_cli_db_open(idc_cli_db *db, const char *path, const char *verb);

/* Starts a run of db->verb with the process's arguments argv[0..argc)
 * (argv[0] the verb; "idcheck" is put before it). With resume set,
 * continues the newest unfinished run of the verb whose arguments are these
 * but for --resume / --fresh instead of starting one. Exit code as above. */
int idc_cli_db_start(idc_cli_db *db, int argc, char **argv, int resume);

/* idc_cli_db_open then idc_cli_db_start. */
int idc_cli_db_begin(idc_cli_db *db, const char *path, const char *verb, int argc, char **argv, int resume);

/* Records a property trial (a record of idc_prop_run's, properties/prop.h)
 * as cell "PROPERTY#TRIAL" (a regression: "PROPERTY#regression-R/RUNSEED/TRIAL"),
 * with its parameters (the record's own for a regression) and seeds. A
 * cell the run already has is skipped (a resumed run). IDC_OK or the
 * store's status with err set. */
int idc_cli_db_prop_trial(idc_cli_db *db, const char *property, const json_t *record, const json_t *params,
                          uint64_t run_seed, idc_err *err);

/* Leaves the run unfinished with status "error" (a later run of the same
 * command resumes it) and closes the store; a no-op without a store. */
void idc_cli_db_abandon(idc_cli_db *db);

/* Marks the run finished with status ("ok", "failed", "error") and closes
 * the store; a no-op without a store. Returns 0, or 2 when the store could
 * not be updated (one line printed). */
int idc_cli_db_end(idc_cli_db *db, const char *status);

#endif
