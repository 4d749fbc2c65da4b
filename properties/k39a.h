/* Property K3.9a (see properties/k39a.c). */
#ifndef IDC_PROPERTIES_K39A_H
#define IDC_PROPERTIES_K39A_H

#include "generators/pdgmm.h"
#include "models/estimators/stage1.h"
#include "properties/prop.h"

typedef struct {
    idc_gen_pdgmm_params gen; /* ratio is forced to 1 */
    size_t n_train, n_eval;
    idc_stage1_config fit;    /* latent_dim, widths and seed are set per trial */
    size_t hidden_mult;       /* hidden widths (k, 2k, 2k, k) * m (VaDE: two layers of 2k m) */
    double r2_min;
    int vade;                 /* estimator: 0 Stage 1 (default), 1 VaDE (Kivva et al.'s own) */
} idc_k39a_params;

/* CI-sized defaults (documented in README): m = 3, J = 3, 2 layers of slope
 * 0.2, 4000 + 2000 samples, 2000 steps of batch 256 at lr 1e-3, widths
 * (24, 48, 48, 24), r2_min = 0.9. */
void idc_k39a_defaults(idc_k39a_params *p);

/* One trial (the idc_prop_def.run_trial of K3.9a). */
int idc_k39a_trial(idc_trial *out, const void *params, uint64_t run_seed, uint32_t index, idc_err *err);

extern const idc_prop_def idc_prop_k39a;

#endif
