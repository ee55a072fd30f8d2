/*
 * xs_latency — how long a single small file takes from its rename into the
 * inbox to its committed outcome (the receipt appearing in outbox/, which
 * the daemon writes right after the commit), measured for N files with the
 * daemon idle and again while a large batch is being ingested.
 *
 *   xs_latency [--files N] [--batch RECORDS] [--dir TMP] [--xueshi PATH] ...
 *
 * Not a test: it prints p50 and p99 for the README.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include "bench_gen.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Waits for outbox/NAME.receipt.json via inotify; seconds waited or -1. */
static int wait_receipt(int ifd, const char *want, double timeout)
{
    double end = now_s() + timeout;
    char buf[8192] __attribute__((aligned(8)));
    while (now_s() < end) {
        struct pollfd p = {ifd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t n = read(ifd, buf, sizeof buf);
        for (char *q = buf; n > 0 && q < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)q;
            if (ev->len && strcmp(ev->name, want) == 0)
                return 0;
            q += sizeof *ev + ev->len;
        }
    }
    return -1;
}

static void measure(const char *label, const char *stage, const char *inbox, int ifd, int files,
                    int tag)
{
    double *lat = calloc(files, sizeof *lat);
    char id[19], a[4096], b[4096], body[1024], want[256];
    int got = 0;
    for (int i = 0; i < files; i++) {
        bench_make_id(5000000 + tag * 10000 + i, id);
        snprintf(body, sizeof body,
                 "{\"person\":{\"id\":\"%s\",\"name\":\"测时\"},\"activities\":[{\"ref\":\"l%d\","
                 "\"kind\":\"paper\",\"rank\":1,\"cn\":\"CN43-1234/R\",\"title\":\"论文%d-%d\","
                 "\"date\":\"2022-07-01\",\"evidence\":[\"journal_cover\",\"journal_number\",\"toc\"]}]}",
                 id, i, tag, i);
        snprintf(a, sizeof a, "%s/lat-%d-%d.json", stage, tag, i);
        snprintf(b, sizeof b, "%s/lat-%d-%d.json", inbox, tag, i);
        FILE *f = fopen(a, "w");
        fputs(body, f);
        fclose(f);
        snprintf(want, sizeof want, "lat-%d-%d.json.receipt.json", tag, i);
        double t0 = now_s();
        if (rename(a, b) != 0) {
            perror("rename");
            exit(1);
        }
        if (wait_receipt(ifd, want, 30) == 0)
            lat[got++] = (now_s() - t0) * 1000;
        else
            fprintf(stderr, "xs_latency: %s timed out\n", want);
        usleep(20000); /* files arrive one by one, as from many units */
    }
    qsort(lat, got, sizeof *lat, cmp);
    printf("| %s | %d | %.1f | %.1f | %.1f |\n", label, got, got ? lat[got / 2] : -1,
           got ? lat[(int)(got * 0.99) < got ? (int)(got * 0.99) : got - 1] : -1,
           got ? lat[got - 1] : -1);
    fflush(stdout);
    free(lat);
}

int main(int argc, char **argv)
{
    int files = 200;
    long batch = 1000000;
    const char *dir = "/tmp/xs-latency", *xs = XS_BENCH_BINARY, *rules = XS_BENCH_RULES,
               *plugins = XS_BENCH_PLUGINS;
    static const struct option lo[] = {{"files", 1, 0, 'f'}, {"batch", 1, 0, 'b'}, {"dir", 1, 0, 'd'},
                                       {"xueshi", 1, 0, 'x'}, {"rules", 1, 0, 'r'},
                                       {"plugins", 1, 0, 'p'}, {"help", 0, 0, 'h'}, {0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'f': files = atoi(optarg); break;
        case 'b': batch = atol(optarg); break;
        case 'd': dir = optarg; break;
        case 'x': xs = optarg; break;
        case 'r': rules = optarg; break;
        case 'p': plugins = optarg; break;
        default:
            printf("Usage: xs_latency [--files N] [--batch RECORDS] [--dir TMP]\n"
                   "Latency from rename into the inbox to the committed outcome, for N single small\n"
                   "files, with the daemon idle and while a batch of RECORDS records is ingested.\n");
            return c == 'h' ? 0 : 2;
        }
    }
    char data[4096], inbox[4200], outbox[4200], stage[4200], big[4200], cmd[8192];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(inbox, sizeof inbox, "%s/inbox", data);
    snprintf(outbox, sizeof outbox, "%s/outbox", data);
    snprintf(stage, sizeof stage, "%s/stage", dir);
    snprintf(big, sizeof big, "%s/batch-%ld.csv", dir, batch);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s' && mkdir -p '%s' '%s' '%s'", data, stage, dir, stage, outbox);
    if (system(cmd) != 0)
        return 1;
    struct stat st;
    if (stat(big, &st) != 0) {
        fprintf(stderr, "generating %ld records…\n", batch);
        bench_generate_csv(big, batch);
    }
    int ifd = inotify_init1(IN_CLOEXEC);
    mkdir(data, 0700);
    inotify_add_watch(ifd, outbox, IN_MOVED_TO);

    pid_t pid = fork();
    if (pid == 0) {
        setenv("XUESHI_TODAY", "2026-11-28", 1);
        execl(xs, xs, "daemon", "--data", data, "--rules", rules, "--plugins", plugins, "--log-level",
              "warn", (char *)NULL);
        _exit(127);
    }
    sleep(1);
    printf("| daemon | files | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|\n");
    measure("idle", stage, inbox, ifd, files, 1);

    /* The big batch, renamed in; measure while it is in progress. */
    char bstage[4300], binbox[4300];
    snprintf(bstage, sizeof bstage, "%s/big.csv", stage);
    snprintf(binbox, sizeof binbox, "%s/big.csv", inbox);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", big, bstage);
    if (system(cmd) != 0)
        return 1;
    double t0 = now_s();
    rename(bstage, binbox);
    usleep(500000);
    char label[64];
    snprintf(label, sizeof label, "during a %ld-record batch", batch);
    measure(label, stage, inbox, ifd, files, 2);
    int still = access(binbox, F_OK) == 0;
    fprintf(stderr, "xs_latency: the batch was %s when the measurement ended (%.0f s after it was dropped)\n",
            still ? "still in progress" : "ALREADY DONE", now_s() - t0);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return 0;
}
