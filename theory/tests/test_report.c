/* Tests of idc_cert_verify_report (theory/cert.h, "check reports"): a
 * report built from the checkers' results, as `idcheck check --json` builds
 * it, verifies; every way of making it claim more than its certificates
 * prove is rejected with a one-line reason naming the entry (a certificate
 * nulled or deleted, a verdict edited, an entry relabelled, the model hash
 * zeroed, a certificate behind an UNKNOWN, a duplicate entry, a certificate
 * of another model; idc_cert_verify_hashed); reports of UNKNOWN entries only, estimator-side IDs
 * included, are valid and claim nothing; the theorem table and strongest
 * classes must be what the registry gives for the verdicts. */
#include <string.h>

#include "numeric/tests/testutil.h"
#include "theory/cert.h"
#include "theory/precond.h"
#include "theory/theorem.h"

static const char *INSTANCE_A = "{\"idcheck_format\": 1,"
                                " \"model\": {\"dim\": 2, \"components\": ["
                                "   {\"weight\": 0.5, \"mean\": [0, 0], \"L\": [[1, 0], [0.5, 1]]},"
                                "   {\"weight\": 0.25, \"mean\": [1, 0], \"L\": [[1], [1]]},"
                                "   {\"weight\": 0.25, \"mean\": [1, 0], \"Sigma\": [[2, 1], [1, 2]]}]},"
                                " \"map\": {\"type\": \"mlp\", \"layers\": ["
                                "   {\"W\": [[1, 2], [3, -1], [0.5, 0.25]], \"b\": [0, 1, -1], "
                                "\"activation\": \"leaky_relu\", \"slope\": 0.2},"
                                "   {\"W\": [[1, 0, 1], [0, 1, 1], [1, 1, 0], [2, 0, 0]], \"b\": [0, 0, 0, "
                                "1], \"activation\": \"identity\"}]},"
                                " \"noise\": {\"sigma\": 0.1}}";

/* Same shapes, one weight different (W_1 of rank 1: F4 FAILS). */
static const char *INSTANCE_B = "{\"idcheck_format\": 1,"
                                " \"model\": {\"dim\": 2, \"components\": ["
                                "   {\"weight\": 0.5, \"mean\": [0, 0], \"L\": [[1, 0], [0.5, 1]]},"
                                "   {\"weight\": 0.25, \"mean\": [1, 0], \"L\": [[1], [1]]},"
                                "   {\"weight\": 0.25, \"mean\": [1, 0], \"Sigma\": [[2, 1], [1, 2]]}]},"
                                " \"map\": {\"type\": \"mlp\", \"layers\": ["
                                "   {\"W\": [[1, 2], [2, 4], [0.5, 1]], \"b\": [0, 1, -1], \"activation\": "
                                "\"leaky_relu\", \"slope\": 0.2},"
                                "   {\"W\": [[1, 0, 1], [0, 1, 1], [1, 1, 0], [2, 0, 0]], \"b\": [0, 0, 0, "
                                "1], \"activation\": \"identity\"}]},"
                                " \"noise\": {\"sigma\": 0.1}}";

/* The report's entries: instance checks, then estimator-side and
 * out-of-scope IDs (always UNKNOWN). A3.4 is left out so that relabelling
 * P2 as A3.4 does not also duplicate an entry. */
static const char *IDS[] = {"DIM", "DIMU1", "F1", "FC", "F2", "F3", "F4", "P1",  "P1nd", "PD",
                            "P2",  "A3.8a", "A3.8b", "I-i", "I-iii", "REC", "GAUSS", "SPARSE", "P3"};
#define NIDS (sizeof IDS / sizeof IDS[0])

static void load(idc_instance *inst, const char *text)
{
    idc_err err;
    int rc = idc_instance_read_string(inst, text, &err);
    ck_assert_msg(rc == IDC_OK, "instance: %s", err.msg);
}

/* The report `idcheck check --json` writes for ids (the theorem table
 * aside). */
