/*
 * The policy host with the real rules/: loading, evaluation of the worked
 * examples (tests/data/EXPECTED.md) through record_normalise and
 * policy_evaluate, compliance, spans, calendars, `rules check`, and
 * all-or-nothing loading.
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

#include "policy.h"

static policy_set *set;

static int setup(void **state)
{
    char err[1024];
    if (policy_set_load(XS_TEST_RULES_DIR, NULL, &set, err, sizeof err) != 0) {
        fprintf(stderr, "load: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    policy_set_free(set);
    set = NULL;
    return 0;
}

/* A record as a plugin emits it: "key", "value", …, NULL; evidence as a
 * single entry the host splits (、 ; |). */
static void record(activity *a, const char *evidence, ...)
{
    xs_field f[32];
    size_t n = 0;
    va_list ap;
    va_start(ap, evidence);
    const char *k;
    while ((k = va_arg(ap, const char *)) && n < 32) {
        f[n].key = k;
        f[n].value = va_arg(ap, const char *);
        n++;
    }
    va_end(ap);
    const char *ev[1] = {evidence};
    xs_record raw = {.index = 1, .line = 2, .fields = f, .nfields = n,
                     .evidence = ev, .nevidence = evidence ? 1 : 0};
    assert_int_equal(record_normalise(&raw, "2026-01-01", a), 0);
    if (a->reason_code)
        fail_msg("normalise: %s %s", a->reason_code, a->reason);
}

#define ZS "id", "430302198001011234", "name", "张三"
#define LS "id", "430302198503154569", "name", "李四"
#define WW "id", "43030219900720789X", "name", "王五"

static activity act;
static policy_result res;

static void eval(void)
{
    assert_int_equal(policy_evaluate(set, &act, &res), 0);
}

static void expect_credit(int status_year, const char *category, double hours, const char *explanation)
{
    assert_int_equal(res.status, PS_CREDITED);
    assert_int_equal(res.ncredits, 1);
    assert_int_equal(res.credits[0].year, status_year);
    assert_string_equal(res.credits[0].category, category);
    assert_true(res.credits[0].hours == hours);
    if (explanation)
        assert_string_equal(res.credits[0].explanation, explanation);
    assert_non_null(res.policy);
    assert_int_equal(res.policy->year, act.year);
    policy_result_clear(&res);
}

static void expect_status(int status, const char *code)
{
    assert_int_equal(res.status, status);
    assert_string_equal(res.reason_code, code);
    assert_non_null(res.reason);
    assert_int_equal(res.ncredits, 0);
    policy_result_clear(&res);
}

static void test_load(void **state)
{
    assert_int_equal(policy_set_count(set), 10); /* 2017–2026 */
    for (size_t i = 0; i < policy_set_count(set); i++) {
        const policy_info *in = policy_set_info(set, i);
        assert_int_equal(in->year, 2017 + (int)i);
        assert_int_equal(strlen(in->sha256), 64);
        assert_non_null(strstr(in->path, in->name));
    }
    assert_null(policy_set_info(set, 10));
    assert_non_null(policy_set_find(set, 2022));
    assert_null(policy_set_find(set, 2016));
    assert_string_equal(policy_status_name(PS_CREDITED), "credited");
    assert_string_equal(policy_status_name(PS_PENDING), "pending_materials");
    assert_string_equal(policy_status_name(PS_REJECTED), "rejected");
    assert_string_equal(policy_status_name(PS_SUPERSEDED), "superseded");
}

