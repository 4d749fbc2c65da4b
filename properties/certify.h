/* The precondition step every property trial shares: certify the
 * theorem's preconditions on the trial's instance, record each verdict with
 * its certificate, and name the first one that is not HOLDS (the trial is
 * then DISCARDED). */
#ifndef IDC_PROPERTIES_CERTIFY_H
#define IDC_PROPERTIES_CERTIFY_H

#include <jansson.h>

#include <stdint.h>

#include "generators/registry.h"
#include "models/instance.h"
#include "properties/prop.h"
#include "theory/precond.h"

/* Certifies the preconditions ids (NULL-terminated THEORY.md IDs) of inst,
 * whose model hash is hash, within budget: appends {"id", "verdict",
 * "reason", "certificate"} per ID to the JSON array pre and "ID=VERDICT " to
 * out->line; *not_holds = the first ID not HOLDS, with out->why = "ID is
 * VERDICT: reason", or NULL when all hold. Statuses of idc_pre_check_hashed
 * (an error stops at that ID). */
int idc_prop_certify(const char **not_holds, idc_trial *out, json_t *pre, const char *const *ids,
                     const idc_instance *inst, const char *hash, idc_budget *budget, idc_err *err)
    __attribute__((warn_unused_result));

/* The start every generator-based trial shares: *inst = the instance of
 * gen at the trial seed tseed, hash = its model hash, *rec (new reference)
 * = {"instance", "model_hash", "preconditions": [...]}, and
 * idc_prop_certify of ids into it (*not_holds, out->line, out->why). On an
 * error status inst is cleared and *rec is NULL. */
int idc_prop_begin_trial(idc_instance *inst, json_t **rec, char hash[65], const char **not_holds, idc_trial *out,
                         const idc_gen_values *gen, uint64_t tseed, const char *const *ids, idc_budget *budget,
                         idc_err *err) __attribute__((warn_unused_result));

#endif
