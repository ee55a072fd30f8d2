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
 *     it begins a new database (with a warning when processed/ is not
 *     empty), or uses the one restored meanwhile.
 *   - xueshi.db damaged (SQLite reports SQLITE_CORRUPT or SQLITE_NOTADB
 *     while a lane works on a file): retrying cannot help and writing more
 *     could spread the damage, so the daemon stops, exit 1, the file stays
 *     in the inbox; it refuses to start on a damaged database.
 *   - the rules folder removed: a reload is refused ("the rules folder …
 *     is missing") and the loaded policies keep serving; the folder's
 *     parent is watched, so its return (or SIGHUP) reloads.
 */
#include <dirent.h>
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
#include <uv.h>
#include "daemon.h"
#include "datadir.h"
#include "plugins.h"
#include "fileops.h"
#include "inbox.h"
#include "lane.h"
#include "log.h"
#include "receipt.h"

typedef struct retry {
    char *name;
    int failures;
} retry;

typedef struct xsd xsd;

struct xsd {
    uv_loop_t loop;
    daemon_config cfg;
    datadir dd;
    inbox *ib;
    plugin_registry *plugins;
    gate g;
    lane *quick, *bulk;
    uv_async_t wake;
    pthread_mutex_t done_m;
    lane_job *done_head;
    int inotify_fd;
    uv_poll_t inotify_poll;
    uv_timer_t scan_timer, soon_timer, reload_timer;
    uv_signal_t sig[3];
    uv_fs_event_t rules_watch[3];
    int nwatch;
    int rules_on[3];            /* rules_watch[i] started, on this directory: */
    dev_t rules_dev[3];
    ino_t rules_ino[3];
    int inbox_wd, root_wd, rules_parent_wd; /* raw inotify watches */
    char rules_parent[1100], rules_base[256];
    struct {
        int present;
        dev_t dev;
        ino_t ino;
    } dbf[3];                   /* xueshi.db, -wal, -shm as the lanes opened them */
    int db_fault;               /* stopping: the database is gone or damaged */
    int stopping;
    int lock_fd;
    retry *retries;
    size_t nretries;
    int exit_code;
};

/* ---- the database file under our feet ---------------------------------- */

/* SQLITE_CORRUPT / SQLITE_NOTADB seen by this thread since the last look
 * (SQLite's error log is called on the thread that met the error). */
static __thread int sqlite_fault;

static void on_sqlite_log(void *ud, int code, const char *msg)
{
    int primary = code & 0xff;
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
        if (!sqlite_fault)
            sqlite_fault = code;
        log_debug("sqlite: %s (%d)", msg ? msg : "", code);
    }
}

static const char *const db_suffix[3] = {"", "-wal", "-shm"};

static void db_remember(xsd *d)
{
    for (int i = 0; i < 3; i++) {
        char path[2200];
        struct stat st;
        snprintf(path, sizeof path, "%s%s", d->dd.db, db_suffix[i]);
        d->dbf[i].present = lstat(path, &st) == 0;
        if (d->dbf[i].present) {
            d->dbf[i].dev = st.st_dev;
            d->dbf[i].ino = st.st_ino;
        }
    }
}

static void stop(xsd *d);

static void db_stop(xsd *d)
{
    d->db_fault = 1;
    d->exit_code = 1;
    stop(d);
}

/* 0 while xueshi.db (and, with all, its -wal and -shm, which exist as long
 * as the lanes hold their connections) are the files the lanes opened;
 * otherwise says so, stops the daemon and returns -1. */
static int check_db(xsd *d, int all)
{
    if (d->db_fault)
        return -1;
    for (int i = 0; i < (all ? 3 : 1); i++) {
        if (!d->dbf[i].present)
            continue;
        char path[2200];
        struct stat st;
        snprintf(path, sizeof path, "%s%s", d->dd.db, db_suffix[i]);
        int r = lstat(path, &st);
        if (r == 0 && st.st_dev == d->dbf[i].dev && st.st_ino == d->dbf[i].ino)
            continue;
        log_error("database file %s %s while running: stopping (what the open, unlinked file"
                  " gets from now on is lost with it); files not yet moved stay in the inbox."
                  " Restore a backup, or start again with --new-database to begin a new one",
                  path, r == 0 ? "replaced" : "removed");
        db_stop(d);
        return -1;
    }
    return 0;
}

static int dir_has_entries(const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return 0;
    struct dirent *e;
    int any = 0;
    while (!any && (e = readdir(dp)))
        any = e->d_name[0] != '.';
    closedir(dp);
    return any;
}

static double now_s(xsd *d)
{
    return uv_now(&d->loop) / 1000.0;
}

/* ---- results --------------------------------------------------------- */

static int *failures_of(xsd *d, const char *name)
{
    for (size_t i = 0; i < d->nretries; i++)
        if (!strcmp(d->retries[i].name, name))
            return &d->retries[i].failures;
    retry *r = realloc(d->retries, (d->nretries + 1) * sizeof *r);
    if (!r)
        return NULL;
    d->retries = r;
    if (!(r[d->nretries].name = strdup(name)))
        return NULL;
    r[d->nretries].failures = 0;
    return &r[d->nretries++].failures;
}

