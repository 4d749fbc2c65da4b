/* A3.4 certificates: the verifier's own code (checker: theory/check/pre_a34.c,
 * whose header documents the formats). Everything is recomputed exactly
 * from the model; nothing is searched:
 *   "maximal-sets" (HOLDS): ranks (exact rank of L_j / Sigma_j), the rank
 *       classes, each maximal set's point and solutions y_j, each disjoint
 *       set's Fredholm vector, and coverage of every subset of every class
 *       by a pruned subset DFS (classes of more than A34_MAX_CLASS members
 *       only when one maximal set is the whole class).
 *   "equal-distances" (FAILS): the flat p + col N lies in every member's
 *       support and has the dimension of the intersection of the members'
 *       directions, all members have the claimed rank, and the pair's
 *       distance polynomials have equal coefficients.
 *   "nondegenerate-point" (HOLDS, older certificates): P1nd's evidence and
 *       one point with pairwise different distances. */
#include "theory/verify/verify_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "numeric/qmat.h"
#include "numeric/qspace.h"
#include "theory/verify.h"

#define A34_MAX_CLASS IDC_A34_MAX_CLASS

static int vec_equal(const fmpq *a, const fmpq *b, slong n)
{
    for (slong i = 0; i < n; i++)
        if (!fmpq_equal(a + i, b + i))
            return 0;
    return 1;
}

static int cmp_fmpq(const void *a, const void *b)
{
    return fmpq_cmp((const fmpq *)a, (const fmpq *)b);
}

/* out (m x 1) = Sigma_j y: L (L^T y) for factor forms, Sigma y otherwise. */
static void v_sigma_mul(fmpq_mat_t out, const vcomp *c, const fmpq_mat_t y)
{
    slong m = c->mu->r;
    if (c->form == IDC_COMP_COVARIANCE) {
        fmpq_mat_mul(out, c->S, y);
        return;
    }
    fmpq_mat_t u;
    fmpq_mat_init(u, c->r, 1);
    for (slong q = 0; q < c->r; q++)
        for (slong i = 0; i < m; i++)
            fmpq_addmul(fmpq_mat_entry(u, q, 0), fmpq_mat_entry(c->L, i, q), fmpq_mat_entry(y, i, 0));
    fmpq_mat_zero(out);
    for (slong i = 0; i < m; i++)
        for (slong q = 0; q < c->r; q++)
            fmpq_addmul(fmpq_mat_entry(out, i, 0), fmpq_mat_entry(c->L, i, q), fmpq_mat_entry(u, q, 0));
    fmpq_mat_clear(u);
}

/* 1 when Sigma_j y = x - mu_j (shift = 1) or Sigma_j y = x (shift = 0). */
static int v_solves(const vcomp *c, const fmpq_mat_t y, const fmpq_mat_t x, int shift)
{
    slong m = c->mu->r;
    fmpq_mat_t s;
    fmpq_mat_init(s, m, 1);
    v_sigma_mul(s, c, y);
    int ok = 1;
    fmpq_t e;
    fmpq_init(e);
    for (slong i = 0; i < m && ok; i++) {
        if (shift)
            fmpq_add(e, fmpq_mat_entry(s, i, 0), fmpq_mat_entry(c->mu, i, 0));
        else
            fmpq_set(e, fmpq_mat_entry(s, i, 0));
        ok = fmpq_equal(e, fmpq_mat_entry(x, i, 0));
    }
    fmpq_clear(e);
    fmpq_mat_clear(s);
    return ok;
}

/* out (initialised by the call) = independent columns of X spanning col X. */
static void v_basis(fmpq_mat_t out, const fmpq_mat_t X)
{
    slong m = X->r, n = X->c;
    if (n == 0 || m == 0) {
        fmpq_mat_init(out, m, 0);
        return;
    }
    fmpq_mat_t R;
    fmpq_mat_init(R, m, n);
    slong r = fmpq_mat_rref(R, X), c = 0;
    fmpq_mat_init(out, m, r);
    for (slong i = 0; i < r; i++) {
        while (fmpq_is_zero(fmpq_mat_entry(R, i, c)))
            c++;
        for (slong a = 0; a < m; a++)
            fmpq_set(fmpq_mat_entry(out, a, i), fmpq_mat_entry(X, a, c));
    }
    fmpq_mat_clear(R);
}

