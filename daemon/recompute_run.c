/*
 * The loop of `rules diff` and `recompute`. Three things overlap: the
 * workers evaluate batch k while the main thread reads batch k+1, and
 * writes batch k while the workers evaluate batch k+1.
 *
 *   diff:       BEGIN (one read snapshot for the whole run)
 *               read 0 │ read 1, eval 0 │ report 0, eval 1, read 2 │ … COMMIT
 *   recompute:  txn k = BEGIN IMMEDIATE; [batch k again if another writer
 *               committed since it was read]; read k+1; wait eval k;
 *               submit k+1; write k; caps + person_years; COMMIT
 *
 * A recompute transaction thus holds whole persons only, and the lock for
 * one batch's reading and writing, not for the whole run: the daemon's
 * lanes get their turn between batches.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "recompute_priv.h"

#define RC_DEFAULT_BATCH 32768

#define RC_MMAP_SIZE "4294967296"
/* BEGIN IMMEDIATE attempts, each waiting the store's busy timeout (5 s). */
#define RC_BUSY_TRIES 12

/* Compliance is a pure function of (year, totals) under one policy set,
 * and a recompute commit asks it for every person-year it rewrote: the
 * answers are remembered instead of calling into Lua each time (a large
 * database has far fewer distinct totals than person-years). */
#define RC_MEMO_SIZE 65536 /* a power of two */

typedef struct memo_entry {
    int used, year, whole_year, compliant;
    double pub, prof;
} memo_entry;

typedef struct compliance_memo {
    policy_set *set;
    memo_entry *slots;
    size_t n;
} compliance_memo;

static int compliance_cb(void *ud, int year, const policy_year_totals *t, int *compliant)
{
    compliance_memo *m = ud;
    unsigned long long h = (unsigned long long)year * 0x9E3779B97F4A7C15ull;
    long long pub = llround(t->public_hours * 16), prof = llround(t->professional_hours * 16);
    h ^= (unsigned long long)pub * 0xC2B2AE3D27D4EB4Full + (unsigned long long)prof * 0x165667B19E3779F9ull +
         (unsigned long long)(t->whole_year != 0);
    h ^= h >> 29;
    size_t i = (size_t)h & (RC_MEMO_SIZE - 1);
    for (size_t k = 0; m->slots && k < 8; k++, i = (i + 1) & (RC_MEMO_SIZE - 1)) {
        memo_entry *e = &m->slots[i];
        if (!e->used)
            break;
        if (e->year == year && e->pub == t->public_hours && e->prof == t->professional_hours &&
            e->whole_year == (t->whole_year != 0)) {
            *compliant = e->compliant;
            return 0;
        }
    }
    char err[256], *missing = NULL;
    int rc = policy_compliance(m->set, year, t, compliant, &missing, err, sizeof err);
    free(missing);
    if (rc != 0 || !m->slots)
        return rc;
    if (m->n >= RC_MEMO_SIZE / 2) { /* keep probing short: start over */
        memset(m->slots, 0, RC_MEMO_SIZE * sizeof *m->slots);
        m->n = 0;
        i = (size_t)h & (RC_MEMO_SIZE - 1);
    }
    while (m->slots[i].used)
        i = (i + 1) & (RC_MEMO_SIZE - 1);
    m->slots[i] = (memo_entry){1, year, t->whole_year != 0, *compliant, t->public_hours,
                               t->professional_hours};
    m->n++;
    return 0;
}

typedef struct run {
    const recompute_opts *o;
    store *db;
    int jobs;
    policy_set *sets[RC_MAX_JOBS + 1]; /* one per worker; [jobs] = the main thread's */
    rc_eval_ctx ev[RC_MAX_JOBS];
    char today[11];
    rc_pool *pool;
    rc_reader *reader;
    rc_report *report;
    rc_batch batches[2];
    compliance_memo memo;
    /* Where the main thread's time goes (log at debug level). */
    double t_read, t_wait, t_report, t_write, t_commit; /* CPU, but t_wait */
} run;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The main thread's CPU time: what the phases cost, whatever else runs. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

void recompute_today(char out[11])
{
    const char *fixed = getenv("XUESHI_TODAY");
    int y, m, d;
    if (fixed && record_parse_date(fixed, &y, &m, &d)) {
        snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
    } else {
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(out, 11, "%Y-%m-%d", &tm);
    }
}

static void work(void *ud, int worker, rc_batch *b, size_t i)
{
    run *r = ud;
    rc_eval_person(&r->ev[worker], b, worker, &b->persons[i]);
}

