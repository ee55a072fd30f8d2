/* xueshi report — one person's years, credits and compliance. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "app.h"
#include "commands.h"
#include "log.h"
#include "record.h"

static const char usage[] =
    "Usage: xueshi report --id ID [--json]\n"
    "Show a person's yearly hours (public, professional, whole year), whether each\n"
    "year is compliant, and every credit with its Chinese explanation and the\n"
    "policy that produced it; then activities pending materials or rejected.\n\n"
    "Options:\n" APP_OPTIONS_HELP
    "  --id ID           the person's 18-character ID number\n"
    "  --json            machine-readable output\n\n"
    "Exit: 0 shown, 3 no such person, 1 failure, 2 usage error.\n";

static const char *col(sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    return s ? s : "";
}

static json_t *jcol(sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL: return json_null();
    case SQLITE_INTEGER: return json_integer(sqlite3_column_int64(st, i));
    case SQLITE_FLOAT: return json_real(sqlite3_column_double(st, i));
    default: return json_string(col(st, i));
    }
}

/* Runs sql with ?1 = id; each row becomes an object of its columns. */
static json_t *rows_json(sqlite3 *db, const char *sql, const char *id)
{
    json_t *arr = json_array();
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return arr;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *o = json_object();
        for (int i = 0; i < sqlite3_column_count(st); i++)
            json_object_set_new(o, sqlite3_column_name(st, i), jcol(st, i));
        json_array_append_new(arr, o);
    }
    sqlite3_finalize(st);
    return arr;
}

static const char sql_person[] =
    "SELECT person_id, name, unit, professional_title, education FROM people WHERE person_id = ?1";
static const char sql_years[] =
    "SELECT year, public_hours, professional_hours, whole_year, total_hours, compliant"
    " FROM person_years WHERE person_id = ?1 ORDER BY year";
static const char sql_credits[] =
    "SELECT c.year, c.category, c.hours, a.ref, a.title, c.explanation, c.policy,"
    " c.policy_sha256 FROM credits c JOIN activities a ON a.activity_id = c.activity_id"
    " WHERE c.person_id = ?1 ORDER BY c.year, a.date, a.title";
static const char sql_open[] =
    "SELECT a.year, a.status, a.reason_code, a.ref, a.title, a.reason FROM activities a"
    " WHERE a.person_id = ?1 AND a.status IN ('pending_materials','rejected')"
    " ORDER BY a.year, a.date, a.title";

static const char *category_zh(const char *c)
{
    if (!strcmp(c, "public")) return "公需";
    if (!strcmp(c, "professional")) return "专业";
    if (!strcmp(c, "whole_year")) return "整年";
    return c;
}

static void print_text(sqlite3 *db, const char *id)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql_person, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            printf("%s  %s  %s  %s  %s\n\n", col(st, 1), col(st, 0), col(st, 2), col(st, 3), col(st, 4));
        sqlite3_finalize(st);
    }
    printf("年度   公需   专业   整年   合计   达标\n");
    if (sqlite3_prepare_v2(db, sql_years, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW)
            printf("%d  %5g  %5g   %s  %5g    %s\n", sqlite3_column_int(st, 0),
                   sqlite3_column_double(st, 1), sqlite3_column_double(st, 2),
                   sqlite3_column_int(st, 3) ? "是" : "—", sqlite3_column_double(st, 4),
                   sqlite3_column_int(st, 5) ? "是" : "否");
        sqlite3_finalize(st);
    }
    printf("\n学时明细：\n");
    if (sqlite3_prepare_v2(db, sql_credits, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW)
            printf("  %d %s %g学时  [%s] %s — %s  (%s %.12s)\n", sqlite3_column_int(st, 0),
                   category_zh(col(st, 1)), sqlite3_column_double(st, 2), col(st, 3), col(st, 4),
                   col(st, 5), col(st, 6), col(st, 7));
        sqlite3_finalize(st);
    }
    if (sqlite3_prepare_v2(db, sql_open, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        int first = 1;
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (first)
                printf("\n未认定：\n"), first = 0;
            printf("  %d %s(%s) [%s] %s — %s\n", sqlite3_column_int(st, 0),
                   strcmp(col(st, 1), "rejected") ? "待补材料" : "退回", col(st, 2), col(st, 3),
                   col(st, 4), col(st, 5));
        }
        sqlite3_finalize(st);
    }
}

int cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        APP_LONG_OPTIONS, {"id", required_argument, NULL, 'i'}, {"json", no_argument, NULL, 'j'}, {0}};
    app_opts o;
    app_opts_defaults(&o);
    const char *id = NULL;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int t = app_opts_take(&o, c, optarg);
        if (t < 0) return EXIT_USAGE;
        if (t) continue;
        switch (c) {
        case 'h': fputs(usage, stdout); return EXIT_OK;
        case 'i': id = optarg; break;
        case 'j': json = 1; break;
        default: return app_usage_error("report", "unknown option");
        }
    }
    char norm[19];
    if (!id || !record_id_valid(id, norm))
        return app_usage_error("report", "--id needs a valid 18-character ID number");
    app a;
    if (app_open(&a, &o, APP_DB_READ) != 0)
        return EXIT_FAIL;
    sqlite3 *db = store_db(a.db);
    json_t *person = rows_json(db, sql_person, norm);
    int found = json_array_size(person) > 0;
    if (!found) {
        char masked[19];
        record_id_mask(norm, masked);
        fprintf(stderr, "没有身份证号为 %s 的人员记录\n", norm);
        log_info("report: no person %s", masked);
    } else if (json) {
        json_t *o2 = json_pack("{s:O, s:o, s:o, s:o}", "person", json_array_get(person, 0),
                               "years", rows_json(db, sql_years, norm),
                               "credits", rows_json(db, sql_credits, norm),
                               "open", rows_json(db, sql_open, norm));
        char *txt = json_dumps(o2, JSON_INDENT(2));
        puts(txt);
        free(txt);
        json_decref(o2);
    } else {
        print_text(db, norm);
    }
    json_decref(person);
    app_close(&a);
    return found ? EXIT_OK : EXIT_NO;
}