/* Exact ranks and (covariance forms) symmetry of every component. */
static int v_ranks(vctx *V, slong *r, const vcomp *c, size_t J)
{
    for (size_t j = 0; j < J; j++) {
        if (c[j].form == IDC_COMP_COVARIANCE && !idc_qmat_symmetric(NULL, NULL, c[j].S))
            return idc_vfail(V, "A3.4: Sigma_%zu is not symmetric", j);
        r[j] = idc_qspace_dim(idc_v_dirs(&c[j]));
    }
    return IDC_OK;
}

/* A member list of n >= lo distinct components; positions in the class via
 * pos[] (-1: not in the class). Sets *mask (class positions). */
static int v_members(slong *out, slong *n, uint32_t *mask, const json_t *arr, size_t J, const slong *pos,
                     slong lo)
{
    if (!json_is_array(arr) || json_array_size(arr) < (size_t)lo || json_array_size(arr) > J)
        return 0;
    *n = (slong)json_array_size(arr);
    if (!idc_vget_indices(out, arr, *n, (slong)J, 1))
        return 0;
    *mask = 0;
    for (slong i = 0; i < *n; i++) {
        if (pos[out[i]] < 0)
            return 0;
        if (pos[out[i]] < 32)
            *mask |= (uint32_t)1 << pos[out[i]];
    }
    return 1;
}

/* One maximal set: point, y_j, d2_j; pairwise different distances. */
static int v_maximal(vctx *V, const json_t *o, const vcomp *c, const slong *mem, slong k, slong m)
{
    json_t *ys = json_object_get(o, "y"), *ds = json_object_get(o, "d2");
    fmpq_mat_t x, y;
    fmpq_mat_init(x, m, 1);
    fmpq_mat_init(y, m, 1);
    fmpq *d2 = _fmpq_vec_init(k);
    fmpq_t s, e, t;
    fmpq_init(s);
    fmpq_init(e);
    fmpq_init(t);
    int rc = IDC_OK;
    if (!idc_vget_qvec(x, json_object_get(o, "point"), m) || !json_is_array(ys) ||
        json_array_size(ys) != (size_t)k || !json_is_array(ds) || json_array_size(ds) != (size_t)k)
        rc = idc_vfail(V, "A3.4: maximal set: point / y / d2 malformed");
    for (slong i = 0; i < k && rc == IDC_OK; i++) {
        const vcomp *ci = &c[mem[i]];
        if (!idc_vget_qvec(y, json_array_get(ys, (size_t)i), m) ||
            idc_cert_get_fmpq(e, json_array_get(ds, (size_t)i)) != IDC_OK) {
            rc = idc_vfail(V, "A3.4: maximal set: y / d2 of component %ld malformed", (long)mem[i]);
            break;
        }
        if (!v_solves(ci, y, x, 1)) {
            rc = idc_vfail(V, "A3.4: Sigma_%ld y != point - mu_%ld", (long)mem[i], (long)mem[i]);
            break;
        }
        fmpq_zero(s);
        for (slong a = 0; a < m; a++) {
            fmpq_sub(t, fmpq_mat_entry(x, a, 0), fmpq_mat_entry(ci->mu, a, 0));
            fmpq_addmul(s, t, fmpq_mat_entry(y, a, 0));
        }
        if (!fmpq_equal(s, e))
            rc = idc_vfail(V, "A3.4: d2 of component %ld is not its Mahalanobis distance", (long)mem[i]);
        fmpq_set(d2 + i, s);
    }
    if (rc == IDC_OK) {
        qsort(d2, (size_t)k, sizeof(fmpq), cmp_fmpq);
        for (slong i = 0; i + 1 < k && rc == IDC_OK; i++)
            if (fmpq_equal(d2 + i, d2 + i + 1))
                rc = idc_vfail(V, "A3.4: two members of a maximal set have equal distances at its point");
    }
    fmpq_clear(s);
    fmpq_clear(e);
    fmpq_clear(t);
    _fmpq_vec_clear(d2, k);
    fmpq_mat_clear(x);
    fmpq_mat_clear(y);
    return rc;
}

/* One disjoint set: w = (w_t) with sum_t w_t = 0, w_t^T D_t = 0 and
 * sum_t w_t . mu_t != 0. */
