/* Benchmark of the A3.6 checker (theory/check/pre_a36.c): wall-clock ms of
 * idc_pre_a36 (search + its own exact verification) and, separately, of one
 * more idc_cert_verify_parts of the certificate, best of REPS runs.
 *
 *   bench_a36 [REPS]
 *
 * Families (FACTOR components with small integer data, so the doubles are
 * exact; supports through a common point z0):
 *   coord   J components on random coordinate supports (each index in with
 *           probability 1/2, proper, nonempty) in a random invertible
 *           integer frame R (entries in [-2, 2]): L_j = R[:, S_j]. HOLDS.
 *   coord+l the same plus the supports {a}, {b} and a generic line in
 *           span(R e_a, R e_b). FAILS.
 *   ident   coordinate supports in the identity frame (plain FACTOR input
 *           of the generator's family). HOLDS.
 *   frame   idc_gen_pdgmm (declared frame, ratio 0.5): the frame fast path.
 * Prints one line per configuration: family, m, J, verdict, method, lattice
 * size |P|, ms check, ms verify.
 *
 * Build and run from the repository root after `make`:
 *   cc -O2 -std=c11 -D_DEFAULT_SOURCE -I. ci/bench_a36.c build/libidcheck.a \
 *     -lflint-arb -lflint -lmpfr -lgmp -l:libgsl.a -llapacke -lopenblas -ljansson \
 *     -lsqlite3 -lnettle -lm -pthread -o build/bench_a36 && build/bench_a36 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <flint/fmpz_mat.h>

#include "generators/pdgmm.h"
#include "numeric/rng.h"
#include "theory/cert.h"
#include "theory/precond.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return 1e3 * (double)t.tv_sec + 1e-6 * (double)t.tv_nsec;
}

typedef struct {
    idc_rng s;
    uint64_t k;
} draw;

static long pick(draw *d, long lo, long hi)
{
    return lo + (long)idc_rng_below(d->s, d->k++, (uint64_t)(hi - lo + 1));
}

/* Component j: mean z0 + R[:,S] c, factor R[:,S]. */
static void set_comp(idc_pdgmm *g, size_t j, const long *R, const long *z0, const size_t *S, size_t s, draw *d)
{
    size_t m = g->dim;
    if (idc_pdgmm_comp_alloc(g, j, s, NULL) != IDC_OK)
        abort();
    idc_component *c = &g->comp[j];
    c->weight = 1.0 / (double)g->ncomp;
    for (size_t i = 0; i < m; i++)
        c->mean[i] = (double)z0[i];
    for (size_t q = 0; q < s; q++) {
        long cq = pick(d, -2, 2);
        for (size_t i = 0; i < m; i++) {
            c->L[i * s + q] = (double)R[i * m + S[q]];
            c->mean[i] += (double)(cq * R[i * m + S[q]]);
        }
    }
}

