/*
 * Policy revisions (OPA: every decision names the policy revision that made
 * it). A revision is one content of one policy file: (file name, SHA-256).
 * policy_revisions gets a row the first time this database sees it, saying
 * when and how (daemon start, reload, ingest, recompute); every credit
 * points at its row (credits.revision_id).
 *
 * The put path asks for a revision id once per credit, so the ids are
 * cached per store handle: a handful of policies, looked up by comparing
 * name and hash (the policy_info pointer alone is not enough: a reloaded
 * set may reuse the memory of the one it replaced). The cache only ever
 * holds rows that exist in this connection's view; a rollback may remove
 * rows inserted in its transaction, so the rollback hook (store_open.c)
 * empties it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store_priv.h"

void store__revisions_forget(store *s)
{
    s->nrevs = 0;
    s->rev_last_info = NULL;
    s->rev_last = 0;
}

static int rev_same(const struct store_rev *r, const policy_info *p)
{
    return memcmp(r->sha256, p->sha256, 64) == 0 && strcmp(r->name, p->name) == 0;
}

/* Index of p in the cache, or -1. */
static long rev_cached(store *s, const policy_info *p)
{
    if (p == s->rev_last_info && s->rev_last < s->nrevs && rev_same(&s->revs[s->rev_last], p))
        return (long)s->rev_last;
    for (size_t i = 0; i < s->nrevs; i++)
        if (rev_same(&s->revs[i], p)) {
            s->rev_last_info = p;
            s->rev_last = i;
            return (long)i;
        }
    return -1;
}

static int rev_remember(store *s, const policy_info *p, long long id)
{
    if (s->nrevs == s->caprevs) {
        size_t cap = s->caprevs ? s->caprevs * 2 : 16;
        struct store_rev *r = realloc(s->revs, cap * sizeof *r);
        if (!r)
            return SQLITE_NOMEM;
        s->revs = r;
        s->caprevs = cap;
    }
    struct store_rev *r = &s->revs[s->nrevs];
    snprintf(r->name, sizeof r->name, "%s", p->name);
    memcpy(r->sha256, p->sha256, 65);
    r->id = id;
    s->rev_last_info = p;
    s->rev_last = s->nrevs++;
    return SQLITE_OK;
}

/* The row's id, or 0 when absent. */
static int rev_select(store *s, const policy_info *p, long long *id)
{
    sqlite3_stmt *st;
    *id = 0;
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT revision_id FROM policy_revisions WHERE file = ?1 AND sha256 = ?2",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, p->sha256, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Inside a write transaction: the row of p, inserted when new. */
static int rev_insert(store *s, const policy_info *p, const char *how, long long *id)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db,
                                "INSERT INTO policy_revisions(file, sha256, first_loaded, how)"
                                " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (file, sha256) DO NOTHING",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, p->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, store__now(s), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, how, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rc;
    return rev_select(s, p, id);
}

int store__revision_id(store *s, const policy_info *p, long long *id)
{
    *id = 0;
    if (!p || !p->sha256[0])
        return SQLITE_OK;
    long i = rev_cached(s, p);
    if (i >= 0) {
        *id = s->revs[i].id;
        return SQLITE_OK;
    }
    /* Normally recorded when the policies were loaded; a store used
     * directly (tests, tools) records it here. */
    int rc = rev_select(s, p, id);
    if (rc == SQLITE_OK && *id == 0)
        rc = rev_insert(s, p, "ingest", id);
    if (rc == SQLITE_OK && *id == 0)
        rc = SQLITE_CORRUPT; /* inserted, yet not found */
    return rc == SQLITE_OK ? rev_remember(s, p, *id) : rc;
}

static int valid_how(const char *how)
{
    return how && (!strcmp(how, "start") || !strcmp(how, "reload") || !strcmp(how, "ingest") ||
                   !strcmp(how, "recompute"));
}

int store_record_revisions(store *s, const policy_set *set, const char *how,
                           char *err, size_t errlen)
{
    if (s->readonly) {
        store__seterr(err, errlen, "记录规则版本：数据库以只读方式打开");
        return STORE_ERR;
    }
    if (!valid_how(how)) {
        store__seterr(err, errlen, "记录规则版本：无效的方式 %s", how ? how : "(null)");
        return STORE_ERR;
    }
    size_t n = policy_set_count(set);
    /* Most calls find every revision known: no write lock then. */
    size_t missing = 0;
    for (size_t i = 0; i < n; i++) {
        const policy_info *p = policy_set_info(set, i);
        if (rev_cached(s, p) >= 0)
            continue;
        long long id;
        int rc = rev_select(s, p, &id);
        if (rc != SQLITE_OK)
            return store__fail(s->db, rc, "读取规则版本", err, errlen);
        if (id)
            rc = rev_remember(s, p, id);
        else
            missing++;
        if (rc != SQLITE_OK)
            return store__fail(s->db, rc, "读取规则版本", err, errlen);
    }
    if (!missing)
        return STORE_OK;

    int own = sqlite3_get_autocommit(s->db);
    if (own) {
        int rc = store__exec(s->db, "BEGIN IMMEDIATE", "开始事务", err, errlen);
        if (rc != STORE_OK)
            return rc;
    }
    int rc = SQLITE_OK;
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        const policy_info *p = policy_set_info(set, i);
        if (rev_cached(s, p) >= 0)
            continue;
        long long id;
        rc = rev_insert(s, p, how, &id);
        if (rc == SQLITE_OK && id)
            rc = rev_remember(s, p, id);
    }
    if (rc == SQLITE_OK && own)
        rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        int r = store__fail(s->db, rc, "记录规则版本", err, errlen);
        if (own)
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return r;
    }
    return STORE_OK;
}

int store_record_revisions_at(const char *db_path, const policy_set *set, const char *how,
                              char *err, size_t errlen)
{
    store *s;
    int rc = store_open(db_path, 0, &s, err, errlen);
    if (rc != STORE_OK)
        return rc;
    rc = store_record_revisions(s, set, how, err, errlen);
    store_close(s);
    return rc;
}
