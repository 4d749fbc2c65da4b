/* F2 (weakly injective) and F3 (observably injective), K Def. 3.2
 * (THEORY.md §3), for piecewise-affine f: R^m -> R^n (MLPs with identity /
 * relu / leaky_relu activations, 1-D piece tables).
 *
 * Reading of the definitions (CERTIFICATES.md §2, §5 item 10):
 *   - F2 (i) is read with x0 in f(R^m): some x0 in f(R^m) and delta > 0 such
 *     that every point of B(x0, delta) ∩ f(R^m) has exactly one preimage.
 *     (With x0 anywhere in R^n, (i) would be vacuous whenever f(R^m) is not
 *     all of R^n, and |x| would pass.)
 *   - "Measure zero in f(R^m)" (F2 (ii), F3) is the d-dimensional Hausdorff
 *     measure H^d restricted to f(R^m), d = dim f(R^m) (the largest rank of
 *     a linear region's Jacobian). For d = 0 (f constant on R^m, image a
 *     point, or finitely many points for a discontinuous table) H^0 is the
 *     counting measure, so a constant f fails F2 (ii) and F3: its image
 *     point has infinitely many preimages.
 *   Consequences used below: if dim f(R^m) = d < m, every point in the
 *   relative interior of a full-dimensional region's image has infinitely
 *   many preimages (the fibre crosses the region's interior), and those
 *   relative interiors cover f(R^m) up to an H^d-null set, so F2 (ii) and
 *   F3 FAIL; in particular when W_1 has a nonzero kernel vector v
 *   (f(x + t v) = f(x) for all t). For piecewise-affine f, F4 => F3 => F2.
 *
 * Decisions (every verdict carries a certificate that theory/verify/verify_f23.c
 * re-checks, and the checker runs that verifier on it before answering):
 *   any m   F4 HOLDS (theory/check/pre_map.c) => F2, F3 HOLD (method "implied-by-F4").
 *           MLP with W_1 v = 0, v != 0 => F2, F3 FAIL ("kernel-w1").
 *           F3 FAILS when two points x1 != x2 with f affine near each, of
 *           full-rank Jacobians spanning the same m-flat, share their image
 *           ("point-overlap"; for m >= 3 found by a deterministic sample
 *           search, so a miss is UNKNOWN).
 *   m = 1   complete exact decision from the piecewise-affine restriction of
 *           f to R (pieces I_k, f = a_k + s_k t on I_k):
 *           F2 (ii) <=> some s_k != 0. F2 (i) <=> some nonconstant piece I_k
 *             is not covered by the closed intervals Q_{k,k'} = {t in I_k :
 *             f_k(t) in f(I_k')}, k' != k collinear with k (non-collinear
 *             pieces meet f_k(I_k) in at most one point). HOLDS: "line-point"
 *             (x* with f^-1(f(x*)) = {x*}); FAILS: "line-cover" (the
 *             covering) or "line-constant".
 *           F3 <=> f nonconstant and no two distinct nonconstant pieces have
 *             images overlapping in a segment of positive length. HOLDS:
 *             "line-disjoint"; FAILS: "line-overlap" (two segments with
 *             disjoint interiors mapped affinely onto the same segment) or
 *             "line-constant".
 *           Piece tables that jump (FC fails): the closures of the piece
 *           images are used, which keeps HOLDS and the F3 answers exact; a
 *           covering then does not decide F2 (i) (UNKNOWN).
 *   m = 2   exact region enumeration (theory/verify/plane2d.h): the box [-M, M]^2,
 *           M a formal large number, refined layer by layer; a cell is split
 *           by a unit only where the unit takes both strict signs (units
 *           vanishing on a cell are exact zeros), never by single-flip
 *           search. With regions R_k, maps f_k = J_k x + c_k:
 *           no rank-2 region => F2 (ii) and F3 FAIL ("plane-lowrank");
 *           F3 FAILS <=> two rank-2 regions map onto one affine 2-flat with
 *             images overlapping in positive area ("point-overlap" at an
 *             interior point of the overlap), else HOLDS ("plane-disjoint");
 *           F2 (i) <=> some rank-2 R_k is not covered by the polygons
 *             Q_{k,k'} = R_k ∩ f_k^-1(f_k'(R_k')) of the rank-2 regions on
 *             the same flat (other overlaps are segments or points). HOLDS:
 *             "plane-point" (x* inside R_k with f(x*) outside every other
 *             region's closed image); FAILS: "plane-cover".
 *           UNKNOWN when the region cap (F23_2D_MAX_CELLS, budget) or the
 *           deadline is hit, or when no certifiable point is found (an
 *           overlap whose interior points all make a moving unit vanish).
 *   m >= 3  UNKNOWN otherwise.
 *
 * Not used, on purpose: K Cor. H.7 ("ReLU MLP with nondecreasing widths and
 * dim f(R^m) = m => F3"). It is false as stated: h_1(x) = (x, -x), ReLU,
 * h_2(a, b) = (a + b, 0) has widths 1 <= 2 <= 2 and dim f(R) = 1, yet
 * f(x) = (|x|, 0) gives every image point but 0 two preimages. Its proof
 * assumes that dim f(R^m) = m forces h_t to have full column rank. Full
 * column rank layers do not rescue it either: h_1 = (x, -x), ReLU,
 * h_2 = [[-1, -2], [1, 1]], ReLU, h_3 = I gives f(x) = (0, |x|).
 *
 * Certificate formats (witness w; the verifier is theory/verify/verify_f23.c):
 *   "kernel-w1" (FAILS, F2 and F3; MLP) w = {"v": [m q], "x": [m q],
 *       "y": [m q], "image": [n q]}: v != 0, W_1 v = 0 exactly, y = x + v,
 *       f(x) = f(y) = image.
 *   "point-overlap" (FAILS, F3; MLP) w = {"x1": [m q], "x2": [m q],
 *       "image": [n q]}: x1 != x2, f(x1) = f(x2) = image, every relu/leaky
 *       pre-activation at x1 and x2 nonzero or zero with zero gradient,
 *       rank J1 = rank J2 = rank [J1 J2] = m (exact).
 *   "line-constant" (FAILS, F2 and F3; m = 1) w = {"breakpoints": [q..]}.
 *   "line-point" (HOLDS, F2; m = 1) w = {"breakpoints": [q..], "x": q}.
 *   "line-cover" (FAILS, F2; m = 1) w = {"breakpoints": [q..], "cover":
 *       [{"piece": k, "by": [k'..]}..]}: one entry per nonconstant piece.
 *   "line-disjoint" (HOLDS, F3; m = 1) w = {"breakpoints": [q..]}.
 *   "line-overlap" (FAILS, F3; m = 1) w = {"a": [q, q], "b": [q, q]}.
 *   "plane-lowrank" (FAILS, F2 and F3; m = 2) w = {"cells": [polygon..]}.
 *   "plane-point" (HOLDS, F2; m = 2) w = {"cells": [..], "x": [q, q]}.
 *   "plane-cover" (FAILS, F2; m = 2) w = {"cells": [..], "cover":
 *       [{"cell": k, "by": [k'..]}..]}: one entry per rank-2 cell.
 *   "plane-disjoint" (HOLDS, F3; m = 2) w = {"cells": [..]}.
 * A polygon is {"v": [[xa, xb, ya, yb]..], "e": [[p, q, ra, rb]..]}: vertex
 * k = (xa + xb M, ya + yb M), edge k from vertex k to k+1 on the line
 * p x + q y + ra + rb M = 0 with the cell on the side >= 0. The verifier
 * checks each cell (convex, counterclockwise, vertices on their lines),
 * computes f's affine map on it with a sign check of every unit at every
 * vertex, and checks that the cells tile [-M, M]^2 for all large M: on
 * every line, the signed edge chains of the cells minus the box boundary
 * cancel (then the sum of the cells' indicators has no jump anywhere and
 * equals the box's). No enumeration is repeated.
 * "breakpoints" T_0 < ... < T_{K-2} cut R into the closed intervals
 * (-inf, T_0], [T_0, T_1], ..., [T_{K-2}, +inf); the verifier checks that f
 * is affine on each (every hidden unit keeps one sign; for tables, each lies
 * in the closure of one table piece) and computes the affine maps itself.
 */
#include <stdlib.h>
#include <string.h>

#include <flint/fmpz_mat.h>

