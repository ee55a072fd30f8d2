/*
 * Fixtures shared by the store's unit tests (test_store.c,
 * test_store_caps.c): a fresh database per test, hand-built policy results,
 * and begin/put/commit wrappers that fail the test on any error. Included,
 * not linked: the helpers are static so that each test program is whole.
 */
#ifndef XS_STORE_FIXTURE_H
#define XS_STORE_FIXTURE_H
#pragma GCC diagnostic ignored "-Wunused-function"
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
#endif
