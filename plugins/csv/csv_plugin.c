/*
 * The csv input plugin: a header row, then one record per row, as Excel
 * writes it (UTF-8 with or without BOM, or GBK; CRLF; quoted fields holding
 * commas, quotes and newlines).
 *
 * The file streams through three stages, chunk by chunk, in bounded memory:
 *   fread (64 KiB) → csv_dec (→ UTF-8) → libcsv → one row → emit
 * Line numbers are counted from libcsv's callbacks: with CSV_REPALL_NL every
 * newline outside quotes reaches the row callback, and newlines inside a
 * quoted field are counted in the field's text.
 *
 * Reentrant: all state lives in one csv_ctx per call.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csv.h>

#include "csv_internal.h"
#include "../plugin_util.h"
#include "xueshi/plugin.h"

/* The limits can be set from the compiler's command line: the fuzzer builds
 * with tiny ones, so that short inputs reach the paths that enforce them. */
#ifndef CSV_CHUNK
#define CSV_CHUNK ((size_t)64 * 1024)
#endif
#ifndef CSV_FIELD_MAX
#define CSV_FIELD_MAX ((size_t)16 * 1024 * 1024) /* bytes in one cell */
#endif
#ifndef CSV_ROW_MAX
#define CSV_ROW_MAX ((size_t)64 * 1024 * 1024)   /* bytes kept for one row */
#endif
#ifndef CSV_COLS_MAX
#define CSV_COLS_MAX ((size_t)10000)             /* columns in the header */
#endif
/* libcsv's field buffer may grow to this and no further: a field of
 * CSV_FIELD_MAX + 1 bytes hits the limit (see csv_cap_realloc). */
#define CSV_ENTRY_MAX (CSV_FIELD_MAX + 2)

/* Why a row is a record error; the first reason found is kept. */
typedef enum csv_fault {
    CSV_FAULT_NONE,
    CSV_FAULT_ENCODING,     /* undecodable bytes in fault_col */
    CSV_FAULT_FIELD_BIG,    /* fault_col over CSV_FIELD_MAX */
    CSV_FAULT_ROW_BIG,      /* the row over CSV_ROW_MAX */
    CSV_FAULT_COLUMNS,      /* more non-empty cells than headers */
    CSV_FAULT_UNTERMINATED, /* the file ended inside fault_col's quotes */
} csv_fault;

typedef struct csv_cell {
    size_t off, len; /* in the row's arena, NUL-terminated */
} csv_cell;

typedef struct csv_row {
    int started;          /* a field of this row has been seen */
    size_t line;          /* physical line where the row starts */
    size_t ncells;        /* cells seen, kept or not */
    size_t last_nonempty; /* 1-based column of the last non-empty cell */
    csv_cell *cells;      /* the cells kept (at most the header's width) */
    size_t cells_cap;
    char *arena;
    size_t arena_len, arena_cap;
    csv_fault fault;
    size_t fault_col;
} csv_row;

typedef struct csv_ctx {
    char file[256]; /* basename as UTF-8, for messages */
    xs_emit_fn emit;
    void *emit_ctx;
    struct csv_parser p;
    csv_dec dec;
    int bom_done;
    /* Physical line of libcsv's position; term_cr: the last row ended on a
     * CR, so a LF right after it is the same line end. */
    size_t line;
    int term_cr;
    /* Newlines of the field being read whose text was dropped (too big). */
    size_t field_nl;
    int field_cr;
    /* The field being read lost its head to the cap: what libcsv hands over
     * is a tail, cut anywhere (even inside a character), never to be kept. */
    int field_cut;
    csv_row row;
    /* Header: its cells (trimmed) live in hdr_arena. */
    int have_header;
    csv_cell *hdr;
    char *hdr_arena;
    size_t nheaders; /* up to the last non-empty header */
    unsigned char *hdr_evidence;
    xs_field *fields;
    const char **evidence;
    size_t index; /* records emitted */
    int stop;     /* the emit callback's non-zero value */
    int fatal;    /* the file cannot be read: err is set */
    char *err;
    size_t errlen;
    char msg[768];
} csv_ctx;

