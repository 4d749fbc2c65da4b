/* Map certificates: DIM ("dims"), F1 ("by-construction"), FC
 * ("mlp-continuous", "pwl1-breakpoints", "pwl1-jump") and F4 ("kivva-H9",
 * "pwl1-image-order", "monotone-1d", "collision"; "pairwise-1d" in
 * verify_f4line.c). Formats: theory/cert.h. */
#include "theory/verify/verify_impl.h"
#include "theory/verify.h"

#include <stdlib.h>
#include <string.h>

#include <flint/nmod_mat.h>

#include "numeric/dq.h"

int idc_v_dim(vctx *V, idc_verdict v, const json_t *w)
{
    /* DIM only reads the two dimensions, so it also speaks of the pinwheel
     * warp (idc_v_need_map accepts only the piecewise-affine kinds the other
     * verifiers evaluate) */
    if (V->g == NULL || V->f == NULL || (V->f->kind != IDC_MAP_PINWHEEL && idc_v_need_map(V) != IDC_OK))
        return idc_vfail(V, "DIM: needs the model and the map");
    slong m, n;
    if (!idc_vget_index(&m, w, "m", 0, WORD_MAX) || !idc_vget_index(&n, w, "n", 0, WORD_MAX))
        return idc_vfail(V, "witness.m / witness.n: expected integers");
    if ((size_t)m != V->g->dim || (size_t)n != V->f->out_dim || V->f->in_dim != V->g->dim)
        return idc_vfail(V, "DIM: dimensions (%ld, %ld) do not match the model (%zu, %zu)", (long)m, (long)n,
                     V->g->dim, V->f->out_dim);
    if ((m <= n) != (v == IDC_HOLDS))
        return idc_vfail(V, "DIM: verdict does not follow from m = %ld, n = %ld", (long)m, (long)n);
    return IDC_OK;
}

int idc_v_f1(vctx *V, idc_verdict v, const json_t *w)
{
    if (idc_v_need_map(V) != IDC_OK)
        return IDC_EDOM;
    if (v != IDC_HOLDS)
        return idc_vfail(V, "F1: by-construction certificates only prove HOLDS");
    const char *kind = json_string_value(json_object_get(w, "map"));
    const char *want = V->f->kind == IDC_MAP_MLP ? "mlp" : "pwl1";
    if (kind == NULL || strcmp(kind, want) != 0)
        return idc_vfail(V, "F1: witness.map is not \"%s\"", want);
    json_t *acts = json_object_get(w, "activations");
    size_t nl = V->f->kind == IDC_MAP_MLP ? V->f->nlayers : 0;
    if (!json_is_array(acts) || json_array_size(acts) != nl)
        return idc_vfail(V, "F1: witness.activations: expected %zu names", nl);
    for (size_t i = 0; i < nl; i++) {
        const idc_layer *l = &V->f->layers[i];
        const char *a = json_string_value(json_array_get(acts, i));
        if (l->act != IDC_ACT_IDENTITY && l->act != IDC_ACT_RELU && l->act != IDC_ACT_LEAKY)
            return idc_vfail(V, "F1: layer %zu has an activation that is not piecewise affine", i);
        if (a == NULL || strcmp(a, idc_act_name(l->act)) != 0)
            return idc_vfail(V, "F1: witness.activations[%zu] does not match the map", i);
    }
    return IDC_OK;
}

/* Value of piece p at t (verifier's own). */
static void v_piece(fmpq_t out, const idc_pamap *f, size_t p, const fmpq_t t)
{
    fmpq_t e;
    fmpq_init(e);
    idc_dq_fmpq_set_finite_d(e, f->slopes[p]);
    fmpq_mul(out, e, t);
    idc_dq_fmpq_set_finite_d(e, f->intercepts[p]);
    fmpq_add(out, out, e);
    fmpq_clear(e);
}

