/* csv input plugin: encodings (UTF-8 ± BOM, GBK, UTF-16 refused), Excel's
 * quoting and CRLF, physical line numbers, record errors, caps on huge
 * fields and rows, truncated and malformed files. Linked against the
 * plugin's static copy, so xs_plugin_descriptor is the plugin's own. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <iconv.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "xueshi/plugin.h"

extern const xs_plugin xs_plugin_descriptor;

#define MiB ((size_t)1024 * 1024)

/* --- helpers: collect every emitted record as deep copies ---------------- */

#define COLLECT_STOP_CODE 9
#define COLLECT_PREFIX "csv"
#include "plugin_collect.h"
}

static int t_parse(const char *path, t_col *c, char *err, size_t errlen)
{
    err[0] = '\0';
    return xs_plugin_descriptor.parse(path, t_emit, c, err, errlen);
}

/* Parse n bytes written as a file; returns the parse result, err filled. */
static int t_parse_bytes(const char *name, const void *data, size_t n, t_col *c, char *err,
                         size_t errlen)
{
    char path[512];
    t_write(name, data, n, path, sizeof path);
    int rc = t_parse(path, c, err, errlen);
    unlink(path);
    return rc;
}

/* Parse text; expects success. */
static void t_parse_ok(const char *name, const char *text, t_col *c)
{
    char err[512];
    int rc = t_parse_bytes(name, text, strlen(text), c, err, sizeof err);
    if (rc != 0)
        fail_msg("parse failed (%d): %s", rc, err);
}

/* UTF-8 → GB18030 (malloc'd, length in *outn). */
static char *t_to_gb(const char *utf8, size_t n, size_t *outn)
{
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t cap = n * 2 + 16, left = cap, inleft = n;
    char *out = malloc(cap), *o = out, *in = (char *)utf8;
    assert_true(iconv(cd, &in, &inleft, &o, &left) != (size_t)-1);
    iconv_close(cd);
    *outn = (size_t)(o - out);
    return out;
}

/* A growable text buffer for building big inputs. */
typedef struct t_buf {
    char *s;
    size_t n, cap;
} t_buf;

