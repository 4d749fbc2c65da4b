/* Tests of shrinking, regression seeds and the runner's phases with a
 * PLANTED property defined here: cheap (no training), with a failure region
 * known exactly, so the minimal failing instance is known in advance.
 *
 * PLANTED's trial draws one 64-bit word from its trial stream (so records
 * depend on the trial seed) and, by `mode`:
 *   0: FAILS iff m >= 4 and J >= 3      (minimal: m = 4, J = 3)
 *   1: FAILS iff m >= 4 or J >= 3       (minimal from m, J large: m = 1, J = 3)
 *   2: FAILS iff x >= 1                 (minimal: x = 1 exactly)
 *   3: FAILS iff m >= 4 and the draw is even (about half the trials)
 *   4: FAILS iff x >= 0.3               (minimal: x = 0.3, the double nearest)
 * A trial with m == discard_m is DISCARDED (its "precondition" is not HOLDS);
 * one with m == error_m returns IDC_EDOM (an error, not a verdict). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "numeric/rng.h"
#include "numeric/tests/testutil.h"
#include "properties/prop.h"
#include "properties/regress.h"
#include "properties/shrink.h"

typedef struct {
    size_t m, J;
    double x;
    size_t mode, discard_m, error_m;
} planted;

static void planted_defaults(void *vp)
{
    planted *p = vp;
    p->m = 2;
    p->J = 2;
    p->x = 0.5;
    p->mode = 0;
    p->discard_m = 0;
    p->error_m = 0;
}

static int planted_set(void *vp, const char *name, const char *v, idc_err *err)
{
    planted *p = vp;
    char *end;
    if (strcmp(name, "x") == 0) {
        double d = strtod(v, &end);
        if (end == v || *end != '\0' || d < 0)
            return idc_err_set(err, IDC_EINVAL, "--x: expected a number >= 0");
        p->x = d;
        return IDC_OK;
    }
    size_t *f = strcmp(name, "m") == 0           ? &p->m
                : strcmp(name, "J") == 0         ? &p->J
                : strcmp(name, "mode") == 0      ? &p->mode
                : strcmp(name, "discard_m") == 0 ? &p->discard_m
                : strcmp(name, "error_m") == 0   ? &p->error_m
                                                 : NULL;
    if (f == NULL)
        return idc_err_set(err, IDC_EINVAL, "--%s: unknown parameter of PLANTED", name);
    unsigned long long z = strtoull(v, &end, 10);
    if (end == v || *end != '\0' || v[0] == '-' || ((f == &p->m || f == &p->J) && z == 0))
        return idc_err_set(err, IDC_EINVAL, "--%s: bad value \"%s\"", name, v);
    *f = (size_t)z;
    return IDC_OK;
}

static json_t *planted_json(const void *vp)
{
    const planted *p = vp;
    return json_pack("{s:I,s:I,s:f,s:I,s:I,s:I}", "m", (json_int_t)p->m, "J", (json_int_t)p->J, "x", p->x, "mode",
                     (json_int_t)p->mode, "discard_m", (json_int_t)p->discard_m, "error_m", (json_int_t)p->error_m);
}

static int planted_trial(idc_trial *out, const void *vp, uint64_t run_seed, uint32_t index, idc_err *err)
{
    const planted *p = vp;
    memset(out, 0, sizeof *out);
    uint64_t tseed = idc_rng_derive_seed(run_seed, index);
    uint64_t draw = idc_rng_u64(idc_rng_stream(tseed, 0, 7), 0);
    if (p->error_m != 0 && p->m == p->error_m)
        return idc_err_set(err, IDC_EDOM, "planted error at m = %zu", p->m);
    int fails;
    switch (p->mode) {
    case 0: fails = p->m >= 4 && p->J >= 3; break;
    case 1: fails = p->m >= 4 || p->J >= 3; break;
    case 2: fails = p->x >= 1.0; break;
    case 4: fails = p->x >= 0.3; break;
    default: fails = p->m >= 4 && draw % 2 == 0; break;
    }
    snprintf(out->line, sizeof out->line, "m=%zu J=%zu x=%g draw=%016" PRIx64, p->m, p->J, p->x, draw);
    char hex[24];
    snprintf(hex, sizeof hex, "0x%016" PRIx64, draw);
    out->record = json_pack("{s:s,s:I,s:I,s:f}", "draw", hex, "m", (json_int_t)p->m, "J", (json_int_t)p->J, "x", p->x);
    if (p->discard_m != 0 && p->m == p->discard_m) {
        out->outcome = IDC_TRIAL_DISCARD;
        snprintf(out->why, sizeof out->why, "PRE is FAILS at m = %zu", p->m);
    } else if (fails) {
        out->outcome = IDC_TRIAL_FAIL;
        snprintf(out->why, sizeof out->why, "planted failure <&> at m=%zu J=%zu x=%g", p->m, p->J, p->x);
    } else {
        out->outcome = IDC_TRIAL_PASS;
    }
    return IDC_OK;
}

static const idc_prop_shrinkable planted_shrink[] = {
    {"m", 1, 1, 0},
    {"J", 1, 1, 0},
    {"x", 0, 0, 1}, /* opt-in */
};

