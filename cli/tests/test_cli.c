/* End-to-end tests of the idcheck command as a user runs it: exit codes,
 * one-line errors naming the field, no partial output on bad input, and the
 * gen -> check -> cert verify -> sample -> fit -> metrics path. The binary is
 * $IDCHECK_BIN (set by `make check`) or build/idcheck. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "numeric/tests/testutil.h"
#include "cli/tests/clitest.h"




static void put(const char *name, const char *text)
{
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *fp = fopen(p, "w");
    fputs(text, fp);
    fclose(fp);
}


static void setup(void)
{
    clitest_setup("idc_cli");
}

static void teardown(void) { clitest_teardown(); }


START_TEST(test_pipeline)
{
    ck_assert_int_eq(idc("idcheck gen pdgmm --m 3 --J 3 --layers 2 --seed 5 -o inst.json"), 0);
    ck_assert_int_eq(idc("idcheck check inst.json"), 0);
    ck_assert_msg(strstr(out, "F4     HOLDS") != NULL, "%s", out);
    ck_assert(strstr(out, "P1nd   HOLDS") != NULL);
    ck_assert_msg(strstr(out, "K3.9a  applies         AT_LAW of P(U,Z)          law level") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "K3.9c  applies         AFF_F  of f               decoder level, map-level AT") != NULL,
                  "%s", out);
    ck_assert_msg(strstr(out, "strongest guaranteed class: AT (K3.9c) at the map level; AT_LAW (K3.9a) at the law "
                              "level") != NULL,
                  "%s", out);
    ck_assert_int_eq(idc("idcheck theorems"), 0);
    ck_assert(strstr(out, "X3.9") != NULL && strstr(out, "SPARSE") != NULL);
    ck_assert(strstr(out, "\nlemmas") != NULL && strstr(out, "KE.1   lemma") != NULL);
    ck_assert_int_eq(idc("idcheck counterexample all"), 0);
    ck_assert(strstr(out, "K-D.2    WITNESSED") != NULL);
    ck_assert_int_eq(idc("idcheck counterexample NOPE"), 2);
    ck_assert_int_eq(idc("idcheck check inst.json --json > rep.json"), 0);
    ck_assert_int_eq(idc("idcheck cert verify rep.json inst.json"), 0);
    /* The same certificates against another model: invalid (exit 1). */
    ck_assert_int_eq(idc("idcheck gen pdgmm --m 3 --J 3 --layers 2 --seed 6 -o other.json"), 0);
    ck_assert_int_eq(idc("idcheck cert verify rep.json other.json"), 1);
    ck_assert(strstr(out, "another model") != NULL || strstr(errtxt, "another model") != NULL);
    ck_assert_int_eq(idc("idcheck sample inst.json -n 300 --seed 2 -o s"), 0);
    ck_assert(exists("s.z.npy") && exists("s.x.npy") && exists("s.label.npy") && exists("s.z.csv"));
    ck_assert(!exists("s.u.npy"));
    ck_assert_int_eq(idc("idcheck sample inst.json -n 300 --seed 2 --threads 3 -o t && cmp s.x.npy t.x.npy"), 0);
    ck_assert_int_eq(idc("idcheck fit inst.json --estimator stage1 --seed 1 -n 400 --eval 200 --steps 50 --batch 32 "
                         "--hidden-mult 2 --lr 1e-3 --zhat zh.npy -o fit.json"),
                     0);
    ck_assert(strstr(out, "held-out R2") != NULL);
    ck_assert(exists("fit.json") && exists("zh.npy"));
    ck_assert_int_eq(idc("idcheck fit inst.json --estimator vade -n 400 --eval 200 --steps 20 --pretrain-steps 20 "
                         "--hidden 16,16 -o vade.json"),
                     0);
    ck_assert_msg(strstr(out, "cluster agreement") != NULL, "%s", out);
    ck_assert_int_eq(idc("idcheck fit inst.json --estimator vae -n 400 --eval 200 --steps 20 --hidden 16 -o vae.json"),
                     0);
    ck_assert(exists("vade.json") && exists("vae.json"));
    ck_assert_int_eq(idc("idcheck fit inst.json --estimator stage2 -n 400 --eval 200 --steps 20 --batch 32 "
                         "--hidden-mult 2 --s2-steps 10 --s2-batch 32 -o s2.json"),
                     0);
    ck_assert_msg(strstr(out, "stage2: 10 steps") != NULL, "%s", out);
    ck_assert_int_eq(idc("idcheck fit inst.json --estimator stage2 --s2-eps -1 -o s2bad.json"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "stage2.l1_eps") != NULL && !exists("s2bad.json"));
    ck_assert_int_eq(idc("grep -q '\"backend\": \"cpu-f32\"' fit.json"), 0);
    /* --threads: the same codes bit for bit (a size where the thread team splits the work) */
    for (int t = 1; t <= 2; t++) {
        char cmd[512];
        snprintf(cmd, sizeof cmd,
                 "idcheck fit inst.json --estimator stage1 --seed 1 -n 3000 --eval 200 --steps 6 --batch 2048 "
                 "--hidden-mult 16 --lr 1e-3 --threads %d --zhat th%d.npy -o th%d.json",
                 t, t, t);
        ck_assert_int_eq(idc(cmd), 0);
    }
    ck_assert_int_eq(idc("cmp th1.npy th2.npy"), 0);
    ck_assert_int_eq(idc("idcheck fit inst.json --estimator stage1 --threads 0 -o th0.json"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--threads") != NULL && !exists("th0.json"));
    /* --device auto: cuda with a device, else cpu with a note on stderr */
    ck_assert_int_eq(idc("idcheck fit inst.json --estimator stage1 --seed 1 -n 400 --eval 200 --steps 5 "
                         "--batch 32 --hidden-mult 2 --lr 1e-3 --device auto -o fit2.json"),
                     0);
    ck_assert(strstr(errtxt, "--device auto: using cpu") != NULL ||
              idc("grep -q '\"backend\": \"cuda-f32\"' fit2.json") == 0);
    ck_assert_int_eq(idc("idcheck sample inst.json -n 600 --seed 1 -o e"), 0);
    ck_assert_int_eq(idc("idcheck metrics s.z.npy s.x.npy"), 0);
    ck_assert(strstr(out, "R2   in-sample") != NULL);
    ck_assert_int_eq(idc("idcheck metrics s.z.npy s.x.npy --json"), 0);
    ck_assert(strstr(out, "\"mcc_out\"") != NULL);
    ck_assert(strstr(out, "\"spearman\"") != NULL && strstr(out, "\"weak\"") != NULL);
    ck_assert_int_eq(idc("idcheck metrics s.z.npy s.x.npy --cca 2 --blocks 0-1,2:0,1-2"), 0);
    ck_assert(strstr(out, "MCCw") != NULL && strstr(out, "block R2") != NULL);
    ck_assert_int_eq(idc("idcheck metrics --stability s.z.npy s.z.npy"), 0);
    ck_assert_int_eq(idc("idcheck metrics --stability s.z.npy e.z.npy"), 2);
    ck_assert(strstr(errtxt, "rows") != NULL);
    ck_assert_int_eq(idc("printf '1 2 3 4 5\\n' > d.txt && idcheck metrics --wilcoxon d.txt"), 0);
    ck_assert_msg(strstr(out, "p = 0.0625") != NULL, "%s", out);
    ck_assert_int_eq(idc("idcheck metrics s.z.npy s.x.npy --blocks 0-5:0"), 2);
    ck_assert_int_eq(idc("idcheck version"), 0);
    ck_assert(strstr(out, "\"flint\"") != NULL);
    /* kivva-e1 on codes A z + b of a diagonal GMM with distinct ratios */
    put("diag.json",
        "{\"idcheck_format\": 1, \"model\": {\"dim\": 2, \"components\": ["
        "{\"weight\": 0.5, \"mean\": [0, 0], \"Sigma\": [[1, 0], [0, 1]]},"
        "{\"weight\": 0.5, \"mean\": [6, 0], \"Sigma\": [[2.56, 0], [0, 6.5536]]}]},"
        " \"map\": {\"type\": \"mlp\", \"layers\": [{\"W\": [[1, 0.6], [-0.4, 1]], \"b\": [3, 0],"
        " \"activation\": \"identity\"}]}}");
    ck_assert_int_eq(idc("idcheck sample diag.json -n 4000 --seed 3 -o d"), 0);
    ck_assert_int_eq(idc("idcheck fit --estimator kivva-e1 --codes d.x.npy --J 2 --z d.z.npy --zhat dz.npy -o k.json"),
                     0);
    ck_assert_msg(strstr(out, "held-out MCC 0.9") != NULL, "%s", out);
    ck_assert(exists("k.json") && exists("dz.npy"));
    ck_assert_int_eq(idc("idcheck fit --estimator kivva-e1 --codes d.x.npy --J 1 -o k1.json"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--J") != NULL && !exists("k1.json"));
}
END_TEST

/* Returns the line of out that starts with prefix (static copy), or "". */
static const char *line_of(const char *prefix)
{
    static char line[512];
    line[0] = '\0';
    for (const char *p = out; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, prefix, strlen(prefix)) == 0) {
            size_t n = strcspn(p, "\n");
            snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), p);
            break;
        }
    return line;
}

