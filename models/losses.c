/* The losses of the training engine (models/engine.h): both are the
 * backend's sqerr kernel with the PyTorch normalisations. */
#include "models/engine.h"

double idc_mlp_loss_mse(const idc_backend *be, void *grad, const void *yhat, const void *y,
                        size_t rows, size_t cols, double weight, int accumulate)
{
    double scale = weight / ((double)rows * (double)cols);
    return be->sqerr(be, grad, yhat, y, rows * cols, scale, accumulate);
}

double idc_mlp_loss_code(const idc_backend *be, void *grad, const void *z, size_t rows,
                         size_t cols, double weight, int accumulate)
{
    double scale = 0.5 * weight / (double)rows;
    return be->sqerr(be, grad, z, NULL, rows * cols, scale, accumulate);
}
