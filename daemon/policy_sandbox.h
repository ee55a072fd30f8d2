/*
 * policy_sandbox — one sandboxed lua_State (private to daemon/policy*.c).
 *
 * Redis-style: base (without dofile/loadfile/collectgarbage, with a text-only
 * load), string (without dump), table, math (without random), utf8 and
 * coroutine; never io, os, package or debug. Globals are locked: reading an
 * undefined global or assigning a new one is an error (typos fail loudly and
 * evaluations cannot leave state behind in _G). A capped allocator and an
 * instruction budget per top-level call bound every script.
 *
 * Every interaction with Lua values goes through policy_sandbox_call(), a
 * lua_pcall with a traceback handler: metamethods and allocations can raise
 * errors anywhere, and an error outside a protected call would abort.
 */
#ifndef XS_POLICY_SANDBOX_H
#define XS_POLICY_SANDBOX_H

#include <stdio.h>
#include <stddef.h>
#include <lua.h>
#include "policy.h"

#define POLICY_DEFAULT_INSTRUCTIONS 50000000LL
#define POLICY_DEFAULT_MEMORY ((size_t)64 << 20)
#define POLICY_MAX_FILE ((size_t)1 << 20)   /* a policy or library file */

typedef struct policy_sandbox {
    lua_State *L;
    size_t mem_used, mem_limit;
    long long budget;   /* instructions per top-level call */
    long long used;     /* counted so far in the current call */
    int step;           /* hook period while the budget lasts */
    int blown;          /* the budget ran out: abort until the call returns */
    int refusals;       /* allocations refused by the cap in this call */
    int depth;          /* nesting of policy_sandbox_call */
    char dir[4096];     /* the rules folder */
    char label[128];    /* how files are named in messages: "rules" */
    FILE *print_out;    /* where Lua print() goes; NULL discards */
    char trace[512];    /* Lua frames of the last error: "a.lua:3 ← b.lua:9" */
    int keys_ref;       /* registry ref of the interned key strings (policy_eval.c) */
} policy_sandbox;

int policy_sandbox_new(const policy_limits *lim, const char *dir,
                       policy_sandbox **out, char *err, size_t errlen);
void policy_sandbox_free(policy_sandbox *sb);

/* Calls fn(L) with ud as its only argument (a light userdata), protected,
 * under the budget (reset only for the outermost call). fn may leave nres
 * results on the stack (nres may be LUA_MULTRET). On error returns the Lua
 * status and err holds the message with file:line and a short Lua
 * traceback; the stack is left as before the call. */
int policy_sandbox_call(policy_sandbox *sb, lua_CFunction fn, void *ud,
                        int nres, char *err, size_t errlen);

/* Inside a call: call the function below the nargs arguments on top of the
 * stack, protected, with the traceback handler. Returns the status; on error
 * the message string (from the handler) replaces function and arguments. If
 * the budget is blown, re-raises instead, so no caller can swallow it. */
int policy_sandbox_pcall(lua_State *L, int nargs, int nres);

/* The sandbox of a state (all its coroutines share it). */
policy_sandbox *policy_sandbox_of(lua_State *L);

/* Registers the global functions policy(name) and lib(name)
 * (policy_loader.c). Inside a call. */
int policy_loader_open(lua_State *L);

/* Inside a call: run a rules file (relpath under dir, e.g. "2022.lua") from
 * buf, or read it when buf is NULL; cache its value under key and push it.
 * Used for the policy itself and by the policy()/lib() functions. */
void policy_sandbox_require(lua_State *L, const char *key, const char *relpath,
                            const char *buf, size_t len);

/* Read a rules file (regular, at most POLICY_MAX_FILE bytes) into a malloc'd
 * buffer. 0, or -1 with err. */
int policy_sandbox_read_file(const char *path, char **buf, size_t *len,
                             char *err, size_t errlen);

/* Inside a call: push a deep copy of the value at idx (tables copied with
 * shared structure and cycles preserved; functions shared). */
void policy_sandbox_deepcopy(lua_State *L, int idx);

/* Copy the error message on top of the stack into err (strings only: an
 * error object's __tostring is never called), naming the limit that was hit. */
void policy_sandbox_errmsg(lua_State *L, int status, char *err, size_t errlen);

#endif
