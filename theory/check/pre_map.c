/* Preconditions on the mixing map f: R^m -> R^n (THEORY.md §3, "Mixing
 * function"), decided exactly on the doubles as given:
 *   DIM   K Rem. 3.6: m <= n.
 *   F1    K Thm 3.9 / X Thm 3.5: f piecewise affine (by construction).
 *   FC    K Thm 3.9(c): f continuous (MLPs by construction; piece tables
 *         at every breakpoint).
 *   F4    K Def. 3.2: f injective. Sufficient: K Cor. H.9 (leaky-ReLU MLP,
 *         slope > 0, every W_i of full column rank, so widths are
 *         nondecreasing). Counter-witnesses: collisions f(x) = f(y) with
 *         x != y, recomputed exactly (CERTIFICATES.md §2 "F4"). With one
 *         input, when H.9 does not apply, decided exactly by
 *         theory/check/f4_line.c (pieces of the line, pairwise).
 * plus DIMU1 (K Thm 3.9: dim U = 1) and I-i (I Thm 1 (i)), which hold by
 * construction of the data model, and NOISE0 (X Sec. 2: sigma = 0), read
 * from the instance's noise level. Certificate formats: theory/cert.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <flint/fmpz.h>

#include "numeric/dq.h"
#include "numeric/qmat.h"
#include "numeric/rng.h"
#include "theory/cert.h"
#include "theory/check/map1d.h"
#include "theory/precond.h"

#define SRC_DIM "K Rem. 3.6 (m <= n)"
#define SRC_F1 "K Thm 3.9; X Thm 3.5 (piecewise affine f)"
#define SRC_FC "K Thm 3.9(c) (continuous f)"
#define SRC_F4_H9 "K Cor. H.9 (leaky-ReLU MLP, full column rank layers)"
#define SRC_F4 "K Def. 3.2 (F4, injective f)"
#define SRC_NOISE0 "X Sec. 2 (noiseless model X = f(Z))"

/* Seed of the deterministic witness search (a checker is a pure function
 * of its input). */
#define F4_SEARCH_SEED UINT64_C(0x1dc4ec4f4)
#define F4_SEARCH_POINTS 24

static int nomem(idc_err *err)
{
    return idc_err_set(err, IDC_ENOMEM, "out of memory");
}

/* Sets res to a decided verdict with a new certificate (w stolen). When
 * self_check is set (HOLDS from an analysis more involved than a rank
 * certificate), the independent verifier must accept the certificate
 * first: a wrong HOLDS is the worst possible bug. */
static int decide_checked(idc_pre_result *res, const char *id, idc_verdict v, const char *hash,
                          const char *method, const char *source, json_t *w, const char *reason,
                          const idc_pamap *self_check, idc_err *err)
{
    json_t *cert = idc_cert_new(id, v, hash, method, source, w);
    if (cert == NULL)
        return nomem(err);
    if (self_check != NULL) {
        char why[256];
        int vr = idc_cert_verify_parts(cert, NULL, self_check, hash, why, sizeof why);
        if (vr != IDC_OK) {
            json_decref(cert);
            return idc_err_set(err, IDC_EINTERNAL, "%s: own %s certificate rejected: %s", id, method, why);
        }
    }
    idc_pre_result_set(res, id, v, cert, "%s", reason);
    return IDC_OK;
}

static int decide(idc_pre_result *res, const char *id, idc_verdict v, const char *hash, const char *method,
                  const char *source, json_t *w, const char *reason, idc_err *err)
{
    return decide_checked(res, id, v, hash, method, source, w, reason, NULL, err);
}

/* Checks that f is a well-formed map (sizes, finite numbers). */
int idc_map_validate(const idc_pamap *f, idc_err *err)
{
    if (f->kind == IDC_MAP_PWL1) {
        if (f->npieces == 0 || f->slopes == NULL || f->intercepts == NULL ||
            (f->npieces > 1 && f->breaks == NULL))
            return idc_err_set(err, IDC_EINVAL, "map.pieces: empty piece table");
        for (size_t p = 0; p < f->npieces; p++)
            if (!isfinite(f->slopes[p]) || !isfinite(f->intercepts[p]))
                return idc_err_set(err, IDC_EINVAL, "map.pieces[%zu]: not a finite number", p);
        for (size_t i = 0; i + 1 < f->npieces; i++) {
            if (!isfinite(f->breaks[i]))
                return idc_err_set(err, IDC_EINVAL, "map.breakpoints[%zu]: not a finite number", i);
            if (i > 0 && !(f->breaks[i - 1] < f->breaks[i]))
                return idc_err_set(err, IDC_EINVAL, "map.breakpoints[%zu]: not strictly increasing", i);
        }
        return IDC_OK;
    }
    if (f->kind == IDC_MAP_PINWHEEL) { /* well formed, though not piecewise affine */
        if (f->in_dim != 2 || f->out_dim == 0 || f->embed == NULL)
            return idc_err_set(err, IDC_EINVAL, "map.embed: expected an nx2 matrix");
        if (!isfinite(f->rate))
            return idc_err_set(err, IDC_EINVAL, "map.rate: not a finite number");
        for (size_t k = 0; k < 2 * f->out_dim; k++)
            if (!isfinite(f->embed[k]))
                return idc_err_set(err, IDC_EINVAL, "map.embed[%zu][%zu]: not a finite number", k / 2, k % 2);
        return IDC_OK;
    }
    if (f->kind != IDC_MAP_MLP || f->nlayers == 0 || f->layers == NULL)
        return idc_err_set(err, IDC_EINVAL, "map: not an MLP or piece table");
    size_t w = f->in_dim;
    for (size_t i = 0; i < f->nlayers; i++) {
        const idc_layer *l = &f->layers[i];
        if (l->in != w)
            return idc_err_set(err, IDC_EINVAL, "map.layers[%zu].W: expected %zu input columns, got %zu", i,
                               w, l->in);
        if (l->out == 0)
            return idc_err_set(err, IDC_EINVAL, "map.layers[%zu].W: no rows (width 0)", i);
        for (size_t k = 0; k < l->in * l->out; k++)
            if (!isfinite(l->W[k]))
                return idc_err_set(err, IDC_EINVAL, "map.layers[%zu].W[%zu][%zu]: not a finite number", i,
                                   k / l->in, k % l->in);
        for (size_t k = 0; k < l->out; k++)
            if (!isfinite(l->b[k]))
                return idc_err_set(err, IDC_EINVAL, "map.layers[%zu].b[%zu]: not a finite number", i, k);
        if ((l->act == IDC_ACT_LEAKY || l->act == IDC_ACT_SMOOTH_LEAKY) && !isfinite(l->slope))
            return idc_err_set(err, IDC_EINVAL, "map.layers[%zu].slope: not a finite number", i);
        if (l->act != IDC_ACT_IDENTITY && l->act != IDC_ACT_RELU && l->act != IDC_ACT_LEAKY &&
            l->act != IDC_ACT_SMOOTH_LEAKY && l->act != IDC_ACT_SIGMOID)
            return idc_err_set(err, IDC_EINVAL, "map.layers[%zu].activation: unknown activation", i);
        w = l->out;
    }
    if (w != f->out_dim)
        return idc_err_set(err, IDC_EINVAL, "map: last layer has %zu outputs, out_dim is %zu", w, f->out_dim);
    return IDC_OK;
}

