#define _GNU_SOURCE
/*
 * Title verification and the 学时认定单 through the real binary (SPEC §6):
 * eligible, not eligible (exit 3 with the per-year reasons), covered by a
 * submitted prior certificate, covered by a certificate xueshi issued; the
 * same certify twice gives one number and one page; the page is the seed's
 * 附件3 with every value HTML-escaped; the certificates row is SPEC §7's.
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

static char dd[4096];

/* GB 11643 check digit appended to 17 digits. */
static const char *make_id(const char *first17)
{
    static char ids[8][19];
    static int next;
    char *out = ids[next++ % 8];
    memcpy(out, first17, 17);
    out[17] = record_id_check_digit(first17);
    out[18] = '\0';
    return out;
}

static char ZL[19], WL[19], SQ[19], ZB[19];

#define TRAIN "[\"notice\",\"schedule\",\"sign_in\"]"

/* A public training of pub_days and a professional one of pro_days in year. */
static void year_acts(char *buf, size_t len, int year, int pub_days, int pro_days)
{
    size_t n = strlen(buf);
    if (pub_days)
        n += (size_t)snprintf(buf + n, len - n,
                              "%s{\"ref\":\"pub-%d\",\"kind\":\"培训班\",\"subject\":\"公需\",\"topic\":\"%s\","
                              "\"title\":\"%d年公需科目培训班\",\"date\":\"%d-05-10\",\"days\":%d,"
                              "\"evidence\":" TRAIN "}",
                              n > 1 ? "," : "", year, year == 2022 ? "区块链技术与应用" : "职业道德与诚信建设",
                              year, year, pub_days);
    if (pro_days)
        snprintf(buf + n, len - n,
                 "%s{\"ref\":\"pro-%d\",\"kind\":\"training\",\"subject\":\"professional\","
                 "\"title\":\"%d年临床医学新进展研修班\",\"date\":\"%d-09-12\",\"days\":%d,"
                 "\"evidence\":" TRAIN "}",
                 n > 1 ? "," : "", year, year, year, pro_days);
}

static void write_person(const char *file, const char *id, const char *name, const char *unit,
                         const char *acts)
{
    char path[4200], *json;
    snprintf(path, sizeof path, "%s/%s", dd, file);
    if (asprintf(&json, "{\"person\":{\"id\":\"%s\",\"name\":\"%s\",\"unit\":\"%s\","
                        "\"professional_title\":\"主治医师\",\"education\":\"本科\"},\"activities\":%s]}",
                 id, name, unit, acts) < 0)
        abort();
    xt_write(path, json);
    free(json);
}

static char *out_text(void)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/last.out", dd);
    return xt_slurp(p);
}

static char *err_text(void)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/last.err", dd);
    return xt_slurp(p);
}

static char *file_text(const char *name)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dd, name);
    return xt_slurp(p);
}

static int setup(void **state)
{
    strcpy(ZL, make_id("43030219850612123"));
    strcpy(WL, make_id("43030219900720789"));
    strcpy(SQ, make_id("43030219780301456"));
    strcpy(ZB, make_id("43030219820909321"));
    xt_tmpdir("certify", dd, sizeof dd);
    char acts[16384];

    /* 赵六: 2018–2021 each 30 public + 60 professional. */
    strcpy(acts, "[");
    for (int y = 2018; y <= 2021; y++)
        year_acts(acts, sizeof acts, y, 3, 6);
    write_person("zhaoliu.json", ZL, "赵六", "湘潭市中心医院", acts);

    /* 吴六: 2018 fine; 2019 16 public; nothing in 2020, 2021. */
    strcpy(acts, "[");
    year_acts(acts, sizeof acts, 2018, 3, 6);
    strcat(acts, ",{\"ref\":\"w-2019\",\"kind\":\"training\",\"subject\":\"public\",\"topic\":\"任意\","
                 "\"title\":\"2019年公需科目\",\"date\":\"2019-06-01\",\"days\":1,\"half_days\":1,"
                 "\"evenings\":1,\"evidence\":" TRAIN "}");
    write_person("wuliu.json", WL, "吴六", "湘潭市中心医院", acts);

    /* 孙七: a 2016–2020 certificate from before (通知 三(二)), then 2021. */
    strcpy(acts, "[{\"ref\":\"prior\",\"kind\":\"学时认定单\",\"title\":\"2016—2020年学时认定单\","
                 "\"number\":\"潭继教〔2021〕0035号\",\"from_year\":2016,\"to_year\":2020,"
                 "\"date\":\"2021-03-01\",\"evidence\":[\"认定单复印件\"]}");
    year_acts(acts, sizeof acts, 2021, 3, 6);
    write_person("sunqi.json", SQ, "孙七", "湘潭市中心医院", acts);

    /* 周八: 2017–2022 compliant. */
    strcpy(acts, "[");
    for (int y = 2017; y <= 2022; y++)
        year_acts(acts, sizeof acts, y, 3, 6);
    write_person("zhouba.json", ZB, "周八", "湘钢集团", acts);

    int rc = xt_xueshi(dd, "ingest %s/zhaoliu.json %s/wuliu.json %s/sunqi.json %s/zhouba.json", dd, dd,
                       dd, dd);
    if (rc != 0) {
        char *e = err_text();
        fprintf(stderr, "ingest failed (%d): %s\n", rc, e ? e : "");
        free(e);
        return -1;
    }
    return 0;
}

