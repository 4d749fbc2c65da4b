/* A3.4 genericity (Xu, Lachapelle, Magliacane, Ass. 3.4; THEORY.md §3) for
 * mixtures whose components are all nondegenerate.
 *
 * Then every support is R^m, there is one rank class (all J components) and
 * its only maximal intersecting set is the whole mixture, so A3.4 asks for
 * one point z* whose Mahalanobis distances d_j(z*)^2 = y_j . (z* - mu_j),
 * Sigma_j y_j = z* - mu_j, are pairwise different. In reduced form no
 * difference d_j^2 - d_k^2 is the zero polynomial (equal quadratic, linear
 * and constant parts would force Sigma_j = Sigma_k and mu_j = mu_k), so such
 * points are generic; the checker tries small integer points and certifies
 * the first that works exactly.
 *
 * Degenerate components need the maximal intersecting sets within each rank
 * class and the polynomial comparison on their common flats (CERTIFICATES.md
 * §2): not implemented yet, so UNKNOWN.
 *
 * Certificate (method "nondegenerate-point"): {"components": P1nd's
 * per-component nonsingularity evidence, "point": z*, "y": [y_j], "d2":
 * [d_j^2]}; the verifier recomputes Sigma_j y_j = z* - mu_j exactly, the
 * distances, and that they are pairwise different. */
#include <stdlib.h>

#include <flint/fmpq_mat.h>

#include "numeric/rng.h"
#include "theory/cert.h"
#include "theory/precond.h"

#define A34_SOURCE "X Ass. 3.4 (genericity of Mahalanobis distances)"
#define A34_TRIES 64

static int cmp_fmpq(const void *a, const void *b)
{
    return fmpq_cmp((const fmpq *)a, (const fmpq *)b);
}

int idc_pre_a34(idc_pre_result *res, const idc_pdgmm *g, const char *hash, const idc_budget *budget,
                idc_err *err)
{
    idc_pre_result nd;
    idc_pre_result_init(&nd);
    int rc = idc_pre_p1nd(&nd, g, hash, budget, err);
    if (rc != IDC_OK) {
        idc_pre_result_clear(&nd);
        return rc;
    }
    if (nd.verdict != IDC_HOLDS) {
        idc_pre_result_set(res, "A3.4", IDC_UNKNOWN, NULL,
                           "decided only for nondegenerate mixtures in reduced form so far (P1nd is %s)",
                           idc_verdict_name(nd.verdict));
        idc_pre_result_clear(&nd);
        return IDC_OK;
    }
    size_t J = g->ncomp;
    slong m = (slong)g->dim;
    fmpq_mat_struct *S = flint_malloc(J * sizeof *S), *mu = flint_malloc(J * sizeof *mu);
    fmpq_mat_struct *Y = flint_malloc(J * sizeof *Y);
    for (size_t j = 0; j < J; j++) {
        fmpq_mat_init(S + j, m, m);
        fmpq_mat_init(mu + j, m, 1);
        fmpq_mat_init(Y + j, m, 1);
        if (rc == IDC_OK && (idc_pdgmm_exact_sigma(S + j, g, j) != IDC_OK || idc_pdgmm_exact_mean(mu + j, g, j) != IDC_OK))
            rc = idc_err_set(err, IDC_EINVAL, "model.components[%zu]: non-finite or malformed data", j);
    }
    fmpq *d2 = _fmpq_vec_init((slong)J), *sorted = _fmpq_vec_init((slong)J);
    fmpq_mat_t z, v;
    fmpq_mat_init(z, m, 1);
    fmpq_mat_init(v, m, 1);
    idc_rng stream = idc_rng_stream(0xa34, 0, IDC_PURPOSE_SEARCH);
    int found = 0;
    for (int k = 0; k < A34_TRIES && rc == IDC_OK && !found; k++) {
        /* small integer points in [-3k-1, 3k+1]^m, a fixed sequence */
        for (slong i = 0; i < m; i++) {
            uint64_t span = 6 * (uint64_t)k + 3;
            fmpq_set_si(fmpq_mat_entry(z, i, 0),
                        (slong)idc_rng_below(stream, (uint64_t)k * (uint64_t)m + (uint64_t)i, span) - (slong)(3 * k + 1), 1);
        }
        int ok = 1;
        for (size_t j = 0; j < J && ok; j++) {
            fmpq_mat_sub(v, z, mu + j);
            ok = fmpq_mat_solve(Y + j, S + j, v);
            fmpq_zero(d2 + j);
            for (slong i = 0; i < m && ok; i++)
                fmpq_addmul(d2 + j, fmpq_mat_entry(Y + j, i, 0), fmpq_mat_entry(v, i, 0));
            fmpq_set(sorted + j, d2 + j);
        }
        if (!ok) {
            rc = idc_err_set(err, IDC_EINTERNAL, "A3.4: a certified nonsingular Sigma could not be solved");
            break;
        }
        qsort(sorted, J, sizeof(fmpq), cmp_fmpq);
        found = 1;
        for (size_t j = 0; j + 1 < J && found; j++)
            found = !fmpq_equal(sorted + j, sorted + j + 1);
    }
    if (rc == IDC_OK && found) {
        json_t *ys = json_array(), *ds = json_array();
        for (size_t j = 0; j < J; j++) {
            json_array_append_new(ys, idc_cert_json_fmpq_col(Y + j, 0));
            json_array_append_new(ds, idc_cert_json_fmpq(d2 + j));
        }
        json_t *w = json_pack("{s:O,s:o,s:o,s:o}", "components",
                              json_object_get(json_object_get(nd.cert, "witness"), "components"), "point",
                              idc_cert_json_fmpq_col(z, 0), "y", ys, "d2", ds);
        json_t *cert = idc_cert_new("A3.4", IDC_HOLDS, hash, "nondegenerate-point", A34_SOURCE, w);
        if (cert == NULL)
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
        else
            idc_pre_result_set(res, "A3.4", IDC_HOLDS, cert,
                               "nondegenerate components: a point with pairwise different Mahalanobis distances "
                               "(exact)");
    } else if (rc == IDC_OK) {
        idc_pre_result_set(res, "A3.4", IDC_UNKNOWN, NULL,
                           "no point with pairwise different distances among %d small integer points tried",
                           A34_TRIES);
    }
    fmpq_mat_clear(z);
    fmpq_mat_clear(v);
    _fmpq_vec_clear(d2, (slong)J);
    _fmpq_vec_clear(sorted, (slong)J);
    for (size_t j = 0; j < J; j++) {
        fmpq_mat_clear(S + j);
        fmpq_mat_clear(mu + j);
        fmpq_mat_clear(Y + j);
    }
    flint_free(S);
    flint_free(mu);
    flint_free(Y);
    idc_pre_result_clear(&nd);
    return rc;
}
