/* The kink search: hyperplanes across which the density of the data jumps.
 *
 * Why. For x = f(z), f = g^-1 a leaky-ReLU MLP with slope b, the density is
 * p_x(x) = p_Z(g(x)) |det Dg(x)|, and |det Dg(x)| carries a factor b for
 * every hidden pre-activation of g that is negative at x. The first layer of
 * g is affine in x, so each of its units splits the space by a whole
 * hyperplane {w.x = beta}, and across it p_x is multiplied by b (or 1/b):
 * the density jumps by the same factor along the entire hyperplane, while
 * p_Z(g(x)) is continuous. Projected on the unit's normal w, the data's 1-D
 * density therefore jumps by that factor at beta; on any other direction the
 * jump is smeared out. Deeper units are hyperplanes in the previous layer's
 * outputs, so the same search, run on s(A_1 x), finds the second layer.
 * The flow's cold start (models/estimators/flow.h) places its hidden layers
 * on the hyperplanes found here instead of on random ones; the search uses
 * the data only, never the true model.
 *
 * Statistic. For a direction d (unit norm, in whitened coordinates u) the
 * projections p_i = d.u_i are sorted; for an offset beta and a half-width h
 * let nLL, nL, nR, nRR count the p in [beta-2h, beta-h), [beta-h, beta),
 * [beta, beta+h), [beta+h, beta+2h). The difference of the inner counts
 * minus the mean of the outer differences,
 *   J = (nR - nL) - ((nRR - nR) + (nL - nLL)) / 2,
 * is 0 in expectation for a density linear across the window and h * jump
 * for a step; its z-score J / sqrt(2.25 (nL + nR) + 0.25 (nLL + nRR))
 * (Poisson variances) is maximised over beta on a grid of h/4, over
 * directions (a grid of angles when m = 2, Gaussian random directions
 * otherwise, on a subsample), and refined from the best candidates on all
 * rows: in rounds, along each tangent direction in turn, the best of 9
 * angles in [-a, a], a halved and h shrunk from h0 to h1 each round. The k
 * hyperplanes returned are the best refined ones, greedily, that are not
 * near-parallel (|cos| < 0.9) to one already taken and keep the set
 * linearly independent and have |z| >= 5; each is oriented so that the side with the lower
 * density is negative (the side the leaky unit multiplies by b < 1). That
 * sign is a guess where the density also changes fast across the
 * hyperplane: the flow's cold start re-chooses each side, and moves each
 * hyperplane, by likelihood (models/estimators/flow.c, place_kinks).
 *
 * Deterministic: a pure function of (rows, k, options); the only LAPACK call
 * is the m x m Cholesky factor of the whitening. */
#ifndef IDC_MODELS_KINKS_H
#define IDC_MODELS_KINKS_H

#include <stddef.h>
#include <stdint.h>

#include "numeric/status.h"

#define IDC_KINKS_MAX_DIM 32

typedef struct {
    size_t directions;   /* directions scanned (default: 180 when m = 2, else 400 m^2, at most 6000) */
    size_t subsample;    /* rows used by the scan (default 5000; all rows for the refinement) */
    size_t candidates;   /* refined candidates (0, the default: 3 k) */
    size_t refine_iters; /* refinement rounds x 10 (default 60: 6 rounds) */
    double h0, h1;       /* half-widths in whitened units: scan h0 (0.15), refined down to h1 (0.05) */
    uint64_t seed;
} idc_kinks_opts;

void idc_kinks_opts_default(idc_kinks_opts *o, size_t m);

typedef struct {
    double w[IDC_KINKS_MAX_DIM]; /* normal in the rows' own coordinates (not whitened) */
    double beta;                 /* hyperplane {x : w.x = beta}; w.x - beta < 0 on the lower-density side */
    double z;                    /* the jump's z-score at the refined half-width */
    double ratio;                /* nR / nL (>= 1 after orientation): the jump factor, about 1 / slope */
} idc_kink;

/* Finds k <= m hyperplanes in the n rows x (row-major, m columns). Returns
 * IDC_OK with *found <= k set (found < k when no further independent,
 * non-parallel candidate exists); IDC_EDOM when the rows' covariance is
 * singular; IDC_EINVAL on bad sizes. */
int idc_kinks_find(idc_kink *out, size_t *found, size_t k, const double *x, size_t n, size_t m,
                   const idc_kinks_opts *o, idc_err *err) __attribute__((warn_unused_result));

#endif
