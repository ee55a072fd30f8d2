#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record.h"
#include "verify.h"

static void load_hours(sqlite3 *db, const char *id, verify_year *y)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT public_hours, professional_hours, whole_year, total_hours"
                           " FROM person_years WHERE person_id = ?1 AND year = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, y->year);
    if (sqlite3_step(st) == SQLITE_ROW) {
        y->public_hours = sqlite3_column_double(st, 0);
        y->professional_hours = sqlite3_column_double(st, 1);
        y->whole_year = sqlite3_column_int(st, 2);
        y->total_hours = sqlite3_column_double(st, 3);
    }
    sqlite3_finalize(st);
}

/* The 认定单编号 (number) of a submitted prior_certificate, read from the
 * stored record (key US value RS …, keys as the file wrote them); out is
 * left alone when the record has none. */
static void payload_number(const unsigned char *payload, char *out, size_t outlen)
{
    const char *p = (const char *)payload;
    while (p && *p) {
        const char *us = strchr(p, '\x1f'), *rs = strchr(p, '\x1e');
        if (!rs)
            rs = p + strlen(p);
        if (us && us < rs) {
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)(us - p), p);
            if (record_field_lookup(key) == RF_NUMBER && rs > us + 1) {
                snprintf(out, outlen, "%.*s", (int)(rs - us - 1), us + 1);
                return;
            }
        }
        p = *rs ? rs + 1 : rs;
    }
}

/* A certificate xueshi issued, or a submitted prior certificate (still
 * live: a superseded record's cover is deleted by the store), whose years
 * hold y. An issued one is preferred: it is xueshi's own record, with a
 * number. The certificate of this very evaluation (level, eval_year) is
 * not counted: verification judges whether that one is deserved, and
 * certifying again must not prove itself. */
static void find_cover(sqlite3 *db, const char *id, const char *level, int eval_year,
                       verify_year *y)
{
    static const char *const sql[] = {
        "SELECT number, from_year, to_year FROM certificates"
        " WHERE person_id = ?1 AND ?2 BETWEEN from_year AND to_year"
        " AND NOT (level = ?3 AND eval_year = ?4)"
        " ORDER BY eval_year DESC, from_year LIMIT 1",
        "SELECT a.ref, p.from_year, p.to_year, a.payload FROM prior_covers p"
        " JOIN activities a ON a.activity_id = p.activity_id"
        " WHERE p.person_id = ?1 AND ?2 BETWEEN p.from_year AND p.to_year"
        " AND a.status = 'credited' ORDER BY p.to_year DESC LIMIT 1",
    };
    static const char *const kind[] = {"issued", "submitted"};
    static const char *const what[] = {"本系统签发的学时认定单", "已提交的学时认定单"};
    for (int i = 0; i < 2 && !y->cover_kind; i++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) != SQLITE_OK)
            continue;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, y->year);
        if (i == 0) {
            sqlite3_bind_text(st, 3, level, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 4, eval_year);
        }
        if (sqlite3_step(st) == SQLITE_ROW) {
            const char *num = (const char *)sqlite3_column_text(st, 0);
            y->cover_kind = kind[i];
            snprintf(y->cover_number, sizeof y->cover_number, "%s", num ? num : "");
            if (i == 1)
                payload_number(sqlite3_column_text(st, 3), y->cover_number, sizeof y->cover_number);
            y->cover_from = sqlite3_column_int(st, 1);
            y->cover_to = sqlite3_column_int(st, 2);
            /* through a local: gcc cannot tell the two fields apart (-Wrestrict) */
            char text[sizeof y->covered_by];
            snprintf(text, sizeof text, "%s%s%s(%d—%d年)", what[i], y->cover_number[0] ? " " : "",
                     y->cover_number, y->cover_from, y->cover_to);
            memcpy(y->covered_by, text, sizeof text);
        }
        sqlite3_finalize(st);
    }
}

static int person_known(sqlite3 *db, const char *id)
{
    sqlite3_stmt *st;
    int known = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM people WHERE person_id = ?1", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        known = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    return known;
}

const char *verify_missing_text(const verify_year *y)
{
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%d年：", y->year);
    size_t n = strlen(prefix);
    return strncmp(y->missing, prefix, n) ? y->missing : y->missing + n;
}

int verify_person(store *s, policy_set *ps, const char *id, int eval_year, const char *level,
                  verify_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (policy_span(ps, eval_year, level, &out->from_year, &out->to_year, err, errlen) != 0)
        return -1;
    if (out->to_year < out->from_year || out->to_year - out->from_year >= VERIFY_MAX_YEARS) {
        snprintf(err, errlen, "span %d..%d of the %d policy is not usable", out->from_year,
                 out->to_year, eval_year);
        return -1;
    }
    sqlite3 *db = store_db(s);
    out->known = person_known(db, id);
    out->eligible = 1;
    for (int year = out->from_year; year <= out->to_year; year++) {
        verify_year *y = &out->years[out->nyears++];
        y->year = year;
        load_hours(db, id, y);
        policy_year_totals t = {y->public_hours, y->professional_hours, y->whole_year};
        char *missing = NULL;
        if (policy_compliance(ps, year, &t, &y->compliant, &missing, err, errlen) != 0)
            return -1;
        if (missing)
            snprintf(y->missing, sizeof y->missing, "%s", missing);
        free(missing);
        find_cover(db, id, level, eval_year, y);
        if (!y->compliant && !y->covered_by[0])
            out->eligible = 0;
    }
    return 0;
}
