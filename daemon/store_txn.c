/*
 * The write transaction of one input file: begin (BEGIN IMMEDIATE and the
 * submission row), commit (caps, person-years, counts, 'processed', COMMIT)
 * or rollback; and the two things done outside it: the duplicate row and
 * the "already committed?" question (SPEC §2 exactly-once).
 *
 * BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that
 * later upgrades gets SQLITE_BUSY at once, without the busy handler, once
 * another connection has written in between.
 */
#include <string.h>
#include "store_priv.h"

void store__reset_caches(store *s)
{
    s->person_last_len = 0;
    store__pairs_reset(s);
}

int store__clear_scratch(store *s, char *err, size_t errlen)
{
    return store__exec(s->db, "DELETE FROM temp.xs_touched; DELETE FROM temp.xs_cap_update;",
                       "清空临时表", err, errlen);
}

void store__bind_range(store *s, sqlite3_stmt *st, int i)
{
    if (s->next_activity_id > s->txn_first_activity) {
        sqlite3_bind_int64(st, i, s->txn_first_activity);
        sqlite3_bind_int64(st, i + 1, s->next_activity_id - 1);
    } else {
        sqlite3_bind_null(st, i);
        sqlite3_bind_null(st, i + 1);
    }
}

int store__txn_init(store *s, char *err, size_t errlen)
{
    s->n_records = s->n_credited = s->n_pending = s->n_rejected = 0;
    store__reset_caches(s);
    /* The scratch tables are empty after every commit or rollback; clearing
     * them again costs nothing and survives a connection reused oddly. */
    int rc = store__clear_scratch(s, err, errlen);
    if (rc != STORE_OK)
        return rc;
    sqlite3_stmt *st = s->st[ST_MAX_IDS];
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        s->next_activity_id = sqlite3_column_int64(st, 0) + 1;
        s->txn_first_activity = s->next_activity_id;
        s->n_credits_txn = 0;
        src = SQLITE_OK;
    }
    sqlite3_reset(st);
    return src == SQLITE_OK ? STORE_OK : store__fail(s->db, src, "读取编号", err, errlen);
}

static int store_writable(store *s, const char *what, char *err, size_t errlen)
{
    if (s->readonly) {
        store__seterr(err, errlen, "%s：数据库以只读方式打开", what);
        return STORE_ERR;
    }
    if (s->in_txn) {
        store__seterr(err, errlen, "%s：上一个事务尚未结束", what);
        return STORE_ERR;
    }
    return STORE_OK;
}

