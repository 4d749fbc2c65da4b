/* JUnit XML and TAP 13 reports (see reports/junit.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numeric/fileio.h"
#include "reports/junit.h"

typedef struct {
    char *classname, *name, *message, *detail;
    double seconds;
    idc_junit_outcome outcome;
} jcase;

typedef struct {
    char *name;
    json_t *properties;
    jcase *cases;
    size_t n, cap;
} jsuite;

struct idc_junit {
    char *name;
    jsuite *suites;
    size_t n, cap;
};

static char *dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

idc_junit *idc_junit_new(const char *name)
{
    idc_junit *j = calloc(1, sizeof *j);
    if (j != NULL && (j->name = strdup(name ? name : "idcheck")) == NULL) {
        free(j);
        return NULL;
    }
    return j;
}

void idc_junit_free(idc_junit *j)
{
    if (j == NULL)
        return;
    for (size_t s = 0; s < j->n; s++) {
        jsuite *su = &j->suites[s];
        for (size_t c = 0; c < su->n; c++) {
            free(su->cases[c].classname);
            free(su->cases[c].name);
            free(su->cases[c].message);
            free(su->cases[c].detail);
        }
        free(su->cases);
        free(su->name);
        json_decref(su->properties);
    }
    free(j->suites);
    free(j->name);
    free(j);
}

int idc_junit_suite(idc_junit *j, const char *name, const json_t *properties)
{
    if (j->n == j->cap) {
        size_t cap = j->cap ? 2 * j->cap : 4;
        jsuite *v = realloc(j->suites, cap * sizeof *v);
        if (v == NULL)
            return IDC_ENOMEM;
        j->suites = v;
        j->cap = cap;
    }
    jsuite *su = &j->suites[j->n];
    memset(su, 0, sizeof *su);
    su->name = strdup(name ? name : j->name);
    su->properties = properties ? json_deep_copy(properties) : NULL;
    if (su->name == NULL || (properties != NULL && su->properties == NULL)) {
        free(su->name);
        json_decref(su->properties);
        return IDC_ENOMEM;
    }
    j->n++;
    return IDC_OK;
}

int idc_junit_case(idc_junit *j, const char *classname, const char *name, double seconds,
                   idc_junit_outcome outcome, const char *message, const char *detail)
{
    if (j->n == 0 && idc_junit_suite(j, j->name, NULL) != IDC_OK)
        return IDC_ENOMEM;
    jsuite *su = &j->suites[j->n - 1];
    if (su->n == su->cap) {
        size_t cap = su->cap ? 2 * su->cap : 16;
        jcase *v = realloc(su->cases, cap * sizeof *v);
        if (v == NULL)
            return IDC_ENOMEM;
        su->cases = v;
        su->cap = cap;
    }
    jcase *c = &su->cases[su->n];
    c->classname = dup(classname ? classname : su->name);
    c->name = dup(name ? name : "");
    c->message = dup(message);
    c->detail = dup(detail);
    c->seconds = seconds;
    c->outcome = outcome;
    if (c->classname == NULL || c->name == NULL || (message && !c->message) || (detail && !c->detail)) {
        free(c->classname);
        free(c->name);
        free(c->message);
        free(c->detail);
        return IDC_ENOMEM;
    }
    su->n++;
    return IDC_OK;
}

static void suite_counts(const jsuite *su, size_t *f, size_t *e, size_t *s, double *secs)
{
    *f = *e = *s = 0;
    *secs = 0.0;
    for (size_t c = 0; c < su->n; c++) {
        const jcase *k = &su->cases[c];
        *f += k->outcome == IDC_JUNIT_FAILURE;
        *e += k->outcome == IDC_JUNIT_ERROR;
        *s += k->outcome == IDC_JUNIT_SKIPPED;
        if (k->seconds > 0)
            *secs += k->seconds;
    }
}

void idc_junit_counts(const idc_junit *j, size_t *tests, size_t *failures, size_t *errors, size_t *skipped)
{
    *tests = *failures = *errors = *skipped = 0;
    for (size_t s = 0; s < j->n; s++) {
        size_t f, e, k;
        double secs;
        suite_counts(&j->suites[s], &f, &e, &k, &secs);
        *tests += j->suites[s].n;
        *failures += f;
        *errors += e;
        *skipped += k;
    }
}

/* Length of the valid UTF-8 sequence at p (0: invalid). */
static size_t utf8_len(const unsigned char *p)
{
    size_t n;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        n = 2;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF)
        n = 3;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4)
        n = 4;
    else
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

static void put_escaped(FILE *fp, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        size_t n = utf8_len(p);
        if (n == 0) {
            fputs("\xEF\xBF\xBD", fp);
            p++;
            continue;
        }
        if (n > 1) {
            fwrite(p, 1, n, fp);
            p += n;
            continue;
        }
        switch (*p) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        case '\'': fputs("&apos;", fp); break;
        case '\n': fputs("&#10;", fp); break;
        case '\r': fputs("&#13;", fp); break;
        case '\t': fputs("&#9;", fp); break;
        default:
            if (*p < 0x20)
                fputs("\xEF\xBF\xBD", fp); /* not allowed in XML 1.0 */
            else
                fputc(*p, fp);
        }
        p++;
    }
}

