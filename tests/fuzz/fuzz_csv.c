/*
 * libFuzzer harness for the csv plugin: any bytes as a .csv file; every
 * record is checked and pushed through record_normalise and
 * record_payload_write. Built with tiny caps (field, row, columns) and a
 * tiny read chunk (tests/fuzz/CMakeLists.txt), so that short inputs reach
 * the overflow paths (which reach into libcsv's parser state) and put
 * multi-byte characters across chunk boundaries.
 */
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
    /* Lines only go forward. */
    FZ_CHECK(r->line >= 2);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    fz_state s = {0};
    memset(err, 0x55, sizeof err);
    err[0] = '\0';
    const char *path = fz_file(data, size, ".csv");
    int rc = xs_plugin_descriptor.parse(path, on_record, &s, err, sizeof err);
    FZ_CHECK(rc == 0 || rc == -1);
    if (rc == -1) {
        FZ_CHECK(memchr(err, 0, sizeof err));
        FZ_CHECK(err[0] && fz_utf8_valid(err, strlen(err)));
    }
    int score = xs_plugin_descriptor.sniff(data, size);
    FZ_CHECK(score >= 0 && score <= 100);
    return 0;
}
