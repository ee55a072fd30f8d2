#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cert_date.h"
#include "record.h"

static const char *const digit_zh[] = {"〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"};

/* 1..99 the way dates say them: 十, 十一, 二十, 三十一. */
static void number_zh(int n, char *out, size_t outlen)
{
    int tens = n / 10, ones = n % 10;
    snprintf(out, outlen, "%s%s%s", tens > 1 ? digit_zh[tens] : "", tens ? "十" : "",
             ones ? digit_zh[ones] : "");
}

int cert_date_valid(const char *s, char norm[11])
{
    int y, m, d;
    if (!s || !record_parse_date(s, &y, &m, &d) || y < 1000 || y > 9999)
        return 0;
    snprintf(norm, 11, "%04d-%02d-%02d", y, m, d);
    return 1;
}

int cert_date_zh(const char *ymd, char *out, size_t outlen)
{
    int y, m, d;
    if (!record_parse_date(ymd, &y, &m, &d) || y < 1000 || y > 9999)
        return -1;
    char month[16], day[16];
    number_zh(m, month, sizeof month);
    number_zh(d, day, sizeof day);
    snprintf(out, outlen, "%s%s%s%s年%s月%s日", digit_zh[y / 1000], digit_zh[y / 100 % 10],
             digit_zh[y / 10 % 10], digit_zh[y % 10], month, day);
    return 0;
}

int cert_date_cn(const char *ymd, char *out, size_t outlen)
{
    int y, m, d;
    if (!record_parse_date(ymd, &y, &m, &d))
        return -1;
    snprintf(out, outlen, "%d年%d月%d日", y, m, d);
    return 0;
}

void cert_date_today(char out[11])
{
    if (cert_date_valid(getenv("XUESHI_TODAY"), out))
        return;
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}
