/*
 * libFuzzer harness for record normalisation: the input is a raw record as
 * a plugin would emit it, written as text so that seeds are readable:
 *
 *   byte 0        flags: bit 0 = the plugin marked the record as an error
 *   then lines    key=value   a field (key and value may be anything)
 *                 @ev=value   an evidence entry
 *
 * The record goes through record_normalise and record_payload_write, and
 * the invariants of fuzz_common.c are checked. Values need not be UTF-8
 * here (a plugin bug could pass anything): UTF-8 output is only demanded
 * when every input string is UTF-8.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz_common.h"

#define FZ_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* One NUL-terminated copy, split in place. */
    char *buf = malloc(size);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    xs_field fields[FZ_MAX];
    const char *evidence[FZ_MAX];
    size_t nf = 0, ne = 0;
    int utf8 = 1;
    char *end = buf + (size - 1);
    for (char *line = buf; line < end && nf < FZ_MAX && ne < FZ_MAX;) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        if (nl)
            *nl = '\0';
        size_t len = strlen(line); /* an embedded NUL ends the line early */
        utf8 &= fz_utf8_valid(line, len);
        char *eq = strchr(line, '=');
        if (eq) {
            *eq = '\0';
            if (strcmp(line, "@ev") == 0)
                evidence[ne++] = eq + 1;
            else
                fields[nf++] = (xs_field){line, eq + 1};
        } else {
            fields[nf++] = (xs_field){line, ""};
        }
        if (!nl)
            break;
        line = nl + 1;
    }
    xs_record r = {
        .index = 1 + data[0] / 2,
        .line = data[0] & 2 ? 0 : 3,
        .fields = fields,
        .nfields = nf,
        .evidence = evidence,
        .nevidence = ne,
    };
    if (data[0] & 1) {
        r.error_code = "invalid_value";
        r.error = "文件 x.csv 第3行：字段 日期 含有无法识别的字节";
        r.error_field = "日期";
    }
    fz_check_record(&r, 0, utf8);
    free(buf);
    return 0;
}
