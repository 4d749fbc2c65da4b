/* Tests of numeric/fileio.h: .npy round trips and layout, what numpy reads,
 * CSV output, atomic replacement (a failed write loses nothing), writing
 * through devices, FIFOs and stdout (scratch nodes made here, never /dev),
 * sets of files replaced as one unit, stale temporaries of dead writers, and
 * .npy headers that lie about the size. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "numeric/fileio.h"
#include "numeric/tests/testutil.h"

static char dir[64];

static void mkdir_tmp(void)
{
    snprintf(dir, sizeof dir, "/tmp/idc_fileio_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *b = calloc((size_t)n + 1, 1);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return b;
}

START_TEST(test_npy_roundtrip)
{
    mkdir_tmp();
    char path[128];
    snprintf(path, sizeof path, "%s/a.npy", dir);
    double a[6] = {1.5, -2.0, 0.1, 5e-324, 1e308, -0.0};
    idc_err err;
    ck_assert_int_eq(idc_npy_write_f64(path, a, 3, 2, &err), IDC_OK);
    size_t len;
    char *raw = slurp(path, &len);
    ck_assert(memcmp(raw, "\x93NUMPY\x01\x00", 8) == 0);
    size_t hlen = (size_t)(unsigned char)raw[8] | ((size_t)(unsigned char)raw[9] << 8);
    ck_assert_uint_eq((10 + hlen) % 64, 0);
    ck_assert(raw[10 + hlen - 1] == '\n');
    ck_assert(strstr(raw + 10, "'shape': (3, 2)") != NULL);
    ck_assert_uint_eq(len, 10 + hlen + 6 * sizeof(double));
    free(raw);
    double *b;
    size_t r, c;
    ck_assert_int_eq(idc_npy_read_f64(&b, &r, &c, path, &err), IDC_OK);
    ck_assert_uint_eq(r, 3);
    ck_assert_uint_eq(c, 2);
    ck_assert(memcmp(a, b, sizeof a) == 0);
    free(b);
    /* 1-D */
    ck_assert_int_eq(idc_npy_write_f64(path, a, 6, 0, &err), IDC_OK);
    ck_assert_int_eq(idc_npy_read_f64(&b, &r, &c, path, &err), IDC_OK);
    ck_assert_uint_eq(r, 6);
    ck_assert_uint_eq(c, 1);
    free(b);
    /* int32 is not float64: rejected by the reader with a reason. */
    int32_t lab[3] = {0, 2, 1};
    ck_assert_int_eq(idc_npy_write_i32(path, lab, 3, &err), IDC_OK);
    ck_assert_int_eq(idc_npy_read_f64(&b, &r, &c, path, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "float64") != NULL);
    /* Truncated data. */
    ck_assert_int_eq(idc_npy_write_f64(path, a, 3, 2, &err), IDC_OK);
    ck_assert_int_eq(truncate(path, 100), 0);
    ck_assert_int_eq(idc_npy_read_f64(&b, &r, &c, path, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "truncated") != NULL);
    ck_assert_int_eq(idc_npy_read_f64(&b, &r, &c, "/nonexistent/x.npy", &err), IDC_EIO);
    remove(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_numpy_reads_it)
{
    if (access("/usr/bin/python3", X_OK) != 0 ||
        system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
        fprintf(stderr, "SKIP test_numpy_reads_it: /usr/bin/python3 with numpy not installed\n");
        return;
    }
    mkdir_tmp();
    char p1[128], p2[128], cmd[1024];
    snprintf(p1, sizeof p1, "%s/x.npy", dir);
    snprintf(p2, sizeof p2, "%s/l.npy", dir);
    double a[6] = {1.5, -2.0, 0.1, 5e-324, 1e308, -0.0};
    int32_t lab[4] = {0, 2, -1, 7};
    idc_err err;
    ck_assert_int_eq(idc_npy_write_f64(p1, a, 2, 3, &err), IDC_OK);
    ck_assert_int_eq(idc_npy_write_i32(p2, lab, 4, &err), IDC_OK);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import numpy as np; a=np.load('%s'); l=np.load('%s');"
             " assert a.shape==(2,3) and a.dtype==np.float64 and a[0,2]==0.1 and a[1,1]==1e308"
             " and a[0,1]==-2.0 and a[1,0]==5e-324;"
             " assert l.dtype==np.int32 and list(l)==[0,2,-1,7]\"",
             p1, p2);
    ck_assert_msg(system(cmd) == 0, "numpy could not read the files");
    remove(p1);
    remove(p2);
    rmdir(dir);
}
END_TEST

