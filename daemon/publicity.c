#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cert_content.h"
#include "publicity.h"
#include "record.h"

static const char *const pub_category[PUB__CATEGORIES] = {"public", "professional", "whole_year"};

static char *dup_col(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    return strdup(t ? t : "");
}

static void person_free(publicity_person *p)
{
    free(p->name);
    free(p->unit);
    free(p->professional_title);
    free(p->education);
    for (int y = 0; y < VERIFY_MAX_YEARS; y++)
        for (int c = 0; c < PUB__CATEGORIES; c++)
            free(p->content[y][c]);
}

void publicity_free(publicity_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        person_free(&l->people[i]);
    for (size_t i = 0; i < l->nothers; i++)
        person_free(&l->others[i]);
    free(l->people);
    free(l->others);
    memset(l, 0, sizeof *l);
}

static int contents(sqlite3 *db, publicity_person *p, char *err, size_t errlen)
{
    for (int y = 0; y < p->vr.nyears; y++)
        for (int c = 0; c < PUB__CATEGORIES; c++) {
            cert_buf text = {0};
            if (cert_content(db, p->person_id, p->vr.years[y].year, pub_category[c], NULL, NULL,
                             &text, err, errlen) < 0)
                return -1;
            if (cert_buf_failed(&text) || !(p->content[y][c] = strdup(cert_buf_str(&text)))) {
                cert_buf_free(&text);
                snprintf(err, errlen, "内存不足");
                return -1;
            }
            cert_buf_free(&text);
        }
    return 0;
}

static int push(publicity_person **arr, size_t *n, const publicity_person *p)
{
    publicity_person *na = realloc(*arr, (*n + 1) * sizeof *na);
    if (!na)
        return -1;
    na[(*n)++] = *p;
    *arr = na;
    return 0;
}

int publicity_build(store *s, policy_set *ps, const char *unit, const char *level, int eval_year,
                    const char *start, int days, publicity_list *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    snprintf(out->unit, sizeof out->unit, "%s", unit);
    snprintf(out->level, sizeof out->level, "%s", level);
    snprintf(out->start, sizeof out->start, "%s", start);
    out->eval_year = eval_year;
    out->days = days;
    if (policy_span(ps, eval_year, level, &out->from_year, &out->to_year, err, errlen) != 0)
        return -1;
    if (publicity_workdays_end(ps, start, days, out->end, err, errlen) != 0)
        return -1;

    sqlite3 *db = store_db(s);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT person_id, name, unit, professional_title, education"
                               " FROM people WHERE unit = ?1 ORDER BY name, person_id",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "读取单位人员：%s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_text(st, 1, unit, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        publicity_person p = {0};
        snprintf(p.person_id, sizeof p.person_id, "%s", (const char *)sqlite3_column_text(st, 0));
        record_id_mask(p.person_id, p.masked_id);
        p.name = dup_col(st, 1);
        p.unit = dup_col(st, 2);
        p.professional_title = dup_col(st, 3);
        p.education = dup_col(st, 4);
        if (!p.name || !p.unit || !p.professional_title || !p.education) {
            snprintf(err, errlen, "内存不足");
            goto fail_person;
        }
        if (verify_person(s, ps, p.person_id, eval_year, level, &p.vr, err, errlen) != 0)
            goto fail_person;
        if (p.vr.eligible && contents(db, &p, err, errlen) != 0)
            goto fail_person;
        if (push(p.vr.eligible ? &out->people : &out->others, p.vr.eligible ? &out->n : &out->nothers,
                 &p) != 0) {
            snprintf(err, errlen, "内存不足");
            goto fail_person;
        }
        continue;
    fail_person:
        person_free(&p);
        sqlite3_finalize(st);
        publicity_free(out);
        return -1;
    }
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "读取单位人员：%s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        publicity_free(out);
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}
