/*
 * fileops — moving inputs out of the inbox, only ever within the data
 * directory, never overwriting: processed/YYYY-MM-DD/NAME (NAME.1, NAME.2 …
 * when taken) and rejected/NAME with NAME.error.txt beside it.
 */
#ifndef XS_FILEOPS_H
#define XS_FILEOPS_H
#include <stddef.h>

/* Moves dir_from/name into dir_to (a dated subfolder when dated), under a
 * name not yet taken there; the final path goes to out. fsyncs both folders
 * so the move survives a power cut. 0, or -1 with err. */
int fileops_move(const char *dir_from, const char *name, const char *dir_to, int dated,
                 char *out, size_t outlen, char *err, size_t errlen);
/* Writes text to path atomically (tmp + fsync + rename), mode 0600. */
int fileops_write_atomic(const char *path, const char *text, char *err, size_t errlen);
/* A file name made printable for a log line (newlines and control bytes
 * escaped, invalid UTF-8 shown as \xNN), truncated to fit out. */
void fileops_printable(const char *name, char *out, size_t outlen);

#endif
