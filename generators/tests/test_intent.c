/* Intent test: every registered generator, on a table of small
 * configurations, each on NSEEDS seeds; the exact checkers
 * (theory/precond.h) run on every precondition of the generator's intent.
 *   - HOLDS intended and FAILS returned (or the reverse) fails the test;
 *   - UNKNOWN is counted (and printed per generator x configuration x
 *     precondition), never counted as agreement, and fails the test unless
 *     the intent entry is marked may_unknown;
 *   - every HOLDS / FAILS certificate must pass idc_cert_verify.
 * Failures print the IDC-FAIL line, the test replay command and a CLI
 * replay (idcheck gen ... --seed S -o x.json; idcheck check x.json). */
#include <stdio.h>
#include <string.h>

#include "generators/registry.h"
#include "numeric/rng.h"
#include "numeric/tests/testutil.h"
#include "theory/cert.h"
#include "theory/precond.h"

#define NSEEDS 100

typedef struct {
    const char *gen;
    const char *params; /* space-separated k=v */
    const char *observe; /* IDs outside the intent whose verdicts are tallied */
} cfg;

static const cfg configs[] = {
    {"pdgmm", "m=3 J=3", ""},
    {"pdgmm", "m=4 J=3 ratio=0.5 n=5", ""},
    {"pdgmm", "m=3 J=2 mix=orth layers=3", ""},
    {"pdgmm", "m=2 J=2 mix=relu", "F4 F3 F2"},
    {"pdgmm", "m=2 J=2 mix=sigmoid", ""},
    {"xu", "m=4 J=4", "A3.4"},
    {"xu", "m=5 J=5 k=2 delta=1", "A3.4"},
    {"xu", "m=4 J=4 delta=1", ""},
    {"xu", "m=4 J=4 mu=1", ""},
    {"xu", "m=6 J=6 rho=0.5 k=0 mu=0.5", ""},
    {"xu", "m=12 J=6", ""},
    {"xu", "m=6 J=4 rho=0.5 k=0", ""},
    {"xu", "m=4 J=4 theta=30", ""},
    {"xu", "m=4 J=2 block=2", ""},
    {"xu", "m=4 J=4 rho=0 k=0", ""},
    {"xu", "m=5 J=5 rho=0.75 k=2 mix=orth layers=3 n=6", ""},
    {"xu", "m=3 J=3 cover=0 mix=relu", "A3.8b F4"},
    {"xu", "m=3 J=1 rho=1 theta=45 delta=2", ""},
    {"xu", "m=4 J=0 draws=2 cover=0 mix=orth layers=3", "A3.4 A3.8b"}, /* the paper preset, small */
    {"xu", "m=4 J=0 rho=0 k=0 cover=0", "A3.8b"},
    {"xu", "m=4 J=0 draws=3 cover=0 center=empirical", "A3.8b"},
    {"xu", "m=5 J=5 k=2 delta=1 center=empirical center_samples=300", ""},
    {"xu", "m=6 J=0 k=0 delta=1 center=empirical", ""},
    {"kivva", "m=3 J=3", ""},
    {"kivva", "m=3 J=2 p2=fail_offdiag", ""},
    {"kivva", "m=3 J=4 p2=fail_ratio", ""},
    {"kivva", "m=2 J=3 cov=full p2=fail_offdiag mix=orth layers=3 n=3", ""},
    {"kivva-relu1d", "J=2", "F4 F3 F2"},
    {"kivva-relu1d", "J=3 grid=9", "F4 F3 F2"},
    {"kivva-relu1d", "J=2 grid=7", "F4"}, /* not dyadic: no F4 claim */
    {"kivva-relu1d", "J=2 grid=3", "F3 F2"},
    {"ivae", "m=3 M=5", ""},
    {"ivae", "m=2 M=4 means=uniform n=3 mix=orth layers=2", ""},
    {"ivae", "m=2 M=4 mix=smooth", ""},
    {"violate", "pre=P1", ""},
    {"violate", "pre=P1nd", ""},
    {"violate", "pre=P2", ""},
    {"violate", "pre=A3.4", ""},
    {"violate", "pre=A3.6", ""},
    {"violate", "pre=A3.8a", ""},
    {"violate", "pre=A3.8b", ""},
    {"violate", "pre=F4", ""},
    {"violate", "pre=F2", ""},
    {"violate", "pre=DIM", ""},
    {"violate", "pre=FC", ""},
    {"cx", "id=K-R3.12", ""},
    {"cx", "id=K-R3.12 side=1 s=0.5", ""},
    {"cx", "id=K-D.2", ""},
    {"cx", "id=K-D.2 side=1", ""},
    {"cx", "id=K-H.10", ""},
    {"cx", "id=X-E.3", ""},
    {"cx", "id=X-E.2", ""},
    {"xu", "m=4 J=4 family=exponential", "P1 PD A3.4"},
    {"xu", "m=4 J=4 family=gumbel mix=orth layers=2", ""},
    {"pdgmm", "m=3 J=3 family=uniform", "P1 P1nd A3.6"},
    {"pdgmm", "m=2 J=2 family=gumbel ratio=0.5", ""},
    {"parallelograms", "J=5", "P1 PD A3.4"},
    {"parallelograms", "J=3 n=4 weights=random bias=1 noise=0.1", ""},
    {"parallelograms", "J=1 n=2 cond=10", ""},
    {"pinwheel", "K=5", "F1 FC F4 F2"},
    {"pinwheel", "K=3 n=4 rate=1 radial=0.5 tangential=0.5 scale=10", "F1 F3"},
    {"pinwheel", "K=2 n=2 rate=-0.5", "P2"},
};

