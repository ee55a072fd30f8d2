/*
 * store_put: one record and its outcome, inside the file's transaction.
 *
 * This is the hot path (a batch may hold a million records): only prepared
 * statements, bound without copying (SQLITE_STATIC: every statement is reset
 * before we return), and nothing recomputed per record. Caps and person-year
 * totals depend on a whole person-year, so put only notes which (person,
 * year) pairs changed in temp.xs_touched and store_commit recomputes each of
 * them once.
 */
#include <stdlib.h>
#include <string.h>
#include "store_priv.h"

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bind_nonempty(sqlite3_stmt *st, int i, const char *v)
{
    bind_text(st, i, v && *v ? v : NULL);
}

/* Note (person, year) for the commit. Repeats of the last pair are skipped
 * here; the rest are removed by the DISTINCT at commit. */
static int touch(store *s, const char *person, int year, int capped)
{
    if (capped) {
        sqlite3_stmt *st = s->st[ST_TOUCHCAP_INSERT];
        sqlite3_bind_text(st, 1, person, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, year);
        int rc = store__step_done(st);
        if (rc != SQLITE_OK)
            return rc;
    }
    if (year == s->touched_year && strcmp(person, s->touched_person) == 0)
        return SQLITE_OK;
    sqlite3_stmt *st = s->st[ST_TOUCH_INSERT];
    sqlite3_bind_text(st, 1, person, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, year);
    int rc = store__step_done(st);
    if (rc != SQLITE_OK)
        return rc;
    size_t n = strlen(person);
    if (n < sizeof s->touched_person) {
        memcpy(s->touched_person, person, n + 1);
        s->touched_year = year;
    }
    return SQLITE_OK;
}

/* The live activity with a's identity becomes superseded: its credits and
 * prior covers leave, and their person-years are touched. *old is its id, or
 * 0 when there was none. */
