/* Tests of models/instance.h: strict reading, every rejection path with its
 * one-line message naming the JSON path, canonical round trip, hashing. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "models/instance.h"
#include "numeric/tests/testutil.h"

/* A valid 2-D instance; cases below replace one fragment of it. */
static const char *base =
    "{\"idcheck_format\": 1,"
    " \"model\": {\"dim\": 2, \"components\": ["
    "   {\"weight\": 0.5, \"mean\": [0, 1], \"L\": [[1, 0], [0.5, 2]]},"
    "   {\"weight\": 0.25, \"mean\": [1, 1], \"Sigma\": [[2, 1], [1, 1]]},"
    "   {\"weight\": 0.25, \"mean\": [3, -1], \"L\": [[1], [1]]}]},"
    " \"map\": {\"type\": \"mlp\", \"layers\": ["
    "   {\"W\": [[1, 0], [0, 1], [1, 1]], \"b\": [0, 0, 0], \"activation\": \"leaky_relu\", \"slope\": 0.2},"
    "   {\"W\": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], \"b\": [0, 0, 1], \"activation\": \"identity\"}]},"
    " \"noise\": {\"sigma\": 0.1}, \"aux\": {\"kind\": \"label\"}, \"samples\": 500}";

/* base with the first occurrence of `from` replaced by `to`. */
static char *patched(const char *from, const char *to)
{
    const char *p = strstr(base, from);
    ck_assert_msg(p != NULL, "fragment not in base: %s", from);
    size_t a = (size_t)(p - base), n = strlen(base) - strlen(from) + strlen(to) + 1;
    char *s = malloc(n);
    memcpy(s, base, a);
    strcpy(s + a, to);
    strcat(s, p + strlen(from));
    return s;
}

START_TEST(test_read_valid)
{
    idc_instance inst;
    idc_err err;
    int rc = idc_instance_read_string(&inst, base, &err);
    ck_assert_msg(rc == IDC_OK, "%s", err.msg);
    ck_assert_uint_eq(inst.prior.dim, 2);
    ck_assert_uint_eq(inst.prior.ncomp, 3);
    ck_assert_int_eq(inst.prior.comp[0].form, IDC_COMP_FACTOR);
    ck_assert_int_eq(inst.prior.comp[1].form, IDC_COMP_COVARIANCE);
    ck_assert_uint_eq(inst.prior.comp[2].rank, 1);
    ck_assert_uint_eq(inst.map.out_dim, 3);
    ck_assert_int_eq(inst.map.layers[0].act, IDC_ACT_LEAKY);
    ck_assert(inst.map.layers[0].slope == 0.2);
    ck_assert(inst.noise_sigma == 0.1);
    ck_assert_int_eq(inst.aux, IDC_AUX_LABEL);
    ck_assert_uint_eq(inst.nsamples, 500);
    /* The numerical factor of the covariance component reproduces Sigma. */
    const idc_component *c = &inst.prior.comp[1];
    for (size_t i = 0; i < 2; i++)
        for (size_t j = 0; j < 2; j++) {
            double s = 0;
            for (size_t k = 0; k < c->rank; k++)
                s += c->L[i * c->rank + k] * c->L[j * c->rank + k];
            ck_assert(fabs(s - c->sigma[i * 2 + j]) < 1e-12);
        }
    idc_instance_clear(&inst);
}
END_TEST

START_TEST(test_roundtrip_and_hash)
{
    idc_instance a, b;
    idc_err err;
    ck_assert_int_eq(idc_instance_read_string(&a, base, &err), IDC_OK);
    char *s1 = idc_instance_dump(&a);
    ck_assert_int_eq(idc_instance_read_string(&b, s1, &err), IDC_OK);
    char *s2 = idc_instance_dump(&b);
    ck_assert_str_eq(s1, s2);
    char h1[65], h2[65];
    ck_assert_int_eq(idc_instance_hash(h1, &a, &err), IDC_OK);
    ck_assert_int_eq(idc_instance_hash(h2, &b, &err), IDC_OK);
    ck_assert_str_eq(h1, h2);
    ck_assert_uint_eq(strlen(h1), 64);
    /* One ulp in one weight changes the hash. */
    b.map.layers[1].W[0] = nextafter(b.map.layers[1].W[0], 2.0);
    ck_assert_int_eq(idc_instance_hash(h2, &b, &err), IDC_OK);
    ck_assert_str_ne(h1, h2);
    /* The hash covers the model, not the sample count. */
    a.nsamples = 7;
    ck_assert_int_eq(idc_instance_hash(h2, &a, &err), IDC_OK);
    ck_assert_str_eq(h1, h2);
    ck_assert_int_eq(idc_instance_validate(&a, &err), IDC_OK);
    free(s1);
    free(s2);
    idc_instance_clear(&a);
    idc_instance_clear(&b);
}
END_TEST

