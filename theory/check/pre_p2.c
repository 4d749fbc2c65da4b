/* P2 (Kivva et al. 2022, Thm 3.9(b) and Thm E.1; THEORY.md §3): every
 * Sigma_j is diagonal, and some pair a != b of components has pairwise
 * distinct variance ratios (Sigma_a)_tt / (Sigma_b)_tt, t = 1..m.
 *
 * Reading (docs/CERT_FORMATS.md, "P2 and zero variances"): the ratios must
 * exist, so the ordered pair (a, b) witnesses P2 only when every
 * denominator (Sigma_b)_tt is nonzero; a zero numerator is fine (the ratio
 * is 0). With nonzero denominators, ratios t and s are distinct iff
 * a_t b_s != a_s b_t (a_t = (Sigma_a)_tt, ...), which is how they are
 * compared (no division). An unordered pair {a, b} therefore witnesses P2
 * iff it has no such tie and at least one of Sigma_a, Sigma_b has no zero
 * on its diagonal (that one is the denominator). Two point masses (m = 1,
 * Sigma = 0) do not satisfy P2: their only ratio is 0/0. Everything is
 * decided over Q from the declared model (idc_pdgmm_exact_sigma); no
 * search, no tolerance.
 *
 * Certificates (method "diagonal-ratios"):
 *   HOLDS  {"pair": [a, b]}: the verifier re-checks every off-diagonal entry
 *          of every Sigma_j is 0, every denominator (Sigma_b)_tt is nonzero,
 *          and every cross product a_t b_s - a_s b_t (t < s) is nonzero.
 *   FAILS  {"reason": "offdiag", "component": j, "entry": [i, k], "value": "p/q"}
 *          {"reason": "single-component"}            (J = 1: no pair exists)
 *          {"reason": "ties", "ties": [entry per unordered pair a < b]}, an
 *          entry being a tie {"pair": [a, b], "t": t, "s": s} (t < s,
 *          a_t b_s = a_s b_t) or a zero on both sides {"pair": [a, b],
 *          "zero": [t, s]} ((Sigma_a)_tt = 0 and (Sigma_b)_ss = 0: neither
 *          component can be the denominator). */
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

/* First zero on the diagonal of A, or -1. */
static slong first_zero(const fmpq_mat_t A)
{
    for (slong t = 0; t < A->r; t++)
        if (fmpq_is_zero(fmpq_mat_entry(A, t, t)))
            return t;
    return -1;
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
                slong t, s, za = first_zero(S + a), zb = first_zero(S + b);
                if (find_tie(&t, &s, S + a, S + b, x, y)) {
                    json_array_append_new(ties,
                                          json_pack("{s:[I,I],s:I,s:I}", "pair", (json_int_t)a, (json_int_t)b,
                                                    "t", (json_int_t)t, "s", (json_int_t)s));
                } else if (za >= 0 && zb >= 0) {
                    /* no ratio a/b or b/a is defined in every coordinate */
                    json_array_append_new(ties,
                                          json_pack("{s:[I,I],s:[I,I]}", "pair", (json_int_t)a, (json_int_t)b,
                                                    "zero", (json_int_t)za, (json_int_t)zb));
                } else {
                    /* the denominator: a component with no zero variance */
                    size_t num = zb < 0 ? a : b, den = zb < 0 ? b : a;
                    w = json_pack("{s:[I,I]}", "pair", (json_int_t)num, (json_int_t)den);
                    v = IDC_HOLDS;
                    snprintf(why, sizeof why,
                             "diagonal covariances; the %ld variance ratios of components %zu "
                             "over %zu are defined and distinct (exact)",
                             (long)m, num, den);
                }
            }
        if (w == NULL) {
            w = json_pack("{s:s,s:O}", "reason", "ties", "ties", ties);
            snprintf(why, sizeof why,
                     "diagonal covariances, but every pair of components has two equal "
                     "variance ratios or a zero variance on both sides (ratio undefined)");
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
