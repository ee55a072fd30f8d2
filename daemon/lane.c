#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lane.h"
#include "log.h"

struct lane {
    char name[16];
    char inbox[2100];
    pthread_t th;
    pthread_mutex_t m;
    pthread_cond_t c;
    lane_job *head, *tail;
    int running, stopping;
    policy_set *ps, *next_ps;
    store *db;
    pipeline p;
    gate *g;
    lane_done_fn done;
    void *ud;
};

static void lane_lock(void *ud)
{
    gate_enter(((lane *)ud)->g);
}

static void lane_unlock(void *ud)
{
    gate_leave(((lane *)ud)->g);
}

static void *lane_main(void *arg)
{
    lane *l = arg;
    for (;;) {
        pthread_mutex_lock(&l->m);
        while (!l->head && !l->stopping)
            pthread_cond_wait(&l->c, &l->m);
        if (l->stopping) {
            pthread_mutex_unlock(&l->m);
            break;
        }
        lane_job *job = l->head;
        l->head = job->next;
        if (!l->head)
            l->tail = NULL;
        l->running = 1;
        policy_set *fresh = l->next_ps;
        l->next_ps = NULL;
        pthread_mutex_unlock(&l->m);

        if (fresh) {
            policy_set_free(l->ps);
            l->ps = fresh;
            l->p.policies = fresh;
        }
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", l->inbox, job->name);
        job->rc = pipeline_process(&l->p, path, job->name, &job->sum, job->err, sizeof job->err);

        pthread_mutex_lock(&l->m);
        l->running = 0;
        pthread_mutex_unlock(&l->m);
        job->lane = l->name;
        l->done(l->ud, l, job);
    }
    return NULL;
}

lane *lane_start(const char *name, const char *inbox_dir, const char *outbox_dir,
                 const char *db_path, policy_set *ps, const plugin_registry *plugins, gate *g,
                 long slice_records, double slice_ms, lane_done_fn done, void *ud, char *err, size_t errlen)
{
    lane *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(l->name, sizeof l->name, "%s", name);
    snprintf(l->inbox, sizeof l->inbox, "%s", inbox_dir);
    if (store_open(db_path, STORE_BG_CHECKPOINT, &l->db, err, errlen) != STORE_OK) {
        free(l);
        return NULL;
    }
    l->ps = ps;
    l->g = g;
    l->done = done;
    l->ud = ud;
    pipeline_init(&l->p, l->db, ps, plugins, outbox_dir);
    l->p.slice_records = slice_records;
    l->p.slice_ms = slice_ms;
    l->p.lock = lane_lock;
    l->p.unlock = lane_unlock;
    l->p.lock_ud = l;
    l->p.recover_same_name = 1;
    pthread_mutex_init(&l->m, NULL);
    pthread_cond_init(&l->c, NULL);
    if (pthread_create(&l->th, NULL, lane_main, l) != 0) {
        snprintf(err, errlen, "cannot start the %s lane thread", name);
        store_close(l->db);
        free(l);
        return NULL;
    }
    return l;
}

void lane_push(lane *l, lane_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&l->m);
    if (l->tail)
        l->tail->next = job;
    else
        l->head = job;
    l->tail = job;
    pthread_cond_signal(&l->c);
    pthread_mutex_unlock(&l->m);
}

int lane_load(lane *l)
{
    pthread_mutex_lock(&l->m);
    int n = l->running;
    for (lane_job *j = l->head; j; j = j->next)
        n++;
    pthread_mutex_unlock(&l->m);
    return n;
}

void lane_set_policies(lane *l, policy_set *ps)
{
    pthread_mutex_lock(&l->m);
    policy_set_free(l->next_ps);
    l->next_ps = ps;
    pthread_mutex_unlock(&l->m);
}

void lane_stop(lane *l, lane_job **leftover)
{
    pthread_mutex_lock(&l->m);
    l->stopping = 1;
    *leftover = l->head;
    l->head = l->tail = NULL;
    pthread_cond_signal(&l->c);
    pthread_mutex_unlock(&l->m);
    pthread_join(l->th, NULL);
    policy_set_free(l->ps);
    policy_set_free(l->next_ps);
    store_close(l->db);
    pthread_mutex_destroy(&l->m);
    pthread_cond_destroy(&l->c);
    free(l);
}

const char *lane_name(const lane *l)
{
    return l->name;
}