#include "numeric/dq.h"
#include "numeric/qmat.h"
#include "numeric/rng.h"
#include "theory/cert.h"
#include "theory/check/map1d.h"
#include "theory/verify/plane2d.h"
#include "theory/precond.h"

/* A polygon in the form idc_poly_from_json reads (theory/verify/plane2d.h). */
static json_t *poly_json(const idc_poly *P)
{
    json_t *v = json_array(), *e = json_array();
    for (size_t k = 0; k < P->n; k++) {
        json_array_append_new(v, json_pack("[o,o,o,o]", idc_cert_json_fmpq(P->v[k].x.a),
                                           idc_cert_json_fmpq(P->v[k].x.b), idc_cert_json_fmpq(P->v[k].y.a),
                                           idc_cert_json_fmpq(P->v[k].y.b)));
        json_array_append_new(e, json_pack("[o,o,o,o]", idc_cert_json_fmpq(P->e[k].p),
                                           idc_cert_json_fmpq(P->e[k].q), idc_cert_json_fmpq(P->e[k].r.a),
                                           idc_cert_json_fmpq(P->e[k].r.b)));
    }
    return json_pack("{s:o,s:o}", "v", v, "e", e);
}

#define SRC_F2 "K Def. 3.2 (F2, weakly injective; x0 in f(R^m), Hausdorff measure of dim f(R^m))"
#define SRC_F3 "K Def. 3.2 (F3, observably injective; Hausdorff measure of dim f(R^m))"
#define F23_1D_MAX_PIECES 20000
#define F23_1D_MAX_PAIRWISE 4000

static int nomem(idc_err *err)
{
    return idc_err_set(err, IDC_ENOMEM, "out of memory");
}

/* Sets res to a decided verdict (w stolen) after the independent verifier
 * accepted the certificate: a wrong verdict is a bug, never an answer. */
static int decide(idc_pre_result *res, const char *id, idc_verdict v, const char *hash, const char *method,
                  json_t *w, const char *reason, const idc_pamap *f, idc_err *err)
{
    json_t *cert = idc_cert_new(id, v, hash, method, strcmp(id, "F2") == 0 ? SRC_F2 : SRC_F3, w);
    if (cert == NULL)
        return nomem(err);
    char why[256];
    int vr = idc_cert_verify_parts(cert, NULL, f, hash, why, sizeof why);
    if (vr != IDC_OK) {
        json_decref(cert);
        return idc_err_set(err, IDC_EINTERNAL, "%s: own %s certificate rejected: %s", id, method, why);
    }
    idc_pre_result_set(res, id, v, cert, "%s", reason);
    return IDC_OK;
}

/* ---- W_1 with a kernel: every fibre infinite ------------------------------------ */

/* *found = 1 and *w set when W_1 of the MLP has a nonzero kernel vector. */
static int kernel_w1(json_t **w, int *found, const idc_pamap *f)
{
    *w = NULL;
    *found = 0;
    idc_qnet q;
    if (idc_qnet_init(&q, f) != IDC_OK)
        return IDC_ENOMEM;
    slong m = (slong)q.m;
    fmpz_mat_t vz;
    fmpz_mat_init(vz, m, 1);
    int kf = 0;
    int rc = idc_qmat_kernel_vector(&kf, vz, q.W + 0);
    if (rc == IDC_OK && kf) {
        fmpq_mat_t x, y, fx, fy;
        fmpq_mat_init(x, m, 1);
        fmpq_mat_init(y, m, 1);
        fmpq_mat_init(fx, (slong)q.n, 1);
        fmpq_mat_init(fy, (slong)q.n, 1);
        fmpq_mat_set_fmpz_mat(y, vz);
        idc_qnet_eval(fx, NULL, &q, x);
        idc_qnet_eval(fy, NULL, &q, y);
        if (!fmpq_mat_equal(fx, fy) || fmpq_mat_is_zero(y)) {
            rc = IDC_EINTERNAL;
        } else {
            *w = json_pack("{s:o,s:o,s:o,s:o}", "v", idc_cert_json_fmpz_col(vz, 0), "x",
                           idc_cert_json_fmpq_col(x, 0), "y", idc_cert_json_fmpq_col(y, 0), "image",
                           idc_cert_json_fmpq_col(fx, 0));
            if (*w == NULL)
                rc = IDC_ENOMEM;
            *found = *w != NULL;
        }
        fmpq_mat_clear(x);
        fmpq_mat_clear(y);
        fmpq_mat_clear(fx);
        fmpq_mat_clear(fy);
    }
    fmpz_mat_clear(vz);
    idc_qnet_clear(&q);
    return rc;
}

/* ---- any m: two full-rank regions whose images overlap in an open set ----------- */

#define F3_SEARCH_SEED UINT64_C(0x1dcf3f3f3)
#define F3_SEARCH_POINTS 48

/* A sampled interior point: its sign pattern, Jacobian J (n x m) and
 * offset c (f = J x + c near x). */
typedef struct {
    fmpq_mat_t x, J, c;
    char *sig;
} sample;

static void sample_clear(sample *S)
{
    fmpq_mat_clear(S->x);
    fmpq_mat_clear(S->J);
    fmpq_mat_clear(S->c);
    free(S->sig);
}

/* Fills S at x; 0 (S cleared) when x lies on a boundary (some nonlinear
 * pre-activation is zero) or J has rank < m. */
static int sample_at(sample *S, const idc_qnet *q, const fmpq_mat_t x, size_t nsig)
{
    size_t L = q->L;
    slong m = (slong)q->m;
    fmpq_mat_struct *z = idc_calloc(L, sizeof *z);
    S->sig = idc_calloc(nsig + 1, 1);
    if (z == NULL || S->sig == NULL) {
        free(z);
        free(S->sig);
        return -1;
    }
    for (size_t i = 0; i < L; i++)
        fmpq_mat_init(z + i, q->W[i].r, 1);
    fmpq_mat_init_set(S->x, x);
    fmpq_mat_init(S->c, (slong)q->n, 1);
    fmpq_mat_init(S->J, m, m);
    idc_qnet_eval(S->c, z, q, x);
    fmpq_mat_one(S->J);
    int ok = 1;
    size_t u0 = 0;
    for (size_t i = 0; i < L; i++) {
        fmpq_mat_t T;
        fmpq_mat_init(T, q->W[i].r, m);
        fmpq_mat_mul(T, q->W + i, S->J);
        for (slong u = 0; u < T->r; u++) {
            int sg = fmpq_sgn(fmpq_mat_entry(z + i, u, 0));
            if (q->nonlin[i]) {
                if (sg == 0)
                    ok = 0;
                S->sig[u0++] = sg > 0 ? '+' : '-';
            }
            if (sg <= 0)
                for (slong k = 0; k < m; k++)
                    fmpq_mul(fmpq_mat_entry(T, u, k), fmpq_mat_entry(T, u, k), q->a + i);
        }
        fmpq_mat_swap(S->J, T);
        fmpq_mat_clear(T);
    }
    for (size_t i = 0; i < L; i++)
        fmpq_mat_clear(z + i);
    free(z);
    if (ok)
        ok = idc_qmat_rank(S->J) == m;
    if (ok) { /* c = f(x) - J x */
        fmpq_mat_t Jx;
        fmpq_mat_init(Jx, (slong)q->n, 1);
        fmpq_mat_mul(Jx, S->J, x);
        fmpq_mat_sub(S->c, S->c, Jx);
        fmpq_mat_clear(Jx);
    } else {
        sample_clear(S);
    }
    return ok;
}

/* col J_a = col J_b (both of rank m)? */
static int same_span(const fmpq_mat_t A, const fmpq_mat_t B)
{
    fmpq_mat_t AB;
    fmpq_mat_init(AB, A->r, A->c + B->c);
    for (slong i = 0; i < A->r; i++) {
        for (slong k = 0; k < A->c; k++)
            fmpq_set(fmpq_mat_entry(AB, i, k), fmpq_mat_entry(A, i, k));
        for (slong k = 0; k < B->c; k++)
            fmpq_set(fmpq_mat_entry(AB, i, A->c + k), fmpq_mat_entry(B, i, k));
    }
    int ok = idc_qmat_rank(AB) == A->c;
    fmpq_mat_clear(AB);
    return ok;
}

/* Looks for x1 in region a, x2 in region b (both interior, full rank, the
 * same column space) with f(x1) = f(x2), x1 != x2. */
