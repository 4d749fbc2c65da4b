/* The report as a PDF (reports/report.h): the HTML page's contents as text
 * pages and the same figures, drawn with cairo's PDF surface. The
 * document's dates are the store's first run's start (a fixed date for an
 * empty store), never the time of writing, so the same store gives the same
 * bytes. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo/cairo-pdf.h>
#include <jansson.h>

#include "reports/provenance.h"
#include "reports/report_impl.h"

#define PAGE_W 595.0 /* A4 in pt */
#define PAGE_H 842.0
#define MARGIN 42.0

typedef struct {
    cairo_t *cr;
    double y;
    int pages;
} doc;

static void page_break(doc *d)
{
    cairo_show_page(d->cr);
    d->y = MARGIN;
    d->pages++;
}

static void need(doc *d, double h)
{
    if (d->y + h > PAGE_H - MARGIN)
        page_break(d);
}

static void font(doc *d, double size, int bold, int mono)
{
    cairo_select_font_face(d->cr, mono ? "DejaVu Sans Mono" : "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(d->cr, size);
}

/* Text wrapped to the page width at spaces (or anywhere in a long word),
 * indented by indent pt. */
static void para(doc *d, const char *s, double size, int bold, int mono, double indent)
{
    char *c = idc_plot_utf8_clean(s ? s : "-", (size_t)-1);
    if (c == NULL)
        return;
    font(d, size, bold, mono);
    double width = PAGE_W - 2 * MARGIN - indent, lh = size * 1.35;
    size_t n = strlen(c), at = 0;
    char *line = malloc(n + 1);
    if (line == NULL) {
        free(c);
        return;
    }
    while (at < n) {
        /* the longest prefix that fits */
        size_t best = 0, space = 0, k = at;
        while (k < n) {
            size_t next = k + 1;
            while (next < n && ((unsigned char)c[next] & 0xC0) == 0x80)
                next++;
            memcpy(line, c + at, next - at);
            line[next - at] = '\0';
            cairo_text_extents_t e;
            cairo_text_extents(d->cr, line, &e);
            if (e.x_advance > width && best > 0)
                break;
            if (c[k] == '\n') {
                best = k - at;
                space = 0;
                break;
            }
            best = next - at;
            if (c[k] == ' ')
                space = next - at;
            k = next;
        }
        size_t take = best;
        if (at + best < n && c[at + best] != '\n' && space > 0)
            take = space;
        memcpy(line, c + at, take);
        line[take] = '\0';
        need(d, lh);
        cairo_move_to(d->cr, MARGIN + indent, d->y + size);
        cairo_show_text(d->cr, line);
        d->y += lh;
        at += take;
        if (at < n && c[at] == '\n')
            at++;
    }
    free(line);
    free(c);
}

static void heading(doc *d, const char *s, double size)
{
    need(d, size * 3);
    d->y += size * 0.6;
    cairo_set_source_rgb(d->cr, 0.1, 0.15, 0.3);
    para(d, s, size, 1, 0, 0);
    cairo_set_source_rgb(d->cr, 0, 0, 0);
    d->y += 2;
}

static int figure(doc *d, const idc_rep_fig *g)
{
    double w = 0.8 * (PAGE_W - 2 * MARGIN), scale = w / g->w, h = g->h * scale;
    if (h > PAGE_H - 2 * MARGIN - 30) {
        scale = (PAGE_H - 2 * MARGIN - 30) / g->h;
        h = g->h * scale;
    }
    need(d, h + 30);
    cairo_save(d->cr);
    cairo_translate(d->cr, MARGIN + (PAGE_W - 2 * MARGIN - g->w * scale) / 2, d->y);
    cairo_scale(d->cr, scale, scale);
    int rc = idc_plot_draw(g->plot, d->cr, g->w, g->h);
    cairo_restore(d->cr);
    d->y += h + 4;
    para(d, g->caption, 8, 0, 0, 0);
    d->y += 8;
    return rc;
}

/* The first run's start as cairo wants a date ("YYYY-MM-DDThh:mm:ss"), or
 * a fixed date. */
static void doc_date(char *buf, size_t cap, const idc_report *r)
{
    snprintf(buf, cap, "2000-01-01T00:00:00");
    const char *s = r->nruns && r->runs[0].started ? r->runs[0].started : "";
    static const char pat[] = "dddd-dd-ddTdd:dd:dd";
    for (size_t i = 0; i < sizeof pat - 1; i++)
        if (s[i] == '\0' || (pat[i] == 'd' ? !isdigit((unsigned char)s[i]) : (s[i] != pat[i] && !(i == 10 && s[i] == ' '))))
            return;
    snprintf(buf, cap, "%.10sT%.8s", s, s + 11);
}

static void flatten(doc *d, const char *prefix, const json_t *v, int depth)
{
    if (json_is_object(v) && depth < 6) {
        const char *k;
        json_t *c;
        size_t n = json_object_size(v), i = 0;
        const char **keys = malloc((n ? n : 1) * sizeof *keys);
        if (keys == NULL)
            return;
        json_object_foreach((json_t *)v, k, c) keys[i++] = k;
        for (size_t a = 1; a < n; a++)
            for (size_t j = a; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
                const char *t = keys[j];
                keys[j] = keys[j - 1];
                keys[j - 1] = t;
            }
        for (i = 0; i < n; i++) {
            char p[256];
            snprintf(p, sizeof p, "%s%s%s", prefix, prefix[0] ? "." : "", keys[i]);
            flatten(d, p, json_object_get(v, keys[i]), depth + 1);
        }
        free(keys);
        return;
    }
    char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    size_t n = strlen(prefix) + 4 + (s ? strlen(s) : strlen(json_string_value(v)));
    char *line = malloc(n);
    if (line) {
        snprintf(line, n, "%s: %s", prefix, s ? s : json_string_value(v));
        para(d, line, 8, 0, 0, 10);
    }
    free(line);
    free(s);
}

/* Per outcome that is not PASS, the property's trials from index k on with
 * why (the violated assertion, the unmet estimator condition with its
 * measured values, the precondition not HOLDS) and, for a failure or an
 * error, the replay command; at most IDC_REP_LIST_CAP per outcome, as the
 * HTML page. */
static void trial_lines(doc *d, const idc_report *r, size_t k, const char *prop)
{
    char buf[1024];
    for (int o = 1; o < 5; o++) { /* idc_rep_outcomes[0] is PASS */
        const char *oc = idc_rep_outcomes[o];
        int replay = strcmp(oc, "FAIL") == 0 || strcmp(oc, "ERROR") == 0;
        size_t n = 0;
        for (size_t j = k; j < r->ntrials; j++) {
            const idc_rep_trial *t = &r->trials[j];
            if (strcmp(t->property ? t->property : "?", prop) != 0 || !t->outcome || strcmp(t->outcome, oc) != 0)
                continue;
            if (n++ == IDC_REP_LIST_CAP)
                continue;
            snprintf(buf, sizeof buf, "%s run %lld trial %lld seed %.40s: %.600s", t->outcome, (long long)t->run_id,
                     (long long)t->trial_index, t->seed ? t->seed : "-", t->reason ? t->reason : "-");
            para(d, buf, 8, 0, 0, 10);
            if (t->replay && replay)
                para(d, t->replay, 8, 0, 1, 20);
        }
        if (n > IDC_REP_LIST_CAP) {
            snprintf(buf, sizeof buf, "... and %zu more %s trials (all in the store and the JSON export)",
                     n - IDC_REP_LIST_CAP, oc);
            para(d, buf, 8, 0, 0, 10);
        }
    }
}

/* The records of fit, check and repro: one paragraph each (kind, cell,
 * instance hash, seconds, its measurements), a check's verdicts with their
 * certificate hashes. */
static void records(doc *d, const idc_report *r)
{
    char buf[1024];
    heading(d, "Fits, checks and reproductions", 14);
    if (json_array_size(r->recs) == 0) {
        para(d, "No record of idcheck fit, check or repro with --db in this store.", 10, 0, 0, 0);
        return;
    }
    para(d, "Written by idcheck fit, check and repro with --db (docs/STORE.md, \"records\"); idcheck audit STORE "
            "re-derives each and compares.",
         9, 0, 0, 0);
    size_t i;
    json_t *o;
    json_array_foreach(r->recs, i, o)
    {
        const json_t *sec = json_object_get(o, "seconds");
        char num[40] = "-";
        if (json_is_number(sec))
            idc_rep_num(num, sizeof num, json_number_value(sec));
        const char *kind = json_string_value(json_object_get(o, "kind")), *cell = json_string_value(json_object_get(o, "cell")),
                   *ih = json_string_value(json_object_get(o, "instance_hash"));
        snprintf(buf, sizeof buf, "record %lld (run %lld): %.40s, %.300s; instance %.16s; %s s",
                 (long long)json_integer_value(json_object_get(o, "record_id")),
                 (long long)json_integer_value(json_object_get(o, "run_id")), kind ? kind : "-", cell ? cell : "-",
                 ih ? ih : "-", num);
        para(d, buf, 9, 1, 0, 0);
        const char *name;
        json_t *v;
        json_object_foreach(json_object_get(o, "measurements"), name, v)
        {
            idc_rep_num(num, sizeof num, json_is_number(v) ? json_number_value(v) : NAN);
            snprintf(buf, sizeof buf, "%-40.200s %s", name, json_is_number(v) ? num : "null");
            para(d, buf, 8, 0, 1, 10);
        }
        size_t k;
        json_array_foreach(json_object_get(o, "verdicts"), k, v)
        {
            const char *pre = json_string_value(json_object_get(v, "precondition")),
                       *w = json_string_value(json_object_get(v, "verdict")),
                       *h = json_string_value(json_object_get(v, "cert_hash"));
            snprintf(buf, sizeof buf, "%-10.60s %-8.20s certificate %.64s", pre ? pre : "-", w ? w : "-", h ? h : "-");
            para(d, buf, 8, 0, 1, 10);
        }
    }
}

static void body(doc *d, const idc_report *r, const idc_rep_figs *f, int *rc)
{
    char buf[1024];
    cairo_set_source_rgb(d->cr, 0, 0, 0);
    heading(d, "idcheck report", 20);
    snprintf(buf, sizeof buf, "Results store %.400s: %zu runs, %zu trials. Written by idcheck %s.", r->name, r->nruns,
             r->ntrials, idc_version());
    para(d, buf, 10, 0, 0, 0);
    if (r->nruns == 0 && r->ntrials == 0)
        para(d, "This results store is empty: it holds no runs and no trials.", 10, 1, 0, 0);
    heading(d, "Summary", 14);
    for (int o = 0; o < 5; o++) {
        snprintf(buf, sizeof buf, "%-13s %zu", idc_rep_outcome_titles[o], idc_report_count(r, NULL, idc_rep_outcomes[o]));
        para(d, buf, 10, 0, 1, 10);
    }
    heading(d, "Environment and provenance", 14);
    for (size_t i = 0; i < r->nruns; i++) {
        const idc_rep_run *u = &r->runs[i];
        snprintf(buf, sizeof buf, "run %lld: %.40s, started %.40s, finished %.40s, status %.40s%s%.40s", (long long)u->run_id,
                 u->verb ? u->verb : "-", u->started ? u->started : "-", u->finished ? u->finished : "-",
                 u->status ? u->status : "-", u->shard ? ", shard " : "", u->shard ? u->shard : "");
        para(d, buf, 9, 1, 0, 0);
        para(d, u->argv, 8, 0, 1, 10);
        json_t *pj = u->provenance ? json_loads(u->provenance, 0, NULL) : NULL;
        int dup = 0;
        for (size_t j = 0; j < i && !dup; j++)
            dup = u->provenance && r->runs[j].provenance && strcmp(u->provenance, r->runs[j].provenance) == 0;
        if (dup)
            para(d, "provenance: as the run before", 8, 0, 0, 10);
        else if (json_is_object(pj))
            flatten(d, "", pj, 0);
        else
            para(d, u->provenance ? u->provenance : "no provenance recorded", 8, 0, 1, 10);
        json_decref(pj);
    }
    heading(d, "Trials by outcome, per property", 14);
    for (size_t k = 0; k < r->ntrials;) {
        const char *prop = r->trials[k].property ? r->trials[k].property : "?";
        int seen = 0;
        for (size_t j = 0; j < k && !seen; j++)
            seen = strcmp(r->trials[j].property ? r->trials[j].property : "?", prop) == 0;
        if (!seen) {
            snprintf(buf, sizeof buf, "%.200s: %zu passed, %zu failed, %zu inconclusive, %zu discarded, %zu error", prop,
                     idc_report_count(r, prop, "PASS"), idc_report_count(r, prop, "FAIL"),
                     idc_report_count(r, prop, "INCONCLUSIVE"), idc_report_count(r, prop, "DISCARD"),
                     idc_report_count(r, prop, "ERROR"));
            para(d, buf, 10, 1, 0, 0);
            trial_lines(d, r, k, prop);
        }
        k++;
    }
    if (r->ntrials == 0)
        para(d, "No trials recorded.", 10, 0, 0, 0);
    heading(d, "Precondition verdicts", 14);
    para(d, "Certificates are verified with: idcheck cert verify CERT.json INSTANCE.json (see the HTML report for "
            "the sqlite3 queries that extract them). Per precondition, trials by verdict:",
         9, 0, 0, 0);
    for (size_t i = 0; i < r->nverd; i++) {
        const char *pre = r->verd[i].precondition;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(r->verd[j].precondition, pre) == 0;
        if (seen)
            continue;
        size_t c[3] = {0};
        for (size_t j = i; j < r->nverd; j++)
            if (strcmp(r->verd[j].precondition, pre) == 0)
                c[strcmp(r->verd[j].verdict, "HOLDS") == 0 ? 0 : strcmp(r->verd[j].verdict, "FAILS") == 0 ? 1 : 2]++;
        snprintf(buf, sizeof buf, "%-12.200s HOLDS %zu  FAILS %zu  UNKNOWN %zu", pre, c[0], c[1], c[2]);
        para(d, buf, 9, 0, 1, 10);
    }
    if (r->nverd == 0)
        para(d, "No precondition verdicts recorded.", 10, 0, 0, 0);
    static const char *const titles[3] = {"Metrics against the varied parameters", "KL gap against 1 - R^2",
                                          "Correlation heatmaps of learned vs true latents"};
    for (int s = 0; s < 3 && *rc == IDC_OK; s++) {
        heading(d, titles[s], 14);
        size_t n = 0;
        if (s == 0)
            for (size_t i = 0; i < f->ngroup; i++)
                para(d, f->group_line[i], 8, 0, 0, 10);
        for (size_t i = 0; i < f->nfig && *rc == IDC_OK; i++)
            if (f->fig[i].section == s) {
                *rc = figure(d, &f->fig[i]);
                n++;
            }
        if (n == 0)
            para(d, "None in this store.", 10, 0, 0, 0);
    }
    heading(d, "Reproductions beside the papers' numbers", 14);
    idc_rep_table *tables = NULL;
    size_t nt = 0;
    if (idc_rep_repro_tables(&tables, &nt, r) != IDC_OK) {
        *rc = IDC_ENOMEM;
        return;
    }
    for (size_t i = 0; i < nt; i++) {
        para(d, tables[i].title, 10, 1, 0, 0);
        for (size_t j = 0; j < tables[i].nrows; j++) {
            const idc_rep_row *w = &tables[i].rows[j];
            char m[64] = "-";
            if (w->n > 0)
                idc_rep_num(m, sizeof m, w->mean);
            snprintf(buf, sizeof buf, "%-24.60s %-14.40s paper %-10.30s ours %-10s (%zu trials; %.100s)",
                     w->setting[0] ? w->setting : "whole sweep", w->quantity, w->paper, m, w->n,
                     w->from ? w->from : "no trial measures it");
            para(d, buf, 8, 0, 1, 10);
        }
    }
    idc_rep_tables_free(tables, nt);
    for (size_t i = 0; i < r->nrepro; i++) {
        const idc_rep_repro *e = &r->repro[i];
        para(d, e->title, 10, 1, 0, 0);
        json_t *paper = json_loads(e->paper, 0, NULL), *ours = json_loads(e->ours, 0, NULL);
        const char *k;
        json_t *v;
        json_object_foreach(paper, k, v)
        {
            char a[64] = "-", b[64] = "-";
            const json_t *o = json_object_get(ours, k);
            if (json_is_number(v))
                idc_rep_num(a, sizeof a, json_number_value(v));
            else if (json_is_string(v))
                snprintf(a, sizeof a, "%.60s", json_string_value(v));
            if (json_is_number(o))
                idc_rep_num(b, sizeof b, json_number_value(o));
            else if (json_is_string(o))
                snprintf(b, sizeof b, "%.60s", json_string_value(o));
            snprintf(buf, sizeof buf, "%-20.100s paper %-20s ours %s", k, a, b);
            para(d, buf, 8, 0, 1, 10);
        }
        json_decref(paper);
        json_decref(ours);
    }
    if (r->nrepro == 0 && nt == 0)
        para(d, "None in this store.", 10, 0, 0, 0);
    records(d, r);
}

int idc_report_pdf(char **out, size_t *len, const idc_report *r, idc_err *err)
{
    *out = NULL;
    *len = 0;
    idc_rep_figs f;
    int rc = idc_rep_figs_build(&f, r, err);
    if (rc != IDC_OK)
        return rc;
    idc_plot_membuf m = {0};
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(idc_plot_mem_write, &m, PAGE_W, PAGE_H);
    char date[32], title[512], creator[64];
    doc_date(date, sizeof date, r);
    snprintf(title, sizeof title, "idcheck report: %.400s", r->name);
    char *ctitle = idc_plot_utf8_clean(title, (size_t)-1);
    snprintf(creator, sizeof creator, "idcheck %s", idc_version());
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, ctitle ? ctitle : "idcheck report");
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, creator);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, date);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_MOD_DATE, date);
    free(ctitle);
    doc d = {cairo_create(s), MARGIN, 1};
    body(&d, r, &f, &rc);
    cairo_show_page(d.cr);
    cairo_status_t st = cairo_status(d.cr);
    cairo_destroy(d.cr);
    cairo_surface_finish(s);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    idc_rep_figs_clear(&f);
    if (rc == IDC_OK && (m.oom || st != CAIRO_STATUS_SUCCESS || m.buf == NULL))
        rc = m.oom ? IDC_ENOMEM : IDC_EINTERNAL;
    if (rc != IDC_OK) {
        free(m.buf);
        return idc_err_set(err, rc, "report --pdf: %s",
                           rc == IDC_ENOMEM ? "out of memory" : st != CAIRO_STATUS_SUCCESS ? cairo_status_to_string(st)
                                                                                            : "a figure could not be drawn");
    }
    *out = m.buf;
    *len = m.len;
    return IDC_OK;
}
