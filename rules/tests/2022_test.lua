-- Tests of rules/2022.lua. Run with `xueshi rules check`.
-- evaluate{…} sends a record through the real normaliser and the policy;
-- evaluate_raw{…} hands the table to the policy as it is.

local TRAIN = { "notice", "schedule", "sign_in" }

---------------------------------------------------------------------------
-- 附件1 二.1 attendance: training, practice, conference, overseas
---------------------------------------------------------------------------

test("zs-1: training 2 days + half day = 24 public", function()
  local r = evaluate { ref = "zs-1", kind = "training", subject = "public", topic = "区块链技术与应用",
    title = "2022年公需科目培训班", date = "2022-05-10", end_date = "2022-05-12",
    days = 2, half_days = 1, evidence = TRAIN }
  eq(r.status, "credited")
  eq(r.credits, { { year = 2022, category = "public", hours = 24,
    explanation = "培训2天+半天：2×10+4=24学时" } })
end)

test("training day + half day + evening = 10 + 4 + 2", function()
  local r = evaluate { kind = "培训班", subject = "专业", title = "冶金安全", date = "2022-04-16",
    days = 1, half_days = 1, evenings = 1, evidence = "通知、课程表、签到表" }
  eq(r.status, "credited")
  eq(r.category, "professional")
  eq(r.hours, 16)
  eq(r.explanation, "培训1天+半天+晚上：10+4+2=16学时")
end)

test("training single terms", function()
  local r = evaluate { kind = "training", subject = "professional", date = "2022-03-01", days = 1, evidence = TRAIN }
  eq(r.explanation, "培训1天：10学时")
  r = evaluate { kind = "training", subject = "professional", date = "2022-03-01", evenings = 3, evidence = TRAIN }
  eq(r.hours, 6)
  eq(r.explanation, "培训3个晚上：3×2=6学时")
  r = evaluate { kind = "研修班", subject = "professional", date = "2022-03-01", half_days = 2, evidence = TRAIN }
  eq(r.hours, 8)
  eq(r.explanation, "培训2个半天：2×4=8学时")
  r = evaluate { kind = "进修班", subject = "professional", date = "2022-03-01", days = 366, evidence = TRAIN }
  eq(r.hours, 3660)
end)

test("training: both material sets, English and Chinese", function()
  eq(evaluate { kind = "training", subject = "professional", date = "2022-03-01", days = 1,
    evidence = { "通知", "日程安排", "签到表" } }.status, "credited")
  for _, one in ipairs({ "notice", "schedule", "sign_in", "培训通知", "培训日程安排" }) do
    eq(evaluate { kind = "training", subject = "professional", date = "2022-03-01", days = 1,
      evidence = { "certificate", one } }.status, "credited", one)
  end
  eq(evaluate { kind = "training", subject = "professional", date = "2022-03-01", days = 1,
    evidence = { "结业证书", "签到表" } }.status, "credited")
end)

test("training: incomplete materials name the nearest set", function()
  local r = evaluate { kind = "training", subject = "professional", date = "2022-03-01", days = 1,
    evidence = { "certificate" } }
  eq(r.status, "pending_materials")
  eq(r.reason_code, "missing_materials")
  eq(r.reason, "缺少材料：通知(notice)或课程表(schedule)或签到表(sign_in)之一")
  r = evaluate { kind = "training", subject = "professional", date = "2022-03-01", days = 1,
    evidence = { "notice", "schedule" } }
  eq(r.reason, "缺少材料：签到表(sign_in)")
  r = evaluate { kind = "training", subject = "professional", date = "2022-03-01", days = 1 }
  -- set (2) lacks two items, set (1) three
  eq(r.reason, "缺少材料：结业证书(certificate)、通知(notice)或课程表(schedule)或签到表(sign_in)之一")
  eq(r.hours, 0)
end)

test("zs-6: a public topic not in the 2022 list", function()
  local r = evaluate { ref = "zs-6", kind = "training", subject = "public", topic = "职业道德与法治",
    title = "职业道德讲座", date = "2022-04-08", days = 1, evidence = TRAIN }
  eq(r.status, "rejected")
  eq(r.reason_code, "topic_not_in_policy")
  ok(r.reason:find("职业道德与法治", 1, true), r.reason)
end)

