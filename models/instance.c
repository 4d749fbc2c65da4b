/* Strict JSON reader/writer of instances (format 1, docs/FORMAT.md). */
#include "models/instance.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <nettle/sha2.h>

#include "numeric/dmat.h"
#include "numeric/fileio.h"
#include "numeric/qmat.h"

#define MAX_WIDTH 65536
#define MAX_PARAMS ((size_t)1 << 28)

void idc_instance_init(idc_instance *inst)
{
    memset(inst, 0, sizeof *inst);
    idc_pdgmm_init(&inst->prior);
    idc_pamap_init(&inst->map);
}

void idc_instance_clear(idc_instance *inst)
{
    idc_pdgmm_clear(&inst->prior);
    idc_pamap_clear(&inst->map);
    free(inst->generator);
    memset(inst, 0, sizeof *inst);
}

/* ---- strict accessors: every error names the JSON path ---------------- */

static int check_keys(const json_t *obj, const char *path, const char *const *allowed, idc_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        int ok = 0;
        for (size_t i = 0; allowed[i] != NULL; i++)
            if (strcmp(key, allowed[i]) == 0)
                ok = 1;
        if (!ok)
            return idc_err_set(err, IDC_EINVAL, "%s%s%s: unknown field", path, *path ? "." : "", key);
    }
    return IDC_OK;
}

static int get_object(json_t **out, const json_t *parent, const char *key, const char *path,
                      int required, idc_err *err)
{
    *out = json_object_get(parent, key);
    if (*out == NULL) {
        if (required)
            return idc_err_set(err, IDC_EINVAL, "%s%s%s: missing field", path, *path ? "." : "", key);
        return IDC_OK;
    }
    if (!json_is_object(*out))
        return idc_err_set(err, IDC_EINVAL, "%s%s%s: expected an object", path, *path ? "." : "", key);
    return IDC_OK;
}

static int num_value(double *out, const json_t *v, const char *path, idc_err *err)
{
    if (!json_is_number(v))
        return idc_err_set(err, IDC_EINVAL, "%s: expected a number", path);
    double d = json_number_value(v);
    if (!isfinite(d))
        return idc_err_set(err, IDC_EINVAL, "%s: not a finite number", path);
    *out = d;
    return IDC_OK;
}

static int get_number(double *out, const json_t *obj, const char *key, const char *path, idc_err *err)
{
    char p[256];
    snprintf(p, sizeof p, "%s.%s", path, key);
    json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return idc_err_set(err, IDC_EINVAL, "%s: missing field", p);
    return num_value(out, v, p, err);
}

static int get_size(size_t *out, const json_t *obj, const char *key, const char *path, size_t lo,
                    size_t hi, idc_err *err)
{
    char p[256];
    snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
    json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return idc_err_set(err, IDC_EINVAL, "%s: missing field", p);
    if (!json_is_integer(v))
        return idc_err_set(err, IDC_EINVAL, "%s: expected an integer", p);
    json_int_t x = json_integer_value(v);
    if (x < 0 || (unsigned long long)x < lo || (unsigned long long)x > hi)
        return idc_err_set(err, IDC_EINVAL, "%s: %lld is outside %zu..%zu", p, (long long)x, lo, hi);
    *out = (size_t)x;
    return IDC_OK;
}

/* Vector of exactly n numbers (n == 0: any length accepted, length returned). */
static int get_vector(double *out, const json_t *v, size_t n, const char *path, idc_err *err)
{
    if (v == NULL)
        return idc_err_set(err, IDC_EINVAL, "%s: missing field", path);
    if (!json_is_array(v))
        return idc_err_set(err, IDC_EINVAL, "%s: expected an array of %zu numbers", path, n);
    if (json_array_size(v) != n)
        return idc_err_set(err, IDC_EINVAL, "%s: expected %zu numbers, got %zu", path, n,
                           json_array_size(v));
    for (size_t i = 0; i < n; i++) {
        char p[256];
        snprintf(p, sizeof p, "%s[%zu]", path, i);
        int rc = num_value(&out[i], json_array_get(v, i), p, err);
        if (rc != IDC_OK)
            return rc;
    }
    return IDC_OK;
}

/* Shape of a JSON matrix (array of equal-length arrays). cols = SIZE_MAX on
 * ragged rows. An empty array has shape 0x0. */
