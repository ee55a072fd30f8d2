#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cert_content.h"
#include "cert_date.h"
#include "cert_template.h"
#include "publicity.h"

static int year_item(const publicity_person *p, int y, cert_vars *item)
{
    const verify_year *v = &p->vr.years[y];
    char h[32];
    int rc = cert_vars_setf(item, "year", "%d", v->year);
    rc |= cert_vars_set(item, "first", y == 0 ? "1" : "");
    cert_hours(v->public_hours, h, sizeof h);
    rc |= cert_vars_set(item, "public_hours", h);
    cert_hours(v->professional_hours, h, sizeof h);
    rc |= cert_vars_set(item, "professional_hours", h);
    cert_hours(v->total_hours, h, sizeof h);
    rc |= cert_vars_set(item, "total_hours", h);
    rc |= cert_vars_set(item, "whole_year", v->whole_year ? "是" : "");
    rc |= cert_vars_set(item, "public_content", p->content[y][PUB_PUBLIC]);
    rc |= cert_vars_set(item, "professional_content", p->content[y][PUB_PROFESSIONAL]);
    rc |= cert_vars_set(item, "whole_year_content", p->content[y][PUB_WHOLE_YEAR]);
    rc |= cert_vars_set(item, "covered_by", v->compliant ? "" : v->covered_by);
    return rc;
}

static int list_vars(const publicity_list *l, cert_vars *v)
{
    char start_cn[64], end_cn[64];
    if (cert_date_cn(l->start, start_cn, sizeof start_cn) || cert_date_cn(l->end, end_cn, sizeof end_cn))
        return -1;
    int rc = cert_vars_set(v, "unit", l->unit);
    rc |= cert_vars_set(v, "level", strcmp(l->level, "senior") ? "中级" : "高级");
    rc |= cert_vars_setf(v, "eval_year", "%d", l->eval_year);
    rc |= cert_vars_setf(v, "from_year", "%d", l->from_year);
    rc |= cert_vars_setf(v, "to_year", "%d", l->to_year);
    rc |= cert_vars_set(v, "start", l->start);
    rc |= cert_vars_set(v, "end", l->end);
    rc |= cert_vars_set(v, "start_cn", start_cn);
    rc |= cert_vars_set(v, "end_cn", end_cn);
    rc |= cert_vars_setf(v, "days", "%d", l->days);
    rc |= cert_vars_setf(v, "count", "%zu", l->n);
    rc |= cert_vars_list(v, "people");
    for (size_t i = 0; i < l->n && !rc; i++) {
        const publicity_person *p = &l->people[i];
        cert_vars *item = cert_vars_add(v, "people");
        if (!item)
            return -1;
        rc |= cert_vars_setf(item, "no", "%zu", i + 1);
        rc |= cert_vars_set(item, "name", p->name);
        rc |= cert_vars_set(item, "masked_id", p->masked_id);
        rc |= cert_vars_set(item, "professional_title", p->professional_title);
        rc |= cert_vars_set(item, "education", p->education);
        rc |= cert_vars_setf(item, "nyears", "%d", p->vr.nyears);
        rc |= cert_vars_list(item, "years");
        for (int y = 0; y < p->vr.nyears && !rc; y++) {
            cert_vars *yi = cert_vars_add(item, "years");
            rc |= !yi || year_item(p, y, yi);
        }
    }
    return rc ? -1 : 0;
}

int publicity_html(const char *rules_dir, const publicity_list *l, cert_buf *out,
                   char *template_path, size_t pathlen, char *err, size_t errlen)
{
    char *tmpl = NULL;
    if (cert_template_load(rules_dir, "publicity", l->eval_year, &tmpl, template_path, pathlen,
                           err, errlen) != 0)
        return -1;
    cert_vars *v = cert_vars_new();
    int rc = -1;
    if (!v || list_vars(l, v) != 0) {
        snprintf(err, errlen, "内存不足");
    } else {
        char rerr[512];
        rc = cert_render(tmpl, v, out, rerr, sizeof rerr);
        if (rc != 0)
            snprintf(err, errlen, "%s：%s", template_path, rerr);
    }
    cert_vars_free(v);
    free(tmpl);
    return rc;
}
