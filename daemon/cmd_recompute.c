/* xueshi recompute — re-evaluate the stored activities with the current
 * policies (--rules) and store the new outcomes in place. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "app.h"
#include "commands.h"
#include "log.h"
#include "cmd_recompute_opts.h"
#include "recompute.h"

static const char usage[] =
    "Usage: xueshi recompute [--year Y] [--details] [--json]\n"
    "Apply the current policies (--rules) to the stored activities: every live\n"
    "activity whose status came from a policy (credited, pending_materials,\n"
    "rejected by a policy) is evaluated again from its stored record. Its row stays\n"
    "(id, submission, identity); status, reason and credits are replaced in place,\n"
    "the replaced credits are kept in credit_history (reason 'recompute'), caps are\n"
    "applied again and person_years rewritten. Records the normaliser rejected stay.\n"
    "A transaction holds whole persons only, so readers never see a half-recomputed\n"
    "person; the daemon may keep running (it waits between batches).\n\n"
    "The policies' tests are run first, as the daemon's reload does: a failure\n"
    "refuses the recompute. Run `xueshi rules diff` before, to see what changes.\n"
    "Prints the same summary as `rules diff`.\n\n"
    "Options:\n" APP_OPTIONS_HELP
    "  --year Y          only activities of year Y (and the person-years they reach)\n"
    "  --details         also list every changed activity and compliance flip\n"
    "  --json            machine-readable output\n"
    "  --jobs N          evaluation threads (default: the CPUs)\n"
    "  --batch N         activities per transaction, whole persons (default 32768;\n"
    "                    1 = one person per transaction)\n"
    "  -q, --quiet       no progress line on a terminal\n\n"
    "Exit: 0 done, 1 failure (tests fail, database busy …; what was committed\n"
    "      before is consistent), 2 usage error.\n";

static void show_progress(void *ud, long long n)
{
    (void)ud;
    fprintf(stderr, "\r重新计算：%lld 项活动…", n);
    fflush(stderr);
}

static int tests_pass(const char *dir)
{
    int failed;
    char *report = NULL;
    int ok = recompute_tests_pass(dir, &failed, &report);
    if (!ok) {
        fprintf(stderr, "xueshi recompute: %s 的规则测试没有全部通过，拒绝重新计算：\n%s", dir,
                report ? report : "");
        log_error("recompute refused: the policies in %s fail %d tests", dir, failed);
    }
    free(report);
    return ok;
}

/* One recompute at a time per data directory. */
static int take_lock(const char *root)
{
    char path[2200];
    snprintf(path, sizeof path, "%s/.xueshi-recompute.lock", root);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int cmd_recompute(int argc, char **argv)
{
    enum { O_DETAILS = 1 };
    static const struct option longopts[] = {
        APP_LONG_OPTIONS,
        RECOMPUTE_LONG_OPTIONS,
        {"details", no_argument, NULL, O_DETAILS},
        {"quiet", no_argument, NULL, 'q'},
        {0}};
    app_opts o;
    app_opts_defaults(&o);
    recompute_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.write = 1;
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hq", longopts, NULL)) != -1) {
        int t = app_opts_take(&o, c, optarg);
        if (t == 0)
            t = recompute_opt_take(&ro, c, optarg, "recompute");
        if (t < 0) return EXIT_USAGE;
        if (t) continue;
        switch (c) {
        case 'h': fputs(usage, stdout); return EXIT_OK;
        case 'q': quiet = 1; break;
        case O_DETAILS: ro.details = 1; break;
        default: return app_usage_error("recompute", "unknown option");
        }
    }
    if (optind < argc)
        return app_usage_error("recompute", "no arguments expected");

    if (!tests_pass(o.rules))
        return EXIT_FAIL;
    app a;
    if (app_open(&a, &o, APP_DB_WRITE) != 0)
        return EXIT_FAIL;
    int lock = take_lock(a.dd.root);
    if (lock < 0) {
        log_error("another xueshi recompute is running on %s", a.dd.root);
        app_close(&a);
        return EXIT_FAIL;
    }
    ro.rules_dir = o.rules;
    ro.out = stdout;
    if (!quiet && isatty(STDERR_FILENO))
        ro.progress = show_progress;
    recompute_totals t;
    char err[2048];
    int rc = recompute_run(a.db, &ro, &t, err, sizeof err);
    if (ro.progress)
        fputs("\r\033[K", stderr);
    app_close(&a);
    close(lock);
    if (rc != 0) {
        log_error("recompute: %s", err);
        return EXIT_FAIL;
    }
    log_info("recompute with %s: %lld activities evaluated, %lld changed, %lld rewritten,"
             " %lld person-years changed (%.1f s)", o.rules, t.evaluated, t.changed, t.rewritten,
             t.years_changed, t.seconds);
    return EXIT_OK;
}