static int overlap_search(json_t **w, int *found, const idc_qnet *q, double deadline)
{
    *w = NULL;
    *found = 0;
    slong m = (slong)q->m, n = (slong)q->n;
    size_t nsig = 0;
    for (size_t i = 0; i < q->L; i++)
        if (q->nonlin[i])
            nsig += (size_t)q->W[i].r;
    sample *S = idc_calloc(F3_SEARCH_POINTS, sizeof *S);
    if (S == NULL)
        return IDC_ENOMEM;
    idc_rng r = idc_rng_stream(F3_SEARCH_SEED, 0, IDC_PURPOSE_SEARCH);
    uint64_t k = 0;
    size_t ns = 0;
    fmpq_mat_t x, rhs, JtJ, Jtr, sol, y2, fx;
    fmpq_mat_init(x, m, 1);
    fmpq_mat_init(rhs, n, 1);
    fmpq_mat_init(JtJ, m, m);
    fmpq_mat_init(Jtr, m, 1);
    fmpq_mat_init(sol, m, 1);
    fmpq_mat_init(y2, n, 1);
    fmpq_mat_init(fx, n, 1);
    int rc = IDC_OK;
    for (int t = 0; t < F3_SEARCH_POINTS && !idc_budget_expired(deadline); t++) {
        ulong scale = (ulong)(2 * (t % 4));
        for (slong i = 0; i < m; i++) {
            fmpq *e = fmpq_mat_entry(x, i, 0);
            fmpq_set_si(e, (slong)idc_rng_below(r, k++, 129) - 64, 16);
            fmpq_mul_2exp(e, e, scale);
        }
        int ok = sample_at(S + ns, q, x, nsig);
        if (ok < 0) {
            rc = IDC_ENOMEM;
            break;
        }
        ns += (size_t)ok;
    }
    for (size_t a = 0; a < ns && rc == IDC_OK && !*found; a++) {
        if (idc_budget_expired(deadline))
            break;
        for (size_t b = 0; b < ns && !*found; b++) {
            if (strcmp(S[a].sig, S[b].sig) == 0 || !same_span(S[a].J, S[b].J))
                continue;
            /* x2 with J_b x2 + c_b = f(x1) = J_a x1 + c_a */
            fmpq_mat_mul(rhs, S[a].J, S[a].x);
            fmpq_mat_add(rhs, rhs, S[a].c);
            fmpq_mat_sub(rhs, rhs, S[b].c);
            fmpq_mat_t Jt;
            fmpq_mat_init(Jt, m, n);
            fmpq_mat_transpose(Jt, S[b].J);
            fmpq_mat_mul(JtJ, Jt, S[b].J);
            fmpq_mat_mul(Jtr, Jt, rhs);
            fmpq_mat_clear(Jt);
            if (!fmpq_mat_solve_fraction_free(sol, JtJ, Jtr))
                continue;
            fmpq_mat_mul(y2, S[b].J, sol);
            if (!fmpq_mat_equal(y2, rhs) || fmpq_mat_equal(sol, S[a].x))
                continue;
            sample T;
            int ok = sample_at(&T, q, sol, nsig);
            if (ok < 0) {
                rc = IDC_ENOMEM;
                break;
            }
            if (!ok)
                continue;
            int same = strcmp(T.sig, S[b].sig) == 0;
            sample_clear(&T);
            if (!same)
                continue;
            idc_qnet_eval(fx, NULL, q, S[a].x);
            idc_qnet_eval(y2, NULL, q, sol);
            if (!fmpq_mat_equal(fx, y2)) {
                rc = IDC_EINTERNAL;
                break;
            }
            *w = json_pack("{s:o,s:o,s:o}", "x1", idc_cert_json_fmpq_col(S[a].x, 0), "x2",
                           idc_cert_json_fmpq_col(sol, 0), "image", idc_cert_json_fmpq_col(fx, 0));
            if (*w == NULL)
                rc = IDC_ENOMEM;
            *found = *w != NULL;
        }
    }
    for (size_t i = 0; i < ns; i++)
        sample_clear(S + i);
    free(S);
    fmpq_mat_clear(x);
    fmpq_mat_clear(rhs);
    fmpq_mat_clear(JtJ);
    fmpq_mat_clear(Jtr);
    fmpq_mat_clear(sol);
    fmpq_mat_clear(y2);
    fmpq_mat_clear(fx);
    return rc;
}

/* ---- m = 1: the exact decision ------------------------------------------------- */

/* A closed interval of R with possibly infinite ends. */
typedef struct {
    int lo_inf, hi_inf;
    fmpq_t lo, hi;
} cival;

static void cival_init(cival *I)
{
    I->lo_inf = I->hi_inf = 0;
    fmpq_init(I->lo);
    fmpq_init(I->hi);
}

static void cival_clear(cival *I)
{
    fmpq_clear(I->lo);
    fmpq_clear(I->hi);
}

static void piece_ival(cival *I, const idc_line1d *ln, size_t p)
{
    I->lo_inf = p == 0;
    I->hi_inf = p + 1 == ln->P;
    if (!I->lo_inf)
        fmpq_set(I->lo, ln->t + p - 1);
    if (!I->hi_inf)
        fmpq_set(I->hi, ln->t + p);
}

/* 1 when the interval has interior points (infinite, or lo < hi). Empty
 * intervals have lo > hi. */
static int cival_open_nonempty(const cival *I)
{
    return I->lo_inf || I->hi_inf || fmpq_cmp(I->lo, I->hi) < 0;
}

static int is_const(const idc_line1d *ln, size_t p)
{
    return fmpq_mat_is_zero(ln->pc[p].be);
}

/* Pieces k, k2 nonconstant: 1 when f_k2(s) = f_k(lam + c s) for all s. */
static int collinear(fmpq_t c, fmpq_t lam, const idc_line1d *ln, size_t k, size_t k2)
{
    const idc_line_piece *A = &ln->pc[k], *B = &ln->pc[k2];
    slong n = A->be->r, j = 0;
    while (fmpq_is_zero(fmpq_mat_entry(A->be, j, 0)))
        j++;
    fmpq_div(c, fmpq_mat_entry(B->be, j, 0), fmpq_mat_entry(A->be, j, 0));
    fmpq_sub(lam, fmpq_mat_entry(B->al, j, 0), fmpq_mat_entry(A->al, j, 0));
    fmpq_div(lam, lam, fmpq_mat_entry(A->be, j, 0));
    fmpq_t x;
    fmpq_init(x);
    int ok = 1;
    for (slong i = 0; i < n && ok; i++) {
        fmpq_mul(x, c, fmpq_mat_entry(A->be, i, 0));
        ok = fmpq_equal(x, fmpq_mat_entry(B->be, i, 0));
        if (ok) {
            fmpq_mul(x, lam, fmpq_mat_entry(A->be, i, 0));
            fmpq_add(x, x, fmpq_mat_entry(A->al, i, 0));
            ok = fmpq_equal(x, fmpq_mat_entry(B->al, i, 0));
        }
    }
    fmpq_clear(x);
    return ok;
}

/* Q = I_k ∩ (lam + c I_k2) (c != 0). */
static void q_interval(cival *Q, const idc_line1d *ln, size_t k, size_t k2, const fmpq_t c, const fmpq_t lam)
{
    cival B;
    cival_init(&B);
    piece_ival(&B, ln, k2);
    int pos = fmpq_sgn(c) > 0;
    /* images of B's ends */
    fmpq_t e1, e2;
    fmpq_init(e1);
    fmpq_init(e2);
    fmpq_mul(e1, c, B.lo);
    fmpq_add(e1, e1, lam);
    fmpq_mul(e2, c, B.hi);
    fmpq_add(e2, e2, lam);
    int n_lo_inf = pos ? B.lo_inf : B.hi_inf, n_hi_inf = pos ? B.hi_inf : B.lo_inf;
    const fmpq *nlo = pos ? e1 : e2, *nhi = pos ? e2 : e1;
    piece_ival(Q, ln, k);
    if (!n_lo_inf && (Q->lo_inf || fmpq_cmp(nlo, Q->lo) > 0)) {
        fmpq_set(Q->lo, nlo);
        Q->lo_inf = 0;
    }
    if (!n_hi_inf && (Q->hi_inf || fmpq_cmp(nhi, Q->hi) < 0)) {
        fmpq_set(Q->hi, nhi);
        Q->hi_inf = 0;
    }
    fmpq_clear(e1);
    fmpq_clear(e2);
    cival_clear(&B);
}