static void test_zhangsan(void **state)
{
    record(&act, "notice、schedule、sign_in", ZS, "ref", "zs-1", "kind", "training", "subject", "public",
           "topic", "区块链技术与应用", "title", "2022年公需科目培训班", "date", "2022-05-10",
           "end_date", "2022-05-12", "days", "2", "half_days", "1", NULL);
    eval();
    expect_credit(2022, "public", 24, "培训2天+半天：2×10+4=24学时");

    record(&act, "certificate;course_duration", ZS, "ref", "zs-2", "kind", "online", "subject",
           "professional", "title", "临床用药新进展", "date", "2022-03-02", "hours", "16", NULL);
    eval();
    expect_credit(2022, "professional", 16, "网络课程16学时");

    record(&act, "journal_cover|journal_number|toc", ZS, "ref", "zs-3", "kind", "paper", "rank", "1",
           "cn", "CN43-1234/R", "title", "某病例的诊治体会", "date", "2022-07-01", NULL);
    eval();
    expect_credit(2022, "professional", 30, "论文(第一作者，CN43-1234/R)：30学时");

    record(&act, "刊物封面、刊号、目录", ZS, "ref", "zs-4", "kind", "论文", "rank", "2", "cn", "CN11-2227/TP",
           "title", "医院信息系统的区块链应用", "date", "2022-09-15", NULL);
    eval();
    expect_credit(2022, "professional", 10, NULL);

    record(&act, "exam_certificate", ZS, "ref", "zs-5", "kind", "computer_exam", "modules", "2",
           "title", "计算机应用能力考试(Excel、PowerPoint)", "date", "2022-06-18", NULL);
    eval();
    expect_credit(2022, "professional", 40, "计算机应用能力考试2个模块：2×20=40学时");

    record(&act, "notice、schedule、sign_in", ZS, "ref", "zs-6", "kind", "training", "subject", "public",
           "topic", "职业道德与法治", "title", "职业道德讲座", "date", "2022-04-08", "days", "1", NULL);
    eval();
    expect_status(PS_REJECTED, "topic_not_in_policy");

    record(&act, "expense_claim", ZS, "ref", "zs-7", "kind", "conference", "subject", "professional",
           "title", "湖南省医学会年会", "date", "2022-11-05", "days", "1", NULL);
    eval();
    expect_credit(2022, "professional", 10, "学术会议1天：10学时");

    record(&act, NULL, ZS, "ref", "zs-8", "kind", "patent", "rank", "1", "title", "一种输液报警装置",
           "date", "2022-08-30", NULL);
    eval();
    assert_string_equal(res.reason, "缺少材料：专利证书(patent_certificate)");
    expect_status(PS_PENDING, "missing_materials");
}

static void test_lisi(void **state)
{
    record(&act, "dispatch_notice、assessment_form", LS, "ref", "ls-1", "kind", "援疆", "title", "援疆支教",
           "date", "2020-08-01", "end_date", "2021-10-31", "passed", "true", NULL);
    assert_int_equal(act.year, 2021);
    eval();
    assert_int_equal(res.status, PS_CREDITED);
    assert_int_equal(res.ncredits, 2);
    assert_int_equal(res.credits[0].year, 2020);
    assert_int_equal(res.credits[1].year, 2021);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(res.credits[i].category, "whole_year");
        assert_true(res.credits[i].hours == 90);
        assert_string_equal(res.credits[i].explanation,
                            "援疆2020-08-01至2021-10-31超过12个月，考核合格：2020、2021年度各视为完成90学时");
        assert_null(res.credits[i].cap_key);
    }
    assert_ptr_equal(res.policy, policy_set_find(set, 2021));
    policy_result_clear(&res);

    record(&act, "transcript", LS, "ref", "ls-3", "kind", "degree_course", "title", "博士课程：泛函分析",
           "date", "2021-06-20", "passed", "是", NULL);
    eval();
    assert_string_equal(res.credits[0].cap_key, "degree_course");
    assert_true(res.credits[0].cap_limit == 90);
    assert_string_equal(res.credits[0].cap_note, "学历教育当年度已计90学时，本项不再计");
    expect_credit(2021, "professional", 90, "学历教育课程考核通过：90学时");

    record(&act, "award_certificate", LS, "ref", "ls-4", "kind", "award", "level", "prefecture",
           "rank", "6", "title", "湘潭市科技进步奖", "date", "2021-12-01", NULL);
    eval();
    expect_credit(2021, "professional", 30, "地厅级奖项排名第6：30学时");
}

