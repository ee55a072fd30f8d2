/*
 * policy_sandbox — state creation, the capped allocator, the instruction
 * hook, the safe library set and protected calls with a traceback.
 */
#include "policy_sandbox.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

policy_sandbox *policy_sandbox_of(lua_State *L)
{
    /* Every coroutine gets a copy of the main thread's extra space
     * (lua_newthread), so this works from any thread of the state. */
    return *(policy_sandbox **)lua_getextraspace(L);
}

/* Small blocks (strings, tables, their parts: what every evaluation makes
 * and the GC frees again) are kept on free lists by size class instead of
 * going back to malloc: an evaluation allocates and frees some thirty of
 * them, and glibc's realloc/free cost about ten times a list's push or pop.
 * A block of class c (sizes 16c-15 … 16c) is malloc'd with 16c bytes, so
 * any block of the class fits; larger blocks are plain malloc/realloc. The
 * lists hold at most SB_CACHE_BYTES per state, and are freed with it. Only
 * the thread using the state touches them, like the state itself. */
#define SB_CLASS_BYTES 16
#define SB_CLASSES 16 /* up to 256 bytes */
#define SB_CACHE_BYTES ((size_t)256 << 10)

typedef struct sb_block {
    struct sb_block *next;
} sb_block;

typedef struct sb_heap {
    policy_sandbox *sb;
    size_t cached; /* bytes on the lists */
    sb_block *free[SB_CLASSES + 1];
} sb_heap;

static inline size_t sb_class(size_t size)
{
    return (size + SB_CLASS_BYTES - 1) / SB_CLASS_BYTES;
}

static inline void *sb_get(sb_heap *h, size_t size)
{
    size_t c = sb_class(size);
    if (c > SB_CLASSES)
        return malloc(size);
    sb_block *b = h->free[c];
    if (!b)
        return malloc(c * SB_CLASS_BYTES);
    h->free[c] = b->next;
    h->cached -= c * SB_CLASS_BYTES;
    return b;
}

static inline void sb_put(sb_heap *h, void *ptr, size_t size)
{
    size_t c = sb_class(size);
    if (c > SB_CLASSES || h->cached + c * SB_CLASS_BYTES > SB_CACHE_BYTES) {
        free(ptr);
        return;
    }
    sb_block *b = ptr;
    b->next = h->free[c];
    h->free[c] = b;
    h->cached += c * SB_CLASS_BYTES;
}

static void sb_heap_free(sb_heap *h)
{
    if (!h)
        return;
    for (size_t c = 0; c <= SB_CLASSES; c++) {
        for (sb_block *b = h->free[c], *next; b; b = next) {
            next = b->next;
            free(b);
        }
    }
    free(h);
}

/* The cap counts what Lua holds (not the free lists); a refused allocation
 * becomes a Lua "not enough memory" error, which the protected call
 * reports. Shrinking and freeing never fail. */
static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    sb_heap *h = ud;
    policy_sandbox *sb = h->sb;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        if (ptr)
            sb_put(h, ptr, old);
        sb->mem_used -= old;
        return NULL;
    }
    if (nsize > old && sb->mem_used + (nsize - old) > sb->mem_limit) {
        /* Lua answers a refusal with a full GC and one retry. A script that
         * keeps allocating at the cap inside pcall would make every
         * iteration a full GC: after a few refusals the call is over, like a
         * blown budget (the hook then aborts it within one step). */
        if (++sb->refusals > 16)
            sb->blown = 1;
        return NULL;
    }
    void *p;
    if (!ptr) {
        p = sb_get(h, nsize);
    } else if (sb_class(old) > SB_CLASSES && sb_class(nsize) > SB_CLASSES) {
        p = realloc(ptr, nsize); /* large stays large */
    } else if (sb_class(old) <= SB_CLASSES && sb_class(nsize) <= sb_class(old)) {
        p = ptr; /* a small block has room for its whole class */
    } else {
        p = sb_get(h, nsize);
        if (p) {
            memcpy(p, ptr, old < nsize ? old : nsize);
            sb_put(h, ptr, old);
        } else if (nsize < old) {
            p = ptr; /* Lua expects shrinking never to fail */
        }
    }
    if (!p)
        return NULL;
    sb->mem_used = sb->mem_used - old + nsize;
    return p;
}

