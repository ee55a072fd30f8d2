/*
 * Big hostile inputs against the real daemon: a 2 GB file (sparse, so it
 * costs no disk), JSON nested 100,000 levels deep, a CSV with one 100 MB
 * field, CSVs with 100,000 columns. Each must be judged in bounded time and
 * memory (the daemon's peak RSS, VmHWM, is read from /proc before it stops)
 * and leave a normal file delivered beside it unaffected.
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
#define MiB (1024L * 1024)

/* Peak RSS allowed to the daemon, KiB (times $XS_TEST_RSS_SCALE). Idle it
 * holds ~10 MB; the CSV plugin caps a field at 16 MiB and a row at 64 MiB. */
#define RSS_SMALL_KB (64L * 1024)
#define RSS_FIELD_KB (160L * 1024)

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

/* Opens stage/name for writing; move_in() renames it into the inbox. */
static FILE *staged(const char *name)
{
    FILE *f = fopen(path_in(stage, name), "wb");
    assert_non_null(f);
    return f;
}

static void move_in(const char *name)
{
    assert_int_equal(rename(path_in(stage, name), path_in(inbox, name)), 0);
}

static void deliver_normal(const char *tag)
{
    FILE *f = staged("normal.json");
    fprintf(f, "{\"person\":{\"id\":\"" ZS "\",\"name\":\"张三\"},\"activities\":[{\"ref\":\"%s\","
               "\"kind\":\"online\",\"subject\":\"professional\",\"title\":\"网络课程 %s\","
               "\"date\":\"2021-03-04\",\"hours\":2,\"evidence\":[\"syllabus\",\"progress\"]}]}",
            tag, tag);
    assert_int_equal(fclose(f), 0);
    move_in("normal.json");
}

static pid_t start(void)
{
    pid_t pid = xt_daemon_start(dd, "--settle 1");
    if (!xt_wait_log(dd, "watching", 10))
        fail_msg("daemon did not start");
    return pid;
}

/* Checks the daemon's peak memory, then stops it (it must exit 0). */
static void stop_within(pid_t pid, long rss_kb)
{
    assert_true(xt_alive(pid));
    long limit = xt_rss_limit_kb(rss_kb), peak = xt_peak_rss_kb(pid);
    fprintf(stderr, "# peak RSS %ld KiB (limit %ld)\n", peak, limit);
    if (limit)
        assert_in_range(peak, 1, limit);
    assert_int_equal(xt_daemon_stop(pid, 30), 0);
}

static int exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

/* Seconds until rejected/name.error.txt appears (fails after timeout_s). */
static double wait_rejected(const char *name, double t0, double timeout_s)
{
    char *err = path_in(rejected, name);
    char e[4700];
    snprintf(e, sizeof e, "%s.error.txt", err);
    double end = t0 + timeout_s * xt_time_scale();
    while (!exists(e) && xt_now() < end)
        xt_sleep(0.05);
    if (!exists(e))
        fail_msg("%s not rejected within %.0f s", name, timeout_s);
    return xt_now() - t0;
}

static char *error_text(const char *name)
{
    char e[4700];
    snprintf(e, sizeof e, "%s/%s.error.txt", rejected, name);
    return xt_slurp(e);
}

static void expect_normal_processed(void)
{
    assert_int_equal(xt_wait_count(xt_count_tree, processed, 1, 10), 1);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "ls '%s'/*/normal.json >/dev/null 2>&1", processed);
    assert_int_equal(system(cmd), 0);
}

/* A 2 GB file of NULs, named .csv: judged on its first bytes. Reading (or
 * hashing) all of it takes 15-25 s on a small machine; the bound is 10 s. */
static void test_sparse_2gb(void **s)
{
    setup_dirs("big-sparse");
    pid_t pid = start();
    FILE *f = staged("huge.csv");
    assert_int_equal(ftruncate(fileno(f), 2048 * MiB), 0);
    assert_int_equal(fclose(f), 0);
    double t0 = xt_now();
    move_in("huge.csv");
    deliver_normal("sparse");
    double took = wait_rejected("huge.csv", t0, 60);
    fprintf(stderr, "# 2 GB sparse file rejected in %.1f s\n", took);
    char *e = error_text("huge.csv");
    assert_non_null(strstr(e, "不是文本文件"));
    free(e);
    expect_normal_processed();
    stop_within(pid, RSS_SMALL_KB);
    unlink(path_in(rejected, "huge.csv"));
    if (took > 10 * xt_time_scale())
        fail_msg("2 GB sparse file took %.1f s (bound 10 s): the daemon read all of it", took);
}

