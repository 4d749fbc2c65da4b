/* Piecewise-affine mixing maps f: R^m -> R^n (THEORY.md §1, F1).
 *
 * Two kinds:
 *   IDC_MAP_MLP   f = h_t o a_{t-1} o ... o a_1 o h_1 with h_i(x) = W_i x + b_i
 *                 and a per-layer activation applied after h_i
 *                 (identity | relu | leaky_relu(slope)).
 *                 LReLU_a(x) = x for x > 0, a x for x <= 0.
 *                 Two SMOOTH activations exist for misspecification
 *                 experiments (X App. E.1): smooth_leaky_relu(slope)
 *                 a x + (1 - a) softplus(x), softplus(x) = log(1 + e^x),
 *                 and sigmoid 1 / (1 + e^-x). A map using them is NOT
 *                 piecewise affine (F1 fails); idc_act_is_pa tells.
 *   IDC_MAP_PWL1  an explicit 1-D piece table: breakpoints t_1 < ... < t_{P-1}
 *                 and P affine pieces; piece p (0-based) covers
 *                 [t_p, t_{p+1}) with t_0 = -inf, t_P = +inf, and there
 *                 f(x) = slope_p x + intercept_p. (Continuity is a
 *                 precondition, FC, checked exactly, not assumed.)
 *   IDC_MAP_PINWHEEL the warp of the classic pinwheel data (Kivva's VaDE
 *                 toy experiments), R^2 -> R^n, NOT piecewise affine:
 *                   f(z) = E R(rate * exp(|z|)) z,
 *                 |z| = hypot(z_1, z_2) the Euclidean norm, R(a) the rotation
 *                 [[cos a, -sin a], [sin a, cos a]], E the n x 2 embedding
 *                 (`embed`). A point is turned by an angle that grows
 *                 exponentially with its radius, so each Gaussian arm of the
 *                 latent is curled into a spiral. (The classic data rotates
 *                 by rate * exp(radial feature) before adding the arm angle;
 *                 using |z| instead makes f a function of z alone; the two
 *                 agree up to the small tangential spread.) f is continuous
 *                 and, for full-column-rank E, injective (the rotation keeps
 *                 |z|, so it is undone by turning back by the same angle);
 *                 the exact map checkers answer UNKNOWN for it. The angle
 *                 overflows to inf (f = NaN) for |z| > ~709.
 */
#ifndef IDC_MODELS_PAMAP_H
#define IDC_MODELS_PAMAP_H

#include <stddef.h>

#include "numeric/status.h"

typedef enum {
    IDC_ACT_IDENTITY = 0,
    IDC_ACT_RELU = 1,
    IDC_ACT_LEAKY = 2,
    IDC_ACT_SMOOTH_LEAKY = 3, /* a x + (1 - a) softplus(x); not piecewise affine */
    IDC_ACT_SIGMOID = 4       /* 1 / (1 + e^-x); not piecewise affine */
} idc_act;

typedef struct {
    size_t in, out; /* W is out x in */
    double *W;      /* row-major out x in */
    double *b;      /* out */
    idc_act act;
    double slope;   /* slope a (IDC_ACT_LEAKY, IDC_ACT_SMOOTH_LEAKY), 0 relu, 1 identity */
} idc_layer;

typedef enum { IDC_MAP_MLP = 0, IDC_MAP_PWL1 = 1, IDC_MAP_PINWHEEL = 2 } idc_map_kind;

typedef struct {
    idc_map_kind kind;
    size_t in_dim, out_dim;
    /* MLP */
    size_t nlayers;
    idc_layer *layers;
    /* PWL1 */
    size_t npieces;
    double *breaks;     /* npieces - 1 */
    double *slopes;     /* npieces */
    double *intercepts; /* npieces */
    /* PINWHEEL (in_dim = 2) */
    double rate;        /* angle rate: a point at radius r turns by rate * exp(r) */
    double *embed;      /* out_dim x 2 row-major */
} idc_pamap;

void idc_pamap_init(idc_pamap *f);
void idc_pamap_clear(idc_pamap *f);

/* Allocates an MLP with nlayers layers of the given widths
 * (widths[0] = in_dim, widths[nlayers] = out_dim), zero weights,
 * identity activations. */
int idc_pamap_alloc_mlp(idc_pamap *f, size_t nlayers, const size_t *widths, idc_err *err);

/* Allocates a piece table with npieces pieces. */
int idc_pamap_alloc_pwl1(idc_pamap *f, size_t npieces, idc_err *err);

/* Allocates a pinwheel warp R^2 -> R^n (rate 0, zero embedding). n >= 1. */
int idc_pamap_alloc_pinwheel(idc_pamap *f, size_t n, idc_err *err);

int idc_pamap_copy(idc_pamap *dst, const idc_pamap *src, idc_err *err);

/* Widest layer (max over in/out widths); the scratch size idc_pamap_eval needs
 * is 2 * idc_pamap_max_width(f) doubles. */
size_t idc_pamap_max_width(const idc_pamap *f);

/* y = f(x) in doubles (x: in_dim, y: out_dim). work holds
 * 2 * idc_pamap_max_width(f) doubles. x and y may alias. */
void idc_pamap_eval(const idc_pamap *f, double *y, const double *x, double *work);

/* Applies an activation in place to n values. */
void idc_act_apply(double *v, size_t n, idc_act act, double slope);

/* Name in the JSON format: "identity", "relu", "leaky_relu",
 * "smooth_leaky_relu", "sigmoid". */
const char *idc_act_name(idc_act act);

/* 1 when the activation is piecewise affine (identity, relu, leaky_relu). */
int idc_act_is_pa(idc_act act);

/* 1 when the activation takes a slope (leaky_relu, smooth_leaky_relu). */
int idc_act_has_slope(idc_act act);

/* 1 when every layer of f is piecewise affine (piece tables are; pinwheel
 * warps are not). */
int idc_pamap_is_pa(const idc_pamap *f);

#endif
