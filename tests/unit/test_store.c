/* store: schema, migrations, transactions, supersede, person_years, people,
 * duplicates, locking and file mode. Caps are in test_store_caps.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "receipt.h"
#include "xs_test.h"
#include "store.h"

/* ---- helpers ------------------------------------------------------------- */

#include "store_fixture.h"
}

/* ---- schema -------------------------------------------------------------- */

/* The SPEC §7 columns, exactly and in order, at the start of each relation. */
static void check_columns(store *s, const char *rel, const char *const *cols)
{
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA table_info(%s)", rel);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL), SQLITE_OK);
    for (int i = 0; cols[i]; i++) {
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        if (strcmp(name, cols[i]) != 0)
            fail_msg("%s column %d: %s, want %s", rel, i, name, cols[i]);
    }
    sqlite3_finalize(st);
    /* and a query naming them works */
    char q[512] = "SELECT ";
    for (int i = 0; cols[i]; i++) {
        strcat(q, i ? ", " : "");
        strcat(q, cols[i]);
    }
    strcat(q, " FROM ");
    strcat(q, rel);
    assert_int_equal(sqlite3_prepare_v2(store_db(s), q, -1, &st, NULL), SQLITE_OK);
    sqlite3_finalize(st);
}

static void test_schema(void **state)
{
    fixture *f = *state;
    static const char *const submissions[] = {"submission_id", "file_name", "sha256",
        "received_at", "status", "records", "credited", "pending", "rejected", NULL};
    static const char *const people[] = {"person_id", "name", "unit",
        "professional_title", "education", NULL};
    static const char *const activities[] = {"activity_id", "submission_id", "person_id",
        "ref", "kind", "subject", "topic", "title", "date", "year", "status",
        "reason_code", "reason", NULL};
    static const char *const credits[] = {"activity_id", "person_id", "year", "category",
        "hours", "policy", "policy_sha256", "explanation", NULL};
    static const char *const person_years[] = {"person_id", "year", "public_hours",
        "professional_hours", "whole_year", "total_hours", "compliant", NULL};
    static const char *const certificates[] = {"number", "person_id", "level", "eval_year",
        "from_year", "to_year", "specialty", "issued_at", "handler", NULL};
    static const char *const prior_covers[] = {"activity_id", "person_id", "from_year",
        "to_year", NULL};
    check_columns(f->s, "submissions", submissions);
    check_columns(f->s, "people", people);
    check_columns(f->s, "activities", activities);
    check_columns(f->s, "credits", credits);
    check_columns(f->s, "person_years", person_years);
    check_columns(f->s, "certificates", certificates);
    check_columns(f->s, "prior_covers", prior_covers);
    /* Migration 5: made by the schema, not by `certify` on first use. */
    static const char *const cert_documents[] = {"eval_year", "number", "phone", "register_number",
                                                 "created_at", "template", "html", NULL};
    check_columns(f->s, "cert_documents", cert_documents);

    assert_true(store_schema_version() >= 5);
    assert_int_equal(q_int(f->s, "PRAGMA user_version"), store_schema_version());
    char b[64];
    assert_string_equal(q_text(f->s, "PRAGMA journal_mode", b, sizeof b), "wal");
    assert_int_equal(q_int(f->s, "PRAGMA synchronous"), 2); /* FULL */
    assert_int_equal(q_int(f->s, "PRAGMA foreign_keys"), 0); /* checked by the tests */
    assert_true(q_int(f->s, "PRAGMA cache_size") >= -32768);

    /* certificates: a number is unique per evaluation year, and a person gets
     * one certificate per level and year. */
    sqlite3 *db = store_db(f->s);
    const char *ins = "INSERT INTO certificates(number, person_id, level, eval_year,"
                      " from_year, to_year, specialty, issued_at, handler) VALUES ";
    char sql[512];
    snprintf(sql, sizeof sql, "%s('0001','" P1 "','senior',2023,2018,2022,'x','t','h')", ins);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    snprintf(sql, sizeof sql, "%s('0001','" P2 "','senior',2023,2018,2022,'x','t','h')", ins);
    assert_int_not_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    snprintf(sql, sizeof sql, "%s('0002','" P1 "','senior',2023,2018,2022,'x','t','h')", ins);
    assert_int_not_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    snprintf(sql, sizeof sql, "%s('0001','" P2 "','senior',2024,2019,2023,'x','t','h')", ins);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

/* Does the plan of sql name the index? */
static int plan_uses(store *s, const char *sql, const char *index)
{
    char q[1024];
    snprintf(q, sizeof q, "EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(store_db(s), q, -1, &st, NULL), SQLITE_OK);
    int found = 0;
    while (sqlite3_step(st) == SQLITE_ROW)
        found |= strstr((const char *)sqlite3_column_text(st, 3), index) != NULL;
    sqlite3_finalize(st);
    return found;
}

/* The identity lookup on the hot path, and every lookup of a person's
 * activities (recompute, reports), use the one identity index. */
static void test_identity_index_used(void **state)
{
    fixture *f = *state;
    assert_true(plan_uses(f->s,
                          "SELECT activity_id, status FROM activities"
                          " WHERE person_id = ?1 AND kind = ?2 AND date = ?3 AND title = ?4"
                          " AND live = 1",
                          "activities_identity"));
    assert_true(plan_uses(f->s,
                          "SELECT activity_id FROM activities"
                          " WHERE person_id = ?1 AND status <> 'superseded'",
                          "activities_identity"));
}

/* Close and open f's store again: any migration it lacks is applied. */
static void reopen_current(fixture *f)
{
    store_close(f->s);
    char err[512];
    if (store_open(f->path, 0, &f->s, err, sizeof err) != STORE_OK)
        fail_msg("reopen: %s", err);
    assert_int_equal(q_int(f->s, "PRAGMA user_version"), store_schema_version());
}

static void test_reopen_keeps_version(void **state)
{
    fixture *f = *state;
    reopen_current(f);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM sqlite_master WHERE name = 'credits'"), 1);
}

static void test_newer_refused(void **state)
{
    fixture *f = *state;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", store_schema_version() + 1);
    assert_int_equal(sqlite3_exec(store_db(f->s), sql, NULL, NULL, NULL), SQLITE_OK);
    store_close(f->s);
    f->s = NULL;
    char err[512] = "";
    store *s = (store *)0x1;
    assert_int_equal(store_open(f->path, 0, &s, err, sizeof err), STORE_NEWER);
    assert_null(s);
    char want[128];
    snprintf(want, sizeof want, "数据库版本%d比程序支持的%d新，请升级 xueshi",
             store_schema_version() + 1, store_schema_version());
    assert_string_equal(err, want);
    assert_int_equal(store_open(f->path, STORE_READONLY, &s, err, sizeof err), STORE_NEWER);
    /* let teardown close something */
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", store_schema_version());
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(store_open(f->path, 0, &f->s, err, sizeof err), STORE_OK);
}

/* A database created by an older binary (here: version 0, an empty file) is
 * migrated; a reader refuses to open it before that. */
static void test_migrates_empty_file(void **state)
{
    char path[512], err[512];
    unique_path(path, sizeof path, "empty");
    FILE *fp = fopen(path, "w");
    fclose(fp);
    store *s;
    assert_int_equal(store_open(path, STORE_READONLY, &s, err, sizeof err), STORE_ERR);
    assert_int_equal(store_open(path, 0, &s, err, sizeof err), STORE_OK);
    assert_int_equal(q_int(s, "PRAGMA user_version"), store_schema_version());
    store_close(s);
    assert_int_equal(store_open(path, STORE_READONLY, &s, err, sizeof err), STORE_OK);
    store_close(s);
    remove_db(path);
}

static void test_file_mode(void **state)
{
    fixture *f = *state;
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0077, 0); /* umask can only remove more bits */
    assert_int_equal(st.st_mode & 0600, 0600);
    /* the WAL gets the database's mode */
    long long sub = begin(f->s, "f.json", "m1");
    policy_credit c;
    store_activity a = act(P1, "training", "2022-05-10", "班");
    policy_result r = credited(&c, 2022, "public", 24, "x");
    put(f->s, sub, &a, &r);
    commit(f->s, sub, NULL);
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    assert_int_equal(stat(wal, &st), 0);
    assert_int_equal(st.st_mode & 0077, 0);
}

/* ---- transactions -------------------------------------------------------- */

static void test_put_commit(void **state)
{
    fixture *f = *state;
    comp cp = {0};
    long long sub = begin(f->s, "zhangsan.json", "sha-a");
    assert_true(sub > 0);

    policy_credit c;
    store_activity a1 = act(P1, "training", "2022-05-10", "2022年公需科目培训班");
    policy_result r1 = credited(&c, 2022, "public", 24, "培训2天+半天：2×10+4=24学时");
    long long id1 = put(f->s, sub, &a1, &r1);

    store_activity a2 = act(P1, "patent", "2022-03-01", "一种装置");
    policy_result r2 = outcome(PS_PENDING, "missing_materials", "缺少材料：专利证书");
    put(f->s, sub, &a2, &r2);

    store_activity a3 = act(P1, "training", "2022-04-01", "职业道德");
    policy_result r3 = outcome(PS_REJECTED, "topic_not_in_policy", "主题不在2022年公需科目中");
    put(f->s, sub, &a3, &r3);

    policy_credit c4;
    store_activity a4 = act(P1, "paper", "2022-07-01", "论文一");
    a4.subject = "professional";
    policy_result r4 = credited(&c4, 2022, "professional", 30, "论文第一作者：30学时");
    put(f->s, sub, &a4, &r4);

    /* not visible to another connection before commit */
    commit(f->s, sub, &cp);

    char b[256], q[256];
    snprintf(q, sizeof q, "SELECT status || '/' || records || '/' || credited || '/' || pending"
             " || '/' || rejected FROM submissions WHERE submission_id = %lld", sub);
    assert_string_equal(q_text(f->s, q, b, sizeof b), "processed/4/2/1/1");
    assert_string_equal(q_text(f->s, "SELECT file_name || ' ' || sha256 || ' ' || received_at"
                                     " FROM submissions", b, sizeof b),
                        "zhangsan.json sha-a 2022-06-01T08:00:00+08:00");
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM activities"), 4);
    snprintf(q, sizeof q, "SELECT status || ' ' || ifnull(reason_code, '-') || ' ' || year"
             " || ' ' || ref || ' ' || topic FROM activities WHERE activity_id = %lld", id1);
    assert_string_equal(q_text(f->s, q, b, sizeof b), "credited - 2022 r1 区块链技术与应用");
    assert_string_equal(q_text(f->s, "SELECT reason_code || ':' || reason FROM activities"
                                     " WHERE status = 'pending_materials'", b, sizeof b),
                        "missing_materials:缺少材料：专利证书");
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM credits"), 2);
    snprintf(q, sizeof q, "SELECT category || ' ' || hours || ' ' || year || ' ' || policy"
             " || ' ' || substr(policy_sha256, 1, 4) || ' ' || explanation"
             " FROM credits WHERE activity_id = %lld", id1);
    assert_string_equal(q_text(f->s, q, b, sizeof b),
                        "public 24 2022 2022.lua 2222 培训2天+半天：2×10+4=24学时");
    assert_string_equal(q_text(f->s, "SELECT public_hours || ' ' || professional_hours || ' ' ||"
                                     " whole_year || ' ' || total_hours || ' ' || compliant"
                                     " FROM person_years WHERE person_id = '" P1 "'"
                                     " AND year = 2022", b, sizeof b),
                        "24 30 0 54 0");
    assert_int_equal(cp.calls, 1);
    assert_int_equal(cp.last_year, 2022);
    assert_true(cp.last.public_hours == 24 && cp.last.professional_hours == 30);
    assert_string_equal(q_text(f->s, "SELECT name || ' ' || unit FROM people", b, sizeof b),
                        "张三 湘潭市中心医院");
}

static void test_rollback(void **state)
{
    fixture *f = *state;
    long long sub = begin(f->s, "f.json", "sha-r");
    policy_credit c;
    store_activity a = act(P1, "training", "2022-05-10", "班");
    policy_result r = credited(&c, 2022, "public", 24, "x");
    put(f->s, sub, &a, &r);
    store_rollback(f->s);
    store_rollback(f->s); /* harmless twice */
    static const char *const tables[] = {"submissions", "activities", "credits",
                                         "person_years", "people", "prior_covers"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char q[64];
        snprintf(q, sizeof q, "SELECT count(*) FROM %s", tables[i]);
        assert_int_equal(q_int(f->s, q), 0);
    }
    long long id;
    assert_int_equal(store_sha_committed(f->s, "sha-r", &id), 0);
    /* a put or commit outside a transaction is an error, not a crash */
    char err[256];
    assert_int_equal(store_put(f->s, sub, &a, &r, NULL, err, sizeof err), STORE_ERR);
    assert_int_equal(store_commit(f->s, sub, comply, NULL, err, sizeof err), STORE_ERR);
    /* and the next file goes through */
    file_one(f->s, "sha-r2", &a, &r);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM credits"), 1);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM person_years"), 1);
}

