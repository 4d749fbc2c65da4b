/* idcheck counterexample [ID] [--json]: list or verify the counterexamples. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "theory/counterexample.h"

int idc_cli_counterexample(int argc, char **argv)
{
    const char *id = NULL;
    int as_json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: idcheck counterexample [ID] [--json]\n\nWithout ID: lists the counterexample library "
                   "(THEORY.md Sec. 5).\nWith ID (or \"all\"): re-derives its exact witness; exit 0 when "
                   "witnessed, 1 otherwise.\n");
            return 0;
        } else if (strcmp(argv[i], "--json") == 0) {
            as_json = 1;
        } else if (argv[i][0] != '-' && id == NULL) {
            id = argv[i];
        } else {
            idc_cli_error("counterexample", "unexpected argument \"%s\"", argv[i]);
            return 2;
        }
    }
    if (id == NULL) {
        for (size_t i = 0; i < idc_cx_count(); i++) {
            const idc_cx_info *c = idc_cx_at(i);
            printf("%-8s breaks %-5s %s\n", c->id, c->breaks, c->summary);
        }
        return 0;
    }
    int code = 0;
    for (size_t i = 0; i < idc_cx_count(); i++) {
        const idc_cx_info *c = idc_cx_at(i);
        if (strcmp(id, "all") != 0 && strcmp(id, c->id) != 0)
            continue;
        json_t *w = NULL;
        idc_err err;
        int rc = c->verify(&w, &err);
        if (as_json) {
            json_t *o = json_pack("{s:s,s:s,s:b,s:o?}", "id", c->id, "breaks", c->breaks, "witnessed", rc == IDC_OK,
                                  "witness", w);
            char *s = json_dumps(o, JSON_INDENT(2));
            puts(s);
            free(s);
            json_decref(o);
        } else {
            printf("%-8s %s  %s\n", c->id, rc == IDC_OK ? "WITNESSED" : "NOT WITNESSED", rc == IDC_OK ? c->summary : err.msg);
            json_decref(w);
        }
        if (rc != IDC_OK)
            code = 1;
        if (strcmp(id, "all") != 0)
            return code;
    }
    if (strcmp(id, "all") != 0) {
        idc_cli_error("counterexample", "unknown ID \"%s\" (idcheck counterexample lists them)", id);
        return 2;
    }
    return code;
}
