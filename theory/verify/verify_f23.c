/* F2 / F3 certificates: the verifier's own code (checker: theory/check/pre_f23.c,
 * which documents the methods, the reading of F2 (i) with x0 in f(R^m) and
 * of "measure" as the Hausdorff measure of dimension dim f(R^m)). Method
 * "implied-by-F4" is handled in theory/verify/verify_cert.c.
 *
 * Everything here is a fixed exact computation: the affine map of f on each
 * interval a certificate names is recomputed from the weights, with a sign
 * check of every hidden unit over the whole interval (no search). */
#include <stdlib.h>
#include <string.h>

#include "numeric/dq.h"
#include "theory/verify.h"
#include "theory/verify/plane2d.h"
#include "theory/verify/verify_impl.h"

/* The affine map al + be t (n entries each) of f on the closed interval
 * [lo, hi] (lo_inf / hi_inf: infinite end). MLP: every nonlinear unit keeps
 * one sign on the interval (so f is that affine map on all of it). Table:
 * closed == 0: the interval lies in the closure of one table piece (f is the
 * map on its interior); closed == 1: both ends lie in the same half-open
 * table piece (f is the map on all of it). 1 when valid. */
static int vline_affine(fmpq *al, fmpq *be, const idc_pamap *f, int lo_inf, const fmpq_t lo, int hi_inf,
                        const fmpq_t hi, int closed)
{
    if (f->kind == IDC_MAP_PWL1) {
        fmpq_t mid, e;
        fmpq_init(mid);
        fmpq_init(e);
        int ok = 1;
        size_t p;
        if (closed) {
            p = lo_inf ? 0 : idc_v_table_piece(f, lo);
            ok = hi_inf ? p + 1 == f->npieces : idc_v_table_piece(f, hi) == p;
        } else {
            if (lo_inf && hi_inf)
                fmpq_zero(mid);
            else if (lo_inf)
                fmpq_sub_si(mid, hi, 1);
            else if (hi_inf)
                fmpq_add_si(mid, lo, 1);
            else {
                fmpq_add(mid, lo, hi);
                fmpq_div_2exp(mid, mid, 1);
            }
            p = idc_v_table_piece(f, mid);
            if (lo_inf)
                ok = p == 0;
            else if (p > 0) {
                idc_dq_fmpq_set_finite_d(e, f->breaks[p - 1]);
                ok = fmpq_cmp(lo, e) >= 0;
            }
            if (ok && hi_inf)
                ok = p + 1 == f->npieces;
            else if (ok && p + 1 < f->npieces) {
                idc_dq_fmpq_set_finite_d(e, f->breaks[p]);
                ok = fmpq_cmp(hi, e) <= 0;
            }
        }
        idc_dq_fmpq_set_finite_d(al, f->intercepts[p]);
        idc_dq_fmpq_set_finite_d(be, f->slopes[p]);
        fmpq_clear(mid);
        fmpq_clear(e);
        return ok;
    }
    size_t wmax = idc_pamap_max_width(f);
    fmpq *a = _fmpq_vec_init((slong)wmax), *b = _fmpq_vec_init((slong)wmax);
    fmpq *a2 = _fmpq_vec_init((slong)wmax), *b2 = _fmpq_vec_init((slong)wmax);
    fmpq_t t;
    fmpq_init(t);
    int ok = 1, lend = lo_inf ? -1 : 0, rend = hi_inf ? 1 : 0;
    fmpq_one(b + 0);
    for (size_t li = 0; li < f->nlayers && ok; li++) {
        const idc_layer *L = &f->layers[li];
        for (size_t r = 0; r < L->out && ok; r++) {
            idc_dq_fmpq_set_finite_d(a2 + r, L->b[r]);
            fmpq_zero(b2 + r);
            for (size_t c = 0; c < L->in; c++) {
                idc_dq_fmpq_set_finite_d(t, L->W[r * L->in + c]);
                fmpq_addmul(a2 + r, t, a + c);
                fmpq_addmul(b2 + r, t, b + c);
            }
            if (L->act == IDC_ACT_IDENTITY)
                continue;
            int sl = idc_v_end_sign(a2 + r, b2 + r, lend, lo), sr = idc_v_end_sign(a2 + r, b2 + r, rend, hi);
            if (sl * sr < 0)
                ok = 0;
            else if (sl <= 0 && sr <= 0) {
                if (L->act == IDC_ACT_RELU) {
                    fmpq_zero(a2 + r);
                    fmpq_zero(b2 + r);
                } else {
                    idc_dq_fmpq_set_finite_d(t, L->slope);
                    fmpq_mul(a2 + r, a2 + r, t);
                    fmpq_mul(b2 + r, b2 + r, t);
                }
            }
        }
        fmpq *sw = a;
        a = a2;
        a2 = sw;
        sw = b;
        b = b2;
        b2 = sw;
    }
    for (size_t i = 0; i < f->out_dim && ok; i++) {
        fmpq_set(al + i, a + i);
        fmpq_set(be + i, b + i);
    }
    _fmpq_vec_clear(a, (slong)wmax);
    _fmpq_vec_clear(b, (slong)wmax);
    _fmpq_vec_clear(a2, (slong)wmax);
    _fmpq_vec_clear(b2, (slong)wmax);
    fmpq_clear(t);
    return ok;
}

void idc_vline_clear(idc_vline *L)
{
    if (L->T != NULL)
        _fmpq_vec_clear(L->T, L->K > 1 ? L->K - 1 : 1);
    if (L->al != NULL) {
        _fmpq_vec_clear(L->al, L->K * L->n);
        _fmpq_vec_clear(L->be, L->K * L->n);
    }
    memset(L, 0, sizeof *L);
}

static int vline_lo_inf(const idc_vline *L, slong k)
{
    (void)L;
    return k == 0;
}

static int vline_hi_inf(const idc_vline *L, slong k)
{
    return k + 1 == L->K;
}

/* Parses w.breakpoints and recomputes the affine map on every interval
 * (declared in verify_impl.h). */
int idc_vline_load(vctx *V, idc_vline *L, const char *id, const json_t *w)
{
    memset(L, 0, sizeof *L);
    const idc_pamap *f = V->f;
    if (f->in_dim != 1)
        return idc_vfail(V, "%s: a 1-D certificate needs a map with one input", id);
    json_t *bp = json_object_get(w, "breakpoints");
    if (!json_is_array(bp))
        return idc_vfail(V, "%s: witness.breakpoints: expected an array", id);
    slong nb = (slong)json_array_size(bp);
    L->K = nb + 1;
    L->n = (slong)f->out_dim;
    L->T = _fmpq_vec_init(nb > 0 ? nb : 1);
    L->al = _fmpq_vec_init(L->K * L->n);
    L->be = _fmpq_vec_init(L->K * L->n);
    for (slong k = 0; k < nb; k++)
        if (idc_cert_get_fmpq(L->T + k, json_array_get(bp, (size_t)k)) != IDC_OK)
            return idc_vfail(V, "%s: witness.breakpoints[%ld]: expected a rational", id, (long)k);
    for (slong k = 0; k + 1 < nb; k++)
        if (fmpq_cmp(L->T + k, L->T + k + 1) >= 0)
            return idc_vfail(V, "%s: witness.breakpoints not strictly increasing at %ld", id, (long)k + 1);
    for (slong k = 0; k < L->K; k++) {
        const fmpq *lo = k > 0 ? L->T + k - 1 : L->T, *hi = k + 1 < L->K ? L->T + k : L->T;
        if (!vline_affine(L->al + k * L->n, L->be + k * L->n, f, vline_lo_inf(L, k), lo, vline_hi_inf(L, k),
                          hi, 0))
            return idc_vfail(V, "%s: f is not affine on interval %ld of the breakpoints", id, (long)k);
    }
    return IDC_OK;
}

