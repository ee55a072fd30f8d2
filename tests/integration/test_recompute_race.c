/*
 * recompute reads batch k+1 inside the write transaction of batch k and
 * writes it in the next one. If another writer (the daemon) commits in
 * between, what was read may be stale: the batch must be read and
 * evaluated again, never written over the newer outcome. Made
 * deterministic here: the engine runs in this process, one person per
 * batch, and its progress callback (called between two transactions)
 * runs `xueshi ingest` of a resubmission touching the next person.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "recompute.h"
#include "xs_test.h"

#define ZS "430302198001011234"
#define LS "430302198503154569"
#define D XS_TEST_DATA_DIR

static char dd[4096], fresh[4096], rules[4300], resub[4300];
static int calls;

static void between_batches(void *ud, long long done)
{
    (void)ud;
    (void)done;
    if (calls++ == 0) /* 张三 is done; 李四 has been read already */
        assert_int_equal(xt_xueshi(dd, "ingest %s --rules %s", resub, rules), 0);
}

static char *dump(const char *dir, const char *sql)
{
    sqlite3 *db = xt_db(dir);
    char *s = xt_dump(db, "%s", sql);
    sqlite3_close(db);
    return s;
}

static void test_changed_between_batches(void **state)
{
    (void)state;
    xt_tmpdir("recompute-race", dd, sizeof dd);
    xt_tmpdir("recompute-race-fresh", fresh, sizeof fresh);
    snprintf(rules, sizeof rules, "%s/rules-new", dd);
    /* A day is 12; the degree-course cap 120 (so 李四's courses change). */
    assert_int_equal(xt_run("cp -r '%s' '%s' && sed -i -e 's/attendance = { day = 10,/attendance = { day = 12,/'"
                            " -e 's/key = \"degree_course\", limit = 90,/key = \"degree_course\", limit = 120,/'"
                            " '%s/2022.lua'", XS_TEST_RULES_DIR, rules, rules), 0);
    snprintf(resub, sizeof resub, "%s/lisi-again.json", dd);
    /* 李四's second course again, now failed (the recompute had read it as
     * passed and would replace its credit), his award again as rank 1, and
     * a training. */
    xt_write(resub, "{\"person\":{\"id\":\"" LS "\",\"name\":\"李四\"},\"activities\":["
                    "{\"ref\":\"ls-3b\",\"kind\":\"degree_course\",\"title\":\"博士课程：泛函分析\","
                    "\"date\":\"2021-06-20\",\"passed\":false,\"evidence\":[\"transcript\"]},"
                    "{\"ref\":\"ls-4b\",\"kind\":\"award\",\"level\":\"prefecture\",\"rank\":1,"
                    "\"title\":\"湘潭市科技进步奖\",\"date\":\"2021-12-01\",\"evidence\":[\"award_certificate\"]},"
                    "{\"ref\":\"ls-5\",\"kind\":\"training\",\"subject\":\"professional\",\"title\":\"培训\","
                    "\"date\":\"2021-05-01\",\"days\":1,\"evidence\":[\"notice\",\"schedule\",\"sign_in\"]}]}");
    assert_int_equal(xt_xueshi(dd, "ingest %s/zhangsan-2022.json %s/lisi-2021.json", D, D), 0);

    char path[4200], err[2048];
    snprintf(path, sizeof path, "%s/xueshi.db", dd);
    store *s;
    assert_int_equal(store_open(path, 0, &s, err, sizeof err), STORE_OK);
    recompute_opts o;
    memset(&o, 0, sizeof o);
    o.write = 1;
    o.batch = 1;
    o.jobs = 2;
    o.rules_dir = rules;
    snprintf(o.today, sizeof o.today, "2026-11-28");
    o.progress = between_batches;
    recompute_totals t;
    int rc = recompute_run(s, &o, &t, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "recompute: %s\n", err);
    assert_int_equal(rc, 0);
    store_close(s);
    assert_int_equal(calls, 2);
    assert_int_equal(t.redone, 1);
    assert_int_equal(t.persons, 2);

    /* As if both files and the resubmission were ingested under the new
     * rules. */
    setenv("XUESHI_TODAY", "2026-11-28", 1);
    assert_int_equal(xt_xueshi(fresh, "ingest %s/zhangsan-2022.json %s/lisi-2021.json %s --rules %s",
                               D, D, resub, rules), 0);
    const char *sqls[] = {
        "SELECT a.person_id, a.kind, a.date, a.title, c.year, c.category, c.hours, c.explanation,"
        " c.policy, c.policy_sha256 FROM credits c JOIN activities a USING (activity_id) ORDER BY 1,2,3,4,5,6",
        "SELECT * FROM person_years ORDER BY 1,2",
        "SELECT person_id, kind, date, title, status, reason_code, reason FROM activities"
        " WHERE status <> 'superseded' ORDER BY 1,2,3,4"};
    for (int i = 0; i < 3; i++) {
        char *x = dump(dd, sqls[i]), *y = dump(fresh, sqls[i]);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
    sqlite3 *db = xt_db(dd);
    assert_int_equal(xt_qi(db, "SELECT hours FROM credits JOIN activities USING (activity_id) WHERE ref = 'ls-5'"), 12);
    assert_string_equal(xt_q(db, "SELECT status FROM activities WHERE ref = 'ls-4'"), "superseded");
    assert_string_equal(xt_q(db, "SELECT status || '|' || reason_code FROM activities WHERE ref = 'ls-3b'"),
                        "rejected|not_creditable");
    assert_int_equal(xt_qi(db, "SELECT hours FROM credits JOIN activities USING (activity_id) WHERE ref = 'ls-2'"), 90);
    assert_string_equal(xt_q(db, "SELECT count(*) FROM pragma_foreign_key_check"), "0");
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_changed_between_batches)};
    return cmocka_run_group_tests_name("recompute_race", tests, NULL, NULL);
}
