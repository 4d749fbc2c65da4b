/* Sweep specifications: a grid of property trials described by one JSON
 * file (docs/SWEEP.md), validated in full and expanded into cells.
 *
 * A cell is one trial: a property (with its estimator, when the sweep lists
 * estimators), one parameter setting (the sweep's "params", then one of its
 * "cases", then one value of every "grid" knob) and one seed index. Cells are
 * listed in a canonical order (properties, estimators, cases, grid values in
 * the order the file lists them, the last grid knob varying fastest, seed
 * index fastest of all) and each has a stable key
 *   PROP[;estimator=E][;case=LABEL][;KNOB=VALUE]...;seed=S
 * (grid knobs sorted by name, VALUE as idc_prop_value_string writes it),
 * which depends on what the cell is, never on where it runs.
 *
 * Seeds: cell (group G, seed index S) is trial S of run seed R(G), where G is
 * the key without ";seed=S" and R(G) = the first 8 bytes (big-endian) of
 * SHA-256("idcheck-sweep\n" + the sweep seed as 0x%016x + "\n" + G). With
 * "common_seeds": true, R(G) = the sweep seed for every group, so every
 * setting sees the same trial seeds (common random numbers). The trial seed
 * is idc_rng_derive_seed(R(G), S), as in idcheck prop, and the cell replays
 * alone with  idcheck prop PROP --replay R(G):S OVERRIDES. */
#ifndef IDC_PROPERTIES_SWEEP_H
#define IDC_PROPERTIES_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "numeric/status.h"
#include "properties/prop.h"

#define IDC_SWEEP_FORMAT 1
#define IDC_SWEEP_MAX_CELLS 1000000
#define IDC_SWEEP_MAX_SEEDS 100000

typedef struct {
    char *key;               /* the stable key (owned) */
    char *label;             /* the property entry's label (its ID unless the file gives one), owned */
    const idc_prop_def *def; /* the property */
    json_t *params;          /* the property's full parameter object (params_json), owned */
    json_t *knobs;           /* {name: value}: what the sweep set for this cell (params, the property
                                entry's params, the case's, grid values, estimator), in the order
                                they are applied to the defaults; owned */
    char *case_label;        /* the case's label, or NULL; owned */
    char *overrides;         /* "--KEY VALUE ..." reproducing params from the defaults (owned) */
    uint64_t run_seed;       /* R(G) */
    uint32_t index;          /* the seed index S */
} idc_sweep_cell;

typedef struct {
    char *name;           /* the sweep's "name" */
    char *canonical;      /* the canonical JSON of the file (sorted keys, compact, reals with 17
                             significant digits): the sweep's identity */
    char id[17];          /* 16 hex digits of SHA-256(canonical) */
    uint64_t seed;        /* the sweep seed */
    uint32_t seeds;       /* seed indices per setting */
    int common_seeds;
    idc_sweep_cell *cells;
    size_t ncells;
    size_t *by_key;       /* cell positions sorted by key (idc_sweep_find_cell) */
} idc_sweep;

/* Looks a property up by ID (idc_prop_find is the registry's). */
typedef const idc_prop_def *(*idc_sweep_find_fn)(const char *id);

/* Validates the sweep object spec and expands it into *out (new, free with
 * idc_sweep_free). find may be NULL (the registry). Every field is checked
 * and every cell's parameters are applied with the property's set_param, so
 * a sweep that parses runs every cell with the parameters it names. On bad
 * input: IDC_EINVAL with one line naming the field, e.g.
 *   grid.delta[2]: --delta: expected a number in [0, 100], got "200"
 * IDC_ENOMEM when out of memory. */
int idc_sweep_parse(idc_sweep **out, const json_t *spec, idc_sweep_find_fn find, idc_err *err)
    __attribute__((warn_unused_result));

/* Reads and parses the file at path (strict JSON: duplicate keys refused);
 * error messages start with "PATH: ". IDC_EIO when it cannot be read. */
int idc_sweep_load(idc_sweep **out, const char *path, idc_sweep_find_fn find, idc_err *err)
    __attribute__((warn_unused_result));

void idc_sweep_free(idc_sweep *s);

/* *params (malloc'ed, def->params_size bytes) = the property's defaults with
 * the cell's knobs applied through set_param, in order: the parameters the
 * cell runs with. IDC_EINVAL naming the cell when set_param refuses one
 * (never for a cell of a parsed sweep); IDC_ENOMEM. */
int idc_sweep_cell_params(void **params, const idc_sweep_cell *c, idc_err *err) __attribute__((warn_unused_result));

/* The position of the cell with this key, or (size_t)-1. */
size_t idc_sweep_find_cell(const idc_sweep *s, const char *key);

/* R(G) for the sweep seed and a group key (see above). */
uint64_t idc_sweep_group_seed(uint64_t sweep_seed, const char *group);

/* Shards for scheduler array jobs: "I/N" with 1 <= I <= N <= 65536; cell
 * number k (canonical order, from 0) belongs to shard (k mod N) + 1.
 * IDC_EINVAL naming --shard otherwise. */
int idc_sweep_shard_parse(unsigned *i, unsigned *n, const char *text, idc_err *err)
    __attribute__((warn_unused_result));
int idc_sweep_in_shard(size_t cell, unsigned i, unsigned n);

#endif
