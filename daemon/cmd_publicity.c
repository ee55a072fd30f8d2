/* xueshi publicity — a unit's 公示名单 and the end of its publicity period
 * (seed notice 二(一)1: 在本单位公示不少于5个工作日). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "app.h"
#include "fileops.h"
#include "cert_date.h"
#include "commands.h"
#include "log.h"
#include "publicity.h"
#include "verify.h"

static const char usage[] =
    "Usage: xueshi publicity --unit U --level intermediate|senior --eval-year Y --start DATE\n"
    "                        [--days N] [--out FILE.html] [--csv FILE.csv]\n"
    "The 公示名单 of unit U: the people whose unit is U and who are eligible for the\n"
    "title level in year Y (as `xueshi verify` says), with each year's public- and\n"
    "professional-subject content and hours. The period runs N working days (default\n"
    "5) from DATE, which counts when it is a working day; its end comes from the\n"
    "holiday calendars (法定节假日, 调休) of the policies. Prints the period and the\n"
    "names (and, for the unit's HR, who is not listed and why); --out writes the\n"
    "printable page (RULES/templates/publicity-YYYY.html), --csv the list for Excel\n"
    "(UTF-8 with BOM, CRLF). ID numbers are masked in both.\n\n"
    "Options:\n" APP_OPTIONS_HELP
    "  --unit U          the unit, exactly as its submissions name it (people.unit)\n"
    "  --level L         intermediate (中级) or senior (高级)\n"
    "  --eval-year Y     the year of the title evaluation\n"
    "  --start DATE      first day of the publicity, YYYY-MM-DD\n"
    "  --days N          working days of the period (default 5)\n"
    "  --out FILE        write the HTML page to FILE ('-' = standard output)\n"
    "  --csv FILE        write the CSV to FILE ('-' = standard output)\n\n"
    "Exit: 0 done (also when nobody qualifies), 1 failure, 2 usage error.\n";

static void print_summary(FILE *f, const publicity_list *l)
{
    const char *lv = strcmp(l->level, "senior") ? "中级" : "高级";
    fprintf(f, "%s %d年度%s职称参评人员继续教育学时公示名单（%d—%d年）\n", l->unit, l->eval_year, lv,
            l->from_year, l->to_year);
    fprintf(f, "公示期：%s 至 %s（%d个工作日）\n", l->start, l->end, l->days);
    fprintf(f, "合格人员 %zu 人%s\n", l->n, l->n ? "：" : "");
    for (size_t i = 0; i < l->n; i++)
        fprintf(f, "  %zu. %s %s\n", i + 1, l->people[i].name, l->people[i].masked_id);
    if (l->nothers)
        fprintf(f, "未列入 %zu 人：\n", l->nothers);
    for (size_t i = 0; i < l->nothers; i++) {
        const publicity_person *p = &l->others[i];
        fprintf(f, "  %s %s", p->name, p->masked_id);
        const char *sep = "：";
        for (int y = 0; y < p->vr.nyears; y++) {
            const verify_year *v = &p->vr.years[y];
            if (!v->compliant && !v->cover_kind) {
                fprintf(f, "%s%s", sep, v->missing[0] ? v->missing : "学时不足");
                sep = "；";
            }
        }
        fputc('\n', f);
    }
}

static int output(app *a, const publicity_list *l, const char *out, const char *csv)
{
    char err[1024], tpath[4200];
    if (out) {
        cert_buf page = {0};
        int rc = publicity_html(a->o.rules, l, &page, tpath, sizeof tpath, err, sizeof err);
        /* Through a temporary file and rename: never half a list. */
        char werr[512];
        if (rc == 0 && fileops_write_out(out, cert_buf_str(&page), page.len, werr, sizeof werr) != 0)
            snprintf(err, sizeof err, "无法写入 %s：%s", out, werr), rc = -1;
        cert_buf_free(&page);
        if (rc != 0) {
            fprintf(stderr, "xueshi publicity: %s\n", err);
            return -1;
        }
    }
    if (csv) {
        cert_buf text = {0};
        publicity_csv(l, &text);
        char werr[512] = "内存不足";
        int rc = cert_buf_failed(&text)
                     ? -1
                     : fileops_write_out(csv, cert_buf_str(&text), text.len, werr, sizeof werr);
        cert_buf_free(&text);
        if (rc != 0) {
            fprintf(stderr, "xueshi publicity: 无法写入 %s：%s\n", csv, werr);
            return -1;
        }
    }
    return 0;
}