static void t_add(t_buf *b, const void *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        assert_non_null(b->s);
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void t_addf(t_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void t_addf(t_buf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    t_add(b, tmp, (size_t)n);
}

static void t_fill(t_buf *b, char ch, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = b->n + n + 1;
        b->s = realloc(b->s, b->cap);
        assert_non_null(b->s);
    }
    memset(b->s + b->n, ch, n);
    b->n += n;
    b->s[b->n] = '\0';
}

/* --- tests ------------------------------------------------------------------ */

static void test_descriptor(void **s)
{
    const xs_plugin *p = &xs_plugin_descriptor;
    assert_int_equal(p->abi, XS_PLUGIN_ABI);
    assert_string_equal(p->name, "csv");
    assert_string_equal(p->extensions[0], "csv");
    assert_null(p->extensions[1]);
}

static void test_example_gbk(void **s)
{
    t_col c = {0};
    char err[512];
    assert_int_equal(t_parse(XS_TEST_DATA_DIR "/xianggang-unit-gbk.csv", &c, err, sizeof err), 0);
    assert_int_equal(c.n, 4);
    static const char *const keys[] = {"身份证号", "姓名", "工作单位", "现有职称", "学历",
                                       "编号", "类型", "科目", "主题", "名称",
                                       "日期", "天数", "半天数", "晚上数"};
    static const char *const vals[] = {"43030219900720789X", "王五", "湘钢集团", "工程师", "本科",
                                       "ww-1", "培训班", "公需", "数字经济与创新驱动",
                                       "2019年公需科目集中培训", "2019-04-16", "1", "1", "1"};
    const t_rec *r = &c.r[0];
    assert_int_equal(r->index, 1);
    assert_int_equal(r->line, 2);
    assert_null(r->code);
    assert_int_equal(r->nf, 14);
    for (size_t i = 0; i < 14; i++) {
        assert_string_equal(r->k[i], keys[i]);
        assert_string_equal(r->v[i], vals[i]);
    }
    assert_int_equal(r->ne, 1);
    assert_string_equal(r->ev[0], "通知、课程表、签到表");
    assert_null(t_get(r, "材料"));

    assert_string_equal(t_get(&c.r[1], "编号"), "ww-2");
    assert_string_equal(t_get(&c.r[1], "排名"), "1");
    assert_null(t_get(&c.r[1], "科目")); /* empty cell: absent */
    assert_string_equal(c.r[1].ev[0], "刊物封面、刊号、目录");
    assert_string_equal(t_get(&c.r[2], "级别"), "政府");
    assert_string_equal(t_get(&c.r[2], "角色"), "主持");

    r = &c.r[3];
    assert_int_equal(r->index, 4);
    assert_int_equal(r->line, 5);
    assert_null(r->code);
    assert_string_equal(t_get(r, "身份证号"), "430302199007207891");
    assert_string_equal(t_get(r, "名称"), "冶金安全, 第二期");
    assert_string_equal(t_get(r, "科目"), "专业");
    assert_string_equal(t_get(r, "天数"), "2");
    assert_int_equal(r->ne, 1);
    assert_string_equal(r->ev[0], "通知、课程表、签到表");
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(c.r[i].line, i + 2);
    t_free(&c);
}

static void test_utf8_bom_and_plain(void **s)
{
    t_col c = {0};
    t_parse_ok("bom.csv", "\xEF\xBB\xBFid,姓名,evidence\n1,张三,notice;sign_in\n", &c);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.r[0].k[0], "id"); /* no BOM in the first key */
    assert_string_equal(t_get(&c.r[0], "id"), "1");
    assert_string_equal(t_get(&c.r[0], "姓名"), "张三");
    assert_int_equal(c.r[0].ne, 1);
    assert_string_equal(c.r[0].ev[0], "notice;sign_in");
    t_free(&c);

    t_parse_ok("plain.csv", "id,name\n1,张三\n2,李四", &c); /* no final newline */
    assert_int_equal(c.n, 2);
    assert_string_equal(t_get(&c.r[1], "name"), "李四");
    assert_int_equal(c.r[1].line, 3);
    t_free(&c);

    /* GB18030's own BOM is dropped too */
    size_t gn;
    char *gb = t_to_gb("\xEF\xBB\xBFid,名称\n1,培训\n", strlen("\xEF\xBB\xBFid,名称\n1,培训\n"), &gn);
    char err[512];
    assert_int_equal(t_parse_bytes("gbbom.csv", gb, gn, &c, err, sizeof err), 0);
    free(gb);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.r[0].k[0], "id");
    assert_string_equal(t_get(&c.r[0], "名称"), "培训");
    t_free(&c);
}

static void test_excel_quoting(void **s)
{
    t_col c = {0};
    t_parse_ok("quoting.csv",
               /* 1 */ " id , title ,材料\r\n"
               /* 2 */ "1,\"冶金安全, 第二期\",通知\r\n"
               /* 3 */ "2,\"他说\"\"好\"\"\",\r\n"
               /* 4 */ "3,\"第一行\r\n"
               /* 5 */ "第二行\r\n"
               /* 6 */ "第三行\",签到表\r\n"
               /* 7 */ "4,  padded  ,\"\"\r\n"
               /* 8 */ "\"5\r\n"
               /* 9 */ "\",after\r\n"
               /* 10 */ "6,\"\",\r\n",
               &c);
    assert_int_equal(c.n, 6);
    assert_string_equal(c.r[0].k[0], "id"); /* headers trimmed */
    assert_string_equal(c.r[0].k[1], "title");
    assert_string_equal(t_get(&c.r[0], "title"), "冶金安全, 第二期");
    assert_string_equal(c.r[0].ev[0], "通知");
    assert_int_equal(c.r[0].line, 2);
    assert_string_equal(t_get(&c.r[1], "title"), "他说\"好\"");
    assert_int_equal(c.r[1].ne, 0);
    assert_int_equal(c.r[1].line, 3);
    assert_string_equal(t_get(&c.r[2], "title"), "第一行\r\n第二行\r\n第三行");
    assert_string_equal(c.r[2].ev[0], "签到表");
    assert_int_equal(c.r[2].line, 4);
    assert_string_equal(t_get(&c.r[3], "title"), "padded");
    assert_int_equal(c.r[3].ne, 0); /* "" is empty */
    assert_int_equal(c.r[3].line, 7);
    assert_string_equal(t_get(&c.r[4], "id"), "5\r\n"); /* a newline in the first cell */
    assert_string_equal(t_get(&c.r[4], "title"), "after");
    assert_int_equal(c.r[4].line, 8);
    assert_int_equal(c.r[5].line, 10);
    assert_int_equal(c.r[5].nf, 1);
    for (size_t i = 0; i < c.n; i++) {
        assert_int_equal(c.r[i].index, i + 1);
        assert_null(c.r[i].code);
    }
    t_free(&c);
}

