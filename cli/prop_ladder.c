/* idcheck prop ID --ladder KEY=V1,V2,... [--alpha A] (properties/ladder.h). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "numeric/fileio.h"
#include "properties/ladder.h"
#include "reports/provenance.h"

int idc_cli_prop_ladder(const idc_prop_def *def, const void *params, const idc_prop_run_opts *opts,
                        const char *spec, double alpha, const char *outpath)
{
    char buf[1024], key[128];
    const char *values[IDC_LADDER_MAX_RUNGS + 1];
    size_t nv = 0;
    snprintf(buf, sizeof buf, "%s", spec);
    char *eq = strchr(buf, '=');
    if (eq == NULL || eq == buf || eq[1] == '\0') {
        idc_cli_error("prop", "--ladder: expected KEY=V1,V2,..., got \"%s\"", spec);
        return 2;
    }
    *eq = '\0';
    snprintf(key, sizeof key, "%.127s", buf);
    for (char *tok = strtok(eq + 1, ","); tok != NULL; tok = strtok(NULL, ",")) {
        if (nv == IDC_LADDER_MAX_RUNGS) {
            idc_cli_error("prop", "--ladder: at most %d values", IDC_LADDER_MAX_RUNGS);
            return 2;
        }
        values[nv++] = tok;
    }
    idc_prop_run_opts o = *opts;
    o.progress = NULL;
    idc_ladder_result res;
    json_t *out = NULL;
    idc_err err;
    int rc = idc_prop_ladder(&res, &out, def, params, key, values, nv, alpha, &o, &err);
    if (rc != IDC_OK) {
        idc_cli_error("prop", "%s", err.msg);
        return rc == IDC_EINVAL || rc == IDC_EIO ? 2 : 3;
    }
    if (opts->progress != NULL) {
        FILE *fp = opts->progress;
        fprintf(fp, "%s ladder over %s (seed 0x%" PRIx64 ", trials %" PRIu32 "..%" PRIu32 "): KL gap [nats] / 1 - R^2 / outcome\n",
                def->id, key, o.seed, o.first, o.first + o.trials - 1);
        fprintf(fp, "trial ");
        for (size_t k = 0; k < nv; k++)
            fprintf(fp, "| %s=%-26s", key, values[k]);
        fputc('\n', fp);
        size_t i;
        json_t *row;
        json_array_foreach(json_object_get(out, "table"), i, row)
        {
            fprintf(fp, "%5" JSON_INTEGER_FORMAT " ", json_integer_value(json_object_get(row, "trial")));
            size_t k;
            json_t *r;
            json_array_foreach(json_object_get(row, "rungs"), k, r)
            {
                const char *oc = json_string_value(json_object_get(r, "outcome"));
                if (json_is_number(json_object_get(r, "kl_gap")))
                    fprintf(fp, "| %8.4f  %9.2e  %-12.12s", json_number_value(json_object_get(r, "kl_gap")),
                            json_number_value(json_object_get(r, "one_minus_r2")), oc ? oc : "?");
                else
                    fprintf(fp, "| %-31s", oc ? oc : "?");
            }
            fputc('\n', fp);
        }
        fprintf(fp,
                "%s trend: 1 - R^2 at %s=%s vs %s=%s over %zu paired trials: median %.3g -> %.3g; one-sided "
                "Wilcoxon signed-rank p = %.4g (alpha %.3g): %s\n",
                def->id, key, values[0], key, values[nv - 1], res.pairs, res.median_first, res.median_last,
                res.p_one_sided, alpha,
                res.verdict == IDC_LADDER_FALLS ? "1 - R^2 falls as the sample grows (PASS)"
                : res.verdict == IDC_LADDER_NOT_SHOWN ? "not shown at this level (FAIL)"
                                                      : "too few paired trials to reach this level (nothing asserted)");
    }
    int code = res.verdict == IDC_LADDER_NOT_SHOWN ? 1 : 0;
    if (outpath != NULL) {
        json_object_set_new(out, "property", json_string(def->id));
        json_object_set_new(out, "provenance", idc_provenance_json());
        char *s = json_dumps(out, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
        rc = s ? idc_write_file_atomic(outpath, s, strlen(s), &err) : idc_err_set(&err, IDC_ENOMEM, "out of memory");
        free(s);
        if (rc != IDC_OK) {
            idc_cli_error("prop", "%s", err.msg);
            code = 2;
        }
    }
    json_decref(out);
    return code;
}
