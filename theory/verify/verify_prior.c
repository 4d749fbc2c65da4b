/* Prior certificates: P1 ("reduced-form"), P1nd
 * ("reduced-form+nondegenerate") and PD ("reduced-form+psd"). Formats:
 * theory/cert.h. */
#include "theory/verify/verify_impl.h"
#include "theory/verify.h"

#include <stdlib.h>
#include <string.h>

#include <flint/nmod_mat.h>

#include "numeric/dq.h"

/* Checks one difference record between components p and q: the entry, its
 * two claimed values, and (chain) that everything before it is equal and
 * p's value is the smaller. */
static int v_diff(vctx *V, const json_t *o, const vcomp *P, const vcomp *Q, slong m, int chain)
{
    const char *entry = json_string_value(json_object_get(o, "entry"));
    json_t *idx = json_object_get(o, "index"), *vals = json_object_get(o, "values");
    if (entry == NULL || !json_is_array(idx) || !json_is_array(vals) || json_array_size(vals) != 2)
        return idc_vfail(V, "P1: malformed difference record");
    int sig = strcmp(entry, "sigma") == 0;
    if (!sig && strcmp(entry, "mean") != 0)
        return idc_vfail(V, "P1: entry must be \"mean\" or \"sigma\"");
    slong ix[2];
    if (!idc_vget_indices(ix, idx, sig ? 2 : 1, m, 0))
        return idc_vfail(V, "P1: index out of range");
    if (sig && chain && ix[0] > ix[1])
        return idc_vfail(V, "P1: chain positions use the upper triangle (a <= b)");
    fmpq_t a, b, ca, cb;
    fmpq_init(a);
    fmpq_init(b);
    fmpq_init(ca);
    fmpq_init(cb);
    int rc = IDC_OK;
    if (sig) {
        idc_v_sigma(a, P, ix[0], ix[1]);
        idc_v_sigma(b, Q, ix[0], ix[1]);
    } else {
        fmpq_set(a, fmpq_mat_entry(P->mu, ix[0], 0));
        fmpq_set(b, fmpq_mat_entry(Q->mu, ix[0], 0));
    }
    if (idc_cert_get_fmpq(ca, json_array_get(vals, 0)) != IDC_OK ||
        idc_cert_get_fmpq(cb, json_array_get(vals, 1)) != IDC_OK)
        rc = idc_vfail(V, "P1: values: expected two rationals");
    else if (!fmpq_equal(a, ca) || !fmpq_equal(b, cb))
        rc = idc_vfail(V, "P1: the claimed values are not the model's");
    else if (fmpq_equal(a, b))
        rc = idc_vfail(V, "P1: the claimed entry does not differ");
    else if (chain && fmpq_cmp(a, b) > 0)
        rc = idc_vfail(V, "P1: chain not increasing");
    if (rc == IDC_OK && chain) {
        /* every position before the link is equal */
        slong mlim = sig ? m : ix[0];
        for (slong i = 0; i < mlim && rc == IDC_OK; i++)
            if (!fmpq_equal(fmpq_mat_entry(P->mu, i, 0), fmpq_mat_entry(Q->mu, i, 0)))
                rc = idc_vfail(V, "P1: chain link is not the first difference (mean %ld)", (long)i);
        for (slong s = 0; sig && rc == IDC_OK && s <= ix[0]; s++)
            for (slong t = s; t < m && rc == IDC_OK; t++) {
                if (s == ix[0] && t >= ix[1])
                    break;
                idc_v_sigma(ca, P, s, t);
                idc_v_sigma(cb, Q, s, t);
                if (!fmpq_equal(ca, cb))
                    rc = idc_vfail(V, "P1: chain link is not the first difference (sigma %ld,%ld)", (long)s,
                               (long)t);
            }
    }
    fmpq_clear(a);
    fmpq_clear(b);
    fmpq_clear(ca);
    fmpq_clear(cb);
    return rc;
}

