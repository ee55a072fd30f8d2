/*
 * Opening and closing the results database: file mode, pragmas, migrations,
 * the per-connection temp tables and the prepared statements of the write
 * path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "store_priv.h"

/* Temp database (touched person-years, sorter spills): small, it is scanned
 * sequentially. */
#define STORE_TEMP_CACHE_KIB 4096
#define STORE_BUSY_TIMEOUT_MS 5000
/* After a checkpoint, give back WAL space above this (a 1M-record batch can
 * grow the WAL to hundreds of MB). */
#define STORE_WAL_LIMIT (64 * 1024 * 1024)

static const char *const store_stmt_sql[ST__COUNT] = {
    [ST_SUB_INSERT] =
        "INSERT INTO submissions(file_name, sha256, received_at, status)"
        " VALUES (?1, ?2, ?3, 'processing')",
    [ST_SUB_FINISH] =
        /* Added to what earlier slices of the same file committed. */
        "UPDATE submissions SET status = 'processed', records = records + ?2,"
        " credited = credited + ?3, pending = pending + ?4, rejected = rejected + ?5,"
        " first_activity = ifnull(first_activity, ?6),"
        " last_activity = ifnull(?7, last_activity)"
        " WHERE submission_id = ?1",
    [ST_SUB_DUPLICATE] =
        "INSERT INTO submissions(file_name, sha256, received_at, status)"
        " VALUES (?1, ?2, ?3, 'duplicate')",
    [ST_SHA_COMMITTED] =
        "SELECT submission_id FROM submissions"
        " WHERE sha256 = ?1 AND status = 'processed' ORDER BY submission_id LIMIT 1",
    [ST_MAX_IDS] = "SELECT ifnull(max(activity_id), 0) FROM activities",
    [ST_LIVE_FIND] =
        "SELECT activity_id, status FROM activities"
        " WHERE person_id = ?1 AND kind = ?2 AND date = ?3 AND title = ?4 AND live = 1",
    [ST_ACT_SUPERSEDE] =
        "UPDATE activities SET status = 'superseded', superseded_by = ?2, live = NULL"
        " WHERE activity_id = ?1",
    [ST_CREDITS_DELETE] =
        "DELETE FROM credits WHERE " STORE_CREDITS_OF_SQL("", "?1")
        " RETURNING person_id, year, cap_key IS NOT NULL",
    [ST_COVERS_DELETE] = "DELETE FROM prior_covers WHERE activity_id = ?1",
    /* ?11 is both status and outcome: they only differ after a supersede.
     * A live activity with the same identity makes this a no-op (no row
     * changed): the caller supersedes it and runs the insert again. One
     * statement instead of a lookup before every insert. */
    [ST_ACT_INSERT] =
        "INSERT INTO activities(activity_id, submission_id, person_id, ref, kind,"
        " subject, topic, title, date, year, status, reason_code, reason, outcome,"
        " has_identity, record_index, policy, policy_sha256, payload, live)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?11, ?14,"
        " ?15, ?16, ?17, ?18, nullif(?14, 0))"
        " ON CONFLICT (person_id, kind, date, title, live) DO NOTHING",
    /* hours start as raw_hours (?5); caps are applied at commit. */
    [ST_CREDIT_INSERT] =
        "INSERT INTO credits(activity_id, person_id, year, category, hours, policy,"
        " policy_sha256, explanation, raw_hours, base_explanation, cap_key,"
        " cap_limit, cap_note, credit_id, revision_id)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?5, ?9, ?10, ?11, ?12, ?13, ?14)",
    [ST_COVER_INSERT] =
        "INSERT OR REPLACE INTO prior_covers(activity_id, person_id, from_year, to_year)"
        " VALUES (?1, ?2, ?3, ?4)",
    [ST_TOUCH_INSERT] =
        "INSERT INTO temp.xs_touched(person_id, year, capped) VALUES (?1, ?2, ?3)",
    /* SPEC §5: name, unit, title and education are those of the latest
     * submission; a field it leaves out (NULL or empty) keeps the old one. */
    [ST_PERSON_UPSERT] =
        "INSERT INTO people(person_id, name, unit, professional_title, education)"
        " VALUES (?1, nullif(?2, ''), nullif(?3, ''), nullif(?4, ''), nullif(?5, ''))"
        " ON CONFLICT(person_id) DO UPDATE SET"
        " name = coalesce(excluded.name, name),"
        " unit = coalesce(excluded.unit, unit),"
        " professional_title = coalesce(excluded.professional_title, professional_title),"
        " education = coalesce(excluded.education, education)"
        /* a re-ingested file changes nothing: don't rewrite the row */
        " WHERE name IS NOT coalesce(excluded.name, name)"
        " OR unit IS NOT coalesce(excluded.unit, unit)"
        " OR professional_title IS NOT coalesce(excluded.professional_title, professional_title)"
        " OR education IS NOT coalesce(excluded.education, education)",
    [ST_HISTORY_COPY] =
        "INSERT INTO credit_history(activity_id, person_id, year, category, hours, policy,"
        " policy_sha256, explanation, credit_id, raw_hours, base_explanation, cap_key,"
        " cap_limit, cap_note, revision_id, superseded_at, reason)"
        " SELECT activity_id, person_id, year, category, hours, policy, policy_sha256,"
        " explanation, credit_id, raw_hours, base_explanation, cap_key, cap_limit, cap_note,"
        " revision_id, ?2, ?3 FROM credits"
        " WHERE " STORE_CREDITS_OF_SQL("", "?1"),
    /* Recompute (store_recompute.c): the shape of an activity's credits. */
    [ST_CREDITS_OF] =
        "SELECT credit_id, year, category, cap_key IS NOT NULL FROM credits"
        " WHERE " STORE_CREDITS_OF_SQL("", "?1"),
    /* outcome stays: it is what the submitter was told (receipts, counts).
     * status is set only when it changes: a recompute that changes nothing
     * then writes only the columns that did. */
    [ST_ACT_RECOMPUTE] =
        "UPDATE activities SET status = ?2, reason_code = ?3, reason = ?4, policy = ?5,"
        " policy_sha256 = ?6 WHERE activity_id = ?1 AND status <> 'superseded'",
    [ST_ACT_RECOMPUTE_SAME] =
        "UPDATE activities SET reason_code = ?3, reason = ?4, policy = ?5,"
        " policy_sha256 = ?6 WHERE activity_id = ?1 AND status = ?2",
    [ST_ACT_REVISE] =
        "UPDATE activities SET policy = ?2, policy_sha256 = ?3"
        " WHERE activity_id = ?1 AND status <> 'superseded'",
    /* Recompute, same shape (store_recompute.c): a credit updated in its row. */
    [ST_CREDIT_UPDATE] =
        "UPDATE credits SET hours = ?2, raw_hours = ?2, explanation = ?3, base_explanation = ?4,"
        " cap_key = ?5, cap_limit = ?6, cap_note = ?7, policy = ?8, policy_sha256 = ?9,"
        " revision_id = ?10 WHERE credit_id = ?1",
    [ST_CREDITS_REVISE] =
        "UPDATE credits SET policy = ?2, policy_sha256 = ?3, revision_id = ?4"
        " WHERE " STORE_CREDITS_OF_SQL("", "?1"),
};