static void test_wangwu(void **state)
{
    record(&act, "通知、课程表、签到表", WW, "编号", "ww-1", "类型", "培训班", "科目", "公需", "主题",
           "数字经济与创新驱动", "名称", "2019年公需科目集中培训", "日期", "2019-04-16", "天数", "1",
           "半天数", "1", "晚上数", "1", NULL);
    eval();
    expect_credit(2019, "public", 16, "培训1天+半天+晚上：10+4+2=16学时");

    record(&act, "刊物封面、刊号、目录", WW, "编号", "ww-2", "类型", "论文", "名称", "高炉炉衬寿命研究",
           "日期", "2019-10-01", "排名", "1", NULL);
    eval();
    expect_status(PS_REJECTED, "not_creditable");

    record(&act, "结题证明", WW, "编号", "ww-3", "类型", "课题研究", "名称", "湖南省重点研发计划：钢渣综合利用",
           "日期", "2018-12-20", "级别", "政府", "角色", "主持", NULL);
    eval();
    expect_credit(2018, "professional", 90, "课题(政府，主持)：90学时");
}

static void test_prior_certificate(void **state)
{
    record(&act, "认定单复印件", ZS, "kind", "学时认定单", "title", "学时认定单", "date", "2022-02-01",
           "number", "潭继教〔2021〕0007号", "from_year", "2016", "to_year", "2020", NULL);
    eval();
    assert_int_equal(res.status, PS_CREDITED);
    assert_int_equal(res.ncredits, 0);
    assert_int_equal(res.cover_from, 2016);
    assert_int_equal(res.cover_to, 2020);
    policy_result_clear(&res);
}

static void test_no_policy(void **state)
{
    record(&act, "notice、schedule、sign_in", ZS, "kind", "training", "subject", "professional",
           "title", "x", "date", "2016-05-10", "days", "1", NULL);
    eval();
    assert_string_equal(res.reason, "没有2016年度的学时政策");
    assert_null(res.policy);
    expect_status(PS_REJECTED, "no_policy_for_year");

    /* a record the normaliser rejected keeps its reason */
    memset(&act, 0, sizeof act);
    act.reason_code = "invalid_id";
    snprintf(act.reason, sizeof act.reason, "身份证号无效");
    eval();
    expect_status(PS_REJECTED, "invalid_id");
}

static void test_compliance(void **state)
{
    char err[256];
    int ok = -1;
    char *missing = NULL;
    policy_year_totals t = {16, 0, 0};
    assert_int_equal(policy_compliance(set, 2019, &t, &ok, &missing, err, sizeof err), 0);
    assert_int_equal(ok, 0);
    assert_string_equal(missing, "2019年：总学时差74学时，专业科目差60学时");
    free(missing);

    policy_year_totals cases[] = {{30, 60, 0}, {31, 59, 0}, {90, 0, 0}, {0, 0, 1}, {24, 106, 0}};
    int want[] = {1, 0, 0, 1, 1};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        missing = NULL;
        assert_int_equal(policy_compliance(set, 2022, &cases[i], &ok, &missing, err, sizeof err), 0);
        assert_int_equal(ok, want[i]);
        assert_true((missing == NULL) == want[i]);
        free(missing);
    }
    /* no policy of the year: the nearest earlier, else the nearest later */
    t = (policy_year_totals){0, 59, 0};
    assert_int_equal(policy_compliance(set, 2030, &t, &ok, &missing, err, sizeof err), 0);
    assert_string_equal(missing, "2030年：总学时差31学时，公需科目差30学时，专业科目差1学时"); /* 2026 (public ≥ 30) */
    free(missing);
    assert_int_equal(policy_compliance(set, 2010, &t, &ok, NULL, err, sizeof err), 0);
    assert_int_equal(ok, 0);
}

