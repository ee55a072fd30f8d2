/*
 * policy_check — `xueshi rules check`: every policy's tests
 * (rules/tests/YYYY_test.lua) run inside the very host the daemon uses
 * (rspamd's idea), in the policy's own sandbox, each test under its own
 * instruction budget. The test API is small: test, eq, ok, evaluate,
 * evaluate_raw, compliance, span, workdays_end and P (docs/policies.md).
 */
#include "policy_internal.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TESTS_KEY "xueshi.tests"
#define MAX_FIELDS 64
#define FIELD_BYTES 16384

/* eq/ok/test are plain Lua: they need nothing from the host. */
static const char prelude[] =
    "local E, tests = ...\n"
    "local fmt, concat, sort, type, tostring, pairs = string.format, table.concat, table.sort, type, tostring, pairs\n"
    "local function show(v, depth)\n"
    "  depth = depth or 0\n"
    "  if type(v) == 'string' then return fmt('%q', v) end\n"
    "  if type(v) ~= 'table' then return tostring(v) end\n"
    "  if depth > 3 then return '{…}' end\n"
    "  local keys = {}\n"
    "  for k in pairs(v) do keys[#keys + 1] = k end\n"
    "  sort(keys, function(a, b)\n"
    "    if type(a) == type(b) and (type(a) == 'number' or type(a) == 'string') then return a < b end\n"
    "    return type(a) < type(b) end)\n"
    "  local parts = {}\n"
    "  for i, k in ipairs(keys) do\n"
    "    if i > 12 then parts[#parts + 1] = '…' break end\n"
    "    local ks = (type(k) == 'number' and k == i) and '' or\n"
    "      ((type(k) == 'string' and k:match('^[%a_][%w_]*$')) and k .. '=' or '[' .. show(k, depth + 1) .. ']=')\n"
    "    parts[#parts + 1] = ks .. show(v[k], depth + 1)\n"
    "  end\n"
    "  return '{' .. concat(parts, ', ') .. '}'\n"
    "end\n"
    "local function same(a, b, depth)\n"
    "  if a == b then return true end\n"
    "  if type(a) ~= 'table' or type(b) ~= 'table' or depth > 20 then return false end\n"
    "  for k, v in pairs(a) do if not same(v, b[k], depth + 1) then return false end end\n"
    "  for k in pairs(b) do if a[k] == nil then return false end end\n"
    "  return true\n"
    "end\n"
    "E.show = show\n"
    "function E.test(name, fn)\n"
    "  if type(name) ~= 'string' or type(fn) ~= 'function' then\n"
    "    error('test(name, function) expected', 2) end\n"
    "  tests[#tests + 1] = {name, fn}\n"
    "end\n"
    "function E.eq(actual, expected, msg)\n"
    "  if not same(actual, expected, 0) then\n"
    "    error((msg and msg .. ': ' or '') .. 'expected ' .. show(expected) .. ', got ' .. show(actual), 2)\n"
    "  end\n"
    "end\n"
    "function E.ok(v, msg)\n"
    "  if not v then error(msg or 'expected a true value', 2) end\n"
    "end\n";

/* --- results back into Lua ------------------------------------------------ */

/* 24 rather than 24.0 in failure messages */
static void push_hours(lua_State *L, double h)
{
    if (h == (double)(lua_Integer)h)
        lua_pushinteger(L, (lua_Integer)h);
    else
        lua_pushnumber(L, h);
}

