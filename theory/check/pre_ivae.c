/* The iVAE conditions I-ii, I-iii and I-T2 (Khemakhem et al. 2020, Thm 1
 * and 2; THEORY.md §3) for the declared model.
 *
 * Reading of the data model as an iVAE model: the auxiliary variable is the
 * component label (instance "aux": {"kind": "label"}), so p(z|u) is the
 * Gaussian N(mu_u, Sigma_u). The iVAE conditions presuppose a conditionally
 * factorial exponential-family prior, i.e. every Sigma_u diagonal with
 * positive diagonal. Coordinate i of component u then has natural
 * parameters lambda_{i,1}(u) = mu_ui / s_ui (statistic z_i) and
 * lambda_{i,2}(u) = -1 / (2 s_ui) (statistic z_i^2), s_ui = (Sigma_u)_ii,
 * all exact rationals.
 *
 * The statistics: a statistic whose natural parameter is the same for every
 * u is absorbed in the base measure (the minimal representation). k = 2
 * when some coordinate has both parameters varying, else k = 1 with each
 * coordinate keeping its varying statistic (z_i or z_i^2); with k = 2 every
 * coordinate uses (z_i, z_i^2). The "varying" table is part of every
 * certificate and is recomputed by the verifier.
 *
 * I-ii (T differentiable a.e. with nonzero derivative a.e.): z and z^2 are;
 *   HOLDS (method "gaussian-statistics") for a factorial Gaussian model with
 *   the label observed; UNKNOWN otherwise (the statistics are undefined).
 * I-iii: nk + 1 distinct u^0..u^{nk} with L = [lambda(u^l) - lambda(u^0)]
 *   invertible. Since the rows lambda(u) - lambda(u^0) over all u span the
 *   same space for any base u^0, it holds iff the (J-1) x nk difference
 *   matrix D (base u^0 = component 0) has rank nk.
 *   HOLDS ("natural-parameters"): the nk rows chosen; the verifier
 *   recomputes det L != 0 exactly. FAILS: "hyperplane" — v != 0 with
 *   (lambda(u) - lambda(u^0)) . v = 0 for every u (covers J - 1 < nk);
 *   "no-auxiliary" — the model declares no observed u; "not-factorial" — a
 *   component whose Sigma has a nonzero off-diagonal or non-positive
 *   diagonal entry (p(z|u) is then no factorial exponential family).
 * I-T2: k = 1, the same T for every i, T with a unique minimum. With the
 *   Gaussian statistics that is: k = 1 and every coordinate keeps z_i^2
 *   (min at 0) — HOLDS ("scale-family"); FAILS ("statistics") when k = 2 or
 *   some coordinate keeps z_i (no minimum); UNKNOWN when not factorial.
 * Cost: O(J m) rationals and one exact elimination of a (J-1) x nk matrix. */
#include <stdlib.h>
#include <string.h>

#include <flint/fmpq_mat.h>

#include "theory/cert.h"
#include "theory/precond.h"

#define IVAE_SOURCE "I Thm 1 / Thm 2 (auxiliary variable u = component label)"

/* A factorial Gaussian model read exactly, or the reason it is not one. */
typedef struct {
    size_t J, m;
    fmpq *mu, *s;     /* J x m means and variances */
    int *vary;        /* m entries: bit 0 lambda_1 varies, bit 1 lambda_2 varies */
    int k;
    long bad_comp, bad_i, bad_j; /* not factorial: the offending entry */
} ivae_model;

static void ivae_clear(ivae_model *M)
{
    if (M->mu != NULL)
        _fmpq_vec_clear(M->mu, (slong)(M->J * M->m));
    if (M->s != NULL)
        _fmpq_vec_clear(M->s, (slong)(M->J * M->m));
    free(M->vary);
}

