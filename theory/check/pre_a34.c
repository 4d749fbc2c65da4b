/* A3.4 genericity (Xu, Lachapelle, Magliacane, Ass. 3.4; THEORY.md §3),
 * decided exactly for every pdGMM, degenerate components included.
 *
 * Statement. Supports S_j = mu_j + V_j, V_j = col Sigma_j, r_j = rank
 * Sigma_j. A3.4 holds iff for every rank r and every set C of rank-r
 * components whose supports have a common point, some z in ∩_{j∈C} S_j has
 * pairwise different d_j(z)^2 = (z - mu_j)^T Sigma_j^+ (z - mu_j).
 * Reduced form is not assumed: repeated components have identical
 * distances and FAIL. Singleton classes and sets impose nothing. A
 * COVARIANCE Sigma that is not exactly symmetric is IDC_EINVAL (the
 * identity below needs symmetry; the instance reader rejects it anyway).
 *
 * Facts used (Sigma symmetric):
 *   - no pseudo-inverse: for x in S_j, any y with Sigma_j y = x - mu_j gives
 *     d_j(x)^2 = y . (x - mu_j) (y = Sigma^+ v + k with k ⊥ col Sigma). With
 *     P_j a set of r_j independent columns of Sigma_j, Sigma_j[P,P] is
 *     nonsingular and y = (Sigma_j[P,P]^{-1} v_P on P, 0 elsewhere) works.
 *   - a point good for a set C is good for every subset, so only the
 *     MAXIMAL intersecting sets of each rank class need a witness.
 *   - on the flat F = ∩_{j∈C} S_j = p + col N (N: m x d, independent
 *     columns), with Sigma_j y0_j = p - mu_j and Sigma_j Y_j = N,
 *       d_j^2(p + N t) = y0_j.(p - mu_j) + (y0_j^T N + (p - mu_j)^T Y_j) t
 *                        + t^T (Y_j^T N) t,
 *     a quadratic in t in R^d. R[t] is a domain, so a common point with all
 *     distances different exists iff no difference q_jk = d_j^2 - d_k^2 is
 *     the zero polynomial: an exact comparison of constant, linear and
 *     (symmetrised) quadratic coefficients. When none vanishes, the product
 *     of the q_jk has degree <= 2 * #pairs and small integer t drawn from a
 *     wide enough box avoid its zeros (Schwartz-Zippel); the first t that
 *     works is certified exactly.
 *
 * Algorithm. (1) Per component: exact mu_j, Sigma_j (idc_pdgmm_exact_*),
 * r_j and pivots P_j from the rref of Sigma_j, and a basis B_j of V_j
 * (independent columns of L_j, or of Sigma_j for covariance forms) scaled
 * to primitive integer columns. (2) Group by rank. Per class: if all
 * members' supports meet (the intersection kept as a flat p + col N with
 * primitive integer N, met with one S_k at a time by one fraction-free
 * rref of the integer matrix [N, -B_k | c (mu_k - p)]), the class is its
 * only maximal set. Otherwise (classes of at most A34_MAX_CLASS members) a
 * DFS adds members in increasing index order to intersecting sets,
 * recording every intersecting set in a bitmap; maximal sets are those no
 * member extends, minimal non-intersecting sets are the failed extensions
 * all of whose one-smaller subsets intersect; each gets a Fredholm
 * certificate (idc_qspace_fredholm on the stacked system). (3) Per maximal
 * set: per member one multimodular solve Sigma_j[P,P] [y0 | Y]_P =
 * [p - mu_j | N]_P, the coefficients over a common denominator, and the
 * comparison above (FAILS on a zero q_jk, shrunk to the pair's own flat
 * when q_jk vanishes there already), else the witness search.
 *
 * Certificates.
 *   HOLDS, method "maximal-sets": w = {"ranks": [r_j], "classes": [{"rank":
 *     r, "members": [j..] (all components of rank r, increasing),
 *     "maximal": [{"members": [j..] (>= 2), "point": x, "y": [y_j per
 *     member], "d2": [d_j^2 per member]}], "disjoint": [{"members": [j..],
 *     "w": [|T| * m rationals]}]}]}. Sigma_j y_j = x - mu_j proves x in S_j;
 *     the d2 are y_j.(x - mu_j), pairwise different; "w" stacks w_k (one
 *     m-block per member) with sum_k w_k = 0, w_k ⊥ V_k, sum_k w_k.mu_k != 0
 *     (Fredholm for x - D_k a_k = mu_k, k in T: the supports of T do not
 *     meet). Coverage: every subset of a class with >= 2 members lies in a
 *     listed maximal set or contains a listed disjoint set; the verifier
 *     checks it by a pruned subset DFS, so classes that are not wholly
 *     intersecting are limited to A34_MAX_CLASS members (else UNKNOWN).
 *   FAILS, method "equal-distances": w = {"rank": r, "members": C, "pair":
 *     [j, k], "point": p, "directions": [d columns of N], "y0": [per member],
 *     "Y": [per member: d columns]}: Sigma_i y0_i = p - mu_i and Sigma_i Y_i
 *     = N for i in C (so p + col N ⊆ ∩ S_i), rank N = dim ∩_{i∈C} V_i (so
 *     equality), every member of rank r, and the constant, linear and
 *     symmetrised quadratic coefficients of d_j^2 and d_k^2 equal.
 *   The older HOLDS method "nondegenerate-point" (all Sigma_j nonsingular)
 *   is still accepted by the verifier but no longer produced.
 *
 * Cost. Per component one m x m rref (O(m^3) exact). Per class the fast
 * path costs |class| integer rrefs of m x (d + r + 1); the DFS costs one
 * such rref per intersecting set plus one per failed extension (at most
 * 2^K sets for a class of K), bounded by the budget (time, and intersecting
 * sets + certificate rationals against max_entries); one stacked Fredholm
 * solve per minimal disjoint set. Per maximal set of k members and flat
 * dimension d: k solves with r_j x (d + 1) right-hand sides, O(k r d^2)
 * integer products for the coefficients, O(k log k d^2) comparisons and a
 * few O(k d^2) evaluations for the witness. Running out of budget, or
 * (never expected) no witness in A34_TRIES draws, gives UNKNOWN with the
 * reason. Measured (2-core box): generated coordinate-support mixtures
 * m = 40, J = 10 (rank 20) 0.16 s; m = 20, J = 12 (rank 18) 0.33 s;
 * 12 lines in general position in R^2 (66 maximal pairs, 220 disjoint
 * triples) 2 ms, checker and verifier together. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flint/fmpq_mat.h>
#include <flint/fmpz_mat.h>
#include <flint/fmpz_vec.h>

#include "numeric/qmat.h"
#include "numeric/qspace.h"
#include "numeric/rng.h"
#include "theory/cert.h"
#include "theory/precond.h"

#define A34_SOURCE "X Ass. 3.4 (genericity of Mahalanobis distances)"
#define A34_TRIES 256
#define A34_MAX_NODES ((size_t)1 << 22)
#define A34_MAX_CLASS IDC_A34_MAX_CLASS /* the verifier's limit for classes that do not wholly intersect */