static const idc_prop_def planted_def = {
    .id = "PLANTED",
    .summary = "planted failure region",
    .params_help = "",
    .params_size = sizeof(planted),
    .defaults = planted_defaults,
    .set_param = planted_set,
    .params_json = planted_json,
    .run_trial = planted_trial,
    .shrinkables = planted_shrink,
    .nshrinkables = sizeof planted_shrink / sizeof planted_shrink[0],
};

static planted make(size_t m, size_t J, double x, size_t mode)
{
    planted p;
    planted_defaults(&p);
    p.m = m;
    p.J = J;
    p.x = x;
    p.mode = mode;
    return p;
}

static json_t *shrink(const planted *p, uint32_t steps, const char *only)
{
    json_t *out = NULL;
    idc_err err;
    int rc = idc_prop_shrink(&out, &planted_def, p, 42, 3, steps, only, &err);
    ck_assert_msg(rc == IDC_OK, "%s", err.msg);
    return out;
}

static json_int_t iget(const json_t *o, const char *path1, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(o, path1), key));
}

START_TEST(test_shrink_to_exact_threshold)
{
    /* AND: the boundary of the failure region, exactly. */
    planted p = make(10, 8, 0.5, 0);
    json_t *s = shrink(&p, 200, NULL);
    ck_assert_int_eq(iget(s, "params", "m"), 4);
    ck_assert_int_eq(iget(s, "params", "J"), 3);
    ck_assert_int_eq(iget(s, "changed", "m"), 4);
    ck_assert(json_is_false(json_object_get(s, "exhausted")));
    ck_assert_int_eq(iget(s, "record", "m"), 4);
    ck_assert_str_eq(json_string_value(json_object_get(s, "overrides")), "--m 4 --J 3");
    /* Big steps first: the target, then halfway, ... */
    json_t *log = json_object_get(s, "log");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(log, 0), "value")), "1");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(log, 1), "value")), "6");
    ck_assert(json_is_true(json_object_get(json_array_get(log, 1), "accepted")));
    ck_assert_int_eq(json_integer_value(json_object_get(s, "steps")), (json_int_t)json_array_size(log));
    json_decref(s);
    /* OR: m goes to its target (J >= 3 keeps failing), J to its threshold. */
    p = make(10, 8, 0.5, 1);
    s = shrink(&p, 200, NULL);
    ck_assert_int_eq(iget(s, "params", "m"), 1);
    ck_assert_int_eq(iget(s, "params", "J"), 3);
    json_decref(s);
    /* Already minimal: nothing changes, every candidate passed. */
    p = make(4, 3, 0.5, 0);
    s = shrink(&p, 200, NULL);
    ck_assert_uint_eq(json_object_size(json_object_get(s, "changed")), 0);
    ck_assert_ptr_null(json_object_get(s, "record"));
    ck_assert_uint_gt(json_array_size(json_object_get(s, "log")), 0);
    json_decref(s);
}
END_TEST

