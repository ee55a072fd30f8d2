/*
 * 50 `xueshi certify` processes started at once for 50 eligible people get
 * 50 distinct, consecutive numbers (seq 1..50): the sequence is allocated
 * inside BEGIN IMMEDIATE, and the processes queue on the write lock through
 * busy_timeout instead of failing or reusing a number.
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

#define PEOPLE 50

static void make_id(int i, char out[19])
{
    snprintf(out, 19, "43030219%02d0101%03d", 50 + i, 100 + i); /* born 1950+i-01-01 */
    out[17] = record_id_check_digit(out);
    out[18] = '\0';
}

static void test_fifty_at_once(void **state)
{
    char dd[4096], path[4200];
    xt_tmpdir("certify-concurrent", dd, sizeof dd);

    /* 50 people, each with 2018–2021 compliant: a passed qualification
     * exam (professional 90) every year. */
    snprintf(path, sizeof path, "%s/unit.jsonl", dd);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    char ids[PEOPLE][19];
    for (int i = 0; i < PEOPLE; i++) {
        make_id(i, ids[i]);
        fprintf(f, "{\"person\":{\"id\":\"%s\",\"name\":\"职工%02d\",\"unit\":\"湘潭市第一人民医院\","
                   "\"education\":\"本科\"},\"activities\":[", ids[i], i + 1);
        for (int y = 2018; y <= 2021; y++)
            fprintf(f, "%s{\"kind\":\"职业资格考试\",\"title\":\"%d年度职业资格考试\",\"date\":\"%d-10-20\","
                       "\"passed\":true,\"evidence\":[\"考试成绩单\"]}",
                    y > 2018 ? "," : "", y, y);
        fprintf(f, "]}\n");
    }
    fclose(f);
    assert_int_equal(xt_xueshi(dd, "ingest %s", path), 0);

    /* One shell starts them all, then waits; each leaves its exit status. */
    snprintf(path, sizeof path, "%s/run.sh", dd);
    f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < PEOPLE; i++)
        fprintf(f, "( XUESHI_TODAY=2022-06-10 '%s' certify --data '%s' --rules '%s' --plugins '%s'"
                   " --id %s --level intermediate --eval-year 2022 --specialty 护理学"
                   " --out '%s/c%02d.html' >'%s/c%02d.out' 2>'%s/c%02d.err'; echo $? >'%s/c%02d.rc' ) &\n",
                XS_TEST_BINARY, dd, XS_TEST_RULES_DIR, XS_TEST_PLUGIN_DIR, ids[i], dd, i, dd, i, dd, i,
                dd, i);
    fprintf(f, "wait\n");
    fclose(f);
    assert_int_equal(xt_run("sh '%s'", path), 0);

    for (int i = 0; i < PEOPLE; i++) {
        snprintf(path, sizeof path, "%s/c%02d.rc", dd, i);
        char *rc = xt_slurp(path);
        if (!rc || atoi(rc) != 0) {
            snprintf(path, sizeof path, "%s/c%02d.err", dd, i);
            char *e = xt_slurp(path);
            fprintf(stderr, "certify %d exited %s: %s\n", i, rc ? rc : "?", e ? e : "");
            free(e);
        }
        assert_non_null(rc);
        assert_int_equal(atoi(rc), 0);
        free(rc);
    }

    sqlite3 *db = xt_db(dd);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM certificates WHERE eval_year = 2022"), PEOPLE);
    assert_int_equal(xt_qi(db, "SELECT count(DISTINCT number) FROM certificates"), PEOPLE);
    assert_int_equal(xt_qi(db, "SELECT count(DISTINCT person_id) FROM certificates"), PEOPLE);
    assert_int_equal(xt_qi(db, "SELECT min(seq) FROM certificates"), 1);
    assert_int_equal(xt_qi(db, "SELECT max(seq) FROM certificates"), PEOPLE);
    assert_int_equal(xt_qi(db, "SELECT count(DISTINCT seq) FROM certificates"), PEOPLE);
    /* The number is the policy's format of the sequence: 0001 … 0050. */
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM certificates WHERE number <> "
                               "'潭继教〔2022〕' || substr('000' || seq, -4) || '号'"), 0);
    /* Each process's page shows its own number. */
    for (int i = 0; i < PEOPLE; i++) {
        char number[128];
        snprintf(number, sizeof number, "%s",
                 xt_q(db, "SELECT number FROM certificates WHERE person_id = '%s'", ids[i]));
        snprintf(path, sizeof path, "%s/c%02d.html", dd, i);
        char *page = xt_slurp(path);
        assert_non_null(page);
        assert_non_null(strstr(page, number));
        free(page);
    }
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_fifty_at_once)};
    return cmocka_run_group_tests_name("certify_concurrent", tests, NULL, NULL);
}
