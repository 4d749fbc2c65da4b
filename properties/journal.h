/* The journal of a property run: every finished trial recorded as it
 * finishes, so that a run that is killed loses no finished trial and a rerun
 * of the same command continues where it stopped (idcheck prop --resume).
 *
 * Format (JSON Lines, UTF-8; documented in docs/FORMAT.md "Property-run
 * journal"): the first line is the header identifying the run,
 *   {"journal":"idcheck prop","format":1,"idcheck":VERSION,"property":ID,
 *    "params":PARAMS_JSON,"run_seed":"0x...","first":F,"trials":N,
 *    "regressions":[{"run_seed":"0x...","trial":K,"params":{...}},...] | null}
 * ("regressions": the regression seeds the run replays first, as they were when
 * it started; null when it replays none); every further line is one finished
 * trial, {"line":TEXT,"record":RECORD}, RECORD exactly as it appears in the
 * results' "trials" (or, with a "regression" key, "regressions") array before
 * shrinking adds "shrink", TEXT the trial's one-line fields. Each line is
 * written with one write() and fsync'ed before the next trial is reported, so
 * a kill leaves at most a torn last line, which the next open drops (the trial
 * runs again). The file is held under an exclusive flock while a run uses it. */
#ifndef IDC_PROPERTIES_JOURNAL_H
#define IDC_PROPERTIES_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "numeric/status.h"
#include "properties/regress.h"

typedef struct idc_prop_journal idc_prop_journal;

typedef enum {
    IDC_JOURNAL_AUTO = 0,   /* resume a journal of this run if there is one, else start one */
    IDC_JOURNAL_RESUME = 1, /* resume; IDC_EINVAL when there is no journal at path */
    IDC_JOURNAL_FRESH = 2   /* discard any journal at path and start a new one */
} idc_prop_journal_mode;

/* A new header object for a run of property id with parameters params (a
 * params_json object, copied), run seed, trials first..first+trials-1, and
 * the regression seeds regs it replays first (NULL: none replayed; header
 * "regressions" null). NULL when out of memory. */
json_t *idc_prop_journal_header(const char *id, const json_t *params, uint64_t seed, uint32_t first,
                                uint32_t trials, const idc_prop_regressions *regs);

/* The journal's path for a run with this header: "OUT.journal" when outpath
 * names a regular file or nothing yet (outpath "r.json": "r.json.journal");
 * otherwise (outpath NULL, "-", a device, a FIFO)
 * ".idcheck/runs/ID-HASH.jsonl", HASH 16 hex digits of the FNV-1a hash of
 * (property, params, run_seed, first, trials). Returns 0 when buf is too
 * small. */
int idc_prop_journal_path(char *buf, size_t cap, const char *outpath, const json_t *header);

/* Opens the journal at path for the run described by header (creating
 * missing parent directories) and locks it. *restored = a new array of the
 * trial lines ({"line","record"}) of an existing journal of the same run
 * (empty when none or with IDC_JOURNAL_FRESH); a torn or unparsable last line
 * is dropped from the file. An existing journal is of the same run when its
 * header has the same format, idcheck version, property, params, run_seed,
 * first, trials and whether regressions are replayed; a journal that has no
 * complete header yet counts as none. Statuses: IDC_EINVAL (one line naming
 * path and the first field that differs, or the line that is not a trial
 * record, or IDC_JOURNAL_RESUME with no journal at path), IDC_EIO (cannot
 * create, read or write it; another process holds its lock), IDC_ENOMEM. */
int idc_prop_journal_open(idc_prop_journal **j, json_t **restored, const char *path, const json_t *header,
                          idc_prop_journal_mode mode, idc_err *err) __attribute__((warn_unused_result));

/* The header in effect: the journal file's when an existing one was resumed
 * (its "regressions" list is the one the run must replay), else the header
 * given to open. Owned by j. */
const json_t *idc_prop_journal_header_get(const idc_prop_journal *j);

/* The number of trial lines read back by open. */
size_t idc_prop_journal_restored_count(const idc_prop_journal *j);

/* Appends the line {"line": line, "record": record} (keys sorted, reals with
 * 17 significant digits) with one write and fsync's it. IDC_EIO on failure
 * (the file is cut back to its previous length then, so no torn line
 * remains); IDC_ENOMEM. */
int idc_prop_journal_append(idc_prop_journal *j, const json_t *record, const char *line, idc_err *err)
    __attribute__((warn_unused_result));

/* r = the regression seeds listed in header (a journal header; entries
 * appended to r). IDC_EINVAL naming the entry when one is malformed;
 * IDC_ENOMEM. */
int idc_prop_journal_regressions(idc_prop_regressions *r, const json_t *header, idc_err *err);

/* Closes (and unlocks) the journal; with remove set, deletes the file first
 * (the run's results are complete). idc_prop_journal_close(NULL, ...) is a
 * no-op. */
void idc_prop_journal_close(idc_prop_journal *j, int remove);

#endif
