/*
 * Files removed or damaged under the running daemon (issue #7):
 *   - xueshi.db and its -wal/-shm unlinked: the daemon stops (exit 1) and
 *     says so; a file dropped afterwards stays in the inbox; started again it
 *     begins a new database and processes that file once.
 *   - xueshi.db overwritten with garbage: the next file meets SQLITE_NOTADB;
 *     the daemon stops (exit 1), the file stays in the inbox, a restart on
 *     the damaged database is refused; restored from a backup, the file is
 *     processed exactly once.
 *   - the rules folder removed: reloads (inotify and SIGHUP) are refused
 *     ("the rules folder … is missing"), the loaded policies keep serving;
 *     the folder's return is picked up by the watch and by SIGHUP.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "xs_test.h"

#define ZS "430302198001011234"
#define LS "430302198503154569"

/* Copies src into the inbox as name, by rename (a complete delivery). */
static void deliver_copy(const char *dd, const char *src, const char *name)
{
    char stage[4300], inbox[4300];
    snprintf(stage, sizeof stage, "%s/stage", dd);
    snprintf(inbox, sizeof inbox, "%s/inbox", dd);
    xt_deliver_copy(stage, inbox, src, name);
}

/* Waits until the daemon has exited by itself; its exit status. */
static int wait_exit(pid_t pid, double timeout)
{
    double end = xt_now() + timeout * xt_time_scale();
    while (xt_alive(pid) && xt_now() < end)
        xt_sleep(0.05);
    if (xt_alive(pid)) {
        xt_daemon_stop(pid, 5);
        fail_msg("the daemon did not stop by itself");
    }
    return xt_daemon_stop(pid, 5); /* reaps it */
}

static void paths(const char *dd, char *inbox, char *processed, size_t n)
{
    snprintf(inbox, n, "%s/inbox", dd);
    snprintf(processed, n, "%s/processed", dd);
    char stage[4300];
    snprintf(stage, sizeof stage, "%s/stage", dd);
    mkdir(stage, 0700);
}

static int exists(const char *dir, const char *name)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

static void test_database_removed(void **s)
{
    char dd[4096], inbox[4300], processed[4300], p[4400];
    xt_tmpdir("fault-dbgone", dd, sizeof dd);
    paths(dd, inbox, processed, sizeof inbox);
    pid_t pid = xt_daemon_start(dd, "--log-level info");
    xt_wait_log_n(dd, "watching", 1, 10);
    deliver_copy(dd, XS_TEST_DATA_DIR "/zhangsan-2022.json", "a.json");
    assert_int_equal(xt_wait_count(xt_count_tree, processed, 1, 20), 1);

    /* The database goes; the daemon notices, stops, and takes nothing more. */
    const char *sfx[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/xueshi.db%s", dd, sfx[i]);
        unlink(p);
    }
    deliver_copy(dd, XS_TEST_DATA_DIR "/lisi-2021.json", "b.json");
    assert_int_equal(wait_exit(pid, 15), 1);
    assert_int_equal(xt_log_count(dd, "xueshi.db removed while running: stopping"), 1);
    assert_int_equal(xt_log_count(dd, "stopped after a database fault (exit 1)"), 1);
    assert_true(exists(inbox, "b.json"));
    assert_int_equal(xt_count_files(inbox), 1);
    assert_int_equal(xt_count_tree(processed), 1);
    snprintf(p, sizeof p, "%s/xueshi.db", dd);
    assert_int_not_equal(access(p, F_OK), 0); /* nothing wrote a new one behind our back */

    /* Started again: refused, the database is lost and processed/ is not
     * empty; nothing is created, B waits. */
    pid = xt_daemon_start(dd, "--log-level info");
    assert_int_equal(wait_exit(pid, 15), 1);
    assert_int_equal(xt_log_count(dd, "holds processed files: not starting"), 1);
    assert_int_not_equal(access(p, F_OK), 0);
    assert_true(exists(inbox, "b.json"));

    /* With --new-database: a new database, with a warning; B once. */
    pid = xt_daemon_start(dd, "--log-level info --new-database");
    xt_wait_log_n(dd, "does not exist: starting a new, empty one (--new-database)", 1, 10);
    assert_int_equal(xt_wait_count(xt_count_tree, processed, 2, 20), 2);
    assert_int_equal(xt_daemon_stop(pid, 20), 0);
    assert_int_equal(xt_count_files(inbox), 0);
    sqlite3 *db = xt_db(dd);
    assert_string_equal(xt_q(db, "SELECT group_concat(file_name || ':' || status || ':' || records, ',')"
                                 " FROM submissions"), "b.json:processed:4");
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM activities"), 4);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM credits"), 5); /* ls-1 credits 2020 and 2021 */
    assert_int_equal(xt_qi(db, "SELECT total_hours FROM person_years WHERE person_id = '" LS "' AND year = 2021"), 210);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM people WHERE person_id = '" ZS "'"), 0);
    assert_string_equal(xt_q(db, "PRAGMA integrity_check"), "ok");
    sqlite3_close(db);
}

