/* The training engine: a small, explicit MLP engine (not an autograd).
 *
 * Three layers of abstraction, each a composition of the one below:
 *
 *   idc_backend  a table of device kernels (allocation, host transfer,
 *                GEMM, elementwise forward/backward, reductions, the Adam
 *                step) over one scalar type. The CPU backend runs on OpenBLAS
 *                in float (production) or double (gradient checks and
 *                references), sequential (idc_backend_cpu) or split over a
 *                thread team (idc_backend_cpu_new); gpu/ implements the
 *                same table with CUDA.
 *   idc_mlp      a chain of layers (dense, leaky-ReLU, batch norm) with its
 *                parameters, gradients, running statistics and activation
 *                workspaces, all sized at _new: forward and backward never
 *                allocate.
 *   idc_adam     the Adam optimiser state over a flat parameter vector.
 *
 * Estimators (Stage 1, Stage 2, VaDE, iVAE, VAE) compose engine calls:
 * forward, a loss (idc_mlp_loss_mse, idc_mlp_loss_code), backward, Adam.
 *
 * Conventions. Matrices are row-major with one sample per row. A dense
 * layer with `in` inputs and `out` outputs holds W (out x in, row-major,
 * the PyTorch nn.Linear layout) followed by b (out), and computes
 * Y = X W^T + b. Pointers typed `void *` below point to backend memory of
 * the backend's scalar type (float for IDC_DTYPE_F32, double for
 * IDC_DTYPE_F64); `double *` pointers are host memory.
 *
 * Numerics. Values are stored in the backend's scalar type and GEMM
 * accumulates in it (OpenBLAS); every other reduction (column sums,
 * batch-norm statistics, loss sums) is accumulated in double in a fixed
 * order, and elementwise updates (batch norm, Adam) are evaluated in double
 * and rounded once.
 *
 * Determinism. Every CPU kernel has a fixed reduction order and every GEMM
 * a fixed cut into parts (models/engine/backend_cpu_impl.h), so results are a pure
 * function of the inputs with OpenBLAS on one thread (the estimators pin
 * it, idc_blas_set_threads), whether the parts run one after another
 * (idc_backend_cpu) or on a thread team (idc_backend_cpu_new). OpenBLAS
 * picks its GEMM kernels by CPU model at run time, so bit-identity holds
 * on one machine kind, not across CPU generations.
 */
#ifndef IDC_MODELS_ENGINE_H
#define IDC_MODELS_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "numeric/rng.h"
#include "numeric/status.h"

/* ---------------------------------------------------------------------- */
/* Backends                                                                */

typedef enum { IDC_DTYPE_F32 = 0, IDC_DTYPE_F64 = 1 } idc_dtype;

/* Bytes per element of dt (4 or 8). */
size_t idc_dtype_size(idc_dtype dt);

typedef struct idc_backend idc_backend;

/* A kernel table. Every kernel takes the table itself first (a device
 * backend keeps its handle/stream in ctx). Sizes are element counts.
 * Unless a field says otherwise, outputs must not alias inputs. Kernels do
 * not fail: callers validate sizes (rows, cols >= 1, dims <= INT_MAX). */
struct idc_backend {
    const char *name; /* "cpu-f32", "cpu-f64", ... */
    idc_dtype dtype;
    void *ctx; /* backend private state; NULL for the CPU */

