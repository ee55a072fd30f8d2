/* Generated submissions for the benchmarks: valid IDs, a realistic mix. */
#include <stdio.h>
#include <stdlib.h>
#include "bench_gen.h"

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

/* A realistic mix: mostly trainings and online courses, some papers,
 * conferences, exams, projects; a few records with problems. */
void bench_generate_csv(const char *path, long n)
{
    FILE *f = fopen(path, "w");
    if (!f) { perror(path); exit(1); }
    fputs("id,name,unit,ref,kind,subject,topic,title,date,days,half_days,hours,rank,cn,modules,role,level,evidence\n", f);
    static const char *const topics[] = {"全面提高公共安全生产保障能力", "新时代数字化在工作中的应用", "区块链技术与应用"};
    for (long i = 0; i < n; i++) {
        long person = i / 10;
        char id[19];
        bench_make_id(person, id);
        int year = 2018 + (int)(i % 5), m = 1 + (int)(i % 12), d = 1 + (int)(i % 28);
        int k = (int)(i * 7 % 20);
        fprintf(f, "%s,人员%ld,单位%ld,r%ld,", id, person, person % 1000, i);
        if (k < 6)
            fprintf(f, "培训班,公需,%s,公需科目培训%ld,%d-%02d-%02d,%d,%d,,,,,,,通知、课程表、签到表\n",
                    year == 2022 ? topics[i % 3] : "任意主题", i, year, m, d, 1 + (int)(i % 3), (int)(i % 2));
        else if (k < 11)
            fprintf(f, "online,professional,,网络课程%ld,%d-%02d-%02d,,,%d,,,,,,syllabus;progress\n", i, year, m, d, 8 + (int)(i % 20));
        else if (k < 14)
            fprintf(f, "paper,,,论文%ld,%d-%02d-%02d,,,,%d,CN43-%04d/R,,,,刊物封面、刊号、目录\n", i, year, m, d, 1 + (int)(i % 3), (int)(i % 10000));
        else if (k < 16)
            fprintf(f, "conference,professional,,学术会议%ld,%d-%02d-%02d,%d,,,,,,,,expense_claim\n", i, year, m, d, 1 + (int)(i % 2));
        else if (k < 17)
            fprintf(f, "computer_exam,,,计算机考试%ld,%d-%02d-%02d,,,,,,%d,,,exam_certificate\n", i, year, m, d, 1 + (int)(i % 3));
        else if (k < 18)
            fprintf(f, "project,,,课题%ld,%d-%02d-%02d,,,,,,,主持,政府,结题证明\n", i, year, m, d);
        else if (k < 19)
            fprintf(f, "patent,,,专利%ld,%d-%02d-%02d,,,,1,,,,,\n", i, year, m, d); /* pending */
        else
            fprintf(f, "培训班,公需,不在目录的主题,培训%ld,2022-%02d-%02d,1,,,,,,,,通知、课程表、签到表\n", i, m, d);
    }
    fclose(f);
}