START_TEST(test_shrink_real_and_opt_in)
{
    /* x is opt-in: not shrunk by default (m and J are, to their targets,
     * since the failure does not depend on them). */
    planted p = make(2, 2, 7.3, 2);
    json_t *s = shrink(&p, 200, NULL);
    ck_assert_ptr_null(json_object_get(json_object_get(s, "changed"), "x"));
    ck_assert_int_eq(iget(s, "changed", "m"), 1);
    ck_assert_int_eq(iget(s, "changed", "J"), 1);
    json_decref(s);
    p = make(1, 1, 7.3, 2);
    s = shrink(&p, 200, "x");
    ck_assert(json_real_value(json_object_get(json_object_get(s, "params"), "x")) == 1.0);
    ck_assert_str_eq(json_string_value(json_object_get(s, "overrides")), "--m 1 --J 1 --x 1 --mode 2");
    json_decref(s);
    /* Simpler numbers: halfway points are rounded to short decimals, so the
     * search lands on 0.3 itself, not on 0.30000000000000004. */
    p = make(1, 1, 2.0, 4);
    s = shrink(&p, 200, "x");
    ck_assert(json_real_value(json_object_get(json_object_get(s, "params"), "x")) == 0.3);
    json_decref(s);
    /* only= restricts: J alone. */
    p = make(10, 8, 0.5, 0);
    s = shrink(&p, 200, "J");
    ck_assert_int_eq(iget(s, "params", "m"), 10);
    ck_assert_int_eq(iget(s, "params", "J"), 3);
    json_decref(s);
    idc_err err;
    json_t *none = NULL;
    ck_assert_int_eq(idc_prop_shrink(&none, &planted_def, &p, 1, 0, 10, "m,nope", &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "nope") != NULL);
    ck_assert_ptr_null(none);
    ck_assert_int_eq(idc_prop_shrink_check_names(&planted_def, "m,J,x", &err), IDC_OK);
}
END_TEST

START_TEST(test_shrink_rechecks_preconditions)
{
    /* m = 4 fails the assertion but its precondition is not HOLDS: the
     * shrinker must not accept it, and stops at m = 5. */
    planted p = make(10, 8, 0.5, 0);
    p.discard_m = 4;
    json_t *s = shrink(&p, 200, NULL);
    ck_assert_int_eq(iget(s, "params", "m"), 5);
    ck_assert_int_eq(iget(s, "params", "J"), 3);
    size_t i, discards = 0;
    json_t *e;
    json_array_foreach(json_object_get(s, "log"), i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "outcome")), "DISCARD") == 0) {
            ck_assert_str_eq(json_string_value(json_object_get(e, "value")), "4");
            ck_assert(json_is_false(json_object_get(e, "accepted")));
            discards++;
        }
    }
    ck_assert_uint_ge(discards, 1);
    json_decref(s);
    /* A candidate that errs is skipped the same way. */
    p.discard_m = 0;
    p.error_m = 4;
    s = shrink(&p, 200, NULL);
    ck_assert_int_eq(iget(s, "params", "m"), 5);
    json_decref(s);
}
END_TEST

START_TEST(test_shrink_step_cap)
{
    planted p = make(1000, 900, 0.5, 0);
    json_t *s = shrink(&p, 3, NULL);
    ck_assert(json_is_true(json_object_get(s, "exhausted")));
    ck_assert_int_eq(json_integer_value(json_object_get(s, "steps")), 3);
    ck_assert_uint_eq(json_array_size(json_object_get(s, "log")), 3);
    /* Whatever was reached still fails. */
    ck_assert_ptr_nonnull(json_object_get(s, "record"));
    json_decref(s);
    s = shrink(&p, 0, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(s, "steps")), 0);
    ck_assert_uint_eq(json_object_size(json_object_get(s, "changed")), 0);
    json_decref(s);
}
END_TEST

/* Applies "--k v --k v" to the defaults. */
static void apply_overrides(planted *p, const char *ov)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", ov);
    planted_defaults(p);
    idc_err err;
    char *save = NULL;
    for (char *k = strtok_r(buf, " ", &save); k != NULL; k = strtok_r(NULL, " ", &save)) {
        char *v = strtok_r(NULL, " ", &save);
        ck_assert(strncmp(k, "--", 2) == 0 && v != NULL);
        ck_assert_int_eq(planted_set(p, k + 2, v, &err), IDC_OK);
    }
}

