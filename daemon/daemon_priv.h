/*
 * daemon_priv — what the files of `xueshi daemon` share: its state and the
 * functions one part calls in another.
 *
 *   daemon.c          the loop: scanning, inotify, signals, start and stop
 *   daemon_results.c  a lane's outcome: processed/, rejected/ or a retry
 *   daemon_rules.c    loading, checking, reloading and watching the policies
 *   daemon_db.c       the database file under the daemon's feet
 */
#ifndef XS_DAEMON_PRIV_H
#define XS_DAEMON_PRIV_H
#include <pthread.h>
#include <sys/types.h>
#include <uv.h>
#include "daemon.h"
#include "datadir.h"
#include "inbox.h"
#include "lane.h"
#include "plugins.h"

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

/* daemon.c */
void daemon__stop(xsd *d);
void daemon__schedule_scan(xsd *d, double delay_s);
double daemon__now(xsd *d);

/* daemon_results.c */
void daemon__reject_file(xsd *d, const char *name, const char *why_zh, const char *sha);
void daemon__drain_done(xsd *d);
/* A lane's callback, on the lane's thread. */
void daemon__on_lane_done(void *ud, lane *l, lane_job *job);

/* daemon_rules.c */
/* Two policy sets (one per lane); check runs the policies' tests first
 * (a reload). 0, or -1 after logging why. */
int daemon__load_policies(xsd *d, policy_set **a, policy_set **b, int check);
void daemon__reload(xsd *d, const char *why);
void daemon__rules_parent_changed(xsd *d);
void daemon__watch_rules(xsd *d);

/* daemon_db.c */
/* SQLite's error log (SQLITE_CONFIG_LOG): notes a damaged database. */
void daemon__sqlite_log(void *ud, int code, const char *msg);
/* SQLITE_CORRUPT / SQLITE_NOTADB met by this thread since the last call, 0 if none. */
int daemon__sqlite_fault_take(void);
void daemon__db_remember(xsd *d);
void daemon__db_stop(xsd *d);
int daemon__check_db(xsd *d, int all);
int daemon__dir_has_entries(const char *dir);

#endif
