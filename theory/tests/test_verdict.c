/* Tests of theory/verdict.h: verdict names, results (ownership of the
 * certificate), budgets, and the registry of precondition IDs. */
#include <math.h>
#include <string.h>
#include <time.h>

#include "numeric/tests/testutil.h"
#include "theory/precond.h"
#include "theory/verdict.h"

START_TEST(test_names)
{
    idc_verdict all[3] = {IDC_HOLDS, IDC_FAILS, IDC_UNKNOWN};
    for (int i = 0; i < 3; i++) {
        idc_verdict v;
        ck_assert_int_eq(idc_verdict_parse(&v, idc_verdict_name(all[i])), IDC_OK);
        ck_assert_int_eq(v, all[i]);
    }
    ck_assert_str_eq(idc_verdict_name((idc_verdict)0), "?");
    ck_assert_str_eq(idc_verdict_name((idc_verdict)7), "?");
    idc_verdict v = IDC_HOLDS;
    ck_assert_int_eq(idc_verdict_parse(&v, "holds"), IDC_EINVAL);
    ck_assert_int_eq(idc_verdict_parse(&v, ""), IDC_EINVAL);
    ck_assert_int_eq(idc_verdict_parse(&v, NULL), IDC_EINVAL);
    ck_assert_int_eq(v, IDC_HOLDS);
    /* no verdict is 0, so `!v` can never mean "fails" */
    ck_assert(IDC_HOLDS != 0 && IDC_FAILS != 0 && IDC_UNKNOWN != 0);
}
END_TEST

START_TEST(test_result_ownership)
{
    idc_pre_result r;
    idc_pre_result_init(&r);
    ck_assert_int_eq(r.verdict, IDC_UNKNOWN);
    ck_assert_ptr_null(r.cert);
    json_t *c1 = json_object(), *c2 = json_object();
    idc_pre_result_set(&r, "F4", IDC_HOLDS, c1, "line one\nline %d", 2);
    ck_assert_str_eq(r.id, "F4");
    ck_assert_str_eq(r.reason, "line one line 2");
    /* replacing releases the old certificate (ASan would see a leak) */
    idc_pre_result_set(&r, "F4", IDC_FAILS, c2, "again");
    ck_assert_ptr_eq(r.cert, c2);
    /* setting the same certificate again keeps it alive */
    idc_pre_result_set(&r, "F4", IDC_FAILS, c2, "same");
    ck_assert_int_eq((int)c2->refcount, 1);
    idc_pre_result_clear(&r);
    ck_assert_ptr_null(r.cert);
    idc_pre_result_clear(&r); /* twice is fine */
    /* a very long reason is truncated, not overflowed */
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    idc_pre_result_set(&r, "a-very-long-identifier-name", IDC_UNKNOWN, NULL, "%s", big);
    ck_assert_uint_eq(strlen(r.reason), IDC_PRE_REASON_LEN - 1);
    ck_assert_uint_eq(strlen(r.id), IDC_PRE_ID_LEN - 1);
    idc_pre_result_clear(&r);
}
END_TEST

START_TEST(test_budget)
{
    idc_budget b = idc_budget_default();
    ck_assert(b.seconds == IDC_BUDGET_DEFAULT_SECONDS);
    ck_assert_uint_eq(b.max_entries, IDC_BUDGET_DEFAULT_ENTRIES);
    ck_assert_uint_eq(idc_budget_entries(NULL), IDC_BUDGET_DEFAULT_ENTRIES);
    idc_budget unl = {0.0, 0};
    ck_assert_uint_eq(idc_budget_entries(&unl), SIZE_MAX);
    double d = idc_budget_deadline(&unl);
    ck_assert(isinf(d));
    ck_assert(!idc_budget_expired(d));
    idc_budget tiny = {1e-6, 1};
    d = idc_budget_deadline(&tiny);
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
    ck_assert(idc_budget_expired(d));
    ck_assert(!idc_budget_expired(idc_budget_deadline(NULL)));
}
END_TEST

