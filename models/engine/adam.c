/* Adam (Kingma and Ba 2015) with bias correction, in the PyTorch form
 * (models/engine/engine.h). */
#include "models/engine/engine.h"

#include <math.h>
#include <stdlib.h>

struct idc_adam {
    const idc_backend *be;
    size_t n;
    void *m, *v;
    uint64_t t;
};

void idc_adam_config_default(idc_adam_config *c)
{
    c->lr = 1e-3;
    c->beta1 = 0.9;
    c->beta2 = 0.999;
    c->eps = 1e-8;
}

idc_adam *idc_adam_new(const idc_backend *be, size_t n, idc_err *err)
{
    idc_adam *a = calloc(1, sizeof *a);
    if (a == NULL) {
        idc_err_set(err, IDC_ENOMEM, "adam: out of memory");
        return NULL;
    }
    a->be = be;
    a->n = n;
    a->m = be->alloc(be, n);
    a->v = be->alloc(be, n);
    if (a->m == NULL || a->v == NULL) {
        idc_adam_free(a);
        idc_err_set(err, IDC_ENOMEM, "adam: out of memory for %zu parameters", n);
        return NULL;
    }
    return a;
}

void idc_adam_free(idc_adam *a)
{
    if (a == NULL)
        return;
    a->be->release(a->be, a->m);
    a->be->release(a->be, a->v);
    free(a);
}

void idc_adam_step(idc_adam *a, const idc_adam_config *c, void *params, const void *grads)
{
    a->t++;
    double bc1 = 1.0 - pow(c->beta1, (double)a->t);
    double bc2 = 1.0 - pow(c->beta2, (double)a->t);
    a->be->adam(a->be, params, a->m, a->v, grads, a->n, c->lr, c->beta1, c->beta2, c->eps, bc1,
                bc2);
}

uint64_t idc_adam_steps(const idc_adam *a)
{
    return a->t;
}

/* ---- extra-gradient Adam ------------------------------------------------ */

struct idc_extra_adam {
    idc_adam *adam;
    void *backup;
};

idc_extra_adam *idc_extra_adam_new(const idc_backend *be, size_t n, idc_err *err)
{
    idc_extra_adam *a = calloc(1, sizeof *a);
    if (a == NULL) {
        idc_err_set(err, IDC_ENOMEM, "extra-adam: out of memory");
        return NULL;
    }
    a->adam = idc_adam_new(be, n, err);
    a->backup = a->adam != NULL ? be->alloc(be, n) : NULL;
    if (a->backup == NULL) {
        if (a->adam != NULL)
            idc_err_set(err, IDC_ENOMEM, "extra-adam: out of memory for %zu parameters", n);
        idc_extra_adam_free(a);
        return NULL;
    }
    return a;
}

void idc_extra_adam_free(idc_extra_adam *a)
{
    if (a == NULL)
        return;
    if (a->adam != NULL)
        a->adam->be->release(a->adam->be, a->backup);
    idc_adam_free(a->adam);
    free(a);
}

void idc_extra_adam_extrapolate(idc_extra_adam *a, const idc_adam_config *c, void *params, const void *grads)
{
    a->adam->be->copy(a->adam->be, a->backup, params, a->adam->n);
    idc_adam_step(a->adam, c, params, grads);
}

void idc_extra_adam_step(idc_extra_adam *a, const idc_adam_config *c, void *params, const void *grads)
{
    a->adam->be->copy(a->adam->be, params, a->backup, a->adam->n);
    idc_adam_step(a->adam, c, params, grads);
}

uint64_t idc_extra_adam_updates(const idc_extra_adam *a)
{
    return idc_adam_steps(a->adam);
}
