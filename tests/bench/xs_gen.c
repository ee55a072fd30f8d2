/*
 * xs_gen — write a generated batch (the realistic mix of bench_gen.c) as CSV
 * or JSON Lines, for tests/bench/perf.sh and for trying things by hand.
 *
 *   xs_gen --records N [--first K] [--format csv|jsonl] --out FILE
 *
 * Records K .. K+N-1 (person = record / 10), so batches with different K
 * hold different people.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench_gen.h"

int main(int argc, char **argv)
{
    long n = 10000, first = 0;
    const char *format = "csv", *out = NULL;
    static const struct option lo[] = {{"records", 1, 0, 'n'}, {"first", 1, 0, 'k'}, {"format", 1, 0, 'f'},
                                       {"out", 1, 0, 'o'}, {"help", 0, 0, 'h'}, {0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'n': n = atol(optarg); break;
        case 'k': first = atol(optarg); break;
        case 'f': format = optarg; break;
        case 'o': out = optarg; break;
        default:
            printf("Usage: xs_gen --records N [--first K] [--format csv|jsonl] --out FILE\n"
                   "Writes records K..K+N-1 of the benchmark mix (ten per person).\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (!out || n < 0 || first < 0 || (first + n) / 10 >= 13440000L ||
        (strcmp(format, "csv") != 0 && strcmp(format, "jsonl") != 0)) {
        fprintf(stderr, "xs_gen: need --out FILE, --format csv|jsonl, and K+N < 134,400,000\n");
        return 2;
    }
    if (strcmp(format, "csv") == 0)
        bench_generate_csv_range(out, first, n);
    else
        bench_generate_jsonl(out, first, n);
    return 0;
}