int cmd_publicity(int argc, char **argv)
{
    static const struct option longopts[] = {
        APP_LONG_OPTIONS,
        {"unit", required_argument, NULL, 'u'},
        {"level", required_argument, NULL, 'l'},
        {"eval-year", required_argument, NULL, 'y'},
        {"start", required_argument, NULL, 's'},
        {"days", required_argument, NULL, 'n'},
        {"out", required_argument, NULL, 'o'},
        {"csv", required_argument, NULL, 'c'},
        {0}};
    app_opts o;
    app_opts_defaults(&o);
    const char *unit = NULL, *level = NULL, *year_s = NULL, *start_s = NULL, *days_s = NULL;
    const char *out = NULL, *csv = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int t = app_opts_take(&o, c, optarg);
        if (t < 0) return EXIT_USAGE;
        if (t) continue;
        switch (c) {
        case 'h': fputs(usage, stdout); return EXIT_OK;
        case 'u': unit = optarg; break;
        case 'l': level = optarg; break;
        case 'y': year_s = optarg; break;
        case 's': start_s = optarg; break;
        case 'n': days_s = optarg; break;
        case 'o': out = optarg; break;
        case 'c': csv = optarg; break;
        default: return app_usage_error("publicity", "unknown option");
        }
    }
    if (optind < argc)
        return app_usage_error("publicity", "unexpected argument");
    if (!unit || !*unit)
        return app_usage_error("publicity", "--unit is required");
    const char *lv = verify_level_canonical(level);
    if (!lv)
        return app_usage_error("publicity", "--level must be intermediate or senior");
    char *end;
    long year = year_s ? strtol(year_s, &end, 10) : 0;
    if (!year_s || *end || year < 1900 || year > 9999)
        return app_usage_error("publicity", "--eval-year needs a year such as 2022");
    char start[11];
    if (!cert_date_valid(start_s, start))
        return app_usage_error("publicity", "--start needs a real date YYYY-MM-DD");
    long days = days_s ? strtol(days_s, &end, 10) : 5;
    if (days_s && (*end || days < 1 || days > 60))
        return app_usage_error("publicity", "--days needs a number of working days (1-60)");
    if ((out && !*out) || (csv && !*csv) || (out && csv && !strcmp(out, "-") && !strcmp(csv, "-")))
        return app_usage_error("publicity", "--out and --csv need distinct file names");

    app a;
    if (app_open(&a, &o, APP_DB_READ | APP_POLICIES) != 0)
        return EXIT_FAIL;
    publicity_list l;
    char err[1024];
    if (publicity_build(a.db, a.policies, unit, lv, (int)year, start, (int)days, &l, err, sizeof err) != 0) {
        fprintf(stderr, "xueshi publicity: %s\n", err);
        app_close(&a);
        return EXIT_FAIL;
    }
    int to_stdout = (out && !strcmp(out, "-")) || (csv && !strcmp(csv, "-"));
    print_summary(to_stdout ? stderr : stdout, &l);
    log_info("publicity %d %s %s..%s: %zu listed, %zu not", (int)year, lv, l.start, l.end, l.n, l.nothers);
    int rc = output(&a, &l, out, csv) == 0 ? EXIT_OK : EXIT_FAIL;
    publicity_free(&l);
    app_close(&a);
    return rc;
}
