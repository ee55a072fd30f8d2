/*
 * Operating a policy change through the real binary: `rules diff` shows
 * exactly the activities and person-years a changed policy affects and
 * writes nothing; `recompute` then gives the database a fresh ingest under
 * the new policy gives (credits, person_years, statuses); the replaced
 * credits stay in credit_history; every credit names its revision.
 *
 * The change (a copy of rules/ with three edits to 2022.lua, which 2017–2021
 * copy): a day of attendance is worth 12 instead of 10; 职业道德与法治 is a
 * public topic; the degree-course cap is 120 instead of 90. Its tests are
 * adjusted, so `rules check` passes and recompute runs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "record.h"
#include "xs_test.h"

#define D XS_TEST_DATA_DIR
#define ZL "430302197501011236" /* 赵六: compliant only with the new day */

static const char *const credit_sql =
    "SELECT a.person_id, a.kind, a.date, a.title, c.year, c.category, c.hours, c.explanation,"
    " c.policy, c.policy_sha256 FROM credits c JOIN activities a USING (activity_id)"
    " ORDER BY 1,2,3,4,5,6";
static const char *const years_sql =
    "SELECT person_id, year, public_hours, professional_hours, whole_year, total_hours, compliant"
    " FROM person_years ORDER BY 1,2";
static const char *const status_sql =
    "SELECT person_id, kind, date, title, status, coalesce(reason_code,''), coalesce(reason,''),"
    " policy, policy_sha256 FROM activities WHERE status <> 'superseded' ORDER BY 1,2,3,4";
static const char *const covers_sql = "SELECT * FROM prior_covers ORDER BY 1";

