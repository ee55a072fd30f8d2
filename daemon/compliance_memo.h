/*
 * compliance_memo — the policies' compliance verdicts remembered by
 * (year, totals) while one file is committed.
 *
 * Every commit asks the policy whether each touched person-year is
 * compliant: one Lua call per person-year, on the writer thread, which is
 * the busier one. Person-years repeat the same totals over and over (90
 * hours of which 60 professional …), and a policy's compliance is a
 * function of the year and the totals only (the sandbox gives it nothing
 * else to look at), so a verdict once known is reused. The memo lives for
 * one file, with the policy set that file is evaluated with.
 */
#ifndef XS_COMPLIANCE_MEMO_H
#define XS_COMPLIANCE_MEMO_H
#include "policy.h"

#define COMPLIANCE_MEMO_SLOTS 4096 /* a power of two */

typedef struct compliance_memo_slot {
    double public_hours, professional_hours;
    int year; /* 0: empty */
    signed char whole_year, compliant;
} compliance_memo_slot;

typedef struct compliance_memo {
    compliance_memo_slot slot[COMPLIANCE_MEMO_SLOTS];
    unsigned long hits, misses; /* for the debug log */
} compliance_memo;

void compliance_memo_reset(compliance_memo *m);
/* 1 and *compliant when known, else 0. */
int compliance_memo_get(const compliance_memo *m, int year, const policy_year_totals *t,
                        int *compliant);
/* Remember a verdict (replacing whatever held its slot). */
void compliance_memo_put(compliance_memo *m, int year, const policy_year_totals *t,
                         int compliant);

#endif
