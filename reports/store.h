/* The results store: one SQLite database holding runs, trials, instances,
 * precondition verdicts with their certificates, estimator-condition
 * measurements, metrics, outcomes, timings and provenance (DESIGN.md
 * "Reproducibility"; the schema is documented in docs/STORE.md and is
 * queryable with the sqlite3 shell).
 *
 * Schema version 2 (PRAGMA user_version = 2, PRAGMA application_id =
 * IDC_STORE_APPLICATION_ID, journal_mode WAL, synchronous FULL,
 * foreign_keys ON):
 *
 *   meta(key PRIMARY KEY, value)  'format' = 'idcheck-results',
 *        'schema_version' = '2', 'created_by' = the idcheck version
 *   runs(run_id, verb, argv JSON array, started, finished, status,
 *        provenance JSON, sweep canonical JSON | NULL, shard 'i/N' | NULL)
 *   instances(hash PRIMARY KEY, json)   canonical instance JSON by model hash
 *   trials(trial_id, run_id, cell, property, trial_index, seed, run_seed,
 *        params JSON, estimator, start, instance_hash, outcome, reason,
 *        replay, seconds, record JSON, UNIQUE(run_id, cell))
 *   verdicts(trial_id, precondition, verdict, certificate JSON, cert_hash)
 *   measurements(trial_id, name, kind 'metric' | 'condition', value)
 *   samples(trial_id, n, seed, sha256)  hash of the instance's first n samples
 *        at the trial seed (idc_store_samples_hash)
 *   records(record_id, run_id, kind 'fit' | 'check' | 'repro', cell,
 *        instance_hash, config JSON, seconds, record JSON, UNIQUE(run_id, cell))
 *        the results of the verbs that are not property trials
 *   record_verdicts(record_id, precondition, verdict, certificate, cert_hash)
 *   record_measurements(record_id, name, value)
 * Schema 2 added the three records tables to schema 1; a writing open of a
 * schema-1 store adds them and raises its version (one transaction); a
 * schema-1 store is read as it is (no records).
 *
 * Every trial is written in one transaction (trial row, its instance,
 * verdicts and measurements together), committed with synchronous=FULL, so
 * a process killed at any point loses at most the trials in flight.
 *
 * Thread safety: one idc_store may be used from several threads; its calls
 * are serialised by a mutex inside it. Several processes may write one file
 * (SQLite's locking; a writer waits up to 10 s for another's transaction).
 *
 * Statuses of every function: IDC_OK; IDC_EINVAL (bad arguments, or a file
 * that is not an idcheck results store: the message is one line naming the
 * file); IDC_EIO (the file cannot be opened, read or written: missing,
 * read-only, disk full, locked); IDC_ENOMEM. */
#ifndef IDC_REPORTS_STORE_H
#define IDC_REPORTS_STORE_H

#include <stdint.h>

#include <jansson.h>

#include "numeric/status.h"

/* PRAGMA application_id of an idcheck results store ("IDCk"), and the
 * schema version this build reads and writes. */
#define IDC_STORE_APPLICATION_ID 0x4944436b
#define IDC_STORE_SCHEMA_VERSION 2
int idc_store_application_id(void);
int idc_store_schema_version(void);

typedef struct idc_store idc_store;

typedef enum {
    IDC_STORE_READ = 0, /* read only; the file must exist */
    IDC_STORE_WRITE = 1 /* read and write; a missing (or empty) file is created with the schema */
} idc_store_mode;

