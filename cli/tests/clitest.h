/* Helpers shared by the CLI test programs (header only): each test runs
 * idcheck commands through the shell in a fresh temporary directory and
 * inspects their exit code, stdout and stderr. The binary under test is
 * $IDCHECK_BIN (set by `make check`) or build/idcheck. */
#ifndef IDC_CLITEST_H
#define IDC_CLITEST_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];     /* the test's working directory */
static const char *bin;  /* the idcheck binary */
static char out[65536], errtxt[8192]; /* stdout / stderr of the last idc() */

/* Runs the shell command ARGS in dir with idcheck = the binary under test;
 * captures stdout and stderr (truncated to the buffers); returns the exit
 * code (-1 when killed by a signal). */
static inline int idc(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd %s && idcheck() { %s \"$@\"; } && ( %s ) >out.txt 2>err.txt", dir, bin, args);
    int st = system(cmd);
    char p[128];
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof p, "%s/%s", dir, k ? "err.txt" : "out.txt");
        FILE *fp = fopen(p, "r");
        char *b = k ? errtxt : out;
        size_t cap = k ? sizeof errtxt : sizeof out;
        size_t n = fp ? fread(b, 1, cap - 1, fp) : 0;
        b[n] = '\0';
        if (fp)
            fclose(fp);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* 1 when dir/name exists. */
static inline int exists(const char *name)
{
    char p[256];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &sb) == 0;
}

/* 1 when s is exactly one non-empty line (an optional final newline). */
static inline int one_line(const char *s)
{
    const char *nl = strchr(s, '\n');
    return s[0] != '\0' && (nl == NULL || nl[1] == '\0');
}

/* Finds the binary and makes the directory /tmp/TAG_XXXXXX. */
static inline void clitest_setup(const char *tag)
{
    bin = getenv("IDCHECK_BIN");
    if (bin == NULL) {
        static char buf[512];
        ck_assert_ptr_nonnull(getcwd(buf, sizeof buf - 20));
        strcat(buf, "/build/idcheck");
        bin = buf;
    }
    snprintf(dir, sizeof dir, "/tmp/%.40s_XXXXXX", tag);
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Removes the directory. */
static inline void clitest_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

#endif
