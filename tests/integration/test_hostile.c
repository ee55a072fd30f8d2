/*
 * A hostile inbox, against the real daemon: links and special files, names
 * that break naive code, empty, binary and UTF-16 contents, a file still
 * being written. Each must end in a clear rejection (rejected/NAME with
 * NAME.error.txt and a receipt) or a documented skip, in bounded time, and
 * must leave the other files alone: every test delivers a normal file next
 * to the hostile ones and checks that it is processed. The big inputs (2 GB,
 * 100 MB fields, 100,000 columns, deep nesting) are in test_hostile_big.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

static char *path_in(const char *dir, const char *name)
{
    static char p[8][4600];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

/* Safe delivery: written in stage/, renamed into inbox/. */
static void deliver_bytes(const char *name, const void *data, size_t n)
{
    xt_deliver(stage, inbox, name, data, n);
}

static void deliver(const char *name, const char *text)
{
    deliver_bytes(name, text, strlen(text));
}

/* A valid submission with one credited activity, distinct per tag. */
static void deliver_normal(const char *name, const char *tag)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"person\":{\"id\":\"" ZS "\",\"name\":\"张三\"},\"activities\":[{\"ref\":\"%s\","
             "\"kind\":\"online\",\"subject\":\"professional\",\"title\":\"网络课程 %s\","
             "\"date\":\"2021-03-04\",\"hours\":2,\"evidence\":[\"syllabus\",\"progress\"]}]}",
             tag, tag);
    deliver(name, body);
}

static pid_t start(const char *extra)
{
    pid_t pid = xt_daemon_start(dd, "%s", extra);
    if (!xt_wait_log(dd, "watching", 10))
        fail_msg("daemon did not start");
    return pid;
}

/* The daemon survived: still running, and it ends with 0 on SIGTERM. */
static void stop_ok(pid_t pid)
{
    assert_true(xt_alive(pid));
    assert_int_equal(xt_daemon_stop(pid, 20), 0);
}

static int exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

/* Waits until rejected/NAME.error.txt exists; returns its text (malloc'd). */
static char *wait_rejection(const char *shown_name, double timeout_s)
{
    char err[4600];
    snprintf(err, sizeof err, "%s/%s.error.txt", rejected, shown_name);
    double end = xt_now() + timeout_s * xt_time_scale();
    while (!exists(err) && xt_now() < end)
        xt_sleep(0.05);
    char *t = xt_slurp(err);
    if (!t)
        fail_msg("no rejection for %s within %.0f s", shown_name, timeout_s);
    return t;
}

static void expect_rejected(const char *name, const char *why)
{
    char *t = wait_rejection(name, 10);
    if (!strstr(t, why))
        fail_msg("%s: reason \"%s\" lacks \"%s\"", name, t, why);
    free(t);
    assert_true(exists(path_in(rejected, name)));
    assert_false(exists(path_in(inbox, name)));
    /* The daemon writes NAME.error.txt first, then the receipt. */
    char receipt[4600];
    snprintf(receipt, sizeof receipt, "%s/%s.receipt.json", outbox, name);
    double end = xt_now() + 5 * xt_time_scale();
    while (!exists(receipt) && xt_now() < end)
        xt_sleep(0.02);
    char *r = xt_slurp(receipt);
    assert_non_null(r);
    assert_non_null(strstr(r, "\"status\": \"rejected\""));
    free(r);
}

/* processed/DAY/name exists (the only day folder of a test). */
static int is_processed(const char *name)
{
    char cmd[4800];
    snprintf(cmd, sizeof cmd, "test -e \"$(ls -d '%s'/*/ 2>/dev/null | head -1)\"'%s'", processed, name);
    return system(cmd) == 0;
}

static void expect_processed(const char *name, double timeout_s)
{
    double end = xt_now() + timeout_s * xt_time_scale();
    while (!is_processed(name) && xt_now() < end)
        xt_sleep(0.05);
    if (!is_processed(name))
        fail_msg("%s was not processed within %.0f s", name, timeout_s);
}

