/* The gpu/cuda.h entry points. The backend itself (gpu/backend_cuda.c,
 * gpu/kernels.cu, cuBLAS, the CUDA runtime) lives in libidcheck-cuda.so,
 * which this file dlopen()s on the first call that needs a device
 * (gpu/plugin_impl.h), so that a process that never asks for one maps none
 * of CUDA. Calls about a table (is_cuda, status, device_name, ...) never
 * load it: a CUDA table cannot exist before the library is loaded.
 *
 * Where the library is looked for, first match wins:
 *   1. $IDCHECK_CUDA_LIB, when set and not empty (and nowhere else);
 *   2. next to the executable (the folder of /proc/self/exe);
 *   3. ../lib from the executable (PREFIX/bin/idcheck -> PREFIX/lib);
 *   4. the dynamic linker's search (LD_LIBRARY_PATH, ld.so.cache, ...).
 * A build without CUDA (no IDC_HAVE_CUDA: no nvcc, so no library was made)
 * loads only a library named by $IDCHECK_CUDA_LIB (the tests' stand-in,
 * gpu/tests/fake_plugin.c) and otherwise answers "built without CUDA".
 * A library that is found but cannot be loaded (a missing cuBLAS, another
 * build's library) is reported as such, not skipped. A failed load is not
 * remembered: the next call looks again. A loaded library stays loaded. */
#define _GNU_SOURCE /* dladdr */
#include "gpu/cuda.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gpu/plugin_impl.h"

#define NOT_CUDA "gpu: not a CUDA backend"
#define NO_CUDA "built without CUDA (no nvcc when idcheck was compiled)"

static pthread_mutex_t load_mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(const idc_gpu_plugin *) loaded;
static char loaded_path[PATH_MAX]; /* written before `loaded` is published */

/* The loaded library's table, or NULL; never loads. */
static const idc_gpu_plugin *current(void)
{
    return atomic_load_explicit(&loaded, memory_order_acquire);
}

/* dlopen()s path (as dlopen reads it: with a slash a file, else a search)
 * and checks that it is this build's backend. The table, or NULL with err
 * set (label, e.g. "IDCHECK_CUDA_LIB=", goes before path in it). */
static const idc_gpu_plugin *open_plugin(const char *path, const char *label, idc_err *err)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *why = dlerror();
        if (why == NULL)
            why = "unknown dlopen error";
        idc_err_set(err, IDC_EUNABLE, "CUDA backend: cannot load %s%.200s: %.250s", label, path, why);
        return NULL;
    }
    void *sym = dlsym(h, IDC_GPU_PLUGIN_SYMBOL);
    if (sym == NULL) {
        dlclose(h);
        idc_err_set(err, IDC_EUNABLE, "CUDA backend: %s%.300s is not an idcheck CUDA backend (no %s)", label, path,
                    IDC_GPU_PLUGIN_SYMBOL);
        return NULL;
    }
    idc_gpu_plugin_fn fn;
    memcpy(&fn, &sym, sizeof fn);
    const idc_gpu_plugin *p = fn();
    if (p == NULL || p->abi != IDC_GPU_PLUGIN_ABI || p->version == NULL || strcmp(p->version, IDC_VERSION) != 0 ||
        p->backend_size != sizeof(idc_backend) || p->err_size != sizeof(idc_err) ||
        p->rowp_size != sizeof(idc_flow_rowp)) {
        idc_err_set(err, IDC_EUNABLE,
                    "CUDA backend: %s%.250s is from another build (idcheck %.20s, interface %d; this is idcheck "
                    "%s, interface %d)",
                    label, path, p != NULL && p->version != NULL ? p->version : "?", p != NULL ? p->abi : -1,
                    IDC_VERSION, IDC_GPU_PLUGIN_ABI);
        dlclose(h);
        return NULL;
    }
    Dl_info info;
    const char *where = dladdr(sym, &info) != 0 && info.dli_fname != NULL ? info.dli_fname : path;
    snprintf(loaded_path, sizeof loaded_path, "%s", where);
    return p;
}

