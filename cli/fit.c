/* idcheck fit INSTANCE.json --estimator stage1|kivva-e1 [...] -o FIT.json
 * idcheck fit --estimator kivva-e1 --codes ZHAT.npy --J K [--z Z.npy] -o FIT.json */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/db.h"
#include "cli/record.h"
#include "gpu/cuda.h"
#include "models/engine/backend_select.h"
#include "models/estimators/kivva_e1.h"
#include "models/estimators/stage2.h"
#include "models/estimators/vae.h"
#include "numeric/fileio.h"
#include "properties/pipeline.h"
#include "reports/provenance.h"

static void help(FILE *fp)
{
    fprintf(fp,
            "usage: idcheck fit INSTANCE.json --estimator stage1|stage2|kivva-e1 [--seed S] [-n N] [--eval N]\n"
            "                   [--steps K] [--batch B] [--lr R] [--hidden-mult K | --hidden W1,W2,...]\n"
            "                   [--code-weight C] [--J K] [--zhat ZHAT.npy] [--device D] [--threads T]\n"
            "                   -o FIT.json [--db RESULTS.sqlite]\n"
            "       idcheck fit INSTANCE.json --estimator vade|ivae|vae [--J K] [--hidden W1,W2,...]\n"
            "                   [--steps K] [--batch B] [--lr R] [--noise-var S2] [--pretrain-steps K]\n"
            "                   [--no-gmm-init] [--seed S] [-n N] [--eval N] [--zhat ZHAT.npy] -o FIT.json\n"
            "       idcheck fit --estimator kivva-e1 --codes CODES.npy --J K [--z Z.npy] [--seed S]\n"
            "                   [--zhat OUT.npy] -o FIT.json\n"
            "       idcheck fit INSTANCE.json --estimator flow [...] [--emit-model FITTED.json] -o FIT.json\n"
            "                   (the exact-likelihood flow: idcheck fit --estimator flow --help)\n\n"
            "stage2 (X Sec. 4): Stage 1, then the affine autoencoder on its codes with the L1\n"
            "constraint (Lagrangian, extra-gradient Adam; defaults: 80000 steps of 6144, lr 1e-4 /\n"
            "5e-5, eps 0.01; --s2-steps K --s2-batch B --s2-lr R --s2-lr-dual R --s2-eps E).\n"
            "kivva-e1 (K Thm E.1): fits a K-component GMM to codes (EM, 5 restarts) and unmixes\n"
            "them with the generalised eigenvectors of the two fitted covariances with the best\n"
            "separated ratios; on an instance it runs Stage 1 first and unmixes its held-out\n"
            "codes (K defaults to the instance's J); on a file it unmixes the given codes and\n"
            "scores them against --z when given.\n"
            "vade / ivae / vae (models/estimators/vae.h): VAE with a learnable J-component diagonal GMM prior\n"
            "(Kivva et al.'s baseline), with the conditional prior p(z|u) of the iVAE (u = the\n"
            "component label), or with N(0, I); defaults: hidden (64, 512, 64), lr 1e-3, s^2 0.01,\n"
            "VaDE 750 pretraining + 1000 steps of 100 rows, iVAE/VAE 5000 steps of 64 rows.\n\n"
            "Draws N + EVAL samples of the instance (streams keyed by S, trial 0), trains the\n"
            "estimator on the first N, encodes the EVAL held-out samples and scores them\n"
            "against their true latents (R^2 and MCC, out of sample). FIT.json holds the trained\n"
            "weights, the config, the loss trace, the metrics and the provenance.\n"
            "Defaults: N = the instance's samples, EVAL = N/2 (at least 100), the Stage-1\n"
            "defaults of the pdGMM paper (widths 50m,100m,100m,50m; lr 1e-4; batch 6144; 5000\n"
            "steps), which are slow on a CPU: use --hidden-mult 8 --batch 256 --lr 1e-3 to try.\n"
            "--device cpu|cuda|auto: where Stage 1 trains (default cpu). cuda needs a build with\n"
            "CUDA and a device; auto takes cuda when both are there, else cpu with a note on\n"
            "stderr. FIT.json records the backend and the device. Results agree across devices\n"
            "within rounding, and are bit-identical run to run on one device (gpu/README.md).\n"
            "--threads T (1..64, default 1): CPU threads of Stage 1's and Stage 2's training\n"
            "and encoding (large operations split over a thread team); the results are the same\n"
            "bit for bit for every T.\n"
            "--db FILE: also records the fit in the results store FILE (docs/STORE.md \"records\":\n"
            "the arguments, seed, instance, metrics and the hash of the trained weights), which\n"
            "`idcheck audit FILE` re-derives; not with --codes.\n");
}

