/* xueshi rules diff NEWDIR — what the policies in NEWDIR would change in the
 * stored results; writes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "app.h"
#include "commands.h"
#include "log.h"
#include "cmd_recompute_opts.h"
#include "recompute.h"

static const char usage[] =
    "Usage: xueshi rules diff NEWDIR [--year Y] [--json] [--summary]\n"
    "Evaluate the stored activities again with the policies in NEWDIR and show\n"
    "what would change, without writing anything (the database is opened read\n"
    "only). Re-evaluated are the live activities whose status came from a policy:\n"
    "credited, pending_materials, and rejected by a policy; records the normaliser\n"
    "rejected (invalid_id, a missing field …) stay as they are. Caps (e.g. a degree\n"
    "course once a year) and compliance are applied as the store applies them.\n\n"
    "Shown: per activity, status and hours before → after with both explanations;\n"
    "per person-year, compliance flips (JSON: every changed person-year); totals.\n"
    "NEWDIR's tests are run first: a failure is reported, the diff is still shown.\n\n"
    "Options:\n" APP_OPTIONS_HELP
    "  --year Y          only activities of year Y (and the person-years they reach)\n"
    "  --json            machine-readable output\n"
    "  --summary         only the totals\n"
    "  --jobs N          evaluation threads (default: the CPUs)\n"
    "  --batch N         activities read at a time (default 32768)\n\n"
    "Exit: 0 shown, 1 failure (NEWDIR does not load, no database), 2 usage error.\n";

static void show_progress(void *ud, long long n)
{
    (void)ud;
    fprintf(stderr, "\r%lld 项活动…", n);
    fflush(stderr);
}

/* NEWDIR's own tests, as `rules check` runs them; a failure is worth a
 * warning, not a refusal: seeing the diff helps fixing the tests. */
static void check_tests(const char *dir)
{
    int failed;
    if (!recompute_tests_pass(dir, &failed, NULL))
        fprintf(stderr,
                "注意：%s 的规则测试没有全部通过（%d 项失败），详见 xueshi rules check %s\n",
                dir, failed, dir);
}

int cmd_rules_diff(int argc, char **argv)
{
    enum { O_SUMMARY = 1 };
    static const struct option longopts[] = {
        APP_LONG_OPTIONS,
        RECOMPUTE_LONG_OPTIONS,
        {"summary", no_argument, NULL, O_SUMMARY},
        {0}};
    app_opts o;
    app_opts_defaults(&o);
    recompute_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.details = 1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int t = app_opts_take(&o, c, optarg);
        if (t == 0)
            t = recompute_opt_take(&ro, c, optarg, "rules diff");
        if (t < 0) return EXIT_USAGE;
        if (t) continue;
        switch (c) {
        case 'h': fputs(usage, stdout); return EXIT_OK;
        case O_SUMMARY: ro.details = 0; break;
        default: return app_usage_error("rules diff", "unknown option");
        }
    }
    if (optind >= argc)
        return app_usage_error("rules diff", "no NEWDIR given");
    if (optind + 1 < argc)
        return app_usage_error("rules diff", "only one NEWDIR");
    const char *newdir = argv[optind];

    check_tests(newdir);
    app a;
    if (app_open(&a, &o, APP_DB_READ) != 0)
        return EXIT_FAIL;
    ro.rules_dir = newdir;
    ro.compare_dir = o.rules;
    ro.out = stdout;
    if (isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO)) {
        ro.progress = show_progress;
    }
    recompute_totals t;
    char err[2048];
    int rc = recompute_run(a.db, &ro, &t, err, sizeof err);
    if (ro.progress)
        fputs("\r\033[K", stderr);
    app_close(&a);
    if (rc != 0) {
        log_error("rules diff: %s", err);
        return EXIT_FAIL;
    }
    log_info("rules diff %s: %lld activities evaluated, %lld would change, %lld person-years"
             " would change (%.1f s)", newdir, t.evaluated, t.changed, t.years_changed, t.seconds);
    return EXIT_OK;
}
