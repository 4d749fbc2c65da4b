/* Generators "kivva" (non-degenerate GMM latents of K, with P2 held or
 * broken on purpose) and "kivva-relu1d" (K App. J.3.1: 1-D GMMs on grids
 * through one-hidden-layer ReLU decoders).
 *
 * kivva: component covariances in FACTOR form, Sigma_j = L_j L_j^T over Q.
 *   cov=diag: L_j diagonal. p2=hold: L_1 = diag(2^{e_t}) (e_t in {-1,0,1})
 *     and L_0 = diag(w_t 2^{e_t}) with pairwise distinct w_t ~ U(0.5, 3),
 *     so the variance ratios of the pair (0, 1) are exactly w_t^2, pairwise
 *     distinct (P2 holds exactly, not just generically); the other
 *     components have L = diag(U(0.5, 3)).
 *     p2=fail_ratio: L_j = 2^{j mod 4} D for one common diagonal D, so every
 *     pair has all its ratios equal (a power of 4): P2 fails (m >= 2).
 *     p2=fail_offdiag: as hold, but L_0 is lower triangular with a nonzero
 *     (1,0) entry, so Sigma_0 has an exact off-diagonal nonzero (m >= 2).
 *   cov=full: every L_j lower triangular, diagonal 0.5 + |N(0,1)|, below
 *     N(0, 1/4) with L_j[1][0] != 0: P2 fails (m >= 2).
 *   Means N(0, mean_scale^2); weights equal.
 *
 * kivva-relu1d: J in {2, 3}; weights c_j / sum c, c_j uniform on 1..grid;
 *   distinct means on the grid of `grid` points in [-mean_range, mean_range];
 *   unit variances; f(z) = a1 ReLU(b1 z + c1) + a2 ReLU(b2 z + c2) with
 *   a, b, c uniform on the grid of `grid` points in [-1, 1] (zeros allowed,
 *   so f may be constant or non-injective: no F2/F3/F4 claim). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "generators/gen_impl.h"

#define KIVVA_VERSION "3" /* 2: mix=orth has a linear last layer; 3: BLAS-free QR (numeric/dmat.h) */
#define RELU1D_VERSION "1"

static const idc_gen_param kivva_params[] = {
    {"m", IDC_GEN_INT, "3", 1, 1024, NULL, "latent dimension"},
    {"J", IDC_GEN_INT, "3", 1, IDC_MAX_COMPONENTS, NULL, "number of components"},
    {"cov", IDC_GEN_CHOICE, "diag", 0, 0, "diag|full", "component covariances"},
    {"p2", IDC_GEN_CHOICE, "hold", 0, 0, "hold|fail_offdiag|fail_ratio", "P2 (cov=diag only)"},
    {"mean_scale", IDC_GEN_REAL, "2", 0, 1e6, NULL, "std of the component means"},
    IDC_GEN_PARAMS_MIX,
    IDC_GEN_PARAMS_TAIL,
};

typedef struct {
    size_t m, J;
    int full, p2; /* p2: 0 hold, 1 fail_offdiag, 2 fail_ratio */
    double mean_scale;
} kv_shape;

static int kv_shape_get(kv_shape *s, const idc_gen_values *v, idc_err *err)
{
    s->m = idc_gen_getz(v, "m");
    s->J = idc_gen_getz(v, "J");
    s->full = (int)idc_gen_get(v, "cov") == 1;
    s->p2 = (int)idc_gen_get(v, "p2");
    s->mean_scale = idc_gen_get(v, "mean_scale");
    if (s->full && s->p2 != 1)
        return idc_err_set(err, IDC_EINVAL, "--p2: cov=full makes P2 fail; use p2=fail_offdiag with it");
    if ((s->full || s->p2 != 0) && s->m < 2)
        return idc_err_set(err, IDC_EINVAL, "--p2: breaking P2 needs m >= 2 (m = %zu)", s->m);
    if (!s->full && s->p2 != 1 && s->J < 2)
        return idc_err_set(err, IDC_EINVAL, "--J: P2 speaks about pairs of components, J >= 2 (J = %zu)", s->J);
    return IDC_OK;
}

static double u_range(idc_gdraw *d)
{
    return 0.5 + 2.5 * idc_gd_uniform(d);
}

