/*
 * The Lua sandbox against hostile policies: each must fail cleanly (load
 * refused, or that evaluation rejected with policy_error) within bounded
 * time, and the host must keep working for the next evaluation.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy.h"

/* A small budget keeps the hostile cases quick; the cap is well above what
 * a real policy needs. */
static const policy_limits LIMITS = {2000000, 16u << 20};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    }
    mkdir(buf, 0755);
}

static void write_file(const char *dir, const char *name, const char *text, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

/* A fresh rules folder per case. */
static const char *rules_dir(const char *name)
{
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s/sandbox-%d/%s", XS_TEST_TMP_DIR, (int)getpid(), name);
    mkdirs(dir);
    return dir;
}

/* A 2022 policy whose evaluate credits papers and does `body` for anything
 * else, so the same set shows both the failure and the recovery. */
static const char *policy_with(const char *body)
{
    static char text[8192];
    snprintf(text, sizeof text,
             "return {\n"
             "  year = 2022,\n"
             "  evaluate = function(P, a)\n"
             "    if a.kind == 'paper' then\n"
             "      return {status = 'credited', credits = {{category = 'professional', hours = 30}}}\n"
             "    end\n"
             "    %s\n"
             "  end,\n"
             "  compliance = function() return true end,\n"
             "  spans = {intermediate = {from = -4, to = -1}, senior = {from = -5, to = -1}},\n"
             "}\n",
             body);
    return text;
}

static void activity_of(activity *a, const char *kind)
{
    memset(a, 0, sizeof *a);
    a->f[RF_KIND].present = 1;
    a->f[RF_KIND].text = kind;
    a->f[RF_DATE].present = 1;
    a->f[RF_DATE].text = "2022-05-10";
    a->year = 2022;
    a->kind_name = kind;
}

static void expect_recovery(policy_set *set)
{
    activity a;
    policy_result r;
    activity_of(&a, "paper");
    assert_int_equal(policy_evaluate(set, &a, &r), 0);
    assert_int_equal(r.status, PS_CREDITED);
    assert_int_equal(r.ncredits, 1);
    assert_true(r.credits[0].hours == 30);
    policy_result_clear(&r);
}

/* Loads a policy whose evaluate runs body; evaluating a training must give
 * rejected/policy_error whose reason contains want, quickly, twice; then a
 * paper must still be credited. */
static void hostile_eval(const char *name, const char *body, const char *want)
{
    const char *dir = rules_dir(name);
    const char *text = policy_with(body);
    write_file(dir, "2022.lua", text, strlen(text));
    policy_set *set = NULL;
    char err[1024];
    int rc = policy_set_load(dir, &LIMITS, &set, err, sizeof err);
    if (rc != 0)
        fail_msg("%s: load failed: %s", name, err);
    for (int round = 0; round < 2; round++) {
        activity a;
        policy_result r;
        activity_of(&a, "training");
        double t0 = now();
        assert_int_equal(policy_evaluate(set, &a, &r), 0);
        double dt = now() - t0;
        if (dt > 20)
            fail_msg("%s took %.1fs", name, dt);
        assert_int_equal(r.status, PS_REJECTED);
        assert_string_equal(r.reason_code, "policy_error");
        assert_non_null(r.reason);
        if (!strstr(r.reason, want))
            fail_msg("%s: reason \"%s\" lacks \"%s\"", name, r.reason, want);
        assert_ptr_equal(r.policy, policy_set_find(set, 2022));
        policy_result_clear(&r);
        expect_recovery(set);
    }
    policy_set_free(set);
}

static void test_endless_loop(void **state)
{
    hostile_eval("loop", "while true do end", "instruction budget exceeded");
}

static void test_loop_inside_pcall(void **state)
{
    hostile_eval("pcall", "while true do pcall(function() while true do end end) end",
                 "instruction budget exceeded");
    hostile_eval("xpcall",
                 "while true do xpcall(function() while true do end end, function() while true do end end) end",
                 "instruction budget exceeded");
    hostile_eval("pcall-error-loop",
                 "for i = 1, 1e12 do pcall(error, 'x') end", "instruction budget exceeded");
}

static void test_memory_bomb(void **state)
{
    hostile_eval("rep", "return {status = string.rep('x', 1 << 30)}", "not enough memory");
    hostile_eval("grow", "local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 4096) .. i end",
                 "not enough memory");
    hostile_eval("grow-pcall",
                 "local t = {} while true do pcall(function() t[#t + 1] = string.rep('y', 65536) .. #t end) end",
                 "not enough memory");
}

static void test_forbidden_libraries(void **state)
{
    hostile_eval("os", "os.execute('touch /tmp/xueshi-pwned')", "undefined global 'os'");
    hostile_eval("io", "return io.open('/etc/passwd')", "undefined global 'io'");
    hostile_eval("require", "return require('os')", "undefined global 'require'");
    hostile_eval("debug", "debug.sethook()", "undefined global 'debug'");
    hostile_eval("package", "return package.loadlib('libc.so.6', 'system')", "undefined global 'package'");
    hostile_eval("dofile", "return dofile('/etc/passwd')", "undefined global 'dofile'");
    hostile_eval("loadfile", "return loadfile('/etc/passwd')", "undefined global 'loadfile'");
    hostile_eval("collectgarbage", "collectgarbage('stop')", "undefined global 'collectgarbage'");
    hostile_eval("dump", "return load(string.dump(function() end))", "attempt to call a nil value");
    hostile_eval("policy-path", "return policy('../../etc/passwd')", "bad name");
    hostile_eval("lib-path", "return lib('/etc/passwd')", "bad name");
    assert_int_equal(access("/tmp/xueshi-pwned", F_OK), -1);
}

static void test_binary_chunk(void **state)
{
    /* A binary chunk through load() is refused: mode is forced to "t". */
    hostile_eval("load-binary",
                 "local f, e = load('\\27LuaT\\0\\25\\147\\r\\n\\26\\n', 'x', 'b') "
                 "if not f then error(e, 0) end return f()",
                 "binary chunk");
    /* A binary policy file is refused at load. */
    const char *dir = rules_dir("binary-file");
    static const char bin[] = "\x1bLuaT\x00\x19\x93\r\n\x1a\n\x04\x08\x08";
    write_file(dir, "2022.lua", bin, sizeof bin - 1);
    policy_set *set = NULL;
    char err[1024];
    assert_int_equal(policy_set_load(dir, &LIMITS, &set, err, sizeof err), -1);
    assert_null(set);
    assert_non_null(strstr(err, "binary chunk"));
}

static void test_globals_and_metatables(void **state)
{
    hostile_eval("setmetatable-G", "setmetatable(_G, nil)", "protected metatable");
    hostile_eval("new-global", "x = 1", "assignment to global 'x'");
    hostile_eval("string-mt", "getmetatable('').__index = function() return 1 end",
                 "attempt to index a boolean value");
    /* rawset reaches only this state's own table; nothing escapes. */
    hostile_eval("rawset", "rawset(_G, 'os', {execute = print}) os.execute('id') error('done')", "done");
}

static void test_deep_recursion(void **state)
{
    /* "stack overflow", or the memory cap first */
    hostile_eval("recursion", "local function f(n) return 1 + f(n + 1) end return f(1)", "");
    hostile_eval("recursion-meta",
                 "local t = setmetatable({}, {}) getmetatable(t).__index = function(s, k) return s[k .. 'x'] end return t.a",
                 "");
}

static void test_coroutines(void **state)
{
    hostile_eval("coroutine-loop", "coroutine.wrap(function() while true do end end)()",
                 "instruction budget exceeded");
    hostile_eval("coroutine-resume",
                 "local co = coroutine.create(function() while true do pcall(function() while true do end end) end end) "
                 "while true do coroutine.resume(co) end",
                 "instruction budget exceeded");
    hostile_eval("coroutine-many",
                 "while true do coroutine.resume(coroutine.create(function() for i = 1, 1e5 do end end)) end",
                 "instruction budget exceeded");
}

static void test_bad_error_objects(void **state)
{
    hostile_eval("tostring-loop",
                 "error(setmetatable({}, {__tostring = function() while true do end end}))",
                 "error object is a table value");
    hostile_eval("tostring-error",
                 "error(setmetatable({}, {__tostring = function() error('boom') end}))",
                 "error object is a table value");
    hostile_eval("error-nil", "error()", "error object is a nil value");
    hostile_eval("error-number", "error(42)", "42");
}

static void test_wrong_returns(void **state)
{
    hostile_eval("ret-number", "return 42", "evaluate returned a number");
    hostile_eval("ret-nothing", "return", "evaluate returned a nil");
    hostile_eval("ret-status", "return {status = 'approved'}", "status");
    hostile_eval("ret-nocode", "return {status = 'rejected'}", "reason_code");
    hostile_eval("ret-hours", "return {status = 'credited', credits = {{category = 'public', hours = '24'}}}",
                 "credits[1].hours");
    hostile_eval("ret-category", "return {status = 'credited', credits = {{category = 'fun', hours = 1}}}",
                 "credits[1].category");
    hostile_eval("ret-credits", "return {status = 'credited', credits = 'lots'}", "credits");
    /* Bounded results: the pipeline keeps thousands in flight. */
    hostile_eval("ret-huge-reason",
                 "return {status = 'rejected', reason_code = 'x', reason = string.rep('长', 30 << 10)}",
                 "at most 4096");
    hostile_eval("ret-huge-explanation",
                 "return {status = 'credited', credits = {{category = 'public', hours = 1,"
                 " explanation = string.rep('x', 5000)}}}",
                 "at most 4096");
    hostile_eval("ret-many-credits",
                 "local c = {} for i = 1, 65 do c[i] = {category = 'public', hours = 1} end"
                 " return {status = 'credited', credits = c}",
                 "credits too many");
    hostile_eval("ret-nan", "return {status = 'credited', credits = {{category = 'public', hours = 0/0}}}",
                 "out of range");
    hostile_eval("ret-cap", "return {status = 'credited', credits = {{category = 'public', hours = 1, cap = {limit = 9}}}}",
                 "cap.key");
    hostile_eval("ret-metatable",
                 "return setmetatable({}, {__index = function() while true do end end})", "status");
}

static void test_finalizer_loop(void **state)
{
    /* Lua runs __gc with hooks off, so the sandbox refuses __gc metatables. */
    hostile_eval("gc", "setmetatable({}, {__gc = function() while true do end end})", "__gc");
    /* __gc added after setmetatable is never called (Lua §2.5.3): harmless. */
    const char *dir = rules_dir("gc-late");
    const char *text = policy_with(
        "for i = 1, 100 do local mt = {} setmetatable({}, mt) mt.__gc = function() while true do end end end "
        "return {status = 'credited', credits = {{category = 'public', hours = 1}}}");
    write_file(dir, "2022.lua", text, strlen(text));
    policy_set *set = NULL;
    char err[1024];
    assert_int_equal(policy_set_load(dir, &LIMITS, &set, err, sizeof err), 0);
    double t0 = now();
    for (int i = 0; i < 2000; i++) {
        activity a;
        policy_result r;
        activity_of(&a, i % 2 ? "training" : "paper");
        assert_int_equal(policy_evaluate(set, &a, &r), 0);
        assert_int_equal(r.status, PS_CREDITED);
        policy_result_clear(&r);
    }
    policy_set_free(set);
    assert_true(now() - t0 < 60);
}

static void hostile_load(const char *name, const char *chunk, const char *want)
{
    const char *dir = rules_dir(name);
    write_file(dir, "2022.lua", chunk, strlen(chunk));
    policy_set *set = NULL;
    char err[1024] = "";
    double t0 = now();
    assert_int_equal(policy_set_load(dir, &LIMITS, &set, err, sizeof err), -1);
    assert_null(set);
    assert_true(now() - t0 < 20);
    if (!strstr(err, want))
        fail_msg("%s: error \"%s\" lacks \"%s\"", name, err, want);
    assert_non_null(strstr(err, "2022.lua"));
}

static void test_hostile_load(void **state)
{
    hostile_load("load-loop", "while true do end", "instruction budget exceeded");
    hostile_load("load-memory", "local t = {} for i = 1, 1e9 do t[i] = {} end", "not enough memory");
    hostile_load("load-syntax", "return {", "2022.lua:1:");
    hostile_load("load-number", "return 42", "not a policy table");
    hostile_load("load-no-evaluate", "return {year = 2022, compliance = print, spans = {}}", "evaluate");
}

static void test_hostile_load_year(void **state)
{
    const char *dir = rules_dir("wrong-year");
    const char *text = policy_with("return nil");
    write_file(dir, "2021.lua", text, strlen(text)); /* says year = 2022 */
    policy_set *set = NULL;
    char err[1024];
    assert_int_equal(policy_set_load(dir, &LIMITS, &set, err, sizeof err), -1);
    assert_non_null(strstr(err, "returns year 2022, not 2021"));
    /* a cycle of policy() calls is an error, not a hang */
    dir = rules_dir("cycle");
    write_file(dir, "2022.lua", "return policy('2021')", 21);
    write_file(dir, "2021.lua", "return policy('2022')", 21);
    assert_int_equal(policy_set_load(dir, &LIMITS, &set, err, sizeof err), -1);
    assert_non_null(strstr(err, "circular"));
}

static void test_one_policy_cannot_touch_another(void **state)
{
    const char *dir = rules_dir("two");
    const char *bad = policy_with("rawset(_G, 'shared', 1) while true do end");
    char text[8192];
    snprintf(text, sizeof text, "%s", bad);
    char *y = strstr(text, "year = 2022");
    memcpy(y, "year = 2021", 11);
    write_file(dir, "2021.lua", text, strlen(text));
    const char *good = policy_with("return {status = 'credited', credits = {{category = 'public', hours = rawget(_G, 'shared') or 7}}}");
    write_file(dir, "2022.lua", good, strlen(good));
    policy_set *set = NULL;
    char err[1024];
    assert_int_equal(policy_set_load(dir, &LIMITS, &set, err, sizeof err), 0);
    activity a;
    policy_result r;
    activity_of(&a, "training");
    a.year = 2021;
    assert_int_equal(policy_evaluate(set, &a, &r), 0);
    assert_string_equal(r.reason_code, "policy_error");
    assert_non_null(strstr(r.reason, "2021.lua"));
    policy_result_clear(&r);
    a.year = 2022;
    assert_int_equal(policy_evaluate(set, &a, &r), 0);
    assert_int_equal(r.status, PS_CREDITED);
    assert_true(r.credits[0].hours == 7);
    policy_result_clear(&r);
    policy_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endless_loop),
        cmocka_unit_test(test_loop_inside_pcall),
        cmocka_unit_test(test_memory_bomb),
        cmocka_unit_test(test_forbidden_libraries),
        cmocka_unit_test(test_binary_chunk),
        cmocka_unit_test(test_globals_and_metatables),
        cmocka_unit_test(test_deep_recursion),
        cmocka_unit_test(test_coroutines),
        cmocka_unit_test(test_bad_error_objects),
        cmocka_unit_test(test_wrong_returns),
        cmocka_unit_test(test_finalizer_loop),
        cmocka_unit_test(test_hostile_load),
        cmocka_unit_test(test_hostile_load_year),
        cmocka_unit_test(test_one_policy_cannot_touch_another),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