static int comply_fails(void *ud, int year, const policy_year_totals *t, int *compliant)
{
    return -1;
}

static void test_commit_failure_rolls_back(void **state)
{
    fixture *f = *state;
    long long sub = begin(f->s, "f.json", "sha-cf");
    policy_credit c;
    store_activity a = act(P1, "training", "2022-05-10", "班");
    policy_result r = credited(&c, 2022, "public", 24, "x");
    put(f->s, sub, &a, &r);
    char err[256] = "";
    assert_int_equal(store_commit(f->s, sub, comply_fails, NULL, err, sizeof err), STORE_ERR);
    assert_true(err[0] != '\0');
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM submissions"), 0);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM activities"), 0);
    /* a NULL callback is refused the same way */
    sub = begin(f->s, "f.json", "sha-cf");
    put(f->s, sub, &a, &r);
    assert_int_equal(store_commit(f->s, sub, NULL, NULL, err, sizeof err), STORE_ERR);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM activities"), 0);
}

static void test_begin_twice_refused(void **state)
{
    fixture *f = *state;
    long long sub = begin(f->s, "f.json", "a");
    char err[256];
    long long id;
    assert_int_equal(store_begin(f->s, "g.json", "b", "t", &id, err, sizeof err), STORE_ERR);
    assert_int_equal(store_put_duplicate(f->s, "g.json", "b", "t", &id, err, sizeof err),
                     STORE_ERR);
    commit(f->s, sub, NULL);
}

/* ---- supersede (SPEC §5) ------------------------------------------------- */

