/* Preconditions on the latent mixture (THEORY.md §3, "Prior / latent"):
 *   P1   K: Z is a finite GMM in reduced form (all lambda_j > 0, the pairs
 *        (mu_j, Sigma_j) pairwise distinct; THEORY.md §1).
 *   P1nd K's proofs (Thm 3.9 setting): P1 and every Sigma_j positive definite.
 *   PD   X §3 (pdGMM): P1 with Sigma_j PSD, possibly singular.
 * Everything is decided exactly over Q on the declared component data
 * (CERTIFICATES.md §0, §7); the certificates are documented in cert.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <flint/fmpz.h>

#include "numeric/dq.h"
#include "numeric/qmat.h"
#include "theory/cert.h"
#include "theory/precond.h"

#define SRC_P1 "K Sec. 2 (GMM prior, reduced form)"
#define SRC_P1ND "K Thm 3.9 (non-degenerate components)"
#define SRC_PD "X Sec. 3 (pdGMM, reduced form)"

/* ---- exact component data ---------------------------------------------- */

static int bad_number(idc_err *err, size_t j, const char *field)
{
    return idc_err_set(err, IDC_EINVAL, "model.components[%zu].%s: not a finite number", j, field);
}

int idc_pdgmm_exact_mean(fmpq_mat_t mu, const idc_pdgmm *g, size_t j)
{
    size_t m = g->dim;
    if (j >= g->ncomp || mu->r != (slong)m || mu->c != 1)
        return IDC_EINVAL;
    const idc_component *c = &g->comp[j];
    if (c->form != IDC_COMP_FRAME)
        return idc_dq_fmpq_mat_set_d(mu, c->mean, m, 1);
    if (!g->has_frame || g->frame_basis == NULL || g->frame_translation == NULL)
        return IDC_EINVAL;
    fmpq_t t, x;
    fmpq_init(t);
    fmpq_init(x);
    int rc = IDC_OK;
    for (size_t i = 0; i < m && rc == IDC_OK; i++) {
        fmpq *e = fmpq_mat_entry(mu, (slong)i, 0);
        rc = idc_dq_fmpq_set_d(e, g->frame_translation[i]);
        for (size_t a = 0; a < c->nsupport && rc == IDC_OK; a++) {
            if (c->support[a] >= m) {
                rc = IDC_EINVAL;
                break;
            }
            rc = idc_dq_fmpq_set_d(t, g->frame_basis[i * m + c->support[a]]);
            if (rc == IDC_OK)
                rc = idc_dq_fmpq_set_d(x, c->frame_mean[a]);
            fmpq_mul(t, t, x);
            fmpq_add(e, e, t);
        }
    }
    fmpq_clear(t);
    fmpq_clear(x);
    return rc;
}

int idc_pdgmm_exact_factor(fmpq_mat_t L, const idc_pdgmm *g, size_t j)
{
    size_t m = g->dim;
    if (j >= g->ncomp)
        return IDC_EINVAL;
    const idc_component *c = &g->comp[j];
    size_t r = c->rank;
    if (L->r != (slong)m || L->c != (slong)r || c->form == IDC_COMP_COVARIANCE)
        return IDC_EINVAL;
    if (c->form == IDC_COMP_FACTOR)
        return r == 0 ? IDC_OK : idc_dq_fmpq_mat_set_d(L, c->L, m, r);
    if (!g->has_frame || g->frame_basis == NULL)
        return IDC_EINVAL;
    size_t ns = c->nsupport;
    fmpq_mat_t Bs, C;
    fmpq_mat_init(Bs, (slong)m, (slong)ns);
    fmpq_mat_init(C, (slong)ns, (slong)r);
    int rc = IDC_OK;
    for (size_t i = 0; i < m && rc == IDC_OK; i++)
        for (size_t a = 0; a < ns && rc == IDC_OK; a++)
            rc = c->support[a] < m ? idc_dq_fmpq_set_d(fmpq_mat_entry(Bs, (slong)i, (slong)a),
                                                       g->frame_basis[i * m + c->support[a]])
                                   : IDC_EINVAL;
    if (rc == IDC_OK && r > 0)
        rc = idc_dq_fmpq_mat_set_d(C, c->frame_L, ns, r);
    if (rc == IDC_OK && r > 0)
        fmpq_mat_mul(L, Bs, C);
    fmpq_mat_clear(Bs);
    fmpq_mat_clear(C);
    return rc;
}

