/* idcheck metrics: score a representation from any framework against the
 * true latents, compare restarts, or test paired per-run scores.
 *
 *   idcheck metrics Z.npy ZHAT.npy [--cca K] [--blocks SPEC] [--json]
 *   idcheck metrics --stability A.npy B.npy [C.npy ...] [--cca K] [--json]
 *   idcheck metrics --wilcoxon X Y [--json]     (X, Y: .npy or text)
 *   idcheck metrics --wilcoxon D [--json]       (one-sample, D = differences)
 *   idcheck metrics --gmm P1.json P2.json [--json]   (dist_Aff,L2 of two GMMs)
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "numeric/fileio.h"
#include "numeric/gmm_l2.h"
#include "numeric/metric.h"
#include "numeric/stability.h"
#include "numeric/wilcoxon.h"
#include "reports/metrics_json.h"

#define VERB "metrics"
#define MAXFILES 64

static void help(FILE *fp)
{
    fprintf(fp, "usage: idcheck metrics Z.npy ZHAT.npy [--cca K] [--blocks SPEC] [--json]\n"
                "       idcheck metrics --stability A.npy B.npy [C.npy ...] [--cca K] [--json]\n"
                "       idcheck metrics --wilcoxon X Y [--json]   (or one file D of differences)\n"
                "       idcheck metrics --gmm P1.json P2.json [--json]\n\n"
                "Z: true latents (N x m float64 .npy), ZHAT: learned representation (N x k).\n"
                "Rows [0, N/2) fit each alignment (regression, matching, CCA), rows [N/2, N) score\n"
                "it; in-sample values are on the fit rows, out-of-sample on the others.\n"
                "  R2     R^2 of regressing each zhat coordinate on z, mean and per coordinate (AT)\n"
                "  MCC    strong MCC: mean matched |Pearson rho| after Hungarian matching (PS)\n"
                "  MCCs   strong MCC with Spearman rank correlation (PS up to monotone maps)\n"
                "  MCCw   weak MCC: MCC of the canonical variates of a CCA of z and zhat (AT)\n"
                "  --cca K          canonical pairs for the weak MCC (default min(m, k))\n"
                "  --blocks T:L     block R^2 matrix: T true blocks, L learned blocks, each a\n"
                "                   comma list of blocks written as i, i-j or i+j+... (0-based),\n"
                "                   e.g. --blocks 0-1,2-3:0,1-2\n"
                "  --stability      pairwise strong and weak MCC between R >= 2 representations\n"
                "                   of the same N points (mean, sd, min, max over the pairs)\n"
                "  --wilcoxon       Wilcoxon signed-rank test of X - Y (paired; zeros dropped):\n"
                "                   W+, two-sided p (exact for <= 50 untied pairs, else normal).\n"
                "                   Files: .npy (1-D or one column) or text, numbers separated by\n"
                "                   white space or commas, '#' starts a comment\n"
                "  --gmm            dist_Aff,L2 (K App. J) of two Gaussian mixtures given as JSON\n"
                "                   {\"weights\": [J], \"means\": [[m] x J], \"covariances\":\n"
                "                   [[[m] x m] x J]} (SPD covariances, same J <= 8 and m): the\n"
                "                   normalised L2 distance after the affine map fitted to the\n"
                "                   component means, minimised over component permutations\n"
                "  --json           full JSON record on stdout\n"
                "Bad input (shape mismatch, NaN, too few rows) exits 2 with a one-line message.\n");
}

static void print_json(json_t *o)
{
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    if (s != NULL)
        puts(s);
    free(s);
    json_decref(o);
}

/* Reads a float64 .npy and checks every entry is finite, naming the file. */
static int read_matrix(double **a, size_t *rows, size_t *cols, const char *path, idc_err *err)
{
    int rc = idc_npy_read_f64(a, rows, cols, path, err);
    if (rc != IDC_OK)
        return rc;
    for (size_t i = 0; i < *rows * *cols; i++)
        if (!isfinite((*a)[i]))
            return idc_err_set(err, IDC_EINVAL, "%s: entry [%zu][%zu] is not finite (%g)", path, i / *cols,
                               i % *cols, (*a)[i]);
    return IDC_OK;
}

