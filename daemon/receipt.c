#define _GNU_SOURCE /* O_TMPFILE: the second half of a large receipt */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "fileops.h"
#include "receipt.h"
#include <xueshi/utf8.h>

void receipt_path(const char *outbox, const char *name, char *out, size_t outlen)
{
    char fit[FILEOPS_NAME_FIT + 1]; /* room for .NAME.receipt.json.tmp */
    fileops_fit_name(name, fit, sizeof fit);
    snprintf(out, outlen, "%s/%s.receipt.json", outbox, fit);
}

static FILE *open_tmp(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen)
{
    /* Same folder, dot name: readers of the outbox skip it, rename is atomic. */
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path) : 0;
    snprintf(tmp, tmplen, "%.*s%s.%s.tmp", dirlen, path, slash ? "/" : "", slash ? slash + 1 : path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    return f;
}

static int finish(FILE *f, const char *tmp, const char *path, char *err, size_t errlen)
{
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    int saved = errno;
    bad |= fclose(f) != 0;
    if (!bad && rename(tmp, path) == 0)
        return 0;
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(bad ? saved : errno));
    unlink(tmp);
    return -1;
}

/* --- a streaming JSON writer ---------------------------------------------
 * A receipt is written record by record straight into a buffer: building a
 * jansson tree per record and dumping it cost 15 % of an ingest (issue #6).
 * The bytes are exactly what json_dumps(..., JSON_COMPACT) made of the same
 * values before, so receipts did not change with the rewrite: strings as
 * jansson escapes them (" \ and control characters; UTF-8 kept), integers
 * with %lld, reals as jansson's jsonp_dtostr prints them. A text column
 * that is not valid UTF-8 made json_string() return NULL, and
 * json_object_set_new() then left the key out: so does this writer.
 * (receipt_write_error, once per unreadable file, still uses jansson.) */

typedef struct jw {
    FILE *f;
    char *buf;
    size_t n;
    int err; /* errno of a failed write, 0 while all is well */
} jw;

#define JW_BUF ((size_t)64 << 10)

static void jw_flush(jw *w)
{
    if (w->n && fwrite(w->buf, 1, w->n, w->f) != w->n && !w->err)
        w->err = errno ? errno : EIO;
    w->n = 0;
}

static void jw_put(jw *w, const char *s, size_t len)
{
    if (len > JW_BUF - w->n) {
        jw_flush(w);
        if (len > JW_BUF) {
            if (fwrite(s, 1, len, w->f) != len && !w->err)
                w->err = errno ? errno : EIO;
            return;
        }
    }
    memcpy(w->buf + w->n, s, len);
    w->n += len;
}

#define JW_LIT(w, lit) jw_put(w, lit, sizeof lit - 1)

/* 1 when s[0..len) is UTF-8 that json_string() accepts (utf8.h: what
 * jansson's utf8_check_string accepts). *plain says whether it can be
 * copied as is (nothing to escape). */
static int utf8_valid(const unsigned char *s, size_t len, int *plain)
{
    *plain = 1;
    for (size_t i = 0; i < len;) {
        size_t n = xs_utf8_char_len(s + i, len - i);
        if (n == 0)
            return 0;
        if (n == 1 && (s[i] < 0x20 || s[i] == '"' || s[i] == '\\'))
            *plain = 0;
        i += n;
    }
    return 1;
}

/* A JSON string of s (valid UTF-8, see utf8_valid), as jansson dumps it. */
static void jw_string(jw *w, const char *s, size_t len, int plain)
{
    JW_LIT(w, "\"");
    if (plain) {
        jw_put(w, s, len);
    } else {
        size_t run = 0; /* start of the bytes not yet written */
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c >= 0x20 && c != '"' && c != '\\')
                continue;
            jw_put(w, s + run, i - run);
            run = i + 1;
            char seq[8];
            const char *text = seq;
            size_t tl = 2;
            switch (c) {
            case '\\': text = "\\\\"; break;
            case '"': text = "\\\""; break;
            case '\b': text = "\\b"; break;
            case '\f': text = "\\f"; break;
            case '\n': text = "\\n"; break;
            case '\r': text = "\\r"; break;
            case '\t': text = "\\t"; break;
            default:
                snprintf(seq, sizeof seq, "\\u%04X", (unsigned)c);
                tl = 6;
                break;
            }
            jw_put(w, text, tl);
        }
        jw_put(w, s + run, len - run);
    }
    JW_LIT(w, "\"");
}

/* ,"key":"value" — or ,"key":null for NULL, or nothing when the text is
 * not valid UTF-8 (what json_object_set_new did with json_string's NULL).
 * key is a literal with its leading comma and quotes: ",\"ref\":". */
