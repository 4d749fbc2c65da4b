#include "numeric/gmm_l2.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

size_t idc_gmm_aff_jmax(void)
{
    return IDC_GMM_AFF_JMAX;
}

double idc_gmm_aff_rcond_min(void)
{
    return IDC_GMM_AFF_RCOND_MIN;
}

/* Cholesky factor L (lower, row-major m x m) of the lower triangle of S.
 * Returns 1 when S is numerically positive definite, 0 otherwise. */
static int chol(double *L, const double *S, size_t m)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j <= i; j++) {
            double s = S[i * m + j];
            for (size_t k = 0; k < j; k++)
                s -= L[i * m + k] * L[j * m + k];
            if (i == j) {
                if (!(s > 0.0) || !isfinite(s))
                    return 0;
                L[i * m + i] = sqrt(s);
            } else {
                L[i * m + j] = s / L[j * m + j];
            }
        }
    return 1;
}

/* *out = log N(a; b, C) for SPD C. Returns 1, or 0 (and *out untouched)
 * when C is not numerically positive definite. Work: L (m x m), t (m). */
static int log_gauss(double *out, const double *a, const double *b, const double *C, size_t m, double *L,
                     double *t)
{
    if (!chol(L, C, m))
        return 0;
    double q = 0.0, ld = 0.0;
    for (size_t i = 0; i < m; i++) {
        double s = a[i] - b[i];
        for (size_t k = 0; k < i; k++)
            s -= L[i * m + k] * t[k];
        t[i] = s / L[i * m + i];
        q += t[i] * t[i];
        ld += log(L[i * m + i]);
    }
    *out = -0.5 * ((double)m * log(2.0 * M_PI) + q) - ld;
    return 1;
}

/* *out = <p, q> from raw arrays. Returns 1, or 0 when some S_i + T_j is
 * not numerically PD or the sum is not finite (then *out is untouched).
 * Work: 3 m^2 + m doubles. */
static int inner_raw(double *out, const double *wp, const double *mp, const double *cp, size_t Jp,
                     const double *wq, const double *mq, const double *cq, size_t Jq, size_t m, double *work)
{
    double *C = work, *L = work + m * m, *t = work + 2 * m * m;
    double s = 0.0;
    for (size_t i = 0; i < Jp; i++)
        for (size_t j = 0; j < Jq; j++) {
            for (size_t a = 0; a < m * m; a++)
                C[a] = cp[i * m * m + a] + cq[j * m * m + a];
            double lg;
            if (!log_gauss(&lg, mp + i * m, mq + j * m, C, m, L, t))
                return 0;
            s += wp[i] * wq[j] * exp(lg);
        }
    if (!isfinite(s))
        return 0;
    *out = s;
    return 1;
}

int idc_gmm_l2_check(const idc_gmm_view *p, const char *name, idc_err *err)
{
    if (p == NULL)
        return idc_err_set(err, IDC_EINVAL, "%s is NULL", name);
    if (p->J == 0 || p->m == 0)
        return idc_err_set(err, IDC_EINVAL, "%s: J = %zu, m = %zu: both must be >= 1", name, p->J, p->m);
    if (p->w == NULL || p->mu == NULL || p->cov == NULL)
        return idc_err_set(err, IDC_EINVAL, "%s: %s is NULL", name,
                           p->w == NULL    ? "w"
                           : p->mu == NULL ? "mu"
                                           : "cov");
    if (p->m > 4096 || p->J > ((size_t)1 << 20))
        return idc_err_set(err, IDC_EINVAL, "%s: sizes J = %zu, m = %zu are too large", name, p->J, p->m);
    size_t m = p->m;
    double *L = idc_calloc(m * m, sizeof *L);
    if (L == NULL)
        return idc_err_set(err, IDC_ENOMEM, "%s: out of memory (m = %zu)", name, m);
    int st = IDC_OK;
    for (size_t j = 0; j < p->J && st == IDC_OK; j++) {
        if (!(p->w[j] > 0.0) || !isfinite(p->w[j])) {
            st = idc_err_set(err, IDC_EINVAL, "%s.w[%zu] = %g: weights must be finite and > 0", name, j,
                             p->w[j]);
            break;
        }
        for (size_t a = 0; a < m && st == IDC_OK; a++)
            if (!isfinite(p->mu[j * m + a]))
                st = idc_err_set(err, IDC_EINVAL, "%s.mu[%zu][%zu] is not finite", name, j, a);
        for (size_t a = 0; a < m * m && st == IDC_OK; a++)
            if (!isfinite(p->cov[j * m * m + a]))
                st = idc_err_set(err, IDC_EINVAL, "%s.cov[%zu][%zu][%zu] is not finite", name, j, a / m,
                                 a % m);
        if (st == IDC_OK && !chol(L, p->cov + j * m * m, m))
            st = idc_err_set(err, IDC_EDOM,
                             "%s.cov[%zu] is not positive definite (a degenerate component has "
                             "infinite L2 norm)",
                             name, j);
    }
    free(L);
    return st;
}

