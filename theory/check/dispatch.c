/* The dispatcher idc_pre_check (theory/precond.h): from a precondition ID
 * to its checker, with the gates every checker shares (the latent family,
 * maps that are not piecewise affine, the size budget). */
#include "theory/precond.h"

#include <string.h>

#include "theory/check/map1d.h"

/* The checkers of polynomial cost whose only budget is the size of the exact
 * objects they build (J m^2 rationals): UNKNOWN when that exceeds the
 * entry cap. Returns 1 when the verdict was set. The other checkers watch
 * their deadline themselves. */
static int size_gate(idc_pre_result *res, const char *id, const idc_pdgmm *g, const idc_budget *budget)
{
    static const char *const gated[] = {"P2", "A3.8a", "A3.8b", "I-ii", "I-iii", "I-T2"};
    int hit = 0;
    for (size_t i = 0; i < sizeof gated / sizeof gated[0]; i++)
        hit |= strcmp(id, gated[i]) == 0;
    size_t cap = idc_budget_entries(budget), m = g->dim, J = g->ncomp;
    if (!hit || m == 0 || J <= cap / m / m)
        return 0;
    idc_pre_result_set(res, id, IDC_UNKNOWN, NULL,
                       "the exact data (J m^2 = %zu x %zu^2 rationals) exceeds the size budget of %zu entries", J, m,
                       cap);
    return 1;
}

int idc_pre_check_hashed(idc_pre_result *res, const char *id, const idc_instance *inst, const char *hash,
                         const idc_budget *budget, idc_err *err)
{
    const idc_pre_info *info = idc_pre_info_find(id);
    if (info == NULL)
        return idc_err_set(err, IDC_EINVAL, "unknown precondition ID \"%s\"", id != NULL ? id : "(null)");
    idc_pre_result_clear(res);
    const idc_pdgmm *g = &inst->prior;
    const idc_pamap *f = &inst->map;
    /* The exact prior checkers speak about Gaussian mixtures only. */
    if (g->family != IDC_FAMILY_GAUSSIAN &&
        (info->kind == IDC_PRE_PRIOR || strcmp(id, "I-ii") == 0 || strcmp(id, "I-iii") == 0 ||
         strcmp(id, "I-T2") == 0) &&
        info->implemented) {
        idc_pre_result_set(
            res, id, IDC_UNKNOWN, NULL,
            "the latent family is %s, not gaussian: the exact checkers of %s assume a Gaussian "
            "mixture",
            idc_family_name(g->family), id);
        return IDC_OK;
    }
    /* Maps that are not piecewise affine by construction (pinwheel): no exact
     * map checker applies (F1, FC, F2, F3, F4); DIM only needs the sizes. */
    if (f->kind == IDC_MAP_PINWHEEL && info->kind == IDC_PRE_MAP && strcmp(id, "DIM") != 0) {
        int rc = idc_map_validate(f, err);
        if (rc != IDC_OK)
            return rc;
        idc_pre_map_non_pa(res, id, f);
        return IDC_OK;
    }
    if (size_gate(res, id, g, budget))
        return IDC_OK;
    if (strcmp(id, "P1") == 0)
        return idc_pre_p1(res, g, hash, budget, err);
    if (strcmp(id, "P1nd") == 0)
        return idc_pre_p1nd(res, g, hash, budget, err);
    if (strcmp(id, "PD") == 0)
        return idc_pre_pd(res, g, hash, budget, err);
    if (strcmp(id, "P2") == 0)
        return idc_pre_p2(res, g, hash, budget, err);
    if (strcmp(id, "A3.4") == 0)
        return idc_pre_a34(res, g, hash, budget, err);
    if (strcmp(id, "A3.6") == 0)
        return idc_pre_a36(res, g, hash, budget, err);
    if (strcmp(id, "A3.8a") == 0)
        return idc_pre_a38a(res, g, hash, budget, err);
    if (strcmp(id, "A3.8b") == 0)
        return idc_pre_a38b(res, g, hash, budget, err);
    if (strcmp(id, "DIM") == 0)
        return idc_pre_dim(res, g, f, hash, budget, err);
    if (strcmp(id, "DIMU1") == 0)
        return idc_pre_dimu1(res, g, hash, budget, err);
    if (strcmp(id, "F1") == 0)
        return idc_pre_f1(res, f, hash, budget, err);
    if (strcmp(id, "FC") == 0)
        return idc_pre_fc(res, f, hash, budget, err);
    if (strcmp(id, "F4") == 0)
        return idc_pre_f4(res, f, hash, budget, err);
    if (strcmp(id, "F2") == 0 || strcmp(id, "F3") == 0)
        return idc_pre_f23(res, id, f, hash, budget, err);
    if (strcmp(id, "I-i") == 0)
        return idc_pre_ii(res, inst->noise_sigma, hash, budget, err);
    if (strcmp(id, "NOISE0") == 0)
        return idc_pre_noise0(res, inst->noise_sigma, hash, budget, err);
    if (strcmp(id, "I-ii") == 0 || strcmp(id, "I-iii") == 0 || strcmp(id, "I-T2") == 0)
        return idc_pre_ivae(res, id, g, inst->aux, hash, budget, err);
    if (strcmp(id, "P3") == 0)
        idc_pre_result_set(res, id, IDC_UNKNOWN, NULL,
                           "out of scope for certification (K Sec. 3.2 maximality conditions)");
    else if (info->kind == IDC_PRE_ESTIMATOR)
        idc_pre_result_set(res, id, IDC_UNKNOWN, NULL,
                           "a condition on a fitted estimator, not on the instance");
    else
        idc_pre_result_set(res, id, IDC_UNKNOWN, NULL, "no exact checker for %s yet", id);
    return IDC_OK;
}

int idc_pre_check(idc_pre_result *res, const char *id, const idc_instance *inst, const idc_budget *budget,
                  idc_err *err)
{
    if (idc_pre_info_find(id) == NULL)
        return idc_err_set(err, IDC_EINVAL, "unknown precondition ID \"%s\"", id != NULL ? id : "(null)");
    char hash[65];
    int rc = idc_instance_hash(hash, inst, err);
    if (rc != IDC_OK)
        return rc;
    return idc_pre_check_hashed(res, id, inst, hash, budget, err);
}
