/* idcheck repro TABLE [--rows 1,2,...] [--seeds K] [--paper] [--steps1 N] [--steps2 N] [--no-train]
 *                     [--center population|empirical] [-o OUT.json]
 * Reproduces a paper's table beside the paper's values (properties/repro.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/db.h"
#include "cli/record.h"
#include "numeric/fileio.h"
#include "properties/repro.h"
#include "reports/provenance.h"

static void help(FILE *fp)
{
    fprintf(fp,
            "usage: idcheck repro x-table1 [--rows 1,2,...] [--seeds K] [--paper] [--steps1 N] [--steps2 N]\n"
            "                              [--threads T] [--no-train] [--center population|empirical]\n"
            "                              [-o OUT.json] [--db RESULTS.sqlite]\n"
            "       idcheck repro ivae-fig2 [--seeds K] [--paper] [--steps1 N] [-o OUT.json] [--db RESULTS.sqlite]\n"
            "       idcheck repro kivva-table2 [--seeds R] [--paper] [--steps1 N] [-o OUT.json]\n"
            "                                  [--db RESULTS.sqlite]\n"
            "       idcheck repro flow-k39c [options]   (idcheck repro flow-k39c --help)\n\n"
            "Reproduces rows of Xu et al. Table 1 in the paper's setting (gen xu --paper: J = the\n"
            "distinct masks among 5n draws, L orthogonal mixing layers) beside the paper's values:\n"
            "R^2 and MCC of Stage 1, MCC of Stage 2 with and without the sparsity constraint, VaDE;\n"
            "mean over K seeds (default 5). Rows 1-17 in the paper's order (n = 5, 10, 20, 40;\n"
            "ER-0..3; L = 3, 20 mixing layers; rho = 1 var, 75%%; delta = 1, 2, 3; theta = 15, 30,\n"
            "45). Per seed, A3.4, A3.6, A3.8a and A3.8b are certified under both readings of the\n"
            "masked value c = mean + delta*std: population moments (the paper's text) and\n"
            "5000-sample empirical moments (the authors' code). --no-train certifies only (seconds\n"
            "per row); --center picks the reading trained on (default population). --paper uses the paper's\n"
            "sizes (Stage 1: 5000 steps of 6144; Stage 2: 80000 steps): hours per row on a CPU.\n"
            "The default CI scale takes minutes per row. --threads T: Stage 1 and Stage 2 on T\n"
            "CPU threads (the same numbers for every T).\n"
            "ivae-fig2: iVAE vs VAE on nonstationary sources (Khemakhem et al. Sec. 5): MCC per seed.\n"
            "kivva-table2: VaDE restarts on one 2-D data set (Kivva et al. Table 2): weak and strong\n"
            "MCC per restart (--seeds = restarts). --steps1 overrides the training steps.\n"
            "--db FILE: each trial (x-table1: a row's seed; ivae-fig2: a seed's two fits; kivva-table2:\n"
            "a restart) is recorded in the results store FILE as it finishes, one transaction each\n"
            "(docs/STORE.md \"records\"); `idcheck audit FILE` re-runs each alone and compares.\n"
            "flow-k39c: the flow estimator's benchmark on K3.9c instances (KL gap, 1 - R^2, seconds\n"
            "per trial; README \"The flow estimator's benchmark\").\n");
}

static int parse_rows(idc_xtable1_opts *o, const char *s)
{
    o->nrows = 0;
    while (*s) {
        char *end;
        unsigned long r = strtoul(s, &end, 10);
        if (end == s || r < 1 || r > IDC_XTABLE1_ROWS || o->nrows >= IDC_XTABLE1_ROWS)
            return 0;
        o->rows[o->nrows++] = (unsigned)r;
        s = *end == ',' ? end + 1 : end;
        if (*end != ',' && *end != '\0')
            return 0;
    }
    return o->nrows > 0;
}

static const char *const TABLES[3] = {"x-table1", "ivae-fig2", "kivva-table2"};

/* What re-running one trial needs: the table, its options, and the row
 * and seed (kivva-table2: the restart). */
static json_t *trial_config(int which, const idc_xtable1_opts *o, unsigned row, unsigned seed)
{
    json_t *c = json_pack("{s:s,s:b,s:I,s:I,s:I,s:b,s:I,s:I}", "table", TABLES[which], "paper_scale", o->paper_scale,
                          "steps1", (json_int_t)o->steps1, "steps2", (json_int_t)o->steps2, "threads",
                          (json_int_t)o->threads, "certify_only", o->certify_only, "center", (json_int_t)o->center,
                          "seed", (json_int_t)seed);
    if (c != NULL && which == 0)
        json_object_set_new(c, "row", json_integer(row));
    return c;
}

