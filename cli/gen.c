/* idcheck gen NAME [--param k=v | --k v]... --seed S -o FILE */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "generators/pdgmm.h"

static void help(FILE *fp)
{
    fprintf(fp, "usage: idcheck gen NAME [--KEY VALUE | --param KEY=VALUE]... [--seed S] -o FILE\n"
                "       idcheck gen --list\n\n"
                "Writes a random instance (idcheck_format 1), a pure function of the parameters\n"
                "and the seed; the generator's name, version, seed and parameters are recorded\n"
                "in the instance.\n");
}

static void list(void)
{
    printf("pdgmm (version %s): random pdGMM latent + injective leaky-ReLU MLP mixing\n%s",
           IDC_GEN_PDGMM_VERSION, idc_gen_pdgmm_help());
}

int idc_cli_gen(int argc, char **argv)
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
    if (strcmp(argv[1], "pdgmm") != 0) {
        idc_cli_error("gen", "unknown generator \"%s\" (gen --list shows them)", argv[1]);
        return 2;
    }
    idc_gen_pdgmm_params p;
    idc_gen_pdgmm_defaults(&p);
    uint64_t seed = 1;
    const char *outpath = NULL;
    idc_err err;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 && i + 1 < argc) {
            outpath = argv[++i];
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
            if (idc_gen_pdgmm_set(&p, kv, eq + 1, &err) != IDC_OK) {
                idc_cli_error("gen", "%s", err.msg);
                return 2;
            }
        } else if (strncmp(a, "--", 2) == 0 && i + 1 < argc) {
            if (idc_gen_pdgmm_set(&p, a + 2, argv[++i], &err) != IDC_OK) {
                idc_cli_error("gen", "%s", err.msg);
                return 2;
            }
        } else {
            idc_cli_error("gen", "unexpected argument \"%s\" (see idcheck gen --help)", a);
            return 2;
        }
    }
    if (outpath == NULL) {
        idc_cli_error("gen", "missing -o FILE");
        return 2;
    }
    idc_instance inst;
    int rc = idc_gen_pdgmm(&inst, &p, seed, &err);
    if (rc == IDC_OK)
        rc = idc_instance_validate(&inst, &err);
    if (rc == IDC_OK)
        rc = idc_instance_write_file(&inst, outpath, &err);
    idc_instance_clear(&inst);
    if (rc != IDC_OK) {
        idc_cli_error("gen", "%s", err.msg);
        return idc_status_exit_code(rc);
    }
    return 0;
}
