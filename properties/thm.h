/* Theorem properties beyond K3.9a (THEORY.md §4), one table-driven module:
 * each property = a generator of the registry (generators/registry.h) with
 * some parameters fixed, the theorem's instance preconditions (a trial
 * whose preconditions are not all HOLDS is discarded), an estimator
 * pipeline and an assertion with a threshold parameter.
 *
 *   K3.9b  kivva (diagonal covariances, P2 on purpose) -> Stage 1 ->
 *          kivva-e1 unmixing; out-of-sample MCC >= mcc_min (PS).
 *   K3.9c  pdgmm (non-degenerate) -> Stage 1; the decoder is affine-
 *          equivalent to f: with h the affine map z -> zhat fitted on half
 *          of the held-out samples, dec(h(z)) reproduces x = f(z) on the
 *          other half: 1 - |dec(h(z)) - x|^2 / |x - mean x|^2 >= r2_min.
 *   X3.5   xu (degenerate components, noise 0: X's model is noiseless, a
 *          trial with noise > 0 is discarded as NOISE0 FAILS; the same for
 *          X3.7 and X3.9) -> Stage 1; per component j, the codes of the
 *          held-out samples of j are affine in z: the least out-of-sample
 *          R^2 over components >= r2_min (ATwC).
 *   X3.7   xu -> Stage 1; out-of-sample R^2 >= r2_min (AT).
 *   X3.9   xu (A3.8 by construction) -> Stage 1 -> Stage 2; out-of-sample
 *          MCC >= mcc_min (PS).
 *   I1     ivae (segments, u = label; F4 and DIM required, so a trial with
 *          a non-injective mixing such as mix=relu is discarded) -> iVAE;
 *          out-of-sample MCC >= mcc_min (Khemakhem et al. report > 0.95 at
 *          n = 5, 40 segments).
 *   W      kivva -> VaDE fitted `restarts` times on the same samples; the
 *          mean out-of-sample weak MCC (CCA) between restarts >= mcc_min
 *          (Willetts & Paige's stability study).
 *
 * Estimator conditions (THEORY.md §3, §8). The X properties and I1 measure
 * them on the held-out rows of every trained trial and assert only when
 * they are met; otherwise the trial is INCONCLUSIVE with the measured
 * values in its why line and record["estimator_conditions"] (never FAIL,
 * never shrunk). REC: relative reconstruction error <= rec_max (default
 * 0.01; X3.9: of the composite x -> Stage 1 -> Stage 2 -> back -> x^);
 * GAUSS (X only, gauss_gate 1): the codes pass the MMD test of a
 * J-component GMM (numeric/mmd.h); SPARSE (X3.9): E|zhat|_0 <= E|z|_0 +
 * sparse_slack (default 0.1), zero meaning |v| <= sparse_tol (1e-3) x the
 * column's RMS. I1 gates REC only (the iVAE prior is conditional on u).
 * The gated Stage-1 trials recalibrate batch norm (idc_stage1_recalibrate_bn)
 * before encoding: with the lagging running statistics the eval-mode REC
 * was 20-83. K3.9b/c here are k39.c's Stage-1 delegates and W a stability
 * study: not gated.
 *
 * Trial k of a run with seed S: trial seed t = idc_rng_derive_seed(S, k);
 * the instance is the generator's at seed t; samples, Stage 1 and Stage 2
 * use t as their run seed (trial 0) exactly as K3.9a does. The estimator
 * configs are CI-sized by default (see `idcheck prop --list`); the paper's
 * sizes are parameters. */
#ifndef IDC_PROPERTIES_THM_H
#define IDC_PROPERTIES_THM_H

#include "properties/prop.h"

extern const idc_prop_def idc_prop_k39b;
extern const idc_prop_def idc_prop_k39c;
extern const idc_prop_def idc_prop_x35;
extern const idc_prop_def idc_prop_x37;
extern const idc_prop_def idc_prop_x39;
extern const idc_prop_def idc_prop_i1;
extern const idc_prop_def idc_prop_w;

#endif
