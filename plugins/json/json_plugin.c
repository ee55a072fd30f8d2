/*
 * The json input plugin: *.json (one document: a person, {"people": […]} or
 * an array of persons) and *.jsonl (JSON Lines: one such document per line,
 * streamed). Every activity becomes one flat record holding its person's
 * keys followed by its own keys.
 *
 * Reentrant: all state lives in a json_ctx on the caller's stack.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <strings.h>

#include "json_internal.h"
#include "../plugin_util.h"

typedef struct json_ctx {
    char file[256]; /* basename as UTF-8, for messages */
    xs_emit_fn emit;
    void *emit_ctx;
    size_t index; /* records emitted so far */
    json_rec rec;
    json_flat flat; /* the line read without a tree (json_fast.c) */
    int oom;
} json_ctx;

static const char json_invalid[] = "invalid_value";
static const char json_shape_msg[] =
    "内容应为 {\"person\": {…}, \"activities\": […]}、{\"people\": […]} 或由这样的对象组成的数组";

static void json_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void json_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    xs_utf8_fit(err);
    json_rec_clean(err);
}

/* --- records --------------------------------------------------------------- */

static int json_emit(json_ctx *c, const json_where *w)
{
    xs_record rec;
    json_rec_view(&c->rec, w, &rec);
    return c->emit(c->emit_ctx, &rec);
}

/* Start the next record with the person's keys and the activity's keys
 * (either may be NULL). Returns -1 when memory runs out. */
static int json_start(json_ctx *c, json_t *person, json_t *act, size_t line, json_where *w)
{
    w->file = c->file;
    w->index = ++c->index;
    w->line = line;
    w->whole_line = 0;
    size_t nf = (json_is_object(person) ? json_object_size(person) : 0) +
                (json_is_object(act) ? json_object_size(act) : 0);
    size_t ne = json_rec_evidence_count(person) + json_rec_evidence_count(act);
    if (json_rec_begin(&c->rec, nf, ne)) {
        c->oom = 1;
        return -1;
    }
    if (json_is_object(person))
        json_rec_add_object(&c->rec, person, w);
    else if (person && !json_is_null(person))
        json_rec_fail(&c->rec, json_invalid, "person", w,
                      "字段 person 的值类型不正确（应为对象）");
    if (json_is_object(act))
        json_rec_add_object(&c->rec, act, w);
    return 0;
}

/* Emit one record that carries only a failure about a whole line. */
static int json_emit_line_error(json_ctx *c, size_t line, const char *what)
{
    json_where w = {c->file, ++c->index, line, 1};
    if (json_rec_begin(&c->rec, 0, 0)) {
        c->oom = 1;
        return -1;
    }
    json_rec_fail(&c->rec, json_invalid, NULL, &w, "%s", what);
    return json_emit(c, &w);
}

/* One {"person": …, "activities": […]} object: one record per activity. */
static int json_walk_entry(json_ctx *c, json_t *entry, size_t line)
{
    json_where w;
    json_t *person = json_is_object(entry) ? json_object_get(entry, "person") : NULL;
    json_t *acts = json_is_object(entry) ? json_object_get(entry, "activities") : NULL;

    if (!person && !acts) {
        if (json_start(c, NULL, NULL, line, &w))
            return -1;
        json_rec_fail(&c->rec, json_invalid, NULL, &w,
                      "不是 {\"person\": …, \"activities\": […]} 对象");
        return json_emit(c, &w);
    }
    if (!acts || json_is_null(acts))
        return 0; /* a person without activities has nothing to credit */
    if (!json_is_array(acts)) {
        if (json_start(c, person, NULL, line, &w))
            return -1;
        json_rec_fail(&c->rec, json_invalid, "activities", &w,
                      "字段 activities 的值类型不正确（应为数组）");
        return json_emit(c, &w);
    }
    size_t i;
    json_t *act;
    json_array_foreach(acts, i, act) {
        if (json_start(c, person, act, line, &w))
            return -1;
        if (!json_is_object(act))
            json_rec_fail(&c->rec, json_invalid, "activities", &w,
                          "activities 的第%zu项不是对象", i + 1);
        int rc = json_emit(c, &w);
        if (rc)
            return rc;
    }
    return 0;
}

/* A document: a person, {"people": […]} or an array of persons. *shape_bad
 * is set (and nothing emitted) when it is none of these. */
