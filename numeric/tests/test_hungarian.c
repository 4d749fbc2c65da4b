/* Tests of idc_hungarian / idc_hungarian_max: hand-solved cases, brute force
 * over every injective map for sizes 1..7, invariances, local optimality on
 * larger problems, and every error path. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "numeric/hungarian.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"

#define SEED_DEFAULT 0x4a756e6b65724856ULL
#define MAXN 7
#define NTRIALS 20000

/* Tolerance ladder (multiples of DBL_EPSILON). */
#define TOL_64 (64.0 * DBL_EPSILON)
#define TOL_1K (1024.0 * DBL_EPSILON)

static double sum_assigned(const double *c, size_t nr, size_t nc, const size_t *r2c)
{
    double t = 0.0;
    for (size_t i = 0; i < nr; i++)
        if (r2c[i] != SIZE_MAX)
            t += c[i * nc + r2c[i]];
    return t;
}

/* 1 when r2c assigns exactly min(nr, nc) rows to distinct columns < nc. */
static int valid_assignment(const size_t *r2c, size_t nr, size_t nc)
{
    unsigned char used[128] = {0};
    ck_assert(nc <= 128);
    size_t cnt = 0;
    for (size_t i = 0; i < nr; i++) {
        if (r2c[i] == SIZE_MAX)
            continue;
        if (r2c[i] >= nc || used[r2c[i]])
            return 0;
        used[r2c[i]] = 1;
        cnt++;
    }
    return cnt == (nr < nc ? nr : nc);
}

/* Brute force: best sum over all injective maps of the smaller side into
 * the larger, by recursion over rows (each row may be skipped only while
 * enough rows remain to fill the min(nr, nc) pairs). */
static void brute_rec(const double *c, size_t nr, size_t nc, double sign, size_t row, size_t placed,
                      unsigned used, double acc, double *best)
{
    size_t need = nr < nc ? nr : nc;
    if (placed == need) {
        if (sign * acc < sign * *best)
            *best = acc;
        return;
    }
    if (row == nr)
        return;
    for (size_t j = 0; j < nc; j++)
        if (!(used & (1u << j)))
            brute_rec(c, nr, nc, sign, row + 1, placed + 1, used | (1u << j), acc + c[row * nc + j],
                      best);
    if (nr - row > need - placed)
        brute_rec(c, nr, nc, sign, row + 1, placed, used, acc, best);
}

static double brute(const double *c, size_t nr, size_t nc, double sign)
{
    double best = sign * INFINITY;
    brute_rec(c, nr, nc, sign, 0, 0, 0u, 0.0, &best);
    return (nr == 0 || nc == 0) ? 0.0 : best;
}

/* ---- hand-solved cases -------------------------------------------------- */

START_TEST(test_hand_2x2)
{
    idc_err err;
    size_t r[2];
    double t;
    const double a[4] = {1, 2, 3, 1};
    ck_assert_int_eq(idc_hungarian(r, &t, a, 2, 2, &err), IDC_OK);
    ck_assert_uint_eq(r[0], 0);
    ck_assert_uint_eq(r[1], 1);
    ck_assert_double_eq(t, 2.0);

    const double b[4] = {4, 1, 2, 3}; /* the anti-diagonal wins: 1 + 2 < 4 + 3 */
    ck_assert_int_eq(idc_hungarian(r, &t, b, 2, 2, &err), IDC_OK);
    ck_assert_uint_eq(r[0], 1);
    ck_assert_uint_eq(r[1], 0);
    ck_assert_double_eq(t, 3.0);

    ck_assert_int_eq(idc_hungarian_max(r, &t, a, 2, 2, &err), IDC_OK); /* 2 + 3 */
    ck_assert_uint_eq(r[0], 1);
    ck_assert_uint_eq(r[1], 0);
    ck_assert_double_eq(t, 5.0);

    const double neg[4] = {-5, -1, -2, -7}; /* -5 - 7 */
    ck_assert_int_eq(idc_hungarian(r, &t, neg, 2, 2, &err), IDC_OK);
    ck_assert_uint_eq(r[0], 0);
    ck_assert_uint_eq(r[1], 1);
    ck_assert_double_eq(t, -12.0);
}
END_TEST

