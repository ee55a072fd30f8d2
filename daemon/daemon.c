/*
 * daemon — the event loop of `xueshi daemon` (libuv). The loop thread only
 * watches and decides; lanes do the work:
 *
 *   inotify (uv_poll) ──hint──▶ scan inbox/ ──ready──▶ quick or bulk lane
 *   timer (30 s)     ──────────▶ scan                     │ pipeline
 *   SIGHUP, rules/ changes ──▶ check + reload policies     ▼
 *   lane done (uv_async) ◀──────────────────────── committed / unreadable / retry
 *        └─▶ move to processed/ or rejected/, or back to the inbox with backoff
 *
 * inotify is read directly rather than through uv_fs_event because only the
 * raw event tells IN_MOVED_TO (a safe delivery by rename: take it now) from
 * IN_CREATE (maybe half-written: let it settle). Events are hints: a lost
 * one only delays a file until the next scan.
 *
 * Files under the daemon's feet:
 *   - xueshi.db (or its -wal/-shm) removed or replaced while running: the
 *     lanes' connections would go on committing into unlinked files, lost
 *     at exit. The data directory is watched for it (and the files checked
 *     at every scan and before a file leaves the inbox): the daemon stops,
 *     exit 1, and what was not moved yet stays in the inbox. Started again
 *     it uses the database restored meanwhile; it refuses to start without
 *     one while processed/ holds files, unless --new-database says to begin
 *     a new, empty one (daemon_db.c).
 *   - xueshi.db damaged (SQLite reports SQLITE_CORRUPT or SQLITE_NOTADB
 *     while a lane works on a file): retrying cannot help and writing more
 *     could spread the damage, so the daemon stops, exit 1, the file stays
 *     in the inbox; it refuses to start on a damaged database.
 *   - the rules folder removed: a reload is refused ("the rules folder …
 *     is missing") and the loaded policies keep serving; the folder's
 *     parent is watched, so its return (or SIGHUP) reloads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>
#include "daemon_priv.h"
#include "fileops.h"
#include "log.h"

double daemon__now(xsd *d)
{
    return uv_now(&d->loop) / 1000.0;
}

/* ---- scanning -------------------------------------------------------- */

static void on_ready(void *ud, const char *name, inbox_verdict v, const char *reason)
{
    xsd *d = ud;
    if (v == INBOX_REFUSE) {
        daemon__reject_file(d, name, reason, NULL);
        return;
    }
    lane_job *j = calloc(1, sizeof *j);
    if (!j || strlen(name) >= sizeof j->name) {
        free(j);
        char shown[512];
        fileops_printable(name, shown, sizeof shown);
        if (j)
            daemon__reject_file(d, name, "文件名过长", NULL);
        else
            inbox_release(d->ib, name, 1, daemon__now(d) + 1);
        return;
    }
    snprintf(j->name, sizeof j->name, "%s", name);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", d->dd.inbox, name);
    struct stat st;
    int big = lstat(path, &st) == 0 && st.st_size >= d->cfg.big_file_mb * 1024 * 1024;
    lane_push(big ? d->bulk : d->quick, j);
}

static void scan(xsd *d)
{
    if (d->stopping || daemon__check_db(d, 1) != 0)
        return;
    int settling = inbox_scan(d->ib, daemon__now(d), on_ready, d);
    if (settling < 0)
        log_error("cannot read %s", d->dd.inbox);
    else if (settling > 0)
        daemon__schedule_scan(d, d->cfg.settle_seconds < 1 ? d->cfg.settle_seconds / 2 + 0.05 : 0.25);
}

static void on_soon(uv_timer_t *t)
{
    scan(t->data);
}

void daemon__schedule_scan(xsd *d, double delay_s)
{
    if (d->stopping)
        return;
    uint64_t due = uv_now(&d->loop) + (uint64_t)(delay_s * 1000);
    if (uv_is_active((uv_handle_t *)&d->soon_timer) &&
        uv_timer_get_due_in(&d->soon_timer) + uv_now(&d->loop) <= due)
        return; /* an earlier scan is already coming */
    uv_timer_start(&d->soon_timer, on_soon, (uint64_t)(delay_s * 1000), 0);
}

static void on_scan_timer(uv_timer_t *t)
{
    scan(t->data);
}

static void on_wake(uv_async_t *a)
{
    xsd *d = a->data;
    daemon__drain_done(d);
    /* Retries are due later; a scan soon picks up what is ready again. */
    daemon__schedule_scan(d, 0.2);
}


static int is_db_name(const xsd *d, const char *name)
{
    const char *base = strrchr(d->dd.db, '/');
    base = base ? base + 1 : d->dd.db;
    size_t n = strlen(base);
    return strncmp(name, base, n) == 0 &&
           (!name[n] || !strcmp(name + n, "-wal") || !strcmp(name + n, "-shm"));
}

