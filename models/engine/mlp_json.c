/* JSON form of an idc_mlp's parameters and state (models/engine/engine.h). */
#include "models/engine/engine.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *kind_name(idc_mlp_kind k)
{
    switch (k) {
    case IDC_MLP_DENSE: return "dense";
    case IDC_MLP_LEAKY: return "leaky_relu";
    case IDC_MLP_BATCHNORM: return "batchnorm";
    }
    return "?";
}

/* Appends n values as JSON reals; returns 0 on failure (non-finite). */
static int put_array(json_t *obj, const char *key, const double *v, size_t n)
{
    json_t *a = json_array();
    if (a == NULL)
        return 0;
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_real(v[i]); /* NULL for NaN / Inf */
        if (r == NULL || json_array_append_new(a, r) != 0) {
            json_decref(a);
            return 0;
        }
    }
    return json_object_set_new(obj, key, a) == 0;
}

static int put_size(json_t *obj, const char *key, size_t v)
{
    return json_object_set_new(obj, key, json_integer((json_int_t)v)) == 0;
}

static int put_real(json_t *obj, const char *key, double v)
{
    json_t *r = json_real(v);
    return r != NULL && json_object_set_new(obj, key, r) == 0;
}

json_t *idc_mlp_get_json(const idc_mlp *m)
{
    size_t np = idc_mlp_nparams(m), ns = idc_mlp_nstate(m);
    double *p = idc_calloc(np, sizeof(double));
    double *s = idc_calloc(ns, sizeof(double));
    json_t *root = json_object(), *layers = json_array();
    int ok = p != NULL && s != NULL && root != NULL && layers != NULL;
    if (ok) {
        idc_mlp_get_params(m, p);
        idc_mlp_get_state(m, s);
        ok = put_size(root, "in_dim", idc_mlp_in_dim(m));
    }
    size_t width = idc_mlp_in_dim(m);
    for (size_t l = 0; ok && l < idc_mlp_nlayers(m); l++) {
        const idc_mlp_layer *sp = idc_mlp_layer_spec(m, l);
        size_t po, pc, so, sc;
        idc_mlp_param_range(m, l, &po, &pc);
        idc_mlp_state_range(m, l, &so, &sc);
        json_t *o = json_object();
        ok = o != NULL && json_array_append_new(layers, o) == 0;
        ok = ok && json_object_set_new(o, "kind", json_string(kind_name(sp->kind))) == 0;
        if (!ok)
            break;
        switch (sp->kind) {
        case IDC_MLP_DENSE:
            ok = put_size(o, "in", width) && put_size(o, "out", sp->width) &&
                 put_array(o, "W", p + po, width * sp->width) &&
                 put_array(o, "b", p + po + width * sp->width, sp->width);
            width = sp->width;
            break;
        case IDC_MLP_LEAKY:
            ok = put_real(o, "slope", sp->slope);
            break;
        case IDC_MLP_BATCHNORM:
            ok = put_size(o, "width", width) && put_real(o, "eps", sp->eps) &&
                 put_real(o, "momentum", sp->momentum) && put_array(o, "gamma", p + po, width) &&
                 put_array(o, "beta", p + po + width, width) &&
                 put_array(o, "running_mean", s + so, width) &&
                 put_array(o, "running_var", s + so + width, width);
            break;
        }
    }
    ok = ok && json_object_set(root, "layers", layers) == 0;
    json_decref(layers);
    free(p);
    free(s);
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* Reads an array of n finite numbers of magnitude <= vmax at key of o. */
static int get_array(double *out, const json_t *o, const char *key, size_t n, size_t l,
                     double vmax, idc_err *err)
{
    const json_t *a = json_object_get(o, key);
    if (!json_is_array(a))
        return idc_err_set(err, IDC_EINVAL, "layers[%zu].%s: expected an array", l, key);
    if (json_array_size(a) != n)
        return idc_err_set(err, IDC_EINVAL, "layers[%zu].%s: expected %zu numbers, got %zu", l,
                           key, n, json_array_size(a));
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(a, i);
        if (!json_is_number(v) || !(fabs(json_number_value(v)) <= vmax))
            return idc_err_set(err, IDC_EINVAL,
                               "layers[%zu].%s[%zu]: expected a finite number of magnitude <= %g",
                               l, key, i, vmax);
        out[i] = json_number_value(v);
    }
    return IDC_OK;
}

