#define _GNU_SOURCE /* open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include "app.h"
#include "cmd_recompute_opts.h"

int recompute_opt_take(recompute_opts *ro, int c, const char *arg, const char *cmd)
{
    char *end;
    switch (c) {
    case RO_YEAR:
        ro->year = (int)strtol(arg, &end, 10);
        if (*end || ro->year < 1900 || ro->year > 9999)
            return app_usage_error(cmd, "--year needs a year like 2022"), -1;
        return 1;
    case RO_JSON:
        ro->format = RECOMPUTE_JSON;
        return 1;
    case RO_JOBS:
        ro->jobs = (int)strtol(arg, &end, 10);
        if (*end || ro->jobs < 1 || ro->jobs > 16)
            return app_usage_error(cmd, "--jobs needs a number from 1 to 16"), -1;
        return 1;
    case RO_BATCH:
        ro->batch = strtol(arg, &end, 10);
        if (*end || ro->batch < 1)
            return app_usage_error(cmd, "--batch needs a number of at least 1"), -1;
        return 1;
    default:
        return 0;
    }
}

int recompute_tests_pass(const char *dir, int *failed, char **report)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int passed = 0;
    *failed = 0;
    int rc = f ? policy_check_dir(dir, f, &passed, failed) : -1;
    if (f)
        fclose(f);
    if (report)
        *report = buf;
    else
        free(buf);
    return rc == 0 && *failed == 0;
}
