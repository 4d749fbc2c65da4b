/* The theorem registry (THEORY.md §4) as data: each theorem's instance
 * preconditions, the estimator-side conditions it needs, its conclusion
 * (equivalence class) and its source. */
#ifndef IDC_THEORY_THEOREM_H
#define IDC_THEORY_THEOREM_H

#include <stddef.h>

#include "theory/verdict.h"

#define IDC_THM_MAX_PRE 12

typedef struct {
    const char *id;          /* THEORY.md §4 ID, e.g. "K3.9a" */
    const char *conclusion;  /* class ID of THEORY.md §2 (AT, ATwC, PS, AFF_F, IVAE_A, IVAE_P), or PERM_U:
                                the structure of U up to a permutation (K3.10c) */
    const char *identifies;  /* what is identified, e.g. "P(U,Z)" */
    const char *source;      /* paper and theorem */
    const char *pre[IDC_THM_MAX_PRE];       /* instance preconditions (NULL-terminated) */
    const char *estimator[4]; /* estimator conditions (REC, GAUSS, SPARSE; NULL-terminated) */
} idc_thm_info;

size_t idc_thm_count(void);
const idc_thm_info *idc_thm_at(size_t i);   /* NULL when out of range */
const idc_thm_info *idc_thm_find(const char *id);

/* Whether theorem t applies to a model whose precondition verdicts are
 * given by lookup (returns IDC_UNKNOWN for IDs it has no verdict for):
 * IDC_HOLDS when every precondition HOLDS, IDC_FAILS when one FAILS (then
 * *blocking names the first failing one), IDC_UNKNOWN otherwise (*blocking
 * names the first non-HOLDS one). Estimator conditions are not part of it:
 * they are conditions on a fit, reported beside the verdict. */
idc_verdict idc_thm_applies(const idc_thm_info *t, idc_verdict (*lookup)(void *ctx, const char *id), void *ctx,
                            const char **blocking);

/* Rank of an equivalence class for "strongest guarantee": PS 3 > AT 2 >
 * ATwC 1; other classes (AFF_F, IVAE_*) 0 (they speak of other objects). */
int idc_thm_class_rank(const char *cls);

#endif
