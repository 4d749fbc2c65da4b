/* Exact planar geometry with a symbolic large M (theory/verify/plane2d.h). */
#include <stdlib.h>
#include <string.h>

#include "numeric/status.h"
#include "theory/verify.h"
#include "theory/verify/plane2d.h"
#include "theory/verify/verify_impl.h"

void idc_bq_init(idc_bq *x)
{
    fmpq_init(x->a);
    fmpq_init(x->b);
}

void idc_bq_clear(idc_bq *x)
{
    fmpq_clear(x->a);
    fmpq_clear(x->b);
}

void idc_bq_set(idc_bq *x, const idc_bq *y)
{
    fmpq_set(x->a, y->a);
    fmpq_set(x->b, y->b);
}

int idc_bq_sgn(const idc_bq *x)
{
    int s = fmpq_sgn(x->b);
    return s != 0 ? s : fmpq_sgn(x->a);
}

int idc_bq_cmp(const idc_bq *x, const idc_bq *y)
{
    int c = fmpq_cmp(x->b, y->b);
    return c != 0 ? c : fmpq_cmp(x->a, y->a);
}

void idc_pline_init(idc_pline *l)
{
    fmpq_init(l->p);
    fmpq_init(l->q);
    idc_bq_init(&l->r);
}

void idc_pline_clear(idc_pline *l)
{
    fmpq_clear(l->p);
    fmpq_clear(l->q);
    idc_bq_clear(&l->r);
}

void idc_pline_set(idc_pline *l, const idc_pline *m)
{
    fmpq_set(l->p, m->p);
    fmpq_set(l->q, m->q);
    idc_bq_set(&l->r, &m->r);
}

void idc_pline_eval(idc_bq *out, const idc_pline *l, const idc_pvert *v)
{
    fmpq_t t;
    fmpq_init(t);
    fmpq_mul(out->a, l->p, v->x.a);
    fmpq_mul(t, l->q, v->y.a);
    fmpq_add(out->a, out->a, t);
    fmpq_add(out->a, out->a, l->r.a);
    fmpq_mul(out->b, l->p, v->x.b);
    fmpq_mul(t, l->q, v->y.b);
    fmpq_add(out->b, out->b, t);
    fmpq_add(out->b, out->b, l->r.b);
    fmpq_clear(t);
}

void idc_pline_eval_q(idc_bq *out, const idc_pline *l, const fmpq_t x, const fmpq_t y)
{
    fmpq_t t;
    fmpq_init(t);
    fmpq_mul(out->a, l->p, x);
    fmpq_mul(t, l->q, y);
    fmpq_add(out->a, out->a, t);
    fmpq_add(out->a, out->a, l->r.a);
    fmpq_set(out->b, l->r.b);
    fmpq_clear(t);
}

int idc_pline_meet(idc_pvert *out, const idc_pline *a, const idc_pline *b)
{
    fmpq_t det, t;
    fmpq_init(det);
    fmpq_init(t);
    fmpq_mul(det, a->p, b->q);
    fmpq_mul(t, b->p, a->q);
    fmpq_sub(det, det, t);
    int ok = !fmpq_is_zero(det);
    if (ok) {
        /* x = (qa rb - qb ra) / det, y = (pb ra - pa rb) / det */
        fmpq_mul(out->x.a, a->q, b->r.a);
        fmpq_mul(t, b->q, a->r.a);
        fmpq_sub(out->x.a, out->x.a, t);
        fmpq_div(out->x.a, out->x.a, det);
        fmpq_mul(out->x.b, a->q, b->r.b);
        fmpq_mul(t, b->q, a->r.b);
        fmpq_sub(out->x.b, out->x.b, t);
        fmpq_div(out->x.b, out->x.b, det);
        fmpq_mul(out->y.a, b->p, a->r.a);
        fmpq_mul(t, a->p, b->r.a);
        fmpq_sub(out->y.a, out->y.a, t);
        fmpq_div(out->y.a, out->y.a, det);
        fmpq_mul(out->y.b, b->p, a->r.b);
        fmpq_mul(t, a->p, b->r.b);
        fmpq_sub(out->y.b, out->y.b, t);
        fmpq_div(out->y.b, out->y.b, det);
    }
    fmpq_clear(det);
    fmpq_clear(t);
    return ok;
}

void idc_poly_init(idc_poly *P)
{
    memset(P, 0, sizeof *P);
}

