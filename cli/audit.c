/* idcheck audit STORE: re-run every recorded trial of a results store and
 * compare (reports/audit.h). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <flint/flint.h>

#include "cli/audit_html.h"
#include "cli/cli.h"
#include "cli/record.h"
#include "numeric/blas.h"
#include "numeric/fileio.h"
#include "reports/audit.h"
#include "reports/provenance.h"
#include "reports/store.h"

/* Set in the process audit re-executes with the recorded core, so that it
 * does not try again. */
#define AUDIT_MARK "IDCHECK_AUDIT_CORE"

static void help(FILE *fp)
{
    fprintf(fp,
            "usage: idcheck audit RESULTS.sqlite|REPORT.html [--run ID] [--trial ID] [--record ID] [--rtol R] [--atol A]\n"
            "                     [--jobs N] [--json OUT.json] [--quiet] [--no-core-switch]\n\n"
            "Re-runs every recorded trial of the results store (idcheck prop --db, sweep) from its\n"
            "property, parameters, run seed and trial index, and compares with what the store holds:\n"
            "  exact parts byte for byte: instance (and its hash recomputed), trial seed, every\n"
            "    precondition's verdict, certificate and certificate hash, outcome;\n"
            "  trained figures (metrics, estimator conditions, training traces, the fitted model and\n"
            "    its class, the measurements rows): bit for bit when the run's OpenBLAS core is the one\n"
            "    in use, else reals within |a - b| <= A + R max(|a|, |b|) (default R 1e-6, A 1e-9),\n"
            "    the fitted model's hash and class certificates then not compared.\n"
            "When the store's runs recorded one OpenBLAS core and this process uses another, audit\n"
            "re-executes itself with --blas-core CORE when this CPU can run it (and says so), so\n"
            "that trained figures can be compared bit for bit; --no-core-switch keeps the core.\n"
            "Prints one line per trial (trial, run, cell, stored / re-run outcome, exact, figures,\n"
            "the first difference) and a summary; --json writes every trial's findings. --jobs N re-runs\n"
            "N trials at a time (the same findings, printed in trial order).\n"
            "Then every record of fit, check and repro --db (docs/STORE.md \"records\") is re-derived\n"
            "by the verb that wrote it from its recorded arguments, seeds and instance, and compared:\n"
            "a check's verdicts, certificates and conclusions byte for byte, a fit's or reproduction's\n"
            "figures as above. --trial selects trials only, --record records only.\n"
            "The store is opened read-only and never modified.\n"
            "A report page (idcheck report -o REPORT.html) embeds the store it was made from: audit takes\n"
            "it out (into a temporary directory), audits it as above, and re-renders the report from it:\n"
            "the page must equal the re-rendered one byte for byte, so an edited number on the page is\n"
            "caught as well as edited data.\n"
            "Exit: 0 everything identical or within tolerance, 1 a mismatch or a trial that could\n"
            "not be re-run, 2 bad usage or a store that is refused (foreign, corrupted, newer), 3 internal.\n");
}

/* The OpenBLAS cores the runs recorded (distinct, non-empty). */
static int recorded_cores(idc_store *s, json_t **cores, idc_err *err)
{
    json_t *rows = NULL;
    int rc = idc_store_query(s, &rows,
                             "SELECT DISTINCT json_extract(provenance, '$.blas.core') AS core FROM runs "
                             "WHERE json_valid(provenance) AND json_extract(provenance, '$.blas.core') IS NOT NULL "
                             "ORDER BY core",
                             NULL, err);
    *cores = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *c = json_string_value(json_object_get(r, "core"));
        if (c != NULL && c[0] != '\0')
            json_array_append_new(*cores, json_string(c));
    }
    json_decref(rows);
    return rc;
}

/* Re-executes "idcheck --blas-core CORE audit ARGS..." (returns only when
 * that fails). */
