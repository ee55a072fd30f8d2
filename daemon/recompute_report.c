/*
 * The report of `rules diff` and `recompute`: what changes, per activity
 * (status and hours before → after, both explanations), per person-year
 * (compliance flips; in JSON every changed person-year), and the totals.
 * Text for people (Chinese), JSON for tools. Called on the main thread in
 * person order, so the output does not depend on the thread count.
 *
 * JSON streams: activities are printed as they come; person-years go to a
 * temporary file and are appended after them, so a million changes never
 * sit in memory.
 */
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "digest.h"
#include "recompute_priv.h"

struct rc_report {
    const recompute_opts *o;
    FILE *out;
    FILE *years;           /* JSON: person-years, appended at the end */
    long long nact_json, nyear_json;
};

const char *rc_status_name(int s)
{
    return s == RC_CREDITED ? "credited" : s == RC_PENDING ? "pending_materials" : "rejected";
}

static const char *status_zh(int s)
{
    return s == RC_CREDITED ? "认定" : s == RC_PENDING ? "待补材料" : "退回";
}

static const char *category_zh(const char *c)
{
    if (!c)
        return "";
    if (!strcmp(c, "public"))
        return "公需";
    if (!strcmp(c, "professional"))
        return "专业";
    if (!strcmp(c, "whole_year"))
        return "全年";
    return c;
}

static json_t *hours_json(double h)
{
    if (h == floor(h) && fabs(h) < 1e15)
        return json_integer((json_int_t)h);
    return json_real(h);
}

static json_t *str_or_null(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null(); /* also for text that is not UTF-8 */
}

/* ---- header: which policies differ from the folder in service ---------- */

static int is_policy_name(const char *n)
{
    size_t l = strlen(n);
    return l == 8 && !strcmp(n + 4, ".lua") && n[0] >= '0' && n[0] <= '9' && n[1] >= '0' &&
           n[1] <= '9' && n[2] >= '0' && n[2] <= '9' && n[3] >= '0' && n[3] <= '9';
}

typedef struct pol_row {
    char name[16];
    char before[65], after[65]; /* "" when absent */
} pol_row;

static int pol_cmp(const void *a, const void *b)
{
    return strcmp(((const pol_row *)a)->name, ((const pol_row *)b)->name);
}

/* The union of the policy files of the compared folder and the set. */
static size_t policy_rows(const recompute_opts *o, const policy_set *set, pol_row *rows, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < policy_set_count(set) && n < max; i++) {
        const policy_info *pi = policy_set_info(set, i);
        memset(&rows[n], 0, sizeof rows[n]);
        snprintf(rows[n].name, sizeof rows[n].name, "%s", pi->name);
        memcpy(rows[n].after, pi->sha256, 65);
        n++;
    }
    DIR *d = o->compare_dir ? opendir(o->compare_dir) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (!is_policy_name(e->d_name))
            continue;
        char path[4200], hex[65];
        snprintf(path, sizeof path, "%s/%s", o->compare_dir, e->d_name);
        if (digest_file(path, hex) != 0)
            continue;
        size_t i = 0;
        while (i < n && strcmp(rows[i].name, e->d_name) != 0)
            i++;
        if (i == n) {
            if (n == max)
                continue;
            memset(&rows[n], 0, sizeof rows[n]);
            snprintf(rows[n].name, sizeof rows[n].name, "%s", e->d_name);
            n++;
        }
        memcpy(rows[i].before, hex, 65);
    }
    if (d)
        closedir(d);
    qsort(rows, n, sizeof *rows, pol_cmp);
    return n;
}

