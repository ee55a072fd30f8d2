/*
 * receipt — outbox/NAME.receipt.json: the outcome of every record of one
 * input, read back from the database after the commit, so that a receipt
 * says exactly what was committed (caps and same-file supersedes included).
 * Written to a temporary name, fsynced and renamed: never half a receipt.
 */
#ifndef XS_RECEIPT_H
#define XS_RECEIPT_H
#include <stddef.h>
#include "store.h"

/* status: "processed" or "duplicate". */
int receipt_write_submission(store *s, long long submission_id, const char *name,
                             const char *sha256, const char *status, const char *path,
                             char *err, size_t errlen);
/* A submission of at least min_records activity ids has its receipt's
 * second half read on a thread of its own; 0 restores the default (65,536).
 * For tests, which compare the two ways; -1: every submission, and the
 * thread cannot start (the receipt is then written in one pass). */
void receipt_set_split(long long min_records);
/* A file that could not be read: status "rejected" and the message. */
int receipt_write_error(const char *path, const char *name, const char *sha256,
                        const char *message, char *err, size_t errlen);
/* outbox/NAME.receipt.json into out. */
void receipt_path(const char *outbox, const char *name, char *out, size_t outlen);

#endif
