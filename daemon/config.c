#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

void config_defaults(daemon_config *c)
{
    memset(c, 0, sizeof *c);
    c->settle_seconds = 2;
    c->scan_interval = 30;
    c->big_file_mb = 4;
    c->slice_records = 20000;
    c->slice_ms = 150;
    c->retry_max = 60;
}

static char *strip(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int number(const char *v, double min, double *out)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !(x >= min))
        return -1;
    *out = x;
    return 0;
}

int config_load(const char *path, daemon_config *c, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    char line[2048];
    int ln = 0, bad = 0;
    while (!bad && fgets(line, sizeof line, f)) {
        ln++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = strip(line);
        if (!*s)
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected key = value", path, ln);
            bad = 1;
            break;
        }
        *eq = '\0';
        char *k = strip(s), *v = strip(eq + 1);
        double x;
        if (!strcmp(k, "data")) snprintf(c->data, sizeof c->data, "%s", v);
        else if (!strcmp(k, "rules")) snprintf(c->rules, sizeof c->rules, "%s", v);
        else if (!strcmp(k, "plugins")) snprintf(c->plugins, sizeof c->plugins, "%s", v);
        else if (!strcmp(k, "log_level")) snprintf(c->log_level, sizeof c->log_level, "%s", v);
        else if (!strcmp(k, "settle") && !number(v, 0, &x)) c->settle_seconds = x;
        else if (!strcmp(k, "scan_interval") && !number(v, 0.1, &x)) c->scan_interval = x;
        else if (!strcmp(k, "big_file_mb") && !number(v, 0, &x)) c->big_file_mb = x;
        else if (!strcmp(k, "slice_records") && !number(v, 1, &x)) c->slice_records = (long)x;
        else if (!strcmp(k, "slice_ms") && !number(v, 0, &x)) c->slice_ms = x;
        else if (!strcmp(k, "retry_max") && !number(v, 0.1, &x)) c->retry_max = x;
        else {
            snprintf(err, errlen, "%s:%d: unknown key or bad value: %s = %s", path, ln, k, v);
            bad = 1;
        }
    }
    fclose(f);
    return bad ? -1 : 0;
}