static const char csv_invalid[] = "invalid_value";

static void csv_fail(csv_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void csv_fail(csv_ctx *c, const char *fmt, ...)
{
    c->fatal = 1;
    if (!c->err || !c->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    xs_utf8_fit(c->err);
}

static void csv_fail_oom(csv_ctx *c)
{
    csv_fail(c, "文件 %s：内存不足", c->file);
}

/* libcsv's buffer holds one field; capping it bounds the memory a huge field
 * can take. A constant cap keeps this free of shared state. */
static void *csv_cap_realloc(void *p, size_t n)
{
    return n > CSV_ENTRY_MAX ? NULL : realloc(p, n);
}

/* Newlines in s: CR, LF and CRLF each count once; *cr carries a CR that
 * ended the previous piece of the same text. */
static size_t csv_count_nl(const unsigned char *s, size_t n, int *cr)
{
    size_t nl = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r')
            nl++;
        else if (s[i] == '\n' && !*cr)
            nl++;
        *cr = s[i] == '\r';
    }
    return nl;
}

/* --- rows ------------------------------------------------------------------ */

static void csv_row_fault(csv_ctx *c, csv_fault f, size_t col)
{
    if (c->row.fault == CSV_FAULT_NONE) {
        c->row.fault = f;
        c->row.fault_col = col;
    }
}

static void csv_row_reset(csv_row *r)
{
    r->started = 0;
    r->ncells = r->last_nonempty = 0;
    r->arena_len = 0;
    r->fault = CSV_FAULT_NONE;
    r->fault_col = 0;
}

static void csv_row_free(csv_row *r)
{
    free(r->cells);
    free(r->arena);
    memset(r, 0, sizeof *r);
}

/* The text of a cell that a fault makes meaningless is not kept. */
static int csv_row_drops(const csv_row *r, size_t col)
{
    return r->fault_col == col &&
           (r->fault == CSV_FAULT_ENCODING || r->fault == CSV_FAULT_FIELD_BIG ||
            r->fault == CSV_FAULT_UNTERMINATED);
}

static void csv_row_add(csv_ctx *c, const char *s, size_t len, int cut)
{
    csv_row *r = &c->row;
    size_t col = r->ncells++;
    size_t limit = c->have_header ? c->nheaders : CSV_COLS_MAX;
    if (len > 0 || cut)
        r->last_nonempty = col + 1;
    if (len > CSV_FIELD_MAX || cut) /* over the cap (uncut: the file's last field) */
        csv_row_fault(c, CSV_FAULT_FIELD_BIG, col);
    if (cut)
        len = 0; /* even when an earlier fault of the row is the one reported */
    if (col >= limit) {
        if (!c->have_header)
            csv_row_fault(c, CSV_FAULT_COLUMNS, col);
        return; /* data rows: judged at the row's end */
    }
    if (csv_row_drops(r, col))
        len = 0;
    if (len + 1 > CSV_ROW_MAX - r->arena_len) {
        csv_row_fault(c, CSV_FAULT_ROW_BIG, col);
        len = 0;
    }
    if (xs_pu_grow((void **)&r->cells, &r->cells_cap, col + 1, sizeof *r->cells, 64) ||
        xs_pu_grow((void **)&r->arena, &r->arena_cap, r->arena_len + len + 1, 1, 64)) {
        csv_fail_oom(c);
        return;
    }
    r->cells[col].off = r->arena_len;
    r->cells[col].len = len;
    memcpy(r->arena + r->arena_len, s, len);
    r->arena[r->arena_len + len] = '\0';
    r->arena_len += len + 1;
}

/* --- header ---------------------------------------------------------------- */

static int csv_is_trim(const unsigned char *s, size_t n)
{
    if (n >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' || s[0] == '\n'))
        return 1;
    if (n >= 3 && s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80) /* U+3000 */
        return 3;
    return 0;
}

/* Trim white space (ASCII and the ideographic space) from both ends. */
static void csv_trim(char *arena, csv_cell *cell)
{
    unsigned char *s = (unsigned char *)arena + cell->off;
    size_t n = cell->len, k;
    while (n && (k = (size_t)csv_is_trim(s, n)) > 0)
        s += k, n -= k;
    for (;;) {
        if (n >= 1 && csv_is_trim(s + n - 1, 1))
            n--;
        else if (n >= 3 && csv_is_trim(s + n - 3, 3) == 3)
            n -= 3;
        else
            break;
    }
    cell->off = (size_t)((char *)s - arena);
    cell->len = n;
    arena[cell->off + n] = '\0';
}

static const char *csv_fault_what(csv_fault f)
{
    switch (f) {
    case CSV_FAULT_ENCODING: return "含有无法识别的字节";
    case CSV_FAULT_FIELD_BIG: return "有单元格超过 16 MiB";
    case CSV_FAULT_ROW_BIG: return "超过 64 MiB";
    case CSV_FAULT_COLUMNS: return "列数超过 10000";
    case CSV_FAULT_UNTERMINATED: return "引号没有闭合";
    default: return "无效";
    }
}

/* The first row with any text is the header. */
static void csv_take_header(csv_ctx *c)
{
    csv_row *r = &c->row;
    if (r->fault) {
        csv_fail(c, "文件 %s 第%zu行：表头%s", c->file, r->line, csv_fault_what(r->fault));
        return;
    }
    if (r->last_nonempty == 0)
        return;
    c->nheaders = 0;
    for (size_t i = 0; i < r->ncells; i++) {
        csv_trim(r->arena, &r->cells[i]);
        if (r->cells[i].len)
            c->nheaders = i + 1; /* trailing empty headers do not count */
    }
    if (c->nheaders == 0)
        return; /* only white space: not a header yet */
    c->hdr = r->cells;
    c->hdr_arena = r->arena;
    r->cells = NULL;
    r->arena = NULL;
    r->cells_cap = r->arena_cap = 0;
    c->hdr_evidence = calloc(c->nheaders, 1);
    c->fields = calloc(c->nheaders, sizeof *c->fields);
    c->evidence = calloc(c->nheaders, sizeof *c->evidence);
    if (!c->hdr_evidence || !c->fields || !c->evidence) {
        csv_fail_oom(c);
        return;
    }
    for (size_t i = 0; i < c->nheaders; i++) {
        const char *h = c->hdr_arena + c->hdr[i].off;
        c->hdr_evidence[i] = strcmp(h, "evidence") == 0 || strcmp(h, "材料") == 0;
    }
    c->have_header = 1;
}

/* --- records --------------------------------------------------------------- */

/* Name of column col for messages: its header, or "第K列". */
static const char *csv_col_name(const csv_ctx *c, size_t col, char *buf, size_t buflen)
{
    if (col < c->nheaders && c->hdr[col].len)
        return c->hdr_arena + c->hdr[col].off;
    snprintf(buf, buflen, "第%zu列", col + 1);
    return buf;
}

/* Fill the record's error from the row's fault. */
static void csv_describe_fault(csv_ctx *c, xs_record *rec)
{
    const csv_row *r = &c->row;
    char colbuf[32];
    const char *col = csv_col_name(c, r->fault_col, colbuf, sizeof colbuf);
    const char *field = r->fault_col < c->nheaders && c->hdr[r->fault_col].len ? col : NULL;
    int row_level = 0;
    switch (r->fault) {
    case CSV_FAULT_ENCODING:
        snprintf(c->msg, sizeof c->msg, "文件 %s 第%zu行：字段 %s 含有无法识别的字节（按 %s 读取）",
                 c->file, r->line, col, c->dec.enc == CSV_ENC_GB18030 ? "GB18030" : "UTF-8");
        break;
    case CSV_FAULT_FIELD_BIG:
        snprintf(c->msg, sizeof c->msg, "文件 %s 第%zu行：字段 %s 的内容超过 16 MiB", c->file,
                 r->line, col);
        break;
    case CSV_FAULT_UNTERMINATED:
        snprintf(c->msg, sizeof c->msg,
                 "文件 %s 第%zu行：字段 %s 的引号没有闭合（文件在引号内结束）", c->file, r->line,
                 col);
        break;
    case CSV_FAULT_ROW_BIG:
        snprintf(c->msg, sizeof c->msg, "文件 %s 第%zu行：该行内容超过 64 MiB", c->file, r->line);
        row_level = 1;
        break;
    default: /* CSV_FAULT_COLUMNS */
        snprintf(c->msg, sizeof c->msg, "文件 %s 第%zu行：列数(%zu)多于表头(%zu)", c->file, r->line,
                 r->last_nonempty, c->nheaders);
        row_level = 1;
        break;
    }
    xs_utf8_fit(c->msg);
    rec->error_code = csv_invalid;
    rec->error = c->msg;
    rec->error_field = row_level ? NULL : field;
}

static void csv_emit_row(csv_ctx *c)
{
    csv_row *r = &c->row;
    if (r->fault == CSV_FAULT_NONE && r->last_nonempty == 0)
        return; /* an empty row, e.g. ",,," */
    if (r->last_nonempty > c->nheaders)
        csv_row_fault(c, CSV_FAULT_COLUMNS, c->nheaders);

    xs_record rec = {.index = ++c->index, .line = r->line};
    size_t kept = r->ncells < c->nheaders ? r->ncells : c->nheaders;
    size_t nf = 0, ne = 0;
    for (size_t i = 0; i < kept; i++) {
        const char *v = r->arena + r->cells[i].off;
        if (!r->cells[i].len || !c->hdr[i].len)
            continue;
        if (c->hdr_evidence[i])
            c->evidence[ne++] = v;
        else {
            c->fields[nf].key = c->hdr_arena + c->hdr[i].off;
            c->fields[nf].value = v;
            nf++;
        }
    }
    rec.fields = c->fields;
    rec.nfields = nf;
    rec.evidence = c->evidence;
    rec.nevidence = ne;
    if (r->fault)
        csv_describe_fault(c, &rec);
    int rc = c->emit(c->emit_ctx, &rec);
    if (rc)
        c->stop = rc;
}

/* --- libcsv callbacks -------------------------------------------------------- */

static void csv_on_field(void *s, size_t len, void *data)
{
    csv_ctx *c = data;
    c->term_cr = 0;
    if (!c->row.started) {
        c->row.started = 1;
        c->row.line = c->line;
    }
    c->line += c->field_nl + csv_count_nl(s, len, &c->field_cr);
    c->field_nl = 0;
    c->field_cr = 0;
    int cut = c->field_cut;
    c->field_cut = 0;
    if (!c->stop && !c->fatal)
        csv_row_add(c, s, len, cut);
}

static void csv_on_row(int ch, void *data)
{
    csv_ctx *c = data;
    if (ch == '\r' || (ch == '\n' && !c->term_cr))
        c->line++;
    c->term_cr = ch == '\r';
    if (!c->row.started)
        return; /* a blank line */
    if (!c->stop && !c->fatal) {
        if (c->have_header)
            csv_emit_row(c);
        else
            csv_take_header(c);
    }
    csv_row_reset(&c->row);
}

/* libcsv stopped at its buffer cap in the middle of a field: the row is a
 * record error. Drop the field's text but keep parsing it, so that the row
 * still ends where libcsv says (libcsv has no "skip this field" call; it
 * returns short with CSV_ENOMEM and its state intact, and entry_buf,
 * entry_pos, spaces and status are public fields of struct csv_parser).
 * Only bytes libcsv will later take back off the end are kept: its trailing
 * spaces and the closing quote. */
static void csv_field_overflow(csv_ctx *c)
{
    struct csv_parser *p = &c->p;
    size_t spaces = p->spaces ? 1 : 0; /* only "some or none" matters to libcsv */
    size_t keep = spaces + 1 < p->entry_pos ? spaces + 1 : p->entry_pos;
    size_t drop = p->entry_pos - keep;
    if (drop == 0) { /* a real allocation failure, not the cap */
        csv_fail_oom(c);
        return;
    }
    c->field_nl += csv_count_nl(p->entry_buf, drop, &c->field_cr);
    memmove(p->entry_buf, p->entry_buf + drop, keep);
    p->entry_pos = keep;
    p->spaces = spaces;
    p->status = 0;
    c->field_cut = 1;
    csv_row_fault(c, CSV_FAULT_FIELD_BIG, c->row.ncells);
}

/* Give s[0..n) to libcsv. Returns non-zero to stop. */
static int csv_feed(csv_ctx *c, const char *s, size_t n)
{
    while (n > 0) {
        size_t used = csv_parse(&c->p, s, n, csv_on_field, csv_on_row, c);
        if (c->stop || c->fatal)
            return 1;
        if (used == n)
            break;
        if (csv_error(&c->p) != CSV_ENOMEM) {
            csv_fail(c, "文件 %s 第%zu行：CSV 解析失败（%s）", c->file, c->line,
                     csv_strerror(csv_error(&c->p)));
            return 1;
        }
        csv_field_overflow(c);
        if (c->fatal)
            return 1;
        s += used;
        n -= used;
    }
    return 0;
}

static int csv_sink_data(void *ctx, const char *s, size_t n)
{
    csv_ctx *c = ctx;
    if (!c->bom_done) {
        /* The decoder never cuts a character, so a BOM arrives whole. */
        c->bom_done = 1;
        if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3, n -= 3;
    }
    return csv_feed(c, s, n);
}

static int csv_sink_fault(void *ctx)
{
    csv_ctx *c = ctx;
    /* The bytes belong to the cell libcsv is reading or will read next. */
    csv_row_fault(c, CSV_FAULT_ENCODING, c->row.ncells);
    return 0;
}

/* --- file ------------------------------------------------------------------ */

/* Checks on the file's first bytes. Returns -1 (err set) to refuse it. */
static int csv_check_start(csv_ctx *c, const unsigned char *s, size_t n)
{
    if (n >= 2 && ((s[0] == 0xFF && s[1] == 0xFE) || (s[0] == 0xFE && s[1] == 0xFF))) {
        csv_fail(c, "文件 %s：文件编码为 UTF-16，请另存为 UTF-8 或 GBK", c->file);
        return -1;
    }
    if (memchr(s, 0, n)) {
        csv_fail(c, "文件 %s：不是文本文件（含有 NUL 字节），请另存为 CSV（UTF-8 或 GBK）", c->file);
        return -1;
    }
    return 0;
}

/* End of input: end an unfinished last row, and tell an unterminated quote
 * from a closed one (libcsv's csv_fini would accept both silently). */
static void csv_finish(csv_ctx *c)
{
    /* A newline ends a row in every state but inside quotes. */
    if (csv_feed(c, "\n", 1))
        return;
    if (c->p.quoted) {
        /* An unclosed quote swallows the rest of the file, which then often
         * exceeds the field cap: the quote is the cause to report. */
        if (c->row.fault == CSV_FAULT_FIELD_BIG && c->row.fault_col == c->row.ncells)
            c->row.fault = CSV_FAULT_NONE;
        csv_row_fault(c, CSV_FAULT_UNTERMINATED, c->row.ncells);
    }
    csv_fini(&c->p, csv_on_field, csv_on_row, c);
}

/* Read the whole file through the decoder into libcsv. The outcome is in
 * c (fatal, stop, have_header). */
static void csv_read(csv_ctx *c, FILE *f)
{
    const csv_dec_sink sink = {csv_sink_data, csv_sink_fault, c};
    unsigned char *buf = malloc(CSV_DEC_HEADROOM + CSV_CHUNK);
    int rc = 0, first = 1;
    size_t n;
    if (!buf) {
        csv_fail_oom(c);
        return;
    }
    while (!rc && (n = fread(buf + CSV_DEC_HEADROOM, 1, CSV_CHUNK, f)) > 0) {
        if (first && csv_check_start(c, buf + CSV_DEC_HEADROOM, n)) {
            free(buf);
            return;
        }
        first = 0;
        rc = csv_dec_feed(&c->dec, buf, n, &sink);
    }
    free(buf);
    if (!rc && ferror(f)) {
        csv_fail(c, "文件 %s 第%zu行附近：读取失败（%s）", c->file, c->line, strerror(errno));
        return;
    }
    if (!rc)
        rc = csv_dec_finish(&c->dec, &sink);
    if (rc < 0 && !c->fatal)
        csv_fail(c, "文件 %s：无法转换 GB18030 编码（%s）", c->file, strerror(errno));
    if (!rc)
        csv_finish(c);
}

static void csv_ctx_free(csv_ctx *c)
{
    csv_free(&c->p);
    csv_dec_free(&c->dec);
    csv_row_free(&c->row);
    free(c->hdr);
    free(c->hdr_arena);
    free(c->hdr_evidence);
    free(c->fields);
    free(c->evidence);
}

static int csv_parse_file(const char *path, xs_emit_fn emit, void *emit_ctx, char *err,
                          size_t errlen)
{
    csv_ctx c = {.emit = emit, .emit_ctx = emit_ctx, .err = err, .errlen = errlen, .line = 1};
    xs_pu_name_text(path, c.file, sizeof c.file);
    FILE *f = xs_pu_open(path);
    if (!f) {
        csv_fail(&c, "文件 %s：无法打开（%s）", c.file, 
                     errno == EINVAL ? "不是普通文件" : errno == ELOOP ? "是符号链接" : strerror(errno));
        return -1;
    }
    csv_dec_init(&c.dec);
    csv_init(&c.p, CSV_APPEND_NULL | CSV_REPALL_NL);
    csv_set_realloc_func(&c.p, csv_cap_realloc);
    csv_set_blk_size(&c.p, 64 * 1024);
    csv_read(&c, f);
    fclose(f);
    if (!c.fatal && !c.stop && !c.have_header)
        csv_fail(&c, "文件 %s：文件为空，没有表头", c.file);
    csv_ctx_free(&c);
    if (c.fatal)
        return -1;
    return c.stop;
}

/* --- sniff ------------------------------------------------------------------ */

static int csv_has(const unsigned char *h, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(h + i, needle, m) == 0)
            return 1;
    return 0;
}

/* A text whose first line has commas; our own headers make it certain. */
static int csv_sniff(const unsigned char *h, size_t n)
{
    size_t i = 0;
    if (memchr(h, 0, n))
        return 0;
    if (n >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF)
        i = 3;
    while (i < n && (h[i] == '\r' || h[i] == '\n' || h[i] == ' ' || h[i] == '\t'))
        i++;
    if (i == n || h[i] == '{' || h[i] == '[')
        return 0;
    const unsigned char *eol = memchr(h + i, '\n', n - i);
    size_t len = eol ? (size_t)(eol - (h + i)) : n - i;
    if (!memchr(h + i, ',', len))
        return 0;
    if (csv_has(h + i, len, "身份证号") || csv_has(h + i, len, "\xC9\xED\xB7\xDD\xD6\xA4\xBA\xC5") ||
        (len >= 3 && memcmp(h + i, "id,", 3) == 0))
        return 90;
    return 50;
}

static const char *const csv_extensions[] = {"csv", NULL};

const xs_plugin xs_plugin_descriptor = {
    .abi = XS_PLUGIN_ABI,
    .name = "csv",
    .description = "CSV 提交文件（表头 + 每行一条活动；UTF-8 或 GBK）",
    .extensions = csv_extensions,
    .sniff = csv_sniff,
    .parse = csv_parse_file,
};
