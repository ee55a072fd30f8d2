/*
 * publicity — the 公示名单 of a unit (seed notice 二(一)1; SPEC §6): the
 * unit's qualified applicants for a title level and evaluation year, with
 * each year's public- and professional-subject content and hours, published
 * for at least 5 working days; the end of that period comes from the
 * holiday calendars of the policies (publicity_period.c).
 *
 * publicity_build gathers the list; publicity_html (through the template
 * RULES/templates/publicity-YYYY.html) and publicity_csv print it.
 */
#ifndef XS_PUBLICITY_H
#define XS_PUBLICITY_H
#include "cert_buf.h"
#include "policy.h"
#include "store.h"
#include "verify.h"

enum { PUB_PUBLIC, PUB_PROFESSIONAL, PUB_WHOLE_YEAR, PUB__CATEGORIES };

typedef struct publicity_person {
    char person_id[19], masked_id[19];
    char *name, *unit, *professional_title, *education;
    verify_result vr;
    /* "title（24学时）；…" per year of the span and category */
    char *content[VERIFY_MAX_YEARS][PUB__CATEGORIES];
} publicity_person;

typedef struct publicity_list {
    char unit[512];
    char level[16];        /* intermediate | senior */
    int eval_year, from_year, to_year;
    char start[11], end[11];
    int days;              /* working days of the period */
    publicity_person *people;    /* qualified, by name then ID */
    size_t n;
    publicity_person *others;    /* the unit's people who are not (contents empty) */
    size_t nothers;
} publicity_list;

/* Builds the list of unit for (level, eval_year) with a period of days
 * working days from start. 0, or -1 with err. */
int publicity_build(store *s, policy_set *ps, const char *unit, const char *level, int eval_year,
                    const char *start, int days, publicity_list *out, char *err, size_t errlen);
void publicity_free(publicity_list *l);

/* The last day of a period of n working days from start (start counts when
 * it is a working day). Each day is judged by the calendar of its own
 * year's policy (policy_workdays_end), so a period that starts in late
 * December sees the next year's 元旦. 0, or -1 with err. */
int publicity_workdays_end(policy_set *ps, const char *start, int n, char end[11],
                           char *err, size_t errlen);

/* The list as CSV for Excel: UTF-8 with a BOM, CRLF, one row per person and
 * year. */
void publicity_csv(const publicity_list *l, cert_buf *out);
/* One CSV field: quoted when it holds a comma, quote, CR or LF; a leading
 * = + - @ (a formula to Excel) is neutralised with an apostrophe. */
void publicity_csv_field(cert_buf *out, const char *s);

/* The list as a printable HTML page from the template of l->eval_year under
 * rules_dir (its path into template_path). 0, or -1 with err. */
int publicity_html(const char *rules_dir, const publicity_list *l, cert_buf *out,
                   char *template_path, size_t pathlen, char *err, size_t errlen);

#endif
