/* idcheck check INST.json [--json] [--budget SECONDS] [--max-entries N] [--only IDS]
 *
 * Certifies the preconditions of an instance exactly (theory/precond.h) and
 * prints one line per precondition: ID, verdict, reason; then a short
 * summary of each certificate. Verdicts are data: the exit code is 0
 * whenever the checks ran (2 bad input, 3 internal error). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/db.h"
#include "cli/record.h"
#include "theory/theorem.h"
#include "models/instance.h"
#include "theory/precond.h"

static const char *const DEFAULT_IDS[] = {"DIM", "DIMU1", "NOISE0", "F1", "FC", "F2", "F3", "F4", "P1", "P1nd", "PD", "P2", "A3.4", "A3.6", "A3.8a", "A3.8b", "I-i", "I-ii", "I-iii", "I-T2"};
#define NDEFAULT (sizeof DEFAULT_IDS / sizeof DEFAULT_IDS[0])
#define MAX_IDS 64

static void help(FILE *fp)
{
    fprintf(
        fp,
        "usage: idcheck check INST.json [--json] [--budget SECONDS] [--max-entries N] [--only ID,ID,...]\n"
        "                      [--db RESULTS.sqlite]\n\n"
        "Certifies the preconditions of an instance in exact arithmetic and prints one line\n"
        "per precondition (ID, HOLDS/FAILS/UNKNOWN, reason), then a summary of each\n"
        "certificate. Default IDs: DIM DIMU1 NOISE0 F1 FC F2 F3 F4 P1 P1nd PD P2 A3.4 A3.6 A3.8a\n"
        "A3.8b I-i I-ii I-iii I-T2 (THEORY.md Sec. 3); then, per theorem of THEORY.md Sec. 4,\n"
        "whether it applies, its conclusion and the level it speaks at (law: the latent law;\n"
        "map: zhat = g(x); decoder: f up to an affine map, which gives map-level AT), the\n"
        "estimator conditions it needs (EST-K, EST-X, REC, GAUSS, SPARSE: conditions on a fit,\n"
        "never decided here), and the strongest guaranteed class at the map and law levels.\n\n"
        "  --json           print {\"model_hash\", \"preconditions\": [{id, verdict, reason,\n"
        "                   certificate}], \"theorems\": [{id, applies, conclusion, level,\n"
        "                   map_class, ...}], \"strongest_class\" (map level),\n"
        "                   \"strongest_law_class\"}; verify it with:\n"
        "                   idcheck cert verify OUT.json INST.json\n"
        "  --budget S       wall-clock seconds per check (default %g; 0 = none); a check that\n"
        "                   runs out answers UNKNOWN\n"
        "  --max-entries N  cap on the exact objects a check builds (default %zu; 0 = none)\n"
        "  --only IDS       comma-separated IDs to run instead of the defaults\n"
        "  --db FILE        also record the instance (by its model hash), the verdicts with their\n"
        "                   certificates and the --json document in the results store FILE\n"
        "                   (docs/STORE.md \"records\"); `idcheck audit FILE` re-runs the checks\n"
        "                   and compares verdicts and certificates byte for byte\n\n"
        "exit codes: 0 the checks ran (whatever the verdicts), 2 bad usage or input, 3 internal error\n",
        IDC_BUDGET_DEFAULT_SECONDS, (size_t)IDC_BUDGET_DEFAULT_ENTRIES);
}

/* One line: method and the compact witness, truncated. */
static void summary(FILE *fp, const idc_pre_result *r)
{
    if (r->cert == NULL) {
        fprintf(fp, "  %-6s (no certificate)\n", r->id);
        return;
    }
    const char *method = json_string_value(json_object_get(r->cert, "method"));
    char *w = json_dumps(json_object_get(r->cert, "witness"), JSON_COMPACT | JSON_PRESERVE_ORDER);
    const size_t lim = 96;
    if (w != NULL && strlen(w) > lim)
        strcpy(w + lim - 3, "...");
    fprintf(fp, "  %-6s %s: %s\n", r->id, method != NULL ? method : "?", w != NULL ? w : "?");
    free(w);
}

typedef struct {
    const idc_pre_result *res;
    size_t n;
} verdicts;

static idc_verdict lookup(void *ctx, const char *id)
{
    const verdicts *v = ctx;
    for (size_t k = 0; k < v->n; k++)
        if (strcmp(v->res[k].id, id) == 0)
            return v->res[k].verdict;
    return IDC_UNKNOWN;
}

static int checked(const verdicts *v, const char *id)
{
    for (size_t k = 0; k < v->n; k++)
        if (strcmp(v->res[k].id, id) == 0)
            return 1;
    return 0;
}

