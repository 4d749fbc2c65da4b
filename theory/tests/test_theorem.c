/* Tests of the theorem registry: consistency with THEORY.md's precondition
 * IDs and the applicability rule. */
#include <string.h>

#include "numeric/tests/testutil.h"
#include "theory/theorem.h"

START_TEST(test_registry_consistent)
{
    static const char *const ids[] = {"K3.9a", "K3.9b", "K3.9c", "K3.10a", "K3.10b", "K3.10c", "K3.10d",
                                      "X3.5",  "X3.7",  "X3.9",  "I1",     "I2"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        ck_assert_ptr_nonnull(idc_thm_find(ids[i]));
    ck_assert_ptr_null(idc_thm_find("K9.9"));
    ck_assert_ptr_null(idc_thm_at(idc_thm_count()));
    for (size_t i = 0; i < idc_thm_count(); i++) {
        const idc_thm_info *t = idc_thm_at(i);
        ck_assert(t->pre[0] != NULL);
        for (size_t k = 0; k < IDC_THM_MAX_PRE && t->pre[k] != NULL; k++)
            ck_assert_msg(idc_pre_info_find(t->pre[k]) != NULL, "%s: unknown precondition %s", t->id, t->pre[k]);
        for (size_t k = 0; k < 4 && t->estimator[k] != NULL; k++)
            ck_assert_msg(idc_pre_info_find(t->estimator[k]) != NULL, "%s: unknown condition %s", t->id,
                          t->estimator[k]);
    }
    /* Stronger theorems of a chain list every precondition of the weaker. */
    const idc_thm_info *a = idc_thm_find("K3.9a"), *b = idc_thm_find("K3.9b");
    for (size_t k = 0; a->pre[k] != NULL; k++) {
        int found = 0;
        for (size_t l = 0; b->pre[l] != NULL; l++)
            found |= strcmp(a->pre[k], b->pre[l]) == 0;
        ck_assert(found);
    }
    ck_assert_int_gt(idc_thm_class_rank("PS"), idc_thm_class_rank("AT"));
    ck_assert_int_gt(idc_thm_class_rank("AT"), idc_thm_class_rank("ATwC"));
    ck_assert_int_eq(idc_thm_class_rank("AFF_F"), 0);
}
END_TEST

/* Verdicts keyed by ID: "ID=V" strings with V in H, F, U. */
static idc_verdict fake(void *ctx, const char *id)
{
    const char *const *tab = ctx;
    for (size_t i = 0; tab[i] != NULL; i++) {
        size_t n = strlen(id);
        if (strncmp(tab[i], id, n) == 0 && tab[i][n] == '=')
            return tab[i][n + 1] == 'H' ? IDC_HOLDS : (tab[i][n + 1] == 'F' ? IDC_FAILS : IDC_UNKNOWN);
    }
    return IDC_UNKNOWN;
}

START_TEST(test_applies)
{
    const idc_thm_info *t = idc_thm_find("K3.9b");
    const char *blocking;
    const char *all[] = {"DIMU1=H", "P1nd=H", "F1=H", "F2=H", "DIM=H", "P2=H", NULL};
    ck_assert_int_eq(idc_thm_applies(t, fake, all, &blocking), IDC_HOLDS);
    ck_assert_ptr_null(blocking);
    const char *unk[] = {"DIMU1=H", "P1nd=H", "F1=H", "F2=U", "DIM=H", "P2=H", NULL};
    ck_assert_int_eq(idc_thm_applies(t, fake, unk, &blocking), IDC_UNKNOWN);
    ck_assert_str_eq(blocking, "F2");
    /* A FAILS anywhere wins over an earlier UNKNOWN. */
    const char *fails[] = {"DIMU1=H", "P1nd=H", "F1=H", "F2=U", "DIM=H", "P2=F", NULL};
    ck_assert_int_eq(idc_thm_applies(t, fake, fails, &blocking), IDC_FAILS);
    ck_assert_str_eq(blocking, "P2");
    const char *missing[] = {NULL};
    ck_assert_int_eq(idc_thm_applies(t, fake, missing, &blocking), IDC_UNKNOWN);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("theorem");
    TCase *tc = tcase_create("theorem");
    tcase_add_test(tc, test_registry_consistent);
    tcase_add_test(tc, test_applies);
    suite_add_tcase(s, tc);
    return idc_test_run(s);
}
