#define _GNU_SOURCE /* pthread_setname_np */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "digest.h"
#include "log.h"
#include "pipeline.h"
#include "pipeline_queue.h"
#include "compliance_memo.h"
#include "receipt.h"
#include "record.h"

/* State of one file in progress. The reader thread (plugin parse, then
 * on_record: normalise and evaluate) fills batches; the calling thread, the
 * writer, stores them and commits slices (pipeline_queue.h says why). */
typedef struct run {
    pipeline *p;
    const xs_plugin *plug;
    const char *path;
    long long sid;
    pq q;
    /* Reader side. */
    activity act;      /* reused: one record in memory at a time */
    char payload[RECORD_ARENA * 2];
    pq_batch *fill;    /* the batch being filled */
    long long skip_upto; /* resuming: records up to this index are committed */
    int prc;           /* the plugin's verdict on the whole file */
    char perr[1024];
    int rd_rc;         /* reader failure (out of memory) */
    size_t rd_index;   /* the record it failed on */
    char rd_err[256];
    /* The policies' Lua states are used by the reader (evaluate) and by the
     * writer's commits (compliance): one at a time. */
    pthread_mutex_t lua;
    /* Writer side. */
    compliance_memo memo; /* zeroed by calloc: empty */
    size_t records;
    long in_slice;     /* records put since the last commit */
    double slice_start;/* when the current slice began (ms) */
    int rc;            /* first store error, stops the parse */
    long slices;       /* slices committed by this run */
    long long committed_upto; /* the last record index committed */
    char err[512];
} run;

static double now_ms(void);

static void lock(pipeline *p)
{
    if (p->lock)
        p->lock(p->lock_ud);
}

