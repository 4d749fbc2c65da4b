/* Report figures drawn with cairo (see reports/plot.h). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo/cairo-svg.h>
#include <dlfcn.h>

#include "reports/plot.h"

typedef struct {
    int series;
    int bar; /* 0: a point (y = mid); 1: a bar lo..hi with mid */
    double x, lo, mid, hi;
} item;

typedef struct {
    char *label;
    idc_plot_marker marker;
    int color, connect;
} series;

typedef struct {
    double x0, x1;
    idc_plot_shade shade;
} band;

struct idc_plot {
    int heatmap;
    char *title, *xlabel, *ylabel;
    int xlog, ylog;
    series *ser;
    size_t nser, capser;
    item *it;
    size_t nit, capit;
    band *bd;
    size_t nbd, capbd;
    char *note[4];
    size_t nnote;
    /* heatmap */
    double *m;
    size_t rows, cols;
    double vmin, vmax;
    char *rowprefix, *colprefix;
    double xext_lo, xext_hi; /* idc_plot_extend_x (lo > hi: none) */
};

static const double PALETTE[IDC_PLOT_NCOLORS][3] = {
    {0.000, 0.447, 0.698}, {0.902, 0.624, 0.000}, {0.000, 0.620, 0.451}, {0.835, 0.369, 0.000},
    {0.800, 0.475, 0.655}, {0.337, 0.706, 0.914}, {0.941, 0.894, 0.259}, {0.000, 0.000, 0.000}};

