/* Tests of sweep specifications (properties/sweep.h) and of running their
 * cells (properties/sweep_run.h), with DICE, a property defined here that
 * costs nothing: its trial draws one word from the trial's stream, which
 * picks the outcome and fills the record, so a record is a pure function of
 * (run seed, trial, parameters) and any scheduling mistake shows. The
 * registry's K3.9c checks that real property parameters are validated. */
#include <glob.h>
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "numeric/rng.h"
#include "numeric/tests/testutil.h"
#include "properties/prop.h"
#include "properties/sweep.h"
#include "properties/sweep_mpi.h"
#include "properties/sweep_run.h"

typedef struct {
    long m;
    double scale;
    int est; /* 0 a, 1 b */
} dice;

static atomic_int dice_runs;

static void dice_defaults(void *vp)
{
    *(dice *)vp = (dice){2, 1.0, 0};
}

static int dice_set(void *vp, const char *name, const char *v, idc_err *err)
{
    dice *p = vp;
    char *end;
    if (strcmp(name, "m") == 0) {
        long x = strtol(v, &end, 10);
        if (*end != '\0' || x < 1 || x > 100)
            return idc_err_set(err, IDC_EINVAL, "--m: expected an integer in 1..100, got \"%s\"", v);
        p->m = x;
    } else if (strcmp(name, "scale") == 0) {
        double x = strtod(v, &end);
        if (*end != '\0' || !(x > 0))
            return idc_err_set(err, IDC_EINVAL, "--scale: expected a positive number, got \"%s\"", v);
        p->scale = x;
    } else if (strcmp(name, "estimator") == 0) {
        if (strcmp(v, "a") != 0 && strcmp(v, "b") != 0)
            return idc_err_set(err, IDC_EINVAL, "--estimator: expected a or b, got \"%s\"", v);
        p->est = v[0] == 'b';
    } else {
        return idc_err_set(err, IDC_EINVAL, "--%s: unknown parameter of DICE", name);
    }
    return IDC_OK;
}

static json_t *dice_json(const void *vp)
{
    const dice *p = vp;
    return json_pack("{s:I,s:f,s:s}", "m", (json_int_t)p->m, "scale", p->scale, "estimator", p->est ? "b" : "a");
}

static int dice_trial(idc_trial *out, const void *vp, uint64_t run_seed, uint32_t index, idc_err *err)
{
    const dice *p = vp;
    memset(out, 0, sizeof *out);
    atomic_fetch_add(&dice_runs, 1);
    uint64_t draw = idc_rng_u64(idc_rng_stream(idc_rng_derive_seed(run_seed, index), 0, 9), 0);
    if (p->m == 99) /* a trial that ends in an error status */
        return idc_err_set(err, IDC_EDOM, "planted error");
    static const idc_trial_outcome oc[4] = {IDC_TRIAL_FAIL, IDC_TRIAL_DISCARD, IDC_TRIAL_INCONCLUSIVE,
                                            IDC_TRIAL_PASS};
    out->outcome = oc[draw % 4];
    double x = (double)(draw >> 11) * 0x1p-53 * p->scale * (double)p->m + (double)p->est;
    snprintf(out->line, sizeof out->line, "x=%.4g", x);
    if (out->outcome != IDC_TRIAL_PASS)
        snprintf(out->why, sizeof out->why, "planted %s", idc_trial_outcome_name(out->outcome));
    out->record = json_pack("{s:f,s:f}", "x", x, "third", 1.0 / 3.0);
    return IDC_OK;
}

static const idc_prop_def dice_def = {
    .id = "DICE",
    .summary = "outcome by a die",
    .params_help = "  m 2 count\n  scale 1 scale\n  estimator a a|b\n",
    .params_size = sizeof(dice),
    .defaults = dice_defaults,
    .set_param = dice_set,
    .params_json = dice_json,
    .run_trial = dice_trial,
};

static const idc_prop_def *find(const char *id)
{
    return strcmp(id, "DICE") == 0 ? &dice_def : idc_prop_find(id);
}

static idc_sweep *parse_ok(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    ck_assert_msg(j != NULL, "bad test JSON: %s", je.text);
    idc_sweep *s = NULL;
    idc_err err;
    int rc = idc_sweep_parse(&s, j, find, &err);
    ck_assert_msg(rc == IDC_OK, "%s", err.msg);
    json_decref(j);
    return s;
}

