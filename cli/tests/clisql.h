/* SQLite helpers of the CLI tests that look inside a results store
 * (header only; the test's working directory is clitest.h's dir). */
#ifndef IDC_CLI_TESTS_CLISQL_H
#define IDC_CLI_TESTS_CLISQL_H

#include <sqlite3.h>

#include "cli/tests/clitest.h"

/* Runs stmt on dir/db (e.g. to tamper with a store). */
static inline void clitest_sql(const char *db, const char *stmt)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, db);
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(p, &h), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(h, stmt, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", stmt, msg ? msg : "");
    sqlite3_free(msg);
    sqlite3_close(h);
}

/* clitest_sql, and at least one row changed (a tampering that misses its
 * target would make the test vacuous). */
static inline void clitest_sql_changed(const char *db, const char *stmt)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, db);
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(p, &h), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(h, stmt, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", stmt, msg ? msg : "");
    ck_assert_msg(sqlite3_changes(h) >= 1, "%s: no row changed", stmt);
    sqlite3_close(h);
}

/* The integer in the first column of the first row of q on dir/db. */
static inline long long clitest_count(const char *db, const char *q)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, db);
    sqlite3 *h;
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_open_v2(p, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(h, 10000); /* a writer may be at work */
    ck_assert_int_eq(sqlite3_prepare_v2(h, q, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

#endif
