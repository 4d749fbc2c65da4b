/* A3.8 (Xu, Lachapelle, Magliacane, Ass. 3.8; THEORY.md §3):
 *   (a) common standard basis: every support S_j = mu_j + col Sigma_j is a
 *       coordinate subspace span{e_i : i in B_j} through 0;
 *   (b) sufficient support-index variability: for every i, the union of
 *       B_j over the components with i not in B_j contains {1..m} \ {i}.
 * Exact reading: B_j = {i : (Sigma_j)_ii != 0} over Q (for a PSD matrix a
 * zero diagonal entry forces its row and column to vanish). (a) holds iff
 * mu_j vanishes outside B_j and Sigma_j[B_j, B_j] is nonsingular (all
 * Schur pivots positive), for every j. Decided from the declared model
 * (idc_pdgmm_exact_*), no search, no tolerance.
 *
 * Certificates (method "coordinate-supports"); "supports" lists every B_j:
 *   A3.8a HOLDS {"supports"}: the verifier recomputes the supports, the
 *         zeros of the means off them and the Schur pivots on them.
 *   A3.8a FAILS {"supports", "reason": "mean-outside", "component", "index",
 *         "value"} or {"supports", "reason": "singular-on-support",
 *         "component"} (recomputed: a pivot on B_j is zero).
 *   A3.8b HOLDS {"supports", "cover": [[i, k, j], ...]} one j for every
 *         i != k with i not in B_j and k in B_j.
 *   A3.8b FAILS {"supports", "i", "k"}: k is in no B_j with i not in B_j. */
#include <stdlib.h>

#include <flint/fmpq_mat.h>

#include "numeric/qmat.h"
#include "theory/cert.h"
#include "theory/precond.h"

#define A38_SOURCE "X Ass. 3.8 (common standard basis, support-index variability)"

typedef struct {
    size_t J;
    slong m;
    fmpq_mat_struct *S, *mu;
    unsigned char *in; /* J x m: i in B_j */
} supports;

static void supports_clear(supports *s)
{
    for (size_t j = 0; j < s->J && s->S != NULL; j++) {
        fmpq_mat_clear(s->S + j);
        fmpq_mat_clear(s->mu + j);
    }
    flint_free(s->S);
    flint_free(s->mu);
    free(s->in);
}