START_TEST(test_registry)
{
    static const char *required[] = {"P1",    "P1nd",  "PD",   "P2",    "P3",   "A3.4", "A3.6",
                                     "A3.8a", "A3.8b", "F1",   "FC",    "F2",   "F3",   "F4",
                                     "DIM",   "I-i",   "I-ii", "I-iii", "I-T2", "DIMU1", "NOISE0", "EST-X", "EST-K"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        const idc_pre_info *info = idc_pre_info_find(required[i]);
        ck_assert_msg(info != NULL, "missing %s", required[i]);
        ck_assert_str_eq(info->id, required[i]);
        ck_assert(info->name[0] != '\0' && info->source[0] != '\0' && info->statement[0] != '\0');
    }
    size_t n = idc_pre_count();
    ck_assert_uint_ge(n, sizeof required / sizeof required[0]);
    for (size_t i = 0; i < n; i++) {
        const idc_pre_info *a = idc_pre_info_at(i);
        ck_assert_ptr_nonnull(a);
        ck_assert(strlen(a->id) < IDC_PRE_ID_LEN);
        for (size_t j = i + 1; j < n; j++)
            ck_assert_str_ne(a->id, idc_pre_info_at(j)->id);
    }
    ck_assert_ptr_null(idc_pre_info_at(n));
    ck_assert_ptr_null(idc_pre_info_find("p1"));
    ck_assert_ptr_null(idc_pre_info_find(NULL));
}
END_TEST

/* Every registered ID runs through idc_pre_check on a small instance:
 * implemented ones decide (HOLDS/FAILS), the others answer UNKNOWN. */
START_TEST(test_dispatch)
{
    static const char *text =
        "{\"idcheck_format\": 1,"
        " \"model\": {\"dim\": 1, \"components\": ["
        "   {\"weight\": 0.5, \"mean\": [0], \"L\": [[1]]}, {\"weight\": 0.5, \"mean\": [0], \"L\": "
        "[[2]]}]}, \"aux\": {\"kind\": \"label\"},"
        " \"map\": {\"type\": \"mlp\", \"layers\": ["
        "   {\"W\": [[2], [1]], \"b\": [0, 1], \"activation\": \"leaky_relu\", \"slope\": 0.5}]}}";
    idc_instance inst;
    idc_err err;
    ck_assert_msg(idc_instance_read_string(&inst, text, &err) == IDC_OK, "%s", err.msg);
    idc_pre_result r;
    idc_pre_result_init(&r);
    for (size_t i = 0; i < idc_pre_count(); i++) {
        const idc_pre_info *info = idc_pre_info_at(i);
        ck_assert_int_eq(idc_pre_check(&r, info->id, &inst, NULL, &err), IDC_OK);
        ck_assert_str_eq(r.id, info->id);
        if (info->implemented) {
            ck_assert_msg(r.verdict == IDC_HOLDS, "%s: %s (%s)", info->id, idc_verdict_name(r.verdict),
                          r.reason);
            ck_assert_ptr_nonnull(r.cert);
        } else {
            ck_assert_int_eq(r.verdict, IDC_UNKNOWN);
            ck_assert_ptr_null(r.cert);
        }
    }
    ck_assert_int_eq(idc_pre_check(&r, "nope", &inst, NULL, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "nope") != NULL);
    /* a size budget below J m^2 = 2 gives UNKNOWN, never a verdict */
    idc_budget tiny = {0, 1};
    static const char *const gated[] = {"P2", "A3.8a", "A3.8b", "I-ii", "I-iii", "I-T2"};
    for (size_t i = 0; i < sizeof gated / sizeof gated[0]; i++) {
        ck_assert_int_eq(idc_pre_check(&r, gated[i], &inst, &tiny, &err), IDC_OK);
        ck_assert_msg(r.verdict == IDC_UNKNOWN && strstr(r.reason, "size budget") != NULL, "%s: %s", gated[i],
                      r.reason);
    }
    idc_pre_result_clear(&r);
    idc_instance_clear(&inst);
}
END_TEST

/* A non-Gaussian latent family: every prior precondition (and the iVAE
 * statistics conditions) answers UNKNOWN naming the family, with no
 * certificate; the map and structure conditions are decided as before. A
 * pinwheel map: F1, FC, F2, F3, F4 answer UNKNOWN (never an error), DIM is
 * decided; a non-finite rate is an input error naming the field. */
