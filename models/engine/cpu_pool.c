/* The CPU backend's thread team (models/engine/cpu_pool.h). */
#include "models/engine/cpu_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

/* Polls of the job counter before a worker sleeps (about 0.1 ms). */
#define SPIN_POLLS 4000

struct idc_pool {
    unsigned threads;
    pthread_t *tid;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_uint gen;      /* job number, incremented per idc_pool_run */
    atomic_uint done;     /* workers finished with the current job */
    atomic_int stop;
    unsigned nsleep;      /* workers waiting on cv (under mu) */
    void (*fn)(void *, unsigned);
    void *ctx;
    unsigned nparts;
    struct worker {
        idc_pool *p;
        unsigned index;
    } *w;
};

static void relax(unsigned i)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    if (i % 256 == 255)
        sched_yield();
}

static void *worker_main(void *arg)
{
    struct worker *me = arg;
    idc_pool *p = me->p;
    unsigned seen = 0;
    for (;;) {
        unsigned i = 0;
        while (atomic_load(&p->gen) == seen && !atomic_load(&p->stop) && i < SPIN_POLLS)
            relax(i++);
        if (atomic_load(&p->gen) == seen && !atomic_load(&p->stop)) {
            pthread_mutex_lock(&p->mu);
            p->nsleep++;
            while (atomic_load(&p->gen) == seen && !atomic_load(&p->stop))
                pthread_cond_wait(&p->cv, &p->mu);
            p->nsleep--;
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop))
            return NULL;
        seen = atomic_load(&p->gen);
        for (unsigned part = me->index; part < p->nparts; part += p->threads)
            p->fn(p->ctx, part);
        atomic_fetch_add(&p->done, 1);
    }
}

idc_pool *idc_pool_new(unsigned threads, idc_err *err)
{
    if (threads < 1 || threads > IDC_POOL_MAX_THREADS) {
        idc_err_set(err, IDC_EINVAL, "threads: must be in 1..%d, got %u", IDC_POOL_MAX_THREADS,
                    threads);
        return NULL;
    }
    idc_pool *p = calloc(1, sizeof *p);
    if (p == NULL || (threads > 1 && ((p->tid = calloc(threads, sizeof *p->tid)) == NULL ||
                                      (p->w = calloc(threads, sizeof *p->w)) == NULL))) {
        if (p != NULL) {
            free(p->tid);
            free(p);
        }
        idc_err_set(err, IDC_ENOMEM, "threads: out of memory for a pool of %u", threads);
        return NULL;
    }
    p->threads = 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    atomic_init(&p->gen, 0);
    atomic_init(&p->done, 0);
    atomic_init(&p->stop, 0);
    for (unsigned t = 1; t < threads; t++) {
        p->w[t].p = p;
        p->w[t].index = t;
        if (pthread_create(&p->tid[t], NULL, worker_main, &p->w[t]) != 0) {
            idc_pool_free(p);
            idc_err_set(err, IDC_EIO, "threads: cannot start thread %u of %u", t + 1, threads);
            return NULL;
        }
        p->threads = t + 1;
    }
    return p;
}

void idc_pool_free(idc_pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned t = 1; t < p->threads; t++)
        pthread_join(p->tid[t], NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->tid);
    free(p->w);
    free(p);
}

unsigned idc_pool_threads(const idc_pool *p)
{
    return p->threads;
}

void idc_pool_run(idc_pool *p, void (*fn)(void *ctx, unsigned part), void *ctx, unsigned nparts)
{
    if (p->threads == 1 || nparts <= 1) {
        for (unsigned part = 0; part < nparts; part++)
            fn(ctx, part);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    p->nparts = nparts;
    atomic_store(&p->done, 0);
    /* the job fields are published by the (sequentially consistent)
     * increment that the workers poll */
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->gen, 1);
    if (p->nsleep > 0)
        pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned part = 0; part < nparts; part += p->threads)
        fn(ctx, part);
    unsigned i = 0;
    while (atomic_load(&p->done) < p->threads - 1)
        relax(i++);
}
