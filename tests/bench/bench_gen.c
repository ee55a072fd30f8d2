/* Generated submissions for the benchmarks: valid IDs, a realistic mix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench_gen.h"

const char *const bench_fields[BF_COUNT] = {
    "id", "name", "unit", "ref", "kind", "subject", "topic", "title", "date", "days",
    "half_days", "hours", "rank", "cn", "modules", "role", "level", "evidence"};

/* Fields holding whole numbers: JSON numbers rather than strings. */
static const int bench_numeric[BF_COUNT] = {
    [BF_DAYS] = 1, [BF_HALF_DAYS] = 1, [BF_HOURS] = 1, [BF_RANK] = 1, [BF_MODULES] = 1};

/* A valid GB 11643 ID for person number n. */
void bench_make_id(long n, char id[19])
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int year = 1960 + (int)(n % 40), month = 1 + (int)(n / 40 % 12), day = 1 + (int)(n / 480 % 28);
    snprintf(id, 19, "430302%04d%02d%02d%03ld", year, month, day, n / 13440 % 1000);
    int s = 0;
    for (int i = 0; i < 17; i++)
        s += (id[i] - '0') * w[i];
    id[17] = "10X98765432"[s % 11];
    id[18] = '\0';
}

#define SET(f, ...) snprintf(r->v[f], sizeof r->v[f], __VA_ARGS__)

/* A realistic mix: mostly trainings and online courses, some papers,
 * conferences, exams, projects; a few records with problems. */
void bench_record(long i, bench_rec *r)
{
    static const char *const topics[] = {"全面提高公共安全生产保障能力", "新时代数字化在工作中的应用", "区块链技术与应用"};
    for (int f = 0; f < BF_COUNT; f++)
        r->v[f][0] = '\0';
    long person = i / 10;
    bench_make_id(person, r->v[BF_ID]);
    int year = 2018 + (int)(i % 5), m = 1 + (int)(i % 12), d = 1 + (int)(i % 28);
    int k = (int)(i * 7 % 20);
    SET(BF_NAME, "人员%ld", person);
    SET(BF_UNIT, "单位%ld", person % 1000);
    SET(BF_REF, "r%ld", i);
    SET(BF_DATE, "%d-%02d-%02d", year, m, d);
    if (k < 6) {
        SET(BF_KIND, "培训班");
        SET(BF_SUBJECT, "公需");
        SET(BF_TOPIC, "%s", year == 2022 ? topics[i % 3] : "任意主题");
        SET(BF_TITLE, "公需科目培训%ld", i);
        SET(BF_DAYS, "%d", 1 + (int)(i % 3));
        SET(BF_HALF_DAYS, "%d", (int)(i % 2));
        SET(BF_EVIDENCE, "通知、课程表、签到表");
    } else if (k < 11) {
        SET(BF_KIND, "online");
        SET(BF_SUBJECT, "professional");
        SET(BF_TITLE, "网络课程%ld", i);
        SET(BF_HOURS, "%d", 8 + (int)(i % 20));
        SET(BF_EVIDENCE, "syllabus;progress");
    } else if (k < 14) {
        SET(BF_KIND, "paper");
        SET(BF_TITLE, "论文%ld", i);
        SET(BF_RANK, "%d", 1 + (int)(i % 3));
        SET(BF_CN, "CN43-%04d/R", (int)(i % 10000));
        SET(BF_EVIDENCE, "刊物封面、刊号、目录");
    } else if (k < 16) {
        SET(BF_KIND, "conference");
        SET(BF_SUBJECT, "professional");
        SET(BF_TITLE, "学术会议%ld", i);
        SET(BF_DAYS, "%d", 1 + (int)(i % 2));
        SET(BF_EVIDENCE, "expense_claim");
    } else if (k < 17) {
        SET(BF_KIND, "computer_exam");
        SET(BF_TITLE, "计算机考试%ld", i);
        SET(BF_MODULES, "%d", 1 + (int)(i % 3));
        SET(BF_EVIDENCE, "exam_certificate");
    } else if (k < 18) {
        SET(BF_KIND, "project");
        SET(BF_TITLE, "课题%ld", i);
        SET(BF_ROLE, "主持");
        SET(BF_LEVEL, "政府");
        SET(BF_EVIDENCE, "结题证明");
    } else if (k < 19) {
        SET(BF_KIND, "patent"); /* pending: no materials */
        SET(BF_TITLE, "专利%ld", i);
        SET(BF_RANK, "1");
    } else {
        SET(BF_KIND, "培训班"); /* rejected: topic not in the 2022 list */
        SET(BF_SUBJECT, "公需");
        SET(BF_TOPIC, "不在目录的主题");
        SET(BF_TITLE, "培训%ld", i);
        SET(BF_DATE, "2022-%02d-%02d", m, d);
        SET(BF_DAYS, "1");
        SET(BF_EVIDENCE, "通知、课程表、签到表");
    }
}

static FILE *bench_open(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) { perror(path); exit(1); }
    static char buf[1 << 16];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    return f;
}

static void bench_close(FILE *f, const char *path)
{
    if (ferror(f) | fclose(f)) { perror(path); exit(1); }
}

void bench_generate_csv_range(const char *path, long first, long n)
{
    FILE *f = bench_open(path);
    for (int c = 0; c < BF_COUNT; c++)
        fprintf(f, "%s%c", bench_fields[c], c + 1 < BF_COUNT ? ',' : '\n');
    bench_rec r;
    for (long i = first; i < first + n; i++) {
        bench_record(i, &r);
        for (int c = 0; c < BF_COUNT; c++) {
            fputs(r.v[c], f);
            fputc(c + 1 < BF_COUNT ? ',' : '\n', f);
        }
    }
    bench_close(f, path);
}

void bench_generate_csv(const char *path, long n)
{
    bench_generate_csv_range(path, 0, n);
}

/* Evidence as a JSON array: the CSV list split on ";" or "、". (Generated
 * text holds no quotes or backslashes, so nothing needs escaping.) */
static void bench_json_evidence(FILE *f, const char *s)
{
    fputs("[\"", f);
    for (const char *p = s; *p;) {
        if (*p == ';') {
            fputs("\",\"", f);
            p++;
        } else if (strncmp(p, "、", 3) == 0) {
            fputs("\",\"", f);
            p += 3;
        } else
            fputc(*p++, f);
    }
    fputs("\"]", f);
}

void bench_generate_jsonl(const char *path, long first, long n)
{
    FILE *f = bench_open(path);
    bench_rec r;
    long person = -1;
    for (long i = first; i < first + n; i++) {
        bench_record(i, &r);
        if (i / 10 != person) {
            if (person >= 0)
                fputs("]}\n", f);
            person = i / 10;
            fprintf(f, "{\"person\":{\"id\":\"%s\",\"name\":\"%s\",\"unit\":\"%s\"},\"activities\":[",
                    r.v[BF_ID], r.v[BF_NAME], r.v[BF_UNIT]);
        } else
            fputc(',', f);
        fputc('{', f);
        int sep = 0;
        for (int c = BF_REF; c < BF_COUNT; c++) {
            if (!r.v[c][0])
                continue;
            fprintf(f, "%s\"%s\":", sep ? "," : "", bench_fields[c]);
            sep = 1;
            if (c == BF_EVIDENCE)
                bench_json_evidence(f, r.v[c]);
            else if (bench_numeric[c])
                fputs(r.v[c], f);
            else
                fprintf(f, "\"%s\"", r.v[c]);
        }
        fputc('}', f);
    }
    if (person >= 0)
        fputs("]}\n", f);
    bench_close(f, path);
}