static int v_disjoint(vctx *V, const json_t *o, const vcomp *c, const slong *mem, slong k, slong m)
{
    fmpq_mat_t w;
    fmpq_mat_init(w, k * m, 1);
    fmpq_t s;
    fmpq_init(s);
    int rc = IDC_OK;
    if (!idc_vget_qvec(w, json_object_get(o, "w"), k * m))
        rc = idc_vfail(V, "A3.4: disjoint set: w: expected %ld rationals", (long)(k * m));
    for (slong i = 0; i < m && rc == IDC_OK; i++) {
        fmpq_zero(s);
        for (slong t = 0; t < k; t++)
            fmpq_add(s, s, fmpq_mat_entry(w, t * m + i, 0));
        if (!fmpq_is_zero(s))
            rc =
                idc_vfail(V, "A3.4: disjoint set: the blocks of w do not sum to 0 (coordinate %ld)", (long)i);
    }
    for (slong t = 0; t < k && rc == IDC_OK; t++) {
        const fmpq_mat_struct *D = idc_v_dirs(&c[mem[t]]);
        for (slong q = 0; q < D->c && rc == IDC_OK; q++) {
            fmpq_zero(s);
            for (slong i = 0; i < m; i++)
                fmpq_addmul(s, fmpq_mat_entry(w, t * m + i, 0), fmpq_mat_entry(D, i, q));
            if (!fmpq_is_zero(s))
                rc = idc_vfail(V, "A3.4: disjoint set: w is not orthogonal to the support of component %ld",
                               (long)mem[t]);
        }
    }
    if (rc == IDC_OK) {
        fmpq_zero(s);
        for (slong t = 0; t < k; t++)
            for (slong i = 0; i < m; i++)
                fmpq_addmul(s, fmpq_mat_entry(w, t * m + i, 0), fmpq_mat_entry(c[mem[t]].mu, i, 0));
        if (fmpq_is_zero(s))
            rc = idc_vfail(V, "A3.4: disjoint set: w^T b = 0, no contradiction");
    }
    fmpq_clear(s);
    fmpq_mat_clear(w);
    return rc;
}

/* Coverage: every subset of {0..K-1} with >= 2 elements lies in some mx[]
 * or contains some dj[]. Returns the first uncovered set, or 0. */
typedef struct {
    const uint32_t *mx, *dj;
    size_t nmx, ndj;
    slong K;
} v_cover;

static uint32_t v_uncovered(const v_cover *C, uint32_t T, slong next)
{
    for (slong k = next; k < C->K; k++) {
        uint32_t U = T | ((uint32_t)1 << k);
        int inside = (U & (U - 1)) == 0;
        for (size_t i = 0; i < C->nmx && !inside; i++)
            inside = (U & ~C->mx[i]) == 0;
        if (inside) {
            uint32_t bad = v_uncovered(C, U, k + 1);
            if (bad != 0)
                return bad;
            continue;
        }
        int over = 0;
        for (size_t i = 0; i < C->ndj && !over; i++)
            over = (C->dj[i] & ~U) == 0;
        if (!over)
            return U;
    }
    return 0;
}

