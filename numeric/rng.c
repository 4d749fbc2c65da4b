#include "numeric/rng.h"

#include <math.h>

#include <Random123/philox.h>

idc_rng idc_rng_stream(uint64_t seed, uint32_t trial, uint32_t purpose)
{
    idc_rng s = {seed, trial, purpose};
    return s;
}

void idc_rng_block(uint32_t out[4], idc_rng s, uint64_t b)
{
    philox4x32_ctr_t ctr = {{(uint32_t)b, (uint32_t)(b >> 32), s.trial, s.purpose}};
    philox4x32_key_t key = {{(uint32_t)s.seed, (uint32_t)(s.seed >> 32)}};
    philox4x32_ctr_t r = philox4x32(ctr, key);
    for (int i = 0; i < 4; i++)
        out[i] = r.v[i];
}

static uint64_t word64(const uint32_t w[4], unsigned half)
{
    return ((uint64_t)w[2 * half] << 32) | w[2 * half + 1];
}

static double open01(uint64_t x)
{
    return ((double)(x >> 11) + 0.5) * 0x1.0p-53;
}

uint64_t idc_rng_u64(idc_rng s, uint64_t k)
{
    uint32_t w[4];
    idc_rng_block(w, s, k / 2);
    return word64(w, (unsigned)(k % 2));
}

double idc_rng_uniform(idc_rng s, uint64_t k)
{
    return open01(idc_rng_u64(s, k));
}

double idc_rng_normal(idc_rng s, uint64_t k)
{
    uint32_t w[4];
    idc_rng_block(w, s, k / 2);
    double u1 = open01(word64(w, 0));
    double u2 = open01(word64(w, 1));
    double r = sqrt(-2.0 * log(u1));
    double t = 2.0 * M_PI * u2;
    return (k % 2 == 0) ? r * cos(t) : r * sin(t);
}

uint64_t idc_rng_below(idc_rng s, uint64_t k, uint64_t n)
{
    unsigned __int128 p = (unsigned __int128)idc_rng_u64(s, k) * n;
    return (uint64_t)(p >> 64);
}

void idc_rng_normal_fill(double *out, size_t n, idc_rng s, uint64_t k0)
{
    for (size_t i = 0; i < n; i++)
        out[i] = idc_rng_normal(s, k0 + i);
}

uint64_t idc_rng_derive_seed(uint64_t seed, uint32_t index)
{
    return idc_rng_u64(idc_rng_stream(seed, index, 0xffffffffu), 0);
}
