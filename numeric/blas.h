/* Thin controls over the OpenBLAS library used by the float linear algebra
 * and by the CPU backend of the training engine (models/engine/engine.h).
 *
 * OpenBLAS keeps one process-wide thread count. Its GEMM is bit-reproducible
 * for a fixed thread count on a fixed CPU kind, but idcheck does not rely on
 * results being equal across thread counts: the estimators set one thread
 * before they train or encode (parallelism comes from running trials in
 * parallel worker threads). */
#ifndef IDC_NUMERIC_BLAS_H
#define IDC_NUMERIC_BLAS_H

#include <stddef.h>

#include "numeric/status.h"

/* Sets the number of OpenBLAS worker threads for the whole process
 * (n >= 1; smaller values are taken as 1). Does nothing when the count is
 * already n. Not safe to race with a running BLAS call on another thread
 * that expects a different count. */
void idc_blas_set_threads(int n);

/* The current OpenBLAS thread count. */
int idc_blas_get_threads(void);

/* The file name of the loaded object that defines `symbol` as the process
 * resolves it (dlsym(RTLD_DEFAULT) then dladdr), e.g.
 * "/lib/x86_64-linux-gnu/libopenblas.so.0" for "cblas_sgemm". The string
 * belongs to the dynamic loader and stays valid while the object is loaded.
 * NULL when no loaded object defines the symbol. */
const char *idc_blas_symbol_library(const char *symbol);

/* The object that answers the training engine's GEMM (cblas_sgemm), by
 * idc_blas_symbol_library. The build links one BLAS, OpenBLAS, with GSL's
 * CBLAS calls resolved to it too (Makefile: GSL_LIBS). */
const char *idc_blas_gemm_library(void);

/* ---- The OpenBLAS core (kernel set) --------------------------------------
 *
 * A DYNAMIC_ARCH OpenBLAS picks its kernels from the CPU when it loads,
 * unless OPENBLAS_CORETYPE names a core. It can misdetect: a virtual CPU
 * that calls itself a generic "Intel Xeon Processor" while it has AVX-512
 * gets Prescott (SSE3) kernels from OpenBLAS 0.3.21 (sgemm 4-5x slower), and
 * a Zen 4 CPU gets Haswell kernels although SkylakeX's run (its AVX-512 is
 * there). GEMM results differ in their last bits between cores, and trained
 * figures drift with them, so the core is part of a result's provenance.
 *
 * The idcheck command (cli/blas_core.c) applies the rule of
 * idc_blas_core_decide before OpenBLAS has done any work: when the user set
 * no core and OpenBLAS's choice is below the best core the CPU's own feature
 * flags support, it re-executes itself once with OPENBLAS_CORETYPE set and
 * the marker IDC_BLAS_CORE_MARK = "ORIGIN:DETECTED" (who chose the core,
 * and what OpenBLAS had picked on its own), then checks the new core with
 * idc_blas_gemm_check before trusting it. */

/* CPU features, usable ones only (the AVX and AVX-512 register states
 * enabled by the OS, XCR0). */
enum {
    IDC_CPU_SSE2 = 1u << 0,
    IDC_CPU_SSE3 = 1u << 1,
    IDC_CPU_SSSE3 = 1u << 2,
    IDC_CPU_SSE41 = 1u << 3,
    IDC_CPU_SSE42 = 1u << 4,
    IDC_CPU_AVX = 1u << 5,
    IDC_CPU_FMA = 1u << 6,
    IDC_CPU_AVX2 = 1u << 7,
    IDC_CPU_AVX512F = 1u << 8,
    IDC_CPU_AVX512DQ = 1u << 9,
    IDC_CPU_AVX512CD = 1u << 10,
    IDC_CPU_AVX512BW = 1u << 11,
    IDC_CPU_AVX512VL = 1u << 12,
    IDC_CPU_AVX512BF16 = 1u << 13
};

/* The environment variable that marks OPENBLAS_CORETYPE as set by idcheck
 * (not by the user): "ORIGIN:DETECTED". */
#define IDC_BLAS_CORE_MARK "IDCHECK_BLAS_CORE_BY"

/* The IDC_CPU_* features of this CPU (cpuid and xgetbv); 0 off x86. */
unsigned idc_blas_cpu_features(void);

/* The best OpenBLAS core whose kernels need only the given features
 * (a pure function): AVX512 F+DQ+CD+BW+VL with AVX2 and FMA -> "SkylakeX";
 * AVX2 + FMA -> "Haswell"; AVX -> "Sandybridge"; SSE4.2 -> "Nehalem";
 * SSE4.1 -> "Penryn"; SSSE3 -> "Core2"; SSE3 -> "Prescott"; NULL below. */
const char *idc_blas_core_for_features(unsigned features);

