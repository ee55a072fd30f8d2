#ifndef XS_BENCH_GEN_H
#define XS_BENCH_GEN_H
/* A valid GB 11643 ID for person number n (19 bytes with NUL); distinct for
 * n < 13,440,000. */
void bench_make_id(long n, char id[19]);

/* The columns of a generated record, in CSV header order. */
enum {
    BF_ID, BF_NAME, BF_UNIT, BF_REF, BF_KIND, BF_SUBJECT, BF_TOPIC, BF_TITLE, BF_DATE,
    BF_DAYS, BF_HALF_DAYS, BF_HOURS, BF_RANK, BF_CN, BF_MODULES, BF_ROLE, BF_LEVEL,
    BF_EVIDENCE, BF_COUNT
};
extern const char *const bench_fields[BF_COUNT]; /* "id", "name", … */

/* Record number i (global: person i / 10) as text; "" for an empty field. */
typedef struct bench_rec {
    char v[BF_COUNT][128];
} bench_rec;
void bench_record(long i, bench_rec *r);

/* n CSV records of a realistic mix of kinds, ten per person; a few pending
 * or rejected. */
void bench_generate_csv(const char *path, long n);
/* Records first .. first+n-1, as CSV or as JSON Lines (one line per person:
 * {"person": {...}, "activities": [...]}, the same records). */
void bench_generate_csv_range(const char *path, long first, long n);
void bench_generate_jsonl(const char *path, long first, long n);
#endif
