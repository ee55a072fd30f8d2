/*
 * recompute — stored activities evaluated again under a policy set:
 * `xueshi rules diff NEWDIR` (read only: what would change) and
 * `xueshi recompute` (apply the current policies, in place). Both run the
 * same engine and print the same report, so a diff is exactly what the
 * recompute after it does.
 *
 * What is re-evaluated: every live (not superseded) activity whose status
 * came from a policy — credited, pending_materials, and rejected ones whose
 * reason a policy gave (or no_policy_for_year). Records the normaliser
 * rejected (invalid_id, a missing name …) stay as they are: no policy ever
 * saw them. The raw record is read back from activities.payload
 * (record_payload_parse), normalised and evaluated exactly as the pipeline
 * does.
 *
 * Unit of work: a person. Caps and compliance depend on a whole
 * person-year, so a person's activities are evaluated together and a
 * transaction only ever holds whole persons (`--batch 1`: one person per
 * transaction): readers never see a half-recomputed person.
 *
 * Speed: Lua evaluation runs in `jobs` worker threads, each with its own
 * policy set, while the main thread reads the next batch and writes the
 * previous one. A recompute reads batch k+1 inside the write transaction
 * of batch k; if another connection commits in between (the daemon
 * ingesting), batch k+1 is read and evaluated again in its own
 * transaction (store_changed_elsewhere).
 */
#ifndef XS_RECOMPUTE_H
#define XS_RECOMPUTE_H

#include <stdio.h>
#include "policy.h"
#include "store.h"

enum recompute_format { RECOMPUTE_TEXT = 0, RECOMPUTE_JSON = 1 };

typedef struct recompute_opts {
    int year;          /* only activities of this year (and the person-years they reach); 0 = all */
    int write;         /* 1: recompute (store must be read-write); 0: diff */
    long batch;        /* activities per batch / transaction, whole persons; 0 = default */
    int jobs;          /* evaluation threads; 0 = the CPUs online */
    char today[11];    /* YYYY-MM-DD, as the pipeline's: "" = from XUESHI_TODAY or the clock */
    /* The report. */
    FILE *out;         /* NULL = no report */
    int format;        /* enum recompute_format */
    int details;       /* per activity and per person-year, not only the totals */
    const char *rules_dir;   /* the set evaluated with, named in the report */
    const char *compare_dir; /* diff: the folder in service (--rules), for the header; may be NULL */
    /* Called on the main thread after each batch (a progress line). */
    void (*progress)(void *ud, long long activities);
    void *progress_ud;
} recompute_opts;

typedef struct recompute_totals {
    long long persons;        /* persons looked at */
    long long evaluated;      /* activities evaluated again */
    long long kept;           /* in scope, but without a payload to evaluate: left as they are */
    long long changed;        /* activities whose status, reason, hours or explanation change */
    long long rewritten;      /* recompute: activities written (changed, or decided by a new revision) */
    double hours_before, hours_after;  /* credited hours of the changed activities */
    long long transitions[3][3];       /* [before][after]: credited, pending_materials, rejected */
    long long years_changed;  /* person-years whose totals or compliance change */
    long long became_compliant, no_longer_compliant;
    long long redone;         /* batches read again because another writer committed */
    double seconds;
} recompute_totals;

/* Runs the engine over db with the policies in opts->rules_dir (loaded
 * once per job, all or nothing). diff: db may be read-only, nothing is
 * written. recompute: db read-write; the revisions of the policies are
 * recorded first (how "recompute"); the caller holds the recompute lock.
 * Returns 0, or -1 with err (a recompute then stops after its last
 * committed batch: what is committed is consistent, whole persons). */
int recompute_run(store *db, const recompute_opts *opts, recompute_totals *totals,
                  char *err, size_t errlen);

/* The processing day as the pipeline sets it (XUESHI_TODAY, else the local
 * date). */
void recompute_today(char out[11]);

#endif
