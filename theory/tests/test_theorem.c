/* Tests of the theorem registry: consistency with THEORY.md §3-§4 (IDs,
 * conclusions and their level, estimator conditions, lemmas), the
 * applicability rule on a table of verdicts, and a table of generated
 * instances with the theorems that must apply, not apply or stay
 * undecided on them (every precondition certified exactly). */
#include <stdio.h>
#include <string.h>

#include "generators/registry.h"
#include "numeric/tests/testutil.h"
#include "theory/cert.h"
#include "theory/precond.h"
#include "theory/theorem.h"

static int listed(const char *const *ids, size_t cap, const char *id)
{
    for (size_t k = 0; k < cap && ids[k] != NULL; k++)
        if (strcmp(ids[k], id) == 0)
            return 1;
    return 0;
}

START_TEST(test_registry_consistent)
{
    static const char *const ids[] = {"K3.9a", "K3.9b", "K3.9c", "K3.10a", "K3.10b", "K3.10c", "K3.10d",
                                      "X3.5",  "X3.7",  "X3.9",  "I1",     "I2"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const idc_thm_info *t = idc_thm_find(ids[i]);
        ck_assert_ptr_nonnull(t);
        ck_assert_int_eq(t->kind, IDC_THM_THEOREM);
    }
    ck_assert_ptr_null(idc_thm_find("K9.9"));
    ck_assert_ptr_null(idc_thm_find(NULL));
    ck_assert_ptr_null(idc_thm_at(idc_thm_count()));
    int seen_lemma = 0;
    for (size_t i = 0; i < idc_thm_count(); i++) {
        const idc_thm_info *t = idc_thm_at(i);
        ck_assert_ptr_eq(idc_thm_find(t->id), t); /* IDs unique */
        ck_assert(t->conclusion != NULL && t->identifies != NULL && t->source != NULL);
        for (size_t k = 0; k < IDC_THM_MAX_PRE && t->pre[k] != NULL; k++)
            ck_assert_msg(idc_pre_info_find(t->pre[k]) != NULL, "%s: unknown precondition %s", t->id, t->pre[k]);
        for (size_t k = 0; k < IDC_THM_MAX_EST && t->estimator[k] != NULL; k++) {
            const idc_pre_info *e = idc_pre_info_find(t->estimator[k]);
            ck_assert_msg(e != NULL && e->kind == IDC_PRE_ESTIMATOR, "%s: %s is not an estimator condition", t->id,
                          t->estimator[k]);
        }
        if (t->kind == IDC_THM_THEOREM) {
            ck_assert_msg(!seen_lemma, "%s: theorems come before lemmas", t->id);
            ck_assert(t->pre[0] != NULL && t->used_by == NULL);
            ck_assert(strcmp(t->level, "law") == 0 || strcmp(t->level, "map") == 0 ||
                      strcmp(t->level, "decoder") == 0);
            /* a law-level theorem gives no map-level class; the others do */
            ck_assert_int_eq(strcmp(t->level, "law") == 0, t->map_class == NULL);
            for (size_t k = 0; k < IDC_THM_MAX_PRE && t->pre[k] != NULL; k++)
                ck_assert_int_ne(idc_pre_info_find(t->pre[k])->kind, IDC_PRE_ESTIMATOR);
        } else {
            seen_lemma = 1;
            ck_assert_int_eq(t->kind, IDC_THM_LEMMA);
            ck_assert(t->level == NULL && t->map_class == NULL);
            ck_assert(t->used_by != NULL && t->used_by[0] != '\0');
        }
    }
    ck_assert(seen_lemma);
    /* Stronger theorems of a chain list every precondition of the weaker. */
    static const char *const chains[][2] = {{"K3.9a", "K3.9b"}, {"K3.9a", "K3.9c"}, {"K3.10a", "K3.10b"},
                                            {"K3.10a", "K3.10c"}, {"K3.10a", "K3.10d"}, {"X3.5", "X3.7"},
                                            {"X3.7", "X3.9"}, {"I1", "I2"}};
    for (size_t c = 0; c < sizeof chains / sizeof chains[0]; c++) {
        const idc_thm_info *a = idc_thm_find(chains[c][0]), *b = idc_thm_find(chains[c][1]);
        for (size_t k = 0; a->pre[k] != NULL; k++)
            ck_assert_msg(listed(b->pre, IDC_THM_MAX_PRE, a->pre[k]), "%s lacks %s of %s", b->id, a->pre[k], a->id);
        for (size_t k = 0; a->estimator[k] != NULL; k++)
            ck_assert(listed(b->estimator, IDC_THM_MAX_EST, a->estimator[k]));
    }
    ck_assert_int_gt(idc_thm_class_rank("PS"), idc_thm_class_rank("AT"));
    ck_assert_int_gt(idc_thm_class_rank("AT"), idc_thm_class_rank("ATwC"));
    ck_assert_int_gt(idc_thm_class_rank("PS_LAW"), idc_thm_class_rank("AT_LAW"));
    ck_assert_int_eq(idc_thm_class_rank("AFF_F"), 0);
    ck_assert_int_eq(idc_thm_class_rank("PERM_U"), 0);
}
END_TEST

