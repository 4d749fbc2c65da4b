/* Figures for reports, drawn with cairo: x-y plots (markers, seed-spread
 * bars joined by a line, shaded x bands, linear or log axes with ticks,
 * labels and a legend) and heatmaps (a matrix as coloured cells with a
 * colour bar). A figure is built in memory, then drawn onto any cairo
 * context (an SVG, PDF or image surface) or rendered to an SVG document in
 * memory.
 *
 * Output is a pure function of the figure and the fonts installed: no
 * timestamps, no process-global ids (every SVG is a document of its own, so
 * cairo's glyph and surface ids start afresh). Text is drawn as glyph
 * outlines, so an SVG needs no font to display. Strings given to a figure
 * are copied and made valid UTF-8 (invalid bytes and control characters
 * become U+FFFD), so any string from a database can be passed. */
#ifndef IDC_REPORTS_PLOT_H
#define IDC_REPORTS_PLOT_H

#include <stddef.h>

#include <cairo/cairo.h>

#include "numeric/status.h"

typedef struct idc_plot idc_plot;

/* A growing, NUL-terminated byte buffer that cairo writes a document into
 * (cairo_*_surface_create_for_stream(idc_plot_mem_write, &buf, ...)); oom
 * is set when an append could not allocate (the write then fails). The
 * caller frees buf. */
typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} idc_plot_membuf;

cairo_status_t idc_plot_mem_write(void *closure, const unsigned char *data, unsigned int length);

/* Marker shapes of a series. */
typedef enum {
    IDC_PLOT_CIRCLE = 0,
    IDC_PLOT_SQUARE = 1,
    IDC_PLOT_TRIANGLE = 2,
    IDC_PLOT_DIAMOND = 3
} idc_plot_marker;

/* Shading of an x band: where a precondition holds (green), fails (red),
 * or is undecided (grey). */
typedef enum {
    IDC_PLOT_SHADE_HOLDS = 0,
    IDC_PLOT_SHADE_FAILS = 1,
    IDC_PLOT_SHADE_UNKNOWN = 2
} idc_plot_shade;

/* The colours series can name: 0..IDC_PLOT_NCOLORS-1 a colour-blind-safe
 * palette (Okabe-Ito: blue, orange, green, vermilion, purple, sky blue,
 * yellow, black). */
#define IDC_PLOT_NCOLORS 8

/* A new empty x-y figure. xlog / ylog: 1 for a log10 axis (points with a
 * coordinate <= 0 on a log axis, and non-finite points, are not drawn and
 * are counted by idc_plot_hidden). Labels may be NULL. NULL when out of
 * memory. idc_plot_free(NULL) is a no-op. */
idc_plot *idc_plot_new_xy(const char *title, const char *xlabel, const char *ylabel, int xlog, int ylog);

/* A new heatmap of the rows x cols matrix m (row-major, copied), cells
 * coloured on a sequential scale from vmin to vmax (values clamped; a
 * non-finite cell is drawn white and crossed). Row i is labelled
 * "<rowprefix>i", column j "<colprefix>j" (0-based); values are printed in
 * the cells when rows, cols <= 12. NULL when out of memory or when rows or
 * cols is 0 or above 4096, or vmax <= vmin. */
idc_plot *idc_plot_new_heatmap(const char *title, const char *xlabel, const char *ylabel, const char *rowprefix,
                               const char *colprefix, const double *m, size_t rows, size_t cols, double vmin,
                               double vmax);
void idc_plot_free(idc_plot *p);

/* Adds a series to an x-y figure: its legend label (NULL or "": not in the
 * legend), marker and palette colour (taken modulo IDC_PLOT_NCOLORS);
 * connect = 1 joins the series' bars' middle values by a line in x order.
 * Returns the series index, or -1 (out of memory, or p is a heatmap). */
int idc_plot_series(idc_plot *p, const char *label, idc_plot_marker marker, int color, int connect);

/* A marker of series s at (x, y). IDC_EINVAL for an unknown series,
 * IDC_ENOMEM. */
int idc_plot_point(idc_plot *p, int s, double x, double y);

/* A spread bar of series s at x: a vertical line from lo to hi with a
 * larger marker at mid (e.g. min, max and mean over seeds). IDC_EINVAL for
 * an unknown series or lo > hi, IDC_ENOMEM. */
int idc_plot_bar(idc_plot *p, int s, double x, double lo, double mid, double hi);

/* Shades the x interval [x0, x1] (clipped to the axes) across the plot
 * height, beneath the data. IDC_EINVAL when x0 > x1 or p is a heatmap. */
int idc_plot_band(idc_plot *p, double x0, double x1, idc_plot_shade shade);

/* Makes the x axis of an x-y figure reach x (e.g. every value of a knob,
 * also those without data to draw). Ignored when x cannot be drawn on the
 * axis. IDC_EINVAL for a heatmap. */
int idc_plot_extend_x(idc_plot *p, double x);

/* Adds a line of text under the figure (e.g. what the shading means). At
 * most 4 notes; IDC_EINVAL beyond, IDC_ENOMEM. */
int idc_plot_note(idc_plot *p, const char *text);

/* The number of points and bars given but not drawn (non-finite, or <= 0
 * on a log axis). */
size_t idc_plot_hidden(const idc_plot *p);

/* Draws the figure into the rectangle (0, 0, w, h) of cr's user space
 * (translate or scale cr first to place it). cr's state is saved and
 * restored. IDC_EINVAL when w or h is below 120, IDC_EINTERNAL when cairo
 * reports an error. */
int idc_plot_draw(const idc_plot *p, cairo_t *cr, double w, double h);

/* The figure as a standalone SVG 1.1 document of w x h px. *svg is
 * malloc'ed (NUL-terminated, *len bytes without the NUL). IDC_EINVAL
 * for a bad size, IDC_ENOMEM, IDC_EINTERNAL for a cairo error. */
int idc_plot_svg(char **svg, size_t *len, const idc_plot *p, double w, double h, idc_err *err)
    __attribute__((warn_unused_result));

/* Releases the process-wide font caches of cairo and fontconfig (which
 * otherwise live until the process exits and show up as leaks under
 * LeakSanitizer). Call only when no cairo object is alive and, in a
 * process that draws again afterwards, accept that the caches are rebuilt
 * (fontconfig re-reads its configuration). */
void idc_plot_release_caches(void);

/* Copies s (length n, or up to its NUL when n is (size_t)-1) into a
 * malloc'ed NUL-terminated string in which every invalid UTF-8 sequence, NUL
 * and control character other than tab and newline is replaced by U+FFFD.
 * NULL when out of memory; s NULL gives "". */
char *idc_plot_utf8_clean(const char *s, size_t n);

#endif