/* P1 witness (HOLDS: pairs or chain; FAILS: weight or duplicate). */
static int v_p1(vctx *V, idc_verdict v, const json_t *w, const vcomp *c)
{
    const idc_pdgmm *g = V->g;
    size_t J = g->ncomp;
    slong m = (slong)g->dim;
    if (v == IDC_FAILS) {
        const char *why = json_string_value(json_object_get(w, "reason"));
        if (why != NULL && strcmp(why, "weight") == 0) {
            slong j;
            fmpq_t q, wt;
            fmpq_init(q);
            fmpq_init(wt);
            int rc = IDC_OK;
            if (!idc_vget_index(&j, w, "component", 0, (slong)J - 1) || !idc_vget_q(q, w, "weight"))
                rc = idc_vfail(V, "P1: malformed weight witness");
            else if (idc_dq_fmpq_set_d(wt, g->comp[j].weight) != IDC_OK || !fmpq_equal(q, wt))
                rc = idc_vfail(V, "P1: witness.weight is not component %ld's weight", (long)j);
            else if (fmpq_sgn(wt) > 0)
                rc = idc_vfail(V, "P1: weight of component %ld is positive", (long)j);
            fmpq_clear(q);
            fmpq_clear(wt);
            return rc;
        }
        if (why != NULL && strcmp(why, "duplicate") == 0) {
            slong jk[2];
            if (!idc_vget_indices(jk, json_object_get(w, "components"), 2, (slong)J, 1))
                return idc_vfail(V, "P1: witness.components: expected two distinct component indices");
            const vcomp *P = &c[jk[0]], *Q = &c[jk[1]];
            if (!fmpq_mat_equal(P->mu, Q->mu))
                return idc_vfail(V, "P1: components %ld and %ld have different means", (long)jk[0], (long)jk[1]);
            fmpq_t a, b;
            fmpq_init(a);
            fmpq_init(b);
            int rc = IDC_OK;
            for (slong s = 0; s < m && rc == IDC_OK; s++)
                for (slong t = 0; t < m && rc == IDC_OK; t++) {
                    idc_v_sigma(a, P, s, t);
                    idc_v_sigma(b, Q, s, t);
                    if (!fmpq_equal(a, b))
                        rc = idc_vfail(V, "P1: components %ld and %ld have different Sigma at (%ld,%ld)",
                                   (long)jk[0], (long)jk[1], (long)s, (long)t);
                }
            fmpq_clear(a);
            fmpq_clear(b);
            return rc;
        }
        return idc_vfail(V, "P1: unknown FAILS reason");
    }
    for (size_t j = 0; j < J; j++)
        if (!(g->comp[j].weight > 0.0))
            return idc_vfail(V, "P1: component %zu has a non-positive weight", j);
    json_t *pairs = json_object_get(w, "pairs"), *chain = json_object_get(w, "chain");
    int rc = IDC_OK;
    if (pairs != NULL) {
        if (!json_is_array(pairs) || json_array_size(pairs) != J * (J - 1) / 2)
            return idc_vfail(V, "P1: witness.pairs: expected %zu pairs", J * (J - 1) / 2);
        unsigned char *seen = idc_calloc(J * J, 1);
        if (seen == NULL)
            return idc_vfail(V, "out of memory");
        for (size_t t = 0; t < json_array_size(pairs) && rc == IDC_OK; t++) {
            json_t *o = json_array_get(pairs, t);
            slong j, k;
            if (!idc_vget_index(&j, o, "j", 0, (slong)J - 1) || !idc_vget_index(&k, o, "k", 0, (slong)J - 1) || j >= k)
                rc = idc_vfail(V, "P1: pairs[%zu]: expected j < k component indices", t);
            else if (seen[(size_t)j * J + (size_t)k]++)
                rc = idc_vfail(V, "P1: pair (%ld,%ld) listed twice", (long)j, (long)k);
            else
                rc = v_diff(V, o, &c[j], &c[k], m, 0);
        }
        free(seen);
        return rc;
    }
    if (chain != NULL) {
        slong *ord = flint_malloc(J * sizeof(slong));
        json_t *links = json_object_get(chain, "links");
        if (!idc_vget_indices(ord, json_object_get(chain, "order"), (slong)J, (slong)J, 1))
            rc = idc_vfail(V, "P1: chain.order: expected a permutation of the components");
        else if (!json_is_array(links) || json_array_size(links) + 1 != J)
            rc = idc_vfail(V, "P1: chain.links: expected %zu links", J - 1);
        for (size_t t = 0; t + 1 < J && rc == IDC_OK; t++)
            rc = v_diff(V, json_array_get(links, t), &c[ord[t]], &c[ord[t + 1]], m, 1);
        flint_free(ord);
        return rc;
    }
    return idc_vfail(V, "P1: witness has neither pairs nor chain");
}

