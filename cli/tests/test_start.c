/* A lean process start: idcheck maps the CUDA backend (libidcheck-cuda.so,
 * cuBLAS, the CUDA runtime) only when a verb asks for a device. Each verb
 * runs with LD_DEBUG=files, under which the dynamic linker logs every
 * library it maps, at start or by dlopen(); the log must name no CUDA
 * library for the CPU verbs (version, theorems, gen, check, fit --device
 * cpu), and must name the backend for fit --device auto in a build with
 * CUDA. A missing backend gives one line and exit 2 for --device cuda, and
 * the CPU with a note for --device auto. The binary is $IDCHECK_BIN (set by
 * `make check`) or build/idcheck. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "gpu/cuda.h"
#include "numeric/tests/testutil.h"

static char dir[64];
static const char *bin;
static char out[8192], errtxt[8192], ldlog[1 << 18];

static void slurp(const char *name, char *buf, size_t len)
{
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *fp = fopen(p, "r");
    size_t n = fp ? fread(buf, 1, len - 1, fp) : 0;
    buf[n] = '\0';
    if (fp)
        fclose(fp);
}

/* Runs `idcheck ARGS` in dir with LD_DEBUG=files, IDCHECK_CUDA_LIB unset and
 * then the assignments in env (its log in ldlog, the verb's stdout and
 * stderr in out and errtxt); returns the exit code. */
static int idc(const char *env, const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "cd %s && rm -f ld.* && env -u IDCHECK_CUDA_LIB %s LD_DEBUG=files LD_DEBUG_OUTPUT=%s/ld %s %s "
             ">out.txt 2>err.txt; st=$?; cat ld.* > ldlog.txt 2>/dev/null; exit $st",
             dir, env, dir, bin, args);
    int st = system(cmd);
    slurp("out.txt", out, sizeof out);
    slurp("err.txt", errtxt, sizeof errtxt);
    slurp("ldlog.txt", ldlog, sizeof ldlog);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The first CUDA library the last run mapped, or NULL. */
static const char *cuda_in_log(void)
{
    static const char *const libs[] = {"libcudart", "libcublas", "libcuda.so", "libidcheck-cuda"};
    for (size_t i = 0; i < sizeof libs / sizeof *libs; i++)
        if (strstr(ldlog, libs[i]) != NULL)
            return libs[i];
    return NULL;
}

static int one_line(const char *s)
{
    const char *nl = strchr(s, '\n');
    return s[0] != '\0' && (nl == NULL || nl[1] == '\0');
}

