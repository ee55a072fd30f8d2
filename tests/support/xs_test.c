#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
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
    return xt_run("XUESHI_TODAY=${XUESHI_TODAY:-2026-11-28} '%s' %.*s --data '%s' --rules '%s'"
                  " --plugins '%s'%s >'%s/last.out' 2>'%s/last.err'",
                  XS_TEST_BINARY, n, args, dd, XS_TEST_RULES_DIR, XS_TEST_PLUGIN_DIR,
                  sp ? sp : "", dd, dd);
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
