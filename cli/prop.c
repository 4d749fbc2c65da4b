/* idcheck prop: run a theorem property over random trials, replaying the
 * property's regression seeds first and shrinking failures. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/db.h"
#include "numeric/fileio.h"
#include "properties/journal.h"
#include "properties/prop.h"
#include "properties/regress.h"
#include "properties/shrink.h"
#include "reports/junit.h"
#include "reports/provenance.h"

#define DEFAULT_SHRINK_STEPS 24
#define DEFAULT_SHRINK_FAILURES 3

static void help(FILE *fp)
{
    fprintf(fp,
            "usage: idcheck prop --list\n"
            "       idcheck prop ID [--trials K] [--seed S] [--jobs N] [--KEY VALUE | --param KEY=VALUE]...\n"
            "                       [--replay SEED:TRIAL] [-o RESULTS.json] [--quiet]\n"
            "                       [--shrink | --no-shrink] [--shrink-steps N] [--shrink-failures N]\n"
            "                       [--shrink-params A,B,...]\n"
            "                       [--shrink-dir DIR] [--regressions DIR | --no-regressions]\n"            "                       [--ladder KEY=V1,V2,... [--alpha A]]\n"
            "                       [--prune-regressions] [--junit FILE.xml] [--tap FILE.tap]\n"
            "                       [--resume | --fresh | --no-journal] [--db RESULTS.sqlite]\n\n"
            "Runs trials 0..K-1 (default K = 5, S = 1) of property ID. Trial k is a pure function of\n"
            "(S, k) and of the parameters, whatever --jobs is. Prints one line per trial, an\n"
            "IDC-FAIL line and a replay command per failing trial, and the summary line\n"
            "  N passed, N failed, N inconclusive, N discarded[; regressions: N replayed, N failed, N passed,\n"
            "  N inconclusive, N discarded]\n"
            "Regressions: failing trials are appended to DIR/ID.txt (default DIR .idcheck/regressions)\n"
            "  and replayed first by later runs, with the parameters they failed with; an entry that\n"
            "  passes again is kept (reported as passing) unless --prune-regressions drops it.\n"
            "  --replay neither replays nor records regressions.\n"
            "Shrinking (on by default, off with --replay unless --shrink is given): each failing trial is\n"
            "  re-run with simpler parameters (see prop --list), same trial seed, at most N candidate\n"
            "  trials (--shrink-steps, default %d) for each of the first %d failing trials\n"
            "  (--shrink-failures, 0 = all); an IDC-SHRUNK line gives the minimal failing\n"
            "  parameters and a replay command for them. With --shrink-dir DIR or -o OUT.json the\n"
            "  failing and the minimal instance are saved as DIR/ID.trial-K{,.min}.json or\n"
            "  OUT.trial-K{,.min}.json (regression R: ...regression-R.trial-K...).\n"
            "--ladder KEY=V1,V2,...: the same trials at each value of KEY (e.g. n_train=1000,4000,16000),\n"
            "  a table of (KL gap, 1 - R^2) per trial and rung, and a one-sided paired Wilcoxon\n"
            "  signed-rank test at level A (default 0.05) that 1 - R^2 falls from the first value to\n"
            "  the last (exit 1 when not shown; K3.9 properties with the flow).\n"
            "--junit / --tap: JUnit XML / TAP 13 report, one test case per trial (discarded and inconclusive = skipped).\n"
            "Journal: each finished trial is appended to OUT.json.journal (without -o:\n"
            "  .idcheck/runs/ID-HASH.jsonl) as it finishes, and a failing one to the regressions file.\n"
            "  Run the same command again (or with --resume, which requires a journal) after a crash or\n"
            "  a kill: the recorded trials are not run again and their records are re-used; a journal\n"
            "  of another command at that path is refused (exit 2) unless --fresh discards it. The\n"
            "  journal is removed once results, reports and regressions are written. --no-journal:\n"
            "  none. Not with --replay or --ladder.\n"
            "--db FILE: the run and each trial as it finishes (one transaction per trial: record,\n"
            "  instance, verdicts with certificates, estimator conditions, metrics) in the results store\n"
            "  FILE (SQLite, docs/STORE.md; created when missing); a resumed run continues its run there.\n"
            "  A file that is not an idcheck results store, newer, corrupted or read-only: exit 2.\n"
            "  `idcheck audit FILE` re-runs the trials and compares. Not with --ladder.\n"
            "Exit: 0 no trial failed, 1 some trial or regression failed, 2 bad usage, 3 internal error.\n",
            DEFAULT_SHRINK_STEPS, DEFAULT_SHRINK_FAILURES);
}

static void list(void)
{
    for (size_t i = 0; i < idc_prop_count(); i++) {
        const idc_prop_def *d = idc_prop_get(i);
        printf("%s: %s\n  parameters (name default description):\n%s", d->id, d->summary, d->params_help);
    }
}

/* What the runner's on_trial hook needs: the journal and the regression
 * seeds file, which gets each failing trial of the run as it finishes. */
