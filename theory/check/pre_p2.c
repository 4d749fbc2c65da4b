/* P2 (Kivva et al. 2022, Thm 3.9(b) and Thm E.1; THEORY.md §3): every
 * Sigma_j is diagonal, and some pair a != b of components has pairwise
 * distinct variance ratios (Sigma_a)_tt / (Sigma_b)_tt, t = 1..m.
 *
 * Exact reading: the ratios are compared cross-multiplied, ratio t and
 * ratio s are distinct iff a_t b_s != a_s b_t (a_t = (Sigma_a)_tt, ...), so
 * a zero variance is handled without division (two coordinates where both
 * variances vanish always tie). Everything is decided over Q from the
 * declared model (idc_pdgmm_exact_sigma); no search, no tolerance.
 *
 * Certificates (method "diagonal-ratios"):
 *   HOLDS  {"pair": [a, b]}: the verifier re-checks every off-diagonal entry
 *          of every Sigma_j is 0 and every cross product a_t b_s - a_s b_t
 *          (t < s) is nonzero.
 *   FAILS  {"reason": "offdiag", "component": j, "entry": [i, k], "value": "p/q"}
 *          {"reason": "single-component"}            (J = 1: no pair exists)
 *          {"reason": "ties", "ties": [{"pair": [a, b], "t": t, "s": s}, ...]}
 *          one tie for every unordered pair a < b. */
#include <stdlib.h>

#include <flint/fmpq_mat.h>

#include "theory/cert.h"
#include "theory/precond.h"

#define P2_SOURCE "K Thm 3.9(b) / Thm E.1 (diagonal covariances, distinct variance ratios)"

/* First tie (t < s) of the pair, or 0 when all ratios are distinct. */
static int find_tie(slong *t_out, slong *s_out, const fmpq_mat_t A, const fmpq_mat_t B, fmpq_t x, fmpq_t y)
{
    slong m = A->r;
    for (slong t = 0; t < m; t++)
        for (slong s = t + 1; s < m; s++) {
            fmpq_mul(x, fmpq_mat_entry(A, t, t), fmpq_mat_entry(B, s, s));
            fmpq_mul(y, fmpq_mat_entry(A, s, s), fmpq_mat_entry(B, t, t));
            if (fmpq_equal(x, y)) {
                *t_out = t;
                *s_out = s;
                return 1;
            }
        }
    return 0;
}

int idc_pre_p2(idc_pre_result *res, const idc_pdgmm *g, const char *hash, const idc_budget *budget, idc_err *err)
{
    (void)budget;
    size_t J = g->ncomp;
    slong m = (slong)g->dim;
    if (J == 0 || m == 0)
        return idc_err_set(err, IDC_EINVAL, "model.components: empty model");
    fmpq_mat_struct *S = flint_malloc(J * sizeof *S);
    for (size_t j = 0; j < J; j++)
        fmpq_mat_init(S + j, m, m);
    int rc = IDC_OK;
    for (size_t j = 0; j < J && rc == IDC_OK; j++)
        if (idc_pdgmm_exact_sigma(S + j, g, j) != IDC_OK)
            rc = idc_err_set(err, IDC_EINVAL, "model.components[%zu]: non-finite or malformed data", j);
    json_t *w = NULL;
    idc_verdict v = IDC_FAILS;
    char why[160] = "";
    for (size_t j = 0; j < J && rc == IDC_OK && w == NULL; j++)
        for (slong i = 0; i < m && w == NULL; i++)
            for (slong k = i + 1; k < m && w == NULL; k++)
                if (!fmpq_is_zero(fmpq_mat_entry(S + j, i, k))) {
                    w = json_pack("{s:s,s:I,s:[I,I],s:o}", "reason", "offdiag", "component", (json_int_t)j,
                                  "entry", (json_int_t)i, (json_int_t)k, "value",
                                  idc_cert_json_fmpq(fmpq_mat_entry(S + j, i, k)));
                    snprintf(why, sizeof why, "Sigma_%zu is not diagonal: entry (%ld,%ld) != 0", j, (long)i,
                             (long)k);
                }
    if (rc == IDC_OK && w == NULL && J == 1) {
        w = json_pack("{s:s}", "reason", "single-component");
        snprintf(why, sizeof why, "J = 1: no pair of components to compare variance ratios");
    }
    if (rc == IDC_OK && w == NULL) {
        fmpq_t x, y;
        fmpq_init(x);
        fmpq_init(y);
        json_t *ties = json_array();
        for (size_t a = 0; a < J && w == NULL; a++)
            for (size_t b = a + 1; b < J && w == NULL; b++) {
                slong t, s;
                if (!find_tie(&t, &s, S + a, S + b, x, y)) {
                    w = json_pack("{s:[I,I]}", "pair", (json_int_t)a, (json_int_t)b);
                    v = IDC_HOLDS;
                    snprintf(why, sizeof why, "diagonal covariances; components %zu and %zu have %ld distinct "
                                              "variance ratios (exact)", a, b, (long)m);
                } else {
                    json_array_append_new(ties, json_pack("{s:[I,I],s:I,s:I}", "pair", (json_int_t)a,
                                                          (json_int_t)b, "t", (json_int_t)t, "s", (json_int_t)s));
                }
            }
        if (w == NULL) {
            w = json_pack("{s:s,s:O}", "reason", "ties", "ties", ties);
            snprintf(why, sizeof why, "diagonal covariances, but every pair of components has two equal "
                                      "variance ratios");
        }
        json_decref(ties);
        fmpq_clear(x);
        fmpq_clear(y);
    }
    for (size_t j = 0; j < J; j++)
        fmpq_mat_clear(S + j);
    flint_free(S);
    if (rc != IDC_OK) {
        json_decref(w);
        return rc;
    }
    json_t *cert = idc_cert_new("P2", v, hash, "diagonal-ratios", P2_SOURCE, w);
    if (cert == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    idc_pre_result_set(res, "P2", v, cert, "%s", why);
    return IDC_OK;
}
