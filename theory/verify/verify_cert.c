/* Certificates: JSON builders and the independent verifier (see cert.h).
 *
 * The verifier shares nothing with the checkers (theory/pre_*.c) except the
 * dq conversions: it rebuilds the exact model data with its own loops,
 * recomputes determinants mod p with nmod_mat_det, evaluates the map
 * exactly with its own forward pass, and runs its own rational
 * elimination. It never searches: every claim is checked by a fixed
 * computation on the witness.
 */
#include "theory/cert.h"
#include "theory/verify/verify_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flint/fmpz.h>
#include <flint/nmod_mat.h>
#include <flint/ulong_extras.h>

#include "numeric/dq.h"
#include "numeric/qspace.h"

/* ---- builders ------------------------------------------------------------- */

json_t *idc_cert_new(const char *id, idc_verdict v, const char *hash, const char *method, const char *source,
                     json_t *witness)
{
    if (witness == NULL)
        return NULL; /* an allocation upstream failed: no certificate without its witness */
    json_t *c = json_object();
    if (c == NULL || witness == NULL) {
        json_decref(c);
        json_decref(witness);
        return NULL;
    }
    int bad = 0;
    bad |= json_object_set_new(c, "idcheck_cert", json_integer(IDC_CERT_FORMAT));
    bad |= json_object_set_new(c, "precondition", json_string(id));
    bad |= json_object_set_new(c, "verdict", json_string(idc_verdict_name(v)));
    bad |= json_object_set_new(c, "model_hash", hash != NULL ? json_string(hash) : json_null());
    bad |= json_object_set_new(c, "method", json_string(method));
    bad |= json_object_set_new(c, "source", json_string(source));
    bad |= json_object_set_new(c, "witness", witness);
    if (bad) {
        json_decref(c);
        return NULL;
    }
    return c;
}

json_t *idc_cert_json_fmpq(const fmpq_t q)
{
    char *s = idc_dq_fmpq_get_str(q);
    if (s == NULL)
        return NULL;
    json_t *j = json_string(s);
    free(s);
    return j;
}

json_t *idc_cert_json_d(double x)
{
    char *s = idc_dq_get_str_d(x);
    if (s == NULL)
        return NULL;
    json_t *j = json_string(s);
    free(s);
    return j;
}

