/*
 * lane — a worker thread that runs the pipeline on inbox files, off the
 * event loop. The daemon has two: a quick lane for ordinary files and a bulk
 * lane for big ones, so that a million-record file in progress never keeps a
 * small file waiting longer than one slice. Each lane owns its database
 * connection and its policy set (Lua states are not shared between threads);
 * the gate orders their write transactions fairly.
 */
#ifndef XS_LANE_H
#define XS_LANE_H
#include <pthread.h>
#include "gate.h"
#include "pipeline.h"

typedef struct lane_job {
    struct lane_job *next;
    char name[1024];     /* in the inbox */
    const char *lane;    /* which lane ran it */
    int rc;              /* pipeline_rc / store_rc */
    pipeline_summary sum;
    char err[1024];
    int db_fault;        /* SQLite reported SQLITE_CORRUPT/NOTADB during it (daemon.c) */
} lane_job;

typedef struct lane lane;

/* Called on the lane's thread when a job is done (the daemon wakes its loop). */
typedef void (*lane_done_fn)(void *ud, lane *l, lane_job *job);

lane *lane_start(const char *name, const char *inbox_dir, const char *outbox_dir,
                 const char *db_path, policy_set *ps, const plugin_registry *plugins,
                 gate *g, long slice_records, double slice_ms, lane_done_fn done, void *ud,
                 char *err, size_t errlen);
/* Queue a job (the lane owns it until it is handed back through done). */
void lane_push(lane *l, lane_job *job);
/* Jobs queued or running. */
int lane_load(lane *l);
/* Hand the lane a new policy set; it is swapped in before the next job and
 * the old one freed there. */
void lane_set_policies(lane *l, policy_set *ps);
/* Stop after the running job; queued jobs come back through *leftover. */
void lane_stop(lane *l, lane_job **leftover);
const char *lane_name(const lane *l);

#endif
