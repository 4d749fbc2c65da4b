#include "generators/pdgmm.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "numeric/dmat.h"
#include "numeric/rng.h"

void idc_gen_pdgmm_defaults(idc_gen_pdgmm_params *p)
{
    *p = (idc_gen_pdgmm_params){.m = 3,
                                .n = 0,
                                .J = 3,
                                .ratio = 1.0,
                                .layers = 2,
                                .slope = 0.2,
                                .cond = 2.0,
                                .mean_scale = 2.0,
                                .scale = 1.0,
                                .bias = 0.0,
                                .noise = 0.0,
                                .samples = 10000,
                                .aux_label = 0,
                                .mix = IDC_MIX_LEAKY,
                                .family = IDC_FAMILY_GAUSSIAN};
}

const char *idc_gen_pdgmm_help(void)
{
    return "  m           3      latent dimension (1..4096)\n"
           "  n           m      observed dimension (n >= m)\n"
           "  J           3      number of mixture components\n"
           "  ratio       1      fraction of non-degenerate dimensions per component, (0, 1]\n"
           "  layers      2      number of affine layers of the mixing MLP\n"
           "  slope       0.2    leaky-ReLU slope after every layer but the last\n"
           "  cond        2      condition number of every weight matrix (>= 1)\n"
           "  mean_scale  2      standard deviation of the component means\n"
           "  scale       1      scale of the component factors\n"
           "  bias        0      standard deviation of the biases\n"
           "  noise       0      observation noise sigma\n"
           "  samples     10000  default sample count recorded in the instance\n"
           "  aux_label   0      1: declare u = component label (auxiliary variable)\n"
           "  mix         leaky  mixing kind: leaky | orth | relu | smooth | sigmoid (generators/mixing.h)\n"
           "  family      gaussian  latent family: gaussian | exponential | gumbel | uniform "
           "(models/pdgmm.h)\n";
}

static int parse_d(double *out, const char *name, const char *v, double lo, double hi, idc_err *err)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end != '\0' || errno != 0 || !isfinite(d) || d < lo || d > hi)
        return idc_err_set(err, IDC_EINVAL, "--%s: expected a number in [%g, %g], got \"%s\"", name, lo, hi, v);
    *out = d;
    return IDC_OK;
}

static int parse_z(size_t *out, const char *name, const char *v, size_t lo, size_t hi, idc_err *err)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || *end != '\0' || errno != 0 || v[0] == '-' || x < lo || x > hi)
        return idc_err_set(err, IDC_EINVAL, "--%s: expected an integer in %zu..%zu, got \"%s\"", name, lo, hi, v);
    *out = (size_t)x;
    return IDC_OK;
}

int idc_gen_pdgmm_set(idc_gen_pdgmm_params *p, const char *name, const char *v, idc_err *err)
{
    size_t t;
    int rc;
    if (strcmp(name, "m") == 0)
        return parse_z(&p->m, name, v, 1, IDC_MAX_DIM, err);
    if (strcmp(name, "n") == 0)
        return parse_z(&p->n, name, v, 0, IDC_MAX_DIM, err);
    if (strcmp(name, "J") == 0)
        return parse_z(&p->J, name, v, 1, IDC_MAX_COMPONENTS, err);
    if (strcmp(name, "ratio") == 0)
        return parse_d(&p->ratio, name, v, 1e-9, 1.0, err);
    if (strcmp(name, "layers") == 0)
        return parse_z(&p->layers, name, v, 1, IDC_MAX_LAYERS, err);
    if (strcmp(name, "slope") == 0)
        return parse_d(&p->slope, name, v, 0.0, 1e6, err);
    if (strcmp(name, "cond") == 0)
        return parse_d(&p->cond, name, v, 1.0, 1e12, err);
    if (strcmp(name, "mean_scale") == 0)
        return parse_d(&p->mean_scale, name, v, 0.0, 1e6, err);
    if (strcmp(name, "scale") == 0)
        return parse_d(&p->scale, name, v, 1e-12, 1e6, err);
    if (strcmp(name, "bias") == 0)
        return parse_d(&p->bias, name, v, 0.0, 1e6, err);
    if (strcmp(name, "noise") == 0)
        return parse_d(&p->noise, name, v, 0.0, 1e6, err);
    if (strcmp(name, "samples") == 0)
        return parse_z(&p->samples, name, v, 1, IDC_MAX_SAMPLES, err);
    if (strcmp(name, "aux_label") == 0) {
        rc = parse_z(&t, name, v, 0, 1, err);
        p->aux_label = (int)t;
        return rc;
    }
    if (strcmp(name, "mix") == 0) {
        static const char *const kinds[] = {"leaky", "orth", "relu", "smooth", "sigmoid"};
        for (int i = 0; i < 5; i++)
            if (strcmp(v, kinds[i]) == 0) {
                p->mix = (idc_mix_kind)i;
                return IDC_OK;
            }
        return idc_err_set(err, IDC_EINVAL, "--mix: expected one of " IDC_MIX_CHOICES ", got \"%s\"", v);
    }
    if (strcmp(name, "family") == 0) {
        if (idc_family_parse(&p->family, v) == IDC_OK)
            return IDC_OK;
        return idc_err_set(err, IDC_EINVAL, "--family: expected one of " IDC_FAMILY_CHOICES ", got \"%s\"",
                           v);
    }
    return idc_err_set(err, IDC_EINVAL, "--%s: unknown parameter of generator pdgmm (see gen --list)", name);
}