static void test_identical_resubmission(void **state)
{
    fixture *f = *state;
    policy_credit c;
    store_activity a = act(P1, "training", "2022-05-10", "2022年公需科目培训班");
    policy_result r = credited(&c, 2022, "public", 24, "24学时");
    long long old = file_one(f->s, "sha-1", &a, &r);
    long long neu = file_one(f->s, "sha-2", &a, &r);
    char q[256], b[256];
    snprintf(q, sizeof q, "SELECT status || ' ' || superseded_by FROM activities"
             " WHERE activity_id = %lld", old);
    snprintf(b, sizeof b, "superseded %lld", neu);
    char got[256];
    assert_string_equal(q_text(f->s, q, got, sizeof got), b);
    snprintf(q, sizeof q, "SELECT status FROM activities WHERE activity_id = %lld", neu);
    assert_string_equal(q_text(f->s, q, got, sizeof got), "credited");
    /* every credit as it was: one credit, the same hours, now the new one's */
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM credits"), 1);
    snprintf(q, sizeof q, "SELECT hours FROM credits WHERE activity_id = %lld", neu);
    assert_int_equal(q_int(f->s, q), 24);
    assert_int_equal(q_int(f->s, "SELECT total_hours FROM person_years"), 24);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM person_years"), 1);
}

static void test_supersede_within_file(void **state)
{
    fixture *f = *state;
    long long sub = begin(f->s, "f.json", "sha-w");
    policy_credit c1, c2;
    store_activity a = act(P1, "training", "2022-05-10", "班");
    policy_result r1 = credited(&c1, 2022, "public", 24, "24学时");
    policy_result r2 = credited(&c2, 2022, "public", 20, "20学时");
    long long first = put(f->s, sub, &a, &r1);
    long long second = put(f->s, sub, &a, &r2);
    commit(f->s, sub, NULL);
    char q[256], b[64];
    snprintf(q, sizeof q, "SELECT status FROM activities WHERE activity_id = %lld", first);
    assert_string_equal(q_text(f->s, q, b, sizeof b), "superseded");
    snprintf(q, sizeof q, "SELECT superseded_by FROM activities WHERE activity_id = %lld", first);
    assert_int_equal(q_int(f->s, q), second);
    assert_int_equal(q_int(f->s, "SELECT sum(hours) FROM credits"), 20);
    assert_int_equal(q_int(f->s, "SELECT public_hours FROM person_years"), 20);
    /* counts: what each record was when put */
    assert_string_equal(q_text(f->s, "SELECT records || '/' || credited FROM submissions",
                               b, sizeof b), "2/2");
    assert_string_equal(q_text(f->s, "SELECT group_concat(outcome) FROM activities",
                               b, sizeof b), "credited,credited");
}

static void test_pending_then_credited(void **state)
{
    fixture *f = *state;
    store_activity a = act(P1, "patent", "2022-03-01", "一种装置");
    a.subject = "professional";
    policy_result p = outcome(PS_PENDING, "missing_materials", "缺少材料：专利证书");
    long long pend = file_one(f->s, "s1", &a, &p);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM person_years"), 0);
    policy_credit c;
    policy_result r = credited(&c, 2022, "professional", 90, "专利第一发明人：90学时");
    long long cred = file_one(f->s, "s2", &a, &r);
    char q[256], b[64];
    snprintf(q, sizeof q, "SELECT status FROM activities WHERE activity_id = %lld", pend);
    assert_string_equal(q_text(f->s, q, b, sizeof b), "superseded");
    snprintf(q, sizeof q, "SELECT status FROM activities WHERE activity_id = %lld", cred);
    assert_string_equal(q_text(f->s, q, b, sizeof b), "credited");
    assert_int_equal(q_int(f->s, "SELECT professional_hours FROM person_years"), 90);
}

static void test_no_identity_never_supersedes(void **state)
{
    fixture *f = *state;
    policy_credit c;
    store_activity good = act(P1, "training", "2022-05-10", "班");
    policy_result r = credited(&c, 2022, "public", 24, "x");
    long long live = file_one(f->s, "s1", &good, &r);

    /* same fields, but the record had no identity (e.g. a bad date upstream) */
    store_activity odd = good;
    odd.has_identity = 0;
    policy_result rej = outcome(PS_REJECTED, "invalid_value", "日期无效");
    long long sub = begin(f->s, "f2", "s2");
    long long o1 = put(f->s, sub, &odd, &rej);
    long long o2 = put(f->s, sub, &odd, &rej);
    /* an invalid ID: no person at all */
    store_activity noid = act(NULL, "training", "2022-05-10", "班");
    policy_result bad = outcome(PS_REJECTED, "invalid_id", "身份证号校验位错误");
    put(f->s, sub, &noid, &bad);
    put(f->s, sub, &noid, &bad);
    commit(f->s, sub, NULL);

    char q[256], b[64];
    snprintf(q, sizeof q, "SELECT status FROM activities WHERE activity_id = %lld", live);
    assert_string_equal(q_text(f->s, q, b, sizeof b), "credited");
    snprintf(q, sizeof q, "SELECT count(*) FROM activities WHERE activity_id IN (%lld, %lld)"
             " AND status = 'rejected'", o1, o2);
    assert_int_equal(q_int(f->s, q), 2);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM activities WHERE person_id IS NULL"
                                 " AND status = 'rejected'"), 2);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM activities WHERE status = 'superseded'"), 0);
    assert_int_equal(q_int(f->s, "SELECT hours FROM credits"), 24);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM people"), 1);
}

/* A credited activity resubmitted and now rejected: its credits leave, and
 * a person-year without credits has no row. */
static void test_last_credit_superseded_deletes_year(void **state)
{
    fixture *f = *state;
    policy_credit c;
    store_activity a = act(P1, "training", "2019-05-10", "班");
    policy_result r = credited(&c, 2019, "public", 16, "x");
    file_one(f->s, "s1", &a, &r);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM person_years"), 1);
    policy_result rej = outcome(PS_REJECTED, "topic_not_in_policy", "主题不在政策中");
    file_one(f->s, "s2", &a, &rej);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM credits"), 0);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM person_years"), 0);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM activities WHERE status = 'rejected'"), 1);
}

/* The second record of a file replaces the first, whose credit went to
 * another year: that year, written by nothing that survives, has no row. */
static void test_supersede_within_file_moves_year(void **state)
{
    fixture *f = *state;
    long long sub = begin(f->s, "f.json", "sha-y");
    policy_credit c1, c2;
    store_activity a = act(P1, "special_task", "2020-08-01", "援疆");
    policy_result r1 = credited(&c1, 2020, "whole_year", 90, "x");
    policy_result r2 = credited(&c2, 2021, "whole_year", 90, "y");
    put(f->s, sub, &a, &r1);
    put(f->s, sub, &a, &r2);
    commit(f->s, sub, NULL);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM person_years"), 1);
    assert_int_equal(q_int(f->s, "SELECT year FROM person_years"), 2021);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM credits"), 1);
}

/* A file whose first record retires the newest credit in the database: the
 * credits the file writes after it still count as this file's (their
 * person-years are recomputed), even though SQLite would have reused the
 * freed rowid. */
static void test_new_credits_after_deleting_newest(void **state)
{
    fixture *f = *state;
    policy_credit c1, c2;
    store_activity a = act(P1, "training", "2022-05-10", "班");
    policy_result r1 = credited(&c1, 2022, "public", 24, "x");
    file_one(f->s, "s1", &a, &r1);

    long long sub = begin(f->s, "f2", "s2");
    policy_result rej = outcome(PS_REJECTED, "topic_not_in_policy", "x");
    put(f->s, sub, &a, &rej);
    store_activity b = act(P2, "training", "2020-05-10", "班");
    policy_result r2 = credited(&c2, 2020, "public", 16, "y");
    put(f->s, sub, &b, &r2);
    commit(f->s, sub, NULL);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM person_years"), 1);
    assert_int_equal(q_int(f->s, "SELECT public_hours FROM person_years"
                                 " WHERE person_id = '" P2 "' AND year = 2020"), 16);
}

