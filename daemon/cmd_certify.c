/* xueshi certify — issue and render a 学时认定单 (SPEC §6, §8). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "app.h"
#include "cert_date.h"
#include "cert_form.h"
#include "cert_issue.h"
#include "fileops.h"
#include "commands.h"
#include "log.h"
#include "record.h"
#include "verify.h"

/* Certifying is interactive and short: rather wait for a busy ingest or
 * another certify than fail (SQLite's busy handler retries meanwhile). */
#define CERTIFY_BUSY_TIMEOUT_MS 60000

static const char usage[] =
    "Usage: xueshi certify --id ID --level intermediate|senior --eval-year Y --specialty S\n"
    "                      [--handler H] [--phone P] [--register-number N]\n"
    "                      [--date YYYY-MM-DD] [--out FILE.html|-] [--json]\n"
    "Issue a 学时认定单 (continuing-education hours certificate) for a title\n"
    "evaluation in year Y, when every year of the span is compliant or covered by a\n"
    "prior certificate (as `xueshi verify` says); otherwise exit 3 with the reasons.\n"
    "The number is unique per evaluation year, formatted by the policy of Y\n"
    "(2022: 潭继教〔2022〕0001号). The page is the form of RULES/templates/\n"
    "certificate-YYYY.html (the nearest earlier year's), printable on A4, and is kept\n"
    "in the database: certifying the same person, level and year again gives the\n"
    "same certificate and page, not a new number.\n\n"
    "Options:\n" APP_OPTIONS_HELP
    "  --id ID               the person's 18-character ID number\n"
    "  --level L             intermediate (中级) or senior (高级)\n"
    "  --eval-year Y         the year of the title evaluation\n"
    "  --specialty S         the specialty applied for (申报…专业)\n"
    "  --handler H           经办人 on the stub\n"
    "  --phone P             联系电话 on the stub\n"
    "  --register-number N   继续教育登记证编号\n"
    "  --date YYYY-MM-DD     issue date (default today, or $XUESHI_TODAY)\n"
    "  --out FILE            write the HTML page to FILE ('-' = standard output)\n"
    "  --json                print the certificate as JSON\n\n"
    "Exit: 0 issued (or already issued), 3 not eligible, 1 failure, 2 usage error.\n";

typedef struct certify_args {
    const char *id, *level, *specialty, *handler, *phone, *register_number, *out, *date;
    int year, json;
} certify_args;

static int parse_year(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 1900 || v > 9999)
        return -1;
    *out = (int)v;
    return 0;
}

static void print_refusal(const char *id, const char *level, int year, const verify_result *r)
{
    fprintf(stderr, "不能签发学时认定单：%s 申报%d年度%s职称，%d—%d年继续教育学时不符合要求\n", id,
            year, cert_level_zh(level), r->from_year, r->to_year);
    if (!r->known)
        fprintf(stderr, "  没有该人员的继续教育记录\n");
    for (int i = 0; i < r->nyears; i++) {
        const verify_year *y = &r->years[i];
        if (!y->compliant && !y->cover_kind)
            fprintf(stderr, "  %s\n", y->missing[0] ? y->missing : "学时不足");
    }
}

static void print_result(const certify_args *ar, const cert_record *c, int existing)
{
    if (ar->json) {
        json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:i, s:i, s:i, s:s, s:s, s:s?, s:b, s:s?}",
                              "number", c->number, "seq", (json_int_t)c->seq, "person_id", c->person_id,
                              "level", c->level, "eval_year", c->eval_year, "from_year", c->from_year,
                              "to_year", c->to_year, "specialty", c->specialty, "issued_at", c->issued_at,
                              "handler", c->handler[0] ? c->handler : NULL, "existing", existing,
                              "out", ar->out && strcmp(ar->out, "-") ? ar->out : NULL);
        char *txt = json_dumps(o, JSON_INDENT(2));
        /* with --out - the page owns standard output */
        fprintf(ar->out && !strcmp(ar->out, "-") ? stderr : stdout, "%s\n", txt);
        free(txt);
        json_decref(o);
        return;
    }
    FILE *f = ar->out && !strcmp(ar->out, "-") ? stderr : stdout;
    if (existing)
        fprintf(f, "已有学时认定单 %s（%s签发，%s职称，%d—%d年），未重新编号\n", c->number, c->issued_at,
                cert_level_zh(c->level), c->from_year, c->to_year);
    else
        fprintf(f, "已签发学时认定单 %s（%s职称，%d—%d年）\n", c->number, cert_level_zh(c->level),
                c->from_year, c->to_year);
    if (ar->out && strcmp(ar->out, "-"))
        fprintf(f, "认定单页面：%s\n", ar->out);
}

/* Renders c (checking the template before a number is spent when dry) and,
 * unless dry, stores the page; c->html then holds the stored page (the
 * first one stored wins, should two processes render at once). */
static int render(app *a, cert_record *c, const verify_result *vr, int dry, char *err, size_t errlen)
{
    cert_buf page = {0};
    char tpath[4200];
    int rc = cert_form_render(a->db, a->o.rules, c, vr, &page, tpath, sizeof tpath, err, errlen);
    if (rc == 0 && !dry) {
        rc = cert_store_html(a->db, c, tpath, cert_buf_str(&page), err, errlen);
        if (rc == 0)
            rc = cert_find(a->db, c->person_id, c->level, c->eval_year, c, err, errlen) == 1 ? 0 : -1;
        if (rc == 0 && !c->html)
            snprintf(err, errlen, "认定单页面未能保存"), rc = -1;
    }
    cert_buf_free(&page);
    return rc;
}

