/*
 * store_put: one record and its outcome, inside the file's transaction.
 *
 * This is the hot path (a batch may hold a million records): only prepared
 * statements, bound without copying (SQLITE_STATIC: every statement is reset
 * before we return), and nothing recomputed per record. Caps and person-year
 * totals depend on a whole person-year, so they wait for store_commit, which
 * recomputes each touched (person, year) once: those of the credits this
 * transaction inserted (noted in memory, store_pairs.c) and those noted in
 * temp.xs_touched (credits deleted by superseding, and capped credits).
 *
 * A new record with a credit costs two statements: the activity insert
 * (which also detects a live activity with the same identity) and the
 * credit insert; the person's upsert is skipped while the person and their
 * details stay the same. The credit's policy revision comes from a cache
 * (store_revision.c); the credits of a superseded activity move to
 * credit_history (store_history.c).
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

/* The live activity with a's identity (*old, 0 when none) becomes
 * superseded by the activity about to be inserted as new_id; its credits
 * move to credit_history, its prior covers leave, and their person-years are
 * noted for the commit. */
static int supersede_old(store *s, const store_activity *a, long long new_id,
                         long long *old)
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
    sqlite3_bind_int64(st, 2, new_id);
    if ((rc = store__step_done(st)) != SQLITE_OK)
        return rc;
    if (!credited)
        return SQLITE_OK; /* pending and rejected outcomes have no credits */
    /* Its credits stay queryable as history; their person-years go to the
     * touched list. */
    return store__retire_credits(s, *old, "superseded");
}

/* Insert the activity as id. *inserted is 0 when a live activity with the
 * same identity exists (ON CONFLICT DO NOTHING). */
static int insert_activity(store *s, long long sub, const store_activity *a,
                           const policy_result *r, int identity, long long id,
                           int *inserted)
{
    sqlite3_stmt *st = s->st[ST_ACT_INSERT];
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, sub);
    bind_text(st, 3, a->person_id);
    bind_text(st, 4, a->ref);
    bind_text(st, 5, a->kind);
    bind_text(st, 6, a->subject);
    bind_text(st, 7, a->topic);
    bind_text(st, 8, a->title);
    bind_text(st, 9, a->date);
    if (a->year > 0)
        sqlite3_bind_int(st, 10, a->year);
    bind_text(st, 11, store__status_text(r->status));
    bind_nonempty(st, 12, r->reason_code);
    bind_text(st, 13, r->reason);
    sqlite3_bind_int(st, 14, identity);
    sqlite3_bind_int64(st, 15, a->record_index);
    if (r->policy) {
        bind_nonempty(st, 16, r->policy->name);
        bind_nonempty(st, 17, r->policy->sha256);
    }
    bind_text(st, 18, a->payload);
    int rc = store__step_done(st);
    *inserted = rc == SQLITE_OK && sqlite3_changes(s->db) > 0;
    return rc;
}

static int credit_before(const policy_credit *a, const policy_credit *b)
{
    if (a->year != b->year)
        return a->year < b->year;
    return strcmp(a->category, b->category) < 0;
}

size_t store_credit_order(const policy_result *r, unsigned char *ord)
{
    size_t n = r->ncredits < STORE_CREDIT_STRIDE ? r->ncredits : STORE_CREDIT_STRIDE;
    /* Insertion sort, stable: an activity has a credit or two. */
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        while (j > 0 && credit_before(&r->credits[i], &r->credits[ord[j - 1]])) {
            ord[j] = ord[j - 1];
            j--;
        }
        ord[j] = (unsigned char)i;
    }
    return n;
}

/* An uncapped credit's person-year is noted in memory (store_pairs.c), a
 * capped one's in temp.xs_touched, where the commit's caps look. */
int store__insert_credits(store *s, long long id, const char *person_id,
                          const policy_result *r)
{
    long long rev = 0;
    if (r->ncredits > STORE_CREDIT_STRIDE)
        return SQLITE_TOOBIG; /* cannot happen: policy_eval.c caps them */
    if (r->ncredits) {
        int rrc = store__revision_id(s, r->policy, &rev);
        if (rrc != SQLITE_OK)
            return rrc;
    }
    unsigned char ord[STORE_CREDIT_STRIDE];
    size_t n = store_credit_order(r, ord);
    for (size_t k = 0; k < n; k++) {
        const policy_credit *c = &r->credits[ord[k]];
        int capped = c->cap_key && *c->cap_key;
        sqlite3_stmt *st = s->st[ST_CREDIT_INSERT];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, person_id, -1, SQLITE_STATIC);
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
        sqlite3_bind_int64(st, 13, STORE_CREDIT_ID(id, (long long)k));
        if (rev > 0)
            sqlite3_bind_int64(st, 14, rev);
        int rc = store__step_done(st);
        if (rc == SQLITE_OK)
            s->n_credits_txn++;
        if (rc == SQLITE_OK && capped) {
            /* Capped credits are rare; their person-years go where the
             * commit's caps look for them (and its totals too). */
            rc = store__touch(s, person_id, c->year, 1);
        } else if (rc == SQLITE_OK) {
            rc = store__pair_note(s, person_id, c->year);
        }
        if (rc != SQLITE_OK)
            return rc;
    }
    if (r->cover_from > 0) {
        sqlite3_stmt *st = s->st[ST_COVER_INSERT];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, person_id, -1, SQLITE_STATIC);
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

    /* The common case is a new activity: try the insert first and only
     * look for the live one it replaces when the identity index says so. */
    long long id = s->next_activity_id, old = 0;
    int rc, inserted;
    if ((rc = insert_activity(s, submission_id, a, r, identity, id, &inserted)) != SQLITE_OK)
        return put_fail(s, rc, "写入活动", err, errlen);
    if (!inserted) {
        if ((rc = supersede_old(s, a, id, &old)) != SQLITE_OK)
            return put_fail(s, rc, "替换旧记录", err, errlen);
        if (!old) {
            /* cannot happen: the conflict was with a live activity */
            store__seterr(err, errlen, "写入活动：第%lld条记录与已有记录冲突",
                          a->record_index);
            store_rollback(s);
            return STORE_ERR;
        }
        rc = insert_activity(s, submission_id, a, r, identity, id, &inserted);
        if (rc != SQLITE_OK || !inserted)
            return put_fail(s, rc == SQLITE_OK ? SQLITE_CONSTRAINT : rc, "写入活动",
                            err, errlen);
    }
    s->next_activity_id++;
    if (r->status == PS_CREDITED && (rc = store__insert_credits(s, id, a->person_id, r)) != SQLITE_OK)
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