    /* n zeroed elements (n = 0 allowed); NULL when out of memory. */
    void *(*alloc)(const idc_backend *be, size_t n);
    /* Releases alloc'd memory; NULL is a no-op. */
    void (*release)(const idc_backend *be, void *p);
    /* dst[i] = src[i] rounded to the scalar type (round to nearest). */
    void (*set_d)(const idc_backend *be, void *dst, const double *src, size_t n);
    /* dst[i] = src[i] (exact widening). */
    void (*get_d)(const idc_backend *be, double *dst, const void *src, size_t n);
    /* dst[i] = src[i]. */
    void (*copy)(const idc_backend *be, void *dst, const void *src, size_t n);
    /* Row r of dst (rows x cols) = row idx[r] of src (idx is host memory). */
    void (*gather_rows)(const idc_backend *be, void *dst, const void *src, size_t cols,
                        const size_t *idx, size_t rows);
    /* Row r of dst (rows x cols) = row idc_rng_below(s, k0 + r, n) of src
     * (n >= 1 rows): a minibatch drawn where the data lives, from the same
     * Philox stream as on the host (numeric/rng.h), so one seed picks the
     * same rows on every backend and no index array is transferred. */
    void (*gather_random_rows)(const idc_backend *be, void *dst, const void *src, size_t cols,
                               idc_rng s, uint64_t k0, size_t rows, size_t n);
    /* C (m x n) = alpha op(A) op(B) + beta C, op(X) = X^T when the flag is
     * non-zero; leading dimensions as in row-major CBLAS. */
    void (*gemm)(const idc_backend *be, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                 double alpha, const void *a, size_t lda, const void *b, size_t ldb, double beta,
                 void *c, size_t ldc);
    /* Y[i][j] += b[j] for a rows x cols Y. */
    void (*add_bias)(const idc_backend *be, void *y, const void *b, size_t rows, size_t cols);
    /* out[j] = sum_i Y[i][j] (accumulated in double, i ascending). */
    void (*sum_rows)(const idc_backend *be, void *out, const void *y, size_t rows, size_t cols);
    /* y = x for x > 0, slope * x otherwise (y may alias x). */
    void (*leaky_fwd)(const idc_backend *be, void *y, const void *x, size_t n, double slope);
    /* dx = dy for y > 0, slope * dy otherwise, where y is the forward output;
     * exact for slope >= 0, since then y > 0 iff x > 0 (dx may alias dy). */
    void (*leaky_bwd)(const idc_backend *be, void *dx, const void *dy, const void *y, size_t n,
                      double slope);
    /* Optional (NULL: the engine calls leaky_bwd, then sum_rows): leaky_bwd
     * over a rows x cols matrix fused with sum_rows of its result,
     * dsum[j] = sum_i dx[i][j] (double, i ascending, so the same values as
     * the two calls) — one pass over the gradient instead of two. dx may
     * alias dy, not dsum. */
    void (*leaky_bwd_sum)(const idc_backend *be, void *dx, void *dsum, const void *dy,
                          const void *y, size_t rows, size_t cols, double slope);
    /* Batch norm in train mode over the rows of x (rows >= 2, rows x cols):
     * mean and biased variance per column (two passes, in double),
     * xhat = (x - mean) / sqrt(var + eps), y = gamma xhat + beta; stores
     * xhat and invstd = 1 / sqrt(var + eps) for the backward pass and
     * updates run_mean = (1 - momentum) run_mean + momentum mean,
     * run_var = (1 - momentum) run_var + momentum var rows / (rows - 1). */
    void (*bn_fwd_train)(const idc_backend *be, void *y, void *xhat, void *invstd, void *run_mean,
                         void *run_var, const void *x, const void *gamma, const void *beta,
                         size_t rows, size_t cols, double eps, double momentum);
    /* Batch norm in eval mode: y = gamma (x - run_mean) / sqrt(run_var + eps)
     * + beta, row by row (independent of the other rows). */
    void (*bn_fwd_eval)(const idc_backend *be, void *y, const void *x, const void *gamma,
                        const void *beta, const void *run_mean, const void *run_var, size_t rows,
                        size_t cols, double eps);
    /* Backward of bn_fwd_train: dbeta = sum_i dy, dgamma = sum_i dy xhat,
     * dx = gamma invstd / rows (rows dy - dbeta - xhat dgamma); dx may be
     * NULL (only the parameter gradients are wanted). */
    void (*bn_bwd)(const idc_backend *be, void *dx, void *dgamma, void *dbeta, const void *dy,
                   const void *xhat, const void *invstd, const void *gamma, size_t rows,
                   size_t cols);
    /* Returns scale * sum_i (y_i - t_i)^2 (t = 0 when target is NULL),
     * accumulated in double; grad (may be NULL) receives 2 scale (y - t), or
     * has it added when accumulate is non-zero. */
    double (*sqerr)(const idc_backend *be, void *grad, const void *y, const void *target,
                    size_t n, double scale, int accumulate);
    /* Sums that stay in backend memory, so that a training loop need not
     * wait for the device at every step. alloc_sums: n zeroed doubles
     * (freed by release; NULL when out of memory). read_sums: copies n of
     * them to the host, waiting for the device. */
    void *(*alloc_sums)(const idc_backend *be, size_t n);
    void (*read_sums)(const idc_backend *be, double *dst, const void *sums, size_t n);
    /* sqerr with the scaled sum written to sums[slot] instead of returned
     * (the same value), without waiting for the device. */
    void (*sqerr_sum)(const idc_backend *be, void *grad, const void *y, const void *target,
                      size_t n, double scale, int accumulate, void *sums, size_t slot);
    /* The L1 term: sums[slot] = sum_i |z_i| (double, i ascending) and, when
     * dz is not NULL, dz_i = dz_i + w sign(z_i) (in double, rounded once;
     * sign(0) = 0). dz may not alias z. */
    void (*abs_sign)(const idc_backend *be, void *dz, const void *z, size_t n, double w,
                     void *sums, size_t slot);
    /* One Adam update of n parameters, in double per element:
     * m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
     * p -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps), where bc1 = 1 - b1^t
     * and bc2 = 1 - b2^t are the bias corrections of step t. */
    void (*adam)(const idc_backend *be, void *p, void *m, void *v, const void *g, size_t n,
                 double lr, double b1, double b2, double eps, double bc1, double bc2);
};

