/*
 * Shared by the plugin tests (test_plugin_json.c, test_plugin_csv.c):
 * collect every record a plugin emits as deep copies, look values up, write
 * input files under XS_TEST_TMP_DIR. Define COLLECT_STOP_CODE (what emit
 * returns to stop) and COLLECT_PREFIX (temp file prefix) before including.
 */
#ifndef XS_PLUGIN_COLLECT_H
#define XS_PLUGIN_COLLECT_H
#pragma GCC diagnostic ignored "-Wunused-function"
typedef struct t_rec {
    size_t index, line;
    size_t nf;
    char **k, **v;
    size_t ne;
    char **ev;
    char *code, *err, *field;
} t_rec;

typedef struct t_col {
    t_rec *r;
    size_t n, cap;
    size_t stop_at; /* return COLLECT_STOP_CODE from emit after this many records (0: never) */
} t_col;

static char *t_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int t_emit(void *ctx, const xs_record *rec)
{
    t_col *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->r = realloc(c->r, c->cap * sizeof *c->r);
        assert_non_null(c->r);
    }
    t_rec *r = &c->r[c->n++];
    memset(r, 0, sizeof *r);
    r->index = rec->index;
    r->line = rec->line;
    r->nf = rec->nfields;
    r->k = calloc(r->nf + 1, sizeof *r->k);
    r->v = calloc(r->nf + 1, sizeof *r->v);
    for (size_t i = 0; i < r->nf; i++) {
        assert_non_null(rec->fields[i].key);
        assert_non_null(rec->fields[i].value);
        r->k[i] = t_dup(rec->fields[i].key);
        r->v[i] = t_dup(rec->fields[i].value);
    }
    r->ne = rec->nevidence;
    r->ev = calloc(r->ne + 1, sizeof *r->ev);
    for (size_t i = 0; i < r->ne; i++)
        r->ev[i] = t_dup(rec->evidence[i]);
    r->code = t_dup(rec->error_code);
    r->err = t_dup(rec->error);
    r->field = t_dup(rec->error_field);
    if (rec->error_code)
        assert_non_null(rec->error);
    return c->stop_at && c->n == c->stop_at ? COLLECT_STOP_CODE : 0;
}

static void t_free(t_col *c)
{
    for (size_t i = 0; i < c->n; i++) {
        t_rec *r = &c->r[i];
        for (size_t j = 0; j < r->nf; j++) {
            free(r->k[j]);
            free(r->v[j]);
        }
        for (size_t j = 0; j < r->ne; j++)
            free(r->ev[j]);
        free(r->k);
        free(r->v);
        free(r->ev);
        free(r->code);
        free(r->err);
        free(r->field);
    }
    free(c->r);
    memset(c, 0, sizeof *c);
}

/* Value of key in r, NULL when absent. */
static const char *t_get(const t_rec *r, const char *key)
{
    for (size_t i = 0; i < r->nf; i++)
        if (strcmp(r->k[i], key) == 0)
            return r->v[i];
    return NULL;
}

/* Writes data to a fresh file under XS_TEST_TMP_DIR; path in out. */
static void t_write(const char *name, const void *data, size_t n, char *out, size_t outlen)
{
    static int seq;
    mkdir(XS_TEST_TMP_DIR, 0755);
    snprintf(out, outlen, "%s/" COLLECT_PREFIX "-%d-%d-%s", XS_TEST_TMP_DIR, (int)getpid(), ++seq, name);
    FILE *f = fopen(out, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
#endif