/* Counts instructions in steps. Once the budget is gone it raises an error
 * and re-arms itself with a count of 1, so the error comes back on the very
 * next instruction of any thread: a script's own pcall (or coroutine.resume,
 * or an error handler) cannot swallow the abort. Only the C side resets it,
 * when its protected call has returned. */
static void sb_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    policy_sandbox *sb = policy_sandbox_of(L);
    if (!sb->blown) {
        int n = lua_gethookcount(L);
        sb->used += n;
        if (sb->used < sb->budget) {
            if (n != sb->step) /* a thread left at 1 by an earlier abort */
                lua_sethook(L, sb_hook, LUA_MASKCOUNT, sb->step);
            return;
        }
        sb->blown = 1;
    }
    lua_sethook(L, sb_hook, LUA_MASKCOUNT, 1);
    if (sb->refusals > 16)
        luaL_error(L, "not enough memory (memory limit %I bytes, reached repeatedly)",
                   (lua_Integer)sb->mem_limit);
    luaL_error(L, "instruction budget exceeded (%I instructions)", (lua_Integer)sb->budget);
}

/* Never reached by design (everything runs under lua_pcall); if it is, abort
 * rather than continue with a corrupt state. */
static int sb_panic(lua_State *L)
{
    (void)L;
    abort();
}

/* Records the Lua frames of an error ("rules/lib/hunan.lua:120 ←
 * rules/2022.lua:30") in sb->trace and returns the message. Only lua_type
 * checks: an error object's __tostring is never called, so an object whose
 * __tostring loops or errors cannot hang or crash the host. */
static int sb_msgh(lua_State *L)
{
    policy_sandbox *sb = policy_sandbox_of(L);
    lua_Debug ar;
    size_t used = 0;
    sb->trace[0] = '\0';
    for (int level = 1, n = 0; n < 6 && lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar) || ar.source[0] != '@' || ar.currentline <= 0)
            continue;
        int w = snprintf(sb->trace + used, sizeof sb->trace - used, "%s%s:%d",
                         n ? " ← " : "", ar.source + 1, ar.currentline);
        if (w < 0 || (size_t)w >= sizeof sb->trace - used)
            break;
        used += (size_t)w;
        n++;
    }
    switch (lua_type(L, 1)) {
    case LUA_TSTRING:
        lua_settop(L, 1);
        break;
    case LUA_TNUMBER:
        lua_settop(L, 1);
        lua_tostring(L, 1); /* numbers convert without metamethods */
        break;
    default:
        lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
        break;
    }
    return 1;
}

void policy_sandbox_errmsg(lua_State *L, int status, char *err, size_t errlen)
{
    policy_sandbox *sb = policy_sandbox_of(L);
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(no message)";
    if (!err || !errlen)
        return;
    if (status == LUA_ERRMEM)
        snprintf(err, errlen, "%s (memory limit %zu bytes)", msg, sb->mem_limit);
    else if (status == LUA_ERRERR)
        snprintf(err, errlen, "error in error handling (%s)", msg);
    else
        snprintf(err, errlen, "%s", msg);
}

int policy_sandbox_pcall(lua_State *L, int nargs, int nres)
{
    policy_sandbox *sb = policy_sandbox_of(L);
    int base = lua_gettop(L) - nargs; /* the function */
    luaL_checkstack(L, 2, NULL);
    lua_pushcfunction(L, sb_msgh);
    lua_insert(L, base);
    sb->trace[0] = '\0';
    int st = lua_pcall(L, nargs, nres, base);
    lua_remove(L, base);
    if (st != LUA_OK && sb->blown)
        lua_error(L); /* the abort goes all the way out */
    return st;
}

int policy_sandbox_call(policy_sandbox *sb, lua_CFunction fn, void *ud,
                        int nres, char *err, size_t errlen)
{
    lua_State *L = sb->L;
    int base = lua_gettop(L);
    if (!lua_checkstack(L, 4)) {
        snprintf(err, errlen, "Lua stack exhausted");
        return LUA_ERRMEM;
    }
    if (sb->depth == 0) {
        sb->used = 0;
        sb->blown = 0;
        sb->refusals = 0;
        lua_sethook(L, sb_hook, LUA_MASKCOUNT, sb->step);
    }
    sb->depth++;
    sb->trace[0] = '\0';
    lua_pushcfunction(L, sb_msgh);
    lua_pushcfunction(L, fn);
    lua_pushlightuserdata(L, ud);
    int st = lua_pcall(L, 1, nres, base + 1);
    sb->depth--;
    if (st != LUA_OK) {
        policy_sandbox_errmsg(L, st, err, errlen);
        lua_settop(L, base);
    } else {
        lua_remove(L, base + 1);
    }
    if (sb->depth == 0 && sb->blown) {
        sb->blown = 0;
        sb->refusals = 0;
        lua_sethook(L, sb_hook, LUA_MASKCOUNT, sb->step);
    }
    return st;
}