/* ---- person_years -------------------------------------------------------- */

static void test_whole_year_and_compliance(void **state)
{
    fixture *f = *state;
    comp cp = {0};
    long long sub = begin(f->s, "lisi.json", "sha-l");
    /* 援疆 2020-08-01..2021-10-31: whole_year 90 for 2020 and 2021 */
    policy_credit wy[2] = {{.year = 2020, .category = "whole_year", .hours = 90,
                            .explanation = "援疆超过12个月：2020年度按90学时"},
                           {.year = 2021, .category = "whole_year", .hours = 90,
                            .explanation = "援疆超过12个月：2021年度按90学时"}};
    policy_result r = {.status = PS_CREDITED, .credits = wy, .ncredits = 2, .policy = &POL};
    store_activity a = act(P2, "special_task", "2020-08-01", "援疆");
    a.year = 2021;
    put(f->s, sub, &a, &r);
    policy_credit c;
    store_activity aw = act(P2, "award", "2021-06-01", "地厅级奖");
    policy_result rw = credited(&c, 2021, "professional", 30, "地厅级奖第6名：30学时");
    put(f->s, sub, &aw, &rw);
    commit(f->s, sub, &cp);
    assert_int_equal(cp.calls, 2);
    char b[128];
    assert_string_equal(q_text(f->s, "SELECT group_concat(year || ':' || public_hours || ',' ||"
                                     " professional_hours || ',' || whole_year || ',' ||"
                                     " total_hours || ',' || compliant, ' ')"
                                     " FROM (SELECT * FROM person_years ORDER BY year)",
                               b, sizeof b),
                        "2020:0,0,1,90,1 2021:0,30,1,120,1");
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM credits WHERE category = 'whole_year'"), 2);
}

/* Person-years of many people in one file, their records interleaved, some
 * years repeated, ids ending in X and ids the store cannot pack (another
 * caller's own): person_years must equal the totals of the credits,
 * whether the pairs stay in memory (store_pairs.c) or, past max, move to
 * the scratch table part by part. */
static void pairs_file(store *s, size_t max, int expect_spilled, const char *born, double bump)
{
    store_set_pairs_max(s, max);
    char sha[64];
    snprintf(sha, sizeof sha, "sha-%s-%zu-%g", born, max, bump);
    long long sub = begin(s, "many.csv", sha);
    char ids[41][24], title[64];
    for (int p = 0; p < 40; p++)
        snprintf(ids[p], sizeof ids[p], "430302%s%03d%c", born, p, p % 7 == 0 ? 'X' : '0' + p % 10);
    snprintf(ids[40], sizeof ids[40], "P-other");
    int n = 0;
    for (int round = 0; round < 3; round++) {
        for (int p = 0; p <= 40; p++) {
            /* two records in a row for one person, sometimes in one year */
            for (int k = 0; k < 2; k++) {
                int year = 2018 + (p + round + (k && p % 3 == 0 ? 0 : k)) % 4;
                char date[16];
                snprintf(date, sizeof date, "%d-03-01", year);
                snprintf(title, sizeof title, "课程%d", n++);
                policy_credit c;
                store_activity a = act(ids[p], "training", date, title);
                policy_result r = credited(&c, year, (p + k) % 2 ? "public" : "professional",
                                           1.5 * (p + 1) + round + bump, "学时");
                put(s, sub, &a, &r);
            }
        }
    }
    /* the unpackable id always goes there; the others only past max */
    assert_true(q_int(s, "SELECT count(*) FROM temp.xs_touched WHERE person_id = 'P-other'") > 0);
    long long spilled =
        q_int(s, "SELECT count(*) FROM temp.xs_touched WHERE person_id <> 'P-other'");
    if (expect_spilled)
        assert_true(spilled > 0);
    else
        assert_int_equal(spilled, 0);
    commit(s, sub, NULL);
    store_set_pairs_max(s, 0);
    /* Every pair, with the totals the credits give, and nothing else. */
    static const char want[] =
        "SELECT person_id, year, total(hours) FILTER (WHERE category = 'public'),"
        " total(hours) FILTER (WHERE category = 'professional') FROM credits"
        " GROUP BY person_id, year";
    static const char have[] =
        "SELECT person_id, year, public_hours, professional_hours FROM person_years";
    char q[1024];
    snprintf(q, sizeof q, "SELECT count(*) FROM (%s EXCEPT %s)", want, have);
    assert_int_equal(q_int(s, q), 0);
    snprintf(q, sizeof q, "SELECT count(*) FROM (%s EXCEPT %s)", have, want);
    assert_int_equal(q_int(s, q), 0);
    assert_true(q_int(s, "SELECT count(*) FROM person_years") > 41 * 2);
}

static void test_person_years_of_many_pairs(void **state)
{
    fixture *f = *state;
    pairs_file(f->s, 0, 0, "19800101", 0);
    /* other people, the array folded and moved to SQL part by part */
    pairs_file(f->s, 16, 1, "19900202", 0);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM credits"), 2 * 41 * 6 - 6);
    /* the same activities again, with other hours: each supersedes its
     * earlier one */
    pairs_file(f->s, 16, 1, "19900202", 0.25);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM credits"), 2 * 41 * 6 - 6);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM activities WHERE status = 'superseded'"),
                     41 * 6 + 6);
}

static int comply_never(void *ud, int year, const policy_year_totals *t, int *compliant)
{
    *compliant = 0;
    return 0;
}

/* compliant is the callback's answer, not the store's opinion */
static void test_compliance_from_callback(void **state)
{
    fixture *f = *state;
    long long sub = begin(f->s, "f", "s");
    policy_credit c;
    store_activity a = act(P1, "project", "2018-05-10", "课题");
    policy_result r = credited(&c, 2018, "professional", 120, "x");
    put(f->s, sub, &a, &r);
    char err[256];
    assert_int_equal(store_commit(f->s, sub, comply_never, NULL, err, sizeof err), STORE_OK);
    assert_int_equal(q_int(f->s, "SELECT compliant FROM person_years"), 0);
    /* a later file touching the same person-year asks again */
    policy_credit c2;
    store_activity a2 = act(P1, "training", "2018-06-10", "班");
    policy_result r2 = credited(&c2, 2018, "public", 10.5, "x");
    file_one(f->s, "s2", &a2, &r2);
    assert_int_equal(q_int(f->s, "SELECT compliant FROM person_years"), 1);
    assert_true(q_double(f->s, "SELECT total_hours FROM person_years") == 130.5);
    assert_true(q_double(f->s, "SELECT public_hours FROM person_years") == 10.5);
}

static void test_prior_covers(void **state)
{
    fixture *f = *state;
    store_activity a = act(P1, "prior_certificate", "2020-12-01", "认定单2020-001");
    policy_result r = {.status = PS_CREDITED, .cover_from = 2016, .cover_to = 2019,
                       .policy = &POL};
    long long id = file_one(f->s, "s1", &a, &r);
    char q[128];
    snprintf(q, sizeof q, "SELECT from_year * 10000 + to_year FROM prior_covers"
             " WHERE activity_id = %lld AND person_id = '" P1 "'", id);
    assert_int_equal(q_int(f->s, q), 20162019);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM person_years"), 0);
    /* resubmitted without its copy: pending, and the cover is gone */
    policy_result p = outcome(PS_PENDING, "missing_materials", "缺少认定单复印件");
    file_one(f->s, "s2", &a, &p);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM prior_covers"), 0);
}

