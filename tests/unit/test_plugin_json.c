/* json input plugin: the three document shapes, JSON Lines streaming, value
 * types, evidence, syntax errors with positions, caps. Linked against the
 * plugin's static copy, so xs_plugin_descriptor is the plugin's own. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "xueshi/plugin.h"
#include "json_internal.h"

extern const xs_plugin xs_plugin_descriptor;

/* --- helpers: collect every emitted record as deep copies ---------------- */

#define COLLECT_STOP_CODE 7
#define COLLECT_PREFIX "json"
#include "plugin_collect.h"
}

static void t_write_str(const char *name, const char *text, char *out, size_t outlen)
{
    t_write(name, text, strlen(text), out, outlen);
}

static int t_parse(const char *path, t_col *c, char *err, size_t errlen)
{
    err[0] = '\0';
    return xs_plugin_descriptor.parse(path, t_emit, c, err, errlen);
}

/* Parse text written as a file named name; expects success. */
static void t_parse_text(const char *name, const char *text, t_col *c)
{
    char path[512], err[512];
    t_write_str(name, text, path, sizeof path);
    int rc = t_parse(path, c, err, sizeof err);
    if (rc != 0)
        fail_msg("parse failed (%d): %s", rc, err);
    unlink(path);
}

/* --- tests ------------------------------------------------------------------ */

static void test_descriptor(void **s)
{
    const xs_plugin *p = &xs_plugin_descriptor;
    assert_int_equal(p->abi, XS_PLUGIN_ABI);
    assert_string_equal(p->name, "json");
    assert_string_equal(p->extensions[0], "json");
    assert_string_equal(p->extensions[1], "jsonl");
    assert_null(p->extensions[2]);
    assert_non_null(p->sniff);
    assert_non_null(p->parse);
}

static void test_example_person(void **s)
{
    t_col c = {0};
    char err[512];
    assert_int_equal(t_parse(XS_TEST_DATA_DIR "/zhangsan-2022.json", &c, err, sizeof err), 0);
    assert_int_equal(c.n, 8);
    const t_rec *r = &c.r[0];
    assert_int_equal(r->index, 1);
    assert_int_equal(r->line, 0);
    assert_null(r->code);
    /* person keys first, then the activity's, in file order */
    static const char *const keys[] = {"id", "name", "unit", "professional_title", "education",
                                       "ref", "kind", "subject", "topic", "title", "provider",
                                       "date", "end_date", "days", "half_days"};
    static const char *const vals[] = {"430302198001011234", "张三", "湘潭市中心医院", "主治医师",
                                       "本科", "zs-1", "training", "public", "区块链技术与应用",
                                       "2022年公需科目培训班", "湘潭市人力资源和社会保障培训中心",
                                       "2022-05-10", "2022-05-12", "2", "1"};
    assert_int_equal(r->nf, 15);
    for (size_t i = 0; i < 15; i++) {
        assert_string_equal(r->k[i], keys[i]);
        assert_string_equal(r->v[i], vals[i]);
    }
    assert_int_equal(r->ne, 3);
    assert_string_equal(r->ev[0], "notice");
    assert_string_equal(r->ev[1], "schedule");
    assert_string_equal(r->ev[2], "sign_in");

    r = &c.r[3];
    assert_int_equal(r->index, 4);
    assert_string_equal(t_get(r, "ref"), "zs-4");
    assert_string_equal(t_get(r, "kind"), "论文");
    assert_string_equal(t_get(r, "rank"), "2");
    assert_string_equal(t_get(r, "cn"), "CN11-2227/TP");
    assert_string_equal(t_get(r, "name"), "张三");
    assert_int_equal(r->ne, 3);
    assert_string_equal(r->ev[0], "刊物封面");

    r = &c.r[7];
    assert_int_equal(r->index, 8);
    assert_string_equal(t_get(r, "ref"), "zs-8");
    assert_int_equal(r->ne, 0); /* "evidence": [] */
    for (size_t i = 0; i < c.n; i++)
        assert_null(c.r[i].code);
    t_free(&c);
}

static void test_example_people(void **s)
{
    t_col c = {0};
    char err[512];
    assert_int_equal(t_parse(XS_TEST_DATA_DIR "/lisi-2021.json", &c, err, sizeof err), 0);
    assert_int_equal(c.n, 4);
    assert_string_equal(t_get(&c.r[0], "id"), "430302198503154569");
    assert_string_equal(t_get(&c.r[0], "kind"), "援疆");
    assert_string_equal(t_get(&c.r[0], "passed"), "true");
    assert_string_equal(t_get(&c.r[0], "end_date"), "2021-10-31");
    assert_int_equal(c.r[0].ne, 2);
    assert_string_equal(t_get(&c.r[3], "rank"), "6");
    assert_string_equal(t_get(&c.r[3], "level"), "prefecture");
    assert_string_equal(t_get(&c.r[3], "name"), "李四");
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(c.r[i].index, i + 1);
    t_free(&c);
}