#define BASE "\"idcheck_sweep\": 1, \"name\": \"t\", \"seed\": 5, "

START_TEST(test_expand_order)
{
    /* grid knobs listed z then b: keys sort them, the last listed varies fastest */
    idc_sweep *s = parse_ok("{" BASE "\"seeds\": 2, \"properties\": [\"DICE\"], \"estimators\": [\"a\", \"b\"],"
                            "\"params\": {\"scale\": 0.5}, \"cases\": [{\"label\": \"r1\", \"params\": {\"m\": 3}},"
                            "{\"label\": \"r2\", \"params\": {\"m\": 4}}]}");
    ck_assert_uint_eq(s->ncells, 2 * 2 * 2);
    ck_assert_str_eq(s->cells[0].key, "DICE;estimator=a;case=r1;seed=0");
    ck_assert_str_eq(s->cells[1].key, "DICE;estimator=a;case=r1;seed=1");
    ck_assert_str_eq(s->cells[2].key, "DICE;estimator=a;case=r2;seed=0");
    ck_assert_str_eq(s->cells[7].key, "DICE;estimator=b;case=r2;seed=1");
    ck_assert_int_eq(json_integer_value(json_object_get(s->cells[2].params, "m")), 4);
    ck_assert(json_real_value(json_object_get(s->cells[2].params, "scale")) == 0.5);
    ck_assert_str_eq(json_string_value(json_object_get(s->cells[7].params, "estimator")), "b");
    ck_assert_str_eq(s->cells[7].overrides, "--m 4 --scale 0.5 --estimator b");
    ck_assert_str_eq(s->cells[7].case_label, "r2");
    /* seeds: one run seed per group, the trial index is the seed index */
    ck_assert(s->cells[0].run_seed == s->cells[1].run_seed);
    ck_assert(s->cells[0].run_seed != s->cells[2].run_seed);
    ck_assert(s->cells[0].run_seed == idc_sweep_group_seed(5, "DICE;estimator=a;case=r1"));
    ck_assert_uint_eq(s->cells[1].index, 1);
    ck_assert_uint_eq(idc_sweep_find_cell(s, "DICE;estimator=b;case=r1;seed=1"), 5);
    ck_assert_uint_eq(idc_sweep_find_cell(s, "DICE;estimator=b;case=r1;seed=2"), (size_t)-1);
    idc_sweep_free(s);

    s = parse_ok("{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"grid\": {\"scale\": [1, 2.5], \"m\": [7, 8, 9]}}");
    ck_assert_uint_eq(s->ncells, 6);
    ck_assert_str_eq(s->cells[0].key, "DICE;m=7;scale=1;seed=0");
    ck_assert_str_eq(s->cells[1].key, "DICE;m=8;scale=1;seed=0");
    ck_assert_str_eq(s->cells[3].key, "DICE;m=7;scale=2.5;seed=0");
    ck_assert(json_real_value(json_object_get(s->cells[3].knobs, "scale")) == 2.5);
    idc_sweep_free(s);
}
END_TEST

START_TEST(test_identity_and_common_seeds)
{
    /* the same sweep written with its keys in another order: same canonical text and id */
    idc_sweep *a = parse_ok("{" BASE "\"seeds\": 3, \"properties\": [\"DICE\"], \"grid\": {\"m\": [1, 2]}}");
    idc_sweep *b = parse_ok("{\"grid\": {\"m\": [1, 2]}, \"properties\": [\"DICE\"], \"seeds\": 3, \"seed\": 5, "
                            "\"name\": \"t\", \"idcheck_sweep\": 1}");
    ck_assert_str_eq(a->canonical, b->canonical);
    ck_assert_str_eq(a->id, b->id);
    ck_assert_uint_eq(strlen(a->id), 16);
    ck_assert(a->cells[0].run_seed != a->cells[3].run_seed);
    idc_sweep *c = parse_ok("{" BASE "\"seeds\": 3, \"properties\": [\"DICE\"], \"grid\": {\"m\": [1, 2]}, "
                            "\"common_seeds\": true}");
    ck_assert_str_ne(a->id, c->id);
    ck_assert(c->cells[0].run_seed == 5 && c->cells[3].run_seed == 5);
    ck_assert_str_eq(c->cells[0].key, a->cells[0].key);
    /* seed as a hex string */
    idc_sweep *d = parse_ok("{\"idcheck_sweep\": 1, \"name\": \"t\", \"seed\": \"0xffffffffffffffff\", \"seeds\": 1, "
                            "\"properties\": [\"DICE\"], \"common_seeds\": true}");
    ck_assert(d->seed == UINT64_MAX && d->cells[0].run_seed == UINT64_MAX);
    idc_sweep_free(a);
    idc_sweep_free(b);
    idc_sweep_free(c);
    idc_sweep_free(d);
    /* the group seed is a function of both inputs */
    ck_assert(idc_sweep_group_seed(1, "X") != idc_sweep_group_seed(2, "X"));
    ck_assert(idc_sweep_group_seed(1, "X") != idc_sweep_group_seed(1, "Y"));
    ck_assert(idc_sweep_group_seed(1, "X") == idc_sweep_group_seed(1, "X"));
}
END_TEST