static void jw_text_member(jw *w, const char *key, size_t keylen, const unsigned char *v)
{
    if (!v) {
        jw_put(w, key, keylen);
        JW_LIT(w, "null");
        return;
    }
    size_t len = strlen((const char *)v);
    int plain;
    if (!utf8_valid(v, len, &plain))
        return;
    jw_put(w, key, keylen);
    jw_string(w, (const char *)v, len, plain);
}

#define JW_TEXT(w, key, v) jw_text_member(w, key, sizeof key - 1, v)

/* %lld, without printf (three of these per record). */
static size_t fmt_int(long long v, char *b)
{
    char d[24];
    size_t n = 0, o = 0;
    unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
    do
        d[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        b[o++] = '-';
    while (n)
        b[o++] = d[--n];
    return o;
}

static void jw_int(jw *w, long long v)
{
    char b[24];
    jw_put(w, b, fmt_int(v, b));
}

/* jansson's jsonp_dtostr with its default precision: "%.17g", a ".0" when
 * that has neither '.' nor 'e', and the exponent without '+' or leading
 * zeros ("1e+20" → "1e20", "1e-05" → "1e-5"). Returns 0 for NaN and
 * infinities, which json_real() refused (the key was left out). */
static int jw_real_text(double v, char *b, size_t size, size_t *len)
{
    if (isnan(v) || isinf(v))
        return 0;
    /* The usual hours (24, 16.5) without printf: %.17g prints a whole
     * number below 1e17 as its digits, and n + 0.5 below 1e15 as "n.5"
     * (exact in binary, at most 16 digits). -0.0 takes the long way. */
    if (v >= 0 && v < 1e15 && !(v == 0 && signbit(v))) {
        double whole = floor(v);
        if (v == whole || v - whole == 0.5) {
            size_t l = fmt_int((long long)whole, b);
            memcpy(b + l, v == whole ? ".0" : ".5", 3);
            *len = l + 2;
            return 1;
        }
    }
    int n = snprintf(b, size, "%.17g", v);
    if (n < 0 || (size_t)n >= size - 3)
        return 0;
    size_t l = (size_t)n;
    /* A locale with a decimal comma (jansson's from_locale); the C locale
     * prints no comma in %g. */
    char *comma = memchr(b, ',', l);
    if (comma)
        *comma = '.';
    if (!memchr(b, '.', l) && !memchr(b, 'e', l)) {
        memcpy(b + l, ".0", 3);
        l += 2;
    }
    char *e = memchr(b, 'e', l);
    if (e) {
        char *start = e + 1, *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, (size_t)(b + l - end) + 1);
            l -= (size_t)(end - start);
        }
    }
    *len = l;
    return 1;
}

/* --- the records ----------------------------------------------------------
 * A large submission's records are written in two halves at once: the
 * first by the caller into the receipt, the second by a thread with a
 * connection of its own into an unnamed file beside it, appended when both
 * are done. Reading the records back is most of a receipt's time (about 2 s
 * of a 1M-record ingest, with the other core idle: issue #6). Both halves
 * read after the commit; the bytes are those of one pass (test_store
 * compares them). A receipt says what the database holds when it is read
 * (so did one pass: the daemon writes it after releasing the store), and
 * the halves are two reads a moment apart: a record another file
 * superseded meanwhile may show as superseded in either. */

typedef struct tally {
    long long counts[4]; /* credited, pending, rejected, superseded */
    size_t nrec;
} tally;

/* Below this many activity ids, one pass (tests lower it); and, for
 * tests, a second half that cannot start. */
static long long receipt_split_min = 65536;
static int receipt_split_fails;

void receipt_set_split(long long min_records)
{
    receipt_split_min = min_records > 0 ? min_records : min_records < 0 ? 1 : 65536;
    receipt_split_fails = min_records < 0;
}

/* The records of submission sid among activity ids lo..hi, each as
 * ",\n{…}", except that the very first of the receipt (first) has no
 * comma. Returns an SQLite rc (SQLITE_DONE when all went well). The
 * submission's activities lie in its id range (store_migrate.c, migration
 * 7) and are read in order; submission_id filters out those of other files
 * committed between the slices of this one. Each activity's credits are its
 * block of credit ids (migration 9), in (year, category) order. */
