/*
 * Per person-year work done once per commit for every (person, year) that
 * the transaction touched: re-applying caps, then rewriting person_years.
 *
 * Both are functions of the person-year's live credits only, never of the
 * order files arrived in (SPEC §4: "the same activities give the same
 * credits whatever files or order they came in"), so recomputing them from
 * the table is always right, and superseding the first of two capped
 * courses moves the hours to the other.
 *
 * Which pairs were touched: those of the uncapped credits this transaction
 * inserted, noted in memory as they were put (store_pairs.c), and those
 * noted in temp.xs_touched: of the credits it deleted when superseding, and
 * of every capped credit, inserted or deleted (capped = 1), which are the
 * only pairs whose caps can change.
 *
 * Efficiency for a million touched pairs: the array is sorted in C, the
 * few SQL pairs by one GROUP BY, the two are merged, and each pair's
 * credits are then read through a covering index in that order, so the
 * b-tree is walked forwards rather than probed at random.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store_priv.h"

typedef struct strbuf {
    char *p;
    size_t len, cap;
} strbuf;

static int sb_set(strbuf *b, const char *a, const char *sep, const char *c)
{
    size_t la = a ? strlen(a) : 0, ls = sep ? strlen(sep) : 0, lc = c ? strlen(c) : 0;
    size_t need = la + ls + lc + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p, a ? a : "", la);
    memcpy(b->p + la, sep ? sep : "", ls);
    memcpy(b->p + la + ls, c ? c : "", lc);
    b->len = need - 1;
    b->p[b->len] = '\0';
    return 0;
}

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* ---- caps ---------------------------------------------------------------- */

/* CROSS JOIN fixes the loop order (touched pairs outside), whatever the
 * statistics say: a commit must cost what it touched, not what is stored.
 * Every capped credit of the touched person-years, grouped by cap key and in
 * the order the cap is consumed: the earliest activity (date, then title)
 * gets the hours. kind and activity_id only break ties between different
 * activities with the same date and title, so the result does not depend on
 * arrival order unless two activities are equal in everything but kind.
 * store_cap_cmp (store_cap.c) is this ORDER BY in C: change both or
 * neither. */
static const char caps_sql[] =
    "SELECT c.credit_id, c.person_id, c.year, c.cap_key, c.cap_limit, c.raw_hours,"
    " c.hours, c.base_explanation, c.cap_note, c.explanation"
    " FROM (SELECT DISTINCT person_id, year FROM temp.xs_touched WHERE capped) t"
    " CROSS JOIN credits c ON c.person_id = t.person_id AND c.year = t.year"
    "  AND c.cap_key IS NOT NULL"
    " CROSS JOIN activities a ON a.activity_id = c.activity_id"
    " ORDER BY c.person_id, c.year, c.cap_key, a.date, a.title, a.kind, a.activity_id";