/* A vector from .npy (1-D or one column) or text. */
static int read_vector(double **v, size_t *n, const char *path, idc_err *err)
{
    *v = NULL;
    *n = 0;
    size_t len = strlen(path);
    if (len >= 4 && strcmp(path + len - 4, ".npy") == 0) {
        size_t cols;
        int rc = read_matrix(v, n, &cols, path, err);
        if (rc == IDC_OK && cols != 1)
            rc = idc_err_set(err, IDC_EINVAL, "%s: expected one column, got %zu", path, cols);
        return rc;
    }
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return idc_err_set(err, IDC_EINVAL, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 64, cnt = 0, line = 1;
    double *a = malloc(cap * sizeof *a);
    char tok[128];
    int rc = a == NULL ? idc_err_set(err, IDC_ENOMEM, "%s: out of memory", path) : IDC_OK;
    int c = 0;
    while (rc == IDC_OK && (c = fgetc(fp)) != EOF) {
        if (c == '#') {
            while ((c = fgetc(fp)) != EOF && c != '\n')
                ;
            line++;
            continue;
        }
        if (c == '\n')
            line++;
        if (isspace(c) || c == ',')
            continue;
        size_t k = 0;
        while (c != EOF && !isspace(c) && c != ',' && c != '#' && k + 1 < sizeof tok) {
            tok[k++] = (char)c;
            c = fgetc(fp);
        }
        tok[k] = '\0';
        if (c == '\n')
            line++;
        if (c == '#')
            ungetc(c, fp);
        char *end;
        errno = 0;
        double x = strtod(tok, &end);
        if (end == tok || *end != '\0' || !isfinite(x)) {
            rc = idc_err_set(err, IDC_EINVAL, "%s: line %zu: \"%s\" is not a finite number", path,
                             line - (c == '\n'), tok);
            break;
        }
        if (cnt == cap) {
            double *b = realloc(a, 2 * cap * sizeof *a);
            if (b == NULL) {
                rc = idc_err_set(err, IDC_ENOMEM, "%s: out of memory", path);
                break;
            }
            a = b;
            cap *= 2;
        }
        a[cnt++] = x;
    }
    if (rc == IDC_OK && ferror(fp))
        rc = idc_err_set(err, IDC_EIO, "%s: read error", path);
    fclose(fp);
    if (rc == IDC_OK && cnt == 0)
        rc = idc_err_set(err, IDC_EINVAL, "%s: no numbers", path);
    if (rc != IDC_OK) {
        free(a);
        return rc;
    }
    *v = a;
    *n = cnt;
    return IDC_OK;
}

/* ---- --blocks ------------------------------------------------------------- */

typedef struct {
    size_t nblocks, nidx;
    size_t off[MAXFILES + 1];
    size_t idx[256];
} blocks_buf;

/* Parses "B,B,..." with B = i | i-j | B+B into *b; returns 0 with a message
 * naming the option on failure. dim bounds the indices, what names the side. */
static int parse_blocks(blocks_buf *b, const char *s, size_t len, size_t dim, const char *what)
{
    memset(b, 0, sizeof *b);
    size_t i = 0;
    while (i <= len) {
        if (b->nblocks == MAXFILES) {
            idc_cli_error(VERB, "--blocks: more than %d %s blocks", MAXFILES, what);
            return 0;
        }
        for (;;) { /* one item: i or i-j */
            char *end;
            if (i >= len || !isdigit((unsigned char)s[i]))
                goto bad;
            unsigned long lo = strtoul(s + i, &end, 10), hi = lo;
            i = (size_t)(end - s);
            if (i < len && s[i] == '-') {
                i++;
                if (i >= len || !isdigit((unsigned char)s[i]))
                    goto bad;
                hi = strtoul(s + i, &end, 10);
                i = (size_t)(end - s);
            }
            if (hi < lo) {
                idc_cli_error(VERB, "--blocks: %s range %lu-%lu is decreasing", what, lo, hi);
                return 0;
            }
            if (hi >= dim) {
                idc_cli_error(VERB, "--blocks: %s block %zu: index %lu >= dim = %zu", what, b->nblocks, hi,
                              dim);
                return 0;
            }
            for (unsigned long k = lo; k <= hi; k++) {
                if (b->nidx == sizeof b->idx / sizeof b->idx[0]) {
                    idc_cli_error(VERB, "--blocks: too many %s indices", what);
                    return 0;
                }
                b->idx[b->nidx++] = (size_t)k;
            }
            if (i < len && s[i] == '+') {
                i++;
                continue;
            }
            break;
        }
        b->off[++b->nblocks] = b->nidx;
        if (i == len)
            return 1;
        if (s[i] != ',')
            goto bad;
        i++;
    }
bad:
    idc_cli_error(VERB, "--blocks: cannot parse the %s blocks \"%.*s\" (expected e.g. 0-1,2+4)", what,
                  (int)len, s);
    return 0;
}

/* ---- the three modes ---------------------------------------------------- */

static int fail(idc_err *err, int rc)
{
    idc_cli_error(VERB, "%s", err->msg);
    return idc_status_exit_code(rc);
}

static void print_pair_line(const char *label, double in, double out, const char *note)
{
    printf("%-5sin-sample %.4f  out-of-sample %.4f  %s\n", label, in, out, note);
}

static int run_score(const char *pz, const char *ph, size_t k_cca, const char *blocks, int as_json)
{
    idc_err err;
    double *z = NULL, *zh = NULL;
    size_t nz = 0, dz = 0, nh = 0, dh = 0;
    idc_r2_result r2 = {0};
    idc_mcc_result mcc = {0}, spm = {0};
    idc_mcc_weak_result weak = {0};
    idc_r2_blocks_result br = {0};
    blocks_buf tb, lb;
    int have_weak = 0, code = 0;
    int rc = read_matrix(&z, &nz, &dz, pz, &err);
    if (rc == IDC_OK)
        rc = read_matrix(&zh, &nh, &dh, ph, &err);
    if (rc == IDC_OK && nz != nh)
        rc = idc_err_set(&err, IDC_EINVAL, "%s has %zu rows but %s has %zu", pz, nz, ph, nh);
    if (rc == IDC_OK && nz / 2 < dz + 2)
        rc = idc_err_set(&err, IDC_EINVAL,
                         "%s: too few rows: N = %zu, the fit half needs dim(z) + 2 = %zu rows "
                         "(N >= %zu)",
                         pz, nz, dz + 2, 2 * (dz + 2));
    if (rc != IDC_OK) {
        code = fail(&err, rc);
        goto done;
    }
    if (blocks != NULL) {
        const char *colon = strchr(blocks, ':');
        if (colon == NULL) {
            idc_cli_error(VERB, "--blocks: expected TRUE:LEARNED, e.g. 0-1,2-3:0,1-2");
            code = 2;
            goto done;
        }
        if (!parse_blocks(&tb, blocks, (size_t)(colon - blocks), dz, "true") ||
            !parse_blocks(&lb, colon + 1, strlen(colon + 1), dh, "learned")) {
            code = 2;
            goto done;
        }
    }
    if (k_cca > (dz < dh ? dz : dh)) {
        idc_cli_error(VERB, "--cca: K = %zu exceeds min(dim z, dim zhat) = %zu", k_cca, dz < dh ? dz : dh);
        code = 2;
        goto done;
    }
    size_t dmax = dz > dh ? dz : dh;
    rc = idc_metric_r2(&r2, z, dz, zh, dh, nz, &err);
    if (rc == IDC_OK)
        rc = idc_metric_mcc(&mcc, z, dz, zh, dh, nz, &err);
    if (rc == IDC_OK)
        rc = idc_metric_mcc_spearman(&spm, z, dz, zh, dh, nz, &err);
    if (rc == IDC_OK && nz / 2 >= dmax + 2) {
        rc = idc_metric_mcc_weak(&weak, z, dz, zh, dh, nz, k_cca, &err);
        have_weak = rc == IDC_OK;
    }
    if (rc == IDC_OK && blocks != NULL) {
        idc_blocks zb = {tb.nblocks, tb.off, tb.idx}, hb = {lb.nblocks, lb.off, lb.idx};
        rc = idc_metric_r2_blocks(&br, z, dz, zh, dh, nz, &zb, &hb, &err);
    }
    if (rc != IDC_OK) {
        idc_err_prefix(&err, rc, "%s, %s: ", pz, ph);
        code = fail(&err, rc);
        goto done;
    }
    if (as_json) {
        json_t *o = idc_metrics_json(&r2, &mcc);
        json_object_set_new(o, "n", json_integer((json_int_t)nz));
        json_object_set_new(o, "dim_z", json_integer((json_int_t)dz));
        json_object_set_new(o, "dim_zhat", json_integer((json_int_t)dh));
        json_object_set_new(o, "fit_rows", json_integer((json_int_t)(nz / 2)));
        json_object_set_new(o, "pearson", idc_metrics_json_mcc(&mcc));
        json_object_set_new(o, "spearman", idc_metrics_json_mcc(&spm));
        json_object_set_new(o, "weak", have_weak ? idc_metrics_json_weak(&weak) : json_null());
        if (blocks != NULL) {
            json_t *b = idc_metrics_json_r2_blocks(&br);
            json_object_set_new(b, "spec", json_string(blocks));
            json_object_set_new(o, "blocks", b);
        }
        print_json(o);
        goto done;
    }
    printf("n=%zu  dim(z)=%zu  dim(zhat)=%zu  (fit on rows [0,%zu), scored on [%zu,%zu))\n", nz, dz, dh,
           nz / 2, nz / 2, nz);
    print_pair_line("R2", r2.r2_in, r2.r2_out, "(zhat regressed on z, mean over coordinates)");
    printf("     per zhat coordinate (in/out):");
    for (size_t k = 0; k < dh; k++)
        printf(" %zu: %.4f/%.4f", k, r2.r2_coord_in[k], r2.r2_coord_out[k]);
    printf("\n");
    print_pair_line("MCC", mcc.mcc_in, mcc.mcc_out, "(strong, Pearson)");
    printf("     matching z->zhat:");
    for (size_t i = 0; i < mcc.dz; i++)
        printf(" %zu->%ld", i, mcc.match[i] == SIZE_MAX ? -1L : (long)mcc.match[i]);
    printf("\n");
    print_pair_line("MCCs", spm.mcc_in, spm.mcc_out, "(strong, Spearman)");
    if (have_weak) {
        char note[64];
        snprintf(note, sizeof note, "(weak, CCA with k=%zu)", weak.k);
        print_pair_line("MCCw", weak.mcc.mcc_in, weak.mcc.mcc_out, note);
        printf("     canonical correlations (fit half):");
        for (size_t i = 0; i < weak.k; i++)
            printf(" %.4f", weak.rho[i]);
        printf("\n");
    } else {
        printf("MCCw n/a: the CCA needs a fit half of max(dim z, dim zhat) + 2 = %zu rows\n", dmax + 2);
    }
    if (blocks != NULL) {
        printf("block R2 (rows: true blocks, columns: learned blocks; in/out):\n");
        for (size_t t = 0; t < br.nt; t++) {
            printf("     true %zu:", t);
            for (size_t l = 0; l < br.nl; l++)
                printf("  %.4f/%.4f", br.r2_in[t * br.nl + l], br.r2_out[t * br.nl + l]);
            printf("\n");
        }
    }
done:
    idc_r2_result_clear(&r2);
    idc_mcc_result_clear(&mcc);
    idc_mcc_result_clear(&spm);
    idc_mcc_weak_result_clear(&weak);
    idc_r2_blocks_result_clear(&br);
    free(z);
    free(zh);
    return code;
}

static int run_stability(char **files, size_t nf, size_t k_cca, int as_json)
{
    idc_err err;
    double *reps[MAXFILES] = {0};
    size_t dims[MAXFILES], rows = 0;
    idc_stability_result res = {0};
    int rc = IDC_OK, code = 0;
    if (nf < 2) {
        idc_cli_error(VERB, "--stability: need at least 2 representation files, got %zu", nf);
        return 2;
    }
    for (size_t i = 0; i < nf && rc == IDC_OK; i++) {
        size_t r;
        rc = read_matrix(&reps[i], &r, &dims[i], files[i], &err);
        if (rc == IDC_OK && i > 0 && r != rows)
            rc = idc_err_set(&err, IDC_EINVAL, "%s has %zu rows but %s has %zu", files[i], r, files[0], rows);
        if (rc == IDC_OK && k_cca > dims[i])
            rc = idc_err_set(&err, IDC_EINVAL, "--cca: K = %zu exceeds the %zu columns of %s", k_cca, dims[i],
                             files[i]);
        rows = r;
    }
    if (rc == IDC_OK) {
        size_t dmax = 0;
        for (size_t i = 0; i < nf; i++)
            dmax = dims[i] > dmax ? dims[i] : dmax;
        if (rows / 2 < dmax + 2)
            rc = idc_err_set(&err, IDC_EINVAL,
                             "%s: too few rows: N = %zu, the fit half needs max dim + 2 = %zu "
                             "rows (N >= %zu)",
                             files[0], rows, dmax + 2, 2 * (dmax + 2));
    }
    if (rc == IDC_OK)
        rc = idc_stability_mcc(&res, (const double *const *)reps, dims, nf, rows, k_cca, &err);
    if (rc != IDC_OK) {
        code = fail(&err, rc);
        goto done;
    }
    if (as_json) {
        json_t *o = idc_metrics_json_stability(&res);
        json_t *names = json_array();
        for (size_t i = 0; i < nf; i++)
            json_array_append_new(names, json_string(files[i]));
        json_object_set_new(o, "files", names);
        json_object_set_new(o, "n", json_integer((json_int_t)rows));
        print_json(o);
        goto done;
    }
    printf("%zu representations, %zu pairs, n=%zu  (fit on rows [0,%zu), scored on [%zu,%zu))\n", nf,
           res.npairs, rows, rows / 2, rows / 2, rows);
    printf("pair      strong in  strong out  weak in  weak out\n");
    for (size_t p = 0; p < res.npairs; p++)
        printf("(%zu,%zu)%*s %9.4f  %10.4f  %7.4f  %8.4f\n", res.pair_i[p], res.pair_j[p], 3, "",
               res.strong_in[p], res.strong_out[p], res.weak_in[p], res.weak_out[p]);
    const idc_stability_summary *s[4] = {&res.strong_in_s, &res.strong_out_s, &res.weak_in_s,
                                         &res.weak_out_s};
    const char *lab[4] = {"mean", "sd", "min", "max"};
    for (int k = 0; k < 4; k++) {
        printf("%-9s", lab[k]);
        for (int q = 0; q < 4; q++) {
            double v = k == 0 ? s[q]->mean : k == 1 ? s[q]->sd : k == 2 ? s[q]->min : s[q]->max;
            printf(q == 0 ? " %9.4f" : q == 1 ? "  %10.4f" : q == 2 ? "  %7.4f" : "  %8.4f", v);
        }
        printf("\n");
    }
done:
    idc_stability_result_clear(&res);
    for (size_t i = 0; i < nf; i++)
        free(reps[i]);
    return code;
}

static int run_wilcoxon(char **files, size_t nf, int as_json)
{
    idc_err err;
    double *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    int code = 0;
    if (nf < 1 || nf > 2) {
        idc_cli_error(VERB, "--wilcoxon: expected X Y (paired) or D (differences), got %zu files", nf);
        return 2;
    }
    int rc = read_vector(&x, &nx, files[0], &err);
    if (rc == IDC_OK && nf == 2)
        rc = read_vector(&y, &ny, files[1], &err);
    if (rc == IDC_OK && nf == 2 && nx != ny)
        rc = idc_err_set(&err, IDC_EINVAL, "%s has %zu values but %s has %zu", files[1], ny, files[0], nx);
    idc_wilcoxon_result res;
    if (rc == IDC_OK)
        rc = idc_wilcoxon_signed_rank(&res, x, y, nx, &err);
    if (rc != IDC_OK) {
        code = fail(&err, rc);
        goto done;
    }
    if (as_json) {
        json_t *o = idc_metrics_json_wilcoxon(&res);
        json_object_set_new(o, "x", json_string(files[0]));
        json_object_set_new(o, "y", nf == 2 ? json_string(files[1]) : json_null());
        print_json(o);
        goto done;
    }
    printf("Wilcoxon signed-rank test of %s%s%s: n=%zu (%zu zero differences dropped)\n", files[0],
           nf == 2 ? " - " : "", nf == 2 ? files[1] : "", res.n, res.n_zero);
    printf("W+ = %g  W- = %g  z = %.4f  two-sided p = %.6g  (%s%s)\n", res.w_plus, res.w_minus, res.z,
           res.p_two_sided, res.method == IDC_WILCOXON_EXACT ? "exact" : "normal approximation",
           res.ties ? ", tie-corrected" : "");
done:
    free(x);
    free(y);
    return code;
}

/* ---- --gmm ---------------------------------------------------------------- */

typedef struct {
    size_t J, m;
    double *w, *mu, *cov;
} gmm_buf;

static void gmm_buf_free(gmm_buf *g)
{
    free(g->w);
    free(g->mu);
    free(g->cov);
    memset(g, 0, sizeof *g);
}

/* Reads {"weights", "means", "covariances"}; the messages name the file
 * and the JSON path. */
static int read_gmm(gmm_buf *g, const char *path, idc_err *err)
{
    memset(g, 0, sizeof *g);
    json_error_t je;
    json_t *o = json_load_file(path, 0, &je);
    if (o == NULL)
        return idc_err_set(err, IDC_EINVAL, "%s: line %d: %s", path, je.line, je.text);
    int rc = IDC_OK;
    json_t *w = json_object_get(o, "weights"), *mu = json_object_get(o, "means");
    json_t *cv = json_object_get(o, "covariances");
    size_t J = json_array_size(w);
    if (!json_is_array(w) || !json_is_array(mu) || !json_is_array(cv) || J == 0) {
        rc = idc_err_set(err, IDC_EINVAL,
                         "%s: expected arrays \"weights\", \"means\", \"covariances\" (J >= 1)", path);
        goto done;
    }
    size_t m = json_array_size(json_array_get(mu, 0));
    if (json_array_size(mu) != J || json_array_size(cv) != J || m == 0 || m > 4096) {
        rc =
            idc_err_set(err, IDC_EINVAL,
                        "%s: \"means\" and \"covariances\" must have J = %zu entries of dim m >= 1", path, J);
        goto done;
    }
    g->J = J;
    g->m = m;
    g->w = idc_calloc(J, sizeof(double));
    g->mu = idc_calloc(J * m, sizeof(double));
    g->cov = idc_calloc(J * m * m, sizeof(double));
    if (g->w == NULL || g->mu == NULL || g->cov == NULL) {
        rc = idc_err_set(err, IDC_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    for (size_t j = 0; j < J && rc == IDC_OK; j++) {
        json_t *x = json_array_get(w, j), *mj = json_array_get(mu, j), *cj = json_array_get(cv, j);
        if (!json_is_number(x))
            rc = idc_err_set(err, IDC_EINVAL, "%s: weights[%zu]: expected a number", path, j);
        else
            g->w[j] = json_number_value(x);
        if (rc == IDC_OK && json_array_size(mj) != m)
            rc = idc_err_set(err, IDC_EINVAL, "%s: means[%zu]: expected %zu numbers", path, j, m);
        if (rc == IDC_OK && json_array_size(cj) != m)
            rc = idc_err_set(err, IDC_EINVAL, "%s: covariances[%zu]: expected %zu x %zu", path, j, m, m);
        for (size_t a = 0; a < m && rc == IDC_OK; a++) {
            json_t *e = json_array_get(mj, a), *row = json_array_get(cj, a);
            if (!json_is_number(e))
                rc = idc_err_set(err, IDC_EINVAL, "%s: means[%zu][%zu]: expected a number", path, j, a);
            else
                g->mu[j * m + a] = json_number_value(e);
            if (rc == IDC_OK && json_array_size(row) != m)
                rc = idc_err_set(err, IDC_EINVAL, "%s: covariances[%zu][%zu]: expected %zu numbers", path, j,
                                 a, m);
            for (size_t b = 0; b < m && rc == IDC_OK; b++) {
                json_t *c = json_array_get(row, b);
                if (!json_is_number(c))
                    rc = idc_err_set(err, IDC_EINVAL, "%s: covariances[%zu][%zu][%zu]: expected a number",
                                     path, j, a, b);
                else
                    g->cov[(j * m + a) * m + b] = json_number_value(c);
            }
        }
    }
done:
    json_decref(o);
    if (rc != IDC_OK)
        gmm_buf_free(g);
    return rc;
}

static int run_gmm(char **files, size_t nf, int as_json)
{
    idc_err err;
    gmm_buf g1, g2;
    idc_gmm_aff_result res = {0};
    int code = 0;
    if (nf != 2) {
        idc_cli_error(VERB, "--gmm: expected P1.json P2.json, got %zu files", nf);
        return 2;
    }
    int rc = read_gmm(&g1, files[0], &err);
    if (rc == IDC_OK) {
        rc = read_gmm(&g2, files[1], &err);
        if (rc != IDC_OK)
            gmm_buf_free(&g1);
    }
    if (rc != IDC_OK)
        return fail(&err, rc);
    idc_gmm_view v1 = {g1.J, g1.m, g1.w, g1.mu, g1.cov}, v2 = {g2.J, g2.m, g2.w, g2.mu, g2.cov};
    rc = idc_gmm_dist_aff(&res, &v1, &v2, &err);
    if (rc != IDC_OK) {
        idc_err_prefix(&err, rc, "%s, %s: ", files[0], files[1]);
        code = fail(&err, rc);
        goto done;
    }
    if (as_json) {
        json_t *o = idc_metrics_json_gmm_aff(&res);
        json_object_set_new(o, "p1", json_string(files[0]));
        json_object_set_new(o, "p2", json_string(files[1]));
        print_json(o);
        goto done;
    }
    printf("dist_Aff,L2(%s -> %s) = %.6g   (J=%zu, m=%zu; unaligned delta_L2 = %.6g)\n", files[0], files[1],
           res.dist, res.J, res.m, res.delta_identity);
    printf("component matching p1->p2:");
    for (size_t j = 0; j < res.J; j++)
        printf(" %zu->%zu", j, res.perm[j]);
    printf("   mean residual (RMS) %.3g   permutations evaluated %zu (skipped: %zu near-singular maps, %zu "
           "with no numerically PD push-forward)\n",
           res.mean_rms, res.evaluated, res.skipped_singular, res.skipped_nonpd);
done:
    idc_gmm_aff_result_clear(&res);
    gmm_buf_free(&g1);
    gmm_buf_free(&g2);
    return code;
}

int idc_cli_metrics(int argc, char **argv)
{
    char *files[MAXFILES];
    size_t nf = 0, k_cca = 0;
    const char *blocks = NULL;
    int as_json = 0, mode = 0; /* 0 score, 1 stability, 2 wilcoxon, 3 gmm */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            help(stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            as_json = 1;
        } else if (strcmp(a, "--stability") == 0 || strcmp(a, "--wilcoxon") == 0 || strcmp(a, "--gmm") == 0) {
            int m = a[2] == 's' ? 1 : a[2] == 'w' ? 2 : 3;
            if (mode != 0 && mode != m) {
                idc_cli_error(VERB, "--stability, --wilcoxon and --gmm exclude each other");
                return 2;
            }
            mode = m;
        } else if (strcmp(a, "--cca") == 0) {
            if (i + 1 >= argc) {
                idc_cli_error(VERB, "--cca: missing K");
                return 2;
            }
            if (!idc_cli_parse_size("--cca", argv[++i], &k_cca))
                return 2;
            if (k_cca == 0) {
                idc_cli_error(VERB, "--cca: K must be >= 1");
                return 2;
            }
        } else if (strcmp(a, "--blocks") == 0) {
            if (i + 1 >= argc) {
                idc_cli_error(VERB, "--blocks: missing TRUE:LEARNED");
                return 2;
            }
            blocks = argv[++i];
        } else if (a[0] != '-' || a[1] == '\0') {
            if (nf == MAXFILES) {
                idc_cli_error(VERB, "more than %d files", MAXFILES);
                return 2;
            }
            files[nf++] = argv[i];
        } else {
            idc_cli_error(VERB, "unexpected argument \"%s\" (see idcheck metrics --help)", a);
            return 2;
        }
    }
    if (mode != 0 && blocks != NULL) {
        idc_cli_error(VERB, "--blocks applies to idcheck metrics Z.npy ZHAT.npy only");
        return 2;
    }
    if (mode >= 2 && k_cca != 0) {
        idc_cli_error(VERB, "--cca does not apply to %s", mode == 2 ? "--wilcoxon" : "--gmm");
        return 2;
    }
    if (mode == 3)
        return run_gmm(files, nf, as_json);
    if (mode == 1)
        return run_stability(files, nf, k_cca, as_json);
    if (mode == 2)
        return run_wilcoxon(files, nf, as_json);
    if (nf != 2) {
        if (nf == 0) {
            help(stderr);
        } else {
            idc_cli_error(VERB, "expected Z.npy ZHAT.npy, got %zu file%s (see idcheck metrics --help)", nf,
                          nf == 1 ? "" : "s");
        }
        return 2;
    }
    return run_score(files[0], files[1], k_cca, blocks, as_json);
}