static void reexec_with_core(const char *core, int argc, char **argv)
{
    char **v = calloc((size_t)argc + 4, sizeof *v);
    if (v == NULL)
        return;
    v[0] = (char *)"idcheck";
    v[1] = (char *)"--blas-core";
    v[2] = (char *)core;
    for (int i = 0; i < argc; i++)
        v[3 + i] = argv[i];
    setenv(AUDIT_MARK, core, 1);
    fflush(NULL);
    char path[4096];
    ssize_t k = readlink("/proc/self/exe", path, sizeof path - 1);
    if (k > 0) {
        path[k] = '\0';
        execv(path, v);
    }
    free(v);
}

/* One trial to audit, and what came of it. */
typedef struct {
    int64_t tid;
    idc_audit_opts opts;
    idc_audit_trial r;
    int status;
    idc_err err;
    int done;
    int is_record; /* a record of fit, check or repro (its kind in the outcome column) */
} job;

/* The trials audited on --jobs threads; printed in trial order as they
 * finish. */
typedef struct {
    idc_store *s;
    job *jobs;
    size_t n_jobs, next, next_print;
    int quiet;
    json_t *out;
    size_t n, identical, within, mismatched, notrun;
    pthread_mutex_t lock;
} pool;

/* Prints (and counts) the finished trials in order; under pl->lock. */
static void flush_done(pool *pl)
{
    while (pl->next_print < pl->n_jobs && pl->jobs[pl->next_print].done) {
        job *j = &pl->jobs[pl->next_print++];
        if (j->status != IDC_OK)
            continue;
        const idc_audit_trial *r = &j->r;
        pl->n++;
        int bad = r->exact >= IDC_AUDIT_MISMATCH || r->figures >= IDC_AUDIT_MISMATCH;
        if (r->exact == IDC_AUDIT_NOT_RERUN)
            pl->notrun++;
        else if (bad)
            pl->mismatched++;
        else if (r->figures == IDC_AUDIT_WITHIN_TOL)
            pl->within++;
        else
            pl->identical++;
        const char *first = json_string_value(json_array_get(r->details, 0));
        char oc[40];
        if (j->is_record)
            snprintf(oc, sizeof oc, "%s", r->property);
        else
            snprintf(oc, sizeof oc, "%s/%s", r->outcome, r->outcome_rerun[0] ? r->outcome_rerun : "-");
        const char *fig = r->figures == IDC_AUDIT_IDENTICAL ? (j->opts.bitwise ? "bit-identical" : "identical")
                                                            : idc_audit_status_name(r->figures);
        if (!pl->quiet || bad) {
            printf("%-6" PRId64 " %-4" PRId64 " %-28.28s %-26s %-10s %-17s %s\n", r->trial_id, r->run_id, r->cell, oc,
                   idc_audit_status_name(r->exact), fig, first ? first : "");
            fflush(stdout);
        }
        json_array_append_new(pl->out, json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:I,s:I,s:f,s:f,s:O}",
                                                 "trial_id", (json_int_t)r->trial_id, "run_id", (json_int_t)r->run_id,
                                                 "cell", r->cell, "property", r->property, "outcome", r->outcome,
                                                 "outcome_rerun", r->outcome_rerun, "exact",
                                                 idc_audit_status_name(r->exact), "figures",
                                                 idc_audit_status_name(r->figures), "bitwise", j->opts.bitwise,
                                                 "compared", (json_int_t)r->compared, "mismatches",
                                                 (json_int_t)r->mismatches, "max_rel", r->max_rel, "seconds",
                                                 r->seconds, "differences", r->details));
    }
}

static void *audit_worker(void *arg)
{
    pool *pl = arg;
    for (;;) {
        pthread_mutex_lock(&pl->lock);
        size_t k = pl->next++;
        pthread_mutex_unlock(&pl->lock);
        if (k >= pl->n_jobs)
            break;
        job *j = &pl->jobs[k];
        j->status = idc_audit_run_trial(&j->r, pl->s, j->tid, &j->opts, &j->err);
        pthread_mutex_lock(&pl->lock);
        j->done = 1;
        flush_done(pl);
        pthread_mutex_unlock(&pl->lock);
    }
    flint_cleanup(); /* the exact checkers' thread-local caches */
    return NULL;
}

/* Re-derives record row (record_id, kind, config, instance_json) with the
 * verb that wrote it and compares (reports/audit.h). */