static void forget_failures(xsd *d, const char *name)
{
    for (size_t i = 0; i < d->nretries; i++)
        if (!strcmp(d->retries[i].name, name)) {
            free(d->retries[i].name);
            d->retries[i] = d->retries[--d->nretries];
            return;
        }
}

static void reject_file(xsd *d, const char *name, const char *why_zh, const char *sha)
{
    char shown[512], to[4200], err[512], path[4200];
    fileops_printable(name, shown, sizeof shown);
    if (fileops_move(d->dd.inbox, name, d->dd.rejected, 0, to, sizeof to, err, sizeof err) != 0) {
        log_error("%s: cannot move to rejected/: %s", shown, err);
        inbox_release(d->ib, name, 1, now_s(d) + d->cfg.retry_max);
        return;
    }
    snprintf(path, sizeof path, "%s.error.txt", to);
    char text[2048];
    snprintf(text, sizeof text, "%s\n", why_zh);
    if (fileops_write_atomic(path, text, err, sizeof err) != 0)
        log_error("%s: %s", shown, err);
    receipt_path(d->dd.outbox, name, path, sizeof path);
    if (receipt_write_error(path, name, sha, why_zh, err, sizeof err) != 0)
        log_error("%s: %s", shown, err);
    log_warn("%s: rejected: %s", shown, why_zh);
    inbox_release(d->ib, name, 0, 0);
    forget_failures(d, name);
}

static void schedule_scan(xsd *d, double delay_s);

static void finish_job(xsd *d, lane_job *j)
{
    char shown[512], to[4200], err[512];
    fileops_printable(j->name, shown, sizeof shown);
    const pipeline_summary *s = &j->sum;
    if (j->db_fault && !d->db_fault) {
        log_error("%s: database %s is damaged (SQLite %d: %s): stopping; the file stays in the"
                  " inbox. Restore the database from a backup (daemon stopped; remove its -wal"
                  " and -shm), then start again", shown, d->dd.db, j->db_fault,
                  sqlite3_errstr(j->db_fault));
        db_stop(d);
    }
    /* Committed, if at all, into a database that is gone or damaged: the
     * file stays, to be processed again by the next database. */
    if (d->db_fault || check_db(d, 0) != 0) {
        log_warn("%s: stays in the inbox (database fault)", shown);
        inbox_release(d->ib, j->name, 1, 0);
        forget_failures(d, j->name);
        return;
    }
    if (j->rc == PIPELINE_OK && s->receipt_failed) {
        /* Keep the file: the next run recognises the committed content and
         * only writes the receipt. */
        inbox_release(d->ib, j->name, 1, now_s(d) + 5);
        schedule_scan(d, 5);
    } else if (j->rc == PIPELINE_OK) {
        if (fileops_move(d->dd.inbox, j->name, d->dd.processed, 1, to, sizeof to, err, sizeof err) != 0) {
            /* Committed; the next scan finds it again and recognises it. */
            log_error("%s: committed, but cannot move to processed/: %s", shown, err);
            inbox_release(d->ib, j->name, 1, now_s(d) + 5);
            return;
        }
        if (s->duplicate)
            log_info("%s: duplicate of submission %lld, nothing added (%.0f ms)", shown,
                     s->submission_id, s->ms);
        else if (s->resumed_at > 0)
            log_info("%s: resumed after record %lld; %zu records, %zu credited, %zu pending,"
                     " %zu rejected, %.0f ms [%s lane]", shown, s->resumed_at, s->records,
                     s->credited, s->pending, s->rejected, s->ms, j->lane);
        else
            log_info("%s: %s%zu records, %zu credited, %zu pending, %zu rejected, %.0f ms [%s lane]",
                     shown, s->recovered ? "recovered after restart, " : "", s->records,
                     s->credited, s->pending, s->rejected, s->ms, j->lane);
        inbox_release(d->ib, j->name, 0, 0);
        forget_failures(d, j->name);
    } else if (j->rc == PIPELINE_UNREADABLE) {
        reject_file(d, j->name, s->error[0] ? s->error : "文件无法读取", s->sha256[0] ? s->sha256 : NULL);
    } else {
        int *f = failures_of(d, j->name);
        int n = f ? ++*f : 1;
        double wait = 1;
        for (int i = 1; i < n && wait < d->cfg.retry_max; i++)
            wait *= 2;
        if (wait > d->cfg.retry_max)
            wait = d->cfg.retry_max;
        const char *why = j->rc == STORE_BUSY ? "the database is locked by another process"
                          : j->rc == STORE_FULL ? "the disk or database is full"
                                                : "error";
        log_warn("%s: not committed (%s: %s); stays in the inbox, retry in %.0f s", shown, why,
                 j->err, wait);
        inbox_release(d->ib, j->name, 1, now_s(d) + wait);
        schedule_scan(d, wait);
    }
}

