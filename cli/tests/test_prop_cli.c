/* End-to-end tests of `idcheck prop` shrinking, regression seeds, JUnit and
 * TAP output, and the journal (a run killed with SIGKILL and resumed), as a CI
 * job uses them. K3.9c at tiny sizes (training takes
 * milliseconds); r2_min 2 makes every trial fail (R^2 <= 1). The binary is
 * $IDCHECK_BIN (set by `make check`) or build/idcheck. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "numeric/tests/testutil.h"
#include "cli/tests/clitest.h"


/* K3.9c with the flow at tiny sizes; kappa 1e6 opens the estimator gate, so
 * r2_min alone decides PASS / FAIL */
#define SMALL "--m 2 --J 2 --n_train 300 --n_eval 100 --steps 30 --batch 32 --kappa 1e6"



static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The text after `prefix` up to the end of its line (copied into buf). */
static int line_after(char *buf, size_t cap, const char *text, const char *prefix)
{
    const char *p = strstr(text, prefix);
    if (p == NULL)
        return 0;
    p += strlen(prefix);
    size_t n = strcspn(p, "\n");
    snprintf(buf, cap, "%.*s", (int)n, p);
    return 1;
}

static void setup(void)
{
    clitest_setup("idc_propcli");
}

static void teardown(void) { clitest_teardown(); }


START_TEST(test_shrink_files_and_replay)
{
    ck_assert_int_eq(idc("idcheck prop K3.9c --trials 2 --seed 3 --jobs 2 " SMALL
                         " --r2_min 2 --shrink-steps 6 -o r.json --junit j.xml --tap t.tap"),
                     1);
    ck_assert_msg(strstr(out, "K3.9c: 0 passed, 2 failed, 0 inconclusive, 0 discarded\n") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "IDC-SHRUNK prop=K3.9c trial=0 steps=") != NULL, "%s", out);
    ck_assert(strstr(out, "files: r.trial-0.json r.trial-0.min.json") != NULL);
    ck_assert(exists("r.json") && exists("r.trial-0.json") && exists("r.trial-0.min.json") &&
              exists("r.trial-1.min.json"));
    ck_assert(strstr(out, "new failing trial(s) recorded in .idcheck/regressions/K3.9c.txt") != NULL);
    ck_assert(exists(".idcheck/regressions/K3.9c.txt"));
    /* JUnit / TAP: one case per trial, both failures. */
    ck_assert_int_eq(idc("cat j.xml"), 0);
    ck_assert_msg(strstr(out, "<testsuites name=\"idcheck prop\" tests=\"2\" failures=\"2\"") != NULL, "%s", out);
    ck_assert_uint_eq(count(out, "<testcase "), 2);
    ck_assert(strstr(out, "replay: idcheck prop K3.9c --replay 0x3:0 --m 2") != NULL);
    ck_assert(strstr(out, "r2_min 2.0000") != NULL && strstr(out, "&lt; r2_min") != NULL);
    ck_assert_int_eq(idc("cat t.tap"), 0);
    ck_assert(strncmp(out, "TAP version 13\n1..2\nnot ok 1 - K3.9c: trial 0 seed=0x", 50) == 0);
    /* The minimal case's replay command reproduces it. */
    ck_assert_int_eq(idc("idcheck prop K3.9c --trials 2 --seed 3 " SMALL " --r2_min 2 --shrink-steps 6 --no-regressions"),
                     1);
    char cmd[1024];
    ck_assert_msg(line_after(cmd, sizeof cmd, out, "  replay minimal: "), "%s", out);
    json_error_t je;
    char path[128];
    snprintf(path, sizeof path, "%s/r.trial-0.min.json", dir);
    json_t *min = json_load_file(path, 0, &je);
    ck_assert_ptr_nonnull(min);
    ck_assert_str_eq(json_string_value(json_object_get(min, "replay")), cmd);
    char want[400];
    snprintf(want, sizeof want, "FAIL: %s\n", json_string_value(json_object_get(min, "why")));
    ck_assert_int_eq(idc(cmd), 1);
    ck_assert_msg(strstr(out, want) != NULL, "%s\nwant %s", out, want);
    ck_assert(strstr(out, "IDC-SHRUNK") == NULL); /* --replay does not shrink by default */
    json_t *orig = json_load_file(strstr(path, "r.trial") ? (strcpy(strstr(path, ".min.json"), ".json"), path) : path,
                                  0, &je);
    ck_assert_ptr_nonnull(orig);
    ck_assert_str_eq(json_string_value(json_object_get(orig, "outcome")), "FAIL");
    ck_assert(json_is_object(json_object_get(orig, "params")));
    json_decref(orig);
    json_decref(min);
    /* --shrink-failures caps how many failures are shrunk. */
    ck_assert_int_eq(idc("idcheck prop K3.9c --trials 2 --seed 3 " SMALL
                         " --r2_min 2 --shrink-steps 2 --shrink-failures 1 --no-regressions"),
                     1);
    ck_assert_uint_eq(count(out, "IDC-SHRUNK"), 1);
    ck_assert_msg(strstr(out, "K3.9c: 1 more failing trial(s) not shrunk") != NULL, "%s", out);
}
END_TEST