static void build(idc_pdgmm *g, size_t m, size_t J, int identity, int extra_line, uint64_t seed)
{
    draw d = {idc_rng_stream(seed, 0, IDC_PURPOSE_SEARCH), 0};
    long *R = calloc(m * m, sizeof(long)), *z0 = calloc(m, sizeof(long));
    size_t *S = calloc(m, sizeof(size_t));
    fmpz_mat_t A;
    fmpz_mat_init(A, (slong)m, (slong)m);
    do {
        for (size_t i = 0; i < m; i++)
            for (size_t k = 0; k < m; k++) {
                R[i * m + k] = identity ? (i == k) : pick(&d, -2, 2);
                fmpz_set_si(fmpz_mat_entry(A, (slong)i, (slong)k), R[i * m + k]);
            }
    } while (fmpz_mat_rank(A) < (slong)m);
    fmpz_mat_clear(A);
    for (size_t i = 0; i < m; i++)
        z0[i] = pick(&d, -3, 3);
    size_t total = J + (extra_line ? 3 : 0);
    idc_pdgmm_init(g);
    if (idc_pdgmm_alloc(g, m, total, NULL) != IDC_OK)
        abort();
    size_t j = 0;
    if (extra_line) {
        size_t a = (size_t)pick(&d, 0, (long)m - 1), b = (a + 1) % m;
        set_comp(g, j++, R, z0, &a, 1, &d);
        set_comp(g, j++, R, z0, &b, 1, &d);
        /* the line along R e_a + 2 R e_b */
        long *Rv = calloc(m * m, sizeof(long)); /* column 0: the line's direction */
        for (size_t i = 0; i < m; i++)
            Rv[i * m] = R[i * m + a] + 2 * R[i * m + b];
        size_t zero = 0;
        set_comp(g, j++, Rv, z0, &zero, 1, &d);
        free(Rv);
    }
    for (; j < total; j++) {
        size_t s = 0;
        while (s == 0 || s == m) {
            s = 0;
            for (size_t i = 0; i < m; i++)
                if (pick(&d, 0, 1))
                    S[s++] = i;
        }
        set_comp(g, j, R, z0, S, s, &d);
    }
    free(R);
    free(z0);
    free(S);
}

static void run(const char *family, const idc_pdgmm *g, int reps)
{
    double best = 1e300, bestv = 1e300;
    idc_pre_result r;
    idc_pre_result_init(&r);
    for (int k = 0; k < reps; k++) {
        idc_pre_result_clear(&r);
        double t0 = now_ms();
        idc_err err;
        if (idc_pre_a36(&r, g, NULL, NULL, &err) != IDC_OK) {
            fprintf(stderr, "%s: %s\n", family, err.msg);
            exit(1);
        }
        double t1 = now_ms();
        if (t1 - t0 < best)
            best = t1 - t0;
        if (r.cert != NULL) {
            char why[256] = "";
            if (idc_cert_verify_parts(r.cert, g, NULL, NULL, why, sizeof why) != IDC_OK) {
                fprintf(stderr, "%s: certificate rejected: %s\n", family, why);
                exit(1);
            }
            double t2 = now_ms();
            if (t2 - t1 < bestv)
                bestv = t2 - t1;
        }
    }
    const char *method = r.cert != NULL ? json_string_value(json_object_get(r.cert, "method")) : "-";
    json_t *ls = r.cert != NULL ? json_object_get(json_object_get(r.cert, "witness"), "lattice_size") : NULL;
    printf("%-8s m=%-3zu J=%-3zu %-7s %-15s |P|=%-5lld check %8.2f ms  verify %8.2f ms\n", family, g->dim, g->ncomp,
           idc_verdict_name(r.verdict), method, ls != NULL ? (long long)json_integer_value(ls) : -1LL, best,
           r.cert != NULL ? bestv : 0.0);
    if (r.verdict == IDC_UNKNOWN)
        printf("         reason: %s\n", r.reason);
    idc_pre_result_clear(&r);
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 3;
    static const struct {
        size_t m, J;
    } sizes[] = {{12, 8}, {20, 12}, {24, 16}, {40, 10}};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        idc_pdgmm g;
        build(&g, sizes[t].m, sizes[t].J, 0, 0, 1 + t);
        run("coord", &g, reps);
        idc_pdgmm_clear(&g);
        build(&g, sizes[t].m, sizes[t].J, 0, 1, 1 + t);
        run("coord+l", &g, reps);
        idc_pdgmm_clear(&g);
        build(&g, sizes[t].m, sizes[t].J, 1, 0, 1 + t);
        run("ident", &g, reps);
        idc_pdgmm_clear(&g);
    }
    idc_gen_pdgmm_params p;
    idc_gen_pdgmm_defaults(&p);
    p.m = 40;
    p.J = 10;
    p.ratio = 0.5;
    idc_instance inst;
    idc_err err;
    if (idc_gen_pdgmm(&inst, &p, 7, &err) != IDC_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    run("frame", &inst.prior, reps);
    idc_instance_clear(&inst);
    return 0;
}