static int certify(app *a, const certify_args *ar, const char *id, const char *level)
{
    char err[1024], masked[19];
    record_id_mask(id, masked);
    cert_record c = {0};
    int existing = cert_find(a->db, id, level, ar->year, &c, err, sizeof err);
    if (existing < 0)
        goto fail;
    /* Verification is needed to issue, or to render a page that was never
     * stored; a stored certificate is returned as it is. */
    verify_result vr;
    if ((!existing || !c.html)
        && verify_person(a->db, a->policies, id, ar->year, level, &vr, err, sizeof err) != 0)
        goto fail;
    if (!existing) {
        if (!vr.known || !vr.eligible) {
            print_refusal(id, level, ar->year, &vr);
            log_info("certify %s %s %d: not eligible", masked, level, ar->year);
            return EXIT_NO;
        }
        snprintf(c.person_id, sizeof c.person_id, "%s", id);
        snprintf(c.level, sizeof c.level, "%s", level);
        c.eval_year = ar->year;
        c.from_year = vr.from_year;
        c.to_year = vr.to_year;
        snprintf(c.specialty, sizeof c.specialty, "%s", ar->specialty);
        snprintf(c.handler, sizeof c.handler, "%s", ar->handler ? ar->handler : "");
        snprintf(c.phone, sizeof c.phone, "%s", ar->phone ? ar->phone : "");
        snprintf(c.register_number, sizeof c.register_number, "%s",
                 ar->register_number ? ar->register_number : "");
        snprintf(c.issued_at, sizeof c.issued_at, "%s", ar->date);
        snprintf(c.number, sizeof c.number, "（编号待定）");
        /* A broken template must not cost a number: render once first. */
        if (render(a, &c, &vr, 1, err, sizeof err) != 0)
            goto fail;
        existing = cert_issue(a->db, a->policies, &c, err, sizeof err);
        if (existing < 0)
            goto fail;
        log_info("certify %s %s %d: %s %s (seq %lld)", masked, level, ar->year,
                 existing ? "already issued" : "issued", c.number, c.seq);
    } else {
        log_info("certify %s %s %d: already issued %s", masked, level, ar->year, c.number);
    }
    /* A certificate whose page was never stored (a crash right after the
     * number was taken) gets it now, with its stored number and date. */
    if (!c.html && render(a, &c, &vr, 0, err, sizeof err) != 0)
        goto fail;
    /* Through a temporary file and rename: never half a certificate. */
    char werr[512];
    if (ar->out && fileops_write_out(ar->out, c.html, strlen(c.html), werr, sizeof werr) != 0) {
        snprintf(err, sizeof err, "无法写入 %s：%s", ar->out, werr);
        goto fail;
    }
    print_result(ar, &c, existing);
    cert_record_clear(&c);
    return EXIT_OK;
fail:
    fprintf(stderr, "xueshi certify: %s\n", err);
    log_error("certify %s %s %d failed", masked, level, ar->year);
    cert_record_clear(&c);
    return EXIT_FAIL;
}

int cmd_certify(int argc, char **argv)
{
    static const struct option longopts[] = {
        APP_LONG_OPTIONS,
        {"id", required_argument, NULL, 'i'},
        {"level", required_argument, NULL, 'l'},
        {"eval-year", required_argument, NULL, 'y'},
        {"specialty", required_argument, NULL, 's'},
        {"handler", required_argument, NULL, 'H'},
        {"phone", required_argument, NULL, 'p'},
        {"register-number", required_argument, NULL, 'r'},
        {"date", required_argument, NULL, 'd'},
        {"out", required_argument, NULL, 'o'},
        {"json", no_argument, NULL, 'j'},
        {0}};
    app_opts o;
    app_opts_defaults(&o);
    certify_args ar = {0};
    const char *year = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int t = app_opts_take(&o, c, optarg);
        if (t < 0) return EXIT_USAGE;
        if (t) continue;
        switch (c) {
        case 'h': fputs(usage, stdout); return EXIT_OK;
        case 'i': ar.id = optarg; break;
        case 'l': ar.level = optarg; break;
        case 'y': year = optarg; break;
        case 's': ar.specialty = optarg; break;
        case 'H': ar.handler = optarg; break;
        case 'p': ar.phone = optarg; break;
        case 'r': ar.register_number = optarg; break;
        case 'd': ar.date = optarg; break;
        case 'o': ar.out = optarg; break;
        case 'j': ar.json = 1; break;
        default: return app_usage_error("certify", "unknown option");
        }
    }
    if (optind < argc)
        return app_usage_error("certify", "unexpected argument");
    char norm[19], date[11];
    if (!ar.id || !record_id_valid(ar.id, norm))
        return app_usage_error("certify", "--id needs a valid 18-character ID number");
    const char *lv = verify_level_canonical(ar.level);
    if (!lv)
        return app_usage_error("certify", "--level must be intermediate or senior");
    if (!year || parse_year(year, &ar.year) != 0)
        return app_usage_error("certify", "--eval-year needs a year such as 2022");
    if (!ar.specialty || !*ar.specialty)
        return app_usage_error("certify", "--specialty is required (申报专业)");
    if (ar.date) {
        if (!cert_date_valid(ar.date, date))
            return app_usage_error("certify", "--date needs a real date YYYY-MM-DD");
    } else {
        cert_date_today(date);
    }
    ar.date = date;
    if (ar.out && !*ar.out)
        return app_usage_error("certify", "--out needs a file name");

    app a;
    if (app_open(&a, &o, APP_DB_WRITE | APP_POLICIES) != 0)
        return EXIT_FAIL;
    store_set_busy_timeout(a.db, CERTIFY_BUSY_TIMEOUT_MS);
    int rc = certify(&a, &ar, norm, lv);
    app_close(&a);
    return rc;
}