START_TEST(test_regressions_first)
{
    ck_assert_int_eq(idc("idcheck prop K3.9c --trials 2 --seed 3 " SMALL " --r2_min 2 --no-shrink"), 1);
    ck_assert_int_eq(idc("grep -c '^0x' .idcheck/regressions/K3.9c.txt"), 0);
    ck_assert_str_eq(out, "2\n");
    /* Next run, passing parameters: the two regressions (with their own
     * parameters) are replayed first and still fail. */
    ck_assert_int_eq(idc("idcheck prop K3.9c --trials 1 --seed 9 " SMALL " --r2_min -1e6"), 1);
    ck_assert_msg(strncmp(out, "K3.9c regression 0 trial 0 run_seed=0x3 ", 40) == 0, "%s", out);
    ck_assert(strstr(out, "K3.9c regression 1 trial 1 run_seed=0x3 ") < strstr(out, "K3.9c trial 0 "));
    ck_assert(strstr(out, "IDC-FAIL prop=K3.9c regression=0 trial=0") != NULL);
    ck_assert_msg(strstr(out, "K3.9c: 1 passed, 0 failed, 0 inconclusive, 0 discarded; regressions: 2 replayed, 2 failed, 0 passed, "
                              "0 inconclusive, 0 discarded\n") != NULL,
                  "%s", out);
    /* Disabled, or another directory: not replayed. */
    ck_assert_int_eq(idc("idcheck prop K3.9c --trials 1 --seed 9 " SMALL " --r2_min -1e6 --no-regressions"), 0);
    ck_assert(strstr(out, "regression") == NULL);
    ck_assert_int_eq(idc("idcheck prop K3.9c --trials 1 --seed 9 " SMALL " --r2_min 2 --no-shrink --regressions regs"),
                     1);
    ck_assert(exists("regs/K3.9c.txt"));
    ck_assert(strstr(out, "regressions:") == NULL);
    /* --replay neither replays nor records regressions. */
    ck_assert_int_eq(idc("idcheck prop K3.9c --replay 0x4:0 " SMALL " --r2_min 2"), 1);
    ck_assert(strstr(out, "regression") == NULL);
    ck_assert_int_eq(idc("grep -c '^0x' .idcheck/regressions/K3.9c.txt"), 0);
    ck_assert_str_eq(out, "2\n");
    /* Edit a regression so that it passes now: reported, kept, then pruned. */
    ck_assert_int_eq(idc("sed -i '0,/\"r2_min\":2.0/s//\"r2_min\":-1000.0/' .idcheck/regressions/K3.9c.txt"), 0);
    ck_assert_int_eq(idc("idcheck prop K3.9c --trials 1 --seed 9 " SMALL " --r2_min -1e6 --no-shrink"), 1);
    ck_assert_msg(strstr(out, "regressions: 2 replayed, 1 failed, 1 passed") != NULL, "%s", out);
    ck_assert(strstr(out, "1 regression(s) now pass (kept in") != NULL);
    ck_assert_int_eq(idc("idcheck prop K3.9c --trials 1 --seed 9 " SMALL " --r2_min -1e6 --no-shrink "
                         "--prune-regressions --quiet"),
                     1);
    ck_assert_int_eq(idc("grep -c '^0x' .idcheck/regressions/K3.9c.txt"), 0);
    ck_assert_str_eq(out, "1\n");
    /* A malformed regression file is bad input. */
    ck_assert_int_eq(idc("echo 'garbage' >> .idcheck/regressions/K3.9c.txt && idcheck prop K3.9c " SMALL), 2);
    ck_assert_msg(strstr(errtxt, "K3.9c.txt:5:") != NULL, "%s", errtxt);
}
END_TEST