int idc_gmm_l2_inner(double *ip, const idc_gmm_view *p, const idc_gmm_view *q, idc_err *err)
{
    if (ip == NULL)
        return idc_err_set(err, IDC_EINVAL, "gmm_l2: ip is NULL");
    *ip = 0.0;
    int st = idc_gmm_l2_check(p, "p", err);
    if (st == IDC_OK)
        st = idc_gmm_l2_check(q, "q", err);
    if (st != IDC_OK)
        return st;
    if (p->m != q->m)
        return idc_err_set(err, IDC_EINVAL, "gmm_l2: p has m = %zu but q has m = %zu", p->m, q->m);
    size_t m = p->m;
    double *work = idc_calloc(3 * m * m + m, sizeof *work);
    if (work == NULL)
        return idc_err_set(err, IDC_ENOMEM, "gmm_l2: out of memory (m = %zu)", m);
    double v = 0.0;
    int ok = inner_raw(&v, p->w, p->mu, p->cov, p->J, q->w, q->mu, q->cov, q->J, m, work);
    free(work);
    if (!ok) /* S + T >= S is PD, but a sum may still round to not PD or overflow */
        return idc_err_set(err, IDC_EUNABLE,
                           "gmm_l2: a sum of two covariances is not numerically positive definite, or the "
                           "inner product overflows");
    *ip = v;
    return IDC_OK;
}

static double delta_from(double pp, double qq, double pq)
{
    double d2 = fmax(0.0, pp + qq - 2.0 * pq);
    return sqrt(d2) / sqrt(sqrt(pp) * sqrt(qq));
}

int idc_gmm_l2_delta(double *delta, const idc_gmm_view *p, const idc_gmm_view *q, idc_err *err)
{
    if (delta == NULL)
        return idc_err_set(err, IDC_EINVAL, "gmm_l2: delta is NULL");
    *delta = 0.0;
    double pp, qq, pq;
    int st = idc_gmm_l2_check(p, "p", err);
    if (st == IDC_OK)
        st = idc_gmm_l2_check(q, "q", err);
    if (st == IDC_OK)
        st = idc_gmm_l2_inner(&pp, p, p, err);
    if (st == IDC_OK)
        st = idc_gmm_l2_inner(&qq, q, q, err);
    if (st == IDC_OK)
        st = idc_gmm_l2_inner(&pq, p, q, err);
    if (st != IDC_OK)
        return st;
    *delta = delta_from(pp, qq, pq);
    return IDC_OK;
}

/* mu_out, cov_out from raw arrays (see idc_gmm_l2_pushforward); c may be
 * NULL. Work: m^2 doubles. */
