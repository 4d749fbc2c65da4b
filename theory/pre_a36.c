/* A3.6 (Xu, Lachapelle, Magliacane, Ass. 3.6; THEORY.md §3): the supports
 * share a point z0 and one basis of R^m contains, for every j, a basis of
 * V_j = S_j - z0 = col Sigma_j.
 *
 * Decided here through two sufficient conditions, each with a HOLDS
 * certificate; anything else is UNKNOWN (the exact lattice criterion of
 * CERTIFICATES.md §2 is the certification issue's), never a guess:
 *   "nondegenerate": every Sigma_j is nonsingular, so every V_j = R^m
 *       (the standard basis serves, any point is common). Witness: the
 *       per-component evidence of P1nd (minors mod p / Schur pivots).
 *   "frame-basis": every component is declared in the model's frame
 *       (mu_j = t + B[:,S_j] c_j, L_j = B[:,S_j] C_j), B is nonsingular and
 *       every C_j has full row rank |S_j|. Then t is a common point
 *       (mu_j - t lies in span B[:,S_j] = V_j) and the columns of B are a
 *       common basis (V_j = span of the columns S_j). Witness: a prime with
 *       det B != 0 mod p, and per component a prime and |S_j| columns of
 *       C_j whose minor is nonzero mod p.
 * FAILS certificates: the supports have no common point (method
 * "no-common-point": w with w^T A = 0, w^T b != 0 for the stacked system
 * x - D_j a_j = mu_j, D_j spanning col Sigma_j), or a violation of distributivity among three
 * supports' directions, dim(V_a ∩ (V_b + V_c)) > dim((V_a ∩ V_b) + (V_a ∩ V_c))
 * (method "distributivity"), which rules out any common basis (subspaces
 * spanned by subsets of one basis form a distributive lattice). Only triples
 * of generators are searched, which is not complete (CERTIFICATES.md §2):
 * no violation found gives UNKNOWN. */
#include <stdlib.h>
#include <string.h>

#include "numeric/qmat.h"
#include "numeric/qspace.h"
#include "theory/cert.h"
#include "theory/precond.h"

#define A36_SOURCE "X Ass. 3.6 (common basis and translation)"

static int frame_route(json_t **w, const idc_pdgmm *g, idc_err *err)
{
    *w = NULL;
    size_t m = g->dim;
    if (!g->has_frame)
        return IDC_OK;
    for (size_t j = 0; j < g->ncomp; j++)
        if (g->comp[j].form != IDC_COMP_FRAME || g->comp[j].rank != g->comp[j].nsupport)
            return IDC_OK;
    int found = 0;
    mp_limb_t p;
    slong *rows = flint_malloc((m + 1) * sizeof(slong)), *cols = flint_malloc((m + 1) * sizeof(slong));
    int rc = idc_qmat_minor_find_d(&found, &p, rows, cols, g->frame_basis, m, m, (slong)m);
    json_t *comps = json_array();
    json_t *out = NULL;
    if (rc == IDC_OK && found) {
        out = json_pack("{s:I}", "basis_prime", (json_int_t)p);
        for (size_t j = 0; j < g->ncomp && rc == IDC_OK && out != NULL; j++) {
            const idc_component *c = &g->comp[j];
            size_t s = c->nsupport;
            if (s == 0) {
                json_array_append_new(comps, json_pack("{s:I,s:[]}", "component", (json_int_t)j, "cols"));
                continue;
            }
            rc = idc_qmat_minor_find_d(&found, &p, rows, cols, c->frame_L, s, c->rank, (slong)s);
            if (rc == IDC_OK && !found) {
                json_decref(out);
                out = NULL;
            } else if (rc == IDC_OK) {
                json_array_append_new(comps, json_pack("{s:I,s:I,s:o}", "component", (json_int_t)j, "prime",
                                                       (json_int_t)p, "cols", idc_cert_json_slongs(cols, (slong)s)));
            }
        }
    }
    if (rc == IDC_OK && out != NULL)
        json_object_set_new(out, "components", json_incref(comps));
    json_decref(comps);
    flint_free(rows);
    flint_free(cols);
    if (rc != IDC_OK) {
        json_decref(out);
        return idc_err_set(err, rc, "A3.6: rank certificate search failed");
    }
    *w = out;
    return IDC_OK;
}

