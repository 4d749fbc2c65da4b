/* Regression seeds of properties (see properties/regress.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "numeric/fileio.h"
#include "properties/regress.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17))

void idc_prop_regressions_init(idc_prop_regressions *r)
{
    memset(r, 0, sizeof *r);
}

void idc_prop_regressions_clear(idc_prop_regressions *r)
{
    for (size_t i = 0; i < r->n; i++)
        json_decref(r->v[i].params);
    free(r->v);
    memset(r, 0, sizeof *r);
}

static int same_params(const json_t *a, const json_t *b)
{
    char *x = json_dumps(a, DUMP_FLAGS), *y = json_dumps(b, DUMP_FLAGS);
    int eq = x != NULL && y != NULL && strcmp(x, y) == 0;
    free(x);
    free(y);
    return eq;
}

/* The position of the entry (seed, trial, params) in r, or r->n. */
static size_t find(const idc_prop_regressions *r, uint64_t seed, uint32_t trial, const json_t *params)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].seed == seed && r->v[i].trial == trial && same_params(r->v[i].params, params))
            return i;
    return r->n;
}

static void set_note(idc_prop_regression *e, const char *note)
{
    snprintf(e->note, sizeof e->note, "%s", note ? note : "");
    /* one line: no newlines in notes */
    for (char *p = e->note; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

int idc_prop_regressions_add(idc_prop_regressions *r, uint64_t seed, uint32_t trial, const json_t *params,
                             const char *note)
{
    if (find(r, seed, trial, params) < r->n)
        return 0;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 8;
        idc_prop_regression *v = realloc(r->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        r->v = v;
        r->cap = cap;
    }
    idc_prop_regression *e = &r->v[r->n];
    e->params = json_deep_copy(params);
    if (e->params == NULL)
        return -1;
    e->seed = seed;
    e->trial = trial;
    set_note(e, note);
    r->n++;
    return 1;
}

void idc_prop_regressions_remove(idc_prop_regressions *r, size_t i)
{
    if (i >= r->n)
        return;
    json_decref(r->v[i].params);
    memmove(&r->v[i], &r->v[i + 1], (r->n - i - 1) * sizeof r->v[0]);
    r->n--;
}

static int parse_line(idc_prop_regressions *r, char *s, const char *path, size_t lineno, idc_err *err)
{
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '\0' || *s == '#' || *s == '\n' || *s == '\r')
        return IDC_OK;
    char *end;
    errno = 0;
    unsigned long long seed = strtoull(s, &end, 0);
    if (end == s || errno != 0 || (*end != ' ' && *end != '\t'))
        return idc_err_set(err, IDC_EINVAL, "%s:%zu: expected RUN_SEED TRIAL PARAMS_JSON", path, lineno);
    s = end;
    unsigned long long trial = strtoull(s, &end, 10);
    if (end == s || errno != 0 || trial > UINT32_MAX || (*end != ' ' && *end != '\t'))
        return idc_err_set(err, IDC_EINVAL, "%s:%zu: expected a trial index after the seed", path, lineno);
    s = end;
    while (*s == ' ' || *s == '\t')
        s++;
    json_error_t je;
    json_t *params = json_loads(s, JSON_DISABLE_EOF_CHECK, &je);
    if (!json_is_object(params)) {
        json_decref(params);
        return idc_err_set(err, IDC_EINVAL, "%s:%zu: parameters: expected a JSON object (%s)", path, lineno,
                           je.text);
    }
    const char *rest = s + je.position;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    const char *note = NULL;
    if (*rest == '#') {
        note = rest + 1;
        while (*note == ' ')
            note++;
    } else if (*rest != '\0' && *rest != '\n' && *rest != '\r') {
        json_decref(params);
        return idc_err_set(err, IDC_EINVAL, "%s:%zu: unexpected text after the parameters", path, lineno);
    }
    char nb[256] = "";
    if (note != NULL) {
        snprintf(nb, sizeof nb, "%s", note);
        nb[strcspn(nb, "\r\n")] = '\0';
    }
    int added = idc_prop_regressions_add(r, (uint64_t)seed, (uint32_t)trial, params, nb);
    json_decref(params);
    return added < 0 ? idc_err_set(err, IDC_ENOMEM, "out of memory") : IDC_OK;
}

int idc_prop_regressions_read(idc_prop_regressions *r, const char *path, idc_err *err)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        if (errno == ENOENT)
            return IDC_OK;
        return idc_err_set(err, IDC_EIO, "%s: cannot open: %s", path, strerror(errno));
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int rc = IDC_OK;
    while (rc == IDC_OK && getline(&line, &cap, fp) >= 0)
        rc = parse_line(r, line, path, ++lineno, err);
    if (rc == IDC_OK && ferror(fp))
        rc = idc_err_set(err, IDC_EIO, "%s: read error", path);
    free(line);
    fclose(fp);
    return rc;
}