/* The CPU backend (OpenBLAS) for dt; a static table, never NULL. */
const idc_backend *idc_backend_cpu(idc_dtype dt);

/* A CPU backend for dt whose kernels split large operations over `threads`
 * threads (the caller and threads - 1 workers; 1..64), with the values of
 * idc_backend_cpu(dt) bit for bit for any thread count: GEMMs split along
 * the rows or columns of C (each part over the full inner dimension),
 * elementwise kernels along elements or rows, column sums along columns;
 * small operations, batch norm and the loss sums stay in the caller.
 * OpenBLAS must run one thread meanwhile (idc_blas_set_threads(1)): the
 * team replaces OpenBLAS's threads rather than competing with them. One
 * caller thread at a time. NULL with err set (IDC_EINVAL, IDC_ENOMEM,
 * IDC_EIO). */
idc_backend *idc_backend_cpu_new(idc_dtype dt, unsigned threads, idc_err *err);
/* Stops the threads of a table from idc_backend_cpu_new; NULL is a no-op. */
void idc_backend_cpu_free(idc_backend *be);
/* The table an estimator runs on with `threads` CPU threads: for
 * threads > 1 and *be one of idc_backend_cpu's tables, *own = a new
 * threaded table of the same type and *be = *own (free *own with
 * idc_backend_cpu_free); otherwise *own = NULL and *be unchanged (a device
 * table, or one thread). IDC_OK, or IDC_EINVAL (threads beyond 64) or
 * IDC_ENOMEM with idc_backend_cpu_new's message. */
int idc_backend_cpu_team(const idc_backend **be, idc_backend **own, unsigned threads, idc_err *err);
/* Threads of a CPU table (1 for idc_backend_cpu's; be must be a CPU table). */
unsigned idc_backend_cpu_threads(const idc_backend *be);

/* ---------------------------------------------------------------------- */
/* Layers and networks                                                     */

typedef enum {
    IDC_MLP_DENSE = 0,    /* Y = X W^T + b; width = out */
    IDC_MLP_LEAKY = 1,    /* leaky-ReLU with `slope` (1.0 = identity, 0 = ReLU) */
    IDC_MLP_BATCHNORM = 2 /* batch norm with learnable gamma, beta (see below) */
} idc_mlp_kind;

