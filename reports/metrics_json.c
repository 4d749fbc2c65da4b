#include "reports/metrics_json.h"

#include <math.h>
#include <stdint.h>

static json_t *real(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static json_t *vec(const double *x, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, real(x[i]));
    return a;
}

static json_t *mat(const double *x, size_t r, size_t c)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r; i++)
        json_array_append_new(a, vec(x + i * c, c));
    return a;
}

static json_t *matching(const size_t *match, size_t n)
{
    json_t *m = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(m, match[i] == SIZE_MAX ? json_null() : json_integer((json_int_t)match[i]));
    return m;
}

json_t *idc_metrics_json(const idc_r2_result *r2, const idc_mcc_result *mcc)
{
    json_t *o = json_object();
    if (r2 != NULL) {
        json_object_set_new(o, "r2_in", real(r2->r2_in));
        json_object_set_new(o, "r2_out", real(r2->r2_out));
        json_object_set_new(o, "r2_coord_in", vec(r2->r2_coord_in, r2->dzh));
        json_object_set_new(o, "r2_coord_out", vec(r2->r2_coord_out, r2->dzh));
        json_object_set_new(o, "z_rank", json_integer((json_int_t)r2->z_rank));
    }
    if (mcc != NULL) {
        json_object_set_new(o, "mcc_in", real(mcc->mcc_in));
        json_object_set_new(o, "mcc_out", real(mcc->mcc_out));
        json_object_set_new(o, "matching", matching(mcc->match, mcc->dz));
    }
    return o;
}

json_t *idc_metrics_json_mcc(const idc_mcc_result *mcc)
{
    json_t *o = idc_metrics_json(NULL, mcc);
    json_object_set_new(o, "corr_in", mat(mcc->corr_in, mcc->dz, mcc->dzh));
    json_object_set_new(o, "corr_out", mat(mcc->corr_out, mcc->dz, mcc->dzh));
    return o;
}

json_t *idc_metrics_json_weak(const idc_mcc_weak_result *w)
{
    json_t *o = idc_metrics_json_mcc(&w->mcc);
    json_object_set_new(o, "k", json_integer((json_int_t)w->k));
    json_object_set_new(o, "rho", vec(w->rho, w->k));
    json_object_set_new(o, "rank_z", json_integer((json_int_t)w->rank_z));
    json_object_set_new(o, "rank_zhat", json_integer((json_int_t)w->rank_zhat));
    return o;
}

json_t *idc_metrics_json_r2_blocks(const idc_r2_blocks_result *b)
{
    json_t *o = json_object();
    json_object_set_new(o, "r2_in", mat(b->r2_in, b->nt, b->nl));
    json_object_set_new(o, "r2_out", mat(b->r2_out, b->nt, b->nl));
    return o;
}

static json_t *summary(const idc_stability_summary *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "mean", real(s->mean));
    json_object_set_new(o, "sd", real(s->sd));
    json_object_set_new(o, "min", real(s->min));
    json_object_set_new(o, "max", real(s->max));
    return o;
}

json_t *idc_metrics_json_stability(const idc_stability_result *s)
{
    json_t *o = json_object(), *pairs = json_array();
    for (size_t p = 0; p < s->npairs; p++) {
        json_t *e = json_object();
        json_object_set_new(e, "i", json_integer((json_int_t)s->pair_i[p]));
        json_object_set_new(e, "j", json_integer((json_int_t)s->pair_j[p]));
        json_object_set_new(e, "strong_in", real(s->strong_in[p]));
        json_object_set_new(e, "strong_out", real(s->strong_out[p]));
        json_object_set_new(e, "weak_in", real(s->weak_in[p]));
        json_object_set_new(e, "weak_out", real(s->weak_out[p]));
        json_array_append_new(pairs, e);
    }
    json_object_set_new(o, "R", json_integer((json_int_t)s->R));
    json_object_set_new(o, "pairs", pairs);
    json_object_set_new(o, "strong_in", summary(&s->strong_in_s));
    json_object_set_new(o, "strong_out", summary(&s->strong_out_s));
    json_object_set_new(o, "weak_in", summary(&s->weak_in_s));
    json_object_set_new(o, "weak_out", summary(&s->weak_out_s));
    return o;
}

json_t *idc_metrics_json_wilcoxon(const idc_wilcoxon_result *w)
{
    json_t *o = json_object();
    json_object_set_new(o, "n", json_integer((json_int_t)w->n));
    json_object_set_new(o, "n_zero", json_integer((json_int_t)w->n_zero));
    json_object_set_new(o, "n_used", json_integer((json_int_t)w->n_used));
    json_object_set_new(o, "ties", json_boolean(w->ties));
    json_object_set_new(o, "w_plus", real(w->w_plus));
    json_object_set_new(o, "w_minus", real(w->w_minus));
    json_object_set_new(o, "z", real(w->z));
    json_object_set_new(o, "p_two_sided", real(w->p_two_sided));
    json_object_set_new(o, "method", json_string(w->method == IDC_WILCOXON_EXACT ? "exact" : "normal"));
    return o;
}

json_t *idc_metrics_json_gmm_aff(const idc_gmm_aff_result *g)
{
    json_t *o = json_object(), *perm = json_array();
    for (size_t j = 0; j < g->J; j++)
        json_array_append_new(perm, json_integer((json_int_t)g->perm[j]));
    json_object_set_new(o, "dist_aff_l2", real(g->dist));
    json_object_set_new(o, "delta_identity", real(g->delta_identity));
    json_object_set_new(o, "perm", perm);
    json_object_set_new(o, "A", mat(g->A, g->m, g->m));
    json_object_set_new(o, "c", vec(g->c, g->m));
    json_object_set_new(o, "mean_rms", real(g->mean_rms));
    json_object_set_new(o, "evaluated", json_integer((json_int_t)g->evaluated));
    json_object_set_new(o, "skipped_singular", json_integer((json_int_t)g->skipped_singular));
    json_object_set_new(o, "skipped_nonpd", json_integer((json_int_t)g->skipped_nonpd));
    return o;
}
