/*
 * record_normalise: a plugin's raw record → a typed, canonical activity.
 *
 * Checks here are the ones that do not change with the year (SPEC §3): the
 * ID check digit, required identity fields, real dates not in the future,
 * whole numbers, booleans, known kinds. Everything that depends on the year
 * (what a kind needs, what it is worth) is left to the policy.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record.h"
#include <xueshi/utf8.h>

/* ---- IDs (GB 11643) ---------------------------------------------------- */

char record_id_check_digit(const char *first17)
{
    static const int weight[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (first17[i] < '0' || first17[i] > '9')
            return 0;
        sum += (first17[i] - '0') * weight[i];
    }
    return "10X98765432"[sum % 11];
}

int record_id_valid(const char *id, char norm[19])
{
    if (!id || strlen(id) != 18)
        return 0;
    char check = record_id_check_digit(id);
    char last = id[17] == 'x' ? 'X' : id[17];
    if (!check || last != check)
        return 0;
    if (norm) {
        memcpy(norm, id, 17);
        norm[17] = last;
        norm[18] = '\0';
    }
    return 1;
}

void record_id_mask(const char *id, char out[19])
{
    size_t n = id ? strlen(id) : 0;
    if (n != 18) {
        snprintf(out, 19, "%s", n ? "**invalid-id**" : "-");
        return;
    }
    memcpy(out, id, 6);
    memset(out + 6, '*', 8);
    memcpy(out + 14, id + 14, 4);
    out[18] = '\0';
}

/* ---- dates --------------------------------------------------------------- */

/* Howard Hinnant's days_from_civil: proleptic Gregorian, no tables. */
long long record_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

