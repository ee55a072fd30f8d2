/*
 * Error plumbing for the store: SQLite codes become store_rc values and a
 * message in the caller's buffer. Nothing here prints; the caller decides
 * whether a busy database is worth a log line.
 */
#include <stdarg.h>
#include <stdio.h>
#include "store_priv.h"
#include "policy.h"

int store__rc(int sqlite_rc)
{
    switch (sqlite_rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return STORE_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return STORE_BUSY;
    case SQLITE_FULL:
        return STORE_FULL;
    default:
        return STORE_ERR;
    }
}

void store__seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int store__fail(sqlite3 *db, int rc, const char *what, char *err, size_t errlen)
{
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    store__seterr(err, errlen, "%s失败：%s (SQLite %d)", what, msg, rc);
    int r = store__rc(rc);
    return r == STORE_OK ? STORE_ERR : r;
}

const char *store__status_text(int status)
{
    switch (status) {
    case PS_CREDITED:
        return "credited";
    case PS_PENDING:
        return "pending_materials";
    case PS_REJECTED:
        return "rejected";
    case PS_SUPERSEDED:
        return "superseded";
    default:
        return NULL;
    }
}

int store__step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

int store__exec(sqlite3 *db, const char *sql, const char *what, char *err, size_t errlen)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? STORE_OK : store__fail(db, rc, what, err, errlen);
}