/* The canonical spelling of an OpenBLAS x86-64 core name, matched without
 * regard to case ("haswell" -> "Haswell"); NULL for a name idcheck does not
 * know. */
const char *idc_blas_core_canonical(const char *name);

/* The instruction-set level of a core, for comparing OpenBLAS's choice with
 * the best one: 0 SSE2 (Katmai ... Opteron), 1 SSE3 (Prescott, Barcelona,
 * ...), 2 SSSE3 (Core2, Atom), 3 SSE4.1 (Penryn, Dunnington), 4 SSE4.2
 * (Nehalem), 5 AVX (Sandybridge, Bulldozer ... Steamroller), 6 AVX2
 * (Haswell, Zen, Excavator), 7 AVX-512 (SkylakeX, Cooperlake,
 * SapphireRapids); -1 for an unknown name. */
int idc_blas_core_level(const char *name);

/* 1 when idcheck can select the core on a CPU with these features (a
 * core idcheck offers, whose instructions the features cover), else 0.
 * Offered: Prescott, Core2, Penryn, Nehalem, Sandybridge, Haswell, Zen,
 * SkylakeX, Cooperlake. */
int idc_blas_core_selectable(const char *name, unsigned features);

/* The core OpenBLAS loaded in this process (openblas_get_corename). */
const char *idc_blas_core(void);

/* What decides the core of a process (inputs of idc_blas_core_decide). */
typedef struct {
    const char *requested; /* --blas-core NAME, or NULL */
    const char *env;       /* OPENBLAS_CORETYPE as found, or NULL */
    const char *mark;      /* IDC_BLAS_CORE_MARK as found, or NULL */
    const char *loaded;    /* the core OpenBLAS loaded (idc_blas_core()) */
    unsigned features;     /* idc_blas_cpu_features() */
} idc_blas_core_in;

/* The decision. */
typedef struct {
    int reexec;        /* 1: start again with OPENBLAS_CORETYPE = core */
    int verify;        /* 1: idcheck chose the loaded core: check it (gemm_check) */
    char core[32];     /* the core to run with */
    char origin[24];   /* "openblas", "cpu-flags", "OPENBLAS_CORETYPE", "--blas-core", "fallback" */
    char detected[32]; /* OpenBLAS's own choice, "" when unknown */
} idc_blas_core_plan;

/* The rule, as a pure function of its inputs:
 *  - requested (--blas-core): that core, when known and selectable on the
 *    CPU; it wins over OPENBLAS_CORETYPE (it is the more explicit request).
 *  - else OPENBLAS_CORETYPE set by the user (no mark): never overridden.
 *  - else a mark (a process idcheck started): its choice is kept.
 *  - else idc_blas_core_for_features(features) when its level is above the
 *    loaded core's (origin "cpu-flags"); otherwise the loaded core (origin
 *    "openblas"; an unknown loaded core is left alone).
 * plan->reexec is set when the chosen core is not the loaded one and
 * OPENBLAS_CORETYPE does not already name it (if it does, OpenBLAS refused
 * it: requested -> IDC_EDOM, automatic -> the loaded core is kept), so a
 * process re-executes at most once for a choice. plan->verify is set when
 * the loaded core is idcheck's automatic or requested choice.
 * Statuses: IDC_OK; IDC_EINVAL for an unknown requested name (the message
 * lists the known ones) or NULL arguments; IDC_EDOM when the CPU lacks the
 * requested core's instructions or OpenBLAS did not load it. */
int idc_blas_core_decide(idc_blas_core_plan *plan, const idc_blas_core_in *in, idc_err *err)
    __attribute__((warn_unused_result));

/* The core of this process and who chose it, for provenance: read from
 * idc_blas_core(), OPENBLAS_CORETYPE and the mark. origin is "openblas"
 * (detected = core) without either, "OPENBLAS_CORETYPE" (detected = "")
 * when the user set it, else the mark's. cpu_best is
 * idc_blas_core_for_features of this CPU ("" when none). */
typedef struct {
    char core[32], origin[24], detected[32], cpu_best[32];
} idc_blas_core_info;
void idc_blas_core_info_get(idc_blas_core_info *info);

/* Checks the loaded GEMM kernels: sgemm and dgemm, row- and column-major,
 * every transpose pair, shapes from 1 x 1 x 1 to 64 x 33 x 17 and
 * 37 x 29 x 53 (edge tiles included), alpha 1 and 0.5, beta 0 and 0.5, on
 * operands of multiples of 1/8 in [-1, 1], whose products and sums are exact
 * in float, so every correct kernel gives the reference bit for bit
 * whatever its summation order. Statuses: IDC_OK; IDC_EDOM when an entry
 * differs (the message names the call and the entry); IDC_ENOMEM. About
 * 1.5 M multiply-adds (a few ms). */
int idc_blas_gemm_check(idc_err *err) __attribute__((warn_unused_result));

#endif
