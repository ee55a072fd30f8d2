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
 * its stderr is appended to dd/daemon.log. */
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
#endif