/* ---- DIM, DIMU1, F1, FC, I-i ---------------------------------------------- */

int idc_pre_dim(idc_pre_result *res, const idc_pdgmm *g, const idc_pamap *f, const char *hash,
                const idc_budget *budget, idc_err *err)
{
    (void)budget;
    size_t m = g->dim, n = f->out_dim;
    if (f->in_dim != m)
        return idc_err_set(err, IDC_EINVAL, "map: input dimension %zu != model.dim %zu", f->in_dim, m);
    char reason[128];
    idc_verdict v = m <= n ? IDC_HOLDS : IDC_FAILS;
    snprintf(reason, sizeof reason,
             v == IDC_HOLDS ? "m = %zu <= n = %zu" : "m = %zu > n = %zu (overcomplete)", m, n);
    json_t *w = json_pack("{s:I,s:I}", "m", (json_int_t)m, "n", (json_int_t)n);
    return decide(res, "DIM", v, hash, "dims", SRC_DIM, w, reason, err);
}

int idc_pre_dimu1(idc_pre_result *res, const idc_pdgmm *g, const char *hash, const idc_budget *budget,
                  idc_err *err)
{
    (void)budget;
    json_t *w = json_pack("{s:I}", "J", (json_int_t)g->ncomp);
    return decide(res, "DIMU1", IDC_HOLDS, hash, "data-model", "K Thm 3.9 (dim U = 1)", w,
                  "the data model has one discrete hidden state U in {1..J}", err);
}

int idc_pre_ii(idc_pre_result *res, double noise_sigma, const char *hash, const idc_budget *budget,
               idc_err *err)
{
    (void)budget;
    if (!isfinite(noise_sigma) || noise_sigma < 0.0)
        return idc_err_set(err, IDC_EINVAL, "noise.sigma: expected a finite number >= 0");
    json_t *w = json_pack("{s:o}", "sigma", idc_cert_json_d(noise_sigma));
    return decide(
        res, "I-i", IDC_HOLDS, hash, "gaussian-noise", "I Thm 1 (i)", w,
        "Gaussian noise N(0, sigma^2 I): characteristic function exp(-sigma^2 |t|^2 / 2) never vanishes",
        err);
}

int idc_pre_noise0(idc_pre_result *res, double noise_sigma, const char *hash, const idc_budget *budget,
                   idc_err *err)
{
    (void)budget;
    if (!isfinite(noise_sigma) || noise_sigma < 0.0)
        return idc_err_set(err, IDC_EINVAL, "noise.sigma: expected a finite number >= 0");
    json_t *w = json_pack("{s:o}", "sigma", idc_cert_json_d(noise_sigma));
    if (noise_sigma == 0.0)
        return decide(res, "NOISE0", IDC_HOLDS, hash, "noise-level", SRC_NOISE0, w,
                      "sigma = 0: the observations are noiseless, as X's model assumes", err);
    char reason[160];
    snprintf(reason, sizeof reason,
             "sigma = %.17g > 0: X's theorems speak about the noiseless model (X = f(Z)), not this one",
             noise_sigma);
    return decide(res, "NOISE0", IDC_FAILS, hash, "noise-level", SRC_NOISE0, w, reason, err);
}

/* Maps with smooth activations (the misspecified maps of X App. E.1) are
 * valid inputs, but not piecewise affine by construction. No certificate of
 * "not piecewise affine" is produced (a later zero layer could make the
 * composition affine), so F1 is UNKNOWN for them, and so are the
 * injectivity conditions, whose exact checkers assume a piecewise-affine f.
 * Returns 1 when res was set. */
int idc_pre_map_non_pa(idc_pre_result *res, const char *id, const idc_pamap *f)
{
    if (idc_pamap_is_pa(f))
        return 0;
    if (f->kind == IDC_MAP_PINWHEEL) {
        idc_pre_result_set(
            res, id, IDC_UNKNOWN, NULL,
            "f is the pinwheel warp z -> E R(rate e^|z|) z: not piecewise affine (the exact map "
            "checkers need a piecewise-affine f)");
        return 1;
    }
    for (size_t i = 0; f->kind == IDC_MAP_MLP && i < f->nlayers; i++)
        if (!idc_act_is_pa(f->layers[i].act)) {
            idc_pre_result_set(res, id, IDC_UNKNOWN, NULL,
                               "layer %zu has the smooth activation %s: f is not piecewise affine by construction "
                               "(the exact map checkers need a piecewise-affine f)",
                               i, idc_act_name(f->layers[i].act));
            return 1;
        }
    return 0;
}

int idc_pre_f1(idc_pre_result *res, const idc_pamap *f, const char *hash, const idc_budget *budget,
               idc_err *err)
{
    (void)budget;
    int rc = idc_map_validate(f, err);
    if (rc != IDC_OK)
        return rc;
    if (idc_pre_map_non_pa(res, "F1", f))
        return IDC_OK;
    json_t *acts = json_array();
    if (f->kind == IDC_MAP_MLP)
        for (size_t i = 0; i < f->nlayers; i++)
            json_array_append_new(acts, json_string(idc_act_name(f->layers[i].act)));
    json_t *w = json_pack("{s:s,s:o}", "map", f->kind == IDC_MAP_MLP ? "mlp" : "pwl1", "activations", acts);
    return decide(
        res, "F1", IDC_HOLDS, hash, "by-construction", SRC_F1, w,
        f->kind == IDC_MAP_MLP
            ? "MLP with identity/relu/leaky_relu activations: a composition of piecewise affine maps"
            : "explicit piece table: affine on each of finitely many intervals",
        err);
}

/* Value of piece p of a piece table at the exact point t. */
static void pwl1_piece_value(fmpq_t out, const idc_pamap *f, size_t p, const fmpq_t t)
{
    fmpq_t s;
    fmpq_init(s);
    idc_dq_fmpq_set_finite_d(s, f->slopes[p]);
    fmpq_mul(out, s, t);
    idc_dq_fmpq_set_finite_d(s, f->intercepts[p]);
    fmpq_add(out, out, s);
    fmpq_clear(s);
}