/* Lines in dir/name (0 when absent). */
static size_t lines_of(const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *fp = fopen(p, "r");
    size_t n = 0;
    for (int c; fp != NULL && (c = fgetc(fp)) != EOF;)
        n += c == '\n';
    if (fp)
        fclose(fp);
    return n;
}

/* Drops what differs between runs of the same trials: timings (keys ending
 * in "seconds", JUnit time attributes) and the provenance. */
static void strip_timings(json_t *v)
{
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) strip_timings(e);
    } else if (json_is_object(v)) {
        const char *k;
        json_t *e;
        void *tmp;
        json_object_del(v, "provenance");
        json_object_foreach_safe(v, tmp, k, e)
        {
            size_t n = strlen(k);
            if (n >= 7 && strcmp(k + n - 7, "seconds") == 0)
                json_object_del(v, k);
            else
                strip_timings(e);
        }
    }
}

static json_t *load_stripped(const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    json_t *v = json_load_file(p, 0, NULL);
    ck_assert_msg(v != NULL, "%s", p);
    strip_timings(v);
    return v;
}

/* K3.9c trials of about a second: slow enough to kill the run between two. */
#define SLOW "--m 2 --J 2 --n_train 2000 --n_eval 1000 --steps 600 --kappa 1e6 --r2_min 2"
#define KILLED "K3.9c --trials 5 --seed 5 " SLOW " --shrink-steps 2 --shrink-failures 1 -o r.json --junit j.xml"

