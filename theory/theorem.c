#include "theory/theorem.h"

#include <string.h>

/* Kivva et al. 2022 (K), Xu et al. (X), Khemakhem et al. 2020 (I), as
 * THEORY.md §4 states them.
 * - K3.9a/b and K3.10a/b conclude at the law level (AT_LAW / PS_LAW: the
 *   fitted prior is an affine image of the true one, K Def. 2.2(1)); only
 *   parts (c) of 3.9 and (d) of 3.10 (F4 + FC, K Thm D.4) give AFF_F and
 *   with it the map-level AT of zhat = g(f(z)).
 * - K3.10 (multivariate U = (U_1..U_k)) identifies P(Z) rather than P(U,Z)
 *   and does not need dim U = 1; the data model's single hidden state is the
 *   case k = 1, so K3.10a/b/d apply under the same map and prior conditions.
 *   K3.10c ("(F2)+(P2)+(P3) =>") needs P2 and P3; P3 is out of scope for
 *   certification (always UNKNOWN): it is listed so that `idcheck check`
 *   says why K3.10c cannot apply.
 * - Every K theorem speaks about an alternative model in K's class (EST-K);
 *   X's about an estimator with EST-X, REC, GAUSS (and SPARSE for X3.9), and
 *   X's model is noiseless (NOISE0).
 * - I Thm 1 assumes f bijective onto its image with latent dimension at most
 *   the observed one (I l. 89, 97): F4 and DIM.
 * The lemmas after the theorems are results the harness relies on; they are
 * listed by `idcheck theorems`, never evaluated by `idcheck check`. */
#define THM(id, cls, level, map, what, src, ...)                                                                   \
    {id, IDC_THM_THEOREM, cls, level, map, what, src, __VA_ARGS__, NULL}
#define LEMMA(id, concl, hyp, src, used, ...)                                                                      \
    {id, IDC_THM_LEMMA, concl, NULL, NULL, hyp, src, __VA_ARGS__, {NULL}, used}

