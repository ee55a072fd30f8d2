/* record: ID check digit, dates, field and value names, normalisation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "record.h"
#include <xueshi/utf8.h>

#define TODAY "2026-11-28"

static void normalise(activity *a, const xs_field *f, size_t n, const char *const *ev, size_t nev)
{
    xs_record r = {.index = 3, .line = 4, .fields = f, .nfields = n, .evidence = ev, .nevidence = nev};
    assert_int_equal(record_normalise(&r, TODAY, a), 0);
}

static void test_id_check_digit(void **s)
{
    char norm[19];
    assert_true(record_id_valid("430302198001011234", norm));
    assert_string_equal(norm, "430302198001011234");
    assert_true(record_id_valid("43030219900720789X", norm));
    assert_true(record_id_valid("43030219900720789x", norm));
    assert_string_equal(norm, "43030219900720789X"); /* x → X */
    assert_false(record_id_valid("430302199007207891", norm)); /* wrong check digit */
    assert_false(record_id_valid("43030219800101123", norm));  /* 17 chars */
    assert_false(record_id_valid("43030219800101123A", norm));
    assert_false(record_id_valid("4303021980010112341", norm));
    assert_false(record_id_valid("", norm));
    char m[19];
    record_id_mask("430302198001011234", m);
    assert_string_equal(m, "430302********1234");
}

static void test_dates(void **s)
{
    int y, m, d;
    assert_true(record_parse_date("2020-02-29", &y, &m, &d));
    assert_int_equal(y * 10000 + m * 100 + d, 20200229);
    assert_false(record_parse_date("2021-02-29", &y, &m, &d));
    assert_false(record_parse_date("1900-02-29", &y, &m, &d));
    assert_true(record_parse_date("2000-02-29", &y, &m, &d));
    assert_false(record_parse_date("2022-13-01", &y, &m, &d));
    assert_false(record_parse_date("2022-04-31", &y, &m, &d));
    assert_false(record_parse_date("2022-05-10x", &y, &m, &d));
    assert_false(record_parse_date("22-05-10", &y, &m, &d));
    assert_true(record_parse_date("2022/5/10", &y, &m, &d)); /* as Excel writes it */
    assert_int_equal(m * 100 + d, 510);
    assert_false(record_parse_date("2022/5-10", &y, &m, &d));
    long long z = record_days_from_civil(1970, 1, 1);
    assert_int_equal(z, 0);
    record_civil_from_days(record_days_from_civil(2024, 2, 29), &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20240229);
}

static void test_names(void **s)
{
    assert_int_equal(record_field_lookup("身份证号"), RF_ID);
    assert_int_equal(record_field_lookup("工作单位"), RF_UNIT);
    assert_int_equal(record_field_lookup("half_days"), RF_HALF_DAYS);
    assert_int_equal(record_field_lookup("备注"), -1);
    assert_int_equal(record_field_lookup(""), -1);
    assert_int_equal(record_field_lookup("Id"), -1); /* names are exact */
    assert_int_equal(record_field_lookup("身份证号码"), RF_ID);
    assert_int_equal(record_field_lookup("公民身份号码"), RF_ID);
    assert_int_equal(record_field_lookup("职称"), RF_PROFESSIONAL_TITLE);
    /* Every field by its key and by its Chinese name. */
    for (int f = 0; f < RF__COUNT; f++) {
        assert_int_equal(record_field_lookup(record_field_key((record_field)f)), f);
        assert_int_equal(record_field_lookup(record_field_zh((record_field)f)), f);
    }
    assert_string_equal(record_kind_canonical("研修班"), "training");
    assert_string_equal(record_kind_canonical("援疆"), "special_task");
    assert_string_equal(record_kind_canonical("论文"), "paper");
    assert_string_equal(record_kind_canonical("paper"), "paper");
    assert_null(record_kind_canonical("打麻将"));
    assert_string_equal(record_enum_canonical(RF_SUBJECT, "公需"), "public");
    assert_string_equal(record_enum_canonical(RF_ROLE, "主持"), "host");
    assert_string_equal(record_enum_canonical(RF_LEVEL, "地厅级"), "prefecture");
    int b = -1;
    assert_true(record_bool_parse("是", &b) && b == 1);
    assert_true(record_bool_parse("0", &b) && b == 0);
    assert_false(record_bool_parse("maybe", &b));
}

