/* `idcheck gen` end to end, for every registered generator: --k v and
 * --param k=v give byte-identical files, the output reads back and checks,
 * bad parameters give one line naming the parameter and exit 2 with no
 * file written, --list and --intent work. The binary is $IDCHECK_BIN (set
 * by `make check`) or build/idcheck. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "generators/registry.h"
#include "models/instance.h"
#include "numeric/tests/testutil.h"
#include "cli/tests/clitest.h"

static void setup(void)
{
    clitest_setup("idc_gencli");
}

static void teardown(void)
{
    clitest_teardown();
}

/* Small parameters per generator, as "k v" pairs. */
static const char *small(const char *name)
{
    if (strcmp(name, "xu") == 0)
        return "m 4 J 4 theta 10";
    if (strcmp(name, "ivae") == 0)
        return "m 3 M 6";
    if (strcmp(name, "pdgmm") == 0)
        return "m 3 J 2";
    if (strcmp(name, "kivva") == 0)
        return "m 2 J 3";
    if (strcmp(name, "violate") == 0)
        return "pre A3.6";
    if (strcmp(name, "cx") == 0)
        return "id K-D.2 side 1";
    if (strcmp(name, "pinwheel") == 0)
        return "K 3 n 3 rate 0.5";
    if (strcmp(name, "parallelograms") == 0)
        return "J 3 n 4 weights random";
    return "J 3";
}

START_TEST(test_every_generator)
{
    setup();
    for (size_t i = 0; i < idc_gen_count(); i++) {
        const idc_gen_info *g = idc_gen_at(i);
        char kv[256], eq[256], buf[256], cmd[1024];
        snprintf(buf, sizeof buf, "%s", small(g->name));
        size_t a = 0, b = 0;
        char *save = NULL;
        for (char *k = strtok_r(buf, " ", &save); k != NULL; k = strtok_r(NULL, " ", &save)) {
            char *v = strtok_r(NULL, " ", &save);
            a += (size_t)snprintf(kv + a, sizeof kv - a, " --%s %s", k, v);
            b += (size_t)snprintf(eq + b, sizeof eq - b, " --param %s=%s", k, v);
        }
        kv[a] = eq[b] = '\0';
        snprintf(cmd, sizeof cmd, "idcheck gen %s%s --seed 5 -o a.json && idcheck gen %s%s --seed 5 -o b.json && "
                                  "cmp a.json b.json", g->name, kv, g->name, eq);
        ck_assert_msg(idc(cmd) == 0, "%s: %s", cmd, errtxt);
        snprintf(cmd, sizeof cmd, "idcheck check a.json");
        int rc = idc(cmd);
        ck_assert_msg(rc == 0 || rc == 1, "%s: check exit %d: %s", g->name, rc, errtxt);
        ck_assert_msg(strstr(out, "A3.6") != NULL, "%s: check output", g->name);
        /* unknown parameter, bad value: exit 2, one line naming it, no file */
        snprintf(cmd, sizeof cmd, "idcheck gen %s --nosuch 1 -o c.json", g->name);
        ck_assert_int_eq(idc(cmd), 2);
        ck_assert_msg(one_line(errtxt) && strstr(errtxt, "--nosuch") != NULL, "%s: %s", g->name, errtxt);
        ck_assert(!exists("c.json"));
        snprintf(cmd, sizeof cmd, "idcheck gen %s --param %s=bogus -o c.json", g->name, g->params[0].name);
        ck_assert_int_eq(idc(cmd), 2);
        char needle[64];
        snprintf(needle, sizeof needle, "--%s:", g->params[0].name);
        ck_assert_msg(one_line(errtxt) && strstr(errtxt, needle) != NULL, "%s: %s", g->name, errtxt);
        ck_assert(!exists("c.json"));
        snprintf(cmd, sizeof cmd, "idcheck gen %s%s --intent", g->name, kv);
        ck_assert_int_eq(idc(cmd), 0);
        ck_assert_msg(strstr(out, "HOLDS") != NULL, "%s: intent: %s", g->name, out);
        ck_assert_int_eq(idc("rm -f a.json b.json"), 0);
    }
    teardown();
}
END_TEST

START_TEST(test_list_and_usage)
{
    setup();
    ck_assert_int_eq(idc("idcheck gen --list"), 0);
    for (size_t i = 0; i < idc_gen_count(); i++)
        ck_assert(strstr(out, idc_gen_at(i)->name) != NULL);
    ck_assert(strstr(out, "intent") != NULL);
    ck_assert_int_eq(idc("idcheck gen nosuch -o x.json"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "nosuch") != NULL);
    ck_assert_int_eq(idc("idcheck gen xu --m 4"), 2); /* missing -o */
    ck_assert(one_line(errtxt) && strstr(errtxt, "-o") != NULL);
    ck_assert_int_eq(idc("idcheck gen xu --param m4 -o x.json"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "KEY=VALUE") != NULL);
    ck_assert_int_eq(idc("idcheck gen xu --m 4 --J 2 -o x.json"), 2); /* A3.8b impossible */
    ck_assert(one_line(errtxt) && strstr(errtxt, "--cover") != NULL);
    ck_assert(!exists("x.json"));
    ck_assert_int_eq(idc("idcheck gen --help"), 0);
    teardown();
}
END_TEST