char *idc_plot_utf8_clean(const char *s, size_t n)
{
    if (s == NULL)
        s = "", n = 0;
    if (n == (size_t)-1)
        n = strlen(s);
    if (n > SIZE_MAX / 3 - 1)
        return NULL;
    char *o = malloc(3 * n + 1), *w = o;
    if (o == NULL)
        return NULL;
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    while (p < e) {
        unsigned c = *p;
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        int ok = len > 0 && (size_t)(e - p) >= len;
        uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        for (size_t k = 1; ok && k < len; k++) {
            if ((p[k] & 0xC0) != 0x80)
                ok = 0;
            else
                cp = (cp << 6) | (p[k] & 0x3F);
        }
        /* overlong forms, surrogates, beyond U+10FFFF, controls */
        if (ok && ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
                   (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF ||
                   (cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0x7F))
            ok = 0;
        if (ok) {
            memcpy(w, p, len);
            w += len;
            p += len;
        } else {
            memcpy(w, "\xEF\xBF\xBD", 3);
            w += 3;
            p += 1;
        }
    }
    *w = '\0';
    return o;
}

void idc_plot_release_caches(void)
{
    cairo_debug_reset_static_data();
    /* FcFini is looked up, not linked: fontconfig is cairo's dependency, not idcheck's */
    void *self = dlopen(NULL, RTLD_LAZY);
    if (self == NULL)
        return;
    void (*fini)(void) = NULL;
    *(void **)&fini = dlsym(self, "FcFini"); /* POSIX's way to take a function from dlsym */
    if (fini != NULL)
        fini();
    dlclose(self);
}

static char *dupclean(const char *s)
{
    return idc_plot_utf8_clean(s ? s : "", (size_t)-1);
}

static idc_plot *plot_new(const char *title, const char *xlabel, const char *ylabel)
{
    idc_plot *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->title = dupclean(title);
    p->xlabel = dupclean(xlabel);
    p->ylabel = dupclean(ylabel);
    if (p->title == NULL || p->xlabel == NULL || p->ylabel == NULL) {
        idc_plot_free(p);
        return NULL;
    }
    return p;
}

idc_plot *idc_plot_new_xy(const char *title, const char *xlabel, const char *ylabel, int xlog, int ylog)
{
    idc_plot *p = plot_new(title, xlabel, ylabel);
    if (p != NULL) {
        p->xlog = xlog != 0;
        p->ylog = ylog != 0;
        p->xext_lo = INFINITY;
        p->xext_hi = -INFINITY;
    }
    return p;
}

idc_plot *idc_plot_new_heatmap(const char *title, const char *xlabel, const char *ylabel, const char *rowprefix,
                               const char *colprefix, const double *m, size_t rows, size_t cols, double vmin,
                               double vmax)
{
    if (m == NULL || rows == 0 || cols == 0 || rows > 4096 || cols > 4096 || !(vmax > vmin) || !isfinite(vmin) ||
        !isfinite(vmax))
        return NULL;
    idc_plot *p = plot_new(title, xlabel, ylabel);
    if (p == NULL)
        return NULL;
    p->heatmap = 1;
    p->m = malloc(rows * cols * sizeof *p->m);
    p->rowprefix = dupclean(rowprefix);
    p->colprefix = dupclean(colprefix);
    if (p->m == NULL || p->rowprefix == NULL || p->colprefix == NULL) {
        idc_plot_free(p);
        return NULL;
    }
    memcpy(p->m, m, rows * cols * sizeof *p->m);
    p->rows = rows;
    p->cols = cols;
    p->vmin = vmin;
    p->vmax = vmax;
    return p;
}

void idc_plot_free(idc_plot *p)
{
    if (p == NULL)
        return;
    free(p->title);
    free(p->xlabel);
    free(p->ylabel);
    for (size_t i = 0; i < p->nser; i++)
        free(p->ser[i].label);
    free(p->ser);
    free(p->it);
    free(p->bd);
    for (size_t i = 0; i < p->nnote; i++)
        free(p->note[i]);
    free(p->m);
    free(p->rowprefix);
    free(p->colprefix);
    free(p);
}

static int grow(void **a, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 1;
    size_t c = *cap ? 2 * *cap : 16;
    void *q = realloc(*a, c * size);
    if (q == NULL)
        return 0;
    *a = q;
    *cap = c;
    return 1;
}

int idc_plot_series(idc_plot *p, const char *label, idc_plot_marker marker, int color, int connect)
{
    if (p == NULL || p->heatmap || p->nser >= 1024 || !grow((void **)&p->ser, &p->capser, p->nser, sizeof *p->ser))
        return -1;
    series *s = &p->ser[p->nser];
    s->label = dupclean(label);
    if (s->label == NULL)
        return -1;
    s->marker = marker;
    s->color = ((color % IDC_PLOT_NCOLORS) + IDC_PLOT_NCOLORS) % IDC_PLOT_NCOLORS;
    s->connect = connect != 0;
    return (int)p->nser++;
}

static int add_item(idc_plot *p, int s, int bar, double x, double lo, double mid, double hi)
{
    if (p == NULL || p->heatmap || s < 0 || (size_t)s >= p->nser || (bar && lo > hi))
        return IDC_EINVAL;
    if (!grow((void **)&p->it, &p->capit, p->nit, sizeof *p->it))
        return IDC_ENOMEM;
    p->it[p->nit++] = (item){s, bar, x, lo, mid, hi};
    return IDC_OK;
}

int idc_plot_point(idc_plot *p, int s, double x, double y)
{
    return add_item(p, s, 0, x, y, y, y);
}

int idc_plot_bar(idc_plot *p, int s, double x, double lo, double mid, double hi)
{
    return add_item(p, s, 1, x, lo, mid, hi);
}

int idc_plot_band(idc_plot *p, double x0, double x1, idc_plot_shade shade)
{
    if (p == NULL || p->heatmap || !(x0 <= x1))
        return IDC_EINVAL;
    if (!grow((void **)&p->bd, &p->capbd, p->nbd, sizeof *p->bd))
        return IDC_ENOMEM;
    p->bd[p->nbd++] = (band){x0, x1, shade};
    return IDC_OK;
}

int idc_plot_extend_x(idc_plot *p, double x)
{
    if (p == NULL || p->heatmap)
        return IDC_EINVAL;
    if (isfinite(x) && (!p->xlog || x > 0)) {
        p->xext_lo = fmin(p->xext_lo, x);
        p->xext_hi = fmax(p->xext_hi, x);
    }
    return IDC_OK;
}

int idc_plot_note(idc_plot *p, const char *text)
{
    if (p == NULL || p->nnote >= 4)
        return IDC_EINVAL;
    char *t = dupclean(text);
    if (t == NULL)
        return IDC_ENOMEM;
    p->note[p->nnote++] = t;
    return IDC_OK;
}

/* 1 when v can be drawn on an axis (log: v > 0). */
static int drawable(double v, int logax)
{
    return isfinite(v) && (!logax || v > 0);
}

static int item_drawable(const idc_plot *p, const item *t)
{
    return drawable(t->x, p->xlog) && drawable(t->mid, p->ylog) && drawable(t->lo, p->ylog) &&
           drawable(t->hi, p->ylog);
}

size_t idc_plot_hidden(const idc_plot *p)
{
    size_t h = 0;
    for (size_t i = 0; p != NULL && i < p->nit; i++)
        h += !item_drawable(p, &p->it[i]);
    return h;
}

/* ---- axes ---- */

typedef struct {
    int logax;
    double lo, hi;        /* the axis range in axis units (log10 for a log axis) */
    double pix0, pix1;    /* where lo and hi land on the page */
    double ticks[32];     /* tick positions in axis units */
    int nticks;
} axis;

static double to_axis(const axis *a, double v)
{
    return a->logax ? log10(v) : v;
}

static double to_pix(const axis *a, double v)
{
    return a->pix0 + (to_axis(a, v) - a->lo) / (a->hi - a->lo) * (a->pix1 - a->pix0);
}

/* A "nice" step (1, 2 or 5 x 10^k) giving about target intervals over span. */
static double nice_step(double span, int target)
{
    double raw = span / target, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

static void axis_setup(axis *a, int logax, double dmin, double dmax)
{
    a->logax = logax;
    a->nticks = 0;
    if (!(dmin <= dmax)) { /* no data */
        dmin = logax ? 0.1 : 0;
        dmax = logax ? 10 : 1;
    }
    double lo = logax ? log10(dmin) : dmin, hi = logax ? log10(dmax) : dmax;
    if (hi - lo < 1e-12 * fmax(1, fabs(lo))) { /* one value: a unit window around it */
        double w = logax ? 0.5 : fmax(fabs(lo) * 0.1, 0.5);
        lo -= w;
        hi += w;
    }
    double pad = (hi - lo) * 0.05;
    lo -= pad;
    hi += pad;
    if (logax && hi - lo >= 3) { /* decades */
        double step = ceil((hi - lo) / 8);
        for (double t = ceil(lo / step) * step; t <= hi && a->nticks < 32; t += step)
            a->ticks[a->nticks++] = t;
    } else if (logax && hi - lo >= 0.6) { /* 1, 2, 5 x 10^k */
        static const double m[3] = {1, 2, 5};
        for (double d = floor(lo); d <= hi && a->nticks < 30; d += 1)
            for (int k = 0; k < 3; k++) {
                double t = d + log10(m[k]);
                if (t >= lo && t <= hi)
                    a->ticks[a->nticks++] = t;
            }
    } else {
        double step = nice_step(hi - lo, 6);
        for (double t = ceil(lo / step) * step; t <= hi + 1e-9 * step && a->nticks < 32; t += step)
            a->ticks[a->nticks++] = fabs(t) < 1e-12 * step ? 0 : t;
    }
    a->lo = lo;
    a->hi = hi;
}

static void tick_label(char *buf, size_t cap, const axis *a, double t)
{
    if (a->logax) {
        double r = round(t);
        if (fabs(t - r) < 1e-9 && fabs(r) > 3)
            snprintf(buf, cap, "1e%d", (int)r);
        else
            snprintf(buf, cap, "%.3g", pow(10, fabs(t - r) < 1e-9 ? r : t));
    } else {
        snprintf(buf, cap, "%.4g", t);
    }
}

/* ---- drawing helpers ---- */

static void set_font(cairo_t *cr, double size, int bold)
{
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

/* Text with its anchor at (x, y): ax 0 left, 0.5 centre, 1 right; ay the
 * same for top, middle, bottom. */
static void text_at(cairo_t *cr, const char *s, double x, double y, double ax, double ay)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - e.x_bearing - ax * e.width, y - e.y_bearing - ay * e.height);
    cairo_show_text(cr, s);
}

static double text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

/* s shortened with "..." to fit width px (into buf). */
static const char *fit_text(cairo_t *cr, const char *s, double width, char *buf, size_t cap)
{
    if (text_width(cr, s) <= width)
        return s;
    size_t n = strlen(s);
    if (n + 4 > cap)
        n = cap - 4;
    while (n > 0) {
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) /* a UTF-8 boundary */
            n--;
        memcpy(buf, s, n);
        memcpy(buf + n, "...", 4);
        if (text_width(cr, buf) <= width)
            return buf;
        n--;
    }
    return "...";
}

