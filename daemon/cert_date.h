/*
 * cert_date — dates as forms print them. The 学时认定单 of the seed notice
 * (附件3) is dated in Chinese numerals: 2022-06-10 → 二〇二二年六月十日;
 * the 公示名单 in ordinary digits: 2022年6月10日.
 */
#ifndef XS_CERT_DATE_H
#define XS_CERT_DATE_H
#include <stddef.h>

/* YYYY-MM-DD → 二〇二二年六月十日. 0, or -1 when ymd is not a real date. */
int cert_date_zh(const char *ymd, char *out, size_t outlen);
/* YYYY-MM-DD → 2022年6月10日. 0 or -1. */
int cert_date_cn(const char *ymd, char *out, size_t outlen);
/* Today as YYYY-MM-DD: XUESHI_TODAY when it is a real date (tests, replays
 * of old batches), else the local date. */
void cert_date_today(char out[11]);
/* 1 when s is a real YYYY-MM-DD date; then norm (11 bytes) gets it with
 * zero-padded month and day. */
int cert_date_valid(const char *s, char norm[11]);

#endif