/* ---- people -------------------------------------------------------------- */

static void test_people_latest_wins(void **state)
{
    fixture *f = *state;
    store_activity a = act(P1, "training", "2022-05-10", "班");
    a.name = "张三";
    a.unit = "甲单位";
    a.professional_title = "主治医师";
    a.education = "本科";
    policy_result rej = outcome(PS_REJECTED, "topic_not_in_policy", "x");
    file_one(f->s, "s1", &a, &rej);

    store_activity b = act(P1, "training", "2022-06-10", "班二");
    b.name = "张叁";
    b.unit = NULL;               /* absent: keeps 甲单位 */
    b.professional_title = "";   /* empty: keeps 主治医师 */
    b.education = "硕士";
    long long sub = begin(f->s, "f2", "s2");
    put(f->s, sub, &b, &rej);
    /* an invalid ID never creates a person */
    store_activity n = act(NULL, "training", "2022-06-10", "班三");
    put(f->s, sub, &n, &rej);
    commit(f->s, sub, NULL);
    char buf[256];
    assert_string_equal(q_text(f->s, "SELECT name || '|' || unit || '|' || professional_title"
                                     " || '|' || education FROM people WHERE person_id = '" P1 "'",
                               buf, sizeof buf),
                        "张叁|甲单位|主治医师|硕士");
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM people"), 1);

    /* within one file too, and after a skipped identical upsert */
    sub = begin(f->s, "f3", "s3");
    b.name = "张三";
    put(f->s, sub, &b, &rej);
    put(f->s, sub, &b, &rej);
    b.name = "张仨";
    put(f->s, sub, &b, &rej);
    commit(f->s, sub, NULL);
    assert_string_equal(q_text(f->s, "SELECT name FROM people", buf, sizeof buf), "张仨");
}

/* ---- duplicates and exactly-once ----------------------------------------- */

static void test_duplicate_and_sha(void **state)
{
    fixture *f = *state;
    long long id = -1;
    assert_int_equal(store_sha_committed(f->s, "abc", &id), 0);
    policy_credit c;
    store_activity a = act(P1, "training", "2022-05-10", "班");
    policy_result r = credited(&c, 2022, "public", 24, "x");
    long long sub = begin(f->s, "f.json", "abc");
    put(f->s, sub, &a, &r);
    /* not committed yet: even the writer's own connection says no, the
     * row is still 'processing' */
    assert_int_equal(store_sha_committed(f->s, "abc", &id), 0);
    commit(f->s, sub, NULL);
    assert_int_equal(store_sha_committed(f->s, "abc", &id), 1);
    assert_int_equal(id, sub);

    char err[256];
    long long dup = 0;
    assert_int_equal(store_put_duplicate(f->s, "f-copy.json", "abc", "2022-06-02", &dup,
                                         err, sizeof err), STORE_OK);
    assert_true(dup > sub);
    char q[256], b[128];
    snprintf(q, sizeof q, "SELECT status || ' ' || records || credited || pending || rejected"
             " || ' ' || file_name FROM submissions WHERE submission_id = %lld", dup);
    assert_string_equal(q_text(f->s, q, b, sizeof b), "duplicate 0000 f-copy.json");
    /* still answers with the processed one */
    assert_int_equal(store_sha_committed(f->s, "abc", &id), 1);
    assert_int_equal(id, sub);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM activities"), 1);
}

/* ---- slices (store_slice.c) -------------------------------------------- */

static void test_slices(void **state)
{
    fixture *f = *state;
    char err[512] = "";
    long long sub = begin(f->s, "big.jsonl", "sha-big");
    policy_credit c1, c2, c3;
    store_activity late = act(P2, "degree_course", "2021-09-01", "后");
    policy_result r1 = credited(&c1, 2021, "professional", 90, "base");
    c1.cap_key = "degree_course";
    c1.cap_limit = 90;
    c1.cap_note = "已计";
    long long id_late = put(f->s, sub, &late, &r1);
    store_activity bad = act(NULL, "training", "2021-01-01", "x");
    policy_result rej = outcome(PS_REJECTED, "invalid_id", "身份证号无效");
    put(f->s, sub, &bad, &rej);
    assert_int_equal(store_checkpoint(f->s, sub, 2, comply, NULL, err, sizeof err), STORE_OK);

    /* committed so far, still processing: not "already committed" */
    long long id = 0, last = 0;
    assert_int_equal(store_sha_committed(f->s, "sha-big", &id), 0);
    assert_int_equal(store_find_unfinished(f->s, "sha-big", &id, &last), 1);
    assert_int_equal(id, sub);
    assert_int_equal(last, 2);
    assert_int_equal(q_int(f->s, "SELECT professional_hours FROM person_years"), 90);

    /* a crash here: a new connection finds where to go on */
    store_close(f->s);
    assert_int_equal(store_open(f->path, 0, &f->s, err, sizeof err), STORE_OK);
    assert_int_equal(store_find_unfinished(f->s, "sha-big", &id, &last), 1);
    assert_int_equal(store_resume(f->s, sub, err, sizeof err), STORE_OK);

    /* the second slice: the earlier course takes the cap from the first
     * slice's credit */
    store_activity early = act(P2, "degree_course", "2021-03-01", "前");
    policy_result r2 = credited(&c2, 2021, "professional", 90, "base");
    c2.cap_key = "degree_course";
    c2.cap_limit = 90;
    put(f->s, sub, &early, &r2);
    store_activity tr = act(P2, "training", "2021-05-01", "班");
    policy_result r3 = credited(&c3, 2021, "public", 24, "24");
    put(f->s, sub, &tr, &r3);
    commit(f->s, sub, NULL);

    char q[128], b[128];
    snprintf(q, sizeof q, "SELECT hours || ' ' || explanation FROM credits WHERE activity_id = %lld",
             id_late);
    assert_string_equal(q_text(f->s, q, b, sizeof b), "0 base；已计");
    assert_string_equal(q_text(f->s, "SELECT public_hours || ' ' || professional_hours"
                                     " FROM person_years", b, sizeof b), "24 90");
    assert_string_equal(q_text(f->s, "SELECT status || ' ' || records || credited || pending ||"
                                     " rejected FROM submissions", b, sizeof b),
                        "processed 4301");
    assert_int_equal(store_sha_committed(f->s, "sha-big", &id), 1);
    assert_int_equal(store_find_unfinished(f->s, "sha-big", &id, &last), 0);
}

/* A full disk (simulated with max_page_count) is STORE_FULL, "retry
 * later", and leaves nothing half-written. */