static json_t *report(const idc_instance *inst, const char *const *ids, size_t n)
{
    char hash[65];
    idc_err err;
    ck_assert_int_eq(idc_instance_hash(hash, inst, &err), IDC_OK);
    json_t *root = json_object(), *arr = json_array();
    json_object_set_new(root, "instance", json_string("inst.json"));
    json_object_set_new(root, "model_hash", json_string(hash));
    for (size_t k = 0; k < n; k++) {
        idc_pre_result res;
        idc_pre_result_init(&res);
        int rc = idc_pre_check(&res, ids[k], inst, NULL, &err);
        ck_assert_msg(rc == IDC_OK, "%s: %s", ids[k], err.msg);
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(res.id));
        json_object_set_new(o, "verdict", json_string(idc_verdict_name(res.verdict)));
        json_object_set_new(o, "reason", json_string(res.reason));
        json_object_set(o, "certificate", res.cert != NULL ? res.cert : json_null());
        json_array_append_new(arr, o);
        idc_pre_result_clear(&res);
    }
    json_object_set_new(root, "preconditions", arr);
    return root;
}

static json_t *entry(json_t *rep, size_t i)
{
    return json_array_get(json_object_get(rep, "preconditions"), i);
}

static size_t index_of(const char *id)
{
    for (size_t i = 0; i < NIDS; i++)
        if (strcmp(IDS[i], id) == 0)
            return i;
    ck_abort_msg("no entry %s", id);
    return 0;
}

/* Expects rep to be rejected with a one-line reason containing want (and
 * naming the entry when want names one). */
static void expect_reject(const json_t *rep, const idc_instance *inst, const char *want, const char *what)
{
    char why[IDC_ERR_LEN] = "";
    idc_cert_tally t;
    int rc = idc_cert_verify_report(&t, rep, inst, NULL, NULL, why, sizeof why);
    ck_assert_msg(rc == IDC_EDOM, "%s: tampered report accepted (status %d)", what, rc);
    ck_assert_msg(why[0] != '\0' && strchr(why, '\n') == NULL, "%s: no one-line reason", what);
    ck_assert_msg(strstr(why, want) != NULL, "%s: reason \"%s\" lacks \"%s\"", what, why, want);
}

static void expect_accept(const json_t *rep, const idc_instance *inst, idc_cert_tally *t, const char *what)
{
    char why[IDC_ERR_LEN] = "";
    int rc = idc_cert_verify_report(t, rep, inst, NULL, NULL, why, sizeof why);
    ck_assert_msg(rc == IDC_OK, "%s: rejected: %s", what, why);
}

START_TEST(test_valid)
{
    idc_instance a;
    load(&a, INSTANCE_A);
    json_t *rep = report(&a, IDS, NIDS);
    idc_cert_tally t;
    expect_accept(rep, &a, &t, "as built");
    size_t decided = 0;
    for (size_t i = 0; i < NIDS; i++)
        decided += strcmp(json_string_value(json_object_get(entry(rep, i), "verdict")), "UNKNOWN") != 0;
    ck_assert_uint_eq(t.entries, NIDS);
    ck_assert_uint_eq(t.certified, decided);
    ck_assert_uint_eq(t.unknown, NIDS - decided);
    ck_assert_uint_eq(t.invalid, 0);
    ck_assert_uint_ge(t.unknown, 4); /* REC, GAUSS, SPARSE, P3 */
    ck_assert_str_eq(json_string_value(json_object_get(entry(rep, index_of("F4")), "verdict")), "HOLDS");
    ck_assert_str_eq(json_string_value(json_object_get(entry(rep, index_of("P2")), "verdict")), "FAILS");
    /* the NULL outputs are optional */
    ck_assert_int_eq(idc_cert_verify_report(NULL, rep, &a, NULL, NULL, NULL, 0), IDC_OK);
    /* commentary is not a claim */
    json_object_set_new(entry(rep, 0), "reason", json_string("edited"));
    json_object_set_new(rep, "instance", json_string("elsewhere.json"));
    expect_accept(rep, &a, &t, "commentary edited");
    json_decref(rep);
    idc_instance_clear(&a);
}
END_TEST

