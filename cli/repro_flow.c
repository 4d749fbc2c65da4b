/* idcheck repro flow-k39c [...]: the flow estimator's benchmark
 * (properties/repro_flow.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/db.h"
#include "cli/record.h"
#include "models/engine/backend_select.h"
#include "numeric/fileio.h"
#include "properties/repro_flow.h"
#include "reports/provenance.h"

static void help(FILE *fp)
{
    fprintf(fp, "usage: idcheck repro flow-k39c [--trials K] [--first I] [--seed S] [--init perturbed-truth|random]\n"
                "                        [--eps E] [--seconds T] [--steps N] [-n N] [--eval N] [--batch B]\n"
                "                        [--lr R] [--restarts R] [--prior-em P] [--slope-anneal F] [--depth D]\n"
                "                        [--prior-em-every K] [--bw1 B] [--cold-layers kinks|random]\n                        [--jobs J] [-o OUT.json]\n                        [--db RESULTS.sqlite]\n\n"
                "The flow estimator on K3.9c instances (m = 2..5, J = 2..4, 2-3 square leaky layers,\n"
                "cond in [1.5, 4]; trial i: m = 2 + i mod 4, J = 2 + (i/4) mod 3, layers = 2 + (i/12) mod 2),\n"
                "N = 20000 training rows, a budget of T seconds per trial (default 60), the KL gap and\n"
                "the metrics on 20000 fresh rows. One row per trial and the fractions reaching KL gap\n"
                "<= 0.002 / 0.01 / 0.05 / 0.1 nats. Defaults: 40 trials, warm start (perturbed-truth,\n"
                "eps 0.1), full batch, lr 0.01, 1 restart, 1 job. A timed experiment: results depend\n"
                "on the machine's speed through the budget.\n"
                "--device cpu|cuda|auto (default cpu): where each fit's row sums run (idcheck fit\n"
                "--estimator flow --help); cuda without a device is an error, auto falls back to cpu\n"
                "with a note. The cuda path is written and compiled, never yet run on a GPU.\n");
}

/* A trial's re-derivable configuration: the options that shape it and its index. */
static json_t *trial_config(const idc_repro_flow_opts *o, json_int_t trial)
{
    return json_pack("{s:s,s:I,s:I,s:s,s:f,s:I,s:I,s:I,s:I,s:f,s:I,s:I,s:I,s:f,s:I,s:f,s:b,s:s}", "table", "flow-k39c",
                     "trial", trial, "seed", (json_int_t)o->seed, "init",
                     o->init == IDC_FLOW_INIT_PERTURBED ? "perturbed-truth" : "random", "eps", o->eps, "steps",
                     (json_int_t)o->steps, "n_train", (json_int_t)o->n_train, "n_eval", (json_int_t)o->n_eval, "batch",
                     (json_int_t)o->batch, "lr", o->lr, "restarts", (json_int_t)o->restarts, "prior_em",
                     (json_int_t)o->prior_em, "prior_em_every", (json_int_t)o->prior_em_every, "slope_anneal",
                     o->slope_anneal, "depth", (json_int_t)o->depth, "bw1", o->bw1, "cold_kinks", o->cold_kinks,
                     "device", o->device == IDC_DEVICE_CUDA ? "cuda" : "cpu");
}

typedef struct {
    idc_cli_db *db;
    const idc_repro_flow_opts *o;
    json_t *captured; /* re-deriving: the trial */
} flow_sink;

static int on_trial(void *ctx, const json_t *trial, double seconds, idc_err *err)
{
    flow_sink *k = ctx;
    if (k->db == NULL) {
        return idc_cli_capture_trial(&k->captured, trial, err);
    }
    json_int_t i = json_integer_value(json_object_get(trial, "trial"));
    char cell[64];
    snprintf(cell, sizeof cell, "flow-k39c trial %d", (int)i);
    json_t *conf = trial_config(k->o, i);
    int rc = conf != NULL ? idc_cli_db_repro(k->db, cell, conf, trial, seconds, err)
                          : idc_err_set(err, IDC_ENOMEM, "out of memory");
    json_decref(conf);
    return rc;
}