START_TEST(test_hand_3x3)
{
    idc_err err;
    size_t r[3];
    double t;
    /* a_i * b_j with a = b = (1, 2, 3): by the rearrangement inequality the
     * unique minimum pairs largest with smallest, 3 + 4 + 3 = 10. */
    const double prod[9] = {1, 2, 3, 2, 4, 6, 3, 6, 9};
    ck_assert_int_eq(idc_hungarian(r, &t, prod, 3, 3, &err), IDC_OK);
    ck_assert_uint_eq(r[0], 2);
    ck_assert_uint_eq(r[1], 1);
    ck_assert_uint_eq(r[2], 0);
    ck_assert_double_eq(t, 10.0);
    /* and the maximum pairs like with like: 1 + 4 + 9 */
    ck_assert_int_eq(idc_hungarian_max(r, &t, prod, 3, 3, &err), IDC_OK);
    ck_assert_uint_eq(r[0], 0);
    ck_assert_uint_eq(r[1], 1);
    ck_assert_uint_eq(r[2], 2);
    ck_assert_double_eq(t, 14.0);

    /* a row-greedy pick (row 0 -> col 1, cost 1) is not optimal here:
     * 0->1, 1->0, 2->2 costs 1 + 2 + 2 = 5, the unique optimum. */
    const double g[9] = {4, 1, 3, 2, 0, 5, 3, 2, 2};
    ck_assert_int_eq(idc_hungarian(r, &t, g, 3, 3, &err), IDC_OK);
    ck_assert_uint_eq(r[0], 1);
    ck_assert_uint_eq(r[1], 0);
    ck_assert_uint_eq(r[2], 2);
    ck_assert_double_eq(t, 5.0);

    /* Ties: rows 0 and 1 are identical, so two optima of cost 3 exist; both
     * must put row 2 on column 2. */
    const double tie[9] = {1, 1, 2, 1, 1, 2, 2, 2, 1};
    ck_assert_int_eq(idc_hungarian(r, &t, tie, 3, 3, &err), IDC_OK);
    ck_assert_double_eq(t, 3.0);
    ck_assert_uint_eq(r[2], 2);
    ck_assert(valid_assignment(r, 3, 3));

    /* All entries equal: every permutation is optimal. */
    const double flat[9] = {7, 7, 7, 7, 7, 7, 7, 7, 7};
    ck_assert_int_eq(idc_hungarian(r, &t, flat, 3, 3, &err), IDC_OK);
    ck_assert_double_eq(t, 21.0);
    ck_assert(valid_assignment(r, 3, 3));
}
END_TEST

START_TEST(test_hand_rect)
{
    idc_err err;
    size_t r[4];
    double t;
    /* 2x4: the cheapest entry of each row, in distinct columns. */
    const double a[8] = {5, 9, 1, 7, 3, 2, 8, 6};
    ck_assert_int_eq(idc_hungarian(r, &t, a, 2, 4, &err), IDC_OK);
    ck_assert_uint_eq(r[0], 2);
    ck_assert_uint_eq(r[1], 1);
    ck_assert_double_eq(t, 3.0);

    /* 2x4 where row-greedy (0->0, then 1->1 at 9) loses: 0->1, 1->0 = 3. */
    const double b[8] = {1, 2, 9, 9, 1, 9, 9, 9};
    ck_assert_int_eq(idc_hungarian(r, &t, b, 2, 4, &err), IDC_OK);
    ck_assert_uint_eq(r[0], 1);
    ck_assert_uint_eq(r[1], 0);
    ck_assert_double_eq(t, 3.0);

    /* 4x2, the transpose of b: column 0 takes row 1, column 1 takes row 0,
     * rows 2 and 3 stay unassigned. */
    const double bt[8] = {1, 1, 2, 9, 9, 9, 9, 9};
    ck_assert_int_eq(idc_hungarian(r, &t, bt, 4, 2, &err), IDC_OK);
    ck_assert_uint_eq(r[0], 1);
    ck_assert_uint_eq(r[1], 0);
    ck_assert_uint_eq(r[2], SIZE_MAX);
    ck_assert_uint_eq(r[3], SIZE_MAX);
    ck_assert_double_eq(t, 3.0);

    /* 4x2 where the cheap rows are the last ones. */
    const double c[8] = {9, 8, 7, 9, 1, 5, 6, 2};
    ck_assert_int_eq(idc_hungarian(r, &t, c, 4, 2, &err), IDC_OK);
    ck_assert_uint_eq(r[0], SIZE_MAX);
    ck_assert_uint_eq(r[1], SIZE_MAX);
    ck_assert_uint_eq(r[2], 0);
    ck_assert_uint_eq(r[3], 1);
    ck_assert_double_eq(t, 3.0);

    /* 1xN and Nx1 pick the extreme entry. */
    const double row[5] = {3, -1, 4, -1.5, 9};
    ck_assert_int_eq(idc_hungarian(r, &t, row, 1, 5, &err), IDC_OK);
    ck_assert_uint_eq(r[0], 3);
    ck_assert_double_eq(t, -1.5);
    ck_assert_int_eq(idc_hungarian_max(r, &t, row, 1, 5, &err), IDC_OK);
    ck_assert_uint_eq(r[0], 4);
    ck_assert_double_eq(t, 9.0);
    size_t rc[5];
    ck_assert_int_eq(idc_hungarian(rc, &t, row, 5, 1, &err), IDC_OK);
    for (size_t i = 0; i < 5; i++)
        ck_assert_uint_eq(rc[i], i == 3 ? 0 : SIZE_MAX);
    ck_assert_double_eq(t, -1.5);
}
END_TEST

