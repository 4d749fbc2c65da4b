/* The losses of the training engine (models/engine/engine.h): both are the
 * backend's sqerr kernel with the PyTorch normalisations, returning the
 * value (sqerr) or leaving it in backend memory (sqerr_sum). */
#include "models/engine/engine.h"

static double mse_scale(size_t rows, size_t cols, double weight)
{
    return weight / ((double)rows * (double)cols);
}

static double code_scale(size_t rows, double weight)
{
    return 0.5 * weight / (double)rows;
}

double idc_mlp_loss_mse(const idc_backend *be, void *grad, const void *yhat, const void *y,
                        size_t rows, size_t cols, double weight, int accumulate)
{
    return be->sqerr(be, grad, yhat, y, rows * cols, mse_scale(rows, cols, weight), accumulate);
}

double idc_mlp_loss_code(const idc_backend *be, void *grad, const void *z, size_t rows,
                         size_t cols, double weight, int accumulate)
{
    return be->sqerr(be, grad, z, NULL, rows * cols, code_scale(rows, weight), accumulate);
}

void idc_mlp_loss_mse_to(const idc_backend *be, void *grad, const void *yhat, const void *y,
                         size_t rows, size_t cols, double weight, int accumulate, void *sums,
                         size_t slot)
{
    be->sqerr_sum(be, grad, yhat, y, rows * cols, mse_scale(rows, cols, weight), accumulate, sums,
                  slot);
}

void idc_mlp_loss_code_to(const idc_backend *be, void *grad, const void *z, size_t rows,
                          size_t cols, double weight, int accumulate, void *sums, size_t slot)
{
    be->sqerr_sum(be, grad, z, NULL, rows * cols, code_scale(rows, weight), accumulate, sums,
                  slot);
}
