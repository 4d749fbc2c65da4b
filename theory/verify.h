/* The independent verifier of certificates and check reports: idcheck's
 * trusted base (theory/verify/; the format is documented in theory/cert.h).
 * It depends only on the instance reader (models/instance.h), exact
 * arithmetic (FLINT/GMP), Jansson and Nettle, never on a checker or a
 * certificate builder: `make check` links it without them, and the
 * standalone idcheck-verify binary is built from it alone. */
#ifndef IDC_THEORY_VERIFY_H
#define IDC_THEORY_VERIFY_H

#include <stddef.h>

#include <flint/fmpq.h>
#include <jansson.h>

#include "models/instance.h"
#include "models/pamap.h"
#include "models/pdgmm.h"
#include "numeric/status.h"
#include "theory/verdict.h"

/* The certificate format this verifier reads ("idcheck_cert"). */
#define IDC_CERT_FORMAT 1

/* Largest rank class whose supports do not all meet that an A3.4
 * "maximal-sets" certificate may cover by enumeration (the checker
 * theory/check/pre_a34.c respects it; the verifier rejects larger ones). */
#define IDC_A34_MAX_CLASS 24

/* Parses a "p/q" JSON string. IDC_OK or IDC_EINVAL. */
int idc_cert_get_fmpq(fmpq_t q, const json_t *s) __attribute__((warn_unused_result));

/* Verifies a certificate against an instance, by independent recomputation
 * and no search: the model hash must match idc_instance_hash(inst), the
 * verdict must follow from the witness (HOLDS: the sufficient condition
 * recomputed, e.g. every minor's determinant mod p; FAILS: the
 * counter-witness recomputed exactly, e.g. both images of a collision).
 * Returns IDC_OK when valid; IDC_EDOM with a one-line reason when not
 * (malformed, wrong hash, altered data, a claim that does not follow);
 * IDC_ENOMEM. reason may be NULL. */
int idc_cert_verify(const json_t *cert, const idc_instance *inst, char *reason, size_t reason_len)
    __attribute__((warn_unused_result));

/* Same with the instance's hash computed once by the caller
 * (idc_instance_hash; 64 hex chars + NUL), e.g. for the certificates of
 * one report. A wrong hash only makes certificates fail. */
int idc_cert_verify_hashed(const json_t *cert, const idc_instance *inst, const char *hash, char *reason,
                           size_t reason_len) __attribute__((warn_unused_result));

/* Same on model parts: prior g and map f (either may be NULL when the
 * certificate's precondition does not need it; needing it then fails) and
 * the expected hash (NULL: the hash is not checked). */
int idc_cert_verify_parts(const json_t *cert, const idc_pdgmm *g, const idc_pamap *f, const char *hash,
                          char *reason, size_t reason_len) __attribute__((warn_unused_result));

/* ---- check reports (theory/verify/verify_report.c) ------------------------------
 *
 * A check report (`idcheck check --json`) makes one claim per entry:
 *   { "model_hash": "<64 hex>",          the instance every claim is about
 *     "preconditions": [{"id": ID, "verdict": "HOLDS"|"FAILS"|"UNKNOWN",
 *                        "reason": text, "certificate": certificate|null}],
 *     "theorems": [{"id": THEORY.md Sec. 4 ID, "applies": verdict,
 *                   "conclusion", "identifies", "blocking", ...}],
 *     "strongest_class": class | null, ... }
 * A report is valid for an instance when its model_hash is the instance's,
 * every entry has an id appearing once, every HOLDS or FAILS entry carries
 * a certificate whose
 * precondition and verdict are the entry's and which idc_cert_verify
 * accepts, every UNKNOWN entry carries no certificate (it claims nothing:
 * estimator-side IDs such as REC, GAUSS, SPARSE are always UNKNOWN), and
 * the theorem table and strongest classes, when present, are what the
 * theorem registry (theory/theorem.h) gives for these verdicts: every row
 * a theorem (not a lemma) appearing once, its applies, blocking and
 * blocking_verdict recomputed, its conclusion, level, map_class,
 * identifies and estimator_conditions the registry's; strongest_class the
 * highest-ranked map_class, strongest_law_class the highest-ranked
 * law-level conclusion of an applicable theorem (null when none). Rows may
 * be left out (they claim nothing). "reason" texts and other fields are
 * commentary and are not checked. */

/* One entry of a report, as the verifier judged it. The strings point into
 * the report or into the verifier's buffers and live until the callback
 * returns. */
typedef struct {
    size_t index;        /* position in "preconditions" */
    const char *id;      /* the entry's id ("?" when it has none) */
    idc_verdict verdict; /* the entry's verdict (IDC_UNKNOWN when unreadable) */
    const char *method;  /* its certificate's method; NULL without one */
    int status;          /* IDC_OK: a certified verdict re-derived, or an UNKNOWN without claim;
                            IDC_EDOM: invalid */
    const char *reason;  /* IDC_EDOM: one line naming the entry ("preconditions[6] (F4): ...") */
} idc_cert_entry;

/* Counts of a report's entries: certified = valid HOLDS/FAILS entries,
 * unknown = valid UNKNOWN entries (nothing to verify), invalid = rejected
 * entries; theorems = theorem rows found consistent. */
typedef struct {
    size_t entries, certified, unknown, invalid, theorems;
} idc_cert_tally;

typedef void (*idc_cert_entry_fn)(void *arg, const idc_cert_entry *e);

/* Verifies every claim of a check report against inst (see above). fn (may
 * be NULL) is called once per entry, in order, after it is judged; every
 * entry is judged even after an invalid one. tally (may be NULL) receives
 * the counts. Returns IDC_OK when the report is valid (a report whose
 * entries are all UNKNOWN is valid: it claims nothing); IDC_EDOM with the
 * first one-line reason when it is not (the report's model_hash, an entry,
 * or the theorem table, which is judged only when every entry is valid; a
 * wrong model_hash stops before the entries); IDC_EINVAL
 * when report is not an object with a "preconditions" array; IDC_ENOMEM,
 * or the instance's hashing status. Cost: one hash of the instance, then
 * one certificate verification per decided entry. */
int idc_cert_verify_report(idc_cert_tally *tally, const json_t *report, const idc_instance *inst,
                           idc_cert_entry_fn fn, void *arg, char *reason, size_t reason_len)
    __attribute__((warn_unused_result));

#endif
