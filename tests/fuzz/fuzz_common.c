#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fuzz_common.h"
#include "record.h"

void fz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
    abort();
}

void fz_check_text(const char *file, int line, const char *what, const char *s)
{
    if (s && fz_utf8_valid(s, strlen(s)))
        return;
    fprintf(stderr, "%s:%d: not UTF-8 text: %s =", file, line, what);
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
        fprintf(stderr, " %02x", *p);
    fprintf(stderr, "\n");
    abort();
}

static char fz_dir[256];

static void fz_cleanup(void)
{
    char cmd[300];
    if (!fz_dir[0])
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fz_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", fz_dir);
}

const char *fz_file(const uint8_t *data, size_t size, const char *suffix)
{
    static char path[512];
    if (!fz_dir[0]) {
        /* tmpfs when there is one: the harness writes a file per input. */
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(fz_dir, sizeof fz_dir, "%s/xs-fuzz-XXXXXX", base);
        if (!mkdtemp(fz_dir))
            abort();
        atexit(fz_cleanup);
    }
    snprintf(path, sizeof path, "%s/input%s", fz_dir, suffix);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        abort();
    for (size_t off = 0; off < size;) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0)
            abort();
        off += (size_t)w;
    }
    close(fd);
    return path;
}

int fz_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i], lo = 0x80, hi = 0xBF;
        size_t len;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c >= 0xE0 && c <= 0xEF)
            len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        else if (c >= 0xF0 && c <= 0xF4)
            len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        else
            return 0;
        if (i + len > n || s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t k = 2; k < len; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return 0;
        i += len;
    }
    return 1;
}

/* The activity's strings point into its arena or to static text. */
static void fz_check_activity(const activity *a, int utf8_in)
{
    FZ_CHECK(a->arena_used <= sizeof a->arena);
    FZ_CHECK(a->nevidence <= RECORD_MAX_EVIDENCE);
    for (size_t i = 0; i < a->nevidence; i++) {
        FZ_CHECK(a->evidence[i] && a->evidence[i][0]);
        if (utf8_in)
            FZ_CHECK_TEXT(a->evidence[i]);
    }
    for (int f = 0; f < RF__COUNT; f++) {
        const record_value *v = &a->f[f];
        if (!v->present)
            continue;
        FZ_CHECK(v->text && v->text[0]);
        if (utf8_in)
            FZ_CHECK_TEXT(v->text);
    }
    /* Receipts are JSON: a reason that is not UTF-8 is lost (or worse). */
    FZ_CHECK(memchr(a->reason, 0, sizeof a->reason));
    if (a->reason_code) {
        FZ_CHECK(a->reason[0]);
        if (utf8_in)
            FZ_CHECK_TEXT(a->reason);
    }
    FZ_CHECK(memchr(a->field, 0, sizeof a->field));
    FZ_CHECK(a->year == 0 || (a->year >= 1900 && a->year <= 9999));
    if (a->has_identity) {
        FZ_CHECK(a->f[RF_ID].present && record_id_valid(a->f[RF_ID].text, NULL));
        FZ_CHECK(a->f[RF_KIND].present && record_kind_canonical(a->f[RF_KIND].text));
        FZ_CHECK(a->f[RF_TITLE].present && a->f[RF_DATE].present);
    }
    if (a->f[RF_ID].present && !a->reason_code)
        FZ_CHECK(record_id_valid(a->f[RF_ID].text, NULL));
    for (int f = RF_DATE; f <= RF_END_DATE; f++) {
        const record_value *v = &a->f[f];
        int y, m, d;
        if (v->present && !a->reason_code)
            FZ_CHECK(record_parse_date(v->text, &y, &m, &d));
    }
}

static activity fz_act, fz_again; /* large (arena): not on the stack */
static char fz_payload[RECORD_ARENA * 2];
static record_payload fz_parsed;

/* Equal, where a payload separator (0x1e, 0x1f) in a, which
 * record_payload_write stores as a space, matches a space in b. */
static int fz_same(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    for (; *a && *b; a++, b++)
        if (*a != *b && !((*a == '\x1e' || *a == '\x1f') && *b == ' '))
            return 0;
    return *a == *b;
}

/* recompute and `rules diff` normalise the record read back from its
 * payload: the outcome must be the one the file gave. */
static void fz_check_roundtrip(const xs_record *r)
{
    FZ_CHECK(record_payload_parse(fz_payload, r->index, r->line, &fz_parsed) == 0);
    FZ_CHECK(record_normalise(&fz_parsed.rec, "2026-11-28", &fz_again) == 0);
    const activity *a = &fz_act, *b = &fz_again;
    FZ_CHECK(fz_same(a->reason_code, b->reason_code));
    FZ_CHECK(fz_same(a->reason, b->reason));
    FZ_CHECK(a->year == b->year && a->has_identity == b->has_identity);
    for (int f = 0; f < RF__COUNT; f++) {
        FZ_CHECK(a->f[f].present == b->f[f].present);
        FZ_CHECK(fz_same(a->f[f].text, b->f[f].text));
    }
    FZ_CHECK(a->nevidence == b->nevidence);
    for (size_t i = 0; i < a->nevidence; i++)
        FZ_CHECK(fz_same(a->evidence[i], b->evidence[i]));
}

void fz_check_record(const xs_record *r, size_t expect_index, int utf8_in)
{
    FZ_CHECK(r);
    FZ_CHECK(expect_index == 0 || r->index == expect_index);
    FZ_CHECK(r->nfields == 0 || r->fields);
    FZ_CHECK(r->nevidence == 0 || r->evidence);
    for (size_t i = 0; i < r->nfields; i++) {
        FZ_CHECK(r->fields[i].key && r->fields[i].value);
        if (utf8_in) {
            FZ_CHECK_TEXT(r->fields[i].key);
            FZ_CHECK_TEXT(r->fields[i].value);
        }
    }
    for (size_t i = 0; i < r->nevidence; i++) {
        FZ_CHECK(r->evidence[i]);
        if (utf8_in)
            FZ_CHECK_TEXT(r->evidence[i]);
    }
    if (r->error_code) {
        FZ_CHECK(r->error_code[0]);
        FZ_CHECK_TEXT(r->error); /* the reason shown to people */
        if (r->error_field)
            FZ_CHECK_TEXT(r->error_field);
    }

    FZ_CHECK(record_normalise(r, "2026-11-28", &fz_act) == 0);
    fz_check_activity(&fz_act, utf8_in);
    if (r->error_code)
        FZ_CHECK(fz_act.reason_code);

    long n = record_payload_write(r, fz_payload, sizeof fz_payload);
    FZ_CHECK(n >= -1 && n < (long)sizeof fz_payload);
    if (n >= 0) {
        FZ_CHECK(fz_payload[n] == '\0');
        FZ_CHECK(strlen(fz_payload) == (size_t)n);
        FZ_CHECK(!utf8_in || fz_utf8_valid(fz_payload, (size_t)n));
        if (!r->error_code) /* a plugin's record error is not kept */
            fz_check_roundtrip(r);
    }
}
