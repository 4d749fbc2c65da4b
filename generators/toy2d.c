/* Generators "parallelograms" and "pinwheel": the 2-D toy data sets of
 * Kivva et al.'s VaDE experiments, embedded in R^n.
 *
 * parallelograms: J components, component j uniform on the parallelogram
 *   mu_j + L_j [-sqrt 3, sqrt 3]^2, declared as model.family "uniform" with
 *   factor L_j = scale R(phi_j) [[s1, t], [0, s2]] (phi_j ~ U(0, 2 pi),
 *   s1, s2 ~ U(0.5, 1.5), shear t ~ U(-1, 1); det L_j = scale^2 s1 s2 > 0)
 *   and centre mu_j ~ N(0, mean_scale^2 I_2), so mu_j and Sigma_j = L_j L_j^T
 *   are the uniform's mean and covariance. Weights 1/J (weights=equal) or
 *   w_j / sum w with w_j ~ U(0.5, 1.5) (weights=random). Embedding: one
 *   affine layer W z + b (generators/mixing.h, kind leaky with one layer,
 *   i.e. identity activation): W n x 2 with condition number `cond`,
 *   b ~ N(0, bias^2). Gaussian observation noise `noise`.
 *
 * pinwheel: K arms; arm k (weight 1/K, theta_k = 2 pi k / K) is the
 *   Gaussian N(R(theta_k) (1, 0), R(theta_k) diag(radial^2, tangential^2)
 *   R(theta_k)^T) (factor R(theta_k) diag(radial, tangential)), pushed
 *   through the pinwheel warp f(z) = E R(rate e^|z|) z of models/pamap.h
 *   with E = scale Q, Q an n x 2 matrix with orthonormal columns
 *   (Gram-Schmidt of a Gaussian matrix). The classic data (Johnson et al.)
 *   is radial 0.3, tangential 0.05, K 5, rate 0.25, scale 10, n 2.
 *
 * Streams: (seed, part 0) the latent, (seed, part 1) the embedding. */
#include <math.h>
#include <string.h>

#include "generators/gen_impl.h"

#define PARALLELOGRAMS_VERSION "2" /* 2: BLAS-free QR (numeric/dmat.h) */
#define PINWHEEL_VERSION "1"

/* R(phi) A for a 2x2 row-major A, into out. */
static void rotate2(double *out, double phi, const double *A)
{
    double c = cos(phi), s = sin(phi);
    double a00 = A[0], a01 = A[1], a10 = A[2], a11 = A[3];
    out[0] = c * a00 - s * a10;
    out[1] = c * a01 - s * a11;
    out[2] = s * a00 + c * a10;
    out[3] = s * a01 + c * a11;
}

/* ---- parallelograms -------------------------------------------------------- */

static const idc_gen_param para_params[] = {
    {"J", IDC_GEN_INT, "5", 1, IDC_MAX_COMPONENTS, NULL, "parallelograms (mixture components)"},
    {"n", IDC_GEN_INT, "2", 2, IDC_MAX_DIM, NULL, "observed dimension (>= 2)"},
    {"weights", IDC_GEN_CHOICE, "equal", 0, 0, "equal|random",
     "equal weights or w_j ~ U(0.5, 1.5) normalised"},
    {"mean_scale", IDC_GEN_REAL, "3", 0, 1e6, NULL, "std of the parallelogram centres"},
    {"scale", IDC_GEN_REAL, "1", 1e-6, 1e6, NULL, "scale of the parallelogram factors"},
    {"cond", IDC_GEN_REAL, "2", 1, 1e6, NULL, "condition number of the embedding W (n x 2)"},
    {"bias", IDC_GEN_REAL, "0", 0, 1e3, NULL, "std of the embedding's offset b"},
    IDC_GEN_PARAMS_TAIL,
};

static idc_mix_params para_mix(const idc_gen_values *v)
{
    idc_mix_params p = {.kind = IDC_MIX_LEAKY,
                        .m = 2,
                        .n = idc_gen_getz(v, "n"),
                        .layers = 1,
                        .slope = 1.0,
                        .cond = idc_gen_get(v, "cond"),
                        .bias = idc_gen_get(v, "bias")};
    return p;
}

