/* F2 / F3 certificates: the verifier's own code (checker: theory/pre_f23.c).
 * Methods other than "implied-by-F4" (handled in theory/cert.c). */
#include "theory/verify_impl.h"

int idc_v_f23(vctx *V, const char *id, idc_verdict v, const char *method, const json_t *w)
{
    (void)v;
    (void)w;
    return idc_vfail(V, "%s: no verifier for method %s", id, method);
}