/* Per-connection scratch tables. xs_touched holds the person-years of
 * credits that this transaction deleted, of capped credits, and those
 * store_pairs.c could not keep in memory (the others are noted there); a
 * plain rowid table, since appending is the cheapest write there is and
 * commit reads it through one sort. */
static const char store_temp_sql[] =
    "CREATE TEMP TABLE IF NOT EXISTS xs_touched(person_id TEXT NOT NULL,"
    " year INTEGER NOT NULL, capped INTEGER NOT NULL);"
    "CREATE TEMP TABLE IF NOT EXISTS xs_cap_update(credit_id INTEGER PRIMARY KEY,"
    " hours NUMERIC NOT NULL, explanation TEXT);";

int store__prepare_all(store *s, char *err, size_t errlen)
{
    for (int i = 0; i < ST__COUNT; i++) {
        int rc = sqlite3_prepare_v3(s->db, store_stmt_sql[i], -1,
                                    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
        if (rc != SQLITE_OK)
            return store__fail(s->db, rc, "准备SQL语句", err, errlen);
    }
    return STORE_OK;
}

void store__finalize_all(store *s)
{
    for (int i = 0; i < ST__COUNT; i++) {
        sqlite3_finalize(s->st[i]);
        s->st[i] = NULL;
    }
}

/* SQLite creates a new database file 0644 and gives -wal/-shm the mode of
 * the database. Creating the file ourselves first (O_EXCL, 0600) makes all
 * three private without touching the process-wide umask. O_NOFOLLOW: never
 * follow a symlink out of the data directory (SPEC §2). */
static int store_precreate(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    if (errno == EEXIST)
        return 0; /* an existing database keeps the mode its owner chose */
    store__seterr(err, errlen, "无法创建数据库文件 %s：%s", path, strerror(errno));
    return -1;
}

static int store_pragmas(store *s, char *err, size_t errlen)
{
    char sql[256];
    int rc;
    if (!s->readonly) {
        /* journal_mode answers with the mode it ended up in. */
        sqlite3_stmt *st = NULL;
        rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
            sqlite3_finalize(st);
            return store__fail(s->db, rc, "启用WAL", err, errlen);
        }
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        int wal = mode && strcmp(mode, "wal") == 0;
        sqlite3_finalize(st);
        if (!wal) {
            store__seterr(err, errlen, "无法启用WAL模式（数据库所在文件系统不支持？）");
            return STORE_ERR;
        }
        /* FULL: a committed file also survives power loss. It costs one
         * fsync of the WAL per commit, and we commit once per input file. */
        snprintf(sql, sizeof sql,
                 "PRAGMA synchronous = FULL;"
                 "PRAGMA journal_size_limit = %d;"
                 "PRAGMA temp_store = FILE;"
                 "PRAGMA temp.cache_size = -%d;"
                 "PRAGMA temp.secure_delete = OFF;",
                 STORE_WAL_LIMIT, STORE_TEMP_CACHE_KIB);
        rc = store__exec(s->db, sql, "设置数据库参数", err, errlen);
        if (rc != STORE_OK)
            return rc;
    }
    /* foreign_keys stays OFF: the REFERENCES in the schema document the
     * relations, but checking them costs a lookup per row on the hot path,
     * and activities.superseded_by names a row inserted just after (see
     * store_put.c). The store is the only writer; the tests run
     * PRAGMA foreign_key_check after every scenario. */
    snprintf(sql, sizeof sql, "PRAGMA foreign_keys = OFF; PRAGMA cache_size = -%d;",
             STORE_CACHE_KIB);
    return store__exec(s->db, sql, "设置数据库参数", err, errlen);
}

