/* The report as one self-contained HTML page (reports/report.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "reports/provenance.h"
#include "reports/report_impl.h"

/* Distinct (instance, verdict, certificate) rows per precondition. */
#define VERDICT_CAP 100

static const char CSS[] =
    "body{font-family:'DejaVu Sans',sans-serif;margin:24px auto;max-width:1180px;color:#111;line-height:1.4}"
    "h1{margin-bottom:4px}h2{border-bottom:2px solid #345;padding-bottom:3px;margin-top:36px}"
    "table{border-collapse:collapse;margin:8px 0 16px}th,td{border:1px solid #bbb;padding:3px 7px;"
    "text-align:left;vertical-align:top;font-size:13px;overflow-wrap:break-word}"
    "th{background:#eef1f5;white-space:nowrap}table.kv td{overflow-wrap:anywhere}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "code,pre{font-family:'DejaVu Sans Mono',monospace;font-size:12px}pre{background:#f6f6f6;padding:6px;"
    "white-space:pre-wrap;word-break:break-all;margin:2px 0}"
    ".PASS{color:#00704a}.FAIL{color:#b3261e;font-weight:bold}.INCONCLUSIVE{color:#9a6700}"
    ".DISCARD{color:#555}.ERROR{color:#7b1fa2;font-weight:bold}.HOLDS{color:#00704a}"
    ".FAILS{color:#b3261e;font-weight:bold}.UNKNOWN{color:#555}"
    "figure{margin:12px 0 24px}figure img{max-width:100%;height:auto;border:1px solid #ddd}"
    "figcaption{font-size:13px;color:#333}nav a{margin-right:12px}.note{color:#444;font-size:13px}"
    ".howto{background:#f3f7ff;border:1px solid #c8d6f0;padding:8px 12px}";

typedef struct {
    idc_sb *b;
    const idc_report *r;
} ctx;

static void h(idc_sb *b, const char *s)
{
    idc_sb_html(b, s);
}

static void td(idc_sb *b, const char *s)
{
    idc_sb_puts(b, "<td>");
    if (s)
        h(b, s);
    else
        idc_sb_puts(b, "&mdash;");
    idc_sb_puts(b, "</td>");
}

static void td_n(idc_sb *b, size_t n)
{
    idc_sb_printf(b, "<td class=\"n\">%zu</td>", n);
}

static void td_code(idc_sb *b, const char *s)
{
    if (s == NULL) {
        td(b, NULL);
        return;
    }
    idc_sb_puts(b, "<td><code>");
    h(b, s);
    idc_sb_puts(b, "</code></td>");
}

/* An outcome or verdict word with its class (only known words become a
 * class; others are escaped text). */
static void td_word(idc_sb *b, const char *w)
{
    static const char *const known[] = {"PASS", "FAIL", "INCONCLUSIVE", "DISCARD", "ERROR", "HOLDS", "FAILS", "UNKNOWN"};
    for (size_t i = 0; w && i < sizeof known / sizeof known[0]; i++)
        if (strcmp(w, known[i]) == 0) {
            idc_sb_printf(b, "<td class=\"%s\">%s</td>", known[i], known[i]);
            return;
        }
    td(b, w);
}

/* The command of a run: its argv JSON array joined by spaces. */
static void put_command(idc_sb *b, const char *argv)
{
    json_t *a = argv ? json_loads(argv, 0, NULL) : NULL;
    if (!json_is_array(a)) {
        h(b, argv ? argv : "");
        json_decref(a);
        return;
    }
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (i)
            idc_sb_puts(b, " ");
        const char *s = json_string_value(v);
        if (s && s[0] && strpbrk(s, " \t\"'$`\\*?;&|<>()[]{}") == NULL) {
            h(b, s);
        } else { /* shell-quoted, as the user would type it */
            idc_sb_puts(b, "&#39;");
            for (const char *p = s ? s : ""; *p; p++) {
                if (*p == '\'')
                    idc_sb_puts(b, "&#39;\\&#39;&#39;");
                else {
                    char c[2] = {*p, 0};
                    h(b, c);
                }
            }
            idc_sb_puts(b, "&#39;");
        }
    }
    json_decref(a);
}

static size_t run_trials(const idc_report *r, int64_t run)
{
    size_t n = 0;
    for (size_t k = 0; k < r->ntrials; k++)
        n += r->trials[k].run_id == run;
    return n;
}