START_TEST(test_minimal_replay_reproduces)
{
    planted p = make(9, 7, 0.5, 0);
    json_t *s = shrink(&p, 200, NULL);
    /* From the recorded params object, and from the overrides string. */
    planted q, r;
    idc_err err;
    ck_assert_int_eq(idc_prop_params_from_json(&q, &planted_def, json_object_get(s, "params"), &err), IDC_OK);
    apply_overrides(&r, json_string_value(json_object_get(s, "overrides")));
    ck_assert_int_eq(memcmp(&q, &r, sizeof q), 0);
    idc_trial t;
    ck_assert_int_eq(planted_trial(&t, &r, 42, 3, &err), IDC_OK);
    ck_assert_int_eq(t.outcome, IDC_TRIAL_FAIL);
    ck_assert(json_equal(t.record, json_object_get(s, "record")));
    ck_assert_str_eq(t.why, json_string_value(json_object_get(s, "why")));
    idc_trial_clear(&t);
    json_decref(s);
    /* idc_prop_params_from_json rejects what set_param rejects. */
    json_t *bad = json_pack("{s:i}", "nope", 1);
    ck_assert_int_eq(idc_prop_params_from_json(&q, &planted_def, bad, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "params.nope") != NULL);
    json_decref(bad);
}
END_TEST

static void strip(json_t *res)
{
    static const char *const arrays[] = {"regressions", "trials"};
    for (int a = 0; a < 2; a++) {
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(res, arrays[a]), i, t) json_object_del(t, "wall_seconds");
    }
}

static json_t *run(const planted *p, uint64_t seed, uint32_t first, uint32_t n, unsigned jobs, uint32_t steps,
                   const idc_prop_regressions *regs, idc_prop_summary *sum, FILE *progress)
{
    idc_prop_run_opts o = {.seed = seed, .first = first, .trials = n, .jobs = jobs, .progress = progress,
                           .replay_args = "--mode 3", .shrink_steps = steps, .regressions = regs};
    json_t *res = NULL;
    idc_err err;
    int rc = idc_prop_run(sum, &res, &planted_def, p, &o, &err);
    ck_assert_msg(rc == IDC_OK, "%s", err.msg);
    strip(res);
    return res;
}

START_TEST(test_run_shrinks_deterministically_whatever_jobs)
{
    uint64_t seed = idc_test_seed(0x5eed);
    IDC_TEST_PRINT_SEED("run_shrinks_deterministically_whatever_jobs", seed);
    planted p = make(12, 2, 0.5, 3);
    idc_prop_summary s1, s2;
    json_t *a = run(&p, seed, 0, 16, 1, 100, NULL, &s1, NULL);
    json_t *b = run(&p, seed, 0, 16, 4, 100, NULL, &s2, NULL);
    if (!json_equal(a, b))
        IDC_TEST_FAIL_REPLAY("run_shrinks_deterministically_whatever_jobs", seed, "results depend on --jobs");
    ck_assert_uint_eq(s1.failed, s2.failed);
    ck_assert_uint_eq(s1.passed + s1.failed, 16);
    ck_assert_uint_gt(s1.failed, 0); /* 16 fair coins: P(no failure) = 2^-16 */
    ck_assert_uint_eq(s1.shrunk, s1.failed);
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(a, "trials"), i, t)
    {
        json_t *sh = json_object_get(t, "shrink");
        if (strcmp(json_string_value(json_object_get(t, "outcome")), "FAIL") != 0) {
            ck_assert_ptr_null(sh);
            continue;
        }
        /* Same trial seed for every candidate: the draw, hence the coin, is
         * the trial's, so m shrinks to exactly 4. */
        ck_assert_int_eq(iget(sh, "params", "m"), 4);
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(sh, "record"), "draw")),
                         json_string_value(json_object_get(t, "draw")));
        char want[128];
        snprintf(want, sizeof want, "idcheck prop PLANTED --replay 0x%" PRIx64 ":%zu --m 4 --J 1 --mode 3", seed, i);
        ck_assert_str_eq(json_string_value(json_object_get(sh, "replay")), want);
        /* The replay of the original trial alone reproduces its record. */
        idc_prop_summary s3;
        json_t *c = run(&p, seed, (uint32_t)i, 1, 1, 0, NULL, &s3, NULL);
        json_t *orig = json_deep_copy(t);
        json_object_del(orig, "shrink");
        ck_assert(json_equal(orig, json_array_get(json_object_get(c, "trials"), 0)));
        json_decref(orig);
        json_decref(c);
    }
    /* --shrink-failures 2: only the first two failing trials are shrunk. */
    idc_prop_run_opts o = {.seed = seed, .trials = 16, .jobs = 3, .shrink_steps = 100, .shrink_failures = 2};
    idc_prop_summary s5;
    json_t *e = NULL;
    idc_err err;
    ck_assert_int_eq(idc_prop_run(&s5, &e, &planted_def, &p, &o, &err), IDC_OK);
    size_t shrunk = 0, failing = 0;
    json_array_foreach(json_object_get(e, "trials"), i, t)
    {
        if (strcmp(json_string_value(json_object_get(t, "outcome")), "FAIL") != 0)
            continue;
        failing++;
        ck_assert_int_eq(json_object_get(t, "shrink") != NULL, failing <= 2);
        shrunk += json_object_get(t, "shrink") != NULL;
    }
    ck_assert_uint_eq(shrunk, s1.failed < 2 ? s1.failed : 2);
    ck_assert_uint_eq(s5.shrunk, shrunk);
    json_decref(e);
    /* Shrinking off: no "shrink" members, same outcomes. */
    idc_prop_summary s4;
    json_t *d = run(&p, seed, 0, 16, 2, 0, NULL, &s4, NULL);
    ck_assert_uint_eq(s4.failed, s1.failed);
    ck_assert_uint_eq(s4.shrunk, 0);
    json_decref(a);
    json_decref(b);
    json_decref(d);
}
END_TEST