/* 1 when the value al + be t (piece k at t) lies in f(I_k2) (closed). */
static int value_in_piece(const idc_line1d *ln, size_t k, const fmpq_t t, size_t k2)
{
    const idc_line_piece *A = &ln->pc[k], *B = &ln->pc[k2];
    slong n = A->be->r;
    fmpq_t y, s, x;
    fmpq_init(y);
    fmpq_init(s);
    fmpq_init(x);
    slong j = -1;
    for (slong i = 0; i < n && j < 0; i++)
        if (!fmpq_is_zero(fmpq_mat_entry(B->be, i, 0)))
            j = i;
    int hit = 1;
    if (j >= 0) {
        fmpq_mul(y, fmpq_mat_entry(A->be, j, 0), t);
        fmpq_add(y, y, fmpq_mat_entry(A->al, j, 0));
        fmpq_sub(s, y, fmpq_mat_entry(B->al, j, 0));
        fmpq_div(s, s, fmpq_mat_entry(B->be, j, 0));
        hit = idc_line_contains(ln, k2, s);
    } else {
        fmpq_zero(s);
    }
    for (slong i = 0; i < n && hit; i++) {
        fmpq_mul(y, fmpq_mat_entry(A->be, i, 0), t);
        fmpq_add(y, y, fmpq_mat_entry(A->al, i, 0));
        fmpq_mul(x, fmpq_mat_entry(B->be, i, 0), s);
        fmpq_add(x, x, fmpq_mat_entry(B->al, i, 0));
        hit = fmpq_equal(x, y);
    }
    fmpq_clear(y);
    fmpq_clear(s);
    fmpq_clear(x);
    return hit;
}

static json_t *breakpoints_json(const idc_line1d *ln)
{
    json_t *bp = json_array();
    for (size_t k = 0; k + 1 < ln->P; k++)
        json_array_append_new(bp, idc_cert_json_fmpq(ln->t + k));
    return bp;
}

/* Is the piece table continuous at every breakpoint? */
static int pwl1_continuous(const idc_line1d *ln)
{
    fmpq_t a, b;
    fmpq_init(a);
    fmpq_init(b);
    int ok = 1;
    for (size_t p = 0; p + 1 < ln->P && ok; p++) {
        fmpq_mul(a, fmpq_mat_entry(ln->pc[p].be, 0, 0), ln->t + p);
        fmpq_add(a, a, fmpq_mat_entry(ln->pc[p].al, 0, 0));
        fmpq_mul(b, fmpq_mat_entry(ln->pc[p + 1].be, 0, 0), ln->t + p);
        fmpq_add(b, b, fmpq_mat_entry(ln->pc[p + 1].al, 0, 0));
        ok = fmpq_equal(a, b);
    }
    fmpq_clear(a);
    fmpq_clear(b);
    return ok;
}

typedef struct {
    idc_verdict v;
    const char *method;
    json_t *w;
    char reason[IDC_PRE_REASON_LEN];
} line_out;

static int cmp_q_lo(const void *pa, const void *pb)
{
    const cival *a = *(const cival *const *)pa, *b = *(const cival *const *)pb;
    if (a->lo_inf || b->lo_inf)
        return b->lo_inf - a->lo_inf;
    return fmpq_cmp(a->lo, b->lo);
}

/* F3 on the line. */
static int line_f3(line_out *o, const idc_line1d *ln, double deadline)
{
    fmpq_t c, lam, u, v, su, sv;
    fmpq_init(c);
    fmpq_init(lam);
    fmpq_init(u);
    fmpq_init(v);
    fmpq_init(su);
    fmpq_init(sv);
    cival Q;
    cival_init(&Q);
    fmpz_t three;
    fmpz_init_set_ui(three, 3);
    int found = 0, expired = 0;
    for (size_t k = 0; k < ln->P && !found && !expired; k++) {
        if (is_const(ln, k))
            continue;
        if (idc_budget_expired(deadline)) {
            expired = 1;
            break;
        }
        for (size_t k2 = k + 1; k2 < ln->P && !found; k2++) {
            if (is_const(ln, k2) || !collinear(c, lam, ln, k, k2))
                continue;
            q_interval(&Q, ln, k, k2, c, lam);
            if (!cival_open_nonempty(&Q))
                continue;
            /* [u, v] strictly inside Q; its preimage [su, sv] in piece k2 */
            if (Q.lo_inf && Q.hi_inf) {
                fmpq_zero(u);
                fmpq_one(v);
            } else if (Q.lo_inf) {
                fmpq_sub_si(u, Q.hi, 2);
                fmpq_sub_si(v, Q.hi, 1);
            } else if (Q.hi_inf) {
                fmpq_add_si(u, Q.lo, 1);
                fmpq_add_si(v, Q.lo, 2);
            } else {
                fmpq_sub(v, Q.hi, Q.lo);
                fmpq_div_fmpz(v, v, three);
                fmpq_add(u, Q.lo, v);
                fmpq_add(v, u, v);
            }
            fmpq_sub(su, u, lam);
            fmpq_div(su, su, c);
            fmpq_sub(sv, v, lam);
            fmpq_div(sv, sv, c);
            if (fmpq_cmp(su, sv) > 0)
                fmpq_swap(su, sv);
            /* pieces k < k2: [u, v] lies before [su, sv] */
            json_t *a = json_pack("[o,o]", idc_cert_json_fmpq(u), idc_cert_json_fmpq(v));
            json_t *b = json_pack("[o,o]", idc_cert_json_fmpq(su), idc_cert_json_fmpq(sv));
            o->w = json_pack("{s:o,s:o}", "a", a, "b", b);
            o->v = IDC_FAILS;
            o->method = "line-overlap";
            snprintf(o->reason, sizeof o->reason,
                     "m = 1: pieces %zu and %zu map segments of positive length onto one segment "
                     "(every point of it has two preimages)",
                     k, k2);
            found = 1;
        }
    }
    if (expired) {
        snprintf(o->reason, sizeof o->reason, "1-D analysis: time budget exhausted in the pairwise test");
    } else if (!found) {
        o->v = IDC_HOLDS;
        o->method = "line-disjoint";
        o->w = json_pack("{s:o}", "breakpoints", breakpoints_json(ln));
        snprintf(o->reason, sizeof o->reason,
                 "m = 1: exact analysis, %zu pieces; no two nonconstant pieces overlap in a segment of "
                 "positive length",
                 ln->P);
    }
    cival_clear(&Q);
    fmpz_clear(three);
    fmpq_clear(c);
    fmpq_clear(lam);
    fmpq_clear(u);
    fmpq_clear(v);
    fmpq_clear(su);
    fmpq_clear(sv);
    return (o->v != IDC_UNKNOWN && o->w == NULL) ? IDC_ENOMEM : IDC_OK;
}

/* A point of the open gap (lo, hi) (ends possibly infinite) whose value
 * under piece k lies in no other piece's image; 1 when found. At most one
 * point of the gap is excluded per non-collinear piece, so P + 1 distinct
 * candidates suffice. */
static int gap_point(fmpq_t x, const idc_line1d *ln, size_t k, int lo_inf, const fmpq_t lo, int hi_inf,
                     const fmpq_t hi)
{
    fmpq_t step;
    fmpq_init(step);
    fmpz_t den;
    fmpz_init(den);
    int found = 0;
    for (size_t j = 1; j <= ln->P + 1 && !found; j++) {
        if (lo_inf && hi_inf)
            fmpq_set_si(x, (slong)j, 1);
        else if (lo_inf)
            fmpq_sub_si(x, hi, (slong)j);
        else if (hi_inf)
            fmpq_add_si(x, lo, (slong)j);
        else {
            fmpq_sub(step, hi, lo);
            fmpq_mul_si(step, step, (slong)j);
            fmpz_set_si(den, (slong)ln->P + 2);
            fmpq_div_fmpz(step, step, den);
            fmpq_add(x, lo, step);
        }
        found = 1;
        for (size_t k2 = 0; k2 < ln->P && found; k2++)
            if (k2 != k && value_in_piece(ln, k, x, k2))
                found = 0;
    }
    fmpq_clear(step);
    fmpz_clear(den);
    return found;
}