static void flatten(idc_sb *b, const char *prefix, const json_t *v, int depth)
{
    if (json_is_object(v) && depth < 6) {
        const char *k;
        json_t *c;
        /* keys in sorted order */
        size_t n = json_object_size(v), i = 0;
        const char **keys = malloc((n ? n : 1) * sizeof *keys);
        if (keys == NULL) {
            b->oom = 1;
            return;
        }
        json_object_foreach((json_t *)v, k, c) keys[i++] = k;
        for (size_t a = 1; a < n; a++)
            for (size_t j = a; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
                const char *t = keys[j];
                keys[j] = keys[j - 1];
                keys[j - 1] = t;
            }
        for (i = 0; i < n; i++) {
            char *p = malloc(strlen(prefix) + strlen(keys[i]) + 2);
            if (p == NULL) {
                b->oom = 1;
                break;
            }
            sprintf(p, "%s%s%s", prefix, prefix[0] ? "." : "", keys[i]);
            flatten(b, p, json_object_get(v, keys[i]), depth + 1);
            free(p);
        }
        free(keys);
        return;
    }
    idc_sb_puts(b, "<tr><th>");
    h(b, prefix);
    idc_sb_puts(b, "</th>");
    if (json_is_string(v)) {
        td(b, json_string_value(v));
    } else {
        char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
        td(b, s ? s : "?");
        free(s);
    }
    idc_sb_puts(b, "</tr>");
}

static void sec_summary(idc_sb *b, const idc_report *r)
{
    idc_sb_puts(b, "<section id=\"summary\"><h2>Summary</h2>");
    if (r->nruns == 0 && r->ntrials == 0) {
        idc_sb_puts(b, "<p id=\"empty\">This results store is empty: it holds no runs and no trials, so there is "
                       "nothing to report yet. Write to it with <code>idcheck prop &hellip; --db FILE</code> or "
                       "<code>idcheck sweep SWEEP.json --db FILE</code>.</p>");
    }
    idc_sb_printf(b, "<p>%zu runs, %zu trials (%zu with a full record), %zu precondition verdicts, %zu "
                     "measurements.</p>",
                  r->nruns, r->ntrials, r->records, r->nverd, r->nmeas);
    idc_sb_puts(b, "<table id=\"summary-table\"><tr><th>outcome</th><th>trials</th><th>meaning (THEORY.md "
                   "&sect;8)</th></tr>");
    static const char *const meaning[5] = {
        "the conclusion was asserted and held, on a trial whose preconditions HOLD and whose estimator conditions "
        "were met",
        "the conclusion was asserted and did not hold (a trained estimator's failure is evidence of weak "
        "identifiability, never a counterexample)",
        "the estimator conditions were measured and not met: no evidence either way, never asserted",
        "a precondition was not certified HOLDS: the theorem does not apply, nothing asserted",
        "the trial could not run to a verdict (an internal or resource error)"};
    for (int o = 0; o < 5; o++) {
        idc_sb_printf(b, "<tr><td class=\"%s\">%s</td>", idc_rep_outcomes[o], idc_rep_outcome_titles[o]);
        td_n(b, idc_report_count(r, NULL, idc_rep_outcomes[o]));
        td(b, meaning[o]);
        idc_sb_puts(b, "</tr>");
    }
    size_t other = r->ntrials;
    for (int o = 0; o < 5; o++)
        other -= idc_report_count(r, NULL, idc_rep_outcomes[o]);
    if (other)
        idc_sb_printf(b, "<tr><td>other</td><td class=\"n\">%zu</td><td>an outcome this idcheck does not "
                         "know</td></tr>",
                      other);
    idc_sb_puts(b, "</table></section>\n");
}

