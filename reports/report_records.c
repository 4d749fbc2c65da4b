/* The records of fit, check and repro in the report (reports/report_impl.h):
 * loaded from the records tables of a schema-2 store, rendered as the
 * section "records". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "reports/report_impl.h"

/* One query: every record with its verdicts and measurements as JSON
 * (ordered by precondition and name). */
static const char RECORDS_SQL[] =
    "SELECT json_object('record_id', r.record_id, 'run_id', r.run_id, 'kind', r.kind, 'cell', r.cell, "
    "'instance_hash', r.instance_hash, 'seconds', r.seconds, "
    "'verdicts', (SELECT json_group_array(json_object('precondition', v.precondition, 'verdict', v.verdict, "
    "'cert_hash', v.cert_hash)) FROM (SELECT * FROM record_verdicts WHERE record_id = r.record_id "
    "ORDER BY precondition) v), "
    "'measurements', (SELECT json_group_array(json_array(m.name, m.value)) FROM (SELECT * FROM record_measurements "
    "WHERE record_id = r.record_id ORDER BY name) m)) FROM records r ORDER BY r.record_id";

int idc_rep_load_records(idc_report *r, void *sqlite_db, const char *path, idc_err *err)
{
    sqlite3 *db = sqlite_db;
    r->recs = json_array();
    if (r->recs == NULL)
        return idc_err_set(err, IDC_ENOMEM, "%s: out of memory", path);
    sqlite3_stmt *st = NULL;
    int has = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'records'", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        has = sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    if (!has)
        return IDC_OK;
    if (sqlite3_prepare_v2(db, RECORDS_SQL, -1, &st, NULL) != SQLITE_OK)
        return idc_err_set(err, IDC_EINVAL, "%s: not a readable idcheck results store (records: %s)", path,
                           sqlite3_errmsg(db));
    int step, rc = IDC_OK;
    while (rc == IDC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        json_t *o = t != NULL ? json_loads(t, 0, NULL) : NULL;
        if (o == NULL) {
            rc = idc_err_set(err, IDC_ENOMEM, "%s: out of memory", path);
            break;
        }
        /* the measurements as an object (name -> value), in name order */
        json_t *pairs = json_object_get(o, "measurements"), *m = json_object();
        size_t i;
        json_t *p;
        json_array_foreach(pairs, i, p)
        {
            const char *name = json_string_value(json_array_get(p, 0));
            if (name != NULL)
                json_object_set(m, name, json_array_get(p, 1));
        }
        json_object_set_new(o, "measurements", m);
        json_array_append_new(r->recs, o);
    }
    if (rc == IDC_OK && step != SQLITE_DONE)
        rc = idc_err_set(err, IDC_EINVAL, "%s: not a readable idcheck results store (records: %s)", path,
                         sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc;
}

static void cell_text(idc_sb *b, const char *s)
{
    idc_sb_puts(b, "<td>");
    if (s != NULL)
        idc_sb_html(b, s);
    else
        idc_sb_puts(b, "&mdash;");
    idc_sb_puts(b, "</td>");
}

static void cell_hash(idc_sb *b, const char *hsh)
{
    if (hsh == NULL) {
        cell_text(b, NULL);
        return;
    }
    idc_sb_puts(b, "<td><code title=\"");
    idc_sb_html(b, hsh);
    idc_sb_puts(b, "\">");
    char shortv[20];
    snprintf(shortv, sizeof shortv, "%.16s", hsh);
    idc_sb_html(b, shortv);
    idc_sb_puts(b, strlen(hsh) > 16 ? "&hellip;</code></td>" : "</code></td>");
}

/* At most this many measurements per record in the table (the rest are
 * counted; all are in the store and the JSON export). */
#define MAX_SHOWN 16

static void measurements_cell(idc_sb *b, const json_t *m)
{
    idc_sb_puts(b, "<td class=\"meas\">");
    const char *name;
    json_t *v;
    size_t k = 0;
    json_object_foreach((json_t *)m, name, v)
    {
        if (k++ == MAX_SHOWN) {
            idc_sb_printf(b, "&hellip; %zu more", json_object_size(m) - MAX_SHOWN);
            break;
        }
        char num[40];
        idc_rep_num(num, sizeof num, json_is_number(v) ? json_number_value(v) : NAN);
        idc_sb_puts(b, "<code>");
        idc_sb_html(b, name);
        idc_sb_printf(b, "</code> %s<br>", json_is_number(v) ? num : "null");
    }
    idc_sb_puts(b, "</td>");
}

void idc_rep_sec_records(idc_sb *b, const idc_report *r)
{
    idc_sb_puts(b, "<section id=\"records\"><h2>Fits, checks and reproductions</h2>");
    size_t n = json_array_size(r->recs);
    if (n == 0) {
        idc_sb_puts(b, "<p class=\"note\" id=\"records-none\">No record of <code>idcheck fit</code>, "
                       "<code>check</code> or <code>repro</code> with <code>--db</code> in this store.</p></section>\n");
        return;
    }
    idc_sb_printf(b, "<p>%zu record(s) written by <code>idcheck fit</code>, <code>check</code> and <code>repro</code> "
                     "with <code>--db</code> (docs/STORE.md, \"records\"). <code>idcheck audit STORE</code> re-derives "
                     "each with the verb that wrote it, from the recorded arguments, seeds and instance, and compares "
                     "it with what is shown here.</p>",
                  n);
    idc_sb_puts(b, "<table id=\"records-table\"><tr><th>record</th><th>run</th><th>kind</th><th>cell</th>"
                   "<th>instance hash</th><th>seconds</th><th>verdicts</th><th>measurements</th></tr>");
    size_t i;
    json_t *o;
    json_array_foreach(r->recs, i, o)
    {
        idc_sb_printf(b, "<tr id=\"record-%lld\"><td class=\"n\">%lld</td><td class=\"n\">%lld</td>",
                      (long long)json_integer_value(json_object_get(o, "record_id")),
                      (long long)json_integer_value(json_object_get(o, "record_id")),
                      (long long)json_integer_value(json_object_get(o, "run_id")));
        cell_text(b, json_string_value(json_object_get(o, "kind")));
        cell_text(b, json_string_value(json_object_get(o, "cell")));
        cell_hash(b, json_string_value(json_object_get(o, "instance_hash")));
        const json_t *sec = json_object_get(o, "seconds");
        if (json_is_number(sec)) {
            char num[40];
            idc_rep_num(num, sizeof num, json_number_value(sec));
            idc_sb_printf(b, "<td class=\"n\">%s</td>", num);
        } else {
            cell_text(b, NULL);
        }
        /* verdicts: counts here, the rows below */
        const json_t *vs = json_object_get(o, "verdicts");
        size_t nh = 0, nf = 0, nu = 0, k;
        json_t *v;
        json_array_foreach(vs, k, v)
        {
            const char *w = json_string_value(json_object_get(v, "verdict"));
            nh += w != NULL && strcmp(w, "HOLDS") == 0;
            nf += w != NULL && strcmp(w, "FAILS") == 0;
            nu += w == NULL || strcmp(w, "UNKNOWN") == 0;
        }
        if (json_array_size(vs) > 0)
            idc_sb_printf(b, "<td><a href=\"#record-verdicts-%lld\">%zu HOLDS, %zu FAILS, %zu UNKNOWN</a></td>",
                          (long long)json_integer_value(json_object_get(o, "record_id")), nh, nf, nu);
        else
            cell_text(b, NULL);
        measurements_cell(b, json_object_get(o, "measurements"));
        idc_sb_puts(b, "</tr>");
    }
    idc_sb_puts(b, "</table>");
    /* each check's verdicts with their certificate hashes */
    json_array_foreach(r->recs, i, o)
    {
        const json_t *vs = json_object_get(o, "verdicts");
        if (json_array_size(vs) == 0)
            continue;
        long long id = (long long)json_integer_value(json_object_get(o, "record_id"));
        idc_sb_printf(b, "<h3 id=\"record-verdicts-%lld\">Record %lld: ", id, id);
        idc_sb_html(b, json_string_value(json_object_get(o, "cell")));
        idc_sb_puts(b, "</h3><table class=\"record-verdicts\"><tr><th>precondition</th><th>verdict</th>"
                       "<th>certificate hash</th></tr>");
        size_t k;
        json_t *v;
        json_array_foreach(vs, k, v)
        {
            idc_sb_puts(b, "<tr>");
            cell_text(b, json_string_value(json_object_get(v, "precondition")));
            const char *w = json_string_value(json_object_get(v, "verdict"));
            if (w != NULL && (strcmp(w, "HOLDS") == 0 || strcmp(w, "FAILS") == 0 || strcmp(w, "UNKNOWN") == 0))
                idc_sb_printf(b, "<td class=\"%s\">%s</td>", w, w);
            else
                cell_text(b, w);
            cell_hash(b, json_string_value(json_object_get(v, "cert_hash")));
            idc_sb_puts(b, "</tr>");
        }
        idc_sb_puts(b, "</table>");
    }
    idc_sb_puts(b, "<p class=\"note\">A certificate of a record: <code>sqlite3 STORE \"SELECT certificate FROM "
                   "record_verdicts WHERE record_id = ID AND precondition = 'PRE'\" &gt; cert.json</code> and its "
                   "instance <code>sqlite3 STORE \"SELECT i.json FROM records r JOIN instances i ON i.hash = "
                   "r.instance_hash WHERE r.record_id = ID\" &gt; instance.json</code>, then <code>idcheck cert verify "
                   "cert.json instance.json</code>.</p></section>\n");
}
