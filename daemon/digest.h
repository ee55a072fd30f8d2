/* digest — SHA-256 of files and buffers (libmd), as lowercase hex. */
#ifndef XS_DIGEST_H
#define XS_DIGEST_H
#include <stddef.h>

/* 0 on success; -1 with errno set when the file cannot be read. */
int digest_file(const char *path, char hex[65]);
void digest_buffer(const void *data, size_t len, char hex[65]);

#endif
