/*
 * pipeline — one submission file, start to commit: digest, duplicate check,
 * plugin parse, normalise, evaluate with the policy of each record's year,
 * store, commit, receipt. `xueshi ingest` and the daemon both run it.
 */
#ifndef XS_PIPELINE_H
#define XS_PIPELINE_H
#include <stddef.h>
#include "plugins.h"
#include "policy.h"
#include "store.h"

typedef struct pipeline {
    store *db;
    policy_set *policies;
    const plugin_registry *plugins;
    const char *outbox;  /* where NAME.receipt.json goes; NULL = none */
    char today[11];      /* YYYY-MM-DD: dates after it are invalid */
    /* Optional progress callback, called every few thousand records. */
    void (*progress)(void *ud, size_t records);
    void *progress_ud;
    /* A big file is committed in slices of at most slice_records records
     * or slice_ms milliseconds, each with the submission's progress mark in
     * the same transaction (slice_records 0 = one transaction whatever the
     * size). */
    long slice_records;
    double slice_ms;
    /* Optional: taken around every write transaction and released between
     * slices and while receipts are written (the daemon's fair gate, so that
     * a waiting small file goes first). */
    void (*lock)(void *ud);
    void (*unlock)(void *ud);
    void *lock_ud;
    /* Daemon: content already committed under this very name is its own
     * earlier run that died before moving the file: no duplicate row, the
     * receipt is written again. */
    int recover_same_name;
} pipeline;

typedef struct pipeline_summary {
    char sha256[65];
    long long submission_id;
    int duplicate;        /* content already committed: nothing added */
    int recovered;        /* committed by an earlier run under this name */
    int receipt_failed;   /* committed, but the receipt could not be written */
    long long resumed_at; /* > 0: records up to this index were committed by an earlier run */
    size_t records, credited, pending, rejected;
    double ms;
    char error[1024];     /* when the file could not be read (Chinese) */
} pipeline_summary;

enum pipeline_rc {
    PIPELINE_OK = 0,
    PIPELINE_UNREADABLE = 1, /* the file cannot be read at all: reject it */
    /* store_rc values (STORE_BUSY, STORE_FULL, …) are passed through: the
     * file stays where it is and is retried. */
};

/* Sets today from the clock, or from XUESHI_TODAY (tests, replays). */
void pipeline_init(pipeline *p, store *db, policy_set *policies, const plugin_registry *plugins,
                   const char *outbox);

/* Process the file at path; name is how receipts and the submissions table
 * call it (its basename in the inbox). */
int pipeline_process(pipeline *p, const char *path, const char *name, pipeline_summary *sum,
                     char *err, size_t errlen);

#endif