static int supersede_old(store *s, const store_activity *a, long long *old)
{
    sqlite3_stmt *st = s->st[ST_LIVE_FIND];
    sqlite3_bind_text(st, 1, a->person_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, a->date, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, a->title, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int credited = 0;
    *old = 0;
    if (rc == SQLITE_ROW) {
        *old = sqlite3_column_int64(st, 0);
        const char *status = (const char *)sqlite3_column_text(st, 1);
        credited = status && strcmp(status, "credited") == 0;
        rc = SQLITE_DONE;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return rc;
    if (!*old)
        return SQLITE_OK;

    st = s->st[ST_ACT_SUPERSEDE];
    sqlite3_bind_int64(st, 1, *old);
    if ((rc = store__step_done(st)) != SQLITE_OK)
        return rc;
    if (!credited)
        return SQLITE_OK; /* pending and rejected outcomes have no credits */
    static const int steps[] = {ST_TOUCH_FROM_OLD, ST_TOUCHCAP_FROM_OLD,
                                ST_CREDITS_DELETE, ST_COVERS_DELETE};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        st = s->st[steps[i]];
        sqlite3_bind_int64(st, 1, *old);
        if ((rc = store__step_done(st)) != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

static int insert_activity(store *s, long long sub, const store_activity *a,
                           const policy_result *r, int identity, long long *id)
{
    sqlite3_stmt *st = s->st[ST_ACT_INSERT];
    sqlite3_bind_int64(st, 1, sub);
    bind_text(st, 2, a->person_id);
    bind_text(st, 3, a->ref);
    bind_text(st, 4, a->kind);
    bind_text(st, 5, a->subject);
    bind_text(st, 6, a->topic);
    bind_text(st, 7, a->title);
    bind_text(st, 8, a->date);
    if (a->year > 0)
        sqlite3_bind_int(st, 9, a->year);
    bind_text(st, 10, store__status_text(r->status));
    bind_nonempty(st, 11, r->reason_code);
    bind_text(st, 12, r->reason);
    sqlite3_bind_int(st, 13, identity);
    sqlite3_bind_int64(st, 14, a->record_index);
    if (r->policy) {
        bind_nonempty(st, 15, r->policy->name);
        bind_nonempty(st, 16, r->policy->sha256);
    }
    bind_text(st, 17, a->payload);
    int rc = store__step_done(st);
    if (rc == SQLITE_OK)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

static int insert_credits(store *s, long long id, const store_activity *a,
                          const policy_result *r)
{
    for (size_t i = 0; i < r->ncredits; i++) {
        const policy_credit *c = &r->credits[i];
        int capped = c->cap_key && *c->cap_key;
        sqlite3_stmt *st = s->st[ST_CREDIT_INSERT];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, a->person_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, c->year);
        sqlite3_bind_text(st, 4, c->category, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 5, c->hours);
        if (r->policy) {
            bind_nonempty(st, 6, r->policy->name);
            bind_nonempty(st, 7, r->policy->sha256);
        }
        bind_text(st, 8, c->explanation);
        if (capped) {
            /* Only capped credits can change later, so only they keep
             * the policy's own text. */
            bind_text(st, 9, c->explanation);
            sqlite3_bind_text(st, 10, c->cap_key, -1, SQLITE_STATIC);
            sqlite3_bind_double(st, 11, c->cap_limit);
            bind_text(st, 12, c->cap_note);
        }
        int rc = store__step_done(st);
        if (rc == SQLITE_OK)
            rc = touch(s, a->person_id, c->year, capped);
        if (rc != SQLITE_OK)
            return rc;
    }
    if (r->cover_from > 0) {
        sqlite3_stmt *st = s->st[ST_COVER_INSERT];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, a->person_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, r->cover_from);
        sqlite3_bind_int(st, 4, r->cover_to > 0 ? r->cover_to : r->cover_from);
        return store__step_done(st);
    }
    return SQLITE_OK;
}

/* Append one field to the person key: a presence byte, then the text. */
static size_t person_key_add(char *buf, size_t at, const char *v)
{
    int present = v && *v;
    buf[at++] = present ? '\1' : '\0';
    if (present) {
        size_t n = strlen(v) + 1;
        memcpy(buf + at, v, n);
        at += n;
    }
    return at;
}

/* Upsert the person unless it is the very upsert we did last. */
static int upsert_person(store *s, const store_activity *a)
{
    const char *f[5] = {a->person_id, a->name, a->unit, a->professional_title,
                        a->education};
    size_t need = 0;
    for (int i = 0; i < 5; i++)
        need += 2 + (f[i] ? strlen(f[i]) : 0);
    if (need > s->person_cap_tmp) {
        char *p = realloc(s->person_tmp, need);
        if (!p)
            return SQLITE_NOMEM;
        s->person_tmp = p;
        s->person_cap_tmp = need;
    }
    size_t len = 0;
    for (int i = 0; i < 5; i++)
        len = person_key_add(s->person_tmp, len, f[i]);
    if (s->person_last && len == s->person_last_len &&
        memcmp(s->person_tmp, s->person_last, len) == 0)
        return SQLITE_OK;

    sqlite3_stmt *st = s->st[ST_PERSON_UPSERT];
    for (int i = 0; i < 5; i++)
        bind_text(st, i + 1, f[i]);
    int rc = store__step_done(st);
    if (rc != SQLITE_OK)
        return rc;
    /* Swap the buffers: the key just written becomes "last". */
    char *tb = s->person_last;
    size_t tc = s->person_cap_last;
    s->person_last = s->person_tmp;
    s->person_cap_last = s->person_cap_tmp;
    s->person_last_len = len;
    s->person_tmp = tb;
    s->person_cap_tmp = tc;
    return SQLITE_OK;
}

static int put_fail(store *s, int rc, const char *what, char *err, size_t errlen)
{
    int r = store__fail(s->db, rc, what, err, errlen);
    store_rollback(s);
    return r;
}

int store_put(store *s, long long submission_id, const store_activity *a,
              const policy_result *r, long long *activity_id,
              char *err, size_t errlen)
{
    if (!s->in_txn || submission_id != s->submission_id) {
        store__seterr(err, errlen, "写入记录：没有打开的事务（先调用 store_begin）");
        return STORE_ERR;
    }
    const char *status = store__status_text(r->status);
    if (!status || r->status == PS_SUPERSEDED) {
        store__seterr(err, errlen, "写入记录：无效的结果状态 %d", r->status);
        store_rollback(s);
        return STORE_ERR;
    }
    if (r->status == PS_CREDITED && !a->person_id && (r->ncredits || r->cover_from > 0)) {
        store__seterr(err, errlen, "写入记录：第%lld条记录有学时但没有身份证号",
                      a->record_index);
        store_rollback(s);
        return STORE_ERR;
    }
    int identity = a->has_identity && a->person_id && a->kind && a->date && a->title;

    long long old = 0, id = 0;
    int rc;
    if (identity && (rc = supersede_old(s, a, &old)) != SQLITE_OK)
        return put_fail(s, rc, "替换旧记录", err, errlen);
    if ((rc = insert_activity(s, submission_id, a, r, identity, &id)) != SQLITE_OK)
        return put_fail(s, rc, "写入活动", err, errlen);
    if (old) {
        sqlite3_stmt *st = s->st[ST_ACT_LINK];
        sqlite3_bind_int64(st, 1, old);
        sqlite3_bind_int64(st, 2, id);
        if ((rc = store__step_done(st)) != SQLITE_OK)
            return put_fail(s, rc, "替换旧记录", err, errlen);
    }
    if (r->status == PS_CREDITED && (rc = insert_credits(s, id, a, r)) != SQLITE_OK)
        return put_fail(s, rc, "写入学时", err, errlen);
    if (a->person_id && (rc = upsert_person(s, a)) != SQLITE_OK)
        return put_fail(s, rc, "写入人员信息", err, errlen);

    s->n_records++;
    if (r->status == PS_CREDITED)
        s->n_credited++;
    else if (r->status == PS_PENDING)
        s->n_pending++;
    else
        s->n_rejected++;
    if (activity_id)
        *activity_id = id;
    return STORE_OK;
}
