/* Internal to the certificate verifier (the files of theory/verify/): the
 * verification context, the helpers the per-precondition verifier files
 * share (verify_common.c) and the per-family entry points the dispatch
 * (verify_cert.c) calls. Not part of the public API; theory/verify.h is.
 *
 * Conventions: helpers named idc_vget_* parse a witness field and return 1
 * on success, 0 when it is missing or malformed; every idc_v_* verifier
 * returns IDC_OK for a valid certificate and IDC_EDOM (through idc_vfail,
 * which writes the one-line reason) otherwise. */
#ifndef IDC_THEORY_VERIFY_IMPL_H
#define IDC_THEORY_VERIFY_IMPL_H

#include <jansson.h>
#include <flint/fmpq_mat.h>

#include "models/pamap.h"
#include "models/pdgmm.h"
#include "theory/verdict.h"

typedef struct {
    const idc_pdgmm *g;
    const idc_pamap *f;
    const double *noise; /* NULL when unknown */
    int aux;             /* idc_aux_kind of the instance; -1 when unknown */
    char *reason;
    size_t rlen;
} vctx;

/* Exact component data rebuilt by the verifier: mu (m x 1), and either the
 * factor L (m x r; FACTOR and FRAME forms) or Sigma (m x m; COVARIANCE). */
typedef struct {
    idc_comp_form form;
    slong r;
    fmpq_mat_t mu, L, S;
} vcomp;

/* Writes the reason; returns IDC_EDOM. */
int idc_vfail(vctx *V, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Integer field key of obj in [lo, hi]. */
int idc_vget_index(slong *out, const json_t *obj, const char *key, slong lo, slong hi);
/* Array of n integers in [0, hi) (pairwise distinct when `distinct`). */
int idc_vget_indices(slong *out, const json_t *arr, slong n, slong hi, int distinct);
/* Column vector (initialised n x 1) from an array of n "p/q" strings. */
int idc_vget_qvec(fmpq_mat_t v, const json_t *arr, slong n);
/* Rational field key of obj. */
int idc_vget_q(fmpq_t q, const json_t *obj, const char *key);
/* obj.prime: an odd prime 3 <= p < 2^62. */
int idc_vget_prime(mp_limb_t *p, const json_t *obj);

/* The piece of a piece table (IDC_MAP_PWL1) holding t: piece p covers
 * [t_{p-1}, t_p). */
size_t idc_v_table_piece(const idc_pamap *f, const fmpq_t t);
/* Sign of alpha + beta t at an end of an interval: end = -1 (-inf), +1
 * (+inf) or 0 (the finite point t). */
int idc_v_end_sign(const fmpq_t alpha, const fmpq_t beta, int end, const fmpq_t t);
/* Exact rank of a rational matrix (rref). */
slong idc_v_rank(const fmpq_mat_t A);
/* y = f(x) exactly (verifier's own forward pass). */
void idc_v_eval(fmpq *y, const idc_pamap *f, const fmpq *x);
/* IDC_OK when the map is present and well formed, else a reason. */
int idc_v_need_map(vctx *V);

int idc_vcomp_load(vcomp *c, const idc_pdgmm *g, size_t j);
void idc_vcomp_clear(vcomp *c);
/* (Sigma_j)_{ab} exactly. */
void idc_v_sigma(fmpq_t out, const vcomp *c, slong a, slong b);
/* All components (NULL with a reason on failure); free with idc_v_free_all. */
vcomp *idc_v_load_all(vctx *V);
void idc_v_free_all(vcomp *c, size_t J);
/* A spanning set of V_j = col Sigma_j (L_j, or Sigma_j itself). */
const fmpq_mat_struct *idc_v_dirs(const vcomp *c);
/* Schur pivots of the symmetric S0 (m x m) by rational elimination: 1 when
 * PSD (zero pivots need zero rows), piv[0..m) set; 0 otherwise. */
int idc_v_schur(fmpq *piv, const fmpq_mat_t S0);
/* Per-component nonsingularity evidence of P1nd (strict) / PSD (!strict). */
int idc_v_components(vctx *V, const json_t *arr, const vcomp *c, int strict);
/* The rows x rows minor of a (rows x cols doubles) on columns sel is
 * nonzero mod p. */
int idc_v_minor_nonzero(const double *a, size_t rows, size_t cols, const slong *sel, mp_limb_t p);

/* The intervals of a 1-D "breakpoints" certificate (m = 1) with the affine
 * map al + be t of f on each, recomputed from the map (verify_f23.c). */
typedef struct {
    slong K, n;
    fmpq *T;       /* K - 1 breakpoints */
    fmpq *al, *be; /* K x n, row k = interval k */
} idc_vline;

/* Parses w.breakpoints (strictly increasing rationals) and recomputes the
 * affine map on every closed interval between them: every hidden unit must
 * keep one sign over the interval, else the reason names the interval.
 * Clear L with idc_vline_clear whatever the result. */
int idc_vline_load(vctx *V, idc_vline *L, const char *id, const json_t *w);
void idc_vline_clear(idc_vline *L);
/* Is f constant on interval k (be = 0)? */
int idc_vline_const(const idc_vline *L, slong k);

/* Per-precondition verifiers, one file per family; the dispatch
 * (verify_cert.c) has checked the envelope and the model hash. */
int idc_v_dim(vctx *V, idc_verdict v, const json_t *w);                                /* verify_map.c */
int idc_v_f1(vctx *V, idc_verdict v, const json_t *w);                                 /* verify_map.c */
int idc_v_fc(vctx *V, idc_verdict v, const char *method, const json_t *w);             /* verify_map.c */
int idc_v_f4(vctx *V, idc_verdict v, const char *method, const json_t *w);             /* verify_map.c */
int idc_v_prior(vctx *V, const char *id, idc_verdict v, const char *method, const json_t *w); /* verify_prior.c */
int idc_v_p2(vctx *V, idc_verdict v, const char *method, const json_t *w);             /* verify_p2.c */
int idc_v_a38(vctx *V, const char *id, idc_verdict v, const char *method, const json_t *w); /* verify_a38.c */
int idc_v_a34(vctx *V, idc_verdict v, const char *method, const json_t *w); /* verify_a34.c */
int idc_v_a36(vctx *V, idc_verdict v, const char *method, const json_t *w); /* verify_a36.c */

int idc_v_ivae(vctx *V, const char *id, idc_verdict v, const char *method, const json_t *w); /* verify_ivae.c */
int idc_v_f23(vctx *V, const char *id, idc_verdict v, const char *method, const json_t *w); /* verify_f23.c */
int idc_v_f4_pairwise(vctx *V, const json_t *w); /* verify_f4line.c: F4 "pairwise-1d" (HOLDS) */

#endif