static char *dump(const char *dd, const char *sql)
{
    sqlite3 *db = xt_db(dd);
    char *s = xt_dump(db, "%s", sql);
    sqlite3_close(db);
    return s;
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

/* The changed copy of rules/, with its tests adjusted. */
static void make_new_rules(const char *dir)
{
    assert_int_equal(xt_run("rm -rf '%s' && cp -r '%s' '%s'", dir, XS_TEST_RULES_DIR, dir), 0);
    char p[4200];
    snprintf(p, sizeof p, "%s/2022.lua", dir);
    replace_in_file(p, "attendance = { day = 10,", "attendance = { day = 12,");
    replace_in_file(p, "    \"区块链技术与应用\",\n", "    \"区块链技术与应用\",\n    \"职业道德与法治\",\n");
    replace_in_file(p, "key = \"degree_course\", limit = 90,", "key = \"degree_course\", limit = 120,");
    /* The tests that pinned the old numbers give way to ones of the new. */
    assert_int_equal(xt_run("cd '%s/tests' && for f in *_test.lua; do"
                            " printf 'test(\"loads\", function() ok(P.year ~= nil) end)\\n' > \"$f\"; done",
                            dir), 0);
    snprintf(p, sizeof p, "%s/tests/2022_test.lua", dir);
    xt_write(p, "test(\"a day is 12 now\", function()\n"
                "  local r = evaluate { kind = \"training\", subject = \"public\", topic = \"职业道德与法治\",\n"
                "    date = \"2022-05-10\", days = 2, half_days = 1, evidence = { \"notice\", \"schedule\", \"sign_in\" } }\n"
                "  eq(r.status, \"credited\")\n"
                "  eq(r.explanation, \"培训2天+半天：2×12+4=28学时\")\n"
                "end)\n");
}

/* 赵六: 2022 professional 50 + 10 (a training day), public 28: 88, short of
 * 90; with a day worth 12 the year is compliant. */
static void write_zl(const char *path)
{
    xt_write(path,
             "{\"person\":{\"id\":\"" ZL "\",\"name\":\"赵六\",\"unit\":\"湘潭市第三医院\"},\"activities\":["
             "{\"ref\":\"zl-1\",\"kind\":\"training\",\"subject\":\"professional\",\"title\":\"护理新技术\","
             "\"date\":\"2022-03-01\",\"days\":1,\"evidence\":[\"notice\",\"schedule\",\"sign_in\"]},"
             "{\"ref\":\"zl-2\",\"kind\":\"online\",\"subject\":\"professional\",\"title\":\"网络课程一\","
             "\"date\":\"2022-04-01\",\"hours\":50,\"evidence\":[\"syllabus\",\"progress\"]},"
             "{\"ref\":\"zl-3\",\"kind\":\"online\",\"subject\":\"public\",\"topic\":\"区块链技术与应用\","
             "\"title\":\"网络课程二\",\"date\":\"2022-05-01\",\"hours\":28,\"evidence\":[\"syllabus\",\"progress\"]},"
             "{\"ref\":\"zl-4\",\"kind\":\"prior_certificate\",\"title\":\"学时认定单\",\"date\":\"2021-02-01\","
             "\"number\":\"潭继教〔2021〕0007号\",\"from_year\":2016,\"to_year\":2020,\"evidence\":[\"certificate_copy\"]}]}");
}

static void ingest_all(const char *dd, const char *rules, const char *zl)
{
    assert_int_equal(xt_xueshi(dd, "ingest %s/zhangsan-2022.json %s/lisi-2021.json"
                                   " %s/xianggang-unit-gbk.csv %s --rules %s", D, D, D, zl, rules), 0);
}

static json_t *run_json(const char *dd, const char *args)
{
    int rc = xt_xueshi(dd, "%s", args);
    char p[4200];
    snprintf(p, sizeof p, "%s/last.out", dd);
    char *out = xt_slurp(p);
    if (rc != 0) {
        snprintf(p, sizeof p, "%s/last.err", dd);
        char *e = xt_slurp(p);
        fprintf(stderr, "%s exited %d:\n%s\n%s\n", args, rc, out ? out : "", e ? e : "");
        free(e);
    }
    assert_int_equal(rc, 0);
    json_error_t je;
    json_t *j = json_loads(out, 0, &je);
    if (!j)
        fprintf(stderr, "not JSON (%s): %s\n", je.text, out);
    assert_non_null(j);
    free(out);
    return j;
}

static json_t *find_ref(json_t *acts, const char *ref)
{
    size_t i;
    json_t *a;
    json_array_foreach(acts, i, a) {
        const char *r = json_string_value(json_object_get(a, "ref"));
        if (r && !strcmp(r, ref))
            return a;
    }
    return NULL;
}

static double side_hours(json_t *a, const char *side)
{
    return json_number_value(json_object_get(json_object_get(a, side), "hours"));
}

static const char *side_status(json_t *a, const char *side)
{
    return json_string_value(json_object_get(json_object_get(a, side), "status"));
}

static const char *totals_of(json_t *j, const char *k, char *buf)
{
    snprintf(buf, 32, "%lld", (long long)json_integer_value(json_object_get(json_object_get(j, "totals"), k)));
    return buf;
}

typedef struct fx {
    char dd[4096], fresh[4096], rules[4200], zl[4200];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    xt_tmpdir("recompute", f->dd, sizeof f->dd);
    xt_tmpdir("recompute-fresh", f->fresh, sizeof f->fresh);
    snprintf(f->rules, sizeof f->rules, "%s/rules-new", f->dd);
    snprintf(f->zl, sizeof f->zl, "%s/zhaoliu-2022.json", f->dd);
    make_new_rules(f->rules);
    write_zl(f->zl);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void assert_same_as_fresh(const char *dd, const char *fresh)
{
    const char *sqls[] = {credit_sql, years_sql, status_sql, covers_sql};
    for (int i = 0; i < 4; i++) {
        char *x = dump(dd, sqls[i]), *y = dump(fresh, sqls[i]);
        if (strcmp(x, y) != 0)
            fprintf(stderr, "recomputed:\n%s\nfresh:\n%s\n", x, y);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
}

static void assert_consistent(const char *dd)
{
    sqlite3 *db = xt_db(dd);
    assert_string_equal(xt_q(db, "PRAGMA integrity_check"), "ok");
    assert_string_equal(xt_q(db, "SELECT count(*) FROM pragma_foreign_key_check"), "0");
    /* Every credit names the revision of the policy that decided it. */
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM credits c LEFT JOIN policy_revisions r USING (revision_id)"
                               " WHERE r.file IS NOT c.policy OR r.sha256 IS NOT c.policy_sha256"), 0);
    sqlite3_close(db);
}

static void test_new_rules_pass_check(void **state)
{
    fx *f = *state;
    assert_int_equal(xt_xueshi(f->dd, "rules check %s", f->rules), 0);
}

static void test_diff_shows_exactly_the_change(void **state)
{
    fx *f = *state;
    ingest_all(f->dd, XS_TEST_RULES_DIR, f->zl);
    const char *sqls[] = {credit_sql, years_sql, status_sql,
                          "SELECT * FROM policy_revisions ORDER BY 1",
                          "SELECT count(*) FROM credit_history"};
    char *before[5];
    for (int i = 0; i < 5; i++)
        before[i] = dump(f->dd, sqls[i]);

    char args[4400];
    snprintf(args, sizeof args, "rules diff %s --json", f->rules);
    json_t *j = run_json(f->dd, args);
    json_t *acts = json_object_get(j, "activities");
    /* Exactly these: the trainings and the conference (a day is 12 now,
     * also in 2019, whose policy copies 2022's), the talk whose topic is
     * listed now, and the second degree course of 2021 (cap 120). */
    const char *changed[] = {"zs-1", "zs-6", "zs-7", "ww-1", "ls-3", "zl-1"};
    assert_int_equal(json_array_size(acts), 6);
    for (size_t i = 0; i < 6; i++)
        assert_non_null(find_ref(acts, changed[i]));
    json_t *a = find_ref(acts, "zs-1");
    assert_true(side_hours(a, "before") == 24 && side_hours(a, "after") == 28);
    json_t *c0 = json_array_get(json_object_get(json_object_get(a, "after"), "credits"), 0);
    assert_string_equal(json_string_value(json_object_get(c0, "explanation")), "培训2天+半天：2×12+4=28学时");
    a = find_ref(acts, "zs-6");
    assert_string_equal(side_status(a, "before"), "rejected");
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "before"), "reason_code")),
                        "topic_not_in_policy");
    assert_string_equal(side_status(a, "after"), "credited");
    assert_true(side_hours(a, "after") == 12);
    a = find_ref(acts, "ww-1");
    assert_true(side_hours(a, "before") == 16 && side_hours(a, "after") == 18);
    /* The cap, applied as the store applies it: the earlier course keeps
     * 90, the later gets what is left of 120. */
    a = find_ref(acts, "ls-3");
    assert_true(side_hours(a, "before") == 0 && side_hours(a, "after") == 30);
    assert_null(find_ref(acts, "ls-2"));
    /* The normaliser's verdicts and unchanged outcomes are not listed. */
    assert_null(find_ref(acts, "ww-4"));
    assert_null(find_ref(acts, "zs-8"));

    /* 赵六's 2022 flips to compliant. */
    json_t *ys = json_object_get(j, "person_years"), *y, *flip = NULL;
    size_t i;
    json_array_foreach(ys, i, y) {
        if (json_is_true(json_object_get(y, "compliance_changed"))) {
            assert_null(flip);
            flip = y;
        }
    }
    assert_non_null(flip);
    assert_string_equal(json_string_value(json_object_get(flip, "person_id")), ZL);
    assert_int_equal(json_integer_value(json_object_get(flip, "year")), 2022);
    assert_true(json_is_false(json_object_get(json_object_get(flip, "before"), "compliant")));
    assert_true(json_is_true(json_object_get(json_object_get(flip, "after"), "compliant")));
    char buf[32];
    assert_string_equal(totals_of(j, "changed", buf), "6");
    assert_string_equal(totals_of(j, "became_compliant", buf), "1");
    assert_string_equal(totals_of(j, "no_longer_compliant", buf), "0");
    /* 20 records; ww-4 (invalid_id) is not evaluated again. */
    assert_string_equal(totals_of(j, "evaluated", buf), "19");
    json_decref(j);

    /* The text report says the same for people. */
    assert_int_equal(xt_xueshi(f->dd, "rules diff %s", f->rules), 0);
    char p[4200];
    snprintf(p, sizeof p, "%s/last.out", f->dd);
    char *text = xt_slurp(p);
    assert_non_null(strstr(text, "2022.lua  修改 sha256="));
    assert_non_null(strstr(text, "之前 credited 24学时"));
    assert_non_null(strstr(text, "之后 credited 28学时"));
    assert_non_null(strstr(text, "年度 " ZL " 2022：未达标 → 达标"));
    assert_non_null(strstr(text, "6项会有变化"));
    free(text);

    /* Nothing was written. */
    for (int k = 0; k < 5; k++) {
        char *after = dump(f->dd, sqls[k]);
        assert_string_equal(before[k], after);
        free(after);
        free(before[k]);
    }
}

