/* libidcheck-mpi.so: the MPI transport of idcheck sweep (see
 * sweep_mpi_impl.h). Compiled only by the Makefile's mpicc rule, with
 * IDC_MPI_PLUGIN_BUILD defined; in the library build this file is empty. */
#ifdef IDC_MPI_PLUGIN_BUILD
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include <mpi.h>

#include "properties/sweep_mpi_impl.h"

static void why(int rc, const char *what, char *msg, size_t cap)
{
    char s[MPI_MAX_ERROR_STRING];
    int n = 0;
    if (MPI_Error_string(rc, s, &n) != MPI_SUCCESS)
        snprintf(s, sizeof s, "error %d", rc);
    snprintf(msg, cap, "MPI: %s: %s", what, s);
}

static int init(int *rank, int *size, int *serialized, char *msg, size_t cap)
{
    int provided = 0;
    int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
    if (rc != MPI_SUCCESS) {
        why(rc, "MPI_Init_thread", msg, cap);
        return -1;
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    *serialized = provided >= MPI_THREAD_SERIALIZED;
    return 0;
}

static int send_bytes(int dest, int tag, const void *buf, size_t len, char *msg, size_t cap)
{
    if (len > INT_MAX) {
        snprintf(msg, cap, "MPI: a message of %zu bytes is too long", len);
        return -1;
    }
    int rc = MPI_Send(buf, (int)len, MPI_BYTE, dest, tag, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) {
        why(rc, "MPI_Send", msg, cap);
        return -1;
    }
    return 0;
}

static int recv_bytes(int src, int tag, void **buf, size_t *len, int *from, int *tag_out, char *msg, size_t cap)
{
    MPI_Status st;
    int rc = MPI_Probe(src < 0 ? MPI_ANY_SOURCE : src, tag < 0 ? MPI_ANY_TAG : tag, MPI_COMM_WORLD, &st);
    int n = 0;
    if (rc == MPI_SUCCESS)
        rc = MPI_Get_count(&st, MPI_BYTE, &n);
    if (rc != MPI_SUCCESS) {
        why(rc, "MPI_Probe", msg, cap);
        return -1;
    }
    char *b = malloc((size_t)n + 1);
    if (b == NULL) {
        snprintf(msg, cap, "out of memory");
        return -1;
    }
    rc = MPI_Recv(b, n, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) {
        free(b);
        why(rc, "MPI_Recv", msg, cap);
        return -1;
    }
    b[n] = '\0';
    *buf = b;
    *len = (size_t)n;
    *from = st.MPI_SOURCE;
    *tag_out = st.MPI_TAG;
    return 0;
}

static void finalize(void)
{
    int done = 0;
    MPI_Finalized(&done);
    if (!done)
        MPI_Finalize();
}

static const char *library(void)
{
    static char v[MPI_MAX_LIBRARY_VERSION_STRING];
    int n = 0;
    if (MPI_Get_library_version(v, &n) != MPI_SUCCESS)
        v[0] = '\0';
    for (int i = 0; v[i]; i++)
        if (v[i] == '\n' || v[i] == ',')
            v[i] = v[i] == ',' ? ',' : '\0';
    return v;
}

__attribute__((visibility("default"))) const idc_mpi_plugin idc_mpi_plugin_v1 = {
    IDC_MPI_PLUGIN_ABI, init, send_bytes, recv_bytes, finalize, library};
#endif