typedef struct {
    idc_prop_journal *journal; /* NULL: no journal */
    const char *regpath;       /* "": regression seeds not recorded */
    const char *id;
    const json_t *params; /* the run's params_json */
    uint64_t seed;
    size_t added;  /* entries appended to regpath */
    idc_cli_db *db; /* --db: the results store, or NULL */
    int reg_failed; /* a write of regpath failed: left to the final update, which reports it */
} trial_hook;

static int on_trial(void *ctx, const json_t *rec, const char *line, idc_err *err)
{
    trial_hook *h = ctx;
    const char *oc = json_string_value(json_object_get(rec, "outcome"));
    if (h->regpath[0] && !h->reg_failed && oc != NULL && strcmp(oc, "FAIL") == 0 &&
        json_object_get(rec, "regression") == NULL) {
        idc_prop_regressions cur;
        idc_prop_regressions_init(&cur);
        idc_err e;
        const char *why = json_string_value(json_object_get(rec, "why"));
        int rc = idc_prop_regressions_read(&cur, h->regpath, &e);
        int a = rc != IDC_OK ? 0
                             : idc_prop_regressions_add(&cur, h->seed,
                                                        (uint32_t)json_integer_value(json_object_get(rec, "trial")),
                                                        h->params, why ? why : "FAIL");
        if (rc == IDC_OK && a > 0)
            rc = idc_prop_regressions_write(&cur, h->id, h->regpath, &e);
        h->reg_failed = rc != IDC_OK || a < 0;
        if (!h->reg_failed)
            h->added += (size_t)a;
        idc_prop_regressions_clear(&cur);
    }
    int rc = h->journal != NULL ? idc_prop_journal_append(h->journal, rec, line, err) : IDC_OK;
    /* the store after the journal: a trial journaled but not stored yet is
     * stored when the run resumes */
    if (rc == IDC_OK && h->db != NULL)
        rc = idc_cli_db_prop_trial(h->db, h->id, rec, h->params, h->seed, err);
    return rc;
}

