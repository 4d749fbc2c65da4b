/* SQLite helpers of the CLI tests that look inside a results store
 * (header only; the test's working directory is clitest.h's dir). */
#ifndef IDC_CLI_TESTS_CLISQL_H
#define IDC_CLI_TESTS_CLISQL_H

#include <sqlite3.h>

#include "cli/tests/clitest.h"

/* Runs stmt on dir/db; returns the rows it changed. */
static inline int clitest_sql_exec(const char *db, const char *stmt)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, db);
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(p, &h), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(h, stmt, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", stmt, msg ? msg : "");
    sqlite3_free(msg);
    int changed = sqlite3_changes(h);
    sqlite3_close(h);
    return changed;
}

/* Runs stmt on dir/db (e.g. to tamper with a store). */
static inline void clitest_sql(const char *db, const char *stmt)
{
    (void)clitest_sql_exec(db, stmt);
}

/* clitest_sql, and at least one row changed (a tampering that misses its
 * target would make the test vacuous). */
static inline void clitest_sql_changed(const char *db, const char *stmt)
{
    ck_assert_msg(clitest_sql_exec(db, stmt) >= 1, "%s: no row changed", stmt);
}

/* q prepared on dir/db opened read-only (*h: the connection, to close
 * after finalising the statement). */
static inline sqlite3_stmt *clitest_query(const char *db, const char *q, sqlite3 **h)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, db);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_open_v2(p, h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(*h, 10000); /* a writer may be at work */
    ck_assert_int_eq(sqlite3_prepare_v2(*h, q, -1, &st, NULL), SQLITE_OK);
    return st;
}

/* The integer in the first column of the first row of q on dir/db. */
static inline long long clitest_count(const char *db, const char *q)
{
    sqlite3 *h;
    sqlite3_stmt *st = clitest_query(db, q, &h);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

#endif
