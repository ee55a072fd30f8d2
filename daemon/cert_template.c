#define _GNU_SOURCE
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cert_template.h"

#define CERT_TEMPLATE_MAX (1024 * 1024)

typedef struct cert_entry {
    char *key;
    char *value;         /* scalar, or NULL for a list */
    cert_vars **items;   /* list */
    size_t nitems, cap;
} cert_entry;

struct cert_vars {
    const cert_vars *parent;
    cert_entry *e;
    size_t n, cap;
};

cert_vars *cert_vars_new(void)
{
    return calloc(1, sizeof(cert_vars));
}

void cert_vars_free(cert_vars *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        free(v->e[i].key);
        free(v->e[i].value);
        for (size_t j = 0; j < v->e[i].nitems; j++)
            cert_vars_free(v->e[i].items[j]);
        free(v->e[i].items);
    }
    free(v->e);
    free(v);
}

static cert_entry *find_own(const cert_vars *v, const char *key, size_t keylen)
{
    for (size_t i = 0; i < v->n; i++)
        if (strlen(v->e[i].key) == keylen && !memcmp(v->e[i].key, key, keylen))
            return &v->e[i];
    return NULL;
}

static cert_entry *entry(cert_vars *v, const char *key)
{
    cert_entry *e = find_own(v, key, strlen(key));
    if (e)
        return e;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        cert_entry *ne = realloc(v->e, cap * sizeof *ne);
        if (!ne)
            return NULL;
        v->e = ne;
        v->cap = cap;
    }
    e = &v->e[v->n];
    memset(e, 0, sizeof *e);
    if (!(e->key = strdup(key)))
        return NULL;
    v->n++;
    return e;
}

int cert_vars_set(cert_vars *v, const char *key, const char *value)
{
    cert_entry *e = entry(v, key);
    char *copy = strdup(value ? value : "");
    if (!e || !copy) {
        free(copy);
        return -1;
    }
    free(e->value);
    e->value = copy;
    return 0;
}

int cert_vars_setf(cert_vars *v, const char *key, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    int rc = cert_vars_set(v, key, s);
    free(s);
    return rc;
}

int cert_vars_list(cert_vars *v, const char *key)
{
    cert_entry *e = entry(v, key);
    if (!e)
        return -1;
    free(e->value);
    e->value = NULL;
    return 0;
}

cert_vars *cert_vars_add(cert_vars *v, const char *key)
{
    if (cert_vars_list(v, key) != 0)
        return NULL;
    cert_entry *e = find_own(v, key, strlen(key));
    if (e->nitems == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 8;
        cert_vars **ni = realloc(e->items, cap * sizeof *ni);
        if (!ni)
            return NULL;
        e->items = ni;
        e->cap = cap;
    }
    cert_vars *item = cert_vars_new();
    if (!item)
        return NULL;
    item->parent = v;
    e->items[e->nitems++] = item;
    return item;
}

/* --- rendering ----------------------------------------------------------- */

typedef struct render_ctx {
    const char *base; /* the whole template, for line numbers */
    cert_buf *out;
    char *err;
    size_t errlen;
} render_ctx;

static const cert_entry *lookup(const cert_vars *v, const char *key, size_t len)
{
    for (; v; v = v->parent) {
        const cert_entry *e = find_own(v, key, len);
        if (e)
            return e;
    }
    return NULL;
}

static int fail(render_ctx *c, const char *at, const char *fmt, const char *name, size_t len)
{
    int line = 1;
    for (const char *p = c->base; p < at; p++)
        line += *p == '\n';
    char what[256];
    snprintf(what, sizeof what, fmt, (int)len, name);
    snprintf(c->err, c->errlen, "模板第%d行：%s", line, what);
    return -1;
}

typedef struct tag {
    const char *start, *end; /* "{{" … past "}}" */
    char sigil;              /* 0, '#', '^', '/', '!' */
    const char *name;
    size_t len;
} tag;

/* The next tag at or after p (before end); 0 when none, -1 unclosed. */
static int next_tag(const char *p, const char *end, tag *t)
{
    const char *open = NULL;
    for (const char *q = p; q + 1 < end; q++)
        if (q[0] == '{' && q[1] == '{') {
            open = q;
            break;
        }
    if (!open)
        return 0;
    const char *close = NULL;
    for (const char *q = open + 2; q + 1 < end; q++)
        if (q[0] == '}' && q[1] == '}') {
            close = q;
            break;
        }
    t->start = open;
    if (!close)
        return -1;
    t->end = close + 2;
    const char *n = open + 2;
    while (n < close && (*n == ' ' || *n == '\t'))
        n++;
    t->sigil = (n < close && strchr("#^/!", *n)) ? *n++ : 0;
    while (n < close && (*n == ' ' || *n == '\t'))
        n++;
    const char *ne = close;
    while (ne > n && (ne[-1] == ' ' || ne[-1] == '\t'))
        ne--;
    t->name = n;
    t->len = (size_t)(ne - n);
    return 1;
}