void idc_poly_clear(idc_poly *P)
{
    for (size_t k = 0; k < P->alloc; k++) {
        idc_bq_clear(&P->v[k].x);
        idc_bq_clear(&P->v[k].y);
        idc_pline_clear(&P->e[k]);
    }
    free(P->v);
    free(P->e);
    memset(P, 0, sizeof *P);
}

/* Sticky per-thread flag: an allocation failed; results computed since are
 * meaningless (callers check idc_plane_oom_take before trusting them). */
static _Thread_local int plane_oom;

int idc_plane_oom_take(void)
{
    int r = plane_oom;
    plane_oom = 0;
    return r;
}

static int poly_reserve(idc_poly *P, size_t n)
{
    if (n <= P->alloc)
        return 1;
    size_t na = n < 8 ? 8 : 2 * n;
    idc_pvert *v = realloc(P->v, na * sizeof *v);
    if (v != NULL)
        P->v = v;
    idc_pline *e = v == NULL ? NULL : realloc(P->e, na * sizeof *e);
    if (e != NULL)
        P->e = e;
    if (v == NULL || e == NULL) {
        plane_oom = 1;
        return 0;
    }
    for (size_t k = P->alloc; k < na; k++) {
        idc_bq_init(&v[k].x);
        idc_bq_init(&v[k].y);
        idc_pline_init(&e[k]);
    }
    P->alloc = na;
    return 1;
}

void idc_poly_set(idc_poly *P, const idc_poly *Q)
{
    if (P == Q || !poly_reserve(P, Q->n))
        return;
    for (size_t k = 0; k < Q->n; k++) {
        idc_bq_set(&P->v[k].x, &Q->v[k].x);
        idc_bq_set(&P->v[k].y, &Q->v[k].y);
        idc_pline_set(&P->e[k], &Q->e[k]);
    }
    P->n = Q->n;
}

void idc_poly_swap(idc_poly *P, idc_poly *Q)
{
    idc_poly t = *P;
    *P = *Q;
    *Q = t;
}

void idc_poly_box(idc_poly *P)
{
    /* counterclockwise from (-M, -M); edges y >= -M, x <= M, y <= M, x >= -M */
    static const int vx[4] = {-1, 1, 1, -1}, vy[4] = {-1, -1, 1, 1};
    static const int ep[4] = {0, -1, 0, 1}, eq[4] = {1, 0, -1, 0};
    if (!poly_reserve(P, 4))
        return;
    P->n = 4;
    for (size_t k = 0; k < 4; k++) {
        fmpq_zero(P->v[k].x.a);
        fmpq_set_si(P->v[k].x.b, vx[k], 1);
        fmpq_zero(P->v[k].y.a);
        fmpq_set_si(P->v[k].y.b, vy[k], 1);
        fmpq_set_si(P->e[k].p, ep[k], 1);
        fmpq_set_si(P->e[k].q, eq[k], 1);
        fmpq_zero(P->e[k].r.a);
        fmpq_one(P->e[k].r.b);
    }
}

static void emit(idc_poly *O, const idc_pvert *v, const idc_pline *l)
{
    if (!poly_reserve(O, O->n + 1))
        return;
    idc_bq_set(&O->v[O->n].x, &v->x);
    idc_bq_set(&O->v[O->n].y, &v->y);
    idc_pline_set(&O->e[O->n], l);
    O->n++;
}

/* The part of P with sg * l >= 0 (P has both strict signs). */
static void clip_side(idc_poly *O, const idc_poly *P, const idc_pline *l0, const int *s, int sg)
{
    O->n = 0;
    idc_pvert I;
    idc_bq_init(&I.x);
    idc_bq_init(&I.y);
    /* the new edge carries sg * l0, so that the kept side is >= 0 */
    idc_pline ls;
    idc_pline *l = &ls;
    idc_pline_init(&ls);
    idc_pline_set(&ls, l0);
    if (sg < 0) {
        fmpq_neg(ls.p, ls.p);
        fmpq_neg(ls.q, ls.q);
        fmpq_neg(ls.r.a, ls.r.a);
        fmpq_neg(ls.r.b, ls.r.b);
    }
    for (size_t k = 0; k < P->n; k++) {
        size_t k1 = (k + 1) % P->n;
        int sc = sg * s[k], sn = sg * s[k1];
        if (sc >= 0) {
            /* leaving the kept side from a vertex on l: travel along l */
            emit(O, &P->v[k], (sc == 0 && sn < 0) ? l : &P->e[k]);
            if (sc > 0 && sn < 0) {
                if (idc_pline_meet(&I, &P->e[k], l)) /* a crossing edge is not parallel to l */
                    emit(O, &I, l);
            }
        } else if (sn > 0) {
            if (idc_pline_meet(&I, &P->e[k], l))
                emit(O, &I, &P->e[k]);
        }
    }
    idc_bq_clear(&I.x);
    idc_bq_clear(&I.y);
    idc_pline_clear(&ls);
}

