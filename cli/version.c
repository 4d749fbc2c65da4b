#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "reports/provenance.h"

int idc_cli_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    json_t *p = idc_provenance_json();
    if (p == NULL)
        return 3;
    char *s = json_dumps(p, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(p);
    if (s == NULL)
        return 3;
    puts(s);
    free(s);
    return 0;
}
