/* Helpers for tests that run the real binary on real files and read the
 * real database with SQL. */
#ifndef XS_TEST_H
#define XS_TEST_H
#include <sqlite3.h>
#include <stddef.h>

/* A fresh, empty directory under XS_TEST_TMP_DIR named after tag; path in out. */
void xt_tmpdir(const char *tag, char *out, size_t outlen);
/* Runs the shell command made from fmt; returns its exit status (or -1). */
int xt_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs xueshi with common flags for data dir dd: "xueshi CMD --data dd --rules .. --plugins .. ARGS".
 * Output goes to dd/last.out (stdout) and dd/last.err. Returns the exit status. */
int xt_xueshi(const char *dd, const char *args_fmt, ...) __attribute__((format(printf, 2, 3)));
/* Contents of a file (malloc'd, NUL-terminated) or NULL. */
char *xt_slurp(const char *path);
/* Writes a file. */
void xt_write(const char *path, const char *content);
/* Copies a file. */
void xt_copy(const char *from, const char *to);

sqlite3 *xt_db(const char *dd);
/* First column of the first row, as text (static buffer, "" when no row,
 * "NULL" for NULL). */
const char *xt_q(sqlite3 *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
long long xt_qi(sqlite3 *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* All rows, columns separated by |, rows by newline (malloc'd). */
char *xt_dump(sqlite3 *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));



#include <sys/types.h>
/* Starts `xueshi daemon` on dd with the common flags and extra arguments;
 * its stderr is appended to dd/daemon.log. Under $XUESHI_WRAPPER, returns
 * only once the daemon watches its inbox (or has exited). */
pid_t xt_daemon_start(const char *dd, const char *extra_fmt, ...) __attribute__((format(printf, 2, 3)));
/* SIGTERM, then wait (at most timeout_s); returns the exit status, or -1
 * when it had to be killed. */
int xt_daemon_stop(pid_t pid, double timeout_s);
/* Number of regular files directly in dir (dotfiles excluded). */
int xt_count_files(const char *dir);
/* Number of files under dir, recursively (dotfiles excluded). */
int xt_count_tree(const char *dir);
/* Polls until count_fn(arg) >= want or timeout_s passes; returns the last count. */
int xt_wait_count(int (*count_fn)(const char *), const char *arg, int want, double timeout_s);
double xt_now(void);
void xt_sleep(double s);

/* $XUESHI_WRAPPER, put before the binary in every run of it ("valgrind
 * --error-exitcode=99 …" in contrib/test-valgrind.sh), or "". */
const char *xt_wrapper(void);
/* $XS_TEST_TIME_SCALE (≥ 1, default 1): slow runs (valgrind) stretch every
 * timeout of xt_wait_count, xt_daemon_stop and xt_wait_log, and tests
 * multiply their own time bounds by it. */
double xt_time_scale(void);
/* normal_kb times $XS_TEST_RSS_SCALE (default 1; ASan needs more, and 0
 * turns memory checks off, as under valgrind). 0 means "do not check". */
long xt_rss_limit_kb(long normal_kb);
/* Peak resident memory (VmHWM) of a running process in KiB, -1 if gone. */
long xt_peak_rss_kb(pid_t pid);
/* 1 while pid (a child) has not exited; does not reap it. */
int xt_alive(pid_t pid);
/* Polls dd/daemon.log until it contains needle; 1 when it does, 0 after
 * timeout_s (scaled). */
int xt_wait_log(const char *dd, const char *needle, double timeout_s);
/* How many times dd/daemon.log contains needle. */
int xt_log_count(const char *dd, const char *needle);
/* Polls dd/daemon.log until it contains needle at least times times; fails
 * the test (naming needle and the count) after timeout_s (scaled). */
void xt_wait_log_n(const char *dd, const char *needle, int times, double timeout_s);
/* Delivers a file the way units do: written in stage_dir (same filesystem),
 * then renamed into inbox_dir/name (a complete delivery, taken at once). */
void xt_deliver(const char *stage_dir, const char *inbox_dir, const char *name, const void *data,
                size_t n);
/* The same with the content of the file at from. */
void xt_deliver_copy(const char *stage_dir, const char *inbox_dir, const char *from,
                     const char *name);
/* Delivers a one-training JSON file the way units do: written as
 * stage_dir/name, then renamed into inbox_dir/name. The training is
 * 张三's (430302198001011234) number n in June 2016, a year no bundled
 * policy covers (tests of reloads give it one). */
void xt_deliver_training_2016(const char *stage_dir, const char *inbox_dir, const char *name,
                              int n);
/* That training's "status|reason_code" in dd's database, once it is there
 * (polls up to 20 s, scaled); "" if it never comes. Static buffer. */
const char *xt_training_outcome(const char *dd, int n);
#endif
