/* Generator "violate": one family per decidable precondition of THEORY.md §3,
 * each a model on which exactly that precondition FAILS by construction
 * (plus what it logically drags along, listed in the intent), declared
 * exactly (small integers, powers of two, declared frames, exact copies).
 *
 *   pre=P1     non-degenerate diagonal mixture with component J-1 an exact
 *              copy of component 0 (not reduced form: P1, PD, P1nd fail).
 *   pre=P1nd   frame form on a random basis: component 0 supported on the
 *              first m-1 basis vectors, the others full (P1, PD, A3.6 hold).
 *   pre=P2     diagonal L_j = 2^{j mod 4} D: every pair has all variance
 *              ratios equal (m >= 2).
 *   pre=A3.4   m = 2: two rank-1 components on the lines p + span u and
 *              p + span v (u, v independent small integer vectors, declared as
 *              a frame with basis [u v] and translation p), means p + a u,
 *              p + b v with a = alpha q, b = +-beta q, factors alpha u, beta v:
 *              at the only common point p both Mahalanobis distances are q^2
 *              (X Example E.2's algebraic set).
 *   pre=A3.6   m = 2, X-E.3: three rank-1 components on the lines through 0
 *              along v1, v2, v1 + v2 (small integers), means c_k v_k with
 *              |c_k| = 1, 2, 3 times a common integer (so A3.4 holds at 0).
 *   pre=A3.8a  m = 3, identity frame with a nonzero translation, J = 3
 *              components on the singletons {0}, {1}, {2} (A3.8b holds).
 *   pre=A3.8b  m = 4, identity frame, translation 0, components on the blocks
 *              {0,1} and {2,3} (A3.8a holds).
 *   pre=F4     leaky-ReLU map whose W_1 has two equal columns (m >= 2).
 *   pre=F2     m = 1, the net of K Ex. H.10 (= |x|/2): F4, F3, F2 fail.
 *   pre=DIM    m = 3 latents into n = 2 observations (F4 fails with it).
 *   pre=FC     m = 1, a two-piece table with a jump at 0.
 * Priors not named above are non-degenerate diagonal mixtures with random
 * means; maps not named above are injective leaky-ReLU MLPs (mixing.h). The
 * parameters m and J are used where the family leaves them free. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "generators/gen_impl.h"

#define VIOLATE_VERSION "2" /* 2: BLAS-free QR (numeric/dmat.h) */
#define VIOLATE_CHOICES "P1|P1nd|P2|A3.4|A3.6|A3.8a|A3.8b|F4|F2|DIM|FC"

enum { V_P1, V_P1ND, V_P2, V_A34, V_A36, V_A38A, V_A38B, V_F4, V_F2, V_DIM, V_FC };

static const idc_gen_param violate_params[] = {
    {"pre", IDC_GEN_CHOICE, "P1", 0, 0, VIOLATE_CHOICES, "the precondition made to fail"},
    {"m", IDC_GEN_INT, "3", 1, 64, NULL, "latent dimension where the family leaves it free"},
    {"J", IDC_GEN_INT, "3", 2, 64, NULL, "components where the family leaves it free"},
    {"noise", IDC_GEN_REAL, "0", 0, 1e6, NULL, "observation noise sigma"},
    {"samples", IDC_GEN_INT, "10000", 1, 1073741824.0, NULL, "default sample count of the instance"},
};

typedef struct {
    int pre;
    size_t m, J;
} vshape;

static int vshape_get(vshape *s, const idc_gen_values *v, idc_err *err)
{
    s->pre = (int)idc_gen_get(v, "pre");
    s->m = idc_gen_getz(v, "m");
    s->J = idc_gen_getz(v, "J");
    switch (s->pre) {
    case V_A34: s->m = 2, s->J = 2; break;
    case V_A36: s->m = 2, s->J = 3; break;
    case V_A38A: s->m = 3, s->J = 3; break;
    case V_A38B: s->m = 4, s->J = 2; break;
    case V_F2:
    case V_FC: s->m = 1; break;
    case V_DIM: s->m = 3; break;
    default: break;
    }
    if ((s->pre == V_P1ND || s->pre == V_P2 || s->pre == V_F4) && s->m < 2)
        return idc_err_set(err, IDC_EINVAL, "--m: pre=%s needs m >= 2", s->pre == V_P1ND ? "P1nd"
                                                                         : s->pre == V_P2 ? "P2"
                                                                                          : "F4");
    return IDC_OK;
}

/* A random small nonzero integer in +-{1..k}. */
static double small_int(idc_gdraw *d, size_t k)
{
    double x = (double)(1 + idc_gd_below(d, k));
    return idc_gd_below(d, 2) ? -x : x;
}