static int write_json(const char *path, json_t *obj, idc_err *err)
{
    char *s = json_dumps(obj, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    int rc = s ? idc_write_file_atomic(path, s, strlen(s), err) : idc_err_set(err, IDC_ENOMEM, "out of memory");
    free(s);
    return rc;
}

/* "k=v k=v" of an object of parameter values. */
static void kv_line(char *buf, size_t cap, const json_t *obj)
{
    const char *key;
    json_t *v;
    size_t len = 0;
    buf[0] = '\0';
    json_object_foreach((json_t *)obj, key, v)
    {
        char val[64];
        if (!idc_prop_value_string(val, sizeof val, v))
            continue;
        int n = snprintf(buf + len, cap - len, "%s%s=%s", len ? " " : "", key, val);
        if (n < 0 || (size_t)n >= cap - len)
            break;
        len += (size_t)n;
    }
}

/* Saves the failing and the minimal instance of every shrunk record and
 * prints one IDC-SHRUNK line (+ the minimal replay command) per record. */
static int report_shrinks(const idc_prop_def *def, json_t *results, const char *outpath, const char *shrink_dir,
                          int shrinking, FILE *fp, idc_err *err)
{
    char prefix[1024] = "";
    if (shrink_dir != NULL) {
        snprintf(prefix, sizeof prefix, "%s/%s", shrink_dir, def->id);
    } else if (outpath != NULL) {
        size_t n = strlen(outpath);
        snprintf(prefix, sizeof prefix, "%.*s", (int)(n > 5 && strcmp(outpath + n - 5, ".json") == 0 ? n - 5 : n),
                 outpath);
    }
    static const char *const arrays[] = {"regressions", "trials"};
    size_t unshrunk = 0;
    for (int a = 0; a < 2; a++) {
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(results, arrays[a]), i, t)
        {
            json_t *sh = json_object_get(t, "shrink");
            const char *oc = json_string_value(json_object_get(t, "outcome"));
            if (sh == NULL && oc != NULL && strcmp(oc, "FAIL") == 0)
                unshrunk++;
            if (sh == NULL)
                continue;
            json_int_t trial = json_integer_value(json_object_get(t, "trial"));
            json_t *reg = json_object_get(t, "regression");
            char who[64], stem[1100] = "";
            if (reg != NULL)
                snprintf(who, sizeof who, "regression=%" JSON_INTEGER_FORMAT " trial=%" JSON_INTEGER_FORMAT,
                         json_integer_value(reg), trial);
            else
                snprintf(who, sizeof who, "trial=%" JSON_INTEGER_FORMAT, trial);
            json_int_t steps = json_integer_value(json_object_get(sh, "steps"));
            const char *cap_note = json_is_true(json_object_get(sh, "exhausted")) ? " (step cap reached)" : "";
            json_t *changed = json_object_get(sh, "changed");
            if (json_object_size(changed) == 0) {
                if (fp)
                    fprintf(fp, "IDC-SHRUNK prop=%s %s steps=%" JSON_INTEGER_FORMAT "%s: no smaller failing instance\n",
                            def->id, who, steps, cap_note);
                continue;
            }
            char mins[600], was[600];
            kv_line(mins, sizeof mins, changed);
            json_t *orig = json_object();
            const char *key;
            json_t *v;
            json_t *params = reg != NULL ? json_object_get(t, "params") : json_object_get(results, "params");
            json_object_foreach(changed, key, v)
            {
                json_object_set(orig, key, json_object_get(params, key));
            }
            kv_line(was, sizeof was, orig);
            json_decref(orig);
            char files[2500] = "";
            if (prefix[0]) {
                if (reg != NULL)
                    snprintf(stem, sizeof stem, "%s.regression-%" JSON_INTEGER_FORMAT ".trial-%" JSON_INTEGER_FORMAT,
                             prefix, json_integer_value(reg), trial);
                else
                    snprintf(stem, sizeof stem, "%s.trial-%" JSON_INTEGER_FORMAT, prefix, trial);
                char p1[1200], p2[1200];
                snprintf(p1, sizeof p1, "%s.json", stem);
                snprintf(p2, sizeof p2, "%s.min.json", stem);
                json_t *o = json_deep_copy(t);
                json_object_del(o, "shrink");
                json_object_set(o, "property", json_object_get(results, "property"));
                if (reg == NULL) {
                    json_object_set(o, "run_seed", json_object_get(results, "run_seed"));
                    json_object_set(o, "params", params);
                }
                json_t *m = json_pack("{s:O,s:O,s:I,s:O,s:s,s:O?,s:O,s:O,s:O,s:O,s:O,s:O?,s:O}", "property",
                                      json_object_get(results, "property"), "run_seed",
                                      json_object_get(o, "run_seed"), "trial", trial, "seed",
                                      json_object_get(t, "seed"), "outcome", "FAIL", "why", json_object_get(sh, "why"),
                                      "params", json_object_get(sh, "params"), "shrunk_from", params, "changed",
                                      changed, "replay", json_object_get(sh, "replay"), "steps",
                                      json_object_get(sh, "steps"), "record", json_object_get(sh, "record"), "log",
                                      json_object_get(sh, "log"));
                int rc = (o && m) ? write_json(p1, o, err) : idc_err_set(err, IDC_ENOMEM, "out of memory");
                if (rc == IDC_OK)
                    rc = write_json(p2, m, err);
                json_decref(o);
                json_decref(m);
                if (rc != IDC_OK)
                    return rc;
                snprintf(files, sizeof files, " files: %s %s", p1, p2);
            }
            if (fp) {
                fprintf(fp, "IDC-SHRUNK prop=%s %s steps=%" JSON_INTEGER_FORMAT "%s minimal: %s (was %s)%s\n", def->id,
                        who, steps, cap_note, mins, was, files);
                fprintf(fp, "  replay minimal: %s\n", json_string_value(json_object_get(sh, "replay")));
            }
        }
    }
    if (fp != NULL && unshrunk > 0 && shrinking)
        fprintf(fp, "%s: %zu more failing trial(s) not shrunk (--shrink-failures; 0 shrinks all)\n", def->id,
                unshrunk);
    return IDC_OK;
}

