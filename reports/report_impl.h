/* Internals shared by the report's files (reports/report_*.c): the store as
 * loaded into memory, a growing text buffer, and the figures built from the
 * store for both the HTML and the PDF. Not part of the API. */
#ifndef IDC_REPORTS_REPORT_IMPL_H
#define IDC_REPORTS_REPORT_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "reports/plot.h"
#include "reports/report.h"

typedef struct {
    int64_t run_id;
    char *verb, *argv, *started, *finished, *status, *provenance, *sweep, *shard;
} idc_rep_run;

typedef struct {
    int64_t trial_id, run_id, trial_index; /* trial_index -1: none stored */
    char *cell, *property, *seed, *params, *estimator, *start, *instance_hash, *outcome, *reason, *replay;
    double seconds;
    int has_seconds;
    size_t meas0, nmeas; /* its measurements: r->meas[meas0 .. meas0 + nmeas) */
    size_t verd0, nverd; /* its verdicts: r->verd[verd0 .. verd0 + nverd) */
} idc_rep_trial;

typedef struct {
    int64_t trial_id;
    char *name;
    int condition; /* 1: an estimator condition, 0: a metric */
    double value;  /* NaN when NULL */
} idc_rep_meas;

typedef struct {
    int64_t trial_id;
    char *precondition, *verdict, *cert_hash;
} idc_rep_verdict;

/* A correlation matrix of learned vs true latents found in a trial record. */
typedef struct {
    size_t trial; /* index into r->trials */
    char *key;    /* the record member it came from ("corr_out", "corr_in") */
    double *m;    /* rows (true) x cols (learned), row-major */
    size_t rows, cols;
} idc_rep_corr;

/* A reproduction table found in a trial record: an object with "paper"
 * and "ours" (or "summary") members. */
typedef struct {
    size_t trial;
    char *title;  /* the table's name and row, e.g. "x-table1 row 3" */
    char *params; /* compact JSON of the row's "params", or NULL */
    char *paper;  /* compact JSON objects */
    char *ours;
} idc_rep_repro;

#define IDC_REP_MAX_CORR 12
/* Trials of one outcome listed per property (HTML and PDF) before "... N more". */
#define IDC_REP_LIST_CAP 200
#define IDC_REP_MAX_REPRO 200

struct idc_report {
    char *name; /* the store's file name (no directories) */
    idc_rep_run *runs;
    size_t nruns;
    idc_rep_trial *trials; /* in (run, property, trial index, cell) order */
    size_t ntrials;
    idc_rep_meas *meas; /* grouped by trial, then (kind, name) */
    size_t nmeas;
    idc_rep_verdict *verd; /* grouped by trial, then precondition */
    size_t nverd;
    idc_rep_corr corr[IDC_REP_MAX_CORR];
    size_t ncorr, corr_records; /* corr_records: records carrying one (all, not only those kept) */
    idc_rep_repro *repro;
    size_t nrepro, repro_total;
    size_t records; /* trials with a record */
    /* the records of fit, check and repro (schema 2; empty for a schema-1
     * store): an array of {"record_id", "run_id", "kind", "cell",
     * "instance_hash", "seconds", "verdicts": [{"precondition", "verdict",
     * "cert_hash"}], "measurements": {name: value}} in record_id order */
    json_t *recs;
    /* the store's database image as this report read it (sqlite3_serialize
     * in the read snapshot), embedded in the page */
    unsigned char *image;
    size_t image_len;
};

/* ---- a growing text buffer (reports/report_text.c) ---- */
typedef struct {
    char *s;
    size_t len, cap;
    int oom;
} idc_sb;