static int audit_record(job *j, idc_store *s, const json_t *row)
{
    const char *kind = json_string_value(json_object_get(row, "kind"));
    const char *conf_txt = json_string_value(json_object_get(row, "config"));
    const char *inst = json_string_value(json_object_get(row, "instance_json"));
    json_t *conf = conf_txt != NULL ? json_loads(conf_txt, 0, NULL) : NULL;
    json_t *fresh = NULL, *verd = NULL;
    idc_err re;
    int rc = IDC_EINVAL;
    if (conf == NULL)
        snprintf(re.msg, sizeof re.msg, "config: not JSON");
    else if (kind != NULL && strcmp(kind, "fit") == 0)
        rc = idc_cli_fit_rederive(&fresh, conf, inst, &re);
    else if (kind != NULL && strcmp(kind, "check") == 0)
        rc = idc_cli_check_rederive(&fresh, &verd, conf, inst, &re);
    else if (kind != NULL && strcmp(kind, "repro") == 0)
        rc = idc_cli_repro_rederive(&fresh, conf, &re);
    else
        snprintf(re.msg, sizeof re.msg, "kind %s unknown to this idcheck", kind ? kind : "(none)");
    j->status = idc_audit_compare_record(&j->r, s, j->tid, rc == IDC_OK ? fresh : NULL, verd,
                                         rc == IDC_OK ? NULL : re.msg, &j->opts, &j->err);
    j->done = 1;
    json_decref(conf);
    json_decref(fresh);
    json_decref(verd);
    return j->status;
}