/* The {{/name}} closing the section opened just before p. */
static int find_close(render_ctx *c, const tag *open, const char *end, tag *close)
{
    int depth = 0;
    const char *p = open->end;
    tag t;
    int r;
    while ((r = next_tag(p, end, &t)) == 1) {
        if (t.sigil == '#' || t.sigil == '^')
            depth++;
        else if (t.sigil == '/') {
            if (depth == 0) {
                if (t.len != open->len || memcmp(t.name, open->name, t.len))
                    return fail(c, t.start, "{{/%.*s}} 与开始标记不匹配", t.name, t.len);
                *close = t;
                return 0;
            }
            depth--;
        }
        p = t.end;
    }
    if (r < 0)
        return fail(c, t.start, "标记没有闭合“}}”%.*s", "", 0);
    return fail(c, open->start, "{{#%.*s}} 没有对应的结束标记", open->name, open->len);
}

static int render_range(render_ctx *c, const char *p, const char *end, const cert_vars *v)
{
    tag t;
    int r;
    while ((r = next_tag(p, end, &t)) == 1) {
        cert_buf_append(c->out, p, (size_t)(t.start - p));
        p = t.end;
        if (t.sigil == '!')
            continue;
        if (t.len == 0)
            return fail(c, t.start, "空的标记%.*s", "", 0);
        if (t.sigil == '/')
            return fail(c, t.start, "多余的结束标记 {{/%.*s}}", t.name, t.len);
        const cert_entry *e = lookup(v, t.name, t.len);
        if (!e)
            return fail(c, t.start, "未知的名称「%.*s」", t.name, t.len);
        if (t.sigil == 0) {
            if (!e->value)
                return fail(c, t.start, "「%.*s」是列表，应写成 {{#…}}…{{/…}}", t.name, t.len);
            cert_buf_html(c->out, e->value);
            continue;
        }
        tag close;
        if (find_close(c, &t, end, &close) != 0)
            return -1;
        int empty = e->value ? e->value[0] == '\0' : e->nitems == 0;
        if (t.sigil == '^') {
            if (empty && render_range(c, t.end, close.start, v) != 0)
                return -1;
        } else if (e->value) {
            if (!empty && render_range(c, t.end, close.start, v) != 0)
                return -1;
        } else {
            for (size_t i = 0; i < e->nitems; i++)
                if (render_range(c, t.end, close.start, e->items[i]) != 0)
                    return -1;
        }
        p = close.end;
    }
    if (r < 0)
        return fail(c, t.start, "标记没有闭合“}}”%.*s", "", 0);
    cert_buf_append(c->out, p, (size_t)(end - p));
    return 0;
}

int cert_render(const char *tmpl, const cert_vars *v, cert_buf *out, char *err, size_t errlen)
{
    render_ctx c = {.base = tmpl, .out = out, .err = err, .errlen = errlen};
    if (render_range(&c, tmpl, tmpl + strlen(tmpl), v) != 0)
        return -1;
    if (cert_buf_failed(out)) {
        snprintf(err, errlen, "内存不足");
        return -1;
    }
    return 0;
}

/* --- finding and reading a template -------------------------------------- */

/* YYYY when name is "<base>-YYYY.html", else 0. */
static int template_year(const char *name, const char *base)
{
    size_t bl = strlen(base);
    if (strncmp(name, base, bl) || name[bl] != '-')
        return 0;
    const char *y = name + bl + 1;
    for (int i = 0; i < 4; i++)
        if (y[i] < '0' || y[i] > '9')
            return 0;
    if (strcmp(y + 4, ".html"))
        return 0;
    return atoi(y);
}

int cert_template_load(const char *rules_dir, const char *base, int year, char **text,
                       char *path, size_t pathlen, char *err, size_t errlen)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/templates", rules_dir);
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "没有模板目录 %s", dir);
        return -1;
    }
    int best_before = 0, best_after = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        int y = template_year(de->d_name, base);
        if (!y)
            continue;
        if (y <= year && y > best_before)
            best_before = y;
        if (y > year && (!best_after || y < best_after))
            best_after = y;
    }
    closedir(d);
    int y = best_before ? best_before : best_after;
    if (!y) {
        snprintf(err, errlen, "%s 中没有 %s-YYYY.html 模板", dir, base);
        return -1;
    }
    snprintf(path, pathlen, "%s/%s-%d.html", dir, base, y);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "无法读取模板 %s", path);
        return -1;
    }
    char *buf = malloc(CERT_TEMPLATE_MAX + 1);
    size_t n = buf ? fread(buf, 1, CERT_TEMPLATE_MAX + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad || n > CERT_TEMPLATE_MAX) {
        free(buf);
        snprintf(err, errlen, "模板 %s 无法读取或大于1MiB", path);
        return -1;
    }
    buf[n] = '\0';
    if (strlen(buf) != n) {
        free(buf);
        snprintf(err, errlen, "模板 %s 含有NUL字节", path);
        return -1;
    }
    *text = buf;
    return 0;
}
