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

typedef enum { IDC_TRIAL_PASS = 0, IDC_TRIAL_FAIL = 1, IDC_TRIAL_DISCARD = 2 } idc_trial_outcome;

typedef struct {
    idc_trial_outcome outcome;
    char line[768]; /* the trial's fields for its one-line report (verdicts, metrics) */
    char why[256];  /* FAIL: the violated assertion; DISCARD: the precondition not HOLDS */
    json_t *record; /* everything about the trial (owned): seeds, instance, verdicts,
                       certificates, metrics, timings */
} idc_trial;

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
} idc_prop_def;

/* The registry. */
size_t idc_prop_count(void);
const idc_prop_def *idc_prop_get(size_t i);
const idc_prop_def *idc_prop_find(const char *id);

typedef struct {
    uint64_t seed;      /* run seed */
    uint32_t first;     /* first trial index */
    uint32_t trials;    /* number of trials */
    unsigned jobs;      /* worker threads (results do not depend on it) */
    FILE *progress;     /* where trial lines go as trials finish (NULL: nowhere) */
    const char *replay_args; /* extra CLI arguments to repeat in replay commands */
} idc_prop_run_opts;

typedef struct {
    size_t passed, failed, discarded;
} idc_prop_summary;

/* Runs trials first..first+trials-1 of a property on opts->jobs threads.
 * Prints one line per finished trial to opts->progress, plus for a failing
 * trial the greppable line
 *   IDC-FAIL prop=ID trial=K seed=0x...  and a replay command.
 * *results (new reference) = {"property", "run_seed", "params", "trials": [...
 * in index order], "summary"}. Returns IDC_OK when every trial ran (whatever
 * the verdicts), or the first error status. */
int idc_prop_run(idc_prop_summary *sum, json_t **results, const idc_prop_def *def, const void *params,
                 const idc_prop_run_opts *opts, idc_err *err);

void idc_trial_clear(idc_trial *t);

/* "PASS" / "FAIL" / "DISCARD". */
const char *idc_trial_outcome_name(idc_trial_outcome o);

#endif