static char tmpdir[64];

static void mk_tmp(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/idc_regress_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_regression_file_round_trip)
{
    mk_tmp();
    char path[256];
    ck_assert(idc_prop_regressions_path(path, sizeof path, NULL, "K3.9a"));
    ck_assert_str_eq(path, ".idcheck/regressions/K3.9a.txt");
    snprintf(path, sizeof path, "%s/a/b/PLANTED.txt", tmpdir);
    idc_prop_regressions r, q;
    idc_prop_regressions_init(&r);
    idc_prop_regressions_init(&q);
    idc_err err;
    /* A missing file is an empty list. */
    ck_assert_int_eq(idc_prop_regressions_read(&r, path, &err), IDC_OK);
    ck_assert_uint_eq(r.n, 0);
    planted p = make(5, 3, 0.1, 0);
    json_t *pj = planted_json(&p);
    ck_assert_int_eq(idc_prop_regressions_add(&r, 0xabc, 7, pj, "first # with hash\nand newline"), 1);
    ck_assert_int_eq(idc_prop_regressions_add(&r, 0xabc, 7, pj, "again"), 0); /* duplicate */
    p.x = 0.30000000000000004;                                                 /* needs 17 digits */
    json_t *pj2 = planted_json(&p);
    ck_assert_int_eq(idc_prop_regressions_add(&r, 0xabc, 7, pj2, NULL), 1);
    ck_assert_int_eq(idc_prop_regressions_add(&r, UINT64_MAX, UINT32_MAX, pj, "big"), 1);
    ck_assert_int_eq(idc_prop_regressions_write(&r, "PLANTED", path, &err), IDC_OK);
    ck_assert_int_eq(idc_prop_regressions_read(&q, path, &err), IDC_OK);
    ck_assert_uint_eq(q.n, 3);
    for (size_t i = 0; i < 3; i++) {
        ck_assert(q.v[i].seed == r.v[i].seed);
        ck_assert_uint_eq(q.v[i].trial, r.v[i].trial);
        ck_assert(json_equal(q.v[i].params, r.v[i].params));
        ck_assert_str_eq(q.v[i].note, r.v[i].note);
    }
    ck_assert_str_eq(q.v[0].note, "first # with hash and newline");
    ck_assert(json_real_value(json_object_get(q.v[1].params, "x")) == 0.30000000000000004);
    ck_assert(q.v[2].seed == UINT64_MAX && q.v[2].trial == UINT32_MAX);
    /* Reading appends (and de-duplicates). */
    ck_assert_int_eq(idc_prop_regressions_read(&q, path, &err), IDC_OK);
    ck_assert_uint_eq(q.n, 3);
    idc_prop_regressions_remove(&q, 0);
    ck_assert_uint_eq(q.n, 2);
    ck_assert(q.v[0].seed == 0xabc && q.v[1].seed == UINT64_MAX);
    /* Malformed lines name the file and line. */
    static const char *const bad[] = {"0x1 2\n", "zz 2 {}\n", "0x1 2 [1]\n", "0x1 2 {\"m\": 1} trailing\n",
                                      "0x1 99999999999 {}\n"};
    char bpath[256];
    snprintf(bpath, sizeof bpath, "%s/bad.txt", tmpdir);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *fp = fopen(bpath, "w");
        fprintf(fp, "# comment\n\n%s", bad[i]);
        fclose(fp);
        idc_prop_regressions r2;
        idc_prop_regressions_init(&r2);
        ck_assert_int_eq(idc_prop_regressions_read(&r2, bpath, &err), IDC_EINVAL);
        ck_assert_msg(strstr(err.msg, "bad.txt:3:") != NULL, "%s", err.msg);
        idc_prop_regressions_clear(&r2);
    }
    /* An unwritable path: IDC_EIO. */
    ck_assert_int_eq(idc_prop_regressions_write(&r, "PLANTED", "/proc/nope/x.txt", &err), IDC_EIO);
    json_decref(pj);
    json_decref(pj2);
    idc_prop_regressions_clear(&r);
    idc_prop_regressions_clear(&q);
    rm_tmp();
}
END_TEST

