/* An instance: latent pdGMM + piecewise-affine mixing map + observation
 * noise + optional auxiliary variable + sample count, and its strict JSON
 * format ("idcheck_format": 1, documented in docs/FORMAT.md).
 *
 * Reading validates everything a later stage relies on and reports the
 * first problem as one line naming the JSON path, e.g.
 *   model.components[2].L: expected 10x3 matrix, got 10x4
 * with status IDC_EINVAL (IDC_EIO for unreadable files). */
#ifndef IDC_MODELS_INSTANCE_H
#define IDC_MODELS_INSTANCE_H

#include <stddef.h>

#include "models/pamap.h"
#include "models/pdgmm.h"
#include "numeric/status.h"

#define IDC_FORMAT_VERSION 1
#define IDC_MAX_SAMPLES ((size_t)1 << 30)
#define IDC_MAX_LAYERS 256
#define IDC_MAX_PIECES 100000
/* |sum of weights - 1| allowed for the doubles given; exact checkers treat
 * the weights as lambda_j / sum_k lambda_k. */
#define IDC_WEIGHT_SUM_TOL 1e-9

typedef enum {
    IDC_AUX_NONE = 0,  /* no auxiliary variable */
    IDC_AUX_LABEL = 1  /* u = the component label U (observed hidden state) */
} idc_aux_kind;

typedef struct {
    idc_pdgmm prior;
    idc_pamap map;
    double noise_sigma;   /* sigma >= 0 of x = f(z) + sigma * noise */
    idc_aux_kind aux;
    size_t nsamples;      /* default sample count */
    char *generator;      /* provenance object as compact JSON, or NULL */
} idc_instance;

void idc_instance_init(idc_instance *inst);
void idc_instance_clear(idc_instance *inst);

/* Parses and validates an instance from JSON text / a file. On failure inst
 * is left cleared (no partial model). */
int idc_instance_read_string(idc_instance *inst, const char *text, idc_err *err);
int idc_instance_read_file(idc_instance *inst, const char *path, idc_err *err);

/* Checks the invariants the readers enforce on an in-memory instance (used
 * by generators before writing). */
int idc_instance_validate(const idc_instance *inst, idc_err *err);

/* Canonical JSON text of the instance (sorted keys, doubles printed with 17
 * significant digits so they round-trip exactly). Caller frees. NULL on
 * allocation failure. */
char *idc_instance_dump(const idc_instance *inst);

/* Canonical JSON of the model part only ("model" and "map" and "noise"):
 * what certificates hash. Caller frees. */
char *idc_instance_dump_model(const idc_instance *inst);

/* Hex SHA-256 (64 chars + NUL) of idc_instance_dump_model. */
int idc_instance_hash(char out[65], const idc_instance *inst, idc_err *err);

/* Writes idc_instance_dump atomically (temporary file + rename), so an
 * existing file is never left half-written. */
int idc_instance_write_file(const idc_instance *inst, const char *path, idc_err *err);

#endif
