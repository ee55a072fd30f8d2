/*
 * The 公示名单 of a unit through the real binary (seed notice 二(一)1): only
 * the unit's qualified people, each year's public and professional content
 * and hours, as HTML and as CSV for Excel; and the end of the 5-working-day
 * period by the policies' holiday calendars (法定节假日 and 调休).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "record.h"
#include "xs_test.h"

#define UNIT "湘潭市中心医院"
#define TRAIN "[\"notice\",\"schedule\",\"sign_in\"]"

static char dd[4096];

static const char *make_id(const char *first17)
{
    static char ids[4][19];
    static int next;
    char *out = ids[next++ % 4];
    memcpy(out, first17, 17);
    out[17] = record_id_check_digit(first17);
    out[18] = '\0';
    return out;
}

/* One person, with a public and a professional training in each year of
 * from..to (a public title may be given for from). */
static void person(FILE *f, const char *id, const char *name, const char *unit, int from, int to,
                   const char *first_public_title, const char *extra)
{
    fprintf(f, "{\"person\":{\"id\":\"%s\",\"name\":\"%s\",\"unit\":\"%s\",\"education\":\"本科\"},"
               "\"activities\":[", id, name, unit);
    for (int y = from; y <= to; y++) {
        char title[256];
        if (y == from && first_public_title)
            snprintf(title, sizeof title, "%s", first_public_title);
        else
            snprintf(title, sizeof title, "%d年公需科目培训班", y);
        fprintf(f, "%s{\"kind\":\"training\",\"subject\":\"public\",\"topic\":\"%s\",\"title\":\"%s\","
                   "\"date\":\"%d-05-10\",\"days\":3,\"evidence\":" TRAIN "},"
                   "{\"kind\":\"online\",\"subject\":\"professional\",\"title\":\"%d年%s专业课程\","
                   "\"date\":\"%d-09-01\",\"hours\":60,\"evidence\":[\"syllabus\",\"progress\"]}",
                y > from ? "," : "", y == 2022 ? "区块链技术与应用" : "职业道德", title, y, y, name, y);
    }
    fprintf(f, "%s]}\n", extra ? extra : "");
}

static char *text_of(const char *name)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dd, name);
    return xt_slurp(p);
}

static int setup(void **state)
{
    xt_tmpdir("publicity", dd, sizeof dd);
    char path[4200];
    snprintf(path, sizeof path, "%s/unit.jsonl", dd);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    /* 赵六: 2018–2021; his 2018 public course title has a comma and quotes */
    person(f, make_id("43030219850612123"), "赵六", UNIT, 2018, 2021,
           "急救技能培训(\\\"心肺复苏\\\", 第二期)", NULL);
    /* 孙七: 2016–2020 certified before, 2021 done */
    person(f, make_id("43030219780301456"), "孙七", UNIT, 2021, 2021, NULL,
           ",{\"kind\":\"prior_certificate\",\"title\":\"2016—2020年学时认定单\",\"number\":\"潭继教〔2021〕0035号\","
           "\"from_year\":2016,\"to_year\":2020,\"date\":\"2021-03-01\",\"evidence\":[\"certificate_copy\"]}");
    /* 吴六: 2018–2019 only — not qualified */
    person(f, make_id("43030219900720789"), "吴六", UNIT, 2018, 2019, NULL, NULL);
    /* 周八: qualified, but of another unit */
    person(f, make_id("43030219820909321"), "周八", "湘钢集团", 2018, 2021, NULL, NULL);
    fclose(f);
    return xt_xueshi(dd, "ingest %s", path);
}

static const char *period_line(const char *start)
{
    static char line[256];
    line[0] = '\0';
    if (xt_xueshi(dd, "publicity --unit " UNIT " --level intermediate --eval-year 2022 --start %s", start) != 0)
        return "exit status not 0";
    char *o = text_of("last.out");
    char *p = o ? strstr(o, "公示期：") : NULL;
    if (p) {
        char *nl = strchr(p, '\n');
        snprintf(line, sizeof line, "%.*s", nl ? (int)(nl - p) : (int)strlen(p), p);
    }
    free(o);
    return line;
}

/* 5 working days, the start counting when it is one (2022 calendar). */
static void test_end_dates_across_holidays(void **state)
{
    /* 国庆 10/1–7, 10/8 and 10/9 worked */
    assert_string_equal(period_line("2022-09-29"), "公示期：2022-09-29 至 2022-10-10（5个工作日）");
    /* 端午 6/3 */
    assert_string_equal(period_line("2022-06-02"), "公示期：2022-06-02 至 2022-06-09（5个工作日）");
    /* 1/29, 1/30 worked, 春节 1/31–2/6 */
    assert_string_equal(period_line("2022-01-28"), "公示期：2022-01-28 至 2022-02-08（5个工作日）");
    /* 劳动节 4/30–5/4, 5/7 worked */
    assert_string_equal(period_line("2022-04-29"), "公示期：2022-04-29 至 2022-05-09（5个工作日）");
    /* a start on a holiday does not count */
    assert_string_equal(period_line("2022-10-01"), "公示期：2022-10-01 至 2022-10-12（5个工作日）");
    /* late December runs into the 2023 calendar: 2022-12-31..2023-01-02 off */
    assert_string_equal(period_line("2022-12-28"), "公示期：2022-12-28 至 2023-01-04（5个工作日）");
    /* the 2024 calendar: 9/29 worked, 国庆 10/1–7 */
    assert_string_equal(period_line("2024-09-27"), "公示期：2024-09-27 至 2024-10-09（5个工作日）");
    assert_int_equal(xt_xueshi(dd, "publicity --unit " UNIT " --level intermediate --eval-year 2022"
                                   " --start 2022-09-29 --days 7"), 0);
    char *o = text_of("last.out");
    assert_non_null(strstr(o, "公示期：2022-09-29 至 2022-10-12（7个工作日）"));
    free(o);
}