int idc_pdgmm_exact_sigma(fmpq_mat_t S, const idc_pdgmm *g, size_t j)
{
    size_t m = g->dim;
    if (j >= g->ncomp || S->r != (slong)m || S->c != (slong)m)
        return IDC_EINVAL;
    const idc_component *c = &g->comp[j];
    if (c->form == IDC_COMP_COVARIANCE)
        return c->sigma == NULL ? IDC_EINVAL : idc_dq_fmpq_mat_set_d(S, c->sigma, m, m);
    fmpq_mat_t L, LT;
    fmpq_mat_init(L, (slong)m, (slong)c->rank);
    fmpq_mat_init(LT, (slong)c->rank, (slong)m);
    int rc = idc_pdgmm_exact_factor(L, g, j);
    if (rc == IDC_OK) {
        fmpq_mat_transpose(LT, L);
        fmpq_mat_mul(S, L, LT);
    }
    fmpq_mat_clear(L);
    fmpq_mat_clear(LT);
    return rc;
}

/* Cached exact data of one component. */
typedef struct {
    idc_comp_form form;
    slong r;
    fmpq_mat_t mu; /* m x 1 */
    fmpq_mat_t L;  /* m x r for factor forms, else 0 x 0 */
    fmpq_mat_t S;  /* m x m for COVARIANCE, else 0 x 0 */
} cx;

typedef struct {
    size_t m, J;
    cx *c;
} cxset;

static void cxset_clear(cxset *s)
{
    if (s->c != NULL)
        for (size_t j = 0; j < s->J; j++) {
            fmpq_mat_clear(s->c[j].mu);
            fmpq_mat_clear(s->c[j].L);
            fmpq_mat_clear(s->c[j].S);
        }
    free(s->c);
    memset(s, 0, sizeof *s);
}

/* Loads every component exactly. *over = 1 (nothing loaded) when the
 * entries exceed the budget cap. */