/* What `check` says about theorems whose preconditions fail on the way the
 * papers state them: X's model is noiseless (NOISE0), I's f is injective
 * (F4). The level of each conclusion is printed. */
START_TEST(test_check_theorems)
{
    ck_assert_int_eq(idc("idcheck gen xu --mu 1 --noise 0.1 --seed 1 -o xu.json"), 0);
    ck_assert_int_eq(idc("idcheck check xu.json"), 0);
    ck_assert_msg(strstr(line_of("NOISE0 "), "FAILS") != NULL, "%s", out);
    static const char *const xs[] = {"  X3.5 ", "  X3.7 ", "  X3.9 "};
    for (size_t i = 0; i < 3; i++) {
        const char *l = line_of(xs[i]);
        ck_assert_msg(strstr(l, "does not apply") != NULL && strstr(l, "(NOISE0 FAILS)") != NULL &&
                          strstr(l, "map level") != NULL && strstr(l, "EST-X REC GAUSS") != NULL,
                      "%s", out);
    }
    ck_assert_int_eq(idc("idcheck check xu.json --json > xu.rep.json && idcheck cert verify xu.rep.json xu.json"), 0);
    ck_assert_int_eq(idc("idcheck gen ivae --mix relu --seed 1 -o iv.json"), 0);
    ck_assert_int_eq(idc("idcheck check iv.json"), 0);
    ck_assert_msg(strstr(line_of("F4 "), "FAILS") != NULL, "%s", out);
    ck_assert_msg(strstr(line_of("  I1 "), "does not apply") != NULL && strstr(line_of("  I1 "), "(F4 FAILS)") != NULL,
                  "%s", out);
    ck_assert_msg(strstr(line_of("  I2 "), "does not apply") != NULL && strstr(line_of("  I2 "), "(F4 FAILS)") != NULL,
                  "%s", out);
    ck_assert_msg(strstr(line_of("  K3.9b "), "PS_LAW of P(U,Z)") != NULL && strstr(line_of("  K3.9b "), "law level"),
                  "%s", out);
}
END_TEST

