/*
 * The field catalogue of SPEC §3 and the value names of §3–§4: which file
 * keys mean which field, of what type, and which Chinese words mean which
 * canonical value. Data only; record.c does the work.
 */
#include <pthread.h>
#include <string.h>
#include "record.h"

typedef struct field_def {
    const char *key;
    const char *zh;         /* primary Chinese name (messages) */
    const char *aliases[4]; /* further accepted header names */
    record_type type;
} field_def;

static const field_def fields[RF__COUNT] = {
    [RF_ID] = {"id", "身份证号", {"身份证号码", "身份证", "公民身份号码"}, RT_TEXT},
    [RF_NAME] = {"name", "姓名", {0}, RT_TEXT},
    [RF_UNIT] = {"unit", "单位", {"工作单位"}, RT_TEXT},
    [RF_PROFESSIONAL_TITLE] = {"professional_title", "现有职称", {"职称"}, RT_TEXT},
    [RF_EDUCATION] = {"education", "学历", {0}, RT_TEXT},
    [RF_REF] = {"ref", "编号", {0}, RT_TEXT},
    [RF_KIND] = {"kind", "类型", {0}, RT_ENUM},
    [RF_SUBJECT] = {"subject", "科目", {0}, RT_ENUM},
    [RF_TOPIC] = {"topic", "主题", {0}, RT_TEXT},
    [RF_TITLE] = {"title", "名称", {0}, RT_TEXT},
    [RF_PROVIDER] = {"provider", "主办单位", {0}, RT_TEXT},
    [RF_DATE] = {"date", "日期", {0}, RT_DATE},
    [RF_END_DATE] = {"end_date", "结束日期", {0}, RT_DATE},
    [RF_DAYS] = {"days", "天数", {0}, RT_INT},
    [RF_HALF_DAYS] = {"half_days", "半天数", {0}, RT_INT},
    [RF_EVENINGS] = {"evenings", "晚上数", {0}, RT_INT},
    [RF_HOURS] = {"hours", "学时", {0}, RT_NUMBER},
    [RF_ROLE] = {"role", "角色", {0}, RT_ENUM},
    [RF_LEVEL] = {"level", "级别", {0}, RT_ENUM},
    [RF_RANK] = {"rank", "排名", {0}, RT_INT},
    [RF_CN] = {"cn", "刊号", {0}, RT_TEXT},
    [RF_MODULES] = {"modules", "模块数", {0}, RT_INT},
    [RF_PASSED] = {"passed", "是否合格", {0}, RT_BOOL},
    [RF_NUMBER] = {"number", "认定单编号", {0}, RT_TEXT},
    [RF_FROM_YEAR] = {"from_year", "起始年", {0}, RT_INT},
    [RF_TO_YEAR] = {"to_year", "截止年", {0}, RT_INT},
};

const char *record_field_key(record_field f)
{
    return (unsigned)f < RF__COUNT ? fields[f].key : NULL;
}

const char *record_field_zh(record_field f)
{
    return (unsigned)f < RF__COUNT ? fields[f].zh : NULL;
}

record_type record_field_type(record_field f)
{
    return (unsigned)f < RF__COUNT ? fields[f].type : RT_TEXT;
}

/* Every name of every field (key, Chinese name, aliases) in an open-
 * addressing table, built once: every key of every record is looked up,
 * and a scan of the catalogue cost some eighty strcmp for a key that is
 * not a field. Immutable once built (pthread_once), so threads share it. */
#define FIELD_SLOTS 256 /* a power of two, well above the ~45 names */

static struct {
    const char *name;
    int field;
} field_table[FIELD_SLOTS];
static pthread_once_t field_table_once = PTHREAD_ONCE_INIT;

static unsigned name_hash(const char *s)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void field_table_add(const char *name, int f)
{
    unsigned i = name_hash(name) & (FIELD_SLOTS - 1);
    while (field_table[i].name) {
        if (strcmp(field_table[i].name, name) == 0)
            return; /* the first field to claim a name keeps it, as the scan did */
        i = (i + 1) & (FIELD_SLOTS - 1);
    }
    field_table[i].name = name;
    field_table[i].field = f;
}

