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

typedef struct store store;

enum store_rc {
    STORE_OK = 0,
    STORE_ERR = -1,   /* anything else; err says what */
    STORE_BUSY = -2,  /* the database is locked by another writer: retry later */
    STORE_FULL = -3,  /* disk or database full: retry later */
    STORE_NEWER = -4  /* database schema newer than this binary */
};

#define STORE_READONLY 1

int store_open(const char *path, int flags, store **out, char *err, size_t errlen);
void store_close(store *s);
sqlite3 *store_db(store *s); /* for read-only queries by the commands */
/* How long a write waits for another writer's lock before STORE_BUSY
 * (default 5000 ms). */
void store_set_busy_timeout(store *s, int ms);
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

#endif