static int kivva_generate(idc_instance *out, const idc_gen_values *v, uint64_t seed, idc_err *err)
{
    idc_instance_init(out);
    kv_shape s;
    int rc = kv_shape_get(&s, v, err);
    if (rc != IDC_OK)
        return rc;
    size_t m = s.m, J = s.J;
    idc_mix_params mp = idc_gen_mix_params(v, m);
    if (mp.n < m)
        return idc_err_set(err, IDC_EINVAL, "--n: %zu must be >= m = %zu (0 means m)", mp.n, m);
    idc_gdraw d = idc_gdraw_make(seed, 0), dmap = idc_gdraw_make(seed, 2);
    idc_pdgmm *g = &out->prior;
    rc = idc_pdgmm_alloc(g, m, J, err);
    double *w = idc_calloc(m, sizeof(double));
    int *e = idc_calloc(m, sizeof(int));
    if (rc == IDC_OK && (w == NULL || e == NULL))
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    /* the exact pair (0, 1) of p2=hold / fail_offdiag */
    for (size_t t = 0; rc == IDC_OK && t < m; t++) {
        e[t] = (int)idc_gd_below(&d, 3) - 1;
        int dup;
        do {
            w[t] = u_range(&d);
            dup = 0;
            for (size_t a = 0; a < t; a++)
                dup |= w[a] == w[t];
        } while (dup);
    }
    for (size_t j = 0; j < J && rc == IDC_OK; j++) {
        rc = idc_gen_comp_factor(g, j, m, err);
        if (rc != IDC_OK)
            break;
        idc_component *c = &g->comp[j];
        c->weight = 1.0 / (double)J;
        for (size_t t = 0; t < m; t++)
            c->mean[t] = s.mean_scale * idc_gd_normal(&d);
        if (s.full || (s.p2 == 1 && j == 0)) {
            for (size_t a = 0; a < m; a++) {
                c->L[a * m + a] = 0.5 + fabs(idc_gd_normal(&d));
                for (size_t bcol = 0; bcol < a; bcol++)
                    c->L[a * m + bcol] = 0.5 * idc_gd_normal(&d);
            }
            if (c->L[1 * m + 0] == 0.0)
                c->L[1 * m + 0] = 0.5;
        } else if (s.p2 == 2) {
            double sc = ldexp(1.0, (int)(j % 4));
            for (size_t t = 0; t < m; t++)
                c->L[t * m + t] = sc * w[t];
        } else if (j == 0) {
            for (size_t t = 0; t < m; t++)
                c->L[t * m + t] = ldexp(w[t], e[t]);
        } else if (j == 1) {
            for (size_t t = 0; t < m; t++)
                c->L[t * m + t] = ldexp(1.0, e[t]);
        } else {
            for (size_t t = 0; t < m; t++)
                c->L[t * m + t] = u_range(&d);
        }
    }
    free(w);
    free(e);
    if (rc == IDC_OK)
        rc = idc_gen_mix(&out->map, &mp, dmap.s, &dmap.k, err);
    if (rc == IDC_OK)
        idc_gen_apply_tail(out, v);
    else
        idc_instance_clear(out);
    return rc;
}

/* Intent shared by the non-degenerate generators (kivva, ivae, relu1d). */
static void nondegenerate_intent(idc_gen_intent *out, size_t *n, size_t m)
{
    idc_gen_intent_add(out, n, "P1", IDC_HOLDS, 0);
    idc_gen_intent_add(out, n, "P1nd", IDC_HOLDS, 0);
    idc_gen_intent_add(out, n, "PD", IDC_HOLDS, 0);
    idc_gen_intent_add(out, n, "DIMU1", IDC_HOLDS, 0);
    idc_gen_intent_add(out, n, "A3.4", IDC_HOLDS, 0);
    idc_gen_intent_add(out, n, "A3.6", IDC_HOLDS, 0);
    idc_gen_intent_add(out, n, "A3.8a", IDC_HOLDS, 0);
    idc_gen_intent_add(out, n, "A3.8b", m == 1 ? IDC_HOLDS : IDC_FAILS, 0);
}

