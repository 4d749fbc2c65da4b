/* idcheck sweep: run a sweep file's grid of property trials into the results
 * store, on worker threads, as one shard of it, or over MPI ranks; resume an
 * interrupted sweep. docs/SWEEP.md describes the file and the verb. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "numeric/rng.h"
#include "properties/sweep.h"
#include "properties/sweep_mpi.h"
#include "properties/sweep_run.h"
#include "reports/provenance.h"
#include "reports/store.h"

static void help(FILE *fp)
{
    fprintf(fp,
            "usage: idcheck sweep SWEEP.json --db RESULTS.sqlite [--threads T] [--resume] [--shard I/N]\n"
            "                     [--quiet] [--progress-interval S]\n"
            "       idcheck sweep SWEEP.json --cells [--shard I/N]\n\n"
            "Runs every cell of the sweep's grid (properties x estimators x cases x grid values x seeds;\n"
            "docs/SWEEP.md) as one trial of its property, on T worker threads (default 1), and records\n"
            "each finished trial in the results store in one transaction (docs/STORE.md). A cell's\n"
            "trial is a pure function of the cell: the same records whatever T, the order, the shard or\n"
            "the MPI rank that runs it; each record carries the idcheck prop command replaying it.\n"
            "  --resume          continue the unfinished run of this sweep in RESULTS.sqlite (after a\n"
            "                    crash, kill -9, Ctrl-C, a full disk): finished cells are not run again.\n"
            "                    Without --resume a database already holding this sweep (same shard) is\n"
            "                    refused (exit 2).\n"
            "  --shard I/N       run only cells k with k mod N = I - 1 (k in canonical order), as run\n"
            "                    shard 'I/N' (scheduler array jobs); `idcheck merge OUT SHARD...` combines\n"
            "                    the shard databases.\n"
            "  --cells           list the cells (key and replay command) and exit; no database.\n"
            "  mpirun -np K idcheck sweep ...: rank 0 owns the database and hands cells to ranks\n"
            "                    1..K-1 (each on T threads), which send their records back (needs\n"
            "                    libidcheck-mpi.so, built when mpicc is found; docs/SWEEP.md).\n"
            "Progress on stderr: a bar with counts per outcome and the ETA when stderr is a terminal,\n"
            "else one line every S seconds (default 10) and at the end; --quiet: none.\n"
            "Exit: 0 no trial failed, 1 some trial FAILed, 2 bad usage or input (the sweep file, the\n"
            "database), 3 a trial ended in an error or an internal error.\n");
}

enum { OC_PASS, OC_FAIL, OC_DISCARD, OC_INCONCLUSIVE, OC_ERROR, OC_N };
static const char *const oc_names[OC_N] = {"PASS", "FAIL", "DISCARD", "INCONCLUSIVE", "ERROR"};

static int oc_index(const char *s)
{
    for (int i = 0; s != NULL && i < OC_N; i++)
        if (strcmp(s, oc_names[i]) == 0)
            return i;
    return -1;
}

typedef struct {
    idc_store *store;
    int64_t run_id;
    const idc_sweep *s;
    size_t counts[OC_N];
    size_t total, done, done_at_start;
    double t0, last;
    int tty, quiet, drawn;
    double interval;
} sweep_ctx;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void fmt_dur(char *buf, size_t cap, double s)
{
    if (!(s >= 0) || s > 1e9) {
        snprintf(buf, cap, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60)
        snprintf(buf, cap, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, cap, "%lds", t);
}

/* The progress display: a bar redrawn in place on a terminal, plain lines
 * (at most one per interval, and the last) otherwise. */
static void progress(sweep_ctx *c, int final)
{
    if (c->quiet)
        return;
    double t = now();
    if (!c->tty && !final && t - c->last < c->interval)
        return;
    c->last = t;
    size_t ran = c->done - c->done_at_start, left = c->total - c->done;
    double el = t - c->t0;
    char els[32], eta[32];
    fmt_dur(els, sizeof els, el);
    if (left == 0)
        snprintf(eta, sizeof eta, "0s");
    else if (ran == 0)
        snprintf(eta, sizeof eta, "?");
    else
        fmt_dur(eta, sizeof eta, el / (double)ran * (double)left);
    char counts[160];
    snprintf(counts, sizeof counts, "PASS %zu  FAIL %zu  INCONCLUSIVE %zu  DISCARD %zu  ERROR %zu",
             c->counts[OC_PASS], c->counts[OC_FAIL], c->counts[OC_INCONCLUSIVE], c->counts[OC_DISCARD],
             c->counts[OC_ERROR]);
    if (c->tty) {
        char bar[33];
        size_t w = 30, fill = c->total ? c->done * w / c->total : w;
        for (size_t i = 0; i < w; i++)
            bar[i] = i < fill ? '#' : '-';
        bar[w] = '\0';
        fprintf(stderr, "\r\033[K[%s] %zu/%zu  %s  %s  ETA %s%s", bar, c->done, c->total, counts, els, eta,
                final ? "\n" : "");
        c->drawn = !final;
    } else {
        fprintf(stderr, "sweep %s: %zu/%zu cells  %s  elapsed %s  ETA %s\n", c->s->name, c->done, c->total, counts,
                els, eta);
    }
    fflush(stderr);
}

