/* I-ii / I-iii / I-T2 certificates: the verifier's own code (checker:
 * theory/check/pre_ivae.c, which documents the reading and the formats). Every
 * claim is recomputed from the model: the factorial structure, the table of
 * varying natural parameters, k, and the determinant or kernel claimed. */
#include "theory/verify/verify_impl.h"

#include <stdlib.h>
#include <string.h>

#include "models/instance.h"
#include "theory/verify.h"

/* Natural parameter of statistic st (0: z, 1: z^2) of coordinate i. */
static void v_nat(fmpq_t out, const vcomp *c, slong i, int st)
{
    fmpq_t s;
    fmpq_init(s);
    idc_v_sigma(s, c, i, i);
    if (st == 0) {
        fmpq_div(out, fmpq_mat_entry(c->mu, i, 0), s);
    } else {
        fmpq_mul_si(out, s, -2);
        fmpq_inv(out, out);
    }
    fmpq_clear(s);
}

/* Column c of the nk-vector: its coordinate and statistic. */
static int v_col(slong c, int k, const int *vary, slong *coord)
{
    *coord = c / k;
    if (k == 2)
        return (int)(c % 2);
    return vary[*coord] == 1 ? 0 : 1;
}

/* The model must be factorial Gaussian with the label observed; recomputes
 * the varying table and k and compares them with the witness. */
static int v_structure(vctx *V, const vcomp *c, const json_t *w, int *vary, int *k)
{
    const idc_pdgmm *g = V->g;
    size_t J = g->ncomp;
    slong m = (slong)g->dim;
    if (V->aux != IDC_AUX_LABEL)
        return idc_vfail(V, "the model does not declare u = the component label");
    fmpq_t e, a, b;
    fmpq_init(e);
    fmpq_init(a);
    fmpq_init(b);
    int rc = IDC_OK;
    for (size_t u = 0; u < J && rc == IDC_OK; u++)
        for (slong i = 0; i < m && rc == IDC_OK; i++)
            for (slong j = 0; j < m && rc == IDC_OK; j++) {
                idc_v_sigma(e, &c[u], i, j);
                if (i == j ? fmpq_sgn(e) <= 0 : !fmpq_is_zero(e))
                    rc = idc_vfail(V, "component %zu is not a factorial Gaussian (entry %ld, %ld)", u, (long)i,
                                   (long)j);
            }
    *k = 1;
    for (slong i = 0; i < m && rc == IDC_OK; i++) {
        vary[i] = 0;
        for (int st = 0; st < 2; st++) {
            v_nat(a, &c[0], i, st);
            for (size_t u = 1; u < J; u++) {
                v_nat(b, &c[u], i, st);
                if (!fmpq_equal(a, b)) {
                    vary[i] |= 1 << st;
                    break;
                }
            }
        }
        if (vary[i] == 3)
            *k = 2;
    }
    json_t *wv = json_object_get(w, "varying");
    slong wk;
    if (rc == IDC_OK && (!idc_vget_index(&wk, w, "k", 1, 2) || wk != *k))
        rc = idc_vfail(V, "witness.k is not the recomputed k = %d", *k);
    if (rc == IDC_OK && (!json_is_array(wv) || (slong)json_array_size(wv) != m))
        rc = idc_vfail(V, "witness.varying: expected %ld entries", (long)m);
    for (slong i = 0; i < m && rc == IDC_OK; i++) {
        json_t *x = json_array_get(wv, (size_t)i);
        if (!json_is_integer(x) || json_integer_value(x) != vary[i])
            rc = idc_vfail(V, "witness.varying[%ld] is not the recomputed %d", (long)i, vary[i]);
    }
    fmpq_clear(e);
    fmpq_clear(a);
    fmpq_clear(b);
    return rc;
}