static void test_full(void **state)
{
    fixture *f = *state;
    long long pages = q_int(f->s, "PRAGMA page_count");
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", pages + 4);
    q_int(f->s, sql);
    static char payload[3000];
    memset(payload, 'x', sizeof payload - 1);
    long long sub = begin(f->s, "f.json", "sha-full");
    char err[512] = "";
    int rc = STORE_OK;
    for (int i = 0; i < 1000 && rc == STORE_OK; i++) {
        char title[32];
        snprintf(title, sizeof title, "课程%d", i);
        policy_credit c;
        store_activity a = act(P1, "online", "2022-05-10", title);
        a.payload = payload;
        policy_result r = credited(&c, 2022, "professional", 1, "1学时");
        rc = store_put(f->s, sub, &a, &r, NULL, err, sizeof err);
    }
    assert_int_equal(rc, STORE_FULL);
    assert_non_null(strstr(err, "full"));
    /* rolled back: a put now is refused, nothing is there */
    policy_credit c;
    store_activity a = act(P1, "online", "2022-05-10", "x");
    policy_result r = credited(&c, 2022, "professional", 1, "1学时");
    assert_int_equal(store_put(f->s, sub, &a, &r, NULL, err, sizeof err), STORE_ERR);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM activities"), 0);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM submissions"), 0);
    /* space again: the retry goes through */
    q_int(f->s, "PRAGMA max_page_count = 1000000");
    file_one(f->s, "sha-full", &a, &r);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM credits"), 1);
}

/* ---- concurrency --------------------------------------------------------- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_busy(void **state)
{
    fixture *f = *state;
    sqlite3 *other;
    assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    store_set_busy_timeout(f->s, 150);
    char err[256];
    long long id;
    double t0 = now_ms();
    assert_int_equal(store_begin(f->s, "f", "s", "t", &id, err, sizeof err), STORE_BUSY);
    double waited = now_ms() - t0;
    assert_true(waited >= 100);
    assert_true(waited < 3000);
    assert_int_equal(store_put_duplicate(f->s, "f", "s", "t", &id, err, sizeof err), STORE_BUSY);
    assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    long long sub = begin(f->s, "f", "s");
    commit(f->s, sub, NULL);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM submissions"), 1);
}

static void test_reader_during_write(void **state)
{
    fixture *f = *state;
    policy_credit c;
    store_activity a = act(P1, "training", "2022-05-10", "班");
    policy_result r = credited(&c, 2022, "public", 24, "x");
    file_one(f->s, "s1", &a, &r);

    long long sub = begin(f->s, "f2", "s2");
    store_activity b = act(P1, "training", "2022-06-10", "班二");
    put(f->s, sub, &b, &r);

    store *ro;
    char err[256];
    assert_int_equal(store_open(f->path, STORE_READONLY, &ro, err, sizeof err), STORE_OK);
    assert_int_equal(q_int(ro, "SELECT count(*) FROM activities"), 1);
    long long id;
    assert_int_equal(store_sha_committed(ro, "s1", &id), 1);
    assert_int_equal(store_sha_committed(ro, "s2", &id), 0);
    /* a reader cannot write */
    assert_int_equal(store_begin(ro, "x", "y", "z", &id, err, sizeof err), STORE_ERR);
    commit(f->s, sub, NULL);
    assert_int_equal(q_int(ro, "SELECT count(*) FROM activities"), 2);
    store_close(ro);
}

/* A submission's activities are the ids first_activity..last_activity
 * with its submission_id: a file committed in slices may have another
 * file's activities in between, and its receipt must not list them. */
static const char *const slice_titles[] = {"一", "二", "三", "四"};
static const char *const slice_refs[] = {"a1", "a2", "a3", "a4"};

/* Records from..to-1 of the sliced file a.csv (record i is ref a<i+1>). */
static void put_slice(store *s, long long sub, int from, int to, const policy_result *r)
{
    for (int i = from; i < to; i++) {
        store_activity x = act(P1, "training", "2022-05-10", slice_titles[i]);
        x.ref = slice_refs[i];
        x.record_index = i + 1;
        put(s, sub, &x, r);
    }
}

/* "first-last" of a submission's activity range. */
static const char *range_of(store *s, long long sub, char *buf, size_t n)
{
    char q[160];
    snprintf(q, sizeof q, "SELECT first_activity || '-' || last_activity FROM submissions"
                          " WHERE submission_id = %lld", sub);
    return q_text(s, q, buf, n);
}

/* The receipt of sub, as text (the caller frees it). */
static char *receipt_of(store *s, long long sub, const char *name, const char *sha,
                        const char *path)
{
    char err[512] = "";
    if (receipt_write_submission(s, sub, name, sha, "processed", path, err, sizeof err) != 0)
        fail_msg("receipt of %s: %s", name, err);
    char *txt = xt_slurp(path);
    assert_non_null(txt);
    return txt;
}

/* An activity's credits get its block of ids in (year, category) order,
 * whatever order the policy listed them in, and the receipt lists them in
 * that order; the activity's credits are read by that rowid range. */
static void test_credit_blocks(void **state)
{
    fixture *f = *state;
    policy_credit cs[3] = {
        {.year = 2023, .category = "professional", .hours = 3, .explanation = "c"},
        {.year = 2022, .category = "public", .hours = 2, .explanation = "b"},
        {.year = 2022, .category = "professional", .hours = 1, .explanation = "a"},
    };
    policy_result r = {.status = PS_CREDITED, .credits = cs, .ncredits = 3, .policy = &POL};
    store_activity a = act(P1, "training", "2022-05-10", "班");
    long long sub = begin(f->s, "blocks.csv", "s1");
    long long id = put(f->s, sub, &a, &r);
    commit(f->s, sub, NULL);
    char q[256], b[128];
    snprintf(q, sizeof q,
             "SELECT group_concat((credit_id - %lld * 64) || explanation, ' ') FROM"
             " (SELECT * FROM credits WHERE activity_id = %lld ORDER BY credit_id)", id, id);
    assert_string_equal(q_text(f->s, q, b, sizeof b), "0a 1b 2c");

    char path[600];
    snprintf(path, sizeof path, "%s.receipt.json", f->path);
    char *txt = receipt_of(f->s, sub, "blocks.csv", "s1", path);
    const char *pa = strstr(txt, "\"a\""), *pb = strstr(txt, "\"b\""), *pc = strstr(txt, "\"c\"");
    assert_true(pa && pb && pc && pa < pb && pb < pc);
    free(txt);
    unlink(path);

    assert_true(plan_uses(f->s,
                          "SELECT * FROM credits WHERE " STORE_CREDITS_OF_SQL("", "?1"),
                          "INTEGER PRIMARY KEY"));
    /* the receipt's and recompute's join: the range, in order, no
     * automatic index and no sort */
    const char *join = "SELECT a.activity_id, c.year FROM activities a LEFT JOIN credits c"
                       " ON " STORE_CREDITS_OF_SQL("c.", "a.activity_id")
                       " WHERE a.activity_id BETWEEN ?2 AND ?3 AND a.submission_id = ?1"
                       " ORDER BY a.activity_id, c.credit_id";
    assert_false(plan_uses(f->s, join, "AUTOMATIC"));
    assert_false(plan_uses(f->s, join, "TEMP B-TREE"));
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM sqlite_schema"
                                 " WHERE name = 'credits_activity'"), 0);
}

/* Undo migration 9: credits numbered 1, 2, … in the order they were put,
 * found through credits_activity. */