static void field_table_build(void)
{
    for (int f = 0; f < RF__COUNT; f++) {
        field_table_add(fields[f].key, f);
        field_table_add(fields[f].zh, f);
        for (int a = 0; a < 4 && fields[f].aliases[a]; a++)
            field_table_add(fields[f].aliases[a], f);
    }
}

int record_field_lookup(const char *key)
{
    pthread_once(&field_table_once, field_table_build);
    unsigned i = name_hash(key) & (FIELD_SLOTS - 1);
    while (field_table[i].name) {
        if (strcmp(field_table[i].name, key) == 0)
            return field_table[i].field;
        i = (i + 1) & (FIELD_SLOTS - 1);
    }
    return -1;
}

/* A canonical word and the names that mean it. */
typedef struct value_name {
    const char *canonical;
    const char *names[8];
} value_name;

/* SPEC §4 table, 中文 column. The kind set is fixed by the SPEC (the year of
 * an activity depends on it, so it must be known before a policy is chosen);
 * what each kind is worth is the policy's. */
static const value_name kinds[] = {
    {"training", {"培训", "培训班", "研修班", "进修班"}},
    {"practice", {"实践", "实践活动", "继续教育实践活动"}},
    {"online", {"网络课程", "网络平台课程", "远程教育"}},
    {"conference", {"学术会议", "讲座", "访问", "交流"}},
    {"overseas", {"海外交换", "海外交流"}},
    {"project", {"课题", "课题研究", "项目开发"}},
    {"book", {"著作", "译作", "教材"}},
    {"paper", {"论文"}},
    {"patent", {"专利"}},
    {"award", {"获奖", "科技奖", "社科奖"}},
    {"computer_exam", {"计算机应用能力考试", "计算机考试"}},
    {"special_task", {"三援", "援藏", "援疆", "援外", "东西部扶贫协作", "防控一线"}},
    {"degree_course", {"学历教育", "学位教育"}},
    {"qualification_exam", {"职业资格考试"}},
    {"prior_certificate", {"学时认定单", "以前的学时认定单"}},
    {NULL, {0}},
};

static const value_name subjects[] = {
    {"public", {"公需", "公需科目"}},
    {"professional", {"专业", "专业科目"}},
    {NULL, {0}},
};

static const value_name roles[] = {
    {"host", {"主持", "主持人"}},
    {"participant", {"参与", "参与人", "参与人员"}},
    {NULL, {0}},
};

static const value_name levels[] = {
    {"government", {"政府"}},
    {"industry", {"行业", "行业组织"}},
    {"national", {"国家级"}},
    {"provincial", {"省部级"}},
    {"prefecture", {"地厅级"}},
    {NULL, {0}},
};

static const char *lookup_value(const value_name *table, const char *name)
{
    for (const value_name *v = table; v->canonical; v++) {
        if (strcmp(name, v->canonical) == 0)
            return v->canonical;
        for (int i = 0; i < 8 && v->names[i]; i++)
            if (strcmp(name, v->names[i]) == 0)
                return v->canonical;
    }
    return NULL;
}

const char *record_kind_canonical(const char *name)
{
    return lookup_value(kinds, name);
}

/* Canonical value of an RT_ENUM field, or NULL when the word is unknown (the
 * text is then kept as written and the policy decides). */
const char *record_enum_canonical(record_field f, const char *name)
{
    switch (f) {
    case RF_KIND: return lookup_value(kinds, name);
    case RF_SUBJECT: return lookup_value(subjects, name);
    case RF_ROLE: return lookup_value(roles, name);
    case RF_LEVEL: return lookup_value(levels, name);
    default: return NULL;
    }
}

/* SPEC §3 booleans: true/false/1/0/是/否 (and 合格/不合格, as forms say). */
int record_bool_parse(const char *s, int *out)
{
    static const char *const yes[] = {"true", "TRUE", "True", "1", "是", "合格", "yes", NULL};
    static const char *const no[] = {"false", "FALSE", "False", "0", "否", "不合格", "no", NULL};
    for (int i = 0; yes[i]; i++)
        if (strcmp(s, yes[i]) == 0) return *out = 1, 1;
    for (int i = 0; no[i]; i++)
        if (strcmp(s, no[i]) == 0) return *out = 0, 1;
    return 0;
}