test("every 2022 topic is accepted", function()
  for _, topic in ipairs({ "全面提高公共安全生产保障能力", "新时代数字化在工作中的应用", "区块链技术与应用" }) do
    eq(evaluate { kind = "training", subject = "public", topic = topic, date = "2022-03-01",
      days = 1, evidence = TRAIN }.status, "credited", topic)
  end
end)

test("subject and topic are required; professional needs no topic", function()
  eq(evaluate { kind = "training", date = "2022-03-01", days = 1, evidence = TRAIN }.reason_code, "missing_field")
  local r = evaluate { kind = "training", subject = "public", date = "2022-03-01", days = 1, evidence = TRAIN }
  eq(r.reason_code, "missing_field")
  eq(r.reason, "缺少主题(topic)")
  eq(evaluate { kind = "training", subject = "professional", date = "2022-03-01", days = 1,
    evidence = TRAIN }.status, "credited")
  eq(evaluate { kind = "training", subject = "其他", date = "2022-03-01", days = 1,
    evidence = TRAIN }.reason_code, "invalid_value")
end)

test("attendance: none given, out of range, negative", function()
  local r = evaluate { kind = "training", subject = "professional", date = "2022-03-01", evidence = TRAIN }
  eq(r.reason_code, "missing_field")
  eq(r.reason, "缺少天数(days)、半天数(half_days)、晚上数(evenings)")
  eq(evaluate { kind = "training", subject = "professional", date = "2022-03-01", days = 0, half_days = 0,
    evidence = TRAIN }.reason_code, "missing_field")
  eq(evaluate { kind = "training", subject = "professional", date = "2022-03-01", days = 367,
    evidence = TRAIN }.reason_code, "invalid_value")
  eq(evaluate { kind = "training", subject = "professional", date = "2022-03-01", days = -1,
    evidence = TRAIN }.reason_code, "invalid_value")
  -- the policy's own checks, behind the normaliser's
  eq(evaluate_raw { kind = "training", subject = "professional", date = "2022-03-01", days = -1,
    evidence = TRAIN }.reason_code, "invalid_value")
  eq(evaluate_raw { kind = "training", subject = "professional", date = "2022-03-01", evenings = -2,
    evidence = TRAIN }.reason_code, "invalid_value")
  eq(evaluate { kind = "training", subject = "professional", date = "2022-03-05", end_date = "2022-03-01",
    days = 1, evidence = TRAIN }.reason_code, "invalid_value")
end)

test("practice: both material sets", function()
  local r = evaluate { kind = "继续教育实践活动", subject = "professional", date = "2022-06-01", days = 3,
    evidence = { "实践活动通知", "派出通知" } }
  eq(r.status, "credited")
  eq(r.hours, 30)
  eq(r.explanation, "实践活动3天：3×10=30学时")
  eq(evaluate { kind = "practice", subject = "professional", date = "2022-06-01", days = 1,
    evidence = { "practice_log", "registration_form" } }.status, "credited")
  eq(evaluate { kind = "practice", subject = "professional", date = "2022-06-01", days = 1,
    evidence = { "实践活动日志", "实践活动通知" } }.status, "credited")
  eq(evaluate { kind = "practice", subject = "professional", date = "2022-06-01", days = 1,
    evidence = { "dispatch_notice" } }.reason, "缺少材料：实践活动通知(practice_notice)")
end)

test("zs-2: online course 16 hours, second material set", function()
  local r = evaluate { ref = "zs-2", kind = "online", subject = "professional", title = "临床用药新进展",
    date = "2022-03-02", hours = 16, evidence = { "certificate", "course_duration" } }
  eq(r.credits, { { year = 2022, category = "professional", hours = 16, explanation = "网络课程16学时" } })
  eq(evaluate { kind = "网络平台课程", subject = "professional", date = "2022-03-02", hours = 12.5,
    evidence = { "课程内容安排", "课程完成进度" } }.hours, 12.5)
  eq(evaluate { kind = "远程教育", subject = "professional", date = "2022-03-02", hours = 8,
    evidence = { "结业证书", "课程内容安排" } }.status, "credited")
  eq(evaluate { kind = "online", subject = "professional", date = "2022-03-02", hours = 8,
    evidence = { "progress" } }.reason, "缺少材料：课程内容安排(syllabus)")
end)

