#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cert_content.h"
#include "cert_date.h"
#include "cert_form.h"
#include "cert_template.h"

const char *cert_level_zh(const char *level)
{
    return strcmp(level, "senior") ? "中级" : "高级";
}

/* name, unit, professional_title, education of people (""s when absent). */
static int person_vars(sqlite3 *db, const char *id, cert_vars *v, char *err, size_t errlen)
{
    static const char *const cols[] = {"name", "unit", "professional_title", "education"};
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT name, unit, professional_title, education FROM people"
                               " WHERE person_id = ?1", -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "读取人员信息：%s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int row = sqlite3_step(st) == SQLITE_ROW, rc = 0;
    for (int i = 0; i < 4; i++)
        rc |= cert_vars_set(v, cols[i], row ? (const char *)sqlite3_column_text(st, i) : "");
    sqlite3_finalize(st);
    if (rc)
        snprintf(err, errlen, "内存不足");
    return rc ? -1 : 0;
}

/* What decided the year, in a word for the table. */
static void year_status(const verify_year *y, char *out, size_t outlen)
{
    if (y->compliant)
        snprintf(out, outlen, "达标");
    else if (y->cover_kind)
        snprintf(out, outlen, "由%s认定", y->covered_by);
    else
        snprintf(out, outlen, "不达标：%s", verify_missing_text(y));
}

static int year_vars(sqlite3 *db, const char *id, const verify_year *y, cert_vars *item,
                     char *err, size_t errlen)
{
    static const char *const cats[] = {"public", "professional", "whole_year"};
    char h[32], status[512];
    int rc = cert_vars_setf(item, "year", "%d", y->year);
    cert_hours(y->public_hours, h, sizeof h);
    rc |= cert_vars_set(item, "public_hours", h);
    cert_hours(y->professional_hours, h, sizeof h);
    rc |= cert_vars_set(item, "professional_hours", h);
    cert_hours(y->total_hours, h, sizeof h);
    rc |= cert_vars_set(item, "total_hours", h);
    rc |= cert_vars_set(item, "whole_year", y->whole_year ? "是" : "");
    year_status(y, status, sizeof status);
    rc |= cert_vars_set(item, "status", status);
    rc |= cert_vars_set(item, "covered_by", y->compliant ? "" : y->covered_by);
    if (rc) {
        snprintf(err, errlen, "内存不足");
        return -1;
    }
    for (int i = 0; i < 3; i++) {
        char list[32], text_key[40];
        snprintf(list, sizeof list, "%s_items", cats[i]);
        snprintf(text_key, sizeof text_key, "%s_content", cats[i]);
        cert_buf text = {0};
        int n = cert_content(db, id, y->year, cats[i], item, list, &text, err, errlen);
        rc = n < 0 || cert_buf_failed(&text) || cert_vars_set(item, text_key, cert_buf_str(&text));
        cert_buf_free(&text);
        if (rc) {
            if (n >= 0)
                snprintf(err, errlen, "内存不足");
            return -1;
        }
    }
    return 0;
}

static int form_vars(sqlite3 *db, const cert_record *rec, const verify_result *vr, cert_vars *v,
                     char *err, size_t errlen)
{
    char zh[64], cn[64];
    if (cert_date_zh(rec->issued_at, zh, sizeof zh) != 0 || cert_date_cn(rec->issued_at, cn, sizeof cn) != 0) {
        snprintf(err, errlen, "认定单日期「%s」无效", rec->issued_at);
        return -1;
    }
    if (person_vars(db, rec->person_id, v, err, errlen) != 0)
        return -1;
    int rc = cert_vars_set(v, "number", rec->number);
    rc |= cert_vars_set(v, "person_id", rec->person_id);
    rc |= cert_vars_set(v, "level", cert_level_zh(rec->level));
    rc |= cert_vars_set(v, "level_code", rec->level);
    rc |= cert_vars_setf(v, "eval_year", "%d", rec->eval_year);
    rc |= cert_vars_setf(v, "from_year", "%d", rec->from_year);
    rc |= cert_vars_setf(v, "to_year", "%d", rec->to_year);
    rc |= cert_vars_setf(v, "nyears", "%d", rec->to_year - rec->from_year + 1);
    rc |= cert_vars_set(v, "specialty", rec->specialty);
    rc |= cert_vars_set(v, "handler", rec->handler);
    rc |= cert_vars_set(v, "phone", rec->phone);
    rc |= cert_vars_set(v, "register_number", rec->register_number);
    rc |= cert_vars_set(v, "date", rec->issued_at);
    rc |= cert_vars_set(v, "date_zh", zh);
    rc |= cert_vars_set(v, "date_cn", cn);
    rc |= cert_vars_list(v, "years");
    if (rc) {
        snprintf(err, errlen, "内存不足");
        return -1;
    }
    double sum = 0;
    for (int i = 0; i < vr->nyears; i++) {
        cert_vars *item = cert_vars_add(v, "years");
        if (!item) {
            snprintf(err, errlen, "内存不足");
            return -1;
        }
        if (year_vars(db, rec->person_id, &vr->years[i], item, err, errlen) != 0)
            return -1;
        sum += vr->years[i].total_hours;
    }
    char h[32];
    cert_hours(sum, h, sizeof h);
    if (cert_vars_set(v, "span_total_hours", h)) {
        snprintf(err, errlen, "内存不足");
        return -1;
    }
    return 0;
}

int cert_form_render(store *s, const char *rules_dir, const cert_record *rec,
                     const verify_result *vr, cert_buf *out, char *template_path,
                     size_t pathlen, char *err, size_t errlen)
{
    char *tmpl = NULL;
    if (cert_template_load(rules_dir, "certificate", rec->eval_year, &tmpl, template_path, pathlen,
                           err, errlen) != 0)
        return -1;
    cert_vars *v = cert_vars_new();
    int rc = -1;
    if (!v)
        snprintf(err, errlen, "内存不足");
    else if (form_vars(store_db(s), rec, vr, v, err, errlen) == 0) {
        char rerr[512];
        rc = cert_render(tmpl, v, out, rerr, sizeof rerr);
        if (rc != 0)
            snprintf(err, errlen, "%s：%s", template_path, rerr);
    }
    cert_vars_free(v);
    free(tmpl);
    return rc;
}