/* Opens the store at path. The file is first opened read-only and checked:
 * an SQLite database (else "PATH: not an SQLite database"), whose
 * application_id is idcheck's and meta 'format' is 'idcheck-results' (else
 * "PATH: not an idcheck results store (application_id 0x...)"), whose
 * user_version is not newer than IDC_STORE_SCHEMA_VERSION ("PATH: schema
 * version N is newer than this idcheck's (1)"), and that passes SQLite's
 * PRAGMA quick_check ("PATH: database corrupted: ..."); all IDC_EINVAL, and
 * the file is never modified. Only then, with IDC_STORE_WRITE, it is opened
 * read-write (created with the schema when missing or empty). IDC_EIO for a
 * missing file with IDC_STORE_READ, a file or directory that cannot be
 * written with IDC_STORE_WRITE ("PATH: read-only ..."; a file without any
 * write permission bit counts as read-only even for root), a full disk.
 * Reading needs no write permission: in a directory the caller may not
 * write, a store without a pending WAL is opened immutable, and one with a
 * non-empty PATH-wal is refused (IDC_EIO, "copy both to a writable
 * directory"). Cost: O(file size) for the quick_check (0.2 s for 100 MB). */
int idc_store_open(idc_store **s, const char *path, idc_store_mode mode, idc_err *err)
    __attribute__((warn_unused_result));

/* Closes the store (checkpointing its WAL). idc_store_close(NULL) is a no-op. */
void idc_store_close(idc_store *s);

/* The path the store was opened with. */
const char *idc_store_path(const idc_store *s);

/* Simulates a full disk for tests: at most max_pages pages of the database
 * file (PRAGMA max_page_count; 0: the current page count, so any growth
 * fails with IDC_EIO "database or disk is full"). */
int idc_store_limit_pages(idc_store *s, long max_pages, idc_err *err);

/* ---- Runs ---------------------------------------------------------------- */

/* Starts a run: inserts a runs row with verb (e.g. "prop", "sweep"), argv
 * (argv[0..argc) as a JSON array), started = now (UTC, ISO-8601
 * "YYYY-MM-DDTHH:MM:SSZ"), provenance (NULL: idc_provenance_json()), sweep
 * (the sweep file's JSON, stored canonical: keys sorted, compact, 17
 * significant digits; NULL when not a sweep) and shard ("i/N" or NULL).
 * *run_id = the new run's id. */
int idc_store_run_begin(idc_store *s, int64_t *run_id, const char *verb, int argc, char *const *argv,
                        const json_t *provenance, const json_t *sweep, const char *shard, idc_err *err)
    __attribute__((warn_unused_result));

/* Marks a run finished: finished = now, status = status (by convention
 * "ok" every trial ran, "failed" some trial FAILed, "error" the run stopped
 * on an error, "interrupted"). IDC_EINVAL for an unknown run_id. */
int idc_store_run_finish(idc_store *s, int64_t run_id, const char *status, idc_err *err)
    __attribute__((warn_unused_result));

/* Sets a run's status without finishing it (finished stays NULL), e.g.
 * "error" for a run stopped by an error that a later run of the same
 * command may resume. IDC_EINVAL for an unknown run_id. */
int idc_store_run_set_status(idc_store *s, int64_t run_id, const char *status, idc_err *err)
    __attribute__((warn_unused_result));

/* The newest run with this verb, sweep (compared in canonical form; NULL
 * matches runs without one) and shard (NULL matches NULL) that has no
 * finished time, for resuming it: *run_id = its id, or 0 when there is none. */
int idc_store_find_unfinished(idc_store *s, int64_t *run_id, const char *verb, const json_t *sweep,
                              const char *shard, idc_err *err) __attribute__((warn_unused_result));

/* ---- Trials -------------------------------------------------------------- */

/* One finished trial. NULL / negative fields are derived from record where
 * the record has them (a property trial's record, properties/prop.h), else
 * stored as SQL NULL. */