START_TEST(test_doubles_roundtrip_exactly)
{
    idc_instance a, b;
    idc_err err;
    ck_assert_int_eq(idc_instance_read_string(&a, base, &err), IDC_OK);
    double tricky[] = {0.1, 1.0 / 3.0, 5e-324, 1.7976931348623157e308, -2.2250738585072014e-308,
                       0x1.fffffffffffffp-1};
    for (size_t i = 0; i < 6; i++)
        a.prior.comp[0].mean[0] = tricky[i], a.map.layers[0].b[i % 3] = tricky[i];
    a.prior.comp[2].mean[1] = tricky[2];
    char *s = idc_instance_dump(&a);
    ck_assert_int_eq(idc_instance_read_string(&b, s, &err), IDC_OK);
    ck_assert(memcmp(a.prior.comp[0].mean, b.prior.comp[0].mean, 2 * sizeof(double)) == 0);
    ck_assert(memcmp(a.prior.comp[2].mean, b.prior.comp[2].mean, 2 * sizeof(double)) == 0);
    ck_assert(memcmp(a.map.layers[0].b, b.map.layers[0].b, 3 * sizeof(double)) == 0);
    free(s);
    idc_instance_clear(&a);
    idc_instance_clear(&b);
}
END_TEST

START_TEST(test_frame_form)
{
    const char *txt =
        "{\"idcheck_format\": 1, \"model\": {\"dim\": 3,"
        " \"frame\": {\"basis\": [[0, 1, 0], [1, 0, 0], [0, 0, 2]], \"translation\": [1, 2, 3]},"
        " \"components\": [{\"weight\": 1, \"support\": [0, 2], \"mean\": [1, 1], \"L\": [[1], [0.5]]}]},"
        " \"map\": {\"type\": \"mlp\", \"layers\": [{\"W\": [[1,0,0],[0,1,0],[0,0,1]], \"b\": [0,0,0],"
        " \"activation\": \"identity\"}]}}";
    idc_instance inst;
    idc_err err;
    ck_assert_msg(idc_instance_read_string(&inst, txt, &err) == IDC_OK, "%s", err.msg);
    const idc_component *c = &inst.prior.comp[0];
    ck_assert_int_eq(c->form, IDC_COMP_FRAME);
    /* mu = t + B[:,{0,2}] (1,1) = (1,2,3) + (0,1,0) + (0,0,2) */
    ck_assert(c->mean[0] == 1.0 && c->mean[1] == 3.0 && c->mean[2] == 5.0);
    /* L = B[:,{0,2}] (1, 0.5)^T = (0, 1, 1) */
    ck_assert(c->L[0] == 0.0 && c->L[1] == 1.0 && c->L[2] == 1.0);
    ck_assert_uint_eq(inst.nsamples, 10000);
    ck_assert_int_eq(inst.aux, IDC_AUX_NONE);
    idc_instance_clear(&inst);
}
END_TEST

START_TEST(test_pwl1)
{
    const char *txt =
        "{\"idcheck_format\": 1, \"model\": {\"dim\": 1, \"components\": ["
        "{\"weight\": 1, \"mean\": [0], \"L\": [[1]]}]},"
        " \"map\": {\"type\": \"pwl1\", \"breakpoints\": [-1, 2],"
        " \"pieces\": [{\"slope\": 2, \"intercept\": 0}, {\"slope\": 1, \"intercept\": -1},"
        " {\"slope\": 3, \"intercept\": -5}]}}";
    idc_instance inst;
    idc_err err;
    ck_assert_msg(idc_instance_read_string(&inst, txt, &err) == IDC_OK, "%s", err.msg);
    double work[2], y, x;
    x = -2;
    idc_pamap_eval(&inst.map, &y, &x, work);
    ck_assert(y == -4);
    x = -1; /* left-closed pieces: -1 is in piece 1 */
    idc_pamap_eval(&inst.map, &y, &x, work);
    ck_assert(y == -2);
    x = 2;
    idc_pamap_eval(&inst.map, &y, &x, work);
    ck_assert(y == 1);
    idc_instance_clear(&inst);
}
END_TEST

