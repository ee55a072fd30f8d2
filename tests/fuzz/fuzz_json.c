/*
 * libFuzzer harness for the json plugin: each input is parsed both as a
 * whole-file .json and as .jsonl, every record is checked and pushed
 * through record_normalise and record_payload_write (what the pipeline does
 * with it). Built with small line and chunk limits (tests/fuzz/CMakeLists.txt)
 * so that short inputs reach the too-long-line and chunk-boundary paths.
 */
#include <stdio.h>
#include <string.h>
#include "fuzz_common.h"

extern const xs_plugin xs_plugin_descriptor;

typedef struct fz_state {
    size_t next;
} fz_state;

static int on_record(void *ctx, const xs_record *r)
{
    fz_state *s = ctx;
    fz_check_record(r, ++s->next, 1);
    return 0;
}

static void run(const uint8_t *data, size_t size, const char *suffix)
{
    char err[1024];
    fz_state s = {0};
    memset(err, 0x55, sizeof err);
    err[0] = '\0';
    const char *path = fz_file(data, size, suffix);
    int rc = xs_plugin_descriptor.parse(path, on_record, &s, err, sizeof err);
    FZ_CHECK(rc == 0 || rc == -1);
    if (rc == -1) {
        /* The whole file is refused: a message for people, in UTF-8. */
        FZ_CHECK(memchr(err, 0, sizeof err));
        FZ_CHECK(err[0] && fz_utf8_valid(err, strlen(err)));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(data, size, ".json");
    run(data, size, ".jsonl");
    /* The sniffer reads the first bytes of a file without extension. */
    int score = xs_plugin_descriptor.sniff(data, size);
    FZ_CHECK(score >= 0 && score <= 100);
    return 0;
}