START_TEST(test_dispatch_family_and_pinwheel)
{
    static const char *const fams[] = {"exponential", "gumbel", "uniform"};
    static const char *const prior[] = {"P1",    "P1nd",  "PD",   "P2",    "A3.4", "A3.6",
                                        "A3.8a", "A3.8b", "I-ii", "I-iii", "I-T2"};
    static const char *const decided[] = {"DIM", "DIMU1", "F1", "FC", "F2", "F3", "F4", "I-i"};
    for (size_t f = 0; f < 3; f++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "{\"idcheck_format\": 1, \"model\": {\"dim\": 1, \"family\": \"%s\", \"components\": ["
                 "{\"weight\": 0.5, \"mean\": [0], \"L\": [[1]]}, {\"weight\": 0.5, \"mean\": [0], \"L\": "
                 "[[2]]}]},"
                 " \"aux\": {\"kind\": \"label\"}, \"map\": {\"type\": \"mlp\", \"layers\": ["
                 "{\"W\": [[2], [1]], \"b\": [0, 1], \"activation\": \"leaky_relu\", \"slope\": 0.5}]}}",
                 fams[f]);
        idc_instance inst;
        idc_err err;
        ck_assert_msg(idc_instance_read_string(&inst, text, &err) == IDC_OK, "%s", err.msg);
        idc_pre_result r;
        idc_pre_result_init(&r);
        for (size_t i = 0; i < sizeof prior / sizeof prior[0]; i++) {
            ck_assert_int_eq(idc_pre_check(&r, prior[i], &inst, NULL, &err), IDC_OK);
            ck_assert_msg(r.verdict == IDC_UNKNOWN && r.cert == NULL && strstr(r.reason, fams[f]) != NULL &&
                              strchr(r.reason, '\n') == NULL,
                          "%s %s: %s (%s)", fams[f], prior[i], idc_verdict_name(r.verdict), r.reason);
            ck_assert_str_eq(r.id, prior[i]);
        }
        for (size_t i = 0; i < sizeof decided / sizeof decided[0]; i++) {
            ck_assert_int_eq(idc_pre_check(&r, decided[i], &inst, NULL, &err), IDC_OK);
            ck_assert_msg(r.verdict == IDC_HOLDS && r.cert != NULL, "%s %s: %s (%s)", fams[f], decided[i],
                          idc_verdict_name(r.verdict), r.reason);
        }
        /* the same model declared gaussian decides P1 */
        inst.prior.family = IDC_FAMILY_GAUSSIAN;
        ck_assert_int_eq(idc_pre_check(&r, "P1", &inst, NULL, &err), IDC_OK);
        ck_assert_int_eq(r.verdict, IDC_HOLDS);
        idc_pre_result_clear(&r);
        idc_instance_clear(&inst);
    }
    static const char *pin =
        "{\"idcheck_format\": 1, \"model\": {\"dim\": 2, \"components\": ["
        "{\"weight\": 0.5, \"mean\": [1, 0], \"L\": [[0.25, 0], [0, 0.125]]},"
        "{\"weight\": 0.5, \"mean\": [-1, 0], \"L\": [[0.25, 0], [0, 0.125]]}]},"
        " \"map\": {\"type\": \"pinwheel\", \"rate\": 0.25, \"embed\": [[1, 0], [0, 1], [1, 1]]}}";
    idc_instance inst;
    idc_err err;
    ck_assert_msg(idc_instance_read_string(&inst, pin, &err) == IDC_OK, "%s", err.msg);
    idc_pre_result r;
    idc_pre_result_init(&r);
    static const char *const maps[] = {"F1", "FC", "F2", "F3", "F4"};
    for (size_t i = 0; i < 5; i++) {
        ck_assert_int_eq(idc_pre_check(&r, maps[i], &inst, NULL, &err), IDC_OK);
        ck_assert_msg(r.verdict == IDC_UNKNOWN && r.cert == NULL &&
                          strstr(r.reason, "not piecewise affine") != NULL,
                      "%s: %s (%s)", maps[i], idc_verdict_name(r.verdict), r.reason);
    }
    ck_assert_int_eq(idc_pre_check(&r, "DIM", &inst, NULL, &err), IDC_OK);
    ck_assert_int_eq(r.verdict, IDC_HOLDS);
    ck_assert_int_eq(idc_pre_check(&r, "P1", &inst, NULL, &err), IDC_OK);
    ck_assert_int_eq(r.verdict, IDC_HOLDS); /* a Gaussian latent: decided */
    inst.map.rate = NAN;
    for (size_t i = 0; i < 5; i++) {
        ck_assert_int_eq(idc_pre_check(&r, maps[i], &inst, NULL, &err), IDC_EINVAL);
        ck_assert_msg(strstr(err.msg, "map.rate: not a finite number") != NULL, "%s: %s", maps[i], err.msg);
    }
    inst.map.rate = 0.25;
    inst.map.embed[3] = INFINITY;
    ck_assert_int_eq(idc_pre_check(&r, "F1", &inst, NULL, &err), IDC_EINVAL);
    ck_assert_msg(strstr(err.msg, "map.embed[1][1]: not a finite number") != NULL, "%s", err.msg);
    idc_pre_result_clear(&r);
    idc_instance_clear(&inst);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("verdict");
    const idc_test_case cases[] = {
        {"test_names", test_names},
        {"test_result_ownership", test_result_ownership},
        {"test_budget", test_budget},
        {"test_registry", test_registry},
        {"test_dispatch", test_dispatch},
        {"test_dispatch_family_and_pinwheel", test_dispatch_family_and_pinwheel},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 120);
    return idc_test_run(s);
}