static void test_database_corrupted(void **s)
{
    char dd[4096], inbox[4300], processed[4300], dbp[4300], bak[4300], p[4400];
    xt_tmpdir("fault-dbbad", dd, sizeof dd);
    paths(dd, inbox, processed, sizeof inbox);
    snprintf(dbp, sizeof dbp, "%s/xueshi.db", dd);
    snprintf(bak, sizeof bak, "%s/backup.db", dd);
    pid_t pid = xt_daemon_start(dd, "--log-level info");
    xt_wait_log_n(dd, "watching", 1, 10);
    deliver_copy(dd, XS_TEST_DATA_DIR "/zhangsan-2022.json", "a.json");
    assert_int_equal(xt_wait_count(xt_count_tree, processed, 1, 20), 1);

    /* An online backup, then everything into the main file (so that the
     * damage is what the daemon reads next, not pages still in the WAL). */
    sqlite3 *live, *copy;
    assert_int_equal(sqlite3_open_v2(dbp, &live, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(live, 5000);
    assert_int_equal(sqlite3_open(bak, &copy), SQLITE_OK);
    sqlite3_backup *b = sqlite3_backup_init(copy, "main", live, "main");
    assert_non_null(b);
    assert_int_equal(sqlite3_backup_step(b, -1), SQLITE_DONE);
    assert_int_equal(sqlite3_backup_finish(b), SQLITE_OK);
    sqlite3_close(copy);
    int wal_frames = -1, done = -1;
    assert_int_equal(sqlite3_wal_checkpoint_v2(live, NULL, SQLITE_CHECKPOINT_TRUNCATE, &wal_frames, &done),
                     SQLITE_OK);
    sqlite3_close(live);

    /* Garbage over the header and the next pages. */
    int fd = open(dbp, O_WRONLY);
    assert_true(fd >= 0);
    char junk[12288];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)(i * 131 + 7);
    assert_int_equal(pwrite(fd, junk, sizeof junk, 0), (ssize_t)sizeof junk);
    close(fd);

    deliver_copy(dd, XS_TEST_DATA_DIR "/lisi-2021.json", "b.json");
    assert_int_equal(wait_exit(pid, 15), 1);
    assert_int_equal(xt_log_count(dd, "b.json: database "), 1);
    assert_int_equal(xt_log_count(dd, "is damaged (SQLite 26: file is not a database): stopping"), 1);
    assert_true(exists(inbox, "b.json"));
    assert_int_equal(xt_count_files(inbox), 1);
    assert_int_equal(xt_count_tree(processed), 1);

    /* It does not start on a damaged database (nor replace it). */
    pid = xt_daemon_start(dd, "--log-level info");
    assert_int_equal(wait_exit(pid, 15), 1);
    xt_wait_log_n(dd, "is damaged (SQLite 26: file is not a database): not starting", 1, 1);
    assert_int_equal(xt_count_files(inbox), 1);

    /* Restored from the backup (daemon stopped; the damaged file's WAL
     * and shared memory go too): B once, A not again. */
    snprintf(p, sizeof p, "%s-wal", dbp);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", dbp);
    unlink(p);
    xt_copy(bak, dbp);
    pid = xt_daemon_start(dd, "--log-level info");
    assert_int_equal(xt_wait_count(xt_count_tree, processed, 2, 20), 2);
    assert_int_equal(xt_daemon_stop(pid, 20), 0);
    assert_int_equal(xt_count_files(inbox), 0);
    assert_int_equal(xt_log_count(dd, "b.json: 4 records, 4 credited"), 1);
    sqlite3 *db = xt_db(dd);
    assert_string_equal(xt_q(db, "SELECT group_concat(file_name || ':' || status || ':' || records, ',')"
                                 " FROM (SELECT * FROM submissions ORDER BY submission_id)"),
                        "a.json:processed:8,b.json:processed:4");
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM activities"), 12);
    assert_int_equal(xt_qi(db, "SELECT total_hours FROM person_years WHERE person_id = '" ZS "'"), 130);
    assert_int_equal(xt_qi(db, "SELECT total_hours FROM person_years WHERE person_id = '" LS "' AND year = 2021"), 210);
    assert_string_equal(xt_q(db, "PRAGMA integrity_check"), "ok");
    sqlite3_close(db);
}

/* ---- the rules folder ---------------------------------------------------- */

/* A 2016 training (no 2016 policy is bundled) numbered n. */
static void deliver_training(const char *dd, int n)
{
    char stage[4300], inbox[4300], name[32];
    snprintf(stage, sizeof stage, "%s/stage", dd);
    snprintf(inbox, sizeof inbox, "%s/inbox", dd);
    snprintf(name, sizeof name, "t%d.json", n);
    xt_deliver_training_2016(stage, inbox, name, n);
}

static const char *outcome(const char *dd, int n)
{
    return xt_training_outcome(dd, n);
}

/* The log after the last "reloading policies … (SIGHUP)" line up to the next
 * reload says the reload succeeded. */
static int last_sighup_reload_succeeded(const char *dd)
{
    char p[4300];
    snprintf(p, sizeof p, "%s/daemon.log", dd);
    char *log = xt_slurp(p);
    char *last = NULL;
    for (char *s = log; s && (s = strstr(s, "(SIGHUP)")); s++)
        last = s;
    int ok = 0;
    if (last) {
        char *next = strstr(last, "reloading policies");
        if (next)
            *next = '\0';
        ok = strstr(last, "policies reloaded") != NULL && !strstr(last, "reload refused");
    }
    free(log);
    return ok;
}

static void test_rules_folder_removed(void **s)
{
    char dd[4096], inbox[4300], processed[4300], rules[4300], p[4400];
    xt_tmpdir("fault-rules", dd, sizeof dd);
    paths(dd, inbox, processed, sizeof inbox);
    snprintf(rules, sizeof rules, "%s/rules", dd);
    assert_int_equal(xt_run("cp -r '%s' '%s'", XS_TEST_RULES_DIR, rules), 0);
    const char *missing = "policy reload refused, the old policies keep serving: the rules folder";
    pid_t pid = xt_daemon_start(dd, "--log-level info --rules '%s'", rules);
    xt_wait_log_n(dd, "watching", 1, 10);
    deliver_training(dd, 1);
    assert_string_equal(outcome(dd, 1), "rejected|no_policy_for_year");

    /* Removed: the watch's reload is refused, the loaded policies serve. */
    assert_int_equal(xt_run("rm -rf '%s'", rules), 0);
    xt_wait_log_n(dd, missing, 1, 10);
    assert_int_equal(xt_log_count(dd, "is missing (No such file or directory)"), 1);
    deliver_copy(dd, XS_TEST_DATA_DIR "/zhangsan-2022.json", "a.json");
    deliver_training(dd, 2);
    assert_string_equal(outcome(dd, 2), "rejected|no_policy_for_year");
    assert_int_equal(xt_wait_count(xt_count_tree, processed, 3, 20), 3);
    sqlite3 *db = xt_db(dd);
    assert_string_equal(xt_q(db, "SELECT public_hours || '/' || professional_hours || '/' || total_hours"
                                 " || '/' || compliant FROM person_years WHERE person_id = '" ZS "' AND year = 2022"),
                        "24/106/130/1");
    assert_string_equal(xt_q(db, "SELECT group_concat(status, ',') FROM (SELECT status FROM activities"
                                 " WHERE ref LIKE 'zs-%%' ORDER BY ref)"),
                        "credited,credited,credited,credited,credited,rejected,credited,pending_materials");
    sqlite3_close(db);

    /* Back, copied in place file by file (with a 2016 policy): the watch on
     * the parent sees it, and the new set serves. */
    char fresh[4300];
    snprintf(fresh, sizeof fresh, "%s/rules-2016", dd);
    assert_int_equal(xt_run("cp -r '%s' '%s'", XS_TEST_RULES_DIR, fresh), 0);
    snprintf(p, sizeof p, "%s/2016.lua", fresh);
    xt_write(p, "local p = policy(\"2017\")\np.year = 2016\nreturn p\n");
    snprintf(p, sizeof p, "%s/tests/2016_test.lua", fresh);
    xt_write(p, "test(\"2016 is 2017's rules\", function()\n"
                "  local r = evaluate { kind = \"training\", subject = \"professional\", date = \"2016-03-01\",\n"
                "    days = 1, evidence = { \"notice\", \"schedule\", \"sign_in\" } }\n"
                "  eq(r.status, \"credited\")\n"
                "end)\n");
    assert_int_equal(xt_run("cp -r '%s' '%s'", fresh, rules), 0);
    xt_wait_log_n(dd, "policies reloaded", 1, 15);
    assert_int_equal(xt_log_count(dd, "(SIGHUP)"), 0);
    deliver_training(dd, 3);
    assert_string_equal(outcome(dd, 3), "credited|");

    /* Removed again (the new folder is watched too), then SIGHUP: refused
     * both times; the 2016 set keeps serving. */
    assert_int_equal(xt_run("rm -rf '%s'", rules), 0);
    xt_wait_log_n(dd, missing, 2, 10);
    kill(pid, SIGHUP);
    xt_wait_log_n(dd, "(SIGHUP)", 1, 10);
    xt_wait_log_n(dd, missing, 3, 10);
    deliver_training(dd, 4);
    assert_string_equal(outcome(dd, 4), "credited|");

    /* Back by a rename, the bundled rules (no 2016), and SIGHUP at once:
     * the SIGHUP reload loads them. */
    snprintf(fresh, sizeof fresh, "%s/rules-orig", dd);
    assert_int_equal(xt_run("cp -r '%s' '%s' && mv '%s' '%s'", XS_TEST_RULES_DIR, fresh, fresh, rules), 0);
    kill(pid, SIGHUP);
    xt_wait_log_n(dd, "(SIGHUP)", 2, 10);
    xt_wait_log_n(dd, "policies reloaded", 2, 15);
    assert_true(last_sighup_reload_succeeded(dd));
    deliver_training(dd, 5);
    assert_string_equal(outcome(dd, 5), "rejected|no_policy_for_year");

    assert_int_equal(xt_daemon_stop(pid, 20), 0);
    assert_int_equal(xt_count_files(inbox), 0);
    db = xt_db(dd);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM submissions WHERE status = 'processed'"), 6);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM submissions"), 6);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM activities"), 13);
    assert_string_equal(xt_q(db, "SELECT group_concat(ref || ':' || status, ',') FROM (SELECT ref, status"
                                 " FROM activities WHERE ref LIKE 't%%' ORDER BY ref)"),
                        "t1:rejected,t2:rejected,t3:credited,t4:credited,t5:rejected");
    assert_int_equal(xt_qi(db, "SELECT sum(hours) FROM credits JOIN activities USING (activity_id)"
                               " WHERE ref IN ('t3', 't4')"), 20);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_database_removed),
        cmocka_unit_test(test_database_corrupted),
        cmocka_unit_test(test_rules_folder_removed),
    };
    return cmocka_run_group_tests_name("faults_files", tests, NULL, NULL);
}
