/* Tests of generators/pdgmm.h: purity in the seed, recorded provenance,
 * declared structure, weight conditioning, and parameter errors. */
#include <math.h>
#include <string.h>

#include <jansson.h>

#include "generators/pdgmm.h"
#include "numeric/dmat.h"
#include "numeric/tests/testutil.h"

START_TEST(test_pure_function_of_seed)
{
    idc_gen_pdgmm_params p;
    idc_gen_pdgmm_defaults(&p);
    p.m = 4;
    p.J = 5;
    p.n = 6;
    p.bias = 0.5;
    idc_instance a, b, c;
    idc_err err;
    ck_assert_int_eq(idc_gen_pdgmm(&a, &p, 123, &err), IDC_OK);
    ck_assert_int_eq(idc_gen_pdgmm(&b, &p, 123, &err), IDC_OK);
    ck_assert_int_eq(idc_gen_pdgmm(&c, &p, 124, &err), IDC_OK);
    char *sa = idc_instance_dump(&a), *sb = idc_instance_dump(&b), *sc = idc_instance_dump(&c);
    ck_assert_str_eq(sa, sb);
    ck_assert_str_ne(sa, sc);
    ck_assert_int_eq(idc_instance_validate(&a, &err), IDC_OK);
    /* Provenance: name, version, seed, params. */
    json_t *g = json_loads(a.generator, 0, NULL);
    ck_assert_ptr_nonnull(g);
    ck_assert_str_eq(json_string_value(json_object_get(g, "name")), "pdgmm");
    ck_assert_str_eq(json_string_value(json_object_get(g, "version")), IDC_GEN_PDGMM_VERSION);
    ck_assert_str_eq(json_string_value(json_object_get(g, "seed")), "0x000000000000007b");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(g, "params"), "n")), 6);
    json_decref(g);
    free(sa);
    free(sb);
    free(sc);
    idc_instance_clear(&a);
    idc_instance_clear(&b);
    idc_instance_clear(&c);
}
END_TEST

START_TEST(test_structure)
{
    uint64_t seed = idc_test_seed(7);
    IDC_TEST_PRINT_SEED("test_structure", seed);
    idc_gen_pdgmm_params p;
    idc_gen_pdgmm_defaults(&p);
    p.m = 5;
    p.n = 7;
    p.J = 4;
    p.ratio = 0.6; /* supports of size 3 */
    p.layers = 3;
    p.cond = 4.0;
    idc_instance inst;
    idc_err err;
    ck_assert_int_eq(idc_gen_pdgmm(&inst, &p, seed, &err), IDC_OK);
    ck_assert(inst.prior.has_frame);
    double wsum = 0;
    for (size_t j = 0; j < 4; j++) {
        const idc_component *c = &inst.prior.comp[j];
        ck_assert_int_eq(c->form, IDC_COMP_FRAME);
        ck_assert_uint_eq(c->nsupport, 3);
        ck_assert_uint_eq(c->rank, 3);
        for (size_t a = 1; a < 3; a++)
            ck_assert(c->support[a] > c->support[a - 1]);
        /* Identity frame: the mean is zero off the support, L is zero off it. */
        for (size_t i = 0; i < 5; i++) {
            int in = 0;
            for (size_t a = 0; a < 3; a++)
                in |= c->support[a] == i;
            if (!in) {
                ck_assert(c->mean[i] == 0.0);
                for (size_t k = 0; k < 3; k++)
                    ck_assert(c->L[i * 3 + k] == 0.0);
            }
        }
        wsum += c->weight;
    }
    ck_assert(fabs(wsum - 1.0) < 1e-15);
    ck_assert_uint_eq(inst.map.nlayers, 3);
    ck_assert_uint_eq(inst.map.in_dim, 5);
    ck_assert_uint_eq(inst.map.out_dim, 7);
    for (size_t i = 0; i < 3; i++) {
        const idc_layer *l = &inst.map.layers[i];
        ck_assert_int_eq(l->act, i < 2 ? IDC_ACT_LEAKY : IDC_ACT_IDENTITY);
        double s[7];
        ck_assert_int_eq(idc_dmat_singular_values(s, l->W, l->out, l->in), IDC_OK);
        size_t k = l->in < l->out ? l->in : l->out;
        if (fabs(s[0] - 1.0) > 1e-9 || fabs(s[0] / s[k - 1] - 4.0) > 1e-8)
            IDC_TEST_FAIL_REPLAY("test_structure", seed, "layer %zu: sigma_max %g, cond %g", i, s[0],
                                 s[0] / s[k - 1]);
    }
    idc_instance_clear(&inst);
}
END_TEST

START_TEST(test_params_and_errors)
{
    idc_gen_pdgmm_params p;
    idc_err err;
    idc_gen_pdgmm_defaults(&p);
    ck_assert_int_eq(idc_gen_pdgmm_set(&p, "m", "6", &err), IDC_OK);
    ck_assert_uint_eq(p.m, 6);
    ck_assert_int_eq(idc_gen_pdgmm_set(&p, "ratio", "0.5", &err), IDC_OK);
    ck_assert(p.ratio == 0.5);
    ck_assert_int_eq(idc_gen_pdgmm_set(&p, "ratio", "1.5", &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "--ratio") != NULL);
    ck_assert_int_eq(idc_gen_pdgmm_set(&p, "m", "-1", &err), IDC_EINVAL);
    ck_assert_int_eq(idc_gen_pdgmm_set(&p, "m", "5000", &err), IDC_EINVAL);
    ck_assert_int_eq(idc_gen_pdgmm_set(&p, "J", "x", &err), IDC_EINVAL);
    ck_assert_int_eq(idc_gen_pdgmm_set(&p, "cond", "0.5", &err), IDC_EINVAL);
    ck_assert_int_eq(idc_gen_pdgmm_set(&p, "slope", "nan", &err), IDC_EINVAL);
    ck_assert_int_eq(idc_gen_pdgmm_set(&p, "colour", "1", &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "--colour: unknown parameter") != NULL);
    idc_instance inst;
    idc_gen_pdgmm_defaults(&p);
    p.m = 4;
    p.n = 3;
    ck_assert_int_eq(idc_gen_pdgmm(&inst, &p, 1, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "--n") != NULL);
    ck_assert(idc_gen_pdgmm_help() != NULL);
}
END_TEST

START_TEST(test_aux_and_noise)
{
    idc_gen_pdgmm_params p;
    idc_gen_pdgmm_defaults(&p);
    p.aux_label = 1;
    p.noise = 0.25;
    p.m = 1;
    p.J = 2;
    p.layers = 1;
    idc_instance inst;
    idc_err err;
    ck_assert_int_eq(idc_gen_pdgmm(&inst, &p, 3, &err), IDC_OK);
    ck_assert_int_eq(inst.aux, IDC_AUX_LABEL);
    ck_assert(inst.noise_sigma == 0.25);
    ck_assert_int_eq(idc_instance_validate(&inst, &err), IDC_OK);
    idc_instance_clear(&inst);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gen_pdgmm");
    TCase *tc = tcase_create("gen_pdgmm");
    tcase_add_test(tc, test_pure_function_of_seed);
    tcase_add_test(tc, test_params_and_errors);
    tcase_add_test(tc, test_aux_and_noise);
    suite_add_tcase(s, tc);
    TCase *ts = tcase_create("test_structure");
    tcase_add_test(ts, test_structure);
    suite_add_tcase(s, ts);
    return idc_test_run(s);
}
