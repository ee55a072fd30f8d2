/*
 * SPEC §5 through the real binary: the same files in another order give the
 * same credits; a file already committed adds nothing (under any name); a
 * resubmitted activity supersedes the earlier one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "xs_test.h"

#define ZS "430302198001011234"
#define D XS_TEST_DATA_DIR

static const char *const credit_sql =
    "SELECT a.person_id, a.kind, a.date, a.title, c.year, c.category, c.hours, c.explanation, c.policy"
    " FROM credits c JOIN activities a USING (activity_id) ORDER BY 1,2,3,4,5,6";
static const char *const years_sql =
    "SELECT person_id, year, public_hours, professional_hours, whole_year, total_hours, compliant"
    " FROM person_years ORDER BY 1,2";
static const char *const status_sql =
    "SELECT person_id, kind, date, title, status, coalesce(reason_code,'') FROM activities"
    " WHERE status <> 'superseded' ORDER BY 1,2,3,4";

static char *dump(const char *dd, const char *sql)
{
    sqlite3 *db = xt_db(dd);
    char *s = xt_dump(db, "%s", sql);
    sqlite3_close(db);
    return s;
}

/* Two degree courses of one year, each in its own file: whichever comes
 * first, the earlier-dated one gets the 90. */
static void write_degree_files(const char *dir)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/deg-late.json", dir);
    xt_write(p, "{\"person\":{\"id\":\"" ZS "\",\"name\":\"张三\"},\"activities\":["
                "{\"ref\":\"d2\",\"kind\":\"学历教育\",\"title\":\"课程B\",\"date\":\"2021-09-01\","
                "\"passed\":true,\"evidence\":[\"成绩单\"]}]}");
    snprintf(p, sizeof p, "%s/deg-early.json", dir);
    xt_write(p, "{\"person\":{\"id\":\"" ZS "\",\"name\":\"张三\"},\"activities\":["
                "{\"ref\":\"d1\",\"kind\":\"degree_course\",\"title\":\"课程A\",\"date\":\"2021-03-01\","
                "\"passed\":true,\"evidence\":[\"transcript\"]}]}");
}

