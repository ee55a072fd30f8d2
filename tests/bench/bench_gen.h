#ifndef XS_BENCH_GEN_H
#define XS_BENCH_GEN_H
/* A valid GB 11643 ID for person number n (19 bytes with NUL). */
void bench_make_id(long n, char id[19]);
/* n CSV records of a realistic mix of kinds, ten per person; a few pending
 * or rejected. */
void bench_generate_csv(const char *path, long n);
#endif
