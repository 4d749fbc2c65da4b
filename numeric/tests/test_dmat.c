/* Tests of numeric/dmat.h and numeric/status.h. */
#include <math.h>
#include <string.h>

#include "numeric/dmat.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

START_TEST(test_sym_factor)
{
    /* PSD of rank 2 in R^3 and a PD matrix: L L^T reproduces S. */
    const double S[2][9] = {{2, 1, 3, 1, 1, 2, 3, 2, 5}, {4, 1, 0, 1, 3, 1, 0, 1, 2}};
    for (int k = 0; k < 2; k++) {
        double L[9];
        ck_assert_int_eq(idc_sym_factor(L, S[k], 3), IDC_OK);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                double t = 0;
                for (int a = 0; a < 3; a++)
                    t += L[i * 3 + a] * L[j * 3 + a];
                ck_assert_msg(fabs(t - S[k][i * 3 + j]) < 1e-12, "k=%d (%d,%d): %g", k, i, j, t);
            }
    }
}
END_TEST

START_TEST(test_singular_values_and_orthonormalize)
{
    uint64_t seed = idc_test_seed(0xd3a7);
    IDC_TEST_PRINT_SEED("test_singular_values_and_orthonormalize", seed);
    idc_rng r = idc_rng_stream(seed, 0, IDC_PURPOSE_SEARCH);
    double A[6 * 4], Q[6 * 4], s[4];
    for (int i = 0; i < 24; i++)
        A[i] = idc_rng_normal(r, (uint64_t)i);
    memcpy(Q, A, sizeof A);
    ck_assert_int_eq(idc_dmat_orthonormalize(Q, 6, 4), IDC_OK);
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) {
            double t = 0;
            for (int i = 0; i < 6; i++)
                t += Q[i * 4 + a] * Q[i * 4 + b];
            if (fabs(t - (a == b)) > 1e-12)
                IDC_TEST_FAIL_REPLAY("test_singular_values_and_orthonormalize", seed, "Q^T Q[%d][%d] = %g", a, b, t);
        }
    /* Q has singular values 1; diag(3, 2) has 3, 2; A and A^T agree. */
    ck_assert_int_eq(idc_dmat_singular_values(s, Q, 6, 4), IDC_OK);
    for (int i = 0; i < 4; i++)
        ck_assert(fabs(s[i] - 1.0) < 1e-12);
    const double D[4] = {2, 0, 0, 3};
    ck_assert_int_eq(idc_dmat_singular_values(s, D, 2, 2), IDC_OK);
    ck_assert(fabs(s[0] - 3) < 1e-14 && fabs(s[1] - 2) < 1e-14);
    double At[24], s2[4];
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 4; j++)
            At[j * 6 + i] = A[i * 4 + j];
    ck_assert_int_eq(idc_dmat_singular_values(s, A, 6, 4), IDC_OK);
    ck_assert_int_eq(idc_dmat_singular_values(s2, At, 4, 6), IDC_OK);
    for (int i = 0; i < 4; i++)
        ck_assert(fabs(s[i] - s2[i]) < 1e-12 * s[0]);
    ck_assert_int_eq(idc_dmat_orthonormalize(Q, 3, 4), IDC_EINVAL);
    /* Q R = A with R = Q^T A upper triangular with a positive diagonal (the
     * QR factor, computed two ways) */
    memcpy(Q, A, sizeof A);
    ck_assert_int_eq(idc_dmat_orthonormalize(Q, 6, 4), IDC_OK);
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) {
            double rab = 0;
            for (int i = 0; i < 6; i++)
                rab += Q[i * 4 + a] * A[i * 4 + b];
            if (a > b)
                ck_assert_msg(fabs(rab) < 1e-12, "R[%d][%d] = %g", a, b, rab);
            if (a == b)
                ck_assert_msg(rab > 0, "R[%d][%d] = %g", a, b, rab);
        }
    double Z[4] = {1, 0, 0, 0}; /* a zero column */
    ck_assert_int_eq(idc_dmat_orthonormalize(Z, 2, 2), IDC_EINTERNAL);
}
END_TEST

/* The QR is plain C with fixed-order sums, so its bits are defined: the
 * same on every x86-64 machine and BLAS kernel (generated instances rely on
 * it). Golden values of a fixed 3 x 3 input. */
START_TEST(test_orthonormalize_golden)
{
    double Q[9] = {2, -1, 0.5, 1, 3, -2, -0.25, 1, 4};
    ck_assert_int_eq(idc_dmat_orthonormalize(Q, 3, 3), IDC_OK);
    static const double gold[9] = {0x1.c71c71c71c71cp-1, -0x1.9243e38ff25ffp-2, 0x1.e2b7dddfefa67p-3, 0x1.c71c71c71c71cp-2, 0x1.ba7de0b7f1033p-1, -0x1.e2b7dddfefa68p-3, -0x1.c71c71c71c71cp-4, 0x1.41cfe93ff519ap-2, 0x1.e2b7dddfefa66p-1};
    for (int i = 0; i < 9; i++)
        ck_assert_msg(Q[i] == gold[i], "Q[%d] = %a, golden %a", i, Q[i], gold[i]);
}
END_TEST

START_TEST(test_status)
{
    idc_err e;
    ck_assert_int_eq(idc_err_set(&e, IDC_EINVAL, "a.%s: bad %d", "b", 3), IDC_EINVAL);
    ck_assert_str_eq(e.msg, "a.b: bad 3");
    ck_assert_int_eq(idc_err_prefix(&e, IDC_EIO, "%s: ", "file.json"), IDC_EIO);
    ck_assert_str_eq(e.msg, "file.json: a.b: bad 3");
    ck_assert_int_eq(idc_err_set(NULL, IDC_EDOM, "x"), IDC_EDOM);
    /* Over-long messages are truncated, never overflow. */
    char big[2 * IDC_ERR_LEN];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    idc_err_set(&e, IDC_EINVAL, "%s", big);
    ck_assert_uint_eq(strlen(e.msg), IDC_ERR_LEN - 1);
    idc_err_prefix(&e, IDC_EINVAL, "%s", big);
    ck_assert_uint_eq(strlen(e.msg), IDC_ERR_LEN - 1);
    idc_err_clear(&e);
    ck_assert_str_eq(e.msg, "");
    ck_assert_str_eq(idc_status_name(IDC_EUNABLE), "IDC_EUNABLE");
    ck_assert_int_eq(idc_status_exit_code(IDC_OK), 0);
    ck_assert_int_eq(idc_status_exit_code(IDC_EINVAL), 2);
    ck_assert_int_eq(idc_status_exit_code(IDC_EINTERNAL), 3);
    ck_assert_ptr_null(idc_calloc(SIZE_MAX / 2, 4));
    void *p = idc_calloc(0, 8);
    ck_assert_ptr_nonnull(p);
    free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dmat");
    TCase *tc = tcase_create("dmat");
    tcase_add_test(tc, test_sym_factor);
    tcase_add_test(tc, test_status);
    tcase_add_test(tc, test_orthonormalize_golden);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("test_singular_values_and_orthonormalize");
    tcase_add_test(tr, test_singular_values_and_orthonormalize);
    suite_add_tcase(s, tr);
    return idc_test_run(s);
}