START_TEST(test_bad_input)
{
    ck_assert_int_eq(idc("idcheck gen pdgmm --m 3 --seed 5 -o inst.json"), 0);
    /* Malformed JSON, wrong shape, non-PSD: exit 2, one line naming the field, no output. */
    put("bad1.json", "{\"idcheck_format\": 1, \"model\": ");
    ck_assert_int_eq(idc("idcheck sample bad1.json -n 10 -o b1"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "malformed JSON") != NULL);
    ck_assert(!exists("b1.z.npy"));
    put("bad2.json", "{\"idcheck_format\": 1, \"model\": {\"dim\": 2, \"components\": [{\"weight\": 1, \"mean\": [0, 0],"
                     " \"Sigma\": [[1, 2], [2, 1]]}]}, \"map\": {\"type\": \"mlp\", \"layers\": [{\"W\": [[1, 0], [0, 1]],"
                     " \"b\": [0, 0], \"activation\": \"identity\"}]}}");
    ck_assert_int_eq(idc("idcheck check bad2.json"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "model.components[0].Sigma: not positive semidefinite"),
                  "%s", errtxt);
    ck_assert_int_eq(idc("idcheck fit bad2.json --estimator stage1 -o f.json"), 2);
    ck_assert(!exists("f.json"));
    /* Existing output is never clobbered by a failing run. */
    put("keep.json", "precious");
    ck_assert_int_eq(idc("idcheck gen pdgmm --m 0 -o keep.json"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--m") != NULL);
    ck_assert_int_eq(idc("cat keep.json"), 0);
    ck_assert_str_eq(out, "precious");
    /* Usage errors. */
    ck_assert_int_eq(idc("idcheck frobnicate"), 2);
    ck_assert_int_eq(idc("idcheck gen nosuch -o x.json"), 2);
    ck_assert_int_eq(idc("idcheck prop NOPE"), 2);
    ck_assert_int_eq(idc("idcheck prop K3.9a --trials 0"), 2);
    ck_assert_int_eq(idc("idcheck prop K3.9a --replay 12"), 2);
    ck_assert_int_eq(idc("idcheck fit inst.json --estimator nosuch -o f.json"), 2);
    ck_assert(strstr(errtxt, "--estimator") != NULL);
    ck_assert_int_eq(idc("idcheck fit inst.json --estimator stage1 --device gpu -o f.json"), 2);
    ck_assert(strstr(errtxt, "--device: expected cpu, cuda or auto") != NULL);
    ck_assert_int_eq(idc("idcheck sample inst.json -n abc -o s"), 2);
    ck_assert_int_eq(idc("idcheck sample missing.json -o s"), 2);
    ck_assert(strstr(errtxt, "missing.json: cannot open") != NULL);
    ck_assert_int_eq(idc("idcheck sample inst.json -n 10 -o s && idcheck sample inst.json -n 20 -o t && idcheck metrics s.z.npy t.x.npy"), 2);
    ck_assert(strstr(errtxt, "rows") != NULL);
    ck_assert_int_eq(idc("idcheck --help"), 0);
    ck_assert_int_eq(idc("idcheck prop --list"), 0);
    ck_assert(strstr(out, "K3.9a") != NULL);
    ck_assert_int_eq(idc("idcheck gen --list"), 0);
    ck_assert_int_eq(idc("idcheck repro x-table1 --rows 99"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--rows") != NULL);
    ck_assert_int_eq(idc("idcheck repro nosuch"), 2);
    ck_assert_int_eq(idc("idcheck repro x-table1 --threads 65 -o xt.json"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--threads") != NULL && !exists("xt.json"));
    ck_assert_int_eq(idc("idcheck repro kivva-table2 --seeds 2 --steps1 30 -o kt.json"), 0);
    ck_assert(strstr(out, "weak_mcc") != NULL && exists("kt.json"));
    /* the flow benchmark at a tiny size, and its errors */
    ck_assert_int_eq(idc("idcheck repro flow-k39c --trials 2 --steps 5 --seconds 0 -n 300 --eval 200 --jobs 2 "
                         "-o fk.json"),
                     0);
    ck_assert_msg(strstr(out, "2 trials (warm start") != NULL && exists("fk.json"), "%s", out);
    { /* every trial keeps the final fit's trace: [step, KL gap on the validation rows] */
        json_error_t je;
        char fkp[128];
        snprintf(fkp, sizeof fkp, "%s/fk.json", dir);
        json_t *fk = json_load_file(fkp, 0, &je);
        ck_assert_msg(fk != NULL, "%s", je.text);
        json_t *tr = json_object_get(json_array_get(json_object_get(fk, "trials"), 1), "kl_trace");
        ck_assert(json_is_array(tr) && json_array_size(tr) >= 2);
        json_t *last = json_array_get(tr, json_array_size(tr) - 1);
        ck_assert_int_eq(json_integer_value(json_array_get(last, 0)), 5);
        ck_assert(isfinite(json_real_value(json_array_get(last, 1))));
        json_decref(fk);
    }
    ck_assert_int_eq(idc("idcheck repro flow-k39c --bw1 0"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--bw1") != NULL);
    ck_assert_int_eq(idc("idcheck repro flow-k39c --init cold"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--init") != NULL);
    ck_assert_int_eq(idc("idcheck repro flow-k39c --depth 99"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--depth: \"99\" is not accepted") != NULL);
    /* a value that does not parse: the parser's one line, not a second */
    ck_assert_int_eq(idc("idcheck repro flow-k39c --trials abc"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "--trials") != NULL, "%s", errtxt);
    /* fit --estimator flow: the fitted model is written as an instance that
     * check certifies in K's class */
    ck_assert_int_eq(idc("idcheck gen pdgmm --m 2 --J 2 --seed 4 -o sq.json"), 0);
    ck_assert_int_eq(idc("idcheck fit sq.json --estimator flow --init perturbed-truth --steps 20 -n 600 --eval 300 "
                         "--emit-model fm.json --zhat fz.npy -o ff.json"),
                     0);
    ck_assert_msg(strstr(out, "KL gap") != NULL && exists("fm.json") && exists("ff.json") && exists("fz.npy"), "%s",
                  out);
    ck_assert_int_eq(idc("idcheck check fm.json --only P1nd,F1,FC,F4"), 0);
    ck_assert_msg(strstr(out, "F4     HOLDS") != NULL && strstr(out, "P1nd   HOLDS") != NULL, "%s", out);
    ck_assert_int_eq(idc("idcheck fit sq.json --estimator flow --init warm -o x.json"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--init") != NULL && !exists("x.json"));
    ck_assert_int_eq(idc("idcheck gen pdgmm --m 2 --J 2 --noise 0.1 --seed 4 -o noisy.json"), 0);
    ck_assert_int_ne(idc("idcheck fit noisy.json --estimator flow --steps 5 -n 300 --eval 100 -o x.json"), 0);
    ck_assert(one_line(errtxt) && strstr(errtxt, "NOISE0") != NULL && !exists("x.json"));
    /* x-table1 certification only: per seed the verdicts of both readings */
    ck_assert_msg(idc("idcheck repro x-table1 --rows 2 --seeds 1 --no-train -o xc.json") == 0, "%s", errtxt);
    ck_assert_msg(strstr(out, "as described (population moments): A3.4 FAILS") != NULL &&
                      strstr(out, "the released code (empirical moments): A3.4 HOLDS") != NULL &&
                      strstr(out, "certification only") != NULL && exists("xc.json"),
                  "%s", out);
    ck_assert_int_eq(idc("idcheck repro x-table1 --rows 2 --center sample --no-train -o xd.json"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "--center") != NULL && !exists("xd.json"));
}
END_TEST

START_TEST(test_prop_cli)
{
    /* K3.9c with the flow at tiny sizes; kappa 1e6 opens the gate so the
     * bound alone decides */
    const char *small = "--m 2 --J 2 --n_train 400 --n_eval 200 --steps 60 --batch 32 --kappa 1e6";
    char args[512];
    snprintf(args, sizeof args, "idcheck prop K3.9c --trials 2 --seed 3 --jobs 2 %s --r2_min 0 -o r.json", small);
    ck_assert_int_eq(idc(args), 0);
    ck_assert_msg(strstr(out, "K3.9c: 2 passed, 0 failed, 0 inconclusive, 0 discarded") != NULL, "%s", out);
    ck_assert(exists("r.json"));
    snprintf(args, sizeof args, "idcheck prop K3.9c --trials 1 --seed 3 %s --r2_min 2", small);
    ck_assert_int_eq(idc(args), 1);
    ck_assert(strstr(out, "IDC-FAIL prop=K3.9c trial=0") != NULL);
    ck_assert(strstr(out, "replay: idcheck prop K3.9c --replay 0x3:0 --m 2") != NULL);
}
END_TEST

/* Issue 12: outputs never replace what they must not. Devices are scratch
 * nodes made in the test directory (numbers of /dev/null 1:3 and /dev/full
 * 1:7), never the real /dev. */
START_TEST(test_outputs)
{
    ck_assert_int_eq(idc("idcheck gen pdgmm --m 3 --J 3 --layers 2 --seed 5 -o inst.json"), 0);
    int devices = idc("mknod null c 1 3 && mknod full c 1 7") == 0;
    if (!devices)
        fprintf(stderr, "SKIP device part of test_outputs: mknod not allowed\n");
    const char *small = "--m 2 --J 2 --n_train 400 --n_eval 200 --steps 30 --batch 32 --hidden_mult 2 --r2_min 0";
    const char *fit = "idcheck fit inst.json --estimator stage1 --seed 1 -n 400 --eval 200 --steps 10 --batch 32 "
                      "--hidden-mult 2";
    char cmd[1024];
    if (devices) {
        /* Written through, the nodes stay what they were. */
        ck_assert_int_eq(idc("idcheck gen pdgmm --m 3 --seed 5 -o null"), 0);
        snprintf(cmd, sizeof cmd, "%s --zhat null -o null", fit);
        ck_assert_int_eq(idc(cmd), 0);
        snprintf(cmd, sizeof cmd, "idcheck prop K3.9c --trials 1 --seed 3 %s --junit null -o null", small);
        ck_assert_int_eq(idc(cmd), 0);
        ck_assert_int_eq(idc("test -c null && test -c full && ls -l null full | grep -c '1, *3' | grep -qx 1 && "
                             "ls -l full | grep -q '1, *7'"),
                         0);
        /* /dev/full: the full disk is reported in one line, non-zero exit. */
        ck_assert_int_eq(idc("idcheck gen pdgmm --m 3 --seed 5 -o full"), 2);
        ck_assert_msg(one_line(errtxt) && strstr(errtxt, "full: write failed: No space left") != NULL, "%s",
                      errtxt);
        snprintf(cmd, sizeof cmd, "%s -o full", fit);
        ck_assert_int_eq(idc(cmd), 2);
        ck_assert(one_line(errtxt) && strstr(errtxt, "No space") != NULL);
        snprintf(cmd, sizeof cmd, "idcheck prop K3.9c --trials 1 --seed 3 %s --junit full", small);
        ck_assert_int_eq(idc(cmd), 2);
        ck_assert(strstr(errtxt, "full: write failed") != NULL);
        ck_assert_int_eq(idc("test -c full && test -c null"), 0);
        /* Every verb checks its standard output at exit. */
        const char *verbs[] = {"idcheck version", "idcheck theorems", "idcheck counterexample all",
                               "idcheck counterexample", "idcheck check inst.json",
                               "idcheck check inst.json --json", "idcheck gen --list", "idcheck --help",
                               "idcheck sample inst.json -n 300 --seed 2 -o s && idcheck metrics s.z.npy s.x.npy"};
        for (size_t k = 0; k < sizeof verbs / sizeof verbs[0]; k++) {
            snprintf(cmd, sizeof cmd, "%s >full", verbs[k]);
            ck_assert_msg(idc(cmd) == 3, "%s: exit 3 expected", verbs[k]);
            ck_assert_msg(one_line(errtxt) &&
                              (strstr(errtxt, "standard output") != NULL || strstr(errtxt, "stdout") != NULL),
                          "%s: %s", verbs[k], errtxt);
        }
        ck_assert_int_eq(idc("idcheck version >null"), 0);
    }
    /* A FIFO is written through as well; "-" is standard output. */
    ck_assert_int_eq(idc("mkfifo p && (cat p > got &) && idcheck gen pdgmm --m 3 --seed 5 -o p && sleep 0.2 && "
                         "test -p p && idcheck gen pdgmm --m 3 --seed 5 -o g.json && cmp got g.json"),
                     0);
    ck_assert_int_eq(idc("idcheck gen pdgmm --m 3 --seed 5 -o - | cmp - g.json && test ! -e ./-"), 0);

    /* .npy whose header claims (4294967296, 3): exit 2, one line naming the
     * file and 'shape', before allocating 100 GB. */
    ck_assert_int_eq(idc("idcheck sample inst.json -n 200 --seed 2 -o s"), 0);
    ck_assert_int_eq(idc("cp s.z.npy big.npy && perl -0777 -pi -e 's/\\(200, 3\\), \\}       /(4294967296, 3), }/' "
                         "big.npy && grep -q 4294967296 big.npy && test $(stat -c %s big.npy) -lt 5000"),
                     0);
    ck_assert_int_eq(idc("idcheck metrics big.npy s.x.npy"), 2);
    ck_assert_msg(one_line(errtxt) && strstr(errtxt, "big.npy") != NULL && strstr(errtxt, "'shape'") != NULL,
                  "%s", errtxt);

    /* sample's outputs are one unit: a target that cannot be replaced fails
     * the run and the earlier files keep their old content. */
    ck_assert_int_eq(idc("cp s.z.npy z.old && cp s.x.csv x.old && rm s.label.npy && mkdir s.label.npy"), 0);
    ck_assert_int_eq(idc("idcheck sample inst.json -n 300 --seed 9 -o s"), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "s.label.npy") != NULL);
    ck_assert_int_eq(idc("cmp s.z.npy z.old && cmp s.x.csv x.old && test -d s.label.npy"), 0);
    ck_assert_int_eq(idc("ls | grep -c -e '\\.tmp\\.' -e '\\.bak\\.'"), 1); /* grep -c 0 exits 1 */
    /* fit's FIT.json and --zhat are one unit too. */
    snprintf(cmd, sizeof cmd, "mkdir blocked.json && %s --zhat zz.npy -o blocked.json", fit);
    ck_assert_int_eq(idc(cmd), 2);
    ck_assert(one_line(errtxt) && strstr(errtxt, "blocked.json") != NULL && !exists("zz.npy"));

    /* kill -9 leaves "<target>.tmp.<pid>"; the next write of it removes the
     * ones of dead processes, not those of live ones. */
    ck_assert_int_eq(idc("rmdir s.label.npy; sleep 0 & p=$!; wait; kill -0 $p 2>/dev/null && exit 9; "
                         "echo half > s.x.npy.tmp.$p && echo live > s.z.npy.tmp.$$ && "
                         "idcheck sample inst.json -n 300 --seed 9 -o s && test ! -e s.x.npy.tmp.$p && "
                         "test -e s.z.npy.tmp.$$ && ! cmp -s s.z.npy z.old"),
                     0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_pipeline);
    tcase_add_test(tc, test_check_theorems);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_prop_cli);
    tcase_add_test(tc, test_outputs);
    suite_add_tcase(s, tc);
    return idc_test_run(s);
}
