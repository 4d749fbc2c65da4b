/* A sweep over MPI ranks (mpirun -np K idcheck sweep ...; DESIGN.md
 * "Scale"). Rank 0 owns the results store and hands out cells one at a time
 * to ranks 1..K-1, each running them on its own worker threads and sending
 * every finished record back; rank 0 passes each to its put callback (the
 * store write), so the store holds exactly what a single process would have
 * written (every record is a pure function of its cell). Cells in flight
 * when a rank dies are simply not recorded: --resume runs them again.
 *
 * MPI itself lives in libidcheck-mpi.so (properties/sweep_mpi_impl.h), a
 * plugin dlopen()ed only here: idcheck links no MPI library and runs without
 * one unless launched by mpirun. The plugin is looked up as
 * $IDCHECK_MPI_LIB (when set), else libidcheck-mpi.so beside the executable,
 * else ../lib/libidcheck-mpi.so from it.
 *
 * Messages (MPI_BYTE, MPI_COMM_WORLD): a worker thread asks for a cell
 * (tag 1, the sweep id, so ranks that parsed different files are refused),
 * rank 0 answers (tag 2, the cell's position as 8 bytes little-endian, or -1:
 * no more); a record goes back as tag 3 (position, then its JSON with
 * 17-digit reals, so every number arrives bit for bit); a rank whose threads
 * have finished sends tag 4 (empty, or its error). Rank 0 returns once every
 * other rank has sent tag 4. Before all this, each rank 1..K-1 sends tag 5,
 * the JSON description of its machine (idc_sweep_mpi_machine), which rank 0
 * collects first (idc_sweep_mpi_machines) and records in the run's
 * provenance ("sweep_run.ranks"). */
#ifndef IDC_PROPERTIES_SWEEP_MPI_H
#define IDC_PROPERTIES_SWEEP_MPI_H

#include <jansson.h>

#include "numeric/status.h"
#include "properties/sweep.h"
#include "properties/sweep_run.h"

typedef struct idc_sweep_mpi idc_sweep_mpi;

/* The number of ranks the launcher announces in the environment
 * (OMPI_COMM_WORLD_SIZE, else PMI_SIZE), 0 when not launched by one. */
int idc_sweep_mpi_launched(void);

/* Loads the plugin and initialises MPI. IDC_EINVAL with one line saying
 * what is missing (no plugin: "this idcheck was built without MPI ...").
 * IDC_ENOMEM. */
int idc_sweep_mpi_open(idc_sweep_mpi **m, idc_err *err) __attribute__((warn_unused_result));

int idc_sweep_mpi_rank(const idc_sweep_mpi *m);
int idc_sweep_mpi_size(const idc_sweep_mpi *m);

/* Rank 0: hands out the cells of s not skipped (skip: s->ncells flags, may
 * be NULL) and passes each record to put (one call at a time, on this
 * thread). s NULL: refuses every request (rank 0 could not start: the other
 * ranks then stop at once). Returns after every other rank is done: IDC_OK,
 * the first put status, or IDC_EINVAL/IDC_EIO naming the rank that failed
 * (its cells in flight are not recorded). */
int idc_sweep_mpi_lead(idc_sweep_mpi *m, const idc_sweep *s, const unsigned char *skip, idc_sweep_put_fn put,
                       void *put_ctx, idc_err *err) __attribute__((warn_unused_result));

/* Ranks 1..K-1: run the cells rank 0 hands out on `threads` threads (one
 * when MPI grants no MPI_THREAD_SERIALIZED). s NULL: this rank could not
 * parse the sweep (load_err says why); it tells rank 0 and returns that
 * error. */
int idc_sweep_mpi_work(idc_sweep_mpi *m, const idc_sweep *s, const idc_err *load_err, unsigned threads,
                       idc_err *err) __attribute__((warn_unused_result));

/* The machine a rank runs on, as the run's provenance records it for each
 * rank: {"rank", "host" (gethostname), "pid", "sweep_threads", and the
 * "cpu" (model, ISA flags, logical CPUs), "blas" (the OpenBLAS core in use),
 * "threads", "backend", "device" of reports/provenance.h}. New reference
 * (NULL when out of memory). */
json_t *idc_sweep_mpi_machine(int rank, unsigned threads);

/* Rank 0, before it leads: *ranks (new reference) = the machines of ranks
 * 0..K-1 in rank order (rank 0's own, then one message of tag 5 from each
 * other rank, which idc_sweep_mpi_work sends before anything else). Every
 * rank-0 path must call it once (the messages are then all received).
 * IDC_EINTERNAL for a malformed message, the transport's status. */
int idc_sweep_mpi_machines(idc_sweep_mpi *m, unsigned threads, json_t **ranks, idc_err *err)
    __attribute__((warn_unused_result));

/* Finalises MPI and unloads the plugin; NULL is a no-op. */
void idc_sweep_mpi_close(idc_sweep_mpi *m);

#endif