static void test_blank_rows_and_line_ends(void **s)
{
    t_col c = {0};
    t_parse_ok("blank.csv",
               /* 1 */ "\n"
               /* 2 */ "a,b,c,,\n" /* trailing empty headers */
               /* 3 */ ",,\n"
               /* 4 */ "\n"
               /* 5 */ "1,2\n" /* fewer cells */
               /* 6 */ "  \t \n"
               /* 7 */ "4,5,6,,,,\n" /* more cells, but empty */
               /* 8 */ "7,8,9\r" /* old Mac line end */
               /* 9 */ "10,11,12\r\n",
               &c);
    assert_int_equal(c.n, 4);
    assert_int_equal(c.r[0].line, 5);
    assert_int_equal(c.r[0].nf, 2);
    assert_null(t_get(&c.r[0], "c"));
    assert_int_equal(c.r[1].line, 7);
    assert_null(c.r[1].code);
    assert_int_equal(c.r[1].nf, 3);
    assert_int_equal(c.r[2].line, 8);
    assert_int_equal(c.r[3].line, 9);
    assert_string_equal(t_get(&c.r[3], "c"), "12");
    for (size_t i = 0; i < c.n; i++)
        assert_int_equal(c.r[i].index, i + 1);
    t_free(&c);

    /* header only: no records, no error */
    t_parse_ok("header.csv", "id,name\r\n", &c);
    assert_int_equal(c.n, 0);
    t_free(&c);
}

static void test_too_many_columns(void **s)
{
    t_col c = {0};
    t_parse_ok("wide.csv", "id,name,title\n1,a,t\n2,b,t,extra,\n3,c,t\n", &c);
    assert_int_equal(c.n, 3);
    const t_rec *r = &c.r[1];
    assert_string_equal(r->code, "invalid_value");
    assert_null(r->field);
    assert_non_null(strstr(r->err, "wide.csv 第3行：列数(4)多于表头(3)"));
    assert_string_equal(t_get(r, "id"), "2"); /* the known columns still come */
    assert_string_equal(t_get(r, "title"), "t");
    assert_int_equal(r->nf, 3);
    assert_null(c.r[2].code);
    assert_int_equal(c.r[2].line, 4);
    t_free(&c);
}

/* A row of 100,000 cells is one record error and takes no memory per cell;
 * a header that wide refuses the file. */
static void test_hundred_thousand_columns(void **s)
{
    t_buf b = {0};
    t_addf(&b, "id,name,title\n1");
    for (int i = 2; i <= 100000; i++)
        t_addf(&b, ",%d", i);
    t_addf(&b, "\n2,b,t\n");
    t_col c = {0};
    char err[512];
    assert_int_equal(t_parse_bytes("cols.csv", b.s, b.n, &c, err, sizeof err), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.r[0].code, "invalid_value");
    assert_non_null(strstr(c.r[0].err, "第2行：列数(100000)多于表头(3)"));
    assert_string_equal(t_get(&c.r[0], "title"), "3");
    assert_null(c.r[1].code);
    assert_int_equal(c.r[1].line, 3);
    assert_int_equal(c.r[1].index, 2);
    t_free(&c);

    b.n = 0;
    t_addf(&b, "h1");
    for (int i = 2; i <= 100000; i++)
        t_addf(&b, ",h%d", i);
    t_addf(&b, "\n1,2\n");
    assert_int_equal(t_parse_bytes("wideheader.csv", b.s, b.n, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "wideheader.csv 第1行：表头列数超过 10000"));
    assert_int_equal(c.n, 0);
    free(b.s);
    t_free(&c);
}

