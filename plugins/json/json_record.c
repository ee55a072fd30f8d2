/*
 * Flattening one person + one activity into a flat record of (key, value)
 * strings. String values point into the jansson tree, which outlives the
 * emit call; numbers are rendered into slots reserved before the record is
 * built, so no pointer moves while the record is alive.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_internal.h"
#include "../plugin_util.h"

static const char json_rec_invalid[] = "invalid_value";

void json_rec_init(json_rec *r)
{
    memset(r, 0, sizeof *r);
}

void json_rec_free(json_rec *r)
{
    free(r->fields);
    free(r->evidence);
    free(r->num);
    json_rec_init(r);
}

int json_rec_begin(json_rec *r, size_t nfields, size_t nevidence)
{
    if (xs_pu_grow((void **)&r->fields, &r->fields_cap, nfields, sizeof *r->fields, 16) ||
        xs_pu_grow((void **)&r->num, &r->num_cap, nfields, sizeof *r->num, 16) ||
        xs_pu_grow((void **)&r->evidence, &r->evidence_cap, nevidence, sizeof *r->evidence, 16))
        return -1;
    r->nfields = r->nevidence = r->nnum = 0;
    r->error_code = r->error_field = NULL;
    r->error[0] = '\0';
    return 0;
}

/* "文件 a.jsonl 第5行（第3条记录）" or "文件 a.json 第3条记录". */
static void json_rec_where_text(const json_where *w, char *out, size_t outlen)
{
    if (w->whole_line)
        snprintf(out, outlen, "文件 %s 第%zu行", w->file, w->line);
    else if (w->line)
        snprintf(out, outlen, "文件 %s 第%zu行（第%zu条记录）", w->file, w->line, w->index);
    else
        snprintf(out, outlen, "文件 %s 第%zu条记录", w->file, w->index);
}

void json_rec_fail(json_rec *r, const char *code, const char *field, const json_where *w,
                   const char *fmt, ...)
{
    if (r->error_code)
        return; /* the first problem is the one reported */
    char where[384];
    char what[256];
    va_list ap;
    json_rec_where_text(w, where, sizeof where);
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    xs_utf8_fit(what);
    snprintf(r->error, sizeof r->error, "%s：%s", where, what);
    xs_utf8_fit(r->error);
    json_rec_clean(r->error);
    r->error_code = code;
    r->error_field = field;
}

void json_rec_name_text(const char *path, char *out, size_t outlen)
{
    xs_pu_name_text(path, out, outlen);
}

void json_rec_clean(char *s)
{
    unsigned char *u = (unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t len = xs_utf8_char_len(u + i, n - i);
        if (len == 1 && (u[i] < 0x20 || u[i] == 0x7f))
            len = 0;
        if (len) {
            i += len;
        } else {
            u[i++] = '?';
        }
    }
}


void json_rec_real_text(double d, char out[32])
{
    /* The shortest precision that reads back to the same double: 0.1 gives
     * "0.1" rather than %.17g's "0.10000000000000001". */
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, 32, "%.*g", prec, d);
        if (strtod(out, NULL) == d)
            break;
    }
    /* A locale with a decimal comma must not leak into the data. */
    for (char *p = out; *p; p++)
        if (*p == ',')
            *p = '.';
}

/* Decimal text of an integer without snprintf (a JSON Lines batch has one
 * or two numbers per record); LLONG_MIN too, through unsigned arithmetic. */
const char *json_rec_int_text(long long v, char *out, size_t outlen)
{
    char tmp[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[n++] = '-';
    size_t i = 0;
    while (n && i + 1 < outlen)
        out[i++] = tmp[--n];
    out[i] = '\0';
    return out;
}

/* Text of a scalar, NULL for null; *bad set when v is an object or array. */
static const char *json_rec_scalar(json_rec *r, json_t *v, int *bad)
{
    *bad = 0;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return json_string_value(v);
    case JSON_INTEGER:
        json_rec_int_text(json_integer_value(v), r->num[r->nnum], sizeof r->num[0]);
        return r->num[r->nnum++];
    case JSON_REAL:
        json_rec_real_text(json_real_value(v), r->num[r->nnum]);
        return r->num[r->nnum++];
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    case JSON_NULL:
        return NULL;
    default:
        *bad = 1;
        return NULL;
    }
}

size_t json_rec_evidence_count(json_t *obj)
{
    json_t *ev = json_is_object(obj) ? json_object_get(obj, "evidence") : NULL;
    if (json_is_array(ev))
        return json_array_size(ev);
    return ev ? 1 : 0;
}

static void json_rec_add_evidence(json_rec *r, const char *key, json_t *v, const json_where *w)
{
    if (json_is_null(v))
        return;
    if (json_is_string(v)) {
        r->evidence[r->nevidence++] = json_string_value(v);
        return;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (!json_is_string(e)) {
                json_rec_fail(r, json_rec_invalid, key, w,
                              "字段 %s 的第%zu项不是文本", key, i + 1);
                return;
            }
        }
        json_array_foreach(v, i, e) r->evidence[r->nevidence++] = json_string_value(e);
        return;
    }
    json_rec_fail(r, json_rec_invalid, key, w,
                  "字段 %s 的值类型不正确（应为文本或文本数组）", key);
}

void json_rec_add_object(json_rec *r, json_t *obj, const json_where *w)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        if (strcmp(key, "evidence") == 0) {
            json_rec_add_evidence(r, key, v, w);
            continue;
        }
        int bad;
        const char *text = json_rec_scalar(r, v, &bad);
        if (bad)
            json_rec_fail(r, json_rec_invalid, key, w, "字段 %s 的值类型不正确", key);
        else if (text) {
            r->fields[r->nfields].key = key;
            r->fields[r->nfields].value = text;
            r->nfields++;
        }
    }
}

void json_rec_view(const json_rec *r, const json_where *w, xs_record *out)
{
    memset(out, 0, sizeof *out);
    out->index = w->index;
    out->line = w->line;
    out->fields = r->fields;
    out->nfields = r->nfields;
    out->evidence = r->evidence;
    out->nevidence = r->nevidence;
    out->error_code = r->error_code;
    out->error = r->error_code ? r->error : NULL;
    out->error_field = r->error_field;
}