int idc_vline_const(const idc_vline *L, slong k)
{
    for (slong i = 0; i < L->n; i++)
        if (!fmpq_is_zero(L->be + k * L->n + i))
            return 0;
    return 1;
}

/* Is t in closed interval k? */
static int vline_contains(const idc_vline *L, slong k, const fmpq_t t)
{
    if (k > 0 && fmpq_cmp(t, L->T + k - 1) < 0)
        return 0;
    if (k + 1 < L->K && fmpq_cmp(t, L->T + k) > 0)
        return 0;
    return 1;
}

/* Is y (n values) in the image of closed interval k? */
static int vline_hits(const idc_vline *L, slong k, const fmpq *y)
{
    const fmpq *a = L->al + k * L->n, *b = L->be + k * L->n;
    fmpq_t s, x;
    fmpq_init(s);
    fmpq_init(x);
    slong j = -1;
    for (slong i = 0; i < L->n && j < 0; i++)
        if (!fmpq_is_zero(b + i))
            j = i;
    int hit = 1;
    if (j >= 0) {
        fmpq_sub(s, y + j, a + j);
        fmpq_div(s, s, b + j);
        hit = vline_contains(L, k, s);
    }
    for (slong i = 0; i < L->n && hit; i++) {
        fmpq_mul(x, b + i, s);
        fmpq_add(x, x, a + i);
        hit = fmpq_equal(x, y + i);
    }
    fmpq_clear(s);
    fmpq_clear(x);
    return hit;
}

/* Intervals k, k2 nonconstant: f_k2(s) = f_k(lam + c s) for all s? */
static int vline_collinear(fmpq_t c, fmpq_t lam, const idc_vline *L, slong k, slong k2)
{
    const fmpq *a = L->al + k * L->n, *b = L->be + k * L->n;
    const fmpq *a2 = L->al + k2 * L->n, *b2 = L->be + k2 * L->n;
    slong j = 0;
    while (fmpq_is_zero(b + j))
        j++;
    fmpq_div(c, b2 + j, b + j);
    fmpq_sub(lam, a2 + j, a + j);
    fmpq_div(lam, lam, b + j);
    fmpq_t x;
    fmpq_init(x);
    int ok = 1;
    for (slong i = 0; i < L->n && ok; i++) {
        fmpq_mul(x, c, b + i);
        ok = fmpq_equal(x, b2 + i);
        if (ok) {
            fmpq_mul(x, lam, b + i);
            fmpq_add(x, x, a + i);
            ok = fmpq_equal(x, a2 + i);
        }
    }
    fmpq_clear(x);
    return ok;
}

/* Q = I_k ∩ (lam + c I_k2) as (lo_inf, lo, hi_inf, hi); empty when lo > hi. */
static void vline_q(int *lo_inf, fmpq_t lo, int *hi_inf, fmpq_t hi, const idc_vline *L, slong k, slong k2,
                    const fmpq_t c, const fmpq_t lam)
{
    int pos = fmpq_sgn(c) > 0;
    int b_lo_inf = vline_lo_inf(L, k2), b_hi_inf = vline_hi_inf(L, k2);
    fmpq_t e1, e2;
    fmpq_init(e1);
    fmpq_init(e2);
    if (!b_lo_inf) {
        fmpq_mul(e1, c, L->T + k2 - 1);
        fmpq_add(e1, e1, lam);
    }
    if (!b_hi_inf) {
        fmpq_mul(e2, c, L->T + k2);
        fmpq_add(e2, e2, lam);
    }
    int n_lo_inf = pos ? b_lo_inf : b_hi_inf, n_hi_inf = pos ? b_hi_inf : b_lo_inf;
    const fmpq *nlo = pos ? e1 : e2, *nhi = pos ? e2 : e1;
    *lo_inf = vline_lo_inf(L, k);
    *hi_inf = vline_hi_inf(L, k);
    if (!*lo_inf)
        fmpq_set(lo, L->T + k - 1);
    if (!*hi_inf)
        fmpq_set(hi, L->T + k);
    if (!n_lo_inf && (*lo_inf || fmpq_cmp(nlo, lo) > 0)) {
        fmpq_set(lo, nlo);
        *lo_inf = 0;
    }
    if (!n_hi_inf && (*hi_inf || fmpq_cmp(nhi, hi) < 0)) {
        fmpq_set(hi, nhi);
        *hi_inf = 0;
    }
    fmpq_clear(e1);
    fmpq_clear(e2);
}

/* "line-constant": every interval constant (f constant, or a table of
 * constants): every image point has infinitely many preimages and positive
 * counting measure. */
static int v_line_constant(vctx *V, const char *id, const json_t *w)
{
    idc_vline L;
    int rc = idc_vline_load(V, &L, id, w);
    for (slong k = 0; k < L.K && rc == IDC_OK; k++)
        if (!idc_vline_const(&L, k))
            rc = idc_vfail(V, "%s: f is not constant on interval %ld", id, (long)k);
    idc_vline_clear(&L);
    return rc;
}

/* "line-point" (F2 HOLDS): x strictly inside a nonconstant interval k and
 * f(x) outside the closed image of every other interval. */
static int v_line_point(vctx *V, const char *id, const json_t *w)
{
    idc_vline L;
    int rc = idc_vline_load(V, &L, id, w);
    fmpq_t x;
    fmpq_init(x);
    fmpq *y = _fmpq_vec_init(L.n > 0 ? L.n : 1);
    slong k = -1;
    if (rc == IDC_OK && !idc_vget_q(x, w, "x"))
        rc = idc_vfail(V, "%s: witness.x: expected a rational", id);
    for (slong j = 0; j < L.K && rc == IDC_OK && k < 0; j++)
        if ((j == 0 || fmpq_cmp(x, L.T + j - 1) > 0) && (j + 1 == L.K || fmpq_cmp(x, L.T + j) < 0))
            k = j;
    if (rc == IDC_OK && k < 0)
        rc = idc_vfail(V, "%s: witness.x is a breakpoint, not inside an interval", id);
    if (rc == IDC_OK && idc_vline_const(&L, k))
        rc = idc_vfail(V, "%s: f is constant on the interval of witness.x", id);
    if (rc == IDC_OK) {
        for (slong i = 0; i < L.n; i++) {
            fmpq_mul(y + i, L.be + k * L.n + i, x);
            fmpq_add(y + i, y + i, L.al + k * L.n + i);
        }
        for (slong j = 0; j < L.K && rc == IDC_OK; j++)
            if (j != k && vline_hits(&L, j, y))
                rc = idc_vfail(V, "%s: f(x) lies in the image of interval %ld too", id, (long)j);
    }
    _fmpq_vec_clear(y, L.n > 0 ? L.n : 1);
    fmpq_clear(x);
    idc_vline_clear(&L);
    return rc;
}

/* "line-cover" (F2 FAILS): every nonconstant interval k is covered by the
 * intervals Q_{k,k'} of the listed collinear k' != k; tables must be
 * continuous. */
