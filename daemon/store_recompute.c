/*
 * Recompute in place: a stored activity re-evaluated under the current
 * policies keeps its row (id, submission, identity, payload, outcome — what
 * its submitter was told); its status, reason and deciding policy are
 * replaced, its old credits move to credit_history (reason 'recompute')
 * and its new credits are inserted with their revision. The transaction
 * ends like a submission's: caps re-applied and person_years rewritten for
 * every (person, year) it touched (store_years.c), so a recomputed database
 * is what a fresh ingest under the same policies would give.
 *
 * In place rather than superseding with a copy: a copy would need a new
 * activity id, break receipts that name the old one, and make every
 * recompute grow `activities` by the whole database. For the same reason a
 * recomputed activity whose credits keep their shape (as many, each of the
 * same year and category: a changed conversion number) keeps its credit
 * rows; their old values are in credit_history all the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store_priv.h"

static void bind_opt(sqlite3_stmt *st, int i, const char *v)
{
    if (v && *v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

int store_recompute_begin(store *s, char *err, size_t errlen)
{
    if (s->readonly || s->in_txn) {
        store__seterr(err, errlen, "重新计算：数据库只读或上一个事务尚未结束");
        return STORE_ERR;
    }
    int rc = store__exec(s->db, "BEGIN IMMEDIATE", "开始事务", err, errlen);
    if (rc != STORE_OK)
        return rc;
    s->in_txn = 1;
    s->submission_id = 0;
    rc = store__txn_init(s, err, errlen);
    if (rc != STORE_OK)
        store_rollback(s);
    return rc;
}

static int fail(store *s, int rc, const char *what, char *err, size_t errlen)
{
    int r = store__fail(s->db, rc, what, err, errlen);
    store_rollback(s);
    return r;
}

/* Copies the activity's credits to history and says whether r has the
 * same shape: as many credits as are stored, each of the same year and
 * category. Then each credit is updated in its row (ids[k]) rather than
 * deleted and inserted: a large recompute changes hours, not shapes, and a
 * delete + insert costs twice the index work. The stored credits, in
 * credit_id order, are compared with r's in the order the store numbers
 * them (ord, store_credit_order). capped[k]: the stored credit is
 * capped. (A RETURNING on the history copy would save the
 * SELECT but measured slower: SQLite buffers RETURNING rows.) */
#define RC_SHAPE_MAX 16

typedef struct shape_row {
    long long id;
    int year, capped;
    char category[16];
} shape_row;

static int shape_cmp(const void *a, const void *b)
{
    long long x = ((const shape_row *)a)->id, y = ((const shape_row *)b)->id;
    return (x > y) - (x < y);
}

static int copy_to_history(store *s, long long activity_id, const policy_result *r,
                           const unsigned char *ord, long long ids[RC_SHAPE_MAX],
                           int capped[RC_SHAPE_MAX], int *same)
{
    int hrc = store__history_copy(s, activity_id, "recompute");
    if (hrc != SQLITE_OK)
        return hrc;
    sqlite3_stmt *st = s->st[ST_CREDITS_OF];
    sqlite3_bind_int64(st, 1, activity_id);
    shape_row rows[RC_SHAPE_MAX];
    size_t n = 0;
    int fits = 1, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == RC_SHAPE_MAX) {
            fits = 0;
            continue;
        }
        const char *cat = (const char *)sqlite3_column_text(st, 2);
        rows[n].id = sqlite3_column_int64(st, 0);
        rows[n].year = sqlite3_column_int(st, 1);
        rows[n].capped = sqlite3_column_int(st, 3);
        snprintf(rows[n].category, sizeof rows[n].category, "%s", cat ? cat : "");
        n++;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return rc;
    *same = fits && n > 0 && r->status == PS_CREDITED && n == r->ncredits;
    if (!*same)
        return SQLITE_OK;
    qsort(rows, n, sizeof *rows, shape_cmp);
    for (size_t i = 0; i < n; i++) {
        const policy_credit *c = &r->credits[ord[i]];
        if (rows[i].year != c->year || strcmp(rows[i].category, c->category) != 0)
            *same = 0;
        ids[i] = rows[i].id;
        capped[i] = rows[i].capped;
    }
    return SQLITE_OK;
}

