#include <stdio.h>
#include "cert_content.h"

void cert_hours(double h, char *out, size_t outlen)
{
    snprintf(out, outlen, "%g", h);
}

int cert_content(sqlite3 *db, const char *person_id, int year, const char *category,
                 cert_vars *v, const char *list_key, cert_buf *text, char *err, size_t errlen)
{
    static const char sql[] =
        "SELECT a.title, sum(c.hours) FROM credits c JOIN activities a USING (activity_id)"
        " WHERE c.person_id = ?1 AND c.year = ?2 AND c.category = ?3 AND a.status = 'credited'"
        " GROUP BY c.activity_id HAVING sum(c.hours) > 0 ORDER BY a.date, a.title, c.activity_id";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "读取学习内容：%s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_text(st, 1, person_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, year);
    sqlite3_bind_text(st, 3, category, -1, SQLITE_STATIC);
    if (v && list_key && cert_vars_list(v, list_key) != 0)
        goto oom;
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *title = (const char *)sqlite3_column_text(st, 0);
        char hours[32];
        cert_hours(sqlite3_column_double(st, 1), hours, sizeof hours);
        if (!title)
            title = "";
        if (v && list_key) {
            cert_vars *item = cert_vars_add(v, list_key);
            if (!item || cert_vars_set(item, "title", title) || cert_vars_set(item, "hours", hours))
                goto oom;
        }
        if (text)
            cert_buf_printf(text, "%s%s（%s学时）", n ? "；" : "", title, hours);
        n++;
    }
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "读取学习内容：%s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    return n;
oom:
    sqlite3_finalize(st);
    snprintf(err, errlen, "内存不足");
    return -1;
}