START_TEST(test_empty)
{
    idc_err err;
    size_t r[3] = {0, 0, 0};
    double t = 99.0;
    ck_assert_int_eq(idc_hungarian(r, &t, NULL, 3, 0, &err), IDC_OK);
    for (size_t i = 0; i < 3; i++)
        ck_assert_uint_eq(r[i], SIZE_MAX);
    ck_assert_double_eq(t, 0.0);
    t = 99.0;
    ck_assert_int_eq(idc_hungarian(NULL, &t, NULL, 0, 4, &err), IDC_OK);
    ck_assert_double_eq(t, 0.0);
    /* total may be NULL */
    const double one = 2.5;
    ck_assert_int_eq(idc_hungarian(r, NULL, &one, 1, 1, &err), IDC_OK);
    ck_assert_uint_eq(r[0], 0);
}
END_TEST

/* ---- randomised: brute force ------------------------------------------- */

/* Fills an nr x nc matrix from stream s: continuous normals (kind 0) or small
 * integers 0..3 (kind 1), which make ties common and sums exact. */
static void random_cost(double *c, size_t nr, size_t nc, idc_rng s, int kind)
{
    for (size_t i = 0; i < nr * nc; i++)
        c[i] = kind == 0 ? idc_rng_normal(s, i) : (double)idc_rng_below(s, i, 4);
}

START_TEST(test_brute)
{
    const char *name = "hungarian_brute";
    uint64_t seed = idc_test_seed(SEED_DEFAULT);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    for (uint32_t trial = 0; trial < NTRIALS; trial++) {
        idc_rng g = idc_rng_stream(seed, trial, IDC_PURPOSE_GENERATOR);
        size_t nr = 1 + (size_t)idc_rng_below(g, 0, MAXN);
        size_t nc = 1 + (size_t)idc_rng_below(g, 1, MAXN);
        int kind = (int)idc_rng_below(g, 2, 2);
        double c[MAXN * MAXN];
        random_cost(c, nr, nc, idc_rng_stream(seed, trial, IDC_PURPOSE_SEARCH), kind);
        double scale = 0.0;
        for (size_t i = 0; i < nr * nc; i++)
            scale += fabs(c[i]);
        for (int mx = 0; mx < 2; mx++) {
            size_t r[MAXN];
            double t;
            int st = mx ? idc_hungarian_max(r, &t, c, nr, nc, &err)
                        : idc_hungarian(r, &t, c, nr, nc, &err);
            double want = brute(c, nr, nc, mx ? -1.0 : 1.0);
            if (st != IDC_OK || !valid_assignment(r, nr, nc) || t != sum_assigned(c, nr, nc, r) ||
                fabs(t - want) > TOL_64 * scale)
                IDC_TEST_FAIL_REPLAY(name, seed,
                                     "trial=%u %zux%zu kind=%d max=%d: status %d, total %.17g, "
                                     "brute force %.17g",
                                     trial, nr, nc, kind, mx, st, t, want);
        }
    }
}
END_TEST

/* ---- randomised: invariances -------------------------------------------- */