int idc_v_fc(vctx *V, idc_verdict v, const char *method, const json_t *w)
{
    if (idc_v_need_map(V) != IDC_OK)
        return IDC_EDOM;
    const idc_pamap *f = V->f;
    if (strcmp(method, "mlp-continuous") == 0) {
        if (v != IDC_HOLDS || f->kind != IDC_MAP_MLP)
            return idc_vfail(V, "FC: mlp-continuous proves HOLDS for MLPs only");
        return IDC_OK;
    }
    if (f->kind != IDC_MAP_PWL1)
        return idc_vfail(V, "FC: method %s needs a piece table", method);
    fmpq_t t, l, r, q;
    fmpq_init(t);
    fmpq_init(l);
    fmpq_init(r);
    fmpq_init(q);
    int rc = IDC_OK;
    if (strcmp(method, "pwl1-breakpoints") == 0) {
        json_t *vals = json_object_get(w, "values");
        if (v != IDC_HOLDS)
            rc = idc_vfail(V, "FC: pwl1-breakpoints proves HOLDS only");
        else if (!json_is_array(vals) || json_array_size(vals) + 1 != f->npieces)
            rc = idc_vfail(V, "FC: witness.values: expected %zu values", f->npieces - 1);
        for (size_t i = 0; rc == IDC_OK && i + 1 < f->npieces; i++) {
            idc_dq_fmpq_set_finite_d(t, f->breaks[i]);
            v_piece(l, f, i, t);
            v_piece(r, f, i + 1, t);
            if (idc_cert_get_fmpq(q, json_array_get(vals, i)) != IDC_OK)
                rc = idc_vfail(V, "FC: witness.values[%zu]: not a rational", i);
            else if (!fmpq_equal(l, r) || !fmpq_equal(l, q))
                rc = idc_vfail(V, "FC: one-sided values at breakpoint %zu differ from each other or the witness",
                           i);
        }
    } else if (strcmp(method, "pwl1-jump") == 0) {
        slong i;
        if (v != IDC_FAILS)
            rc = idc_vfail(V, "FC: pwl1-jump proves FAILS only");
        else if (!idc_vget_index(&i, w, "breakpoint", 0, (slong)f->npieces - 2))
            rc = idc_vfail(V, "FC: witness.breakpoint out of range");
        else if (!idc_vget_q(q, w, "t") || !idc_vget_q(l, w, "left") || !idc_vget_q(r, w, "right"))
            rc = idc_vfail(V, "FC: witness.t/left/right: expected rationals");
        else {
            idc_dq_fmpq_set_finite_d(t, f->breaks[i]);
            fmpq_t a, b;
            fmpq_init(a);
            fmpq_init(b);
            v_piece(a, f, (size_t)i, t);
            v_piece(b, f, (size_t)i + 1, t);
            if (!fmpq_equal(q, t))
                rc = idc_vfail(V, "FC: witness.t is not breakpoint %ld", (long)i);
            else if (!fmpq_equal(a, l) || !fmpq_equal(b, r))
                rc = idc_vfail(V, "FC: witness.left/right do not match the pieces");
            else if (fmpq_equal(a, b))
                rc = idc_vfail(V, "FC: no jump at breakpoint %ld", (long)i);
            fmpq_clear(a);
            fmpq_clear(b);
        }
    } else {
        rc = idc_vfail(V, "FC: unknown method %s", method);
    }
    fmpq_clear(t);
    fmpq_clear(l);
    fmpq_clear(r);
    fmpq_clear(q);
    return rc;
}

static int v_collision(vctx *V, const json_t *w)
{
    const idc_pamap *f = V->f;
    slong m = (slong)f->in_dim, n = (slong)f->out_dim;
    fmpq_mat_t x, y, img;
    fmpq_mat_init(x, m, 1);
    fmpq_mat_init(y, m, 1);
    fmpq_mat_init(img, n, 1);
    fmpq *fx = _fmpq_vec_init(n), *fy = _fmpq_vec_init(n), *xa = _fmpq_vec_init(m), *ya = _fmpq_vec_init(m);
    int rc = IDC_OK;
    if (!idc_vget_qvec(x, json_object_get(w, "x"), m) || !idc_vget_qvec(y, json_object_get(w, "y"), m))
        rc = idc_vfail(V, "F4: witness.x / witness.y: expected %ld rationals each", (long)m);
    else if (!idc_vget_qvec(img, json_object_get(w, "image"), n))
        rc = idc_vfail(V, "F4: witness.image: expected %ld rationals", (long)n);
    else if (fmpq_mat_equal(x, y))
        rc = idc_vfail(V, "F4: witness points x and y are equal");
    if (rc == IDC_OK) {
        for (slong i = 0; i < m; i++) {
            fmpq_set(xa + i, fmpq_mat_entry(x, i, 0));
            fmpq_set(ya + i, fmpq_mat_entry(y, i, 0));
        }
        idc_v_eval(fx, f, xa);
        idc_v_eval(fy, f, ya);
        for (slong i = 0; i < n && rc == IDC_OK; i++) {
            if (!fmpq_equal(fx + i, fy + i))
                rc = idc_vfail(V, "F4: f(x) and f(y) differ in coordinate %ld", (long)i);
            else if (!fmpq_equal(fx + i, fmpq_mat_entry(img, i, 0)))
                rc = idc_vfail(V, "F4: witness.image[%ld] is not f(x)", (long)i);
        }
    }
    _fmpq_vec_clear(fx, n);
    _fmpq_vec_clear(fy, n);
    _fmpq_vec_clear(xa, m);
    _fmpq_vec_clear(ya, m);
    fmpq_mat_clear(x);
    fmpq_mat_clear(y);
    fmpq_mat_clear(img);
    return rc;
}