static void test_top_level_array(void **s)
{
    t_col c = {0};
    t_parse_text("array.json",
                 "[\n"
                 " {\"person\": {\"id\": \"A\", \"name\": \"甲\"},\n"
                 "  \"activities\": [{\"ref\": \"a1\"}, {\"ref\": \"a2\"}]},\n"
                 " {\"person\": {\"id\": \"B\"}, \"activities\": []},\n"
                 " {\"person\": {\"id\": \"C\"}},\n"
                 " {\"person\": {\"id\": \"D\"}, \"activities\": [{\"ref\": \"d1\"}]}\n"
                 "]\n",
                 &c);
    assert_int_equal(c.n, 3); /* B and C have no activities: nothing */
    assert_string_equal(t_get(&c.r[0], "id"), "A");
    assert_string_equal(t_get(&c.r[0], "name"), "甲");
    assert_string_equal(t_get(&c.r[0], "ref"), "a1");
    assert_string_equal(t_get(&c.r[1], "id"), "A");
    assert_string_equal(t_get(&c.r[1], "ref"), "a2");
    assert_string_equal(t_get(&c.r[2], "id"), "D");
    assert_string_equal(t_get(&c.r[2], "ref"), "d1");
    assert_null(t_get(&c.r[2], "name"));
    assert_int_equal(c.r[2].index, 3);
    assert_int_equal(c.r[2].nf, 2);
    t_free(&c);
}

static void test_value_types(void **s)
{
    t_col c = {0};
    t_parse_text("types.json",
                 "{\"person\": {\"id\": \"X\", \"note\": null},\n"
                 " \"activities\": [\n"
                 "  {\"i\": 42, \"neg\": -7, \"big\": 9007199254740993, \"r\": 2.5, \"tenth\": 0.1,\n"
                 "   \"zero\": 0, \"min\": -9223372036854775808, \"max\": 9223372036854775807,\n"
                 "   \"whole\": 2.0, \"huge\": 1e300, \"t\": true, \"f\": false, \"n\": null,\n"
                 "   \"s\": \"文本\", \"empty\": \"\"},\n"
                 "  {\"ref\": \"b\", \"days\": {\"n\": 2}, \"hours\": 3},\n"
                 "  {\"ref\": \"c\", \"days\": [1, 2]}\n"
                 " ]}\n",
                 &c);
    assert_int_equal(c.n, 3);
    const t_rec *r = &c.r[0];
    assert_null(r->code);
    assert_string_equal(t_get(r, "i"), "42");
    assert_string_equal(t_get(r, "neg"), "-7");
    assert_string_equal(t_get(r, "big"), "9007199254740993");
    assert_string_equal(t_get(r, "zero"), "0");
    assert_string_equal(t_get(r, "min"), "-9223372036854775808");
    assert_string_equal(t_get(r, "max"), "9223372036854775807");
    assert_string_equal(t_get(r, "r"), "2.5");
    assert_string_equal(t_get(r, "tenth"), "0.1");
    assert_string_equal(t_get(r, "whole"), "2");
    assert_string_equal(t_get(r, "huge"), "1e+300");
    assert_string_equal(t_get(r, "t"), "true");
    assert_string_equal(t_get(r, "f"), "false");
    assert_string_equal(t_get(r, "s"), "文本");
    assert_string_equal(t_get(r, "empty"), "");
    assert_null(t_get(r, "n"));    /* null: omitted */
    assert_null(t_get(r, "note")); /* null in the person too */
    assert_int_equal(r->nf, 15);   /* id + 14 */

    r = &c.r[1]; /* an object where a value is expected */
    assert_int_equal(r->index, 2);
    assert_string_equal(r->code, "invalid_value");
    assert_string_equal(r->field, "days");
    assert_non_null(strstr(r->err, "第2条记录：字段 days 的值类型不正确"));
    assert_non_null(strstr(r->err, "types.json"));
    assert_string_equal(t_get(r, "ref"), "b"); /* the other fields still come */
    assert_string_equal(t_get(r, "hours"), "3");
    assert_string_equal(t_get(r, "id"), "X");
    assert_null(t_get(r, "days"));

    r = &c.r[2]; /* an array where a value is expected */
    assert_string_equal(r->code, "invalid_value");
    assert_string_equal(r->field, "days");
    assert_non_null(strstr(r->err, "第3条记录：字段 days"));
    t_free(&c);
}

