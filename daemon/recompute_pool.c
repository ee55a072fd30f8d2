/*
 * The evaluation threads. One batch is in flight at a time; its persons
 * are handed out in small chunks through an atomic counter, so a worker
 * that drew heavy persons does not hold the others up. The main thread
 * keeps the database (SQLite connections are not shared between threads
 * here) and only submits and waits.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "recompute_priv.h"

#define RC_CHUNK_PERSONS 16

struct rc_pool {
    pthread_mutex_t m;
    pthread_cond_t work, done;
    pthread_t threads[RC_MAX_JOBS];
    int nthreads;
    rc_work_fn fn;
    void *ud;
    rc_batch *batch;        /* the batch in flight, NULL when none */
    unsigned long gen;      /* bumped at every submit */
    size_t next;            /* next person to hand out (atomic) */
    int busy;               /* workers still on the current batch */
    int stop;
};

typedef struct worker_arg {
    rc_pool *p;
    int id;
} worker_arg;

static void *worker_main(void *arg)
{
    worker_arg wa = *(worker_arg *)arg;
    free(arg);
    rc_pool *p = wa.p;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->m);
    for (;;) {
        while (!p->stop && p->gen == seen)
            pthread_cond_wait(&p->work, &p->m);
        if (p->stop)
            break;
        seen = p->gen;
        rc_batch *b = p->batch;
        pthread_mutex_unlock(&p->m);
        for (;;) {
            size_t i = __atomic_fetch_add(&p->next, RC_CHUNK_PERSONS, __ATOMIC_RELAXED);
            if (i >= b->npersons)
                break;
            size_t end = i + RC_CHUNK_PERSONS < b->npersons ? i + RC_CHUNK_PERSONS : b->npersons;
            for (; i < end && !__atomic_load_n(&b->failed, __ATOMIC_RELAXED); i++)
                p->fn(p->ud, wa.id, b, i);
        }
        pthread_mutex_lock(&p->m);
        if (--p->busy == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->m);
    return NULL;
}

int rc_pool_start(rc_pool **out, int workers, rc_work_fn fn, void *ud, char *err, size_t errlen)
{
    if (workers < 1 || workers > RC_MAX_JOBS) {
        snprintf(err, errlen, "线程数应为1到%d", RC_MAX_JOBS);
        return -1;
    }
    rc_pool *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&p->m, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    p->fn = fn;
    p->ud = ud;
    for (int i = 0; i < workers; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (wa) {
            wa->p = p;
            wa->id = i;
        }
        if (!wa || pthread_create(&p->threads[i], NULL, worker_main, wa) != 0) {
            free(wa);
            snprintf(err, errlen, "cannot start an evaluation thread");
            rc_pool_stop(p);
            return -1;
        }
        p->nthreads++;
    }
    *out = p;
    return 0;
}

void rc_pool_submit(rc_pool *p, rc_batch *b)
{
    pthread_mutex_lock(&p->m);
    p->batch = b;
    p->next = 0;
    p->busy = p->nthreads;
    p->gen++;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->m);
}

void rc_pool_wait(rc_pool *p)
{
    pthread_mutex_lock(&p->m);
    while (p->busy > 0)
        pthread_cond_wait(&p->done, &p->m);
    p->batch = NULL;
    pthread_mutex_unlock(&p->m);
}

void rc_pool_stop(rc_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->m);
    p->stop = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->m);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->m);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    free(p);
}
