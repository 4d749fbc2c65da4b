/* The property runner (see properties/prop.h): regressions first, then the
 * run's trials, then shrinking of the failures, each phase on a pool of
 * worker threads whose results do not depend on the number of threads. */
#include "properties/prop.h"

#include <inttypes.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <flint/flint.h>

#include "numeric/rng.h"
#include "properties/regress.h"
#include "properties/shrink.h"

void idc_trial_clear(idc_trial *t)
{
    json_decref(t->record);
    memset(t, 0, sizeof *t);
}

void idc_trial_appendf(idc_trial *t, const char *fmt, ...)
{
    size_t n = strlen(t->line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->line + n, sizeof t->line - n, fmt, ap);
    va_end(ap);
}

const char *idc_trial_outcome_name(idc_trial_outcome o)
{
    switch (o) {
    case IDC_TRIAL_PASS: return "PASS";
    case IDC_TRIAL_FAIL: return "FAIL";
    case IDC_TRIAL_INCONCLUSIVE: return "INCONCLUSIVE";
    default: return "DISCARD";
    }
}

/* One trial to run: a regression (reg >= 0) or a trial of this run. */
typedef struct {
    const void *params;
    void *own_params; /* a regression's parameters (owned) */
    uint64_t run_seed;
    uint32_t index;
    long reg;  /* position in opts->regressions, or -1 */
    int stale; /* a regression whose parameters no longer apply (err says why) */
    idc_trial trial;
    int status;
    idc_err err;
    double seconds;
    json_t *shrink;
    json_t *rec;  /* the finished trial's record (before "shrink"), or NULL */
    int restored; /* rec came from opts->restored: not run again */
} task;

typedef struct {
    const idc_prop_def *def;
    const idc_prop_run_opts *opts;
    task *tasks;
    size_t *order, norder, next;
    int shrinking;
    int shrink_status;
    idc_err shrink_err;
    int stop; /* the on_trial hook failed: start no further trial */
    int hook_status;
    idc_err hook_err;
    pthread_mutex_t lock;
} shared;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The command that replays task t alone: the run's own CLI arguments for a
 * trial of this run, a regression's parameters as overrides of the
 * defaults. */
static void replay_cmd(char *buf, size_t cap, const idc_prop_def *def, const idc_prop_run_opts *o, const task *t)
{
    char ov[1200] = "";
    const char *extra = o->replay_args ? o->replay_args : "";
    if (t->reg >= 0) {
        if (!idc_prop_overrides(ov, sizeof ov, def, o->regressions->v[t->reg].params))
            ov[0] = '\0';
        extra = ov;
    }
    snprintf(buf, cap, "idcheck prop %s --replay 0x%" PRIx64 ":%" PRIu32 "%s%s", def->id, t->run_seed, t->index,
             *extra ? " " : "", extra);
}

static void report(shared *sh, const task *t)
{
    const idc_prop_run_opts *o = sh->opts;
    FILE *fp = o->progress;
    if (fp == NULL)
        return;
    uint64_t tseed = idc_rng_derive_seed(t->run_seed, t->index);
    char who[96];
    if (t->reg >= 0)
        snprintf(who, sizeof who, "%s regression %ld trial %" PRIu32 " run_seed=0x%" PRIx64, sh->def->id, t->reg,
                 t->index, t->run_seed);
    else
        snprintf(who, sizeof who, "%s trial %" PRIu32, sh->def->id, t->index);
    if (t->stale) {
        fprintf(fp, "%s STALE (skipped): %s\n", who, t->err.msg);
        fflush(fp);
        return;
    }
    if (t->status != IDC_OK)
        fprintf(fp, "%s seed=0x%016" PRIx64 " ERROR %s\n", who, tseed, t->err.msg);
    else
        fprintf(fp, "%s seed=0x%016" PRIx64 " %s %s%s%s%s\n", who, tseed, t->trial.line,
                idc_trial_outcome_name(t->trial.outcome), t->trial.why[0] ? ": " : "", t->trial.why,
                t->restored ? " [journal]" : "");
    if (t->status != IDC_OK || t->trial.outcome == IDC_TRIAL_FAIL) {
        if (t->reg >= 0)
            fprintf(fp, "IDC-FAIL prop=%s regression=%ld trial=%" PRIu32 " seed=0x%016" PRIx64 " run_seed=0x%" PRIx64
                        "\n",
                    sh->def->id, t->reg, t->index, tseed, t->run_seed);
        else
            fprintf(fp, "IDC-FAIL prop=%s trial=%" PRIu32 " seed=0x%016" PRIx64 " run_seed=0x%" PRIx64 "\n",
                    sh->def->id, t->index, tseed, t->run_seed);
        char cmd[1400];
        replay_cmd(cmd, sizeof cmd, sh->def, o, t);
        fprintf(fp, "  replay: %s\n", cmd);
    }
    fflush(fp);
}