START_TEST(test_resume_after_kill)
{
    ck_assert_int_eq(idc("mkdir a b"), 0);
    /* A real idcheck prop child, killed with SIGKILL once it has journaled 2
     * trials (header + 2 lines). */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char wd[128];
        snprintf(wd, sizeof wd, "%s/a", dir);
        int fd = open("/dev/null", O_WRONLY);
        if (chdir(wd) != 0 || fd < 0 || dup2(fd, 1) < 0)
            _exit(99);
        execl(bin, "idcheck", "prop", "K3.9c", "--trials", "5", "--seed", "5", "--m", "2", "--J", "2", "--n_train",
              "2000", "--n_eval", "1000", "--steps", "600", "--kappa", "1e6", "--r2_min", "2", "--shrink-steps", "2",
              "--shrink-failures", "1", "-o", "r.json", "--junit", "j.xml", (char *)NULL);
        _exit(98);
    }
    int st = 0;
    for (int k = 0; k < 12000 && lines_of("a/r.json.journal") < 3; k++) {
        ck_assert_int_eq(waitpid(pid, &st, WNOHANG), 0); /* still running */
        nanosleep(&(struct timespec){0, 5000000}, NULL);
    }
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFSIGNALED(st));
    size_t done = lines_of("a/r.json.journal") - 1;
    ck_assert_uint_ge(done, 2);
    ck_assert_uint_lt(done, 5);
    /* Nothing partial written; the failing trials already in the regressions
     * file (each is recorded there before its journal line). */
    ck_assert(!exists("a/r.json") && !exists("a/j.xml"));
    ck_assert_int_eq(idc("grep -c '^0x' a/.idcheck/regressions/K3.9c.txt"), 0);
    ck_assert_uint_ge(strtoul(out, NULL, 10), done);
    /* Resumed: the journaled trials are re-used, not run again. */
    ck_assert_int_eq(idc("cd a && idcheck prop " KILLED " --resume"), 1);
    char want[128];
    snprintf(want, sizeof want, "K3.9c: resuming from r.json.journal: %zu finished trial(s) re-used", done);
    ck_assert_msg(strstr(out, want) != NULL, "%s", out);
    ck_assert_uint_eq(count(out, "[journal]\n"), done);
    ck_assert_msg(strstr(out, "K3.9c: 0 passed, 5 failed, 0 inconclusive, 0 discarded\n") != NULL, "%s", out);
    ck_assert(!exists("a/r.json.journal")); /* removed once everything is written */
    /* The same command uninterrupted elsewhere: the same results (but for
     * timings), the same JUnit report and regressions file. */
    ck_assert_int_eq(idc("cd b && idcheck prop " KILLED), 1);
    ck_assert(strstr(out, "[journal]") == NULL && strstr(out, "resuming") == NULL);
    json_t *ra = load_stripped("a/r.json"), *rb = load_stripped("b/r.json");
    ck_assert_uint_eq(json_array_size(json_object_get(ra, "trials")), 5);
    ck_assert(json_object_get(json_array_get(json_object_get(ra, "trials"), 0), "shrink") != NULL);
    ck_assert(json_equal(ra, rb));
    json_decref(ra);
    json_decref(rb);
    ck_assert_int_eq(idc("sed 's/time=\"[^\"]*\"//g' a/j.xml >ja && sed 's/time=\"[^\"]*\"//g' b/j.xml >jb && "
                         "cmp ja jb && cmp a/.idcheck/regressions/K3.9c.txt b/.idcheck/regressions/K3.9c.txt"),
                     0);
    ck_assert_int_eq(idc("grep -c '^0x' a/.idcheck/regressions/K3.9c.txt"), 0);
    ck_assert_str_eq(out, "5\n");
}
END_TEST

/* A run whose JUnit file cannot be written (a directory) exits 2 and keeps
 * its journal: a run left unfinished, cheaply. */
#define LEFT_REGS "idcheck prop K3.9c --trials 2 --seed 3 " SMALL " --r2_min 2 --no-shrink"
#define LEFT LEFT_REGS " --no-regressions"