/* The holes of issue 14 item 0, each on its own copy of a valid report. */
START_TEST(test_tamper_claims)
{
    idc_instance a;
    load(&a, INSTANCE_A);
    json_t *rep = report(&a, IDS, NIDS);
    size_t f4 = index_of("F4"), p2 = index_of("P2"), rec = index_of("REC");
    char name[128];
    snprintf(name, sizeof name, "preconditions[%zu] (F4)", f4);

    json_t *t = json_deep_copy(rep);
    json_object_set_new(entry(t, f4), "certificate", json_null());
    expect_reject(t, &a, name, "HOLDS with certificate null");
    json_decref(t);

    t = json_deep_copy(rep);
    json_object_del(entry(t, f4), "certificate");
    expect_reject(t, &a, "HOLDS without a certificate", "certificate deleted");
    json_decref(t);

    t = json_deep_copy(rep);
    json_object_set_new(entry(t, f4), "verdict", json_string("FAILS"));
    expect_reject(t, &a, name, "verdict HOLDS -> FAILS in the entry");
    json_decref(t);

    /* both the entry and its certificate: the certificate no longer proves it */
    t = json_deep_copy(rep);
    json_object_set_new(entry(t, f4), "verdict", json_string("FAILS"));
    json_object_set_new(json_object_get(entry(t, f4), "certificate"), "verdict", json_string("FAILS"));
    expect_reject(t, &a, name, "verdict HOLDS -> FAILS in entry and certificate");
    json_decref(t);

    t = json_deep_copy(rep);
    json_object_set_new(entry(t, p2), "id", json_string("A3.4"));
    snprintf(name, sizeof name, "preconditions[%zu] (A3.4): the certificate is for P2", p2);
    expect_reject(t, &a, name, "P2 relabelled A3.4");
    /* and its certificate relabelled with it: no A3.4 proof */
    json_object_set_new(json_object_get(entry(t, p2), "certificate"), "precondition", json_string("A3.4"));
    snprintf(name, sizeof name, "preconditions[%zu] (A3.4)", p2);
    expect_reject(t, &a, name, "P2 relabelled A3.4 with its certificate");
    json_decref(t);

    t = json_deep_copy(rep);
    json_object_set_new(t, "model_hash",
                        json_string("0000000000000000000000000000000000000000000000000000000000000000"));
    expect_reject(t, &a, "model_hash", "model_hash zeroed");
    json_object_del(t, "model_hash");
    expect_reject(t, &a, "model_hash: missing", "model_hash deleted");
    json_decref(t);

    /* an UNKNOWN carries no claim, hence no certificate */
    t = json_deep_copy(rep);
    json_object_set(entry(t, rec), "certificate", json_object_get(entry(t, f4), "certificate"));
    snprintf(name, sizeof name, "preconditions[%zu] (REC): an UNKNOWN carries no certificate", rec);
    expect_reject(t, &a, name, "REC UNKNOWN with a certificate");
    json_decref(t);
    t = json_deep_copy(rep);
    json_object_set_new(entry(t, f4), "verdict", json_string("UNKNOWN"));
    expect_reject(t, &a, "an UNKNOWN carries no certificate", "F4 downgraded, certificate kept");
    /* downgraded with the certificate removed: it claims less, and nothing false */
    json_object_set_new(entry(t, f4), "certificate", json_null());
    expect_accept(t, &a, NULL, "F4 downgraded to UNKNOWN without certificate");
    json_decref(t);

    /* an estimator-side ID claiming HOLDS: no certificate can prove it */
    t = json_deep_copy(rep);
    json_object_set_new(entry(t, rec), "verdict", json_string("HOLDS"));
    snprintf(name, sizeof name, "preconditions[%zu] (REC): HOLDS without a certificate", rec);
    expect_reject(t, &a, name, "REC HOLDS");
    json_decref(t);

    json_decref(rep);
    idc_instance_clear(&a);
}
END_TEST

