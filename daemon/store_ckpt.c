/*
 * store_ckpt: WAL checkpoints on a thread of their own.
 *
 * SQLite checkpoints automatically inside the COMMIT that pushed the WAL
 * past 1000 pages: that copies every page the transaction wrote from the WAL
 * into the database file before COMMIT returns. For a 1M-record file that is
 * some 770 MB read and written again, two and a half seconds in which the
 * writer can do nothing else (issue #6), although the file's records are
 * already durable in the WAL (synchronous = FULL).
 *
 * With STORE_BG_CHECKPOINT the store turns that off and, after each commit
 * that leaves the WAL past the same 1000 pages, wakes a thread that runs a
 * PASSIVE checkpoint on a connection of its own. The committing thread goes
 * on at once: it writes the receipt, moves the file and takes the next one
 * while the pages are copied on the other core. PASSIVE never takes the
 * write lock and never waits, so the writer is never blocked by it; what it
 * cannot copy (a reader still on an older snapshot) the next one copies.
 * Whether or when a checkpoint runs changes nothing that is committed: the
 * WAL is part of the database, and SQLite recovers it after any crash.
 *
 * store_close stops the thread (letting a running checkpoint finish) before
 * the store's own connection closes, so that the last close still finds an
 * up-to-date database and removes the WAL as it always did.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "log.h"
#include "store_priv.h"

/* SQLite's own default for wal_autocheckpoint, in pages. */
#define STORE_CKPT_PAGES 1000
/* The checkpoint thread's nice value (0 is the process's). */
#define STORE_CKPT_NICE 10

struct store_ckpt {
    pthread_t th;
    pthread_mutex_t m;
    pthread_cond_t c;
    sqlite3 *db;        /* used by the thread only, once started */
    int wanted;         /* a commit asked for a checkpoint */
    int stopping;
    int busy;           /* a checkpoint is running */
    long long done;     /* checkpoints completed (tests, logs) */
    int warned;         /* one warning per store about failing checkpoints */
    int rearm;          /* the last checkpoint copied all (or failed): ask anew */
    int asked_at;       /* WAL frames at the last request */
};

static void *ckpt_main(void *arg)
{
    store_ckpt *k = arg;
    /* Below the threads that parse and store: when both cores are busy
     * (a large file, or the daemon's two lanes), the copy waits for an idle
     * moment rather than slowing them; it is never needed for
     * correctness. Linux's nice is per thread. */
#ifdef __linux__
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), STORE_CKPT_NICE);
#endif
    pthread_mutex_lock(&k->m);
    for (;;) {
        while (!k->wanted && !k->stopping)
            pthread_cond_wait(&k->c, &k->m);
        if (!k->wanted)
            break; /* stopping, nothing asked */
        k->wanted = 0;
        k->busy = 1;
        pthread_mutex_unlock(&k->m);
        int log_frames = 0, copied = 0;
        int rc = sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                           &log_frames, &copied);
        int prim = rc & 0xff;
        if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB) {
            /* The lanes meet it too at their next access and stop the
             * daemon (daemon_db.c); this says where it was seen first. */
            log_error("background checkpoint: the database is damaged: %s", sqlite3_errmsg(k->db));
        } else if (rc != SQLITE_OK && prim != SQLITE_BUSY && !k->warned) {
            /* A full disk or an I/O error: the WAL keeps the data, and
             * the next commit asks again. */
            k->warned = 1;
            log_warn("background checkpoint failed: %s (the WAL keeps the data; retried "
                     "after the next commit)", sqlite3_errmsg(k->db));
        } else if (rc == SQLITE_OK) {
            log_debug("checkpoint: %d of %d WAL frames in the database", copied, log_frames);
        }
        pthread_mutex_lock(&k->m);
        /* All copied: the WAL starts again from its beginning at the next
         * write, so the next request is measured from there; after a
         * failure, the next commit simply asks again. (Not after
         * BUSY or a partial copy, a reader still on an older snapshot:
         * asking at every small commit then kept a copy running beside a
         * large file and doubled the small files' worst latency; the WAL's
         * next 1000 pages, or the close, copy the rest.) */
        int all_copied = rc == SQLITE_OK && copied == log_frames;
        int failed = rc != SQLITE_OK && prim != SQLITE_BUSY;
        if (all_copied || failed)
            k->rearm = 1;
        k->busy = 0;
        k->done++;
        pthread_cond_broadcast(&k->c);
    }
    pthread_mutex_unlock(&k->m);
    return NULL;
}

