/*
 * Credit history: credits never just vanish. When an activity is superseded
 * (store_put.c) or recomputed (store_recompute.c), its credits as they were
 * are copied to credit_history with when and why; then they leave
 * `credits` (or, recomputed with the same shape, are updated in their
 * rows), and the person-years they counted in are noted for the commit,
 * which rewrites them.
 */
#include <time.h>
#include "store_priv.h"

const char *store__now(store *s)
{
    time_t t = time(NULL);
    if ((long long)t != s->now_t || !s->now[0]) {
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(s->now, sizeof s->now, "%Y-%m-%dT%H:%M:%S%z", &tm);
        s->now_t = (long long)t;
    }
    return s->now;
}

int store__history_copy(store *s, long long activity_id, const char *reason)
{
    sqlite3_stmt *st = s->st[ST_HISTORY_COPY];
    sqlite3_bind_int64(st, 1, activity_id);
    sqlite3_bind_text(st, 2, store__now(s), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
    return store__step_done(st);
}

int store__retire_credits(store *s, long long activity_id, const char *reason)
{
    int rc = store__history_copy(s, activity_id, reason);
    return rc == SQLITE_OK ? store__drop_credits(s, activity_id) : rc;
}

int store__drop_credits(store *s, long long activity_id)
{
    int rc;
    /* DELETE … RETURNING: each removed credit's person-year goes to the
     * touched list (the RETURNING rows are all computed before the first
     * is returned, so inserting elsewhere meanwhile is fine). */
    sqlite3_stmt *st = s->st[ST_CREDITS_DELETE];
    sqlite3_bind_int64(st, 1, activity_id);
    sqlite3_stmt *touch = s->st[ST_TOUCH_INSERT];
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_bind_value(touch, 1, sqlite3_column_value(st, 0));
        sqlite3_bind_int(touch, 2, sqlite3_column_int(st, 1));
        sqlite3_bind_int(touch, 3, sqlite3_column_int(st, 2));
        int trc = store__step_done(touch);
        if (trc != SQLITE_OK) {
            rc = trc;
            break;
        }
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return rc;
    st = s->st[ST_COVERS_DELETE];
    sqlite3_bind_int64(st, 1, activity_id);
    return store__step_done(st);
}
