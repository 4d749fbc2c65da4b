#include "generators/registry.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "generators/gen_impl.h"
#include "generators/pdgmm.h"

/* ---- the registry -------------------------------------------------------- */

static const idc_gen_info *const registry[] = {
    &idc_gen_info_pdgmm,   &idc_gen_info_xu,      &idc_gen_info_kivva, &idc_gen_info_kivva_relu1d,
    &idc_gen_info_ivae,    &idc_gen_info_violate, &idc_gen_info_cx,    &idc_gen_info_parallelograms,
    &idc_gen_info_pinwheel};

size_t idc_gen_count(void)
{
    return sizeof registry / sizeof registry[0];
}

const idc_gen_info *idc_gen_at(size_t i)
{
    return i < idc_gen_count() ? registry[i] : NULL;
}

const idc_gen_info *idc_gen_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < idc_gen_count(); i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

/* ---- presets ------------------------------------------------------------- */

static const struct {
    const char *gen, *name, *text;
} presets[] = {
    {"xu", "paper", "J=0 draws=5 cover=0 mix=orth layers=10 center=population"},
};

const char *idc_gen_preset_text(const idc_gen_info *g, const char *name)
{
    for (size_t i = 0; g != NULL && name != NULL && i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(presets[i].gen, g->name) == 0 && strcmp(presets[i].name, name) == 0)
            return presets[i].text;
    return NULL;
}

int idc_gen_apply_preset(idc_gen_values *v, const char *name, idc_err *err)
{
    const char *t = idc_gen_preset_text(v->gen, name);
    if (t == NULL)
        return idc_err_set(err, IDC_EINVAL, "--%s: generator %s has no preset %s", name ? name : "",
                           v->gen ? v->gen->name : "(none)", name ? name : "");
    idc_gen_values w = *v;
    while (*t != '\0') {
        char kv[64];
        size_t len = strcspn(t, " ");
        if (len >= sizeof kv)
            return idc_err_set(err, IDC_EINTERNAL, "preset %s: entry too long", name);
        memcpy(kv, t, len);
        kv[len] = '\0';
        t += len + (t[len] == ' ');
        char *eq = strchr(kv, '=');
        if (eq == NULL)
            return idc_err_set(err, IDC_EINTERNAL, "preset %s: \"%s\" is not KEY=VALUE", name, kv);
        *eq = '\0';
        int rc = idc_gen_set_param(&w, kv, eq + 1, err);
        if (rc != IDC_OK)
            return rc;
    }
    *v = w;
    return IDC_OK;
}

/* ---- parameters ---------------------------------------------------------- */