/* Every decided entry, whatever its certificate type: the verdict flipped,
 * the certificate dropped, the entry relabelled, the certificate swapped
 * with its neighbour's. */
START_TEST(test_tamper_every_entry)
{
    idc_instance a;
    load(&a, INSTANCE_A);
    json_t *rep = report(&a, IDS, NIDS);
    size_t n = 0;
    for (size_t i = 0; i < NIDS; i++) {
        const char *v = json_string_value(json_object_get(entry(rep, i), "verdict"));
        if (strcmp(v, "UNKNOWN") == 0)
            continue;
        n++;
        char name[128];
        snprintf(name, sizeof name, "preconditions[%zu] (%s)", i, IDS[i]);
        json_t *t = json_deep_copy(rep);
        json_object_set_new(entry(t, i), "verdict", json_string(strcmp(v, "HOLDS") == 0 ? "FAILS" : "HOLDS"));
        expect_reject(t, &a, name, "verdict flipped");
        json_decref(t);

        t = json_deep_copy(rep);
        json_object_set_new(entry(t, i), "certificate", json_null());
        expect_reject(t, &a, name, "certificate nulled");
        json_decref(t);

        t = json_deep_copy(rep);
        json_object_set_new(entry(t, i), "id", json_string("A3.6"));
        snprintf(name, sizeof name, "preconditions[%zu] (A3.6)", i);
        expect_reject(t, &a, name, "relabelled A3.6");
        json_decref(t);

        /* the next entry's certificate (skipping UNKNOWNs) */
        for (size_t j = (i + 1) % NIDS; j != i; j = (j + 1) % NIDS) {
            json_t *cj = json_object_get(entry(rep, j), "certificate");
            if (json_is_null(cj))
                continue;
            t = json_deep_copy(rep);
            json_object_set(entry(t, i), "certificate", cj);
            snprintf(name, sizeof name, "preconditions[%zu] (%s)", i, IDS[i]);
            expect_reject(t, &a, name, "certificate swapped");
            json_decref(t);
            break;
        }
    }
    ck_assert_uint_ge(n, 10);
    json_decref(rep);
    idc_instance_clear(&a);
}
END_TEST

/* A certificate of another model in an otherwise valid report, and a whole
 * report of another model. */
START_TEST(test_other_model)
{
    idc_instance a, b;
    load(&a, INSTANCE_A);
    load(&b, INSTANCE_B);
    json_t *ra = report(&a, IDS, NIDS), *rb = report(&b, IDS, NIDS);
    expect_accept(rb, &b, NULL, "B's report on B");
    expect_reject(rb, &a, "another model", "B's report on A");
    size_t dim = index_of("DIM");
    json_t *t = json_deep_copy(ra);
    json_object_set(entry(t, dim), "certificate", json_object_get(entry(rb, dim), "certificate"));
    expect_reject(t, &a, "preconditions[0] (DIM): model_hash", "B's DIM certificate in A's report");
    json_decref(t);
    /* idc_cert_verify_hashed: the caller's hash is the one checked */
    char ha[65], hb[65], why[IDC_ERR_LEN];
    idc_err err;
    ck_assert_int_eq(idc_instance_hash(ha, &a, &err), IDC_OK);
    ck_assert_int_eq(idc_instance_hash(hb, &b, &err), IDC_OK);
    const json_t *ca = json_object_get(entry(ra, dim), "certificate");
    ck_assert_int_eq(idc_cert_verify_hashed(ca, &a, ha, why, sizeof why), IDC_OK);
    ck_assert_int_eq(idc_cert_verify_hashed(ca, &a, hb, why, sizeof why), IDC_EDOM);
    ck_assert(strstr(why, "another model") != NULL);
    ck_assert_int_eq(idc_cert_verify(ca, &a, why, sizeof why), IDC_OK);
    json_decref(ra);
    json_decref(rb);
    idc_instance_clear(&a);
    idc_instance_clear(&b);
}
END_TEST

