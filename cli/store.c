/* idcheck store: the results store's own commands (reports/store.h):
 * `store import JOURNAL.jsonl|RESULTS.json --db FILE` (a prop run's journal
 * or results into the store) and `store info FILE` (its runs and trial counts). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/db.h"
#include "reports/store.h"

static void help(FILE *fp)
{
    fprintf(fp, "usage: idcheck store import JOURNAL.jsonl|RESULTS.json --db RESULTS.sqlite\n"
                "       idcheck store info RESULTS.sqlite\n\n"
                "import: stores the finished trials of an idcheck prop journal (docs/FORMAT.md; e.g. a\n"
                "  .idcheck/runs/*.jsonl of a run without --db) as one run of verb prop, one transaction per\n"
                "  trial (a torn last line is skipped; the journal is only read). The run's provenance is\n"
                "  the journal's idcheck version and the file imported: the machine and OpenBLAS core that\n"
                "  produced the trials are unknown, so audit compares their trained figures within its\n"
                "  tolerance. Importing the same journal twice makes two runs.\n"
                "  A results file of idcheck prop -o (RESULTS.json) is imported the same way, with the\n"
                "  provenance it carries (so audit can use the recorded OpenBLAS core); its regressions\n"
                "  too, stale ones skipped.\n"
                "info: the store's schema version, its runs (verb, start, end, status, trials by outcome).\n"
                "Exit: 0 ok, 2 bad usage, a journal that is malformed or a store that is refused, 3 internal.\n");
}

/* The journal's lines (header first), read whole; a last line without its
 * newline that does not parse is dropped (a torn write). */
static int read_journal(json_t **header, json_t **lines, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        idc_cli_error("store", "%s: cannot open the journal", path);
        return 2;
    }
    *header = NULL;
    *lines = json_array();
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n;
    size_t lineno = 0;
    int code = 0;
    while (code == 0 && (n = getline(&buf, &cap, f)) > 0) {
        lineno++;
        int complete = buf[n - 1] == '\n';
        json_error_t je;
        json_t *v = json_loadb(buf, (size_t)n, 0, &je);
        if (v == NULL || !json_is_object(v)) {
            json_decref(v);
            int c = fgetc(f);
            if (!complete && c == EOF)
                break; /* a torn last line */
            idc_cli_error("store", "%s: line %zu: not a JSON object (%s)", path, lineno, je.text);
            code = 2;
            break;
        }
        if (lineno == 1)
            *header = v;
        else
            json_array_append_new(*lines, v);
    }
    free(buf);
    fclose(f);
    if (code == 0 && *header == NULL) {
        idc_cli_error("store", "%s: empty journal", path);
        code = 2;
    }
    return code;
}

/* A results.json of idcheck prop -o (its property, run seed, parameters,
 * provenance, trials and regressions) into the store. */
static int import_results(json_t *res, const char *rpath, const char *dbpath)
{
    const char *prop = json_string_value(json_object_get(res, "property"));
    const char *rs = json_string_value(json_object_get(res, "run_seed"));
    const json_t *params = json_object_get(res, "params");
    if (prop == NULL || rs == NULL || !json_is_object(params) || !json_is_array(json_object_get(res, "trials"))) {
        idc_cli_error("store", "%s: not the results of idcheck prop (property, run_seed, params, trials)", rpath);
        return 2;
    }
    uint64_t run_seed = strtoull(rs, NULL, 0);
    idc_cli_db db = {NULL, 0, "store", 0};
    int code = idc_cli_db_open(&db, dbpath, "store");
    if (code != 0)
        return code;
    json_t *prov = json_deep_copy(json_object_get(res, "provenance"));
    if (!json_is_object(prov)) {
        json_decref(prov);
        prov = json_pack("{s:s}", "note", "imported: the results carry no provenance");
    }
    json_object_set_new(prov, "imported_from", json_string(rpath));
    const char *cmd = json_string_value(json_object_get(res, "command"));
    json_t *av = json_pack("[s,s,s,s,s,s]", "idcheck", "store", "import", rpath, "--db", dbpath);
    if (cmd != NULL)
        json_object_set_new(prov, "command", json_string(cmd));
    char *v[6];
    for (size_t k = 0; k < 6; k++)
        v[k] = (char *)json_string_value(json_array_get(av, k));
    idc_err err;
    int rc = prov && av ? idc_store_run_begin(db.store, &db.run_id, "prop", 6, v, prov, NULL, NULL, &err)
                        : idc_err_set(&err, IDC_ENOMEM, "out of memory");
    json_decref(prov);
    json_decref(av);
    size_t stored = 0, failed = 0, skipped = 0;
    static const char *const arrays[] = {"regressions", "trials"};
    for (int a = 0; a < 2 && rc == IDC_OK; a++) {
        size_t i;
        json_t *rec;
        json_array_foreach(json_object_get(res, arrays[a]), i, rec)
        {
            const char *oc = json_string_value(json_object_get(rec, "outcome"));
            if (oc != NULL && strcmp(oc, "STALE") == 0) { /* a regression that did not run */
                skipped++;
                continue;
            }
            rc = idc_cli_db_prop_trial(&db, prop, rec, params, run_seed, &err);
            if (rc != IDC_OK)
                break;
            stored++;
            failed += oc != NULL && strcmp(oc, "FAIL") == 0;
        }
    }
    if (rc != IDC_OK) {
        idc_cli_error("store", "%s", err.msg);
        idc_cli_db_abandon(&db);
        return rc == IDC_ENOMEM ? 3 : 2;
    }
    printf("store: %zu trial(s) of %s (run seed %s) imported from %s into %s, run %" PRId64 "%s\n", stored, prop, rs,
           rpath, dbpath, db.run_id, skipped ? " (stale regressions skipped)" : "");
    return idc_cli_db_end(&db, failed > 0 ? "failed" : "ok");
}