/* --db: one record per finished trial. */
typedef struct {
    idc_cli_db *db;
    int which;
    const idc_xtable1_opts *o;
    json_t *captured; /* re-deriving: the trial */
} repro_sink;

static int on_trial(void *ctx, const json_t *trial, double seconds, idc_err *err)
{
    repro_sink *k = ctx;
    json_int_t seed = json_integer_value(json_object_get(trial, k->which == 2 ? "restart" : "seed"));
    json_int_t row = json_integer_value(json_object_get(trial, "row"));
    if (k->db == NULL) {
        return idc_cli_capture_trial(&k->captured, trial, err);
    }
    char cell[96];
    if (k->which == 0)
        snprintf(cell, sizeof cell, "x-table1 row %d seed %d", (int)row, (int)seed);
    else
        snprintf(cell, sizeof cell, "%s %s %d", TABLES[k->which], k->which == 2 ? "restart" : "seed", (int)seed);
    json_t *conf = trial_config(k->which, k->o, (unsigned)row, (unsigned)seed);
    int rc = conf != NULL ? idc_cli_db_repro(k->db, cell, conf, trial, seconds, err)
                          : idc_err_set(err, IDC_ENOMEM, "out of memory");
    json_decref(conf);
    return rc;
}

int idc_cli_repro_rederive(json_t **record, const json_t *config, idc_err *err)
{
    *record = NULL;
    const char *table = json_string_value(json_object_get(config, "table"));
    if (table != NULL && strcmp(table, "flow-k39c") == 0)
        return idc_cli_repro_flow_rederive(record, config, err);
    int which = -1;
    for (int k = 0; table != NULL && k < 3; k++)
        if (strcmp(table, TABLES[k]) == 0)
            which = k;
    const json_t *seed = json_object_get(config, "seed"), *row = json_object_get(config, "row");
    static const char *const ints[] = {"steps1", "steps2", "threads", "center"};
    int ok = which >= 0 && json_is_integer(seed) && json_integer_value(seed) >= 0 &&
             json_integer_value(seed) < 1000000 &&
             (which != 0 || (json_is_integer(row) && json_integer_value(row) >= 1 &&
                             json_integer_value(row) <= IDC_XTABLE1_ROWS));
    for (int k = 0; k < 4 && ok; k++) {
        const json_t *v = json_object_get(config, ints[k]);
        ok = json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 100000000;
    }
    if (!ok)
        return idc_err_set(err, IDC_EINVAL, "repro record: config: expected table (x-table1, ivae-fig2, "
                                            "kivva-table2), seed, row (x-table1), steps1, steps2, threads, center");
    idc_xtable1_opts o = {.seeds = 1};
    o.paper_scale = json_is_true(json_object_get(config, "paper_scale"));
    o.certify_only = json_is_true(json_object_get(config, "certify_only"));
    o.steps1 = (size_t)json_integer_value(json_object_get(config, "steps1"));
    o.steps2 = (size_t)json_integer_value(json_object_get(config, "steps2"));
    o.threads = (unsigned)json_integer_value(json_object_get(config, "threads"));
    o.center = (int)json_integer_value(json_object_get(config, "center"));
    o.first_seed = (unsigned)json_integer_value(seed);
    repro_sink k = {.which = which, .o = &o};
    json_t *res = NULL;
    int rc;
    if (which == 0) {
        o.nrows = 1;
        o.rows[0] = (unsigned)json_integer_value(row);
        o.on_trial = on_trial;
        o.on_trial_ctx = &k;
        rc = idc_repro_xtable1(&res, &o, NULL, err);
    } else {
        idc_repro_opts ro = {.seeds = 1, .paper_scale = o.paper_scale, .steps = o.steps1, .first = o.first_seed,
                             .on_trial = on_trial, .on_trial_ctx = &k};
        rc = which == 1 ? idc_repro_ivae_fig2(&res, &ro, NULL, err) : idc_repro_kivva_table2(&res, &ro, NULL, err);
    }
    json_decref(res);
    return idc_cli_captured(record, k.captured, rc, "repro record", err);
}

