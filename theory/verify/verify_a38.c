/* A3.8a / A3.8b certificates (format: theory/check/pre_a38.c). */
#include "theory/verify/verify_impl.h"

#include <stdlib.h>
#include <string.h>


/* ---- A3.8 (verifier's own; see theory/check/pre_a38.c for the format) ----------------- */

/* Recomputes the supports (J x m flags) and checks the claimed ones. */
static unsigned char *v_supports(vctx *V, const vcomp *c, const json_t *claimed)
{
    size_t J = V->g->ncomp, m = V->g->dim;
    unsigned char *in = idc_calloc(J * m, 1);
    if (in == NULL) {
        idc_vfail(V, "out of memory");
        return NULL;
    }
    fmpq_t q;
    fmpq_init(q);
    int ok = json_is_array(claimed) && json_array_size(claimed) == J;
    for (size_t j = 0; j < J && ok; j++) {
        json_t *b = json_array_get(claimed, j);
        size_t n = 0;
        for (size_t i = 0; i < m; i++) {
            idc_v_sigma(q, &c[j], (slong)i, (slong)i);
            in[j * m + i] = !fmpq_is_zero(q);
            if (in[j * m + i]) {
                json_t *e = json_array_get(b, n++);
                ok &= json_is_integer(e) && json_integer_value(e) == (json_int_t)i;
            }
        }
        ok &= json_is_array(b) && json_array_size(b) == n;
    }
    fmpq_clear(q);
    if (!ok) {
        free(in);
        idc_vfail(V, "A3.8: witness.supports are not the supports of the model's covariances");
        return NULL;
    }
    return in;
}

/* 1 when Sigma_j on its support has all Schur pivots positive. */
static int v_nonsingular_on(const vcomp *c, const unsigned char *in, slong m)
{
    slong k = 0;
    for (slong i = 0; i < m; i++)
        k += in[i];
    if (k == 0)
        return 1;
    if (c->form != IDC_COMP_COVARIANCE) {
        /* Sigma[B,B] = L_B L_B^T is nonsingular iff the rows B of L are
         * independent: one exact rank of a k x r matrix, no products. */
        if (c->r < k)
            return 0;
        fmpq_mat_t LB, E;
        fmpq_mat_init(LB, k, c->r);
        fmpq_mat_init(E, k, c->r);
        slong a = 0;
        for (slong i = 0; i < m; i++)
            if (in[i]) {
                for (slong q = 0; q < c->r; q++)
                    fmpq_set(fmpq_mat_entry(LB, a, q), fmpq_mat_entry(c->L, i, q));
                a++;
            }
        int full = fmpq_mat_rref(E, LB) == k;
        fmpq_mat_clear(LB);
        fmpq_mat_clear(E);
        return full;
    }
    fmpq_mat_t R;
    fmpq_mat_init(R, k, k);
    slong a = 0;
    for (slong i = 0; i < m; i++) {
        if (!in[i])
            continue;
        slong b = 0;
        for (slong l = 0; l < m; l++)
            if (in[l])
                idc_v_sigma(fmpq_mat_entry(R, a, b++), c, i, l);
        a++;
    }
    fmpq *piv = _fmpq_vec_init(k);
    int ok = idc_v_schur(piv, R);
    for (slong i = 0; i < k && ok; i++)
        ok = fmpq_sgn(piv + i) > 0;
    _fmpq_vec_clear(piv, k);
    fmpq_mat_clear(R);
    return ok;
}

