/*
 * `xueshi rules check` and `xueshi rules status` through the real binary,
 * and the policy revisions the daemon, ingest and the store record: a
 * policy with a syntax error and one failing its tests are refused with
 * file and line; status tells which revision of each file this database
 * has seen, when and how; the daemon records its revisions at start and on
 * reload; every credit names its revision.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include "xs_test.h"

#define D XS_TEST_DATA_DIR

static char *out_of(const char *dd, const char *which)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/last.%s", dd, which);
    char *s = xt_slurp(p);
    assert_non_null(s);
    return s;
}

static void copy_rules(const char *to)
{
    assert_int_equal(xt_run("rm -rf '%s' && cp -r '%s' '%s'", to, XS_TEST_RULES_DIR, to), 0);
}

static void replace_in_file(const char *path, const char *from, const char *to)
{
    char *text = xt_slurp(path);
    assert_non_null(text);
    char *at = strstr(text, from);
    assert_non_null(at);
    size_t n = strlen(text) + strlen(to) + 1;
    char *out = malloc(n);
    snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    xt_write(path, out);
    free(out);
    free(text);
}

static void test_check_bundled(void **state)
{
    char dd[4096];
    xt_tmpdir("rules-ok", dd, sizeof dd);
    assert_int_equal(xt_xueshi(dd, "rules check %s", XS_TEST_RULES_DIR), 0);
    char *out = out_of(dd, "out");
    /* One line per policy: file, SHA-256, tests passed and failed. */
    assert_non_null(strstr(out, "2022.lua  sha256="));
    assert_non_null(strstr(out, " passed, 0 failed\n"));
    assert_null(strstr(out, "FAIL"));
    free(out);
    /* Without DIR: the --rules folder. */
    assert_int_equal(xt_xueshi(dd, "rules check"), 0);
    assert_int_equal(xt_xueshi(dd, "rules check --help"), 0);
    assert_int_equal(xt_xueshi(dd, "rules check --bogus"), 2);
}

static void test_check_syntax_error(void **state)
{
    char dd[4096], r[4200], p[4300];
    xt_tmpdir("rules-syntax", dd, sizeof dd);
    snprintf(r, sizeof r, "%s/rules", dd);
    copy_rules(r);
    snprintf(p, sizeof p, "%s/2019.lua", r);
    xt_write(p, "local p = policy(\"2022\")\np.year = 2019\nlocal x = = 1\nreturn p\n");
    assert_int_equal(xt_xueshi(dd, "rules check %s", r), 1);
    char *out = out_of(dd, "out");
    assert_non_null(strstr(out, "2019.lua  LOAD FAILED"));
    assert_non_null(strstr(out, "2019.lua:3:")); /* the line of the error */
    /* The others are still checked and pass. */
    assert_non_null(strstr(out, "2022.lua  sha256="));
    free(out);
    /* The whole set does not load: status says so. */
    assert_int_equal(xt_xueshi(dd, "rules status --rules %s", r), 1);
    out = out_of(dd, "out");
    assert_non_null(strstr(out, "无法加载"));
    assert_non_null(strstr(out, "2019.lua:3:"));
    free(out);
}

static void test_check_failing_test(void **state)
{
    char dd[4096], r[4200], p[4300];
    xt_tmpdir("rules-fail", dd, sizeof dd);
    snprintf(r, sizeof r, "%s/rules", dd);
    copy_rules(r);
    snprintf(p, sizeof p, "%s/2022.lua", r);
    replace_in_file(p, "attendance = { day = 10,", "attendance = { day = 12,");
    assert_int_equal(xt_xueshi(dd, "rules check %s", r), 1);
    char *out = out_of(dd, "out");
    assert_non_null(strstr(out, "  FAIL zs-1: training 2 days + half day = 24 public: "));
    assert_non_null(strstr(out, "tests/2022_test.lua:"));
    assert_non_null(strstr(out, "2×12+4=28学时")); /* what it got instead */
    free(out);

    /* A policy without its test file fails too. */
    copy_rules(r);
    snprintf(p, sizeof p, "%s/tests/2020_test.lua", r);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(xt_xueshi(dd, "rules check %s", r), 1);
}

