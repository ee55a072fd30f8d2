/*
 * The pieces recompute is built from: a stored payload read back as the
 * record it was written from (record_payload_parse ∘ record_payload_write =
 * the same normalised activity), caps as a pure function (store_cap_take,
 * store_cap_cmp: the store's order and texts), and the store's recompute
 * API (in place, history, revisions, caps and person_years re-applied).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "record.h"
#include "store.h"

/* ---- payload ------------------------------------------------------------- */

static void normalise_both(const xs_record *raw, activity *a, activity *b, record_payload *pp)
{
    char buf[RECORD_ARENA * 2];
    assert_true(record_payload_write(raw, buf, sizeof buf) >= 0);
    assert_int_equal(record_payload_parse(buf, raw->index, raw->line, pp), 0);
    record_normalise(raw, "2026-11-28", a);
    record_normalise(&pp->rec, "2026-11-28", b);
}

static void assert_same_activity(const activity *a, const activity *b)
{
    for (int f = 0; f < RF__COUNT; f++) {
        assert_int_equal(a->f[f].present, b->f[f].present);
        if (a->f[f].present)
            assert_string_equal(a->f[f].text, b->f[f].text);
    }
    assert_int_equal(a->nevidence, b->nevidence);
    for (size_t i = 0; i < a->nevidence; i++)
        assert_string_equal(a->evidence[i], b->evidence[i]);
    assert_int_equal(a->year, b->year);
    assert_int_equal(a->has_identity, b->has_identity);
    assert_true((a->reason_code == NULL) == (b->reason_code == NULL));
    if (a->reason_code) {
        assert_string_equal(a->reason_code, b->reason_code);
        assert_string_equal(a->reason, b->reason);
    }
}

static void test_payload_round_trip(void **state)
{
    static activity a, b;
    static record_payload pp;
    const xs_field f[] = {
        {"身份证号", "430302198001011234"}, {"姓名", "张三"}, {"类型", "培训班"},
        {"科目", "公需"}, {"主题", "区块链技术与应用"}, {"名称", "培训班"},
        {"日期", "2022/5/10"}, {"天数", "2.0"}, {"半天数", ""}, {"备注", "随便"},
        {"材料", "通知、课程表"},
    };
    const char *ev[] = {"签到表", "certificate; notice"};
    xs_record raw = {.index = 4, .line = 5, .fields = f, .nfields = 11, .evidence = ev, .nevidence = 2};
    normalise_both(&raw, &a, &b, &pp);
    assert_null(a.reason_code);
    assert_same_activity(&a, &b);
    assert_int_equal(pp.rec.nfields, 11);
    assert_int_equal(pp.rec.nevidence, 2);
    assert_string_equal(pp.rec.fields[5].value, "培训班");
    assert_int_equal(a.nevidence, 5);

    /* A field the file itself called "evidence", last: parsed as an
     * evidence entry; the normaliser makes the same of it. */
    const xs_field g[] = {{"id", "430302198001011234"}, {"name", "张三"}, {"kind", "paper"},
                          {"title", "论文"}, {"date", "2022-07-01"}, {"evidence", "toc|cover"}};
    xs_record raw2 = {.index = 1, .fields = g, .nfields = 6};
    normalise_both(&raw2, &a, &b, &pp);
    assert_same_activity(&a, &b);
    assert_int_equal(a.nevidence, 2);

    /* A rejected record is rejected the same way (the reason names the
     * record by its index and line, which the caller passes back). */
    const xs_field h[] = {{"id", "430302198001011235"}, {"name", "张三"}, {"kind", "论文"}};
    xs_record raw3 = {.index = 7, .line = 8, .fields = h, .nfields = 3};
    normalise_both(&raw3, &a, &b, &pp);
    assert_string_equal(a.reason_code, "invalid_id");
    assert_same_activity(&a, &b);

    /* The payload's own separators inside a value become spaces (they mean
     * nothing in a submission). */
    const xs_field k[] = {{"title", "a\x1f" "b\x1e" "c"}};
    xs_record raw4 = {.index = 1, .fields = k, .nfields = 1};
    char buf[256];
    assert_true(record_payload_write(&raw4, buf, sizeof buf) > 0);
    assert_int_equal(record_payload_parse(buf, 1, 0, &pp), 0);
    assert_string_equal(pp.rec.fields[0].value, "a b c");

    /* Nothing at all. */
    xs_record none = {.index = 1};
    normalise_both(&none, &a, &b, &pp);
    assert_same_activity(&a, &b);
    assert_int_equal(record_payload_parse("", 1, 0, &pp), 0);
    assert_int_equal(pp.rec.nfields + pp.rec.nevidence, 0);
    assert_int_equal(record_payload_parse(NULL, 1, 0, &pp), 0);
    /* A torn tail is dropped, not misread. */
    assert_int_equal(record_payload_parse("id\x1f" "1\x1ename\x1f" "x", 1, 0, &pp), 0);
    assert_int_equal(pp.rec.nfields, 1);
}

