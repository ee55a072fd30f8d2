/*
 * store — the SQLite results database (SPEC §7).
 *
 * WAL mode, busy_timeout, BEGIN IMMEDIATE for writes, migrations through
 * PRAGMA user_version (a database newer than the binary is refused). One
 * input file is one write transaction: store_begin … store_put … store_commit,
 * so its records and its "processed" mark can never be committed apart.
 *
 * Identity (SPEC §5): the same activity is (person_id, kind, date, title). A
 * put with identity supersedes the live activity with that identity (any
 * submission, including earlier records of the same file): it becomes
 * "superseded" and its credits leave `credits`. On commit the store re-applies
 * per person-year caps (policy_credit.cap_*) in (date, title, activity_id)
 * order and rewrites `person_years` for every (person, year) the transaction
 * touched, asking the caller whether each year is compliant.
 */
#ifndef XS_STORE_H
#define XS_STORE_H

#include <sqlite3.h>
#include "policy.h"

/* An activity's credits are numbered in a block of their own: credit_id =
 * activity_id × 64 + n, n counting them in (year, category) order (then
 * the policy's). So the credits of an activity are a rowid range, in
 * receipt order, with no index on credits.activity_id to maintain on every
 * insert (migration 9, issue #6). */
#define STORE_CREDIT_STRIDE 64
#define STORE_CREDIT_ID(activity_id, n) ((activity_id) * STORE_CREDIT_STRIDE + (n))
#define STORE_STR_(x) #x
#define STORE_STR(x) STORE_STR_(x)
/* The credits of the activity whose id is expr, as an SQL condition on the
 * credits table (alias t: "c." or ""): its block of ids, and its
 * activity_id. The unary + keeps SQLite from building an automatic index
 * on activity_id for a join instead of reading the rowid range. */
#define STORE_CREDITS_OF_SQL(t, expr)                                         \
    t "credit_id BETWEEN (" expr ") * " STORE_STR(STORE_CREDIT_STRIDE)        \
    " AND (" expr ") * " STORE_STR(STORE_CREDIT_STRIDE) " + "                 \
    STORE_STR(STORE_CREDIT_STRIDE) " - 1 AND +" t "activity_id = (" expr ")"
_Static_assert(POLICY_MAX_CREDITS <= STORE_CREDIT_STRIDE,
               "an activity's credits must fit its block of ids");
/* The order in which r's credits are numbered and stored: ord[k] is the
 * index in r->credits of the k-th, by (year, category), ties in the
 * policy's order. Returns how many (at most STORE_CREDIT_STRIDE). */
size_t store_credit_order(const policy_result *r, unsigned char *ord);

typedef struct store store;

enum store_rc {
    STORE_OK = 0,
    STORE_ERR = -1,   /* anything else; err says what */
    STORE_BUSY = -2,  /* the database is locked by another writer: retry later */
    STORE_FULL = -3,  /* disk or database full: retry later */
    STORE_NEWER = -4  /* database schema newer than this binary */
};

#define STORE_READONLY 1
/* Checkpoint the WAL on a thread of the store's own instead of inside the
 * COMMIT that filled it (store_ckpt.c): for the daemon's lanes and the
 * commands that write. */
#define STORE_BG_CHECKPOINT 2

int store_open(const char *path, int flags, store **out, char *err, size_t errlen);
void store_close(store *s);
sqlite3 *store_db(store *s); /* for read-only queries by the commands */
/* How long a write waits for another writer's lock before STORE_BUSY
 * (default 5000 ms). */
void store_set_busy_timeout(store *s, int ms);
/* For tests: how many person-years a transaction keeps in memory before
 * it moves them to a scratch table (store_pairs.c); 0 restores the
 * default. */
void store_set_pairs_max(store *s, size_t n);
/* Wait until no background checkpoint is asked for or running; returns
 * how many have completed, -1 when the store has no checkpoint thread. */
long long store_wal_checkpoint_wait(store *s);
/* The schema version (PRAGMA user_version) this binary writes. */
int store_schema_version(void);

/* 1 when a submission with this content was committed (its id in *id), 0 when
 * not, <0 store_rc. */
int store_sha_committed(store *s, const char *sha256, long long *id);

typedef struct store_activity {
    const char *person_id;  /* normalised ID; NULL when the ID was invalid */
    const char *name, *unit, *professional_title, *education; /* may be NULL */
    const char *ref, *kind, *subject, *topic, *title, *date;  /* may be NULL */
    int year;               /* 0 if unknown */
    int has_identity;       /* person_id, kind, date, title all valid */
    const char *payload;    /* the raw record, serialised (for recompute) */
    long long record_index; /* 1-based position in the file */
} store_activity;

/* Opens the write transaction (BEGIN IMMEDIATE) and the submission row. */
int store_begin(store *s, const char *file_name, const char *sha256,
                const char *received_at, long long *submission_id,
                char *err, size_t errlen);
/* One record and its outcome (r->status PS_CREDITED/PS_PENDING/PS_REJECTED).
 * On failure the whole transaction has been rolled back (the file is to be
 * retried as a whole); store_rollback is then a no-op. */
