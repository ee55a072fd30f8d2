/*
 * A 2024 activity is judged by the 2024 policy (湘人社办函〔2024〕21号):
 * its topic list, and "public ≥ 30 and professional ≥ 60" — where 2023 (as
 * 2022) only asks professional ≥ 60 and 90 in all. Then a 2025 title
 * evaluation (intermediate 2021–2024) is verified and certified.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "xs_test.h"

/* born 1992-03-15, with its check digit */
#define CZ "430302199203150042"
#define TRAIN "[\"notice\",\"schedule\",\"sign_in\"]"

static char dd[4096];

static void put(const char *name, const char *acts)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dd, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"person\":{\"id\":\"" CZ "\",\"name\":\"陈洲\",\"unit\":\"湘潭大学\",\"education\":\"硕士研究生\","
               "\"professional_title\":\"讲师\"},\"activities\":[%s]}", acts);
    fclose(f);
    assert_int_equal(xt_xueshi(dd, "ingest %s", path), 0);
}

static char *out_text(void)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/last.out", dd);
    return xt_slurp(p);
}

static void test_2024_topics_and_minimums(void **state)
{
    xt_tmpdir("certify-2024", dd, sizeof dd);
    char acts[8192] = "";
    /* 2021, 2022: 30 public + 60 professional; 2023: professional 90 only. */
    for (int y = 2021; y <= 2022; y++) {
        size_t n = strlen(acts);
        snprintf(acts + n, sizeof acts - n,
                 "%s{\"ref\":\"p%d\",\"kind\":\"training\",\"subject\":\"public\",\"topic\":\"%s\","
                 "\"title\":\"%d年公需科目\",\"date\":\"%d-05-10\",\"days\":3,\"evidence\":" TRAIN "},"
                 "{\"ref\":\"q%d\",\"kind\":\"training\",\"subject\":\"professional\",\"title\":\"%d年专业科目\","
                 "\"date\":\"%d-09-10\",\"days\":6,\"evidence\":" TRAIN "}",
                 n ? "," : "", y, y == 2022 ? "新时代数字化在工作中的应用" : "任意主题", y, y, y, y, y);
    }
    strcat(acts, ",{\"ref\":\"q2023\",\"kind\":\"training\",\"subject\":\"professional\",\"title\":\"2023年专业科目\","
                 "\"date\":\"2023-09-10\",\"days\":9,\"evidence\":" TRAIN "}");
    /* 2024: 20 public on a 2024 topic, 120 professional, and a 2022 topic. */
    strcat(acts, ",{\"ref\":\"a\",\"kind\":\"培训班\",\"subject\":\"公需\",\"topic\":\"创新驱动发展\","
                 "\"title\":\"创新驱动发展专题培训\",\"date\":\"2024-04-11\",\"days\":2,\"evidence\":" TRAIN "}"
                 ",{\"ref\":\"b\",\"kind\":\"培训班\",\"subject\":\"公需\",\"topic\":\"区块链技术与应用\","
                 "\"title\":\"区块链讲座\",\"date\":\"2024-05-20\",\"days\":1,\"evidence\":" TRAIN "}"
                 ",{\"ref\":\"c\",\"kind\":\"课题\",\"role\":\"主持\",\"level\":\"行业\",\"title\":\"高校数字教学研究\","
                 "\"date\":\"2024-11-30\",\"evidence\":[\"结题证明\"]}"
                 ",{\"ref\":\"d\",\"kind\":\"论文\",\"rank\":1,\"cn\":\"CN43-1069/N\",\"title\":\"一种教学评价方法\","
                 "\"date\":\"2024-06-30\",\"evidence\":[\"刊物封面\",\"刊号\",\"目录\"]}");
    put("chenzhou.json", acts);

    sqlite3 *db = xt_db(dd);
    assert_string_equal(xt_q(db, "SELECT status || '|' || reason_code || '|' || reason FROM activities WHERE ref = 'b'"),
                        "rejected|topic_not_in_policy|「区块链技术与应用」不是2024年度公需科目主题"
                        "（数字产业化和产业数字化、守好安全生产底线、创新驱动发展）");
    assert_string_equal(xt_q(db, "SELECT c.policy FROM credits c JOIN activities a USING (activity_id) WHERE a.ref = 'a'"),
                        "2024.lua");
    /* 2023 (2022's rule): professional 90 alone is enough. 2024: not without 30 public. */
    assert_string_equal(xt_q(db, "SELECT group_concat(year || ':' || public_hours || ':' || professional_hours"
                                 " || ':' || compliant, ',') FROM (SELECT * FROM person_years WHERE year >= 2023"
                                 " ORDER BY year)"),
                        "2023:0:90:1,2024:20:120:0");
    sqlite3_close(db);

    assert_int_equal(xt_xueshi(dd, "verify --id " CZ " --level intermediate --eval-year 2025"), 3);
    char *o = out_text();
    assert_non_null(strstr(o, "认定跨度 2021—2024年"));
    assert_non_null(strstr(o, "2024年  公需20  专业120  合计140  不达标：公需科目差10学时"));
    free(o);
    assert_int_equal(xt_xueshi(dd, "certify --id " CZ " --level intermediate --eval-year 2025 --specialty 教育学"), 3);

    /* One more day on a 2024 topic makes 30. */
    put("chenzhou-2.json", "{\"ref\":\"e\",\"kind\":\"training\",\"subject\":\"public\",\"topic\":\"守好安全生产底线\","
                           "\"title\":\"安全生产专题\",\"date\":\"2024-10-15\",\"days\":1,\"evidence\":" TRAIN "}");
    db = xt_db(dd);
    assert_string_equal(xt_q(db, "SELECT public_hours || ':' || compliant FROM person_years WHERE year = 2024"), "30:1");
    sqlite3_close(db);
    assert_int_equal(xt_xueshi(dd, "verify --id " CZ " --level intermediate --eval-year 2025"), 0);
    assert_int_equal(xt_xueshi(dd, "certify --id " CZ " --level intermediate --eval-year 2025 --specialty 教育学"
                                   " --date 2025-06-03 --out %s/cz.html", dd), 0);
    o = out_text();
    assert_non_null(strstr(o, "潭继教〔2025〕0001号"));
    free(o);
    char p[4200];
    snprintf(p, sizeof p, "%s/cz.html", dd);
    char *page = xt_slurp(p);
    assert_non_null(strstr(page, "自<span class=\"fill\">2021</span>年至<span class=\"fill\">2024</span>年"));
    assert_non_null(strstr(page, "二〇二五年六月三日"));
    assert_non_null(strstr(page, "创新驱动发展专题培训（20学时）"));
    assert_null(strstr(page, "区块链讲座"));
    free(page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_2024_topics_and_minimums)};
    return cmocka_run_group_tests_name("certify_2024", tests, NULL, NULL);
}