static json_t *status_json(const char *dd, const char *rules)
{
    assert_int_equal(xt_xueshi(dd, "rules status --json --rules %s", rules), 0);
    char *out = out_of(dd, "out");
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    free(out);
    return j;
}

static json_t *policy_of(json_t *status, const char *file)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(status, "policies"), i, p)
        if (!strcmp(json_string_value(json_object_get(p, "file")), file))
            return p;
    return NULL;
}

static void test_status_and_ingest_revisions(void **state)
{
    char dd[4096], r[4200], p[4300];
    xt_tmpdir("rules-status", dd, sizeof dd);
    /* No database yet: status still lists the files. */
    assert_int_equal(xt_xueshi(dd, "rules status"), 0);
    char *out = out_of(dd, "out");
    assert_non_null(strstr(out, "2022.lua  sha256="));
    assert_non_null(strstr(out, "未载入过本数据库"));
    free(out);

    assert_int_equal(xt_xueshi(dd, "ingest %s/zhangsan-2022.json %s/lisi-2021.json", D, D), 0);
    json_t *j = status_json(dd, XS_TEST_RULES_DIR);
    assert_true(json_is_true(json_object_get(j, "loads")));
    json_t *p22 = policy_of(j, "2022.lua");
    assert_non_null(p22);
    assert_string_equal(json_string_value(json_object_get(p22, "how")), "ingest");
    assert_non_null(json_string_value(json_object_get(p22, "first_loaded")));
    assert_int_equal(json_integer_value(json_object_get(p22, "credits_this_revision")), 6);
    assert_int_equal(json_integer_value(json_object_get(p22, "credits_other_revisions")), 0);

    sqlite3 *db = xt_db(dd);
    /* ingest records every policy of the set, not only those that decided. */
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM policy_revisions WHERE how = 'ingest'"),
                     (long long)json_array_size(json_object_get(j, "policies")));
    assert_string_equal(xt_q(db, "SELECT sha256 FROM policy_revisions WHERE file = '2022.lua'"),
                        json_string_value(json_object_get(p22, "sha256")));
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM credits WHERE revision_id IS NULL"), 0);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM credits c JOIN policy_revisions r USING (revision_id)"
                               " WHERE r.file = c.policy AND r.sha256 = c.policy_sha256"),
                     xt_qi(db, "SELECT count(*) FROM credits"));
    sqlite3_close(db);
    json_decref(j);

    /* Another revision of 2022.lua: not seen by this database, and the
     * stored credits were decided by an older one. */
    snprintf(r, sizeof r, "%s/rules-next", dd);
    copy_rules(r);
    snprintf(p, sizeof p, "%s/2022.lua", r);
    replace_in_file(p, "-- 附件1 二.1：每天折算为10学时", "-- 附件1 二.1：每天折算为10学时（注释改动）");
    j = status_json(dd, r);
    p22 = policy_of(j, "2022.lua");
    assert_true(json_is_null(json_object_get(p22, "first_loaded")));
    assert_int_equal(json_integer_value(json_object_get(p22, "credits_this_revision")), 0);
    assert_int_equal(json_integer_value(json_object_get(p22, "credits_other_revisions")), 6);
    json_decref(j);
    assert_int_equal(xt_xueshi(dd, "rules status --rules %s", r), 0);
    out = out_of(dd, "out");
    assert_non_null(strstr(out, "6条由旧版本认定"));
    free(out);

    /* A superseded activity's credits stay as history. */
    snprintf(p, sizeof p, "%s/resubmit.json", dd);
    xt_write(p, "{\"person\":{\"id\":\"430302198001011234\",\"name\":\"张三\"},\"activities\":["
                "{\"ref\":\"zs-1b\",\"kind\":\"training\",\"subject\":\"public\",\"topic\":\"区块链技术与应用\","
                "\"title\":\"2022年公需科目培训班\",\"date\":\"2022-05-10\",\"days\":3,"
                "\"evidence\":[\"notice\",\"schedule\",\"sign_in\"]}]}");
    assert_int_equal(xt_xueshi(dd, "ingest %s", p), 0);
    db = xt_db(dd);
    assert_string_equal(xt_q(db, "SELECT h.hours || '|' || h.reason || '|' || h.explanation FROM credit_history h"
                                 " JOIN activities a USING (activity_id) WHERE a.ref = 'zs-1'"),
                        "24|superseded|培训2天+半天：2×10+4=24学时");
    assert_int_equal(xt_qi(db, "SELECT hours FROM credits JOIN activities USING (activity_id) WHERE ref = 'zs-1b'"), 30);
    assert_string_equal(xt_q(db, "SELECT count(*) FROM pragma_foreign_key_check"), "0");
    sqlite3_close(db);

    assert_int_equal(xt_xueshi(dd, "rules status --help"), 0);
    assert_int_equal(xt_xueshi(dd, "rules status extra"), 2);
}

