#include "generators/mixing.h"

#include <math.h>
#include <stdlib.h>

#include "models/instance.h"
#include "numeric/dmat.h"

size_t idc_mix_default_layers(idc_mix_kind kind)
{
    return kind == IDC_MIX_ORTH ? 10 : 2;
}

int idc_mix_pa(const idc_mix_params *p)
{
    return p->kind != IDC_MIX_SMOOTH && p->kind != IDC_MIX_SIGMOID;
}

int idc_mix_injective(const idc_mix_params *p)
{
    return p->kind == IDC_MIX_ORTH || (p->kind == IDC_MIX_LEAKY && p->slope > 0.0);
}

/* W (rows x cols, rows >= cols) = Q_out diag(s) Q_in^T with condition cond;
 * draws rows*cols + cols*cols normals from (s, *k). */
static int random_weight(double *W, size_t rows, size_t cols, double cond, idc_rng s, uint64_t *k)
{
    double *Qo = idc_calloc(rows * cols, sizeof(double));
    double *Qi = idc_calloc(cols * cols, sizeof(double));
    int rc = (Qo == NULL || Qi == NULL) ? IDC_ENOMEM : IDC_OK;
    for (size_t i = 0; rc == IDC_OK && i < rows * cols; i++)
        Qo[i] = idc_rng_normal(s, (*k)++);
    for (size_t i = 0; rc == IDC_OK && i < cols * cols; i++)
        Qi[i] = idc_rng_normal(s, (*k)++);
    if (rc == IDC_OK)
        rc = idc_dmat_orthonormalize(Qo, rows, cols);
    if (rc == IDC_OK)
        rc = idc_dmat_orthonormalize(Qi, cols, cols);
    for (size_t r = 0; rc == IDC_OK && r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            double t = 0.0;
            for (size_t j = 0; j < cols; j++) {
                double sv = cols > 1 ? pow(cond, -(double)j / (double)(cols - 1)) : 1.0;
                t += Qo[r * cols + j] * sv * Qi[c * cols + j];
            }
            W[r * cols + c] = t;
        }
    free(Qo);
    free(Qi);
    return rc;
}

/* W (rows x cols) with orthonormal columns: QR of a Gaussian matrix. */
static int orth_weight(double *W, size_t rows, size_t cols, idc_rng s, uint64_t *k)
{
    for (size_t i = 0; i < rows * cols; i++)
        W[i] = idc_rng_normal(s, (*k)++);
    return idc_dmat_orthonormalize(W, rows, cols);
}

int idc_gen_mix(idc_pamap *f, const idc_mix_params *p, idc_rng s, uint64_t *k, idc_err *err)
{
    if (p->m < 1 || p->m > IDC_MAX_DIM)
        return idc_err_set(err, IDC_EINVAL, "--m: %zu is outside 1..%d", p->m, IDC_MAX_DIM);
    if (p->n < p->m || p->n > IDC_MAX_DIM)
        return idc_err_set(err, IDC_EINVAL, "--n: %zu must be in m..%d (m = %zu)", p->n, IDC_MAX_DIM, p->m);
    if (p->layers < 1 || p->layers > IDC_MAX_LAYERS)
        return idc_err_set(err, IDC_EINVAL, "--layers: %zu is outside 1..%d", p->layers, IDC_MAX_LAYERS);
    if ((int)p->kind < 0 || (int)p->kind > (int)IDC_MIX_SIGMOID)
        return idc_err_set(err, IDC_EINVAL, "--mix: unknown mixing kind %d", (int)p->kind);
    if (!(p->cond >= 1.0) || !isfinite(p->cond))
        return idc_err_set(err, IDC_EINVAL, "--cond: %g must be >= 1", p->cond);
    size_t *w = idc_calloc(p->layers + 1, sizeof(size_t));
    if (w == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    w[0] = p->m;
    for (size_t i = 1; i <= p->layers; i++)
        w[i] = p->n;
    int rc = idc_pamap_alloc_mlp(f, p->layers, w, err);
    free(w);
    for (size_t i = 0; rc == IDC_OK && i < p->layers; i++) {
        idc_layer *l = &f->layers[i];
        if (p->kind == IDC_MIX_ORTH) {
            rc = orth_weight(l->W, l->out, l->in, s, k);
            if (i + 1 == p->layers)
                continue; /* the last layer is linear (identity activation) */
            double sc = 0.5 + idc_rng_uniform(s, (*k)++);
            if (sc < 1.0) {
                l->act = IDC_ACT_LEAKY;
                l->slope = sc;
            } else if (sc > 1.0) {
                for (size_t a = 0; a < l->out * l->in; a++)
                    l->W[a] *= sc;
                l->act = IDC_ACT_LEAKY;
                l->slope = 1.0 / sc;
            }
            continue;
        }
        rc = random_weight(l->W, l->out, l->in, p->cond, s, k);
        for (size_t a = 0; rc == IDC_OK && a < l->out; a++)
            l->b[a] = p->bias * idc_rng_normal(s, (*k)++);
        if (i + 1 < p->layers) {
            static const idc_act acts[] = {IDC_ACT_LEAKY, IDC_ACT_LEAKY, IDC_ACT_RELU, IDC_ACT_SMOOTH_LEAKY,
                                           IDC_ACT_SIGMOID};
            l->act = acts[p->kind];
            l->slope = idc_act_has_slope(l->act) ? p->slope : 0.0;
        }
    }
    if (rc != IDC_OK && rc != IDC_ENOMEM)
        return idc_err_set(err, rc, "mixing: weight construction failed (%s)", idc_status_name(rc));
    if (rc == IDC_ENOMEM)
        return idc_err_set(err, rc, "out of memory");
    return IDC_OK;
}