int store_put(store *s, long long submission_id, const store_activity *a,
              const policy_result *r, long long *activity_id,
              char *err, size_t errlen);

typedef int (*store_compliance_fn)(void *ud, int year,
                                   const policy_year_totals *t, int *compliant);
/* Applies caps, rewrites the touched person_years, fills the submission's
 * counts, marks it processed and commits. On failure rolls back. fn is
 * required; it must not use the store's connection. The counts are the
 * outcomes as each record was put (records = credited + pending + rejected),
 * also for a record superseded later in the same file. */
int store_commit(store *s, long long submission_id, store_compliance_fn fn,
                 void *ud, char *err, size_t errlen);
void store_rollback(store *s);

/* Slices of a very large input (store_slice.c): commit what was put so far
 * with the progress mark last_index and the running counts, the submission
 * staying 'processing'; then store_resume opens the next transaction on the
 * same submission. */
int store_checkpoint(store *s, long long submission_id, long long last_index,
                     store_compliance_fn fn, void *ud, char *err, size_t errlen);
int store_resume(store *s, long long submission_id, char *err, size_t errlen);
/* 1 and the submission and its last committed record index when a sliced
 * ingest of this content is unfinished (a crash), 0 when not, <0 store_rc. */
int store_find_unfinished(store *s, const char *sha256, long long *submission_id,
                          long long *last_index);

/* A file whose content was already committed: one row with status
 * "duplicate" and zero counts, in its own transaction. */
int store_put_duplicate(store *s, const char *file_name, const char *sha256,
                        const char *received_at, long long *submission_id,
                        char *err, size_t errlen);

/* ---- caps as a pure function (store_cap.c) ------------------------------
 * Credits of one person-year that share a cap key consume its limit in
 * (date, title, kind, activity_id) order; store_cap_cmp is that order
 * (year and cap key first, to group them). store_cap_take is the step for
 * one credit: *used is the group's running total (0 before its first
 * credit); *hours gets what the credit keeps and *explanation what it says
 * (malloc'd: base, plus the policy's note when the cap cut it; NULL when
 * base is NULL and nothing was cut). The store runs it at every commit;
 * `rules diff` runs it in memory to predict the store. -1 on out of
 * memory. */
typedef struct store_cap_item {
    int year;
    const char *cap_key, *date, *title, *kind;
    long long activity_id;
} store_cap_item;
int store_cap_cmp(const store_cap_item *a, const store_cap_item *b);
int store_cap_take(double limit, double raw, double *used, const char *base,
                   const char *note, double *hours, char **explanation);

/* ---- policy revisions (store_revision.c) --------------------------------
 * policy_revisions holds every policy file content (file name, SHA-256)
 * this database has seen, with when and how it was first loaded: "start"
 * or "reload" (the daemon), "ingest", "recompute". Every credit names its
 * revision (credits.revision_id): store_put looks it up or inserts it
 * (how "ingest"), cached per store handle so the put path does not query
 * per record. */
/* Records the revision of every policy of set (those already known are
 * left as they are). Inside an open transaction it is part of it;
 * otherwise it takes its own, and only when a revision is new. */
int store_record_revisions(store *s, const policy_set *set, const char *how,
                           char *err, size_t errlen);
/* Opens the database at db_path, records, closes (the daemon at start and
 * on reload). */
int store_record_revisions_at(const char *db_path, const policy_set *set, const char *how,
                              char *err, size_t errlen);

/* ---- recompute (store_recompute.c) --------------------------------------
 * Re-evaluated outcomes replace stored ones in place: the activity keeps
 * its id, submission and identity; its status, reason and policy change;
 * its old credits move to credit_history (reason "recompute") and the new
 * ones are inserted. Like a submission, a recompute transaction re-applies
 * caps and rewrites person_years for every (person, year) it touched.
 * Only whole persons should be put in one transaction, so that readers
 * never see a half-recomputed person. */
int store_recompute_begin(store *s, char *err, size_t errlen);
/* r->status PS_CREDITED/PS_PENDING/PS_REJECTED; person_id of the activity;
 * same_status: the stored status is r->status already (then it is not
 * rewritten: see store_open.c). */
int store_recompute_put(store *s, long long activity_id, const char *person_id,
                        const policy_result *r, int same_status, char *err, size_t errlen);
/* The outcome (status, reason, credits) stays as stored, but revision
 * r->policy decided it now: the activity and its credits name that
 * revision, in place; nothing moves to history, no person-year changes. */
int store_recompute_revise(store *s, long long activity_id, const policy_result *r,
                           char *err, size_t errlen);
/* A (person, year) to rewrite although none of its credits changed (its
 * policy's requirement did). */
int store_recompute_touch(store *s, const char *person_id, int year, char *err, size_t errlen);
/* Caps, person_years, COMMIT; on failure rolls back. */
int store_recompute_commit(store *s, store_compliance_fn fn, void *ud, char *err, size_t errlen);
/* 1 when another connection committed since the previous call, 0 when
 * not (and on the first call); <0 store_rc. recompute reads a batch in one
 * transaction and writes it in the next: this says whether the batch may
 * have changed in between. */
int store_changed_elsewhere(store *s);

#endif