static int matrix_shape(size_t *rows, size_t *cols, const json_t *v, const char *path, idc_err *err)
{
    if (v == NULL)
        return idc_err_set(err, IDC_EINVAL, "%s: missing field", path);
    if (!json_is_array(v))
        return idc_err_set(err, IDC_EINVAL, "%s: expected a matrix (array of rows)", path);
    *rows = json_array_size(v);
    *cols = 0;
    for (size_t i = 0; i < *rows; i++) {
        json_t *row = json_array_get(v, i);
        if (!json_is_array(row))
            return idc_err_set(err, IDC_EINVAL, "%s[%zu]: expected a row (array of numbers)", path, i);
        size_t c = json_array_size(row);
        if (i == 0)
            *cols = c;
        else if (c != *cols)
            return idc_err_set(err, IDC_EINVAL, "%s[%zu]: ragged matrix: row has %zu entries, row 0 has %zu",
                               path, i, c, *cols);
    }
    return IDC_OK;
}

static int get_matrix(double *out, const json_t *v, size_t rows, size_t cols, const char *path,
                      idc_err *err)
{
    size_t r, c;
    int rc = matrix_shape(&r, &c, v, path, err);
    if (rc != IDC_OK)
        return rc;
    if (r != rows || (c != cols && !(rows == 0)))
        return idc_err_set(err, IDC_EINVAL, "%s: expected %zux%zu matrix, got %zux%zu", path, rows,
                           cols, r, c);
    for (size_t i = 0; i < rows; i++) {
        json_t *row = json_array_get(v, i);
        for (size_t k = 0; k < cols; k++) {
            char p[256];
            snprintf(p, sizeof p, "%s[%zu][%zu]", path, i, k);
            rc = num_value(&out[i * cols + k], json_array_get(row, k), p, err);
            if (rc != IDC_OK)
                return rc;
        }
    }
    return IDC_OK;
}

/* ---- model ------------------------------------------------------------ */

