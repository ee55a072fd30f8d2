/* xueshi/utf8.h: the strict decoder behind receipts, printable file names
 * and the plugins' messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <xueshi/utf8.h>
#include "fileops.h"

static size_t len_of(const char *s, size_t n)
{
    return xs_utf8_char_len((const unsigned char *)s, n);
}

static void test_valid(void **s)
{
    assert_int_equal(len_of("a", 1), 1);
    assert_int_equal(len_of("\x7f", 1), 1);
    assert_int_equal(len_of("学", 3), 3);
    assert_int_equal(len_of("\xc2\x80", 2), 2);          /* U+0080 */
    assert_int_equal(len_of("\xed\x9f\xbf", 3), 3);      /* U+D7FF */
    assert_int_equal(len_of("\xee\x80\x80", 3), 3);      /* U+E000 */
    assert_int_equal(len_of("\xf0\x90\x80\x80", 4), 4);  /* U+10000 */
    assert_int_equal(len_of("\xf4\x8f\xbf\xbf", 4), 4);  /* U+10FFFF */
}

static void test_invalid(void **s)
{
    assert_int_equal(len_of("", 0), 0);
    assert_int_equal(len_of("\x80", 1), 0);              /* a continuation byte */
    assert_int_equal(len_of("\xc0\xaf", 2), 0);          /* overlong / */
    assert_int_equal(len_of("\xe0\x9f\xbf", 3), 0);      /* overlong */
    assert_int_equal(len_of("\xed\xa0\x80", 3), 0);      /* a surrogate */
    assert_int_equal(len_of("\xf4\x90\x80\x80", 4), 0);  /* above U+10FFFF */
    assert_int_equal(len_of("\xf5\x80\x80\x80", 4), 0);
    assert_int_equal(len_of("学", 2), 0);                /* cut short */
    assert_int_equal(len_of("\xe5\x41\x41", 3), 0);      /* not a continuation */
}

static void test_printable(void **s)
{
    char out[64];
    fileops_printable("学时.csv", out, sizeof out);
    assert_string_equal(out, "学时.csv");
    fileops_printable("a\nb\xff\xed\xa0\x80.json", out, sizeof out);
    assert_string_equal(out, "a\\x0ab\\xff\\xed\\xa0\\x80.json");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_printable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