/* ---- exact component data ------------------------------------------------- */

typedef struct {
    slong r;
    slong *piv;     /* r independent columns P of Sigma */
    fmpq_mat_t mu;  /* m x 1 */
    fmpq_mat_t B;   /* m x r basis of V = col Sigma */
    fmpq_mat_t SPP; /* r x r, Sigma[P,P] (nonsingular) */
} a34_comp;

/* Pivot columns of a matrix in rref with `rank` nonzero rows. */
static void rref_pivots(slong *piv, const fmpq_mat_t R, slong rank)
{
    slong c = 0;
    for (slong i = 0; i < rank; i++) {
        while (c < R->c && fmpq_is_zero(fmpq_mat_entry(R, i, c)))
            c++;
        piv[i] = c;
    }
}

/* Sets A (m x d) to Z (m x d integers) with every nonzero column divided
 * by its content: primitive integer columns spanning the same lines. */
static void set_primitive_cols(fmpq_mat_t A, fmpz_mat_t Z)
{
    slong m = Z->r, d = Z->c;
    fmpz_t g;
    fmpz_init(g);
    for (slong k = 0; k < d; k++) {
        fmpz_zero(g);
        for (slong i = 0; i < m; i++)
            fmpz_gcd(g, g, fmpz_mat_entry(Z, i, k));
        for (slong i = 0; i < m; i++) {
            if (!fmpz_is_zero(g))
                fmpz_divexact(fmpz_mat_entry(Z, i, k), fmpz_mat_entry(Z, i, k), g);
            fmpq_set_fmpz(fmpq_mat_entry(A, i, k), fmpz_mat_entry(Z, i, k));
        }
    }
    fmpz_clear(g);
}

/* Scales the columns of a rational A to primitive integer vectors. */
static void mat_primitive_cols(fmpq_mat_t A)
{
    slong m = A->r, d = A->c;
    if (d == 0 || m == 0)
        return;
    fmpz_mat_t Z;
    fmpz *den = _fmpz_vec_init(d);
    fmpz_mat_init(Z, m, d);
    fmpq_mat_get_fmpz_mat_colwise(Z, den, A);
    set_primitive_cols(A, Z);
    fmpz_mat_clear(Z);
    _fmpz_vec_clear(den, d);
}

/* Loads component j; returns IDC_OK, IDC_EINVAL (malformed data, a
 * non-symmetric Sigma), IDC_EINTERNAL. */
static int comp_load(a34_comp *c, const idc_pdgmm *g, size_t j, idc_err *err)
{
    slong m = (slong)g->dim;
    const idc_component *k = &g->comp[j];
    fmpq_mat_t S, R;
    fmpq_mat_init(S, m, m);
    fmpq_mat_init(R, m, m);
    int rc = IDC_OK;
    if (idc_pdgmm_exact_sigma(S, g, j) != IDC_OK || idc_pdgmm_exact_mean(c->mu, g, j) != IDC_OK)
        rc = idc_err_set(err, IDC_EINVAL, "model.components[%zu]: non-finite or malformed data", j);
    else if (!idc_qmat_symmetric(NULL, NULL, S))
        rc = idc_err_set(err, IDC_EINVAL, "model.components[%zu].Sigma: not symmetric", j);
    if (rc == IDC_OK) {
        c->r = fmpq_mat_rref(R, S);
        c->piv = flint_malloc((size_t)(c->r + 1) * sizeof(slong));
        rref_pivots(c->piv, R, c->r);
        fmpq_mat_clear(c->SPP);
        fmpq_mat_init(c->SPP, c->r, c->r);
        for (slong a = 0; a < c->r; a++)
            for (slong b = 0; b < c->r; b++)
                fmpq_set(fmpq_mat_entry(c->SPP, a, b), fmpq_mat_entry(S, c->piv[a], c->piv[b]));
        if (c->r > 0 && idc_qmat_rank(c->SPP) != c->r)
            rc = idc_err_set(err, IDC_EINTERNAL, "A3.4: Sigma_%zu[P,P] singular on independent columns", j);
        /* basis of V: independent columns of L (factor forms), else of Sigma */
        fmpq_mat_clear(c->B);
        fmpq_mat_init(c->B, m, c->r);
        if (rc == IDC_OK && k->form != IDC_COMP_COVARIANCE && c->r > 0) {
            fmpq_mat_t L, RL;
            fmpq_mat_init(L, m, (slong)k->rank);
            fmpq_mat_init(RL, m, (slong)k->rank);
            slong *pl = flint_malloc((k->rank + 1) * sizeof(slong));
            if (idc_pdgmm_exact_factor(L, g, j) != IDC_OK)
                rc = idc_err_set(err, IDC_EINVAL, "model.components[%zu]: malformed factor", j);
            else if (fmpq_mat_rref(RL, L) != c->r)
                rc = idc_err_set(err, IDC_EINTERNAL, "A3.4: rank L_%zu != rank Sigma_%zu", j, j);
            else {
                rref_pivots(pl, RL, c->r);
                for (slong i = 0; i < m; i++)
                    for (slong a = 0; a < c->r; a++)
                        fmpq_set(fmpq_mat_entry(c->B, i, a), fmpq_mat_entry(L, i, pl[a]));
            }
            flint_free(pl);
            fmpq_mat_clear(L);
            fmpq_mat_clear(RL);
        } else if (rc == IDC_OK) {
            for (slong i = 0; i < m; i++)
                for (slong a = 0; a < c->r; a++)
                    fmpq_set(fmpq_mat_entry(c->B, i, a), fmpq_mat_entry(S, i, c->piv[a]));
        }
    }
    mat_primitive_cols(c->B); /* integer columns: the flats' directions stay integral */
    fmpq_mat_clear(S);
    fmpq_mat_clear(R);
    return rc;
}

