/*
 * A bump allocator per batch: a million activities' strings are copied and
 * thrown away batch by batch, and one reset beats a million frees.
 */
#include <stdlib.h>
#include <string.h>
#include "recompute_priv.h"

#define RC_CHUNK (256 * 1024)

struct rc_chunk {
    rc_chunk *next;
    size_t used, size;
    max_align_t data[];
};

void *rc_alloc(rc_arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    rc_chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = n > RC_CHUNK ? n : RC_CHUNK;
        rc_chunk *nc = malloc(sizeof *nc + size);
        if (!nc)
            return NULL;
        nc->used = 0;
        nc->size = size;
        nc->next = c;
        a->head = c = nc;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

const char *rc_strdup(rc_arena *a, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = rc_alloc(a, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

void rc_arena_reset(rc_arena *a)
{
    rc_chunk *c = a->head;
    if (!c)
        return;
    /* Keep the oldest chunk (the last in the list): batches are alike. */
    while (c->next) {
        rc_chunk *n = c->next;
        free(c);
        c = n;
    }
    c->used = 0;
    a->head = c;
}

void rc_arena_free(rc_arena *a)
{
    for (rc_chunk *c = a->head; c;) {
        rc_chunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
}
