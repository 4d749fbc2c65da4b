/* Internal to theory/check/pre_map.c, f4_line.c and pre_f23.c: the exact network
 * (doubles read as dyadic rationals) and the exact piecewise-affine
 * restriction of a map to the real line (m = 1). Not part of the public API.
 *
 * idc_line1d: breakpoints t_0 < ... < t_{P-2}; piece p is the closed
 * interval [t_{p-1}, t_p] (t_{-1} = -inf, t_{P-1} = +inf) on which the map
 * equals al_p + be_p t (n x 1 each). Consecutive pieces may carry the same
 * affine map (a breakpoint of a hidden unit need not bend the output). */
#ifndef IDC_THEORY_MAP1D_H
#define IDC_THEORY_MAP1D_H

#include <flint/fmpq.h>
#include <flint/fmpq_mat.h>
#include <jansson.h>

#include "models/pamap.h"
#include "numeric/status.h"
#include "theory/verdict.h"

typedef struct {
    size_t L, m, n;
    fmpq_mat_struct *W, *b;
    fmpq *a;     /* value on the nonpositive branch: identity 1, relu 0, leaky slope */
    int *nonlin; /* 1 unless the activation is the identity map */
} idc_qnet;

typedef struct {
    fmpq_mat_t al, be;
} idc_line_piece;

typedef struct {
    size_t P;
    idc_line_piece *pc;
    fmpq *t; /* P - 1 breakpoints */
} idc_line1d;

/* Checks that f is a well-formed map (sizes, finite numbers); IDC_EINVAL
 * naming the field otherwise. */
int idc_map_validate(const idc_pamap *f, idc_err *err);

/* UNKNOWN for maps with smooth (non piecewise-affine) activations: sets res
 * and returns 1, else 0 (theory/check/pre_map.c). */
int idc_pre_map_non_pa(idc_pre_result *res, const char *id, const idc_pamap *f);

/* Exact copy of an MLP (IDC_ENOMEM on failure); clear releases it. */
int idc_qnet_init(idc_qnet *q, const idc_pamap *f);
void idc_qnet_clear(idc_qnet *q);
/* y (n x 1) = f(x) exactly; z (optional, L matrices out_i x 1) receives the
 * pre-activations. */
void idc_qnet_eval(fmpq_mat_t y, fmpq_mat_struct *z, const idc_qnet *q, const fmpq_mat_t x);

/* The MLP q (q->m = 1) over the line, layer by layer; *capped = 1 when more
 * than cap pieces would be needed or the deadline passed (ln is then
 * partial but valid to clear). */
int idc_line_build(idc_line1d *ln, int *capped, const idc_qnet *q, size_t cap, double deadline);
/* The piece table f (IDC_MAP_PWL1) in the same form (n = 1). Table piece p
 * covers [t_{p-1}, t_p); ln's pieces are the closed intervals. */
int idc_line_from_pwl1(idc_line1d *ln, const idc_pamap *f);
void idc_line_clear(idc_line1d *ln);
/* A point strictly inside piece p (or inside its closed ends). */
void idc_line_inside(fmpq_t out, const idc_line1d *ln, size_t p);
/* Is t in the closed piece p? */
int idc_line_contains(const idc_line1d *ln, size_t p, const fmpq_t t);

/* Collision certificate for x != y (m x 1 each) after checking f(x) = f(y)
 * exactly: *w = {"x", "y", "image", "found_by": how} and *ok = 1; *ok = 0
 * and *w = NULL when they do not collide (theory/check/pre_map.c). */
int idc_qnet_collision(json_t **w, int *ok, const idc_qnet *q, const fmpq_mat_t x, const fmpq_mat_t y,
                       const char *how);

/* F4 for an MLP with one input (q->m = 1), decided exactly
 * (theory/check/f4_line.c, which documents the method): *v = HOLDS with
 * method "monotone-1d" or "pairwise-1d", FAILS with "collision", or
 * UNKNOWN (piece or time budget; *w NULL) with the reason in reason. cap
 * bounds the exact entries (idc_budget_entries), deadline the time. */
int idc_f4_line(idc_verdict *v, json_t **w, const char **method, char *reason, size_t rlen, const idc_qnet *q,
                size_t cap, double deadline);

/* A point of (lo, hi) (midpoint; end -/+ 1 for half-lines; 0 for R). */
void idc_pick_inside(fmpq_t out, int lo_inf, int hi_inf, const fmpq_t lo, const fmpq_t hi);

#endif
