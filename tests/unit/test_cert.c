/*
 * The pieces of the printed forms: dates in Chinese numerals, HTML escaping,
 * the {{placeholder}} templates (and the choice of a year's template file),
 * CSV fields for Excel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "cert_buf.h"
#include "cert_date.h"
#include "cert_template.h"
#include "publicity.h"

static const char *zh(const char *ymd)
{
    static char out[64];
    if (cert_date_zh(ymd, out, sizeof out) != 0)
        return "(invalid)";
    return out;
}

static void test_date_chinese_numerals(void **state)
{
    assert_string_equal(zh("2022-06-10"), "二〇二二年六月十日");  /* the example */
    assert_string_equal(zh("2022-04-15"), "二〇二二年四月十五日"); /* the seed notice's date */
    assert_string_equal(zh("2019-01-01"), "二〇一九年一月一日");
    assert_string_equal(zh("2020-10-31"), "二〇二〇年十月三十一日");
    assert_string_equal(zh("2021-11-20"), "二〇二一年十一月二十日");
    assert_string_equal(zh("2023-12-09"), "二〇二三年十二月九日");
    assert_string_equal(zh("2100-02-28"), "二一〇〇年二月二十八日");
    assert_string_equal(zh("2022-02-29"), "(invalid)");
    assert_string_equal(zh("2022-6-1"), "二〇二二年六月一日");
    char cn[64];
    assert_int_equal(cert_date_cn("2022-10-10", cn, sizeof cn), 0);
    assert_string_equal(cn, "2022年10月10日");
    char norm[11];
    assert_true(cert_date_valid("2022/9/29", norm));
    assert_string_equal(norm, "2022-09-29");
    assert_false(cert_date_valid("2022-13-01", norm));
    assert_false(cert_date_valid(NULL, norm));
}

static void test_today_from_environment(void **state)
{
    char t[11];
    setenv("XUESHI_TODAY", "2022-06-10", 1);
    cert_date_today(t);
    assert_string_equal(t, "2022-06-10");
    setenv("XUESHI_TODAY", "not a date", 1);
    cert_date_today(t);
    assert_int_equal(strlen(t), 10);
    assert_string_not_equal(t, "not a date");
    unsetenv("XUESHI_TODAY");
}

static void test_html_escape(void **state)
{
    cert_buf b = {0};
    cert_buf_html(&b, "<a href=\"x\">张三 & 'li'</a>");
    assert_string_equal(cert_buf_str(&b), "&lt;a href=&quot;x&quot;&gt;张三 &amp; &#39;li&#39;&lt;/a&gt;");
    cert_buf_free(&b);
    assert_string_equal(cert_buf_str(&b), "");
}

static char *render(const char *tmpl, const cert_vars *v, int *rc, char *err, size_t errlen)
{
    cert_buf b = {0};
    *rc = cert_render(tmpl, v, &b, err, errlen);
    char *s = strdup(cert_buf_str(&b));
    cert_buf_free(&b);
    return s;
}

static void test_template_values_and_lists(void **state)
{
    cert_vars *v = cert_vars_new();
    cert_vars_set(v, "name", "赵六<>");
    cert_vars_setf(v, "n", "%d", 4);
    cert_vars_set(v, "empty", "");
    cert_vars *y = cert_vars_add(v, "years");
    cert_vars_set(y, "year", "2018");
    cert_vars *t = cert_vars_add(y, "items");
    cert_vars_set(t, "title", "A&B");
    y = cert_vars_add(v, "years");
    cert_vars_set(y, "year", "2019");
    cert_vars_list(y, "items");
    cert_vars_list(v, "none");
    char err[256];
    int rc;
    char *s = render("{{! a comment }}{{name}}/{{ n }}:{{#years}}[{{year}} {{name}}"
                     "{{#items}}({{title}}){{/items}}{{^items}}-{{/items}}]{{/years}}"
                     "{{#empty}}never{{/empty}}{{^empty}}E{{/empty}}{{#n}}N{{/n}}{{^none}}0{{/none}}",
                     v, &rc, err, sizeof err);
    assert_int_equal(rc, 0);
    assert_string_equal(s, "赵六&lt;&gt;/4:[2018 赵六&lt;&gt;(A&amp;B)][2019 赵六&lt;&gt;-]EN0");
    free(s);
    cert_vars_free(v);
}