static void test_spans_calendar_numbers(void **state)
{
    char err[256];
    int from, to;
    assert_int_equal(policy_span(set, 2022, "intermediate", &from, &to, err, sizeof err), 0);
    assert_int_equal(from, 2018);
    assert_int_equal(to, 2021);
    assert_int_equal(policy_span(set, 2022, "senior", &from, &to, err, sizeof err), 0);
    assert_int_equal(from, 2017);
    assert_int_equal(to, 2021);
    assert_int_equal(policy_span(set, 2031, "senior", &from, &to, err, sizeof err), -1);
    assert_non_null(strstr(err, "2031"));
    assert_int_equal(policy_span(set, 2022, "junior", &from, &to, err, sizeof err), -1);

    char end[11];
    assert_int_equal(policy_workdays_end(set, "2022-09-30", 5, end, err, sizeof err), 0);
    assert_string_equal(end, "2022-10-11");
    char no[64];
    assert_int_equal(policy_certificate_number(set, 2022, 7, no, sizeof no, err, sizeof err), 0);
    assert_string_equal(no, "潭继教〔2022〕0007号");
    assert_int_equal(policy_certificate_number(set, 2022, 7, no, 8, err, sizeof err), -1);
}

static void test_rules_check(void **state)
{
    FILE *out = tmpfile();
    assert_non_null(out);
    int passed = 0, failed = -1;
    int rc = policy_check_dir(XS_TEST_RULES_DIR, out, &passed, &failed);
    char buf[16384];
    rewind(out);
    size_t n = fread(buf, 1, sizeof buf - 1, out);
    buf[n] = '\0';
    fclose(out);
    if (rc != 0)
        fail_msg("rules check failed:\n%s", buf);
    assert_int_equal(failed, 0);
    assert_true(passed > 50);
    assert_non_null(strstr(buf, "2022.lua  sha256="));
    assert_null(strstr(buf, "FAIL"));
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void copy_file(const char *from, const char *dir, const char *name)
{
    char path[4096], text[65536];
    snprintf(path, sizeof path, "%s/%s", from, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    write_file(dir, name, text);
}

/* A rules folder with the real 2022 policy and library, plus whatever the
 * test adds. */
static const char *scratch(const char *name)
{
    static char dir[4096];
    char sub[4200];
    snprintf(dir, sizeof dir, "%s/policy-%d-%s", XS_TEST_TMP_DIR, (int)getpid(), name);
    mkdir(XS_TEST_TMP_DIR, 0755);
    mkdir(dir, 0755);
    snprintf(sub, sizeof sub, "%s/lib", dir);
    mkdir(sub, 0755);
    snprintf(sub, sizeof sub, "%s/tests", dir);
    mkdir(sub, 0755);
    copy_file(XS_TEST_RULES_DIR, dir, "2022.lua");
    copy_file(XS_TEST_RULES_DIR, dir, "lib/hunan.lua");
    return dir;
}

static void test_check_reports_failures(void **state)
{
    const char *dir = scratch("check");
    write_file(dir, "tests/2022_test.lua",
               "test('passes', function() eq(evaluate{kind = 'book', rank = 1, date = '2022-02-01',\n"
               "  evidence = {'cover', 'copyright_page', 'toc'}}.hours, 90) end)\n"
               "test('fails', function()\n"
               "  eq(1 + 1, 3)\n"
               "end)\n"
               "test('errors', function() local x = nil; return x.y end)\n");
    write_file(dir, "2027.lua", "local p = policy('2022')\np.year = 2027\nreturn p\n");
    FILE *out = tmpfile();
    int passed = 0, failed = 0;
    assert_int_equal(policy_check_dir(dir, out, &passed, &failed), 1);
    char buf[8192];
    rewind(out);
    size_t n = fread(buf, 1, sizeof buf - 1, out);
    buf[n] = '\0';
    fclose(out);
    assert_int_equal(passed, 1);
    assert_int_equal(failed, 3); /* fails, errors, no tests for 2027 */
    assert_non_null(strstr(buf, "1 passed, 2 failed"));
    /* files are named from the rules folder's own name */
    char want[512];
    const char *label = strrchr(dir, '/') + 1;
    snprintf(want, sizeof want, "  FAIL fails: %s/tests/2022_test.lua:4: expected 3, got 2\n", label);
    assert_non_null(strstr(buf, want));
    snprintf(want, sizeof want, "  FAIL errors: %s/tests/2022_test.lua:6:", label);
    assert_non_null(strstr(buf, want));
    snprintf(want, sizeof want, "  FAIL no tests: %s/tests/2027_test.lua not found", label);
    assert_non_null(strstr(buf, want));
}

static void test_load_all_or_nothing(void **state)
{
    const char *dir = scratch("broken");
    write_file(dir, "2021.lua", "local p = policy('2022')\np.year = 2021\np.kinds.training.materials = {{'certifcate'}}\nreturn p\n");
    policy_set *s = (policy_set *)0x1;
    char err[1024];
    assert_int_equal(policy_set_load(dir, NULL, &s, err, sizeof err), -1);
    assert_ptr_equal(s, (policy_set *)0x1); /* untouched */
    assert_non_null(strstr(err, "2021.lua"));
    assert_non_null(strstr(err, "certifcate"));

    write_file(dir, "2021.lua", "local p = policy('2022')\np.year = 2021\nreturn p\n");
    assert_int_equal(policy_set_load(dir, NULL, &s, err, sizeof err), 0);
    assert_int_equal(policy_set_count(s), 2);

    /* two sets at once (a reload): each keeps working on its own */
    activity a;
    record(&a, "cover、版权页、目录", ZS, "kind", "book", "rank", "1", "title", "t", "date", "2021-02-01", NULL);
    policy_result r1, r2;
    assert_int_equal(policy_evaluate(s, &a, &r1), 0);
    assert_int_equal(policy_evaluate(set, &a, &r2), 0);
    assert_true(r1.credits[0].hours == 90 && r2.credits[0].hours == 90);
    assert_string_not_equal(r1.policy->path, r2.policy->path);
    policy_result_clear(&r1);
    policy_result_clear(&r2);
    policy_set_free(s);

    char empty[4200];
    snprintf(empty, sizeof empty, "%s/lib", dir);
    assert_int_equal(policy_set_load(empty, NULL, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "no policy"));
}

static void test_absolute_spans_and_2024_style(void **state)
{
    const char *dir = scratch("later");
    write_file(dir, "2024.lua",
               "local p = policy('2022')\n"
               "p.year = 2024\n"
               "p.topics = {'新质生产力'}\n"
               "p.requirements.minimum = {public = 30, professional = 60}\n"
               "p.spans.intermediate = {from = 2019, to = 2023}\n"
               "return p\n");
    policy_set *s;
    char err[1024];
    assert_int_equal(policy_set_load(dir, NULL, &s, err, sizeof err), 0);
    int from, to, ok;
    char *missing;
    assert_int_equal(policy_span(s, 2024, "intermediate", &from, &to, err, sizeof err), 0);
    assert_int_equal(from, 2019);
    assert_int_equal(to, 2023);
    assert_int_equal(policy_span(s, 2024, "senior", &from, &to, err, sizeof err), 0);
    assert_int_equal(from, 2019);
    assert_int_equal(to, 2023);
    policy_year_totals t = {20, 70, 0};
    assert_int_equal(policy_compliance(s, 2024, &t, &ok, &missing, err, sizeof err), 0);
    assert_int_equal(ok, 0);
    assert_string_equal(missing, "2024年：公需科目差10学时");
    free(missing);
    policy_set_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_zhangsan),
        cmocka_unit_test(test_lisi),
        cmocka_unit_test(test_wangwu),
        cmocka_unit_test(test_prior_certificate),
        cmocka_unit_test(test_no_policy),
        cmocka_unit_test(test_compliance),
        cmocka_unit_test(test_spans_calendar_numbers),
        cmocka_unit_test(test_rules_check),
        cmocka_unit_test(test_check_reports_failures),
        cmocka_unit_test(test_load_all_or_nothing),
        cmocka_unit_test(test_absolute_spans_and_2024_style),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