static int put(void *ctx, const idc_sweep *s, size_t cell, const json_t *rec, idc_err *err)
{
    sweep_ctx *c = ctx;
    const idc_sweep_cell *cl = &s->cells[cell];
    idc_store_trial t = {.cell = cl->key,
                         .property = cl->def->id,
                         .trial_index = cl->index,
                         .has_seeds = 1,
                         .seed = idc_rng_derive_seed(cl->run_seed, cl->index),
                         .run_seed = cl->run_seed,
                         .params = cl->params,
                         .seconds = -1,
                         .record = rec};
    int rc = idc_store_add_trial(c->store, c->run_id, &t, NULL, err);
    if (rc != IDC_OK)
        return rc;
    int k = oc_index(idc_sweep_record_outcome(rec));
    if (k >= 0)
        c->counts[k]++;
    c->done++;
    if (k == OC_FAIL || k == OC_ERROR) {
        if (c->drawn)
            fprintf(stderr, "\r\033[K");
        printf("IDC-FAIL sweep=%s cell=%s seed=%s %s: %s\n  replay: %s\n", s->name, cl->key,
               json_string_value(json_object_get(rec, "seed")), oc_names[k],
               json_string_value(json_object_get(rec, k == OC_FAIL ? "why" : "error"))
                   ? json_string_value(json_object_get(rec, k == OC_FAIL ? "why" : "error"))
                   : "",
               json_string_value(json_object_get(rec, "replay")));
        fflush(stdout);
    }
    if (c->done < c->total) /* the last one is drawn by the final call */
        progress(c, 0);
    return IDC_OK;
}

/* Counts the outcomes already recorded in the run and marks its cells done. */
static int restore(sweep_ctx *c, unsigned char *skip, idc_err *err)
{
    json_t *rows = NULL, *args = json_pack("[I]", (json_int_t)c->run_id);
    int rc = args ? idc_store_query(c->store, &rows, "SELECT cell, outcome FROM trials WHERE run_id = ?1", args, err)
                  : idc_err_set(err, IDC_ENOMEM, "out of memory");
    json_decref(args);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        const char *key = json_string_value(json_object_get(row, "cell"));
        size_t k = key ? idc_sweep_find_cell(c->s, key) : (size_t)-1;
        if (k == (size_t)-1) {
            rc = idc_err_set(err, IDC_EINVAL, "%s: run %" PRId64 " holds cell \"%s\", which the sweep does not have",
                             idc_store_path(c->store), c->run_id, key ? key : "(null)");
            break;
        }
        if (skip[k])
            continue; /* another shard's: cannot be, the run is this shard's */
        skip[k] = 1;
        int o = oc_index(json_string_value(json_object_get(row, "outcome")));
        if (o >= 0)
            c->counts[o]++;
        c->done++;
    }
    json_decref(rows);
    return rc;
}

/* Refuses to start a second run of the same sweep and shard in one database. */
static int existing_run(idc_store *st, const idc_sweep *s, const char *shard, int64_t *run_id, int *finished,
                        idc_err *err)
{
    json_t *rows = NULL, *args = json_pack("[s,s?]", s->canonical, shard);
    *run_id = 0;
    *finished = 0;
    int rc = args ? idc_store_query(st, &rows,
                                    "SELECT run_id, finished FROM runs WHERE verb = 'sweep' AND sweep = ?1 AND "
                                    "shard IS ?2 ORDER BY run_id DESC LIMIT 1",
                                    args, err)
                  : idc_err_set(err, IDC_ENOMEM, "out of memory");
    json_t *r = json_array_get(rows, 0);
    if (r != NULL) {
        *run_id = json_integer_value(json_object_get(r, "run_id"));
        *finished = !json_is_null(json_object_get(r, "finished"));
    }
    json_decref(rows);
    json_decref(args);
    return rc;
}

static int code_of(int rc)
{
    return rc == IDC_EINVAL || rc == IDC_EIO ? 2 : 3;
}

static void list_cells(const idc_sweep *s, unsigned si, unsigned sn)
{
    for (size_t i = 0; i < s->ncells; i++) {
        const idc_sweep_cell *c = &s->cells[i];
        if (!idc_sweep_in_shard(i, si, sn))
            continue;
        printf("%s  idcheck prop %s --replay 0x%" PRIx64 ":%" PRIu32 "%s%s\n", c->key, c->def->id, c->run_seed,
               c->index, c->overrides[0] ? " " : "", c->overrides);
    }
}