/* One layer of a network. Fields a kind does not use are ignored.
 *
 * Batch norm (the PyTorch BatchNorm1d semantics, affine = True): gamma and
 * beta are learnable parameters initialised to 1 and 0; running_mean and
 * running_var are state (not parameters) initialised to 0 and 1 and updated
 * in train mode with `momentum`; eval mode normalises with them. Keeping
 * gamma and beta learnable matches the reference implementation of the
 * pdGMM paper, whose code layer is nn.BatchNorm1d with default arguments. */
typedef struct {
    idc_mlp_kind kind;
    size_t width;    /* IDC_MLP_DENSE: number of outputs (>= 1) */
    double slope;    /* IDC_MLP_LEAKY: finite, >= 0 */
    double eps;      /* IDC_MLP_BATCHNORM: finite, > 0 (PyTorch: 1e-5) */
    double momentum; /* IDC_MLP_BATCHNORM: in [0, 1] (PyTorch: 0.1) */
} idc_mlp_layer;

/* Layer constructors. */
idc_mlp_layer idc_mlp_dense(size_t width);
idc_mlp_layer idc_mlp_leaky(double slope);
idc_mlp_layer idc_mlp_batchnorm(double eps, double momentum);

/* Limits enforced by idc_mlp_new (EINVAL beyond them). */
#define IDC_MLP_MAX_LAYERS 1024
#define IDC_MLP_MAX_WIDTH ((size_t)1 << 20)
#define IDC_MLP_MAX_ROWS ((size_t)1 << 24)
#define IDC_MLP_MAX_ELEMS ((size_t)1 << 32) /* per buffer and per layer's parameters */

typedef struct idc_mlp idc_mlp;

/* A network on backend be with in_dim inputs and the nlayers (>= 1) layers
 * of spec (copied), able to process up to max_rows rows per call. Weights
 * and biases start at zero, batch norm at gamma = 1, beta = 0,
 * running_mean = 0, running_var = 1; call idc_mlp_init for random weights.
 * Returns NULL with err set on a bad specification (IDC_EINVAL, e.g.
 * "mlp.layers[2].slope: must be finite and >= 0") or out of memory
 * (IDC_ENOMEM). Memory: 2 nparams + nstate elements, plus max_rows x
 * (one output per dense and batch-norm layer, and per leaky layer when it
 * is the first; xhat per batch-norm layer; two gradient buffers of the
 * widest width) elements: leaky layers after the first work in place. */
idc_mlp *idc_mlp_new(const idc_backend *be, size_t in_dim, const idc_mlp_layer *spec,
                     size_t nlayers, size_t max_rows, idc_err *err);

/* Frees m; NULL is a no-op. */
void idc_mlp_free(idc_mlp *m);

const idc_backend *idc_mlp_backend(const idc_mlp *m);
size_t idc_mlp_in_dim(const idc_mlp *m);
size_t idc_mlp_out_dim(const idc_mlp *m);
size_t idc_mlp_max_rows(const idc_mlp *m);
size_t idc_mlp_nlayers(const idc_mlp *m);
/* The specification of layer l (< nlayers). */
const idc_mlp_layer *idc_mlp_layer_spec(const idc_mlp *m, size_t l);

/* Learnable parameters: one flat vector, layer by layer (dense: W then b;
 * batch norm: gamma then beta). State: one flat vector of the batch-norm
 * running statistics (running_mean then running_var per layer). */
size_t idc_mlp_nparams(const idc_mlp *m);
size_t idc_mlp_nstate(const idc_mlp *m);
/* Offset and count of layer l's block in the parameter / state vector. */
void idc_mlp_param_range(const idc_mlp *m, size_t l, size_t *offset, size_t *count);
void idc_mlp_state_range(const idc_mlp *m, size_t l, size_t *offset, size_t *count);

/* The backend buffers themselves (nparams / nparams / nstate elements). The
 * gradient buffer holds the gradient of the last idc_mlp_backward. */
void *idc_mlp_params(idc_mlp *m);
void *idc_mlp_grads(idc_mlp *m);
void *idc_mlp_state(idc_mlp *m);

