/*
 * app — what every command opens: the data directory, the results
 * database, the policies and the plugins, from the common flags
 * (--data, --rules, --plugins, --log-level), with defaults from the build
 * and the environment (XUESHI_DATA, XUESHI_RULES, XUESHI_PLUGINS).
 */
#ifndef XS_APP_H
#define XS_APP_H
#include <getopt.h>
#include "datadir.h"
#include "plugins.h"
#include "policy.h"
#include "store.h"

typedef struct app_opts {
    const char *data, *rules, *plugins;
} app_opts;

typedef struct app {
    app_opts o;
    datadir dd;
    store *db;
    policy_set *policies;
    plugin_registry *plugins;
} app;

enum app_need { APP_DB_READ = 1, APP_DB_WRITE = 2, APP_POLICIES = 4, APP_PLUGINS = 8 };

/* Exit codes of SPEC §8. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_NO = 3 };

/* The long options every command takes; values 1000+ are reserved for them. */
#define APP_LONG_OPTIONS                                   \
    {"data", required_argument, NULL, 1000},               \
    {"rules", required_argument, NULL, 1001},              \
    {"plugins", required_argument, NULL, 1002},            \
    {"log-level", required_argument, NULL, 1003},          \
    {"help", no_argument, NULL, 'h'}
#define APP_OPTIONS_HELP                                                        \
    "  --data DIR        data directory (default ./xueshi-data, or $XUESHI_DATA)\n" \
    "  --rules DIR       policy folder (default: the bundled rules/, or $XUESHI_RULES)\n" \
    "  --plugins DIR     input plugin folder (default: the built plugins)\n"   \
    "  --log-level L     error | warn | info | debug (default info)\n"         \
    "  -h, --help        this help\n"

void app_opts_defaults(app_opts *o);
/* Handles an option value >= 1000; returns 1 if it was a common one, -1 on
 * a bad value (message printed), 0 if not common. */
int app_opts_take(app_opts *o, int opt, const char *arg);
/* Opens what need asks for; prints the reason and returns -1 on failure. */
int app_open(app *a, const app_opts *o, int need);
void app_close(app *a);
/* A command name's usage error: prints msg and "see xueshi CMD --help". */
int app_usage_error(const char *cmd, const char *msg);

#endif
