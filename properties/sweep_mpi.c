/* A sweep over MPI ranks through the libidcheck-mpi.so plugin (see
 * sweep_mpi.h and sweep_mpi_impl.h). */
#include "properties/sweep_mpi.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "properties/sweep_mpi_impl.h"
#include "reports/provenance.h"

enum { TAG_ASK = 1, TAG_CELL = 2, TAG_RECORD = 3, TAG_DONE = 4, TAG_HELLO = 5 };

struct idc_sweep_mpi {
    const idc_mpi_plugin *p;
    int rank, size, serialized;
};

int idc_sweep_mpi_launched(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v != NULL && *v != '\0')
            return atoi(v);
    }
    return 0;
}

static void *try_open(const char *path, char *why, size_t cap)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL); /* global: Open MPI's components resolve libmpi's symbols */
    if (h == NULL) {
        const char *e = dlerror();
        snprintf(why, cap, "%s", e ? e : "unknown dlopen error");
    }
    return h;
}

int idc_sweep_mpi_open(idc_sweep_mpi **out, idc_err *err)
{
    *out = NULL;
    char why[512] = "", path[PATH_MAX + 32] = "";
    void *h = NULL;
    const char *env = getenv("IDCHECK_MPI_LIB");
    if (env != NULL && *env != '\0') {
        snprintf(path, sizeof path, "%s", env);
        h = try_open(path, why, sizeof why);
    } else {
        char dir[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
        if (n > 0) {
            dir[n] = '\0';
            char *slash = strrchr(dir, '/');
            if (slash != NULL)
                *slash = '\0';
            snprintf(path, sizeof path, "%s/libidcheck-mpi.so", dir);
            if (access(path, F_OK) != 0)
                snprintf(path, sizeof path, "%s/../lib/libidcheck-mpi.so", dir);
            if (access(path, F_OK) == 0)
                h = try_open(path, why, sizeof why);
            else
                snprintf(why, sizeof why, "no libidcheck-mpi.so beside %.400s/idcheck or in ../lib", dir);
        }
    }
    if (h == NULL)
        return idc_err_set(err, IDC_EINVAL,
                           "launched by mpirun with %d ranks, but this idcheck has no MPI plugin (%s%s%s): build "
                           "it with Debian's libopenmpi-dev installed (make finds mpicc), set IDCHECK_MPI_LIB, or "
                           "run without mpirun",
                           idc_sweep_mpi_launched(), path[0] ? path : "", path[0] ? ": " : "", why);
    const idc_mpi_plugin *p = dlsym(h, IDC_MPI_PLUGIN_SYMBOL);
    if (p == NULL || p->abi != IDC_MPI_PLUGIN_ABI)
        return idc_err_set(err, IDC_EINVAL, "%s: not an idcheck MPI plugin of this version (ABI %d expected)", path,
                           IDC_MPI_PLUGIN_ABI);
    idc_sweep_mpi *m = calloc(1, sizeof *m);
    if (m == NULL)
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    m->p = p;
    char msg[400] = "";
    if (p->init(&m->rank, &m->size, &m->serialized, msg, sizeof msg) != 0) {
        free(m);
        return idc_err_set(err, IDC_EINVAL, "%s", msg);
    }
    *out = m;
    return IDC_OK;
}

int idc_sweep_mpi_rank(const idc_sweep_mpi *m)
{
    return m->rank;
}

int idc_sweep_mpi_size(const idc_sweep_mpi *m)
{
    return m->size;
}

void idc_sweep_mpi_close(idc_sweep_mpi *m)
{
    if (m == NULL)
        return;
    m->p->finalize();
    free(m); /* the plugin stays loaded: MPI libraries are not made to be unloaded */
}

static void put_i64(unsigned char *b, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(u >> (8 * i));
}

static int64_t get_i64(const unsigned char *b)
{
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--)
        u = (u << 8) | b[i];
    return (int64_t)u;
}

static int send_msg(idc_sweep_mpi *m, int dest, int tag, const void *buf, size_t len, idc_err *err)
{
    char msg[400] = "";
    if (m->p->send(dest, tag, buf, len, msg, sizeof msg) != 0)
        return idc_err_set(err, IDC_EIO, "rank %d: %s", m->rank, msg);
    return IDC_OK;
}

static int recv_msg(idc_sweep_mpi *m, int src, int tag, unsigned char **buf, size_t *len, int *from, int *tag_out,
                    idc_err *err)
{
    char msg[400] = "";
    void *b = NULL;
    if (m->p->recv(src, tag, &b, len, from, tag_out, msg, sizeof msg) != 0)
        return idc_err_set(err, IDC_EIO, "rank %d: %s", m->rank, msg);
    *buf = b;
    return IDC_OK;
}

