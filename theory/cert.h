/* Certificates of precondition verdicts, as JSON, and their independent
 * verifier (DESIGN.md "Exactness"; CERTIFICATES.md §1-2).
 *
 * Envelope (every certificate):
 *   { "idcheck_cert": 1,
 *     "precondition": "F4",            ID of THEORY.md §3
 *     "verdict": "HOLDS" | "FAILS",
 *     "model_hash": "<64 hex>",         idc_instance_hash of the model
 *     "method": "<name>",               which proof (table below)
 *     "source": "K Cor. H.9",           paper + hypothesis
 *     "witness": { ... } }
 * Rationals are strings "p/q" in lowest terms (numeric/dq.h); indices are
 * 0-based JSON integers; primes are JSON integers (< 2^53).
 *
 * Methods and witnesses (w = the "witness" object):
 *   DIM   "dims"            w = {"m": m, "n": n}; HOLDS iff m <= n.
 *   DIMU1 "data-model"      w = {"J": J}.
 *   I-i   "gaussian-noise"  w = {"sigma": "p/q"}.
 *   NOISE0 "noise-level"    w = {"sigma": "p/q"}: the instance's noise level;
 *             HOLDS iff sigma = 0 (needs the instance: idc_cert_verify).
 *   F1    "by-construction" w = {"map": "mlp"|"pwl1", "activations": [names]}.
 *   FC    "mlp-continuous"  w = {"map": "mlp"}.
 *         "pwl1-breakpoints" (HOLDS) w = {"values": ["p/q" per breakpoint]}.
 *         "pwl1-jump" (FAILS) w = {"breakpoint": i, "t": q, "left": q, "right": q}.
 *   F4    "kivva-H9" (HOLDS) w = {"layers": [{"activation": name,
 *             "slope": q, "prime": p, "rows": [in_i row indices]}]}:
 *             det W_i[rows, :] != 0 mod p for every layer.
 *         "pwl1-image-order" (HOLDS) w = {"order": [piece indices]}: every
 *             slope nonzero and the piece images, in this order, pairwise
 *             disjoint and increasing.
 *         "monotone-1d" (HOLDS, MLP with m = 1) w = {"breakpoints": [q..],
 *             "functional": [n q], "direction": 1 | -1}: l.f strictly
 *             monotone on every interval between the breakpoints.
 *         "pairwise-1d" (HOLDS, MLP with m = 1) w = {"breakpoints", "pieces",
 *             "functionals", "separators"}: every pair of pieces separated
 *             by a linear form (theory/verify/verify_f4line.c).
 *         "collision" (FAILS) w = {"x": [q..], "y": [q..], "image": [q..],
 *             "found_by": text}: x != y and f(x) = f(y) = image exactly.
 *   P1    "reduced-form" (HOLDS) w = {"pairs": [{"j", "k", "entry":
 *             "mean"|"sigma", "index": [i] | [a, b], "values": [q, q]}]}
 *             or w = {"chain": {"order": [..], "links": [{"entry", "index",
 *             "values"}]}}: consecutive components in "order" increase
 *             strictly in the lexicographic order of (mu, upper triangle of
 *             Sigma row by row), first difference at the link's entry.
 *         FAILS w = {"reason": "weight", "component": j, "weight": q} or
 *               {"reason": "duplicate", "components": [j, k]}.
 *   P1nd  "reduced-form+nondegenerate" (HOLDS) w = {"reduced_form": P1 w,
 *             "components": [{"component": j, "form": "factor"|"frame",
 *             "prime": p, "cols": [m columns of L_j]} | {"component": j,
 *             "form": "covariance", "pivots": [m positive q]}]}.
 *         FAILS w = {"reason": "P1", "p1": P1 FAILS w} |
 *               {"reason": "singular", "component": j, "kernel": [q..]}
 *                  (Sigma_j v = 0, v != 0) |
 *               {"reason": "indefinite", "component": j, "vector": [q..],
 *                  "value": q}  (v^T Sigma_j v = value < 0).
 *   PD    "reduced-form+psd" (HOLDS) w = {"reduced_form": P1 w,
 *             "components": [{"component": j, "form": "factor"|"frame"} |
 *             {"component": j, "form": "covariance", "pivots": [m q >= 0]}]}.
 *         FAILS: the P1 and "indefinite" forms above.
 */
#ifndef IDC_THEORY_CERT_H
#define IDC_THEORY_CERT_H

#include <stddef.h>

#include <flint/fmpq.h>
#include <flint/fmpq_mat.h>
#include <flint/fmpz_mat.h>
#include <jansson.h>

#include "models/instance.h"
#include "models/pamap.h"
#include "models/pdgmm.h"
#include "numeric/status.h"
#include "theory/verdict.h"

#define IDC_CERT_FORMAT 1

/* A new certificate envelope (see above) holding witness (reference
 * stolen). hash may be NULL ("model_hash": null: such a certificate
 * verifies only without a hash). Returns NULL on allocation failure,
 * including witness == NULL (a builder upstream failed); witness is then
 * released. */
json_t *idc_cert_new(const char *id, idc_verdict v, const char *hash, const char *method, const char *source,
                     json_t *witness);

/* JSON builders for witness data (NULL on allocation failure). */
json_t *idc_cert_json_fmpq(const fmpq_t q);
json_t *idc_cert_json_d(double x); /* exact "p/q" of a finite double */
json_t *idc_cert_json_fmpq_col(const fmpq_mat_t v, slong col);
json_t *idc_cert_json_fmpz_col(const fmpz_mat_t v, slong col);
json_t *idc_cert_json_slongs(const slong *a, slong n);

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
