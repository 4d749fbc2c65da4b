#include "properties/certify.h"

#include <stdio.h>
#include <string.h>

int idc_prop_certify(const char **not_holds, idc_trial *out, json_t *pre, const char *const *ids,
                     const idc_instance *inst, const char *hash, idc_budget *budget, idc_err *err)
{
    *not_holds = NULL;
    for (size_t i = 0; ids[i] != NULL; i++) {
        idc_pre_result r;
        idc_pre_result_init(&r);
        int rc = idc_pre_check_hashed(&r, ids[i], inst, hash, budget, err);
        if (rc != IDC_OK) {
            idc_pre_result_clear(&r);
            return rc;
        }
        const char *v = idc_verdict_name(r.verdict);
        size_t n = strlen(out->line);
        snprintf(out->line + n, sizeof out->line - n, "%s=%s ", ids[i], v);
        json_array_append_new(pre, json_pack("{s:s,s:s,s:s,s:O?}", "id", ids[i], "verdict", v, "reason", r.reason,
                                             "certificate", r.cert));
        if (r.verdict != IDC_HOLDS && *not_holds == NULL) {
            *not_holds = ids[i];
            snprintf(out->why, sizeof out->why, "%s is %s: %.200s", ids[i], v, r.reason);
        }
        idc_pre_result_clear(&r);
    }
    return IDC_OK;
}
