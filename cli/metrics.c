/* idcheck metrics Z.npy ZHAT.npy [--json]: score a representation from any
 * framework against the true latents. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "numeric/fileio.h"
#include "numeric/metric.h"
#include "reports/metrics_json.h"

static void help(FILE *fp)
{
    fprintf(fp, "usage: idcheck metrics Z.npy ZHAT.npy [--json]\n\n"
                "Z: true latents (N x m float64 .npy), ZHAT: learned representation (N x k).\n"
                "Rows [0, N/2) fit the alignment (regression / matching), rows [N/2, N) score it.\n"
                "  R2   mean over zhat coordinates of the R^2 of regressing zhat on z (AT: high)\n"
                "  MCC  mean matched |Pearson rho| after Hungarian matching (PS: high)\n");
}

int idc_cli_metrics(int argc, char **argv)
{
    const char *pz = NULL, *ph = NULL;
    int as_json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            help(stdout);
            return 0;
        } else if (strcmp(argv[i], "--json") == 0) {
            as_json = 1;
        } else if (argv[i][0] != '-' && pz == NULL) {
            pz = argv[i];
        } else if (argv[i][0] != '-' && ph == NULL) {
            ph = argv[i];
        } else {
            idc_cli_error("metrics", "unexpected argument \"%s\" (see idcheck metrics --help)", argv[i]);
            return 2;
        }
    }
    if (pz == NULL || ph == NULL) {
        help(stderr);
        return 2;
    }
    idc_err err;
    double *z = NULL, *zh = NULL;
    size_t nz, dz, nh, dh;
    int rc = idc_npy_read_f64(&z, &nz, &dz, pz, &err);
    if (rc == IDC_OK)
        rc = idc_npy_read_f64(&zh, &nh, &dh, ph, &err);
    if (rc == IDC_OK && nz != nh)
        rc = idc_err_set(&err, IDC_EINVAL, "%s has %zu rows but %s has %zu", pz, nz, ph, nh);
    idc_r2_result r2 = {0};
    idc_mcc_result mcc = {0};
    if (rc == IDC_OK)
        rc = idc_metric_r2(&r2, z, dz, zh, dh, nz, &err);
    if (rc == IDC_OK)
        rc = idc_metric_mcc(&mcc, z, dz, zh, dh, nz, &err);
    if (rc == IDC_OK) {
        if (as_json) {
            json_t *o = idc_metrics_json(&r2, &mcc);
            json_object_set_new(o, "n", json_integer((json_int_t)nz));
            char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
            puts(s);
            free(s);
            json_decref(o);
        } else {
            printf("n=%zu  dim(z)=%zu  dim(zhat)=%zu  (fit on rows [0,%zu), scored on [%zu,%zu))\n", nz, dz, dh,
                   nz / 2, nz / 2, nz);
            printf("R2   in-sample %.4f  out-of-sample %.4f\n", r2.r2_in, r2.r2_out);
            printf("MCC  in-sample %.4f  out-of-sample %.4f  matching z->zhat:", mcc.mcc_in, mcc.mcc_out);
            for (size_t i = 0; i < mcc.dz; i++)
                printf(" %zu->%ld", i, mcc.match[i] == SIZE_MAX ? -1L : (long)mcc.match[i]);
            printf("\n");
        }
    }
    idc_r2_result_clear(&r2);
    idc_mcc_result_clear(&mcc);
    free(z);
    free(zh);
    if (rc != IDC_OK) {
        idc_cli_error("metrics", "%s", err.msg);
        return idc_status_exit_code(rc);
    }
    return 0;
}