void idc_sb_put(idc_sb *b, const char *s, size_t n);
void idc_sb_puts(idc_sb *b, const char *s);
void idc_sb_printf(idc_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s (NULL: "") HTML-escaped, as idc_report_html_escape. */
void idc_sb_html(idc_sb *b, const char *s);
/* Base64 (RFC 4648) of n bytes. */
void idc_sb_base64(idc_sb *b, const void *data, size_t n);
/* Takes the text: *out, *len; IDC_ENOMEM (and frees it) when an append
 * failed. */
int idc_sb_finish(idc_sb *b, char **out, size_t *len, idc_err *err);

/* ---- the records of fit, check and repro (reports/report_records.c) ---- */

/* Reads the records tables (when the store has them) into r->recs. */
int idc_rep_load_records(idc_report *r, void *sqlite_db, const char *path, idc_err *err);
/* The HTML section "records". */
void idc_rep_sec_records(idc_sb *b, const idc_report *r);

/* ---- the embedded store (reports/report_data.c) ---- */

/* The element script#idcheck-data: {"format": "idcheck-report-data",
 * "version": 1, "store": the store's file name, "bytes", "sqlite_base64":
 * the database image}. */
void idc_rep_put_data(idc_sb *b, const idc_report *r);

/* ---- figures (reports/report_figs.c) ---- */

/* One figure of the report with where it belongs. */
typedef struct {
    idc_plot *plot;
    char *id;      /* a unique HTML id ("fig-sweep-3", "fig-kl", "fig-corr-1") */
    char *caption; /* plain text (escaped by the renderer) */
    int section;   /* IDC_REP_SEC_* */
    double w, h;   /* size in px (pt in the PDF) */
} idc_rep_fig;

enum { IDC_REP_SEC_SWEEP = 0, IDC_REP_SEC_KL = 1, IDC_REP_SEC_CORR = 2 };

#define IDC_REP_MAX_SWEEP_FIGS 120

typedef struct {
    idc_rep_fig *fig;
    size_t nfig;
    /* the sweep section's text: per (run, property) group, which parameters
     * vary (plain lines) */
    char **group_line;
    size_t ngroup;
    size_t sweep_dropped; /* sweep figures beyond IDC_REP_MAX_SWEEP_FIGS */
    size_t kl_points, kl_hidden;
} idc_rep_figs;

int idc_rep_figs_build(idc_rep_figs *f, const idc_report *r, idc_err *err);
void idc_rep_figs_clear(idc_rep_figs *f);

/* ---- reproductions from sweeps (reports/report_repro.c) ---- */

/* One paper number beside what the run measured on the matching trials. */
typedef struct {
    char *quantity; /* the paper's name for it, e.g. "mcc_stage2" */
    char *setting;  /* "case=row1", "theta=15", "" (the whole sweep) */
    char *paper;    /* the paper's value as text */
    char *from;     /* "PROPERTY: measurement" compared, NULL when none was found */
    double mean, lo, hi;
    size_t n;           /* trials with a finite value */
    size_t outcomes[5]; /* of those, by idc_rep_outcomes */
} idc_rep_row;

typedef struct {
    int64_t run_id;
    char *title, *description;
    idc_rep_row *rows;
    size_t nrows;
} idc_rep_table;

/* A table per sweep run whose sweep file carries the paper's numbers
 * ("cases[].paper", "paper"). IDC_ENOMEM. */
int idc_rep_repro_tables(idc_rep_table **out, size_t *n, const idc_report *r);
void idc_rep_tables_free(idc_rep_table *t, size_t n);

/* Lookups. */
/* The value of measurement name of trial t; 0 when it has none. */
int idc_rep_meas_get(const idc_report *r, const idc_rep_trial *t, const char *name, double *v);
/* "verdict" of precondition pre for trial t, or NULL. */
const char *idc_rep_verdict_get(const idc_report *r, const idc_rep_trial *t, const char *pre);
/* Formats a double for tables: %.6g, "NaN"/"inf" spelled out. */
void idc_rep_num(char *buf, size_t cap, double v);
/* The five outcomes in report order and their headings. */
extern const char *const idc_rep_outcomes[5];
extern const char *const idc_rep_outcome_titles[5];

#endif