/* Sequential draws from the generator stream. */
typedef struct {
    idc_rng s;
    uint64_t k;
} draws;

static double nrm(draws *d)
{
    return idc_rng_normal(d->s, d->k++);
}

static json_t *params_json(const idc_gen_pdgmm_params *p, size_t n)
{
    return json_pack("{s:I,s:I,s:I,s:f,s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:I,s:i,s:s}", "m", (json_int_t)p->m, "n",
                     (json_int_t)n, "J", (json_int_t)p->J, "ratio", p->ratio, "layers",
                     (json_int_t)p->layers, "slope", p->slope, "cond", p->cond, "mean_scale",
                     p->mean_scale, "scale", p->scale, "bias", p->bias, "noise", p->noise, "samples",
                     (json_int_t)p->samples, "aux_label", p->aux_label, "mix",
                     p->mix == IDC_MIX_ORTH      ? "orth"
                     : p->mix == IDC_MIX_RELU    ? "relu"
                     : p->mix == IDC_MIX_SMOOTH  ? "smooth"
                     : p->mix == IDC_MIX_SIGMOID ? "sigmoid"
                                                 : "leaky");
}

static int gen_prior(idc_pdgmm *g, const idc_gen_pdgmm_params *p, draws *d, idc_err *err)
{
    size_t m = p->m, J = p->J;
    int rc = idc_pdgmm_alloc(g, m, J, err);
    if (rc != IDC_OK)
        return rc;
    g->has_frame = 1;
    g->frame_basis = idc_calloc(m * m, sizeof(double));
    g->frame_translation = idc_calloc(m, sizeof(double));
    if (g->frame_basis == NULL || g->frame_translation == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    for (size_t i = 0; i < m; i++)
        g->frame_basis[i * m + i] = 1.0;
    size_t r = (size_t)llround(p->ratio * (double)m);
    if (r < 1)
        r = 1;
    if (r > m)
        r = m;
    size_t *perm = idc_calloc(m, sizeof(size_t));
    if (perm == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    for (size_t j = 0; j < J && rc == IDC_OK; j++) {
        idc_component *c = &g->comp[j];
        rc = idc_pdgmm_comp_alloc(g, j, r, err);
        if (rc != IDC_OK)
            break;
        c->form = IDC_COMP_FRAME;
        c->weight = 1.0 / (double)J;
        c->nsupport = r;
        c->support = idc_calloc(r, sizeof(size_t));
        c->frame_mean = idc_calloc(r, sizeof(double));
        c->frame_L = idc_calloc(r * r, sizeof(double));
        if (c->support == NULL || c->frame_mean == NULL || c->frame_L == NULL) {
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
            break;
        }
        /* A uniformly random r-subset (partial Fisher-Yates), sorted. */
        for (size_t i = 0; i < m; i++)
            perm[i] = i;
        for (size_t i = 0; i < r; i++) {
            size_t k = i + (size_t)idc_rng_below(d->s, d->k++, m - i);
            size_t t = perm[i];
            perm[i] = perm[k];
            perm[k] = t;
        }
        for (size_t i = 0; i < r; i++) {
            size_t v = perm[i], a = i;
            while (a > 0 && c->support[a - 1] > v) {
                c->support[a] = c->support[a - 1];
                a--;
            }
            c->support[a] = v;
        }
        for (size_t a = 0; a < r; a++)
            c->frame_mean[a] = p->mean_scale * nrm(d);
        for (size_t a = 0; a < r * r; a++)
            c->frame_L[a] = p->scale * nrm(d);
    }
    free(perm);
    if (rc == IDC_OK)
        idc_pdgmm_update_frame_floats(g);
    return rc;
}

static int gen_map(idc_pamap *f, const idc_gen_pdgmm_params *p, size_t n, draws *d, idc_err *err)
{
    idc_mix_params mp = {.kind = p->mix, .m = p->m, .n = n, .layers = p->layers, .slope = p->slope,
                         .cond = p->cond, .bias = p->bias};
    return idc_gen_mix(f, &mp, d->s, &d->k, err);
}

int idc_gen_pdgmm(idc_instance *out, const idc_gen_pdgmm_params *p, uint64_t seed, idc_err *err)
{
    idc_instance_init(out);
    size_t n = p->n ? p->n : p->m;
    if (p->m < 1 || p->m > IDC_MAX_DIM)
        return idc_err_set(err, IDC_EINVAL, "--m: %zu is outside 1..%d", p->m, IDC_MAX_DIM);
    if (n < p->m || n > IDC_MAX_DIM)
        return idc_err_set(err, IDC_EINVAL, "--n: %zu must be in m..%d (m = %zu)", n, IDC_MAX_DIM, p->m);
    if (p->J < 1 || p->J > IDC_MAX_COMPONENTS)
        return idc_err_set(err, IDC_EINVAL, "--J: %zu is outside 1..%d", p->J, IDC_MAX_COMPONENTS);
    if (!(p->ratio > 0.0 && p->ratio <= 1.0))
        return idc_err_set(err, IDC_EINVAL, "--ratio: %g is outside (0, 1]", p->ratio);
    if (p->layers < 1 || p->layers > IDC_MAX_LAYERS)
        return idc_err_set(err, IDC_EINVAL, "--layers: %zu is outside 1..%d", p->layers, IDC_MAX_LAYERS);
    if (!(p->cond >= 1.0) || !isfinite(p->cond))
        return idc_err_set(err, IDC_EINVAL, "--cond: %g must be >= 1", p->cond);
    draws d = {idc_rng_stream(seed, 0, IDC_PURPOSE_GENERATOR), 0};
    int rc = gen_prior(&out->prior, p, &d, err);
    out->prior.family = p->family;
    if (rc == IDC_OK)
        rc = gen_map(&out->map, p, n, &d, err);
    if (rc == IDC_OK) {
        out->noise_sigma = p->noise;
        out->aux = p->aux_label ? IDC_AUX_LABEL : IDC_AUX_NONE;
        out->nsamples = p->samples;
        char hex[24];
        snprintf(hex, sizeof hex, "0x%016llx", (unsigned long long)seed);
        json_t *gj = json_pack("{s:s,s:s,s:s,s:o}", "name", "pdgmm", "version", IDC_GEN_PDGMM_VERSION,
                               "seed", hex, "params", params_json(p, n));
        if (gj != NULL && p->family != IDC_FAMILY_GAUSSIAN)
            json_object_set_new(json_object_get(gj, "params"), "family",
                                json_string(idc_family_name(p->family)));
        out->generator = gj ? json_dumps(gj, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17)) : NULL;
        json_decref(gj);
        if (out->generator == NULL)
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    if (rc != IDC_OK)
        idc_instance_clear(out);
    return rc;
}
