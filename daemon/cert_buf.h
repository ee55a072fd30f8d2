/*
 * cert_buf — a growable text buffer for the documents xueshi renders
 * (学时认定单, 公示名单, CSV). Out of memory is sticky: appends after a
 * failure do nothing and cert_buf_failed() says so once at the end, so the
 * callers need not check every append.
 */
#ifndef XS_CERT_BUF_H
#define XS_CERT_BUF_H
#include <stddef.h>

typedef struct cert_buf {
    char *s;      /* NUL-terminated when len > 0 or after any append */
    size_t len, cap;
    int oom;
} cert_buf;

void cert_buf_append(cert_buf *b, const char *s, size_t n);
void cert_buf_puts(cert_buf *b, const char *s);
void cert_buf_printf(cert_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s with & < > " ' escaped: safe in HTML text and in quoted attributes. */
void cert_buf_html(cert_buf *b, const char *s);
int cert_buf_failed(const cert_buf *b);
/* The text (never NULL: "" when empty). */
const char *cert_buf_str(const cert_buf *b);
void cert_buf_free(cert_buf *b);

#endif
