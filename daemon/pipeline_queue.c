#include <stdlib.h>
#include <time.h>
#include <string.h>
#include "pipeline_queue.h"

/* A batch's arena starts at this size; records with long payloads grow it. */
#define PQ_ARENA_START (PQ_BATCH * 512)

int pq_init(pq *q)
{
    memset(q, 0, sizeof *q);
    if (pthread_mutex_init(&q->mu, NULL) != 0)
        return -1;
    if (pthread_cond_init(&q->changed, NULL) != 0) {
        pthread_mutex_destroy(&q->mu);
        return -1;
    }
    return 0;
}

static void batch_clear(pq_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        policy_result_clear(&b->items[i].res);
    b->n = 0;
    b->used = 0;
    b->result_bytes = 0;
    b->next = NULL;
}

static void batch_free_list(pq_batch *b)
{
    while (b) {
        pq_batch *next = b->next;
        batch_clear(b);
        free(b->arena);
        free(b);
        b = next;
    }
}

void pq_destroy(pq *q)
{
    batch_free_list(q->head);
    batch_free_list(q->spare);
    pthread_cond_destroy(&q->changed);
    pthread_mutex_destroy(&q->mu);
    memset(q, 0, sizeof *q);
}

static double pq_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One wait for the other side, its time added to *ms. */
static void pq_wait(pq *q, double *ms)
{
    double t = pq_now_ms();
    pthread_cond_wait(&q->changed, &q->mu);
    *ms += pq_now_ms() - t;
}

pq_batch *pq_take(pq *q)
{
    pthread_mutex_lock(&q->mu);
    while (!q->stopped && !q->spare && q->allocated >= PQ_IN_FLIGHT)
        pq_wait(q, &q->reader_wait_ms);
    pq_batch *b = NULL;
    if (!q->stopped) {
        if (q->spare) {
            b = q->spare;
            q->spare = b->next;
            b->next = NULL;
        } else if ((b = calloc(1, sizeof *b)) != NULL) {
            q->allocated++;
        }
    }
    pthread_mutex_unlock(&q->mu);
    return b;
}

size_t pq_text_add(pq_batch *b, const char *s)
{
    if (!s)
        return PQ_NONE;
    size_t n = strlen(s) + 1;
    if (b->used + n > b->cap) {
        size_t cap = b->cap ? b->cap : PQ_ARENA_START;
        while (b->used + n > cap)
            cap *= 2;
        char *a = realloc(b->arena, cap);
        if (!a)
            return PQ_NONE;
        b->arena = a;
        b->cap = cap;
    }
    size_t at = b->used;
    memcpy(b->arena + at, s, n);
    b->used += n;
    return at;
}

static size_t text_len(const char *s)
{
    return s ? strlen(s) : 0;
}

int pq_item_done(pq_batch *b)
{
    const policy_result *r = &b->items[b->n - 1].res;
    size_t n = text_len(r->reason);
    for (size_t i = 0; i < r->ncredits; i++)
        n += sizeof r->credits[i] + text_len(r->credits[i].explanation) +
             text_len(r->credits[i].cap_key) + text_len(r->credits[i].cap_note);
    b->result_bytes += n;
    return b->n == PQ_BATCH || b->used + b->result_bytes >= PQ_BATCH_BYTES;
}

void pq_push(pq *q, pq_batch *b)
{
    pthread_mutex_lock(&q->mu);
    if (q->stopped) {
        /* Nobody will store it: back to the spares, results freed. */
        batch_clear(b);
        b->next = q->spare;
        q->spare = b;
    } else {
        b->next = NULL;
        if (q->tail)
            q->tail->next = b;
        else
            q->head = b;
        q->tail = b;
    }
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
}

void pq_finish(pq *q)
{
    pthread_mutex_lock(&q->mu);
    q->finished = 1;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
}

pq_batch *pq_pop(pq *q)
{
    pthread_mutex_lock(&q->mu);
    while (!q->head && !q->finished)
        pq_wait(q, &q->writer_wait_ms);
    pq_batch *b = q->head;
    if (b) {
        q->head = b->next;
        if (!q->head)
            q->tail = NULL;
        b->next = NULL;
    }
    pthread_mutex_unlock(&q->mu);
    return b;
}

void pq_recycle(pq *q, pq_batch *b)
{
    batch_clear(b); /* outside the lock: freeing results takes a while */
    pthread_mutex_lock(&q->mu);
    b->next = q->spare;
    q->spare = b;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
}

void pq_stop(pq *q)
{
    pthread_mutex_lock(&q->mu);
    __atomic_store_n(&q->stopped, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
}

/* Asked by the reader at every record: a load, not the mutex. */
int pq_stopped(pq *q)
{
    return __atomic_load_n(&q->stopped, __ATOMIC_ACQUIRE);
}

void pq_item_activity(const pq_batch *b, const pq_item *it, store_activity *out)
{
    const char *t[PQ__TEXTS];
    for (int i = 0; i < PQ__TEXTS; i++)
        t[i] = it->text[i] == PQ_NONE ? NULL : b->arena + it->text[i];
    *out = (store_activity){
        .person_id = t[PQ_PERSON_ID],
        .name = t[PQ_NAME],
        .unit = t[PQ_UNIT],
        .professional_title = t[PQ_TITLE_OF_PERSON],
        .education = t[PQ_EDUCATION],
        .ref = t[PQ_REF],
        .kind = t[PQ_KIND],
        .subject = t[PQ_SUBJECT],
        .topic = t[PQ_TOPIC],
        .title = t[PQ_TITLE],
        .date = t[PQ_DATE],
        .year = it->year,
        .has_identity = it->has_identity,
        .payload = t[PQ_PAYLOAD],
        .record_index = it->index,
    };
}
