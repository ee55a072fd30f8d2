#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "xs_test.h"

void xt_tmpdir(const char *tag, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s-%d", XS_TEST_TMP_DIR, tag, (int)getpid());
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", out, out);
    if (system(cmd) != 0)
        abort();
}

static int status_of(int st)
{
    if (st == -1)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int xt_run(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return status_of(system(cmd));
}

int xt_xueshi(const char *dd, const char *args_fmt, ...)
{
    char args[6000];
    va_list ap;
    va_start(ap, args_fmt);
    vsnprintf(args, sizeof args, args_fmt, ap);
    va_end(ap);
    /* The first word of args is the command; common flags follow it. */
    const char *sp = strchr(args, ' ');
    int n = sp ? (int)(sp - args) : (int)strlen(args);
    return xt_run("XUESHI_TODAY=${XUESHI_TODAY:-2026-11-28} %s '%s' %.*s --data '%s' --rules '%s'"
                  " --plugins '%s'%s >'%s/last.out' 2>'%s/last.err'",
                  xt_wrapper(), XS_TEST_BINARY, n, args, dd, XS_TEST_RULES_DIR,
                  XS_TEST_PLUGIN_DIR, sp ? sp : "", dd, dd);
}

char *xt_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

void xt_write(const char *path, const char *content)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fputs(content, f);
    fclose(f);
}

void xt_copy(const char *from, const char *to)
{
    if (xt_run("cp '%s' '%s'", from, to) != 0)
        abort();
}

sqlite3 *xt_db(const char *dd)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/xueshi.db", dd);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        abort();
    return db;
}

static char *format_sql(const char *fmt, va_list ap)
{
    char *sql = NULL;
    if (vasprintf(&sql, fmt, ap) < 0)
        abort();
    return sql;
}

const char *xt_q(sqlite3 *db, const char *fmt, ...)
{
    static char out[4096];
    va_list ap;
    va_start(ap, fmt);
    char *sql = format_sql(fmt, ap);
    va_end(ap);
    sqlite3_stmt *st;
    out[0] = '\0';
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "SQL error: %s in %s\n", sqlite3_errmsg(db), sql);
        abort();
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        snprintf(out, sizeof out, "%s", t ? t : "NULL");
    }
    sqlite3_finalize(st);
    free(sql);
    return out;
}

long long xt_qi(sqlite3 *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = format_sql(fmt, ap);
    va_end(ap);
    const char *r = xt_q(db, "%s", sql);
    free(sql);
    return atoll(r);
}

char *xt_dump(sqlite3 *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = format_sql(fmt, ap);
    va_end(ap);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "SQL error: %s in %s\n", sqlite3_errmsg(db), sql);
        abort();
    }
    size_t cap = 1024, len = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const char *t = (const char *)sqlite3_column_text(st, i);
            size_t need = len + (t ? strlen(t) : 4) + 3;
            if (need > cap)
                out = realloc(out, cap = need * 2);
            len += (size_t)sprintf(out + len, "%s%s", i ? "|" : "", t ? t : "NULL");
        }
        if (len + 2 > cap)
            out = realloc(out, cap = cap * 2);
        out[len++] = '\n';
        out[len] = '\0';
    }
    sqlite3_finalize(st);
    free(sql);
    return out;
}

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>

/* Occurrences of needle in the file at path (0 when it cannot be read). */
static int count_in_file(const char *path, const char *needle)
{
    char *text = xt_slurp(path);
    int n = 0;
    for (const char *p = text; p && (p = strstr(p, needle)); p++)
        n++;
    free(text);
    return n;
}

double xt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

void xt_sleep(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

pid_t xt_daemon_start(const char *dd, const char *extra_fmt, ...)
{
    char extra[2048];
    va_list ap;
    va_start(ap, extra_fmt);
    vsnprintf(extra, sizeof extra, extra_fmt, ap);
    va_end(ap);
    char logpath[4200];
    snprintf(logpath, sizeof logpath, "%s/daemon.log", dd);
    int started_before = count_in_file(logpath, " watching ");
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "exec %s '%s' daemon --data '%s' --rules '%s' --plugins '%s' %s >/dev/null 2>>'%s/daemon.log'",
             xt_wrapper(), XS_TEST_BINARY, dd, XS_TEST_RULES_DIR, XS_TEST_PLUGIN_DIR, extra, dd);
    pid_t pid = fork();
    if (pid == 0) {
        /* A test that fails halfway must not leave its daemon behind. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        setenv("XUESHI_TODAY", "2026-11-28", 0);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    if (*xt_wrapper()) {
        /* Under valgrind a daemon takes many seconds to start, more than
         * the tests' own start-up waits allow: wait here until it watches
         * (or has died), so that their waits find it ready. */
        double end = xt_now() + 60 * xt_time_scale();
        while (count_in_file(logpath, " watching ") <= started_before && xt_alive(pid) &&
               xt_now() < end)
            xt_sleep(0.1);
    }
    return pid;
}

