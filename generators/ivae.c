/* Generator "ivae": the nonstationary-source data of I §5. M segments with
 * equal weights; in segment u the m sources are independent Gaussians with
 * std ~ U(0.5, 3) per segment and dimension and mean 0 (means=zero) or
 * U(-5, 5) (means=uniform); u = the segment label is observed (aux label).
 * Segments are mixture components in FACTOR form with diagonal L (exact
 * variances std^2). Mixed by a mixing map of generators/mixing.h (default:
 * leaky-ReLU MLP with condition-controlled weights).
 * P1 and P2 hold generically here (continuous draws; an exact tie has
 * probability about 2^-50 per comparison). */
#include "generators/gen_impl.h"

#define IVAE_VERSION "3" /* 2: mix=orth has a linear last layer; 3: BLAS-free QR (numeric/dmat.h) */

static const idc_gen_param ivae_params[] = {
    {"m", IDC_GEN_INT, "5", 1, 1024, NULL, "number of sources"},
    {"M", IDC_GEN_INT, "40", 2, IDC_MAX_COMPONENTS, NULL, "number of segments"},
    {"means", IDC_GEN_CHOICE, "zero", 0, 0, "zero|uniform", "segment means: 0 or U(-5, 5)"},
    IDC_GEN_PARAMS_MIX,
    {"noise", IDC_GEN_REAL, "0", 0, 1e6, NULL, "observation noise sigma"},
    {"samples", IDC_GEN_INT, "40000", 1, 1073741824.0, NULL, "default sample count of the instance"},
};

static int ivae_generate(idc_instance *out, const idc_gen_values *v, uint64_t seed, idc_err *err)
{
    idc_instance_init(out);
    size_t m = idc_gen_getz(v, "m"), M = idc_gen_getz(v, "M");
    int unif = (int)idc_gen_get(v, "means") == 1;
    idc_mix_params mp = idc_gen_mix_params(v, m);
    if (mp.n < m)
        return idc_err_set(err, IDC_EINVAL, "--n: %zu must be >= m = %zu (0 means m)", mp.n, m);
    idc_gdraw d = idc_gdraw_make(seed, 0), dmap = idc_gdraw_make(seed, 2);
    idc_pdgmm *g = &out->prior;
    int rc = idc_pdgmm_alloc(g, m, M, err);
    for (size_t j = 0; j < M && rc == IDC_OK; j++) {
        rc = idc_gen_comp_factor(g, j, m, err);
        if (rc != IDC_OK)
            break;
        idc_component *c = &g->comp[j];
        c->weight = 1.0 / (double)M;
        for (size_t t = 0; t < m; t++) {
            c->L[t * m + t] = 0.5 + 2.5 * idc_gd_uniform(&d);
            double u = idc_gd_uniform(&d);
            c->mean[t] = unif ? -5.0 + 10.0 * u : 0.0;
        }
    }
    if (rc == IDC_OK)
        rc = idc_gen_mix(&out->map, &mp, dmap.s, &dmap.k, err);
    if (rc == IDC_OK) {
        out->noise_sigma = idc_gen_get(v, "noise");
        out->nsamples = idc_gen_getz(v, "samples");
        out->aux = IDC_AUX_LABEL;
    } else {
        idc_instance_clear(out);
    }
    return rc;
}

static int ivae_intent(idc_gen_intent *out, size_t *n, const idc_gen_values *v, idc_err *err)
{
    (void)err;
    size_t m = idc_gen_getz(v, "m");
    idc_gen_intent_nondegenerate(out, n, m);
    idc_gen_intent_add(out, n, "P2", IDC_HOLDS, 0);
    idc_gen_intent_add(out, n, "I-i", IDC_HOLDS, 0);
    idc_mix_params mp = idc_gen_mix_params(v, m);
    idc_gen_intent_mix(out, n, &mp);
    return IDC_OK;
}

const idc_gen_info idc_gen_info_ivae = {
    "ivae",
    IVAE_VERSION,
    "I Sec. 5: nonstationary sources in M segments (std ~ U(0.5, 3)), u = segment label, MLP mixing",
    ivae_params,
    sizeof ivae_params / sizeof ivae_params[0],
    "P1, P1nd, PD, P2 (generic), DIMU1, A3.4, A3.6, A3.8a, I-i hold; A3.8b fails for m >= 2; DIM, F1, "
    "FC hold; F4/F3/F2 hold for mix=leaky and mix=orth",
    ivae_generate,
    ivae_intent,
    NULL,
};
