/* P2 certificates ("variance-ratios"; format: theory/check/pre_p2.c). */
#include "theory/verify/verify_impl.h"

#include <stdlib.h>
#include <string.h>

/* ---- P2 (verifier's own; see theory/check/pre_p2.c for the format) --------------------- */

/* 1 when a_t b_s == a_s b_t for the diagonals of components a and b. */
static int v_tie(const vcomp *A, const vcomp *B, slong t, slong s)
{
    fmpq_t at, as, bt, bs;
    fmpq_init(at);
    fmpq_init(as);
    fmpq_init(bt);
    fmpq_init(bs);
    idc_v_sigma(at, A, t, t);
    idc_v_sigma(as, A, s, s);
    idc_v_sigma(bt, B, t, t);
    idc_v_sigma(bs, B, s, s);
    fmpq_mul(at, at, bs);
    fmpq_mul(as, as, bt);
    int tie = fmpq_equal(at, as);
    fmpq_clear(at);
    fmpq_clear(as);
    fmpq_clear(bt);
    fmpq_clear(bs);
    return tie;
}

int idc_v_p2(vctx *V, idc_verdict v, const char *method, const json_t *w)
{
    if (strcmp(method, "diagonal-ratios") != 0)
        return idc_vfail(V, "P2: unknown method %s", method);
    vcomp *c = idc_v_load_all(V);
    if (c == NULL)
        return IDC_EDOM;
    size_t J = V->g->ncomp;
    slong m = (slong)V->g->dim;
    fmpq_t q, claimed;
    fmpq_init(q);
    fmpq_init(claimed);
    int rc = IDC_OK;
    const char *why = json_string_value(json_object_get(w, "reason"));
    if (v == IDC_HOLDS) {
        slong ab[2];
        if (!idc_vget_indices(ab, json_object_get(w, "pair"), 2, (slong)J, 1))
            rc = idc_vfail(V, "P2: witness.pair: expected two distinct component indices");
        for (size_t j = 0; j < J && rc == IDC_OK; j++)
            for (slong i = 0; i < m && rc == IDC_OK; i++)
                for (slong k = 0; k < m && rc == IDC_OK; k++) {
                    if (i == k)
                        continue;
                    idc_v_sigma(q, &c[j], i, k);
                    if (!fmpq_is_zero(q))
                        rc = idc_vfail(V, "P2: Sigma_%zu is not diagonal at (%ld,%ld)", j, (long)i, (long)k);
                }
        /* the ratios (Sigma_a)_tt / (Sigma_b)_tt must exist (pre_p2.c) */
        for (slong t = 0; t < m && rc == IDC_OK; t++) {
            idc_v_sigma(q, &c[ab[1]], t, t);
            if (fmpq_is_zero(q))
                rc = idc_vfail(V, "P2: ratio %ld is undefined: Sigma_%ld[%ld,%ld] = 0 (denominator)", (long)t,
                               (long)ab[1], (long)t, (long)t);
        }
        for (slong t = 0; t < m && rc == IDC_OK; t++)
            for (slong s = t + 1; s < m && rc == IDC_OK; s++)
                if (v_tie(&c[ab[0]], &c[ab[1]], t, s))
                    rc = idc_vfail(V, "P2: ratios %ld and %ld of the pair are equal", (long)t, (long)s);
    } else if (why != NULL && strcmp(why, "offdiag") == 0) {
        slong j, ik[2];
        if (!idc_vget_index(&j, w, "component", 0, (slong)J - 1) ||
            !idc_vget_indices(ik, json_object_get(w, "entry"), 2, m, 1) || !idc_vget_q(claimed, w, "value"))
            rc = idc_vfail(V, "P2: offdiag witness malformed");
        else {
            idc_v_sigma(q, &c[j], ik[0], ik[1]);
            if (fmpq_is_zero(q) || !fmpq_equal(q, claimed))
                rc = idc_vfail(V, "P2: Sigma_%ld entry (%ld,%ld) is not the claimed nonzero value", (long)j,
                               (long)ik[0], (long)ik[1]);
        }
    } else if (why != NULL && strcmp(why, "single-component") == 0) {
        if (J != 1)
            rc = idc_vfail(V, "P2: the model has %zu components, not 1", J);
    } else if (why != NULL && strcmp(why, "ties") == 0) {
        json_t *ties = json_object_get(w, "ties");
        size_t npairs = J * (J - 1) / 2;
        unsigned char *seen = idc_calloc(npairs ? npairs : 1, 1);
        if (!json_is_array(ties) || json_array_size(ties) != npairs || seen == NULL)
            rc = idc_vfail(V, "P2: witness.ties: expected one tie for each of the %zu pairs", npairs);
        for (size_t i = 0; i < npairs && rc == IDC_OK; i++) {
            json_t *o = json_array_get(ties, i), *zero = json_object_get(o, "zero");
            slong ab[2], t = 0, s = 0, z[2];
            if (!idc_vget_indices(ab, json_object_get(o, "pair"), 2, (slong)J, 1) || ab[0] >= ab[1] ||
                (zero != NULL ? !idc_vget_indices(z, zero, 2, m, 0)
                              : (!idc_vget_index(&t, o, "t", 0, m - 1) ||
                                 !idc_vget_index(&s, o, "s", 0, m - 1) || t == s))) {
                rc = idc_vfail(V, "P2: ties[%zu]: malformed", i);
                break;
            }
            size_t key = (size_t)ab[0] * J + (size_t)ab[1] - (size_t)(ab[0] + 1) * (size_t)(ab[0] + 2) / 2;
            if (seen[key]++) {
                rc = idc_vfail(V, "P2: ties[%zu]: pair listed twice", i);
            } else if (zero != NULL) {
                /* a zero variance on both sides: no ratio of the pair, in
                 * either order, is defined in every coordinate */
                fmpq_t za;
                fmpq_init(za);
                idc_v_sigma(q, &c[ab[0]], z[0], z[0]);
                idc_v_sigma(za, &c[ab[1]], z[1], z[1]);
                if (!fmpq_is_zero(q) || !fmpq_is_zero(za))
                    rc =
                        idc_vfail(V, "P2: ties[%zu]: Sigma_%ld[%ld,%ld] or Sigma_%ld[%ld,%ld] is not zero", i,
                                  (long)ab[0], (long)z[0], (long)z[0], (long)ab[1], (long)z[1], (long)z[1]);
                fmpq_clear(za);
            } else if (!v_tie(&c[ab[0]], &c[ab[1]], t, s))
                rc = idc_vfail(V, "P2: ties[%zu]: ratios %ld and %ld of pair (%ld,%ld) differ", i, (long)t,
                               (long)s, (long)ab[0], (long)ab[1]);
        }
        free(seen);
    } else {
        rc = idc_vfail(V, "P2: unknown FAILS reason");
    }
    fmpq_clear(q);
    fmpq_clear(claimed);
    idc_v_free_all(c, J);
    return rc;
}
