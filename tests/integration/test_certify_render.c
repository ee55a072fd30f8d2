/*
 * The 学时认定单 as a printer sees it: the page `xueshi certify` writes is
 * rendered by headless Chromium to PDF and PNG. The form is one A4 page
 * (landscape: 存根 on the left, the main part on the right) whose Chinese
 * text is real text in the PDF (pdftotext finds the seed's sentence with the
 * values filled in); the second page lists the years.
 *
 * Chromium, a CJK font and poppler-utils are installed by contrib/setup.sh.
 * Without them this test fails: a certificate nobody has seen rendered is
 * not tested.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "xs_test.h"

static char dd[4096];

/* The flags Chromium needs as root in a container, and to stay off the
 * network; a fresh profile each time. */
#define CHROMIUM "timeout 180 chromium --headless --no-sandbox --disable-gpu --disable-quic" \
                 " --no-first-run --disable-background-networking --disable-component-update" \
                 " --disable-sync --hide-scrollbars --user-data-dir='%s/profile-%s'"

static char *slurp_in(const char *name)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dd, name);
    return xt_slurp(p);
}

/* Text without any whitespace: what pdftotext puts between runs of text
 * depends on the layout, the words do not. */
static char *squeeze(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++)
        if (!strchr(" \t\r\n\f", *r))
            *w++ = *r;
    *w = '\0';
    return s;
}

static void need_tool(const char *tool)
{
    if (xt_run("command -v %s >/dev/null 2>&1", tool) != 0) {
        fprintf(stderr, "%s is not installed: run contrib/setup.sh (it installs chromium,"
                        " fonts-noto-cjk and poppler-utils)\n", tool);
        fail();
    }
}

static int setup(void **state)
{
    xt_tmpdir("certify-render", dd, sizeof dd);
    char path[4200];
    snprintf(path, sizeof path, "%s/person.json", dd);
    /* 430302198806150020: 刘芳, a nurse with 2018–2021 of training. */
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "{\"person\":{\"id\":\"430302198806150020\",\"name\":\"刘芳\",\"unit\":\"湘潭市中心医院\","
               "\"professional_title\":\"护师\",\"education\":\"本科\"},\"activities\":[");
    for (int y = 2018; y <= 2021; y++)
        fprintf(f, "%s{\"kind\":\"培训班\",\"subject\":\"公需\",\"topic\":\"专业技术人员职业素养\","
                   "\"title\":\"%d年度公需科目培训\",\"date\":\"%d-04-20\",\"days\":3,"
                   "\"evidence\":[\"通知\",\"课程表\",\"签到表\"]},"
                   "{\"kind\":\"网络课程\",\"subject\":\"专业\",\"title\":\"%d年护理学专业课程\","
                   "\"date\":\"%d-08-01\",\"hours\":64,\"evidence\":[\"课程内容安排\",\"课程完成进度\"]}",
                y > 2018 ? "," : "", y, y, y, y);
    fprintf(f, "]}\n");
    fclose(f);
    if (xt_xueshi(dd, "ingest %s", path) != 0)
        return -1;
    return xt_xueshi(dd, "certify --id 430302198806150020 --level intermediate --eval-year 2022"
                         " --specialty 护理学 --handler 王红 --phone 0731-58524342"
                         " --register-number 湘继教登字2018-0316 --date 2022-06-10 --out %s/cert.html", dd);
}

static void test_pdf(void **state)
{
    need_tool("chromium");
    need_tool("pdftotext");
    need_tool("pdfinfo");
    int rc = xt_run(CHROMIUM " --no-pdf-header-footer --print-to-pdf='%s/cert.pdf' 'file://%s/cert.html'"
                    " >'%s/chromium-pdf.log' 2>&1", dd, "pdf", dd, dd, dd);
    assert_int_equal(rc, 0);

    /* Two A4 landscape pages: the form, and the years. */
    assert_int_equal(xt_run("pdfinfo -f 1 -l 2 '%s/cert.pdf' >'%s/pdfinfo.txt'", dd, dd), 0);
    char *info = slurp_in("pdfinfo.txt");
    assert_non_null(info);
    assert_non_null(strstr(info, "Pages:           2"));
    assert_non_null(strstr(info, "Page    1 size:  841.92 x 594.96 pts (A4)"));
    free(info);

    assert_int_equal(xt_run("pdftotext -f 1 -l 1 '%s/cert.pdf' '%s/page1.txt'", dd, dd), 0);
    char *p1 = squeeze(slurp_in("page1.txt"));
    /* 附件3: both titles, the stub, the main text, the dates */
    assert_non_null(strstr(p1, "湘潭市专业技术人员继续教育学时认定单存根"));
    assert_non_null(strstr(p1, "姓名刘芳单位湘潭市中心医院现有职称护师编号潭继教〔2022〕0001号"
                               "经办人王红联系电话0731-58524342"));
    assert_non_null(strstr(p1, "根据《专业技术人员继续教育规定》(人社部令第25号)精神，刘芳同志，本科学历，"
                               "申报护理学专业中级职称，自2018年至2021年(近4年)参加继续教育培训，"
                               "培训学时达到《专业技术人员继续教育规定》学时。"));
    assert_non_null(strstr(p1, "继续教育登记证编号：湘继教登字2018-0316"));
    assert_non_null(strstr(p1, "二〇二二年六月十日"));
    assert_null(strstr(p1, "继续教育学时明细")); /* the form alone on page 1 */
    free(p1);

    assert_int_equal(xt_run("pdftotext -f 2 -l 2 '%s/cert.pdf' '%s/page2.txt'", dd, dd), 0);
    char *p2 = squeeze(slurp_in("page2.txt"));
    assert_non_null(strstr(p2, "继续教育学时明细（2018—2021年）"));
    assert_non_null(strstr(p2, "2020年度公需科目培训（30学时）"));
    assert_non_null(strstr(p2, "2021年护理学专业课程（64学时）"));
    free(p2);
}

static void test_png(void **state)
{
    need_tool("chromium");
    /* 297 × 210 mm at 96 px per inch */
    int rc = xt_run(CHROMIUM " --window-size=1123,794 --screenshot='%s/cert.png' 'file://%s/cert.html'"
                    " >'%s/chromium-png.log' 2>&1", dd, "png", dd, dd, dd);
    assert_int_equal(rc, 0);
    char path[4200];
    snprintf(path, sizeof path, "%s/cert.png", dd);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char h[24];
    assert_int_equal(fread(h, 1, sizeof h, f), sizeof h);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    assert_memory_equal(h, "\x89PNG\r\n\x1a\n", 8);
    unsigned w = (unsigned)h[16] << 24 | h[17] << 16 | h[18] << 8 | h[19];
    unsigned ht = (unsigned)h[20] << 24 | h[21] << 16 | h[22] << 8 | h[23];
    assert_int_equal(w, 1123);
    assert_int_equal(ht, 794);
    /* a blank page compresses to a few KB; the form with its CJK text is far more */
    assert_true(size > 30000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_pdf), cmocka_unit_test(test_png)};
    return cmocka_run_group_tests_name("certify_render", tests, setup, NULL);
}
