#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cert_issue.h"

/* cert_documents (the rendered 学时认定单 of each number) is made by
 * migration 5 (store_migrate.c). */

void cert_record_clear(cert_record *r)
{
    free(r->html);
    r->html = NULL;
}

static int db_fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
    int code = sqlite3_errcode(db);
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        snprintf(err, errlen, "%s：数据库被其他进程占用，请稍后再试(%s)", what, sqlite3_errmsg(db));
    else
        snprintf(err, errlen, "%s：%s", what, sqlite3_errmsg(db));
    return -1;
}

static void copy_col(sqlite3_stmt *st, int i, char *out, size_t outlen)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    snprintf(out, outlen, "%s", t ? t : "");
}

/* A database of schema 4 opened read-only (not migrated yet) has no
 * cert_documents: its certificates simply have no stored document. */
static int documents_exist(sqlite3 *db)
{
    sqlite3_stmt *st;
    int yes = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table'"
                               " AND name = 'cert_documents'", -1, &st, NULL) == SQLITE_OK) {
        yes = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    return yes;
}

static int load_document(sqlite3 *db, cert_record *r, char *err, size_t errlen)
{
    if (!documents_exist(db))
        return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT phone, register_number, html FROM cert_documents"
                               " WHERE eval_year = ?1 AND number = ?2", -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, "读取认定单", err, errlen);
    sqlite3_bind_int(st, 1, r->eval_year);
    sqlite3_bind_text(st, 2, r->number, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        copy_col(st, 0, r->phone, sizeof r->phone);
        copy_col(st, 1, r->register_number, sizeof r->register_number);
        const char *html = (const char *)sqlite3_column_text(st, 2);
        if (html && !(r->html = strdup(html))) {
            sqlite3_finalize(st);
            snprintf(err, errlen, "内存不足");
            return -1;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, "读取认定单", err, errlen);
}

int cert_find(store *s, const char *person_id, const char *level, int eval_year,
              cert_record *out, char *err, size_t errlen)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT number, from_year, to_year, specialty, issued_at, handler,"
                           " ifnull(seq, 0) FROM certificates"
                           " WHERE person_id = ?1 AND level = ?2 AND eval_year = ?3",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, "读取认定单", err, errlen);
    sqlite3_bind_text(st, 1, person_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, level, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, eval_year);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : db_fail(db, "读取认定单", err, errlen);
    }
    cert_record_clear(out);
    memset(out, 0, sizeof *out);
    copy_col(st, 0, out->number, sizeof out->number);
    snprintf(out->person_id, sizeof out->person_id, "%s", person_id);
    snprintf(out->level, sizeof out->level, "%s", level);
    out->eval_year = eval_year;
    out->from_year = sqlite3_column_int(st, 1);
    out->to_year = sqlite3_column_int(st, 2);
    copy_col(st, 3, out->specialty, sizeof out->specialty);
    copy_col(st, 4, out->issued_at, sizeof out->issued_at);
    copy_col(st, 5, out->handler, sizeof out->handler);
    out->seq = sqlite3_column_int64(st, 6);
    sqlite3_finalize(st);
    return load_document(db, out, err, errlen) == 0 ? 1 : -1;
}

static void now_iso(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

static int next_seq(sqlite3 *db, int eval_year, long long *seq, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT ifnull(max(seq), 0) + 1 FROM certificates WHERE eval_year = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, "分配认定单序号", err, errlen);
    sqlite3_bind_int(st, 1, eval_year);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *seq = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : db_fail(db, "分配认定单序号", err, errlen);
}

static int insert_certificate(sqlite3 *db, const cert_record *r, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO certificates(number, person_id, level, eval_year, from_year,"
                           " to_year, specialty, issued_at, handler, seq)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, nullif(?9, ''), ?10)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, "保存认定单", err, errlen);
    sqlite3_bind_text(st, 1, r->number, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->person_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->level, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, r->eval_year);
    sqlite3_bind_int(st, 5, r->from_year);
    sqlite3_bind_int(st, 6, r->to_year);
    sqlite3_bind_text(st, 7, r->specialty, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, r->issued_at, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, r->handler, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, r->seq);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT_UNIQUE) {
        /* UNIQUE (eval_year, number): the policy's format gave a number that
         * an earlier certificate of the year already has (format changed?). */
        snprintf(err, errlen, "认定单编号%s已被使用（请检查%d年度政策的certificate.number格式）",
                 r->number, r->eval_year);
        return -1;
    }
    if (rc != SQLITE_DONE)
        return db_fail(db, "保存认定单", err, errlen);

    char now[32];
    now_iso(now);
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO cert_documents(eval_year, number, phone, register_number,"
                           " created_at) VALUES (?1, ?2, nullif(?3, ''), nullif(?4, ''), ?5)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, "保存认定单", err, errlen);
    sqlite3_bind_int(st, 1, r->eval_year);
    sqlite3_bind_text(st, 2, r->number, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->phone, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->register_number, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(db, "保存认定单", err, errlen);
}

/* BEGIN IMMEDIATE takes the write lock at once, waiting through the busy
 * handler: a deferred transaction that upgraded later could fail with BUSY
 * without waiting, and would read seq from a snapshot another process is
 * about to outdate. */
static int begin(sqlite3 *db, char *err, size_t errlen)
{
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(db, "开始签发", err, errlen);
    return 0;
}

static int commit(sqlite3 *db, char *err, size_t errlen)
{
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    db_fail(db, "提交认定单", err, errlen);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

int cert_issue(store *s, policy_set *ps, cert_record *rec, char *err, size_t errlen)
{
    sqlite3 *db = store_db(s);
    if (begin(db, err, errlen) != 0)
        return -1;
    cert_record found = {0};
    int f = cert_find(s, rec->person_id, rec->level, rec->eval_year, &found, err, errlen);
    if (f != 0) {
        if (f == 1) {
            cert_record_clear(rec);
            *rec = found;
        }
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return f;
    }
    if (next_seq(db, rec->eval_year, &rec->seq, err, errlen) != 0)
        goto fail;
    char perr[512];
    if (policy_certificate_number(ps, rec->eval_year, rec->seq, rec->number, sizeof rec->number,
                                  perr, sizeof perr) != 0) {
        snprintf(err, errlen, "认定单编号：%s", perr);
        goto fail;
    }
    if (insert_certificate(db, rec, err, errlen) != 0)
        goto fail;
    return commit(db, err, errlen);
fail:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

int cert_store_html(store *s, const cert_record *rec, const char *template_path,
                    const char *html, char *err, size_t errlen)
{
    sqlite3 *db = store_db(s);
    if (begin(db, err, errlen) != 0)
        return -1;
    char now[32];
    now_iso(now);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO cert_documents(eval_year, number, phone, register_number,"
                           " created_at, template, html)"
                           " VALUES (?1, ?2, nullif(?3, ''), nullif(?4, ''), ?5, ?6, ?7)"
                           " ON CONFLICT (eval_year, number) DO UPDATE SET"
                           " template = excluded.template, html = excluded.html WHERE html IS NULL",
                           -1, &st, NULL) != SQLITE_OK) {
        db_fail(db, "保存认定单页面", err, errlen);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    sqlite3_bind_int(st, 1, rec->eval_year);
    sqlite3_bind_text(st, 2, rec->number, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, rec->phone, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, rec->register_number, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, template_path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, html, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_fail(db, "保存认定单页面", err, errlen);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return commit(db, err, errlen);
}
