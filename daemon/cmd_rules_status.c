/* xueshi rules status — which policy revisions are in the --rules folder,
 * and what this database knows of them. */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app.h"
#include "commands.h"
#include "digest.h"

static const char usage[] =
    "Usage: xueshi rules status [--json]\n"
    "Show what is active: each policy file of the --rules folder with its SHA-256,\n"
    "whether that revision was ever loaded into this database (policy_revisions:\n"
    "when, and how: daemon start, reload, ingest, recompute), and how many credits\n"
    "it decided; credits decided by other revisions of the same file are counted\n"
    "too (`xueshi recompute` brings them to the current one). Also says whether\n"
    "the folder loads as a whole.\n\n"
    "Options:\n" APP_OPTIONS_HELP
    "  --json            machine-readable output\n\n"
    "Exit: 0 shown, 1 the folder does not load or cannot be read, 2 usage error.\n";

typedef struct row {
    char file[16], sha256[65];
    char first_loaded[40], how[16];
    long long credits_this, credits_other;
} row;

static int is_policy_name(const char *n)
{
    size_t l = strlen(n);
    if (l != 8 || strcmp(n + 4, ".lua") != 0)
        return 0;
    for (int i = 0; i < 4; i++)
        if (n[i] < '0' || n[i] > '9')
            return 0;
    return 1;
}

static int row_cmp(const void *a, const void *b)
{
    return strcmp(((const row *)a)->file, ((const row *)b)->file);
}

static size_t scan_rules(const char *dir, row *rows, size_t max)
{
    DIR *d = opendir(dir);
    if (!d)
        return (size_t)-1;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        if (!is_policy_name(e->d_name))
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        memset(&rows[n], 0, sizeof rows[n]);
        snprintf(rows[n].file, sizeof rows[n].file, "%s", e->d_name);
        if (digest_file(path, rows[n].sha256) == 0)
            n++;
    }
    closedir(d);
    qsort(rows, n, sizeof *rows, row_cmp);
    return n;
}