/* ---- affine flats p + col N ------------------------------------------------- */

typedef struct {
    fmpq_mat_t p, N; /* m x 1, m x d (independent columns) */
} a34_flat;

static void flat_init(a34_flat *F, slong m)
{
    fmpq_mat_init(F->p, m, 1);
    fmpq_mat_init(F->N, m, 0);
}

static void flat_clear(a34_flat *F)
{
    fmpq_mat_clear(F->p);
    fmpq_mat_clear(F->N);
}

static void flat_of_comp(a34_flat *F, const a34_comp *c)
{
    fmpq_mat_set(F->p, c->mu);
    fmpq_mat_clear(F->N);
    fmpq_mat_init_set(F->N, c->B);
}

/* out = in ∩ S_c (out initialised, not aliasing in). N and B have integer
 * entries, so one fraction-free rref (R, den) of the integer matrix
 * [N, -B | rden (mu - p)] decides: a pivot in the last column means the
 * flats do not meet; otherwise free unknowns 0 give the new point, and each
 * free column f the kernel vector (den at f, -R[i,f] at pivot i), whose
 * N-part spans col N ∩ col B (independent, since N and B have full column
 * rank). The new directions are again primitive integer columns (N = I when
 * d = m). Returns 1 when nonempty, 0 when empty. */
static int flat_meet(a34_flat *out, const a34_flat *in, const a34_comp *c)
{
    slong m = in->p->r, d = in->N->c, r = c->r, n = d + r + 1;
    fmpq_mat_t rhs;
    fmpz_mat_t Z, R, rn;
    fmpz_t den, rden, acc;
    fmpq_mat_init(rhs, m, 1);
    fmpz_mat_init(Z, m, n);
    fmpz_mat_init(R, m, n);
    fmpz_mat_init(rn, m, 1);
    fmpz_init(den);
    fmpz_init(rden);
    fmpz_init(acc);
    fmpq_mat_sub(rhs, c->mu, in->p);
    fmpq_mat_get_fmpz_mat_matwise(rn, rden, rhs);
    for (slong i = 0; i < m; i++) {
        for (slong k = 0; k < d; k++)
            fmpz_set(fmpz_mat_entry(Z, i, k), fmpq_numref(fmpq_mat_entry(in->N, i, k)));
        for (slong k = 0; k < r; k++)
            fmpz_neg(fmpz_mat_entry(Z, i, d + k), fmpq_numref(fmpq_mat_entry(c->B, i, k)));
        fmpz_set(fmpz_mat_entry(Z, i, n - 1), fmpz_mat_entry(rn, i, 0));
    }
    slong rank = fmpz_mat_rref(R, den, Z);
    slong *piv = flint_malloc((size_t)(rank + 1) * sizeof(slong));
    slong c0 = 0;
    for (slong i = 0; i < rank; i++) {
        while (c0 < n && fmpz_is_zero(fmpz_mat_entry(R, i, c0)))
            c0++;
        piv[i] = c0;
    }
    int ok = rank == 0 || piv[rank - 1] != n - 1;
    if (ok) {
        /* the point: p + N a0 with a0[piv_i] = R[i, n-1] / (den rden) */
        fmpz_mul(rden, rden, den);
        fmpq_t t;
        fmpq_init(t);
        for (slong a = 0; a < m; a++) {
            fmpz_zero(acc);
            for (slong i = 0; i < rank; i++)
                if (piv[i] < d)
                    fmpz_addmul(acc, fmpq_numref(fmpq_mat_entry(in->N, a, piv[i])),
                                fmpz_mat_entry(R, i, n - 1));
            fmpq_set_fmpz_frac(t, acc, rden);
            fmpq_add(fmpq_mat_entry(out->p, a, 0), fmpq_mat_entry(in->p, a, 0), t);
        }
        fmpq_clear(t);
        slong nfree = d + r - rank;
        fmpz_mat_t D;
        fmpz_mat_init(D, m, nfree);
        slong f = 0, pi = 0;
        for (slong col = 0; col < d + r; col++) {
            if (pi < rank && piv[pi] == col) {
                pi++;
                continue;
            }
            for (slong a = 0; a < m; a++) {
                fmpz *e = fmpz_mat_entry(D, a, f);
                if (col < d)
                    fmpz_mul(e, den, fmpq_numref(fmpq_mat_entry(in->N, a, col)));
                for (slong i = 0; i < rank; i++)
                    if (piv[i] < d)
                        fmpz_submul(e, fmpq_numref(fmpq_mat_entry(in->N, a, piv[i])),
                                    fmpz_mat_entry(R, i, col));
            }
            f++;
        }
        fmpq_mat_clear(out->N);
        fmpq_mat_init(out->N, m, nfree);
        if (nfree == m)
            fmpq_mat_one(out->N);
        else
            set_primitive_cols(out->N, D);
        fmpz_mat_clear(D);
    }
    flint_free(piv);
    fmpq_mat_clear(rhs);
    fmpz_mat_clear(Z);
    fmpz_mat_clear(R);
    fmpz_mat_clear(rn);
    fmpz_clear(den);
    fmpz_clear(rden);
    fmpz_clear(acc);
    return ok;
}

/* ---- distances on a flat ------------------------------------------------- */

/* d_j^2(p + N t) = c0 + lin . t + t^T Q t (Q symmetrised), with the
 * solutions y0, Y that the certificate carries. */
typedef struct {
    fmpq_mat_t y0, Y, lin, Q; /* m x 1, m x d, 1 x d, d x d */
    fmpq_t c0, val;           /* val: the value at the current t */
} a34_quad;