static void unlock(pipeline *p)
{
    if (p->unlock)
        p->unlock(p->lock_ud);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void pipeline_init(pipeline *p, store *db, policy_set *policies, const plugin_registry *plugins,
                   const char *outbox)
{
    memset(p, 0, sizeof *p);
    p->db = db;
    p->policies = policies;
    p->plugins = plugins;
    p->outbox = outbox;
    const char *fixed = getenv("XUESHI_TODAY");
    int y, m, d;
    if (fixed && record_parse_date(fixed, &y, &m, &d)) {
        snprintf(p->today, sizeof p->today, "%04d-%02d-%02d", y, m, d);
    } else {
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(p->today, sizeof p->today, "%Y-%m-%d", &tm);
    }
}

static const char *text_of(const activity *a, record_field f)
{
    return a->f[f].present ? a->f[f].text : NULL;
}

static int compliance_cb(void *ud, int year, const policy_year_totals *t, int *compliant)
{
    run *r = ud;
    if (compliance_memo_get(&r->memo, year, t, compliant)) {
        r->memo.hits++;
        return 0;
    }
    char err[256], *missing = NULL;
    pthread_mutex_lock(&r->lua);
    int rc = policy_compliance(r->p->policies, year, t, compliant, &missing, err, sizeof err);
    pthread_mutex_unlock(&r->lua);
    free(missing);
    if (rc == 0) {
        compliance_memo_put(&r->memo, year, t, *compliant);
        r->memo.misses++;
    }
    return rc;
}

/* --- reader thread ------------------------------------------------------- */

static int reader_fail(run *r, const char *what, size_t index)
{
    r->rd_rc = STORE_ERR;
    r->rd_index = index;
    snprintf(r->rd_err, sizeof r->rd_err, "out of memory %s it", what);
    return 1;
}

/* Copy text into the batch; 0 when out of memory. */
static int add_text(pq_batch *b, pq_item *it, enum pq_text k, const char *s)
{
    it->text[k] = pq_text_add(b, s);
    return !s || it->text[k] != PQ_NONE;
}

static int on_record(void *ud, const xs_record *raw)
{
    run *r = ud;
    if ((long long)raw->index <= r->skip_upto)
        return 0; /* committed by the run that died */
    if (pq_stopped(&r->q))
        return 1; /* the writer failed: evaluate no further (it waits for us) */
    if (!r->fill && !(r->fill = pq_take(&r->q)))
        return pq_stopped(&r->q) ? 1 : reader_fail(r, "queueing", raw->index);
    pq_batch *b = r->fill;
    pq_item *it = &b->items[b->n];
    memset(it, 0, sizeof *it);
    activity *a = &r->act;
    record_normalise(raw, r->p->today, a);

    policy_result *res = &it->res;
    if (a->reason_code) {
        res->status = PS_REJECTED;
        snprintf(res->reason_code, sizeof res->reason_code, "%s", a->reason_code);
        res->reason = strdup(a->reason);
    } else {
        pthread_mutex_lock(&r->lua);
        int erc = policy_evaluate(r->p->policies, a, res);
        pthread_mutex_unlock(&r->lua);
        if (erc != 0)
            return reader_fail(r, "evaluating", raw->index);
    }

    if (record_payload_write(raw, r->payload, sizeof r->payload) < 0)
        r->payload[0] = '\0'; /* too long to keep; rejected already by the arena limit */
    int valid_id = a->f[RF_ID].present && record_id_valid(a->f[RF_ID].text, NULL);
    const char *person = valid_id ? a->f[RF_ID].text : NULL;
    it->index = (long long)raw->index;
    it->year = a->year;
    it->has_identity = a->has_identity;
    int ok = add_text(b, it, PQ_PERSON_ID, person) &&
             add_text(b, it, PQ_NAME, text_of(a, RF_NAME)) &&
             add_text(b, it, PQ_UNIT, text_of(a, RF_UNIT)) &&
             add_text(b, it, PQ_TITLE_OF_PERSON, text_of(a, RF_PROFESSIONAL_TITLE)) &&
             add_text(b, it, PQ_EDUCATION, text_of(a, RF_EDUCATION)) &&
             add_text(b, it, PQ_REF, text_of(a, RF_REF)) &&
             add_text(b, it, PQ_KIND, text_of(a, RF_KIND)) &&
             add_text(b, it, PQ_SUBJECT, text_of(a, RF_SUBJECT)) &&
             add_text(b, it, PQ_TOPIC, text_of(a, RF_TOPIC)) &&
             add_text(b, it, PQ_TITLE, text_of(a, RF_TITLE)) &&
             add_text(b, it, PQ_DATE, text_of(a, RF_DATE)) &&
             add_text(b, it, PQ_PAYLOAD, r->payload);
    b->n++; /* counted even when incomplete: its result is freed with the batch */
    if (!ok)
        return reader_fail(r, "keeping", raw->index);
    if (res->status == PS_REJECTED && log_get_level() >= LOG_DEBUG) {
        char masked[19];
        record_id_mask(person ? person : "", masked);
        log_debug("record %zu (%s): %s", raw->index, masked, res->reason_code);
    }
    if (pq_item_done(b)) {
        pq_push(&r->q, b);
        r->fill = NULL;
    }
    return 0;
}

static void *reader_main(void *ud)
{
    run *r = ud;
    pthread_setname_np(pthread_self(), "xueshi-reader"); /* for top -H and perf */
    r->prc = r->plug->parse(r->path, on_record, r, r->perr, sizeof r->perr);
    if (r->fill) {
        if (r->rd_rc == STORE_OK)
            pq_push(&r->q, r->fill);
        else
            pq_recycle(&r->q, r->fill); /* a failed ingest stores nothing */
        r->fill = NULL;
    }
    pq_finish(&r->q);
    return NULL;
}

static run *run_new(pipeline *p, const xs_plugin *plug, const char *path)
{
    run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    if (pq_init(&r->q) != 0) {
        free(r);
        return NULL;
    }
    if (pthread_mutex_init(&r->lua, NULL) != 0) {
        pq_destroy(&r->q);
        free(r);
        return NULL;
    }
    r->p = p;
    r->plug = plug;
    r->path = path;
    return r;
}

static void run_free(run *r)
{
    pq_destroy(&r->q);
    pthread_mutex_destroy(&r->lua);
    free(r);
}

/* --- writer (the calling thread) ----------------------------------------- */

/* Commit what this slice put, with the progress mark, then open the next
 * transaction; in between, a waiting writer may go first. */
static int next_slice(run *r, long long last_index)
{
    pipeline *p = r->p;
    int rc = store_checkpoint(p->db, r->sid, last_index, compliance_cb, r, r->err,
                              sizeof r->err);
    if (rc == STORE_OK) {
        r->slices++;
        r->committed_upto = last_index;
        unlock(p); /* a waiting writer goes first */
        lock(p);
        rc = store_resume(p->db, r->sid, r->err, sizeof r->err);
    }
    r->in_slice = 0;
    r->slice_start = now_ms();
    if (rc != STORE_OK) {
        r->rc = rc;
        return 1;
    }
    return 0;
}

static int store_item(run *r, const pq_batch *b, const pq_item *it)
{
    store_activity sa;
    pq_item_activity(b, it, &sa);
    long long aid;
    int rc = store_put(r->p->db, r->sid, &sa, &it->res, &aid, r->err, sizeof r->err);
    if (rc != STORE_OK) {
        r->rc = rc;
        return 1;
    }
    r->records++;
    if (r->p->progress && r->records % 4096 == 0)
        r->p->progress(r->p->progress_ud, r->records);
    if (r->p->slice_records > 0 &&
        (++r->in_slice >= r->p->slice_records ||
         (r->p->slice_ms > 0 && (r->in_slice & 255) == 0 && now_ms() - r->slice_start >= r->p->slice_ms)))
        return next_slice(r, it->index);
    return 0;
}

/* Parse on a reader thread while this thread stores what it evaluated.
 * Returns when the reader is done; r->rc, r->rd_rc and r->prc say how. */
static int parse_and_store(run *r)
{
    pthread_attr_t attr;
    pthread_t th;
    if (pthread_attr_init(&attr) != 0)
        return -1;
    /* Parsers and Lua recurse; as much stack as a main thread has. */
    pthread_attr_setstacksize(&attr, 16u << 20);
    int prc = pthread_create(&th, &attr, reader_main, r);
    pthread_attr_destroy(&attr);
    if (prc != 0)
        return -1;
    pq_batch *b;
    while ((b = pq_pop(&r->q)) != NULL) {
        for (size_t i = 0; i < b->n && r->rc == STORE_OK; i++)
            if (store_item(r, b, &b->items[i]))
                pq_stop(&r->q); /* the reader stops at its next record */
        pq_recycle(&r->q, b);
    }
    pthread_join(th, NULL);
    return 0;
}

static void fill_counts(store *db, pipeline_summary *sum)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store_db(db),
                           "SELECT records, credited, pending, rejected FROM submissions"
                           " WHERE submission_id = ?", -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(st, 1, sum->submission_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        sum->records = (size_t)sqlite3_column_int64(st, 0);
        sum->credited = (size_t)sqlite3_column_int64(st, 1);
        sum->pending = (size_t)sqlite3_column_int64(st, 2);
        sum->rejected = (size_t)sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
}

/* Was submission id committed under this file name? */
static int committed_as(store *db, long long id, const char *name)
{
    sqlite3_stmt *st;
    int same = 0;
    if (sqlite3_prepare_v2(store_db(db), "SELECT file_name = ?2 FROM submissions WHERE submission_id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        same = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return same;
}

/* The outcome is committed, only its receipt is missing (a full disk): the
 * caller keeps the file and runs it again later, which the duplicate check
 * turns into "write the receipt of the committed submission". */
static void receipt_failed(pipeline_summary *sum, const char *name, const char *why)
{
    sum->receipt_failed = 1;
    snprintf(sum->error, sizeof sum->error, "%s", why);
    log_warn("%s: committed, but the receipt could not be written: %s", name, why);
}

/* NUL bytes in the first 64 KiB of something that is not UTF-16 (which the
 * plugins explain better): binary, whatever its name says. */
static int looks_binary(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0; /* digest_file reports why */
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 0; /* not a regular file: digest_file refuses it */
    }
    static __thread unsigned char head[65536];
    ssize_t n = read(fd, head, sizeof head);
    close(fd);
    if (n >= 2 && ((head[0] == 0xFF && head[1] == 0xFE) || (head[0] == 0xFE && head[1] == 0xFF)))
        return 0;
    /* UTF-16 without a BOM: NULs on one parity only (ASCII text's high or
     * low bytes). Also the plugin's to explain. */
    size_t zeros[2] = {0, 0}, m = n > 512 ? 512 : (n > 0 ? (size_t)n : 0);
    for (size_t i = 0; i < m; i++)
        zeros[i & 1] += head[i] == 0;
    if (m >= 8 && ((zeros[0] == 0 && zeros[1] * 4 > m / 2) || (zeros[1] == 0 && zeros[0] * 4 > m / 2)))
        return 0;
    return n > 0 && memchr(head, 0, (size_t)n) != NULL;
}

static void base_name(const char *name, char *out, size_t n)
{
    const char *s = strrchr(name, '/');
    snprintf(out, n, "%s", s ? s + 1 : name);
}

int pipeline_process(pipeline *p, const char *path, const char *name, pipeline_summary *sum,
                     char *err, size_t errlen)
{
    double t0 = now_ms();
    memset(sum, 0, sizeof *sum);
    char bname[512], rpath[4096], rerr[256];
    base_name(name, bname, sizeof bname);
    if (p->outbox)
        receipt_path(p->outbox, bname, rpath, sizeof rpath);

    if (looks_binary(path)) {
        /* Before hashing: a 2 GB file of zeros named .csv must be refused in
         * milliseconds, not read twice. */
        snprintf(sum->error, sizeof sum->error,
                 "文件 %s 不是文本文件（开头含有NUL字节），请提交 UTF-8 或 GBK 编码的 CSV/JSON 文件", bname);
        snprintf(err, errlen, "%s: binary content (NUL bytes at the start)", bname);
        if (p->outbox)
            receipt_write_error(rpath, bname, NULL, sum->error, rerr, sizeof rerr);
        return PIPELINE_UNREADABLE;
    }
    if (digest_file(path, sum->sha256) != 0) {
        snprintf(sum->error, sizeof sum->error, "文件 %s 无法读取：%s", bname, strerror(errno));
        snprintf(err, errlen, "%s: cannot read: %s", bname, strerror(errno));
        if (p->outbox)
            receipt_write_error(rpath, bname, NULL, sum->error, rerr, sizeof rerr);
        return PIPELINE_UNREADABLE;
    }

    char received[32];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(received, sizeof received, "%Y-%m-%dT%H:%M:%S%z", &tm);

    int seen = store_sha_committed(p->db, sum->sha256, &sum->submission_id);
    if (seen < 0) {
        snprintf(err, errlen, "%s: database: cannot check for duplicates", bname);
        return seen;
    }
    if (seen && p->recover_same_name && committed_as(p->db, sum->submission_id, bname)) {
        /* Our own earlier run committed it and died before moving it. */
        sum->recovered = 1;
        if (p->outbox &&
            receipt_write_submission(p->db, sum->submission_id, bname, sum->sha256, "processed",
                                     rpath, rerr, sizeof rerr) != 0)
            receipt_failed(sum, bname, rerr);
        fill_counts(p->db, sum);
        sum->ms = now_ms() - t0;
        return PIPELINE_OK;
    }
    if (seen) {
        /* SPEC §5: the same content again adds nothing. */
        long long dup_id;
        lock(p);
        int rc = store_put_duplicate(p->db, bname, sum->sha256, received, &dup_id, err, errlen);
        unlock(p);
        if (rc != STORE_OK)
            return rc;
        sum->duplicate = 1;
        if (p->outbox &&
            receipt_write_submission(p->db, dup_id, bname, sum->sha256, "duplicate", rpath, rerr,
                                     sizeof rerr) != 0)
            receipt_failed(sum, bname, rerr);
        sum->ms = now_ms() - t0;
        return PIPELINE_OK;
    }

    const xs_plugin *plug = plugin_for_file(p->plugins, path);
    if (!plug) {
        snprintf(sum->error, sizeof sum->error,
                 "文件 %s 的类型不受支持：只接受 .json、.jsonl 和 .csv 文件", bname);
        snprintf(err, errlen, "%s: no plugin takes this file type", bname);
        if (p->outbox)
            receipt_write_error(rpath, bname, sum->sha256, sum->error, rerr, sizeof rerr);
        return PIPELINE_UNREADABLE;
    }

    run *r = run_new(p, plug, path);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return STORE_ERR;
    }
    int rc;
    long long done = 0;
    lock(p);
    if (p->slice_records > 0 &&
        store_find_unfinished(p->db, sum->sha256, &r->sid, &done) == 1) {
        /* A sliced ingest of this content died: go on after its last
         * committed slice. */
        r->skip_upto = sum->resumed_at = done;
        rc = store_resume(p->db, r->sid, err, errlen);
    } else {
        rc = store_begin(p->db, bname, sum->sha256, received, &r->sid, err, errlen);
    }
    if (rc != STORE_OK) {
        unlock(p);
        run_free(r);
        return rc;
    }
    /* policy_revisions (how "ingest"), in this file's transaction; once
     * known, a revision costs nothing (cached per store handle). */
    if (store_record_revisions(p->db, p->policies, "ingest", rerr, sizeof rerr) != STORE_OK)
        log_warn("%s: policy revisions not recorded: %s", bname, rerr);
    r->slice_start = now_ms();
    if (parse_and_store(r) != 0) {
        r->rc = STORE_ERR;
        snprintf(r->err, sizeof r->err, "cannot start the reader thread");
    } else if (r->rc == STORE_OK && r->rd_rc != STORE_OK) {
        r->rc = r->rd_rc;
        snprintf(r->err, sizeof r->err, "%s", r->rd_err);
    }
    if (r->rc != STORE_OK) {
        store_rollback(p->db);
        unlock(p);
        size_t at = r->rd_rc != STORE_OK ? r->rd_index : r->records + 1;
        snprintf(err, errlen, "%s: record %zu: %s", bname, at, r->err);
        rc = r->rc;
        run_free(r);
        return rc;
    }
    if (r->prc != 0 && (r->slices > 0 || r->skip_upto > 0)) {
        /* The plugin failed after slices of the file were committed. What
         * it can fail on that late is the reading itself (an I/O error, no
         * memory), not the content: its content errors (a bad encoding, a
         * broken document) are found before the first record. Rejecting
         * the file now would leave those slices in the database; instead it
         * stays in the inbox, and the retry resumes after the last
         * committed slice. */
        store_rollback(p->db);
        unlock(p);
        snprintf(err, errlen, "%s: reading failed after record %lld was committed, retried later: %s",
                 bname, r->slices ? r->committed_upto : r->skip_upto, r->perr);
        run_free(r);
        return STORE_ERR;
    }
    if (r->prc != 0) {
        /* Unreadable as a whole (bad encoding, broken JSON): nothing of it
         * is kept, the submitter gets the reason. */
        store_rollback(p->db);
        unlock(p);
        snprintf(sum->error, sizeof sum->error, "%s", r->perr[0] ? r->perr : "文件无法解析");
        snprintf(err, errlen, "%s: unreadable: %s", bname, sum->error);
        if (p->outbox)
            receipt_write_error(rpath, bname, sum->sha256, sum->error, rerr, sizeof rerr);
        run_free(r);
        return PIPELINE_UNREADABLE;
    }
    double t_commit = now_ms();
    rc = store_commit(p->db, r->sid, compliance_cb, r, err, errlen);
    unlock(p);
    double t_receipt = now_ms();
    log_debug("%s: compliance of %lu person-years, %lu asked of the policy", bname,
              r->memo.hits + r->memo.misses, r->memo.misses);
    /* Of the read-and-store time: which thread waited for the other. */
    log_debug("%s: the reader waited %.0f ms for room in the queue, the writer %.0f ms"
              " for records", bname, r->q.reader_wait_ms, r->q.writer_wait_ms);
    sum->submission_id = r->sid;
    run_free(r);
    if (rc != STORE_OK)
        return rc;

    fill_counts(p->db, sum);
    if (p->outbox && receipt_write_submission(p->db, sum->submission_id, bname, sum->sha256,
                                              "processed", rpath, rerr, sizeof rerr) != 0)
        receipt_failed(sum, bname, rerr);
    sum->ms = now_ms() - t0;
    log_debug("%s: %.0f ms to read and store, %.0f ms to commit, %.0f ms for the receipt",
              bname, t_commit - t0, t_receipt - t_commit, t0 + sum->ms - t_receipt);
    return PIPELINE_OK;
}
