/*
 * Reading a batch: whole persons, each with all their live activities (the
 * ones in scope with their payload), the credits and prior covers those
 * hold, and their person_years rows: everything the evaluation needs to
 * predict what the store would make of the person, and to say what
 * changes.
 *
 * Order: persons are taken in the order of their first activity
 * (temp.rc_order, built once at the start), not by ID number. Rows are
 * stored in the order they arrived, so this walks activities, credits and
 * credit_history mostly forwards, and a batch's writes land on few pages;
 * in ID order every person is somewhere else in the file, and a recompute
 * of a large database spent its time rewriting pages.
 *
 * One query walks rc_order and joins each person to their activities
 * (activities_identity, which holds every activity in person order; a
 * person's activities come by kind, date and title), each activity to its
 * credits (its block of credit ids, in (year, category) order) and covers;
 * a second
 * reads the batch's person_years.
 */
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include "recompute_priv.h"

struct rc_reader {
    sqlite3 *db;
    int year;
    sqlite3_stmt *acts, *years;
};

/* In scope: the status came from a policy (a rejected record the
 * normaliser refused has no policy), and the year filter. */
#define RC_SCOPE                                                              \
    "((a.policy IS NOT NULL OR a.reason_code = 'no_policy_for_year')"         \
    " AND (?3 = 0 OR a.year = ?3))"

static const char acts_sql[] =
    "SELECT o.rowid, a.activity_id, a.person_id, a.ref, a.kind, a.title, a.date, a.year, a.status,"
    " a.reason_code, a.reason, a.policy, a.policy_sha256, a.record_index,"
    " CASE WHEN " RC_SCOPE " THEN a.payload END, " RC_SCOPE ","
    " c.credit_id, c.year, c.category, c.hours, c.raw_hours, c.explanation,"
    " c.base_explanation, c.cap_key, c.cap_limit, c.cap_note,"
    " p.from_year, p.to_year"
    " FROM temp.rc_order o"
    " CROSS JOIN activities a ON a.person_id = o.person_id AND a.status <> 'superseded'"
    " LEFT JOIN credits c"
    "  ON " STORE_CREDITS_OF_SQL("c.", "a.activity_id")
    " LEFT JOIN prior_covers p ON p.activity_id = a.activity_id"
    " WHERE o.rowid >= ?1 AND (?2 IS NULL OR o.rowid <= ?2)"
    " ORDER BY o.rowid";

static const char years_sql[] =
    "SELECT o.rowid, y.year, y.public_hours, y.professional_hours, y.whole_year, y.total_hours,"
    " y.compliant"
    " FROM temp.rc_order o CROSS JOIN person_years y ON y.person_id = o.person_id"
    " WHERE o.rowid >= ?1 AND o.rowid <= ?2 ORDER BY o.rowid, y.year";

/* The persons to look at, in the order of their first activity. With a
 * year: those with an activity of that year, or a person_years row of it
 * (a year reached only by a credit of another year's activity).
 *
 * Without a year, the first activities come from the identity index alone
 * (person_id first, activity_id in every entry). No index has the year
 * since migration 8: a year's activities are found by one forward scan of
 * the table, not by a table lookup for every index entry. */