static int v_h9(vctx *V, const json_t *w)
{
    const idc_pamap *f = V->f;
    if (f->kind != IDC_MAP_MLP)
        return idc_vfail(V, "F4: kivva-H9 needs an MLP");
    json_t *layers = json_object_get(w, "layers");
    if (!json_is_array(layers) || json_array_size(layers) != f->nlayers)
        return idc_vfail(V, "F4: witness.layers: expected %zu layers", f->nlayers);
    fmpq_t q, a;
    fmpq_init(q);
    fmpq_init(a);
    int rc = IDC_OK;
    for (size_t i = 0; i < f->nlayers && rc == IDC_OK; i++) {
        const idc_layer *l = &f->layers[i];
        json_t *o = json_array_get(layers, i);
        const char *act = json_string_value(json_object_get(o, "activation"));
        /* the activation must be injective: identity, or leaky with a > 0 */
        if (!(l->act == IDC_ACT_IDENTITY || (l->act == IDC_ACT_LEAKY && l->slope > 0.0))) {
            rc = idc_vfail(V, "F4: layer %zu: activation is not injective (K Cor. H.9 needs slope > 0)", i);
            break;
        }
        if (act == NULL || strcmp(act, idc_act_name(l->act)) != 0) {
            rc = idc_vfail(V, "F4: layers[%zu].activation does not match the map", i);
            break;
        }
        idc_dq_fmpq_set_finite_d(a, l->act == IDC_ACT_LEAKY ? l->slope : 1.0);
        if (!idc_vget_q(q, o, "slope") || !fmpq_equal(q, a)) {
            rc = idc_vfail(V, "F4: layers[%zu].slope does not match the map", i);
            break;
        }
        if (l->out < l->in) {
            rc = idc_vfail(V, "F4: layer %zu: width decreases, no full column rank", i);
            break;
        }
        mp_limb_t p;
        if (!idc_vget_prime(&p, o)) {
            rc = idc_vfail(V, "F4: layers[%zu].prime: not an odd prime below 2^62", i);
            break;
        }
        slong in = (slong)l->in;
        slong *rows = flint_malloc((size_t)(in > 0 ? in : 1) * sizeof(slong));
        if (!idc_vget_indices(rows, json_object_get(o, "rows"), in, (slong)l->out, 1)) {
            rc = idc_vfail(V, "F4: layers[%zu].rows: expected %ld distinct row indices below %zu", i, (long)in,
                       l->out);
        } else {
            nmod_mat_t M;
            nmod_mat_init(M, in, in, p);
            for (slong r = 0; r < in && rc == IDC_OK; r++)
                for (slong c = 0; c < in && rc == IDC_OK; c++)
                    if (idc_dq_nmod(&nmod_mat_entry(M, r, c), l->W[(size_t)rows[r] * l->in + (size_t)c],
                                    M->mod) != IDC_OK)
                        rc = idc_vfail(V, "F4: layer %zu: weight not finite", i);
            if (rc == IDC_OK && nmod_mat_det(M) == 0)
                rc = idc_vfail(V, "F4: layer %zu: the minor on the given rows is zero mod %lu", i,
                           (unsigned long)p);
            nmod_mat_clear(M);
        }
        flint_free(rows);
    }
    fmpq_clear(q);
    fmpq_clear(a);
    return rc;
}

/* Image interval of a piece of a piece table (verifier's own). */
typedef struct {
    int lo_inf, hi_inf, lo_open, hi_open;
    fmpq_t lo, hi;
} vival;

static void v_image(vival *I, const idc_pamap *f, size_t p)
{
    fmpq_t s, c, a, b;
    fmpq_init(s);
    fmpq_init(c);
    fmpq_init(a);
    fmpq_init(b);
    idc_dq_fmpq_set_finite_d(s, f->slopes[p]);
    idc_dq_fmpq_set_finite_d(c, f->intercepts[p]);
    int a_inf = p == 0, b_inf = p + 1 == f->npieces; /* domain [a, b) */
    if (!a_inf)
        idc_dq_fmpq_set_finite_d(a, f->breaks[p - 1]);
    if (!b_inf)
        idc_dq_fmpq_set_finite_d(b, f->breaks[p]);
    fmpq_mul(a, a, s);
    fmpq_add(a, a, c);
    fmpq_mul(b, b, s);
    fmpq_add(b, b, c);
    if (fmpq_sgn(s) > 0) { /* [s a + c, s b + c) */
        I->lo_inf = a_inf;
        I->lo_open = a_inf;
        fmpq_set(I->lo, a);
        I->hi_inf = b_inf;
        I->hi_open = 1;
        fmpq_set(I->hi, b);
    } else { /* (s b + c, s a + c] */
        I->lo_inf = b_inf;
        I->lo_open = 1;
        fmpq_set(I->lo, b);
        I->hi_inf = a_inf;
        I->hi_open = a_inf;
        fmpq_set(I->hi, a);
    }
    fmpq_clear(s);
    fmpq_clear(c);
    fmpq_clear(a);
    fmpq_clear(b);
}