static int file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Looks for the library (see the top of this file) and loads it. */
static const idc_gpu_plugin *find_plugin(idc_err *err)
{
    const char *env = getenv("IDCHECK_CUDA_LIB");
    if (env != NULL && env[0] != '\0')
        return open_plugin(env, "IDCHECK_CUDA_LIB=", err);
    if (!idc_gpu_built()) {
        idc_err_set(err, IDC_EUNABLE, NO_CUDA);
        return NULL;
    }
    char dir[PATH_MAX] = "";
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
    if (n > 0) {
        dir[n] = '\0';
        char *slash = strrchr(dir, '/');
        if (slash != NULL)
            *slash = '\0';
        else
            dir[0] = '\0';
    }
    if (dir[0] != '\0') {
        static const char *const rel[] = {"/" IDC_GPU_PLUGIN_FILE, "/../lib/" IDC_GPU_PLUGIN_FILE};
        for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
            char path[PATH_MAX + 64];
            if ((size_t)snprintf(path, sizeof path, "%s%s", dir, rel[i]) < sizeof path && file_exists(path))
                return open_plugin(path, "", err);
        }
    }
    const idc_gpu_plugin *p = open_plugin(IDC_GPU_PLUGIN_FILE, "", err);
    if (p == NULL && err != NULL && strstr(err->msg, IDC_GPU_PLUGIN_FILE ": cannot open shared object file") != NULL)
        idc_err_set(err, IDC_EUNABLE,
                    "CUDA backend %s not found (looked next to the executable%s%.200s, in ../lib and on the library "
                    "path; IDCHECK_CUDA_LIB=FILE names it)",
                    IDC_GPU_PLUGIN_FILE, dir[0] != '\0' ? " in " : "", dir);
    return p;
}

/* The library's table, loading it on first use; NULL with err set when it
 * cannot be found or loaded. */
static const idc_gpu_plugin *need(idc_err *err)
{
    const idc_gpu_plugin *p = current();
    if (p != NULL)
        return p;
    pthread_mutex_lock(&load_mu);
    p = current();
    if (p == NULL) {
        idc_err why = {{0}};
        p = find_plugin(&why);
        if (p != NULL)
            atomic_store_explicit(&loaded, p, memory_order_release);
        else
            idc_err_set(err, IDC_EUNABLE, "%s", why.msg);
    }
    pthread_mutex_unlock(&load_mu);
    return p;
}

int idc_gpu_built(void)
{
#ifdef IDC_HAVE_CUDA
    return 1;
#else
    return 0;
#endif
}

const char *idc_gpu_library_path(void)
{
    return current() != NULL ? loaded_path : NULL;
}

int idc_gpu_device_count(idc_err *err)
{
    const idc_gpu_plugin *p = need(err);
    return p != NULL ? p->device_count(err) : 0;
}

const idc_backend *idc_backend_cuda(idc_dtype dt, idc_err *err)
{
    const idc_gpu_plugin *p = need(err);
    return p != NULL ? p->backend_shared(dt, err) : NULL;
}

void idc_gpu_shutdown(void)
{
    const idc_gpu_plugin *p = current();
    if (p != NULL)
        p->shutdown();
}

idc_backend *idc_gpu_backend_new(idc_dtype dt, int device, idc_err *err)
{
    const idc_gpu_plugin *p = need(err);
    return p != NULL ? p->backend_new(dt, device, err) : NULL;
}

void idc_gpu_backend_free(idc_backend *be)
{
    const idc_gpu_plugin *p = current();
    if (p != NULL && be != NULL)
        p->backend_free(be);
}

int idc_gpu_is_cuda(const idc_backend *be)
{
    const idc_gpu_plugin *p = current();
    return p != NULL && p->is_cuda(be);
}

