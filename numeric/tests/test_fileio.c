/* Tests of numeric/fileio.h: .npy round trips and layout, what numpy reads,
 * CSV output, and atomic replacement (a failed write loses nothing). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

int main(void)
{
    Suite *s = suite_create("fileio");
    TCase *tc = tcase_create("fileio");
    tcase_add_test(tc, test_npy_roundtrip);
    tcase_add_test(tc, test_numpy_reads_it);
    tcase_add_test(tc, test_csv);
    tcase_add_test(tc, test_atomic_write_keeps_old);
    suite_add_tcase(s, tc);
    return idc_test_run(s);
}
