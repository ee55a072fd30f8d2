/* plugins: ABI check, loading a folder, choosing a plugin per file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "plugins.h"
#include "xs_test.h"

static int parse_nothing(const char *path, xs_emit_fn emit, void *ctx, char *err, size_t n)
{
    return 0;
}

static const char *const exts[] = {"xml", NULL};

static void test_abi_mismatch_refused(void **s)
{
    plugin_registry *r = plugin_registry_new();
    xs_plugin stale = {XS_PLUGIN_ABI + 1, "stale", "from the future", exts, NULL, parse_nothing};
    char err[256];
    assert_int_equal(plugin_registry_add(r, &stale, "stale.so", err, sizeof err), -1);
    assert_non_null(strstr(err, "ABI version"));
    assert_non_null(strstr(err, "stale.so"));
    xs_plugin incomplete = {XS_PLUGIN_ABI, "half", "no parse", exts, NULL, NULL};
    assert_int_equal(plugin_registry_add(r, &incomplete, "half.so", err, sizeof err), -1);
    assert_int_equal(plugin_registry_count(r), 0);
    xs_plugin ok = {XS_PLUGIN_ABI, "xml", "test", exts, NULL, parse_nothing};
    assert_int_equal(plugin_registry_add(r, &ok, "static", err, sizeof err), 0);
    assert_ptr_equal(plugin_for_file(r, "/x/a.XML"), &ok);
    assert_null(plugin_for_file(r, "/x/a.csv"));
    plugin_registry_free(r);
}

static void test_load_built_plugins(void **s)
{
    plugin_registry *r = plugin_registry_new();
    char err[512];
    assert_int_equal(plugin_registry_load_dir(r, XS_TEST_PLUGIN_DIR, err, sizeof err), 0);
    assert_int_equal(plugin_registry_count(r), 2);
    const xs_plugin *csv = plugin_for_file(r, "a/b/unit.CSV");
    const xs_plugin *json = plugin_for_file(r, "batch.jsonl");
    assert_non_null(csv);
    assert_non_null(json);
    assert_string_equal(csv->name, "csv");
    assert_ptr_equal(plugin_for_file(r, "x.json"), json);
    /* Another extension is refused, not guessed. */
    assert_null(plugin_for_file(r, XS_TEST_DATA_DIR "/EXPECTED.md"));
    /* No extension: the content decides. */
    char dir[4096], p[4200];
    xt_tmpdir("plugins-sniff", dir, sizeof dir);
    snprintf(p, sizeof p, "%s/export-0001", dir);
    xt_copy(XS_TEST_DATA_DIR "/zhangsan-2022.json", p);
    assert_ptr_equal(plugin_for_file(r, p), json);
    plugin_registry_free(r);
}

static void test_bad_module_refused(void **s)
{
    char dir[4096], p[4200];
    xt_tmpdir("plugins-bad", dir, sizeof dir);
    snprintf(p, sizeof p, "%s/broken.so", dir);
    xt_write(p, "this is not an ELF object");
    plugin_registry *r = plugin_registry_new();
    char err[512];
    assert_int_equal(plugin_registry_load_dir(r, dir, err, sizeof err), 1);
    assert_non_null(strstr(err, "broken.so"));
    assert_int_equal(plugin_registry_count(r), 0);
    assert_int_equal(plugin_registry_load_dir(r, "/nonexistent-plugins", err, sizeof err), -1);
    plugin_registry_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abi_mismatch_refused),
        cmocka_unit_test(test_load_built_plugins),
        cmocka_unit_test(test_bad_module_refused),
    };
    return cmocka_run_group_tests_name("plugins", tests, NULL, NULL);
}