static void setup(void)
{
    bin = getenv("IDCHECK_BIN");
    if (bin == NULL) {
        static char buf[512];
        ck_assert_ptr_nonnull(getcwd(buf, sizeof buf - 20));
        strcat(buf, "/build/idcheck");
        bin = buf;
    }
    snprintf(dir, sizeof dir, "/tmp/idc_start_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

#define FIT "fit i.json --estimator stage1 --steps 1 -n 200 --eval 100 --hidden-mult 1 --batch 64 -o f.json"

START_TEST(test_cpu_verbs_map_no_cuda)
{
    static const char *const verbs[] = {"version",       "theorems", "gen pdgmm --seed 1 -o i.json",
                                        "check i.json --only DIM", FIT " --device cpu", FIT};
    for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++) {
        ck_assert_msg(idc("", verbs[i]) == 0, "idcheck %s: %s", verbs[i], errtxt);
        /* the log is there and names what was mapped (libc at least) */
        ck_assert_msg(strstr(ldlog, "file=libc.so") != NULL, "no LD_DEBUG log for idcheck %s", verbs[i]);
        ck_assert_msg(cuda_in_log() == NULL, "idcheck %s mapped %s", verbs[i], cuda_in_log());
    }
}
END_TEST

START_TEST(test_device_request_loads)
{
    ck_assert_int_eq(idc("", "gen pdgmm --seed 1 -o i.json"), 0);
    ck_assert_msg(idc("", FIT " --device auto") == 0, "%s", errtxt);
    if (!idc_gpu_built()) {
        ck_assert_msg(cuda_in_log() == NULL, "a build without CUDA mapped %s", cuda_in_log());
        ck_assert_ptr_nonnull(strstr(errtxt, "--device auto: using cpu (cuda unavailable: built without CUDA"));
        return;
    }
    ck_assert_msg(strstr(ldlog, "libidcheck-cuda.so [0];  dynamically loaded by") != NULL,
                  "--device auto did not load the backend: %.300s", errtxt);
    ck_assert_ptr_nonnull(strstr(ldlog, "libcudart"));
    /* without a device, the fallback is one visible line */
    const char *note = strstr(errtxt, "--device auto: using cpu (cuda unavailable: ");
    if (note != NULL)
        ck_assert_ptr_nonnull(strstr(note, "no CUDA device"));
    fprintf(stderr, "test device_request_loads: %s", note != NULL ? note : "a device was used\n");
}
END_TEST

START_TEST(test_missing_backend)
{
    struct stat sb;
    ck_assert_int_eq(idc("", "gen pdgmm --seed 1 -o i.json"), 0);
    ck_assert_int_eq(idc("IDCHECK_CUDA_LIB=/nonexistent/libidcheck-cuda.so", FIT " --device cuda"), 2);
    ck_assert_msg(one_line(errtxt), "%s", errtxt);
    ck_assert_msg(strstr(errtxt, "idcheck fit: --device cuda: CUDA backend: cannot load "
                                 "IDCHECK_CUDA_LIB=/nonexistent/libidcheck-cuda.so: ") == errtxt,
                  "%s", errtxt);
    char p[128];
    snprintf(p, sizeof p, "%s/f.json", dir);
    ck_assert_int_ne(stat(p, &sb), 0);
    ck_assert_int_eq(idc("IDCHECK_CUDA_LIB=/nonexistent/libidcheck-cuda.so", FIT " --device auto"), 0);
    ck_assert_msg(strstr(errtxt, "--device auto: using cpu (cuda unavailable: CUDA backend: cannot load ") != NULL,
                  "%s", errtxt);
    ck_assert_int_eq(stat(p, &sb), 0);
    /* a copy of the binary with no backend beside it */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cp %s %s/idc-copy", bin, dir);
    ck_assert_int_eq(system(cmd), 0);
    const char *real = bin;
    snprintf(cmd, sizeof cmd, "%s/idc-copy", dir);
    bin = cmd;
    int rc = idc("", FIT " --device cuda");
    bin = real;
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(one_line(errtxt), "%s", errtxt);
    if (!idc_gpu_built())
        ck_assert_msg(strstr(errtxt, "--device cuda: built without CUDA") != NULL, "%s", errtxt);
    else if (strstr(errtxt, "no CUDA device") == NULL) /* unless one is installed on the library path */
        ck_assert_msg(strstr(errtxt, "--device cuda: CUDA backend libidcheck-cuda.so not found (looked next to "
                                     "the executable in ") != NULL,
                      "%s", errtxt);
}
END_TEST

/* fit --estimator flow --device (and repro flow-k39c --device): cuda
 * without a backend is one line and
 * exit 2 with no output; auto falls back to the CPU with a note and records
 * "device": "cpu"; with the test stand-in as the backend (its flow
 * evaluator runs the device algorithm on the host) the fit takes the
 * device path, records "device": "cuda" and gives the CPU's model. */
#define FLOWFIT "fit i.json --estimator flow --steps 10 -n 400 --eval 200"

START_TEST(test_flow_device)
{
    struct stat sb;
    char p[128], fake[600], env[700];
    ck_assert_int_eq(idc("", "gen pdgmm --m 2 --J 2 --seed 3 -o i.json"), 0);
    ck_assert_int_eq(idc("IDCHECK_CUDA_LIB=/nonexistent/libidcheck-cuda.so", FLOWFIT " --device cuda -o g.json"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "idcheck fit: --device cuda: CUDA backend: cannot load ") == errtxt,
                  "%s", errtxt);
    snprintf(p, sizeof p, "%s/g.json", dir);
    ck_assert_int_ne(stat(p, &sb), 0);
    ck_assert_msg(out[0] == '\0', "partial output: %s", out);
    ck_assert_int_eq(idc("IDCHECK_CUDA_LIB=/nonexistent/libidcheck-cuda.so", FLOWFIT " --device auto -o a.json"), 0);
    ck_assert_msg(strstr(errtxt, "--device auto: using cpu (cuda unavailable: CUDA backend: cannot load ") != NULL,
                  "%s", errtxt);
    ck_assert_int_eq(idc("", FLOWFIT " --device cpu -o c.json"), 0);
    ck_assert_msg(cuda_in_log() == NULL, "--device cpu mapped %s", cuda_in_log());
    ck_assert_int_eq(idc("", FLOWFIT " --device gpu -o x.json"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--device: expected cpu, cuda or auto") != NULL);
    /* repro flow-k39c --device: the same lines */
    ck_assert_int_eq(idc("IDCHECK_CUDA_LIB=/nonexistent/libidcheck-cuda.so",
                         "repro flow-k39c --trials 1 --steps 3 --seconds 0 -n 300 --eval 200 --device cuda -o r.json"),
                     2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "idcheck repro: --device cuda: CUDA backend: cannot load ") == errtxt,
                  "%s", errtxt);
    ck_assert_msg(out[0] == '\0', "partial output: %s", out);
    snprintf(p, sizeof p, "%s/r.json", dir);
    ck_assert_int_ne(stat(p, &sb), 0);
    ck_assert_int_eq(idc("IDCHECK_CUDA_LIB=/nonexistent/libidcheck-cuda.so",
                         "repro flow-k39c --trials 1 --steps 3 --seconds 0 -n 300 --eval 200 --device auto -o r.json"),
                     0);
    ck_assert_msg(strstr(errtxt, "idcheck repro: --device auto: using cpu (cuda unavailable: ") != NULL, "%s", errtxt);
    ck_assert_int_eq(stat(p, &sb), 0);
    /* the stand-in beside the test programs: BIN's folder/gpu/tests */
    snprintf(fake, sizeof fake, "%s", bin);
    char *slash = strrchr(fake, '/');
    ck_assert_ptr_nonnull(slash);
    snprintf(slash, sizeof fake - (size_t)(slash - fake), "/gpu/tests/fake-plugin.so");
    snprintf(env, sizeof env, "IDCHECK_CUDA_LIB=%s", fake);
    ck_assert_msg(idc(env, FLOWFIT " --device cuda -o d.json") == 0, "%s", errtxt);
    json_t *js[3];
    const char *names[3] = {"a.json", "c.json", "d.json"}, *devs[3] = {"cpu", "cpu", "cuda"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        js[i] = json_load_file(p, 0, NULL);
        ck_assert_ptr_nonnull(js[i]);
        ck_assert_str_eq(json_string_value(json_object_get(js[i], "device")), devs[i]);
    }
    for (int i = 1; i < 3; i++) /* the same fitted model, bit for bit (JSON with 17 digits) */
        ck_assert_msg(json_equal(json_object_get(js[0], "model"), json_object_get(js[i], "model")),
                      "%s: another model", names[i]);
    for (int i = 0; i < 3; i++)
        json_decref(js[i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_start");
    const idc_test_case cases[] = {
        {"cpu_verbs_map_no_cuda", test_cpu_verbs_map_no_cuda},
        {"device_request_loads", test_device_request_loads},
        {"missing_backend", test_missing_backend},
        {"flow_device", test_flow_device},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 120.0);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, cases[i].fn);
        suite_add_tcase(s, tc);
    }
    return idc_test_run(s);
}