/* Copies to / from host doubles (set_ rounds to the backend type). */
void idc_mlp_get_params(const idc_mlp *m, double *out);
void idc_mlp_set_params(idc_mlp *m, const double *in);
void idc_mlp_get_grads(const idc_mlp *m, double *out);
void idc_mlp_get_state(const idc_mlp *m, double *out);
void idc_mlp_set_state(idc_mlp *m, const double *in);

/* Weight initialisation (the PyTorch nn.Linear default). For dense layer l
 * with fan-in `in`, parameter j of the layer's block (W row-major, then b)
 * is bound (2 u - 1), bound = 1 / sqrt(in), u = idc_rng_uniform(s, k) with
 * draw index k = tag * 2^48 + l * 2^32 + j (rounded to the backend type).
 * Batch norm: gamma = 1, beta = 0, running_mean = 0, running_var = 1. A pure
 * function of (s, tag); tag tells apart the networks of one estimator.
 * IDC_EINVAL when tag >= 2^16, IDC_ENOMEM when the host scratch (one
 * layer's parameters) cannot be allocated. */
int idc_mlp_init(idc_mlp *m, idc_rng s, uint32_t tag, idc_err *err);

/* Forward pass of rows (1..max_rows) rows of x (rows x in_dim, backend
 * memory). train != 0: batch norm uses batch statistics and updates its
 * running statistics, and the activations are kept for idc_mlp_backward
 * (x must stay unchanged until then); train = 0: batch norm uses running
 * statistics and every row is processed independently of the others.
 * The result is at idc_mlp_output(m) until the next forward. IDC_EINVAL
 * when rows is out of range or when train and a batch-norm layer get
 * rows < 2. Cost: 2 rows sum(in out) flops. */
int idc_mlp_forward(idc_mlp *m, const void *x, size_t rows, int train, idc_err *err);

/* The output (rows x out_dim) of the last forward pass. */
const void *idc_mlp_output(const idc_mlp *m);

/* The output of layer l (rows x the layer's width) of the last forward
 * pass; NULL when l >= nlayers. A leaky layer after the first works in
 * place, so its output is the preceding layer's buffer. */
const void *idc_mlp_layer_output(const idc_mlp *m, size_t l);

/* Backward pass of the last train-mode forward: given dy = dL/d(output)
 * (rows x out_dim, the same rows), sets the gradient buffer to dL/dparams
 * and, when dx is not NULL, dx (rows x in_dim) = dL/dx. May be called
 * several times after one forward. IDC_EINVAL when the last forward was not
 * a train-mode pass of `rows` rows. Cost: about twice the forward. */
int idc_mlp_backward(idc_mlp *m, void *dx, const void *dy, size_t rows, idc_err *err);

/* ---------------------------------------------------------------------- */
/* Losses (normalisations as in PyTorch)                                   */

/* Both losses return their value (accumulated in double) and, when grad is
 * not NULL, write their gradient into grad (accumulate = 0) or add it to
 * what grad holds (accumulate != 0, to combine with a gradient from
 * elsewhere). grad may not alias the inputs. */

/* Mean squared error: weight / (rows cols) sum (yhat - y)^2 over the
 * rows x cols entries; equals weight * nn.MSELoss(reduction="mean"). */
double idc_mlp_loss_mse(const idc_backend *be, void *grad, const void *yhat, const void *y,
                        size_t rows, size_t cols, double weight, int accumulate);

/* Code penalty: weight / rows sum_i (1/2) |z_i|^2 over the rows z_i of z
 * (rows x cols): the mean negative standard-normal log-density of the
 * codes, less its constant (cols / 2) log(2 pi). */
double idc_mlp_loss_code(const idc_backend *be, void *grad, const void *z, size_t rows,
                         size_t cols, double weight, int accumulate);

/* The same two losses with the value written to sums[slot] (backend memory
 * from be->alloc_sums) instead of returned: no wait for the device. */
void idc_mlp_loss_mse_to(const idc_backend *be, void *grad, const void *yhat, const void *y,
                         size_t rows, size_t cols, double weight, int accumulate, void *sums,
                         size_t slot);