int idc_pre_fc(idc_pre_result *res, const idc_pamap *f, const char *hash, const idc_budget *budget,
               idc_err *err)
{
    (void)budget;
    int rc = idc_map_validate(f, err);
    if (rc != IDC_OK)
        return rc;
    if (f->kind == IDC_MAP_PINWHEEL && idc_pre_map_non_pa(res, "FC", f))
        return IDC_OK;
    if (f->kind == IDC_MAP_MLP) /* every activation (smooth ones included) is continuous */
        return decide(res, "FC", IDC_HOLDS, hash, "mlp-continuous", SRC_FC, json_pack("{s:s}", "map", "mlp"),
                      "MLP: a composition of continuous maps", err);
    fmpq_t t, l, r;
    fmpq_init(t);
    fmpq_init(l);
    fmpq_init(r);
    json_t *values = json_array();
    for (size_t i = 0; i + 1 < f->npieces; i++) {
        idc_dq_fmpq_set_finite_d(t, f->breaks[i]);
        pwl1_piece_value(l, f, i, t);
        pwl1_piece_value(r, f, i + 1, t);
        if (!fmpq_equal(l, r)) {
            json_decref(values);
            json_t *w =
                json_pack("{s:I,s:o,s:o,s:o}", "breakpoint", (json_int_t)i, "t", idc_cert_json_fmpq(t),
                          "left", idc_cert_json_fmpq(l), "right", idc_cert_json_fmpq(r));
            char reason[160];
            snprintf(reason, sizeof reason, "piece table jumps at breakpoint %zu (t = %.17g)", i,
                     f->breaks[i]);
            fmpq_clear(t);
            fmpq_clear(l);
            fmpq_clear(r);
            return decide(res, "FC", IDC_FAILS, hash, "pwl1-jump", SRC_FC, w, reason, err);
        }
        json_array_append_new(values, idc_cert_json_fmpq(l));
    }
    fmpq_clear(t);
    fmpq_clear(l);
    fmpq_clear(r);
    return decide(res, "FC", IDC_HOLDS, hash, "pwl1-breakpoints", SRC_FC,
                  json_pack("{s:o}", "values", values),
                  "piece table: both one-sided values agree at every breakpoint (exact)", err);
}

/* ---- F4 for piece tables: exact decision ------------------------------------ */

/* An interval of the real line with possibly infinite or open ends. */
typedef struct {
    int lo_inf, hi_inf; /* -inf / +inf ends (always open) */
    int lo_open, hi_open;
    fmpq_t lo, hi;
    size_t piece;
} ival;

static int ival_cmp_lo(const void *pa, const void *pb)
{
    const ival *a = *(const ival *const *)pa, *b = *(const ival *const *)pb;
    if (a->lo_inf || b->lo_inf)
        return b->lo_inf - a->lo_inf;
    int c = fmpq_cmp(a->lo, b->lo);
    if (c != 0)
        return c;
    return a->lo_open - b->lo_open; /* closed first */
}

/* Point of the domain of piece p: t = breaks[p-1] (or -inf) .. breaks[p]. */
static void pwl1_domain(int *lo_inf, int *hi_inf, fmpq_t lo, fmpq_t hi, const idc_pamap *f, size_t p)
{
    *lo_inf = p == 0;
    *hi_inf = p + 1 == f->npieces;
    if (!*lo_inf)
        idc_dq_fmpq_set_finite_d(lo, f->breaks[p - 1]);
    if (!*hi_inf)
        idc_dq_fmpq_set_finite_d(hi, f->breaks[p]);
}

/* A point strictly inside (lo, hi) or at a closed end: used to pick
 * witnesses. Picks the midpoint of finite intervals, an end -/+ 1 for
 * half-lines, 0 for the line. */
void idc_pick_inside(fmpq_t out, int lo_inf, int hi_inf, const fmpq_t lo, const fmpq_t hi)
{
    if (lo_inf && hi_inf)
        fmpq_zero(out);
    else if (lo_inf)
        fmpq_sub_si(out, hi, 1);
    else if (hi_inf)
        fmpq_add_si(out, lo, 1);
    else {
        fmpq_add(out, lo, hi);
        fmpq_div_2exp(out, out, 1);
    }
}

/* Exact value of a piece table at t (checker's own evaluation). */
static void pwl1_eval_q(fmpq_t out, const idc_pamap *f, const fmpq_t t)
{
    size_t p = 0;
    fmpq_t b;
    fmpq_init(b);
    while (p + 1 < f->npieces) {
        idc_dq_fmpq_set_finite_d(b, f->breaks[p]);
        if (fmpq_cmp(t, b) < 0)
            break;
        p++;
    }
    fmpq_clear(b);
    pwl1_piece_value(out, f, p, t);
}

static json_t *jvec1(const fmpq_t q)
{
    json_t *a = json_array();
    json_array_append_new(a, idc_cert_json_fmpq(q));
    return a;
}

/* Collision certificate of a 1-D map at exact x != y (images checked by the
 * caller). */
static json_t *collision_1d(const fmpq_t x, const fmpq_t y, const fmpq_t img, const char *how)
{
    return json_pack("{s:o,s:o,s:o,s:s}", "x", jvec1(x), "y", jvec1(y), "image", jvec1(img), "found_by", how);
}

