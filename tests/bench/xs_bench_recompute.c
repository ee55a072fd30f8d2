/*
 * xs_bench_recompute — `xueshi rules diff` and `xueshi recompute` over a
 * database of N stored activities (default 1,000,000): seconds and peak RSS.
 *
 *   xs_bench_recompute [--records N] [--dir TMP] [--jobs N] [--xueshi PATH]
 *                      [--rules DIR] [--plugins DIR] [--xs-bench PATH]
 *
 * The database is the one xs_bench makes (its generated CSV of a realistic
 * mix of kinds, ingested into TMP/data); it is made once and reused. The
 * change measured is a changed conversion number: a copy of the rules with
 * a day of attendance worth 12 instead of 10 in 2022.lua (which 2017–2021
 * copy), its tests adjusted. About 40% of the activities change (every
 * training and conference), the other 2022 ones get the new revision.
 * Each run works on a copy of TMP/data.
 *
 * Not a test: it asserts nothing and prints numbers for the README.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdarg.h>
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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs argv with stdout to out (NULL: /dev/null); wall seconds, peak RSS,
 * user+system CPU seconds. */
static double run(char *const argv[], const char *out, long *rss_kb, double *cpu_s)
{
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    struct rusage ru;
    wait4(pid, &st, 0, &ru);
    double t = now_s() - t0;
    *rss_kb = ru.ru_maxrss;
    *cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "xs_bench_recompute: %s %s exited with %d\n", argv[0], argv[1],
                WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        exit(1);
    }
    return t;
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0) {
        fprintf(stderr, "xs_bench_recompute: failed: %s\n", cmd);
        exit(1);
    }
}

