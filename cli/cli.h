/* The idcheck command: one file per verb. Each verb takes its own argv
 * (argv[0] is the verb name) and returns the process exit code:
 * 0 ok, 1 property or check failed, 2 bad usage or input, 3 internal error. */
#ifndef IDC_CLI_H
#define IDC_CLI_H

#include "properties/prop.h"
#include <stdint.h>

int idc_cli_gen(int argc, char **argv);
int idc_cli_sample(int argc, char **argv);
int idc_cli_check(int argc, char **argv);
int idc_cli_cert(int argc, char **argv);
int idc_cli_fit(int argc, char **argv);
/* fit --estimator flow: cli/fit_flow.c, idc_cli_fit_flow_env (cli/record.h). */
int idc_cli_metrics(int argc, char **argv);
int idc_cli_prop(int argc, char **argv);
/* prop --ladder KEY=V1,V2,... (cli/prop_ladder.c): runs properties/ladder.h,
 * prints the table and the trend, writes -o; returns the exit code. */
int idc_cli_prop_ladder(const idc_prop_def *def, const void *params, const idc_prop_run_opts *opts,
                        const char *spec, double alpha, const char *outpath);
int idc_cli_version(int argc, char **argv);
/* audit RESULTS.sqlite (cli/audit.c). */
int idc_cli_audit(int argc, char **argv);
/* store import JOURNAL --db FILE | store info FILE (cli/store.c). */
int idc_cli_store(int argc, char **argv);
int idc_cli_theorems(int argc, char **argv);
int idc_cli_counterexample(int argc, char **argv);
int idc_cli_repro(int argc, char **argv);
/* sweep SWEEP.json --db FILE (cli/sweep.c); merge OUT SHARD... (cli/merge.c). */
int idc_cli_sweep(int argc, char **argv);
int idc_cli_merge(int argc, char **argv);
/* report RESULTS.sqlite -o REPORT.html ... (cli/report.c). */
int idc_cli_report(int argc, char **argv);
/* repro flow-k39c (cli/repro_flow.c); argv[0] = "flow-k39c". */
int idc_cli_repro_flow(int argc, char **argv);

/* Chooses the OpenBLAS core of this process (cli/blas_core.c): takes
 * --blas-core NAME out of argv (before the verb, or after fit, prop or
 * repro), and may re-execute the process with OPENBLAS_CORETYPE set (see
 * numeric/blas.h). Call first in main, before any BLAS work. Returns -1 to
 * go on, or an exit code (2 bad --blas-core, 3 the requested core cannot be
 * had). */
int idc_cli_blas_core_setup(int *argc, char **argv);

/* Shared argument helpers (cli/args.c). Each prints a one-line error naming
 * the option and returns 0 on failure, 1 on success. */
int idc_cli_parse_u64(const char *opt, const char *s, uint64_t *out);
int idc_cli_parse_size(const char *opt, const char *s, size_t *out);
int idc_cli_parse_double(const char *opt, const char *s, double *out);

/* Prints "idcheck VERB: MESSAGE" to stderr (one line). */
void idc_cli_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* How many lines idc_cli_error has printed in this process (main prints its
 * own line for a failed stdout only when the verb printed none). */
int idc_cli_error_count(void);

#endif