static void schema_back_to_8(store *s)
{
    assert_int_equal(sqlite3_exec(store_db(s),
                                  "CREATE TABLE old_numbers AS SELECT * FROM credits ORDER BY credit_id DESC;"
                                  "DELETE FROM credits;"
                                  "INSERT INTO credits SELECT activity_id, person_id, year, category, hours,"
                                  " policy, policy_sha256, explanation, row_number() OVER (ORDER BY rowid),"
                                  " raw_hours, base_explanation, cap_key, cap_limit, cap_note, revision_id"
                                  " FROM old_numbers;"
                                  "DROP TABLE old_numbers;"
                                  "CREATE INDEX credits_activity ON credits(activity_id, year, category);"
                                  "PRAGMA user_version = 8;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
}

/* A version-8 database: the credits get their blocks, in (year, category)
 * then old-number order, and keep everything else; supersede and receipts
 * work on the migrated rows. */
static void test_migration_9_blocks(void **state)
{
    fixture *f = *state;
    policy_credit two[2] = {
        {.year = 2022, .category = "public", .hours = 2, .explanation = "y"},
        {.year = 2022, .category = "public", .hours = 1, .explanation = "x"},
    };
    policy_result r2 = {.status = PS_CREDITED, .credits = two, .ncredits = 2, .policy = &POL};
    policy_credit c;
    policy_result r1 = credited(&c, 2021, "professional", 5, "z");
    store_activity a = act(P1, "training", "2022-05-10", "一");
    store_activity b = act(P2, "training", "2021-05-10", "二");
    long long sub = begin(f->s, "one.csv", "s1");
    long long ia = put(f->s, sub, &a, &r2);
    long long ib = put(f->s, sub, &b, &r1);
    commit(f->s, sub, NULL);
    /* old numbers, newest first: b's credit 1, a's 2 (y) and 3 (x) */
    schema_back_to_8(f->s);
    char b1[128];
    assert_string_equal(q_text(f->s, "SELECT group_concat(credit_id || explanation, ' ') FROM"
                                     " (SELECT * FROM credits ORDER BY credit_id)", b1, sizeof b1),
                        "1z 2x 3y");
    reopen_current(f);
    char q[256], want[128];
    snprintf(want, sizeof want, "%lldx %lldy %lldz", ia * 64, ia * 64 + 1, ib * 64);
    assert_string_equal(q_text(f->s, "SELECT group_concat(credit_id || explanation, ' ') FROM"
                                     " (SELECT * FROM credits ORDER BY credit_id)", b1, sizeof b1),
                        want);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM sqlite_schema"
                                 " WHERE name = 'credits_activity'"), 0);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM sqlite_schema WHERE name IN"
                                 " ('credits_person_year', 'credits_capped')"), 2);
    /* a superseded migrated activity takes its credits to history */
    long long again = file_one(f->s, "s2", &a, &r1);
    snprintf(q, sizeof q, "SELECT count(*) FROM credit_history WHERE activity_id = %lld", ia);
    assert_int_equal(q_int(f->s, q), 2);
    snprintf(q, sizeof q, "SELECT count(*) FROM credits WHERE activity_id IN (%lld, %lld)", ia, again);
    assert_int_equal(q_int(f->s, q), 1);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"), 0);
}

/* The receipt of f's submission sub written in one pass, in two halves
 * (the second on a thread), and with a second half that cannot start is
 * the same file. Returns the one-pass text. */
static char *receipt_both_ways(fixture *f, long long sub, const char *name, const char *sha)
{
    char path[600];
    snprintf(path, sizeof path, "%s.receipt.json", f->path);
    char *one = receipt_of(f->s, sub, name, sha, path);
    receipt_set_split(1);
    char *two = receipt_of(f->s, sub, name, sha, path);
    receipt_set_split(-1); /* the second half cannot start: one pass, all of it */
    char *fallback = receipt_of(f->s, sub, name, sha, path);
    receipt_set_split(0);
    assert_string_equal(two, one);
    assert_string_equal(fallback, one);
    free(two);
    free(fallback);
    unlink(path);
    return one;
}

static void test_receipt_of_interleaved_slices(void **state)
{
    fixture *f = *state;
    char err[512] = "";
    policy_credit c;
    policy_result r = credited(&c, 2022, "public", 10, "培训1天：10学时");

    long long a = begin(f->s, "a.csv", "sha-a");
    put_slice(f->s, a, 0, 2, &r);
    assert_int_equal(store_checkpoint(f->s, a, 2, comply, NULL, err, sizeof err), STORE_OK);

    long long b = begin(f->s, "b.csv", "sha-b");
    store_activity y = act(P2, "training", "2022-05-10", "乙");
    y.ref = "b1";
    put(f->s, b, &y, &r);
    commit(f->s, b, NULL);

    assert_int_equal(store_resume(f->s, a, err, sizeof err), STORE_OK);
    put_slice(f->s, a, 2, 4, &r);
    commit(f->s, a, NULL);

    char buf[64];
    assert_string_equal(range_of(f->s, a, buf, sizeof buf), "1-5");
    assert_string_equal(range_of(f->s, b, buf, sizeof buf), "3-3");

    char path[600];
    snprintf(path, sizeof path, "%s.receipt.json", f->path);
    char *txt = receipt_both_ways(f, a, "a.csv", "sha-a");
    for (int i = 0; i < 4; i++) {
        char want[32];
        snprintf(want, sizeof want, "\"ref\":\"%s\"", slice_refs[i]);
        if (!strstr(txt, want))
            fail_msg("receipt of a.csv lacks %s:\n%s", want, txt);
    }
    assert_null(strstr(txt, "\"b1\""));
    assert_non_null(strstr(txt, "\"records\":4,"));
    free(txt);
    txt = receipt_of(f->s, b, "b.csv", "sha-b", path);
    assert_non_null(strstr(txt, "\"ref\":\"b1\""));
    assert_null(strstr(txt, "\"a1\""));
    assert_non_null(strstr(txt, "\"records\":1,"));
    free(txt);
    unlink(path);
}

/* Halves: records with several credits, none, a NULL year, one superseded
 * by a later record of the same file. (A range shared with another
 * submission: test_receipt_of_interleaved_slices.) */
static void test_receipt_in_two_halves(void **state)
{
    fixture *f = *state;
    policy_credit cs[2] = {
        {.year = 2022, .category = "public", .hours = 4, .explanation = "甲"},
        {.year = 2021, .category = "professional", .hours = 16.5, .explanation = "乙"},
    };
    policy_result two = {.status = PS_CREDITED, .credits = cs, .ncredits = 2, .policy = &POL};
    policy_result pend = outcome(PS_PENDING, "missing_materials", "缺少材料");
    policy_result rej = outcome(PS_REJECTED, "invalid_value", "日期无效");
    long long sub = begin(f->s, "mix.csv", "sha-mix");
    const char *titles[] = {"一", "二", "三", "四", "五", "六", "七"};
    for (int i = 0; i < 7; i++) {
        store_activity a = act(i % 2 ? P1 : P2, "training", "2022-05-10", titles[i]);
        a.record_index = i + 1;
        const policy_result *r = i % 3 == 0 ? &two : i % 3 == 1 ? &pend : &rej;
        if (r == &rej)
            a.year = 0;
        put(f->s, sub, &a, r);
    }
    store_activity again = act(P2, "training", "2022-05-10", "一"); /* supersedes record 1 */
    again.record_index = 8;
    put(f->s, sub, &again, &two);
    commit(f->s, sub, NULL);
    char *txt = receipt_both_ways(f, sub, "mix.csv", "sha-mix");
    assert_non_null(strstr(txt, "\"records\":8,\"credited\":3,\"pending_materials\":2,"
                                "\"rejected\":2,\"superseded\":1}"));
    free(txt);
}

/* Migration 7 on a database of version 6: the ranges of the submissions
 * already there are filled in, and the index on submission_id goes. */
/* Undo migration 8 (as a version-7 database has it: the partial identity
 * index and activities_person, no live column). */