int idc_sweep_mpi_lead(idc_sweep_mpi *m, const idc_sweep *s, const unsigned char *skip, idc_sweep_put_fn put,
                       void *put_ctx, idc_err *err)
{
    int workers = m->size - 1, done = 0, status = IDC_OK;
    size_t next = 0;
    idc_err first = {""};
    while (done < workers) {
        unsigned char *b = NULL;
        size_t len = 0;
        int from = 0, tag = 0;
        int rc = recv_msg(m, -1, -1, &b, &len, &from, &tag, err);
        if (rc != IDC_OK) /* the transport itself failed: nothing more can be received */
            return rc;
        if (tag == TAG_ASK) {
            int64_t cell = -1;
            if (s != NULL && status == IDC_OK && strcmp((const char *)b, s->id) != 0) {
                status = idc_err_set(&first, IDC_EINVAL,
                                     "rank %d parsed another sweep (id %.16s; rank 0 runs %s): every rank must read "
                                     "the same file",
                                     from, (const char *)b, s->id);
            }
            if (s != NULL && status == IDC_OK) {
                while (next < s->ncells && skip != NULL && skip[next])
                    next++;
                if (next < s->ncells)
                    cell = (int64_t)next++;
            }
            unsigned char r[8];
            put_i64(r, cell);
            rc = send_msg(m, from, TAG_CELL, r, sizeof r, err);
        } else if (tag == TAG_RECORD && len >= 8) {
            int64_t cell = get_i64(b);
            json_error_t je;
            json_t *rec = json_loadb((const char *)b + 8, len - 8, 0, &je);
            if (s != NULL && status == IDC_OK) {
                if (rec == NULL || cell < 0 || (size_t)cell >= s->ncells)
                    status = idc_err_set(&first, IDC_EINTERNAL, "rank %d sent a malformed record (%s)", from,
                                         rec == NULL ? je.text : "cell out of range");
                else if (put != NULL)
                    status = put(put_ctx, s, (size_t)cell, rec, &first);
            }
            json_decref(rec);
        } else if (tag == TAG_DONE) {
            done++;
            if (len > 0 && status == IDC_OK && s != NULL) /* s NULL: rank 0 failed first and said so */
                status = idc_err_set(&first, IDC_EIO, "rank %d: %s", from, (const char *)b);
        } else if (status == IDC_OK) {
            status = idc_err_set(&first, IDC_EINTERNAL, "rank %d sent an unknown message (tag %d)", from, tag);
        }
        free(b);
        if (rc != IDC_OK)
            return rc;
    }
    if (status != IDC_OK)
        return idc_err_set(err, status, "%s", first.msg);
    return IDC_OK;
}

typedef struct {
    idc_sweep_mpi *m;
    const idc_sweep *s;
    pthread_mutex_t lock; /* one MPI call at a time (MPI_THREAD_SERIALIZED) */
    int stop, status;
    idc_err err;
} work;

static void fail(work *w, int rc, const idc_err *e)
{
    if (!w->stop) {
        w->stop = 1;
        w->status = rc;
        w->err = *e;
    }
}