static void push_result(lua_State *L, const policy_result *r)
{
    luaL_checkstack(L, 6, NULL);
    lua_createtable(L, 0, 10);
    lua_pushstring(L, policy_status_name(r->status));
    lua_setfield(L, -2, "status");
    if (r->reason_code[0]) {
        lua_pushstring(L, r->reason_code);
        lua_setfield(L, -2, "reason_code");
    }
    if (r->reason) {
        lua_pushstring(L, r->reason);
        lua_setfield(L, -2, "reason");
    }
    double total = 0;
    lua_createtable(L, (int)r->ncredits, 0);
    for (size_t i = 0; i < r->ncredits; i++) {
        const policy_credit *c = &r->credits[i];
        total += c->hours;
        lua_createtable(L, 0, 5);
        lua_pushinteger(L, c->year);
        lua_setfield(L, -2, "year");
        lua_pushstring(L, c->category);
        lua_setfield(L, -2, "category");
        push_hours(L, c->hours);
        lua_setfield(L, -2, "hours");
        if (c->explanation) {
            lua_pushstring(L, c->explanation);
            lua_setfield(L, -2, "explanation");
        }
        if (c->cap_key) {
            lua_createtable(L, 0, 3);
            lua_pushstring(L, c->cap_key);
            lua_setfield(L, -2, "key");
            lua_pushnumber(L, c->cap_limit);
            lua_setfield(L, -2, "limit");
            if (c->cap_note) {
                lua_pushstring(L, c->cap_note);
                lua_setfield(L, -2, "note");
            }
            lua_setfield(L, -2, "cap");
        }
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "credits");
    /* Shortcuts for the common one-credit case. */
    push_hours(L, total);
    lua_setfield(L, -2, "hours");
    if (r->ncredits) {
        lua_pushstring(L, r->credits[0].category);
        lua_setfield(L, -2, "category");
        if (r->credits[0].explanation) {
            lua_pushstring(L, r->credits[0].explanation);
            lua_setfield(L, -2, "explanation");
        }
    }
    if (r->cover_from) {
        lua_createtable(L, 0, 2);
        lua_pushinteger(L, r->cover_from);
        lua_setfield(L, -2, "from");
        lua_pushinteger(L, r->cover_to);
        lua_setfield(L, -2, "to");
        lua_setfield(L, -2, "covers");
    }
}

/* A policy_result owned by a userdata, so an error cannot leak it. */
static int result_gc(lua_State *L)
{
    policy_result_clear(lua_touserdata(L, 1));
    return 0;
}

