/*
 * The real daemon on a real inbox: renamed-in files, a file written slowly
 * in place, 1,000 files at once, a duplicate under another name, a
 * resubmission, unreadable files; every outcome checked in the database and
 * the receipts; SIGTERM ends it with 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "xs_test.h"

#define ZS "430302198001011234"

static char dd[4096], inbox[4200], processed[4200], rejected[4200], outbox[4200], stage[4200];

static void setup_dirs(const char *tag)
{
    xt_tmpdir(tag, dd, sizeof dd);
    snprintf(inbox, sizeof inbox, "%s/inbox", dd);
    snprintf(processed, sizeof processed, "%s/processed", dd);
    snprintf(rejected, sizeof rejected, "%s/rejected", dd);
    snprintf(outbox, sizeof outbox, "%s/outbox", dd);
    snprintf(stage, sizeof stage, "%s/stage", dd);
    mkdir(stage, 0700);
}

/* Safe delivery: written in stage/, renamed into inbox/. */
static void deliver(const char *name, const char *content)
{
    xt_deliver(stage, inbox, name, content, strlen(content));
}

static void deliver_copy(const char *from, const char *name)
{
    xt_deliver_copy(stage, inbox, from, name);
}

static void wait_started(void)
{
    char log[4300];
    snprintf(log, sizeof log, "%s/daemon.log", dd);
    for (int i = 0; i < 200; i++) {
        char *l = xt_slurp(log);
        int ok = l && strstr(l, "watching");
        free(l);
        if (ok)
            return;
        xt_sleep(0.05);
    }
    fail_msg("daemon did not start");
}

static void test_rename_in_and_receipts(void **s)
{
    setup_dirs("daemon-rename");
    pid_t pid = xt_daemon_start(dd, "--settle 2");
    wait_started();
    double t0 = xt_now();
    deliver_copy(XS_TEST_DATA_DIR "/zhangsan-2022.json", "zhangsan-2022.json");
    deliver_copy(XS_TEST_DATA_DIR "/lisi-2021.json", "lisi-2021.json");
    deliver_copy(XS_TEST_DATA_DIR "/xianggang-unit-gbk.csv", "xianggang-unit-gbk.csv");
    assert_int_equal(xt_wait_count(xt_count_tree, processed, 3, 20), 3);
    /* Renamed files do not wait for the settle time. */
    assert_true(xt_now() - t0 < 1.9);
    assert_int_equal(xt_count_files(inbox), 0);
    assert_int_equal(xt_count_files(outbox), 3);
    assert_int_equal(xt_daemon_stop(pid, 20), 0);

    sqlite3 *db = xt_db(dd);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM submissions WHERE status = 'processed'"), 3);
    assert_string_equal(xt_q(db, "SELECT group_concat(status, ',') FROM (SELECT status FROM activities"
                                 " WHERE ref IN ('zs-6','zs-8','ls-3','ww-4') ORDER BY ref)"),
                        "credited,rejected,rejected,pending_materials");
    assert_int_equal(xt_qi(db, "SELECT total_hours FROM person_years WHERE person_id = '" ZS "'"), 130);
    sqlite3_close(db);
    char p[4400];
    snprintf(p, sizeof p, "%s/zhangsan-2022.json.receipt.json", outbox);
    char *r = xt_slurp(p);
    assert_non_null(r);
    assert_non_null(strstr(r, "\"ref\":\"zs-8\""));
    assert_non_null(strstr(r, "\"status\":\"pending_materials\""));
    assert_non_null(strstr(r, "\"reason_code\":\"topic_not_in_policy\""));
    free(r);
    /* The log has one line per input, with counts and milliseconds, and no
     * full ID number. */
    snprintf(p, sizeof p, "%s/daemon.log", dd);
    char *log = xt_slurp(p);
    assert_non_null(strstr(log, "zhangsan-2022.json: 8 records, 6 credited, 1 pending, 1 rejected"));
    assert_null(strstr(log, ZS));
    free(log);
}

static void test_slow_write_in_place(void **s)
{
    setup_dirs("daemon-slow");
    pid_t pid = xt_daemon_start(dd, "--settle 1.5");
    wait_started();
    char p[4400];
    snprintf(p, sizeof p, "%s/slow.csv", inbox);
    const char *parts[] = {
        "id,name,ref,kind,subject,title,date,days,evidence\n",
        ZS ",张三,s1,training,professional,慢速一,2022-03-01,1,notice;schedule;sign_in\n",
        ZS ",张三,s2,training,professional,慢速二,2022-03-02,1,notice;schedule;sign_in\n",
        ZS ",张三,s3,training,professional,慢速三,2022-03-03,1,notice;schedule;sign_in\n",
        ZS ",张三,s4,training,professional,慢速四,2022-03-04,1,notice;schedule;sign_in\n",
    };
    for (int i = 0; i < 5; i++) {
        FILE *f = fopen(p, "a");
        fputs(parts[i], f);
        fclose(f);
        xt_sleep(0.7); /* under the settle time: still being written */
    }
    assert_int_equal(xt_wait_count(xt_count_tree, processed, 1, 20), 1);
    assert_int_equal(xt_daemon_stop(pid, 20), 0);
    sqlite3 *db = xt_db(dd);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM submissions"), 1);
    assert_int_equal(xt_qi(db, "SELECT records FROM submissions"), 4); /* whole, not a part */
    assert_int_equal(xt_qi(db, "SELECT professional_hours FROM person_years WHERE year = 2022"), 40);
    sqlite3_close(db);
}

