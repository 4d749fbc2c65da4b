/* Tests of the counterexample library: every witness re-derives, and the
 * exact helpers reject altered data. */
#include <string.h>

#include <flint/flint.h>

#include "numeric/tests/testutil.h"
#include "theory/counterexample.h"

START_TEST(test_all_witnessed)
{
    const idc_cx_info *c = idc_cx_at((size_t)_i);
    json_t *w = NULL;
    idc_err err;
    ck_assert_msg(c->verify(&w, &err) == IDC_OK, "%s: %s", c->id, err.msg);
    ck_assert_ptr_nonnull(w);
    json_decref(w);
    ck_assert_ptr_eq(idc_cx_find(c->id), c);
}
END_TEST

START_TEST(test_affine_match)
{
    const char *mu[] = {"-2", "-1", "3"};
    const char *same[] = {"3", "-2", "-1"};    /* a permutation: h = identity fits */
    const char *shifted[] = {"0", "1", "5"};   /* h(x) = x + 2 */
    const char *flipped[] = {"2", "1", "-3"};  /* h(x) = -x */
    const char *k312[] = {"-2", "1", "3"};     /* K-R3.12: none fits */
    const char *scaled[] = {"-4", "-2", "6"};  /* a = 2 is excluded by the equal variances */
    ck_assert(!idc_cx_no_affine_match(mu, same, 3));
    ck_assert(!idc_cx_no_affine_match(mu, shifted, 3));
    ck_assert(!idc_cx_no_affine_match(mu, flipped, 3));
    ck_assert(idc_cx_no_affine_match(mu, k312, 3));
    ck_assert(idc_cx_no_affine_match(mu, scaled, 3));
    ck_assert(!idc_cx_no_affine_match(mu, k312, 7)); /* out of range: never claims */
}
END_TEST

START_TEST(test_composition)
{
    /* g = f o r with r = -x on [-1, 1), identity elsewhere, f = |x| style table */
    const idc_cx_pw f = {2, {"0"}, {"-1", "1"}, {"0", "0"}};
    const idc_cx_pw r = {3, {"-1", "1"}, {"1", "-1", "1"}, {"0", "0", "0"}};
    const idc_cx_pw g_ok = {2, {"0"}, {"-1", "1"}, {"0", "0"}};     /* |x| is even: f o r = f */
    const idc_cx_pw g_bad = {2, {"0"}, {"-1", "1"}, {"0", "1/1000"}}; /* off by 1/1000 right of 0 */
    char *bad = NULL;
    ck_assert(idc_cx_pw_equal_composition(&g_ok, &f, &r, &bad));
    ck_assert(!idc_cx_pw_equal_composition(&g_bad, &f, &r, &bad));
    ck_assert_ptr_nonnull(bad);
    flint_free(bad);
    /* a difference only on a middle interval is found too */
    const idc_cx_pw id = {1, {NULL}, {"1"}, {"0"}};
    const idc_cx_pw g_mid = {3, {"2", "3"}, {"1", "2", "1"}, {"0", "-2", "0"}}; /* 2x-2 != x on (2,3) */
    ck_assert(!idc_cx_pw_equal_composition(&g_mid, &id, &id, NULL));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("counterexample");
    TCase *tc = tcase_create("counterexample");
    tcase_add_loop_test(tc, test_all_witnessed, 0, (int)idc_cx_count());
    tcase_add_test(tc, test_affine_match);
    tcase_add_test(tc, test_composition);
    suite_add_tcase(s, tc);
    return idc_test_run(s);
}
