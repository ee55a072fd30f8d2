#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app.h"
#include "log.h"

void app_opts_defaults(app_opts *o)
{
    const char *e;
    o->data = (e = getenv("XUESHI_DATA")) && *e ? e : "./xueshi-data";
    o->rules = (e = getenv("XUESHI_RULES")) && *e ? e : XS_DEFAULT_RULES_DIR;
    o->plugins = (e = getenv("XUESHI_PLUGINS")) && *e ? e : XS_DEFAULT_PLUGIN_DIR;
}

int app_opts_take(app_opts *o, int opt, const char *arg)
{
    switch (opt) {
    case 1000: o->data = arg; return 1;
    case 1001: o->rules = arg; return 1;
    case 1002: o->plugins = arg; return 1;
    case 1003: {
        int l = log_level_parse(arg);
        if (l < 0) {
            fprintf(stderr, "xueshi: unknown log level '%s' (error, warn, info, debug)\n", arg);
            return -1;
        }
        log_set_level(l);
        return 1;
    }
    }
    return 0;
}

int app_usage_error(const char *cmd, const char *msg)
{
    fprintf(stderr, "xueshi %s: %s\nSee 'xueshi %s --help'.\n", cmd, msg, cmd);
    return EXIT_USAGE;
}

int app_open(app *a, const app_opts *o, int need)
{
    char err[1024];
    memset(a, 0, sizeof *a);
    a->o = *o;
    if (need & (APP_DB_READ | APP_DB_WRITE)) {
        if (datadir_open(o->data, (need & APP_DB_WRITE) != 0, &a->dd, err, sizeof err) != 0) {
            log_error("data directory: %s", err);
            return -1;
        }
        if (store_open(a->dd.db, (need & APP_DB_WRITE) ? STORE_BG_CHECKPOINT : STORE_READONLY, &a->db, err,
                       sizeof err) != STORE_OK) {
            log_error("database %s: %s", a->dd.db, err);
            return -1;
        }
    }
    if (need & APP_POLICIES) {
        if (policy_set_load(o->rules, NULL, &a->policies, err, sizeof err) != 0) {
            log_error("policies in %s refused: %s", o->rules, err);
            app_close(a);
            return -1;
        }
        for (size_t i = 0; i < policy_set_count(a->policies); i++) {
            const policy_info *pi = policy_set_info(a->policies, i);
            log_debug("policy %s sha256=%.12s", pi->name, pi->sha256);
        }
    }
    if (need & APP_PLUGINS) {
        a->plugins = plugin_registry_new();
        int refused = a->plugins ? plugin_registry_load_dir(a->plugins, o->plugins, err, sizeof err) : -1;
        if (refused != 0)
            log_error("plugins: %s", refused < 0 && !a->plugins ? "out of memory" : err);
        if (!a->plugins || plugin_registry_count(a->plugins) == 0) {
            log_error("no input plugin could be loaded from %s", o->plugins);
            app_close(a);
            return -1;
        }
    }
    return 0;
}

void app_close(app *a)
{
    if (a->db)
        store_close(a->db);
    if (a->policies)
        policy_set_free(a->policies);
    plugin_registry_free(a->plugins);
    memset(a, 0, sizeof *a);
}
