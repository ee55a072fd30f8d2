/*
 * xs_bench_eval — the cost of one policy evaluation: load a rules folder
 * with policy_set_load, normalise the first records of a CSV batch (the
 * plugins' CSV parser), and evaluate them over and over.
 *
 *   xs_bench_eval [--csv FILE] [--records N] [--rounds R] [--rules DIR] [--plugins DIR]
 *
 * Without --csv it generates the xs_bench batch of N records
 * (/tmp/xs-bench/batch-N.csv). Prints µs per policy_evaluate() call, end
 * to end: pushing the activity, the Lua policy, reading the result back.
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

typedef struct acts {
    activity **v;
    size_t n, max;
} acts;

static int on_record(void *ctx, const xs_record *rec)
{
    acts *a = ctx;
    if (a->n >= a->max)
        return 1; /* enough */
    activity *act = malloc(sizeof *act);
    if (!act) {
        perror("malloc");
        exit(1);
    }
    record_normalise(rec, "2026-11-28", act);
    a->v[a->n++] = act;
    return 0;
}

/* CPU time of this process: on a shared machine, less noisy than wall time. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
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
    acts a = {calloc((size_t)n, sizeof(activity *)), 0, (size_t)n};
    if (!a.v || pl->parse(csv, on_record, &a, err, sizeof err) < 0) {
        fprintf(stderr, "xs_bench_eval: %s: %s\n", csv, err);
        return 1;
    }
    policy_set *set;
    if (policy_set_load(rules, NULL, &set, err, sizeof err) != 0) {
        fprintf(stderr, "xs_bench_eval: %s\n", err);
        return 1;
    }

    /* One warm-up round, counting outcomes (the same every round). */
    size_t count[5] = {0};
    for (size_t i = 0; i < a.n; i++) {
        policy_result r;
        policy_evaluate(set, a.v[i], &r);
        count[r.status >= 1 && r.status <= 4 ? r.status : 0]++;
        policy_result_clear(&r);
    }
    double t0 = now_s();
    for (long k = 0; k < rounds; k++)
        for (size_t i = 0; i < a.n; i++) {
            policy_result r;
            policy_evaluate(set, a.v[i], &r);
            policy_result_clear(&r);
        }
    double t = now_s() - t0;
    long evals = rounds * (long)a.n;
    printf("%zu records × %ld rounds: %.2f µs CPU per evaluation (%.0f evaluations/s)\n"
           "credited %zu, pending_materials %zu, rejected %zu\n",
           a.n, rounds, 1e6 * t / evals, evals / t, count[PS_CREDITED], count[PS_PENDING],
           count[PS_REJECTED]);

    policy_set_free(set);
    for (size_t i = 0; i < a.n; i++)
        free(a.v[i]);
    free(a.v);
    plugin_registry_free(reg);
    return 0;
}