int idc_cli_repro(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        help(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "flow-k39c") == 0) { /* cli/repro_flow.c */
        return idc_cli_repro_flow(argc - 1, argv + 1);
    }
    int which = strcmp(argv[1], "x-table1") == 0 ? 0 : strcmp(argv[1], "ivae-fig2") == 0 ? 1
                                                   : strcmp(argv[1], "kivva-table2") == 0 ? 2 : -1;
    if (which < 0) {
        idc_cli_error("repro", "unknown table \"%s\" (available: x-table1, ivae-fig2, kivva-table2, flow-k39c)", argv[1]);
        return 2;
    }
    idc_xtable1_opts o = {.seeds = 5};
    const char *outpath = NULL, *dbpath = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc, ok = 1;
        size_t z = 0;
        if (strcmp(a, "--rows") == 0 && more) {
            if (!parse_rows(&o, argv[++i])) {
                idc_cli_error("repro", "--rows: expected row numbers 1..%d separated by commas", IDC_XTABLE1_ROWS);
                return 2;
            }
        } else if (strcmp(a, "--seeds") == 0 && more) {
            ok = idc_cli_parse_size(a, argv[++i], &z);
            if (ok && (z == 0 || z > 1000)) {
                idc_cli_error("repro", "--seeds: expected 1..1000");
                return 2;
            }
            o.seeds = (unsigned)z;
        } else if (strcmp(a, "--paper") == 0) {
            o.paper_scale = 1;
        } else if (strcmp(a, "--no-train") == 0 && which == 0) {
            o.certify_only = 1;
        } else if (strcmp(a, "--center") == 0 && more && which == 0) {
            const char *c = argv[++i];
            o.center = strcmp(c, "population") == 0 ? 0 : strcmp(c, "empirical") == 0 ? 1 : -1;
            if (o.center < 0) {
                idc_cli_error("repro", "--center: expected population or empirical, got \"%s\"", c);
                return 2;
            }
        } else if (strcmp(a, "--steps1") == 0 && more) {
            ok = idc_cli_parse_size(a, argv[++i], &o.steps1);
        } else if (strcmp(a, "--steps2") == 0 && more) {
            ok = idc_cli_parse_size(a, argv[++i], &o.steps2);
        } else if (strcmp(a, "--threads") == 0 && more && which == 0) {
            ok = idc_cli_parse_size(a, argv[++i], &z);
            if (ok && (z == 0 || z > 64)) {
                idc_cli_error("repro", "--threads: expected 1..64");
                return 2;
            }
            o.threads = (unsigned)z;
        } else if (strcmp(a, "-o") == 0 && more) {
            outpath = argv[++i];
        } else if (strcmp(a, "--db") == 0 && more) {
            dbpath = argv[++i];
        } else {
            idc_cli_error("repro", "unexpected argument \"%s\" (see idcheck repro --help)", a);
            return 2;
        }
        if (!ok)
            return 2;
    }
    idc_cli_db db = {0};
    if (dbpath != NULL) {
        int code = idc_cli_db_begin(&db, dbpath, "repro", argc, argv, 0);
        if (code != 0)
            return code;
    }
    repro_sink sink = {.db = &db, .which = which, .o = &o};
    if (dbpath != NULL) {
        o.on_trial = on_trial;
        o.on_trial_ctx = &sink;
    }
    json_t *res = NULL;
    idc_err err;
    idc_repro_opts ro = {o.seeds, o.paper_scale, o.steps1, 0, o.on_trial, o.on_trial_ctx};
    int rc = which == 0 ? idc_repro_xtable1(&res, &o, stdout, &err)
             : which == 1 ? idc_repro_ivae_fig2(&res, &ro, stdout, &err)
                          : idc_repro_kivva_table2(&res, &ro, stdout, &err);
    if (rc == IDC_OK) {
        printf("\n");
        if (which == 0) {
            idc_repro_xtable1_print(stdout, res);
        } else {
            char *s = json_dumps(json_object_get(res, "summary"), JSON_INDENT(1) | JSON_REAL_PRECISION(4));
            char *p = json_dumps(json_object_get(res, "paper"), JSON_INDENT(1));
            printf("%s (%s scale), ours: %s\npaper: %s\n", argv[1], o.paper_scale ? "paper" : "ci", s ? s : "?",
                   p ? p : "?");
            free(s);
            free(p);
        }
        json_object_set_new(res, "provenance", idc_provenance_json());
        if (outpath != NULL) {
            char *s = json_dumps(res, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
            rc = s ? idc_write_file_atomic(outpath, s, strlen(s), &err) : idc_err_set(&err, IDC_ENOMEM, "out of memory");
            free(s);
        }
    }
    json_decref(res);
    if (rc != IDC_OK) {
        idc_cli_error("repro", "%s", err.msg);
        idc_cli_db_abandon(&db);
        return idc_status_exit_code(rc);
    }
    return idc_cli_db_end(&db, "ok");
}
