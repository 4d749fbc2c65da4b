/* idcheck report RESULTS.sqlite [-o REPORT.html] [--pdf FILE] [--json FILE] [--csv FILE]
 *
 * The auditor's report of a results store (reports/report.h): one
 * self-contained HTML page, a PDF, and the trial table as JSON or CSV. Every
 * output is rendered in memory first, then all are written as one set
 * (numeric/fileio.h idc_fileset): either every file gets its new content or
 * none changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "numeric/fileio.h"
#include "reports/plot.h"
#include "reports/report.h"

static void help(FILE *fp)
{
    fprintf(fp, "usage: idcheck report RESULTS.sqlite [-o REPORT.html] [--pdf FILE] [--json FILE] [--csv FILE]\n\n"
                "Writes the report of a results store (written by prop --db, sweep --db): one self-contained\n"
                "HTML page (no scripts, no network; figures as inline SVG): environment and provenance of\n"
                "every run; per property, trials by outcome (passed, failed, inconclusive, discarded) with the\n"
                "replay commands of failures; per precondition, the verdicts with their certificate hashes and\n"
                "how to verify them; each metric against each parameter varied across a run's trials, with the\n"
                "seed spread, shaded where the preconditions hold or fail; the (KL gap, 1 - R^2) scatter of\n"
                "exact-likelihood trials; correlation heatmaps where records carry them; reproduction tables\n"
                "beside the papers' numbers. --pdf: the same as a PDF. --json / --csv: the trial table (one row\n"
                "per trial with its verdicts and measurements). At least one output; FILE may be - (stdout).\n"
                "The store is opened read-only and never modified; the same store gives byte-identical files.\n"
                "A foreign, corrupted or newer-schema file is refused (exit 2). docs/REPORT.md describes it.\n\n"
                "exit codes: 0 written, 2 bad usage or input (nothing written), 3 internal error\n");
}

/* 1 when a and b name the same file (the same path, or the same inode). */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (strcmp(a, b) == 0)
        return 1;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int idc_cli_report(int argc, char **argv)
{
    const char *db = NULL, *out[4] = {NULL, NULL, NULL, NULL}; /* html, pdf, json, csv */
    static const char *const opt[4] = {"-o", "--pdf", "--json", "--csv"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            help(stdout);
            return 0;
        }
        int k = -1;
        for (int j = 0; j < 4; j++)
            if (strcmp(a, opt[j]) == 0)
                k = j;
        if (k >= 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0') {
                idc_cli_error("report", "%s needs a file name", a);
                return 2;
            }
            if (out[k] != NULL) {
                idc_cli_error("report", "%s given twice", a);
                return 2;
            }
            out[k] = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            idc_cli_error("report", "unknown option %s (see idcheck report --help)", a);
            return 2;
        } else if (db == NULL) {
            db = a;
        } else {
            idc_cli_error("report", "one results store at a time (got %s and %s)", db, a);
            return 2;
        }
    }
    if (db == NULL) {
        help(stderr);
        return 2;
    }
    if (!out[0] && !out[1] && !out[2] && !out[3]) {
        idc_cli_error("report", "nothing to write: give -o REPORT.html, --pdf, --json or --csv");
        return 2;
    }
    int stdout_uses = 0;
    for (int k = 0; k < 4; k++) {
        stdout_uses += out[k] && strcmp(out[k], "-") == 0;
        for (int j = 0; j < k; j++)
            if (out[k] && out[j] && strcmp(out[k], out[j]) == 0 && strcmp(out[k], "-") != 0) {
                idc_cli_error("report", "%s and %s name the same file %s", opt[j], opt[k], out[k]);
                return 2;
            }
        if (out[k] && same_file(out[k], db)) {
            idc_cli_error("report", "%s %s would overwrite the results store", opt[k], out[k]);
            return 2;
        }
    }
    if (stdout_uses > 1) {
        idc_cli_error("report", "only one output can go to standard output (-)");
        return 2;
    }
    idc_err err = {{0}};
    idc_report *r = NULL;
    int rc = idc_report_load(&r, db, &err);
    if (rc != IDC_OK) {
        idc_cli_error("report", "%s", err.msg);
        return rc == IDC_ENOMEM ? 3 : 2;
    }
    int (*render[4])(char **, size_t *, const idc_report *, idc_err *) = {idc_report_html, idc_report_pdf,
                                                                          idc_report_json, idc_report_csv};
    idc_fileset *fs = idc_fileset_new();
    if (fs == NULL) {
        idc_report_free(r);
        idc_cli_error("report", "out of memory");
        return 3;
    }
    for (int k = 0; k < 4 && rc == IDC_OK; k++) {
        if (out[k] == NULL)
            continue;
        char *data = NULL;
        size_t len = 0;
        rc = render[k](&data, &len, r, &err);
        if (rc == IDC_OK)
            rc = idc_fileset_add(fs, out[k], data, len, &err);
        free(data);
    }
    if (rc == IDC_OK)
        rc = idc_fileset_commit(fs, &err);
    idc_fileset_free(fs);
    size_t nruns = idc_report_runs(r), ntrials = idc_report_trials(r);
    idc_report_free(r);
    idc_plot_release_caches(); /* the verb draws nothing more */
    if (rc != IDC_OK) {
        idc_cli_error("report", "%s", err.msg);
        return rc == IDC_EIO || rc == IDC_EINVAL ? 2 : 3;
    }
    for (int k = 0; k < 4; k++)
        if (out[k] && strcmp(out[k], "-") != 0)
            fprintf(stderr, "idcheck report: wrote %s (%zu runs, %zu trials)\n", out[k], nruns, ntrials);
    return 0;
}
