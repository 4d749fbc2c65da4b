/* A3.6 certificates: the verifier's own code (checker: theory/check/pre_a36.c,
 * whose header documents the witness formats). Methods: "nondegenerate",
 * "frame-basis", "common-basis" (HOLDS); "no-common-point",
 * "distributivity" (FAILS). Exact rational arithmetic only, no search. */
#include "theory/verify/verify_impl.h"

#include <string.h>

#include <flint/fmpz_mat.h>

#include "numeric/qspace.h"
#include "theory/verify.h"

/* The lattice word "intersection of the generators listed in arr" (an
 * array of distinct component indices; empty: R^m) replaces out (any
 * initialised matrix) by spanning columns of it; gen[k] spans generator k.
 * 0 when arr is malformed. */
static int v_meet(fmpq_mat_t out, const json_t *arr, const fmpq_mat_struct *gen, size_t J, slong m)
{
    if (!json_is_array(arr) || json_array_size(arr) > J)
        return 0;
    size_t n = json_array_size(arr);
    slong *idx = flint_malloc((n + 1) * sizeof(slong));
    int ok = idc_vget_indices(idx, arr, (slong)n, (slong)J, 1);
    fmpq_mat_t M;
    fmpq_mat_init(M, m, m);
    fmpq_mat_one(M);
    for (size_t t = 0; t < n && ok; t++) {
        fmpq_mat_t nx;
        idc_qspace_intersect(nx, M, gen + idx[t]);
        fmpq_mat_swap(M, nx);
        fmpq_mat_clear(nx);
    }
    fmpq_mat_swap(out, M);
    fmpq_mat_clear(M);
    flint_free(idx);
    return ok;
}

/* A3.6 FAILS by distributivity: a, b, c rebuilt from their lattice words
 * (b a sum of meets), both dimensions recomputed exactly. The generators
 * are the V_j = col D_j, or with "dual": true their orthogonal complements
 * V_j^⊥ (recomputed here as the annihilators of D_j): W ↦ W^⊥ maps the
 * lattice of the V_j anti-isomorphically onto that of the V_j^⊥, so a
 * violation in either proves the other non-distributive (an empty word is
 * R^m; adjoining a top element never makes a lattice non-distributive). The older
 * witness {"abc": [a, b, c]} reads as a = [a], b = [[b]], c = [c]. */