static int log_has(const char *dd, const char *needle)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/daemon.log", dd);
    char *log = xt_slurp(p);
    int has = log && strstr(log, needle);
    free(log);
    return has;
}

static long long revisions(const char *dd, const char *how)
{
    sqlite3 *db = xt_db(dd);
    long long n = xt_qi(db, "SELECT count(*) FROM policy_revisions WHERE how = '%s'", how);
    sqlite3_close(db);
    return n;
}

static void test_daemon_records_revisions(void **state)
{
    char dd[4096], r[4200], p[4300];
    xt_tmpdir("rules-daemon", dd, sizeof dd);
    snprintf(r, sizeof r, "%s/rules", dd);
    copy_rules(r);
    pid_t pid = xt_daemon_start(dd, "--rules '%s'", r);
    for (int i = 0; i < 400 && !log_has(dd, "watching"); i++)
        xt_sleep(0.05);
    assert_true(log_has(dd, "watching"));
    long long n = revisions(dd, "start");
    assert_true(n >= 6);

    /* A changed policy that passes its tests: recorded as a reload. */
    snprintf(p, sizeof p, "%s/2022.lua", r);
    replace_in_file(p, "-- 附件1 二.1：每天折算为10学时", "-- 附件1 二.1：每天折算为10学时。");
    kill(pid, SIGHUP);
    for (int i = 0; i < 400 && revisions(dd, "reload") < 1; i++)
        xt_sleep(0.05);
    assert_int_equal(revisions(dd, "reload"), 1);
    sqlite3 *db = xt_db(dd);
    assert_string_equal(xt_q(db, "SELECT file FROM policy_revisions WHERE how = 'reload'"), "2022.lua");
    sqlite3_close(db);
    /* Unchanged files keep their first row. */
    assert_int_equal(revisions(dd, "start"), n);
    assert_int_equal(xt_daemon_stop(pid, 20), 0);
}

/* docs/policies.md "API reference": every example there, as assertions
 * (keep the two in step). */
