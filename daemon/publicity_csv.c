#include <string.h>
#include "cert_content.h"
#include "publicity.h"

void publicity_csv_field(cert_buf *out, const char *s)
{
    /* Excel runs a cell that starts with = + - @ as a formula (CSV
     * injection); titles come from submissions, so they are not trusted. */
    int formula = s[0] && strchr("=+-@", s[0]) != NULL;
    if (!formula && !strpbrk(s, ",\"\r\n")) {
        cert_buf_puts(out, s);
        return;
    }
    cert_buf_puts(out, "\"");
    if (formula)
        cert_buf_puts(out, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            cert_buf_puts(out, "\"\"");
        else
            cert_buf_append(out, p, 1);
    }
    cert_buf_puts(out, "\"");
}

static void row(cert_buf *out, const char *const *cells, int n)
{
    for (int i = 0; i < n; i++) {
        if (i)
            cert_buf_puts(out, ",");
        publicity_csv_field(out, cells[i]);
    }
    cert_buf_puts(out, "\r\n");
}

void publicity_csv(const publicity_list *l, cert_buf *out)
{
    static const char *const head[] = {
        "序号", "姓名", "身份证号", "单位", "现有职称", "学历", "申报级别", "评审年度", "年度",
        "公需科目学习内容", "公需科目学时", "专业科目学习内容", "专业科目学时",
        "整年视为完成", "合计学时", "认定情况", "公示开始", "公示截止"};
    enum { NCOLS = sizeof head / sizeof *head };
    cert_buf_puts(out, "\xEF\xBB\xBF"); /* BOM: Excel then reads UTF-8 */
    row(out, head, NCOLS);
    for (size_t i = 0; i < l->n; i++) {
        const publicity_person *p = &l->people[i];
        for (int y = 0; y < p->vr.nyears; y++) {
            const verify_year *v = &p->vr.years[y];
            char no[16], eval[8], year[8], pub[32], pro[32], total[32];
            snprintf(no, sizeof no, "%zu", i + 1);
            snprintf(eval, sizeof eval, "%d", l->eval_year);
            snprintf(year, sizeof year, "%d", v->year);
            cert_hours(v->public_hours, pub, sizeof pub);
            cert_hours(v->professional_hours, pro, sizeof pro);
            cert_hours(v->total_hours, total, sizeof total);
            char status[256];
            if (v->compliant)
                snprintf(status, sizeof status, "达标");
            else
                snprintf(status, sizeof status, "由%s认定", v->covered_by);
            const char *cells[NCOLS] = {
                no, p->name, p->masked_id, p->unit, p->professional_title, p->education,
                strcmp(l->level, "senior") ? "中级" : "高级", eval, year,
                p->content[y][PUB_PUBLIC], pub, p->content[y][PUB_PROFESSIONAL], pro,
                !v->whole_year ? "" : *p->content[y][PUB_WHOLE_YEAR] ? p->content[y][PUB_WHOLE_YEAR] : "是",
                total, status,
                l->start, l->end};
            row(out, cells, NCOLS);
        }
    }
}
