/*
 * policy_loader — reading rules files into a sandbox: policy("2022") and
 * lib("hunan") for policies written as "last year's, except …", with a
 * per-state cache, text-only chunks and names that cannot be paths.
 */
#include "policy_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOADED_KEY "xueshi.loaded" /* registry: key → value, or false while loading */

int policy_sandbox_read_file(const char *path, char **buf, size_t *len,
                             char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s is not a regular file", path);
        close(fd);
        return -1;
    }
    if ((size_t)st.st_size > POLICY_MAX_FILE) {
        snprintf(err, errlen, "%s is larger than %zu bytes", path, POLICY_MAX_FILE);
        close(fd);
        return -1;
    }
    char *b = malloc((size_t)st.st_size + 1);
    if (!b) {
        snprintf(err, errlen, "out of memory reading %s", path);
        close(fd);
        return -1;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, b + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    b[got] = '\0';
    *buf = b;
    *len = got;
    return 0;
}

/* The buffer of a file read inside a call lives in a userdata, so a Lua
 * error (syntax, memory) cannot leak it. */
typedef struct file_buf {
    char *data;
} file_buf;

static int file_buf_gc(lua_State *L)
{
    file_buf *fb = lua_touserdata(L, 1);
    free(fb->data);
    fb->data = NULL;
    return 0;
}

void policy_sandbox_require(lua_State *L, const char *key, const char *relpath,
                            const char *buf, size_t len)
{
    policy_sandbox *sb = policy_sandbox_of(L);
    luaL_checkstack(L, 8, NULL);
    if (lua_getfield(L, LUA_REGISTRYINDEX, LOADED_KEY) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, LOADED_KEY);
    }
    int loaded = lua_gettop(L);
    int t = lua_getfield(L, loaded, key);
    if (t == LUA_TBOOLEAN && !lua_toboolean(L, -1))
        luaL_error(L, "%s/%s: circular policy()/lib() loading", sb->label, relpath);
    if (t != LUA_TNIL) {
        lua_remove(L, loaded);
        return;
    }
    lua_pop(L, 1);

    char path[4096 + 256];
    snprintf(path, sizeof path, "%s/%s", sb->dir, relpath);
    if (!buf) {
        file_buf *fb = lua_newuserdatauv(L, sizeof *fb, 0);
        fb->data = NULL;
        lua_createtable(L, 0, 1);
        lua_pushcfunction(L, file_buf_gc);
        lua_setfield(L, -2, "__gc");
        lua_setmetatable(L, -2);
        char err[512];
        if (policy_sandbox_read_file(path, &fb->data, &len, err, sizeof err) != 0)
            luaL_error(L, "%s", err);
        buf = fb->data;
    } else {
        lua_pushnil(L); /* keep the stack shape */
    }
    int holder = lua_gettop(L);

    lua_pushboolean(L, 0); /* loading: a cycle is an error, not a hang */
    lua_setfield(L, loaded, key);

    char chunkname[sizeof sb->label + 256 + 2];
    snprintf(chunkname, sizeof chunkname, "@%s/%s", sb->label, relpath);
    if (luaL_loadbufferx(L, buf, len, chunkname, "t") != LUA_OK ||
        policy_sandbox_pcall(L, 0, 1) != LUA_OK) {
        /* Forget the "loading" mark so a later attempt reports the real
         * error again; the message names file and line. */
        lua_pushnil(L);
        lua_setfield(L, loaded, key);
        lua_error(L);
    }
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, loaded, key);
    lua_remove(L, holder);
    lua_remove(L, loaded);
}

static void copy_value(lua_State *L, int src, int seen, int depth)
{
    if (lua_type(L, src) != LUA_TTABLE) {
        lua_pushvalue(L, src);
        return;
    }
    if (depth > 100)
        luaL_error(L, "table nested too deeply to copy");
    luaL_checkstack(L, 8, NULL);
    lua_pushvalue(L, src);
    if (lua_rawget(L, seen) != LUA_TNIL)
        return; /* shared or cyclic: the same copy */
    lua_pop(L, 1);
    lua_newtable(L);
    int dst = lua_gettop(L);
    lua_pushvalue(L, src);
    lua_pushvalue(L, dst);
    lua_rawset(L, seen);
    lua_pushnil(L);
    while (lua_next(L, src)) {
        int v = lua_gettop(L);
        lua_pushvalue(L, v - 1); /* keys are kept as they are */
        copy_value(L, v, seen, depth + 1);
        lua_rawset(L, dst);
        lua_pop(L, 1);
    }
    if (lua_getmetatable(L, src))
        lua_setmetatable(L, dst);
}

void policy_sandbox_deepcopy(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 4, NULL);
    lua_newtable(L);
    int seen = lua_gettop(L);
    copy_value(L, idx, seen, 0);
    lua_remove(L, seen);
}

static const char *check_name(lua_State *L, const char *what)
{
    size_t len;
    const char *name = luaL_checklstring(L, 1, &len);
    if (len == 0 || len > 64)
        luaL_error(L, "%s(): bad name '%s'", what, name);
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_'))
            luaL_error(L, "%s(): bad name '%s' (letters, digits and _ only)", what, name);
    }
    return name;
}

/* policy("2022"): a deep copy of that year's policy table, to change and
 * return as this year's. */
static int l_policy(lua_State *L)
{
    const char *name = check_name(L, "policy");
    char key[80], rel[80];
    snprintf(key, sizeof key, "policy/%s", name);
    snprintf(rel, sizeof rel, "%s.lua", name);
    policy_sandbox_require(L, key, rel, NULL, 0);
    if (!lua_istable(L, -1))
        luaL_error(L, "policy('%s'): %s does not return a table", name, rel);
    policy_sandbox_deepcopy(L, -1);
    return 1;
}

/* lib("hunan"): rules/lib/hunan.lua's value, shared (libraries are code). */
static int l_lib(lua_State *L)
{
    const char *name = check_name(L, "lib");
    char key[80], rel[80];
    snprintf(key, sizeof key, "lib/%s", name);
    snprintf(rel, sizeof rel, "lib/%s.lua", name);
    policy_sandbox_require(L, key, rel, NULL, 0);
    return 1;
}

int policy_loader_open(lua_State *L)
{
    lua_pushcfunction(L, l_policy);
    lua_setglobal(L, "policy");
    lua_pushcfunction(L, l_lib);
    lua_setglobal(L, "lib");
    return 0;
}