static int v_line_cover(vctx *V, const char *id, const json_t *w)
{
    const idc_pamap *f = V->f;
    idc_vline L;
    int rc = idc_vline_load(V, &L, id, w);
    json_t *cover = json_object_get(w, "cover");
    if (rc == IDC_OK && !json_is_array(cover))
        rc = idc_vfail(V, "%s: witness.cover: expected an array", id);
    fmpq_t a, b, c, lam, lo, hi, cur;
    fmpq_init(a);
    fmpq_init(b);
    fmpq_init(c);
    fmpq_init(lam);
    fmpq_init(lo);
    fmpq_init(hi);
    fmpq_init(cur);
    if (rc == IDC_OK && f->kind == IDC_MAP_PWL1)
        for (size_t p = 0; p + 1 < f->npieces && rc == IDC_OK; p++) {
            fmpq_t t, e;
            fmpq_init(t);
            fmpq_init(e);
            idc_dq_fmpq_set_finite_d(t, f->breaks[p]);
            idc_dq_fmpq_set_finite_d(e, f->slopes[p]);
            fmpq_mul(a, e, t);
            idc_dq_fmpq_set_finite_d(e, f->intercepts[p]);
            fmpq_add(a, a, e);
            idc_dq_fmpq_set_finite_d(e, f->slopes[p + 1]);
            fmpq_mul(b, e, t);
            idc_dq_fmpq_set_finite_d(e, f->intercepts[p + 1]);
            fmpq_add(b, b, e);
            if (!fmpq_equal(a, b))
                rc = idc_vfail(V, "%s: the piece table jumps at breakpoint %zu: a covering does not decide F2",
                               id, p);
            fmpq_clear(t);
            fmpq_clear(e);
        }
    slong nonconst = 0, listed = 0;
    for (slong k = 0; k < L.K && rc == IDC_OK; k++)
        nonconst += !idc_vline_const(&L, k);
    if (rc == IDC_OK && nonconst == 0)
        rc = idc_vfail(V, "%s: f is constant: use line-constant", id);
    if (rc == IDC_OK && (slong)json_array_size(cover) != nonconst)
        rc = idc_vfail(V, "%s: witness.cover: expected one entry per nonconstant interval (%ld)", id,
                       (long)nonconst);
    for (size_t e = 0; rc == IDC_OK && e < json_array_size(cover); e++) {
        json_t *ent = json_array_get(cover, e);
        slong k;
        if (!idc_vget_index(&k, ent, "piece", 0, L.K - 1)) {
            rc = idc_vfail(V, "%s: cover[%zu].piece out of range", id, e);
            break;
        }
        if (idc_vline_const(&L, k) || (e > 0 && k <= listed)) {
            rc = idc_vfail(V, "%s: cover[%zu]: pieces must be the nonconstant ones, increasing", id, e);
            break;
        }
        listed = k;
        json_t *by = json_object_get(ent, "by");
        if (!json_is_array(by)) {
            rc = idc_vfail(V, "%s: cover[%zu].by: expected an array", id, e);
            break;
        }
        /* sweep over the listed Q's, which must come sorted by their low end */
        int cur_ninf = k == 0, cur_pinf = 0;
        if (!cur_ninf)
            fmpq_set(cur, L.T + k - 1);
        for (size_t r = 0; r < json_array_size(by) && rc == IDC_OK && !cur_pinf; r++) {
            slong k2;
            json_t *jk = json_array_get(by, r);
            if (!json_is_integer(jk) || json_integer_value(jk) < 0 || json_integer_value(jk) >= L.K) {
                rc = idc_vfail(V, "%s: cover[%zu].by[%zu]: expected an interval index", id, e, r);
                break;
            }
            k2 = (slong)json_integer_value(jk);
            if (k2 == k || idc_vline_const(&L, k2) || !vline_collinear(c, lam, &L, k, k2)) {
                rc = idc_vfail(V, "%s: cover[%zu].by[%zu]: interval %ld is not another collinear piece", id, e,
                               r, (long)k2);
                break;
            }
            int lo_inf, hi_inf;
            vline_q(&lo_inf, lo, &hi_inf, hi, &L, k, k2, c, lam);
            if (!lo_inf && (cur_ninf || fmpq_cmp(lo, cur) > 0)) {
                rc = idc_vfail(V, "%s: cover[%zu]: a gap before the image of interval %ld", id, e, (long)k2);
                break;
            }
            if (hi_inf)
                cur_pinf = 1;
            else if (cur_ninf || fmpq_cmp(hi, cur) > 0) {
                fmpq_set(cur, hi);
                cur_ninf = 0;
            }
        }
        if (rc == IDC_OK && !cur_pinf && (k + 1 == L.K || cur_ninf || fmpq_cmp(cur, L.T + k) < 0))
            rc = idc_vfail(V, "%s: cover[%zu]: interval %ld is not covered to its end", id, e, (long)k);
    }
    fmpq_clear(a);
    fmpq_clear(b);
    fmpq_clear(c);
    fmpq_clear(lam);
    fmpq_clear(lo);
    fmpq_clear(hi);
    fmpq_clear(cur);
    idc_vline_clear(&L);
    return rc;
}

/* "line-disjoint" (F3 HOLDS): f nonconstant and no two nonconstant
 * intervals overlap in a segment of positive length. */
static int v_line_disjoint(vctx *V, const char *id, const json_t *w)
{
    idc_vline L;
    int rc = idc_vline_load(V, &L, id, w);
    fmpq_t c, lam, lo, hi;
    fmpq_init(c);
    fmpq_init(lam);
    fmpq_init(lo);
    fmpq_init(hi);
    int nonconst = 0;
    for (slong k = 0; k < L.K && rc == IDC_OK; k++)
        nonconst |= !idc_vline_const(&L, k);
    if (rc == IDC_OK && !nonconst)
        rc = idc_vfail(V, "%s: f is constant", id);
    for (slong k = 0; k < L.K && rc == IDC_OK; k++) {
        if (idc_vline_const(&L, k))
            continue;
        for (slong k2 = k + 1; k2 < L.K && rc == IDC_OK; k2++) {
            if (idc_vline_const(&L, k2) || !vline_collinear(c, lam, &L, k, k2))
                continue;
            int lo_inf, hi_inf;
            vline_q(&lo_inf, lo, &hi_inf, hi, &L, k, k2, c, lam);
            if (lo_inf || hi_inf || fmpq_cmp(lo, hi) < 0)
                rc = idc_vfail(V, "%s: the images of intervals %ld and %ld overlap in a segment", id, (long)k,
                               (long)k2);
        }
    }
    fmpq_clear(c);
    fmpq_clear(lam);
    fmpq_clear(lo);
    fmpq_clear(hi);
    idc_vline_clear(&L);
    return rc;
}

/* "line-overlap" (F3 FAILS): segments [a0, a1] and [b0, b1], a0 < a1 <= b0
 * < b1, f affine on each, mapped onto the same nondegenerate segment. */