static policy_result *new_result(lua_State *L)
{
    policy_result *r = lua_newuserdatauv(L, sizeof *r, 0);
    memset(r, 0, sizeof *r);
    if (luaL_newmetatable(L, "xueshi.result")) {
        lua_pushcfunction(L, result_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return r;
}

static policy_entry *entry_of(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* eval_step(P, activity, result): P.evaluate and the same reader as the
 * daemon. Called protected, so a failing policy gives policy_error. */
static int eval_step(lua_State *L)
{
    policy_result *r = lua_touserdata(L, 3);
    lua_settop(L, 2);
    policy_eval_lua(L, 1, r);
    return 0;
}

/* P, activity on top → pushes the result table. */
static void evaluate_activity(lua_State *L, policy_entry *e)
{
    int act = lua_gettop(L);
    policy_result *r = new_result(L);
    int rud = lua_gettop(L);
    lua_pushcfunction(L, eval_step);
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref);
    lua_pushvalue(L, act);
    lua_pushvalue(L, rud);
    if (policy_sandbox_pcall(L, 3, 0) != LUA_OK) {
        char msg[1024];
        policy_sandbox_errmsg(L, LUA_ERRRUN, msg, sizeof msg);
        lua_pop(L, 1);
        policy_result_clear(r);
        if (policy_error_result(r, &e->info, msg, e->sb->trace) != 0)
            luaL_error(L, "out of memory");
    } else {
        r->policy = &e->info;
    }
    push_result(L, r);
}

/* The fields of an evaluate{} table, as a plugin would emit them. */
typedef struct raw_fields {
    xs_field fields[MAX_FIELDS];
    const char *evidence[RECORD_MAX_EVIDENCE];
    size_t nfields, nevidence, used;
    char buf[FIELD_BYTES];
} raw_fields;

static const char *raw_put(lua_State *L, raw_fields *rf, const char *s, size_t len)
{
    if (rf->used + len + 1 > sizeof rf->buf)
        luaL_error(L, "evaluate{}: fields too long");
    char *d = rf->buf + rf->used;
    memcpy(d, s, len);
    d[len] = '\0';
    rf->used += len + 1;
    return d;
}

/* A value as the text a file would hold: 2 → "2", true → "true". */
static const char *raw_text(lua_State *L, raw_fields *rf, int idx)
{
    char num[64];
    size_t len;
    const char *s;
    switch (lua_type(L, idx)) {
    case LUA_TSTRING:
        s = lua_tolstring(L, idx, &len);
        return raw_put(L, rf, s, len);
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            snprintf(num, sizeof num, "%lld", (long long)lua_tointeger(L, idx));
        else
            snprintf(num, sizeof num, "%.14g", (double)lua_tonumber(L, idx));
        return raw_put(L, rf, num, strlen(num));
    case LUA_TBOOLEAN:
        return lua_toboolean(L, idx) ? raw_put(L, rf, "true", 4) : raw_put(L, rf, "false", 5);
    default:
        luaL_error(L, "evaluate{}: a field value of type %s", luaL_typename(L, idx));
        return NULL;
    }
}

static void raw_add(lua_State *L, raw_fields *rf, const char *key, int vidx)
{
    if (rf->nfields >= MAX_FIELDS)
        luaL_error(L, "evaluate{}: too many fields");
    rf->fields[rf->nfields].key = raw_put(L, rf, key, strlen(key));
    rf->fields[rf->nfields].value = raw_text(L, rf, vidx);
    rf->nfields++;
}

static void today(char out[11])
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* evaluate{kind=…, …}: the record goes through the real normaliser
 * (record_normalise: Chinese keys and values, checks) and then the policy,
 * exactly as a submitted record would. id, name and title get defaults. */
static int t_evaluate(lua_State *L)
{
    policy_entry *e = entry_of(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    raw_fields *rf = lua_newuserdatauv(L, sizeof *rf, 0);
    rf->nfields = rf->nevidence = rf->used = 0;
    int has_id = 0, has_name = 0, has_title = 0;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "evaluate{}: keys must be strings");
        const char *k = lua_tostring(L, -2);
        if (!strcmp(k, "evidence") || !strcmp(k, "材料")) {
            if (lua_istable(L, -1)) {
                for (lua_Integer i = 1; lua_rawgeti(L, -1, i) != LUA_TNIL; i++) {
                    if (rf->nevidence >= RECORD_MAX_EVIDENCE)
                        luaL_error(L, "evaluate{}: too much evidence");
                    rf->evidence[rf->nevidence++] = raw_text(L, rf, -1);
                    lua_pop(L, 1);
                }
                lua_pop(L, 1);
            } else {
                raw_add(L, rf, "evidence", -1);
            }
        } else {
            int f = record_field_lookup(k);
            has_id |= f == RF_ID;
            has_name |= f == RF_NAME;
            has_title |= f == RF_TITLE;
            raw_add(L, rf, k, -1);
        }
        lua_pop(L, 1);
    }
    lua_pushliteral(L, "430302198001011234");
    if (!has_id)
        raw_add(L, rf, "id", -1);
    lua_pushliteral(L, "测试");
    if (!has_name)
        raw_add(L, rf, "name", -1);
    lua_pushliteral(L, "测试活动");
    if (!has_title)
        raw_add(L, rf, "title", -1);
    lua_pop(L, 3);

    xs_record raw = {.index = 1, .line = 1, .fields = rf->fields, .nfields = rf->nfields,
                     .evidence = rf->evidence, .nevidence = rf->nevidence};
    activity *a = lua_newuserdatauv(L, sizeof *a, 0);
    char now[11];
    today(now);
    record_normalise(&raw, now, a);
    if (a->reason_code) {
        policy_result *r = new_result(L);
        r->status = PS_REJECTED;
        snprintf(r->reason_code, sizeof r->reason_code, "%s", a->reason_code);
        if (!(r->reason = policy_strdup(a->reason)))
            luaL_error(L, "out of memory");
        push_result(L, r);
        return 1;
    }
    if (a->year != e->info.year)
        luaL_error(L, "evaluate{}: the activity belongs to %d, not to the policy under test (%d)",
                   a->year, e->info.year);
    policy_push_activity(L, a);
    evaluate_activity(L, e);
    return 1;
}

/* evaluate_raw{…}: the table is the activity exactly as the policy sees it
 * (a copy; year defaults to the policy's). For checks the normaliser would
 * otherwise make first. */
static int t_evaluate_raw(lua_State *L)
{
    policy_entry *e = entry_of(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    policy_sandbox_deepcopy(L, 1);
    lua_pushliteral(L, "year");
    if (lua_rawget(L, -2) == LUA_TNIL) {
        lua_pushinteger(L, e->info.year);
        lua_setfield(L, -3, "year");
    }
    lua_pop(L, 1);
    lua_pushliteral(L, "evidence");
    if (lua_rawget(L, -2) == LUA_TNIL) {
        lua_newtable(L);
        lua_setfield(L, -3, "evidence");
    }
    lua_pop(L, 1);
    evaluate_activity(L, e);
    return 1;
}

static double opt_hours(lua_State *L, int t, const char *key)
{
    lua_getfield(L, t, key);
    double v = (double)luaL_optnumber(L, -1, 0);
    lua_pop(L, 1);
    return v;
}

/* compliance{public=, professional=, whole_year=} [, year] → ok, missing */
static int t_compliance(lua_State *L)
{
    policy_entry *e = entry_of(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    int year = (int)luaL_optinteger(L, 2, e->info.year);
    policy_year_totals t = {opt_hours(L, 1, "public"), opt_hours(L, 1, "professional"), 0};
    lua_getfield(L, 1, "whole_year");
    t.whole_year = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref);
    int ok = policy_compliance_lua(L, -1, year, &t);
    lua_pushboolean(L, ok);
    lua_insert(L, -2);
    return 2;
}

/* span(level [, eval_year]) → from, to */
static int t_span(lua_State *L)
{
    policy_entry *e = entry_of(L);
    const char *level = luaL_checkstring(L, 1);
    int y = (int)luaL_optinteger(L, 2, e->info.year);
    int from, to;
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref);
    policy_span_lua(L, -1, y, level, &from, &to);
    lua_pushinteger(L, from);
    lua_pushinteger(L, to);
    return 2;
}

/* workdays_end(start, n) → date */
static int t_workdays_end(lua_State *L)
{
    policy_entry *e = entry_of(L);
    const char *start = luaL_checkstring(L, 1);
    int n = (int)luaL_checkinteger(L, 2);
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref);
    policy_workdays_end_lua(L, -1, start, n);
    return 1;
}

