/* Benchmark of the exact precondition checks and their verifier (issue:
 * certified preconditions, item 7). Wall-clock milliseconds, best of 3, one
 * thread, for:
 *   - F4 (K Cor. H.9 modular-rank certificate) of a 10-layer width-64
 *     leaky-ReLU net (m = n = 64),
 *   - every default precondition of `idcheck check` on an m = 40, J = 10
 *     structured pdGMM (declared frame, half the coordinates per component)
 *     with a 10-layer m = 40 mixing net,
 *   - A3.4 and A3.6 on J = 12 components in m = 20: as declared (frame
 *     form: the certificate comes from the frame) and converted to plain
 *     factor form (no frame: the general exact algorithms run).
 * Each row: the check, the size, check ms, verify ms (the independent
 * verifier on the produced certificate), and the verdict. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "generators/pdgmm.h"
#include "theory/cert.h"
#include "theory/precond.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return 1e3 * (double)t.tv_sec + 1e-6 * (double)t.tv_nsec;
}

static void gen(idc_instance *inst, size_t m, size_t J, double ratio, size_t layers, uint64_t seed)
{
    idc_gen_pdgmm_params p;
    idc_gen_pdgmm_defaults(&p);
    p.m = m;
    p.J = J;
    p.ratio = ratio;
    p.layers = layers;
    idc_err err;
    if (idc_gen_pdgmm(inst, &p, seed, &err) != IDC_OK) {
        fprintf(stderr, "bench_cert: generator: %s\n", err.msg);
        exit(1);
    }
}

/* Drops the declared frame: FRAME components become FACTOR components with
 * the same (here exact: identity frame) mean and factor. */
static void to_factor(idc_instance *inst)
{
    for (size_t j = 0; j < inst->prior.ncomp; j++)
        inst->prior.comp[j].form = IDC_COMP_FACTOR;
    inst->prior.has_frame = 0;
}

/* Runs one check 3 times and its verifier; prints one row; returns the
 * check's best time. */
static double row(const char *id, const char *size, const idc_instance *inst)
{
    char hash[65];
    idc_err err;
    if (idc_instance_hash(hash, inst, &err) != IDC_OK) {
        fprintf(stderr, "bench_cert: %s\n", err.msg);
        exit(1);
    }
    double best = 1e300, vbest = 1e300;
    idc_verdict v = IDC_UNKNOWN;
    char reason[160] = "";
    for (int rep = 0; rep < 3; rep++) {
        idc_pre_result r;
        idc_pre_result_init(&r);
        double t0 = now_ms();
        if (idc_pre_check_hashed(&r, id, inst, hash, NULL, &err) != IDC_OK) {
            fprintf(stderr, "bench_cert: %s: %s\n", id, err.msg);
            exit(1);
        }
        double t1 = now_ms();
        best = t1 - t0 < best ? t1 - t0 : best;
        v = r.verdict;
        snprintf(reason, sizeof reason, "%s", r.reason);
        if (r.cert != NULL) {
            char why[256];
            double t2 = now_ms();
            int ok = idc_cert_verify(r.cert, inst, why, sizeof why) == IDC_OK;
            double t3 = now_ms();
            vbest = t3 - t2 < vbest ? t3 - t2 : vbest;
            if (!ok) {
                fprintf(stderr, "bench_cert: %s certificate rejected: %s\n", id, why);
                exit(1);
            }
        }
        idc_pre_result_clear(&r);
    }
    if (vbest < 1e300)
        printf("%-6s %-34s %10.2f %10.2f  %s\n", id, size, best, vbest, idc_verdict_name(v));
    else
        printf("%-6s %-34s %10.2f %10s  %s (%.60s)\n", id, size, best, "-", idc_verdict_name(v), reason);
    return best;
}

int main(void)
{
    static const char *const all[] = {"DIM",  "DIMU1", "F1",    "FC",    "F2",  "F3",   "F4",    "P1",
                                      "P1nd", "PD",    "P2",    "A3.4",  "A3.6", "A3.8a", "A3.8b", "I-i",
                                      "I-ii", "I-iii", "I-T2"};
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("%-6s %-34s %10s %10s  %s\n", "check", "size", "check ms", "verify ms", "verdict");
    idc_instance inst;
    gen(&inst, 64, 2, 1.0, 10, 7);
    row("F4", "10 layers 64x64 leaky (m = n = 64)", &inst);
    idc_instance_clear(&inst);

    gen(&inst, 40, 10, 0.5, 10, 8);
    double total = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        total += row(all[i], "m=40 J=10 frame, 10-layer net", &inst);
    printf("%-6s %-34s %10.2f\n", "all", "m=40 J=10 frame, 10-layer net", total);
    to_factor(&inst);
    row("A3.4", "m=40 J=10 plain factors", &inst);
    row("A3.6", "m=40 J=10 plain factors", &inst);
    idc_instance_clear(&inst);

    gen(&inst, 20, 12, 0.5, 1, 9);
    row("A3.4", "m=20 J=12 frame", &inst);
    row("A3.6", "m=20 J=12 frame", &inst);
    to_factor(&inst);
    row("A3.4", "m=20 J=12 plain factors", &inst);
    row("A3.6", "m=20 J=12 plain factors", &inst);
    idc_instance_clear(&inst);
    return 0;
}