static void push_raw(double *mu_out, double *cov_out, const double *mu, const double *cov, size_t J, size_t m,
                     const double *A, const double *c, double *T)
{
    for (size_t j = 0; j < J; j++) {
        const double *S = cov + j * m * m;
        double *O = cov_out + j * m * m;
        for (size_t a = 0; a < m; a++) {
            double s = c != NULL ? c[a] : 0.0;
            for (size_t b = 0; b < m; b++)
                s += A[a * m + b] * mu[j * m + b];
            mu_out[j * m + a] = s;
        }
        /* T = A S (S read as symmetric from its lower triangle), O = T A^T */
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b < m; b++) {
                double s = 0.0;
                for (size_t k = 0; k < m; k++)
                    s += A[a * m + k] * (k >= b ? S[k * m + b] : S[b * m + k]);
                T[a * m + b] = s;
            }
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b <= a; b++) {
                double s1 = 0.0, s2 = 0.0;
                for (size_t k = 0; k < m; k++) {
                    s1 += T[a * m + k] * A[b * m + k];
                    s2 += T[b * m + k] * A[a * m + k];
                }
                O[a * m + b] = O[b * m + a] = 0.5 * (s1 + s2);
            }
    }
}

int idc_gmm_l2_pushforward(double *mu_out, double *cov_out, const idc_gmm_view *p, const double *A,
                           const double *c, idc_err *err)
{
    if (mu_out == NULL || cov_out == NULL || p == NULL || A == NULL || p->mu == NULL || p->cov == NULL)
        return idc_err_set(err, IDC_EINVAL, "gmm_l2: pushforward: NULL argument");
    double *T = idc_calloc(p->m * p->m, sizeof *T);
    if (T == NULL)
        return idc_err_set(err, IDC_ENOMEM, "gmm_l2: out of memory (m = %zu)", p->m);
    push_raw(mu_out, cov_out, p->mu, p->cov, p->J, p->m, A, c, T);
    free(T);
    return IDC_OK;
}

/* ---- dist_Aff ------------------------------------------------------------- */

/* The reciprocal 2-norm condition number sigma_min(A) / sigma_max(A) of the
 * m x m A (0 for a zero A), or -1 when A has a non-finite entry or the SVD
 * fails. T: m^2 work, s: m, svw: lsvw doubles of dgesvd workspace. The
 * row-major A is handed to LAPACK as its transpose (same singular values),
 * so LAPACKE allocates nothing. */
static double rcond2(const double *A, size_t m, double *T, double *s, double *svw, lapack_int lsvw)
{
    for (size_t a = 0; a < m * m; a++)
        if (!isfinite(A[a]))
            return -1.0;
    memcpy(T, A, m * m * sizeof *T);
    double no_uv = 0.0;
    lapack_int info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'N', 'N', (lapack_int)m, (lapack_int)m, T,
                                          (lapack_int)m, s, &no_uv, 1, &no_uv, 1, svw, lsvw);
    if (info != 0)
        return -1.0;
    return s[0] > 0.0 ? s[m - 1] / s[0] : 0.0;
}

/* Overall mean (m) and covariance (m x m) of a mixture. */
static void mixture_moments(double *mean, double *C, const idc_gmm_view *p)
{
    size_t m = p->m;
    double wsum = 0.0;
    for (size_t j = 0; j < p->J; j++)
        wsum += p->w[j];
    memset(mean, 0, m * sizeof *mean);
    memset(C, 0, m * m * sizeof *C);
    for (size_t j = 0; j < p->J; j++)
        for (size_t a = 0; a < m; a++)
            mean[a] += p->w[j] / wsum * p->mu[j * m + a];
    for (size_t j = 0; j < p->J; j++) {
        const double *S = p->cov + j * m * m, *mu = p->mu + j * m;
        double f = p->w[j] / wsum;
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b < m; b++)
                C[a * m + b] +=
                    f * ((a >= b ? S[a * m + b] : S[b * m + a]) + (mu[a] - mean[a]) * (mu[b] - mean[b]));
    }
}

/* out = C^(power) for SPD C (power +-1/2) by the symmetric eigensolver. */
static int sym_power(double *out, const double *C, size_t m, double power)
{
    double *V = idc_calloc(m * m, sizeof *V), *ev = idc_calloc(m, sizeof *ev);
    if (V == NULL || ev == NULL) {
        free(V);
        free(ev);
        return IDC_ENOMEM;
    }
    memcpy(V, C, m * m * sizeof *V);
    lapack_int info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'L', (lapack_int)m, V, (lapack_int)m, ev);
    int st = info == 0 ? IDC_OK : IDC_EUNABLE;
    for (size_t k = 0; k < m && st == IDC_OK; k++)
        if (!(ev[k] > 0.0))
            st = IDC_EUNABLE;
    if (st == IDC_OK)
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b < m; b++) {
                double s = 0.0;
                for (size_t k = 0; k < m; k++)
                    s += V[a * m + k] * pow(ev[k], power) * V[b * m + k];
                out[a * m + b] = s;
            }
    free(V);
    free(ev);
    return st;
}