void idc_gen_intent_nondegenerate(idc_gen_intent *out, size_t *n, size_t m)
{
    nondegenerate_intent(out, n, m);
}

static int kivva_intent(idc_gen_intent *out, size_t *n, const idc_gen_values *v, idc_err *err)
{
    kv_shape s;
    int rc = kv_shape_get(&s, v, err);
    if (rc != IDC_OK)
        return rc;
    nondegenerate_intent(out, n, s.m);
    idc_gen_intent_add(out, n, "P2", (!s.full && s.p2 == 0) ? IDC_HOLDS : IDC_FAILS, 0);
    idc_mix_params mp = idc_gen_mix_params(v, s.m);
    idc_gen_intent_mix(out, n, &mp);
    return IDC_OK;
}

const idc_gen_info idc_gen_info_kivva = {
    "kivva",
    KIVVA_VERSION,
    "K's setting: non-degenerate GMM (diagonal or full covariances), P2 held or broken on purpose",
    kivva_params,
    sizeof kivva_params / sizeof kivva_params[0],
    "P1, P1nd, PD, DIMU1, A3.4, A3.6, A3.8a hold; A3.8b fails for m >= 2; P2 holds exactly for "
    "cov=diag p2=hold and fails for p2=fail_offdiag, p2=fail_ratio, cov=full; DIM, F1, FC hold; "
    "F4/F3/F2 hold for mix=leaky and mix=orth",
    kivva_generate,
    kivva_intent,
    NULL,
};

/* ---- kivva-relu1d ---------------------------------------------------------- */

static const idc_gen_param relu1d_params[] = {
    {"J", IDC_GEN_INT, "2", 2, 3, NULL, "number of components"},
    {"grid", IDC_GEN_INT, "5", 3, 1025, NULL, "grid points per axis"},
    {"mean_range", IDC_GEN_REAL, "3", 1e-6, 1e3, NULL, "means on the grid of [-mean_range, mean_range]"},
    IDC_GEN_PARAMS_TAIL,
};

static double grid_point(idc_gdraw *d, size_t G, double lo, double hi)
{
    size_t i = idc_gd_below(d, G);
    return lo + (hi - lo) * (double)i / (double)(G - 1);
}

static int relu1d_generate(idc_instance *out, const idc_gen_values *v, uint64_t seed, idc_err *err)
{
    idc_instance_init(out);
    size_t J = idc_gen_getz(v, "J"), G = idc_gen_getz(v, "grid");
    double R = idc_gen_get(v, "mean_range");
    idc_gdraw d = idc_gdraw_make(seed, 0);
    idc_pdgmm *g = &out->prior;
    int rc = idc_pdgmm_alloc(g, 1, J, err);
    double cs[3], tot = 0.0;
    for (size_t j = 0; j < J && rc == IDC_OK; j++) {
        cs[j] = (double)(1 + idc_gd_below(&d, G));
        tot += cs[j];
    }
    for (size_t j = 0; j < J && rc == IDC_OK; j++) {
        rc = idc_gen_comp_factor(g, j, 1, err);
        if (rc != IDC_OK)
            break;
        idc_component *c = &g->comp[j];
        c->weight = cs[j] / tot;
        c->L[0] = 1.0;
        int dup;
        do {
            c->mean[0] = grid_point(&d, G, -R, R);
            dup = 0;
            for (size_t a = 0; a < j; a++)
                dup |= g->comp[a].mean[0] == c->mean[0];
        } while (dup);
    }
    size_t widths[3] = {1, 2, 1};
    if (rc == IDC_OK)
        rc = idc_pamap_alloc_mlp(&out->map, 2, widths, err);
    if (rc == IDC_OK) {
        idc_layer *h = &out->map.layers[0], *o = &out->map.layers[1];
        for (size_t i = 0; i < 2; i++) {
            o->W[i] = grid_point(&d, G, -1, 1);
            h->W[i] = grid_point(&d, G, -1, 1);
            h->b[i] = grid_point(&d, G, -1, 1);
        }
        h->act = IDC_ACT_RELU;
        h->slope = 0.0;
        idc_gen_apply_tail(out, v);
    } else {
        idc_instance_clear(out);
    }
    return rc;
}