static int v_line_overlap(vctx *V, const char *id, const json_t *w)
{
    const idc_pamap *f = V->f;
    if (f->in_dim != 1)
        return idc_vfail(V, "%s: a 1-D certificate needs a map with one input", id);
    slong n = (slong)f->out_dim;
    fmpq_mat_t A, B;
    fmpq_mat_init(A, 2, 1);
    fmpq_mat_init(B, 2, 1);
    fmpq *al = _fmpq_vec_init(n), *be = _fmpq_vec_init(n), *al2 = _fmpq_vec_init(n), *be2 = _fmpq_vec_init(n);
    fmpq_t x, y, z, u;
    fmpq_init(x);
    fmpq_init(y);
    fmpq_init(z);
    fmpq_init(u);
    int rc = IDC_OK;
    const fmpq *a0 = fmpq_mat_entry(A, 0, 0), *a1 = fmpq_mat_entry(A, 1, 0);
    const fmpq *b0 = fmpq_mat_entry(B, 0, 0), *b1 = fmpq_mat_entry(B, 1, 0);
    if (!idc_vget_qvec(A, json_object_get(w, "a"), 2) || !idc_vget_qvec(B, json_object_get(w, "b"), 2))
        rc = idc_vfail(V, "%s: witness.a / witness.b: expected two rationals each", id);
    else if (fmpq_cmp(a0, a1) >= 0 || fmpq_cmp(a1, b0) > 0 || fmpq_cmp(b0, b1) >= 0)
        rc = idc_vfail(V, "%s: segments must satisfy a0 < a1 <= b0 < b1", id);
    else if (!vline_affine(al, be, f, 0, a0, 0, a1, 1) || !vline_affine(al2, be2, f, 0, b0, 0, b1, 1))
        rc = idc_vfail(V, "%s: f is not affine on one of the segments", id);
    /* with f affine on both, equal end images (in either orientation) mean
     * equal image segments */
    int same = 1, swapped = 1, degenerate = 1;
    for (slong i = 0; i < n && rc == IDC_OK; i++) {
        fmpq_mul(x, be + i, a0);
        fmpq_add(x, x, al + i); /* f(a0) */
        fmpq_mul(y, be + i, a1);
        fmpq_add(y, y, al + i); /* f(a1) */
        fmpq_mul(z, be2 + i, b0);
        fmpq_add(z, z, al2 + i); /* f(b0) */
        fmpq_mul(u, be2 + i, b1);
        fmpq_add(u, u, al2 + i); /* f(b1) */
        same &= fmpq_equal(x, z) && fmpq_equal(y, u);
        swapped &= fmpq_equal(x, u) && fmpq_equal(y, z);
        degenerate &= fmpq_equal(x, y);
    }
    if (rc == IDC_OK && degenerate)
        rc = idc_vfail(V, "%s: f is constant on segment a", id);
    else if (rc == IDC_OK && !same && !swapped)
        rc = idc_vfail(V, "%s: the two segments have different images", id);
    _fmpq_vec_clear(al, n);
    _fmpq_vec_clear(be, n);
    _fmpq_vec_clear(al2, n);
    _fmpq_vec_clear(be2, n);
    fmpq_clear(x);
    fmpq_clear(y);
    fmpq_clear(z);
    fmpq_clear(u);
    fmpq_mat_clear(A);
    fmpq_mat_clear(B);
    return rc;
}

/* "kernel-w1" (FAILS): v != 0 with W_1 v = 0 exactly; the collision x,
 * y = x + v recomputed. */
static int v_kernel_w1(vctx *V, const char *id, const json_t *w)
{
    const idc_pamap *f = V->f;
    if (f->kind != IDC_MAP_MLP)
        return idc_vfail(V, "%s: kernel-w1 needs an MLP", id);
    slong m = (slong)f->in_dim, n = (slong)f->out_dim;
    const idc_layer *l = &f->layers[0];
    fmpq_mat_t v, x, y, img;
    fmpq_mat_init(v, m, 1);
    fmpq_mat_init(x, m, 1);
    fmpq_mat_init(y, m, 1);
    fmpq_mat_init(img, n, 1);
    fmpq *fx = _fmpq_vec_init(n), *fy = _fmpq_vec_init(n), *xa = _fmpq_vec_init(m), *ya = _fmpq_vec_init(m);
    fmpq_t s, t;
    fmpq_init(s);
    fmpq_init(t);
    int rc = IDC_OK;
    if (!idc_vget_qvec(v, json_object_get(w, "v"), m) || !idc_vget_qvec(x, json_object_get(w, "x"), m) ||
        !idc_vget_qvec(y, json_object_get(w, "y"), m))
        rc = idc_vfail(V, "%s: witness.v / x / y: expected %ld rationals each", id, (long)m);
    else if (!idc_vget_qvec(img, json_object_get(w, "image"), n))
        rc = idc_vfail(V, "%s: witness.image: expected %ld rationals", id, (long)n);
    else if (fmpq_mat_is_zero(v))
        rc = idc_vfail(V, "%s: witness.v is zero", id);
    for (size_t r = 0; r < l->out && rc == IDC_OK; r++) {
        fmpq_zero(s);
        for (size_t c = 0; c < l->in; c++) {
            idc_dq_fmpq_set_finite_d(t, l->W[r * l->in + c]);
            fmpq_addmul(s, t, fmpq_mat_entry(v, (slong)c, 0));
        }
        if (!fmpq_is_zero(s))
            rc = idc_vfail(V, "%s: (W_1 v)[%zu] != 0", id, r);
    }
    for (slong i = 0; i < m && rc == IDC_OK; i++) {
        fmpq_add(s, fmpq_mat_entry(x, i, 0), fmpq_mat_entry(v, i, 0));
        if (!fmpq_equal(s, fmpq_mat_entry(y, i, 0)))
            rc = idc_vfail(V, "%s: witness.y != x + v", id);
        fmpq_set(xa + i, fmpq_mat_entry(x, i, 0));
        fmpq_set(ya + i, fmpq_mat_entry(y, i, 0));
    }
    if (rc == IDC_OK) {
        idc_v_eval(fx, f, xa);
        idc_v_eval(fy, f, ya);
        for (slong i = 0; i < n && rc == IDC_OK; i++)
            if (!fmpq_equal(fx + i, fy + i) || !fmpq_equal(fx + i, fmpq_mat_entry(img, i, 0)))
                rc = idc_vfail(V, "%s: f(x), f(y), image differ in coordinate %ld", id, (long)i);
    }
    _fmpq_vec_clear(fx, n);
    _fmpq_vec_clear(fy, n);
    _fmpq_vec_clear(xa, m);
    _fmpq_vec_clear(ya, m);
    fmpq_clear(s);
    fmpq_clear(t);
    fmpq_mat_clear(v);
    fmpq_mat_clear(x);
    fmpq_mat_clear(y);
    fmpq_mat_clear(img);
    return rc;
}

/* Exact forward pass at x (m values) with the Jacobian of the region
 * (n x m) and the image (n); 0 when a relu/leaky pre-activation is zero
 * with a nonzero gradient (x may then lie on a region boundary). A zero
 * pre-activation with zero gradient is a unit that vanishes near x, where
 * both branches agree: f stays affine near x. */