typedef struct {
    const char *from, *to; /* patch of base (from == NULL: `to` is the whole text) */
    const char *expect;    /* substring of the error message */
} reject_case;

static const reject_case rejects[] = {
    {NULL, "{\"idcheck_format\": 1,", "malformed JSON"},
    {NULL, "[1, 2]", "(root): expected a JSON object"},
    {"\"idcheck_format\": 1,", "", "idcheck_format: missing field"},
    {"\"idcheck_format\": 1", "\"idcheck_format\": 2", "idcheck_format: unsupported version"},
    {"\"samples\": 500", "\"samples\": 500, \"colour\": 1", "colour: unknown field"},
    {"\"mean\": [0, 1], \"L\": [[1, 0], [0.5, 2]]", "\"mean\": [0, 1], \"L\": [[1, 0], [0.5, 2]], \"x\": 1",
     "model.components[0].x: unknown field"},
    {"\"L\": [[1], [1]]", "\"L\": [[1], [1], [1]]", "model.components[2].L: expected 2xr matrix"},
    {"\"L\": [[1, 0], [0.5, 2]]", "\"L\": [[1, 0], [0.5]]", "model.components[0].L[1]: ragged"},
    {"\"L\": [[1], [1]]", "\"L\": [[1, 1, 1], [1, 1, 1]]", "model.components[2].L: 3 columns exceed"},
    {"\"mean\": [3, -1]", "\"mean\": [3]", "model.components[2].mean: expected 2 numbers, got 1"},
    {"\"mean\": [3, -1]", "\"mean\": [3, \"a\"]", "model.components[2].mean[1]: expected a number"},
    {"\"mean\": [3, -1]", "\"mean\": [3, 1e999]", "malformed JSON"},
    {"\"weight\": 0.5", "\"weight\": -0.5", "model.components[0].weight: negative weight"},
    {"\"weight\": 0.5", "\"weight\": 0.6", "model.components: weights sum to"},
    {"\"weight\": 0.5,", "", "model.components[0].weight: missing field"},
    {"\"Sigma\": [[2, 1], [1, 1]]", "\"Sigma\": [[1, 2], [2, 1]]",
     "model.components[1].Sigma: not positive semidefinite"},
    {"\"Sigma\": [[2, 1], [1, 1]]", "\"Sigma\": [[2, 1], [1.5, 1]]",
     "model.components[1].Sigma: not symmetric"},
    {"\"Sigma\": [[2, 1], [1, 1]]", "\"Sigma\": [[2, 1, 0], [1, 1, 0]]",
     "model.components[1].Sigma: expected 2x2 matrix, got 2x3"},
    {"\"Sigma\": [[2, 1], [1, 1]]", "\"Sigma\": [[2, 1], [1, 1]], \"L\": [[1],[1]]",
     "model.components[1]: give exactly one of"},
    {"\"components\": [", "\"components\": [], \"c2\": [", "model.c2: unknown field"},
    {"\"dim\": 2", "\"dim\": 5000", "model.dim: 5000 is outside 1..4096"},
    {"\"dim\": 2", "\"dim\": 0", "model.dim: 0 is outside"},
    {"\"dim\": 2", "\"dim\": 3", "model.components[0].L: expected 3xr matrix"},
    {"{\"W\": [[1, 0], [0, 1], [1, 1]]", "{\"W\": [[1], [0], [1]]",
     "map.layers[0].W: expected 3x2 matrix (input width 2 = model.dim), got 3x1"},
    {"\"W\": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]", "\"W\": [[1, 0], [0, 1], [0, 0]]",
     "map.layers[1].W: expected 3x3 matrix"},
    {"\"b\": [0, 0, 1]", "\"b\": [0, 0]", "map.layers[1].b: expected 3 numbers, got 2"},
    {"\"activation\": \"leaky_relu\", \"slope\": 0.2", "\"activation\": \"leaky_relu\"",
     "map.layers[0].slope: missing field"},
    {"\"activation\": \"identity\"", "\"activation\": \"tanh\"", "map.layers[1].activation: expected"},
    {"\"activation\": \"identity\"", "\"activation\": \"identity\", \"slope\": 1",
     "map.layers[1].slope: only leaky_relu"},
    {"\"type\": \"mlp\"", "\"type\": \"conv\"", "map.type: unknown type \"conv\""},
    {"\"layers\": [", "\"layers\": [], \"l2\": [", "map.l2: unknown field"},
    {"\"sigma\": 0.1", "\"sigma\": -0.1", "noise.sigma: must be >= 0"},
    {"\"kind\": \"label\"", "\"kind\": \"segment\"", "aux.kind: expected"},
    {"\"samples\": 500", "\"samples\": 0", "samples: 0 is outside"},
    {"\"samples\": 500", "\"samples\": 1.5", "samples: expected an integer"},
    {"\"mean\": [0, 1], \"L\"", "\"support\": [0], \"mean\": [0], \"L\"",
     "model.components[0].support: a support needs model.frame"},
    {"\"sigma\": 0.1}", "\"sigma\": 0.1}, \"model2\": 1", "model2: unknown field"},
    {"\"noise\": {\"sigma\": 0.1}", "\"noise\": 0.1", "noise: expected an object"},
    {NULL,
     "{\"idcheck_format\": 1, \"model\": {\"dim\": 1, \"components\": [{\"weight\": 1, \"mean\": [0], \"L\": "
     "[[1]]}]}}",
     "map: missing field"},
    {"\"weight\": 0.5,", "\"weight\": 0.5, \"weight\": 0.5,", "duplicate object key"},
    {"\"dim\": 2", "\"dim\": 2, \"family\": \"cauchy\"", "model.family: unknown family \"cauchy\""},
    {"\"dim\": 2", "\"dim\": 2, \"family\": 1", "model.family: expected a string"},
    {"\"dim\": 2", "\"dim\": 2, \"family\": null", "model.family: expected a string"},
    {"\"dim\": 2", "\"dim\": 2, \"family\": \"Gaussian\"", "model.family: unknown family"},
    {"\"type\": \"mlp\"", "\"type\": 3", "map.type: expected a string"},
};