static int relu1d_intent(idc_gen_intent *out, size_t *n, const idc_gen_values *v, idc_err *err)
{
    (void)v;
    (void)err;
    nondegenerate_intent(out, n, 1);
    /* m = 1: one ratio per pair, trivially pairwise distinct. */
    idc_gen_intent_add(out, n, "P2", IDC_HOLDS, 0);
    idc_gen_intent_add(out, n, "DIM", IDC_HOLDS, 0);
    idc_gen_intent_add(out, n, "F1", IDC_HOLDS, 0);
    idc_gen_intent_add(out, n, "FC", IDC_HOLDS, 0);
    return IDC_OK;
}

/* Draw-dependent claim on F4 for f(z) = a1 ReLU(b1 z + c1) + a2 ReLU(b2 z + c2),
 * decided by a second, independent route (the F4 checker analyses the
 * network's pieces): a continuous piecewise-linear map of the line is
 * injective iff it is strictly monotone, i.e. the slopes of all its linear
 * regions are nonzero with one sign. Neuron i (b_i != 0) breaks at
 * t_i = -c_i / b_i; left of every break the active neurons are those with
 * b_i < 0, right of every break those with b_i > 0, and between two
 * distinct breaks t_p < t_q: p if b_p > 0, q if b_q < 0. Claimed only when
 * grid - 1 is a power of two, so every product and sum below is exact in
 * doubles (dyadic grid values). */
static int relu1d_intent_instance(idc_gen_intent *out, size_t *n, const idc_gen_values *v,
                                  const idc_instance *inst, idc_err *err)
{
    (void)err;
    size_t G = idc_gen_getz(v, "grid");
    if (((G - 1) & (G - 2)) != 0 || inst->map.kind != IDC_MAP_MLP || inst->map.nlayers != 2)
        return IDC_OK;
    const idc_layer *h = &inst->map.layers[0], *o = &inst->map.layers[1];
    double a[2] = {o->W[0], o->W[1]}, b[2] = {h->W[0], h->W[1]}, c[2] = {h->b[0], h->b[1]};
    double slopes[3];
    size_t ns = 0;
    double left = 0, right = 0;
    for (int i = 0; i < 2; i++) {
        if (b[i] < 0)
            left += a[i] * b[i];
        if (b[i] > 0)
            right += a[i] * b[i];
    }
    slopes[ns++] = left;
    int breaks = (b[0] != 0) + (b[1] != 0);
    if (breaks > 0)
        slopes[ns++] = right;
    if (breaks == 2) {
        /* sign(t_0 - t_1) = sign(c_1 b_0 - c_0 b_1) sign(b_0 b_1) */
        double num = c[1] * b[0] - c[0] * b[1];
        int cmp = (num > 0) - (num < 0);
        if (b[0] * b[1] < 0)
            cmp = -cmp;
        if (cmp != 0) {
            int p = cmp < 0 ? 0 : 1, q = 1 - p; /* t_p < t_q */
            slopes[ns++] = (b[p] > 0 ? a[p] * b[p] : 0.0) + (b[q] < 0 ? a[q] * b[q] : 0.0);
        }
    }
    int pos = 1, neg = 1;
    for (size_t k = 0; k < ns; k++) {
        pos &= slopes[k] > 0;
        neg &= slopes[k] < 0;
    }
    idc_gen_intent_add(out, n, "F4", (pos || neg) ? IDC_HOLDS : IDC_FAILS, 0);
    return IDC_OK;
}

const idc_gen_info idc_gen_info_kivva_relu1d = {
    "kivva-relu1d",
    RELU1D_VERSION,
    "K App. J.3.1: 1-D GMM (J = 2, 3) on grids through f(z) = a1 ReLU(b1 z + c1) + a2 ReLU(b2 z + c2)",
    relu1d_params,
    sizeof relu1d_params / sizeof relu1d_params[0],
    "P1, P1nd, PD, P2, DIMU1, A3.4, A3.6, A3.8a, A3.8b, DIM, F1, FC hold; F4 varies with the draw and "
    "is claimed per draw (strict monotonicity, exact for dyadic grids: grid - 1 a power of two); "
    "no F2/F3 claim",
    relu1d_generate,
    relu1d_intent,
    relu1d_intent_instance,
};
