/* Exact double -> dyadic rational conversions (see dq.h). */
#include "numeric/dq.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <flint/ulong_extras.h>

int idc_dq_split(int64_t *mant, long *exp, double x)
{
    if (!isfinite(x))
        return IDC_EINVAL;
    if (x == 0.0) {
        *mant = 0;
        *exp = 0;
        return IDC_OK;
    }
    int e;
    double fr = frexp(x, &e); /* x = fr * 2^e, 1/2 <= |fr| < 1, exact */
    /* fr has at most 53 significant bits, so fr * 2^53 is an integer. */
    int64_t m = (int64_t)ldexp(fr, 53);
    long ex = (long)e - 53;
    int tz = __builtin_ctzll((unsigned long long)(m < 0 ? -m : m));
    m /= ((int64_t)1 << tz);
    ex += tz;
    *mant = m;
    *exp = ex;
    return IDC_OK;
}

int idc_dq_fmpq_set_d(fmpq_t res, double x)
{
    int64_t m;
    long e;
    if (idc_dq_split(&m, &e, x) != IDC_OK)
        return IDC_EINVAL;
    fmpz_set_si(fmpq_numref(res), (slong)m);
    fmpz_one(fmpq_denref(res));
    if (e > 0)
        fmpz_mul_2exp(fmpq_numref(res), fmpq_numref(res), (ulong)e);
    else if (e < 0)
        fmpz_mul_2exp(fmpq_denref(res), fmpq_denref(res), (ulong)(-e));
    /* m odd or zero: already canonical */
    return IDC_OK;
}

void idc_dq_fmpq_set_finite_d(fmpq_t res, double x)
{
    if (idc_dq_fmpq_set_d(res, x) != IDC_OK)
        fmpq_zero(res);
}

void idc_dq_fmpq_mat_set_finite_d(fmpq_mat_t A, const double *a, size_t rows, size_t cols)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            idc_dq_fmpq_set_finite_d(fmpq_mat_entry(A, (slong)i, (slong)j), a[i * cols + j]);
}

int idc_dq_min_shift(long *shift, double x)
{
    int64_t m;
    long e;
    if (idc_dq_split(&m, &e, x) != IDC_OK)
        return IDC_EINVAL;
    *shift = m == 0 ? 0 : -e;
    return IDC_OK;
}

int idc_dq_fmpz_set_d_2exp(fmpz_t res, double x, long shift)
{
    int64_t m;
    long e;
    if (idc_dq_split(&m, &e, x) != IDC_OK)
        return IDC_EINVAL;
    fmpz_set_si(res, (slong)m);
    if (m == 0)
        return IDC_OK;
    long t = e + shift;
    if (t < 0)
        return IDC_EDOM;
    fmpz_mul_2exp(res, res, (ulong)t);
    return IDC_OK;
}

int idc_dq_fmpq_mat_set_d(fmpq_mat_t A, const double *a, size_t rows, size_t cols)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            if (idc_dq_fmpq_set_d(fmpq_mat_entry(A, (slong)i, (slong)j), a[i * cols + j]) != IDC_OK)
                return IDC_EINVAL;
    return IDC_OK;
}

/* Largest min_shift over n doubles (0 if all are zero). */
static int max_shift(long *out, const double *a, size_t n, size_t stride)
{
    long best = 0;
    int any = 0;
    for (size_t k = 0; k < n; k++) {
        double x = a[k * stride];
        long s;
        if (idc_dq_min_shift(&s, x) != IDC_OK)
            return IDC_EINVAL;
        if (x != 0.0 && (!any || s > best)) {
            best = s;
            any = 1;
        }
    }
    *out = best;
    return IDC_OK;
}

int idc_dq_fmpz_mat_set_d_rowscaled(fmpz_mat_t A, long *shift, const double *a, size_t rows, size_t cols)
{
    for (size_t i = 0; i < rows; i++) {
        long s;
        if (max_shift(&s, a + i * cols, cols, 1) != IDC_OK)
            return IDC_EINVAL;
        if (shift != NULL)
            shift[i] = s;
        for (size_t j = 0; j < cols; j++)
            if (idc_dq_fmpz_set_d_2exp(fmpz_mat_entry(A, (slong)i, (slong)j), a[i * cols + j], s) != IDC_OK)
                return IDC_EINVAL;
    }
    return IDC_OK;
}

int idc_dq_fmpz_mat_set_d_scaled(fmpz_mat_t A, long *shift, const double *a, size_t rows, size_t cols)
{
    long s;
    if (max_shift(&s, a, rows * cols, 1) != IDC_OK)
        return IDC_EINVAL;
    if (shift != NULL)
        *shift = s;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            if (idc_dq_fmpz_set_d_2exp(fmpz_mat_entry(A, (slong)i, (slong)j), a[i * cols + j], s) != IDC_OK)
                return IDC_EINVAL;
    return IDC_OK;
}