static void test_help_and_usage(void **state)
{
    assert_int_equal(xt_xueshi(dd, "certify --help"), 0);
    char *o = out_text();
    assert_non_null(strstr(o, "--specialty"));
    free(o);
    assert_int_equal(xt_xueshi(dd, "certify --id %s --level intermediate --eval-year 2022", ZL), 2);
    assert_int_equal(xt_xueshi(dd, "certify --id %s --level 初级 --eval-year 2022 --specialty 内科", ZL), 2);
    assert_int_equal(xt_xueshi(dd, "certify --id %s --level 中级 --eval-year 2022 --specialty 内科"
                                   " --date 2022-02-30", ZL), 2);
    assert_int_equal(xt_xueshi(dd, "certify --id 430302199007207891 --level senior --eval-year 2022"
                                   " --specialty 内科"), 2);
    sqlite3 *db = xt_db(dd);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM certificates"), 0);
    sqlite3_close(db);
}

/* Verification detail: hours by category, what is missing in plain
 * Chinese (the year once, not twice), and JSON. */
static void test_verify_detail(void **state)
{
    assert_int_equal(xt_xueshi(dd, "verify --id %s --level intermediate --eval-year 2022", WL), 3);
    char *o = out_text();
    assert_non_null(strstr(o, "2018年  公需30  专业60  合计90  达标"));
    assert_non_null(strstr(o, "2019年  公需16  专业0  合计16  不达标：总学时差74学时，专业科目差60学时"));
    assert_null(strstr(o, "2019年：2019年"));
    assert_non_null(strstr(o, "  2020年：总学时差90学时，专业科目差60学时\n"));
    free(o);
    assert_int_equal(xt_xueshi(dd, "verify --id %s --level intermediate --eval-year 2022 --json", WL), 3);
    o = out_text();
    assert_non_null(strstr(o, "\"missing\": \"2019年：总学时差74学时，专业科目差60学时\""));
    assert_non_null(strstr(o, "\"status\": \"missing\""));
    assert_non_null(strstr(o, "\"eligible\": false"));
    free(o);
    /* nobody with this ID: every year missing, said so */
    assert_int_equal(xt_xueshi(dd, "verify --id %s --level senior --eval-year 2022", make_id("11010119900307651")), 3);
    o = out_text();
    assert_non_null(strstr(o, "没有该人员的继续教育记录"));
    free(o);
}

static void test_not_eligible(void **state)
{
    assert_int_equal(xt_xueshi(dd, "certify --id %s --level intermediate --eval-year 2022 --specialty 内科"
                                   " --out %s/wl.html", WL, dd),
                     3);
    char *e = err_text();
    assert_non_null(strstr(e, "不能签发学时认定单"));
    assert_non_null(strstr(e, "2019年：总学时差74学时，专业科目差60学时"));
    assert_non_null(strstr(e, "2020年：总学时差90学时，专业科目差60学时"));
    assert_non_null(strstr(e, "2021年：总学时差90学时，专业科目差60学时"));
    assert_null(strstr(e, "2018年："));
    free(e);
    char *page = file_text("wl.html");
    assert_null(page);
    sqlite3 *db = xt_db(dd);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM certificates WHERE person_id = '%s'", WL), 0);
    sqlite3_close(db);
}

