/* A3.4 certificates: the verifier's own code (checker: theory/pre_a34.c). */
#include "theory/verify_impl.h"

#include <string.h>

#include "numeric/qspace.h"
#include "theory/cert.h"

int idc_v_a34(vctx *V, idc_verdict v, const char *method, const json_t *w)
{
    if (v != IDC_HOLDS || strcmp(method, "nondegenerate-point") != 0)
        return idc_vfail(V, "A3.4: only nondegenerate-point HOLDS certificates exist so far");
    vcomp *c = idc_v_load_all(V);
    if (c == NULL)
        return IDC_EDOM;
    size_t J = V->g->ncomp;
    slong m = (slong)V->g->dim;
    /* every Sigma_j nonsingular: one rank class whose supports are all R^m */
    int rc = idc_v_components(V, json_object_get(w, "components"), c, 1);
    fmpq_mat_t z, y;
    fmpq_mat_init(z, m, 1);
    fmpq_mat_init(y, m, 1);
    fmpq *d2 = _fmpq_vec_init((slong)J);
    fmpq_t q, s, e;
    fmpq_init(q);
    fmpq_init(s);
    fmpq_init(e);
    json_t *ys = json_object_get(w, "y"), *ds = json_object_get(w, "d2");
    if (rc == IDC_OK && (!idc_vget_qvec(z, json_object_get(w, "point"), m) || !json_is_array(ys) ||
                         json_array_size(ys) != J || !json_is_array(ds) || json_array_size(ds) != J))
        rc = idc_vfail(V, "A3.4: witness point / y / d2 malformed");
    for (size_t j = 0; j < J && rc == IDC_OK; j++) {
        if (!idc_vget_qvec(y, json_array_get(ys, j), m) || idc_cert_get_fmpq(d2 + j, json_array_get(ds, j)) != IDC_OK) {
            rc = idc_vfail(V, "A3.4: y[%zu] / d2[%zu] malformed", j, j);
            break;
        }
        fmpq_zero(s);
        for (slong i = 0; i < m && rc == IDC_OK; i++) {
            fmpq_zero(q);
            for (slong k = 0; k < m; k++) {
                idc_v_sigma(e, &c[j], i, k);
                fmpq_addmul(q, e, fmpq_mat_entry(y, k, 0));
            }
            fmpq_add(q, q, fmpq_mat_entry(c[j].mu, i, 0)); /* Sigma y + mu must be the point */
            if (!fmpq_equal(q, fmpq_mat_entry(z, i, 0)))
                rc = idc_vfail(V, "A3.4: Sigma_%zu y_%zu != point - mu_%zu (row %ld)", j, j, j, (long)i);
            fmpq_sub(q, fmpq_mat_entry(z, i, 0), fmpq_mat_entry(c[j].mu, i, 0));
            fmpq_addmul(s, q, fmpq_mat_entry(y, i, 0));
        }
        if (rc == IDC_OK && !fmpq_equal(s, d2 + j))
            rc = idc_vfail(V, "A3.4: d2[%zu] is not the Mahalanobis distance", j);
    }
    for (size_t a = 0; a < J && rc == IDC_OK; a++)
        for (size_t b = a + 1; b < J && rc == IDC_OK; b++)
            if (fmpq_equal(d2 + a, d2 + b))
                rc = idc_vfail(V, "A3.4: components %zu and %zu have equal distances at the point", a, b);
    fmpq_clear(q);
    fmpq_clear(s);
    fmpq_clear(e);
    _fmpq_vec_clear(d2, (slong)J);
    fmpq_mat_clear(z);
    fmpq_mat_clear(y);
    idc_v_free_all(c, J);
    return rc;
}