/* What THEORY.md §4 says, entry by entry: conclusion, level, the map-level
 * class, required preconditions and estimator conditions. */
START_TEST(test_registry_statements)
{
    static const struct {
        const char *id, *conclusion, *level, *map_class;
        const char *pre[4];  /* must be listed */
        const char *est[4];  /* must be listed */
        const char *not_[3]; /* must not be listed (pre or estimator) */
    } tab[] = {
        {"K3.9a", "AT_LAW", "law", NULL, {"DIMU1", "P1nd", "F2", NULL}, {"EST-K", NULL}, {"F4", "NOISE0", NULL}},
        {"K3.9b", "PS_LAW", "law", NULL, {"P2", NULL}, {"EST-K", NULL}, {"NOISE0", NULL}},
        {"K3.9c", "AFF_F", "decoder", "AT", {"F4", "FC", NULL}, {"EST-K", NULL}, {"NOISE0", NULL}},
        {"K3.10a", "AT_LAW", "law", NULL, {"P1nd", NULL}, {"EST-K", NULL}, {"DIMU1", NULL}},
        {"K3.10b", "PS_LAW", "law", NULL, {"P2", NULL}, {"EST-K", NULL}, {NULL}},
        {"K3.10c", "PERM_U", "law", NULL, {"P2", "P3", "F2", NULL}, {"EST-K", NULL}, {NULL}},
        {"K3.10d", "AFF_F", "decoder", "AT", {"F4", "FC", NULL}, {"EST-K", NULL}, {NULL}},
        {"X3.5", "ATwC", "map", "ATwC", {"NOISE0", "F4", "A3.4", NULL}, {"EST-X", "REC", "GAUSS", NULL}, {"SPARSE", NULL}},
        {"X3.7", "AT", "map", "AT", {"NOISE0", "A3.6", NULL}, {"EST-X", "REC", "GAUSS", NULL}, {"SPARSE", NULL}},
        {"X3.9", "PS", "map", "PS", {"NOISE0", "A3.8a", "A3.8b", NULL}, {"EST-X", "REC", "GAUSS", "SPARSE"}, {NULL}},
        {"I1", "IVAE_A", "map", "IVAE_A", {"F4", "DIM", "I-iii", NULL}, {NULL}, {"I-T2", NULL}},
        {"I2", "IVAE_P", "map", "IVAE_P", {"F4", "DIM", "I-T2", NULL}, {NULL}, {NULL}},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        const idc_thm_info *t = idc_thm_find(tab[i].id);
        ck_assert_ptr_nonnull(t);
        ck_assert_str_eq(t->conclusion, tab[i].conclusion);
        ck_assert_str_eq(t->level, tab[i].level);
        if (tab[i].map_class == NULL)
            ck_assert_ptr_null(t->map_class);
        else
            ck_assert_str_eq(t->map_class, tab[i].map_class);
        for (size_t k = 0; k < 4 && tab[i].pre[k] != NULL; k++)
            ck_assert_msg(listed(t->pre, IDC_THM_MAX_PRE, tab[i].pre[k]), "%s: %s missing", t->id, tab[i].pre[k]);
        for (size_t k = 0; k < 4 && tab[i].est[k] != NULL; k++)
            ck_assert_msg(listed(t->estimator, IDC_THM_MAX_EST, tab[i].est[k]), "%s: %s missing", t->id,
                          tab[i].est[k]);
        for (size_t k = 0; k < 3 && tab[i].not_[k] != NULL; k++)
            ck_assert_msg(!listed(t->pre, IDC_THM_MAX_PRE, tab[i].not_[k]) &&
                              !listed(t->estimator, IDC_THM_MAX_EST, tab[i].not_[k]),
                          "%s: %s listed", t->id, tab[i].not_[k]);
    }
    /* The lemmas the code relies on, with what uses them. */
    static const char *const lemmas[][2] = {{"KC.2", "K3.9a"}, {"KE.1", "kivva-e1"}, {"X3.2", "X3.5"},
                                            {"XB.19", "X3.7"}};
    for (size_t i = 0; i < sizeof lemmas / sizeof lemmas[0]; i++) {
        const idc_thm_info *t = idc_thm_find(lemmas[i][0]);
        ck_assert_ptr_nonnull(t);
        ck_assert_int_eq(t->kind, IDC_THM_LEMMA);
        ck_assert_msg(strstr(t->used_by, lemmas[i][1]) != NULL, "%s: used_by %s", t->id, t->used_by);
    }
    /* estimator-side conditions are registered as such and never decided */
    static const char *const est[] = {"EST-K", "EST-X", "REC", "GAUSS", "SPARSE"};
    for (size_t i = 0; i < sizeof est / sizeof est[0]; i++) {
        const idc_pre_info *e = idc_pre_info_find(est[i]);
        ck_assert_ptr_nonnull(e);
        ck_assert_int_eq(e->kind, IDC_PRE_ESTIMATOR);
        ck_assert_int_eq(e->implemented, 0);
    }
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
    /* A lemma is never applied. */
    ck_assert_int_eq(idc_thm_applies(idc_thm_find("KE.1"), fake, all, &blocking), IDC_UNKNOWN);
    ck_assert_ptr_null(blocking);
}
END_TEST

