/* Running a sweep's cells (properties/sweep.h) on worker threads.
 *
 * Each cell is one trial run by the property runner (idc_prop_run with
 * first = the cell's seed index, one trial, run seed R(G); no regressions,
 * no shrinking), so a sweep cell's record is exactly the record idcheck prop
 * writes for that trial, and the cell replays alone with its "replay"
 * command. Cells are handed to T worker threads in canonical order; each
 * record is a pure function of the cell, whatever T, the order in which
 * cells finish, or the process (thread, MPI rank, shard) that runs it. */
#ifndef IDC_PROPERTIES_SWEEP_RUN_H
#define IDC_PROPERTIES_SWEEP_RUN_H

#include <stddef.h>

#include <jansson.h>

#include "numeric/status.h"
#include "properties/sweep.h"

/* Receives each finished cell's record, one call at a time. A status other
 * than IDC_OK stops the sweep: no further cell starts, the cells in flight
 * finish and are not passed on, and idc_sweep_run returns that status. */
typedef int (*idc_sweep_put_fn)(void *ctx, const idc_sweep *s, size_t cell, const json_t *record, idc_err *err);

typedef struct {
    unsigned threads;           /* worker threads (0 or 1: the calling thread alone) */
    const unsigned char *skip;  /* s->ncells flags, 1 = do not run (finished already, another shard's);
                                   NULL: run every cell */
    idc_sweep_put_fn put;
    void *put_ctx;
} idc_sweep_run_opts;

/* Runs cell `cell` of s. *record (new reference) = the runner's trial record
 * ("trial", "seed", "outcome" PASS / FAIL / DISCARD / INCONCLUSIVE / ERROR,
 * "why" or "error", "wall_seconds", the property's fields) plus "cell" (the
 * key), "property" (ID), "label", "run_seed" ("0x%016x"), "params" (the
 * property's full parameter object), "knobs" (what the sweep set), "case"
 * (when the sweep has cases) and "replay" (the idcheck prop command that
 * re-runs it). A trial that ended in an error status is an ERROR record, not
 * a failure of this call; errors of this call: IDC_ENOMEM, IDC_EINTERNAL. */
int idc_sweep_run_cell(json_t **record, const idc_sweep *s, size_t cell, idc_err *err)
    __attribute__((warn_unused_result));

/* Runs every cell not skipped on o->threads threads, passing each record to
 * o->put. Returns IDC_OK when every cell ran and was accepted, else the first
 * error (a put status, or one of idc_sweep_run_cell). */
int idc_sweep_run(const idc_sweep *s, const idc_sweep_run_opts *o, idc_err *err) __attribute__((warn_unused_result));

/* 1 when two records are equal but for timings: every object member whose
 * key ends in "seconds" ("wall_seconds", "train_seconds", ...) is left out of
 * the comparison, at any depth; numbers compare exactly. */
int idc_sweep_record_equal(const json_t *a, const json_t *b);

/* The outcome of a record ("PASS", ..., "ERROR"), or NULL. */
const char *idc_sweep_record_outcome(const json_t *record);

#endif