static void test_evidence_forms(void **s)
{
    t_col c = {0};
    t_parse_text("evidence.json",
                 "{\"person\": {\"id\": \"X\"}, \"activities\": [\n"
                 " {\"ref\": 1, \"evidence\": \"通知、课程表；签到表\"},\n"
                 " {\"ref\": 2, \"evidence\": [\"notice\", \"签到表\"]},\n"
                 " {\"ref\": 3, \"evidence\": null},\n"
                 " {\"ref\": 4, \"evidence\": 5},\n"
                 " {\"ref\": 5, \"evidence\": [\"notice\", 7]},\n"
                 " {\"ref\": 6, \"evidence\": {\"a\": \"b\"}}\n"
                 "]}\n",
                 &c);
    assert_int_equal(c.n, 6);
    assert_null(c.r[0].code);
    assert_int_equal(c.r[0].ne, 1); /* the host splits on 、；; | */
    assert_string_equal(c.r[0].ev[0], "通知、课程表；签到表");
    assert_null(t_get(&c.r[0], "evidence"));
    assert_int_equal(c.r[1].ne, 2);
    assert_string_equal(c.r[1].ev[0], "notice");
    assert_string_equal(c.r[1].ev[1], "签到表");
    assert_null(c.r[2].code);
    assert_int_equal(c.r[2].ne, 0);
    for (size_t i = 3; i < 6; i++) {
        assert_string_equal(c.r[i].code, "invalid_value");
        assert_string_equal(c.r[i].field, "evidence");
        assert_int_equal(c.r[i].ne, 0);
        assert_string_equal(t_get(&c.r[i], "id"), "X");
    }
    assert_non_null(strstr(c.r[4].err, "第5条记录：字段 evidence 的第2项不是文本"));
    t_free(&c);
}

static void test_structure_errors(void **s)
{
    t_col c = {0};
    t_parse_text("structure.json",
                 "{\"people\": [\n"
                 " {\"person\": {\"id\": \"A\"}, \"activities\": [7, {\"ref\": \"a2\"}]},\n"
                 " {\"person\": \"B\", \"activities\": [{\"ref\": \"b1\"}]},\n"
                 " {\"person\": {\"id\": \"C\"}, \"activities\": {\"ref\": \"c1\"}},\n"
                 " 12,\n"
                 " {\"people\": []}\n"
                 "]}\n",
                 &c);
    assert_int_equal(c.n, 6);
    assert_string_equal(c.r[0].code, "invalid_value"); /* activity 7 */
    assert_string_equal(c.r[0].field, "activities");
    assert_string_equal(t_get(&c.r[0], "id"), "A");
    assert_null(c.r[1].code);
    assert_string_equal(t_get(&c.r[1], "ref"), "a2");
    assert_int_equal(c.r[1].index, 2);
    assert_string_equal(c.r[2].field, "person"); /* person is a string */
    assert_string_equal(t_get(&c.r[2], "ref"), "b1");
    assert_string_equal(c.r[3].field, "activities"); /* activities is an object */
    assert_string_equal(t_get(&c.r[3], "id"), "C");
    assert_string_equal(c.r[4].code, "invalid_value"); /* 12 */
    assert_null(c.r[4].field);
    assert_string_equal(c.r[5].code, "invalid_value"); /* nested people */
    for (size_t i = 0; i < c.n; i++)
        assert_int_equal(c.r[i].index, i + 1);
    t_free(&c);
}