int idc_cli_repro_flow_rederive(json_t **record, const json_t *config, idc_err *err)
{
    *record = NULL;
    idc_repro_flow_opts o;
    idc_repro_flow_defaults(&o);
    const char *init = json_string_value(json_object_get(config, "init"));
    const char *dev = json_string_value(json_object_get(config, "device"));
    static const char *const sizes[] = {"trial", "seed", "steps", "n_train", "n_eval", "batch", "restarts",
                                        "prior_em", "prior_em_every", "depth"};
    static const char *const reals[] = {"eps", "lr", "slope_anneal", "bw1"};
    int ok = init != NULL && (strcmp(init, "random") == 0 || strcmp(init, "perturbed-truth") == 0) && dev != NULL &&
             json_is_boolean(json_object_get(config, "cold_kinks"));
    json_int_t iv[10];
    for (size_t k = 0; k < 10 && ok; k++) {
        const json_t *v = json_object_get(config, sizes[k]);
        ok = json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 100000000;
        iv[k] = ok ? json_integer_value(v) : 0;
    }
    double rv[4];
    for (size_t k = 0; k < 4 && ok; k++) {
        const json_t *v = json_object_get(config, reals[k]);
        ok = json_is_number(v) && isfinite(json_number_value(v));
        rv[k] = ok ? json_number_value(v) : 0;
    }
    if (!ok)
        return idc_err_set(err, IDC_EINVAL, "flow-k39c record: config: expected trial, seed, init, eps, steps, "
                                            "n_train, n_eval, batch, lr, restarts, prior_em, prior_em_every, "
                                            "slope_anneal, depth, bw1, cold_kinks, device");
    o.first = (uint32_t)iv[0];
    o.trials = 1;
    o.seed = (uint64_t)iv[1];
    o.steps = (size_t)iv[2];
    o.n_train = (size_t)iv[3];
    o.n_eval = (size_t)iv[4];
    o.batch = (size_t)iv[5];
    o.restarts = (size_t)iv[6];
    o.prior_em = (size_t)iv[7];
    o.prior_em_every = (size_t)iv[8];
    o.depth = (size_t)iv[9];
    o.eps = rv[0];
    o.lr = rv[1];
    o.slope_anneal = rv[2];
    o.bw1 = rv[3];
    o.init = strcmp(init, "random") == 0 ? IDC_FLOW_INIT_RANDOM : IDC_FLOW_INIT_PERTURBED;
    o.cold_kinks = json_is_true(json_object_get(config, "cold_kinks"));
    o.seconds = 0; /* recorded runs are step-budgeted */
    o.jobs = 1; /* and o.device stays the CPU: a device run is re-derived there, within the tolerance */
    flow_sink k = {.db = NULL, .o = &o};
    o.on_trial = on_trial;
    o.on_trial_ctx = &k;
    json_t *res = NULL;
    int rc = idc_repro_flow(&res, &o, NULL, err);
    json_decref(res);
    return idc_cli_captured(record, k.captured, rc, "flow-k39c record", err);
}