/* Non-degenerate diagonal mixture (FACTOR form); scale2: L_j = 2^{j mod 4} D. */
static int diag_prior(idc_pdgmm *g, size_t m, size_t J, int pow2, idc_gdraw *d, idc_err *err)
{
    int rc = idc_pdgmm_alloc(g, m, J, err);
    double D[64];
    for (size_t t = 0; t < m; t++)
        D[t] = 0.5 + 2.5 * idc_gd_uniform(d);
    for (size_t j = 0; j < J && rc == IDC_OK; j++) {
        rc = idc_gen_comp_factor(g, j, m, err);
        if (rc != IDC_OK)
            break;
        idc_component *c = &g->comp[j];
        c->weight = 1.0 / (double)J;
        for (size_t t = 0; t < m; t++) {
            c->mean[t] = 2.0 * idc_gd_normal(d);
            c->L[t * m + t] = pow2 ? ldexp(D[t], (int)(j % 4)) : 0.5 + 2.5 * idc_gd_uniform(d);
        }
    }
    return rc;
}

static int injective_map(idc_pamap *f, size_t m, uint64_t seed, idc_err *err)
{
    idc_gdraw dm = idc_gdraw_make(seed, 2);
    idc_mix_params mp = {IDC_MIX_LEAKY, m, m, 2, 0.2, 2.0, 0.0};
    return idc_gen_mix(f, &mp, dm.s, &dm.k, err);
}

/* A3.4 / A3.6 / A3.8 / P1nd priors with declared structure. */
static int structured_prior(idc_pdgmm *g, const vshape *s, idc_gdraw *d, idc_err *err)
{
    size_t m = s->m;
    int rc = idc_pdgmm_alloc(g, m, s->J, err);
    if (rc == IDC_OK && s->pre != V_A36)
        rc = idc_gen_frame_identity(g, err);
    if (rc != IDC_OK)
        return rc;
    if (s->pre == V_P1ND) {
        for (size_t i = 0; i < m * m; i++)
            g->frame_basis[i] = idc_gd_normal(d);
        for (size_t j = 0; j < s->J && rc == IDC_OK; j++) {
            size_t r = j == 0 ? m - 1 : m;
            rc = idc_gen_comp_frame(g, j, r, err);
            if (rc != IDC_OK)
                break;
            idc_component *c = &g->comp[j];
            c->weight = 1.0 / (double)s->J;
            for (size_t a = 0; a < r; a++) {
                c->support[a] = a;
                c->frame_mean[a] = 2.0 * idc_gd_normal(d);
                c->frame_L[a * r + a] = 0.5 + fabs(idc_gd_normal(d)); /* lower triangular, nonsingular */
                for (size_t bcol = 0; bcol < a; bcol++)
                    c->frame_L[a * r + bcol] = 0.5 * idc_gd_normal(d);
            }
        }
    } else if (s->pre == V_A34) {
        /* basis [u v] with det != 0, translation p: small integers */
        double u0, u1, v0, v1;
        do {
            u0 = small_int(d, 3), u1 = small_int(d, 3), v0 = small_int(d, 3), v1 = small_int(d, 3);
        } while (u0 * v1 - u1 * v0 == 0.0);
        g->frame_basis[0] = u0, g->frame_basis[1] = v0, g->frame_basis[2] = u1, g->frame_basis[3] = v1;
        g->frame_translation[0] = small_int(d, 4);
        g->frame_translation[1] = small_int(d, 4);
        double q = small_int(d, 3), al = small_int(d, 3), be = small_int(d, 3);
        double sgn = idc_gd_below(d, 2) ? -1.0 : 1.0;
        for (size_t j = 0; j < 2 && rc == IDC_OK; j++) {
            rc = idc_gen_comp_frame(g, j, 1, err);
            if (rc != IDC_OK)
                break;
            idc_component *c = &g->comp[j];
            c->weight = 0.5;
            c->support[0] = j;
            c->frame_L[0] = j == 0 ? al : be;
            c->frame_mean[0] = j == 0 ? al * q : sgn * be * q;
        }
    } else if (s->pre == V_A36) {
        double a0, a1, b0, b1;
        do {
            a0 = small_int(d, 3), a1 = small_int(d, 3), b0 = small_int(d, 3), b1 = small_int(d, 3);
        } while (a0 * b1 - a1 * b0 == 0.0 || a0 + b0 == 0.0 || a1 + b1 == 0.0);
        double dir[3][2] = {{a0, a1}, {b0, b1}, {a0 + b0, a1 + b1}};
        double sc = (double)(1 + idc_gd_below(d, 3));
        for (size_t j = 0; j < 3 && rc == IDC_OK; j++) {
            rc = idc_gen_comp_factor(g, j, 1, err);
            if (rc != IDC_OK)
                break;
            idc_component *c = &g->comp[j];
            c->weight = j == 2 ? 0.25 : 0.375;
            double ck = sc * (double)(j + 1) * (idc_gd_below(d, 2) ? -1.0 : 1.0);
            for (size_t t = 0; t < 2; t++) {
                c->L[t] = dir[j][t];
                c->mean[t] = ck * dir[j][t];
            }
        }
    } else { /* A3.8a: singletons, translation != 0; A3.8b: blocks {0,1}, {2,3} */
        for (size_t i = 0; i < m && s->pre == V_A38A; i++)
            g->frame_translation[i] = small_int(d, 3) * 0.5;
        for (size_t j = 0; j < s->J && rc == IDC_OK; j++) {
            size_t r = s->pre == V_A38A ? 1 : 2;
            rc = idc_gen_comp_frame(g, j, r, err);
            if (rc != IDC_OK)
                break;
            idc_component *c = &g->comp[j];
            c->weight = 1.0 / (double)s->J;
            for (size_t a = 0; a < r; a++) {
                c->support[a] = j * r + a;
                c->frame_mean[a] = 2.0 * idc_gd_normal(d);
                c->frame_L[a * r + a] = 0.5 + fabs(idc_gd_normal(d));
                for (size_t bcol = 0; bcol < a; bcol++)
                    c->frame_L[a * r + bcol] = 0.5 * idc_gd_normal(d);
            }
        }
    }
    if (rc == IDC_OK)
        idc_pdgmm_update_frame_floats(g);
    return rc;
}

