/* F2 (weakly injective) and F3 (observably injective), K Def. 3.2.
 * So far only through F4 (F4 => F3 => F2 for piecewise-affine f). */
#include "theory/precond.h"

int idc_pre_f23(idc_pre_result *res, const char *id, const idc_pamap *f, const char *hash,
                const idc_budget *budget, idc_err *err)
{
    return idc_pre_implied_by_f4(res, id, f, hash, budget, err);
}