START_TEST(test_regressions_replayed_first)
{
    /* Three regressions: one still failing, one passing now, one stale. */
    idc_prop_regressions r;
    idc_prop_regressions_init(&r);
    planted f = make(6, 5, 0.5, 0), ok = make(2, 2, 0.5, 0);
    json_t *fj = planted_json(&f), *okj = planted_json(&ok), *stale = json_pack("{s:i}", "gone", 3);
    ck_assert_int_eq(idc_prop_regressions_add(&r, 0x111, 9, fj, "fails"), 1);
    ck_assert_int_eq(idc_prop_regressions_add(&r, 0x222, 4, okj, "passes now"), 1);
    ck_assert_int_eq(idc_prop_regressions_add(&r, 0x333, 1, stale, "stale"), 1);
    /* The run's own parameters (mode 3) differ from the regressions'. */
    planted p = make(12, 2, 0.5, 3);
    for (unsigned jobs = 1; jobs <= 3; jobs += 2) {
        char *buf = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len);
        idc_prop_summary s;
        json_t *res = run(&p, 77, 0, 6, jobs, 20, &r, &s, mem);
        fclose(mem);
        /* Every regression line comes before any trial line, in file order. */
        char *r0 = strstr(buf, "PLANTED regression 0 trial 9 run_seed=0x111");
        char *r1 = strstr(buf, "PLANTED regression 1 trial 4 run_seed=0x222");
        char *r2 = strstr(buf, "PLANTED regression 2 trial 1 run_seed=0x333 STALE");
        char *t0 = strstr(buf, "PLANTED trial ");
        ck_assert_msg(r0 && r1 && r2 && t0, "%s", buf);
        ck_assert(r0 < t0 && r1 < t0 && r2 < t0);
        ck_assert_msg(strstr(buf, "IDC-FAIL prop=PLANTED regression=0 trial=9") != NULL, "%s", buf);
        ck_assert_msg(strstr(buf, "replay: idcheck prop PLANTED --replay 0x111:9 --m 6 --J 5") != NULL, "%s", buf);
        free(buf);
        ck_assert_uint_eq(s.reg_run, 2);
        ck_assert_uint_eq(s.reg_failed, 1);
        ck_assert_uint_eq(s.reg_passed, 1);
        ck_assert_uint_eq(s.reg_stale, 1);
        ck_assert_uint_eq(s.passed + s.failed + s.discarded, 6); /* the run's own counts exclude regressions */
        json_t *regs = json_object_get(res, "regressions");
        ck_assert_uint_eq(json_array_size(regs), 3);
        static const char *const want[] = {"FAIL", "PASS", "STALE"};
        for (size_t i = 0; i < 3; i++) {
            json_t *e = json_array_get(regs, i);
            ck_assert_int_eq(json_integer_value(json_object_get(e, "regression")), (json_int_t)i);
            ck_assert_str_eq(json_string_value(json_object_get(e, "outcome")), want[i]);
        }
        /* The failing regression is shrunk with its own parameters. */
        json_t *sh = json_object_get(json_array_get(regs, 0), "shrink");
        ck_assert_int_eq(iget(sh, "params", "m"), 4);
        ck_assert_int_eq(iget(sh, "params", "J"), 3);
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(res, "summary"), "failed")),
                         (json_int_t)s.failed);
        /* Merge: the run's failures are appended after the old entries;
         * pruning drops the passing regression only. */
        if (jobs == 3) {
            size_t added, removed;
            ck_assert_int_eq(idc_prop_regressions_update(&r, res, 1, &added, &removed), IDC_OK);
            ck_assert_uint_eq(removed, 1);
            ck_assert_uint_eq(added, s.failed);
            ck_assert_uint_eq(r.n, 2 + s.failed);
            ck_assert(r.v[0].seed == 0x111 && r.v[1].seed == 0x333);
            for (size_t i = 2; i < r.n; i++) {
                ck_assert(r.v[i].seed == 77);
                ck_assert(json_equal(r.v[i].params, json_object_get(res, "params")));
                ck_assert(strstr(r.v[i].note, "planted failure") != NULL);
                ck_assert(strstr(r.v[i].note, "minimal: --m 4 --J 1 --mode 3") != NULL);
                if (i > 2)
                    ck_assert_uint_gt(r.v[i].trial, r.v[i - 1].trial);
            }
            /* Merging the same results again adds nothing. */
            ck_assert_int_eq(idc_prop_regressions_update(&r, res, 0, &added, &removed), IDC_OK);
            ck_assert_uint_eq(added + removed, 0);
        }
        json_decref(res);
    }
    json_decref(fj);
    json_decref(okj);
    json_decref(stale);
    idc_prop_regressions_clear(&r);
}
END_TEST

