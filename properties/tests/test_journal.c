/* Tests of the property-run journal (properties/journal.h) and of resuming a
 * run in the runner (idc_prop_run_opts.on_trial / .restored), with COIN, a
 * property defined here that costs nothing: its trial draws one word from the
 * trial stream, which picks the outcome and fills the record (reals that must
 * round-trip through the journal bit for bit). */
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "numeric/rng.h"
#include "numeric/tests/testutil.h"
#include "properties/journal.h"
#include "properties/prop.h"
#include "properties/regress.h"

typedef struct {
    size_t m;
} coin;

static atomic_int coin_runs;

static void coin_defaults(void *vp)
{
    ((coin *)vp)->m = 2;
}

static int coin_set(void *vp, const char *name, const char *v, idc_err *err)
{
    if (strcmp(name, "m") != 0)
        return idc_err_set(err, IDC_EINVAL, "--%s: unknown parameter of COIN", name);
    ((coin *)vp)->m = (size_t)strtoull(v, NULL, 10);
    return IDC_OK;
}

static json_t *coin_json(const void *vp)
{
    return json_pack("{s:I}", "m", (json_int_t)((const coin *)vp)->m);
}

static int coin_trial(idc_trial *out, const void *vp, uint64_t run_seed, uint32_t index, idc_err *err)
{
    (void)err;
    memset(out, 0, sizeof *out);
    atomic_fetch_add(&coin_runs, 1);
    uint64_t draw = idc_rng_u64(idc_rng_stream(idc_rng_derive_seed(run_seed, index), 0, 7), 0);
    static const idc_trial_outcome oc[4] = {IDC_TRIAL_FAIL, IDC_TRIAL_DISCARD, IDC_TRIAL_INCONCLUSIVE,
                                            IDC_TRIAL_PASS};
    out->outcome = oc[draw % 4];
    double x = (double)draw / 3.0 * (double)((const coin *)vp)->m;
    snprintf(out->line, sizeof out->line, "x=%.4g", x);
    if (out->outcome != IDC_TRIAL_PASS)
        snprintf(out->why, sizeof out->why, "planted %s \"<&>\"", idc_trial_outcome_name(out->outcome));
    out->record = json_pack("{s:f,s:f,s:f,s:[f,i]}", "x", x, "third", 1.0 / 3.0, "tiny",
                            ldexp((double)(draw | 1), -1100), "list", 0.1, (json_int_t)(draw >> 40));
    return IDC_OK;
}

static const idc_prop_def coin_def = {
    .id = "COIN",
    .summary = "outcome by a coin",
    .params_help = "  m 2 scale\n",
    .params_size = sizeof(coin),
    .defaults = coin_defaults,
    .set_param = coin_set,
    .params_json = coin_json,
    .run_trial = coin_trial,
};

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/idc_journal_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(chdir(dir), 0);
}

