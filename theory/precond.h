/* Precondition checkers (THEORY.md §3) with exact certificates
 * (CERTIFICATES.md §1-2). One entry point, idc_pre_check, plus one function
 * per precondition working on the model parts (so callers and tests can
 * check a pdGMM or a map without a whole instance).
 *
 * Every checker fills an idc_pre_result: HOLDS / FAILS with a certificate
 * (theory/cert.h documents the formats and verifies them independently), or
 * UNKNOWN with a reason and no certificate. The status returned is IDC_OK
 * whenever a verdict was produced, UNKNOWN included (a budget running out
 * is a verdict, not an error); IDC_EINVAL for malformed input (err names
 * the field), IDC_ENOMEM, IDC_EINTERNAL for a broken invariant.
 *
 * `hash` is the model hash certificates carry (idc_instance_hash: hex
 * SHA-256 of the canonical model JSON); it is copied into the certificate.
 *
 * Semantics (CERTIFICATES.md §0, §7): every double is read as the exact
 * dyadic rational it is. Components are judged by their declared form:
 * FACTOR (mu, L; Sigma = L L^T over Q), COVARIANCE (mu, Sigma as given),
 * FRAME (mu = t + B[:,S] c, L = B[:,S] C, products over Q). The float
 * copies `mean`/`L` of FRAME components are never used.
 */
#ifndef IDC_THEORY_PRECOND_H
#define IDC_THEORY_PRECOND_H

#include <flint/fmpq_mat.h>

#include "models/instance.h"
#include "models/pamap.h"
#include "models/pdgmm.h"
#include "numeric/status.h"
#include "theory/verdict.h"
#include "theory/verify.h" /* IDC_A34_MAX_CLASS */

/* Runs the checker of precondition `id` (an ID of the registry in
 * theory/verdict.h) on inst under budget (NULL: defaults). Registered IDs
 * without a checker yet give UNKNOWN ("not implemented"); an unregistered
 * ID gives IDC_EINVAL. res must be initialised; its old content is
 * released. Computes the model hash (one canonical dump of the model). */
int idc_pre_check(idc_pre_result *res, const char *id, const idc_instance *inst, const idc_budget *budget,
                  idc_err *err) __attribute__((warn_unused_result));

/* Same with a model hash the caller computed once (64 hex chars + NUL). */
int idc_pre_check_hashed(idc_pre_result *res, const char *id, const idc_instance *inst, const char *hash,
                         const idc_budget *budget, idc_err *err) __attribute__((warn_unused_result));

/* Releases a result (also declared in theory/verdict.h). */
void idc_pre_result_clear(idc_pre_result *res);

/* ---- prior (theory/check/pre_prior.c) ---------------------------------------- */

/* P1 (K; THEORY.md §1 "reduced form"): every lambda_j > 0 and the pairs
 * (mu_j, Sigma_j) are pairwise distinct, compared exactly over Q.
 * HOLDS certificate: for each pair (j, k) an entry of mu or Sigma where they
 * differ (for J > IDC_P1_PAIRWISE_MAX: a strictly increasing lexicographic
 * chain). FAILS: the non-positive weight or the equal pair. P1 presupposes
 * a Gaussian mixture: a COVARIANCE Sigma that is not symmetric PSD is
 * IDC_EINVAL here (the instance reader rejects it too; PD and P1nd answer
 * FAILS with a witness v^T Sigma v < 0).
 * Cost: O(J^2) entry comparisons in the typical case, O(J^2 m^2 r) worst. */
int idc_pre_p1(idc_pre_result *res, const idc_pdgmm *g, const char *hash, const idc_budget *budget,
               idc_err *err) __attribute__((warn_unused_result));

/* P1nd (K's proofs): P1 and every Sigma_j positive definite. FACTOR/FRAME:
 * rank L_j = m by a modular m x m minor; COVARIANCE: all Schur pivots > 0.
 * FAILS: a P1 failure, or a nonzero v with Sigma_j v = 0 (L_j^T v = 0 for
 * factor forms). Cost: one ModRank per component (or O(m^3) elimination). */