static void test_payload_limits(void **state)
{
    static record_payload pp;
    size_t n = RECORD_PAYLOAD_MAX + 1;
    char *big = malloc(n * 4 + 1), *p = big;
    for (size_t i = 0; i < n; i++) {
        *p++ = 'k';
        *p++ = '\x1f';
        *p++ = 'v';
        *p++ = '\x1e';
    }
    *p = '\0';
    assert_int_equal(record_payload_parse(big, 1, 0, &pp), -1);
    free(big);
    char *huge = malloc(sizeof pp.buf + 10);
    memset(huge, 'x', sizeof pp.buf + 9);
    huge[sizeof pp.buf + 9] = '\0';
    assert_int_equal(record_payload_parse(huge, 1, 0, &pp), -1);
    free(huge);
}

/* ---- caps as a pure function ---------------------------------------------- */

static void test_cap_take(void **state)
{
    double used = 0, h;
    char *e;
    assert_int_equal(store_cap_take(90, 90, &used, "学历教育：90学时", "已计90学时，本项不再计", &h, &e), 0);
    assert_true(h == 90 && used == 90);
    assert_string_equal(e, "学历教育：90学时");
    free(e);
    assert_int_equal(store_cap_take(90, 90, &used, "学历教育：90学时", "已计90学时，本项不再计", &h, &e), 0);
    assert_true(h == 0);
    assert_string_equal(e, "学历教育：90学时；已计90学时，本项不再计");
    free(e);
    /* A partial cut without a note says what happened. */
    used = 0;
    assert_int_equal(store_cap_take(120, 90, &used, "A", NULL, &h, &e), 0);
    free(e);
    assert_int_equal(store_cap_take(120, 90, &used, "B", NULL, &h, &e), 0);
    assert_true(h == 30);
    assert_string_equal(e, "B；本年度同类学时上限120学时，本项计30学时");
    free(e);
    /* No base text and nothing cut: no explanation. */
    used = 0;
    assert_int_equal(store_cap_take(90, 10, &used, NULL, "n", &h, &e), 0);
    assert_null(e);
    assert_true(h == 10);
}

static void test_cap_order(void **state)
{
    store_cap_item a = {2021, "degree_course", "2021-01-10", "课程A", "degree_course", 7};
    store_cap_item b = a;
    assert_int_equal(store_cap_cmp(&a, &b), 0);
    b.activity_id = 3; /* only the id differs: it breaks the tie */
    assert_true(store_cap_cmp(&b, &a) < 0);
    b = a;
    b.date = "2021-01-09";
    assert_true(store_cap_cmp(&b, &a) < 0);
    b = a;
    b.title = "课程"; /* a prefix sorts first, as in SQLite */
    assert_true(store_cap_cmp(&b, &a) < 0);
    b = a;
    b.title = NULL; /* NULL first */
    assert_true(store_cap_cmp(&b, &a) < 0);
    b = a;
    b.year = 2020;
    b.date = "2099-01-01";
    assert_true(store_cap_cmp(&b, &a) < 0);
    b = a;
    b.cap_key = "a_key";
    assert_true(store_cap_cmp(&b, &a) < 0);
}

/* ---- the store's recompute API ------------------------------------------- */

static const policy_info POL_A = {.year = 2022, .name = "2022.lua", .path = "rules/2022.lua",
    .sha256 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
static const policy_info POL_B = {.year = 2022, .name = "2022.lua", .path = "rules/2022.lua",
    .sha256 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"};
#define P1 "430302198001011234"

static int comply(void *ud, int year, const policy_year_totals *t, int *compliant)
{
    (void)ud;
    (void)year;
    *compliant = t->whole_year || (t->professional_hours >= 60 &&
                                   t->public_hours + t->professional_hours >= 90);
    return 0;
}

static const char *q(store *s, const char *sql)
{
    static char buf[1024];
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL), SQLITE_OK);
    int rc = sqlite3_step(st);
    const char *t = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL
                        ? (const char *)sqlite3_column_text(st, 0) : "";
    snprintf(buf, sizeof buf, "%s", t);
    sqlite3_finalize(st);
    return buf;
}