static int para_generate(idc_instance *out, const idc_gen_values *v, uint64_t seed, idc_err *err)
{
    idc_instance_init(out);
    size_t J = idc_gen_getz(v, "J");
    int random_w = (int)idc_gen_get(v, "weights") == 1;
    double ms = idc_gen_get(v, "mean_scale"), sc = idc_gen_get(v, "scale");
    idc_gdraw d = idc_gdraw_make(seed, 0), dmap = idc_gdraw_make(seed, 1);
    idc_pdgmm *g = &out->prior;
    int rc = idc_pdgmm_alloc(g, 2, J, err);
    if (rc != IDC_OK)
        return rc;
    g->family = IDC_FAMILY_UNIFORM;
    double wsum = 0.0;
    for (size_t j = 0; j < J && rc == IDC_OK; j++) {
        rc = idc_gen_comp_factor(g, j, 2, err);
        if (rc != IDC_OK)
            break;
        idc_component *c = &g->comp[j];
        c->mean[0] = ms * idc_gd_normal(&d);
        c->mean[1] = ms * idc_gd_normal(&d);
        double phi = 2.0 * M_PI * idc_gd_uniform(&d);
        double s1 = 0.5 + idc_gd_uniform(&d), s2 = 0.5 + idc_gd_uniform(&d);
        double t = 2.0 * idc_gd_uniform(&d) - 1.0;
        double A[4] = {sc * s1, sc * t, 0.0, sc * s2};
        rotate2(c->L, phi, A);
        c->weight = random_w ? 0.5 + idc_gd_uniform(&d) : 1.0;
        wsum += c->weight;
    }
    for (size_t j = 0; j < J && rc == IDC_OK; j++)
        g->comp[j].weight = random_w ? g->comp[j].weight / wsum : 1.0 / (double)J;
    if (rc == IDC_OK) {
        idc_mix_params mp = para_mix(v);
        rc = idc_gen_mix(&out->map, &mp, dmap.s, &dmap.k, err);
    }
    if (rc == IDC_OK)
        idc_gen_apply_tail(out, v);
    if (rc != IDC_OK)
        idc_instance_clear(out);
    return rc;
}

static int para_intent(idc_gen_intent *out, size_t *n, const idc_gen_values *v, idc_err *err)
{
    (void)err;
    /* The latent is a mixture of uniforms: the Gaussian-mixture
     * preconditions are not claimed (the checkers answer UNKNOWN by family). */
    idc_gen_intent_add(out, n, "DIMU1", IDC_HOLDS, 0);
    idc_mix_params mp = para_mix(v);
    idc_gen_intent_mix(out, n, &mp);
    return IDC_OK;
}

const idc_gen_info idc_gen_info_parallelograms = {
    "parallelograms",
    PARALLELOGRAMS_VERSION,
    "Kivva's VaDE toy data: J uniform random parallelograms in 2-D (family uniform), embedded in R^n by a "
    "random full-column-rank affine map",
    para_params,
    sizeof para_params / sizeof para_params[0],
    "DIMU1, DIM, F1, FC, F4, F3, F2 hold (one affine layer of full column rank); the prior preconditions "
    "(P1, PD, A3.x, ...) are about Gaussian mixtures and answer UNKNOWN for the uniform family (not claimed)",
    para_generate,
    para_intent,
    NULL,
};

/* ---- pinwheel ---------------------------------------------------------------- */

static const idc_gen_param pin_params[] = {
    {"K", IDC_GEN_INT, "5", 1, IDC_MAX_COMPONENTS, NULL, "arms (mixture components)"},
    {"n", IDC_GEN_INT, "2", 2, IDC_MAX_DIM, NULL, "observed dimension (>= 2)"},
    {"radial", IDC_GEN_REAL, "0.3", 1e-6, 1e3, NULL, "radial std of every arm"},
    {"tangential", IDC_GEN_REAL, "0.05", 1e-6, 1e3, NULL, "tangential std of every arm"},
    {"rate", IDC_GEN_REAL, "0.25", -1e3, 1e3, NULL, "a point at radius r turns by rate * exp(r)"},
    {"scale", IDC_GEN_REAL, "1", 1e-6, 1e6, NULL, "scale of the embedding (classic data: 10)"},
    IDC_GEN_PARAMS_TAIL,
};