static void marker_path(cairo_t *cr, idc_plot_marker m, double x, double y, double r)
{
    switch (m) {
    case IDC_PLOT_SQUARE:
        cairo_rectangle(cr, x - r * 0.85, y - r * 0.85, 1.7 * r, 1.7 * r);
        break;
    case IDC_PLOT_TRIANGLE:
        cairo_move_to(cr, x, y - 1.15 * r);
        cairo_line_to(cr, x + r, y + 0.75 * r);
        cairo_line_to(cr, x - r, y + 0.75 * r);
        cairo_close_path(cr);
        break;
    case IDC_PLOT_DIAMOND:
        cairo_move_to(cr, x, y - 1.2 * r);
        cairo_line_to(cr, x + r, y);
        cairo_line_to(cr, x, y + 1.2 * r);
        cairo_line_to(cr, x - r, y);
        cairo_close_path(cr);
        break;
    default:
        cairo_new_sub_path(cr);
        cairo_arc(cr, x, y, r, 0, 2 * M_PI);
        break;
    }
}

static void set_rgb(cairo_t *cr, int c, double alpha)
{
    cairo_set_source_rgba(cr, PALETTE[c][0], PALETTE[c][1], PALETTE[c][2], alpha);
}

static int cmp_x(const void *a, const void *b)
{
    const item *p = *(item *const *)a, *q = *(item *const *)b;
    return p->x < q->x ? -1 : p->x > q->x;
}