static void set_params(idc_gen_values *v, const char *params)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", params);
    for (char *tok = strtok(buf, " "); tok != NULL; tok = strtok(NULL, " ")) {
        char *eq = strchr(tok, '=');
        ck_assert_ptr_nonnull(eq);
        *eq = '\0';
        idc_err err;
        ck_assert_msg(idc_gen_set_param(v, tok, eq + 1, &err) == IDC_OK, "%s", err.msg);
    }
}

/* The CLI replay of one trial. */
static void cli_replay(char *out, size_t len, const cfg *c, uint64_t seed)
{
    char buf[256];
    size_t n = (size_t)snprintf(out, len, "idcheck gen %s", c->gen);
    snprintf(buf, sizeof buf, "%s", c->params);
    for (char *tok = strtok(buf, " "); tok != NULL && n < len; tok = strtok(NULL, " "))
        n += (size_t)snprintf(out + n, len - n, " --param %s", tok);
    if (n < len)
        snprintf(out + n, len - n, " --seed 0x%llx -o x.json && idcheck check x.json",
                 (unsigned long long)seed);
}

/* One result against an expectation (want NULL: only tallied). */
static void check_one(const char *tc, uint64_t base, const cfg *c, uint64_t seed, const idc_instance *inst,
                      const char *hash, const char *id, const idc_gen_intent *want, size_t *nunk, size_t *tally)
{
    idc_pre_result r;
    idc_pre_result_init(&r);
    idc_err err;
    char replay[512];
    cli_replay(replay, sizeof replay, c, seed);
    if (idc_pre_check_hashed(&r, id, inst, hash, NULL, &err) != IDC_OK)
        IDC_TEST_FAIL_REPLAY(tc, base, "%s: checker error: %s; replay: %s", id, err.msg, replay);
    if (r.verdict != IDC_UNKNOWN) {
        char why[256];
        if (r.cert == NULL || idc_cert_verify(r.cert, inst, why, sizeof why) != IDC_OK)
            IDC_TEST_FAIL_REPLAY(tc, base, "%s %s: certificate rejected: %s; replay: %s", id,
                                 idc_verdict_name(r.verdict), r.cert ? why : "(none)", replay);
    }
    if (tally != NULL)
        tally[r.verdict == IDC_HOLDS ? 0 : r.verdict == IDC_FAILS ? 1 : 2]++;
    if (want != NULL) {
        if (r.verdict == IDC_UNKNOWN) {
            (*nunk)++;
            if (!want->may_unknown)
                IDC_TEST_FAIL_REPLAY(tc, base, "%s: intended %s (decidable) but UNKNOWN: %s; replay: %s", id,
                                     idc_verdict_name(want->verdict), r.reason, replay);
        } else if (r.verdict != want->verdict) {
            IDC_TEST_FAIL_REPLAY(tc, base, "%s: intended %s, checker says %s (%s); replay: %s", id,
                                 idc_verdict_name(want->verdict), idc_verdict_name(r.verdict), r.reason, replay);
        }
    }
    idc_pre_result_clear(&r);
}

/* Tally of one (configuration, precondition, intended verdict). */
typedef struct {
    const char *id;
    idc_verdict v;
    size_t claims, unknown;
} tally_row;

static tally_row *tally_find(tally_row *rows, size_t *nrows, const idc_gen_intent *it)
{
    for (size_t i = 0; i < *nrows; i++)
        if (strcmp(rows[i].id, it->id) == 0 && rows[i].v == it->verdict)
            return &rows[i];
    ck_assert_uint_lt(*nrows, 2 * IDC_GEN_INTENT_MAX);
    rows[*nrows] = (tally_row){it->id, it->verdict, 0, 0};
    return &rows[(*nrows)++];
}