/* The corrected rules as a table of verdicts: (verdicts, theorem, expected,
 * blocking precondition). */
START_TEST(test_applies_table)
{
#define ALL_K "DIMU1=H", "P1nd=H", "F1=H", "F2=H", "DIM=H"
#define ALL_X "PD=H", "F1=H", "FC=H", "F4=H", "DIM=H", "A3.4=H", "A3.6=H", "A3.8a=H", "A3.8b=H"
#define ALL_I "I-i=H", "I-ii=H", "I-iii=H", "I-T2=H"
    static const struct {
        const char *v[16];
        const char *thm;
        idc_verdict want;
        const char *blocking;
    } tab[] = {
        /* K3.10c needs P2 as well as P3 */
        {{ALL_K, "P2=F", "P3=H", NULL}, "K3.10c", IDC_FAILS, "P2"},
        {{ALL_K, "P2=H", "P3=U", NULL}, "K3.10c", IDC_UNKNOWN, "P3"},
        {{ALL_K, "P2=H", "P3=H", NULL}, "K3.10c", IDC_HOLDS, NULL},
        /* X needs NOISE0; K does not (K's definition extends to known noise) */
        {{ALL_X, "NOISE0=F", NULL}, "X3.5", IDC_FAILS, "NOISE0"},
        {{ALL_X, "NOISE0=F", NULL}, "X3.7", IDC_FAILS, "NOISE0"},
        {{ALL_X, "NOISE0=F", NULL}, "X3.9", IDC_FAILS, "NOISE0"},
        {{ALL_X, "NOISE0=U", NULL}, "X3.5", IDC_UNKNOWN, "NOISE0"},
        {{ALL_X, "NOISE0=H", NULL}, "X3.9", IDC_HOLDS, NULL},
        {{ALL_K, "NOISE0=F", NULL}, "K3.9a", IDC_HOLDS, NULL},
        /* I needs F4 and DIM */
        {{ALL_I, "F4=F", "DIM=H", NULL}, "I1", IDC_FAILS, "F4"},
        {{ALL_I, "F4=H", "DIM=F", NULL}, "I1", IDC_FAILS, "DIM"},
        {{ALL_I, "F4=U", "DIM=H", NULL}, "I2", IDC_UNKNOWN, "F4"},
        {{ALL_I, "F4=H", "DIM=H", NULL}, "I2", IDC_HOLDS, NULL},
        {{ALL_I, NULL}, "I1", IDC_UNKNOWN, "F4"},
    };
#undef ALL_K
#undef ALL_X
#undef ALL_I
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        const char *blocking;
        idc_verdict a = idc_thm_applies(idc_thm_find(tab[i].thm), fake, (void *)tab[i].v, &blocking);
        ck_assert_msg(a == tab[i].want, "row %zu (%s): %s", i, tab[i].thm, idc_verdict_name(a));
        if (tab[i].blocking == NULL)
            ck_assert_ptr_null(blocking);
        else
            ck_assert_msg(blocking != NULL && strcmp(blocking, tab[i].blocking) == 0, "row %zu: blocking %s", i,
                          blocking ? blocking : "(none)");
    }
}
END_TEST

