/*
 * recompute internals shared by the recompute_*.c files: a batch of whole
 * persons as read from the database (the "before"), what the evaluation
 * makes of it (the "after"), and the pieces that move it along.
 *
 *   recompute_read.c   SQL → batch (activities, credits, covers, person-years)
 *   recompute_eval.c   one person: evaluate, caps, totals, compare (worker threads)
 *   recompute_pool.c   the worker threads
 *   recompute_report.c text / JSON report and totals (main thread, person order)
 *   recompute_run.c    the loop: read, evaluate, report, write
 */
#ifndef XS_RECOMPUTE_PRIV_H
#define XS_RECOMPUTE_PRIV_H

#include <stddef.h>
#include "recompute.h"

#define RC_MAX_JOBS 16

/* ---- arena: a batch's strings and arrays, freed all at once ------------- */
typedef struct rc_chunk rc_chunk;
typedef struct rc_arena {
    rc_chunk *head; /* the chunk being filled; older ones follow */
} rc_arena;
void *rc_alloc(rc_arena *a, size_t n);           /* NULL on out of memory */
const char *rc_strdup(rc_arena *a, const char *s); /* NULL stays NULL; "" on OOM is not returned: NULL */
void rc_arena_reset(rc_arena *a);               /* keeps the first chunk */
void rc_arena_free(rc_arena *a);

/* ---- a batch ----------------------------------------------------------- */
typedef struct rc_credit {
    int year;
    const char *category;
    double hours;            /* as counted (after caps) */
    const char *explanation; /* as counted */
    double raw;              /* what the policy gave */
    const char *base;        /* the policy's own explanation */
    const char *cap_key, *cap_note;
    double cap_limit;
} rc_credit;

enum { RC_CREDITED = 0, RC_PENDING = 1, RC_REJECTED = 2 };
/* RC_REVISE: the same outcome, decided by another policy revision (only the
 * revision is updated); RC_REPLACE: a new outcome (credits move to
 * credit_history, new ones are inserted). */
enum { RC_KEEP = 0, RC_REVISE = 1, RC_REPLACE = 2 };

typedef struct rc_outcome {
    int status;               /* RC_* */
    const char *reason_code, *reason;
    const char *policy, *sha256;
    rc_credit *credits;
    size_t ncredits;
    int cover_from, cover_to;
    double hours;             /* sum of the credits' counted hours */
} rc_outcome;

typedef struct rc_activity {
    long long id, record_index;
    size_t first_credit;      /* into rc_batch.credits, while reading */
    const char *ref, *kind, *title, *date;
    int year;
    int in_scope;             /* its status came from a policy (and --year) */
    const char *payload;      /* in scope only */
    rc_outcome before, after;
    policy_result res;        /* the evaluation (in scope), until written */
    int evaluated;            /* res is valid */
    int changed;              /* visible change: status, reason, hours, explanations */
    int rewrite;              /* what the store must write: RC_KEEP, RC_REVISE, RC_REPLACE */
} rc_activity;

typedef struct rc_year {
    int year;
    int have_before, have_after;  /* a person_years row exists / would exist */
    policy_year_totals before, after;
    double before_total, after_total;
    int before_compliant, after_compliant;
    const char *missing;      /* after, when not compliant (policy's text) */
    int changed;              /* totals, presence or compliance differ */
} rc_year;

typedef struct rc_person {
    const char *id;
    long long ord;              /* its place in rc_order */
    size_t first_act, nacts;
    size_t first_year, nyears;  /* person_years rows as read (before) */
    rc_year *years;             /* after evaluation: the touched years */
    size_t ntouched;
} rc_person;

typedef struct rc_batch {
    rc_arena arena;                   /* what the reader copied */
    rc_arena work[RC_MAX_JOBS];       /* what each worker made */
    rc_person *persons;
    size_t npersons, cap_persons;
    rc_activity *acts;
    size_t nacts, cap_acts;
    rc_credit *credits;               /* before credits, contiguous per activity */
    size_t ncredits, cap_credits;
    rc_year *years;                   /* person_years rows, contiguous per person */
    size_t nyears, cap_years;
    /* Persons are numbered by rc_order (recompute_read.c): the batch
     * covers [first_ord, last_ord]; the next batch starts at next_ord (0:
     * none, this one reached the end). */
    long long first_ord, last_ord, next_ord;
    /* Set by the workers. */
    int failed;
    char err[512];
} rc_batch;

/* recompute_read.c */
typedef struct rc_reader rc_reader;
int rc_reader_open(rc_reader **out, store *db, int year, char *err, size_t errlen);
void rc_reader_close(rc_reader *r);
/* Reads the persons from number `from` on (1 = the first), up to about max
 * activities, whole persons; with upto > 0 exactly the persons numbered
 * from..upto. An empty batch means the end. 0 or -1 + err. */
int rc_read_batch(rc_reader *r, rc_batch *b, long long from, long long upto, long max,
                  char *err, size_t errlen);
void rc_batch_clear(rc_batch *b); /* frees the evaluations, resets for reuse */
void rc_batch_free(rc_batch *b);

/* recompute_eval.c: one person of b, with set, worker w's arena. */
typedef struct rc_eval_ctx {
    policy_set *set;
    int year;
    const char *today;
    record_payload *payload;  /* the worker's buffers */
    activity *act;
} rc_eval_ctx;
void rc_eval_person(rc_eval_ctx *ctx, rc_batch *b, int worker, rc_person *p);

/* recompute_pool.c: worker threads running fn(ud, worker, b, i) for every
 * person i of the submitted batch. */
typedef struct rc_pool rc_pool;
typedef void (*rc_work_fn)(void *ud, int worker, rc_batch *b, size_t i);
int rc_pool_start(rc_pool **out, int workers, rc_work_fn fn, void *ud, char *err, size_t errlen);
void rc_pool_submit(rc_pool *p, rc_batch *b); /* one batch at a time */
void rc_pool_wait(rc_pool *p);                /* until the submitted batch is done */
void rc_pool_stop(rc_pool *p);

/* recompute_report.c */
typedef struct rc_report rc_report;
/* NULL *out when o->out is NULL; every other function accepts NULL. */
int rc_report_start(rc_report **out, const recompute_opts *o, char *err, size_t errlen);
void rc_report_header(rc_report *r, const policy_set *set);
void rc_report_person(rc_report *r, const rc_batch *b, const rc_person *p, recompute_totals *t);
void rc_report_finish(rc_report *r, const recompute_totals *t);
void rc_report_free(rc_report *r);
const char *rc_status_name(int rc_status); /* "credited", … */

#endif
