/* xueshi rules check [DIR] — load every policy and run its tests. */
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

int cmd_rules(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs("Usage: xueshi rules check [DIR]\n"
              "  check   load every policy and run its tests (see 'xueshi rules check --help')\n",
              argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (!strcmp(argv[1], "check"))
        return rules_check(argc - 1, argv + 1);
    return app_usage_error("rules", "unknown subcommand");
}