/* ---- generated instances ------------------------------------------------ */

typedef struct {
    idc_pre_result res[32];
    size_t n;
} checked;

static idc_verdict lookup(void *ctx, const char *id)
{
    const checked *c = ctx;
    for (size_t k = 0; k < c->n; k++)
        if (strcmp(c->res[k].id, id) == 0)
            return c->res[k].verdict;
    return IDC_UNKNOWN;
}

/* Generates NAME with "KEY=VALUE" params and the seed, then certifies every
 * precondition any theorem lists (each certificate re-verified). */
static void run_instance(checked *c, const char *name, const char *const *params, uint64_t seed)
{
    idc_gen_values v;
    idc_err err;
    idc_gen_values_init(&v, idc_gen_find(name));
    for (size_t k = 0; params[k] != NULL; k++) {
        char key[32];
        const char *eq = strchr(params[k], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - params[k]), params[k]);
        ck_assert_msg(idc_gen_set_param(&v, key, eq + 1, &err) == IDC_OK, "%s: %s", name, err.msg);
    }
    idc_instance inst;
    ck_assert_msg(idc_gen_generate(&inst, &v, seed, &err) == IDC_OK, "%s: %s", name, err.msg);
    c->n = 0;
    for (size_t i = 0; i < idc_thm_count(); i++) {
        const idc_thm_info *t = idc_thm_at(i);
        for (size_t k = 0; t->kind == IDC_THM_THEOREM && k < IDC_THM_MAX_PRE && t->pre[k] != NULL; k++) {
            int have = 0;
            for (size_t l = 0; l < c->n; l++)
                have |= strcmp(c->res[l].id, t->pre[k]) == 0;
            if (have)
                continue;
            ck_assert_uint_lt(c->n, 32);
            idc_pre_result *r = &c->res[c->n++];
            idc_pre_result_init(r);
            ck_assert_msg(idc_pre_check(r, t->pre[k], &inst, NULL, &err) == IDC_OK, "%s %s: %s", name, t->pre[k],
                          err.msg);
            if (r->verdict != IDC_UNKNOWN) {
                char why[256];
                ck_assert_msg(idc_cert_verify(r->cert, &inst, why, sizeof why) == IDC_OK, "%s %s: %s", name,
                              t->pre[k], why);
            }
        }
    }
    idc_instance_clear(&inst);
}

static void clear_checked(checked *c)
{
    for (size_t k = 0; k < c->n; k++)
        idc_pre_result_clear(&c->res[k]);
    c->n = 0;
}

