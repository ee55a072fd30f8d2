/*
 * Bytes → UTF-8 for the csv plugin. Excel writes CSV as UTF-8 (with a BOM)
 * or, on Chinese Windows, in the ANSI code page GBK; GB18030 is its superset,
 * so GBK files convert as GB18030.
 *
 * The file is read in chunks, so a character may be cut by a chunk's end: its
 * first bytes are kept (pend) and put in front of the next chunk, in the
 * caller's headroom, so that no chunk is ever copied.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "csv_internal.h"

#define CSV_DEC_OUT ((size_t)16 * 1024)

static const char csv_dec_replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

void csv_dec_init(csv_dec *d)
{
    memset(d, 0, sizeof *d);
    d->cd = (iconv_t)-1;
}

void csv_dec_free(csv_dec *d)
{
    if (d->cd != (iconv_t)-1)
        iconv_close(d->cd);
    free(d->out);
    csv_dec_init(d);
}

int csv_dec_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    int len;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* beyond U+10FFFF */
    } else
        return -1;
    for (int i = 1; i < len; i++) {
        if ((size_t)i >= n)
            return 0;
        unsigned char b = s[i];
        if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF))
            return -1;
    }
    return len;
}

/* UTF-8 or GB18030? Read as UTF-8, Chinese GBK text gives about one valid
 * sequence per four invalid bytes (measured on the seed notice and on random
 * GB2312 characters: 0.16 to 0.28), while a UTF-8 file has none or a few
 * stray bad bytes; so three valid sequences per invalid byte or more means
 * UTF-8, and a stray bad byte then spoils one record, not the whole file.
 * UNKNOWN while only ASCII (or one character cut by the chunk's end) has
 * been seen. */
static csv_enc csv_dec_guess(const unsigned char *s, size_t n)
{
    size_t valid = 0, invalid = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        int len = csv_dec_utf8_len(s + i, n - i);
        if (len == 0)
            break;
        if (len > 0) {
            valid++;
            i += (size_t)len;
        } else {
            invalid++;
            i++;
        }
    }
    if (valid + invalid == 0)
        return CSV_ENC_UNKNOWN;
    return valid >= 3 * invalid ? CSV_ENC_UTF8 : CSV_ENC_GB18030;
}

static int csv_dec_flush(const csv_dec_sink *k, const void *s, size_t n)
{
    return n ? k->data(k->ctx, s, n) : 0;
}

static int csv_dec_fault(const csv_dec_sink *k)
{
    if (k->fault(k->ctx))
        return 1;
    return k->data(k->ctx, csv_dec_replacement, sizeof csv_dec_replacement - 1);
}

static int csv_dec_keep(csv_dec *d, const unsigned char *s, size_t n)
{
    if (n > sizeof d->pend)
        return -1; /* cannot happen: no character is longer than 4 bytes */
    memcpy(d->pend, s, n);
    d->npend = n;
    return 0;
}

/* Pass valid UTF-8 through in runs; final: no more bytes will follow. */
static int csv_dec_utf8(csv_dec *d, const unsigned char *s, size_t n, int final,
                        const csv_dec_sink *k)
{
    size_t i = 0, run = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c && c < 0x80) {
            i++;
            continue;
        }
        int len = c ? csv_dec_utf8_len(s + i, n - i) : -1; /* NUL is not text */
        if (len > 0) {
            i += (size_t)len;
            continue;
        }
        if (csv_dec_flush(k, s + run, i - run))
            return 1;
        if (len == 0 && !final)
            return csv_dec_keep(d, s + i, n - i) ? csv_dec_fault(k) : 0;
        if (csv_dec_fault(k))
            return 1;
        i += len == 0 ? n - i : 1; /* a character cut by the end of file is one fault */
        run = i;
    }
    return csv_dec_flush(k, s + run, n - run);
}

/* Convert s[0..n), which holds no NUL. at_end: nothing that could complete a
 * cut character follows (a NUL, or the end of the file). */
static int csv_dec_gb_run(csv_dec *d, const unsigned char *s, size_t n, int at_end,
                          const csv_dec_sink *k)
{
    char *in = (char *)s;
    size_t inleft = n;
    while (inleft > 0) {
        char *out = d->out;
        size_t outleft = CSV_DEC_OUT;
        size_t r = iconv(d->cd, &in, &inleft, &out, &outleft);
        int e = errno;
        if (csv_dec_flush(k, d->out, (size_t)(out - d->out)))
            return 1;
        if (r != (size_t)-1 || e == E2BIG)
            continue;
        if (e == EINVAL && !at_end && csv_dec_keep(d, (unsigned char *)in, inleft) == 0)
            return 0;
        /* EILSEQ, or a cut character nothing can complete: skip one byte and
         * resynchronise on the next. */
        if (csv_dec_fault(k))
            return 1;
        in++;
        inleft--;
    }
    return 0;
}

static int csv_dec_gb(csv_dec *d, const unsigned char *s, size_t n, int final,
                      const csv_dec_sink *k)
{
    while (n > 0) {
        const unsigned char *nul = memchr(s, 0, n);
        size_t run = nul ? (size_t)(nul - s) : n;
        int rc = csv_dec_gb_run(d, s, run, final || nul, k);
        if (rc)
            return rc;
        if (!nul)
            break;
        if (csv_dec_fault(k))
            return 1;
        s += run + 1;
        n -= run + 1;
    }
    return 0;
}

static int csv_dec_open(csv_dec *d)
{
    d->out = malloc(CSV_DEC_OUT);
    if (!d->out) {
        errno = ENOMEM;
        return -1;
    }
    d->cd = iconv_open("UTF-8", "GB18030");
    return d->cd == (iconv_t)-1 ? -1 : 0;
}

static int csv_dec_run(csv_dec *d, const unsigned char *s, size_t n, int final,
                       const csv_dec_sink *k)
{
    if (d->enc == CSV_ENC_UNKNOWN) {
        d->enc = csv_dec_guess(s, n);
        if (d->enc == CSV_ENC_GB18030 && csv_dec_open(d))
            return -1;
    }
    /* While UNKNOWN the text so far is ASCII, which the UTF-8 path passes. */
    if (d->enc == CSV_ENC_GB18030)
        return csv_dec_gb(d, s, n, final, k);
    return csv_dec_utf8(d, s, n, final, k);
}

int csv_dec_feed(csv_dec *d, unsigned char *buf, size_t n, const csv_dec_sink *k)
{
    unsigned char *s = buf + CSV_DEC_HEADROOM - d->npend;
    memcpy(s, d->pend, d->npend);
    n += d->npend;
    d->npend = 0;
    return csv_dec_run(d, s, n, 0, k);
}

int csv_dec_finish(csv_dec *d, const csv_dec_sink *k)
{
    unsigned char tail[CSV_DEC_HEADROOM];
    size_t n = d->npend;
    if (!n)
        return 0;
    memcpy(tail, d->pend, n);
    d->npend = 0;
    return csv_dec_run(d, tail, n, 1, k);
}
