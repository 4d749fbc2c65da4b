#include "numeric/hungarian.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* The solver always matches the smaller side ("agents", k of them) into the
 * larger side ("slots", K of them). When nr > nc the agents are the columns
 * of `cost`; the entry for (agent a, slot s) is then cost[s * nc + a]. This
 * is expressed with two strides so no transposed copy is needed. */
typedef struct {
    const double *cost;
    size_t astride, sstride; /* element offset per agent / per slot */
    double sign;             /* +1 to minimise, -1 to maximise */
    double shift;            /* subtracted so the smallest signed entry is 0 */
} view;

static double view_at(const view *w, size_t a, size_t s)
{
    return w->sign * w->cost[a * w->astride + s * w->sstride] - w->shift;
}

/* Successive shortest paths. Slot index K is a virtual root that holds the
 * agent being inserted. Dual feasibility u[a] + v[s] <= c(a, s) is kept
 * throughout, with equality on matched pairs; dist[s] is the reduced length
 * of the best alternating path found so far ending in slot s, prev[s] the
 * slot before it on that path. On return slot_agent[s] is the agent matched
 * to slot s, or SIZE_MAX. */
static void solve(size_t *slot_agent, const view *w, size_t k, size_t K, double *u, double *v,
                  double *dist, size_t *prev, size_t *done)
{
    for (size_t s = 0; s <= K; s++) {
        slot_agent[s] = SIZE_MAX;
        v[s] = 0.0;
    }
    for (size_t a = 0; a < k; a++)
        u[a] = 0.0;

    for (size_t a = 0; a < k; a++) {
        for (size_t s = 0; s < K; s++) {
            dist[s] = INFINITY;
            done[s] = 0;
        }
        done[K] = 0;
        slot_agent[K] = a;
        size_t cur = K;
        for (;;) {
            done[cur] = 1;
            size_t i = slot_agent[cur];
            double best = INFINITY;
            size_t next = SIZE_MAX;
            for (size_t s = 0; s < K; s++) {
                if (done[s])
                    continue;
                double red = view_at(w, i, s) - u[i] - v[s];
                if (red < dist[s]) {
                    dist[s] = red;
                    prev[s] = cur;
                }
                if (next == SIZE_MAX || dist[s] < best) {
                    best = dist[s];
                    next = s;
                }
            }
            /* At most a of the K >= k > a real slots are matched, so an
             * unvisited slot always exists and next is set. */
            /* done[K] is set, so dist (K entries) is never read at K. */
            for (size_t s = 0; s <= K; s++) {
                if (done[s]) {
                    u[slot_agent[s]] += best;
                    v[s] -= best;
                } else {
                    dist[s] -= best;
                }
            }
            cur = next;
            if (slot_agent[cur] == SIZE_MAX)
                break;
        }
        while (cur != K) {
            size_t p = prev[cur];
            slot_agent[cur] = slot_agent[p];
            cur = p;
        }
    }
}

static int assign(size_t *row_to_col, double *total, const double *cost, size_t nr, size_t nc,
                  double sign, idc_err *err)
{
    if (row_to_col != NULL)
        for (size_t i = 0; i < nr; i++)
            row_to_col[i] = SIZE_MAX;
    if (total != NULL)
        *total = 0.0;
    if (nr > 0 && row_to_col == NULL)
        return idc_err_set(err, IDC_EINVAL, "hungarian: row_to_col is NULL with nr = %zu", nr);
    if (nr == 0 || nc == 0)
        return IDC_OK;
    if (cost == NULL)
        return idc_err_set(err, IDC_EINVAL, "hungarian: cost is NULL for a %zux%zu matrix", nr, nc);
    if (nr > SIZE_MAX / nc)
        return idc_err_set(err, IDC_EINVAL, "hungarian: %zux%zu cost matrix overflows size_t", nr,
                           nc);

    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < nr; i++) {
        for (size_t j = 0; j < nc; j++) {
            double c = cost[i * nc + j];
            if (!isfinite(c))
                return idc_err_set(err, IDC_EINVAL, "hungarian: cost[%zu][%zu] is not finite (%g)",
                                   i, j, c);
            c *= sign;
            lo = c < lo ? c : lo;
            hi = c > hi ? c : hi;
        }
    }
    size_t k = nr <= nc ? nr : nc;
    size_t K = nr <= nc ? nc : nr;
    double spread = hi - lo;
    if (!(spread <= DBL_MAX / (4.0 * ((double)k + 1.0))))
        return idc_err_set(err, IDC_EINVAL,
                           "hungarian: cost entries span %g, too wide for %zu assigned pairs",
                           spread, k);

    view w = {cost, nc, 1, sign, lo};
    if (nr > nc) {
        w.astride = 1;
        w.sstride = nc;
    }

    /* One double block (u: k, v: K+1, dist: K) and one index block
     * (slot_agent, prev, done: K+1 each). K < SIZE_MAX / 4 keeps the counts
     * from wrapping; idc_calloc checks the byte sizes. */
    if (K >= SIZE_MAX / 4)
        return idc_err_set(err, IDC_ENOMEM, "hungarian: %zux%zu problem is too large", nr, nc);
    double *dbl = idc_calloc(k + 2 * K + 1, sizeof *dbl);
    size_t *idx = idc_calloc(3 * (K + 1), sizeof *idx);
    if (dbl == NULL || idx == NULL) {
        free(dbl);
        free(idx);
        return idc_err_set(err, IDC_ENOMEM, "hungarian: out of memory for a %zux%zu problem", nr,
                           nc);
    }
    double *u = dbl, *v = dbl + k, *dist = dbl + k + K + 1;
    size_t *slot_agent = idx, *prev = idx + K + 1, *done = idx + 2 * (K + 1);
    solve(slot_agent, &w, k, K, u, v, dist, prev, done);

    for (size_t s = 0; s < K; s++) {
        size_t a = slot_agent[s];
        if (a == SIZE_MAX)
            continue;
        if (nr <= nc)
            row_to_col[a] = s;
        else
            row_to_col[s] = a;
    }
    free(dbl);
    free(idx);

    if (total != NULL) {
        double t = 0.0;
        for (size_t i = 0; i < nr; i++)
            if (row_to_col[i] != SIZE_MAX)
                t += cost[i * nc + row_to_col[i]];
        *total = t;
    }
    return IDC_OK;
}

int idc_hungarian(size_t *row_to_col, double *total, const double *cost, size_t nr, size_t nc,
                  idc_err *err)
{
    return assign(row_to_col, total, cost, nr, nc, 1.0, err);
}

int idc_hungarian_max(size_t *row_to_col, double *total, const double *weight, size_t nr, size_t nc,
                      idc_err *err)
{
    return assign(row_to_col, total, weight, nr, nc, -1.0, err);
}