static void quad_init(a34_quad *q, slong m, slong d)
{
    fmpq_mat_init(q->y0, m, 1);
    fmpq_mat_init(q->Y, m, d);
    fmpq_mat_init(q->lin, 1, d);
    fmpq_mat_init(q->Q, d, d);
    fmpq_init(q->c0);
    fmpq_init(q->val);
}

static void quad_clear(a34_quad *q)
{
    fmpq_mat_clear(q->y0);
    fmpq_mat_clear(q->Y);
    fmpq_mat_clear(q->lin);
    fmpq_mat_clear(q->Q);
    fmpq_clear(q->c0);
    fmpq_clear(q->val);
}

/* Solves Sigma_c [y0 | Y] = [p - mu | N] on the pivot rows (one
 * multimodular solve with Sigma[P,P]) and forms the coefficients over a
 * common denominator. Returns 0 if the solve fails (never expected). */
static int quad_set(a34_quad *q, const a34_comp *c, const a34_flat *F)
{
    slong d = F->N->c, r = c->r;
    fmpq_mat_zero(q->y0);
    fmpq_mat_zero(q->Y);
    fmpq_mat_zero(q->lin);
    fmpq_mat_zero(q->Q);
    fmpq_zero(q->c0);
    if (r == 0)
        return 1;
    fmpq_mat_t rhs, X;
    fmpz_mat_t Xn;
    fmpz_t xd, vd, s, u;
    fmpq_mat_init(rhs, r, d + 1);
    fmpq_mat_init(X, r, d + 1);
    fmpz_mat_init(Xn, r, d + 1);
    fmpz_init(xd);
    fmpz_init(vd);
    fmpz_init(s);
    fmpz_init(u);
    fmpz *vn = _fmpz_vec_init(r);
    for (slong a = 0; a < r; a++) {
        fmpq_sub(fmpq_mat_entry(rhs, a, 0), fmpq_mat_entry(F->p, c->piv[a], 0),
                 fmpq_mat_entry(c->mu, c->piv[a], 0));
        for (slong k = 0; k < d; k++)
            fmpq_set(fmpq_mat_entry(rhs, a, k + 1), fmpq_mat_entry(F->N, c->piv[a], k));
    }
    int ok = fmpq_mat_solve(X, c->SPP, rhs);
    if (ok) {
        for (slong a = 0; a < r; a++) {
            fmpq_set(fmpq_mat_entry(q->y0, c->piv[a], 0), fmpq_mat_entry(X, a, 0));
            for (slong k = 0; k < d; k++)
                fmpq_set(fmpq_mat_entry(q->Y, c->piv[a], k), fmpq_mat_entry(X, a, k + 1));
        }
        /* X = Xn / xd, v_P = vn / vd (y0, Y vanish off P, so the dot products
         * run over P only; N is integral) */
        fmpq_mat_get_fmpz_mat_matwise(Xn, xd, X);
        fmpz_one(vd);
        for (slong a = 0; a < r; a++)
            fmpz_lcm(vd, vd, fmpq_denref(fmpq_mat_entry(rhs, a, 0)));
        for (slong a = 0; a < r; a++) {
            fmpz_divexact(u, vd, fmpq_denref(fmpq_mat_entry(rhs, a, 0)));
            fmpz_mul(vn + a, u, fmpq_numref(fmpq_mat_entry(rhs, a, 0)));
        }
        fmpz_mul(u, xd, vd);
        fmpz_zero(s);
        for (slong a = 0; a < r; a++)
            fmpz_addmul(s, fmpz_mat_entry(Xn, a, 0), vn + a);
        fmpq_t c0; /* (a local: GCC 12 misjudges the struct member's size here) */
        fmpq_init(c0);
        fmpq_set_fmpz_frac(c0, s, u);
        fmpq_set(q->c0, c0);
        fmpq_clear(c0);
        for (slong k = 0; k < d; k++) {
            fmpz_zero(s);
            for (slong a = 0; a < r; a++)
                fmpz_addmul(s, fmpz_mat_entry(Xn, a, 0), fmpq_numref(fmpq_mat_entry(F->N, c->piv[a], k)));
            fmpz_mul(s, s, vd);
            for (slong a = 0; a < r; a++)
                fmpz_addmul(s, vn + a, fmpz_mat_entry(Xn, a, k + 1));
            fmpq_set_fmpz_frac(fmpq_mat_entry(q->lin, 0, k), s, u);
        }
        fmpz_mul_2exp(u, xd, 1);
        for (slong k = 0; k < d; k++)
            for (slong l = k; l < d; l++) {
                fmpz_zero(s);
                for (slong a = 0; a < r; a++) {
                    fmpz_addmul(s, fmpz_mat_entry(Xn, a, k + 1),
                                fmpq_numref(fmpq_mat_entry(F->N, c->piv[a], l)));
                    fmpz_addmul(s, fmpz_mat_entry(Xn, a, l + 1),
                                fmpq_numref(fmpq_mat_entry(F->N, c->piv[a], k)));
                }
                fmpq_set_fmpz_frac(fmpq_mat_entry(q->Q, k, l), s, u);
                fmpq_set(fmpq_mat_entry(q->Q, l, k), fmpq_mat_entry(q->Q, k, l));
            }
    }
    _fmpz_vec_clear(vn, r);
    fmpq_mat_clear(rhs);
    fmpq_mat_clear(X);
    fmpz_mat_clear(Xn);
    fmpz_clear(xd);
    fmpz_clear(vd);
    fmpz_clear(s);
    fmpz_clear(u);
    return ok;
}

/* Lexicographic order of the coefficients (c0, lin, upper triangle of Q). */
static int quad_cmp_coeffs(const a34_quad *x, const a34_quad *y)
{
    int s = fmpq_cmp(x->c0, y->c0);
    slong d = x->lin->c;
    for (slong k = 0; k < d && s == 0; k++)
        s = fmpq_cmp(fmpq_mat_entry(x->lin, 0, k), fmpq_mat_entry(y->lin, 0, k));
    for (slong a = 0; a < d && s == 0; a++)
        for (slong b = a; b < d && s == 0; b++)
            s = fmpq_cmp(fmpq_mat_entry(x->Q, a, b), fmpq_mat_entry(y->Q, a, b));
    return s;
}