static void test_list_and_summary(void **state)
{
    assert_int_equal(xt_xueshi(dd, "publicity --unit " UNIT " --level intermediate --eval-year 2022"
                                   " --start 2022-09-29"), 0);
    char *o = text_of("last.out");
    assert_non_null(strstr(o, "合格人员 2 人："));
    assert_non_null(strstr(o, "  1. 孙七 430302********4563\n"));
    assert_non_null(strstr(o, "  2. 赵六 430302********1236\n"));
    assert_non_null(strstr(o, "未列入 1 人："));
    assert_non_null(strstr(o, "吴六 430302********789X：2020年：总学时差90学时，专业科目差60学时；"
                              "2021年：总学时差90学时，专业科目差60学时"));
    assert_null(strstr(o, "周八"));
    free(o);
}

static void test_csv_for_excel(void **state)
{
    assert_int_equal(xt_xueshi(dd, "publicity --unit " UNIT " --level intermediate --eval-year 2022"
                                   " --start 2022-09-29 --csv %s/list.csv", dd), 0);
    char *csv = text_of("list.csv");
    assert_non_null(csv);
    assert_memory_equal(csv, "\xEF\xBB\xBF" "序号,姓名,身份证号,单位,", strlen("\xEF\xBB\xBF" "序号,姓名,身份证号,单位,"));
    /* every line ends CRLF, no bare LF */
    int lines = 0;
    for (char *p = csv; *p; p++)
        if (*p == '\n') {
            assert_true(p > csv && p[-1] == '\r');
            lines++;
        }
    assert_int_equal(lines, 1 + 4 + 4); /* header, 孙七 2018–2021, 赵六 2018–2021 */
    assert_non_null(strstr(csv, "\r\n2,赵六,430302********1236," UNIT ",,本科,中级,2022,2019,"
                                "2019年公需科目培训班（30学时）,30,2019年赵六专业课程（60学时）,60,,90,达标,"
                                "2022-09-29,2022-10-10\r\n"));
    /* a title with a comma and quotes is one quoted field */
    assert_non_null(strstr(csv, ",2018,\"急救技能培训(\"\"心肺复苏\"\", 第二期)（30学时）\",30,"));
    assert_non_null(strstr(csv, "\r\n1,孙七,430302********4563," UNIT ",,本科,中级,2022,2018,,0,,0,,0,"
                                "由已提交的学时认定单 潭继教〔2021〕0035号(2016—2020年)认定,2022-09-29,2022-10-10\r\n"));
    assert_null(strstr(csv, "吴六"));
    assert_null(strstr(csv, "周八"));
    free(csv);
}

static void test_html_page(void **state)
{
    assert_int_equal(xt_xueshi(dd, "publicity --unit " UNIT " --level intermediate --eval-year 2022"
                                   " --start 2022-09-29 --out %s/list.html", dd), 0);
    char *page = text_of("list.html");
    assert_non_null(page);
    assert_non_null(strstr(page, "<h1>" UNIT "2022年度中级职称参评人员继续教育学时公示名单</h1>"));
    assert_non_null(strstr(page, "公示期：2022年9月29日至2022年10月10日（5个工作日）"));
    assert_non_null(strstr(page, "2020年公需科目培训班（30学时）"));
    assert_non_null(strstr(page, "2021年孙七专业课程（60学时）"));
    /* escaped, never raw */
    assert_non_null(strstr(page, "急救技能培训(&quot;心肺复苏&quot;, 第二期)"));
    assert_non_null(strstr(page, "由已提交的学时认定单 潭继教〔2021〕0035号(2016—2020年)认定"));
    assert_non_null(strstr(page, "430302********1236"));
    assert_null(strstr(page, "430302198506121236")); /* a public list shows no full ID */
    assert_null(strstr(page, "吴六"));
    assert_null(strstr(page, "{{"));
    free(page);

    /* A unit without qualified people still gets its page. */
    assert_int_equal(xt_xueshi(dd, "publicity --unit 无此单位 --level senior --eval-year 2022"
                                   " --start 2022-09-29 --out %s/empty.html", dd), 0);
    page = text_of("empty.html");
    assert_non_null(strstr(page, "没有符合条件的人员"));
    free(page);
}

static void test_usage(void **state)
{
    assert_int_equal(xt_xueshi(dd, "publicity --help"), 0);
    assert_int_equal(xt_xueshi(dd, "publicity --level intermediate --eval-year 2022 --start 2022-09-29"), 2);
    assert_int_equal(xt_xueshi(dd, "publicity --unit " UNIT " --level intermediate --eval-year 2022"
                                   " --start 2022-09-31"), 2);
    assert_int_equal(xt_xueshi(dd, "publicity --unit " UNIT " --level 初级 --eval-year 2022 --start 2022-09-29"), 2);
    assert_int_equal(xt_xueshi(dd, "publicity --unit " UNIT " --level senior --eval-year 2022 --start 2022-09-29"
                                   " --days 0"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_end_dates_across_holidays), cmocka_unit_test(test_list_and_summary),
        cmocka_unit_test(test_csv_for_excel), cmocka_unit_test(test_html_page), cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests_name("publicity", tests, setup, NULL);
}