static void test_normalise_csv_row(void **s)
{
    /* The first row of the GBK example, as the CSV plugin hands it over. */
    const xs_field f[] = {{"身份证号", "43030219900720789x"}, {"姓名", "王五"}, {"编号", "ww-1"},
                          {"类型", "培训班"}, {"科目", "公需"}, {"名称", " 2019年公需科目集中培训 "},
                          {"日期", "2019-04-16"}, {"天数", "1"}, {"半天数", "1"}, {"晚上数", "1"},
                          {"排名", ""}, {"备注", "ignored"}};
    const char *ev[] = {"通知、课程表；签到表| 结业证书"};
    activity a;
    normalise(&a, f, sizeof f / sizeof *f, ev, 1);
    assert_null(a.reason_code);
    assert_string_equal(a.f[RF_ID].text, "43030219900720789X");
    assert_string_equal(a.f[RF_KIND].text, "training");
    assert_string_equal(a.kind_name, "培训班");
    assert_string_equal(a.f[RF_SUBJECT].text, "public");
    assert_string_equal(a.f[RF_TITLE].text, "2019年公需科目集中培训");
    assert_int_equal(a.f[RF_DAYS].i, 1);
    assert_false(a.f[RF_RANK].present);
    assert_int_equal(a.year, 2019);
    assert_true(a.has_identity);
    assert_int_equal(a.nevidence, 4);
    assert_string_equal(a.evidence[0], "通知");
    assert_string_equal(a.evidence[2], "签到表");
    assert_string_equal(a.evidence[3], "结业证书");
}

/* Dates as Excel writes them become YYYY-MM-DD: identity and year use the
 * normalised text, so 2022/5/10 and 2022-05-10 are the same activity. */