static int v_point(fmpq_mat_t J, fmpq *y, const idc_pamap *f, const fmpq_mat_t x)
{
    slong m = (slong)f->in_dim;
    size_t wmax = idc_pamap_max_width(f);
    fmpq *cur = _fmpq_vec_init((slong)wmax), *nxt = _fmpq_vec_init((slong)wmax);
    fmpq_mat_t D, D2;
    fmpq_mat_init(D, (slong)wmax, m);
    fmpq_mat_init(D2, (slong)wmax, m);
    fmpq_t e;
    fmpq_init(e);
    for (slong i = 0; i < m; i++) {
        fmpq_set(cur + i, fmpq_mat_entry(x, i, 0));
        fmpq_one(fmpq_mat_entry(D, i, i));
    }
    int ok = 1;
    for (size_t li = 0; li < f->nlayers; li++) {
        const idc_layer *l = &f->layers[li];
        for (size_t r = 0; r < l->out; r++) {
            idc_dq_fmpq_set_finite_d(nxt + r, l->b[r]);
            for (slong k = 0; k < m; k++)
                fmpq_zero(fmpq_mat_entry(D2, (slong)r, k));
            for (size_t c = 0; c < l->in; c++) {
                idc_dq_fmpq_set_finite_d(e, l->W[r * l->in + c]);
                fmpq_addmul(nxt + r, e, cur + c);
                for (slong k = 0; k < m; k++)
                    fmpq_addmul(fmpq_mat_entry(D2, (slong)r, k), e, fmpq_mat_entry(D, (slong)c, k));
            }
            if (l->act == IDC_ACT_IDENTITY)
                continue;
            int sg = fmpq_sgn(nxt + r);
            if (sg == 0) /* fine only when the unit is constant (0) near x */
                for (slong k = 0; k < m; k++)
                    if (!fmpq_is_zero(fmpq_mat_entry(D2, (slong)r, k)))
                        ok = 0;
            if (sg < 0) {
                idc_dq_fmpq_set_finite_d(e, l->act == IDC_ACT_RELU ? 0.0 : l->slope);
                fmpq_mul(nxt + r, nxt + r, e);
                for (slong k = 0; k < m; k++)
                    fmpq_mul(fmpq_mat_entry(D2, (slong)r, k), fmpq_mat_entry(D2, (slong)r, k), e);
            }
        }
        fmpq *sw = cur;
        cur = nxt;
        nxt = sw;
        fmpq_mat_swap(D, D2);
    }
    for (size_t i = 0; i < f->out_dim; i++) {
        fmpq_set(y + i, cur + i);
        for (slong k = 0; k < m; k++)
            fmpq_set(fmpq_mat_entry(J, (slong)i, k), fmpq_mat_entry(D, (slong)i, k));
    }
    _fmpq_vec_clear(cur, (slong)wmax);
    _fmpq_vec_clear(nxt, (slong)wmax);
    fmpq_mat_clear(D);
    fmpq_mat_clear(D2);
    fmpq_clear(e);
    return ok;
}

/* "point-overlap" (F3 FAILS, any m): x1 != x2 points with f affine near
 * each (every relu/leaky pre-activation nonzero, or zero with zero gradient), f(x1) = f(x2) = image, rank J1 = rank J2 = rank [J1 J2] = m. Then
 * small disjoint balls around x1, x2 map onto open pieces of one m-flat that
 * share the point image: a set of positive H^m measure with two preimages,
 * and dim f(R^m) = m. */
static int v_point_overlap(vctx *V, const char *id, const json_t *w)
{
    const idc_pamap *f = V->f;
    if (f->kind != IDC_MAP_MLP)
        return idc_vfail(V, "%s: point-overlap needs an MLP", id);
    slong m = (slong)f->in_dim, n = (slong)f->out_dim;
    fmpq_mat_t x1, x2, img, J1, J2, JJ;
    fmpq_mat_init(x1, m, 1);
    fmpq_mat_init(x2, m, 1);
    fmpq_mat_init(img, n, 1);
    fmpq_mat_init(J1, n, m);
    fmpq_mat_init(J2, n, m);
    fmpq_mat_init(JJ, n, 2 * m);
    fmpq *y1 = _fmpq_vec_init(n), *y2 = _fmpq_vec_init(n);
    int rc = IDC_OK;
    if (!idc_vget_qvec(x1, json_object_get(w, "x1"), m) || !idc_vget_qvec(x2, json_object_get(w, "x2"), m))
        rc = idc_vfail(V, "%s: witness.x1 / x2: expected %ld rationals each", id, (long)m);
    else if (!idc_vget_qvec(img, json_object_get(w, "image"), n))
        rc = idc_vfail(V, "%s: witness.image: expected %ld rationals", id, (long)n);
    else if (fmpq_mat_equal(x1, x2))
        rc = idc_vfail(V, "%s: x1 = x2", id);
    else if (!v_point(J1, y1, f, x1) || !v_point(J2, y2, f, x2))
        rc = idc_vfail(V, "%s: a witness point may lie on a region boundary (a moving pre-activation is 0)", id);
    for (slong i = 0; i < n && rc == IDC_OK; i++)
        if (!fmpq_equal(y1 + i, y2 + i) || !fmpq_equal(y1 + i, fmpq_mat_entry(img, i, 0)))
            rc = idc_vfail(V, "%s: f(x1), f(x2), image differ in coordinate %ld", id, (long)i);
    if (rc == IDC_OK) {
        for (slong i = 0; i < n; i++)
            for (slong k = 0; k < m; k++) {
                fmpq_set(fmpq_mat_entry(JJ, i, k), fmpq_mat_entry(J1, i, k));
                fmpq_set(fmpq_mat_entry(JJ, i, m + k), fmpq_mat_entry(J2, i, k));
            }
        if (idc_v_rank(J1) != m || idc_v_rank(J2) != m)
            rc = idc_vfail(V, "%s: a region Jacobian has rank < m", id);
        else if (idc_v_rank(JJ) != m)
            rc = idc_vfail(V, "%s: the two regions' images span different m-flats", id);
    }
    _fmpq_vec_clear(y1, n);
    _fmpq_vec_clear(y2, n);
    fmpq_mat_clear(x1);
    fmpq_mat_clear(x2);
    fmpq_mat_clear(img);
    fmpq_mat_clear(J1);
    fmpq_mat_clear(J2);
    fmpq_mat_clear(JJ);
    return rc;
}

/* ---- m = 2: region lists ------------------------------------------------------------ */

/* The regions of a "cells" certificate with their affine maps. */
typedef struct {
    size_t K;
    idc_poly *P;
    fmpq_mat_struct *J, *c;
    slong *rk;
} vplane;

static void vplane_clear(vplane *G)
{
    for (size_t k = 0; k < G->K; k++) {
        idc_poly_clear(&G->P[k]);
        fmpq_mat_clear(G->J + k);
        fmpq_mat_clear(G->c + k);
    }
    free(G->P);
    free(G->J);
    free(G->c);
    free(G->rk);
    memset(G, 0, sizeof *G);
}

/* Polygon well formed: every vertex on its two edge lines, every vertex on
 * the inner side of every edge, each edge with a vertex strictly inside,
 * edges traversed counterclockwise. */
static int vpoly_ok(const idc_poly *P)
{
    idc_bq val, t;
    idc_bq_init(&val);
    idc_bq_init(&t);
    int ok = P->n >= 3;
    for (size_t k = 0; k < P->n && ok; k++) {
        const idc_pline *e = &P->e[k];
        ok = !fmpq_is_zero(e->p) || !fmpq_is_zero(e->q);
        size_t k1 = (k + 1) % P->n, km = (k + P->n - 1) % P->n;
        idc_pline_eval(&val, e, &P->v[k]);
        ok = ok && idc_bq_sgn(&val) == 0;
        idc_pline_eval(&val, &P->e[km], &P->v[k]);
        ok = ok && idc_bq_sgn(&val) == 0;
        int strict = 0;
        for (size_t j = 0; j < P->n && ok; j++) {
            idc_pline_eval(&val, e, &P->v[j]);
            ok = idc_bq_sgn(&val) >= 0;
            strict |= idc_bq_sgn(&val) > 0;
        }
        ok = ok && strict;
        if (ok) { /* -p dy + q dx > 0 */
            fmpq_sub(val.a, P->v[k1].x.a, P->v[k].x.a);
            fmpq_sub(val.b, P->v[k1].x.b, P->v[k].x.b);
            fmpq_mul(val.a, val.a, e->q);
            fmpq_mul(val.b, val.b, e->q);
            fmpq_sub(t.a, P->v[k1].y.a, P->v[k].y.a);
            fmpq_sub(t.b, P->v[k1].y.b, P->v[k].y.b);
            fmpq_submul(val.a, t.a, e->p);
            fmpq_submul(val.b, t.b, e->p);
            ok = idc_bq_sgn(&val) > 0;
        }
    }
    idc_bq_clear(&val);
    idc_bq_clear(&t);
    return ok;
}