static void schema_back_to_7(store *s)
{
    schema_back_to_8(s);
    assert_int_equal(sqlite3_exec(store_db(s),
                                  "DROP INDEX activities_identity;"
                                  "ALTER TABLE activities DROP COLUMN live;"
                                  "CREATE UNIQUE INDEX activities_identity ON activities"
                                  " (person_id, kind, date, title)"
                                  " WHERE has_identity = 1 AND status <> 'superseded';"
                                  "CREATE INDEX activities_person ON activities(person_id, year);"
                                  "PRAGMA user_version = 7;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
}

/* A version-7 database: live is 1 exactly for the live activity of an
 * identity; the old indexes are gone, and the migrated rows still
 * supersede and are still unique. */
static void test_migration_8_live(void **state)
{
    fixture *f = *state;
    policy_credit c;
    policy_result r = credited(&c, 2022, "public", 10, "x");
    store_activity a = act(P1, "training", "2022-05-10", "一");
    store_activity other = act(P1, "training", "2022-05-11", "二");
    store_activity odd = act(P1, "training", "2022-05-12", "三");
    odd.has_identity = 0;
    long long sub = begin(f->s, "one.csv", "s1");
    long long old = put(f->s, sub, &a, &r);
    long long keep = put(f->s, sub, &other, &r);
    long long noid = put(f->s, sub, &odd, &r);
    commit(f->s, sub, NULL);
    long long newer = file_one(f->s, "s2", &a, &r); /* supersedes old */
    schema_back_to_7(f->s);
    reopen_current(f);
    char q[256], b[64];
    snprintf(q, sizeof q,
             "SELECT group_concat(ifnull(live, '-'), ' ') FROM"
             " (SELECT live FROM activities WHERE activity_id IN (%lld, %lld, %lld, %lld)"
             "  ORDER BY activity_id)",
             old, keep, noid, newer);
    assert_string_equal(q_text(f->s, q, b, sizeof b), "- 1 - 1");
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM sqlite_schema"
                                 " WHERE name = 'activities_person'"), 0);
    /* the migrated live row is found and superseded by a third submission */
    long long third = file_one(f->s, "s3", &a, &r);
    snprintf(q, sizeof q, "SELECT superseded_by FROM activities WHERE activity_id = %lld", newer);
    assert_int_equal(q_int(f->s, q), third);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM activities WHERE live = 1"), 2);
    /* the database itself refuses a second live row of an identity */
    snprintf(q, sizeof q, "UPDATE activities SET live = 1 WHERE activity_id = %lld", newer);
    assert_int_not_equal(sqlite3_exec(store_db(f->s), q, NULL, NULL, NULL), SQLITE_OK);
}

static void test_migration_7_ranges(void **state)
{
    fixture *f = *state;
    policy_credit c;
    policy_result r = credited(&c, 2022, "public", 10, "x");
    store_activity a1 = act(P1, "training", "2022-05-10", "一");
    store_activity a2 = act(P1, "training", "2022-05-11", "二");
    long long sub = begin(f->s, "one.csv", "s1");
    put(f->s, sub, &a1, &r);
    put(f->s, sub, &a2, &r);
    commit(f->s, sub, NULL);
    long long empty = begin(f->s, "empty.csv", "s2");
    commit(f->s, empty, NULL);
    schema_back_to_7(f->s);
    assert_int_equal(sqlite3_exec(store_db(f->s),
                                  "ALTER TABLE submissions DROP COLUMN first_activity;"
                                  "ALTER TABLE submissions DROP COLUMN last_activity;"
                                  "CREATE INDEX activities_submission ON activities(submission_id);"
                                  "PRAGMA user_version = 6;", NULL, NULL, NULL), SQLITE_OK);
    reopen_current(f);
    char buf[64];
    assert_string_equal(q_text(f->s, "SELECT group_concat(ifnull(first_activity, '-') || ':' ||"
                                     " ifnull(last_activity, '-'), ' ') FROM submissions",
                               buf, sizeof buf), "1:2 -:-");
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM sqlite_schema"
                                 " WHERE name = 'activities_submission'"), 0);
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* One file of 3,000 activities of date with 2 KB payloads each, committed:
 * some 1,500 pages of WAL. */
static void file_big(store *s, const char *sha, const char *date, const policy_result *r)
{
    static char payload[2048];
    memset(payload, 'p', sizeof payload - 1);
    long long sub = begin(s, sha, sha);
    for (int i = 0; i < 3000; i++) {
        char title[32];
        snprintf(title, sizeof title, "班%d", i);
        store_activity b = act(P2, "training", date, title);
        b.payload = payload;
        put(s, sub, &b, r);
    }
    commit(s, sub, NULL);
}

/* STORE_BG_CHECKPOINT: a commit that leaves the WAL past 1000 pages wakes
 * the checkpoint thread, which copies the pages into the database file; a
 * small commit does not; a store without the flag has no thread. */
static void test_background_checkpoint(void **state)
{
    fixture *f = *state;
    assert_int_equal(store_wal_checkpoint_wait(f->s), -1);
    store_close(f->s);
    char err[256];
    assert_int_equal(store_open(f->path, STORE_BG_CHECKPOINT, &f->s, err, sizeof err), STORE_OK);

    policy_credit c;
    policy_result r = credited(&c, 2022, "public", 24, "x");
    store_activity a = act(P1, "training", "2022-05-10", "班");
    file_one(f->s, "small", &a, &r);
    assert_int_equal(store_wal_checkpoint_wait(f->s), 0);
    long long before = file_size(f->path);

    file_big(f->s, "big", "2022-06-10", &r);
    long long n = store_wal_checkpoint_wait(f->s);
    assert_true(n >= 1);
    long long after = file_size(f->path);
    if (after < before + 3000LL * 2048)
        fail_msg("database file %lld bytes after the checkpoint, %lld before", after, before);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM activities"), 3001);

    /* The same again: the WAL started over after the complete copy, and a
     * commit of as many pages asks for the next one (the size at the last
     * request does not hold it back). */
    file_big(f->s, "big2", "2022-07-10", &r);
    assert_true(store_wal_checkpoint_wait(f->s) > n);
    long long again = file_size(f->path);
    if (again < after + 3000LL * 2048)
        fail_msg("database file %lld bytes after the second checkpoint, %lld before", again, after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_schema),
        T(test_identity_index_used),
        T(test_reopen_keeps_version),
        T(test_newer_refused),
        cmocka_unit_test(test_migrates_empty_file),
        T(test_file_mode),
        T(test_put_commit),
        T(test_rollback),
        T(test_commit_failure_rolls_back),
        T(test_begin_twice_refused),
        T(test_identical_resubmission),
        T(test_supersede_within_file),
        T(test_supersede_within_file_moves_year),
        T(test_new_credits_after_deleting_newest),
        T(test_pending_then_credited),
        T(test_no_identity_never_supersedes),
        T(test_last_credit_superseded_deletes_year),
        T(test_whole_year_and_compliance),
        T(test_person_years_of_many_pairs),
        T(test_compliance_from_callback),
        T(test_prior_covers),
        T(test_people_latest_wins),
        T(test_duplicate_and_sha),
        T(test_slices),
        T(test_full),
        T(test_busy),
        T(test_reader_during_write),
        T(test_background_checkpoint),
        T(test_receipt_of_interleaved_slices),
        T(test_receipt_in_two_halves),
        T(test_migration_7_ranges),
        T(test_migration_8_live),
        T(test_credit_blocks),
        T(test_migration_9_blocks),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
