/* daemon_rules — the policies of the daemon: loaded at start, checked and
 * reloaded on SIGHUP or a change under the rules folder, which is watched
 * even when it is removed and comes back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include "daemon_priv.h"
#include "log.h"


int daemon__load_policies(xsd *d, policy_set **a, policy_set **b, int check)
{
    char err[2048];
    const char *refused = check ? "policy reload refused, the old policies keep serving"
                                : "policies refused, not starting";
    struct stat st;
    int e = stat(d->cfg.rules, &st) != 0 ? errno : 0;
    if (e || !S_ISDIR(st.st_mode)) {
        log_error("%s: the rules folder %s is missing (%s)", refused, d->cfg.rules,
                  e ? strerror(e) : "not a folder");
        return -1;
    }
    if (check) {
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        int passed = 0, failed = 0;
        int rc = f ? policy_check_dir(d->cfg.rules, f, &passed, &failed) : -1;
        if (f)
            fclose(f);
        if (rc != 0 || failed) {
            log_error("policy reload refused, the old policies keep serving: %d tests failed in %s",
                      failed, d->cfg.rules);
            for (char *line = out ? strtok(out, "\n") : NULL; line; line = strtok(NULL, "\n"))
                log_error("  %s", line);
            free(out);
            return -1;
        }
        free(out);
    }
    if (policy_set_load(d->cfg.rules, NULL, a, err, sizeof err) != 0) {
        log_error("%s: %s", refused, err);
        return -1;
    }
    if (policy_set_load(d->cfg.rules, NULL, b, err, sizeof err) != 0) {
        policy_set_free(*a);
        log_error("%s: %s", refused, err);
        return -1;
    }
    for (size_t i = 0; i < policy_set_count(*a); i++) {
        const policy_info *pi = policy_set_info(*a, i);
        log_info("policy %s sha256=%s", pi->name, pi->sha256);
    }
    /* policy_revisions: which policy contents were in service from when. */
    if (store_record_revisions_at(d->dd.db, *a, check ? "reload" : "start", err, sizeof err) != STORE_OK)
        log_warn("policy revisions not recorded: %s", err);
    return 0;
}

static void rules_rearm(xsd *d);

void daemon__reload(xsd *d, const char *why)
{
    policy_set *a, *b;
    log_info("reloading policies from %s (%s)", d->cfg.rules, why);
    if (daemon__load_policies(d, &a, &b, 1) == 0) {
        lane_set_policies(d->quick, a);
        lane_set_policies(d->bulk, b);
        log_info("policies reloaded; they apply from the next file");
    }
    rules_rearm(d); /* the folder may have been replaced meanwhile */
}

static void on_reload_timer(uv_timer_t *t)
{
    daemon__reload(t->data, "rules folder changed");
}

static void on_rules_change(uv_fs_event_t *h, const char *filename, int events, int status)
{
    xsd *d = h->data;
    if (filename && (filename[0] == '.' || strstr(filename, "~") || strstr(filename, ".swp")))
        return; /* editor droppings */
    rules_rearm(d); /* lib/ or tests/ (re)created, or the folder gone */
    /* Editors write in several steps: wait until they are done. */
    uv_timer_start(&d->reload_timer, on_reload_timer, 500, 0);
}

/* The rules folder itself was created, removed or renamed in its parent. */
void daemon__rules_parent_changed(xsd *d)
{
    rules_rearm(d);
    uv_timer_start(&d->reload_timer, on_reload_timer, 500, 0);
}

/* Watch rules/, rules/lib/ and rules/tests/ as they are now: a watch on a
 * removed folder sees nothing of the one that replaces it. */
static void rules_rearm(xsd *d)
{
    const char *sub[] = {"", "/lib", "/tests"};
    for (int i = 0; i < d->nwatch; i++) {
        char path[2100];
        snprintf(path, sizeof path, "%s%s", d->cfg.rules, sub[i]);
        struct stat st;
        int there = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
        if (there && d->rules_on[i] && st.st_dev == d->rules_dev[i] && st.st_ino == d->rules_ino[i])
            continue;
        if (d->rules_on[i]) {
            uv_fs_event_stop(&d->rules_watch[i]);
            d->rules_on[i] = 0;
        }
        if (there && uv_fs_event_start(&d->rules_watch[i], on_rules_change, path, 0) == 0) {
            d->rules_on[i] = 1;
            d->rules_dev[i] = st.st_dev;
            d->rules_ino[i] = st.st_ino;
        }
    }
}

void daemon__watch_rules(xsd *d)
{
    for (int i = 0; i < 3; i++) {
        uv_fs_event_init(&d->loop, &d->rules_watch[i]);
        d->rules_watch[i].data = d;
    }
    d->nwatch = 3;
    rules_rearm(d);
    /* The parent, for the folder's own removal and return. */
    size_t n = strlen(d->cfg.rules);
    while (n > 1 && d->cfg.rules[n - 1] == '/')
        n--;
    const char *slash = NULL;
    for (size_t i = 0; i < n; i++)
        if (d->cfg.rules[i] == '/')
            slash = d->cfg.rules + i;
    size_t plen = slash ? (size_t)(slash - d->cfg.rules) : 0;
    const char *base = slash ? slash + 1 : d->cfg.rules;
    snprintf(d->rules_base, sizeof d->rules_base, "%.*s", (int)(n - (size_t)(base - d->cfg.rules)), base);
    if (!slash)
        snprintf(d->rules_parent, sizeof d->rules_parent, ".");
    else
        snprintf(d->rules_parent, sizeof d->rules_parent, "%.*s", plen ? (int)plen : 1, plen ? d->cfg.rules : "/");
    if (d->inotify_fd >= 0 && d->rules_base[0])
        d->rules_parent_wd = inotify_add_watch(d->inotify_fd, d->rules_parent,
                                               IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                               IN_ONLYDIR | IN_MASK_ADD);
}
