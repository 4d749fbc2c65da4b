/* Map builders shared by the map-checker test programs (header only). */
#ifndef IDC_THEORY_TESTS_MAPTEST_H
#define IDC_THEORY_TESTS_MAPTEST_H

#include <check.h>
#include <string.h>

#include "models/pamap.h"

/* f = an MLP with nl layers of widths w[0] -> ... -> w[nl]. */
static inline void mlp(idc_pamap *f, size_t nl, const size_t *w)
{
    idc_pamap_init(f);
    ck_assert_int_eq(idc_pamap_alloc_mlp(f, nl, w, NULL), IDC_OK);
}

/* Layer i's weights (row-major), biases (NULL: zero) and activation. */
static inline void layer(idc_pamap *f, size_t i, const double *W, const double *b, idc_act act, double slope)
{
    idc_layer *l = &f->layers[i];
    memcpy(l->W, W, l->in * l->out * sizeof(double));
    if (b != NULL)
        memcpy(l->b, b, l->out * sizeof(double));
    l->act = act;
    l->slope = act == IDC_ACT_LEAKY ? slope : (act == IDC_ACT_RELU ? 0.0 : 1.0);
}

/* f = a 1-D piece table with P pieces. */
static inline void pwl1(idc_pamap *f, size_t P, const double *breaks, const double *slopes, const double *icpt)
{
    idc_pamap_init(f);
    ck_assert_int_eq(idc_pamap_alloc_pwl1(f, P, NULL), IDC_OK);
    if (P > 1)
        memcpy(f->breaks, breaks, (P - 1) * sizeof(double));
    memcpy(f->slopes, slopes, P * sizeof(double));
    memcpy(f->intercepts, icpt, P * sizeof(double));
}

#endif