/* A 20 MB cell: a record error for its row, the rest of the row kept, the
 * next rows on their right lines; quoted or not. */
static void test_huge_field(void **s)
{
    t_buf b = {0};
    t_addf(&b, "id,title,note\n1,");
    t_fill(&b, 'x', 20 * MiB);
    t_addf(&b, ",n1\n2,\"");
    for (int i = 0; i < 1000; i++) { /* 1000 quoted newlines, then 20 MB */
        t_addf(&b, "第%d行\r\n", i);
    }
    t_fill(&b, 'y', 20 * MiB);
    t_addf(&b, "\",n2\n3,ok,n3\n");
    t_col c = {0};
    char err[512];
    assert_int_equal(t_parse_bytes("huge.csv", b.s, b.n, &c, err, sizeof err), 0);
    free(b.s);
    assert_int_equal(c.n, 3);
    const t_rec *r = &c.r[0];
    assert_string_equal(r->code, "invalid_value");
    assert_string_equal(r->field, "title");
    assert_non_null(strstr(r->err, "huge.csv 第2行：字段 title 的内容超过 16 MiB"));
    assert_string_equal(t_get(r, "id"), "1");
    assert_string_equal(t_get(r, "note"), "n1");
    assert_null(t_get(r, "title"));
    r = &c.r[1];
    assert_string_equal(r->field, "title");
    assert_int_equal(r->line, 3);
    assert_string_equal(t_get(r, "note"), "n2");
    r = &c.r[2];
    assert_null(r->code);
    assert_int_equal(r->line, 3 + 1000 + 1); /* row 2 spans lines 3..1003 */
    assert_string_equal(t_get(r, "title"), "ok");
    t_free(&c);
}

/* The cap is 16 MiB exactly: a cell of that size is accepted, one byte
 * more is not (also when it is the file's last cell). */
static void test_field_cap_boundary(void **s)
{
    t_buf b = {0};
    t_addf(&b, "id,title\n1,");
    t_fill(&b, 'a', 16 * MiB);
    t_addf(&b, "\n2,");
    t_fill(&b, 'b', 16 * MiB + 1);
    t_addf(&b, "\n3,");
    t_fill(&b, 'c', 16 * MiB + 1); /* last cell, no newline after it */
    t_col c = {0};
    char err[512];
    assert_int_equal(t_parse_bytes("cap.csv", b.s, b.n, &c, err, sizeof err), 0);
    free(b.s);
    assert_int_equal(c.n, 3);
    assert_null(c.r[0].code);
    assert_int_equal(strlen(t_get(&c.r[0], "title")), 16 * MiB);
    assert_string_equal(c.r[1].field, "title");
    assert_string_equal(c.r[2].field, "title");
    assert_string_equal(t_get(&c.r[2], "id"), "3");
    t_free(&c);
}

/* Over 64 KiB of GBK text: the 64 KiB chunk boundary cuts a two-byte
 * character, which must still decode. Same for UTF-8's three-byte ones. */
static void t_check_split(const char *name, int gbk)
{
    for (int pad = 0; pad < 64; pad++) {
        t_buf u = {0};
        t_fill(&u, ' ', (size_t)pad); /* leading spaces shift the bytes; libcsv drops them */
        t_addf(&u, "id,title,evidence\n");
        for (int i = 0; i < 4000; i++)
            t_addf(&u, "%06d,中文标题测试第%d行,通知、签到表\n", i, i);
        size_t n = u.n;
        char *bytes = gbk ? t_to_gb(u.s, u.n, &n) : u.s;
        /* is byte 65536 inside a character? walk from the start */
        size_t i = 0;
        while (i < 65536)
            i += (unsigned char)bytes[i] < 0x80 ? 1 : gbk ? 2 : 3;
        if (i == 65536) {
            if (gbk)
                free(bytes);
            free(u.s);
            continue; /* not cut: shift by one more byte */
        }
        t_col c = {0};
        char err[512];
        assert_int_equal(t_parse_bytes(name, bytes, n, &c, err, sizeof err), 0);
        assert_int_equal(c.n, 4000);
        for (size_t k = 0; k < c.n; k++) {
            char want[64];
            snprintf(want, sizeof want, "中文标题测试第%zu行", k);
            assert_null(c.r[k].code);
            assert_string_equal(t_get(&c.r[k], "title"), want);
            assert_string_equal(c.r[k].ev[0], "通知、签到表");
            assert_int_equal(c.r[k].line, k + 2);
        }
        t_free(&c);
        if (gbk)
            free(bytes);
        free(u.s);
        return;
    }
    fail_msg("could not place a character across the chunk boundary");
}