/* E = scale Q with Q n x 2 of orthonormal columns (Gram-Schmidt of a
 * Gaussian matrix, redrawn in the probability-zero case of dependence). */
static void pin_embed(double *E, size_t n, double scale, idc_gdraw *d)
{
    for (;;) {
        double n0 = 0.0, dot = 0.0, n1 = 0.0;
        for (size_t i = 0; i < n; i++) {
            E[2 * i] = idc_gd_normal(d);
            E[2 * i + 1] = idc_gd_normal(d);
            n0 += E[2 * i] * E[2 * i];
        }
        n0 = sqrt(n0);
        for (size_t i = 0; i < n; i++) {
            E[2 * i] /= n0;
            dot += E[2 * i] * E[2 * i + 1];
        }
        for (size_t i = 0; i < n; i++) {
            E[2 * i + 1] -= dot * E[2 * i];
            n1 += E[2 * i + 1] * E[2 * i + 1];
        }
        n1 = sqrt(n1);
        if (!(n0 > 1e-8) || !(n1 > 1e-8))
            continue;
        for (size_t i = 0; i < n; i++) {
            E[2 * i] *= scale;
            E[2 * i + 1] *= scale / n1;
        }
        return;
    }
}

static int pin_generate(idc_instance *out, const idc_gen_values *v, uint64_t seed, idc_err *err)
{
    idc_instance_init(out);
    size_t K = idc_gen_getz(v, "K"), n = idc_gen_getz(v, "n");
    double rad = idc_gen_get(v, "radial"), tan_ = idc_gen_get(v, "tangential");
    idc_gdraw demb = idc_gdraw_make(seed, 1);
    idc_pdgmm *g = &out->prior;
    int rc = idc_pdgmm_alloc(g, 2, K, err);
    for (size_t k = 0; k < K && rc == IDC_OK; k++) {
        rc = idc_gen_comp_factor(g, k, 2, err);
        if (rc != IDC_OK)
            break;
        idc_component *c = &g->comp[k];
        double th = 2.0 * M_PI * (double)k / (double)K;
        double A[4] = {rad, 0.0, 0.0, tan_}, e1[4] = {1.0, 0.0, 0.0, 0.0}, m[4];
        rotate2(c->L, th, A);
        rotate2(m, th, e1);
        c->mean[0] = m[0];
        c->mean[1] = m[2];
        c->weight = 1.0 / (double)K;
    }
    if (rc == IDC_OK)
        rc = idc_pamap_alloc_pinwheel(&out->map, n, err);
    if (rc == IDC_OK) {
        out->map.rate = idc_gen_get(v, "rate");
        pin_embed(out->map.embed, n, idc_gen_get(v, "scale"), &demb);
        idc_gen_apply_tail(out, v);
    }
    if (rc != IDC_OK)
        idc_instance_clear(out);
    return rc;
}

static int pin_intent(idc_gen_intent *out, size_t *n, const idc_gen_values *v, idc_err *err)
{
    (void)v;
    (void)err;
    /* Non-degenerate Gaussian arms with pairwise distinct means: P1, P1nd,
     * PD, DIMU1, A3.4, A3.6, A3.8a hold, A3.8b fails (m = 2). The warp is
     * not piecewise affine: F1, FC, F2, F3, F4 are not claimed (UNKNOWN).
     * DIM (m = 2 <= n) holds. */
    idc_gen_intent_nondegenerate(out, n, 2);
    idc_gen_intent_add(out, n, "DIM", IDC_HOLDS, 0);
    return IDC_OK;
}

const idc_gen_info idc_gen_info_pinwheel = {
    "pinwheel",
    PINWHEEL_VERSION,
    "the pinwheel toy data: K Gaussian arms curled by the warp z -> E R(rate e^|z|) z (not piecewise affine) "
    "into R^n",
    pin_params,
    sizeof pin_params / sizeof pin_params[0],
    "P1, P1nd, PD, DIMU1, A3.4, A3.6, A3.8a hold, A3.8b fails (m = 2); the warp is not piecewise "
    "affine, so F1, FC, F2, F3, F4 are not claimed (the map checkers answer UNKNOWN); DIM holds (n >= 2) but "
    "is not claimed while the certificate verifier rejects non-PA maps",
    pin_generate,
    pin_intent,
    NULL,
};