static void test_normalised_dates(void **s)
{
    static const struct {
        const char *in, *out;
    } cases[] = {{"2022/5/10", "2022-05-10"}, {"2019.12.1", "2019-12-01"},
                 {"1999-01-31", "1999-01-31"}, {"2024/2/29", "2024-02-29"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const xs_field f[] = {{"id", "43030219900720789X"}, {"name", "王五"}, {"kind", "论文"},
                              {"title", "t"}, {"date", cases[i].in}, {"end_date", cases[i].in}};
        activity a;
        normalise(&a, f, sizeof f / sizeof *f, NULL, 0);
        assert_null(a.reason_code);
        assert_string_equal(a.f[RF_DATE].text, cases[i].out);
        assert_string_equal(a.f[RF_END_DATE].text, cases[i].out);
        assert_int_equal(a.year, atoi(cases[i].out));
    }
}

/* An "evidence" column is one more entry of the evidence list, also in how
 * much of the record's arena it takes: a payload read back for recompute
 * hands the same text over as a list entry, and the outcome must not
 * change (a 5 KB evidence cell used to make the record "too long" as a
 * column and fit as a list entry; found by tests/fuzz). */
static void test_evidence_column_as_list(void **s)
{
    static char big[5001];
    for (size_t i = 0; i + 3 <= sizeof big - 1; i += 3)
        memcpy(big + i, "长", 3); /* 5,001 bytes: 1,667 characters */
    big[sizeof big - 1] = '\0';
    const xs_field as_column[] = {{"id", "43030219900720789X"}, {"name", "王五"}, {"kind", "论文"},
                                  {"title", "t"}, {"date", "2022-05-10"}, {"evidence", big}};
    const char *list[] = {big};
    activity a, b;
    normalise(&a, as_column, sizeof as_column / sizeof *as_column, NULL, 0);
    normalise(&b, as_column, sizeof as_column / sizeof *as_column - 1, list, 1);
    assert_null(a.reason_code);
    assert_null(b.reason_code);
    assert_int_equal(a.nevidence, 1);
    assert_int_equal(b.nevidence, 1);
    assert_string_equal(a.evidence[0], b.evidence[0]);
    assert_int_equal(a.arena_used, b.arena_used);
}

static void test_reasons(void **s)
{
    activity a;
    const xs_field bad_id[] = {{"id", "430302199007207891"}, {"name", "王五"}, {"kind", "training"},
                               {"title", "x"}, {"date", "2019-05-20"}};
    normalise(&a, bad_id, 5, NULL, 0);
    assert_string_equal(a.reason_code, "invalid_id");
    assert_string_equal(a.field, "id");
    assert_non_null(strstr(a.reason, "第3条记录(第4行)"));
    assert_non_null(strstr(a.reason, "身份证号"));
    assert_false(a.has_identity);

    const xs_field no_title[] = {{"id", "430302198001011234"}, {"name", "张三"}, {"kind", "paper"},
                                 {"date", "2022-07-01"}};
    normalise(&a, no_title, 4, NULL, 0);
    assert_string_equal(a.reason_code, "missing_field");
    assert_string_equal(a.field, "title");

    const xs_field kind[] = {{"id", "430302198001011234"}, {"name", "张三"}, {"kind", "打麻将"},
                             {"title", "t"}, {"date", "2022-07-01"}};
    normalise(&a, kind, 5, NULL, 0);
    assert_string_equal(a.reason_code, "unknown_kind");

    const xs_field future[] = {{"id", "430302198001011234"}, {"name", "张三"}, {"kind", "paper"},
                               {"title", "t"}, {"date", "2027-01-01"}};
    normalise(&a, future, 5, NULL, 0);
    assert_string_equal(a.reason_code, "invalid_value");
    assert_string_equal(a.field, "date");

    const xs_field unreal[] = {{"id", "430302198001011234"}, {"name", "张三"}, {"kind", "paper"},
                               {"title", "t"}, {"date", "2021-02-29"}};
    normalise(&a, unreal, 5, NULL, 0);
    assert_string_equal(a.reason_code, "invalid_value");

    const xs_field neg[] = {{"id", "430302198001011234"}, {"name", "张三"}, {"kind", "training"},
                            {"title", "t"}, {"date", "2022-01-01"}, {"days", "-1"}};
    normalise(&a, neg, 6, NULL, 0);
    assert_string_equal(a.reason_code, "invalid_value");
    assert_string_equal(a.field, "days");

    const xs_field b[] = {{"id", "430302198001011234"}, {"name", "张三"}, {"kind", "degree_course"},
                          {"title", "t"}, {"date", "2022-01-01"}, {"passed", "也许"}};
    normalise(&a, b, 6, NULL, 0);
    assert_string_equal(a.reason_code, "invalid_value");
    assert_string_equal(a.field, "passed");

    /* A long unknown kind, quoted in the reason, is cut at a character:
     * each 3-byte offset of the cut must leave valid UTF-8 (found by the
     * fuzzer, the reason goes into JSON receipts). */
    for (int shift = 0; shift < 3; shift++) {
        char longkind[700];
        size_t m = 0;
        for (int i = 0; i < shift; i++)
            longkind[m++] = 'x';
        while (m + 3 < sizeof longkind) {
            memcpy(longkind + m, "课", 3);
            m += 3;
        }
        longkind[m] = '\0';
        const xs_field lk[] = {{"id", "430302198001011234"}, {"name", "张三"}, {"kind", longkind},
                               {"title", "t"}, {"date", "2022-07-01"}};
        normalise(&a, lk, 5, NULL, 0);
        assert_string_equal(a.reason_code, "unknown_kind");
        size_t len = strlen(a.reason);
        assert_true(len > 400);
        for (size_t i = 0; i < len;) {
            size_t c = xs_utf8_char_len((const unsigned char *)a.reason + i, len - i);
            if (c == 0)
                fail_msg("shift %d: not UTF-8 at byte %zu of the reason", shift, i);
            i += c;
        }
    }

    xs_record perr = {.index = 7, .error_code = "invalid_value", .error = "第7行：JSON 语法错误",
                      .error_field = "days"};
    assert_int_equal(record_normalise(&perr, TODAY, &a), 0);
    assert_string_equal(a.reason_code, "invalid_value");
    assert_string_equal(a.reason, "第7行：JSON 语法错误");
}

static void test_special_task_year(void **s)
{
    const xs_field f[] = {{"id", "430302198503154569"}, {"name", "李四"}, {"kind", "援疆"},
                          {"title", "援疆支教"}, {"date", "2020-08-01"}, {"end_date", "2021-10-31"},
                          {"passed", "true"}};
    activity a;
    normalise(&a, f, 7, NULL, 0);
    assert_null(a.reason_code);
    assert_int_equal(a.year, 2021);
    assert_int_equal(a.f[RF_PASSED].i, 1);
}

static void test_payload(void **s)
{
    const xs_field f[] = {{"id", "1"}, {"title", "a\x1e" "b"}};
    const char *ev[] = {"通知"};
    xs_record r = {.fields = f, .nfields = 2, .evidence = ev, .nevidence = 1};
    char buf[64];
    long n = record_payload_write(&r, buf, sizeof buf);
    assert_int_equal(n, (long)strlen("id\x1f" "1\x1etitle\x1f" "a b\x1e" "evidence\x1f通知\x1e"));
    assert_string_equal(buf, "id\x1f" "1\x1etitle\x1f" "a b\x1e" "evidence\x1f通知\x1e");
    assert_int_equal(record_payload_write(&r, buf, 8), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_check_digit), cmocka_unit_test(test_dates),
        cmocka_unit_test(test_names),          cmocka_unit_test(test_normalise_csv_row),
        cmocka_unit_test(test_normalised_dates),
        cmocka_unit_test(test_evidence_column_as_list),
        cmocka_unit_test(test_reasons),        cmocka_unit_test(test_special_task_year),
        cmocka_unit_test(test_payload),
    };
    return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
