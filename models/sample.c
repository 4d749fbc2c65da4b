#include "models/sample.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "numeric/rng.h"

void idc_samples_init(idc_samples *s)
{
    memset(s, 0, sizeof *s);
}

void idc_samples_clear(idc_samples *s)
{
    free(s->z);
    free(s->x);
    free(s->label);
    free(s->u);
    memset(s, 0, sizeof *s);
}

typedef struct {
    const idc_instance *inst;
    idc_samples *out;
    const double *cdf; /* J cumulative normalised weights */
    uint64_t seed;
    uint32_t trial;
    size_t lo, hi;
    int rc;
} job;

static size_t pick_component(const double *cdf, size_t J, double u)
{
    for (size_t j = 0; j + 1 < J; j++)
        if (u < cdf[j])
            return j;
    return J - 1;
}

/* eps_t of a non-Gaussian family (models/pdgmm.h) from the open-interval
 * uniform u = idc_rng_uniform(LATENT stream, i*m + t) by the inverse CDF,
 * standardised to mean 0 and variance 1. */
static double family_eps(idc_family fam, double u)
{
    static const double euler_gamma = 0.57721566490153286061;
    switch (fam) {
    case IDC_FAMILY_EXPONENTIAL: return -log(u) - 1.0;                                 /* E = -log u */
    case IDC_FAMILY_GUMBEL: return (-log(-log(u)) - euler_gamma) * (sqrt(6.0) / M_PI); /* G = -log(-log u) */
    case IDC_FAMILY_UNIFORM: return sqrt(3.0) * (2.0 * u - 1.0);
    default: return 0.0;
    }
}

static void *run_job(void *arg)
{
    job *jb = arg;
    const idc_instance *inst = jb->inst;
    const idc_pdgmm *g = &inst->prior;
    idc_samples *s = jb->out;
    size_t m = g->dim, n = s->xdim;
    idc_rng comp = idc_rng_stream(jb->seed, jb->trial, IDC_PURPOSE_COMPONENT);
    idc_rng lat = idc_rng_stream(jb->seed, jb->trial, IDC_PURPOSE_LATENT);
    idc_rng noise = idc_rng_stream(jb->seed, jb->trial, IDC_PURPOSE_NOISE);
    double *eps = idc_calloc(m, sizeof(double));
    double *work = idc_calloc(2 * idc_pamap_max_width(&inst->map), sizeof(double));
    if (eps == NULL || work == NULL) {
        jb->rc = IDC_ENOMEM;
        free(eps);
        free(work);
        return NULL;
    }
    for (size_t i = jb->lo; i < jb->hi; i++) {
        size_t j = pick_component(jb->cdf, g->ncomp, idc_rng_uniform(comp, i));
        const idc_component *c = &g->comp[j];
        size_t r = c->rank;
        if (g->family == IDC_FAMILY_GAUSSIAN)
            idc_rng_normal_fill(eps, r, lat, (uint64_t)i * m);
        else
            for (size_t t = 0; t < r; t++)
                eps[t] = family_eps(g->family, idc_rng_uniform(lat, (uint64_t)i * m + t));
        double *z = s->z + i * m;
        for (size_t a = 0; a < m; a++) {
            double t = c->mean[a];
            for (size_t k = 0; k < r; k++)
                t += c->L[a * r + k] * eps[k];
            z[a] = t;
        }
        double *x = s->x + i * n;
        idc_pamap_eval(&inst->map, x, z, work);
        if (inst->noise_sigma > 0.0)
            for (size_t a = 0; a < n; a++)
                x[a] += inst->noise_sigma * idc_rng_normal(noise, (uint64_t)i * n + a);
        s->label[i] = (int32_t)j;
        if (s->u != NULL)
            s->u[i] = (double)j;
    }
    free(eps);
    free(work);
    return NULL;
}

int idc_sample_draw(idc_samples *out, const idc_instance *inst, size_t n, uint64_t seed,
                    uint32_t trial, unsigned nthreads, idc_err *err)
{
    idc_samples_init(out);
    if (n == 0 || n > IDC_MAX_SAMPLES)
        return idc_err_set(err, IDC_EINVAL, "samples: n = %zu is outside 1..%zu", n, IDC_MAX_SAMPLES);
    const idc_pdgmm *g = &inst->prior;
    out->n = n;
    out->zdim = g->dim;
    out->xdim = inst->map.out_dim;
    out->z = idc_calloc(n * out->zdim, sizeof(double));
    out->x = idc_calloc(n * out->xdim, sizeof(double));
    out->label = idc_calloc(n, sizeof(int32_t));
    if (inst->aux == IDC_AUX_LABEL) {
        out->has_u = 1;
        out->u = idc_calloc(n, sizeof(double));
    }
    double *cdf = idc_calloc(g->ncomp, sizeof(double));
    if (out->z == NULL || out->x == NULL || out->label == NULL || cdf == NULL ||
        (out->has_u && out->u == NULL)) {
        free(cdf);
        idc_samples_clear(out);
        return idc_err_set(err, IDC_ENOMEM, "samples: out of memory for %zu samples", n);
    }
    double total = 0.0;
    for (size_t j = 0; j < g->ncomp; j++)
        total += g->comp[j].weight;
    double acc = 0.0;
    for (size_t j = 0; j < g->ncomp; j++) {
        acc += g->comp[j].weight;
        cdf[j] = acc / total;
    }
    if (nthreads == 0)
        nthreads = 1;
    if (nthreads > 256)
        nthreads = 256;
    if ((size_t)nthreads > n)
        nthreads = (unsigned)n;
    job jobs[256];
    pthread_t tid[256];
    int threaded[256] = {0};
    size_t chunk = (n + nthreads - 1) / nthreads;
    unsigned started = 0;
    int rc = IDC_OK;
    for (unsigned t = 0; t < nthreads; t++) {
        jobs[t] = (job){inst, out, cdf, seed, trial, t * chunk, (t + 1) * chunk < n ? (t + 1) * chunk : n, IDC_OK};
        if (jobs[t].lo >= jobs[t].hi)
            continue;
        threaded[t] = nthreads > 1 && pthread_create(&tid[t], NULL, run_job, &jobs[t]) == 0;
        if (!threaded[t])
            run_job(&jobs[t]);
        started = t + 1;
    }
    for (unsigned t = 0; t < started; t++) {
        if (threaded[t])
            pthread_join(tid[t], NULL);
        if (jobs[t].rc != IDC_OK)
            rc = jobs[t].rc;
    }
    free(cdf);
    if (rc != IDC_OK) {
        idc_samples_clear(out);
        return idc_err_set(err, rc, "samples: out of memory");
    }
    return IDC_OK;
}