static int mkdirs(const char *path, idc_err *err)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    char *slash = strrchr(buf, '/');
    if (slash == NULL || slash == buf)
        return IDC_OK;
    *slash = '\0';
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return idc_err_set(err, IDC_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return idc_err_set(err, IDC_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
    return IDC_OK;
}

int idc_prop_regressions_write(const idc_prop_regressions *r, const char *id, const char *path, idc_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (mem == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    fprintf(mem,
            "# idcheck regression seeds of property %s: failing trials, replayed first by `idcheck prop %s`.\n"
            "# One per line: RUN_SEED TRIAL PARAMS_JSON [# NOTE]. Keep under version control; delete a line\n"
            "# to forget a failure (or run with --prune-regressions to drop those that pass).\n",
            id, id);
    int ok = 1;
    for (size_t i = 0; i < r->n && ok; i++) {
        char *pj = json_dumps(r->v[i].params, DUMP_FLAGS);
        ok = pj != NULL;
        if (ok)
            fprintf(mem, "0x%016" PRIx64 " %" PRIu32 " %s%s%s\n", r->v[i].seed, r->v[i].trial, pj,
                    r->v[i].note[0] ? " # " : "", r->v[i].note);
        free(pj);
    }
    fclose(mem);
    int rc = ok ? mkdirs(path, err) : idc_err_set(err, IDC_ENOMEM, "out of memory");
    if (rc == IDC_OK)
        rc = idc_write_file_atomic(path, buf, len, err);
    free(buf);
    return rc;
}

int idc_prop_regressions_update(idc_prop_regressions *r, const json_t *results, int prune, size_t *added,
                                size_t *removed)
{
    *added = *removed = 0;
    size_t i;
    json_t *t;
    if (prune) {
        /* By identity (run seed, trial, parameters), not position: r may be
         * the file as it is now, with entries added since the run started. */
        json_array_foreach(json_object_get(results, "regressions"), i, t)
        {
            const char *oc = json_string_value(json_object_get(t, "outcome"));
            const char *trs = json_string_value(json_object_get(t, "run_seed"));
            if (oc == NULL || strcmp(oc, "PASS") != 0 || trs == NULL)
                continue;
            size_t pos = find(r, strtoull(trs, NULL, 0), (uint32_t)json_integer_value(json_object_get(t, "trial")),
                              json_object_get(t, "params"));
            if (pos < r->n) {
                idc_prop_regressions_remove(r, pos);
                (*removed)++;
            }
        }
    }
    const char *rs = json_string_value(json_object_get(results, "run_seed"));
    uint64_t seed = rs ? strtoull(rs, NULL, 0) : 0;
    const json_t *params = json_object_get(results, "params");
    json_array_foreach(json_object_get(results, "trials"), i, t)
    {
        const char *oc = json_string_value(json_object_get(t, "outcome"));
        if (oc == NULL || strcmp(oc, "FAIL") != 0)
            continue;
        char note[256];
        const char *why = json_string_value(json_object_get(t, "why"));
        const char *ov = json_string_value(json_object_get(json_object_get(t, "shrink"), "overrides"));
        json_t *ch = json_object_get(json_object_get(t, "shrink"), "changed");
        snprintf(note, sizeof note, "%s%s%s", why ? why : "FAIL",
                 json_object_size(ch) > 0 && ov ? "; minimal: " : "", json_object_size(ch) > 0 && ov ? ov : "");
        uint32_t trial = (uint32_t)json_integer_value(json_object_get(t, "trial"));
        size_t pos = find(r, seed, trial, params);
        if (pos < r->n) { /* recorded as it failed (or by an earlier run): this run's note */
            set_note(&r->v[pos], note);
            continue;
        }
        int a = idc_prop_regressions_add(r, seed, trial, params, note);
        if (a < 0)
            return IDC_ENOMEM;
        *added += (size_t)a;
    }
    return IDC_OK;
}

int idc_prop_regressions_path(char *buf, size_t cap, const char *dir, const char *id)
{
    int n = snprintf(buf, cap, "%s/%s.txt", dir ? dir : ".idcheck/regressions", id);
    return n > 0 && (size_t)n < cap;
}
