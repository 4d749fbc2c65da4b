/* idcheck sample INSTANCE.json [-n N] [--seed S] [--trial T] [--threads K] -o PREFIX */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "models/instance.h"
#include "models/sample.h"
#include "numeric/fileio.h"

static void help(FILE *fp)
{
    fprintf(fp,
            "usage: idcheck sample INSTANCE.json [-n N] [--seed S] [--trial T] [--threads K] -o PREFIX\n\n"
            "Draws N samples (default: the instance's \"samples\") and writes\n"
            "  PREFIX.z.npy PREFIX.z.csv    latents z (N x m, float64)\n"
            "  PREFIX.x.npy PREFIX.x.csv    observations x (N x n, float64)\n"
            "  PREFIX.label.npy PREFIX.label.csv   component labels (int32)\n"
            "  PREFIX.u.npy PREFIX.u.csv    auxiliary u, when the instance declares one\n"
            "The same (seed, trial) gives the same samples for any --threads.\n"
            "The files are replaced as one unit: if one cannot be written, none is.\n");
}

/* The outputs are one unit (idc_fileset): every temporary is written first,
 * then all are renamed into place; if one cannot be, the files already
 * replaced get their old content back, so a reader never finds new latents
 * next to old observations. */
static int write_all(const idc_samples *s, const char *prefix, idc_err *err)
{
    idc_fileset *fs = idc_fileset_new();
    if (fs == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    char path[4096];
    int rc = IDC_OK;
    for (int k = 0; k < 8 && rc == IDC_OK; k++) {
        if (k >= 6 && !s->has_u)
            break;
        static const char *const ext[8] = {"z.npy",     "z.csv",     "x.npy", "x.csv",
                                           "label.npy", "label.csv", "u.npy", "u.csv"};
        char *data = NULL;
        size_t len = 0;
        switch (k) {
        case 0: rc = idc_npy_encode_f64(&data, &len, s->z, s->n, s->zdim, err); break;
        case 1: rc = idc_csv_encode_f64(&data, &len, "z", s->z, s->n, s->zdim, err); break;
        case 2: rc = idc_npy_encode_f64(&data, &len, s->x, s->n, s->xdim, err); break;
        case 3: rc = idc_csv_encode_f64(&data, &len, "x", s->x, s->n, s->xdim, err); break;
        case 4: rc = idc_npy_encode_i32(&data, &len, s->label, s->n, err); break;
        case 5: rc = idc_csv_encode_i32(&data, &len, "label", s->label, s->n, err); break;
        case 6: rc = idc_npy_encode_f64(&data, &len, s->u, s->n, 0, err); break;
        default: rc = idc_csv_encode_f64(&data, &len, "u", s->u, s->n, 1, err); break;
        }
        if ((size_t)snprintf(path, sizeof path, "%s.%s", prefix, ext[k]) >= sizeof path)
            rc = rc != IDC_OK ? rc : idc_err_set(err, IDC_EINVAL, "-o: prefix too long");
        if (rc == IDC_OK)
            rc = idc_fileset_add(fs, path, data, len, err);
        free(data);
    }
    if (rc == IDC_OK)
        rc = idc_fileset_commit(fs, err);
    idc_fileset_free(fs);
    return rc;
}

int idc_cli_sample(int argc, char **argv)
{
    const char *inpath = NULL, *prefix = NULL;
    size_t n = 0, threads = 1;
    uint64_t seed = 1, trial = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            help(stdout);
            return 0;
        } else if (strcmp(a, "-n") == 0 && more) {
            if (!idc_cli_parse_size("-n", argv[++i], &n))
                return 2;
        } else if (strcmp(a, "--seed") == 0 && more) {
            if (!idc_cli_parse_u64("--seed", argv[++i], &seed))
                return 2;
        } else if (strcmp(a, "--trial") == 0 && more) {
            if (!idc_cli_parse_u64("--trial", argv[++i], &trial) || trial > UINT32_MAX)
                return 2;
        } else if (strcmp(a, "--threads") == 0 && more) {
            if (!idc_cli_parse_size("--threads", argv[++i], &threads) || threads < 1 || threads > 256) {
                idc_cli_error("sample", "--threads: expected 1..256");
                return 2;
            }
        } else if (strcmp(a, "-o") == 0 && more) {
            prefix = argv[++i];
        } else if (a[0] != '-' && inpath == NULL) {
            inpath = a;
        } else {
            idc_cli_error("sample", "unexpected argument \"%s\" (see idcheck sample --help)", a);
            return 2;
        }
    }
    if (inpath == NULL || prefix == NULL) {
        help(stderr);
        return 2;
    }
    idc_err err;
    idc_instance inst;
    int rc = idc_instance_read_file(&inst, inpath, &err);
    if (rc != IDC_OK) {
        idc_cli_error("sample", "%s", err.msg);
        return idc_status_exit_code(rc);
    }
    if (n == 0)
        n = inst.nsamples;
    idc_samples s;
    rc = idc_sample_draw(&s, &inst, n, seed, (uint32_t)trial, (unsigned)threads, &err);
    if (rc == IDC_OK)
        rc = write_all(&s, prefix, &err);
    idc_samples_clear(&s);
    idc_instance_clear(&inst);
    if (rc != IDC_OK) {
        idc_cli_error("sample", "%s", err.msg);
        return idc_status_exit_code(rc);
    }
    return 0;
}