static int f4_pwl1(idc_pre_result *res, const idc_pamap *f, const char *hash, idc_err *err)
{
    size_t P = f->npieces;
    fmpq_t s, c, x, y, fx, fy;
    fmpq_init(s);
    fmpq_init(c);
    fmpq_init(x);
    fmpq_init(y);
    fmpq_init(fx);
    fmpq_init(fy);
    ival *iv = idc_calloc(P, sizeof *iv);
    ival **ord = idc_calloc(P, sizeof *ord);
    json_t *w = NULL;
    idc_verdict v = IDC_HOLDS;
    char reason[200] = "";
    int rc = IDC_OK;
    if (iv == NULL || ord == NULL) {
        free(iv);
        free(ord);
        rc = nomem(err);
        goto done;
    }
    for (size_t p = 0; p < P; p++) {
        fmpq_init(iv[p].lo);
        fmpq_init(iv[p].hi);
    }
    for (size_t p = 0; p < P && v == IDC_HOLDS; p++) {
        ival *I = &iv[p];
        I->piece = p;
        ord[p] = I;
        int dlo_inf, dhi_inf;
        fmpq_t dlo, dhi;
        fmpq_init(dlo);
        fmpq_init(dhi);
        pwl1_domain(&dlo_inf, &dhi_inf, dlo, dhi, f, p);
        idc_dq_fmpq_set_finite_d(s, f->slopes[p]);
        idc_dq_fmpq_set_finite_d(c, f->intercepts[p]);
        if (fmpq_is_zero(s)) {
            /* constant piece: two distinct points of its domain */
            idc_pick_inside(x, dlo_inf, dhi_inf, dlo, dhi);
            if (dlo_inf)
                fmpq_sub_si(y, x, 1);
            else
                fmpq_set(y, dlo);
            pwl1_eval_q(fx, f, x);
            pwl1_eval_q(fy, f, y);
            if (fmpq_equal(fx, fy) && !fmpq_equal(x, y)) {
                v = IDC_FAILS;
                w = collision_1d(y, x, fx, "constant piece");
                snprintf(reason, sizeof reason, "piece %zu has slope 0: f is constant on it", p);
            } else {
                rc = idc_err_set(err, IDC_EINTERNAL, "F4: constant-piece witness did not collide");
            }
        } else {
            /* image: s > 0: [s lo + c, s hi + c); s < 0: (s hi + c, s lo + c] */
            int pos = fmpq_sgn(s) > 0;
            int a_inf = pos ? dlo_inf : dhi_inf, b_inf = pos ? dhi_inf : dlo_inf;
            const fmpq *a = pos ? dlo : dhi, *b = pos ? dhi : dlo;
            I->lo_inf = a_inf;
            I->hi_inf = b_inf;
            if (!a_inf) {
                fmpq_mul(I->lo, s, a);
                fmpq_add(I->lo, I->lo, c);
            }
            if (!b_inf) {
                fmpq_mul(I->hi, s, b);
                fmpq_add(I->hi, I->hi, c);
            }
            /* the domain is [lo, hi): the image end coming from hi is open */
            I->lo_open = a_inf || !pos;
            I->hi_open = b_inf || pos;
        }
        fmpq_clear(dlo);
        fmpq_clear(dhi);
    }
    if (rc == IDC_OK && v == IDC_HOLDS) {
        qsort(ord, P, sizeof *ord, ival_cmp_lo);
        for (size_t k = 0; k + 1 < P && v == IDC_HOLDS; k++) {
            const ival *A = ord[k], *B = ord[k + 1];
            /* disjoint iff A ends before B starts */
            int disjoint;
            if (A->hi_inf || B->lo_inf)
                disjoint = 0;
            else {
                int cmp = fmpq_cmp(A->hi, B->lo);
                disjoint = cmp < 0 || (cmp == 0 && (A->hi_open || B->lo_open));
            }
            if (disjoint)
                continue;
            /* a point y in both images: the intersection runs from B's low
             * end to the smaller high end */
            int hi_inf = A->hi_inf && B->hi_inf;
            const fmpq *hi = NULL;
            if (!hi_inf) {
                const ival *H = A->hi_inf ? B : (B->hi_inf ? A : (fmpq_cmp(A->hi, B->hi) <= 0 ? A : B));
                hi = H->hi;
            }
            int lo_inf = B->lo_inf; /* sorted: then A->lo_inf too */
            fmpq_t img;
            fmpq_init(img);
            if (!lo_inf && !hi_inf && fmpq_equal(B->lo, hi))
                fmpq_set(img, hi); /* touching ends, closed in both (else disjoint) */
            else {
                fmpq_t z;
                fmpq_init(z);
                idc_pick_inside(img, lo_inf, hi_inf, lo_inf ? z : B->lo, hi_inf ? z : hi);
                fmpq_clear(z);
            }
            /* preimages in the two pieces */
            size_t pa = A->piece, pb = B->piece;
            idc_dq_fmpq_set_finite_d(s, f->slopes[pa]);
            idc_dq_fmpq_set_finite_d(c, f->intercepts[pa]);
            fmpq_sub(x, img, c);
            fmpq_div(x, x, s);
            idc_dq_fmpq_set_finite_d(s, f->slopes[pb]);
            idc_dq_fmpq_set_finite_d(c, f->intercepts[pb]);
            fmpq_sub(y, img, c);
            fmpq_div(y, y, s);
            pwl1_eval_q(fx, f, x);
            pwl1_eval_q(fy, f, y);
            if (fmpq_equal(fx, img) && fmpq_equal(fy, img) && !fmpq_equal(x, y)) {
                v = IDC_FAILS;
                w = collision_1d(x, y, img, "overlapping piece images");
                snprintf(reason, sizeof reason, "the images of pieces %zu and %zu overlap", pa, pb);
            } else {
                rc = idc_err_set(err, IDC_EINTERNAL, "F4: overlap witness of pieces %zu, %zu did not collide",
                                 pa, pb);
            }
            fmpq_clear(img);
            if (rc != IDC_OK)
                break;
        }
        if (rc == IDC_OK && v == IDC_HOLDS) {
            json_t *order = json_array();
            for (size_t k = 0; k < P; k++)
                json_array_append_new(order, json_integer((json_int_t)ord[k]->piece));
            w = json_pack("{s:o}", "order", order);
            snprintf(reason, sizeof reason,
                     "piece table: every slope nonzero and the %zu piece images pairwise disjoint (exact)",
                     P);
        }
    }
    for (size_t p = 0; p < P; p++) {
        fmpq_clear(iv[p].lo);
        fmpq_clear(iv[p].hi);
    }
    free(iv);
    free(ord);
    if (rc == IDC_OK)
        rc = decide_checked(res, "F4", v, hash, v == IDC_HOLDS ? "pwl1-image-order" : "collision", SRC_F4, w,
                            reason, v == IDC_HOLDS ? f : NULL, err);
    else
        json_decref(w);
done:
    fmpq_clear(s);
    fmpq_clear(c);
    fmpq_clear(x);
    fmpq_clear(y);
    fmpq_clear(fx);
    fmpq_clear(fy);
    return rc;
}

/* ---- exact MLP ---------------------------------------------------------------- */


void idc_qnet_clear(idc_qnet *q)
{
    for (size_t i = 0; i < q->L; i++) {
        fmpq_mat_clear(q->W + i);
        fmpq_mat_clear(q->b + i);
        fmpq_clear(q->a + i);
    }
    free(q->W);
    free(q->b);
    free(q->a);
    free(q->nonlin);
    memset(q, 0, sizeof *q);
}