int idc_poly_split(idc_poly *pos, idc_poly *neg, const idc_poly *P, const idc_pline *l)
{
    int *s = malloc((P->n ? P->n : 1) * sizeof *s);
    if (s == NULL) {
        plane_oom = 1;
        return 1;
    }
    idc_bq val;
    idc_bq_init(&val);
    int haspos = 0, hasneg = 0;
    for (size_t k = 0; k < P->n; k++) {
        idc_pline_eval(&val, l, &P->v[k]);
        s[k] = idc_bq_sgn(&val);
        haspos |= s[k] > 0;
        hasneg |= s[k] < 0;
    }
    idc_bq_clear(&val);
    int r = !hasneg ? 1 : (!haspos ? -1 : 0);
    if (r == 0) {
        if (pos != NULL)
            clip_side(pos, P, l, s, 1);
        if (neg != NULL)
            clip_side(neg, P, l, s, -1);
    }
    free(s);
    return r;
}

void idc_poly_centroid(idc_pvert *c, const idc_poly *P)
{
    fmpq_t acc[4], inv;
    for (int i = 0; i < 4; i++)
        fmpq_init(acc[i]);
    fmpq_init(inv);
    for (size_t k = 0; k < P->n; k++) {
        const idc_pvert *v = &P->v[k];
        fmpq_add(acc[0], acc[0], v->x.a);
        fmpq_add(acc[1], acc[1], v->x.b);
        fmpq_add(acc[2], acc[2], v->y.a);
        fmpq_add(acc[3], acc[3], v->y.b);
    }
    fmpq_set_si(inv, 1, (ulong)(P->n > 0 ? P->n : 1));
    fmpq_mul(c->x.a, acc[0], inv);
    fmpq_mul(c->x.b, acc[1], inv);
    fmpq_mul(c->y.a, acc[2], inv);
    fmpq_mul(c->y.b, acc[3], inv);
    for (int i = 0; i < 4; i++)
        fmpq_clear(acc[i]);
    fmpq_clear(inv);
}

int idc_poly_from_json(idc_poly *P, const json_t *j)
{
    json_t *v = json_object_get(j, "v"), *e = json_object_get(j, "e");
    if (!json_is_array(v) || !json_is_array(e) || json_array_size(v) != json_array_size(e) ||
        json_array_size(v) < 3)
        return 0;
    size_t n = json_array_size(v);
    if (!poly_reserve(P, n))
        return 0;
    P->n = n;
    for (size_t k = 0; k < n; k++) {
        json_t *a = json_array_get(v, k), *b = json_array_get(e, k);
        if (!json_is_array(a) || json_array_size(a) != 4 || !json_is_array(b) || json_array_size(b) != 4)
            return 0;
        fmpq *dst[8] = {P->v[k].x.a, P->v[k].x.b, P->v[k].y.a, P->v[k].y.b,
                        P->e[k].p,   P->e[k].q,   P->e[k].r.a, P->e[k].r.b};
        for (size_t i = 0; i < 8; i++)
            if (idc_cert_get_fmpq(dst[i], json_array_get(i < 4 ? a : b, i % 4)) != IDC_OK)
                return 0;
    }
    return 1;
}

/* ---- affine cells --------------------------------------------------------------- */

/* Rows i1 < i2 of J (n x 2) with a nonzero 2 x 2 minor, and its inverse G;
 * 0 when rank J < 2. */