static void test_order_independence(void **state)
{
    char a[4096], b[4096];
    xt_tmpdir("order-a", a, sizeof a);
    xt_tmpdir("order-b", b, sizeof b);
    write_degree_files(a);
    assert_int_equal(xt_xueshi(a, "ingest %s/zhangsan-2022.json %s/lisi-2021.json %s/xianggang-unit-gbk.csv"
                                  " %s/deg-early.json %s/deg-late.json", D, D, D, a, a), 0);
    assert_int_equal(xt_xueshi(b, "ingest %s/deg-late.json %s/deg-early.json %s/xianggang-unit-gbk.csv"
                                  " %s/lisi-2021.json %s/zhangsan-2022.json", a, a, D, D, D), 0);
    const char *sqls[] = {credit_sql, years_sql, status_sql};
    for (int i = 0; i < 3; i++) {
        char *x = dump(a, sqls[i]), *y = dump(b, sqls[i]);
        assert_true(strlen(x) > 100);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
    sqlite3 *db = xt_db(b);
    assert_string_equal(xt_q(db, "SELECT group_concat(ref || ':' || CAST(hours AS INTEGER), ',') FROM"
                                 " (SELECT a.ref, c.hours FROM credits c JOIN activities a USING (activity_id)"
                                 "  WHERE a.ref IN ('d1','d2') ORDER BY a.ref)"), "d1:90,d2:0");
    assert_int_equal(xt_qi(db, "SELECT professional_hours FROM person_years WHERE person_id = '" ZS "' AND year = 2021"), 90);
    sqlite3_close(db);
}

static void test_duplicate_file(void **state)
{
    char dd[4096], copy[4200];
    xt_tmpdir("dup", dd, sizeof dd);
    snprintf(copy, sizeof copy, "%s/renamed.json", dd);
    xt_copy(D "/zhangsan-2022.json", copy);
    assert_int_equal(xt_xueshi(dd, "ingest %s/zhangsan-2022.json", D), 0);
    char *before = dump(dd, credit_sql);
    assert_int_equal(xt_xueshi(dd, "ingest %s/zhangsan-2022.json %s", D, copy), 0);
    char *after = dump(dd, credit_sql);
    assert_string_equal(before, after);
    sqlite3 *db = xt_db(dd);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM activities"), 8);
    assert_string_equal(xt_q(db, "SELECT group_concat(status || ':' || records, ',') FROM"
                                 " (SELECT * FROM submissions ORDER BY submission_id)"),
                        "processed:8,duplicate:0,duplicate:0");
    sqlite3_close(db);
    char rp[4200];
    snprintf(rp, sizeof rp, "%s/outbox/renamed.json.receipt.json", dd);
    char *r = xt_slurp(rp);
    assert_non_null(r);
    assert_non_null(strstr(r, "\"status\":\"duplicate\""));
    free(r);
    free(before);
    free(after);
}

static void test_resubmission_supersedes(void **state)
{
    char dd[4096], p[4200];
    xt_tmpdir("supersede", dd, sizeof dd);
    assert_int_equal(xt_xueshi(dd, "ingest %s/zhangsan-2022.json", D), 0);
    char *before = dump(dd, credit_sql);
    /* zs-3 again, identical; zs-8 again, now with its certificate. */
    snprintf(p, sizeof p, "%s/resubmit.json", dd);
    xt_write(p, "{\"person\":{\"id\":\"" ZS "\",\"name\":\"张三\",\"unit\":\"湘潭市第一人民医院\"},\"activities\":["
                "{\"ref\":\"zs-3b\",\"kind\":\"paper\",\"rank\":1,\"cn\":\"CN43-1234/R\",\"title\":\"某病例的诊治体会\","
                "\"date\":\"2022-07-01\",\"evidence\":[\"journal_cover\",\"journal_number\",\"toc\"]},"
                "{\"ref\":\"zs-8b\",\"kind\":\"patent\",\"rank\":1,\"title\":\"一种输液报警装置\","
                "\"date\":\"2022-08-30\",\"evidence\":[\"专利证书\"]}]}");
    assert_int_equal(xt_xueshi(dd, "ingest %s", p), 0);
    sqlite3 *db = xt_db(dd);
    assert_string_equal(xt_q(db, "SELECT group_concat(ref || ':' || status, ',') FROM"
                                 " (SELECT * FROM activities WHERE ref IN ('zs-3','zs-3b','zs-8','zs-8b') ORDER BY ref)"),
                        "zs-3:superseded,zs-3b:credited,zs-8:superseded,zs-8b:credited");
    assert_int_equal(xt_qi(db, "SELECT hours FROM credits JOIN activities USING (activity_id) WHERE ref = 'zs-8b'"), 90);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM credits JOIN activities USING (activity_id) WHERE ref = 'zs-3'"), 0);
    /* The identical paper leaves every credit as it was: 106 + 90 for the patent. */
    assert_int_equal(xt_qi(db, "SELECT professional_hours FROM person_years WHERE person_id = '" ZS "'"), 196);
    /* The latest submission's unit. */
    assert_string_equal(xt_q(db, "SELECT unit FROM people WHERE person_id = '" ZS "'"), "湘潭市第一人民医院");
    sqlite3_close(db);
    char *after = dump(dd, "SELECT a.title, c.year, c.category, c.hours FROM credits c JOIN activities a"
                           " USING (activity_id) WHERE a.kind = 'paper' ORDER BY 1");
    assert_non_null(strstr(after, "某病例的诊治体会|2022|professional|30"));
    free(after);
    free(before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_independence),
        cmocka_unit_test(test_duplicate_file),
        cmocka_unit_test(test_resubmission_supersedes),
    };
    return cmocka_run_group_tests_name("identity", tests, NULL, NULL);
}
