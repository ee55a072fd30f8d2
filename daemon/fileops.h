/*
 * fileops — moving inputs out of the inbox, only ever within the data
 * directory, never overwriting: processed/YYYY-MM-DD/NAME (NAME.1, NAME.2 …
 * when taken) and rejected/NAME with NAME.error.txt beside it. A name too
 * long for those suffixes is shortened (fileops_fit_name).
 */
#ifndef XS_FILEOPS_H
#define XS_FILEOPS_H
#include <stddef.h>

/* Moves dir_from/name into dir_to (a dated subfolder when dated), under a
 * name not yet taken there; the final path goes to out. fsyncs both folders
 * so the move survives a power cut. 0, or -1 with err. */
int fileops_move(const char *dir_from, const char *name, const char *dir_to, int dated,
                 char *out, size_t outlen, char *err, size_t errlen);
/* Writes text to path atomically (tmp + fsync + rename), mode 0600: a
 * reader never sees half a file. 0, or -1 with err. */
int fileops_write_atomic(const char *path, const char *text, char *err, size_t errlen);
int fileops_write_atomic_n(const char *path, const void *data, size_t n, char *err,
                           size_t errlen);
/* A command's --out FILE: "-" is standard output, anything else is written
 * atomically as above. */
int fileops_write_out(const char *path, const void *data, size_t n, char *err, size_t errlen);
/* A file name made printable for a log line or a receipt (control bytes
 * and invalid UTF-8 shown as \xNN, so the result is valid UTF-8 text),
 * truncated to fit out. */
void fileops_printable(const char *name, char *out, size_t outlen);

/* Longest name the data directory stores as given: NAME.9999.error.txt
 * and its temporary .NAME.9999.error.txt.tmp, or .NAME.receipt.json.tmp,
 * must stay within NAME_MAX (255). */
#define FILEOPS_NAME_FIT 235
/* name, or when longer than FILEOPS_NAME_FIT bytes its start and its
 * extension joined by "~" (cut at a UTF-8 boundary). out holds at least
 * FILEOPS_NAME_FIT + 1 bytes. */
void fileops_fit_name(const char *name, char *out, size_t outlen);

#endif