/* The affine map of the MLP on P, with every relu/leaky unit checked to keep
 * one sign on P (no two vertices with strictly opposite signs). */
static int vpoly_affine(fmpq_mat_t J, fmpq_mat_t c, const idc_pamap *f, const idc_poly *P)
{
    fmpq_mat_t A, b;
    fmpq_mat_init(A, 2, 2);
    fmpq_mat_one(A);
    fmpq_mat_init(b, 2, 1);
    idc_pline l;
    idc_pline_init(&l);
    idc_bq val;
    idc_bq_init(&val);
    fmpq_t e;
    fmpq_init(e);
    int ok = 1;
    for (size_t li = 0; li < f->nlayers && ok; li++) {
        const idc_layer *L = &f->layers[li];
        fmpq_mat_t A2, b2;
        fmpq_mat_init(A2, (slong)L->out, 2);
        fmpq_mat_init(b2, (slong)L->out, 1);
        for (size_t r = 0; r < L->out && ok; r++) {
            idc_dq_fmpq_set_finite_d(fmpq_mat_entry(b2, (slong)r, 0), L->b[r]);
            for (size_t cc = 0; cc < L->in; cc++) {
                idc_dq_fmpq_set_finite_d(e, L->W[r * L->in + cc]);
                fmpq_addmul(fmpq_mat_entry(A2, (slong)r, 0), e, fmpq_mat_entry(A, (slong)cc, 0));
                fmpq_addmul(fmpq_mat_entry(A2, (slong)r, 1), e, fmpq_mat_entry(A, (slong)cc, 1));
                fmpq_addmul(fmpq_mat_entry(b2, (slong)r, 0), e, fmpq_mat_entry(b, (slong)cc, 0));
            }
            if (L->act == IDC_ACT_IDENTITY)
                continue;
            fmpq_set(l.p, fmpq_mat_entry(A2, (slong)r, 0));
            fmpq_set(l.q, fmpq_mat_entry(A2, (slong)r, 1));
            fmpq_set(l.r.a, fmpq_mat_entry(b2, (slong)r, 0));
            fmpq_zero(l.r.b);
            int pos = 0, neg = 0;
            for (size_t t = 0; t < P->n; t++) {
                idc_pline_eval(&val, &l, &P->v[t]);
                pos |= idc_bq_sgn(&val) > 0;
                neg |= idc_bq_sgn(&val) < 0;
            }
            if (pos && neg)
                ok = 0;
            else if (neg) {
                idc_dq_fmpq_set_finite_d(e, L->act == IDC_ACT_RELU ? 0.0 : L->slope);
                fmpq_mul(fmpq_mat_entry(A2, (slong)r, 0), fmpq_mat_entry(A2, (slong)r, 0), e);
                fmpq_mul(fmpq_mat_entry(A2, (slong)r, 1), fmpq_mat_entry(A2, (slong)r, 1), e);
                fmpq_mul(fmpq_mat_entry(b2, (slong)r, 0), fmpq_mat_entry(b2, (slong)r, 0), e);
            }
        }
        fmpq_mat_swap(A, A2);
        fmpq_mat_swap(b, b2);
        fmpq_mat_clear(A2);
        fmpq_mat_clear(b2);
    }
    if (ok) {
        fmpq_mat_set(J, A);
        fmpq_mat_set(c, b);
    }
    fmpq_mat_clear(A);
    fmpq_mat_clear(b);
    idc_pline_clear(&l);
    idc_bq_clear(&val);
    fmpq_clear(e);
    return ok;
}

/* One edge of the tiling check: on the normalised line key, the parameter
 * interval [t0, t1] with jump weight w. */
typedef struct {
    fmpq_t key[4];
    idc_bq t0, t1;
    int w;
} vseg;

static int vseg_cmp(const void *pa, const void *pb)
{
    const vseg *a = *(const vseg *const *)pa, *b = *(const vseg *const *)pb;
    for (int i = 0; i < 4; i++) {
        int c = fmpq_cmp(a->key[i], b->key[i]);
        if (c != 0)
            return c;
    }
    return 0;
}

typedef struct {
    const idc_bq *t;
    int w;
} vevent;

static int vevent_cmp(const void *pa, const void *pb)
{
    const vevent *a = pa, *b = pb;
    return idc_bq_cmp(a->t, b->t);
}

static void vseg_set(vseg *s, const idc_pline *e, const idc_pvert *a, const idc_pvert *b, int weight)
{
    fmpq_t sc;
    fmpq_init(sc);
    int usep = !fmpq_is_zero(e->p);
    fmpq_inv(sc, usep ? e->p : e->q);
    fmpq_mul(s->key[0], e->p, sc);
    fmpq_mul(s->key[1], e->q, sc);
    fmpq_mul(s->key[2], e->r.a, sc);
    fmpq_mul(s->key[3], e->r.b, sc);
    s->w = weight * fmpq_sgn(sc);
    /* p != 0: the line is a graph over y; else over x */
    idc_bq_set(&s->t0, usep ? &a->y : &a->x);
    idc_bq_set(&s->t1, usep ? &b->y : &b->x);
    if (idc_bq_cmp(&s->t0, &s->t1) > 0) {
        idc_bq t = s->t0;
        s->t0 = s->t1;
        s->t1 = t;
    }
    fmpq_clear(sc);
}

/* The polygons tile the box [-M, M]^2 (for all large M): the signed edge
 * chains of the polygons minus the box boundary cancel on every line. */
static int vtiling(const idc_poly *P, size_t K)
{
    size_t E = 4;
    for (size_t k = 0; k < K; k++)
        E += P[k].n;
    vseg *S = calloc(E, sizeof *S);
    vseg **ord = calloc(E, sizeof *ord);
    vevent *ev = calloc(2 * E, sizeof *ev);
    if (S == NULL || ord == NULL || ev == NULL) {
        free(S);
        free(ord);
        free(ev);
        return 0;
    }
    for (size_t i = 0; i < E; i++) {
        for (int j = 0; j < 4; j++)
            fmpq_init(S[i].key[j]);
        idc_bq_init(&S[i].t0);
        idc_bq_init(&S[i].t1);
        ord[i] = S + i;
    }
    idc_poly box;
    idc_poly_init(&box);
    idc_poly_box(&box);
    size_t i = 0;
    int ok = 1;
    for (size_t k = 0; k <= K; k++) {
        const idc_poly *Q = k < K ? &P[k] : &box;
        for (size_t e = 0; e < Q->n; e++, i++) {
            vseg_set(S + i, &Q->e[e], &Q->v[e], &Q->v[(e + 1) % Q->n], k < K ? 1 : -1);
            if (idc_bq_cmp(&S[i].t0, &S[i].t1) == 0)
                ok = 0; /* a zero-length edge */
        }
    }
    qsort(ord, E, sizeof *ord, vseg_cmp);
    for (size_t g = 0; g < E && ok;) {
        size_t h = g;
        while (h < E && vseg_cmp(ord + g, ord + h) == 0)
            h++;
        size_t ne = 0;
        for (size_t r = g; r < h; r++) {
            ev[ne].t = &ord[r]->t0;
            ev[ne++].w = ord[r]->w;
            ev[ne].t = &ord[r]->t1;
            ev[ne++].w = -ord[r]->w;
        }
        qsort(ev, ne, sizeof *ev, vevent_cmp);
        int run = 0;
        for (size_t r = 0; r < ne && ok; r++) {
            run += ev[r].w;
            if ((r + 1 == ne || idc_bq_cmp(ev[r].t, ev[r + 1].t) != 0) && run != 0)
                ok = 0;
        }
        g = h;
    }
    idc_poly_clear(&box);
    for (size_t r = 0; r < E; r++) {
        for (int j = 0; j < 4; j++)
            fmpq_clear(S[r].key[j]);
        idc_bq_clear(&S[r].t0);
        idc_bq_clear(&S[r].t1);
    }
    free(S);
    free(ord);
    free(ev);
    return ok;
}