/* What the database says; no database is not an error (nothing loaded yet). */
static int read_db(const app_opts *o, row *rows, size_t n, char *dbnote, size_t dblen)
{
    datadir dd;
    char err[1024];
    store *s = NULL;
    if (datadir_open(o->data, 0, &dd, err, sizeof err) != 0 ||
        store_open(dd.db, STORE_READONLY, &s, err, sizeof err) != STORE_OK) {
        snprintf(dbnote, dblen, "%s", err);
        return 0;
    }
    sqlite3 *db = store_db(s);
    sqlite3_stmt *rev = NULL, *cnt = NULL;
    int ok = sqlite3_prepare_v2(db, "SELECT first_loaded, how FROM policy_revisions"
                                    " WHERE file = ?1 AND sha256 = ?2", -1, &rev, NULL) == SQLITE_OK &&
             sqlite3_prepare_v2(db, "SELECT policy, policy_sha256, count(*) FROM credits"
                                    " GROUP BY policy, policy_sha256", -1, &cnt, NULL) == SQLITE_OK;
    for (size_t i = 0; ok && i < n; i++) {
        sqlite3_bind_text(rev, 1, rows[i].file, -1, SQLITE_STATIC);
        sqlite3_bind_text(rev, 2, rows[i].sha256, -1, SQLITE_STATIC);
        if (sqlite3_step(rev) == SQLITE_ROW) {
            snprintf(rows[i].first_loaded, sizeof rows[i].first_loaded, "%s",
                     (const char *)sqlite3_column_text(rev, 0));
            snprintf(rows[i].how, sizeof rows[i].how, "%s", (const char *)sqlite3_column_text(rev, 1));
        }
        sqlite3_reset(rev);
    }
    while (ok && sqlite3_step(cnt) == SQLITE_ROW) {
        const char *file = (const char *)sqlite3_column_text(cnt, 0);
        const char *sha = (const char *)sqlite3_column_text(cnt, 1);
        long long k = sqlite3_column_int64(cnt, 2);
        for (size_t i = 0; file && i < n; i++)
            if (!strcmp(rows[i].file, file)) {
                if (sha && !strcmp(rows[i].sha256, sha))
                    rows[i].credits_this += k;
                else
                    rows[i].credits_other += k;
            }
    }
    if (!ok)
        snprintf(dbnote, dblen, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(rev);
    sqlite3_finalize(cnt);
    store_close(s);
    if (ok)
        snprintf(dbnote, dblen, "%s", dd.db);
    return ok;
}

int cmd_rules_status(int argc, char **argv)
{
    static const struct option longopts[] = {APP_LONG_OPTIONS, {"json", no_argument, NULL, 'j'}, {0}};
    app_opts o;
    app_opts_defaults(&o);
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int t = app_opts_take(&o, c, optarg);
        if (t < 0) return EXIT_USAGE;
        if (t) continue;
        if (c == 'h') { fputs(usage, stdout); return EXIT_OK; }
        if (c == 'j') { json = 1; continue; }
        return app_usage_error("rules status", "unknown option");
    }
    if (optind < argc)
        return app_usage_error("rules status", "no arguments expected (the folder is --rules)");

    row rows[256];
    size_t n = scan_rules(o.rules, rows, sizeof rows / sizeof *rows);
    if (n == (size_t)-1) {
        fprintf(stderr, "xueshi rules status: cannot read %s\n", o.rules);
        return EXIT_FAIL;
    }
    char lerr[2048] = "";
    policy_set *set = NULL;
    int loads = policy_set_load(o.rules, NULL, &set, lerr, sizeof lerr) == 0;
    if (set)
        policy_set_free(set);
    char dbnote[1100];
    int have_db = read_db(&o, rows, n, dbnote, sizeof dbnote);

    if (json) {
        json_t *j = json_object(), *arr = json_array();
        json_object_set_new(j, "rules", json_string(o.rules));
        json_object_set_new(j, "loads", json_boolean(loads));
        json_object_set_new(j, "error", loads ? json_null() : json_string(lerr));
        json_object_set_new(j, "database", have_db ? json_string(dbnote) : json_null());
        for (size_t i = 0; i < n; i++) {
            json_t *r = json_object();
            json_object_set_new(r, "file", json_string(rows[i].file));
            json_object_set_new(r, "sha256", json_string(rows[i].sha256));
            json_object_set_new(r, "first_loaded",
                                rows[i].first_loaded[0] ? json_string(rows[i].first_loaded) : json_null());
            json_object_set_new(r, "how", rows[i].how[0] ? json_string(rows[i].how) : json_null());
            json_object_set_new(r, "credits_this_revision", json_integer(rows[i].credits_this));
            json_object_set_new(r, "credits_other_revisions", json_integer(rows[i].credits_other));
            json_array_append_new(arr, r);
        }
        json_object_set_new(j, "policies", arr);
        json_dumpf(j, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(j);
        return loads ? EXIT_OK : EXIT_FAIL;
    }
    printf("规则目录：%s（%s）\n", o.rules, loads ? "可以加载" : "无法加载");
    if (!loads)
        printf("  %s\n", lerr);
    printf("数据库：%s\n", have_db ? dbnote : "无");
    if (!have_db)
        printf("  %s\n", dbnote);
    for (size_t i = 0; i < n; i++) {
        const row *r = &rows[i];
        printf("%s  sha256=%s  ", r->file, r->sha256);
        if (r->first_loaded[0])
            printf("首次载入 %s（%s）", r->first_loaded, r->how);
        else
            printf("未载入过本数据库");
        if (have_db) {
            printf("；%lld条学时由此版本认定", r->credits_this);
            if (r->credits_other)
                printf("，%lld条由旧版本认定（xueshi recompute 可更新）", r->credits_other);
        }
        putchar('\n');
    }
    return loads ? EXIT_OK : EXIT_FAIL;
}
