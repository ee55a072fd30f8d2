/*
 * pipeline_queue — evaluated records handed from the reader thread (parse,
 * normalise, evaluate) to the writer thread (store, commit), in batches.
 *
 * Both halves of an ingest cost about the same, and the machine has two
 * cores: the reader works on the next batch while the writer commits this
 * one. The queue holds at most PQ_IN_FLIGHT batches of at most PQ_BATCH
 * records or PQ_BATCH_BYTES of text (policy results are bounded too, see
 * policy_eval.c), so memory stays that of a few thousand records whatever
 * the file's size. A record's strings are copied
 * into its batch's arena; its policy_result moves in as it is (the writer
 * clears it).
 */
#ifndef XS_PIPELINE_QUEUE_H
#define XS_PIPELINE_QUEUE_H
#include <pthread.h>
#include <stddef.h>
#include "policy.h"
#include "store.h"

#define PQ_BATCH 256        /* records per batch … */
#define PQ_BATCH_BYTES (1u << 20) /* … or this much text, whichever first */
#define PQ_IN_FLIGHT 8      /* batches allocated at most */
#define PQ_NONE ((size_t)-1)

/* The text fields of store_activity, as offsets into the arena. */
enum pq_text {
    PQ_PERSON_ID, PQ_NAME, PQ_UNIT, PQ_TITLE_OF_PERSON, PQ_EDUCATION, PQ_REF,
    PQ_KIND, PQ_SUBJECT, PQ_TOPIC, PQ_TITLE, PQ_DATE, PQ_PAYLOAD, PQ__TEXTS
};

typedef struct pq_item {
    long long index;          /* the record's 1-based number in the file */
    int year, has_identity;
    size_t text[PQ__TEXTS];   /* arena offsets, PQ_NONE for NULL */
    policy_result res;        /* owned: the writer clears it */
} pq_item;

typedef struct pq_batch {
    struct pq_batch *next;
    size_t n;
    pq_item items[PQ_BATCH];
    char *arena; /* grows with realloc: hence offsets, not pointers */
    size_t used, cap;
    size_t result_bytes; /* text held by the items' results */
} pq_batch;

typedef struct pq {
    pthread_mutex_t mu;
    pthread_cond_t changed;
    pq_batch *head, *tail; /* full batches, oldest first */
    pq_batch *spare;       /* emptied batches, for reuse */
    int allocated;         /* batches that exist (queued, spare or held) */
    int finished;          /* the reader has pushed its last batch */
    int stopped;           /* the writer gave up: the reader stops (set once, atomically) */
    /* Time each side spent waiting for the other (debug log: which of
     * the two threads is the limit). */
    double reader_wait_ms, writer_wait_ms;
} pq;

int pq_init(pq *q);
/* Frees every batch (queued ones' results too). */
void pq_destroy(pq *q);

/* Reader: an empty batch, waiting while PQ_IN_FLIGHT are in use; NULL
 * when the writer has stopped or memory ran out. */
pq_batch *pq_take(pq *q);
/* Reader: append text (NULL kept as PQ_NONE); PQ_NONE when out of memory. */
size_t pq_text_add(pq_batch *b, const char *s);
void pq_push(pq *q, pq_batch *b);
/* Reader: the item just filled; 1 when the batch is full (push it). */
int pq_item_done(pq_batch *b);
void pq_finish(pq *q);

/* Writer: the oldest full batch, waiting for one; NULL once the reader
 * has finished and everything was taken. */
pq_batch *pq_pop(pq *q);
/* Writer: clears the batch's results and keeps it for reuse. */
void pq_recycle(pq *q, pq_batch *b);
void pq_stop(pq *q);
int pq_stopped(pq *q);

/* The item's fields as store_put takes them (pointers into b's arena). */
void pq_item_activity(const pq_batch *b, const pq_item *it, store_activity *out);

#endif