static void test_eligible_issue_and_page(void **state)
{
    assert_int_equal(xt_xueshi(dd, "verify --id %s --level intermediate --eval-year 2022", ZL), 0);
    assert_int_equal(xt_xueshi(dd, "certify --id %s --level 中级 --eval-year 2022 --specialty '临床医学<b>&\"'"
                                   " --handler 李明 --phone 0731-58524342 --register-number XJ-2019-0088"
                                   " --date 2022-06-10 --out %s/zl.html", ZL, dd),
                     0);
    char *o = out_text();
    assert_non_null(strstr(o, "已签发学时认定单 潭继教〔2022〕0001号"));
    free(o);

    sqlite3 *db = xt_db(dd);
    assert_string_equal(xt_q(db, "SELECT number || '|' || person_id || '|' || level || '|' || eval_year || '|'"
                                 " || from_year || '|' || to_year || '|' || specialty || '|' || issued_at"
                                 " || '|' || handler || '|' || seq FROM certificates WHERE person_id = '%s'", ZL),
                        "潭继教〔2022〕0001号|430302198506121236|intermediate|2022|2018|2021|"
                        "临床医学<b>&\"|2022-06-10|李明|1");
    sqlite3_close(db);

    char *page = file_text("zl.html");
    assert_non_null(page);
    /* the stub (存根) */
    assert_non_null(strstr(page, "存根"));
    assert_non_null(strstr(page, "<dt>姓名</dt><dd>赵六</dd>"));
    assert_non_null(strstr(page, "<dt>单位</dt><dd>湘潭市中心医院</dd>"));
    assert_non_null(strstr(page, "<dt>现有职称</dt><dd>主治医师</dd>"));
    assert_non_null(strstr(page, "<dt>编号</dt><dd>潭继教〔2022〕0001号</dd>"));
    assert_non_null(strstr(page, "<dt>经办人</dt><dd>李明</dd>"));
    assert_non_null(strstr(page, "<dt>联系电话</dt><dd>0731-58524342</dd>"));
    /* the main part, in the seed's words */
    assert_non_null(strstr(page, "根据《专业技术人员继续教育规定》(人社部令第25号)精神，"
                                 "<span class=\"fill wide\">赵六</span>同志，<span class=\"fill\">本科</span>学历，"
                                 "申报<span class=\"fill wide\">临床医学&lt;b&gt;&amp;&quot;</span>专业中级职称，"
                                 "自<span class=\"fill\">2018</span>年至<span class=\"fill\">2021</span>年"
                                 "(近<span class=\"fill short\">4</span>年)参加继续教育培训，"
                                 "培训学时达到《专业技术人员继续教育规定》学时。"));
    assert_null(strstr(page, "<b>&"));
    assert_non_null(strstr(page, "继续教育登记证编号：<span class=\"fill\">XJ-2019-0088</span>"));
    assert_non_null(strstr(page, "二〇二二年六月十日"));
    /* page 2: each year's hours and what they came from */
    assert_non_null(strstr(page, "2019年临床医学新进展研修班（60学时）"));
    assert_non_null(strstr(page, "2021年公需科目培训班（30学时）"));
    assert_null(strstr(page, "{{"));
    free(page);
}

static void test_same_certify_twice(void **state)
{
    /* Another day, other flags: still the certificate already issued. */
    assert_int_equal(xt_xueshi(dd, "certify --id %s --level intermediate --eval-year 2022 --specialty 内科"
                                   " --date 2022-07-01 --out %s/zl2.html --json", ZL, dd),
                     0);
    char *o = out_text();
    assert_non_null(strstr(o, "\"number\": \"潭继教〔2022〕0001号\""));
    assert_non_null(strstr(o, "\"existing\": true"));
    assert_non_null(strstr(o, "\"issued_at\": \"2022-06-10\""));
    free(o);
    char *a = file_text("zl.html"), *b = file_text("zl2.html");
    assert_non_null(b);
    assert_string_equal(a, b);
    free(a);
    free(b);
    sqlite3 *db = xt_db(dd);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM certificates WHERE person_id = '%s'", ZL), 1);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM certificates"), 1);
    sqlite3_close(db);
    /* The senior evaluation of the same year is another certificate. */
    assert_int_equal(xt_xueshi(dd, "certify --id %s --level senior --eval-year 2022 --specialty 内科", ZL), 3);
}

