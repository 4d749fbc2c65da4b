/* Run-time choice of the training engine's backend: `--device cpu|cuda|auto`.
 *
 *   cpu   the OpenBLAS backend (idc_backend_cpu), always available;
 *   cuda  the CUDA backend (gpu/cuda.h); an error when idcheck was built
 *         without CUDA or no device is usable;
 *   auto  cuda when built with CUDA and a device is usable, else cpu, with
 *         a note saying why cuda was not taken (so the fallback is visible).
 */
#ifndef IDC_MODELS_BACKEND_SELECT_H
#define IDC_MODELS_BACKEND_SELECT_H

#include <stddef.h>

#include "models/engine/engine.h"
#include "numeric/status.h"

typedef enum { IDC_DEVICE_CPU = 0, IDC_DEVICE_CUDA = 1, IDC_DEVICE_AUTO = 2 } idc_device;

/* Parses "cpu", "cuda" or "auto" into *out; IDC_EINVAL otherwise
 * ("--device: expected cpu, cuda or auto, got \"gpu\""). */
int idc_device_parse(idc_device *out, const char *s, idc_err *err);

/* The name of a device choice ("cpu", "cuda", "auto"). */
const char *idc_device_name(idc_device d);

/* Sets *out to the backend for dev and scalar type dt. note (may be NULL;
 * note_len bytes) receives "" or, when auto falls back to the CPU, one
 * line such as "--device auto: using cpu (cuda unavailable: built without
 * CUDA ...)" for the caller to show. IDC_EINVAL (a usage error for the
 * CLI) with the reason in err when dev is cuda and CUDA is unavailable
 * (*out = NULL), and for an unknown dev. Cost: the first cuda or auto call initialises the CUDA
 * runtime (about a second with a device). */
int idc_backend_select(const idc_backend **out, idc_device dev, idc_dtype dt, char *note, size_t note_len,
                       idc_err *err);

/* For estimators that use the device without a kernel table (the flow,
 * models/estimators/flow.h): *out = IDC_DEVICE_CPU or IDC_DEVICE_CUDA for
 * dev, with the note and errors of idc_backend_select (cuda: a usable
 * device, idc_gpu_device_count > 0, else IDC_EINVAL "--device cuda: ...";
 * auto: cuda when usable, else cpu with the note). Loads the CUDA backend
 * library for cuda and auto. */
int idc_device_resolve(idc_device *out, idc_device dev, char *note, size_t note_len, idc_err *err);

#endif
