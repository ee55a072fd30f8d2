/* daemon_results — what happens to a file once its lane is done with it:
 * processed/, rejected/ with the reason, or back to the inbox for a retry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "daemon_priv.h"
#include "fileops.h"
#include "log.h"
#include "receipt.h"


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

void daemon__reject_file(xsd *d, const char *name, const char *why_zh, const char *sha)
{
    char shown[512], to[4200], err[512], path[4200];
    fileops_printable(name, shown, sizeof shown);
    if (fileops_move(d->dd.inbox, name, d->dd.rejected, 0, to, sizeof to, err, sizeof err) != 0) {
        log_error("%s: cannot move to rejected/: %s", shown, err);
        inbox_release(d->ib, name, 1, daemon__now(d) + d->cfg.retry_max);
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
        daemon__db_stop(d);
    }
    /* Committed, if at all, into a database that is gone or damaged: the
     * file stays, to be processed again by the next database. */
    if (d->db_fault || daemon__check_db(d, 0) != 0) {
        log_warn("%s: stays in the inbox (database fault)", shown);
        inbox_release(d->ib, j->name, 1, 0);
        forget_failures(d, j->name);
        return;
    }
    if (j->rc == PIPELINE_OK && s->receipt_failed) {
        /* Keep the file: the next run recognises the committed content and
         * only writes the receipt. */
        inbox_release(d->ib, j->name, 1, daemon__now(d) + 5);
        daemon__schedule_scan(d, 5);
    } else if (j->rc == PIPELINE_OK) {
        if (fileops_move(d->dd.inbox, j->name, d->dd.processed, 1, to, sizeof to, err, sizeof err) != 0) {
            /* Committed; the next scan finds it again and recognises it. */
            log_error("%s: committed, but cannot move to processed/: %s", shown, err);
            inbox_release(d->ib, j->name, 1, daemon__now(d) + 5);
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
        daemon__reject_file(d, j->name, s->error[0] ? s->error : "文件无法读取", s->sha256[0] ? s->sha256 : NULL);
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
        inbox_release(d->ib, j->name, 1, daemon__now(d) + wait);
        daemon__schedule_scan(d, wait);
    }
}

void daemon__drain_done(xsd *d)
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
void daemon__on_lane_done(void *ud, lane *l, lane_job *job)
{
    xsd *d = ud;
    job->db_fault = daemon__sqlite_fault_take();
    pthread_mutex_lock(&d->done_m);
    job->next = d->done_head;
    d->done_head = job;
    pthread_mutex_unlock(&d->done_m);
    uv_async_send(&d->wake);
}
