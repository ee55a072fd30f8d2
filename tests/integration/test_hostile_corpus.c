/*
 * The fuzzers' inputs through the real binary, in every build (the fuzz
 * build replays them through the harnesses too): the seed corpus and each
 * input that once broke an invariant (tests/fuzz/regressions/) are ingested;
 * none may crash xueshi, and every receipt must be valid JSON. Then the
 * findings one by one, as the daemon's outcomes they changed; and the
 * plugins' own refusal of a symlink or FIFO swapped in after the inbox scan.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include "xs_test.h"
#include "xueshi/plugin.h"

#define ZS "430302198001011234"
#define FUZZ_DIR XS_TEST_DATA_DIR "/../fuzz"

static char dd[4096];

/* Ingests every file of dir (one run); returns how many there were. */
static int ingest_dir(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    static char args[65536];
    int n = 0;
    size_t len = (size_t)snprintf(args, sizeof args, "ingest");
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        len += (size_t)snprintf(args + len, sizeof args - len, " '%s/%s'", dir, e->d_name);
        assert_true(len < sizeof args);
        n++;
    }
    closedir(d);
    int rc = xt_xueshi(dd, "%s", args);
    /* 0, or 1 when some file was unreadable: never a signal (≥ 128). */
    if (rc != 0 && rc != 1) {
        char p[4200];
        snprintf(p, sizeof p, "%s/last.err", dd);
        char *err = xt_slurp(p);
        fail_msg("ingest of %s exited %d: %s", dir, rc, err ? err : "");
    }
    return n;
}

/* Every receipt in outbox/ is JSON with a file name and a status. */
static int check_receipts(void)
{
    char ob[4200];
    snprintf(ob, sizeof ob, "%s/outbox", dd);
    DIR *d = opendir(ob);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[4600];
        snprintf(p, sizeof p, "%s/%s", ob, e->d_name);
        json_error_t je;
        json_t *r = json_load_file(p, 0, &je);
        if (!r)
            fail_msg("%s: not JSON: %s", e->d_name, je.text);
        if (!json_is_string(json_object_get(r, "file")) || !json_is_string(json_object_get(r, "status")))
            fail_msg("%s: no file or status", e->d_name);
        json_decref(r);
        n++;
    }
    closedir(d);
    return n;
}

static void replay(const char *tag, const char *dir)
{
    xt_tmpdir(tag, dd, sizeof dd);
    int n = ingest_dir(dir);
    assert_true(n > 0);
    assert_int_equal(check_receipts(), n);
}

static void test_replay_json_corpus(void **s) { replay("corpus-json", FUZZ_DIR "/corpus/fuzz_json"); }
static void test_replay_csv_corpus(void **s) { replay("corpus-csv", FUZZ_DIR "/corpus/fuzz_csv"); }
static void test_replay_json_regressions(void **s) { replay("regress-json", FUZZ_DIR "/regressions/fuzz_json"); }
static void test_replay_csv_regressions(void **s) { replay("regress-csv", FUZZ_DIR "/regressions/fuzz_csv"); }

/* fuzz_record, fuzz_json: "20r1-01-02" gave year 20, "2022-02-30" year
 * 2022 and an identity (so a later copy superseded it) to rejected records. */
static void test_unreal_dates(void **s)
{
    xt_tmpdir("regress-dates", dd, sizeof dd);
    char a[4200], b[4200];
    snprintf(a, sizeof a, "%s/a.json", dd);
    snprintf(b, sizeof b, "%s/b.json", dd);
    const char *fmt = "{\"person\":{\"id\":\"" ZS "\",\"name\":\"张三\"},\"activities\":["
                      "{\"ref\":\"%s1\",\"kind\":\"online\",\"subject\":\"professional\",\"title\":\"课\","
                      "\"date\":\"20r1-01-02\",\"hours\":1},"
                      "{\"ref\":\"%s2\",\"kind\":\"online\",\"subject\":\"professional\",\"title\":\"课\","
                      "\"date\":\"2022-02-30\",\"hours\":1}]}";
    char body[1024];
    snprintf(body, sizeof body, fmt, "a", "a");
    xt_write(a, body);
    snprintf(body, sizeof body, fmt, "b", "b");
    xt_write(b, body);
    assert_int_equal(xt_xueshi(dd, "ingest '%s' '%s'", a, b), 0);
    sqlite3 *db = xt_db(dd);
    assert_string_equal(xt_q(db, "SELECT group_concat(ref || ':' || status || ':' || coalesce(year, '-'), ',')"
                                 " FROM (SELECT * FROM activities ORDER BY ref)"),
                        "a1:rejected:-,a2:rejected:-,b1:rejected:-,b2:rejected:-");
    sqlite3_close(db);
}

/* fuzz_csv: a field cut at the size cap kept its tail (cut inside a
 * character) when an earlier cell of the row had undecodable bytes. */