static int run_setup(run *r, char *err, size_t errlen)
{
    const recompute_opts *o = r->o;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    r->jobs = o->jobs > 0 ? o->jobs : (ncpu > 0 ? (int)ncpu : 1);
    if (r->jobs > RC_MAX_JOBS)
        r->jobs = RC_MAX_JOBS;
    if (o->today[0])
        snprintf(r->today, sizeof r->today, "%s", o->today);
    else
        recompute_today(r->today);
    int nsets = r->jobs + (o->write ? 1 : 0);
    for (int i = 0; i < nsets; i++) {
        char perr[1536];
        if (policy_set_load(o->rules_dir, NULL, &r->sets[i], perr, sizeof perr) != 0) {
            snprintf(err, errlen, "%s 中的规则无法加载：%s", o->rules_dir, perr);
            return -1;
        }
    }
    for (int i = 0; i < r->jobs; i++) {
        r->ev[i].set = r->sets[i];
        r->ev[i].year = o->year;
        r->ev[i].today = r->today;
        r->ev[i].payload = malloc(sizeof *r->ev[i].payload);
        r->ev[i].act = malloc(sizeof *r->ev[i].act);
        if (!r->ev[i].payload || !r->ev[i].act) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    if (o->write) {
        r->memo.set = r->sets[r->jobs];
        r->memo.slots = calloc(RC_MEMO_SIZE, sizeof *r->memo.slots); /* NULL: no memo */
    }
    if (o->write && store_record_revisions(r->db, r->sets[0], "recompute", err, errlen) != STORE_OK)
        return -1;
    /* Persons are read in the order of their first activity, but their
     * later activities, and everything keyed by person (person_years, the
     * indexes), are all over the file. Mapped, a page costs a pointer, not
     * a read() and a copy. (Only a size hint: where mmap is unavailable
     * SQLite reads as before.) */
    sqlite3_exec(store_db(r->db), "PRAGMA mmap_size = " RC_MMAP_SIZE, NULL, NULL, NULL);

    if (rc_reader_open(&r->reader, r->db, o->year, err, errlen) != 0 ||
        rc_report_start(&r->report, o, err, errlen) != 0 ||
        rc_pool_start(&r->pool, r->jobs, work, r, err, errlen) != 0)
        return -1;
    return 0;
}

static void run_free(run *r)
{
    rc_pool_stop(r->pool);
    rc_reader_close(r->reader);
    rc_report_free(r->report);
    for (int i = 0; i < 2; i++)
        rc_batch_free(&r->batches[i]);
    for (int i = 0; i < RC_MAX_JOBS; i++) {
        free(r->ev[i].payload);
        free(r->ev[i].act);
    }
    free(r->memo.slots);
    for (int i = 0; i < RC_MAX_JOBS + 1; i++)
        if (r->sets[i])
            policy_set_free(r->sets[i]);
}

static int has_year(const rc_outcome *o, int year)
{
    for (size_t i = 0; i < o->ncredits; i++)
        if (o->credits[i].year == year)
            return 1;
    return 0;
}

/* Does a replaced activity of p have (or had it) a credit in year? */
static int replaced_in(const rc_batch *b, const rc_person *p, int year)
{
    for (size_t i = 0; i < p->nacts; i++) {
        const rc_activity *a = &b->acts[p->first_act + i];
        if (a->rewrite == RC_REPLACE && (has_year(&a->before, year) || has_year(&a->after, year)))
            return 1;
    }
    return 0;
}

/* Store what batch b changes, in the open recompute transaction. */
static int write_batch(run *r, rc_batch *b, recompute_totals *t, char *err, size_t errlen)
{
    for (size_t i = 0; i < b->npersons; i++) {
        const rc_person *p = &b->persons[i];
        for (size_t j = 0; j < p->nacts; j++) {
            const rc_activity *a = &b->acts[p->first_act + j];
            if (a->rewrite == RC_KEEP)
                continue;
            int src = a->rewrite == RC_REPLACE
                          ? store_recompute_put(r->db, a->id, p->id, &a->res,
                                                a->before.status == a->after.status, err, errlen)
                          : store_recompute_revise(r->db, a->id, &a->res, err, errlen);
            if (src != STORE_OK)
                return -1;
            t->rewritten++;
        }
        /* A year whose credits were replaced is rewritten by the store
         * anyway; the others that change (a new requirement) are named. */
        for (size_t j = 0; j < p->ntouched; j++)
            if (p->years[j].changed && !replaced_in(b, p, p->years[j].year) &&
                store_recompute_touch(r->db, p->id, p->years[j].year, err, errlen) != STORE_OK)
                return -1;
    }
    double t0 = cpu_s();
    int rc = store_recompute_commit(r->db, compliance_cb, &r->memo, err, errlen);
    r->t_commit += cpu_s() - t0;
    return rc == STORE_OK ? 0 : -1;
}

static int read_txn(run *r, const char *sql, char *err, size_t errlen)
{
    if (sqlite3_exec(store_db(r->db), sql, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", sql, sqlite3_errmsg(store_db(r->db)));
        return -1;
    }
    return 0;
}

static int run_loop(run *r, recompute_totals *t, char *err, size_t errlen)
{
    const recompute_opts *o = r->o;
    const long max = o->batch > 0 ? o->batch : RC_DEFAULT_BATCH;
    rc_batch *cur = &r->batches[0], *next = &r->batches[1];
    int in_flight = 0, rc = -1;

    /* diff: one snapshot for the whole run. recompute: the first batch is
     * read in a read transaction that also starts the data_version watch. */
    if (read_txn(r, "BEGIN", err, errlen) != 0)
        return -1;
    if (o->write && store_changed_elsewhere(r->db) < 0) {
        snprintf(err, errlen, "读取数据库版本失败");
        goto out;
    }
    if (rc_read_batch(r->reader, cur, 1, 0, max, err, errlen) != 0)
        goto out;
    if (o->write && read_txn(r, "COMMIT", err, errlen) != 0)
        goto out;
    if (cur->npersons) {
        rc_pool_submit(r->pool, cur);
        in_flight = 1;
    }
    while (cur->npersons) {
        if (o->write) {
            /* The daemon's write transactions are short (a file, or a
             * slice of a big one): wait for them rather than give up. */
            int brc, tries = 0;
            while ((brc = store_recompute_begin(r->db, err, errlen)) == STORE_BUSY &&
                   ++tries < RC_BUSY_TRIES)
                log_warn("recompute: the database is busy, still waiting (%d)", tries);
            if (brc != STORE_OK)
                goto out;
            int ch = store_changed_elsewhere(r->db);
            if (ch < 0) {
                snprintf(err, errlen, "读取数据库版本失败");
                goto out_txn;
            }
            if (ch) {
                /* Another writer committed since cur was read: read the same
                 * persons again and evaluate them again, inside this
                 * transaction. */
                rc_pool_wait(r->pool);
                long long next_ord = cur->next_ord;
                if (rc_read_batch(r->reader, cur, cur->first_ord, cur->last_ord, max, err, errlen) != 0)
                    goto out_txn;
                cur->next_ord = next_ord;
                rc_pool_submit(r->pool, cur);
                t->redone++;
            }
        }
        double t1 = cpu_s();
        if (cur->next_ord) {
            if (rc_read_batch(r->reader, next, cur->next_ord, 0, max, err, errlen) != 0)
                goto out_txn;
        } else {
            rc_batch_clear(next);
        }
        double t2 = cpu_s(), w2 = now_s();
        rc_pool_wait(r->pool);
        in_flight = 0;
        double t3 = cpu_s();
        r->t_read += t2 - t1;
        r->t_wait += now_s() - w2;
        if (cur->failed) {
            snprintf(err, errlen, "重新评估失败：%s", cur->err);
            goto out_txn;
        }
        if (next->npersons) {
            rc_pool_submit(r->pool, next);
            in_flight = 1;
        }
        for (size_t i = 0; i < cur->npersons; i++)
            rc_report_person(r->report, cur, &cur->persons[i], t);
        double t4 = cpu_s();
        r->t_report += t4 - t3;
        if (o->write && write_batch(r, cur, t, err, errlen) != 0)
            goto out; /* the store rolled back */
        r->t_write += cpu_s() - t4;
        if (o->progress)
            o->progress(o->progress_ud, t->evaluated + t->kept);
        rc_batch *tmp = cur;
        cur = next;
        next = tmp;
    }
    rc = 0;
out_txn:
    if (rc != 0 && o->write)
        store_rollback(r->db);
out:
    if (in_flight)
        rc_pool_wait(r->pool);
    if (!o->write || rc != 0)
        sqlite3_exec(store_db(r->db), o->write ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
    return rc;
}

int recompute_run(store *db, const recompute_opts *opts, recompute_totals *totals,
                  char *err, size_t errlen)
{
    double t0 = now_s();
    memset(totals, 0, sizeof *totals);
    run *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->o = opts;
    r->db = db;
    int rc = run_setup(r, err, errlen);
    if (rc == 0) {
        rc_report_header(r->report, r->sets[0]);
        rc = run_loop(r, totals, err, errlen);
    }
    totals->seconds = now_s() - t0;
    log_debug("recompute: main thread CPU %.1f s: %.1f s reading, %.1f s reporting, %.1f s writing"
              " (%.1f s of it committing); %.1f s waiting for the evaluation", cpu_s(), r->t_read,
              r->t_report, r->t_write, r->t_commit, r->t_wait);
    if (rc == 0)
        rc_report_finish(r->report, totals);
    run_free(r);
    free(r);
    return rc;
}
