/* xueshi rules check [DIR] — load every policy and run its tests; and the
 * dispatch of the rules subcommands (diff: cmd_rules_diff.c, status:
 * cmd_rules_status.c). */
#include <stdio.h>
#include <string.h>
#include "app.h"
#include "commands.h"
#include "policy.h"

static const char usage[] =
    "Usage: xueshi rules check [DIR]\n"
    "Load every policy (DIR/YYYY.lua, default the --rules folder) in the same\n"
    "sandboxed Lua host the daemon uses and run its tests (DIR/tests/YYYY_test.lua).\n"
    "One line per policy: file, SHA-256, tests passed and failed; each failure\n"
    "with file and line.\n\n"
    "Options:\n" APP_OPTIONS_HELP
    "\nExit: 0 all policies load and pass, 1 any failure, 2 usage error.\n";

static int rules_check(int argc, char **argv)
{
    static const struct option longopts[] = {APP_LONG_OPTIONS, {0}};
    app_opts o;
    app_opts_defaults(&o);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int t = app_opts_take(&o, c, optarg);
        if (t < 0) return EXIT_USAGE;
        if (t) continue;
        if (c == 'h') { fputs(usage, stdout); return EXIT_OK; }
        return app_usage_error("rules check", "unknown option");
    }
    const char *dir = optind < argc ? argv[optind] : o.rules;
    int passed = 0, failed = 0;
    int rc = policy_check_dir(dir, stdout, &passed, &failed);
    printf("%d passed, %d failed\n", passed, failed);
    return rc == 0 && failed == 0 ? EXIT_OK : EXIT_FAIL;
}

static const char rules_usage[] =
    "Usage: xueshi rules check [DIR]\n"
    "       xueshi rules diff NEWDIR [--year Y] [--json] [--summary]\n"
    "       xueshi rules status [--json]\n"
    "  check   load every policy and run its tests\n"
    "  diff    what the policies in NEWDIR would change in the stored results (writes nothing)\n"
    "  status  the policy revisions of --rules and what this database knows of them\n"
    "'xueshi rules SUBCOMMAND --help' tells more.\n";

/* The common flags may come before the subcommand (`xueshi rules --data D
 * diff NEW`, as every other command takes them right after its name):
 * returns the index of the subcommand word, skipping them, or 0. */
static int subcommand_at(int argc, char **argv)
{
    static const char *const with_value[] = {"--data", "--rules", "--plugins", "--log-level"};
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-')
            return i;
        int takes = 0, inline_value = 0;
        for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++) {
            size_t n = strlen(with_value[k]);
            if (!strcmp(argv[i], with_value[k]))
                takes = 1;
            else if (!strncmp(argv[i], with_value[k], n) && argv[i][n] == '=')
                inline_value = 1;
        }
        if (inline_value)
            continue;
        if (!takes)
            return 0; /* --help, or not ours: usage */
        i++; /* its value */
    }
    return 0;
}

int cmd_rules(int argc, char **argv)
{
    int at = subcommand_at(argc, argv);
    if (at == 0) {
        int help = argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
        fputs(rules_usage, help ? stdout : stderr);
        return help ? EXIT_OK : EXIT_USAGE;
    }
    /* Subcommand first, then the flags that came before it, then the rest. */
    char *sub = argv[at];
    for (int i = at; i > 1; i--)
        argv[i] = argv[i - 1];
    argv[1] = sub;
    if (!strcmp(sub, "check"))
        return rules_check(argc - 1, argv + 1);
    if (!strcmp(sub, "diff"))
        return cmd_rules_diff(argc - 1, argv + 1);
    if (!strcmp(sub, "status"))
        return cmd_rules_status(argc - 1, argv + 1);
    return app_usage_error("rules", "unknown subcommand");
}