/* The strongest class an applicable theorem guarantees at one level. */
typedef struct {
    const char *cls, *id; /* NULL when none */
    int rank;
} strongest;

static void consider(strongest *s, const char *cls, const char *id)
{
    int r = cls != NULL ? idc_thm_class_rank(cls) : 0;
    if (r > s->rank) {
        s->rank = r;
        s->cls = cls;
        s->id = id;
    }
}

/* Per-theorem applicability (lemmas are not applied), as JSON; *map = the
 * strongest map-level class of zhat = g(x) an applicable theorem gives
 * (AFF_F gives AT), *law = the strongest law-level class. */
static json_t *theorems_json(const verdicts *v, strongest *map, strongest *law)
{
    json_t *arr = json_array();
    memset(map, 0, sizeof *map);
    memset(law, 0, sizeof *law);
    for (size_t i = 0; i < idc_thm_count(); i++) {
        const idc_thm_info *t = idc_thm_at(i);
        if (t->kind != IDC_THM_THEOREM)
            continue;
        const char *blocking;
        idc_verdict a = idc_thm_applies(t, lookup, (void *)v, &blocking);
        json_t *est = json_array();
        for (size_t k = 0; k < IDC_THM_MAX_EST && t->estimator[k] != NULL; k++)
            json_array_append_new(est, json_string(t->estimator[k]));
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s,s:s?,s:s?,s:o}", "id", t->id, "applies", idc_verdict_name(a),
                           "conclusion", t->conclusion, "level", t->level, "map_class", t->map_class, "identifies",
                           t->identifies, "blocking", blocking, "blocking_verdict",
                           blocking ? (checked(v, blocking) ? idc_verdict_name(lookup((void *)v, blocking))
                                                            : "not checked")
                                    : NULL,
                           "estimator_conditions", est));
        if (a != IDC_HOLDS)
            continue;
        consider(map, t->map_class, t->id);
        if (strcmp(t->level, "law") == 0)
            consider(law, t->conclusion, t->id);
    }
    return arr;
}

static void print_theorems(const json_t *arr, const strongest *map, const strongest *law)
{
    size_t i;
    json_t *o;
    printf("theorems (THEORY.md Sec. 4):\n");
    json_array_foreach(arr, i, o)
    {
        const char *a = json_string_value(json_object_get(o, "applies"));
        const char *b = json_string_value(json_object_get(o, "blocking"));
        const char *level = json_string_value(json_object_get(o, "level"));
        const char *mc = json_string_value(json_object_get(o, "map_class"));
        char lev[64];
        if (strcmp(level, "decoder") == 0 && mc != NULL)
            snprintf(lev, sizeof lev, "decoder level, map-level %s", mc);
        else
            snprintf(lev, sizeof lev, "%s level", level);
        printf("  %-6s %-15s %-6s of %-15s %s", json_string_value(json_object_get(o, "id")),
               strcmp(a, "HOLDS") == 0 ? "applies" : (strcmp(a, "FAILS") == 0 ? "does not apply" : "undecided"),
               json_string_value(json_object_get(o, "conclusion")),
               json_string_value(json_object_get(o, "identifies")), lev);
        if (b != NULL)
            printf(" (%s %s)", b, json_string_value(json_object_get(o, "blocking_verdict")));
        json_t *est = json_object_get(o, "estimator_conditions");
        if (json_array_size(est) > 0) {
            printf(" [for an estimator with");
            size_t k;
            json_t *e;
            json_array_foreach(est, k, e) printf(" %s", json_string_value(e));
            printf("]");
        }
        printf("\n");
    }
    if (map->cls == NULL && law->cls == NULL) {
        printf("strongest guaranteed class: none certified\n");
        return;
    }
    printf("strongest guaranteed class: ");
    if (map->cls != NULL)
        printf("%s (%s) at the map level", map->cls, map->id);
    else
        printf("none certified at the map level");
    if (law->cls != NULL)
        printf("; %s (%s) at the law level", law->cls, law->id);
    printf("\n");
}

/* Runs the checks ids[0..nids) on inst into res[0..nids) (initialised
 * here; clear them afterwards). */
static int run_checks(idc_pre_result *res, const char *const *ids, size_t nids, const idc_instance *inst,
                      const char *hash, const idc_budget *budget, idc_err *err, int say)
{
    int rc = IDC_OK;
    for (size_t k = 0; k < nids; k++)
        idc_pre_result_init(&res[k]);
    for (size_t k = 0; k < nids && rc == IDC_OK; k++) {
        rc = idc_pre_check_hashed(&res[k], ids[k], inst, hash, budget, err);
        if (rc != IDC_OK && say)
            idc_cli_error("check", "%s: %s", ids[k], err->msg);
    }
    return rc;
}

