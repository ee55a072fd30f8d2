#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "datadir.h"

static int ensure_dir(const char *path, int create, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        snprintf(err, errlen, "%s exists but is not a directory%s", path,
                 S_ISLNK(st.st_mode) ? " (a symlink is refused)" : "");
        return -1;
    }
    if (errno != ENOENT || !create) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int datadir_open(const char *root, int create, datadir *d, char *err, size_t errlen)
{
    if (strlen(root) >= sizeof d->root) {
        snprintf(err, errlen, "data directory path too long");
        return -1;
    }
    snprintf(d->root, sizeof d->root, "%s", root);
    snprintf(d->inbox, sizeof d->inbox, "%s/inbox", root);
    snprintf(d->processed, sizeof d->processed, "%s/processed", root);
    snprintf(d->rejected, sizeof d->rejected, "%s/rejected", root);
    snprintf(d->outbox, sizeof d->outbox, "%s/outbox", root);
    snprintf(d->db, sizeof d->db, "%s/xueshi.db", root);
    const char *dirs[] = {d->root, d->inbox, d->processed, d->rejected, d->outbox};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
        if (ensure_dir(dirs[i], create, err, errlen) != 0)
            return -1;
    return 0;
}