static long long count_activities(const char *db)
{
    sqlite3 *h;
    long long n = -1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(h, "SELECT count(*) FROM activities", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return n;
}

/* A number from the totals of a JSON report ("changed":123). */
static long long json_total(const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(buf, "\"totals\":");
    p = p ? strstr(p, pat) : NULL;
    return p ? atoll(p + strlen(pat)) : -1;
}

int main(int argc, char **argv)
{
    long n = 1000000;
    const char *xs = XS_BENCH_BINARY, *rules = XS_BENCH_RULES, *plugins = XS_BENCH_PLUGINS;
    const char *xs_bench = XS_BENCH_INGEST, *dir = "/tmp/xs-bench", *jobs = NULL;
    static const struct option lo[] = {{"records", 1, 0, 'n'}, {"xueshi", 1, 0, 'x'}, {"rules", 1, 0, 'r'},
                                       {"plugins", 1, 0, 'p'}, {"dir", 1, 0, 'd'}, {"xs-bench", 1, 0, 'b'},
                                       {"jobs", 1, 0, 'j'}, {"help", 0, 0, 'h'}, {0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'n': n = atol(optarg); break;
        case 'x': xs = optarg; break;
        case 'r': rules = optarg; break;
        case 'p': plugins = optarg; break;
        case 'd': dir = optarg; break;
        case 'b': xs_bench = optarg; break;
        case 'j': jobs = optarg; break;
        default:
            printf("Usage: xs_bench_recompute [--records N] [--dir TMP] [--jobs N] [--xueshi PATH]\n"
                   "                          [--rules DIR] [--plugins DIR] [--xs-bench PATH]\n"
                   "Times `xueshi rules diff` and `xueshi recompute` over N stored activities\n"
                   "(the database xs_bench makes in TMP/data, made once), with a changed\n"
                   "conversion number (a day of attendance worth 12).\n");
            return c == 'h' ? 0 : 2;
        }
    }
    setenv("XUESHI_TODAY", "2026-11-28", 1);
    mkdir(dir, 0700);
    char data[4096], work[4200], next[4200], db[4300], report[4300];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(work, sizeof work, "%s/work", dir);
    snprintf(next, sizeof next, "%s/rules-next", dir);
    snprintf(db, sizeof db, "%s/xueshi.db", data);
    snprintf(report, sizeof report, "%s/recompute.json", dir);
    if (count_activities(db) != n) {
        fprintf(stderr, "making a database of %ld activities with xs_bench…\n", n);
        char nb[32];
        snprintf(nb, sizeof nb, "%ld", n);
        char *av[] = {(char *)xs_bench, "--records", nb, "--dir", (char *)dir, "--xueshi", (char *)xs,
                      "--rules", (char *)rules, "--plugins", (char *)plugins, NULL};
        long rss;
        double cpu;
        run(av, NULL, &rss, &cpu);
    }
    /* A database an older build made is migrated once, here, not inside a
     * measured run (`rules diff` opens it read-only and refuses an old
     * schema): a recompute of a year without activities does just that. */
    char *up[] = {(char *)xs, "recompute", "--year", "1900", "--quiet", "--data", data, "--rules",
                  (char *)rules, "--log-level", "warn", NULL};
    {
        long up_rss;
        double up_cpu;
        run(up, NULL, &up_rss, &up_cpu);
    }
    /* The change, and tests that pass with it (recompute refuses others). */
    sh("rm -rf '%s' && cp -r '%s' '%s' && sed -i 's/attendance = { day = 10,/attendance = { day = 12,/'"
       " '%s/2022.lua' && for f in '%s'/tests/*_test.lua; do"
       " printf 'test(\"a day is 12\", function() eq(policy(\"2022\").attendance.day, 12) end)\\n' > \"$f\"; done",
       next, rules, next, next, next);

    long rss[4];
    double t[4], cpu[4];
    const char *jobs_opt = jobs ? "--jobs" : NULL;

    /* rules diff, the full report (every change) to a file, then only the totals. */
    sh("rm -rf '%s' && cp -a '%s' '%s'", work, data, work);
    char *diff_full[] = {(char *)xs, "rules", "diff", next, "--data", work, "--rules", (char *)rules,
                         "--log-level", "warn", (char *)jobs_opt, (char *)jobs, NULL};
    char diff_out[4300];
    snprintf(diff_out, sizeof diff_out, "%s/diff.txt", dir);
    t[0] = run(diff_full, diff_out, &rss[0], &cpu[0]);
    char *diff_sum[] = {(char *)xs, "rules", "diff", next, "--summary", "--data", work, "--rules",
                        (char *)rules, "--log-level", "warn", (char *)jobs_opt, (char *)jobs, NULL};
    t[1] = run(diff_sum, NULL, &rss[1], &cpu[1]);
    /* recompute, on the same copy. */
    char *rc[] = {(char *)xs, "recompute", "--json", "--quiet", "--data", work, "--rules", next,
                  "--log-level", "warn", (char *)jobs_opt, (char *)jobs, NULL};
    t[2] = run(rc, report, &rss[2], &cpu[2]);
    long long changed = json_total(report, "changed"), rewritten = json_total(report, "rewritten");
    /* Applied: the same diff again finds nothing (and shows its cost then). */
    char *again[] = {(char *)xs, "rules", "diff", next, "--summary", "--data", work, "--rules", next,
                     "--log-level", "warn", (char *)jobs_opt, (char *)jobs, NULL};
    t[3] = run(again, NULL, &rss[3], &cpu[3]);

    printf("| stored activities | changed | rewritten | `rules diff` s (report) | `rules diff --summary` s"
           " | `recompute` s | peak RSS MB (diff / recompute) |\n");
    printf("|---:|---:|---:|---:|---:|---:|---:|\n");
    printf("| %ld | %lld | %lld | %.1f | %.1f | %.1f | %.0f / %.0f |\n", n, changed, rewritten, t[0], t[1],
           t[2], rss[0] / 1024.0, rss[2] / 1024.0);
    printf("\nCPU seconds (user+system, all threads): diff %.1f, diff --summary %.1f, recompute %.1f;"
           " diff after the recompute %.1f s (%.1f CPU)\n", cpu[0], cpu[1], cpu[2], t[3], cpu[3]);
    return 0;
}