/* (instance, theorem, expected applies / does not apply / undecided, the
 * blocking precondition when it is the point of the row). Verdicts are
 * exact, so the table holds on every machine. */
START_TEST(test_instances_table)
{
    static const struct {
        const char *gen;
        const char *params[6];
        uint64_t seed;
        struct {
            const char *thm;
            idc_verdict want;
            const char *blocking;
        } rows[6];
    } tab[] = {
        /* the case: X's model is noiseless */
        {"xu",
         {"mu=1", "noise=0.1", NULL},
         1,
         {{"X3.5", IDC_FAILS, "NOISE0"}, {"X3.7", IDC_FAILS, "NOISE0"}, {"X3.9", IDC_FAILS, "NOISE0"}, {NULL}}},
        /* non-degenerate GMM through an injective leaky-ReLU MLP: K3.9a/c and X3.5/7 apply
         * without noise; with known noise K still applies, X does not */
        {"pdgmm",
         {"m=3", "J=3", "layers=2", NULL},
         5,
         {{"K3.9a", IDC_HOLDS, NULL},
          {"K3.9c", IDC_HOLDS, NULL},
          {"X3.5", IDC_HOLDS, NULL},
          {"X3.7", IDC_HOLDS, NULL},
          {"K3.10c", IDC_FAILS, "P2"},
          {NULL}}},
        {"pdgmm",
         {"m=3", "J=3", "layers=2", "noise=0.25", NULL},
         5,
         {{"K3.9a", IDC_HOLDS, NULL}, {"K3.10d", IDC_HOLDS, NULL}, {"X3.5", IDC_FAILS, "NOISE0"}, {NULL}}},
        /* diagonal covariances with distinct ratios: K3.9b applies, K3.10c stays undecided on P3 */
        {"kivva",
         {"m=3", "J=3", "cov=diag", "p2=hold", NULL},
         3,
         {{"K3.9b", IDC_HOLDS, NULL}, {"K3.10b", IDC_HOLDS, NULL}, {"K3.10c", IDC_UNKNOWN, "P3"}, {NULL}}},
        /* iVAE data through a ReLU MLP: F4 fails, so neither I1 nor I2 applies */
        {"ivae",
         {"m=3", "mix=relu", NULL},
         1,
         {{"I1", IDC_FAILS, "F4"}, {"I2", IDC_FAILS, "F4"}, {NULL}}},
        /* the same with an injective leaky-ReLU mixing: I1 applies */
        {"ivae", {"m=3", "mix=leaky", NULL}, 1, {{"I1", IDC_HOLDS, NULL}, {NULL}}},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        checked c;
        run_instance(&c, tab[i].gen, tab[i].params, tab[i].seed);
        for (size_t r = 0; r < 6 && tab[i].rows[r].thm != NULL; r++) {
            const char *blocking;
            idc_verdict a = idc_thm_applies(idc_thm_find(tab[i].rows[r].thm), lookup, &c, &blocking);
            ck_assert_msg(a == tab[i].rows[r].want, "instance %zu (%s), %s: %s (blocking %s)", i, tab[i].gen,
                          tab[i].rows[r].thm, idc_verdict_name(a), blocking ? blocking : "-");
            if (tab[i].rows[r].blocking != NULL)
                ck_assert_msg(blocking != NULL && strcmp(blocking, tab[i].rows[r].blocking) == 0,
                              "instance %zu (%s), %s: blocking %s", i, tab[i].gen, tab[i].rows[r].thm,
                              blocking ? blocking : "(none)");
        }
        clear_checked(&c);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("theorem");
    TCase *tc = tcase_create("registry");
    tcase_add_test(tc, test_registry_consistent);
    tcase_add_test(tc, test_registry_statements);
    tcase_add_test(tc, test_applies);
    tcase_add_test(tc, test_applies_table);
    suite_add_tcase(s, tc);
    TCase *ti = tcase_create("instances");
    tcase_set_timeout(ti, 120);
    tcase_add_test(ti, test_instances_table);
    suite_add_tcase(s, ti);
    return idc_test_run(s);
}
