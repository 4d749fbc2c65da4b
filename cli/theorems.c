/* idcheck theorems: the theorem registry (THEORY.md §4), theorems first,
 * then the lemmas the harness relies on. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "theory/theorem.h"

static void print_ids(const char *label, const char *const *ids, size_t cap)
{
    if (ids[0] == NULL)
        return;
    printf("\n       %s:", label);
    for (size_t k = 0; k < cap && ids[k] != NULL; k++)
        printf(" %s", ids[k]);
}

int idc_cli_theorems(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: idcheck theorems\n\nLists every theorem: ID, conclusion class (THEORY.md Sec. 2), what it\n"
               "identifies, the level it speaks at (law: the latent law; map: zhat = g(x); decoder: f up\n"
               "to an affine map, which gives map-level AT), its instance preconditions, estimator\n"
               "conditions and source. Then the lemmas idcheck relies on: hypotheses, conclusion,\n"
               "source and what uses them (lemmas are never applied by `check`).\n"
               "`idcheck check MODEL.json` says which theorems apply to a model.\n");
        return 0;
    }
    if (argc > 1) {
        idc_cli_error("theorems", "unexpected argument \"%s\"", argv[1]);
        return 2;
    }
    printf("theorems (THEORY.md Sec. 4):\n");
    for (size_t i = 0; i < idc_thm_count(); i++) {
        const idc_thm_info *t = idc_thm_at(i);
        if (t->kind != IDC_THM_THEOREM)
            continue;
        printf("%-6s %-6s of %-20s %s level", t->id, t->conclusion, t->identifies, t->level);
        if (strcmp(t->level, "decoder") == 0 && t->map_class != NULL)
            printf(" (map-level %s)", t->map_class);
        printf("  %s", t->source);
        print_ids("preconditions", t->pre, IDC_THM_MAX_PRE);
        print_ids("estimator conditions", t->estimator, IDC_THM_MAX_EST);
        printf("\n");
    }
    printf("\nlemmas (relied on by idcheck; not applied by `check`):\n");
    for (size_t i = 0; i < idc_thm_count(); i++) {
        const idc_thm_info *t = idc_thm_at(i);
        if (t->kind != IDC_THM_LEMMA)
            continue;
        printf("%-6s lemma  %s\n       if:   %s\n       then: %s", t->id, t->source, t->identifies, t->conclusion);
        print_ids("in terms of", t->pre, IDC_THM_MAX_PRE);
        printf("\n       used by: %s\n", t->used_by);
    }
    return 0;
}