test("online: hours required and positive", function()
  eq(evaluate { kind = "online", subject = "professional", date = "2022-03-02",
    evidence = { "syllabus", "progress" } }.reason_code, "missing_field")
  eq(evaluate { kind = "online", subject = "professional", date = "2022-03-02", hours = 0,
    evidence = { "syllabus", "progress" } }.reason_code, "invalid_value")
end)

test("zs-7: conference 1 day; expense claim alone is a set", function()
  local r = evaluate { ref = "zs-7", kind = "conference", subject = "professional", title = "湖南省医学会年会",
    date = "2022-11-05", days = 1, evidence = { "expense_claim" } }
  eq(r.status, "credited")
  eq(r.credits, { { year = 2022, category = "professional", hours = 10, explanation = "学术会议1天：10学时" } })
  for _, set in ipairs({ { "receipt", "notes", "invitation" }, { "回执", "学习笔记", "通知" },
    { "会议通讯录" }, { "邮件回执" }, { "财务报账单" } }) do
    eq(evaluate { kind = "学术会议", subject = "professional", date = "2022-11-05", days = 1,
      evidence = set }.status, "credited", table.concat(set, ","))
  end
  eq(evaluate { kind = "讲座", subject = "professional", date = "2022-11-05", half_days = 1,
    evidence = { "receipt", "notes" } }.reason, "缺少材料：邀请函(invitation)或通知(notice)之一")
end)

test("overseas: invitation + one of receipt/study materials/certificate", function()
  for _, one in ipairs({ "receipt", "学习资料", "certificate" }) do
    local r = evaluate { kind = "海外交流", subject = "professional", date = "2022-08-01", days = 5,
      evidence = { "邀请函", one } }
    eq(r.hours, 50, one)
  end
  eq(evaluate { kind = "overseas", subject = "professional", date = "2022-08-01", days = 5,
    evidence = { "invitation" } }.reason, "缺少材料：回执(receipt)或学习资料(study_materials)或结业证书(certificate)之一")
end)

---------------------------------------------------------------------------
-- 附件1 二.2 projects
---------------------------------------------------------------------------

test("project: host 90, participant 60, government or industry only", function()
  local r = evaluate { kind = "课题研究", level = "政府", role = "主持", date = "2022-12-20",
    evidence = { "结题证明" } }
  eq(r.credits, { { year = 2022, category = "professional", hours = 90, explanation = "课题(政府，主持)：90学时" } })
  r = evaluate { kind = "project", level = "industry", role = "participant", date = "2022-12-20",
    evidence = { "completion_certificate" } }
  eq(r.hours, 60)
  eq(r.explanation, "课题(行业组织，参与)：60学时")
  r = evaluate { kind = "project", level = "provincial", role = "host", date = "2022-12-20",
    evidence = { "completion_certificate" } }
  eq(r.reason_code, "not_creditable")
  eq(evaluate { kind = "project", level = "企业", role = "host", date = "2022-12-20",
    evidence = { "completion_certificate" } }.reason_code, "not_creditable")
end)

test("project: role and level required, role known", function()
  eq(evaluate { kind = "project", level = "government", date = "2022-12-20",
    evidence = { "completion_certificate" } }.reason, "缺少角色(role)")
  eq(evaluate { kind = "project", role = "host", date = "2022-12-20",
    evidence = { "completion_certificate" } }.reason, "缺少级别(level)")
  eq(evaluate { kind = "project", role = "负责人", level = "government", date = "2022-12-20",
    evidence = { "completion_certificate" } }.reason_code, "invalid_value")
  eq(evaluate { kind = "project", role = "host", level = "government", date = "2022-12-20" }.reason,
    "缺少材料：结题证明(completion_certificate)")
end)

---------------------------------------------------------------------------
-- 附件1 二.3 books and papers, 二.4 patents
---------------------------------------------------------------------------