int xt_daemon_stop(pid_t pid, double timeout_s)
{
    kill(pid, SIGTERM);
    double end = xt_now() + timeout_s * xt_time_scale();
    int st;
    while (xt_now() < end) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return status_of(st);
        xt_sleep(0.02);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

static int count(const char *dir, int recursive)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (recursive)
                n += count(p, 1);
        } else {
            n++;
        }
    }
    closedir(d);
    return n;
}

int xt_count_files(const char *dir) { return count(dir, 0); }
int xt_count_tree(const char *dir) { return count(dir, 1); }

int xt_wait_count(int (*fn)(const char *), const char *arg, int want, double timeout_s)
{
    double end = xt_now() + timeout_s * xt_time_scale();
    int n;
    while ((n = fn(arg)) < want && xt_now() < end)
        xt_sleep(0.05);
    return n;
}

const char *xt_wrapper(void)
{
    const char *w = getenv("XUESHI_WRAPPER");
    return w ? w : "";
}

double xt_time_scale(void)
{
    const char *s = getenv("XS_TEST_TIME_SCALE");
    double v = s ? atof(s) : 1;
    return v >= 1 ? v : 1;
}

long xt_rss_limit_kb(long normal_kb)
{
    const char *s = getenv("XS_TEST_RSS_SCALE");
    double v = s ? atof(s) : 1;
    return v <= 0 ? 0 : (long)(normal_kb * v);
}

static long status_kb(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            kb = atol(line + kl + 1);
            break;
        }
    fclose(f);
    return kb;
}

long xt_peak_rss_kb(pid_t pid)
{
    return status_kb(pid, "VmHWM");
}

int xt_alive(pid_t pid)
{
    /* Read, not waited for: xt_daemon_stop still reaps it and gets its
     * status. A dead child is a zombie (Z) until then. */
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *rp = strrchr(buf, ')');
    return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}

int xt_wait_log(const char *dd, const char *needle, double timeout_s)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/daemon.log", dd);
    double end = xt_now() + timeout_s * xt_time_scale();
    for (;;) {
        char *log = xt_slurp(path);
        int found = log && strstr(log, needle);
        free(log);
        if (found)
            return 1;
        if (xt_now() >= end)
            return 0;
        xt_sleep(0.05);
    }
}

int xt_log_count(const char *dd, const char *needle)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/daemon.log", dd);
    return count_in_file(path, needle);
}

void xt_wait_log_n(const char *dd, const char *needle, int times, double timeout_s)
{
    double end = xt_now() + timeout_s * xt_time_scale();
    while (xt_log_count(dd, needle) < times && xt_now() < end)
        xt_sleep(0.05);
    int n = xt_log_count(dd, needle);
    if (n < times)
        fail_msg("daemon log said %d times (wanted %d): %s", n, times, needle);
}

void xt_deliver_training_2016(const char *stage_dir, const char *inbox_dir, const char *name,
                              int n)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"person\":{\"id\":\"430302198001011234\",\"name\":\"张三\"},\"activities\":[{\"ref\":\"t%d\","
             "\"kind\":\"training\",\"subject\":\"professional\",\"title\":\"培训%d\","
             "\"date\":\"2016-06-%02d\",\"days\":1,\"evidence\":[\"notice\",\"schedule\",\"sign_in\"]}]}",
             n, n, n);
    xt_deliver(stage_dir, inbox_dir, name, body, strlen(body));
}

void xt_deliver(const char *stage_dir, const char *inbox_dir, const char *name, const void *data,
                size_t n)
{
    /* Staged under a fixed name: the inbox name may be a hostile one. */
    char a[4400], b[4400];
    snprintf(a, sizeof a, "%s/.xt-deliver.tmp", stage_dir);
    snprintf(b, sizeof b, "%s/%s", inbox_dir, name);
    FILE *f = fopen(a, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename(a, b), 0);
}

void xt_deliver_copy(const char *stage_dir, const char *inbox_dir, const char *from,
                     const char *name)
{
    char *c = xt_slurp(from);
    assert_non_null(c);
    xt_deliver(stage_dir, inbox_dir, name, c, strlen(c));
    free(c);
}

const char *xt_training_outcome(const char *dd, int n)
{
    static char out[256];
    double end = xt_now() + 20 * xt_time_scale();
    do {
        sqlite3 *db = xt_db(dd);
        snprintf(out, sizeof out, "%s",
                 xt_q(db, "SELECT status || '|' || coalesce(reason_code, '') FROM activities"
                          " WHERE ref = 't%d'", n));
        sqlite3_close(db);
        if (out[0])
            return out;
        xt_sleep(0.05);
    } while (xt_now() < end);
    return out;
}