char *idc_junit_xml_escape(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (fp == NULL)
        return NULL;
    put_escaped(fp, s);
    if (fclose(fp) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static const char *const tags[] = {NULL, "failure", "error", "skipped"};

char *idc_junit_xml(const idc_junit *j)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (fp == NULL)
        return NULL;
    size_t t, f, e, s;
    idc_junit_counts(j, &t, &f, &e, &s);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"", fp);
    put_escaped(fp, j->name);
    fprintf(fp, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\">\n", t, f, e, s);
    for (size_t i = 0; i < j->n; i++) {
        const jsuite *su = &j->suites[i];
        double secs;
        suite_counts(su, &f, &e, &s, &secs);
        fputs("  <testsuite name=\"", fp);
        put_escaped(fp, su->name);
        fprintf(fp, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.6f\">\n", su->n, f,
                e, s, secs);
        if (json_object_size(su->properties) > 0) {
            fputs("    <properties>\n", fp);
            const char *key;
            json_t *v;
            json_object_foreach(su->properties, key, v)
            {
                char *txt = json_is_string(v) ? strdup(json_string_value(v))
                                              : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS |
                                                                  JSON_REAL_PRECISION(17));
                fputs("      <property name=\"", fp);
                put_escaped(fp, key);
                fputs("\" value=\"", fp);
                put_escaped(fp, txt ? txt : "");
                fputs("\"/>\n", fp);
                free(txt);
            }
            fputs("    </properties>\n", fp);
        }
        for (size_t c = 0; c < su->n; c++) {
            const jcase *k = &su->cases[c];
            fputs("    <testcase classname=\"", fp);
            put_escaped(fp, k->classname);
            fputs("\" name=\"", fp);
            put_escaped(fp, k->name);
            fputc('"', fp);
            if (k->seconds >= 0)
                fprintf(fp, " time=\"%.6f\"", k->seconds);
            if (k->outcome == IDC_JUNIT_PASS) {
                fputs("/>\n", fp);
                continue;
            }
            fprintf(fp, ">\n      <%s", tags[k->outcome]);
            if (k->message) {
                fputs(" message=\"", fp);
                put_escaped(fp, k->message);
                fputc('"', fp);
            }
            if (k->outcome == IDC_JUNIT_FAILURE)
                fputs(" type=\"AssertionFailed\"", fp);
            if (k->detail && k->detail[0]) {
                fputc('>', fp);
                put_escaped(fp, k->detail);
                fprintf(fp, "</%s>\n", tags[k->outcome]);
            } else {
                fputs("/>\n", fp);
            }
            fputs("    </testcase>\n", fp);
        }
        fputs("  </testsuite>\n", fp);
    }
    fputs("</testsuites>\n", fp);
    if (fclose(fp) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* A TAP description: newlines folded to spaces, '#' and '\' escaped. */
static void put_tap_desc(FILE *fp, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '\n' || *p == '\r')
            fputc(' ', fp);
        else if (*p == '#' || *p == '\\') {
            fputc('\\', fp);
            fputc(*p, fp);
        } else
            fputc(*p, fp);
    }
}

/* A YAML double-quoted scalar. */
static void put_yaml(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', fp);
            fputc(*p, fp);
        } else if (*p == '\n') {
            fputs("\\n", fp);
        } else if (*p == '\t') {
            fputs("\\t", fp);
        } else if (*p < 0x20) {
            fprintf(fp, "\\x%02x", *p);
        } else {
            fputc(*p, fp);
        }
    }
    fputc('"', fp);
}

