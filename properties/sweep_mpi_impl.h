/* The MPI transport plugin of idcheck sweep (internal: shared by the loader,
 * properties/sweep_mpi.c, and the plugin, properties/sweep_mpi_plugin.c).
 *
 * libidcheck-mpi.so is the only object that links libmpi: it is built by
 * the Makefile when mpicc is found and dlopen()ed by idcheck only when it was
 * launched by mpirun with more than one rank, so the idcheck binary neither
 * links nor needs MPI. The plugin exports one symbol, idc_mpi_plugin_v1, a
 * table of blocking point-to-point byte messages on MPI_COMM_WORLD. */
#ifndef IDC_PROPERTIES_SWEEP_MPI_IMPL_H
#define IDC_PROPERTIES_SWEEP_MPI_IMPL_H

#include <stddef.h>

#define IDC_MPI_PLUGIN_ABI 1
#define IDC_MPI_PLUGIN_SYMBOL "idc_mpi_plugin_v1"

typedef struct {
    int abi; /* IDC_MPI_PLUGIN_ABI */
    /* MPI_Init_thread asking for MPI_THREAD_SERIALIZED: *rank, *size, and
     * *serialized = 1 when that level was granted (else calls must come
     * from the thread that initialised). 0 ok; else msg says why. */
    int (*init)(int *rank, int *size, int *serialized, char *msg, size_t cap);
    /* Sends len bytes to rank dest with tag. 0 ok. */
    int (*send)(int dest, int tag, const void *buf, size_t len, char *msg, size_t cap);
    /* Receives the next message from src (-1: any) with tag (-1: any):
     * *buf (malloc'ed, len + 1 bytes, NUL-terminated), *len, *from, *tag_out.
     * 0 ok. */
    int (*recv)(int src, int tag, void **buf, size_t *len, int *from, int *tag_out, char *msg, size_t cap);
    void (*finalize)(void);
    /* The MPI library's version string. */
    const char *(*library)(void);
} idc_mpi_plugin;

#endif
