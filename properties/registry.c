#include <string.h>

#include "properties/k39.h"
#include "properties/prop.h"
#include "properties/thm.h"

static const idc_prop_def *const registry[] = {&idc_prop_k39a_flow, &idc_prop_k39b_flow, &idc_prop_k39c_flow,
                                                &idc_prop_x35,  &idc_prop_x37,  &idc_prop_x39,
                                                &idc_prop_i1,   &idc_prop_w};

size_t idc_prop_count(void)
{
    return sizeof registry / sizeof registry[0];
}

const idc_prop_def *idc_prop_get(size_t i)
{
    return i < idc_prop_count() ? registry[i] : NULL;
}

const idc_prop_def *idc_prop_find(const char *id)
{
    for (size_t i = 0; id != NULL && i < idc_prop_count(); i++)
        if (strcmp(registry[i]->id, id) == 0)
            return registry[i];
    return NULL;
}
