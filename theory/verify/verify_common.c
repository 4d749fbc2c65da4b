/* The verifier's shared helpers (theory/verify/verify_impl.h): witness
 * parsing, the failure reason, the verifier's own exact forward pass of the
 * map and well-formedness check, the exact component data of the prior,
 * and determinants mod p. Nothing here is shared with the checkers except
 * the dq conversions (numeric/dq.h). */
#include "theory/verify/verify_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flint/nmod_mat.h>
#include <flint/ulong_extras.h>

#include "numeric/dq.h"
#include "theory/verify.h"

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

size_t idc_v_table_piece(const idc_pamap *f, const fmpq_t t)
{
    fmpq_t e;
    fmpq_init(e);
    size_t p = 0;
    for (; p + 1 < f->npieces; p++) {
        idc_dq_fmpq_set_finite_d(e, f->breaks[p]);
        if (fmpq_cmp(t, e) < 0)
            break; /* t < t_p: piece p */
    }
    fmpq_clear(e);
    return p;
}

/* y = f(x) exactly; x has in_dim entries, y out_dim entries (fmpq arrays). */
void idc_v_eval(fmpq *y, const idc_pamap *f, const fmpq *x)
{
    fmpq_t t, e;
    fmpq_init(t);
    fmpq_init(e);
    if (f->kind == IDC_MAP_PWL1) {
        size_t p = idc_v_table_piece(f, x);
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

/* Schur pivots of a symmetric rational matrix by plain rational elimination
 * (verifier's own). Returns 1 when PSD (zero pivots need zero rows), with
 * piv[0..m) set; 0 otherwise. */
int idc_v_schur(fmpq *piv, const fmpq_mat_t S0)
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

int idc_v_end_sign(const fmpq_t alpha, const fmpq_t beta, int end, const fmpq_t t)
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

slong idc_v_rank(const fmpq_mat_t A)
{
    fmpq_mat_t R;
    fmpq_mat_init(R, A->r, A->c);
    slong r = fmpq_mat_rref(R, A);
    fmpq_mat_clear(R);
    return r;
}