static int violate_generate(idc_instance *out, const idc_gen_values *v, uint64_t seed, idc_err *err)
{
    idc_instance_init(out);
    vshape s;
    int rc = vshape_get(&s, v, err);
    if (rc != IDC_OK)
        return rc;
    idc_gdraw d = idc_gdraw_make(seed, 0);
    size_t m = s.m;
    switch (s.pre) {
    case V_P1:
        rc = diag_prior(&out->prior, m, s.J, 0, &d, err);
        if (rc == IDC_OK) {
            idc_component *a = &out->prior.comp[0], *b = &out->prior.comp[s.J - 1];
            memcpy(b->mean, a->mean, m * sizeof(double));
            memcpy(b->L, a->L, m * m * sizeof(double));
        }
        break;
    case V_P2: rc = diag_prior(&out->prior, m, s.J, 1, &d, err); break;
    case V_P1ND:
    case V_A34:
    case V_A36:
    case V_A38A:
    case V_A38B: rc = structured_prior(&out->prior, &s, &d, err); break;
    default: rc = diag_prior(&out->prior, m, s.J, 0, &d, err); break;
    }
    if (rc != IDC_OK)
        goto done;
    idc_pamap *f = &out->map;
    if (s.pre == V_F2) {
        size_t w[4] = {1, 2, 2, 1};
        rc = idc_pamap_alloc_mlp(f, 3, w, err);
        if (rc == IDC_OK) {
            f->layers[0].W[0] = 1.0, f->layers[0].W[1] = -1.0;
            double h2[4] = {1, -1, 1, 1};
            memcpy(f->layers[1].W, h2, sizeof h2);
            f->layers[2].W[0] = 0.0, f->layers[2].W[1] = 1.0;
            for (size_t i = 0; i < 2; i++) {
                f->layers[i].act = IDC_ACT_LEAKY;
                f->layers[i].slope = 0.5;
            }
        }
    } else if (s.pre == V_FC) {
        rc = idc_pamap_alloc_pwl1(f, 2, err);
        if (rc == IDC_OK) {
            f->breaks[0] = 0.0;
            f->slopes[0] = 0.5 + idc_gd_uniform(&d);
            f->slopes[1] = 0.5 + idc_gd_uniform(&d);
            f->intercepts[0] = 0.0;
            f->intercepts[1] = small_int(&d, 4) * 0.25;
        }
    } else if (s.pre == V_DIM) {
        size_t w[3] = {3, 2, 2};
        rc = idc_pamap_alloc_mlp(f, 2, w, err);
        idc_gdraw dm = idc_gdraw_make(seed, 2);
        for (size_t l = 0; l < 2 && rc == IDC_OK; l++) {
            idc_layer *L = &f->layers[l];
            for (size_t i = 0; i < L->in * L->out; i++)
                L->W[i] = idc_gd_normal(&dm);
        }
        if (rc == IDC_OK) {
            f->layers[0].act = IDC_ACT_LEAKY;
            f->layers[0].slope = 0.2;
        }
    } else {
        rc = injective_map(f, m, seed, err);
        if (rc == IDC_OK && s.pre == V_F4) {
            idc_layer *L = &f->layers[0];
            for (size_t i = 0; i < L->out; i++)
                L->W[i * L->in + (L->in - 1)] = L->W[i * L->in];
        }
    }
    if (rc == IDC_OK) {
        out->noise_sigma = idc_gen_get(v, "noise");
        out->nsamples = idc_gen_getz(v, "samples");
        out->aux = IDC_AUX_NONE;
    }
done:
    if (rc != IDC_OK)
        idc_instance_clear(out);
    return rc;
}

