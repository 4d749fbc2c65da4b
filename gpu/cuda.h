/* The CUDA backend of the training engine: the idc_backend kernel table of
 * models/engine/engine.h on an NVIDIA GPU (cuBLAS GEMMs plus the kernels of
 * gpu/kernels.cu). No CUDA type appears here: callers see only the table.
 *
 * Built when the Makefile finds nvcc (it defines IDC_HAVE_CUDA); otherwise
 * every constructor below fails with "built without CUDA" and the queries
 * report no device, so callers need no #ifdef.
 *
 * Loading. The backend and the CUDA libraries it links (cuBLAS, the CUDA
 * runtime: about 0.3 s and 200 MB to map) are in a shared object of their
 * own, libidcheck-cuda.so, which libidcheck.a loads with dlopen() on the
 * first call that needs a device (idc_gpu_device_count, idc_backend_cuda,
 * idc_gpu_backend_new); a process that makes none of these calls maps no
 * CUDA library. It is looked for in $IDCHECK_CUDA_LIB (when set, only
 * there), next to the executable, in ../lib from it (an installed
 * PREFIX/bin/idcheck finds PREFIX/lib), then on the dynamic linker's path.
 * When it is missing or cannot be loaded, those calls fail (or report no
 * device) with the reason: "CUDA backend libidcheck-cuda.so not found
 * (...)", "CUDA backend: cannot load ...: libcublas.so.13: ...". The other
 * calls take a table and never load it (no CUDA table exists before).
 *
 * Semantics. Every kernel follows the contract of its idc_backend field,
 * with the numerics of the CPU backend: values in the table's scalar type,
 * GEMM accumulated in it (cuBLAS), every other reduction in double,
 * elementwise updates (batch norm, Adam, the sqerr gradient) evaluated in
 * double and rounded once. The kernels are compiled without FMA
 * contraction (--fmad=false), so an elementwise kernel given the same
 * inputs returns the CPU backend's values bit for bit; reductions add in
 * another (fixed) order than the CPU, so they agree to rounding.
 *
 * GEMM math mode. TF32 is off by default (CUBLAS_DEFAULT_MATH: float GEMMs
 * in full float). IDC_CUDA_MATH=tf32 in the environment when a table is
 * created, or idc_gpu_set_math, selects CUBLAS_TF32_TENSOR_OP_MATH (about
 * 1e-3 relative error, much faster on Ampere and Hopper); "pedantic"
 * selects CUBLAS_PEDANTIC_MATH.
 *
 * Determinism. One stream per table; no atomics; every reduction has a
 * fixed order that depends on the shape alone (gpu/launch.h). cuBLAS is
 * bit-reproducible run to run on GPUs of one architecture and
 * multiprocessor count with one cuBLAS version. So a seed gives
 * bit-identical training on the same GPU model and toolkit.
 *
 * Synchronisation. Kernels, copies, set_d and gather_rows are asynchronous
 * (host data is staged through pinned buffers, so the caller may reuse it
 * at once). get_d and sqerr wait for the device: sqerr's return value is
 * a host double, so each sqerr call is a host-device sync point. alloc
 * and release may synchronise the device (cudaMalloc/cudaFree).
 *
 * Errors. Kernels cannot fail by the idc_backend contract. The first
 * failing CUDA or cuBLAS call (checked after every call and every launch)
 * is recorded in the table with file, line and CUDA's message; from then
 * on the table does nothing: kernels return at once, get_d writes NaN,
 * sqerr returns NaN (so an estimator's finite-loss check stops training
 * with IDC_EDOM), alloc returns NULL. idc_gpu_status reports the error.
 * A failed allocation (out of device memory) returns NULL without
 * recording an error. With IDC_CUDA_SYNC=1 in the environment when a table
 * is created, it synchronises after every launch, so that an error is
 * charged to the launch that caused it (slow; for debugging).
 *
 * Threads. A table serialises its calls with a mutex, so several threads
 * may share one; calls from different threads then interleave on its one
 * stream. For concurrent training, give each thread its own table
 * (idc_gpu_backend_new). */
#ifndef IDC_GPU_CUDA_H
#define IDC_GPU_CUDA_H

#include <stddef.h>

#include "models/engine/engine.h"
#include "models/estimators/flow_row.h"
#include "numeric/status.h"

/* 1 when idcheck was built with CUDA (its libidcheck-cuda.so), 0 otherwise. */
int idc_gpu_built(void);

/* The file name of the loaded libidcheck-cuda.so, or NULL while none is
 * loaded (always NULL in a build without CUDA). Never loads it. */
const char *idc_gpu_library_path(void);

/* Number of CUDA devices usable now (0 without CUDA, without the backend
 * library, without a driver or without a device); err (may be NULL)
 * receives the reason when 0. Loads the backend library. */
int idc_gpu_device_count(idc_err *err);

/* The process-wide CUDA table for dt on device 0, created on first use
 * (thread-safe) and kept until exit. NULL with err set when built without
 * CUDA ("built without CUDA"), when the backend library cannot be loaded
 * ("CUDA backend ..."), when no device or driver is present ("no CUDA
 * device: ..."), or when creation fails (the failing CUDA call named in
 * err). Loads the backend library. */
