/* Generator "cx": the counterexamples of THEORY.md §5 as instances, with the
 * same data as the exact witnesses of theory/counterexample.c. Fixed models:
 * the seed is recorded but draws nothing. `side` picks which of the two
 * models of an equal-law pair is written.
 *   id=K-R3.12  m = 1, (1/3 each) N(-2, s^2), N(-1, s^2), N(3, s^2) (side 0)
 *               or N(-2, s^2), N(1, s^2), N(3, s^2) (side 1); f = |x| as the
 *               ReLU net relu(x) + relu(-x).
 *   id=K-D.2    m = 1, 1/2 N(-2, 1) + 1/2 N(2, 1); f (side 0) or g (side 1)
 *               as piece tables (F4 fails, F2 holds).
 *   id=K-H.10   m = 1, the leaky net (slope 1/2) equal to |x|/2.
 *   id=X-E.3    m = 2, rank-1 components on the lines along (1,0), (0,1),
 *               (1,1) with means 1 (1,0), 2 (0,1), 3 (1,1): A3.6 fails,
 *               A3.4 holds (distances 1, 4, 9 at 0).
 *   id=X-E.2    m = 2, rank-1 components on the lines (1,1) + span e1 and
 *               (1,1) + span e2, declared in the identity frame translated
 *               to (1,1), means (1,1) + e1 and (1,1) + 2 e2, factors e1 and
 *               2 e2: at the common point (1,1) both distances are 1
 *               (A3.4 fails). */
#include <string.h>

#include "generators/gen_impl.h"

#define CX_VERSION "2" /* 2: BLAS-free QR (numeric/dmat.h) */
#define CX_CHOICES "K-R3.12|K-D.2|K-H.10|X-E.3|X-E.2"

enum { CX_R312, CX_D2, CX_H10, CX_E3, CX_E2 };

static const idc_gen_param cx_params[] = {
    {"id", IDC_GEN_CHOICE, "K-R3.12", 0, 0, CX_CHOICES, "counterexample (THEORY.md Sec. 5)"},
    {"side", IDC_GEN_INT, "0", 0, 1, NULL, "which model of the equal-law pair (K-R3.12, K-D.2)"},
    {"s", IDC_GEN_REAL, "1", 1e-6, 1e6, NULL, "K-R3.12: common standard deviation"},
    {"samples", IDC_GEN_INT, "10000", 1, 1073741824.0, NULL, "default sample count of the instance"},
};

static int comp1(idc_pdgmm *g, size_t j, double w, const double *mean, const double *L, idc_err *err)
{
    int rc = idc_gen_comp_factor(g, j, 1, err);
    if (rc != IDC_OK)
        return rc;
    g->comp[j].weight = w;
    memcpy(g->comp[j].mean, mean, g->dim * sizeof(double));
    memcpy(g->comp[j].L, L, g->dim * sizeof(double));
    return IDC_OK;
}

