/* idcheck prop: run a theorem property over random trials. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "numeric/fileio.h"
#include "properties/prop.h"
#include "reports/provenance.h"

static void help(FILE *fp)
{
    fprintf(fp,
            "usage: idcheck prop --list\n"
            "       idcheck prop ID [--trials K] [--seed S] [--jobs N] [--KEY VALUE | --param KEY=VALUE]...\n"
            "                       [--replay SEED:TRIAL] [-o RESULTS.json] [--quiet]\n\n"
            "Runs trials 0..K-1 (default K = 5, S = 1) of property ID. Trial k is a pure function of\n"
            "(S, k) and of the parameters, whatever --jobs is. Prints one line per trial, an\n"
            "IDC-FAIL line and a replay command per failing trial, and the summary line\n"
            "  N passed, N failed, N discarded\n"
            "Exit: 0 no trial failed, 1 some trial failed, 2 bad usage, 3 internal error.\n");
}

static void list(void)
{
    for (size_t i = 0; i < idc_prop_count(); i++) {
        const idc_prop_def *d = idc_prop_get(i);
        printf("%s: %s\n  parameters (name default description):\n%s", d->id, d->summary, d->params_help);
    }
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
    idc_prop_run_opts o = {1, 0, 5, 1, stdout, NULL};
    const char *outpath = NULL;
    int quiet = 0, code = 2;
    char replay_args[1024] = "";
    idc_err err;
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
        } else if (strcmp(a, "-o") == 0 && more) {
            outpath = argv[++i];
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
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
    o.replay_args = replay_args;
    if (quiet)
        o.progress = NULL;
    idc_prop_summary sum;
    json_t *results = NULL;
    int rc = idc_prop_run(&sum, &results, def, params, &o, &err);
    if (results != NULL && outpath != NULL) {
        json_object_set_new(results, "provenance", idc_provenance_json());
        char cmd[1400];
        snprintf(cmd, sizeof cmd, "idcheck prop %s --trials %" PRIu32 " --seed 0x%" PRIx64 "%s%s", def->id,
                 o.trials, o.seed, replay_args[0] ? " " : "", replay_args);
        json_object_set_new(results, "command", json_string(cmd));
        json_object_set_new(results, "first_trial", json_integer(o.first));
        char *s = json_dumps(results, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
        int wrc = s ? idc_write_file_atomic(outpath, s, strlen(s), &err) : IDC_ENOMEM;
        free(s);
        if (wrc != IDC_OK && rc == IDC_OK) {
            rc = wrc;
            if (wrc == IDC_ENOMEM)
                idc_err_set(&err, wrc, "out of memory writing %s", outpath);
        }
    }
    json_decref(results);
    if (rc != IDC_OK) {
        idc_cli_error("prop", "%s", err.msg);
        code = rc == IDC_EIO ? 2 : 3;
        goto done;
    }
    printf("%s: %zu passed, %zu failed, %zu discarded\n", def->id, sum.passed, sum.failed, sum.discarded);
    if (sum.passed == 0 && sum.failed == 0)
        fprintf(stderr, "idcheck prop: warning: every trial was discarded; nothing was asserted\n");
    code = sum.failed > 0 ? 1 : 0;
done:
    free(params);
    return code;
}
