/*
 * store internals shared by the store_*.c files. Nothing outside daemon/store*
 * includes this; the public interface is store.h.
 */
#ifndef XS_STORE_PRIV_H
#define XS_STORE_PRIV_H

#include <stddef.h>
#include <sqlite3.h>
#include "store.h"

/* Page cache of the main database, KiB (negative cache_size). A 1M-record
 * transaction must stay under 96 MB peak RSS for the whole daemon; 32 MiB of
 * cache is where the batch benchmark stopped getting faster. */
#define STORE_CACHE_KIB 32768
/* SQLite's sorter may hold as much memory as the main page cache on top of
 * it. The commit's sort of the pairs in temp.xs_touched (big when a file's
 * pairs outgrew memory, store_pairs.c, or it superseded many credits) runs
 * with the cache shrunk to this, so the two together stay well under the
 * put phase's peak. */
#define STORE_SORT_CACHE_KIB 8192
/* … when the transaction inserted more credits than this. */
#define STORE_SORT_SHRINK_CREDITS 65536

/* Long-lived prepared statements of a read-write store, prepared once at
 * open and reused (reset + clear_bindings) on every put: the put path runs a
 * million times for a large batch and preparing SQL there would dominate. */
enum store_stmt {
    ST_SUB_INSERT,      /* submissions row, status 'processing' */
    ST_SUB_FINISH,      /* counts + status 'processed' */
    ST_SUB_DUPLICATE,   /* a 'duplicate' row */
    ST_SHA_COMMITTED,
    ST_MAX_IDS,         /* where this transaction's ids start */
    ST_LIVE_FIND,       /* the live activity with an identity */
    ST_ACT_SUPERSEDE,   /* mark it superseded by the next id */
    ST_CREDITS_DELETE,  /* … its credits leave, RETURNING their person-years */
    ST_COVERS_DELETE,
    ST_ACT_INSERT,      /* ON CONFLICT (live identity) DO NOTHING */
    ST_CREDIT_INSERT,
    ST_COVER_INSERT,
    ST_TOUCH_INSERT,    /* a (person, year) whose credit was deleted */
    ST_PERSON_UPSERT,
    ST_HISTORY_COPY,    /* an activity's credits into credit_history */
    ST_ACT_RECOMPUTE,   /* a recomputed outcome, in place */
    ST_ACT_RECOMPUTE_SAME, /* … whose status stays */
    ST_ACT_REVISE,      /* the same outcome, decided by another revision */
    ST_CREDIT_UPDATE,   /* a recomputed credit in its row */
    ST_CREDITS_OF,      /* an activity's credits: id, year, category, capped */
    ST_CREDITS_REVISE,
    ST__COUNT
};

typedef struct store_ckpt store_ckpt;

/* A person-year noted by store_pairs.c. The person is an 18-character ID
 * number packed into an integer whose order is that of the text. */
typedef struct store_pair {
    unsigned long long person;
    int year;
} store_pair;
/* The most pairs kept in memory (16 bytes each) before they go to
 * temp.xs_touched: 8 MiB, a 1M-record file's worth. */
#define STORE_PAIRS_MAX (512 * 1024)

struct store {
    sqlite3 *db;
    store_ckpt *ckpt;        /* the checkpoint thread, or NULL (store_ckpt.c) */
    int readonly;
    int in_txn;              /* between store_begin and commit/rollback */
    long long submission_id; /* of the open transaction */
    /* Ids are assigned by the store, not by SQLite, so that a superseded
     * activity can name its successor in the same UPDATE that retires it
     * (before the successor's row exists). */
    long long next_activity_id;
    /* next_activity_id when the transaction began: this transaction's
     * activities are txn_first_activity .. next_activity_id - 1, which
     * commits record in submissions (first_activity, last_activity). */
    long long txn_first_activity;
    /* Credits written by this transaction (whether the commit shrinks the
     * cache for its SQL sort). */
    long long n_credits_txn;
    /* The person-years of the credits inserted by this transaction
     * (store_pairs.c): pairs[0 .. pairs_sorted) sorted and without
     * repeats, the rest as noted. */
    store_pair *pairs;
    size_t npairs, cappairs, pairs_sorted;
    size_t pairs_max; /* STORE_PAIRS_MAX unless a test set it */
    /* Outcome counts of the open transaction, as each record was put. */
    long long n_records, n_credited, n_pending, n_rejected;
    sqlite3_stmt *st[ST__COUNT];
    /* The last person upserted in this transaction, serialised (see
     * store_put.c): records of one person usually come together, and an
     * identical upsert is skipped. Reset at every begin. */
    char *person_last, *person_tmp;
    size_t person_last_len, person_cap_last, person_cap_tmp;
    /* Policy revisions known to be in policy_revisions (store_revision.c),
     * so that store_put finds a credit's revision_id without a query. A
     * rollback may remove rows inserted in its transaction: the rollback
     * hook empties the cache. rev_last is the entry of the last lookup. */
    struct store_rev *revs;
    size_t nrevs, caprevs;
    const policy_info *rev_last_info;
    size_t rev_last;
    /* The local time text of history rows and revisions, refreshed when
     * the second changes (a recompute moves many credits at once). */
    long long now_t;
    char now[32];
    /* PRAGMA data_version at the last store_changed_elsewhere. */
    long long data_version;
    int data_version_valid;
};

