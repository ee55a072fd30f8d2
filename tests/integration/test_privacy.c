/*
 * Privacy, against the real binary: ID numbers never appear whole in a log
 * line (SPEC §8), whatever carries them there (a record, a file named after
 * a person, a parser quoting the text near a syntax error); the data
 * directory is private (folders 0700, database and its WAL 0600, under the
 * usual umask 022); receipts are written to outbox/ and nowhere else.
 */
#define _GNU_SOURCE
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
#define WW_LOWER "43030219900720789x"

static char top[4096], dd[4200], inbox[4300], outbox[4300], stage[4300];

/* The data directory (dd = top/data) does not exist yet: the daemon
 * creates it. The helpers' logs go to top (xt_daemon_start writes
 * top/daemon.log), and a second --data flag, which wins, names dd. */
static void setup_dirs(const char *tag)
{
    xt_tmpdir(tag, top, sizeof top);
    snprintf(dd, sizeof dd, "%s/data", top);
    snprintf(inbox, sizeof inbox, "%s/inbox", dd);
    snprintf(outbox, sizeof outbox, "%s/outbox", dd);
    snprintf(stage, sizeof stage, "%s/stage", top);
    mkdir(stage, 0755);
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

/* The first whole ID number in s: 17 digits and a digit or X, no digit on
 * either side (what GB 11643 numbers look like in any text), or NULL. */
static const char *find_id(const char *s)
{
    for (const char *p = s; *p;) {
        if (*p < '0' || *p > '9') {
            p++;
            continue;
        }
        size_t run = strspn(p, "0123456789");
        if (run == 18 || (run == 17 && (p[17] == 'X' || p[17] == 'x') &&
                          (p[18] < '0' || p[18] > '9')))
            return p;
        p += run;
    }
    return NULL;
}

static void expect_no_id(const char *what, const char *text)
{
    assert_non_null(text);
    const char *id = find_id(text);
    if (id) {
        const char *line = id;
        while (line > text && line[-1] != '\n')
            line--;
        fail_msg("%s holds a whole ID number: %.160s", what, line);
    }
}

static void test_logs_mask_ids(void **s)
{
    setup_dirs("privacy-logs");
    /* Debug level: every log line the daemon can write about records. */
    pid_t pid = xt_daemon_start(top, "--data '%s' --settle 1 --log-level debug", dd);
    if (!xt_wait_log(top, "watching", 10))
        fail_msg("daemon did not start");
    deliver_copy(XS_TEST_DATA_DIR "/zhangsan-2022.json", "zhangsan-2022.json");
    deliver_copy(XS_TEST_DATA_DIR "/lisi-2021.json", "lisi-2021.json");
    deliver_copy(XS_TEST_DATA_DIR "/xianggang-unit-gbk.csv", "xianggang-unit-gbk.csv");
    /* A unit names files after people: the name is in every line about it. */
    deliver_copy(XS_TEST_DATA_DIR "/zhangsan-2022.json", ZS "-张三.json");
    deliver("wangwu-" WW_LOWER ".json", "{\"person\": ");
    /* jansson quotes the text near a syntax error: here, the ID. */
    deliver("near.json", "{\"person\":{\"id\":\"" ZS "\x01\"}}");
    /* A wrong check digit is still somebody's number. */
    deliver("bad-check.csv", "id,name,kind,title,date\n430302198001011235,张三,training,t,2022-01-01\n");
    assert_int_equal(xt_wait_count(xt_count_tree, outbox, 7, 20), 7);
    assert_int_equal(xt_daemon_stop(pid, 20), 0);

    char p[4400];
    snprintf(p, sizeof p, "%s/daemon.log", top);
    char *log = xt_slurp(p);
    expect_no_id("daemon.log", log);
    /* Not vacuous: those lines are there, masked. */
    assert_non_null(strstr(log, "430302********1234-张三.json"));
    assert_non_null(strstr(log, "wangwu-430302********789x.json"));
    assert_non_null(strstr(log, "near.json"));
    assert_non_null(strstr(log, "DEBUG"));
    free(log);

    /* The commands log too (on stderr): each run's log is checked. */
    const char *runs[] = {
        "report --log-level debug --id " ZS,
        "report --log-level debug --id 430302198001011235", /* nobody */
        "verify --log-level debug --id " ZS " --level intermediate --eval-year 2023",
        "ingest --log-level debug " XS_TEST_DATA_DIR "/zhangsan-2022.json",
        "ingest --log-level debug " XS_TEST_DATA_DIR "/xianggang-unit-gbk.csv",
    };
    snprintf(p, sizeof p, "%s/last.err", top);
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
        int rc = xt_xueshi(top, "%s --data '%s'", runs[i], dd);
        assert_in_range(rc, 0, 3); /* not a crash */
        char *err = xt_slurp(p);
        expect_no_id(runs[i], err);
        free(err);
    }
}