int idc_pre_p1nd(idc_pre_result *res, const idc_pdgmm *g, const char *hash, const idc_budget *budget,
                 idc_err *err) __attribute__((warn_unused_result));

/* PD (X §3): pdGMM in reduced form, Sigma_j PSD, possibly singular. Factor
 * forms are PSD by construction; COVARIANCE forms get the exact elimination
 * (all pivots >= 0, zero pivots with zero rows). FAILS: a P1 failure, an
 * asymmetric entry, or v with v^T Sigma_j v < 0. */
int idc_pre_pd(idc_pre_result *res, const idc_pdgmm *g, const char *hash, const idc_budget *budget,
               idc_err *err) __attribute__((warn_unused_result));

/* P2 (K Thm 3.9(b); theory/check/pre_p2.c): every Sigma_j diagonal and a pair with
 * pairwise distinct variance ratios, decided exactly (cross-multiplied).
 * Certificate method "diagonal-ratios" (see pre_p2.c). */
int idc_pre_p2(idc_pre_result *res, const idc_pdgmm *g, const char *hash, const idc_budget *budget,
               idc_err *err) __attribute__((warn_unused_result));

/* A3.8a / A3.8b (X Ass. 3.8; theory/check/pre_a38.c): coordinate supports through 0,
 * and support-index variability, with supports B_j = nonzero diagonal of
 * Sigma_j over Q. Certificate method "coordinate-supports". */
int idc_pre_a38a(idc_pre_result *res, const idc_pdgmm *g, const char *hash, const idc_budget *budget,
                 idc_err *err) __attribute__((warn_unused_result));
int idc_pre_a38b(idc_pre_result *res, const idc_pdgmm *g, const char *hash, const idc_budget *budget,
                 idc_err *err) __attribute__((warn_unused_result));

/* A3.6 (X Ass. 3.6; theory/check/pre_a36.c): the supports share a point z0 and one
 * basis of R^m contains a basis of every V_j = col Sigma_j. Decided
 * completely within the budget. HOLDS methods: "nondegenerate" (every
 * Sigma_j nonsingular), "frame-basis" (declared frame with full-rank
 * blocks), "common-basis" (the lattice generated by the V_j is
 * distributive; witness: z0 with per-component coordinates, m integer basis
 * vectors, per component the indices of those spanning V_j). FAILS methods:
 * "no-common-point" (Fredholm vector), "distributivity" (lattice words
 * a, b, c over the V_j, or with "dual" over the V_j^perp, with
 * dim(a ∩ (b + c)) > dim((a ∩ b) + (a ∩ c))). The meet-closure is searched
 * mod p on the primal and the dual side; every certificate is verified
 * exactly over Q before it is returned. UNKNOWN: time or entry budget
 * exhausted while building a meet-closure (at most 2^J elements), or no
 * certificate verified in 4 primes (adversarial data only). Cost: J = 12,
 * m = 20: about 10 ms. */
int idc_pre_a36(idc_pre_result *res, const idc_pdgmm *g, const char *hash, const idc_budget *budget,
                idc_err *err) __attribute__((warn_unused_result));

/* A3.4 (X Ass. 3.4; theory/check/pre_a34.c), decided exactly for every pdGMM,
 * degenerate components included. Components are grouped by exact rank;
 * within each class the maximal sets of components whose supports meet
 * (the whole class when all meet, else a DFS over intersecting sets) each
 * get an exact common point with pairwise different Mahalanobis distances
 * (HOLDS, method "maximal-sets", with Fredholm certificates for the minimal
 * disjoint sets and a checkable coverage of all subsets), or two members'
 * squared distances agree identically on the whole common support flat
 * (FAILS, method "equal-distances"; repeated components FAIL, reduced form
 * is not assumed). UNKNOWN when the budget runs out (time; max_entries
 * counts intersecting sets and certificate rationals) or when a class whose
 * supports do not all meet has more than IDC_A34_MAX_CLASS members (the
 * verifier's coverage limit). IDC_EINVAL for non-finite data or a
 * COVARIANCE Sigma that is not exactly symmetric. Cost: one exact rref per
 * intersecting set (at most 2^K for a class of K) plus one solve per member
 * of each maximal set. */
