/* Properties: a theorem's claim turned into a repeatable randomised test.
 *
 * A property = generator + the preconditions it assumes + estimator +
 * assertion. Each trial is a pure function of (run seed, trial index): the
 * trial seed is idc_rng_derive_seed(run seed, index) and every random draw
 * of the trial (instance, samples, weight init, minibatches) comes from
 * Philox streams keyed by that seed. A trial whose preconditions are not
 * all HOLDS is DISCARDED (counted, never asserted), as an assumption in
 * property-based testing. */
#ifndef IDC_PROPERTIES_PROP_H
#define IDC_PROPERTIES_PROP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "numeric/status.h"

/* The four outcomes of a trial (THEORY.md §8). DISCARD: a precondition is
 * not HOLDS. INCONCLUSIVE: the estimator conditions (e.g. the flow's KL gap)
 * were measured and not met within the property's tolerance, so the trial
 * is no evidence either way: counted and reported with the measured values,
 * never asserted, never shrunk. PASS / FAIL: the conclusion was asserted on
 * a trial whose estimator conditions were met. */
typedef enum {
    IDC_TRIAL_PASS = 0,
    IDC_TRIAL_FAIL = 1,
    IDC_TRIAL_DISCARD = 2,
    IDC_TRIAL_INCONCLUSIVE = 3
} idc_trial_outcome;

typedef struct {
    idc_trial_outcome outcome;
    char line[768]; /* the trial's fields for its one-line report (verdicts, metrics) */
    char why[256];  /* FAIL: the violated assertion; DISCARD: the precondition not HOLDS;
                       INCONCLUSIVE: the estimator condition not met, with its measured value */
    json_t *record; /* everything about the trial (owned): seeds, instance, verdicts,
                       certificates, metrics, timings */
} idc_trial;

/* A parameter the shrinker may simplify (see properties/shrink.h). */
typedef struct {
    const char *name; /* a key of params_json that set_param accepts */
    double target;    /* the simplest value: shrinking moves the value toward it
                         (for counts, the minimum worth trying) */
    int integer;      /* 1: integer-valued; 0: real-valued */
    int opt_in;       /* 1: shrunk only when named in idc_prop_run_opts.shrink_params
                         (e.g. training budgets, whose reduction fails trivially) */
} idc_prop_shrinkable;

typedef struct {
    const char *id;      /* THEORY.md theorem ID, e.g. "K3.9a" */
    const char *summary; /* one line */
    const char *params_help; /* lines "name default description" */
    size_t params_size;  /* sizeof the property's parameter struct */
    void (*defaults)(void *params);
    int (*set_param)(void *params, const char *name, const char *value, idc_err *err);
    json_t *(*params_json)(const void *params);
    /* Runs trial `index` of the run with seed run_seed. Returns IDC_OK with
     * out filled (PASS, FAIL or DISCARD), or an error status for errors that
     * are not verdicts (out of memory, an internal failure). */
    int (*run_trial)(idc_trial *out, const void *params, uint64_t run_seed, uint32_t index,
                     idc_err *err);
    /* The shrinkable parameters, biggest effect on cost first (may be NULL / 0).
     * The shrinker copies the parameter struct with memcpy (it must be plain
     * data) and changes it through set_param, so set_param must not depend on
     * the order in which parameters are set. */
    const idc_prop_shrinkable *shrinkables;
    size_t nshrinkables;
} idc_prop_def;

/* The registry. */
size_t idc_prop_count(void);
const idc_prop_def *idc_prop_get(size_t i);
const idc_prop_def *idc_prop_find(const char *id);

struct idc_prop_regressions; /* properties/regress.h */

typedef struct {
    uint64_t seed;      /* run seed */
    uint32_t first;     /* first trial index */
    uint32_t trials;    /* number of trials */
    unsigned jobs;      /* worker threads (results do not depend on it) */
    FILE *progress;     /* where trial lines go as trials finish (NULL: nowhere) */
    const char *replay_args; /* extra CLI arguments to repeat in replay commands */
    /* Shrinking: 0 = off; otherwise the most candidate trials run to shrink
     * each failing trial (regressions included). */
    uint32_t shrink_steps;
    /* The most failing trials shrunk, the first ones in order (regressions,
     * then trial index); 0: all of them. */
    uint32_t shrink_failures;
    /* Comma-separated names of shrinkables to use (opt-in ones included);
     * NULL or "": every shrinkable that is not opt_in. */
    const char *shrink_params;
    /* Failing trials of earlier runs, replayed before trial `first` (NULL:
     * none). Each runs with its own run seed, index and parameters. */
    const struct idc_prop_regressions *regressions;
    /* Called once for each trial of phases (1) and (2) that finishes with a
     * verdict (PASS, FAIL, DISCARD, INCONCLUSIVE; not STALE, ERROR or
     * restored), as it finishes and before the next trial is reported, one
     * call at a time, with the trial's record exactly as it will appear in
     * *results before shrinking adds "shrink" (see properties/journal.h), and
     * its one-line fields (idc_trial.line). A status other than IDC_OK stops
     * the run: no further trial starts and idc_prop_run returns that status
     * (err = the hook's message) and no results. NULL: no hook. */
    int (*on_trial)(void *ctx, const json_t *record, const char *line, idc_err *err);
    void *on_trial_ctx;
    /* Trials finished by an earlier run of the same command (a journal's
     * trial lines, properties/journal.h): an array of {"line", "record"}; a
     * record with "regression" R stands for regression R of opts->regressions,
     * one without for trial "trial" of this run. Those trials are not run
     * again; their records go into *results verbatim (shrinking a FAIL among
     * them as usual) and their lines are reported to opts->progress marked
     * "[journal]". NULL: none. */
    const json_t *restored;
} idc_prop_run_opts;