/* Pinwheel maps: base's model (dim 2) with this map. */
static const struct {
    const char *map, *expect;
} pinwheel_rejects[] = {
    {"{\"type\": \"pinwheel\", \"embed\": [[1, 0], [0, 1]]}", "map.rate: missing field"},
    {"{\"type\": \"pinwheel\", \"rate\": \"fast\", \"embed\": [[1, 0], [0, 1]]}",
     "map.rate: expected a number"},
    {"{\"type\": \"pinwheel\", \"rate\": 1e999, \"embed\": [[1, 0], [0, 1]]}", "malformed JSON"},
    {"{\"type\": \"pinwheel\", \"rate\": 0.25}", "map.embed: missing field"},
    {"{\"type\": \"pinwheel\", \"rate\": 0.25, \"embed\": [[1, 0, 0], [0, 1, 0]]}",
     "map.embed: expected an nx2 matrix (1 <= n <= 65536, 2 = model.dim), got 2x3"},
    {"{\"type\": \"pinwheel\", \"rate\": 0.25, \"embed\": []}", "map.embed: expected an nx2 matrix"},
    {"{\"type\": \"pinwheel\", \"rate\": 0.25, \"embed\": [[1, 0], [0]]}", "map.embed[1]: ragged"},
    {"{\"type\": \"pinwheel\", \"rate\": 0.25, \"embed\": [[1, 0], [0, \"x\"]]}",
     "map.embed[1][1]: expected a number"},
    {"{\"type\": \"pinwheel\", \"rate\": 0.25, \"embed\": 7}", "map.embed: expected a matrix"},
    {"{\"type\": \"pinwheel\", \"rate\": 0.25, \"embed\": [[1, 0]], \"layers\": []}",
     "map.layers: unknown field"},
    {"{\"type\": \"mlp\", \"rate\": 0.25, \"layers\": []}", "map.rate: unknown field"},
};

START_TEST(test_rejections)
{
    const reject_case *rc = &rejects[_i];
    char *txt = rc->from ? patched(rc->from, rc->to) : strdup(rc->to);
    idc_instance inst;
    idc_err err;
    err.msg[0] = '\0';
    int st = idc_instance_read_string(&inst, txt, &err);
    ck_assert_msg(st == IDC_EINVAL, "case %d: status %d, msg %s", _i, st, err.msg);
    ck_assert_msg(strstr(err.msg, rc->expect) != NULL, "case %d: message \"%s\" lacks \"%s\"", _i, err.msg,
                  rc->expect);
    ck_assert_msg(strchr(err.msg, '\n') == NULL, "case %d: message is not one line", _i);
    /* Nothing partial is left behind. */
    ck_assert_uint_eq(inst.prior.ncomp, 0);
    ck_assert_ptr_null(inst.map.layers);
    free(txt);
}
END_TEST

