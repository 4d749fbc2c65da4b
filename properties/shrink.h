/* Shrinking a failing trial: a search for a smaller failing instance of the
 * same property (fewer dimensions, components, layers; simpler numbers).
 *
 * The property declares its shrinkable parameters (idc_prop_def.shrinkables,
 * each with a target: the simplest value). The shrinker works on a copy of
 * the parameter struct, reads values through params_json and writes them
 * through set_param. Greedy, big steps first (as theft and QuickCheck): for
 * each parameter in declared order, candidates are tried from the biggest
 * step to the smallest -- for an integer v toward target t: t, then
 * v - (v-t)/2, v - (v-t)/4, ..., v - 1; for a real: t, the points 1/2, 1/4
 * and 1/8 of the way from v to t (each replaced by the decimal with the
 * fewest significant digits within a quarter of its step: 0.3, not
 * 0.30000000000000004), and v rounded toward t to an integer, to one and to
 * two decimals -- and the first candidate that FAILS is accepted and
 * the parameter is shrunk again from there; passes over all parameters repeat
 * until none shrinks. Every candidate runs the same trial (run seed, index),
 * so the search is deterministic, and a candidate is accepted only when its
 * outcome is FAIL: one whose preconditions are not all HOLDS (DISCARD), that
 * passes, or that errs is logged and skipped. For a property failing exactly
 * when a count is >= c (c >= target), the count shrinks to exactly c. */
#ifndef IDC_PROPERTIES_SHRINK_H
#define IDC_PROPERTIES_SHRINK_H

#include "properties/prop.h"

/* Shrinks trial `index` of run `run_seed`, which FAILS with `params`.
 * At most max_steps candidate trials are run. `only`: comma-separated
 * shrinkable names to use (opt-in ones included), or NULL / "" for every
 * shrinkable that is not opt_in.
 * *out (new reference) = {"steps": candidates run, "max_steps",
 * "exhausted": true when the cap stopped the search, "params": the minimal
 * failing params_json (the original when nothing smaller fails), "changed":
 * {name: minimal value} for the parameters that shrank, "overrides": the
 * "--KEY VALUE ..." that give the minimal params from the defaults, and when
 * something shrank "why", "line" and "record" of the minimal trial; "log":
 * [{"param", "value", "outcome", "accepted", "why"}] one entry per candidate}.
 * Returns IDC_OK, IDC_EINVAL for an unknown name in `only`, or IDC_ENOMEM.
 * Cost: up to max_steps trials. */
int idc_prop_shrink(json_t **out, const idc_prop_def *def, const void *params, uint64_t run_seed, uint32_t index,
                    uint32_t max_steps, const char *only, idc_err *err);

/* IDC_OK when every name of the comma-separated list `only` is a shrinkable
 * of def, else IDC_EINVAL naming it. */
int idc_prop_shrink_check_names(const idc_prop_def *def, const char *only, idc_err *err);

#endif
