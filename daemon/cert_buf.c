#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cert_buf.h"

static int grow(cert_buf *b, size_t more)
{
    if (b->oom)
        return -1;
    if (b->len + more + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1) {
        if (cap > ((size_t)-1) / 2) {
            b->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = 1;
        return -1;
    }
    b->s = s;
    b->cap = cap;
    return 0;
}

void cert_buf_append(cert_buf *b, const char *s, size_t n)
{
    if (grow(b, n) != 0)
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void cert_buf_puts(cert_buf *b, const char *s)
{
    cert_buf_append(b, s, strlen(s));
}

void cert_buf_printf(cert_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || grow(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void cert_buf_html(cert_buf *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: continue;
        }
        cert_buf_append(b, run, (size_t)(s - run));
        cert_buf_puts(b, rep);
        run = s + 1;
    }
    cert_buf_append(b, run, (size_t)(s - run));
}

int cert_buf_failed(const cert_buf *b)
{
    return b->oom;
}

const char *cert_buf_str(const cert_buf *b)
{
    return b->s ? b->s : "";
}

void cert_buf_free(cert_buf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}