static policy_result degree(policy_credit *c, double limit, const policy_info *pol)
{
    memset(c, 0, sizeof *c);
    c->year = 2022;
    snprintf(c->category, sizeof c->category, "professional");
    c->hours = 90;
    c->explanation = "学历教育课程考核通过：90学时";
    c->cap_key = "degree_course";
    c->cap_limit = limit;
    c->cap_note = "学历教育当年度已计90学时，本项不再计";
    policy_result r = {.status = PS_CREDITED, .credits = c, .ncredits = 1, .policy = pol};
    return r;
}

static void put(store *s, long long sid, const char *title, const char *date, const policy_result *r,
                long long *id)
{
    char err[512];
    store_activity a = {.person_id = P1, .name = "张三", .kind = "degree_course", .title = title,
                        .date = date, .year = 2022, .has_identity = 1, .payload = "", .record_index = 1};
    assert_int_equal(store_put(s, sid, &a, r, id, err, sizeof err), STORE_OK);
}

static void test_store_recompute(void **state)
{
    char path[512], err[512];
    mkdir(XS_TEST_TMP_DIR, 0755);
    snprintf(path, sizeof path, "%s/recompute-unit-%d.db", XS_TEST_TMP_DIR, (int)getpid());
    unlink(path);
    store *s;
    assert_int_equal(store_open(path, 0, &s, err, sizeof err), STORE_OK);
    long long sid, a1, a2;
    policy_credit c1, c2;
    policy_result r1 = degree(&c1, 90, &POL_A), r2 = degree(&c2, 90, &POL_A);
    assert_int_equal(store_begin(s, "f.json", "sha", "now", &sid, err, sizeof err), STORE_OK);
    put(s, sid, "课程B", "2022-06-01", &r2, &a2);
    put(s, sid, "课程A", "2022-03-01", &r1, &a1);
    assert_int_equal(store_commit(s, sid, comply, NULL, err, sizeof err), STORE_OK);
    assert_string_equal(q(s, "SELECT group_concat(hours, ',') FROM (SELECT hours FROM credits ORDER BY credit_id)"),
                        "0,90");
    assert_string_equal(q(s, "SELECT how FROM policy_revisions"), "ingest");

    /* a2 (课程B, later) is activity 1 and got 0; a1 (课程A) got the 90. The
     * cap grows to 120 under revision B: both keep their rows, the later
     * course gets 30; the old values are history. */
    policy_result n1 = degree(&c1, 120, &POL_B), n2 = degree(&c2, 120, &POL_B);
    assert_int_equal(store_recompute_begin(s, err, sizeof err), STORE_OK);
    assert_int_equal(store_recompute_put(s, a1, P1, &n1, 1, err, sizeof err), STORE_OK);
    assert_int_equal(store_recompute_put(s, a2, P1, &n2, 1, err, sizeof err), STORE_OK);
    assert_int_equal(store_recompute_commit(s, comply, NULL, err, sizeof err), STORE_OK);
    assert_string_equal(q(s, "SELECT group_concat(credit_id || ':' || hours, ',') FROM"
                             " (SELECT * FROM credits ORDER BY credit_id)"),
                        "64:30,128:90"); /* activity n's block: n × 64 (store.h) */
    assert_string_equal(q(s, "SELECT hours FROM credits WHERE activity_id = 1"), "30");
    assert_string_equal(q(s, "SELECT explanation FROM credits WHERE activity_id = 1"),
                        "学历教育课程考核通过：90学时；学历教育当年度已计90学时，本项不再计");
    assert_string_equal(q(s, "SELECT professional_hours FROM person_years"), "120");
    assert_string_equal(q(s, "SELECT group_concat(activity_id || ':' || hours || ':' || reason, ',') FROM"
                             " (SELECT * FROM credit_history ORDER BY activity_id)"),
                        "1:0:recompute,2:90:recompute");
    assert_string_equal(q(s, "SELECT count(DISTINCT revision_id) FROM credits"), "1");
    assert_string_equal(q(s, "SELECT r.sha256 FROM credits c JOIN policy_revisions r USING (revision_id) LIMIT 1"),
                        POL_B.sha256);

    /* Now the earlier course is pending: its credit leaves (another shape),
     * the later gets the whole 90 under the re-applied cap. */
    policy_result pend = {.status = PS_PENDING, .reason_code = "missing_materials",
                          .reason = "缺少材料：成绩单(transcript)", .policy = &POL_B};
    assert_int_equal(store_recompute_begin(s, err, sizeof err), STORE_OK);
    assert_int_equal(store_recompute_put(s, a1, P1, &pend, 0, err, sizeof err), STORE_OK);
    assert_int_equal(store_recompute_commit(s, comply, NULL, err, sizeof err), STORE_OK);
    assert_string_equal(q(s, "SELECT status || '|' || outcome || '|' || reason_code FROM activities WHERE activity_id = 2"),
                        "pending_materials|credited|missing_materials");
    assert_string_equal(q(s, "SELECT group_concat(activity_id || ':' || hours, ',') FROM credits"), "1:90");
    assert_string_equal(q(s, "SELECT professional_hours || '|' || compliant FROM person_years"), "90|1");

    /* The same outcome under another revision: only the revision moves. */
    policy_result same = degree(&c2, 120, &POL_A);
    assert_int_equal(store_recompute_begin(s, err, sizeof err), STORE_OK);
    assert_int_equal(store_recompute_revise(s, a2, &same, err, sizeof err), STORE_OK);
    assert_int_equal(store_recompute_commit(s, comply, NULL, err, sizeof err), STORE_OK);
    assert_string_equal(q(s, "SELECT policy_sha256 FROM credits"), POL_A.sha256);
    assert_string_equal(q(s, "SELECT policy_sha256 FROM activities WHERE activity_id = 1"), POL_A.sha256);
    assert_string_equal(q(s, "SELECT count(*) FROM credit_history"), "3");

    /* A compliance-only change: touch rewrites the year. */
    assert_int_equal(store_recompute_begin(s, err, sizeof err), STORE_OK);
    assert_int_equal(sqlite3_exec(store_db(s), "UPDATE person_years SET compliant = 0", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(store_recompute_touch(s, P1, 2022, err, sizeof err), STORE_OK);
    assert_int_equal(store_recompute_commit(s, comply, NULL, err, sizeof err), STORE_OK);
    assert_string_equal(q(s, "SELECT compliant FROM person_years"), "1");

    /* Misuse: no transaction; a superseded or unknown activity. */
    assert_int_equal(store_recompute_put(s, a1, P1, &same, 1, err, sizeof err), STORE_ERR);
    assert_int_equal(store_recompute_begin(s, err, sizeof err), STORE_OK);
    assert_int_equal(store_recompute_put(s, 99, P1, &same, 1, err, sizeof err), STORE_ERR);
    assert_string_equal(q(s, "SELECT count(*) FROM credit_history"), "3"); /* rolled back */
    assert_int_equal(store_changed_elsewhere(s), 0);

    /* Another shape for an activity of an earlier transaction: its new
     * credits are numbered in its block by (year, category), not in the
     * policy's order, and the person-years of their years are rewritten
     * too (not only the year its old credit left). */
    policy_credit two[2] = {
        {.year = 2023, .category = "public", .hours = 6, .explanation = "网络课程6学时"},
        {.year = 2021, .category = "professional", .hours = 8, .explanation = "网络课程8学时"},
    };
    policy_result reshaped = {.status = PS_CREDITED, .credits = two, .ncredits = 2, .policy = &POL_B};
    assert_int_equal(store_recompute_begin(s, err, sizeof err), STORE_OK);
    assert_int_equal(store_recompute_put(s, a2, P1, &reshaped, 1, err, sizeof err), STORE_OK);
    assert_int_equal(store_recompute_commit(s, comply, NULL, err, sizeof err), STORE_OK);
    assert_int_equal(a2, 1);
    assert_string_equal(q(s, "SELECT group_concat(credit_id || ':' || year || ':' || hours, ',') FROM"
                             " (SELECT * FROM credits ORDER BY credit_id)"),
                        "64:2021:8,65:2023:6");
    assert_string_equal(q(s, "SELECT group_concat(year || ':' || public_hours || ':' || professional_hours, ',')"
                             " FROM (SELECT * FROM person_years ORDER BY year)"),
                        "2021:0:8,2023:6:0");

    assert_string_equal(q(s, "SELECT count(*) FROM pragma_foreign_key_check"), "0");
    assert_string_equal(q(s, "PRAGMA integrity_check"), "ok");
    store_close(s);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payload_round_trip),
        cmocka_unit_test(test_payload_limits),
        cmocka_unit_test(test_cap_take),
        cmocka_unit_test(test_cap_order),
        cmocka_unit_test(test_store_recompute),
    };
    return cmocka_run_group_tests_name("recompute_parts", tests, NULL, NULL);
}
