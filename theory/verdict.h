/* Verdicts, results, budgets and the registry of precondition IDs
 * (THEORY.md §3; DESIGN.md "Exactness").
 *
 * A precondition check answers HOLDS or FAILS, each with a certificate that
 * theory/cert.h re-verifies independently, or UNKNOWN with a reason (budget
 * exhausted, sufficient condition not met and no counter-witness found,
 * not implemented). A wrong HOLDS is the worst possible bug: checkers that
 * cannot prove a claim answer UNKNOWN.
 */
#ifndef IDC_THEORY_VERDICT_H
#define IDC_THEORY_VERDICT_H

#include <stddef.h>

#include <jansson.h>

#include "numeric/status.h"

/* Never test a verdict with `!`: compare with the named constants. */
typedef enum { IDC_HOLDS = 1, IDC_FAILS = 2, IDC_UNKNOWN = 3 } idc_verdict;

#define IDC_PRE_ID_LEN 16
#define IDC_PRE_REASON_LEN 320

/* The outcome of one precondition check. cert is the certificate JSON
 * (theory/cert.h formats), owned by the result; NULL for UNKNOWN. */
typedef struct {
    char id[IDC_PRE_ID_LEN];
    idc_verdict verdict;
    char reason[IDC_PRE_REASON_LEN]; /* one line */
    json_t *cert;
} idc_pre_result;

/* Sets res to an empty UNKNOWN result (no allocation). */
void idc_pre_result_init(idc_pre_result *res);

/* Releases the certificate and re-initialises res; safe on an initialised
 * or cleared result. */
void idc_pre_result_clear(idc_pre_result *res);

/* Fills res (whose previous certificate is released): id, verdict, the
 * certificate (ownership taken, may be NULL) and a printf-style reason. */
void idc_pre_result_set(idc_pre_result *res, const char *id, idc_verdict v, json_t *cert, const char *fmt,
                        ...) __attribute__((format(printf, 5, 6)));

/* "HOLDS", "FAILS", "UNKNOWN" ("?" for anything else). */
const char *idc_verdict_name(idc_verdict v);

/* Parses a verdict name. IDC_OK or IDC_EINVAL. */
int idc_verdict_parse(idc_verdict *v, const char *s);

/* Limits a checker must respect; running out gives UNKNOWN, never a guess.
 * seconds: wall-clock limit per check (<= 0: none). max_entries: cap on
 * the size of the exact objects a checker builds (matrix entries,
 * certificate entries, pieces of a 1-D analysis; 0: none). */
typedef struct {
    double seconds;
    size_t max_entries;
} idc_budget;

#define IDC_BUDGET_DEFAULT_SECONDS 60.0
#define IDC_BUDGET_DEFAULT_ENTRIES ((size_t)1 << 24)

/* The defaults above. */
idc_budget idc_budget_default(void);

/* Deadline (CLOCK_MONOTONIC seconds) for a check starting now under b
 * (b may be NULL: defaults); +infinity when there is no time limit. */
double idc_budget_deadline(const idc_budget *b);

/* 1 when the deadline has passed. */
int idc_budget_expired(double deadline);

/* Effective entry cap of b (SIZE_MAX when unlimited; b may be NULL). */
size_t idc_budget_entries(const idc_budget *b);

/* ---- registry of precondition IDs ------------------------------------- */

typedef enum {
    IDC_PRE_PRIOR = 0,     /* latent pdGMM */
    IDC_PRE_MAP = 1,       /* mixing function */
    IDC_PRE_STRUCTURE = 2, /* structural facts of the data model */
    IDC_PRE_AUX = 3,       /* iVAE (auxiliary variable) */
    IDC_PRE_ESTIMATOR = 4  /* conditions on a fitted model, not the instance */
} idc_pre_kind;

typedef struct {
    const char *id;        /* stable ID of THEORY.md §3 */
    const char *name;      /* a few words */
    const char *source;    /* paper and hypothesis, e.g. "K Cor. H.9" */
    const char *statement; /* one sentence: what HOLDS means exactly */
    idc_pre_kind kind;
    int implemented; /* 1 when idc_pre_check decides it (else UNKNOWN) */
} idc_pre_info;

/* Number of registered IDs and the i-th entry (NULL when out of range). */
size_t idc_pre_count(void);
const idc_pre_info *idc_pre_info_at(size_t i);

/* Entry of an ID (exact, case-sensitive match), or NULL. */
const idc_pre_info *idc_pre_info_find(const char *id);

#endif
