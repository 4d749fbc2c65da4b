/* Sweep specifications: validation and grid expansion (see sweep.h). */
#include "properties/sweep.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#define MAX_ENTRIES 4096 /* properties, estimators, cases, grid knobs, values per knob */
#define VALUE_CAP 64

/* One parameter setting with the field that supplied it. */
typedef struct {
    const char *name;
    const json_t *value;
    char field[200];
} setting;

static int name_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-' || c == '+'))
            return 0;
    }
    return 1;
}

/* A parameter value: a number, a boolean, or a string of printable
 * characters other than space, quotes, backslash, ';' and '=' (it goes into
 * cell keys and replay commands). Returns its text in buf, or 0. */
static int value_text(char *buf, size_t cap, const json_t *v)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (s[0] == '\0')
            return 0;
        for (const char *p = s; *p; p++)
            if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 127 || strchr("\"'\\;=`$", *p) != NULL)
                return 0;
    } else if (!json_is_number(v) && !json_is_boolean(v)) {
        return 0;
    }
    return idc_prop_value_string(buf, cap, v);
}

static int check_value(const json_t *v, const char *field, idc_err *err)
{
    char buf[VALUE_CAP];
    if (!value_text(buf, sizeof buf, v))
        return idc_err_set(err, IDC_EINVAL,
                           "%s: expected a number, a boolean or a word (no spaces, quotes, ';' or '='), at most %d "
                           "characters",
                           field, VALUE_CAP - 1);
    return IDC_OK;
}

/* Checks a params object (name -> value). */
static int check_params(const json_t *obj, const char *field, idc_err *err)
{
    if (!json_is_object(obj))
        return idc_err_set(err, IDC_EINVAL, "%s: expected an object of parameter values", field);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        char f[128];
        snprintf(f, sizeof f, "%s.%s", field, key);
        if (!name_ok(key, 63))
            return idc_err_set(err, IDC_EINVAL, "%s: not a parameter name", f);
        int rc = check_value(v, f, err);
        if (rc != IDC_OK)
            return rc;
    }
    return IDC_OK;
}

static int only_fields(const json_t *obj, const char *const *allowed, const char *where, idc_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        (void)v;
        int ok = 0;
        for (size_t i = 0; allowed[i] != NULL; i++)
            ok |= strcmp(key, allowed[i]) == 0;
        if (!ok)
            return idc_err_set(err, IDC_EINVAL, "%s%s%s: unknown field", where, where[0] ? "." : "", key);
    }
    return IDC_OK;
}

static int array_field(const json_t *spec, const char *name, int required, size_t *n, idc_err *err)
{
    json_t *a = json_object_get(spec, name);
    *n = 0;
    if (a == NULL) {
        if (required)
            return idc_err_set(err, IDC_EINVAL, "%s: missing (a non-empty array)", name);
        return IDC_OK;
    }
    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > MAX_ENTRIES)
        return idc_err_set(err, IDC_EINVAL, "%s: expected a non-empty array of at most %d entries", name,
                           MAX_ENTRIES);
    *n = json_array_size(a);
    return IDC_OK;
}

uint64_t idc_sweep_group_seed(uint64_t sweep_seed, const char *group)
{
    char head[64];
    snprintf(head, sizeof head, "idcheck-sweep\n0x%016" PRIx64 "\n", sweep_seed);
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(head), (const uint8_t *)head);
    sha256_update(&ctx, strlen(group), (const uint8_t *)group);
    sha256_digest(&ctx, sizeof d, d);
    uint64_t r = 0;
    for (int i = 0; i < 8; i++)
        r = (r << 8) | d[i];
    return r;
}

static int parse_seed(uint64_t *out, const json_t *v, idc_err *err)
{
    if (v == NULL) {
        *out = 1;
        return IDC_OK;
    }
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return IDC_OK;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        unsigned long long x = strtoull(s, &end, 0);
        if (s[0] != '\0' && s[0] != '-' && s[0] != '+' && *end == '\0' && errno == 0) {
            *out = (uint64_t)x;
            return IDC_OK;
        }
    }
    return idc_err_set(err, IDC_EINVAL, "seed: expected a non-negative integer or a string \"0x...\" below 2^64");
}

