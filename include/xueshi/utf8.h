/*
 * xueshi/utf8.h — strict UTF-8, the one decoder of the daemon and of the
 * plugins: as jansson accepts it in JSON (receipts), and as log lines and
 * file names shown to people need it: no overlong forms, no surrogates,
 * nothing above U+10FFFF.
 *
 * Header-only (static inline): each plugin is a module of its own with a
 * single exported symbol, and the daemon and the plugins must not share
 * any other.
 */
#ifndef XUESHI_UTF8_H
#define XUESHI_UTF8_H
#include <stddef.h>

/* Length (1–4) of the valid, complete character at s[0..n), or 0. */
static inline size_t xs_utf8_char_len(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80; /* overlong */
        hi = c == 0xED ? 0x9F : 0xBF; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        lo = c == 0xF0 ? 0x90 : 0x80; /* overlong */
        hi = c == 0xF4 ? 0x8F : 0xBF; /* beyond U+10FFFF */
    } else {
        return 0; /* a continuation byte, C0/C1, F5 … */
    }
    if (len > n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

/* Drop a character cut off at the end of s (by a truncating snprintf):
 * a lead byte whose continuation bytes are missing. */
static inline void xs_utf8_fit(char *s)
{
    size_t n = 0, i;
    while (s[n])
        n++;
    i = n;
    while (i > 0 && n - i < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (n - (i - 1) < need)
        s[i - 1] = '\0';
}

#endif