static void drain_done(xsd *d)
{
    pthread_mutex_lock(&d->done_m);
    lane_job *j = d->done_head;
    d->done_head = NULL;
    pthread_mutex_unlock(&d->done_m);
    /* The list is newest first; handle in order of completion. */
    lane_job *rev = NULL;
    while (j) {
        lane_job *n = j->next;
        j->next = rev;
        rev = j;
        j = n;
    }
    while (rev) {
        lane_job *n = rev->next;
        finish_job(d, rev);
        free(rev);
        rev = n;
    }
}

/* Runs on a lane's thread. */
static void on_lane_done(void *ud, lane *l, lane_job *job)
{
    xsd *d = ud;
    job->db_fault = sqlite_fault;
    sqlite_fault = 0;
    pthread_mutex_lock(&d->done_m);
    job->next = d->done_head;
    d->done_head = job;
    pthread_mutex_unlock(&d->done_m);
    uv_async_send(&d->wake);
}

/* ---- scanning -------------------------------------------------------- */

static void on_ready(void *ud, const char *name, inbox_verdict v, const char *reason)
{
    xsd *d = ud;
    if (v == INBOX_REFUSE) {
        reject_file(d, name, reason, NULL);
        return;
    }
    lane_job *j = calloc(1, sizeof *j);
    if (!j || strlen(name) >= sizeof j->name) {
        free(j);
        char shown[512];
        fileops_printable(name, shown, sizeof shown);
        if (j)
            reject_file(d, name, "文件名过长", NULL);
        else
            inbox_release(d->ib, name, 1, now_s(d) + 1);
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
    if (d->stopping || check_db(d, 1) != 0)
        return;
    int settling = inbox_scan(d->ib, now_s(d), on_ready, d);
    if (settling < 0)
        log_error("cannot read %s", d->dd.inbox);
    else if (settling > 0)
        schedule_scan(d, d->cfg.settle_seconds < 1 ? d->cfg.settle_seconds / 2 + 0.05 : 0.25);
}

static void on_soon(uv_timer_t *t)
{
    scan(t->data);
}

static void schedule_scan(xsd *d, double delay_s)
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
    drain_done(d);
    /* Retries are due later; a scan soon picks up what is ready again. */
    schedule_scan(d, 0.2);
}

static void rules_parent_changed(xsd *d);

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
    if (db && check_db(d, 1) != 0)
        return;
    if (rules && !d->stopping)
        rules_parent_changed(d);
    if (any)
        schedule_scan(d, 0);
}

/* ---- policies -------------------------------------------------------- */

static int load_policies(xsd *d, policy_set **a, policy_set **b, int check)
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

static void reload(xsd *d, const char *why)
{
    policy_set *a, *b;
    log_info("reloading policies from %s (%s)", d->cfg.rules, why);
    if (load_policies(d, &a, &b, 1) == 0) {
        lane_set_policies(d->quick, a);
        lane_set_policies(d->bulk, b);
        log_info("policies reloaded; they apply from the next file");
    }
    rules_rearm(d); /* the folder may have been replaced meanwhile */
}

static void on_reload_timer(uv_timer_t *t)
{
    reload(t->data, "rules folder changed");
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
static void rules_parent_changed(xsd *d)
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

static void watch_rules(xsd *d)
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

/* ---- lifecycle ------------------------------------------------------- */

static void close_cb(uv_handle_t *h)
{
}

static void stop(xsd *d)
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
    drain_done(d);
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
        reload(d, "SIGHUP");
        return;
    }
    log_info("received %s", signum == SIGTERM ? "SIGTERM" : "SIGINT");
    stop(d);
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
    if (sqlite3_config(SQLITE_CONFIG_LOG, on_sqlite_log, (void *)NULL) != SQLITE_OK)
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
    if (lstat(d->dd.db, &dbst) != 0 && errno == ENOENT && dir_has_entries(d->dd.processed)) {
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
    if (load_policies(d, &pa, &pb, 0) != 0)
        goto out;
    /* The schema is created or migrated once, here, before the lanes open
     * their own connections. */
    store *probe;
    sqlite_fault = 0;
    if (store_open(d->dd.db, 0, &probe, err, sizeof err) != STORE_OK) {
        if (sqlite_fault)
            log_error("database %s is damaged (SQLite %d: %s): not starting. Restore it from a"
                      " backup (remove its -wal and -shm), then start again", d->dd.db,
                      sqlite_fault, sqlite3_errstr(sqlite_fault));
        log_error("database %s: %s", d->dd.db, err);
        policy_set_free(pa);
        policy_set_free(pb);
        goto out;
    }
    store_close(probe);
    gate_init(&d->g);
    pthread_mutex_init(&d->done_m, NULL);
    d->quick = lane_start("quick", d->dd.inbox, d->dd.outbox, d->dd.db, pa, d->plugins, &d->g, 0, 0,
                          on_lane_done, d, err, sizeof err);
    d->bulk = d->quick ? lane_start("bulk", d->dd.inbox, d->dd.outbox, d->dd.db, pb, d->plugins,
                                    &d->g, cfg->slice_records, cfg->slice_ms, on_lane_done, d, err, sizeof err)
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
    watch_rules(d);
    db_remember(d);
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