static int rank2_rows(slong *i1, slong *i2, fmpq_mat_t G, const fmpq_mat_t J)
{
    fmpq_t det, t;
    fmpq_init(det);
    fmpq_init(t);
    int ok = 0;
    for (slong a = 0; a < J->r && !ok; a++)
        for (slong b = a + 1; b < J->r && !ok; b++) {
            fmpq_mul(det, fmpq_mat_entry(J, a, 0), fmpq_mat_entry(J, b, 1));
            fmpq_mul(t, fmpq_mat_entry(J, a, 1), fmpq_mat_entry(J, b, 0));
            fmpq_sub(det, det, t);
            if (!fmpq_is_zero(det)) {
                ok = 1;
                *i1 = a;
                *i2 = b;
                fmpq_div(fmpq_mat_entry(G, 0, 0), fmpq_mat_entry(J, b, 1), det);
                fmpq_div(fmpq_mat_entry(G, 0, 1), fmpq_mat_entry(J, a, 1), det);
                fmpq_neg(fmpq_mat_entry(G, 0, 1), fmpq_mat_entry(G, 0, 1));
                fmpq_div(fmpq_mat_entry(G, 1, 0), fmpq_mat_entry(J, b, 0), det);
                fmpq_neg(fmpq_mat_entry(G, 1, 0), fmpq_mat_entry(G, 1, 0));
                fmpq_div(fmpq_mat_entry(G, 1, 1), fmpq_mat_entry(J, a, 0), det);
            }
        }
    fmpq_clear(det);
    fmpq_clear(t);
    return ok;
}

int idc_plane_flat_map(fmpq_mat_t S, fmpq_mat_t d, const fmpq_mat_t J, const fmpq_mat_t c, const fmpq_mat_t J2,
                       const fmpq_mat_t c2)
{
    slong i1, i2, n = J->r;
    fmpq_mat_t G, R, rd, chk, chk1;
    fmpq_mat_init(G, 2, 2);
    fmpq_mat_init(R, 2, 2);
    fmpq_mat_init(rd, 2, 1);
    fmpq_mat_init(chk, n, 2);
    fmpq_mat_init(chk1, n, 1);
    int ok = rank2_rows(&i1, &i2, G, J);
    if (ok) {
        for (slong k = 0; k < 2; k++) {
            fmpq_set(fmpq_mat_entry(R, 0, k), fmpq_mat_entry(J2, i1, k));
            fmpq_set(fmpq_mat_entry(R, 1, k), fmpq_mat_entry(J2, i2, k));
        }
        fmpq_sub(fmpq_mat_entry(rd, 0, 0), fmpq_mat_entry(c2, i1, 0), fmpq_mat_entry(c, i1, 0));
        fmpq_sub(fmpq_mat_entry(rd, 1, 0), fmpq_mat_entry(c2, i2, 0), fmpq_mat_entry(c, i2, 0));
        fmpq_mat_mul(S, G, R);
        fmpq_mat_mul(d, G, rd);
        fmpq_mat_mul(chk, J, S);
        fmpq_mat_mul(chk1, J, d);
        fmpq_mat_add(chk1, chk1, c);
        ok = fmpq_mat_equal(chk, J2) && fmpq_mat_equal(chk1, c2);
        if (ok) {
            fmpq_t det, t;
            fmpq_init(det);
            fmpq_init(t);
            fmpq_mul(det, fmpq_mat_entry(S, 0, 0), fmpq_mat_entry(S, 1, 1));
            fmpq_mul(t, fmpq_mat_entry(S, 0, 1), fmpq_mat_entry(S, 1, 0));
            ok = !fmpq_equal(det, t);
            fmpq_clear(det);
            fmpq_clear(t);
        }
    }
    fmpq_mat_clear(G);
    fmpq_mat_clear(R);
    fmpq_mat_clear(rd);
    fmpq_mat_clear(chk);
    fmpq_mat_clear(chk1);
    return ok;
}

size_t idc_poly_map_lines(idc_pline *out, const idc_poly *P, const fmpq_mat_t S, const fmpq_mat_t d)
{
    fmpq_mat_t Si;
    fmpq_mat_init(Si, 2, 2);
    if (!fmpq_mat_inv(Si, S)) { /* S comes from idc_plane_flat_map: invertible */
        fmpq_mat_clear(Si);
        plane_oom = 1;           /* a broken invariant: poison the results */
        return 0;
    }
    fmpq_t t;
    fmpq_init(t);
    size_t no = 0;
    for (size_t k = 0; k < P->n; k++) {
        const idc_pline *l = &P->e[k];
        if (!fmpq_is_zero(l->r.b))
            continue; /* a side of the box, not a side of the region */
        idc_pline *o = &out[no++];
        /* (p', q') = (p, q) Si; r' = r - (p', q') . d */
        fmpq_mul(o->p, l->p, fmpq_mat_entry(Si, 0, 0));
        fmpq_mul(t, l->q, fmpq_mat_entry(Si, 1, 0));
        fmpq_add(o->p, o->p, t);
        fmpq_mul(o->q, l->p, fmpq_mat_entry(Si, 0, 1));
        fmpq_mul(t, l->q, fmpq_mat_entry(Si, 1, 1));
        fmpq_add(o->q, o->q, t);
        fmpq_mul(t, o->p, fmpq_mat_entry(d, 0, 0));
        fmpq_addmul(t, o->q, fmpq_mat_entry(d, 1, 0));
        fmpq_neg(t, t);
        fmpq_add(t, t, l->r.a);
        fmpq_set(o->r.a, t);
        fmpq_zero(o->r.b);
    }
    fmpq_clear(t);
    fmpq_mat_clear(Si);
    return no;
}