/* q->val = d^2(p + N t); s, u are scratch. */
static void quad_eval(a34_quad *q, const fmpz *t, fmpq_t s, fmpq_t u)
{
    slong d = q->lin->c;
    fmpq_set(q->val, q->c0);
    for (slong a = 0; a < d; a++) {
        if (fmpz_is_zero(t + a))
            continue;
        fmpq_set(s, fmpq_mat_entry(q->lin, 0, a));
        for (slong b = 0; b < d; b++)
            if (!fmpz_is_zero(t + b)) {
                fmpq_mul_fmpz(u, fmpq_mat_entry(q->Q, a, b), t + b);
                fmpq_add(s, s, u);
            }
        fmpq_mul_fmpz(s, s, t + a);
        fmpq_add(q->val, q->val, s);
    }
}

/* Merge sort of idx[0..n) by cmp(ctx, a, b), stable. */
typedef int (*a34_cmp)(const void *ctx, slong a, slong b);

static void msort(slong *idx, slong *tmp, slong n, a34_cmp cmp, const void *ctx)
{
    if (n < 2)
        return;
    slong h = n / 2;
    msort(idx, tmp, h, cmp, ctx);
    msort(idx + h, tmp, n - h, cmp, ctx);
    slong i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp(ctx, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
    while (i < h)
        tmp[k++] = idx[i++];
    while (j < n)
        tmp[k++] = idx[j++];
    memcpy(idx, tmp, (size_t)n * sizeof *idx);
}

static int cmp_coeffs(const void *ctx, slong a, slong b)
{
    const a34_quad *q = ctx;
    return quad_cmp_coeffs(q + a, q + b);
}

static int cmp_vals(const void *ctx, slong a, slong b)
{
    const a34_quad *q = ctx;
    return fmpq_cmp(q[a].val, q[b].val);
}

/* ---- the checker's state ---------------------------------------------------- */

typedef struct {
    const idc_pdgmm *g;
    slong m;
    size_t J;
    a34_comp *c;
    double deadline;
    size_t entries, entry_cap; /* DFS nodes + certificate rationals so far, cap */
    int undecided;             /* 1 once the reason for UNKNOWN is in why */
    char why[IDC_PRE_REASON_LEN];
    json_t *fails; /* FAILS witness once found */
} a34_ctx;

static void undecided(a34_ctx *X, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void undecided(a34_ctx *X, const char *fmt, ...)
{
    if (X->undecided)
        return;
    X->undecided = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(X->why, sizeof X->why, fmt, ap);
    va_end(ap);
}

/* Charges `add` entries; 1 (and the reason) when the budget ran out. */
static int over_budget(a34_ctx *X, size_t add)
{
    X->entries += add;
    if (X->entries > X->entry_cap)
        undecided(X, "the entry budget (%zu: DFS nodes and certificate rationals) ran out", X->entry_cap);
    else if (idc_budget_expired(X->deadline))
        undecided(X, "the time budget ran out");
    return X->undecided;
}

/* Flat of the members (nonempty by assumption; 0 if the meet fails). */
static int flat_of_set(a34_flat *F, const a34_ctx *X, const slong *mem, slong k)
{
    a34_flat T;
    flat_init(&T, X->m);
    flat_of_comp(F, &X->c[mem[0]]);
    int ok = 1;
    for (slong i = 1; i < k && ok; i++) {
        ok = flat_meet(&T, F, &X->c[mem[i]]);
        if (ok) {
            fmpq_mat_swap(F->p, T.p);
            fmpq_mat_swap(F->N, T.N);
        }
    }
    flat_clear(&T);
    return ok;
}

static json_t *json_cols(const fmpq_mat_t A)
{
    json_t *a = json_array();
    for (slong k = 0; k < A->c; k++)
        json_array_append_new(a, idc_cert_json_fmpq_col(A, k));
    return a;
}

static json_t *json_members(const slong *mem, slong k)
{
    return idc_cert_json_slongs(mem, k);
}

/* The FAILS witness for members mem[0..k) on flat F, pair (ia, ib) of
 * member positions; q[] are the members' quadratics on F. */
static json_t *fails_witness(const a34_ctx *X, const slong *mem, slong k, const a34_flat *F,
                             const a34_quad *q, slong ia, slong ib)
{
    json_t *y0 = json_array(), *Y = json_array();
    for (slong i = 0; i < k; i++) {
        json_array_append_new(y0, idc_cert_json_fmpq_col(q[i].y0, 0));
        json_array_append_new(Y, json_cols(q[i].Y));
    }
    return json_pack("{s:I,s:o,s:[I,I],s:o,s:o,s:o,s:o}", "rank", (json_int_t)X->c[mem[0]].r, "members",
                     json_members(mem, k), "pair", (json_int_t)mem[ia], (json_int_t)mem[ib], "point",
                     idc_cert_json_fmpq_col(F->p, 0), "directions", json_cols(F->N), "y0", y0, "Y", Y);
}

/* Decides one maximal set mem[0..k) (k >= 2) whose supports meet in the
 * flat F. Sets X->fails (a zero q_jk), X->why (budget / no witness), or
 * appends {"members", "point", "y", "d2"} to out. IDC_OK, IDC_ENOMEM,
 * IDC_EINTERNAL. */
static int decide_set(a34_ctx *X, const slong *mem, slong k, uint32_t setno, const a34_flat *Fp, json_t *out)
{
    slong m = X->m;
    const a34_flat F = *Fp;
    slong d = F.N->c;
    a34_quad *q = flint_malloc((size_t)k * sizeof *q);
    slong *idx = flint_malloc((size_t)k * sizeof(slong)), *tmp = flint_malloc((size_t)k * sizeof(slong));
    int rc = IDC_OK;
    for (slong i = 0; i < k; i++) {
        quad_init(&q[i], m, d);
        if (!quad_set(&q[i], &X->c[mem[i]], &F))
            rc = IDC_EINTERNAL;
        idx[i] = i;
    }
    if (rc == IDC_OK)
        msort(idx, tmp, k, cmp_coeffs, q);
    slong tie = -1;
    for (slong i = 0; i + 1 < k && tie < 0 && rc == IDC_OK; i++)
        if (quad_cmp_coeffs(&q[idx[i]], &q[idx[i + 1]]) == 0)
            tie = i;
    if (tie >= 0) {
        slong ia = idx[tie] < idx[tie + 1] ? idx[tie] : idx[tie + 1];
        slong ib = idx[tie] < idx[tie + 1] ? idx[tie + 1] : idx[tie];
        /* prefer the pair's own flat when q_jk already vanishes there */
        slong pair[2] = {mem[ia], mem[ib]};
        a34_flat P;
        flat_init(&P, m);
        if (k > 2 && flat_of_set(&P, X, pair, 2)) {
            a34_quad pq[2];
            int solved = 1;
            for (int i = 0; i < 2; i++) {
                quad_init(&pq[i], m, P.N->c);
                solved &= quad_set(&pq[i], &X->c[pair[i]], &P);
            }
            if (solved && quad_cmp_coeffs(&pq[0], &pq[1]) == 0)
                X->fails = fails_witness(X, pair, 2, &P, pq, 0, 1);
            for (int i = 0; i < 2; i++)
                quad_clear(&pq[i]);
        }
        flat_clear(&P);
        if (X->fails == NULL)
            X->fails = fails_witness(X, mem, k, &F, q, ia, ib);
        if (X->fails == NULL)
            rc = IDC_ENOMEM;
    } else if (rc == IDC_OK) {
        /* a point with pairwise different values: deterministic draws from
         * boxes [-h, h]^d, h = (try + 1) * (#pairs + 1) */
        idc_rng stream = idc_rng_stream(0xa34, setno, IDC_PURPOSE_SEARCH);
        fmpz *t = _fmpz_vec_init(d > 0 ? d : 1);
        fmpq_t s1, s2;
        fmpq_init(s1);
        fmpq_init(s2);
        uint64_t pairs = (uint64_t)k * (uint64_t)(k - 1) / 2;
        int found = 0;
        for (uint64_t tr = 0; tr < A34_TRIES && !found; tr++) {
            if (idc_budget_expired(X->deadline)) {
                undecided(X, "the time budget ran out in the witness search");
                break;
            }
            uint64_t h = (tr + 1) * (pairs + 1);
            for (slong a = 0; a < d; a++)
                fmpz_set_si(t + a, (slong)idc_rng_below(stream, tr * (uint64_t)d + (uint64_t)a, 2 * h + 1) -
                                       (slong)h);
            for (slong i = 0; i < k; i++) {
                quad_eval(&q[i], t, s1, s2);
                idx[i] = i;
            }
            msort(idx, tmp, k, cmp_vals, q);
            found = 1;
            for (slong i = 0; i + 1 < k && found; i++)
                found = !fmpq_equal(q[idx[i]].val, q[idx[i + 1]].val);
            if (d == 0)
                break;
        }
        if (found) {
            /* x = p + N t, y_j = y0_j + Y_j t */
            fmpq_mat_t x, y;
            fmpq_mat_init(x, m, 1);
            fmpq_mat_init(y, m, 1);
            fmpq_t u;
            fmpq_init(u);
            fmpq_mat_set(x, F.p);
            for (slong a = 0; a < m; a++)
                for (slong b = 0; b < d; b++) {
                    fmpq_mul_fmpz(u, fmpq_mat_entry(F.N, a, b), t + b);
                    fmpq_add(fmpq_mat_entry(x, a, 0), fmpq_mat_entry(x, a, 0), u);
                }
            json_t *ys = json_array(), *ds = json_array();
            for (slong i = 0; i < k; i++) {
                fmpq_mat_set(y, q[i].y0);
                for (slong a = 0; a < m; a++)
                    for (slong b = 0; b < d; b++) {
                        fmpq_mul_fmpz(u, fmpq_mat_entry(q[i].Y, a, b), t + b);
                        fmpq_add(fmpq_mat_entry(y, a, 0), fmpq_mat_entry(y, a, 0), u);
                    }
                json_array_append_new(ys, idc_cert_json_fmpq_col(y, 0));
                json_array_append_new(ds, idc_cert_json_fmpq(q[i].val));
            }
            json_t *o = json_pack("{s:o,s:o,s:o,s:o}", "members", json_members(mem, k), "point",
                                  idc_cert_json_fmpq_col(x, 0), "y", ys, "d2", ds);
            if (o == NULL || json_array_append_new(out, o) != 0)
                rc = IDC_ENOMEM;
            fmpq_clear(u);
            fmpq_mat_clear(x);
            fmpq_mat_clear(y);
        } else {
            undecided(X,
                      "no point with pairwise different distances among %d integer points tried "
                      "(unexpected: no difference vanishes identically)",
                      A34_TRIES);
        }
        fmpq_clear(s1);
        fmpq_clear(s2);
        _fmpz_vec_clear(t, d > 0 ? d : 1);
    }
    for (slong i = 0; i < k; i++)
        quad_clear(&q[i]);
    flint_free(q);
    flint_free(idx);
    flint_free(tmp);
    return rc;
}

/* ---- intersecting sets of one rank class -------------------------------------- */

typedef struct {
    a34_ctx *X;
    const slong *mem; /* class members, increasing */
    slong K;
    unsigned char *bits;    /* 2^K bits: intersecting sets */
    uint32_t *nodes, *cand; /* intersecting sets; failed extensions */
    size_t nn, ncap, nc, ccap;
    a34_flat *lvl; /* lvl[i]: flat of the current set of i + 1 members */
    int nomem;
} a34_dfs;

static int bit_get(const unsigned char *b, uint32_t s)
{
    return (b[s >> 3] >> (s & 7)) & 1;
}

static void push(a34_dfs *D, uint32_t **arr, size_t *n, size_t *cap, uint32_t v)
{
    if (*n == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        uint32_t *a = realloc(*arr, nc * sizeof **arr);
        if (a == NULL) {
            D->nomem = 1;
            return;
        }
        *arr = a;
        *cap = nc;
    }
    (*arr)[(*n)++] = v;
}

static void dfs(a34_dfs *D, slong level, uint32_t mask, slong last)
{
    for (slong k = last + 1; k < D->K && !D->X->undecided && !D->nomem; k++) {
        if (over_budget(D->X, 1))
            return;
        if (D->nn >= A34_MAX_NODES) {
            undecided(D->X, "more than %zu intersecting sets in one rank class", A34_MAX_NODES);
            return;
        }
        uint32_t U = mask | ((uint32_t)1 << k);
        if (flat_meet(&D->lvl[level + 1], &D->lvl[level], &D->X->c[D->mem[k]])) {
            D->bits[U >> 3] |= (unsigned char)(1u << (U & 7));
            push(D, &D->nodes, &D->nn, &D->ncap, U);
            dfs(D, level + 1, U, k);
        } else {
            push(D, &D->cand, &D->nc, &D->ccap, U);
        }
    }
}

/* Members of the class in set s (positions -> component indices). */
static slong set_members(slong *out, const a34_dfs *D, uint32_t s)
{
    slong k = 0;
    for (slong i = 0; i < D->K; i++)
        if ((s >> i) & 1)
            out[k++] = D->mem[i];
    return k;
}

/* Fredholm certificate that the supports of mem[0..k) do not meet:
 * x - B_t a_t = mu_t stacked over the members. Appended to out. */
static int disjoint_witness(a34_ctx *X, const slong *mem, slong k, json_t *out)
{
    slong m = X->m, cols = m;
    for (slong t = 0; t < k; t++)
        cols += X->c[mem[t]].r;
    fmpq_mat_t A, b, w;
    fmpq_mat_init(A, k * m, cols);
    fmpq_mat_init(b, k * m, 1);
    fmpq_mat_init(w, k * m, 1);
    slong off = m;
    for (slong t = 0; t < k; t++) {
        const a34_comp *c = &X->c[mem[t]];
        for (slong i = 0; i < m; i++) {
            fmpq_one(fmpq_mat_entry(A, t * m + i, i));
            for (slong a = 0; a < c->r; a++)
                fmpq_neg(fmpq_mat_entry(A, t * m + i, off + a), fmpq_mat_entry(c->B, i, a));
            fmpq_set(fmpq_mat_entry(b, t * m + i, 0), fmpq_mat_entry(c->mu, i, 0));
        }
        off += c->r;
    }
    int rc = IDC_OK;
    if (!idc_qspace_fredholm(w, A, b))
        rc = IDC_EINTERNAL;
    else {
        json_t *o =
            json_pack("{s:o,s:o}", "members", json_members(mem, k), "w", idc_cert_json_fmpq_col(w, 0));
        if (o == NULL || json_array_append_new(out, o) != 0)
            rc = IDC_ENOMEM;
    }
    fmpq_mat_clear(A);
    fmpq_mat_clear(b);
    fmpq_mat_clear(w);
    return rc;
}

/* One rank class mem[0..K): fills cls's "maximal" and "disjoint" arrays
 * (or sets X->fails / X->undecided). *setno numbers the maximal sets. */
static int do_class(a34_ctx *X, const slong *mem, slong K, uint32_t *setno, json_t *cls)
{
    json_t *maxi = json_array(), *disj = json_array();
    json_object_set_new(cls, "maximal", maxi);
    json_object_set_new(cls, "disjoint", disj);
    if (maxi == NULL || disj == NULL)
        return IDC_ENOMEM;
    if (K < 2)
        return IDC_OK;
    slong m = X->m;
    /* fast path: the whole class meets */
    a34_flat F;
    flat_init(&F, m);
    int all = flat_of_set(&F, X, mem, K);
    if (over_budget(X, (size_t)K) || (all && over_budget(X, (size_t)(K + 1) * (size_t)m + (size_t)K))) {
        flat_clear(&F);
        return IDC_OK;
    }
    if (all) {
        int rc = decide_set(X, mem, K, (*setno)++, &F, maxi);
        flat_clear(&F);
        return rc;
    }
    flat_clear(&F);
    if (K > A34_MAX_CLASS) {
        undecided(X,
                  "a rank class of %ld components whose supports do not all meet (the verifier's coverage "
                  "check takes at most %d)",
                  (long)K, A34_MAX_CLASS);
        return IDC_OK;
    }
    a34_dfs D;
    memset(&D, 0, sizeof D);
    D.X = X;
    D.mem = mem;
    D.K = K;
    D.bits = idc_calloc(((size_t)1 << K) / 8 + 1, 1);
    D.lvl = flint_malloc((size_t)(K + 1) * sizeof *D.lvl);
    for (slong i = 0; i <= K; i++)
        flat_init(&D.lvl[i], m);
    int rc = D.bits == NULL ? IDC_ENOMEM : IDC_OK;
    for (slong k = 0; k < K && rc == IDC_OK && !X->undecided && !D.nomem; k++) {
        uint32_t s = (uint32_t)1 << k;
        flat_of_comp(&D.lvl[0], &X->c[mem[k]]);
        D.bits[s >> 3] |= (unsigned char)(1u << (s & 7));
        push(&D, &D.nodes, &D.nn, &D.ncap, s);
        dfs(&D, 0, s, k);
    }
    if (D.nomem)
        rc = IDC_ENOMEM;
    slong *sel = flint_malloc((size_t)K * sizeof(slong));
    /* maximal sets (>= 2 members): no member extends them */
    for (size_t n = 0; n < D.nn && rc == IDC_OK && !X->undecided && X->fails == NULL; n++) {
        uint32_t s = D.nodes[n];
        if ((s & (s - 1)) == 0)
            continue;
        int maximal = 1;
        for (slong k = 0; k < K && maximal; k++)
            if (!((s >> k) & 1) && bit_get(D.bits, s | ((uint32_t)1 << k)))
                maximal = 0;
        if (!maximal)
            continue;
        slong k = set_members(sel, &D, s);
        if (over_budget(X, (size_t)(k + 1) * (size_t)m + (size_t)k))
            break;
        a34_flat G;
        flat_init(&G, m);
        rc = flat_of_set(&G, X, sel, k) ? decide_set(X, sel, k, (*setno)++, &G, maxi) : IDC_EINTERNAL;
        flat_clear(&G);
    }
    /* minimal disjoint sets: every one-smaller subset meets */
    for (size_t n = 0; n < D.nc && rc == IDC_OK && !X->undecided && X->fails == NULL; n++) {
        uint32_t s = D.cand[n];
        int minimal = 1;
        for (slong k = 0; k < K && minimal; k++)
            if (((s >> k) & 1) && !bit_get(D.bits, s & ~((uint32_t)1 << k)))
                minimal = 0;
        if (!minimal)
            continue;
        slong k = set_members(sel, &D, s);
        if (over_budget(X, (size_t)k * (size_t)m))
            break;
        rc = disjoint_witness(X, sel, k, disj);
    }
    flint_free(sel);
    for (slong i = 0; i <= K; i++)
        flat_clear(&D.lvl[i]);
    flint_free(D.lvl);
    free(D.bits);
    free(D.nodes);
    free(D.cand);
    return rc;
}

/* ---- entry point --------------------------------------------------------- */

static int cmp_rank(const void *ctx, slong a, slong b)
{
    const a34_comp *c = ctx;
    return c[a].r < c[b].r ? -1 : (c[a].r > c[b].r ? 1 : (a < b ? -1 : (a > b)));
}

int idc_pre_a34(idc_pre_result *res, const idc_pdgmm *g, const char *hash, const idc_budget *budget,
                idc_err *err)
{
    size_t J = g->ncomp;
    slong m = (slong)g->dim;
    a34_ctx X;
    memset(&X, 0, sizeof X);
    X.g = g;
    X.m = m;
    X.J = J;
    X.deadline = idc_budget_deadline(budget);
    X.entry_cap = idc_budget_entries(budget);
    X.c = flint_malloc((J + 1) * sizeof *X.c);
    int rc = IDC_OK;
    for (size_t j = 0; j < J; j++) {
        X.c[j].r = 0;
        X.c[j].piv = NULL;
        fmpq_mat_init(X.c[j].mu, m, 1);
        fmpq_mat_init(X.c[j].B, m, 0);
        fmpq_mat_init(X.c[j].SPP, 0, 0);
        if (rc == IDC_OK)
            rc = comp_load(&X.c[j], g, j, err);
    }
    /* rank classes: components sorted by (rank, index) */
    slong *ord = flint_malloc((J + 1) * sizeof(slong)), *tmp = flint_malloc((J + 1) * sizeof(slong));
    for (size_t j = 0; j < J; j++)
        ord[j] = (slong)j;
    json_t *ranks = json_array(), *classes = json_array();
    uint32_t setno = 0;
    size_t nmax = 0, ndis = 0, ncls = 0;
    if (rc == IDC_OK) {
        msort(ord, tmp, (slong)J, cmp_rank, X.c);
        for (size_t j = 0; j < J; j++)
            json_array_append_new(ranks, json_integer((json_int_t)X.c[j].r));
        for (size_t a = 0; a < J && rc == IDC_OK && !X.undecided && X.fails == NULL;) {
            size_t b = a;
            while (b < J && X.c[ord[b]].r == X.c[ord[a]].r)
                b++;
            json_t *cls = json_pack("{s:I,s:o}", "rank", (json_int_t)X.c[ord[a]].r, "members",
                                    json_members(ord + a, (slong)(b - a)));
            if (cls == NULL || json_array_append_new(classes, cls) != 0)
                rc = IDC_ENOMEM;
            else
                rc = do_class(&X, ord + a, (slong)(b - a), &setno, cls);
            if (rc == IDC_OK) {
                nmax += json_array_size(json_object_get(cls, "maximal"));
                ndis += json_array_size(json_object_get(cls, "disjoint"));
                ncls++;
            }
            a = b;
        }
    }
    if (rc == IDC_EINTERNAL)
        rc = idc_err_set(err, rc,
                         "A3.4: an internal invariant broke (a maximal set's supports did not meet, or "
                         "a disjoint set had no Fredholm certificate)");
    else if (rc == IDC_ENOMEM)
        rc = idc_err_set(err, rc, "out of memory");
    if (rc == IDC_OK && X.fails != NULL) {
        json_t *f = X.fails;
        X.fails = NULL;
        json_int_t j = json_integer_value(json_array_get(json_object_get(f, "pair"), 0));
        json_int_t k = json_integer_value(json_array_get(json_object_get(f, "pair"), 1));
        json_int_t r = json_integer_value(json_object_get(f, "rank"));
        size_t nm = json_array_size(json_object_get(f, "members"));
        size_t dd = json_array_size(json_object_get(f, "directions"));
        json_t *cert = idc_cert_new("A3.4", IDC_FAILS, hash, "equal-distances", A34_SOURCE, f);
        if (cert == NULL)
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
        else
            idc_pre_result_set(
                res, "A3.4", IDC_FAILS, cert,
                "components %lld and %lld (rank %lld) have equal Mahalanobis distances on the "
                "whole common support flat (dimension %zu) of a set of %zu rank-%lld components "
                "(exact coefficient comparison)",
                (long long)j, (long long)k, (long long)r, dd, nm, (long long)r);
    } else if (rc == IDC_OK && X.undecided) {
        idc_pre_result_set(res, "A3.4", IDC_UNKNOWN, NULL, "%s", X.why);
    } else if (rc == IDC_OK) {
        json_t *w = json_pack("{s:O,s:O}", "ranks", ranks, "classes", classes);
        json_t *cert = idc_cert_new("A3.4", IDC_HOLDS, hash, "maximal-sets", A34_SOURCE, w);
        if (cert == NULL)
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
        else
            idc_pre_result_set(res, "A3.4", IDC_HOLDS, cert,
                               "%zu rank class(es): %zu maximal intersecting set(s), each with a point of "
                               "pairwise different Mahalanobis distances; %zu minimal disjoint set(s) with "
                               "Fredholm certificates (exact)",
                               ncls, nmax, ndis);
    }
    json_decref(X.fails);
    json_decref(ranks);
    json_decref(classes);
    flint_free(ord);
    flint_free(tmp);
    for (size_t j = 0; j < J; j++) {
        flint_free(X.c[j].piv);
        fmpq_mat_clear(X.c[j].mu);
        fmpq_mat_clear(X.c[j].B);
        fmpq_mat_clear(X.c[j].SPP);
    }
    flint_free(X.c);
    return rc;
}