static void test_syntax_error(void **s)
{
    char path[512], err[512];
    t_col c = {0};
    t_write_str("broken.json",
                "{\n"
                "  \"person\": {\"id\": \"1\"},\n"
                "  \"activities\": [ {\"ref\": \"a\",} ]\n"
                "}\n",
                path, sizeof path);
    assert_int_equal(t_parse(path, &c, err, sizeof err), -1);
    assert_int_equal(c.n, 0);
    assert_non_null(strstr(err, "broken.json"));
    assert_non_null(strstr(err, "第3行第"));
    assert_non_null(strstr(err, "列：JSON 语法错误："));
    assert_null(strchr(err, '/')); /* the basename, not the path */
    unlink(path);

    /* not our shape at all */
    t_write_str("other.json", "{\"foo\": 1}", path, sizeof path);
    assert_int_equal(t_parse(path, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "other.json"));
    assert_non_null(strstr(err, "people"));
    unlink(path);

    t_write_str("scalar.json", "42", path, sizeof path);
    assert_int_equal(t_parse(path, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "第1行"));
    unlink(path);

    t_write_str("empty.json", "", path, sizeof path);
    assert_int_equal(t_parse(path, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty.json"));
    unlink(path);

    assert_int_equal(t_parse(XS_TEST_TMP_DIR "/no-such-file.json", &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "no-such-file.json"));
    assert_int_equal(c.n, 0);
    t_free(&c);
}

static void test_bom_and_depth(void **s)
{
    t_col c = {0};
    t_parse_text("bom.json",
                 "\xEF\xBB\xBF{\"person\": {\"id\": \"X\"}, \"activities\": [{\"ref\": \"r\"}]}", &c);
    assert_int_equal(c.n, 1);
    assert_string_equal(t_get(&c.r[0], "ref"), "r");
    t_free(&c);

    /* nesting beyond jansson's limit: a clean error, no crash */
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 64);
    size_t n = 0;
    for (size_t i = 0; i < depth; i++)
        deep[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        deep[n++] = ']';
    char path[512], err[512];
    t_write("deep.json", deep, n, path, sizeof path);
    assert_int_equal(t_parse(path, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "deep.json"));
    unlink(path);

    /* deep but allowed, inside a value: that value is invalid */
    n = (size_t)sprintf(deep, "{\"person\": {\"id\": \"X\"}, \"activities\": [{\"days\": ");
    for (size_t i = 0; i < 1000; i++)
        deep[n++] = '[';
    for (size_t i = 0; i < 1000; i++)
        deep[n++] = ']';
    n += (size_t)sprintf(deep + n, "}]}");
    t_write("deep2.json", deep, n, path, sizeof path);
    assert_int_equal(t_parse(path, &c, err, sizeof err), 0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.r[0].field, "days");
    unlink(path);
    free(deep);
    t_free(&c);
}

static void test_jsonl_stream(void **s)
{
    t_col c = {0};
    t_parse_text("batch.jsonl",
                 /* 1 */ "{\"person\": {\"id\": \"A\"}, \"activities\": [{\"ref\": \"a1\"}, "
                 "{\"ref\": \"a2\", \"days\": 1.5}]}\n"
                 /* 2 */ "\n"
                 /* 3 */ "{\"person\": {\"id\": \"B\"}, \"activities\": [{\"ref\": \"b1\",]}\n"
                 /* 4 */ "{\"people\": [{\"person\": {\"id\": \"C\"}, \"activities\": [{\"ref\": "
                 "\"c1\"}]}]}\n"
                 /* 5 */ "\"just a string\"\n"
                 /* 6 */ "{\"x\": 1}\n"
                 /* 7 */ "   \t \r\n"
                 /* 8 */ "{\"person\": {\"id\": \"D\"}, \"activities\": [{\"ref\": \"d1\", "
                 "\"days\": {}}]}\r\n"
                 /* 9 */ "{\"person\": {\"id\": \"E\"}, \"activities\": [{\"ref\": \"e1\"}]}",
                 &c);
    assert_int_equal(c.n, 8);
    static const size_t lines[] = {1, 1, 3, 4, 5, 6, 8, 9};
    for (size_t i = 0; i < c.n; i++) {
        assert_int_equal(c.r[i].index, i + 1);
        assert_int_equal(c.r[i].line, lines[i]);
    }
    assert_string_equal(t_get(&c.r[0], "ref"), "a1");
    assert_string_equal(t_get(&c.r[1], "days"), "1.5");
    assert_string_equal(c.r[2].code, "invalid_value");
    assert_null(c.r[2].field);
    assert_int_equal(c.r[2].nf, 0);
    assert_non_null(strstr(c.r[2].err, "文件 "));
    assert_non_null(strstr(c.r[2].err, "batch.jsonl 第3行：JSON 语法错误："));
    assert_string_equal(t_get(&c.r[3], "id"), "C");
    assert_string_equal(t_get(&c.r[3], "ref"), "c1");
    assert_non_null(strstr(c.r[4].err, "第5行：JSON 语法错误"));
    assert_non_null(strstr(c.r[5].err, "第6行："));
    assert_string_equal(c.r[6].field, "days");
    assert_non_null(strstr(c.r[6].err, "第8行（第7条记录）：字段 days 的值类型不正确"));
    assert_string_equal(t_get(&c.r[6], "ref"), "d1");
    assert_null(c.r[7].code);
    assert_string_equal(t_get(&c.r[7], "ref"), "e1");
    t_free(&c);
}

static void test_jsonl_bom_and_stop(void **s)
{
    t_col c = {0};
    t_parse_text("bom.jsonl",
                 "\xEF\xBB\xBF{\"person\": {\"id\": \"A\"}, \"activities\": [{\"ref\": \"a1\"}]}\n",
                 &c);
    assert_int_equal(c.n, 1);
    assert_null(c.r[0].code);
    t_free(&c);

    /* the emit callback stops the parse: its value comes back */
    char path[512], err[512];
    t_write_str("stop.jsonl",
                "{\"person\": {\"id\": \"A\"}, \"activities\": [{\"ref\": 1}, {\"ref\": 2}]}\n"
                "{\"person\": {\"id\": \"B\"}, \"activities\": [{\"ref\": 3}]}\n",
                path, sizeof path);
    c.stop_at = 1;
    assert_int_equal(t_parse(path, &c, err, sizeof err), 7);
    assert_int_equal(c.n, 1);
    unlink(path);
    t_free(&c);

    t_write_str("stop.json",
                "{\"person\": {\"id\": \"A\"}, \"activities\": [{\"ref\": 1}, {\"ref\": 2}]}",
                path, sizeof path);
    c.stop_at = 1;
    assert_int_equal(t_parse(path, &c, err, sizeof err), 7);
    assert_int_equal(c.n, 1);
    unlink(path);
    t_free(&c);
}

/* A .json file holding JSON Lines is read as JSON Lines. */
static void test_json_named_lines(void **s)
{
    t_col c = {0};
    t_parse_text("lines.json",
                 "{\"person\": {\"id\": \"A\"}, \"activities\": [{\"ref\": \"a1\"}]}\n"
                 "{\"person\": {\"id\": \"B\"}, \"activities\": [{\"ref\": \"b1\"}]}\n",
                 &c);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.r[1].line, 2);
    assert_string_equal(t_get(&c.r[1], "id"), "B");
    t_free(&c);

    /* but a pretty-printed document with garbage after it is an error */
    char path[512], err[512];
    t_write_str("garbage.json",
                "{\n \"person\": {\"id\": \"A\"},\n \"activities\": []\n}\nxyz\n", path,
                sizeof path);
    assert_int_equal(t_parse(path, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "第5行"));
    unlink(path);
    t_free(&c);
}

/* A line over the cap is one record error, the next line still counts. */
static void test_jsonl_long_line(void **s)
{
    const size_t big = (size_t)65 * 1024 * 1024;
    const char *head = "{\"person\": {\"id\": \"A\"}, \"activities\": [{\"ref\": \"a1\"}]}\n"
                       "{\"person\": {\"id\": \"";
    const char *tail = "\"}, \"activities\": [{\"ref\": \"x\"}]}\n"
                       "{\"person\": {\"id\": \"C\"}, \"activities\": [{\"ref\": \"c1\"}]}\n";
    size_t hn = strlen(head), tn = strlen(tail);
    char *buf = malloc(hn + big + tn);
    assert_non_null(buf);
    memcpy(buf, head, hn);
    memset(buf + hn, 'a', big);
    memcpy(buf + hn + big, tail, tn);
    char path[512], err[512];
    t_write("long.jsonl", buf, hn + big + tn, path, sizeof path);
    free(buf);
    t_col c = {0};
    assert_int_equal(t_parse(path, &c, err, sizeof err), 0);
    unlink(path);
    assert_int_equal(c.n, 3);
    assert_null(c.r[0].code);
    assert_string_equal(c.r[1].code, "invalid_value");
    assert_int_equal(c.r[1].line, 2);
    assert_non_null(strstr(c.r[1].err, "第2行：该行超过 64 MiB"));
    assert_null(c.r[2].code);
    assert_int_equal(c.r[2].line, 3);
    assert_string_equal(t_get(&c.r[2], "ref"), "c1");
    t_free(&c);
}

/* Messages stay valid UTF-8 whatever the file's name. */
static void test_name_not_utf8(void **s)
{
    char path[512], err[512];
    t_col c = {0};
    t_write_str("\xC3\xFB\xB5\xA5.json", "{", path, sizeof path); /* GBK 名单 */
    assert_int_equal(t_parse(path, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "-????.json 第1行"));
    char small[6];
    assert_int_equal(t_parse(path, &c, small, sizeof small), -1);
    assert_string_equal(small, "文"); /* not "文" plus half of "件" */
    unlink(path);
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
    char lines[512];
    FILE *f;
    t_write_str("threads.jsonl", "", lines, sizeof lines);
    f = fopen(lines, "wb");
    assert_non_null(f);
    for (int i = 0; i < 2000; i++)
        fprintf(f, "{\"person\": {\"id\": \"%d\"}, \"activities\": [{\"days\": %d.5}]}\n", i, i);
    fclose(f);
    t_job jobs[4] = {{.path = lines}, {.path = XS_TEST_DATA_DIR "/zhangsan-2022.json"},
                     {.path = lines}, {.path = XS_TEST_DATA_DIR "/lisi-2021.json"}};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, t_job_run, &jobs[i]), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    static const size_t want[] = {2000, 8, 2000, 4};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(jobs[i].rc, 0);
        assert_int_equal(jobs[i].col.n, want[i]);
        t_free(&jobs[i].col);
    }
    unlink(lines);
}

