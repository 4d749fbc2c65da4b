/* F4 (K Def. 3.2: f injective) for an MLP with one input, decided exactly.
 *
 * With m = 1 the map f: R -> R^n is continuous and piecewise affine with
 * finitely many pieces: closed intervals D_0 = (-inf, t_0], D_k = [t_{k-1},
 * t_k], D_{P-1} = [t_{P-2}, +inf) on which f(t) = al_k + be_k t (the exact
 * piece list of idc_line_build). f is injective iff
 *   (a) no piece is constant (be_k != 0; a constant piece maps two distinct
 *       points to one image), and
 *   (b) no two pieces k < r have points t in D_k, s in D_r, t != s, with the
 *       same image. Neighbours r = k + 1 share t_k (and its image, f being
 *       continuous); their images meet elsewhere iff be_{k+1} is a negative
 *       multiple of be_k (the curve folds back on itself at t_k). Other
 *       pairs have disjoint domains, so they must have disjoint images.
 * Every test is exact over Q, and every answer comes with a certificate:
 *   HOLDS "monotone-1d" when one linear form l has l.be_k of one strict sign
 *       on every piece (l o f strictly monotone; small, tried first), else
 *   HOLDS "pairwise-1d": the breakpoints, the affine piece on each interval,
 *       and per pair of pieces a linear form that separates them:
 *         neighbours k, k+1: l.be_k > 0 and l.be_{k+1} > 0, so l o f is
 *           strictly increasing on D_k u D_{k+1} (only t_k maps to f(t_k));
 *         other pairs: max of l o f over D_k < min of l o f over D_r (or the
 *           other way round), so their images are disjoint.
 *       The forms are stored once ("functionals") and each pair, in the
 *       order (0,1), (0,2), ..., (0,P-1), (1,2), ..., names one by index
 *       ("separators").
 *   FAILS "collision": x != y with f(x) = f(y), recomputed on the exact net.
 * The separating form of two disjoint non-neighbour pieces comes from their
 * closest points: the squared distance |f_k(t) - f_r(s)|^2 is a convex
 * quadratic in (t, s) over a product of closed intervals, whose minimum is
 * attained (distance of two polyhedra) either at the stationary point or on
 * an edge t = end or s = end, each a one-variable quadratic minimised by
 * clamping; all candidates are rational. A zero minimum is a collision; a
 * positive one at (t*, s*) gives d = f_r(s*) - f_k(t*) with d.x <= d.f_k(t*)
 * on f(D_k) and d.y >= d.f_r(s*) = d.f_k(t*) + |d|^2 on f(D_r) (first-order
 * optimality), a strict separation. Neighbours: when be_k, be_{k+1} are
 * independent, l solving <l, be_k> = <l, be_{k+1}> = 1 in their span (a
 * 2 x 2 Gram system); when parallel and same direction, l = be_k; when
 * antiparallel, the fold gives a collision.
 * The verifier (theory/verify/verify_f4line.c) shares none of this code: it
 * recomputes the affine maps between the breakpoints from the weights and
 * re-checks every pair with the listed forms. */
#include <stdlib.h>
#include <string.h>

#include "theory/cert.h"
#include "theory/check/map1d.h"

/* The pairwise certificate stores one index per pair: up to this many
 * pieces (about 5 * 10^5 pairs) it is written, beyond it F4 is UNKNOWN
 * unless a collision or a monotone form decides it. */
#define F4_1D_MAX_CERT_PIECES 1000
/* Caps of the piece list and of the pairwise test (collisions). */
#define F4_1D_MAX_PIECES 20000
#define F4_1D_MAX_PAIRWISE 4000

typedef struct {
    const idc_line1d *ln;
    slong n;
    fmpq_t x, y, z; /* scratch */
} lctx;

/* out = al_k + be_k t (n x 1). */
static void piece_eval(fmpq_mat_t out, const idc_line1d *ln, size_t k, const fmpq_t t)
{
    fmpq_mat_scalar_mul_fmpq(out, ln->pc[k].be, t);
    fmpq_mat_add(out, out, ln->pc[k].al);
}

