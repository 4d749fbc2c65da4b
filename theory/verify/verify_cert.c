/* The verifier's entry points and dispatch (theory/verify.h): the envelope
 * (format, precondition, verdict, model hash) is checked here, then the
 * certificate goes to the file of its precondition family; DIMU1, I-i and
 * NOISE0 are one comparison each and are checked here.
 *
 * The verifier shares nothing with the checkers (theory/check/) except the
 * dq conversions: it rebuilds the exact model data with its own loops,
 * recomputes determinants mod p with nmod_mat_det, evaluates the map
 * exactly with its own forward pass, and runs its own rational
 * elimination. It never searches: every claim is checked by a fixed
 * computation on the witness.
 */
#include "theory/verify.h"
#include "theory/verify/verify_impl.h"

#include <string.h>

#include "numeric/dq.h"

/* ---- entry points ---------------------------------------------------------------- */

static int verify(vctx *V, const json_t *cert, const char *hash)
{
    if (!json_is_object(cert))
        return idc_vfail(V, "certificate: expected a JSON object");
    json_t *fmt = json_object_get(cert, "idcheck_cert");
    if (!json_is_integer(fmt) || json_integer_value(fmt) != IDC_CERT_FORMAT)
        return idc_vfail(V, "idcheck_cert: unsupported certificate format (expected %d)", IDC_CERT_FORMAT);
    const char *id = json_string_value(json_object_get(cert, "precondition"));
    const char *vs = json_string_value(json_object_get(cert, "verdict"));
    const char *method = json_string_value(json_object_get(cert, "method"));
    json_t *w = json_object_get(cert, "witness");
    json_t *h = json_object_get(cert, "model_hash");
    idc_verdict v;
    if (id == NULL)
        return idc_vfail(V, "precondition: missing");
    if (vs == NULL || idc_verdict_parse(&v, vs) != IDC_OK)
        return idc_vfail(V, "verdict: expected HOLDS or FAILS");
    if (v == IDC_UNKNOWN)
        return idc_vfail(V, "verdict: UNKNOWN carries no certificate");
    if (method == NULL || !json_is_object(w))
        return idc_vfail(V, "method / witness: missing");
    if (hash != NULL) {
        const char *ch = json_string_value(h);
        if (ch == NULL || strcmp(ch, hash) != 0)
            return idc_vfail(V, "model_hash: certificate is for another model");
    }
    if (strcmp(id, "DIM") == 0 && strcmp(method, "dims") == 0)
        return idc_v_dim(V, v, w);
    if (strcmp(id, "DIMU1") == 0 && strcmp(method, "data-model") == 0) {
        slong J;
        if (V->g == NULL || v != IDC_HOLDS || !idc_vget_index(&J, w, "J", 1, WORD_MAX) || (size_t)J != V->g->ncomp)
            return idc_vfail(V, "DIMU1: witness.J does not match the model");
        return IDC_OK;
    }
    if (strcmp(id, "I-i") == 0 && strcmp(method, "gaussian-noise") == 0) {
        fmpq_t s, t;
        fmpq_init(s);
        fmpq_init(t);
        int rc = IDC_OK;
        if (v != IDC_HOLDS || !idc_vget_q(s, w, "sigma") || fmpq_sgn(s) < 0)
            rc = idc_vfail(V, "I-i: witness.sigma: expected a rational >= 0");
        else if (V->noise != NULL && (idc_dq_fmpq_set_d(t, *V->noise) != IDC_OK || !fmpq_equal(s, t)))
            rc = idc_vfail(V, "I-i: witness.sigma is not the model's noise level");
        fmpq_clear(s);
        fmpq_clear(t);
        return rc;
    }
    if (strcmp(id, "NOISE0") == 0 && strcmp(method, "noise-level") == 0) {
        /* sigma = 0 exactly or not: the verdict is re-derived from the
         * instance's own noise level, so the instance is required */
        fmpq_t s, t;
        fmpq_init(s);
        fmpq_init(t);
        int rc = IDC_OK;
        if (V->noise == NULL)
            rc = idc_vfail(V, "NOISE0: needs the instance's noise level");
        else if (!idc_vget_q(s, w, "sigma") || fmpq_sgn(s) < 0)
            rc = idc_vfail(V, "NOISE0: witness.sigma: expected a rational >= 0");
        else if (idc_dq_fmpq_set_d(t, *V->noise) != IDC_OK || !fmpq_equal(s, t))
            rc = idc_vfail(V, "NOISE0: witness.sigma is not the model's noise level");
        else if ((v == IDC_HOLDS) != fmpq_is_zero(s))
            rc = idc_vfail(V, "NOISE0: verdict %s does not match sigma", idc_verdict_name(v));
        fmpq_clear(s);
        fmpq_clear(t);
        return rc;
    }
    if (strcmp(id, "F1") == 0 && strcmp(method, "by-construction") == 0)
        return idc_v_f1(V, v, w);
    if (strcmp(id, "FC") == 0)
        return idc_v_fc(V, v, method, w);
    if (strcmp(id, "F4") == 0)
        return idc_v_f4(V, v, method, w);
    if ((strcmp(id, "F2") == 0 || strcmp(id, "F3") == 0) && strcmp(method, "implied-by-F4") == 0) {
        /* F4 => F3 => F2 for piecewise-affine f: the nested certificate must be
         * a valid F4 HOLDS certificate for the same model. */
        json_t *inner = json_object_get(w, "F4");
        const char *iid = json_string_value(json_object_get(inner, "precondition"));
        const char *iv = json_string_value(json_object_get(inner, "verdict"));
        if (v != IDC_HOLDS || iid == NULL || strcmp(iid, "F4") != 0 || iv == NULL || strcmp(iv, "HOLDS") != 0)
            return idc_vfail(V, "%s: witness.F4 must be an F4 HOLDS certificate", id);
        return verify(V, inner, hash);
    }
    if (strcmp(id, "I-ii") == 0 || strcmp(id, "I-iii") == 0 || strcmp(id, "I-T2") == 0)
        return idc_v_ivae(V, id, v, method, w);
    if (strcmp(id, "F2") == 0 || strcmp(id, "F3") == 0)
        return idc_v_f23(V, id, v, method, w);
    if (strcmp(id, "P1") == 0 || strcmp(id, "P1nd") == 0 || strcmp(id, "PD") == 0)
        return idc_v_prior(V, id, v, method, w);
    if (strcmp(id, "P2") == 0)
        return idc_v_p2(V, v, method, w);
    if (strcmp(id, "A3.8a") == 0 || strcmp(id, "A3.8b") == 0)
        return idc_v_a38(V, id, v, method, w);
    if (strcmp(id, "A3.6") == 0)
        return idc_v_a36(V, v, method, w);
    if (strcmp(id, "A3.4") == 0)
        return idc_v_a34(V, v, method, w);
    return idc_vfail(V, "no verifier for precondition %s with method %s", id, method);
}

int idc_cert_verify_parts(const json_t *cert, const idc_pdgmm *g, const idc_pamap *f, const char *hash,
                          char *reason, size_t reason_len)
{
    vctx V = {g, f, NULL, -1, reason, reason_len};
    if (reason != NULL && reason_len > 0)
        reason[0] = '\0';
    return verify(&V, cert, hash);
}

int idc_cert_verify_hashed(const json_t *cert, const idc_instance *inst, const char *hash, char *reason,
                           size_t reason_len)
{
    if (reason != NULL && reason_len > 0)
        reason[0] = '\0';
    vctx V = {&inst->prior, &inst->map, &inst->noise_sigma, (int)inst->aux, reason, reason_len};
    return verify(&V, cert, hash);
}

int idc_cert_verify(const json_t *cert, const idc_instance *inst, char *reason, size_t reason_len)
{
    char hash[65];
    idc_err err;
    int rc = idc_instance_hash(hash, inst, &err);
    if (rc != IDC_OK) {
        if (reason != NULL && reason_len > 0)
            snprintf(reason, reason_len, "%s", err.msg);
        return rc;
    }
    return idc_cert_verify_hashed(cert, inst, hash, reason, reason_len);
}