/* X^+ (J x (m+1) row-major) of X = [mu_j; 1] ((m+1) x J). */
static int pinv_means(double *Xp, const idc_gmm_view *p)
{
    size_t m = p->m, J = p->J, r = m + 1, k = r < J ? r : J;
    double *X = idc_calloc(r * J, sizeof *X), *s = idc_calloc(k, sizeof *s);
    double *U = idc_calloc(r * k, sizeof *U), *VT = idc_calloc(k * J, sizeof *VT);
    double *sup = idc_calloc(k, sizeof *sup);
    int st = IDC_OK;
    if (X == NULL || s == NULL || U == NULL || VT == NULL || sup == NULL) {
        st = IDC_ENOMEM;
        goto done;
    }
    for (size_t j = 0; j < J; j++) { /* column-major r x J */
        for (size_t a = 0; a < m; a++)
            X[j * r + a] = p->mu[j * m + a];
        X[j * r + m] = 1.0;
    }
    lapack_int info = LAPACKE_dgesvd(LAPACK_COL_MAJOR, 'S', 'S', (lapack_int)r, (lapack_int)J, X,
                                     (lapack_int)r, s, U, (lapack_int)r, VT, (lapack_int)k, sup);
    if (info != 0) {
        st = IDC_EUNABLE;
        goto done;
    }
    double cut = (double)(r > J ? r : J) * DBL_EPSILON * s[0];
    /* X^+ = V S^+ U^T: Xp[j][a] = sum_l VT(l, j) U(a, l) / s_l */
    for (size_t j = 0; j < J; j++)
        for (size_t a = 0; a < r; a++) {
            double acc = 0.0;
            for (size_t l = 0; l < k; l++)
                if (s[l] > cut)
                    acc += VT[l + j * k] * U[a + l * r] / s[l];
            Xp[j * r + a] = acc;
        }
done:
    free(X);
    free(s);
    free(U);
    free(VT);
    free(sup);
    return st;
}

/* Lexicographic next permutation of a[0..n); 0 after the last. */
static int next_perm(size_t *a, size_t n)
{
    if (n < 2)
        return 0;
    size_t i = n - 1;
    while (i > 0 && a[i - 1] >= a[i])
        i--;
    if (i == 0)
        return 0;
    size_t j = n - 1;
    while (a[j] <= a[i - 1])
        j--;
    size_t t = a[i - 1];
    a[i - 1] = a[j];
    a[j] = t;
    for (size_t l = i, r = n - 1; l < r; l++, r--) {
        t = a[l];
        a[l] = a[r];
        a[r] = t;
    }
    return 1;
}