static int v_maximal_sets(vctx *V, const json_t *w)
{
    size_t J = V->g->ncomp;
    slong m = (slong)V->g->dim;
    json_t *ranks = json_object_get(w, "ranks"), *classes = json_object_get(w, "classes");
    if (!json_is_array(ranks) || json_array_size(ranks) != J || !json_is_array(classes))
        return idc_vfail(V, "A3.4: witness.ranks / classes malformed");
    if (J == 0)
        return json_array_size(classes) == 0 ? IDC_OK : idc_vfail(V, "A3.4: classes of an empty mixture");
    vcomp *c = idc_v_load_all(V);
    if (c == NULL)
        return IDC_EDOM;
    slong *r = flint_malloc(J * sizeof(slong)), *pos = flint_malloc(J * sizeof(slong));
    slong *mem = flint_malloc(J * sizeof(slong)), *cls = flint_malloc(J * sizeof(slong));
    unsigned char *seen = idc_calloc(J, 1), *rseen = idc_calloc((size_t)m + 1, 1);
    uint32_t *mx = NULL, *dj = NULL;
    int rc = seen == NULL || rseen == NULL ? idc_vfail(V, "out of memory") : v_ranks(V, r, c, J);
    for (size_t j = 0; j < J && rc == IDC_OK; j++) {
        json_t *e = json_array_get(ranks, j);
        if (!json_is_integer(e) || json_integer_value(e) != r[j])
            rc = idc_vfail(V, "A3.4: ranks[%zu] is not the exact rank %ld of Sigma_%zu", j, (long)r[j], j);
        pos[j] = -1;
    }
    for (size_t ci = 0; ci < json_array_size(classes) && rc == IDC_OK; ci++) {
        json_t *o = json_array_get(classes, ci);
        slong rank, K;
        uint32_t mask;
        if (!idc_vget_index(&rank, o, "rank", 0, m) || rseen[rank]++) {
            rc = idc_vfail(V, "A3.4: classes[%zu].rank missing, out of range or repeated", ci);
            break;
        }
        for (size_t j = 0; j < J; j++)
            pos[j] = 0; /* any component may be named here; membership checked below */
        if (!v_members(cls, &K, &mask, json_object_get(o, "members"), J, pos, 1)) {
            rc = idc_vfail(V, "A3.4: classes[%zu].members malformed", ci);
            break;
        }
        for (size_t j = 0; j < J; j++)
            pos[j] = -1;
        for (slong i = 0; i < K && rc == IDC_OK; i++) {
            if (r[cls[i]] != rank || seen[cls[i]]++)
                rc = idc_vfail(V, "A3.4: classes[%zu]: component %ld has rank %ld or is listed twice", ci,
                               (long)cls[i], (long)r[cls[i]]);
            pos[cls[i]] = i;
        }
        json_t *maxi = json_object_get(o, "maximal"), *disj = json_object_get(o, "disjoint");
        if (rc == IDC_OK && (!json_is_array(maxi) || !json_is_array(disj)))
            rc = idc_vfail(V, "A3.4: classes[%zu]: maximal / disjoint missing", ci);
        if (rc != IDC_OK)
            break;
        size_t nmx = json_array_size(maxi), ndj = json_array_size(disj);
        free(mx);
        free(dj);
        mx = idc_calloc(nmx + 1, sizeof *mx);
        dj = idc_calloc(ndj + 1, sizeof *dj);
        if (mx == NULL || dj == NULL) {
            rc = idc_vfail(V, "out of memory");
            break;
        }
        int whole = 0;
        for (size_t i = 0; i < nmx && rc == IDC_OK; i++) {
            json_t *s = json_array_get(maxi, i);
            slong k = 0;
            if (!v_members(mem, &k, &mx[i], json_object_get(s, "members"), J, pos, 2))
                rc = idc_vfail(
                    V, "A3.4: classes[%zu].maximal[%zu].members: not >= 2 distinct members of the class", ci,
                    i);
            else
                rc = v_maximal(V, s, c, mem, k, m);
            whole |= k == K;
        }
        for (size_t i = 0; i < ndj && rc == IDC_OK; i++) {
            json_t *s = json_array_get(disj, i);
            slong k = 0;
            if (!v_members(mem, &k, &dj[i], json_object_get(s, "members"), J, pos, 2))
                rc = idc_vfail(
                    V, "A3.4: classes[%zu].disjoint[%zu].members: not >= 2 distinct members of the class", ci,
                    i);
            else
                rc = v_disjoint(V, s, c, mem, k, m);
        }
        if (rc != IDC_OK || whole || K < 2)
            continue;
        if (K > A34_MAX_CLASS) {
            rc = idc_vfail(
                V,
                "A3.4: class of rank %ld has %ld members, too many for the coverage check (at most %d "
                "unless one maximal set is the whole class)",
                (long)rank, (long)K, A34_MAX_CLASS);
            break;
        }
        v_cover C = {mx, dj, nmx, ndj, K};
        uint32_t bad = v_uncovered(&C, 0, 0);
        if (bad != 0) {
            slong b0 = -1, b1 = -1;
            for (slong i = 0; i < K; i++)
                if ((bad >> i) & 1) {
                    if (b0 < 0)
                        b0 = cls[i];
                    else if (b1 < 0)
                        b1 = cls[i];
                }
            rc = idc_vfail(
                V,
                "A3.4: coverage: the set {%ld, %ld, ...} of rank-%ld components is neither inside a "
                "listed maximal set nor over a listed disjoint set",
                (long)b0, (long)b1, (long)rank);
        }
    }
    for (size_t j = 0; j < J && rc == IDC_OK; j++)
        if (!seen[j])
            rc = idc_vfail(V, "A3.4: component %zu is in no rank class", j);
    free(mx);
    free(dj);
    free(seen);
    free(rseen);
    flint_free(r);
    flint_free(pos);
    flint_free(mem);
    flint_free(cls);
    idc_v_free_all(c, J);
    return rc;
}

