#include <stdint.h>
#include <string.h>
#include "compliance_memo.h"

void compliance_memo_reset(compliance_memo *m)
{
    memset(m, 0, sizeof *m);
}

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static size_t slot_of(int year, const policy_year_totals *t)
{
    uint64_t h = (uint64_t)year * 0x9E3779B97F4A7C15u;
    h ^= bits_of(t->public_hours) + 0x7F4A7C15u + (h << 6) + (h >> 2);
    h ^= bits_of(t->professional_hours) + 0x165667B1u + (h << 6) + (h >> 2);
    h ^= (uint64_t)(t->whole_year != 0);
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9u;
    h ^= h >> 32;
    return (size_t)(h & (COMPLIANCE_MEMO_SLOTS - 1));
}

/* Exact comparison on purpose: a verdict is reused only for the very same
 * totals, never for "nearly" the same. */
static int same(const compliance_memo_slot *s, int year, const policy_year_totals *t)
{
    return s->year == year && s->whole_year == (t->whole_year != 0) &&
           bits_of(s->public_hours) == bits_of(t->public_hours) &&
           bits_of(s->professional_hours) == bits_of(t->professional_hours);
}

int compliance_memo_get(const compliance_memo *m, int year, const policy_year_totals *t,
                        int *compliant)
{
    const compliance_memo_slot *s = &m->slot[slot_of(year, t)];
    if (s->year == 0 || !same(s, year, t))
        return 0;
    *compliant = s->compliant;
    return 1;
}

void compliance_memo_put(compliance_memo *m, int year, const policy_year_totals *t,
                         int compliant)
{
    compliance_memo_slot *s = &m->slot[slot_of(year, t)];
    s->year = year;
    s->public_hours = t->public_hours;
    s->professional_hours = t->professional_hours;
    s->whole_year = t->whole_year != 0;
    s->compliant = compliant != 0;
}
