/* Properties K3.9a, K3.9b, K3.9c with the exact-likelihood flow estimator
 * and the four trial outcomes (see properties/k39.c; THEORY.md §4, §8). The
 * registry's K3.9a/b/c are these; the Stage-1 / VaDE trials of
 * properties/k39a.h and properties/thm.h run under them with --estimator. */
#ifndef IDC_PROPERTIES_K39_H
#define IDC_PROPERTIES_K39_H

#include "properties/prop.h"

extern const idc_prop_def idc_prop_k39a_flow;
extern const idc_prop_def idc_prop_k39b_flow;
extern const idc_prop_def idc_prop_k39c_flow;

#endif
