#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "fileops.h"
#include <xueshi/utf8.h>

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int fileops_move(const char *dir_from, const char *name, const char *dir_to, int dated,
                 char *out, size_t outlen, char *err, size_t errlen)
{
    char to[4096], from[4096];
    if (dated) {
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        char day[16];
        strftime(day, sizeof day, "%Y-%m-%d", &tm);
        snprintf(to, sizeof to, "%s/%s", dir_to, day);
        if (mkdir(to, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s: %s", to, strerror(errno));
            return -1;
        }
    } else {
        snprintf(to, sizeof to, "%s", dir_to);
    }
    snprintf(from, sizeof from, "%s/%s", dir_from, name);
    /* A name near NAME_MAX would leave no room for NAME.1 or
     * NAME.error.txt beside it: such a name is shortened. */
    char fit[FILEOPS_NAME_FIT + 1];
    fileops_fit_name(name, fit, sizeof fit);
    /* renameat2(RENAME_NOREPLACE) would say "taken" atomically; link+unlink
     * does the same on every filesystem we may meet, and never follows or
     * overwrites anything. */
    for (int n = 0; n < 10000; n++) {
        if (n == 0)
            snprintf(out, outlen, "%s/%s", to, fit);
        else
            snprintf(out, outlen, "%s/%s.%d", to, fit, n);
        if (link(from, out) == 0) {
            if (unlink(from) != 0) {
                snprintf(err, errlen, "cannot remove %s: %s", from, strerror(errno));
                unlink(out);
                return -1;
            }
            sync_dir(to);
            sync_dir(dir_from);
            return 0;
        }
        if (errno == EEXIST)
            continue;
        if (errno == EPERM || errno == EMLINK || errno == EXDEV) {
            /* A symlink or special file: move the entry itself. */
            if (access(out, F_OK) == 0 || errno != ENOENT)
                continue;
            if (rename(from, out) == 0) {
                sync_dir(to);
                sync_dir(dir_from);
                return 0;
            }
        }
        snprintf(err, errlen, "cannot move %s to %s: %s", from, to, strerror(errno));
        return -1;
    }
    snprintf(err, errlen, "cannot move %s: every name is taken", from);
    return -1;
}

int fileops_write_atomic_n(const char *path, const void *data, size_t n, char *err,
                           size_t errlen)
{
    /* A short dot name of its own in the same folder: two processes (two
     * `certify --out` runs) or threads writing the same path never write
     * into each other's file, and a name that is already near the 255-byte
     * limit (the daemon shortens hostile names to just fit) still has a
     * temporary one. */
    static unsigned counter;
    char tmp[4200];
    const char *slash = strrchr(path, '/');
    int dl = slash ? (int)(slash - path + 1) : 0;
    snprintf(tmp, sizeof tmp, "%.*s.xueshi-%ld-%u.tmp", dl, path, (long)getpid(),
             __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    const char *p = data;
    size_t left = n;
    int ok = 1;
    while (ok && left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        ok = w > 0;
        if (ok) {
            p += w;
            left -= (size_t)w;
        }
    }
    ok = ok && fsync(fd) == 0;
    int saved = errno;
    close(fd);
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(ok ? errno : saved));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int fileops_write_atomic(const char *path, const char *text, char *err, size_t errlen)
{
    return fileops_write_atomic_n(path, text, strlen(text), err, errlen);
}

int fileops_write_out(const char *path, const void *data, size_t n, char *err, size_t errlen)
{
    if (strcmp(path, "-") != 0)
        return fileops_write_atomic_n(path, data, n, err, errlen);
    if (fwrite(data, 1, n, stdout) != n || fflush(stdout) != 0) {
        snprintf(err, errlen, "cannot write to standard output: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void fileops_printable(const char *name, char *out, size_t outlen)
{
    size_t o = 0;
    const unsigned char *s = (const unsigned char *)name;
    size_t left = strlen(name);
    while (*s && o + 5 < outlen) {
        int len = (int)xs_utf8_char_len(s, left);
        if (len == 1 && (*s < 0x20 || *s == 0x7f))
            len = 0;
        if (len > 0 && o + (size_t)len < outlen) {
            memcpy(out + o, s, (size_t)len);
            o += (size_t)len;
            s += len;
            left -= (size_t)len;
        } else {
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", *s);
            s++;
            left--;
        }
    }
    out[o < outlen ? o : outlen - 1] = '\0';
}

void fileops_fit_name(const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name);
    if (n <= FILEOPS_NAME_FIT) {
        snprintf(out, outlen, "%s", name);
        return;
    }
    /* Keep the extension (what says how the file was read) and as much of
     * the start as fits, cut at a character boundary, joined by "~". */
    const char *dot = strrchr(name, '.');
    size_t ext = dot && n - (size_t)(dot - name) <= 16 ? n - (size_t)(dot - name) : 0;
    size_t keep = FILEOPS_NAME_FIT - 1 - ext;
    while (keep > 0 && ((unsigned char)name[keep] & 0xC0) == 0x80)
        keep--;
    snprintf(out, outlen, "%.*s~%s", (int)keep, name, name + n - ext);
}
