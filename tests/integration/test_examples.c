/*
 * The worked examples of ../shared/examples (copied into tests/data): the
 * real binary ingests them into an empty data directory and the database
 * must hold exactly EXPECTED.md's outcomes.
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
#define LS "430302198503154569"
#define WW "43030219900720789X"

static char dd[4096];
static sqlite3 *db;

static int ingest_examples(void **state)
{
    xt_tmpdir("examples", dd, sizeof dd);
    int rc = xt_xueshi(dd, "ingest %s/zhangsan-2022.json %s/lisi-2021.json %s/xianggang-unit-gbk.csv",
                       XS_TEST_DATA_DIR, XS_TEST_DATA_DIR, XS_TEST_DATA_DIR);
    if (rc != 0) {
        char path[4200];
        snprintf(path, sizeof path, "%s/last.err", dd);
        char *e = xt_slurp(path);
        fprintf(stderr, "ingest failed (%d): %s\n", rc, e ? e : "");
        free(e);
        return -1;
    }
    db = xt_db(dd);
    return 0;
}

static int close_db(void **state)
{
    sqlite3_close(db);
    return 0;
}

/* status|reason_code of the activity with this ref. */
static const char *outcome(const char *ref)
{
    return xt_q(db, "SELECT status || '|' || coalesce(reason_code,'') FROM activities WHERE ref = '%s'", ref);
}

/* year:category:hours of its credits, comma separated. */
static const char *credits_of(const char *ref)
{
    return xt_q(db,
                "SELECT group_concat(year || ':' || category || ':' || hours, ',') FROM"
                " (SELECT c.year, c.category, CAST(c.hours AS INTEGER) AS hours FROM credits c"
                "  JOIN activities a USING (activity_id) WHERE a.ref = '%s' ORDER BY c.year)",
                ref);
}

static void expect(const char *ref, const char *status, const char *credits)
{
    assert_string_equal(outcome(ref), status);
    assert_string_equal(credits_of(ref), credits);
}

static void test_zhangsan(void **state)
{
    expect("zs-1", "credited|", "2022:public:24");
    expect("zs-2", "credited|", "2022:professional:16");
    expect("zs-3", "credited|", "2022:professional:30");
    expect("zs-4", "credited|", "2022:professional:10");
    expect("zs-5", "credited|", "2022:professional:40");
    expect("zs-6", "rejected|topic_not_in_policy", "NULL");
    expect("zs-7", "credited|", "2022:professional:10");
    expect("zs-8", "pending_materials|missing_materials", "NULL");
    assert_string_equal(xt_q(db, "SELECT public_hours || '|' || professional_hours || '|' || whole_year"
                                 " || '|' || total_hours || '|' || compliant FROM person_years"
                                 " WHERE person_id = '" ZS "' AND year = 2022"),
                        "24|106|0|130|1");
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM person_years WHERE person_id = '" ZS "'"), 1);
    /* Every credit names its policy and hash, and explains itself in Chinese. */
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM credits WHERE person_id = '" ZS "' AND"
                               " (policy <> '2022.lua' OR length(policy_sha256) <> 64"
                               "  OR explanation NOT LIKE '%%学时%%')"), 0);
    assert_string_equal(xt_q(db, "SELECT name || '|' || unit FROM people WHERE person_id = '" ZS "'"),
                        "张三|湘潭市中心医院");
}

static void test_lisi(void **state)
{
    expect("ls-1", "credited|", "2020:whole_year:90,2021:whole_year:90");
    expect("ls-2", "credited|", "2021:professional:90");
    expect("ls-3", "credited|", "2021:professional:0");
    expect("ls-4", "credited|", "2021:professional:30");
    /* The zero is explained. */
    assert_string_not_equal(xt_q(db, "SELECT explanation FROM credits JOIN activities USING (activity_id)"
                                     " WHERE ref = 'ls-3'"), "");
    assert_string_equal(xt_q(db, "SELECT group_concat(year || ':' || public_hours || ':' || professional_hours"
                                 " || ':' || whole_year || ':' || total_hours || ':' || compliant, ',')"
                                 " FROM (SELECT * FROM person_years WHERE person_id = '" LS "' ORDER BY year)"),
                        "2020:0:0:1:90:1,2021:0:120:1:210:1");
}

static void test_wangwu_gbk(void **state)
{
    expect("ww-1", "credited|", "2019:public:16");
    expect("ww-2", "rejected|not_creditable", "NULL");
    expect("ww-3", "credited|", "2018:professional:90");
    expect("ww-4", "rejected|invalid_id", "NULL");
    assert_string_equal(xt_q(db, "SELECT title FROM activities WHERE ref = 'ww-4'"), "冶金安全, 第二期");
    assert_string_equal(xt_q(db, "SELECT group_concat(year || ':' || public_hours || ':' || professional_hours"
                                 " || ':' || total_hours || ':' || compliant, ',')"
                                 " FROM (SELECT * FROM person_years WHERE person_id = '" WW "' ORDER BY year)"),
                        "2018:0:90:90:1,2019:16:0:16:0");
    assert_string_equal(xt_q(db, "SELECT name || '|' || unit || '|' || professional_title FROM people"
                                 " WHERE person_id = '" WW "'"), "王五|湘钢集团|工程师");
}

static void test_submissions_and_receipts(void **state)
{
    assert_string_equal(xt_q(db, "SELECT group_concat(file_name || ':' || status || ':' || records || ':'"
                                 " || credited || ':' || pending || ':' || rejected, ',') FROM"
                                 " (SELECT * FROM submissions ORDER BY submission_id)"),
                        "zhangsan-2022.json:processed:8:6:1:1,lisi-2021.json:processed:4:4:0:0,"
                        "xianggang-unit-gbk.csv:processed:4:2:0:2");
    char path[4200];
    snprintf(path, sizeof path, "%s/outbox/xianggang-unit-gbk.csv.receipt.json", dd);
    char *r = xt_slurp(path);
    assert_non_null(r);
    assert_non_null(strstr(r, "\"ref\":\"ww-4\""));
    assert_non_null(strstr(r, "\"reason_code\":\"invalid_id\""));
    assert_non_null(strstr(r, "\"counts\":{\"records\":4"));
    free(r);
}

static void test_report_and_verify(void **state)
{
    assert_int_equal(xt_xueshi(dd, "report --id " ZS), 0);
    char path[4200];
    snprintf(path, sizeof path, "%s/last.out", dd);
    char *out = xt_slurp(path);
    assert_non_null(strstr(out, "张三"));
    assert_non_null(strstr(out, "24"));
    free(out);
    assert_int_equal(xt_xueshi(dd, "report --id " ZS " --json"), 0);
    out = xt_slurp(path);
    assert_non_null(strstr(out, "\"professional_hours\": 106"));
    free(out);
    /* 王五 has 2018 only: not eligible for 2022's intermediate span 2018–2021. */
    assert_int_equal(xt_xueshi(dd, "verify --id " WW " --level intermediate --eval-year 2022"), 3);
    out = xt_slurp(path);
    assert_non_null(strstr(out, "2019"));
    free(out);
    assert_int_equal(xt_xueshi(dd, "report --id 430302199007207891"), 2); /* bad check digit */
    assert_int_equal(xt_xueshi(dd, "report --id 11010119900307651X"), 3); /* nobody */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zhangsan), cmocka_unit_test(test_lisi),
        cmocka_unit_test(test_wangwu_gbk), cmocka_unit_test(test_submissions_and_receipts),
        cmocka_unit_test(test_report_and_verify),
    };
    return cmocka_run_group_tests_name("examples", tests, ingest_examples, close_db);
}