static void header(rc_report *r, const policy_set *set)
{
    const recompute_opts *o = r->o;
    pol_row rows[256];
    size_t n = policy_rows(o, set, rows, sizeof rows / sizeof *rows);
    if (o->format == RECOMPUTE_JSON) {
        json_t *pol = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *p = json_object();
            json_object_set_new(p, "file", json_string(rows[i].name));
            json_object_set_new(p, "sha256", str_or_null(rows[i].after[0] ? rows[i].after : NULL));
            if (o->compare_dir)
                json_object_set_new(p, "in_service_sha256",
                                    str_or_null(rows[i].before[0] ? rows[i].before : NULL));
            json_array_append_new(pol, p);
        }
        json_t *h = json_object();
        json_object_set_new(h, "mode", json_string(o->write ? "recompute" : "diff"));
        json_object_set_new(h, "rules", str_or_null(o->rules_dir));
        if (!o->write)
            json_object_set_new(h, "in_service", str_or_null(o->compare_dir));
        json_object_set_new(h, "year", o->year ? json_integer(o->year) : json_null());
        json_object_set_new(h, "policies", pol);
        /* The object is closed in rc_report_finish, after the lists. */
        char *s = json_dumps(h, JSON_COMPACT);
        json_decref(h);
        if (s) {
            s[strlen(s) - 1] = '\0'; /* drop the closing brace */
            fputs(s, r->out);
            free(s);
        }
        if (o->details)
            fputs(",\"activities\":[", r->out);
        return;
    }
    if (o->write)
        fprintf(r->out, "重新计算：以 %s 的规则重新评估已存储的活动%s\n", o->rules_dir,
                o->year ? "（仅限指定年度）" : "");
    else
        fprintf(r->out, "规则对比：%s（在用）→ %s%s；不写入数据库\n",
                o->compare_dir ? o->compare_dir : "数据库中的结果", o->rules_dir,
                o->year ? "（仅限指定年度）" : "");
    if (o->year)
        fprintf(r->out, "年度：%d\n", o->year);
    for (size_t i = 0; i < n; i++) {
        const pol_row *p = &rows[i];
        if (!o->compare_dir || o->write)
            fprintf(r->out, "  %-9s sha256=%.12s\n", p->name, p->after);
        else if (!p->before[0])
            fprintf(r->out, "  %-9s 新增 sha256=%.12s\n", p->name, p->after);
        else if (!p->after[0])
            fprintf(r->out, "  %-9s 删除（在用 sha256=%.12s）\n", p->name, p->before);
        else if (strcmp(p->before, p->after) != 0)
            fprintf(r->out, "  %-9s 修改 sha256=%.12s → %.12s\n", p->name, p->before, p->after);
        else
            fprintf(r->out, "  %-9s 未变 sha256=%.12s\n", p->name, p->after);
    }
    fputc('\n', r->out);
}

int rc_report_start(rc_report **out, const recompute_opts *o, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    *out = NULL;
    if (!o->out)
        return 0;
    rc_report *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->o = o;
    r->out = o->out;
    if (o->format == RECOMPUTE_JSON && o->details && !(r->years = tmpfile())) {
        snprintf(err, errlen, "cannot create a temporary file for the report");
        free(r);
        return -1;
    }
    *out = r;
    return 0;
}

void rc_report_header(rc_report *r, const policy_set *set)
{
    if (r)
        header(r, set);
}

/* ---- one person ----------------------------------------------------------- */

static void text_side(FILE *f, const char *label, const rc_outcome *o)
{
    fprintf(f, "  %s %s", label, rc_status_name(o->status));
    if (o->status == RC_CREDITED) {
        fprintf(f, " %.12g学时", o->hours);
        for (size_t i = 0; i < o->ncredits; i++) {
            const rc_credit *c = &o->credits[i];
            fprintf(f, "%s[%d %s %.12g] %s", i ? "；" : "：", c->year, category_zh(c->category),
                    c->hours, c->explanation ? c->explanation : "");
        }
        if (o->cover_from > 0)
            fprintf(f, "（覆盖%d—%d年度）", o->cover_from, o->cover_to);
    } else {
        fprintf(f, " %s：%s", o->reason_code ? o->reason_code : "", o->reason ? o->reason : "");
    }
    fputc('\n', f);
}

static json_t *side_json(const rc_outcome *o)
{
    json_t *j = json_object();
    json_object_set_new(j, "status", json_string(rc_status_name(o->status)));
    json_object_set_new(j, "reason_code", str_or_null(o->reason_code));
    json_object_set_new(j, "reason", str_or_null(o->reason));
    json_object_set_new(j, "hours", hours_json(o->hours));
    json_object_set_new(j, "policy", str_or_null(o->policy));
    json_object_set_new(j, "policy_sha256", str_or_null(o->sha256));
    json_t *cs = json_array();
    for (size_t i = 0; i < o->ncredits; i++) {
        const rc_credit *c = &o->credits[i];
        json_t *cj = json_object();
        json_object_set_new(cj, "year", json_integer(c->year));
        json_object_set_new(cj, "category", str_or_null(c->category));
        json_object_set_new(cj, "hours", hours_json(c->hours));
        json_object_set_new(cj, "explanation", str_or_null(c->explanation));
        json_array_append_new(cs, cj);
    }
    json_object_set_new(j, "credits", cs);
    if (o->cover_from > 0)
        json_object_set_new(j, "covers", json_pack("{s:i, s:i}", "from", o->cover_from, "to", o->cover_to));
    return j;
}

