/*
 * pipeline: one file through a fake input plugin, so that the reader
 * thread's failures can be placed exactly: a file that fails before any
 * slice is committed is rejected with nothing kept; one that fails after
 * slices were committed stays for a retry, which resumes after the last
 * committed slice, and every record ends up stored exactly once.
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
#include "pipeline.h"
#include "plugins.h"

#define RECORDS 1000

/* The fake plugin: RECORDS trainings of ten people; fails with -1 after
 * emitting fail_after records (0: never, -1: before the first). */
static long fail_after;

static int fake_parse(const char *path, xs_emit_fn emit, void *ctx, char *err, size_t errlen)
{
    (void)path;
    for (long i = 1; i <= RECORDS; i++) {
        if (fail_after == -1 || (fail_after > 0 && i > fail_after)) {
            snprintf(err, errlen, "文件 fake.fake：读取失败（模拟）");
            return -1;
        }
        char id[19], title[64], date[16];
        static const char *const ids[10] = {
            "430302198001011007", "430302198002021012", "430302198003031028",
            "430302198004041033", "430302198005051049", "430302198006061054",
            "43030219800707106X", "430302198008081075", "430302198009091080",
            "430302198010101098"};
        snprintf(id, sizeof id, "%s", ids[i % 10]);
        snprintf(title, sizeof title, "培训%ld", i);
        snprintf(date, sizeof date, "2022-%02ld-%02ld", 1 + i % 12, 1 + i % 28);
        xs_field f[] = {
            {"id", id}, {"name", "张三"}, {"kind", "training"}, {"subject", "professional"},
            {"title", title}, {"date", date}, {"days", "1"}, {"ref", title},
        };
        const char *ev[] = {"notice", "schedule", "sign_in"};
        xs_record r = {.index = (size_t)i, .line = (size_t)i + 1, .fields = f,
                       .nfields = sizeof f / sizeof *f, .evidence = ev, .nevidence = 3};
        int rc = emit(ctx, &r);
        if (rc)
            return rc;
    }
    return 0;
}

static const char *const fake_ext[] = {"fake", NULL};
static const xs_plugin FAKE = {
    .abi = XS_PLUGIN_ABI, .name = "fake", .description = "test records",
    .extensions = fake_ext, .parse = fake_parse,
};

