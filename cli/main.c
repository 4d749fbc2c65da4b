/* idcheck: dispatch to one verb per file. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

typedef struct {
    const char *name;
    int (*run)(int, char **);
    const char *summary;
} verb;

static const verb verbs[] = {
    {"gen", idc_cli_gen, "generate a random instance (gen --list shows the generators)"},
    {"theorems", idc_cli_theorems, "list the theorems, their preconditions and conclusions"},
    {"counterexample", idc_cli_counterexample, "list or re-derive the exact counterexample witnesses"},
    {"check", idc_cli_check, "certify the preconditions of an instance exactly"},
    {"cert", idc_cli_cert, "verify a certificate against an instance (cert verify CERT MODEL)"},
    {"sample", idc_cli_sample, "draw samples of an instance to CSV and .npy files"},
    {"fit", idc_cli_fit, "train an estimator on samples of an instance"},
    {"metrics", idc_cli_metrics, "score a representation: R^2 and MCC from .npy files"},
    {"prop", idc_cli_prop, "run a theorem property over random trials"},
    {"repro", idc_cli_repro, "reproduce a paper's table beside the paper's values (repro --help)"},
    {"sweep", idc_cli_sweep, "run a sweep file's grid of trials into a results store (resumable; MPI, shards)"},
    {"merge", idc_cli_merge, "combine the shard databases of a sweep into one results store"},
    {"report", idc_cli_report, "write the HTML/PDF report of a results store (and JSON/CSV trial tables)"},
    {"store", idc_cli_store, "a results store: import a prop journal, show its runs (store --help)"},
    {"audit", idc_cli_audit, "re-run every trial of a results store and compare (audit --help)"},
    {"version", idc_cli_version, "print the versions of idcheck and its libraries"},
};

static void usage(FILE *fp)
{
    fprintf(fp, "usage: idcheck VERB [options]   (idcheck VERB --help for each)\n\nverbs:\n");
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(fp, "  %-15s %s\n", verbs[i].name, verbs[i].summary);
    fprintf(fp, "\nglobal options:\n"
                "  --blas-core NAME  run OpenBLAS's NAME kernels (Prescott, Haswell, SkylakeX, ...; also\n"
                "                    after fit, prop, repro) to replay a result bit for bit; default:\n"
                "                    OpenBLAS's choice, or the best core the CPU flags support when\n"
                "                    OpenBLAS picks a weaker one and OPENBLAS_CORETYPE is unset\n"
                "                    (idcheck version shows the core)\n");
    fprintf(fp, "\nexit codes: 0 ok, 1 property or check failed, 2 bad usage or input, 3 internal error\n");
}

/* Every verb's output reaches its reader or the exit code says it did not:
 * stdout is flushed and closed here, and a write error (a full disk, /dev/full)
 * turns exit 0 into 3, with one line on stderr unless the verb already printed
 * its error line (check and cert notice a failed stdout themselves). */
static int finish(int code)
{
    errno = 0;
    int bad = fflush(stdout) != 0;
    int e = errno;
    bad = ferror(stdout) || bad;
    if (fclose(stdout) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad && (code == 0 || idc_cli_error_count() == 0))
        fprintf(stderr, "idcheck: error writing standard output%s%s\n", e ? ": " : "", e ? strerror(e) : "");
    if (bad && code == 0)
        code = 3;
    return code;
}

static int dispatch(int argc, char **argv);

int main(int argc, char **argv)
{
    int rc = idc_cli_blas_core_setup(&argc, argv); /* may re-execute the process */
    return finish(rc >= 0 ? rc : dispatch(argc, argv));
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return idc_cli_version(1, argv + 1);
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(argv[1], verbs[i].name) == 0)
            return verbs[i].run(argc - 1, argv + 1);
    fprintf(stderr, "idcheck: unknown verb \"%s\" (idcheck --help lists them)\n", argv[1]);
    return 2;
}
