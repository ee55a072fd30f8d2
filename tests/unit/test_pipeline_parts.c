/* The pipeline's parts: the compliance memo and the reader → writer queue. */
#include <stdarg.h>
#include <pthread.h>
#include <time.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "compliance_memo.h"
#include "pipeline_queue.h"

static void test_memo_exact_keys(void **s)
{
    compliance_memo *m = malloc(sizeof *m);
    compliance_memo_reset(m);
    policy_year_totals t = {.public_hours = 30, .professional_hours = 60, .whole_year = 0};
    int c = -1;
    assert_false(compliance_memo_get(m, 2022, &t, &c));
    compliance_memo_put(m, 2022, &t, 1);
    assert_true(compliance_memo_get(m, 2022, &t, &c));
    assert_int_equal(c, 1);
    /* Another year, other totals, whole_year: not the same question. */
    assert_false(compliance_memo_get(m, 2021, &t, &c));
    policy_year_totals u = t;
    u.professional_hours = 59.999999;
    assert_false(compliance_memo_get(m, 2022, &u, &c));
    u = t;
    u.whole_year = 1;
    assert_false(compliance_memo_get(m, 2022, &u, &c));
    compliance_memo_put(m, 2022, &u, 0);
    assert_true(compliance_memo_get(m, 2022, &u, &c));
    assert_int_equal(c, 0);
    assert_true(compliance_memo_get(m, 2022, &t, &c) == 0 || c == 1); /* evicted or right */
    compliance_memo_reset(m);
    assert_false(compliance_memo_get(m, 2022, &u, &c));
    free(m);
}

static void test_memo_many_entries_never_wrong(void **s)
{
    compliance_memo *m = malloc(sizeof *m);
    compliance_memo_reset(m);
    /* More keys than slots: collisions replace, a hit is always right. */
    for (int i = 0; i < 3 * COMPLIANCE_MEMO_SLOTS; i++) {
        policy_year_totals t = {.public_hours = i % 97, .professional_hours = i / 97.0};
        compliance_memo_put(m, 2017 + i % 9, &t, (i * 7) % 3 == 0);
    }
    int hits = 0;
    for (int i = 0; i < 3 * COMPLIANCE_MEMO_SLOTS; i++) {
        policy_year_totals t = {.public_hours = i % 97, .professional_hours = i / 97.0};
        int c;
        if (compliance_memo_get(m, 2017 + i % 9, &t, &c)) {
            hits++;
            assert_int_equal(c, (i * 7) % 3 == 0);
        }
    }
    assert_true(hits > 0);
    assert_true(hits <= COMPLIANCE_MEMO_SLOTS);
    free(m);
}

/* The queue in one thread: order kept, text copied, results freed. */
static void test_queue_order_and_texts(void **s)
{
    pq q;
    assert_int_equal(pq_init(&q), 0);
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (int k = 0; k < 3; k++) {
        pq_batch *b = pq_take(&q);
        assert_non_null(b);
        for (int i = 0; i < PQ_BATCH; i++) {
            pq_item *it = &b->items[b->n++];
            memset(it, 0, sizeof *it);
            it->index = k * PQ_BATCH + i + 1;
            for (int t = 0; t < PQ__TEXTS; t++)
                it->text[t] = PQ_NONE;
            it->text[PQ_TITLE] = pq_text_add(b, i % 2 ? "课程" : NULL);
            it->text[PQ_PAYLOAD] = pq_text_add(b, big); /* grows the arena */
            it->res.reason = strdup("原因"); /* freed by recycle */
        }
        pq_push(&q, b);
    }
    pq_finish(&q);
    long long want = 1;
    pq_batch *b;
    while ((b = pq_pop(&q)) != NULL) {
        for (size_t i = 0; i < b->n; i++) {
            store_activity a;
            pq_item_activity(b, &b->items[i], &a);
            assert_int_equal(a.record_index, want);
            if (want % 2 == 0)
                assert_string_equal(a.title, "课程");
            else
                assert_null(a.title);
            assert_int_equal(strlen(a.payload), sizeof big - 1);
            assert_null(a.person_id);
            want++;
        }
        pq_recycle(&q, b);
    }
    assert_int_equal(want, 3 * PQ_BATCH + 1);
    pq_destroy(&q);
}

/* A stopped queue gives the reader nothing more and drops what it pushes. */
static void test_queue_stop(void **s)
{
    pq q;
    assert_int_equal(pq_init(&q), 0);
    pq_batch *b = pq_take(&q);
    b->items[b->n].res.reason = strdup("x");
    b->n++;
    pq_stop(&q);
    assert_true(pq_stopped(&q));
    assert_null(pq_take(&q));
    pq_push(&q, b); /* to the spares, result freed */
    pq_finish(&q);
    assert_null(pq_pop(&q));
    pq_destroy(&q);
}

static void *push_later(void *arg)
{
    pq *q = arg;
    struct timespec d = {0, 30 * 1000 * 1000};
    nanosleep(&d, NULL);
    pq_batch *b = pq_take(q);
    b->n = 0;
    pq_push(q, b);
    return NULL;
}

/* Waiting is accounted to the side that waited: a writer popping an empty
 * queue until the reader pushes 30 ms later; a reader that finds room
 * waits for nothing. */
static void test_queue_waits(void **s)
{
    pq q;
    assert_int_equal(pq_init(&q), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, push_later, &q), 0);
    pq_batch *b = pq_pop(&q);
    assert_non_null(b);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(q.writer_wait_ms >= 20);
    assert_true(q.reader_wait_ms == 0);
    pq_recycle(&q, b);
    pq_destroy(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memo_exact_keys),
        cmocka_unit_test(test_memo_many_entries_never_wrong),
        cmocka_unit_test(test_queue_order_and_texts),
        cmocka_unit_test(test_queue_stop),
        cmocka_unit_test(test_queue_waits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