/* --- the safe library set ------------------------------------------------ */

/* load(chunk [, chunkname [, mode [, env]]]): strings only, always text
 * ("t": binary chunks can break out of the VM), env defaulting to the
 * sandbox's globals. */
static int sb_load(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    const char *name = luaL_optstring(L, 2, "=(load)");
    int has_env = !lua_isnoneornil(L, 4);
    int st = luaL_loadbufferx(L, s, len, name, "t");
    if (st != LUA_OK) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    if (has_env) {
        lua_pushvalue(L, 4);
        if (!lua_setupvalue(L, -2, 1))
            lua_pop(L, 1);
    }
    return 1;
}

/* print(...) goes to the check's output (`xueshi rules check`) and nowhere
 * in the daemon. */
static int sb_print(lua_State *L)
{
    policy_sandbox *sb = policy_sandbox_of(L);
    int n = lua_gettop(L);
    if (!sb->print_out)
        return 0;
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len); /* under the budget */
        if (i > 1)
            fputc('\t', sb->print_out);
        fwrite(s, 1, len, sb->print_out);
        lua_pop(L, 1);
    }
    fputc('\n', sb->print_out);
    return 0;
}

/* setmetatable without __gc: Lua runs finalizers with hooks switched off
 * (lgc.c GCTM), so a looping __gc could never be stopped by the budget. A
 * finalizer is registered only if __gc is in the metatable when it is set
 * (Lua manual §2.5.3), so checking here is enough. */
static int sb_setmetatable(lua_State *L)
{
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    if (t == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "__gc metamethods are not allowed in policies "
                                 "(finalizers run outside the instruction budget)");
        lua_pop(L, 1);
    }
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* xpcall(f, handler, ...): Lua calls a message handler at the point of the
 * error; when that error is the budget's, raised inside the hook, hooks are
 * off (allowhook = 0) and a looping handler could never be stopped. This
 * xpcall calls the handler after the protected call has returned, with the
 * hook active; the blown budget is re-raised, never handed to the handler. */
static int sb_xpcall(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    luaL_checkstack(L, n + 2, NULL);
    lua_pushvalue(L, 1);
    for (int i = 3; i <= n; i++)
        lua_pushvalue(L, i);
    int st = lua_pcall(L, n - 2 < 0 ? 0 : n - 2, LUA_MULTRET, 0);
    if (st != LUA_OK && policy_sandbox_of(L)->blown)
        return lua_error(L);
    if (st == LUA_OK) {
        lua_pushboolean(L, 1);
        lua_insert(L, n + 1);
        return lua_gettop(L) - n;
    }
    lua_pushvalue(L, 2);
    lua_insert(L, -2);
    lua_call(L, 1, 1);
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
}

