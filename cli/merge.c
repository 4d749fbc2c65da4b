/* idcheck merge OUT.sqlite SHARD.sqlite...: combine the shard databases of
 * one sweep (idcheck sweep --shard I/N) into one run of OUT, as if a single
 * process had run the sweep (docs/SWEEP.md "Shards"). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "numeric/rng.h"
#include "properties/sweep.h"
#include "properties/sweep_run.h"
#include "reports/store.h"

static void help(FILE *fp)
{
    fprintf(fp,
            "usage: idcheck merge OUT.sqlite SHARD.sqlite... [--quiet]\n\n"
            "Combines the databases written by `idcheck sweep SWEEP.json --shard I/N --db SHARD.sqlite`\n"
            "into one sweep run of OUT.sqlite (created when missing), holding every cell once, in the\n"
            "sweep's canonical order: the same cells, outcomes and numbers as a single-process run.\n"
            "Refused (exit 2, nothing written) when the inputs hold different sweeps or a run that is\n"
            "not a sweep, when two inputs (or OUT's unfinished run of the sweep) hold one cell with\n"
            "different results (timings aside), or when OUT already holds the sweep complete.\n"
            "Cells held twice with equal results are taken once. When every cell is present the run is\n"
            "finished; otherwise it stays unfinished and `idcheck sweep SWEEP.json --db OUT --resume`\n"
            "runs the missing cells (merging more shards later adds theirs).\n"
            "The merged run's provenance is the first input run's, with every input run's under\n"
            "\"merged_from\" (path, run, shard, times, status, provenance).\n");
}

typedef struct {
    json_t *rec;      /* the record held for the cell (owned), or NULL */
    const char *from; /* where it came from */
    int in_out;       /* already in OUT's run */
} slot;

static int same_file(const char *a, const char *b)
{
    struct stat x, y;
    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* Adds the cells of run run_id of st (named from) to slots; refuses a cell
 * the sweep lacks and one held with different results. */
static int collect(slot *slots, const idc_sweep *s, idc_store *st, int64_t run_id, const char *from, int in_out,
                   idc_err *err)
{
    json_t *rows = NULL, *args = json_pack("[I]", (json_int_t)run_id);
    int rc = args ? idc_store_query(st, &rows, "SELECT cell, record FROM trials WHERE run_id = ?1 ORDER BY trial_id",
                                    args, err)
                  : idc_err_set(err, IDC_ENOMEM, "out of memory");
    json_decref(args);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        if (rc != IDC_OK)
            break;
        const char *cell = json_string_value(json_object_get(row, "cell"));
        const char *text = json_string_value(json_object_get(row, "record"));
        size_t k = cell ? idc_sweep_find_cell(s, cell) : (size_t)-1;
        if (k == (size_t)-1) {
            rc = idc_err_set(err, IDC_EINVAL, "%s: run %" PRId64 " holds cell \"%s\", which its sweep does not have",
                             from, run_id, cell ? cell : "(null)");
            break;
        }
        json_error_t je;
        json_t *rec = text ? json_loads(text, 0, &je) : NULL;
        if (rec == NULL) {
            rc = idc_err_set(err, IDC_EINVAL, "%s: cell %s: unreadable record", from, cell);
            break;
        }
        if (slots[k].rec == NULL) {
            slots[k].rec = rec;
            slots[k].from = from;
            slots[k].in_out = in_out;
            continue;
        }
        if (in_out)
            slots[k].in_out = 1; /* already in OUT: not added again */
        if (!idc_sweep_record_equal(slots[k].rec, rec)) {
            const char *a = json_string_value(json_object_get(slots[k].rec, "outcome"));
            const char *b = json_string_value(json_object_get(rec, "outcome"));
            rc = idc_err_set(err, IDC_EINVAL, "cell %s: %s and %s hold different results (%s%s%s)", cell,
                             slots[k].from, from, a ? a : "?", " vs ", b ? b : "?");
        }
        json_decref(rec);
    }
    json_decref(rows);
    return rc;
}