int idc_v_a38(vctx *V, const char *id, idc_verdict v, const char *method, const json_t *w)
{
    if (strcmp(method, "coordinate-supports") != 0)
        return idc_vfail(V, "%s: unknown method %s", id, method);
    vcomp *c = idc_v_load_all(V);
    if (c == NULL)
        return IDC_EDOM;
    size_t J = V->g->ncomp, m = V->g->dim;
    unsigned char *in = v_supports(V, c, json_object_get(w, "supports"));
    int rc = in == NULL ? IDC_EDOM : IDC_OK;
    fmpq_t q, claimed;
    fmpq_init(q);
    fmpq_init(claimed);
    const char *why = json_string_value(json_object_get(w, "reason"));
    if (rc != IDC_OK) {
        /* reason already set */
    } else if (strcmp(id, "A3.8a") == 0 && v == IDC_HOLDS) {
        for (size_t j = 0; j < J && rc == IDC_OK; j++) {
            for (size_t i = 0; i < m && rc == IDC_OK; i++) {
                if (in[j * m + i])
                    continue;
                if (!fmpq_is_zero(fmpq_mat_entry(c[j].mu, (slong)i, 0)))
                    rc = idc_vfail(V, "A3.8a: component %zu: mean coordinate %zu is not 0", j, i);
                for (size_t k = 0; k < m && rc == IDC_OK; k++) {
                    idc_v_sigma(q, &c[j], (slong)i, (slong)k);
                    if (!fmpq_is_zero(q))
                        rc = idc_vfail(V, "A3.8a: component %zu: Sigma row %zu is not 0 off the support", j, i);
                }
            }
            if (rc == IDC_OK && !v_nonsingular_on(&c[j], in + j * m, (slong)m))
                rc = idc_vfail(V, "A3.8a: component %zu: Sigma is singular on its support", j);
        }
    } else if (strcmp(id, "A3.8a") == 0 && why != NULL && strcmp(why, "mean-outside") == 0) {
        slong j, i;
        if (!idc_vget_index(&j, w, "component", 0, (slong)J - 1) || !idc_vget_index(&i, w, "index", 0, (slong)m - 1) ||
            !idc_vget_q(claimed, w, "value"))
            rc = idc_vfail(V, "A3.8a: mean-outside witness malformed");
        else if (in[(size_t)j * m + (size_t)i] || fmpq_is_zero(fmpq_mat_entry(c[j].mu, i, 0)) ||
                 !fmpq_equal(claimed, fmpq_mat_entry(c[j].mu, i, 0)))
            rc = idc_vfail(V, "A3.8a: component %ld: coordinate %ld is on the support or the mean is not the "
                          "claimed nonzero value", (long)j, (long)i);
    } else if (strcmp(id, "A3.8a") == 0 && why != NULL && strcmp(why, "singular-on-support") == 0) {
        slong j;
        if (!idc_vget_index(&j, w, "component", 0, (slong)J - 1))
            rc = idc_vfail(V, "A3.8a: witness.component out of range");
        else if (v_nonsingular_on(&c[j], in + (size_t)j * m, (slong)m))
            rc = idc_vfail(V, "A3.8a: component %ld is nonsingular on its support", (long)j);
    } else if (strcmp(id, "A3.8b") == 0 && v == IDC_HOLDS) {
        json_t *cover = json_object_get(w, "cover");
        unsigned char *seen = idc_calloc(m * m, 1);
        if (seen == NULL || !json_is_array(cover) || json_array_size(cover) != m * (m - 1))
            rc = idc_vfail(V, "A3.8b: witness.cover: expected %zu entries", m * (m - 1));
        for (size_t t = 0; t < json_array_size(cover) && rc == IDC_OK; t++) {
            slong ikj[3];
            json_t *e = json_array_get(cover, t);
            int ok = json_is_array(e) && json_array_size(e) == 3;
            for (size_t a = 0; a < 3 && ok; a++) {
                json_t *x = json_array_get(e, a);
                json_int_t hi = a == 2 ? (json_int_t)J : (json_int_t)m;
                ok = json_is_integer(x) && json_integer_value(x) >= 0 && json_integer_value(x) < hi;
                if (ok)
                    ikj[a] = (slong)json_integer_value(x);
            }
            if (!ok || ikj[0] == ikj[1]) {
                rc = idc_vfail(V, "A3.8b: cover[%zu]: malformed", t);
                break;
            }
            size_t i = (size_t)ikj[0], k = (size_t)ikj[1], j = (size_t)ikj[2];
            if (seen[i * m + k]++)
                rc = idc_vfail(V, "A3.8b: cover[%zu]: pair listed twice", t);
            else if (in[j * m + i] || !in[j * m + k])
                rc = idc_vfail(V, "A3.8b: cover[%zu]: component %zu does not separate %zu from %zu", t, j, k, i);
        }
        free(seen);
    } else if (strcmp(id, "A3.8b") == 0 && v == IDC_FAILS) {
        slong i = 0, k = 0;
        if (!idc_vget_index(&i, w, "i", 0, (slong)m - 1) || !idc_vget_index(&k, w, "k", 0, (slong)m - 1) || i == k)
            rc = idc_vfail(V, "A3.8b: witness i, k malformed");
        for (size_t j = 0; j < J && rc == IDC_OK; j++)
            if (!in[j * m + (size_t)i] && in[j * m + (size_t)k])
                rc = idc_vfail(V, "A3.8b: component %zu covers %ld without %ld", j, (long)k, (long)i);
    } else {
        rc = idc_vfail(V, "%s: unknown witness", id);
    }
    fmpq_clear(q);
    fmpq_clear(claimed);
    free(in);
    idc_v_free_all(c, J);
    return rc;
}