static void draw_notes(const idc_plot *p, cairo_t *cr, double w, double y)
{
    char buf[512];
    set_font(cr, 11, 0);
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    for (size_t i = 0; i < p->nnote; i++, y += 15)
        text_at(cr, fit_text(cr, p->note[i], w - 20, buf, sizeof buf), 10, y, 0, 0);
}

static int draw_xy(const idc_plot *p, cairo_t *cr, double w, double h)
{
    char buf[512];
    /* legend entries and notes take rows at the bottom */
    size_t nleg = 0;
    for (size_t i = 0; i < p->nser; i++)
        nleg += p->ser[i].label[0] != '\0';
    size_t legrows = (nleg + 2) / 3;
    double bottom = 48 + 16.0 * (double)legrows + 15.0 * (double)p->nnote;
    double L = 72, R = w - 18, T = 34, B = h - bottom;
    if (B - T < 40)
        return IDC_EINVAL;
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (size_t i = 0; i < p->nit; i++) {
        const item *t = &p->it[i];
        if (!item_drawable(p, t))
            continue;
        xmin = fmin(xmin, t->x);
        xmax = fmax(xmax, t->x);
        ymin = fmin(ymin, t->lo);
        ymax = fmax(ymax, t->hi);
    }
    if (p->xext_lo <= p->xext_hi && ymin <= ymax) { /* the x extent matters only with data */
        xmin = fmin(xmin, p->xext_lo);
        xmax = fmax(xmax, p->xext_hi);
    }
    axis ax, ay;
    axis_setup(&ax, p->xlog, xmin, xmax);
    axis_setup(&ay, p->ylog, ymin, ymax);
    ax.pix0 = L;
    ax.pix1 = R;
    ay.pix0 = B;
    ay.pix1 = T;

    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    /* title */
    set_font(cr, 14, 1);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text_at(cr, fit_text(cr, p->title, w - 20, buf, sizeof buf), w / 2, 10, 0.5, 0);

    /* bands, clipped to the plot area */
    cairo_save(cr);
    cairo_rectangle(cr, L, T, R - L, B - T);
    cairo_clip(cr);
    for (size_t i = 0; i < p->nbd; i++) {
        const band *b = &p->bd[i];
        double x0 = b->x0, x1 = b->x1;
        if (p->xlog && x1 <= 0)
            continue;
        double px0 = p->xlog && x0 <= 0 ? L - 1 : to_pix(&ax, x0), px1 = to_pix(&ax, x1);
        if (!isfinite(px0))
            px0 = x0 < 0 ? L - 1 : R + 1;
        if (!isfinite(px1))
            px1 = x1 < 0 ? L - 1 : R + 1;
        px0 = fmax(px0, L - 1);
        px1 = fmin(px1, R + 1);
        if (px1 <= px0)
            continue;
        if (b->shade == IDC_PLOT_SHADE_HOLDS)
            cairo_set_source_rgba(cr, 0.0, 0.62, 0.45, 0.16);
        else if (b->shade == IDC_PLOT_SHADE_FAILS)
            cairo_set_source_rgba(cr, 0.84, 0.2, 0.1, 0.16);
        else
            cairo_set_source_rgba(cr, 0.5, 0.5, 0.5, 0.16);
        cairo_rectangle(cr, px0, T, px1 - px0, B - T);
        cairo_fill(cr);
    }
    cairo_restore(cr);

    /* grid and ticks */
    set_font(cr, 11, 0);
    cairo_set_line_width(cr, 1);
    for (int k = 0; k < ax.nticks; k++) {
        double x = ax.pix0 + (ax.ticks[k] - ax.lo) / (ax.hi - ax.lo) * (ax.pix1 - ax.pix0);
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, x, T);
        cairo_line_to(cr, x, B);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, x, B);
        cairo_line_to(cr, x, B + 5);
        cairo_stroke(cr);
        tick_label(buf, sizeof buf, &ax, ax.ticks[k]);
        text_at(cr, buf, x, B + 8, 0.5, 0);
    }
    for (int k = 0; k < ay.nticks; k++) {
        double y = ay.pix0 + (ay.ticks[k] - ay.lo) / (ay.hi - ay.lo) * (ay.pix1 - ay.pix0);
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, L, y);
        cairo_line_to(cr, R, y);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, L - 5, y);
        cairo_line_to(cr, L, y);
        cairo_stroke(cr);
        tick_label(buf, sizeof buf, &ay, ay.ticks[k]);
        text_at(cr, buf, L - 8, y, 1, 0.5);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, L, T, R - L, B - T);
    cairo_stroke(cr);
    /* axis labels */
    set_font(cr, 12, 0);
    text_at(cr, fit_text(cr, p->xlabel, R - L, buf, sizeof buf), (L + R) / 2, B + 26, 0.5, 0);
    cairo_save(cr);
    cairo_translate(cr, 14, (T + B) / 2);
    cairo_rotate(cr, -M_PI / 2);
    text_at(cr, fit_text(cr, p->ylabel, B - T, buf, sizeof buf), 0, 0, 0.5, 0.5);
    cairo_restore(cr);

    /* data, clipped */
    cairo_save(cr);
    cairo_rectangle(cr, L - 6, T - 6, R - L + 12, B - T + 12);
    cairo_clip(cr);
    item **ord = malloc((p->nit ? p->nit : 1) * sizeof *ord);
    if (ord == NULL) {
        cairo_restore(cr);
        return IDC_ENOMEM;
    }
    for (size_t s = 0; s < p->nser; s++) {
        const series *se = &p->ser[s];
        size_t n = 0;
        for (size_t i = 0; i < p->nit; i++)
            if (p->it[i].series == (int)s && item_drawable(p, &p->it[i]))
                ord[n++] = &p->it[i];
        qsort(ord, n, sizeof *ord, cmp_x);
        if (se->connect) {
            set_rgb(cr, se->color, 0.8);
            cairo_set_line_width(cr, 1.5);
            int started = 0;
            for (size_t i = 0; i < n; i++) {
                if (!ord[i]->bar)
                    continue;
                double x = to_pix(&ax, ord[i]->x), y = to_pix(&ay, ord[i]->mid);
                if (started)
                    cairo_line_to(cr, x, y);
                else
                    cairo_move_to(cr, x, y);
                started = 1;
            }
            cairo_stroke(cr);
        }
        for (size_t i = 0; i < n; i++) {
            const item *t = ord[i];
            double x = to_pix(&ax, t->x), y = to_pix(&ay, t->mid);
            if (t->bar) {
                double y0 = to_pix(&ay, t->lo), y1 = to_pix(&ay, t->hi);
                set_rgb(cr, se->color, 1);
                cairo_set_line_width(cr, 1.5);
                cairo_move_to(cr, x, y0);
                cairo_line_to(cr, x, y1);
                cairo_move_to(cr, x - 4, y0);
                cairo_line_to(cr, x + 4, y0);
                cairo_move_to(cr, x - 4, y1);
                cairo_line_to(cr, x + 4, y1);
                cairo_stroke(cr);
                marker_path(cr, se->marker, x, y, 4.5);
                cairo_fill(cr);
            } else {
                marker_path(cr, se->marker, x, y, 3.2);
                set_rgb(cr, se->color, 0.55);
                cairo_fill_preserve(cr);
                set_rgb(cr, se->color, 1);
                cairo_set_line_width(cr, 0.8);
                cairo_stroke(cr);
            }
        }
    }
    free(ord);
    cairo_restore(cr);

    /* legend: three entries a row */
    set_font(cr, 11, 0);
    double colw = (w - 20) / 3, ly = B + 46;
    size_t k = 0;
    for (size_t s = 0; s < p->nser; s++) {
        const series *se = &p->ser[s];
        if (se->label[0] == '\0')
            continue;
        double lx = 10 + colw * (double)(k % 3), y = ly + 16.0 * (double)(k / 3);
        set_rgb(cr, se->color, 1);
        marker_path(cr, se->marker, lx + 6, y + 6, 4);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, fit_text(cr, se->label, colw - 22, buf, sizeof buf), lx + 16, y + 6, 0, 0.5);
        k++;
    }
    draw_notes(p, cr, w, ly + 16.0 * (double)legrows);
    return IDC_OK;
}