START_TEST(test_frame_rejections)
{
    static const char *pre = "{\"idcheck_format\": 1, \"model\": {\"dim\": 2, \"frame\": {\"basis\": [[1,0],[0,1]],"
                             " \"translation\": [0, 0]}, \"components\": [";
    static const char *post = "]}, \"map\": {\"type\": \"mlp\", \"layers\": [{\"W\": [[1,0],[0,1]],"
                              " \"b\": [0,0], \"activation\": \"identity\"}]}}";
    static const struct {
        const char *comp, *expect;
    } cases[] = {
        {"{\"weight\": 1, \"support\": [2], \"mean\": [0], \"L\": [[1]]}", "support[0]: expected an index"},
        {"{\"weight\": 1, \"support\": [1, 0], \"mean\": [0, 0], \"L\": [[1],[1]]}", "strictly increasing"},
        {"{\"weight\": 1, \"support\": [0], \"mean\": [0, 0], \"L\": [[1]]}", "mean: expected 1 numbers"},
        {"{\"weight\": 1, \"support\": [0], \"mean\": [0], \"L\": [[1],[1]]}", "L: expected 1x1 matrix"},
        {"{\"weight\": 1, \"support\": [0], \"mean\": [0], \"Sigma\": [[1]]}", "frame components take a factor"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char txt[1024];
        snprintf(txt, sizeof txt, "%s%s%s", pre, cases[i].comp, post);
        idc_instance inst;
        idc_err err;
        ck_assert_int_eq(idc_instance_read_string(&inst, txt, &err), IDC_EINVAL);
        ck_assert_msg(strstr(err.msg, cases[i].expect) != NULL, "case %zu: %s", i, err.msg);
    }
}
END_TEST

START_TEST(test_files)
{
    char dir[] = "/tmp/idc_inst_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256], bad[256];
    snprintf(path, sizeof path, "%s/a.json", dir);
    snprintf(bad, sizeof bad, "%s/missing.json", dir);
    idc_instance a, b;
    idc_err err;
    ck_assert_int_eq(idc_instance_read_string(&a, base, &err), IDC_OK);
    ck_assert_int_eq(idc_instance_write_file(&a, path, &err), IDC_OK);
    ck_assert_int_eq(idc_instance_read_file(&b, path, &err), IDC_OK);
    idc_instance_clear(&b);
    ck_assert_int_eq(idc_instance_read_file(&b, bad, &err), IDC_EIO);
    ck_assert(strstr(err.msg, "missing.json: cannot open") != NULL);
    /* Writing into a missing directory fails and leaves nothing behind. */
    snprintf(bad, sizeof bad, "%s/no/such/dir.json", dir);
    ck_assert_int_eq(idc_instance_write_file(&a, bad, &err), IDC_EIO);
    /* A file with an error reports the file name and the JSON path. */
    FILE *fp = fopen(path, "w");
    fputs("{\"idcheck_format\": 1, \"model\": {\"dim\": 2}, \"map\": {}}", fp);
    fclose(fp);
    ck_assert_int_eq(idc_instance_read_file(&b, path, &err), IDC_EINVAL);
    ck_assert_msg(strstr(err.msg, "a.json: model.components: missing field") != NULL, "%s", err.msg);
    idc_instance_clear(&a);
    remove(path);
    rmdir(dir);
}
END_TEST

/* Smooth activations (misspecified f): read, written back, evaluated, and
 * flagged as not piecewise affine. */
START_TEST(test_smooth_activations)
{
    idc_err err;
    char *t = patched("\"activation\": \"leaky_relu\", \"slope\": 0.2",
                      "\"activation\": \"smooth_leaky_relu\", \"slope\": 0.25");
    idc_instance inst;
    ck_assert_msg(idc_instance_read_string(&inst, t, &err) == IDC_OK, "%s", err.msg);
    ck_assert_int_eq(inst.map.layers[0].act, IDC_ACT_SMOOTH_LEAKY);
    ck_assert(inst.map.layers[0].slope == 0.25);
    ck_assert(!idc_pamap_is_pa(&inst.map));
    char *d = idc_instance_dump(&inst);
    ck_assert(strstr(d, "\"smooth_leaky_relu\"") != NULL && strstr(d, "\"slope\":0.25") != NULL);
    idc_instance back;
    ck_assert_int_eq(idc_instance_read_string(&back, d, &err), IDC_OK);
    char *d2 = idc_instance_dump(&back);
    ck_assert_str_eq(d, d2);
    free(d);
    free(d2);
    idc_instance_clear(&back);
    idc_instance_clear(&inst);
    free(t);
    /* smooth_leaky_relu needs its slope; sigmoid takes none */
    t = patched("\"activation\": \"leaky_relu\", \"slope\": 0.2", "\"activation\": \"smooth_leaky_relu\"");
    ck_assert_int_eq(idc_instance_read_string(&inst, t, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "map.layers[0].slope: missing field") != NULL);
    free(t);
    t = patched("\"activation\": \"leaky_relu\", \"slope\": 0.2", "\"activation\": \"sigmoid\", \"slope\": 1");
    ck_assert_int_eq(idc_instance_read_string(&inst, t, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "map.layers[0].slope: only leaky_relu and smooth_leaky_relu") != NULL);
    free(t);
    t = patched("\"activation\": \"leaky_relu\", \"slope\": 0.2", "\"activation\": \"sigmoid\"");
    ck_assert_msg(idc_instance_read_string(&inst, t, &err) == IDC_OK, "%s", err.msg);
    ck_assert_int_eq(inst.map.layers[0].act, IDC_ACT_SIGMOID);
    idc_instance_clear(&inst);
    free(t);
    /* values, two ways: the closed forms against their definitions */
    double v[5] = {-40.0, -1.0, 0.0, 2.0, 40.0}, w[5], a = 0.25;
    memcpy(w, v, sizeof v);
    idc_act_apply(w, 5, IDC_ACT_SMOOTH_LEAKY, a);
    for (int i = 0; i < 5; i++) {
        double want = a * v[i] + (1 - a) * log(1 + exp(v[i]));
        ck_assert_msg(fabs(w[i] - want) <= 1e-14 * (1 + fabs(want)), "%g: %g vs %g", v[i], w[i], want);
    }
    memcpy(w, v, sizeof v);
    idc_act_apply(w, 5, IDC_ACT_SIGMOID, 0.0);
    for (int i = 0; i < 5; i++) {
        double want = 1 / (1 + exp(-v[i]));
        ck_assert_msg(fabs(w[i] - want) <= 1e-15, "%g: %g vs %g", v[i], w[i], want);
    }
    ck_assert(w[0] > 0.0 && w[4] <= 1.0); /* no underflow to 0 at -40 */
    ck_assert(idc_act_is_pa(IDC_ACT_IDENTITY) && idc_act_is_pa(IDC_ACT_RELU) && idc_act_is_pa(IDC_ACT_LEAKY));
    ck_assert(!idc_act_is_pa(IDC_ACT_SMOOTH_LEAKY) && !idc_act_is_pa(IDC_ACT_SIGMOID));
    ck_assert(idc_act_has_slope(IDC_ACT_LEAKY) && idc_act_has_slope(IDC_ACT_SMOOTH_LEAKY));
    ck_assert(!idc_act_has_slope(IDC_ACT_SIGMOID) && !idc_act_has_slope(IDC_ACT_RELU));
    ck_assert_str_eq(idc_act_name(IDC_ACT_SIGMOID), "sigmoid");
    ck_assert_str_eq(idc_act_name(IDC_ACT_SMOOTH_LEAKY), "smooth_leaky_relu");
}
END_TEST

/* model.family: default gaussian (absent from the canonical JSON, so
 * Gaussian hashes are unchanged), each family read, written, round-tripped
 * and hashed differently. */
START_TEST(test_family)
{
    idc_err err;
    idc_instance g;
    ck_assert_int_eq(idc_instance_read_string(&g, base, &err), IDC_OK);
    ck_assert_int_eq(g.prior.family, IDC_FAMILY_GAUSSIAN);
    char hg[65], h[65];
    ck_assert_int_eq(idc_instance_hash(hg, &g, &err), IDC_OK);
    char *dg = idc_instance_dump(&g);
    ck_assert(strstr(dg, "family") == NULL);
    char *t = patched("\"dim\": 2", "\"dim\": 2, \"family\": \"gaussian\"");
    idc_instance e;
    ck_assert_int_eq(idc_instance_read_string(&e, t, &err), IDC_OK);
    ck_assert_int_eq(idc_instance_hash(h, &e, &err), IDC_OK);
    ck_assert_str_eq(h, hg); /* explicit gaussian = absent */
    idc_instance_clear(&e);
    free(t);
    static const idc_family fams[] = {IDC_FAMILY_EXPONENTIAL, IDC_FAMILY_GUMBEL, IDC_FAMILY_UNIFORM};
    char hs[3][65];
    for (size_t i = 0; i < 3; i++) {
        char frag[64];
        snprintf(frag, sizeof frag, "\"dim\": 2, \"family\": \"%s\"", idc_family_name(fams[i]));
        t = patched("\"dim\": 2", frag);
        idc_instance a, b;
        ck_assert_msg(idc_instance_read_string(&a, t, &err) == IDC_OK, "%s", err.msg);
        ck_assert_int_eq(a.prior.family, fams[i]);
        char *d = idc_instance_dump(&a);
        snprintf(frag, sizeof frag, "\"family\":\"%s\"", idc_family_name(fams[i]));
        ck_assert_msg(strstr(d, frag) != NULL, "%s", d);
        ck_assert_int_eq(idc_instance_read_string(&b, d, &err), IDC_OK);
        char *d2 = idc_instance_dump(&b);
        ck_assert_str_eq(d, d2);
        ck_assert_int_eq(idc_instance_hash(hs[i], &b, &err), IDC_OK);
        ck_assert_str_ne(hs[i], hg);
        for (size_t k = 0; k < i; k++)
            ck_assert_str_ne(hs[i], hs[k]);
        idc_pdgmm c;
        idc_pdgmm_init(&c);
        ck_assert_int_eq(idc_pdgmm_copy(&c, &a.prior, &err), IDC_OK);
        ck_assert_int_eq(c.family, fams[i]);
        idc_pdgmm_clear(&c);
        free(d);
        free(d2);
        free(t);
        idc_instance_clear(&a);
        idc_instance_clear(&b);
    }
    idc_family f = IDC_FAMILY_UNIFORM;
    ck_assert_int_eq(idc_family_parse(&f, "nope"), IDC_EINVAL);
    ck_assert_int_eq(idc_family_parse(&f, NULL), IDC_EINVAL);
    ck_assert_int_eq(f, IDC_FAMILY_UNIFORM);
    ck_assert_str_eq(idc_family_name((idc_family)9), "?");
    free(dg);
    idc_instance_clear(&g);
}
END_TEST

static char *with_map(const char *map)
{
    const char *p = strstr(base, "{\"type\": \"mlp\"");
    const char *q = strstr(base, "]}, \"noise\"");
    ck_assert(p != NULL && q != NULL);
    q += 2; /* keep the comma after the map object */
    size_t a = (size_t)(p - base), n = strlen(base) + strlen(map) + 1;
    char *s = malloc(n);
    memcpy(s, base, a);
    strcpy(s + a, map);
    strcat(s, q);
    return s;
}

/* The pinwheel map: read, written back bit for bit, copied, evaluated
 * against its definition, never piecewise affine; every rejection. */
START_TEST(test_pinwheel)
{
    idc_err err;
    char *t = with_map("{\"type\": \"pinwheel\", \"rate\": 0.25, \"embed\": [[10, 0], [0, 10], [1, -2]]}");
    idc_instance a, b;
    ck_assert_msg(idc_instance_read_string(&a, t, &err) == IDC_OK, "%s", err.msg);
    ck_assert_int_eq(a.map.kind, IDC_MAP_PINWHEEL);
    ck_assert_uint_eq(a.map.in_dim, 2);
    ck_assert_uint_eq(a.map.out_dim, 3);
    ck_assert(a.map.rate == 0.25 && a.map.embed[5] == -2.0);
    ck_assert(!idc_pamap_is_pa(&a.map));
    char *d = idc_instance_dump(&a);
    ck_assert(strstr(d, "\"type\":\"pinwheel\"") != NULL);
    ck_assert_int_eq(idc_instance_read_string(&b, d, &err), IDC_OK);
    char *d2 = idc_instance_dump(&b);
    ck_assert_str_eq(d, d2);
    ck_assert_int_eq(idc_instance_validate(&a, &err), IDC_OK);
    idc_pamap c;
    idc_pamap_init(&c);
    ck_assert_int_eq(idc_pamap_copy(&c, &a.map, &err), IDC_OK);
    ck_assert(c.kind == IDC_MAP_PINWHEEL && c.rate == 0.25 &&
              memcmp(c.embed, a.map.embed, 6 * sizeof(double)) == 0);
    /* values: the definition, two ways (rotation matrix vs polar form) */
    double work[8], zs[3][2] = {{1.0, 0.0}, {0.3, -0.4}, {-2.0, 1.5}};
    for (int i = 0; i < 3; i++) {
        double y[3], z0 = zs[i][0], z1 = zs[i][1];
        idc_pamap_eval(&c, y, zs[i], work);
        double r = hypot(z0, z1), phi = atan2(z1, z0) + 0.25 * exp(r);
        double w0 = r * cos(phi), w1 = r * sin(phi);
        double want[3] = {10 * w0, 10 * w1, w0 - 2 * w1};
        for (int k = 0; k < 3; k++)
            ck_assert_msg(fabs(y[k] - want[k]) <= 1e-12 * (1 + fabs(want[k])), "z %d y%d: %g vs %g", i, k,
                          y[k], want[k]);
        /* radius preserved before the embedding: |w| = |z| */
        ck_assert(fabs(hypot(w0, w1) - r) <= 1e-14 * (1 + r));
    }
    /* x and y may alias */
    double xy[3] = {0.3, -0.4, 0.0}, y[3];
    idc_pamap_eval(&c, y, xy, work);
    idc_pamap_eval(&c, xy, xy, work);
    ck_assert(memcmp(xy, y, sizeof y) == 0);
    idc_pamap_clear(&c);
    free(d);
    free(d2);
    free(t);
    idc_instance_clear(&a);
    idc_instance_clear(&b);
    /* rejections, one line each naming the field */
    for (size_t i = 0; i < sizeof pinwheel_rejects / sizeof pinwheel_rejects[0]; i++) {
        t = with_map(pinwheel_rejects[i].map);
        idc_instance x;
        ck_assert_int_eq(idc_instance_read_string(&x, t, &err), IDC_EINVAL);
        ck_assert_msg(strstr(err.msg, pinwheel_rejects[i].expect) != NULL, "case %zu: \"%s\" lacks \"%s\"", i,
                      err.msg, pinwheel_rejects[i].expect);
        ck_assert(strchr(err.msg, '\n') == NULL);
        ck_assert_ptr_null(x.map.embed);
        free(t);
    }
    /* pinwheel needs model.dim = 2 */
    static const char *one =
        "{\"idcheck_format\": 1, \"model\": {\"dim\": 1, \"components\": [{\"weight\": 1, "
        "\"mean\": [0], \"L\": [[1]]}]}, \"map\": {\"type\": \"pinwheel\", \"rate\": 1, "
        "\"embed\": [[1, 0]]}}";
    idc_instance x;
    ck_assert_int_eq(idc_instance_read_string(&x, one, &err), IDC_EINVAL);
    ck_assert_msg(strstr(err.msg, "map.type: pinwheel maps R^2 -> R^n but model.dim = 1") != NULL, "%s",
                  err.msg);
    ck_assert_int_eq(idc_pamap_alloc_pinwheel(&c, 0, &err), IDC_EINVAL);
    ck_assert(strstr(err.msg, "map.embed") != NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("instance");
    TCase *tc = tcase_create("read");
    tcase_add_test(tc, test_read_valid);
    tcase_add_test(tc, test_roundtrip_and_hash);
    tcase_add_test(tc, test_doubles_roundtrip_exactly);
    tcase_add_test(tc, test_frame_form);
    tcase_add_test(tc, test_pwl1);
    tcase_add_test(tc, test_files);
    tcase_add_test(tc, test_smooth_activations);
    tcase_add_test(tc, test_family);
    tcase_add_test(tc, test_pinwheel);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("reject");
    tcase_add_loop_test(tr, test_rejections, 0, (int)(sizeof rejects / sizeof rejects[0]));
    tcase_add_test(tr, test_frame_rejections);
    suite_add_tcase(s, tr);
    return idc_test_run(s);
}
