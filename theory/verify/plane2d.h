/* Internal to theory/check/pre_f23.c and theory/verify/verify_f23.c: exact planar
 * geometry for the m = 2 region analysis. Not part of the public API.
 *
 * Unbounded regions are handled symbolically: the plane is clipped to the
 * box [-M, M]^2 where M is a formal "sufficiently large" number. Numbers
 * are idc_bq = a + b M (a, b rational), ordered lexicographically (b
 * first), which is their order for every large enough M. Lines are
 * p x + q y + r with p, q rational and r an idc_bq (box sides x = M are
 * -x + M >= 0). Vertices are intersections of two lines, so their
 * coordinates stay of the form a + b M; every comparison made below holds
 * for all M beyond some finite M*, so a polygon list that tiles the box
 * symbolically tiles [-M, M]^2 for all large M, hence covers R^2.
 *
 * idc_poly: convex polygon with vertices v[0..n-1] in counterclockwise
 * order and e[k] the line through v[k], v[k+1] with the polygon on its
 * side e[k] >= 0. Polygons built by splitting always have positive area. */
#ifndef IDC_THEORY_PLANE2D_H
#define IDC_THEORY_PLANE2D_H

#include <flint/fmpq.h>
#include <flint/fmpq_mat.h>
#include <jansson.h>

typedef struct {
    fmpq_t a, b; /* a + b M */
} idc_bq;

typedef struct {
    fmpq_t p, q;
    idc_bq r; /* p x + q y + r */
} idc_pline;

typedef struct {
    idc_bq x, y;
} idc_pvert;

typedef struct {
    size_t n, alloc;
    idc_pvert *v;
    idc_pline *e;
} idc_poly;

/* 1 when an allocation failed in this thread since the last call (then
 * every result computed since is meaningless); resets the flag. */
int idc_plane_oom_take(void);

void idc_bq_init(idc_bq *x);
void idc_bq_clear(idc_bq *x);
void idc_bq_set(idc_bq *x, const idc_bq *y);
int idc_bq_sgn(const idc_bq *x);
int idc_bq_cmp(const idc_bq *x, const idc_bq *y);

void idc_pline_init(idc_pline *l);
void idc_pline_clear(idc_pline *l);
void idc_pline_set(idc_pline *l, const idc_pline *m);
/* out = l at the vertex v. */
void idc_pline_eval(idc_bq *out, const idc_pline *l, const idc_pvert *v);
/* out = l at the rational point (x, y). */
void idc_pline_eval_q(idc_bq *out, const idc_pline *l, const fmpq_t x, const fmpq_t y);
/* out = a ∩ b; 0 when parallel (out untouched). */
int idc_pline_meet(idc_pvert *out, const idc_pline *a, const idc_pline *b);

void idc_poly_init(idc_poly *P);
void idc_poly_clear(idc_poly *P);
void idc_poly_set(idc_poly *P, const idc_poly *Q);
void idc_poly_swap(idc_poly *P, idc_poly *Q);
/* The box [-M, M]^2. */
void idc_poly_box(idc_poly *P);
/* Sides of l on P: +1 when no vertex has l < 0 (P in {l >= 0}; also when l
 * vanishes on P), -1 when no vertex has l > 0 and some has l < 0, 0 when
 * both strict signs occur: then pos = P ∩ {l >= 0}, neg = P ∩ {l <= 0}
 * (both of positive area; either may be NULL). */
int idc_poly_split(idc_poly *pos, idc_poly *neg, const idc_poly *P, const idc_pline *l);
/* A point of the interior of P as a + b M coordinates (vertex average). */
void idc_poly_centroid(idc_pvert *c, const idc_poly *P);

/* JSON: a polygon as {"v": [[xa, xb, ya, yb]..], "e": [[p, q, ra, rb]..]}
 * (rationals "p/q"; the checker writes it, theory/check/pre_f23.c).
 * Parsing checks only the shape. */
int idc_poly_from_json(idc_poly *P, const json_t *j);


/* ---- affine cells: predicates shared by the checker and the verifier ---- */

/* J (n x 2), c (n x 1) and J2, c2 both of rank 2: when their images span
 * the same affine 2-flat, sets S (2 x 2, invertible) and d (2 x 1) with
 * J2 v + c2 = J (S v + d) + c for all v and returns 1; else 0. */
int idc_plane_flat_map(fmpq_mat_t S, fmpq_mat_t d, const fmpq_mat_t J, const fmpq_mat_t c, const fmpq_mat_t J2,
                       const fmpq_mat_t c2);
/* The region of P (its data edges; sides of the box are dropped, so this
 * is the unbounded region itself) mapped by u = S v + d, as half-planes in
 * u coordinates. out: P->n initialised lines; returns how many were
 * written. */
size_t idc_poly_map_lines(idc_pline *out, const idc_poly *P, const fmpq_mat_t S, const fmpq_mat_t d);
/* P := P ∩ {l_k >= 0 for all k}; returns 1 when the result has positive
 * area (P then holds it), 0 when the intersection has empty interior. */
int idc_poly_clip(idc_poly *P, const idc_pline *l, size_t nl);
/* Positive-area pieces of P minus {l_k >= 0 for all k}: appends them to
 * out (*nout entries, out has room for at least nl more). */
void idc_poly_subtract(idc_poly *out, size_t *nout, const idc_poly *P, const idc_pline *l, size_t nl);
/* Is y (n x 1) in the image J P + c of the closed polygon P (any rank)? */
int idc_plane_hits(const fmpq_mat_t J, const fmpq_mat_t c, const idc_poly *P, const fmpq_mat_t y);
/* A rational point (x, y) strictly inside every data edge of P (edges
 * with r.b = 0; box edges hold for M large): vertex average with weights
 * 1 + (k + i) mod 3 (variant k picks other points), at a concrete M large
 * enough for every edge. */
void idc_poly_interior_q(fmpq_t x, fmpq_t y, const idc_poly *P, unsigned variant);
/* Is the rational point strictly inside every edge of P (for large M)? */
int idc_poly_contains_strict_q(const idc_poly *P, const fmpq_t x, const fmpq_t y);

#endif
