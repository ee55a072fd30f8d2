/*
 * libFuzzer harness for the json plugin: each input is parsed both as a
 * whole-file .json and as .jsonl, every record is checked and pushed
 * through record_normalise and record_payload_write (what the pipeline does
 * with it); JSON Lines both with and without the tree-less reader of
 * json_fast.c, which must agree. Built with small line and chunk limits
 * (tests/fuzz/CMakeLists.txt) so that short inputs reach the too-long-line
 * and chunk-boundary paths.
 */
#include <stdio.h>
#include <string.h>
#include "fuzz_common.h"
#include "json_internal.h"

extern const xs_plugin xs_plugin_descriptor;

typedef struct fz_state {
    size_t next;
    unsigned long long hash; /* of every record's content, in order */
} fz_state;

static void fz_hash(fz_state *s, const char *t)
{
    /* FNV-1a; NULL and "" differ */
    unsigned long long h = s->hash ^ (t ? 0x100 : 0x200);
    for (; t && *t; t++)
        h = (h ^ (unsigned char)*t) * 0x100000001b3ULL;
    s->hash = h * 0x100000001b3ULL;
}

static int on_record(void *ctx, const xs_record *r)
{
    fz_state *s = ctx;
    fz_check_record(r, ++s->next, 1);
    char n[64];
    snprintf(n, sizeof n, "%zu/%zu/%zu/%zu", r->index, r->line, r->nfields, r->nevidence);
    fz_hash(s, n);
    for (size_t i = 0; i < r->nfields; i++) {
        fz_hash(s, r->fields[i].key);
        fz_hash(s, r->fields[i].value);
    }
    for (size_t i = 0; i < r->nevidence; i++)
        fz_hash(s, r->evidence[i]);
    fz_hash(s, r->error_code);
    fz_hash(s, r->error_field);
    fz_hash(s, r->error);
    return 0;
}

static int run(const uint8_t *data, size_t size, const char *suffix, fz_state *s, char *err,
               size_t errlen)
{
    memset(err, 0x55, errlen);
    err[0] = '\0';
    const char *path = fz_file(data, size, suffix);
    int rc = xs_plugin_descriptor.parse(path, on_record, s, err, errlen);
    FZ_CHECK(rc == 0 || rc == -1);
    if (rc == -1) {
        /* The whole file is refused: a message for people, in UTF-8. */
        FZ_CHECK(memchr(err, 0, errlen));
        FZ_CHECK(err[0] && fz_utf8_valid(err, strlen(err)));
    }
    return rc;
}

/* JSON Lines read without a tree where it can (json_fast.c) and always
 * with jansson: the same records, the same messages. */
static void run_lines_both_ways(const uint8_t *data, size_t size)
{
    char err1[1024], err2[1024];
    fz_state fast = {0}, tree = {0};
    int rc1 = run(data, size, ".jsonl", &fast, err1, sizeof err1);
    json_fast_enabled = 0;
    int rc2 = run(data, size, ".jsonl", &tree, err2, sizeof err2);
    json_fast_enabled = 1;
    FZ_CHECK(rc1 == rc2);
    FZ_CHECK(fast.next == tree.next && fast.hash == tree.hash);
    FZ_CHECK(rc1 == 0 || strcmp(err1, err2) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    fz_state s = {0};
    run(data, size, ".json", &s, err, sizeof err);
    run_lines_both_ways(data, size);
    /* The sniffer reads the first bytes of a file without extension. */
    int score = xs_plugin_descriptor.sniff(data, size);
    FZ_CHECK(score >= 0 && score <= 100);
    return 0;
}