static int cxset_load(cxset *s, int *over, const idc_pdgmm *g, size_t cap, idc_err *err)
{
    memset(s, 0, sizeof *s);
    *over = 0;
    size_t m = g->dim, J = g->ncomp;
    if (m == 0 || J == 0 || g->comp == NULL)
        return idc_err_set(err, IDC_EINVAL, "model: empty mixture");
    size_t total = 0;
    for (size_t j = 0; j < J; j++) {
        const idc_component *c = &g->comp[j];
        size_t rr = c->form == IDC_COMP_COVARIANCE ? m : c->rank;
        total += m * (1 + rr);
        if (c->form == IDC_COMP_FRAME &&
            (!g->has_frame || g->frame_basis == NULL || g->frame_translation == NULL || c->support == NULL))
            return idc_err_set(err, IDC_EINVAL,
                               "model.components[%zu].support: frame component without model.frame", j);
        if (c->form == IDC_COMP_COVARIANCE && c->sigma == NULL)
            return idc_err_set(err, IDC_EINVAL, "model.components[%zu].Sigma: missing", j);
        if (c->form != IDC_COMP_FRAME && c->mean == NULL)
            return idc_err_set(err, IDC_EINVAL, "model.components[%zu].mean: missing", j);
    }
    if (total > cap) {
        *over = 1;
        return IDC_OK;
    }
    s->c = idc_calloc(J, sizeof *s->c);
    if (s->c == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    s->m = m;
    s->J = J;
    for (size_t j = 0; j < J; j++) {
        const idc_component *c = &g->comp[j];
        cx *x = &s->c[j];
        x->form = c->form;
        x->r = (slong)c->rank;
        int fac = c->form != IDC_COMP_COVARIANCE;
        fmpq_mat_init(x->mu, (slong)m, 1);
        fmpq_mat_init(x->L, fac ? (slong)m : 0, fac ? (slong)c->rank : 0);
        fmpq_mat_init(x->S, fac ? 0 : (slong)m, fac ? 0 : (slong)m);
    }
    for (size_t j = 0; j < J; j++) {
        const idc_component *c = &g->comp[j];
        cx *x = &s->c[j];
        if (idc_pdgmm_exact_mean(x->mu, g, j) != IDC_OK)
            return bad_number(err, j, c->form == IDC_COMP_FRAME ? "mean (or model.frame)" : "mean");
        if (c->form == IDC_COMP_COVARIANCE) {
            if (idc_dq_fmpq_mat_set_d(x->S, c->sigma, m, m) != IDC_OK)
                return bad_number(err, j, "Sigma");
            slong bi, bj;
            if (!idc_qmat_symmetric(&bi, &bj, x->S))
                return idc_err_set(
                    err, IDC_EINVAL,
                    "model.components[%zu].Sigma: not symmetric: entry [%ld][%ld] != [%ld][%ld]", j, (long)bi,
                    (long)bj, (long)bj, (long)bi);
        } else if (idc_pdgmm_exact_factor(x->L, g, j) != IDC_OK) {
            return bad_number(err, j, "L");
        }
    }
    return IDC_OK;
}

/* Sigma_{ab} of component x. */
static void sigma_entry(fmpq_t out, const cx *x, slong a, slong b)
{
    if (x->form == IDC_COMP_COVARIANCE) {
        fmpq_set(out, fmpq_mat_entry(x->S, a, b));
        return;
    }
    fmpq_t t;
    fmpq_init(t);
    fmpq_zero(out);
    for (slong k = 0; k < x->r; k++) {
        fmpq_mul(t, fmpq_mat_entry(x->L, a, k), fmpq_mat_entry(x->L, b, k));
        fmpq_add(out, out, t);
    }
    fmpq_clear(t);
}

/* First difference of (mu, upper triangle of Sigma row by row) between
 * components x and y. *found = 0 when equal; else the entry kind, index
 * and values (va, vb initialised) and *sign = sign(x - y) at it.
 * Returns IDC_OK or IDC_EUNABLE when the deadline passed. */
typedef struct {
    int found, sign, is_sigma;
    slong i, a, b;
} diff;

static int cx_diff(diff *d, fmpq_t va, fmpq_t vb, const cx *x, const cx *y, slong m, double deadline)
{
    d->found = 0;
    for (slong i = 0; i < m; i++) {
        int c = fmpq_cmp(fmpq_mat_entry(x->mu, i, 0), fmpq_mat_entry(y->mu, i, 0));
        if (c != 0) {
            d->found = 1;
            d->sign = c < 0 ? -1 : 1;
            d->is_sigma = 0;
            d->i = i;
            fmpq_set(va, fmpq_mat_entry(x->mu, i, 0));
            fmpq_set(vb, fmpq_mat_entry(y->mu, i, 0));
            return IDC_OK;
        }
    }
    for (slong a = 0; a < m; a++) {
        if (idc_budget_expired(deadline))
            return IDC_EUNABLE;
        for (slong b = a; b < m; b++) {
            sigma_entry(va, x, a, b);
            sigma_entry(vb, y, a, b);
            int c = fmpq_cmp(va, vb);
            if (c != 0) {
                d->found = 1;
                d->sign = c < 0 ? -1 : 1;
                d->is_sigma = 1;
                d->a = a;
                d->b = b;
                return IDC_OK;
            }
        }
    }
    return IDC_OK;
}

static json_t *diff_json(const diff *d, const fmpq_t va, const fmpq_t vb)
{
    json_t *o = json_object();
    json_object_set_new(o, "entry", json_string(d->is_sigma ? "sigma" : "mean"));
    json_t *idx = json_array();
    if (d->is_sigma) {
        json_array_append_new(idx, json_integer((json_int_t)d->a));
        json_array_append_new(idx, json_integer((json_int_t)d->b));
    } else {
        json_array_append_new(idx, json_integer((json_int_t)d->i));
    }
    json_object_set_new(o, "index", idx);
    json_t *vals = json_array();
    json_array_append_new(vals, idc_cert_json_fmpq(va));
    json_array_append_new(vals, idc_cert_json_fmpq(vb));
    json_object_set_new(o, "values", vals);
    return o;
}

/* Stable merge sort of idx[0..n) by cx_diff order (deadline-aware). */
typedef struct {
    const cxset *s;
    double deadline;
    int expired;
    fmpq_t va, vb;
} sortctx;

static int sort_less_eq(sortctx *sc, size_t p, size_t q)
{
    diff d;
    if (sc->expired)
        return 1;
    if (cx_diff(&d, sc->va, sc->vb, &sc->s->c[p], &sc->s->c[q], (slong)sc->s->m, sc->deadline) != IDC_OK) {
        sc->expired = 1;
        return 1;
    }
    return !d.found || d.sign < 0;
}

static int merge_sort(size_t *idx, size_t n, sortctx *sc)
{
    size_t *tmp = idc_calloc(n, sizeof *tmp);
    if (tmp == NULL)
        return IDC_ENOMEM;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi)
                tmp[k++] = sort_less_eq(sc, idx[a], idx[b]) ? idx[a++] : idx[b++];
            while (a < mid)
                tmp[k++] = idx[a++];
            while (b < hi)
                tmp[k++] = idx[b++];
        }
        memcpy(idx, tmp, n * sizeof *idx);
    }
    free(tmp);
    return IDC_OK;
}