void idc_sweep_free(idc_sweep *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->ncells; i++) {
        idc_sweep_cell *c = &s->cells[i];
        free(c->key);
        free(c->overrides);
        free(c->label);
        free(c->case_label);
        json_decref(c->params);
        json_decref(c->knobs);
    }
    free(s->cells);
    free(s->by_key);
    free(s->name);
    free(s->canonical);
    free(s);
}

/* Applies the settings to a fresh parameter struct of def and returns its
 * params_json in *pj; IDC_EINVAL naming the setting's field. */
static int apply(json_t **pj, const idc_prop_def *def, const setting *st, size_t nst, idc_err *err)
{
    *pj = NULL;
    void *p = calloc(1, def->params_size);
    if (p == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    def->defaults(p);
    int rc = IDC_OK;
    for (size_t i = 0; i < nst && rc == IDC_OK; i++) {
        char val[VALUE_CAP];
        value_text(val, sizeof val, st[i].value); /* checked before */
        rc = def->set_param(p, st[i].name, val, err);
        if (rc != IDC_OK)
            rc = idc_err_prefix(err, IDC_EINVAL, "%s: property %s: ", st[i].field, def->id);
    }
    json_t *j = rc == IDC_OK ? def->params_json(p) : NULL;
    if (rc == IDC_OK && j == NULL)
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    free(p);
    *pj = j;
    return rc;
}

int idc_sweep_cell_params(void **params, const idc_sweep_cell *c, idc_err *err)
{
    *params = calloc(1, c->def->params_size);
    if (*params == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    c->def->defaults(*params);
    const char *key;
    json_t *v;
    json_object_foreach(c->knobs, key, v)
    {
        char val[VALUE_CAP];
        int rc = value_text(val, sizeof val, v) ? c->def->set_param(*params, key, val, err)
                                                 : idc_err_set(err, IDC_EINVAL, "%s: not a parameter value", key);
        if (rc != IDC_OK) {
            free(*params);
            *params = NULL;
            return idc_err_prefix(err, rc, "cell %s: ", c->key);
        }
    }
    return IDC_OK;
}

/* Appends ";name=value" to a growing key. */
static int key_add(char *key, size_t cap, const char *name, const char *value)
{
    size_t n = strlen(key);
    int w = snprintf(key + n, cap - n, "%s%s=%s", n ? ";" : "", name, value);
    return w >= 0 && (size_t)w < cap - n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef struct {
    const json_t *spec;
    idc_sweep_find_fn find;
    size_t nprop, nest, ncase, nknob;
    const char *knob[MAX_ENTRIES];
    size_t knob_n[MAX_ENTRIES];
    const char *sorted[MAX_ENTRIES];
    const idc_prop_def *defs[MAX_ENTRIES];
    const char *labels[MAX_ENTRIES];
} plan;

static int check_spec(plan *pl, idc_sweep *s, idc_err *err)
{
    const json_t *spec = pl->spec;
    static const char *const top[] = {"idcheck_sweep", "name",   "description", "scale",  "paper", "notes",
                                      "seed",          "seeds",  "common_seeds", "properties", "estimators",
                                      "params",        "cases",  "grid",        NULL};
    if (!json_is_object(spec))
        return idc_err_set(err, IDC_EINVAL, "expected a JSON object (a sweep)");
    int rc = only_fields(spec, top, "", err);
    if (rc != IDC_OK)
        return rc;
    json_t *fmt = json_object_get(spec, "idcheck_sweep");
    if (!json_is_integer(fmt) || json_integer_value(fmt) != IDC_SWEEP_FORMAT)
        return idc_err_set(err, IDC_EINVAL, "idcheck_sweep: expected %d (the sweep format)", IDC_SWEEP_FORMAT);
    const char *name = json_string_value(json_object_get(spec, "name"));
    if (name == NULL || !name_ok(name, 64))
        return idc_err_set(err, IDC_EINVAL, "name: expected 1-64 characters of A-Z a-z 0-9 _ . + -");
    s->name = strdup(name);
    json_t *v = json_object_get(spec, "description");
    if (v != NULL && !json_is_string(v))
        return idc_err_set(err, IDC_EINVAL, "description: expected a string");
    v = json_object_get(spec, "notes");
    if (v != NULL && !json_is_string(v))
        return idc_err_set(err, IDC_EINVAL, "notes: expected a string");
    v = json_object_get(spec, "scale");
    if (v != NULL && (!json_is_string(v) || (strcmp(json_string_value(v), "cpu") != 0 &&
                                              strcmp(json_string_value(v), "paper") != 0)))
        return idc_err_set(err, IDC_EINVAL, "scale: expected \"cpu\" or \"paper\"");
    rc = parse_seed(&s->seed, json_object_get(spec, "seed"), err);
    if (rc != IDC_OK)
        return rc;
    v = json_object_get(spec, "seeds");
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > IDC_SWEEP_MAX_SEEDS)
        return idc_err_set(err, IDC_EINVAL, "seeds: expected an integer in 1..%d (seed indices per setting)",
                           IDC_SWEEP_MAX_SEEDS);
    s->seeds = (uint32_t)json_integer_value(v);
    v = json_object_get(spec, "common_seeds");
    if (v != NULL && !json_is_boolean(v))
        return idc_err_set(err, IDC_EINVAL, "common_seeds: expected true or false");
    s->common_seeds = json_is_true(v);
    if (json_object_get(spec, "params") != NULL) {
        rc = check_params(json_object_get(spec, "params"), "params", err);
        if (rc != IDC_OK)
            return rc;
    }

    /* properties */
    if ((rc = array_field(spec, "properties", 1, &pl->nprop, err)) != IDC_OK)
        return rc;
    for (size_t i = 0; i < pl->nprop; i++) {
        json_t *e = json_array_get(json_object_get(spec, "properties"), i);
        char f[64];
        snprintf(f, sizeof f, "properties[%zu]", i);
        const char *id = json_string_value(e), *label = NULL;
        if (json_is_object(e)) {
            static const char *const pf[] = {"id", "label", "params", NULL};
            if ((rc = only_fields(e, pf, f, err)) != IDC_OK)
                return rc;
            id = json_string_value(json_object_get(e, "id"));
            json_t *l = json_object_get(e, "label");
            if (l != NULL && (!json_is_string(l) || !name_ok(json_string_value(l), 64)))
                return idc_err_set(err, IDC_EINVAL, "%s.label: expected 1-64 characters of A-Z a-z 0-9 _ . + -", f);
            label = json_string_value(l);
            json_t *pp = json_object_get(e, "params");
            char pf2[80];
            snprintf(pf2, sizeof pf2, "%s.params", f);
            if (pp != NULL && (rc = check_params(pp, pf2, err)) != IDC_OK)
                return rc;
        } else if (id == NULL) {
            return idc_err_set(err, IDC_EINVAL, "%s: expected a property ID or {\"id\", \"label\", \"params\"}", f);
        }
        if (id == NULL)
            return idc_err_set(err, IDC_EINVAL, "%s.id: missing (a property ID)", f);
        pl->defs[i] = pl->find(id);
        if (pl->defs[i] == NULL)
            return idc_err_set(err, IDC_EINVAL, "%s: unknown property \"%s\" (idcheck prop --list shows them)", f,
                               id);
        pl->labels[i] = label ? label : pl->defs[i]->id;
        for (size_t k = 0; k < i; k++)
            if (strcmp(pl->labels[k], pl->labels[i]) == 0)
                return idc_err_set(err, IDC_EINVAL, "%s: \"%s\" listed twice (give each entry its own label)", f,
                                   pl->labels[i]);
    }

    /* estimators */
    if ((rc = array_field(spec, "estimators", 0, &pl->nest, err)) != IDC_OK)
        return rc;
    for (size_t i = 0; i < pl->nest; i++) {
        json_t *e = json_array_get(json_object_get(spec, "estimators"), i);
        char f[64];
        snprintf(f, sizeof f, "estimators[%zu]", i);
        if (!json_is_string(e) || !name_ok(json_string_value(e), 63))
            return idc_err_set(err, IDC_EINVAL, "%s: expected an estimator name (a word)", f);
        for (size_t k = 0; k < i; k++)
            if (json_equal(e, json_array_get(json_object_get(spec, "estimators"), k)))
                return idc_err_set(err, IDC_EINVAL, "%s: \"%s\" listed twice", f, json_string_value(e));
    }

    /* cases */
    if ((rc = array_field(spec, "cases", 0, &pl->ncase, err)) != IDC_OK)
        return rc;
    for (size_t i = 0; i < pl->ncase; i++) {
        json_t *e = json_array_get(json_object_get(spec, "cases"), i);
        char f[64], pf2[80];
        snprintf(f, sizeof f, "cases[%zu]", i);
        static const char *const cf[] = {"label", "params", "paper", NULL};
        if (!json_is_object(e))
            return idc_err_set(err, IDC_EINVAL, "%s: expected {\"label\", \"params\"}", f);
        if ((rc = only_fields(e, cf, f, err)) != IDC_OK)
            return rc;
        const char *l = json_string_value(json_object_get(e, "label"));
        if (l == NULL || !name_ok(l, 64))
            return idc_err_set(err, IDC_EINVAL, "%s.label: expected 1-64 characters of A-Z a-z 0-9 _ . + -", f);
        for (size_t k = 0; k < i; k++)
            if (strcmp(l, json_string_value(json_object_get(json_array_get(json_object_get(spec, "cases"), k),
                                                            "label"))) == 0)
                return idc_err_set(err, IDC_EINVAL, "%s.label: \"%s\" used twice", f, l);
        snprintf(pf2, sizeof pf2, "%s.params", f);
        json_t *pp = json_object_get(e, "params");
        if (pp == NULL)
            return idc_err_set(err, IDC_EINVAL, "%s: missing (an object of parameter values)", pf2);
        if ((rc = check_params(pp, pf2, err)) != IDC_OK)
            return rc;
    }

    /* grid */
    json_t *grid = json_object_get(spec, "grid");
    if (grid != NULL) {
        if (!json_is_object(grid) || json_object_size(grid) > MAX_ENTRIES)
            return idc_err_set(err, IDC_EINVAL, "grid: expected an object {knob: [values...]}");
        const char *key;
        json_t *vals;
        json_object_foreach(grid, key, vals)
        {
            char f[96];
            snprintf(f, sizeof f, "grid.%s", key);
            if (!name_ok(key, 63))
                return idc_err_set(err, IDC_EINVAL, "%s: not a parameter name", f);
            if (strcmp(key, "seed") == 0 || strcmp(key, "case") == 0 || strcmp(key, "estimator") == 0)
                return idc_err_set(err, IDC_EINVAL, "%s: reserved (use %s)", f,
                                   strcmp(key, "estimator") == 0 ? "\"estimators\""
                                   : strcmp(key, "seed") == 0    ? "\"seed\" and \"seeds\""
                                                                 : "\"cases\"");
            if (!json_is_array(vals) || json_array_size(vals) == 0 || json_array_size(vals) > MAX_ENTRIES)
                return idc_err_set(err, IDC_EINVAL, "%s: expected a non-empty array of values", f);
            for (size_t i = 0; i < json_array_size(vals); i++) {
                char fi[140], a[VALUE_CAP], b[VALUE_CAP];
                snprintf(fi, sizeof fi, "%s[%zu]", f, i);
                if ((rc = check_value(json_array_get(vals, i), fi, err)) != IDC_OK)
                    return rc;
                value_text(a, sizeof a, json_array_get(vals, i));
                for (size_t k = 0; k < i; k++) {
                    value_text(b, sizeof b, json_array_get(vals, k));
                    if (strcmp(a, b) == 0)
                        return idc_err_set(err, IDC_EINVAL, "%s: value %s listed twice", fi, a);
                }
            }
            /* a knob is set in one place only */
            if (json_object_get(json_object_get(spec, "params"), key) != NULL)
                return idc_err_set(err, IDC_EINVAL, "%s: also set in params", f);
            for (size_t i = 0; i < pl->ncase; i++)
                if (json_object_get(json_object_get(json_array_get(json_object_get(spec, "cases"), i), "params"),
                                    key) != NULL)
                    return idc_err_set(err, IDC_EINVAL, "%s: also set in cases[%zu].params", f, i);
            for (size_t i = 0; i < pl->nprop; i++)
                if (json_object_get(json_object_get(json_array_get(json_object_get(spec, "properties"), i), "params"),
                                    key) != NULL)
                    return idc_err_set(err, IDC_EINVAL, "%s: also set in properties[%zu].params", f, i);
            pl->knob[pl->nknob] = key;
            pl->knob_n[pl->nknob] = json_array_size(vals);
            pl->sorted[pl->nknob] = key;
            pl->nknob++;
        }
        qsort(pl->sorted, pl->nknob, sizeof pl->sorted[0], cmp_str);
    }
    if (pl->nest > 0) {
        const char *where = json_object_get(json_object_get(spec, "params"), "estimator") ? "params" : NULL;
        for (size_t i = 0; where == NULL && i < pl->ncase; i++)
            if (json_object_get(json_object_get(json_array_get(json_object_get(spec, "cases"), i), "params"),
                                "estimator"))
                where = "cases[].params";
        for (size_t i = 0; where == NULL && i < pl->nprop; i++)
            if (json_object_get(json_object_get(json_array_get(json_object_get(spec, "properties"), i), "params"),
                                "estimator"))
                where = "properties[].params";
        if (where != NULL)
            return idc_err_set(err, IDC_EINVAL, "estimators: the estimator is also set in %s", where);
    }
    /* the number of cells */
    double ncell = (double)pl->nprop * (double)(pl->nest ? pl->nest : 1) * (double)(pl->ncase ? pl->ncase : 1) *
                   (double)s->seeds;
    for (size_t k = 0; k < pl->nknob; k++)
        ncell *= (double)pl->knob_n[k];
    if (ncell > IDC_SWEEP_MAX_CELLS)
        return idc_err_set(err, IDC_EINVAL, "grid: %.0f cells, more than %d (split the sweep)", ncell,
                           IDC_SWEEP_MAX_CELLS);
    s->ncells = 0;
    s->cells = idc_calloc((size_t)ncell, sizeof(idc_sweep_cell));
    if (s->cells == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    return IDC_OK;
}

static int expand(plan *pl, idc_sweep *s, idc_err *err)
{
    const json_t *spec = pl->spec;
    size_t nest = pl->nest ? pl->nest : 1, ncase = pl->ncase ? pl->ncase : 1;
    size_t pos[MAX_ENTRIES];
    size_t maxst = json_object_size(json_object_get(spec, "params")) + pl->nknob + 1, a = 0, b = 0;
    for (size_t i = 0; i < pl->nprop; i++) {
        size_t z = json_object_size(json_object_get(json_array_get(json_object_get(spec, "properties"), i), "params"));
        a = z > a ? z : a;
    }
    for (size_t i = 0; i < pl->ncase; i++) {
        size_t z = json_object_size(json_object_get(json_array_get(json_object_get(spec, "cases"), i), "params"));
        b = z > b ? z : b;
    }
    setting *st = calloc(maxst + a + b, sizeof(setting));
    if (st == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    int rc = IDC_OK;
    for (size_t ip = 0; ip < pl->nprop && rc == IDC_OK; ip++) {
        json_t *pent = json_array_get(json_object_get(spec, "properties"), ip);
        for (size_t ie = 0; ie < nest && rc == IDC_OK; ie++) {
            json_t *est = pl->nest ? json_array_get(json_object_get(spec, "estimators"), ie) : NULL;
            for (size_t ic = 0; ic < ncase && rc == IDC_OK; ic++) {
                json_t *cs = pl->ncase ? json_array_get(json_object_get(spec, "cases"), ic) : NULL;
                memset(pos, 0, pl->nknob * sizeof pos[0]);
                for (;;) {
                    /* the settings of this group, in order of precedence */
                    size_t nst = 0;
                    const char *key;
                    json_t *v;
                    json_t *srcs[3] = {json_object_get(spec, "params"), json_object_get(pent, "params"),
                                       json_object_get(cs, "params")};
                    char srcf[3][64];
                    snprintf(srcf[0], sizeof srcf[0], "params");
                    snprintf(srcf[1], sizeof srcf[1], "properties[%zu].params", ip);
                    snprintf(srcf[2], sizeof srcf[2], "cases[%zu].params", ic);
                    for (int k = 0; k < 3; k++)
                        json_object_foreach(srcs[k], key, v)
                        {
                            st[nst].name = key;
                            st[nst].value = v;
                            snprintf(st[nst].field, sizeof st[nst].field, "%s.%s", srcf[k], key);
                            nst++;
                        }
                    for (size_t k = 0; k < pl->nknob; k++) {
                        st[nst].name = pl->knob[k];
                        st[nst].value = json_array_get(json_object_get(json_object_get(spec, "grid"), pl->knob[k]),
                                                       pos[k]);
                        snprintf(st[nst].field, sizeof st[nst].field, "grid.%s[%zu]", pl->knob[k], pos[k]);
                        nst++;
                    }
                    if (est != NULL) {
                        st[nst].name = "estimator";
                        st[nst].value = est;
                        snprintf(st[nst].field, sizeof st[nst].field, "estimators[%zu]", ie);
                        nst++;
                    }
                    json_t *pj = NULL, *knobs = json_object();
                    rc = knobs ? apply(&pj, pl->defs[ip], st, nst, err) : idc_err_set(err, IDC_ENOMEM, "out of memory");
                    char group[2048] = "", ov[2048] = "";
                    int ok = rc == IDC_OK;
                    for (size_t k = 0; ok && k < nst; k++)
                        ok = json_object_set(knobs, st[k].name, (json_t *)st[k].value) == 0;
                    snprintf(group, sizeof group, "%s", pl->labels[ip]);
                    if (ok && est != NULL)
                        ok = key_add(group, sizeof group, "estimator", json_string_value(est));
                    if (ok && cs != NULL)
                        ok = key_add(group, sizeof group, "case", json_string_value(json_object_get(cs, "label")));
                    for (size_t k = 0; ok && k < pl->nknob; k++) {
                        char val[VALUE_CAP];
                        size_t kk = 0;
                        while (strcmp(pl->knob[kk], pl->sorted[k]) != 0)
                            kk++;
                        value_text(val, sizeof val,
                                   json_array_get(json_object_get(json_object_get(spec, "grid"), pl->knob[kk]),
                                                  pos[kk]));
                        ok = key_add(group, sizeof group, pl->sorted[k], val);
                    }
                    if (rc == IDC_OK && !ok)
                        rc = idc_err_set(err, IDC_EINVAL, "properties[%zu]: a cell key longer than %zu characters",
                                         ip, sizeof group - 16);
                    if (rc == IDC_OK && !idc_prop_overrides(ov, sizeof ov, pl->defs[ip], pj))
                        rc = idc_err_set(err, IDC_EINVAL, "properties[%zu]: overrides longer than %zu characters", ip,
                                         sizeof ov);
                    uint64_t rs = s->common_seeds ? s->seed : idc_sweep_group_seed(s->seed, group);
                    for (uint32_t sd = 0; rc == IDC_OK && sd < s->seeds; sd++) {
                        idc_sweep_cell *c = &s->cells[s->ncells];
                        char key2[2100];
                        snprintf(key2, sizeof key2, "%s;seed=%" PRIu32, group, sd);
                        c->key = strdup(key2);
                        c->overrides = strdup(ov);
                        c->params = json_incref(pj);
                        c->knobs = json_incref(knobs);
                        c->def = pl->defs[ip];
                        c->label = strdup(pl->labels[ip]);
                        c->case_label = cs ? strdup(json_string_value(json_object_get(cs, "label"))) : NULL;
                        c->run_seed = rs;
                        c->index = sd;
                        s->ncells++;
                        if (c->key == NULL || c->overrides == NULL || c->label == NULL ||
                            (cs != NULL && c->case_label == NULL))
                            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
                    }
                    json_decref(pj);
                    json_decref(knobs);
                    if (rc != IDC_OK)
                        break;
                    /* next grid point: the last knob fastest */
                    size_t k = pl->nknob;
                    while (k > 0) {
                        k--;
                        if (++pos[k] < pl->knob_n[k])
                            break;
                        pos[k] = 0;
                        if (k == 0) {
                            k = (size_t)-1;
                            break;
                        }
                    }
                    if (pl->nknob == 0 || k == (size_t)-1)
                        break;
                }
            }
        }
    }
    free(st);
    return rc;
}

static int index_keys(idc_sweep *s, idc_err *err);

int idc_sweep_parse(idc_sweep **out, const json_t *spec, idc_sweep_find_fn find, idc_err *err)
{
    *out = NULL;
    idc_sweep *s = calloc(1, sizeof *s);
    plan *pl = calloc(1, sizeof *pl);
    if (s == NULL || pl == NULL) {
        free(s);
        free(pl);
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    pl->spec = spec;
    pl->find = find ? find : idc_prop_find;
    int rc = check_spec(pl, s, err);
    if (rc == IDC_OK)
        rc = expand(pl, s, err);
    if (rc == IDC_OK)
        rc = index_keys(s, err);
    if (rc == IDC_OK) {
        s->canonical = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
        if (s->canonical == NULL || s->name == NULL)
            rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    if (rc == IDC_OK) {
        struct sha256_ctx ctx;
        uint8_t d[SHA256_DIGEST_SIZE];
        sha256_init(&ctx);
        sha256_update(&ctx, strlen(s->canonical), (const uint8_t *)s->canonical);
        sha256_digest(&ctx, sizeof d, d);
        for (int i = 0; i < 8; i++)
            snprintf(s->id + 2 * i, 3, "%02x", d[i]);
    }
    free(pl);
    if (rc != IDC_OK) {
        idc_sweep_free(s);
        return rc;
    }
    *out = s;
    return IDC_OK;
}

int idc_sweep_load(idc_sweep **out, const char *path, idc_sweep_find_fn find, idc_err *err)
{
    *out = NULL;
    json_error_t je;
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return idc_err_set(err, IDC_EIO, "%s: cannot open: %s", path, strerror(errno));
    json_t *spec = json_loadf(fp, JSON_REJECT_DUPLICATES, &je);
    fclose(fp);
    if (spec == NULL)
        return idc_err_set(err, IDC_EINVAL, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    int rc = idc_sweep_parse(out, spec, find, err);
    json_decref(spec);
    if (rc != IDC_OK)
        idc_err_prefix(err, rc, "%s: ", path);
    return rc;
}

static const idc_sweep *sort_sweep; /* qsort has no context argument; guarded by sort_lock */
static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

static int cmp_cell(const void *a, const void *b)
{
    return strcmp(sort_sweep->cells[*(const size_t *)a].key, sort_sweep->cells[*(const size_t *)b].key);
}

static int index_keys(idc_sweep *s, idc_err *err)
{
    s->by_key = idc_calloc(s->ncells ? s->ncells : 1, sizeof(size_t));
    if (s->by_key == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->ncells; i++)
        s->by_key[i] = i;
    pthread_mutex_lock(&sort_lock);
    sort_sweep = s;
    qsort(s->by_key, s->ncells, sizeof(size_t), cmp_cell);
    pthread_mutex_unlock(&sort_lock);
    for (size_t i = 1; i < s->ncells; i++)
        if (strcmp(s->cells[s->by_key[i - 1]].key, s->cells[s->by_key[i]].key) == 0)
            return idc_err_set(err, IDC_EINTERNAL, "two cells with the key %s", s->cells[s->by_key[i]].key);
    return IDC_OK;
}

size_t idc_sweep_find_cell(const idc_sweep *s, const char *key)
{
    size_t lo = 0, hi = s->ncells;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->cells[s->by_key[mid]].key, key);
        if (c == 0)
            return s->by_key[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (size_t)-1;
}

int idc_sweep_shard_parse(unsigned *i, unsigned *n, const char *text, idc_err *err)
{
    unsigned long a = 0, b = 0;
    char *end = NULL;
    int ok = text != NULL && text[0] >= '0' && text[0] <= '9';
    if (ok) {
        a = strtoul(text, &end, 10);
        ok = *end == '/' && end[1] >= '0' && end[1] <= '9';
    }
    if (ok) {
        b = strtoul(end + 1, &end, 10);
        ok = *end == '\0';
    }
    if (!ok || b < 1 || b > 65536 || a < 1 || a > b)
        return idc_err_set(err, IDC_EINVAL, "--shard: expected I/N with 1 <= I <= N <= 65536, got \"%s\"",
                           text ? text : "");
    *i = (unsigned)a;
    *n = (unsigned)b;
    return IDC_OK;
}

int idc_sweep_in_shard(size_t cell, unsigned i, unsigned n)
{
    return n <= 1 || cell % n == (size_t)(i - 1);
}