static int v_iii(vctx *V, idc_verdict v, const char *method, const json_t *w, const vcomp *c, const int *vary, int k)
{
    size_t J = V->g->ncomp;
    slong nk = (slong)V->g->dim * k, base;
    if (!idc_vget_index(&base, w, "base", 0, (slong)J - 1))
        return idc_vfail(V, "I-iii: witness.base: expected a component index");
    fmpq_t a, b, s;
    fmpq_init(a);
    fmpq_init(b);
    fmpq_init(s);
    int rc = IDC_OK;
    if (v == IDC_HOLDS && strcmp(method, "natural-parameters") == 0) {
        slong *rows = malloc(((size_t)nk + 1) * sizeof *rows);
        fmpq_mat_t L;
        fmpq_mat_init(L, nk, nk);
        if (rows == NULL || !idc_vget_indices(rows, json_object_get(w, "rows"), nk, (slong)J, 1))
            rc = idc_vfail(V, "I-iii: witness.rows: expected %ld distinct component indices", (long)nk);
        for (slong r = 0; r < nk && rc == IDC_OK; r++) {
            if (rows[r] == base) {
                rc = idc_vfail(V, "I-iii: witness.rows repeats the base u^0");
                break;
            }
            for (slong col = 0; col < nk; col++) {
                slong i;
                int st = v_col(col, k, vary, &i);
                v_nat(a, &c[rows[r]], i, st);
                v_nat(b, &c[base], i, st);
                fmpq_sub(fmpq_mat_entry(L, r, col), a, b);
            }
        }
        if (rc == IDC_OK) {
            fmpq_mat_det(s, L);
            if (fmpq_is_zero(s))
                rc = idc_vfail(V, "I-iii: the claimed matrix L is singular");
        }
        fmpq_mat_clear(L);
        free(rows);
    } else if (v == IDC_FAILS && strcmp(method, "hyperplane") == 0) {
        fmpq_mat_t x;
        fmpq_mat_init(x, nk, 1);
        if (!idc_vget_qvec(x, json_object_get(w, "v"), nk) || fmpq_mat_is_zero(x))
            rc = idc_vfail(V, "I-iii: witness.v: expected %ld rationals, not all zero", (long)nk);
        for (size_t u = 0; u < J && rc == IDC_OK; u++) {
            fmpq_zero(s);
            for (slong col = 0; col < nk; col++) {
                slong i;
                int st = v_col(col, k, vary, &i);
                v_nat(a, &c[u], i, st);
                v_nat(b, &c[base], i, st);
                fmpq_sub(a, a, b);
                fmpq_addmul(s, a, fmpq_mat_entry(x, col, 0));
            }
            if (!fmpq_is_zero(s))
                rc = idc_vfail(V, "I-iii: (lambda(u) - lambda(u0)) . v != 0 for u = %zu", u);
        }
        fmpq_mat_clear(x);
    } else {
        rc = idc_vfail(V, "I-iii: unknown method %s for %s", method, idc_verdict_name(v));
    }
    fmpq_clear(a);
    fmpq_clear(b);
    fmpq_clear(s);
    return rc;
}

int idc_v_ivae(vctx *V, const char *id, idc_verdict v, const char *method, const json_t *w)
{
    if (V->g == NULL)
        return idc_vfail(V, "%s: certificate needs the mixture", id);
    if (V->aux < 0)
        return idc_vfail(V, "%s: certificate needs the whole instance (the auxiliary variable)", id);
    if (v == IDC_FAILS && strcmp(id, "I-iii") == 0 && strcmp(method, "no-auxiliary") == 0)
        return V->aux == IDC_AUX_NONE ? IDC_OK : idc_vfail(V, "I-iii: the model does declare an auxiliary variable");
    vcomp *c = idc_v_load_all(V);
    if (c == NULL)
        return IDC_EDOM;
    size_t J = V->g->ncomp;
    slong m = (slong)V->g->dim;
    int rc = IDC_OK;
    if (v == IDC_FAILS && strcmp(id, "I-iii") == 0 && strcmp(method, "not-factorial") == 0) {
        slong u, i, j;
        fmpq_t e;
        fmpq_init(e);
        if (V->aux != IDC_AUX_LABEL || !idc_vget_index(&u, w, "component", 0, (slong)J - 1) ||
            !idc_vget_index(&i, w, "i", 0, m - 1) || !idc_vget_index(&j, w, "j", 0, m - 1))
            rc = idc_vfail(V, "I-iii: not-factorial witness malformed");
        if (rc == IDC_OK) {
            idc_v_sigma(e, &c[u], i, j);
            if (i == j ? fmpq_sgn(e) > 0 : fmpq_is_zero(e))
                rc = idc_vfail(V, "I-iii: Sigma_%ld entry (%ld, %ld) does not break factorial structure", (long)u,
                               (long)i, (long)j);
        }
        fmpq_clear(e);
        idc_v_free_all(c, J);
        return rc;
    }
    int *vary = calloc((size_t)m + 1, sizeof *vary), k = 1;
    rc = vary == NULL ? idc_vfail(V, "out of memory") : v_structure(V, c, w, vary, &k);
    if (rc == IDC_OK) {
        if (strcmp(id, "I-iii") == 0) {
            rc = v_iii(V, v, method, w, c, vary, k);
        } else if (strcmp(id, "I-ii") == 0) {
            if (v != IDC_HOLDS || strcmp(method, "gaussian-statistics") != 0)
                rc = idc_vfail(V, "I-ii: unknown method %s", method);
        } else {
            int lin = 0;
            for (slong i = 0; i < m; i++)
                lin |= vary[i] == 1;
            int holds = k == 1 && !lin;
            if (v == IDC_HOLDS ? (strcmp(method, "scale-family") != 0 || !holds)
                               : (strcmp(method, "statistics") != 0 || holds))
                rc = idc_vfail(V, "I-T2: the recomputed statistics (k = %d%s) do not give %s", k,
                               lin ? ", a coordinate with T = z" : "", idc_verdict_name(v));
        }
    }
    free(vary);
    idc_v_free_all(c, J);
    return rc;
}