/* A covariance component's pivots: recomputed and compared; positive when
 * strict. */
static int v_pivots(vctx *V, const json_t *arr, const vcomp *c, slong j, int strict)
{
    slong m = c->S->r;
    fmpq_mat_t given;
    fmpq_mat_init(given, m, 1);
    fmpq *piv = _fmpq_vec_init(m);
    int rc = IDC_OK;
    if (!idc_vget_qvec(given, arr, m))
        rc = idc_vfail(V, "component %ld: pivots: expected %ld rationals", (long)j, (long)m);
    else if (!idc_v_schur(piv, c->S))
        rc = idc_vfail(V, "component %ld: Sigma is not positive semidefinite", (long)j);
    for (slong k = 0; k < m && rc == IDC_OK; k++) {
        if (!fmpq_equal(piv + k, fmpq_mat_entry(given, k, 0)))
            rc = idc_vfail(V, "component %ld: pivot %ld differs from the recomputed one", (long)j, (long)k);
        else if (strict && fmpq_sgn(piv + k) <= 0)
            rc = idc_vfail(V, "component %ld: pivot %ld is not positive", (long)j, (long)k);
    }
    _fmpq_vec_clear(piv, m);
    fmpq_mat_clear(given);
    return rc;
}

static const char *v_form_name(idc_comp_form f)
{
    return f == IDC_COMP_FRAME ? "frame" : (f == IDC_COMP_COVARIANCE ? "covariance" : "factor");
}

/* Per-component HOLDS evidence of P1nd (strict) or PD. */
int idc_v_components(vctx *V, const json_t *arr, const vcomp *c, int strict)
{
    size_t J = V->g->ncomp;
    slong m = (slong)V->g->dim;
    if (!json_is_array(arr) || json_array_size(arr) != J)
        return idc_vfail(V, "witness.components: expected %zu entries", J);
    unsigned char *seen = idc_calloc(J, 1);
    if (seen == NULL)
        return idc_vfail(V, "out of memory");
    int rc = IDC_OK;
    for (size_t t = 0; t < J && rc == IDC_OK; t++) {
        json_t *o = json_array_get(arr, t);
        slong j;
        if (!idc_vget_index(&j, o, "component", 0, (slong)J - 1) || seen[j]++) {
            rc = idc_vfail(V, "components[%zu]: missing or repeated component index", t);
            break;
        }
        const vcomp *x = &c[j];
        const char *form = json_string_value(json_object_get(o, "form"));
        if (form == NULL || strcmp(form, v_form_name(x->form)) != 0) {
            rc = idc_vfail(V, "components[%zu]: form does not match component %ld", t, (long)j);
            break;
        }
        if (x->form == IDC_COMP_COVARIANCE) {
            rc = v_pivots(V, json_object_get(o, "pivots"), x, j, strict);
            continue;
        }
        if (!strict)
            continue; /* L L^T is PSD for every L */
        mp_limb_t p;
        slong *cols = flint_malloc((size_t)m * sizeof(slong));
        if (!idc_vget_prime(&p, o))
            rc = idc_vfail(V, "components[%zu].prime: not an odd prime below 2^62", t);
        else if (x->r < m || !idc_vget_indices(cols, json_object_get(o, "cols"), m, x->r, 1))
            rc = idc_vfail(V, "components[%zu].cols: expected %ld distinct columns of L", t, (long)m);
        else {
            nmod_mat_t M;
            nmod_mat_init(M, m, m, p);
            for (slong a = 0; a < m && rc == IDC_OK; a++)
                for (slong b = 0; b < m && rc == IDC_OK; b++)
                    if (idc_dq_fmpq_nmod(&nmod_mat_entry(M, a, b), fmpq_mat_entry(x->L, a, cols[b]),
                                         M->mod) != IDC_OK)
                        rc = idc_vfail(V, "component %ld: L has no image mod %lu", (long)j, (unsigned long)p);
            if (rc == IDC_OK && nmod_mat_det(M) == 0)
                rc = idc_vfail(V, "component %ld: the m x m minor of L is zero mod %lu", (long)j,
                           (unsigned long)p);
            nmod_mat_clear(M);
        }
        flint_free(cols);
    }
    free(seen);
    return rc;
}

