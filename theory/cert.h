/* Certificates of precondition verdicts, as JSON: the format and the
 * builders the checkers (theory/check/) call, in theory/cert/. Their
 * independent verifier is theory/verify.h (theory/verify/), which this
 * header includes (DESIGN.md "Exactness"; CERTIFICATES.md §1-2).
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
#include "theory/verify.h"

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

#endif
