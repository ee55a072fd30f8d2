/*
 * xs_bench — measure `xueshi ingest` on a generated CSV batch: records per
 * second and peak RSS, beside this machine's raw SQLite insert rate (one
 * plain table, one transaction, no index) measured by the same program.
 *
 *   xs_bench [--records N] [--xueshi PATH] [--rules DIR] [--plugins DIR] [--dir TMP]
 *
 * Not a test: it asserts nothing and prints numbers for the README.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "bench_gen.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs argv, returns wall seconds; peak RSS of the child in *rss_kb. */
static double run(char *const argv[], long *rss_kb)
{
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", 1);
        dup2(null, 1);
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    struct rusage ru;
    wait4(pid, &st, 0, &ru);
    double t = now_s() - t0;
    *rss_kb = ru.ru_maxrss;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fprintf(stderr, "xs_bench: %s exited with %d\n", argv[0], WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return t;
}

/* The machine's ceiling for plain inserts: same row count, one txn. */
static double raw_sqlite(const char *dir, long n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/raw.db", dir);
    unlink(path);
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     "CREATE TABLE t(person TEXT, kind TEXT, date TEXT, title TEXT, hours REAL)", 0, 0, 0);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?,?,?,?,?)", -1, &st, NULL);
    double t0 = now_s();
    sqlite3_exec(db, "BEGIN", 0, 0, 0);
    char id[19], title[64];
    for (long i = 0; i < n; i++) {
        bench_make_id(i / 10, id);
        snprintf(title, sizeof title, "培训%ld", i);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, "training", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, "2022-05-10", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, title, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 5, 24);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_exec(db, "COMMIT", 0, 0, 0);
    double t = now_s() - t0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    unlink(path);
    return n / t;
}

int main(int argc, char **argv)
{
    long n = 1000000;
    const char *xs = XS_BENCH_BINARY, *rules = XS_BENCH_RULES, *plugins = XS_BENCH_PLUGINS;
    const char *dir = "/tmp/xs-bench";
    static const struct option lo[] = {{"records", 1, 0, 'n'}, {"xueshi", 1, 0, 'x'}, {"rules", 1, 0, 'r'},
                                       {"plugins", 1, 0, 'p'}, {"dir", 1, 0, 'd'}, {"help", 0, 0, 'h'}, {0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'n': n = atol(optarg); break;
        case 'x': xs = optarg; break;
        case 'r': rules = optarg; break;
        case 'p': plugins = optarg; break;
        case 'd': dir = optarg; break;
        default:
            printf("Usage: xs_bench [--records N] [--xueshi PATH] [--rules DIR] [--plugins DIR] [--dir TMP]\n"
                   "Generates N CSV records, ingests them with xueshi into an empty data directory,\n"
                   "and prints records/s and peak RSS beside the raw SQLite insert rate.\n");
            return c == 'h' ? 0 : 2;
        }
    }
    mkdir(dir, 0700);
    char csv[4096], data[4096], cmd[8300];
    snprintf(csv, sizeof csv, "%s/batch-%ld.csv", dir, n);
    snprintf(data, sizeof data, "%s/data", dir);
    struct stat st;
    if (stat(csv, &st) != 0) {
        fprintf(stderr, "generating %ld records into %s…\n", n, csv);
        bench_generate_csv(csv, n);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", data);
    if (system(cmd) != 0) return 1;
    setenv("XUESHI_TODAY", "2026-11-28", 1);
    char *av[] = {(char *)xs, "ingest", "--quiet", "--data", data, "--rules", (char *)rules,
                  "--plugins", (char *)plugins, "--log-level", "warn", csv, NULL};
    long rss;
    double t = run(av, &rss);
    double raw = raw_sqlite(dir, n);
    printf("| records | xueshi ingest records/s | seconds | peak RSS MB | raw SQLite inserts/s | ratio |\n");
    printf("|---:|---:|---:|---:|---:|---:|\n");
    printf("| %ld | %.0f | %.1f | %.1f | %.0f | %.1f%% |\n", n, n / t, t, rss / 1024.0, raw,
           100.0 * (n / t) / raw);
    return 0;
}