/* --- the line read without a tree (json_fast.c) ------------------------- */

static int t_same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Both paths give the same records, field by field, message by message. */
static void t_assert_same(const t_col *a, const t_col *b, const char *text)
{
    if (a->n != b->n)
        fail_msg("%zu records against %zu for: %s", a->n, b->n, text);
    for (size_t i = 0; i < a->n; i++) {
        const t_rec *x = &a->r[i], *y = &b->r[i];
        int same = x->index == y->index && x->line == y->line && x->nf == y->nf &&
                   x->ne == y->ne && t_same_text(x->code, y->code) &&
                   t_same_text(x->err, y->err) && t_same_text(x->field, y->field);
        for (size_t k = 0; same && k < x->nf; k++)
            same = t_same_text(x->k[k], y->k[k]) && t_same_text(x->v[k], y->v[k]);
        for (size_t k = 0; same && k < x->ne; k++)
            same = t_same_text(x->ev[k], y->ev[k]);
        if (!same)
            fail_msg("record %zu differs for: %s", i + 1, text);
    }
}

/* text as a .jsonl file, read with the fast path and without it. */
static void t_both_ways(const char *text, size_t len)
{
    char path[512], err1[512], err2[512];
    t_write("both.jsonl", text, len, path, sizeof path);
    t_col fast = {0}, tree = {0};
    int rc1 = t_parse(path, &fast, err1, sizeof err1);
    json_fast_enabled = 0;
    int rc2 = t_parse(path, &tree, err2, sizeof err2);
    json_fast_enabled = 1;
    unlink(path);
    assert_int_equal(rc1, rc2);
    assert_string_equal(err1, err2);
    t_assert_same(&fast, &tree, text);
    t_free(&fast);
    t_free(&tree);
}

