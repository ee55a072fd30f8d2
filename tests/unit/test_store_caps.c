/* store caps (policy_credit.cap_*): once per person-year, in (date, title)
 * order whatever the put order, re-applied when the person-year changes. */
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
#include "store.h"

/* ---- helpers ------------------------------------------------------------- */

static const policy_info POL = {
    .year = 2022,
    .name = "2022.lua",
    .path = "rules/2022.lua",
    .sha256 = "2222222222222222222222222222222222222222222222222222222222222222",
};

#define P1 "430302198001011234"
#define P2 "430302198503154569"

typedef struct fixture {
    char path[512];
    store *s;
} fixture;

static void mkdir_p(const char *dir)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    }
    mkdir(buf, 0755);
}

static void remove_db(const char *path)
{
    char b[600];
    unlink(path);
    snprintf(b, sizeof b, "%s-wal", path);
    unlink(b);
    snprintf(b, sizeof b, "%s-shm", path);
    unlink(b);
}

static void unique_path(char *out, size_t n, const char *tag)
{
    static int counter;
    mkdir_p(XS_TEST_TMP_DIR);
    snprintf(out, n, "%s/store-%s-%ld-%d.db", XS_TEST_TMP_DIR, tag, (long)getpid(), ++counter);
    remove_db(out);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    unique_path(f->path, sizeof f->path, "t");
    char err[512];
    int rc = store_open(f->path, 0, &f->s, err, sizeof err);
    if (rc != STORE_OK) {
        fprintf(stderr, "store_open: %s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

/* Every scenario leaves a consistent database: the REFERENCES hold (the
 * store does not enforce them, see store_open.c) and SQLite agrees. */
static void check_integrity(store *s)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(store_db(s), "PRAGMA foreign_key_check", -1, &st, NULL),
                     SQLITE_OK);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        fail_msg("foreign key violation in %s rowid %lld", sqlite3_column_text(st, 0),
                 (long long)sqlite3_column_int64(st, 1));
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(store_db(s), "PRAGMA integrity_check", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->s)
        check_integrity(f->s);
    store_close(f->s);
    remove_db(f->path);
    free(f);
    return 0;
}

static long long q_int(store *s, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL), SQLITE_OK);
    int rc = sqlite3_step(st);
    long long v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -999;
    sqlite3_finalize(st);
    return v;
}

static double q_double(store *s, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL), SQLITE_OK);
    int rc = sqlite3_step(st);
    double v = rc == SQLITE_ROW ? sqlite3_column_double(st, 0) : -999;
    sqlite3_finalize(st);
    return v;
}

/* First column of the first row as text ("<none>" without a row, "<null>"). */
static const char *q_text(store *s, const char *sql, char *buf, size_t n)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL), SQLITE_OK);
    int rc = sqlite3_step(st);
    const char *t = rc != SQLITE_ROW ? "<none>"
                    : sqlite3_column_type(st, 0) == SQLITE_NULL ? "<null>"
                    : (const char *)sqlite3_column_text(st, 0);
    snprintf(buf, n, "%s", t);
    sqlite3_finalize(st);
    return buf;
}

static store_activity act(const char *person, const char *kind, const char *date,
                          const char *title)
{
    store_activity a = {0};
    a.person_id = person;
    a.name = "张三";
    a.unit = "湘潭市中心医院";
    a.kind = kind;
    a.subject = "public";
    a.topic = "区块链技术与应用";
    a.title = title;
    a.date = date;
    a.year = date ? atoi(date) : 0;
    a.has_identity = person && kind && date && title;
    a.payload = "{}";
    a.record_index = 1;
    a.ref = "r1";
    return a;
}

/* A credited result with one credit (c is the caller's storage). */
static policy_result credited(policy_credit *c, int year, const char *category,
                              double hours, const char *expl)
{
    memset(c, 0, sizeof *c);
    c->year = year;
    snprintf(c->category, sizeof c->category, "%s", category);
    c->hours = hours;
    c->explanation = (char *)expl;
    policy_result r = {0};
    r.status = PS_CREDITED;
    r.credits = c;
    r.ncredits = 1;
    r.policy = &POL;
    return r;
}

static policy_result outcome(int status, const char *code, const char *reason)
{
    policy_result r = {0};
    r.status = status;
    snprintf(r.reason_code, sizeof r.reason_code, "%s", code);
    r.reason = (char *)reason;
    r.policy = &POL;
    return r;
}

typedef struct comp {
    int calls;
    int last_year;
    policy_year_totals last;
} comp;

/* SPEC §4 2022 rule, and a record of what the store asked. */
static int comply(void *ud, int year, const policy_year_totals *t, int *compliant)
{
    comp *c = ud;
    if (c) {
        c->calls++;
        c->last_year = year;
        c->last = *t;
    }
    *compliant = t->whole_year ||
                 (t->professional_hours >= 60 && t->public_hours + t->professional_hours >= 90);
    return 0;
}

