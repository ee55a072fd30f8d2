/*
 * policy_eval — an activity in, a policy_result out: push the activity as a
 * Lua table, call the policy's evaluate, read back what it returned with raw
 * accesses and type checks (a wrongly typed return is a clean error).
 */
#include "policy_internal.h"

#include <lauxlib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Bounds on what one evaluation may hand back, checked as it is read: the
 * pipeline keeps up to a few thousand evaluated records in flight (parse
 * and evaluation run ahead of the store), so a policy returning megabytes
 * of explanation per record must fail that record, not fill the memory.
 * A real explanation is a line ("培训2天+半天：2×10+4=24学时"); a real
 * activity has a credit or two. */
#define MAX_CREDITS POLICY_MAX_CREDITS
#define MAX_TEXT 4096

char *policy_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

const char *policy_status_name(int status)
{
    switch (status) {
    case PS_CREDITED: return "credited";
    case PS_PENDING: return "pending_materials";
    case PS_REJECTED: return "rejected";
    case PS_SUPERSEDED: return "superseded";
    default: return "unknown";
    }
}

void policy_result_clear(policy_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->ncredits; i++) {
        free(r->credits[i].explanation);
        free(r->credits[i].cap_key);
        free(r->credits[i].cap_note);
    }
    free(r->credits);
    free(r->reason);
    memset(r, 0, sizeof *r);
}

/* Key strings, interned once per state in a table at a registry ref and
 * pushed with lua_rawgeti: pushing C strings would hash and strcmp them on
 * every evaluation. */
enum {
    K_FIELD = 1, /* K_FIELD + f for record_field f */
    K_YEAR = K_FIELD + RF__COUNT, K_KIND_NAME, K_EVIDENCE, K_EVALUATE,
    K_STATUS, K_REASON_CODE, K_REASON, K_CREDITS, K_COVERS,
    K_CATEGORY, K_HOURS, K_EXPLANATION, K_CAP, K_KEY, K_LIMIT, K_NOTE, K_FROM, K_TO,
    K__END
};
static const char *const key_names[K__END - K_YEAR] = {
    "year", "kind_name", "evidence", "evaluate",
    "status", "reason_code", "reason", "credits", "covers",
    "category", "hours", "explanation", "cap", "key", "limit", "note", "from", "to",
};

/* Pushes the key table; keeps it for the state's lifetime. */
static int push_keys(lua_State *L)
{
    policy_sandbox *sb = policy_sandbox_of(L);
    luaL_checkstack(L, 8, NULL);
    if (sb->keys_ref != LUA_NOREF) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, sb->keys_ref);
        return lua_gettop(L);
    }
    lua_createtable(L, K__END, 0);
    for (int f = 0; f < RF__COUNT; f++) {
        lua_pushstring(L, record_field_key((record_field)f));
        lua_rawseti(L, -2, K_FIELD + f);
    }
    for (int k = K_YEAR; k < K__END; k++) {
        lua_pushstring(L, key_names[k - K_YEAR]);
        lua_rawseti(L, -2, k);
    }
    lua_pushvalue(L, -1);
    sb->keys_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return lua_gettop(L);
}

/* The activity is pushed for every evaluation (about a quarter of its
 * cost, issue #6), so: the table is created with room for exactly the
 * fields present (no rehash while filling it), and each key comes from the
 * interned key table and is pushed before its value (lua_rawset then pops
 * both: nothing to rotate). Strings stay lua_pushstring: the record keeps
 * no lengths, and Lua's string cache, keyed by the C pointer, hits for
 * every value that repeats the previous record's at the same place of the
 * reused activity (kind, subject, dates …); lua_pushlstring(s, strlen(s))
 * measured no better. */
