/*
 * store_pairs: the person-years that this transaction's new credits fall in,
 * kept in memory so that the commit does not have to find them again.
 *
 * Before, the commit found them by reading every credit the transaction had
 * inserted (a range of the credits table, whose rows are wide: explanation,
 * policy, hash) and sorting a million (person, year) rows in SQLite's sorter
 * to group them: a second or more of a 1M-record commit, with one core idle
 * (issue #6). Noting a pair here costs a compare and, for a new pair, a
 * 16-byte entry (the ID packed into an integer); the commit sorts the array
 * in C.
 *
 * Memory stays bounded whatever the file's size: when the array is full, it
 * is sorted and folded; if it is still more than half full, its pairs go to
 * temp.xs_touched (which the commit reads too, through SQLite's sorter) and
 * the array starts again. A 1M-record file (some 500,000 person-years) stays
 * in memory.
 *
 * Records of one person usually come together, so a pair already noted for
 * the person at the end of the array is not noted again.
 */
#include <stdlib.h>
#include <string.h>
#include "store_priv.h"

/* 17 digits and a check character (0-9 or X, as normalised by record.c):
 * the digits as a number, times 11, plus the check (X = 10). Other text
 * (a caller of the store with its own ids) is not packed. */
static int pair_pack(const char *id, unsigned long long *out)
{
    unsigned long long v = 0;
    for (int i = 0; i < 17; i++) {
        if (id[i] < '0' || id[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(id[i] - '0');
    }
    int check;
    if (id[17] >= '0' && id[17] <= '9')
        check = id[17] - '0';
    else if (id[17] == 'X')
        check = 10;
    else
        return -1;
    if (id[18] != '\0')
        return -1;
    *out = v * 11 + (unsigned)check;
    return 0;
}

void store__pair_person(const store_pair *p, char *out)
{
    unsigned long long v = p->person / 11;
    int check = (int)(p->person % 11);
    out[17] = check == 10 ? 'X' : (char)('0' + check);
    for (int i = 16; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
    out[18] = '\0';
}

static int pair_cmp(const void *a, const void *b)
{
    const store_pair *x = a, *y = b;
    if (x->person != y->person)
        return x->person < y->person ? -1 : 1;
    return (x->year > y->year) - (x->year < y->year);
}

/* Sort and drop repeats, in place. */
static void pairs_fold(store *s)
{
    if (s->npairs < 2)
        return;
    qsort(s->pairs, s->npairs, sizeof *s->pairs, pair_cmp);
    size_t w = 1;
    for (size_t i = 1; i < s->npairs; i++)
        if (pair_cmp(&s->pairs[i], &s->pairs[w - 1]) != 0)
            s->pairs[w++] = s->pairs[i];
    s->npairs = w;
    s->pairs_sorted = s->npairs;
}

int store__touch(store *s, const char *person_id, int year, int capped)
{
    sqlite3_stmt *t = s->st[ST_TOUCH_INSERT];
    sqlite3_bind_text(t, 1, person_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(t, 2, year);
    sqlite3_bind_int(t, 3, capped);
    return store__step_done(t);
}

static size_t pairs_max(const store *s)
{
    return s->pairs_max ? s->pairs_max : STORE_PAIRS_MAX;
}

static int pairs_spill(store *s)
{
    pairs_fold(s);
    if (s->npairs <= pairs_max(s) / 2)
        return SQLITE_OK;
    for (size_t i = 0; i < s->npairs; i++) {
        char id[19];
        store__pair_person(&s->pairs[i], id);
        int rc = store__touch(s, id, s->pairs[i].year, 0);
        if (rc != SQLITE_OK)
            return rc;
    }
    s->npairs = s->pairs_sorted = 0;
    return SQLITE_OK;
}

int store__pair_note(store *s, const char *person_id, int year)
{
    unsigned long long key;
    if (strlen(person_id) != 18 || pair_pack(person_id, &key) != 0)
        return store__touch(s, person_id, year, 0);
    /* The same person's pairs at the end of the array (unsorted part). */
    for (size_t i = s->npairs; i > s->pairs_sorted; i--) {
        const store_pair *p = &s->pairs[i - 1];
        if (p->person != key)
            break;
        if (p->year == year)
            return SQLITE_OK;
    }
    size_t max = pairs_max(s);
    if (s->npairs >= max) {
        int rc = pairs_spill(s);
        if (rc != SQLITE_OK)
            return rc;
    }
    if (s->npairs == s->cappairs) {
        size_t cap = s->cappairs ? s->cappairs * 2 : 4096;
        if (cap > max)
            cap = max;
        store_pair *p = realloc(s->pairs, cap * sizeof *p);
        if (!p)
            return SQLITE_NOMEM;
        s->pairs = p;
        s->cappairs = cap;
    }
    store_pair *p = &s->pairs[s->npairs++];
    p->person = key;
    p->year = year;
    return SQLITE_OK;
}

void store__pairs_sort(store *s)
{
    pairs_fold(s);
}

void store__pairs_reset(store *s)
{
    s->npairs = s->pairs_sorted = 0;
    /* A large transaction's array is not kept for the next small one. */
    if (s->cappairs > 65536) {
        free(s->pairs);
        s->pairs = NULL;
        s->cappairs = 0;
    }
}

void store_set_pairs_max(store *s, size_t n)
{
    s->pairs_max = n;
}