static void dot(fmpq_t out, const fmpq_mat_t a, const fmpq_mat_t b, fmpq_t tmp)
{
    fmpq_zero(out);
    for (slong i = 0; i < a->r; i++) {
        fmpq_mul(tmp, fmpq_mat_entry(a, i, 0), fmpq_mat_entry(b, i, 0));
        fmpq_add(out, out, tmp);
    }
}

static int lo_inf(const idc_line1d *ln, size_t k)
{
    (void)ln;
    return k == 0;
}

static int hi_inf(const idc_line1d *ln, size_t k)
{
    return k + 1 == ln->P;
}

/* Clamps t into the closed interval D_k. */
static void clamp(fmpq_t t, const idc_line1d *ln, size_t k)
{
    if (!lo_inf(ln, k) && fmpq_cmp(t, ln->t + k - 1) < 0)
        fmpq_set(t, ln->t + k - 1);
    if (!hi_inf(ln, k) && fmpq_cmp(t, ln->t + k) > 0)
        fmpq_set(t, ln->t + k);
}

/* Range of c + e t over D_k: *lo_i / *hi_i set when that end is infinite. */
static void range(int *lo_i, fmpq_t lo, int *hi_i, fmpq_t hi, const fmpq_t c, const fmpq_t e,
                  const idc_line1d *ln, size_t k)
{
    int s = fmpq_sgn(e);
    int dl = lo_inf(ln, k), dh = hi_inf(ln, k);
    if (s == 0) {
        *lo_i = *hi_i = 0;
        fmpq_set(lo, c);
        fmpq_set(hi, c);
        return;
    }
    /* value at the domain's low and high ends */
    int a_inf = s > 0 ? dl : dh, b_inf = s > 0 ? dh : dl;
    *lo_i = a_inf;
    *hi_i = b_inf;
    if (!a_inf) {
        fmpq_mul(lo, e, ln->t + (s > 0 ? k - 1 : k));
        fmpq_add(lo, lo, c);
    }
    if (!b_inf) {
        fmpq_mul(hi, e, ln->t + (s > 0 ? k : k - 1));
        fmpq_add(hi, hi, c);
    }
}

/* Does l separate pieces k < r (neighbours: l.be_k > 0 and l.be_r > 0;
 * others: the ranges of l o f on D_k and D_r are strictly apart)? */