/* F2 on the line (f nonconstant). */
static int line_f2(line_out *o, const idc_line1d *ln, int continuous, double deadline)
{
    size_t P = ln->P;
    cival *Qs = idc_calloc(P, sizeof *Qs);
    cival **ord = idc_calloc(P, sizeof *ord);
    size_t *who = idc_calloc(P, sizeof *who);
    if (Qs == NULL || ord == NULL || who == NULL) {
        free(Qs);
        free(ord);
        free(who);
        return IDC_ENOMEM;
    }
    for (size_t k = 0; k < P; k++)
        cival_init(Qs + k);
    fmpq_t c, lam, x;
    fmpq_init(c);
    fmpq_init(lam);
    fmpq_init(x);
    json_t *cover = json_array();
    int found = 0, expired = 0;
    for (size_t k = 0; k < P && !found && !expired; k++) {
        if (is_const(ln, k))
            continue;
        if (idc_budget_expired(deadline)) {
            expired = 1;
            break;
        }
        size_t nq = 0;
        for (size_t k2 = 0; k2 < P; k2++) {
            if (k2 == k || is_const(ln, k2) || !collinear(c, lam, ln, k, k2))
                continue;
            q_interval(Qs + nq, ln, k, k2, c, lam);
            if (!Qs[nq].lo_inf && !Qs[nq].hi_inf && fmpq_cmp(Qs[nq].lo, Qs[nq].hi) > 0)
                continue; /* empty */
            who[nq] = k2;
            ord[nq] = Qs + nq;
            nq++;
        }
        qsort(ord, nq, sizeof *ord, cmp_q_lo);
        /* sweep: cur = covered up to (cur_inf: -inf, nothing covered yet) */
        cival I;
        cival_init(&I);
        piece_ival(&I, ln, k);
        int cur_ninf = I.lo_inf, cur_pinf = 0; /* cur = -inf / +inf */
        fmpq_t cur;
        fmpq_init(cur);
        if (!I.lo_inf)
            fmpq_set(cur, I.lo);
        int gap = 0, g_lo_inf = 0, g_hi_inf = 0;
        fmpq_t glo, ghi;
        fmpq_init(glo);
        fmpq_init(ghi);
        for (size_t r = 0; r < nq && !gap && !cur_pinf; r++) {
            const cival *A = ord[r];
            int starts_after = !A->lo_inf && (cur_ninf || fmpq_cmp(A->lo, cur) > 0);
            if (starts_after) {
                gap = 1;
                g_lo_inf = cur_ninf;
                fmpq_set(glo, cur);
                fmpq_set(ghi, A->lo);
                break;
            }
            if (A->hi_inf)
                cur_pinf = 1;
            else if (cur_ninf || fmpq_cmp(A->hi, cur) > 0) {
                fmpq_set(cur, A->hi);
                cur_ninf = 0;
            }
        }
        if (!gap && !cur_pinf && (I.hi_inf || cur_ninf || fmpq_cmp(cur, I.hi) < 0)) {
            gap = 1;
            g_lo_inf = cur_ninf;
            fmpq_set(glo, cur);
            g_hi_inf = I.hi_inf;
            if (!I.hi_inf)
                fmpq_set(ghi, I.hi);
        }
        if (gap) {
            if (!gap_point(x, ln, k, g_lo_inf, glo, g_hi_inf, ghi)) {
                fmpq_clear(glo);
                fmpq_clear(ghi);
                fmpq_clear(cur);
                cival_clear(&I);
                json_decref(cover);
                cover = NULL;
                o->v = IDC_UNKNOWN;
                snprintf(o->reason, sizeof o->reason, "internal: no isolated point in an uncovered gap");
                break;
            }
            found = 1;
            o->v = IDC_HOLDS;
            o->method = "line-point";
            o->w = json_pack("{s:o,s:o}", "breakpoints", breakpoints_json(ln), "x", idc_cert_json_fmpq(x));
            snprintf(o->reason, sizeof o->reason,
                     "m = 1: exact analysis, %zu pieces; x* ~ %.6g in the interior of nonconstant piece %zu "
                     "has f(x*) outside the image of every other piece",
                     P, fmpq_get_d(x), k);
        } else {
            json_t *by = json_array();
            for (size_t r = 0; r < nq; r++)
                json_array_append_new(by, json_integer((json_int_t)who[ord[r] - Qs]));
            json_array_append_new(cover, json_pack("{s:I,s:o}", "piece", (json_int_t)k, "by", by));
        }
        fmpq_clear(glo);
        fmpq_clear(ghi);
        fmpq_clear(cur);
        cival_clear(&I);
    }
    int rc = IDC_OK;
    if (expired) {
        o->v = IDC_UNKNOWN;
        snprintf(o->reason, sizeof o->reason, "1-D analysis: time budget exhausted in the covering test");
    } else if (!found && cover != NULL) {
        if (!continuous) {
            o->v = IDC_UNKNOWN;
            snprintf(o->reason, sizeof o->reason,
                     "m = 1: the closures of the piece images cover every nonconstant piece, but the table "
                     "jumps (FC fails), so this does not decide F2 (i)");
        } else {
            o->v = IDC_FAILS;
            o->method = "line-cover";
            o->w = json_pack("{s:o,s:O}", "breakpoints", breakpoints_json(ln), "cover", cover);
            snprintf(o->reason, sizeof o->reason,
                     "m = 1: exact analysis, %zu pieces; every point of every nonconstant piece shares its "
                     "image with another piece, so no x0 in f(R) has a neighbourhood of single preimages "
                     "(F2 (i) fails)",
                     P);
        }
    }
    if (o->v != IDC_UNKNOWN && o->w == NULL)
        rc = IDC_ENOMEM;
    json_decref(cover);
    for (size_t k = 0; k < P; k++)
        cival_clear(Qs + k);
    free(Qs);
    free(ord);
    free(who);
    fmpq_clear(c);
    fmpq_clear(lam);
    fmpq_clear(x);
    return rc;
}

static int decide_line(idc_pre_result *res, const char *id, const idc_pamap *f, const char *hash,
                       const idc_budget *budget, const char *f4why, idc_err *err)
{
    double deadline = idc_budget_deadline(budget);
    size_t cap = idc_budget_entries(budget);
    idc_line1d ln;
    int capped = 0, rc;
    if (f->kind == IDC_MAP_PWL1) {
        rc = idc_line_from_pwl1(&ln, f);
    } else {
        idc_qnet q;
        if (idc_qnet_init(&q, f) != IDC_OK)
            return nomem(err);
        size_t pcap = cap / (2 * q.n + 2);
        if (pcap > F23_1D_MAX_PIECES)
            pcap = F23_1D_MAX_PIECES;
        rc = idc_line_build(&ln, &capped, &q, pcap, deadline);
        idc_qnet_clear(&q);
    }
    if (rc != IDC_OK) {
        idc_line_clear(&ln);
        return idc_err_set(err, rc, "%s: 1-D analysis failed (%s)", id, idc_status_name(rc));
    }
    if (capped || ln.P > F23_1D_MAX_PAIRWISE) {
        idc_pre_result_set(res, id, IDC_UNKNOWN, NULL,
                           "1-D analysis stopped at the piece/time budget (%zu pieces); F4 is %s", ln.P, f4why);
        idc_line_clear(&ln);
        return IDC_OK;
    }
    line_out o = {IDC_UNKNOWN, NULL, NULL, ""};
    int nonconst = 0;
    for (size_t k = 0; k < ln.P && !nonconst; k++)
        nonconst = !is_const(&ln, k);
    if (!nonconst) {
        o.v = IDC_FAILS;
        o.method = "line-constant";
        o.w = json_pack("{s:o}", "breakpoints", breakpoints_json(&ln));
        snprintf(o.reason, sizeof o.reason,
                 "m = 1: f is constant on every piece: each image point has infinitely many preimages "
                 "and positive counting (H^0) measure");
        rc = o.w == NULL ? IDC_ENOMEM : IDC_OK;
    } else if (strcmp(id, "F3") == 0) {
        rc = line_f3(&o, &ln, deadline);
    } else {
        rc = line_f2(&o, &ln, f->kind != IDC_MAP_PWL1 || pwl1_continuous(&ln), deadline);
    }
    idc_line_clear(&ln);
    if (rc != IDC_OK) {
        json_decref(o.w);
        return idc_err_set(err, rc, "%s: 1-D analysis failed (%s)", id, idc_status_name(rc));
    }
    if (o.v == IDC_UNKNOWN) {
        json_decref(o.w);
        idc_pre_result_set(res, id, IDC_UNKNOWN, NULL, "%s", o.reason);
        return IDC_OK;
    }
    return decide(res, id, o.v, hash, o.method, o.w, o.reason, f, err);
}