static int vplane_load(vctx *V, vplane *G, const char *id, const json_t *w)
{
    memset(G, 0, sizeof *G);
    const idc_pamap *f = V->f;
    if (f->kind != IDC_MAP_MLP || f->in_dim != 2)
        return idc_vfail(V, "%s: a planar certificate needs an MLP with two inputs", id);
    json_t *cells = json_object_get(w, "cells");
    if (!json_is_array(cells) || json_array_size(cells) == 0)
        return idc_vfail(V, "%s: witness.cells: expected a nonempty array", id);
    size_t K = json_array_size(cells);
    G->P = calloc(K, sizeof *G->P);
    G->J = calloc(K, sizeof *G->J);
    G->c = calloc(K, sizeof *G->c);
    G->rk = calloc(K, sizeof *G->rk);
    if (G->P == NULL || G->J == NULL || G->c == NULL || G->rk == NULL) {
        free(G->P);
        free(G->J);
        free(G->c);
        free(G->rk);
        memset(G, 0, sizeof *G);
        return idc_vfail(V, "%s: out of memory", id);
    }
    G->K = K;
    for (size_t k = 0; k < K; k++) {
        idc_poly_init(&G->P[k]);
        fmpq_mat_init(G->J + k, (slong)f->out_dim, 2);
        fmpq_mat_init(G->c + k, (slong)f->out_dim, 1);
    }
    for (size_t k = 0; k < K; k++) {
        if (!idc_poly_from_json(&G->P[k], json_array_get(cells, k)) || !vpoly_ok(&G->P[k]))
            return idc_vfail(V, "%s: cells[%zu] is not a convex counterclockwise polygon", id, k);
        if (!vpoly_affine(G->J + k, G->c + k, f, &G->P[k]))
            return idc_vfail(V, "%s: f is not affine on cells[%zu] (a unit changes sign)", id, k);
        G->rk[k] = idc_v_rank(G->J + k);
    }
    if (!vtiling(G->P, K))
        return idc_vfail(V, "%s: the cells do not tile the plane", id);
    return IDC_OK;
}

static int v_plane_lowrank(vctx *V, const char *id, const json_t *w)
{
    vplane G;
    int rc = vplane_load(V, &G, id, w);
    for (size_t k = 0; k < G.K && rc == IDC_OK; k++)
        if (G.rk[k] == 2)
            rc = idc_vfail(V, "%s: cells[%zu] has rank 2", id, k);
    vplane_clear(&G);
    return rc;
}

static int v_plane_point(vctx *V, const char *id, const json_t *w)
{
    vplane G;
    int rc = vplane_load(V, &G, id, w);
    fmpq_mat_t x, y;
    fmpq_mat_init(x, 2, 1);
    fmpq_mat_init(y, (slong)V->f->out_dim, 1);
    size_t k = G.K;
    if (rc == IDC_OK && !idc_vget_qvec(x, json_object_get(w, "x"), 2))
        rc = idc_vfail(V, "%s: witness.x: expected 2 rationals", id);
    for (size_t j = 0; j < G.K && rc == IDC_OK && k == G.K; j++)
        if (idc_poly_contains_strict_q(&G.P[j], fmpq_mat_entry(x, 0, 0), fmpq_mat_entry(x, 1, 0)))
            k = j;
    if (rc == IDC_OK && k == G.K)
        rc = idc_vfail(V, "%s: witness.x is not inside a cell", id);
    if (rc == IDC_OK && G.rk[k] != 2)
        rc = idc_vfail(V, "%s: the cell of witness.x has rank < 2", id);
    if (rc == IDC_OK) {
        fmpq_mat_mul(y, G.J + k, x);
        fmpq_mat_add(y, y, G.c + k);
        for (size_t j = 0; j < G.K && rc == IDC_OK; j++)
            if (j != k && idc_plane_hits(G.J + j, G.c + j, &G.P[j], y))
                rc = idc_vfail(V, "%s: f(x) lies in the image of cells[%zu] too", id, j);
    }
    fmpq_mat_clear(x);
    fmpq_mat_clear(y);
    vplane_clear(&G);
    return rc;
}

