/*
 * Caps as a pure function: the one rule the store applies across records
 * (SPEC §4 "once per person-year"). The store runs it over the capped
 * credits of every touched person-year at commit (store_years.c), and
 * `rules diff` runs the very same steps in memory to predict what a
 * recompute would store, so the two cannot drift apart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store.h"

static char *join3(const char *a, const char *sep, const char *c)
{
    size_t la = a ? strlen(a) : 0, ls = sep ? strlen(sep) : 0, lc = c ? strlen(c) : 0;
    char *p = malloc(la + ls + lc + 1);
    if (!p)
        return NULL;
    memcpy(p, a ? a : "", la);
    memcpy(p + la, sep ? sep : "", ls);
    memcpy(p + la + ls, c ? c : "", lc);
    p[la + ls + lc] = '\0';
    return p;
}

int store_cap_take(double limit, double raw, double *used, const char *base,
                   const char *note, double *hours, char **explanation)
{
    double left = limit - *used;
    if (left < 0)
        left = 0;
    double now = raw < left ? raw : left;
    *used += now;
    *hours = now;
    *explanation = NULL;
    int cut = now < raw;
    const char *sep = base && *base ? "；" : NULL;
    if (cut && note && *note) {
        *explanation = join3(base, sep, note);
    } else if (cut) {
        /* The policy gave no note: say what happened anyway. */
        char dflt[160];
        snprintf(dflt, sizeof dflt, "本年度同类学时上限%g学时，本项计%g学时", limit, now);
        *explanation = join3(base, sep, dflt);
    } else if (base) {
        *explanation = join3(base, NULL, NULL);
    } else {
        return 0; /* nothing to say, nothing allocated */
    }
    return *explanation ? 0 : -1;
}

/* NULL sorts first, then bytes: SQLite's ORDER BY with the BINARY
 * collation. */
static int text_cmp(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

int store_cap_cmp(const store_cap_item *a, const store_cap_item *b)
{
    int c;
    if (a->year != b->year)
        return a->year < b->year ? -1 : 1;
    if ((c = text_cmp(a->cap_key, b->cap_key)) != 0)
        return c;
    if ((c = text_cmp(a->date, b->date)) != 0)
        return c;
    if ((c = text_cmp(a->title, b->title)) != 0)
        return c;
    if ((c = text_cmp(a->kind, b->kind)) != 0)
        return c;
    if (a->activity_id != b->activity_id)
        return a->activity_id < b->activity_id ? -1 : 1;
    return 0;
}
