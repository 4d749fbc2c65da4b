/* Reproductions of the papers' headline tables (THEORY.md §7), printed
 * beside the papers' values. These are experiments, not tests: at paper
 * scale they take hours on a CPU (README, "Reproducing the papers").
 *
 * x-table1: Xu et al. Table 1 in the paper's setting. Each row fixes
 * (n, k, L, rho, delta, theta) of the `xu` generator's paper preset: the
 * table's third column is L, the number of mixing layers (orthonormal
 * weights, no biases, max(s h, h) with s ~ U(0.5, 1.5) between layers), and
 * J is the number of distinct masks among 5n rho-hot draws with floor(rho n)
 * ones each (cover = 0: A3.8b is certified, not imposed). For every seed s
 * the instance is xu at seed idc_rng_derive_seed(0x7AB1E1 + row, s), made
 * twice: with the masked value c = mean + delta * std from the population
 * moments (the paper's text) and from 5000-sample empirical moments (the
 * authors' released code); A3.4, A3.6, A3.8a and A3.8b are certified for
 * both and reported per seed and as counts per row. Unless certify_only,
 * the instance of the reading `center` is trained, and the
 * columns are the held-out R^2 and MCC of Stage-1 codes, the MCC of Stage 2
 * with the sparsity constraint and without it (the Lagrange multiplier held
 * at 0: X Table 8), each the mean over seeds. Scales: "paper" (Stage 1:
 * widths 50n..., 5000 steps of 6144 at lr 1e-4; Stage 2: 80000 steps of
 * 6144, lr 1e-4 / 5e-5; 50000 training samples) and "ci" (widths 8n...,
 * 2000 steps of 256 at lr 1e-3; Stage 2 with widths (2,10,10,10,10,2)n,
 * 2000 steps of 256 at lr 1e-3 / 1e-2; 4000 samples). The
 * VaDE column is the paper's baseline (models/estimators/vae.h, J prior components)
 * on the same samples (CI scale: hidden (64, 64), 300 + 1000 steps). */
#ifndef IDC_PROPERTIES_REPRO_H
#define IDC_PROPERTIES_REPRO_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "numeric/status.h"

#define IDC_XTABLE1_ROWS 17

/* Called with each trial of a reproduction as it finishes (a (row, seed) of
 * x-table1, a seed of ivae-fig2 with both its fits, a restart of
 * kivva-table2): trial is its JSON (below; borrowed), seconds its wall time.
 * A status other than IDC_OK (err set) stops the reproduction with it. */
typedef int (*idc_repro_trial_fn)(void *ctx, const json_t *trial, double seconds, idc_err *err);

typedef struct {
    unsigned rows[IDC_XTABLE1_ROWS]; /* 1-based row numbers to run */
    size_t nrows;                    /* 0: all */
    unsigned seeds;                  /* seeds per row (paper: 5) */
    int paper_scale;                 /* 1: the paper's sizes */
    size_t steps1, steps2;           /* overrides (0: the scale's) */
    unsigned threads;                /* Stages 1 and 2's CPU threads (0, 1: one); any count gives the
                                        same numbers */
    int certify_only;                /* 1: certify both readings, train nothing (seconds per row) */
    int center;                      /* the reading trained on: 0 population (default), 1 empirical */
    unsigned first_seed;             /* the seeds run are first_seed .. first_seed + seeds - 1 (default 0) */
    idc_repro_trial_fn on_trial;     /* NULL or called per (row, seed) with {"table": "x-table1",
                                        "scale", "row", "trained", "trained_center", and the
                                        per_seed entry's members} */
    void *on_trial_ctx;
} idc_xtable1_opts;

/* One line per (row, seed) to progress (may be NULL: the verdicts of both
 * readings, then the metrics when trained) and *out (new reference) =
 * {"table": "x-table1", "scale", "seeds", "trained", "trained_center",
 * "rows": [{"row", "params": {n, k, L, rho, delta, theta}, "J_mean",
 * "paper": {...}, "ours": {"r2_stage1", "mcc_stage1", "mcc_stage2",
 * "mcc_no_sparsity", "mcc_vade", "per_seed": [{"seed", "J", metrics (null
 * when not trained), "certified": {"population": {ID: verdict},
 * "empirical": {...}}}]}, "holds": {"population": {ID: seeds HOLDS},
 * "empirical": {...}}}]}. IDC_EINVAL for a row outside 1..IDC_XTABLE1_ROWS
 * or a center other than 0, 1. */
int idc_repro_xtable1(json_t **out, const idc_xtable1_opts *o, FILE *progress, idc_err *err)
    __attribute__((warn_unused_result));

/* Prints the comparison table of a result of idc_repro_xtable1. */
void idc_repro_xtable1_print(FILE *fp, const json_t *result);

/* ivae-fig2: Khemakhem et al. §5 / Fig. 2 (THEORY.md §7): nonstationary
 * sources (the `ivae` generator: n = d = 5, M = 40 segments, variances in
 * [0.5, 3], zero means, 2 leaky mixing layers), iVAE vs VAE, held-out MCC
 * per seed and the mean; the paper reports iVAE MCC > 0.95 and far lower
 * VAE values. Paper scale: L = 1000 samples per segment, the models/estimators/vae.h
 * defaults (hidden 64-512-64, 5000 steps of 64); CI scale: 250 per
 * segment, two hidden layers of 4n, lr 0.01, batch 128.
 *
 * kivva-table2: Kivva et al. Table 2 (THEORY.md §7): VaDE with 5 restarts
 * on one 2-D data set; weak MCC (CCA) and strong MCC of each restart's
 * codes against the latents; paper: weak 0.99, strong 0.83-0.91. The data
 * is the `parallelograms` generator (J = 3 uniform parallelograms in 2-D,
 * embedded linearly in n = 2).
 *
 * Both: *out (new reference) = {"table", "scale", "seeds", "runs": [...],
 * "summary": {...}, "paper": {...}}; one progress line per fit. */
typedef struct {
    unsigned seeds; /* ivae-fig2: seeds; kivva-table2: restarts (default 5) */
    int paper_scale;
    size_t steps;   /* override (0: the scale's) */
    unsigned first; /* the first seed / restart (default 0) */
    idc_repro_trial_fn on_trial; /* NULL or called per seed with {"table": "ivae-fig2", "scale", "seed",
                                    "runs": [the seed's two runs]}, per restart with {"table":
                                    "kivva-table2", "scale", "restart", "strong_mcc", "weak_mcc"} */
    void *on_trial_ctx;
} idc_repro_opts;

int idc_repro_ivae_fig2(json_t **out, const idc_repro_opts *o, FILE *progress, idc_err *err)
    __attribute__((warn_unused_result));
int idc_repro_kivva_table2(json_t **out, const idc_repro_opts *o, FILE *progress, idc_err *err)
    __attribute__((warn_unused_result));

#endif
