/* The generator registry: every random-instance generator of idcheck as
 * data (name, version, one-line summary, parameter table with defaults and
 * bounds, intent) plus one generic parameter parser and one generate call.
 *
 * Contract shared by every generator:
 *   - an instance is a pure function of (parameter values, seed): every
 *     draw comes from Philox streams (numeric/rng.h) keyed by the seed with
 *     purpose IDC_PURPOSE_GENERATOR; nothing else is read;
 *   - the instance records {"name", "version", "seed", "params"} in its
 *     `generator` provenance field (params: every parameter with its value);
 *   - structure that must hold exactly is declared (frame form, exact zeros,
 *     powers of two), never left to rounded products (CERTIFICATES.md §7);
 *   - the INTENT lists the preconditions (THEORY.md §3 IDs) the generator
 *     makes HOLD or FAIL by construction for the given parameters; the test
 *     generators/tests/test_intent.c runs the exact checkers against it.
 *     An entry marked may_unknown is one the current checkers cannot decide
 *     yet (UNKNOWN is then tolerated and counted, never read as agreement).
 */
#ifndef IDC_GENERATORS_REGISTRY_H
#define IDC_GENERATORS_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "models/instance.h"
#include "numeric/status.h"
#include "theory/verdict.h"

typedef enum {
    IDC_GEN_INT = 0,   /* an integer in [lo, hi] */
    IDC_GEN_REAL = 1,  /* a finite real in [lo, hi] */
    IDC_GEN_CHOICE = 2 /* one of the '|'-separated words of `choices` */
} idc_gen_ptype;

typedef struct {
    const char *name;
    idc_gen_ptype type;
    const char *dflt; /* default, as text (parsed by the same rules) */
    double lo, hi;    /* bounds of INT / REAL values */
    const char *choices;
    const char *help; /* a few words */
} idc_gen_param;

#define IDC_GEN_MAX_PARAMS 32
#define IDC_GEN_INTENT_MAX 32

struct idc_gen_info;

/* Parameter values of one generator: v[i] is the value of params[i] (the
 * index of the word for CHOICE parameters). Plain value type. */
typedef struct {
    const struct idc_gen_info *gen;
    double v[IDC_GEN_MAX_PARAMS];
} idc_gen_values;

/* One intended verdict. */
typedef struct {
    const char *id;      /* precondition ID (THEORY.md §3) */
    idc_verdict verdict; /* IDC_HOLDS or IDC_FAILS */
    int may_unknown;     /* 1: the current checkers may answer UNKNOWN */
} idc_gen_intent;

typedef struct idc_gen_info {
    const char *name;
    const char *version; /* bumped whenever the output for given (params, seed) changes */
    const char *summary; /* one line */
    const idc_gen_param *params;
    size_t nparams;
    const char *intent_doc; /* human-readable intent, for gen --list */
    /* Generates the model (out initialised by the callee; cleared on
     * failure); provenance is added by idc_gen_generate. */
    int (*generate)(idc_instance *out, const idc_gen_values *v, uint64_t seed, idc_err *err);
    /* Fills the intent for these values (at most IDC_GEN_INTENT_MAX). */
    int (*intent)(idc_gen_intent *out, size_t *n, const idc_gen_values *v, idc_err *err);
    /* Optional (NULL: none): appends claims that depend on the draw, read
     * off a generated instance (never contradicting the parameter intent). */
    int (*intent_instance)(idc_gen_intent *out, size_t *n, const idc_gen_values *v, const idc_instance *inst,
                           idc_err *err);
} idc_gen_info;

/* Number of registered generators, the i-th (NULL out of range), the one
 * named `name` (NULL when unknown). */
size_t idc_gen_count(void);
const idc_gen_info *idc_gen_at(size_t i);
const idc_gen_info *idc_gen_find(const char *name);

/* Sets v to the defaults of generator g. */
void idc_gen_values_init(idc_gen_values *v, const idc_gen_info *g);

/* Sets parameter `name` from text. IDC_EINVAL with a one-line message
 * naming the parameter ("--J: expected an integer in 1..1024, got \"x\"")
 * on an unknown name, a malformed value or one out of bounds. */
int idc_gen_set_param(idc_gen_values *v, const char *name, const char *value, idc_err *err)
    __attribute__((warn_unused_result));

/* Value of parameter `name` (NaN when g has no such parameter), and the
 * word of a CHOICE parameter (NULL when none). */
double idc_gen_get(const idc_gen_values *v, const char *name);
const char *idc_gen_get_choice(const idc_gen_values *v, const char *name);

/* Generates (out is initialised by the call), validates with the strict
 * reader's rules and records the provenance. IDC_EINVAL naming the
 * parameter when the combination of values is invalid. On failure out is
 * cleared. */
int idc_gen_generate(idc_instance *out, const idc_gen_values *v, uint64_t seed, idc_err *err)
    __attribute__((warn_unused_result));

/* The intent for these values (n receives the count). */
int idc_gen_intent_get(idc_gen_intent *out, size_t *n, const idc_gen_values *v, idc_err *err)
    __attribute__((warn_unused_result));

/* The intent for these values refined by what the generated instance inst
 * (made from v) shows: the parameter intent plus the generator's
 * draw-dependent claims. */
int idc_gen_intent_for(idc_gen_intent *out, size_t *n, const idc_gen_values *v, const idc_instance *inst,
                       idc_err *err) __attribute__((warn_unused_result));

/* Presets: named parameter settings a generator offers; so far "paper" of
 * xu (X §5 and the authors' released code: J = 0 with draws = 5, cover = 0,
 * mix = orth, layers = 10, center = population). idc_gen_preset_text gives
 * the preset's "KEY=VALUE ..." text, NULL when g has no preset `name`.
 * idc_gen_apply_preset sets the values the preset names and leaves the
 * others; set explicit values after it to override it. IDC_EINVAL
 * ("--paper: generator pdgmm has no preset paper") when there is none. */
const char *idc_gen_preset_text(const idc_gen_info *g, const char *name);
int idc_gen_apply_preset(idc_gen_values *v, const char *name, idc_err *err) __attribute__((warn_unused_result));

/* The text `idcheck gen --list` prints: every generator with its version,
 * summary, parameters (name, default, help) and intent. Caller frees;
 * NULL on allocation failure. */
char *idc_gen_list_text(void);

/* The provenance JSON (compact, sorted keys) for v and seed. Caller frees. */
char *idc_gen_provenance(const idc_gen_values *v, uint64_t seed);

#endif