/* Mode bits (permissions) of path, or -1. */
static int mode_of(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static void expect_mode(const char *dir, const char *name, int want)
{
    char p[4600];
    snprintf(p, sizeof p, "%s%s%s", dir, *name ? "/" : "", name);
    int m = mode_of(p);
    if (m != want)
        fail_msg("%s: mode %04o, want %04o", p, (unsigned)m, (unsigned)want);
}

static void test_private_modes(void **s)
{
    setup_dirs("privacy-modes");
    mode_t old = umask(022); /* the usual one: group and others may read */
    pid_t pid = xt_daemon_start(top, "--data '%s' --settle 1", dd);
    if (!xt_wait_log(top, "watching", 10))
        fail_msg("daemon did not start");
    deliver_copy(XS_TEST_DATA_DIR "/zhangsan-2022.json", "zhangsan-2022.json");
    deliver("broken.json", "{");
    assert_int_equal(xt_wait_count(xt_count_tree, outbox, 2, 20), 2);
    /* While it runs: the WAL and its index exist. */
    expect_mode(dd, "xueshi.db-wal", 0600);
    expect_mode(dd, "xueshi.db-shm", 0600);
    assert_int_equal(xt_daemon_stop(pid, 20), 0);
    umask(old);

    expect_mode(dd, "", 0700);
    expect_mode(dd, "inbox", 0700);
    expect_mode(dd, "processed", 0700);
    expect_mode(dd, "rejected", 0700);
    expect_mode(dd, "outbox", 0700);
    expect_mode(dd, "xueshi.db", 0600);
    expect_mode(outbox, "zhangsan-2022.json.receipt.json", 0600);
    expect_mode(outbox, "broken.json.receipt.json", 0600);
    char rej[4400];
    snprintf(rej, sizeof rej, "%s/rejected", dd);
    expect_mode(rej, "broken.json.error.txt", 0600);
    char cmd[4600];
    snprintf(cmd, sizeof cmd, "test \"$(stat -c %%a '%s'/processed/*)\" = 700", dd);
    assert_int_equal(system(cmd), 0);

    /* ingest creates a data directory the same way. */
    char dd2[4300];
    snprintf(dd2, sizeof dd2, "%s/ingest-data", top);
    umask(022);
    assert_int_equal(xt_xueshi(top, "ingest %s/lisi-2021.json --data '%s'", XS_TEST_DATA_DIR, dd2), 0);
    umask(old);
    expect_mode(dd2, "", 0700);
    expect_mode(dd2, "outbox", 0700);
    expect_mode(dd2, "xueshi.db", 0600);
}

static void test_receipts_only_in_outbox(void **s)
{
    setup_dirs("privacy-receipts");
    pid_t pid = xt_daemon_start(top, "--data '%s' --settle 1", dd);
    if (!xt_wait_log(top, "watching", 10))
        fail_msg("daemon did not start");
    deliver_copy(XS_TEST_DATA_DIR "/lisi-2021.json", "lisi-2021.json");
    deliver("broken.csv", "\xff\xfe\x00\x00");
    deliver("notes.txt", "x");
    char link[4400];
    snprintf(link, sizeof link, "%s/link.json", inbox);
    assert_int_equal(symlink("/etc/hostname", link), 0);
    assert_int_equal(xt_wait_count(xt_count_tree, outbox, 4, 20), 4);
    assert_int_equal(xt_daemon_stop(pid, 20), 0);
    /* ingest of files outside the data directory: read in place, not moved,
     * no receipt beside them. */
    xt_copy(XS_TEST_DATA_DIR "/zhangsan-2022.json", stage);
    char in[4400];
    snprintf(in, sizeof in, "%s/zhangsan-2022.json", stage);
    assert_int_equal(xt_xueshi(top, "ingest %s --data '%s'", in, dd), 0);
    assert_int_equal(access(in, F_OK), 0);

    /* Every receipt anywhere under top (inputs, stage, data directory). */
    char cmd[4600];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && find . -name '*receipt*' | sort | tr '\\n' ' ' >'%s/found.txt'", top, top);
    assert_int_equal(system(cmd), 0);
    char p[4400];
    snprintf(p, sizeof p, "%s/found.txt", top);
    char *all = xt_slurp(p);
    assert_string_equal(all, "./data/outbox/broken.csv.receipt.json ./data/outbox/link.json.receipt.json "
                             "./data/outbox/lisi-2021.json.receipt.json ./data/outbox/notes.txt.receipt.json "
                             "./data/outbox/zhangsan-2022.json.receipt.json ");
    free(all);
    /* Nothing half-written is left in the outbox. */
    assert_int_equal(xt_count_files(outbox), 5);
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s' | grep -v receipt.json$)\"", outbox);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logs_mask_ids),
        cmocka_unit_test(test_private_modes),
        cmocka_unit_test(test_receipts_only_in_outbox),
    };
    return cmocka_run_group_tests_name("privacy", tests, NULL, NULL);
}