static const idc_thm_info registry[] = {
    THM("K3.9a", "AT_LAW", "law", NULL, "P(U,Z)", "K Thm 3.9(a)", {"DIMU1", "P1nd", "F1", "F2", "DIM", NULL},
        {"EST-K", NULL}),
    THM("K3.9b", "PS_LAW", "law", NULL, "P(U,Z)", "K Thm 3.9(b)",
        {"DIMU1", "P1nd", "F1", "F2", "DIM", "P2", NULL}, {"EST-K", NULL}),
    THM("K3.9c", "AFF_F", "decoder", "AT", "f", "K Thm 3.9(c), Thm D.4",
        {"DIMU1", "P1nd", "F1", "F2", "DIM", "F4", "FC", NULL}, {"EST-K", NULL}),
    THM("K3.10a", "AT_LAW", "law", NULL, "P(Z)", "K Thm 3.10(a)", {"P1nd", "F1", "F2", "DIM", NULL},
        {"EST-K", NULL}),
    THM("K3.10b", "PS_LAW", "law", NULL, "P(Z)", "K Thm 3.10(b)", {"P1nd", "F1", "F2", "DIM", "P2", NULL},
        {"EST-K", NULL}),
    THM("K3.10c", "PERM_U", "law", NULL, "(k, d_1..d_k, P(U))", "K Thm 3.10(c)",
        {"P1nd", "F1", "F2", "DIM", "P2", "P3", NULL}, {"EST-K", NULL}),
    THM("K3.10d", "AFF_F", "decoder", "AT", "f", "K Thm 3.10(d), Thm D.4",
        {"P1nd", "F1", "F2", "DIM", "F4", "FC", NULL}, {"EST-K", NULL}),
    THM("X3.5", "ATwC", "map", "ATwC", "z (and J)", "X Thm 3.5",
        {"PD", "F1", "FC", "F4", "DIM", "NOISE0", "A3.4", NULL}, {"EST-X", "REC", "GAUSS", NULL}),
    THM("X3.7", "AT", "map", "AT", "z", "X Thm 3.7", {"PD", "F1", "FC", "F4", "DIM", "NOISE0", "A3.4", "A3.6", NULL},
        {"EST-X", "REC", "GAUSS", NULL}),
    THM("X3.9", "PS", "map", "PS", "z", "X Thm 3.9",
        {"PD", "F1", "FC", "F4", "DIM", "NOISE0", "A3.4", "A3.6", "A3.8a", "A3.8b", NULL},
        {"EST-X", "REC", "GAUSS", "SPARSE", NULL}),
    THM("I1", "IVAE_A", "map", "IVAE_A", "(f, T, lambda)", "I Thm 1", {"I-i", "I-ii", "I-iii", "F4", "DIM", NULL},
        {NULL}),
    THM("I2", "IVAE_P", "map", "IVAE_P", "(f, T, lambda)", "I Thm 2",
        {"I-i", "I-ii", "I-iii", "I-T2", "F4", "DIM", NULL}, {NULL}),
    LEMMA("KC.2", "there is an affine h with h(Y) =d Y'",
          "f, g piecewise affine with F2; f(Y) =d g(Y') for GMMs Y, Y'", "K Thm C.2",
          "the law-level conclusions of K3.9a/b and K3.10a/b (their proofs); counterexample K-R3.12 shows it "
          "fails without F2", {"P1", "F1", "F2", NULL}),
    LEMMA("KE.1", "A is recoverable up to permutation x positive diagonal",
          "Y = AZ + b, A invertible, Z a GMM with diagonal Sigma_j and a pair with distinct variance ratios",
          "K Thm E.1",
          "the kivva-e1 estimator (simultaneous diagonalisation of two fitted covariances) and property K3.9b; "
          "the step from AT_LAW to PS_LAW in K3.9b/K3.10b", {"P2", NULL}),
    LEMMA("X3.2", "the two pdGMMs are equal everywhere: same J, components equal up to permutation",
          "two pdGMMs in reduced form equal on an open set meeting every component's support", "X Thm 3.2",
          "X3.5, X3.7, X3.9 (their proofs: J' = J and the matching of fitted to true components)", {"PD", NULL}),
    LEMMA("XB.19", "h is affine on the union of the S_j",
          "subspaces S_j with a common basis (A3.6); h affine on each S_j", "X Prop. B.19",
          "X3.7 (from ATwC to AT under A3.6); counterexample X-E.3 shows it fails without A3.6", {"A3.6", NULL}),
};

size_t idc_thm_count(void)
{
    return sizeof registry / sizeof registry[0];
}

const idc_thm_info *idc_thm_at(size_t i)
{
    return i < idc_thm_count() ? &registry[i] : NULL;
}

const idc_thm_info *idc_thm_find(const char *id)
{
    for (size_t i = 0; id != NULL && i < idc_thm_count(); i++)
        if (strcmp(registry[i].id, id) == 0)
            return &registry[i];
    return NULL;
}

idc_verdict idc_thm_applies(const idc_thm_info *t, idc_verdict (*lookup)(void *ctx, const char *id), void *ctx,
                            const char **blocking)
{
    const char *first_unknown = NULL;
    *blocking = NULL;
    if (t->kind != IDC_THM_THEOREM)
        return IDC_UNKNOWN;
    for (size_t i = 0; i < IDC_THM_MAX_PRE && t->pre[i] != NULL; i++) {
        idc_verdict v = lookup(ctx, t->pre[i]);
        if (v == IDC_FAILS) {
            *blocking = t->pre[i];
            return IDC_FAILS;
        }
        if (v != IDC_HOLDS && first_unknown == NULL)
            first_unknown = t->pre[i];
    }
    *blocking = first_unknown;
    return first_unknown == NULL ? IDC_HOLDS : IDC_UNKNOWN;
}

int idc_thm_class_rank(const char *cls)
{
    if (strcmp(cls, "PS") == 0 || strcmp(cls, "PS_LAW") == 0)
        return 3;
    if (strcmp(cls, "AT") == 0 || strcmp(cls, "AT_LAW") == 0)
        return 2;
    if (strcmp(cls, "ATwC") == 0)
        return 1;
    return 0;
}