/* FAILS evidence of one component: singular (kernel) or indefinite. */
static int v_comp_fail(vctx *V, const json_t *w, const vcomp *c, int allow_singular)
{
    const char *why = json_string_value(json_object_get(w, "reason"));
    size_t J = V->g->ncomp;
    slong m = (slong)V->g->dim, j;
    if (!idc_vget_index(&j, w, "component", 0, (slong)J - 1))
        return idc_vfail(V, "witness.component: out of range");
    const vcomp *x = &c[j];
    fmpq_mat_t v;
    fmpq_mat_init(v, m, 1);
    fmpq_t q, a, t;
    fmpq_init(q);
    fmpq_init(a);
    fmpq_init(t);
    int rc = IDC_OK;
    if (why != NULL && strcmp(why, "singular") == 0 && allow_singular) {
        if (!idc_vget_qvec(v, json_object_get(w, "kernel"), m) || fmpq_mat_is_zero(v))
            rc = idc_vfail(V, "witness.kernel: expected a nonzero vector of %ld rationals", (long)m);
        /* Sigma v = 0; for factor forms L^T v = 0 is equivalent */
        else if (x->form == IDC_COMP_COVARIANCE) {
            for (slong i = 0; i < m && rc == IDC_OK; i++) {
                fmpq_zero(q);
                for (slong k = 0; k < m; k++)
                    fmpq_addmul(q, fmpq_mat_entry(x->S, i, k), fmpq_mat_entry(v, k, 0));
                if (!fmpq_is_zero(q))
                    rc = idc_vfail(V, "component %ld: Sigma v != 0 (row %ld)", (long)j, (long)i);
            }
        } else {
            for (slong k = 0; k < x->r && rc == IDC_OK; k++) {
                fmpq_zero(q);
                for (slong i = 0; i < m; i++)
                    fmpq_addmul(q, fmpq_mat_entry(x->L, i, k), fmpq_mat_entry(v, i, 0));
                if (!fmpq_is_zero(q))
                    rc = idc_vfail(V, "component %ld: L^T v != 0 (column %ld)", (long)j, (long)k);
            }
        }
    } else if (why != NULL && strcmp(why, "indefinite") == 0) {
        if (!idc_vget_qvec(v, json_object_get(w, "vector"), m) || !idc_vget_q(a, w, "value"))
            rc = idc_vfail(V, "witness.vector / witness.value: malformed");
        else {
            for (slong s = 0; s < m; s++)
                for (slong u = 0; u < m; u++) {
                    idc_v_sigma(t, x, s, u);
                    fmpq_mul(t, t, fmpq_mat_entry(v, s, 0));
                    fmpq_addmul(q, t, fmpq_mat_entry(v, u, 0));
                }
            if (!fmpq_equal(q, a))
                rc = idc_vfail(V, "component %ld: v^T Sigma v is not the claimed value", (long)j);
            else if (fmpq_sgn(q) >= 0)
                rc = idc_vfail(V, "component %ld: v^T Sigma v is not negative", (long)j);
        }
    } else {
        rc = idc_vfail(V, "unknown FAILS reason");
    }
    fmpq_clear(q);
    fmpq_clear(a);
    fmpq_clear(t);
    fmpq_mat_clear(v);
    return rc;
}

int idc_v_prior(vctx *V, const char *id, idc_verdict v, const char *method, const json_t *w)
{
    static const char *const methods[] = {"reduced-form", "reduced-form+nondegenerate", "reduced-form+psd"};
    int fam = strcmp(id, "P1") == 0 ? 0 : (strcmp(id, "P1nd") == 0 ? 1 : 2);
    if (strcmp(method, methods[fam]) != 0)
        return idc_vfail(V, "%s: unknown method %s", id, method);
    vcomp *c = idc_v_load_all(V);
    if (c == NULL)
        return IDC_EDOM;
    int rc;
    if (fam == 0) {
        rc = v_p1(V, v, w, c);
    } else if (v == IDC_HOLDS) {
        rc = v_p1(V, IDC_HOLDS, json_object_get(w, "reduced_form"), c);
        if (rc == IDC_OK)
            rc = idc_v_components(V, json_object_get(w, "components"), c, fam == 1);
    } else {
        const char *why = json_string_value(json_object_get(w, "reason"));
        if (why != NULL && strcmp(why, "P1") == 0)
            rc = v_p1(V, IDC_FAILS, json_object_get(w, "p1"), c);
        else
            rc = v_comp_fail(V, w, c, fam == 1);
    }
    idc_v_free_all(c, V->g->ncomp);
    return rc;
}