static void activity_out(rc_report *r, const rc_person *p, const rc_activity *a)
{
    FILE *f = r->out;
    if (r->o->format == RECOMPUTE_JSON) {
        json_t *j = json_object();
        json_object_set_new(j, "activity_id", json_integer(a->id));
        json_object_set_new(j, "person_id", str_or_null(p->id));
        json_object_set_new(j, "ref", str_or_null(a->ref));
        json_object_set_new(j, "kind", str_or_null(a->kind));
        json_object_set_new(j, "title", str_or_null(a->title));
        json_object_set_new(j, "date", str_or_null(a->date));
        json_object_set_new(j, "year", a->year ? json_integer(a->year) : json_null());
        json_object_set_new(j, "before", side_json(&a->before));
        json_object_set_new(j, "after", side_json(&a->after));
        if (r->nact_json++)
            fputc(',', f);
        json_dumpf(j, f, JSON_COMPACT);
        json_decref(j);
        return;
    }
    fprintf(f, "活动#%lld %s %s %s「%s」", a->id, p->id, a->date ? a->date : "", a->kind ? a->kind : "",
            a->title ? a->title : "");
    if (a->ref)
        fprintf(f, " 编号%s", a->ref);
    fputc('\n', f);
    text_side(f, "之前", &a->before);
    text_side(f, "之后", &a->after);
}

static json_t *year_side_json(const policy_year_totals *t, double total, int compliant,
                              const char *missing)
{
    json_t *j = json_object();
    json_object_set_new(j, "public_hours", hours_json(t->public_hours));
    json_object_set_new(j, "professional_hours", hours_json(t->professional_hours));
    json_object_set_new(j, "whole_year", json_boolean(t->whole_year));
    json_object_set_new(j, "total_hours", hours_json(total));
    json_object_set_new(j, "compliant", json_boolean(compliant));
    if (missing)
        json_object_set_new(j, "missing", json_string(missing));
    return j;
}

static void year_out(rc_report *r, const rc_person *p, const rc_year *y)
{
    int flip = !y->before_compliant != !y->after_compliant;
    if (r->o->format == RECOMPUTE_JSON) {
        json_t *j = json_object();
        json_object_set_new(j, "person_id", str_or_null(p->id));
        json_object_set_new(j, "year", json_integer(y->year));
        json_object_set_new(j, "before", y->have_before
                                             ? year_side_json(&y->before, y->before_total,
                                                              y->before_compliant, NULL)
                                             : json_null());
        json_object_set_new(j, "after", y->have_after
                                            ? year_side_json(&y->after, y->after_total,
                                                             y->after_compliant, y->missing)
                                            : json_null());
        json_object_set_new(j, "compliance_changed", json_boolean(flip));
        if (r->nyear_json++)
            fputc(',', r->years);
        json_dumpf(j, r->years, JSON_COMPACT);
        json_decref(j);
        return;
    }
    if (!flip)
        return; /* text: the flips; the totals count the rest */
    fprintf(r->out, "年度 %s %d：%s → %s；学时 %.12g → %.12g（公需 %.12g → %.12g，专业 %.12g → %.12g%s）",
            p->id, y->year, y->before_compliant ? "达标" : "未达标", y->after_compliant ? "达标" : "未达标",
            y->before_total, y->after_total, y->before.public_hours, y->after.public_hours,
            y->before.professional_hours, y->after.professional_hours,
            y->after.whole_year ? "，全年" : "");
    if (y->missing && !y->after_compliant)
        fprintf(r->out, "；%s", y->missing);
    fputc('\n', r->out);
}

