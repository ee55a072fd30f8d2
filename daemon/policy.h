/*
 * policy — the Lua host. Each rules/YYYY.lua is loaded into its own
 * sandboxed lua_State (Redis-style: base without dofile/loadfile, string,
 * table, math, utf8; text chunks only; an instruction budget and a capped
 * allocator per evaluation). A policy_set is the complete set of a rules
 * folder; reload builds a new set and swaps it only if every policy loaded
 * (rspamd).
 *
 * The Lua API that policies are written against is documented in
 * docs/policies.md.
 */
#ifndef XS_POLICY_H
#define XS_POLICY_H

#include <stdio.h>
#include <stddef.h>
#include "record.h"

typedef struct policy_set policy_set;

typedef struct policy_info {
    int year;
    char name[64];     /* file name, e.g. "2022.lua" */
    char path[4096];
    char sha256[65];   /* hex of the file's content */
} policy_info;

typedef struct policy_limits {
    long long instructions; /* per call into Lua; 0 = default (50,000,000) */
    size_t memory;          /* bytes per state; 0 = default (64 MiB) */
} policy_limits;

enum policy_status {
    PS_CREDITED = 1,
    PS_PENDING = 2,    /* pending_materials */
    PS_REJECTED = 3,
    PS_SUPERSEDED = 4  /* only ever set by the store */
};
const char *policy_status_name(int status); /* "credited", ... */

typedef struct policy_credit {
    int year;
    char category[16];   /* public | professional | whole_year */
    double hours;
    char *explanation;   /* Chinese, e.g. "培训2天+半天：2×10+4=24学时" */
    /* Per person-year cap shared by credits with the same key (e.g. a degree
     * course counts once a year: key "degree_course", limit 90). NULL = none.
     * The store applies caps in (date, title) order. */
    char *cap_key;
    double cap_limit;
    char *cap_note;      /* Chinese reason shown when a cap cuts the hours */
} policy_credit;

/* At most this many credits per evaluation (policy_eval.c refuses more):
 * the store numbers an activity's credits within a block of
 * STORE_CREDIT_STRIDE ids (store_priv.h). */
#define POLICY_MAX_CREDITS 64

typedef struct policy_result {
    int status;              /* enum policy_status */
    char reason_code[32];    /* "" when credited without remark */
    char *reason;            /* Chinese; NULL when none */
    policy_credit *credits;
    size_t ncredits;
    int cover_from, cover_to;/* prior_certificate: years it covers, else 0 */
    const policy_info *policy; /* the policy that decided, NULL if none */
} policy_result;

void policy_result_clear(policy_result *r); /* frees, and zeroes */

/* Load every YYYY.lua directly under dir. All or nothing: on failure *out is
 * untouched and err names file and line. lim may be NULL. */
int policy_set_load(const char *dir, const policy_limits *lim,
                    policy_set **out, char *err, size_t errlen);
void policy_set_free(policy_set *set);
size_t policy_set_count(const policy_set *set);
const policy_info *policy_set_info(const policy_set *set, size_t i);
/* The policy of year, or NULL. */
const policy_info *policy_set_find(const policy_set *set, int year);

/* Evaluate one normalised activity (a->reason_code == NULL) with the policy
 * of a->year. Never fails as a function: no policy for the year gives
 * rejected/no_policy_for_year; a Lua error, a blown budget or a malformed
 * return gives rejected/policy_error with the message (file:line). Returns 0;
 * -1 only on out-of-memory in C. */
int policy_evaluate(policy_set *set, const activity *a, policy_result *out);

typedef struct policy_year_totals {
    double public_hours, professional_hours;
    int whole_year;
} policy_year_totals;

/* Is year compliant with these totals? missing (malloc'd, caller frees) gets
 * a Chinese description of what is missing ("专业科目差44学时"), or NULL when
 * compliant. Uses the policy of year, or the nearest earlier one, or the
 * nearest later one. Returns 0, or -1 with err. */
int policy_compliance(policy_set *set, int year, const policy_year_totals *t,
                      int *compliant, char **missing, char *err, size_t errlen);

/* The verification span for a title evaluation in eval_year at level
 * ("intermediate" | "senior"), from the policy of eval_year. 0 or -1 + err. */
int policy_span(policy_set *set, int eval_year, const char *level,
                int *from_year, int *to_year, char *err, size_t errlen);

/* Run the tests of every policy in dir (rules/tests/YYYY_test.lua) through
 * this host; one line per policy on out: file, sha256, passed/failed, and
 * each failure with file:line. Returns 0 when all loaded and passed. */
int policy_check_dir(const char *dir, FILE *out, int *passed, int *failed);

/* Added by the policy host (holiday calendars and certificate numbers are
 * policy data, SPEC §6):
 * The date (YYYY-MM-DD) of the n-th working day counting from start (start
 * itself counts when it is a working day), by the holiday calendar of the
 * policy of start's year (or the nearest). 0, or -1 + err. */
int policy_workdays_end(policy_set *set, const char *start, int n, char end[11],
                        char *err, size_t errlen);
/* The number of the seq-th certificate issued for eval_year, as the policy
 * formats it ("潭继教〔2022〕0001号"). 0, or -1 + err. */
int policy_certificate_number(policy_set *set, int eval_year, long long seq,
                              char *out, size_t outlen, char *err, size_t errlen);

#endif