/* 通知 三(二): an earlier 学时认定单 covers its years. */
static void test_covered_by_prior_certificate(void **state)
{
    assert_int_equal(xt_xueshi(dd, "verify --id %s --level intermediate --eval-year 2022", SQ), 0);
    char *o = out_text();
    assert_non_null(strstr(o, "2018年  公需0  专业0  合计0  学时未达标，由已提交的学时认定单 潭继教〔2021〕0035号"
                              "(2016—2020年)覆盖"));
    assert_non_null(strstr(o, "2021年  公需30  专业60  合计90  达标"));
    free(o);
    assert_int_equal(xt_xueshi(dd, "verify --id %s --level intermediate --eval-year 2022 --json", SQ), 0);
    o = out_text();
    assert_non_null(strstr(o, "\"kind\": \"submitted\""));
    assert_non_null(strstr(o, "\"number\": \"潭继教〔2021〕0035号\""));
    free(o);
    /* the senior span starts in 2017, also covered */
    assert_int_equal(xt_xueshi(dd, "certify --id %s --level senior --eval-year 2022 --specialty 内科"
                                   " --date 2022-06-11 --out %s/sq.html", SQ, dd),
                     0);
    char *page = file_text("sq.html");
    assert_non_null(strstr(page, "由已提交的学时认定单 潭继教〔2021〕0035号(2016—2020年)认定"));
    assert_non_null(strstr(page, "(近<span class=\"fill short\">5</span>年)"));
    free(page);
    sqlite3 *db = xt_db(dd);
    assert_string_equal(xt_q(db, "SELECT number || '|' || from_year || '|' || to_year || '|' || seq"
                                 " FROM certificates WHERE person_id = '%s'", SQ),
                        "潭继教〔2022〕0002号|2017|2021|2");
    sqlite3_close(db);
}

/* A certificate xueshi issued covers its span later, even when a year's
 * hours no longer suffice (a correction made an activity pending). */
static void test_covered_by_issued_certificate(void **state)
{
    assert_int_equal(xt_xueshi(dd, "certify --id %s --level senior --eval-year 2022 --specialty 冶金工程"
                                   " --date 2022-06-12", ZB), 0);
    sqlite3 *db = xt_db(dd);
    char number[128];
    snprintf(number, sizeof number, "%s", xt_q(db, "SELECT number FROM certificates WHERE person_id = '%s'", ZB));
    sqlite3_close(db);
    assert_string_equal(number, "潭继教〔2022〕0003号");

    /* The unit resubmits the 2019 professional course without its sign-in sheet. */
    char acts[4096], path[4200];
    snprintf(acts, sizeof acts,
             "[{\"ref\":\"pro-2019\",\"kind\":\"training\",\"subject\":\"professional\","
             "\"title\":\"2019年临床医学新进展研修班\",\"date\":\"2019-09-12\",\"days\":6,"
             "\"evidence\":[\"notice\",\"schedule\"]}");
    write_person("zhouba-fix.json", ZB, "周八", "湘钢集团", acts);
    snprintf(path, sizeof path, "%s/zhouba-fix.json", dd);
    assert_int_equal(xt_xueshi(dd, "ingest %s", path), 0);
    db = xt_db(dd);
    assert_int_equal(xt_qi(db, "SELECT compliant FROM person_years WHERE person_id = '%s' AND year = 2019", ZB), 0);
    sqlite3_close(db);

    /* 2023 intermediate spans 2019–2022: 2019 is covered by the issued one. */
    assert_int_equal(xt_xueshi(dd, "verify --id %s --level intermediate --eval-year 2023", ZB), 0);
    char *o = out_text();
    assert_non_null(strstr(o, "2019年  公需30  专业0  合计30  学时未达标，由本系统签发的学时认定单 "
                              "潭继教〔2022〕0003号(2017—2021年)覆盖"));
    assert_non_null(strstr(o, "2022年  公需30  专业60  合计90  达标"));
    free(o);
    assert_int_equal(xt_xueshi(dd, "verify --id %s --level intermediate --eval-year 2023 --json", ZB), 0);
    o = out_text();
    assert_non_null(strstr(o, "\"kind\": \"issued\""));
    assert_non_null(strstr(o, "\"status\": \"covered\""));
    free(o);
    /* The evaluation it was issued for does not prove itself … */
    assert_int_equal(xt_xueshi(dd, "verify --id %s --level senior --eval-year 2022", ZB), 3);
    o = out_text();
    assert_non_null(strstr(o, "2019年：总学时差60学时，专业科目差60学时"));
    free(o);
    /* … but the certificate stays what it is. */
    assert_int_equal(xt_xueshi(dd, "certify --id %s --level senior --eval-year 2022 --specialty 冶金工程", ZB), 0);
    o = out_text();
    assert_non_null(strstr(o, "已有学时认定单 潭继教〔2022〕0003号"));
    free(o);
    /* A 2023 certificate gets its own numbering. */
    assert_int_equal(xt_xueshi(dd, "certify --id %s --level intermediate --eval-year 2023 --specialty 冶金工程"
                                   " --date 2023-05-08", ZB), 0);
    db = xt_db(dd);
    assert_string_equal(xt_q(db, "SELECT number || '|' || seq FROM certificates WHERE person_id = '%s'"
                                 " AND eval_year = 2023", ZB),
                        "潭继教〔2023〕0001号|1");
    sqlite3_close(db);
}

