/* Verdicts, results, budgets, the registry of precondition IDs
 * (THEORY.md §3) and the dispatcher idc_pre_check (theory/precond.h). */
#include "theory/verdict.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "theory/check/map1d.h"
#include "theory/precond.h"

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

/* ---- dispatcher ---------------------------------------------------------- */

/* The checkers of polynomial cost whose only budget is the size of the exact
 * objects they build (J m^2 rationals): UNKNOWN when that exceeds the
 * entry cap. Returns 1 when the verdict was set. The other checkers watch
 * their deadline themselves. */
static int size_gate(idc_pre_result *res, const char *id, const idc_pdgmm *g, const idc_budget *budget)
{
    static const char *const gated[] = {"P2", "A3.8a", "A3.8b", "I-ii", "I-iii", "I-T2"};
    int hit = 0;
    for (size_t i = 0; i < sizeof gated / sizeof gated[0]; i++)
        hit |= strcmp(id, gated[i]) == 0;
    size_t cap = idc_budget_entries(budget), m = g->dim, J = g->ncomp;
    if (!hit || m == 0 || J <= cap / m / m)
        return 0;
    idc_pre_result_set(res, id, IDC_UNKNOWN, NULL,
                       "the exact data (J m^2 = %zu x %zu^2 rationals) exceeds the size budget of %zu entries", J, m,
                       cap);
    return 1;
}

int idc_pre_check_hashed(idc_pre_result *res, const char *id, const idc_instance *inst, const char *hash,
                         const idc_budget *budget, idc_err *err)
{
    const idc_pre_info *info = idc_pre_info_find(id);
    if (info == NULL)
        return idc_err_set(err, IDC_EINVAL, "unknown precondition ID \"%s\"", id != NULL ? id : "(null)");
    idc_pre_result_clear(res);
    const idc_pdgmm *g = &inst->prior;
    const idc_pamap *f = &inst->map;
    /* The exact prior checkers speak about Gaussian mixtures only. */
    if (g->family != IDC_FAMILY_GAUSSIAN &&
        (info->kind == IDC_PRE_PRIOR || strcmp(id, "I-ii") == 0 || strcmp(id, "I-iii") == 0 ||
         strcmp(id, "I-T2") == 0) &&
        info->implemented) {
        idc_pre_result_set(
            res, id, IDC_UNKNOWN, NULL,
            "the latent family is %s, not gaussian: the exact checkers of %s assume a Gaussian "
            "mixture",
            idc_family_name(g->family), id);
        return IDC_OK;
    }
    /* Maps that are not piecewise affine by construction (pinwheel): no exact
     * map checker applies (F1, FC, F2, F3, F4); DIM only needs the sizes. */
    if (f->kind == IDC_MAP_PINWHEEL && info->kind == IDC_PRE_MAP && strcmp(id, "DIM") != 0) {
        int rc = idc_map_validate(f, err);
        if (rc != IDC_OK)
            return rc;
        idc_pre_map_non_pa(res, id, f);
        return IDC_OK;
    }
    if (size_gate(res, id, g, budget))
        return IDC_OK;
    if (strcmp(id, "P1") == 0)
        return idc_pre_p1(res, g, hash, budget, err);
    if (strcmp(id, "P1nd") == 0)
        return idc_pre_p1nd(res, g, hash, budget, err);
    if (strcmp(id, "PD") == 0)
        return idc_pre_pd(res, g, hash, budget, err);
    if (strcmp(id, "P2") == 0)
        return idc_pre_p2(res, g, hash, budget, err);
    if (strcmp(id, "A3.4") == 0)
        return idc_pre_a34(res, g, hash, budget, err);
    if (strcmp(id, "A3.6") == 0)
        return idc_pre_a36(res, g, hash, budget, err);
    if (strcmp(id, "A3.8a") == 0)
        return idc_pre_a38a(res, g, hash, budget, err);
    if (strcmp(id, "A3.8b") == 0)
        return idc_pre_a38b(res, g, hash, budget, err);
    if (strcmp(id, "DIM") == 0)
        return idc_pre_dim(res, g, f, hash, budget, err);
    if (strcmp(id, "DIMU1") == 0)
        return idc_pre_dimu1(res, g, hash, budget, err);
    if (strcmp(id, "F1") == 0)
        return idc_pre_f1(res, f, hash, budget, err);
    if (strcmp(id, "FC") == 0)
        return idc_pre_fc(res, f, hash, budget, err);
    if (strcmp(id, "F4") == 0)
        return idc_pre_f4(res, f, hash, budget, err);
    if (strcmp(id, "F2") == 0 || strcmp(id, "F3") == 0)
        return idc_pre_f23(res, id, f, hash, budget, err);
    if (strcmp(id, "I-i") == 0)
        return idc_pre_ii(res, inst->noise_sigma, hash, budget, err);
    if (strcmp(id, "NOISE0") == 0)
        return idc_pre_noise0(res, inst->noise_sigma, hash, budget, err);
    if (strcmp(id, "I-ii") == 0 || strcmp(id, "I-iii") == 0 || strcmp(id, "I-T2") == 0)
        return idc_pre_ivae(res, id, g, inst->aux, hash, budget, err);
    if (strcmp(id, "P3") == 0)
        idc_pre_result_set(res, id, IDC_UNKNOWN, NULL,
                           "out of scope for certification (K Sec. 3.2 maximality conditions)");
    else if (info->kind == IDC_PRE_ESTIMATOR)
        idc_pre_result_set(res, id, IDC_UNKNOWN, NULL,
                           "a condition on a fitted estimator, not on the instance");
    else
        idc_pre_result_set(res, id, IDC_UNKNOWN, NULL, "no exact checker for %s yet", id);
    return IDC_OK;
}

int idc_pre_check(idc_pre_result *res, const char *id, const idc_instance *inst, const idc_budget *budget,
                  idc_err *err)
{
    if (idc_pre_info_find(id) == NULL)
        return idc_err_set(err, IDC_EINVAL, "unknown precondition ID \"%s\"", id != NULL ? id : "(null)");
    char hash[65];
    int rc = idc_instance_hash(hash, inst, err);
    if (rc != IDC_OK)
        return rc;
    return idc_pre_check_hashed(res, id, inst, hash, budget, err);
}
