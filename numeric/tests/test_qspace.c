/* Tests of numeric/qspace.h against dimension identities. */
#include "numeric/qspace.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

static void fill(fmpq_mat_t X, idc_rng s, uint64_t *k)
{
    for (slong i = 0; i < X->r; i++)
        for (slong j = 0; j < X->c; j++) {
            slong num = (slong)idc_rng_below(s, (*k)++, 7) - 3;
            ulong den = (ulong)(1 + idc_rng_below(s, (*k)++, 4));
            fmpq_set_si(fmpq_mat_entry(X, i, j), num, den);
        }
}

START_TEST(test_dimension_formula)
{
    uint64_t seed = idc_test_seed(0x9a5e);
    IDC_TEST_PRINT_SEED("test_dimension_formula", seed);
    idc_rng s = idc_rng_stream(seed, 0, IDC_PURPOSE_SEARCH);
    uint64_t k = 0;
    for (int trial = 0; trial < 200; trial++) {
        slong m = 1 + (slong)idc_rng_below(s, k++, 5), a = (slong)idc_rng_below(s, k++, 5),
              b = (slong)idc_rng_below(s, k++, 5);
        fmpq_mat_t X, Y, S, I;
        fmpq_mat_init(X, m, a);
        fmpq_mat_init(Y, m, b);
        fill(X, s, &k);
        fill(Y, s, &k);
        if (a > 1 && idc_rng_below(s, k++, 2)) /* a dependent column now and then */
            for (slong i = 0; i < m; i++)
                fmpq_add(fmpq_mat_entry(X, i, a - 1), fmpq_mat_entry(X, i, 0), fmpq_mat_entry(X, i, 0));
        idc_qspace_sum(S, X, Y);
        idc_qspace_intersect(I, X, Y);
        /* dim(X ∩ Y) = dim X + dim Y - dim(X + Y), and X ∩ Y lies in both */
        slong dx = idc_qspace_dim(X), dy = idc_qspace_dim(Y), ds = idc_qspace_dim(S), di = idc_qspace_dim(I);
        fmpq_mat_t XI, YI;
        idc_qspace_sum(XI, X, I);
        idc_qspace_sum(YI, Y, I);
        if (di != dx + dy - ds || idc_qspace_dim(XI) != dx || idc_qspace_dim(YI) != dy)
            IDC_TEST_FAIL_REPLAY("test_dimension_formula", seed, "trial %d: dims %ld %ld %ld %ld", trial, (long)dx,
                                 (long)dy, (long)ds, (long)di);
        fmpq_mat_clear(X);
        fmpq_mat_clear(Y);
        fmpq_mat_clear(S);
        fmpq_mat_clear(I);
        fmpq_mat_clear(XI);
        fmpq_mat_clear(YI);
    }
}
END_TEST

START_TEST(test_fredholm)
{
    /* x + y = 1, x + y = 2: inconsistent; x + y = 1, x - y = 0: solvable */
    fmpq_mat_t A, b, w;
    fmpq_mat_init(A, 2, 2);
    fmpq_mat_init(b, 2, 1);
    fmpq_mat_init(w, 2, 1);
    fmpq_set_si(fmpq_mat_entry(A, 0, 0), 1, 1);
    fmpq_set_si(fmpq_mat_entry(A, 0, 1), 1, 1);
    fmpq_set_si(fmpq_mat_entry(A, 1, 0), 1, 1);
    fmpq_set_si(fmpq_mat_entry(A, 1, 1), 1, 1);
    fmpq_set_si(fmpq_mat_entry(b, 0, 0), 1, 1);
    fmpq_set_si(fmpq_mat_entry(b, 1, 0), 2, 1);
    ck_assert(idc_qspace_fredholm(w, A, b));
    fmpq_t s;
    fmpq_init(s);
    for (slong k = 0; k < 2; k++) {
        fmpq_zero(s);
        for (slong i = 0; i < 2; i++)
            fmpq_addmul(s, fmpq_mat_entry(w, i, 0), fmpq_mat_entry(A, i, k));
        ck_assert(fmpq_is_zero(s));
    }
    fmpq_zero(s);
    for (slong i = 0; i < 2; i++)
        fmpq_addmul(s, fmpq_mat_entry(w, i, 0), fmpq_mat_entry(b, i, 0));
    ck_assert(!fmpq_is_zero(s));
    fmpq_set_si(fmpq_mat_entry(A, 1, 1), -1, 1);
    ck_assert(!idc_qspace_fredholm(w, A, b));
    fmpq_clear(s);
    fmpq_mat_clear(A);
    fmpq_mat_clear(b);
    fmpq_mat_clear(w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qspace");
    TCase *tc = tcase_create("test_dimension_formula");
    tcase_add_test(tc, test_dimension_formula);
    tcase_add_test(tc, test_fredholm);
    suite_add_tcase(s, tc);
    return idc_test_run(s);
}