static long long begin(store *s, const char *file, const char *sha)
{
    char err[512] = "";
    long long id = 0;
    int rc = store_begin(s, file, sha, "2022-06-01T08:00:00+08:00", &id, err, sizeof err);
    if (rc != STORE_OK)
        fail_msg("store_begin: %d %s", rc, err);
    return id;
}

static long long put(store *s, long long sub, const store_activity *a, const policy_result *r)
{
    char err[512] = "";
    long long id = 0;
    int rc = store_put(s, sub, a, r, &id, err, sizeof err);
    if (rc != STORE_OK)
        fail_msg("store_put: %d %s", rc, err);
    return id;
}

static void commit(store *s, long long sub, comp *c)
{
    char err[512] = "";
    int rc = store_commit(s, sub, comply, c, err, sizeof err);
    if (rc != STORE_OK)
        fail_msg("store_commit: %d %s", rc, err);
}

/* One file with one credited record. */
static long long file_one(store *s, const char *sha, const store_activity *a,
                          const policy_result *r)
{
    long long sub = begin(s, "f.json", sha);
    long long id = put(s, sub, a, r);
    commit(s, sub, NULL);
    return id;
}

/* ---- caps ---------------------------------------------------------------- */

#define DEGREE_NOTE "学历教育当年度已计90学时，本项计0学时"

/* A passed degree course: professional 90, once per person-year. */
static policy_result degree(policy_credit *c, int year, const char *expl)
{
    policy_result r = credited(c, year, "professional", 90, expl);
    c->cap_key = "degree_course";
    c->cap_limit = 90;
    c->cap_note = DEGREE_NOTE;
    return r;
}

static void credit_of(store *s, long long activity_id, double *hours, char *expl, size_t n)
{
    char q[160];
    snprintf(q, sizeof q, "SELECT hours FROM credits WHERE activity_id = %lld", activity_id);
    *hours = q_double(s, q);
    snprintf(q, sizeof q, "SELECT explanation FROM credits WHERE activity_id = %lld", activity_id);
    q_text(s, q, expl, n);
}

static void test_two_degree_courses_by_date(void **state)
{
    fixture *f = *state;
    long long sub = begin(f->s, "lisi.json", "s1");
    policy_credit c1, c2;
    /* the later-dated one first */
    store_activity late = act(P2, "degree_course", "2021-09-01", "A课程");
    policy_result r1 = degree(&c1, 2021, "学历教育课程合格：90学时");
    long long id_late = put(f->s, sub, &late, &r1);
    store_activity early = act(P2, "degree_course", "2021-03-01", "Z课程");
    policy_result r2 = degree(&c2, 2021, "学历教育课程合格：90学时");
    long long id_early = put(f->s, sub, &early, &r2);
    comp cp = {0};
    commit(f->s, sub, &cp);

    double h;
    char e[256];
    credit_of(f->s, id_early, &h, e, sizeof e);
    assert_true(h == 90);
    assert_string_equal(e, "学历教育课程合格：90学时");
    credit_of(f->s, id_late, &h, e, sizeof e);
    assert_true(h == 0);
    assert_string_equal(e, "学历教育课程合格：90学时；" DEGREE_NOTE);
    assert_int_equal(q_int(f->s, "SELECT professional_hours FROM person_years"), 90);
    assert_true(cp.last.professional_hours == 90);
    /* both stay credited (0 hours with the reason, SPEC §5) */
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM activities WHERE status = 'credited'"), 2);
    /* raw hours are kept for the next recomputation */
    assert_int_equal(q_int(f->s, "SELECT sum(raw_hours) FROM credits"), 180);
}

static void test_same_date_by_title(void **state)
{
    fixture *f = *state;
    long long sub = begin(f->s, "f", "s1");
    policy_credit c1, c2;
    store_activity b = act(P2, "degree_course", "2021-03-01", "Beta");
    policy_result r1 = degree(&c1, 2021, "x");
    long long id_b = put(f->s, sub, &b, &r1);
    store_activity a = act(P2, "degree_course", "2021-03-01", "Alpha");
    policy_result r2 = degree(&c2, 2021, "x");
    long long id_a = put(f->s, sub, &a, &r2);
    commit(f->s, sub, NULL);
    double h;
    char e[256];
    credit_of(f->s, id_a, &h, e, sizeof e);
    assert_true(h == 90);
    credit_of(f->s, id_b, &h, e, sizeof e);
    assert_true(h == 0);
}

/* The earlier course arrives in a later file: the cap moves to it, and the
 * credit from the first file (not put again) is cut. */
static void test_cap_across_files(void **state)
{
    fixture *f = *state;
    policy_credit c1, c2;
    store_activity late = act(P2, "degree_course", "2021-09-01", "后");
    policy_result r1 = degree(&c1, 2021, "base");
    long long id_late = file_one(f->s, "s1", &late, &r1);
    double h;
    char e[256];
    credit_of(f->s, id_late, &h, e, sizeof e);
    assert_true(h == 90);
    assert_string_equal(e, "base");

    store_activity early = act(P2, "degree_course", "2021-03-01", "前");
    policy_result r2 = degree(&c2, 2021, "base");
    long long id_early = file_one(f->s, "s2", &early, &r2);
    credit_of(f->s, id_early, &h, e, sizeof e);
    assert_true(h == 90);
    credit_of(f->s, id_late, &h, e, sizeof e);
    assert_true(h == 0);
    assert_string_equal(e, "base；" DEGREE_NOTE);
    assert_int_equal(q_int(f->s, "SELECT professional_hours FROM person_years"), 90);
}

