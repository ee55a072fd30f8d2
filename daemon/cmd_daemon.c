/* xueshi daemon — watch the inbox until SIGTERM/SIGINT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app.h"
#include "commands.h"
#include "config.h"
#include "daemon.h"
#include "log.h"

static const char usage[] =
    "Usage: xueshi daemon [options]\n"
    "Watch DIR/inbox and process every file dropped there: renamed in, it is taken\n"
    "at once; copied in place, once its size and mtime have been stable for the\n"
    "settle time. Each file leaves the inbox only after its outcome is committed:\n"
    "to processed/YYYY-MM-DD/, or to rejected/ with NAME.error.txt when it cannot\n"
    "be read; DIR/outbox/NAME.receipt.json tells the outcome of every record.\n"
    "SIGTERM/SIGINT: finish the file in hand, exit 0. SIGHUP or a change under the\n"
    "rules folder: check and reload the policies (refused if any fails; the old\n"
    "ones keep serving).\n\n"
    "Options:\n" APP_OPTIONS_HELP
    "  --config FILE     key = value settings (see README); flags win over it\n"
    "  --settle S        seconds a copied-in file must be stable (default 2)\n"
    "  --scan-interval S full inbox scan period in seconds (default 30)\n"
    "  --big-file-mb M   files this large go to the bulk lane (default 4)\n"
    "  --slice-records N a big file commits every N records (default 20000)\n"
    "  --new-database    start even though xueshi.db is missing while processed/\n"
    "                    holds files (a lost database): begins a new, empty one.\n"
    "                    Without it the daemon refuses, so that a lost database is\n"
    "                    restored rather than silently replaced\n";

int cmd_daemon(int argc, char **argv)
{
    static const struct option longopts[] = {
        APP_LONG_OPTIONS,
        {"config", required_argument, NULL, 'c'},
        {"settle", required_argument, NULL, 's'},
        {"scan-interval", required_argument, NULL, 'i'},
        {"big-file-mb", required_argument, NULL, 'b'},
        {"slice-records", required_argument, NULL, 'r'},
        {"new-database", no_argument, NULL, 'N'},
        {0}};
    app_opts o;
    app_opts_defaults(&o);
    daemon_config cfg;
    config_defaults(&cfg);
    /* The config file first, so that flags given on the line win. */
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'c') {
            char err[1024];
            if (config_load(optarg, &cfg, err, sizeof err) != 0) {
                fprintf(stderr, "xueshi daemon: %s\n", err);
                return EXIT_USAGE;
            }
        }
    }
    if (cfg.data[0]) o.data = cfg.data;
    if (cfg.rules[0]) o.rules = cfg.rules;
    if (cfg.plugins[0]) o.plugins = cfg.plugins;
    if (cfg.log_level[0] && app_opts_take(&o, 1003, cfg.log_level) < 0)
        return EXIT_USAGE;
    optind = 1;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int t = app_opts_take(&o, c, optarg);
        if (t < 0) return EXIT_USAGE;
        if (t) continue;
        char *end = NULL;
        double v = optarg ? strtod(optarg, &end) : 0;
        int bad = optarg && (end == optarg || *end || v < 0);
        switch (c) {
        case 'h': fputs(usage, stdout); return EXIT_OK;
        case 'c': break;
        case 's': cfg.settle_seconds = v; break;
        case 'i': cfg.scan_interval = v; bad |= v < 0.1; break;
        case 'b': cfg.big_file_mb = v; break;
        case 'r': cfg.slice_records = (long)v; bad |= v < 1; break;
        case 'N': cfg.new_database = 1; break;
        default: return app_usage_error("daemon", "unknown option");
        }
        if (bad)
            return app_usage_error("daemon", "bad number");
    }
    if (optind < argc)
        return app_usage_error("daemon", "unexpected argument");
    snprintf(cfg.data, sizeof cfg.data, "%s", o.data);
    snprintf(cfg.rules, sizeof cfg.rules, "%s", o.rules);
    snprintf(cfg.plugins, sizeof cfg.plugins, "%s", o.plugins);
    return daemon_run(&cfg) == 0 ? EXIT_OK : EXIT_FAIL;
}
