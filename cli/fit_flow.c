/* idcheck fit INSTANCE.json --estimator flow [...] -o FIT.json [--emit-model FITTED.json]
 *
 * The exact-likelihood flow (models/estimators/flow.h) through properties/pipeline_flow.h:
 * trains on N samples, selects by the exact likelihood of N/4 validation
 * samples, and measures the KL gap and the metrics on EVAL fresh samples.
 * --emit-model writes the fitted model as an ordinary instance (P^ and
 * f^ = g^-1), so `idcheck check FITTED.json` certifies its class membership
 * (P1nd, F1, FC, F4) with the exact checkers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/db.h"
#include "cli/record.h"
#include "models/engine/backend_select.h"
#include "numeric/fileio.h"
#include "properties/pipeline_flow.h"
#include "reports/provenance.h"

static void help(FILE *fp)
{
    fprintf(fp,
            "usage: idcheck fit INSTANCE.json --estimator flow [--init random|perturbed-truth] [--eps E]\n"
            "                   [--depth T] [--J K] [--steps K] [--batch B] [--lr R] [--threads T]\n"
            "                   [--max-seconds S] [--seed S] [-n N] [--eval N] [--zhat ZHAT.npy] [--device D]\n"
            "                   [--emit-model FITTED.json] [--db RESULTS.sqlite] -o FIT.json\n\n"
            "The exact-likelihood flow for square noiseless instances (m = n, sigma = 0, a\n"
            "non-degenerate GMM through a leaky-ReLU MLP with square invertible layers): a latent\n"
            "GMM with K components (default: the instance's J) and an LU-parametrised leaky encoder\n"
            "of depth T (default: the instance's), trained by Adam on the exact negative\n"
            "log-likelihood (THEORY.md §8). --init random (default) is the cold start (any model of\n"
            "the class); --init perturbed-truth --eps E starts at a random affine re-parametrisation\n"
            "of the truth perturbed by relative noise E (a local probe). The cold start uses the\n"
            "data only: its hidden layers lie on the hyperplanes across which the data's density\n"
            "jumps (models/estimators/kinks.h), each oriented and placed by likelihood, then EM\n"
            "gives the prior.\n"
            "Samples: N training (default 20000), N/4 validation (the checkpoint with the best exact\n"
            "likelihood is kept), EVAL fresh (default 20000) on which the KL gap KL(P_X || P^_X)\n"
            "with its 95%% interval, R^2 (both ways), MCC and dist_Aff,L2 of the fitted prior are\n"
            "measured. Defaults: 2000 full-batch steps, lr 0.01 cosine to 1e-4, 1 thread (the\n"
            "result is the same bit for bit for every --threads).\n"
            "--db FILE: also records the fit in the results store FILE (docs/STORE.md \"records\"),\n"
            "which `idcheck audit FILE` re-derives (a --max-seconds budget makes a fit depend on the\n"
            "machine's speed: its audit may then differ).\n"
            "--device cpu|cuda|auto (default cpu): where the row sums of each gradient and evaluation\n"
            "run; cuda needs a build with CUDA and a device, auto takes cuda when both are there,\n"
            "else cpu with a note on stderr. A device fit follows the CPU's to rounding (the GPU's\n"
            "exp/log), and is bit-identical run to run on one GPU model (gpu/README.md; the cuda\n"
            "path is written and compiled, never yet run on a GPU). FIT.json records the device.\n");
}

int idc_cli_fit_flow_env(int argc, char **argv, idc_cli_fit_env *env)
{
    const char *inpath = NULL, *outpath = NULL, *zpath = NULL, *emit = NULL, *init = "random", *device = "cpu";
    size_t n = 20000, neval = 20000, steps = 0, batch = 0, depth = 0, J = 0, threads = 1;
    double lr = 0, eps = 0.1, maxs = 0;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc, ok = 1;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            help(stdout);
            return 0;
        }
        if (strcmp(a, "--estimator") == 0 && more)
            i++;
        else if (strcmp(a, "-o") == 0 && more)
            outpath = argv[++i];
        else if (strcmp(a, "--zhat") == 0 && more)
            zpath = argv[++i];
        else if (strcmp(a, "--emit-model") == 0 && more)
            emit = argv[++i];
        else if (strcmp(a, "--db") == 0 && more) {
            const char *d = argv[++i];
            env->db_path = env->capture ? NULL : d;
        }
        else if (strcmp(a, "--init") == 0 && more)
            init = argv[++i];
        else if (strcmp(a, "--eps") == 0 && more)
            ok = idc_cli_parse_double(a, argv[++i], &eps);
        else if (strcmp(a, "--lr") == 0 && more)
            ok = idc_cli_parse_double(a, argv[++i], &lr);
        else if (strcmp(a, "--max-seconds") == 0 && more)
            ok = idc_cli_parse_double(a, argv[++i], &maxs);
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
        else if (strcmp(a, "--depth") == 0 && more)
            ok = idc_cli_parse_size(a, argv[++i], &depth);
        else if (strcmp(a, "--J") == 0 && more)
            ok = idc_cli_parse_size(a, argv[++i], &J);
        else if (strcmp(a, "--threads") == 0 && more)
            ok = idc_cli_parse_size(a, argv[++i], &threads);
        else if (strcmp(a, "--device") == 0 && more)
            device = argv[++i];
        else if (a[0] != '-' && inpath == NULL)
            inpath = a;
        else {
            idc_cli_error("fit", "unexpected argument \"%s\" for --estimator flow (see idcheck fit --estimator flow "
                                 "--help)",
                          a);
            return 2;
        }
        if (!ok)
            return 2;
    }
    if (inpath == NULL || outpath == NULL) {
        help(stderr);
        return 2;
    }
    if (strcmp(init, "random") != 0 && strcmp(init, "perturbed-truth") != 0) {
        idc_cli_error("fit", "--init: expected random or perturbed-truth, got \"%s\"", init);
        return 2;
    }
    idc_device dev = IDC_DEVICE_CPU;
    {
        idc_err derr;
        char note[IDC_ERR_LEN] = "";
        idc_device want;
        if (idc_device_parse(&want, device, &derr) != IDC_OK ||
            idc_device_resolve(&dev, want, note, sizeof note, &derr) != IDC_OK) {
            idc_cli_error("fit", "%s", derr.msg);
            return 2;
        }
        if (note[0] != '\0' && !env->capture)
            fprintf(stderr, "idcheck fit: %s\n", note);
    }
    FILE *say = stdout;
    static FILE *devnull = NULL;
    if (env->capture) {
        if (devnull == NULL)
            devnull = fopen("/dev/null", "w");
        if (devnull == NULL) {
            idc_cli_error("fit", "/dev/null: cannot open");
            return 3;
        }
        say = devnull;
    }
    idc_cli_db db = {0};
    if (env->db_path != NULL) {
        int code = idc_cli_db_begin(&db, env->db_path, "fit", argc, argv, 0);
        if (code != 0)
            return code;
    }
    idc_err err;
    idc_instance inst;
    int rc = env->capture ? idc_instance_read_string(&inst, env->instance_json, &err)
                          : idc_instance_read_file(&inst, inpath, &err);
    if (rc != IDC_OK) {
        idc_cli_error("fit", "%s", err.msg);
        idc_cli_db_abandon(&db);
        return idc_status_exit_code(rc);
    }
    size_t m = inst.prior.dim;
    idc_flow_config c;
    idc_flow_config_default(&c, m);
    c.depth = depth ? depth : inst.map.kind == IDC_MAP_MLP ? inst.map.nlayers : 2;
    if (inst.map.kind == IDC_MAP_MLP && inst.map.nlayers > 1 && inst.map.layers[0].act == IDC_ACT_LEAKY)
        c.slope = inst.map.layers[0].slope;
    c.J = J ? J : inst.prior.ncomp;
    c.init = strcmp(init, "random") == 0 ? IDC_FLOW_INIT_RANDOM : IDC_FLOW_INIT_PERTURBED;
    c.eps = eps;
    if (steps)
        c.steps = steps;
    c.batch = batch;
    if (lr > 0) {
        c.lr = lr;
        c.lr_final = lr / 100;
    }
    c.threads = threads > 64 ? 65 : (unsigned)threads;
    c.max_seconds = maxs;
    c.seed = seed;
    c.device = dev;
    rc = idc_flow_config_check(&c, &err);
    idc_pipeline_opts o = {.n_train = n, .n_eval = neval, .seed = seed};
    idc_pipeline_flow_result pr;
    memset(&pr, 0, sizeof pr);
    idc_flow *f = NULL;
    if (rc == IDC_OK)
        rc = idc_pipeline_flow(&pr, &f, &inst, &c, &o, &err);
    idc_instance fitted;
    idc_instance_init(&fitted);
    if (rc == IDC_OK && emit != NULL)
        rc = idc_flow_get_instance(f, &fitted, &err);
    char *fit_txt = NULL, *model_txt = NULL, *npy = NULL;
    json_t *record = NULL; /* FIT.json without provenance, for --db */
    size_t npy_len = 0;
    if (rc == IDC_OK) {
        fprintf(say, "flow (%s start): %zu steps (best %zu), %.1f s; KL gap %.4f +- %.4f nats; held-out R2 %.4f "
               "(z on zhat %.4f), MCC %.4f; dist_Aff,L2 %s%.4g\n",
               init, pr.fit.steps, pr.fit.best_step, pr.fit.seconds, pr.kl_gap, pr.kl_half, pr.base.r2.r2_out,
               pr.r2_rev_out, pr.base.mcc.mcc_out, isnan(pr.dist_aff) ? "n/a " : "", pr.dist_aff);
        json_t *out = json_incref(pr.base.record);
        json_object_set_new(out, "model", idc_flow_get_json(f));
        char hash[65];
        rc = idc_instance_hash(hash, &inst, &err);
        json_object_set_new(out, "instance", json_string(inpath));
        json_object_set_new(out, "model_hash", json_string(hash));
        json_object_set_new(out, "device", json_string(idc_device_name(dev)));
        if (env->capture) { /* re-derived: the record, no file */
            env->record = idc_cli_fit_record(out);
            if (env->record == NULL && rc == IDC_OK)
                rc = idc_err_set(&err, IDC_ENOMEM, "out of memory");
        } else if (rc == IDC_OK) {
            record = json_incref(out);
        }
        json_object_set_new(out, "provenance", idc_provenance_json());
        fit_txt = json_dumps(out, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
        json_decref(out);
        if (emit != NULL)
            model_txt = idc_instance_dump(&fitted);
        if (fit_txt == NULL || (emit != NULL && model_txt == NULL))
            rc = idc_err_set(&err, IDC_ENOMEM, "out of memory");
    }
    if (rc == IDC_OK && zpath != NULL && !env->capture)
        rc = idc_npy_encode_f64(&npy, &npy_len, pr.base.zhat, o.n_eval, m, &err);
    if (rc == IDC_OK && !env->capture) { /* FIT.json, FITTED.json and the codes: one unit */
        idc_fileset *fs = idc_fileset_new();
        rc = fs == NULL ? idc_err_set(&err, IDC_ENOMEM, "out of memory")
                        : idc_fileset_add(fs, outpath, fit_txt, strlen(fit_txt), &err);
        if (rc == IDC_OK && emit != NULL)
            rc = idc_fileset_add(fs, emit, model_txt, strlen(model_txt), &err);
        if (rc == IDC_OK && zpath != NULL)
            rc = idc_fileset_add(fs, zpath, npy, npy_len, &err);
        if (rc == IDC_OK)
            rc = idc_fileset_commit(fs, &err);
        idc_fileset_free(fs);
    }
    if (rc == IDC_OK && record != NULL)
        rc = idc_cli_db_fit(&db, record, &inst, argc, argv, inpath, seed, &err);
    json_decref(record);
    free(fit_txt);
    free(model_txt);
    free(npy);
    idc_instance_clear(&fitted);
    idc_flow_free(f);
    idc_pipeline_flow_result_clear(&pr);
    idc_instance_clear(&inst);
    if (rc != IDC_OK) {
        idc_cli_error("fit", "%s", err.msg);
        idc_cli_db_abandon(&db);
        return idc_status_exit_code(rc);
    }
    return idc_cli_db_end(&db, "ok");
}
