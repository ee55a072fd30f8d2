/*
 * record — turn a plugin's raw (key, value) record into a normalised
 * activity: canonical keys (English or Chinese headers), typed values,
 * canonical enum values (公需 → public, 主持 → host, 是 → true, 培训班 →
 * training), a checked ID number and real calendar dates.
 *
 * Only what is the same for every year lives here (SPEC §3 field table);
 * what is creditable, and how much, is the policy's business (Lua).
 */
#ifndef XS_RECORD_H
#define XS_RECORD_H

#include <stddef.h>
#include "xueshi/plugin.h"

typedef enum record_field {
    RF_ID, RF_NAME, RF_UNIT, RF_PROFESSIONAL_TITLE, RF_EDUCATION,
    RF_REF, RF_KIND, RF_SUBJECT, RF_TOPIC, RF_TITLE, RF_PROVIDER,
    RF_DATE, RF_END_DATE, RF_DAYS, RF_HALF_DAYS, RF_EVENINGS, RF_HOURS,
    RF_ROLE, RF_LEVEL, RF_RANK, RF_CN, RF_MODULES, RF_PASSED,
    RF_NUMBER, RF_FROM_YEAR, RF_TO_YEAR,
    RF__COUNT
} record_field;

typedef enum record_type {
    RT_TEXT,   /* free text */
    RT_ENUM,   /* text mapped to a canonical English word when known */
    RT_INT,    /* whole number (may be negative in the file: the policy or
                  the normaliser says invalid_value) */
    RT_NUMBER, /* decimal number */
    RT_BOOL,
    RT_DATE    /* YYYY-MM-DD, a real calendar date */
} record_type;

typedef struct record_value {
    int present;      /* the key was in the record with a non-empty value */
    const char *text; /* canonical text when present (e.g. "public", "2022-05-10", "24") */
    long long i;      /* RT_INT, RT_BOOL (0/1), RT_DATE (days since 1970-01-01) */
    double n;         /* RT_NUMBER (also set for RT_INT) */
} record_value;

#define RECORD_MAX_EVIDENCE 64
#define RECORD_ARENA 8192

typedef struct activity {
    record_value f[RF__COUNT];
    const char *evidence[RECORD_MAX_EVIDENCE]; /* split, trimmed, as given (the policy maps 通知 → notice) */
    size_t nevidence;
    const char *kind_name; /* the kind as written (援疆), for explanations */
    int year;          /* the policy year: of date, or of end_date for special_task; 0 if unknown */
    int has_identity;  /* valid id, kind, title and date: can supersede */
    size_t index, line;/* position in the file */
    /* Set when normalisation rejects the record (status rejected). */
    const char *reason_code; /* NULL when the record is fine so far */
    char reason[512];        /* Chinese, names the record and the field */
    char field[48];          /* canonical key of the offending field */
    /* private: storage for the strings above */
    char arena[RECORD_ARENA];
    size_t arena_used;
} activity;

/* Field catalogue, shared by the Lua host and the store. */
const char *record_field_key(record_field f);      /* "half_days" */
const char *record_field_zh(record_field f);       /* "半天数" */
record_type record_field_type(record_field f);
/* Canonical field for a file key (English or any Chinese alias), or -1. */
int record_field_lookup(const char *key);

/* Normalise raw into out. today is "YYYY-MM-DD": a date after it is
 * invalid_value. Never fails as a function: a bad record comes back with
 * out->reason_code set. Returns 0, or -1 only if out is NULL. */
int record_normalise(const xs_record *raw, const char *today, activity *out);

/* GB 11643: 18 chars, 17 digits + check digit (0-9 or X); a trailing x is
 * normalised to X into norm (19 bytes). Returns 1 if valid. */
int record_id_valid(const char *id, char norm[19]);
/* The GB 11643 check digit ('0'–'9' or 'X') of the 17 digits at first17,
 * or 0 when they are not all digits. */
char record_id_check_digit(const char *first17);
/* Mask an ID for logs: 430302********1234. out needs 19 bytes. */
void record_id_mask(const char *id, char out[19]);

/* Dates. Returns 1 and fills y/m/d when s is a real YYYY-MM-DD date. */
int record_parse_date(const char *s, int *y, int *m, int *d);
long long record_days_from_civil(int y, int m, int d);
void record_civil_from_days(long long days, int *y, int *m, int *d);

/* Canonical kind for a kind name (English or Chinese, SPEC §4), or NULL. */
const char *record_kind_canonical(const char *name);
/* Canonical word of an RT_ENUM field's value (公需 → public), or NULL. */
const char *record_enum_canonical(record_field f, const char *name);
/* true/false/1/0/是/否: 1 and *out set when s is a boolean word. */
int record_bool_parse(const char *s, int *out);
/* Serialise raw's fields for storage (recompute reads them back with
 * record_payload_parse). Returns bytes written (excluding NUL) or -1 when
 * out is too small. */
long record_payload_write(const xs_record *raw, char *out, size_t outlen);

/* A stored payload read back as the raw record it was written from (for
 * `rules diff` and `recompute`): the fields in their order, and the trailing
 * "evidence" entries as evidence (record_payload_write puts the record's
 * evidence list last). A field the file itself called "evidence" may come
 * back as an evidence entry or vice versa; the normaliser treats both the
 * same, in the same order, so record_normalise of the parsed record equals
 * that of the original (index and line are the caller's: payloads do not
 * keep them). Only the plugin's per-record error is lost: such records were
 * rejected by normalisation and are never re-evaluated.
 * An entry takes 2 bytes at least (US, RS), so the RECORD_ARENA * 2 bytes
 * the pipeline writes a payload into hold at most RECORD_ARENA entries (with
 * 1024, a record of 1,025 short fields, from a wide CSV or a JSON object of
 * many keys, could not be read back; found by tests/fuzz). */
#define RECORD_PAYLOAD_MAX RECORD_ARENA
typedef struct record_payload {
    xs_record rec;
    xs_field fields[RECORD_PAYLOAD_MAX];
    const char *evidence[RECORD_PAYLOAD_MAX];
    char buf[RECORD_ARENA * 2];
} record_payload;
/* Returns 0, or -1 when payload is longer than out->buf or has more than
 * RECORD_PAYLOAD_MAX entries (record_payload_write never makes one). */
int record_payload_parse(const char *payload, size_t index, size_t line, record_payload *out);

#endif