test("book: first author 90, others 60", function()
  local ev = { "封面", "版权页", "目录" }
  local r = evaluate { kind = "著作", rank = 1, date = "2022-02-01", evidence = ev }
  eq(r.hours, 90)
  eq(r.explanation, "著作(第一作者)：90学时")
  eq(evaluate { kind = "译作", rank = 2, date = "2022-02-01", evidence = ev }.hours, 60)
  eq(evaluate { kind = "教材", rank = 7, date = "2022-02-01", evidence = ev }.hours, 60)
  eq(evaluate { kind = "book", date = "2022-02-01", evidence = ev }.reason_code, "missing_field")
  eq(evaluate { kind = "book", rank = 0, date = "2022-02-01", evidence = ev }.reason_code, "invalid_value")
  eq(evaluate { kind = "book", rank = 1, date = "2022-02-01", evidence = { "cover", "toc" } }.reason,
    "缺少材料：版权页(copyright_page)")
end)

test("zs-3, zs-4: papers 30 and 10", function()
  local r = evaluate { ref = "zs-3", kind = "paper", rank = 1, cn = "CN43-1234/R", title = "某病例的诊治体会",
    date = "2022-07-01", evidence = { "journal_cover", "journal_number", "toc" } }
  eq(r.credits, { { year = 2022, category = "professional", hours = 30,
    explanation = "论文(第一作者，CN43-1234/R)：30学时" } })
  r = evaluate { ref = "zs-4", kind = "论文", rank = 2, cn = "CN11-2227/TP", title = "医院信息系统的区块链应用",
    date = "2022-09-15", evidence = { "刊物封面", "刊号", "目录" } }
  eq(r.status, "credited")
  eq(r.hours, 10)
  eq(r.explanation, "论文(第2作者，CN11-2227/TP)：10学时")
end)

test("paper: a valid CN number is needed", function()
  local ev = { "journal_cover", "journal_number", "toc" }
  local r = evaluate { kind = "paper", rank = 1, date = "2022-07-01", evidence = ev }
  eq(r.reason_code, "not_creditable")
  for _, cn in ipairs({ "ISSN 1002-0179", "cn43-1234/r", "CN43-123/R", "CN43-1234", "CN43-1234/1" }) do
    eq(evaluate { kind = "paper", rank = 1, cn = cn, date = "2022-07-01", evidence = ev }.reason_code,
      "not_creditable", cn)
  end
  eq(evaluate { kind = "paper", rank = 1, cn = "CN11-2227/TP.1", date = "2022-07-01", evidence = ev }.hours, 30)
  eq(evaluate { kind = "paper", cn = "CN43-1234/R", date = "2022-07-01", evidence = ev }.reason_code, "missing_field")
end)

test("patent: first 90, others 60; zs-8 without its certificate is pending", function()
  local r = evaluate { kind = "专利", rank = 1, date = "2022-08-30", evidence = { "专利证书" } }
  eq(r.hours, 90)
  eq(r.explanation, "专利(第一完成人)：90学时")
  eq(evaluate { kind = "patent", rank = 3, date = "2022-08-30", evidence = { "patent_certificate" } }.hours, 60)
  r = evaluate { ref = "zs-8", kind = "patent", rank = 1, title = "一种输液报警装置", date = "2022-08-30", evidence = {} }
  eq(r.status, "pending_materials")
  eq(r.reason_code, "missing_materials")
  eq(r.reason, "缺少材料：专利证书(patent_certificate)")
  eq(evaluate { kind = "patent", date = "2022-08-30", evidence = { "patent_certificate" } }.reason_code,
    "missing_field")
end)

---------------------------------------------------------------------------
-- 附件1 二.5 awards, 二.6 computer exams
---------------------------------------------------------------------------

test("award: national and provincial 90; prefecture top five 60, others 30", function()
  local ev = { "获奖证书" }
  local r = evaluate { kind = "科技奖", level = "国家级", date = "2022-12-01", evidence = ev }
  eq(r.hours, 90)
  eq(r.explanation, "国家级奖项：90学时")
  eq(evaluate { kind = "社科奖", level = "provincial", date = "2022-12-01", evidence = ev }.hours, 90)
  r = evaluate { kind = "award", level = "prefecture", rank = 5, date = "2022-12-01", evidence = ev }
  eq(r.hours, 60)
  eq(r.explanation, "地厅级奖项排名第5：60学时")
  r = evaluate { kind = "获奖", level = "地厅级", rank = 6, date = "2022-12-01", evidence = ev }
  eq(r.hours, 30)
  eq(r.explanation, "地厅级奖项排名第6：30学时")
end)

