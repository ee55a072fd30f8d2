/*
 * The common JSON Lines line, read without building a tree.
 *
 * jansson turns each line into a tree of objects (a hash table per object,
 * an allocation per string) only for the plugin to flatten it and free it
 * again: some 50,000 instructions per record, twice the rest of the reader
 * (issue #6). The line almost every submitting platform writes has one
 * shape, {"person": {…}, "activities": [{…}, …]} with flat values and
 * "evidence" as text or a list of texts; yajl's callbacks read that shape
 * straight into one buffer.
 *
 * Anything else goes to the jansson path, which stays the reference for
 * what a line means and for every message: a line with a backslash (escape
 * sequences, where the two parsers differ on lone surrogates and \u0000),
 * with \v or \f (whitespace to yajl, an error to jansson), a syntax error
 * or anything after the value, a repeated key, an object of more than
 * FLAT_MAX_KEYS keys, a null person, activities or evidence, a value of the
 * wrong type, another top-level key, or text that jansson's UTF-8 check
 * would refuse. json_flat_parse then says 0 and has emitted nothing, so the
 * line is read again as before. tests/unit/test_plugin_json.c and the
 * fuzzer compare both paths record by record.
 */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "json_internal.h"
#include "../plugin_util.h"

int json_fast_enabled = 1;

/* Where the parse is: before the line, in the top object, in the person,
 * in the activities list, in an activity, in an evidence list, done. */
enum { AT_START, AT_TOP, AT_PERSON, AT_ACTS, AT_ACT, AT_EVIDENCE, AT_DONE };
/* The top-level key whose value comes next. */
enum { TOP_NONE, TOP_PERSON, TOP_ACTS };
/* Keys of one object the fast path takes: a record has about twenty. The
 * check for a repeated key compares each key with the earlier ones; past
 * this, jansson's hash table does it (a line of 40,000 keys took 5 s here
 * against 0.02 s there, found by review). */
#define FLAT_MAX_KEYS 64

typedef struct flat_parse {
    json_flat *f;
    int at, evidence_of; /* AT_PERSON or AT_ACT while in an evidence list */
    int top_key;
    int seen_person, seen_acts;
    size_t obj_kv, obj_ev; /* first kv and evidence entry of the open object */
    int obj_has_evidence;
    size_t key;            /* arena offset of the current key */
    int key_is_evidence;
    int oom;
} flat_parse;

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    return xs_pu_grow(p, cap, need, size, 64);
}

/* Copy text into the arena, NUL-terminated; returns its offset or
 * (size_t)-1 when memory runs out. */
static size_t put_text(flat_parse *p, const char *s, size_t len)
{
    json_flat *f = p->f;
    if (grow((void **)&f->arena, &f->arena_cap, f->arena_len + len + 1, 1)) {
        p->oom = 1;
        return (size_t)-1;
    }
    size_t at = f->arena_len;
    memcpy(f->arena + at, s, len);
    f->arena[at + len] = '\0';
    f->arena_len += len + 1;
    return at;
}

