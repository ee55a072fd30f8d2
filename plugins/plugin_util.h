/*
 * plugin_util — the few helpers both input plugins need: opening the input
 * safely, a file name fit for a message, growing an array.
 *
 * Header-only and static on purpose: each plugin stays one self-contained
 * module (.so) with a single exported symbol, and a program that links the
 * static copies of both plugins (tests, fuzzers) gets no clashing names.
 */
#ifndef XS_PLUGIN_UTIL_H
#define XS_PLUGIN_UTIL_H
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xueshi/utf8.h>

/* The basename of path as valid UTF-8 for messages: bytes that are not
 * UTF-8 (a GBK file name, say) and control characters become '?'; a long
 * name is cut at a character. */
static inline void xs_pu_name_text(const char *path, char *out, size_t outlen)
{
    const char *slash = strrchr(path, '/');
    const unsigned char *s = (const unsigned char *)(slash ? slash + 1 : path);
    size_t n = strlen((const char *)s), o = 0;
    for (size_t i = 0; i < n;) {
        size_t len = xs_utf8_char_len(s + i, n - i);
        if (len == 1 && (s[i] < 0x20 || s[i] == 0x7f))
            len = 0; /* a newline in a name would split a log line */
        size_t step = len ? len : 1;
        if (o + step >= outlen)
            break;
        if (len)
            memcpy(out + o, s + i, len);
        else
            out[o] = '?';
        o += step;
        i += step;
    }
    out[o] = '\0';
}

/* Opens the file to parse. O_NOFOLLOW: a name swapped for a symlink after
 * the daemon's checks (lstat in the inbox scan) leads nowhere; O_NONBLOCK
 * until it is known to be a regular file: a FIFO swapped in would block the
 * read, and the lane, forever. NULL with errno set (EINVAL: not a file). */
static inline FILE *xs_pu_open(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    int flags = fcntl(fd, F_GETFL);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || flags < 0 ||
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        close(fd);
        errno = EINVAL;
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f)
        close(fd);
    return f;
}

/* Grows *arr (of elements of size sz, capacity *cap) to hold at least want,
 * doubling from first. 0, or -1 when out of memory (*arr untouched). */
static inline int xs_pu_grow(void **arr, size_t *cap, size_t want, size_t sz, size_t first)
{
    if (want <= *cap)
        return 0;
    size_t n = *cap ? *cap : first;
    while (n < want)
        n *= 2;
    void *p = realloc(*arr, n * sz);
    if (!p)
        return -1;
    *arr = p;
    *cap = n;
    return 0;
}

#endif
