/*
 * cmd_recompute_opts — what `xueshi rules diff` and `xueshi recompute`
 * share on the command line: --year, --json, --jobs, --batch, and running
 * the policies' tests before the engine starts.
 */
#ifndef XS_CMD_RECOMPUTE_OPTS_H
#define XS_CMD_RECOMPUTE_OPTS_H
#include <getopt.h>
#include "recompute.h"

/* Option values 900–903 (app.h keeps 1000+ for its own). */
enum { RO_YEAR = 900, RO_JSON, RO_JOBS, RO_BATCH };
#define RECOMPUTE_LONG_OPTIONS                             \
    {"year", required_argument, NULL, RO_YEAR},            \
    {"json", no_argument, NULL, RO_JSON},                  \
    {"jobs", required_argument, NULL, RO_JOBS},            \
    {"batch", required_argument, NULL, RO_BATCH}

/* 1 when c was one of them (taken into ro), 0 when it is not, -1 after a
 * usage error naming cmd (already reported). */
int recompute_opt_take(recompute_opts *ro, int c, const char *arg, const char *cmd);

/* Runs the tests of the policies in dir as `rules check` does, quietly:
 * 1 when every test passes. *report (may be NULL) gets the check's output,
 * to show on failure; the caller frees it. */
int recompute_tests_pass(const char *dir, int *failed, char **report);

#endif