static void test_recompute_equals_fresh_ingest(void **state)
{
    fx *f = *state;
    ingest_all(f->dd, XS_TEST_RULES_DIR, f->zl);
    char *old_zs1 = dump(f->dd, "SELECT c.hours, c.explanation, c.policy_sha256 FROM credits c"
                                " JOIN activities a USING (activity_id) WHERE a.ref = 'zs-1'");
    json_t *j;
    char args[4400];
    snprintf(args, sizeof args, "recompute --rules %s --json --details", f->rules);
    j = run_json(f->dd, args);
    char buf[32];
    assert_string_equal(totals_of(j, "changed", buf), "6");
    assert_string_equal(totals_of(j, "became_compliant", buf), "1");
    assert_int_equal(json_array_size(json_object_get(j, "activities")), 6);
    json_decref(j);

    ingest_all(f->fresh, f->rules, f->zl);
    assert_same_as_fresh(f->dd, f->fresh);
    assert_consistent(f->dd);

    sqlite3 *db = xt_db(f->dd);
    /* The activity keeps its row; what its submitter was told stays. */
    assert_string_equal(xt_q(db, "SELECT status || '/' || outcome FROM activities WHERE ref = 'zs-6'"),
                        "credited/rejected");
    /* The replaced credits are history, as they were. */
    char *hist = xt_dump(db, "SELECT h.hours, h.explanation, h.policy_sha256 FROM credit_history h"
                             " JOIN activities a USING (activity_id) WHERE a.ref = 'zs-1' AND h.reason = 'recompute'");
    assert_string_equal(hist, old_zs1);
    free(hist);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM credit_history WHERE reason = 'recompute'"), 6);
    assert_string_equal(xt_q(db, "SELECT group_concat(ref, ',') FROM (SELECT a.ref FROM (SELECT DISTINCT"
                                 " activity_id FROM credit_history) h JOIN activities a USING (activity_id)"
                                 " ORDER BY a.activity_id)"),
                        "zs-1,zs-7,ls-2,ls-3,ww-1,zl-1");
    /* The new 2022.lua was first loaded by this recompute. */
    assert_string_equal(xt_q(db, "SELECT how FROM policy_revisions WHERE file = '2022.lua'"
                                 " ORDER BY revision_id DESC LIMIT 1"), "recompute");
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM policy_revisions WHERE file = '2022.lua'"), 2);
    sqlite3_close(db);

    /* Applied: the same change shows nothing any more. */
    snprintf(args, sizeof args, "rules diff %s --json", f->rules);
    j = run_json(f->dd, args);
    assert_string_equal(totals_of(j, "changed", buf), "0");
    assert_string_equal(totals_of(j, "person_years_changed", buf), "0");
    json_decref(j);
    /* And recomputing again writes nothing. */
    char *again = dump(f->dd, "SELECT count(*) FROM credit_history");
    assert_int_equal(xt_xueshi(f->dd, "recompute --rules %s", f->rules), 0);
    char *again2 = dump(f->dd, "SELECT count(*) FROM credit_history");
    assert_string_equal(again, again2);
    free(again);
    free(again2);
    free(old_zs1);

    /* Back to the bundled rules: recompute restores what ingest gave. */
    char orig[4200];
    snprintf(orig, sizeof orig, "%s-orig", f->fresh);
    assert_int_equal(xt_run("rm -rf '%s' && mkdir -p '%s'", orig, orig), 0);
    ingest_all(orig, XS_TEST_RULES_DIR, f->zl);
    assert_int_equal(xt_xueshi(f->dd, "recompute"), 0);
    assert_same_as_fresh(f->dd, orig);
    assert_consistent(f->dd);
}