static int v_a36_fails(vctx *V, const json_t *w)
{
    size_t J = V->g->ncomp;
    slong m = (slong)V->g->dim;
    json_t *legacy = NULL;
    const json_t *abc = json_object_get(w, "abc");
    if (abc != NULL) {
        slong t[3];
        if (!idc_vget_indices(t, abc, 3, (slong)J, 1))
            return idc_vfail(V, "A3.6: distributivity witness malformed");
        legacy = json_pack("{s:[I],s:[[I]],s:[I],s:O,s:O}", "a", (json_int_t)t[0], "b", (json_int_t)t[1], "c",
                           (json_int_t)t[2], "dim_lhs", json_object_get(w, "dim_lhs"), "dim_rhs",
                           json_object_get(w, "dim_rhs"));
        if (legacy == NULL)
            return idc_vfail(V, "A3.6: distributivity witness malformed");
        w = legacy;
    }
    json_t *dl = json_object_get(w, "dim_lhs"), *dr = json_object_get(w, "dim_rhs"), *wb = json_object_get(w, "b");
    if (!json_is_integer(dl) || !json_is_integer(dr) || !json_is_array(wb) || json_array_size(wb) == 0) {
        json_decref(legacy);
        return idc_vfail(V, "A3.6: distributivity witness malformed");
    }
    vcomp *c = idc_v_load_all(V);
    if (c == NULL) {
        json_decref(legacy);
        return IDC_EDOM;
    }
    int rc = IDC_OK;
    json_t *dual = json_object_get(w, "dual");
    int is_dual = json_is_true(dual);
    if (dual != NULL && !json_is_boolean(dual))
        rc = idc_vfail(V, "A3.6: distributivity witness: \"dual\" must be a boolean");
    fmpq_mat_struct *gen = flint_malloc((J > 0 ? J : 1) * sizeof *gen);
    for (size_t j = 0; j < J; j++) {
        const fmpq_mat_struct *D = idc_v_dirs(&c[j]);
        if (is_dual) {
            fmpz_mat_t N;
            idc_qspace_annihilator(N, D);
            fmpq_mat_init(gen + j, m, N->c);
            fmpq_mat_set_fmpz_mat(gen + j, N);
            fmpz_mat_clear(N);
        } else {
            fmpq_mat_init(gen + j, m, D->c);
            fmpq_mat_set(gen + j, D);
        }
    }
    fmpq_mat_t A, B, C, T;
    fmpq_mat_init(A, m, 0);
    fmpq_mat_init(B, m, 0);
    fmpq_mat_init(C, m, 0);
    fmpq_mat_init(T, m, 0);
    int ok = rc == IDC_OK && v_meet(A, json_object_get(w, "a"), gen, J, m) &&
             v_meet(C, json_object_get(w, "c"), gen, J, m);
    for (size_t t = 0; t < json_array_size(wb) && ok; t++) {
        fmpq_mat_t S;
        ok = v_meet(T, json_array_get(wb, t), gen, J, m);
        idc_qspace_sum(S, B, T);
        fmpq_mat_swap(B, S);
        fmpq_mat_clear(S);
    }
    if (!ok && rc == IDC_OK)
        rc = idc_vfail(V, "A3.6: distributivity witness: a lattice word is malformed");
    if (rc == IDC_OK) {
        fmpq_mat_t bc, lhs, ab, ac, rhs;
        idc_qspace_sum(bc, B, C);
        idc_qspace_intersect(lhs, A, bc);
        idc_qspace_intersect(ab, A, B);
        idc_qspace_intersect(ac, A, C);
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
    fmpq_mat_clear(A);
    fmpq_mat_clear(B);
    fmpq_mat_clear(C);
    fmpq_mat_clear(T);
    for (size_t j = 0; j < J; j++)
        fmpq_mat_clear(gen + j);
    flint_free(gen);
    json_decref(legacy);
    idc_v_free_all(c, J);
    return rc;
}

/* A3.6 HOLDS by a common basis: z0 = mu_j + D_j y_j exactly for every j;
 * the m basis vectors have rank m (exact); per component the listed
 * vectors lie in V_j (rank [D_j | listed] = rank D_j, exact) and there are
 * exactly rank D_j of them, so (being independent) they are a basis of V_j. */
static int v_a36_common_basis(vctx *V, const json_t *w)
{
    vcomp *c = idc_v_load_all(V);
    if (c == NULL)
        return IDC_EDOM;
    size_t J = V->g->ncomp;
    slong m = (slong)V->g->dim;
    int rc = IDC_OK;
    json_t *coords = json_object_get(w, "coords"), *basis = json_object_get(w, "basis"),
           *members = json_object_get(w, "members");
    fmpq_mat_t z, y, r, B, col;
    fmpq_mat_init(z, m, 1);
    fmpq_mat_init(r, m, 1);
    fmpq_mat_init(B, m, m);
    fmpq_mat_init(col, m, 1);
    if (!idc_vget_qvec(z, json_object_get(w, "point"), m))
        rc = idc_vfail(V, "A3.6: witness.point: expected %ld rationals", (long)m);
    else if (!json_is_array(coords) || json_array_size(coords) != J || !json_is_array(members) ||
             json_array_size(members) != J)
        rc = idc_vfail(V, "A3.6: witness.coords / members: expected %zu entries", J);
    else if (!json_is_array(basis) || (slong)json_array_size(basis) != m)
        rc = idc_vfail(V, "A3.6: witness.basis: expected %ld vectors", (long)m);
    /* the common point */
    for (size_t j = 0; j < J && rc == IDC_OK; j++) {
        const fmpq_mat_struct *D = idc_v_dirs(&c[j]);
        fmpq_mat_init(y, D->c, 1);
        if (!idc_vget_qvec(y, json_array_get(coords, j), D->c)) {
            rc = idc_vfail(V, "A3.6: witness.coords[%zu]: expected %ld rationals", j, (long)D->c);
        } else {
            if (D->c > 0)
                fmpq_mat_mul(r, D, y);
            else
                fmpq_mat_zero(r);
            fmpq_mat_add(r, r, c[j].mu);
            if (!fmpq_mat_equal(r, z))
                rc = idc_vfail(V, "A3.6: the point is not mu_%zu + D_%zu y_%zu", j, j, j);
        }
        fmpq_mat_clear(y);
    }
    /* the basis */
    for (slong t = 0; t < m && rc == IDC_OK; t++) {
        if (!idc_vget_qvec(col, json_array_get(basis, (size_t)t), m))
            rc = idc_vfail(V, "A3.6: witness.basis[%ld]: expected %ld rationals", (long)t, (long)m);
        for (slong i = 0; i < m && rc == IDC_OK; i++)
            fmpq_set(fmpq_mat_entry(B, i, t), fmpq_mat_entry(col, i, 0));
    }
    if (rc == IDC_OK && idc_qspace_dim(B) != m)
        rc = idc_vfail(V, "A3.6: the basis vectors are linearly dependent");
    /* per component: the listed vectors span V_j */
    slong *sel = flint_malloc((size_t)(m + 1) * sizeof(slong));
    for (size_t j = 0; j < J && rc == IDC_OK; j++) {
        const fmpq_mat_struct *D = idc_v_dirs(&c[j]);
        json_t *lj = json_array_get(members, j);
        slong dj = idc_qspace_dim(D);
        if (!json_is_array(lj) || (slong)json_array_size(lj) != dj) {
            rc = idc_vfail(V, "A3.6: witness.members[%zu]: expected dim V_%zu = %ld indices", j, j, (long)dj);
            break;
        }
        if (!idc_vget_indices(sel, lj, dj, m, 1)) {
            rc = idc_vfail(V, "A3.6: witness.members[%zu]: indices malformed or repeated", j);
            break;
        }
        fmpq_mat_t S;
        fmpq_mat_init(S, m, D->c + dj);
        for (slong i = 0; i < m; i++) {
            for (slong k = 0; k < D->c; k++)
                fmpq_set(fmpq_mat_entry(S, i, k), fmpq_mat_entry(D, i, k));
            for (slong k = 0; k < dj; k++)
                fmpq_set(fmpq_mat_entry(S, i, D->c + k), fmpq_mat_entry(B, i, sel[k]));
        }
        if (idc_qspace_dim(S) != dj)
            rc = idc_vfail(V, "A3.6: a vector listed for component %zu is not in V_%zu", j, j);
        fmpq_mat_clear(S);
    }
    flint_free(sel);
    fmpq_mat_clear(z);
    fmpq_mat_clear(r);
    fmpq_mat_clear(B);
    fmpq_mat_clear(col);
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
    if (strcmp(method, "common-basis") == 0)
        return v_a36_common_basis(V, w);
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