int idc_dq_nmod(mp_limb_t *r, double x, nmod_t mod)
{
    mp_limb_t p = mod.n;
    if (p < 3 || (p & 1) == 0)
        return IDC_EDOM;
    int64_t m;
    long e;
    if (idc_dq_split(&m, &e, x) != IDC_OK)
        return IDC_EINVAL;
    if (m == 0) {
        *r = 0;
        return IDC_OK;
    }
    mp_limb_t am = (mp_limb_t)(m < 0 ? -m : m) % p;
    if (m < 0)
        am = nmod_neg(am, mod);
    mp_limb_t base = e >= 0 ? 2 : (p + 1) / 2; /* (p+1)/2 = 2^-1 mod p */
    ulong ae = (ulong)(e >= 0 ? e : -e);
    mp_limb_t pw = n_powmod2_ui_preinv(base, ae, p, mod.ninv);
    *r = nmod_mul(am, pw, mod);
    return IDC_OK;
}

int idc_dq_nmod_mat_set_d(nmod_mat_t A, const double *a, size_t rows, size_t cols)
{
    nmod_t mod = A->mod;
    mp_limb_t p = mod.n;
    if (p < 3 || (p & 1) == 0)
        return IDC_EDOM;
    /* 2^e mod p for the exponents seen, cached by e mod 64 (matrix entries
     * share a few exponents) */
    long tag[64];
    mp_limb_t val[64];
    for (int k = 0; k < 64; k++)
        tag[k] = LONG_MIN;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            int64_t m;
            long e;
            if (idc_dq_split(&m, &e, a[i * cols + j]) != IDC_OK)
                return IDC_EINVAL;
            mp_limb_t *r = &nmod_mat_entry(A, (slong)i, (slong)j);
            if (m == 0) {
                *r = 0;
                continue;
            }
            int slot = (int)(e & 63);
            if (tag[slot] != e) {
                mp_limb_t base = e >= 0 ? 2 : (p + 1) / 2;
                val[slot] = n_powmod2_ui_preinv(base, (ulong)(e >= 0 ? e : -e), p, mod.ninv);
                tag[slot] = e;
            }
            mp_limb_t am = (mp_limb_t)(m < 0 ? -m : m) % p;
            if (m < 0)
                am = nmod_neg(am, mod);
            *r = nmod_mul(am, val[slot], mod);
        }
    return IDC_OK;
}

int idc_dq_fmpq_nmod(mp_limb_t *r, const fmpq_t q, nmod_t mod)
{
    mp_limb_t p = mod.n;
    mp_limb_t d = fmpz_fdiv_ui(fmpq_denref(q), p);
    if (d == 0 || n_gcd(d, p) != 1)
        return IDC_EDOM;
    mp_limb_t nm = fmpz_fdiv_ui(fmpq_numref(q), p);
    *r = nmod_mul(nm, n_invmod(d, p), mod);
    return IDC_OK;
}

char *idc_dq_fmpq_get_str(const fmpq_t q)
{
    char *ns = fmpz_get_str(NULL, 10, fmpq_numref(q));
    char *ds = fmpz_get_str(NULL, 10, fmpq_denref(q));
    char *out = NULL;
    if (ns != NULL && ds != NULL) {
        size_t ln = strlen(ns), ld = strlen(ds);
        out = malloc(ln + ld + 2);
        if (out != NULL) {
            memcpy(out, ns, ln);
            out[ln] = '/';
            memcpy(out + ln + 1, ds, ld + 1);
        }
    }
    flint_free(ns);
    flint_free(ds);
    return out;
}

char *idc_dq_get_str_d(double x)
{
    fmpq_t q;
    fmpq_init(q);
    char *s = NULL;
    if (idc_dq_fmpq_set_d(q, x) == IDC_OK)
        s = idc_dq_fmpq_get_str(q);
    fmpq_clear(q);
    return s;
}

/* s[0..n) is a non-empty run of decimal digits. */
static int all_digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int idc_dq_fmpq_set_str(fmpq_t res, const char *s)
{
    fmpq_zero(res);
    if (s == NULL)
        return IDC_EINVAL;
    const char *slash = strchr(s, '/');
    size_t len = strlen(s);
    size_t nlen = slash != NULL ? (size_t)(slash - s) : len;
    size_t start = (nlen > 0 && s[0] == '-') ? 1 : 0;
    if (!all_digits(s + start, nlen - start))
        return IDC_EINVAL;
    if (slash != NULL && !all_digits(slash + 1, len - nlen - 1))
        return IDC_EINVAL;
    char *buf = malloc(len + 1);
    if (buf == NULL)
        return IDC_ENOMEM;
    memcpy(buf, s, len + 1);
    buf[nlen] = '\0';
    int rc = IDC_OK;
    if (fmpz_set_str(fmpq_numref(res), buf, 10) != 0)
        rc = IDC_EINVAL;
    if (rc == IDC_OK && slash != NULL) {
        if (fmpz_set_str(fmpq_denref(res), buf + nlen + 1, 10) != 0 || fmpz_sgn(fmpq_denref(res)) <= 0)
            rc = IDC_EINVAL;
    }
    free(buf);
    if (rc != IDC_OK) {
        fmpq_zero(res);
        return rc;
    }
    fmpq_canonicalise(res);
    return IDC_OK;
}

int idc_dq_fmpq_cmp_d(int *cmp, const fmpq_t q, double x)
{
    fmpq_t t;
    fmpq_init(t);
    int rc = idc_dq_fmpq_set_d(t, x);
    if (rc == IDC_OK) {
        int c = fmpq_cmp(q, t);
        *cmp = c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    fmpq_clear(t);
    return rc;
}