/* Adds the fields that identify task t to rec: "trial", "seed" and, for a
 * regression, "regression", "run_seed", "replay" and "params". */
static void add_ids(json_t *rec, const idc_prop_def *def, const idc_prop_run_opts *o, const task *t)
{
    char seedhex[24];
    snprintf(seedhex, sizeof seedhex, "0x%016" PRIx64, idc_rng_derive_seed(t->run_seed, t->index));
    json_object_set_new(rec, "trial", json_integer((json_int_t)t->index));
    json_object_set_new(rec, "seed", json_string(seedhex));
    if (t->reg >= 0) {
        char rs[24], replay[1400];
        snprintf(rs, sizeof rs, "0x%016" PRIx64, t->run_seed);
        replay_cmd(replay, sizeof replay, def, o, t);
        json_object_set_new(rec, "regression", json_integer(t->reg));
        json_object_set_new(rec, "run_seed", json_string(rs));
        json_object_set_new(rec, "replay", json_string(replay));
        json_object_set(rec, "params", o->regressions->v[t->reg].params);
    }
}

/* The record of a trial that finished with a verdict (NULL when out of
 * memory). */
static json_t *verdict_record(const idc_prop_def *def, const idc_prop_run_opts *o, const task *t)
{
    idc_trial_outcome oc = t->trial.outcome;
    json_t *rec = t->trial.record ? json_incref(t->trial.record) : json_object();
    if (rec == NULL)
        return NULL;
    json_object_set_new(rec, "outcome", json_string(idc_trial_outcome_name(oc)));
    if (t->trial.why[0])
        json_object_set_new(rec, "why", json_string(t->trial.why));
    json_object_set_new(rec, "wall_seconds", json_real(t->seconds));
    if (oc == IDC_TRIAL_FAIL) {
        char replay[1400];
        replay_cmd(replay, sizeof replay, def, o, t);
        json_object_set_new(rec, "replay", json_string(replay));
    }
    add_ids(rec, def, o, t);
    return rec;
}

static void run_one(shared *sh, task *t)
{
    if (sh->shrinking) {
        idc_err e;
        int rc = idc_prop_shrink(&t->shrink, sh->def, t->params, t->run_seed, t->index, sh->opts->shrink_steps,
                                 sh->opts->shrink_params, &e);
        pthread_mutex_lock(&sh->lock);
        if (rc != IDC_OK && sh->shrink_status == IDC_OK) {
            sh->shrink_status = rc;
            sh->shrink_err = e;
        }
        pthread_mutex_unlock(&sh->lock);
        return;
    }
    if (!t->stale) {
        double t0 = now();
        t->status = sh->def->run_trial(&t->trial, t->params, t->run_seed, t->index, &t->err);
        t->seconds = now() - t0;
    }
    pthread_mutex_lock(&sh->lock);
    if (!t->stale && t->status == IDC_OK) {
        t->rec = verdict_record(sh->def, sh->opts, t);
        if (t->rec == NULL)
            t->status = idc_err_set(&t->err, IDC_ENOMEM, "out of memory");
    }
    if (t->rec != NULL && sh->opts->on_trial != NULL && !sh->stop) {
        idc_err e;
        int rc = sh->opts->on_trial(sh->opts->on_trial_ctx, t->rec, t->trial.line, &e);
        if (rc != IDC_OK) {
            sh->stop = 1;
            sh->hook_status = rc;
            sh->hook_err = e;
        }
    }
    report(sh, t);
    pthread_mutex_unlock(&sh->lock);
}

