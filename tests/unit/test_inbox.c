/* inbox: settle time, rename hints, ignored names, refusals, hand-out. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>
#include "inbox.h"
#include "xs_test.h"

typedef struct got {
    char names[16][64];
    int verdict[16];
    int n;
} got;

static void collect(void *ud, const char *name, inbox_verdict v, const char *reason)
{
    got *g = ud;
    if (g->n < 16) {
        snprintf(g->names[g->n], 64, "%s", name);
        g->verdict[g->n++] = v;
    }
    if (v == INBOX_REFUSE)
        assert_non_null(reason);
}

static char dir[4096];

static void put(const char *name, const char *text)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    xt_write(p, text);
}

static void test_settle_and_rename(void **s)
{
    xt_tmpdir("inbox-settle", dir, sizeof dir);
    inbox *ib = inbox_new(dir, 2.0);
    put("slow.csv", "a,b\n");
    got g = {0};
    assert_int_equal(inbox_scan(ib, 100.0, collect, &g), 1); /* settling */
    assert_int_equal(g.n, 0);
    put("slow.csv", "a,b\n1,2\n"); /* still being written */
    assert_int_equal(inbox_scan(ib, 101.5, collect, &g), 1);
    assert_int_equal(g.n, 0);
    assert_int_equal(inbox_scan(ib, 103.0, collect, &g), 1); /* 1.5 s stable: not yet */
    assert_int_equal(g.n, 0);
    assert_int_equal(inbox_scan(ib, 103.6, collect, &g), 0);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.names[0], "slow.csv");
    /* Taken: not offered again until released. */
    g.n = 0;
    inbox_scan(ib, 110.0, collect, &g);
    assert_int_equal(g.n, 0);
    inbox_release(ib, "slow.csv", 1, 120.0); /* retry later */
    inbox_scan(ib, 115.0, collect, &g);
    assert_int_equal(g.n, 0);
    inbox_scan(ib, 120.0, collect, &g);
    assert_int_equal(g.n, 1);

    /* Renamed in: taken at once. */
    char tmp[4200], dst[4200];
    snprintf(tmp, sizeof tmp, "%s/../inbox-settle-x.json", dir);
    xt_write(tmp, "{}");
    snprintf(dst, sizeof dst, "%s/fast.json", dir);
    assert_int_equal(rename(tmp, dst), 0);
    inbox_hint_renamed(ib, "fast.json");
    g.n = 0;
    inbox_scan(ib, 121.0, collect, &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.names[0], "fast.json");
    assert_int_equal(g.verdict[0], INBOX_READY);
    inbox_release(ib, "fast.json", 0, 0);
    inbox_free(ib);
}

static void test_ignored_and_refused(void **s)
{
    xt_tmpdir("inbox-refuse", dir, sizeof dir);
    inbox *ib = inbox_new(dir, 0.0);
    put(".hidden.csv", "x");
    put("upload.csv.tmp", "x");
    put("upload.csv.part", "x");
    put("real.csv", "x");
    char p[4200], q[4200];
    snprintf(p, sizeof p, "%s/passwd.csv", dir);
    assert_int_equal(symlink("/etc/passwd", p), 0);
    snprintf(p, sizeof p, "%s/pipe.csv", dir);
    assert_int_equal(mkfifo(p, 0600), 0);
    snprintf(p, sizeof p, "%s/real.csv", dir);
    snprintf(q, sizeof q, "%s/hardlink.csv", dir);
    assert_int_equal(link(p, q), 0);
    got g = {0};
    inbox_scan(ib, 1.0, collect, &g);
    int refused = 0, ready = 0;
    for (int i = 0; i < g.n; i++) {
        assert_true(strcmp(g.names[i], ".hidden.csv") && strcmp(g.names[i], "upload.csv.tmp") &&
                    strcmp(g.names[i], "upload.csv.part"));
        if (g.verdict[i] == INBOX_REFUSE) refused++;
        else ready++;
    }
    /* The symlink, the FIFO, and both names of the hard-linked file. */
    assert_int_equal(refused, 4);
    assert_int_equal(ready, 0);
    assert_false(inbox_name_eligible(".x"));
    assert_false(inbox_name_eligible("a.part"));
    assert_true(inbox_name_eligible("a.csv"));
    inbox_free(ib);
}

static void test_disappeared_and_order(void **s)
{
    xt_tmpdir("inbox-order", dir, sizeof dir);
    inbox *ib = inbox_new(dir, 0.0);
    put("b.csv", "x");
    put("a.csv", "x");
    char p[4200];
    snprintf(p, sizeof p, "%s/b.csv", dir);
    struct timespec old[2] = {{1000, 0}, {1000, 0}};
    assert_int_equal(utimensat(AT_FDCWD, p, old, 0), 0);
    got g = {0};
    inbox_scan(ib, 1.0, collect, &g);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.names[0], "b.csv"); /* oldest first */
    inbox_release(ib, "a.csv", 0, 0);
    inbox_release(ib, "b.csv", 0, 0);
    unlink(p);
    g.n = 0;
    inbox_scan(ib, 2.0, collect, &g); /* a.csv offered again: it is still there */
    assert_int_equal(g.n, 1);
    assert_string_equal(g.names[0], "a.csv");
    inbox_free(ib);
    inbox *gone = inbox_new("/nonexistent-inbox", 1);
    assert_int_equal(inbox_scan(gone, 1.0, collect, &g), -1);
    inbox_free(gone);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settle_and_rename),
        cmocka_unit_test(test_ignored_and_refused),
        cmocka_unit_test(test_disappeared_and_order),
    };
    return cmocka_run_group_tests_name("inbox", tests, NULL, NULL);
}
