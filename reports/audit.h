/* Audit: re-derive a recorded trial of the results store (reports/store.h)
 * from its seeds and parameters and compare it with what the store holds.
 *
 * What is compared (docs/STORE.md "Audit"):
 *  - exact parts, always byte for byte: the instance (the record's and the
 *    instances table's canonical JSON, whose model hash is recomputed), the
 *    model hash, the samples' hash (idc_store_samples_hash, recomputed from
 *    the re-run's instance), the trial seed (= idc_rng_derive_seed(run_seed, index)),
 *    every precondition's verdict and certificate and the stored certificate
 *    hashes, the outcome (trials row, record and re-run);
 *  - trained figures: every other number of the record (metrics, estimator
 *    conditions, training traces, the fitted model and its class's
 *    certificates), the measurements rows and the reason: bit for bit when
 *    opts->bitwise (the re-run uses the OpenBLAS core the run recorded),
 *    otherwise reals within |a - b| <= atol + rtol * max(|a|, |b|), and the
 *    fitted model's hash and class certificates (functions of the trained
 *    weights' last bits) are not compared, only their verdicts.
 * Timings ("seconds", "*_seconds" but the budget "max_seconds") and replay
 * commands are not compared. */
#ifndef IDC_REPORTS_AUDIT_H
#define IDC_REPORTS_AUDIT_H

#include <stdint.h>

#include <jansson.h>

#include "numeric/status.h"
#include "reports/store.h"

typedef struct {
    int bitwise; /* 1: trained reals must be bit-identical */
    double rtol; /* otherwise: relative tolerance (default 1e-6) */
    double atol; /* and absolute tolerance (default 1e-9) */
} idc_audit_opts;

/* rtol 1e-6, atol 1e-9, bitwise 1. */
idc_audit_opts idc_audit_opts_default(void);

typedef enum {
    IDC_AUDIT_IDENTICAL = 0,   /* byte / bit identical */
    IDC_AUDIT_WITHIN_TOL = 1,  /* trained reals differ within the tolerance (not bitwise) */
    IDC_AUDIT_MISMATCH = 2,    /* something differs */
    IDC_AUDIT_NOT_RERUN = 3    /* the trial could not be re-run (unknown property, bad parameters) */
} idc_audit_status;

typedef struct {
    int64_t trial_id, run_id;
    char cell[160];
    char property[32];
    char outcome[16];       /* as stored */
    char outcome_rerun[16]; /* as re-run ("" when not re-run) */
    idc_audit_status exact;   /* the exact parts */
    idc_audit_status figures; /* the trained figures */
    size_t compared;   /* values compared */
    size_t mismatches; /* values that differ (beyond the tolerance) */
    double max_rel;    /* the largest relative difference of a trained real */
    double seconds;    /* the re-run's time */
    json_t *details;   /* array of one-line mismatch descriptions (the first 50), owned */
} idc_audit_trial;

/* Re-runs trial trial_id of store s and compares (see above); r->details
 * lists what differs, e.g. "measurements.r2_out: stored 0.5, re-run
 * 0.99320079212021". Returns IDC_OK whenever the trial was examined,
 * whatever it found; IDC_EINVAL for an unknown trial_id, IDC_EIO / IDC_ENOMEM
 * when the store cannot be read. Call idc_audit_trial_clear afterwards
 * (also on failure). */
int idc_audit_run_trial(idc_audit_trial *r, idc_store *s, int64_t trial_id, const idc_audit_opts *opts,
                        idc_err *err) __attribute__((warn_unused_result));

void idc_audit_trial_clear(idc_audit_trial *r);

/* Compares record record_id of store s (the records table: a fit, check or
 * reproduction trial; docs/STORE.md) with its re-derivation fresh (made by
 * the verb that wrote it, cli/record.h) and, for a check, fresh_verdicts
 * (its "preconditions"); why_not non-NULL (fresh NULL) when it could not
 * be re-derived (NOT-RERUN). r->trial_id is the record id, r->property its
 * kind. Exact parts, byte for byte: the stored instance against its hash,
 * the model hash (stored record, records row, re-derivation), a check's
 * verdicts, certificates, reasons and theorem conclusions ("preconditions",
 * "theorems", "strongest_class", "strongest_law_class"), a reproduction's
 * certified verdicts ("certified"), the record_verdicts rows (verdict,
 * certificate, cert_hash, and the hash of the stored certificate). Trained
 * figures, as for trials: every other value of the record, the hash of the
 * trained weights ("weights_sha256", "model_sha256": only when bitwise) and
 * the record_measurements rows; timings are not compared. Returns as
 * idc_audit_run_trial. */
int idc_audit_compare_record(idc_audit_trial *r, idc_store *s, int64_t record_id, const json_t *fresh,
                             const json_t *fresh_verdicts, const char *why_not, const idc_audit_opts *opts,
                             idc_err *err) __attribute__((warn_unused_result));

/* "identical", "within-tolerance", "MISMATCH", "NOT-RERUN". */
const char *idc_audit_status_name(idc_audit_status s);

#endif