int idc_cli_audit(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        help(stdout);
        return 0;
    }
    const char *path = NULL, *jsonpath = NULL;
    int64_t only_run = 0, only_trial = 0, only_record = 0;
    int quiet = 0, core_switch = 1;
    unsigned jobs_n = 1;
    idc_audit_opts o = idc_audit_opts_default();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        uint64_t v;
        if ((strcmp(a, "--run") == 0 || strcmp(a, "--trial") == 0 || strcmp(a, "--record") == 0) && more) {
            if (!idc_cli_parse_u64(a, argv[++i], &v) || v < 1 || v > INT64_MAX) {
                idc_cli_error("audit", "%s: expected a positive id", a);
                return 2;
            }
            *(strcmp(a, "--run") == 0 ? &only_run : strcmp(a, "--trial") == 0 ? &only_trial : &only_record) =
                (int64_t)v;
        } else if (strcmp(a, "--jobs") == 0 && more) {
            if (!idc_cli_parse_u64("--jobs", argv[++i], &v) || v < 1 || v > 64) {
                idc_cli_error("audit", "--jobs: expected 1..64");
                return 2;
            }
            jobs_n = (unsigned)v;
        } else if (strcmp(a, "--rtol") == 0 && more) {
            if (!idc_cli_parse_double("--rtol", argv[++i], &o.rtol) || !(o.rtol >= 0 && o.rtol < 1)) {
                idc_cli_error("audit", "--rtol: expected a number in [0, 1)");
                return 2;
            }
        } else if (strcmp(a, "--atol") == 0 && more) {
            if (!idc_cli_parse_double("--atol", argv[++i], &o.atol) || !(o.atol >= 0 && o.atol < 1e300)) {
                idc_cli_error("audit", "--atol: expected a finite number >= 0");
                return 2;
            }
        } else if (strcmp(a, "--json") == 0 && more) {
            jsonpath = argv[++i];
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--no-core-switch") == 0) {
            core_switch = 0;
        } else if (a[0] == '-' && a[1] != '\0') {
            idc_cli_error("audit", "unexpected argument \"%s\" (see idcheck audit --help)", a);
            return 2;
        } else if (path == NULL) {
            path = a;
        } else {
            idc_cli_error("audit", "one store at a time (got \"%s\" and \"%s\")", path, a);
            return 2;
        }
    }
    if (path == NULL) {
        help(stderr);
        return 2;
    }
    /* a report page: its embedded store, taken out */
    const char *given = path;
    idc_cli_audit_page pg;
    memset(&pg, 0, sizeof pg);
    int page_mode = idc_cli_audit_is_html(path), page_code = 0;
    if (page_mode) {
        int c = idc_cli_audit_page_open(&pg, path);
        if (c != 0)
            return c;
        path = pg.store;
    }
    idc_store *s = NULL;
    idc_err err;
    int rc = idc_store_open(&s, path, IDC_STORE_READ, &err);
    if (rc != IDC_OK) {
        if (page_mode)
            idc_cli_error("audit", "%s: its embedded store is refused: %s", given, err.msg);
        else
            idc_cli_error("audit", "%s", err.msg);
        idc_cli_audit_page_close(&pg);
        return rc == IDC_ENOMEM ? 3 : 2;
    }
    int code = 3;
    json_t *cores = NULL, *ids = NULL, *out = NULL, *recs = NULL, *rout = NULL;
    if (recorded_cores(s, &cores, &err) != IDC_OK) {
        idc_cli_error("audit", "%s", err.msg);
        code = 2;
        goto done;
    }
    const char *here = idc_blas_core();
    if (json_array_size(cores) == 1) {
        const char *want = json_string_value(json_array_get(cores, 0));
        if (strcmp(want, here) != 0 && core_switch && getenv(AUDIT_MARK) == NULL &&
            idc_blas_core_selectable(want, idc_blas_cpu_features())) {
            if (!quiet)
                printf("audit: the runs used OpenBLAS core %s, this process %s: re-running with --blas-core %s\n",
                       want, here, want);
            idc_store_close(s);
            s = NULL;
            if (page_mode) /* the re-executed audit takes it out again */
                idc_cli_audit_page_close(&pg);
            reexec_with_core(want, argc, argv);
            idc_cli_error("audit", "cannot re-execute with --blas-core %s; comparing within tolerance", want);
            if (page_mode && (code = idc_cli_audit_page_open(&pg, given)) != 0)
                goto done;
            path = page_mode ? pg.store : path;
            if (idc_store_open(&s, path, IDC_STORE_READ, &err) != IDC_OK) {
                idc_cli_error("audit", "%s", err.msg);
                code = 2;
                goto done;
            }
        }
    }
    if (page_mode) { /* the page against the report re-rendered from its store */
        page_code = idc_cli_audit_page_compare(&pg);
        if (page_code > 1) {
            code = page_code;
            goto done;
        }
    }
    json_t *args = NULL;
    args = json_pack("[I,I,I,I]", (json_int_t)only_run, (json_int_t)only_run, (json_int_t)only_trial,
                     (json_int_t)only_trial);
    rc = idc_store_query(s, &ids, "SELECT trial_id FROM trials WHERE (?1 = 0 OR run_id = ?2) AND (?3 = 0 OR "
                                  "trial_id = ?4) AND ?3 >= 0 ORDER BY trial_id", args, &err);
    json_decref(args);
    json_t *has_rec = NULL;
    if (rc == IDC_OK)
        rc = idc_store_query(s, &has_rec, "SELECT count(*) AS n FROM sqlite_schema WHERE name = 'records'", NULL, &err);
    int with_records = rc == IDC_OK && json_integer_value(json_object_get(json_array_get(has_rec, 0), "n")) > 0;
    json_decref(has_rec);
    if (only_record != 0 && only_trial == 0)
        json_array_clear(ids);
    if (rc == IDC_OK && with_records && (only_trial == 0 || only_record != 0)) {
        args = json_pack("[I,I,I,I]", (json_int_t)only_run, (json_int_t)only_run, (json_int_t)only_record,
                         (json_int_t)only_record);
        rc = idc_store_query(s, &recs,
                             "SELECT r.record_id, r.kind, r.config, i.json AS instance_json, "
                             "json_extract(u.provenance, '$.blas.core') AS core FROM records r "
                             "LEFT JOIN instances i ON i.hash = r.instance_hash JOIN runs u ON u.run_id = r.run_id "
                             "WHERE (?1 = 0 OR r.run_id = ?2) AND (?3 = 0 OR r.record_id = ?4) ORDER BY r.record_id",
                             args, &err);
        json_decref(args);
    }
    if (rc != IDC_OK) {
        idc_cli_error("audit", "%s", err.msg);
        code = 2;
        goto done;
    }
    if (json_array_size(ids) == 0 && json_array_size(recs) == 0) {
        idc_cli_error("audit", "%s: no trial or record to audit%s", path,
                      only_run || only_trial || only_record ? " (--run / --trial / --record)" : "");
        code = 2;
        goto done;
    }
    out = json_array();
    size_t nt = json_array_size(ids);
    job *jobs = calloc(nt + 1, sizeof *jobs);
    if (jobs == NULL || out == NULL) {
        free(jobs);
        goto done;
    }
    size_t other_core = 0, no_core = 0;
    /* bitwise for the trials whose run used this core */
    for (size_t k = 0; k < nt; k++) {
        jobs[k].tid = json_integer_value(json_object_get(json_array_get(ids, k), "trial_id"));
        jobs[k].opts = o;
        json_t *targs = json_pack("[I]", (json_int_t)jobs[k].tid), *trow = NULL;
        const char *rcore = NULL;
        if (idc_store_query(s, &trow, "SELECT json_extract(r.provenance, '$.blas.core') AS core FROM trials t "
                                      "JOIN runs r ON r.run_id = t.run_id WHERE t.trial_id = ?1",
                            targs, &err) == IDC_OK)
            rcore = json_string_value(json_object_get(json_array_get(trow, 0), "core"));
        json_decref(targs);
        jobs[k].opts.bitwise = rcore != NULL && strcmp(rcore, here) == 0;
        if (rcore == NULL)
            no_core++;
        else if (!jobs[k].opts.bitwise)
            other_core++;
        json_decref(trow);
    }
    if (!quiet && nt > 0)
        printf("%-6s %-4s %-28s %-26s %-10s %-17s %s\n", "trial", "run", "cell", "outcome (stored/re-run)", "exact",
               "figures", "first difference");
    pool pl = {.s = s, .jobs = jobs, .n_jobs = nt, .quiet = quiet, .out = out, .lock = PTHREAD_MUTEX_INITIALIZER};
    unsigned nth = jobs_n < nt ? jobs_n : (unsigned)nt;
    pthread_t tid[64];
    int started[64] = {0};
    for (unsigned t = 1; t < nth; t++)
        started[t] = pthread_create(&tid[t], NULL, audit_worker, &pl) == 0;
    audit_worker(&pl);
    for (unsigned t = 1; t < nth; t++)
        if (started[t])
            pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&pl.lock);
    int failed_st = IDC_OK;
    for (size_t k = 0; k < nt; k++) {
        if (jobs[k].status != IDC_OK && failed_st == IDC_OK) {
            failed_st = jobs[k].status;
            err = jobs[k].err;
        }
        idc_audit_trial_clear(&jobs[k].r);
    }
    free(jobs);
    if (failed_st != IDC_OK) {
        idc_cli_error("audit", "%s", err.msg);
        code = failed_st == IDC_ENOMEM ? 3 : 2;
        goto done;
    }
    /* the records of fit, check and repro, one at a time */
    size_t nr = json_array_size(recs);
    job *rjobs = calloc(nr + 1, sizeof *rjobs);
    if (rjobs == NULL)
        goto done;
    rout = json_array();
    pool rp = {.s = s, .jobs = rjobs, .n_jobs = nr, .quiet = quiet, .out = rout, .lock = PTHREAD_MUTEX_INITIALIZER};
    if (!quiet && nr > 0)
        printf("%-6s %-4s %-28s %-26s %-10s %-17s %s\n", "record", "run", "cell", "kind", "exact", "figures",
               "first difference");
    for (size_t k = 0; k < nr; k++) {
        const json_t *row = json_array_get(recs, k);
        rjobs[k].tid = json_integer_value(json_object_get(row, "record_id"));
        rjobs[k].opts = o;
        const char *rcore = json_string_value(json_object_get(row, "core"));
        rjobs[k].opts.bitwise = rcore != NULL && strcmp(rcore, here) == 0;
        if (rcore == NULL)
            no_core++;
        else if (!rjobs[k].opts.bitwise)
            other_core++;
        rjobs[k].is_record = 1;
        audit_record(&rjobs[k], s, row);
        flush_done(&rp);
    }
    for (size_t k = 0; k < nr; k++) {
        if (rjobs[k].status != IDC_OK && failed_st == IDC_OK) {
            failed_st = rjobs[k].status;
            err = rjobs[k].err;
        }
        idc_audit_trial_clear(&rjobs[k].r);
    }
    free(rjobs);
    if (failed_st != IDC_OK) {
        idc_cli_error("audit", "%s", err.msg);
        code = failed_st == IDC_ENOMEM ? 3 : 2;
        goto done;
    }
    size_t n = pl.n, identical = pl.identical, within = pl.within, mismatched = pl.mismatched, notrun = pl.notrun;
    if (nt > 0 || nr == 0)
        printf("audit: %zu trial(s) re-run: %zu identical, %zu within tolerance, %zu MISMATCH, %zu not re-run; ",
               n, identical, within, mismatched, notrun);
    if (nr > 0)
        printf("%s%zu record(s) re-derived (fit, check, repro): %zu identical, %zu within tolerance, "
               "%zu MISMATCH, %zu not re-derived; ",
               nt > 0 ? "" : "audit: ", rp.n, rp.identical, rp.within, rp.mismatched, rp.notrun);
    mismatched += rp.mismatched;
    notrun += rp.notrun;
    printf("OpenBLAS core %s", here);
    if (other_core + no_core > 0)
        printf(" (%zu trial(s) recorded with another core, %zu without a recorded core: their trained figures "
               "compared within rtol %g, atol %g)",
               other_core, no_core, o.rtol, o.atol);
    else
        printf(" (as recorded: trained figures bit for bit)");
    putchar('\n');
    /* the code that produced the runs, beside this one */
    json_t *srcs = NULL;
    if (idc_store_query(s, &srcs, "SELECT DISTINCT json_extract(provenance, '$.source.id') AS id FROM runs WHERE "
                                  "json_valid(provenance) ORDER BY id", NULL, &err) == IDC_OK) {
        size_t k;
        json_t *sr;
        json_array_foreach(srcs, k, sr)
        {
            const char *id = json_string_value(json_object_get(sr, "id"));
            if (id == NULL)
                printf("audit: note: some runs do not record the idcheck source they were made with\n");
            else if (strcmp(id, idc_source_id()) != 0)
                printf("audit: note: runs recorded by idcheck source %s, this is %s: a difference may come from a "
                       "change of the code\n", id, idc_source_id());
        }
    }
    json_decref(srcs);
    if (json_array_size(cores) == 1 && strcmp(json_string_value(json_array_get(cores, 0)), here) != 0 &&
        !idc_blas_core_selectable(json_string_value(json_array_get(cores, 0)), idc_blas_cpu_features()))
        printf("audit: the recorded core %s cannot run on this CPU\n", json_string_value(json_array_get(cores, 0)));
    if (jsonpath != NULL) {
        json_t *doc = json_pack("{s:s,s:s,s:O,s:O,s:O}", "store", given, "blas_core", here, "recorded_cores", cores,
                                "trials", out, "records", rout);
        char *txt = doc ? json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17)) : NULL;
        json_decref(doc);
        int wrc = txt ? idc_write_file_atomic(jsonpath, txt, strlen(txt), &err)
                      : idc_err_set(&err, IDC_ENOMEM, "out of memory");
        free(txt);
        if (wrc != IDC_OK) {
            idc_cli_error("audit", "%s", err.msg);
            code = wrc == IDC_ENOMEM ? 3 : 2;
            goto done;
        }
    }
    code = mismatched + notrun > 0 || page_code == 1 ? 1 : 0;
    if (page_mode)
        printf("audit: %s: %s\n", given,
               code == 0 ? "the page and its embedded store check out" : "MISMATCH (see above)");
done:
    json_decref(rout);
    json_decref(cores);
    json_decref(ids);
    json_decref(recs);
    json_decref(out);
    idc_store_close(s);
    idc_cli_audit_page_close(&pg);
    return code;
}
