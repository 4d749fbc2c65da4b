/* What a result needs to be re-derived: the versions of idcheck and of every
 * library it links, the build flags and the backend. */
#ifndef IDC_REPORTS_PROVENANCE_H
#define IDC_REPORTS_PROVENANCE_H

#include <jansson.h>

/* A new JSON object {"idcheck": VERSION, "source": {"id", and "commit",
 * "dirty" for a git build or "source_sha256" for a tarball build},
 * "libraries": {...}, "build": {...}, "backend": "cpu", "device": "cpu",
 * "blas": {"core", "chosen_by", "openblas_detected", "cpu_best",
 * "gemm_library"}, "cpu": {"model", "isa": [the kernel-relevant
 * /proc/cpuinfo flags present], "logical_cpus"}, "threads": {"openblas",
 * "omp_num_threads"}} ("blas": the OpenBLAS core of this process and who
 * chose it, see numeric/blas.h idc_blas_core_info_get). A verb that trains
 * elsewhere or on more threads sets "backend", "device" and adds its own
 * thread counts (idc_provenance_set). Caller owns the reference. NULL on
 * allocation failure. */
json_t *idc_provenance_json(void);

/* prov[key] = value (a new reference taken over), e.g. "device" ->
 * "cuda:0 NVIDIA H100", or a count under "threads" with key
 * "threads.jobs". Returns 0 on success. */
int idc_provenance_set(json_t *prov, const char *key, json_t *value);

/* The source id baked into the build: "git:COMMIT[+dirty]" or
 * "tree:SHA256" (ci/source-id.sh), "unknown" when built without it. */
const char *idc_source_id(void);

/* idcheck's version string. */
const char *idc_version(void);

#endif
