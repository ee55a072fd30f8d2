/*
 * policy_internal — what daemon/policy*.c share and nobody else needs.
 */
#ifndef XS_POLICY_INTERNAL_H
#define XS_POLICY_INTERNAL_H

#include "policy.h"
#include "policy_sandbox.h"

/* One policy file: its own sandbox, and the table it returned. */
typedef struct policy_entry {
    policy_info info;
    policy_sandbox *sb;
    int ref; /* registry reference of the policy table */
} policy_entry;

struct policy_set {
    policy_entry *v; /* by year, ascending */
    size_t n;
};

/* policy_set.c */
/* The years of the YYYY.lua files directly under dir, ascending (malloc'd). */
int policy_scan_dir(const char *dir, int **years, size_t *n, char *err, size_t errlen);
/* Load and check dir/YYYY.lua into a new sandbox. print_out: see sandbox. */
int policy_entry_load(policy_entry *e, const char *dir, int year,
                      const policy_limits *lim, FILE *print_out,
                      char *err, size_t errlen);
void policy_entry_free(policy_entry *e);
/* The policy of year exactly, or NULL. */
policy_entry *policy_entry_find(policy_set *set, int year);
/* Exactly, else the nearest earlier, else the nearest later; NULL if none. */
policy_entry *policy_entry_nearest(policy_set *set, int year);

/* policy_eval.c — all inside a sandbox call; errors are raised. */
void policy_push_activity(lua_State *L, const activity *a);
/* Calls P.evaluate(P, activity) (P at pidx, activity on top, popped) and
 * reads the returned table into out (which must be zeroed). */
void policy_eval_lua(lua_State *L, int pidx, policy_result *out);
/* The result of a failed evaluation: rejected/policy_error naming the file. */
int policy_error_result(policy_result *out, const policy_info *info,
                        const char *msg, const char *trace);

/* policy_query.c — inside a sandbox call; P at pidx; errors are raised. */
/* Returns compliant and pushes the missing text (a string) or nil. */
int policy_compliance_lua(lua_State *L, int pidx, int year, const policy_year_totals *t);
void policy_span_lua(lua_State *L, int pidx, int eval_year, const char *level,
                     int *from, int *to);
/* Pushes the end date (a string). */
void policy_workdays_end_lua(lua_State *L, int pidx, const char *start, int n);

/* A malloc'd copy, or NULL (also for NULL). */
char *policy_strdup(const char *s);

#endif