/* Text jansson's UTF-8 check accepts (xs_utf8_char_len follows it). */
static int text_ok(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n = xs_utf8_char_len(s + i, len - i);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

/* s NULL: a null value, kept (JSON_FLAT_NULL) so that a repeated key is
 * seen, and left out of the record. */
static int add_value(flat_parse *p, const char *s, size_t len)
{
    json_flat *f = p->f;
    size_t v = s ? put_text(p, s, len) : JSON_FLAT_NULL;
    if ((s && v == (size_t)-1) || grow((void **)&f->kv, &f->kv_cap, f->nkv + 1, sizeof *f->kv)) {
        p->oom = 1;
        return 0;
    }
    f->kv[f->nkv].key = p->key;
    f->kv[f->nkv].value = v;
    f->nkv++;
    return 1;
}

static int add_evidence(flat_parse *p, const char *s, size_t len)
{
    json_flat *f = p->f;
    size_t v = put_text(p, s, len);
    if (v == (size_t)-1 || grow((void **)&f->ev, &f->ev_cap, f->nev + 1, sizeof *f->ev)) {
        p->oom = 1;
        return 0;
    }
    f->ev[f->nev++] = v;
    return 1;
}

/* A scalar (as its text) where a value may be: a field of the person or an
 * activity, or an item of an evidence list (text only). */
static int on_scalar(flat_parse *p, const char *s, size_t len, int is_string)
{
    if (p->at == AT_EVIDENCE)
        return is_string && add_evidence(p, s, len);
    if (p->at != AT_PERSON && p->at != AT_ACT)
        return 0;
    if (p->key_is_evidence)
        return is_string && add_evidence(p, s, len);
    return add_value(p, s, len);
}

static int cb_null(void *ctx)
{
    flat_parse *p = ctx;
    /* A null field is left out of the record, as jansson's path does; a
     * null evidence is left to that path. */
    return (p->at == AT_PERSON || p->at == AT_ACT) && !p->key_is_evidence &&
           add_value(p, NULL, 0);
}

static int cb_boolean(void *ctx, int b)
{
    return on_scalar(ctx, b ? "true" : "false", b ? 4 : 5, 0);
}

static int cb_integer(void *ctx, long long v)
{
    char t[32];
    json_rec_int_text(v, t, sizeof t);
    return on_scalar(ctx, t, strlen(t), 0);
}

static int cb_double(void *ctx, double d)
{
    char t[32];
    json_rec_real_text(d, t);
    return on_scalar(ctx, t, strlen(t), 0);
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
    flat_parse *p = ctx;
    return text_ok(s, len) && on_scalar(p, (const char *)s, len, 1);
}

static int cb_start_map(void *ctx)
{
    flat_parse *p = ctx;
    json_flat *f = p->f;
    if (p->at == AT_START) {
        p->at = AT_TOP;
        return 1;
    }
    if ((p->at == AT_TOP && p->top_key == TOP_PERSON) || p->at == AT_ACTS) {
        p->at = p->at == AT_TOP ? AT_PERSON : AT_ACT;
        p->obj_kv = f->nkv;
        p->obj_ev = f->nev;
        p->obj_has_evidence = 0;
        return 1;
    }
    return 0;
}

static int same_key(const json_flat *f, size_t at, const unsigned char *k, size_t len)
{
    return strlen(f->arena + at) == len && memcmp(f->arena + at, k, len) == 0;
}

static int cb_map_key(void *ctx, const unsigned char *k, size_t len)
{
    flat_parse *p = ctx;
    json_flat *f = p->f;
    if (p->at == AT_TOP) {
        if (len == 6 && memcmp(k, "person", 6) == 0 && !p->seen_person) {
            p->seen_person = 1;
            p->top_key = TOP_PERSON;
            return 1;
        }
        if (len == 10 && memcmp(k, "activities", 10) == 0 && !p->seen_acts) {
            p->seen_acts = 1;
            p->top_key = TOP_ACTS;
            return 1;
        }
        return 0;
    }
    if ((p->at != AT_PERSON && p->at != AT_ACT) || !text_ok(k, len) || memchr(k, 0, len))
        return 0;
    p->key_is_evidence = len == 8 && memcmp(k, "evidence", 8) == 0;
    if (p->key_is_evidence) {
        if (p->obj_has_evidence)
            return 0;
        p->obj_has_evidence = 1;
    }
    if (f->nkv - p->obj_kv >= FLAT_MAX_KEYS)
        return 0;
    for (size_t i = p->obj_kv; i < f->nkv; i++)
        if (same_key(f, f->kv[i].key, k, len))
            return 0; /* repeated: jansson keeps the last, in the first's place */
    p->key = put_text(p, (const char *)k, len);
    return p->key != (size_t)-1;
}

static json_flat_obj object_done(const flat_parse *p)
{
    json_flat_obj o = {p->obj_kv, p->f->nkv - p->obj_kv, p->obj_ev, p->f->nev - p->obj_ev};
    return o;
}

static int cb_end_map(void *ctx)
{
    flat_parse *p = ctx;
    json_flat *f = p->f;
    if (p->at == AT_PERSON) {
        f->person = object_done(p);
        p->at = AT_TOP;
        p->top_key = TOP_NONE;
        return 1;
    }
    if (p->at == AT_ACT) {
        if (grow((void **)&f->acts, &f->acts_cap, f->nacts + 1, sizeof *f->acts)) {
            p->oom = 1;
            return 0;
        }
        f->acts[f->nacts++] = object_done(p);
        p->at = AT_ACTS;
        return 1;
    }
    if (p->at == AT_TOP) {
        p->at = AT_DONE;
        return 1;
    }
    return 0;
}

static int cb_start_array(void *ctx)
{
    flat_parse *p = ctx;
    if (p->at == AT_TOP && p->top_key == TOP_ACTS) {
        p->at = AT_ACTS;
        return 1;
    }
    if ((p->at == AT_PERSON || p->at == AT_ACT) && p->key_is_evidence) {
        p->evidence_of = p->at;
        p->at = AT_EVIDENCE;
        return 1;
    }
    return 0;
}

static int cb_end_array(void *ctx)
{
    flat_parse *p = ctx;
    if (p->at == AT_EVIDENCE) {
        p->at = p->evidence_of;
        return 1;
    }
    if (p->at == AT_ACTS) {
        p->at = AT_TOP;
        p->top_key = TOP_NONE;
        return 1;
    }
    return 0;
}

static const yajl_callbacks flat_callbacks = {
    cb_null, cb_boolean, cb_integer, cb_double, NULL, cb_string,
    cb_start_map, cb_map_key, cb_end_map, cb_start_array, cb_end_array,
};

/* Nothing but JSON whitespace after the line's first complete value. yajl
 * takes an unfinished token at the very end ("…} \"x", "…} 12") for input
 * still to come and calls the text complete (found by the fuzzer); jansson
 * says "end of file expected". Without backslashes a quote always opens or
 * closes a string, so one pass finds where the value ends. */
static int nothing_after_value(const char *s, size_t len)
{
    size_t i = 0;
    int depth = 0, in_string = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (in_string) {
            in_string = c != '"';
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            i++;
            break;
        }
    }
    for (; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

void json_flat_free(json_flat *f)
{
    free(f->arena);
    free(f->kv);
    free(f->ev);
    free(f->acts);
    memset(f, 0, sizeof *f);
}

int json_flat_parse(json_flat *f, const char *line, size_t len)
{
    /* yajl reads numbers with strtod: only where the locale's decimal
     * point is '.' (jansson copes with any). */
    if (!json_fast_enabled || memchr(line, '\\', len) || memchr(line, '\v', len) ||
        memchr(line, '\f', len) || strcmp(localeconv()->decimal_point, ".") != 0)
        return 0;
    f->arena_len = f->nkv = f->nev = f->nacts = 0;
    f->person = (json_flat_obj){0, 0, 0, 0};
    flat_parse p = {.f = f, .at = AT_START};
    yajl_handle h = yajl_alloc(&flat_callbacks, NULL, &p);
    if (!h)
        return -1;
    int ok = yajl_parse(h, (const unsigned char *)line, len) == yajl_status_ok &&
             yajl_complete_parse(h) == yajl_status_ok && p.at == AT_DONE && p.seen_acts &&
             nothing_after_value(line, len);
    yajl_free(h);
    if (p.oom)
        return -1;
    return ok;
}