static int supports_load(supports *s, const idc_pdgmm *g, idc_err *err)
{
    s->J = g->ncomp;
    s->m = (slong)g->dim;
    s->S = flint_malloc(s->J * sizeof *s->S);
    s->mu = flint_malloc(s->J * sizeof *s->mu);
    s->in = idc_calloc(s->J * (size_t)s->m, 1);
    for (size_t j = 0; j < s->J; j++) {
        fmpq_mat_init(s->S + j, s->m, s->m);
        fmpq_mat_init(s->mu + j, s->m, 1);
    }
    if (s->in == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    for (size_t j = 0; j < s->J; j++) {
        if (idc_pdgmm_exact_sigma(s->S + j, g, j) != IDC_OK || idc_pdgmm_exact_mean(s->mu + j, g, j) != IDC_OK)
            return idc_err_set(err, IDC_EINVAL, "model.components[%zu]: non-finite or malformed data", j);
        for (slong i = 0; i < s->m; i++)
            s->in[j * (size_t)s->m + (size_t)i] = !fmpq_is_zero(fmpq_mat_entry(s->S + j, i, i));
    }
    return IDC_OK;
}

static json_t *supports_json(const supports *s)
{
    json_t *a = json_array();
    for (size_t j = 0; j < s->J; j++) {
        json_t *b = json_array();
        for (slong i = 0; i < s->m; i++)
            if (s->in[j * (size_t)s->m + (size_t)i])
                json_array_append_new(b, json_integer((json_int_t)i));
        json_array_append_new(a, b);
    }
    return a;
}

/* 1 when Sigma_j restricted to B_j has all Schur pivots positive. */
static int nonsingular_on_support(const supports *s, size_t j)
{
    slong k = 0;
    for (slong i = 0; i < s->m; i++)
        k += s->in[j * (size_t)s->m + (size_t)i];
    if (k == 0)
        return 1;
    fmpq_mat_t R;
    fmpq_mat_init(R, k, k);
    slong a = 0;
    for (slong i = 0; i < s->m; i++) {
        if (!s->in[j * (size_t)s->m + (size_t)i])
            continue;
        slong b = 0;
        for (slong l = 0; l < s->m; l++)
            if (s->in[j * (size_t)s->m + (size_t)l])
                fmpq_set(fmpq_mat_entry(R, a, b++), fmpq_mat_entry(s->S + j, i, l));
        a++;
    }
    fmpq *piv = _fmpq_vec_init(k);
    int psd = 0, ok = 0;
    slong bad;
    if (idc_qmat_psd(&psd, &bad, piv, NULL, R) == IDC_OK && psd) {
        ok = 1;
        for (slong i = 0; i < k; i++)
            ok &= fmpq_sgn(piv + i) > 0;
    }
    _fmpq_vec_clear(piv, k);
    fmpq_mat_clear(R);
    return ok;
}

int idc_pre_a38a(idc_pre_result *res, const idc_pdgmm *g, const char *hash, const idc_budget *budget,
                 idc_err *err)
{
    (void)budget;
    supports s = {0};
    int rc = supports_load(&s, g, err);
    json_t *w = NULL;
    char why[200] = "";
    for (size_t j = 0; rc == IDC_OK && j < s.J && w == NULL; j++) {
        for (slong i = 0; i < s.m && w == NULL; i++)
            if (!s.in[j * (size_t)s.m + (size_t)i] && !fmpq_is_zero(fmpq_mat_entry(s.mu + j, i, 0))) {
                w = json_pack("{s:s,s:I,s:I,s:o}", "reason", "mean-outside", "component", (json_int_t)j, "index",
                              (json_int_t)i, "value", idc_cert_json_fmpq(fmpq_mat_entry(s.mu + j, i, 0)));
                snprintf(why, sizeof why, "component %zu: mean coordinate %ld != 0 outside its support, so "
                                          "the support does not pass through 0", j, (long)i);
            }
        if (w == NULL && !nonsingular_on_support(&s, j)) {
            w = json_pack("{s:s,s:I}", "reason", "singular-on-support", "component", (json_int_t)j);
            snprintf(why, sizeof why, "component %zu: Sigma restricted to its diagonal support is singular, "
                                      "so the support is not a coordinate subspace", j);
        }
    }
    idc_verdict v = IDC_FAILS;
    if (rc == IDC_OK && w == NULL) {
        w = json_object();
        v = IDC_HOLDS;
        snprintf(why, sizeof why, "every support is the coordinate subspace of its nonzero variances (exact)");
    }
    if (rc == IDC_OK)
        json_object_set_new(w, "supports", supports_json(&s));
    supports_clear(&s);
    if (rc != IDC_OK) {
        json_decref(w);
        return rc;
    }
    json_t *cert = idc_cert_new("A3.8a", v, hash, "coordinate-supports", A38_SOURCE, w);
    if (cert == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    idc_pre_result_set(res, "A3.8a", v, cert, "%s", why);
    return IDC_OK;
}

int idc_pre_a38b(idc_pre_result *res, const idc_pdgmm *g, const char *hash, const idc_budget *budget,
                 idc_err *err)
{
    (void)budget;
    supports s = {0};
    int rc = supports_load(&s, g, err);
    json_t *w = NULL, *cover = json_array();
    char why[200] = "";
    size_t m = (size_t)s.m;
    for (size_t i = 0; rc == IDC_OK && i < m && w == NULL; i++)
        for (size_t k = 0; k < m && w == NULL; k++) {
            if (k == i)
                continue;
            size_t j = 0;
            while (j < s.J && !(!s.in[j * m + i] && s.in[j * m + k]))
                j++;
            if (j == s.J) {
                w = json_pack("{s:I,s:I}", "i", (json_int_t)i, "k", (json_int_t)k);
                snprintf(why, sizeof why, "index %zu is in no support of a component whose support misses %zu",
                         k, i);
            } else {
                json_array_append_new(cover, json_pack("[I,I,I]", (json_int_t)i, (json_int_t)k, (json_int_t)j));
            }
        }
    idc_verdict v = IDC_FAILS;
    if (rc == IDC_OK && w == NULL) {
        w = json_pack("{s:O}", "cover", cover);
        v = IDC_HOLDS;
        snprintf(why, sizeof why, "every index pair (i, k) is separated by a support (exact supports)");
    }
    json_decref(cover);
    if (rc == IDC_OK)
        json_object_set_new(w, "supports", supports_json(&s));
    supports_clear(&s);
    if (rc != IDC_OK) {
        json_decref(w);
        return rc;
    }
    json_t *cert = idc_cert_new("A3.8b", v, hash, "coordinate-supports", A38_SOURCE, w);
    if (cert == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    idc_pre_result_set(res, "A3.8b", v, cert, "%s", why);
    return IDC_OK;
}
