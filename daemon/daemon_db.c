/* daemon_db — xueshi.db under the daemon's feet: removed, replaced or damaged
 * while it runs (see daemon.c's header for what the daemon does then). */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include "daemon_priv.h"
#include "log.h"


/* SQLITE_CORRUPT / SQLITE_NOTADB seen by this thread since the last look
 * (SQLite's error log is called on the thread that met the error). */
static __thread int sqlite_fault;

int daemon__sqlite_fault_take(void)
{
    int f = sqlite_fault;
    sqlite_fault = 0;
    return f;
}

void daemon__sqlite_log(void *ud, int code, const char *msg)
{
    int primary = code & 0xff;
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
        if (!sqlite_fault)
            sqlite_fault = code;
        log_debug("sqlite: %s (%d)", msg ? msg : "", code);
    }
}

static const char *const db_suffix[3] = {"", "-wal", "-shm"};

void daemon__db_remember(xsd *d)
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


void daemon__db_stop(xsd *d)
{
    d->db_fault = 1;
    d->exit_code = 1;
    daemon__stop(d);
}

/* 0 while xueshi.db (and, with all, its -wal and -shm, which exist as long
 * as the lanes hold their connections) are the files the lanes opened;
 * otherwise says so, stops the daemon and returns -1. */
int daemon__check_db(xsd *d, int all)
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
        daemon__db_stop(d);
        return -1;
    }
    return 0;
}

int daemon__dir_has_entries(const char *dir)
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
