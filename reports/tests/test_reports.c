/* Tests of reports/: provenance records and metric records. */
#include <string.h>

#include "numeric/blas.h"
#include "numeric/tests/testutil.h"
#include "reports/metrics_json.h"
#include "reports/provenance.h"

START_TEST(test_provenance)
{
    json_t *p = idc_provenance_json();
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(json_string_value(json_object_get(p, "idcheck")), idc_version());
    json_t *libs = json_object_get(p, "libraries");
    static const char *const names[] = {"gmp", "mpfr", "flint", "arb", "gsl", "openblas", "jansson", "sqlite", "nettle"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = json_string_value(json_object_get(libs, names[i]));
        ck_assert_msg(v != NULL && v[0] != '\0', "missing version of %s", names[i]);
    }
    ck_assert_ptr_nonnull(json_object_get(json_object_get(p, "build"), "compiler"));
    /* the OpenBLAS core GEMM runs with, and the library that answers it */
    json_t *blas = json_object_get(p, "blas");
    ck_assert_str_eq(json_string_value(json_object_get(blas, "core")), idc_blas_core());
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(libs, "openblas")), idc_blas_core()));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(blas, "gemm_library")), "openblas"));
    static const char *const keys[] = {"chosen_by", "openblas_detected", "cpu_best"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        ck_assert_ptr_nonnull(json_string_value(json_object_get(blas, keys[i])));
    /* what re-deriving a number on another machine needs: the source, the
     * CPU and its ISA, thread counts, backend and device */
    json_t *src = json_object_get(p, "source");
    ck_assert_str_eq(json_string_value(json_object_get(src, "id")), idc_source_id());
    if (strncmp(idc_source_id(), "git:", 4) == 0) {
        const char *c = json_string_value(json_object_get(src, "commit"));
        ck_assert_uint_eq(strspn(c, "0123456789abcdef"), 40);
        ck_assert_uint_eq(strlen(c), 40);
        ck_assert(json_is_boolean(json_object_get(src, "dirty")));
    } else {
        ck_assert_msg(strncmp(idc_source_id(), "tree:", 5) == 0, "source id %s", idc_source_id());
        ck_assert_uint_eq(strlen(json_string_value(json_object_get(src, "source_sha256"))), 64);
    }
    json_t *cpu = json_object_get(p, "cpu");
    ck_assert(strlen(json_string_value(json_object_get(cpu, "model"))) > 0);
    ck_assert(json_integer_value(json_object_get(cpu, "logical_cpus")) >= 1);
    json_t *isa = json_object_get(cpu, "isa");
    ck_assert(json_is_array(isa));
#if defined(__x86_64__)
    /* every x86-64 CPU has SSE2, and cpuid's AVX2 agrees with /proc/cpuinfo */
    int sse2 = 0, avx2 = 0;
    size_t i;
    json_t *f;
    json_array_foreach(isa, i, f)
    {
        sse2 |= strcmp(json_string_value(f), "sse2") == 0;
        avx2 |= strcmp(json_string_value(f), "avx2") == 0;
    }
    ck_assert(sse2);
    ck_assert_int_eq(avx2, (idc_blas_cpu_features() & IDC_CPU_AVX2) != 0);
#endif
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(p, "threads"), "openblas")),
                     idc_blas_get_threads());
    ck_assert_str_eq(json_string_value(json_object_get(p, "backend")), "cpu");
    ck_assert_int_eq(idc_provenance_set(p, "device", json_string("cuda:0 test")), 0);
    ck_assert_int_eq(idc_provenance_set(p, "threads.jobs", json_integer(4)), 0);
    ck_assert_int_eq(idc_provenance_set(p, "extra.n", json_integer(2)), 0);
    ck_assert_str_eq(json_string_value(json_object_get(p, "device")), "cuda:0 test");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(p, "threads"), "jobs")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(p, "extra"), "n")), 2);
    json_decref(p);
}
END_TEST

START_TEST(test_metrics_json)
{
    /* zhat = (2 z1, -z0): R^2 = 1 and the matching swaps coordinates. */
    enum { N = 40 };
    double z[2 * N], zh[2 * N];
    for (int i = 0; i < N; i++) {
        z[2 * i] = (double)(i % 7) - 3.0;
        z[2 * i + 1] = (double)((i * 5) % 11) - 5.0;
        zh[2 * i] = 2.0 * z[2 * i + 1];
        zh[2 * i + 1] = -z[2 * i];
    }
    idc_r2_result r2;
    idc_mcc_result mcc;
    idc_err err;
    ck_assert_int_eq(idc_metric_r2(&r2, z, 2, zh, 2, N, &err), IDC_OK);
    ck_assert_int_eq(idc_metric_mcc(&mcc, z, 2, zh, 2, N, &err), IDC_OK);
    json_t *o = idc_metrics_json(&r2, &mcc);
    ck_assert(json_real_value(json_object_get(o, "r2_out")) > 1 - 1e-9);
    ck_assert(json_real_value(json_object_get(o, "mcc_out")) > 1 - 1e-9);
    json_t *m = json_object_get(o, "matching");
    ck_assert_int_eq(json_integer_value(json_array_get(m, 0)), 1);
    ck_assert_int_eq(json_integer_value(json_array_get(m, 1)), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(o, "r2_coord_out")), 2);
    ck_assert_uint_eq(json_array_size(json_object_get(o, "r2_coord_in")), 2);
    json_decref(o);
    o = idc_metrics_json(NULL, &mcc);
    ck_assert_ptr_null(json_object_get(o, "r2_out"));
    json_decref(o);
    idc_r2_result_clear(&r2);
    idc_mcc_result_clear(&mcc);
}
END_TEST