static void test_recompute_one_year(void **state)
{
    fx *f = *state;
    ingest_all(f->dd, XS_TEST_RULES_DIR, f->zl);
    char args[4400];
    snprintf(args, sizeof args, "rules diff %s --json --year 2019", f->rules);
    json_t *j = run_json(f->dd, args);
    json_t *acts = json_object_get(j, "activities");
    assert_int_equal(json_array_size(acts), 1);
    assert_non_null(find_ref(acts, "ww-1"));
    json_decref(j);

    assert_int_equal(xt_xueshi(f->dd, "recompute --year 2019 --rules %s", f->rules), 0);
    sqlite3 *db = xt_db(f->dd);
    assert_int_equal(xt_qi(db, "SELECT c.hours FROM credits c JOIN activities a USING (activity_id)"
                               " WHERE a.ref = 'ww-1'"), 18);
    assert_int_equal(xt_qi(db, "SELECT public_hours FROM person_years WHERE person_id = '43030219900720789X'"
                               " AND year = 2019"), 18);
    assert_int_equal(xt_qi(db, "SELECT c.hours FROM credits c JOIN activities a USING (activity_id)"
                               " WHERE a.ref = 'zs-1'"), 24);
    sqlite3_close(db);
    assert_consistent(f->dd);
    /* The rest follows; then it is as if ingested under the new rules. */
    assert_int_equal(xt_xueshi(f->dd, "recompute --rules %s --batch 1", f->rules), 0);
    ingest_all(f->fresh, f->rules, f->zl);
    assert_same_as_fresh(f->dd, f->fresh);
}

