#include "models/pamap.h"

#include <math.h>

#include <stdlib.h>
#include <string.h>

void idc_pamap_init(idc_pamap *f)
{
    memset(f, 0, sizeof *f);
}

void idc_pamap_clear(idc_pamap *f)
{
    for (size_t i = 0; i < f->nlayers; i++) {
        free(f->layers[i].W);
        free(f->layers[i].b);
    }
    free(f->layers);
    free(f->breaks);
    free(f->slopes);
    free(f->intercepts);
    free(f->embed);
    memset(f, 0, sizeof *f);
}

int idc_pamap_alloc_mlp(idc_pamap *f, size_t nlayers, const size_t *widths, idc_err *err)
{
    idc_pamap_clear(f);
    if (nlayers == 0)
        return idc_err_set(err, IDC_EINVAL, "map.layers: expected at least one layer");
    f->kind = IDC_MAP_MLP;
    f->layers = idc_calloc(nlayers, sizeof *f->layers);
    if (f->layers == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    f->nlayers = nlayers;
    for (size_t i = 0; i < nlayers; i++) {
        idc_layer *l = &f->layers[i];
        l->in = widths[i];
        l->out = widths[i + 1];
        l->act = IDC_ACT_IDENTITY;
        l->slope = 1.0;
        l->W = idc_calloc(l->in * l->out, sizeof(double));
        l->b = idc_calloc(l->out, sizeof(double));
        if (l->W == NULL || l->b == NULL) {
            idc_pamap_clear(f);
            return idc_err_set(err, IDC_ENOMEM, "out of memory");
        }
    }
    f->in_dim = widths[0];
    f->out_dim = widths[nlayers];
    return IDC_OK;
}

int idc_pamap_alloc_pwl1(idc_pamap *f, size_t npieces, idc_err *err)
{
    idc_pamap_clear(f);
    if (npieces == 0)
        return idc_err_set(err, IDC_EINVAL, "map.pieces: expected at least one piece");
    f->kind = IDC_MAP_PWL1;
    f->npieces = npieces;
    f->in_dim = f->out_dim = 1;
    f->breaks = idc_calloc(npieces, sizeof(double));
    f->slopes = idc_calloc(npieces, sizeof(double));
    f->intercepts = idc_calloc(npieces, sizeof(double));
    if (f->breaks == NULL || f->slopes == NULL || f->intercepts == NULL) {
        idc_pamap_clear(f);
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    return IDC_OK;
}

int idc_pamap_alloc_pinwheel(idc_pamap *f, size_t n, idc_err *err)
{
    idc_pamap_clear(f);
    if (n == 0)
        return idc_err_set(err, IDC_EINVAL, "map.embed: expected at least one row");
    f->kind = IDC_MAP_PINWHEEL;
    f->in_dim = 2;
    f->out_dim = n;
    f->embed = idc_calloc(2 * n, sizeof(double));
    if (f->embed == NULL) {
        idc_pamap_clear(f);
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    return IDC_OK;
}

int idc_pamap_copy(idc_pamap *dst, const idc_pamap *src, idc_err *err)
{
    int rc;
    if (src->kind == IDC_MAP_PINWHEEL) {
        rc = idc_pamap_alloc_pinwheel(dst, src->out_dim, err);
        if (rc != IDC_OK)
            return rc;
        dst->rate = src->rate;
        memcpy(dst->embed, src->embed, 2 * src->out_dim * sizeof(double));
        return IDC_OK;
    }
    if (src->kind == IDC_MAP_PWL1) {
        rc = idc_pamap_alloc_pwl1(dst, src->npieces, err);
        if (rc != IDC_OK)
            return rc;
        size_t p = src->npieces;
        memcpy(dst->breaks, src->breaks, (p - 1) * sizeof(double));
        memcpy(dst->slopes, src->slopes, p * sizeof(double));
        memcpy(dst->intercepts, src->intercepts, p * sizeof(double));
        return IDC_OK;
    }
    size_t *w = idc_calloc(src->nlayers + 1, sizeof(size_t));
    if (w == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    for (size_t i = 0; i < src->nlayers; i++) {
        w[i] = src->layers[i].in;
        w[i + 1] = src->layers[i].out;
    }
    rc = idc_pamap_alloc_mlp(dst, src->nlayers, w, err);
    free(w);
    if (rc != IDC_OK)
        return rc;
    for (size_t i = 0; i < src->nlayers; i++) {
        const idc_layer *s = &src->layers[i];
        idc_layer *d = &dst->layers[i];
        memcpy(d->W, s->W, s->in * s->out * sizeof(double));
        memcpy(d->b, s->b, s->out * sizeof(double));
        d->act = s->act;
        d->slope = s->slope;
    }
    return IDC_OK;
}

size_t idc_pamap_max_width(const idc_pamap *f)
{
    size_t w = f->in_dim > f->out_dim ? f->in_dim : f->out_dim;
    for (size_t i = 0; i < f->nlayers; i++) {
        if (f->layers[i].in > w)
            w = f->layers[i].in;
        if (f->layers[i].out > w)
            w = f->layers[i].out;
    }
    return w;
}

static double softplus(double x)
{
    return x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

void idc_act_apply(double *v, size_t n, idc_act act, double slope)
{
    if (act == IDC_ACT_IDENTITY)
        return;
    if (act == IDC_ACT_SMOOTH_LEAKY) {
        for (size_t i = 0; i < n; i++)
            v[i] = slope * v[i] + (1.0 - slope) * softplus(v[i]);
        return;
    }
    if (act == IDC_ACT_SIGMOID) {
        for (size_t i = 0; i < n; i++)
            v[i] = v[i] >= 0.0 ? 1.0 / (1.0 + exp(-v[i])) : exp(v[i]) / (1.0 + exp(v[i]));
        return;
    }
    double a = act == IDC_ACT_RELU ? 0.0 : slope;
    for (size_t i = 0; i < n; i++)
        if (!(v[i] > 0.0))
            v[i] *= a;
}

const char *idc_act_name(idc_act act)
{
    switch (act) {
    case IDC_ACT_RELU: return "relu";
    case IDC_ACT_LEAKY: return "leaky_relu";
    case IDC_ACT_SMOOTH_LEAKY: return "smooth_leaky_relu";
    case IDC_ACT_SIGMOID: return "sigmoid";
    default: return "identity";
    }
}

int idc_act_is_pa(idc_act act)
{
    return act == IDC_ACT_IDENTITY || act == IDC_ACT_RELU || act == IDC_ACT_LEAKY;
}

int idc_act_has_slope(idc_act act)
{
    return act == IDC_ACT_LEAKY || act == IDC_ACT_SMOOTH_LEAKY;
}

int idc_pamap_is_pa(const idc_pamap *f)
{
    if (f->kind == IDC_MAP_PINWHEEL)
        return 0;
    if (f->kind != IDC_MAP_MLP)
        return 1;
    for (size_t i = 0; i < f->nlayers; i++)
        if (!idc_act_is_pa(f->layers[i].act))
            return 0;
    return 1;
}

static double pwl1_eval(const idc_pamap *f, double x)
{
    size_t p = 0;
    while (p + 1 < f->npieces && x >= f->breaks[p])
        p++;
    return f->slopes[p] * x + f->intercepts[p];
}

void idc_pamap_eval(const idc_pamap *f, double *y, const double *x, double *work)
{
    if (f->kind == IDC_MAP_PWL1) {
        y[0] = pwl1_eval(f, x[0]);
        return;
    }
    if (f->kind == IDC_MAP_PINWHEEL) {
        double z0 = x[0], z1 = x[1];
        double a = f->rate * exp(hypot(z0, z1)), c = cos(a), s = sin(a);
        double w0 = c * z0 - s * z1, w1 = s * z0 + c * z1;
        for (size_t i = 0; i < f->out_dim; i++)
            y[i] = f->embed[2 * i] * w0 + f->embed[2 * i + 1] * w1;
        return;
    }
    size_t w = idc_pamap_max_width(f);
    double *cur = work, *nxt = work + w;
    memcpy(cur, x, f->in_dim * sizeof(double));
    for (size_t i = 0; i < f->nlayers; i++) {
        const idc_layer *l = &f->layers[i];
        for (size_t r = 0; r < l->out; r++) {
            double s = l->b[r];
            const double *row = l->W + r * l->in;
            for (size_t c = 0; c < l->in; c++)
                s += row[c] * cur[c];
            nxt[r] = s;
        }
        idc_act_apply(nxt, l->out, l->act, l->slope);
        double *t = cur;
        cur = nxt;
        nxt = t;
    }
    memcpy(y, cur, f->out_dim * sizeof(double));
}
