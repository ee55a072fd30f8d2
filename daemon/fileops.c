#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "fileops.h"

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
    /* renameat2(RENAME_NOREPLACE) would say "taken" atomically; link+unlink
     * does the same on every filesystem we may meet, and never follows or
     * overwrites anything. */
    for (int n = 0; n < 10000; n++) {
        if (n == 0)
            snprintf(out, outlen, "%s/%s", to, name);
        else
            snprintf(out, outlen, "%s/%s.%d", to, name, n);
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

int fileops_write_atomic(const char *path, const char *text, char *err, size_t errlen)
{
    char tmp[4200];
    const char *slash = strrchr(path, '/');
    int dl = slash ? (int)(slash - path + 1) : 0;
    snprintf(tmp, sizeof tmp, "%.*s.%s.tmp", dl, path, slash ? slash + 1 : path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    int saved = errno;
    close(fd);
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(ok ? errno : saved));
        unlink(tmp);
        return -1;
    }
    return 0;
}

void fileops_printable(const char *name, char *out, size_t outlen)
{
    size_t o = 0;
    const unsigned char *s = (const unsigned char *)name;
    while (*s && o + 5 < outlen) {
        int len = *s < 0x80 ? 1 : (*s >> 5) == 6 ? 2 : (*s >> 4) == 14 ? 3 : (*s >> 3) == 30 ? 4 : 0;
        int valid = len > 0;
        for (int i = 1; valid && i < len; i++)
            valid = (s[i] & 0xC0) == 0x80;
        if (valid && len == 1 && (*s < 0x20 || *s == 0x7f))
            valid = 0;
        if (valid && o + len < outlen) {
            memcpy(out + o, s, len);
            o += len;
            s += len;
        } else {
            o += snprintf(out + o, outlen - o, "\\x%02x", *s);
            s++;
        }
    }
    out[o < outlen ? o : outlen - 1] = '\0';
}
