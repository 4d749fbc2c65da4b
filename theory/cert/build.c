/* Certificate builders: the envelope and the JSON forms of exact numbers the
 * checkers (theory/check/) put in their witnesses (theory/cert.h). The
 * verifier (theory/verify/) never calls them: it reads certificates. */
#include "theory/cert.h"

#include <stdlib.h>

#include <flint/fmpz.h>

#include "numeric/dq.h"

json_t *idc_cert_new(const char *id, idc_verdict v, const char *hash, const char *method, const char *source,
                     json_t *witness)
{
    if (witness == NULL)
        return NULL; /* an allocation upstream failed: no certificate without its witness */
    json_t *c = json_object();
    if (c == NULL || witness == NULL) {
        json_decref(c);
        json_decref(witness);
        return NULL;
    }
    int bad = 0;
    bad |= json_object_set_new(c, "idcheck_cert", json_integer(IDC_CERT_FORMAT));
    bad |= json_object_set_new(c, "precondition", json_string(id));
    bad |= json_object_set_new(c, "verdict", json_string(idc_verdict_name(v)));
    bad |= json_object_set_new(c, "model_hash", hash != NULL ? json_string(hash) : json_null());
    bad |= json_object_set_new(c, "method", json_string(method));
    bad |= json_object_set_new(c, "source", json_string(source));
    bad |= json_object_set_new(c, "witness", witness);
    if (bad) {
        json_decref(c);
        return NULL;
    }
    return c;
}

json_t *idc_cert_json_fmpq(const fmpq_t q)
{
    char *s = idc_dq_fmpq_get_str(q);
    if (s == NULL)
        return NULL;
    json_t *j = json_string(s);
    free(s);
    return j;
}

json_t *idc_cert_json_d(double x)
{
    char *s = idc_dq_get_str_d(x);
    if (s == NULL)
        return NULL;
    json_t *j = json_string(s);
    free(s);
    return j;
}

json_t *idc_cert_json_fmpq_col(const fmpq_mat_t v, slong col)
{
    json_t *a = json_array();
    for (slong i = 0; a != NULL && i < v->r; i++)
        if (json_array_append_new(a, idc_cert_json_fmpq(fmpq_mat_entry(v, i, col))) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

json_t *idc_cert_json_fmpz_col(const fmpz_mat_t v, slong col)
{
    json_t *a = json_array();
    fmpq_t q;
    fmpq_init(q);
    for (slong i = 0; a != NULL && i < v->r; i++) {
        fmpz_set(fmpq_numref(q), fmpz_mat_entry(v, i, col));
        fmpz_one(fmpq_denref(q));
        if (json_array_append_new(a, idc_cert_json_fmpq(q)) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    fmpq_clear(q);
    return a;
}

json_t *idc_cert_json_slongs(const slong *a, slong n)
{
    json_t *arr = json_array();
    for (slong i = 0; arr != NULL && i < n; i++)
        json_array_append_new(arr, json_integer((json_int_t)a[i]));
    return arr;
}
