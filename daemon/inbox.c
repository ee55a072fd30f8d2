#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "inbox.h"

typedef struct entry {
    char *name;
    off_t size;
    struct timespec mtime;
    ino_t ino;
    double stable_since; /* when (size, mtime, ino) were last seen to change */
    int renamed;         /* a MOVED_TO hint matched this inode */
    int taken;           /* handed out, not released */
    double not_before;   /* retry backoff */
    int seen;            /* present in the current scan */
} entry;

typedef struct hint {
    char *name;
    ino_t ino;
} hint;

struct inbox {
    char *dir;
    double settle;
    entry *e;
    size_t n, cap;
    hint *h;
    size_t nh, caph;
};

inbox *inbox_new(const char *dir, double settle)
{
    inbox *ib = calloc(1, sizeof *ib);
    if (!ib || !(ib->dir = strdup(dir))) {
        free(ib);
        return NULL;
    }
    ib->settle = settle;
    return ib;
}

void inbox_free(inbox *ib)
{
    if (!ib)
        return;
    for (size_t i = 0; i < ib->n; i++)
        free(ib->e[i].name);
    for (size_t i = 0; i < ib->nh; i++)
        free(ib->h[i].name);
    free(ib->e);
    free(ib->h);
    free(ib->dir);
    free(ib);
}

int inbox_name_eligible(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || name[0] == '.')
        return 0;
    if (n >= 4 && strcmp(name + n - 4, ".tmp") == 0)
        return 0;
    if (n >= 5 && strcmp(name + n - 5, ".part") == 0)
        return 0;
    return 1;
}

static entry *find(inbox *ib, const char *name)
{
    for (size_t i = 0; i < ib->n; i++)
        if (strcmp(ib->e[i].name, name) == 0)
            return &ib->e[i];
    return NULL;
}

void inbox_hint_renamed(inbox *ib, const char *name)
{
    if (!inbox_name_eligible(name))
        return;
    /* Remember the inode that arrived by rename: a later rewrite in place
     * under the same name is a different story (it must settle). */
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", ib->dir, name);
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    for (size_t i = 0; i < ib->nh; i++)
        if (strcmp(ib->h[i].name, name) == 0) {
            ib->h[i].ino = st.st_ino;
            return;
        }
    if (ib->nh == ib->caph) {
        size_t cap = ib->caph ? ib->caph * 2 : 64;
        hint *h = realloc(ib->h, cap * sizeof *h);
        if (!h)
            return; /* only a hint: the file will settle instead */
        ib->h = h, ib->caph = cap;
    }
    if (!(ib->h[ib->nh].name = strdup(name)))
        return;
    ib->h[ib->nh++].ino = st.st_ino;
}

/* Consumes the rename hint for (name, ino), if any. */
static int take_hint(inbox *ib, const char *name, ino_t ino)
{
    for (size_t i = 0; i < ib->nh; i++)
        if (strcmp(ib->h[i].name, name) == 0) {
            int match = ib->h[i].ino == ino;
            free(ib->h[i].name);
            ib->h[i] = ib->h[--ib->nh];
            return match;
        }
    return 0;
}

static const char *refusal(const struct stat *st)
{
    if (S_ISLNK(st->st_mode)) return "符号链接(symlink)不被接受：请直接放入文件本身";
    if (S_ISFIFO(st->st_mode)) return "命名管道(FIFO)不是文件，不被接受";
    if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) return "设备文件不被接受";
    if (S_ISSOCK(st->st_mode)) return "套接字不是文件，不被接受";
    if (S_ISREG(st->st_mode) && st->st_nlink > 1) return "硬链接不被接受：请放入文件的独立副本";
    return NULL;
}

/* A copy of what a scan hands out: the callback may release entries, which
 * moves them in the table. */
typedef struct ready {
    char *name;
    struct timespec mtime;
    inbox_verdict v;
    const char *reason;
} ready;