static void test_cut_field_after_encoding_fault(void **s)
{
    xt_tmpdir("regress-cut", dd, sizeof dd);
    char p[4200];
    snprintf(p, sizeof p, "%s/cut.csv", dd);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs("id,name,ref,kind,subject,title,date,days,evidence\n", f);
    fputs(ZS ",张三李四王五\xff,r1,training,professional,\"", f);
    /* A three-byte character, to 3 KB past the cap (16 MiB, not a multiple
     * of 3: the cut falls inside a character); a tail that short would fit
     * in the record and be stored as the title. */
    static char chunk[3 * 1000];
    for (size_t i = 0; i < sizeof chunk; i += 3)
        memcpy(chunk + i, "学", 3);
    long chars = 16L * 1024 * 1024 / 3 + 1000;
    for (; chars >= 1000; chars -= 1000)
        assert_int_equal(fwrite(chunk, 1, sizeof chunk, f), sizeof chunk);
    assert_int_equal(fwrite(chunk, 1, (size_t)chars * 3, f), (size_t)chars * 3);
    fputs("\",2021-06-01,1,notice;schedule;sign_in\n", f);
    fputs(ZS ",张三,r2,training,professional,后,2021-06-02,1,notice;schedule;sign_in\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(xt_xueshi(dd, "ingest '%s'", p), 0);
    unlink(p);
    sqlite3 *db = xt_db(dd);
    assert_string_equal(xt_q(db, "SELECT status || '|' || coalesce(title, '-') FROM activities WHERE ref = 'r1'"),
                        "rejected|-");
    assert_non_null(strstr(xt_q(db, "SELECT reason FROM activities WHERE ref = 'r1'"), "无法识别"));
    assert_string_equal(xt_q(db, "SELECT status FROM activities WHERE ref = 'r2'"), "credited");
    sqlite3_close(db);
}

/* fuzz_record: a record of more than 1,024 fields (a JSON object of many
 * keys, a wide CSV) was stored, but its payload could not be read back, so
 * recompute and `rules diff` silently skipped it. */
static void test_many_fields_read_back(void **s)
{
    xt_tmpdir("regress-many", dd, sizeof dd);
    char p[4200];
    snprintf(p, sizeof p, "%s/many.json", dd);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("{\"person\":{\"id\":\"" ZS "\",\"name\":\"张三\"},\"activities\":[{\"ref\":\"m1\","
          "\"kind\":\"online\",\"subject\":\"professional\",\"title\":\"多键\","
          "\"date\":\"2021-01-01\",\"hours\":1,\"evidence\":[\"syllabus\",\"progress\"]", f);
    for (int i = 0; i < 1100; i++)
        fprintf(f, ",\"备注%d\":\"v\"", i);
    fputs("}]}", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(xt_xueshi(dd, "ingest '%s'", p), 0);
    assert_int_equal(xt_xueshi(dd, "recompute"), 0);
    snprintf(p, sizeof p, "%s/last.err", dd);
    char *log = xt_slurp(p);
    assert_non_null(log);
    /* recompute's summary line: the record was read back and evaluated. */
    if (!strstr(log, " 1 activities evaluated"))
        fail_msg("recompute did not evaluate the record: %s", log);
    free(log);
}

static int count_records(void *ctx, const xs_record *r)
{
    ++*(int *)ctx;
    return 0;
}

/* The daemon checks a file with lstat before a lane opens it; a name
 * swapped meanwhile for a symlink (out of the inbox) or a FIFO (a read that
 * never returns) must be refused by the plugins themselves. The real
 * modules, loaded as the daemon loads them. */
static void test_plugins_refuse_swapped_in_specials(void **s)
{
    xt_tmpdir("swapped", dd, sizeof dd);
    const char *mods[] = {XS_TEST_PLUGIN_DIR "/xs_csv.so", XS_TEST_PLUGIN_DIR "/xs_json.so"};
    const char *exts[] = {"csv", "json"};
    for (int i = 0; i < 2; i++) {
        void *h = dlopen(mods[i], RTLD_NOW | RTLD_LOCAL);
        assert_non_null(h);
        const xs_plugin *pl = dlsym(h, XS_PLUGIN_SYMBOL);
        assert_non_null(pl);
        char fifo[4300], link[4300], err[512];
        snprintf(fifo, sizeof fifo, "%s/fifo.%s", dd, exts[i]);
        snprintf(link, sizeof link, "%s/link.%s", dd, exts[i]);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        assert_int_equal(symlink("/etc/passwd", link), 0);
        int n = 0;
        alarm(10); /* a plugin that blocks on the FIFO fails the test, not hangs it */
        assert_int_equal(pl->parse(fifo, count_records, &n, err, sizeof err), -1);
        alarm(0);
        assert_non_null(strstr(err, "不是普通文件"));
        assert_int_equal(pl->parse(link, count_records, &n, err, sizeof err), -1);
        assert_non_null(strstr(err, "符号链接"));
        assert_int_equal(n, 0);
        dlclose(h);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_json_corpus),
        cmocka_unit_test(test_replay_csv_corpus),
        cmocka_unit_test(test_replay_json_regressions),
        cmocka_unit_test(test_replay_csv_regressions),
        cmocka_unit_test(test_unreal_dates),
        cmocka_unit_test(test_cut_field_after_encoding_fault),
        cmocka_unit_test(test_many_fields_read_back),
        cmocka_unit_test(test_plugins_refuse_swapped_in_specials),
    };
    return cmocka_run_group_tests_name("fuzz corpus and findings", tests, NULL, NULL);
}