int idc_pre_a34(idc_pre_result *res, const idc_pdgmm *g, const char *hash, const idc_budget *budget,
                idc_err *err) __attribute__((warn_unused_result));

/* When J <= this, P1 certificates list every pair; above, a sorted chain. */
#define IDC_P1_PAIRWISE_MAX 32

/* Exact data of component j (matrices initialised by the caller with the
 * shapes below; contents overwritten). IDC_OK, IDC_EINVAL (NaN/Inf, a
 * FRAME component without a frame, a wrong form), or IDC_EINVAL for j out
 * of range.
 *   mean:   m x 1, mu_j.
 *   factor: m x r_j, L_j (FACTOR or FRAME forms only).
 *   sigma:  m x m, Sigma_j (L_j L_j^T for factor forms). */
int idc_pdgmm_exact_mean(fmpq_mat_t mu, const idc_pdgmm *g, size_t j) __attribute__((warn_unused_result));
int idc_pdgmm_exact_factor(fmpq_mat_t L, const idc_pdgmm *g, size_t j) __attribute__((warn_unused_result));
int idc_pdgmm_exact_sigma(fmpq_mat_t S, const idc_pdgmm *g, size_t j) __attribute__((warn_unused_result));

/* ---- map (theory/check/pre_map.c) --------------------------------------------- */

/* DIM (K Rem. 3.6): m <= n with m = g->dim, n = f->out_dim. IDC_EINVAL when
 * f->in_dim != m. Certificate: the two dimensions. */
int idc_pre_dim(idc_pre_result *res, const idc_pdgmm *g, const idc_pamap *f, const char *hash,
                const idc_budget *budget, idc_err *err) __attribute__((warn_unused_result));

/* DIMU1 (K Thm 3.9: dim U = 1): the data model has one discrete hidden
 * state U in {1..J}; HOLDS by construction. */
int idc_pre_dimu1(idc_pre_result *res, const idc_pdgmm *g, const char *hash, const idc_budget *budget,
                  idc_err *err) __attribute__((warn_unused_result));

/* F1 (K, X): f piecewise affine. HOLDS by construction for MLPs with
 * identity / relu / leaky_relu activations and for piece tables. */
int idc_pre_f1(idc_pre_result *res, const idc_pamap *f, const char *hash, const idc_budget *budget,
               idc_err *err) __attribute__((warn_unused_result));

/* FC (K Thm 3.9c): f continuous. MLPs: by construction. Piece tables: both
 * one-sided values at every breakpoint compared exactly (FAILS: the jump). */
int idc_pre_fc(idc_pre_result *res, const idc_pamap *f, const char *hash, const idc_budget *budget,
               idc_err *err) __attribute__((warn_unused_result));

/* F4 (K Def. 3.2 ff.): f injective.
 * MLP: HOLDS via K Cor. H.9 when every activation is injective (identity or
 *   leaky_relu with slope > 0) and every W_i has full column rank (so widths
 *   are nondecreasing); certificate: per layer a prime and an in_i x in_i
 *   minor nonzero mod p. FAILS with a collision f(x) = f(y), x != y, checked
 *   exactly, found from: a kernel vector of W_1; for m = 1 an exact
 *   piecewise analysis of the whole line (e.g. K Ex. H.10); a point x in
 *   the interior of its activation region whose Jacobian has a kernel
 *   vector v (y = x + eps v, eps a power of 2 keeping every sign). Else
 *   UNKNOWN with the reason (ReLU, rank loss beyond W_1, width decrease).
 * PWL1: decided exactly: HOLDS iff all slopes are nonzero and the piece
 *   images are pairwise disjoint (certificate: the pieces sorted by image);
 *   FAILS with a collision otherwise.
 * Cost (H.9): O(sum_i out_i in_i^2) word operations. */