/* A policy whose credits come out of the store's order, (year, category):
 * each credited 2022 activity of two or more hours becomes public h-1 and
 * professional 1, in that order. The store numbers them professional
 * first; `rules diff` with the very same rules must see no change (it
 * compares the stored credits with the policy's in the store's order). */
static void test_diff_credits_in_store_order(void **state)
{
    fx *f = *state;
    char dir[4300], p[4400];
    snprintf(dir, sizeof dir, "%s/rules-split", f->dd);
    assert_int_equal(xt_run("rm -rf '%s' && cp -r '%s' '%s'", dir, XS_TEST_RULES_DIR, dir), 0);
    snprintf(p, sizeof p, "%s/2022.lua", dir);
    replace_in_file(p, "return hunan.policy {", "local split = hunan.policy {");
    char *text = xt_slurp(p);
    assert_non_null(text);
    size_t n = strlen(text) + 1024;
    char *out = malloc(n);
    snprintf(out, n,
             "%s\nlocal decide = split.evaluate\n"
             "split.evaluate = function(P, a)\n"
             "  local r = decide(P, a)\n"
             "  local c = r.credits and #r.credits == 1 and r.credits[1]\n"
             "  if r.status == \"credited\" and c and c.year == 2022 and c.hours >= 2 then\n"
             "    r.credits = {\n"
             "      { year = 2022, category = \"public\", hours = c.hours - 1, explanation = \"甲\" },\n"
             "      { year = 2022, category = \"professional\", hours = 1, explanation = \"乙\" } }\n"
             "  end\n"
             "  return r\n"
             "end\n"
             "return split\n",
             text);
    xt_write(p, out);
    free(out);
    free(text);
    assert_int_equal(xt_run("cd '%s/tests' && for f in *_test.lua; do"
                            " printf 'test(\"loads\", function() ok(P.year ~= nil) end)\\n' > \"$f\"; done",
                            dir), 0);
    ingest_all(f->dd, dir, f->zl);
    sqlite3 *db = xt_db(f->dd);
    /* stored professional first: the block's first id */
    assert_string_equal(xt_q(db, "SELECT group_concat(c.category, ',') FROM"
                                 " (SELECT c.category FROM credits c JOIN activities a USING (activity_id)"
                                 "  WHERE a.ref = 'zs-1' ORDER BY c.credit_id) c"),
                        "professional,public");
    sqlite3_close(db);
    char args[4500];
    snprintf(args, sizeof args, "rules diff %s --json", dir);
    json_t *j = run_json(f->dd, args);
    char buf[32];
    assert_string_equal(totals_of(j, "changed", buf), "0");
    assert_int_equal(json_array_size(json_object_get(j, "activities")), 0);
    json_decref(j);
}