static void sec_provenance(idc_sb *b, const idc_report *r)
{
    idc_sb_puts(b, "<section id=\"provenance\"><h2>Environment and provenance</h2>");
    idc_sb_printf(b, "<p>Report written by idcheck %s from the store <code>", idc_version());
    h(b, r->name);
    idc_sb_puts(b, "</code>. Every run records what is needed to re-derive its numbers: versions of idcheck and "
                   "its libraries, the build, the backend, and the OpenBLAS kernel used (a trained figure is "
                   "replayed bit for bit only with the same kernel: <code>idcheck --blas-core NAME &hellip;</code>)."
                   "</p>");
    if (r->nruns == 0) {
        idc_sb_puts(b, "<p class=\"note\">No runs recorded.</p></section>\n");
        return;
    }
    idc_sb_puts(b, "<table id=\"runs-table\"><tr><th>run</th><th>verb</th><th>command</th><th>started</th>"
                   "<th>finished</th><th>status</th><th>shard</th><th>trials</th></tr>");
    for (size_t i = 0; i < r->nruns; i++) {
        const idc_rep_run *u = &r->runs[i];
        idc_sb_printf(b, "<tr><td class=\"n\">%lld</td>", (long long)u->run_id);
        td(b, u->verb);
        idc_sb_puts(b, "<td><code>");
        put_command(b, u->argv);
        idc_sb_puts(b, "</code></td>");
        td(b, u->started);
        td(b, u->finished);
        td(b, u->status);
        td(b, u->shard);
        td_n(b, run_trials(r, u->run_id));
        idc_sb_puts(b, "</tr>");
    }
    idc_sb_puts(b, "</table>");
    /* one table per distinct provenance, with the runs it belongs to */
    size_t np = 0;
    for (size_t i = 0; i < r->nruns; i++) {
        const char *pv = r->runs[i].provenance ? r->runs[i].provenance : "";
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(r->runs[j].provenance ? r->runs[j].provenance : "", pv) == 0;
        if (seen)
            continue;
        np++;
        idc_sb_printf(b, "<h3>Provenance %zu (runs", np);
        for (size_t j = i; j < r->nruns; j++)
            if (strcmp(r->runs[j].provenance ? r->runs[j].provenance : "", pv) == 0)
                idc_sb_printf(b, " %lld", (long long)r->runs[j].run_id);
        idc_sb_puts(b, ")</h3>");
        json_t *pj = pv[0] ? json_loads(pv, 0, NULL) : NULL;
        if (json_is_object(pj)) {
            idc_sb_printf(b, "<table class=\"kv\" id=\"prov-%zu\">", np);
            flatten(b, "", pj, 0);
            idc_sb_puts(b, "</table>");
        } else {
            idc_sb_printf(b, "<p class=\"note\" id=\"prov-%zu\">%s</p>", np,
                          pv[0] ? "The recorded provenance is not a JSON object; as stored:" : "No provenance recorded.");
            if (pv[0]) {
                idc_sb_puts(b, "<pre>");
                h(b, pv);
                idc_sb_puts(b, "</pre>");
            }
        }
        json_decref(pj);
    }
    for (size_t i = 0; i < r->nruns; i++) {
        if (r->runs[i].sweep == NULL)
            continue;
        idc_sb_printf(b, "<details><summary>Sweep definition of run %lld</summary><pre>", (long long)r->runs[i].run_id);
        h(b, r->runs[i].sweep);
        idc_sb_puts(b, "</pre></details>");
    }
    idc_sb_puts(b, "</section>\n");
}

/* The distinct property names in report order (borrowed pointers). */
static const char **properties(const idc_report *r, size_t *n)
{
    const char **p = malloc((r->ntrials ? r->ntrials : 1) * sizeof *p);
    *n = 0;
    if (p == NULL)
        return NULL;
    for (size_t k = 0; k < r->ntrials; k++) {
        const char *name = r->trials[k].property ? r->trials[k].property : "?";
        size_t j = 0;
        while (j < *n && strcmp(p[j], name) != 0)
            j++;
        if (j == *n)
            p[(*n)++] = name;
    }
    for (size_t a = 1; a < *n; a++)
        for (size_t j = a; j > 0 && strcmp(p[j - 1], p[j]) > 0; j--) {
            const char *t = p[j];
            p[j] = p[j - 1];
            p[j - 1] = t;
        }
    return p;
}

static void trial_rows(idc_sb *b, const idc_report *r, const char *prop, const char *outcome, int with_replay)
{
    size_t shown = 0, total = idc_report_count(r, prop, outcome);
    if (total == 0)
        return;
    idc_sb_printf(b, "<h4>%s (%zu)</h4><table class=\"trials trials-%s\"><tr><th>run</th><th>trial</th><th>cell</th>"
                     "<th>seed</th><th>%s</th>%s</tr>",
                  strcmp(outcome, "FAIL") == 0           ? "Failed trials and how to replay them"
                  : strcmp(outcome, "ERROR") == 0        ? "Trials that ended in an error"
                  : strcmp(outcome, "INCONCLUSIVE") == 0 ? "Inconclusive trials (estimator conditions not met)"
                                                         : "Discarded trials (a precondition not HOLDS)",
                  total, outcome, strcmp(outcome, "FAIL") == 0 ? "violated assertion" : "reason",
                  with_replay ? "<th>replay</th>" : "");
    for (size_t k = 0; k < r->ntrials; k++) {
        const idc_rep_trial *t = &r->trials[k];
        if (!t->outcome || strcmp(t->outcome, outcome) != 0 || strcmp(t->property ? t->property : "?", prop) != 0)
            continue;
        if (shown == IDC_REP_LIST_CAP) {
            break;
        }
        shown++;
        idc_sb_printf(b, "<tr><td class=\"n\">%lld</td>", (long long)t->run_id);
        if (t->trial_index >= 0)
            idc_sb_printf(b, "<td class=\"n\">%lld</td>", (long long)t->trial_index);
        else
            td(b, NULL);
        td(b, t->cell);
        td_code(b, t->seed);
        td(b, t->reason);
        if (with_replay) {
            idc_sb_puts(b, "<td>");
            if (t->replay) {
                idc_sb_puts(b, "<pre>");
                h(b, t->replay);
                idc_sb_puts(b, "</pre>");
            } else {
                idc_sb_puts(b, "&mdash;");
            }
            idc_sb_puts(b, "</td>");
        }
        idc_sb_puts(b, "</tr>");
    }
    idc_sb_puts(b, "</table>");
    if (total > shown) {
        idc_sb_printf(b, "<p class=\"note\">&hellip; and %zu more; all of them: <code>sqlite3 ", total - shown);
        h(b, r->name);
        idc_sb_puts(b, " &quot;SELECT run_id, trial_index, seed, reason, replay FROM trials WHERE property = &#39;");
        h(b, prop);
        idc_sb_printf(b, "&#39; AND outcome = &#39;%s&#39;&quot;</code></p>", outcome);
    }
}

