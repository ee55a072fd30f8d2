/*
 * config — the daemon's optional configuration file, `key = value` lines
 * with # comments (documented in the README). Command-line flags win over
 * the file.
 */
#ifndef XS_CONFIG_H
#define XS_CONFIG_H
#include <stddef.h>

typedef struct daemon_config {
    char data[1024], rules[1024], plugins[1024];
    double settle_seconds;   /* settle = 2 */
    double scan_interval;    /* scan_interval = 30 */
    double big_file_mb;      /* big_file_mb = 4: files this large go to the bulk lane */
    long slice_records;      /* slice_records = 20000: records per transaction of a big file */
    double slice_ms;         /* slice_ms = 150: … or milliseconds, whichever comes first */
    double retry_max;        /* retry_max = 60: seconds, backoff ceiling */
    char log_level[16];
    /* --new-database: xueshi.db is missing but processed/ holds files (the
     * database was removed or lost): start a new, empty one anyway. Without
     * it the daemon refuses to start, so that a lost database is restored
     * (or deliberately replaced) by an operator, never silently. */
    int new_database;
} daemon_config;

void config_defaults(daemon_config *c);
/* Reads path into c. 0, or -1 with err naming file and line. */
int config_load(const char *path, daemon_config *c, char *err, size_t errlen);

#endif