static void test_gbk_split_across_chunks(void **s)
{
    t_check_split("split-gbk.csv", 1);
}

static void test_utf8_split_across_chunks(void **s)
{
    t_check_split("split-utf8.csv", 0);
}

/* GBK text that starts after a long ASCII-only stretch (> one chunk). */
static void test_gbk_after_ascii(void **s)
{
    t_buf u = {0};
    t_addf(&u, "id,title\n");
    for (int i = 0; i < 10000; i++)
        t_addf(&u, "%d,ascii title %d\n", i, i);
    t_addf(&u, "x,冶金安全\n");
    size_t n;
    char *gb = t_to_gb(u.s, u.n, &n);
    t_col c = {0};
    char err[512];
    assert_int_equal(t_parse_bytes("late.csv", gb, n, &c, err, sizeof err), 0);
    assert_int_equal(c.n, 10001);
    assert_string_equal(t_get(&c.r[10000], "title"), "冶金安全");
    assert_int_equal(c.r[10000].line, 10002);
    free(gb);
    free(u.s);
    t_free(&c);
}

static void test_refused_files(void **s)
{
    t_col c = {0};
    char err[512];
    /* UTF-16, as Excel's "Unicode text" writes it */
    static const char u16[] = "\xFF\xFE" "i\0d\0,\0n\0\r\0\n\0" "1\0,\0a\0\r\0\n\0";
    assert_int_equal(t_parse_bytes("u16.csv", u16, sizeof u16 - 1, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "u16.csv"));
    assert_non_null(strstr(err, "文件编码为 UTF-16，请另存为 UTF-8 或 GBK"));
    static const char u16be[] = "\xFE\xFF\0i\0d";
    assert_int_equal(t_parse_bytes("u16be.csv", u16be, sizeof u16be - 1, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "UTF-16"));

    assert_int_equal(t_parse_bytes("empty.csv", "", 0, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty.csv"));
    assert_non_null(strstr(err, "文件为空"));
    assert_int_equal(t_parse_bytes("blank.csv", "\r\n\r\n ,, \n", 9, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "文件为空"));

    static const char bin[] = "\x7F" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0";
    assert_int_equal(t_parse_bytes("bin.csv", bin, sizeof bin - 1, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "bin.csv"));
    assert_non_null(strstr(err, "不是文本文件"));

    assert_int_equal(t_parse(XS_TEST_TMP_DIR "/no-such.csv", &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "no-such.csv"));
    assert_int_equal(c.n, 0);
    t_free(&c);
}

/* The file ends inside a quoted cell: the rows before it are fine, its own
 * row is a record error naming the field. */
static void test_truncated(void **s)
{
    t_col c = {0};
    t_parse_ok("trunc.csv", "id,title,note\n1,ok,n\n2,\"cut off\nhere,and, more", &c);
    assert_int_equal(c.n, 2);
    assert_null(c.r[0].code);
    const t_rec *r = &c.r[1];
    assert_string_equal(r->code, "invalid_value");
    assert_string_equal(r->field, "title");
    assert_non_null(strstr(r->err, "trunc.csv 第3行：字段 title 的引号没有闭合"));
    assert_string_equal(t_get(r, "id"), "2");
    assert_null(t_get(r, "title"));
    assert_int_equal(r->line, 3);
    t_free(&c);

    /* a closed quote at the very end is not truncation */
    t_parse_ok("closed.csv", "id,title\n1,\"ok\"", &c);
    assert_int_equal(c.n, 1);
    assert_null(c.r[0].code);
    assert_string_equal(t_get(&c.r[0], "title"), "ok");
    t_free(&c);

    /* a file cut in the middle of a UTF-8 character */
    t_parse_ok("cutchar.csv", "id,title\n1,中\xE6\x96", &c);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.r[0].code, "invalid_value");
    assert_string_equal(c.r[0].field, "title");
    t_free(&c);
}

/* Bytes that are not text in the file's encoding spoil their record only. */
static void test_malformed_bytes(void **s)
{
    t_buf b = {0};
    t_addf(&b, "id,名称,备注\n1,冶金安全,好\n2,坏\xFF字节,好\n3,正常,\xC0\xAF\n4,末行,好\n");
    t_col c = {0};
    char err[512];
    assert_int_equal(t_parse_bytes("bad-utf8.csv", b.s, b.n, &c, err, sizeof err), 0);
    assert_int_equal(c.n, 4);
    assert_null(c.r[0].code);
    assert_string_equal(c.r[1].code, "invalid_value");
    assert_string_equal(c.r[1].field, "名称");
    assert_non_null(strstr(c.r[1].err, "bad-utf8.csv 第3行：字段 名称 含有无法识别的字节"));
    assert_string_equal(t_get(&c.r[1], "id"), "2");
    assert_null(t_get(&c.r[1], "名称"));
    assert_string_equal(c.r[2].field, "备注"); /* overlong encoding */
    assert_null(c.r[3].code);
    assert_string_equal(t_get(&c.r[3], "名称"), "末行");
    assert_int_equal(c.r[3].line, 5);
    t_free(&c);

    /* GBK with a byte GB18030 does not know (0xFF), then beyond the first
     * chunk (where a NUL refuses the whole file) a NUL in a cell */
    size_t n;
    b.n = 0;
    t_addf(&b, "id,名称,备注\n1,冶金安全,好\n");
    char *gb = t_to_gb(b.s, b.n, &n);
    t_buf g = {0};
    t_add(&g, gb, n);
    free(gb);
    t_add(&g, "2,\xFF,x\n", 6);
    b.n = 0;
    for (int i = 0; i < 5000; i++)
        t_addf(&b, "p,填充行,%d\n", i);
    gb = t_to_gb(b.s, b.n, &n);
    t_add(&g, gb, n);
    free(gb);
    assert_true(g.n > 65536);
    t_add(&g, "3,a\0b,y\n", 8);
    gb = t_to_gb("4,末行,好\n", strlen("4,末行,好\n"), &n);
    t_add(&g, gb, n);
    free(gb);
    int rc = t_parse_bytes("bad-gbk.csv", g.s, g.n, &c, err, sizeof err);
    if (rc != 0)
        fail_msg("rc %d: %s", rc, err);
    assert_int_equal(c.n, 5004);
    assert_null(c.r[0].code);
    assert_string_equal(c.r[1].field, "名称");
    assert_non_null(strstr(c.r[1].err, "bad-gbk.csv 第3行：字段 名称 含有无法识别的字节（按 GB18030 读取）"));
    assert_string_equal(t_get(&c.r[1], "备注"), "x");
    assert_string_equal(t_get(&c.r[2], "名称"), "填充行");
    assert_null(c.r[2].code);
    const t_rec *r = &c.r[5002]; /* 1, 2, 5000 fillers, then 3 */
    assert_string_equal(r->field, "名称");
    assert_int_equal(r->line, 5004);
    assert_string_equal(t_get(r, "备注"), "y");
    r = &c.r[5003];
    assert_null(r->code);
    assert_string_equal(t_get(r, "名称"), "末行");
    assert_int_equal(r->line, 5005);
    free(g.s);
    free(b.s);
    t_free(&c);
}

/* An unclosed quote that swallows more than the field cap is reported as
 * the unclosed quote. */
static void test_truncated_huge(void **s)
{
    t_buf b = {0};
    t_addf(&b, "id,title\n1,a\n2,\"");
    t_fill(&b, 'q', 17 * MiB);
    t_addf(&b, "\n3,b\n");
    t_col c = {0};
    char err[512];
    assert_int_equal(t_parse_bytes("trunc-huge.csv", b.s, b.n, &c, err, sizeof err), 0);
    free(b.s);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.r[1].field, "title");
    assert_non_null(strstr(c.r[1].err, "第3行：字段 title 的引号没有闭合"));
    t_free(&c);
}