static void on_inotify(uv_poll_t *p, int status, int events)
{
    xsd *d = p->data;
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n;
    int any = 0, db = 0, rules = 0;
    while ((n = read(d->inotify_fd, buf, sizeof buf)) > 0) {
        for (char *ptr = buf; ptr < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)ptr;
            if (ev->wd == d->inbox_wd || ev->wd < 0) {
                if ((ev->mask & IN_MOVED_TO) && ev->len)
                    inbox_hint_renamed(d->ib, ev->name);
                any = 1;
            } else if (ev->len) {
                /* The data directory and the rules folder's parent (may be
                 * the same directory, the same watch). */
                if (ev->wd == d->root_wd && is_db_name(d, ev->name))
                    db = 1;
                if (ev->wd == d->rules_parent_wd && !strcmp(ev->name, d->rules_base))
                    rules = 1;
            }
            ptr += sizeof *ev + ev->len;
        }
    }
    if (db && daemon__check_db(d, 1) != 0)
        return;
    if (rules && !d->stopping)
        daemon__rules_parent_changed(d);
    if (any)
        daemon__schedule_scan(d, 0);
}

/* ---- lifecycle ------------------------------------------------------- */

static void close_cb(uv_handle_t *h)
{
}

void daemon__stop(xsd *d)
{
    if (d->stopping)
        return;
    d->stopping = 1;
    log_info("stopping: finishing the files in hand");
    uv_timer_stop(&d->scan_timer);
    uv_timer_stop(&d->soon_timer);
    uv_timer_stop(&d->reload_timer);
    lane_job *left;
    lane *ls[2] = {d->quick, d->bulk};
    for (int i = 0; i < 2; i++) {
        lane_stop(ls[i], &left);
        while (left) {
            lane_job *n = left->next;
            inbox_release(d->ib, left->name, 1, 0);
            free(left);
            left = n;
        }
    }
    d->quick = d->bulk = NULL;
    daemon__drain_done(d);
    uv_close((uv_handle_t *)&d->wake, close_cb);
    uv_close((uv_handle_t *)&d->scan_timer, close_cb);
    uv_close((uv_handle_t *)&d->soon_timer, close_cb);
    uv_close((uv_handle_t *)&d->reload_timer, close_cb);
    if (d->inotify_fd >= 0)
        uv_close((uv_handle_t *)&d->inotify_poll, close_cb);
    for (int i = 0; i < 3; i++)
        uv_close((uv_handle_t *)&d->sig[i], close_cb);
    for (int i = 0; i < d->nwatch; i++)
        uv_close((uv_handle_t *)&d->rules_watch[i], close_cb);
}

static void on_signal(uv_signal_t *s, int signum)
{
    xsd *d = s->data;
    if (signum == SIGHUP) {
        daemon__reload(d, "SIGHUP");
        return;
    }
    log_info("received %s", signum == SIGTERM ? "SIGTERM" : "SIGINT");
    daemon__stop(d);
}

