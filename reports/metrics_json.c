#include "reports/metrics_json.h"

#include <stdint.h>

json_t *idc_metrics_json(const idc_r2_result *r2, const idc_mcc_result *mcc)
{
    json_t *o = json_object();
    if (r2 != NULL) {
        json_t *c = json_array();
        for (size_t i = 0; i < r2->dzh; i++)
            json_array_append_new(c, json_real(r2->r2_coord_out[i]));
        json_object_set_new(o, "r2_in", json_real(r2->r2_in));
        json_object_set_new(o, "r2_out", json_real(r2->r2_out));
        json_object_set_new(o, "r2_coord_out", c);
        json_object_set_new(o, "z_rank", json_integer((json_int_t)r2->z_rank));
    }
    if (mcc != NULL) {
        json_t *m = json_array();
        for (size_t i = 0; i < mcc->dz; i++)
            json_array_append_new(m, mcc->match[i] == SIZE_MAX ? json_null()
                                                               : json_integer((json_int_t)mcc->match[i]));
        json_object_set_new(o, "mcc_in", json_real(mcc->mcc_in));
        json_object_set_new(o, "mcc_out", json_real(mcc->mcc_out));
        json_object_set_new(o, "matching", m);
    }
    return o;
}
