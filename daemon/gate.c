#include "gate.h"

void gate_init(gate *g)
{
    pthread_mutex_init(&g->m, NULL);
    pthread_cond_init(&g->c, NULL);
    g->next = g->serving = 0;
}

void gate_destroy(gate *g)
{
    pthread_mutex_destroy(&g->m);
    pthread_cond_destroy(&g->c);
}

void gate_enter(gate *g)
{
    pthread_mutex_lock(&g->m);
    unsigned long ticket = g->next++;
    while (g->serving != ticket)
        pthread_cond_wait(&g->c, &g->m);
    pthread_mutex_unlock(&g->m);
}

void gate_leave(gate *g)
{
    pthread_mutex_lock(&g->m);
    g->serving++;
    pthread_cond_broadcast(&g->c);
    pthread_mutex_unlock(&g->m);
}