static int violate_intent(idc_gen_intent *out, size_t *n, const idc_gen_values *v, idc_err *err)
{
    vshape s;
    int rc = vshape_get(&s, v, err);
    if (rc != IDC_OK)
        return rc;
    idc_verdict H = IDC_HOLDS, F = IDC_FAILS;
    idc_gen_intent_add(out, n, "DIMU1", H, 0);
    switch (s.pre) {
    case V_P1:
        idc_gen_intent_add(out, n, "P1", F, 0);
        idc_gen_intent_add(out, n, "PD", F, 0);
        idc_gen_intent_add(out, n, "P1nd", F, 0);
        break;
    case V_P1ND:
        idc_gen_intent_add(out, n, "P1", H, 0);
        idc_gen_intent_add(out, n, "PD", H, 0);
        idc_gen_intent_add(out, n, "P1nd", F, 0);
        idc_gen_intent_add(out, n, "A3.6", H, 0);
        idc_gen_intent_add(out, n, "A3.4", H, 1);
        break;
    case V_P2:
        idc_gen_intent_nondegenerate(out, n, s.m);
        idc_gen_intent_add(out, n, "P2", F, 0);
        break;
    case V_A34:
        idc_gen_intent_add(out, n, "P1", H, 0);
        idc_gen_intent_add(out, n, "PD", H, 0);
        idc_gen_intent_add(out, n, "P1nd", F, 0);
        idc_gen_intent_add(out, n, "A3.6", H, 0);
        idc_gen_intent_add(out, n, "A3.4", F, 1);
        break;
    case V_A36:
        idc_gen_intent_add(out, n, "P1", H, 0);
        idc_gen_intent_add(out, n, "PD", H, 0);
        idc_gen_intent_add(out, n, "P1nd", F, 0);
        idc_gen_intent_add(out, n, "A3.6", F, 0);
        idc_gen_intent_add(out, n, "A3.4", H, 1);
        break;
    case V_A38A:
    case V_A38B:
        idc_gen_intent_add(out, n, "P1", H, 0);
        idc_gen_intent_add(out, n, "PD", H, 0);
        idc_gen_intent_add(out, n, "P1nd", F, 0);
        idc_gen_intent_add(out, n, "A3.6", H, 0);
        idc_gen_intent_add(out, n, "A3.4", H, 1);
        idc_gen_intent_add(out, n, "A3.8a", s.pre == V_A38A ? F : H, 0);
        idc_gen_intent_add(out, n, "A3.8b", s.pre == V_A38A ? H : F, 0);
        break;
    default: idc_gen_intent_nondegenerate(out, n, s.m); break;
    }
    idc_gen_intent_add(out, n, "F1", H, 0);
    switch (s.pre) {
    case V_F4:
        idc_gen_intent_add(out, n, "DIM", H, 0);
        idc_gen_intent_add(out, n, "FC", H, 0);
        idc_gen_intent_add(out, n, "F4", F, 0);
        idc_gen_intent_add(out, n, "F3", F, 1);
        idc_gen_intent_add(out, n, "F2", F, 1);
        break;
    case V_F2:
        idc_gen_intent_add(out, n, "DIM", H, 0);
        idc_gen_intent_add(out, n, "FC", H, 0);
        idc_gen_intent_add(out, n, "F4", F, 0);
        idc_gen_intent_add(out, n, "F3", F, 1);
        idc_gen_intent_add(out, n, "F2", F, 1);
        break;
    case V_DIM:
        idc_gen_intent_add(out, n, "DIM", F, 0);
        idc_gen_intent_add(out, n, "FC", H, 0);
        idc_gen_intent_add(out, n, "F4", F, 0);
        break;
    case V_FC:
        idc_gen_intent_add(out, n, "DIM", H, 0);
        idc_gen_intent_add(out, n, "FC", F, 0);
        break;
    default: {
        idc_mix_params mp = {IDC_MIX_LEAKY, s.m, s.m, 2, 0.2, 2.0, 0.0};
        idc_gen_intent_mix(out, n, &mp);
        break;
    }
    }
    return IDC_OK;
}

const idc_gen_info idc_gen_info_violate = {
    "violate",
    VIOLATE_VERSION,
    "one family per decidable precondition: a model on which exactly that precondition fails",
    violate_params,
    sizeof violate_params / sizeof violate_params[0],
    "pre=X makes X FAIL (P1 drags PD and P1nd along; A3.4, A3.6, A3.8a/b need degenerate components, "
    "so P1nd fails with them; F2 and DIM make F4 fail, F2 also F3); every other listed precondition "
    "HOLDS (see gen --list at each pre)",
    violate_generate,
    violate_intent,
    NULL,
};
