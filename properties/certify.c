#include "properties/certify.h"

#include <stdio.h>
#include <stdlib.h>
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

int idc_prop_begin_trial(idc_instance *inst, json_t **rec, char hash[65], const char **not_holds, idc_trial *out,
                         const idc_gen_values *gen, uint64_t tseed, const char *const *ids, idc_budget *budget,
                         idc_err *err)
{
    *rec = NULL;
    *not_holds = NULL;
    int rc = idc_gen_generate(inst, gen, tseed, err);
    if (rc != IDC_OK)
        return rc;
    rc = idc_instance_hash(hash, inst, err);
    char *txt = rc == IDC_OK ? idc_instance_dump(inst) : NULL;
    json_t *r = json_object(), *pre = json_array();
    if (rc == IDC_OK && (txt == NULL || r == NULL || pre == NULL))
        rc = idc_err_set(err, IDC_ENOMEM, "out of memory");
    if (rc == IDC_OK) {
        json_object_set_new(r, "instance", json_loads(txt, 0, NULL));
        json_object_set_new(r, "model_hash", json_string(hash));
        json_object_set(r, "preconditions", pre);
        rc = idc_prop_certify(not_holds, out, pre, ids, inst, hash, budget, err);
    }
    free(txt);
    json_decref(pre);
    if (rc != IDC_OK) {
        json_decref(r);
        idc_instance_clear(inst);
        return rc;
    }
    *rec = r;
    return IDC_OK;
}