/* ---- m = 2: exact region enumeration ------------------------------------------------ */

#define F23_2D_MAX_CELLS 600

/* A linear region: polygon P (theory/verify/plane2d.h) and the map x -> A x + c of
 * the current layer's output on it (at the end: J = A, n x 2). */
typedef struct {
    idc_poly P;
    fmpq_mat_t A, c;
} cell2;

typedef struct {
    size_t n, alloc;
    cell2 *c;
} cells2;

static void cells_clear(cells2 *L)
{
    for (size_t k = 0; k < L->n; k++) {
        idc_poly_clear(&L->c[k].P);
        fmpq_mat_clear(L->c[k].A);
        fmpq_mat_clear(L->c[k].c);
    }
    free(L->c);
    memset(L, 0, sizeof *L);
}

/* Appends a cell with polygon P (copied), A, c; 0 on allocation failure. */
static int cells_push(cells2 *L, const idc_poly *P, const fmpq_mat_t A, const fmpq_mat_t c)
{
    if (L->n == L->alloc) {
        size_t na = L->alloc ? 2 * L->alloc : 16;
        cell2 *nc = realloc(L->c, na * sizeof *nc);
        if (nc == NULL)
            return 0;
        L->c = nc;
        L->alloc = na;
    }
    cell2 *C = &L->c[L->n++];
    idc_poly_init(&C->P);
    idc_poly_set(&C->P, P);
    fmpq_mat_init_set(C->A, A);
    fmpq_mat_init_set(C->c, c);
    return 1;
}

/* Layer-wise refinement: a cell is split by a unit only where the unit
 * takes both strict signs (units vanishing on a whole cell are exact zeros:
 * both branches agree). *capped when more than cap cells or past the
 * deadline. */
static int plane_build(cells2 *out, int *capped, const idc_qnet *q, size_t cap, double deadline)
{
    memset(out, 0, sizeof *out);
    *capped = 0;
    cells2 cur = {0, 0, NULL}, nxt = {0, 0, NULL};
    idc_poly box;
    idc_poly_init(&box);
    idc_poly_box(&box);
    fmpq_mat_t I, z;
    fmpq_mat_init(I, 2, 2);
    fmpq_mat_one(I);
    fmpq_mat_init(z, 2, 1);
    int rc = cells_push(&cur, &box, I, z) ? IDC_OK : IDC_ENOMEM;
    fmpq_mat_clear(I);
    fmpq_mat_clear(z);
    idc_poly_clear(&box);
    idc_pline l;
    idc_pline_init(&l);
    idc_bq val;
    idc_bq_init(&val);
    for (size_t i = 0; i < q->L && rc == IDC_OK && !*capped; i++) {
        slong w = q->W[i].r;
        for (size_t k = 0; k < cur.n && rc == IDC_OK && !*capped; k++) {
            const cell2 *C = &cur.c[k];
            fmpq_mat_t Z, z0;
            fmpq_mat_init(Z, w, 2);
            fmpq_mat_init(z0, w, 1);
            fmpq_mat_mul(Z, q->W + i, C->A);
            fmpq_mat_mul(z0, q->W + i, C->c);
            fmpq_mat_add(z0, z0, q->b + i);
            /* pieces of C split by every unit that changes sign on them */
            size_t np = 1, pa = 4;
            idc_poly *pcs = idc_calloc(pa, sizeof *pcs);
            if (pcs == NULL) {
                rc = IDC_ENOMEM;
            } else {
                idc_poly_set(&pcs[0], &C->P);
            }
            for (slong u = 0; u < w && q->nonlin[i] && rc == IDC_OK && !*capped; u++) {
                fmpq_set(l.p, fmpq_mat_entry(Z, u, 0));
                fmpq_set(l.q, fmpq_mat_entry(Z, u, 1));
                fmpq_set(l.r.a, fmpq_mat_entry(z0, u, 0));
                fmpq_zero(l.r.b);
                size_t n0 = np;
                for (size_t r = 0; r < n0 && rc == IDC_OK; r++) {
                    if (np + 1 > pa) {
                        idc_poly *g = realloc(pcs, 2 * pa * sizeof *g);
                        if (g == NULL) {
                            rc = IDC_ENOMEM;
                            break;
                        }
                        pcs = g;
                        for (size_t t = pa; t < 2 * pa; t++)
                            idc_poly_init(&pcs[t]);
                        pa *= 2;
                    }
                    idc_poly pos;
                    idc_poly_init(&pos);
                    if (idc_poly_split(&pos, &pcs[np], &pcs[r], &l) == 0) {
                        idc_poly_swap(&pcs[r], &pos);
                        np++;
                    }
                    idc_poly_clear(&pos);
                }
                if (nxt.n + np > cap || idc_budget_expired(deadline))
                    *capped = 1;
            }
            /* the branch of every unit on each piece */
            for (size_t r = 0; r < np && rc == IDC_OK && !*capped; r++) {
                fmpq_mat_t A2, c2;
                fmpq_mat_init_set(A2, Z);
                fmpq_mat_init_set(c2, z0);
                for (slong u = 0; u < w && q->nonlin[i]; u++) {
                    fmpq_set(l.p, fmpq_mat_entry(Z, u, 0));
                    fmpq_set(l.q, fmpq_mat_entry(Z, u, 1));
                    fmpq_set(l.r.a, fmpq_mat_entry(z0, u, 0));
                    fmpq_zero(l.r.b);
                    int neg = 0;
                    for (size_t t = 0; t < pcs[r].n && !neg; t++) {
                        idc_pline_eval(&val, &l, &pcs[r].v[t]);
                        neg = idc_bq_sgn(&val) < 0;
                    }
                    if (neg) {
                        fmpq_mul(fmpq_mat_entry(A2, u, 0), fmpq_mat_entry(A2, u, 0), q->a + i);
                        fmpq_mul(fmpq_mat_entry(A2, u, 1), fmpq_mat_entry(A2, u, 1), q->a + i);
                        fmpq_mul(fmpq_mat_entry(c2, u, 0), fmpq_mat_entry(c2, u, 0), q->a + i);
                    }
                }
                if (!cells_push(&nxt, &pcs[r], A2, c2))
                    rc = IDC_ENOMEM;
                fmpq_mat_clear(A2);
                fmpq_mat_clear(c2);
            }
            if (pcs != NULL) {
                for (size_t t = 0; t < pa; t++)
                    idc_poly_clear(&pcs[t]);
                free(pcs);
            }
            fmpq_mat_clear(Z);
            fmpq_mat_clear(z0);
        }
        cells_clear(&cur);
        cur = nxt;
        memset(&nxt, 0, sizeof nxt);
    }
    idc_pline_clear(&l);
    idc_bq_clear(&val);
    cells_clear(&nxt);
    *out = cur;
    return rc;
}

static json_t *cells_json(const cells2 *L)
{
    json_t *a = json_array();
    for (size_t k = 0; k < L->n; k++)
        json_array_append_new(a, poly_json(&L->c[k].P));
    return a;
}

static slong mat_rank(const fmpq_mat_t A)
{
    return idc_qmat_rank(A);
}

/* Tries points strictly inside both the piece Pc and cell k (weighted
 * vertex averages, nvar variants) whose image no other cell reaches: the
 * F2 HOLDS certificate. 1 when found (o filled). */