START_TEST(test_csv)
{
    mkdir_tmp();
    char path[128];
    snprintf(path, sizeof path, "%s/z.csv", dir);
    double a[4] = {0.1, 2, -3.5, 1e-300};
    idc_err err;
    ck_assert_int_eq(idc_csv_write_f64(path, "z", a, 2, 2, &err), IDC_OK);
    size_t len;
    char *s = slurp(path, &len);
    ck_assert_str_eq(s, "z0,z1\n0.10000000000000001,2\n-3.5,1e-300\n");
    free(s);
    int32_t l[2] = {3, -1};
    ck_assert_int_eq(idc_csv_write_i32(path, "label", l, 2, &err), IDC_OK);
    s = slurp(path, &len);
    ck_assert_str_eq(s, "label\n3\n-1\n");
    free(s);
    remove(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_atomic_write_keeps_old)
{
    mkdir_tmp();
    char path[128];
    snprintf(path, sizeof path, "%s/keep.txt", dir);
    idc_err err;
    ck_assert_int_eq(idc_write_file_atomic(path, "old", 3, &err), IDC_OK);
    /* Make the directory read-only: the new write must fail, old stays. */
    if (geteuid() != 0) {
        chmod(dir, 0500);
        ck_assert_int_eq(idc_write_file_atomic(path, "new", 3, &err), IDC_EIO);
        chmod(dir, 0700);
    }
    /* A target that is a directory cannot be replaced: fails, no temp left. */
    char sub[160];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    mkdir(sub, 0700);
    ck_assert_int_eq(idc_write_file_atomic(sub, "x", 1, &err), IDC_EIO);
    ck_assert(strstr(err.msg, "sub") != NULL);
    size_t len;
    char *s = slurp(path, &len);
    ck_assert_str_eq(s, "old");
    free(s);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 2", dir);
    ck_assert_msg(system(cmd) == 0, "temporary files left behind");
    rmdir(sub);
    remove(path);
    rmdir(dir);
}
END_TEST

static void path_in(char *p, size_t n, const char *name)
{
    snprintf(p, n, "%s/%s", dir, name);
}

static void put_file(const char *name, const char *text)
{
    char p[160];
    path_in(p, sizeof p, name);
    FILE *fp = fopen(p, "wb");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    ck_assert_int_eq(fclose(fp), 0);
}

static int has_content(const char *name, const char *text)
{
    char p[160];
    path_in(p, sizeof p, name);
    FILE *fp = fopen(p, "rb");
    if (fp == NULL)
        return 0;
    char b[256];
    size_t n = fread(b, 1, sizeof b - 1, fp);
    fclose(fp);
    b[n] = '\0';
    return strcmp(b, text) == 0;
}

static int exists_in(const char *name)
{
    char p[160];
    struct stat st;
    path_in(p, sizeof p, name);
    return lstat(p, &st) == 0;
}

/* Number of directory entries whose name contains ".tmp." or ".bak.". */
static int leftovers(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "exit $(ls -A %s | grep -c -e '\\.tmp\\.' -e '\\.bak\\.')", dir);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void rm_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Scratch character devices with the numbers of /dev/null (1:3) and /dev/full
 * (1:7); returns 0 where mknod is not allowed (not root). */
static int scratch_devices(char *null_path, char *full_path, size_t n)
{
    path_in(null_path, n, "null");
    path_in(full_path, n, "full");
    if (mknod(null_path, S_IFCHR | 0666, makedev(1, 3)) != 0 ||
        mknod(full_path, S_IFCHR | 0666, makedev(1, 7)) != 0) {
        fprintf(stderr, "SKIP device part: mknod: %s\n", strerror(errno));
        return 0;
    }
    return 1;
}

START_TEST(test_write_through_devices)
{
    mkdir_tmp();
    char pn[160], pf[160];
    idc_err err;
    if (scratch_devices(pn, pf, sizeof pn)) {
        double a[2] = {1, 2};
        ck_assert_int_eq(idc_write_file_atomic(pn, "hello", 5, &err), IDC_OK);
        ck_assert_int_eq(idc_npy_write_f64(pn, a, 2, 0, &err), IDC_OK);
        /* /dev/full's "disk full" is reported, naming the target. */
        ck_assert_int_eq(idc_write_file_atomic(pf, "hello", 5, &err), IDC_EIO);
        ck_assert_msg(strstr(err.msg, pf) != NULL && strstr(err.msg, strerror(ENOSPC)) != NULL, "%s",
                      err.msg);
        ck_assert_int_eq(idc_csv_write_f64(pf, "z", a, 1, 2, &err), IDC_EIO);
        /* Both are still the devices they were: never renamed over. */
        struct stat st;
        ck_assert_int_eq(lstat(pn, &st), 0);
        ck_assert(S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3);
        ck_assert_int_eq(lstat(pf, &st), 0);
        ck_assert(S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 7);
        /* A symlink to a device is written through as well. */
        char pl[160];
        path_in(pl, sizeof pl, "to_null");
        ck_assert_int_eq(symlink(pn, pl), 0);
        ck_assert_int_eq(idc_write_file_atomic(pl, "x", 1, &err), IDC_OK);
        ck_assert_int_eq(lstat(pl, &st), 0);
        ck_assert(S_ISLNK(st.st_mode));
        /* In a set: devices may be named twice; a failing device (written
         * first) leaves every regular member untouched. */
        char pa[160];
        path_in(pa, sizeof pa, "a");
        put_file("a", "old a");
        idc_fileset *fs = idc_fileset_new();
        ck_assert_int_eq(idc_fileset_add(fs, pn, "1", 1, &err), IDC_OK);
        ck_assert_int_eq(idc_fileset_add(fs, pa, "new a", 5, &err), IDC_OK);
        ck_assert_int_eq(idc_fileset_add(fs, pn, "2", 1, &err), IDC_OK);
        ck_assert_int_eq(idc_fileset_commit(fs, &err), IDC_OK);
        idc_fileset_free(fs);
        ck_assert(has_content("a", "new a"));
        fs = idc_fileset_new();
        ck_assert_int_eq(idc_fileset_add(fs, pa, "newer a", 7, &err), IDC_OK);
        ck_assert_int_eq(idc_fileset_add(fs, pf, "x", 1, &err), IDC_OK);
        ck_assert_int_eq(idc_fileset_commit(fs, &err), IDC_EIO);
        ck_assert(strstr(err.msg, pf) != NULL);
        idc_fileset_free(fs);
        ck_assert(has_content("a", "new a"));
        ck_assert_int_eq(leftovers(), 0);
    }
    rm_dir();
}
END_TEST

START_TEST(test_write_through_fifo)
{
    mkdir_tmp();
    char pf[160], pg[160];
    path_in(pf, sizeof pf, "fifo");
    path_in(pg, sizeof pg, "got");
    ck_assert_int_eq(mkfifo(pf, 0600), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) { /* the reader: copies what comes through the FIFO to "got" */
        char cmd[400];
        snprintf(cmd, sizeof cmd, "cat %s > %s", pf, pg);
        _exit(system(cmd) == 0 ? 0 : 1);
    }
    idc_err err;
    ck_assert_int_eq(idc_write_file_atomic(pf, "through the pipe\n", 17, &err), IDC_OK);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ck_assert(has_content("got", "through the pipe\n"));
    struct stat sb;
    ck_assert_int_eq(lstat(pf, &sb), 0);
    ck_assert(S_ISFIFO(sb.st_mode));
    ck_assert_int_eq(leftovers(), 0);
    rm_dir();
}
END_TEST

/* "-" is standard output: written and flushed; its errors are reported. */
START_TEST(test_write_stdout)
{
    mkdir_tmp();
    char po[160];
    path_in(po, sizeof po, "stdout.txt");
    fflush(stdout);
    int saved = dup(1);
    ck_assert_int_ge(saved, 0);
    int fd = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_ge(dup2(fd, 1), 0);
    close(fd);
    idc_err err;
    int rc = idc_write_file_atomic("-", "to stdout\n", 10, &err);
    char pn[160], pf[160];
    int rc_full = IDC_EIO;
    if (scratch_devices(pn, pf, sizeof pn)) {
        fd = open(pf, O_WRONLY);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_ge(dup2(fd, 1), 0);
        close(fd);
        rc_full = idc_write_file_atomic("-", "lost\n", 5, &err);
        clearerr(stdout);
    }
    ck_assert_int_ge(dup2(saved, 1), 0);
    close(saved);
    ck_assert_int_eq(rc, IDC_OK);
    ck_assert(has_content("stdout.txt", "to stdout\n"));
    ck_assert_int_eq(rc_full, IDC_EIO);
    ck_assert(!exists_in("-"));
    rm_dir();
}
END_TEST

/* A symlink to a regular file: the file it names is replaced, the link stays;
 * an existing file's permission bits are kept. */
START_TEST(test_symlink_and_mode)
{
    mkdir_tmp();
    char pr[160], pl[160];
    path_in(pr, sizeof pr, "real.txt");
    path_in(pl, sizeof pl, "link.txt");
    put_file("real.txt", "old");
    ck_assert_int_eq(chmod(pr, 0640), 0);
    ck_assert_int_eq(symlink("real.txt", pl), 0);
    idc_err err;
    ck_assert_int_eq(idc_write_file_atomic(pl, "new", 3, &err), IDC_OK);
    struct stat st;
    ck_assert_int_eq(lstat(pl, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    ck_assert(has_content("real.txt", "new"));
    ck_assert_int_eq(stat(pr, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0640);
    ck_assert_int_eq(leftovers(), 0);
    rm_dir();
}
END_TEST

/* A pid that is certainly dead: a child that has been reaped. */
static pid_t dead_pid(void)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(0);
    ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
    ck_assert(kill(pid, 0) != 0 && errno == ESRCH);
    return pid;
}

/* kill -9 during a write leaves "<target>.tmp.<pid>"; the next write of the
 * same target removes it. Kept: temporaries of live processes, temporaries
 * whose lock a live process holds, other targets' temporaries, backups that
 * hold content the target does not. */
START_TEST(test_stale_temporaries)
{
    mkdir_tmp();
    char pt[160], name[200];
    path_in(pt, sizeof pt, "t.npy");
    put_file("t.npy", "old");
    /* A writer killed with SIGKILL in the middle of writing its temporary. */
    pid_t killed = fork();
    ck_assert_int_ge(killed, 0);
    if (killed == 0) {
        snprintf(name, sizeof name, "%s.tmp.%ld", pt, (long)getpid());
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd < 0 || flock(fd, LOCK_EX) != 0 || write(fd, "half", 4) != 4)
            _exit(1);
        raise(SIGKILL);
        _exit(1);
    }
    int st;
    ck_assert_int_eq(waitpid(killed, &st, 0), killed);
    ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    char killed_tmp[64];
    snprintf(killed_tmp, sizeof killed_tmp, "t.npy.tmp.%ld", (long)killed);
    ck_assert(exists_in(killed_tmp));
    /* Dead pids: a stale temporary, a backup that is a second link to the
     * target (nothing lost by removing it), a backup with other content. */
    long d1 = (long)dead_pid(), d2 = (long)dead_pid();
    char stale[64], bak_link[64], bak_own[64], other[64], notours[64], live[64], locked[64];
    snprintf(stale, sizeof stale, "t.npy.tmp.%ld", d1);
    snprintf(bak_link, sizeof bak_link, "t.npy.bak.%ld", d1);
    snprintf(bak_own, sizeof bak_own, "t.npy.bak.%ld", d2);
    snprintf(other, sizeof other, "u.npy.tmp.%ld", d1);
    snprintf(notours, sizeof notours, "t.npy.tmp.%ldx", d1);
    snprintf(live, sizeof live, "t.npy.tmp.%ld", (long)getppid());
    snprintf(locked, sizeof locked, "t.npy.tmp.%ld", d2);
    put_file(stale, "stale");
    path_in(name, sizeof name, bak_link);
    ck_assert_int_eq(link(pt, name), 0);
    put_file(bak_own, "old content of a crashed commit");
    put_file(other, "x");
    put_file(notours, "x");
    put_file(live, "x");
    put_file(locked, "x");
    /* A live process holds the lock of a temporary named with a dead pid
     * (as a writer in another pid namespace would): kept. */
    int go[2], stop[2];
    ck_assert_int_eq(pipe(go), 0);
    ck_assert_int_eq(pipe(stop), 0);
    pid_t holder = fork();
    ck_assert_int_ge(holder, 0);
    if (holder == 0) {
        close(stop[1]);
        path_in(name, sizeof name, locked);
        int fd = open(name, O_RDONLY);
        char c = fd >= 0 && flock(fd, LOCK_EX) == 0 ? 'y' : 'n';
        if (write(go[1], &c, 1) != 1 || read(stop[0], &c, 1) < 0)
            _exit(1);
        _exit(0);
    }
    close(stop[0]);
    close(go[1]);
    char c;
    ck_assert_int_eq(read(go[0], &c, 1), 1);
    ck_assert_int_eq(c, 'y');
    idc_err err;
    ck_assert_int_eq(idc_write_file_atomic(pt, "new", 3, &err), IDC_OK);
    close(stop[1]);
    ck_assert_int_eq(waitpid(holder, NULL, 0), holder);
    ck_assert(has_content("t.npy", "new"));
    ck_assert(!exists_in(killed_tmp));
    ck_assert(!exists_in(stale));
    ck_assert(!exists_in(bak_link));
    ck_assert(has_content(bak_own, "old content of a crashed commit"));
    ck_assert(exists_in(other) && exists_in(notours) && exists_in(live) && exists_in(locked));
    rm_dir();
}
END_TEST

/* A set of files is replaced as one unit; a rename failing in the middle
 * rolls back the ones before it. */
START_TEST(test_fileset)
{
    mkdir_tmp();
    char pa[160], pb[160], pc[160], pd[160];
    path_in(pa, sizeof pa, "s.a");
    path_in(pb, sizeof pb, "s.b");
    path_in(pc, sizeof pc, "s.c");
    path_in(pd, sizeof pd, "s.d");
    put_file("s.a", "old a");
    put_file("s.c", "old c");
    idc_err err;
    /* Success: every member replaced, no temporary or backup left. */
    idc_fileset *fs = idc_fileset_new();
    ck_assert_ptr_nonnull(fs);
    ck_assert_int_eq(idc_fileset_add(fs, pa, "new a", 5, &err), IDC_OK);
    ck_assert_int_eq(idc_fileset_add(fs, pb, "new b", 5, &err), IDC_OK);
    ck_assert_int_eq(idc_fileset_add(fs, pc, "new c", 5, &err), IDC_OK);
    ck_assert_int_eq(idc_fileset_add(fs, pa, "again", 5, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "s.a") != NULL);
    ck_assert_int_eq(idc_fileset_commit(fs, &err), IDC_OK);
    ck_assert_int_eq(idc_fileset_commit(fs, &err), IDC_EINVAL);
    ck_assert_int_eq(idc_fileset_add(fs, pd, "d", 1, &err), IDC_EINVAL);
    idc_fileset_free(fs);
    ck_assert(has_content("s.a", "new a") && has_content("s.b", "new b") && has_content("s.c", "new c"));
    ck_assert_int_eq(leftovers(), 0);

    /* Failure in the middle: s.d cannot be replaced once the temporaries are
     * written (it became a directory), so s.a and s.b get their old content
     * back and s.c, new in this set, is removed again. */
    put_file("s.a", "old a");
    put_file("s.b", "old b");
    ck_assert_int_eq(remove(pc), 0);
    fs = idc_fileset_new();
    ck_assert_int_eq(idc_fileset_add(fs, pa, "newer a", 7, &err), IDC_OK);
    ck_assert_int_eq(idc_fileset_add(fs, pb, "newer b", 7, &err), IDC_OK);
    ck_assert_int_eq(idc_fileset_add(fs, pc, "newer c", 7, &err), IDC_OK);
    ck_assert_int_eq(idc_fileset_add(fs, pd, "newer d", 7, &err), IDC_OK);
    ck_assert_int_eq(mkdir(pd, 0700), 0);
    put_file("s.d/keep", "k");
    ck_assert_int_eq(idc_fileset_commit(fs, &err), IDC_EIO);
    ck_assert_msg(strstr(err.msg, "s.d") != NULL && strstr(err.msg, "restored") == NULL, "%s", err.msg);
    idc_fileset_free(fs);
    ck_assert(has_content("s.a", "old a") && has_content("s.b", "old b"));
    ck_assert(!exists_in("s.c"));
    ck_assert(has_content("s.d/keep", "k"));
    ck_assert_int_eq(leftovers(), 0);

    /* A directory target fails at add time; a set freed without commit
     * leaves nothing; free(NULL) is a no-op. */
    fs = idc_fileset_new();
    ck_assert_int_eq(idc_fileset_add(fs, pa, "x", 1, &err), IDC_OK);
    ck_assert_int_eq(idc_fileset_add(fs, pd, "x", 1, &err), IDC_EIO);
    ck_assert(strstr(err.msg, "s.d") != NULL && strstr(err.msg, "directory") != NULL);
    idc_fileset_free(fs);
    idc_fileset_free(NULL);
    ck_assert(has_content("s.a", "old a"));
    ck_assert_int_eq(leftovers(), 0);
    rm_dir();
}
END_TEST

/* Encoders give the bytes the writers write. */
START_TEST(test_encoders)
{
    mkdir_tmp();
    double a[6] = {0.5, -1, 3, 1e-300, 7, 8};
    int32_t l[3] = {4, -2, 0};
    char p[160];
    path_in(p, sizeof p, "e");
    idc_err err;
    for (int k = 0; k < 4; k++) {
        char *data = NULL;
        size_t len = 0, flen;
        int rc = k == 0   ? idc_npy_encode_f64(&data, &len, a, 3, 2, &err)
                 : k == 1 ? idc_npy_encode_i32(&data, &len, l, 3, &err)
                 : k == 2 ? idc_csv_encode_f64(&data, &len, "z", a, 3, 2, &err)
                          : idc_csv_encode_i32(&data, &len, "label", l, 3, &err);
        ck_assert_int_eq(rc, IDC_OK);
        rc = k == 0   ? idc_npy_write_f64(p, a, 3, 2, &err)
             : k == 1 ? idc_npy_write_i32(p, l, 3, &err)
             : k == 2 ? idc_csv_write_f64(p, "z", a, 3, 2, &err)
                      : idc_csv_write_i32(p, "label", l, 3, &err);
        ck_assert_int_eq(rc, IDC_OK);
        char *f = slurp(p, &flen);
        ck_assert_uint_eq(len, flen);
        ck_assert(memcmp(data, f, len) == 0);
        free(f);
        free(data);
    }
    rm_dir();
}
END_TEST

/* A header that claims more than the file holds is refused before anything
 * is allocated: (4294967296, 3) in a 4.9 KB file. */
START_TEST(test_npy_header_vs_size)
{
    mkdir_tmp();
    char p[160];
    path_in(p, sizeof p, "big.npy");
    double a[600] = {0};
    idc_err err;
    ck_assert_int_eq(idc_npy_write_f64(p, a, 200, 3, &err), IDC_OK);
    size_t len;
    char *raw = slurp(p, &len);
    char *shape = strstr(raw + 10, "(200, 3)");
    ck_assert_ptr_nonnull(shape);
    /* Same header length: "(200, 3)" -> "(4294967296, 3)" eats 7 pad spaces. */
    char *nl = strchr(raw + 10, '\n');
    memmove(shape + 7, shape, (size_t)(nl - 7 - shape));
    memcpy(shape, "(4294967296, 3)", 15);
    FILE *fp = fopen(p, "wb");
    ck_assert_uint_eq(fwrite(raw, 1, len, fp), len);
    fclose(fp);
    free(raw);
    double *b = NULL;
    size_t r, c;
    ck_assert_int_eq(idc_npy_read_f64(&b, &r, &c, p, &err), IDC_EINVAL);
    ck_assert_ptr_null(b);
    ck_assert_msg(strstr(err.msg, p) != NULL && strstr(err.msg, "'shape'") != NULL &&
                      strstr(err.msg, "12884901888 values") != NULL,
                  "%s", err.msg);
    /* More data than the shape: trailing bytes, also before allocating. */
    ck_assert_int_eq(idc_npy_write_f64(p, a, 200, 3, &err), IDC_OK);
    fp = fopen(p, "ab");
    fputs("12345678", fp);
    fclose(fp);
    ck_assert_int_eq(idc_npy_read_f64(&b, &r, &c, p, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "trailing") != NULL);
    /* Through a FIFO the size is unknown: the chunked read finds the lie. */
    char pf[160];
    path_in(pf, sizeof pf, "fifo.npy");
    ck_assert_int_eq(mkfifo(pf, 0600), 0);
    ck_assert_int_eq(idc_npy_write_f64(p, a, 200, 3, &err), IDC_OK);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "head -c 1000 %s > %s", p, pf);
        _exit(system(cmd) == 0 ? 0 : 1);
    }
    ck_assert_int_eq(idc_npy_read_f64(&b, &r, &c, pf, &err), IDC_EINVAL);
    ck_assert_msg(strstr(err.msg, "truncated") != NULL, "%s", err.msg);
    ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
    rm_dir();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fileio");
    TCase *tc = tcase_create("fileio");
    tcase_add_test(tc, test_npy_roundtrip);
    tcase_add_test(tc, test_numpy_reads_it);
    tcase_add_test(tc, test_csv);
    tcase_add_test(tc, test_atomic_write_keeps_old);
    tcase_add_test(tc, test_encoders);
    tcase_add_test(tc, test_npy_header_vs_size);
    suite_add_tcase(s, tc);
    TCase *tw = tcase_create("targets");
    tcase_add_test(tw, test_write_through_devices);
    tcase_add_test(tw, test_write_through_fifo);
    tcase_add_test(tw, test_write_stdout);
    tcase_add_test(tw, test_symlink_and_mode);
    tcase_add_test(tw, test_stale_temporaries);
    tcase_add_test(tw, test_fileset);
    suite_add_tcase(s, tw);
    return idc_test_run(s);
}
