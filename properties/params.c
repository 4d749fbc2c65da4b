/* Property parameters as text: the value strings set_param reads, parameter
 * objects applied to a struct, and the --KEY VALUE overrides that reproduce
 * a parameter object from the defaults (used by replay commands). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "properties/prop.h"

int idc_prop_value_string(char *buf, size_t cap, const json_t *v)
{
    int n;
    if (json_is_integer(v)) {
        n = snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        double x = json_real_value(v);
        n = snprintf(buf, cap, "%.15g", x);
        if (n > 0 && (size_t)n < cap && strtod(buf, NULL) != x)
            n = snprintf(buf, cap, "%.17g", x);
    } else if (json_is_string(v)) {
        n = snprintf(buf, cap, "%s", json_string_value(v));
    } else if (json_is_boolean(v)) {
        n = snprintf(buf, cap, "%d", json_is_true(v) ? 1 : 0);
    } else {
        return 0;
    }
    return n >= 0 && (size_t)n < cap;
}

int idc_prop_params_from_json(void *params, const idc_prop_def *def, const json_t *obj, idc_err *err)
{
    if (!json_is_object(obj))
        return idc_err_set(err, IDC_EINVAL, "params: expected an object");
    def->defaults(params);
    /* a value equal to the default's is the default (as idc_prop_overrides
     * reads it): not set again, so that parameters a property fixes, which
     * params_json lists but set_param refuses, read back */
    json_t *dflt = def->params_json(params);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        json_t *d = json_object_get(dflt, key);
        if (d != NULL && json_equal(d, v))
            continue;
        char val[64];
        if (!idc_prop_value_string(val, sizeof val, v)) {
            json_decref(dflt);
            return idc_err_set(err, IDC_EINVAL, "params.%s: expected a number or a string", key);
        }
        int rc = def->set_param(params, key, val, err);
        if (rc != IDC_OK) {
            json_decref(dflt);
            return idc_err_prefix(err, rc, "params.%s: ", key);
        }
    }
    json_decref(dflt);
    return IDC_OK;
}

int idc_prop_overrides(char *buf, size_t cap, const idc_prop_def *def, const json_t *obj)
{
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    void *dflt = calloc(1, def->params_size);
    if (dflt == NULL)
        return 0;
    def->defaults(dflt);
    json_t *d = def->params_json(dflt);
    free(dflt);
    const char *key;
    json_t *v;
    size_t len = 0;
    int ok = 1;
    json_object_foreach((json_t *)obj, key, v)
    {
        char val[64];
        if (json_equal(v, json_object_get(d, key)) || !idc_prop_value_string(val, sizeof val, v))
            continue;
        int n = snprintf(buf + len, cap - len, "%s--%s %s", len ? " " : "", key, val);
        if (n < 0 || (size_t)n >= cap - len) {
            ok = 0;
            break;
        }
        len += (size_t)n;
    }
    json_decref(d);
    return ok;
}

int idc_prop_parse_count(size_t *out, const char *name, const char *v, idc_err *err)
{
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || *end != '\0' || v[0] == '-' || x == 0 || x > (1ull << 30))
        return idc_err_set(err, IDC_EINVAL, "--%s: expected a positive integer, got \"%s\"", name, v);
    *out = (size_t)x;
    return IDC_OK;
}

int idc_prop_parse_real(double *out, const char *name, const char *v, double lo, idc_err *err)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end != '\0' || !(x >= lo && x <= 1e6))
        return idc_err_set(err, IDC_EINVAL, "--%s: expected a number in [%g, 1e6], got \"%s\"", name, lo, v);
    *out = x;
    return IDC_OK;
}
