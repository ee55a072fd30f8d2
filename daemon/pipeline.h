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
} pipeline;

typedef struct pipeline_summary {
    char sha256[65];
    long long submission_id;
    int duplicate;        /* content already committed: nothing added */
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