static int write_records(sqlite3 *db, long long sid, long long lo, long long hi, int first,
                         jw *w, tally *t)
{
    const char *sql =
        "SELECT a.activity_id, a.record_index, a.ref, a.status, a.year, a.reason_code, a.reason,"
        " c.year, c.category, c.hours, c.explanation"
        " FROM activities a LEFT JOIN credits c"
        "  ON " STORE_CREDITS_OF_SQL("c.", "a.activity_id")
        " WHERE a.activity_id BETWEEN ?2 AND ?3 AND a.submission_id = ?1"
        " ORDER BY a.activity_id, c.credit_id";
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, sid);
    sqlite3_bind_int64(st, 2, lo);
    sqlite3_bind_int64(st, 3, hi);
    long long last = -1;
    int open = 0;     /* a record is written up to its credits list */
    int ncredits = 0; /* credits written into it so far */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long id = sqlite3_column_int64(st, 0);
        if (id != last) {
            if (open)
                JW_LIT(w, "]}");
            if (t->nrec++ || !first)
                JW_LIT(w, ",");
            last = id;
            open = 1;
            ncredits = 0;
            JW_LIT(w, "\n{\"index\":");
            jw_int(w, sqlite3_column_int64(st, 1));
            JW_TEXT(w, ",\"ref\":", sqlite3_column_text(st, 2));
            const char *stt = (const char *)sqlite3_column_text(st, 3);
            JW_TEXT(w, ",\"status\":", (const unsigned char *)stt);
            JW_LIT(w, ",\"year\":");
            if (sqlite3_column_type(st, 4) == SQLITE_NULL)
                JW_LIT(w, "null");
            else
                jw_int(w, sqlite3_column_int(st, 4));
            JW_TEXT(w, ",\"reason_code\":", sqlite3_column_text(st, 5));
            JW_TEXT(w, ",\"reason\":", sqlite3_column_text(st, 6));
            JW_LIT(w, ",\"credits\":[");
            static const char *const names[] = {"credited", "pending_materials", "rejected", "superseded"};
            for (int i = 0; i < 4 && stt; i++)
                if (strcmp(stt, names[i]) == 0)
                    t->counts[i]++;
        }
        if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
            if (ncredits++)
                JW_LIT(w, ",");
            JW_LIT(w, "{\"year\":");
            jw_int(w, sqlite3_column_int(st, 7));
            JW_TEXT(w, ",\"category\":", sqlite3_column_text(st, 8));
            char num[64];
            size_t nl;
            if (jw_real_text(sqlite3_column_double(st, 9), num, sizeof num, &nl)) {
                JW_LIT(w, ",\"hours\":");
                jw_put(w, num, nl);
            }
            JW_TEXT(w, ",\"explanation\":", sqlite3_column_text(st, 10));
            JW_LIT(w, "}");
        }
    }
    if (open)
        JW_LIT(w, "]}");
    sqlite3_finalize(st);
    return rc;
}

/* The second half: its own connection and an unnamed file in the outbox. */
typedef struct half {
    const char *db_path;
    long long sid, lo, hi;
    jw w;
    tally t;
    int failed;
    char err[256];
} half;

static void *half_main(void *arg)
{
    half *h = arg;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(h->db_path, &db,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        rc = write_records(db, h->sid, h->lo, h->hi, 0, &h->w, &h->t);
    }
    if (rc != SQLITE_DONE) {
        h->failed = 1;
        snprintf(h->err, sizeof h->err, "receipt query: %s",
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    }
    sqlite3_close(db);
    jw_flush(&h->w);
    return NULL;
}

/* Start the second half of lo..hi on a thread; 0 when it runs (*mid is
 * the last id of the first half), -1 when one pass it is. */
static int half_start(half *h, pthread_t *th, sqlite3 *db, const char *path, long long sid,
                      long long lo, long long hi, long long *mid)
{
    if (hi - lo + 1 < receipt_split_min)
        return -1;
    const char *db_path = sqlite3_db_filename(db, "main");
    if (!db_path || !*db_path)
        return -1;
    char dir[4200];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
#ifdef O_TMPFILE
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#else
    int fd = -1;
#endif
    FILE *f = fd >= 0 ? fdopen(fd, "w+") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return -1; /* no unnamed files here: one pass */
    }
    long long m = lo + (hi - lo) / 2;
    *h = (half){.db_path = db_path, .sid = sid, .lo = m + 1, .hi = hi};
    h->w = (jw){f, malloc(JW_BUF), 0, 0};
    if (!h->w.buf || receipt_split_fails || pthread_create(th, NULL, half_main, h) != 0) {
        free(h->w.buf);
        fclose(f);
        return -1; /* *mid stays hi: the caller reads everything */
    }
    *mid = m;
    return 0;
}

static void half_free(half *h)
{
    free(h->w.buf);
    fclose(h->w.f);
}

/* Append the finished second half to w (dropping its leading comma when
 * the first half had no record). Returns 0, or -1 with err. */