/* Coefficients of d^2(p + N t) for member data (y0, Y): constant c0, linear
 * lin (d), symmetrised quadratic Q (d x d, entries Y_a.N_b + Y_b.N_a). */
static void v_coeffs(fmpq_t c0, fmpq *lin, fmpq *Q, const vcomp *c, const fmpq_mat_t p, const fmpq_mat_t N,
                     const fmpq_mat_t y0, const fmpq_mat_t Y)
{
    slong m = p->r, d = N->c;
    fmpq_mat_t v;
    fmpq_mat_init(v, m, 1);
    fmpq_mat_sub(v, p, c->mu);
    fmpq_t s;
    fmpq_init(s);
    for (slong i = 0; i < m; i++)
        fmpq_addmul(s, fmpq_mat_entry(y0, i, 0), fmpq_mat_entry(v, i, 0));
    fmpq_set(c0, s);
    for (slong a = 0; a < d; a++) {
        fmpq_zero(s);
        for (slong i = 0; i < m; i++) {
            fmpq_addmul(s, fmpq_mat_entry(y0, i, 0), fmpq_mat_entry(N, i, a));
            fmpq_addmul(s, fmpq_mat_entry(v, i, 0), fmpq_mat_entry(Y, i, a));
        }
        fmpq_set(lin + a, s);
        for (slong b = 0; b < d; b++) {
            fmpq_zero(s);
            for (slong i = 0; i < m; i++) {
                fmpq_addmul(s, fmpq_mat_entry(Y, i, a), fmpq_mat_entry(N, i, b));
                fmpq_addmul(s, fmpq_mat_entry(Y, i, b), fmpq_mat_entry(N, i, a));
            }
            fmpq_set(Q + a * d + b, s);
        }
    }
    fmpq_clear(s);
    fmpq_mat_clear(v);
}

/* d columns of m rationals into M (initialised m x d). */
static int v_cols(fmpq_mat_t M, const json_t *arr, slong m, slong d)
{
    if (!json_is_array(arr) || json_array_size(arr) != (size_t)d)
        return 0;
    fmpq_mat_t col;
    fmpq_mat_init(col, m, 1);
    int ok = 1;
    for (slong k = 0; k < d && ok; k++) {
        ok = idc_vget_qvec(col, json_array_get(arr, (size_t)k), m);
        for (slong i = 0; i < m && ok; i++)
            fmpq_set(fmpq_mat_entry(M, i, k), fmpq_mat_entry(col, i, 0));
    }
    fmpq_mat_clear(col);
    return ok;
}

