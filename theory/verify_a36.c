/* A3.6 certificates: the verifier's own code (checker: theory/pre_a36.c). */
#include "theory/verify_impl.h"

#include <string.h>

#include "numeric/qspace.h"
#include "theory/cert.h"

/* A3.6 FAILS by distributivity: recomputes both dimensions. */
static int v_a36_fails(vctx *V, const json_t *w)
{
    vcomp *c = idc_v_load_all(V);
    if (c == NULL)
        return IDC_EDOM;
    size_t J = V->g->ncomp;
    slong abc[3];
    int rc = IDC_OK;
    json_t *dl = json_object_get(w, "dim_lhs"), *dr = json_object_get(w, "dim_rhs");
    if (!idc_vget_indices(abc, json_object_get(w, "abc"), 3, (slong)J, 1) || !json_is_integer(dl) || !json_is_integer(dr))
        rc = idc_vfail(V, "A3.6: distributivity witness malformed");
    if (rc == IDC_OK) {
        /* directions V_j = col Sigma_j = col L_j */
        const fmpq_mat_struct *D[3];
        for (int k = 0; k < 3; k++)
            D[k] = idc_v_dirs(&c[abc[k]]);
        fmpq_mat_t bc, lhs, ab, ac, rhs;
        idc_qspace_sum(bc, D[1], D[2]);
        idc_qspace_intersect(lhs, D[0], bc);
        idc_qspace_intersect(ab, D[0], D[1]);
        idc_qspace_intersect(ac, D[0], D[2]);
        idc_qspace_sum(rhs, ab, ac);
        slong l = idc_qspace_dim(lhs), r = idc_qspace_dim(rhs);
        if (l != (slong)json_integer_value(dl) || r != (slong)json_integer_value(dr))
            rc = idc_vfail(V, "A3.6: the claimed dimensions are not the recomputed %ld and %ld", (long)l, (long)r);
        else if (l <= r)
            rc = idc_vfail(V, "A3.6: no distributivity violation (%ld <= %ld)", (long)l, (long)r);
        fmpq_mat_clear(bc);
        fmpq_mat_clear(lhs);
        fmpq_mat_clear(ab);
        fmpq_mat_clear(ac);
        fmpq_mat_clear(rhs);
    }
    idc_v_free_all(c, J);
    return rc;
}

/* A3.6 FAILS by an empty intersection: w^T A = 0 and w^T b != 0 for the
 * system x - D_j a_j = mu_j (recomputed from the model). */
static int v_a36_nopoint(vctx *V, const json_t *w)
{
    vcomp *c = idc_v_load_all(V);
    if (c == NULL)
        return IDC_EDOM;
    size_t J = V->g->ncomp;
    slong m = (slong)V->g->dim;
    fmpq_mat_t wv;
    fmpq_mat_init(wv, (slong)J * m, 1);
    int rc = IDC_OK;
    fmpq_t s;
    fmpq_init(s);
    if (!idc_vget_qvec(wv, json_object_get(w, "w"), (slong)J * m))
        rc = idc_vfail(V, "A3.6: witness.w: expected %ld rationals", (long)J * (long)m);
    /* columns of x: sum_j w_j = 0 coordinatewise */
    for (slong i = 0; i < m && rc == IDC_OK; i++) {
        fmpq_zero(s);
        for (size_t j = 0; j < J; j++)
            fmpq_add(s, s, fmpq_mat_entry(wv, (slong)j * m + i, 0));
        if (!fmpq_is_zero(s))
            rc = idc_vfail(V, "A3.6: w^T A != 0 in column x_%ld", (long)i);
    }
    /* columns of a_j: w_j^T D_j = 0 */
    for (size_t j = 0; j < J && rc == IDC_OK; j++) {
        const fmpq_mat_struct *D = idc_v_dirs(&c[j]);
        for (slong k = 0; k < D->c && rc == IDC_OK; k++) {
            fmpq_zero(s);
            for (slong i = 0; i < m; i++)
                fmpq_addmul(s, fmpq_mat_entry(wv, (slong)j * m + i, 0), fmpq_mat_entry(D, i, k));
            if (!fmpq_is_zero(s))
                rc = idc_vfail(V, "A3.6: w^T A != 0 in a column of component %zu", j);
        }
    }
    if (rc == IDC_OK) {
        fmpq_zero(s);
        for (size_t j = 0; j < J; j++)
            for (slong i = 0; i < m; i++)
                fmpq_addmul(s, fmpq_mat_entry(wv, (slong)j * m + i, 0), fmpq_mat_entry(c[j].mu, i, 0));
        if (fmpq_is_zero(s))
            rc = idc_vfail(V, "A3.6: w^T b = 0: no contradiction");
    }
    fmpq_clear(s);
    fmpq_mat_clear(wv);
    idc_v_free_all(c, J);
    return rc;
}