static int insert_submission(store *s, int which, const char *file_name,
                             const char *sha256, const char *received_at,
                             long long *id)
{
    sqlite3_stmt *st = s->st[which];
    sqlite3_bind_text(st, 1, file_name ? file_name : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sha256 ? sha256 : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, received_at ? received_at : "", -1, SQLITE_STATIC);
    int rc = store__step_done(st);
    if (rc == SQLITE_OK)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

int store_begin(store *s, const char *file_name, const char *sha256,
                const char *received_at, long long *submission_id,
                char *err, size_t errlen)
{
    int rc = store_writable(s, "开始事务", err, errlen);
    if (rc != STORE_OK)
        return rc;
    rc = store__exec(s->db, "BEGIN IMMEDIATE", "开始事务", err, errlen);
    if (rc != STORE_OK)
        return rc;
    s->in_txn = 1;
    rc = store__txn_init(s, err, errlen);
    if (rc != STORE_OK)
        goto fail;
    long long id = 0;
    int src = insert_submission(s, ST_SUB_INSERT, file_name, sha256, received_at, &id);
    if (src != SQLITE_OK) {
        rc = store__fail(s->db, src, "写入提交记录", err, errlen);
        goto fail;
    }
    s->submission_id = id;
    if (submission_id)
        *submission_id = id;
    return STORE_OK;
fail:
    store_rollback(s);
    return rc;
}

void store_rollback(store *s)
{
    if (!s || !s->in_txn)
        return;
    /* Fails only when SQLite already rolled back by itself (FULL, IOERR,
     * NOMEM …): either way there is no transaction afterwards. */
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->in_txn = 0;
    s->submission_id = 0;
    store__reset_caches(s);
}

int store_commit(store *s, long long submission_id, store_compliance_fn fn,
                 void *ud, char *err, size_t errlen)
{
    if (!s->in_txn || submission_id != s->submission_id) {
        store__seterr(err, errlen, "提交：没有打开的事务（先调用 store_begin）");
        return STORE_ERR;
    }
    int rc = store__recompute_touched(s, fn, ud, err, errlen);
    if (rc != STORE_OK)
        goto fail;

    /* Counts are the outcomes as each record was put: a record superseded
     * later in the same file still counts under the status it got. They are
     * added, because a sliced submission (store_slice.c) has committed the
     * counts of its earlier slices already. */
    sqlite3_stmt *st = s->st[ST_SUB_FINISH];
    sqlite3_bind_int64(st, 1, submission_id);
    sqlite3_bind_int64(st, 2, s->n_records);
    sqlite3_bind_int64(st, 3, s->n_credited);
    sqlite3_bind_int64(st, 4, s->n_pending);
    sqlite3_bind_int64(st, 5, s->n_rejected);
    store__bind_range(s, st, 6);
    int src = store__step_done(st);
    if (src != SQLITE_OK) {
        rc = store__fail(s->db, src, "更新提交记录", err, errlen);
        goto fail;
    }
    rc = store__clear_scratch(s, err, errlen);
    if (rc != STORE_OK)
        goto fail;
    rc = store__exec(s->db, "COMMIT", "提交事务", err, errlen);
    if (rc != STORE_OK)
        goto fail;
    s->in_txn = 0;
    s->submission_id = 0;
    return STORE_OK;
fail:
    store_rollback(s);
    return rc;
}

int store_put_duplicate(store *s, const char *file_name, const char *sha256,
                        const char *received_at, long long *submission_id,
                        char *err, size_t errlen)
{
    int rc = store_writable(s, "记录重复文件", err, errlen);
    if (rc != STORE_OK)
        return rc;
    rc = store__exec(s->db, "BEGIN IMMEDIATE", "开始事务", err, errlen);
    if (rc != STORE_OK)
        return rc;
    long long id = 0;
    int src = insert_submission(s, ST_SUB_DUPLICATE, file_name, sha256, received_at, &id);
    if (src != SQLITE_OK) {
        rc = store__fail(s->db, src, "记录重复文件", err, errlen);
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    rc = store__exec(s->db, "COMMIT", "提交事务", err, errlen);
    if (rc != STORE_OK) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    if (submission_id)
        *submission_id = id;
    return STORE_OK;
}

int store_sha_committed(store *s, const char *sha256, long long *id)
{
    sqlite3_stmt *st = s->st[ST_SHA_COMMITTED];
    int rc = SQLITE_OK;
    /* A read-only store has no prepared write path; prepare on demand. */
    if (s->readonly)
        rc = sqlite3_prepare_v2(s->db,
                                "SELECT submission_id FROM submissions"
                                " WHERE sha256 = ?1 AND status = 'processed'"
                                " ORDER BY submission_id LIMIT 1",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store__rc(rc) == STORE_OK ? STORE_ERR : store__rc(rc);
    sqlite3_bind_text(st, 1, sha256 ? sha256 : "", -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    int found = 0;
    if (rc == SQLITE_ROW) {
        found = 1;
        if (id)
            *id = sqlite3_column_int64(st, 0);
    } else if (rc != SQLITE_DONE) {
        found = store__rc(rc) == STORE_OK ? STORE_ERR : store__rc(rc);
    }
    if (s->readonly) {
        sqlite3_finalize(st);
    } else {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    return found;
}
