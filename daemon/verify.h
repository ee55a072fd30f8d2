/*
 * verify — is a person eligible for a title evaluation (SPEC §6)? Every year
 * of the span the policy of the evaluation year names must be compliant, or
 * covered by a prior certificate (submitted, or issued by xueshi).
 */
#ifndef XS_VERIFY_H
#define XS_VERIFY_H
#include "policy.h"
#include "store.h"

#define VERIFY_MAX_YEARS 16

typedef struct verify_year {
    int year;
    double public_hours, professional_hours, total_hours;
    int whole_year;
    int compliant;       /* by its own hours */
    char covered_by[160];/* "" or what covers it (Chinese) */
    char missing[256];   /* "" or what is missing (Chinese, from the policy) */
} verify_year;

typedef struct verify_result {
    int from_year, to_year;
    int eligible;
    int nyears;
    verify_year years[VERIFY_MAX_YEARS];
} verify_result;

/* 0, or -1 with err (no policy for eval_year, unknown level, database). */
int verify_person(store *s, policy_set *ps, const char *person_id, int eval_year,
                  const char *level, verify_result *out, char *err, size_t errlen);

/* "intermediate"/"中级" → "intermediate", "senior"/"高级" → "senior", else NULL. */
const char *verify_level_canonical(const char *s);

#endif
