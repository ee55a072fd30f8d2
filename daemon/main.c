/* xueshi — continuing-education credit hours, certified. */
#include <stdio.h>
#include <string.h>
#include <sqlite3.h>
#include "app.h"
#include "commands.h"

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *what;
} commands[] = {
    {"daemon", cmd_daemon, "watch the inbox until SIGTERM (SIGHUP reloads the policies)"},
    {"ingest", cmd_ingest, "process submission files once, without moving them"},
    {"report", cmd_report, "a person's years, credits and compliance"},
    {"verify", cmd_verify, "eligibility for a title evaluation (exit 3 if not)"},
    {"certify", cmd_certify, "issue and render a 学时认定单 (exit 3 if not eligible)"},
    {"publicity", cmd_publicity, "a unit's 公示名单 and the end of its 5-working-day period"},
    {"rules", cmd_rules, "the policies: check (run their tests), diff (what a change would do), status"},
    {"recompute", cmd_recompute, "re-evaluate the stored activities with the current policies"},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: xueshi COMMAND [options]\n\n"
               "xueshi (学时) turns continuing-education records into certified credit hours.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].what);
    fprintf(f, "\nEvery command takes --data DIR (default ./xueshi-data) and --rules DIR;\n"
               "'xueshi COMMAND --help' tells more. 'xueshi --version' prints the version.\n"
               "Exit codes: 0 success, 1 runtime failure, 2 usage error, 3 \"no\".\n");
}

int main(int argc, char **argv)
{
    /* Before SQLite initialises: no global memory statistics, which cost a
     * process-wide mutex on every allocation (nothing here reads them; each
     * connection is used by one thread at a time, SQLITE_OPEN_NOMUTEX). */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("xueshi %s (plugin ABI %d)\n", XS_VERSION, XS_PLUGIN_ABI);
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "xueshi: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
