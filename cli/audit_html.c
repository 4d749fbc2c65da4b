/* idcheck audit report.html (cli/audit_html.h). */
#include "cli/audit_html.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "reports/plot.h"
#include "reports/report.h"

int idc_cli_audit_is_html(const char *path)
{
    size_t n = strlen(path);
    if ((n > 5 && strcmp(path + n - 5, ".html") == 0) || (n > 4 && strcmp(path + n - 4, ".htm") == 0))
        return 1;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    char head[16] = "";
    size_t k = fread(head, 1, 14, f);
    fclose(f);
    return k == 14 && strncmp(head, "<!DOCTYPE html", 14) == 0;
}

static int read_all(char **out, size_t *len, const char *path)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    while (b != NULL) {
        if (n == cap) {
            char *q = cap > ((size_t)1 << 34) ? NULL : realloc(b, cap * 2);
            if (q == NULL) {
                free(b);
                b = NULL;
                break;
            }
            b = q;
            cap *= 2;
        }
        size_t k = fread(b + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
    }
    int bad = b == NULL || ferror(f);
    fclose(f);
    if (bad) {
        free(b);
        return -1;
    }
    *out = b;
    *len = n;
    return 0;
}

int idc_cli_audit_page_open(idc_cli_audit_page *pg, const char *html)
{
    memset(pg, 0, sizeof *pg);
    pg->html = html;
    if (read_all(&pg->page, &pg->page_len, html) != 0) {
        idc_cli_error("audit", "%s: cannot read the report page: %s", html, strerror(errno ? errno : EIO));
        return 2;
    }
    unsigned char *db = NULL;
    size_t dblen = 0;
    char *name = NULL;
    idc_err err;
    int rc = idc_report_extract_store(pg->page, pg->page_len, &db, &dblen, &name, &err);
    if (rc != IDC_OK) {
        idc_cli_error("audit", "%s: %s", html, err.msg);
        idc_cli_audit_page_close(pg);
        return rc == IDC_ENOMEM ? 3 : 2;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(pg->dir, sizeof pg->dir, "%s/idcheck-audit-XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
    int code = 0;
    if (mkdtemp(pg->dir) == NULL) {
        idc_cli_error("audit", "%s: cannot make a temporary directory for its store: %s", html, strerror(errno));
        pg->dir[0] = '\0';
        code = 2;
    } else {
        snprintf(pg->store, sizeof pg->store, "%s/%s", pg->dir, name);
        int fd = open(pg->store, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        size_t off = 0;
        while (fd >= 0 && off < dblen) {
            ssize_t w = write(fd, db + off, dblen - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        if (fd < 0 || off != dblen || close(fd) != 0) {
            idc_cli_error("audit", "%s: cannot write its store to %s: %s", html, pg->store, strerror(errno));
            code = 2;
        }
    }
    free(db);
    free(name);
    if (code != 0)
        idc_cli_audit_page_close(pg);
    return code;
}

/* One line of text around offset at in s (control characters and quotes
 * shown as '?'), at most 60 bytes. */
static void context(char *buf, size_t cap, const char *s, size_t len, size_t at)
{
    size_t a = at > 30 ? at - 30 : 0, k = 0;
    for (size_t i = a; i < len && i < a + 60 && k + 1 < cap; i++)
        buf[k++] = (unsigned char)s[i] < 0x20 ? '?' : s[i] == '"' ? '\'' : s[i];
    buf[k] = '\0';
}

int idc_cli_audit_page_compare(const idc_cli_audit_page *pg)
{
    idc_report *r = NULL;
    idc_err err;
    int rc = idc_report_load(&r, pg->store, &err);
    char *html = NULL;
    size_t len = 0;
    if (rc == IDC_OK)
        rc = idc_report_html(&html, &len, r, &err);
    idc_report_free(r);
    idc_plot_release_caches(); /* audit draws nothing more */
    if (rc != IDC_OK) {
        idc_cli_error("audit", "%s: the report cannot be re-rendered from its embedded store: %s", pg->html, err.msg);
        return rc == IDC_ENOMEM || rc == IDC_EINTERNAL ? 3 : 2;
    }
    size_t n = len < pg->page_len ? len : pg->page_len, at = 0;
    while (at < n && html[at] == pg->page[at])
        at++;
    if (at == len && len == pg->page_len) {
        printf("audit: %s: the page is the report re-rendered from its embedded store, byte for byte (%zu bytes)\n",
               pg->html, len);
        free(html);
        return 0;
    }
    size_t line = 1;
    for (size_t i = 0; i < at; i++)
        line += pg->page[i] == '\n';
    char a[64], b[64];
    context(a, sizeof a, pg->page, pg->page_len, at);
    context(b, sizeof b, html, len, at);
    /* inside a figure's image: the glyphs of another machine's fonts? */
    const char *ls = at > 0 ? pg->page + at - 1 : pg->page;
    while (ls > pg->page && *ls != '\n' && *ls != '<')
        ls--;
    int in_figure = strncmp(ls, "<img src=\"data:image/svg+xml", 28) == 0;
    printf("audit: %s: MISMATCH: the page differs from the report re-rendered from its embedded store at line %zu, "
           "byte %zu: page \"%s\", re-rendered \"%s\"%s\n",
           pg->html, line, at, a, b,
           in_figure ? " (inside a figure: a machine with other fonts draws other glyphs; docs/REPORT.md)" : "");
    free(html);
    return 1;
}

void idc_cli_audit_page_close(idc_cli_audit_page *pg)
{
    if (pg->store[0] != '\0') {
        char side[4500];
        unlink(pg->store);
        snprintf(side, sizeof side, "%s-wal", pg->store);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", pg->store);
        unlink(side);
        pg->store[0] = '\0';
    }
    if (pg->dir[0] != '\0') {
        rmdir(pg->dir);
        pg->dir[0] = '\0';
    }
    free(pg->page);
    pg->page = NULL;
}
