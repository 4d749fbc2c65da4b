/* A fixed team of threads for the CPU backend's intra-operation
 * parallelism (models/engine/engine.h: idc_backend_cpu_new).
 *
 * idc_pool_run(p, fn, ctx, nparts) calls fn(ctx, part) once for every part
 * in 0..nparts-1, spread over the caller and the pool's workers, and
 * returns when all calls have returned. Which thread runs a part never
 * matters to the results: callers split work so that every part writes
 * its own outputs (see backend_cpu.c).
 *
 * Workers spin briefly after a job (a training step issues thousands of
 * short operations back to back; waking a sleeping thread costs more than
 * most of them) and then sleep on a condition variable, so an idle pool
 * costs nothing. One pool serves one caller thread at a time. */
#ifndef IDC_MODELS_CPU_POOL_H
#define IDC_MODELS_CPU_POOL_H

#include "numeric/status.h"

/* Most threads of a pool (the caller included). */
#define IDC_POOL_MAX_THREADS 64

typedef struct idc_pool idc_pool;

/* A pool of `threads` threads counting the caller (1..IDC_POOL_MAX_THREADS;
 * 1 starts no thread). NULL with err set (IDC_EINVAL, IDC_ENOMEM, or
 * IDC_EIO when a thread cannot be started). */
idc_pool *idc_pool_new(unsigned threads, idc_err *err);

/* Stops the workers and frees p; NULL is a no-op. */
void idc_pool_free(idc_pool *p);

/* The number of threads, the caller included. */
unsigned idc_pool_threads(const idc_pool *p);

/* Runs fn(ctx, part) for part = 0..nparts-1 and waits for all of them:
 * thread t (0 = the caller) runs parts t, t + threads, ... */
void idc_pool_run(idc_pool *p, void (*fn)(void *ctx, unsigned part), void *ctx, unsigned nparts);

#endif
