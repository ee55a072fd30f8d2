/*
 * xs_bench_eval — the cost of one policy evaluation: load a rules folder
 * with policy_set_load, read the first records of a CSV batch (the plugins'
 * CSV parser) and evaluate them over and over, each normalised into one
 * reused activity as the pipeline does.
 *
 *   xs_bench_eval [--csv FILE] [--records N] [--rounds R] [--rules DIR] [--plugins DIR]
 *
 * Without --csv it generates the xs_bench batch of N records
 * (/tmp/xs-bench/batch-N.csv). Prints µs per policy_evaluate() call (wall
 * clock around each call, so the normaliser is not counted), end to end:
 * pushing the activity, the Lua policy, reading the result back. The
 * machine's other load shows in the number: compare runs made back to back.
 * Not a test: it asserts nothing.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "bench_gen.h"
#include "plugins.h"
#include "policy.h"
#include "record.h"

/* The records as the plugin emitted them (deep copies). Like the pipeline,
 * the bench normalises each into one reused activity before evaluating it:
 * the strings of every record then sit at the same addresses, which is what
 * Lua's string cache (keyed by C pointer) sees in production. */
typedef struct raw {
    xs_record rec;
    xs_field *fields;
    char **evidence;
} raw;

typedef struct raws {
    raw *v;
    size_t n, max;
} raws;

static char *dupstr(const char *s)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d) {
        perror("strdup");
        exit(1);
    }
    return d;
}

static int on_record(void *ctx, const xs_record *rec)
{
    raws *rs = ctx;
    if (rs->n >= rs->max)
        return 1; /* enough */
    raw *r = &rs->v[rs->n++];
    r->rec = *rec;
    r->fields = calloc(rec->nfields + 1, sizeof *r->fields);
    r->evidence = calloc(rec->nevidence + 1, sizeof *r->evidence);
    if (!r->fields || !r->evidence) {
        perror("calloc");
        exit(1);
    }
    for (size_t i = 0; i < rec->nfields; i++) {
        r->fields[i].key = dupstr(rec->fields[i].key);
        r->fields[i].value = dupstr(rec->fields[i].value);
    }
    for (size_t i = 0; i < rec->nevidence; i++)
        r->evidence[i] = dupstr(rec->evidence[i]);
    r->rec.fields = r->fields;
    r->rec.evidence = (const char *const *)r->evidence;
    r->rec.error_code = dupstr(rec->error_code);
    r->rec.error = dupstr(rec->error);
    r->rec.error_field = dupstr(rec->error_field);
    return 0;
}

static void raw_free(raw *r)
{
    for (size_t i = 0; i < r->rec.nfields; i++) {
        free((char *)r->fields[i].key);
        free((char *)r->fields[i].value);
    }
    for (size_t i = 0; i < r->rec.nevidence; i++)
        free(r->evidence[i]);
    free(r->fields);
    free(r->evidence);
    free((char *)r->rec.error_code);
    free((char *)r->rec.error);
    free((char *)r->rec.error_field);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long n = 2000, rounds = 50;
    const char *csv = NULL, *rules = XS_BENCH_RULES, *plugins = XS_BENCH_PLUGINS;
    static const struct option lo[] = {{"csv", 1, 0, 'c'}, {"records", 1, 0, 'n'}, {"rounds", 1, 0, 'R'},
                                       {"rules", 1, 0, 'r'}, {"plugins", 1, 0, 'p'}, {"help", 0, 0, 'h'}, {0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'c': csv = optarg; break;
        case 'n': n = atol(optarg); break;
        case 'R': rounds = atol(optarg); break;
        case 'r': rules = optarg; break;
        case 'p': plugins = optarg; break;
        default:
            printf("Usage: xs_bench_eval [--csv FILE] [--records N] [--rounds R] [--rules DIR] [--plugins DIR]\n"
                   "Evaluates the first N records (default 2000) of FILE (default: the generated\n"
                   "xs_bench batch of N records) R times (default 50) and prints µs per evaluation.\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (n < 1 || rounds < 1)
        return 2;
    char gen[4096];
    if (!csv) {
        mkdir("/tmp/xs-bench", 0700);
        snprintf(gen, sizeof gen, "/tmp/xs-bench/batch-%ld.csv", n);
        struct stat st;
        if (stat(gen, &st) != 0) {
            fprintf(stderr, "generating %ld records into %s…\n", n, gen);
            bench_generate_csv(gen, n);
        }
        csv = gen;
    }

    char err[1024];
    plugin_registry *reg = plugin_registry_new();
    if (!reg || plugin_registry_load_dir(reg, plugins, err, sizeof err) < 0) {
        fprintf(stderr, "xs_bench_eval: plugins %s: %s\n", plugins, err);
        return 1;
    }
    const xs_plugin *pl = plugin_for_file(reg, csv);
    if (!pl) {
        fprintf(stderr, "xs_bench_eval: no plugin reads %s\n", csv);
        return 1;
    }
    raws rs = {calloc((size_t)n, sizeof(raw)), 0, (size_t)n};
    if (!rs.v || pl->parse(csv, on_record, &rs, err, sizeof err) < 0) {
        fprintf(stderr, "xs_bench_eval: %s: %s\n", csv, err);
        return 1;
    }
    policy_set *set;
    if (policy_set_load(rules, NULL, &set, err, sizeof err) != 0) {
        fprintf(stderr, "xs_bench_eval: %s\n", err);
        return 1;
    }
    activity *act = malloc(sizeof *act);
    if (!act) {
        perror("malloc");
        return 1;
    }

    /* One warm-up round, counting outcomes (the same every round). */
    size_t count[5] = {0};
    for (size_t i = 0; i < rs.n; i++) {
        policy_result r;
        record_normalise(&rs.v[i].rec, "2026-11-28", act);
        policy_evaluate(set, act, &r);
        count[r.status >= 1 && r.status <= 4 ? r.status : 0]++;
        policy_result_clear(&r);
    }
    double t = 0;
    for (long k = 0; k < rounds; k++)
        for (size_t i = 0; i < rs.n; i++) {
            policy_result r;
            record_normalise(&rs.v[i].rec, "2026-11-28", act);
            double t0 = now_s();
            policy_evaluate(set, act, &r);
            t += now_s() - t0;
            policy_result_clear(&r);
        }
    long evals = rounds * (long)rs.n;
    printf("%zu records × %ld rounds: %.2f µs per evaluation (%.0f evaluations/s)\n"
           "credited %zu, pending_materials %zu, rejected %zu\n",
           rs.n, rounds, 1e6 * t / evals, evals / t, count[PS_CREDITED], count[PS_PENDING],
           count[PS_REJECTED]);

    policy_set_free(set);
    free(act);
    for (size_t i = 0; i < rs.n; i++)
        raw_free(&rs.v[i]);
    free(rs.v);

    plugin_registry_free(reg);
    return 0;
}