static void sec_outcomes(idc_sb *b, const idc_report *r)
{
    idc_sb_puts(b, "<section id=\"outcomes\"><h2>Trials by outcome, per property</h2>");
    size_t np;
    const char **props = properties(r, &np);
    if (props == NULL) {
        b->oom = 1;
        return;
    }
    if (np == 0) {
        idc_sb_puts(b, "<p class=\"note\">No trials recorded.</p></section>\n");
        free(props);
        return;
    }
    idc_sb_puts(b, "<table id=\"outcomes-table\"><tr><th>property</th><th>trials</th><th>passed</th><th>failed</th>"
                   "<th>inconclusive</th><th>discarded</th><th>error</th></tr>");
    for (size_t i = 0; i < np; i++) {
        size_t total = 0;
        for (size_t k = 0; k < r->ntrials; k++)
            total += strcmp(r->trials[k].property ? r->trials[k].property : "?", props[i]) == 0;
        idc_sb_printf(b, "<tr><td><a href=\"#prop-%zu\">", i + 1);
        h(b, props[i]);
        idc_sb_puts(b, "</a></td>");
        td_n(b, total);
        for (int o = 0; o < 5; o++)
            td_n(b, idc_report_count(r, props[i], idc_rep_outcomes[o]));
        idc_sb_puts(b, "</tr>");
    }
    idc_sb_puts(b, "</table>");
    for (size_t i = 0; i < np; i++) {
        idc_sb_printf(b, "<div class=\"property\" id=\"prop-%zu\"><h3>", i + 1);
        h(b, props[i]);
        idc_sb_puts(b, "</h3><p>");
        for (int o = 0; o < 5; o++)
            idc_sb_printf(b, "%s<span class=\"%s\">%zu %s</span>", o ? " &middot; " : "", idc_rep_outcomes[o],
                          idc_report_count(r, props[i], idc_rep_outcomes[o]), idc_rep_outcome_titles[o]);
        idc_sb_puts(b, "</p>");
        trial_rows(b, r, props[i], "FAIL", 1);
        trial_rows(b, r, props[i], "ERROR", 1);
        trial_rows(b, r, props[i], "INCONCLUSIVE", 0);
        trial_rows(b, r, props[i], "DISCARD", 0);
        idc_sb_puts(b, "</div>");
    }
    free(props);
    idc_sb_puts(b, "</section>\n");
}

/* ---- preconditions ---- */

typedef struct {
    const char *pre, *verdict, *cert, *inst;
} vrow;

static int verdict_rank(const char *v)
{
    return strcmp(v, "FAILS") == 0 ? 0 : strcmp(v, "UNKNOWN") == 0 ? 1 : strcmp(v, "HOLDS") == 0 ? 2 : 3;
}

