/*
 * Slices: a very large input committed in several transactions, so that the
 * database's one write lock is not held for the minutes a province's batch
 * takes. Each slice commits its records together with the submission's
 * progress mark (the index of its last record) and its running counts; the
 * submission stays 'processing' until the last slice commits it
 * 'processed'. After a crash, store_find_unfinished tells where to go on, so
 * no record is lost or counted twice: the mark and the records it covers can
 * only be committed together.
 */
#include <string.h>
#include "store_priv.h"

int store_checkpoint(store *s, long long submission_id, long long last_index,
                     store_compliance_fn fn, void *ud, char *err, size_t errlen)
{
    if (!s->in_txn || submission_id != s->submission_id) {
        store__seterr(err, errlen, "分段提交：没有打开的事务");
        return STORE_ERR;
    }
    int rc = store__recompute_touched(s, fn, ud, err, errlen);
    if (rc != STORE_OK)
        goto fail;
    sqlite3_stmt *st;
    int src = sqlite3_prepare_v2(s->db,
                                 "UPDATE submissions SET progress = ?2, records = records + ?3,"
                                 " credited = credited + ?4, pending = pending + ?5,"
                                 " rejected = rejected + ?6,"
                                 " first_activity = ifnull(first_activity, ?7),"
                                 " last_activity = ifnull(?8, last_activity)"
                                 " WHERE submission_id = ?1",
                                 -1, &st, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, submission_id);
        sqlite3_bind_int64(st, 2, last_index);
        sqlite3_bind_int64(st, 3, s->n_records);
        sqlite3_bind_int64(st, 4, s->n_credited);
        sqlite3_bind_int64(st, 5, s->n_pending);
        sqlite3_bind_int64(st, 6, s->n_rejected);
        store__bind_range(s, st, 7);
        src = sqlite3_step(st);
        sqlite3_finalize(st);
        src = src == SQLITE_DONE ? SQLITE_OK : src;
    }
    if (src != SQLITE_OK) {
        rc = store__fail(s->db, src, "记录分段进度", err, errlen);
        goto fail;
    }
    rc = store__clear_scratch(s, err, errlen);
    if (rc == STORE_OK)
        rc = store__exec(s->db, "COMMIT", "提交事务", err, errlen);
    if (rc != STORE_OK)
        goto fail;
    s->in_txn = 0;
    s->n_records = s->n_credited = s->n_pending = s->n_rejected = 0;
    return STORE_OK;
fail:
    store_rollback(s);
    return rc;
}

int store_resume(store *s, long long submission_id, char *err, size_t errlen)
{
    if (s->readonly || s->in_txn) {
        store__seterr(err, errlen, "继续分段：数据库只读或事务未结束");
        return STORE_ERR;
    }
    int rc = store__exec(s->db, "BEGIN IMMEDIATE", "开始事务", err, errlen);
    if (rc != STORE_OK)
        return rc;
    s->in_txn = 1;
    s->submission_id = submission_id;
    rc = store__txn_init(s, err, errlen);
    if (rc != STORE_OK)
        store_rollback(s);
    return rc;
}

int store_find_unfinished(store *s, const char *sha256, long long *submission_id,
                          long long *last_index)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT submission_id, progress FROM submissions WHERE sha256 = ?1"
                                " AND status = 'processing' ORDER BY submission_id DESC LIMIT 1",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store__rc(rc) == STORE_OK ? STORE_ERR : store__rc(rc);
    sqlite3_bind_text(st, 1, sha256, -1, SQLITE_STATIC);
    int found = 0;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *submission_id = sqlite3_column_int64(st, 0);
        *last_index = sqlite3_column_int64(st, 1);
        found = 1;
    } else if (rc != SQLITE_DONE) {
        found = store__rc(rc) == STORE_OK ? STORE_ERR : store__rc(rc);
    }
    sqlite3_finalize(st);
    return found;
}