char *idc_junit_tap(const idc_junit *j)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (fp == NULL)
        return NULL;
    size_t t, f, e, s;
    idc_junit_counts(j, &t, &f, &e, &s);
    fprintf(fp, "TAP version 13\n1..%zu\n", t);
    size_t num = 0;
    for (size_t i = 0; i < j->n; i++) {
        const jsuite *su = &j->suites[i];
        for (size_t c = 0; c < su->n; c++) {
            const jcase *k = &su->cases[c];
            int ok = k->outcome == IDC_JUNIT_PASS || k->outcome == IDC_JUNIT_SKIPPED;
            fprintf(fp, "%s %zu - ", ok ? "ok" : "not ok", ++num);
            put_tap_desc(fp, su->name);
            fputs(": ", fp);
            put_tap_desc(fp, k->name);
            if (k->outcome == IDC_JUNIT_SKIPPED) {
                fputs(" # SKIP ", fp);
                put_tap_desc(fp, k->message);
            }
            fputc('\n', fp);
            if (!ok) {
                fputs("  ---\n  severity: ", fp);
                fputs(k->outcome == IDC_JUNIT_FAILURE ? "fail" : "error", fp);
                fputs("\n  message: ", fp);
                put_yaml(fp, k->message);
                if (k->detail) {
                    fputs("\n  detail: ", fp);
                    put_yaml(fp, k->detail);
                }
                if (k->seconds >= 0)
                    fprintf(fp, "\n  duration_ms: %.3f", 1e3 * k->seconds);
                fputs("\n  ...\n", fp);
            }
        }
    }
    if (fclose(fp) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int write_text(char *txt, const char *path, idc_err *err)
{
    if (txt == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory rendering %s", path);
    int rc = idc_write_file_atomic(path, txt, strlen(txt), err);
    free(txt);
    return rc;
}

int idc_junit_write_xml(const idc_junit *j, const char *path, idc_err *err)
{
    return write_text(idc_junit_xml(j), path, err);
}

int idc_junit_write_tap(const idc_junit *j, const char *path, idc_err *err)
{
    return write_text(idc_junit_tap(j), path, err);
}

static const char *str(const json_t *v)
{
    const char *s = json_string_value(v);
    return s ? s : "";
}

static int add_record(idc_junit *j, const char *classname, const json_t *t)
{
    const char *oc = json_string_value(json_object_get(t, "outcome"));
    const char *seed = json_string_value(json_object_get(t, "seed"));
    json_int_t trial = json_integer_value(json_object_get(t, "trial"));
    char name[160];
    if (json_is_integer(json_object_get(t, "regression")))
        snprintf(name, sizeof name, "regression %" JSON_INTEGER_FORMAT " trial %" JSON_INTEGER_FORMAT " run_seed=%s",
                 json_integer_value(json_object_get(t, "regression")), trial,
                 json_string_value(json_object_get(t, "run_seed")));
    else
        snprintf(name, sizeof name, "trial %" JSON_INTEGER_FORMAT " seed=%s", trial, seed ? seed : "?");
    json_t *ws = json_object_get(t, "wall_seconds");
    double secs = json_is_number(ws) ? json_number_value(ws) : -1.0;
    const char *why = json_string_value(json_object_get(t, "why"));
    if (oc == NULL || strcmp(oc, "PASS") == 0)
        return idc_junit_case(j, classname, name, secs, IDC_JUNIT_PASS, NULL, NULL);
    if (strcmp(oc, "DISCARD") == 0 || strcmp(oc, "STALE") == 0 || strcmp(oc, "INCONCLUSIVE") == 0) {
        char msg[300];
        int inc = strcmp(oc, "INCONCLUSIVE") == 0;
        snprintf(msg, sizeof msg, "%s: %s",
                 strcmp(oc, "STALE") == 0 ? "stale regression" : inc ? "inconclusive" : "discarded",
                 why ? why : inc ? "the estimator conditions were not met" : "a precondition is not HOLDS");
        return idc_junit_case(j, classname, name, secs, IDC_JUNIT_SKIPPED, msg, NULL);
    }
    if (strcmp(oc, "ERROR") == 0)
        return idc_junit_case(j, classname, name, secs, IDC_JUNIT_ERROR,
                              json_string_value(json_object_get(t, "error")), NULL);
    /* FAIL */
    char *detail = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&detail, &len);
    if (fp == NULL)
        return IDC_ENOMEM;
    fprintf(fp, "replay: %s\n", str(json_object_get(t, "replay")));
    const json_t *sh = json_object_get(t, "shrink");
    if (json_object_size(json_object_get(sh, "changed")) > 0) {
        fprintf(fp, "minimal failing instance (%" JSON_INTEGER_FORMAT " shrink steps): %s\n",
                json_integer_value(json_object_get(sh, "steps")), str(json_object_get(sh, "why")));
        fprintf(fp, "replay minimal: %s\n", str(json_object_get(sh, "replay")));
    }
    fclose(fp);
    int rc = idc_junit_case(j, classname, name, secs, IDC_JUNIT_FAILURE, why ? why : "FAIL", detail);
    free(detail);
    return rc;
}

int idc_junit_add_prop_results(idc_junit *j, const json_t *results, idc_err *err)
{
    const char *id = json_string_value(json_object_get(results, "property"));
    json_t *trials = json_object_get(results, "trials");
    if (id == NULL || !json_is_array(trials))
        return idc_err_set(err, IDC_EINVAL, "results: expected an idcheck prop results object");
    json_t *props = json_pack("{s:O?,s:O?}", "run_seed", json_object_get(results, "run_seed"), "params",
                              json_object_get(results, "params"));
    int rc = props ? idc_junit_suite(j, id, props) : IDC_ENOMEM;
    json_decref(props);
    char classname[96];
    snprintf(classname, sizeof classname, "idcheck.prop.%s", id);
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(results, "regressions"), i, t)
    {
        if (rc == IDC_OK)
            rc = add_record(j, classname, t);
    }
    json_array_foreach(trials, i, t)
    {
        if (rc == IDC_OK)
            rc = add_record(j, classname, t);
    }
    return rc == IDC_OK ? IDC_OK : idc_err_set(err, rc, "out of memory");
}