int idc_poly_clip(idc_poly *P, const idc_pline *l, size_t nl)
{
    idc_poly pos;
    idc_poly_init(&pos);
    int ok = 1;
    for (size_t k = 0; k < nl && ok; k++) {
        int r = idc_poly_split(&pos, NULL, P, l + k);
        if (r < 0)
            ok = 0;
        else if (r == 0)
            idc_poly_swap(P, &pos);
    }
    idc_poly_clear(&pos);
    return ok;
}

void idc_poly_subtract(idc_poly *out, size_t *nout, const idc_poly *P, const idc_pline *l, size_t nl)
{
    idc_poly cur, pos, neg;
    idc_poly_init(&cur);
    idc_poly_init(&pos);
    idc_poly_init(&neg);
    idc_poly_set(&cur, P);
    int inside = 1;
    /* a piece that meets Q in zero area is kept whole, not fragmented */
    if (!idc_poly_clip(&cur, l, nl)) {
        idc_poly_set(&out[(*nout)++], P);
        inside = 0;
    }
    idc_poly_set(&cur, P);
    for (size_t k = 0; k < nl && inside; k++) {
        int r = idc_poly_split(&pos, &neg, &cur, l + k);
        if (r < 0) {
            idc_poly_set(&out[(*nout)++], &cur);
            inside = 0;
        } else if (r == 0) {
            idc_poly_set(&out[(*nout)++], &neg);
            idc_poly_swap(&cur, &pos);
        }
    }
    idc_poly_clear(&cur);
    idc_poly_clear(&pos);
    idc_poly_clear(&neg);
}

int idc_plane_hits(const fmpq_mat_t J, const fmpq_mat_t c, const idc_poly *P, const fmpq_mat_t y)
{
    slong n = J->r;
    fmpq_mat_t rhs, u, Ju, G;
    fmpq_mat_init(rhs, n, 1);
    fmpq_mat_init(u, 2, 1);
    fmpq_mat_init(Ju, n, 1);
    fmpq_mat_init(G, 2, 2);
    fmpq_mat_sub(rhs, y, c);
    idc_bq val, lo, hi, b;
    idc_bq_init(&val);
    idc_bq_init(&lo);
    idc_bq_init(&hi);
    idc_bq_init(&b);
    slong rk = idc_v_rank(J);
    int hit = 0;
    if (rk == 0) {
        hit = fmpq_mat_is_zero(rhs);
    } else if (rk == 2) {
        slong i1, i2;
        rank2_rows(&i1, &i2, G, J);
        fmpq_mat_t r2;
        fmpq_mat_init(r2, 2, 1);
        fmpq_set(fmpq_mat_entry(r2, 0, 0), fmpq_mat_entry(rhs, i1, 0));
        fmpq_set(fmpq_mat_entry(r2, 1, 0), fmpq_mat_entry(rhs, i2, 0));
        fmpq_mat_mul(u, G, r2);
        fmpq_mat_clear(r2);
        fmpq_mat_mul(Ju, J, u);
        hit = fmpq_mat_equal(Ju, rhs);
        for (size_t k = 0; k < P->n && hit; k++) {
            idc_pline_eval_q(&val, &P->e[k], fmpq_mat_entry(u, 0, 0), fmpq_mat_entry(u, 1, 0));
            hit = idc_bq_sgn(&val) >= 0;
        }
    } else {
        slong i = 0, j = 0;
        while (fmpq_is_zero(fmpq_mat_entry(J, i, 0)) && fmpq_is_zero(fmpq_mat_entry(J, i, 1)))
            i++;
        j = fmpq_is_zero(fmpq_mat_entry(J, i, 0)) ? 1 : 0;
        fmpq_div(fmpq_mat_entry(u, j, 0), fmpq_mat_entry(rhs, i, 0), fmpq_mat_entry(J, i, j));
        fmpq_mat_mul(Ju, J, u);
        hit = fmpq_mat_equal(Ju, rhs);
        /* u0 + t k, k = (-J[i][1], J[i][0]) spans ker J */
        int has_lo = 0, has_hi = 0;
        fmpq_t dl, t;
        fmpq_init(dl);
        fmpq_init(t);
        for (size_t e = 0; e < P->n && hit; e++) {
            const idc_pline *l = &P->e[e];
            idc_pline_eval_q(&val, l, fmpq_mat_entry(u, 0, 0), fmpq_mat_entry(u, 1, 0));
            fmpq_mul(dl, l->q, fmpq_mat_entry(J, i, 0));
            fmpq_mul(t, l->p, fmpq_mat_entry(J, i, 1));
            fmpq_sub(dl, dl, t);
            if (fmpq_is_zero(dl)) {
                hit = idc_bq_sgn(&val) >= 0;
                continue;
            }
            /* val + t dl >= 0: bound -val / dl */
            fmpq_div(b.a, val.a, dl);
            fmpq_neg(b.a, b.a);
            fmpq_div(b.b, val.b, dl);
            fmpq_neg(b.b, b.b);
            if (fmpq_sgn(dl) > 0) {
                if (!has_lo || idc_bq_cmp(&b, &lo) > 0)
                    idc_bq_set(&lo, &b);
                has_lo = 1;
            } else {
                if (!has_hi || idc_bq_cmp(&b, &hi) < 0)
                    idc_bq_set(&hi, &b);
                has_hi = 1;
            }
        }
        if (hit && has_lo && has_hi)
            hit = idc_bq_cmp(&lo, &hi) <= 0;
        fmpq_clear(dl);
        fmpq_clear(t);
    }
    idc_bq_clear(&val);
    idc_bq_clear(&lo);
    idc_bq_clear(&hi);
    idc_bq_clear(&b);
    fmpq_mat_clear(rhs);
    fmpq_mat_clear(u);
    fmpq_mat_clear(Ju);
    fmpq_mat_clear(G);
    return hit;
}