static int sb_global_index(lua_State *L)
{
    luaL_where(L, 2);
    lua_pushfstring(L, "undefined global '%s'",
                    lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?");
    lua_concat(L, 2);
    return lua_error(L);
}

static int sb_global_newindex(lua_State *L)
{
    luaL_where(L, 2);
    lua_pushfstring(L, "assignment to global '%s' (declare it local)",
                    lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?");
    lua_concat(L, 2);
    return lua_error(L);
}

static void sb_remove(lua_State *L, const char *table, const char *field)
{
    if (table) {
        lua_getglobal(L, table);
        lua_pushnil(L);
        lua_setfield(L, -2, field);
        lua_pop(L, 1);
    } else {
        lua_pushnil(L);
        lua_setglobal(L, field);
    }
}

static int sb_open(lua_State *L)
{
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},
        {LUA_STRLIBNAME, luaopen_string},
        {LUA_TABLIBNAME, luaopen_table},
        {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8},
        /* The count hook is copied to every new coroutine (lua_newthread
         * copies hook, mask and count), so coroutines are bounded too. */
        {LUA_COLIBNAME, luaopen_coroutine},
        {NULL, NULL}};
    for (const luaL_Reg *l = libs; l->name; l++) {
        luaL_requiref(L, l->name, l->func, 1);
        lua_pop(L, 1);
    }
    sb_remove(L, NULL, "dofile");
    sb_remove(L, NULL, "loadfile");
    sb_remove(L, NULL, "collectgarbage"); /* "stop" would defeat the cap's GC */
    sb_remove(L, "string", "dump");
    /* Credits are a pure function of policy and activity. */
    sb_remove(L, "math", "random");
    sb_remove(L, "math", "randomseed");
    lua_pushcfunction(L, sb_load);
    lua_setglobal(L, "load");
    lua_pushcfunction(L, sb_print);
    lua_setglobal(L, "print");
    lua_pushcfunction(L, sb_setmetatable);
    lua_setglobal(L, "setmetatable");
    lua_pushcfunction(L, sb_xpcall);
    lua_setglobal(L, "xpcall");
    policy_loader_open(L);

    /* Lock the string metatable: getmetatable("") gives false, so a script
     * cannot replace the string methods every later evaluation uses. */
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);

    /* Lock _G last: from now on new globals are refused. */
    lua_pushglobaltable(L);
    lua_createtable(L, 0, 3);
    lua_pushcfunction(L, sb_global_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, sb_global_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
    return 0;
}

static void label_of(const char *dir, char *out, size_t outlen)
{
    /* Messages name files relative to the folder's last component
     * ("rules/2022.lua"), short and still unambiguous for an operator. */
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    size_t s = n;
    while (s > 0 && dir[s - 1] != '/')
        s--;
    size_t len = n - s;
    if (len == 0 || len >= outlen) {
        snprintf(out, outlen, "rules");
        return;
    }
    memcpy(out, dir + s, len);
    out[len] = '\0';
}

int policy_sandbox_new(const policy_limits *lim, const char *dir,
                       policy_sandbox **out, char *err, size_t errlen)
{
    policy_sandbox *sb = calloc(1, sizeof *sb);
    if (!sb) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    sb->budget = lim && lim->instructions > 0 ? lim->instructions : POLICY_DEFAULT_INSTRUCTIONS;
    sb->mem_limit = lim && lim->memory > 0 ? lim->memory : POLICY_DEFAULT_MEMORY;
    sb->step = sb->budget < 10000 ? (int)sb->budget : 10000;
    if (strlen(dir) >= sizeof sb->dir) {
        snprintf(err, errlen, "rules folder name too long");
        free(sb);
        return -1;
    }
    strcpy(sb->dir, dir);
    sb->keys_ref = LUA_NOREF;
    label_of(dir, sb->label, sizeof sb->label);
    sb_heap *heap = calloc(1, sizeof *heap);
    if (!heap) {
        snprintf(err, errlen, "out of memory");
        free(sb);
        return -1;
    }
    heap->sb = sb;
    sb->L = lua_newstate(sb_alloc, heap);
    if (!sb->L) {
        snprintf(err, errlen, "cannot create a Lua state (memory limit %zu bytes)", sb->mem_limit);
        sb_heap_free(heap);
        free(sb);
        return -1;
    }
    *(policy_sandbox **)lua_getextraspace(sb->L) = sb;
    lua_atpanic(sb->L, sb_panic);
    char msg[1024];
    if (policy_sandbox_call(sb, sb_open, NULL, 0, msg, sizeof msg) != LUA_OK) {
        snprintf(err, errlen, "cannot open the Lua libraries: %s", msg);
        policy_sandbox_free(sb);
        return -1;
    }
    *out = sb;
    return 0;
}

void policy_sandbox_free(policy_sandbox *sb)
{
    if (!sb)
        return;
    if (sb->L) {
        /* Finalizers run at close: a __gc that loops is cut at its first
         * instruction (errors in finalizers are only warnings). */
        void *heap = NULL;
        lua_getallocf(sb->L, &heap);
        sb->blown = 1;
        lua_sethook(sb->L, sb_hook, LUA_MASKCOUNT, 1);
        lua_close(sb->L);
        sb_heap_free(heap);
    }
    free(sb);
}
