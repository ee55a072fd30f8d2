/* digest: SHA-256 of buffers and files (nettle), as lowercase hex. The
 * buffer cases are the FIPS 180-2 test vectors; a file is read in 64 KiB
 * pieces, so one of several pieces must hash as the same bytes in memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "digest.h"

static void test_vectors(void **s)
{
    char hex[65];
    digest_buffer("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    digest_buffer("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    digest_buffer(two, strlen(two), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_file_in_pieces(void **s)
{
    size_t n = 200000; /* four reads of 64 KiB, the last one short */
    unsigned char *data = malloc(n);
    assert_non_null(data);
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)(i * 2654435761u >> 13);
    mkdir(XS_TEST_TMP_DIR, 0755);
    char path[512];
    snprintf(path, sizeof path, "%s/digest-%ld.bin", XS_TEST_TMP_DIR, (long)getpid());
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);

    char from_file[65], from_memory[65];
    assert_int_equal(digest_file(path, from_file), 0);
    digest_buffer(data, n, from_memory);
    assert_string_equal(from_file, from_memory);
    unlink(path);
    free(data);

    /* A missing file is an error with errno, not a digest. */
    assert_int_equal(digest_file(path, from_file), -1);
    assert_int_equal(errno, ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_file_in_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