int idc_gpu_status(const idc_backend *be, idc_err *err)
{
    const idc_gpu_plugin *p = current();
    return p != NULL ? p->status(be, err) : idc_err_set(err, IDC_EINVAL, NOT_CUDA);
}

int idc_gpu_sync(const idc_backend *be, idc_err *err)
{
    const idc_gpu_plugin *p = current();
    return p != NULL ? p->sync(be, err) : idc_err_set(err, IDC_EINVAL, NOT_CUDA);
}

const char *idc_gpu_device_name(const idc_backend *be)
{
    const idc_gpu_plugin *p = current();
    return p != NULL ? p->device_name(be) : "";
}

int idc_gpu_set_math(const idc_backend *be, idc_gpu_math mode, idc_err *err)
{
    const idc_gpu_plugin *p = current();
    return p != NULL ? p->set_math(be, mode, err) : idc_err_set(err, IDC_EINVAL, NOT_CUDA);
}

idc_gpu_math idc_gpu_get_math(const idc_backend *be)
{
    const idc_gpu_plugin *p = current();
    return p != NULL ? p->get_math(be) : IDC_GPU_MATH_DEFAULT;
}

idc_gpu_flow *idc_gpu_flow_new(int device, idc_err *err)
{
    const idc_gpu_plugin *p = need(err);
    return p != NULL ? p->flow_new(device, err) : NULL;
}

void idc_gpu_flow_free(idc_gpu_flow *g)
{
    const idc_gpu_plugin *p = current();
    if (p != NULL && g != NULL)
        p->flow_free(g);
}

int idc_gpu_flow_rows(idc_gpu_flow *g, unsigned slot, const double *x, size_t n, size_t m, idc_err *err)
{
    const idc_gpu_plugin *p = current();
    if (p == NULL || g == NULL)
        return idc_err_set(err, IDC_EINVAL, "gpu: not a CUDA flow evaluator");
    if (slot >= IDC_GPU_FLOW_SLOTS || x == NULL || n < 1 || m < 1 || m > IDC_FLOW_ROW_MAX_DIM)
        return idc_err_set(err, IDC_EINVAL, "gpu flow rows: slot %u, n %zu, m %zu: expected slot < %d, n >= 1, "
                           "m in 1..%d", slot, n, m, IDC_GPU_FLOW_SLOTS, IDC_FLOW_ROW_MAX_DIM);
    return p->flow_rows(g, slot, x, n, m, err);
}

int idc_gpu_flow_sums(idc_gpu_flow *g, unsigned slot, const idc_flow_rowp *rp, int grad, double bw, double *part,
                      double *lp, idc_err *err)
{
    const idc_gpu_plugin *p = current();
    if (p == NULL || g == NULL)
        return idc_err_set(err, IDC_EINVAL, "gpu: not a CUDA flow evaluator");
    if (slot >= IDC_GPU_FLOW_SLOTS || rp == NULL || part == NULL || rp->m < 1 || rp->m > IDC_FLOW_ROW_MAX_DIM ||
        rp->t < 1 || rp->t > IDC_FLOW_ROW_MAX_DEPTH || rp->J < 1 || rp->J > IDC_FLOW_ROW_MAX_J)
        return idc_err_set(err, IDC_EINVAL, "gpu flow sums: slot %u, m %zu, depth %zu, J %zu: expected slot < %d, "
                           "m in 1..%d, depth in 1..%d, J in 1..%d", slot, rp != NULL ? rp->m : 0,
                           rp != NULL ? rp->t : 0, rp != NULL ? rp->J : 0, IDC_GPU_FLOW_SLOTS, IDC_FLOW_ROW_MAX_DIM,
                           IDC_FLOW_ROW_MAX_DEPTH, IDC_FLOW_ROW_MAX_J);
    return p->flow_sums(g, slot, rp, grad, bw, part, lp, err);
}
