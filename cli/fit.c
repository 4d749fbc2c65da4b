/* idcheck fit INSTANCE.json --estimator stage1 [...] -o FIT.json */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "numeric/fileio.h"
#include "properties/pipeline.h"
#include "reports/provenance.h"

static void help(FILE *fp)
{
    fprintf(fp,
            "usage: idcheck fit INSTANCE.json --estimator stage1 [--seed S] [-n N] [--eval N]\n"
            "                   [--steps K] [--batch B] [--lr R] [--hidden-mult K | --hidden W1,W2,...]\n"
            "                   [--code-weight C] [--zhat ZHAT.npy] -o FIT.json\n\n"
            "Draws N + EVAL samples of the instance (streams keyed by S, trial 0), trains the\n"
            "estimator on the first N, encodes the EVAL held-out samples and scores them\n"
            "against their true latents (R^2 and MCC, out of sample). FIT.json holds the trained\n"
            "weights, the config, the loss trace, the metrics and the provenance.\n"
            "Defaults: N = the instance's samples, EVAL = N/2 (at least 100), the Stage-1\n"
            "defaults of the pdGMM paper (widths 50m,100m,100m,50m; lr 1e-4; batch 6144; 5000\n"
            "steps), which are slow on a CPU: use --hidden-mult 8 --batch 256 --lr 1e-3 to try.\n");
}

static int parse_widths(idc_stage1_config *c, const char *s)
{
    size_t n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        unsigned long long w = strtoull(p, &end, 10);
        if (end == p || w == 0 || w > 65536 || n >= IDC_STAGE1_MAX_HIDDEN)
            return 0;
        c->hidden[n++] = (size_t)w;
        p = end;
        if (*p == ',')
            p++;
        else if (*p != '\0')
            return 0;
    }
    c->nhidden = n;
    return n > 0;
}

int idc_cli_fit(int argc, char **argv)
{
    const char *inpath = NULL, *outpath = NULL, *zpath = NULL, *est = NULL, *widths = NULL;
    size_t n = 0, neval = 0, steps = 0, batch = 0, hmult = 0;
    double lr = 0, cw = -1;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            help(stdout);
            return 0;
        }
        int ok = 1;
        if (strcmp(a, "--estimator") == 0 && more)
            est = argv[++i];
        else if (strcmp(a, "-o") == 0 && more)
            outpath = argv[++i];
        else if (strcmp(a, "--zhat") == 0 && more)
            zpath = argv[++i];
        else if (strcmp(a, "--seed") == 0 && more)
            ok = idc_cli_parse_u64(a, argv[++i], &seed);
        else if (strcmp(a, "-n") == 0 && more)
            ok = idc_cli_parse_size(a, argv[++i], &n);
        else if (strcmp(a, "--eval") == 0 && more)
            ok = idc_cli_parse_size(a, argv[++i], &neval);
        else if (strcmp(a, "--steps") == 0 && more)
            ok = idc_cli_parse_size(a, argv[++i], &steps);
        else if (strcmp(a, "--batch") == 0 && more)
            ok = idc_cli_parse_size(a, argv[++i], &batch);
        else if (strcmp(a, "--hidden-mult") == 0 && more)
            ok = idc_cli_parse_size(a, argv[++i], &hmult);
        else if (strcmp(a, "--hidden") == 0 && more)
            widths = argv[++i];
        else if (strcmp(a, "--lr") == 0 && more)
            ok = idc_cli_parse_double(a, argv[++i], &lr);
        else if (strcmp(a, "--code-weight") == 0 && more)
            ok = idc_cli_parse_double(a, argv[++i], &cw);
        else if (a[0] != '-' && inpath == NULL)
            inpath = a;
        else {
            idc_cli_error("fit", "unexpected argument \"%s\" (see idcheck fit --help)", a);
            return 2;
        }
        if (!ok)
            return 2;
    }
    if (inpath == NULL || outpath == NULL || est == NULL) {
        help(stderr);
        return 2;
    }
    if (strcmp(est, "stage1") != 0) {
        idc_cli_error("fit", "--estimator: unknown estimator \"%s\" (available: stage1)", est);
        return 2;
    }
    idc_err err;
    idc_instance inst;
    int rc = idc_instance_read_file(&inst, inpath, &err);
    if (rc != IDC_OK) {
        idc_cli_error("fit", "%s", err.msg);
        return idc_status_exit_code(rc);
    }
    size_t m = inst.prior.dim;
    idc_stage1_config c;
    idc_stage1_config_default(&c, m);
    c.seed = seed;
    if (steps)
        c.steps = steps;
    if (batch)
        c.batch = batch;
    if (lr > 0)
        c.lr = lr;
    if (cw >= 0)
        c.code_weight = cw;
    if (hmult) {
        size_t mult[4] = {hmult, 2 * hmult, 2 * hmult, hmult};
        rc = idc_stage1_config_set_hidden_mult(&c, 4, mult, &err);
    }
    if (rc == IDC_OK && widths != NULL && !parse_widths(&c, widths))
        rc = idc_err_set(&err, IDC_EINVAL, "--hidden: expected up to %d positive widths W1,W2,...",
                         IDC_STAGE1_MAX_HIDDEN);
    if (n == 0)
        n = inst.nsamples;
    if (neval == 0)
        neval = n / 2 < 100 ? 100 : n / 2;
    if (rc == IDC_OK)
        rc = idc_stage1_config_check(&c, inst.map.out_dim, &err);
    idc_pipeline_result res = {0};
    idc_stage1 *model = NULL;
    idc_pipeline_opts o = {n, neval, seed, 0};
    if (rc == IDC_OK)
        rc = idc_pipeline_stage1(&res, &model, &inst, &c, &o, &err);
    if (rc == IDC_OK) {
        char hash[65];
        rc = idc_instance_hash(hash, &inst, &err);
        json_t *out = res.record;
        json_incref(out);
        json_object_set_new(out, "instance", json_string(inpath));
        json_object_set_new(out, "model_hash", json_string(hash));
        json_object_set_new(out, "weights", idc_stage1_to_json(model));
        json_object_set_new(out, "provenance", idc_provenance_json());
        char *s = json_dumps(out, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
        json_decref(out);
        if (rc == IDC_OK && zpath != NULL)
            rc = idc_npy_write_f64(zpath, res.zhat, neval, c.latent_dim, &err);
        if (rc == IDC_OK)
            rc = s ? idc_write_file_atomic(outpath, s, strlen(s), &err)
                   : idc_err_set(&err, IDC_ENOMEM, "out of memory");
        free(s);
        if (rc == IDC_OK)
            printf("stage1: %zu steps, final loss %.5g, %.1f s; held-out R2 %.4f (in-sample %.4f), MCC %.4f\n",
                   c.steps, res.final_loss, res.train_seconds, res.r2.r2_out, res.r2.r2_in, res.mcc.mcc_out);
    }
    idc_stage1_free(model);
    idc_pipeline_result_clear(&res);
    idc_instance_clear(&inst);
    if (rc != IDC_OK) {
        idc_cli_error("fit", "%s", err.msg);
        return idc_status_exit_code(rc);
    }
    return 0;
}