static int import(int argc, char **argv)
{
    const char *jpath = NULL, *dbpath = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            dbpath = argv[++i];
        } else if (argv[i][0] != '-' && jpath == NULL) {
            jpath = argv[i];
        } else {
            idc_cli_error("store", "import: unexpected argument \"%s\" (see idcheck store --help)", argv[i]);
            return 2;
        }
    }
    if (jpath == NULL || dbpath == NULL) {
        idc_cli_error("store", "import: expected JOURNAL.jsonl --db RESULTS.sqlite");
        return 2;
    }
    /* results.json: one JSON object with "trials" */
    json_t *whole = json_load_file(jpath, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(whole) && json_object_get(whole, "trials") != NULL) {
        int c = import_results(whole, jpath, dbpath);
        json_decref(whole);
        return c;
    }
    json_decref(whole);
    json_t *hdr = NULL, *lines = NULL;
    int code = read_journal(&hdr, &lines, jpath);
    const char *prop = json_string_value(json_object_get(hdr, "property"));
    const char *rs = json_string_value(json_object_get(hdr, "run_seed"));
    const json_t *params = json_object_get(hdr, "params");
    const char *jname = json_string_value(json_object_get(hdr, "journal"));
    if (code == 0 && (jname == NULL || strcmp(jname, "idcheck prop") != 0 ||
                      json_integer_value(json_object_get(hdr, "format")) != 1)) {
        idc_cli_error("store", "%s: line 1: not an idcheck prop journal of format 1", jpath);
        code = 2;
    }
    if (code == 0 && (prop == NULL || rs == NULL || !json_is_object(params))) {
        idc_cli_error("store", "%s: line 1: header without property, run_seed or params", jpath);
        code = 2;
    }
    uint64_t run_seed = rs != NULL ? strtoull(rs, NULL, 0) : 0;
    size_t i;
    json_t *l;
    json_array_foreach(lines, i, l)
    {
        json_t *rec = json_object_get(l, "record");
        const char *oc = json_string_value(json_object_get(rec, "outcome"));
        if (code == 0 && (!json_is_object(rec) || oc == NULL || !json_is_integer(json_object_get(rec, "trial")))) {
            idc_cli_error("store", "%s: line %zu: expected {\"line\", \"record\"} with trial and outcome", jpath, i + 2);
            code = 2;
        }
    }
    idc_cli_db db = {NULL, 0, "store", 0};
    if (code == 0)
        code = idc_cli_db_open(&db, dbpath, "store");
    if (code == 0) {
        json_t *prov = json_pack("{s:O?,s:s,s:s,s:s}", "idcheck", json_object_get(hdr, "idcheck"), "imported_from",
                                 jpath, "journal", "idcheck prop format 1",
                                 "note", "imported: the machine, build and OpenBLAS core that ran the trials are "
                                         "not recorded");
        json_t *av = json_pack("[s,s,s,s,s]", "idcheck", "store", "import", jpath, "--db");
        json_array_append_new(av, json_string(dbpath));
        char *v[8];
        for (size_t k = 0; k < json_array_size(av) && k < 8; k++)
            v[k] = (char *)json_string_value(json_array_get(av, k));
        idc_err err;
        int rc = prov && av ? idc_store_run_begin(db.store, &db.run_id, "prop", (int)json_array_size(av), v, prov,
                                                  NULL, NULL, &err)
                            : idc_err_set(&err, IDC_ENOMEM, "out of memory");
        json_decref(prov);
        json_decref(av);
        size_t failed = 0;
        json_array_foreach(lines, i, l)
        {
            if (rc != IDC_OK)
                break;
            json_t *rec = json_object_get(l, "record");
            rc = idc_cli_db_prop_trial(&db, prop, rec, params, run_seed, &err);
            failed += strcmp(json_string_value(json_object_get(rec, "outcome")), "FAIL") == 0;
        }
        if (rc != IDC_OK) {
            idc_cli_error("store", "%s", err.msg);
            idc_cli_db_abandon(&db);
            code = rc == IDC_ENOMEM ? 3 : 2;
        } else {
            printf("store: %zu trial(s) of %s (run seed %s) imported from %s into %s, run %" PRId64 "\n",
                   json_array_size(lines), prop, rs, jpath, dbpath, db.run_id);
            code = idc_cli_db_end(&db, failed > 0 ? "failed" : "ok");
        }
    }
    json_decref(hdr);
    json_decref(lines);
    return code;
}

