/*
 * cert_content — what a person learned in a year, as the forms list it:
 * the titles of the credited activities of one category (公需科目、专业科目
 * 学习内容 of the 公示名单, the second page of the 学时认定单).
 */
#ifndef XS_CERT_CONTENT_H
#define XS_CERT_CONTENT_H
#include <sqlite3.h>
#include "cert_buf.h"
#include "cert_template.h"

/* For each credited activity of (person, year) with credits of category
 * (public | professional | whole_year) worth more than 0 hours (a course cut
 * to 0 by a once-a-year cap counts for nothing), in (date, title) order:
 * an item {{title}}, {{hours}} in the list list_key of v (when v), and
 * "title（24学时）" joined by "；" in text (when text). Returns the number of
 * activities, or -1 with err. */
int cert_content(sqlite3 *db, const char *person_id, int year, const char *category,
                 cert_vars *v, const char *list_key, cert_buf *text, char *err, size_t errlen);

/* Hours as the forms print them: 24, 1.5 */
void cert_hours(double h, char *out, size_t outlen);

#endif