/* The P1 decision. On return *v is set and *w holds the witness (HOLDS or
 * FAILS) or NULL (UNKNOWN, reason filled). */
static int p1_core(idc_verdict *v, json_t **w, char *reason, size_t rlen, const idc_pdgmm *g, const cxset *s,
                   double deadline, idc_err *err)
{
    size_t J = g->ncomp;
    slong m = (slong)g->dim;
    *w = NULL;
    *v = IDC_UNKNOWN;
    for (size_t j = 0; j < J; j++) {
        double wt = g->comp[j].weight;
        if (!isfinite(wt))
            return bad_number(err, j, "weight");
        if (!(wt > 0.0)) {
            *v = IDC_FAILS;
            *w = json_pack("{s:s,s:I,s:o}", "reason", "weight", "component", (json_int_t)j, "weight",
                           idc_cert_json_d(wt));
            snprintf(reason, rlen, "component %zu has weight %.17g <= 0 (not reduced form)", j, wt);
            return *w == NULL ? idc_err_set(err, IDC_ENOMEM, "out of memory") : IDC_OK;
        }
    }
    fmpq_t va, vb;
    fmpq_init(va);
    fmpq_init(vb);
    int rc = IDC_OK;
    *v = IDC_HOLDS;
    if (J <= IDC_P1_PAIRWISE_MAX) {
        json_t *pairs = json_array();
        for (size_t j = 0; j < J && *v == IDC_HOLDS; j++)
            for (size_t k = j + 1; k < J && *v == IDC_HOLDS; k++) {
                diff d;
                if (cx_diff(&d, va, vb, &s->c[j], &s->c[k], m, deadline) != IDC_OK) {
                    *v = IDC_UNKNOWN;
                    snprintf(reason, rlen, "time budget exhausted comparing components %zu and %zu", j, k);
                } else if (!d.found) {
                    *v = IDC_FAILS;
                    *w = json_pack("{s:s,s:[I,I]}", "reason", "duplicate", "components", (json_int_t)j,
                                   (json_int_t)k);
                    snprintf(reason, rlen,
                             "components %zu and %zu are equal (same mean and covariance, exactly)", j, k);
                } else {
                    json_t *o = diff_json(&d, va, vb);
                    json_object_set_new(o, "j", json_integer((json_int_t)j));
                    json_object_set_new(o, "k", json_integer((json_int_t)k));
                    json_array_append_new(pairs, o);
                }
            }
        if (*v == IDC_HOLDS)
            *w = json_pack("{s:o}", "pairs", pairs);
        else
            json_decref(pairs);
    } else {
        size_t *idx = idc_calloc(J, sizeof *idx);
        sortctx sc = {.s = s, .deadline = deadline, .expired = 0};
        fmpq_init(sc.va);
        fmpq_init(sc.vb);
        if (idx == NULL) {
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
        } else {
            for (size_t j = 0; j < J; j++)
                idx[j] = j;
            rc = merge_sort(idx, J, &sc);
            if (rc != IDC_OK)
                rc = idc_err_set(err, rc, "out of memory");
        }
        if (rc == IDC_OK && sc.expired) {
            *v = IDC_UNKNOWN;
            snprintf(reason, rlen, "time budget exhausted sorting %zu components", J);
        }
        if (rc == IDC_OK && *v == IDC_HOLDS) {
            json_t *links = json_array(), *order = json_array();
            for (size_t t = 0; t < J; t++)
                json_array_append_new(order, json_integer((json_int_t)idx[t]));
            for (size_t t = 0; t + 1 < J && *v == IDC_HOLDS; t++) {
                diff d;
                if (cx_diff(&d, va, vb, &s->c[idx[t]], &s->c[idx[t + 1]], m, deadline) != IDC_OK) {
                    *v = IDC_UNKNOWN;
                    snprintf(reason, rlen, "time budget exhausted checking the sorted chain");
                } else if (!d.found) {
                    size_t j = idx[t] < idx[t + 1] ? idx[t] : idx[t + 1];
                    size_t k = idx[t] < idx[t + 1] ? idx[t + 1] : idx[t];
                    *v = IDC_FAILS;
                    *w = json_pack("{s:s,s:[I,I]}", "reason", "duplicate", "components", (json_int_t)j,
                                   (json_int_t)k);
                    snprintf(reason, rlen,
                             "components %zu and %zu are equal (same mean and covariance, exactly)", j, k);
                } else if (d.sign > 0) {
                    rc = idc_err_set(err, IDC_EINTERNAL, "P1: sorted chain out of order");
                } else {
                    json_array_append_new(links, diff_json(&d, va, vb));
                }
            }
            if (rc == IDC_OK && *v == IDC_HOLDS)
                *w = json_pack("{s:{s:o,s:o}}", "chain", "order", order, "links", links);
            else {
                json_decref(order);
                json_decref(links);
            }
        }
        free(idx);
        fmpq_clear(sc.va);
        fmpq_clear(sc.vb);
    }
    if (rc == IDC_OK && *v == IDC_HOLDS)
        snprintf(reason, rlen, "J=%zu: every weight > 0 and the %zu components pairwise distinct (exact)", J,
                 J);
    if (rc == IDC_OK && *v != IDC_UNKNOWN && *w == NULL)
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    fmpq_clear(va);
    fmpq_clear(vb);
    return rc;
}