static void test_template_errors_name_the_line(void **state)
{
    cert_vars *v = cert_vars_new();
    cert_vars_set(v, "name", "x");
    cert_vars_add(v, "list");
    char err[256];
    int rc;
    char *s = render("<p>\n{{nmae}}\n", v, &rc, err, sizeof err);
    assert_int_equal(rc, -1);
    assert_string_equal(err, "模板第2行：未知的名称「nmae」");
    free(s);
    s = render("{{#list}}\n\n{{name}}", v, &rc, err, sizeof err);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "模板第1行"));
    free(s);
    s = render("{{#list}}{{/name}}", v, &rc, err, sizeof err);
    assert_int_equal(rc, -1);
    free(s);
    s = render("{{list}}", v, &rc, err, sizeof err);
    assert_int_equal(rc, -1);
    free(s);
    s = render("a {{name", v, &rc, err, sizeof err);
    assert_int_equal(rc, -1);
    free(s);
    s = render("a {{/name}}", v, &rc, err, sizeof err);
    assert_int_equal(rc, -1);
    free(s);
    cert_vars_free(v);
}

static void test_template_file_by_year(void **state)
{
    char dir[4096], cmd[8400];
    snprintf(dir, sizeof dir, "%s/cert-templates-%d", XS_TEST_TMP_DIR, (int)getpid());
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s/templates' && echo 2022 > '%s/templates/form-2022.html'"
                              " && echo 2025 > '%s/templates/form-2025.html' && echo x > '%s/templates/form-20x6.html'",
             dir, dir, dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    struct { int year; const char *want; } cases[] = {
        {2022, "2022\n"}, {2024, "2022\n"}, {2025, "2025\n"}, {2030, "2025\n"}, {2017, "2022\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *text = NULL, path[4200], err[256];
        assert_int_equal(cert_template_load(dir, "form", cases[i].year, &text, path, sizeof path, err, sizeof err), 0);
        assert_string_equal(text, cases[i].want);
        free(text);
    }
    char *text = NULL, path[4200], err[256];
    assert_int_equal(cert_template_load(dir, "other", 2022, &text, path, sizeof path, err, sizeof err), -1);
    assert_non_null(strstr(err, "other-YYYY.html"));
    /* the bundled forms exist */
    assert_int_equal(cert_template_load(XS_TEST_RULES_DIR, "certificate", 2022, &text, path, sizeof path, err,
                                        sizeof err), 0);
    assert_non_null(strstr(text, "继续教育学时认定单"));
    free(text);
    assert_int_equal(cert_template_load(XS_TEST_RULES_DIR, "publicity", 2026, &text, path, sizeof path, err,
                                        sizeof err), 0);
    free(text);
}

static const char *csv(const char *s)
{
    static char out[256];
    cert_buf b = {0};
    publicity_csv_field(&b, s);
    snprintf(out, sizeof out, "%s", cert_buf_str(&b));
    cert_buf_free(&b);
    return out;
}

static void test_csv_fields(void **state)
{
    assert_string_equal(csv("赵六"), "赵六");
    assert_string_equal(csv(""), "");
    assert_string_equal(csv("冶金安全, 第二期"), "\"冶金安全, 第二期\"");
    assert_string_equal(csv("说\"明\""), "\"说\"\"明\"\"\"");
    assert_string_equal(csv("两行\r\n文字"), "\"两行\r\n文字\"");
    /* Excel must not run a title as a formula */
    assert_string_equal(csv("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    assert_string_equal(csv("-1"), "\"'-1\"");
    assert_string_equal(csv("@x"), "\"'@x\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_chinese_numerals), cmocka_unit_test(test_today_from_environment),
        cmocka_unit_test(test_html_escape), cmocka_unit_test(test_template_values_and_lists),
        cmocka_unit_test(test_template_errors_name_the_line), cmocka_unit_test(test_template_file_by_year),
        cmocka_unit_test(test_csv_fields),
    };
    return cmocka_run_group_tests_name("cert", tests, NULL, NULL);
}