static void nat(fmpq_t out, const ivae_model *M, size_t u, size_t i, int stat)
{
    const fmpq *s = M->s + u * M->m + i;
    if (stat == 0) {
        fmpq_div(out, M->mu + u * M->m + i, s);
    } else {
        fmpq_mul_si(out, s, -2);
        fmpq_inv(out, out);
    }
}

/* Loads the model: IDC_OK with M filled (bad_comp >= 0 when not factorial). */
static int ivae_load(ivae_model *M, const idc_pdgmm *g, idc_err *err)
{
    M->J = g->ncomp;
    M->m = g->dim;
    M->mu = _fmpq_vec_init((slong)(M->J * M->m));
    M->s = _fmpq_vec_init((slong)(M->J * M->m));
    M->vary = calloc(M->m, sizeof *M->vary);
    M->bad_comp = -1;
    if (M->vary == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    slong m = (slong)M->m;
    fmpq_mat_t S, mu;
    fmpq_mat_init(S, m, m);
    fmpq_mat_init(mu, m, 1);
    int rc = IDC_OK;
    for (size_t u = 0; u < M->J && rc == IDC_OK; u++) {
        if (idc_pdgmm_exact_sigma(S, g, u) != IDC_OK || idc_pdgmm_exact_mean(mu, g, u) != IDC_OK) {
            rc = idc_err_set(err, IDC_EINVAL, "model.components[%zu]: non-finite or malformed data", u);
            break;
        }
        for (slong i = 0; i < m; i++) {
            fmpq_set(M->mu + u * M->m + (size_t)i, fmpq_mat_entry(mu, i, 0));
            fmpq_set(M->s + u * M->m + (size_t)i, fmpq_mat_entry(S, i, i));
            for (slong j = 0; j < m && M->bad_comp < 0; j++)
                if ((i == j && fmpq_sgn(fmpq_mat_entry(S, i, i)) <= 0) ||
                    (i != j && !fmpq_is_zero(fmpq_mat_entry(S, i, j)))) {
                    M->bad_comp = (long)u;
                    M->bad_i = (long)i;
                    M->bad_j = (long)j;
                }
        }
    }
    fmpq_mat_clear(S);
    fmpq_mat_clear(mu);
    if (rc != IDC_OK || M->bad_comp >= 0)
        return rc;
    fmpq_t a, b;
    fmpq_init(a);
    fmpq_init(b);
    M->k = 1;
    for (size_t i = 0; i < M->m; i++) {
        for (int st = 0; st < 2; st++) {
            nat(a, M, 0, i, st);
            for (size_t u = 1; u < M->J; u++) {
                nat(b, M, u, i, st);
                if (!fmpq_equal(a, b)) {
                    M->vary[i] |= 1 << st;
                    break;
                }
            }
        }
        if (M->vary[i] == 3)
            M->k = 2;
    }
    fmpq_clear(a);
    fmpq_clear(b);
    return IDC_OK;
}

/* Statistic s (0: z, 1: z^2) of column c of the nk parameter vector. */
static int col_stat(const ivae_model *M, size_t c, size_t *coord)
{
    *coord = c / (size_t)M->k;
    if (M->k == 2)
        return (int)(c % 2);
    return M->vary[*coord] == 1 ? 0 : 1; /* k = 1: the varying one (z^2 when none varies) */
}

static json_t *vary_json(const ivae_model *M)
{
    json_t *a = json_array();
    for (size_t i = 0; i < M->m; i++)
        json_array_append_new(a, json_integer(M->vary[i]));
    return a;
}

/* The structural answers shared by the three conditions: returns 1 when a
 * verdict was set (no auxiliary / not factorial). */
static int structural(idc_pre_result *res, const char *id, const ivae_model *M, idc_aux_kind aux,
                      const char *hash, int fails, idc_err *err, int *rc)
{
    *rc = IDC_OK;
    if (aux != IDC_AUX_LABEL) {
        if (!fails) {
            idc_pre_result_set(res, id, IDC_UNKNOWN, NULL,
                               "the model declares no auxiliary variable; the iVAE statistics are undefined");
            return 1;
        }
        json_t *cert = idc_cert_new(id, IDC_FAILS, hash, "no-auxiliary", IVAE_SOURCE, json_pack("{s:s}", "aux", "none"));
        if (cert == NULL)
            *rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
        else
            idc_pre_result_set(res, id, IDC_FAILS, cert, "no auxiliary variable u is observed (aux.kind = none)");
        return 1;
    }
    if (M->bad_comp < 0)
        return 0;
    if (!fails) {
        idc_pre_result_set(res, id, IDC_UNKNOWN, NULL,
                           "p(z|u) is not conditionally factorial (component %ld, entry (%ld, %ld)); the iVAE "
                           "statistics are undefined",
                           M->bad_comp, M->bad_i, M->bad_j);
        return 1;
    }
    json_t *cert = idc_cert_new(id, IDC_FAILS, hash, "not-factorial", IVAE_SOURCE,
                                json_pack("{s:I,s:I,s:I}", "component", (json_int_t)M->bad_comp, "i",
                                          (json_int_t)M->bad_i, "j", (json_int_t)M->bad_j));
    if (cert == NULL)
        *rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    else
        idc_pre_result_set(res, id, IDC_FAILS, cert,
                           "p(z|u) is not a factorial exponential family: Sigma_%ld has entry (%ld, %ld) %s",
                           M->bad_comp, M->bad_i, M->bad_j, M->bad_i == M->bad_j ? "<= 0" : "!= 0");
    return 1;
}

static int iii(idc_pre_result *res, const ivae_model *M, const char *hash, idc_err *err)
{
    slong nk = (slong)(M->m * (size_t)M->k), rows = (slong)M->J - 1;
    fmpq_mat_t D, R;
    fmpq_mat_init(D, rows > 0 ? rows : 0, nk);
    fmpq_t a, b;
    fmpq_init(a);
    fmpq_init(b);
    for (slong u = 1; u <= rows; u++)
        for (slong c = 0; c < nk; c++) {
            size_t i;
            int st = col_stat(M, (size_t)c, &i);
            nat(a, M, (size_t)u, i, st);
            nat(b, M, 0, i, st);
            fmpq_sub(fmpq_mat_entry(D, u - 1, c), a, b);
        }
    int rc = IDC_OK;
    json_t *cert = NULL;
    if (rows >= nk) {
        /* independent rows: pivots of rref(D^T) */
        fmpq_mat_t T;
        fmpq_mat_init(T, nk, rows);
        fmpq_mat_transpose(T, D);
        fmpq_mat_init(R, nk, rows);
        slong rk = fmpq_mat_rref(R, T);
        if (rk == nk) {
            json_t *sel = json_array();
            slong c = 0;
            for (slong r = 0; r < nk; r++) {
                while (fmpq_is_zero(fmpq_mat_entry(R, r, c)))
                    c++;
                json_array_append_new(sel, json_integer(c + 1)); /* component index u = c + 1 */
            }
            cert = idc_cert_new("I-iii", IDC_HOLDS, hash, "natural-parameters", IVAE_SOURCE,
                                json_pack("{s:i,s:o,s:i,s:o}", "k", M->k, "varying", vary_json(M), "base", 0, "rows",
                                          sel));
            if (cert == NULL)
                rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
            else
                idc_pre_result_set(res, "I-iii", IDC_HOLDS, cert,
                                   "k = %d: %ld components give an invertible nk x nk matrix of natural-parameter "
                                   "differences (exact)",
                                   M->k, (long)nk);
        }
        fmpq_mat_clear(T);
        fmpq_mat_clear(R);
    }
    if (cert == NULL && rc == IDC_OK) {
        /* rank < nk: a kernel vector of D from its rref */
        fmpq_mat_init(R, D->r, nk);
        slong rk = D->r > 0 ? fmpq_mat_rref(R, D) : 0;
        slong *piv = calloc((size_t)nk + 1, sizeof *piv);
        int *is_piv = calloc((size_t)nk + 1, sizeof *is_piv);
        slong c = 0;
        for (slong r = 0; r < rk; r++) {
            while (fmpq_is_zero(fmpq_mat_entry(R, r, c)))
                c++;
            piv[r] = c;
            is_piv[c] = 1;
        }
        slong free_c = 0;
        while (is_piv[free_c])
            free_c++;
        fmpq_mat_t v;
        fmpq_mat_init(v, nk, 1);
        fmpq_one(fmpq_mat_entry(v, free_c, 0));
        for (slong r = 0; r < rk; r++)
            fmpq_neg(fmpq_mat_entry(v, piv[r], 0), fmpq_mat_entry(R, r, free_c));
        cert = idc_cert_new("I-iii", IDC_FAILS, hash, "hyperplane", IVAE_SOURCE,
                            json_pack("{s:i,s:o,s:i,s:o}", "k", M->k, "varying", vary_json(M), "base", 0, "v",
                                      idc_cert_json_fmpq_col(v, 0)));
        if (cert == NULL)
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
        else
            idc_pre_result_set(res, "I-iii", IDC_FAILS, cert,
                               "k = %d: the natural parameters of the %zu values of u lie in a hyperplane (rank "
                               "%ld < nk = %ld)",
                               M->k, M->J, (long)rk, (long)nk);
        fmpq_mat_clear(v);
        free(piv);
        free(is_piv);
        fmpq_mat_clear(R);
    }
    fmpq_clear(a);
    fmpq_clear(b);
    fmpq_mat_clear(D);
    return rc;
}

int idc_pre_ivae(idc_pre_result *res, const char *id, const idc_pdgmm *g, idc_aux_kind aux, const char *hash,
                 const idc_budget *budget, idc_err *err)
{
    (void)budget; /* O(J m) data and one (J-1) x 2m elimination */
    ivae_model M = {0};
    int rc = ivae_load(&M, g, err);
    int which = strcmp(id, "I-iii") == 0 ? 3 : strcmp(id, "I-ii") == 0 ? 2 : 4; /* else I-T2 */
    if (rc == IDC_OK && !structural(res, id, &M, aux, hash, which == 3, err, &rc)) {
        if (which == 3) {
            rc = iii(res, &M, hash, err);
        } else if (which == 2) {
            json_t *cert = idc_cert_new(id, IDC_HOLDS, hash, "gaussian-statistics", IVAE_SOURCE,
                                        json_pack("{s:i,s:o}", "k", M.k, "varying", vary_json(&M)));
            if (cert == NULL)
                rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
            else
                idc_pre_result_set(res, id, IDC_HOLDS, cert,
                                   "factorial Gaussian p(z|u): statistics z, z^2 are smooth with nonzero "
                                   "derivative a.e. (k = %d)",
                                   M.k);
        } else {
            long lin = -1;
            for (size_t i = 0; i < M.m && lin < 0; i++)
                if (M.vary[i] == 1)
                    lin = (long)i;
            int ok = M.k == 1 && lin < 0;
            json_t *cert = idc_cert_new(id, ok ? IDC_HOLDS : IDC_FAILS, hash, ok ? "scale-family" : "statistics",
                                        IVAE_SOURCE, json_pack("{s:i,s:o}", "k", M.k, "varying", vary_json(&M)));
            if (cert == NULL)
                rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
            else if (ok)
                idc_pre_result_set(res, id, IDC_HOLDS, cert,
                                   "k = 1 and T(z) = z^2 for every coordinate (unique minimum at 0)");
            else if (M.k == 2)
                idc_pre_result_set(res, id, IDC_FAILS, cert,
                                   "k = 2: some coordinate has both mean and variance modulated by u");
            else
                idc_pre_result_set(res, id, IDC_FAILS, cert,
                                   "coordinate %ld has statistic T(z) = z (no minimum): only its mean varies", lin);
        }
    }
    ivae_clear(&M);
    return rc;
}
