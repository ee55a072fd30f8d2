/*
 * Shared by the libFuzzer harnesses: a scratch file for plugins (they take
 * a path, not bytes), UTF-8 checks, and the invariants every record must
 * keep on its way plugin → record_normalise → record_payload_write. A broken
 * invariant aborts, which libFuzzer reports as a crash with the input.
 */
#ifndef XS_FUZZ_COMMON_H
#define XS_FUZZ_COMMON_H
#include <stddef.h>
#include <stdint.h>
#include "xueshi/plugin.h"

/* Abort with a message naming the broken invariant. */
#define FZ_CHECK(cond)                                                         \
    do {                                                                       \
        if (!(cond))                                                           \
            fz_fail(__FILE__, __LINE__, #cond);                                \
    } while (0)
void fz_fail(const char *file, int line, const char *what) __attribute__((noreturn));
/* Abort unless s is non-NULL, valid UTF-8 text; shows s in hex. */
#define FZ_CHECK_TEXT(s) fz_check_text(__FILE__, __LINE__, #s, (s))
void fz_check_text(const char *file, int line, const char *what, const char *s);

/* Writes data to a scratch file with the given suffix (".csv", ".jsonl")
 * in a private directory; returns its path (static storage). */
const char *fz_file(const uint8_t *data, size_t size, const char *suffix);

/* 1 when s[0..n) is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int fz_utf8_valid(const char *s, size_t n);

/* Checks a record as a plugin emitted it (the ABI's promises), then
 * normalises it and writes its payload, checking those too. expect_index is
 * the index the record must carry (plugins number records 1, 2, 3 …; 0 to
 * skip that check). utf8_in: the plugin promises UTF-8 text. */
void fz_check_record(const xs_record *r, size_t expect_index, int utf8_in);

#endif
