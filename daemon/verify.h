/*
 * verify — is a person eligible for a title evaluation (SPEC §6)? Every year
 * of the span the policy of the evaluation year names must be compliant, or
 * covered by a prior certificate (submitted, or issued by xueshi for
 * another evaluation: the one issued for this very level and year does not
 * count, so verifying after certifying still shows the hours).
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
    /* The certificate that covers the year, looked up for every year (a
     * compliant year may be covered too); issued ones first. */
    char covered_by[160];/* "" or what covers it (Chinese) */
    const char *cover_kind; /* NULL, "issued" (by xueshi) or "submitted" (prior_certificate) */
    char cover_number[96];  /* the certificate number or the record's ref; may be "" */
    int cover_from, cover_to;
    char missing[256];   /* "" or what is missing (Chinese, from the policy;
                            it starts with the year: "2019年：专业科目差44学时") */
} verify_year;

typedef struct verify_result {
    int from_year, to_year;
    int eligible;
    int known;           /* the person has a row in people */
    int nyears;
    verify_year years[VERIFY_MAX_YEARS];
} verify_result;

/* 0, or -1 with err (no policy for eval_year, unknown level, database). */
int verify_person(store *s, policy_set *ps, const char *person_id, int eval_year,
                  const char *level, verify_result *out, char *err, size_t errlen);

/* The Chinese text of a year's missing hours without its leading "2019年：". */
const char *verify_missing_text(const verify_year *y);

/* "intermediate"/"中级" → "intermediate", "senior"/"高级" → "senior", else NULL. */
const char *verify_level_canonical(const char *s);

#endif