static void run_generator(const char *tc, const char *name)
{
    uint64_t base = idc_test_seed(0x1de47);
    IDC_TEST_PRINT_SEED(tc, base);
    const idc_gen_info *g = idc_gen_find(name);
    ck_assert_ptr_nonnull(g);
    size_t ncfg = 0;
    for (size_t ci = 0; ci < sizeof configs / sizeof configs[0]; ci++) {
        const cfg *c = &configs[ci];
        if (strcmp(c->gen, name) != 0)
            continue;
        ncfg++;
        idc_gen_values v;
        idc_gen_values_init(&v, g);
        set_params(&v, c->params);
        idc_err err;
        tally_row rows[2 * IDC_GEN_INTENT_MAX];
        size_t nrows = 0;
        char obs_ids[8][IDC_PRE_ID_LEN];
        size_t nobs = 0, obs_tally[8][3] = {{0}};
        char ob[64];
        snprintf(ob, sizeof ob, "%s", c->observe);
        for (char *t = strtok(ob, " "); t != NULL && nobs < 8; t = strtok(NULL, " "))
            snprintf(obs_ids[nobs++], IDC_PRE_ID_LEN, "%s", t);
        for (uint32_t t = 0; t < NSEEDS; t++) {
            uint64_t seed = idc_rng_derive_seed(base, (uint32_t)(ci * 1000 + t));
            idc_instance inst;
            if (idc_gen_generate(&inst, &v, seed, &err) != IDC_OK)
                IDC_TEST_FAIL_REPLAY(tc, base, "%s %s seed=0x%llx: generation failed: %s", name, c->params,
                                     (unsigned long long)seed, err.msg);
            /* the intent of these parameters, refined by the draw */
            idc_gen_intent it[IDC_GEN_INTENT_MAX];
            size_t n = 0;
            ck_assert_msg(idc_gen_intent_for(it, &n, &v, &inst, &err) == IDC_OK, "%s %s: %s", name, c->params,
                          err.msg);
            ck_assert_uint_gt(n, 0);
            char hash[65];
            ck_assert_int_eq(idc_instance_hash(hash, &inst, &err), IDC_OK);
            for (size_t k = 0; k < n; k++) {
                tally_row *r = tally_find(rows, &nrows, &it[k]);
                r->claims++;
                check_one(tc, base, c, seed, &inst, hash, it[k].id, &it[k], &r->unknown, NULL);
            }
            for (size_t k = 0; k < nobs; k++)
                check_one(tc, base, c, seed, &inst, hash, obs_ids[k], NULL, NULL, obs_tally[k]);
            idc_instance_clear(&inst);
        }
        fprintf(stderr, "intent %s [%s]: %d seeds;", name, c->params, NSEEDS);
        for (size_t k = 0; k < nrows; k++)
            fprintf(stderr, " %s=%s claimed %zu agree %zu unknown %zu;", rows[k].id, rows[k].v == IDC_HOLDS ? "H" : "F",
                    rows[k].claims, rows[k].claims - rows[k].unknown, rows[k].unknown);
        for (size_t k = 0; k < nobs; k++)
            fprintf(stderr, " observed %s: H %zu F %zu U %zu;", obs_ids[k], obs_tally[k][0], obs_tally[k][1],
                    obs_tally[k][2]);
        fprintf(stderr, "\n");
    }
    ck_assert_msg(ncfg > 0, "no configuration for generator %s", name);
}

START_TEST(intent_pdgmm)
{
    run_generator("intent_pdgmm", "pdgmm");
}
END_TEST

START_TEST(intent_xu)
{
    run_generator("intent_xu", "xu");
}
END_TEST

START_TEST(intent_kivva)
{
    run_generator("intent_kivva", "kivva");
}
END_TEST

START_TEST(intent_kivva_relu1d)
{
    run_generator("intent_kivva_relu1d", "kivva-relu1d");
}
END_TEST

START_TEST(intent_ivae)
{
    run_generator("intent_ivae", "ivae");
}
END_TEST

START_TEST(intent_cx)
{
    run_generator("intent_cx", "cx");
}
END_TEST

START_TEST(intent_parallelograms)
{
    run_generator("intent_parallelograms", "parallelograms");
}
END_TEST

START_TEST(intent_pinwheel)
{
    run_generator("intent_pinwheel", "pinwheel");
}
END_TEST

START_TEST(intent_violate)
{
    run_generator("intent_violate", "violate");
}
END_TEST

/* Every registered generator has a configuration above. */
START_TEST(intent_coverage)
{
    for (size_t i = 0; i < idc_gen_count(); i++) {
        int found = 0;
        for (size_t ci = 0; ci < sizeof configs / sizeof configs[0]; ci++)
            found |= strcmp(configs[ci].gen, idc_gen_at(i)->name) == 0;
        ck_assert_msg(found, "generator %s has no intent configuration", idc_gen_at(i)->name);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("generators/intent");
    const idc_test_case cases[] = {
        {"intent_pdgmm", intent_pdgmm},
        {"intent_xu", intent_xu},
        {"intent_kivva", intent_kivva},
        {"intent_kivva_relu1d", intent_kivva_relu1d},
        {"intent_ivae", intent_ivae},
        {"intent_violate", intent_violate},
        {"intent_cx", intent_cx},
        {"intent_coverage", intent_coverage},
        {"intent_parallelograms", intent_parallelograms},
        {"intent_pinwheel", intent_pinwheel},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 120);
    return idc_test_run(s);
}