/* Malformed entries, duplicates, and the per-entry callback judging every
 * entry after an invalid one. */
typedef struct {
    size_t calls, invalid, last_index;
    char first[IDC_ERR_LEN];
} seen;

static void on_entry(void *arg, const idc_cert_entry *e)
{
    seen *s = arg;
    ck_assert_uint_eq(e->index, s->calls);
    s->calls++;
    s->last_index = e->index;
    if (e->status != IDC_OK) {
        ck_assert_int_eq(e->status, IDC_EDOM);
        ck_assert_ptr_nonnull(e->reason);
        if (s->invalid++ == 0)
            snprintf(s->first, sizeof s->first, "%s", e->reason);
    } else if (e->verdict != IDC_UNKNOWN) {
        ck_assert_ptr_nonnull(e->method);
    } else {
        ck_assert_ptr_null(e->method);
    }
}

START_TEST(test_entries)
{
    idc_instance a;
    load(&a, INSTANCE_A);
    json_t *rep = report(&a, IDS, NIDS);
    size_t f4 = index_of("F4"), p1 = index_of("P1");

    json_t *t = json_deep_copy(rep);
    json_array_append(json_object_get(t, "preconditions"), entry(t, f4));
    char name[128];
    snprintf(name, sizeof name, "preconditions[%zu] (F4): a second entry for F4 (preconditions[%zu])", NIDS, f4);
    expect_reject(t, &a, name, "duplicate entry");
    json_decref(t);

    /* two entries tampered: both judged, in order, the first reason returned */
    t = json_deep_copy(rep);
    json_object_set_new(entry(t, p1), "certificate", json_null());
    json_object_set_new(entry(t, f4), "verdict", json_string("FAILS"));
    seen s = {0, 0, 0, ""};
    idc_cert_tally tl;
    char why[IDC_ERR_LEN];
    ck_assert_int_eq(idc_cert_verify_report(&tl, t, &a, on_entry, &s, why, sizeof why), IDC_EDOM);
    ck_assert_uint_eq(s.calls, NIDS);
    ck_assert_uint_eq(s.invalid, 2);
    ck_assert_uint_eq(tl.invalid, 2);
    ck_assert_uint_eq(tl.entries, NIDS);
    ck_assert_str_eq(why, s.first);
    snprintf(name, sizeof name, "preconditions[%zu] (F4)", f4);
    ck_assert_msg(strstr(why, name) != NULL, "%s", why);
    json_decref(t);

    /* malformed entries */
    t = json_deep_copy(rep);
    json_array_set_new(json_object_get(t, "preconditions"), 1, json_string("DIMU1 HOLDS"));
    expect_reject(t, &a, "preconditions[1]: expected an object", "entry not an object");
    json_decref(t);
    t = json_deep_copy(rep);
    json_object_del(entry(t, 1), "id");
    expect_reject(t, &a, "preconditions[1]: id", "entry without id");
    json_decref(t);
    t = json_deep_copy(rep);
    json_object_set_new(entry(t, 1), "verdict", json_string("HOLDS!"));
    expect_reject(t, &a, "preconditions[1] (DIMU1): verdict", "verdict misspelt");
    json_object_set_new(entry(t, 1), "verdict", json_true());
    expect_reject(t, &a, "preconditions[1] (DIMU1): verdict", "verdict not a string");
    json_decref(t);

    /* not a report: bad input */
    ck_assert_int_eq(idc_cert_verify_report(NULL, json_object_get(rep, "model_hash"), &a, NULL, NULL, why,
                                            sizeof why),
                     IDC_EINVAL);
    t = json_deep_copy(rep);
    json_object_set_new(t, "preconditions", json_object());
    ck_assert_int_eq(idc_cert_verify_report(NULL, t, &a, NULL, NULL, why, sizeof why), IDC_EINVAL);
    ck_assert(strstr(why, "preconditions") != NULL);
    json_decref(t);
    json_decref(rep);
    idc_instance_clear(&a);
}
END_TEST