static void store_on_rollback(void *ud)
{
    store__revisions_forget(ud);
}

int store_open(const char *path, int flags, store **out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    *out = NULL;
    store *s = calloc(1, sizeof *s);
    if (!s) {
        store__seterr(err, errlen, "内存不足");
        return STORE_ERR;
    }
    s->readonly = (flags & STORE_READONLY) != 0;
    /* NOMUTEX: a store handle belongs to one thread at a time (each lane
     * and each command opens its own), so SQLite's per-call connection
     * mutex only costs: a million-activity recompute makes tens of
     * millions of sqlite3_column_* calls. */
    int oflags = SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX;
    if (s->readonly) {
        oflags |= SQLITE_OPEN_READONLY;
    } else {
        oflags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        if (store_precreate(path, err, errlen) < 0) {
            free(s);
            return STORE_ERR;
        }
    }
    int rc = sqlite3_open_v2(path, &s->db, oflags, NULL);
    if (rc != SQLITE_OK) {
        store__seterr(err, errlen, "无法打开数据库 %s：%s", path,
                      s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        rc = store__rc(rc);
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
    /* A rollback may take revision rows with it: forget the cached ids. */
    sqlite3_rollback_hook(s->db, store_on_rollback, s);
    rc = store_pragmas(s, err, errlen);
    if (rc != STORE_OK)
        goto fail;

    if (s->readonly) {
        int v;
        if (store__user_version(s->db, &v, err, errlen) < 0) {
            rc = STORE_ERR;
            goto fail;
        }
        const int want = store__schema_version();
        if (v > want) {
            store__seterr(err, errlen, "数据库版本%d比程序支持的%d新，请升级 xueshi", v, want);
            rc = STORE_NEWER;
            goto fail;
        }
        if (v < want) {
            /* A reader cannot migrate, and queries against an older schema
             * would fail in confusing ways. */
            store__seterr(err, errlen,
                          "数据库版本%d比程序的%d旧（或数据库为空），"
                          "请先运行 xueshi daemon 或 xueshi ingest 升级", v, want);
            rc = STORE_ERR;
            goto fail;
        }
    } else {
        rc = store__migrate(s->db, err, errlen);
        if (rc != STORE_OK)
            goto fail;
        rc = store__exec(s->db, store_temp_sql, "创建临时表", err, errlen);
        if (rc != STORE_OK)
            goto fail;
        rc = store__prepare_all(s, err, errlen);
        if (rc != STORE_OK)
            goto fail;
        /* Without the thread SQLite checkpoints inside the commits, as it
         * always did: slower for large files, not less safe. */
        char cerr[512];
        if ((flags & STORE_BG_CHECKPOINT) &&
            store__ckpt_start(s, path, cerr, sizeof cerr) != STORE_OK)
            log_warn("database %s: %s; checkpoints stay in the commits", path, cerr);
    }
    *out = s;
    return STORE_OK;
fail:
    store__finalize_all(s);
    sqlite3_close_v2(s->db);
    free(s);
    return rc == STORE_OK ? STORE_ERR : rc;
}

void store_close(store *s)
{
    if (!s)
        return;
    if (s->in_txn)
        store_rollback(s);
    /* Before the last connection closes: that close checkpoints what is
     * left and removes the WAL. */
    store__ckpt_stop(s);
    store__finalize_all(s);
    /* SQLite's advice for long-lived writers: keep the planner's statistics
     * fresh, with a bounded amount of work on a large database. */
    if (!s->readonly)
        sqlite3_exec(s->db, "PRAGMA analysis_limit = 400; PRAGMA optimize", NULL, NULL, NULL);
    sqlite3_close_v2(s->db);
    free(s->person_last);
    free(s->person_tmp);
    free(s->pairs);
    free(s->revs);
    free(s);
}

sqlite3 *store_db(store *s)
{
    return s ? s->db : NULL;
}

void store_set_busy_timeout(store *s, int ms)
{
    if (s)
        sqlite3_busy_timeout(s->db, ms);
}

int store_schema_version(void)
{
    return store__schema_version();
}
