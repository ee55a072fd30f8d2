#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "fileops.h"
#include "receipt.h"

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

static void put_str(json_t *o, const char *k, const unsigned char *v)
{
    json_object_set_new(o, k, v ? json_string((const char *)v) : json_null());
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
     * encoding) made json_pack return NULL, and a crash below. */
    char shown[1024];
    fileops_printable(name, shown, sizeof shown);
    json_t *head = json_pack("{s:s, s:s, s:I, s:s}", "file", shown, "sha256", sha256,
                             "submission_id", (json_int_t)sid, "status", status);
    /* The records are streamed: a receipt of a million records is written
     * in the memory of one. */
    char *h = head ? json_dumps(head, JSON_COMPACT) : NULL;
    json_decref(head);
    if (!h) {
        snprintf(err, errlen, "receipt: out of memory");
        fclose(f);
        unlink(tmp);
        return -1;
    }
    fprintf(f, "%.*s,\n\"records\":[", (int)strlen(h) - 1, h);
    free(h);

    sqlite3_stmt *st = NULL;
    const char *sql =
        "SELECT a.activity_id, a.record_index, a.ref, a.status, a.year, a.reason_code, a.reason,"
        " c.year, c.category, c.hours, c.explanation"
        " FROM activities a LEFT JOIN credits c ON c.activity_id = a.activity_id"
        " WHERE a.submission_id = ?1 ORDER BY a.activity_id, c.year, c.category";
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        sqlite3_bind_int64(st, 1, sid);
    long long counts[4] = {0}; /* credited, pending, rejected, superseded */
    long long last = -1;
    json_t *rec = NULL, *credits = NULL;
    size_t nrec = 0;
    for (; rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW; rc = SQLITE_OK) {
        long long id = sqlite3_column_int64(st, 0);
        if (id != last) {
            if (rec) {
                char *txt = json_dumps(rec, JSON_COMPACT);
                fprintf(f, "%s\n%s", nrec++ ? "," : "", txt);
                free(txt);
                json_decref(rec);
            }
            last = id;
            rec = json_object();
            json_object_set_new(rec, "index", json_integer(sqlite3_column_int64(st, 1)));
            put_str(rec, "ref", sqlite3_column_text(st, 2));
            const char *stt = (const char *)sqlite3_column_text(st, 3);
            put_str(rec, "status", (const unsigned char *)stt);
            json_object_set_new(rec, "year", sqlite3_column_type(st, 4) == SQLITE_NULL
                                                 ? json_null()
                                                 : json_integer(sqlite3_column_int(st, 4)));
            put_str(rec, "reason_code", sqlite3_column_text(st, 5));
            put_str(rec, "reason", sqlite3_column_text(st, 6));
            credits = json_array();
            json_object_set_new(rec, "credits", credits);
            static const char *const names[] = {"credited", "pending_materials", "rejected", "superseded"};
            for (int i = 0; i < 4 && stt; i++)
                if (strcmp(stt, names[i]) == 0)
                    counts[i]++;
        }
        if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
            json_t *c = json_object();
            json_object_set_new(c, "year", json_integer(sqlite3_column_int(st, 7)));
            put_str(c, "category", sqlite3_column_text(st, 8));
            json_object_set_new(c, "hours", json_real(sqlite3_column_double(st, 9)));
            put_str(c, "explanation", sqlite3_column_text(st, 10));
            json_array_append_new(credits, c);
        }
    }
    if (rec) {
        char *txt = json_dumps(rec, JSON_COMPACT);
        fprintf(f, "%s\n%s", nrec++ ? "," : "", txt);
        free(txt);
        json_decref(rec);
    }
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "receipt query: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        fclose(f);
        unlink(tmp);
        return -1;
    }
    sqlite3_finalize(st);
    fprintf(f, "],\n\"counts\":{\"records\":%zu,\"credited\":%lld,\"pending_materials\":%lld,"
               "\"rejected\":%lld,\"superseded\":%lld}}\n",
            nrec, counts[0], counts[1], counts[2], counts[3]);
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