/* Issue 14 item 3: UNKNOWN entries claim nothing, so a report of them only
 * (or of no entries) is valid with nothing certified. */
START_TEST(test_unknown_only)
{
    idc_instance a;
    load(&a, INSTANCE_A);
    static const char *const unk[] = {"REC", "GAUSS", "SPARSE", "P3"};
    json_t *rep = report(&a, unk, 4);
    idc_cert_tally t;
    seen s = {0, 0, 0, ""};
    char why[IDC_ERR_LEN];
    ck_assert_int_eq(idc_cert_verify_report(&t, rep, &a, on_entry, &s, why, sizeof why), IDC_OK);
    ck_assert_uint_eq(t.entries, 4);
    ck_assert_uint_eq(t.unknown, 4);
    ck_assert_uint_eq(t.certified, 0);
    ck_assert_uint_eq(s.calls, 4);
    /* an ID this build does not know, UNKNOWN: still no claim */
    json_t *o = json_pack("{s:s,s:s,s:s,s:n}", "id", "EST-K", "verdict", "UNKNOWN", "reason", "a fit condition",
                          "certificate");
    json_array_append_new(json_object_get(rep, "preconditions"), o);
    expect_accept(rep, &a, &t, "EST-K UNKNOWN");
    ck_assert_uint_eq(t.unknown, 5);
    json_array_clear(json_object_get(rep, "preconditions"));
    expect_accept(rep, &a, &t, "no entries");
    ck_assert_uint_eq(t.entries, 0);
    /* still about one instance */
    json_object_set_new(rep, "model_hash", json_string("x"));
    expect_reject(rep, &a, "model_hash", "empty report of another model");
    json_decref(rep);
    idc_instance_clear(&a);
}
END_TEST

/* The theorem table of a report whose only entry is DIM: by the registry's
 * rule every theorem is undecided, blocked by its first precondition other
 * than DIM, "not checked" (derived here by hand, not by the verifier's
 * code); no strongest class. */
static json_t *dim_only_report(const idc_instance *inst)
{
    static const char *const dim[] = {"DIM"};
    json_t *rep = report(inst, dim, 1), *rows = json_array();
    for (size_t i = 0; i < idc_thm_count(); i++) {
        const idc_thm_info *t = idc_thm_at(i);
        if (t->kind != IDC_THM_THEOREM)
            continue;
        const char *b = strcmp(t->pre[0], "DIM") != 0 ? t->pre[0] : t->pre[1];
        json_t *est = json_array();
        for (size_t k = 0; k < IDC_THM_MAX_EST && t->estimator[k] != NULL; k++)
            json_array_append_new(est, json_string(t->estimator[k]));
        json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s,s:s,s:s,s:o}", "id", t->id, "applies",
                                              "UNKNOWN", "conclusion", t->conclusion, "level", t->level,
                                              "map_class", t->map_class, "identifies", t->identifies, "blocking", b,
                                              "blocking_verdict", "not checked", "estimator_conditions", est));
    }
    json_object_set_new(rep, "theorems", rows);
    json_object_set_new(rep, "strongest_class", json_null());
    json_object_set_new(rep, "strongest_law_class", json_null());
    return rep;
}

static json_t *row(json_t *rep, size_t k)
{
    return json_array_get(json_object_get(rep, "theorems"), k);
}

