/* The counterexample library (THEORY.md §5): each known counterexample as
 * data plus an exact witness that the harness re-derives in rational
 * arithmetic (FLINT fmpq): equal pushforward laws shown by a law-preserving
 * symmetry, and the failure of the theorem's conclusion shown by an exact
 * inconsistency. */
#ifndef IDC_THEORY_COUNTEREXAMPLE_H
#define IDC_THEORY_COUNTEREXAMPLE_H

#include <stddef.h>

#include <jansson.h>

#include "numeric/status.h"

typedef struct {
    const char *id;      /* THEORY.md §5 ID */
    const char *breaks;  /* the precondition it drops */
    const char *summary; /* one line */
    /* Re-derives the witness: IDC_OK and *witness (new reference, the exact
     * facts checked) when every step holds; IDC_EDOM with the failing step
     * in err otherwise. */
    int (*verify)(json_t **witness, idc_err *err);
} idc_cx_info;

size_t idc_cx_count(void);
const idc_cx_info *idc_cx_at(size_t i);
const idc_cx_info *idc_cx_find(const char *id);

/* A 1-D piecewise-affine function with rational data ("p/q" strings):
 * npieces pieces, npieces - 1 increasing breakpoints, piece p covering
 * [t_p, t_{p+1}) (t_0 = -inf, t_P = +inf). */
typedef struct {
    size_t npieces;
    const char *breaks[8];
    const char *slope[8];
    const char *intercept[8];
} idc_cx_pw;

/* Exact check that g = f o r on the whole real line (both sides affine
 * between the merged breakpoints; equality checked at every breakpoint and
 * at two points inside every interval). Returns 1/0; *bad receives a point
 * where they differ (as "p/q", caller frees) when 0. */
int idc_cx_pw_equal_composition(const idc_cx_pw *g, const idc_cx_pw *f, const idc_cx_pw *r, char **bad);

/* Exact check that no affine h(x) = a x + b maps the equal-weight 1-D GMM
 * with means mu[0..J) and common variance to the one with means nu[0..J)
 * and the same variance (a = +-1 then, and the components must match by a
 * permutation): returns 1 when none of the 2 J! candidates fits. J <= 6. */
int idc_cx_no_affine_match(const char *const *mu, const char *const *nu, size_t J);

#endif