static int update_credits(store *s, const char *person_id, const policy_result *r,
                          const unsigned char *ord, const long long *ids, const int *capped)
{
    long long rev = 0;
    int rc = store__revision_id(s, r->policy, &rev);
    for (size_t i = 0; i < r->ncredits && rc == SQLITE_OK; i++) {
        const policy_credit *c = &r->credits[ord[i]];
        int cap = c->cap_key && *c->cap_key;
        sqlite3_stmt *st = s->st[ST_CREDIT_UPDATE];
        sqlite3_bind_int64(st, 1, ids[i]);
        sqlite3_bind_double(st, 2, c->hours);
        if (c->explanation)
            sqlite3_bind_text(st, 3, c->explanation, -1, SQLITE_STATIC);
        if (cap) {
            /* As store_put: only capped credits keep the policy's own text. */
            if (c->explanation)
                sqlite3_bind_text(st, 4, c->explanation, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 5, c->cap_key, -1, SQLITE_STATIC);
            sqlite3_bind_double(st, 6, c->cap_limit);
            bind_opt(st, 7, c->cap_note);
        }
        if (r->policy) {
            bind_opt(st, 8, r->policy->name);
            bind_opt(st, 9, r->policy->sha256);
        }
        if (rev > 0)
            sqlite3_bind_int64(st, 10, rev);
        rc = store__step_done(st);
        if (rc != SQLITE_OK)
            break;
        /* Its person-year changes: the commit rewrites it (and its caps
         * when the credit is or was capped). */
        rc = store__touch(s, person_id, c->year, cap || capped[i]);
    }
    return rc;
}

int store_recompute_put(store *s, long long activity_id, const char *person_id,
                        const policy_result *r, int same_status, char *err, size_t errlen)
{
    if (!s->in_txn || s->submission_id != 0) {
        store__seterr(err, errlen, "重新计算：没有打开的事务（先调用 store_recompute_begin）");
        return STORE_ERR;
    }
    const char *status = store__status_text(r->status);
    if (!status || r->status == PS_SUPERSEDED || !person_id) {
        store__seterr(err, errlen, "重新计算活动%lld：无效的结果状态或没有身份证号", activity_id);
        store_rollback(s);
        return STORE_ERR;
    }
    long long ids[RC_SHAPE_MAX];
    int capped[RC_SHAPE_MAX], same = 0;
    unsigned char ord[STORE_CREDIT_STRIDE];
    store_credit_order(r, ord);
    int rc = copy_to_history(s, activity_id, r, ord, ids, capped, &same);
    if (rc == SQLITE_OK && same) {
        rc = update_credits(s, person_id, r, ord, ids, capped);
        if (rc == SQLITE_OK) {
            sqlite3_stmt *st = s->st[ST_COVERS_DELETE];
            sqlite3_bind_int64(st, 1, activity_id);
            rc = store__step_done(st);
        }
        if (rc == SQLITE_OK && r->cover_from > 0) {
            sqlite3_stmt *st = s->st[ST_COVER_INSERT];
            sqlite3_bind_int64(st, 1, activity_id);
            sqlite3_bind_text(st, 2, person_id, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 3, r->cover_from);
            sqlite3_bind_int(st, 4, r->cover_to > 0 ? r->cover_to : r->cover_from);
            rc = store__step_done(st);
        }
    } else if (rc == SQLITE_OK) {
        rc = store__drop_credits(s, activity_id);
    }
    if (rc != SQLITE_OK)
        return fail(s, rc, "转存旧学时", err, errlen);

    sqlite3_stmt *st = s->st[same_status ? ST_ACT_RECOMPUTE_SAME : ST_ACT_RECOMPUTE];
    sqlite3_bind_int64(st, 1, activity_id);
    sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
    bind_opt(st, 3, r->reason_code);
    bind_opt(st, 4, r->reason);
    if (r->policy) {
        bind_opt(st, 5, r->policy->name);
        bind_opt(st, 6, r->policy->sha256);
    }
    rc = store__step_done(st);
    if (rc == SQLITE_OK && sqlite3_changes(s->db) != 1) {
        store__seterr(err, errlen, "重新计算：活动%lld不存在、已被替换或状态不符", activity_id);
        store_rollback(s);
        return STORE_ERR;
    }
    if (rc == SQLITE_OK && !same && r->status == PS_CREDITED)
        rc = store__insert_credits(s, activity_id, person_id, r);
    if (rc != SQLITE_OK)
        return fail(s, rc, "写入重新计算的结果", err, errlen);
    return STORE_OK;
}