START_TEST(test_theorems)
{
    idc_instance a;
    load(&a, INSTANCE_A);
    json_t *rep = dim_only_report(&a);
    idc_cert_tally t;
    expect_accept(rep, &a, &t, "DIM only, every theorem undecided");
    size_t nthm = json_array_size(json_object_get(rep, "theorems"));
    ck_assert_uint_eq(t.theorems, nthm);
    ck_assert_uint_ge(nthm, 10);
    const char *id0 = json_string_value(json_object_get(row(rep, 0), "id"));
    char name[128];
    snprintf(name, sizeof name, "theorems[0] (%s)", id0);

    json_t *c = json_deep_copy(rep);
    json_object_set_new(row(c, 0), "applies", json_string("HOLDS"));
    expect_reject(c, &a, name, "applies UNKNOWN -> HOLDS");
    json_decref(c);

    c = json_deep_copy(rep);
    json_object_set_new(row(c, 0), "conclusion", json_string("PS"));
    expect_reject(c, &a, "conclusion PS", "conclusion strengthened");
    json_decref(c);

    c = json_deep_copy(rep);
    json_object_set_new(row(c, 0), "level", json_string("map"));
    expect_reject(c, &a, name, "level changed");
    json_decref(c);

    c = json_deep_copy(rep);
    json_object_set_new(row(c, 0), "blocking", json_string("F4"));
    expect_reject(c, &a, "blocking F4", "blocking changed");
    json_object_del(row(c, 0), "blocking");
    expect_reject(c, &a, "blocking none", "blocking removed");
    json_decref(c);

    c = json_deep_copy(rep);
    json_object_set_new(row(c, 0), "blocking_verdict", json_string("FAILS"));
    expect_reject(c, &a, name, "blocking_verdict changed");
    json_decref(c);

    c = json_deep_copy(rep);
    json_array_clear(json_object_get(row(c, nthm - 1), "estimator_conditions"));
    json_array_append_new(json_object_get(row(c, 0), "estimator_conditions"), json_string("REC"));
    expect_reject(c, &a, "estimator_conditions", "estimator conditions edited");
    json_decref(c);

    c = json_deep_copy(rep);
    json_array_append(json_object_get(c, "theorems"), row(c, 0));
    expect_reject(c, &a, "a second row", "duplicate row");
    json_decref(c);

    c = json_deep_copy(rep);
    json_t *lemma = json_deep_copy(row(c, 0));
    json_object_set_new(lemma, "id", json_string("KC.2"));
    json_array_append_new(json_object_get(c, "theorems"), lemma);
    expect_reject(c, &a, "(KC.2): a lemma", "lemma row");
    json_object_set_new(lemma, "id", json_string("K9.9"));
    expect_reject(c, &a, "theorem ID", "unknown theorem");
    json_decref(c);

    c = json_deep_copy(rep);
    json_object_set_new(c, "strongest_class", json_string("PS"));
    expect_reject(c, &a, "strongest_class: PS", "strongest class claimed");
    json_decref(c);
    c = json_deep_copy(rep);
    json_object_set_new(c, "strongest_law_class", json_string("AT_LAW"));
    expect_reject(c, &a, "strongest_law_class: AT_LAW", "strongest law class claimed");
    json_decref(c);

    /* rows left out claim nothing; a table of the wrong type is invalid */
    c = json_deep_copy(rep);
    json_array_remove(json_object_get(c, "theorems"), 0);
    expect_accept(c, &a, &t, "a row left out");
    ck_assert_uint_eq(t.theorems, nthm - 1);
    json_object_set_new(c, "theorems", json_object());
    expect_reject(c, &a, "theorems: expected an array", "theorems not an array");
    json_decref(c);

    /* the table is judged against the verdicts as the report states them:
     * an invalid entry makes the report invalid before the table */
    c = json_deep_copy(rep);
    json_object_set_new(entry(c, 0), "verdict", json_string("FAILS"));
    expect_reject(c, &a, "preconditions[0] (DIM)", "DIM flipped");
    json_decref(c);
    json_decref(rep);
    idc_instance_clear(&a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report");
    const idc_test_case cases[] = {
        {"test_valid", test_valid},
        {"test_tamper_claims", test_tamper_claims},
        {"test_tamper_every_entry", test_tamper_every_entry},
        {"test_other_model", test_other_model},
        {"test_entries", test_entries},
        {"test_unknown_only", test_unknown_only},
        {"test_theorems", test_theorems},
    };
    idc_test_add_cases(s, cases, sizeof cases / sizeof cases[0], 120);
    return idc_test_run(s);
}