int idc_qnet_init(idc_qnet *q, const idc_pamap *f)
{
    memset(q, 0, sizeof *q);
    size_t L = f->nlayers;
    q->W = idc_calloc(L, sizeof *q->W);
    q->b = idc_calloc(L, sizeof *q->b);
    q->a = idc_calloc(L, sizeof *q->a);
    q->nonlin = idc_calloc(L, sizeof *q->nonlin);
    if (q->W == NULL || q->b == NULL || q->a == NULL || q->nonlin == NULL) {
        free(q->W);
        free(q->b);
        free(q->a);
        free(q->nonlin);
        return IDC_ENOMEM;
    }
    q->L = L;
    q->m = f->in_dim;
    q->n = f->out_dim;
    for (size_t i = 0; i < L; i++) {
        const idc_layer *l = &f->layers[i];
        fmpq_mat_init(q->W + i, (slong)l->out, (slong)l->in);
        fmpq_mat_init(q->b + i, (slong)l->out, 1);
        fmpq_init(q->a + i);
        idc_dq_fmpq_mat_set_finite_d(q->W + i, l->W, l->out, l->in);
        idc_dq_fmpq_mat_set_finite_d(q->b + i, l->b, l->out, 1);
        if (l->act == IDC_ACT_IDENTITY)
            fmpq_one(q->a + i);
        else if (l->act == IDC_ACT_LEAKY)
            idc_dq_fmpq_set_finite_d(q->a + i, l->slope);
        q->nonlin[i] = !fmpq_is_one(q->a + i);
    }
    return IDC_OK;
}

/* y (n x 1) = f(x) exactly; z (optional, L matrices out_i x 1) receives the
 * pre-activations. */
void idc_qnet_eval(fmpq_mat_t y, fmpq_mat_struct *z, const idc_qnet *q, const fmpq_mat_t x)
{
    fmpq_mat_t cur;
    fmpq_mat_init_set(cur, x);
    for (size_t i = 0; i < q->L; i++) {
        fmpq_mat_t nxt;
        fmpq_mat_init(nxt, q->W[i].r, 1);
        fmpq_mat_mul(nxt, q->W + i, cur);
        fmpq_mat_add(nxt, nxt, q->b + i);
        if (z != NULL)
            fmpq_mat_set(z + i, nxt);
        for (slong u = 0; u < nxt->r; u++)
            if (fmpq_sgn(fmpq_mat_entry(nxt, u, 0)) <= 0)
                fmpq_mul(fmpq_mat_entry(nxt, u, 0), fmpq_mat_entry(nxt, u, 0), q->a + i);
        fmpq_mat_swap(cur, nxt);
        fmpq_mat_clear(nxt);
    }
    fmpq_mat_set(y, cur);
    fmpq_mat_clear(cur);
}

/* Builds a collision certificate for x != y after checking f(x) = f(y)
 * exactly. *ok = 0 (and no witness) if they do not collide. */
int idc_qnet_collision(json_t **w, int *ok, const idc_qnet *q, const fmpq_mat_t x, const fmpq_mat_t y,
                       const char *how)
{
    fmpq_mat_t fx, fy;
    fmpq_mat_init(fx, (slong)q->n, 1);
    fmpq_mat_init(fy, (slong)q->n, 1);
    idc_qnet_eval(fx, NULL, q, x);
    idc_qnet_eval(fy, NULL, q, y);
    *ok = fmpq_mat_equal(fx, fy) && !fmpq_mat_equal(x, y);
    *w = NULL;
    if (*ok)
        *w = json_pack("{s:o,s:o,s:o,s:s}", "x", idc_cert_json_fmpq_col(x, 0), "y",
                       idc_cert_json_fmpq_col(y, 0), "image", idc_cert_json_fmpq_col(fx, 0), "found_by", how);
    fmpq_mat_clear(fx);
    fmpq_mat_clear(fy);
    return (*ok && *w == NULL) ? IDC_ENOMEM : IDC_OK;
}

/* ---- F4 witness search: a kernel direction of a local Jacobian ---------------- */

/* At the point x: if every nonlinear pre-activation that moves along the
 * kernel direction v of the region's Jacobian is nonzero, y = x + 2^-e v
 * stays in the region and f(y) = f(x). *found = 1 with the witness. */
static int local_kernel_at(json_t **w, int *found, const idc_qnet *q, const fmpq_mat_t x)
{
    size_t L = q->L;
    slong m = (slong)q->m;
    *found = 0;
    *w = NULL;
    fmpq_mat_struct *z = idc_calloc(L, sizeof *z);
    if (z == NULL)
        return IDC_ENOMEM;
    for (size_t i = 0; i < L; i++)
        fmpq_mat_init(z + i, q->W[i].r, 1);
    fmpq_mat_t y0, J, v, d;
    fmpq_mat_init(y0, (slong)q->n, 1);
    idc_qnet_eval(y0, z, q, x);
    /* Jacobian of the region: T_i = D_i W_i T_{i-1}, T_0 = I */
    fmpq_mat_init(J, m, m);
    fmpq_mat_one(J);
    for (size_t i = 0; i < L; i++) {
        fmpq_mat_t T;
        fmpq_mat_init(T, q->W[i].r, m);
        fmpq_mat_mul(T, q->W + i, J);
        for (slong u = 0; u < T->r; u++)
            if (fmpq_sgn(fmpq_mat_entry(z + i, u, 0)) <= 0)
                for (slong k = 0; k < m; k++)
                    fmpq_mul(fmpq_mat_entry(T, u, k), fmpq_mat_entry(T, u, k), q->a + i);
        fmpq_mat_swap(J, T);
        fmpq_mat_clear(T);
    }
    fmpz_mat_t vz;
    fmpz_mat_init(vz, m, 1);
    int kfound = 0;
    int rc = idc_qmat_kernel_vector(&kfound, vz, J);
    fmpq_mat_init(v, m, 1);
    fmpq_mat_init(d, m, 1);
    if (rc == IDC_OK && kfound) {
        fmpq_mat_set_fmpz_mat(v, vz);
        fmpq_mat_set(d, v);
        /* largest step: eps |dz_u| < |z_u| for every moving nonlinear unit */
        int interior = 1;
        fmpq_t rmin, r;
        fmpq_init(rmin);
        fmpq_init(r);
        int have = 0;
        for (size_t i = 0; i < L && interior; i++) {
            fmpq_mat_t dz;
            fmpq_mat_init(dz, q->W[i].r, 1);
            fmpq_mat_mul(dz, q->W + i, d);
            for (slong u = 0; u < dz->r && interior; u++) {
                const fmpq *zu = fmpq_mat_entry(z + i, u, 0);
                fmpq *du = fmpq_mat_entry(dz, u, 0);
                if (q->nonlin[i] && !fmpq_is_zero(du)) {
                    if (fmpq_is_zero(zu)) {
                        interior = 0;
                        break;
                    }
                    fmpq_div(r, zu, du);
                    fmpq_abs(r, r);
                    if (!have || fmpq_cmp(r, rmin) < 0)
                        fmpq_set(rmin, r);
                    have = 1;
                }
                if (fmpq_sgn(zu) <= 0)
                    fmpq_mul(du, du, q->a + i);
            }
            fmpq_mat_swap(d, dz);
            fmpq_mat_clear(dz);
        }
        if (interior) {
            ulong e = 0;
            if (have) {
                slong bits = (slong)fmpz_bits(fmpq_denref(rmin)) - (slong)fmpz_bits(fmpq_numref(rmin)) + 2;
                e = bits > 0 ? (ulong)bits : 0;
            }
            fmpq_mat_t yx;
            fmpq_mat_init(yx, m, 1);
            for (slong k = 0; k < m; k++) {
                fmpq_div_2exp(fmpq_mat_entry(yx, k, 0), fmpq_mat_entry(v, k, 0), e);
                fmpq_add(fmpq_mat_entry(yx, k, 0), fmpq_mat_entry(yx, k, 0), fmpq_mat_entry(x, k, 0));
            }
            int ok = 0;
            rc = idc_qnet_collision(w, &ok, q, x, yx,
                                   "kernel of the Jacobian in the interior of a linear region");
            if (rc == IDC_OK && !ok)
                rc = IDC_EINTERNAL; /* the step was chosen to stay inside the region */
            *found = ok;
            fmpq_mat_clear(yx);
        }
        fmpq_clear(rmin);
        fmpq_clear(r);
    }
    fmpz_mat_clear(vz);
    fmpq_mat_clear(v);
    fmpq_mat_clear(d);
    fmpq_mat_clear(J);
    fmpq_mat_clear(y0);
    for (size_t i = 0; i < L; i++)
        fmpq_mat_clear(z + i);
    free(z);
    return rc;
}