/* An MPI rank other than 0: runs the cells rank 0 hands out. */
static int mpi_worker(idc_sweep_mpi *m, const idc_sweep *s, const idc_err *load_err, unsigned threads)
{
    idc_err err;
    int rank = idc_sweep_mpi_rank(m);
    int rc = idc_sweep_mpi_work(m, s, load_err, threads, &err);
    idc_sweep_mpi_close(m);
    if (rc != IDC_OK) {
        if (s != NULL) /* a sweep file rank 0 could not read either: rank 0 says so, once */
            idc_cli_error("sweep", "rank %d: %s", rank, err.msg);
        return code_of(rc);
    }
    return 0;
}

int idc_cli_sweep(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        help(stdout);
        return 0;
    }
    const char *path = NULL, *db = NULL, *shard = NULL;
    int resume = 0, quiet = 0, cells = 0;
    uint64_t threads = 1;
    double interval = 10;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--db") == 0 && more) {
            db = argv[++i];
        } else if (strcmp(a, "--threads") == 0 && more) {
            if (!idc_cli_parse_u64("--threads", argv[++i], &threads) || threads < 1 || threads > 256) {
                idc_cli_error("sweep", "--threads: expected 1..256");
                return 2;
            }
        } else if (strcmp(a, "--shard") == 0 && more) {
            shard = argv[++i];
        } else if (strcmp(a, "--progress-interval") == 0 && more) {
            if (!idc_cli_parse_double("--progress-interval", argv[++i], &interval) || !(interval >= 0) ||
                interval > 86400) {
                idc_cli_error("sweep", "--progress-interval: expected seconds in [0, 86400]");
                return 2;
            }
        } else if (strcmp(a, "--resume") == 0) {
            resume = 1;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--cells") == 0) {
            cells = 1;
        } else if (a[0] != '-' && path == NULL) {
            path = a;
        } else {
            idc_cli_error("sweep", "unexpected argument \"%s\" (see idcheck sweep --help)", a);
            return 2;
        }
    }
    if (path == NULL) {
        help(stderr);
        return 2;
    }
    idc_err err;
    unsigned si = 1, sn = 1;
    if (shard != NULL && idc_sweep_shard_parse(&si, &sn, shard, &err) != IDC_OK) {
        idc_cli_error("sweep", "%s", err.msg);
        return 2;
    }
    if (!cells && db == NULL) {
        idc_cli_error("sweep", "--db: missing (the results store to write; see idcheck sweep --help)");
        return 2;
    }
    /* Under mpirun every rank parses the sweep; rank 0 alone opens the store. */
    idc_sweep_mpi *mpi = NULL;
    if (!cells && idc_sweep_mpi_launched() > 1) {
        if (idc_sweep_mpi_open(&mpi, &err) != IDC_OK) {
            idc_cli_error("sweep", "%s", err.msg);
            return 2;
        }
    }
    idc_sweep *s = NULL;
    int lrc = idc_sweep_load(&s, path, NULL, &err);
    if (mpi != NULL && idc_sweep_mpi_rank(mpi) > 0) {
        int code = mpi_worker(mpi, lrc == IDC_OK ? s : NULL, lrc == IDC_OK ? NULL : &err, (unsigned)threads);
        idc_sweep_free(s);
        return code;
    }
    int code = 2, led = 0;
    idc_store *st = NULL;
    unsigned char *skip = NULL;
    json_t *spec = NULL, *prov = NULL, *ranks = NULL;
    sweep_ctx c = {0};
    /* every rank's machine, for the run's provenance (the other ranks send
     * theirs before anything else) */
    if (mpi != NULL && idc_sweep_mpi_machines(mpi, (unsigned)threads, &ranks, &err) != IDC_OK) {
        idc_cli_error("sweep", "%s", err.msg);
        code = code_of(lrc == IDC_OK ? IDC_EIO : lrc);
        goto done;
    }
    if (lrc != IDC_OK) {
        idc_cli_error("sweep", "%s", err.msg);
        code = code_of(lrc);
        goto done;
    }
    if (cells) {
        list_cells(s, si, sn);
        code = 0;
        goto done;
    }
    skip = calloc(s->ncells ? s->ncells : 1, 1);
    spec = json_loads(s->canonical, 0, NULL);
    if (skip == NULL || spec == NULL) {
        code = 3;
        goto done;
    }
    int rc = idc_store_open(&st, db, IDC_STORE_WRITE, &err);
    c.store = st;
    c.s = s;
    for (size_t i = 0; i < s->ncells; i++) {
        skip[i] = !idc_sweep_in_shard(i, si, sn);
        c.total += !skip[i];
    }
    const char *shard_label = shard != NULL ? shard : NULL;
    char shard_norm[32];
    if (shard != NULL) {
        snprintf(shard_norm, sizeof shard_norm, "%u/%u", si, sn);
        shard_label = shard_norm;
    }
    int64_t prev = 0;
    int finished = 0;
    if (rc == IDC_OK)
        rc = existing_run(st, s, shard_label, &prev, &finished, &err);
    if (rc == IDC_OK && prev != 0 && !resume) {
        rc = idc_err_set(&err, IDC_EINVAL,
                         "%s already holds sweep %s%s%s (run %" PRId64 ", %s): %s", db, s->name,
                         shard_label ? " shard " : "", shard_label ? shard_label : "", prev,
                         finished ? "finished" : "unfinished",
                         finished ? "write to another database" : "--resume continues it");
    } else if (rc == IDC_OK && resume && prev == 0) {
        rc = idc_err_set(&err, IDC_EINVAL, "--resume: %s holds no run of sweep %s%s%s", db, s->name,
                         shard_label ? " shard " : "", shard_label ? shard_label : "");
    }
    if (rc == IDC_OK && resume && finished) {
        /* nothing left to run: report the finished run's counts */
        c.run_id = prev;
        rc = restore(&c, skip, &err);
        if (rc == IDC_OK && !quiet)
            printf("sweep %s: run %" PRId64 " in %s is complete; nothing to resume\n", s->name, prev, db);
    } else if (rc == IDC_OK && resume) {
        c.run_id = prev;
        rc = restore(&c, skip, &err);
        if (rc == IDC_OK && !quiet)
            printf("sweep %s: resuming run %" PRId64 " in %s: %zu of %zu cells recorded, not run again\n", s->name,
                   prev, db, c.done, c.total);
    } else if (rc == IDC_OK) {
        prov = idc_provenance_json();
        if (prov != NULL)
            json_object_set_new(prov, "sweep_run",
                                json_pack("{s:I,s:I,s:O?}", "threads", (json_int_t)threads, "mpi_ranks",
                                          (json_int_t)(mpi ? idc_sweep_mpi_size(mpi) : 1), "ranks", ranks));
        rc = idc_store_run_begin(st, &c.run_id, "sweep", argc, argv, prov, spec, shard_label, &err);
    }
    if (rc != IDC_OK) {
        idc_cli_error("sweep", "%s", err.msg);
        code = code_of(rc);
        goto done;
    }
    c.done_at_start = c.done;
    c.quiet = quiet;
    c.tty = isatty(STDERR_FILENO);
    c.interval = interval;
    c.t0 = c.last = now();
    if (!finished) {
        if (!quiet && !c.tty)
            progress(&c, 1);
        if (mpi != NULL) {
            led = 1;
            rc = idc_sweep_mpi_lead(mpi, s, skip, put, &c, &err);
        } else {
            idc_sweep_run_opts o = {(unsigned)threads, skip, put, &c};
            rc = idc_sweep_run(s, &o, &err);
        }
        progress(&c, 1);
    }
    if (rc == IDC_OK && !finished) {
        const char *status = c.counts[OC_ERROR] ? "error" : c.counts[OC_FAIL] ? "failed" : "ok";
        rc = idc_store_run_finish(st, c.run_id, status, &err);
    }
    if (rc != IDC_OK) {
        idc_cli_error("sweep", "%s (%zu of %zu cells recorded in run %" PRId64 "; --resume continues)", err.msg,
                      c.done, c.total, c.run_id);
        code = code_of(rc);
        goto done;
    }
    printf("sweep %s: %zu cells%s%s: %zu passed, %zu failed, %zu inconclusive, %zu discarded, %zu errors (run %" PRId64
           " in %s)\n",
           s->name, c.total, shard_label ? " of shard " : "", shard_label ? shard_label : "", c.counts[OC_PASS],
           c.counts[OC_FAIL], c.counts[OC_INCONCLUSIVE], c.counts[OC_DISCARD], c.counts[OC_ERROR], c.run_id, db);
    code = c.counts[OC_ERROR] ? 3 : c.counts[OC_FAIL] ? 1 : 0;
done:
    if (mpi != NULL && !led) { /* rank 0 could not start: tell the other ranks to stop */
        idc_err e2;
        if (idc_sweep_mpi_lead(mpi, NULL, NULL, NULL, NULL, &e2) != IDC_OK)
            idc_cli_error("sweep", "%s", e2.msg);
    }
    idc_store_close(st);
    if (mpi != NULL)
        idc_sweep_mpi_close(mpi);
    json_decref(spec);
    json_decref(prov);
    json_decref(ranks);
    free(skip);
    idc_sweep_free(s);
    return code;
}
