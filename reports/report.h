/* The auditor's report of a results store (docs/REPORT.md).
 *
 * idc_report_load reads an idcheck results store (the SQLite database of
 * reports/store.h, opened read-only: the file is never modified) into
 * memory; the renderers then write
 *  - one self-contained HTML page (no scripts, no network, no external
 *    fonts; figures as SVG images in data: URIs, drawn by reports/plot.h):
 *    environment and provenance, trials by outcome per property with the
 *    replay commands of failures, precondition verdicts with certificate
 *    hashes and how to verify them, each metric against each varied
 *    parameter of a run with the seed spread and the precondition verdicts
 *    shaded, the (KL gap, 1 - R^2) scatter of flow trials, correlation
 *    heatmaps of learned vs true latents where trial records carry them,
 *    reproduction tables beside the papers' numbers;
 *  - the same as a PDF (cairo);
 *  - the trial table as JSON or CSV.
 * Every string from the store is escaped for its format (HTML entities,
 * CSV quoting, JSON strings). Output is a pure function of the store's
 * contents (and the fonts installed, which shape the figures' glyphs): the
 * same database gives byte-identical files; the only dates written are
 * those the store holds. */
#ifndef IDC_REPORTS_REPORT_H
#define IDC_REPORTS_REPORT_H

#include <stddef.h>

#include "numeric/status.h"

typedef struct idc_report idc_report;

/* Reads the store at path, checked first by idc_store_open
 * (reports/store.h) and then read in one read-only snapshot. IDC_EINVAL
 * with one line naming the file when it is not an SQLite database, not an
 * idcheck results store (another application id or format), of a newer
 * schema than this idcheck reads, or corrupt (the integrity check fails, a
 * table lacks a column); IDC_EIO when it is missing or cannot be read;
 * IDC_ENOMEM. A store without runs loads (its report says it is empty). */
int idc_report_load(idc_report **out, const char *path, idc_err *err) __attribute__((warn_unused_result));
void idc_report_free(idc_report *r);

/* Counts of the loaded store. */
size_t idc_report_runs(const idc_report *r);
size_t idc_report_trials(const idc_report *r);
/* Trials with outcome o ("PASS", "FAIL", "INCONCLUSIVE", "DISCARD",
 * "ERROR") of property prop (NULL: every property). */
size_t idc_report_count(const idc_report *r, const char *prop, const char *outcome);

/* The renderers: *out malloc'ed and NUL-terminated, *len bytes without the
 * NUL. IDC_ENOMEM, IDC_EINTERNAL (a figure could not be drawn). */
int idc_report_html(char **out, size_t *len, const idc_report *r, idc_err *err) __attribute__((warn_unused_result));
int idc_report_pdf(char **out, size_t *len, const idc_report *r, idc_err *err) __attribute__((warn_unused_result));
/* The trial table: one row per trial (run, cell, property, trial index,
 * seed, parameters, estimator, start, instance hash, outcome, reason,
 * replay command, seconds), its precondition verdicts and measurements.
 * JSON: {"format": "idcheck-trials", "version": 1, "trials": [{...,
 * "params": {...}, "verdicts": {ID: verdict}, "measurements": {name:
 * value}}], "records": [the records of fit, check and repro: {"record_id",
 * "run_id", "kind", "cell", "instance_hash", "seconds", "verdicts":
 * [{"precondition", "verdict", "cert_hash"}], "measurements": {name:
 * value}}]}; CSV (trials only): a header line, then the columns above with params as
 * compact JSON and one column per measurement name (sorted; empty when a
 * trial has none), RFC 4180 quoting. */
int idc_report_json(char **out, size_t *len, const idc_report *r, idc_err *err) __attribute__((warn_unused_result));
int idc_report_csv(char **out, size_t *len, const idc_report *r, idc_err *err) __attribute__((warn_unused_result));

/* The results store a page of idc_report_html embeds (its element
 * <script type="application/json" id="idcheck-data">: {"format":
 * "idcheck-report-data", "version": 1, "store": the store's file name,
 * "bytes": N, "sqlite_base64": the SQLite database image, base64}):
 * *db (malloc'ed) = the N bytes of the database, *name (malloc'ed) = the
 * store's file name. IDC_EINVAL with one line for a page without the
 * element (or with two), JSON or base64 that does not parse, a size that
 * does not match, a name that is empty, "." or "..", or holds '/'. The
 * bytes are not checked here: open them with idc_store_open. */
int idc_report_extract_store(const char *page, size_t len, unsigned char **db, size_t *dblen, char **name,
                             idc_err *err) __attribute__((warn_unused_result));

/* s escaped for HTML text and attribute values (& < > " ' as entities;
 * invalid UTF-8 and control characters other than tab and newline as
 * U+FFFD). malloc'ed; NULL when out of memory; s NULL gives "". */
char *idc_report_html_escape(const char *s);

#endif
