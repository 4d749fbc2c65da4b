/* Test-result reports for CI: JUnit XML and TAP version 13.
 *
 * A report is a list of suites, each a list of test cases with an outcome
 * (pass, failure, error, skipped), a message and a detail text. It is built
 * in memory, then rendered as JUnit XML (the schema Jenkins, GitLab and
 * GitHub test reporters read: <testsuites><testsuite><testcase> with
 * <failure>, <error> or <skipped>) or as TAP version 13 (one "ok"/"not ok"
 * line per case, a YAML block with the message and detail of failures), and
 * written atomically. Every string is escaped for its format: XML
 * metacharacters (& < > " ') as entities, characters XML 1.0 forbids
 * (controls other than tab, newline, carriage return) as U+FFFD; TAP
 * descriptions have '#' escaped and newlines folded, YAML values are
 * double-quoted with \\ \" \n escapes. */
#ifndef IDC_REPORTS_JUNIT_H
#define IDC_REPORTS_JUNIT_H

#include <stddef.h>

#include <jansson.h>

#include "numeric/status.h"

typedef enum {
    IDC_JUNIT_PASS = 0,
    IDC_JUNIT_FAILURE = 1, /* an assertion failed */
    IDC_JUNIT_ERROR = 2,   /* the test could not run to a verdict */
    IDC_JUNIT_SKIPPED = 3  /* not asserted (e.g. a discarded trial) */
} idc_junit_outcome;

typedef struct idc_junit idc_junit;

/* A new empty report named `name` (the <testsuites> name); NULL when out of
 * memory. idc_junit_free(NULL) is a no-op. */
idc_junit *idc_junit_new(const char *name);
void idc_junit_free(idc_junit *j);

/* Opens a new suite: the cases added next belong to it. properties: a JSON
 * object whose members become <property name=... value=...> (non-strings
 * are rendered as compact JSON); may be NULL. IDC_ENOMEM on failure. */
int idc_junit_suite(idc_junit *j, const char *name, const json_t *properties);

/* Adds a case to the current suite (a suite named like the report is opened
 * when none is). message: one line (the failure/skip reason; may be NULL);
 * detail: free text (the failure body: replay commands...; may be NULL).
 * seconds < 0: no time attribute. IDC_ENOMEM on failure. */
int idc_junit_case(idc_junit *j, const char *classname, const char *name, double seconds,
                   idc_junit_outcome outcome, const char *message, const char *detail);

/* Counts over every suite. */
void idc_junit_counts(const idc_junit *j, size_t *tests, size_t *failures, size_t *errors, size_t *skipped);

/* The report rendered (malloc'ed, NUL-terminated; NULL when out of memory). */
char *idc_junit_xml(const idc_junit *j);
char *idc_junit_tap(const idc_junit *j);

/* Renders and writes atomically (numeric/fileio.h). IDC_EIO / IDC_ENOMEM. */
int idc_junit_write_xml(const idc_junit *j, const char *path, idc_err *err);
int idc_junit_write_tap(const idc_junit *j, const char *path, idc_err *err);

/* Escapes s for XML text and attribute values into a malloc'ed string. */
char *idc_junit_xml_escape(const char *s);

/* Adds the results of an `idcheck prop` run (the object idc_prop_run
 * returns) as one suite named after the property: a case per regression
 * (first) and per trial, named "trial K seed=0x..." (a regression:
 * "regression R trial K run_seed=0x..."); FAIL as a failure whose message is
 * the violated assertion and whose detail holds the replay command and, when
 * shrunk, the minimal parameters and their replay command; ERROR as an
 * error; DISCARD and STALE as skipped with the reason. IDC_EINVAL when
 * results is not such an object. */
int idc_junit_add_prop_results(idc_junit *j, const json_t *results, idc_err *err);

#endif