typedef struct check_ctx {
    policy_entry *e;
    const char *buf;
    size_t len;
    const char *relpath;
    int index; /* test being run, 1-based */
} check_ctx;

/* Runs the test file in its own environment (the test API, then _G), which
 * registers the tests; they run afterwards, one call each. */
static int load_tests_fn(lua_State *L)
{
    check_ctx *c = lua_touserdata(L, 1);
    policy_entry *e = c->e;
    lua_newtable(L); /* the tests, in order */
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, TESTS_KEY);
    int tests = lua_gettop(L);

    lua_createtable(L, 0, 16);
    int env = lua_gettop(L);
    static const struct { const char *name; lua_CFunction fn; } api[] = {
        {"evaluate", t_evaluate},     {"evaluate_raw", t_evaluate_raw},
        {"compliance", t_compliance}, {"span", t_span},
        {"workdays_end", t_workdays_end},
    };
    for (size_t i = 0; i < sizeof api / sizeof *api; i++) {
        lua_pushlightuserdata(L, e);
        lua_pushcclosure(L, api[i].fn, 1);
        lua_setfield(L, env, api[i].name);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->ref);
    lua_setfield(L, env, "P");
    lua_createtable(L, 0, 1);
    lua_pushglobaltable(L);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, env);

    if (luaL_loadbufferx(L, prelude, sizeof prelude - 1, "=(test api)", "t") != LUA_OK)
        lua_error(L);
    lua_pushvalue(L, env);
    lua_pushvalue(L, tests);
    lua_call(L, 2, 0);

    char chunkname[600];
    snprintf(chunkname, sizeof chunkname, "@%s/%s", e->sb->label, c->relpath);
    if (luaL_loadbufferx(L, c->buf, c->len, chunkname, "t") != LUA_OK)
        lua_error(L);
    lua_pushvalue(L, env);
    lua_setupvalue(L, -2, 1); /* _ENV */
    lua_call(L, 0, 0);
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, tests));
    return 1;
}