static void test_thousand_files(void **s)
{
    setup_dirs("daemon-1000");
    pid_t pid = xt_daemon_start(dd, "--settle 2");
    wait_started();
    char name[64], body[1024];
    /* Written first, then renamed in all at once. */
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "batch-%04d.json", i);
        snprintf(body, sizeof body,
                 "{\"person\":{\"id\":\"" ZS "\",\"name\":\"张三\"},\"activities\":[{\"ref\":\"f%d\","
                 "\"kind\":\"online\",\"subject\":\"professional\",\"title\":\"网络课程%04d\","
                 "\"date\":\"2021-%02d-%02d\",\"hours\":1,\"evidence\":[\"syllabus\",\"progress\"]}]}",
                 i, i, 1 + i % 12, 1 + i % 28);
        char a[4400];
        snprintf(a, sizeof a, "%s/%s", stage, name);
        xt_write(a, body);
    }
    for (int i = 0; i < 1000; i++) {
        char a[4400], b[4400];
        snprintf(name, sizeof name, "batch-%04d.json", i);
        snprintf(a, sizeof a, "%s/%s", stage, name);
        snprintf(b, sizeof b, "%s/%s", inbox, name);
        assert_int_equal(rename(a, b), 0);
    }
    assert_int_equal(xt_wait_count(xt_count_tree, processed, 1000, 120), 1000);
    assert_int_equal(xt_daemon_stop(pid, 20), 0);
    sqlite3 *db = xt_db(dd);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM submissions WHERE status = 'processed'"), 1000);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM activities WHERE status = 'credited'"), 1000);
    assert_int_equal(xt_qi(db, "SELECT professional_hours FROM person_years WHERE year = 2021"), 1000);
    sqlite3_close(db);
    assert_int_equal(xt_count_files(outbox), 1000);
}

static void test_duplicate_resubmission_unreadable(void **s)
{
    setup_dirs("daemon-dup");
    pid_t pid = xt_daemon_start(dd, "--settle 2");
    wait_started();
    deliver_copy(XS_TEST_DATA_DIR "/zhangsan-2022.json", "a.json");
    assert_int_equal(xt_wait_count(xt_count_tree, processed, 1, 20), 1);
    deliver_copy(XS_TEST_DATA_DIR "/zhangsan-2022.json", "b-same-content.json");
    assert_int_equal(xt_wait_count(xt_count_tree, processed, 2, 20), 2);
    /* The same name again, another content: processed/ keeps both. */
    deliver("a.json", "{\"person\":{\"id\":\"" ZS "\",\"name\":\"张三\"},\"activities\":["
                      "{\"ref\":\"zs-8b\",\"kind\":\"patent\",\"rank\":1,\"title\":\"一种输液报警装置\","
                      "\"date\":\"2022-08-30\",\"evidence\":[\"patent_certificate\"]}]}");
    assert_int_equal(xt_wait_count(xt_count_tree, processed, 3, 20), 3);
    deliver("broken.json", "{\"person\": {\"id\": ");
    deliver("notes.txt", "hello");
    assert_int_equal(xt_wait_count(xt_count_files, rejected, 4, 20), 4); /* 2 files + 2 .error.txt */
    assert_int_equal(xt_daemon_stop(pid, 20), 0);

    sqlite3 *db = xt_db(dd);
    assert_string_equal(xt_q(db, "SELECT group_concat(file_name || ':' || status, ',') FROM"
                                 " (SELECT * FROM submissions ORDER BY submission_id)"),
                        "a.json:processed,b-same-content.json:duplicate,a.json:processed");
    assert_string_equal(xt_q(db, "SELECT group_concat(ref || ':' || status, ',') FROM"
                                 " (SELECT * FROM activities WHERE ref LIKE 'zs-8%%' ORDER BY ref)"),
                        "zs-8:superseded,zs-8b:credited");
    assert_int_equal(xt_qi(db, "SELECT professional_hours FROM person_years WHERE person_id = '" ZS "'"), 196);
    sqlite3_close(db);
    char p[4400];
    snprintf(p, sizeof p, "%s/broken.json.error.txt", rejected);
    char *e = xt_slurp(p);
    assert_non_null(e);
    assert_non_null(strstr(e, "broken.json"));
    free(e);
    snprintf(p, sizeof p, "%s/notes.txt.error.txt", rejected);
    e = xt_slurp(p);
    assert_non_null(e);
    assert_non_null(strstr(e, "只接受"));
    free(e);
    snprintf(p, sizeof p, "%s/b-same-content.json.receipt.json", outbox);
    e = xt_slurp(p);
    assert_non_null(strstr(e, "\"status\":\"duplicate\""));
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rename_in_and_receipts),
        cmocka_unit_test(test_slow_write_in_place),
        cmocka_unit_test(test_thousand_files),
        cmocka_unit_test(test_duplicate_resubmission_unreadable),
    };
    return cmocka_run_group_tests_name("daemon", tests, NULL, NULL);
}
