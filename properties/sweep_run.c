/* Running a sweep's cells on worker threads (see sweep_run.h). */
#include "properties/sweep_run.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *idc_sweep_record_outcome(const json_t *record)
{
    return json_string_value(json_object_get(record, "outcome"));
}

static int ends_with_seconds(const char *k)
{
    size_t n = strlen(k);
    return n >= 7 && strcmp(k + n - 7, "seconds") == 0;
}

int idc_sweep_record_equal(const json_t *a, const json_t *b)
{
    if (json_is_object(a) && json_is_object(b)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v)
        {
            if (ends_with_seconds(k))
                continue;
            json_t *w = json_object_get(b, k);
            if (w == NULL || !idc_sweep_record_equal(v, w))
                return 0;
        }
        json_object_foreach((json_t *)b, k, v)
        {
            if (!ends_with_seconds(k) && json_object_get(a, k) == NULL)
                return 0;
        }
        return 1;
    }
    if (json_is_array(a) && json_is_array(b)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!idc_sweep_record_equal(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    return json_equal(a, b);
}

int idc_sweep_run_cell(json_t **record, const idc_sweep *s, size_t cell, idc_err *err)
{
    *record = NULL;
    if (cell >= s->ncells)
        return idc_err_set(err, IDC_EINTERNAL, "cell %zu of %zu", cell, s->ncells);
    const idc_sweep_cell *c = &s->cells[cell];
    void *params = NULL;
    int rc = idc_sweep_cell_params(&params, c, err);
    if (rc != IDC_OK)
        return rc == IDC_ENOMEM ? rc : idc_err_prefix(err, IDC_EINTERNAL, "%s", "");
    idc_prop_run_opts o = {.seed = c->run_seed, .first = c->index, .trials = 1, .jobs = 1, .progress = NULL,
                           .replay_args = c->overrides};
    idc_prop_summary sum;
    json_t *res = NULL;
    idc_err e;
    rc = idc_prop_run(&sum, &res, c->def, params, &o, &e);
    free(params);
    json_t *rec = json_array_get(json_object_get(res, "trials"), 0);
    if (rec == NULL) { /* no record at all: not a trial's error */
        json_decref(res);
        return idc_err_set(err, rc == IDC_ENOMEM ? IDC_ENOMEM : IDC_EINTERNAL, "cell %s: %s", c->key,
                           rc != IDC_OK ? e.msg : "no trial record");
    }
    json_incref(rec);
    json_decref(res);
    char rs[24], replay[2600];
    snprintf(rs, sizeof rs, "0x%016" PRIx64, c->run_seed);
    snprintf(replay, sizeof replay, "idcheck prop %s --replay 0x%" PRIx64 ":%" PRIu32 "%s%s", c->def->id, c->run_seed,
             c->index, c->overrides[0] ? " " : "", c->overrides);
    int bad = json_object_set_new(rec, "cell", json_string(c->key)) != 0;
    bad |= json_object_set_new(rec, "property", json_string(c->def->id)) != 0;
    bad |= json_object_set_new(rec, "label", json_string(c->label)) != 0;
    bad |= json_object_set_new(rec, "run_seed", json_string(rs)) != 0;
    /* copies: the sweep's objects are shared by every thread, and jansson's
     * reference counts are not safe to change from several threads */
    bad |= json_object_set_new(rec, "params", json_deep_copy(c->params)) != 0;
    bad |= json_object_set_new(rec, "knobs", json_deep_copy(c->knobs)) != 0;
    if (c->case_label != NULL)
        bad |= json_object_set_new(rec, "case", json_string(c->case_label)) != 0;
    bad |= json_object_set_new(rec, "replay", json_string(replay)) != 0;
    if (bad) {
        json_decref(rec);
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    *record = rec;
    return IDC_OK;
}

typedef struct {
    const idc_sweep *s;
    const idc_sweep_run_opts *o;
    size_t next;
    int stop, status;
    idc_err err;
    pthread_mutex_t lock;
} pool;

static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (!p->stop && p->next < p->s->ncells && p->o->skip != NULL && p->o->skip[p->next])
            p->next++;
        size_t k = p->stop ? p->s->ncells : p->next++;
        pthread_mutex_unlock(&p->lock);
        if (k >= p->s->ncells)
            return NULL;
        json_t *rec = NULL;
        idc_err e;
        int rc = idc_sweep_run_cell(&rec, p->s, k, &e);
        pthread_mutex_lock(&p->lock);
        if (rc == IDC_OK && !p->stop && p->o->put != NULL)
            rc = p->o->put(p->o->put_ctx, p->s, k, rec, &e);
        if (rc != IDC_OK && !p->stop) {
            p->stop = 1;
            p->status = rc;
            p->err = e;
        }
        pthread_mutex_unlock(&p->lock);
        json_decref(rec);
    }
}

int idc_sweep_run(const idc_sweep *s, const idc_sweep_run_opts *o, idc_err *err)
{
    pool p = {s, o, 0, 0, IDC_OK, {""}, PTHREAD_MUTEX_INITIALIZER};
    unsigned t = o->threads < 1 ? 1 : o->threads > 256 ? 256 : o->threads;
    pthread_t tid[256];
    int started[256] = {0};
    for (unsigned i = 1; i < t; i++)
        started[i] = pthread_create(&tid[i], NULL, worker, &p) == 0;
    worker(&p);
    for (unsigned i = 1; i < t; i++)
        if (started[i])
            pthread_join(tid[i], NULL);
    pthread_mutex_destroy(&p.lock);
    if (p.status != IDC_OK)
        return idc_err_set(err, p.status, "%s", p.err.msg);
    return IDC_OK;
}
