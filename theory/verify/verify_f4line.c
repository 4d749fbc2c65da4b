/* F4 "pairwise-1d" (HOLDS, m = 1): the verifier's own check of the pairwise
 * certificate of an injective MLP R -> R^n (checker: theory/check/f4_line.c,
 * which documents the method).
 *
 * witness = {"breakpoints": [K-1 rationals, strictly increasing],
 *            "pieces": [K x {"alpha": [n], "beta": [n]}],
 *            "functionals": [[n rationals], ...],
 *            "separators": [K(K-1)/2 indices into functionals, pairs in the
 *                           order (0,1), (0,2), ..., (0,K-1), (1,2), ...]}.
 * Re-checked, with no search:
 *   1. the affine map al_k + be_k t of f on every closed interval between
 *      the breakpoints, recomputed from the weights (every hidden unit keeps
 *      one sign over the interval, checked at both ends: idc_vline_load); a
 *      missing breakpoint fails here; the listed pieces must equal it;
 *   2. be_k != 0 on every interval (no constant piece);
 *   3. per pair k < r with l = functionals[separators[pair]]:
 *      neighbours (r = k+1): l.be_k > 0 and l.be_r > 0, so l o f is strictly
 *        increasing on the union of the two intervals;
 *      others: max of l o f on interval k < min on interval r, or max on r <
 *        min on k (ends evaluated exactly; an unbounded side fails).
 * Together: f is injective on each interval and no two intervals share an
 * image point except neighbours at their common breakpoint. */
#include <string.h>

#include "theory/verify.h"
#include "theory/verify/verify_impl.h"

/* l . v for n-vectors. */
static void vdot(fmpq_t out, const fmpq *l, const fmpq *v, slong n)
{
    fmpq_zero(out);
    for (slong i = 0; i < n; i++)
        fmpq_addmul(out, l + i, v + i);
}

/* [lo, hi] = range of c + e t over the closed interval k (infinite ends
 * flagged). */
static void vrange(int *lo_i, fmpq_t lo, int *hi_i, fmpq_t hi, const fmpq_t c, const fmpq_t e,
                   const idc_vline *L, slong k)
{
    int s = fmpq_sgn(e), dl = k == 0, dh = k + 1 == L->K;
    *lo_i = s > 0 ? dl : (s < 0 ? dh : 0);
    *hi_i = s > 0 ? dh : (s < 0 ? dl : 0);
    if (s == 0) {
        fmpq_set(lo, c);
        fmpq_set(hi, c);
        return;
    }
    if (!*lo_i) {
        fmpq_mul(lo, e, L->T + (s > 0 ? k - 1 : k));
        fmpq_add(lo, lo, c);
    }
    if (!*hi_i) {
        fmpq_mul(hi, e, L->T + (s > 0 ? k : k - 1));
        fmpq_add(hi, hi, c);
    }
}

/* Does l (n entries) separate intervals k < r as described above? */
static int vseparates(const idc_vline *L, const fmpq *l, slong k, slong r)
{
    slong n = L->n;
    fmpq_t ck, ek, cr, er, lk, hk, lr, hr;
    fmpq_init(ck);
    fmpq_init(ek);
    fmpq_init(cr);
    fmpq_init(er);
    fmpq_init(lk);
    fmpq_init(hk);
    fmpq_init(lr);
    fmpq_init(hr);
    vdot(ck, l, L->al + k * n, n);
    vdot(ek, l, L->be + k * n, n);
    vdot(cr, l, L->al + r * n, n);
    vdot(er, l, L->be + r * n, n);
    int ok;
    if (r == k + 1) {
        ok = fmpq_sgn(ek) > 0 && fmpq_sgn(er) > 0;
    } else {
        int lki, hki, lri, hri;
        vrange(&lki, lk, &hki, hk, ck, ek, L, k);
        vrange(&lri, lr, &hri, hr, cr, er, L, r);
        ok = (!hki && !lri && fmpq_cmp(hk, lr) < 0) || (!hri && !lki && fmpq_cmp(hr, lk) < 0);
    }
    fmpq_clear(ck);
    fmpq_clear(ek);
    fmpq_clear(cr);
    fmpq_clear(er);
    fmpq_clear(lk);
    fmpq_clear(hk);
    fmpq_clear(lr);
    fmpq_clear(hr);
    return ok;
}

