#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* A submitted prior certificate, or one xueshi issued, whose years hold y. */
static void find_cover(sqlite3 *db, const char *id, verify_year *y)
{
    static const char *const sql[] = {
        "SELECT a.ref, p.from_year, p.to_year FROM prior_covers p"
        " JOIN activities a ON a.activity_id = p.activity_id"
        " WHERE p.person_id = ?1 AND ?2 BETWEEN p.from_year AND p.to_year LIMIT 1",
        "SELECT number, from_year, to_year FROM certificates"
        " WHERE person_id = ?1 AND ?2 BETWEEN from_year AND to_year LIMIT 1",
    };
    static const char *const what[] = {"已提交的学时认定单", "本系统签发的学时认定单"};
    for (int i = 0; i < 2 && !y->covered_by[0]; i++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) != SQLITE_OK)
            continue;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, y->year);
        if (sqlite3_step(st) == SQLITE_ROW) {
            const char *num = (const char *)sqlite3_column_text(st, 0);
            snprintf(y->covered_by, sizeof y->covered_by, "%s%s%s(%d—%d年)", what[i],
                     num ? " " : "", num ? num : "", sqlite3_column_int(st, 1),
                     sqlite3_column_int(st, 2));
        }
        sqlite3_finalize(st);
    }
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
        if (!y->compliant)
            find_cover(db, id, y);
        if (!y->compliant && !y->covered_by[0])
            out->eligible = 0;
    }
    return 0;
}