static int v_image_order(vctx *V, const json_t *w)
{
    const idc_pamap *f = V->f;
    if (f->kind != IDC_MAP_PWL1)
        return idc_vfail(V, "F4: pwl1-image-order needs a piece table");
    slong P = (slong)f->npieces;
    slong *ord = flint_malloc((size_t)P * sizeof(slong));
    int rc = IDC_OK;
    if (!idc_vget_indices(ord, json_object_get(w, "order"), P, P, 1))
        rc = idc_vfail(V, "F4: witness.order: expected a permutation of the %ld pieces", (long)P);
    for (slong k = 0; k < P && rc == IDC_OK; k++)
        if (f->slopes[ord[k]] == 0.0)
            rc = idc_vfail(V, "F4: piece %ld has slope 0", (long)ord[k]);
    vival A, B;
    fmpq_init(A.lo);
    fmpq_init(A.hi);
    fmpq_init(B.lo);
    fmpq_init(B.hi);
    for (slong k = 0; k + 1 < P && rc == IDC_OK; k++) {
        v_image(&A, f, (size_t)ord[k]);
        v_image(&B, f, (size_t)ord[k + 1]);
        /* A must lie entirely below B */
        int ok = !A.hi_inf && !B.lo_inf;
        if (ok) {
            int c = fmpq_cmp(A.hi, B.lo);
            ok = c < 0 || (c == 0 && (A.hi_open || B.lo_open));
        }
        if (!ok)
            rc = idc_vfail(V, "F4: images of pieces %ld and %ld are not disjoint in the given order",
                       (long)ord[k], (long)ord[k + 1]);
    }
    fmpq_clear(A.lo);
    fmpq_clear(A.hi);
    fmpq_clear(B.lo);
    fmpq_clear(B.hi);
    flint_free(ord);
    return rc;
}

/* "monotone-1d": the affine maps between the breakpoints recomputed from the
 * weights (idc_vline_load, every unit's sign at both ends of each
 * interval), then l . be_k of the claimed strict sign on every interval. */
static int v_monotone(vctx *V, const json_t *w)
{
    const idc_pamap *f = V->f;
    if (f->kind != IDC_MAP_MLP || f->in_dim != 1)
        return idc_vfail(V, "F4: monotone-1d needs an MLP with one input");
    json_t *dj = json_object_get(w, "direction");
    if (!json_is_integer(dj) || (json_integer_value(dj) != 1 && json_integer_value(dj) != -1))
        return idc_vfail(V, "F4: witness.direction: expected 1 or -1");
    int dir = (int)json_integer_value(dj);
    slong n = (slong)f->out_dim;
    fmpq_mat_t l;
    fmpq_mat_init(l, n, 1);
    idc_vline L;
    int rc = idc_vline_load(V, &L, "F4", w);
    if (rc == IDC_OK && !idc_vget_qvec(l, json_object_get(w, "functional"), n))
        rc = idc_vfail(V, "F4: witness.functional: expected %ld rationals", (long)n);
    fmpq_t dot;
    fmpq_init(dot);
    for (slong k = 0; k < L.K && rc == IDC_OK; k++) {
        fmpq_zero(dot);
        for (slong i = 0; i < n; i++)
            fmpq_addmul(dot, fmpq_mat_entry(l, i, 0), L.be + k * n + i);
        if (fmpq_sgn(dot) != dir)
            rc = idc_vfail(V, "F4: l . f is not strictly %s on interval %ld",
                           dir > 0 ? "increasing" : "decreasing", (long)k);
    }
    fmpq_clear(dot);
    fmpq_mat_clear(l);
    idc_vline_clear(&L);
    return rc;
}

int idc_v_f4(vctx *V, idc_verdict v, const char *method, const json_t *w)
{
    if (idc_v_need_map(V) != IDC_OK)
        return IDC_EDOM;
    if (strcmp(method, "collision") == 0)
        return v == IDC_FAILS ? v_collision(V, w) : idc_vfail(V, "F4: a collision proves FAILS only");
    if (v != IDC_HOLDS)
        return idc_vfail(V, "F4: method %s proves HOLDS only", method);
    if (strcmp(method, "kivva-H9") == 0)
        return v_h9(V, w);
    if (strcmp(method, "pwl1-image-order") == 0)
        return v_image_order(V, w);
    if (strcmp(method, "monotone-1d") == 0)
        return v_monotone(V, w);
    if (strcmp(method, "pairwise-1d") == 0)
        return idc_v_f4_pairwise(V, w);
    return idc_vfail(V, "F4: unknown method %s", method);
}
