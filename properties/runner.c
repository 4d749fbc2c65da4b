#include "properties/prop.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <flint/flint.h>

#include "numeric/rng.h"

void idc_trial_clear(idc_trial *t)
{
    json_decref(t->record);
    memset(t, 0, sizeof *t);
}

const char *idc_trial_outcome_name(idc_trial_outcome o)
{
    switch (o) {
    case IDC_TRIAL_PASS: return "PASS";
    case IDC_TRIAL_FAIL: return "FAIL";
    default: return "DISCARD";
    }
}

typedef struct {
    const idc_prop_def *def;
    const void *params;
    const idc_prop_run_opts *opts;
    idc_trial *trials;
    int *status;
    idc_err *errs;
    uint32_t next;
    pthread_mutex_t lock;
} shared;

static void report(shared *sh, uint32_t k)
{
    const idc_prop_run_opts *o = sh->opts;
    FILE *fp = o->progress;
    if (fp == NULL)
        return;
    uint32_t index = o->first + k;
    uint64_t tseed = idc_rng_derive_seed(o->seed, index);
    idc_trial *t = &sh->trials[k];
    if (sh->status[k] != IDC_OK) {
        fprintf(fp, "%s trial %" PRIu32 " seed=0x%016" PRIx64 " ERROR %s\n", sh->def->id, index, tseed,
                sh->errs[k].msg);
    } else {
        fprintf(fp, "%s trial %" PRIu32 " seed=0x%016" PRIx64 " %s %s%s%s\n", sh->def->id, index, tseed,
                t->line, idc_trial_outcome_name(t->outcome), t->why[0] ? ": " : "", t->why);
    }
    if (sh->status[k] != IDC_OK || t->outcome == IDC_TRIAL_FAIL) {
        fprintf(fp, "IDC-FAIL prop=%s trial=%" PRIu32 " seed=0x%016" PRIx64 " run_seed=0x%" PRIx64 "\n",
                sh->def->id, index, tseed, o->seed);
        fprintf(fp, "  replay: idcheck prop %s --replay 0x%" PRIx64 ":%" PRIu32 "%s%s\n", sh->def->id, o->seed,
                index, o->replay_args && *o->replay_args ? " " : "", o->replay_args ? o->replay_args : "");
    }
    fflush(fp);
}

static void *worker(void *arg)
{
    shared *sh = arg;
    for (;;) {
        pthread_mutex_lock(&sh->lock);
        uint32_t k = sh->next++;
        pthread_mutex_unlock(&sh->lock);
        if (k >= sh->opts->trials) {
            /* Trials run FLINT (exact checkers); free its thread-local caches
             * before the worker thread exits. */
            flint_cleanup();
            return NULL;
        }
        sh->status[k] = sh->def->run_trial(&sh->trials[k], sh->params, sh->opts->seed, sh->opts->first + k,
                                           &sh->errs[k]);
        pthread_mutex_lock(&sh->lock);
        report(sh, k);
        pthread_mutex_unlock(&sh->lock);
    }
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
    shared sh = {def, params, opts, idc_calloc(n, sizeof(idc_trial)), idc_calloc(n, sizeof(int)),
                 idc_calloc(n, sizeof(idc_err)), 0, PTHREAD_MUTEX_INITIALIZER};
    if (sh.trials == NULL || sh.status == NULL || sh.errs == NULL) {
        free(sh.trials);
        free(sh.status);
        free(sh.errs);
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    unsigned jobs = opts->jobs < 1 ? 1 : opts->jobs;
    if (jobs > n)
        jobs = n;
    if (jobs > 256)
        jobs = 256;
    pthread_t tid[256];
    int threaded[256] = {0};
    for (unsigned t = 1; t < jobs; t++)
        threaded[t] = pthread_create(&tid[t], NULL, worker, &sh) == 0;
    worker(&sh);
    for (unsigned t = 1; t < jobs; t++)
        if (threaded[t])
            pthread_join(tid[t], NULL);

    int rc = IDC_OK;
    json_t *arr = json_array();
    for (uint32_t k = 0; k < n; k++) {
        uint32_t index = opts->first + k;
        char seedhex[24];
        snprintf(seedhex, sizeof seedhex, "0x%016" PRIx64, idc_rng_derive_seed(opts->seed, index));
        json_t *rec;
        if (sh.status[k] != IDC_OK) {
            if (rc == IDC_OK) {
                rc = sh.status[k];
                idc_err_set(err, rc, "trial %" PRIu32 ": %s", index, sh.errs[k].msg);
            }
            rec = json_pack("{s:I,s:s,s:s,s:s}", "trial", (json_int_t)index, "seed", seedhex, "outcome",
                            "ERROR", "error", sh.errs[k].msg);
        } else {
            idc_trial *t = &sh.trials[k];
            if (t->outcome == IDC_TRIAL_PASS)
                sum->passed++;
            else if (t->outcome == IDC_TRIAL_FAIL)
                sum->failed++;
            else
                sum->discarded++;
            rec = t->record ? json_incref(t->record) : json_object();
            json_object_set_new(rec, "trial", json_integer((json_int_t)index));
            json_object_set_new(rec, "seed", json_string(seedhex));
            json_object_set_new(rec, "outcome", json_string(idc_trial_outcome_name(t->outcome)));
            if (t->why[0])
                json_object_set_new(rec, "why", json_string(t->why));
        }
        json_array_append_new(arr, rec);
        idc_trial_clear(&sh.trials[k]);
    }
    char runseed[24];
    snprintf(runseed, sizeof runseed, "0x%016" PRIx64, opts->seed);
    *results = json_pack("{s:s,s:s,s:o,s:o,s:{s:I,s:I,s:I}}", "property", def->id, "run_seed", runseed,
                         "params", def->params_json(params), "trials", arr, "summary", "passed",
                         (json_int_t)sum->passed, "failed", (json_int_t)sum->failed, "discarded",
                         (json_int_t)sum->discarded);
    free(sh.trials);
    free(sh.status);
    free(sh.errs);
    pthread_mutex_destroy(&sh.lock);
    return rc;
}