int idc_cli_prop(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        help(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "--list") == 0) {
        list();
        return 0;
    }
    if (argc < 2 || argv[1][0] == '-') {
        help(stderr);
        return 2;
    }
    const idc_prop_def *def = idc_prop_find(argv[1]);
    if (def == NULL) {
        idc_cli_error("prop", "unknown property \"%s\" (prop --list shows them)", argv[1]);
        return 2;
    }
    void *params = calloc(1, def->params_size);
    if (params == NULL)
        return 3;
    def->defaults(params);
    idc_prop_run_opts o = {.seed = 1, .first = 0, .trials = 5, .jobs = 1, .progress = stdout};
    const char *outpath = NULL, *junit = NULL, *tap = NULL, *shrink_dir = NULL, *regdir = NULL, *ladder = NULL;
    const char *dbpath = NULL;
    idc_cli_db db = {NULL, 0, "prop", 0};
    double alpha = 0.05;
    int quiet = 0, code = 2, shrink = -1, use_regs = 1, prune = 0, replay = 0, journal_done = 0;
    int jmode = IDC_JOURNAL_AUTO, use_journal = 1;
    idc_prop_journal *journal = NULL;
    json_t *restored = NULL, *pj = NULL;
    idc_prop_regressions jregs;
    idc_prop_regressions_init(&jregs);
    uint64_t shrink_steps = DEFAULT_SHRINK_STEPS, shrink_failures = DEFAULT_SHRINK_FAILURES;
    char replay_args[1024] = "";
    idc_err err;
    idc_prop_regressions regs;
    idc_prop_regressions_init(&regs);
    char regpath[1100] = "";
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        uint64_t v;
        if (strcmp(a, "--trials") == 0 && more) {
            if (!idc_cli_parse_u64("--trials", argv[++i], &v) || v < 1 || v > 1000000) {
                idc_cli_error("prop", "--trials: expected 1..1000000");
                goto done;
            }
            o.trials = (uint32_t)v;
        } else if (strcmp(a, "--seed") == 0 && more) {
            if (!idc_cli_parse_u64("--seed", argv[++i], &o.seed))
                goto done;
        } else if (strcmp(a, "--jobs") == 0 && more) {
            if (!idc_cli_parse_u64("--jobs", argv[++i], &v) || v < 1 || v > 256) {
                idc_cli_error("prop", "--jobs: expected 1..256");
                goto done;
            }
            o.jobs = (unsigned)v;
        } else if (strcmp(a, "--replay") == 0 && more) {
            char buf[64];
            snprintf(buf, sizeof buf, "%s", argv[++i]);
            char *colon = strchr(buf, ':');
            uint64_t t;
            if (colon == NULL) {
                idc_cli_error("prop", "--replay: expected SEED:TRIAL, got \"%s\"", buf);
                goto done;
            }
            *colon = '\0';
            if (!idc_cli_parse_u64("--replay", buf, &o.seed) || !idc_cli_parse_u64("--replay", colon + 1, &t) ||
                t > UINT32_MAX)
                goto done;
            o.first = (uint32_t)t;
            o.trials = 1;
            replay = 1;
        } else if (strcmp(a, "-o") == 0 && more) {
            outpath = argv[++i];
        } else if (strcmp(a, "--db") == 0 && more) {
            dbpath = argv[++i];
        } else if (strcmp(a, "--ladder") == 0 && more) {
            ladder = argv[++i];
        } else if (strcmp(a, "--alpha") == 0 && more) {
            if (!idc_cli_parse_double("--alpha", argv[++i], &alpha))
                goto done;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--resume") == 0 || strcmp(a, "--fresh") == 0) {
            jmode = a[2] == 'r' ? IDC_JOURNAL_RESUME : IDC_JOURNAL_FRESH;
        } else if (strcmp(a, "--no-journal") == 0) {
            use_journal = 0;
        } else if (strcmp(a, "--shrink") == 0) {
            shrink = 1;
        } else if (strcmp(a, "--no-shrink") == 0) {
            shrink = 0;
        } else if (strcmp(a, "--shrink-steps") == 0 && more) {
            if (!idc_cli_parse_u64("--shrink-steps", argv[++i], &shrink_steps) || shrink_steps > 1000000) {
                idc_cli_error("prop", "--shrink-steps: expected 0..1000000");
                goto done;
            }
        } else if (strcmp(a, "--shrink-failures") == 0 && more) {
            if (!idc_cli_parse_u64("--shrink-failures", argv[++i], &shrink_failures) || shrink_failures > 1000000) {
                idc_cli_error("prop", "--shrink-failures: expected 0..1000000");
                goto done;
            }
        } else if (strcmp(a, "--shrink-params") == 0 && more) {
            o.shrink_params = argv[++i];
        } else if (strcmp(a, "--shrink-dir") == 0 && more) {
            shrink_dir = argv[++i];
        } else if (strcmp(a, "--regressions") == 0 && more) {
            regdir = argv[++i];
            use_regs = 1;
        } else if (strcmp(a, "--no-regressions") == 0) {
            use_regs = 0;
        } else if (strcmp(a, "--prune-regressions") == 0) {
            prune = 1;
        } else if (strcmp(a, "--junit") == 0 && more) {
            junit = argv[++i];
        } else if (strcmp(a, "--tap") == 0 && more) {
            tap = argv[++i];
        } else if (strcmp(a, "--param") == 0 && more) {
            char kv[256];
            snprintf(kv, sizeof kv, "%s", argv[++i]);
            char *eq = strchr(kv, '=');
            if (eq == NULL) {
                idc_cli_error("prop", "--param: expected KEY=VALUE, got \"%s\"", kv);
                goto done;
            }
            *eq = '\0';
            if (def->set_param(params, kv, eq + 1, &err) != IDC_OK) {
                idc_cli_error("prop", "%s", err.msg);
                goto done;
            }
            size_t n = strlen(replay_args);
            snprintf(replay_args + n, sizeof replay_args - n, "%s--%s %s", n ? " " : "", kv, eq + 1);
        } else if (strncmp(a, "--", 2) == 0 && more) {
            if (def->set_param(params, a + 2, argv[i + 1], &err) != IDC_OK) {
                idc_cli_error("prop", "%s", err.msg);
                goto done;
            }
            size_t n = strlen(replay_args);
            snprintf(replay_args + n, sizeof replay_args - n, "%s%s %s", n ? " " : "", a, argv[i + 1]);
            i++;
        } else {
            idc_cli_error("prop", "unexpected argument \"%s\" (see idcheck prop --help)", a);
            goto done;
        }
    }
    if (shrink < 0)
        shrink = !replay;
    o.shrink_steps = shrink ? (uint32_t)shrink_steps : 0;
    o.shrink_failures = (uint32_t)shrink_failures;
    if (o.shrink_params != NULL && idc_prop_shrink_check_names(def, o.shrink_params, &err) != IDC_OK) {
        idc_cli_error("prop", "%s", err.msg);
        goto done;
    }
    if (use_regs && !replay) {
        if (!idc_prop_regressions_path(regpath, sizeof regpath, regdir, def->id)) {
            idc_cli_error("prop", "--regressions: path too long");
            goto done;
        }
        if (idc_prop_regressions_read(&regs, regpath, &err) != IDC_OK) {
            idc_cli_error("prop", "%s", err.msg);
            goto done;
        }
        o.regressions = &regs;
    }
    o.replay_args = replay_args;
    if (quiet)
        o.progress = NULL;
    if (jmode != IDC_JOURNAL_AUTO && (replay || ladder != NULL || !use_journal)) {
        idc_cli_error("prop", "%s: not with %s", jmode == IDC_JOURNAL_RESUME ? "--resume" : "--fresh",
                      replay ? "--replay" : ladder != NULL ? "--ladder" : "--no-journal");
        goto done;
    }
    if (ladder != NULL && dbpath != NULL) {
        idc_cli_error("prop", "--db: not with --ladder");
        goto done;
    }
    if (ladder != NULL) {
        code = idc_cli_prop_ladder(def, params, &o, ladder, alpha, outpath);
        goto done;
    }
    pj = def->params_json(params);
    if (pj == NULL) {
        code = 3;
        goto done;
    }
    /* the store is checked before anything of the run is written */
    if (dbpath != NULL && (code = idc_cli_db_open(&db, dbpath, "prop")) != 0)
        goto done;
    code = 2;
    trial_hook hook = {NULL, o.regressions != NULL ? regpath : "", def->id, pj, o.seed, 0, NULL, 0};
    if (!replay && use_journal) {
        json_t *hdr = idc_prop_journal_header(def->id, pj, o.seed, o.first, o.trials, o.regressions);
        char jpath[1200];
        int jrc = hdr == NULL ? idc_err_set(&err, IDC_ENOMEM, "out of memory")
                  : idc_prop_journal_path(jpath, sizeof jpath, outpath, hdr)
                      ? idc_prop_journal_open(&journal, &restored, jpath, hdr, (idc_prop_journal_mode)jmode, &err)
                      : idc_err_set(&err, IDC_EINVAL, "-o: path too long");
        json_decref(hdr);
        /* The regression seeds replayed are the journal's: those of the run
         * as it started, not entries appended since (its own failures). */
        if (jrc == IDC_OK && o.regressions != NULL) {
            jrc = idc_prop_journal_regressions(&jregs, idc_prop_journal_header_get(journal), &err);
            o.regressions = &jregs;
        }
        if (jrc != IDC_OK) {
            idc_cli_error("prop", "%s", err.msg);
            code = jrc == IDC_ENOMEM ? 3 : 2;
            goto done;
        }
        if (json_array_size(restored) > 0) {
            o.restored = restored;
            if (!quiet)
                printf("%s: resuming from %s: %zu finished trial(s) re-used, not run again\n", def->id, jpath,
                       json_array_size(restored));
        }
        hook.journal = journal;
    }
    if (dbpath != NULL) {
        code = idc_cli_db_start(&db, argc, argv, json_array_size(restored) > 0);
        if (code != 0)
            goto done;
        code = 2;
        hook.db = &db;
        /* trials a killed run journaled but had not stored yet */
        size_t k;
        json_t *e;
        json_array_foreach(restored, k, e)
        {
            if (idc_cli_db_prop_trial(&db, def->id, json_object_get(e, "record"), pj, o.seed, &err) != IDC_OK) {
                idc_cli_error("prop", "%s", err.msg);
                goto done;
            }
        }
    }
    if (!replay || dbpath != NULL) {
        o.on_trial = on_trial;
        o.on_trial_ctx = &hook;
    }
    idc_prop_summary sum;
    json_t *results = NULL;
    int rc = idc_prop_run(&sum, &results, def, params, &o, &err);
    if (results != NULL && db.store != NULL) { /* ERROR trials do not reach the hook */
        static const char *const arrays[] = {"regressions", "trials"};
        for (int a = 0; a < 2; a++) {
            size_t k;
            json_t *t;
            json_array_foreach(json_object_get(results, arrays[a]), k, t)
            {
                const char *oc = json_string_value(json_object_get(t, "outcome"));
                idc_err e2;
                if (oc != NULL && strcmp(oc, "ERROR") == 0 &&
                    idc_cli_db_prop_trial(&db, def->id, t, pj, o.seed, &e2) != IDC_OK && rc == IDC_OK) {
                    rc = IDC_EIO;
                    err = e2;
                }
            }
        }
    }
    if (results != NULL && rc == IDC_OK)
        rc = report_shrinks(def, results, outpath, shrink_dir, o.shrink_steps > 0, o.progress, &err);
    if (results != NULL && outpath != NULL) {
        json_object_set_new(results, "provenance", idc_provenance_json());
        char cmd[1400];
        snprintf(cmd, sizeof cmd, "idcheck prop %s --trials %" PRIu32 " --seed 0x%" PRIx64 "%s%s", def->id,
                 o.trials, o.seed, replay_args[0] ? " " : "", replay_args);
        json_object_set_new(results, "command", json_string(cmd));
        json_object_set_new(results, "first_trial", json_integer(o.first));
        if (regpath[0])
            json_object_set_new(results, "regressions_file", json_string(regpath));
        int wrc = write_json(outpath, results, rc == IDC_OK ? &err : &(idc_err){""});
        if (wrc != IDC_OK && rc == IDC_OK)
            rc = wrc;
    }
    if (results != NULL && (junit != NULL || tap != NULL)) {
        idc_junit *j = idc_junit_new("idcheck prop");
        idc_err e2;
        int jrc = j ? idc_junit_add_prop_results(j, results, &e2) : idc_err_set(&e2, IDC_ENOMEM, "out of memory");
        if (jrc == IDC_OK && junit != NULL)
            jrc = idc_junit_write_xml(j, junit, &e2);
        if (jrc == IDC_OK && tap != NULL)
            jrc = idc_junit_write_tap(j, tap, &e2);
        idc_junit_free(j);
        if (jrc != IDC_OK && rc == IDC_OK) {
            rc = jrc;
            err = e2;
        }
    }
    if (results != NULL && o.regressions != NULL && rc == IDC_OK) {
        /* Merged into the file as it is now (failing trials were appended
         * as they finished; another run may have added entries). */
        size_t added = 0, removed = 0;
        idc_prop_regressions_clear(&regs);
        rc = idc_prop_regressions_read(&regs, regpath, &err);
        if (rc == IDC_OK) {
            rc = idc_prop_regressions_update(&regs, results, prune, &added, &removed);
            if (rc != IDC_OK)
                idc_err_set(&err, rc, "out of memory");
        }
        if (rc == IDC_OK && added + removed + sum.failed > 0) /* failures: notes with the minimal overrides */
            rc = idc_prop_regressions_write(&regs, def->id, regpath, &err);
        added += hook.added;
        if (rc == IDC_OK && !quiet) {
            if (added > 0)
                printf("%s: %zu new failing trial(s) recorded in %s (replayed first next time)\n", def->id, added,
                       regpath);
            if (removed > 0)
                printf("%s: %zu passing regression(s) dropped from %s\n", def->id, removed, regpath);
            else if (sum.reg_passed > 0)
                printf("%s: %zu regression(s) now pass (kept in %s; --prune-regressions drops them)\n", def->id,
                       sum.reg_passed, regpath);
        }
    }
    json_decref(results);
    if (rc != IDC_OK) {
        idc_cli_error("prop", "%s", err.msg);
        code = rc == IDC_EIO || rc == IDC_EINVAL ? 2 : 3;
        goto done;
    }
    printf("%s: %zu passed, %zu failed, %zu inconclusive, %zu discarded", def->id, sum.passed, sum.failed,
           sum.inconclusive, sum.discarded);
    if (sum.reg_run + sum.reg_stale > 0) {
        printf("; regressions: %zu replayed, %zu failed, %zu passed, %zu inconclusive, %zu discarded", sum.reg_run,
               sum.reg_failed, sum.reg_passed, sum.reg_inconclusive, sum.reg_discarded);
        if (sum.reg_stale > 0)
            printf(", %zu stale", sum.reg_stale);
    }
    putchar('\n');
    journal_done = 1; /* results, reports and regressions written: the journal has served */
    if (sum.passed == 0 && sum.failed == 0)
        fprintf(stderr, "idcheck prop: warning: no trial met its preconditions and estimator conditions; nothing "
                        "was asserted\n");
    code = sum.failed + sum.reg_failed > 0 ? 1 : 0;
    if (idc_cli_db_end(&db, code == 1 ? "failed" : "ok") != 0)
        code = 2;
done:
    idc_cli_db_abandon(&db); /* an error: the same command resumes the run */
    idc_prop_journal_close(journal, journal_done);
    json_decref(restored);
    json_decref(pj);
    idc_prop_regressions_clear(&jregs);
    idc_prop_regressions_clear(&regs);
    free(params);
    return code;
}
