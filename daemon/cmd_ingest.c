/* xueshi ingest FILE… — the daemon's pipeline, once, without moving files. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "app.h"
#include "commands.h"
#include "log.h"
#include "pipeline.h"

static const char usage[] =
    "Usage: xueshi ingest [options] FILE...\n"
    "Process submission files once through the daemon's pipeline: parse, evaluate\n"
    "with the policy of each record's year, commit to DIR/xueshi.db and write\n"
    "DIR/outbox/NAME.receipt.json. The files are not moved. A file whose content\n"
    "was already committed is recognised and adds nothing.\n\n"
    "Options:\n" APP_OPTIONS_HELP
    "  -q, --quiet       no progress line on a terminal\n\n"
    "Exit: 0 every file committed (records may still be rejected, see receipts),\n"
    "      1 a file could not be read or committed, 2 usage error.\n"
    "A database locked by another writer (the daemon) is waited for, up to ~10 minutes.\n";

static void show_progress(void *ud, size_t records)
{
    fprintf(stderr, "\r%s: %zu 条记录…", (const char *)ud, records);
    fflush(stderr);
}

int cmd_ingest(int argc, char **argv)
{
    static const struct option longopts[] = {APP_LONG_OPTIONS, {"quiet", no_argument, NULL, 'q'}, {0}};
    app_opts o;
    app_opts_defaults(&o);
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hq", longopts, NULL)) != -1) {
        int t = app_opts_take(&o, c, optarg);
        if (t < 0) return EXIT_USAGE;
        if (t) continue;
        if (c == 'h') { fputs(usage, stdout); return EXIT_OK; }
        if (c == 'q') { quiet = 1; continue; }
        return app_usage_error("ingest", "unknown option");
    }
    if (optind >= argc)
        return app_usage_error("ingest", "no FILE given");

    app a;
    if (app_open(&a, &o, APP_DB_WRITE | APP_POLICIES | APP_PLUGINS) != 0)
        return EXIT_FAIL;
    pipeline p;
    pipeline_init(&p, a.db, a.policies, a.plugins, a.dd.outbox);
    int tty = !quiet && isatty(STDERR_FILENO);
    const int busy_retries = 120; /* about ten minutes with the busy timeout */
    int failed = 0;
    for (int i = optind; i < argc; i++) {
        const char *path = argv[i];
        if (tty) {
            p.progress = show_progress;
            p.progress_ud = (void *)path;
        }
        pipeline_summary s;
        char err[1024] = "";
        int rc = pipeline_process(&p, path, path, &s, err, sizeof err);
        /* The daemon or another tool may hold the write lock longer than
         * the 5 s busy timeout: wait for it (bounded), as the daemon does. */
        for (int tries = 0; rc == STORE_BUSY && tries < busy_retries; tries++) {
            if (tries == 0)
                log_warn("%s: the database is locked by another process; waiting", path);
            sleep(1);
            err[0] = '\0';
            rc = pipeline_process(&p, path, path, &s, err, sizeof err);
        }
        if (tty)
            fputs("\r\033[K", stderr);
        if (rc == PIPELINE_OK && s.duplicate) {
            printf("%s: 内容与已提交的文件相同，未重复计入 (duplicate of submission %lld)\n", path,
                   s.submission_id);
        } else if (rc == PIPELINE_OK) {
            printf("%s: %zu 条记录：%zu 认定，%zu 待补材料，%zu 退回 (%.0f ms)\n", path, s.records,
                   s.credited, s.pending, s.rejected, s.ms);
            log_info("%s: %zu records, %zu credited, %zu pending, %zu rejected, %.0f ms", path,
                     s.records, s.credited, s.pending, s.rejected, s.ms);
        } else if (rc == PIPELINE_UNREADABLE) {
            printf("%s: 文件无法读取：%s\n", path, s.error);
            log_error("%s", err);
            failed = 1;
        } else {
            log_error("%s: not committed: %s", path, err);
            failed = 1;
        }
    }
    app_close(&a);
    return failed ? EXIT_FAIL : EXIT_OK;
}
