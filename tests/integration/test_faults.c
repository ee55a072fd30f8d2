/*
 * Faults around the daemon: another process holding the database's write
 * lock, and a full disk. In both the file stays in the inbox, the log says
 * why, it is retried with backoff, and nothing is lost or doubled.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "xs_test.h"

#define ZS "430302198001011234"

static void test_database_locked_10s(void **s)
{
    char dd[4096], stage[4300], inbox[4300], processed[4300], db_path[4300];
    xt_tmpdir("fault-lock", dd, sizeof dd);
    snprintf(stage, sizeof stage, "%s/stage", dd);
    snprintf(inbox, sizeof inbox, "%s/inbox", dd);
    snprintf(processed, sizeof processed, "%s/processed", dd);
    snprintf(db_path, sizeof db_path, "%s/xueshi.db", dd);
    mkdir(stage, 0700);
    pid_t pid = xt_daemon_start(dd, "--log-level info");
    xt_wait_log_n(dd, "watching", 1, 10);

    /* Another tool takes the write lock and keeps it for 10 s. */
    sqlite3 *other;
    assert_int_equal(sqlite3_open(db_path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    double locked_at = xt_now();
    xt_deliver_copy(stage, inbox, XS_TEST_DATA_DIR "/zhangsan-2022.json", "zhangsan.json");
    xt_wait_log_n(dd, "locked by another process", 1, 15);
    assert_int_equal(xt_count_files(inbox), 1); /* stays until committed */
    xt_sleep(10 - (xt_now() - locked_at));
    assert_int_equal(xt_count_tree(processed), 0);
    assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);

    assert_int_equal(xt_wait_count(xt_count_tree, processed, 1, 60), 1);
    assert_int_equal(xt_daemon_stop(pid, 20), 0);
    sqlite3 *db = xt_db(dd);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM submissions"), 1);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM activities"), 8);
    assert_int_equal(xt_qi(db, "SELECT total_hours FROM person_years WHERE person_id = '" ZS "'"), 130);
    sqlite3_close(db);
}

static void test_disk_full(void **s)
{
    char mnt[4096], dd[4300], stage[4300], inbox[4300], processed[4300], filler[4300], a[4400], b[4400];
    xt_tmpdir("fault-full", mnt, sizeof mnt);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=16m") != 0)
        skip(); /* needs CAP_SYS_ADMIN; CI runs as root */
    snprintf(dd, sizeof dd, "%s/data", mnt);
    snprintf(stage, sizeof stage, "%s/stage", mnt);
    snprintf(inbox, sizeof inbox, "%s/inbox", dd);
    snprintf(processed, sizeof processed, "%s/processed", dd);
    snprintf(filler, sizeof filler, "%s/filler", mnt);
    mkdir(dd, 0700);
    mkdir(stage, 0700);

    /* 8,000 records in JSON Lines: the file is small, its rows are not. */
    snprintf(a, sizeof a, "%s/big.jsonl", stage);
    FILE *f = fopen(a, "w");
    for (int i = 0; i < 8000; i++)
        fprintf(f, "{\"person\":{\"id\":\"" ZS "\",\"name\":\"张三\"},\"activities\":[{\"ref\":\"r%d\","
                   "\"kind\":\"online\",\"subject\":\"professional\",\"title\":\"网络课程%d\","
                   "\"date\":\"2022-%02d-%02d\",\"hours\":1,\"evidence\":[\"syllabus\",\"progress\"]}]}\n",
                i, i, 1 + i % 12, 1 + i % 28);
    fclose(f);
    pid_t pid = xt_daemon_start(dd, "--log-level info");
    xt_wait_log_n(dd, "watching", 1, 10);
    /* Fill the disk but for about 1.2 MB. */
    assert_int_equal(xt_run("dd if=/dev/zero of='%s' bs=64k count=40 2>/dev/null", filler), 0);
    assert_int_equal(xt_run("avail=$(df -k --output=avail '%s' | tail -1); test $avail -gt 1600 &&"
                            " dd if=/dev/zero of='%s.2' bs=1k count=$((avail - 1200)) 2>/dev/null || true",
                            mnt, filler), 0);
    snprintf(b, sizeof b, "%s/big.jsonl", inbox);
    assert_int_equal(rename(a, b), 0);
    xt_wait_log_n(dd, "the disk or database is full", 1, 30);
    assert_int_equal(xt_count_files(inbox), 1);
    assert_int_equal(xt_count_tree(processed), 0);

    /* Space again: the retry commits it, whole and once. */
    char f2[4400];
    snprintf(f2, sizeof f2, "%s.2", filler);
    unlink(f2);
    unlink(filler);
    int done = xt_wait_count(xt_count_tree, processed, 1, 60);
    assert_int_equal(xt_daemon_stop(pid, 20), 0);
    /* Keep the log for a reader of a failed run: the tmpfs goes away. */
    xt_run("cp '%s/daemon.log' '%s.daemon.log'", dd, mnt);
    if (done != 1) {
        umount2(mnt, MNT_DETACH);
        fail_msg("not processed after the disk had space again; see %s.daemon.log", mnt);
    }
    sqlite3 *db = xt_db(dd);
    assert_string_equal(xt_q(db, "SELECT group_concat(status || ':' || records, ',') FROM submissions"),
                        "processed:8000");
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM activities"), 8000);
    assert_int_equal(xt_qi(db, "SELECT professional_hours FROM person_years WHERE person_id = '" ZS "'"), 8000);
    assert_string_equal(xt_q(db, "PRAGMA integrity_check"), "ok");
    sqlite3_close(db);
    umount2(mnt, MNT_DETACH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_database_locked_10s),
        cmocka_unit_test(test_disk_full),
    };
    return cmocka_run_group_tests_name("faults", tests, NULL, NULL);
}
