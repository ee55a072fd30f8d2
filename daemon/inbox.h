/*
 * inbox — which files in DIR/inbox are ready to be taken.
 *
 * The truth is a directory scan (at start, after every hint, on a timer);
 * filesystem events are hints only (STYLE: libuv's fs_event has no
 * close-write and loses overflows). A file is ready when
 *   - it was renamed in (a MOVED_TO hint for that very inode): safe delivery,
 *     taken at once; or
 *   - its size, mtime and inode have not changed for the settle time: a file
 *     copied in place by a writer that cannot rename.
 * Dotfiles, *.tmp and *.part are never taken. Anything that is not a regular
 * file with one link (symlink, FIFO, device, hard link) is reported as
 * refused, never opened. No clock or I/O besides the scan itself, so tests
 * drive it with their own times.
 */
#ifndef XS_INBOX_H
#define XS_INBOX_H
#include <stddef.h>
#include <sys/types.h>

typedef struct inbox inbox;

typedef enum inbox_verdict {
    INBOX_READY = 1,  /* take it */
    INBOX_REFUSE = 2  /* move it to rejected/ unopened; reason says why */
} inbox_verdict;

/* Called for each file that became ready or refused in this scan, oldest
 * first. reason is Chinese (refusals only). */
typedef void (*inbox_fn)(void *ud, const char *name, inbox_verdict v, const char *reason);

inbox *inbox_new(const char *dir, double settle_seconds);
void inbox_free(inbox *ib);
/* A rename-into-inbox hint for name (from inotify IN_MOVED_TO). */
void inbox_hint_renamed(inbox *ib, const char *name);
/* Scan at time now (seconds, any monotonic origin). Files already handed out
 * and not yet released are skipped. Returns the number of files still
 * settling or waiting for a retry (so the caller scans again soon), or -1
 * if the folder cannot be read. */
int inbox_scan(inbox *ib, double now, inbox_fn fn, void *ud);
/* The caller is done with name (moved away, or to be retried later). With
 * retry, the file is offered again by a scan at or after not_before. */
void inbox_release(inbox *ib, const char *name, int retry, double not_before);
/* True when name is one inbox_scan would ever consider. */
int inbox_name_eligible(const char *name);

#endif