void policy_push_activity(lua_State *L, const activity *a)
{
    int keys = push_keys(L);
    int n = 2 + (a->kind_name != NULL); /* year, evidence, kind_name */
    for (int f = 0; f < RF__COUNT; f++)
        n += a->f[f].present != 0;
    lua_createtable(L, 0, n);
    int t = lua_gettop(L);
    for (int f = 0; f < RF__COUNT; f++) {
        const record_value *v = &a->f[f];
        if (!v->present)
            continue;
        record_type ty = record_field_type((record_field)f);
        if (ty != RT_INT && ty != RT_NUMBER && ty != RT_BOOL && !v->text)
            continue;
        lua_rawgeti(L, keys, K_FIELD + f);
        switch (ty) {
        case RT_INT:
            lua_pushinteger(L, (lua_Integer)v->i);
            break;
        case RT_NUMBER:
            lua_pushnumber(L, (lua_Number)v->n);
            break;
        case RT_BOOL:
            lua_pushboolean(L, v->i != 0);
            break;
        default: /* RT_TEXT, RT_ENUM, RT_DATE */
            lua_pushstring(L, v->text);
            break;
        }
        lua_rawset(L, t);
    }
    lua_rawgeti(L, keys, K_YEAR);
    lua_pushinteger(L, a->year);
    lua_rawset(L, t);
    if (a->kind_name) {
        lua_rawgeti(L, keys, K_KIND_NAME);
        lua_pushstring(L, a->kind_name);
        lua_rawset(L, t);
    }
    size_t ne = a->nevidence < RECORD_MAX_EVIDENCE ? a->nevidence : RECORD_MAX_EVIDENCE;
    lua_rawgeti(L, keys, K_EVIDENCE);
    lua_createtable(L, (int)ne, 0);
    for (size_t i = 0; i < ne; i++) {
        lua_pushstring(L, a->evidence[i] ? a->evidence[i] : "");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_rawset(L, t);
    lua_remove(L, keys);
}

/* --- reading the result --------------------------------------------------- */

typedef struct reader {
    lua_State *L;
    int keys;
    size_t credit; /* 1-based index of the credit being read, 0 outside */
} reader;

static int raw_field(reader *r, int t, int k)
{
    lua_rawgeti(r->L, r->keys, k);
    return lua_rawget(r->L, t);
}

/* Errors name the field: "credits[2].hours". Formatted only on error. */
static int bad(reader *r, int k, const char *what)
{
    lua_State *L = r->L;
    const char *name = key_names[k - K_YEAR];
    if (r->credit && k != K_CREDITS)
        return luaL_error(L, "evaluate returned credits[%d].%s%s %s", (int)r->credit,
                          k == K_KEY || k == K_LIMIT || k == K_NOTE ? "cap." : "", name, what);
    return luaL_error(L, "evaluate returned %s%s %s", k == K_FROM || k == K_TO ? "covers." : "",
                      name, what);
}

static const char *opt_string(reader *r, int t, int k, size_t *len)
{
    int ty = raw_field(r, t, k);
    if (ty == LUA_TNIL) {
        lua_pop(r->L, 1);
        return NULL;
    }
    if (ty != LUA_TSTRING)
        bad(r, k, "that is not a string");
    const char *s = lua_tolstring(r->L, -1, len);
    lua_pop(r->L, 1); /* still referenced by the result table */
    return s;
}

static int opt_integer(reader *r, int t, int k, int *out)
{
    int ty = raw_field(r, t, k);
    if (ty == LUA_TNIL) {
        lua_pop(r->L, 1);
        return 0;
    }
    int ok = 0;
    lua_Integer v = ty == LUA_TNUMBER ? lua_tointegerx(r->L, -1, &ok) : 0;
    if (!ok || v < 1900 || v > 9999)
        bad(r, k, "that is not a year");
    lua_pop(r->L, 1);
    *out = (int)v;
    return 1;
}

static double need_number(reader *r, int t, int k)
{
    if (raw_field(r, t, k) != LUA_TNUMBER)
        bad(r, k, "that is not a number");
    double v = (double)lua_tonumber(r->L, -1);
    lua_pop(r->L, 1);
    if (!isfinite(v) || v < 0 || v > 100000)
        bad(r, k, "out of range");
    return v;
}

static char *dup(reader *r, const char *s, size_t len)
{
    if (len > MAX_TEXT)
        luaL_error(r->L, "evaluate returned a text of %d bytes (at most %d)", (int)len, MAX_TEXT);
    char *d = malloc(len + 1);
    if (!d)
        luaL_error(r->L, "out of memory copying the result");
    memcpy(d, s, len + 1);
    return d;
}

static int parse_status(const char *s)
{
    if (!strcmp(s, "credited")) return PS_CREDITED;
    if (!strcmp(s, "pending_materials")) return PS_PENDING;
    if (!strcmp(s, "rejected")) return PS_REJECTED;
    return 0;
}

static void read_credit(reader *r, int t, int default_year, policy_credit *c)
{
    size_t len;
    c->year = default_year;
    opt_integer(r, t, K_YEAR, &c->year);
    if (c->year < 1900 || c->year > 9999)
        bad(r, K_YEAR, "missing");

    const char *cat = opt_string(r, t, K_CATEGORY, &len);
    if (!cat || (strcmp(cat, "public") && strcmp(cat, "professional") && strcmp(cat, "whole_year")))
        bad(r, K_CATEGORY, "that is not public, professional or whole_year");
    memcpy(c->category, cat, len + 1); /* ≤ "professional" */

    c->hours = need_number(r, t, K_HOURS);
    const char *ex = opt_string(r, t, K_EXPLANATION, &len);
    if (ex)
        c->explanation = dup(r, ex, len);

    int ty = raw_field(r, t, K_CAP);
    if (ty == LUA_TTABLE) {
        int cap = lua_gettop(r->L);
        const char *key = opt_string(r, cap, K_KEY, &len);
        if (!key || !len)
            bad(r, K_KEY, "missing");
        c->cap_key = dup(r, key, len);
        c->cap_limit = need_number(r, cap, K_LIMIT);
        const char *note = opt_string(r, cap, K_NOTE, &len);
        if (note)
            c->cap_note = dup(r, note, len);
    } else if (ty != LUA_TNIL) {
        bad(r, K_CAP, "that is not a table");
    }
    lua_pop(r->L, 1);
}

/* Reads the table at idx. Every string is copied into out as soon as it is
 * read, so policy_result_clear() frees everything even after an error. */
static void read_result(lua_State *L, int keys, int idx, int default_year, policy_result *out)
{
    reader rd = {L, keys, 0}, *r = &rd;
    size_t len;
    luaL_checkstack(L, 8, NULL);
    if (lua_type(L, idx) != LUA_TTABLE)
        luaL_error(L, "evaluate returned a %s, not a table", luaL_typename(L, idx));

    const char *status = opt_string(r, idx, K_STATUS, &len);
    if (!status || !(out->status = parse_status(status)))
        bad(r, K_STATUS, "that is not credited, pending_materials or rejected");

    const char *code = opt_string(r, idx, K_REASON_CODE, &len);
    if (code && len >= sizeof out->reason_code)
        bad(r, K_REASON_CODE, "too long");
    if (out->status != PS_CREDITED && (!code || !len))
        bad(r, K_REASON_CODE, "missing (needed unless credited)");
    if (code)
        memcpy(out->reason_code, code, len + 1);

    const char *reason = opt_string(r, idx, K_REASON, &len);
    if (reason)
        out->reason = dup(r, reason, len);

    int ty = raw_field(r, idx, K_CREDITS);
    if (ty == LUA_TTABLE) {
        int cr = lua_gettop(L);
        size_t n = (size_t)lua_rawlen(L, cr);
        if (n > MAX_CREDITS)
            bad(r, K_CREDITS, "too many");
        if (n && out->status != PS_CREDITED)
            bad(r, K_CREDITS, "given with a status other than credited");
        if (n) {
            out->credits = calloc(n, sizeof *out->credits);
            if (!out->credits)
                luaL_error(L, "out of memory copying the result");
            out->ncredits = n;
        }
        for (size_t i = 0; i < n; i++) {
            r->credit = i + 1;
            if (lua_rawgeti(L, cr, (lua_Integer)i + 1) != LUA_TTABLE)
                luaL_error(L, "evaluate returned credits[%d] that is not a table", (int)i + 1);
            read_credit(r, lua_gettop(L), default_year, &out->credits[i]);
            lua_pop(L, 1);
        }
        r->credit = 0;
    } else if (ty != LUA_TNIL) {
        bad(r, K_CREDITS, "that is not a table");
    }
    lua_pop(L, 1);

    ty = raw_field(r, idx, K_COVERS);
    if (ty == LUA_TTABLE) {
        int cv = lua_gettop(L);
        if (!opt_integer(r, cv, K_FROM, &out->cover_from) ||
            !opt_integer(r, cv, K_TO, &out->cover_to) || out->cover_from > out->cover_to)
            bad(r, K_COVERS, "without a valid from..to");
    } else if (ty != LUA_TNIL) {
        bad(r, K_COVERS, "that is not a table");
    }
    lua_pop(L, 1);
}

void policy_eval_lua(lua_State *L, int pidx, policy_result *out)
{
    pidx = lua_absindex(L, pidx);
    int act = lua_gettop(L);
    int keys = push_keys(L);
    lua_Integer year = 0;
    if (lua_type(L, act) == LUA_TTABLE) {
        lua_rawgeti(L, keys, K_YEAR);
        lua_rawget(L, act);
        year = lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    lua_rawgeti(L, keys, K_EVALUATE);
    lua_gettable(L, pidx); /* P may inherit evaluate through a metatable */
    lua_pushvalue(L, pidx);
    lua_pushvalue(L, act);
    lua_call(L, 2, 1);
    read_result(L, keys, lua_gettop(L), (int)year, out);
    lua_settop(L, act - 1);
}

int policy_error_result(policy_result *out, const policy_info *info,
                        const char *msg, const char *trace)
{
    char buf[2048];
    if (trace && *trace)
        snprintf(buf, sizeof buf, "政策%s执行出错：%s（调用：%s）", info ? info->name : "",
                 msg, trace);
    else
        snprintf(buf, sizeof buf, "政策%s执行出错：%s", info ? info->name : "", msg);
    out->status = PS_REJECTED;
    snprintf(out->reason_code, sizeof out->reason_code, "policy_error");
    out->policy = info;
    return (out->reason = policy_strdup(buf)) ? 0 : -1;
}

typedef struct eval_ctx {
    policy_entry *e;
    const activity *a;
    policy_result *out;
} eval_ctx;

static int eval_fn(lua_State *L)
{
    eval_ctx *c = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->e->ref);
    int p = lua_gettop(L);
    policy_push_activity(L, c->a);
    policy_eval_lua(L, p, c->out);
    return 0;
}

int policy_evaluate(policy_set *set, const activity *a, policy_result *out)
{
    char buf[600];
    memset(out, 0, sizeof *out);
    if (a->reason_code) { /* already rejected by the normaliser */
        out->status = PS_REJECTED;
        snprintf(out->reason_code, sizeof out->reason_code, "%s", a->reason_code);
        return (out->reason = policy_strdup(a->reason)) ? 0 : -1;
    }
    policy_entry *e = set ? policy_entry_find(set, a->year) : NULL;
    if (!e) {
        out->status = PS_REJECTED;
        snprintf(out->reason_code, sizeof out->reason_code, "no_policy_for_year");
        if (a->year > 0)
            snprintf(buf, sizeof buf, "没有%d年度的学时政策", a->year);
        else
            snprintf(buf, sizeof buf, "无法确定活动所属年度，没有适用的学时政策");
        return (out->reason = policy_strdup(buf)) ? 0 : -1;
    }
    eval_ctx c = {e, a, out};
    char err[1024];
    if (policy_sandbox_call(e->sb, eval_fn, &c, 0, err, sizeof err) != LUA_OK) {
        policy_result_clear(out);
        return policy_error_result(out, &e->info, err, e->sb->trace);
    }
    out->policy = &e->info;
    return 0;
}