static int read_frame(idc_pdgmm *g, const json_t *frame, idc_err *err)
{
    static const char *const keys[] = {"basis", "translation", NULL};
    size_t m = g->dim;
    int rc = check_keys(frame, "model.frame", keys, err);
    if (rc != IDC_OK)
        return rc;
    g->frame_basis = idc_calloc(m * m, sizeof(double));
    g->frame_translation = idc_calloc(m, sizeof(double));
    if (g->frame_basis == NULL || g->frame_translation == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    g->has_frame = 1;
    rc = get_matrix(g->frame_basis, json_object_get(frame, "basis"), m, m, "model.frame.basis", err);
    if (rc != IDC_OK)
        return rc;
    return get_vector(g->frame_translation, json_object_get(frame, "translation"), m,
                      "model.frame.translation", err);
}

static int read_component(idc_pdgmm *g, size_t j, const json_t *c, idc_err *err)
{
    static const char *const keys[] = {"weight", "mean", "L", "Sigma", "support", NULL};
    char path[128], p[192];
    size_t m = g->dim;
    snprintf(path, sizeof path, "model.components[%zu]", j);
    if (!json_is_object(c))
        return idc_err_set(err, IDC_EINVAL, "%s: expected an object", path);
    int rc = check_keys(c, path, keys, err);
    if (rc != IDC_OK)
        return rc;
    idc_component *comp = &g->comp[j];
    rc = get_number(&comp->weight, c, "weight", path, err);
    if (rc != IDC_OK)
        return rc;
    if (comp->weight < 0.0)
        return idc_err_set(err, IDC_EINVAL, "%s.weight: negative weight %.17g", path, comp->weight);

    json_t *jL = json_object_get(c, "L"), *jS = json_object_get(c, "Sigma");
    json_t *jsup = json_object_get(c, "support");
    if ((jL != NULL) == (jS != NULL))
        return idc_err_set(err, IDC_EINVAL, "%s: give exactly one of \"L\" (factor) and \"Sigma\"", path);

    if (jsup != NULL) { /* FRAME form */
        if (!g->has_frame)
            return idc_err_set(err, IDC_EINVAL, "%s.support: a support needs model.frame", path);
        if (jS != NULL)
            return idc_err_set(err, IDC_EINVAL, "%s.Sigma: frame components take a factor \"L\"", path);
        snprintf(p, sizeof p, "%s.support", path);
        if (!json_is_array(jsup) || json_array_size(jsup) > m)
            return idc_err_set(err, IDC_EINVAL, "%s: expected an array of at most %zu indices", p, m);
        size_t ns = json_array_size(jsup), rows, r;
        comp->form = IDC_COMP_FRAME;
        comp->nsupport = ns;
        comp->support = idc_calloc(ns, sizeof(size_t));
        comp->frame_mean = idc_calloc(ns, sizeof(double));
        if (comp->support == NULL || comp->frame_mean == NULL)
            return idc_err_set(err, IDC_ENOMEM, "out of memory");
        for (size_t a = 0; a < ns; a++) {
            json_t *e = json_array_get(jsup, a);
            if (!json_is_integer(e) || json_integer_value(e) < 0 ||
                (size_t)json_integer_value(e) >= m)
                return idc_err_set(err, IDC_EINVAL, "%s[%zu]: expected an index in 0..%zu", p, a, m - 1);
            comp->support[a] = (size_t)json_integer_value(e);
            if (a > 0 && comp->support[a] <= comp->support[a - 1])
                return idc_err_set(err, IDC_EINVAL, "%s: indices must be strictly increasing", p);
        }
        snprintf(p, sizeof p, "%s.L", path);
        rc = matrix_shape(&rows, &r, jL, p, err);
        if (rc != IDC_OK)
            return rc;
        if (rows == 0)
            r = 0;
        if (rows != ns)
            return idc_err_set(err, IDC_EINVAL, "%s: expected %zux%zu matrix (rows = |support|), got %zux%zu",
                               p, ns, r, rows, r);
        if (r > ns)
            return idc_err_set(err, IDC_EINVAL, "%s: %zu columns exceed |support| = %zu", p, r, ns);
        rc = idc_pdgmm_comp_alloc(g, j, r, err);
        if (rc != IDC_OK)
            return rc;
        comp->form = IDC_COMP_FRAME;
        comp->frame_L = idc_calloc(ns * (r ? r : 1), sizeof(double));
        if (comp->frame_L == NULL)
            return idc_err_set(err, IDC_ENOMEM, "out of memory");
        rc = get_matrix(comp->frame_L, jL, ns, r, p, err);
        if (rc != IDC_OK)
            return rc;
        snprintf(p, sizeof p, "%s.mean", path);
        return get_vector(comp->frame_mean, json_object_get(c, "mean"), ns, p, err);
    }

    if (jS != NULL) { /* COVARIANCE form: validated exactly symmetric PSD */
        rc = idc_pdgmm_comp_alloc(g, j, m, err);
        if (rc != IDC_OK)
            return rc;
        comp->form = IDC_COMP_COVARIANCE;
        comp->sigma = idc_calloc(m * m, sizeof(double));
        if (comp->sigma == NULL)
            return idc_err_set(err, IDC_ENOMEM, "out of memory");
        snprintf(p, sizeof p, "%s.Sigma", path);
        rc = get_matrix(comp->sigma, jS, m, m, p, err);
        if (rc != IDC_OK)
            return rc;
        for (size_t a = 0; a < m; a++)
            for (size_t b = a + 1; b < m; b++)
                if (comp->sigma[a * m + b] != comp->sigma[b * m + a])
                    return idc_err_set(err, IDC_EINVAL, "%s: not symmetric: entry [%zu][%zu] != [%zu][%zu]",
                                       p, a, b, b, a);
        int psd = 0;
        size_t bad = 0;
        rc = idc_qmat_psd_d(&psd, &bad, comp->sigma, m, err);
        if (rc != IDC_OK)
            return idc_err_prefix(err, rc, "%s: ", p);
        if (!psd)
            return idc_err_set(err, IDC_EINVAL,
                               "%s: not positive semidefinite (exact elimination fails at pivot %zu)", p, bad);
        rc = idc_sym_factor(comp->L, comp->sigma, m);
        if (rc != IDC_OK)
            return idc_err_set(err, rc, "%s: eigen-decomposition failed", p);
    } else { /* FACTOR form */
        size_t rows, r;
        snprintf(p, sizeof p, "%s.L", path);
        rc = matrix_shape(&rows, &r, jL, p, err);
        if (rc != IDC_OK)
            return rc;
        if (rows == 0)
            r = 0;
        else if (rows != m)
            return idc_err_set(err, IDC_EINVAL, "%s: expected %zuxr matrix (rows = model.dim), got %zux%zu",
                               p, m, rows, r);
        if (r > m)
            return idc_err_set(err, IDC_EINVAL, "%s: %zu columns exceed model.dim = %zu", p, r, m);
        rc = idc_pdgmm_comp_alloc(g, j, r, err);
        if (rc != IDC_OK)
            return rc;
        comp->form = IDC_COMP_FACTOR;
        if (rows > 0) {
            rc = get_matrix(comp->L, jL, m, r, p, err);
            if (rc != IDC_OK)
                return rc;
        }
    }
    snprintf(p, sizeof p, "%s.mean", path);
    return get_vector(comp->mean, json_object_get(c, "mean"), m, p, err);
}

static int read_model(idc_pdgmm *g, const json_t *model, idc_err *err)
{
    static const char *const keys[] = {"dim", "family", "frame", "components", NULL};
    size_t m;
    int rc = check_keys(model, "model", keys, err);
    if (rc == IDC_OK)
        rc = get_size(&m, model, "dim", "model", 1, IDC_MAX_DIM, err);
    if (rc != IDC_OK)
        return rc;
    json_t *comps = json_object_get(model, "components");
    if (comps == NULL)
        return idc_err_set(err, IDC_EINVAL, "model.components: missing field");
    if (!json_is_array(comps))
        return idc_err_set(err, IDC_EINVAL, "model.components: expected an array");
    size_t J = json_array_size(comps);
    if (J == 0)
        return idc_err_set(err, IDC_EINVAL, "model.components: empty array (need at least one component)");
    rc = idc_pdgmm_alloc(g, m, J, err);
    if (rc != IDC_OK)
        return rc;
    json_t *fam = json_object_get(model, "family");
    g->family = IDC_FAMILY_GAUSSIAN;
    if (fam != NULL && !json_is_string(fam))
        return idc_err_set(err, IDC_EINVAL, "model.family: expected a string (%s)", IDC_FAMILY_CHOICES);
    if (fam != NULL && idc_family_parse(&g->family, json_string_value(fam)) != IDC_OK)
        return idc_err_set(err, IDC_EINVAL, "model.family: unknown family \"%.64s\" (expected %s)",
                           json_string_value(fam), IDC_FAMILY_CHOICES);
    json_t *frame;
    rc = get_object(&frame, model, "frame", "model", 0, err);
    if (rc == IDC_OK && frame != NULL)
        rc = read_frame(g, frame, err);
    double wsum = 0.0;
    for (size_t j = 0; rc == IDC_OK && j < J; j++) {
        rc = read_component(g, j, json_array_get(comps, j), err);
        wsum += g->comp[j].weight;
    }
    if (rc != IDC_OK)
        return rc;
    if (fabs(wsum - 1.0) > IDC_WEIGHT_SUM_TOL)
        return idc_err_set(err, IDC_EINVAL, "model.components: weights sum to %.17g, expected 1 (within %g)",
                           wsum, IDC_WEIGHT_SUM_TOL);
    idc_pdgmm_update_frame_floats(g);
    return IDC_OK;
}

/* ---- map -------------------------------------------------------------- */

static int parse_activation(idc_layer *l, const json_t *layer, const char *path, idc_err *err)
{
    static const idc_act acts[] = {IDC_ACT_IDENTITY, IDC_ACT_RELU, IDC_ACT_LEAKY, IDC_ACT_SMOOTH_LEAKY,
                                   IDC_ACT_SIGMOID};
    json_t *a = json_object_get(layer, "activation");
    char p[192];
    snprintf(p, sizeof p, "%s.activation", path);
    if (a == NULL)
        return idc_err_set(err, IDC_EINVAL, "%s: missing field (identity | relu | leaky_relu)", p);
    const char *s = json_string_value(a);
    json_t *slope = json_object_get(layer, "slope");
    size_t k = 0, nk = sizeof acts / sizeof acts[0];
    while (k < nk && (s == NULL || strcmp(s, idc_act_name(acts[k])) != 0))
        k++;
    if (k == nk)
        return idc_err_set(err, IDC_EINVAL,
                           "%s: expected \"identity\", \"relu\", \"leaky_relu\", \"smooth_leaky_relu\" or "
                           "\"sigmoid\"",
                           p);
    l->act = acts[k];
    l->slope = l->act == IDC_ACT_IDENTITY ? 1.0 : 0.0;
    if (idc_act_has_slope(l->act)) {
        if (slope == NULL)
            return idc_err_set(err, IDC_EINVAL, "%s.slope: missing field (required for %s)", path, s);
        snprintf(p, sizeof p, "%s.slope", path);
        return num_value(&l->slope, slope, p, err);
    }
    if (slope != NULL)
        return idc_err_set(err, IDC_EINVAL, "%s.slope: only leaky_relu and smooth_leaky_relu take a slope", path);
    return IDC_OK;
}

static int read_mlp(idc_pamap *f, const json_t *map, size_t m, idc_err *err)
{
    json_t *layers = json_object_get(map, "layers");
    if (layers == NULL)
        return idc_err_set(err, IDC_EINVAL, "map.layers: missing field");
    if (!json_is_array(layers) || json_array_size(layers) == 0)
        return idc_err_set(err, IDC_EINVAL, "map.layers: expected a non-empty array of layers");
    size_t L = json_array_size(layers);
    if (L > IDC_MAX_LAYERS)
        return idc_err_set(err, IDC_EINVAL, "map.layers: %zu layers exceed the limit %d", L, IDC_MAX_LAYERS);
    size_t widths[IDC_MAX_LAYERS + 1], params = 0;
    widths[0] = m;
    for (size_t i = 0; i < L; i++) {
        static const char *const keys[] = {"W", "b", "activation", "slope", NULL};
        char path[64], p[96];
        snprintf(path, sizeof path, "map.layers[%zu]", i);
        json_t *layer = json_array_get(layers, i);
        if (!json_is_object(layer))
            return idc_err_set(err, IDC_EINVAL, "%s: expected an object", path);
        int rc = check_keys(layer, path, keys, err);
        if (rc != IDC_OK)
            return rc;
        size_t rows, cols;
        snprintf(p, sizeof p, "%s.W", path);
        rc = matrix_shape(&rows, &cols, json_object_get(layer, "W"), p, err);
        if (rc != IDC_OK)
            return rc;
        if (rows == 0 || rows > MAX_WIDTH)
            return idc_err_set(err, IDC_EINVAL, "%s: %zu rows, expected 1..%d", p, rows, MAX_WIDTH);
        if (cols != widths[i])
            return idc_err_set(err, IDC_EINVAL, "%s: expected %zux%zu matrix (input width %zu%s), got %zux%zu",
                               p, rows, widths[i], widths[i], i == 0 ? " = model.dim" : "", rows, cols);
        widths[i + 1] = rows;
        params += rows * cols;
        if (params > MAX_PARAMS)
            return idc_err_set(err, IDC_EINVAL, "map.layers: more than %zu weights", MAX_PARAMS);
    }
    int rc = idc_pamap_alloc_mlp(f, L, widths, err);
    for (size_t i = 0; rc == IDC_OK && i < L; i++) {
        char path[64], p[96];
        snprintf(path, sizeof path, "map.layers[%zu]", i);
        json_t *layer = json_array_get(layers, i);
        idc_layer *l = &f->layers[i];
        snprintf(p, sizeof p, "%s.W", path);
        rc = get_matrix(l->W, json_object_get(layer, "W"), l->out, l->in, p, err);
        if (rc == IDC_OK) {
            snprintf(p, sizeof p, "%s.b", path);
            rc = get_vector(l->b, json_object_get(layer, "b"), l->out, p, err);
        }
        if (rc == IDC_OK)
            rc = parse_activation(l, layer, path, err);
    }
    return rc;
}

static int read_pwl1(idc_pamap *f, const json_t *map, size_t m, idc_err *err)
{
    if (m != 1)
        return idc_err_set(err, IDC_EINVAL, "map.type: pwl1 maps R -> R but model.dim = %zu", m);
    json_t *pieces = json_object_get(map, "pieces");
    if (pieces == NULL)
        return idc_err_set(err, IDC_EINVAL, "map.pieces: missing field");
    if (!json_is_array(pieces) || json_array_size(pieces) == 0)
        return idc_err_set(err, IDC_EINVAL, "map.pieces: expected a non-empty array");
    size_t P = json_array_size(pieces);
    if (P > IDC_MAX_PIECES)
        return idc_err_set(err, IDC_EINVAL, "map.pieces: %zu pieces exceed the limit %d", P, IDC_MAX_PIECES);
    int rc = idc_pamap_alloc_pwl1(f, P, err);
    if (rc != IDC_OK)
        return rc;
    rc = get_vector(f->breaks, json_object_get(map, "breakpoints"), P - 1, "map.breakpoints", err);
    for (size_t i = 0; rc == IDC_OK && i + 1 < P - 1; i++)
        if (!(f->breaks[i] < f->breaks[i + 1]))
            rc = idc_err_set(err, IDC_EINVAL, "map.breakpoints[%zu]: not strictly increasing", i + 1);
    for (size_t i = 0; rc == IDC_OK && i < P; i++) {
        static const char *const keys[] = {"slope", "intercept", NULL};
        char path[64];
        snprintf(path, sizeof path, "map.pieces[%zu]", i);
        json_t *pc = json_array_get(pieces, i);
        if (!json_is_object(pc))
            return idc_err_set(err, IDC_EINVAL, "%s: expected an object", path);
        rc = check_keys(pc, path, keys, err);
        if (rc == IDC_OK)
            rc = get_number(&f->slopes[i], pc, "slope", path, err);
        if (rc == IDC_OK)
            rc = get_number(&f->intercepts[i], pc, "intercept", path, err);
    }
    return rc;
}

/* The pinwheel warp (models/pamap.h): {"type": "pinwheel", "rate": a,
 * "embed": E (n x 2)}; model.dim must be 2. */
static int read_pinwheel(idc_pamap *f, const json_t *map, size_t m, idc_err *err)
{
    static const char *const keys[] = {"type", "rate", "embed", NULL};
    int rc = check_keys(map, "map", keys, err);
    if (rc != IDC_OK)
        return rc;
    if (m != 2)
        return idc_err_set(err, IDC_EINVAL, "map.type: pinwheel maps R^2 -> R^n but model.dim = %zu", m);
    double rate;
    rc = get_number(&rate, map, "rate", "map", err);
    if (rc != IDC_OK)
        return rc;
    size_t rows, cols;
    json_t *je = json_object_get(map, "embed");
    rc = matrix_shape(&rows, &cols, je, "map.embed", err);
    if (rc != IDC_OK)
        return rc;
    if (rows == 0 || rows > MAX_WIDTH || cols != 2)
        return idc_err_set(err, IDC_EINVAL,
                           "map.embed: expected an nx2 matrix (1 <= n <= %d, 2 = model.dim), got %zux%zu",
                           MAX_WIDTH, rows, cols);
    rc = idc_pamap_alloc_pinwheel(f, rows, err);
    if (rc != IDC_OK)
        return rc;
    f->rate = rate;
    return get_matrix(f->embed, je, rows, 2, "map.embed", err);
}

static int read_map(idc_pamap *f, const json_t *map, size_t m, idc_err *err)
{
    static const char *const keys[] = {"type", "layers", "breakpoints", "pieces", NULL};
    json_t *jt = json_object_get(map, "type");
    if (jt != NULL && !json_is_string(jt))
        return idc_err_set(err, IDC_EINVAL,
                           "map.type: expected a string (\"mlp\", \"pwl1\" or \"pinwheel\")");
    const char *type = json_string_value(jt);
    if (type != NULL && strcmp(type, "pinwheel") == 0)
        return read_pinwheel(f, map, m, err);
    int rc = check_keys(map, "map", keys, err);
    if (rc != IDC_OK)
        return rc;
    if (type == NULL)
        return idc_err_set(err, IDC_EINVAL, "map.type: missing field (\"mlp\", \"pwl1\" or \"pinwheel\")");
    if (strcmp(type, "mlp") == 0)
        return read_mlp(f, map, m, err);
    if (strcmp(type, "pwl1") == 0)
        return read_pwl1(f, map, m, err);
    return idc_err_set(err, IDC_EINVAL,
                       "map.type: unknown type \"%.64s\" (expected \"mlp\", \"pwl1\" or \"pinwheel\")", type);
}

/* ---- instance --------------------------------------------------------- */

static int read_instance(idc_instance *inst, const json_t *root, idc_err *err)
{
    static const char *const keys[] = {"idcheck_format", "generator", "model", "map",
                                       "noise", "aux", "samples", NULL};
    if (!json_is_object(root))
        return idc_err_set(err, IDC_EINVAL, "(root): expected a JSON object");
    int rc = check_keys(root, "", keys, err);
    if (rc != IDC_OK)
        return rc;
    json_t *fmt = json_object_get(root, "idcheck_format");
    if (fmt == NULL)
        return idc_err_set(err, IDC_EINVAL, "idcheck_format: missing field (expected 1)");
    if (!json_is_integer(fmt) || json_integer_value(fmt) != IDC_FORMAT_VERSION)
        return idc_err_set(err, IDC_EINVAL, "idcheck_format: unsupported version (this idcheck reads %d)",
                           IDC_FORMAT_VERSION);
    json_t *model, *map, *noise, *aux, *gen;
    if ((rc = get_object(&model, root, "model", "", 1, err)) != IDC_OK ||
        (rc = get_object(&map, root, "map", "", 1, err)) != IDC_OK ||
        (rc = get_object(&noise, root, "noise", "", 0, err)) != IDC_OK ||
        (rc = get_object(&aux, root, "aux", "", 0, err)) != IDC_OK ||
        (rc = get_object(&gen, root, "generator", "", 0, err)) != IDC_OK)
        return rc;
    if ((rc = read_model(&inst->prior, model, err)) != IDC_OK)
        return rc;
    if ((rc = read_map(&inst->map, map, inst->prior.dim, err)) != IDC_OK)
        return rc;
    inst->noise_sigma = 0.0;
    if (noise != NULL) {
        static const char *const nkeys[] = {"sigma", NULL};
        if ((rc = check_keys(noise, "noise", nkeys, err)) != IDC_OK ||
            (rc = get_number(&inst->noise_sigma, noise, "sigma", "noise", err)) != IDC_OK)
            return rc;
        if (inst->noise_sigma < 0.0)
            return idc_err_set(err, IDC_EINVAL, "noise.sigma: must be >= 0, got %.17g", inst->noise_sigma);
    }
    inst->aux = IDC_AUX_NONE;
    if (aux != NULL) {
        static const char *const akeys[] = {"kind", NULL};
        if ((rc = check_keys(aux, "aux", akeys, err)) != IDC_OK)
            return rc;
        const char *k = json_string_value(json_object_get(aux, "kind"));
        if (k != NULL && strcmp(k, "label") == 0)
            inst->aux = IDC_AUX_LABEL;
        else if (k == NULL || strcmp(k, "none") != 0)
            return idc_err_set(err, IDC_EINVAL, "aux.kind: expected \"none\" or \"label\"");
    }
    inst->nsamples = 10000;
    if (json_object_get(root, "samples") != NULL &&
        (rc = get_size(&inst->nsamples, root, "samples", "", 1, IDC_MAX_SAMPLES, err)) != IDC_OK)
        return rc;
    if (gen != NULL) {
        inst->generator = json_dumps(gen, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
        if (inst->generator == NULL)
            return idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    return IDC_OK;
}

int idc_instance_read_string(idc_instance *inst, const char *text, idc_err *err)
{
    json_error_t je;
    idc_instance_init(inst);
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return idc_err_set(err, IDC_EINVAL, "malformed JSON at line %d column %d: %s", je.line,
                           je.column, je.text);
    int rc = read_instance(inst, root, err);
    json_decref(root);
    if (rc != IDC_OK)
        idc_instance_clear(inst);
    return rc;
}

int idc_instance_read_file(idc_instance *inst, const char *path, idc_err *err)
{
    json_error_t je;
    idc_instance_init(inst);
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return idc_err_set(err, IDC_EIO, "%s: cannot open: %s", path, strerror(errno));
    json_t *root = json_loadf(fp, JSON_REJECT_DUPLICATES, &je);
    fclose(fp);
    if (root == NULL)
        return idc_err_set(err, IDC_EINVAL, "%s: malformed JSON at line %d column %d: %s", path,
                           je.line, je.column, je.text);
    int rc = read_instance(inst, root, err);
    json_decref(root);
    if (rc != IDC_OK) {
        idc_instance_clear(inst);
        idc_err_prefix(err, rc, "%s: ", path);
    }
    return rc;
}

/* ---- writing ---------------------------------------------------------- */

static json_t *jvec(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

static json_t *jmat(const double *A, size_t rows, size_t cols)
{
    json_t *a = json_array();
    for (size_t i = 0; i < rows; i++)
        json_array_append_new(a, jvec(A + i * cols, cols));
    return a;
}

static json_t *model_json(const idc_pdgmm *g)
{
    size_t m = g->dim;
    json_t *model = json_object();
    json_object_set_new(model, "dim", json_integer((json_int_t)m));
    if (g->family != IDC_FAMILY_GAUSSIAN) /* absent = gaussian: Gaussian models keep their hashes */
        json_object_set_new(model, "family", json_string(idc_family_name(g->family)));
    if (g->has_frame) {
        json_t *fr = json_object();
        json_object_set_new(fr, "basis", jmat(g->frame_basis, m, m));
        json_object_set_new(fr, "translation", jvec(g->frame_translation, m));
        json_object_set_new(model, "frame", fr);
    }
    json_t *comps = json_array();
    for (size_t j = 0; j < g->ncomp; j++) {
        const idc_component *c = &g->comp[j];
        json_t *o = json_object();
        json_object_set_new(o, "weight", json_real(c->weight));
        if (c->form == IDC_COMP_FRAME) {
            json_t *sup = json_array();
            for (size_t a = 0; a < c->nsupport; a++)
                json_array_append_new(sup, json_integer((json_int_t)c->support[a]));
            json_object_set_new(o, "support", sup);
            json_object_set_new(o, "mean", jvec(c->frame_mean, c->nsupport));
            json_object_set_new(o, "L", jmat(c->frame_L, c->rank ? c->nsupport : 0, c->rank));
        } else {
            json_object_set_new(o, "mean", jvec(c->mean, m));
            if (c->form == IDC_COMP_COVARIANCE)
                json_object_set_new(o, "Sigma", jmat(c->sigma, m, m));
            else
                json_object_set_new(o, "L", jmat(c->L, c->rank ? m : 0, c->rank));
        }
        json_array_append_new(comps, o);
    }
    json_object_set_new(model, "components", comps);
    return model;
}

static json_t *map_json(const idc_pamap *f)
{
    json_t *map = json_object();
    if (f->kind == IDC_MAP_PWL1) {
        json_object_set_new(map, "type", json_string("pwl1"));
        json_object_set_new(map, "breakpoints", jvec(f->breaks, f->npieces - 1));
        json_t *pieces = json_array();
        for (size_t i = 0; i < f->npieces; i++)
            json_array_append_new(pieces, json_pack("{s:f,s:f}", "slope", f->slopes[i], "intercept",
                                                    f->intercepts[i]));
        json_object_set_new(map, "pieces", pieces);
        return map;
    }
    if (f->kind == IDC_MAP_PINWHEEL) {
        json_object_set_new(map, "type", json_string("pinwheel"));
        json_object_set_new(map, "rate", json_real(f->rate));
        json_object_set_new(map, "embed", jmat(f->embed, f->out_dim, 2));
        return map;
    }
    json_object_set_new(map, "type", json_string("mlp"));
    json_t *layers = json_array();
    for (size_t i = 0; i < f->nlayers; i++) {
        const idc_layer *l = &f->layers[i];
        json_t *o = json_object();
        json_object_set_new(o, "W", jmat(l->W, l->out, l->in));
        json_object_set_new(o, "b", jvec(l->b, l->out));
        json_object_set_new(o, "activation", json_string(idc_act_name(l->act)));
        if (idc_act_has_slope(l->act))
            json_object_set_new(o, "slope", json_real(l->slope));
        json_array_append_new(layers, o);
    }
    json_object_set_new(map, "layers", layers);
    return map;
}

static json_t *model_part(const idc_instance *inst)
{
    json_t *root = json_object();
    json_object_set_new(root, "model", model_json(&inst->prior));
    json_object_set_new(root, "map", map_json(&inst->map));
    json_object_set_new(root, "noise", json_pack("{s:f}", "sigma", inst->noise_sigma));
    return root;
}

#define DUMP_FLAGS (JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(17))

char *idc_instance_dump_model(const idc_instance *inst)
{
    json_t *root = model_part(inst);
    char *s = json_dumps(root, DUMP_FLAGS);
    json_decref(root);
    return s;
}

char *idc_instance_dump(const idc_instance *inst)
{
    json_t *root = model_part(inst);
    json_object_set_new(root, "idcheck_format", json_integer(IDC_FORMAT_VERSION));
    json_object_set_new(root, "aux", json_pack("{s:s}", "kind", inst->aux == IDC_AUX_LABEL ? "label" : "none"));
    json_object_set_new(root, "samples", json_integer((json_int_t)inst->nsamples));
    if (inst->generator != NULL) {
        json_t *g = json_loads(inst->generator, 0, NULL);
        if (g != NULL)
            json_object_set_new(root, "generator", g);
    }
    char *s = json_dumps(root, DUMP_FLAGS | JSON_INDENT(1));
    json_decref(root);
    return s;
}

int idc_instance_hash(char out[65], const idc_instance *inst, idc_err *err)
{
    char *s = idc_instance_dump_model(inst);
    if (s == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(s), (const uint8_t *)s);
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, d);
    free(s);
    for (size_t i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    return IDC_OK;
}

int idc_instance_validate(const idc_instance *inst, idc_err *err)
{
    /* Round-trip through the strict reader: one set of rules in one place. */
    char *s = idc_instance_dump(inst);
    if (s == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    idc_instance tmp;
    int rc = idc_instance_read_string(&tmp, s, err);
    free(s);
    idc_instance_clear(&tmp);
    return rc;
}

int idc_instance_write_file(const idc_instance *inst, const char *path, idc_err *err)
{
    char *s = idc_instance_dump(inst);
    if (s == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    int rc = idc_write_file_atomic(path, s, strlen(s), err);
    free(s);
    return rc;
}