static int json_walk_doc(json_ctx *c, json_t *doc, size_t line, int *shape_bad)
{
    json_t *list = doc;
    *shape_bad = 0;
    if (json_is_object(doc)) {
        list = json_object_get(doc, "people");
        if (!list) {
            if (!json_object_get(doc, "person") && !json_object_get(doc, "activities")) {
                *shape_bad = 1;
                return 0;
            }
            return json_walk_entry(c, doc, line);
        }
    }
    if (!json_is_array(list)) {
        *shape_bad = 1;
        return 0;
    }
    size_t i;
    json_t *entry;
    json_array_foreach(list, i, entry) {
        int rc = json_walk_entry(c, entry, line);
        if (rc)
            return rc;
    }
    return 0;
}

/* --- JSON Lines ----------------------------------------------------------------- */

static int json_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

/* One object of a line json_flat_parse read into the record: its fields
 * (a null one left out, as json_rec_add_object does) and its evidence. */
static void json_add_flat(json_rec *r, const json_flat *f, const json_flat_obj *o)
{
    for (size_t k = o->kv; k < o->kv + o->nkv; k++) {
        if (f->kv[k].value == JSON_FLAT_NULL)
            continue;
        r->fields[r->nfields].key = f->arena + f->kv[k].key;
        r->fields[r->nfields].value = f->arena + f->kv[k].value;
        r->nfields++;
    }
    for (size_t k = o->ev; k < o->ev + o->nev; k++)
        r->evidence[r->nevidence++] = f->arena + f->ev[k];
}

/* The records of such a line: the person's keys, then each activity's, as
 * json_start builds them from a tree. */
static int json_emit_flat(json_ctx *c, size_t line)
{
    const json_flat *f = &c->flat;
    for (size_t i = 0; i < f->nacts; i++) {
        const json_flat_obj *a = &f->acts[i];
        json_where w = {c->file, ++c->index, line, 0};
        if (json_rec_begin(&c->rec, f->person.nkv + a->nkv, f->person.nev + a->nev)) {
            c->oom = 1;
            return -1;
        }
        json_add_flat(&c->rec, f, &f->person);
        json_add_flat(&c->rec, f, a);
        int rc = json_emit(c, &w);
        if (rc)
            return rc;
    }
    return 0;
}

static int json_parse_line(json_ctx *c, const json_lines *r)
{
    int fast = json_flat_parse(&c->flat, r->line, r->len);
    if (fast < 0) {
        c->oom = 1;
        return -1;
    }
    if (fast)
        return json_emit_flat(c, r->lineno);
    char what[384];
    json_error_t e;
    json_t *doc = json_loadb(r->line, r->len, 0, &e);
    if (!doc) {
        snprintf(what, sizeof what, "JSON 语法错误：%s（第%d列）", e.text, e.column);
        return json_emit_line_error(c, r->lineno, what);
    }
    int shape_bad;
    int rc = json_walk_doc(c, doc, r->lineno, &shape_bad);
    json_decref(doc);
    if (!rc && shape_bad)
        rc = json_emit_line_error(c, r->lineno, json_shape_msg);
    return rc;
}

static int json_parse_lines(json_ctx *c, FILE *f, char *err, size_t errlen)
{
    json_lines r;
    int got, rc = 0;
    if (json_lines_init(&r, f)) {
        json_lines_free(&r);
        json_set_err(err, errlen, "文件 %s：内存不足", c->file);
        return -1;
    }
    while (!rc && (got = json_lines_next(&r)) == 1) {
        if (r.too_long)
            rc = json_emit_line_error(c, r.lineno, "该行超过 64 MiB，已跳过");
        else if (!json_blank(r.line, r.len))
            rc = json_parse_line(c, &r);
    }
    if (!rc && got < 0) {
        json_set_err(err, errlen, "文件 %s 第%zu行之后：读取失败（%s）", c->file, r.lineno,
                     strerror(errno));
        rc = -1;
    }
    json_lines_free(&r);
    if (c->oom) {
        json_set_err(err, errlen, "文件 %s：内存不足", c->file);
        rc = -1;
    }
    return rc;
}

/* --- whole-file JSON -------------------------------------------------------- */

static void json_skip_bom(FILE *f)
{
    unsigned char b[3];
    size_t n = fread(b, 1, 3, f);
    if (!(n == 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF))
        rewind(f);
}

/* A .json file that fails with "end of file expected" may be JSON Lines
 * under the wrong extension: it is when its first non-blank line is a whole
 * JSON document by itself. */