void rc_report_person(rc_report *r, const rc_batch *b, const rc_person *p, recompute_totals *t)
{
    t->persons++;
    for (size_t i = 0; i < p->nacts; i++) {
        const rc_activity *a = &b->acts[p->first_act + i];
        if (a->evaluated)
            t->evaluated++;
        else if (a->in_scope)
            t->kept++;
        if (!a->changed)
            continue;
        t->changed++;
        t->hours_before += a->before.hours;
        t->hours_after += a->after.hours;
        t->transitions[a->before.status][a->after.status]++;
        if (r && r->o->details)
            activity_out(r, p, a);
    }
    for (size_t i = 0; i < p->ntouched; i++) {
        const rc_year *y = &p->years[i];
        if (!y->changed)
            continue;
        t->years_changed++;
        if (!y->before_compliant && y->after_compliant)
            t->became_compliant++;
        if (y->before_compliant && !y->after_compliant)
            t->no_longer_compliant++;
        if (r && r->o->details)
            year_out(r, p, y);
    }
}

static json_t *totals_json(const recompute_totals *t, int write)
{
    json_t *j = json_object();
    json_object_set_new(j, "persons", json_integer(t->persons));
    json_object_set_new(j, "evaluated", json_integer(t->evaluated));
    json_object_set_new(j, "kept", json_integer(t->kept));
    json_object_set_new(j, "changed", json_integer(t->changed));
    if (write)
        json_object_set_new(j, "rewritten", json_integer(t->rewritten));
    json_object_set_new(j, "hours_before", hours_json(t->hours_before));
    json_object_set_new(j, "hours_after", hours_json(t->hours_after));
    json_t *tr = json_object();
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            if (t->transitions[a][b]) {
                char k[64];
                snprintf(k, sizeof k, "%s>%s", rc_status_name(a), rc_status_name(b));
                json_object_set_new(tr, k, json_integer(t->transitions[a][b]));
            }
    json_object_set_new(j, "status_changes", tr);
    json_object_set_new(j, "person_years_changed", json_integer(t->years_changed));
    json_object_set_new(j, "became_compliant", json_integer(t->became_compliant));
    json_object_set_new(j, "no_longer_compliant", json_integer(t->no_longer_compliant));
    if (write)
        json_object_set_new(j, "batches_read_again", json_integer(t->redone));
    json_object_set_new(j, "seconds", json_real(round(t->seconds * 100) / 100));
    return j;
}

void rc_report_finish(rc_report *r, const recompute_totals *t)
{
    if (!r)
        return;
    FILE *f = r->out;
    const recompute_opts *o = r->o;
    if (o->format == RECOMPUTE_JSON) {
        if (o->details) {
            fputs("],\"person_years\":[", f);
            rewind(r->years);
            char buf[65536];
            size_t n;
            while ((n = fread(buf, 1, sizeof buf, r->years)) > 0)
                fwrite(buf, 1, n, f);
            fputc(']', f);
        }
        fputs(",\"totals\":", f);
        json_t *j = totals_json(t, o->write);
        json_dumpf(j, f, JSON_COMPACT);
        json_decref(j);
        fputs("}\n", f);
        fflush(f);
        return;
    }
    if (o->details && t->changed + t->years_changed)
        fputc('\n', f);
    fprintf(f, "合计：%lld人，重新评估%lld项活动", t->persons, t->evaluated);
    if (t->kept)
        fprintf(f, "（%lld项没有原始记录，保持不变）", t->kept);
    fprintf(f, "，%lld项%s变化", t->changed, o->write ? "有" : "会有");
    if (t->changed)
        fprintf(f, "；这些活动的学时 %.12g → %.12g（%+.12g）", t->hours_before, t->hours_after,
                t->hours_after - t->hours_before);
    fputc('\n', f);
    int any = 0;
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            if (t->transitions[a][b]) {
                fprintf(f, "%s%s(%s) → %s(%s) %lld", any++ ? "，" : "  状态：", rc_status_name(a),
                        status_zh(a), rc_status_name(b), status_zh(b), t->transitions[a][b]);
            }
    if (any)
        fputc('\n', f);
    fprintf(f, "年度汇总：%lld个%s变化，新达标%lld个，不再达标%lld个\n", t->years_changed,
            o->write ? "有" : "会有", t->became_compliant, t->no_longer_compliant);
    if (o->write)
        fprintf(f, "已写入：%lld项活动（结果变化或由新的规则版本认定）\n", t->rewritten);
    if (t->redone)
        fprintf(f, "其间有其他写入：%lld批重新读取并评估\n", t->redone);
    fprintf(f, "用时 %.1f 秒\n", t->seconds);
    fflush(f);
}

void rc_report_free(rc_report *r)
{
    if (!r)
        return;
    if (r->years)
        fclose(r->years);
    free(r);
}