static int local_kernel_search(json_t **w, int *found, const idc_qnet *q, double deadline)
{
    idc_rng s = idc_rng_stream(F4_SEARCH_SEED, 0, IDC_PURPOSE_SEARCH);
    slong m = (slong)q->m;
    fmpq_mat_t x;
    fmpq_mat_init(x, m, 1);
    int rc = IDC_OK;
    *found = 0;
    uint64_t k = 0;
    for (int t = 0; t < F4_SEARCH_POINTS && !*found && rc == IDC_OK; t++) {
        if (idc_budget_expired(deadline))
            break;
        ulong scale = (ulong)(4 * (t % 4)); /* points at scales 1, 2^4, 2^8, 2^12 */
        for (slong i = 0; i < m; i++) {
            slong c = (slong)idc_rng_below(s, k++, 129) - 64;
            fmpq *e = fmpq_mat_entry(x, i, 0);
            fmpq_set_si(e, c, 16);
            fmpq_mul_2exp(e, e, scale);
        }
        rc = local_kernel_at(w, found, q, x);
    }
    fmpq_mat_clear(x);
    return rc;
}

/* ---- m = 1: the exact piece list of the map on the real line ------------------- */

void idc_line_clear(idc_line1d *ln)
{
    for (size_t p = 0; p < ln->P; p++) {
        fmpq_mat_clear(ln->pc[p].al);
        fmpq_mat_clear(ln->pc[p].be);
    }
    if (ln->P > 1)
        _fmpq_vec_clear(ln->t, (slong)(ln->P - 1));
    free(ln->pc);
    memset(ln, 0, sizeof *ln);
}

/* Interior point of piece p. */
void idc_line_inside(fmpq_t out, const idc_line1d *ln, size_t p)
{
    fmpq_t z;
    fmpq_init(z);
    idc_pick_inside(out, p == 0, p + 1 == ln->P, p == 0 ? z : ln->t + p - 1, p + 1 == ln->P ? z : ln->t + p);
    fmpq_clear(z);
}

static int cmp_fmpq(const void *a, const void *b)
{
    return fmpq_cmp((const fmpq *)a, (const fmpq *)b);
}