static int try_point(line_out *o, const cells2 *L, size_t k, const idc_poly *Pc, unsigned nvar)
{
    size_t K = L->n;
    slong n = L->c[k].A->r;
    fmpq_mat_t u, y;
    fmpq_mat_init(u, 2, 1);
    fmpq_mat_init(y, n, 1);
    int found = 0;
    for (unsigned var = 0; var < nvar && !found; var++) {
        idc_poly_interior_q(fmpq_mat_entry(u, 0, 0), fmpq_mat_entry(u, 1, 0), Pc, var);
        if (!idc_poly_contains_strict_q(&L->c[k].P, fmpq_mat_entry(u, 0, 0), fmpq_mat_entry(u, 1, 0)))
            continue;
        fmpq_mat_mul(y, L->c[k].A, u);
        fmpq_mat_add(y, y, L->c[k].c);
        int clean = 1;
        for (size_t k2 = 0; k2 < K && clean; k2++)
            if (k2 != k && idc_plane_hits(L->c[k2].A, L->c[k2].c, &L->c[k2].P, y))
                clean = 0;
        if (clean) {
            found = 1;
            o->v = IDC_HOLDS;
            o->method = "plane-point";
            o->w = json_pack("{s:o,s:o}", "cells", cells_json(L), "x", idc_cert_json_fmpq_col(u, 0));
            snprintf(o->reason, sizeof o->reason,
                     "m = 2: exact enumeration, %zu regions; x* ~ (%.6g, %.6g) inside rank-2 region %zu has "
                     "f(x*) outside the image of every other region",
                     K, fmpq_get_d(fmpq_mat_entry(u, 0, 0)), fmpq_get_d(fmpq_mat_entry(u, 1, 0)), k);
        }
    }
    fmpq_mat_clear(u);
    fmpq_mat_clear(y);
    return found;
}

/* F2 (ii) and F3 when no region has rank 2, F3 by pairwise overlaps, F2 (i)
 * by covering. */
static int plane_decide(line_out *o, const char *id, const cells2 *L, const idc_pamap *f, const char *hash,
                        double deadline)
{
    size_t K = L->n;
    slong *rk = idc_calloc(K, sizeof *rk);
    if (rk == NULL)
        return IDC_ENOMEM;
    int any2 = 0;
    for (size_t k = 0; k < K; k++) {
        rk[k] = mat_rank(L->c[k].A);
        any2 |= rk[k] == 2;
    }
    int rc = IDC_OK;
    if (!any2) {
        o->v = IDC_FAILS;
        o->method = "plane-lowrank";
        o->w = json_pack("{s:o}", "cells", cells_json(L));
        snprintf(o->reason, sizeof o->reason,
                 "m = 2: exact enumeration, %zu regions, none of rank 2: dim f(R^2) < 2 and every image point "
                 "of a region's relative interior has infinitely many preimages",
                 K);
        free(rk);
        return o->w == NULL ? IDC_ENOMEM : IDC_OK;
    }
    slong n = L->c[0].A->r;
    fmpq_mat_t S, d, Si, u, v, y;
    fmpq_mat_init(S, 2, 2);
    fmpq_mat_init(d, 2, 1);
    fmpq_mat_init(Si, 2, 2);
    fmpq_mat_init(u, 2, 1);
    fmpq_mat_init(v, 2, 1);
    fmpq_mat_init(y, n, 1);
    size_t maxe = 0;
    for (size_t k = 0; k < K; k++)
        if (L->c[k].P.n > maxe)
            maxe = L->c[k].P.n;
    idc_pline *lines = idc_calloc(maxe, sizeof *lines);
    if (lines == NULL) {
        maxe = 0;
        rc = IDC_ENOMEM;
    }
    for (size_t e = 0; e < maxe; e++)
        idc_pline_init(lines + e);
    int expired = 0, found = 0;
    if (rc != IDC_OK) {
        /* out of memory: no decision */
    } else if (strcmp(id, "F3") == 0) {
        int uncertified = 0;
        idc_poly Q;
        idc_poly_init(&Q);
        for (size_t k = 0; k < K && !found && !expired; k++) {
            if (rk[k] != 2)
                continue;
            if (idc_budget_expired(deadline)) {
                expired = 1;
                break;
            }
            for (size_t k2 = k + 1; k2 < K && !found; k2++) {
                if (rk[k2] != 2 || !idc_plane_flat_map(S, d, L->c[k].A, L->c[k].c, L->c[k2].A, L->c[k2].c))
                    continue;
                size_t nl = idc_poly_map_lines(lines, &L->c[k2].P, S, d);
                idc_poly_set(&Q, &L->c[k].P);
                if (!idc_poly_clip(&Q, lines, nl))
                    continue;
                /* an interior point of the overlap, certified as a point-overlap */
                fmpq_mat_inv(Si, S);
                for (unsigned var = 0; var < 8 && !found; var++) {
                    idc_poly_interior_q(fmpq_mat_entry(u, 0, 0), fmpq_mat_entry(u, 1, 0), &Q, var);
                    fmpq_mat_sub(v, u, d);
                    fmpq_mat_mul(v, Si, v);
                    fmpq_mat_mul(y, L->c[k].A, u);
                    fmpq_mat_add(y, y, L->c[k].c);
                    json_t *w = json_pack("{s:o,s:o,s:o}", "x1", idc_cert_json_fmpq_col(u, 0), "x2",
                                          idc_cert_json_fmpq_col(v, 0), "image", idc_cert_json_fmpq_col(y, 0));
                    json_t *cert = idc_cert_new(id, IDC_FAILS, hash, "point-overlap", SRC_F3, json_incref(w));
                    char why[64];
                    if (cert != NULL && idc_cert_verify_parts(cert, NULL, f, hash, why, sizeof why) == IDC_OK) {
                        found = 1;
                        o->v = IDC_FAILS;
                        o->method = "point-overlap";
                        o->w = json_incref(w);
                        snprintf(o->reason, sizeof o->reason,
                                 "m = 2: exact enumeration, %zu regions; regions %zu and %zu map onto one 2-flat "
                                 "and their images overlap in positive area",
                                 K, k, k2);
                    }
                    json_decref(cert);
                    json_decref(w);
                }
                if (!found)
                    uncertified = 1;
            }
        }
        idc_poly_clear(&Q);
        if (expired)
            snprintf(o->reason, sizeof o->reason, "m = 2: time budget exhausted in the pairwise overlap test");
        else if (!found && uncertified)
            snprintf(o->reason, sizeof o->reason,
                     "m = 2: two regions' images overlap in positive area, but no overlap point with every "
                     "pre-activation nonzero was found");
        else if (!found) {
            o->v = IDC_HOLDS;
            o->method = "plane-disjoint";
            o->w = json_pack("{s:o}", "cells", cells_json(L));
            snprintf(o->reason, sizeof o->reason,
                     "m = 2: exact enumeration, %zu regions; no two rank-2 regions' images overlap in "
                     "positive area",
                     K);
        }
    } else {
        json_t *cover = json_array();
        size_t pa = 0, np = 0;
        idc_poly *pcs = NULL, *nxt = NULL, Qk;
        idc_poly_init(&Qk);
        for (size_t k = 0; k < K && !found && !expired && rc == IDC_OK; k++) {
            if (rk[k] != 2)
                continue;
            if (idc_budget_expired(deadline)) {
                expired = 1;
                break;
            }
            json_t *by = json_array();
            /* pieces of cell k not covered so far */
            np = 1;
            if (pa < 1) {
                pa = 8;
                pcs = calloc(pa, sizeof *pcs);
                nxt = calloc(pa, sizeof *nxt);
                if (pcs == NULL || nxt == NULL) {
                    rc = IDC_ENOMEM;
                    json_decref(by);
                    break;
                }
            }
            /* fast path: a point of the cell itself whose image is isolated */
            if (try_point(o, L, k, &L->c[k].P, 4)) {
                found = 1;
                json_decref(by);
                break;
            }
            idc_poly_set(&pcs[0], &L->c[k].P);
            for (size_t k2 = 0; k2 < K && np > 0 && rc == IDC_OK; k2++) {
                if (k2 == k || rk[k2] != 2 ||
                    !idc_plane_flat_map(S, d, L->c[k].A, L->c[k].c, L->c[k2].A, L->c[k2].c))
                    continue;
                size_t ne = idc_poly_map_lines(lines, &L->c[k2].P, S, d);
                idc_poly_set(&Qk, &L->c[k].P);
                if (!idc_poly_clip(&Qk, lines, ne))
                    continue; /* Q_{k,k2} has empty interior */
                json_array_append_new(by, json_integer((json_int_t)k2));
                size_t need = np * ne + 1;
                if (need > pa) {
                    idc_poly *g1 = realloc(pcs, need * sizeof *g1), *g2 = NULL;
                    if (g1 != NULL)
                        pcs = g1;
                    g2 = realloc(nxt, need * sizeof *g2);
                    if (g2 != NULL)
                        nxt = g2;
                    if (g1 == NULL || g2 == NULL) {
                        rc = IDC_ENOMEM;
                        break;
                    }
                    for (size_t t = pa; t < need; t++) {
                        idc_poly_init(&pcs[t]);
                        idc_poly_init(&nxt[t]);
                    }
                    pa = need;
                }
                size_t nn = 0;
                for (size_t r = 0; r < np; r++)
                    idc_poly_subtract(nxt, &nn, &pcs[r], lines, ne);
                idc_poly *sw = pcs;
                pcs = nxt;
                nxt = sw;
                np = nn;
                if (np > 4096)
                    rc = IDC_EUNABLE;
            }
            if (rc != IDC_OK) {
                json_decref(by);
                break;
            }
            if (np == 0) {
                json_array_append_new(cover, json_pack("{s:I,s:o}", "cell", (json_int_t)k, "by", by));
                continue;
            }
            json_decref(by);
            /* an uncovered point whose image no other region reaches */
            for (size_t r = 0; r < np && !found; r++)
                found = try_point(o, L, k, &pcs[r], 16);
            if (!found) {
                rc = IDC_EUNABLE;
                break;
            }
        }
        for (size_t t = 0; t < pa; t++) {
            idc_poly_clear(&pcs[t]);
            idc_poly_clear(&nxt[t]);
        }
        free(pcs);
        free(nxt);
        idc_poly_clear(&Qk);
        if (rc == IDC_EUNABLE) {
            rc = IDC_OK;
            snprintf(o->reason, sizeof o->reason,
                     "m = 2: a region is not covered by the others' images, but no certified isolated point "
                     "was found (or the covering grew too large)");
        } else if (expired) {
            snprintf(o->reason, sizeof o->reason, "m = 2: time budget exhausted in the covering test");
        } else if (!found && rc == IDC_OK) {
            o->v = IDC_FAILS;
            o->method = "plane-cover";
            o->w = json_pack("{s:o,s:O}", "cells", cells_json(L), "cover", cover);
            snprintf(o->reason, sizeof o->reason,
                     "m = 2: exact enumeration, %zu regions; every rank-2 region is covered by the images of "
                     "other regions, so no x0 in f(R^2) has a neighbourhood of single preimages (F2 (i) fails)",
                     K);
        }
        json_decref(cover);
    }
    for (size_t e = 0; e < maxe; e++)
        idc_pline_clear(lines + e);
    free(lines);
    fmpq_mat_clear(S);
    fmpq_mat_clear(d);
    fmpq_mat_clear(Si);
    fmpq_mat_clear(u);
    fmpq_mat_clear(v);
    fmpq_mat_clear(y);
    free(rk);
    if (rc == IDC_OK && o->v != IDC_UNKNOWN && o->w == NULL)
        rc = IDC_ENOMEM;
    return rc;
}