/* Every bad input: IDC_EINVAL, one line naming the field. */
START_TEST(test_errors)
{
    static const struct {
        const char *json, *expect;
    } bad[] = {
        {"[]", "expected a JSON object"},
        {"{\"idcheck_sweep\": 2, \"name\": \"t\", \"seeds\": 1, \"properties\": [\"DICE\"]}", "idcheck_sweep:"},
        {"{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"bogus\": 1}", "bogus: unknown field"},
        {"{\"idcheck_sweep\": 1, \"name\": \"a b\", \"seeds\": 1, \"properties\": [\"DICE\"]}", "name:"},
        {"{" BASE "\"seeds\": 0, \"properties\": [\"DICE\"]}", "seeds:"},
        {"{" BASE "\"seeds\": 1}", "properties: missing"},
        {"{" BASE "\"seeds\": 1, \"properties\": []}", "properties: expected a non-empty array"},
        {"{" BASE "\"seeds\": 1, \"properties\": [\"NOPE\"]}", "properties[0]: unknown property \"NOPE\""},
        {"{" BASE "\"seeds\": 1, \"properties\": [\"DICE\", \"DICE\"]}", "properties[1]: \"DICE\" listed twice"},
        {"{" BASE "\"seeds\": 1, \"properties\": [{\"id\": \"DICE\", \"x\": 1}]}", "properties[0].x: unknown field"},
        {"{" BASE "\"seeds\": 1, \"properties\": [{\"id\": \"DICE\", \"params\": {\"m\": 500}}]}",
         "properties[0].params.m: property DICE: --m: expected an integer in 1..100"},
        {"{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"params\": {\"nope\": 1}}",
         "params.nope: property DICE: --nope: unknown parameter"},
        {"{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"params\": {\"m\": [1]}}", "params.m: expected a number"},
        {"{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"params\": {\"m\": \"a;b\"}}", "params.m: expected"},
        {"{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"grid\": {\"m\": [1, 200]}}",
         "grid.m[1]: property DICE: --m: expected an integer in 1..100, got \"200\""},
        {"{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"grid\": {\"m\": [1, 1.0]}}",
         "grid.m[1]: value 1 listed twice"},
        {"{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"grid\": {\"m\": []}}", "grid.m: expected a non-empty"},
        {"{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"grid\": {\"seed\": [1]}}", "grid.seed: reserved"},
        {"{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"params\": {\"m\": 2}, \"grid\": {\"m\": [1]}}",
         "grid.m: also set in params"},
        {"{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"estimators\": [\"a\", \"c\"]}",
         "estimators[1]: property DICE: --estimator: expected a or b"},
        {"{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"estimators\": [\"a\", \"a\"]}",
         "estimators[1]: \"a\" listed twice"},
        {"{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"estimators\": [\"a\"], \"params\": {\"estimator\": "
         "\"b\"}}",
         "estimators: the estimator is also set in params"},
        {"{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"cases\": [{\"label\": \"x\", \"params\": {}}, "
         "{\"label\": \"x\", \"params\": {}}]}",
         "cases[1].label: \"x\" used twice"},
        {"{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"cases\": [{\"params\": {}}]}", "cases[0].label:"},
        {"{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"cases\": [{\"label\": \"x\"}]}",
         "cases[0].params: missing"},
        {"{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"scale\": \"huge\"}", "scale:"},
        {"{\"idcheck_sweep\": 1, \"name\": \"t\", \"seed\": -1, \"seeds\": 1, \"properties\": [\"DICE\"]}", "seed:"},
        {"{" BASE "\"seeds\": 100000, \"properties\": [\"DICE\"], \"grid\": {\"m\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "
         "11]}}",
         "grid: 1100000 cells, more than 1000000"},
        /* a real property's parameters are checked too */
        {"{" BASE "\"seeds\": 1, \"properties\": [\"K3.9c\"], \"grid\": {\"steps\": [10, -1]}}",
         "grid.steps[1]: property K3.9c: --steps:"},
        {"{" BASE "\"seeds\": 1, \"properties\": [\"K3.9c\"], \"params\": {\"ratio\": 0.5}}",
         "params.ratio: property K3.9c:"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_error_t je;
        json_t *j = json_loads(bad[i].json, JSON_REJECT_DUPLICATES, &je);
        ck_assert_msg(j != NULL, "case %zu: bad test JSON: %s", i, je.text);
        idc_sweep *s = (idc_sweep *)1;
        idc_err err;
        int rc = idc_sweep_parse(&s, j, find, &err);
        json_decref(j);
        ck_assert_msg(rc == IDC_EINVAL && s == NULL, "case %zu: rc %d", i, rc);
        ck_assert_msg(strstr(err.msg, bad[i].expect) == err.msg, "case %zu: \"%s\" does not start with \"%s\"", i,
                      err.msg, bad[i].expect);
        ck_assert_msg(strchr(err.msg, '\n') == NULL, "case %zu: more than one line", i);
    }
}
END_TEST

START_TEST(test_load_errors)
{
    char dir[] = "/tmp/idc_sweep_XXXXXX", path[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/s.json", dir);
    idc_sweep *s = NULL;
    idc_err err;
    ck_assert_int_eq(idc_sweep_load(&s, path, find, &err), IDC_EIO);
    ck_assert(strstr(err.msg, path) == err.msg);
    FILE *fp = fopen(path, "w");
    fputs("{\"idcheck_sweep\": 1, \"name\": \"t\", \"name\": \"u\"}", fp);
    fclose(fp);
    ck_assert_int_eq(idc_sweep_load(&s, path, find, &err), IDC_EINVAL);
    ck_assert_msg(strstr(err.msg, "duplicate") != NULL, "%s", err.msg);
    fp = fopen(path, "w");
    fputs("{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"grid\": {\"m\": [0]}}", fp);
    fclose(fp);
    ck_assert_int_eq(idc_sweep_load(&s, path, find, &err), IDC_EINVAL);
    char want[128];
    snprintf(want, sizeof want, "%s: grid.m[0]: property DICE: --m:", path);
    ck_assert_msg(strstr(err.msg, want) == err.msg, "%s", err.msg);
    fp = fopen(path, "w");
    fputs("{" BASE "\"seeds\": 2, \"properties\": [\"DICE\"]}", fp);
    fclose(fp);
    ck_assert_int_eq(idc_sweep_load(&s, path, find, &err), IDC_OK);
    ck_assert_uint_eq(s->ncells, 2);
    idc_sweep_free(s);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_shards)
{
    unsigned i, n;
    idc_err err;
    ck_assert_int_eq(idc_sweep_shard_parse(&i, &n, "2/3", &err), IDC_OK);
    ck_assert(i == 2 && n == 3);
    static const char *const bad[] = {"0/3", "4/3", "1/0", "1", "a/2", "1/2x", "-1/2", "1/+2", " 1/2", "1/65537", ""};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ck_assert_msg(idc_sweep_shard_parse(&i, &n, bad[k], &err) == IDC_EINVAL, "%s", bad[k]);
        ck_assert(strncmp(err.msg, "--shard:", 8) == 0);
    }
    /* every cell in exactly one shard */
    for (size_t c = 0; c < 50; c++) {
        int in = 0;
        for (unsigned k = 1; k <= 4; k++)
            in += idc_sweep_in_shard(c, k, 4);
        ck_assert_int_eq(in, 1);
        ck_assert(idc_sweep_in_shard(c, 1, 1));
    }
}
END_TEST

/* A put callback collecting records by cell. */
typedef struct {
    json_t *by_cell; /* array, one slot per cell */
    size_t calls, fail_after;
} collect;

static int put(void *ctx, const idc_sweep *s, size_t cell, const json_t *rec, idc_err *err)
{
    (void)s;
    collect *c = ctx;
    if (c->fail_after && c->calls >= c->fail_after)
        return idc_err_set(err, IDC_EIO, "disk full (planted)");
    c->calls++;
    ck_assert(json_is_null(json_array_get(c->by_cell, cell)));
    json_t *r = json_deep_copy(rec);
    json_object_del(r, "wall_seconds");
    json_array_set_new(c->by_cell, cell, r);
    return IDC_OK;
}

static json_t *run_all(const idc_sweep *s, unsigned threads, const unsigned char *skip)
{
    collect c = {json_array(), 0, 0};
    for (size_t i = 0; i < s->ncells; i++)
        json_array_append_new(c.by_cell, json_null());
    idc_sweep_run_opts o = {threads, skip, put, &c};
    idc_err err;
    int rc = idc_sweep_run(s, &o, &err);
    ck_assert_msg(rc == IDC_OK, "%s", err.msg);
    return c.by_cell;
}

START_TEST(test_run_threads_skip)
{
    uint64_t seed = idc_test_seed(0x5eed);
    IDC_TEST_PRINT_SEED("sweep_run", seed);
    char text[512];
    snprintf(text, sizeof text,
             "{\"idcheck_sweep\": 1, \"name\": \"t\", \"seed\": %" PRIu64 ", \"seeds\": 5, \"properties\": [\"DICE\"], "
             "\"estimators\": [\"a\", \"b\"], \"grid\": {\"m\": [1, 2, 3]}}",
             seed >> 1);
    idc_sweep *s = parse_ok(text);
    ck_assert_uint_eq(s->ncells, 30);
    atomic_store(&dice_runs, 0);
    json_t *one = run_all(s, 1, NULL);
    ck_assert_int_eq(atomic_load(&dice_runs), 30);
    json_t *four = run_all(s, 4, NULL);
    int ok = json_equal(one, four);
    if (!ok)
        idc_test_print_replay("sweep_run", seed, __FILE__);
    ck_assert_msg(ok, "records differ between 1 and 4 threads");
    size_t outcomes[4] = {0};
    for (size_t i = 0; i < s->ncells; i++) {
        json_t *r = json_array_get(one, i);
        ck_assert_str_eq(json_string_value(json_object_get(r, "cell")), s->cells[i].key);
        ck_assert_str_eq(json_string_value(json_object_get(r, "property")), "DICE");
        ck_assert_int_eq(json_integer_value(json_object_get(r, "trial")), s->cells[i].index);
        ck_assert(json_equal(json_object_get(r, "params"), s->cells[i].params));
        char want[256], seedhex[24];
        snprintf(want, sizeof want, "idcheck prop DICE --replay 0x%" PRIx64 ":%" PRIu32 "%s%s", s->cells[i].run_seed,
                 s->cells[i].index, s->cells[i].overrides[0] ? " " : "", s->cells[i].overrides);
        ck_assert_str_eq(json_string_value(json_object_get(r, "replay")), want);
        snprintf(seedhex, sizeof seedhex, "0x%016" PRIx64, idc_rng_derive_seed(s->cells[i].run_seed, s->cells[i].index));
        ck_assert_str_eq(json_string_value(json_object_get(r, "seed")), seedhex);
        const char *oc = idc_sweep_record_outcome(r);
        for (int k = 0; k < 4; k++)
            outcomes[k] += strcmp(oc, idc_trial_outcome_name((idc_trial_outcome)k)) == 0;
    }
    ck_assert_uint_eq(outcomes[0] + outcomes[1] + outcomes[2] + outcomes[3], 30);
    /* skipped cells are not run; the others give the same records */
    unsigned char skip[30] = {0};
    for (size_t i = 0; i < 30; i += 3)
        skip[i] = 1;
    atomic_store(&dice_runs, 0);
    json_t *part = run_all(s, 3, skip);
    ck_assert_int_eq(atomic_load(&dice_runs), 20);
    for (size_t i = 0; i < 30; i++) {
        if (skip[i])
            ck_assert(json_is_null(json_array_get(part, i)));
        else
            ck_assert(json_equal(json_array_get(part, i), json_array_get(one, i)));
    }
    json_decref(one);
    json_decref(four);
    json_decref(part);
    idc_sweep_free(s);
}
END_TEST

START_TEST(test_run_put_failure_and_error_trial)
{
    idc_sweep *s = parse_ok("{" BASE "\"seeds\": 10, \"properties\": [\"DICE\"]}");
    collect c = {json_array(), 0, 3};
    for (size_t i = 0; i < s->ncells; i++)
        json_array_append_new(c.by_cell, json_null());
    idc_sweep_run_opts o = {2, NULL, put, &c};
    idc_err err;
    atomic_store(&dice_runs, 0);
    ck_assert_int_eq(idc_sweep_run(s, &o, &err), IDC_EIO);
    ck_assert_str_eq(err.msg, "disk full (planted)");
    ck_assert_uint_eq(c.calls, 3);
    ck_assert_int_le(atomic_load(&dice_runs), 5); /* no new cell starts once put failed */
    json_decref(c.by_cell);
    idc_sweep_free(s);
    /* a trial ending in an error status is an ERROR record */
    s = parse_ok("{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"params\": {\"m\": 99}}");
    json_t *rec = NULL;
    ck_assert_int_eq(idc_sweep_run_cell(&rec, s, 0, &err), IDC_OK);
    ck_assert_str_eq(idc_sweep_record_outcome(rec), "ERROR");
    ck_assert_str_eq(json_string_value(json_object_get(rec, "cell")), "DICE;seed=0");
    ck_assert(strstr(json_string_value(json_object_get(rec, "error")), "planted error") != NULL);
    json_decref(rec);
    ck_assert_int_eq(idc_sweep_run_cell(&rec, s, 1, &err), IDC_EINTERNAL);
    idc_sweep_free(s);
}
END_TEST

START_TEST(test_cell_params_and_record_equal)
{
    idc_sweep *s = parse_ok("{" BASE "\"seeds\": 1, \"properties\": [\"DICE\"], \"params\": {\"scale\": 2}, "
                            "\"grid\": {\"m\": [3, 4]}}");
    for (size_t i = 0; i < s->ncells; i++) {
        void *p = NULL;
        idc_err err;
        ck_assert_int_eq(idc_sweep_cell_params(&p, &s->cells[i], &err), IDC_OK);
        json_t *j = dice_json(p);
        ck_assert(json_equal(j, s->cells[i].params));
        ck_assert_int_eq(((dice *)p)->m, 3 + (long)i);
        ck_assert(((dice *)p)->scale == 2.0);
        json_decref(j);
        free(p);
    }
    /* a knob set_param refuses (never in a parsed sweep): one line naming the cell */
    json_object_set_new(s->cells[0].knobs, "m", json_integer(1000));
    void *p = (void *)1;
    idc_err err;
    ck_assert_int_eq(idc_sweep_cell_params(&p, &s->cells[0], &err), IDC_EINVAL);
    ck_assert(p == NULL);
    ck_assert_msg(strstr(err.msg, "cell DICE;m=3;seed=0: --m:") == err.msg, "%s", err.msg);
    idc_sweep_free(s);

    json_t *a = json_pack("{s:s,s:f,s:{s:f,s:[i,f]},s:f}", "outcome", "PASS", "wall_seconds", 1.5, "est", "train_seconds",
                          2.0, "v", 1, 0.25, "x", 0.1);
    json_t *b = json_pack("{s:s,s:f,s:{s:f,s:[i,f]},s:f}", "outcome", "PASS", "wall_seconds", 9.0, "est", "train_seconds",
                          7.0, "v", 1, 0.25, "x", 0.1);
    ck_assert(idc_sweep_record_equal(a, b));
    json_object_del(json_object_get(b, "est"), "train_seconds"); /* timings may be missing on one side */
    ck_assert(idc_sweep_record_equal(a, b));
    json_object_set_new(b, "x", json_real(nextafter(0.1, 1.0))); /* the last bit of a number counts */
    ck_assert(!idc_sweep_record_equal(a, b));
    json_object_set_new(b, "x", json_real(0.1));
    json_array_set_new(json_object_get(json_object_get(b, "est"), "v"), 0, json_real(1.0)); /* 1 is not 1.0 */
    ck_assert(!idc_sweep_record_equal(a, b));
    json_array_set_new(json_object_get(json_object_get(b, "est"), "v"), 0, json_integer(1));
    ck_assert(idc_sweep_record_equal(a, b));
    json_object_set_new(b, "extra", json_true());
    ck_assert(!idc_sweep_record_equal(a, b));
    ck_assert(!idc_sweep_record_equal(b, a));
    json_object_del(b, "extra");
    json_array_append_new(json_object_get(json_object_get(b, "est"), "v"), json_null());
    ck_assert(!idc_sweep_record_equal(a, b));
    json_decref(a);
    json_decref(b);
}
END_TEST

/* The MPI launch detection and the plugin-less refusal (the transport itself
 * is tested under mpirun in cli/tests/test_sweep_cli.c). */
START_TEST(test_mpi_detection_and_missing_plugin)
{
    unsetenv("OMPI_COMM_WORLD_SIZE");
    unsetenv("PMI_SIZE");
    ck_assert_int_eq(idc_sweep_mpi_launched(), 0);
    setenv("PMI_SIZE", "3", 1);
    ck_assert_int_eq(idc_sweep_mpi_launched(), 3);
    setenv("OMPI_COMM_WORLD_SIZE", "4", 1);
    ck_assert_int_eq(idc_sweep_mpi_launched(), 4);
    setenv("IDCHECK_MPI_LIB", "/nonexistent/libidcheck-mpi.so", 1);
    idc_sweep_mpi *m = (idc_sweep_mpi *)1;
    idc_err err;
    ck_assert_int_eq(idc_sweep_mpi_open(&m, &err), IDC_EINVAL);
    ck_assert(m == NULL);
    ck_assert_msg(strstr(err.msg, "launched by mpirun with 4 ranks, but this idcheck has no MPI plugin "
                                  "(/nonexistent/libidcheck-mpi.so: ") == err.msg,
                  "%s", err.msg);
    ck_assert(strchr(err.msg, '\n') == NULL);
    unsetenv("OMPI_COMM_WORLD_SIZE");
    unsetenv("PMI_SIZE");
    unsetenv("IDCHECK_MPI_LIB");
    idc_sweep_mpi_close(NULL);
}
END_TEST

/* Every shipped sweep file (properties/sweeps/, run from the repository
 * root) parses against the registry, and each study comes at both scales
 * with the same grid knobs. */
START_TEST(test_shipped_files)
{
    glob_t g;
    ck_assert_int_eq(glob("properties/sweeps/*.cpu.json", 0, NULL, &g), 0);
    ck_assert_uint_ge(g.gl_pathc, 9);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char paper[512];
        const char *cpu = g.gl_pathv[i];
        snprintf(paper, sizeof paper, "%.*s.paper.json", (int)(strlen(cpu) - strlen(".cpu.json")), cpu);
        idc_sweep *a = NULL, *b = NULL;
        idc_err err;
        ck_assert_msg(idc_sweep_load(&a, cpu, NULL, &err) == IDC_OK, "%s", err.msg);
        ck_assert_msg(idc_sweep_load(&b, paper, NULL, &err) == IDC_OK, "%s", err.msg);
        ck_assert_uint_gt(a->ncells, 0);
        ck_assert_uint_ge(b->ncells, a->ncells / 2);
        json_t *ja = json_loads(a->canonical, 0, NULL), *jb = json_loads(b->canonical, 0, NULL);
        ck_assert_str_eq(json_string_value(json_object_get(ja, "scale")), "cpu");
        ck_assert_str_eq(json_string_value(json_object_get(jb, "scale")), "paper");
        ck_assert_msg(json_string_length(json_object_get(ja, "description")) > 100, "%s: no description", cpu);
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(ja, "grid"), k, v)
        {
            ck_assert_msg(json_object_get(json_object_get(jb, "grid"), k) != NULL, "%s: knob %s", paper, k);
        }
        json_decref(ja);
        json_decref(jb);
        idc_sweep_free(a);
        idc_sweep_free(b);
    }
    globfree(&g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("sweep");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_expand_order);
    tcase_add_test(tc, test_identity_and_common_seeds);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_load_errors);
    tcase_add_test(tc, test_shards);
    tcase_add_test(tc, test_run_threads_skip);
    tcase_add_test(tc, test_run_put_failure_and_error_trial);
    tcase_add_test(tc, test_shipped_files);
    tcase_add_test(tc, test_cell_params_and_record_equal);
    tcase_add_test(tc, test_mpi_detection_and_missing_plugin);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? 0 : 1;
}