/* Runs the layers over the line. *capped = 1 when the piece cap was hit. */
int idc_line_build(idc_line1d *ln, int *capped, const idc_qnet *q, size_t cap, double deadline)
{
    memset(ln, 0, sizeof *ln);
    *capped = 0;
    ln->pc = idc_calloc(1, sizeof *ln->pc);
    if (ln->pc == NULL)
        return IDC_ENOMEM;
    ln->P = 1;
    fmpq_mat_init(ln->pc[0].al, 1, 1);
    fmpq_mat_init(ln->pc[0].be, 1, 1);
    fmpq_one(fmpq_mat_entry(ln->pc[0].be, 0, 0));
    fmpq_t c, val;
    fmpq_init(c);
    fmpq_init(val);
    int rc = IDC_OK;
    for (size_t i = 0; i < q->L && rc == IDC_OK && !*capped; i++) {
        slong w = q->W[i].r;
        /* roots inside each piece, then the refined list */
        size_t maxnew = ln->P * (size_t)(w + 1);
        if (maxnew > cap || idc_budget_expired(deadline)) {
            *capped = 1;
            break;
        }
        idc_line1d nl;
        memset(&nl, 0, sizeof nl);
        nl.pc = idc_calloc(maxnew, sizeof *nl.pc);
        if (nl.pc == NULL) {
            rc = IDC_ENOMEM;
            break;
        }
        nl.t = _fmpq_vec_init((slong)(maxnew - 1));
        fmpq *roots = _fmpq_vec_init(w > 0 ? w : 1);
        for (size_t p = 0; p < ln->P; p++) {
            fmpq_mat_t pa, pb;
            fmpq_mat_init(pa, w, 1);
            fmpq_mat_init(pb, w, 1);
            fmpq_mat_mul(pa, q->W + i, ln->pc[p].al);
            fmpq_mat_add(pa, pa, q->b + i);
            fmpq_mat_mul(pb, q->W + i, ln->pc[p].be);
            int lo_inf = p == 0, hi_inf = p + 1 == ln->P;
            slong nr = 0;
            if (q->nonlin[i])
                for (slong u = 0; u < w; u++) {
                    const fmpq *bu = fmpq_mat_entry(pb, u, 0);
                    if (fmpq_is_zero(bu))
                        continue;
                    fmpq_div(c, fmpq_mat_entry(pa, u, 0), bu);
                    fmpq_neg(c, c);
                    if ((lo_inf || fmpq_cmp(c, ln->t + p - 1) > 0) && (hi_inf || fmpq_cmp(c, ln->t + p) < 0))
                        fmpq_set(roots + nr++, c);
                }
            qsort(roots, (size_t)nr, sizeof(fmpq), cmp_fmpq);
            slong nu = 0;
            for (slong k = 0; k < nr; k++)
                if (nu == 0 || !fmpq_equal(roots + k, roots + nu - 1))
                    fmpq_swap(roots + nu++, roots + k);
            /* sub-pieces: (prev end, roots[0]], ..., [roots[nu-1], next end) */
            for (slong k = 0; k <= nu; k++) {
                /* interior point of sub-piece k */
                int slo_inf = (k == 0) ? lo_inf : 0, shi_inf = (k == nu) ? hi_inf : 0;
                const fmpq *slo = k == 0 ? (lo_inf ? NULL : ln->t + p - 1) : roots + k - 1;
                const fmpq *shi = k == nu ? (hi_inf ? NULL : ln->t + p) : roots + k;
                idc_pick_inside(c, slo_inf, shi_inf, slo != NULL ? slo : val, shi != NULL ? shi : val);
                idc_line_piece *np = &nl.pc[nl.P];
                fmpq_mat_init_set(np->al, pa);
                fmpq_mat_init_set(np->be, pb);
                for (slong u = 0; u < w; u++) {
                    fmpq_mul(val, fmpq_mat_entry(pb, u, 0), c);
                    fmpq_add(val, val, fmpq_mat_entry(pa, u, 0));
                    if (fmpq_sgn(val) <= 0) {
                        fmpq_mul(fmpq_mat_entry(np->al, u, 0), fmpq_mat_entry(np->al, u, 0), q->a + i);
                        fmpq_mul(fmpq_mat_entry(np->be, u, 0), fmpq_mat_entry(np->be, u, 0), q->a + i);
                    }
                }
                if (nl.P > 0)
                    fmpq_set(nl.t + nl.P - 1, k == 0 ? ln->t + p - 1 : roots + k - 1);
                nl.P++;
            }
            fmpq_mat_clear(pa);
            fmpq_mat_clear(pb);
        }
        _fmpq_vec_clear(roots, w > 0 ? w : 1);
        /* shrink the breakpoint vector to P - 1 entries (maxnew >= 2) */
        fmpq *tt = nl.P > 1 ? _fmpq_vec_init((slong)(nl.P - 1)) : NULL;
        for (size_t k = 0; k + 1 < nl.P; k++)
            fmpq_swap(tt + k, nl.t + k);
        _fmpq_vec_clear(nl.t, (slong)(maxnew - 1));
        nl.t = tt;
        idc_line_clear(ln);
        *ln = nl;
    }
    fmpq_clear(c);
    fmpq_clear(val);
    return rc;
}

int idc_line_from_pwl1(idc_line1d *ln, const idc_pamap *f)
{
    memset(ln, 0, sizeof *ln);
    size_t P = f->npieces;
    ln->pc = idc_calloc(P, sizeof *ln->pc);
    if (ln->pc == NULL)
        return IDC_ENOMEM;
    ln->t = P > 1 ? _fmpq_vec_init((slong)(P - 1)) : NULL;
    ln->P = P;
    for (size_t p = 0; p < P; p++) {
        fmpq_mat_init(ln->pc[p].al, 1, 1);
        fmpq_mat_init(ln->pc[p].be, 1, 1);
        idc_dq_fmpq_set_finite_d(fmpq_mat_entry(ln->pc[p].al, 0, 0), f->intercepts[p]);
        idc_dq_fmpq_set_finite_d(fmpq_mat_entry(ln->pc[p].be, 0, 0), f->slopes[p]);
        if (p + 1 < P)
            idc_dq_fmpq_set_finite_d(ln->t + p, f->breaks[p]);
    }
    return IDC_OK;
}

/* Is t in the closed piece p? */
int idc_line_contains(const idc_line1d *ln, size_t p, const fmpq_t t)
{
    if (p > 0 && fmpq_cmp(t, ln->t + p - 1) < 0)
        return 0;
    if (p + 1 < ln->P && fmpq_cmp(t, ln->t + p) > 0)
        return 0;
    return 1;
}

/* ---- F4 for MLPs ----------------------------------------------------------------- */