static int v_equal_distances(vctx *V, const json_t *w)
{
    size_t J = V->g->ncomp;
    slong m = (slong)V->g->dim;
    vcomp *c = idc_v_load_all(V);
    if (c == NULL)
        return IDC_EDOM;
    slong *r = flint_malloc(J * sizeof(slong)), *pos = flint_malloc(J * sizeof(slong));
    slong *mem = flint_malloc(J * sizeof(slong)), pair[2], rank, k = 0;
    uint32_t mask;
    json_t *dirs = json_object_get(w, "directions"), *y0s = json_object_get(w, "y0"),
           *Ys = json_object_get(w, "Y");
    slong d = json_is_array(dirs) ? (slong)json_array_size(dirs) : -1;
    int rc = v_ranks(V, r, c, J);
    for (size_t j = 0; j < J; j++)
        pos[j] = 0;
    if (rc == IDC_OK && (!idc_vget_index(&rank, w, "rank", 0, m) ||
                         !v_members(mem, &k, &mask, json_object_get(w, "members"), J, pos, 2) ||
                         !idc_vget_indices(pair, json_object_get(w, "pair"), 2, (slong)J, 1)))
        rc = idc_vfail(V, "A3.4: witness rank / members / pair malformed");
    if (rc == IDC_OK && (d < 0 || d > m || !json_is_array(y0s) || json_array_size(y0s) != (size_t)k ||
                         !json_is_array(Ys) || json_array_size(Ys) != (size_t)k))
        rc = idc_vfail(V, "A3.4: witness directions / y0 / Y malformed");
    slong ij = -1, ik = -1;
    for (slong i = 0; i < k && rc == IDC_OK; i++) {
        if (r[mem[i]] != rank)
            rc = idc_vfail(V, "A3.4: component %ld has rank %ld, not %ld", (long)mem[i], (long)r[mem[i]],
                           (long)rank);
        if (mem[i] == pair[0])
            ij = i;
        if (mem[i] == pair[1])
            ik = i;
    }
    if (rc == IDC_OK && (ij < 0 || ik < 0))
        rc = idc_vfail(V, "A3.4: the pair is not in the member set");
    if (rc != IDC_OK) {
        flint_free(r);
        flint_free(pos);
        flint_free(mem);
        idc_v_free_all(c, J);
        return rc;
    }
    fmpq_mat_t p, N, y0[2], Y[2], y, Yc;
    fmpq_mat_init(p, m, 1);
    fmpq_mat_init(N, m, d);
    fmpq_mat_init(y, m, 1);
    fmpq_mat_init(Yc, m, d);
    for (int i = 0; i < 2; i++) {
        fmpq_mat_init(y0[i], m, 1);
        fmpq_mat_init(Y[i], m, d);
    }
    if (!idc_vget_qvec(p, json_object_get(w, "point"), m) || !v_cols(N, dirs, m, d))
        rc = idc_vfail(V, "A3.4: witness point / directions malformed");
    /* p + col N inside every member's support */
    for (slong i = 0; i < k && rc == IDC_OK; i++) {
        const vcomp *ci = &c[mem[i]];
        if (!idc_vget_qvec(y, json_array_get(y0s, (size_t)i), m) ||
            !v_cols(Yc, json_array_get(Ys, (size_t)i), m, d)) {
            rc = idc_vfail(V, "A3.4: y0 / Y of component %ld malformed", (long)mem[i]);
            break;
        }
        if (!v_solves(ci, y, p, 1)) {
            rc = idc_vfail(V, "A3.4: Sigma_%ld y0 != point - mu_%ld: the point is not in its support",
                           (long)mem[i], (long)mem[i]);
            break;
        }
        for (slong a = 0; a < d && rc == IDC_OK; a++) {
            fmpq_mat_t ya, na;
            fmpq_mat_window_init(ya, Yc, 0, a, m, a + 1);
            fmpq_mat_window_init(na, N, 0, a, m, a + 1);
            if (!v_solves(ci, ya, na, 0))
                rc = idc_vfail(V, "A3.4: Sigma_%ld Y != directions (column %ld)", (long)mem[i], (long)a);
            fmpq_mat_window_clear(ya);
            fmpq_mat_window_clear(na);
        }
        if (i == ij || i == ik) {
            int s = i == ij ? 0 : 1;
            fmpq_mat_set(y0[s], y);
            fmpq_mat_set(Y[s], Yc);
        }
    }
    /* the flat is the whole intersection: rank N = dim ∩ V_i */
    if (rc == IDC_OK) {
        fmpq_mat_t cur, t1, t2;
        v_basis(cur, idc_v_dirs(&c[mem[0]]));
        for (slong i = 1; i < k; i++) {
            v_basis(t1, idc_v_dirs(&c[mem[i]]));
            idc_qspace_intersect(t2, cur, t1);
            fmpq_mat_clear(cur);
            v_basis(cur, t2);
            fmpq_mat_clear(t1);
            fmpq_mat_clear(t2);
        }
        slong dim = cur->c, rn = idc_qspace_dim(N);
        if (rn != dim)
            rc = idc_vfail(
                V, "A3.4: the directions have rank %ld, the members' directions meet in dimension %ld",
                (long)rn, (long)dim);
        fmpq_mat_clear(cur);
    }
    /* equal coefficients of d_j^2 and d_k^2 on the flat */
    if (rc == IDC_OK) {
        fmpq_t c0[2];
        fmpq *lin[2], *Q[2];
        for (int s = 0; s < 2; s++) {
            fmpq_init(c0[s]);
            lin[s] = _fmpq_vec_init(d > 0 ? d : 1);
            Q[s] = _fmpq_vec_init(d > 0 ? d * d : 1);
            v_coeffs(c0[s], lin[s], Q[s], &c[pair[s]], p, N, y0[s], Y[s]);
        }
        if (!fmpq_equal(c0[0], c0[1]))
            rc = idc_vfail(V, "A3.4: the constant terms differ: the distances are not equal on the flat");
        else if (d > 0 && !vec_equal(lin[0], lin[1], d))
            rc = idc_vfail(V, "A3.4: the linear terms differ: the distances are not equal on the flat");
        else if (d > 0 && !vec_equal(Q[0], Q[1], d * d))
            rc = idc_vfail(V, "A3.4: the quadratic terms differ: the distances are not equal on the flat");
        for (int s = 0; s < 2; s++) {
            fmpq_clear(c0[s]);
            _fmpq_vec_clear(lin[s], d > 0 ? d : 1);
            _fmpq_vec_clear(Q[s], d > 0 ? d * d : 1);
        }
    }
    for (int i = 0; i < 2; i++) {
        fmpq_mat_clear(y0[i]);
        fmpq_mat_clear(Y[i]);
    }
    fmpq_mat_clear(p);
    fmpq_mat_clear(N);
    fmpq_mat_clear(y);
    fmpq_mat_clear(Yc);
    flint_free(r);
    flint_free(pos);
    flint_free(mem);
    idc_v_free_all(c, J);
    return rc;
}