int idc_pre_f4(idc_pre_result *res, const idc_pamap *f, const char *hash, const idc_budget *budget,
               idc_err *err) __attribute__((warn_unused_result));

/* I-i (I Thm 1 (i)): the noise characteristic function vanishes nowhere;
 * HOLDS for the Gaussian noise N(0, sigma^2 I) of the data model (sigma = 0
 * included: the characteristic function is then 1). */
/* F2 / F3 through F4 (THEORY.md §3: for piecewise-affine f, F4 => F3 => F2).
 * HOLDS when F4 HOLDS, with certificate method "implied-by-F4" whose witness
 * {"F4": F4 certificate} is re-verified; otherwise UNKNOWN (F4 failing does
 * not decide the weaker properties; the exact deciders are in
 * idc_pre_f23). id is "F2" or "F3". */
int idc_pre_implied_by_f4(idc_pre_result *res, const char *id, const idc_pamap *f, const char *hash,
                          const idc_budget *budget, idc_err *err) __attribute__((warn_unused_result));

/* F2 / F3 (K Def. 3.2; theory/check/pre_f23.c documents the readings and every
 * certificate). F2 (i) is read with x0 in f(R^m); "measure" in F2 (ii) and F3
 * is the Hausdorff measure of dimension dim f(R^m) (counting measure when f
 * is constant). Any m: F4 HOLDS => HOLDS ("implied-by-F4"); W_1 v = 0, v != 0
 * => FAILS ("kernel-w1"); F3 FAILS on two full-rank regions covering an open
 * piece of one m-flat twice ("point-overlap"). m = 1: decided exactly
 * ("line-*"). m = 2: decided exactly by layer-wise region enumeration with a
 * symbolic bounding box ("plane-*"), the region list checked by the verifier
 * through a tiling identity. UNKNOWN otherwise (m >= 3, region/piece caps,
 * deadline). K Cor. H.7 is not used: it is false as stated (see pre_f23.c).
 * id is "F2" or "F3"; IDC_EINVAL for another id or a malformed map. */
int idc_pre_f23(idc_pre_result *res, const char *id, const idc_pamap *f, const char *hash,
                const idc_budget *budget, idc_err *err) __attribute__((warn_unused_result));

/* I-ii, I-iii, I-T2 (theory/check/pre_ivae.c): the iVAE conditions read on the
 * declared model with u = the component label (aux.kind "label"); see that
 * file for the reading, the choice of statistics and the certificates. */
int idc_pre_ivae(idc_pre_result *res, const char *id, const idc_pdgmm *g, idc_aux_kind aux, const char *hash,
                 const idc_budget *budget, idc_err *err) __attribute__((warn_unused_result));

int idc_pre_ii(idc_pre_result *res, double noise_sigma, const char *hash, const idc_budget *budget,
               idc_err *err) __attribute__((warn_unused_result));

/* NOISE0 (X Sec. 2: the model X = f(Z) is noiseless; THEORY.md §3): the
 * observation noise level sigma of the instance is exactly 0. Decided on
 * the double as given: HOLDS when sigma == 0, FAILS when sigma > 0, both
 * with certificate method "noise-level" whose witness is sigma as an exact
 * rational. IDC_EINVAL (naming noise.sigma) when sigma is negative or not
 * finite. Cost: O(1). */
int idc_pre_noise0(idc_pre_result *res, double noise_sigma, const char *hash, const idc_budget *budget,
                   idc_err *err) __attribute__((warn_unused_result));

#endif
