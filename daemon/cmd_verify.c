/* xueshi verify — eligibility for a title evaluation, year by year. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "app.h"
#include "commands.h"
#include "log.h"
#include "record.h"
#include "verify.h"

static const char usage[] =
    "Usage: xueshi verify --id ID --level intermediate|senior --eval-year Y [--json]\n"
    "Check every year of the span that the policy of year Y names for the level\n"
    "(2022: intermediate 2018-2021, senior 2017-2021): each must be compliant or\n"
    "covered by a prior 学时认定单 (one xueshi issued, or a submitted prior_certificate).\n"
    "Lists each year with its hours, and what is missing or which certificate covers it.\n\n"
    "Options:\n" APP_OPTIONS_HELP
    "  --id ID           the person's 18-character ID number\n"
    "  --level L         intermediate (中级) or senior (高级)\n"
    "  --eval-year Y     the year of the title evaluation\n"
    "  --json            machine-readable output\n\n"
    "Exit: 0 eligible, 3 not eligible, 1 failure, 2 usage error.\n";

const char *verify_level_canonical(const char *s)
{
    if (!s) return NULL;
    if (!strcmp(s, "intermediate") || !strcmp(s, "中级")) return "intermediate";
    if (!strcmp(s, "senior") || !strcmp(s, "高级")) return "senior";
    return NULL;
}

static const char *level_zh(const char *level)
{
    return strcmp(level, "senior") ? "中级" : "高级";
}

/* "compliant", "covered" or "missing": what decides the year. */
static const char *year_status(const verify_year *y)
{
    if (y->compliant) return "compliant";
    return y->cover_kind ? "covered" : "missing";
}

static void print_text(const char *id, const char *level, int eval_year, const verify_result *r)
{
    printf("%s  %d年度%s职称评审  认定跨度 %d—%d年\n", id, eval_year, level_zh(level),
           r->from_year, r->to_year);
    if (!r->known)
        printf("  (没有该人员的继续教育记录)\n");
    for (int i = 0; i < r->nyears; i++) {
        const verify_year *y = &r->years[i];
        printf("  %d年  公需%g  专业%g%s  合计%g  ", y->year, y->public_hours,
               y->professional_hours, y->whole_year ? "  整年视为完成" : "", y->total_hours);
        if (y->compliant)
            printf("达标\n");
        else if (y->cover_kind)
            printf("学时未达标，由%s覆盖\n", y->covered_by);
        else
            printf("不达标：%s\n", y->missing[0] ? verify_missing_text(y) : "学时不足");
    }
    if (r->eligible) {
        printf("结论：符合继续教育学时要求\n");
        return;
    }
    printf("结论：不符合继续教育学时要求\n");
    for (int i = 0; i < r->nyears; i++)
        if (!strcmp(year_status(&r->years[i]), "missing"))
            printf("  %s\n", r->years[i].missing);
}

static json_t *cover_json(const verify_year *y)
{
    if (!y->cover_kind)
        return json_null();
    return json_pack("{s:s, s:s, s:i, s:i, s:s}", "kind", y->cover_kind, "number", y->cover_number,
                     "from_year", y->cover_from, "to_year", y->cover_to, "text", y->covered_by);
}

static void print_json(const char *id, const char *level, int eval_year, const verify_result *r)
{
    json_t *years = json_array();
    for (int i = 0; i < r->nyears; i++) {
        const verify_year *y = &r->years[i];
        json_array_append_new(years, json_pack("{s:i, s:f, s:f, s:b, s:f, s:b, s:s, s:o, s:s?, s:s?}",
            "year", y->year, "public_hours", y->public_hours,
            "professional_hours", y->professional_hours, "whole_year", y->whole_year,
            "total_hours", y->total_hours, "compliant", y->compliant, "status", year_status(y),
            "cover", cover_json(y),
            "covered_by", y->covered_by[0] ? y->covered_by : NULL,
            "missing", y->missing[0] ? y->missing : NULL));
    }
    json_t *o = json_pack("{s:s, s:s, s:i, s:i, s:i, s:b, s:b, s:o}", "person_id", id, "level", level,
                          "eval_year", eval_year, "from_year", r->from_year, "to_year", r->to_year,
                          "known", r->known, "eligible", r->eligible, "years", years);
    char *txt = json_dumps(o, JSON_INDENT(2));
    puts(txt);
    free(txt);
    json_decref(o);
}

int cmd_verify(int argc, char **argv)
{
    static const struct option longopts[] = {
        APP_LONG_OPTIONS, {"id", required_argument, NULL, 'i'}, {"level", required_argument, NULL, 'l'},
        {"eval-year", required_argument, NULL, 'y'}, {"json", no_argument, NULL, 'j'}, {0}};
    app_opts o;
    app_opts_defaults(&o);
    const char *id = NULL, *level = NULL;
    int year = 0, json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int t = app_opts_take(&o, c, optarg);
        if (t < 0) return EXIT_USAGE;
        if (t) continue;
        switch (c) {
        case 'h': fputs(usage, stdout); return EXIT_OK;
        case 'i': id = optarg; break;
        case 'l': level = optarg; break;
        case 'y': year = atoi(optarg); break;
        case 'j': json = 1; break;
        default: return app_usage_error("verify", "unknown option");
        }
    }
    char norm[19];
    if (!id || !record_id_valid(id, norm))
        return app_usage_error("verify", "--id needs a valid 18-character ID number");
    const char *lv = verify_level_canonical(level);
    if (!lv)
        return app_usage_error("verify", "--level must be intermediate or senior");
    if (year < 1900 || year > 9999)
        return app_usage_error("verify", "--eval-year needs a year such as 2022");

    app a;
    if (app_open(&a, &o, APP_DB_READ | APP_POLICIES) != 0)
        return EXIT_FAIL;
    verify_result r;
    char err[512];
    if (verify_person(a.db, a.policies, norm, year, lv, &r, err, sizeof err) != 0) {
        log_error("verify: %s", err);
        app_close(&a);
        return EXIT_FAIL;
    }
    char masked[19];
    record_id_mask(norm, masked);
    log_info("verify %s %s %d (%d..%d): %s", masked, lv, year, r.from_year, r.to_year,
             r.eligible ? "eligible" : "not eligible");
    if (json)
        print_json(norm, lv, year, &r);
    else
        print_text(norm, lv, year, &r);
    app_close(&a);
    return r.eligible ? EXIT_OK : EXIT_NO;
}