static int param_index(const idc_gen_info *g, const char *name)
{
    for (size_t i = 0; g != NULL && name != NULL && i < g->nparams; i++)
        if (strcmp(g->params[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Index of word w in "a|b|c", or -1. */
static int choice_index(const char *choices, const char *w)
{
    size_t wl = strlen(w);
    int idx = 0;
    for (const char *p = choices; p != NULL && *p != '\0'; idx++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == wl && strncmp(p, w, len) == 0)
            return idx;
        p = bar ? bar + 1 : NULL;
    }
    return -1;
}

/* Word i of "a|b|c" into buf. */
static const char *choice_word(char *buf, size_t len, const char *choices, int i)
{
    const char *p = choices;
    for (int k = 0; k < i && p != NULL; k++) {
        p = strchr(p, '|');
        if (p != NULL)
            p++;
    }
    if (p == NULL)
        return NULL;
    const char *bar = strchr(p, '|');
    size_t l = bar ? (size_t)(bar - p) : strlen(p);
    if (l >= len)
        l = len - 1;
    memcpy(buf, p, l);
    buf[l] = '\0';
    return buf;
}

static int parse_value(double *out, const idc_gen_param *p, const char *s, idc_err *err)
{
    if (p->type == IDC_GEN_CHOICE) {
        int i = choice_index(p->choices, s);
        if (i < 0)
            return idc_err_set(err, IDC_EINVAL, "--%s: expected one of %s, got \"%s\"", p->name, p->choices, s);
        *out = i;
        return IDC_OK;
    }
    char *end;
    errno = 0;
    if (p->type == IDC_GEN_INT) {
        long long x = strtoll(s, &end, 10);
        if (end == s || *end != '\0' || errno != 0 || (double)x < p->lo || (double)x > p->hi)
            return idc_err_set(err, IDC_EINVAL, "--%s: expected an integer in %.0f..%.0f, got \"%s\"", p->name,
                               p->lo, p->hi, s);
        *out = (double)x;
        return IDC_OK;
    }
    double d = strtod(s, &end);
    if (end == s || *end != '\0' || errno != 0 || !isfinite(d) || d < p->lo || d > p->hi)
        return idc_err_set(err, IDC_EINVAL, "--%s: expected a number in [%g, %g], got \"%s\"", p->name, p->lo,
                           p->hi, s);
    *out = d;
    return IDC_OK;
}

void idc_gen_values_init(idc_gen_values *v, const idc_gen_info *g)
{
    memset(v, 0, sizeof *v);
    v->gen = g;
    for (size_t i = 0; g != NULL && i < g->nparams && i < IDC_GEN_MAX_PARAMS; i++) {
        double d = 0.0;
        if (parse_value(&d, &g->params[i], g->params[i].dflt, NULL) == IDC_OK)
            v->v[i] = d;
    }
}

int idc_gen_set_param(idc_gen_values *v, const char *name, const char *value, idc_err *err)
{
    if (v == NULL || v->gen == NULL)
        return idc_err_set(err, IDC_EINVAL, "no generator selected");
    int i = param_index(v->gen, name);
    if (i < 0)
        return idc_err_set(err, IDC_EINVAL, "--%s: unknown parameter of generator %s (see gen --list)",
                           name != NULL ? name : "(null)", v->gen->name);
    if (value == NULL)
        return idc_err_set(err, IDC_EINVAL, "--%s: missing value", name);
    return parse_value(&v->v[i], &v->gen->params[i], value, err);
}

double idc_gen_get(const idc_gen_values *v, const char *name)
{
    int i = param_index(v->gen, name);
    return i < 0 ? NAN : v->v[i];
}

const char *idc_gen_get_choice(const idc_gen_values *v, const char *name)
{
    int i = param_index(v->gen, name);
    if (i < 0 || v->gen->params[i].type != IDC_GEN_CHOICE)
        return NULL;
    static _Thread_local char buf[64]; /* valid until the next call on this thread */
    return choice_word(buf, sizeof buf, v->gen->params[i].choices, (int)v->v[i]);
}

size_t idc_gen_getz(const idc_gen_values *v, const char *name)
{
    double d = idc_gen_get(v, name);
    return d >= 0.0 && isfinite(d) ? (size_t)d : 0;
}

/* ---- helpers shared by the generators ------------------------------------ */

idc_mix_params idc_gen_mix_params(const idc_gen_values *v, size_t m)
{
    idc_mix_params p;
    p.kind = (idc_mix_kind)(int)idc_gen_get(v, "mix");
    p.m = m;
    p.n = idc_gen_getz(v, "n");
    if (p.n == 0)
        p.n = m;
    p.layers = idc_gen_getz(v, "layers");
    if (p.layers == 0)
        p.layers = idc_mix_default_layers(p.kind);
    p.slope = idc_gen_get(v, "slope");
    p.cond = idc_gen_get(v, "cond");
    p.bias = idc_gen_get(v, "bias");
    return p;
}

void idc_gen_apply_tail(idc_instance *out, const idc_gen_values *v)
{
    out->noise_sigma = idc_gen_get(v, "noise");
    out->nsamples = idc_gen_getz(v, "samples");
    out->aux = idc_gen_getz(v, "aux_label") ? IDC_AUX_LABEL : IDC_AUX_NONE;
}

void idc_gen_intent_add(idc_gen_intent *out, size_t *n, const char *id, idc_verdict v, int may_unknown)
{
    for (size_t k = 0; k < *n; k++)
        if (strcmp(out[k].id, id) == 0)
            return; /* the first entry for an ID wins */
    if (*n >= IDC_GEN_INTENT_MAX)
        return;
    out[*n].id = id;
    out[*n].verdict = v;
    out[*n].may_unknown = may_unknown;
    (*n)++;
}

void idc_gen_intent_mix(idc_gen_intent *out, size_t *n, const idc_mix_params *p)
{
    idc_gen_intent_add(out, n, "DIM", IDC_HOLDS, 0);
    if (!idc_mix_pa(p))
        return; /* F1 fails; the map checkers reject smooth activations so far */
    idc_gen_intent_add(out, n, "F1", IDC_HOLDS, 0);
    idc_gen_intent_add(out, n, "FC", IDC_HOLDS, 0);
    if (idc_mix_injective(p)) {
        idc_gen_intent_add(out, n, "F4", IDC_HOLDS, 0);
        idc_gen_intent_add(out, n, "F3", IDC_HOLDS, 0);
        idc_gen_intent_add(out, n, "F2", IDC_HOLDS, 0);
    }
}

int idc_gen_comp_factor(idc_pdgmm *g, size_t j, size_t r, idc_err *err)
{
    int rc = idc_pdgmm_comp_alloc(g, j, r, err);
    if (rc == IDC_OK)
        g->comp[j].form = IDC_COMP_FACTOR;
    return rc;
}

int idc_gen_comp_frame(idc_pdgmm *g, size_t j, size_t s, idc_err *err)
{
    int rc = idc_pdgmm_comp_alloc(g, j, s, err);
    if (rc != IDC_OK)
        return rc;
    idc_component *c = &g->comp[j];
    c->form = IDC_COMP_FRAME;
    c->nsupport = s;
    c->support = idc_calloc(s ? s : 1, sizeof(size_t));
    c->frame_mean = idc_calloc(s ? s : 1, sizeof(double));
    c->frame_L = idc_calloc(s ? s * s : 1, sizeof(double));
    if (c->support == NULL || c->frame_mean == NULL || c->frame_L == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    return IDC_OK;
}

int idc_gen_frame_identity(idc_pdgmm *g, idc_err *err)
{
    size_t m = g->dim;
    g->has_frame = 1;
    g->frame_basis = idc_calloc(m * m, sizeof(double));
    g->frame_translation = idc_calloc(m, sizeof(double));
    if (g->frame_basis == NULL || g->frame_translation == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    for (size_t i = 0; i < m; i++)
        g->frame_basis[i * m + i] = 1.0;
    return IDC_OK;
}

/* ---- generate, intent, list ---------------------------------------------- */

char *idc_gen_provenance(const idc_gen_values *v, uint64_t seed)
{
    const idc_gen_info *g = v->gen;
    json_t *params = json_object();
    for (size_t i = 0; params != NULL && i < g->nparams; i++) {
        const idc_gen_param *p = &g->params[i];
        json_t *x;
        char buf[64];
        if (p->type == IDC_GEN_INT)
            x = json_integer((json_int_t)v->v[i]);
        else if (p->type == IDC_GEN_REAL)
            x = json_real(v->v[i]);
        else
            x = json_string(choice_word(buf, sizeof buf, p->choices, (int)v->v[i]));
        json_object_set_new(params, p->name, x);
    }
    char hex[24];
    snprintf(hex, sizeof hex, "0x%016llx", (unsigned long long)seed);
    json_t *o = json_pack("{s:s,s:s,s:s,s:o}", "name", g->name, "version", g->version, "seed", hex, "params",
                          params);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(o);
    return s;
}

int idc_gen_generate(idc_instance *out, const idc_gen_values *v, uint64_t seed, idc_err *err)
{
    idc_instance_init(out);
    if (v == NULL || v->gen == NULL)
        return idc_err_set(err, IDC_EINVAL, "no generator selected");
    int rc = v->gen->generate(out, v, seed, err);
    if (rc == IDC_OK) {
        rc = idc_instance_validate(out, err);
        if (rc != IDC_OK)
            rc = idc_err_prefix(err, IDC_EINTERNAL, "generator %s produced an invalid instance: ", v->gen->name);
    }
    if (rc == IDC_OK) {
        free(out->generator);
        out->generator = idc_gen_provenance(v, seed);
        if (out->generator == NULL)
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    if (rc != IDC_OK)
        idc_instance_clear(out);
    return rc;
}

int idc_gen_intent_get(idc_gen_intent *out, size_t *n, const idc_gen_values *v, idc_err *err)
{
    *n = 0;
    if (v == NULL || v->gen == NULL)
        return idc_err_set(err, IDC_EINVAL, "no generator selected");
    return v->gen->intent(out, n, v, err);
}

int idc_gen_intent_for(idc_gen_intent *out, size_t *n, const idc_gen_values *v, const idc_instance *inst,
                       idc_err *err)
{
    int rc = idc_gen_intent_get(out, n, v, err);
    if (rc == IDC_OK && v->gen->intent_instance != NULL)
        rc = v->gen->intent_instance(out, n, v, inst, err);
    return rc;
}

typedef struct {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if (b->s != NULL && b->len + (size_t)k < b->cap) {
            b->len += (size_t)k;
            return;
        }
        size_t nc = (b->cap ? b->cap * 2 : 4096) + (size_t)k;
        char *ns = realloc(b->s, nc);
        if (ns == NULL) {
            b->oom = 1;
            return;
        }
        b->s = ns;
        b->cap = nc;
    }
}

char *idc_gen_list_text(void)
{
    sbuf b = {NULL, 0, 0, 0};
    for (size_t i = 0; i < idc_gen_count(); i++) {
        const idc_gen_info *g = registry[i];
        sb_printf(&b, "%s (version %s): %s\n", g->name, g->version, g->summary);
        sb_printf(&b, "  parameters (name, default, meaning):\n");
        for (size_t k = 0; k < g->nparams; k++) {
            const idc_gen_param *p = &g->params[k];
            if (p->type == IDC_GEN_CHOICE)
                sb_printf(&b, "    %-10s %-8s %s (%s)\n", p->name, p->dflt, p->help, p->choices);
            else if (p->type == IDC_GEN_INT)
                sb_printf(&b, "    %-10s %-8s %s [%.0f..%.0f]\n", p->name, p->dflt, p->help, p->lo, p->hi);
            else
                sb_printf(&b, "    %-10s %-8s %s [%g, %g]\n", p->name, p->dflt, p->help, p->lo, p->hi);
        }
        for (size_t k = 0; k < sizeof presets / sizeof presets[0]; k++)
            if (strcmp(presets[k].gen, g->name) == 0)
                sb_printf(&b, "  preset --%s: %s\n", presets[k].name, presets[k].text);
        sb_printf(&b, "  intent: %s\n", g->intent_doc);
        idc_gen_values v;
        idc_gen_values_init(&v, g);
        idc_gen_intent it[IDC_GEN_INTENT_MAX];
        size_t n = 0;
        if (idc_gen_intent_get(it, &n, &v, NULL) == IDC_OK && n > 0) {
            sb_printf(&b, "  intent at the defaults:");
            for (size_t k = 0; k < n; k++)
                sb_printf(&b, " %s=%s%s", it[k].id, idc_verdict_name(it[k].verdict),
                          it[k].may_unknown ? "(may be UNKNOWN)" : "");
            sb_printf(&b, "\n");
        }
        sb_printf(&b, "\n");
    }
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* ---- pdgmm through the registry ------------------------------------------ */

static const idc_gen_param pdgmm_params[] = {
    {"m", IDC_GEN_INT, "3", 1, IDC_MAX_DIM, NULL, "latent dimension"},
    {"n", IDC_GEN_INT, "0", 0, IDC_MAX_DIM, NULL, "observed dimension (0 = m; n > m: expanding map)"},
    {"J", IDC_GEN_INT, "3", 1, IDC_MAX_COMPONENTS, NULL, "number of mixture components"},
    {"ratio", IDC_GEN_REAL, "1", 1e-9, 1, NULL, "fraction of non-degenerate dimensions per component"},
    {"layers", IDC_GEN_INT, "2", 1, IDC_MAX_LAYERS, NULL, "mixing layers"},
    {"slope", IDC_GEN_REAL, "0.2", 0, 1e6, NULL, "leaky slope of the hidden layers (mix=leaky)"},
    {"cond", IDC_GEN_REAL, "2", 1, 1e12, NULL, "condition number of every weight (mix=leaky, relu)"},
    {"mean_scale", IDC_GEN_REAL, "2", 0, 1e6, NULL, "std of the component means"},
    {"scale", IDC_GEN_REAL, "1", 1e-12, 1e6, NULL, "scale of the component factors"},
    {"bias", IDC_GEN_REAL, "0", 0, 1e6, NULL, "std of the biases (mix=leaky, relu)"},
    {"noise", IDC_GEN_REAL, "0", 0, 1e6, NULL, "observation noise sigma"},
    {"samples", IDC_GEN_INT, "10000", 1, 1073741824.0, NULL, "default sample count of the instance"},
    {"aux_label", IDC_GEN_INT, "0", 0, 1, NULL, "1: declare u = component label (auxiliary variable)"},
    {"mix", IDC_GEN_CHOICE, "leaky", 0, 0, IDC_MIX_CHOICES, "mixing map kind (generators/mixing.h)"},
    IDC_GEN_PARAM_FAMILY,
};

static void pdgmm_from_values(idc_gen_pdgmm_params *p, const idc_gen_values *v)
{
    idc_gen_pdgmm_defaults(p);
    p->m = idc_gen_getz(v, "m");
    p->n = idc_gen_getz(v, "n");
    p->J = idc_gen_getz(v, "J");
    p->ratio = idc_gen_get(v, "ratio");
    p->layers = idc_gen_getz(v, "layers");
    p->slope = idc_gen_get(v, "slope");
    p->cond = idc_gen_get(v, "cond");
    p->mean_scale = idc_gen_get(v, "mean_scale");
    p->scale = idc_gen_get(v, "scale");
    p->bias = idc_gen_get(v, "bias");
    p->noise = idc_gen_get(v, "noise");
    p->samples = idc_gen_getz(v, "samples");
    p->aux_label = (int)idc_gen_getz(v, "aux_label");
    p->mix = (idc_mix_kind)(int)idc_gen_get(v, "mix");
    p->family = (idc_family)(int)idc_gen_get(v, "family");
}

static int pdgmm_generate(idc_instance *out, const idc_gen_values *v, uint64_t seed, idc_err *err)
{
    idc_gen_pdgmm_params p;
    pdgmm_from_values(&p, v);
    return idc_gen_pdgmm(out, &p, seed, err);
}

static int pdgmm_intent(idc_gen_intent *out, size_t *n, const idc_gen_values *v, idc_err *err)
{
    (void)err;
    idc_gen_pdgmm_params p;
    pdgmm_from_values(&p, v);
    size_t r = (size_t)llround(p.ratio * (double)p.m);
    if (r < 1)
        r = 1;
    if (r > p.m)
        r = p.m;
    idc_gen_intent_add(out, n, "DIMU1", IDC_HOLDS, 0);
    idc_mix_params mp = {.kind = p.mix,
                         .m = p.m,
                         .n = p.n ? p.n : p.m,
                         .layers = p.layers,
                         .slope = p.slope,
                         .cond = p.cond,
                         .bias = p.bias};
    if (p.family != IDC_FAMILY_GAUSSIAN) { /* not a GMM: the prior preconditions are not claimed */
        idc_gen_intent_mix(out, n, &mp);
        return IDC_OK;
    }
    /* Frame components on random coordinate supports with frame means drawn
     * N(0, mean_scale^2): distinct pairs with probability one (P1 is a
     * generic claim here); the frame is the identity, so A3.6 holds. */
    idc_gen_intent_add(out, n, "PD", IDC_HOLDS, 0);
    idc_gen_intent_add(out, n, "P1nd", r == p.m ? IDC_HOLDS : IDC_FAILS, 0);
    idc_gen_intent_add(out, n, "A3.6", IDC_HOLDS, 0);
    /* Supports through 0 with random frame means: the differences of
     * Mahalanobis distances have random constant terms, so A3.4 holds with
     * probability one when mean_scale > 0; with mean_scale = 0 disjoint
     * supports meet only at 0 = every mean (equal distances): no claim. */
    if (r == p.m || p.mean_scale > 0.0)
        idc_gen_intent_add(out, n, "A3.4", IDC_HOLDS, r < p.m);
    idc_gen_intent_mix(out, n, &mp);
    return IDC_OK;
}

const idc_gen_info idc_gen_info_pdgmm = {
    "pdgmm",
    IDC_GEN_PDGMM_VERSION,
    "random pdGMM on random coordinate supports (identity frame) through a random mixing MLP",
    pdgmm_params,
    sizeof pdgmm_params / sizeof pdgmm_params[0],
    "PD, A3.6 (frame-basis), DIMU1, DIM, F1, FC hold; P1nd holds iff ratio = 1; A3.4 holds "
    "generically when ratio = 1 or mean_scale > 0 (undecided for degenerate components so far); F4/F3/F2 "
    "hold for mix=leaky "
    "(slope > 0) and mix=orth (K Cor. H.9); no injectivity claim for mix=relu; with a non-gaussian "
    "family only DIMU1 and the map claims (the prior checkers answer UNKNOWN)",
    pdgmm_generate,
    pdgmm_intent,
    NULL,
};
