/* JSON records of metric results (numeric/metric.h), shared by
 * `idcheck metrics`, `idcheck fit` and the properties. */
#ifndef IDC_REPORTS_METRICS_JSON_H
#define IDC_REPORTS_METRICS_JSON_H

#include <jansson.h>

#include "numeric/metric.h"

/* {"r2_in", "r2_out", "r2_coord_out": [...], "z_rank",
 *  "mcc_in", "mcc_out", "matching": [...]} (new reference). Either argument
 * may be NULL to leave its fields out. */
json_t *idc_metrics_json(const idc_r2_result *r2, const idc_mcc_result *mcc);

#endif
