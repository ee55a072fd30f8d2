/*
 * gate — a fair (ticket) lock around the database write transaction. SQLite
 * lets one writer in at a time; its busy handler is not fair, so a lane
 * ingesting a million records could win the lock again and again while a
 * small file waits. Lanes take the gate for each transaction, and a long
 * ingest leaves and re-enters it between slices: a waiting lane, holding
 * an earlier ticket, goes first.
 */
#ifndef XS_GATE_H
#define XS_GATE_H
#include <pthread.h>

typedef struct gate {
    pthread_mutex_t m;
    pthread_cond_t c;
    unsigned long next, serving;
} gate;

void gate_init(gate *g);
void gate_destroy(gate *g);
void gate_enter(gate *g);
void gate_leave(gate *g);

#endif