static void teardown(void)
{
    char cmd[128];
    ck_assert_int_eq(chdir("/"), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static json_t *header(uint64_t seed, size_t m, uint32_t trials, const idc_prop_regressions *regs)
{
    coin p = {m};
    json_t *pj = coin_json(&p);
    json_t *h = idc_prop_journal_header("COIN", pj, seed, 0, trials, regs);
    json_decref(pj);
    ck_assert_ptr_nonnull(h);
    return h;
}

static size_t file_size(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return (size_t)st.st_size;
}

static void write_text(const char *path, const char *s, const char *mode)
{
    FILE *fp = fopen(path, mode);
    ck_assert_ptr_nonnull(fp);
    fputs(s, fp);
    fclose(fp);
}

START_TEST(test_header_and_path)
{
    json_t *h = header(7, 2, 4, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(h, "journal")), "idcheck prop");
    ck_assert_str_eq(json_string_value(json_object_get(h, "run_seed")), "0x0000000000000007");
    ck_assert_int_eq(json_integer_value(json_object_get(h, "trials")), 4);
    ck_assert(json_is_null(json_object_get(h, "regressions")));
    char a[256], b[256];
    ck_assert(idc_prop_journal_path(a, sizeof a, "r.json", h));
    ck_assert_str_eq(a, "r.json.journal");
    ck_assert(idc_prop_journal_path(a, sizeof a, NULL, h));
    ck_assert_msg(strncmp(a, ".idcheck/runs/COIN-", 19) == 0 && strlen(a) == 19 + 16 + 6 &&
                      strcmp(a + 35, ".jsonl") == 0,
                  "%s", a);
    /* "-", a FIFO: the default path, never "<device>.journal". */
    ck_assert(idc_prop_journal_path(b, sizeof b, "-", h));
    ck_assert_str_eq(a, b);
    ck_assert_int_eq(mkfifo("fifo", 0600), 0);
    ck_assert(idc_prop_journal_path(b, sizeof b, "fifo", h));
    ck_assert_str_eq(a, b);
    ck_assert(!idc_prop_journal_path(b, 10, "r.json", h));
    /* The hash tells runs apart: seed, params, trials. */
    json_t *h2 = header(8, 2, 4, NULL), *h3 = header(7, 3, 4, NULL), *h4 = header(7, 2, 5, NULL);
    ck_assert(idc_prop_journal_path(b, sizeof b, NULL, h2) && strcmp(a, b) != 0);
    ck_assert(idc_prop_journal_path(b, sizeof b, NULL, h3) && strcmp(a, b) != 0);
    ck_assert(idc_prop_journal_path(b, sizeof b, NULL, h4) && strcmp(a, b) != 0);
    /* The regression seeds listed round-trip. */
    idc_prop_regressions r, back;
    idc_prop_regressions_init(&r);
    idc_prop_regressions_init(&back);
    json_t *pj = json_pack("{s:i}", "m", 5);
    ck_assert_int_eq(idc_prop_regressions_add(&r, 0xabcdef0123456789ULL, 3, pj, "note"), 1);
    ck_assert_int_eq(idc_prop_regressions_add(&r, 2, 0, h, NULL), 1);
    json_t *hr = header(7, 2, 4, &r);
    idc_err err;
    ck_assert_int_eq(idc_prop_journal_regressions(&back, hr, &err), IDC_OK);
    ck_assert_uint_eq(back.n, 2);
    ck_assert(back.v[0].seed == 0xabcdef0123456789ULL && back.v[0].trial == 3 && json_equal(back.v[0].params, pj));
    ck_assert(back.v[1].seed == 2 && json_equal(back.v[1].params, h));
    json_object_set_new(json_array_get(json_object_get(hr, "regressions"), 1), "trial", json_string("x"));
    ck_assert_int_eq(idc_prop_journal_regressions(&back, hr, &err), IDC_EINVAL);
    ck_assert_msg(strstr(err.msg, "regressions[1]") != NULL, "%s", err.msg);
    idc_prop_regressions_clear(&r);
    idc_prop_regressions_clear(&back);
    json_decref(pj);
    json_decref(hr);
    json_decref(h);
    json_decref(h2);
    json_decref(h3);
    json_decref(h4);
}
END_TEST

START_TEST(test_append_reopen_torn)
{
    json_t *h = header(7, 2, 4, NULL), *restored = NULL;
    idc_prop_journal *j = NULL;
    idc_err err;
    ck_assert_int_eq(idc_prop_journal_open(&j, &restored, "sub/dir/r.json.journal", h, IDC_JOURNAL_AUTO, &err),
                     IDC_OK);
    ck_assert_uint_eq(json_array_size(restored), 0);
    ck_assert_uint_eq(idc_prop_journal_restored_count(j), 0);
    ck_assert(json_equal(idc_prop_journal_header_get(j), h));
    json_decref(restored);
    /* A second opener is refused while the first holds the lock. */
    idc_prop_journal *j2 = NULL;
    ck_assert_int_eq(idc_prop_journal_open(&j2, &restored, "sub/dir/r.json.journal", h, IDC_JOURNAL_AUTO, &err),
                     IDC_EIO);
    ck_assert_msg(strstr(err.msg, "in use") != NULL, "%s", err.msg);
    ck_assert_ptr_null(j2);
    json_t *r0 = json_pack("{s:i,s:s,s:f,s:f,s:f}", "trial", 0, "outcome", "FAIL", "x", 0.1, "y", 2.0 / 3.0, "z",
                           ldexp(1.0, -1070));
    json_t *r1 = json_pack("{s:i,s:s,s:s}", "trial", 2, "outcome", "PASS", "why", "line\nbreak \"q\" \xc3\xa9");
    ck_assert_int_eq(idc_prop_journal_append(j, r0, "x=0.1", &err), IDC_OK);
    ck_assert_int_eq(idc_prop_journal_append(j, r1, "", &err), IDC_OK);
    idc_prop_journal_close(j, 0);
    size_t good = file_size("sub/dir/r.json.journal");
    /* Killed in the middle of a line: the torn line is dropped. */
    write_text("sub/dir/r.json.journal", "{\"line\":\"x\",\"record\":{\"tri", "a");
    ck_assert_int_eq(idc_prop_journal_open(&j, &restored, "sub/dir/r.json.journal", h, IDC_JOURNAL_RESUME, &err),
                     IDC_OK);
    ck_assert_uint_eq(file_size("sub/dir/r.json.journal"), good);
    ck_assert_uint_eq(json_array_size(restored), 2);
    ck_assert_uint_eq(idc_prop_journal_restored_count(j), 2);
    ck_assert(json_equal(json_object_get(json_array_get(restored, 0), "record"), r0)); /* reals bit for bit */
    ck_assert(json_equal(json_object_get(json_array_get(restored, 1), "record"), r1));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(restored, 0), "line")), "x=0.1");
    ck_assert_int_eq(idc_prop_journal_append(j, r0, "again", &err), IDC_OK);
    idc_prop_journal_close(j, 0);
    json_decref(restored);
    /* A complete but garbled last line is dropped too; one in the middle is an error. */
    write_text("sub/dir/r.json.journal", "\x01\x02garbage\n", "a");
    ck_assert_int_eq(idc_prop_journal_open(&j, &restored, "sub/dir/r.json.journal", h, IDC_JOURNAL_AUTO, &err),
                     IDC_OK);
    ck_assert_uint_eq(json_array_size(restored), 3);
    idc_prop_journal_close(j, 0);
    json_decref(restored);
    write_text("sub/dir/r.json.journal", "[1]\n{\"line\":\"\",\"record\":{}}\n", "a");
    ck_assert_int_eq(idc_prop_journal_open(&j, &restored, "sub/dir/r.json.journal", h, IDC_JOURNAL_AUTO, &err),
                     IDC_EINVAL);
    ck_assert_msg(strstr(err.msg, "sub/dir/r.json.journal:5: not a trial record") != NULL, "%s", err.msg);
    ck_assert_ptr_null(j);
    ck_assert_ptr_null(restored);
    ck_assert_uint_gt(file_size("sub/dir/r.json.journal"), good); /* an error changes nothing */
    /* --fresh discards it; close(.., 1) removes the file. */
    ck_assert_int_eq(idc_prop_journal_open(&j, &restored, "sub/dir/r.json.journal", h, IDC_JOURNAL_FRESH, &err),
                     IDC_OK);
    ck_assert_uint_eq(json_array_size(restored), 0);
    idc_prop_journal_close(j, 1);
    json_decref(restored);
    ck_assert_int_eq(access("sub/dir/r.json.journal", F_OK), -1);
    /* No complete header (killed while creating it): no journal. */
    write_text("r.journal", "{\"journal\":\"idch", "w");
    ck_assert_int_eq(idc_prop_journal_open(&j, &restored, "r.journal", h, IDC_JOURNAL_RESUME, &err), IDC_OK);
    ck_assert_uint_eq(json_array_size(restored), 0);
    idc_prop_journal_close(j, 0);
    json_decref(restored);
    ck_assert_int_eq(idc_prop_journal_open(&j, &restored, "r.journal", h, IDC_JOURNAL_RESUME, &err), IDC_OK);
    idc_prop_journal_close(j, 0);
    json_decref(restored);
    idc_prop_journal_close(NULL, 1);
    json_decref(r0);
    json_decref(r1);
    json_decref(h);
}
END_TEST

