-- 2022年度湘潭市专业技术人员继续教育学时政策
--
-- 来源：潭人社函〔2022〕18号《关于做好2022年专业技术人员继续教育有关工作的通知》
-- （下称“通知”）及其附件1《继续教育学时认定有关说明》（下称“附件1”）。
-- The machinery is rules/lib/hunan.lua; every field is described in
-- docs/policies.md.

local hunan = lib("hunan")

-- 附件1 一.1：培训通知、课程表（或日程安排）、签到表
local NOTICE_SCHEDULE_SIGN_IN = { "notice", "schedule", "sign_in" }

return hunan.policy {
  year = 2022,

  -- 通知 一(一)：2022年度公需科目主题（可选择一个或多个学习）
  topics = {
    "全面提高公共安全生产保障能力",
    "新时代数字化在工作中的应用",
    "区块链技术与应用",
  },

  -- 附件1 二.1：每天折算为10学时，半天折算4学时，晚上折算2学时
  attendance = { day = 10, half_day = 4, evening = 2 },

  -- 通知 一(二)：每年累计不少于90学时，其中专业科目一般不少于总学时的2/3
  -- （SPEC §4：2/3 of the 90, professional ≥ 60）；附件1 二.7：“三援”等考核
  -- 合格者视为完成当年继续教育（a whole_year credit makes the year）
  requirements = {
    total = 90,
    minimum = { professional = 60 },
    whole_year = true,
  },

  -- 通知 二：2022年度参评中级职称学时认定跨度为2018—2021年，参评高级职称
  -- 认定跨度为2017—2021年（relative to the evaluation year: Y-4..Y-1, Y-5..Y-1）
  spans = {
    intermediate = { from = -4, to = -1 },
    senior = { from = -5, to = -1 },
  },

  -- 附件1 一：材料代码及其中文名称（SPEC §4）；证据可写代码或任一中文名称
  material_names = {
    notice = { "通知", "培训通知" },
    schedule = { "课程表", "日程安排", "培训课程表", "培训日程安排" },
    sign_in = { "签到表", "培训签到表" },
    certificate = { "结业证书" },
    practice_notice = { "实践活动通知" },
    dispatch_notice = { "派出通知", "派遣通知" },
    registration_form = { "报名表", "实践报名表" },
    practice_log = { "实践活动日志" },
    syllabus = { "课程内容安排", "课程内容" },
    progress = { "课程完成进度" },
    course_duration = { "课程时长" },
    invitation = { "邀请函" },
    receipt = { "回执", "参会回执" },
    notes = { "学习笔记" },
    attendee_list = { "会议通讯录" },
    email_receipt = { "邮件回执" },
    expense_claim = { "财务报账单" },
    study_materials = { "学习资料" },
    completion_certificate = { "结题证明", "结项证明" },
    cover = { "封面", "著作封面" },
    copyright_page = { "版权页" },
    toc = { "目录" },
    journal_cover = { "刊物封面" },
    journal_number = { "刊号" },
    patent_certificate = { "专利证书" },
    award_certificate = { "获奖证书" },
    exam_certificate = { "合格证书" },
    assessment_form = { "考核表" },
    transcript = { "成绩单", "课程成绩单" },
    score_report = { "考试成绩单" },
    certificate_copy = { "认定单复印件", "学时认定单复印件" },
  },

  kinds = {
    training = {
      name = "培训",
      rule = "attendance",            -- 附件1 二.1
      category = "subject",
      materials = {                   -- 附件1 一.1
        NOTICE_SCHEDULE_SIGN_IN,                              -- (1)
        { "certificate", one_of = NOTICE_SCHEDULE_SIGN_IN },  -- (2)
      },
    },
    practice = {
      name = "实践活动",
      rule = "attendance",            -- 附件1 二.1
      category = "subject",
      materials = {                   -- 附件1 一.2
        { "practice_notice", "dispatch_notice" },                                  -- (1)
        { "practice_log", one_of = { "practice_notice", "registration_form" } },   -- (2)
      },
    },
    online = {
      name = "网络课程",
      rule = "hours",                 -- 课程学时即学时
      category = "subject",
      materials = {                   -- 附件1 一.3
        { "syllabus", "progress" },                                        -- (1)
        { "certificate", one_of = { "course_duration", "syllabus" } },     -- (2)
      },
    },
    conference = {
      name = "学术会议",
      rule = "attendance",            -- 附件1 二.1：参加有关培训、会议等
      category = "subject",
      materials = {                   -- 附件1 一.4
        { "receipt", "notes", one_of = { "invitation", "notice" } },             -- (1)
        { one_of = { "attendee_list", "email_receipt", "expense_claim" } },      -- (2)
      },
    },
    overseas = {
      name = "海外交流",
      rule = "attendance",            -- 附件1 二.1
      category = "subject",
      materials = {                   -- 附件1 一.12
        { "invitation", one_of = { "receipt", "study_materials", "certificate" } },
      },
    },
    project = {
      name = "课题",
      rule = "role",
      category = "professional",
      -- 附件1 二.2：政府或行业组织课题，主持人员90学时，参与人员60学时
      levels = { "government", "industry" },
      hours = { host = 90, participant = 60 },
      materials = { { "completion_certificate" } },   -- 附件1 一.5
    },
    book = {
      name = "著作",
      rule = "rank",
      category = "professional",
      -- 附件1 二.3：独立或第一作者90学时，其他作者60学时
      hours = { { upto = 1, hours = 90 }, { hours = 60 } },
      materials = { { "cover", "copyright_page", "toc" } },   -- 附件1 一.6
    },
    paper = {
      name = "论文",
      rule = "rank",
      category = "professional",
      -- 附件1 二.3：国内统一刊号刊物，独立或第一作者每篇30学时，其他作者10学时
      hours = { { upto = 1, hours = 30 }, { hours = 10 } },
      cn = "^CN%d%d%-%d%d%d%d/[A-Z][A-Z0-9.]*$",
      materials = { { "journal_cover", "journal_number", "toc" } },   -- 附件1 一.6
    },
    patent = {
      name = "专利",
      rule = "rank",
      category = "professional",
      who = "完成人",
      -- 附件1 二.4：独立或第一完成人每项90学时，其他完成人60学时
      hours = { { upto = 1, hours = 90 }, { hours = 60 } },
      materials = { { "patent_certificate" } },   -- 附件1 一.7
    },
    award = {
      name = "奖项",
      rule = "award",
      category = "professional",
      -- 附件1 二.5：省部级及以上90学时；地厅级前五名60学时，其他完成人30学时
      levels = {
        national = 90,
        provincial = 90,
        prefecture = { { upto = 5, hours = 60 }, { hours = 30 } },
      },
      materials = { { "award_certificate" } },   -- 附件1 一.8
    },
    computer_exam = {
      name = "计算机应用能力考试",
      rule = "per_module",
      category = "professional",
      per_module = 20,                -- 附件1 二.6：每个模块20学时
      materials = { { "exam_certificate" } },   -- 附件1 一.9
    },
    special_task = {
      name = "特定工作任务",
      rule = "whole_year",
      must_pass = true,               -- 附件1 二.7：考核合格者
      -- 附件1 二.7：工作时间为6个月的视为完成当年90学时；超过1年以上的视为
      -- 完成外派期间所有年度90学时（SPEC §4 gives the month arithmetic）
      hours = 90,
      min_months = 6,
      all_years_months = 12,
      materials = { { "dispatch_notice", "assessment_form" } },   -- 附件1 一.10
    },
    degree_course = {
      name = "学历教育",
      rule = "fixed",
      category = "professional",
      must_pass = true,
      -- 附件1 二.8：当年度通过一门学习课程或考核的，折算专业科目90学时（每年一次）
      hours = 90,
      explanation = "学历教育课程考核通过：90学时",
      cap = { key = "degree_course", limit = 90, note = "学历教育当年度已计90学时，本项不再计" },
      materials = { { "transcript" } },   -- 附件1 一.11
    },
    qualification_exam = {
      name = "职业资格考试",
      rule = "fixed",
      category = "professional",
      must_pass = true,
      -- 附件1 二.9：当年度通过一门考试课程的，折算专业科目90学时（每年一次）
      hours = 90,
      explanation = "职业资格考试通过：90学时",
      cap = { key = "qualification_exam", limit = 90, note = "职业资格考试当年度已计90学时，本项不再计" },
      materials = { { "score_report" } },   -- 附件1 一.11
    },
    prior_certificate = {
      name = "学时认定单",
      rule = "covers",                -- 通知 三(二)：提供以前的《学时认定单》
      materials = { { "certificate_copy" } },
    },
  },

  -- 国务院办公厅关于2022年部分节假日安排的通知 (not in the seed; used for
  -- the 5-working-day publicity period of 通知 二(一)1)
  holidays = {
    { "2022-01-01", "2022-01-03" },  -- 元旦
    { "2022-01-31", "2022-02-06" },  -- 春节
    { "2022-04-03", "2022-04-05" },  -- 清明节
    { "2022-04-30", "2022-05-04" },  -- 劳动节
    { "2022-06-03", "2022-06-05" },  -- 端午节
    { "2022-09-10", "2022-09-12" },  -- 中秋节
    { "2022-10-01", "2022-10-07" },  -- 国庆节
  },
  workdays = {                       -- 调休上班的周末
    "2022-01-29", "2022-01-30", "2022-04-02", "2022-04-24",
    "2022-05-07", "2022-10-08", "2022-10-09",
  },

  -- 附件3《学时认定单》编号：评审年度、序号
  certificate = { number = "潭继教〔%d〕%04d号" },
}