static int separates(lctx *C, const fmpq_mat_t l, size_t k, size_t r)
{
    const idc_line1d *ln = C->ln;
    int ok;
    if (r == k + 1) {
        dot(C->x, l, ln->pc[k].be, C->z);
        dot(C->y, l, ln->pc[r].be, C->z);
        return fmpq_sgn(C->x) > 0 && fmpq_sgn(C->y) > 0;
    }
    fmpq_t ck, ek, cr, er, lk, hk, lr, hr;
    fmpq_init(ck);
    fmpq_init(ek);
    fmpq_init(cr);
    fmpq_init(er);
    fmpq_init(lk);
    fmpq_init(hk);
    fmpq_init(lr);
    fmpq_init(hr);
    dot(ck, l, ln->pc[k].al, C->z);
    dot(ek, l, ln->pc[k].be, C->z);
    dot(cr, l, ln->pc[r].al, C->z);
    dot(er, l, ln->pc[r].be, C->z);
    int lki, hki, lri, hri;
    range(&lki, lk, &hki, hk, ck, ek, ln, k);
    range(&lri, lr, &hri, hr, cr, er, ln, r);
    ok = (!hki && !lri && fmpq_cmp(hk, lr) < 0) || (!hri && !lki && fmpq_cmp(hr, lk) < 0);
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

/* Squared distance |f_k(t) - f_r(s)|^2. */
static void dist2(fmpq_t out, lctx *C, size_t k, size_t r, const fmpq_t t, const fmpq_t s)
{
    fmpq_mat_t a, b;
    fmpq_mat_init(a, C->n, 1);
    fmpq_mat_init(b, C->n, 1);
    piece_eval(a, C->ln, k, t);
    piece_eval(b, C->ln, r, s);
    fmpq_mat_sub(a, a, b);
    dot(out, a, a, C->z);
    fmpq_mat_clear(a);
    fmpq_mat_clear(b);
}

/* Non-neighbours k < r (domains disjoint): the closest points (t, s) of the
 * two images. Returns 1 when they meet (f_k(t) = f_r(s), t != s). */
static int closest(fmpq_t t, fmpq_t s, lctx *C, size_t k, size_t r)
{
    const idc_line1d *ln = C->ln;
    const fmpq_mat_struct *A = ln->pc[k].be, *B = ln->pc[r].be;
    fmpq_mat_t d0;
    fmpq_mat_init(d0, C->n, 1);
    fmpq_mat_sub(d0, ln->pc[k].al, ln->pc[r].al);
    fmpq_t AA, BB, AB, dA, dB, det, ct, cs, best, v;
    fmpq_init(AA);
    fmpq_init(BB);
    fmpq_init(AB);
    fmpq_init(dA);
    fmpq_init(dB);
    fmpq_init(det);
    fmpq_init(ct);
    fmpq_init(cs);
    fmpq_init(best);
    fmpq_init(v);
    dot(AA, A, A, C->z);
    dot(BB, B, B, C->z);
    dot(AB, A, B, C->z);
    dot(dA, d0, A, C->z);
    dot(dB, d0, B, C->z);
    int have = 0;
    /* g(t, s) = |d0 + A t - B s|^2; stationary: AA t - AB s = -dA,
     * -AB t + BB s = dB */
    fmpq_mul(det, AA, BB);
    fmpq_mul(v, AB, AB);
    fmpq_sub(det, det, v);
    if (!fmpq_is_zero(det)) {
        fmpq_mul(ct, AB, dB);
        fmpq_mul(v, dA, BB);
        fmpq_sub(ct, ct, v);
        fmpq_div(ct, ct, det);
        fmpq_mul(cs, AA, dB);
        fmpq_mul(v, AB, dA);
        fmpq_sub(cs, cs, v);
        fmpq_div(cs, cs, det);
        if (idc_line_contains(ln, k, ct) && idc_line_contains(ln, r, cs)) {
            dist2(best, C, k, r, ct, cs);
            fmpq_set(t, ct);
            fmpq_set(s, cs);
            have = 1;
        }
    }
    /* edges: t at a finite end of D_k (s = (dB + AB t) / BB, clamped), and
     * s at a finite end of D_r (t = (AB s - dA) / AA, clamped) */
    for (int e = 0; e < 4; e++) {
        int on_t = e < 2, hi_end = e & 1;
        size_t piece = on_t ? k : r;
        if (hi_end ? hi_inf(ln, piece) : lo_inf(ln, piece))
            continue;
        const fmpq *end = ln->t + (hi_end ? piece : piece - 1);
        if (on_t) {
            fmpq_set(ct, end);
            fmpq_mul(cs, AB, ct);
            fmpq_add(cs, cs, dB);
            fmpq_div(cs, cs, BB);
            clamp(cs, ln, r);
        } else {
            fmpq_set(cs, end);
            fmpq_mul(ct, AB, cs);
            fmpq_sub(ct, ct, dA);
            fmpq_div(ct, ct, AA);
            clamp(ct, ln, k);
        }
        dist2(v, C, k, r, ct, cs);
        if (!have || fmpq_cmp(v, best) < 0) {
            fmpq_set(best, v);
            fmpq_set(t, ct);
            fmpq_set(s, cs);
            have = 1;
        }
    }
    int meet = have && fmpq_is_zero(best);
    fmpq_mat_clear(d0);
    fmpq_clear(AA);
    fmpq_clear(BB);
    fmpq_clear(AB);
    fmpq_clear(dA);
    fmpq_clear(dB);
    fmpq_clear(det);
    fmpq_clear(ct);
    fmpq_clear(cs);
    fmpq_clear(best);
    fmpq_clear(v);
    return meet;
}

/* Neighbours k, k+1: a form l with l.be_k > 0 and l.be_{k+1} > 0, or (0
 * returned) the fold: t in D_k, s in D_{k+1}, t != s, f(t) = f(s). */
static int neighbour_form(fmpq_mat_t l, fmpq_t t, fmpq_t s, lctx *C, size_t k)
{
    const idc_line1d *ln = C->ln;
    const fmpq_mat_struct *A = ln->pc[k].be, *B = ln->pc[k + 1].be;
    fmpq_t AA, BB, AB, det, a, b;
    fmpq_init(AA);
    fmpq_init(BB);
    fmpq_init(AB);
    fmpq_init(det);
    fmpq_init(a);
    fmpq_init(b);
    dot(AA, A, A, C->z);
    dot(BB, B, B, C->z);
    dot(AB, A, B, C->z);
    fmpq_mul(det, AA, BB);
    fmpq_mul(a, AB, AB);
    fmpq_sub(det, det, a);
    int ok = 1;
    if (!fmpq_is_zero(det)) {
        /* [AA AB; AB BB] (a, b) = (1, 1): l = a A + b B */
        fmpq_sub(a, BB, AB);
        fmpq_div(a, a, det);
        fmpq_sub(b, AA, AB);
        fmpq_div(b, b, det);
        fmpq_mat_scalar_mul_fmpq(l, A, a);
        for (slong i = 0; i < C->n; i++)
            fmpq_addmul(fmpq_mat_entry(l, i, 0), fmpq_mat_entry(B, i, 0), b);
    } else if (fmpq_sgn(AB) > 0) {
        fmpq_mat_set(l, A);
    } else {
        /* B = -c A with c = -AB / AA > 0: f_k(t_k - c v) = f_{k+1}(t_k + v)
         * for v > 0 with c v <= |D_k| and v <= |D_{k+1}| */
        ok = 0;
        fmpq_div(a, AB, AA);
        fmpq_neg(a, a); /* c */
        int vset = 0;
        if (!hi_inf(ln, k + 1)) {
            fmpq_sub(b, ln->t + k + 1, ln->t + k);
            vset = 1;
        }
        if (!lo_inf(ln, k)) {
            fmpq_sub(det, ln->t + k, ln->t + k - 1);
            fmpq_div(det, det, a);
            if (!vset || fmpq_cmp(det, b) < 0)
                fmpq_set(b, det);
            vset = 1;
        }
        if (!vset)
            fmpq_one(b);
        fmpq_add(s, ln->t + k, b);
        fmpq_mul(b, b, a);
        fmpq_sub(t, ln->t + k, b);
    }
    fmpq_clear(AA);
    fmpq_clear(BB);
    fmpq_clear(AB);
    fmpq_clear(det);
    fmpq_clear(a);
    fmpq_clear(b);
    return ok;
}

/* Tries a linear form l with l.be_p of one strict sign on every piece (then
 * l o f is strictly monotone and f injective). Candidates: the coordinates,
 * then the sum of the be_p / ||be_p||_1. */
static int find_monotone(fmpq_mat_t l, int *dir, const idc_line1d *ln)
{
    slong n = ln->pc[0].be->r;
    fmpq_t d, t, nrm;
    fmpq_init(d);
    fmpq_init(t);
    fmpq_init(nrm);
    int ok = 0;
    for (slong cand = 0; cand <= n && !ok; cand++) {
        fmpq_mat_zero(l);
        if (cand < n) {
            fmpq_one(fmpq_mat_entry(l, cand, 0));
        } else {
            for (size_t p = 0; p < ln->P; p++) {
                fmpq_zero(nrm);
                for (slong i = 0; i < n; i++) {
                    fmpq_abs(t, fmpq_mat_entry(ln->pc[p].be, i, 0));
                    fmpq_add(nrm, nrm, t);
                }
                if (fmpq_is_zero(nrm))
                    continue;
                for (slong i = 0; i < n; i++) {
                    fmpq_div(t, fmpq_mat_entry(ln->pc[p].be, i, 0), nrm);
                    fmpq_add(fmpq_mat_entry(l, i, 0), fmpq_mat_entry(l, i, 0), t);
                }
            }
        }
        int sign = 0;
        ok = 1;
        for (size_t p = 0; p < ln->P && ok; p++) {
            dot(d, l, ln->pc[p].be, t);
            int sg = fmpq_sgn(d);
            if (sg == 0 || (sign != 0 && sg != sign))
                ok = 0;
            sign = sg;
        }
        *dir = sign;
    }
    fmpq_clear(d);
    fmpq_clear(t);
    fmpq_clear(nrm);
    return ok;
}

static json_t *breakpoints_json(const idc_line1d *ln)
{
    json_t *bp = json_array();
    for (size_t k = 0; k + 1 < ln->P; k++)
        json_array_append_new(bp, idc_cert_json_fmpq(ln->t + k));
    return bp;
}

/* The pairwise test over all pairs. *found = 1 with (x, y) a collision;
 * else, when forms != NULL, the forms and one index per pair are appended.
 * *expired = 1 when the deadline passed. */
static int pairwise(int *found, int *expired, fmpq_t x, fmpq_t y, json_t *forms, json_t *seps, lctx *C,
                    double deadline)
{
    const idc_line1d *ln = C->ln;
    size_t P = ln->P;
    fmpq_mat_t l, cur, a, b;
    fmpq_mat_init(l, C->n, 1);
    fmpq_mat_init(cur, C->n, 1);
    fmpq_mat_init(a, C->n, 1);
    fmpq_mat_init(b, C->n, 1);
    int have = 0, rc = IDC_OK;
    json_int_t nforms = 0;
    *found = *expired = 0;
    for (size_t k = 0; k < P && !*found && !*expired && rc == IDC_OK; k++) {
        if (idc_budget_expired(deadline)) {
            *expired = 1;
            break;
        }
        for (size_t r = k + 1; r < P && !*found && rc == IDC_OK; r++) {
            /* the last form used often separates the next pair too */
            if (have && separates(C, cur, k, r)) {
                if (seps != NULL && json_array_append_new(seps, json_integer(nforms - 1)) != 0)
                    rc = IDC_ENOMEM;
                continue;
            }
            if (r == k + 1) {
                if (!neighbour_form(l, x, y, C, k)) {
                    *found = 1;
                    break;
                }
            } else {
                if (closest(x, y, C, k, r)) {
                    *found = 1;
                    break;
                }
                piece_eval(a, ln, k, x);
                piece_eval(b, ln, r, y);
                fmpq_mat_sub(l, b, a);
            }
            if (!separates(C, l, k, r)) {
                rc = IDC_EINTERNAL; /* the constructions above always separate */
                break;
            }
            fmpq_mat_set(cur, l);
            have = 1;
            if (forms != NULL) {
                if (json_array_append_new(forms, idc_cert_json_fmpq_col(l, 0)) != 0 ||
                    json_array_append_new(seps, json_integer(nforms)) != 0)
                    rc = IDC_ENOMEM;
                nforms++;
            }
        }
    }
    fmpq_mat_clear(l);
    fmpq_mat_clear(cur);
    fmpq_mat_clear(a);
    fmpq_mat_clear(b);
    return rc;
}

static json_t *pieces_json(const idc_line1d *ln)
{
    json_t *arr = json_array();
    for (size_t k = 0; k < ln->P; k++)
        json_array_append_new(arr, json_pack("{s:o,s:o}", "alpha", idc_cert_json_fmpq_col(ln->pc[k].al, 0),
                                             "beta", idc_cert_json_fmpq_col(ln->pc[k].be, 0)));
    return arr;
}

int idc_f4_line(idc_verdict *v, json_t **w, const char **method, char *reason, size_t rlen, const idc_qnet *q,
                size_t cap, double deadline)
{
    *v = IDC_UNKNOWN;
    *w = NULL;
    *method = NULL;
    if (q->m != 1 || q->n == 0)
        return IDC_EINVAL;
    idc_line1d ln;
    int capped = 0;
    size_t pcap = cap / (2 * q->n + 2);
    if (pcap > F4_1D_MAX_PIECES)
        pcap = F4_1D_MAX_PIECES;
    int rc = idc_line_build(&ln, &capped, q, pcap, deadline);
    if (rc != IDC_OK || capped) {
        if (capped)
            snprintf(reason, rlen, "1-D analysis stopped at the piece/time budget");
        idc_line_clear(&ln);
        return rc;
    }
    lctx C = {.ln = &ln, .n = (slong)q->n};
    fmpq_init(C.x);
    fmpq_init(C.y);
    fmpq_init(C.z);
    fmpq_mat_t x, y, l;
    fmpq_mat_init(x, 1, 1);
    fmpq_mat_init(y, 1, 1);
    fmpq_mat_init(l, (slong)q->n, 1);
    fmpq *xt = fmpq_mat_entry(x, 0, 0), *yt = fmpq_mat_entry(y, 0, 0);
    int found = 0, dir = 0, expired = 0;
    const char *how = NULL;
    /* (a) constant pieces: a point inside and an end (or a point further out) */
    for (size_t p = 0; p < ln.P && !found; p++)
        if (fmpq_mat_is_zero(ln.pc[p].be)) {
            idc_line_inside(xt, &ln, p);
            if (p == 0)
                fmpq_sub_si(yt, xt, 1);
            else
                fmpq_set(yt, ln.t + p - 1);
            found = 1;
            how = "exact 1-D analysis: constant piece";
            snprintf(reason, rlen, "exact 1-D analysis: f is constant on piece %zu of %zu", p, ln.P);
        }
    if (!found && find_monotone(l, &dir, &ln)) {
        *w = json_pack("{s:o,s:o,s:i}", "breakpoints", breakpoints_json(&ln), "functional",
                       idc_cert_json_fmpq_col(l, 0), "direction", dir);
        if (*w == NULL)
            rc = IDC_ENOMEM;
        *v = IDC_HOLDS;
        *method = "monotone-1d";
        snprintf(reason, rlen,
                 "m = 1: exact 1-D analysis, %zu pieces; l.f strictly %s for the certified functional l",
                 ln.P, dir > 0 ? "increasing" : "decreasing");
    } else if (!found && ln.P > F4_1D_MAX_PAIRWISE) {
        snprintf(reason, rlen, "1-D analysis: %zu pieces, too many for the pairwise test", ln.P);
    } else if (!found) {
        /* (b) every pair; the certificate only up to F4_1D_MAX_CERT_PIECES */
        int certify = ln.P <= F4_1D_MAX_CERT_PIECES;
        json_t *forms = certify ? json_array() : NULL, *seps = certify ? json_array() : NULL;
        rc = pairwise(&found, &expired, xt, yt, forms, seps, &C, deadline);
        if (rc == IDC_OK && found) {
            how = "exact 1-D analysis: two pieces meet";
            snprintf(reason, rlen, "exact 1-D analysis: two of the %zu pieces have a common image point",
                     ln.P);
        } else if (rc == IDC_OK && expired) {
            snprintf(reason, rlen, "1-D analysis: time budget exhausted in the pairwise test");
        } else if (rc == IDC_OK && !certify) {
            snprintf(
                reason, rlen,
                "m = 1: exact 1-D analysis found no collision, but %zu pieces are too many for a pairwise "
                "certificate (at most %d) and no monotone projection certifies it",
                ln.P, F4_1D_MAX_CERT_PIECES);
        } else if (rc == IDC_OK) {
            *w = json_pack("{s:o,s:o,s:O,s:O}", "breakpoints", breakpoints_json(&ln), "pieces",
                           pieces_json(&ln), "functionals", forms, "separators", seps);
            if (*w == NULL)
                rc = IDC_ENOMEM;
            *v = IDC_HOLDS;
            *method = "pairwise-1d";
            snprintf(
                reason, rlen,
                "m = 1: exact 1-D analysis, %zu pieces, none constant, every pair of pieces separated by a "
                "linear form (%zu forms)",
                ln.P, json_array_size(forms));
        }
        json_decref(forms);
        json_decref(seps);
    }
    if (rc == IDC_OK && found) {
        int ok = 0;
        rc = idc_qnet_collision(w, &ok, q, x, y, how);
        if (rc == IDC_OK && !ok)
            rc = IDC_EINTERNAL;
        if (rc == IDC_OK) {
            *v = IDC_FAILS;
            *method = "collision";
            size_t len = strlen(reason);
            snprintf(reason + len, rlen - len, ": f(x) = f(y) with x ~ %.6g, y ~ %.6g", fmpq_get_d(xt),
                     fmpq_get_d(yt));
        }
    }
    if (rc != IDC_OK) {
        json_decref(*w);
        *w = NULL;
        *v = IDC_UNKNOWN;
    }
    fmpq_mat_clear(x);
    fmpq_mat_clear(y);
    fmpq_mat_clear(l);
    fmpq_clear(C.x);
    fmpq_clear(C.y);
    fmpq_clear(C.z);
    idc_line_clear(&ln);
    return rc;
}
