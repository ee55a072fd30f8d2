#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include "log.h"

/* The one process-wide setting; tests reset it with log_set_level. */
static int log_level = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_set_level(int level) { log_level = level; }
int log_get_level(void) { return log_level; }

int log_level_parse(const char *name)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Masks every ID number in s in place (430302********1234), wherever it
 * came from: a file named after a person, a parser's "near '…'", a policy's
 * error. An ID is 17 digits and a digit or X, with no digit on either side. */
static void mask_ids(char *s)
{
    for (size_t i = 0; s[i];) {
        if (!is_digit(s[i])) {
            i++;
            continue;
        }
        size_t run = 0;
        while (is_digit(s[i + run]))
            run++;
        size_t len = run == 17 && (s[i + 17] == 'X' || s[i + 17] == 'x') && !is_digit(s[i + 18])
                         ? 18 : run;
        if (len == 18)
            memset(s + i + 6, '*', 8);
        i += len;
    }
}

/* One event, one line: control bytes but tab (a newline in a file name,
 * say) are escaped, so that nothing a submitter chose can forge a log line. */
static void escape_controls(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 5 < outlen; p++) {
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", *p);
        else
            out[o++] = (char)*p;
    }
    out[o] = '\0';
}

void log_msg(int level, const char *fmt, ...)
{
    static const char *const tags[] = {"ERROR", "WARN", "INFO", "DEBUG"};
    static const int syslog_prio[] = {3, 4, 6, 7};
    if (level > log_level)
        return;
    char raw[2048], line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    mask_ids(raw); /* before escaping: "\x01" + an ID must still mask */
    escape_controls(raw, line, sizeof line);
    pthread_mutex_lock(&log_lock);
    if (getenv("JOURNAL_STREAM")) {
        fprintf(stderr, "<%d>%s %s\n", syslog_prio[level], tags[level], line);
    } else {
        char ts[32];
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
        fprintf(stderr, "%s %-5s %s\n", ts, tags[level], line);
    }
    pthread_mutex_unlock(&log_lock);
}