/* Lines the fast path takes (1) and those it leaves to jansson (0). */
static const struct {
    const char *line;
    int fast;
} fast_lines[] = {
    {"{\"person\":{\"id\":\"430302198001011234\",\"name\":\"张三\"},\"activities\":[{\"kind\":\"training\","
     "\"days\":2,\"half_days\":1,\"evidence\":[\"通知\",\"签到表\"]},{\"kind\":\"online\",\"hours\":9.5}]}", 1},
    {"{\"activities\":[{\"title\":\"a\"}],\"person\":{\"id\":\"1\"}}", 1},
    {"{\"activities\":[{\"title\":\"no person\",\"evidence\":\"证书\"}]}", 1},
    {"{\"person\":{\"id\":\"2\",\"evidence\":[]},\"activities\":[]}", 1},
    {"{\"person\":{\"id\":\"3\",\"unit\":null},\"activities\":[{\"a\":null,\"b\":true,\"c\":false,"
     "\"d\":-0,\"e\":0.1,\"f\":1e2,\"g\":1E-7,\"h\":-3.0e+2,\"i\":123456789012345678,\"\":\"empty key\"}]}", 1},
    {" { \"person\" : { \"id\" : \"4\" } ,\t\"activities\" : [ { } ] } \r", 1},
    {"{\"person\":{\"id\":\"5\"},\"activities\":[{\"a\":null,\"a\":\"later\"}]}", 0},
    {"{\"person\":{\"id\":\"6\"},\"activities\":[{\"a\":\"x\",\"a\":\"y\"}]}", 0},
    {"{\"person\":{\"id\":\"7\"},\"activities\":[{\"evidence\":\"a\",\"evidence\":[\"b\"]}]}", 0},
    {"{\"person\":{\"id\":\"8\"},\"person\":{\"id\":\"9\"},\"activities\":[]}", 0},
    {"{\"person\":{\"id\":\"a\\u4e2d\"},\"activities\":[{\"t\":\"x\\\"y\\n\"}]}", 0},
    {"{\"person\":{\"id\":\"10\"},\"activities\":[{\"t\":\"\\ud800\"}]}", 0},
    {"{\"person\":{\"id\":\"11\"},\"activities\":[{\"t\":\"\\u0000\"}]}", 0},
    {"{\"person\":{\"id\":\"12\"},\v\"activities\":[]}", 0},
    {"{\"person\":{\"id\":\"13\"},\"activities\":[{\"nested\":{\"a\":1}}]}", 0},
    {"{\"person\":{\"id\":\"14\"},\"activities\":[{\"list\":[1,2]}]}", 0},
    {"{\"person\":{\"id\":\"15\"},\"activities\":[{\"evidence\":[\"a\",1]}]}", 0},
    {"{\"person\":{\"id\":\"16\"},\"activities\":[{\"evidence\":null}]}", 0},
    {"{\"person\":{\"id\":\"17\"},\"activities\":[{\"evidence\":7}]}", 0},
    {"{\"person\":null,\"activities\":[{\"t\":\"x\"}]}", 0},
    {"{\"person\":{\"id\":\"18\"},\"activities\":null}", 0},
    {"{\"person\":{\"id\":\"19\"},\"activities\":{\"t\":1}}", 0},
    {"{\"person\":{\"id\":\"20\"},\"activities\":[1,null]}", 0},
    {"{\"person\":{\"id\":\"21\"},\"activities\":[],\"note\":\"other key\"}", 0},
    {"{\"people\":[{\"person\":{\"id\":\"22\"},\"activities\":[{\"t\":1}]}]}", 0},
    {"[{\"person\":{\"id\":\"23\"},\"activities\":[{\"t\":1}]}]", 0},
    {"{\"person\":{\"id\":\"24\"}}", 0},
    {"{\"person\":{\"id\":\"25\"},\"activities\":[{\"t\":1}]} {}", 0},
    {"{\"person\":{\"id\":\"26\"},\"activities\":[{\"t\":1,}]}", 0},
    {"{\"person\":{\"id\":\"27\"},\"activities\":[{\"n\":12345678901234567890}]}", 0},
    {"{\"person\":{\"id\":\"28\"},\"activities\":[{\"n\":1e400}]}", 0},
    {"{\"person\":{\"id\":\"29\"},\"activities\":[{\"n\":01}]}", 0},
    {"{\"person\":{\"id\":\"30\xff\"},\"activities\":[{\"t\":1}]}", 0},
    {"{\"person\":{\"id\":\"31\xed\xa0\x80\"},\"activities\":[{\"t\":1}]}", 0},
    {"{\"person\":{\"id\":\"32\xc0\xaf\"},\"activities\":[{\"t\":1}]}", 0},
    {"{\"person\":{\"id\":\"33\"},\"activities\":[{\"t\":\"tab\there\"}]}", 0},
    {"{\"person\":{\"id\":\"34\"},\"activities\":[{\"t\":1}]", 0},
    /* an unfinished token after the value (yajl waits for more input) */
    {"{\"person\":{\"id\":\"35\"},\"activities\":[{\"t\":1}]}\"", 0},
    {"{\"person\":{\"id\":\"36\"},\"activities\":[{\"t\":1}]} \"x}", 0},
    {"{\"person\":{\"id\":\"37\"},\"activities\":[{\"t\":1}]} 12", 0},
    {"{\"person\":{\"id\":\"38\"},\"activities\":[{\"t\":1}]}tru", 0},
    {"{\"person\":{\"id\":\"39\"},\"activities\":[{\"t\":1}]} \t\r", 1},
};