/* Messages stay valid UTF-8 whatever the file's name. */
static void test_name_not_utf8(void **s)
{
    t_col c = {0};
    char err[512];
    /* "名单.csv" in GBK */
    assert_int_equal(t_parse_bytes("\xC3\xFB\xB5\xA5.csv", "", 0, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "-????.csv"));
    assert_non_null(strstr(err, "文件为空"));
    /* a small err buffer cuts the message at a character */
    char small[6];
    assert_int_equal(t_parse_bytes("x.csv", "", 0, &c, small, sizeof small), -1);
    assert_string_equal(small, "文"); /* not "文" plus half of "件" */
    t_free(&c);
}

/* The parser keeps no shared state: files parse side by side on threads. */
typedef struct t_job {
    const char *path;
    t_col col;
    int rc;
} t_job;

static void *t_job_run(void *arg)
{
    t_job *j = arg;
    char err[512];
    for (int i = 0; i < 20 && j->rc == 0; i++) {
        t_free(&j->col);
        j->rc = xs_plugin_descriptor.parse(j->path, t_emit, &j->col, err, sizeof err);
    }
    return NULL;
}

static void test_threads(void **s)
{
    t_buf u = {0};
    t_addf(&u, "id,title\n");
    for (int i = 0; i < 3000; i++)
        t_addf(&u, "%d,\"中文, 第%d期\"\n", i, i);
    size_t n;
    char *gb = t_to_gb(u.s, u.n, &n);
    char p1[512], p2[512];
    t_write("thread-utf8.csv", u.s, u.n, p1, sizeof p1);
    t_write("thread-gbk.csv", gb, n, p2, sizeof p2);
    free(gb);
    free(u.s);
    t_job jobs[4] = {{.path = p1}, {.path = p2}, {.path = p1}, {.path = p2}};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, t_job_run, &jobs[i]), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(jobs[i].rc, 0);
        assert_int_equal(jobs[i].col.n, 3000);
        assert_string_equal(t_get(&jobs[i].col.r[2999], "title"), "中文, 第2999期");
        assert_int_equal(jobs[i].col.r[2999].line, 3001);
        t_free(&jobs[i].col);
    }
    unlink(p1);
    unlink(p2);
}