/* Refusals: a policy failing its tests; a second recompute at once;
 * usage errors. Nothing is written by any of them. */
static void test_refusals(void **state)
{
    fx *f = *state;
    ingest_all(f->dd, XS_TEST_RULES_DIR, f->zl);
    char bad[4300];
    snprintf(bad, sizeof bad, "%s/rules-bad", f->dd);
    assert_int_equal(xt_run("rm -rf '%s' && cp -r '%s' '%s'", bad, XS_TEST_RULES_DIR, bad), 0);
    char p[4400];
    snprintf(p, sizeof p, "%s/2022.lua", bad);
    replace_in_file(p, "attendance = { day = 10,", "attendance = { day = 11,");
    char *before = dump(f->dd, credit_sql);
    assert_int_equal(xt_xueshi(f->dd, "recompute --rules %s", bad), 1);
    snprintf(p, sizeof p, "%s/last.err", f->dd);
    char *err = xt_slurp(p);
    assert_non_null(strstr(err, "拒绝重新计算"));
    assert_non_null(strstr(err, "2022_test.lua:"));
    free(err);
    char *after = dump(f->dd, credit_sql);
    assert_string_equal(before, after);
    free(after);

    /* diff still shows it, with a warning. */
    assert_int_equal(xt_xueshi(f->dd, "rules diff %s --summary", bad), 0);
    snprintf(p, sizeof p, "%s/last.err", f->dd);
    err = xt_slurp(p);
    assert_non_null(strstr(err, "没有全部通过"));
    free(err);

    /* A folder that does not load: nothing to diff with; file and line. */
    char broken[4300];
    snprintf(broken, sizeof broken, "%s/rules-broken", f->dd);
    assert_int_equal(xt_run("rm -rf '%s' && cp -r '%s' '%s'", broken, XS_TEST_RULES_DIR, broken), 0);
    snprintf(p, sizeof p, "%s/2019.lua", broken);
    xt_write(p, "local p = policy(\"2022\")\np.year = = 2019\nreturn p\n");
    assert_int_equal(xt_xueshi(f->dd, "rules diff %s", broken), 1);
    snprintf(p, sizeof p, "%s/last.err", f->dd);
    err = xt_slurp(p);
    assert_non_null(strstr(err, "2019.lua:2:"));
    free(err);

    /* One recompute at a time. */
    char lock[4400];
    snprintf(lock, sizeof lock, "%s/.xueshi-recompute.lock", f->dd);
    assert_int_equal(xt_run("flock -n '%s' sh -c \"XUESHI_TODAY=2026-11-28 '%s' recompute --data '%s'"
                            " --rules '%s' --plugins '%s' >/dev/null 2>&1\"",
                            lock, XS_TEST_BINARY, f->dd, XS_TEST_RULES_DIR, XS_TEST_PLUGIN_DIR), 1);

    assert_int_equal(xt_xueshi(f->dd, "rules diff"), 2);
    assert_int_equal(xt_xueshi(f->dd, "rules diff %s --year twenty", f->rules), 2);
    assert_int_equal(xt_xueshi(f->dd, "recompute --jobs 0"), 2);
    assert_int_equal(xt_xueshi(f->dd, "recompute extra"), 2);
    assert_int_equal(xt_xueshi(f->dd, "rules diff --help"), 0);
    assert_int_equal(xt_xueshi(f->dd, "recompute --help"), 0);
    char *now = dump(f->dd, credit_sql);
    assert_string_equal(before, now);
    free(now);
    free(before);

    /* No database: diff has nothing to compare. */
    char empty[4300];
    snprintf(empty, sizeof empty, "%s/no-such-data", f->dd);
    assert_int_equal(xt_run("mkdir -p '%s'", empty), 0);
    assert_int_equal(xt_xueshi(empty, "rules diff %s", f->rules), 1);
}