typedef struct {
    const char *cell;      /* the trial's stable key within its run (required): a prop
                              run's "<property>#<trial index>", a sweep's canonical JSON
                              of its grid cell, seed included */
    const char *property;  /* THEORY.md ID, e.g. "K3.9c" (NULL: none) */
    int64_t trial_index;   /* < 0: record "trial", else NULL */
    int has_seeds;         /* 1: seed and run_seed below are set */
    uint64_t seed;         /* the trial seed (idc_rng_derive_seed(run_seed, index));
                              without has_seeds: record "seed" ("0x..." hex) */
    uint64_t run_seed;     /* the seed the trial ran with: run_trial(params, run_seed,
                              trial_index) replays it (audit); without has_seeds:
                              record "run_seed", else NULL */
    const json_t *params;  /* the property's params_json (NULL: record "params", else NULL) */
    const char *estimator; /* NULL: record estimator.estimator / estimator.kind, or
                              params "estimator" */
    const char *start;     /* the estimator's start, e.g. "perturbed-truth" (NULL: record
                              "init" / estimator.init, or params "init") */
    const char *outcome;   /* PASS, FAIL, INCONCLUSIVE, DISCARD or ERROR (NULL: record
                              "outcome") */
    const char *reason;    /* NULL: record "why", else "error" */
    const char *replay;    /* NULL: record "replay" */
    double seconds;        /* < 0: record "wall_seconds" */
    const json_t *record;  /* the trial's full JSON record (required) */
} idc_store_trial;

/* Adds a finished trial to run run_id in one transaction: the trials row
 * (record stored canonical), the instance (record "instance" stored
 * canonical under record "model_hash", INSERT OR IGNORE), one verdicts row
 * per record "preconditions" entry {"id", "verdict", "certificate"}
 * (cert_hash = SHA-256 hex of the canonical certificate JSON), and the
 * measurements (idc_store_measurements). *trial_id (may be NULL) = its id.
 * IDC_EINVAL naming the field for a missing cell or record, an outcome not
 * among the five, a duplicate cell in the run ("cell ... already recorded in
 * run N"), an unknown run_id; IDC_EIO when the write fails (the
 * transaction is rolled back: nothing of the trial is stored). */
int idc_store_add_trial(idc_store *s, int64_t run_id, const idc_store_trial *t, int64_t *trial_id,
                        idc_err *err) __attribute__((warn_unused_result));

/* The measurements of a trial record, as the store derives them: *out (new
 * reference) = an array of {"name", "kind", "value"} (value a real or null),
 * from
 *   kind "condition": every number or boolean (1/0) or null leaf of the
 *     record's "estimator_conditions" object (at the top level, else under
 *     "estimator"), named by its path inside it ("kl_gap", "gauss.p_value");
 *   kind "metric": every number/boolean/null leaf of "metrics" (top level,
 *     else under "estimator"), named by its path inside it ("r2_out",
 *     "mcc_out"); arrays are skipped; plus "dist_aff" and "r2_rev_out"
 *     (under "estimator"), "assertion" (assertion.value) and
 *     "stability.KEY" (the leaves of "stability").
 * A name met twice keeps its first value. */
int idc_store_measurements(json_t **out, const json_t *record, idc_err *err) __attribute__((warn_unused_result));

/* ---- Records (fit, check, repro) ----------------------------------------- */

/* A result of a verb that is not a property trial: a fit (`idcheck fit
 * --db`), an instance's precondition check (`idcheck check --db`) or one
 * trial of a reproduction (`idcheck repro --db`). */
typedef struct {
    const char *kind;        /* "fit", "check" or "repro" (required) */
    const char *cell;        /* its key, unique within the run (required) */
    const json_t *instance;  /* the instance (docs/FORMAT.md) or NULL: stored canonical
                                under its model hash (recomputed here) */
    const json_t *config;    /* what re-deriving it needs (required object): the verb's
                                arguments, seeds, options (docs/STORE.md) */
    const json_t *record;    /* the result (required object) */
    const json_t *verdicts;  /* NULL or an array of {"id", "verdict", "certificate"}:
                                one record_verdicts row each, cert_hash = SHA-256 of the
                                canonical certificate */
    double seconds;          /* < 0: none */
} idc_store_record;

/* Adds a record to run run_id in one transaction: the records row (config
 * and record canonical), the instance (INSERT OR IGNORE), its verdicts and
 * its measurements (idc_store_record_measurements). *record_id (may be
 * NULL) = its id. IDC_EINVAL naming the field for a kind not among the
 * three, a missing cell, config or record, an instance this idcheck cannot
 * read, a cell the run already has, an unknown run; IDC_EIO when the write
 * fails (rolled back: nothing of the record is stored). */