START_TEST(test_resume_rules)
{
    ck_assert_int_eq(idc("mkdir d && " LEFT " -o r.json --junit d"), 2);
    ck_assert(exists("r.json.journal")); /* results written, the JUnit file not: kept */
    ck_assert_uint_eq(lines_of("r.json.journal"), 3);
    /* The same command again resumes without --resume. */
    ck_assert_int_eq(idc(LEFT " -o r.json --junit j.xml"), 1);
    ck_assert_msg(strstr(out, "resuming from r.json.journal: 2 finished trial(s)") != NULL, "%s", out);
    ck_assert_uint_eq(count(out, "[journal]\n"), 2);
    ck_assert(exists("r.json") && exists("j.xml") && !exists("r.json.journal"));
    /* Another command's journal is refused, in one line, unless --fresh. */
    ck_assert_int_eq(idc(LEFT " -o r.json --junit d"), 2);
    ck_assert_int_eq(
        idc("idcheck prop K3.9c --trials 2 --seed 4 " SMALL " --r2_min 2 --no-shrink --no-regressions -o r.json"), 2);
    ck_assert_msg(strstr(errtxt, "r.json.journal: an unfinished run of another command (run_seed: ") != NULL &&
                      strstr(errtxt, "--fresh") != NULL && count(errtxt, "\n") == 1,
                  "%s", errtxt);
    ck_assert_int_eq(idc(LEFT " --steps 31 --resume -o r.json"), 2);
    ck_assert_msg(strstr(errtxt, "params.steps: 30 in the journal, 31 in this command") != NULL, "%s", errtxt);
    ck_assert_int_eq(idc(LEFT_REGS " -o r.json"), 2);
    ck_assert_msg(strstr(errtxt, "(regressions: ") != NULL, "%s", errtxt);
    ck_assert_uint_eq(lines_of("r.json.journal"), 3); /* untouched */
    ck_assert_int_eq(idc("idcheck prop K3.9c --trials 2 --seed 4 " SMALL " --r2_min 2 --no-shrink --no-regressions "
                         "-o r.json --fresh"),
                     1);
    ck_assert(strstr(out, "[journal]") == NULL && !exists("r.json.journal"));
    /* A torn last line (killed while writing it): that trial runs again. */
    ck_assert_int_eq(idc(LEFT " -o r.json --junit d"), 2);
    ck_assert_int_eq(idc("truncate -s -9 r.json.journal"), 0);
    ck_assert_int_eq(idc(LEFT " -o r.json --resume"), 1);
    ck_assert_msg(strstr(out, "resuming from r.json.journal: 1 finished trial(s)") != NULL, "%s", out);
    ck_assert_uint_eq(count(out, "[journal]\n"), 1);
    ck_assert(strstr(out, "K3.9c trial 1 ") != NULL && strstr(strstr(out, "K3.9c trial 1 "), "[journal]") == NULL);
    /* Without -o the journal is .idcheck/runs/ID-HASH.jsonl. */
    ck_assert_int_eq(idc(LEFT " --tap d"), 2);
    ck_assert_int_eq(idc("ls .idcheck/runs | grep -c '^K3.9c-[0-9a-f]\\{16\\}\\.jsonl$'"), 0);
    ck_assert_str_eq(out, "1\n");
    ck_assert_int_eq(idc(LEFT), 1);
    ck_assert(strstr(out, "resuming from .idcheck/runs/K3.9c-") != NULL);
    ck_assert_int_eq(idc("ls .idcheck/runs | wc -l"), 0);
    ck_assert_str_eq(out, "0\n");
    /* Usage errors. */
    ck_assert_int_eq(idc(LEFT " -o q.json --resume"), 2);
    ck_assert_msg(strstr(errtxt, "--resume: no journal q.json.journal") != NULL, "%s", errtxt);
    ck_assert(!exists("q.json.journal"));
    ck_assert_int_eq(idc("idcheck prop K3.9c --replay 3:1 " SMALL " --resume"), 2);
    ck_assert(strstr(errtxt, "--resume: not with --replay") != NULL);
    ck_assert_int_eq(idc(LEFT " --fresh --no-journal"), 2);
    ck_assert(strstr(errtxt, "--fresh: not with --no-journal") != NULL);
    /* --no-journal writes none. */
    ck_assert_int_eq(idc(LEFT " --no-journal --tap d"), 2);
    ck_assert_int_eq(idc("ls .idcheck/runs | wc -l"), 0);
    ck_assert_str_eq(out, "0\n");
}
END_TEST

START_TEST(test_bad_flags)
{
    ck_assert_int_eq(idc("idcheck prop K3.9c --shrink-params nope"), 2);
    ck_assert(strstr(errtxt, "nope") != NULL);
    ck_assert_int_eq(idc("idcheck prop K3.9c --shrink-steps x"), 2);
    ck_assert_int_eq(idc("idcheck prop --help"), 0);
    ck_assert(strstr(out, "--shrink-steps") != NULL && strstr(out, "--junit") != NULL);
    ck_assert_int_eq(idc("idcheck prop --list"), 0);
    ck_assert(strstr(out, "shrinking (toward)") != NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("prop_cli");
    TCase *tc = tcase_create("prop_cli");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_shrink_files_and_replay);
    tcase_add_test(tc, test_regressions_first);
    tcase_add_test(tc, test_bad_flags);
    tcase_add_test(tc, test_resume_after_kill);
    tcase_add_test(tc, test_resume_rules);
    suite_add_tcase(s, tc);
    return idc_test_run(s);
}
