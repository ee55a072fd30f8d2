/*
 * datadir — the data directory of SPEC §2: inbox/, processed/, rejected/,
 * outbox/ and xueshi.db, created 0700 so that nobody else on the server
 * reads submissions.
 */
#ifndef XS_DATADIR_H
#define XS_DATADIR_H
#include <stddef.h>

typedef struct datadir {
    char root[2048];
    char inbox[2100], processed[2100], rejected[2100], outbox[2100], db[2100];
} datadir;

/* Fills the paths; with create, makes the folders (0700) that are missing.
 * Refuses a root or subfolder that is a symlink (SPEC §2: nothing follows a
 * symlink out of the data directory). 0, or -1 with err. */
int datadir_open(const char *root, int create, datadir *d, char *err, size_t errlen);

#endif