/* A sequential colour scale (dark blue - teal - yellow) at t in [0, 1]. */
static void scale_rgb(double t, double rgb[3])
{
    static const double A[5][3] = {
        {0.267, 0.005, 0.329}, {0.231, 0.322, 0.545}, {0.129, 0.569, 0.549}, {0.365, 0.788, 0.388}, {0.992, 0.906, 0.145}};
    t = fmin(1, fmax(0, t)) * 4;
    int i = (int)fmin(3, floor(t));
    double f = t - i;
    for (int c = 0; c < 3; c++)
        rgb[c] = A[i][c] + f * (A[i + 1][c] - A[i][c]);
}

static int draw_heatmap(const idc_plot *p, cairo_t *cr, double w, double h)
{
    char buf[512];
    double bottom = 40 + 15.0 * (double)p->nnote;
    double L = 70, R = w - 90, T = 34, B = h - bottom;
    if (R - L < 40 || B - T < 40)
        return IDC_EINVAL;
    double cw = (R - L) / (double)p->cols, ch = (B - T) / (double)p->rows, c = fmin(cw, ch);
    double gw = c * (double)p->cols, gh = c * (double)p->rows;
    double x0 = L + (R - L - gw) / 2, y0 = T;
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    set_font(cr, 14, 1);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text_at(cr, fit_text(cr, p->title, w - 20, buf, sizeof buf), w / 2, 10, 0.5, 0);
    int values = p->rows <= 12 && p->cols <= 12;
    set_font(cr, fmin(12, fmax(6, c * 0.28)), 0);
    for (size_t i = 0; i < p->rows; i++) {
        for (size_t j = 0; j < p->cols; j++) {
            double v = p->m[i * p->cols + j], rgb[3];
            double cx = x0 + c * (double)j, cy = y0 + c * (double)i;
            if (isfinite(v)) {
                scale_rgb((v - p->vmin) / (p->vmax - p->vmin), rgb);
                cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
                cairo_rectangle(cr, cx, cy, c, c);
                cairo_fill(cr);
                if (values) {
                    double lum = 0.3 * rgb[0] + 0.59 * rgb[1] + 0.11 * rgb[2];
                    cairo_set_source_rgb(cr, lum < 0.5 ? 1 : 0, lum < 0.5 ? 1 : 0, lum < 0.5 ? 1 : 0);
                    snprintf(buf, sizeof buf, "%.2f", v);
                    text_at(cr, buf, cx + c / 2, cy + c / 2, 0.5, 0.5);
                }
            } else {
                cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
                cairo_set_line_width(cr, 1);
                cairo_move_to(cr, cx, cy);
                cairo_line_to(cr, cx + c, cy + c);
                cairo_move_to(cr, cx + c, cy);
                cairo_line_to(cr, cx, cy + c);
                cairo_stroke(cr);
            }
        }
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, x0, y0, gw, gh);
    cairo_stroke(cr);
    /* row and column labels (every k-th when dense) */
    set_font(cr, 10, 0);
    size_t rstep = (size_t)ceil(12.0 / c), cstep = rstep;
    if (rstep < 1)
        rstep = cstep = 1;
    for (size_t i = 0; i < p->rows; i += rstep) {
        snprintf(buf, sizeof buf, "%.40s%zu", p->rowprefix, i);
        text_at(cr, buf, x0 - 4, y0 + c * ((double)i + 0.5), 1, 0.5);
    }
    for (size_t j = 0; j < p->cols; j += cstep) {
        snprintf(buf, sizeof buf, "%.40s%zu", p->colprefix, j);
        text_at(cr, buf, x0 + c * ((double)j + 0.5), y0 + gh + 4, 0.5, 0);
    }
    set_font(cr, 12, 0);
    text_at(cr, fit_text(cr, p->xlabel, R - L, buf, sizeof buf), x0 + gw / 2, y0 + gh + 20, 0.5, 0);
    cairo_save(cr);
    cairo_translate(cr, 14, y0 + gh / 2);
    cairo_rotate(cr, -M_PI / 2);
    text_at(cr, fit_text(cr, p->ylabel, gh, buf, sizeof buf), 0, 0, 0.5, 0.5);
    cairo_restore(cr);
    /* colour bar */
    double bx = w - 70, bh = fmax(gh, 60);
    for (int k = 0; k < 64; k++) {
        double rgb[3];
        scale_rgb((k + 0.5) / 64, rgb);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_rectangle(cr, bx, y0 + bh * (1 - (k + 1) / 64.0), 14, bh / 64 + 0.5);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, bx, y0, 14, bh);
    cairo_stroke(cr);
    set_font(cr, 10, 0);
    snprintf(buf, sizeof buf, "%.3g", p->vmax);
    text_at(cr, buf, bx + 18, y0, 0, 0);
    snprintf(buf, sizeof buf, "%.3g", p->vmin);
    text_at(cr, buf, bx + 18, y0 + bh, 0, 1);
    draw_notes(p, cr, w, h - 15.0 * (double)p->nnote - 6);
    return IDC_OK;
}