/* The page goes to standard output with --out -, messages to stderr. */
static void test_out_stdout(void **state)
{
    assert_int_equal(xt_xueshi(dd, "certify --id %s --level intermediate --eval-year 2022 --specialty 内科"
                                   " --out -", ZL), 0);
    char *o = out_text(), *page = file_text("zl.html");
    assert_string_equal(o, page);
    free(o);
    free(page);
}


/* A template with a typo must not cost a number: the page is rendered once
 * before the number is taken. */
static void test_broken_template_costs_no_number(void **state)
{
    char rules[4200];
    snprintf(rules, sizeof rules, "%s/rules", dd);
    assert_int_equal(xt_run("rm -rf '%s' && cp -r '%s' '%s' && sed -i 's/{{specialty}}/{{specialtyy}}/'"
                            " '%s/templates/certificate-2022.html'", rules, XS_TEST_RULES_DIR, rules, rules), 0);
    sqlite3 *db = xt_db(dd);
    long long before = xt_qi(db, "SELECT count(*) FROM certificates");
    sqlite3_close(db);
    /* 孙七 is eligible for 2022 intermediate and has no such certificate yet */
    assert_int_equal(xt_xueshi(dd, "certify --id %s --level intermediate --eval-year 2022 --specialty 内科"
                                   " --rules %s", SQ, rules), 1);
    char *e = err_text();
    assert_non_null(strstr(e, "certificate-2022.html：模板第"));
    assert_non_null(strstr(e, "未知的名称「specialtyy」"));
    free(e);
    db = xt_db(dd);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM certificates"), before);
    sqlite3_close(db);
}

/* A crash after the number was taken and before the page was stored: the
 * next certify renders it, with the number and date already issued. */
static void test_page_rendered_after_crash(void **state)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/xueshi.db", dd);
    sqlite3 *rw;
    assert_int_equal(sqlite3_open(path, &rw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(rw, "UPDATE cert_documents SET html = NULL WHERE number = '潭继教〔2022〕0002号'",
                                  NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_changes(rw), 1);
    sqlite3_close(rw);
    assert_int_equal(xt_xueshi(dd, "certify --id %s --level senior --eval-year 2022 --specialty 外科"
                                   " --date 2022-12-01 --out %s/sq2.html", SQ, dd), 0);
    char *page = file_text("sq2.html");
    assert_non_null(page);
    assert_non_null(strstr(page, "<dt>编号</dt><dd>潭继教〔2022〕0002号</dd>"));
    assert_non_null(strstr(page, "二〇二二年六月十一日")); /* the issue date, not --date */
    assert_non_null(strstr(page, ">内科</span>专业高级职称"));
    free(page);
    sqlite3 *db = xt_db(dd);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM cert_documents WHERE html IS NULL"), 0);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_usage),
        cmocka_unit_test(test_verify_detail),
        cmocka_unit_test(test_not_eligible),
        cmocka_unit_test(test_eligible_issue_and_page),
        cmocka_unit_test(test_same_certify_twice),
        cmocka_unit_test(test_covered_by_prior_certificate),
        cmocka_unit_test(test_covered_by_issued_certificate),
        cmocka_unit_test(test_out_stdout),
        cmocka_unit_test(test_broken_template_costs_no_number),
        cmocka_unit_test(test_page_rendered_after_crash),
    };
    return cmocka_run_group_tests_name("certify", tests, setup, NULL);
}
