#include <stdio.h>
#include <stdlib.h>
#include "publicity.h"
#include "record.h"

static void next_day(const char *day, char out[11])
{
    int y, m, d;
    record_parse_date(day, &y, &m, &d);
    record_civil_from_days(record_days_from_civil(y, m, d) + 1, &y, &m, &d);
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

/* The first working day on or after day, by the calendar of day's year;
 * when that lands in a later year, asked again from January 1 of that
 * year with its own calendar. */
static int first_workday(policy_set *ps, const char *day, char out[11], char *err, size_t errlen)
{
    char from[11];
    snprintf(from, sizeof from, "%s", day);
    for (int guard = 0; guard < 20; guard++) {
        if (policy_workdays_end(ps, from, 1, out, err, errlen) != 0)
            return -1;
        if (atoi(out) == atoi(from))
            return 0;
        snprintf(from, sizeof from, "%04d-01-01", atoi(from) + 1);
    }
    snprintf(err, errlen, "no working day found after %s", day);
    return -1;
}

int publicity_workdays_end(policy_set *ps, const char *start, int n, char end[11],
                           char *err, size_t errlen)
{
    int y, m, d;
    if (!record_parse_date(start, &y, &m, &d) || n < 1 || n > 366) {
        snprintf(err, errlen, "bad period: %s, %d working days", start, n);
        return -1;
    }
    char day[11];
    snprintf(day, sizeof day, "%04d-%02d-%02d", y, m, d);
    for (int i = 0; i < n; i++) {
        if (first_workday(ps, day, end, err, errlen) != 0)
            return -1;
        next_day(end, day);
    }
    return 0;
}