static int json_looks_like_lines(FILE *f)
{
    json_lines r;
    int yes = 0;
    rewind(f);
    if (json_lines_init(&r, f) == 0) {
        while (json_lines_next(&r) == 1) {
            if (r.too_long)
                break;
            if (json_blank(r.line, r.len))
                continue;
            json_t *doc = json_loadb(r.line, r.len, 0, NULL);
            yes = doc != NULL;
            json_decref(doc);
            break;
        }
    }
    json_lines_free(&r);
    rewind(f);
    return yes;
}

static int json_parse_whole(json_ctx *c, FILE *f, char *err, size_t errlen)
{
    json_error_t e;
    json_skip_bom(f);
    json_t *doc = json_loadf(f, 0, &e);
    if (!doc) {
        if (json_error_code(&e) == json_error_end_of_input_expected && json_looks_like_lines(f))
            return json_parse_lines(c, f, err, errlen);
        if (e.line > 0)
            json_set_err(err, errlen, "文件 %s 第%d行第%d列：JSON 语法错误：%s", c->file,
                         e.line, e.column, e.text);
        else
            json_set_err(err, errlen, "文件 %s：JSON 语法错误：%s", c->file, e.text);
        return -1;
    }
    int shape_bad;
    int rc = json_walk_doc(c, doc, 0, &shape_bad);
    json_decref(doc);
    if (c->oom) {
        json_set_err(err, errlen, "文件 %s：内存不足", c->file);
        return -1;
    }
    if (shape_bad) {
        json_set_err(err, errlen, "文件 %s：%s", c->file, json_shape_msg);
        return -1;
    }
    return rc;
}

/* --- descriptor ------------------------------------------------------------ */

static int json_has_suffix(const char *path, const char *suffix)
{
    size_t n = strlen(path), m = strlen(suffix);
    return n >= m && strcasecmp(path + n - m, suffix) == 0;
}

/* UTF-16 (what Windows Notepad calls "Unicode"): a BOM, or ASCII with
 * NULs between. jansson would only say "unable to decode byte 0xff". */
static int json_utf16(FILE *f)
{
    unsigned char b[2];
    size_t n = fread(b, 1, 2, f);
    rewind(f);
    if (n < 2)
        return 0;
    return (b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF) ||
           (b[0] == 0 && b[1] != 0) || (b[0] != 0 && b[1] == 0);
}

static int json_parse(const char *path, xs_emit_fn emit, void *emit_ctx, char *err,
                      size_t errlen)
{
    json_ctx c = {.emit = emit, .emit_ctx = emit_ctx};
    json_rec_name_text(path, c.file, sizeof c.file);
    FILE *f = xs_pu_open(path);
    if (!f) {
        json_set_err(err, errlen, "文件 %s：无法打开（%s）", c.file, 
                     errno == EINVAL ? "不是普通文件" : errno == ELOOP ? "是符号链接" : strerror(errno));
        return -1;
    }
    if (json_utf16(f)) {
        json_set_err(err, errlen, "文件 %s：文件编码为 UTF-16，请另存为 UTF-8", c.file);
        fclose(f);
        return -1;
    }
    json_rec_init(&c.rec);
    int rc = json_has_suffix(path, ".jsonl") ? json_parse_lines(&c, f, err, errlen)
                                             : json_parse_whole(&c, f, err, errlen);
    json_rec_free(&c.rec);
    json_flat_free(&c.flat);
    fclose(f);
    return rc;
}

static int json_contains(const unsigned char *h, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(h + i, needle, m) == 0)
            return 1;
    return 0;
}

/* A document starts with { or [ (after a BOM and white space); our keys in
 * the first bytes make it certain. */
static int json_sniff(const unsigned char *h, size_t n)
{
    size_t i = 0;
    if (n >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF)
        i = 3;
    while (i < n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\r' || h[i] == '\n'))
        i++;
    if (i == n || (h[i] != '{' && h[i] != '['))
        return 0;
    int ours = json_contains(h, n, "\"person\"") || json_contains(h, n, "\"people\"") ||
               json_contains(h, n, "\"activities\"");
    if (h[i] == '{')
        return ours ? 95 : 70;
    return ours ? 90 : 40;
}

static const char *const json_extensions[] = {"json", "jsonl", NULL};

const xs_plugin xs_plugin_descriptor = {
    .abi = XS_PLUGIN_ABI,
    .name = "json",
    .description = "JSON 与 JSON Lines 提交文件（person + activities）",
    .extensions = json_extensions,
    .sniff = json_sniff,
    .parse = json_parse,
};
