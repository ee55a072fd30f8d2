/*
 * Private to the json input plugin: the record builder (json_record.c) that
 * turns one person + one activity into a flat xs_record, and the line reader
 * (json_lines.c) that streams JSON Lines in bounded memory.
 *
 * The json_ prefix is shared with jansson, so our helpers take a second word
 * (json_rec_, json_lines_) that jansson does not use.
 */
#ifndef XS_JSON_INTERNAL_H
#define XS_JSON_INTERNAL_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include "xueshi/plugin.h"

/* Internal symbols stay out of the module's dynamic symbol table: only
 * xs_plugin_descriptor is the plugin's interface. */
#define JSON_HIDDEN __attribute__((visibility("hidden")))

/* One line of JSON Lines may not exceed this; a longer line becomes a record
 * error and is skipped without being stored. */
#ifndef JSON_LINE_MAX /* the fuzzer builds with small limits */
#define JSON_LINE_MAX ((size_t)64 * 1024 * 1024)
#endif
#ifndef JSON_READ_CHUNK
#define JSON_READ_CHUNK ((size_t)64 * 1024)
#endif

/* --- record builder ----------------------------------------------------- */

typedef struct json_rec {
    xs_field *fields;
    size_t nfields, fields_cap;
    const char **evidence;
    size_t nevidence, evidence_cap;
    /* Text of numbers, one slot per field; sized before a record is built so
     * that pointers into it stay valid until the record is emitted. */
    char (*num)[32];
    size_t nnum, num_cap;
    const char *error_code;
    const char *error_field;
    char error[768];
} json_rec;

/* Where a record sits, for messages: the file's basename, the record's
 * 1-based index and its line (0 for a whole-file .json). */
typedef struct json_where {
    const char *file;
    size_t index;
    size_t line;
    int whole_line; /* the error concerns a line of JSON Lines, not one activity */
} json_where;

JSON_HIDDEN void json_rec_init(json_rec *r);
JSON_HIDDEN void json_rec_free(json_rec *r);
/* Start a record that will hold at most nfields fields and nevidence
 * evidence entries. Returns -1 when memory runs out. */
JSON_HIDDEN int json_rec_begin(json_rec *r, size_t nfields, size_t nevidence);
/* Add every key of obj (a JSON object): scalars as fields, "evidence" as
 * evidence entries, null omitted; a wrong type marks the record invalid. */
JSON_HIDDEN void json_rec_add_object(json_rec *r, json_t *obj, const json_where *w);
/* Mark the record as failed (only the first failure is kept). */
JSON_HIDDEN void json_rec_fail(json_rec *r, const char *code, const char *field,
                               const json_where *w, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Fill out with the record's current content. */
JSON_HIDDEN void json_rec_view(const json_rec *r, const json_where *w, xs_record *out);
/* The basename of path as valid UTF-8 for messages: bytes that are not UTF-8
 * (a GBK file name, say) and control characters become '?'; a long name is
 * cut at a character. */
JSON_HIDDEN void json_rec_name_text(const char *path, char *out, size_t outlen);
/* Make s valid UTF-8 text in place: invalid bytes and control characters
 * become '?'. jansson's "near '…'" quotes the input's raw bytes, cut
 * anywhere, and messages end up in JSON receipts and one-line logs. */
JSON_HIDDEN void json_rec_clean(char *s);
/* Number of evidence entries v would add (for json_rec_begin). */
JSON_HIDDEN size_t json_rec_evidence_count(json_t *obj);
/* Text of a JSON number in the shortest form that reads back exactly
 * (2.5 → "2.5", 0.1 → "0.1"), independent of the C locale. */
JSON_HIDDEN void json_rec_real_text(double d, char out[32]);

/* Decimal text of an integer (out: 24 bytes are enough). */
JSON_HIDDEN const char *json_rec_int_text(long long v, char *out, size_t outlen);

/* --- the common line without a tree (json_fast.c) -------------------------- */

/* Offsets into arena (it grows while a line is read). */
typedef struct json_flat_kv {
    size_t key, value; /* value JSON_FLAT_NULL: null, not in the record */
} json_flat_kv;
#define JSON_FLAT_NULL SIZE_MAX
/* One object of the line: the person or an activity. */
typedef struct json_flat_obj {
    size_t kv, nkv; /* its fields: kv[kv .. kv + nkv) */
    size_t ev, nev; /* its evidence: ev[ev .. ev + nev) */
} json_flat_obj;
typedef struct json_flat {
    char *arena;
    size_t arena_len, arena_cap;
    json_flat_kv *kv;
    size_t nkv, kv_cap;
    size_t *ev;
    size_t nev, ev_cap;
    json_flat_obj *acts;
    size_t nacts, acts_cap;
    json_flat_obj person; /* all 0 when the line has none */
} json_flat;
/* 1: line is {"person": {…}, "activities": [{…}, …]} with flat values, read
 * into f; 0: it is not (or has anything the jansson path must judge), f
 * means nothing; -1: out of memory. */
JSON_HIDDEN int json_flat_parse(json_flat *f, const char *line, size_t len);
JSON_HIDDEN void json_flat_free(json_flat *f);
/* 0 turns json_flat_parse off (tests compare the two paths). */
JSON_HIDDEN extern int json_fast_enabled;

/* --- JSON Lines reader ---------------------------------------------------- */

typedef struct json_lines {
    FILE *f;
    char *chunk;       /* JSON_READ_CHUNK bytes read ahead */
    size_t cpos, clen;
    char *line;        /* the current line, NUL-terminated, without '\n' */
    size_t len, cap;
    size_t lineno;     /* 1-based number of the current line */
    int too_long;      /* the current line exceeded JSON_LINE_MAX (not stored) */
    int eof;
} json_lines;

/* Returns -1 when memory runs out. */
JSON_HIDDEN int json_lines_init(json_lines *r, FILE *f);
JSON_HIDDEN void json_lines_free(json_lines *r);
/* Next line: 1 when there is one, 0 at end of file, -1 on a read error or
 * when memory runs out (errno tells which). A UTF-8 BOM on line 1 and a
 * trailing '\r' are removed. */
JSON_HIDDEN int json_lines_next(json_lines *r);

#endif
