/*
 * policy_set — a rules folder: every YYYY.lua directly under it, each in its
 * own sandbox, hashed (SHA-256 of exactly the bytes that were loaded) and
 * checked to return a well-formed policy. All or nothing (rspamd: a reload
 * builds a complete new set and the caller swaps it in only on success).
 */
#include "policy_internal.h"
#include "digest.h"

#include <ctype.h>
#include <dirent.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int is_policy_name(const char *name, int *year)
{
    if (strlen(name) != 8 || strcmp(name + 4, ".lua") != 0)
        return 0;
    for (int i = 0; i < 4; i++)
        if (!isdigit((unsigned char)name[i]))
            return 0;
    *year = atoi(name);
    return *year >= 1900;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int policy_scan_dir(const char *dir, int **years, size_t *n, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot open rules folder %s", dir);
        return -1;
    }
    int *v = NULL;
    size_t len = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        int year;
        if (!is_policy_name(de->d_name, &year))
            continue;
        char path[4096 + 300];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (len == cap) {
            cap = cap ? cap * 2 : 16;
            int *nv = realloc(v, cap * sizeof *v);
            if (!nv) {
                free(v);
                closedir(d);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            v = nv;
        }
        v[len++] = year;
    }
    closedir(d);
    if (len)
        qsort(v, len, sizeof *v, cmp_int);
    *years = v;
    *n = len;
    return 0;
}

typedef struct load_ctx {
    policy_entry *e;
    const char *buf;
    size_t len;
} load_ctx;

static void need_function(lua_State *L, int p, const char *name)
{
    lua_pushstring(L, name);
    if (lua_rawget(L, p) != LUA_TFUNCTION)
        luaL_error(L, "the policy table has no function '%s'", name);
    lua_pop(L, 1);
}

/* Runs the file, then checks what it returned: a table with the right year,
 * evaluate and compliance functions, spans for both levels, and whatever its
 * own validate() says. */
static int load_fn(lua_State *L)
{
    load_ctx *c = lua_touserdata(L, 1);
    policy_entry *e = c->e;
    char key[32];
    snprintf(key, sizeof key, "policy/%d", e->info.year);
    policy_sandbox_require(L, key, e->info.name, c->buf, c->len);
    int p = lua_gettop(L);
    if (!lua_istable(L, p))
        luaL_error(L, "%s returns a %s, not a policy table", e->info.name, luaL_typename(L, p));

    lua_pushliteral(L, "year");
    int ty = lua_rawget(L, p);
    if (ty == LUA_TNIL) {
        lua_pushinteger(L, e->info.year);
        lua_setfield(L, p, "year");
    } else if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) != e->info.year) {
        luaL_error(L, "%s returns year %s, not %d (set year = %d)", e->info.name,
                   lua_isinteger(L, -1) ? lua_tostring(L, -1) : luaL_typename(L, -1),
                   e->info.year, e->info.year);
    }
    lua_pop(L, 1);
    need_function(L, p, "evaluate");
    need_function(L, p, "compliance");
    lua_pushliteral(L, "spans");
    ty = lua_rawget(L, p);
    if (ty != LUA_TTABLE && ty != LUA_TFUNCTION)
        luaL_error(L, "the policy table has no spans (a table or a function)");
    lua_pop(L, 1);

    lua_pushliteral(L, "validate");
    if (lua_rawget(L, p) == LUA_TFUNCTION) {
        lua_pushvalue(L, p);
        lua_call(L, 1, 0);
    } else {
        lua_pop(L, 1);
    }
    int from, to;
    policy_span_lua(L, p, e->info.year, "intermediate", &from, &to);
    policy_span_lua(L, p, e->info.year, "senior", &from, &to);

    lua_pushvalue(L, p);
    e->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

int policy_entry_load(policy_entry *e, const char *dir, int year,
                      const policy_limits *lim, FILE *print_out,
                      char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    e->ref = LUA_NOREF;
    e->info.year = year;
    snprintf(e->info.name, sizeof e->info.name, "%04d.lua", year);
    if ((size_t)snprintf(e->info.path, sizeof e->info.path, "%s/%s", dir, e->info.name) >=
        sizeof e->info.path) {
        snprintf(err, errlen, "rules folder name too long");
        return -1;
    }
    char *buf;
    size_t len;
    if (policy_sandbox_read_file(e->info.path, &buf, &len, err, errlen) != 0)
        return -1;
    digest_buffer(buf, len, e->info.sha256);

    if (policy_sandbox_new(lim, dir, &e->sb, err, errlen) != 0) {
        free(buf);
        return -1;
    }
    e->sb->print_out = print_out;
    load_ctx c = {e, buf, len};
    char msg[1024];
    int st = policy_sandbox_call(e->sb, load_fn, &c, 0, msg, sizeof msg);
    free(buf);
    if (st != LUA_OK) {
        snprintf(err, errlen, "cannot load %s/%s: %s", e->sb->label, e->info.name, msg);
        policy_entry_free(e);
        return -1;
    }
    return 0;
}

void policy_entry_free(policy_entry *e)
{
    policy_sandbox_free(e->sb);
    e->sb = NULL;
}

int policy_set_load(const char *dir, const policy_limits *lim,
                    policy_set **out, char *err, size_t errlen)
{
    int *years;
    size_t n;
    if (policy_scan_dir(dir, &years, &n, err, errlen) != 0)
        return -1;
    if (n == 0) {
        free(years);
        snprintf(err, errlen, "no policy (YYYY.lua) in %s", dir);
        return -1;
    }
    policy_set *set = calloc(1, sizeof *set);
    if (set)
        set->v = calloc(n, sizeof *set->v);
    if (!set || !set->v) {
        free(set);
        free(years);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (policy_entry_load(&set->v[i], dir, years[i], lim, NULL, err, errlen) != 0) {
            policy_set_free(set);
            free(years);
            return -1;
        }
        set->n++;
    }
    free(years);
    *out = set;
    return 0;
}

void policy_set_free(policy_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        policy_entry_free(&set->v[i]);
    free(set->v);
    free(set);
}

size_t policy_set_count(const policy_set *set)
{
    return set ? set->n : 0;
}

const policy_info *policy_set_info(const policy_set *set, size_t i)
{
    return set && i < set->n ? &set->v[i].info : NULL;
}

policy_entry *policy_entry_find(policy_set *set, int year)
{
    for (size_t i = 0; set && i < set->n; i++)
        if (set->v[i].info.year == year)
            return &set->v[i];
    return NULL;
}

policy_entry *policy_entry_nearest(policy_set *set, int year)
{
    policy_entry *before = NULL;
    for (size_t i = 0; set && i < set->n; i++) {
        if (set->v[i].info.year == year)
            return &set->v[i];
        if (set->v[i].info.year < year)
            before = &set->v[i];
        else
            return before ? before : &set->v[i];
    }
    return before;
}

const policy_info *policy_set_find(const policy_set *set, int year)
{
    policy_entry *e = policy_entry_find((policy_set *)set, year);
    return e ? &e->info : NULL;
}