static int by_age(const void *a, const void *b)
{
    const ready *x = a, *y = b;
    if (x->mtime.tv_sec != y->mtime.tv_sec)
        return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    if (x->mtime.tv_nsec != y->mtime.tv_nsec)
        return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int hand_out(ready *out, size_t *nout, entry *e, inbox_verdict v, const char *why)
{
    char *name = strdup(e->name);
    if (!name)
        return 0;
    e->taken = 1;
    out[(*nout)++] = (ready){name, e->mtime, v, why};
    return 1;
}

int inbox_scan(inbox *ib, double now, inbox_fn fn, void *ud)
{
    int dfd = open(ib->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return -1;
    }
    for (size_t i = 0; i < ib->n; i++)
        ib->e[i].seen = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!inbox_name_eligible(de->d_name))
            continue;
        struct stat st;
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(st.st_mode))
            continue;
        entry *e = find(ib, de->d_name);
        if (!e) {
            if (ib->n == ib->cap) {
                size_t cap = ib->cap ? ib->cap * 2 : 64;
                entry *ne = realloc(ib->e, cap * sizeof *ne);
                if (!ne)
                    break; /* the rest waits for the next scan */
                ib->e = ne, ib->cap = cap;
            }
            e = &ib->e[ib->n];
            memset(e, 0, sizeof *e);
            if (!(e->name = strdup(de->d_name)))
                break;
            ib->n++;
            e->size = -1;
        }
        e->seen = 1;
        if (e->size != st.st_size || e->ino != st.st_ino ||
            e->mtime.tv_sec != st.st_mtim.tv_sec || e->mtime.tv_nsec != st.st_mtim.tv_nsec) {
            e->renamed = e->size == -1 && take_hint(ib, e->name, st.st_ino);
            e->size = st.st_size;
            e->ino = st.st_ino;
            e->mtime = st.st_mtim;
            e->stable_since = now;
            e->not_before = 0;
        } else if (!e->renamed) {
            e->renamed = take_hint(ib, e->name, st.st_ino);
        }
        /* Remember the verdict for the refusals, by mode. */
        e->seen = refusal(&st) ? 2 : 1;
    }
    closedir(d);

    /* Drop what disappeared; collect what is ready. */
    ready *out = malloc((ib->n ? ib->n : 1) * sizeof *out);
    size_t nout = 0;
    int settling = 0;
    for (size_t i = 0; i < ib->n;) {
        entry *e = &ib->e[i];
        if (!e->seen && !e->taken) {
            free(e->name);
            ib->e[i] = ib->e[--ib->n];
            continue;
        }
        i++;
        if (!e->seen || e->taken)
            continue;
        if (now < e->not_before) {
            settling++; /* a retry is due: scan again soon */
            continue;
        }
        if (e->seen == 2) {
            struct stat st;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", ib->dir, e->name);
            const char *why = lstat(path, &st) == 0 ? refusal(&st) : NULL;
            if (why && out)
                hand_out(out, &nout, e, INBOX_REFUSE, why);
            continue;
        }
        if (e->renamed || now - e->stable_since >= ib->settle) {
            if (out)
                hand_out(out, &nout, e, INBOX_READY, NULL);
        } else {
            settling++;
        }
    }
    if (out) {
        qsort(out, nout, sizeof *out, by_age);
        for (size_t i = 0; i < nout; i++) {
            fn(ud, out[i].name, out[i].v, out[i].reason);
            free(out[i].name);
        }
        free(out);
    }
    return settling;
}

void inbox_release(inbox *ib, const char *name, int retry, double not_before)
{
    entry *e = find(ib, name);
    if (!e)
        return;
    e->taken = 0;
    if (retry) {
        e->not_before = not_before;
        return;
    }
    /* Gone from the inbox (moved away): forget it, so that a new file under
     * the same name starts afresh. */
    free(e->name);
    *e = ib->e[--ib->n];
}
