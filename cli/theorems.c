/* idcheck theorems: the theorem registry (THEORY.md §4). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "theory/theorem.h"

int idc_cli_theorems(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: idcheck theorems\n\nLists every theorem: ID, conclusion class (THEORY.md Sec. 2),\n"
               "what it identifies, its instance preconditions, estimator conditions and source.\n"
               "`idcheck check MODEL.json` says which of them apply to a model.\n");
        return 0;
    }
    if (argc > 1) {
        idc_cli_error("theorems", "unexpected argument \"%s\"", argv[1]);
        return 2;
    }
    for (size_t i = 0; i < idc_thm_count(); i++) {
        const idc_thm_info *t = idc_thm_at(i);
        printf("%-6s %-6s of %-15s  %s\n       preconditions:", t->id, t->conclusion, t->identifies, t->source);
        for (size_t k = 0; k < IDC_THM_MAX_PRE && t->pre[k] != NULL; k++)
            printf(" %s", t->pre[k]);
        if (t->estimator[0] != NULL) {
            printf("\n       estimator conditions:");
            for (size_t k = 0; k < 4 && t->estimator[k] != NULL; k++)
                printf(" %s", t->estimator[k]);
        }
        printf("\n");
    }
    return 0;
}