/* Older certificates: every Sigma_j nonsingular, one point for all J. */
static int v_nondegenerate_point(vctx *V, const json_t *w)
{
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
    fmpq_t s, e;
    fmpq_init(s);
    fmpq_init(e);
    json_t *ys = json_object_get(w, "y"), *ds = json_object_get(w, "d2");
    if (rc == IDC_OK && (!idc_vget_qvec(z, json_object_get(w, "point"), m) || !json_is_array(ys) ||
                         json_array_size(ys) != J || !json_is_array(ds) || json_array_size(ds) != J))
        rc = idc_vfail(V, "A3.4: witness point / y / d2 malformed");
    for (size_t j = 0; j < J && rc == IDC_OK; j++) {
        if (c[j].form == IDC_COMP_COVARIANCE && !idc_qmat_symmetric(NULL, NULL, c[j].S)) {
            rc = idc_vfail(V, "A3.4: Sigma_%zu is not symmetric", j);
            break;
        }
        if (!idc_vget_qvec(y, json_array_get(ys, j), m) ||
            idc_cert_get_fmpq(d2 + j, json_array_get(ds, j)) != IDC_OK) {
            rc = idc_vfail(V, "A3.4: y[%zu] / d2[%zu] malformed", j, j);
            break;
        }
        if (!v_solves(&c[j], y, z, 1)) {
            rc = idc_vfail(V, "A3.4: Sigma_%zu y_%zu != point - mu_%zu", j, j, j);
            break;
        }
        fmpq_zero(s);
        for (slong i = 0; i < m; i++) {
            fmpq_sub(e, fmpq_mat_entry(z, i, 0), fmpq_mat_entry(c[j].mu, i, 0));
            fmpq_addmul(s, e, fmpq_mat_entry(y, i, 0));
        }
        if (!fmpq_equal(s, d2 + j))
            rc = idc_vfail(V, "A3.4: d2[%zu] is not the Mahalanobis distance", j);
    }
    if (rc == IDC_OK) {
        qsort(d2, J, sizeof(fmpq), cmp_fmpq);
        for (size_t j = 0; j + 1 < J && rc == IDC_OK; j++)
            if (fmpq_equal(d2 + j, d2 + j + 1))
                rc = idc_vfail(V, "A3.4: two components have equal distances at the point");
    }
    fmpq_clear(s);
    fmpq_clear(e);
    _fmpq_vec_clear(d2, (slong)J);
    fmpq_mat_clear(z);
    fmpq_mat_clear(y);
    idc_v_free_all(c, J);
    return rc;
}

int idc_v_a34(vctx *V, idc_verdict v, const char *method, const json_t *w)
{
    if (V->g == NULL)
        return idc_vfail(V, "A3.4: certificate needs the mixture");
    if (v == IDC_HOLDS && strcmp(method, "maximal-sets") == 0)
        return v_maximal_sets(V, w);
    if (v == IDC_HOLDS && strcmp(method, "nondegenerate-point") == 0)
        return v_nondegenerate_point(V, w);
    if (v == IDC_FAILS && strcmp(method, "equal-distances") == 0)
        return v_equal_distances(V, w);
    return idc_vfail(V, "A3.4: no %s certificate with method %s", idc_verdict_name(v), method);
}
