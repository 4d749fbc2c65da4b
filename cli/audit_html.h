/* `idcheck audit report.html` (cli/audit_html.c): the results store a
 * report page embeds (reports/report.h idc_report_extract_store) is taken
 * out into a private temporary directory and audited as a store, and the
 * page is re-rendered from it and compared with the page byte for byte
 * (docs/REPORT.md "Auditing a report"). */
#ifndef IDC_CLI_AUDIT_HTML_H
#define IDC_CLI_AUDIT_HTML_H

#include <stddef.h>

typedef struct {
    const char *html;  /* the page's path */
    char *page;        /* its bytes */
    size_t page_len;
    char dir[4096];    /* the temporary directory ("" when none) */
    char store[4400];  /* the store taken out of the page: dir/NAME */
} idc_cli_audit_page;

/* 1 when path names a report page (ends in .html / .htm, or its first
 * bytes are "<!DOCTYPE html"). */
int idc_cli_audit_is_html(const char *path);

/* Reads the page and writes its embedded store to pg->store (mode 0600, in
 * a new directory under $TMPDIR or /tmp). Returns 0, or the exit code with
 * one line printed ("idcheck audit: PAGE: ..."; 2 for a page that cannot
 * be read or has no readable embedded store, 3 internal). */
int idc_cli_audit_page_open(idc_cli_audit_page *pg, const char *html);

/* Re-renders the report from pg->store and compares it with the page byte
 * for byte; prints one line either way ("audit: PAGE: the page is the report
 * re-rendered from its embedded store, byte for byte (N bytes)" or "...
 * differs from ... at line L: page "...", re-rendered "..."").
 * Returns 0 identical, 1 different, 2 or 3 when it cannot be rendered. */
int idc_cli_audit_page_compare(const idc_cli_audit_page *pg);

/* Removes the temporary store and directory, frees the page. */
void idc_cli_audit_page_close(idc_cli_audit_page *pg);

#endif