START_TEST(test_invariance)
{
    const char *name = "hungarian_invariance";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 1);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    for (uint32_t trial = 0; trial < 500; trial++) {
        idc_rng g = idc_rng_stream(seed, trial, IDC_PURPOSE_GENERATOR);
        size_t nr = 1 + (size_t)idc_rng_below(g, 0, 12);
        size_t nc = nr + (size_t)idc_rng_below(g, 1, 6); /* nr <= nc: every row assigned */
        double c[12 * 17], d[12 * 17], ct[12 * 17];
        /* Continuous entries: the optimum is unique with probability 1. */
        random_cost(c, nr, nc, idc_rng_stream(seed, trial, IDC_PURPOSE_SEARCH), 0);
        size_t r0[12], r1[12], rt[17];
        double t0, t1, tt;
        ck_assert_int_eq(idc_hungarian(r0, &t0, c, nr, nc, &err), IDC_OK);

        /* 1. A constant per row (all rows are assigned) and a positive
         * scale leave the assignment unchanged. */
        double scale = 0.25 + 4.0 * idc_rng_uniform(g, 2);
        for (size_t i = 0; i < nr; i++) {
            double shift = 10.0 * idc_rng_normal(g, 4 + i);
            for (size_t j = 0; j < nc; j++)
                d[i * nc + j] = scale * c[i * nc + j] + shift;
        }
        ck_assert_int_eq(idc_hungarian(r1, &t1, d, nr, nc, &err), IDC_OK);
        for (size_t i = 0; i < nr; i++)
            if (r1[i] != r0[i])
                IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u %zux%zu: row shift moved row %zu", trial,
                                     nr, nc, i);

        /* 2. Negating the matrix turns the minimisation into _max. */
        for (size_t i = 0; i < nr * nc; i++)
            d[i] = -c[i];
        ck_assert_int_eq(idc_hungarian_max(r1, &t1, d, nr, nc, &err), IDC_OK);
        for (size_t i = 0; i < nr; i++)
            if (r1[i] != r0[i])
                IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u %zux%zu: _max(-C) differs at row %zu",
                                     trial, nr, nc, i);
        ck_assert(fabs(t1 + t0) <= TOL_64 * (1.0 + fabs(t0)));

        /* 3. The transpose gives the inverse assignment (the nr > nc path). */
        for (size_t i = 0; i < nr; i++)
            for (size_t j = 0; j < nc; j++)
                ct[j * nr + i] = c[i * nc + j];
        ck_assert_int_eq(idc_hungarian(rt, &tt, ct, nc, nr, &err), IDC_OK);
        for (size_t i = 0; i < nr; i++)
            if (rt[r0[i]] != i)
                IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u %zux%zu: transpose disagrees at row %zu",
                                     trial, nr, nc, i);
        ck_assert(fabs(tt - t0) <= TOL_64 * (1.0 + fabs(t0)) * (double)nr);

        /* 4. A constant per column changes nothing when nr == nc. */
        if (nr == nc) {
            for (size_t j = 0; j < nc; j++) {
                double shift = 10.0 * idc_rng_normal(g, 100 + j);
                for (size_t i = 0; i < nr; i++)
                    d[i * nc + j] = c[i * nc + j] + shift;
            }
            ck_assert_int_eq(idc_hungarian(r1, &t1, d, nr, nc, &err), IDC_OK);
            for (size_t i = 0; i < nr; i++)
                if (r1[i] != r0[i])
                    IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u %zux%zu: column shift moved row %zu",
                                         trial, nr, nc, i);
        }
    }
}
END_TEST

/* ---- randomised: larger problems, local optimality ---------------------- */

START_TEST(test_large)
{
    const char *name = "hungarian_large";
    uint64_t seed = idc_test_seed(SEED_DEFAULT ^ 2);
    IDC_TEST_PRINT_SEED(name, seed);
    idc_err err;
    enum { NR = 60, NC = 90 };
    static double c[NR * NC];
    for (uint32_t trial = 0; trial < 6; trial++) {
        size_t nr = (trial % 2 == 0) ? NR : NC, nc = (trial % 2 == 0) ? NC : NR;
        if (trial >= 4)
            nc = nr = NR;
        random_cost(c, nr, nc, idc_rng_stream(seed, trial, IDC_PURPOSE_SEARCH),
                    (int)(trial % 3 == 2));
        size_t r[NC];
        double t;
        ck_assert_int_eq(idc_hungarian(r, &t, c, nr, nc, &err), IDC_OK);
        ck_assert(valid_assignment(r, nr, nc));
        /* No exchange of columns between two assigned rows, no move of an
         * assigned row to a free column, and no hand-over of a column to an
         * unassigned row lowers the cost. */
        unsigned char used[NC] = {0};
        for (size_t i = 0; i < nr; i++)
            if (r[i] != SIZE_MAX)
                used[r[i]] = 1;
        for (size_t i = 0; i < nr; i++) {
            for (size_t k = 0; k < nr; k++) {
                if (k == i)
                    continue;
                double now, alt;
                if (r[i] != SIZE_MAX && r[k] != SIZE_MAX) {
                    now = c[i * nc + r[i]] + c[k * nc + r[k]];
                    alt = c[i * nc + r[k]] + c[k * nc + r[i]];
                } else if (r[i] != SIZE_MAX) {
                    now = c[i * nc + r[i]];
                    alt = c[k * nc + r[i]];
                } else {
                    continue;
                }
                if (alt < now - TOL_1K * (fabs(now) + 1.0))
                    IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: swapping rows %zu, %zu improves",
                                         trial, i, k);
            }
            if (r[i] == SIZE_MAX)
                continue;
            for (size_t j = 0; j < nc; j++)
                if (!used[j] && c[i * nc + j] < c[i * nc + r[i]])
                    IDC_TEST_FAIL_REPLAY(name, seed, "trial=%u: row %zu prefers free column %zu",
                                         trial, i, j);
        }
    }
}
END_TEST