/* [[[[…]]]] and {"a":{"a":…}} 100,000 deep: jansson stops at depth 2048. */
static void test_deep_json(void **s)
{
    setup_dirs("big-deep");
    pid_t pid = start();
    const int depth = 100000;
    FILE *f = staged("deep.json");
    for (int i = 0; i < depth; i++)
        fputc('[', f);
    for (int i = 0; i < depth; i++)
        fputc(']', f);
    assert_int_equal(fclose(f), 0);
    f = staged("deep-objects.jsonl");
    /* Line 2 is the deep one; lines 1 and 3 are fine records. */
    const char *good = "{\"person\":{\"id\":\"" ZS "\",\"name\":\"张三\"},\"activities\":[{\"ref\":\"d%d\","
                       "\"kind\":\"online\",\"subject\":\"professional\",\"title\":\"深%d\","
                       "\"date\":\"2021-04-0%d\",\"hours\":1,\"evidence\":[\"syllabus\",\"progress\"]}]}\n";
    fprintf(f, good, 1, 1, 1);
    for (int i = 0; i < depth; i++)
        fputs("{\"a\":", f);
    fputs("1", f);
    for (int i = 0; i < depth; i++)
        fputc('}', f);
    fputc('\n', f);
    fprintf(f, good, 3, 3, 3);
    assert_int_equal(fclose(f), 0);
    double t0 = xt_now();
    move_in("deep.json");
    move_in("deep-objects.jsonl");
    deliver_normal("deep");
    wait_rejected("deep.json", t0, 10);
    char *e = error_text("deep.json");
    assert_non_null(strstr(e, "depth"));
    free(e);
    /* JSON Lines: only the deep line is lost. */
    assert_int_equal(xt_wait_count(xt_count_tree, processed, 2, 10), 2);
    stop_within(pid, RSS_SMALL_KB);
    sqlite3 *db = xt_db(dd);
    assert_string_equal(xt_q(db, "SELECT group_concat(coalesce(ref, '-') || ':' || status, ',') FROM"
                                 " (SELECT a.* FROM activities a JOIN submissions s USING (submission_id)"
                                 "  WHERE s.file_name = 'deep-objects.jsonl' ORDER BY activity_id)"),
                        "d1:credited,-:rejected,d3:credited");
    assert_non_null(strstr(xt_q(db, "SELECT reason FROM activities WHERE ref IS NULL"), "depth"));
    sqlite3_close(db);
}

#define CSV_HEAD "id,name,ref,kind,subject,title,date,days,evidence\n"
#define CSV_ROW(ref, title) ZS ",张三," ref ",training,professional," title ",2021-06-01,1,notice;schedule;sign_in\n"

/* One field of 100 MB in row 2; rows 1 and 3 are fine. */
static void test_csv_huge_field(void **s)
{
    setup_dirs("big-field");
    pid_t pid = start();
    FILE *f = staged("field.csv");
    fputs(CSV_HEAD CSV_ROW("h1", "前"), f);
    fputs(ZS ",张三,h2,training,professional,\"", f);
    static char chunk[1 << 20];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 100; i++)
        assert_int_equal(fwrite(chunk, 1, sizeof chunk, f), sizeof chunk);
    fputs("\",2021-06-02,1,notice;schedule;sign_in\n", f);
    fputs(CSV_ROW("h3", "后"), f);
    assert_int_equal(fclose(f), 0);
    double t0 = xt_now();
    move_in("field.csv");
    deliver_normal("field");
    assert_int_equal(xt_wait_count(xt_count_tree, processed, 2, 60), 2);
    double took = xt_now() - t0;
    fprintf(stderr, "# 100 MB field judged in %.1f s\n", took);
    assert_true(took < 30 * xt_time_scale());
    stop_within(pid, RSS_FIELD_KB);
    unlink(path_in(processed, "field.csv"));
    sqlite3 *db = xt_db(dd);
    assert_string_equal(xt_q(db, "SELECT group_concat(ref || ':' || status, ',') FROM (SELECT * FROM"
                                 " activities WHERE ref GLOB 'h*' ORDER BY ref)"),
                        "h1:credited,h2:rejected,h3:credited");
    assert_non_null(strstr(xt_q(db, "SELECT reason FROM activities WHERE ref = 'h2'"), "16 MiB"));
    sqlite3_close(db);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'/*/field.csv", processed);
    assert_int_equal(system(cmd), 0);
}

/* A header of 100,000 columns (refused: the cap is 10,000), and a data
 * row of 100,000 cells under a normal header (that record only). */
static void test_csv_100k_columns(void **s)
{
    setup_dirs("big-columns");
    pid_t pid = start();
    const int cols = 100000;
    FILE *f = staged("wide-header.csv");
    for (int i = 0; i < cols; i++)
        fprintf(f, "%sc%d", i ? "," : "", i);
    fputs("\n1,2\n", f);
    assert_int_equal(fclose(f), 0);
    f = staged("wide-row.csv");
    fputs(CSV_HEAD CSV_ROW("w1", "宽一"), f);
    for (int i = 0; i < cols; i++) /* the header's 9 columns empty: no ref */
        fputs(i == 0 ? "" : i < 9 ? "," : ",v", f);
    fputs("\n" CSV_ROW("w3", "宽三"), f);
    assert_int_equal(fclose(f), 0);
    double t0 = xt_now();
    move_in("wide-header.csv");
    move_in("wide-row.csv");
    deliver_normal("columns");
    wait_rejected("wide-header.csv", t0, 10);
    char *e = error_text("wide-header.csv");
    assert_non_null(strstr(e, "10000"));
    free(e);
    assert_int_equal(xt_wait_count(xt_count_tree, processed, 2, 10), 2);
    stop_within(pid, RSS_SMALL_KB);
    sqlite3 *db = xt_db(dd);
    assert_string_equal(xt_q(db, "SELECT group_concat(coalesce(ref, '-') || ':' || status, ',') FROM"
                                 " (SELECT a.* FROM activities a JOIN submissions s USING (submission_id)"
                                 "  WHERE s.file_name = 'wide-row.csv' ORDER BY activity_id)"),
                        "w1:credited,-:rejected,w3:credited");
    assert_non_null(strstr(xt_q(db, "SELECT reason FROM activities WHERE ref IS NULL"), "列数"));
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deep_json),
        cmocka_unit_test(test_csv_huge_field),
        cmocka_unit_test(test_csv_100k_columns),
        cmocka_unit_test(test_sparse_2gb),
    };
    return cmocka_run_group_tests_name("hostile inbox: big inputs", tests, NULL, NULL);
}
