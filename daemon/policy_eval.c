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

#define MAX_CREDITS 1000

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

void policy_push_activity(lua_State *L, const activity *a)
{
    luaL_checkstack(L, 4, NULL);
    lua_createtable(L, 0, 16);
    /* lua_setfield with the same literal key pointers hits Lua's string
     * cache, so this loop allocates only the values. */
    for (int f = 0; f < RF__COUNT; f++) {
        const record_value *v = &a->f[f];
        if (!v->present)
            continue;
        switch (record_field_type((record_field)f)) {
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
            if (!v->text)
                continue;
            lua_pushstring(L, v->text);
            break;
        }
        lua_setfield(L, -2, record_field_key((record_field)f));
    }
    lua_pushinteger(L, a->year);
    lua_setfield(L, -2, "year");
    if (a->kind_name) {
        lua_pushstring(L, a->kind_name);
        lua_setfield(L, -2, "kind_name");
    }
    size_t n = a->nevidence < RECORD_MAX_EVIDENCE ? a->nevidence : RECORD_MAX_EVIDENCE;
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, a->evidence[i] ? a->evidence[i] : "");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "evidence");
}

/* --- reading the result --------------------------------------------------- */

static int raw_field(lua_State *L, int t, const char *key)
{
    lua_pushstring(L, key);
    return lua_rawget(L, t);
}

static void oom(lua_State *L)
{
    luaL_error(L, "out of memory copying the result");
}

static const char *opt_string(lua_State *L, int t, const char *key, const char *where)
{
    int ty = raw_field(L, t, key);
    if (ty == LUA_TNIL) {
        lua_pop(L, 1);
        return NULL;
    }
    if (ty != LUA_TSTRING)
        luaL_error(L, "evaluate returned %s%s of type %s, not a string", where, key,
                   lua_typename(L, ty));
    const char *s = lua_tostring(L, -1);
    lua_pop(L, 1); /* still referenced by the result table */
    return s;
}