void record_civil_from_days(long long z, int *y, int *m, int *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long yy = (long long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

static int month_days(int y, int m)
{
    static const int n[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : n[m - 1];
}

/* Reads a run of 1..maxd digits. */
static int read_num(const char **s, int maxd, int *out)
{
    int v = 0, n = 0;
    while (n < maxd && **s >= '0' && **s <= '9') {
        v = v * 10 + (**s - '0');
        (*s)++;
        n++;
    }
    *out = v;
    return n;
}

/* YYYY-MM-DD; Excel's 2022/5/10 and 2022.5.10 are accepted too, since that is
 * what a spreadsheet makes of a typed date. */
int record_parse_date(const char *s, int *y, int *m, int *d)
{
    int yy, mm, dd;
    if (!s || read_num(&s, 4, &yy) != 4)
        return 0;
    char sep = *s;
    if (sep != '-' && sep != '/' && sep != '.')
        return 0;
    s++;
    if (read_num(&s, 2, &mm) < 1 || *s != sep)
        return 0;
    s++;
    if (read_num(&s, 2, &dd) < 1 || *s != '\0')
        return 0;
    if (yy < 1900 || mm < 1 || mm > 12 || dd < 1 || dd > month_days(yy, mm))
        return 0;
    *y = yy, *m = mm, *d = dd;
    return 1;
}

/* ---- normalisation ------------------------------------------------------- */

/* "YYYY-MM-DD" of a date record_parse_date accepted (a four-digit year),
 * without snprintf: it runs for every date of every record, and snprintf
 * cost 1 % of an ingest's instructions. */
static void format_date(char out[11], int y, int m, int d)
{
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
}

static char *arena_put(activity *a, const char *s, size_t n)
{
    if (a->arena_used + n + 1 > sizeof a->arena)
        return NULL;
    char *p = a->arena + a->arena_used;
    memcpy(p, s, n);
    p[n] = '\0';
    a->arena_used += n + 1;
    return p;
}

/* ASCII white space, and the separators 0x1c..0x1f (white space to
 * Python's strip() too): record_payload_write stores 0x1e/0x1f as spaces,
 * so a record read back from its payload must trim the same way. */
static int blank(unsigned char c)
{
    return isspace(c) || (c >= 0x1c && c <= 0x1f);
}

/* Trim ASCII blanks and the ideographic space U+3000 that Chinese input
 * methods leave around cells. */
static void trim(const char **s, size_t *n)
{
    const char *p = *s;
    size_t len = *n;
    for (;;) {
        if (len && blank((unsigned char)*p)) p++, len--;
        else if (len >= 3 && memcmp(p, "\xe3\x80\x80", 3) == 0) p += 3, len -= 3; /* U+3000 */
        else break;
    }
    for (;;) {
        if (len && blank((unsigned char)p[len - 1])) len--;
        else if (len >= 3 && memcmp(p + len - 3, "\xe3\x80\x80", 3) == 0) len -= 3;
        else break;
    }
    *s = p;
    *n = len;
}

static void reject(activity *a, const char *code, record_field f, const char *fmt, ...)
{
    if (a->reason_code)
        return; /* the first problem is the one reported */
    a->reason_code = code;
    int n = 0;
    if (a->line)
        n = snprintf(a->reason, sizeof a->reason, "第%zu条记录(第%zu行)：", a->index, a->line);
    else
        n = snprintf(a->reason, sizeof a->reason, "第%zu条记录：", a->index);
    if (n < 0 || (size_t)n >= sizeof a->reason)
        n = 0;
    if ((int)f >= 0) {
        int m = snprintf(a->reason + n, sizeof a->reason - n, "字段「%s」(%s)",
                         record_field_zh(f), record_field_key(f));
        if (m > 0 && (size_t)(n + m) < sizeof a->reason) n += m;
        snprintf(a->field, sizeof a->field, "%s", record_field_key(f));
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->reason + n, sizeof a->reason - n, fmt, ap);
    va_end(ap);
    /* A long value quoted in the message may be cut mid-character; the
     * reason goes into JSON receipts (found by the fuzzer). */
    xs_utf8_fit(a->reason);
}

/* Splits one evidence entry on ; ； 、 | into the evidence list. */
static void split_evidence(activity *a, const char *s)
{
    while (*s) {
        const char *end = s;
        size_t seplen = 0;
        while (*end) {
            if (*end == ';' || *end == '|') { seplen = 1; break; }
            /* ； and 、 — compared byte by byte: end may be the last byte. */
            if ((end[0] == '\xef' && end[1] == '\xbc' && end[2] == '\x9b') ||
                (end[0] == '\xe3' && end[1] == '\x80' && end[2] == '\x81')) {
                seplen = 3;
                break;
            }
            end++;
        }
        const char *p = s;
        size_t n = (size_t)(end - s);
        trim(&p, &n);
        if (n) {
            if (a->nevidence >= RECORD_MAX_EVIDENCE) {
                reject(a, "invalid_value", -1, "材料(evidence)超过%d项", RECORD_MAX_EVIDENCE);
                return;
            }
            const char *copy = arena_put(a, p, n);
            if (!copy) {
                reject(a, "invalid_value", -1, "记录过长");
                return;
            }
            a->evidence[a->nevidence++] = copy;
        }
        s = end + seplen;
    }
}

/* Whole number ≥ 0; "2.0" as Excel may write it is accepted. */
static int parse_whole(const char *s, long long *out)
{
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || errno || v != v || v < 0 || v > 1e9 || v != (double)(long long)v)
        return 0;
    *out = (long long)v;
    return 1;
}

static void set_value(activity *a, record_field f, const char *text)
{
    record_value *v = &a->f[f];
    v->present = 1;
    v->text = text;
    switch (record_field_type(f)) {
    case RT_ENUM: {
        const char *c = record_enum_canonical(f, text);
        if (c)
            v->text = c;
        if (f == RF_KIND) {
            a->kind_name = text;
            if (!c)
                reject(a, "unknown_kind", f, "「%s」不是可认定的继续教育形式", text);
        }
        break;
    }
    case RT_INT:
        if (!parse_whole(text, &v->i))
            reject(a, "invalid_value", f, "应为不小于0的整数，实为「%s」", text);
        v->n = (double)v->i;
        break;
    case RT_NUMBER: {
        char *end;
        errno = 0;
        v->n = strtod(text, &end);
        if (end == text || *end || errno || v->n != v->n || v->n < 0 || v->n > 1e6)
            reject(a, "invalid_value", f, "应为不小于0的数，实为「%s」", text);
        break;
    }
    case RT_BOOL: {
        int b = 0;
        if (!record_bool_parse(text, &b))
            reject(a, "invalid_value", f, "应为是/否(true/false)，实为「%s」", text);
        v->i = b;
        v->text = b ? "true" : "false";
        break;
    }
    case RT_DATE: {
        int y, m, d;
        if (!record_parse_date(text, &y, &m, &d)) {
            reject(a, "invalid_value", f, "不是有效日期(应为YYYY-MM-DD)：「%s」", text);
            break;
        }
        char buf[11];
        format_date(buf, y, m, d);
        const char *c = arena_put(a, buf, 10);
        if (c)
            v->text = c;
        v->i = record_days_from_civil(y, m, d);
        break;
    }
    case RT_TEXT:
        break;
    }
}

int record_normalise(const xs_record *raw, const char *today, activity *a)
{
    if (!a)
        return -1;
    memset(a, 0, offsetof(activity, arena));
    a->arena_used = 0;
    a->index = raw->index;
    a->line = raw->line;

    if (raw->error_code) {
        /* The plugin could not read this record at all. */
        a->reason_code = raw->error_code;
        snprintf(a->reason, sizeof a->reason, "%s", raw->error ? raw->error : "记录无法解析");
        xs_utf8_fit(a->reason); /* a plugin's message may be longer */
        snprintf(a->field, sizeof a->field, "%s", raw->error_field ? raw->error_field : "");
    }

    for (size_t i = 0; i < raw->nfields; i++) {
        const char *k = raw->fields[i].key, *val = raw->fields[i].value;
        size_t kn = strlen(k), n = strlen(val);
        trim(&k, &kn);
        trim(&val, &n);
        if (!n)
            continue; /* an empty cell is an absent field */
        char key[64];
        if (kn >= sizeof key)
            continue;
        memcpy(key, k, kn);
        key[kn] = '\0';
        if (strcmp(key, "evidence") == 0 || strcmp(key, "材料") == 0) {
            /* Exactly as an entry of the plugin's evidence list: a payload
             * read back for recompute has this field as such an entry, and
             * must fill the arena just as far (the pieces are trimmed and
             * copied by split_evidence; a whole copy first made a record
             * "too long" here but not when read back; found by
             * tests/fuzz). */
            split_evidence(a, raw->fields[i].value);
            continue;
        }
        int f = record_field_lookup(key);
        if (f < 0)
            continue; /* unknown columns (备注 …) are ignored */
        if (a->f[f].present)
            continue; /* the first of repeated columns wins */
        const char *copy = arena_put(a, val, n);
        if (!copy) {
            reject(a, "invalid_value", f, "过长");
            continue;
        }
        set_value(a, f, copy);
    }
    for (size_t i = 0; i < raw->nevidence; i++)
        if (raw->evidence[i])
            split_evidence(a, raw->evidence[i]);

    /* Required by every kind (SPEC §3), in the order a clerk reads a row. */
    static const record_field required[] = {RF_ID, RF_NAME, RF_KIND, RF_TITLE, RF_DATE};
    for (size_t i = 0; i < sizeof required / sizeof *required; i++)
        if (!a->f[required[i]].present)
            reject(a, "missing_field", required[i], "缺失");

    char norm[19];
    if (a->f[RF_ID].present) {
        if (record_id_valid(a->f[RF_ID].text, norm)) {
            memcpy((char *)a->f[RF_ID].text, norm, 19); /* x → X in place */
        } else {
            /* Ahead of other problems: without a valid ID the record belongs
             * to nobody. */
            a->reason_code = NULL;
            reject(a, "invalid_id", RF_ID, "不是有效的18位身份证号(校验位不符或格式错误)");
        }
    }

    long long now = -1;
    int ty, tm, td;
    if (today && record_parse_date(today, &ty, &tm, &td))
        now = record_days_from_civil(ty, tm, td);
    for (int f = RF_DATE; f <= RF_END_DATE; f++) {
        record_value *v = &a->f[f];
        if (v->present && now >= 0 && v->i > now && v->text && strlen(v->text) == 10)
            reject(a, "invalid_value", f, "「%s」晚于处理日期%s", v->text, today);
    }

    /* The year whose policy decides (SPEC §4): of date; of end_date for a
     * special task. */
    const record_value *yv = &a->f[RF_DATE];
    if (a->f[RF_KIND].present && strcmp(a->f[RF_KIND].text, "special_task") == 0 &&
        a->f[RF_END_DATE].present)
        yv = &a->f[RF_END_DATE];
    /* Only a real date gives a year: "20r1-01-02" or "2022-02-30" would give
     * 20 or 2022 to a rejected record (found by tests/fuzz). */
    int y, m, d;
    if (yv->present && record_parse_date(yv->text, &y, &m, &d))
        a->year = y;

    a->has_identity = a->f[RF_ID].present && record_id_valid(a->f[RF_ID].text, NULL) &&
                      a->f[RF_KIND].present && record_kind_canonical(a->f[RF_KIND].text) &&
                      a->f[RF_TITLE].present && a->f[RF_DATE].present &&
                      record_parse_date(a->f[RF_DATE].text, &y, &m, &d);
    return 0;
}

long record_payload_write(const xs_record *raw, char *out, size_t outlen)
{
    /* key US value RS …; evidence entries under the key "evidence". Control
     * separators inside keys and values become spaces: they carry no meaning
     * in a submission (and a key holding RS would tear every later entry
     * when the payload is read back; found by tests/fuzz). */
    size_t n = 0;
    for (size_t i = 0; i < raw->nfields + raw->nevidence; i++) {
        const char *k = i < raw->nfields ? raw->fields[i].key : "evidence";
        const char *v = i < raw->nfields ? raw->fields[i].value : raw->evidence[i - raw->nfields];
        if (!v)
            continue;
        size_t kl = strlen(k), vl = strlen(v);
        if (n + kl + vl + 3 > outlen)
            return -1;
        for (size_t j = 0; j < kl; j++)
            out[n++] = (k[j] == '\x1f' || k[j] == '\x1e') ? ' ' : k[j];
        out[n++] = '\x1f';
        for (size_t j = 0; j < vl; j++)
            out[n++] = (v[j] == '\x1f' || v[j] == '\x1e') ? ' ' : v[j];
        out[n++] = '\x1e';
    }
    if (n >= outlen)
        return -1;
    out[n] = '\0';
    return (long)n;
}

int record_payload_parse(const char *payload, size_t index, size_t line, record_payload *out)
{
    memset(&out->rec, 0, sizeof out->rec);
    out->rec.index = index;
    out->rec.line = line;
    out->rec.fields = out->fields;
    out->rec.evidence = out->evidence;
    size_t len = payload ? strlen(payload) : 0;
    if (len >= sizeof out->buf)
        return -1;
    memcpy(out->buf, payload ? payload : "", len + 1);
    /* Split into entries first; which ones are the evidence list is known
     * only at the end (the trailing run of "evidence" keys). */
    size_t n = 0;
    for (char *p = out->buf; *p;) {
        char *rs = strchr(p, '\x1e');
        char *us = memchr(p, '\x1f', rs ? (size_t)(rs - p) : strlen(p));
        if (!rs || !us)
            break; /* a torn tail: record_payload_write always ends an entry with RS */
        if (n >= RECORD_PAYLOAD_MAX)
            return -1;
        *us = '\0';
        *rs = '\0';
        out->fields[n].key = p;
        out->fields[n].value = us + 1;
        n++;
        p = rs + 1;
    }
    size_t first_ev = n;
    while (first_ev > 0 && strcmp(out->fields[first_ev - 1].key, "evidence") == 0)
        first_ev--;
    for (size_t i = first_ev; i < n; i++)
        out->evidence[i - first_ev] = out->fields[i].value;
    out->rec.nfields = first_ev;
    out->rec.nevidence = n - first_ev;
    return 0;
}