/* Every line of the daemon's log is one event: it starts with a date. */
static void expect_log_lines_whole(void)
{
    char *log = xt_slurp(path_in(dd, "daemon.log"));
    assert_non_null(log);
    for (char *line = log; *line;) {
        if (strncmp(line, "20", 2) != 0)
            fail_msg("log line not starting with a timestamp: %.80s", line);
        char *nl = strchr(line, '\n');
        if (!nl)
            break;
        line = nl + 1;
    }
    free(log);
}

/* ---- links and special files ------------------------------------------ */

static void test_links_and_special_files(void **s)
{
    setup_dirs("hostile-links");
    pid_t pid = start("--settle 1");
    double t0 = xt_now();
    /* A symlink out of the data directory, to a FIFO (opening it would hang
     * the lane), to itself, and one that leads nowhere. */
    assert_int_equal(symlink("/etc/passwd", path_in(inbox, "passwd.csv")), 0);
    assert_int_equal(mkfifo(path_in(stage, "fifo"), 0600), 0);
    assert_int_equal(symlink(path_in(stage, "fifo"), path_in(inbox, "to-fifo.csv")), 0);
    assert_int_equal(symlink("self.json", path_in(inbox, "self.json")), 0);
    assert_int_equal(symlink("/nonexistent/x.json", path_in(inbox, "dangling.json")), 0);
    /* A FIFO itself, and a hard link to a file outside the inbox. */
    assert_int_equal(mkfifo(path_in(inbox, "fifo.json"), 0600), 0);
    xt_write(path_in(stage, "outside.csv"), "id,name\n");
    assert_int_equal(link(path_in(stage, "outside.csv"), path_in(inbox, "hard.csv")), 0);
    /* A device node (/dev/null's numbers), when this process may make one. */
    int have_dev = mknod(path_in(inbox, "dev.json"), S_IFCHR | 0600, makedev(1, 3)) == 0;
    if (!have_dev)
        fprintf(stderr, "# device node case skipped: mknod: %s\n", strerror(errno));
    /* A folder is not a file: left alone. */
    assert_int_equal(mkdir(path_in(inbox, "folder.json"), 0700), 0);
    /* Delivered last: the FIFO must not have blocked anything. */
    deliver_normal("normal.json", "links");

    expect_rejected("passwd.csv", "符号链接");
    expect_rejected("to-fifo.csv", "符号链接");
    expect_rejected("self.json", "符号链接");
    expect_rejected("dangling.json", "符号链接");
    expect_rejected("fifo.json", "命名管道");
    expect_rejected("hard.csv", "硬链接");
    if (have_dev)
        expect_rejected("dev.json", "设备文件");
    expect_processed("normal.json", 10);
    assert_true(xt_now() - t0 < 10 * xt_time_scale());

    /* Moved as they are, never followed: the links are still links, the
     * hard link's other name is untouched. */
    struct stat st;
    assert_int_equal(lstat(path_in(rejected, "passwd.csv"), &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(lstat(path_in(rejected, "fifo.json"), &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    char *out = xt_slurp(path_in(stage, "outside.csv"));
    assert_string_equal(out, "id,name\n");
    free(out);
    assert_true(exists(path_in(inbox, "folder.json")));
    stop_ok(pid);

    sqlite3 *db = xt_db(dd);
    /* Refused files add nothing; the normal one is in. */
    assert_string_equal(xt_q(db, "SELECT group_concat(file_name) FROM submissions"), "normal.json");
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM activities WHERE status = 'credited'"), 1);
    sqlite3_close(db);
}

/* ---- names --------------------------------------------------------------- */

static void test_hostile_names(void **s)
{
    setup_dirs("hostile-names");
    pid_t pid = start("--settle 1");
    char longname[300], longbad[300], longzh[300];
    /* 255 bytes, the most a name can have: no room for NAME.error.txt or
     * NAME.receipt.json beside it. */
    memset(longname, 'L', 250);
    strcpy(longname + 250, ".json");
    memset(longbad, 'B', 250);
    strcpy(longbad + 250, ".json");
    /* 85 three-byte characters: a shortened name must not cut one. */
    longzh[0] = '\0';
    for (int i = 0; i < 83; i++)
        strcat(longzh, "学");
    strcat(longzh, "X.json");
    assert_int_equal(strlen(longzh), 255);

    deliver_normal("new\nline.json", "nl");
    deliver("bad\nline.json", "{\"person\":");
    deliver_normal("a..b.json", "dots");
    deliver_normal("..hidden.json", "hidden");
    deliver_normal(longname, "long");
    deliver(longbad, "not json");
    deliver_normal(longzh, "longzh");
    deliver_normal("bad\xff\xfe.json", "latin1");
    deliver_normal("gbk-\xd5\xc5\xc8\xfd.json", "gbk"); /* 张三 in GBK */
    deliver_normal("$(touch pwned);.json", "shell");
    deliver_normal("-rf.json", "dash");
    deliver_normal("normal.json", "names");

    expect_processed("normal.json", 10);
    expect_processed("new\nline.json", 10);
    expect_processed("a..b.json", 10);
    expect_processed("$(touch pwned);.json", 10);
    expect_processed("-rf.json", 10);
    expect_processed("bad\xff\xfe.json", 10);
    expect_processed("gbk-\xd5\xc5\xc8\xfd.json", 10);
    /* Long names are kept as their start and extension, cut at a
     * character, joined by "~": 235 bytes at most. */
    char fit[300];
    snprintf(fit, sizeof fit, "%.229s~.json", longname);
    expect_processed(fit, 10);
    char fitzh[300] = "";
    for (int i = 0; i < 76; i++) /* 228 bytes: 229 would cut a character */
        strcat(fitzh, "学");
    strcat(fitzh, "~.json");
    expect_processed(fitzh, 10);
    char fitbad[300];
    snprintf(fitbad, sizeof fitbad, "%.229s~.json", longbad);
    free(wait_rejection(fitbad, 10));
    assert_true(exists(path_in(rejected, fitbad)));
    char *t = wait_rejection("bad\nline.json", 10);
    assert_non_null(strstr(t, "JSON"));
    free(t);

    /* Receipts: under the (shortened) name, valid JSON even for a name
     * that is not UTF-8 (it crashed the daemon). */
    char rp[4600];
    snprintf(rp, sizeof rp, "%s/%s.receipt.json", outbox, fit);
    char *r = xt_slurp(rp);
    assert_non_null(r);
    assert_non_null(strstr(r, "\"status\":\"processed\""));
    free(r);
    r = xt_slurp(path_in(outbox, "bad\xff\xfe.json.receipt.json"));
    assert_non_null(r);
    assert_non_null(strstr(r, "\"file\":\"bad\\\\xff\\\\xfe.json\""));
    free(r);
    r = xt_slurp(path_in(outbox, "new\nline.json.receipt.json"));
    assert_non_null(r);
    assert_non_null(strstr(r, "\"status\":\"processed\""));
    free(r);

    /* Dotfiles are never taken (SPEC §2): still there, untouched. */
    assert_true(exists(path_in(inbox, "..hidden.json")));
    assert_int_equal(xt_count_files(inbox), 0); /* dotfiles are not counted */
    /* Names are data, never shell. */
    assert_false(exists(path_in(inbox, "pwned")));
    assert_false(exists("pwned"));
    stop_ok(pid);
    expect_log_lines_whole();

    sqlite3 *db = xt_db(dd);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM submissions WHERE status = 'processed'"), 9);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM activities WHERE status = 'credited'"), 9);
    sqlite3_close(db);
}

/* ---- contents ------------------------------------------------------------ */

/* Deterministic garbage with NULs (a binary file named .csv). */
static void garbage(unsigned char *buf, size_t n)
{
    unsigned x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (unsigned char)(x >> 16);
    }
}

static void test_hostile_contents(void **s)
{
    setup_dirs("hostile-contents");
    pid_t pid = start("--settle 1");
    static unsigned char junk[256 * 1024];
    garbage(junk, sizeof junk);
    deliver_bytes("empty.csv", "", 0);
    deliver_bytes("empty.json", "", 0);
    deliver_bytes("garbage.csv", junk, sizeof junk);
    deliver_bytes("garbage.json", junk, sizeof junk);
    /* UTF-16 as Windows Notepad saves it ("Unicode": LE with BOM), and
     * without a BOM. */
    const char le_bom[] = "\xff\xfei\0d\0,\0n\0a\0m\0e\0\n\0";
    const char le_json[] = "{\0\"\0p\0e\0r\0s\0o\0n\0\"\0:\0{\0}\0}\0";
    deliver_bytes("utf16.csv", le_bom, sizeof le_bom - 1);
    deliver_bytes("utf16.json", le_bom, sizeof le_bom - 1);
    deliver_bytes("utf16-nobom.json", le_json, sizeof le_json - 1);
    deliver("notes.txt", "not a submission");
    deliver_normal("normal.json", "contents");

    expect_rejected("empty.csv", "为空");
    expect_rejected("empty.json", "JSON");
    expect_rejected("garbage.csv", "不是文本文件");
    expect_rejected("garbage.json", "不是文本文件");
    expect_rejected("utf16.csv", "UTF-16");
    expect_rejected("utf16.json", "UTF-16");
    expect_rejected("utf16-nobom.json", "UTF-16");
    expect_rejected("notes.txt", "只接受");
    expect_processed("normal.json", 10);
    stop_ok(pid);
    sqlite3 *db = xt_db(dd);
    assert_string_equal(xt_q(db, "SELECT group_concat(file_name) FROM submissions"), "normal.json");
    sqlite3_close(db);
}

/* ---- a file still being written ----------------------------------------- */

static void test_growing_file(void **s)
{
    setup_dirs("hostile-growing");
    /* Settle 1.5 s; the writer adds a piece every 0.5 s for about 4 s. A file
     * taken early would be cut JSON (rejected) or miss records. */
    pid_t pid = start("--settle 1.5");
    char p[4600];
    snprintf(p, sizeof p, "%s/growing.json", inbox);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("{\"people\": [\n", f);
    fflush(f);
    const int pieces = 8;
    for (int i = 0; i < pieces; i++) {
        xt_sleep(0.5);
        fprintf(f, "%s{\"person\":{\"id\":\"" ZS "\",\"name\":\"张三\"},\"activities\":[{\"ref\":\"g%d\","
                   "\"kind\":\"online\",\"subject\":\"professional\",\"title\":\"慢写 %d\","
                   "\"date\":\"2021-05-%02d\",\"hours\":1,\"evidence\":[\"syllabus\",\"progress\"]}]}\n",
                i ? "," : "", i, i, i + 1);
        fflush(f);
        if (i == 2)
            deliver_normal("normal.json", "growing"); /* others go on meanwhile */
        /* Still being written: still in the inbox, no verdict. */
        assert_true(exists(p));
        assert_false(exists(path_in(outbox, "growing.json.receipt.json")));
    }
    expect_processed("normal.json", 1); /* while growing.json still grew */
    xt_sleep(0.5);
    fputs("]}\n", f);
    assert_int_equal(fclose(f), 0);
    double t_done = xt_now();
    expect_processed("growing.json", 10);
    /* Taken once settled, not before. */
    assert_true(xt_now() - t_done >= 1.4);
    stop_ok(pid);
    sqlite3 *db = xt_db(dd);
    assert_int_equal(xt_qi(db, "SELECT records FROM submissions WHERE file_name = 'growing.json'"), pieces);
    assert_int_equal(xt_qi(db, "SELECT count(*) FROM activities WHERE ref GLOB 'g[0-9]*' AND status = 'credited'"),
                     pieces);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_links_and_special_files),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_hostile_contents),
        cmocka_unit_test(test_growing_file),
    };
    return cmocka_run_group_tests_name("hostile inbox", tests, NULL, NULL);
}