void idc_mlp_loss_code_to(const idc_backend *be, void *grad, const void *z, size_t rows,
                          size_t cols, double weight, int accumulate, void *sums, size_t slot);

/* ---------------------------------------------------------------------- */
/* Adam                                                                    */

typedef struct {
    double lr;    /* learning rate, > 0 */
    double beta1; /* in [0, 1); default 0.9 */
    double beta2; /* in [0, 1); default 0.999 */
    double eps;   /* > 0; default 1e-8 */
} idc_adam_config;

/* lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 (Kingma and Ba). */
void idc_adam_config_default(idc_adam_config *c);

typedef struct idc_adam idc_adam;

/* Adam state (first and second moments, zero, and a step counter t = 0)
 * for n parameters on backend be. NULL with err set when out of memory. */
idc_adam *idc_adam_new(const idc_backend *be, size_t n, idc_err *err);

/* Frees a; NULL is a no-op. */
void idc_adam_free(idc_adam *a);

/* Step t + 1 of Adam with bias correction (the backend's adam kernel with
 * bc1 = 1 - beta1^t, bc2 = 1 - beta2^t, t counted after the increment):
 * updates params (n elements) in place from grads. */
void idc_adam_step(idc_adam *a, const idc_adam_config *c, void *params, const void *grads);

/* Number of steps taken. */
uint64_t idc_adam_steps(const idc_adam *a);

/* ---------------------------------------------------------------------- */
/* Extra-gradient Adam (Gidel et al. 2019, "A variational inequality
 * perspective on GANs", Alg. "Extra-Adam")                                */

/* One extra-gradient step is two calls on the same parameters:
 *   extrapolate(g(p_t)):   backup = p_t;  p = p_t - Adam(g(p_t))
 *   step(g(p_{t+1/2})):    p = backup - Adam(g(p_{t+1/2}))
 * where the gradient of the second call is evaluated at the extrapolated
 * point. Both calls advance the Adam moments and the step counter (as in
 * the reference Extra-Adam), so the bias corrections see 2 updates per
 * extra-gradient step. Used for the primal and dual players of a
 * Lagrangian (Stage 2). */
typedef struct idc_extra_adam idc_extra_adam;

/* State for n parameters on backend be; NULL with err set when out of
 * memory. */
idc_extra_adam *idc_extra_adam_new(const idc_backend *be, size_t n, idc_err *err);
void idc_extra_adam_free(idc_extra_adam *a);
void idc_extra_adam_extrapolate(idc_extra_adam *a, const idc_adam_config *c, void *params, const void *grads);
void idc_extra_adam_step(idc_extra_adam *a, const idc_adam_config *c, void *params, const void *grads);
/* Adam updates taken so far (two per extra-gradient step). */
uint64_t idc_extra_adam_updates(const idc_extra_adam *a);

/* ---------------------------------------------------------------------- */
/* JSON                                                                    */

/* The network as JSON: {"in_dim": d, "layers": [ {"kind": "dense", "in",
 * "out", "W": [out*in numbers, row-major], "b": [out]}, {"kind":
 * "leaky_relu", "slope"}, {"kind": "batchnorm", "width", "eps", "momentum",
 * "gamma", "beta", "running_mean", "running_var"} ]}. Numbers are JSON
 * reals holding the stored values exactly (float widened to double); dump
 * them with JSON_REAL_PRECISION(9) or more (Jansson's default, 17, is fine)
 * for float, 17 for double, to round-trip bit for bit. NULL when out of
 * memory or when a value is not finite. */
json_t *idc_mlp_get_json(const idc_mlp *m);

/* Loads parameters and state from JSON made by idc_mlp_get_json into m,
 * whose architecture (in_dim, kinds, widths, slopes, eps, momentum) must
 * match exactly. IDC_EINVAL with the JSON path in err ("layers[2].W:
 * expected 48 numbers, got 47") on any mismatch or non-finite number;
 * m is unchanged then. IDC_ENOMEM when scratch cannot be allocated. */
int idc_mlp_set_json(idc_mlp *m, const json_t *j, idc_err *err);

#endif