/* gen xu --paper: the paper preset applied before the other knobs, which
 * override it wherever they stand; both centerings; a generator without
 * the preset refuses it. */
START_TEST(test_xu_paper_cli)
{
    setup();
    ck_assert_msg(idc("idcheck gen xu --layers 3 --paper --m 6 --seed 2 -o p.json") == 0, "%s", errtxt);
    ck_assert_msg(idc("idcheck gen xu --paper --m 6 --layers 3 --seed 2 -o q.json && cmp p.json q.json") == 0,
                  "%s", errtxt);
    char path[128];
    snprintf(path, sizeof path, "%s/p.json", dir);
    idc_instance inst;
    idc_err err;
    ck_assert_msg(idc_instance_read_file(&inst, path, &err) == IDC_OK, "%s", err.msg);
    ck_assert_uint_eq(inst.map.nlayers, 3);
    ck_assert_uint_eq(inst.prior.dim, 6);
    ck_assert_uint_ge(inst.prior.ncomp, 2);
    for (size_t j = 0; j < inst.prior.ncomp; j++)
        ck_assert_uint_eq(inst.prior.comp[j].nsupport, 3);
    ck_assert(strstr(inst.generator, "\"mix\":\"orth\"") != NULL && strstr(inst.generator, "\"J\":0") != NULL);
    idc_instance_clear(&inst);
    ck_assert_msg(idc("idcheck gen xu --paper --seed 2 -o r.json") == 0, "%s", errtxt);
    int rc = idc("idcheck check r.json --only A3.8a,F4");
    ck_assert_msg(rc == 0 || rc == 1, "check exit %d: %s", rc, errtxt);
    ck_assert_msg(strstr(out, "A3.8a  HOLDS") != NULL && strstr(out, "10 layers") != NULL, "%s", out);
    ck_assert_int_eq(idc("idcheck gen xu --paper --center empirical --seed 2 -o e.json"), 0);
    rc = idc("idcheck check e.json --only A3.8a");
    ck_assert_msg(rc == 0 || rc == 1, "check exit %d: %s", rc, errtxt);
    ck_assert_msg(strstr(out, "A3.8a  FAILS") != NULL, "%s", out);
    ck_assert_int_eq(idc("idcheck gen pdgmm --paper -o x.json"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--paper") != NULL);
    ck_assert(!exists("x.json"));
    ck_assert_int_eq(idc("idcheck gen --list"), 0);
    ck_assert(strstr(out, "preset --paper") != NULL);
    teardown();
}
END_TEST

/* The toy generators end to end: gen, check (UNKNOWN where the checkers do
 * not apply, exit 0/1), sample (files written, the right shapes). */
START_TEST(test_toy2d_sample)
{
    setup();
    ck_assert_int_eq(idc("idcheck gen pinwheel --K 4 --n 3 --scale 10 --seed 2 -o p.json"), 0);
    int rc = idc("idcheck check p.json");
    ck_assert_msg(rc == 0 || rc == 1, "check exit %d: %s", rc, errtxt);
    ck_assert_msg(strstr(out, "not piecewise affine") != NULL, "%s", out);
    ck_assert_msg(idc("idcheck sample p.json -n 500 --seed 3 -o ps") == 0, "%s", errtxt);
    ck_assert(exists("ps.z.npy") && exists("ps.x.npy") && exists("ps.x.csv") && exists("ps.label.npy"));
    ck_assert_int_eq(idc("head -1 ps.x.csv | tr ',' '\\n' | wc -l"), 0);
    ck_assert_msg(atoi(out) == 3, "pinwheel x has %d columns", atoi(out));
    ck_assert_int_eq(idc("wc -l < ps.x.csv"), 0);
    ck_assert_int_eq(atoi(out), 501);
    ck_assert_int_eq(idc("idcheck gen parallelograms --J 3 --n 5 --noise 0.1 --seed 2 -o q.json"), 0);
    rc = idc("idcheck check q.json");
    ck_assert_msg(rc == 0 || rc == 1, "check exit %d: %s", rc, errtxt);
    ck_assert_msg(strstr(out, "latent family is uniform") != NULL, "%s", out);
    ck_assert_msg(idc("idcheck sample q.json -n 400 --seed 3 --threads 2 -o qs") == 0, "%s", errtxt);
    ck_assert_msg(idc("idcheck sample q.json -n 400 --seed 3 --threads 1 -o qt && cmp qs.x.npy qt.x.npy") ==
                      0,
                  "%s", errtxt);
    ck_assert_int_eq(idc("head -1 qs.x.csv | tr ',' '\\n' | wc -l"), 0);
    ck_assert_msg(atoi(out) == 5, "parallelograms x has %d columns", atoi(out));
    ck_assert_int_eq(idc("idcheck gen pinwheel --K 0 -o r.json"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--K") != NULL);
    ck_assert(!exists("r.json"));
    teardown();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("generators/cli");
    const idc_test_case cases[] = {
        {"test_every_generator", test_every_generator},
        {"test_list_and_usage", test_list_and_usage},
        {"test_xu_paper_cli", test_xu_paper_cli},
        {"test_toy2d_sample", test_toy2d_sample},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 60);
    return idc_test_run(s);
}
