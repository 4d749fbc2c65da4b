/* idcheck repro flow-k39c [...]: the flow estimator's benchmark
 * (properties/repro_flow.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "models/engine/backend_select.h"
#include "numeric/fileio.h"
#include "properties/repro_flow.h"
#include "reports/provenance.h"

static void help(FILE *fp)
{
    fprintf(fp, "usage: idcheck repro flow-k39c [--trials K] [--first I] [--seed S] [--init perturbed-truth|random]\n"
                "                        [--eps E] [--seconds T] [--steps N] [-n N] [--eval N] [--batch B]\n"
                "                        [--lr R] [--restarts R] [--prior-em P] [--slope-anneal F] [--depth D]\n"
                "                        [--prior-em-every K] [--bw1 B] [--cold-layers kinks|random]\n                        [--jobs J] [-o OUT.json]\n\n"
                "The flow estimator on K3.9c instances (m = 2..5, J = 2..4, 2-3 square leaky layers,\n"
                "cond in [1.5, 4]; trial i: m = 2 + i mod 4, J = 2 + (i/4) mod 3, layers = 2 + (i/12) mod 2),\n"
                "N = 20000 training rows, a budget of T seconds per trial (default 60), the KL gap and\n"
                "the metrics on 20000 fresh rows. One row per trial and the fractions reaching KL gap\n"
                "<= 0.002 / 0.01 / 0.05 / 0.1 nats. Defaults: 40 trials, warm start (perturbed-truth,\n"
                "eps 0.1), full batch, lr 0.01, 1 restart, 1 job. A timed experiment: results depend\n"
                "on the machine's speed through the budget.\n"
                "--device cpu|cuda|auto (default cpu): where each fit's row sums run (idcheck fit\n"
                "--estimator flow --help); cuda without a device is an error, auto falls back to cpu\n"
                "with a note. The cuda path is written and compiled, never yet run on a GPU.\n");
}

int idc_cli_repro_flow(int argc, char **argv)
{
    idc_repro_flow_opts o;
    idc_repro_flow_defaults(&o);
    const char *outpath = NULL, *device = "cpu";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc, ok = 1;
        size_t z;
        uint64_t u;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            help(stdout);
            return 0;
        } else if (strcmp(a, "--trials") == 0 && more) {
            ok = idc_cli_parse_size(a, argv[++i], &o.trials);
        } else if (strcmp(a, "--first") == 0 && more) {
            ok = idc_cli_parse_u64(a, argv[++i], &u) && u <= UINT32_MAX;
            o.first = (uint32_t)u;
        } else if (strcmp(a, "--seed") == 0 && more) {
            ok = idc_cli_parse_u64(a, argv[++i], &o.seed);
        } else if (strcmp(a, "--init") == 0 && more) {
            const char *v = argv[++i];
            if (strcmp(v, "random") != 0 && strcmp(v, "perturbed-truth") != 0) {
                idc_cli_error("repro", "--init: expected random or perturbed-truth, got \"%s\"", v);
                return 2;
            }
            o.init = strcmp(v, "random") == 0 ? IDC_FLOW_INIT_RANDOM : IDC_FLOW_INIT_PERTURBED;
        } else if (strcmp(a, "--eps") == 0 && more) {
            ok = idc_cli_parse_double(a, argv[++i], &o.eps);
        } else if (strcmp(a, "--seconds") == 0 && more) {
            ok = idc_cli_parse_double(a, argv[++i], &o.seconds);
        } else if (strcmp(a, "--steps") == 0 && more) {
            ok = idc_cli_parse_size(a, argv[++i], &o.steps);
        } else if (strcmp(a, "-n") == 0 && more) {
            ok = idc_cli_parse_size(a, argv[++i], &o.n_train);
        } else if (strcmp(a, "--eval") == 0 && more) {
            ok = idc_cli_parse_size(a, argv[++i], &o.n_eval);
        } else if (strcmp(a, "--batch") == 0 && more) {
            ok = idc_cli_parse_size(a, argv[++i], &o.batch);
        } else if (strcmp(a, "--lr") == 0 && more) {
            ok = idc_cli_parse_double(a, argv[++i], &o.lr);
        } else if (strcmp(a, "--restarts") == 0 && more) {
            ok = idc_cli_parse_size(a, argv[++i], &o.restarts);
        } else if (strcmp(a, "--prior-em") == 0 && more) {
            ok = idc_cli_parse_size(a, argv[++i], &o.prior_em) && o.prior_em <= 100000;
        } else if (strcmp(a, "--prior-em-every") == 0 && more) {
            ok = idc_cli_parse_size(a, argv[++i], &o.prior_em_every) && o.prior_em_every <= 100000;
        } else if (strcmp(a, "--slope-anneal") == 0 && more) {
            ok = idc_cli_parse_double(a, argv[++i], &o.slope_anneal);
        } else if (strcmp(a, "--cold-layers") == 0 && more) {
            const char *v = argv[++i];
            ok = strcmp(v, "kinks") == 0 || strcmp(v, "random") == 0;
            o.cold_kinks = strcmp(v, "kinks") == 0;
        } else if (strcmp(a, "--bw1") == 0 && more) {
            ok = idc_cli_parse_double(a, argv[++i], &o.bw1) && o.bw1 > 0 && o.bw1 <= 1;
        } else if (strcmp(a, "--depth") == 0 && more) {
            ok = idc_cli_parse_size(a, argv[++i], &o.depth) && o.depth <= IDC_FLOW_MAX_DEPTH;
        } else if (strcmp(a, "--jobs") == 0 && more) {
            ok = idc_cli_parse_size(a, argv[++i], &z) && z >= 1 && z <= 64;
            o.jobs = (unsigned)z;
        } else if (strcmp(a, "-o") == 0 && more) {
            outpath = argv[++i];
        } else if (strcmp(a, "--device") == 0 && more) {
            device = argv[++i];
        } else {
            idc_cli_error("repro", "unexpected argument \"%s\" (see idcheck repro flow-k39c --help)", a);
            return 2;
        }
        if (!ok) {
            idc_cli_error("repro", "%s: bad value", a);
            return 2;
        }
    }
    json_t *out = NULL;
    idc_err err;
    char note[IDC_ERR_LEN] = "";
    idc_device want;
    if (idc_device_parse(&want, device, &err) != IDC_OK ||
        idc_device_resolve(&o.device, want, note, sizeof note, &err) != IDC_OK) {
        idc_cli_error("repro", "%s", err.msg);
        return 2;
    }
    if (note[0] != '\0')
        fprintf(stderr, "idcheck repro: %s\n", note);
    int rc = idc_repro_flow(&out, &o, stdout, &err);
    if (rc == IDC_OK && outpath != NULL) {
        json_object_set_new(out, "provenance", idc_provenance_json());
        char *s = json_dumps(out, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
        rc = s ? idc_write_file_atomic(outpath, s, strlen(s), &err) : idc_err_set(&err, IDC_ENOMEM, "out of memory");
        free(s);
    }
    json_decref(out);
    if (rc != IDC_OK) {
        idc_cli_error("repro", "%s", err.msg);
        return rc == IDC_EINVAL || rc == IDC_EIO ? 2 : 3;
    }
    return 0;
}