/* The --json document of the checks. */
static json_t *check_doc(const char *path, const char *hash, const idc_budget *budget, const idc_pre_result *res,
                         size_t nids)
{
    json_t *root = json_object(), *arr = json_array();
    json_object_set_new(root, "instance", json_string(path));
    json_object_set_new(root, "model_hash", json_string(hash));
    json_object_set_new(root, "budget_seconds", json_real(budget->seconds));
    for (size_t k = 0; k < nids; k++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(res[k].id));
        json_object_set_new(o, "verdict", json_string(idc_verdict_name(res[k].verdict)));
        json_object_set_new(o, "reason", json_string(res[k].reason));
        json_object_set(o, "certificate", res[k].cert != NULL ? res[k].cert : json_null());
        json_array_append_new(arr, o);
    }
    json_object_set_new(root, "preconditions", arr);
    verdicts vv = {res, nids};
    strongest map, law;
    json_object_set_new(root, "theorems", theorems_json(&vv, &map, &law));
    json_object_set_new(root, "strongest_class", map.cls ? json_string(map.cls) : json_null());
    json_object_set_new(root, "strongest_law_class", law.cls ? json_string(law.cls) : json_null());
    return root;
}

/* What re-running the checks needs (cli/record.h). */
static json_t *check_config(const char *path, const char *const *ids, size_t nids, const idc_budget *budget)
{
    json_t *a = json_array();
    for (size_t k = 0; k < nids; k++)
        json_array_append_new(a, json_string(ids[k]));
    return json_pack("{s:o,s:f,s:I,s:s}", "ids", a, "budget_seconds", budget->seconds, "max_entries",
                     (json_int_t)budget->max_entries, "instance_path", path);
}

int idc_cli_check_rederive(json_t **record, json_t **verdicts_out, const json_t *config, const char *instance_json,
                           idc_err *err)
{
    *record = NULL;
    *verdicts_out = NULL;
    const json_t *a = json_object_get(config, "ids"), *bs = json_object_get(config, "budget_seconds"),
                 *me = json_object_get(config, "max_entries");
    const char *path = json_string_value(json_object_get(config, "instance_path"));
    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > MAX_IDS || !json_is_number(bs) ||
        !json_is_integer(me) || json_integer_value(me) < 0 || path == NULL || instance_json == NULL)
        return idc_err_set(err, IDC_EINVAL, "check record: config: expected ids, budget_seconds, max_entries, "
                                            "instance_path and an instance");
    const char *ids[MAX_IDS];
    size_t nids = 0, i;
    json_t *e;
    json_array_foreach(a, i, e)
    {
        ids[nids] = json_string_value(e);
        if (ids[nids] == NULL || idc_pre_info_find(ids[nids]) == NULL)
            return idc_err_set(err, IDC_EINVAL, "check record: config.ids[%zu]: not a precondition of this idcheck",
                               i);
        nids++;
    }
    idc_budget budget = {json_number_value(bs), (size_t)json_integer_value(me)};
    idc_instance inst;
    int rc = idc_instance_read_string(&inst, instance_json, err);
    if (rc != IDC_OK)
        return rc;
    char hash[65];
    rc = idc_instance_hash(hash, &inst, err);
    idc_pre_result *res = calloc(nids, sizeof *res);
    if (rc == IDC_OK && res == NULL)
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    if (rc == IDC_OK) {
        rc = run_checks(res, ids, nids, &inst, hash, &budget, err, 0);
        if (rc == IDC_OK) {
            *record = check_doc(path, hash, &budget, res, nids);
            *verdicts_out = json_incref(json_object_get(*record, "preconditions"));
        }
        for (size_t k = 0; k < nids; k++)
            idc_pre_result_clear(&res[k]);
    }
    free(res);
    idc_instance_clear(&inst);
    return rc;
}

