/*
 * xs_ceiling — the ceiling of issue #6: the least a program must do to turn
 * the benchmark CSV into rows. It reads the CSV with libcsv, calls a trivial
 * Lua 5.4 function per row with the row's fields (it returns the hours:
 * 10·days + 4·half_days + hours), and inserts one row per record into a
 * SQLite table with no index, in one transaction, in WAL mode.
 *
 *   xs_ceiling [--db FILE] CSV
 *
 * Prints one line: "xs_ceiling records=N seconds=S records_per_s=R" (the
 * seconds from opening the CSV to the commit; perf.sh times the whole
 * process instead, as it does for xueshi and the peer).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <csv.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <sqlite3.h>

#define MAXF 64

typedef struct ceil_ctx {
    char *f[MAXF];
    size_t len[MAXF], cap[MAXF];
    int nf;
    long rows; /* data rows done (the header is row 0) */
    int header_done, ncols;
    int col_id, col_kind, col_date, col_title, col_ref; /* -1: absent */
    lua_State *L;
    int fn; /* registry ref of the Lua function */
    sqlite3 *db;
    sqlite3_stmt *ins;
} ceil_ctx;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "xs_ceiling: %s: %s\n", what, detail);
    exit(1);
}

static void on_field(void *s, size_t n, void *data)
{
    ceil_ctx *c = data;
    if (c->nf >= MAXF)
        return;
    int i = c->nf++;
    if (n + 1 > c->cap[i]) {
        c->cap[i] = n + 64;
        c->f[i] = realloc(c->f[i], c->cap[i]);
        if (!c->f[i])
            die("memory", "out of memory");
    }
    memcpy(c->f[i], s, n);
    c->f[i][n] = '\0';
    c->len[i] = n;
}

/* English key or Chinese name (SPEC §3) → column index, -1 when absent. */
static int find_col(ceil_ctx *c, const char *en, const char *zh)
{
    for (int i = 0; i < c->nf; i++) {
        const char *h = c->f[i];
        if (i == 0 && strncmp(h, "\xEF\xBB\xBF", 3) == 0)
            h += 3;
        if (strcmp(h, en) == 0 || strcmp(h, zh) == 0)
            return i;
    }
    return -1;
}

static void load_lua(ceil_ctx *c)
{
    int days = find_col(c, "days", "天数"), half = find_col(c, "half_days", "半天数"),
        hours = find_col(c, "hours", "学时");
    char src[512];
    /* Lua's select() counts from 1; a column that is absent reads as nil. */
    snprintf(src, sizeof src,
             "return function(...)\n"
             "  local d, h, x = select(%d, ...), select(%d, ...), select(%d, ...)\n"
             "  return (tonumber(d) or 0) * 10 + (tonumber(h) or 0) * 4 + (tonumber(x) or 0)\n"
             "end\n",
             days >= 0 ? days + 1 : MAXF + 1, half >= 0 ? half + 1 : MAXF + 1, hours >= 0 ? hours + 1 : MAXF + 1);
    if (luaL_loadstring(c->L, src) != LUA_OK || lua_pcall(c->L, 0, 1, 0) != LUA_OK)
        die("lua", lua_tostring(c->L, -1));
    c->fn = luaL_ref(c->L, LUA_REGISTRYINDEX);
}

static void bind_col(ceil_ctx *c, int param, int col)
{
    if (col >= 0 && col < c->nf)
        sqlite3_bind_text(c->ins, param, c->f[col], (int)c->len[col], SQLITE_STATIC);
    else
        sqlite3_bind_null(c->ins, param);
}

static void on_row(int term, void *data)
{
    ceil_ctx *c = data;
    (void)term;
    if (!c->header_done) {
        c->header_done = 1;
        c->ncols = c->nf;
        c->col_id = find_col(c, "id", "身份证号");
        c->col_kind = find_col(c, "kind", "类型");
        c->col_date = find_col(c, "date", "日期");
        c->col_title = find_col(c, "title", "名称");
        c->col_ref = find_col(c, "ref", "编号");
        load_lua(c);
        c->nf = 0;
        return;
    }
    lua_State *L = c->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->fn);
    for (int i = 0; i < c->nf; i++)
        lua_pushlstring(L, c->f[i], c->len[i]);
    if (lua_pcall(L, c->nf, 1, 0) != LUA_OK)
        die("lua", lua_tostring(L, -1));
    double hours = lua_tonumber(L, -1);
    lua_pop(L, 1);
    bind_col(c, 1, c->col_id);
    bind_col(c, 2, c->col_kind);
    bind_col(c, 3, c->col_date);
    bind_col(c, 4, c->col_title);
    bind_col(c, 5, c->col_ref);
    sqlite3_bind_double(c->ins, 6, hours);
    if (sqlite3_step(c->ins) != SQLITE_DONE)
        die("insert", sqlite3_errmsg(c->db));
    sqlite3_reset(c->ins);
    c->rows++;
    c->nf = 0;
}

int main(int argc, char **argv)
{
    const char *dbpath = "xs_ceiling.db";
    static const struct option lo[] = {{"db", 1, 0, 'd'}, {"help", 0, 0, 'h'}, {0}};
    int o;
    while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        if (o == 'd')
            dbpath = optarg;
        else {
            printf("Usage: xs_ceiling [--db FILE] CSV\n"
                   "libcsv → a trivial Lua function per row → one SQLite insert per record\n"
                   "(no index, one transaction, WAL). Replaces FILE.\n");
            return o == 'h' ? 0 : 2;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "xs_ceiling: one CSV file expected (--help)\n");
        return 2;
    }
    ceil_ctx c;
    memset(&c, 0, sizeof c);
    double t0 = now_s();
    char side[4200];
    unlink(dbpath);
    snprintf(side, sizeof side, "%s-wal", dbpath);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", dbpath);
    unlink(side);
    if (sqlite3_open(dbpath, &c.db) != SQLITE_OK)
        die(dbpath, sqlite3_errmsg(c.db));
    char *err = NULL;
    if (sqlite3_exec(c.db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                     "CREATE TABLE activities(person_id TEXT, kind TEXT, date TEXT, title TEXT,"
                     " ref TEXT, hours REAL);"
                     "BEGIN",
                     NULL, NULL, &err) != SQLITE_OK)
        die("schema", err);
    if (sqlite3_prepare_v2(c.db, "INSERT INTO activities VALUES (?,?,?,?,?,?)", -1, &c.ins, NULL) != SQLITE_OK)
        die("prepare", sqlite3_errmsg(c.db));
    c.L = luaL_newstate();
    luaL_openlibs(c.L);

    FILE *f = fopen(argv[optind], "rb");
    if (!f)
        die(argv[optind], "cannot open");
    struct csv_parser p;
    if (csv_init(&p, CSV_APPEND_NULL) != 0)
        die("libcsv", "init failed");
    static char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        if (csv_parse(&p, buf, n, on_field, on_row, &c) != n)
            die(argv[optind], csv_strerror(csv_error(&p)));
    csv_fini(&p, on_field, on_row, &c);
    csv_free(&p);
    fclose(f);

    if (sqlite3_exec(c.db, "COMMIT", NULL, NULL, &err) != SQLITE_OK)
        die("commit", err);
    sqlite3_finalize(c.ins);
    sqlite3_close(c.db);
    double t = now_s() - t0;
    lua_close(c.L);
    for (int i = 0; i < MAXF; i++)
        free(c.f[i]);
    printf("xs_ceiling records=%ld seconds=%.3f records_per_s=%.0f\n", c.rows, t, t > 0 ? c.rows / t : 0);
    return 0;
}