/* The listed piece k equals the recomputed one. */
static int vpiece_equal(const idc_vline *L, slong k, const json_t *o)
{
    fmpq_mat_t a, b;
    fmpq_mat_init(a, L->n, 1);
    fmpq_mat_init(b, L->n, 1);
    int ok = json_is_object(o) && idc_vget_qvec(a, json_object_get(o, "alpha"), L->n) &&
             idc_vget_qvec(b, json_object_get(o, "beta"), L->n);
    for (slong i = 0; i < L->n && ok; i++)
        ok = fmpq_equal(fmpq_mat_entry(a, i, 0), L->al + k * L->n + i) &&
             fmpq_equal(fmpq_mat_entry(b, i, 0), L->be + k * L->n + i);
    fmpq_mat_clear(a);
    fmpq_mat_clear(b);
    return ok;
}

int idc_v_f4_pairwise(vctx *V, const json_t *w)
{
    const idc_pamap *f = V->f;
    if (f->kind != IDC_MAP_MLP || f->in_dim != 1)
        return idc_vfail(V, "F4: pairwise-1d needs an MLP with one input");
    idc_vline L;
    int rc = idc_vline_load(V, &L, "F4", w);
    json_t *pieces = json_object_get(w, "pieces"), *forms = json_object_get(w, "functionals"),
           *seps = json_object_get(w, "separators");
    slong K = L.K, n = L.n, nf = 0;
    if (rc == IDC_OK && (!json_is_array(pieces) || (slong)json_array_size(pieces) != K))
        rc = idc_vfail(V, "F4: witness.pieces: expected %ld pieces", (long)K);
    for (slong k = 0; k < K && rc == IDC_OK; k++) {
        if (!vpiece_equal(&L, k, json_array_get(pieces, (size_t)k)))
            rc = idc_vfail(V, "F4: pieces[%ld] is not the affine map of f on that interval", (long)k);
        else if (idc_vline_const(&L, k))
            rc = idc_vfail(V, "F4: f is constant on interval %ld", (long)k);
    }
    if (rc == IDC_OK && !json_is_array(forms))
        rc = idc_vfail(V, "F4: witness.functionals: expected an array");
    if (rc == IDC_OK)
        nf = (slong)json_array_size(forms);
    size_t npairs = (size_t)K * (size_t)(K - 1) / 2;
    if (rc == IDC_OK && (!json_is_array(seps) || json_array_size(seps) != npairs))
        rc = idc_vfail(V, "F4: witness.separators: expected one index per pair of pieces (%zu)", npairs);
    fmpq *l = _fmpq_vec_init(n * (nf > 0 ? nf : 1));
    for (slong j = 0; j < nf && rc == IDC_OK; j++) {
        json_t *arr = json_array_get(forms, (size_t)j);
        if (!json_is_array(arr) || (slong)json_array_size(arr) != n) {
            rc = idc_vfail(V, "F4: functionals[%ld]: expected %ld rationals", (long)j, (long)n);
            break;
        }
        for (slong i = 0; i < n && rc == IDC_OK; i++)
            if (idc_cert_get_fmpq(l + j * n + i, json_array_get(arr, (size_t)i)) != IDC_OK)
                rc = idc_vfail(V, "F4: functionals[%ld][%ld]: expected a rational", (long)j, (long)i);
    }
    size_t e = 0;
    for (slong k = 0; k < K && rc == IDC_OK; k++)
        for (slong r = k + 1; r < K && rc == IDC_OK; r++, e++) {
            json_t *ji = json_array_get(seps, e);
            if (!json_is_integer(ji) || json_integer_value(ji) < 0 || json_integer_value(ji) >= nf)
                rc = idc_vfail(V, "F4: separators[%zu]: expected an index below %ld", e, (long)nf);
            else if (!vseparates(&L, l + (slong)json_integer_value(ji) * n, k, r))
                rc = idc_vfail(V, "F4: functionals[%ld] does not separate pieces %ld and %ld",
                               (long)json_integer_value(ji), (long)k, (long)r);
        }
    _fmpq_vec_clear(l, n * (nf > 0 ? nf : 1));
    idc_vline_clear(&L);
    return rc;
}