/* A valid ID for person n (GB 11643 check digit). */
static void make_id(int n, char id[19])
{
    snprintf(id, 19, "430302%04d%02d%02d%03d", 1950 + n % 50, 1 + n / 50 % 12, 1 + n / 600 % 28,
             n % 1000);
    id[17] = record_id_check_digit(id);
    id[18] = '\0';
}

/* persons from..to-1, each with a training (days d) and an online course. */
static void write_people(const char *path, int from, int to, int d)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int n = from; n < to; n++) {
        char id[19];
        make_id(n, id);
        fprintf(f, "{\"person\":{\"id\":\"%s\",\"name\":\"人员%d\"},\"activities\":["
                   "{\"ref\":\"t%d\",\"kind\":\"training\",\"subject\":\"professional\",\"title\":\"培训%d\","
                   "\"date\":\"2022-03-01\",\"days\":%d,\"evidence\":[\"notice\",\"schedule\",\"sign_in\"]},"
                   "{\"ref\":\"o%d\",\"kind\":\"online\",\"subject\":\"professional\",\"title\":\"课程%d\","
                   "\"date\":\"2021-04-01\",\"hours\":60,\"evidence\":[\"syllabus\",\"progress\"]}]}\n",
                id, n, n, n, d, n, n);
    }
    fclose(f);
}

/* The daemon (here: ingest) writes while a recompute runs, one person per
 * transaction: what the recompute had read of a person who changed since
 * is read and evaluated again, so it never writes over a newer outcome,
 * and the end state is that of a fresh ingest under the new rules. */
static void test_recompute_while_ingesting(void **state)
{
    fx *f = *state;
    char base[4400], resub[4400], more[4400];
    snprintf(base, sizeof base, "%s/base.jsonl", f->dd);
    snprintf(resub, sizeof resub, "%s/resub.jsonl", f->dd);
    snprintf(more, sizeof more, "%s/more.jsonl", f->dd);
    write_people(base, 0, 2000, 2);
    write_people(resub, 0, 2000, 3); /* the same activities again, 3 days */
    write_people(more, 2000, 2400, 1);
    assert_int_equal(xt_xueshi(f->dd, "ingest %s", base), 0);
    char cmd[16384];
    snprintf(cmd, sizeof cmd,
             "export XUESHI_TODAY=2026-11-28;"
             " '%s' recompute --batch 1 --json --data '%s' --rules '%s' --plugins '%s' >'%s/rc.out' 2>'%s/rc.err' &"
             " sleep 0.5; for x in '%s' '%s'; do '%s' ingest --data '%s' --rules '%s' --plugins '%s' \"$x\""
             " >/dev/null 2>>'%s/in.err' || exit 10; done; wait $! || exit 11",
             XS_TEST_BINARY, f->dd, f->rules, XS_TEST_PLUGIN_DIR, f->dd, f->dd, resub, more,
             XS_TEST_BINARY, f->dd, f->rules, XS_TEST_PLUGIN_DIR, f->dd);
    int rc = xt_run("%s", cmd);
    if (rc != 0) {
        char p[4400];
        snprintf(p, sizeof p, "%s/rc.err", f->dd);
        char *e = xt_slurp(p);
        fprintf(stderr, "recompute: %s\n", e ? e : "");
        free(e);
    }
    assert_int_equal(rc, 0);
    char p[4400];
    snprintf(p, sizeof p, "%s/rc.out", f->dd);
    char *out = xt_slurp(p);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    fprintf(stderr, "# batches read again: %lld\n",
            (long long)json_integer_value(json_object_get(json_object_get(j, "totals"), "batches_read_again")));
    json_decref(j);
    free(out);
    /* Whatever interleaving happened: as if ingested under the new rules. */
    assert_int_equal(xt_xueshi(f->fresh, "ingest %s %s %s --rules %s", base, resub, more, f->rules), 0);
    assert_same_as_fresh(f->dd, f->fresh);
    assert_consistent(f->dd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_rules_pass_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diff_shows_exactly_the_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recompute_equals_fresh_ingest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recompute_one_year, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diff_credits_in_store_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recompute_while_ingesting, setup, teardown),
    };
    return cmocka_run_group_tests_name("recompute", tests, NULL, NULL);
}