json_t *idc_cert_json_fmpq_col(const fmpq_mat_t v, slong col)
{
    json_t *a = json_array();
    for (slong i = 0; a != NULL && i < v->r; i++)
        if (json_array_append_new(a, idc_cert_json_fmpq(fmpq_mat_entry(v, i, col))) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

json_t *idc_cert_json_fmpz_col(const fmpz_mat_t v, slong col)
{
    json_t *a = json_array();
    fmpq_t q;
    fmpq_init(q);
    for (slong i = 0; a != NULL && i < v->r; i++) {
        fmpz_set(fmpq_numref(q), fmpz_mat_entry(v, i, col));
        fmpz_one(fmpq_denref(q));
        if (json_array_append_new(a, idc_cert_json_fmpq(q)) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    fmpq_clear(q);
    return a;
}

json_t *idc_cert_json_slongs(const slong *a, slong n)
{
    json_t *arr = json_array();
    for (slong i = 0; arr != NULL && i < n; i++)
        json_array_append_new(arr, json_integer((json_int_t)a[i]));
    return arr;
}

int idc_cert_get_fmpq(fmpq_t q, const json_t *s)
{
    if (!json_is_string(s))
        return IDC_EINVAL;
    return idc_dq_fmpq_set_str(q, json_string_value(s)) == IDC_OK ? IDC_OK : IDC_EINVAL;
}

/* ---- verifier context -------------------------------------------------------- */

int idc_vfail(vctx *V, const char *fmt, ...)
{
    if (V->reason != NULL && V->rlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(V->reason, V->rlen, fmt, ap);
        va_end(ap);
    }
    return IDC_EDOM;
}

/* Integer field in [lo, hi]. */
int idc_vget_index(slong *out, const json_t *obj, const char *key, slong lo, slong hi)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        return 0;
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return 0;
    *out = (slong)x;
    return 1;
}

/* Array of n integers in [0, hi) (distinct when `distinct`). */
int idc_vget_indices(slong *out, const json_t *arr, slong n, slong hi, int distinct)
{
    if (!json_is_array(arr) || (slong)json_array_size(arr) != n)
        return 0;
    for (slong i = 0; i < n; i++) {
        json_t *e = json_array_get(arr, (size_t)i);
        if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) >= hi)
            return 0;
        out[i] = (slong)json_integer_value(e);
        if (distinct)
            for (slong k = 0; k < i; k++)
                if (out[k] == out[i])
                    return 0;
    }
    return 1;
}

/* Column vector (initialised n x 1) from an array of n "p/q" strings. */
int idc_vget_qvec(fmpq_mat_t v, const json_t *arr, slong n)
{
    if (!json_is_array(arr) || (slong)json_array_size(arr) != n)
        return 0;
    for (slong i = 0; i < n; i++)
        if (idc_cert_get_fmpq(fmpq_mat_entry(v, i, 0), json_array_get(arr, (size_t)i)) != IDC_OK)
            return 0;
    return 1;
}

int idc_vget_q(fmpq_t q, const json_t *obj, const char *key)
{
    return idc_cert_get_fmpq(q, json_object_get(obj, key)) == IDC_OK;
}

/* A prime the verifier accepts: odd, 3 <= p < 2^62, prime. */
int idc_vget_prime(mp_limb_t *p, const json_t *obj)
{
    json_t *v = json_object_get(obj, "prime");
    if (!json_is_integer(v))
        return 0;
    json_int_t x = json_integer_value(v);
    if (x < 3 || (x & 1) == 0 || (unsigned long long)x >= (1ULL << 62))
        return 0;
    if (!n_is_prime((mp_limb_t)x))
        return 0;
    *p = (mp_limb_t)x;
    return 1;
}

/* ---- exact map evaluation (verifier's own) ------------------------------------ */

/* y = f(x) exactly; x has in_dim entries, y out_dim entries (fmpq arrays). */
void idc_v_eval(fmpq *y, const idc_pamap *f, const fmpq *x)
{
    fmpq_t t, e;
    fmpq_init(t);
    fmpq_init(e);
    if (f->kind == IDC_MAP_PWL1) {
        size_t p = 0;
        for (; p + 1 < f->npieces; p++) {
            idc_dq_fmpq_set_finite_d(e, f->breaks[p]);
            if (fmpq_cmp(x, e) < 0)
                break; /* x < t_{p+1}: piece p */
        }
        idc_dq_fmpq_set_finite_d(e, f->slopes[p]);
        fmpq_mul(t, e, x);
        idc_dq_fmpq_set_finite_d(e, f->intercepts[p]);
        fmpq_add(y, t, e);
        fmpq_clear(t);
        fmpq_clear(e);
        return;
    }
    size_t wmax = idc_pamap_max_width(f);
    fmpq *cur = _fmpq_vec_init((slong)wmax), *nxt = _fmpq_vec_init((slong)wmax);
    for (size_t i = 0; i < f->in_dim; i++)
        fmpq_set(cur + i, x + i);
    for (size_t li = 0; li < f->nlayers; li++) {
        const idc_layer *l = &f->layers[li];
        for (size_t r = 0; r < l->out; r++) {
            idc_dq_fmpq_set_finite_d(nxt + r, l->b[r]);
            for (size_t c = 0; c < l->in; c++) {
                idc_dq_fmpq_set_finite_d(e, l->W[r * l->in + c]);
                fmpq_mul(t, e, cur + c);
                fmpq_add(nxt + r, nxt + r, t);
            }
            if (fmpq_sgn(nxt + r) <= 0) {
                if (l->act == IDC_ACT_RELU)
                    fmpq_zero(nxt + r);
                else if (l->act == IDC_ACT_LEAKY) {
                    idc_dq_fmpq_set_finite_d(e, l->slope);
                    fmpq_mul(nxt + r, nxt + r, e);
                }
            }
        }
        fmpq *sw = cur;
        cur = nxt;
        nxt = sw;
    }
    for (size_t i = 0; i < f->out_dim; i++)
        fmpq_set(y + i, cur + i);
    _fmpq_vec_clear(cur, (slong)wmax);
    _fmpq_vec_clear(nxt, (slong)wmax);
    fmpq_clear(t);
    fmpq_clear(e);
}

/* ---- F1, FC, F4, DIM, DIMU1, I-i --------------------------------------------- */

/* The map must be present and well formed (finite numbers, consistent
 * shapes) before anything is evaluated on it. */
int idc_v_need_map(vctx *V)
{
    const idc_pamap *f = V->f;
    if (f == NULL)
        return idc_vfail(V, "certificate needs the map, none given");
    if (f->kind == IDC_MAP_PWL1) {
        if (f->npieces == 0 || f->in_dim != 1 || f->out_dim != 1)
            return idc_vfail(V, "map: malformed piece table");
        for (size_t p = 0; p < f->npieces; p++)
            if (!isfinite(f->slopes[p]) || !isfinite(f->intercepts[p]))
                return idc_vfail(V, "map: piece %zu is not finite", p);
        for (size_t i = 0; i + 1 < f->npieces; i++)
            if (!isfinite(f->breaks[i]) || (i > 0 && !(f->breaks[i - 1] < f->breaks[i])))
                return idc_vfail(V, "map: breakpoints not finite and strictly increasing");
        return IDC_OK;
    }
    if (f->kind != IDC_MAP_MLP || f->nlayers == 0)
        return idc_vfail(V, "map: malformed");
    size_t w = f->in_dim;
    for (size_t i = 0; i < f->nlayers; i++) {
        const idc_layer *l = &f->layers[i];
        if (l->in != w)
            return idc_vfail(V, "map: layer %zu has inconsistent width", i);
        for (size_t k = 0; k < l->in * l->out; k++)
            if (!isfinite(l->W[k]))
                return idc_vfail(V, "map: layer %zu has a non-finite weight", i);
        for (size_t k = 0; k < l->out; k++)
            if (!isfinite(l->b[k]))
                return idc_vfail(V, "map: layer %zu has a non-finite bias", i);
        if (!isfinite(l->slope))
            return idc_vfail(V, "map: layer %zu has a non-finite slope", i);
        w = l->out;
    }
    if (w != f->out_dim)
        return idc_vfail(V, "map: output width mismatch");
    return IDC_OK;
}

static int v_dim(vctx *V, idc_verdict v, const json_t *w)
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

static int v_f1(vctx *V, idc_verdict v, const json_t *w)
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

static int v_fc(vctx *V, idc_verdict v, const char *method, const json_t *w)
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

/* Sign of alpha + beta t at an end of an interval: end = -1 (-inf), +1
 * (+inf) or 0 (the finite point t). */
static int end_sign(const fmpq_t alpha, const fmpq_t beta, int end, const fmpq_t t)
{
    if (end != 0) {
        int sb = fmpq_sgn(beta);
        return sb != 0 ? end * sb : fmpq_sgn(alpha);
    }
    fmpq_t v;
    fmpq_init(v);
    fmpq_mul(v, beta, t);
    fmpq_add(v, v, alpha);
    int s = fmpq_sgn(v);
    fmpq_clear(v);
    return s;
}

static int v_monotone(vctx *V, const json_t *w)
{
    const idc_pamap *f = V->f;
    if (f->kind != IDC_MAP_MLP || f->in_dim != 1)
        return idc_vfail(V, "F4: monotone-1d needs an MLP with one input");
    json_t *bp = json_object_get(w, "breakpoints");
    json_t *dj = json_object_get(w, "direction");
    if (!json_is_array(bp))
        return idc_vfail(V, "F4: witness.breakpoints: expected an array");
    if (!json_is_integer(dj) || (json_integer_value(dj) != 1 && json_integer_value(dj) != -1))
        return idc_vfail(V, "F4: witness.direction: expected 1 or -1");
    int dir = (int)json_integer_value(dj);
    slong nb = (slong)json_array_size(bp), n = (slong)f->out_dim;
    fmpq_mat_t T, l;
    fmpq_mat_init(T, nb > 0 ? nb : 1, 1);
    fmpq_mat_init(l, n, 1);
    int rc = IDC_OK;
    if (nb > 0 && !idc_vget_qvec(T, bp, nb))
        rc = idc_vfail(V, "F4: witness.breakpoints: expected rationals");
    else if (!idc_vget_qvec(l, json_object_get(w, "functional"), n))
        rc = idc_vfail(V, "F4: witness.functional: expected %ld rationals", (long)n);
    for (slong k = 0; k + 1 < nb && rc == IDC_OK; k++)
        if (fmpq_cmp(fmpq_mat_entry(T, k, 0), fmpq_mat_entry(T, k + 1, 0)) >= 0)
            rc = idc_vfail(V, "F4: witness.breakpoints not strictly increasing at %ld", (long)k + 1);
    size_t wmax = idc_pamap_max_width(f);
    fmpq *al = _fmpq_vec_init((slong)wmax), *be = _fmpq_vec_init((slong)wmax);
    fmpq *al2 = _fmpq_vec_init((slong)wmax), *be2 = _fmpq_vec_init((slong)wmax);
    fmpq_t e, t, dot;
    fmpq_init(e);
    fmpq_init(t);
    fmpq_init(dot);
    /* on each interval [T_{k-1}, T_k], the map must be one affine piece:
     * every pre-activation keeps one sign (zero allowed) on it */
    for (slong k = 0; k <= nb && rc == IDC_OK; k++) {
        int lend = k == 0 ? -1 : 0, rend = k == nb ? 1 : 0;
        const fmpq *tl = k == 0 ? e : fmpq_mat_entry(T, k - 1, 0);
        const fmpq *tr = k == nb ? e : fmpq_mat_entry(T, k, 0);
        fmpq_zero(al + 0);
        fmpq_one(be + 0);
        for (size_t li = 0; li < f->nlayers && rc == IDC_OK; li++) {
            const idc_layer *L = &f->layers[li];
            for (size_t r = 0; r < L->out; r++) {
                idc_dq_fmpq_set_finite_d(al2 + r, L->b[r]);
                fmpq_zero(be2 + r);
                for (size_t c = 0; c < L->in; c++) {
                    idc_dq_fmpq_set_finite_d(t, L->W[r * L->in + c]);
                    fmpq_addmul(al2 + r, t, al + c);
                    fmpq_addmul(be2 + r, t, be + c);
                }
                if (L->act == IDC_ACT_IDENTITY)
                    continue;
                int sl = end_sign(al2 + r, be2 + r, lend, tl), sr = end_sign(al2 + r, be2 + r, rend, tr);
                if (sl * sr < 0) {
                    rc = idc_vfail(V, "F4: unit %zu of layer %zu changes sign inside interval %ld", r, li,
                               (long)k);
                    break;
                }
                if (sl <= 0 && sr <= 0) { /* nonpositive branch on the whole interval */
                    if (L->act == IDC_ACT_RELU) {
                        fmpq_zero(al2 + r);
                        fmpq_zero(be2 + r);
                    } else {
                        idc_dq_fmpq_set_finite_d(t, L->slope);
                        fmpq_mul(al2 + r, al2 + r, t);
                        fmpq_mul(be2 + r, be2 + r, t);
                    }
                }
            }
            fmpq *sw = al;
            al = al2;
            al2 = sw;
            sw = be;
            be = be2;
            be2 = sw;
        }
        if (rc != IDC_OK)
            break;
        fmpq_zero(dot);
        for (slong i = 0; i < n; i++)
            fmpq_addmul(dot, fmpq_mat_entry(l, i, 0), be + i);
        if (fmpq_sgn(dot) != dir)
            rc = idc_vfail(V, "F4: l . f is not strictly %s on interval %ld",
                       dir > 0 ? "increasing" : "decreasing", (long)k);
    }
    _fmpq_vec_clear(al, (slong)wmax);
    _fmpq_vec_clear(be, (slong)wmax);
    _fmpq_vec_clear(al2, (slong)wmax);
    _fmpq_vec_clear(be2, (slong)wmax);
    fmpq_clear(e);
    fmpq_clear(t);
    fmpq_clear(dot);
    fmpq_mat_clear(T);
    fmpq_mat_clear(l);
    return rc;
}

static int v_f4(vctx *V, idc_verdict v, const char *method, const json_t *w)
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

/* ---- prior: exact component data (verifier's own) ------------------------------ */

int idc_vcomp_load(vcomp *c, const idc_pdgmm *g, size_t j)
{
    const idc_component *k = &g->comp[j];
    slong m = (slong)g->dim;
    c->form = k->form;
    c->r = (slong)k->rank;
    int fac = k->form != IDC_COMP_COVARIANCE;
    fmpq_mat_init(c->mu, m, 1);
    fmpq_mat_init(c->L, fac ? m : 0, fac ? c->r : 0);
    fmpq_mat_init(c->S, fac ? 0 : m, fac ? 0 : m);
    fmpq_t t, u;
    fmpq_init(t);
    fmpq_init(u);
    int ok = 1;
    if (k->form == IDC_COMP_FRAME) {
        if (!g->has_frame || g->frame_basis == NULL || g->frame_translation == NULL || k->support == NULL)
            ok = 0;
        for (slong i = 0; i < m && ok; i++) {
            ok &= idc_dq_fmpq_set_d(fmpq_mat_entry(c->mu, i, 0), g->frame_translation[i]) == IDC_OK;
            for (size_t a = 0; a < k->nsupport && ok; a++) {
                if (k->support[a] >= g->dim) {
                    ok = 0;
                    break;
                }
                ok &= idc_dq_fmpq_set_d(t, g->frame_basis[(size_t)i * g->dim + k->support[a]]) == IDC_OK;
                ok &= idc_dq_fmpq_set_d(u, k->frame_mean[a]) == IDC_OK;
                fmpq_addmul(fmpq_mat_entry(c->mu, i, 0), t, u);
                for (slong q = 0; q < c->r && ok; q++) {
                    ok &= idc_dq_fmpq_set_d(u, k->frame_L[a * k->rank + (size_t)q]) == IDC_OK;
                    fmpq_addmul(fmpq_mat_entry(c->L, i, q), t, u);
                }
            }
        }
    } else {
        for (slong i = 0; i < m && ok; i++)
            ok &= idc_dq_fmpq_set_d(fmpq_mat_entry(c->mu, i, 0), k->mean[i]) == IDC_OK;
        if (k->form == IDC_COMP_FACTOR)
            for (slong i = 0; i < m && ok; i++)
                for (slong q = 0; q < c->r && ok; q++)
                    ok &= idc_dq_fmpq_set_d(fmpq_mat_entry(c->L, i, q),
                                            k->L[(size_t)i * k->rank + (size_t)q]) == IDC_OK;
        else
            for (slong i = 0; i < m && ok; i++)
                for (slong q = 0; q < m && ok; q++)
                    ok &= idc_dq_fmpq_set_d(fmpq_mat_entry(c->S, i, q), k->sigma[(size_t)(i * m + q)]) ==
                          IDC_OK;
    }
    fmpq_clear(t);
    fmpq_clear(u);
    return ok;
}

void idc_vcomp_clear(vcomp *c)
{
    fmpq_mat_clear(c->mu);
    fmpq_mat_clear(c->L);
    fmpq_mat_clear(c->S);
}

void idc_v_sigma(fmpq_t out, const vcomp *c, slong a, slong b)
{
    if (c->form == IDC_COMP_COVARIANCE) {
        fmpq_set(out, fmpq_mat_entry(c->S, a, b));
        return;
    }
    fmpq_zero(out);
    for (slong q = 0; q < c->r; q++)
        fmpq_addmul(out, fmpq_mat_entry(c->L, a, q), fmpq_mat_entry(c->L, b, q));
}

/* All components loaded (NULL on failure, with a reason). */
vcomp *idc_v_load_all(vctx *V)
{
    const idc_pdgmm *g = V->g;
    if (g == NULL || g->ncomp == 0 || g->comp == NULL) {
        idc_vfail(V, "certificate needs the mixture, none given");
        return NULL;
    }
    vcomp *c = idc_calloc(g->ncomp, sizeof *c);
    if (c == NULL) {
        idc_vfail(V, "out of memory");
        return NULL;
    }
    int ok = 1;
    for (size_t j = 0; j < g->ncomp; j++)
        ok &= idc_vcomp_load(&c[j], g, j);
    if (!ok) {
        for (size_t j = 0; j < g->ncomp; j++)
            idc_vcomp_clear(&c[j]);
        free(c);
        idc_vfail(V, "the model has non-finite or malformed component data");
        return NULL;
    }
    return c;
}

void idc_v_free_all(vcomp *c, size_t J)
{
    if (c == NULL)
        return;
    for (size_t j = 0; j < J; j++)
        idc_vcomp_clear(&c[j]);
    free(c);
}

/* Checks one difference record between components p and q: the entry, its
 * two claimed values, and (chain) that everything before it is equal and
 * p's value is the smaller. */
static int v_diff(vctx *V, const json_t *o, const vcomp *P, const vcomp *Q, slong m, int chain)
{
    const char *entry = json_string_value(json_object_get(o, "entry"));
    json_t *idx = json_object_get(o, "index"), *vals = json_object_get(o, "values");
    if (entry == NULL || !json_is_array(idx) || !json_is_array(vals) || json_array_size(vals) != 2)
        return idc_vfail(V, "P1: malformed difference record");
    int sig = strcmp(entry, "sigma") == 0;
    if (!sig && strcmp(entry, "mean") != 0)
        return idc_vfail(V, "P1: entry must be \"mean\" or \"sigma\"");
    slong ix[2];
    if (!idc_vget_indices(ix, idx, sig ? 2 : 1, m, 0))
        return idc_vfail(V, "P1: index out of range");
    if (sig && chain && ix[0] > ix[1])
        return idc_vfail(V, "P1: chain positions use the upper triangle (a <= b)");
    fmpq_t a, b, ca, cb;
    fmpq_init(a);
    fmpq_init(b);
    fmpq_init(ca);
    fmpq_init(cb);
    int rc = IDC_OK;
    if (sig) {
        idc_v_sigma(a, P, ix[0], ix[1]);
        idc_v_sigma(b, Q, ix[0], ix[1]);
    } else {
        fmpq_set(a, fmpq_mat_entry(P->mu, ix[0], 0));
        fmpq_set(b, fmpq_mat_entry(Q->mu, ix[0], 0));
    }
    if (idc_cert_get_fmpq(ca, json_array_get(vals, 0)) != IDC_OK ||
        idc_cert_get_fmpq(cb, json_array_get(vals, 1)) != IDC_OK)
        rc = idc_vfail(V, "P1: values: expected two rationals");
    else if (!fmpq_equal(a, ca) || !fmpq_equal(b, cb))
        rc = idc_vfail(V, "P1: the claimed values are not the model's");
    else if (fmpq_equal(a, b))
        rc = idc_vfail(V, "P1: the claimed entry does not differ");
    else if (chain && fmpq_cmp(a, b) > 0)
        rc = idc_vfail(V, "P1: chain not increasing");
    if (rc == IDC_OK && chain) {
        /* every position before the link is equal */
        slong mlim = sig ? m : ix[0];
        for (slong i = 0; i < mlim && rc == IDC_OK; i++)
            if (!fmpq_equal(fmpq_mat_entry(P->mu, i, 0), fmpq_mat_entry(Q->mu, i, 0)))
                rc = idc_vfail(V, "P1: chain link is not the first difference (mean %ld)", (long)i);
        for (slong s = 0; sig && rc == IDC_OK && s <= ix[0]; s++)
            for (slong t = s; t < m && rc == IDC_OK; t++) {
                if (s == ix[0] && t >= ix[1])
                    break;
                idc_v_sigma(ca, P, s, t);
                idc_v_sigma(cb, Q, s, t);
                if (!fmpq_equal(ca, cb))
                    rc = idc_vfail(V, "P1: chain link is not the first difference (sigma %ld,%ld)", (long)s,
                               (long)t);
            }
    }
    fmpq_clear(a);
    fmpq_clear(b);
    fmpq_clear(ca);
    fmpq_clear(cb);
    return rc;
}

/* P1 witness (HOLDS: pairs or chain; FAILS: weight or duplicate). */
static int v_p1(vctx *V, idc_verdict v, const json_t *w, const vcomp *c)
{
    const idc_pdgmm *g = V->g;
    size_t J = g->ncomp;
    slong m = (slong)g->dim;
    if (v == IDC_FAILS) {
        const char *why = json_string_value(json_object_get(w, "reason"));
        if (why != NULL && strcmp(why, "weight") == 0) {
            slong j;
            fmpq_t q, wt;
            fmpq_init(q);
            fmpq_init(wt);
            int rc = IDC_OK;
            if (!idc_vget_index(&j, w, "component", 0, (slong)J - 1) || !idc_vget_q(q, w, "weight"))
                rc = idc_vfail(V, "P1: malformed weight witness");
            else if (idc_dq_fmpq_set_d(wt, g->comp[j].weight) != IDC_OK || !fmpq_equal(q, wt))
                rc = idc_vfail(V, "P1: witness.weight is not component %ld's weight", (long)j);
            else if (fmpq_sgn(wt) > 0)
                rc = idc_vfail(V, "P1: weight of component %ld is positive", (long)j);
            fmpq_clear(q);
            fmpq_clear(wt);
            return rc;
        }
        if (why != NULL && strcmp(why, "duplicate") == 0) {
            slong jk[2];
            if (!idc_vget_indices(jk, json_object_get(w, "components"), 2, (slong)J, 1))
                return idc_vfail(V, "P1: witness.components: expected two distinct component indices");
            const vcomp *P = &c[jk[0]], *Q = &c[jk[1]];
            if (!fmpq_mat_equal(P->mu, Q->mu))
                return idc_vfail(V, "P1: components %ld and %ld have different means", (long)jk[0], (long)jk[1]);
            fmpq_t a, b;
            fmpq_init(a);
            fmpq_init(b);
            int rc = IDC_OK;
            for (slong s = 0; s < m && rc == IDC_OK; s++)
                for (slong t = 0; t < m && rc == IDC_OK; t++) {
                    idc_v_sigma(a, P, s, t);
                    idc_v_sigma(b, Q, s, t);
                    if (!fmpq_equal(a, b))
                        rc = idc_vfail(V, "P1: components %ld and %ld have different Sigma at (%ld,%ld)",
                                   (long)jk[0], (long)jk[1], (long)s, (long)t);
                }
            fmpq_clear(a);
            fmpq_clear(b);
            return rc;
        }
        return idc_vfail(V, "P1: unknown FAILS reason");
    }
    for (size_t j = 0; j < J; j++)
        if (!(g->comp[j].weight > 0.0))
            return idc_vfail(V, "P1: component %zu has a non-positive weight", j);
    json_t *pairs = json_object_get(w, "pairs"), *chain = json_object_get(w, "chain");
    int rc = IDC_OK;
    if (pairs != NULL) {
        if (!json_is_array(pairs) || json_array_size(pairs) != J * (J - 1) / 2)
            return idc_vfail(V, "P1: witness.pairs: expected %zu pairs", J * (J - 1) / 2);
        unsigned char *seen = idc_calloc(J * J, 1);
        if (seen == NULL)
            return idc_vfail(V, "out of memory");
        for (size_t t = 0; t < json_array_size(pairs) && rc == IDC_OK; t++) {
            json_t *o = json_array_get(pairs, t);
            slong j, k;
            if (!idc_vget_index(&j, o, "j", 0, (slong)J - 1) || !idc_vget_index(&k, o, "k", 0, (slong)J - 1) || j >= k)
                rc = idc_vfail(V, "P1: pairs[%zu]: expected j < k component indices", t);
            else if (seen[(size_t)j * J + (size_t)k]++)
                rc = idc_vfail(V, "P1: pair (%ld,%ld) listed twice", (long)j, (long)k);
            else
                rc = v_diff(V, o, &c[j], &c[k], m, 0);
        }
        free(seen);
        return rc;
    }
    if (chain != NULL) {
        slong *ord = flint_malloc(J * sizeof(slong));
        json_t *links = json_object_get(chain, "links");
        if (!idc_vget_indices(ord, json_object_get(chain, "order"), (slong)J, (slong)J, 1))
            rc = idc_vfail(V, "P1: chain.order: expected a permutation of the components");
        else if (!json_is_array(links) || json_array_size(links) + 1 != J)
            rc = idc_vfail(V, "P1: chain.links: expected %zu links", J - 1);
        for (size_t t = 0; t + 1 < J && rc == IDC_OK; t++)
            rc = v_diff(V, json_array_get(links, t), &c[ord[t]], &c[ord[t + 1]], m, 1);
        flint_free(ord);
        return rc;
    }
    return idc_vfail(V, "P1: witness has neither pairs nor chain");
}

/* Schur pivots of a symmetric rational matrix by plain rational elimination
 * (verifier's own). Returns 1 when PSD (zero pivots need zero rows), with
 * piv[0..m) set; 0 otherwise. */
static int v_schur(fmpq *piv, const fmpq_mat_t S0)
{
    slong m = S0->r;
    fmpq_mat_t S;
    fmpq_mat_init_set(S, S0);
    fmpq_t f;
    fmpq_init(f);
    int ok = 1;
    for (slong k = 0; k < m && ok; k++) {
        fmpq *d = fmpq_mat_entry(S, k, k);
        fmpq_set(piv + k, d);
        if (fmpq_sgn(d) < 0) {
            ok = 0;
        } else if (fmpq_is_zero(d)) {
            for (slong i = k + 1; i < m && ok; i++)
                if (!fmpq_is_zero(fmpq_mat_entry(S, k, i)) || !fmpq_is_zero(fmpq_mat_entry(S, i, k)))
                    ok = 0;
        } else {
            for (slong i = k + 1; i < m; i++) {
                fmpq_div(f, fmpq_mat_entry(S, i, k), d);
                for (slong j = k + 1; j < m; j++)
                    fmpq_submul(fmpq_mat_entry(S, i, j), f, fmpq_mat_entry(S, k, j));
            }
        }
    }
    fmpq_clear(f);
    fmpq_mat_clear(S);
    return ok;
}

/* A covariance component's pivots: recomputed and compared; positive when
 * strict. */
static int v_pivots(vctx *V, const json_t *arr, const vcomp *c, slong j, int strict)
{
    slong m = c->S->r;
    fmpq_mat_t given;
    fmpq_mat_init(given, m, 1);
    fmpq *piv = _fmpq_vec_init(m);
    int rc = IDC_OK;
    if (!idc_vget_qvec(given, arr, m))
        rc = idc_vfail(V, "component %ld: pivots: expected %ld rationals", (long)j, (long)m);
    else if (!v_schur(piv, c->S))
        rc = idc_vfail(V, "component %ld: Sigma is not positive semidefinite", (long)j);
    for (slong k = 0; k < m && rc == IDC_OK; k++) {
        if (!fmpq_equal(piv + k, fmpq_mat_entry(given, k, 0)))
            rc = idc_vfail(V, "component %ld: pivot %ld differs from the recomputed one", (long)j, (long)k);
        else if (strict && fmpq_sgn(piv + k) <= 0)
            rc = idc_vfail(V, "component %ld: pivot %ld is not positive", (long)j, (long)k);
    }
    _fmpq_vec_clear(piv, m);
    fmpq_mat_clear(given);
    return rc;
}

static const char *v_form_name(idc_comp_form f)
{
    return f == IDC_COMP_FRAME ? "frame" : (f == IDC_COMP_COVARIANCE ? "covariance" : "factor");
}

/* Per-component HOLDS evidence of P1nd (strict) or PD. */
int idc_v_components(vctx *V, const json_t *arr, const vcomp *c, int strict)
{
    size_t J = V->g->ncomp;
    slong m = (slong)V->g->dim;
    if (!json_is_array(arr) || json_array_size(arr) != J)
        return idc_vfail(V, "witness.components: expected %zu entries", J);
    unsigned char *seen = idc_calloc(J, 1);
    if (seen == NULL)
        return idc_vfail(V, "out of memory");
    int rc = IDC_OK;
    for (size_t t = 0; t < J && rc == IDC_OK; t++) {
        json_t *o = json_array_get(arr, t);
        slong j;
        if (!idc_vget_index(&j, o, "component", 0, (slong)J - 1) || seen[j]++) {
            rc = idc_vfail(V, "components[%zu]: missing or repeated component index", t);
            break;
        }
        const vcomp *x = &c[j];
        const char *form = json_string_value(json_object_get(o, "form"));
        if (form == NULL || strcmp(form, v_form_name(x->form)) != 0) {
            rc = idc_vfail(V, "components[%zu]: form does not match component %ld", t, (long)j);
            break;
        }
        if (x->form == IDC_COMP_COVARIANCE) {
            rc = v_pivots(V, json_object_get(o, "pivots"), x, j, strict);
            continue;
        }
        if (!strict)
            continue; /* L L^T is PSD for every L */
        mp_limb_t p;
        slong *cols = flint_malloc((size_t)m * sizeof(slong));
        if (!idc_vget_prime(&p, o))
            rc = idc_vfail(V, "components[%zu].prime: not an odd prime below 2^62", t);
        else if (x->r < m || !idc_vget_indices(cols, json_object_get(o, "cols"), m, x->r, 1))
            rc = idc_vfail(V, "components[%zu].cols: expected %ld distinct columns of L", t, (long)m);
        else {
            nmod_mat_t M;
            nmod_mat_init(M, m, m, p);
            for (slong a = 0; a < m && rc == IDC_OK; a++)
                for (slong b = 0; b < m && rc == IDC_OK; b++)
                    if (idc_dq_fmpq_nmod(&nmod_mat_entry(M, a, b), fmpq_mat_entry(x->L, a, cols[b]),
                                         M->mod) != IDC_OK)
                        rc = idc_vfail(V, "component %ld: L has no image mod %lu", (long)j, (unsigned long)p);
            if (rc == IDC_OK && nmod_mat_det(M) == 0)
                rc = idc_vfail(V, "component %ld: the m x m minor of L is zero mod %lu", (long)j,
                           (unsigned long)p);
            nmod_mat_clear(M);
        }
        flint_free(cols);
    }
    free(seen);
    return rc;
}

/* FAILS evidence of one component: singular (kernel) or indefinite. */
static int v_comp_fail(vctx *V, const json_t *w, const vcomp *c, int allow_singular)
{
    const char *why = json_string_value(json_object_get(w, "reason"));
    size_t J = V->g->ncomp;
    slong m = (slong)V->g->dim, j;
    if (!idc_vget_index(&j, w, "component", 0, (slong)J - 1))
        return idc_vfail(V, "witness.component: out of range");
    const vcomp *x = &c[j];
    fmpq_mat_t v;
    fmpq_mat_init(v, m, 1);
    fmpq_t q, a, t;
    fmpq_init(q);
    fmpq_init(a);
    fmpq_init(t);
    int rc = IDC_OK;
    if (why != NULL && strcmp(why, "singular") == 0 && allow_singular) {
        if (!idc_vget_qvec(v, json_object_get(w, "kernel"), m) || fmpq_mat_is_zero(v))
            rc = idc_vfail(V, "witness.kernel: expected a nonzero vector of %ld rationals", (long)m);
        /* Sigma v = 0; for factor forms L^T v = 0 is equivalent */
        else if (x->form == IDC_COMP_COVARIANCE) {
            for (slong i = 0; i < m && rc == IDC_OK; i++) {
                fmpq_zero(q);
                for (slong k = 0; k < m; k++)
                    fmpq_addmul(q, fmpq_mat_entry(x->S, i, k), fmpq_mat_entry(v, k, 0));
                if (!fmpq_is_zero(q))
                    rc = idc_vfail(V, "component %ld: Sigma v != 0 (row %ld)", (long)j, (long)i);
            }
        } else {
            for (slong k = 0; k < x->r && rc == IDC_OK; k++) {
                fmpq_zero(q);
                for (slong i = 0; i < m; i++)
                    fmpq_addmul(q, fmpq_mat_entry(x->L, i, k), fmpq_mat_entry(v, i, 0));
                if (!fmpq_is_zero(q))
                    rc = idc_vfail(V, "component %ld: L^T v != 0 (column %ld)", (long)j, (long)k);
            }
        }
    } else if (why != NULL && strcmp(why, "indefinite") == 0) {
        if (!idc_vget_qvec(v, json_object_get(w, "vector"), m) || !idc_vget_q(a, w, "value"))
            rc = idc_vfail(V, "witness.vector / witness.value: malformed");
        else {
            for (slong s = 0; s < m; s++)
                for (slong u = 0; u < m; u++) {
                    idc_v_sigma(t, x, s, u);
                    fmpq_mul(t, t, fmpq_mat_entry(v, s, 0));
                    fmpq_addmul(q, t, fmpq_mat_entry(v, u, 0));
                }
            if (!fmpq_equal(q, a))
                rc = idc_vfail(V, "component %ld: v^T Sigma v is not the claimed value", (long)j);
            else if (fmpq_sgn(q) >= 0)
                rc = idc_vfail(V, "component %ld: v^T Sigma v is not negative", (long)j);
        }
    } else {
        rc = idc_vfail(V, "unknown FAILS reason");
    }
    fmpq_clear(q);
    fmpq_clear(a);
    fmpq_clear(t);
    fmpq_mat_clear(v);
    return rc;
}

static int v_prior(vctx *V, const char *id, idc_verdict v, const char *method, const json_t *w)
{
    static const char *const methods[] = {"reduced-form", "reduced-form+nondegenerate", "reduced-form+psd"};
    int fam = strcmp(id, "P1") == 0 ? 0 : (strcmp(id, "P1nd") == 0 ? 1 : 2);
    if (strcmp(method, methods[fam]) != 0)
        return idc_vfail(V, "%s: unknown method %s", id, method);
    vcomp *c = idc_v_load_all(V);
    if (c == NULL)
        return IDC_EDOM;
    int rc;
    if (fam == 0) {
        rc = v_p1(V, v, w, c);
    } else if (v == IDC_HOLDS) {
        rc = v_p1(V, IDC_HOLDS, json_object_get(w, "reduced_form"), c);
        if (rc == IDC_OK)
            rc = idc_v_components(V, json_object_get(w, "components"), c, fam == 1);
    } else {
        const char *why = json_string_value(json_object_get(w, "reason"));
        if (why != NULL && strcmp(why, "P1") == 0)
            rc = v_p1(V, IDC_FAILS, json_object_get(w, "p1"), c);
        else
            rc = v_comp_fail(V, w, c, fam == 1);
    }
    idc_v_free_all(c, V->g->ncomp);
    return rc;
}

/* ---- P2 (verifier's own; see theory/check/pre_p2.c for the format) --------------------- */

/* 1 when a_t b_s == a_s b_t for the diagonals of components a and b. */
static int v_tie(const vcomp *A, const vcomp *B, slong t, slong s)
{
    fmpq_t at, as, bt, bs;
    fmpq_init(at);
    fmpq_init(as);
    fmpq_init(bt);
    fmpq_init(bs);
    idc_v_sigma(at, A, t, t);
    idc_v_sigma(as, A, s, s);
    idc_v_sigma(bt, B, t, t);
    idc_v_sigma(bs, B, s, s);
    fmpq_mul(at, at, bs);
    fmpq_mul(as, as, bt);
    int tie = fmpq_equal(at, as);
    fmpq_clear(at);
    fmpq_clear(as);
    fmpq_clear(bt);
    fmpq_clear(bs);
    return tie;
}

static int v_p2(vctx *V, idc_verdict v, const char *method, const json_t *w)
{
    if (strcmp(method, "diagonal-ratios") != 0)
        return idc_vfail(V, "P2: unknown method %s", method);
    vcomp *c = idc_v_load_all(V);
    if (c == NULL)
        return IDC_EDOM;
    size_t J = V->g->ncomp;
    slong m = (slong)V->g->dim;
    fmpq_t q, claimed;
    fmpq_init(q);
    fmpq_init(claimed);
    int rc = IDC_OK;
    const char *why = json_string_value(json_object_get(w, "reason"));
    if (v == IDC_HOLDS) {
        slong ab[2];
        if (!idc_vget_indices(ab, json_object_get(w, "pair"), 2, (slong)J, 1))
            rc = idc_vfail(V, "P2: witness.pair: expected two distinct component indices");
        for (size_t j = 0; j < J && rc == IDC_OK; j++)
            for (slong i = 0; i < m && rc == IDC_OK; i++)
                for (slong k = 0; k < m && rc == IDC_OK; k++) {
                    if (i == k)
                        continue;
                    idc_v_sigma(q, &c[j], i, k);
                    if (!fmpq_is_zero(q))
                        rc = idc_vfail(V, "P2: Sigma_%zu is not diagonal at (%ld,%ld)", j, (long)i, (long)k);
                }
        /* the ratios (Sigma_a)_tt / (Sigma_b)_tt must exist (pre_p2.c) */
        for (slong t = 0; t < m && rc == IDC_OK; t++) {
            idc_v_sigma(q, &c[ab[1]], t, t);
            if (fmpq_is_zero(q))
                rc = idc_vfail(V, "P2: ratio %ld is undefined: Sigma_%ld[%ld,%ld] = 0 (denominator)", (long)t,
                               (long)ab[1], (long)t, (long)t);
        }
        for (slong t = 0; t < m && rc == IDC_OK; t++)
            for (slong s = t + 1; s < m && rc == IDC_OK; s++)
                if (v_tie(&c[ab[0]], &c[ab[1]], t, s))
                    rc = idc_vfail(V, "P2: ratios %ld and %ld of the pair are equal", (long)t, (long)s);
    } else if (why != NULL && strcmp(why, "offdiag") == 0) {
        slong j, ik[2];
        if (!idc_vget_index(&j, w, "component", 0, (slong)J - 1) ||
            !idc_vget_indices(ik, json_object_get(w, "entry"), 2, m, 1) || !idc_vget_q(claimed, w, "value"))
            rc = idc_vfail(V, "P2: offdiag witness malformed");
        else {
            idc_v_sigma(q, &c[j], ik[0], ik[1]);
            if (fmpq_is_zero(q) || !fmpq_equal(q, claimed))
                rc = idc_vfail(V, "P2: Sigma_%ld entry (%ld,%ld) is not the claimed nonzero value", (long)j,
                               (long)ik[0], (long)ik[1]);
        }
    } else if (why != NULL && strcmp(why, "single-component") == 0) {
        if (J != 1)
            rc = idc_vfail(V, "P2: the model has %zu components, not 1", J);
    } else if (why != NULL && strcmp(why, "ties") == 0) {
        json_t *ties = json_object_get(w, "ties");
        size_t npairs = J * (J - 1) / 2;
        unsigned char *seen = idc_calloc(npairs ? npairs : 1, 1);
        if (!json_is_array(ties) || json_array_size(ties) != npairs || seen == NULL)
            rc = idc_vfail(V, "P2: witness.ties: expected one tie for each of the %zu pairs", npairs);
        for (size_t i = 0; i < npairs && rc == IDC_OK; i++) {
            json_t *o = json_array_get(ties, i), *zero = json_object_get(o, "zero");
            slong ab[2], t = 0, s = 0, z[2];
            if (!idc_vget_indices(ab, json_object_get(o, "pair"), 2, (slong)J, 1) || ab[0] >= ab[1] ||
                (zero != NULL ? !idc_vget_indices(z, zero, 2, m, 0)
                              : (!idc_vget_index(&t, o, "t", 0, m - 1) ||
                                 !idc_vget_index(&s, o, "s", 0, m - 1) || t == s))) {
                rc = idc_vfail(V, "P2: ties[%zu]: malformed", i);
                break;
            }
            size_t key = (size_t)ab[0] * J + (size_t)ab[1] - (size_t)(ab[0] + 1) * (size_t)(ab[0] + 2) / 2;
            if (seen[key]++) {
                rc = idc_vfail(V, "P2: ties[%zu]: pair listed twice", i);
            } else if (zero != NULL) {
                /* a zero variance on both sides: no ratio of the pair, in
                 * either order, is defined in every coordinate */
                fmpq_t za;
                fmpq_init(za);
                idc_v_sigma(q, &c[ab[0]], z[0], z[0]);
                idc_v_sigma(za, &c[ab[1]], z[1], z[1]);
                if (!fmpq_is_zero(q) || !fmpq_is_zero(za))
                    rc =
                        idc_vfail(V, "P2: ties[%zu]: Sigma_%ld[%ld,%ld] or Sigma_%ld[%ld,%ld] is not zero", i,
                                  (long)ab[0], (long)z[0], (long)z[0], (long)ab[1], (long)z[1], (long)z[1]);
                fmpq_clear(za);
            } else if (!v_tie(&c[ab[0]], &c[ab[1]], t, s))
                rc = idc_vfail(V, "P2: ties[%zu]: ratios %ld and %ld of pair (%ld,%ld) differ", i, (long)t,
                               (long)s, (long)ab[0], (long)ab[1]);
        }
        free(seen);
    } else {
        rc = idc_vfail(V, "P2: unknown FAILS reason");
    }
    fmpq_clear(q);
    fmpq_clear(claimed);
    idc_v_free_all(c, J);
    return rc;
}

/* ---- A3.8 (verifier's own; see theory/check/pre_a38.c for the format) ----------------- */

/* Recomputes the supports (J x m flags) and checks the claimed ones. */
static unsigned char *v_supports(vctx *V, const vcomp *c, const json_t *claimed)
{
    size_t J = V->g->ncomp, m = V->g->dim;
    unsigned char *in = idc_calloc(J * m, 1);
    if (in == NULL) {
        idc_vfail(V, "out of memory");
        return NULL;
    }
    fmpq_t q;
    fmpq_init(q);
    int ok = json_is_array(claimed) && json_array_size(claimed) == J;
    for (size_t j = 0; j < J && ok; j++) {
        json_t *b = json_array_get(claimed, j);
        size_t n = 0;
        for (size_t i = 0; i < m; i++) {
            idc_v_sigma(q, &c[j], (slong)i, (slong)i);
            in[j * m + i] = !fmpq_is_zero(q);
            if (in[j * m + i]) {
                json_t *e = json_array_get(b, n++);
                ok &= json_is_integer(e) && json_integer_value(e) == (json_int_t)i;
            }
        }
        ok &= json_is_array(b) && json_array_size(b) == n;
    }
    fmpq_clear(q);
    if (!ok) {
        free(in);
        idc_vfail(V, "A3.8: witness.supports are not the supports of the model's covariances");
        return NULL;
    }
    return in;
}

/* 1 when Sigma_j on its support has all Schur pivots positive. */
static int v_nonsingular_on(const vcomp *c, const unsigned char *in, slong m)
{
    slong k = 0;
    for (slong i = 0; i < m; i++)
        k += in[i];
    if (k == 0)
        return 1;
    if (c->form != IDC_COMP_COVARIANCE) {
        /* Sigma[B,B] = L_B L_B^T is nonsingular iff the rows B of L are
         * independent: one exact rank of a k x r matrix, no products. */
        if (c->r < k)
            return 0;
        fmpq_mat_t LB, E;
        fmpq_mat_init(LB, k, c->r);
        fmpq_mat_init(E, k, c->r);
        slong a = 0;
        for (slong i = 0; i < m; i++)
            if (in[i]) {
                for (slong q = 0; q < c->r; q++)
                    fmpq_set(fmpq_mat_entry(LB, a, q), fmpq_mat_entry(c->L, i, q));
                a++;
            }
        int full = fmpq_mat_rref(E, LB) == k;
        fmpq_mat_clear(LB);
        fmpq_mat_clear(E);
        return full;
    }
    fmpq_mat_t R;
    fmpq_mat_init(R, k, k);
    slong a = 0;
    for (slong i = 0; i < m; i++) {
        if (!in[i])
            continue;
        slong b = 0;
        for (slong l = 0; l < m; l++)
            if (in[l])
                idc_v_sigma(fmpq_mat_entry(R, a, b++), c, i, l);
        a++;
    }
    fmpq *piv = _fmpq_vec_init(k);
    int ok = v_schur(piv, R);
    for (slong i = 0; i < k && ok; i++)
        ok = fmpq_sgn(piv + i) > 0;
    _fmpq_vec_clear(piv, k);
    fmpq_mat_clear(R);
    return ok;
}

static int v_a38(vctx *V, const char *id, idc_verdict v, const char *method, const json_t *w)
{
    if (strcmp(method, "coordinate-supports") != 0)
        return idc_vfail(V, "%s: unknown method %s", id, method);
    vcomp *c = idc_v_load_all(V);
    if (c == NULL)
        return IDC_EDOM;
    size_t J = V->g->ncomp, m = V->g->dim;
    unsigned char *in = v_supports(V, c, json_object_get(w, "supports"));
    int rc = in == NULL ? IDC_EDOM : IDC_OK;
    fmpq_t q, claimed;
    fmpq_init(q);
    fmpq_init(claimed);
    const char *why = json_string_value(json_object_get(w, "reason"));
    if (rc != IDC_OK) {
        /* reason already set */
    } else if (strcmp(id, "A3.8a") == 0 && v == IDC_HOLDS) {
        for (size_t j = 0; j < J && rc == IDC_OK; j++) {
            for (size_t i = 0; i < m && rc == IDC_OK; i++) {
                if (in[j * m + i])
                    continue;
                if (!fmpq_is_zero(fmpq_mat_entry(c[j].mu, (slong)i, 0)))
                    rc = idc_vfail(V, "A3.8a: component %zu: mean coordinate %zu is not 0", j, i);
                for (size_t k = 0; k < m && rc == IDC_OK; k++) {
                    idc_v_sigma(q, &c[j], (slong)i, (slong)k);
                    if (!fmpq_is_zero(q))
                        rc = idc_vfail(V, "A3.8a: component %zu: Sigma row %zu is not 0 off the support", j, i);
                }
            }
            if (rc == IDC_OK && !v_nonsingular_on(&c[j], in + j * m, (slong)m))
                rc = idc_vfail(V, "A3.8a: component %zu: Sigma is singular on its support", j);
        }
    } else if (strcmp(id, "A3.8a") == 0 && why != NULL && strcmp(why, "mean-outside") == 0) {
        slong j, i;
        if (!idc_vget_index(&j, w, "component", 0, (slong)J - 1) || !idc_vget_index(&i, w, "index", 0, (slong)m - 1) ||
            !idc_vget_q(claimed, w, "value"))
            rc = idc_vfail(V, "A3.8a: mean-outside witness malformed");
        else if (in[(size_t)j * m + (size_t)i] || fmpq_is_zero(fmpq_mat_entry(c[j].mu, i, 0)) ||
                 !fmpq_equal(claimed, fmpq_mat_entry(c[j].mu, i, 0)))
            rc = idc_vfail(V, "A3.8a: component %ld: coordinate %ld is on the support or the mean is not the "
                          "claimed nonzero value", (long)j, (long)i);
    } else if (strcmp(id, "A3.8a") == 0 && why != NULL && strcmp(why, "singular-on-support") == 0) {
        slong j;
        if (!idc_vget_index(&j, w, "component", 0, (slong)J - 1))
            rc = idc_vfail(V, "A3.8a: witness.component out of range");
        else if (v_nonsingular_on(&c[j], in + (size_t)j * m, (slong)m))
            rc = idc_vfail(V, "A3.8a: component %ld is nonsingular on its support", (long)j);
    } else if (strcmp(id, "A3.8b") == 0 && v == IDC_HOLDS) {
        json_t *cover = json_object_get(w, "cover");
        unsigned char *seen = idc_calloc(m * m, 1);
        if (seen == NULL || !json_is_array(cover) || json_array_size(cover) != m * (m - 1))
            rc = idc_vfail(V, "A3.8b: witness.cover: expected %zu entries", m * (m - 1));
        for (size_t t = 0; t < json_array_size(cover) && rc == IDC_OK; t++) {
            slong ikj[3];
            json_t *e = json_array_get(cover, t);
            int ok = json_is_array(e) && json_array_size(e) == 3;
            for (size_t a = 0; a < 3 && ok; a++) {
                json_t *x = json_array_get(e, a);
                json_int_t hi = a == 2 ? (json_int_t)J : (json_int_t)m;
                ok = json_is_integer(x) && json_integer_value(x) >= 0 && json_integer_value(x) < hi;
                if (ok)
                    ikj[a] = (slong)json_integer_value(x);
            }
            if (!ok || ikj[0] == ikj[1]) {
                rc = idc_vfail(V, "A3.8b: cover[%zu]: malformed", t);
                break;
            }
            size_t i = (size_t)ikj[0], k = (size_t)ikj[1], j = (size_t)ikj[2];
            if (seen[i * m + k]++)
                rc = idc_vfail(V, "A3.8b: cover[%zu]: pair listed twice", t);
            else if (in[j * m + i] || !in[j * m + k])
                rc = idc_vfail(V, "A3.8b: cover[%zu]: component %zu does not separate %zu from %zu", t, j, k, i);
        }
        free(seen);
    } else if (strcmp(id, "A3.8b") == 0 && v == IDC_FAILS) {
        slong i = 0, k = 0;
        if (!idc_vget_index(&i, w, "i", 0, (slong)m - 1) || !idc_vget_index(&k, w, "k", 0, (slong)m - 1) || i == k)
            rc = idc_vfail(V, "A3.8b: witness i, k malformed");
        for (size_t j = 0; j < J && rc == IDC_OK; j++)
            if (!in[j * m + (size_t)i] && in[j * m + (size_t)k])
                rc = idc_vfail(V, "A3.8b: component %zu covers %ld without %ld", j, (long)k, (long)i);
    } else {
        rc = idc_vfail(V, "%s: unknown witness", id);
    }
    fmpq_clear(q);
    fmpq_clear(claimed);
    free(in);
    idc_v_free_all(c, J);
    return rc;
}

/* ---- shared by the per-precondition verifier files ------------------------ */

/* det of the rows x cols double matrix a restricted to the given columns
 * (all rows; ncols == rows) is nonzero mod p. */
int idc_v_minor_nonzero(const double *a, size_t rows, size_t cols, const slong *sel, mp_limb_t p)
{
    nmod_mat_t M;
    nmod_mat_init(M, (slong)rows, (slong)rows, p);
    int ok = 1;
    for (size_t i = 0; i < rows && ok; i++)
        for (size_t k = 0; k < rows && ok; k++)
            ok = idc_dq_nmod(&nmod_mat_entry(M, (slong)i, (slong)k), a[i * cols + (size_t)sel[k]], M->mod) == IDC_OK;
    ok = ok && nmod_mat_det(M) != 0;
    nmod_mat_clear(M);
    return ok;
}

/* A spanning set of the directions V_j = col Sigma_j = col L_j. */
const fmpq_mat_struct *idc_v_dirs(const vcomp *c)
{
    return c->form == IDC_COMP_COVARIANCE ? c->S : c->L;
}

/* ---- entry points ---------------------------------------------------------------- */

static int verify(vctx *V, const json_t *cert, const char *hash)
{
    if (!json_is_object(cert))
        return idc_vfail(V, "certificate: expected a JSON object");
    json_t *fmt = json_object_get(cert, "idcheck_cert");
    if (!json_is_integer(fmt) || json_integer_value(fmt) != IDC_CERT_FORMAT)
        return idc_vfail(V, "idcheck_cert: unsupported certificate format (expected %d)", IDC_CERT_FORMAT);
    const char *id = json_string_value(json_object_get(cert, "precondition"));
    const char *vs = json_string_value(json_object_get(cert, "verdict"));
    const char *method = json_string_value(json_object_get(cert, "method"));
    json_t *w = json_object_get(cert, "witness");
    json_t *h = json_object_get(cert, "model_hash");
    idc_verdict v;
    if (id == NULL)
        return idc_vfail(V, "precondition: missing");
    if (vs == NULL || idc_verdict_parse(&v, vs) != IDC_OK)
        return idc_vfail(V, "verdict: expected HOLDS or FAILS");
    if (v == IDC_UNKNOWN)
        return idc_vfail(V, "verdict: UNKNOWN carries no certificate");
    if (method == NULL || !json_is_object(w))
        return idc_vfail(V, "method / witness: missing");
    if (hash != NULL) {
        const char *ch = json_string_value(h);
        if (ch == NULL || strcmp(ch, hash) != 0)
            return idc_vfail(V, "model_hash: certificate is for another model");
    }
    if (strcmp(id, "DIM") == 0 && strcmp(method, "dims") == 0)
        return v_dim(V, v, w);
    if (strcmp(id, "DIMU1") == 0 && strcmp(method, "data-model") == 0) {
        slong J;
        if (V->g == NULL || v != IDC_HOLDS || !idc_vget_index(&J, w, "J", 1, WORD_MAX) || (size_t)J != V->g->ncomp)
            return idc_vfail(V, "DIMU1: witness.J does not match the model");
        return IDC_OK;
    }
    if (strcmp(id, "I-i") == 0 && strcmp(method, "gaussian-noise") == 0) {
        fmpq_t s, t;
        fmpq_init(s);
        fmpq_init(t);
        int rc = IDC_OK;
        if (v != IDC_HOLDS || !idc_vget_q(s, w, "sigma") || fmpq_sgn(s) < 0)
            rc = idc_vfail(V, "I-i: witness.sigma: expected a rational >= 0");
        else if (V->noise != NULL && (idc_dq_fmpq_set_d(t, *V->noise) != IDC_OK || !fmpq_equal(s, t)))
            rc = idc_vfail(V, "I-i: witness.sigma is not the model's noise level");
        fmpq_clear(s);
        fmpq_clear(t);
        return rc;
    }
    if (strcmp(id, "NOISE0") == 0 && strcmp(method, "noise-level") == 0) {
        /* sigma = 0 exactly or not: the verdict is re-derived from the
         * instance's own noise level, so the instance is required */
        fmpq_t s, t;
        fmpq_init(s);
        fmpq_init(t);
        int rc = IDC_OK;
        if (V->noise == NULL)
            rc = idc_vfail(V, "NOISE0: needs the instance's noise level");
        else if (!idc_vget_q(s, w, "sigma") || fmpq_sgn(s) < 0)
            rc = idc_vfail(V, "NOISE0: witness.sigma: expected a rational >= 0");
        else if (idc_dq_fmpq_set_d(t, *V->noise) != IDC_OK || !fmpq_equal(s, t))
            rc = idc_vfail(V, "NOISE0: witness.sigma is not the model's noise level");
        else if ((v == IDC_HOLDS) != fmpq_is_zero(s))
            rc = idc_vfail(V, "NOISE0: verdict %s does not match sigma", idc_verdict_name(v));
        fmpq_clear(s);
        fmpq_clear(t);
        return rc;
    }
    if (strcmp(id, "F1") == 0 && strcmp(method, "by-construction") == 0)
        return v_f1(V, v, w);
    if (strcmp(id, "FC") == 0)
        return v_fc(V, v, method, w);
    if (strcmp(id, "F4") == 0)
        return v_f4(V, v, method, w);
    if ((strcmp(id, "F2") == 0 || strcmp(id, "F3") == 0) && strcmp(method, "implied-by-F4") == 0) {
        /* F4 => F3 => F2 for piecewise-affine f: the nested certificate must be
         * a valid F4 HOLDS certificate for the same model. */
        json_t *inner = json_object_get(w, "F4");
        const char *iid = json_string_value(json_object_get(inner, "precondition"));
        const char *iv = json_string_value(json_object_get(inner, "verdict"));
        if (v != IDC_HOLDS || iid == NULL || strcmp(iid, "F4") != 0 || iv == NULL || strcmp(iv, "HOLDS") != 0)
            return idc_vfail(V, "%s: witness.F4 must be an F4 HOLDS certificate", id);
        return verify(V, inner, hash);
    }
    if (strcmp(id, "I-ii") == 0 || strcmp(id, "I-iii") == 0 || strcmp(id, "I-T2") == 0)
        return idc_v_ivae(V, id, v, method, w);
    if (strcmp(id, "F2") == 0 || strcmp(id, "F3") == 0)
        return idc_v_f23(V, id, v, method, w);
    if (strcmp(id, "P1") == 0 || strcmp(id, "P1nd") == 0 || strcmp(id, "PD") == 0)
        return v_prior(V, id, v, method, w);
    if (strcmp(id, "P2") == 0)
        return v_p2(V, v, method, w);
    if (strcmp(id, "A3.8a") == 0 || strcmp(id, "A3.8b") == 0)
        return v_a38(V, id, v, method, w);
    if (strcmp(id, "A3.6") == 0)
        return idc_v_a36(V, v, method, w);
    if (strcmp(id, "A3.4") == 0)
        return idc_v_a34(V, v, method, w);
    return idc_vfail(V, "no verifier for precondition %s with method %s", id, method);
}

int idc_cert_verify_parts(const json_t *cert, const idc_pdgmm *g, const idc_pamap *f, const char *hash,
                          char *reason, size_t reason_len)
{
    vctx V = {g, f, NULL, -1, reason, reason_len};
    if (reason != NULL && reason_len > 0)
        reason[0] = '\0';
    return verify(&V, cert, hash);
}

int idc_cert_verify_hashed(const json_t *cert, const idc_instance *inst, const char *hash, char *reason,
                           size_t reason_len)
{
    if (reason != NULL && reason_len > 0)
        reason[0] = '\0';
    vctx V = {&inst->prior, &inst->map, &inst->noise_sigma, (int)inst->aux, reason, reason_len};
    return verify(&V, cert, hash);
}

int idc_cert_verify(const json_t *cert, const idc_instance *inst, char *reason, size_t reason_len)
{
    char hash[65];
    idc_err err;
    int rc = idc_instance_hash(hash, inst, &err);
    if (rc != IDC_OK) {
        if (reason != NULL && reason_len > 0)
            snprintf(reason, reason_len, "%s", err.msg);
        return rc;
    }
    return idc_cert_verify_hashed(cert, inst, hash, reason, reason_len);
}