static void *worker(void *arg)
{
    shared *sh = arg;
    for (;;) {
        pthread_mutex_lock(&sh->lock);
        size_t k = sh->stop ? sh->norder : sh->next++;
        pthread_mutex_unlock(&sh->lock);
        if (k >= sh->norder) {
            /* Trials run FLINT (exact checkers); free its thread-local caches
             * before the worker thread exits. */
            flint_cleanup();
            return NULL;
        }
        run_one(sh, &sh->tasks[sh->order[k]]);
    }
}

/* Runs the tasks listed in sh->order on up to `jobs` threads. */
static void run_phase(shared *sh, unsigned jobs)
{
    sh->next = 0;
    if (jobs > sh->norder)
        jobs = (unsigned)sh->norder;
    if (jobs > 256)
        jobs = 256;
    pthread_t tid[256];
    int threaded[256] = {0};
    for (unsigned t = 1; t < jobs; t++)
        threaded[t] = pthread_create(&tid[t], NULL, worker, sh) == 0;
    worker(sh);
    for (unsigned t = 1; t < jobs; t++)
        if (threaded[t])
            pthread_join(tid[t], NULL);
}

static json_t *task_record(const idc_prop_def *def, const idc_prop_run_opts *o, task *t, idc_prop_summary *sum,
                           int *rc, idc_err *err)
{
    json_t *rec;
    if (t->stale) {
        sum->reg_stale++;
        rec = json_pack("{s:s,s:s}", "outcome", "STALE", "why", t->err.msg);
        add_ids(rec, def, o, t);
    } else if (t->status != IDC_OK) {
        if (*rc == IDC_OK) {
            *rc = t->status;
            idc_err_set(err, *rc, "trial %" PRIu32 ": %s", t->index, t->err.msg);
        }
        rec = json_pack("{s:s,s:s}", "outcome", "ERROR", "error", t->err.msg);
        add_ids(rec, def, o, t);
    } else {
        idc_trial_outcome oc = t->trial.outcome;
        size_t *cnt = t->reg >= 0 ? (oc == IDC_TRIAL_PASS ? &sum->reg_passed
                                     : oc == IDC_TRIAL_FAIL ? &sum->reg_failed
                                     : oc == IDC_TRIAL_INCONCLUSIVE ? &sum->reg_inconclusive
                                                            : &sum->reg_discarded)
                                  : (oc == IDC_TRIAL_PASS ? &sum->passed
                                     : oc == IDC_TRIAL_FAIL ? &sum->failed
                                     : oc == IDC_TRIAL_INCONCLUSIVE ? &sum->inconclusive
                                                            : &sum->discarded);
        (*cnt)++;
        rec = t->rec;
        t->rec = NULL;
    }
    if (t->shrink != NULL) {
        if (json_object_size(json_object_get(t->shrink, "changed")) > 0) {
            char cmd[1400];
            snprintf(cmd, sizeof cmd, "idcheck prop %s --replay 0x%" PRIx64 ":%" PRIu32 "%s%s", def->id,
                     t->run_seed, t->index, json_string_length(json_object_get(t->shrink, "overrides")) ? " " : "",
                     json_string_value(json_object_get(t->shrink, "overrides")));
            json_object_set_new(t->shrink, "replay", json_string(cmd));
            sum->shrunk++;
        }
        json_object_set_new(rec, "shrink", t->shrink);
        t->shrink = NULL;
    }
    return rec;
}

/* Places the records of opts->restored on their tasks (tasks[0..nreg) the
 * regressions, then the run's trials). */