/* ---- errors ------------------------------------------------------------- */

static void expect_einval(int st, const idc_err *err, const char *needle, const size_t *r,
                          size_t nr, double t)
{
    ck_assert_int_eq(st, IDC_EINVAL);
    ck_assert_msg(strstr(err->msg, needle) != NULL, "message \"%s\" lacks \"%s\"", err->msg,
                  needle);
    ck_assert_msg(strchr(err->msg, '\n') == NULL, "message is not one line");
    for (size_t i = 0; r != NULL && i < nr; i++)
        ck_assert_uint_eq(r[i], SIZE_MAX);
    ck_assert_double_eq(t, 0.0);
}

START_TEST(test_errors)
{
    idc_err err;
    size_t r[3];
    double t;
    int st;
    double c[6] = {1, 2, 3, 4, 5, 6};

    c[4] = NAN;
    t = 1.0;
    st = idc_hungarian(r, &t, c, 2, 3, &err);
    expect_einval(st, &err, "cost[1][1] is not finite", r, 2, t);
    c[4] = INFINITY;
    t = 1.0;
    st = idc_hungarian_max(r, &t, c, 3, 2, &err);
    expect_einval(st, &err, "cost[2][0] is not finite", r, 3, t);
    c[4] = -INFINITY;
    t = 1.0;
    st = idc_hungarian(r, &t, c, 2, 3, &err);
    expect_einval(st, &err, "not finite", r, 2, t);
    c[4] = 5.0;

    t = 1.0;
    st = idc_hungarian(NULL, &t, c, 2, 3, &err);
    expect_einval(st, &err, "row_to_col is NULL", NULL, 0, t);
    t = 1.0;
    st = idc_hungarian(r, &t, NULL, 2, 3, &err);
    expect_einval(st, &err, "cost is NULL", r, 2, t);
    t = 1.0;
    st = idc_hungarian(r, &t, c, 2, SIZE_MAX / 2 + 1, &err);
    expect_einval(st, &err, "overflows", r, 2, t);

    const double wide[4] = {-DBL_MAX, 0, 0, DBL_MAX};
    t = 1.0;
    st = idc_hungarian(r, &t, wide, 2, 2, &err);
    expect_einval(st, &err, "too wide", r, 2, t);
    /* a huge but narrow spread is fine */
    const double far[4] = {1e300, 1e300, 1e300, 1e300};
    ck_assert_int_eq(idc_hungarian(r, &t, far, 2, 2, &err), IDC_OK);
    ck_assert_double_eq(t, 2e300);

    /* err may be NULL */
    c[0] = NAN;
    ck_assert_int_eq(idc_hungarian(r, &t, c, 2, 3, NULL), IDC_EINVAL);
}
END_TEST

static Suite *hungarian_suite(void)
{
    Suite *s = suite_create("hungarian");
    const idc_test_case cases[] = {
        {"hungarian_hand_2x2", test_hand_2x2},   {"hungarian_hand_3x3", test_hand_3x3},
        {"hungarian_hand_rect", test_hand_rect}, {"hungarian_empty", test_empty},
        {"hungarian_brute", test_brute},         {"hungarian_invariance", test_invariance},
        {"hungarian_large", test_large},         {"hungarian_errors", test_errors},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 60);
    return s;
}

int main(void)
{
    return idc_test_run(hungarian_suite());
}