/* Superseding the course that had the 90 hands them to the other one, with
 * its explanation back to the policy's own text. */
static void test_supersede_capped_first(void **state)
{
    fixture *f = *state;
    long long sub = begin(f->s, "f", "s1");
    policy_credit c1, c2;
    store_activity early = act(P2, "degree_course", "2021-03-01", "前");
    policy_result r1 = degree(&c1, 2021, "base-early");
    put(f->s, sub, &early, &r1);
    store_activity late = act(P2, "degree_course", "2021-09-01", "后");
    policy_result r2 = degree(&c2, 2021, "base-late");
    long long id_late = put(f->s, sub, &late, &r2);
    commit(f->s, sub, NULL);
    double h;
    char e[256];
    credit_of(f->s, id_late, &h, e, sizeof e);
    assert_true(h == 0);

    /* an identical resubmission of the early one changes nothing */
    policy_credit c3;
    policy_result r3 = degree(&c3, 2021, "base-early");
    long long id_early2 = file_one(f->s, "s2", &early, &r3);
    credit_of(f->s, id_early2, &h, e, sizeof e);
    assert_true(h == 90);
    credit_of(f->s, id_late, &h, e, sizeof e);
    assert_true(h == 0);
    assert_string_equal(e, "base-late；" DEGREE_NOTE);

    /* now it comes back not passed */
    policy_result rej = outcome(PS_REJECTED, "not_creditable", "课程未通过");
    file_one(f->s, "s3", &early, &rej);
    credit_of(f->s, id_late, &h, e, sizeof e);
    assert_true(h == 90);
    assert_string_equal(e, "base-late");
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM credits"), 1);
    assert_int_equal(q_int(f->s, "SELECT professional_hours FROM person_years"), 90);
}

/* Caps are per person, per year and per key. */
static void test_cap_scope(void **state)
{
    fixture *f = *state;
    long long sub = begin(f->s, "f", "s1");
    policy_credit c[4];
    store_activity a1 = act(P2, "degree_course", "2021-03-01", "课1");
    policy_result r1 = degree(&c[0], 2021, "x");
    put(f->s, sub, &a1, &r1);
    store_activity a2 = act(P2, "degree_course", "2022-03-01", "课2");
    policy_result r2 = degree(&c[1], 2022, "x");
    put(f->s, sub, &a2, &r2);
    store_activity a3 = act(P1, "degree_course", "2021-03-01", "课1");
    policy_result r3 = degree(&c[2], 2021, "x");
    put(f->s, sub, &a3, &r3);
    store_activity a4 = act(P2, "qualification_exam", "2021-05-01", "考试");
    policy_result r4 = credited(&c[3], 2021, "professional", 90, "x");
    c[3].cap_key = "qualification_exam";
    c[3].cap_limit = 90;
    put(f->s, sub, &a4, &r4);
    commit(f->s, sub, NULL);
    assert_int_equal(q_int(f->s, "SELECT count(*) FROM credits WHERE hours = 90"), 4);
    assert_int_equal(q_int(f->s, "SELECT professional_hours FROM person_years"
                                 " WHERE person_id = '" P2 "' AND year = 2021"), 180);
}

/* A cap can cut part of a credit; without a note the store says why. */
static void test_partial_cap_and_default_note(void **state)
{
    fixture *f = *state;
    long long sub = begin(f->s, "f", "s1");
    policy_credit c[3];
    const char *dates[3] = {"2021-01-01", "2021-02-01", "2021-03-01"};
    long long ids[3];
    for (int i = 0; i < 3; i++) {
        char title[16];
        snprintf(title, sizeof title, "T%d", i);
        store_activity a = act(P2, "online", dates[i], title);
        policy_result r = credited(&c[i], 2021, "professional", 40, "网络课程40学时");
        c[i].cap_key = "online";
        c[i].cap_limit = 100;
        ids[i] = put(f->s, sub, &a, &r);
    }
    commit(f->s, sub, NULL);
    double h;
    char e[256];
    credit_of(f->s, ids[0], &h, e, sizeof e);
    assert_true(h == 40);
    assert_string_equal(e, "网络课程40学时");
    credit_of(f->s, ids[2], &h, e, sizeof e);
    assert_true(h == 20);
    assert_string_equal(e, "网络课程40学时；本年度同类学时上限100学时，本项计20学时");
    assert_int_equal(q_int(f->s, "SELECT professional_hours FROM person_years"), 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_two_degree_courses_by_date),
        T(test_same_date_by_title),
        T(test_cap_across_files),
        T(test_supersede_capped_first),
        T(test_cap_scope),
        T(test_partial_cap_and_default_note),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