int idc_cli_repro_flow(int argc, char **argv)
{
    idc_repro_flow_opts o;
    idc_repro_flow_defaults(&o);
    const char *outpath = NULL, *dbpath = NULL, *device = "cpu";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc, ok = 1;
        size_t z;
        uint64_t u;
        int parsed = 1;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            help(stdout);
            return 0;
        } else if (strcmp(a, "--trials") == 0 && more) {
            ok = (parsed = idc_cli_parse_size(a, argv[++i], &o.trials));
        } else if (strcmp(a, "--first") == 0 && more) {
            ok = (parsed = idc_cli_parse_u64(a, argv[++i], &u)) && u <= UINT32_MAX;
            o.first = (uint32_t)u;
        } else if (strcmp(a, "--seed") == 0 && more) {
            ok = (parsed = idc_cli_parse_u64(a, argv[++i], &o.seed));
        } else if (strcmp(a, "--init") == 0 && more) {
            const char *v = argv[++i];
            if (strcmp(v, "random") != 0 && strcmp(v, "perturbed-truth") != 0) {
                idc_cli_error("repro", "--init: expected random or perturbed-truth, got \"%s\"", v);
                return 2;
            }
            o.init = strcmp(v, "random") == 0 ? IDC_FLOW_INIT_RANDOM : IDC_FLOW_INIT_PERTURBED;
        } else if (strcmp(a, "--eps") == 0 && more) {
            ok = (parsed = idc_cli_parse_double(a, argv[++i], &o.eps));
        } else if (strcmp(a, "--seconds") == 0 && more) {
            ok = (parsed = idc_cli_parse_double(a, argv[++i], &o.seconds));
        } else if (strcmp(a, "--steps") == 0 && more) {
            ok = (parsed = idc_cli_parse_size(a, argv[++i], &o.steps));
        } else if (strcmp(a, "-n") == 0 && more) {
            ok = (parsed = idc_cli_parse_size(a, argv[++i], &o.n_train));
        } else if (strcmp(a, "--eval") == 0 && more) {
            ok = (parsed = idc_cli_parse_size(a, argv[++i], &o.n_eval));
        } else if (strcmp(a, "--batch") == 0 && more) {
            ok = (parsed = idc_cli_parse_size(a, argv[++i], &o.batch));
        } else if (strcmp(a, "--lr") == 0 && more) {
            ok = (parsed = idc_cli_parse_double(a, argv[++i], &o.lr));
        } else if (strcmp(a, "--restarts") == 0 && more) {
            ok = (parsed = idc_cli_parse_size(a, argv[++i], &o.restarts));
        } else if (strcmp(a, "--prior-em") == 0 && more) {
            ok = (parsed = idc_cli_parse_size(a, argv[++i], &o.prior_em)) && o.prior_em <= 100000;
        } else if (strcmp(a, "--prior-em-every") == 0 && more) {
            ok = (parsed = idc_cli_parse_size(a, argv[++i], &o.prior_em_every)) && o.prior_em_every <= 100000;
        } else if (strcmp(a, "--slope-anneal") == 0 && more) {
            ok = (parsed = idc_cli_parse_double(a, argv[++i], &o.slope_anneal));
        } else if (strcmp(a, "--cold-layers") == 0 && more) {
            const char *v = argv[++i];
            ok = strcmp(v, "kinks") == 0 || strcmp(v, "random") == 0;
            o.cold_kinks = strcmp(v, "kinks") == 0;
        } else if (strcmp(a, "--bw1") == 0 && more) {
            ok = (parsed = idc_cli_parse_double(a, argv[++i], &o.bw1)) && o.bw1 > 0 && o.bw1 <= 1;
        } else if (strcmp(a, "--depth") == 0 && more) {
            ok = (parsed = idc_cli_parse_size(a, argv[++i], &o.depth)) && o.depth <= IDC_FLOW_MAX_DEPTH;
        } else if (strcmp(a, "--jobs") == 0 && more) {
            ok = (parsed = idc_cli_parse_size(a, argv[++i], &z)) && z >= 1 && z <= 64;
            o.jobs = (unsigned)z;
        } else if (strcmp(a, "-o") == 0 && more) {
            outpath = argv[++i];
        } else if (strcmp(a, "--db") == 0 && more) {
            dbpath = argv[++i];
        } else if (strcmp(a, "--device") == 0 && more) {
            device = argv[++i];
        } else {
            idc_cli_error("repro", "unexpected argument \"%s\" (see idcheck repro flow-k39c --help)", a);
            return 2;
        }
        if (!ok) { /* a helper that could not parse the value has said so */
            if (parsed)
                idc_cli_error("repro", "%s: \"%s\" is not accepted (see idcheck repro flow-k39c --help)", a, argv[i]);
            return 2;
        }
    }
    json_t *out = NULL;
    idc_err err;
    char note[IDC_ERR_LEN] = "";
    idc_device want;
    if (idc_device_parse(&want, device, &err) != IDC_OK ||
        idc_device_resolve(&o.device, want, note, sizeof note, &err) != IDC_OK) {
        idc_cli_error("repro", "%s", err.msg);
        return 2;
    }
    if (note[0] != '\0')
        fprintf(stderr, "idcheck repro: %s\n", note);
    if (dbpath != NULL && o.seconds > 0) {
        idc_cli_error("repro", "--db: needs --seconds 0 (a step budget): a timed trial depends on the machine's "
                               "speed and cannot be re-derived by idcheck audit");
        return 2;
    }
    idc_cli_db db = {0};
    if (dbpath != NULL) {
        int code = idc_cli_db_begin(&db, dbpath, "repro", argc, argv, 0);
        if (code != 0)
            return code;
    }
    flow_sink sink = {.db = &db, .o = &o};
    if (dbpath != NULL) {
        o.on_trial = on_trial;
        o.on_trial_ctx = &sink;
    }
    int rc = idc_repro_flow(&out, &o, stdout, &err);
    if (rc == IDC_OK && outpath != NULL) {
        json_object_set_new(out, "provenance", idc_provenance_json());
        char *s = json_dumps(out, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
        rc = s ? idc_write_file_atomic(outpath, s, strlen(s), &err) : idc_err_set(&err, IDC_ENOMEM, "out of memory");
        free(s);
    }
    json_decref(out);
    if (rc != IDC_OK) {
        idc_cli_error("repro", "%s", err.msg);
        idc_cli_db_abandon(&db);
        return rc == IDC_EINVAL || rc == IDC_EIO ? 2 : 3;
    }
    return idc_cli_db_end(&db, "ok");
}