int idc_cli_check(int argc, char **argv)
{
    const char *path = NULL;
    int as_json = 0;
    const char *dbpath = NULL;
    idc_budget budget = idc_budget_default();
    const char *ids[MAX_IDS];
    size_t nids = 0;
    char only_buf[1024] = "";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            help(stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            as_json = 1;
        } else if (strcmp(a, "--db") == 0) {
            if (i + 1 >= argc) {
                idc_cli_error("check", "--db: missing FILE");
                return 2;
            }
            dbpath = argv[++i];
        } else if (strcmp(a, "--budget") == 0) {
            if (i + 1 >= argc) {
                idc_cli_error("check", "--budget: missing SECONDS");
                return 2;
            }
            if (!idc_cli_parse_double("--budget", argv[++i], &budget.seconds))
                return 2;
            if (budget.seconds < 0) {
                idc_cli_error("check", "--budget: expected SECONDS >= 0, got %s", argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--max-entries") == 0) {
            if (i + 1 >= argc) {
                idc_cli_error("check", "--max-entries: missing N");
                return 2;
            }
            if (!idc_cli_parse_size("--max-entries", argv[++i], &budget.max_entries))
                return 2;
        } else if (strcmp(a, "--only") == 0) {
            if (i + 1 >= argc) {
                idc_cli_error("check", "--only: missing ID list");
                return 2;
            }
            snprintf(only_buf, sizeof only_buf, "%s", argv[++i]);
            for (char *tok = strtok(only_buf, ","); tok != NULL; tok = strtok(NULL, ",")) {
                if (idc_pre_info_find(tok) == NULL) {
                    idc_cli_error("check", "--only: unknown precondition ID \"%s\"", tok);
                    return 2;
                }
                if (nids == MAX_IDS) {
                    idc_cli_error("check", "--only: more than %d IDs", MAX_IDS);
                    return 2;
                }
                ids[nids++] = tok;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            idc_cli_error("check", "unknown option \"%s\" (see idcheck check --help)", a);
            return 2;
        } else if (path == NULL) {
            path = a;
        } else {
            idc_cli_error("check", "unexpected argument \"%s\" (one instance file)", a);
            return 2;
        }
    }
    if (path == NULL) {
        help(stderr);
        return 2;
    }
    if (nids == 0)
        for (size_t k = 0; k < NDEFAULT; k++)
            ids[nids++] = DEFAULT_IDS[k];

    idc_cli_db db = {0};
    if (dbpath != NULL) {
        int dcode = idc_cli_db_begin(&db, dbpath, "check", argc, argv, 0);
        if (dcode != 0)
            return dcode;
    }
    idc_instance inst;
    idc_err err;
    int rc = idc_instance_read_file(&inst, path, &err);
    if (rc != IDC_OK) {
        idc_cli_error("check", "%s", err.msg);
        idc_cli_db_abandon(&db);
        return idc_status_exit_code(rc);
    }
    char hash[65];
    rc = idc_instance_hash(hash, &inst, &err);
    if (rc != IDC_OK) {
        idc_cli_error("check", "%s", err.msg);
        idc_instance_clear(&inst);
        idc_cli_db_abandon(&db);
        return idc_status_exit_code(rc);
    }
    idc_pre_result *res = calloc(nids, sizeof *res);
    if (res == NULL) {
        idc_cli_error("check", "out of memory");
        idc_instance_clear(&inst);
        idc_cli_db_abandon(&db);
        return 3;
    }
    rc = run_checks(res, ids, nids, &inst, hash, &budget, &err, 1);
    if (rc == IDC_OK && db.store != NULL) { /* recorded before anything is printed */
        json_t *doc = check_doc(path, hash, &budget, res, nids), *conf = check_config(path, ids, nids, &budget);
        rc = doc != NULL && conf != NULL ? idc_cli_db_check(&db, doc, conf, &inst, &err)
                                         : idc_err_set(&err, IDC_ENOMEM, "out of memory");
        if (rc != IDC_OK)
            idc_cli_error("check", "%s", err.msg);
        json_decref(doc);
        json_decref(conf);
    }
    int code = idc_status_exit_code(rc);
    if (rc == IDC_OK && as_json) {
        json_t *root = check_doc(path, hash, &budget, res, nids);
        if (json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
            fputc('\n', stdout) == EOF) {
            idc_cli_error("check", "cannot write the report to stdout");
            code = 3;
        }
        json_decref(root);
    } else if (rc == IDC_OK) {
        printf("instance %s  model_hash %s\n", path, hash);
        for (size_t k = 0; k < nids; k++)
            printf("%-6s %-8s %s\n", res[k].id, idc_verdict_name(res[k].verdict), res[k].reason);
        verdicts vv = {res, nids};
        strongest map, law;
        json_t *thms = theorems_json(&vv, &map, &law);
        print_theorems(thms, &map, &law);
        json_decref(thms);
        printf("certificates:\n");
        for (size_t k = 0; k < nids; k++)
            summary(stdout, &res[k]);
    }
    for (size_t k = 0; k < nids; k++)
        idc_pre_result_clear(&res[k]);
    free(res);
    idc_instance_clear(&inst);
    if (rc != IDC_OK)
        idc_cli_db_abandon(&db);
    else if (idc_cli_db_end(&db, "ok") != 0 && code == 0)
        code = 2;
    if (fflush(stdout) != 0 && code == 0)
        code = 3;
    return code;
}