/* sqlite3_wal_hook: called on the writer's thread after each commit with
 * the number of frames in the WAL, this commit's and everybody else's.
 * Asks again only once the WAL has grown by STORE_CKPT_PAGES since the last
 * request: while another connection's large file fills the WAL, each small
 * commit here would otherwise start a copy of all of it. */
static int ckpt_hook(void *ud, sqlite3 *db, const char *name, int frames)
{
    store_ckpt *k = ud;
    pthread_mutex_lock(&k->m);
    if (k->rearm || frames < k->asked_at) {
        k->asked_at = 0; /* a checkpoint ended, or the WAL was restarted */
        k->rearm = 0;
    }
    if (frames >= STORE_CKPT_PAGES && frames - k->asked_at >= STORE_CKPT_PAGES &&
        !k->wanted && !k->busy) {
        k->asked_at = frames;
        k->wanted = 1;
        pthread_cond_signal(&k->c);
    }
    pthread_mutex_unlock(&k->m);
    return SQLITE_OK;
}

int store__ckpt_start(store *s, const char *path, char *err, size_t errlen)
{
    store_ckpt *k = calloc(1, sizeof *k);
    if (!k) {
        store__seterr(err, errlen, "内存不足");
        return STORE_ERR;
    }
    int rc = sqlite3_open_v2(path, &k->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(k->db, 5000);
        /* A connection knows the database is in WAL mode only once it has
         * read it; until then a checkpoint does nothing. */
        rc = sqlite3_exec(k->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        store__seterr(err, errlen, "检查点连接无法打开数据库 %s：%s", path,
                      k->db ? sqlite3_errmsg(k->db) : sqlite3_errstr(rc));
        goto fail;
    }
    pthread_mutex_init(&k->m, NULL);
    pthread_cond_init(&k->c, NULL);
    if (pthread_create(&k->th, NULL, ckpt_main, k) != 0) {
        store__seterr(err, errlen, "无法启动检查点线程");
        pthread_mutex_destroy(&k->m);
        pthread_cond_destroy(&k->c);
        goto fail;
    }
    /* Replaces SQLite's own autocheckpoint hook (they are one slot). */
    sqlite3_wal_hook(s->db, ckpt_hook, k);
    s->ckpt = k;
    return STORE_OK;
fail:
    sqlite3_close_v2(k->db);
    free(k);
    return STORE_ERR;
}

void store__ckpt_stop(store *s)
{
    store_ckpt *k = s->ckpt;
    if (!k)
        return;
    sqlite3_wal_hook(s->db, NULL, NULL);
    pthread_mutex_lock(&k->m);
    k->stopping = 1;
    pthread_cond_signal(&k->c);
    pthread_mutex_unlock(&k->m);
    pthread_join(k->th, NULL);
    sqlite3_close_v2(k->db);
    pthread_mutex_destroy(&k->m);
    pthread_cond_destroy(&k->c);
    free(k);
    s->ckpt = NULL;
}

long long store_wal_checkpoint_wait(store *s)
{
    store_ckpt *k = s ? s->ckpt : NULL;
    if (!k)
        return -1;
    pthread_mutex_lock(&k->m);
    while (k->wanted || k->busy)
        pthread_cond_wait(&k->c, &k->m);
    long long n = k->done;
    pthread_mutex_unlock(&k->m);
    return n;
}
