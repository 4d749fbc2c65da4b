/* The theorem registry (THEORY.md §4) as data: each theorem's instance
 * preconditions, the estimator-side conditions it needs, its conclusion
 * (equivalence class of THEORY.md §2) and the level it speaks at, and its
 * source; plus the lemmas the harness relies on (marked as lemmas, with
 * what in idcheck uses them). */
#ifndef IDC_THEORY_THEOREM_H
#define IDC_THEORY_THEOREM_H

#include <stddef.h>

#include "theory/verdict.h"

#define IDC_THM_MAX_PRE 12
#define IDC_THM_MAX_EST 6

typedef enum {
    IDC_THM_THEOREM = 0, /* evaluated by `idcheck check` against an instance */
    IDC_THM_LEMMA = 1    /* a result the code relies on; listed, never evaluated */
} idc_thm_kind;

typedef struct {
    const char *id;         /* THEORY.md §4 ID, e.g. "K3.9a" */
    idc_thm_kind kind;
    const char *conclusion; /* theorems: class ID of THEORY.md §2 (AT_LAW, PS_LAW, AT, ATwC, PS, AFF_F,
                               IVAE_A, IVAE_P), or PERM_U: the structure of U up to a permutation
                               (K3.10c); lemmas: the conclusion in words */
    const char *level;      /* theorems: "law" (a statement about the latent law: AT_LAW, PS_LAW,
                               PERM_U), "map" (about zhat = g(x): AT, ATwC, PS, IVAE_*) or "decoder"
                               (AFF_F: f' = f o h^-1); NULL for lemmas */
    const char *map_class;  /* the map-level class of zhat = g(x) the conclusion gives (AT, ATwC, PS,
                               IVAE_*; "AT" for AFF_F, K Thm D.4), NULL when it gives none (law level) */
    const char *identifies; /* what is identified, e.g. "P(U,Z)"; lemmas: their hypotheses in words */
    const char *source;     /* paper and theorem */
    const char *pre[IDC_THM_MAX_PRE];       /* instance preconditions (NULL-terminated); lemmas: the
                                               §3 IDs their hypotheses are stated in, where there is one */
    const char *estimator[IDC_THM_MAX_EST]; /* estimator conditions (EST-K, EST-X, REC, GAUSS, SPARSE;
                                               NULL-terminated) */
    const char *used_by;    /* lemmas: what in idcheck relies on it; NULL for theorems */
} idc_thm_info;

/* Number of entries (theorems and lemmas) and the i-th (NULL when out of
 * range); theorems come first, in THEORY.md order. */
size_t idc_thm_count(void);
const idc_thm_info *idc_thm_at(size_t i);

/* Entry of an ID (exact match), theorem or lemma, or NULL. */
const idc_thm_info *idc_thm_find(const char *id);

/* Whether theorem t applies to a model whose precondition verdicts are
 * given by lookup (returns IDC_UNKNOWN for IDs it has no verdict for):
 * IDC_HOLDS when every precondition HOLDS, IDC_FAILS when one FAILS (then
 * *blocking names the first failing one), IDC_UNKNOWN otherwise (*blocking
 * names the first non-HOLDS one). Estimator conditions are not part of it:
 * they are conditions on a fit, reported beside the verdict. A lemma is
 * never applied: IDC_UNKNOWN with *blocking = NULL. */
idc_verdict idc_thm_applies(const idc_thm_info *t, idc_verdict (*lookup)(void *ctx, const char *id), void *ctx,
                            const char **blocking);

/* Rank of an equivalence class for "strongest guarantee", comparable only
 * within one level: PS 3 > AT 2 > ATwC 1 (map level), PS_LAW 3 > AT_LAW 2
 * (law level); other classes (AFF_F, IVAE_*, PERM_U) 0 (they speak of
 * other objects). */
int idc_thm_class_rank(const char *cls);

#endif