struct store_rev {
    char name[64];
    char sha256[65];
    long long id;
};

/* Current schema version: the number of migrations (store_migrate.c). */
int store__schema_version(void);
/* Bring the schema of a read-write connection to store__schema_version(). */
int store__migrate(sqlite3 *db, char *err, size_t errlen);
/* Read PRAGMA user_version; -1 on error with err. */
int store__user_version(sqlite3 *db, int *v, char *err, size_t errlen);

/* SQLite result code → store_rc (BUSY/LOCKED → STORE_BUSY, FULL → STORE_FULL). */
int store__rc(int sqlite_rc);
/* Fill err with what, the SQLite message and code; returns store__rc(rc). */
int store__fail(sqlite3 *db, int rc, const char *what, char *err, size_t errlen);
void store__seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "credited", "pending_materials", "rejected", "superseded", or NULL. Our
 * own table, so the store does not depend on the policy module. */
const char *store__status_text(int status);
/* Run one statement and reset it; returns the SQLite rc (SQLITE_DONE/ROW
 * become SQLITE_OK). */
int store__step_done(sqlite3_stmt *st);
/* sqlite3_exec without the callback; fills err on failure. */
int store__exec(sqlite3 *db, const char *sql, const char *what, char *err, size_t errlen);

int store__prepare_all(store *s, char *err, size_t errlen);
void store__finalize_all(store *s);

/* store_pairs.c: a person-year into temp.xs_touched (capped: its caps must
 * be applied again); note the person-year of a credit just inserted; sort the
 * noted pairs and drop repeats; forget them (every begin, rollback and
 * commit). */
int store__touch(store *s, const char *person_id, int year, int capped);
int store__pair_note(store *s, const char *person_id, int year);
void store__pairs_sort(store *s);
void store__pairs_reset(store *s);
/* The 18-character ID of a packed pair (out: 19 bytes). */
void store__pair_person(const store_pair *p, char *out);

/* Rewrite the caps and person_years of everything touched (store_years.c). */
int store__recompute_touched(store *s, store_compliance_fn fn, void *ud,
                             char *err, size_t errlen);
/* Bind this transaction's activity range to parameters i and i + 1 (NULL,
 * NULL when it put none). */
void store__bind_range(store *s, sqlite3_stmt *st, int i);
/* Forget the per-transaction caches (the last person). */
void store__reset_caches(store *s);
/* Empty the per-connection scratch tables. */
int store__clear_scratch(store *s, char *err, size_t errlen);
/* Everything a write transaction needs once BEGIN IMMEDIATE succeeded:
 * counts to zero, caches reset, scratch cleared, the id counters read. Used
 * by store_begin and by store_resume (store_slice.c). */
int store__txn_init(store *s, char *err, size_t errlen);

/* The credits (and prior covers) of a credited activity r decided, with
 * their revision (store_put.c; also used by recompute). */
int store__insert_credits(store *s, long long activity_id, const char *person_id,
                          const policy_result *r);
/* Copy activity_id's credits to credit_history with reason ("superseded" |
 * "recompute") (store_history.c). Returns a SQLite rc. */
int store__history_copy(store *s, long long activity_id, const char *reason);
/* Delete activity_id's credits and its prior covers, noting their
 * person-years for the commit. */
int store__drop_credits(store *s, long long activity_id);
/* Both: the credits of a superseded or recomputed activity. */
int store__retire_credits(store *s, long long activity_id, const char *reason);
/* revision_id of p (looked up, or inserted with how "ingest"); 0 when p is
 * NULL. Returns a SQLite rc. */
int store__revision_id(store *s, const policy_info *p, long long *id);
/* Start / stop the checkpoint thread of a read-write store (store_ckpt.c). */
int store__ckpt_start(store *s, const char *path, char *err, size_t errlen);
void store__ckpt_stop(store *s);
/* Forget every cached revision (after a rollback). */
void store__revisions_forget(store *s);
/* The current local time as "YYYY-MM-DDTHH:MM:SS+hhmm", cached per second. */
const char *store__now(store *s);

#endif
