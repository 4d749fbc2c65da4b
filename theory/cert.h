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

/* Same on model parts: prior g and map f (either may be NULL when the
 * certificate's precondition does not need it; needing it then fails) and
 * the expected hash (NULL: the hash is not checked). */
int idc_cert_verify_parts(const json_t *cert, const idc_pdgmm *g, const idc_pamap *f, const char *hash,
                          char *reason, size_t reason_len) __attribute__((warn_unused_result));

#endif