static void test_jsonl_fast_path(void **s)
{
    json_flat f = {0};
    size_t n = sizeof fast_lines / sizeof *fast_lines;
    for (size_t i = 0; i < n; i++) {
        const char *line = fast_lines[i].line;
        int got = json_flat_parse(&f, line, strlen(line));
        if (got != fast_lines[i].fast)
            fail_msg("json_flat_parse gave %d for: %s", got, line);
        t_both_ways(line, strlen(line));
    }
    /* an object of many keys is left to jansson (the repeated-key check
     * of the fast path compares each key with the earlier ones) */
    char many[4096] = "{\"person\":{\"id\":\"1\"},\"activities\":[{";
    for (int k = 0; k < 100; k++)
        sprintf(many + strlen(many), "%s\"k%d\":%d", k ? "," : "", k, k);
    strcat(many, "}]}");
    assert_int_equal(json_flat_parse(&f, many, strlen(many)), 0);
    t_both_ways(many, strlen(many));
    json_flat_free(&f);
    /* all of them in one file: indexes and lines run on across both paths */
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(fast_lines[i].line) + 1;
    char *all = malloc(total + 1), *p = all;
    assert_non_null(all);
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s\n", fast_lines[i].line);
    t_both_ways(all, total);
    free(all);
}

/* Random lines built from the pieces above (values, keys, shapes, bytes):
 * whatever each path makes of them, it is the same. */