/* The records of the new metrics carry every documented key with the
 * values of the result structs (a golden Wilcoxon record: n = 5 all
 * positive, p = 1/16, z = (15 - 7.5 - 0.5) / sqrt(13.75)). */
START_TEST(test_metrics_json_extended)
{
    enum { N = 40 };
    double z[2 * N], zh[2 * N];
    for (int i = 0; i < N; i++) {
        z[2 * i] = (double)(i % 7) - 3.0;
        z[2 * i + 1] = (double)((i * 5) % 11) - 5.0;
        zh[2 * i] = 2.0 * z[2 * i + 1] + z[2 * i];
        zh[2 * i + 1] = -z[2 * i];
    }
    idc_err err;
    idc_mcc_result sp;
    idc_mcc_weak_result w;
    ck_assert_int_eq(idc_metric_mcc_spearman(&sp, z, 2, zh, 2, N, &err), IDC_OK);
    ck_assert_int_eq(idc_metric_mcc_weak(&w, z, 2, zh, 2, N, 0, &err), IDC_OK);
    json_t *o = idc_metrics_json_mcc(&sp);
    ck_assert_uint_eq(json_array_size(json_object_get(o, "corr_out")), 2);
    ck_assert_uint_eq(json_array_size(json_array_get(json_object_get(o, "corr_in"), 1)), 2);
    ck_assert_double_eq(json_real_value(json_object_get(o, "mcc_out")), sp.mcc_out);
    json_decref(o);
    o = idc_metrics_json_weak(&w);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "k")), 2);
    ck_assert_double_eq(json_real_value(json_array_get(json_object_get(o, "rho"), 0)), w.rho[0]);
    ck_assert(json_real_value(json_object_get(o, "mcc_out")) > 1 - 1e-9);
    json_decref(o);

    const size_t off[3] = {0, 1, 2}, idx[2] = {0, 1};
    idc_blocks b = {2, off, idx};
    idc_r2_blocks_result br;
    ck_assert_int_eq(idc_metric_r2_blocks(&br, z, 2, zh, 2, N, &b, &b, &err), IDC_OK);
    o = idc_metrics_json_r2_blocks(&br);
    ck_assert_double_eq(json_real_value(json_array_get(json_array_get(json_object_get(o, "r2_out"), 1), 0)),
                        br.r2_out[2]);
    json_decref(o);

    const double *reps[3] = {z, zh, z};
    const size_t dims[3] = {2, 2, 2};
    idc_stability_result st;
    ck_assert_int_eq(idc_stability_mcc(&st, reps, dims, 3, N, 0, &err), IDC_OK);
    o = idc_metrics_json_stability(&st);
    ck_assert_uint_eq(json_array_size(json_object_get(o, "pairs")), 3);
    ck_assert_double_eq(json_real_value(json_object_get(json_object_get(o, "weak_out"), "min")),
                        st.weak_out_s.min);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(o, "pairs"), 2), "j")), 2);
    json_decref(o);

    const double d[5] = {1, 2, 3, 4, 5};
    idc_wilcoxon_result wr;
    ck_assert_int_eq(idc_wilcoxon_signed_rank(&wr, d, NULL, 5, &err), IDC_OK);
    o = idc_metrics_json_wilcoxon(&wr);
    char *txt = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(17));
    ck_assert_str_eq(txt, "{\"method\":\"exact\",\"n\":5,\"n_used\":5,\"n_zero\":0,"
                          "\"p_two_sided\":0.0625,\"ties\":false,\"w_minus\":0.0,"
                          "\"w_plus\":15.0,\"z\":1.8877596148970779}");
    free(txt);
    json_decref(o);

    double gw[1] = {1}, gmu[2] = {0, 0}, gcov[4] = {1, 0, 0, 1};
    idc_gmm_view g = {1, 2, gw, gmu, gcov};
    idc_gmm_aff_result ga;
    ck_assert_int_eq(idc_gmm_dist_aff(&ga, &g, &g, &err), IDC_OK);
    o = idc_metrics_json_gmm_aff(&ga);
    ck_assert(json_real_value(json_object_get(o, "dist_aff_l2")) < 1e-7);
    ck_assert_uint_eq(json_array_size(json_object_get(o, "A")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "evaluated")) +
                         json_integer_value(json_object_get(o, "skipped_singular")) +
                         json_integer_value(json_object_get(o, "skipped_nonpd")),
                     1);
    json_decref(o);

    idc_mcc_result_clear(&sp);
    idc_mcc_weak_result_clear(&w);
    idc_r2_blocks_result_clear(&br);
    idc_stability_result_clear(&st);
    idc_gmm_aff_result_clear(&ga);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reports");
    TCase *tc = tcase_create("reports");
    tcase_add_test(tc, test_provenance);
    tcase_add_test(tc, test_metrics_json);
    tcase_add_test(tc, test_metrics_json_extended);
    suite_add_tcase(s, tc);
    return idc_test_run(s);
}