static const char docs_examples[] =
    "local hunan = lib(\"hunan\")\n"
    "test(\"host\", function()\n"
    "  local p = policy(\"2022\"); p.year = 2027; eq(P.year, 2022)\n"
    "  eq(load(\"return 1 + 1\")(), 2)\n"
    "end)\n"
    "test(\"test helpers\", function()\n"
    "  eq({ span(\"senior\") }, { 2017, 2021 })\n"
    "  eq({ span(\"intermediate\") }, { 2018, 2021 })\n"
    "  eq({ span(\"senior\", 2023) }, { 2018, 2022 })\n"
    "  ok(P.topics ~= nil, \"2022 lists its topics\")\n"
    "  eq(evaluate { kind = \"培训班\", subject = \"公需\", topic = \"区块链技术与应用\", date = \"2022-05-10\",\n"
    "    days = 2, half_days = 1, evidence = \"通知、课程表、签到表\" }.hours, 24)\n"
    "  eq(evaluate_raw { kind = \"paper\", kind_name = \"论文\", rank = 0, title = \"t\", date = \"2022-07-01\" }.reason_code,\n"
    "    \"invalid_value\")\n"
    "  eq({ compliance { public = 31, professional = 59 } }, { false, \"2022年：专业科目差1学时\" })\n"
    "  eq(workdays_end(\"2022-09-30\", 5), \"2022-10-11\")\n"
    "  eq(P.attendance.day, 10)\n"
    "end)\n"
    "test(\"hunan\", function()\n"
    "  local q = hunan.policy { year = 2030 }\n"
    "  eq(q.evaluate, hunan.evaluate); eq(q.compliance, hunan.compliance); eq(q.is_workday, hunan.is_workday)\n"
    "  eq(hunan.evaluate(P, { kind = \"computer_exam\", year = 2022, modules = 2, title = \"t\", date = \"2022-06-18\",\n"
    "    evidence = { \"exam_certificate\" } }).credits[1].hours, 40)\n"
    "  eq({ hunan.compliance(P, { public = 31, professional = 59 }, 2022) }, { false, \"2022年：专业科目差1学时\" })\n"
    "  eq(hunan.compliance(P, { whole_year = true }, 2022), true)\n"
    "  local bad = policy(\"2022\"); bad.kinds.patent.materials = { { \"patent_certficate\" } }\n"
    "  eq({ pcall(hunan.validate, bad) }, { false, \"kinds.patent.materials[1]: unknown material 'patent_certficate'\" })\n"
    "  eq(hunan.is_workday(P, \"2022-10-08\"), true); eq(hunan.is_workday(P, \"2022-10-03\"), false)\n"
    "  eq(hunan.workdays_end(P, \"2022-09-30\", 5), \"2022-10-11\")\n"
    "  eq(hunan.certificate_number(P, 2022, 7), \"潭继教〔2022〕0007号\")\n"
    "  eq(hunan.missing_materials(P, P.kinds.patent.materials, {}), \"缺少材料：专利证书(patent_certificate)\")\n"
    "  eq(hunan.by_rank({ { upto = 1, hours = 30 }, { hours = 10 } }, 2), 10)\n"
    "  eq(hunan.rejected(\"not_creditable\", \"…\"), { status = \"rejected\", reason_code = \"not_creditable\", reason = \"…\" })\n"
    "  eq(hunan.missing_field(\"days\", \"hours\").reason, \"缺少天数(days)、学时(hours)\")\n"
    "  eq(hunan.invalid_value(\"rank\", \"应不小于1\").reason, \"排名(rank)应不小于1\")\n"
    "  eq(hunan.not_creditable(\"级别「市级」不在认定范围内\").reason_code, \"not_creditable\")\n"
    "  eq(hunan.num(16), \"16\"); eq(hunan.num(16.5), \"16.5\")\n"
    "  for _, r in ipairs({ \"attendance\", \"hours\", \"role\", \"rank\", \"award\", \"per_module\", \"whole_year\",\n"
    "      \"fixed\", \"covers\" }) do ok(type(hunan.rules[r].credit) == \"function\", r) end\n"
    "  eq(hunan.field_names.days, \"天数\"); eq(hunan.labels.prefecture, \"地厅级\")\n"
    "  eq({ hunan.date.parse(\"2022-05-10\") }, { 2022, 5, 10 })\n"
    "  eq(hunan.date.days(\"2022-05-10\") - hunan.date.days(2022, 5, 1), 9)\n"
    "  eq({ hunan.date.civil(hunan.date.days(\"2020-02-29\")) }, { 2020, 2, 29 })\n"
    "  eq(hunan.date.format(2022, 5, 1), \"2022-05-01\")\n"
    "  eq(hunan.date.format(hunan.date.days(\"2022-05-01\") + 30), \"2022-05-31\")\n"
    "  eq({ hunan.date.add_months(2019, 8, 31, 6) }, { 2020, 2, 29 })\n"
    "  eq(hunan.date.weekday(\"2022-10-01\"), 6)\n"
    "  eq(hunan.date.days_in_month(2024, 2), 29)\n"
    "end)\n";

static void test_docs_examples(void **state)
{
    char dd[4096], r[4200], p[4300];
    xt_tmpdir("rules-docs", dd, sizeof dd);
    snprintf(r, sizeof r, "%s/rules", dd);
    copy_rules(r);
    snprintf(p, sizeof p, "%s/tests/2022_test.lua", r);
    xt_write(p, docs_examples);
    int rc = xt_xueshi(dd, "rules check %s", r);
    char *out = out_of(dd, "out");
    if (rc != 0)
        fprintf(stderr, "%s", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "2022.lua  sha256="));
    assert_non_null(strstr(out, "3 passed, 0 failed"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_bundled),
        cmocka_unit_test(test_check_syntax_error),
        cmocka_unit_test(test_check_failing_test),
        cmocka_unit_test(test_status_and_ingest_revisions),
        cmocka_unit_test(test_daemon_records_revisions),
        cmocka_unit_test(test_docs_examples),
    };
    return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