int store_recompute_revise(store *s, long long activity_id, const policy_result *r,
                           char *err, size_t errlen)
{
    if (!s->in_txn || s->submission_id != 0) {
        store__seterr(err, errlen, "重新计算：没有打开的事务（先调用 store_recompute_begin）");
        return STORE_ERR;
    }
    long long rev = 0;
    int rc = store__revision_id(s, r->policy, &rev);
    const char *name = r->policy ? r->policy->name : NULL;
    const char *sha = r->policy ? r->policy->sha256 : NULL;
    if (rc == SQLITE_OK) {
        sqlite3_stmt *st = s->st[ST_ACT_REVISE];
        sqlite3_bind_int64(st, 1, activity_id);
        bind_opt(st, 2, name);
        bind_opt(st, 3, sha);
        rc = store__step_done(st);
    }
    if (rc == SQLITE_OK && r->status == PS_CREDITED && r->ncredits) {
        sqlite3_stmt *st = s->st[ST_CREDITS_REVISE];
        sqlite3_bind_int64(st, 1, activity_id);
        bind_opt(st, 2, name);
        bind_opt(st, 3, sha);
        if (rev > 0)
            sqlite3_bind_int64(st, 4, rev);
        rc = store__step_done(st);
    }
    return rc == SQLITE_OK ? STORE_OK : fail(s, rc, "更新规则版本", err, errlen);
}

int store_recompute_touch(store *s, const char *person_id, int year, char *err, size_t errlen)
{
    if (!s->in_txn) {
        store__seterr(err, errlen, "重新计算：没有打开的事务");
        return STORE_ERR;
    }
    int rc = store__touch(s, person_id, year, 0);
    return rc == SQLITE_OK ? STORE_OK : fail(s, rc, "记录待重算的年度", err, errlen);
}

int store_recompute_commit(store *s, store_compliance_fn fn, void *ud, char *err, size_t errlen)
{
    if (!s->in_txn || s->submission_id != 0) {
        store__seterr(err, errlen, "重新计算：没有打开的事务");
        return STORE_ERR;
    }
    int rc = store__recompute_touched(s, fn, ud, err, errlen);
    if (rc == STORE_OK)
        rc = store__clear_scratch(s, err, errlen);
    if (rc == STORE_OK)
        rc = store__exec(s->db, "COMMIT", "提交事务", err, errlen);
    if (rc != STORE_OK) {
        store_rollback(s);
        return rc;
    }
    s->in_txn = 0;
    return STORE_OK;
}

int store_changed_elsewhere(store *s)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA data_version", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store__rc(rc) == STORE_OK ? STORE_ERR : store__rc(rc);
    rc = sqlite3_step(st);
    long long v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return store__rc(rc) == STORE_OK ? STORE_ERR : store__rc(rc);
    int changed = s->data_version_valid && v != s->data_version;
    s->data_version = v;
    s->data_version_valid = 1;
    return changed;
}