/* ---- per-component definiteness ---------------------------------------- */

enum { COMP_OK = 0, COMP_SINGULAR = 1, COMP_INDEFINITE = 2 };

static const char *form_name(idc_comp_form f)
{
    return f == IDC_COMP_FRAME ? "frame" : (f == IDC_COMP_COVARIANCE ? "covariance" : "factor");
}

/* Kernel of a matrix as a JSON vector (found must be 1 for a singular one). */
static int kernel_json(json_t **out, const fmpq_mat_t A)
{
    fmpz_mat_t v;
    fmpz_mat_init(v, A->c, 1);
    int found = 0;
    int rc = idc_qmat_kernel_vector(&found, v, A);
    *out = (rc == IDC_OK && found) ? idc_cert_json_fmpz_col(v, 0) : NULL;
    fmpz_mat_clear(v);
    if (rc == IDC_OK && !found)
        rc = IDC_EINTERNAL;
    return rc;
}

/* Covariance component: PSD pivots. *state = COMP_OK (PSD; *all_pos set),
 * COMP_INDEFINITE with *fail the witness object. */
static int cov_psd(int *state, int *all_pos, json_t **pivots_json, json_t **fail, const cx *x, size_t j)
{
    slong m = x->S->r;
    fmpq *piv = _fmpq_vec_init(m);
    fmpq_mat_t wv;
    fmpq_mat_init(wv, m, 1);
    int is_psd = 0;
    slong bad = -1;
    int rc = idc_qmat_psd(&is_psd, &bad, piv, wv, x->S);
    *pivots_json = NULL;
    *fail = NULL;
    if (rc == IDC_OK && is_psd) {
        *state = COMP_OK;
        *all_pos = 1;
        json_t *a = json_array();
        for (slong k = 0; k < m; k++) {
            if (fmpq_sgn(piv + k) <= 0)
                *all_pos = 0;
            json_array_append_new(a, idc_cert_json_fmpq(piv + k));
        }
        *pivots_json = a;
    } else if (rc == IDC_OK) {
        *state = COMP_INDEFINITE;
        fmpq_mat_t Sv;
        fmpq_mat_init(Sv, m, 1);
        fmpq_mat_mul(Sv, x->S, wv);
        fmpq_t q, t;
        fmpq_init(q);
        fmpq_init(t);
        for (slong i = 0; i < m; i++) {
            fmpq_mul(t, fmpq_mat_entry(wv, i, 0), fmpq_mat_entry(Sv, i, 0));
            fmpq_add(q, q, t);
        }
        *fail = json_pack("{s:s,s:I,s:o,s:o}", "reason", "indefinite", "component", (json_int_t)j, "vector",
                          idc_cert_json_fmpq_col(wv, 0), "value", idc_cert_json_fmpq(q));
        fmpq_clear(q);
        fmpq_clear(t);
        fmpq_mat_clear(Sv);
    }
    fmpq_mat_clear(wv);
    _fmpq_vec_clear(piv, m);
    return rc;
}

