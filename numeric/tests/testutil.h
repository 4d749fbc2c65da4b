/* Helpers shared by the Check test programs (header only).
 *
 * Randomised tests take their run seed from IDC_TEST_SEED (default: a fixed
 * constant per test program), print it first, and on failure print one
 * greppable line and a replay command:
 *   IDC-FAIL test=NAME seed=0x...   replay: IDC_TEST_SEED=0x... CK_RUN_CASE=... build/...
 */
#ifndef IDC_TESTUTIL_H
#define IDC_TESTUTIL_H

#include <check.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline uint64_t idc_test_seed(uint64_t dflt)
{
    const char *s = getenv("IDC_TEST_SEED");
    uint64_t seed = (s != NULL && *s != '\0') ? strtoull(s, NULL, 0) : dflt;
    return seed;
}

/* Prints the seed line at the start of a randomised test. */
#define IDC_TEST_PRINT_SEED(name, seed) \
    fprintf(stderr, "test %s: seed=0x%" PRIx64 "\n", (name), (uint64_t)(seed))

/* Prints the IDC-FAIL line and the replay command (binary = build/<source
 * path without .c>). */
static inline void idc_test_print_replay(const char *name, uint64_t seed, const char *file)
{
    char bin[512];
    snprintf(bin, sizeof bin, "build/%s", file);
    size_t n = 0;
    while (bin[n] != '\0')
        n++;
    if (n > 2 && bin[n - 2] == '.' && bin[n - 1] == 'c')
        bin[n - 2] = '\0';
    fprintf(stderr,
            "IDC-FAIL test=%s seed=0x%" PRIx64 "  replay: IDC_TEST_SEED=0x%" PRIx64
            " CK_FORK=no CK_RUN_CASE=%s %s\n",
            name, seed, seed, name, bin);
}

/* Fails the test with the IDC-FAIL line and a replay command. The Check
 * TCase of the test must be named NAME so CK_RUN_CASE selects it. */
#define IDC_TEST_FAIL_REPLAY(name, seed, ...)                        \
    do {                                                             \
        idc_test_print_replay((name), (uint64_t)(seed), __FILE__);   \
        ck_abort_msg(__VA_ARGS__);                                   \
    } while (0)

/* One named test: a TCase of its own per test, so CK_RUN_CASE=NAME runs it
 * alone (the replay commands rely on it). */
typedef struct {
    const char *name;
    const TTest *fn;
} idc_test_case;

/* Adds a TCase (timeout in seconds) for each of the n cases. */
static inline void idc_test_add_cases(Suite *s, const idc_test_case *cases, size_t n, double timeout)
{
    for (size_t i = 0; i < n; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, timeout);
        tcase_add_test(tc, cases[i].fn);
        suite_add_tcase(s, tc);
    }
}

/* Runs a suite; returns the number of failed tests (the exit code). */
static inline int idc_test_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf < 125 ? nf : 125; /* the failure count (capped below shell-special codes) */
}

#endif
