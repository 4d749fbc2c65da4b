#include "models/pdgmm.h"

#include <stdlib.h>
#include <string.h>

void idc_pdgmm_init(idc_pdgmm *g)
{
    memset(g, 0, sizeof *g);
}

static void comp_clear(idc_component *c)
{
    free(c->mean);
    free(c->L);
    free(c->sigma);
    free(c->support);
    free(c->frame_mean);
    free(c->frame_L);
    memset(c, 0, sizeof *c);
}

void idc_pdgmm_clear(idc_pdgmm *g)
{
    for (size_t j = 0; j < g->ncomp; j++)
        comp_clear(&g->comp[j]);
    free(g->comp);
    free(g->frame_basis);
    free(g->frame_translation);
    memset(g, 0, sizeof *g);
}

int idc_pdgmm_alloc(idc_pdgmm *g, size_t m, size_t J, idc_err *err)
{
    idc_pdgmm_clear(g);
    if (m == 0 || m > IDC_MAX_DIM)
        return idc_err_set(err, IDC_EINVAL, "model.dim: %zu is outside 1..%d", m, IDC_MAX_DIM);
    if (J == 0 || J > IDC_MAX_COMPONENTS)
        return idc_err_set(err, IDC_EINVAL, "model.components: %zu components, expected 1..%d", J,
                           IDC_MAX_COMPONENTS);
    g->comp = idc_calloc(J, sizeof *g->comp);
    if (g->comp == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    g->dim = m;
    g->ncomp = J;
    return IDC_OK;
}

const char *idc_family_name(idc_family f)
{
    switch (f) {
    case IDC_FAMILY_GAUSSIAN: return "gaussian";
    case IDC_FAMILY_EXPONENTIAL: return "exponential";
    case IDC_FAMILY_GUMBEL: return "gumbel";
    case IDC_FAMILY_UNIFORM: return "uniform";
    default: return "?";
    }
}

int idc_family_parse(idc_family *f, const char *s)
{
    static const idc_family all[] = {IDC_FAMILY_GAUSSIAN, IDC_FAMILY_EXPONENTIAL, IDC_FAMILY_GUMBEL,
                                     IDC_FAMILY_UNIFORM};
    for (size_t i = 0; s != NULL && i < sizeof all / sizeof all[0]; i++)
        if (strcmp(s, idc_family_name(all[i])) == 0) {
            *f = all[i];
            return IDC_OK;
        }
    return IDC_EINVAL;
}

int idc_pdgmm_comp_alloc(idc_pdgmm *g, size_t j, size_t r, idc_err *err)
{
    idc_component *c = &g->comp[j];
    free(c->mean);
    free(c->L);
    c->mean = idc_calloc(g->dim, sizeof(double));
    c->L = idc_calloc(g->dim * (r ? r : 1), sizeof(double));
    c->rank = r;
    if (c->mean == NULL || c->L == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    return IDC_OK;
}

static int dup_array(void **dst, const void *src, size_t n, size_t size)
{
    *dst = NULL;
    if (src == NULL)
        return IDC_OK;
    *dst = idc_calloc(n, size);
    if (*dst == NULL)
        return IDC_ENOMEM;
    if (n > 0)
        memcpy(*dst, src, n * size);
    return IDC_OK;
}

int idc_pdgmm_copy(idc_pdgmm *dst, const idc_pdgmm *src, idc_err *err)
{
    int rc = idc_pdgmm_alloc(dst, src->dim, src->ncomp, err);
    if (rc != IDC_OK)
        return rc;
    size_t m = src->dim;
    dst->family = src->family;
    dst->has_frame = src->has_frame;
    rc |= dup_array((void **)&dst->frame_basis, src->frame_basis, m * m, sizeof(double));
    rc |= dup_array((void **)&dst->frame_translation, src->frame_translation, m, sizeof(double));
    for (size_t j = 0; j < src->ncomp; j++) {
        const idc_component *s = &src->comp[j];
        idc_component *d = &dst->comp[j];
        d->form = s->form;
        d->weight = s->weight;
        d->rank = s->rank;
        d->nsupport = s->nsupport;
        rc |= dup_array((void **)&d->mean, s->mean, m, sizeof(double));
        rc |= dup_array((void **)&d->L, s->L, m * (s->rank ? s->rank : 1), sizeof(double));
        rc |= dup_array((void **)&d->sigma, s->sigma, m * m, sizeof(double));
        rc |= dup_array((void **)&d->support, s->support, s->nsupport, sizeof(size_t));
        rc |= dup_array((void **)&d->frame_mean, s->frame_mean, s->nsupport, sizeof(double));
        rc |= dup_array((void **)&d->frame_L, s->frame_L, s->nsupport * (s->rank ? s->rank : 1),
                        sizeof(double));
    }
    if (rc != IDC_OK) {
        idc_pdgmm_clear(dst);
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    return IDC_OK;
}

void idc_pdgmm_update_frame_floats(idc_pdgmm *g)
{
    if (!g->has_frame)
        return;
    size_t m = g->dim;
    const double *B = g->frame_basis;
    for (size_t j = 0; j < g->ncomp; j++) {
        idc_component *c = &g->comp[j];
        if (c->form != IDC_COMP_FRAME)
            continue;
        size_t r = c->rank;
        for (size_t i = 0; i < m; i++) {
            double s = g->frame_translation[i];
            for (size_t a = 0; a < c->nsupport; a++)
                s += B[i * m + c->support[a]] * c->frame_mean[a];
            c->mean[i] = s;
            for (size_t k = 0; k < r; k++) {
                double t = 0.0;
                for (size_t a = 0; a < c->nsupport; a++)
                    t += B[i * m + c->support[a]] * c->frame_L[a * r + k];
                c->L[i * r + k] = t;
            }
        }
    }
}