static int caps_apply(store *s, char *err, size_t errlen)
{
    sqlite3_stmt *sel = NULL, *ins = NULL;
    strbuf key = {0}, row_key = {0};
    int rc = sqlite3_prepare_v2(s->db, caps_sql, -1, &sel, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db,
                                "INSERT INTO temp.xs_cap_update(credit_id, hours, explanation)"
                                " VALUES (?1, ?2, ?3)",
                                -1, &ins, NULL);
    if (rc != SQLITE_OK)
        goto done;

    int have_group = 0;
    long updates = 0;
    double used = 0;
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        long long credit_id = sqlite3_column_int64(sel, 0);
        const char *person = (const char *)sqlite3_column_text(sel, 1);
        int year = sqlite3_column_int(sel, 2);
        const char *cap_key = (const char *)sqlite3_column_text(sel, 3);
        double limit = sqlite3_column_double(sel, 4);
        double raw = sqlite3_column_double(sel, 5);
        double hours = sqlite3_column_double(sel, 6);
        const char *base = (const char *)sqlite3_column_text(sel, 7);
        const char *cap_note = (const char *)sqlite3_column_text(sel, 8);
        const char *cur = (const char *)sqlite3_column_text(sel, 9);

        /* The group is person + year + cap key, folded into one string to
         * compare all three at once. */
        char yb[16];
        snprintf(yb, sizeof yb, "\x1f%d\x1f", year);
        if (sb_set(&row_key, person, yb, cap_key) < 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        if (!have_group || strcmp(row_key.p, key.p) != 0) {
            if (sb_set(&key, row_key.p, NULL, NULL) < 0) {
                rc = SQLITE_NOMEM;
                break;
            }
            have_group = 1;
            used = 0;
        }

        /* The step itself is store_cap_take, shared with `rules diff`. */
        double now;
        char *want;
        if (store_cap_take(limit, raw, &used, base, cap_note, &now, &want) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        if (now == hours && same_text(want, cur)) {
            free(want);
            continue;
        }
        sqlite3_bind_int64(ins, 1, credit_id);
        sqlite3_bind_double(ins, 2, now);
        if (want)
            sqlite3_bind_text(ins, 3, want, -1, SQLITE_TRANSIENT);
        free(want);
        if ((rc = store__step_done(ins)) != SQLITE_OK)
            break;
        updates++;
    }
    if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
    sqlite3_finalize(sel);
    sel = NULL;
    /* Driven by the buffered updates (IN … rowid lookups): an UPDATE … FROM
     * here is planned as a scan of every credit, on every commit. And
     * usually there is nothing to update at all. */
    if (rc == SQLITE_OK && updates)
        rc = sqlite3_exec(s->db,
                          "UPDATE credits SET (hours, explanation) = (SELECT u.hours, u.explanation"
                          "  FROM temp.xs_cap_update u WHERE u.credit_id = credits.credit_id)"
                          " WHERE credit_id IN (SELECT credit_id FROM temp.xs_cap_update);"
                          "DELETE FROM temp.xs_cap_update;",
                          NULL, NULL, NULL);
done:
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    free(key.p);
    free(row_key.p);
    return rc == SQLITE_OK ? STORE_OK : store__fail(s->db, rc, "计算学时上限", err, errlen);
}

/* ---- person_years -------------------------------------------------------- */

/* The pairs noted in SQL (deleted and capped credits, and those spilled by
 * store_pairs.c), sorted and without repeats like the array of
 * store_pairs.c, so that the two merge in one pass. */
static const char touched_sql[] =
    "SELECT person_id, year FROM temp.xs_touched GROUP BY person_id, year"
    " ORDER BY person_id, year";

/* One person-year's credits, through the covering index and in its order
 * (category, hours), as every person_years row has been summed. A pair
 * without credits left (its last credit was superseded) has no rows. */
static const char sums_sql[] =
    "SELECT category, hours FROM credits INDEXED BY credits_person_year"
    " WHERE person_id = ?1 AND year = ?2";

typedef struct year_acc {
    const char *person; /* valid while the pair is written */
    int year;
    int ncredits;
    policy_year_totals t;
} year_acc;

static int year_flush(store *s, sqlite3_stmt *put, sqlite3_stmt *del,
                      const year_acc *y, store_compliance_fn fn, void *ud,
                      char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (y->ncredits == 0) {
        st = del;
        sqlite3_bind_text(st, 1, y->person, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, y->year);
    } else {
        int compliant = 0;
        if (fn(ud, y->year, &y->t, &compliant) != 0) {
            store__seterr(err, errlen, "判断%d年度是否达标失败", y->year);
            return STORE_ERR;
        }
        st = put;
        sqlite3_bind_text(st, 1, y->person, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, y->year);
        sqlite3_bind_double(st, 3, y->t.public_hours);
        sqlite3_bind_double(st, 4, y->t.professional_hours);
        sqlite3_bind_int(st, 5, y->t.whole_year ? 1 : 0);
        sqlite3_bind_double(st, 6, y->t.public_hours + y->t.professional_hours +
                                       (y->t.whole_year ? 90 : 0));
        sqlite3_bind_int(st, 7, compliant ? 1 : 0);
    }
    int rc = store__step_done(st);
    return rc == SQLITE_OK ? STORE_OK : store__fail(s->db, rc, "写入年度汇总", err, errlen);
}

/* Sum one pair's credits into y and write its row. */
static int year_one(store *s, sqlite3_stmt *sums, sqlite3_stmt *put, sqlite3_stmt *del,
                    const char *person, int year, store_compliance_fn fn, void *ud,
                    char *err, size_t errlen)
{
    year_acc y = {person, year, 0, {0, 0, 0}};
    sqlite3_bind_text(sums, 1, person, -1, SQLITE_STATIC);
    sqlite3_bind_int(sums, 2, year);
    int src;
    while ((src = sqlite3_step(sums)) == SQLITE_ROW) {
        const char *cat = (const char *)sqlite3_column_text(sums, 0);
        if (!cat)
            continue;
        y.ncredits++;
        double h = sqlite3_column_double(sums, 1);
        if (strcmp(cat, "public") == 0)
            y.t.public_hours += h;
        else if (strcmp(cat, "professional") == 0)
            y.t.professional_hours += h;
        else if (strcmp(cat, "whole_year") == 0)
            y.t.whole_year = 1;
    }
    sqlite3_reset(sums);
    if (src != SQLITE_DONE)
        return store__fail(s->db, src, "计算年度汇总", err, errlen);
    return year_flush(s, put, del, &y, fn, ud, err, errlen);
}

static int years_rewrite(store *s, store_compliance_fn fn, void *ud, char *err, size_t errlen)
{
    sqlite3_stmt *sel = NULL, *sums = NULL, *put = NULL, *del = NULL;
    int rc = sqlite3_prepare_v2(s->db, touched_sql, -1, &sel, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db, sums_sql, -1, &sums, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db,
                                "INSERT OR REPLACE INTO person_years(person_id, year,"
                                " public_hours, professional_hours, whole_year, total_hours,"
                                " compliant) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                -1, &put, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db,
                                "DELETE FROM person_years WHERE person_id = ?1 AND year = ?2",
                                -1, &del, NULL);
    if (rc != SQLITE_OK) {
        rc = store__fail(s->db, rc, "准备年度汇总", err, errlen);
        goto done;
    }

    /* Merge the sorted array with the sorted SQL pairs; a pair in both is
     * written once. */
    store__pairs_sort(s);
    size_t i = 0;
    int src = sqlite3_step(sel);
    rc = STORE_OK;
    while (rc == STORE_OK && (src == SQLITE_ROW || (src == SQLITE_DONE && i < s->npairs))) {
        const store_pair *mem = i < s->npairs ? &s->pairs[i] : NULL;
        char mid[19] = "";
        if (mem)
            store__pair_person(mem, mid);
        int cmp = -1; /* < 0: the array's pair comes first */
        const char *person = NULL;
        int year = 0;
        if (src == SQLITE_ROW) {
            person = (const char *)sqlite3_column_text(sel, 0);
            year = sqlite3_column_int(sel, 1);
            if (!person) { /* cannot happen: NOT NULL */
                src = sqlite3_step(sel);
                continue;
            }
            if (!mem)
                cmp = 1;
            else if ((cmp = strcmp(mid, person)) == 0)
                cmp = (mem->year > year) - (mem->year < year);
        }
        if (cmp <= 0) {
            rc = year_one(s, sums, put, del, mid, mem->year, fn, ud, err, errlen);
            i++;
        } else {
            rc = year_one(s, sums, put, del, person, year, fn, ud, err, errlen);
        }
        if (cmp >= 0)
            src = sqlite3_step(sel);
    }
    if (rc == STORE_OK && src != SQLITE_DONE)
        rc = store__fail(s->db, src, "读取年度汇总", err, errlen);
done:
    sqlite3_finalize(sel);
    sqlite3_finalize(sums);
    sqlite3_finalize(put);
    sqlite3_finalize(del);
    return rc;
}

int store__recompute_touched(store *s, store_compliance_fn fn, void *ud,
                             char *err, size_t errlen)
{
    if (!fn) {
        store__seterr(err, errlen, "提交：缺少判断年度达标的回调");
        return STORE_ERR;
    }
    /* Only a big transaction (a large input file) has a sort worth
     * shrinking the cache for. Shrinking throws the cached pages away,
     * which small transactions in a row (a recompute's batches) would pay
     * for again and again. */
    int shrink = s->n_credits_txn > STORE_SORT_SHRINK_CREDITS;
    char sql[64];
    int rc = STORE_OK;
    if (shrink) {
        snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d", STORE_SORT_CACHE_KIB);
        rc = store__exec(s->db, sql, "设置缓存", err, errlen);
    }
    if (rc == STORE_OK)
        rc = caps_apply(s, err, errlen);
    if (rc == STORE_OK)
        rc = years_rewrite(s, fn, ud, err, errlen);
    if (shrink) {
        snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d", STORE_CACHE_KIB);
        sqlite3_exec(s->db, sql, NULL, NULL, NULL); /* only a size hint */
    }
    store__pairs_reset(s);
    return rc;
}
