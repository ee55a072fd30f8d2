/*
 * utf8 — strict UTF-8, as jansson accepts it in JSON (receipts) and as log
 * lines and file names shown to people need it: no overlong forms, no
 * surrogates, nothing above U+10FFFF. (The plugins, separate modules,
 * carry their own copy in plugins/plugin_util.h.)
 */
#ifndef XS_UTF8_H
#define XS_UTF8_H
#include <stddef.h>

/* Length (1–4) of the valid, complete character at s[0..n), or 0. */
size_t utf8_char_len(const unsigned char *s, size_t n);

#endif
