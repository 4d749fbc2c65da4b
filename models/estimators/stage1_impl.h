/* Internals of Stage 1 exposed to its tests and to code that builds on a
 * trained Stage-1 model (models/estimators/stage1.h). Not part of the stable API. */
#ifndef IDC_MODELS_STAGE1_IMPL_H
#define IDC_MODELS_STAGE1_IMPL_H

#include "models/engine/engine.h"
#include "models/estimators/stage1.h"

/* As idc_stage1_new, on the CPU backend of scalar type dt (IDC_DTYPE_F64
 * runs the same code in double, for gradient checks). */
idc_stage1 *idc_stage1_new_dtype(const idc_stage1_config *c, size_t xdim, idc_dtype dt,
                                 idc_err *err);

/* The encoder and decoder networks. */
idc_mlp *idc_stage1_encoder(idc_stage1 *s);
idc_mlp *idc_stage1_decoder(idc_stage1 *s);

/* All learnable parameters: the encoder's then the decoder's. */
size_t idc_stage1_nparams(const idc_stage1 *s);
void idc_stage1_get_params(const idc_stage1 *s, double *p);
void idc_stage1_set_params(idc_stage1 *s, const double *p);

/* One train-mode evaluation of the loss on the given rows (2 <= rows <=
 * batch; xb is rows x xdim, taken as is, no sampling) without an update:
 * *loss = L, and grad (nparams, may be NULL) = dL/dparams in the order of
 * idc_stage1_get_params. Updates the batch-norm running statistics like a
 * training step does. IDC_EINVAL for bad rows or a non-finite xb. */
int idc_stage1_loss_grad(idc_stage1 *s, const double *xb, size_t rows, double *loss, double *grad,
                         idc_err *err);

#endif