START_TEST(test_mismatch_and_modes)
{
    json_t *h = header(7, 2, 4, NULL), *restored = NULL;
    idc_prop_journal *j = NULL;
    idc_err err;
    ck_assert_int_eq(idc_prop_journal_open(&j, &restored, "r.journal", h, IDC_JOURNAL_RESUME, &err), IDC_EINVAL);
    ck_assert_msg(strstr(err.msg, "no journal r.journal") != NULL, "%s", err.msg);
    ck_assert_int_eq(access("r.journal", F_OK), -1);
    ck_assert_int_eq(idc_prop_journal_open(&j, &restored, "r.journal", h, IDC_JOURNAL_AUTO, &err), IDC_OK);
    idc_prop_journal_close(j, 0);
    json_decref(restored);
    struct {
        json_t *h;
        const char *field;
    } cases[4] = {{header(8, 2, 4, NULL), "run_seed: \"0x0000000000000007\" in the journal"},
                  {header(7, 3, 4, NULL), "params.m: 2 in the journal, 3 in this command"},
                  {header(7, 2, 5, NULL), "trials: 4 in the journal, 5 in this command"},
                  {NULL, "regressions"}};
    idc_prop_regressions none;
    idc_prop_regressions_init(&none);
    cases[3].h = header(7, 2, 4, &none);
    for (int c = 0; c < 4; c++) {
        for (int mode = IDC_JOURNAL_AUTO; mode <= IDC_JOURNAL_RESUME; mode++) {
            ck_assert_int_eq(idc_prop_journal_open(&j, &restored, "r.journal", cases[c].h, (idc_prop_journal_mode)mode,
                                                   &err),
                             IDC_EINVAL);
            ck_assert_msg(strstr(err.msg, cases[c].field) != NULL && strstr(err.msg, "--fresh") != NULL &&
                              strchr(err.msg, '\n') == NULL,
                          "%s", err.msg);
        }
    }
    /* The version is part of the run. */
    json_object_set_new(h, "idcheck", json_string("0.0.0-other"));
    ck_assert_int_eq(idc_prop_journal_open(&j, &restored, "r.journal", h, IDC_JOURNAL_AUTO, &err), IDC_EINVAL);
    ck_assert_msg(strstr(err.msg, "idcheck:") != NULL, "%s", err.msg);
    /* --fresh: the other run's journal is replaced. */
    ck_assert_int_eq(idc_prop_journal_open(&j, &restored, "r.journal", cases[0].h, IDC_JOURNAL_FRESH, &err), IDC_OK);
    idc_prop_journal_close(j, 0);
    json_decref(restored);
    ck_assert_int_eq(idc_prop_journal_open(&j, &restored, "r.journal", cases[0].h, IDC_JOURNAL_RESUME, &err), IDC_OK);
    idc_prop_journal_close(j, 0);
    json_decref(restored);
    /* Not a regular file: refused. */
    ck_assert_int_eq(mkdir("d.journal", 0700), 0);
    ck_assert_int_eq(idc_prop_journal_open(&j, &restored, "d.journal", h, IDC_JOURNAL_AUTO, &err), IDC_EIO);
    for (int c = 0; c < 4; c++)
        json_decref(cases[c].h);
    json_decref(h);
}
END_TEST