static void *worker(void *arg)
{
    work *w = arg;
    for (;;) {
        idc_err e;
        pthread_mutex_lock(&w->lock);
        int64_t cell = -1;
        if (!w->stop) {
            int rc = send_msg(w->m, 0, TAG_ASK, w->s->id, strlen(w->s->id) + 1, &e);
            unsigned char *b = NULL;
            size_t len = 0;
            int from, tag;
            if (rc == IDC_OK)
                rc = recv_msg(w->m, 0, TAG_CELL, &b, &len, &from, &tag, &e);
            if (rc == IDC_OK && len == 8)
                cell = get_i64(b);
            else if (rc == IDC_OK)
                rc = idc_err_set(&e, IDC_EINTERNAL, "rank 0 sent a malformed cell number");
            free(b);
            if (rc != IDC_OK)
                fail(w, rc, &e);
        }
        pthread_mutex_unlock(&w->lock);
        if (cell < 0 || (size_t)cell >= w->s->ncells)
            return NULL;
        json_t *rec = NULL;
        int rc = idc_sweep_run_cell(&rec, w->s, (size_t)cell, &e);
        char *text = rc == IDC_OK ? json_dumps(rec, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
        json_decref(rec);
        if (rc == IDC_OK && text == NULL)
            rc = idc_err_set(&e, IDC_ENOMEM, "out of memory");
        size_t n = text ? strlen(text) : 0;
        unsigned char *msg = rc == IDC_OK ? malloc(8 + n) : NULL;
        if (rc == IDC_OK && msg == NULL)
            rc = idc_err_set(&e, IDC_ENOMEM, "out of memory");
        pthread_mutex_lock(&w->lock);
        if (rc == IDC_OK) {
            put_i64(msg, cell);
            memcpy(msg + 8, text, n);
            rc = send_msg(w->m, 0, TAG_RECORD, msg, 8 + n, &e);
        }
        if (rc != IDC_OK)
            fail(w, rc, &e);
        pthread_mutex_unlock(&w->lock);
        free(msg);
        free(text);
    }
}

json_t *idc_sweep_mpi_machine(int rank, unsigned threads)
{
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    json_t *prov = idc_provenance_json();
    json_t *m = json_pack("{s:i,s:s,s:i,s:I}", "rank", rank, "host", host[0] ? host : "(unknown)", "pid",
                          (int)getpid(), "sweep_threads", (json_int_t)threads);
    static const char *const keys[] = {"cpu", "blas", "threads", "backend", "device"};
    for (size_t i = 0; m != NULL && i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(prov, keys[i]);
        if (v != NULL)
            json_object_set(m, keys[i], v);
    }
    json_decref(prov);
    return m;
}

int idc_sweep_mpi_machines(idc_sweep_mpi *m, unsigned threads, json_t **ranks, idc_err *err)
{
    *ranks = json_array();
    json_t **by = calloc((size_t)m->size, sizeof *by);
    if (*ranks == NULL || by == NULL) {
        free(by);
        return idc_err_set(err, IDC_ENOMEM, "out of memory");
    }
    by[0] = idc_sweep_mpi_machine(0, threads);
    int rc = IDC_OK;
    for (int k = 1; k < m->size && rc == IDC_OK; k++) {
        unsigned char *b = NULL;
        size_t len = 0;
        int from = 0, tag = 0;
        rc = recv_msg(m, -1, TAG_HELLO, &b, &len, &from, &tag, err);
        if (rc == IDC_OK) {
            json_t *j = json_loadb((const char *)b, len, 0, NULL);
            if (from < 1 || from >= m->size || by[from] != NULL || !json_is_object(j)) {
                json_decref(j);
                rc = idc_err_set(err, IDC_EINTERNAL, "rank %d sent a malformed description of its machine", from);
            } else {
                json_object_set_new(j, "rank", json_integer(from)); /* as MPI says, not as it says */
                by[from] = j;
            }
        }
        free(b);
    }
    for (int k = 0; k < m->size; k++) {
        if (rc == IDC_OK)
            json_array_append(*ranks, by[k]);
        json_decref(by[k]);
    }
    free(by);
    if (rc != IDC_OK) {
        json_decref(*ranks);
        *ranks = NULL;
    }
    return rc;
}

/* The machine of this rank to rank 0 (idc_sweep_mpi_machines). */
static int hello(idc_sweep_mpi *m, unsigned threads, idc_err *err)
{
    json_t *j = idc_sweep_mpi_machine(m->rank, threads);
    char *t = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    int rc = t != NULL ? send_msg(m, 0, TAG_HELLO, t, strlen(t), err) : idc_err_set(err, IDC_ENOMEM, "out of memory");
    free(t);
    return rc;
}

int idc_sweep_mpi_work(idc_sweep_mpi *m, const idc_sweep *s, const idc_err *load_err, unsigned threads, idc_err *err)
{
    int hrc = hello(m, threads, err);
    if (hrc != IDC_OK)
        return hrc;
    if (s == NULL) {
        const char *why = load_err != NULL && load_err->msg[0] ? load_err->msg : "could not load the sweep";
        idc_err e;
        int rc = send_msg(m, 0, TAG_DONE, why, strlen(why), &e);
        (void)rc;
        return idc_err_set(err, IDC_EINVAL, "%s", why);
    }
    work w = {m, s, PTHREAD_MUTEX_INITIALIZER, 0, IDC_OK, {""}};
    unsigned t = threads < 1 ? 1 : threads > 256 ? 256 : threads;
    if (!m->serialized)
        t = 1;
    pthread_t tid[256];
    int started[256] = {0};
    for (unsigned i = 1; i < t; i++)
        started[i] = pthread_create(&tid[i], NULL, worker, &w) == 0;
    worker(&w);
    for (unsigned i = 1; i < t; i++)
        if (started[i])
            pthread_join(tid[i], NULL);
    pthread_mutex_destroy(&w.lock);
    const char *why = w.status != IDC_OK ? w.err.msg : "";
    idc_err e;
    int rc = send_msg(m, 0, TAG_DONE, why, strlen(why), &e);
    if (w.status != IDC_OK)
        return idc_err_set(err, w.status, "%s", w.err.msg);
    if (rc != IDC_OK)
        return idc_err_set(err, rc, "%s", e.msg);
    return IDC_OK;
}