static int nstrcmp(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int cmp_vrow(const void *x, const void *y)
{
    const vrow *a = x, *b = y;
    int c = strcmp(a->pre, b->pre);
    if (c)
        return c;
    c = verdict_rank(a->verdict) - verdict_rank(b->verdict);
    if (c)
        return c;
    c = strcmp(a->verdict, b->verdict);
    if (c)
        return c;
    c = nstrcmp(a->cert, b->cert);
    return c ? c : nstrcmp(a->inst, b->inst);
}

static void hash_cell(idc_sb *b, const char *hsh)
{
    if (hsh == NULL) {
        td(b, NULL);
        return;
    }
    idc_sb_puts(b, "<td><code title=\"");
    h(b, hsh);
    idc_sb_puts(b, "\">");
    char shortv[20];
    snprintf(shortv, sizeof shortv, "%.16s", hsh);
    h(b, shortv);
    idc_sb_puts(b, strlen(hsh) > 16 ? "&hellip;</code></td>" : "</code></td>");
}

static void sec_preconditions(idc_sb *b, const idc_report *r)
{
    idc_sb_puts(b, "<section id=\"preconditions\"><h2>Precondition verdicts and certificates</h2>");
    idc_sb_puts(b, "<div class=\"howto\" id=\"verify-howto\"><p>Every decided verdict (HOLDS or FAILS) carries a "
                   "certificate that a separate verifier re-derives without any search. To check one, take the "
                   "certificate and its instance out of the store and run the verifier:</p><pre>");
    idc_sb_puts(b, "sqlite3 ");
    h(b, r->name);
    idc_sb_puts(b, " &quot;SELECT certificate FROM verdicts WHERE cert_hash = &#39;HASH&#39; LIMIT 1&quot; &gt; "
                   "cert.json\nsqlite3 ");
    h(b, r->name);
    idc_sb_puts(b, " &quot;SELECT i.json FROM instances i JOIN trials t ON t.instance_hash = i.hash JOIN verdicts v "
                   "ON v.trial_id = t.trial_id WHERE v.cert_hash = &#39;HASH&#39; LIMIT 1&quot; &gt; instance.json\n"
                   "idcheck cert verify cert.json instance.json</pre><p>with HASH the full certificate hash (hover "
                   "over a shortened one). An UNKNOWN claims nothing and carries no certificate. Rows named "
                   "fitted:ID certify the class of a trial's fitted model (the trial record's fitted_model_hash), "
                   "not its instance: verify them against the fitted model a run emits (<code>idcheck fit "
                   "&hellip; --emit-model FILE</code>).</p></div>");
    vrow *rows = malloc((r->nverd ? r->nverd : 1) * sizeof *rows);
    if (rows == NULL) {
        b->oom = 1;
        return;
    }
    size_t n = 0;
    for (size_t k = 0; k < r->ntrials; k++) {
        const idc_rep_trial *t = &r->trials[k];
        for (size_t j = 0; j < t->nverd; j++) {
            const idc_rep_verdict *v = &r->verd[t->verd0 + j];
            /* "fitted:ID": a certificate about the trial's fitted model, not its instance */
            int fitted = strncmp(v->precondition, "fitted:", 7) == 0;
            rows[n++] = (vrow){v->precondition, v->verdict, v->cert_hash, fitted ? NULL : t->instance_hash};
        }
    }
    if (n == 0) {
        idc_sb_puts(b, "<p class=\"note\">No precondition verdicts recorded.</p></section>\n");
        free(rows);
        return;
    }
    qsort(rows, n, sizeof *rows, cmp_vrow);
    /* summary: per precondition, trials per verdict */
    idc_sb_puts(b, "<table id=\"verdicts-table\"><tr><th>precondition</th><th>HOLDS</th><th>FAILS</th>"
                   "<th>UNKNOWN</th><th>other</th><th>distinct certificates</th></tr>");
    size_t npre = 0;
    for (size_t a = 0; a < n;) {
        size_t e = a, cnt[4] = {0}, certs = 0;
        while (e < n && strcmp(rows[e].pre, rows[a].pre) == 0) {
            cnt[verdict_rank(rows[e].verdict) == 0 ? 1 : verdict_rank(rows[e].verdict) == 1 ? 2
                                                       : verdict_rank(rows[e].verdict) == 2 ? 0 : 3]++;
            if (rows[e].cert && (e == a || nstrcmp(rows[e].cert, rows[e - 1].cert) != 0))
                certs++;
            e++;
        }
        npre++;
        idc_sb_printf(b, "<tr><td><a href=\"#pre-%zu\">", npre);
        h(b, rows[a].pre);
        idc_sb_puts(b, "</a></td>");
        for (int c = 0; c < 4; c++)
            td_n(b, cnt[c]);
        td_n(b, certs);
        idc_sb_puts(b, "</tr>");
        a = e;
    }
    idc_sb_puts(b, "</table>");
    npre = 0;
    for (size_t a = 0; a < n;) {
        size_t e = a;
        while (e < n && strcmp(rows[e].pre, rows[a].pre) == 0)
            e++;
        npre++;
        idc_sb_printf(b, "<h3 id=\"pre-%zu\">", npre);
        h(b, rows[a].pre);
        idc_sb_puts(b, "</h3><table class=\"verdicts\"><tr><th>verdict</th><th>certificate hash</th>"
                       "<th>instance hash</th><th>trials</th></tr>");
        size_t shown = 0, distinct = 0;
        for (size_t i = a; i < e;) {
            size_t j = i;
            while (j < e && strcmp(rows[j].verdict, rows[i].verdict) == 0 && nstrcmp(rows[j].cert, rows[i].cert) == 0 &&
                   nstrcmp(rows[j].inst, rows[i].inst) == 0)
                j++;
            distinct++;
            if (shown < VERDICT_CAP) {
                shown++;
                idc_sb_puts(b, "<tr>");
                td_word(b, rows[i].verdict);
                hash_cell(b, rows[i].cert);
                hash_cell(b, rows[i].inst);
                td_n(b, j - i);
                idc_sb_puts(b, "</tr>");
            }
            i = j;
        }
        idc_sb_puts(b, "</table>");
        if (distinct > shown)
            idc_sb_printf(b, "<p class=\"note\">&hellip; %zu more distinct (verdict, certificate, instance) rows, "
                             "FAILS and UNKNOWN listed first; all of them: <code>SELECT * FROM verdicts</code>.</p>",
                          distinct - shown);
        a = e;
    }
    free(rows);
    idc_sb_puts(b, "</section>\n");
}

/* ---- figures ---- */

static int put_figure(idc_sb *b, const idc_rep_fig *g, idc_err *err)
{
    char *svg;
    size_t len;
    int rc = idc_plot_svg(&svg, &len, g->plot, g->w, g->h, err);
    if (rc != IDC_OK)
        return rc;
    idc_sb_printf(b, "<figure class=\"plot\" id=\"%s\"><img src=\"data:image/svg+xml;base64,", g->id);
    idc_sb_base64(b, svg, len);
    free(svg);
    idc_sb_printf(b, "\" width=\"%.0f\" height=\"%.0f\" alt=\"", g->w, g->h);
    h(b, g->caption);
    idc_sb_puts(b, "\"><figcaption>");
    h(b, g->caption);
    idc_sb_puts(b, "</figcaption></figure>\n");
    return IDC_OK;
}

static int sec_figures(idc_sb *b, const idc_report *r, const idc_rep_figs *f, idc_err *err)
{
    int rc = IDC_OK;
    size_t cnt[3] = {0};
    for (size_t i = 0; i < f->nfig; i++)
        cnt[f->fig[i].section]++;
    /* sweeps */
    idc_sb_puts(b, "<section id=\"sweeps\"><h2>Metrics against the varied parameters</h2><p>For each run and "
                   "property, every parameter that varies across its trials (parameters, estimator and start; "
                   "the seed excluded) is a knob; every metric and estimator condition measured is plotted against "
                   "every numeric knob, with the spread over seeds, one series per setting of the other knobs, "
                   "shaded where the preconditions hold (green) or fail (red).</p>");
    if (f->ngroup > 0) {
        idc_sb_puts(b, "<ul id=\"sweep-groups\">");
        for (size_t i = 0; i < f->ngroup; i++) {
            idc_sb_puts(b, "<li>");
            h(b, f->group_line[i]);
            idc_sb_puts(b, "</li>");
        }
        idc_sb_puts(b, "</ul>");
    }
    if (cnt[IDC_REP_SEC_SWEEP] == 0)
        idc_sb_puts(b, "<p class=\"note\">No run has a numeric parameter that varies across its trials with a "
                       "measurement to plot.</p>");
    for (size_t i = 0; i < f->nfig && rc == IDC_OK; i++)
        if (f->fig[i].section == IDC_REP_SEC_SWEEP)
            rc = put_figure(b, &f->fig[i], err);
    if (f->sweep_dropped)
        idc_sb_printf(b, "<p class=\"note\">%zu more figures not drawn (at most %d per report); the data: "
                         "<code>--csv</code>.</p>",
                      f->sweep_dropped, IDC_REP_MAX_SWEEP_FIGS);
    idc_sb_puts(b, "</section>\n");
    /* KL */
    idc_sb_puts(b, "<section id=\"kl\"><h2>KL gap against 1 &minus; R&sup2;</h2><p>For exact-likelihood "
                   "estimators the KL gap KL(P_X &Vert; P&#770;_X) measures how far a trained model is from its "
                   "optimum (THEORY.md &sect;8). There is no uniform bound from the gap to the distance from the "
                   "affine class; across trials the harness can show 1 &minus; R&sup2; &rarr; 0 as the gap &rarr; "
                   "0.</p>");
    if (cnt[IDC_REP_SEC_KL] == 0)
        idc_sb_puts(b, "<p class=\"note\" id=\"kl-none\">No trial has both a kl_gap estimator condition and an R&sup2; "
                       "metric (r2 or r2_out).</p>");
    for (size_t i = 0; i < f->nfig && rc == IDC_OK; i++)
        if (f->fig[i].section == IDC_REP_SEC_KL)
            rc = put_figure(b, &f->fig[i], err);
    idc_sb_puts(b, "</section>\n");
    /* heatmaps */
    idc_sb_puts(b, "<section id=\"heatmaps\"><h2>Correlation heatmaps of learned vs true latents</h2>");
    if (cnt[IDC_REP_SEC_CORR] == 0)
        idc_sb_printf(b, "<p class=\"note\" id=\"heatmaps-none\">None of the %zu trial records carries a correlation "
                         "matrix (a member corr_out or corr_in, as <code>idcheck metrics</code> writes); the "
                         "property records hold the MCC and the matching only.</p>",
                      r->records);
    else
        idc_sb_printf(b, "<p>%zu of the %zu trial records carry a correlation matrix; the first %zu are "
                         "shown.</p>",
                      r->corr_records, r->records, r->ncorr);
    for (size_t i = 0; i < f->nfig && rc == IDC_OK; i++)
        if (f->fig[i].section == IDC_REP_SEC_CORR)
            rc = put_figure(b, &f->fig[i], err);
    idc_sb_puts(b, "</section>\n");
    return rc;
}

/* ---- reproductions ---- */

static void value_cell(idc_sb *b, const json_t *v)
{
    if (v == NULL) {
        td(b, NULL);
    } else if (json_is_number(v)) {
        char buf[64];
        idc_rep_num(buf, sizeof buf, json_number_value(v));
        idc_sb_printf(b, "<td class=\"n\">%s</td>", buf);
    } else if (json_is_string(v)) {
        td(b, json_string_value(v));
    } else if (json_is_null(v)) {
        td(b, "null");
    } else if (json_is_array(v) || json_is_object(v)) {
        char buf[64];
        snprintf(buf, sizeof buf, "(%zu entries)", json_is_array(v) ? json_array_size(v) : json_object_size(v));
        td(b, buf);
    } else {
        td(b, json_is_true(v) ? "true" : "false");
    }
}

static void sweep_repro(idc_sb *b, const idc_rep_table *t, size_t nt)
{
    if (nt == 0)
        return;
    idc_sb_puts(b, "<p>Sweeps that carry the paper's numbers: each beside the mean (and range) of the matching "
                   "measurement over the run's trials of that setting, whatever their outcome. An INCONCLUSIVE "
                   "trial's value is shown but is no evidence: its estimator conditions were not met.</p>");
    for (size_t i = 0; i < nt; i++) {
        idc_sb_printf(b, "<h3 id=\"repro-sweep-%zu\">", i + 1);
        h(b, t[i].title);
        idc_sb_puts(b, "</h3>");
        if (t[i].description) {
            idc_sb_puts(b, "<details><summary>the sweep's description</summary><p>");
            h(b, t[i].description);
            idc_sb_puts(b, "</p></details>");
        }
        idc_sb_printf(b, "<table class=\"repro\" id=\"repro-table-%zu\"><tr><th>setting</th><th>quantity</th>"
                         "<th>paper</th><th>ours (mean)</th><th>min&ndash;max</th><th>trials</th><th>by outcome</th>"
                         "<th>measured as</th></tr>",
                      i + 1);
        for (size_t j = 0; j < t[i].nrows; j++) {
            const idc_rep_row *w = &t[i].rows[j];
            idc_sb_puts(b, "<tr>");
            td(b, w->setting[0] ? w->setting : "whole sweep");
            td(b, w->quantity);
            idc_sb_printf(b, "<td class=\"n\">");
            h(b, w->paper);
            idc_sb_puts(b, "</td>");
            if (w->n > 0) {
                char m[64], lo[64], hi[64];
                idc_rep_num(m, sizeof m, w->mean);
                idc_rep_num(lo, sizeof lo, w->lo);
                idc_rep_num(hi, sizeof hi, w->hi);
                idc_sb_printf(b, "<td class=\"n\">%s</td><td class=\"n\">%s&ndash;%s</td>", m, lo, hi);
            } else {
                td(b, NULL);
                td(b, NULL);
            }
            td_n(b, w->n);
            idc_sb_puts(b, "<td>");
            int any = 0;
            for (int o = 0; o < 5; o++)
                if (w->outcomes[o]) {
                    idc_sb_printf(b, "%s<span class=\"%s\">%zu %s</span>", any ? ", " : "", idc_rep_outcomes[o],
                                  w->outcomes[o], idc_rep_outcome_titles[o]);
                    any = 1;
                }
            idc_sb_puts(b, any ? "</td>" : "&mdash;</td>");
            td(b, w->from ? w->from : "no trial measures it");
            idc_sb_puts(b, "</tr>");
        }
        idc_sb_puts(b, "</table>");
    }
}

static void sec_repro(idc_sb *b, const idc_report *r)
{
    idc_sb_puts(b, "<section id=\"repro\"><h2>Reproductions beside the papers' numbers</h2>");
    idc_rep_table *tables = NULL;
    size_t nt = 0;
    if (idc_rep_repro_tables(&tables, &nt, r) != IDC_OK) {
        b->oom = 1;
        return;
    }
    sweep_repro(b, tables, nt);
    idc_rep_tables_free(tables, nt);
    if (r->nrepro == 0) {
        if (nt == 0)
            idc_sb_puts(b, "<p class=\"note\" id=\"repro-none\">No sweep of this store carries the paper's numbers "
                           "and no trial record holds a reproduction (an object with the paper's values and ours, as "
                           "<code>idcheck repro</code> writes).</p>");
        idc_sb_puts(b, "</section>\n");
        return;
    }
    for (size_t i = 0; i < r->nrepro; i++) {
        const idc_rep_repro *e = &r->repro[i];
        const idc_rep_trial *t = &r->trials[e->trial];
        idc_sb_printf(b, "<h3 id=\"repro-%zu\">", i + 1);
        h(b, e->title);
        idc_sb_printf(b, "</h3><p class=\"note\">run %lld, ", (long long)t->run_id);
        h(b, t->property ? t->property : "?");
        idc_sb_printf(b, " trial %lld", (long long)t->trial_index);
        if (e->params) {
            idc_sb_puts(b, "; parameters <code>");
            h(b, e->params);
            idc_sb_puts(b, "</code>");
        }
        idc_sb_puts(b, "</p><table class=\"repro\"><tr><th>quantity</th><th>paper</th><th>ours</th></tr>");
        json_t *paper = json_loads(e->paper, 0, NULL), *ours = json_loads(e->ours, 0, NULL);
        const char *k;
        json_t *v;
        json_object_foreach(paper, k, v)
        {
            idc_sb_puts(b, "<tr>");
            td(b, k);
            value_cell(b, v);
            value_cell(b, json_object_get(ours, k));
            idc_sb_puts(b, "</tr>");
        }
        json_object_foreach(ours, k, v)
        {
            if (json_object_get(paper, k) || json_is_array(v) || json_is_object(v))
                continue;
            idc_sb_puts(b, "<tr>");
            td(b, k);
            td(b, NULL);
            value_cell(b, v);
            idc_sb_puts(b, "</tr>");
        }
        json_decref(paper);
        json_decref(ours);
        idc_sb_puts(b, "</table>");
    }
    if (r->repro_total > r->nrepro)
        idc_sb_printf(b, "<p class=\"note\">&hellip; %zu more reproduction tables not shown.</p>",
                      r->repro_total - r->nrepro);
    idc_sb_puts(b, "</section>\n");
}

int idc_report_html(char **out, size_t *len, const idc_report *r, idc_err *err)
{
    *out = NULL;
    *len = 0;
    idc_rep_figs f;
    int rc = idc_rep_figs_build(&f, r, err);
    if (rc != IDC_OK)
        return rc;
    idc_sb b = {0};
    idc_sb_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta name=\"generator\" content=\"idcheck %s\">\n<title>idcheck report: ",
                  idc_version());
    h(&b, r->name);
    idc_sb_printf(&b, "</title>\n<style>%s</style>\n</head>\n<body>\n<header><h1>idcheck report</h1><p>Results "
                      "store <code>",
                  CSS);
    h(&b, r->name);
    idc_sb_printf(&b, "</code>: %zu runs, %zu trials.</p></header>\n", r->nruns, r->ntrials);
    idc_sb_puts(&b, "<nav><a href=\"#summary\">summary</a><a href=\"#provenance\">provenance</a>"
                    "<a href=\"#outcomes\">outcomes</a><a href=\"#preconditions\">preconditions</a>"
                    "<a href=\"#sweeps\">sweeps</a><a href=\"#kl\">KL gap</a><a href=\"#heatmaps\">heatmaps</a>"
                    "<a href=\"#repro\">reproductions</a><a href=\"#records\">records</a></nav>\n");
    sec_summary(&b, r);
    sec_provenance(&b, r);
    sec_outcomes(&b, r);
    sec_preconditions(&b, r);
    rc = sec_figures(&b, r, &f, err);
    idc_rep_figs_clear(&f);
    if (rc != IDC_OK) {
        free(b.s);
        return rc;
    }
    sec_repro(&b, r);
    idc_rep_sec_records(&b, r);
    idc_sb_puts(&b, "<footer><p class=\"note\">Self-contained: no executable scripts, no network; figures are SVG "
                    "drawn with cairo. The trial table: <code>idcheck report STORE --csv FILE</code> or <code>--json "
                    "FILE</code>; this report as PDF: <code>--pdf FILE</code>. The results store this page was made "
                    "from is embedded in it (the data block <code>script#idcheck-data</code>): <code>idcheck audit "
                    "THIS.html</code> re-runs every trial it holds and re-renders the page from it.</p></footer>\n");
    idc_rep_put_data(&b, r);
    idc_sb_puts(&b, "</body>\n</html>\n");
    return idc_sb_finish(&b, out, len, err);
}