int idc_cli_merge(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        help(stdout);
        return 0;
    }
    int quiet = 0, nin = 0;
    const char *out = NULL;
    const char **in = calloc((size_t)argc, sizeof *in);
    if (in == NULL)
        return 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quiet") == 0)
            quiet = 1;
        else if (argv[i][0] == '-') {
            idc_cli_error("merge", "unexpected argument \"%s\" (see idcheck merge --help)", argv[i]);
            free(in);
            return 2;
        } else if (out == NULL)
            out = argv[i];
        else
            in[nin++] = argv[i];
    }
    if (out == NULL || nin == 0) {
        help(stderr);
        free(in);
        return 2;
    }
    idc_err err;
    int rc = IDC_OK, code = 2;
    char *canon = NULL;
    const char *canon_from = NULL;
    idc_sweep *s = NULL;
    slot *slots = NULL;
    json_t *merged_from = json_array(), *prov = NULL, *spec = NULL;
    idc_store *os = NULL;
    /* 1. every input: one sweep, the same for all */
    for (int i = 0; i < nin && rc == IDC_OK; i++) {
        for (int k = 0; k < i && rc == IDC_OK; k++)
            if (same_file(in[i], in[k]))
                rc = idc_err_set(&err, IDC_EINVAL, "%s: given twice (as %s)", in[i], in[k]);
        if (rc == IDC_OK && same_file(in[i], out))
            rc = idc_err_set(&err, IDC_EINVAL, "%s: is the output too", in[i]);
        idc_store *st = NULL;
        json_t *runs = NULL;
        if (rc == IDC_OK)
            rc = idc_store_open(&st, in[i], IDC_STORE_READ, &err);
        if (rc == IDC_OK)
            rc = idc_store_query(st, &runs,
                                 "SELECT run_id, verb, sweep, shard, started, finished, status, provenance FROM runs "
                                 "ORDER BY run_id",
                                 NULL, &err);
        if (rc == IDC_OK && json_array_size(runs) == 0)
            rc = idc_err_set(&err, IDC_EINVAL, "%s: holds no run", in[i]);
        size_t r;
        json_t *run;
        json_array_foreach(runs, r, run)
        {
            if (rc != IDC_OK)
                break;
            const char *verb = json_string_value(json_object_get(run, "verb"));
            const char *sw = json_string_value(json_object_get(run, "sweep"));
            json_int_t id = json_integer_value(json_object_get(run, "run_id"));
            if (verb == NULL || strcmp(verb, "sweep") != 0 || sw == NULL) {
                rc = idc_err_set(&err, IDC_EINVAL, "%s: run %" JSON_INTEGER_FORMAT " is not a sweep run (verb %s)",
                                 in[i], id, verb ? verb : "?");
                break;
            }
            if (canon == NULL) {
                canon = strdup(sw);
                canon_from = in[i];
                if (canon == NULL)
                    rc = idc_err_set(&err, IDC_ENOMEM, "out of memory");
            } else if (strcmp(canon, sw) != 0) {
                rc = idc_err_set(&err, IDC_EINVAL,
                                 "%s: run %" JSON_INTEGER_FORMAT " holds another sweep than %s: shards of different "
                                 "sweeps are not merged",
                                 in[i], id, canon_from);
                break;
            }
            json_error_t je;
            json_t *p = json_loads(json_string_value(json_object_get(run, "provenance")) ? json_string_value(
                                       json_object_get(run, "provenance"))
                                                                                         : "null",
                                   JSON_DECODE_ANY, &je);
            if (prov == NULL && json_is_object(p))
                prov = json_deep_copy(p);
            json_array_append_new(merged_from,
                                  json_pack("{s:s,s:I,s:O,s:O,s:O,s:O,s:o?}", "path", in[i], "run_id", id, "shard",
                                            json_object_get(run, "shard"), "started", json_object_get(run, "started"),
                                            "finished", json_object_get(run, "finished"), "status",
                                            json_object_get(run, "status"), "provenance", p));
            if (s == NULL && rc == IDC_OK) {
                spec = json_loads(canon, 0, &je);
                rc = spec ? idc_sweep_parse(&s, spec, NULL, &err)
                          : idc_err_set(&err, IDC_EINVAL, "%s: run %" JSON_INTEGER_FORMAT ": unreadable sweep", in[i],
                                        id);
                if (rc != IDC_OK)
                    idc_err_prefix(&err, rc, "%s: run %" JSON_INTEGER_FORMAT ": sweep: ", in[i], id);
                if (rc == IDC_OK && (slots = calloc(s->ncells ? s->ncells : 1, sizeof *slots)) == NULL)
                    rc = idc_err_set(&err, IDC_ENOMEM, "out of memory");
            }
            if (rc == IDC_OK)
                rc = collect(slots, s, st, id, in[i], 0, &err);
        }
        json_decref(runs);
        idc_store_close(st);
    }
    /* 2. OUT: its unfinished run of the sweep continues; a finished one refuses */
    int64_t run_id = 0;
    if (rc == IDC_OK)
        rc = idc_store_open(&os, out, IDC_STORE_WRITE, &err);
    if (rc == IDC_OK) {
        json_t *rows = NULL, *args = json_pack("[s]", canon);
        rc = idc_store_query(os, &rows,
                             "SELECT run_id, finished FROM runs WHERE verb = 'sweep' AND sweep = ?1 AND shard IS NULL "
                             "ORDER BY run_id DESC LIMIT 1",
                             args, &err);
        json_t *r = json_array_get(rows, 0);
        if (rc == IDC_OK && r != NULL) {
            run_id = json_integer_value(json_object_get(r, "run_id"));
            if (!json_is_null(json_object_get(r, "finished")))
                rc = idc_err_set(&err, IDC_EINVAL, "%s already holds sweep %s complete (run %" PRId64 ")", out,
                                 s->name, run_id);
            else
                rc = collect(slots, s, os, run_id, out, 1, &err);
        }
        json_decref(rows);
        json_decref(args);
    }
    /* 3. write: nothing was written before every check passed */
    size_t added = 0, present = 0, counts[5] = {0};
    if (rc == IDC_OK && run_id == 0) {
        if (prov == NULL)
            prov = json_object();
        json_object_set(prov, "merged_from", merged_from);
        rc = idc_store_run_begin(os, &run_id, "sweep", argc, argv, prov, spec, NULL, &err);
    }
    for (size_t k = 0; rc == IDC_OK && k < s->ncells; k++) {
        if (slots[k].rec == NULL)
            continue;
        present++;
        static const char *const oc[5] = {"PASS", "FAIL", "INCONCLUSIVE", "DISCARD", "ERROR"};
        const char *o = json_string_value(json_object_get(slots[k].rec, "outcome"));
        for (int j = 0; o != NULL && j < 5; j++)
            counts[j] += strcmp(o, oc[j]) == 0;
        if (slots[k].in_out)
            continue;
        const idc_sweep_cell *c = &s->cells[k];
        idc_store_trial t = {.cell = c->key,
                             .property = c->def->id,
                             .trial_index = c->index,
                             .has_seeds = 1,
                             .seed = idc_rng_derive_seed(c->run_seed, c->index),
                             .run_seed = c->run_seed,
                             .params = c->params,
                             .seconds = -1,
                             .record = slots[k].rec};
        rc = idc_store_add_trial(os, run_id, &t, NULL, &err);
        added += rc == IDC_OK;
    }
    if (rc == IDC_OK && present == s->ncells)
        rc = idc_store_run_finish(os, run_id, counts[4] ? "error" : counts[1] ? "failed" : "ok", &err);
    if (rc != IDC_OK) {
        idc_cli_error("merge", "%s", err.msg);
        code = rc == IDC_EINVAL || rc == IDC_EIO ? 2 : 3;
    } else {
        if (!quiet) {
            printf("merge: sweep %s: %zu cells added from %d input(s) into run %" PRId64 " of %s; %zu of %zu cells "
                   "present: %zu passed, %zu failed, %zu inconclusive, %zu discarded, %zu errors\n",
                   s->name, added, nin, run_id, out, present, s->ncells, counts[0], counts[1], counts[2], counts[3],
                   counts[4]);
            if (present < s->ncells)
                printf("merge: %zu cells missing: the run stays unfinished (merge the other shards, or run "
                       "idcheck sweep SWEEP.json --db %s --resume)\n",
                       s->ncells - present, out);
        }
        code = 0;
    }
    for (size_t k = 0; slots != NULL && k < s->ncells; k++)
        json_decref(slots[k].rec);
    free(slots);
    idc_store_close(os);
    idc_sweep_free(s);
    json_decref(spec);
    json_decref(prov);
    json_decref(merged_from);
    free(canon);
    free(in);
    return code;
}
