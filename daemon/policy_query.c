/*
 * policy_query — the questions other modules ask a policy besides
 * "what is this activity worth": is a year compliant, which years does a
 * title evaluation span, when does a publicity period end, what is the
 * number of a certificate.
 */
#include "policy_internal.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

/* --- inside a sandbox call ---------------------------------------------- */

int policy_compliance_lua(lua_State *L, int pidx, int year, const policy_year_totals *t)
{
    pidx = lua_absindex(L, pidx);
    luaL_checkstack(L, 6, NULL);
    lua_getfield(L, pidx, "compliance");
    lua_pushvalue(L, pidx);
    lua_createtable(L, 0, 3);
    lua_pushnumber(L, t->public_hours);
    lua_setfield(L, -2, "public");
    lua_pushnumber(L, t->professional_hours);
    lua_setfield(L, -2, "professional");
    lua_pushboolean(L, t->whole_year);
    lua_setfield(L, -2, "whole_year");
    lua_pushinteger(L, year);
    lua_call(L, 3, 2);
    if (lua_type(L, -2) != LUA_TBOOLEAN)
        luaL_error(L, "compliance returned a %s, not a boolean", luaL_typename(L, -2));
    int compliant = lua_toboolean(L, -2);
    int ty = lua_type(L, -1);
    if (ty != LUA_TSTRING && ty != LUA_TNIL)
        luaL_error(L, "compliance returned a missing text of type %s", lua_typename(L, ty));
    if (compliant) {
        lua_pop(L, 2);
        lua_pushnil(L);
    } else {
        if (ty == LUA_TNIL) {
            lua_pop(L, 1);
            lua_pushfstring(L, "%d年：学时未达到要求", year);
        }
        lua_remove(L, -2);
    }
    return compliant;
}

static int span_bound(lua_State *L, int t, const char *key, int eval_year, const char *level)
{
    lua_pushstring(L, key);
    lua_rawget(L, t);
    int ok;
    lua_Integer v = lua_tointegerx(L, -1, &ok);
    lua_pop(L, 1);
    if (!ok)
        luaL_error(L, "spans.%s.%s is not a whole number", level, key);
    /* ≤ 0: relative to the evaluation year (-1 = the year before) */
    return v <= 0 ? eval_year + (int)v : (int)v;
}

void policy_span_lua(lua_State *L, int pidx, int eval_year, const char *level,
                     int *from, int *to)
{
    pidx = lua_absindex(L, pidx);
    luaL_checkstack(L, 6, NULL);
    lua_getfield(L, pidx, "spans");
    int ty = lua_type(L, -1);
    if (ty == LUA_TFUNCTION) {
        lua_pushvalue(L, pidx);
        lua_pushstring(L, level);
        lua_pushinteger(L, eval_year);
        lua_call(L, 3, 2);
        int ok1, ok2;
        *from = (int)lua_tointegerx(L, -2, &ok1);
        *to = (int)lua_tointegerx(L, -1, &ok2);
        if (!ok1 || !ok2)
            luaL_error(L, "spans(%s, %d) did not return two whole numbers", level, eval_year);
        lua_pop(L, 2);
    } else if (ty == LUA_TTABLE) {
        int t = lua_gettop(L);
        lua_pushstring(L, level);
        if (lua_rawget(L, t) != LUA_TTABLE)
            luaL_error(L, "spans has no level '%s'", level);
        int s = lua_gettop(L);
        *from = span_bound(L, s, "from", eval_year, level);
        *to = span_bound(L, s, "to", eval_year, level);
        lua_pop(L, 2);
    } else {
        luaL_error(L, "the policy has no spans");
    }
    if (*from > *to || *from < 1900 || *to > 9999)
        luaL_error(L, "span of %s for %d is %d..%d", level, eval_year, *from, *to);
}

void policy_workdays_end_lua(lua_State *L, int pidx, const char *start, int n)
{
    pidx = lua_absindex(L, pidx);
    luaL_checkstack(L, 4, NULL);
    if (lua_getfield(L, pidx, "workdays_end") != LUA_TFUNCTION)
        luaL_error(L, "the policy has no workdays_end function (holiday calendar)");
    lua_pushvalue(L, pidx);
    lua_pushstring(L, start);
    lua_pushinteger(L, n);
    lua_call(L, 3, 1);
    size_t len;
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
    if (!s || len != 10 || s[4] != '-' || s[7] != '-')
        luaL_error(L, "workdays_end did not return a YYYY-MM-DD date");
}

/* --- the C API ------------------------------------------------------------ */