int daemon_run(const daemon_config *cfg)
{
    xsd *d = calloc(1, sizeof *d);
    if (!d)
        return 1;
    d->cfg = *cfg;
    d->inotify_fd = -1;
    d->lock_fd = -1;
    d->inbox_wd = d->root_wd = d->rules_parent_wd = -1;
    char err[2048];
    int rc = 1;
    /* Before SQLite initialises (the first open): its error log tells a
     * damaged database from other errors. */
    if (sqlite3_config(SQLITE_CONFIG_LOG, daemon__sqlite_log, (void *)NULL) != SQLITE_OK)
        log_debug("SQLite error log not installed: a damaged database is retried like other errors");
    if (datadir_open(cfg->data, 1, &d->dd, err, sizeof err) != 0) {
        log_error("data directory: %s", err);
        goto out;
    }
    char lockpath[2200];
    snprintf(lockpath, sizeof lockpath, "%s/.xueshi-daemon.lock", d->dd.root);
    d->lock_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (d->lock_fd < 0 || flock(d->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        log_error("another xueshi daemon is running on %s", d->dd.root);
        goto out;
    }
    struct stat dbst;
    if (lstat(d->dd.db, &dbst) != 0 && errno == ENOENT && daemon__dir_has_entries(d->dd.processed)) {
        if (!cfg->new_database) {
            log_error("database %s does not exist, but %s holds processed files: not starting."
                      " Restore the database from a backup, or start with --new-database to begin"
                      " a new, empty one (then deliver those files again)",
                      d->dd.db, d->dd.processed);
            goto out;
        }
        log_warn("database %s does not exist: starting a new, empty one (--new-database). What"
                 " the files in %s added was in the database that is gone: deliver them again",
                 d->dd.db, d->dd.processed);
    }
    d->plugins = plugin_registry_new();
    int refused = plugin_registry_load_dir(d->plugins, cfg->plugins, err, sizeof err);
    if (refused)
        log_error("plugins: %s", err);
    if (plugin_registry_count(d->plugins) == 0) {
        log_error("no input plugin could be loaded from %s", cfg->plugins);
        goto out;
    }
    policy_set *pa, *pb;
    if (daemon__load_policies(d, &pa, &pb, 0) != 0)
        goto out;
    /* The schema is created or migrated once, here, before the lanes open
     * their own connections. */
    store *probe;
    daemon__sqlite_fault_take();
    if (store_open(d->dd.db, 0, &probe, err, sizeof err) != STORE_OK) {
        int fault = daemon__sqlite_fault_take();
        if (fault)
            log_error("database %s is damaged (SQLite %d: %s): not starting. Restore it from a"
                      " backup (remove its -wal and -shm), then start again", d->dd.db,
                      fault, sqlite3_errstr(fault));
        log_error("database %s: %s", d->dd.db, err);
        policy_set_free(pa);
        policy_set_free(pb);
        goto out;
    }
    store_close(probe);
    gate_init(&d->g);
    pthread_mutex_init(&d->done_m, NULL);
    d->quick = lane_start("quick", d->dd.inbox, d->dd.outbox, d->dd.db, pa, d->plugins, &d->g, 0, 0,
                          daemon__on_lane_done, d, err, sizeof err);
    d->bulk = d->quick ? lane_start("bulk", d->dd.inbox, d->dd.outbox, d->dd.db, pb, d->plugins,
                                    &d->g, cfg->slice_records, cfg->slice_ms, daemon__on_lane_done, d, err, sizeof err)
                       : NULL;
    if (!d->quick || !d->bulk) {
        log_error("cannot start: %s", err);
        lane_job *left;
        if (d->quick)
            lane_stop(d->quick, &left);
        else
            policy_set_free(pa);
        policy_set_free(pb);
        goto out_sync;
    }
    d->ib = inbox_new(d->dd.inbox, cfg->settle_seconds);

    uv_loop_init(&d->loop);
    d->loop.data = d;
    uv_async_init(&d->loop, &d->wake, on_wake);
    d->wake.data = d;
    uv_timer_init(&d->loop, &d->scan_timer);
    uv_timer_init(&d->loop, &d->soon_timer);
    uv_timer_init(&d->loop, &d->reload_timer);
    d->scan_timer.data = d->soon_timer.data = d->reload_timer.data = d;
    d->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (d->inotify_fd >= 0 &&
        (d->inbox_wd = inotify_add_watch(d->inotify_fd, d->dd.inbox,
                                         IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE | IN_MODIFY |
                                         IN_ATTRIB | IN_DONT_FOLLOW)) >= 0) {
        /* The data directory: xueshi.db removed or replaced. */
        d->root_wd = inotify_add_watch(d->inotify_fd, d->dd.root,
                                       IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                       IN_ONLYDIR | IN_MASK_ADD);
        uv_poll_init(&d->loop, &d->inotify_poll, d->inotify_fd);
        d->inotify_poll.data = d;
        uv_poll_start(&d->inotify_poll, UV_READABLE, on_inotify);
    } else {
        log_warn("inotify unavailable (%s): relying on scans every %.0f s", strerror(errno),
                 cfg->scan_interval);
        if (d->inotify_fd >= 0)
            close(d->inotify_fd);
        d->inotify_fd = -1;
    }
    int signums[3] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++) {
        uv_signal_init(&d->loop, &d->sig[i]);
        d->sig[i].data = d;
        uv_signal_start(&d->sig[i], on_signal, signums[i]);
    }
    daemon__watch_rules(d);
    daemon__db_remember(d);
    uint64_t every = (uint64_t)(cfg->scan_interval * 1000);
    uv_timer_start(&d->scan_timer, on_scan_timer, every, every);
    log_info("watching %s (settle %.1f s, scan every %.0f s)", d->dd.inbox, cfg->settle_seconds,
             cfg->scan_interval);
    scan(d);
    uv_run(&d->loop, UV_RUN_DEFAULT);
    if (d->inotify_fd >= 0)
        close(d->inotify_fd);
    rc = uv_loop_close(&d->loop) == 0 ? 0 : 1;
    if (rc)
        log_error("event loop did not close cleanly");
    inbox_free(d->ib);
    if (d->exit_code) {
        rc = d->exit_code;
        log_error("stopped after a database fault (exit %d)", rc);
    } else {
        log_info("stopped");
    }
out_sync:
    gate_destroy(&d->g);
    pthread_mutex_destroy(&d->done_m);
out:
    plugin_registry_free(d->plugins);
    if (d->lock_fd >= 0)
        close(d->lock_fd);
    for (size_t i = 0; i < d->nretries; i++)
        free(d->retries[i].name);
    free(d->retries);
    free(d);
    return rc;
}