static int half_append(half *h, jw *w, int first_empty, char *err, size_t errlen)
{
    FILE *f = h->w.f;
    int bad = h->failed || h->w.err || fflush(f) != 0;
    if (!bad && h->t.nrec && fseek(f, first_empty ? 1 : 0, SEEK_SET) != 0)
        bad = 1;
    /* the half's own buffer, flushed and free now, carries the bytes */
    char *chunk = h->w.buf;
    size_t n;
    while (!bad && h->t.nrec && (n = fread(chunk, 1, JW_BUF, f)) > 0)
        jw_put(w, chunk, n);
    if (!bad && ferror(f))
        bad = 1;
    if (bad)
        snprintf(err, errlen, "%s", h->failed ? h->err : "receipt: cannot read its second half");
    return bad ? -1 : 0;
}

int receipt_write_submission(store *s, long long sid, const char *name, const char *sha256,
                             const char *status, const char *path, char *err, size_t errlen)
{
    char tmp[4200];
    FILE *f = open_tmp(path, tmp, sizeof tmp, err, errlen);
    if (!f)
        return -1;
    sqlite3 *db = store_db(s);
    /* JSON holds UTF-8 only: a file name that is not (bytes of another
     * encoding) is shown escaped. */
    char shown[1024];
    fileops_printable(name, shown, sizeof shown);
    int pl_file, pl_sha, pl_status;
    jw w = {f, malloc(JW_BUF), 0, 0};
    if (!w.buf || !sha256 || !status ||
        !utf8_valid((const unsigned char *)shown, strlen(shown), &pl_file) ||
        !utf8_valid((const unsigned char *)sha256, strlen(sha256), &pl_sha) ||
        !utf8_valid((const unsigned char *)status, strlen(status), &pl_status)) {
        /* (what json_pack's failure said) */
        snprintf(err, errlen, "receipt: out of memory");
        free(w.buf);
        fclose(f);
        unlink(tmp);
        return -1;
    }
    /* The records are streamed: a receipt of a million records is written
     * in the memory of one. */
    JW_LIT(&w, "{\"file\":");
    jw_string(&w, shown, strlen(shown), pl_file);
    JW_LIT(&w, ",\"sha256\":");
    jw_string(&w, sha256, strlen(sha256), pl_sha);
    JW_LIT(&w, ",\"submission_id\":");
    jw_int(&w, sid);
    JW_LIT(&w, ",\"status\":");
    jw_string(&w, status, strlen(status), pl_status);
    JW_LIT(&w, ",\n\"records\":[");

    long long first = 0, last_id = -1;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT first_activity, last_activity FROM submissions"
                                    " WHERE submission_id = ?1", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, sid);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            first = sqlite3_column_int64(st, 0);
            last_id = sqlite3_column_int64(st, 1);
        }
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    tally t = {{0}, 0};
    half h;
    pthread_t th;
    long long mid = last_id;
    int split = rc == SQLITE_OK && half_start(&h, &th, db, path, sid, first, last_id, &mid) == 0;
    if (rc == SQLITE_OK)
        rc = write_records(db, sid, first, mid, 1, &w, &t);
    int bad = rc != SQLITE_DONE;
    if (bad)
        snprintf(err, errlen, "receipt query: %s", sqlite3_errmsg(db));
    if (split) {
        pthread_join(th, NULL);
        if (!bad && half_append(&h, &w, t.nrec == 0, err, errlen) != 0)
            bad = 1;
        half_free(&h);
        for (int i = 0; i < 4; i++)
            t.counts[i] += h.t.counts[i];
        t.nrec += h.t.nrec;
    }
    if (bad) {
        free(w.buf);
        fclose(f);
        unlink(tmp);
        return -1;
    }
    char tail[256];
    int tl = snprintf(tail, sizeof tail,
                      "],\n\"counts\":{\"records\":%zu,\"credited\":%lld,\"pending_materials\":%lld,"
                      "\"rejected\":%lld,\"superseded\":%lld}}\n",
                      t.nrec, t.counts[0], t.counts[1], t.counts[2], t.counts[3]);
    jw_put(&w, tail, (size_t)tl);
    jw_flush(&w);
    free(w.buf);
    if (w.err) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(w.err));
        fclose(f);
        unlink(tmp);
        return -1;
    }
    return finish(f, tmp, path, err, errlen);
}

int receipt_write_error(const char *path, const char *name, const char *sha256,
                        const char *message, char *err, size_t errlen)
{
    char tmp[4200];
    FILE *f = open_tmp(path, tmp, sizeof tmp, err, errlen);
    if (!f)
        return -1;
    char shown[1024];
    fileops_printable(name, shown, sizeof shown);
    json_t *o = json_pack("{s:s, s:s?, s:s, s:s, s:[]}", "file", shown, "sha256", sha256,
                          "status", "rejected", "error", message, "records");
    char *txt = o ? json_dumps(o, JSON_INDENT(1)) : NULL;
    fprintf(f, "%s\n", txt ? txt : "{}");
    free(txt);
    json_decref(o);
    return finish(f, tmp, path, err, errlen);
}