static void test_stop(void **s)
{
    t_col c = {.stop_at = 2};
    char err[512];
    const char *text = "id\n1\n2\n3\n";
    assert_int_equal(t_parse_bytes("stop.csv", text, strlen(text), &c, err, sizeof err), 9);
    assert_int_equal(c.n, 2);
    t_free(&c);
}

static void test_sniff(void **s)
{
    int (*sniff)(const unsigned char *, size_t) = xs_plugin_descriptor.sniff;
#define S(lit) sniff((const unsigned char *)(lit), sizeof(lit) - 1)
    assert_int_equal(S("身份证号,姓名\n"), 90);
    assert_int_equal(S("\xC9\xED\xB7\xDD\xD6\xA4\xBA\xC5,x\r\n"), 90); /* GBK */
    assert_int_equal(S("\xEF\xBB\xBFid,name\n"), 90);
    assert_int_equal(S("a,b\n1,2\n"), 50);
    assert_int_equal(S("{\"person\": 1}"), 0);
    assert_int_equal(S("just text\n"), 0);
    assert_int_equal(S("a,b\0c"), 0);
    assert_int_equal(S(""), 0);
#undef S
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),
        cmocka_unit_test(test_example_gbk),
        cmocka_unit_test(test_utf8_bom_and_plain),
        cmocka_unit_test(test_excel_quoting),
        cmocka_unit_test(test_blank_rows_and_line_ends),
        cmocka_unit_test(test_too_many_columns),
        cmocka_unit_test(test_hundred_thousand_columns),
        cmocka_unit_test(test_huge_field),
        cmocka_unit_test(test_field_cap_boundary),
        cmocka_unit_test(test_gbk_split_across_chunks),
        cmocka_unit_test(test_utf8_split_across_chunks),
        cmocka_unit_test(test_gbk_after_ascii),
        cmocka_unit_test(test_refused_files),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_malformed_bytes),
        cmocka_unit_test(test_truncated_huge),
        cmocka_unit_test(test_name_not_utf8),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_sniff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
