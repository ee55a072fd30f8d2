/*
 * Private to the csv input plugin: the decoder (csv_decode.c) that turns the
 * file's bytes — UTF-8 or GB18030/GBK, decided from the content — into UTF-8
 * for libcsv, chunk by chunk.
 *
 * The csv_ prefix is shared with libcsv (csv_parse, csv_init, …), so our
 * helpers take a second word that libcsv does not use (csv_dec_, csv_row_…).
 */
#ifndef XS_CSV_INTERNAL_H
#define XS_CSV_INTERNAL_H

#include <stddef.h>
#include <iconv.h>

/* Internal symbols stay out of the module's dynamic symbol table. */
#define CSV_HIDDEN __attribute__((visibility("hidden")))

typedef enum csv_enc {
    CSV_ENC_UNKNOWN, /* only ASCII seen so far */
    CSV_ENC_UTF8,
    CSV_ENC_GB18030
} csv_enc;

/* Where decoded text goes. data() receives valid UTF-8 only, always cut at
 * character boundaries; fault() is called where undecodable bytes (or a NUL)
 * sat in the file, and is followed by data("\xEF\xBF\xBD") (U+FFFD) so that
 * the text keeps its shape. Either returns non-zero to stop decoding. */
typedef struct csv_dec_sink {
    int (*data)(void *ctx, const char *s, size_t n);
    int (*fault)(void *ctx);
    void *ctx;
} csv_dec_sink;

/* csv_dec_feed() needs this many writable bytes before the new data: the
 * incomplete character left over from the previous chunk is put there. */
#define CSV_DEC_HEADROOM 8

typedef struct csv_dec {
    csv_enc enc;
    iconv_t cd; /* GB18030 → UTF-8, opened once GB18030 is decided */
    unsigned char pend[CSV_DEC_HEADROOM];
    size_t npend; /* bytes of a character cut by the end of the last chunk */
    char *out;    /* iconv output buffer */
} csv_dec;

CSV_HIDDEN void csv_dec_init(csv_dec *d);
CSV_HIDDEN void csv_dec_free(csv_dec *d);
/* Decode buf[CSV_DEC_HEADROOM .. CSV_DEC_HEADROOM + n); the headroom before
 * it is scratch. The encoding is decided on the first chunk holding non-ASCII
 * bytes. Returns 0, 1 when the sink stopped, or -1 when the GB18030 converter
 * is unavailable or memory runs out (errno set). */
CSV_HIDDEN int csv_dec_feed(csv_dec *d, unsigned char *buf, size_t n, const csv_dec_sink *k);
/* End of file: an incomplete character left over is a fault. Same returns. */
CSV_HIDDEN int csv_dec_finish(csv_dec *d, const csv_dec_sink *k);
/* Length of the valid UTF-8 character at s (1..4), 0 when s[0..n) is the
 * valid start of a longer one, -1 when invalid (overlong, surrogate, …). */
CSV_HIDDEN int csv_dec_utf8_len(const unsigned char *s, size_t n);

#endif