int idc_plot_draw(const idc_plot *p, cairo_t *cr, double w, double h)
{
    if (p == NULL || cr == NULL || !(w >= 120) || !(h >= 120) || w > 1e5 || h > 1e5)
        return IDC_EINVAL;
    cairo_save(cr);
    cairo_rectangle(cr, 0, 0, w, h);
    cairo_clip(cr);
    int rc = p->heatmap ? draw_heatmap(p, cr, w, h) : draw_xy(p, cr, w, h);
    cairo_restore(cr);
    if (rc == IDC_OK && cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        rc = IDC_EINTERNAL;
    return rc;
}

cairo_status_t idc_plot_mem_write(void *closure, const unsigned char *data, unsigned int length)
{
    idc_plot_membuf *m = closure;
    if (m->len + length + 1 > m->cap) {
        size_t c = m->cap ? m->cap : 65536;
        while (c < m->len + length + 1)
            c *= 2;
        char *q = realloc(m->buf, c);
        if (q == NULL) {
            m->oom = 1;
            return CAIRO_STATUS_WRITE_ERROR;
        }
        m->buf = q;
        m->cap = c;
    }
    memcpy(m->buf + m->len, data, length);
    m->len += length;
    m->buf[m->len] = '\0';
    return CAIRO_STATUS_SUCCESS;
}

/* cairo numbers the surfaces of an SVG document from a process-wide
 * counter (id="surface7"), the one part of its output that depends on what
 * was drawn before. References to a surface ("surfaceN" after '"' or '#')
 * are renumbered in order of first appearance, in place (never longer). */
static void renumber_surfaces(idc_plot_membuf *m)
{
    static const char key[] = "surface";
    unsigned long seen[64];
    size_t nseen = 0;
    char *r = m->buf, *w = m->buf, *end = m->buf + m->len;
    while (r < end) {
        int at = (r > m->buf && (r[-1] == '"' || r[-1] == '#')) && (size_t)(end - r) > sizeof key - 1 &&
                 memcmp(r, key, sizeof key - 1) == 0 && r + sizeof key - 1 < end &&
                 r[sizeof key - 1] >= '0' && r[sizeof key - 1] <= '9';
        if (!at) {
            *w++ = *r++;
            continue;
        }
        char *d = r + sizeof key - 1, *de = d;
        unsigned long v = 0;
        while (de < end && *de >= '0' && *de <= '9' && de - d < 18)
            v = v * 10 + (unsigned long)(*de++ - '0');
        size_t k = 0;
        while (k < nseen && seen[k] != v)
            k++;
        if (k == nseen && nseen < 64)
            seen[nseen++] = v;
        char num[24];
        int n = snprintf(num, sizeof num, "%zu", k + 1);
        if (k >= 64 || (size_t)n > (size_t)(de - d)) { /* keep as is */
            memmove(w, r, (size_t)(de - r));
            w += de - r;
        } else {
            memmove(w, r, sizeof key - 1);
            w += sizeof key - 1;
            memcpy(w, num, (size_t)n);
            w += n;
        }
        r = de;
    }
    m->len = (size_t)(w - m->buf);
    m->buf[m->len] = '\0';
}

int idc_plot_svg(char **svg, size_t *len, const idc_plot *p, double w, double h, idc_err *err)
{
    *svg = NULL;
    *len = 0;
    if (p == NULL || !(w >= 120) || !(h >= 120) || w > 1e5 || h > 1e5)
        return idc_err_set(err, IDC_EINVAL, "plot: size %gx%g outside 120..100000 px", w, h);
    idc_plot_membuf m = {0};
    cairo_surface_t *s = cairo_svg_surface_create_for_stream(idc_plot_mem_write, &m, w, h);
    cairo_svg_surface_restrict_to_version(s, CAIRO_SVG_VERSION_1_1);
    cairo_svg_surface_set_document_unit(s, CAIRO_SVG_UNIT_PX);
    cairo_t *cr = cairo_create(s);
    int rc = idc_plot_draw(p, cr, w, h);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    cairo_status_t st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (rc == IDC_OK && (m.oom || st != CAIRO_STATUS_SUCCESS || m.buf == NULL))
        rc = m.oom ? IDC_ENOMEM : IDC_EINTERNAL;
    if (rc != IDC_OK) {
        free(m.buf);
        return idc_err_set(err, rc, "plot \"%.200s\": %s", p->title,
                           rc == IDC_ENOMEM ? "out of memory" : rc == IDC_EINVAL ? "figure too small for its contents"
                                                                                 : cairo_status_to_string(st));
    }
    renumber_surfaces(&m);
    *svg = m.buf;
    *len = m.len;
    return IDC_OK;
}