static int v_plane_cover(vctx *V, const char *id, const json_t *w)
{
    vplane G;
    int rc = vplane_load(V, &G, id, w);
    json_t *cover = json_object_get(w, "cover");
    if (rc == IDC_OK && !json_is_array(cover))
        rc = idc_vfail(V, "%s: witness.cover: expected an array", id);
    fmpq_mat_t S, d;
    fmpq_mat_init(S, 2, 2);
    fmpq_mat_init(d, 2, 1);
    size_t e = 0, maxe = 0;
    for (size_t k = 0; k < G.K; k++)
        maxe = G.P[k].n > maxe ? G.P[k].n : maxe;
    idc_pline *lines = calloc(maxe + 1, sizeof *lines);
    if (lines == NULL) {
        maxe = 0;
        if (rc == IDC_OK)
            rc = idc_vfail(V, "%s: out of memory", id);
    }
    for (size_t t = 0; t < maxe; t++)
        idc_pline_init(lines + t);
    for (size_t k = 0; k < G.K && rc == IDC_OK; k++) {
        if (G.rk[k] != 2)
            continue;
        json_t *ent = json_array_get(cover, e++);
        slong kk;
        if (!idc_vget_index(&kk, ent, "cell", 0, (slong)G.K - 1) || (size_t)kk != k) {
            rc = idc_vfail(V, "%s: cover[%zu] must be rank-2 cell %zu", id, e - 1, k);
            break;
        }
        json_t *by = json_object_get(ent, "by");
        if (!json_is_array(by)) {
            rc = idc_vfail(V, "%s: cover[%zu].by: expected an array", id, e - 1);
            break;
        }
        size_t np = 1, pa = 1;
        idc_poly *pcs = calloc(1, sizeof *pcs), *nxt = calloc(1, sizeof *nxt);
        if (pcs == NULL || nxt == NULL) {
            free(pcs);
            free(nxt);
            rc = idc_vfail(V, "%s: out of memory", id);
            break;
        }
        idc_poly_set(&pcs[0], &G.P[k]);
        for (size_t r = 0; r < json_array_size(by) && rc == IDC_OK && np > 0; r++) {
            json_t *jk = json_array_get(by, r);
            size_t k2 = json_is_integer(jk) ? (size_t)json_integer_value(jk) : G.K;
            if (k2 >= G.K || k2 == k || G.rk[k2] != 2 ||
                !idc_plane_flat_map(S, d, G.J + k, G.c + k, G.J + k2, G.c + k2)) {
                rc = idc_vfail(V, "%s: cover[%zu].by[%zu] is not another rank-2 cell on the same 2-flat", id,
                               e - 1, r);
                break;
            }
            size_t ne = idc_poly_map_lines(lines, &G.P[k2], S, d), need = np * ne + 1;
            if (need > pa) {
                idc_poly *g1 = realloc(pcs, need * sizeof *pcs);
                if (g1 != NULL)
                    pcs = g1;
                idc_poly *g2 = g1 == NULL ? NULL : realloc(nxt, need * sizeof *nxt);
                if (g2 != NULL)
                    nxt = g2;
                if (g1 == NULL || g2 == NULL) {
                    rc = idc_vfail(V, "%s: out of memory", id);
                    break;
                }
                for (size_t t = pa; t < need; t++) {
                    idc_poly_init(&pcs[t]);
                    idc_poly_init(&nxt[t]);
                }
                pa = need;
            }
            size_t nn = 0;
            for (size_t t = 0; t < np; t++)
                idc_poly_subtract(nxt, &nn, &pcs[t], lines, ne);
            idc_poly *sw = pcs;
            pcs = nxt;
            nxt = sw;
            np = nn;
        }
        if (rc == IDC_OK && np > 0)
            rc = idc_vfail(V, "%s: cell %zu is not covered by the listed cells' images", id, k);
        for (size_t t = 0; t < pa; t++) {
            idc_poly_clear(&pcs[t]);
            idc_poly_clear(&nxt[t]);
        }
        free(pcs);
        free(nxt);
    }
    if (rc == IDC_OK && e != json_array_size(cover))
        rc = idc_vfail(V, "%s: witness.cover: expected one entry per rank-2 cell", id);
    for (size_t t = 0; t < maxe; t++)
        idc_pline_clear(lines + t);
    free(lines);
    fmpq_mat_clear(S);
    fmpq_mat_clear(d);
    vplane_clear(&G);
    return rc;
}

static int v_plane_disjoint(vctx *V, const char *id, const json_t *w)
{
    vplane G;
    int rc = vplane_load(V, &G, id, w);
    fmpq_mat_t S, d;
    fmpq_mat_init(S, 2, 2);
    fmpq_mat_init(d, 2, 1);
    size_t maxe = 0;
    int any2 = 0;
    for (size_t k = 0; k < G.K; k++) {
        maxe = G.P[k].n > maxe ? G.P[k].n : maxe;
        any2 |= G.rk[k] == 2;
    }
    if (rc == IDC_OK && !any2)
        rc = idc_vfail(V, "%s: no cell has rank 2", id);
    idc_pline *lines = calloc(maxe + 1, sizeof *lines);
    if (lines == NULL) {
        maxe = 0;
        if (rc == IDC_OK)
            rc = idc_vfail(V, "%s: out of memory", id);
    }
    for (size_t t = 0; t < maxe; t++)
        idc_pline_init(lines + t);
    idc_poly Q;
    idc_poly_init(&Q);
    for (size_t k = 0; k < G.K && rc == IDC_OK; k++)
        for (size_t k2 = k + 1; k2 < G.K && rc == IDC_OK; k2++) {
            if (G.rk[k] != 2 || G.rk[k2] != 2 || !idc_plane_flat_map(S, d, G.J + k, G.c + k, G.J + k2, G.c + k2))
                continue;
            size_t nl = idc_poly_map_lines(lines, &G.P[k2], S, d);
            idc_poly_set(&Q, &G.P[k]);
            if (idc_poly_clip(&Q, lines, nl))
                rc = idc_vfail(V, "%s: the images of cells %zu and %zu overlap in positive area", id, k, k2);
        }
    idc_poly_clear(&Q);
    for (size_t t = 0; t < maxe; t++)
        idc_pline_clear(lines + t);
    free(lines);
    fmpq_mat_clear(S);
    fmpq_mat_clear(d);
    vplane_clear(&G);
    return rc;
}

static int v_f23(vctx *V, const char *id, idc_verdict v, const char *method, const json_t *w);

int idc_v_f23(vctx *V, const char *id, idc_verdict v, const char *method, const json_t *w)
{
    (void)idc_plane_oom_take();
    int rc = v_f23(V, id, v, method, w);
    if (idc_plane_oom_take())
        return idc_vfail(V, "%s: out of memory in the planar geometry", id);
    return rc;
}

static int v_f23(vctx *V, const char *id, idc_verdict v, const char *method, const json_t *w)
{
    if (idc_v_need_map(V) != IDC_OK)
        return IDC_EDOM;
    int f2 = strcmp(id, "F2") == 0;
    if (strcmp(method, "kernel-w1") == 0)
        return v == IDC_FAILS ? v_kernel_w1(V, id, w) : idc_vfail(V, "%s: kernel-w1 proves FAILS only", id);
    if (strcmp(method, "line-constant") == 0)
        return v == IDC_FAILS ? v_line_constant(V, id, w)
                              : idc_vfail(V, "%s: line-constant proves FAILS only", id);
    if (strcmp(method, "line-point") == 0)
        return v == IDC_HOLDS && f2 ? v_line_point(V, id, w)
                                    : idc_vfail(V, "%s: line-point proves F2 HOLDS only", id);
    if (strcmp(method, "line-cover") == 0)
        return v == IDC_FAILS && f2 ? v_line_cover(V, id, w)
                                    : idc_vfail(V, "%s: line-cover proves F2 FAILS only", id);
    if (strcmp(method, "line-disjoint") == 0)
        return v == IDC_HOLDS && !f2 ? v_line_disjoint(V, id, w)
                                     : idc_vfail(V, "%s: line-disjoint proves F3 HOLDS only", id);
    if (strcmp(method, "line-overlap") == 0)
        return v == IDC_FAILS && !f2 ? v_line_overlap(V, id, w)
                                     : idc_vfail(V, "%s: line-overlap proves F3 FAILS only", id);
    if (strcmp(method, "plane-lowrank") == 0)
        return v == IDC_FAILS ? v_plane_lowrank(V, id, w) : idc_vfail(V, "%s: plane-lowrank proves FAILS only", id);
    if (strcmp(method, "plane-point") == 0)
        return v == IDC_HOLDS && f2 ? v_plane_point(V, id, w)
                                    : idc_vfail(V, "%s: plane-point proves F2 HOLDS only", id);
    if (strcmp(method, "plane-cover") == 0)
        return v == IDC_FAILS && f2 ? v_plane_cover(V, id, w)
                                    : idc_vfail(V, "%s: plane-cover proves F2 FAILS only", id);
    if (strcmp(method, "plane-disjoint") == 0)
        return v == IDC_HOLDS && !f2 ? v_plane_disjoint(V, id, w)
                                     : idc_vfail(V, "%s: plane-disjoint proves F3 HOLDS only", id);
    if (strcmp(method, "point-overlap") == 0)
        return v == IDC_FAILS && !f2 ? v_point_overlap(V, id, w)
                                     : idc_vfail(V, "%s: point-overlap proves F3 FAILS only", id);
    return idc_vfail(V, "%s: no verifier for method %s", id, method);
}