static int f4_mlp(idc_pre_result *res, const idc_pamap *f, const char *hash, const idc_budget *budget,
                  idc_err *err)
{
    double deadline = idc_budget_deadline(budget);
    size_t cap = idc_budget_entries(budget), total = 0;
    for (size_t i = 0; i < f->nlayers; i++)
        total += f->layers[i].in * f->layers[i].out + f->layers[i].out;
    if (total > cap) {
        idc_pre_result_set(res, "F4", IDC_UNKNOWN, NULL,
                           "network too large for the exact budget (%zu weights)", total);
        return IDC_OK;
    }
    /* K Cor. H.9: injective activations and full column rank layers */
    char why[IDC_PRE_REASON_LEN] = "";
    int h9 = 1, w1_deficient = 0, rc = IDC_OK;
    json_t *layers = json_array();
    for (size_t i = 0; i < f->nlayers && rc == IDC_OK; i++) {
        const idc_layer *l = &f->layers[i];
        int inj = l->act == IDC_ACT_IDENTITY || (l->act == IDC_ACT_LEAKY && l->slope > 0.0);
        if (!inj && h9) {
            h9 = 0;
            if (l->act == IDC_ACT_RELU || l->slope == 0.0)
                snprintf(why, sizeof why, "layer %zu: ReLU (slope 0) is not covered by K Cor. H.9", i);
            else
                snprintf(why, sizeof why, "layer %zu: leaky slope %.17g <= 0 is not injective", i, l->slope);
        }
        if (l->out < l->in) {
            if (h9)
                snprintf(why, sizeof why, "layer %zu: width decreases (%zu -> %zu)", i, l->in, l->out);
            h9 = 0;
            if (i == 0)
                w1_deficient = 1;
            continue;
        }
        if (!h9 && i > 0)
            continue; /* only W_1's rank matters for the witnesses below */
        if (idc_budget_expired(deadline)) {
            if (h9)
                snprintf(why, sizeof why, "time budget exhausted at layer %zu", i);
            h9 = 0;
            break;
        }
        slong in = (slong)l->in;
        slong *rows = flint_malloc((size_t)in * sizeof(slong)),
              *cols = flint_malloc((size_t)in * sizeof(slong));
        int found = 0;
        mp_limb_t p = 0;
        rc = idc_qmat_minor_find_d(&found, &p, rows, cols, l->W, l->out, l->in, in);
        if (rc == IDC_OK && found) {
            char *sl = idc_dq_get_str_d(l->act == IDC_ACT_LEAKY ? l->slope : 1.0);
            json_t *o = sl == NULL
                            ? NULL
                            : json_pack("{s:s,s:s,s:I,s:o}", "activation", idc_act_name(l->act), "slope", sl,
                                        "prime", (json_int_t)p, "rows", idc_cert_json_slongs(rows, in));
            if (json_array_append_new(layers, o) != 0)
                rc = IDC_ENOMEM;
            free(sl);
        } else if (rc == IDC_OK) {
            if (h9)
                snprintf(why, sizeof why, "layer %zu: W has rank < %zu (exact)", i, l->in);
            h9 = 0;
            if (i == 0)
                w1_deficient = 1;
        } else if (rc == IDC_EUNABLE) {
            if (h9)
                snprintf(why, sizeof why, "layer %zu: no nonzero minor found within %d primes", i,
                         IDC_QMAT_PRIME_MAX);
            h9 = 0;
            rc = IDC_OK;
        }
        flint_free(rows);
        flint_free(cols);
    }
    if (rc != IDC_OK) {
        json_decref(layers);
        return idc_err_set(err, rc, "F4: exact linear algebra failed (%s)", idc_status_name(rc));
    }
    if (h9) {
        json_t *w = json_pack("{s:o}", "layers", layers);
        char reason[IDC_PRE_REASON_LEN];
        snprintf(
            reason, sizeof reason,
            "K Cor. H.9: %zu layers, injective activations, every W_i of full column rank (mod-p minors)",
            f->nlayers);
        return decide(res, "F4", IDC_HOLDS, hash, "kivva-H9", SRC_F4_H9, w, reason, err);
    }
    json_decref(layers);
    /* counter-witnesses, on the exact network */
    idc_qnet q;
    if (idc_qnet_init(&q, f) != IDC_OK)
        return nomem(err);
    json_t *w = NULL;
    int found = 0;
    if (w1_deficient) {
        fmpz_mat_t vz;
        fmpz_mat_init(vz, (slong)q.m, 1);
        int kf = 0;
        rc = idc_qmat_kernel_vector(&kf, vz, q.W + 0);
        if (rc == IDC_OK && kf) {
            fmpq_mat_t x, y;
            fmpq_mat_init(x, (slong)q.m, 1);
            fmpq_mat_init(y, (slong)q.m, 1);
            fmpq_mat_set_fmpz_mat(y, vz);
            rc = idc_qnet_collision(&w, &found, &q, x, y, "kernel vector v of W_1: f(0) = f(v)");
            if (rc == IDC_OK && !found)
                rc = IDC_EINTERNAL;
            fmpq_mat_clear(x);
            fmpq_mat_clear(y);
        }
        fmpz_mat_clear(vz);
        if (found) {
            idc_qnet_clear(&q);
            char reason[IDC_PRE_REASON_LEN];
            snprintf(reason, sizeof reason, "W_1 has a nonzero kernel vector v: f(0) = f(v) exactly");
            return decide(res, "F4", IDC_FAILS, hash, "collision", SRC_F4, w, reason, err);
        }
    }
    char reason[IDC_PRE_REASON_LEN] = "";
    if (rc == IDC_OK && q.m == 1) {
        idc_verdict v1 = IDC_UNKNOWN;
        const char *method = "collision";
        char r1[IDC_PRE_REASON_LEN] = "";
        rc = idc_f4_line(&v1, &w, &method, r1, sizeof r1, &q, cap, deadline);
        if (rc == IDC_OK && v1 != IDC_UNKNOWN) {
            idc_qnet_clear(&q);
            return decide_checked(res, "F4", v1, hash, method, SRC_F4, w, r1, v1 == IDC_HOLDS ? f : NULL,
                                  err);
        }
        snprintf(reason, sizeof reason, "%.150s; %.150s", why, r1);
    }
    if (rc == IDC_OK && q.m > 1) {
        rc = local_kernel_search(&w, &found, &q, deadline);
        if (rc == IDC_OK && found) {
            idc_qnet_clear(&q);
            return decide(res, "F4", IDC_FAILS, hash, "collision", SRC_F4, w,
                          "a linear region's Jacobian has a kernel vector v at an interior point x: f(x) = "
                          "f(x + eps v)",
                          err);
        }
        snprintf(reason, sizeof reason, "%.200s; no collision found by the witness search", why);
    }
    idc_qnet_clear(&q);
    if (rc != IDC_OK)
        return idc_err_set(err, rc, "F4: witness search failed (%s)", idc_status_name(rc));
    idc_pre_result_set(res, "F4", IDC_UNKNOWN, NULL, "sufficient condition not met: %s", reason);
    return IDC_OK;
}

int idc_pre_f4(idc_pre_result *res, const idc_pamap *f, const char *hash, const idc_budget *budget,
               idc_err *err)
{
    int rc = idc_map_validate(f, err);
    if (rc != IDC_OK)
        return rc;
    if (idc_pre_map_non_pa(res, "F4", f))
        return IDC_OK;
    if (f->kind == IDC_MAP_PWL1)
        return f4_pwl1(res, f, hash, err);
    return f4_mlp(res, f, hash, budget, err);
}

int idc_pre_implied_by_f4(idc_pre_result *res, const char *id, const idc_pamap *f, const char *hash,
                          const idc_budget *budget, idc_err *err)
{
    idc_pre_result f4;
    idc_pre_result_init(&f4);
    int rc = idc_pre_f4(&f4, f, hash, budget, err);
    if (rc != IDC_OK) {
        idc_pre_result_clear(&f4);
        return rc;
    }
    if (f4.verdict == IDC_HOLDS) {
        json_t *cert = idc_cert_new(id, IDC_HOLDS, hash, "implied-by-F4",
                                    "piecewise-affine f: F4 => F3 => F2 (THEORY.md §3)",
                                    json_pack("{s:O}", "F4", f4.cert));
        if (cert == NULL) {
            idc_pre_result_clear(&f4);
            return idc_err_set(err, IDC_ENOMEM, "out of memory");
        }
        idc_pre_result_set(res, id, IDC_HOLDS, cert, "implied by F4 (%s)", f4.reason);
    } else {
        idc_pre_result_set(res, id, IDC_UNKNOWN, NULL,
                           "only decided through F4 so far, and F4 is %s: %s", idc_verdict_name(f4.verdict),
                           f4.reason);
    }
    idc_pre_result_clear(&f4);
    return IDC_OK;
}