int idc_v_a36(vctx *V, idc_verdict v, const char *method, const json_t *w)
{
    const idc_pdgmm *g = V->g;
    if (g == NULL)
        return idc_vfail(V, "A3.6: certificate needs the mixture");
    if (v == IDC_FAILS && strcmp(method, "no-common-point") == 0)
        return v_a36_nopoint(V, w);
    if (v == IDC_FAILS)
        return strcmp(method, "distributivity") == 0 ? v_a36_fails(V, w)
                                                      : idc_vfail(V, "A3.6: unknown FAILS method %s", method);
    if (strcmp(method, "nondegenerate") == 0) {
        vcomp *c = idc_v_load_all(V);
        if (c == NULL)
            return IDC_EDOM;
        int rc = idc_v_components(V, json_object_get(w, "components"), c, 1);
        idc_v_free_all(c, g->ncomp);
        return rc;
    }
    if (strcmp(method, "frame-basis") != 0)
        return idc_vfail(V, "A3.6: unknown method %s", method);
    size_t m = g->dim, J = g->ncomp;
    if (!g->has_frame || g->frame_basis == NULL)
        return idc_vfail(V, "A3.6: the model declares no frame");
    mp_limb_t p;
    slong *sel = flint_malloc((m + 1) * sizeof(slong));
    int rc = IDC_OK;
    json_t *pj = json_pack("{s:O}", "prime", json_object_get(w, "basis_prime"));
    for (size_t i = 0; i < m; i++)
        sel[i] = (slong)i;
    if (!idc_vget_prime(&p, pj))
        rc = idc_vfail(V, "A3.6: basis_prime: not an odd prime below 2^62");
    else if (!idc_v_minor_nonzero(g->frame_basis, m, m, sel, p))
        rc = idc_vfail(V, "A3.6: det B is zero mod %lu", (unsigned long)p);
    json_decref(pj);
    json_t *comps = json_object_get(w, "components");
    if (rc == IDC_OK && (!json_is_array(comps) || json_array_size(comps) != J))
        rc = idc_vfail(V, "A3.6: witness.components: expected %zu entries", J);
    for (size_t t = 0; t < J && rc == IDC_OK; t++) {
        json_t *o = json_array_get(comps, t);
        slong j;
        if (!idc_vget_index(&j, o, "component", (slong)t, (slong)t)) {
            rc = idc_vfail(V, "A3.6: components[%zu]: expected component %zu", t, t);
            break;
        }
        const idc_component *c = &g->comp[t];
        if (c->form != IDC_COMP_FRAME || c->rank != c->nsupport) {
            rc = idc_vfail(V, "A3.6: component %zu is not a full-rank frame component", t);
            break;
        }
        if (c->nsupport == 0)
            continue;
        if (!idc_vget_prime(&p, o) || !idc_vget_indices(sel, json_object_get(o, "cols"), (slong)c->nsupport, (slong)c->rank, 1))
            rc = idc_vfail(V, "A3.6: components[%zu]: prime / cols malformed", t);
        else if (!idc_v_minor_nonzero(c->frame_L, c->nsupport, c->rank, sel, p))
            rc = idc_vfail(V, "A3.6: component %zu: the frame factor minor is zero mod %lu", t, (unsigned long)p);
    }
    flint_free(sel);
    return rc;
}

