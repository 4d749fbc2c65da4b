/* Regression seeds: failing trials kept in a per-property text file and
 * replayed first by the next run (theft's and proptest's lesson: a failure
 * found once is tested forever after).
 *
 * File format (UTF-8 text; default path .idcheck/regressions/ID.txt), one
 * failing trial per line, in the order found:
 *   RUN_SEED TRIAL PARAMS_JSON [# NOTE]
 * e.g.
 *   0x0000000000000007 3 {"J":3,"m":2,...} # r2_out 0.53 < r2_min 0.90; shrinks to m=1 J=1
 * RUN_SEED is the run seed (hex), TRIAL the trial index (decimal), PARAMS_JSON
 * the complete params_json of the failing trial on one line (keys sorted,
 * reals with 17 significant digits), NOTE free text for people. Lines that
 * are blank or start with '#' are comments. The entry replays as trial TRIAL
 * of run RUN_SEED with exactly those parameters (defaults, then set_param of
 * every key), so it is independent of the options of the run that replays
 * it. Check the file into version control; delete a line to forget one. */
#ifndef IDC_PROPERTIES_REGRESS_H
#define IDC_PROPERTIES_REGRESS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "numeric/status.h"
#include "properties/prop.h"

typedef struct {
    uint64_t seed;  /* run seed of the run that failed */
    uint32_t trial; /* trial index */
    json_t *params; /* the failing trial's params_json (owned) */
    char note[256]; /* text after '#' (may be empty) */
} idc_prop_regression;

typedef struct idc_prop_regressions {
    idc_prop_regression *v;
    size_t n, cap;
} idc_prop_regressions;

void idc_prop_regressions_init(idc_prop_regressions *r);
void idc_prop_regressions_clear(idc_prop_regressions *r);

/* Appends the entries of the file at path (a missing file adds none).
 * IDC_EINVAL naming path:line on a malformed line; IDC_EIO when the file
 * exists but cannot be read. */
int idc_prop_regressions_read(idc_prop_regressions *r, const char *path, idc_err *err);

/* Appends (seed, trial, params) unless an entry with the same seed, trial and
 * params is present. Returns 1 when added, 0 when already present, -1 when
 * out of memory. params is copied; note may be NULL. */
int idc_prop_regressions_add(idc_prop_regressions *r, uint64_t seed, uint32_t trial, const json_t *params,
                             const char *note);

/* Removes entry i (order of the others kept). */
void idc_prop_regressions_remove(idc_prop_regressions *r, size_t i);

/* Writes every entry to path atomically (a header comment naming the
 * property id, then one line per entry), creating missing parent
 * directories. IDC_EIO on failure (the old file is untouched then). */
int idc_prop_regressions_write(const idc_prop_regressions *r, const char *id, const char *path, idc_err *err);

/* Merges a run's outcome into r: appends every failing trial of results
 * (an idc_prop_run results object; its "trials" with outcome FAIL, with the
 * run's params) not yet in r (one already in r gets this run's note: the
 * violated assertion and the minimal overrides when shrunk), and when prune
 * is set removes the entries (matched by run seed, trial and params) whose
 * regression record in results PASSED. *added / *removed = counts.
 * IDC_ENOMEM on failure. */
int idc_prop_regressions_update(idc_prop_regressions *r, const json_t *results, int prune, size_t *added,
                                size_t *removed);

/* The default path: dir/ID.txt, with dir = ".idcheck/regressions" when dir
 * is NULL. Returns 0 when buf is too small. */
int idc_prop_regressions_path(char *buf, size_t cap, const char *dir, const char *id);

#endif