/* P1nd part of component j: *state and either *ok_json (COMP_OK) or
 * *fail (witness). */
static int nd_component(int *state, json_t **ok_json, json_t **fail, const cx *x, size_t j, slong m)
{
    *ok_json = NULL;
    *fail = NULL;
    if (x->form == IDC_COMP_COVARIANCE) {
        int all_pos = 0;
        json_t *piv = NULL;
        int rc = cov_psd(state, &all_pos, &piv, fail, x, j);
        if (rc != IDC_OK)
            return rc;
        if (*state == COMP_INDEFINITE)
            return IDC_OK;
        if (all_pos) {
            *ok_json =
                json_pack("{s:I,s:s,s:o}", "component", (json_int_t)j, "form", "covariance", "pivots", piv);
            return IDC_OK;
        }
        json_decref(piv);
        json_t *k = NULL;
        rc = kernel_json(&k, x->S);
        if (rc != IDC_OK)
            return rc;
        *state = COMP_SINGULAR;
        *fail = json_pack("{s:s,s:I,s:o}", "reason", "singular", "component", (json_int_t)j, "kernel", k);
        return IDC_OK;
    }
    if (x->r >= m) {
        slong *rows = flint_malloc((size_t)m * sizeof(slong));
        slong *cols = flint_malloc((size_t)m * sizeof(slong));
        int found = 0;
        mp_limb_t p = 0;
        int rc = idc_qmat_minor_find(&found, &p, rows, cols, x->L, m);
        if (rc == IDC_OK && found)
            *ok_json = json_pack("{s:I,s:s,s:I,s:o}", "component", (json_int_t)j, "form", form_name(x->form),
                                 "prime", (json_int_t)p, "cols", idc_cert_json_slongs(cols, m));
        flint_free(rows);
        flint_free(cols);
        if (rc != IDC_OK)
            return rc;
        if (found) {
            *state = COMP_OK;
            return IDC_OK;
        }
    }
    /* rank L < m: a kernel vector of L^T is a kernel vector of Sigma */
    fmpq_mat_t LT;
    fmpq_mat_init(LT, x->r, m);
    fmpq_mat_transpose(LT, x->L);
    json_t *k = NULL;
    int rc = kernel_json(&k, LT);
    fmpq_mat_clear(LT);
    if (rc != IDC_OK)
        return rc;
    *state = COMP_SINGULAR;
    *fail = json_pack("{s:s,s:I,s:o}", "reason", "singular", "component", (json_int_t)j, "kernel", k);
    return IDC_OK;
}