int idc_store_add_record(idc_store *s, int64_t run_id, const idc_store_record *r, int64_t *record_id,
                         idc_err *err) __attribute__((warn_unused_result));

/* The measurements of a record: *out (new reference) = an array of {"name",
 * "kind": "metric", "value"}: every number or boolean (1/0) leaf of the
 * record's objects, named by its path ("metrics.r2_out", "final_loss"),
 * arrays skipped, and nothing below the members "weights", "model",
 * "provenance", "certificate", "instance" and "config" (the estimator's
 * settings). A name met twice keeps its first value. */
int idc_store_record_measurements(json_t **out, const json_t *record, idc_err *err)
    __attribute__((warn_unused_result));

/* 1 when run run_id has a trial with this cell, else 0 (*done); for
 * resuming a sweep without repeating a trial. */
int idc_store_cell_done(idc_store *s, int64_t run_id, const char *cell, int *done, idc_err *err)
    __attribute__((warn_unused_result));

/* *cells (new reference) = the cells of run run_id's trials, as an array of
 * strings in trial_id order. */
int idc_store_run_cells(idc_store *s, int64_t run_id, json_t **cells, idc_err *err)
    __attribute__((warn_unused_result));

/* ---- Reading --------------------------------------------------------------- */

/* Runs one read-only SQL statement (a SELECT; anything that would write is
 * refused with IDC_EINVAL) with the parameters args (NULL or a JSON array of
 * strings, integers, reals, nulls bound to ?1, ?2, ...) and sets *rows (new
 * reference) to an array with one object per row, column name -> value
 * (TEXT string, INTEGER integer, REAL real, NULL null; a BLOB is an error).
 * IDC_EINVAL with SQLite's message for a statement that does not compile. */
int idc_store_query(idc_store *s, json_t **rows, const char *sql, const json_t *args, idc_err *err)
    __attribute__((warn_unused_result));

/* ---- Combining ------------------------------------------------------------- */

/* Copies every run of the store at src_path (opened and checked as
 * IDC_STORE_READ) into s with new run and trial ids: runs, their trials,
 * verdicts and measurements, their records with their verdicts and
 * measurements, and the instances s lacks; in one
 * transaction (all or nothing). *runs_added (may be NULL) = the number of
 * runs copied. Used by `idcheck merge` for shard databases. */
int idc_store_merge(idc_store *s, const char *src_path, int64_t *runs_added, idc_err *err)
    __attribute__((warn_unused_result));

/* ---- Helpers --------------------------------------------------------------- */

/* The canonical JSON text of v (keys sorted, compact, reals with 17
 * significant digits, so it reads back bit for bit): malloc'ed, NULL when out
 * of memory. Cells, sweeps, records, instances and certificates are stored
 * in this form. */
char *idc_store_canonical(const json_t *v);

/* hex (65 bytes) = SHA-256 of the canonical JSON of v. IDC_ENOMEM. */
int idc_store_json_hash(char hex[65], const json_t *v);

/* The samples a trial's instance yields at its seed, as a hash: hex =
 * SHA-256 over samples i = 0..n-1 of idc_sample_draw(instance, n, seed,
 * trial 0) (models/sample.h: the rows a property's pipeline draws first),
 * each row's z (zdim doubles), x (xdim doubles), label (int32) and, with an
 * auxiliary variable, u (a double), in the host's byte order (little-endian
 * on x86-64 and arm64). Sampling uses no BLAS, so the hash is the same on
 * every machine whose libm rounds log, sqrt, sin and cos alike. Statuses of
 * idc_instance_read_string (an instance this idcheck cannot read) and
 * idc_sample_draw. idc_store_add_trial stores it for n = IDC_STORE_SAMPLE_N
 * when the record has an instance and the trial a seed. */
#define IDC_STORE_SAMPLE_N 256
int idc_store_samples_hash(char hex[65], const json_t *instance, uint64_t seed, size_t n, idc_err *err)
    __attribute__((warn_unused_result));

#endif