static int opt_integer(lua_State *L, int t, const char *key, const char *where, int *out)
{
    int ty = raw_field(L, t, key);
    if (ty == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    int ok = 0;
    lua_Integer v = ty == LUA_TNUMBER ? lua_tointegerx(L, -1, &ok) : 0;
    if (!ok || v < -100000 || v > 100000)
        luaL_error(L, "evaluate returned %s%s that is not a whole number (a %s)", where, key,
                   lua_typename(L, ty));
    lua_pop(L, 1);
    *out = (int)v;
    return 1;
}

static int parse_status(const char *s)
{
    if (!strcmp(s, "credited")) return PS_CREDITED;
    if (!strcmp(s, "pending_materials")) return PS_PENDING;
    if (!strcmp(s, "rejected")) return PS_REJECTED;
    return 0;
}

static void read_credit(lua_State *L, int t, int default_year, policy_credit *c, size_t i)
{
    char where[48];
    snprintf(where, sizeof where, "credits[%zu].", i + 1);
    c->year = default_year;
    opt_integer(L, t, "year", where, &c->year);
    if (c->year < 1900 || c->year > 9999)
        luaL_error(L, "evaluate returned %syear %d out of range", where, c->year);

    const char *cat = opt_string(L, t, "category", where);
    if (!cat || (strcmp(cat, "public") && strcmp(cat, "professional") && strcmp(cat, "whole_year")))
        luaL_error(L, "evaluate returned %scategory '%s' (public, professional or whole_year)",
                   where, cat ? cat : "nil");
    snprintf(c->category, sizeof c->category, "%s", cat);

    int ty = raw_field(L, t, "hours");
    if (ty != LUA_TNUMBER)
        luaL_error(L, "evaluate returned %shours of type %s, not a number", where,
                   lua_typename(L, ty));
    c->hours = (double)lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (!isfinite(c->hours) || c->hours < 0 || c->hours > 100000)
        luaL_error(L, "evaluate returned %shours %f out of range", where, c->hours);

    const char *ex = opt_string(L, t, "explanation", where);
    if (ex && !(c->explanation = policy_strdup(ex)))
        oom(L);

    ty = raw_field(L, t, "cap");
    if (ty == LUA_TTABLE) {
        int cap = lua_gettop(L);
        char cw[64];
        snprintf(cw, sizeof cw, "%scap.", where);
        const char *key = opt_string(L, cap, "key", cw);
        if (!key || !*key)
            luaL_error(L, "evaluate returned %skey missing", cw);
        if (raw_field(L, cap, "limit") != LUA_TNUMBER)
            luaL_error(L, "evaluate returned %slimit that is not a number", cw);
        c->cap_limit = (double)lua_tonumber(L, -1);
        lua_pop(L, 1);
        if (!isfinite(c->cap_limit) || c->cap_limit < 0)
            luaL_error(L, "evaluate returned %slimit out of range", cw);
        const char *note = opt_string(L, cap, "note", cw);
        if (!(c->cap_key = policy_strdup(key)))
            oom(L);
        if (note && !(c->cap_note = policy_strdup(note)))
            oom(L);
    } else if (ty != LUA_TNIL) {
        luaL_error(L, "evaluate returned %scap of type %s, not a table", where,
                   lua_typename(L, ty));
    }
    lua_pop(L, 1);
}

/* Reads the table at idx. Every string is copied before anything else can
 * fail, into out, so policy_result_clear() always frees it all. */
static void read_result(lua_State *L, int idx, int default_year, policy_result *out)
{
    luaL_checkstack(L, 8, NULL);
    if (lua_type(L, idx) != LUA_TTABLE)
        luaL_error(L, "evaluate returned a %s, not a table", luaL_typename(L, idx));

    const char *status = opt_string(L, idx, "status", "");
    if (!status || !(out->status = parse_status(status)))
        luaL_error(L, "evaluate returned status '%s' (credited, pending_materials or rejected)",
                   status ? status : "nil");

    const char *code = opt_string(L, idx, "reason_code", "");
    if (code && strlen(code) >= sizeof out->reason_code)
        luaL_error(L, "evaluate returned a reason_code longer than %d bytes",
                   (int)sizeof out->reason_code - 1);
    if (out->status != PS_CREDITED && (!code || !*code))
        luaL_error(L, "evaluate returned status '%s' without a reason_code", status);
    snprintf(out->reason_code, sizeof out->reason_code, "%s", code ? code : "");

    const char *reason = opt_string(L, idx, "reason", "");
    if (reason && !(out->reason = policy_strdup(reason)))
        oom(L);

    int ty = raw_field(L, idx, "credits");
    if (ty == LUA_TTABLE) {
        int cr = lua_gettop(L);
        size_t n = (size_t)lua_rawlen(L, cr);
        if (n > MAX_CREDITS)
            luaL_error(L, "evaluate returned more than %d credits", MAX_CREDITS);
        if (n && out->status != PS_CREDITED)
            luaL_error(L, "evaluate returned credits with status '%s'", status);
        if (n) {
            out->credits = calloc(n, sizeof *out->credits);
            if (!out->credits)
                oom(L);
            out->ncredits = n;
        }
        for (size_t i = 0; i < n; i++) {
            int ety = lua_rawgeti(L, cr, (lua_Integer)i + 1);
            if (ety != LUA_TTABLE)
                luaL_error(L, "evaluate returned credits[%d] of type %s, not a table",
                           (int)i + 1, lua_typename(L, ety));
            read_credit(L, lua_gettop(L), default_year, &out->credits[i], i);
            lua_pop(L, 1);
        }
    } else if (ty != LUA_TNIL) {
        luaL_error(L, "evaluate returned credits of type %s, not a table", lua_typename(L, ty));
    }
    lua_pop(L, 1);

    ty = raw_field(L, idx, "covers");
    if (ty == LUA_TTABLE) {
        int cv = lua_gettop(L);
        if (!opt_integer(L, cv, "from", "covers.", &out->cover_from) ||
            !opt_integer(L, cv, "to", "covers.", &out->cover_to) ||
            out->cover_from < 1900 || out->cover_from > out->cover_to || out->cover_to > 9999)
            luaL_error(L, "evaluate returned covers without a valid from..to");
    } else if (ty != LUA_TNIL) {
        luaL_error(L, "evaluate returned covers of type %s, not a table", lua_typename(L, ty));
    }
    lua_pop(L, 1);
}

void policy_eval_lua(lua_State *L, int pidx, policy_result *out)
{
    pidx = lua_absindex(L, pidx);
    luaL_checkstack(L, 4, NULL);
    int act = lua_gettop(L);
    lua_Integer year = 0;
    if (lua_type(L, act) == LUA_TTABLE) {
        lua_pushliteral(L, "year");
        lua_rawget(L, act);
        year = lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    lua_getfield(L, pidx, "evaluate");
    lua_pushvalue(L, pidx);
    lua_rotate(L, act, 2); /* evaluate, P, activity */
    lua_call(L, 2, 1);
    read_result(L, lua_gettop(L), (int)year, out);
    lua_pop(L, 1);
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