test("award: level and prefecture rank required, unknown level not creditable", function()
  local ev = { "award_certificate" }
  eq(evaluate { kind = "award", date = "2022-12-01", evidence = ev }.reason, "缺少级别(level)")
  eq(evaluate { kind = "award", level = "prefecture", date = "2022-12-01", evidence = ev }.reason, "缺少排名(rank)")
  eq(evaluate { kind = "award", level = "national", date = "2022-12-01", evidence = ev }.status, "credited")
  eq(evaluate { kind = "award", level = "县级", date = "2022-12-01", evidence = ev }.reason_code, "not_creditable")
  eq(evaluate { kind = "award", level = "government", date = "2022-12-01", evidence = ev }.reason_code, "not_creditable")
  eq(evaluate { kind = "award", level = "national", date = "2022-12-01" }.reason, "缺少材料：获奖证书(award_certificate)")
end)

test("zs-5: computer exam 2 modules = 40", function()
  local r = evaluate { ref = "zs-5", kind = "computer_exam", modules = 2, title = "计算机应用能力考试(Excel、PowerPoint)",
    date = "2022-06-18", evidence = { "exam_certificate" } }
  eq(r.credits, { { year = 2022, category = "professional", hours = 40,
    explanation = "计算机应用能力考试2个模块：2×20=40学时" } })
  r = evaluate { kind = "计算机考试", modules = 1, date = "2022-06-18", evidence = { "合格证书" } }
  eq(r.explanation, "计算机应用能力考试1个模块：20学时")
  eq(evaluate { kind = "computer_exam", date = "2022-06-18", evidence = { "exam_certificate" } }.reason_code, "missing_field")
  eq(evaluate { kind = "computer_exam", modules = 0, date = "2022-06-18", evidence = { "exam_certificate" } }.reason_code, "invalid_value")
  eq(evaluate { kind = "computer_exam", modules = 1, date = "2022-06-18" }.reason, "缺少材料：合格证书(exam_certificate)")
end)

---------------------------------------------------------------------------
-- 附件1 二.7 special tasks (SPEC §4 month arithmetic)
---------------------------------------------------------------------------

local TASK = { "dispatch_notice", "assessment_form" }
local function task(from, to, extra)
  local t = { kind = "援疆", date = from, end_date = to, passed = true, evidence = TASK }
  for k, v in pairs(extra or {}) do t[k] = v end
  return evaluate(t)
end

test("special task: 2022-01-01..2022-06-30 is 6 months", function()
  local r = task("2022-01-01", "2022-06-30")
  eq(r.credits, { { year = 2022, category = "whole_year", hours = 90,
    explanation = "援疆2022-01-01至2022-06-30满6个月，考核合格：2022年度视为完成90学时" } })
end)

test("special task: 2022-01-01..2022-06-29 is short", function()
  local r = task("2022-01-01", "2022-06-29")
  eq(r.status, "rejected")
  eq(r.reason_code, "not_creditable")
end)

test("special task: a month end is clamped (2021-08-31 + 6 months = 2022-02-28)", function()
  -- end ≥ 2022-02-28 − 1 day = 2022-02-27
  eq(task("2021-08-31", "2022-02-27").credits[1].year, 2022)
  eq(task("2021-08-31", "2022-02-26").reason_code, "not_creditable")
end)