typedef struct {
    idc_prop_journal *j;
    int calls, fail_at;
} hook_ctx;

static int hook(void *ctx, const json_t *rec, const char *line, idc_err *err)
{
    hook_ctx *c = ctx;
    c->calls++;
    if (c->fail_at > 0 && c->calls >= c->fail_at)
        return idc_err_set(err, IDC_EIO, "journal: disk full (planted)");
    ck_assert_ptr_null(json_object_get(rec, "shrink"));
    return c->j ? idc_prop_journal_append(c->j, rec, line, err) : IDC_OK;
}

static void strip_seconds(json_t *results)
{
    static const char *const arrays[] = {"trials", "regressions"};
    for (int a = 0; a < 2; a++) {
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(results, arrays[a]), i, t) json_object_del(t, "wall_seconds");
    }
}

START_TEST(test_resume_equals_uninterrupted)
{
    coin p = {2};
    idc_prop_regressions regs;
    idc_prop_regressions_init(&regs);
    json_t *pj = json_pack("{s:i}", "m", 5), *stale = json_pack("{s:i}", "nope", 1);
    ck_assert_int_eq(idc_prop_regressions_add(&regs, 11, 4, pj, NULL), 1);
    ck_assert_int_eq(idc_prop_regressions_add(&regs, 12, 0, stale, NULL), 1);
    ck_assert_int_eq(idc_prop_regressions_add(&regs, 13, 9, pj, NULL), 1);
    idc_prop_run_opts o = {.seed = 21, .first = 3, .trials = 12, .jobs = 3, .regressions = &regs};
    json_t *hj = header(21, 2, 12, &regs);
    json_object_set_new(hj, "first", json_integer(3));
    /* The uninterrupted run, journaled. */
    hook_ctx c = {NULL, 0, 0};
    json_t *restored = NULL, *full = NULL;
    idc_err err;
    ck_assert_int_eq(idc_prop_journal_open(&c.j, &restored, "r.journal", hj, IDC_JOURNAL_AUTO, &err), IDC_OK);
    json_decref(restored);
    o.on_trial = hook;
    o.on_trial_ctx = &c;
    idc_prop_summary s1, s2;
    atomic_store(&coin_runs, 0);
    ck_assert_int_eq(idc_prop_run(&s1, &full, &coin_def, &p, &o, &err), IDC_OK);
    ck_assert_int_eq(c.calls, 14); /* 12 trials + 2 regressions; the stale one is not a finished trial */
    ck_assert_int_eq(atomic_load(&coin_runs), 14);
    ck_assert_uint_eq(s1.reg_stale, 1);
    ck_assert_uint_gt(s1.failed, 0);
    idc_prop_journal_close(c.j, 0);
    /* Read back; resume from every other line (as if killed with those
     * finished, in any order): the others run, the rest is re-used. */
    ck_assert_int_eq(idc_prop_journal_open(&c.j, &restored, "r.journal", hj, IDC_JOURNAL_RESUME, &err), IDC_OK);
    idc_prop_journal_close(c.j, 0);
    ck_assert_uint_eq(json_array_size(restored), 14);
    json_t *half = json_array();
    for (size_t i = 0; i < 14; i += 2)
        json_array_append(half, json_array_get(restored, i));
    o.restored = half;
    o.jobs = 2;
    hook_ctx c2 = {NULL, 0, 0};
    o.on_trial_ctx = &c2;
    atomic_store(&coin_runs, 0);
    char *buf = NULL;
    size_t blen = 0;
    FILE *prog = open_memstream(&buf, &blen);
    o.progress = prog;
    json_t *resumed = NULL;
    ck_assert_int_eq(idc_prop_run(&s2, &resumed, &coin_def, &p, &o, &err), IDC_OK);
    fclose(prog);
    ck_assert_int_eq(c2.calls, 7);
    ck_assert_int_eq(atomic_load(&coin_runs), 7);
    ck_assert_uint_eq(blen > 0 ? 1 : 0, 1);
    size_t marked = 0;
    for (const char *q = strstr(buf, "[journal]"); q; q = strstr(q + 1, "[journal]"))
        marked++;
    ck_assert_uint_eq(marked, 7);
    free(buf);
    ck_assert(memcmp(&s1, &s2, sizeof s1) == 0);
    /* The re-used records are verbatim (wall_seconds included) ... */
    for (size_t i = 0; i < json_array_size(half); i++) {
        json_t *rec = json_object_get(json_array_get(half, i), "record"), *reg = json_object_get(rec, "regression");
        json_t *got = reg != NULL ? json_array_get(json_object_get(resumed, "regressions"),
                                                   (size_t)json_integer_value(reg))
                                  : json_array_get(json_object_get(resumed, "trials"),
                                                   (size_t)json_integer_value(json_object_get(rec, "trial")) - 3);
        ck_assert(json_equal(got, rec));
    }
    /* ... and the whole equals the uninterrupted run's but for timings. */
    strip_seconds(full);
    strip_seconds(resumed);
    ck_assert(json_equal(full, resumed));
    json_decref(resumed);
    /* Everything restored: nothing runs. */
    o.restored = restored;
    atomic_store(&coin_runs, 0);
    ck_assert_int_eq(idc_prop_run(&s2, &resumed, &coin_def, &p, &o, &err), IDC_OK);
    ck_assert_int_eq(atomic_load(&coin_runs), 0);
    strip_seconds(resumed);
    ck_assert(json_equal(full, resumed));
    json_decref(resumed);
    json_decref(half);
    json_decref(restored);
    json_decref(full);
    json_decref(hj);
    json_decref(pj);
    json_decref(stale);
    idc_prop_regressions_clear(&regs);
}
END_TEST