int idc_gmm_dist_aff(idc_gmm_aff_result *res, const idc_gmm_view *p1, const idc_gmm_view *p2, idc_err *err)
{
    if (res == NULL)
        return idc_err_set(err, IDC_EINVAL, "dist_aff: res is NULL");
    memset(res, 0, sizeof *res);
    int st = idc_gmm_l2_check(p1, "p1", err);
    if (st == IDC_OK)
        st = idc_gmm_l2_check(p2, "p2", err);
    if (st != IDC_OK)
        return st;
    if (p1->m != p2->m || p1->J != p2->J)
        return idc_err_set(err, IDC_EINVAL, "dist_aff: p1 is J = %zu, m = %zu but p2 is J = %zu, m = %zu",
                           p1->J, p1->m, p2->J, p2->m);
    size_t J = p1->J, m = p1->m, r = m + 1;
    if (J > IDC_GMM_AFF_JMAX)
        return idc_err_set(err, IDC_EINVAL,
                           "dist_aff: J = %zu components: the permutation search is limited to "
                           "J <= %d",
                           J, IDC_GMM_AFF_JMAX);
    double *work = idc_calloc(3 * m * m + m, sizeof *work);
    double *Xp = idc_calloc(J * r, sizeof *Xp);
    double *R0 = idc_calloc(m * r, sizeof *R0), *Ac = idc_calloc(m * r, sizeof *Ac);
    double *res_m = idc_calloc(m * J, sizeof *res_m);
    double *mom = idc_calloc(4 * m * m + 2 * m, sizeof *mom);
    double *pmu = idc_calloc(J * m, sizeof *pmu), *pcov = idc_calloc(J * m * m, sizeof *pcov);
    double *A = idc_calloc(m * m, sizeof *A), *cc = idc_calloc(m, sizeof *cc);
    size_t *perm = idc_calloc(J, sizeof *perm), *best = idc_calloc(J, sizeof *best);
    double *bestA = idc_calloc(m * m, sizeof *bestA), *bestc = idc_calloc(m, sizeof *bestc);
    double *sv = idc_calloc(m, sizeof *sv), *svw = NULL;
    lapack_int lsvw = 0;
    if (work == NULL || Xp == NULL || R0 == NULL || Ac == NULL || res_m == NULL || mom == NULL ||
        pmu == NULL || pcov == NULL || A == NULL || cc == NULL || perm == NULL || best == NULL ||
        bestA == NULL || bestc == NULL || sv == NULL) {
        st = idc_err_set(err, IDC_ENOMEM, "dist_aff: out of memory (J = %zu, m = %zu)", J, m);
        goto done;
    }
    {
        /* the singular-value workspace of an m x m dgesvd, sized once */
        double q = 0.0, no_uv = 0.0;
        lapack_int info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'N', 'N', (lapack_int)m, (lapack_int)m, A,
                                              (lapack_int)m, sv, &no_uv, 1, &no_uv, 1, &q, -1);
        lsvw = info == 0 && q >= 1.0 ? (lapack_int)q : (lapack_int)(5 * m + 1);
        svw = idc_calloc((size_t)lsvw, sizeof *svw);
        if (svw == NULL) {
            st = idc_err_set(err, IDC_ENOMEM, "dist_aff: out of memory (m = %zu)", m);
            goto done;
        }
    }
    double qq = 0.0, pp0 = 0.0, pq0 = 0.0;
    if (!inner_raw(&qq, p2->w, p2->mu, p2->cov, J, p2->w, p2->mu, p2->cov, J, m, work) ||
        !inner_raw(&pp0, p1->w, p1->mu, p1->cov, J, p1->w, p1->mu, p1->cov, J, m, work) ||
        !inner_raw(&pq0, p1->w, p1->mu, p1->cov, J, p2->w, p2->mu, p2->cov, J, m, work)) {
        st = idc_err_set(err, IDC_EUNABLE,
                         "dist_aff: a sum of two covariances is not numerically positive definite, or an "
                         "inner product overflows");
        goto done;
    }
    res->delta_identity = delta_from(pp0, qq, pq0);

    /* The moment-matching base map [A0 c0] (m x (m+1) row-major in R0). */
    double *mean1 = mom, *mean2 = mom + m, *C1 = mom + 2 * m, *C2 = C1 + m * m;
    double *C1ih = C2 + m * m, *C2h = C1ih + m * m;
    mixture_moments(mean1, C1, p1);
    mixture_moments(mean2, C2, p2);
    st = sym_power(C1ih, C1, m, -0.5);
    if (st == IDC_OK)
        st = sym_power(C2h, C2, m, 0.5);
    if (st == IDC_OK)
        st = pinv_means(Xp, p1);
    if (st != IDC_OK) {
        st = idc_err_set(err, st, "dist_aff: %s in the alignment set-up",
                         st == IDC_ENOMEM ? "out of memory" : "an eigen/SVD solve failed");
        goto done;
    }
    for (size_t a = 0; a < m; a++) {
        double cs = mean2[a];
        for (size_t b = 0; b < m; b++) {
            double s = 0.0;
            for (size_t k = 0; k < m; k++)
                s += C2h[a * m + k] * C1ih[k * m + b];
            R0[a * r + b] = s;
            cs -= s * mean1[b];
        }
        R0[a * r + m] = cs;
    }

    double best_d = INFINITY;
    for (size_t j = 0; j < J; j++)
        perm[j] = j;
    do {
        /* res_m (m x J) = M2_pi - R0 X; Ac = R0 + res_m X^+ */
        for (size_t a = 0; a < m; a++)
            for (size_t j = 0; j < J; j++) {
                double s = p2->mu[perm[j] * m + a] - R0[a * r + m];
                for (size_t b = 0; b < m; b++)
                    s -= R0[a * r + b] * p1->mu[j * m + b];
                res_m[a * J + j] = s;
            }
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b < r; b++) {
                double s = R0[a * r + b];
                for (size_t j = 0; j < J; j++)
                    s += res_m[a * J + j] * Xp[j * r + b];
                Ac[a * r + b] = s;
            }
        for (size_t a = 0; a < m; a++) {
            for (size_t b = 0; b < m; b++)
                A[a * m + b] = Ac[a * r + b];
            cc[a] = Ac[a * r + m];
        }
        /* A candidate map must be well enough conditioned that A S A^T stays
         * positive definite in double: cond(A S A^T) can reach cond(A)^2
         * cond(S), so rcond(A) < 2^-20 is skipped (and counted), as is one
         * whose pushed covariance sums are still not numerically PD
         * (Cholesky breaks down) or give no finite L2 norm. */
        double rc = rcond2(A, m, work, sv, svw, lsvw);
        if (rc < IDC_GMM_AFF_RCOND_MIN) { /* rc < 0: a non-finite A */
            res->skipped_singular++;
            continue;
        }
        push_raw(pmu, pcov, p1->mu, p1->cov, J, m, A, cc, work);
        double pp = 0.0, pq = 0.0;
        if (!inner_raw(&pp, p1->w, pmu, pcov, J, p1->w, pmu, pcov, J, m, work) ||
            !inner_raw(&pq, p1->w, pmu, pcov, J, p2->w, p2->mu, p2->cov, J, m, work) || !(pp > 0.0)) {
            res->skipped_nonpd++;
            continue;
        }
        res->evaluated++;
        double d = delta_from(pp, qq, pq);
        if (d < best_d) {
            best_d = d;
            memcpy(best, perm, J * sizeof *best);
            memcpy(bestA, A, m * m * sizeof *bestA);
            memcpy(bestc, cc, m * sizeof *bestc);
        }
    } while (next_perm(perm, J));
    if (res->evaluated == 0) {
        st = idc_err_set(err, IDC_EUNABLE,
                         "dist_aff: no component permutation gives a well-conditioned mean-matching map "
                         "(%zu near-singular, %zu with no finite L2 norm)",
                         res->skipped_singular, res->skipped_nonpd);
        goto done;
    }
    double ss = 0.0;
    for (size_t j = 0; j < J; j++)
        for (size_t a = 0; a < m; a++) {
            double s = bestc[a] - p2->mu[best[j] * m + a];
            for (size_t b = 0; b < m; b++)
                s += bestA[a * m + b] * p1->mu[j * m + b];
            ss += s * s;
        }
    res->J = J;
    res->m = m;
    res->dist = best_d;
    res->mean_rms = sqrt(ss / (double)J);
    res->perm = best;
    res->A = bestA;
    res->c = bestc;
    best = NULL;
    bestA = bestc = NULL;
done:
    free(work);
    free(Xp);
    free(R0);
    free(Ac);
    free(res_m);
    free(mom);
    free(pmu);
    free(pcov);
    free(A);
    free(cc);
    free(perm);
    free(best);
    free(bestA);
    free(bestc);
    free(sv);
    free(svw);
    if (st != IDC_OK)
        memset(res, 0, sizeof *res);
    return st;
}

void idc_gmm_aff_result_clear(idc_gmm_aff_result *res)
{
    if (res == NULL)
        return;
    free(res->perm);
    free(res->A);
    free(res->c);
    memset(res, 0, sizeof *res);
}