void idc_poly_interior_q(fmpq_t x, fmpq_t y, const idc_poly *P, unsigned variant)
{
    idc_pvert c;
    idc_bq_init(&c.x);
    idc_bq_init(&c.y);
    fmpq_t w, tot, Mv, t;
    fmpq_init(w);
    fmpq_init(tot);
    fmpq_init(Mv);
    fmpq_init(t);
    for (size_t k = 0; k < P->n; k++) {
        fmpq_set_si(w, (slong)(1 + (variant + 2 * k + (variant / 3) * k) % 5), 1);
        fmpq_add(tot, tot, w);
        fmpq_addmul(c.x.a, w, P->v[k].x.a);
        fmpq_addmul(c.x.b, w, P->v[k].x.b);
        fmpq_addmul(c.y.a, w, P->v[k].y.a);
        fmpq_addmul(c.y.b, w, P->v[k].y.b);
    }
    fmpq_div(c.x.a, c.x.a, tot);
    fmpq_div(c.x.b, c.x.b, tot);
    fmpq_div(c.y.a, c.y.a, tot);
    fmpq_div(c.y.b, c.y.b, tot);
    /* M beyond every edge's threshold alpha + beta M > 0 */
    fmpq_one(Mv);
    idc_bq val;
    idc_bq_init(&val);
    for (size_t k = 0; k < P->n; k++) {
        idc_pline_eval(&val, &P->e[k], &c);
        if (fmpq_sgn(val.b) > 0) {
            fmpq_div(t, val.a, val.b);
            fmpq_neg(t, t);
            if (fmpq_cmp(t, Mv) > 0)
                fmpq_set(Mv, t);
        }
    }
    fmpq_mul_2exp(Mv, Mv, 1);
    fmpq_add_si(Mv, Mv, 1);
    fmpq_mul(x, c.x.b, Mv);
    fmpq_add(x, x, c.x.a);
    fmpq_mul(y, c.y.b, Mv);
    fmpq_add(y, y, c.y.a);
    idc_bq_clear(&val);
    idc_bq_clear(&c.x);
    idc_bq_clear(&c.y);
    fmpq_clear(w);
    fmpq_clear(tot);
    fmpq_clear(Mv);
    fmpq_clear(t);
}

int idc_poly_contains_strict_q(const idc_poly *P, const fmpq_t x, const fmpq_t y)
{
    idc_bq val;
    idc_bq_init(&val);
    int in = 1;
    for (size_t k = 0; k < P->n && in; k++) {
        idc_pline_eval_q(&val, &P->e[k], x, y);
        in = idc_bq_sgn(&val) > 0;
    }
    idc_bq_clear(&val);
    return in;
}