/* ---- entry points ------------------------------------------------------ */

enum { FAMILY_P1 = 0, FAMILY_P1ND = 1, FAMILY_PD = 2 };

static int prior_check(idc_pre_result *res, int family, const idc_pdgmm *g, const char *hash,
                       const idc_budget *budget, idc_err *err)
{
    static const char *const ids[] = {"P1", "P1nd", "PD"};
    static const char *const methods[] = {"reduced-form", "reduced-form+nondegenerate", "reduced-form+psd"};
    static const char *const sources[] = {SRC_P1, SRC_P1ND, SRC_PD};
    const char *id = ids[family];
    double deadline = idc_budget_deadline(budget);
    char reason[IDC_PRE_REASON_LEN] = "";
    cxset s;
    int over = 0;
    int rc = cxset_load(&s, &over, g, idc_budget_entries(budget), err);
    if (rc != IDC_OK) {
        cxset_clear(&s);
        return rc;
    }
    if (over) {
        idc_pre_result_set(res, id, IDC_UNKNOWN, NULL,
                           "model too large for the exact budget (more than %zu entries)",
                           idc_budget_entries(budget));
        return IDC_OK;
    }
    if (family == FAMILY_P1) {
        /* P1 presupposes a Gaussian mixture: a covariance that is not PSD is
         * malformed input here (PD and P1nd answer FAILS with a witness) */
        for (size_t j = 0; j < g->ncomp; j++) {
            if (s.c[j].form != IDC_COMP_COVARIANCE)
                continue;
            int is_psd = 0;
            slong bad = -1;
            rc = idc_qmat_psd(&is_psd, &bad, NULL, NULL, s.c[j].S);
            if (rc == IDC_OK && !is_psd)
                rc = idc_err_set(err, IDC_EINVAL,
                                 "model.components[%zu].Sigma: not positive semidefinite (exact elimination "
                                 "fails at pivot %ld)",
                                 j, (long)bad);
            if (rc != IDC_OK) {
                cxset_clear(&s);
                return rc;
            }
        }
    }
    idc_verdict v1 = IDC_UNKNOWN;
    json_t *w1 = NULL;
    rc = p1_core(&v1, &w1, reason, sizeof reason, g, &s, deadline, err);
    if (rc != IDC_OK) {
        cxset_clear(&s);
        return rc;
    }
    if (family == FAMILY_P1 || v1 == IDC_FAILS) {
        if (family != FAMILY_P1 && v1 == IDC_FAILS) {
            w1 = json_pack("{s:s,s:o}", "reason", "P1", "p1", w1);
            char r2[IDC_PRE_REASON_LEN + 16];
            snprintf(r2, sizeof r2, "P1 fails: %s", reason);
            snprintf(reason, sizeof reason, "%.*s", (int)(sizeof reason - 1), r2);
        }
        json_t *cert =
            v1 == IDC_UNKNOWN ? NULL : idc_cert_new(id, v1, hash, methods[family], sources[family], w1);
        cxset_clear(&s);
        if (v1 != IDC_UNKNOWN && cert == NULL)
            return idc_err_set(err, IDC_ENOMEM, "out of memory");
        idc_pre_result_set(res, id, v1, cert, "%s", reason);
        return IDC_OK;
    }
    /* P1nd / PD: per component (a FAILS here decides even if P1 is UNKNOWN) */
    slong m = (slong)g->dim;
    json_t *comps = json_array(), *fail = NULL;
    size_t failed_j = 0;
    int failed_state = COMP_OK, expired = 0;
    for (size_t j = 0; j < g->ncomp && fail == NULL && rc == IDC_OK; j++) {
        if (idc_budget_expired(deadline)) {
            expired = 1;
            break;
        }
        const cx *x = &s.c[j];
        int state = COMP_OK;
        json_t *ok = NULL;
        if (family == FAMILY_P1ND) {
            rc = nd_component(&state, &ok, &fail, x, j, m);
        } else if (x->form == IDC_COMP_COVARIANCE) {
            int all_pos;
            json_t *piv = NULL;
            rc = cov_psd(&state, &all_pos, &piv, &fail, x, j);
            if (rc == IDC_OK && state == COMP_OK)
                ok = json_pack("{s:I,s:s,s:o}", "component", (json_int_t)j, "form", "covariance", "pivots",
                               piv);
        } else {
            ok = json_pack("{s:I,s:s}", "component", (json_int_t)j, "form", form_name(x->form));
        }
        if (fail != NULL) {
            failed_j = j;
            failed_state = state;
        } else if (ok != NULL) {
            json_array_append_new(comps, ok);
        }
    }
    cxset_clear(&s);
    if (rc == IDC_EUNABLE) { /* no nonzero minor within the prime budget */
        json_decref(comps);
        json_decref(w1);
        json_decref(fail);
        idc_pre_result_set(res, id, IDC_UNKNOWN, NULL, "no modular rank certificate within %d primes",
                           IDC_QMAT_PRIME_MAX);
        return IDC_OK;
    }
    if (rc != IDC_OK) {
        json_decref(comps);
        json_decref(w1);
        json_decref(fail);
        return idc_err_set(err, rc, "%s: exact linear algebra failed (%s)", id, idc_status_name(rc));
    }
    if (fail != NULL) {
        json_decref(comps);
        json_decref(w1);
        json_t *cert = idc_cert_new(id, IDC_FAILS, hash, methods[family], sources[family], fail);
        if (cert == NULL)
            return idc_err_set(err, IDC_ENOMEM, "out of memory");
        idc_pre_result_set(res, id, IDC_FAILS, cert,
                           failed_state == COMP_SINGULAR
                               ? "component %zu: Sigma is singular (exact kernel vector)"
                               : "component %zu: Sigma is not positive semidefinite (v^T Sigma v < 0)",
                           failed_j);
        return IDC_OK;
    }
    if (expired || v1 == IDC_UNKNOWN) {
        json_decref(comps);
        json_decref(w1);
        idc_pre_result_set(res, id, IDC_UNKNOWN, NULL, "%s",
                           v1 == IDC_UNKNOWN ? reason : "time budget exhausted checking the covariances");
        return IDC_OK;
    }
    json_t *w = json_pack("{s:o,s:o}", "reduced_form", w1, "components", comps);
    json_t *cert = idc_cert_new(id, IDC_HOLDS, hash, methods[family], sources[family], w);
    if (cert == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    idc_pre_result_set(res, id, IDC_HOLDS, cert,
                       family == FAMILY_P1ND
                           ? "reduced form and every Sigma_j positive definite (J=%zu, m=%zu; exact)"
                           : "reduced form and every Sigma_j positive semidefinite (J=%zu, m=%zu; exact)",
                       g->ncomp, g->dim);
    return IDC_OK;
}

int idc_pre_p1(idc_pre_result *res, const idc_pdgmm *g, const char *hash, const idc_budget *budget,
               idc_err *err)
{
    return prior_check(res, FAMILY_P1, g, hash, budget, err);
}

int idc_pre_p1nd(idc_pre_result *res, const idc_pdgmm *g, const char *hash, const idc_budget *budget,
                 idc_err *err)
{
    return prior_check(res, FAMILY_P1ND, g, hash, budget, err);
}

int idc_pre_pd(idc_pre_result *res, const idc_pdgmm *g, const char *hash, const idc_budget *budget,
               idc_err *err)
{
    return prior_check(res, FAMILY_PD, g, hash, budget, err);
}
