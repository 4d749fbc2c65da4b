/* idcheck gen NAME [--param k=v | --k v]... [--seed S] -o FILE
 * idcheck gen --list
 * idcheck gen NAME --intent [--param k=v]...   (prints the intent) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "generators/registry.h"

static void help(FILE *fp)
{
    fprintf(fp, "usage: idcheck gen NAME [--paper] [--KEY VALUE | --param KEY=VALUE]... [--seed S] -o FILE\n"
                "       idcheck gen NAME [--KEY VALUE]... --intent\n"
                "       idcheck gen --list\n\n"
                "Writes a random instance (idcheck_format 1), a pure function of the parameters\n"
                "and the seed; the generator's name, version, seed and parameters are recorded\n"
                "in the instance. --list shows every generator with its parameters, defaults\n"
                "and intent (the preconditions it makes hold or fail by construction);\n"
                "--intent prints the intent for the given parameters, one ID per line.\n"
                "--paper applies the generator's paper preset (xu: X Sec. 5 as the authors' code\n"
                "runs it: J = distinct masks among 5m draws, orth mixing with 10 layers; gen --list\n"
                "shows it) before the other knobs, which override it.\n");
}

static int set_param(idc_gen_values *v, const char *name, const char *value)
{
    idc_err err;
    if (idc_gen_set_param(v, name, value, &err) != IDC_OK) {
        idc_cli_error("gen", "%s", err.msg);
        return 0;
    }
    return 1;
}

int idc_cli_gen(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        help(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "--list") == 0) {
        char *s = idc_gen_list_text();
        if (s == NULL) {
            idc_cli_error("gen", "out of memory");
            return 3;
        }
        fputs(s, stdout);
        free(s);
        return 0;
    }
    if (argc < 2 || argv[1][0] == '-') {
        help(stderr);
        return 2;
    }
    const idc_gen_info *g = idc_gen_find(argv[1]);
    if (g == NULL) {
        idc_cli_error("gen", "unknown generator \"%s\" (gen --list shows them)", argv[1]);
        return 2;
    }
    idc_gen_values v;
    idc_gen_values_init(&v, g);
    /* --paper (a preset) first, wherever it stands, so explicit knobs override it */
    for (int i = 2; i < argc; i++) {
        idc_err perr;
        if (strcmp(argv[i], "--paper") == 0 && idc_gen_apply_preset(&v, "paper", &perr) != IDC_OK) {
            idc_cli_error("gen", "%s", perr.msg);
            return 2;
        }
        if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--seed") == 0 || strcmp(argv[i], "--param") == 0 ||
            (strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i], "--paper") != 0 && strcmp(argv[i], "--intent") != 0))
            i++; /* skip the value */
    }
    uint64_t seed = 1;
    const char *outpath = NULL;
    int want_intent = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 && i + 1 < argc) {
            outpath = argv[++i];
        } else if (strcmp(a, "--intent") == 0) {
            want_intent = 1;
        } else if (strcmp(a, "--paper") == 0) {
            continue; /* applied above */
        } else if (strcmp(a, "--seed") == 0 && i + 1 < argc) {
            if (!idc_cli_parse_u64("--seed", argv[++i], &seed))
                return 2;
        } else if (strcmp(a, "--param") == 0 && i + 1 < argc) {
            char kv[256];
            snprintf(kv, sizeof kv, "%s", argv[++i]);
            char *eq = strchr(kv, '=');
            if (eq == NULL) {
                idc_cli_error("gen", "--param: expected KEY=VALUE, got \"%s\"", kv);
                return 2;
            }
            *eq = '\0';
            if (!set_param(&v, kv, eq + 1))
                return 2;
        } else if (strncmp(a, "--", 2) == 0 && i + 1 < argc) {
            if (!set_param(&v, a + 2, argv[++i]))
                return 2;
        } else {
            idc_cli_error("gen", "unexpected argument \"%s\" (see idcheck gen --help)", a);
            return 2;
        }
    }
    idc_err err;
    if (want_intent) {
        idc_gen_intent it[IDC_GEN_INTENT_MAX];
        size_t n = 0;
        int rc = idc_gen_intent_get(it, &n, &v, &err);
        if (rc != IDC_OK) {
            idc_cli_error("gen", "%s", err.msg);
            return idc_status_exit_code(rc);
        }
        for (size_t k = 0; k < n; k++)
            printf("%s %s%s\n", it[k].id, idc_verdict_name(it[k].verdict),
                   it[k].may_unknown ? " (may be UNKNOWN with the current checkers)" : "");
        if (outpath == NULL)
            return 0;
    }
    if (outpath == NULL) {
        idc_cli_error("gen", "missing -o FILE");
        return 2;
    }
    idc_instance inst;
    int rc = idc_gen_generate(&inst, &v, seed, &err);
    if (rc == IDC_OK)
        rc = idc_instance_write_file(&inst, outpath, &err);
    idc_instance_clear(&inst);
    if (rc != IDC_OK) {
        idc_cli_error("gen", "%s", err.msg);
        return idc_status_exit_code(rc);
    }
    return 0;
}
