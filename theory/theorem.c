#include "theory/theorem.h"

#include <string.h>

/* Kivva et al. 2022 (K), Xu et al. (X), Khemakhem et al. 2020 (I).
 * K3.10 (multivariate U = (U_1..U_k)) identifies P(Z) rather than P(U,Z) and
 * does not need dim U = 1; the data model's single hidden state is the case
 * k = 1, so K3.10a/b/d apply under the same map and prior conditions.
 * K3.10c also needs P3, which is out of scope for certification (always
 * UNKNOWN): it is listed so that `idcheck check` says why it cannot apply. */
static const idc_thm_info registry[] = {
    {"K3.9a", "AT", "P(U,Z)", "K Thm 3.9(a)", {"DIMU1", "P1nd", "F1", "F2", "DIM", NULL}, {NULL}},
    {"K3.9b", "PS", "P(U,Z)", "K Thm 3.9(b)", {"DIMU1", "P1nd", "F1", "F2", "DIM", "P2", NULL}, {NULL}},
    {"K3.9c", "AFF_F", "f", "K Thm 3.9(c)", {"DIMU1", "P1nd", "F1", "F2", "DIM", "F4", "FC", NULL}, {NULL}},
    {"K3.10a", "AT", "P(Z)", "K Thm 3.10(a)", {"P1nd", "F1", "F2", "DIM", NULL}, {NULL}},
    {"K3.10b", "PS", "P(Z)", "K Thm 3.10(b)", {"P1nd", "F1", "F2", "DIM", "P2", NULL}, {NULL}},
    {"K3.10c", "PERM_U", "(k, d_1..d_k, P(U))", "K Thm 3.10(c)", {"P1nd", "F1", "F2", "DIM", "P3", NULL}, {NULL}},
    {"K3.10d", "AFF_F", "f", "K Thm 3.10(d)", {"P1nd", "F1", "F2", "DIM", "F4", "FC", NULL}, {NULL}},
    {"X3.5", "ATwC", "z (and J)", "X Thm 3.5", {"PD", "F1", "FC", "F4", "DIM", "A3.4", NULL}, {"REC", "GAUSS", NULL}},
    {"X3.7", "AT", "z", "X Thm 3.7", {"PD", "F1", "FC", "F4", "DIM", "A3.4", "A3.6", NULL}, {"REC", "GAUSS", NULL}},
    {"X3.9", "PS", "z", "X Thm 3.9",
     {"PD", "F1", "FC", "F4", "DIM", "A3.4", "A3.6", "A3.8a", "A3.8b", NULL},
     {"REC", "GAUSS", "SPARSE", NULL}},
    {"I1", "IVAE_A", "(f, T, lambda)", "I Thm 1", {"I-i", "I-ii", "I-iii", NULL}, {NULL}},
    {"I2", "IVAE_P", "(f, T, lambda)", "I Thm 2", {"I-i", "I-ii", "I-iii", "I-T2", NULL}, {NULL}},
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
    if (strcmp(cls, "PS") == 0)
        return 3;
    if (strcmp(cls, "AT") == 0)
        return 2;
    if (strcmp(cls, "ATwC") == 0)
        return 1;
    return 0;
}