static int cx_generate(idc_instance *out, const idc_gen_values *v, uint64_t seed, idc_err *err)
{
    (void)seed;
    idc_instance_init(out);
    int id = (int)idc_gen_get(v, "id"), side = (int)idc_gen_get(v, "side");
    double s = idc_gen_get(v, "s");
    idc_pdgmm *g = &out->prior;
    idc_pamap *f = &out->map;
    int rc = IDC_OK;
    if (id == CX_R312) {
        double mu[3] = {-2, side ? 1 : -1, 3};
        rc = idc_pdgmm_alloc(g, 1, 3, err);
        for (size_t j = 0; j < 3 && rc == IDC_OK; j++)
            rc = comp1(g, j, 1.0 / 3.0, &mu[j], &s, err);
        size_t w[3] = {1, 2, 1};
        if (rc == IDC_OK)
            rc = idc_pamap_alloc_mlp(f, 2, w, err);
        if (rc == IDC_OK) {
            f->layers[0].W[0] = 1, f->layers[0].W[1] = -1;
            f->layers[0].act = IDC_ACT_RELU;
            f->layers[0].slope = 0;
            f->layers[1].W[0] = 1, f->layers[1].W[1] = 1;
        }
    } else if (id == CX_D2 || id == CX_H10) {
        double mu[2] = {-2, 2}, one = 1;
        rc = idc_pdgmm_alloc(g, 1, 2, err);
        for (size_t j = 0; j < 2 && rc == IDC_OK; j++)
            rc = comp1(g, j, 0.5, &mu[j], &one, err);
        if (rc == IDC_OK && id == CX_D2 && side == 0) {
            static const double br[3] = {-4, -2, 2}, sl[4] = {0.2, 1, -1, 1}, ic[4] = {0.8, 4, 0, -4};
            rc = idc_pamap_alloc_pwl1(f, 4, err);
            if (rc == IDC_OK) {
                memcpy(f->breaks, br, sizeof br);
                memcpy(f->slopes, sl, sizeof sl);
                memcpy(f->intercepts, ic, sizeof ic);
            }
        } else if (rc == IDC_OK && id == CX_D2) {
            static const double br[4] = {-4, -2, 2, 4}, sl[5] = {0.2, -1, 1, -1, 1}, ic[5] = {0.8, -4, 0, 4, -4};
            rc = idc_pamap_alloc_pwl1(f, 5, err);
            if (rc == IDC_OK) {
                memcpy(f->breaks, br, sizeof br);
                memcpy(f->slopes, sl, sizeof sl);
                memcpy(f->intercepts, ic, sizeof ic);
            }
        } else if (rc == IDC_OK) {
            size_t w[4] = {1, 2, 2, 1};
            rc = idc_pamap_alloc_mlp(f, 3, w, err);
            if (rc == IDC_OK) {
                static const double h2[4] = {1, -1, 1, 1};
                f->layers[0].W[0] = 1, f->layers[0].W[1] = -1;
                memcpy(f->layers[1].W, h2, sizeof h2);
                f->layers[2].W[0] = 0, f->layers[2].W[1] = 1;
                for (size_t i = 0; i < 2; i++) {
                    f->layers[i].act = IDC_ACT_LEAKY;
                    f->layers[i].slope = 0.5;
                }
            }
        }
    } else if (id == CX_E3) {
        static const double dir[3][2] = {{1, 0}, {0, 1}, {1, 1}};
        static const double wt[3] = {0.25, 0.25, 0.5};
        rc = idc_pdgmm_alloc(g, 2, 3, err);
        for (size_t j = 0; j < 3 && rc == IDC_OK; j++) {
            double mu[2] = {(double)(j + 1) * dir[j][0], (double)(j + 1) * dir[j][1]};
            rc = comp1(g, j, wt[j], mu, dir[j], err);
        }
    } else {
        rc = idc_pdgmm_alloc(g, 2, 2, err);
        if (rc == IDC_OK)
            rc = idc_gen_frame_identity(g, err);
        for (size_t j = 0; j < 2 && rc == IDC_OK; j++) {
            rc = idc_gen_comp_frame(g, j, 1, err);
            if (rc != IDC_OK)
                break;
            idc_component *c = &g->comp[j];
            c->weight = 0.5;
            c->support[0] = j;
            c->frame_mean[0] = (double)(j + 1);
            c->frame_L[0] = (double)(j + 1);
        }
        if (rc == IDC_OK) {
            g->frame_translation[0] = 1, g->frame_translation[1] = 1;
            idc_pdgmm_update_frame_floats(g);
        }
    }
    if (rc == IDC_OK && (id == CX_E3 || id == CX_E2)) {
        idc_gdraw d = idc_gdraw_make(0, 2); /* a fixed injective map: the seed draws nothing */
        idc_mix_params mp = {IDC_MIX_LEAKY, 2, 2, 2, 0.5, 2.0, 0.0};
        rc = idc_gen_mix(f, &mp, d.s, &d.k, err);
    }
    if (rc == IDC_OK) {
        out->noise_sigma = 0.0;
        out->nsamples = idc_gen_getz(v, "samples");
    } else {
        idc_instance_clear(out);
    }
    return rc;
}

static int cx_intent(idc_gen_intent *out, size_t *n, const idc_gen_values *v, idc_err *err)
{
    (void)err;
    int id = (int)idc_gen_get(v, "id");
    idc_verdict H = IDC_HOLDS, F = IDC_FAILS;
    idc_gen_intent_add(out, n, "DIMU1", H, 0);
    idc_gen_intent_add(out, n, "DIM", H, 0);
    idc_gen_intent_add(out, n, "F1", H, 0);
    idc_gen_intent_add(out, n, "FC", H, 0);
    if (id == CX_E3 || id == CX_E2) {
        idc_gen_intent_add(out, n, "P1", H, 0);
        idc_gen_intent_add(out, n, "PD", H, 0);
        idc_gen_intent_add(out, n, "P1nd", F, 0);
        idc_gen_intent_add(out, n, "A3.6", id == CX_E3 ? F : H, 0);
        idc_gen_intent_add(out, n, "A3.4", id == CX_E3 ? H : F, 1);
        idc_gen_intent_add(out, n, "F4", H, 0);
        return IDC_OK;
    }
    idc_gen_intent_nondegenerate(out, n, 1);
    idc_gen_intent_add(out, n, "P2", H, 0);
    idc_gen_intent_add(out, n, "F4", F, 0);
    idc_gen_intent_add(out, n, "F3", F, 1); /* K-D.2: f(1) = f(5), a whole interval has 2 preimages */
    idc_gen_intent_add(out, n, "F2", id == CX_D2 ? H : F, 1);
    return IDC_OK;
}

const idc_gen_info idc_gen_info_cx = {
    "cx",
    CX_VERSION,
    "the counterexamples of THEORY.md Sec. 5 as fixed instances (same data as the exact witnesses)",
    cx_params,
    sizeof cx_params / sizeof cx_params[0],
    "K-R3.12, K-H.10: F4, F3, F2 fail (F3/F2 undecided so far); K-D.2: F4 and F3 fail, F2 holds "
    "(F3/F2 undecided so far); X-E.3: A3.6 fails; X-E.2: A3.4 fails (undecided for degenerate components so "
    "far); all other listed preconditions hold",
    cx_generate,
    cx_intent,
    NULL,
};