static int restore(shared *sh, size_t nreg, uint32_t n, idc_err *err)
{
    const idc_prop_run_opts *o = sh->opts;
    size_t i;
    json_t *e;
    json_array_foreach(o->restored, i, e)
    {
        json_t *rec = json_object_get(e, "record");
        const char *line = json_string_value(json_object_get(e, "line"));
        const char *ocs = json_string_value(json_object_get(rec, "outcome"));
        json_t *tr = json_object_get(rec, "trial"), *reg = json_object_get(rec, "regression");
        int oc = -1;
        for (int k = IDC_TRIAL_PASS; ocs != NULL && k <= IDC_TRIAL_INCONCLUSIVE; k++)
            if (strcmp(ocs, idc_trial_outcome_name((idc_trial_outcome)k)) == 0)
                oc = k;
        if (!json_is_object(rec) || line == NULL || oc < 0 || !json_is_integer(tr))
            return idc_err_set(err, IDC_EINVAL, "restored trial %zu: expected a line and a record with trial and "
                               "outcome PASS, FAIL, DISCARD or INCONCLUSIVE", i);
        json_int_t k = json_integer_value(tr);
        task *t = NULL;
        if (reg != NULL) {
            json_int_t r = json_is_integer(reg) ? json_integer_value(reg) : -1;
            char rs[24];
            if (r >= 0 && (size_t)r < nreg)
                snprintf(rs, sizeof rs, "0x%016" PRIx64, sh->tasks[r].run_seed);
            if (r < 0 || (size_t)r >= nreg || sh->tasks[r].stale || k != (json_int_t)sh->tasks[r].index ||
                json_string_value(json_object_get(rec, "run_seed")) == NULL ||
                strcmp(json_string_value(json_object_get(rec, "run_seed")), rs) != 0)
                return idc_err_set(err, IDC_EINVAL, "restored trial %zu: not regression %" JSON_INTEGER_FORMAT
                                   " of this run", i, r);
            t = &sh->tasks[r];
        } else {
            if (k < (json_int_t)o->first || k >= (json_int_t)o->first + (json_int_t)n)
                return idc_err_set(err, IDC_EINVAL, "restored trial %zu: trial %" JSON_INTEGER_FORMAT
                                   " is outside this run", i, k);
            t = &sh->tasks[nreg + (size_t)(k - (json_int_t)o->first)];
        }
        if (t->restored)
            return idc_err_set(err, IDC_EINVAL, "restored trial %zu: trial %" JSON_INTEGER_FORMAT " restored twice", i,
                               k);
        t->rec = json_deep_copy(rec);
        if (t->rec == NULL)
            return idc_err_set(err, IDC_ENOMEM, "out of memory");
        t->restored = 1;
        t->status = IDC_OK;
        t->trial.outcome = (idc_trial_outcome)oc;
        snprintf(t->trial.line, sizeof t->trial.line, "%s", line);
        const char *why = json_string_value(json_object_get(rec, "why"));
        snprintf(t->trial.why, sizeof t->trial.why, "%s", why ? why : "");
    }
    return IDC_OK;
}

/* Lists the tasks lo..hi-1 that are to be run in sh->order; reports the
 * restored ones. */
static void plan_phase(shared *sh, size_t lo, size_t hi)
{
    sh->norder = 0;
    for (size_t k = lo; k < hi; k++) {
        if (sh->tasks[k].restored)
            report(sh, &sh->tasks[k]);
        else
            sh->order[sh->norder++] = k;
    }
}

static void free_tasks(task *tasks, size_t ntask)
{
    for (size_t k = 0; tasks != NULL && k < ntask; k++) {
        idc_trial_clear(&tasks[k].trial);
        json_decref(tasks[k].shrink);
        json_decref(tasks[k].rec);
        free(tasks[k].own_params);
    }
    free(tasks);
}

