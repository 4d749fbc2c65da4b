/* End-to-end tests of the OpenBLAS core choice of the idcheck command
 * (cli/blas_core.c, numeric/blas.h): --blas-core NAME before the verb and
 * after fit/prop/repro, the core reported by `idcheck version` and recorded
 * in a fit's provenance, a user's OPENBLAS_CORETYPE never overridden, the
 * automatic choice with none set, one-line errors. The binary is
 * $IDCHECK_BIN (set by `make check`) or build/idcheck. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "numeric/blas.h"
#include "numeric/tests/testutil.h"
#include "cli/tests/clitest.h"




/* The "blas" object of the provenance JSON in out (a borrowed field copy). */
static void blas_field(const char *key, char *val, size_t n)
{
    json_error_t je;
    json_t *p = json_loads(out, 0, &je);
    ck_assert_msg(p != NULL, "not JSON: %s", out);
    json_t *b = json_object_get(p, "blas");
    if (b == NULL) /* a fit output: {"provenance": {...}} */
        b = json_object_get(json_object_get(p, "provenance"), "blas");
    const char *v = json_string_value(json_object_get(b, key));
    ck_assert_msg(v != NULL, "no blas.%s in %s", key, out);
    snprintf(val, n, "%s", v);
    json_decref(p);
}

static void setup(void)
{
    clitest_setup("idc_blas");
}

static void teardown(void) { clitest_teardown(); }


/* `idcheck --blas-core NAME version` reports NAME (and who chose it), with
 * or without OPENBLAS_CORETYPE in the environment. */
START_TEST(test_blas_core_option)
{
    unsigned f = idc_blas_cpu_features();
    static const char *const names[] = {"Prescott", "Haswell", "SkylakeX"};
    char v[64], cmd[256];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        for (int env = 0; env < 2; env++) {
            snprintf(cmd, sizeof cmd, "%s idcheck --blas-core %s version",
                     env ? "export OPENBLAS_CORETYPE=Prescott;" : "unset OPENBLAS_CORETYPE;", names[i]);
            int rc = idc(cmd);
            if (!idc_blas_core_selectable(names[i], f)) { /* not on this CPU */
                ck_assert_int_eq(rc, 2);
                ck_assert_msg(one_line(errtxt) && strstr(errtxt, "--blas-core") && strstr(errtxt, "lacks"),
                              "%s", errtxt);
                continue;
            }
            ck_assert_msg(rc == 0, "%s: exit %d: %s", cmd, rc, errtxt);
            blas_field("core", v, sizeof v);
            ck_assert_str_eq(v, names[i]);
            blas_field("chosen_by", v, sizeof v);
            ck_assert_str_eq(v, "--blas-core");
            ck_assert_msg(strstr(out, names[i]) != NULL, "%s", out);
        }
    /* case-insensitive, the = form */
    ck_assert_int_eq(idc("idcheck --blas-core=prescott version"), 0);
    blas_field("core", v, sizeof v);
    ck_assert_str_eq(v, "Prescott");
    /* after the training verbs: taken out before the verb parses */
    ck_assert_int_eq(idc("idcheck fit --blas-core Prescott --help"), 0);
    ck_assert(strstr(out, "usage") != NULL || strstr(out, "fit") != NULL);
    ck_assert_int_eq(idc("idcheck prop --help --blas-core=Prescott"), 0);
    ck_assert_int_eq(idc("idcheck repro --blas-core Prescott --help"), 0);
    /* errors: one line, exit 2 */
    ck_assert_int_eq(idc("idcheck --blas-core Bogus version"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "--blas-core: unknown core \"Bogus\""), "%s", errtxt);
    ck_assert_int_eq(idc("idcheck --blas-core"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "missing NAME"));
    ck_assert_int_eq(idc("idcheck fit --blas-core"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--blas-core"));
    ck_assert_int_eq(idc("idcheck --blas-core= version"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "empty"));
    /* other verbs do not take it after the verb */
    ck_assert_int_eq(idc("idcheck gen --blas-core Prescott pdgmm -o x.json"), 2);
}
END_TEST

/* A user's OPENBLAS_CORETYPE is never overridden, even a weaker core; with
 * none set the core is OpenBLAS's own unless the CPU flags support a
 * stronger one, which is then used. */
START_TEST(test_blas_core_auto)
{
    char core[64], by[64], det[64], best[64];
    ck_assert_int_eq(idc("OPENBLAS_CORETYPE=Prescott idcheck version"), 0);
    blas_field("core", core, sizeof core);
    blas_field("chosen_by", by, sizeof by);
    ck_assert_str_eq(core, "Prescott");
    ck_assert_str_eq(by, "OPENBLAS_CORETYPE");

    ck_assert_int_eq(idc("unset OPENBLAS_CORETYPE " IDC_BLAS_CORE_MARK "; idcheck version"), 0);
    blas_field("core", core, sizeof core);
    blas_field("chosen_by", by, sizeof by);
    blas_field("openblas_detected", det, sizeof det);
    blas_field("cpu_best", best, sizeof best);
    fprintf(stderr, "no OPENBLAS_CORETYPE: core %s chosen by %s (OpenBLAS: %s, CPU flags: %s)\n", core, by,
            det, best);
    if (strcmp(by, "openblas") == 0) {
        ck_assert_str_eq(core, det);
        ck_assert(idc_blas_core_level(core) < 0 || idc_blas_core_level(core) >= idc_blas_core_level(best));
    } else {
        ck_assert_str_eq(by, "cpu-flags");
        ck_assert_str_eq(core, best);
        ck_assert_int_lt(idc_blas_core_level(det), idc_blas_core_level(best));
    }
    ck_assert(errtxt[0] == '\0'); /* the core passed its GEMM check: no warning */
}
END_TEST

/* A fit records the core it trained with, and --blas-core replays it bit
 * for bit. */
START_TEST(test_blas_core_fit)
{
    char core[64];
    ck_assert_int_eq(idc("idcheck gen pdgmm --m 2 --J 2 --layers 1 --seed 3 -o inst.json"), 0);
    for (int k = 0; k < 2; k++) {
        char cmd[512];
        snprintf(cmd, sizeof cmd,
                 "idcheck fit inst.json --blas-core Prescott --estimator stage1 --seed 1 -n 300 --eval 100 "
                 "--steps 20 --batch 32 --hidden-mult 2 --zhat z%d.npy -o f%d.json",
                 k, k);
        ck_assert_msg(idc(cmd) == 0, "%s", errtxt);
    }
    ck_assert_int_eq(idc("cmp z0.npy z1.npy"), 0);
    ck_assert_int_eq(idc("cat f0.json"), 0);
    blas_field("core", core, sizeof core);
    ck_assert_str_eq(core, "Prescott");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("blas_cli");
    TCase *tc = tcase_create("blas_cli");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_blas_core_option);
    tcase_add_test(tc, test_blas_core_auto);
    tcase_add_test(tc, test_blas_core_fit);
    suite_add_tcase(s, tc);
    return idc_test_run(s);
}