static int run_test_fn(lua_State *L)
{
    check_ctx *c = lua_touserdata(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, TESTS_KEY);
    lua_rawgeti(L, -1, c->index);
    lua_rawgeti(L, -1, 2);
    lua_call(L, 0, 0);
    return 0;
}

static int test_name_fn(lua_State *L)
{
    check_ctx *c = lua_touserdata(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, TESTS_KEY);
    lua_rawgeti(L, -1, c->index);
    lua_rawgeti(L, -1, 1);
    return 1;
}

typedef struct failures {
    char *text;
    size_t len, cap;
    int n;
} failures;

static void fail_add(failures *f, const char *name, const char *msg)
{
    char line[2048];
    int w = snprintf(line, sizeof line, "  FAIL %s: %s\n", name, msg);
    if (w < 0)
        return;
    size_t n = (size_t)w < sizeof line ? (size_t)w : sizeof line - 1;
    if (f->len + n + 1 > f->cap) {
        size_t cap = (f->cap ? f->cap * 2 : 1024) + n;
        char *t = realloc(f->text, cap);
        if (!t)
            return;
        f->text = t;
        f->cap = cap;
    }
    memcpy(f->text + f->len, line, n);
    f->len += n;
    f->text[f->len] = '\0';
    f->n++;
}

/* One policy: load it, load its tests, run them; print the summary line and
 * the failures. Adds to the passed and failed counts. */
static void check_one(const char *dir, int year, FILE *out, int *passed, int *failed)
{
    policy_entry e;
    char err[2048];
    failures f = {0};
    int ok = 0;
    char name[16];
    snprintf(name, sizeof name, "%04d.lua", year);
    if (policy_entry_load(&e, dir, year, NULL, out, err, sizeof err) != 0) {
        fprintf(out, "%s  LOAD FAILED: %s\n", name, err);
        (*failed)++;
        return;
    }
    char rel[64], path[4096 + 64];
    snprintf(rel, sizeof rel, "tests/%04d_test.lua", year);
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    char *buf = NULL;
    size_t len = 0;
    if (policy_sandbox_read_file(path, &buf, &len, err, sizeof err) != 0) {
        char msg[4200];
        snprintf(msg, sizeof msg, "%s/%s not found", e.sb->label, rel);
        fail_add(&f, "no tests", msg);
    } else {
        check_ctx c = {&e, buf, len, rel, 0};
        if (policy_sandbox_call(e.sb, load_tests_fn, &c, 1, err, sizeof err) != LUA_OK) {
            fail_add(&f, "loading the tests", err);
        } else {
            int n = (int)lua_tointeger(e.sb->L, -1);
            lua_pop(e.sb->L, 1);
            for (c.index = 1; c.index <= n; c.index++) {
                char tname[256] = "?";
                if (policy_sandbox_call(e.sb, test_name_fn, &c, 1, err, sizeof err) == LUA_OK) {
                    snprintf(tname, sizeof tname, "%s", lua_tostring(e.sb->L, -1));
                    lua_pop(e.sb->L, 1);
                }
                if (policy_sandbox_call(e.sb, run_test_fn, &c, 0, err, sizeof err) == LUA_OK)
                    ok++;
                else
                    fail_add(&f, tname, err);
            }
        }
        free(buf);
    }
    fprintf(out, "%s  sha256=%.12s…  %d passed, %d failed\n", name, e.info.sha256, ok, f.n);
    if (f.text)
        fputs(f.text, out);
    free(f.text);
    *passed += ok;
    *failed += f.n;
    policy_entry_free(&e);
}

int policy_check_dir(const char *dir, FILE *out, int *passed, int *failed)
{
    int p = 0, fl = 0;
    int *years;
    size_t n;
    char err[1024];
    if (policy_scan_dir(dir, &years, &n, err, sizeof err) != 0) {
        fprintf(out, "%s\n", err);
        fl = 1;
    } else {
        if (n == 0) {
            fprintf(out, "no policy (YYYY.lua) in %s\n", dir);
            fl = 1;
        }
        for (size_t i = 0; i < n; i++)
            check_one(dir, years[i], out, &p, &fl);
        free(years);
    }
    if (passed)
        *passed = p;
    if (failed)
        *failed = fl;
    return fl ? 1 : 0;
}
