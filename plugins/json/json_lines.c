/*
 * A line reader for JSON Lines. getline() would grow its buffer to the
 * longest line whatever its size; this one stops storing a line at
 * JSON_LINE_MAX and skips the rest of it, so a file of any shape is read in
 * bounded memory (one chunk plus one line).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json_internal.h"

int json_lines_init(json_lines *r, FILE *f)
{
    memset(r, 0, sizeof *r);
    r->f = f;
    r->chunk = malloc(JSON_READ_CHUNK);
    r->cap = 4096;
    r->line = malloc(r->cap);
    return r->chunk && r->line ? 0 : -1;
}

void json_lines_free(json_lines *r)
{
    free(r->chunk);
    free(r->line);
    r->chunk = r->line = NULL;
}

/* Append n bytes to the current line, or mark it too long. */
static int json_lines_append(json_lines *r, const char *s, size_t n)
{
    if (r->too_long)
        return 0;
    if (n > JSON_LINE_MAX - r->len) {
        r->too_long = 1;
        return 0;
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap;
        while (cap < r->len + n + 1)
            cap *= 2;
        char *p = realloc(r->line, cap);
        if (!p)
            return -1;
        r->line = p;
        r->cap = cap;
    }
    memcpy(r->line + r->len, s, n);
    r->len += n;
    return 0;
}

/* Make the chunk non-empty: 1 when there are bytes, 0 at end, -1 on error. */
static int json_lines_fill(json_lines *r)
{
    if (r->cpos < r->clen)
        return 1;
    if (r->eof)
        return 0;
    r->cpos = 0;
    r->clen = fread(r->chunk, 1, JSON_READ_CHUNK, r->f);
    if (r->clen > 0)
        return 1;
    if (ferror(r->f)) {
        if (!errno)
            errno = EIO;
        return -1;
    }
    r->eof = 1;
    return 0;
}

static void json_lines_finish(json_lines *r)
{
    r->lineno++;
    if (r->too_long)
        return;
    if (r->len > 0 && r->line[r->len - 1] == '\r')
        r->len--;
    if (r->lineno == 1 && r->len >= 3 && memcmp(r->line, "\xEF\xBB\xBF", 3) == 0) {
        memmove(r->line, r->line + 3, r->len - 3);
        r->len -= 3;
    }
    r->line[r->len] = '\0';
}

int json_lines_next(json_lines *r)
{
    int got = 0;
    r->len = 0;
    r->too_long = 0;
    for (;;) {
        int f = json_lines_fill(r);
        if (f < 0)
            return -1;
        if (f == 0) {
            if (!got)
                return 0;
            json_lines_finish(r);
            return 1;
        }
        got = 1;
        const char *start = r->chunk + r->cpos;
        size_t avail = r->clen - r->cpos;
        const char *nl = memchr(start, '\n', avail);
        size_t take = nl ? (size_t)(nl - start) : avail;
        if (json_lines_append(r, start, take)) {
            errno = ENOMEM;
            return -1;
        }
        r->cpos += take + (nl ? 1 : 0);
        if (nl) {
            json_lines_finish(r);
            return 1;
        }
    }
}