typedef struct query_ctx {
    policy_entry *e;
    int year, n;
    const char *text;
    const policy_year_totals *t;
    int compliant;
    char *missing;
    int from, to;
    long long seq;
    char *out;
    size_t outlen;
    int oom;
} query_ctx;

static int compliance_fn(lua_State *L)
{
    query_ctx *q = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, q->e->ref);
    q->compliant = policy_compliance_lua(L, -1, q->year, q->t);
    if (!q->compliant && !(q->missing = policy_strdup(lua_tostring(L, -1))))
        q->oom = 1;
    return 0;
}

int policy_compliance(policy_set *set, int year, const policy_year_totals *t,
                      int *compliant, char **missing, char *err, size_t errlen)
{
    policy_entry *e = policy_entry_nearest(set, year);
    if (!e) {
        snprintf(err, errlen, "no policy loaded");
        return -1;
    }
    query_ctx q = {.e = e, .year = year, .t = t};
    char msg[1024];
    if (policy_sandbox_call(e->sb, compliance_fn, &q, 0, msg, sizeof msg) != LUA_OK || q.oom) {
        free(q.missing);
        snprintf(err, errlen, "%s: %s", e->info.name, q.oom ? "out of memory" : msg);
        return -1;
    }
    *compliant = q.compliant;
    if (missing)
        *missing = q.missing;
    else
        free(q.missing);
    return 0;
}

static int span_fn(lua_State *L)
{
    query_ctx *q = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, q->e->ref);
    policy_span_lua(L, -1, q->year, q->text, &q->from, &q->to);
    return 0;
}

int policy_span(policy_set *set, int eval_year, const char *level,
                int *from_year, int *to_year, char *err, size_t errlen)
{
    policy_entry *e = policy_entry_find(set, eval_year);
    if (!e) {
        snprintf(err, errlen, "没有%d年度的学时政策", eval_year);
        return -1;
    }
    query_ctx q = {.e = e, .year = eval_year, .text = level};
    char msg[1024];
    if (policy_sandbox_call(e->sb, span_fn, &q, 0, msg, sizeof msg) != LUA_OK) {
        snprintf(err, errlen, "%s: %s", e->info.name, msg);
        return -1;
    }
    *from_year = q.from;
    *to_year = q.to;
    return 0;
}

static int copy_out(lua_State *L, query_ctx *q)
{
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (len >= q->outlen)
        luaL_error(L, "result longer than %d bytes", (int)q->outlen - 1);
    memcpy(q->out, s, len + 1);
    return 0;
}

static int workdays_fn(lua_State *L)
{
    query_ctx *q = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, q->e->ref);
    policy_workdays_end_lua(L, -1, q->text, q->n);
    return copy_out(L, q);
}

int policy_workdays_end(policy_set *set, const char *start, int n, char end[11],
                        char *err, size_t errlen)
{
    int y = (int)strtol(start, NULL, 10);
    policy_entry *e = policy_entry_nearest(set, y);
    if (!e) {
        snprintf(err, errlen, "no policy loaded");
        return -1;
    }
    if (n < 1 || n > 366) {
        snprintf(err, errlen, "bad number of working days %d", n);
        return -1;
    }
    query_ctx q = {.e = e, .text = start, .n = n, .out = end, .outlen = 11};
    char msg[1024];
    if (policy_sandbox_call(e->sb, workdays_fn, &q, 0, msg, sizeof msg) != LUA_OK) {
        snprintf(err, errlen, "%s: %s", e->info.name, msg);
        return -1;
    }
    return 0;
}

static int certno_fn(lua_State *L)
{
    query_ctx *q = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, q->e->ref);
    int p = lua_gettop(L);
    if (lua_getfield(L, p, "certificate_number") != LUA_TFUNCTION)
        luaL_error(L, "the policy has no certificate_number function");
    lua_pushvalue(L, p);
    lua_pushinteger(L, q->year);
    lua_pushinteger(L, (lua_Integer)q->seq);
    lua_call(L, 3, 1);
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "certificate_number returned a %s, not a string", luaL_typename(L, -1));
    return copy_out(L, q);
}

int policy_certificate_number(policy_set *set, int eval_year, long long seq,
                              char *out, size_t outlen, char *err, size_t errlen)
{
    policy_entry *e = policy_entry_nearest(set, eval_year);
    if (!e || !outlen) {
        snprintf(err, errlen, "no policy loaded");
        return -1;
    }
    query_ctx q = {.e = e, .year = eval_year, .seq = seq, .out = out, .outlen = outlen};
    char msg[1024];
    if (policy_sandbox_call(e->sb, certno_fn, &q, 0, msg, sizeof msg) != LUA_OK) {
        snprintf(err, errlen, "%s: %s", e->info.name, msg);
        return -1;
    }
    return 0;
}
