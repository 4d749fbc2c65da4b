/* Verdicts, results, budgets and the registry of precondition IDs
 * (THEORY.md §3). The dispatcher idc_pre_check is the checkers' side
 * (theory/check/dispatch.c). */
#include "theory/verdict.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>


void idc_pre_result_init(idc_pre_result *res)
{
    memset(res, 0, sizeof *res);
    res->verdict = IDC_UNKNOWN;
}

void idc_pre_result_clear(idc_pre_result *res)
{
    if (res->cert != NULL)
        json_decref(res->cert);
    idc_pre_result_init(res);
}

void idc_pre_result_set(idc_pre_result *res, const char *id, idc_verdict v, json_t *cert, const char *fmt,
                        ...)
{
    if (res->cert != NULL && res->cert != cert)
        json_decref(res->cert);
    snprintf(res->id, sizeof res->id, "%s", id);
    res->verdict = v;
    res->cert = cert;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->reason, sizeof res->reason, fmt, ap);
    va_end(ap);
    /* one line */
    for (char *p = res->reason; *p != '\0'; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

const char *idc_verdict_name(idc_verdict v)
{
    switch (v) {
    case IDC_HOLDS: return "HOLDS";
    case IDC_FAILS: return "FAILS";
    case IDC_UNKNOWN: return "UNKNOWN";
    default: return "?";
    }
}

int idc_verdict_parse(idc_verdict *v, const char *s)
{
    if (s == NULL)
        return IDC_EINVAL;
    if (strcmp(s, "HOLDS") == 0)
        *v = IDC_HOLDS;
    else if (strcmp(s, "FAILS") == 0)
        *v = IDC_FAILS;
    else if (strcmp(s, "UNKNOWN") == 0)
        *v = IDC_UNKNOWN;
    else
        return IDC_EINVAL;
    return IDC_OK;
}

idc_budget idc_budget_default(void)
{
    idc_budget b = {IDC_BUDGET_DEFAULT_SECONDS, IDC_BUDGET_DEFAULT_ENTRIES};
    return b;
}

static double now_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double idc_budget_deadline(const idc_budget *b)
{
    double s = b != NULL ? b->seconds : IDC_BUDGET_DEFAULT_SECONDS;
    if (!(s > 0.0) || !isfinite(s))
        return INFINITY;
    return now_monotonic() + s;
}

int idc_budget_expired(double deadline)
{
    if (isinf(deadline))
        return 0;
    return now_monotonic() > deadline;
}

size_t idc_budget_entries(const idc_budget *b)
{
    size_t e = b != NULL ? b->max_entries : IDC_BUDGET_DEFAULT_ENTRIES;
    return e == 0 ? SIZE_MAX : e;
}

/* ---- registry ----------------------------------------------------------- */

static const idc_pre_info registry[] = {
    {"P1", "finite GMM in reduced form", "K Sec. 2; THEORY.md Sec. 1 (reduced form)",
     "every lambda_j > 0 and the pairs (mu_j, Sigma_j) are pairwise distinct", IDC_PRE_PRIOR, 1},
    {"P1nd", "non-degenerate GMM", "K Thm 3.9 (proofs assume Sigma_j > 0)",
     "P1 and every Sigma_j is positive definite", IDC_PRE_PRIOR, 1},
    {"PD", "pdGMM in reduced form", "X Sec. 3 (potentially degenerate GMM)",
     "P1 with every Sigma_j positive semidefinite, possibly singular", IDC_PRE_PRIOR, 1},
    {"P2", "diagonal covariances, distinct variance ratios", "K Thm 3.9(b)",
     "every Sigma_j is diagonal and some pair a != b has the m ratios (Sigma_a)_tt/(Sigma_b)_tt pairwise "
     "distinct",
     IDC_PRE_PRIOR, 1},
    {"P3", "maximality conditions of multivariate U", "K Sec. 3.2 (Thm 3.10c)",
     "the neighbourhood maximality conditions on the coordinates of U", IDC_PRE_PRIOR, 0},
    {"A3.4", "genericity of Mahalanobis distances", "X Ass. 3.4",
     "for every set of equal-rank components with intersecting supports, some common point has pairwise "
     "different Mahalanobis distances",
     IDC_PRE_PRIOR, 1},
    {"A3.6", "common basis and translation", "X Ass. 3.6",
     "the supports share a point z0 and one basis of R^m contains a basis of every col(Sigma_j)",
     IDC_PRE_PRIOR, 1},
    {"A3.8a", "common standard basis", "X Ass. 3.8(a)",
     "every support is a coordinate subspace span{e_i : i in B_j} through 0", IDC_PRE_PRIOR, 1},
    {"A3.8b", "sufficient support-index variability", "X Ass. 3.8(b)",
     "for every i, the union of B_j over components with i not in B_j contains every index except i",
     IDC_PRE_PRIOR, 1},
    {"F1", "piecewise affine mixing", "K Thm 3.9; X Thm 3.5", "f is piecewise affine", IDC_PRE_MAP, 1},
    {"FC", "continuous mixing", "K Thm 3.9(c)", "f is continuous", IDC_PRE_MAP, 1},
    {"F2", "weakly injective", "K Def. 3.2",
     "(i) some x0 in f(R^m) has a neighbourhood in f(R^m) of points with one preimage; (ii) points with "
     "infinitely many preimages have measure zero in f(R^m)",
     IDC_PRE_MAP, 1},
    {"F3", "observably injective", "K Def. 3.2",
     "points of f(R^m) with more than one preimage have measure zero in f(R^m)", IDC_PRE_MAP, 1},
    {"F4", "injective", "K Def. 3.2; sufficient: K Cor. H.9",
     "every point of f(R^m) has exactly one preimage", IDC_PRE_MAP, 1},
    {"DIM", "latent dimension at most observed", "K Rem. 3.6", "m <= n", IDC_PRE_MAP, 1},
    {"DIMU1", "one-dimensional hidden state", "K Thm 3.9 (dim U = 1)",
     "the mixture has a single discrete hidden state U in {1..J}", IDC_PRE_STRUCTURE, 1},
    {"NOISE0", "noiseless observations", "X Sec. 2 (X = f(Z), REC is f(g(x)) = x)",
     "the observation noise level sigma is exactly 0", IDC_PRE_STRUCTURE, 1},
    {"I-i", "noise characteristic function non-zero", "I Thm 1 (i)",
     "the characteristic function of the noise is non-zero almost everywhere", IDC_PRE_AUX, 1},
    {"I-ii", "sufficient statistics differentiable", "I Thm 1 (ii)",
     "the sufficient statistics are differentiable a.e. with non-zero derivative a.e.", IDC_PRE_AUX, 1},
    {"I-iii", "auxiliary variability", "I Thm 1 (iii)",
     "there are nk+1 values u^0..u^nk with [lambda(u^l) - lambda(u^0)] invertible", IDC_PRE_AUX, 1},
    {"I-T2", "scalar statistics with unique minimum", "I Thm 2",
     "k = 1, one sufficient statistic T shared by all i, and T has a unique minimum", IDC_PRE_AUX, 1},
    {"REC", "perfect reconstruction", "X eq. 2", "the fitted decoder reconstructs the data: f(g(x)) = x",
     IDC_PRE_ESTIMATOR, 0},
    {"GAUSS", "encoded data is a pdGMM", "X eq. 3", "g(X) is a pdGMM with J' components", IDC_PRE_ESTIMATOR,
     0},
    {"SPARSE", "sparsity of the encoding", "X eq. 4", "E ||g(x)||_0 <= E ||z||_0", IDC_PRE_ESTIMATOR, 0},
    {"EST-X", "estimator in X's class", "X Thm 3.5",
     "g is an invertible continuous piecewise affine map and the decoder an invertible piecewise affine map onto "
     "its image",
     IDC_PRE_ESTIMATOR, 0},
    {"EST-K", "alternative model in K's class", "K Thm C.2, Thm D.4",
     "the fitted model is a non-degenerate GMM in reduced form pushed through a piecewise affine map with F2 "
     "(part c: continuous and injective) and reproduces P(X) exactly",
     IDC_PRE_ESTIMATOR, 0},
};

size_t idc_pre_count(void)
{
    return sizeof registry / sizeof registry[0];
}

const idc_pre_info *idc_pre_info_at(size_t i)
{
    return i < idc_pre_count() ? &registry[i] : NULL;
}

const idc_pre_info *idc_pre_info_find(const char *id)
{
    if (id == NULL)
        return NULL;
    for (size_t i = 0; i < idc_pre_count(); i++)
        if (strcmp(registry[i].id, id) == 0)
            return &registry[i];
    return NULL;
}