int idc_pre_a36(idc_pre_result *res, const idc_pdgmm *g, const char *hash, const idc_budget *budget,
                idc_err *err)
{
    /* Route 1: P1nd's per-component nonsingularity evidence. */
    idc_pre_result nd;
    idc_pre_result_init(&nd);
    int rc = idc_pre_p1nd(&nd, g, hash, budget, err);
    if (rc != IDC_OK) {
        idc_pre_result_clear(&nd);
        return rc;
    }
    json_t *evidence = nd.verdict == IDC_HOLDS ? json_object_get(json_object_get(nd.cert, "witness"), "components")
                                               : NULL;
    if (evidence != NULL) {
        json_t *cert = idc_cert_new("A3.6", IDC_HOLDS, hash, "nondegenerate", A36_SOURCE,
                                    json_pack("{s:O}", "components", evidence));
        idc_pre_result_clear(&nd);
        if (cert == NULL)
            return idc_err_set(err, IDC_ENOMEM, "out of memory");
        idc_pre_result_set(res, "A3.6", IDC_HOLDS, cert,
                           "every Sigma_j is nonsingular, so every support is R^m (exact)");
        return IDC_OK;
    }
    idc_pre_result_clear(&nd);
    /* Route 2: a declared frame. */
    json_t *w;
    rc = frame_route(&w, g, err);
    if (rc != IDC_OK)
        return rc;
    if (w != NULL) {
        json_t *cert = idc_cert_new("A3.6", IDC_HOLDS, hash, "frame-basis", A36_SOURCE, w);
        if (cert == NULL)
            return idc_err_set(err, IDC_ENOMEM, "out of memory");
        idc_pre_result_set(res, "A3.6", IDC_HOLDS, cert,
                           "the declared frame: basis B nonsingular, each factor spans its coordinate block, "
                           "common point t (exact)");
        return IDC_OK;
    }
    /* FAILS: a distributivity violation among three directions. */
    size_t J = g->ncomp;
    slong m = (slong)g->dim;
    fmpq_mat_struct *V = flint_malloc(J * sizeof *V);
    size_t loaded = 0;
    for (size_t j = 0; j < J && rc == IDC_OK; j++, loaded++) {
        const idc_component *c = &g->comp[j];
        if (c->form == IDC_COMP_COVARIANCE) {
            fmpq_mat_init(V + j, m, m);
            rc = idc_pdgmm_exact_sigma(V + j, g, j);
        } else {
            fmpq_mat_init(V + j, m, (slong)c->rank);
            rc = idc_pdgmm_exact_factor(V + j, g, j);
        }
        if (rc != IDC_OK)
            rc = idc_err_set(err, IDC_EINVAL, "model.components[%zu]: non-finite or malformed data", j);
    }
    /* FAILS: no common point. x - D_j a_j = mu_j for all j, unknowns (x, a_j). */
    json_t *fw = NULL;
    const char *fmethod = "distributivity";
    if (rc == IDC_OK) {
        slong cols = m;
        for (size_t j = 0; j < J; j++)
            cols += V[j].c;
        fmpq_mat_t A, bvec, fw_vec, mu;
        fmpq_mat_init(A, (slong)J * m, cols);
        fmpq_mat_init(bvec, (slong)J * m, 1);
        fmpq_mat_init(fw_vec, (slong)J * m, 1);
        fmpq_mat_init(mu, m, 1);
        slong off = m;
        for (size_t j = 0; j < J && rc == IDC_OK; j++) {
            if (idc_pdgmm_exact_mean(mu, g, j) != IDC_OK) {
                rc = idc_err_set(err, IDC_EINVAL, "model.components[%zu]: non-finite mean", j);
                break;
            }
            for (slong i = 0; i < m; i++) {
                slong row = (slong)j * m + i;
                fmpq_one(fmpq_mat_entry(A, row, i));
                for (slong k = 0; k < V[j].c; k++)
                    fmpq_neg(fmpq_mat_entry(A, row, off + k), fmpq_mat_entry(V + j, i, k));
                fmpq_set(fmpq_mat_entry(bvec, row, 0), fmpq_mat_entry(mu, i, 0));
            }
            off += V[j].c;
        }
        if (rc == IDC_OK && idc_qspace_fredholm(fw_vec, A, bvec)) {
            fw = json_pack("{s:o}", "w", idc_cert_json_fmpq_col(fw_vec, 0));
            fmethod = "no-common-point";
        }
        fmpq_mat_clear(A);
        fmpq_mat_clear(bvec);
        fmpq_mat_clear(fw_vec);
        fmpq_mat_clear(mu);
    }
    double deadline = idc_budget_deadline(budget);
    int timed_out = 0;
    for (size_t a = 0; a < J && rc == IDC_OK && fw == NULL && !timed_out; a++)
        for (size_t b = 0; b < J && fw == NULL && !timed_out; b++)
            for (size_t c = b + 1; c < J && fw == NULL; c++) {
                if (a == b || a == c)
                    continue;
                if (idc_budget_expired(deadline)) {
                    timed_out = 1;
                    break;
                }
                fmpq_mat_t bc, lhs, ab, ac, rhs;
                idc_qspace_sum(bc, V + b, V + c);
                idc_qspace_intersect(lhs, V + a, bc);
                idc_qspace_intersect(ab, V + a, V + b);
                idc_qspace_intersect(ac, V + a, V + c);
                idc_qspace_sum(rhs, ab, ac);
                slong dl = idc_qspace_dim(lhs), dr = idc_qspace_dim(rhs);
                if (dl > dr)
                    fw = json_pack("{s:[I,I,I],s:I,s:I}", "abc", (json_int_t)a, (json_int_t)b, (json_int_t)c,
                                   "dim_lhs", (json_int_t)dl, "dim_rhs", (json_int_t)dr);
                fmpq_mat_clear(bc);
                fmpq_mat_clear(lhs);
                fmpq_mat_clear(ab);
                fmpq_mat_clear(ac);
                fmpq_mat_clear(rhs);
            }
    for (size_t j = 0; j < loaded; j++)
        fmpq_mat_clear(V + j);
    flint_free(V);
    if (rc != IDC_OK) {
        json_decref(fw);
        return rc;
    }
    if (fw != NULL && strcmp(fmethod, "no-common-point") == 0) {
        json_t *cert = idc_cert_new("A3.6", IDC_FAILS, hash, fmethod, A36_SOURCE, fw);
        if (cert == NULL)
            return idc_err_set(err, IDC_ENOMEM, "out of memory");
        idc_pre_result_set(res, "A3.6", IDC_FAILS, cert,
                           "the supports have no common point (exact Fredholm certificate)");
        return IDC_OK;
    }
    if (fw != NULL) {
        json_int_t a = json_integer_value(json_array_get(json_object_get(fw, "abc"), 0));
        json_int_t b = json_integer_value(json_array_get(json_object_get(fw, "abc"), 1));
        json_int_t c = json_integer_value(json_array_get(json_object_get(fw, "abc"), 2));
        json_t *cert = idc_cert_new("A3.6", IDC_FAILS, hash, "distributivity", A36_SOURCE, fw);
        if (cert == NULL)
            return idc_err_set(err, IDC_ENOMEM, "out of memory");
        idc_pre_result_set(res, "A3.6", IDC_FAILS, cert,
                           "V_%lld ∩ (V_%lld + V_%lld) is larger than (V_%lld ∩ V_%lld) + (V_%lld ∩ V_%lld): no "
                           "common basis (exact dimensions)",
                           (long long)a, (long long)b, (long long)c, (long long)a, (long long)b, (long long)a,
                           (long long)c);
        return IDC_OK;
    }
    if (timed_out) {
        idc_pre_result_set(res, "A3.6", IDC_UNKNOWN, NULL, "time budget exhausted in the distributivity search");
        return IDC_OK;
    }
    idc_pre_result_set(res, "A3.6", IDC_UNKNOWN, NULL,
                       "neither sufficient condition applies (all components nondegenerate, or a declared "
                       "frame with full-rank blocks), and no triple of supports violates distributivity; the "
                       "complete lattice criterion is not implemented yet");
    return IDC_OK;
}