static int decide_plane(idc_pre_result *res, const char *id, const idc_pamap *f, const char *hash,
                        const idc_budget *budget, const char *f4why, idc_err *err)
{
    double deadline = idc_budget_deadline(budget);
    size_t cap = idc_budget_entries(budget);
    idc_qnet q;
    if (idc_qnet_init(&q, f) != IDC_OK)
        return nomem(err);
    size_t ccap = cap / (8 * q.n + 32);
    if (ccap > F23_2D_MAX_CELLS)
        ccap = F23_2D_MAX_CELLS;
    cells2 L;
    int capped = 0;
    (void)idc_plane_oom_take();
    int rc = plane_build(&L, &capped, &q, ccap, deadline);
    idc_qnet_clear(&q);
    if (idc_plane_oom_take() && rc == IDC_OK)
        rc = IDC_ENOMEM;
    if (rc != IDC_OK) {
        cells_clear(&L);
        return idc_err_set(err, rc, "%s: 2-D region enumeration failed (%s)", id, idc_status_name(rc));
    }
    if (capped) {
        cells_clear(&L);
        idc_pre_result_set(res, id, IDC_UNKNOWN, NULL,
                           "m = 2: region enumeration stopped at the region/time budget (%zu regions); F4 is %.150s",
                           ccap, f4why);
        return IDC_OK;
    }
    line_out o = {IDC_UNKNOWN, NULL, NULL, ""};
    (void)idc_plane_oom_take();
    rc = plane_decide(&o, id, &L, f, hash, deadline);
    cells_clear(&L);
    if (idc_plane_oom_take() && rc == IDC_OK)
        rc = IDC_ENOMEM;
    if (rc != IDC_OK) {
        json_decref(o.w);
        return idc_err_set(err, rc, "%s: 2-D analysis failed (%s)", id, idc_status_name(rc));
    }
    if (o.v == IDC_UNKNOWN) {
        json_decref(o.w);
        idc_pre_result_set(res, id, IDC_UNKNOWN, NULL, "%.200s; F4 is %.100s", o.reason, f4why);
        return IDC_OK;
    }
    return decide(res, id, o.v, hash, o.method, o.w, o.reason, f, err);
}

int idc_pre_f23(idc_pre_result *res, const char *id, const idc_pamap *f, const char *hash,
                const idc_budget *budget, idc_err *err)
{
    if (id == NULL || (strcmp(id, "F2") != 0 && strcmp(id, "F3") != 0))
        return idc_err_set(err, IDC_EINVAL, "F2/F3 checker called for \"%s\"", id != NULL ? id : "(null)");
    int rc = idc_map_validate(f, err);
    if (rc != IDC_OK)
        return rc;
    if (idc_pre_map_non_pa(res, id, f))
        return IDC_OK;
    /* F4 => F3 => F2 */
    rc = idc_pre_implied_by_f4(res, id, f, hash, budget, err);
    if (rc != IDC_OK || res->verdict == IDC_HOLDS)
        return rc;
    char f4why[IDC_PRE_REASON_LEN];
    snprintf(f4why, sizeof f4why, "%s", res->reason);
    const char *why = strstr(f4why, "F4 is ");
    why = why != NULL ? why + 6 : f4why;
    size_t cap = idc_budget_entries(budget), total = 0;
    if (f->kind == IDC_MAP_MLP) {
        for (size_t i = 0; i < f->nlayers; i++)
            total += f->layers[i].in * f->layers[i].out + f->layers[i].out;
        if (total > cap) {
            idc_pre_result_set(res, id, IDC_UNKNOWN, NULL,
                               "network too large for the exact budget (%zu weights)", total);
            return IDC_OK;
        }
        json_t *w = NULL;
        int found = 0;
        rc = kernel_w1(&w, &found, f);
        if (rc != IDC_OK)
            return idc_err_set(err, rc, "%s: exact kernel of W_1 failed (%s)", id, idc_status_name(rc));
        if (found)
            return decide(res, id, IDC_FAILS, hash, "kernel-w1", w,
                          "W_1 has a nonzero kernel vector v: every fibre contains a line x + R v, so every "
                          "image point has infinitely many preimages (dim f(R^m) < m)",
                          f, err);
    }
    if (f->in_dim == 1)
        return decide_line(res, id, f, hash, budget, why, err);
    if (f->in_dim == 2) {
        rc = decide_plane(res, id, f, hash, budget, why, err);
        if (rc != IDC_OK || res->verdict != IDC_UNKNOWN || strcmp(id, "F3") != 0)
            return rc;
    }
    if (strcmp(id, "F3") == 0) {
        /* a witness search: two full-rank regions covering an open set twice */
        idc_qnet q;
        if (idc_qnet_init(&q, f) != IDC_OK)
            return nomem(err);
        json_t *w = NULL;
        int found = 0;
        rc = overlap_search(&w, &found, &q, idc_budget_deadline(budget));
        idc_qnet_clear(&q);
        if (rc != IDC_OK)
            return idc_err_set(err, rc, "F3: overlap search failed (%s)", idc_status_name(rc));
        if (found)
            return decide(res, id, IDC_FAILS, hash, "point-overlap", w,
                          "two interior points of full-rank regions whose Jacobians span the same m-flat have "
                          "the same image: an open piece of that flat is covered twice",
                          f, err);
        if (f->in_dim == 2)
            return IDC_OK; /* keep the 2-D reason */
    }
    idc_pre_result_set(res, id, IDC_UNKNOWN, NULL,
                       "m = %zu: exact region analysis only for m <= 2; W_1 has full column rank%s, and F4 is "
                       "%.180s",
                       f->in_dim, strcmp(id, "F3") == 0 ? ", no overlap witness found" : "", why);
    return IDC_OK;
}
