/* The OpenBLAS core of an idcheck process (numeric/blas.h): --blas-core NAME
 * is taken out of argv (before the verb, or after fit, prop or repro), the
 * rule of idc_blas_core_decide is applied, and when it asks for another
 * core the process re-executes itself once with OPENBLAS_CORETYPE set
 * (OpenBLAS reads it only when it loads) and the mark IDC_BLAS_CORE_MARK.
 * A core idcheck chose is checked with idc_blas_gemm_check, under a SIGILL
 * guard, before it is trusted: an automatic choice that fails falls back to
 * OpenBLAS's own (one more re-exec, with a one-line warning), a requested
 * one is an error. */
#define _GNU_SOURCE /* sigsetjmp in <setjmp.h> with -std=c11 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "numeric/blas.h"

static sigjmp_buf ill_jump;

static void on_sigill(int sig)
{
    (void)sig;
    siglongjmp(ill_jump, 1);
}

/* idc_blas_gemm_check, with an illegal instruction turned into a failure. */
static int guarded_check(idc_err *err)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigill;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGILL, &sa, &old) != 0)
        return idc_blas_gemm_check(err);
    int st;
    if (sigsetjmp(ill_jump, 1) == 0)
        st = idc_blas_gemm_check(err);
    else
        st = idc_err_set(err, IDC_EDOM, "gemm check: illegal instruction in the %s kernels", idc_blas_core());
    sigaction(SIGILL, &old, NULL);
    return st;
}

static void reexec(char **argv, const char *core, const char *origin, const char *detected)
{
    char mark[80];
    snprintf(mark, sizeof mark, "%s:%s", origin, detected);
    if (core != NULL)
        setenv("OPENBLAS_CORETYPE", core, 1);
    else
        unsetenv("OPENBLAS_CORETYPE");
    setenv(IDC_BLAS_CORE_MARK, mark, 1);
    fflush(NULL);
    char path[4096]; /* the executable's path, which valgrind also reports right */
    ssize_t k = readlink("/proc/self/exe", path, sizeof path - 1);
    if (k > 0) {
        path[k] = '\0';
        execv(path, argv);
    }
    execv("/proc/self/exe", argv);
    /* exec failed: this process goes on with the core it has */
}

/* Takes "--blas-core NAME" / "--blas-core=NAME" out of argv[from..). Returns
 * 1 and sets *name, 0 when absent, -1 for a missing NAME. */
static int take_option(int *argc, char **argv, int from, const char **name)
{
    for (int i = from; i < *argc; i++) {
        int eq = strncmp(argv[i], "--blas-core=", 12) == 0;
        if (!eq && strcmp(argv[i], "--blas-core") != 0)
            continue;
        int drop = eq ? 1 : 2;
        if (!eq && i + 1 >= *argc)
            return -1;
        *name = eq ? argv[i] + 12 : argv[i + 1];
        for (int k = i; k + drop <= *argc; k++)
            argv[k] = argv[k + drop];
        *argc -= drop;
        return 1;
    }
    return 0;
}

int idc_cli_blas_core_setup(int *argc, char **argv)
{
    enum { MAXARGS = 4096 };
    static char *orig[MAXARGS + 1];
    int n = *argc < MAXARGS ? *argc : MAXARGS, whole = *argc <= MAXARGS;
    for (int i = 0; i < n; i++)
        orig[i] = argv[i];
    orig[n] = NULL;

    const char *requested = NULL;
    int got = 0;
    /* global: before the verb */
    while (*argc > 1 && strncmp(argv[1], "--blas-core", 11) == 0) {
        int r = take_option(argc, argv, 1, &requested);
        if (r < 0) {
            fprintf(stderr, "idcheck: --blas-core: missing NAME (idcheck version shows the core in use)\n");
            return 2;
        }
        if (r == 0)
            break;
        got = 1;
    }
    if (!got && *argc > 1 &&
        (strcmp(argv[1], "fit") == 0 || strcmp(argv[1], "prop") == 0 || strcmp(argv[1], "repro") == 0)) {
        int r = take_option(argc, argv, 2, &requested);
        if (r < 0) {
            fprintf(stderr, "idcheck %s: --blas-core: missing NAME\n", argv[1]);
            return 2;
        }
    }
    if (requested != NULL && requested[0] == '\0') {
        fprintf(stderr, "idcheck: --blas-core: empty NAME\n");
        return 2;
    }

    idc_blas_core_in in = {requested, getenv("OPENBLAS_CORETYPE"), getenv(IDC_BLAS_CORE_MARK),
                           idc_blas_core(), idc_blas_cpu_features()};
    idc_blas_core_plan plan;
    idc_err err;
    int st = idc_blas_core_decide(&plan, &in, &err);
    if (st != IDC_OK) {
        fprintf(stderr, "idcheck: %s\n", err.msg);
        return st == IDC_EINVAL || st == IDC_EDOM ? 2 : 3;
    }
    if (plan.reexec) {
        if (!whole) { /* an argv too long to keep: stay */
            if (requested != NULL) {
                fprintf(stderr, "idcheck: --blas-core: more than %d arguments\n", MAXARGS);
                return 2;
            }
            return -1;
        }
        reexec(orig, plan.core, plan.origin, plan.detected);
        if (requested != NULL) {
            fprintf(stderr, "idcheck: --blas-core %s: cannot re-execute /proc/self/exe\n", plan.core);
            return 3;
        }
        return -1;
    }
    if (requested != NULL && getenv(IDC_BLAS_CORE_MARK) == NULL) {
        /* the requested core was loaded already: record who chose it */
        char mark[80];
        snprintf(mark, sizeof mark, "--blas-core:%s", plan.detected);
        setenv(IDC_BLAS_CORE_MARK, mark, 1);
    }
    if (!plan.verify)
        return -1;
    if (guarded_check(&err) == IDC_OK)
        return -1;
    if (requested != NULL) {
        fprintf(stderr, "idcheck: --blas-core %s: the kernels fail the GEMM check: %s\n", plan.core, err.msg);
        return 3;
    }
    fprintf(stderr,
            "idcheck: warning: OpenBLAS core %s (chosen from the CPU flags) fails the GEMM check (%s); "
            "using OpenBLAS's own choice\n",
            plan.core, err.msg);
    reexec(orig, NULL, "fallback", plan.detected);
    return -1;
}