typedef struct {
    size_t passed, failed, discarded, inconclusive; /* the run's own trials */
    size_t reg_run, reg_passed, reg_failed, reg_discarded, reg_inconclusive; /* regressions replayed */
    size_t reg_stale; /* regressions skipped: their parameters no longer apply */
    size_t shrunk;    /* failing trials with a smaller failing instance found */
} idc_prop_summary;

/* Runs a property on opts->jobs threads, in three phases: (1) the
 * regressions of opts->regressions, in file order; (2) trials
 * first..first+trials-1; (3) when opts->shrink_steps > 0, shrinking of the
 * failing trials of (1) and (2) (the first opts->shrink_failures of them, or
 * all; properties/shrink.h), one failing trial per thread. Nothing in the
 * results depends on opts->jobs but "wall_seconds". A failing "ERROR" trial
 * (run_trial returned an error status) is not shrunk.
 * Prints one line per finished trial to opts->progress, plus for a failing
 * trial the greppable line
 *   IDC-FAIL prop=ID trial=K seed=0x...  and a replay command
 * (a regression: "IDC-FAIL prop=ID regression=R trial=K ..." and a replay
 * command with its parameters as --KEY VALUE overrides).
 * *results (new reference) = {"property", "run_seed", "params",
 * "regressions": [... in file order], "trials": [... in index order],
 * "summary": {"passed", "failed", "discarded", "inconclusive", "shrunk",
 * "regressions": {"replayed", "passed", "failed", "discarded",
 * "inconclusive", "stale"}}}. Every record has "trial", "seed", "outcome" (PASS, FAIL,
 * DISCARD, INCONCLUSIVE, ERROR; a regression also STALE), "wall_seconds" (PASS, FAIL,
 * DISCARD), and a FAIL "replay" (the command); a regression has
 * "regression" (its position), "run_seed", "params" and "replay"; a failing
 * record that was shrunk has "shrink" (see idc_prop_shrink). Returns IDC_OK
 * when every trial ran (whatever the verdicts), or the first error status;
 * IDC_EINVAL naming the entry when an opts->restored record does not belong
 * to this run (a trial index outside it, a regression that is not at its
 * position, an outcome other than the four, a duplicate). */
int idc_prop_run(idc_prop_summary *sum, json_t **results, const idc_prop_def *def, const void *params,
                 const idc_prop_run_opts *opts, idc_err *err);

void idc_trial_clear(idc_trial *t);

/* Appends printf-formatted text to t->line (truncated at its capacity). */
void idc_trial_appendf(idc_trial *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parameters as text (properties/params.c). */

/* Formats a JSON number/string/boolean parameter value the way set_param
 * reads it: integers in decimal, reals in the shortest form that round-trips
 * (%.15g, else %.17g). Returns 0 when v has another type or does not fit. */
int idc_prop_value_string(char *buf, size_t cap, const json_t *v);

/* params (params_size bytes) = the defaults, then set_param for every key of
 * obj (a params_json object) whose value differs from the defaults'
 * params_json (so a parameter the property fixes reads back). IDC_EINVAL
 * naming the key when set_param rejects one. */
int idc_prop_params_from_json(void *params, const idc_prop_def *def, const json_t *obj, idc_err *err);

/* The number parsers the properties' set_param share: a positive integer
 * (at most 2^30) and a finite real in [lo, 1e6]. IDC_EINVAL naming --name. */
int idc_prop_parse_count(size_t *out, const char *name, const char *v, idc_err *err);
int idc_prop_parse_real(double *out, const char *name, const char *v, double lo, idc_err *err);

/* buf = "--KEY VALUE ..." for every key of obj (a params_json object) whose
 * value differs from the defaults', in obj's key order ("" when none).
 * Returns 0 when buf was too small. */
int idc_prop_overrides(char *buf, size_t cap, const idc_prop_def *def, const json_t *obj);

/* "PASS" / "FAIL" / "DISCARD" / "INCONCLUSIVE". */
const char *idc_trial_outcome_name(idc_trial_outcome o);

#endif