typedef struct fixture {
    char dir[512], db[600], file[600];
    store *s;
    policy_set *ps;
    plugin_registry *reg;
    pipeline p;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s/pipeline-%ld", XS_TEST_TMP_DIR, (long)getpid());
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", f->dir, f->dir);
    if (system(cmd) != 0)
        return -1;
    snprintf(f->db, sizeof f->db, "%s/xueshi.db", f->dir);
    snprintf(f->file, sizeof f->file, "%s/batch.fake", f->dir);
    FILE *fp = fopen(f->file, "w"); /* hashed by the pipeline; parsed by the fake */
    fputs("fake records\n", fp);
    fclose(fp);
    char err[1024];
    if (store_open(f->db, 0, &f->s, err, sizeof err) != STORE_OK ||
        policy_set_load(XS_TEST_RULES_DIR, NULL, &f->ps, err, sizeof err) != 0) {
        fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    f->reg = plugin_registry_new();
    if (plugin_registry_add(f->reg, &FAKE, "test", err, sizeof err) != 0)
        return -1;
    pipeline_init(&f->p, f->s, f->ps, f->reg, NULL);
    f->p.slice_records = 100; /* as the daemon: committed in slices */
    fail_after = 0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_close(f->s);
    policy_set_free(f->ps);
    plugin_registry_free(f->reg);
    free(f);
    return 0;
}

static long long q(fixture *f, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(store_db(f->s), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void test_whole_file(void **state)
{
    fixture *f = *state;
    pipeline_summary sum;
    char err[1024];
    assert_int_equal(pipeline_process(&f->p, f->file, "batch.fake", &sum, err, sizeof err),
                     PIPELINE_OK);
    assert_int_equal(sum.records, RECORDS);
    assert_int_equal(q(f, "SELECT count(*) FROM activities"), RECORDS);
    assert_int_equal(q(f, "SELECT count(DISTINCT record_index) FROM activities"), RECORDS);
    assert_int_equal(q(f, "SELECT count(*) FROM credits"), RECORDS);
    assert_int_equal(q(f, "SELECT sum(hours) FROM credits"), 10 * RECORDS);
    assert_int_equal(q(f, "SELECT count(*) FROM person_years"), 10);
}

static void test_unreadable_from_the_start(void **state)
{
    fixture *f = *state;
    fail_after = -1;
    pipeline_summary sum;
    char err[1024];
    assert_int_equal(pipeline_process(&f->p, f->file, "batch.fake", &sum, err, sizeof err),
                     PIPELINE_UNREADABLE);
    assert_non_null(strstr(sum.error, "读取失败"));
    assert_int_equal(q(f, "SELECT count(*) FROM activities"), 0);
    assert_int_equal(q(f, "SELECT count(*) FROM submissions"), 0);
}

/* Failing after three slices: not rejected (the slices stay), retried;
 * the retry resumes after the last committed slice. */
static void test_failure_after_slices_is_retried(void **state)
{
    fixture *f = *state;
    fail_after = 350;
    pipeline_summary sum;
    char err[1024];
    int rc = pipeline_process(&f->p, f->file, "batch.fake", &sum, err, sizeof err);
    assert_int_not_equal(rc, PIPELINE_OK);
    assert_int_not_equal(rc, PIPELINE_UNREADABLE);
    assert_non_null(strstr(err, "retried later"));
    assert_non_null(strstr(err, "record 300 was committed"));
    assert_int_equal(q(f, "SELECT count(*) FROM activities"), 300);
    assert_int_equal(q(f, "SELECT progress FROM submissions WHERE status = 'processing'"), 300);

    fail_after = 0; /* the reading works again */
    assert_int_equal(pipeline_process(&f->p, f->file, "batch.fake", &sum, err, sizeof err),
                     PIPELINE_OK);
    assert_int_equal(sum.resumed_at, 300);
    assert_int_equal(q(f, "SELECT count(*) FROM submissions"), 1);
    assert_int_equal(q(f, "SELECT records FROM submissions WHERE status = 'processed'"), RECORDS);
    assert_int_equal(q(f, "SELECT count(*) FROM activities"), RECORDS);
    assert_int_equal(q(f, "SELECT count(DISTINCT record_index) FROM activities"), RECORDS);
    assert_int_equal(q(f, "SELECT sum(hours) FROM credits"), 10 * RECORDS);
}

/* Failing again after the resume: still nothing doubled. */
static void test_failure_after_resume(void **state)
{
    fixture *f = *state;
    pipeline_summary sum;
    char err[1024];
    fail_after = 250;
    assert_int_not_equal(pipeline_process(&f->p, f->file, "batch.fake", &sum, err, sizeof err),
                         PIPELINE_OK);
    fail_after = 720;
    int rc = pipeline_process(&f->p, f->file, "batch.fake", &sum, err, sizeof err);
    assert_int_not_equal(rc, PIPELINE_OK);
    assert_int_not_equal(rc, PIPELINE_UNREADABLE);
    assert_int_equal(q(f, "SELECT count(*) FROM activities"), 700);
    fail_after = 0;
    assert_int_equal(pipeline_process(&f->p, f->file, "batch.fake", &sum, err, sizeof err),
                     PIPELINE_OK);
    assert_int_equal(q(f, "SELECT count(*) FROM activities"), RECORDS);
    assert_int_equal(q(f, "SELECT count(DISTINCT record_index) FROM activities"), RECORDS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_whole_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_from_the_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_after_slices_is_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_after_resume, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