/* Absolute widths "W1,W2,..." (at most max, each in 1..65536) into
 * hidden[0..*n). Returns 1, or 0 on a malformed list. */
static int parse_widths(size_t *hidden, size_t *n, size_t max, const char *s)
{
    size_t k = 0;
    const char *p = s;
    while (*p) {
        char *end;
        unsigned long long w = strtoull(p, &end, 10);
        if (end == p || w == 0 || w > 65536 || k >= max)
            return 0;
        hidden[k++] = (size_t)w;
        p = end;
        if (*p == ',')
            p++;
        else if (*p != '\0')
            return 0;
    }
    *n = k;
    return k > 0;
}

/* Fits kivva-e1 on the n x d codes, replaces them by the unmixed codes and,
 * when z (n x dz) is given, scores them (MCC and R^2, half split). *out =
 * {"J", "pair", "log_gap", "U", "b", "gmm": {...}, "mcc_in", "mcc_out",
 * "r2_out"}. */
static int unmix(json_t **out, double *codes, size_t n, size_t d, size_t J, uint64_t seed, const double *z, size_t dz,
                 idc_err *err)
{
    idc_kivva_e1 k;
    idc_kivva_e1_init(&k);
    idc_gmm_opts o = idc_gmm_opts_default();
    o.seed = seed;
    int rc = idc_kivva_e1_fit(&k, codes, n, d, J, &o, err);
    if (rc == IDC_OK)
        rc = idc_kivva_e1_apply(codes, &k, codes, n) == IDC_OK ? IDC_OK : idc_err_set(err, IDC_ENOMEM, "out of memory");
    if (rc == IDC_OK) {
        json_t *U = json_array(), *b = json_array(), *w = json_array(), *mu = json_array();
        for (size_t i = 0; i < d; i++) {
            json_t *row = json_array();
            for (size_t j = 0; j < d; j++)
                json_array_append_new(row, json_real(k.U[i * d + j]));
            json_array_append_new(U, row);
            json_array_append_new(b, json_real(k.b[i]));
        }
        for (size_t j = 0; j < J; j++) {
            json_array_append_new(w, json_real(k.gmm.weight[j]));
            json_t *row = json_array();
            for (size_t i = 0; i < d; i++)
                json_array_append_new(row, json_real(k.gmm.mean[j * d + i]));
            json_array_append_new(mu, row);
        }
        *out = json_pack("{s:I,s:[I,I],s:f,s:o,s:o,s:{s:o,s:o,s:f,s:I}}", "J", (json_int_t)J, "pair",
                         (json_int_t)k.pair[0], (json_int_t)k.pair[1], "log_gap", k.log_gap, "U", U, "b", b, "gmm",
                         "weights", w, "means", mu, "mean_loglik", k.gmm.loglik, "iterations", (json_int_t)k.gmm.iters);
    }
    if (rc == IDC_OK && z != NULL) {
        idc_mcc_result mc;
        idc_r2_result r2;
        rc = idc_metric_mcc(&mc, z, dz, codes, d, n, err);
        if (rc == IDC_OK) {
            json_object_set_new(*out, "mcc_in", json_real(mc.mcc_in));
            json_object_set_new(*out, "mcc_out", json_real(mc.mcc_out));
            idc_mcc_result_clear(&mc);
            rc = idc_metric_r2(&r2, z, dz, codes, d, n, err);
        }
        if (rc == IDC_OK) {
            json_object_set_new(*out, "r2_out", json_real(r2.r2_out));
            idc_r2_result_clear(&r2);
        }
    }
    idc_kivva_e1_clear(&k);
    return rc;
}

/* Writes FIT.json (text s) and, when zpath is set, the codes as one unit
 * (idc_fileset): both files are replaced, or neither. */