int idc_prop_run(idc_prop_summary *sum, json_t **results, const idc_prop_def *def, const void *params,
                 const idc_prop_run_opts *opts, idc_err *err)
{
    memset(sum, 0, sizeof *sum);
    *results = NULL;
    uint32_t n = opts->trials;
    if (n == 0)
        return idc_err_set(err, IDC_EINVAL, "--trials: must be >= 1");
    if ((uint64_t)opts->first + n > UINT32_MAX)
        return idc_err_set(err, IDC_EINVAL, "--trials: trial indices exceed 2^32");
    if (opts->shrink_steps > 0) {
        int rc = idc_prop_shrink_check_names(def, opts->shrink_params, err);
        if (rc != IDC_OK)
            return rc;
    }
    const idc_prop_regressions *regs = opts->regressions;
    size_t nreg = regs ? regs->n : 0, ntask = nreg + n;
    shared sh = {def,    opts, idc_calloc(ntask, sizeof(task)), idc_calloc(ntask, sizeof(size_t)), 0, 0, 0, IDC_OK,
                 {""},   0,    IDC_OK,                          {""},                               PTHREAD_MUTEX_INITIALIZER};
    int rc = (sh.tasks == NULL || sh.order == NULL) ? IDC_ENOMEM : IDC_OK;
    for (size_t k = 0; rc == IDC_OK && k < ntask; k++) {
        task *t = &sh.tasks[k];
        if (k < nreg) {
            const idc_prop_regression *e = &regs->v[k];
            t->reg = (long)k;
            t->run_seed = e->seed;
            t->index = e->trial;
            t->own_params = calloc(1, def->params_size);
            if (t->own_params == NULL) {
                rc = IDC_ENOMEM;
                break;
            }
            t->params = t->own_params;
            t->stale = idc_prop_params_from_json(t->own_params, def, e->params, &t->err) != IDC_OK;
        } else {
            t->reg = -1;
            t->run_seed = opts->seed;
            t->index = opts->first + (uint32_t)(k - nreg);
            t->params = params;
        }
    }
    if (rc != IDC_OK)
        idc_err_set(err, IDC_ENOMEM, "out of memory");
    else if (opts->restored != NULL)
        rc = restore(&sh, nreg, n, err);
    if (rc != IDC_OK) {
        free_tasks(sh.tasks, ntask);
        free(sh.order);
        return rc;
    }
    unsigned jobs = opts->jobs < 1 ? 1 : opts->jobs;
    /* Phase 1: regressions, all finished before any new trial starts. */
    plan_phase(&sh, 0, nreg);
    run_phase(&sh, jobs);
    /* Phase 2: the run's trials. */
    if (!sh.stop)
        plan_phase(&sh, nreg, ntask);
    run_phase(&sh, jobs);
    if (sh.stop) {
        free_tasks(sh.tasks, ntask);
        free(sh.order);
        pthread_mutex_destroy(&sh.lock);
        return idc_err_set(err, sh.hook_status, "%s", sh.hook_err.msg);
    }
    /* Phase 3: shrink every failure. */
    if (opts->shrink_steps > 0) {
        sh.norder = 0;
        for (size_t k = 0; k < ntask; k++)
            if (!sh.tasks[k].stale && sh.tasks[k].status == IDC_OK && sh.tasks[k].trial.outcome == IDC_TRIAL_FAIL &&
                (opts->shrink_failures == 0 || sh.norder < opts->shrink_failures))
                sh.order[sh.norder++] = k;
        sh.shrinking = 1;
        run_phase(&sh, jobs);
        if (sh.shrink_status != IDC_OK)
            rc = idc_err_set(err, sh.shrink_status, "shrinking: %s", sh.shrink_err.msg);
    }

    json_t *regarr = json_array(), *arr = json_array();
    for (size_t k = 0; k < ntask; k++) {
        task *t = &sh.tasks[k];
        json_array_append_new(t->reg >= 0 ? regarr : arr, task_record(def, opts, t, sum, &rc, err));
    }
    free_tasks(sh.tasks, ntask);
    sum->reg_run = nreg - sum->reg_stale;
    char runseed[24];
    snprintf(runseed, sizeof runseed, "0x%016" PRIx64, opts->seed);
    *results = json_pack("{s:s,s:s,s:o,s:o,s:o,s:{s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I,s:I,s:I}}}", "property",
                         def->id, "run_seed", runseed, "params", def->params_json(params), "regressions", regarr,
                         "trials", arr, "summary", "passed", (json_int_t)sum->passed, "failed",
                         (json_int_t)sum->failed, "discarded", (json_int_t)sum->discarded, "inconclusive",
                         (json_int_t)sum->inconclusive, "shrunk", (json_int_t)sum->shrunk, "regressions", "replayed",
                         (json_int_t)sum->reg_run, "passed", (json_int_t)sum->reg_passed, "failed",
                         (json_int_t)sum->reg_failed, "discarded", (json_int_t)sum->reg_discarded, "inconclusive",
                         (json_int_t)sum->reg_inconclusive, "stale", (json_int_t)sum->reg_stale);
    free(sh.order);
    pthread_mutex_destroy(&sh.lock);
    if (*results == NULL && rc == IDC_OK)
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    return rc;
}