const idc_backend *idc_backend_cuda(idc_dtype dt, idc_err *err);

/* Frees the shared tables of idc_backend_cuda (after waiting for their
 * work); a later idc_backend_cuda creates them anew. For leak checkers and
 * orderly exits: no buffer of theirs may be in use, and no other thread
 * may be using them. A no-op when none was created. */
void idc_gpu_shutdown(void);

/* A new table of its own (stream, cuBLAS handle, buffers) for dt on CUDA
 * device `device`; NULL with err set as for idc_backend_cuda. Free it
 * with idc_gpu_backend_free after releasing every buffer it allocated. */
idc_backend *idc_gpu_backend_new(idc_dtype dt, int device, idc_err *err);

/* Frees a table from idc_gpu_backend_new (waits for its work first); NULL
 * is a no-op. Never pass the shared table of idc_backend_cuda. */
void idc_gpu_backend_free(idc_backend *be);

/* 1 when be is a CUDA table (made here), 0 otherwise (e.g. the CPU's). */
int idc_gpu_is_cuda(const idc_backend *be);

/* IDC_OK when no CUDA call of be has failed; otherwise IDC_EIO with the
 * first failure in err ("gpu/backend_cuda.c:123: cublasSgemm: ..."). */
int idc_gpu_status(const idc_backend *be, idc_err *err);

/* Waits for be's queued work, then returns idc_gpu_status. */
int idc_gpu_sync(const idc_backend *be, idc_err *err);

/* The device's name ("NVIDIA H100 80GB HBM3"), "" for a non-CUDA table. */
const char *idc_gpu_device_name(const idc_backend *be);

/* GEMM math modes (see above). */
typedef enum {
    IDC_GPU_MATH_DEFAULT = 0, /* full float / double; the default */
    IDC_GPU_MATH_TF32 = 1,    /* float GEMMs on TF32 tensor cores */
    IDC_GPU_MATH_PEDANTIC = 2 /* CUBLAS_PEDANTIC_MATH */
} idc_gpu_math;

/* Sets be's cuBLAS math mode (takes effect for later GEMMs). IDC_EINVAL
 * for a non-CUDA table or an unknown mode, IDC_EIO when cuBLAS refuses. */
int idc_gpu_set_math(const idc_backend *be, idc_gpu_math mode, idc_err *err);

/* The current math mode of be (IDC_GPU_MATH_DEFAULT for a non-CUDA table). */
idc_gpu_math idc_gpu_get_math(const idc_backend *be);

/* ---- The flow estimator's row sums on a device ------------------------
 * (models/estimators/flow.h with config.device = IDC_DEVICE_CUDA.) The
 * per-row arithmetic of models/estimators/flow_row.h in a kernel
 * (gpu/flow_kernels.cu, double precision, --fmad=false): one thread per
 * row writes its terms into a zeroed slot, then one thread per (block of
 * IDC_FLOW_BLOCK rows, entry) adds the slots of its block in row order. So
 * the block sums are the CPU's (models/estimators/flow.c) up to the exp/log
 * of the device's libm, and the caller adds them in block order as the CPU
 * does. Status: written and compiled, never run on a GPU. */
typedef struct idc_gpu_flow idc_gpu_flow;

/* Rows slots of an idc_gpu_flow (rows stay on the device until replaced). */
#define IDC_GPU_FLOW_SLOTS 3

/* A flow evaluator on CUDA device `device` (own stream and buffers). NULL
 * with err set as for idc_gpu_backend_new. Loads the backend library. */
idc_gpu_flow *idc_gpu_flow_new(int device, idc_err *err);

/* Frees g (waits for its work); NULL is a no-op. */
void idc_gpu_flow_free(idc_gpu_flow *g);

/* Uploads the n x m rows x (n >= 1, 1 <= m <= IDC_FLOW_ROW_MAX_DIM) into slot (0 .. IDC_GPU_FLOW_SLOTS - 1), replacing what was
 * there. IDC_EINVAL (bad slot, n or m), IDC_ENOMEM (device memory), IDC_EIO
 * (a CUDA call failed; its message in err). Returns after the copy. */
int idc_gpu_flow_rows(idc_gpu_flow *g, unsigned slot, const double *x, size_t n, size_t m, idc_err *err);

/* The per-block sums of the rows in slot for the parameters p (host
 * arrays; p->m must be the rows' m): grad = 1: part (nblocks x
 * idc_flow_row_rawsize, nblocks = ceil(n / IDC_FLOW_BLOCK)) the gradient
 * sums of idc_flow_row_backward at bandwidth bw; grad = 0: part (nblocks x
 * idc_flow_row_statsize) the sums of idc_flow_row_stats and, when lp is
 * not NULL, lp (n) each row's exact log p^. Host arrays, written when the
 * call returns. IDC_EINVAL (empty slot, m mismatch, sizes above the flow's
 * maxima), IDC_ENOMEM, IDC_EIO. */
int idc_gpu_flow_sums(idc_gpu_flow *g, unsigned slot, const idc_flow_rowp *p, int grad, double bw, double *part,
                      double *lp, idc_err *err);

#endif