static int build_order(sqlite3 *db, int year, char *err, size_t errlen)
{
    char sql[1024];
    if (year == 0)
        snprintf(sql, sizeof sql,
                 "DROP TABLE IF EXISTS temp.rc_order;"
                 "CREATE TEMP TABLE rc_order AS SELECT person_id FROM ("
                 " SELECT person_id, min(activity_id) AS first FROM activities"
                 "  WHERE person_id IS NOT NULL GROUP BY person_id)"
                 " ORDER BY first, person_id;");
    else
        snprintf(sql, sizeof sql,
                 "DROP TABLE IF EXISTS temp.rc_order;"
                 "CREATE TEMP TABLE rc_order AS SELECT person_id FROM ("
                 " SELECT person_id, min(activity_id) AS first FROM activities NOT INDEXED"
                 "  WHERE person_id IS NOT NULL AND year = %d GROUP BY person_id"
                 " UNION ALL SELECT person_id, NULL FROM person_years WHERE year = %d)"
                 " GROUP BY person_id ORDER BY min(first), person_id;",
                 year, year);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "排列人员：%s", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

int rc_reader_open(rc_reader **out, store *db, int year, char *err, size_t errlen)
{
    rc_reader *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->db = store_db(db);
    r->year = year;
    if (build_order(r->db, year, err, errlen) != 0) {
        free(r);
        return -1;
    }
    if (sqlite3_prepare_v2(r->db, acts_sql, -1, &r->acts, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(r->db, years_sql, -1, &r->years, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "读取活动：%s", sqlite3_errmsg(r->db));
        rc_reader_close(r);
        return -1;
    }
    *out = r;
    return 0;
}

void rc_reader_close(rc_reader *r)
{
    if (!r)
        return;
    sqlite3_finalize(r->acts);
    sqlite3_finalize(r->years);
    sqlite3_exec(r->db, "DROP TABLE IF EXISTS temp.rc_order", NULL, NULL, NULL);
    free(r);
}

/* Grow *arr (of *cap elements of size sz) to hold n + 1. */
static int grow(void **arr, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 1024;
    void *p = realloc(*arr, c * sz);
    if (!p)
        return -1;
    *arr = p;
    *cap = c;
    return 0;
}

static const char *col_text(rc_batch *b, sqlite3_stmt *st, int i)
{
    return rc_strdup(&b->arena, (const char *)sqlite3_column_text(st, i));
}

static int status_of(const char *s)
{
    if (s && !strcmp(s, "credited"))
        return RC_CREDITED;
    if (s && !strcmp(s, "pending_materials"))
        return RC_PENDING;
    return RC_REJECTED;
}

void rc_batch_clear(rc_batch *b)
{
    for (size_t i = 0; i < b->nacts; i++)
        if (b->acts[i].evaluated)
            policy_result_clear(&b->acts[i].res);
    rc_arena_reset(&b->arena);
    for (int w = 0; w < RC_MAX_JOBS; w++)
        rc_arena_reset(&b->work[w]);
    b->npersons = b->nacts = b->ncredits = b->nyears = 0;
    b->first_ord = b->last_ord = b->next_ord = 0;
    b->failed = 0;
    b->err[0] = '\0';
}

void rc_batch_free(rc_batch *b)
{
    rc_batch_clear(b);
    rc_arena_free(&b->arena);
    for (int w = 0; w < RC_MAX_JOBS; w++)
        rc_arena_free(&b->work[w]);
    free(b->persons);
    free(b->acts);
    free(b->credits);
    free(b->years);
    memset(b, 0, sizeof *b);
}

/* Columns of acts_sql. */
enum {
    C_ORD, C_ID, C_PERSON, C_REF, C_KIND, C_TITLE, C_DATE, C_YEAR, C_STATUS, C_REASON_CODE,
    C_REASON, C_POLICY, C_SHA, C_INDEX, C_PAYLOAD, C_SCOPE, C_CREDIT, C_CYEAR, C_CATEGORY,
    C_HOURS, C_RAW, C_EXPL, C_BASE, C_CAP_KEY, C_CAP_LIMIT, C_CAP_NOTE, C_COVER_FROM, C_COVER_TO
};

static int read_activity_row(rc_batch *b, sqlite3_stmt *st, int new_activity)
{
    rc_activity *a;
    if (new_activity) {
        if (grow((void **)&b->acts, &b->cap_acts, b->nacts, sizeof *b->acts) < 0)
            return -1;
        a = &b->acts[b->nacts++];
        memset(a, 0, sizeof *a);
        a->id = sqlite3_column_int64(st, C_ID);
        a->ref = col_text(b, st, C_REF);
        a->kind = col_text(b, st, C_KIND);
        a->title = col_text(b, st, C_TITLE);
        a->date = col_text(b, st, C_DATE);
        a->year = sqlite3_column_int(st, C_YEAR);
        a->before.status = status_of((const char *)sqlite3_column_text(st, C_STATUS));
        a->before.reason_code = col_text(b, st, C_REASON_CODE);
        a->before.reason = col_text(b, st, C_REASON);
        a->before.policy = col_text(b, st, C_POLICY);
        a->before.sha256 = col_text(b, st, C_SHA);
        a->record_index = sqlite3_column_int64(st, C_INDEX);
        a->payload = col_text(b, st, C_PAYLOAD);
        a->in_scope = sqlite3_column_int(st, C_SCOPE);
        a->first_credit = b->ncredits;
        if (sqlite3_column_type(st, C_COVER_FROM) != SQLITE_NULL) {
            a->before.cover_from = sqlite3_column_int(st, C_COVER_FROM);
            a->before.cover_to = sqlite3_column_int(st, C_COVER_TO);
        }
    } else {
        a = &b->acts[b->nacts - 1];
    }
    if (sqlite3_column_type(st, C_CREDIT) == SQLITE_NULL)
        return 0; /* no credit */
    if (grow((void **)&b->credits, &b->cap_credits, b->ncredits, sizeof *b->credits) < 0)
        return -1;
    rc_credit *c = &b->credits[b->ncredits++];
    c->year = sqlite3_column_int(st, C_CYEAR);
    c->category = col_text(b, st, C_CATEGORY);
    c->hours = sqlite3_column_double(st, C_HOURS);
    c->raw = sqlite3_column_double(st, C_RAW);
    c->explanation = col_text(b, st, C_EXPL);
    c->cap_key = col_text(b, st, C_CAP_KEY);
    /* base_explanation is kept for capped credits only; for the others the
     * explanation is the policy's own. */
    c->base = c->cap_key ? col_text(b, st, C_BASE) : c->explanation;
    c->cap_limit = sqlite3_column_double(st, C_CAP_LIMIT);
    c->cap_note = col_text(b, st, C_CAP_NOTE);
    a->before.ncredits++;
    a->before.hours += c->hours;
    return 0;
}

static int read_years(rc_reader *r, rc_batch *b, char *err, size_t errlen)
{
    sqlite3_stmt *st = r->years;
    sqlite3_bind_int64(st, 1, b->first_ord);
    sqlite3_bind_int64(st, 2, b->last_ord);
    size_t pi = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long ord = sqlite3_column_int64(st, 0);
        /* Both walks are in rc_order: advance to the row's person. */
        while (pi < b->npersons && b->persons[pi].ord < ord)
            pi++;
        if (pi == b->npersons)
            break;
        rc_person *p = &b->persons[pi];
        if (p->ord != ord)
            continue; /* a person without live activities: cannot happen */
        if (grow((void **)&b->years, &b->cap_years, b->nyears, sizeof *b->years) < 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        if (p->nyears == 0)
            p->first_year = b->nyears;
        rc_year *y = &b->years[b->nyears++];
        memset(y, 0, sizeof *y);
        y->year = sqlite3_column_int(st, 1);
        y->have_before = 1;
        y->before.public_hours = sqlite3_column_double(st, 2);
        y->before.professional_hours = sqlite3_column_double(st, 3);
        y->before.whole_year = sqlite3_column_int(st, 4);
        y->before_total = sqlite3_column_double(st, 5);
        y->before_compliant = sqlite3_column_int(st, 6);
        p->nyears++;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        snprintf(err, errlen, "读取年度汇总：%s", sqlite3_errmsg(r->db));
        return -1;
    }
    return 0;
}

int rc_read_batch(rc_reader *r, rc_batch *b, long long from, long long upto, long max,
                  char *err, size_t errlen)
{
    rc_batch_clear(b);
    sqlite3_stmt *st = r->acts;
    sqlite3_bind_int64(st, 1, from);
    if (upto > 0)
        sqlite3_bind_int64(st, 2, upto);
    sqlite3_bind_int(st, 3, r->year);
    int rc;
    long long last_id = -1, stop = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long ord = sqlite3_column_int64(st, C_ORD);
        long long aid = sqlite3_column_int64(st, C_ID);
        rc_person *p = b->npersons ? &b->persons[b->npersons - 1] : NULL;
        if (!p || p->ord != ord) {
            if (upto <= 0 && (long)b->nacts >= max) {
                stop = ord; /* the batch ends with a whole person */
                break;
            }
            if (grow((void **)&b->persons, &b->cap_persons, b->npersons, sizeof *b->persons) < 0) {
                rc = SQLITE_NOMEM;
                break;
            }
            p = &b->persons[b->npersons++];
            memset(p, 0, sizeof *p);
            p->ord = ord;
            p->id = col_text(b, st, C_PERSON);
            p->first_act = b->nacts;
            if (!p->id) {
                rc = SQLITE_NOMEM;
                break;
            }
        }
        int new_activity = aid != last_id;
        if (read_activity_row(b, st, new_activity) < 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        if (new_activity)
            p->nacts++;
        last_id = aid;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        snprintf(err, errlen, "读取活动：%s", rc == SQLITE_NOMEM ? "内存不足" : sqlite3_errmsg(r->db));
        return -1;
    }
    for (size_t i = 0; i < b->nacts; i++)
        b->acts[i].before.credits = b->acts[i].before.ncredits ? &b->credits[b->acts[i].first_credit] : NULL;
    /* The range this batch covers, for reading it again: up to the person
     * that did not fit (persons without live activities in between belong
     * to it too). */
    b->first_ord = from;
    b->next_ord = stop;
    b->last_ord = stop ? stop - 1 : (upto > 0 ? upto : LLONG_MAX);
    if (!b->npersons)
        return 0;
    return read_years(r, b, err, errlen);
}