static int info(int argc, char **argv)
{
    if (argc != 2) {
        idc_cli_error("store", "info: expected RESULTS.sqlite");
        return 2;
    }
    idc_store *s = NULL;
    idc_err err;
    int rc = idc_store_open(&s, argv[1], IDC_STORE_READ, &err);
    json_t *runs = NULL;
    if (rc == IDC_OK)
        rc = idc_store_query(s, &runs,
                             "SELECT r.run_id, r.verb, r.started, r.finished, r.status, r.shard, "
                             "(SELECT count(*) FROM trials t WHERE t.run_id = r.run_id) AS n, "
                             "(SELECT group_concat(o || ' ' || c, ', ') FROM (SELECT outcome AS o, count(*) AS c "
                             "FROM trials t WHERE t.run_id = r.run_id GROUP BY outcome)) AS outcomes "
                             "FROM runs r ORDER BY r.run_id",
                             NULL, &err);
    if (rc != IDC_OK) {
        idc_cli_error("store", "%s", err.msg);
        idc_store_close(s);
        return rc == IDC_ENOMEM ? 3 : 2;
    }
    json_t *ver = NULL; /* the file's schema version, not this build's */
    if (idc_store_query(s, &ver, "SELECT user_version AS v FROM pragma_user_version", NULL, &err) != IDC_OK) {
        idc_cli_error("store", "%s", err.msg);
        json_decref(runs);
        idc_store_close(s);
        return 2;
    }
    json_int_t fv = json_integer_value(json_object_get(json_array_get(ver, 0), "v"));
    json_decref(ver);
    printf("%s: idcheck results store, schema version %d", argv[1], (int)fv);
    if (fv < idc_store_schema_version())
        printf(" (this idcheck writes %d; a verb that writes to it migrates it)", idc_store_schema_version());
    printf(", %zu run(s)\n", json_array_size(runs));
    size_t i;
    json_t *r;
    json_array_foreach(runs, i, r)
    {
        const char *fin = json_string_value(json_object_get(r, "finished"));
        const char *st = json_string_value(json_object_get(r, "status"));
        const char *sh = json_string_value(json_object_get(r, "shard"));
        const char *oc = json_string_value(json_object_get(r, "outcomes"));
        printf("run %" JSON_INTEGER_FORMAT ": %s, started %s, ", json_integer_value(json_object_get(r, "run_id")),
               json_string_value(json_object_get(r, "verb")), json_string_value(json_object_get(r, "started")));
        printf("%s%s, %s%s", fin ? "finished " : "not finished", fin ? fin : "", st ? "status " : "no status",
               st ? st : "");
        if (sh != NULL)
            printf(", shard %s", sh);
        printf(", %" JSON_INTEGER_FORMAT " trial(s)%s%s\n", json_integer_value(json_object_get(r, "n")), oc ? ": " : "",
               oc ? oc : "");
    }
    json_decref(runs);
    idc_store_close(s);
    return 0;
}

int idc_cli_store(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        help(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "import") == 0)
        return import(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "info") == 0)
        return info(argc - 1, argv + 1);
    help(stderr);
    return 2;
}