static int expect_size(const json_t *o, const char *key, size_t want, size_t l, idc_err *err)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (size_t)json_integer_value(v) != want)
        return idc_err_set(err, IDC_EINVAL, "layers[%zu].%s: expected %zu", l, key, want);
    return IDC_OK;
}

static int expect_real(const json_t *o, const char *key, double want, size_t l, idc_err *err)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_number(v) || json_number_value(v) != want)
        return idc_err_set(err, IDC_EINVAL, "layers[%zu].%s: expected %.17g", l, key, want);
    return IDC_OK;
}

int idc_mlp_set_json(idc_mlp *m, const json_t *j, idc_err *err)
{
    if (!json_is_object(j))
        return idc_err_set(err, IDC_EINVAL, "mlp: expected a JSON object");
    const json_t *in = json_object_get(j, "in_dim");
    if (!json_is_integer(in) || json_integer_value(in) < 0 ||
        (size_t)json_integer_value(in) != idc_mlp_in_dim(m))
        return idc_err_set(err, IDC_EINVAL, "in_dim: expected %zu", idc_mlp_in_dim(m));
    const json_t *layers = json_object_get(j, "layers");
    size_t nl = idc_mlp_nlayers(m);
    if (!json_is_array(layers) || json_array_size(layers) != nl)
        return idc_err_set(err, IDC_EINVAL, "layers: expected an array of %zu layers", nl);

    size_t np = idc_mlp_nparams(m), ns = idc_mlp_nstate(m);
    double *p = idc_calloc(np, sizeof(double));
    double *s = idc_calloc(ns, sizeof(double));
    if (p == NULL || s == NULL) {
        free(p);
        free(s);
        return idc_err_set(err, IDC_ENOMEM, "mlp: out of memory");
    }
    int rc = IDC_OK;
    double vmax = idc_mlp_backend(m)->dtype == IDC_DTYPE_F32 ? (double)FLT_MAX : DBL_MAX;
    size_t width = idc_mlp_in_dim(m);
    for (size_t l = 0; rc == IDC_OK && l < nl; l++) {
        const idc_mlp_layer *sp = idc_mlp_layer_spec(m, l);
        const json_t *o = json_array_get(layers, l);
        const char *kind = json_string_value(json_object_get(o, "kind"));
        if (!json_is_object(o) || kind == NULL || strcmp(kind, kind_name(sp->kind)) != 0) {
            rc = idc_err_set(err, IDC_EINVAL, "layers[%zu].kind: expected \"%s\"", l,
                             kind_name(sp->kind));
            break;
        }
        size_t po, pc, so, sc;
        idc_mlp_param_range(m, l, &po, &pc);
        idc_mlp_state_range(m, l, &so, &sc);
        switch (sp->kind) {
        case IDC_MLP_DENSE:
            rc = expect_size(o, "in", width, l, err);
            if (rc == IDC_OK)
                rc = expect_size(o, "out", sp->width, l, err);
            if (rc == IDC_OK)
                rc = get_array(p + po, o, "W", width * sp->width, l, vmax, err);
            if (rc == IDC_OK)
                rc = get_array(p + po + width * sp->width, o, "b", sp->width, l, vmax, err);
            width = sp->width;
            break;
        case IDC_MLP_LEAKY:
            rc = expect_real(o, "slope", sp->slope, l, err);
            break;
        case IDC_MLP_BATCHNORM:
            rc = expect_size(o, "width", width, l, err);
            if (rc == IDC_OK)
                rc = expect_real(o, "eps", sp->eps, l, err);
            if (rc == IDC_OK)
                rc = expect_real(o, "momentum", sp->momentum, l, err);
            if (rc == IDC_OK)
                rc = get_array(p + po, o, "gamma", width, l, vmax, err);
            if (rc == IDC_OK)
                rc = get_array(p + po + width, o, "beta", width, l, vmax, err);
            if (rc == IDC_OK)
                rc = get_array(s + so, o, "running_mean", width, l, vmax, err);
            if (rc == IDC_OK)
                rc = get_array(s + so + width, o, "running_var", width, l, vmax, err);
            if (rc == IDC_OK)
                for (size_t i = 0; i < width; i++)
                    if (s[so + width + i] < 0.0) {
                        rc = idc_err_set(err, IDC_EINVAL,
                                         "layers[%zu].running_var[%zu]: must be >= 0", l, i);
                        break;
                    }
            break;
        }
    }
    if (rc == IDC_OK) {
        idc_mlp_set_params(m, p);
        idc_mlp_set_state(m, s);
    }
    free(p);
    free(s);
    return rc;
}