START_TEST(test_param_strings)
{
    char buf[64];
    json_t *v = json_real(0.1);
    ck_assert(idc_prop_value_string(buf, sizeof buf, v));
    ck_assert_str_eq(buf, "0.1");
    json_decref(v);
    v = json_real(0.30000000000000004);
    ck_assert(idc_prop_value_string(buf, sizeof buf, v));
    ck_assert(strtod(buf, NULL) == 0.30000000000000004);
    json_decref(v);
    v = json_integer(-12);
    ck_assert(idc_prop_value_string(buf, sizeof buf, v));
    ck_assert_str_eq(buf, "-12");
    ck_assert(!idc_prop_value_string(buf, 2, v));
    json_decref(v);
    ck_assert(!idc_prop_value_string(buf, sizeof buf, json_null()));
    /* Overrides: only what differs from the defaults. */
    planted p = make(2, 9, 0.25, 0);
    json_t *pj = planted_json(&p);
    char ov[128];
    ck_assert(idc_prop_overrides(ov, sizeof ov, &planted_def, pj));
    ck_assert_str_eq(ov, "--J 9 --x 0.25");
    ck_assert(!idc_prop_overrides(ov, 8, &planted_def, pj));
    json_decref(pj);
}
END_TEST

int main(void)
{
    const idc_test_case cases[] = {
        {"shrink_to_exact_threshold", test_shrink_to_exact_threshold},
        {"shrink_real_and_opt_in", test_shrink_real_and_opt_in},
        {"shrink_rechecks_preconditions", test_shrink_rechecks_preconditions},
        {"shrink_step_cap", test_shrink_step_cap},
        {"minimal_replay_reproduces", test_minimal_replay_reproduces},
        {"run_shrinks_deterministically_whatever_jobs", test_run_shrinks_deterministically_whatever_jobs},
        {"regression_file_round_trip", test_regression_file_round_trip},
        {"regressions_replayed_first", test_regressions_replayed_first},
        {"param_strings", test_param_strings},
    };
    Suite *s = suite_create("shrink");
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 30);
    return idc_test_run(s);
}