static int write_outputs(const char *outpath, const char *s, const char *zpath, const double *z, size_t rows,
                         size_t cols, idc_err *err)
{
    if (s == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    idc_fileset *fs = idc_fileset_new();
    if (fs == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    char *data = NULL;
    size_t len = 0;
    int rc = IDC_OK;
    if (zpath != NULL) {
        rc = idc_npy_encode_f64(&data, &len, z, rows, cols, err);
        if (rc == IDC_OK)
            rc = idc_fileset_add(fs, zpath, data, len, err);
        free(data);
    }
    if (rc == IDC_OK)
        rc = idc_fileset_add(fs, outpath, s, strlen(s), err);
    if (rc == IDC_OK)
        rc = idc_fileset_commit(fs, err);
    idc_fileset_free(fs);
    return rc;
}

static int fit_codes(const char *codes, const char *ztrue, size_t J, uint64_t seed, const char *zpath,
                     const char *outpath)
{
    idc_err err;
    double *X = NULL, *Z = NULL;
    size_t n = 0, d = 0, nz = 0, dz = 0;
    json_t *kj = NULL;
    int rc = idc_npy_read_f64(&X, &n, &d, codes, &err);
    if (rc == IDC_OK && J < 2)
        rc = idc_err_set(&err, IDC_EINVAL, "--J: kivva-e1 needs the number of components (>= 2)");
    if (rc == IDC_OK && ztrue != NULL) {
        rc = idc_npy_read_f64(&Z, &nz, &dz, ztrue, &err);
        if (rc == IDC_OK && nz != n)
            rc = idc_err_set(&err, IDC_EINVAL, "--z: %zu rows, --codes has %zu", nz, n);
    }
    if (rc == IDC_OK)
        rc = unmix(&kj, X, n, d, J, seed, Z, dz, &err);
    if (rc == IDC_OK) {
        json_object_set_new(kj, "codes", json_string(codes));
        json_object_set_new(kj, "estimator", json_string("kivva-e1"));
        json_object_set_new(kj, "provenance", idc_provenance_json());
        char *s = json_dumps(kj, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
        rc = write_outputs(outpath, s, zpath, X, n, d, &err);
        free(s);
        if (rc == IDC_OK) {
            json_t *mo = json_object_get(kj, "mcc_out");
            if (mo != NULL)
                printf("kivva-e1: %zu codes, J = %zu, held-out MCC %.4f\n", n, J, json_real_value(mo));
            else
                printf("kivva-e1: %zu codes, J = %zu, unmixed with the covariances of components %lld and %lld "
                       "(no --z to score)\n",
                       n, J, (long long)json_integer_value(json_array_get(json_object_get(kj, "pair"), 0)),
                       (long long)json_integer_value(json_array_get(json_object_get(kj, "pair"), 1)));
        }
    }
    json_decref(kj);
    free(X);
    free(Z);
    if (rc != IDC_OK) {
        idc_cli_error("fit", "%s", err.msg);
        return idc_status_exit_code(rc);
    }
    return 0;
}

/* The backend of --device (cpu, cuda, auto) into *be; auto's fallback note
 * goes to stderr. */
static int select_backend(const idc_backend **be, const char *device, idc_err *err)
{
    idc_device dev = IDC_DEVICE_CPU;
    char note[IDC_ERR_LEN] = "";
    int rc = idc_device_parse(&dev, device, err);
    if (rc == IDC_OK)
        rc = idc_backend_select(be, dev, IDC_DTYPE_F32, note, sizeof note, err);
    if (rc == IDC_OK && note[0] != '\0')
        fprintf(stderr, "idcheck fit: %s\n", note);
    return rc;
}

/* What a fit run shares: the environment (--db, or a re-derivation) and
 * the arguments recorded with it. */
typedef struct {
    idc_cli_fit_env *env;
    idc_cli_db db;
    int argc;
    char **argv;
    uint64_t seed;
    FILE *say; /* stdout, or /dev/null when re-deriving */
} fit_run;

/* Writes FIT.json (out, with the instance path, model hash and provenance
 * added) and, when zpath is set, the held-out codes; one unit. Then the
 * record: into the store (--db) or, re-deriving, into env->record (and no
 * file written). */
static int write_fit(fit_run *fr, json_t *out, const idc_instance *inst, const char *inpath, const char *outpath,
                     const char *zpath, const double *zhat, size_t rows, size_t cols, idc_err *err)
{
    char hash[65];
    int rc = idc_instance_hash(hash, inst, err);
    json_object_set_new(out, "instance", json_string(inpath));
    json_object_set_new(out, "model_hash", json_string(hash));
    if (fr->env->capture) {
        fr->env->record = idc_cli_fit_record(out);
        return rc == IDC_OK && fr->env->record == NULL ? idc_err_set(err, IDC_ENOMEM, "out of memory") : rc;
    }
    json_object_set_new(out, "provenance", idc_provenance_json());
    char *s = json_dumps(out, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    if (rc == IDC_OK)
        rc = write_outputs(outpath, s, zpath, zhat, rows, cols, err);
    free(s);
    if (rc == IDC_OK)
        rc = idc_cli_db_fit(&fr->db, out, inst, fr->argc, fr->argv, inpath, fr->seed, err);
    return rc;
}

/* The instance: the file, or the recorded text when re-deriving. */
static int read_instance(idc_instance *inst, const char *path, const idc_cli_fit_env *env, idc_err *err)
{
    return env->capture ? idc_instance_read_string(inst, env->instance_json, err)
                        : idc_instance_read_file(inst, path, err);
}

/* The exit code of a failed fit (the message printed); the store's run
 * left unfinished with status error. */
static int fit_failed(fit_run *fr, int rc, const idc_err *err)
{
    idc_cli_error("fit", "%s", err->msg);
    idc_cli_db_abandon(&fr->db);
    return idc_status_exit_code(rc);
}

typedef struct {
    const char *inpath, *outpath, *zpath, *widths, *device;
    idc_vae_kind kind;
    uint64_t seed;
    size_t n, neval, steps, batch;
    double lr;
    size_t ncomp;
    double noise_var;
    size_t pretrain;
    int pretrain_set, no_gmm;
} vae_opts;

static int fit_vae(fit_run *fr, const vae_opts *o)
{
    idc_err err;
    idc_instance inst;
    int rc = read_instance(&inst, o->inpath, fr->env, &err);
    if (rc != IDC_OK)
        return fit_failed(fr, rc, &err);
    size_t m = inst.prior.dim, J = o->ncomp ? o->ncomp : inst.prior.ncomp;
    idc_vae_config c;
    idc_vae_config_default(&c, o->kind, m, J);
    c.seed = o->seed;
    if (o->steps)
        c.steps = o->steps;
    if (o->batch)
        c.batch = o->batch;
    if (o->lr > 0)
        c.lr = o->lr;
    if (!isnan(o->noise_var)) /* validated by the config check */
        c.noise_var = o->noise_var;
    if (o->pretrain_set)
        c.pretrain_steps = o->pretrain;
    if (o->no_gmm)
        c.gmm_init = 0;
    if (o->widths != NULL && !parse_widths(c.hidden, &c.nhidden, IDC_VAE_MAX_HIDDEN, o->widths))
        rc = idc_err_set(&err, IDC_EINVAL, "--hidden: expected up to %d positive widths W1,W2,...", IDC_VAE_MAX_HIDDEN);
    if (rc == IDC_OK && o->kind == IDC_VAE_KIND_IVAE && o->ncomp != 0 && o->ncomp != inst.prior.ncomp)
        rc = idc_err_set(&err, IDC_EINVAL, "--J: the iVAE's labels are the %zu components of the instance",
                         inst.prior.ncomp);
    size_t n = o->n ? o->n : inst.nsamples, neval = o->neval ? o->neval : (n / 2 < 100 ? 100 : n / 2);
    if (rc == IDC_OK)
        rc = idc_vae_config_check(&c, inst.map.out_dim, &err);
    idc_pipeline_result res = {0};
    idc_vae *model = NULL;
    idc_pipeline_opts po = {.n_train = n, .n_eval = neval, .seed = o->seed};
    if (rc == IDC_OK)
        rc = select_backend(&po.backend, o->device, &err);
    if (rc == IDC_OK)
        rc = idc_pipeline_vae(&res, &model, &inst, &c, &po, &err);
    if (rc == IDC_OK) {
        json_t *out = res.record;
        json_object_set_new(out, "weights", idc_vae_to_json(model));
        rc = write_fit(fr, out, &inst, o->inpath, o->outpath, o->zpath, res.zhat, neval, m, &err);
        json_t *acc = json_object_get(out, "cluster_acc");
        if (rc == IDC_OK) {
            fprintf(fr->say, "%s: %zu steps, final loss %.5g, %.1f s; held-out R2 %.4f, MCC %.4f",
                    idc_vae_kind_name(o->kind), c.steps, res.final_loss, res.train_seconds, res.r2.r2_out,
                    res.mcc.mcc_out);
            if (acc != NULL)
                fprintf(fr->say, ", cluster agreement %.4f", json_real_value(acc));
            fprintf(fr->say, "\n");
        }
    }
    idc_vae_free(model);
    idc_pipeline_result_clear(&res);
    idc_instance_clear(&inst);
    if (rc != IDC_OK)
        return fit_failed(fr, rc, &err);
    return idc_cli_db_end(&fr->db, "ok");
}

/* Stage 2 (models/estimators/stage2.h) on the n Stage-1 codes ztr of the training rows;
 * the held-out codes zh (neval x k) are replaced by the Stage-2 codes and
 * scored against ze. *out = {"rec", "l1", "lambda", "mcc_in", "mcc_out",
 * "weights"}. */
static int fit_stage2(json_t **out, const double *ztr, size_t n, const idc_stage2_config *c2, const idc_backend *be,
                      double *zh, const double *ze, size_t m, size_t neval, idc_err *err)
{
    size_t k = c2->latent_dim;
    idc_stage2 *s2 = be != NULL ? idc_stage2_new_backend(c2, be, err) : idc_stage2_new(c2, err);
    idc_stage2_status st = {NAN, NAN, NAN};
    int rc = s2 == NULL ? IDC_EINVAL : idc_stage2_fit(s2, ztr, n, NULL, &st, err);
    if (rc == IDC_OK)
        rc = idc_stage2_encode(s2, zh, zh, neval, err);
    idc_mcc_result mc;
    if (rc == IDC_OK)
        rc = idc_metric_mcc(&mc, ze, m, zh, k, neval, err);
    if (rc == IDC_OK) {
        json_t *w = idc_stage2_to_json(s2);
        *out = json_pack("{s:f,s:f,s:f,s:f,s:f,s:o}", "rec", st.rec, "l1", st.l1, "lambda", st.lambda, "mcc_in",
                         mc.mcc_in, "mcc_out", mc.mcc_out, "weights", w ? w : json_null());
        idc_mcc_result_clear(&mc);
        if (*out == NULL)
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    idc_stage2_free(s2);
    return rc;
}

static int fit_main(int argc, char **argv, idc_cli_fit_env *env)
{
    for (int i = 1; i + 1 < argc; i++) /* the flow has its own options (cli/fit_flow.c) */
        if (strcmp(argv[i], "--estimator") == 0 && strcmp(argv[i + 1], "flow") == 0)
            return idc_cli_fit_flow_env(argc, argv, env);
    const char *inpath = NULL, *outpath = NULL, *zpath = NULL, *est = NULL, *widths = NULL;
    const char *codes = NULL, *ztrue = NULL, *device = "cpu";
    double noise_var = NAN, s2_lr = NAN, s2_lr_dual = NAN, s2_eps = NAN; /* NAN: the default */
    size_t pretrain = 0, s2_steps = 0, s2_batch = 0;
    int pretrain_set = 0, no_gmm = 0;
    size_t n = 0, neval = 0, steps = 0, batch = 0, hmult = 0, ncomp = 0, threads = 1;
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
        else if (strcmp(a, "--codes") == 0 && more)
            codes = argv[++i];
        else if (strcmp(a, "--db") == 0 && more) {
            const char *d = argv[++i];
            env->db_path = env->capture ? NULL : d;
        }
        else if (strcmp(a, "--z") == 0 && more)
            ztrue = argv[++i];
        else if (strcmp(a, "--J") == 0 && more)
            ok = idc_cli_parse_size(a, argv[++i], &ncomp);
        else if (strcmp(a, "--s2-steps") == 0 && more)
            ok = idc_cli_parse_size(a, argv[++i], &s2_steps);
        else if (strcmp(a, "--s2-batch") == 0 && more)
            ok = idc_cli_parse_size(a, argv[++i], &s2_batch);
        else if (strcmp(a, "--s2-lr") == 0 && more)
            ok = idc_cli_parse_double(a, argv[++i], &s2_lr);
        else if (strcmp(a, "--s2-lr-dual") == 0 && more)
            ok = idc_cli_parse_double(a, argv[++i], &s2_lr_dual);
        else if (strcmp(a, "--s2-eps") == 0 && more)
            ok = idc_cli_parse_double(a, argv[++i], &s2_eps);
        else if (strcmp(a, "--noise-var") == 0 && more)
            ok = idc_cli_parse_double(a, argv[++i], &noise_var);
        else if (strcmp(a, "--pretrain-steps") == 0 && more) {
            ok = idc_cli_parse_size(a, argv[++i], &pretrain);
            pretrain_set = 1;
        } else if (strcmp(a, "--no-gmm-init") == 0)
            no_gmm = 1;
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
        else if (strcmp(a, "--device") == 0 && more)
            device = argv[++i];
        else if (strcmp(a, "--threads") == 0 && more) {
            ok = idc_cli_parse_size(a, argv[++i], &threads);
            if (ok && (threads < 1 || threads > 64)) {
                idc_cli_error("fit", "--threads: must be in 1..64, got %s", argv[i]);
                return 2;
            }
        }
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
    if (est != NULL && strcmp(est, "kivva-e1") == 0 && codes != NULL) {
        if (inpath != NULL || outpath == NULL) {
            idc_cli_error("fit", "--codes: give either an instance or --codes, and -o");
            return 2;
        }
        if (env->db_path != NULL || env->capture) {
            idc_cli_error("fit", "--db: a fit of --codes files is not recorded (the store holds instances; give "
                                 "the instance instead)");
            return 2;
        }
        return fit_codes(codes, ztrue, ncomp, seed, zpath, outpath);
    }
    if (inpath == NULL || outpath == NULL || est == NULL) {
        help(stderr);
        return 2;
    }
    fit_run fr = {.env = env, .argc = argc, .argv = argv, .seed = seed, .say = stdout};
    static FILE *devnull = NULL;
    if (env->capture) {
        if (devnull == NULL)
            devnull = fopen("/dev/null", "w");
        if (devnull == NULL) {
            idc_cli_error("fit", "/dev/null: cannot open");
            return 3;
        }
        fr.say = devnull;
    }
    if (env->db_path != NULL) {
        int code = idc_cli_db_begin(&fr.db, env->db_path, "fit", argc, argv, 0);
        if (code != 0)
            return code;
    }
    int kivva = strcmp(est, "kivva-e1") == 0, stage2 = strcmp(est, "stage2") == 0;
    idc_vae_kind vk;
    idc_err perr;
    if (idc_vae_kind_parse(&vk, est, &perr) == IDC_OK) {
        vae_opts vo = {inpath, outpath, zpath, widths, device, vk, seed, n, neval, steps, batch, lr, ncomp, noise_var,
                       pretrain, pretrain_set, no_gmm};
        return fit_vae(&fr, &vo);
    }
    if (strcmp(est, "stage1") != 0 && !kivva && !stage2) {
        idc_cli_error("fit",
                      "--estimator: unknown estimator \"%s\" (available: flow, stage1, stage2, kivva-e1, vade, ivae, vae)",
                      est);
        idc_cli_db_abandon(&fr.db);
        return 2;
    }
    idc_err err;
    idc_instance inst;
    int rc = read_instance(&inst, inpath, env, &err);
    if (rc != IDC_OK)
        return fit_failed(&fr, rc, &err);
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
    c.blas_threads = (unsigned)threads;
    if (hmult) {
        size_t mult[4] = {hmult, 2 * hmult, 2 * hmult, hmult};
        rc = idc_stage1_config_set_hidden_mult(&c, 4, mult, &err);
    }
    if (rc == IDC_OK && widths != NULL && !parse_widths(c.hidden, &c.nhidden, IDC_STAGE1_MAX_HIDDEN, widths))
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
    idc_stage2_config c2; /* checked before Stage 1 trains */
    idc_stage2_config_default(&c2, c.latent_dim);
    c2.seed = seed;
    if (s2_steps)
        c2.steps = s2_steps;
    if (s2_batch)
        c2.batch = s2_batch;
    if (!isnan(s2_lr))
        c2.lr = s2_lr;
    if (!isnan(s2_lr_dual))
        c2.lr_dual = s2_lr_dual;
    if (!isnan(s2_eps))
        c2.l1_eps = s2_eps;
    c2.threads = (unsigned)threads;
    if (rc == IDC_OK && stage2)
        rc = idc_stage2_config_check(&c2, &err);
    idc_pipeline_opts o = {.n_train = n, .n_eval = neval, .seed = seed, .keep = stage2};
    if (rc == IDC_OK)
        rc = select_backend(&o.backend, device, &err);
    if (rc == IDC_OK)
        rc = idc_pipeline_stage1(&res, &model, &inst, &c, &o, &err);
    if (rc == IDC_OK) {
        fprintf(fr.say, "stage1: %zu steps, final loss %.5g, %.1f s; held-out R2 %.4f (in-sample %.4f), MCC %.4f\n",
                c.steps, res.final_loss, res.train_seconds, res.r2.r2_out, res.r2.r2_in, res.mcc.mcc_out);
        json_t *out = res.record;
        json_object_set_new(out, "weights", idc_stage1_to_json(model));
        json_object_set_new(out, "backend", json_string(o.backend->name));
        json_object_set_new(out, "device", json_string(idc_gpu_is_cuda(o.backend)
                                                           ? idc_gpu_device_name(o.backend)
                                                           : "cpu"));
        if (stage2) {
            /* Stage 2 on the Stage-1 codes of the training rows, scored on the
             * held-out codes */
            json_t *sj = NULL;
            rc = fit_stage2(&sj, res.ztrain, n, &c2, o.backend, res.zhat, res.zeval, m, neval, &err);
            if (rc == IDC_OK) {
                fprintf(fr.say, "stage2: %zu steps, mean |z| %.4g, lambda %.4g; held-out MCC %.4f (Stage-1 codes %.4f)\n",
                       c2.steps, json_real_value(json_object_get(sj, "l1")),
                       json_real_value(json_object_get(sj, "lambda")), json_real_value(json_object_get(sj, "mcc_out")),
                       res.mcc.mcc_out);
                json_object_set_new(out, "stage2", sj);
            }
        }
        if (rc == IDC_OK && kivva) {
            /* unmix the held-out Stage-1 codes; score against their latents */
            json_t *kj = NULL;
            size_t J = ncomp ? ncomp : inst.prior.ncomp;
            rc = unmix(&kj, res.zhat, neval, c.latent_dim, J, seed, res.zeval, m, &err);
            if (rc == IDC_OK) {
                fprintf(fr.say, "kivva-e1: held-out MCC after unmixing %.4f (Stage-1 codes %.4f)\n",
                       json_real_value(json_object_get(kj, "mcc_out")), res.mcc.mcc_out);
                json_object_set_new(out, "kivva_e1", kj);
            }
        }
        if (rc == IDC_OK) /* ZHAT.npy: the final codes (after Stage 2 or the unmixing) */
            rc = write_fit(&fr, out, &inst, inpath, outpath, zpath, res.zhat, neval, c.latent_dim, &err);
    }
    idc_stage1_free(model);
    idc_pipeline_result_clear(&res);
    idc_instance_clear(&inst);
    if (rc != IDC_OK)
        return fit_failed(&fr, rc, &err);
    return idc_cli_db_end(&fr.db, "ok");
}

int idc_cli_fit(int argc, char **argv)
{
    idc_cli_fit_env env = {0};
    return fit_main(argc, argv, &env);
}

int idc_cli_fit_rederive(json_t **record, const json_t *config, const char *instance_json, idc_err *err)
{
    *record = NULL;
    const json_t *a = json_object_get(config, "argv");
    if (!json_is_array(a) || json_array_size(a) > 200 || instance_json == NULL)
        return idc_err_set(err, IDC_EINVAL, "fit record: config.argv or the instance missing");
    char **v = calloc(json_array_size(a) + 4, sizeof *v);
    if (v == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    int n = 0;
    v[n++] = (char *)"fit";
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e)
    {
        if (!json_is_string(e)) {
            free(v);
            return idc_err_set(err, IDC_EINVAL, "fit record: config.argv[%zu]: expected a string", i);
        }
        v[n++] = (char *)json_string_value(e);
    }
    v[n++] = (char *)"-o";
    v[n++] = (char *)"(re-derived: not written)";
    idc_cli_fit_env env = {.capture = 1, .instance_json = instance_json};
    int code = fit_main(n, v, &env);
    free(v);
    if (code != 0 || env.record == NULL) {
        json_decref(env.record);
        return idc_err_set(err, IDC_EINVAL, "fit record: the fit could not be re-run (exit %d)", code);
    }
    *record = env.record;
    return IDC_OK;
}