static void test_jsonl_fast_path_random(void **s)
{
    /* the first 12 are what platforms write; the rest, one pick in eight */
    static const char *const values[] = {
        "\"文本\"", "\"x\"", "\"\"", "1", "-0", "2.5", "0.1", "1e2", "-7E-3", "true", "false", "null",
        "123456789012345678901", "1e999", "{}", "[]", "[\"a\",\"b\"]", "[1]", "\"\\u4e2d\"",
        "\"a\\\"b\"", "\"\xff\"", "\"\xe4\xb8\"", "01", "\"2022-05-10\""};
    static const char *const keys[] = {"\"id\"", "\"name\"", "\"evidence\"", "\"days\"", "\"\"",
                                       "\"kind\"", "\"键\"", "\"id\""};
    unsigned seed = 20261128;
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    size_t len = 0;
    for (int line = 0; line < 3000; line++) {
#define R(n) ((seed = seed * 1103515245u + 12345u) >> 16) % (n)
        char obj[2][512];
        for (int o = 0; o < 2; o++) {
            size_t m = 0;
            int nk = (int)R(5);
            m += (size_t)sprintf(obj[o] + m, "{");
            for (int k = 0; k < nk; k++) {
                const char *key = keys[R(sizeof keys / sizeof *keys)];
                const char *value =
                    R(8) ? values[R(12)] : values[12 + R(sizeof values / sizeof *values - 12)];
                m += (size_t)sprintf(obj[o] + m, "%s%s:%s", k ? "," : "", key, value);
            }
            sprintf(obj[o] + m, "}");
        }
        switch (R(6)) {
        case 0:
            len += (size_t)sprintf(buf + len, "{\"activities\":[%s,%s],\"person\":%s}\n", obj[0],
                                   obj[1], obj[1]);
            break;
        case 1:
            len += (size_t)sprintf(buf + len, "[{\"person\":%s,\"activities\":[%s]}]\n", obj[0],
                                   obj[1]);
            break;
        case 2:
            len += (size_t)sprintf(buf + len, "{\"person\":%s,\"activities\":[%s]%s\n", obj[0],
                                   obj[1], R(2) ? "}" : "");
            break;
        default:
            len += (size_t)sprintf(buf + len, "{\"person\":%s,\"activities\":[%s,%s]}\n", obj[0],
                                   obj[1], obj[0]);
            break;
        }
#undef R
    }
    /* both paths are exercised */
    json_flat f = {0};
    int fast = 0, lines = 0;
    for (char *p = buf, *nl; (nl = memchr(p, '\n', (size_t)(buf + len - p))) != NULL; p = nl + 1) {
        fast += json_flat_parse(&f, p, (size_t)(nl - p)) == 1;
        lines++;
    }
    json_flat_free(&f);
    assert_int_equal(lines, 3000);
    if (fast < 300 || fast > 2700)
        fail_msg("%d of 3000 lines on the fast path", fast);
    t_both_ways(buf, len);
    free(buf);
}

static void test_sniff(void **s)
{
    int (*sniff)(const unsigned char *, size_t) = xs_plugin_descriptor.sniff;
#define S(lit) sniff((const unsigned char *)(lit), sizeof(lit) - 1)
    assert_int_equal(S("{\"person\": {"), 95);
    assert_int_equal(S("\xEF\xBB\xBF \n{\"people\": ["), 95);
    assert_int_equal(S("{\"a\": 1}"), 70);
    assert_int_equal(S("[{\"person\""), 90);
    assert_int_equal(S("[1, 2]"), 40);
    assert_int_equal(S("id,name\n1,2\n"), 0);
    assert_int_equal(S(""), 0);
    assert_int_equal(S("   "), 0);
#undef S
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),
        cmocka_unit_test(test_example_person),
        cmocka_unit_test(test_example_people),
        cmocka_unit_test(test_top_level_array),
        cmocka_unit_test(test_value_types),
        cmocka_unit_test(test_evidence_forms),
        cmocka_unit_test(test_structure_errors),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_bom_and_depth),
        cmocka_unit_test(test_jsonl_stream),
        cmocka_unit_test(test_jsonl_bom_and_stop),
        cmocka_unit_test(test_json_named_lines),
        cmocka_unit_test(test_jsonl_long_line),
        cmocka_unit_test(test_name_not_utf8),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_jsonl_fast_path),
        cmocka_unit_test(test_jsonl_fast_path_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