test("special task: 12 months or more spread over every year", function()
  local r = task("2021-03-01", "2022-03-01") -- = date + 12 months
  eq(#r.credits, 2)
  eq(r.credits[1], { year = 2021, category = "whole_year", hours = 90,
    explanation = "援疆2021-03-01至2022-03-01超过12个月，考核合格：2021、2022年度各视为完成90学时" })
  eq(r.credits[2].year, 2022)
  r = task("2021-03-01", "2022-02-28") -- one day short of 12 months: the end year only
  eq(#r.credits, 1)
  eq(r.credits[1].year, 2022)
  r = task("2020-06-01", "2022-05-31")
  eq({ r.credits[1].year, r.credits[2].year, r.credits[3].year }, { 2020, 2021, 2022 })
  eq(r.hours, 270)
end)

test("special task: every kind name, passed, end date, materials", function()
  for _, k in ipairs({ "special_task", "三援", "援藏", "援外", "东西部扶贫协作", "防控一线" }) do
    eq(task("2022-01-01", "2022-07-01", { kind = k }).status, "credited", k)
  end
  eq(task("2022-01-01", "2022-07-01", { kind = "special_task" }).explanation,
    "特定工作任务2022-01-01至2022-07-01满6个月，考核合格：2022年度视为完成90学时")
  eq(task("2022-01-01", "2022-07-01", { passed = false }).reason_code, "not_creditable")
  eq(evaluate { kind = "援藏", date = "2022-01-01", end_date = "2022-07-01", evidence = TASK }.reason,
    "缺少是否合格(passed)")
  eq(evaluate { kind = "援藏", date = "2022-01-01", passed = true, evidence = TASK }.reason,
    "缺少结束日期(end_date)")
  eq(task("2022-01-01", "2022-07-01", { evidence = { "派遣通知" } }).reason, "缺少材料：考核表(assessment_form)")
  eq(task("2022-01-01", "2022-07-01", { evidence = { "派出通知", "考核表" } }).status, "credited")
end)

---------------------------------------------------------------------------
-- 附件1 二.8, 二.9 degree courses and qualification exams: once a year
---------------------------------------------------------------------------

test("degree course: 90 with a once-per-year cap", function()
  local r = evaluate { kind = "学历教育", title = "博士课程：高等代数", date = "2022-01-10", passed = true,
    evidence = { "成绩单" } }
  eq(r.credits, { { year = 2022, category = "professional", hours = 90,
    explanation = "学历教育课程考核通过：90学时",
    cap = { key = "degree_course", limit = 90, note = "学历教育当年度已计90学时，本项不再计" } } })
  eq(evaluate { kind = "degree_course", date = "2022-01-10", passed = false, evidence = { "transcript" } }.reason_code,
    "not_creditable")
  eq(evaluate { kind = "degree_course", date = "2022-01-10", evidence = { "transcript" } }.reason_code, "missing_field")
  eq(evaluate { kind = "学位教育", date = "2022-01-10", passed = "是" }.reason, "缺少材料：成绩单(transcript)")
end)

test("qualification exam: 90 with a once-per-year cap", function()
  local r = evaluate { kind = "职业资格考试", date = "2022-10-20", passed = true, evidence = { "考试成绩单" } }
  eq(r.hours, 90)
  eq(r.credits[1].cap, { key = "qualification_exam", limit = 90, note = "职业资格考试当年度已计90学时，本项不再计" })
  eq(evaluate { kind = "qualification_exam", date = "2022-10-20", passed = "否", evidence = { "score_report" } }.reason_code,
    "not_creditable")
  eq(evaluate { kind = "qualification_exam", date = "2022-10-20", passed = true }.reason,
    "缺少材料：考试成绩单(score_report)")
end)

---------------------------------------------------------------------------
-- 通知 三(二) prior certificates
---------------------------------------------------------------------------

test("prior certificate covers its years and gives no hours", function()
  local r = evaluate { kind = "学时认定单", number = "潭继教〔2021〕0007号", from_year = 2016, to_year = 2020,
    date = "2022-01-05", evidence = { "认定单复印件" } }
  eq(r.covers, { from = 2016, to = 2020 })
  eq(r.reason, "以前的学时认定单：2016—2020年度已认定")
  r = evaluate { kind = "prior_certificate", from_year = 2016, to_year = 2020, date = "2022-03-01",
    evidence = { "certificate_copy" } }
  eq(r.status, "credited")
  eq(r.credits, {})
  eq(r.covers, { from = 2016, to = 2020 })
  eq(r.hours, 0)
  eq(evaluate { kind = "prior_certificate", from_year = 2016, date = "2022-03-01",
    evidence = { "certificate_copy" } }.reason, "缺少截止年(to_year)")
  eq(evaluate { kind = "prior_certificate", from_year = 2020, to_year = 2016, date = "2022-03-01",
    evidence = { "certificate_copy" } }.reason_code, "invalid_value")
  eq(evaluate { kind = "prior_certificate", from_year = 2016, to_year = 2020, date = "2022-03-01" }.reason,
    "缺少材料：认定单复印件(certificate_copy)")
end)

test("a kind the policy does not have", function()
  local r = evaluate_raw { kind = "dance", date = "2022-03-01" }
  eq(r.reason_code, "unknown_kind")
  eq(evaluate { kind = "舞蹈", date = "2022-03-01" }.reason_code, "unknown_kind")
end)

---------------------------------------------------------------------------
-- 通知 一(二) compliance
---------------------------------------------------------------------------

test("compliance: professional ≥ 60 and total ≥ 90", function()
  eq({ compliance { public = 30, professional = 60 } }, { true })
  eq({ compliance { public = 0, professional = 90 } }, { true })
  eq({ compliance { public = 24, professional = 106 } }, { true }) -- 张三 2022
  eq({ compliance { public = 31, professional = 59 } }, { false, "2022年：专业科目差1学时" })
  eq({ compliance { public = 90 } }, { false, "2022年：专业科目差60学时" })
  eq({ compliance { public = 0, professional = 60 } }, { false, "2022年：总学时差30学时" })
  eq({ compliance { public = 16 } }, { false, "2022年：总学时差74学时，专业科目差60学时" })
  eq({ compliance({ public = 0.5, professional = 59.5 }, 2021) }, { false, "2021年：总学时差30学时，专业科目差1学时" })
end)

test("compliance: a whole_year credit makes the year", function()
  eq({ compliance { whole_year = true } }, { true })
  eq({ compliance { public = 0, professional = 0, whole_year = true } }, { true })
end)

test("compliance can be restated in a line (2024: public ≥ 30, professional ≥ 60)", function()
  local p = policy("2022")
  p.requirements.minimum = { public = 30, professional = 60 }
  eq({ p:compliance({ public = 30, professional = 60 }, 2024) }, { true })
  eq({ p:compliance({ public = 20, professional = 70 }, 2024) }, { false, "2024年：公需科目差10学时" })
  p.requirements = { total = 90, ratio = { professional = 2 / 3 } }
  eq({ p:compliance({ public = 30, professional = 60 }, 2024) }, { true })
  eq({ p:compliance({ public = 50, professional = 60 }, 2024) },
    { false, "2024年：专业科目应不少于总学时的2/3，差40学时" })
  eq(P.requirements.minimum, { professional = 60 }, "the copy is independent")
end)

---------------------------------------------------------------------------
-- 通知 二 spans, holidays, certificate numbers, last year's except
---------------------------------------------------------------------------

test("spans: intermediate 2018–2021, senior 2017–2021", function()
  eq({ span("intermediate") }, { 2018, 2021 })
  eq({ span("senior") }, { 2017, 2021 })
  eq({ span("senior", 2025) }, { 2020, 2024 })
end)

test("the 2022 holiday calendar", function()
  eq(workdays_end("2022-05-09", 5), "2022-05-13")   -- a plain week
  eq(workdays_end("2022-09-30", 5), "2022-10-11")   -- 国庆 and 10/8, 10/9 worked
  eq(workdays_end("2022-01-28", 3), "2022-01-30")   -- 1/29, 1/30 worked
  eq(workdays_end("2022-04-29", 2), "2022-05-05")   -- 劳动节
  eq(workdays_end("2022-01-01", 1), "2022-01-04")   -- 元旦
  eq(workdays_end("2022-06-02", 2), "2022-06-06")   -- 端午
  eq(workdays_end("2022-09-09", 2), "2022-09-13")   -- 中秋
  eq(P:is_workday("2022-04-24"), true)
  eq(P:is_workday("2022-04-05"), false)
  eq(P:is_workday("2022-04-23"), false)
end)

test("certificate numbers", function()
  eq(P:certificate_number(2022, 1), "潭继教〔2022〕0001号")
  eq(P:certificate_number(2022, 123), "潭继教〔2022〕0123号")
end)

test("last year's, except …: a copy is independent and evaluates with its own data", function()
  local p = policy("2022")
  p.topics = nil
  p.attendance.day = 8
  local r = p:evaluate { kind = "training", subject = "public", topic = "任意主题", days = 2, year = 2022,
    date = "2022-03-01", evidence = { "notice", "schedule", "sign_in" } }
  eq(r.status, "credited")
  eq(r.credits[1].hours, 16)
  eq(#P.topics, 3)
  eq(P.attendance.day, 10)
end)