START_TEST(test_hook_failure_and_bad_restored)
{
    coin p = {2};
    idc_prop_run_opts o = {.seed = 5, .first = 0, .trials = 6, .jobs = 1};
    hook_ctx c = {NULL, 0, 3};
    o.on_trial = hook;
    o.on_trial_ctx = &c;
    idc_prop_summary s;
    json_t *res = NULL;
    idc_err err;
    atomic_store(&coin_runs, 0);
    ck_assert_int_eq(idc_prop_run(&s, &res, &coin_def, &p, &o, &err), IDC_EIO);
    ck_assert_ptr_null(res);
    ck_assert_str_eq(err.msg, "journal: disk full (planted)");
    ck_assert_int_eq(atomic_load(&coin_runs), 3); /* no trial started after the failure */
    /* Records that are not of this run. */
    o.on_trial = NULL;
    static const char *const bad[] = {
        "[{\"line\":\"\",\"record\":{\"trial\":6,\"outcome\":\"PASS\"}}]",
        "[{\"line\":\"\",\"record\":{\"trial\":1,\"outcome\":\"ERROR\"}}]",
        "[{\"line\":\"\",\"record\":{\"outcome\":\"PASS\"}}]",
        "[{\"record\":{\"trial\":1,\"outcome\":\"PASS\"}}]",
        "[{\"line\":\"\",\"record\":{\"trial\":1,\"outcome\":\"PASS\"}},"
        "{\"line\":\"\",\"record\":{\"trial\":1,\"outcome\":\"FAIL\"}}]",
        "[{\"line\":\"\",\"record\":{\"trial\":1,\"regression\":0,\"run_seed\":\"0x0000000000000005\","
        "\"outcome\":\"PASS\"}}]",
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        json_t *r = json_loads(bad[k], 0, NULL);
        ck_assert_ptr_nonnull(r);
        o.restored = r;
        ck_assert_int_eq(idc_prop_run(&s, &res, &coin_def, &p, &o, &err), IDC_EINVAL);
        ck_assert_msg(strstr(err.msg, "restored trial") != NULL, "%s", err.msg);
        ck_assert_ptr_null(res);
        json_decref(r);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("journal");
    TCase *tc = tcase_create("journal");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_header_and_path);
    tcase_add_test(tc, test_append_reopen_torn);
    tcase_add_test(tc, test_mismatch_and_modes);
    tcase_add_test(tc, test_resume_equals_uninterrupted);
    tcase_add_test(tc, test_hook_failure_and_bad_restored);
    suite_add_tcase(s, tc);
    return idc_test_run(s);
}
